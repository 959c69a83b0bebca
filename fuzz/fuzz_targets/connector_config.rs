//! Configuration text read as a connector config and validated as creation and
//! `/config/validate` do (FileStream connectors, Kafka's transformations, a connector
//! with a PASSWORD key): no panic, no password shown.
#![no_main]

#[path = "../../connect-runtime/tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use std::sync::OnceLock;

use connect_runtime::PluginRegistry;
use libfuzzer_sys::fuzz_target;

static REGISTRY: OnceLock<PluginRegistry> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        fuzz_checks::check_connector_config_text(REGISTRY.get_or_init(fuzz_checks::registry), text);
    }
});
