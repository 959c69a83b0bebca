//! What a metrics scrape needs from the worker: the connectors and tasks running here,
//! their statuses and error counters.

use super::Worker;
use crate::metrics::scrape::{ConnectorFacts, Facts, RebalanceFacts, TaskFacts};
use crate::task::TaskId;

impl Worker {
    /// The worker's metrics as OpenMetrics text (`GET /metrics`); `rebalance` adds a
    /// distributed worker's group membership.
    pub async fn render_metrics(&self, rebalance: Option<RebalanceFacts>) -> String {
        let since = std::time::Instant::now();
        let mut facts = self.metrics_facts().await;
        facts.rebalance = rebalance;
        self.inner.metrics.render(&facts, since)
    }

    /// The connectors and tasks running here, with their statuses.
    async fn metrics_facts(&self) -> Facts {
        // Only the table's keys and configs are read under its lock.
        let here: Vec<(String, bool, String, Vec<u32>)> = {
            let running = self.inner.running.lock().await;
            running
                .iter()
                .map(|(name, r)| {
                    let class = r.config.get("connector.class").cloned().unwrap_or_default();
                    (name.clone(), r.connector_here, class, r.tasks.keys().copied().collect())
                })
                .collect()
        };
        let status = &self.inner.status;
        let lower = |s: crate::status::Status| s.state.as_str().to_ascii_lowercase();
        let mut facts = Facts::default();
        for (name, connector_here, class, tasks) in here {
            let plugin = self.inner.registry.connector(&class).ok();
            let mut task_states: Vec<(String, u64)> = Vec::new();
            for (task, s) in status.tasks(&name) {
                if !tasks.contains(&task) {
                    continue;
                }
                let state = lower(s);
                match task_states.iter_mut().find(|(st, _)| *st == state) {
                    Some((_, n)) => *n += 1,
                    None => task_states.push((state, 1)),
                }
            }
            for task in &tasks {
                let id = TaskId { connector: name.clone(), task: *task };
                facts.tasks.push(TaskFacts {
                    status: status.task(&name, *task).map(lower),
                    errors: self.task_error_counts(&id).unwrap_or_default(),
                    id,
                });
            }
            facts.connectors.push(ConnectorFacts {
                status: status.connector(&name).map(lower),
                kind: plugin.map(|p| p.kind().as_str()),
                class: plugin.map_or(class, |p| p.class_name().to_string()),
                version: plugin.map(|p| p.version().to_string()).unwrap_or_default(),
                here: connector_here,
                task_states,
                name,
            });
        }
        facts
    }
}
