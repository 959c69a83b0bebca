//! Config providers on the shipped `connect-standalone` binary (embedded broker): the
//! worker config and two connectors take `${file:…}` and `${dir:…}` variables; data flows
//! through what they resolve to, while REST and the stored configs only ever show the
//! variables; one that cannot be resolved fails its connector, naming provider and key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Kills the worker when the test ends, however it ends.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn append(path: &Path, lines: &[&str]) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|s| s.lines().count()).unwrap_or(0)
}

async fn wait_for<T>(what: &str, timeout: Duration, mut done: impl AsyncFnMut() -> Option<T>) -> T {
    let t0 = Instant::now();
    loop {
        if let Some(v) = done().await {
            return v;
        }
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_resolve_at_use_and_rest_shows_them_unresolved() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets");
    std::fs::create_dir(&secrets).unwrap();
    // What the variables resolve to: paths named so that a leak is easy to spot.
    let input = dir.path().join("in-resolved-secret.txt");
    let output = dir.path().join("out-resolved-secret.txt");
    let props = secrets.join("connect.properties");
    std::fs::write(&props, format!("input.path={}\nflush.ms=100\n", input.display())).unwrap();
    std::fs::write(secrets.join("sink-path"), output.display().to_string()).unwrap();
    let input_var = format!("${{file:{}:input.path}}", props.display());
    let output_var = format!("${{dir:{}:sink-path}}", secrets.display());
    append(&input, &["a1", "a2", "a3"]);

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let offsets = dir.path().join("offsets");
    std::fs::write(
        dir.path().join("worker.properties"),
        format!(
            "listeners=http://127.0.0.1:{port}\n\
             config.providers=file,dir\n\
             config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n\
             config.providers.file.param.allowed.paths={secrets}\n\
             config.providers.dir.class=DirectoryConfigProvider\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={offsets}\n\
             offset.flush.interval.ms=${{file:{props}:flush.ms}}\n",
            secrets = secrets.display(),
            offsets = offsets.display(),
            props = props.display(),
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("source.properties"),
        format!(
            "name=src\nconnector.class=FileStreamSource\nfile={input_var}\ntopic=secret-lines\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sink.properties"),
        format!(
            "name=sink\nconnector.class=FileStreamSink\nfile={output_var}\ntopics=secret-lines\n"
        ),
    )
    .unwrap();
    let log = dir.path().join("worker.log");
    let _worker = Worker(
        Command::new(env!("CARGO_BIN_EXE_connect-standalone"))
            .arg(dir.path().join("worker.properties"))
            .arg(dir.path().join("source.properties"))
            .arg(dir.path().join("sink.properties"))
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let get = async |path: &str| -> (u16, String) {
        match http.get(format!("{base}{path}")).send().await {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(_) => (0, String::new()),
        }
    };

    // Data flows from the resolved input file to the resolved output file.
    wait_for("the 3 lines in the sink's file", Duration::from_secs(60), async || {
        (lines(&output) >= 3).then_some(())
    })
    .await;
    append(&input, &["b1"]);
    wait_for("the 4th line", Duration::from_secs(30), async || (lines(&output) >= 4).then_some(()))
        .await;

    // REST shows the variables, never what they resolve to.
    for (path, key, var) in [
        ("/connectors/src/config", "/file", &input_var),
        ("/connectors/src", "/config/file", &input_var),
        ("/connectors/src/tasks", "/0/config/file", &input_var),
        ("/connectors/sink/config", "/file", &output_var),
        ("/connectors/sink/tasks", "/0/config/file", &output_var),
    ] {
        let (status, text) = get(path).await;
        assert_eq!(status, 200, "{path}: {text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body.pointer(key).and_then(Value::as_str), Some(var.as_str()), "{path}: {text}");
        assert!(!text.contains("resolved-secret"), "{path} shows a resolved value: {text}");
    }
    // So does the standalone config store beside the offsets file.
    let stored = std::fs::read_to_string(dir.path().join("offsets.connectors.json")).unwrap();
    assert!(stored.contains("${file:") && !stored.contains("resolved-secret"), "{stored}");

    // A variable the provider cannot resolve fails the connector (not its creation),
    // naming the provider and the key, not the value.
    let bad = http
        .post(format!("{base}/connectors"))
        .json(&serde_json::json!({"name": "bad", "config": {
            "connector.class": "FileStreamSource",
            "file": format!("${{file:{}:no.such.key}}", props.display()),
            "topic": "t",
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 201, "{}", bad.text().await.unwrap());
    let trace = wait_for("bad to be FAILED", Duration::from_secs(30), async || {
        let (_, text) = get("/connectors/bad/status").await;
        let v: Value = serde_json::from_str(&text).ok()?;
        (v["connector"]["state"] == "FAILED").then(|| v["connector"]["trace"].to_string())
    })
    .await;
    assert!(trace.contains("'file'") && trace.contains("no.such.key"), "{trace}");
    assert!(!trace.contains("resolved-secret"), "{trace}");
    let logged = std::fs::read_to_string(&log).unwrap();
    // The runtime never logs a resolved value (the FileStream connectors log their own
    // `file` setting, as Kafka's do: that is theirs to decide).
    let leaks: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("resolved-secret") && !l.contains(" connect_file::"))
        .collect();
    assert!(leaks.is_empty(), "the runtime logs a resolved value: {leaks:#?}");
}
