//! The raw rdkafka loops, B3's baselines: `pipeline raw-produce BOOTSTRAP TOPIC COUNT SIZE
//! [spread]` and `pipeline raw-consume BOOTSTRAP TOPIC COUNT GROUP`. Their clients get
//! exactly the settings of our tasks' clients ([`clients`]).

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
    let mut cfg = clients::producer_config(bootstrap);
    // `spread` (topic fills only, never a timed baseline): a random partition per
    // message, so no partition of a multi-partition topic outgrows the mock broker's
    // per-partition limit.
    if args.get(4).map(String::as_str) == Some("spread") {
        cfg.set("sticky.partitioning.linger.ms", "0");
    }
    let producer: BaseProducer = cfg.create().map_err(|e| format!("producer: {e}"))?;
    // The topic's metadata first, twice, so the first record leaves once a broker is up, as
    // ours' does (it comes about 100 ms after its producer is created).
    // librdkafka 2.12's idempotent producer asks for its producer id only from a learned
    // broker that is up: at creation there is none, so it retries on a 500 ms timer, or
    // sooner on a metadata answer. The first answer comes from the bootstrap connection
    // (it names the brokers); the second waits for a learned broker to be up, and its
    // answer starts the producer-id request at once. Without this a loop that produces
    // right away stalls for 500 ms (see `clients`).
    for _ in 0..2 {
        producer
            .client()
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .map_err(|e| format!("metadata of {topic}: {e}"))?;
    }
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
    let cfg = clients::consumer_config(bootstrap, group);
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
