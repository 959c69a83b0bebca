//! The Kafka client settings of every side, taken from the runtime's own builders
//! (`connect_runtime::kafka::KafkaClients::producer_config` / `consumer_config`), so the
//! baselines cannot drift from what a source or sink task of ours gets.
//!
//! Ours runs with a worker config that has no `producer.*` or `consumer.*` librdkafka keys
//! (B6's `consumer.max.poll.records` is applied by the runtime, not librdkafka), so a
//! `KafkaClients` built with empty per-client settings gives exactly the settings of its
//! tasks. The raw loops (`pipeline raw-produce`, `raw-consume`) create their clients from
//! these configs; kcat gets every key as `-X key=value`, except the few listed in
//! [`KCAT_CONSUMER_SKIP`] that kcat's own mode needs set its way.
//!
//! Which librdkafka kcat runs on: its consumers (`-G`, `-C`) run on the rdkafka-sys build's
//! `librdkafka.so.1` (2.12.1, ours), because Debian's kcat links 2.0.2, which does not know
//! `fetch.queue.backoff.ms`. Its producer (`-P`) stays on 2.0.2, which knows every producer
//! setting: on 2.12.1 an idempotent producer that produces right after it is created waits
//! 500 ms for its producer id (`rdkafka_idempotence.c` retries the id request on a 500 ms
//! timer while no broker connection is up; measured on the test broker: `kcat -P` of one line
//! 0.51–0.53 s on 2.12.1, 0.02 s on 2.0.2 in 3 runs of 4), a start-up stall ours does not
//! hit (its first record leaves about 100 ms after its producer is created, once
//! connections are up) and that would count as ours' lead. `pipeline raw-produce` runs on
//! 2.12.1 (it links rdkafka-sys) and avoids the stall by asking for the topic's metadata
//! twice before its first record (see `raw`).

use std::collections::BTreeMap;

use connect_api::config::RawConfig;
use connect_runtime::kafka::KafkaClients;

use super::*;

/// Keys that name the client rather than configure it: never compared or passed on.
const IDENTITY: &[&str] = &["bootstrap.servers", "client.id", "group.id"];

/// Consumer keys kcat is not given: `-e` (exit at the end of every partition) needs
/// librdkafka's partition-EOF events, which the runtime turns off (`enable.partition.eof`).
pub(super) const KCAT_CONSUMER_SKIP: &[&str] = &["enable.partition.eof"];

fn runtime(bootstrap: &str) -> KafkaClients {
    KafkaClients::new(bootstrap, RawConfig::new(), RawConfig::new(), RawConfig::new())
}

/// The producer config of one of our source tasks (`KafkaClients::producer_config`).
pub(super) fn producer_config(bootstrap: &str) -> ClientConfig {
    runtime(bootstrap).producer_config("bench-raw-producer", &RawConfig::new())
}

/// The consumer config of one of our sink tasks in `group`
/// (`KafkaClients::consumer_config`).
pub(super) fn consumer_config(bootstrap: &str, group: &str) -> ClientConfig {
    runtime(bootstrap).consumer_config(group, "bench-raw-consumer", &RawConfig::new())
}

/// The settings of a config without its identity keys, sorted by key.
fn settings(cfg: &ClientConfig) -> BTreeMap<String, String> {
    cfg.config_map()
        .into_iter()
        .filter(|(k, _)| !IDENTITY.contains(k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `-X key=value` arguments for kcat: every setting of `cfg` but `skip` and the identity
/// keys.
pub(super) fn kcat_args(cfg: &ClientConfig, skip: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in settings(cfg) {
        if !skip.contains(&k.as_str()) {
            out.push("-X".to_string());
            out.push(format!("{k}={v}"));
        }
    }
    out
}

fn joined(map: &BTreeMap<String, String>) -> String {
    map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// The settings each side uses, one line per client kind, for the run header and
/// `latest.md`.
pub(super) fn settings_text() -> Vec<String> {
    let p = settings(&producer_config("-"));
    let c = settings(&consumer_config("-", "-"));
    vec![
        format!(
            "producer (connect_runtime::kafka::KafkaClients::producer_config): {}",
            joined(&p)
        ),
        "  used by: ours (every source task), `pipeline raw-produce`, kcat -P (as -X), the harness's topic fills; Java Kafka Connect keeps its own defaults".to_string(),
        format!(
            "consumer (connect_runtime::kafka::KafkaClients::consumer_config): {}",
            joined(&c)
        ),
        format!(
            "  used by: ours (every sink task), `pipeline raw-consume`, kcat -G and kcat -C (as -X, without {}: kcat's -e needs partition EOF events); Java Kafka Connect keeps its own defaults",
            KCAT_CONSUMER_SKIP.join(", ")
        ),
    ]
}

/// Fails early, naming the key, when kcat's librdkafka does not know one of the settings
/// it is to be given: the producer settings on kcat's own librdkafka, the consumer settings
/// on the consumers' one.
pub(super) fn kcat_accepts_settings(ctx: &Ctx, producer_lib: &str, consumer_lib: &str) -> R<()> {
    let runs = [
        (ctx.kcat(), kcat_args(&producer_config("-"), &[]), "producer", producer_lib),
        (
            ctx.kcat_consumer(),
            kcat_args(&consumer_config("-", "-"), KCAT_CONSUMER_SKIP),
            "consumer",
            consumer_lib,
        ),
    ];
    for (mut cmd, args, kind, lib) in runs {
        // A metadata request to a closed port: librdkafka checks the settings before it
        // connects, and gives up after one second.
        cmd.args(args).args(["-L", "-b", "127.0.0.1:9", "-m", "1"]);
        let out = cmd.output().map_err(|e| format!("cannot run kcat: {e}"))?;
        let err = String::from_utf8_lossy(&out.stderr);
        if let Some(line) = err.lines().find(|l| l.contains("No such configuration property")) {
            return Err(format!(
                "kcat (librdkafka {lib}) cannot take the runtime's {kind} settings ({}); for the consumer settings, set BENCH_KCAT_CONSUMER_LD_LIBRARY_PATH to the directory of a newer librdkafka.so.1 (scripts/bench.sh uses the rdkafka-sys build's)",
                line.trim_start_matches("% ERROR: ")
            ));
        }
    }
    Ok(())
}
