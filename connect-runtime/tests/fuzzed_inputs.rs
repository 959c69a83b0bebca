//! Fuzzed inputs, with a fixed budget (a fixed number of cases from a fixed seed, so every
//! run sees the same inputs): the JSON converter (arbitrary bytes, JSON of the wrong
//! shape, envelopes with mutated schemas, truncated and corrupted envelopes), the
//! String, ByteArray, numeric and header converters, the properties and connector-config
//! parsers, and the REST config bodies. The checks are those the cargo-fuzz targets run
//! (`fuzz/`, `scripts/fuzz.sh`): see `fuzz_checks`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fuzz_checks;
mod fuzz_strategies;

use std::sync::OnceLock;

use connect_runtime::PluginRegistry;
use connect_runtime::converters::JsonConverter;
use fuzz_checks::cases;
use fuzz_strategies::*;
use proptest::prelude::*;

fn converters() -> &'static [(&'static str, JsonConverter)] {
    static C: OnceLock<Vec<(&'static str, JsonConverter)>> = OnceLock::new();
    C.get_or_init(fuzz_checks::json_converters)
}

fn registry() -> &'static PluginRegistry {
    static R: OnceLock<PluginRegistry> = OnceLock::new();
    R.get_or_init(fuzz_checks::registry)
}

proptest! {
    #![proptest_config(budget(1024))]

    #[test]
    fn json_converter_reads_arbitrary_bytes_or_says_why(data in prop::collection::vec(any::<u8>(), 0..128)) {
        fuzz_checks::check_json_bytes(converters(), &data);
    }

    #[test]
    fn json_converter_reads_json_of_any_shape_or_says_why(j in json()) {
        fuzz_checks::check_json_bytes(converters(), j.to_string().as_bytes());
        let envelope = serde_json::json!({"schema": null, "payload": j});
        fuzz_checks::check_json_bytes(converters(), envelope.to_string().as_bytes());
    }

    #[test]
    fn json_converter_round_trips_generated_schemas_and_values(seed in prop::collection::vec(any::<u8>(), 0..160)) {
        fuzz_checks::check_json_round_trip(converters(), &seed);
    }

    #[test]
    fn envelopes_with_mutated_schemas_are_read_or_refused((schema, payload) in mutated_envelope()) {
        fuzz_checks::check_schema_json(converters(), &schema, Some(&payload));
    }

    #[test]
    fn schema_json_of_any_shape_is_read_or_refused(schema in json(), payload in json()) {
        fuzz_checks::check_schema_json(converters(), &schema, Some(&payload));
    }

    #[test]
    fn truncated_and_corrupted_envelopes_are_read_or_refused(
        seed in prop::collection::vec(any::<u8>(), 0..96),
        cut in any::<usize>(),
        flip in proptest::option::of((any::<usize>(), any::<u8>())),
    ) {
        let (schema, value) = cases::schema_and_value(&seed);
        let mut bytes = JsonConverter::new().serialize(Some(&schema), &value).unwrap().unwrap();
        if let Some((at, b)) = flip {
            let at = at % bytes.len();
            bytes[at] ^= b.max(1);
        }
        bytes.truncate(cut % (bytes.len() + 1));
        fuzz_checks::check_json_bytes(converters(), &bytes);
    }

    #[test]
    fn simple_converters_read_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..16)) {
        fuzz_checks::check_simple_converters(&data);
    }

    #[test]
    fn header_converter_reads_structured_text(j in json()) {
        fuzz_checks::check_simple_converters(j.to_string().as_bytes());
    }

    #[test]
    fn properties_text_is_read_or_refused(text in properties_text()) {
        fuzz_checks::check_properties(&text);
    }

    #[test]
    fn rest_config_bodies_are_read_or_refused_without_echoing_passwords(j in json(), secret in "pw-[a-z0-9]{10}") {
        let body = serde_json::json!({"connection.password": secret, "x": j});
        fuzz_checks::check_rest_config_body(j.to_string().as_bytes());
        fuzz_checks::check_rest_config_body(body.to_string().as_bytes());
        let nested = serde_json::json!({"connection.password": [secret], "name": {"db.password": j}});
        fuzz_checks::check_rest_config_body(nested.to_string().as_bytes());
        fuzz_checks::check_rest_config_body(serde_json::json!([body]).to_string().as_bytes());
        // The same bodies as JSON config files.
        fuzz_checks::check_properties(&serde_json::json!({"name": "n", "config": nested}).to_string());
        fuzz_checks::check_properties(&body.to_string());
    }
}

/// Inputs the fuzz targets found, kept as regressions.
#[test]
fn inputs_found_by_fuzzing() {
    // A FLOAT64 header written in E notation reads back as a Decimal (once).
    fuzz_checks::check_simple_converters(b"0000000009990009999999990002099999900020.610");
}

proptest! {
    #![proptest_config(budget(256))]

    #[test]
    fn connector_configs_are_validated_without_showing_passwords(raw in connector_config()) {
        fuzz_checks::check_connector_config(registry(), &raw);
        fuzz_checks::check_connector_config_text(registry(), &fuzz_checks::to_properties_text(&raw));
    }
}
