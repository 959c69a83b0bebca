//! HTTP basic authentication on the REST API, as Kafka's `BasicAuthSecurityRestExtension`
//! does it, turned on the same way:
//!
//! ```properties
//! rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension
//! # the JVM's -Djava.security.auth.login.config; KAFKA_OPTS with that flag works too
//! rest.basic.auth.jaas.config=/etc/kafka/connect_jaas.conf
//! ```
//!
//! The JAAS file's `KafkaConnect` entry names, through `PropertyFileLoginModule`, a
//! properties file of `user: password` (or `user=password`) lines ([`jaas`]).
//!
//! As Kafka's `JaasBasicAuthFilter` and `PropertyFileLoginModule` behave:
//! - every request needs `Authorization: Basic base64(user:password)` matching a line of
//!   the file, except the internal requests workers sign with their session key
//!   (`POST /connectors/{name}/tasks`, `PUT /connectors/{name}/fence`), which their own
//!   signature check guards;
//! - an empty credentials file lets every request through (a warning says so at start);
//! - a refused request gets 401 `User cannot access the resource.`, in this API's error
//!   body, with `WWW-Authenticate: Basic realm="KafkaConnect"` (which HTTP asks of a 401;
//!   Kafka leaves it out).
//!
//! Where Kafka would start and then refuse every request (no `KafkaConnect` entry, no
//! `file` option, an unreadable file), this worker refuses to start, saying why.
//! Passwords are compared in constant time and never logged or shown.

pub mod jaas;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use connect_api::{ConnectError, Result};
use subtle::ConstantTimeEq;
use tracing::{debug, info, warn};

use super::error::ApiError;
use crate::config::worker::WorkerConfig;

/// The worker key listing REST extensions.
pub const REST_EXTENSION_CLASSES: &str = "rest.extension.classes";
/// Kafka's basic authentication extension, the one extension built in.
pub const BASIC_AUTH_EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
/// The message of a refused request (Kafka's).
pub const UNAUTHORIZED_MESSAGE: &str = "User cannot access the resource.";
/// The `WWW-Authenticate` challenge of a 401.
pub const CHALLENGE: &str = "Basic realm=\"KafkaConnect\"";

/// A password, shown as `***` by `Debug`.
#[derive(Clone)]
struct Password(Vec<u8>);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The users and passwords requests are checked against.
#[derive(Clone)]
pub struct BasicAuth {
    file: PathBuf,
    users: HashMap<String, Password>,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("file", &self.file)
            .field("users", &self.users.len())
            .finish()
    }
}

impl BasicAuth {
    /// What `rest.extension.classes` asks of `config`: `None` when it names no extension,
    /// the basic authentication its JAAS file configures when it names Kafka's, and a
    /// refusal for any other class (no other extension is built in). `kafka_opts` is the
    /// `KAFKA_OPTS` environment variable.
    pub fn from_worker(
        config: &WorkerConfig,
        kafka_opts: Option<&str>,
    ) -> Result<Option<BasicAuth>> {
        let classes = config
            .parsed()
            .get_list(REST_EXTENSION_CLASSES)
            .map(|l| l.to_vec())
            .unwrap_or_default();
        let mut basic = false;
        for class in classes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            if class == BASIC_AUTH_EXTENSION || class == "BasicAuthSecurityRestExtension" {
                basic = true;
            } else {
                return Err(ConnectError::config(format!(
                    "Invalid value {class} for configuration {REST_EXTENSION_CLASSES}: unknown REST extension; this worker has {BASIC_AUTH_EXTENSION} only"
                )));
            }
        }
        if !basic {
            return Ok(None);
        }
        let configured = config.parsed().get_string(jaas::JAAS_CONFIG_KEY).ok();
        let (path, from) = jaas::location(configured, kafka_opts).ok_or_else(|| {
            ConnectError::config(format!(
                "{REST_EXTENSION_CLASSES} names {BASIC_AUTH_EXTENSION}, but no JAAS file is given: set {}=/path/to/jaas.conf, or KAFKA_OPTS=-D{}=/path/to/jaas.conf",
                jaas::JAAS_CONFIG_KEY,
                jaas::JAAS_SYSTEM_PROPERTY
            ))
        })?;
        let auth = Self::from_jaas_file(&path).map_err(|e| {
            e.context(format!(
                "basic authentication: the JAAS file {} (from {from})",
                path.display()
            ))
        })?;
        if auth.users.is_empty() {
            warn!(file = %auth.file.display(), "the credentials file is empty: every REST request is let through, as Kafka does");
        } else {
            info!(file = %auth.file.display(), users = auth.users.len(), "REST basic authentication on");
        }
        Ok(Some(auth))
    }

    /// Reads a JAAS file and the credentials file its `KafkaConnect` entry names.
    pub fn from_jaas_file(path: &Path) -> Result<BasicAuth> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConnectError::config(format!("cannot read it: {e}")).with_source(e))?;
        let file = jaas::credentials_file(&jaas::parse(&text)?)?;
        Self::from_credentials_file(&file)
    }

    /// Reads a credentials file: Java properties, a user and a password per line.
    pub fn from_credentials_file(file: &Path) -> Result<BasicAuth> {
        let text = std::fs::read(file).map_err(|e| {
            ConnectError::config(format!(
                "cannot read the credentials file {}: {e}",
                file.display()
            ))
            .with_source(e)
        })?;
        Self::from_credentials(file, &text)
    }

    fn from_credentials(file: &Path, text: &[u8]) -> Result<BasicAuth> {
        // The parser's own error may quote the line, which holds a password: not shown.
        let map = java_properties::read(text).map_err(|_| {
            ConnectError::config(format!(
                "the credentials file {} is not a properties file",
                file.display()
            ))
        })?;
        let users = map.into_iter().map(|(u, p)| (u, Password(p.into_bytes()))).collect();
        Ok(BasicAuth { file: file.to_path_buf(), users })
    }

    /// Whether an `Authorization` header value lets a request through.
    pub fn allows(&self, authorization: Option<&HeaderValue>) -> bool {
        if self.users.is_empty() {
            return true;
        }
        let Some((user, password)) = authorization.and_then(|v| credentials(v.as_bytes())) else {
            debug!("REST request without usable basic credentials refused");
            return false;
        };
        // Every password is compared, in constant time, so that the time taken says
        // nothing about which user exists or how much of a password matched.
        let mut ok = false;
        for (name, expected) in &self.users {
            let matches = bool::from(expected.0.ct_eq(password.as_bytes()));
            ok |= matches & (name == &user);
        }
        if !ok {
            debug!(user = %user, "REST request with wrong credentials refused");
        }
        ok
    }
}

/// The user and password of a `Basic` authorization header, as Kafka's
/// `BasicAuthCredentials` reads it (scheme in any case, the user not empty).
fn credentials(header: &[u8]) -> Option<(String, String)> {
    let header = std::str::from_utf8(header).ok()?;
    let (scheme, rest) = header.split_once(' ')?;
    if scheme.is_empty() || !scheme.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let decoded = String::from_utf8_lossy(&decoded);
    let (user, password) = decoded.split_once(':')?;
    if user.is_empty() {
        return None;
    }
    Some((user.to_string(), password.to_string()))
}

/// Kafka's internal requests, signed by the workers and exempt from basic
/// authentication: `POST /connectors/{name}/tasks` and `PUT /connectors/{name}/fence`.
pub fn is_internal_request(method: &Method, path: &str) -> bool {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["connectors", name, "tasks"] => method == Method::POST && !name.is_empty(),
        ["connectors", name, "fence"] => method == Method::PUT && !name.is_empty(),
        _ => false,
    }
}

/// The middleware: lets through the requests `auth` allows and Kafka's internal ones;
/// answers 401 to the rest.
pub async fn require_basic_auth(
    State(auth): State<Arc<BasicAuth>>,
    request: Request,
    next: Next,
) -> Response {
    if is_internal_request(request.method(), request.uri().path())
        || auth.allows(request.headers().get(header::AUTHORIZATION))
    {
        return next.run(request).await;
    }
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, UNAUTHORIZED_MESSAGE).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE));
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use connect_api::config::RawConfig;

    fn basic(user: &str, password: &str) -> HeaderValue {
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        HeaderValue::from_str(&format!("Basic {b64}")).unwrap()
    }

    fn auth(text: &str) -> BasicAuth {
        BasicAuth::from_credentials(Path::new("creds.properties"), text.as_bytes()).unwrap()
    }

    #[test]
    fn credentials_files_take_colon_equals_and_space_separators() {
        let a = auth("# users\nalice: alice-secret\nbob=bob:secret\ncarol carol-secret\n");
        assert!(a.allows(Some(&basic("alice", "alice-secret"))));
        assert!(a.allows(Some(&basic("bob", "bob:secret"))));
        assert!(a.allows(Some(&basic("carol", "carol-secret"))));
        assert!(!a.allows(Some(&basic("alice", "bob:secret"))));
        assert!(!a.allows(Some(&basic("alice", "alice-secret "))));
        assert!(!a.allows(Some(&basic("mallory", "alice-secret"))));
        assert!(!a.allows(None));
    }

    #[test]
    fn malformed_headers_are_refused_as_kafka_reads_them() {
        let a = auth("alice: pw\n");
        let b64 = base64::engine::general_purpose::STANDARD.encode("alice:pw");
        assert!(a.allows(Some(&HeaderValue::from_str(&format!("bAsIc {b64}")).unwrap())));
        for bad in [
            format!("Bearer {b64}"),
            b64.clone(),
            format!(" {b64}"),
            "Basic !!!".to_string(),
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("alicepw")),
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(":pw")),
        ] {
            assert!(!a.allows(Some(&HeaderValue::from_str(&bad).unwrap())), "{bad}");
        }
    }

    #[test]
    fn an_empty_credentials_file_lets_everything_through() {
        let a = auth("# nobody\n");
        assert!(a.allows(None));
        assert!(a.allows(Some(&basic("anyone", "anything"))));
    }

    #[test]
    fn only_kafkas_signed_internal_requests_are_exempt() {
        assert!(is_internal_request(&Method::POST, "/connectors/my-conn/tasks"));
        assert!(is_internal_request(&Method::POST, "/connectors/my-conn/tasks/"));
        assert!(is_internal_request(&Method::PUT, "/connectors/c/fence"));
        assert!(!is_internal_request(&Method::GET, "/connectors/c/tasks"));
        assert!(!is_internal_request(&Method::POST, "/connectors//tasks"));
        assert!(!is_internal_request(&Method::POST, "/connectors/c/tasks/0/restart"));
        assert!(!is_internal_request(&Method::PUT, "/connectors/c/config"));
        assert!(!is_internal_request(&Method::GET, "/health"));
        assert!(!is_internal_request(&Method::POST, "/connectors"));
    }

    #[test]
    fn debug_never_shows_passwords() {
        let a = auth("alice: very-secret-pw\n");
        let shown = format!("{a:?} {:?}", a.users);
        assert!(!shown.contains("very-secret-pw"), "{shown}");
    }

    fn worker(pairs: &[(&str, &str)]) -> WorkerConfig {
        let raw: RawConfig = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        WorkerConfig::parse(&raw).unwrap().0
    }

    #[test]
    fn the_extension_is_turned_on_by_rest_extension_classes() {
        assert!(BasicAuth::from_worker(&worker(&[]), None).unwrap().is_none());
        let e =
            BasicAuth::from_worker(&worker(&[(REST_EXTENSION_CLASSES, "com.example.Cors")]), None)
                .unwrap_err();
        assert!(
            e.message().contains(
                "Invalid value com.example.Cors for configuration rest.extension.classes"
            ),
            "{e}"
        );
        let e = BasicAuth::from_worker(
            &worker(&[(REST_EXTENSION_CLASSES, BASIC_AUTH_EXTENSION)]),
            None,
        )
        .unwrap_err();
        assert!(e.message().contains("no JAAS file"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("creds.properties");
        std::fs::write(&creds, "alice: pw\n").unwrap();
        let jaas = dir.path().join("jaas.conf");
        std::fs::write(
            &jaas,
            format!(
                "KafkaConnect {{ {} required file=\"{}\"; }};",
                jaas::PROPERTY_FILE_LOGIN_MODULE,
                creds.display()
            ),
        )
        .unwrap();
        let opts = format!("-D{}={}", jaas::JAAS_SYSTEM_PROPERTY, jaas.display());
        let a = BasicAuth::from_worker(
            &worker(&[(REST_EXTENSION_CLASSES, BASIC_AUTH_EXTENSION)]),
            Some(&opts),
        )
        .unwrap()
        .unwrap();
        assert!(a.allows(Some(&basic("alice", "pw"))));
        let missing = dir.path().join("missing.conf");
        let e = BasicAuth::from_worker(
            &worker(&[
                (REST_EXTENSION_CLASSES, BASIC_AUTH_EXTENSION),
                (jaas::JAAS_CONFIG_KEY, missing.to_str().unwrap()),
            ]),
            Some(&opts),
        )
        .unwrap_err();
        assert!(
            e.message().contains("missing.conf") && e.message().contains(jaas::JAAS_CONFIG_KEY),
            "{e}"
        );
        std::fs::remove_file(&creds).unwrap();
        let e = BasicAuth::from_jaas_file(&jaas).unwrap_err();
        assert!(e.message().contains("cannot read the credentials file"), "{e}");
    }
}
