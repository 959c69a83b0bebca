//! Generated Connect schemas and values (the input drives the runtime's generator)
//! written by the Avro converter to a fresh subject of an in-memory schema registry and
//! read back with the same data.
#![no_main]

#[path = "../../connect-avro/tests/avro_checks/mod.rs"]
mod avro_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (rt, fix) = avro_checks::shared();
    rt.block_on(avro_checks::check_avro_round_trip(fix, data));
});
