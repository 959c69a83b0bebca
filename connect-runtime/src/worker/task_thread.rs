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
/// output, or `None` when `run` panicked. Dropping that future (the worker abandoning a
/// task that did not stop in time) drops `run` on its thread as soon as `run` yields; a
/// thread blocked in plugin code stays so until that code returns, and then ends.
pub(super) fn spawn<T: Send + 'static>(
    name: String,
    run: impl Future<Output = T> + Send + 'static,
) -> Result<impl Future<Output = Option<T>> + Send + 'static> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|e| ConnectError::fatal(format!("no runtime to run task {name} on: {e}")))?;
    let (mut tx, rx) = oneshot::channel();
    let thread = name.clone();
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            handle.block_on(async move {
                let out = tokio::select! {
                    biased;
                    _ = tx.closed() => return,
                    out = run => out,
                };
                let _ = tx.send(out);
            })
        })
        .map_err(|e| {
            ConnectError::fatal(format!("cannot start the thread of {thread}: {e}")).with_source(e)
        })?;
    Ok(async move { rx.await.ok() })
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
        assert_eq!(blocked.await, Some(7));
    }

    /// Dropping the returned future drops the task on its thread once it yields.
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
