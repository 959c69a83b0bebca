//! The Avro converter against an in-memory schema registry: the first byte picks what the
//! rest is, a record body framed with a registered schema id (and the bytes as they
//! are), or Avro schema text. Writing generated schemas and values is `avro_round_trip`
//! (it registers a schema per input: HTTP calls, 50 inputs a second).
#![no_main]

#[path = "../../connect-avro/tests/avro_checks/mod.rs"]
mod avro_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (rt, fix) = avro_checks::shared();
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 4 {
        0..=2 => rt.block_on(avro_checks::check_avro_bytes(fix, rest)),
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                avro_checks::check_avro_schema_text(text);
            }
        }
    }
});
