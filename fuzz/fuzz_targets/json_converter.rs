//! The JSON converter: arbitrary bytes read (schemas on and off, both decimal formats,
//! cached and not) and rewritten, and the same bytes as a generated schema and value
//! written and read back.
#![no_main]

#[path = "../../connect-runtime/tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use std::sync::OnceLock;

use connect_runtime::converters::JsonConverter;
use libfuzzer_sys::fuzz_target;

static CONVERTERS: OnceLock<Vec<(&'static str, JsonConverter)>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let converters = CONVERTERS.get_or_init(fuzz_checks::json_converters);
    fuzz_checks::check_json_bytes(converters, data);
    fuzz_checks::check_json_round_trip(converters, data);
});
