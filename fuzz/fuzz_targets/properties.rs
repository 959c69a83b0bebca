//! Configuration text (Java properties or JSON) read, or refused with a message.
#![no_main]

#[path = "../../connect-runtime/tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        fuzz_checks::check_properties(text);
    }
});
