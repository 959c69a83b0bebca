//! The String (every supported charset), ByteArray, numeric and simple header converters
//! on arbitrary bytes.
#![no_main]

#[path = "../../connect-runtime/tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_checks::check_simple_converters(data));
