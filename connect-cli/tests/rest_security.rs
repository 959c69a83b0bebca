//! The REST API behind TLS and basic authentication, on the real `connect-standalone`
//! binary (its embedded broker): https listeners with a CA made here, client
//! certificates, inline PEM keys, the refusal of JKS keystores, and Kafka's basic
//! authentication extension.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/pki.rs"]
mod pki;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use pki::{Pki, client_builder, inline, write};
use serde_json::{Value, json};
use support::free_port;

/// A `connect-standalone` process, killed when dropped.
struct Standalone {
    child: Child,
    log: PathBuf,
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Standalone {
    /// Starts the binary in `dir` with `worker` as its worker config (an offsets file is
    /// added; no `bootstrap.servers`: the embedded broker) and `env` set.
    fn start(dir: &Path, worker: &str, env: &[(&str, &str)]) -> Standalone {
        let props = write(
            dir,
            "worker.properties",
            &format!("offset.storage.file.filename={}\n{worker}\n", dir.join("offsets").display()),
        );
        let log = dir.join("worker.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_connect-standalone"));
        cmd.arg(&props).env_remove("KAFKA_OPTS").env("RUST_LOG", "debug,rdkafka=warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child =
            cmd.stdout(Stdio::null()).stderr(std::fs::File::create(&log).unwrap()).spawn().unwrap();
        Standalone { child, log }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `client` gets an answer (any status) from `url`.
    async fn wait_for(&mut self, client: &reqwest::Client, url: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if client.get(url).send().await.is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the worker exited ({status}) before serving {url}:\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "{url} not served within 60 s:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits for the process to exit; its exit code and log.
    fn exit(&mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (status.code(), self.log_text());
            }
            assert!(Instant::now() < deadline, "the worker did not exit:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn file_source(dir: &Path, name: &str) -> Value {
    std::fs::write(dir.join("input.txt"), "a\nb\n").unwrap();
    json!({"name": name, "config": {
        "connector.class": "FileStreamSource",
        "file": dir.join("input.txt").display().to_string(),
        "topic": format!("{name}-topic"),
    }})
}

#[tokio::test]
async fn https_listeners_serve_clients_that_trust_the_ca_and_only_them() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("test CA");
    let keystore = write(dir.path(), "server.pem", &pki.server().combined());
    let (tls_port, plain_port) = (free_port(), free_port());
    let mut worker = Standalone::start(
        dir.path(),
        &format!(
            "listeners=https://127.0.0.1:{tls_port},http://127.0.0.1:{plain_port}\n\
             listeners.https.ssl.keystore.type=PEM\n\
             listeners.https.ssl.keystore.location={}\n",
            keystore.display()
        ),
        &[],
    );
    let base = format!("https://127.0.0.1:{tls_port}");
    let client = pki.trusting_client();
    worker.wait_for(&client, &format!("{base}/")).await;

    let root = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(root.status(), 200);
    assert!(root.json::<Value>().await.unwrap()["version"].is_string());
    let created = client
        .post(format!("{base}/connectors"))
        .json(&file_source(dir.path(), "tls-src"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let list: Value =
        client.get(format!("{base}/connectors")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list, json!(["tls-src"]));

    // A client that does not trust the CA fails the handshake.
    let untrusting = client_builder().build().unwrap();
    let err = untrusting.get(format!("{base}/")).send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(format!("{err:?}").contains("UnknownIssuer"), "{err:?}");
    // Plain HTTP to the https port gets no answer.
    assert!(reqwest::get(format!("http://127.0.0.1:{tls_port}/")).await.is_err());
    // The http listener of the same list serves the same API.
    let plain: Value = reqwest::get(format!("http://127.0.0.1:{plain_port}/connectors"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plain, json!(["tls-src"]));
    // The failed handshakes were logged, and the server goes on serving.
    assert!(worker.log_text().contains("TLS handshake failed"), "{}", worker.log_text());
    assert_eq!(client.get(format!("{base}/")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn required_client_certificates_must_be_signed_by_the_truststore() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("test CA");
    let keystore = write(dir.path(), "server.pem", &pki.server().combined());
    let truststore = write(dir.path(), "ca.pem", &pki.ca_pem);
    let port = free_port();
    // The bare ssl.* keys, as Kafka reads them when no listeners.https.* key is set.
    let mut worker = Standalone::start(
        dir.path(),
        &format!(
            "listeners=https://127.0.0.1:{port}\nssl.keystore.type=PEM\nssl.keystore.location={}\n\
             ssl.truststore.type=PEM\nssl.truststore.location={}\nssl.client.auth=required\n",
            keystore.display(),
            truststore.display()
        ),
        &[],
    );
    let url = format!("https://127.0.0.1:{port}/");
    let with_cert = client_builder()
        .add_root_certificate(pki.root())
        .identity(pki.client("alice").identity())
        .build()
        .unwrap();
    worker.wait_for(&with_cert, &url).await;
    assert_eq!(with_cert.get(&url).send().await.unwrap().status(), 200);

    let without = pki.trusting_client();
    assert!(without.get(&url).send().await.is_err(), "a client without a certificate was served");
    let stranger = Pki::new("another CA");
    let foreign = client_builder()
        .add_root_certificate(pki.root())
        .identity(stranger.client("mallory").identity())
        .build()
        .unwrap();
    assert!(foreign.get(&url).send().await.is_err(), "a certificate of another CA was accepted");
    assert_eq!(with_cert.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn inline_pem_keys_serve_and_jks_keystores_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("test CA");
    let server = pki.server();
    let port = free_port();
    let mut worker = Standalone::start(
        dir.path(),
        &format!(
            "listeners=https://127.0.0.1:{port}\nlisteners.https.ssl.keystore.type=PEM\n\
             listeners.https.ssl.keystore.key={}\nlisteners.https.ssl.keystore.certificate.chain={}\n",
            inline(&server.key_pem),
            inline(&server.cert_pem)
        ),
        &[],
    );
    let client = pki.trusting_client();
    let url = format!("https://127.0.0.1:{port}/connectors");
    worker.wait_for(&client, &url).await;
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    drop(worker);

    // Kafka's default keystore type, JKS: the worker says what to do and exits non-zero.
    let jks_dir = tempfile::tempdir().unwrap();
    let mut refused = Standalone::start(
        jks_dir.path(),
        &format!(
            "listeners=https://127.0.0.1:{}\nlisteners.https.ssl.keystore.location=/etc/kafka/connect.keystore.jks\n\
             listeners.https.ssl.keystore.password=changeit\n",
            free_port()
        ),
        &[],
    );
    let (code, log) = refused.exit();
    assert_ne!(code, Some(0), "{log}");
    assert!(
        log.contains(
            "Invalid value JKS (Kafka's default) for configuration listeners.https.ssl.keystore.type"
        ) && log.contains("PEM"),
        "{log}"
    );
    assert!(!log.contains("changeit"), "the keystore password was logged: {log}");
    let p12_dir = tempfile::tempdir().unwrap();
    let mut refused = Standalone::start(
        p12_dir.path(),
        &format!(
            "listeners=https://127.0.0.1:{}\nssl.keystore.type=PKCS12\nssl.keystore.location=/k.p12\n",
            free_port()
        ),
        &[],
    );
    let (code, log) = refused.exit();
    assert_ne!(code, Some(0), "{log}");
    assert!(log.contains("Invalid value PKCS12 for configuration ssl.keystore.type"), "{log}");
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test]
async fn basic_auth_refuses_wrong_credentials_everywhere_but_the_signed_internal_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let password = "Tr0ub4dor-and-3-more";
    let creds = write(
        dir.path(),
        "credentials.properties",
        &format!("admin: {password}\nreader=other-pw\n"),
    );
    let jaas = write(
        dir.path(),
        "connect_jaas.conf",
        &format!(
            "KafkaConnect {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"{}\";\n}};\n",
            creds.display()
        ),
    );
    let port = free_port();
    // The JAAS file as operators give it to Kafka: through KAFKA_OPTS.
    let opts = format!("-Xmx512m -Djava.security.auth.login.config={}", jaas.display());
    let mut worker = Standalone::start(
        dir.path(),
        &format!(
            "listeners=http://127.0.0.1:{port}\nrest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension\n"
        ),
        &[("KAFKA_OPTS", &opts)],
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    worker.wait_for(&client, &format!("{base}/")).await;

    for (path, method) in [
        ("/", reqwest::Method::GET),
        ("/connectors", reqwest::Method::GET),
        ("/health", reqwest::Method::GET),
        ("/admin/loggers", reqwest::Method::GET),
        ("/connectors/x/tasks", reqwest::Method::GET),
        ("/connector-plugins", reqwest::Method::GET),
        ("/no/such/route", reqwest::Method::GET),
    ] {
        for auth in [None, Some(basic("admin", "wrong")), Some(basic("nobody", password))] {
            let mut req = client.request(method.clone(), format!("{base}{path}"));
            if let Some(a) = &auth {
                req = req.header("authorization", a);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401, "{method} {path} with {auth:?}");
            assert_eq!(
                resp.headers()["www-authenticate"].to_str().unwrap(),
                "Basic realm=\"KafkaConnect\""
            );
            let body: Value = resp.json().await.unwrap();
            assert_eq!(
                body,
                json!({"error_code": 401, "message": "User cannot access the resource."})
            );
        }
    }
    let ok =
        client.get(format!("{base}/connectors")).header("authorization", basic("admin", password));
    assert_eq!(ok.send().await.unwrap().status(), 200);
    let created = client
        .post(format!("{base}/connectors"))
        .header("authorization", basic("reader", "other-pw"))
        .json(&file_source(dir.path(), "auth-src"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    // Kafka's signed internal request passes basic authentication and meets its own
    // check: a standalone worker has no cluster to take task configs for.
    let internal = client
        .post(format!("{base}/connectors/auth-src/tasks"))
        .json(&json!([{"k": "v"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(internal.status(), 404);
    let body: Value = internal.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("standalone"), "{body}");

    let log = worker.log_text();
    assert!(log.contains("REST basic authentication on"), "{log}");
    assert!(!log.contains(password), "the password was logged:\n{log}");
    assert!(!log.contains(&basic("admin", password)), "the credentials were logged:\n{log}");
}

#[tokio::test]
async fn an_unknown_rest_extension_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut worker = Standalone::start(
        dir.path(),
        &format!(
            "listeners=http://127.0.0.1:{}\nrest.extension.classes=com.example.MyFilter\n",
            free_port()
        ),
        &[],
    );
    let (code, log) = worker.exit();
    assert_ne!(code, Some(0), "{log}");
    assert!(
        log.contains("Invalid value com.example.MyFilter for configuration rest.extension.classes"),
        "{log}"
    );
}
