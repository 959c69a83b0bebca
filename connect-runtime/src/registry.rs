//! The plugin registry: an explicit list of what this worker can run — connectors,
//! converters, header converters, transformations and predicates — fed by each plugin
//! crate's `plugins()`. Tasks build every plugin they use from here, so a plugin an
//! embedder registers is used exactly as a built-in one.

use std::sync::Arc;

use connect_api::convert::{Converter, HeaderConverter};
use connect_api::plugin::{PluginDescriptor, PluginFactory, PluginKind};
use connect_api::record::{ConnectRecord, SinkRecord, SourceRecord};
use connect_api::transform::{Predicate, Transformation};
use connect_api::{ConnectError, Result};

use crate::service::WorkerService;

/// Every plugin this worker knows, looked up by class name or alias.
///
/// A name matches a plugin by its class name, an alias it declares, or, as Kafka
/// Connect's plugin aliases, its simple name (after the last `.`) and that name without
/// the kind's suffix (`Connector`, `Converter`, `HeaderConverter`, `Transformation`,
/// `Predicate`): `org.apache.kafka.connect.json.JsonConverter`, `JsonConverter` and
/// `Json` name the same converter.
///
/// ```
/// use connect_runtime::PluginRegistry;
///
/// let registry = PluginRegistry::new();
/// assert!(registry.converter("org.apache.kafka.connect.json.JsonConverter").is_ok());
/// assert!(registry.converter("Json").is_ok());
/// assert!(registry.converter("com.example.NoSuchConverter").is_err());
/// ```
#[derive(Clone)]
pub struct PluginRegistry {
    plugins: Vec<PluginDescriptor>,
    services: Vec<Arc<dyn WorkerService>>,
}

impl std::fmt::Debug for PluginRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginRegistry")
            .field("plugins", &self.plugins)
            .field("services", &self.services.iter().map(|s| s.name()).collect::<Vec<_>>())
            .finish()
    }
}

impl Default for PluginRegistry {
    fn default() -> Self {
        Self::new()
    }
}

/// The record types transformations and predicates are built for: source and sink
/// records.
pub trait PluginRecord: ConnectRecord + Sized + 'static {
    /// A transformation of this record type from a transformation factory.
    fn transformation(factory: &PluginFactory) -> Option<Box<dyn Transformation<Self>>>;
    /// A predicate of this record type from a predicate factory.
    fn predicate(factory: &PluginFactory) -> Option<Box<dyn Predicate<Self>>>;
}

impl PluginRecord for SourceRecord {
    fn transformation(factory: &PluginFactory) -> Option<Box<dyn Transformation<Self>>> {
        match factory {
            PluginFactory::Transformation { source, .. } => Some(source()),
            _ => None,
        }
    }

    fn predicate(factory: &PluginFactory) -> Option<Box<dyn Predicate<Self>>> {
        match factory {
            PluginFactory::Predicate { source, .. } => Some(source()),
            _ => None,
        }
    }
}

impl PluginRecord for SinkRecord {
    fn transformation(factory: &PluginFactory) -> Option<Box<dyn Transformation<Self>>> {
        match factory {
            PluginFactory::Transformation { sink, .. } => Some(sink()),
            _ => None,
        }
    }

    fn predicate(factory: &PluginFactory) -> Option<Box<dyn Predicate<Self>>> {
        match factory {
            PluginFactory::Predicate { sink, .. } => Some(sink()),
            _ => None,
        }
    }
}

/// Plugins of these kinds share one name space (a source and a sink cannot share a name).
fn same_space(a: PluginKind, b: PluginKind) -> bool {
    let connector = |k| matches!(k, PluginKind::Source | PluginKind::Sink);
    a == b || (connector(a) && connector(b))
}

/// The suffix Kafka prunes from a simple class name to make the short alias.
fn suffix(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Source | PluginKind::Sink => "Connector",
        PluginKind::Converter => "Converter",
        PluginKind::HeaderConverter => "HeaderConverter",
        PluginKind::Transformation => "Transformation",
        PluginKind::Predicate => "Predicate",
    }
}

/// Whether `name` is the simple name of `p`'s class, or that name without its kind's suffix.
fn implicit_alias(p: &PluginDescriptor, name: &str) -> bool {
    let class = p.class_name();
    let simple = class.rsplit('.').next().unwrap_or(class);
    simple == name
        || simple.strip_suffix(suffix(p.kind())).is_some_and(|s| !s.is_empty() && s == name)
}

impl PluginRegistry {
    /// A registry with the runtime's own converters (JSON, String, ByteArray, the numeric
    /// ones and the simple header converter).
    pub fn new() -> Self {
        PluginRegistry { plugins: crate::converters::plugins(), services: Vec::new() }
    }

    /// A registry with nothing in it.
    pub fn empty() -> Self {
        PluginRegistry { plugins: Vec::new(), services: Vec::new() }
    }

    /// Adds a service started beside the worker when its config asks for it.
    pub fn register_service(&mut self, service: impl WorkerService + 'static) {
        self.services.push(Arc::new(service));
    }

    /// The registered services.
    pub fn services(&self) -> &[Arc<dyn WorkerService>] {
        &self.services
    }

    /// Adds plugins; a name (class or alias) already taken by a plugin of the same kind is
    /// an error (connectors, sources and sinks alike, share one name space).
    pub fn register(&mut self, plugins: impl IntoIterator<Item = PluginDescriptor>) -> Result<()> {
        for p in plugins {
            let names =
                std::iter::once(p.class_name().to_string()).chain(p.aliases().iter().cloned());
            for n in names {
                if let Some(existing) =
                    self.plugins.iter().find(|e| same_space(e.kind(), p.kind()) && e.matches(&n))
                {
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

    /// The plugin of a kind accepted by `kind` that `name` names: by class name first,
    /// then declared alias, then Kafka's implicit aliases.
    fn find(&self, name: &str, kind: impl Fn(PluginKind) -> bool) -> Option<&PluginDescriptor> {
        let name = name.trim();
        let of_kind = || self.plugins.iter().filter(|p| kind(p.kind()));
        of_kind()
            .find(|p| p.class_name() == name)
            .or_else(|| of_kind().find(|p| p.matches(name)))
            .or_else(|| of_kind().find(|p| implicit_alias(p, name)))
    }

    /// The connector plugin named `name` (class name or alias).
    pub fn connector(&self, name: &str) -> Result<&PluginDescriptor> {
        self.find(name, |k| matches!(k, PluginKind::Source | PluginKind::Sink)).ok_or_else(|| {
            let available: Vec<&str> = self.connectors().map(|p| p.class_name()).collect();
            ConnectError::not_found(format!(
                "Failed to find any class that implements Connector and which name matches {name}, available connectors are: {}",
                available.join(", ")
            ))
        })
    }

    /// The plugin of any kind named `name`, for its config definition.
    pub fn plugin(&self, name: &str) -> Option<&PluginDescriptor> {
        self.find(name, |_| true)
    }

    /// A new, unconfigured converter of the class `name` names; an unknown name is an
    /// error in Kafka's words ("Class … could not be found.").
    pub fn converter(&self, name: &str) -> Result<Box<dyn Converter>> {
        match self.find(name, |k| k == PluginKind::Converter).map(PluginDescriptor::factory) {
            Some(PluginFactory::Converter(make)) => Ok(make()),
            _ => Err(not_found(name)),
        }
    }

    /// A new, unconfigured header converter of the class `name` names.
    pub fn header_converter(&self, name: &str) -> Result<Box<dyn HeaderConverter>> {
        match self.find(name, |k| k == PluginKind::HeaderConverter).map(PluginDescriptor::factory) {
            Some(PluginFactory::HeaderConverter(make)) => Ok(make()),
            _ => Err(not_found(name)),
        }
    }

    /// A new, unconfigured transformation of records `R` of the class `name` names.
    pub fn transformation<R: PluginRecord>(
        &self,
        name: &str,
    ) -> Result<Box<dyn Transformation<R>>> {
        self.find(name, |k| k == PluginKind::Transformation)
            .and_then(|p| R::transformation(p.factory()))
            .ok_or_else(|| not_found(name))
    }

    /// A new, unconfigured predicate over records `R` of the class `name` names.
    pub fn predicate<R: PluginRecord>(&self, name: &str) -> Result<Box<dyn Predicate<R>>> {
        self.find(name, |k| k == PluginKind::Predicate)
            .and_then(|p| R::predicate(p.factory()))
            .ok_or_else(|| not_found(name))
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

fn not_found(name: &str) -> ConnectError {
    ConnectError::not_found(format!("Class {} could not be found.", name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::config::{ConfigDef, RawConfig};

    /// Passes records on unchanged; as a predicate, always true.
    struct Identity;

    impl<R: ConnectRecord> Transformation<R> for Identity {
        fn configure(&mut self, _: &RawConfig) -> Result<()> {
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
        fn apply(&mut self, record: R) -> Result<Option<R>> {
            Ok(Some(record))
        }
    }

    impl<R: ConnectRecord> Predicate<R> for Identity {
        fn configure(&mut self, _: &RawConfig) -> Result<()> {
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
        fn test(&self, _: &R) -> bool {
            true
        }
    }

    #[test]
    fn names_resolve_as_kafka_aliases_do() {
        let r = PluginRegistry::new();
        for name in [
            "org.apache.kafka.connect.json.JsonConverter",
            "JsonConverter",
            "Json",
            "StringConverter",
            "String",
            "ByteArray",
            "LongConverter",
            "Double",
        ] {
            assert!(r.converter(name).is_ok(), "{name}");
        }
        for name in ["SimpleHeaderConverter", "Simple", "JsonConverter", "StringConverter"] {
            assert!(r.header_converter(name).is_ok(), "{name}");
        }
        assert!(r.converter("SimpleHeaderConverter").is_err());
        assert!(r.converter("Converter").is_err());
        let mut r = r;
        r.register([
            PluginDescriptor::transformation("org.example.Identity$Value", "1", || Identity),
            PluginDescriptor::predicate("org.example.AlwaysPredicate", "1", || Identity),
        ])
        .unwrap();
        for name in ["org.example.Identity$Value", "Identity$Value"] {
            assert!(r.transformation::<SourceRecord>(name).is_ok(), "{name}");
            assert!(r.transformation::<SinkRecord>(name).is_ok(), "{name}");
        }
        for name in ["org.example.AlwaysPredicate", "AlwaysPredicate", "Always"] {
            assert!(r.predicate::<SinkRecord>(name).is_ok(), "{name}");
        }
        assert!(r.transformation::<SinkRecord>("AlwaysPredicate").is_err());
        let err = r.transformation::<SinkRecord>("com.example.Nope").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("Class com.example.Nope could not be found.")));
    }

    #[test]
    fn a_class_may_be_a_converter_and_a_header_converter_but_not_twice_one() {
        let mut r = PluginRegistry::empty();
        let json = || Box::new(crate::converters::JsonConverter::new());
        r.register([
            PluginDescriptor::converter("a.Json", "1", move || json()),
            PluginDescriptor::header_converter("a.Json", "1", move || json()),
        ])
        .unwrap();
        let again = r.register([PluginDescriptor::converter("a.Json", "2", move || json())]);
        assert!(again.is_err());
    }
}
