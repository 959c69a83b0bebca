//! A REST request body as the config endpoints read it (`rest::config_from_json`,
//! `rest::strict_config_from_json`): refused with a message that shows no password, or
//! read as a config.
#![no_main]

#[path = "../../connect-runtime/tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_checks::check_rest_config_body(data));
