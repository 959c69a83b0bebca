//! Config providers (Kafka's KIP-297, KIP-421, KIP-887, KIP-993): values of the form
//! `${provider:path:key}` or `${provider:key}` are replaced by what the named provider
//! finds. A worker config names its providers:
//!
//! ```properties
//! config.providers=file,dir,env
//! config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
//! config.providers.file.param.allowed.paths=/etc/connect/secrets
//! config.providers.dir.class=DirectoryConfigProvider
//! config.providers.env.class=EnvVarConfigProvider
//! config.providers.env.param.allowlist.pattern=CONNECT_.*
//! ```
//!
//! - `file`: `${file:/path/to/secrets.properties:key}`, the key `key` of a Java
//!   properties file;
//! - `dir`: `${dir:/path/to/dir:name}`, the whole content of the file `name` in a
//!   directory;
//! - `env`: `${env:VAR}` (or `${env::VAR}`), an environment variable.
//!
//! The worker config is resolved at start-up (its `config.providers*` keys apart);
//! connector and task configs are stored with their variables and resolved only when the
//! worker starts the connector or a task ([`ConfigProviders::resolve`]). Task configs a
//! connector builds from resolved values get the variables back before they are stored
//! ([`reverse_transform`]). A variable naming no configured provider stays as written, as
//! in Kafka; one a provider cannot resolve (a missing file or key, a path outside
//! `allowed.paths`) is an error naming the provider, the variable and the config key,
//! never the value.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use regex::Regex;

/// The worker key listing the providers (and the prefix of their settings).
pub const CONFIG_PROVIDERS: &str = "config.providers";

/// Kafka's variable pattern: `${provider:[path:]key}`, each part free of `}`.
static VARIABLE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").ok());

/// One `${provider:path:key}` occurrence in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// The provider's name.
    pub provider: String,
    /// The path (empty when the variable has none).
    pub path: String,
    /// The key looked up at the path.
    pub key: String,
}

impl std::fmt::Display for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "${{{}:{}}}", self.provider, self.key)
        } else {
            write!(f, "${{{}:{}:{}}}", self.provider, self.path, self.key)
        }
    }
}

/// The variables of `value`, in order, with their byte ranges.
fn variables(value: &str) -> Vec<(std::ops::Range<usize>, Variable)> {
    let Some(re) = VARIABLE.as_ref() else { return Vec::new() };
    re.captures_iter(value)
        .filter_map(|c| {
            let whole = c.get(0)?;
            Some((
                whole.range(),
                Variable {
                    provider: c.get(1)?.as_str().to_string(),
                    path: c.get(3).map_or("", |m| m.as_str()).to_string(),
                    key: c.get(4)?.as_str().to_string(),
                },
            ))
        })
        .collect()
}

/// Whether `value` holds at least one `${…:…}` variable.
pub fn has_variables(value: &str) -> bool {
    VARIABLE.as_ref().is_some_and(|re| re.is_match(value))
}

/// Kafka's reverse transform of task configs: a task config key that the connector's
/// raw config also has, with a variable in its value, gets that raw value back, so the
/// stored (and shown) task configs hold `${…}` rather than what it resolved to.
pub fn reverse_transform(raw_connector: &RawConfig, tasks: Vec<RawConfig>) -> Vec<RawConfig> {
    let with_variables: Vec<(&String, &String)> =
        raw_connector.iter().filter(|(_, v)| has_variables(v)).collect();
    if with_variables.is_empty() {
        return tasks;
    }
    tasks
        .into_iter()
        .map(|mut task| {
            for (k, v) in &with_variables {
                if let Some(slot) = task.get_mut(*k) {
                    slot.clone_from(v);
                }
            }
            task
        })
        .collect()
}

/// One configured provider.
#[derive(Debug, Clone)]
enum Provider {
    /// `FileConfigProvider`: keys of Java properties files.
    File { allowed: Option<Vec<PathBuf>> },
    /// `DirectoryConfigProvider`: whole files of a directory.
    Directory { allowed: Option<Vec<PathBuf>> },
    /// `EnvVarConfigProvider`: environment variables matching the allowlist.
    Env { allowlist: Option<Regex> },
}

/// The providers a worker config names; cheap to clone, holds no secret.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

/// `path` with `.` and `..` taken out, without touching the file system (Java's
/// `Path.normalize`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Parses `allowed.paths`: absolute paths that exist, comma-separated; `None` (every
/// path allowed) when unset or empty.
fn allowed_paths(name: &str, params: &RawConfig) -> Result<Option<Vec<PathBuf>>> {
    let Some(list) = params.get("allowed.paths").filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let key = format!("{CONFIG_PROVIDERS}.{name}.param.allowed.paths");
    list.split(',')
        .map(|p| {
            let path = normalize(Path::new(p.trim()));
            if !path.is_absolute() {
                Err(ConnectError::config(format!(
                    "Invalid value {list} for configuration {key}: Path {} is not absolute",
                    path.display()
                )))
            } else if !path.exists() {
                Err(ConnectError::config(format!(
                    "Invalid value {list} for configuration {key}: Path {} does not exist",
                    path.display()
                )))
            } else {
                Ok(path)
            }
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// The path a variable names, if `allowed` lets it be read.
fn permitted(allowed: &Option<Vec<PathBuf>>, path: &str) -> std::result::Result<PathBuf, String> {
    let parsed = Path::new(path);
    match allowed {
        None => Ok(parsed.to_path_buf()),
        Some(list) => {
            let normalized = normalize(parsed);
            if list.iter().any(|a| normalized.starts_with(a)) {
                Ok(normalized)
            } else {
                Err(format!("the path {path} is not in the provider's allowed.paths"))
            }
        }
    }
}

impl Provider {
    /// Builds the provider of `class` (Kafka's class name or its simple name).
    fn new(name: &str, class: &str, params: &RawConfig) -> Result<Provider> {
        let simple = class.trim().rsplit('.').next().unwrap_or_default();
        match simple {
            "FileConfigProvider" => Ok(Provider::File { allowed: allowed_paths(name, params)? }),
            "DirectoryConfigProvider" => {
                Ok(Provider::Directory { allowed: allowed_paths(name, params)? })
            }
            "EnvVarConfigProvider" => {
                let allowlist = match params.get("allowlist.pattern") {
                    None => None,
                    Some(p) => Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                        ConnectError::config(format!(
                            "Invalid value {p} for configuration {CONFIG_PROVIDERS}.{name}.param.allowlist.pattern: {e}"
                        ))
                    })?),
                };
                Ok(Provider::Env { allowlist })
            }
            _ => Err(ConnectError::config(format!(
                "Invalid value {class} for configuration {CONFIG_PROVIDERS}.{name}.class: not a known config provider (FileConfigProvider, DirectoryConfigProvider or EnvVarConfigProvider)"
            ))),
        }
    }

    /// The value of `var`, or why there is none (the reason never holds a value).
    fn lookup(&self, var: &Variable) -> std::result::Result<String, String> {
        match self {
            Provider::File { allowed } => {
                if var.path.is_empty() {
                    return Err("no properties file named".into());
                }
                let path = permitted(allowed, &var.path)?;
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!("could not read properties from file {}: {e}", var.path)
                })?;
                let props = java_properties::read(text.as_bytes()).map_err(|e| {
                    format!("could not read properties from file {}: {e}", var.path)
                })?;
                props
                    .get(&var.key)
                    .cloned()
                    .ok_or_else(|| format!("the file {} has no key {}", var.path, var.key))
            }
            Provider::Directory { allowed } => {
                if var.path.is_empty() {
                    return Err("no directory named".into());
                }
                let dir = permitted(allowed, &var.path)?;
                if !dir.is_dir() {
                    return Err(format!("{} is not a directory", var.path));
                }
                let plain = Path::new(&var.key).components().count() == 1
                    && matches!(
                        Path::new(&var.key).components().next(),
                        Some(Component::Normal(_))
                    );
                let file = dir.join(&var.key);
                if !plain || !file.is_file() {
                    return Err(format!("the directory {} has no file {}", var.path, var.key));
                }
                std::fs::read_to_string(&file).map_err(|e| {
                    format!("could not read file {} for property {}: {e}", file.display(), var.key)
                })
            }
            Provider::Env { allowlist } => {
                if !var.path.is_empty() {
                    return Err(format!(
                        "Path is not supported for EnvVarConfigProvider, invalid value '{}'",
                        var.path
                    ));
                }
                if allowlist.as_ref().is_some_and(|re| !re.is_match(&var.key)) {
                    return Err(format!(
                        "the environment variable {} does not match the provider's allowlist.pattern",
                        var.key
                    ));
                }
                std::env::var(&var.key)
                    .map_err(|_| format!("no environment variable {} is set", var.key))
            }
        }
    }
}

impl ConfigProviders {
    /// No providers: every value stays as written.
    pub fn none() -> Self {
        Self::default()
    }

    /// The providers a worker config names in `config.providers`, each built from
    /// `config.providers.<name>.class` and its `config.providers.<name>.param.*`. A name
    /// without a class is skipped (its variables stay as written, as in Kafka); an
    /// unknown class or a bad parameter fails naming its key.
    pub fn from_worker_config(raw: &RawConfig) -> Result<Self> {
        let mut providers = BTreeMap::new();
        let Some(list) = raw.get(CONFIG_PROVIDERS) else { return Ok(Self::none()) };
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let Some(class) = raw.get(&format!("{CONFIG_PROVIDERS}.{name}.class")) else {
                tracing::warn!(
                    provider = name,
                    "config provider listed in config.providers has no class: its variables stay as written"
                );
                continue;
            };
            let prefix = format!("{CONFIG_PROVIDERS}.{name}.param.");
            let params: RawConfig = raw
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|p| (p.to_string(), v.clone())))
                .collect();
            providers.insert(name.to_string(), Provider::new(name, class, &params)?);
        }
        Ok(ConfigProviders { providers })
    }

    /// Whether no provider is configured.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The names of the configured providers.
    pub fn names(&self) -> Vec<String> {
        self.providers.keys().cloned().collect()
    }

    /// `value` with its variables replaced; `key` is the config key, for errors.
    pub fn resolve_value(&self, key: &str, value: &str) -> Result<String> {
        let vars = variables(value);
        if vars.is_empty() {
            return Ok(value.to_string());
        }
        let mut out = String::with_capacity(value.len());
        let mut at = 0;
        for (range, var) in vars {
            let Some(provider) = self.providers.get(&var.provider) else {
                continue;
            };
            let found = provider.lookup(&var).map_err(|reason| {
                ConnectError::config(format!(
                    "Cannot resolve {var} in configuration {key} with config provider '{}': {reason}",
                    var.provider
                ))
            })?;
            out.push_str(&value[at..range.start]);
            out.push_str(&found);
            at = range.end;
        }
        out.push_str(&value[at..]);
        Ok(out)
    }

    /// `config` with every variable resolved: what a connector or task is started with.
    /// The first value that cannot be resolved fails it.
    pub fn resolve(&self, config: &RawConfig) -> Result<RawConfig> {
        if self.providers.is_empty() {
            return Ok(config.clone());
        }
        config.iter().map(|(k, v)| Ok((k.clone(), self.resolve_value(k, v)?))).collect()
    }

    /// [`resolve`](Self::resolve) that keeps a value as written when it cannot be
    /// resolved (validation at creation: the connector fails at start instead).
    pub fn resolve_lenient(&self, config: &RawConfig) -> RawConfig {
        config
            .iter()
            .map(|(k, v)| (k.clone(), self.resolve_value(k, v).unwrap_or_else(|_| v.clone())))
            .collect()
    }

    /// A worker config resolved at start-up: every key but `config.providers*`.
    pub fn resolve_worker_config(&self, raw: &RawConfig) -> Result<RawConfig> {
        raw.iter()
            .map(|(k, v)| {
                if k.starts_with(CONFIG_PROVIDERS) {
                    Ok((k.clone(), v.clone()))
                } else {
                    Ok((k.clone(), self.resolve_value(k, v)?))
                }
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[path = "providers_tests.rs"]
mod tests;
