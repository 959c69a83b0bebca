//! A FileStreamSource moved from Java Kafka Connect's standalone worker to ours and back,
//! on one offsets file and the same Apache Kafka topic: each worker resumes where the other
//! stopped, so the topic holds every line once, in order. The Java worker writes its offsets
//! file with Java serialization; ours reads it and writes it back in that form.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The runtime's test helpers, shared rather than copied.
#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

fn consumer() -> BaseConsumer {
    rdkafka::ClientConfig::new()
        .set("bootstrap.servers", common::bootstrap())
        .set("group.id", common::unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap()
}

fn high_watermark(topic: &str) -> i64 {
    consumer().fetch_watermarks(topic, 0, Duration::from_secs(10)).map(|(_, h)| h).unwrap_or(0)
}

fn wait_for_watermark(topic: &str, want: i64, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while high_watermark(topic) < want {
        assert!(
            Instant::now() < deadline,
            "{topic} holds {} of {want} records; log:\n{}",
            high_watermark(topic),
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every value of the topic's one partition, from the start to the high watermark.
fn values(topic: &str) -> Vec<String> {
    let c = consumer();
    let high = high_watermark(topic);
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning).unwrap();
    c.assign(&tpl).unwrap();
    drop(tpl);
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while (out.len() as i64) < high {
        assert!(Instant::now() < deadline, "read {} of {high}", out.len());
        if let Some(m) = c.poll(Duration::from_millis(200)) {
            let m = m.unwrap();
            out.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
        }
    }
    out
}

fn append_lines(path: &Path, range: std::ops::Range<usize>) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    for i in range {
        writeln!(f, "line {i}").unwrap();
    }
}

fn stop(mut child: Child, what: &str) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "{what} did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run_java(dir: &Path, tag: &str) -> Child {
    let log = std::fs::File::create(dir.join(format!("java-{tag}.log"))).unwrap();
    common::java_command()
        .arg("org.apache.kafka.connect.cli.ConnectStandalone")
        .arg(dir.join("java-worker.properties"))
        .arg(dir.join("source.properties"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("cannot run java")
}

#[test]
fn a_file_source_moves_from_java_kafka_connect_to_ours_and_back_without_loss_or_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let (input, offsets) = (dir.path().join("in.txt"), dir.path().join("connect.offsets"));
    let topic = common::unique("moved");
    let worker = |listeners: &str, extra: &str| {
        format!(
            "bootstrap.servers={}\nlisteners={listeners}\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=500\n{extra}",
            common::bootstrap(),
            offsets.display()
        )
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(
        dir.path().join("java-worker.properties"),
        worker(&format!("http://127.0.0.1:{port}"), ""),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ours-worker.properties"),
        worker("http://127.0.0.1:0", "exit.on.source.eof=true\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("source.properties"),
        format!(
            "name=moving-source\nconnector.class=org.apache.kafka.connect.file.FileStreamSourceConnector\n\
             tasks.max=1\nfile={}\ntopic={topic}\n",
            input.display()
        ),
    )
    .unwrap();

    // 1. Java reads the first 100 lines and stops cleanly (committing its offsets).
    append_lines(&input, 0..100);
    let java = run_java(dir.path(), "1");
    wait_for_watermark(&topic, 100, &dir.path().join("java-1.log"));
    stop(java, "Java Kafka Connect");
    let bytes = std::fs::read(&offsets).unwrap();
    assert!(
        bytes.starts_with(&[0xAC, 0xED]),
        "the Java worker's offsets file is not Java-serialized"
    );

    // 2. Ours resumes from Java's position, reads 50 more lines and exits at their end
    //    (bounded mode), writing the file back in Java's form.
    append_lines(&input, 100..150);
    let ours_log = dir.path().join("ours.log");
    let status = Command::new(env!("CARGO_BIN_EXE_connect-standalone"))
        .arg(dir.path().join("ours-worker.properties"))
        .arg(dir.path().join("source.properties"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&ours_log).unwrap())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "ours exited with {status}: {}",
        std::fs::read_to_string(&ours_log).unwrap()
    );
    assert_eq!(high_watermark(&topic), 150, "{}", std::fs::read_to_string(&ours_log).unwrap());
    let bytes = std::fs::read(&offsets).unwrap();
    assert!(bytes.starts_with(&[0xAC, 0xED]), "ours did not keep the offsets file in Java's form");

    // 3. Java resumes from our position.
    append_lines(&input, 150..175);
    let java = run_java(dir.path(), "2");
    wait_for_watermark(&topic, 175, &dir.path().join("java-2.log"));
    stop(java, "Java Kafka Connect");

    let expected: Vec<String> = (0..175).map(|i| format!("line {i}")).collect();
    assert_eq!(values(&topic), expected);
}
