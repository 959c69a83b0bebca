//! The worker configuration: Kafka Connect's worker keys, parsed with a [`ConfigDef`].

use std::path::PathBuf;
use std::time::Duration;

use connect_api::ConnectError;
use connect_api::Result;
use connect_api::config::{
    ConfigDef, ConfigKey, Importance, ParsedConfig, Range, RawConfig, Type, ValidString,
};

use super::override_policy::{OVERRIDE_POLICY_CONFIG, OverridePolicy};
use super::providers::ConfigProviders;

/// The JSON converter's class name, the default for keys and values.
pub const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";
/// The default header converter.
pub const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// Key prefixes passed through to Kafka clients rather than defined here.
const CLIENT_PREFIXES: &[&str] = &[
    "producer.",
    "consumer.",
    "admin.",
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "security.",
    "sasl.",
    "ssl.",
    "metrics.",
    "metric.",
    "listeners.https.",
    "config.providers",
];

/// Java's TLS keys that librdkafka does not know (it fails to create a client given
/// one): the keystore and truststore types and PEM keys of KIP-651, `ssl.client.auth`, and
/// JSSE's algorithm choices. The bare ones configure the REST listener's TLS
/// ([`crate::rest::tls`]) when no `listeners.https.*` key is set.
pub const JAVA_ONLY_SSL_KEYS: &[&str] = &[
    "ssl.keystore.type",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
    "ssl.client.auth",
    "ssl.protocol",
    "ssl.provider",
    "ssl.enabled.protocols",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
    "ssl.secure.random.implementation",
    "ssl.engine.factory.class",
];

/// The definition of every worker key this runtime understands.
pub fn worker_config_def() -> ConfigDef {
    let s = |name: &str, imp: Importance, doc: &str| ConfigKey::new(name, Type::String, imp, doc);
    ConfigDef::new()
        .define(
            ConfigKey::new(
                "bootstrap.servers",
                Type::List,
                Importance::High,
                "Kafka brokers to connect to. Absent: start an embedded in-memory broker.",
            )
            .optional(),
        )
        .define(ConfigKey::new("key.converter", Type::Class, Importance::High, "Converter for record keys.").default_value(JSON_CONVERTER))
        .define(ConfigKey::new("value.converter", Type::Class, Importance::High, "Converter for record values.").default_value(JSON_CONVERTER))
        .define(ConfigKey::new("header.converter", Type::Class, Importance::Low, "Converter for header values.").default_value(SIMPLE_HEADER_CONVERTER))
        .define(s("offset.storage.file.filename", Importance::High, "File to store source offsets in (standalone).").optional())
        .define(ConfigKey::new("offset.flush.interval.ms", Type::Long, Importance::Low, "Interval between source offset commits.").default_value(60000i64).validator(Range::at_least(0)))
        .define(ConfigKey::new("offset.flush.timeout.ms", Type::Long, Importance::Low, "How long an offset commit may wait for outstanding records.").default_value(5000i64).validator(Range::at_least(0)))
        .define(ConfigKey::new("task.shutdown.graceful.timeout.ms", Type::Long, Importance::Low, "How long tasks get to stop.").default_value(5000i64).validator(Range::at_least(0)))
        .define(ConfigKey::new("listeners", Type::List, Importance::Low, "REST listeners.").default_value("http://:8083"))
        .define(s("rest.advertised.host.name", Importance::Low, "Host name advertised to other workers.").optional())
        .define(ConfigKey::new("rest.advertised.port", Type::Int, Importance::Low, "Port advertised to other workers.").optional())
        .define(s("rest.advertised.listener", Importance::Low, "Listener protocol advertised.").optional())
        .define(ConfigKey::new("rest.extension.classes", Type::List, Importance::Low, "REST extensions: org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension (HTTP basic authentication) is the one built in.").default_value(""))
        .define(s("rest.basic.auth.jaas.config", Importance::Low, "The JAAS file of basic authentication (Java's -Djava.security.auth.login.config, which KAFKA_OPTS may also carry).").optional())
        .define(ConfigKey::new("plugin.path", Type::List, Importance::Low, "Ignored: plugins are compiled in.").optional())
        .define(s("plugin.discovery", Importance::Low, "Ignored: plugins are compiled in.").optional())
        .define(s("group.id", Importance::High, "Connect cluster group (distributed).").default_value("connect-cluster"))
        .define(s("config.storage.topic", Importance::High, "Topic of connector configs (distributed).").default_value("connect-configs"))
        .define(s("offset.storage.topic", Importance::High, "Topic of source offsets (distributed).").default_value("connect-offsets"))
        .define(s("status.storage.topic", Importance::High, "Topic of statuses (distributed).").default_value("connect-status"))
        .define(ConfigKey::new("config.storage.replication.factor", Type::Short, Importance::Low, "Replication of the config topic.").default_value(3i16))
        .define(ConfigKey::new("offset.storage.replication.factor", Type::Short, Importance::Low, "Replication of the offset topic.").default_value(3i16))
        .define(ConfigKey::new("status.storage.replication.factor", Type::Short, Importance::Low, "Replication of the status topic.").default_value(3i16))
        .define(ConfigKey::new("offset.storage.partitions", Type::Int, Importance::Low, "Partitions of the offset topic.").default_value(25))
        .define(ConfigKey::new("status.storage.partitions", Type::Int, Importance::Low, "Partitions of the status topic.").default_value(5))
        .define(s("client.id", Importance::Low, "Client id prefix.").optional())
        .define(ConfigKey::new("source.tasks.share.producer", Type::Boolean, Importance::Low, "Whether source tasks without producer.override.* settings share one producer per worker (fewer threads and connections; each task still sees only its own deliveries). Kafka Connect gives each task its own; set false for that.").default_value(true))
        .define(ConfigKey::new("topic.creation.enable", Type::Boolean, Importance::Low, "Whether source connectors may create topics.").default_value(true))
        .define(s(OVERRIDE_POLICY_CONFIG, Importance::Medium, "Which producer/consumer/admin overrides connector configs may set: None, Principal or All.").default_value("All"))
        .define(s("access.control.allow.origin", Importance::Low, "CORS allowed origin.").optional())
        .define(s("access.control.allow.methods", Importance::Low, "CORS allowed methods.").optional())
        .define(ConfigKey::new("heartbeat.interval.ms", Type::Int, Importance::Low, "Group heartbeat interval (distributed).").default_value(3000))
        .define(ConfigKey::new("session.timeout.ms", Type::Int, Importance::Low, "Group session timeout (distributed).").default_value(10000))
        .define(ConfigKey::new("rebalance.timeout.ms", Type::Int, Importance::Low, "Group rebalance timeout (distributed).").default_value(60000))
        .define(ConfigKey::new("scheduled.rebalance.max.delay.ms", Type::Int, Importance::Low, "Delay before reassigning a departed worker's work.").default_value(300000))
        .define(s("connect.protocol", Importance::Low, "The Connect group protocol: eager, compatible or sessioned (distributed).").default_value("sessioned").validator(ValidString::in_list(["eager", "compatible", "sessioned"])))
        .define(ConfigKey::new("worker.sync.timeout.ms", Type::Int, Importance::Medium, "How long a worker out of sync with the config topic tries to catch up before leaving the group (distributed).").default_value(3000).validator(Range::at_least(1)))
        .define(s("group.instance.id", Importance::Low, "Static group membership: a bounced worker with the same id keeps its work (distributed).").optional())
        .define(ConfigKey::new("request.timeout.ms", Type::Int, Importance::Low, "How long a request to a broker may take (distributed group membership).").default_value(40000).validator(Range::at_least(1)))
        .define(s("inter.worker.key.generation.algorithm", Importance::Low, "Algorithm of the session key (distributed).").default_value("HmacSHA256").validator(ValidString::in_list(["HmacSHA256"])))
        .define(s("inter.worker.signature.algorithm", Importance::Low, "Algorithm signing internal requests (distributed).").default_value("HmacSHA256").validator(ValidString::in_list(["HmacSHA256"])))
        .define(ConfigKey::new("inter.worker.key.ttl.ms", Type::Int, Importance::Low, "How long a session key lives before the leader rotates it (distributed).").default_value(3600000).validator(Range::between(0, i32::MAX as i64)))
        .define(s("security.protocol", Importance::Medium, "Protocol used to talk to brokers.").default_value("PLAINTEXT"))
        .define(ConfigKey::new("metrics.sample.window.ms", Type::Long, Importance::Low, "The span of one metrics sample window: rates, averages and maxima cover metrics.num.samples of them.").default_value(30000i64).validator(Range::at_least(1)))
        .define(ConfigKey::new("metrics.num.samples", Type::Int, Importance::Low, "How many sample windows rates, averages and maxima cover.").default_value(2).validator(Range::at_least(1)))
        .define(ConfigKey::new("metrics.listeners", Type::List, Importance::Low, "Where GET /metrics is also served, plain HTTP, without the REST API's authentication (e.g. http://:9404); empty: only on the REST listeners.").default_value(""))
        .define(s("log.filter", Importance::Low, "What the worker logs, in RUST_LOG syntax (info,connect_runtime::task=debug); the RUST_LOG environment variable wins over it. Default: info,rdkafka=warn.").optional())
        .define(s("log.format", Importance::Low, "How the worker logs: text, or json (one object per line).").default_value("text").validator(ValidString::in_list(["text", "json"])))
        .define(ConfigKey::new("exit.on.source.eof", Type::Boolean, Importance::Low, "Bounded mode (benchmarks): stop the worker once every source task reported end of input and everything was acknowledged.").default_value(false))
}

/// A parsed worker configuration.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    parsed: ParsedConfig,
    providers: ConfigProviders,
    override_policy: OverridePolicy,
}

impl WorkerConfig {
    /// Parses and checks a worker configuration: bad values fail naming their key;
    /// unknown keys are returned to be logged as warnings.
    pub fn parse(raw: &RawConfig) -> Result<(WorkerConfig, Vec<String>)> {
        Self::parse_with(raw, &[])
    }

    /// [`parse`](Self::parse) with more keys: those of the worker's services. The config
    /// providers it names (`config.providers`) resolve its other values first.
    pub fn parse_with(raw: &RawConfig, extra: &[ConfigDef]) -> Result<(WorkerConfig, Vec<String>)> {
        let mut def = worker_config_def();
        for e in extra {
            for key in e.keys() {
                def = def.define(key.clone());
            }
        }
        let providers = ConfigProviders::from_worker_config(raw)?;
        let resolved = providers.resolve_worker_config(raw)?;
        let parsed = def.parse(&resolved)?;
        let override_policy = OverridePolicy::parse(
            parsed.get_string(OVERRIDE_POLICY_CONFIG).unwrap_or(OverridePolicy::All.name()),
        )?;
        let unknown = raw
            .keys()
            .filter(|k| !def.contains(k) && !CLIENT_PREFIXES.iter().any(|p| k.starts_with(p)))
            .cloned()
            .collect();
        Ok((WorkerConfig { parsed, providers, override_policy }, unknown))
    }

    /// The config providers of `config.providers`, which resolve connector and task
    /// configs when they are used.
    pub fn config_providers(&self) -> &ConfigProviders {
        &self.providers
    }

    /// `connector.client.config.override.policy`.
    pub fn override_policy(&self) -> OverridePolicy {
        self.override_policy
    }

    /// The raw keys as given.
    pub fn originals(&self) -> &RawConfig {
        self.parsed.originals()
    }

    /// The typed values.
    pub fn parsed(&self) -> &ParsedConfig {
        &self.parsed
    }

    fn string(&self, key: &str) -> Option<String> {
        self.parsed.get_string(key).ok().map(str::to_string)
    }

    /// The brokers, or `None` for the embedded broker.
    pub fn bootstrap_servers(&self) -> Option<String> {
        self.parsed.get_list(key_bootstrap()).ok().filter(|l| !l.is_empty()).map(|l| l.join(","))
    }

    /// The standalone offsets file.
    pub fn offset_file(&self) -> Option<PathBuf> {
        self.string("offset.storage.file.filename").filter(|s| !s.is_empty()).map(PathBuf::from)
    }

    /// How often source offsets are committed.
    pub fn offset_flush_interval(&self) -> Duration {
        self.millis("offset.flush.interval.ms", 60_000)
    }

    /// How long a commit may wait for acknowledgements.
    pub fn offset_flush_timeout(&self) -> Duration {
        self.millis("offset.flush.timeout.ms", 5_000)
    }

    /// `topic.creation.enable`: whether source connectors' `topic.creation.*` rules
    /// apply (true unless set to false).
    pub fn topic_creation_enable(&self) -> bool {
        self.parsed.get_bool("topic.creation.enable").unwrap_or(true)
    }

    /// `source.tasks.share.producer`: whether source tasks without producer overrides
    /// share the worker's producer (true unless set to false).
    pub fn source_tasks_share_producer(&self) -> bool {
        self.parsed.get_bool("source.tasks.share.producer").unwrap_or(true)
    }

    /// How long tasks get to stop.
    pub fn graceful_shutdown_timeout(&self) -> Duration {
        self.millis("task.shutdown.graceful.timeout.ms", 5_000)
    }

    fn millis(&self, key: &str, default: i64) -> Duration {
        Duration::from_millis(self.parsed.get_long(key).unwrap_or(default).max(0) as u64)
    }

    /// How far back the metrics' rates, averages and maxima look
    /// (`metrics.sample.window.ms` × `metrics.num.samples`, one minute by default).
    pub fn metrics_window(&self) -> Duration {
        let samples = self.parsed.get_int("metrics.num.samples").unwrap_or(2).max(1) as u32;
        // Any span is valid; one too long for a Duration means "since the start".
        self.millis("metrics.sample.window.ms", 30000).checked_mul(samples).unwrap_or(Duration::MAX)
    }

    /// The extra listeners of `GET /metrics` (`metrics.listeners`).
    pub fn metrics_listeners(&self) -> Vec<String> {
        self.parsed.get_list("metrics.listeners").map(|l| l.to_vec()).unwrap_or_default()
    }

    /// The REST listeners.
    pub fn listeners(&self) -> Vec<String> {
        self.parsed.get_list("listeners").map(|l| l.to_vec()).unwrap_or_default()
    }

    /// A worker-level class setting (`key.converter`, …).
    pub fn class(&self, key: &str) -> String {
        self.parsed.get_class(key).map(str::to_string).unwrap_or_default()
    }

    /// Whether bounded mode is on (`exit.on.source.eof`).
    pub fn exit_on_source_eof(&self) -> bool {
        self.parsed.get_bool("exit.on.source.eof").unwrap_or(false)
    }

    /// Settings for Kafka clients of a kind (`producer`, `consumer`, `admin`): the
    /// security keys shared by all clients, then the kind's prefixed overrides. The Java
    /// TLS keys librdkafka has no equivalent for ([`JAVA_ONLY_SSL_KEYS`], which the REST
    /// listener reads) are left out: librdkafka refuses a client with an unknown key.
    pub fn client_settings(&self, kind: &str) -> RawConfig {
        let mut out = RawConfig::new();
        for (k, v) in self.originals() {
            if JAVA_ONLY_SSL_KEYS.contains(&k.as_str()) {
                continue;
            }
            if k.starts_with("security.") || k.starts_with("sasl.") || k.starts_with("ssl.") {
                out.insert(k.clone(), v.clone());
            }
        }
        out.extend(self.parsed.originals_with_prefix(&format!("{kind}."), true));
        out
    }
}

/// The distributed-mode settings of a worker config (`connect-distributed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributedSettings {
    /// `bootstrap.servers`, split (required).
    pub bootstrap: Vec<String>,
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id`.
    pub group_instance_id: Option<String>,
    /// `config.storage.topic` (one partition, compacted).
    pub config_topic: String,
    /// `offset.storage.topic`.
    pub offset_topic: String,
    /// `status.storage.topic`.
    pub status_topic: String,
    /// `config.storage.replication.factor`.
    pub config_replication: i16,
    /// `offset.storage.replication.factor`.
    pub offset_replication: i16,
    /// `status.storage.replication.factor`.
    pub status_replication: i16,
    /// `offset.storage.partitions`.
    pub offset_partitions: i32,
    /// `status.storage.partitions`.
    pub status_partitions: i32,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `rebalance.timeout.ms`.
    pub rebalance_timeout: Duration,
    /// `scheduled.rebalance.max.delay.ms`.
    pub scheduled_rebalance_max_delay: Duration,
    /// `connect.protocol`: `eager`, `compatible` or `sessioned`.
    pub protocol: String,
    /// `worker.sync.timeout.ms`.
    pub sync_timeout: Duration,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `inter.worker.key.ttl.ms`.
    pub key_ttl: Duration,
}

impl WorkerConfig {
    fn int_millis(&self, key: &str) -> Duration {
        Duration::from_millis(self.parsed.get_int(key).unwrap_or(0).max(0) as u64)
    }

    /// The distributed-mode settings, with Kafka's defaults; fails when a distributed
    /// worker cannot run with them (no `bootstrap.servers`, a heartbeat interval not
    /// below the session timeout).
    pub fn distributed(&self) -> Result<DistributedSettings> {
        let bootstrap: Vec<String> =
            self.parsed.get_list(key_bootstrap()).map(|l| l.to_vec()).unwrap_or_default();
        if bootstrap.is_empty() {
            return Err(ConnectError::config(
                "Missing required configuration \"bootstrap.servers\": a distributed worker needs a Kafka cluster (Apache Kafka, or `connect-mock-broker` for a local try)",
            ));
        }
        let string = |k: &str| self.string(k).unwrap_or_default();
        let short = |k: &str| self.parsed.get_short(k).unwrap_or(3);
        let int = |k: &str| self.parsed.get_int(k).unwrap_or(1);
        let settings = DistributedSettings {
            bootstrap,
            group_id: string("group.id"),
            group_instance_id: self.string("group.instance.id").filter(|s| !s.is_empty()),
            config_topic: string("config.storage.topic"),
            offset_topic: string("offset.storage.topic"),
            status_topic: string("status.storage.topic"),
            config_replication: short("config.storage.replication.factor"),
            offset_replication: short("offset.storage.replication.factor"),
            status_replication: short("status.storage.replication.factor"),
            offset_partitions: int("offset.storage.partitions"),
            status_partitions: int("status.storage.partitions"),
            session_timeout: self.int_millis("session.timeout.ms"),
            heartbeat_interval: self.int_millis("heartbeat.interval.ms"),
            rebalance_timeout: self.int_millis("rebalance.timeout.ms"),
            scheduled_rebalance_max_delay: self.int_millis("scheduled.rebalance.max.delay.ms"),
            protocol: string("connect.protocol").to_ascii_lowercase(),
            sync_timeout: self.int_millis("worker.sync.timeout.ms"),
            request_timeout: self.int_millis("request.timeout.ms"),
            key_ttl: self.int_millis("inter.worker.key.ttl.ms"),
        };
        if settings.group_id.trim().is_empty() {
            return Err(ConnectError::config(
                "Invalid value for configuration group.id: must not be empty",
            ));
        }
        if settings.heartbeat_interval >= settings.session_timeout {
            return Err(ConnectError::config(format!(
                "heartbeat.interval.ms ({} ms) must be lower than session.timeout.ms ({} ms)",
                settings.heartbeat_interval.as_millis(),
                settings.session_timeout.as_millis()
            )));
        }
        let topics = [&settings.config_topic, &settings.offset_topic, &settings.status_topic];
        for (i, t) in topics.iter().enumerate() {
            if topics[..i].contains(t) {
                return Err(ConnectError::config(format!(
                    "config.storage.topic, offset.storage.topic and status.storage.topic must differ; {t} is given twice"
                )));
            }
        }
        Ok(settings)
    }
}

fn key_bootstrap() -> &'static str {
    "bootstrap.servers"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_and_unknown_keys() {
        let (cfg, unknown) = WorkerConfig::parse(&raw(&[
            ("offset.storage.file.filename", "/tmp/x.offsets"),
            ("producer.linger.ms", "5"),
            ("no.such.key", "1"),
        ]))
        .unwrap();
        assert_eq!(cfg.bootstrap_servers(), None);
        assert_eq!(cfg.offset_flush_interval(), Duration::from_secs(60));
        assert_eq!(cfg.class("value.converter"), JSON_CONVERTER);
        assert_eq!(unknown, vec!["no.such.key".to_string()]);
        assert_eq!(cfg.client_settings("producer")["linger.ms"], "5");
    }

    #[test]
    fn java_only_tls_keys_stay_away_from_librdkafka() {
        let (cfg, unknown) = WorkerConfig::parse(&raw(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.truststore.location", "/etc/ca.pem"),
            ("ssl.client.auth", "required"),
            ("ssl.key.password", "pw"),
            ("listeners.https.ssl.keystore.type", "PEM"),
            ("rest.extension.classes", "BasicAuthSecurityRestExtension"),
            ("rest.basic.auth.jaas.config", "/etc/jaas.conf"),
        ]))
        .unwrap();
        assert!(unknown.is_empty(), "{unknown:?}");
        let admin = cfg.client_settings("admin");
        assert_eq!(admin.get("ssl.key.password").map(String::as_str), Some("pw"));
        for k in ["ssl.keystore.type", "ssl.truststore.location", "ssl.client.auth"] {
            assert!(!admin.contains_key(k), "{k} reached librdkafka");
        }
        assert!(!admin.keys().any(|k| k.starts_with("listeners.")));
    }

    #[test]
    fn distributed_settings_have_kafkas_defaults_and_checks() {
        let (cfg, unknown) =
            WorkerConfig::parse(&raw(&[("bootstrap.servers", "k1:9092,k2:9092")])).unwrap();
        assert!(unknown.is_empty());
        let d = cfg.distributed().unwrap();
        assert_eq!(d.bootstrap, vec!["k1:9092", "k2:9092"]);
        assert_eq!(
            (d.group_id.as_str(), d.config_topic.as_str()),
            ("connect-cluster", "connect-configs")
        );
        assert_eq!((d.offset_partitions, d.status_partitions), (25, 5));
        assert_eq!((d.config_replication, d.offset_replication, d.status_replication), (3, 3, 3));
        assert_eq!(d.session_timeout, Duration::from_secs(10));
        assert_eq!(d.heartbeat_interval, Duration::from_secs(3));
        assert_eq!(d.rebalance_timeout, Duration::from_secs(60));
        assert_eq!(d.scheduled_rebalance_max_delay, Duration::from_secs(300));
        assert_eq!(d.protocol, "sessioned");
        assert_eq!(d.sync_timeout, Duration::from_secs(3));
        assert_eq!(d.group_instance_id, None);
        // Kafka's unsync back-off is not implemented: the key is reported, not silently taken.
        let (_, unknown) = WorkerConfig::parse(&raw(&[
            ("bootstrap.servers", "k:1"),
            ("worker.unsync.backoff.ms", "5"),
        ]))
        .unwrap();
        assert_eq!(unknown, vec!["worker.unsync.backoff.ms".to_string()]);
        let none = WorkerConfig::parse(&RawConfig::new()).unwrap().0.distributed().unwrap_err();
        assert!(none.message().contains("bootstrap.servers"), "{none}");
        let e = WorkerConfig::parse(&raw(&[
            ("bootstrap.servers", "k:1"),
            ("connect.protocol", "fast"),
        ]))
        .unwrap_err();
        assert!(e.message().contains("connect.protocol"), "{e}");
        let (cfg, _) = WorkerConfig::parse(&raw(&[
            ("bootstrap.servers", "k:1"),
            ("heartbeat.interval.ms", "10000"),
        ]))
        .unwrap();
        assert!(cfg.distributed().unwrap_err().message().contains("heartbeat.interval.ms"));
        let (cfg, _) = WorkerConfig::parse(&raw(&[
            ("bootstrap.servers", "k:1"),
            ("status.storage.topic", "connect-configs"),
        ]))
        .unwrap();
        assert!(cfg.distributed().unwrap_err().message().contains("connect-configs"));
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = WorkerConfig::parse(&raw(&[
            ("offset.flush.interval.ms", "soon"),
            ("rest.advertised.port", "x"),
        ]))
        .unwrap_err();
        assert!(err.message().contains("offset.flush.interval.ms"), "{}", err.message());
        assert!(err.message().contains("rest.advertised.port"), "{}", err.message());
    }

    #[test]
    fn config_providers_resolve_the_worker_config_but_their_own_keys() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("worker-secrets.properties");
        std::fs::write(&file, "host=connect-1.example\n").unwrap();
        let var = format!("${{file:{}:host}}", file.display());
        let (cfg, unknown) = WorkerConfig::parse(&raw(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "FileConfigProvider"),
            ("config.providers.file.param.allowed.paths", &dir.path().display().to_string()),
            ("rest.advertised.host.name", &var),
        ]))
        .unwrap();
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(
            cfg.parsed().get_string("rest.advertised.host.name").unwrap(),
            "connect-1.example"
        );
        assert_eq!(cfg.config_providers().names(), vec!["file".to_string()]);
        let missing = var.replace(":host}", ":port}");
        let e = WorkerConfig::parse(&raw(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "FileConfigProvider"),
            ("rest.advertised.host.name", &missing),
        ]))
        .unwrap_err();
        assert!(e.message().contains("rest.advertised.host.name"), "{e}");
    }

    #[test]
    fn override_policy_defaults_to_all_and_refuses_unknown_names() {
        use crate::config::override_policy::OverridePolicy;
        let (cfg, _) = WorkerConfig::parse(&RawConfig::new()).unwrap();
        assert_eq!(cfg.override_policy(), OverridePolicy::All);
        let (cfg, _) = WorkerConfig::parse(&raw(&[(
            "connector.client.config.override.policy",
            "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
        )]))
        .unwrap();
        assert_eq!(cfg.override_policy(), OverridePolicy::Principal);
        let e = WorkerConfig::parse(&raw(&[("connector.client.config.override.policy", "Most")]))
            .unwrap_err();
        assert!(e.message().contains("connector.client.config.override.policy"), "{e}");
    }
}
