//! The loop of a distributed worker and its rebalances: join the group, assign as
//! leader, sync, and apply what the assignment revokes and assigns.

use super::*;

impl DistributedHerder {
    pub(super) async fn run(&self, mut events: mpsc::UnboundedReceiver<(String, ConnectorEvent)>) {
        let mut beats: Option<(CancellationToken, watch::Receiver<HeartbeatEvent>)> = None;
        loop {
            if self.inner.stop.is_cancelled() {
                break;
            }
            // Reading the config topic can take its whole timeout when the brokers are
            // gone: the heartbeats are watched meanwhile, so the work still stops before
            // this worker's session can expire.
            let refreshed = {
                let refresh = self.inner.config.refresh();
                tokio::pin!(refresh);
                loop {
                    tokio::select! {
                        r = &mut refresh => break r,
                        why = lost_the_group(&mut beats, self.fence_limit()) => {
                            self.fence(&why).await;
                            beats = None;
                        }
                    }
                }
            };
            match refreshed {
                Ok(changes) => self.on_config(changes).await,
                Err(e) => warn!(error = %e, "cannot read the config topic"),
            }
            let due =
                self.view(|v| v.need_rejoin || v.rejoin_at.is_some_and(|t| Instant::now() >= t));
            if due {
                if let Some((stop, _)) = beats.take() {
                    stop.cancel();
                }
                match self.rebalance().await {
                    Ok(true) => {
                        let stop = CancellationToken::new();
                        let rx = self.inner.member.lock().await.start_heartbeats(stop.clone());
                        beats = Some((stop, rx));
                    }
                    Ok(false) => continue,
                    Err(e) => {
                        warn!(error = %e.trace(), "rebalance failed; retrying");
                        tokio::select! {
                            _ = self.inner.stop.cancelled() => break,
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                        continue;
                    }
                }
            }
            if let Err(e) = self.leader_duties().await {
                warn!(error = %e, "leader duties failed");
            }
            self.publish_task_configs().await;
            let heartbeat = async {
                match beats.as_mut() {
                    Some((_, rx)) => rx.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.inner.stop.cancelled() => break,
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
                alive = heartbeat => {
                    if !alive {
                        beats = None;
                        self.view(|v| v.need_rejoin = true);
                    }
                }
                Some((name, event)) = events.recv() => match event {
                    ConnectorEvent::TaskReconfigurationRequested => {
                        self.view(|v| v.reconfigure.insert(name));
                    }
                    ConnectorEvent::ErrorRaised(e) => {
                        warn!(connector = %name, error = %e.trace(), "connector raised an error");
                        self.inner.status.set_connector(&name, self.inner.worker.status_of(State::Failed, Some(e.trace())));
                    }
                },
            }
            if let Some((_, rx)) = &beats {
                let event = rx.borrow().clone();
                if event == HeartbeatEvent::RebalanceNeeded {
                    self.view(|v| v.need_rejoin = true);
                } else if let Some(why) = fence_reason(&event, self.fence_limit()) {
                    self.fence(&why).await;
                }
            }
        }
        if let Some((stop, _)) = beats.take() {
            stop.cancel();
        }
        self.stop_everything().await;
        if let Err(e) = self.inner.member.lock().await.leave().await {
            warn!(error = %e, "could not leave the group");
        }
        info!("distributed herder stopped");
    }

    /// How long heartbeats may fail before this worker stops its work: one interval
    /// short of the session, so it stops before the coordinator can give it away.
    fn fence_limit(&self) -> Duration {
        let s = &self.inner.settings;
        s.session_timeout.saturating_sub(s.heartbeat_interval)
    }

    /// This worker lost (or may have lost) its place in the group: it stops its work, so
    /// no connector or task runs here and on the worker the work moves to, and rejoins.
    async fn fence(&self, why: &str) {
        if !self.assignment().is_empty() {
            warn!(reason = %why, "stopping this worker's work before another worker takes it");
            self.stop_everything().await;
        }
        self.view(|v| v.need_rejoin = true);
    }

    /// Stops every connector and task running here and forgets the assignment.
    pub(super) async fn stop_everything(&self) {
        self.inner.worker.stop_all().await;
        self.view(|v| {
            v.assignment = ConnectorsAndTasks::default();
            v.task_configs.clear();
            v.reconfigure.clear();
        });
    }

    /// Joins the group, assigns (as leader), syncs and applies the assignment. `Ok(false)`
    /// when the group must be joined again at once.
    pub(super) async fn rebalance(&self) -> Result<bool> {
        self.view(|v| {
            v.need_rejoin = false;
            v.rejoin_at = None;
            v.rebalancing = true;
            v.rebalances.begin();
        });
        // Under the eager protocol a member gives up all its work before it joins (Kafka's
        // onJoinPrepare), so no connector or task runs on two workers while the new
        // assignment starts them elsewhere.
        if self.view(|v| v.protocol == ConnectProtocol::Eager && !v.assignment.is_empty()) {
            self.stop_everything().await;
        }
        let offset = self.inner.config.read(|s| s.offset);
        let (current, leader, leader_url, generation) = self.view(|v| {
            (v.assignment.clone(), v.leader_id.clone(), v.leader_url.clone(), v.generation)
        });
        let state = WorkerState {
            url: self.inner.url.clone(),
            config_offset: offset,
            assignment: (generation >= 0).then(|| Assignment {
                version: 1,
                error: Assignment::NO_ERROR,
                leader,
                leader_url,
                config_offset: offset,
                assigned: current,
                revoked: ConnectorsAndTasks::default(),
                delay_ms: 0,
            }),
        };
        let protocols: Vec<(String, Vec<u8>)> = self
            .inner
            .protocol
            .offered()
            .into_iter()
            .map(|p| Ok((p.name().to_string(), encode_metadata(&state, p)?)))
            .collect::<Result<_>>()?;
        let deadline = Instant::now() + self.inner.settings.rebalance_timeout * 2;
        let mut member = self.inner.member.lock().await;
        let joined = member.join(&protocols, deadline).await?;
        let chosen = ConnectProtocol::from_name(&joined.protocol).unwrap_or(ConnectProtocol::Eager);
        self.inner.status.set_generation(joined.generation);
        let assignments = if joined.is_leader() {
            self.leader_assign(&joined, chosen).await?
        } else {
            Vec::new()
        };
        let bytes = match member.sync(&joined, assignments).await? {
            Synced::Assigned(b) => b,
            Synced::Rejoin(why) => {
                info!(reason = %why, "rejoining the group");
                self.view(|v| v.need_rejoin = true);
                return Ok(false);
            }
        };
        drop(member);
        if bytes.is_empty() {
            self.view(|v| v.need_rejoin = true);
            return Ok(false);
        }
        let a = decode_assignment(&bytes)?;
        if a.error == Assignment::CONFIG_MISMATCH {
            info!("the leader's config was behind; reading the config topic and rejoining");
            self.inner.config.refresh().await.map(drop)?;
            self.view(|v| v.need_rejoin = true);
            return Ok(false);
        }
        self.view(|v| {
            v.leader_id = a.leader.clone();
            v.leader_url = a.leader_url.clone();
            v.member_id = joined.member_id.clone();
            v.generation = joined.generation;
            v.last_completed_generation = joined.generation;
            v.protocol = chosen;
        });
        // Catch up to the offset the assignment was made at before running it.
        if self.inner.config.read(|s| s.offset) < a.config_offset {
            let events = self.inner.config.refresh().await?;
            self.on_config(events).await;
        }
        self.apply(&a, chosen).await;
        self.view(|v| {
            v.rebalancing = false;
            v.rebalances.end();
            if a.delay_ms > 0 {
                v.rejoin_at = Some(Instant::now() + Duration::from_millis(a.delay_ms as u64));
            }
            if chosen != ConnectProtocol::Eager && !a.revoked.is_empty() {
                v.need_rejoin = true;
            }
        });
        info!(
            generation = joined.generation,
            leader = joined.is_leader(),
            protocol = chosen.name(),
            connectors = ?self.assignment().connectors,
            tasks = self.assignment().tasks.len(),
            "assignment applied"
        );
        Ok(true)
    }

    /// The leader's part of a rebalance: every member's assignment, serialized.
    pub(super) async fn leader_assign(
        &self,
        joined: &crate::distributed::group::Joined,
        chosen: ConnectProtocol,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        let mut running = BTreeMap::new();
        let mut max_offset = -1;
        for m in &joined.members {
            let meta = decode_metadata(&m.metadata)?;
            max_offset = max_offset.max(meta.config_offset);
            running.insert(
                m.member_id.clone(),
                meta.assignment.map(|a| a.assigned).unwrap_or_default(),
            );
        }
        if self.inner.config.read(|s| s.offset) < max_offset {
            let events = self.inner.config.refresh().await?;
            self.on_config(events).await;
        }
        let snapshot = self.inner.config.snapshot();
        let base = |error: i16| Assignment {
            version: chosen.version(),
            error,
            leader: joined.member_id.clone(),
            leader_url: self.inner.url.clone(),
            config_offset: snapshot.offset,
            assigned: ConnectorsAndTasks::default(),
            revoked: ConnectorsAndTasks::default(),
            delay_ms: 0,
        };
        if snapshot.offset < max_offset {
            // A member has read further than this leader can: everyone rejoins.
            return running
                .keys()
                .map(|m| Ok((m.clone(), encode_assignment(&base(Assignment::CONFIG_MISMATCH))?)))
                .collect();
        }
        let configured = snapshot.assignable();
        let per_member: BTreeMap<String, (ConnectorsAndTasks, ConnectorsAndTasks, i32)> = if chosen
            == ConnectProtocol::Eager
        {
            let members: BTreeSet<String> = running.keys().cloned().collect();
            assign_eager(&configured, &members)
                .into_iter()
                .map(|(m, a)| (m, (a, ConnectorsAndTasks::default(), 0)))
                .collect()
        } else {
            let (last, state) = self.view(|v| (v.last_completed_generation, v.assignor.clone()));
            let round = Round {
                configured: &configured,
                members: &running,
                last_completed_generation: last,
                generation: joined.generation,
                now_ms: now_ms(),
                max_delay_ms: self.inner.settings.scheduled_rebalance_max_delay.as_millis() as i32,
            };
            let (next, out) = assign(&state, &round);
            self.view(|v| v.assignor = next);
            out.members
                .into_iter()
                .map(|(m, a)| (m, (a.assigned, a.revoked, out.delay_ms)))
                .collect()
        };
        self.view(|v| v.assigned_config = configured);
        per_member
            .into_iter()
            .map(|(m, (assigned, revoked, delay_ms))| {
                let a = Assignment { assigned, revoked, delay_ms, ..base(Assignment::NO_ERROR) };
                Ok((m, encode_assignment(&a)?))
            })
            .collect()
    }

    /// Stops what `a` revokes (with the eager protocol, everything: what runs here was
    /// given up before joining, unless the group just moved from a cooperative protocol)
    /// and starts what it assigns.
    pub(super) async fn apply(&self, a: &Assignment, chosen: ConnectProtocol) {
        let current = self.assignment();
        let revoked =
            if chosen == ConnectProtocol::Eager { current.clone() } else { a.revoked.clone() };
        for t in &revoked.tasks {
            self.inner.worker.stop_tasks(&t.connector, Some(&[t.task])).await;
            self.view(|v| v.task_configs.remove(t));
        }
        for c in &revoked.connectors {
            if let Err(e) = self.inner.worker.stop_connector_instance(c).await {
                warn!(connector = %c, error = %e, "error while stopping a revoked connector");
            }
        }
        let mut next = current;
        next.connectors.retain(|c| !revoked.connectors.contains(c));
        next.tasks.retain(|t| !revoked.tasks.contains(t));
        let start = ConnectorsAndTasks {
            connectors: a.assigned.connectors.difference(&next.connectors).cloned().collect(),
            tasks: a.assigned.tasks.difference(&next.tasks).cloned().collect(),
        };
        next.connectors.extend(a.assigned.connectors.iter().cloned());
        next.tasks.extend(a.assigned.tasks.iter().cloned());
        self.view(|v| v.assignment = next);
        let snapshot = self.inner.config.snapshot();
        for c in &start.connectors {
            self.start_connector_here(c, &snapshot).await;
        }
        for t in &start.tasks {
            self.start_task_here(t, &snapshot).await;
        }
    }
}

/// Why this worker must stop its work, if the heartbeats say so: it is out of the group,
/// or none got through for `limit`.
fn fence_reason(event: &HeartbeatEvent, limit: Duration) -> Option<String> {
    match event {
        HeartbeatEvent::Fenced(why) => Some(format!("this worker is out of the group ({why})")),
        HeartbeatEvent::Unreachable(since) if since.elapsed() >= limit => {
            Some(format!("no heartbeat got through for {:?}", since.elapsed()))
        }
        _ => None,
    }
}

/// Waits until the heartbeats say this member is out of the group, or have not got
/// through for `limit`; never returns without heartbeats. The reason, for the log.
async fn lost_the_group(
    beats: &mut Option<(CancellationToken, watch::Receiver<HeartbeatEvent>)>,
    limit: Duration,
) -> String {
    let Some((_, rx)) = beats.as_mut() else { return std::future::pending().await };
    loop {
        let event = rx.borrow_and_update().clone();
        if let Some(why) = fence_reason(&event, limit) {
            return why;
        }
        let deadline = match event {
            HeartbeatEvent::Unreachable(since) => Some(since + limit),
            _ => None,
        };
        let changed = async {
            match deadline {
                Some(d) => {
                    tokio::select! {
                        r = rx.changed() => r.is_ok(),
                        _ = tokio::time::sleep_until(d.into()) => true,
                    }
                }
                None => rx.changed().await.is_ok(),
            }
        };
        if !changed.await {
            return std::future::pending().await;
        }
    }
}
