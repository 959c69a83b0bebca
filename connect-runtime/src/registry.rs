//! The plugin registry: an explicit list of what this worker can run, fed by each
//! connector crate's `plugins()`.

use connect_api::plugin::{PluginDescriptor, PluginKind};
use connect_api::{ConnectError, Result};

/// Every plugin this worker knows, looked up by class name or alias.
#[derive(Debug, Clone, Default)]
pub struct PluginRegistry {
    plugins: Vec<PluginDescriptor>,
}

impl PluginRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The reference connectors shipped with the runtime.
    pub fn with_reference_connectors() -> Self {
        let mut r = Self::new();
        r.plugins.extend(connect_file::plugins());
        r.plugins.extend(connect_jdbc::plugins());
        r.plugins.extend(connect_hdfs::plugins());
        r
    }

    /// Adds plugins; a name (class or alias) already taken is an error.
    pub fn register(&mut self, plugins: impl IntoIterator<Item = PluginDescriptor>) -> Result<()> {
        for p in plugins {
            let names =
                std::iter::once(p.class_name().to_string()).chain(p.aliases().iter().cloned());
            for n in names {
                if let Some(existing) = self.plugins.iter().find(|e| e.matches(&n)) {
                    return Err(ConnectError::conflict(format!(
                        "plugin name {n} of {} is already taken by {}",
                        p.class_name(),
                        existing.class_name()
                    )));
                }
            }
            self.plugins.push(p);
        }
        Ok(())
    }

    /// The connector plugin named `name` (class name or alias).
    pub fn connector(&self, name: &str) -> Result<&PluginDescriptor> {
        self.plugins
            .iter()
            .find(|p| matches!(p.kind(), PluginKind::Source | PluginKind::Sink) && p.matches(name))
            .ok_or_else(|| {
                let available: Vec<&str> = self.connectors().map(|p| p.class_name()).collect();
                ConnectError::not_found(format!(
                    "Failed to find any class that implements Connector and which name matches {name}, available connectors are: {}",
                    available.join(", ")
                ))
            })
    }

    /// Every connector plugin, sources and sinks.
    pub fn connectors(&self) -> impl Iterator<Item = &PluginDescriptor> {
        self.plugins.iter().filter(|p| matches!(p.kind(), PluginKind::Source | PluginKind::Sink))
    }

    /// Every plugin.
    pub fn all(&self) -> &[PluginDescriptor] {
        &self.plugins
    }
}
