//! The raw rdkafka loops, B3's baselines: `pipeline raw-produce BOOTSTRAP TOPIC COUNT SIZE`
//! and `pipeline raw-consume BOOTSTRAP TOPIC COUNT GROUP`.

use super::*;

pub(super) fn arg<'a>(args: &'a [String], i: usize, what: &str) -> R<&'a str> {
    args.get(i).map(String::as_str).ok_or_else(|| format!("missing argument {what}"))
}

pub(super) fn num(args: &[String], i: usize, what: &str) -> R<u64> {
    arg(args, i, what)?.parse().map_err(|e| format!("bad {what}: {e}"))
}

pub(super) fn raw_produce(args: &[String]) -> R<()> {
    let (bootstrap, topic) = (arg(args, 0, "BOOTSTRAP")?, arg(args, 1, "TOPIC")?);
    let (count, size) = (num(args, 2, "COUNT")?, num(args, 3, "SIZE")? as usize);
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", bootstrap);
    for (k, v) in PRODUCER {
        cfg.set(*k, *v);
    }
    // A random partition per message: no partition of a multi-partition topic outgrows
    // the mock broker's per-partition limit (no effect on single-partition topics).
    cfg.set("sticky.partitioning.linger.ms", "0");
    let producer: BaseProducer = cfg.create().map_err(|e| format!("producer: {e}"))?;
    let mut payload = vec![0u8; size];
    data::Rng::new(data::SEED).fill_printable(&mut payload);
    for i in 0..count {
        loop {
            match producer.send(BaseRecord::<(), [u8]>::to(topic).payload(&payload)) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    producer.poll(Duration::from_millis(1));
                }
                Err((e, _)) => return Err(format!("send: {e}")),
            }
        }
        if i % 1024 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Duration::from_secs(120)).map_err(|e| format!("flush: {e}"))
}

pub(super) fn raw_consume(args: &[String]) -> R<()> {
    let (bootstrap, topic) = (arg(args, 0, "BOOTSTRAP")?, arg(args, 1, "TOPIC")?);
    let (count, group) = (num(args, 2, "COUNT")?, arg(args, 3, "GROUP")?);
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest");
    for (k, v) in CONSUMER {
        cfg.set(*k, *v);
    }
    let consumer: BaseConsumer = cfg.create().map_err(|e| format!("consumer: {e}"))?;
    consumer.subscribe(&[topic]).map_err(|e| format!("subscribe: {e}"))?;
    let (mut seen, mut bytes) = (0u64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen < count {
        if Instant::now() > deadline {
            return Err(format!("timed out with {seen} of {count} records"));
        }
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            let m = m.map_err(|e| format!("poll: {e}"))?;
            bytes += m.payload().map_or(0, |p| p.len() as u64);
            seen += 1;
        }
    }
    println!("{seen} {bytes}");
    let _ = std::io::stdout().flush();
    // Like the timed sink, stop the clock at the last record, not after a group leave.
    std::process::exit(0)
}
