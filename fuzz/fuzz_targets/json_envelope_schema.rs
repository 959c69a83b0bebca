//! Kafka's JSON schema form (the envelope's `schema`): any JSON read as a schema or
//! refused, and inside an envelope with a null payload.
#![no_main]

#[path = "../../connect-runtime/tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use std::sync::OnceLock;

use connect_runtime::converters::JsonConverter;
use libfuzzer_sys::fuzz_target;

static CONVERTERS: OnceLock<Vec<(&'static str, JsonConverter)>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(schema) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let converters = CONVERTERS.get_or_init(fuzz_checks::json_converters);
    fuzz_checks::check_schema_json(converters, &schema, None);
});
