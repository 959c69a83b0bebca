//! Fuzzed input to the Avro converter, with a fixed budget (a fixed number of cases from
//! a fixed seed): arbitrary bytes, records in Confluent's wire format with a registered
//! schema id and a body cut short or corrupted, generated schemas and values written and
//! read back, and arbitrary Avro schema text. The checks are those of the
//! `avro_converter` cargo-fuzz target (`fuzz/`): see `avro_checks`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod avro_checks;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, RngSeed, TestRunner};

/// `cases` inputs from a fixed seed, nothing persisted.
fn budget(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x18_05),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Runs `check` on `cases` inputs of `strategy` (no shrinking: the failing input is
/// printed whole, and is small).
fn run<S: Strategy>(cases: u32, strategy: S, mut check: impl FnMut(S::Value))
where
    S::Value: std::fmt::Debug + Clone,
{
    let mut runner = TestRunner::new(budget(cases));
    for _ in 0..cases {
        let input = strategy.new_tree(&mut runner).unwrap().current();
        let shown = format!("{input:?}");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(input)));
        if let Err(panic) = outcome {
            eprintln!("failing input: {shown}");
            std::panic::resume_unwind(panic);
        }
    }
}

#[test]
fn records_are_read_or_refused_with_a_message() {
    let (rt, fix) = avro_checks::shared();
    let valid = rt.block_on(avro_checks::valid_records(fix));
    run(512, prop::collection::vec(any::<u8>(), 0..48), |data| {
        rt.block_on(avro_checks::check_avro_bytes(fix, &data));
    });
    let cut_or_flipped =
        (0..valid.len(), any::<usize>(), proptest::option::of((any::<usize>(), any::<u8>())));
    run(512, cut_or_flipped, |(which, cut, flip)| {
        let (topic, mut bytes) = valid[which].clone();
        if let Some((at, b)) = flip {
            // Past the header: the body, corrupted.
            let at = 5 + at % (bytes.len() - 5).max(1);
            if let Some(x) = bytes.get_mut(at) {
                *x ^= b.max(1);
            }
        }
        bytes.truncate(5 + cut % (bytes.len() - 4));
        rt.block_on(avro_checks::check_avro_record(fix, &topic, &bytes));
    });
}

#[test]
fn generated_schemas_and_values_round_trip_through_the_registry() {
    let (rt, fix) = avro_checks::shared();
    run(512, prop::collection::vec(any::<u8>(), 0..160), |seed| {
        rt.block_on(avro_checks::check_avro_round_trip(fix, &seed));
    });
}

#[test]
fn avro_schema_text_is_mapped_or_refused() {
    let pieces = prop::sample::select(
        &[
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"type\"",
            "\"record\"",
            "\"name\"",
            "\"fields\"",
            "\"enum\"",
            "\"symbols\"",
            "\"array\"",
            "\"items\"",
            "\"map\"",
            "\"values\"",
            "\"fixed\"",
            "\"size\"",
            "\"logicalType\"",
            "\"decimal\"",
            "\"precision\"",
            "\"scale\"",
            "\"null\"",
            "\"int\"",
            "\"long\"",
            "\"bytes\"",
            "\"string\"",
            "\"a\"",
            "\"default\"",
            "-1",
            "0",
            "3",
            "99999999999",
            "null",
            "true",
        ][..],
    );
    let text = prop_oneof![
        prop::collection::vec(pieces, 0..24).prop_map(|p| p.concat()),
        any::<String>(),
    ];
    run(1024, text, |t| avro_checks::check_avro_schema_text(&t));
}
