//! A sink connector for the runtime's tests: its tasks are whatever task type the test
//! names, and every task gets the connector's config.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::context::ConnectorContext;
use connect_api::plugin::PluginDescriptor;
use connect_api::{Connector, Result, SinkConnector, SinkTask};

/// The plugin `class`: a sink connector whose tasks `make` builds.
pub fn sink_plugin(class: &str, make: fn() -> Box<dyn SinkTask>) -> PluginDescriptor {
    PluginDescriptor::sink(class, "test", move || {
        Box::new(TestSink { config: RawConfig::new(), make })
    })
}

struct TestSink {
    config: RawConfig,
    make: fn() -> Box<dyn SinkTask>,
}

#[async_trait]
impl Connector for TestSink {
    fn version(&self) -> String {
        "test".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, _: ConnectorContext, config: RawConfig) -> Result<()> {
        self.config = config;
        Ok(())
    }
    async fn task_configs(&mut self, max: usize) -> Result<Vec<RawConfig>> {
        connect_api::util::same_config_per_task(Some(&self.config), max, "TestSink")
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SinkConnector for TestSink {
    fn create_task(&self) -> Box<dyn SinkTask> {
        (self.make)()
    }
}
