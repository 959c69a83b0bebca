//! Our Connect group protocol bytes are Apache Kafka's: Java Kafka Connect's own
//! `ConnectProtocol` / `IncrementalCooperativeConnectProtocol` read the member metadata
//! and assignments we write (every protocol version) as what we meant, and what they write
//! back reads with ours as the same values; where the layout leaves no ordering choice
//! (one connector per list) the bytes are identical. Runs Kafka's classes through
//! `scripts/lib/connect-java/src/ConnectProtocolCli.java`.
#![cfg(feature = "distributed")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Stdio;

use connect_runtime::distributed::protocol::{
    Assignment, ConnectProtocol, ConnectorsAndTasks, WorkerState, decode_assignment,
    decode_metadata, encode_assignment, encode_metadata,
};
use connect_runtime::task::TaskId;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn set(connectors: &[&str], tasks: &[(&str, u32)]) -> ConnectorsAndTasks {
    ConnectorsAndTasks {
        connectors: connectors.iter().map(|c| c.to_string()).collect(),
        tasks: tasks.iter().map(|(c, t)| TaskId { connector: c.to_string(), task: *t }).collect(),
    }
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    let sorted: BTreeSet<String> = items.into_iter().collect();
    format!("[{}]", sorted.into_iter().collect::<Vec<_>>().join(", "))
}

/// What `ConnectProtocolCli` prints for an assignment, from our side.
fn text(a: &Assignment) -> String {
    let mut s = format!(
        "error={} leader={} leaderUrl={} offset={} connectors={} tasks={}",
        a.error,
        a.leader,
        a.leader_url,
        a.config_offset,
        list(a.assigned.connectors.iter().cloned()),
        list(a.assigned.tasks.iter().map(ToString::to_string)),
    );
    if a.version >= 1 {
        s.push_str(&format!(
            " revokedConnectors={} revokedTasks={} delay={}",
            list(a.revoked.connectors.iter().cloned()),
            list(a.revoked.tasks.iter().map(ToString::to_string)),
            a.delay_ms
        ));
    }
    s
}

fn assignment(
    version: i16,
    assigned: ConnectorsAndTasks,
    revoked: ConnectorsAndTasks,
) -> Assignment {
    Assignment {
        version,
        error: 0,
        leader: "connect-1-6b1e7a0c-b0a4-4c2b-9f39-1d2a".into(),
        leader_url: "http://127.0.0.1:8083/".into(),
        config_offset: 1234,
        assigned,
        revoked,
        delay_ms: if version == 0 { 0 } else { 299_500 },
    }
}

/// Each line through Kafka's classes: (its text, the bytes it writes back).
fn java(lines: &[String]) -> Vec<(String, Vec<u8>)> {
    let mut child = common::java_command()
        .arg("ConnectProtocolCli")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot run java");
    {
        let mut stdin = child.stdin.take().unwrap();
        for l in lines {
            writeln!(stdin, "{l}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "ConnectProtocolCli exited with {}", out.status);
    let got: Vec<(String, Vec<u8>)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (text, bytes) = l.split_once('\t').expect("text TAB hex");
            (text.to_string(), unhex(bytes))
        })
        .collect();
    assert_eq!(got.len(), lines.len(), "one line out per line in");
    got
}

#[test]
fn kafka_reads_our_assignments_and_we_read_its() {
    let one = set(&["orders"], &[("orders", 0), ("orders", 1), ("orders", 7)]);
    let many = set(&["a", "b-c", "ünïcode"], &[("a", 0), ("b-c", 2), ("ünïcode", 1), ("z", 3)]);
    let cases = [
        (assignment(0, one.clone(), ConnectorsAndTasks::default()), true),
        (assignment(0, many.clone(), ConnectorsAndTasks::default()), false),
        (assignment(1, one.clone(), set(&[], &[("old", 4)])), true),
        (assignment(1, many.clone(), set(&["x", "y"], &[("x", 0), ("y", 1)])), false),
        (assignment(2, ConnectorsAndTasks::default(), ConnectorsAndTasks::default()), true),
        (assignment(2, many.clone(), set(&["q"], &[])), false),
        (
            Assignment {
                error: Assignment::CONFIG_MISMATCH,
                ..assignment(1, one, Default::default())
            },
            true,
        ),
    ];
    let lines: Vec<String> = cases
        .iter()
        .map(|(a, _)| format!("assignment {}", hex(&encode_assignment(a).unwrap())))
        .collect();
    for ((ours, single), (text_java, bytes_java)) in cases.iter().zip(java(&lines)) {
        assert_eq!(text_java, text(ours), "Kafka read our v{} assignment otherwise", ours.version);
        assert_eq!(
            &decode_assignment(&bytes_java).unwrap(),
            ours,
            "we read Kafka's bytes otherwise"
        );
        if *single {
            assert_eq!(hex(&bytes_java), hex(&encode_assignment(ours).unwrap()), "bytes differ");
        }
    }
}

#[test]
fn kafka_reads_our_member_metadata_and_we_read_its() {
    let current = assignment(1, set(&["s"], &[("s", 0)]), ConnectorsAndTasks::default());
    let mut lines = Vec::new();
    let mut expected = Vec::new();
    for protocol in
        [ConnectProtocol::Eager, ConnectProtocol::Compatible, ConnectProtocol::Sessioned]
    {
        for assignment in [None, Some(current.clone())] {
            let state =
                WorkerState { url: "http://10.1.2.3:8083/".into(), config_offset: 77, assignment };
            let bytes = encode_metadata(&state, protocol).unwrap();
            lines.push(format!("metadata {}", hex(&bytes)));
            expected.push((state, protocol, bytes));
        }
    }
    for ((state, protocol, ours), (text_java, bytes_java)) in expected.iter().zip(java(&lines)) {
        let read_as = match (&state.assignment, protocol) {
            (Some(a), p) if *p != ConnectProtocol::Eager => {
                format!("{{{}}}", text(&Assignment { version: p.version(), ..a.clone() }))
            }
            // Kafka reads a null allocation as its empty assignment.
            (None, p) if *p != ConnectProtocol::Eager => "{error=0 leader=null leaderUrl=null offset=-1 connectors=[] tasks=[] revokedConnectors=[] revokedTasks=[] delay=0}".to_string(),
            _ => "none".to_string(),
        };
        assert_eq!(
            text_java,
            format!("url={} offset={} assignment={read_as}", state.url, state.config_offset),
            "Kafka read our {} metadata otherwise",
            protocol.name()
        );
        assert_eq!(hex(&bytes_java), hex(ours), "{} metadata bytes differ", protocol.name());
        let back = decode_metadata(&bytes_java).unwrap();
        assert_eq!((back.url.as_str(), back.config_offset), (state.url.as_str(), 77));
    }
}
