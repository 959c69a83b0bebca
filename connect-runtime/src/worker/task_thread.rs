//! Each task runs on a thread of its own, as Kafka gives each task one: a plugin that
//! blocks its thread in `poll`, `put` or any other method (a synchronous client, a
//! `std::thread::sleep`) holds up only its own task, never the runtime's worker threads
//! that serve the REST API and drive the other connectors. The thread drives the task
//! with the worker's runtime handle, so the task's timers and I/O, and whatever it
//! spawns, stay on the worker's runtime.

use std::future::Future;

use connect_api::{ConnectError, Result};
use tokio::sync::oneshot;

/// Starts `run` on a new thread named `name`; the future returned resolves to `run`'s
/// output, to `Err` with the panic's message when `run` panicked, or to `None` when the
/// thread is gone without a word. Dropping that future (the worker abandoning a task
/// that did not stop in time) drops `run` on its thread as soon as `run` yields; a
/// thread blocked in plugin code stays so until that code returns, and then ends.
pub(super) fn spawn<T: Send + 'static>(
    name: String,
    run: impl Future<Output = T> + Send + 'static,
) -> Result<impl Future<Output = Option<std::result::Result<T, String>>> + Send + 'static> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|e| ConnectError::fatal(format!("no runtime to run task {name} on: {e}")))?;
    let (mut tx, rx) = oneshot::channel();
    let thread = name.clone();
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            // A panic in the task (its driver or its plugin) is caught here and reported
            // to the supervisor, which marks the task FAILED, as Kafka's WorkerTask
            // catches what its task throws.
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                handle.block_on(async {
                    tokio::select! {
                        biased;
                        _ = tx.closed() => None,
                        out = run => Some(out),
                    }
                })
            }));
            let _ = match out {
                Ok(Some(out)) => tx.send(Ok(out)),
                Ok(None) => Ok(()),
                Err(panic) => tx.send(Err(panic_message(panic.as_ref()))),
            };
        })
        .map_err(|e| {
            ConnectError::fatal(format!("cannot start the thread of {thread}: {e}")).with_source(e)
        })?;
    Ok(async move { rx.await.ok() })
}

/// What a panic said, when it said it with a string.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A task blocking its thread leaves the runtime's only worker thread free.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_blocking_task_leaves_the_runtime_free() {
        let blocked = spawn("blocking".into(), async {
            std::thread::sleep(Duration::from_millis(500));
            7
        })
        .unwrap();
        let free = tokio::spawn(async { tokio::time::sleep(Duration::from_millis(10)).await });
        tokio::time::timeout(Duration::from_millis(300), free).await.unwrap().unwrap();
        assert_eq!(blocked.await, Some(Ok(7)));
    }

    /// Dropping the returned future drops the task on its thread once it yields.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_panic_is_reported_with_its_message() {
        let panicked = spawn("panicking".into(), async {
            if std::hint::black_box(true) {
                panic!("the plugin broke");
            }
        })
        .unwrap();
        assert_eq!(panicked.await, Some(Err("the plugin broke".to_string())));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn dropping_the_future_drops_a_pending_task() {
        let (dropped_tx, dropped_rx) = oneshot::channel::<()>();
        let pending = spawn("pending".into(), async move {
            let _guard = dropped_tx;
            std::future::pending::<()>().await;
        })
        .unwrap();
        drop(pending);
        // The sender goes when the task is dropped: the receiver sees it closed.
        tokio::time::timeout(Duration::from_secs(5), dropped_rx).await.unwrap().unwrap_err();
    }
}
