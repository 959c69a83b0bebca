//! `connect-mock-broker [--topic NAME[:PARTITIONS]]... [--bootstrap-file PATH]`: hosts
//! librdkafka's mock cluster on loopback so several processes (a worker, `kcat`, tests)
//! share one in-memory broker. Prints the bootstrap servers on stdout and stays up until
//! killed. Data lives in memory only. The lines `down` and `up` on standard input take
//! the broker down (its connections closed, new ones refused) and bring it back, data
//! kept: a broker outage on demand.

use std::io::Write;
use std::process::ExitCode;

use connect_runtime::kafka::EmbeddedBroker;

fn main() -> ExitCode {
    let mut topics: Vec<(String, i32)> = Vec::new();
    let mut bootstrap_file: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--topic" => {
                let Some(spec) = args.next() else {
                    eprintln!("--topic needs NAME[:PARTITIONS]");
                    return ExitCode::from(2);
                };
                let (name, parts) = match spec.split_once(':') {
                    Some((n, p)) => match p.parse::<i32>() {
                        Ok(p) if p > 0 => (n.to_string(), p),
                        _ => {
                            eprintln!("bad partition count in --topic {spec}");
                            return ExitCode::from(2);
                        }
                    },
                    None => (spec.clone(), 1),
                };
                topics.push((name, parts));
            }
            "--bootstrap-file" => bootstrap_file = args.next(),
            "-h" | "--help" => {
                println!(
                    "usage: connect-mock-broker [--topic NAME[:PARTITIONS]]... [--bootstrap-file PATH]\n\
                     standard input: `down` takes the broker down, `up` brings it back"
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other}");
                return ExitCode::from(2);
            }
        }
    }
    let broker = match EmbeddedBroker::start(1) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}", e.trace());
            return ExitCode::FAILURE;
        }
    };
    for (name, parts) in &topics {
        if let Err(e) = broker.create_topic(name, *parts) {
            eprintln!("{}", e.trace());
            return ExitCode::FAILURE;
        }
    }
    if let Some(path) = bootstrap_file
        && let Err(e) = std::fs::write(&path, broker.bootstrap_servers())
    {
        eprintln!("cannot write {path}: {e}");
        return ExitCode::FAILURE;
    }
    println!("{}", broker.bootstrap_servers());
    let _ = std::io::stdout().flush();
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        let reachable = match line.trim() {
            "down" => false,
            "up" => true,
            "" => continue,
            other => {
                eprintln!("unknown command {other:?}: `down` or `up`");
                continue;
            }
        };
        match broker.set_reachable(reachable) {
            Ok(()) => eprintln!("broker {}", line.trim()),
            Err(e) => eprintln!("{}", e.trace()),
        }
    }
    loop {
        std::thread::park();
    }
}
