//! [`PolledProducer`]: a producer whose delivery reports a thread of its own serves, like
//! rdkafka's `ThreadedProducer`, except that dropping it does not wait for that thread.
//!
//! `ThreadedProducer` joins its thread on drop, and the thread sleeps in `poll` for up to
//! 100 ms between checks of its stop flag, so every stopped task (and every bounded run's
//! exit) paid up to 100 ms. Here the thread owns the last handle: it notices the flag
//! within one poll, then drops the producer (librdkafka's destroy) on its own time. The
//! producer must be flushed before it is dropped, as the runtime does when a task stops.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::error::KafkaResult;
use rdkafka::producer::{BaseProducer, ProducerContext};

/// How long the polling thread waits for events before it checks the stop flag.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A [`BaseProducer`] polled by a background thread that is told to stop, not joined,
/// when this handle is dropped.
pub struct PolledProducer<C: ProducerContext + 'static> {
    producer: Arc<BaseProducer<C>>,
    stop: Arc<AtomicBool>,
}

impl<C: ProducerContext + 'static> PolledProducer<C> {
    /// Creates the producer and starts its polling thread, named `name`.
    pub fn create(config: &ClientConfig, context: C, name: &str) -> KafkaResult<Self> {
        let producer: Arc<BaseProducer<C>> = Arc::new(config.create_with_context(context)?);
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (producer.clone(), stop.clone());
        std::thread::Builder::new()
            .name(name.chars().take(15).collect())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    p.poll(POLL_INTERVAL);
                }
                // Serve what is left, then let the last handle go on this thread.
                p.poll(Duration::ZERO);
            })
            .map_err(|e| {
                rdkafka::error::KafkaError::ClientCreation(format!(
                    "cannot start the producer's polling thread: {e}"
                ))
            })?;
        Ok(PolledProducer { producer, stop })
    }

    /// The producer, to send and flush.
    pub fn producer(&self) -> &Arc<BaseProducer<C>> {
        &self.producer
    }
}

impl<C: ProducerContext + 'static> Drop for PolledProducer<C> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
