//! The embedded broker: librdkafka's mock cluster, hosted on its own thread.
//!
//! A worker whose config gives no `bootstrap.servers` starts one so it runs out of the
//! box; its data lives in memory and is lost when the process exits. The mock cluster
//! listens on loopback ports, so other processes (`kcat`, a second worker) can reach it.

use std::sync::mpsc;
use std::thread;

use connect_api::{ConnectError, Result};
use rdkafka::mocking::MockCluster;

enum Command {
    CreateTopic { name: String, partitions: i32, reply: mpsc::Sender<Result<()>> },
    SetReachable { reachable: bool, reply: mpsc::Sender<Result<()>> },
    Shutdown,
}

/// A handle on a running embedded broker; dropping it shuts the broker down.
pub struct EmbeddedBroker {
    bootstrap: String,
    commands: mpsc::Sender<Command>,
    thread: Option<thread::JoinHandle<()>>,
}

impl EmbeddedBroker {
    /// Starts a mock cluster of `brokers` brokers.
    pub fn start(brokers: i32) -> Result<EmbeddedBroker> {
        let (tx, rx) = mpsc::channel::<Command>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<String>>();
        let thread = thread::Builder::new()
            .name("embedded-broker".into())
            .spawn(move || {
                // The mock cluster is not Send: it lives and dies on this thread.
                let cluster = match MockCluster::new(brokers) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = ready_tx.send(Err(ConnectError::fatal(format!(
                            "could not start the embedded broker: {e}"
                        ))));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(cluster.bootstrap_servers()));
                while let Ok(cmd) = rx.recv() {
                    match cmd {
                        Command::CreateTopic { name, partitions, reply } => {
                            let r = cluster.create_topic(&name, partitions, 1).map_err(|e| {
                                ConnectError::fatal(format!(
                                    "could not create topic {name} on the embedded broker: {e}"
                                ))
                            });
                            let _ = reply.send(r);
                        }
                        Command::SetReachable { reachable, reply } => {
                            let mut r = Ok(());
                            for id in 1..=brokers {
                                let done = if reachable {
                                    cluster.broker_up(id)
                                } else {
                                    cluster.broker_down(id)
                                };
                                if let Err(e) = done {
                                    r = Err(ConnectError::fatal(format!(
                                        "could not set broker {id} of the embedded cluster {}: {e}",
                                        if reachable { "up" } else { "down" }
                                    )));
                                }
                            }
                            let _ = reply.send(r);
                        }
                        Command::Shutdown => break,
                    }
                }
            })
            .map_err(|e| {
                ConnectError::fatal("could not spawn the embedded broker thread").with_source(e)
            })?;
        let bootstrap = ready_rx
            .recv()
            .map_err(|_| ConnectError::fatal("the embedded broker thread died while starting"))??;
        Ok(EmbeddedBroker { bootstrap, commands: tx, thread: Some(thread) })
    }

    /// The `bootstrap.servers` to give clients.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap
    }

    /// Creates a topic (the mock cluster has no Admin API).
    pub fn create_topic(&self, name: &str, partitions: i32) -> Result<()> {
        let (reply, answer) = mpsc::channel();
        self.commands
            .send(Command::CreateTopic { name: name.to_string(), partitions, reply })
            .map_err(|_| ConnectError::fatal("the embedded broker has stopped"))?;
        answer.recv().map_err(|_| ConnectError::fatal("the embedded broker has stopped"))?
    }

    /// Takes every broker of the cluster down (connections closed, new ones refused) or
    /// brings them back up, keeping the data: an outage for tests of what clients do.
    pub fn set_reachable(&self, reachable: bool) -> Result<()> {
        let (reply, answer) = mpsc::channel();
        self.commands
            .send(Command::SetReachable { reachable, reply })
            .map_err(|_| ConnectError::fatal("the embedded broker has stopped"))?;
        answer.recv().map_err(|_| ConnectError::fatal("the embedded broker has stopped"))?
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
