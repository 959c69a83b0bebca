//! The producers of source tasks: one a task has to itself, or the worker's producer that
//! the tasks without `producer.override.*` settings share (`source.tasks.share.producer`,
//! on by default).
//!
//! Kafka gives every source task a producer of its own. A librdkafka producer costs
//! about four threads and a few hundred KiB, so a thousand idle tasks would cost four
//! thousand threads; sharing one keeps a worker's footprint flat. Each task still sees
//! only its own delivery reports, in its own order: a record's delivery opaque carries
//! the task's slot (high 16 bits), the slot's generation (8 bits: a report for a stopped
//! task whose slot went to a new one is dropped) and the record's sequence number (low
//! 40 bits), and the delivery callback routes the report to that task's channel. A
//! producer that hit a fatal error (idempotence) takes no new tasks: the worker makes a
//! new one for tasks that start or restart. A task that stops
//! waits for its own records only (see `SourceDriver::shutdown`), not for the others'.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer, ProducerContext};
use tokio::sync::mpsc;

use crate::kafka::PolledProducer;

/// A delivery report: the record's sequence number and where Kafka put it.
pub type Ack = (u64, std::result::Result<(i32, i64, Option<i64>), KafkaError>);

// The opaque is a pointer-sized integer holding 64 bits of routing.
#[cfg(not(target_pointer_width = "64"))]
compile_error!("source task delivery routing needs 64-bit pointers");

/// Bits of a delivery opaque that hold the record's sequence number.
const SEQ_BITS: u32 = 40;
const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;
/// Bits that hold the slot's generation, above the sequence number.
const GEN_BITS: u32 = 8;
/// How many tasks one producer can serve at once (the top 16 bits).
const SLOTS: u32 = 1 << (64 - SEQ_BITS - GEN_BITS);

/// Routes each delivery report to the task that sent the record.
#[derive(Default)]
pub struct AckRouter {
    /// Each slot's generation and channel.
    routes: RwLock<HashMap<u32, (u8, mpsc::UnboundedSender<Ack>)>>,
}

impl ClientContext for AckRouter {}

impl ProducerContext for AckRouter {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: Self::DeliveryOpaque) {
        let report = match result {
            Ok(m) => Ok((m.partition(), m.offset(), m.timestamp().to_millis())),
            Err((e, _)) => Err(e.clone()),
        };
        self.route(opaque as u64, report);
    }
}

impl AckRouter {
    /// Hands a report to the task whose slot and generation `opaque` names; `false` when
    /// that task stopped (its route is gone, or its slot went to a new task): nothing is
    /// left to tell it then.
    fn route(
        &self,
        opaque: u64,
        report: std::result::Result<(i32, i64, Option<i64>), KafkaError>,
    ) -> bool {
        let slot = (opaque >> (SEQ_BITS + GEN_BITS)) as u32;
        let generation = (opaque >> SEQ_BITS) as u8;
        let routes = self.routes.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        match routes.get(&slot).filter(|(g, _)| *g == generation) {
            Some((_, tx)) => tx.send((opaque & SEQ_MASK, report)).is_ok(),
            None => false,
        }
    }
}

/// A producer and the tasks that send through it.
pub struct SharedProducer {
    producer: PolledProducer<AckRouter>,
    next_slot: std::sync::atomic::AtomicU32,
}

impl SharedProducer {
    /// Creates the producer (its polling thread is named `name`).
    pub fn create(config: &ClientConfig, name: &str) -> KafkaResult<Arc<SharedProducer>> {
        Ok(Arc::new(SharedProducer {
            producer: PolledProducer::create(config, AckRouter::default(), name)?,
            next_slot: std::sync::atomic::AtomicU32::new(0),
        }))
    }

    /// Adds a task: its handle for sending, and where its delivery reports arrive. `None`
    /// when every slot is taken.
    pub fn register(self: &Arc<Self>) -> Option<(TaskProducer, mpsc::UnboundedReceiver<Ack>)> {
        let (tx, rx) = mpsc::unbounded_channel();
        let router = self.producer.producer().context();
        let mut routes = router.routes.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for _ in 0..SLOTS {
            let n = self.next_slot.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (slot, generation) = (n % SLOTS, (n / SLOTS) as u8);
            if let std::collections::hash_map::Entry::Vacant(e) = routes.entry(slot) {
                e.insert((generation, tx));
                return Some((TaskProducer { shared: self.clone(), slot, generation }, rx));
            }
        }
        None
    }

    /// Whether librdkafka reported a fatal error: the producer sends nothing more.
    pub fn is_fatal(&self) -> bool {
        self.producer.producer().client().fatal_error().is_some()
    }

    /// How many tasks send through this producer.
    pub fn tasks(&self) -> usize {
        let router = self.producer.producer().context();
        router.routes.read().map_or(0, |r| r.len())
    }
}

/// One task's handle on a [`SharedProducer`]; dropping it removes the task's route.
pub struct TaskProducer {
    shared: Arc<SharedProducer>,
    slot: u32,
    generation: u8,
}

impl TaskProducer {
    /// The producer, to send and flush.
    pub fn producer(&self) -> &Arc<BaseProducer<AckRouter>> {
        self.shared.producer.producer()
    }

    /// The delivery opaque of the task's record number `seq`.
    pub fn opaque(&self, seq: u64) -> usize {
        ((u64::from(self.slot) << (SEQ_BITS + GEN_BITS))
            | (u64::from(self.generation) << SEQ_BITS)
            | (seq & SEQ_MASK)) as usize
    }

    /// The full sequence number of a report's `masked` one, given that the task has sent
    /// `next` records: reports are for records already sent, so the latest number at or
    /// below `next` with those low bits.
    pub fn sequence(masked: u64, next: u64) -> u64 {
        let candidate = (next & !SEQ_MASK) | masked;
        if candidate >= next && candidate >= (1 << SEQ_BITS) {
            candidate - (1 << SEQ_BITS)
        } else {
            candidate
        }
    }
}

impl Drop for TaskProducer {
    fn drop(&mut self) {
        let router = self.shared.producer.producer().context();
        if let Ok(mut routes) = router.routes.write()
            && routes.get(&self.slot).is_some_and(|(g, _)| *g == self.generation)
        {
            routes.remove(&self.slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_survive_the_opaque() {
        assert_eq!(TaskProducer::sequence(5, 10), 5);
        assert_eq!(TaskProducer::sequence(9, 10), 9);
        // After the low bits wrapped: a report for a record sent just before the wrap.
        let next = (1 << SEQ_BITS) + 3;
        assert_eq!(TaskProducer::sequence(SEQ_MASK, next), SEQ_MASK);
        assert_eq!(TaskProducer::sequence(2, next), (1 << SEQ_BITS) + 2);
    }

    #[test]
    fn tasks_get_distinct_slots_and_give_them_back() {
        let cfg = {
            let mut c = ClientConfig::new();
            c.set("bootstrap.servers", "127.0.0.1:1");
            c
        };
        let shared = SharedProducer::create(&cfg, "test").unwrap();
        let (a, _ra) = shared.register().unwrap();
        let (b, _rb) = shared.register().unwrap();
        assert_ne!(a.opaque(1), b.opaque(1));
        assert!(!shared.is_fatal());
        assert_eq!(shared.tasks(), 2);
        drop(a);
        assert_eq!(shared.tasks(), 1);
        drop(b);
        assert_eq!(shared.tasks(), 0);
    }

    #[test]
    fn a_reused_slot_has_a_new_generation() {
        let mut cfg = ClientConfig::new();
        cfg.set("bootstrap.servers", "127.0.0.1:1");
        let shared = SharedProducer::create(&cfg, "test").unwrap();
        let (first, _rx) = shared.register().unwrap();
        let stale = first.opaque(7);
        drop(first);
        // Go round every slot once; the next registration reuses the first slot.
        for _ in 1..SLOTS {
            drop(shared.register().unwrap());
        }
        let (again, mut rx) = shared.register().unwrap();
        assert_eq!(again.slot, 0);
        let router = shared.producer.producer().context();
        // The old task's late report reaches nobody; the new task's own does.
        assert!(!router.route(stale as u64, Ok((0, 1, None))));
        assert!(rx.try_recv().is_err(), "a late report of the old task reached the new one");
        assert!(router.route(again.opaque(7) as u64, Ok((0, 2, None))));
        assert!(matches!(rx.try_recv(), Ok((7, Ok((0, 2, None))))));
    }
}
