//! kill -9 of a worker mid-stream, then a restart: nothing lost, and the source resumes
//! from its committed position. Runs the real `connect-standalone` binary against the
//! real broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

fn spawn_worker(dir: &Path, tag: &str) -> Child {
    let log = std::fs::File::create(dir.join(format!("worker-{tag}.log"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_connect-standalone"))
        .arg(dir.join("worker.properties"))
        .arg(dir.join("source.properties"))
        .arg(dir.join("sink.properties"))
        .env("RUST_LOG", "info,rdkafka=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn committed_position(offsets: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(offsets).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.as_object()?.values().find_map(|o| o.get("position")?.as_u64())
}

/// Every value in the topic (one partition), read without a consumer group up to the
/// high watermark.
fn topic_values(topic: &str) -> Vec<String> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let (_, high) = consumer.fetch_watermarks(topic, 0, Duration::from_secs(10)).unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning).unwrap();
    consumer.assign(&tpl).unwrap();
    drop(tpl);
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while (out.len() as i64) < high {
        assert!(std::time::Instant::now() < deadline, "read {} of {high} records", out.len());
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                out.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned())
            }
            Some(Err(e)) => panic!("consumer error: {e}"),
            None => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_restarts_without_losing_lines_and_source_resumes_from_committed_position() {
    const LINES: usize = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let offsets = dir.path().join("connect.offsets");
    // The input grows while the worker runs, so the kill lands mid-stream.
    write_lines(&input, 0, 1000);
    let writer_input = input.clone();
    let writer = std::thread::spawn(move || {
        for chunk in 1..LINES / 1000 {
            std::thread::sleep(Duration::from_millis(100));
            write_lines(&writer_input, chunk * 1000, 1000);
        }
    });
    let topic = unique("crash");
    std::fs::write(
        dir.path().join("worker.properties"),
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:0\noffset.storage.file.filename={}\noffset.flush.interval.ms=200\nconsumer.session.timeout.ms=10000\nconsumer.group.instance.id={}\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n",
            bootstrap(),
            offsets.display(),
            unique("static-member"),
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("source.properties"),
        format!(
            "name={}\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\nbatch.size=500\n",
            unique("src"),
            input.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sink.properties"),
        format!(
            "name={}\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n",
            unique("sink"),
            output.display()
        ),
    )
    .unwrap();

    // tansu 0.6.0 never expires a group member that died without a LeaveGroup (measured:
    // a consumer killed with SIGKILL keeps its partitions past session.timeout.ms, so the
    // restarted worker's consumer is assigned nothing). Static membership lets the
    // restarted consumer take the dead member's place at once, which is also what an
    // operator would configure (consumer.group.instance.id) for fast restarts on Kafka.
    let mut first = spawn_worker(dir.path(), "1");
    wait_for(Duration::from_secs(120), "a committed source position and some sink output", || {
        committed_position(&offsets).is_some_and(|p| p > 0) && line_count(&output) > 1000
    })
    .await;
    first.kill().unwrap(); // SIGKILL: no graceful shutdown, no final commit
    first.wait().unwrap();
    let position = committed_position(&offsets).unwrap();
    let length_at_kill = std::fs::metadata(&input).unwrap().len();
    writer.join().unwrap();
    let input_bytes = std::fs::read(&input).unwrap();
    let killed_at_end = position as usize >= input_bytes.len();
    let lines_before_position =
        input_bytes[..position as usize].iter().filter(|b| **b == b'\n').count();

    let mut second = spawn_worker(dir.path(), "2");
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    loop {
        let text = std::fs::read_to_string(&output).unwrap_or_default();
        let have: std::collections::HashSet<&str> = text.lines().collect();
        if have.len() >= LINES {
            break;
        }
        if std::time::Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.path().join("worker-2.log")).unwrap_or_default();
            second.kill().unwrap();
            panic!(
                "after restart only {} distinct lines of {LINES} reached the sink; worker log:\n{log}",
                have.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();

    let input_text = String::from_utf8(input_bytes).unwrap();
    let output_text = std::fs::read_to_string(&output).unwrap();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for l in output_text.lines() {
        *counts.entry(l).or_default() += 1;
    }
    for l in input_text.lines() {
        assert!(counts.contains_key(l), "line lost: {l}");
    }
    let duplicates: usize = counts.values().map(|c| c - 1).sum();
    eprintln!(
        "crash test: committed position {position} ({lines_before_position} lines) at kill; {duplicates} duplicate lines in the sink file"
    );

    // The source resumed from its committed position: every line before it reached the
    // topic exactly once (a restart from the beginning would have sent them twice).
    let values = tokio::task::spawn_blocking(move || topic_values(&topic)).await.unwrap();
    let mut sent: HashMap<&str, usize> = HashMap::new();
    for v in &values {
        *sent.entry(v.as_str()).or_default() += 1;
    }
    assert!(!killed_at_end || lines_before_position == LINES);
    eprintln!("crash test: input was {length_at_kill} bytes long at the kill");
    for l in input_text.lines().take(lines_before_position) {
        assert_eq!(
            sent.get(l),
            Some(&1),
            "line before the committed position sent again or never: {l}"
        );
    }
    for l in input_text.lines() {
        assert!(sent.contains_key(l), "line never reached the topic: {l}");
    }
}
