//! The leader's assignment of connectors and tasks to the workers of a group: incremental
//! cooperative rebalancing as KIP-415 and Apache Kafka's `IncrementalCooperativeAssignor`
//! define it, and the eager fallback.
//!
//! [`assign`] is a pure function of the leader's [`AssignorState`] (what it remembers from
//! earlier rounds) and one [`Round`] (the configured connectors and tasks, what every
//! member reports running, the generations and the clock): it returns the new state and,
//! for each member, what to start and what to stop. One round:
//! 1. *Deleted* work (previously assigned, no longer configured) and *duplicated* work
//!    (running on two members) is revoked where it runs.
//! 2. *Lost* work (previously assigned, reported by nobody) is held back while its worker
//!    may come back: a rebalance is scheduled `scheduled.rebalance.max.delay.ms` later and
//!    the delay is sent to members; when it expires, lost work goes to the workers that
//!    joined empty meanwhile, else to everyone as new work. If no member left (the loss
//!    came from a missed assignment), it is reassigned at once.
//! 3. Unless a delay is running, workers above their fair share (total ÷ workers, the
//!    remainder spread one each) give up the excess (a revocation; the members rejoin and
//!    the next round hands it out). Revoking in consecutive rounds backs off exponentially
//!    (1 ms × 40ⁿ, at most the max delay) so a group never revokes in a loop.
//! 4. *Created* work (configured, neither previously assigned nor running) and released
//!    lost work goes round-robin to the least-loaded workers, connectors and tasks apart.
//!
//! Work a member keeps is never moved except to balance, so assignments are sticky.

use std::collections::{BTreeMap, BTreeSet};

use super::protocol::ConnectorsAndTasks;
use crate::task::TaskId;

/// What the leader remembers between rounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignorState {
    /// Everything assigned after the last round (revoked work excluded, lost work kept).
    previous_assignment: ConnectorsAndTasks,
    /// What the last round revoked.
    previous_revocation: ConnectorsAndTasks,
    revoked_in_previous: bool,
    successive_revoking_rounds: u32,
    /// Members that joined empty while lost work was held back.
    candidates: BTreeSet<String>,
    /// When (ms) held-back lost work is to be reassigned; 0: no delay running.
    scheduled_rebalance_ms: i64,
    /// The delay sent with the last assignment.
    delay_ms: i32,
    previous_generation: i32,
    previous_members: BTreeSet<String>,
}

impl Default for AssignorState {
    fn default() -> Self {
        AssignorState {
            previous_assignment: ConnectorsAndTasks::default(),
            previous_revocation: ConnectorsAndTasks::default(),
            revoked_in_previous: false,
            successive_revoking_rounds: 0,
            candidates: BTreeSet::new(),
            scheduled_rebalance_ms: 0,
            delay_ms: 0,
            previous_generation: -1,
            previous_members: BTreeSet::new(),
        }
    }
}

/// One rebalance round as the leader sees it.
#[derive(Debug, Clone)]
pub struct Round<'a> {
    /// Every configured connector and task (from the config topic at the round's offset).
    pub configured: &'a ConnectorsAndTasks,
    /// What each member (by member id) reports running.
    pub members: &'a BTreeMap<String, ConnectorsAndTasks>,
    /// The generation of the last rebalance this leader completed (`-1`: none).
    pub last_completed_generation: i32,
    /// This round's generation.
    pub generation: i32,
    /// The clock, in milliseconds.
    pub now_ms: i64,
    /// `scheduled.rebalance.max.delay.ms`.
    pub max_delay_ms: i32,
}

/// What one member is told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberAssignment {
    /// To start now.
    pub assigned: ConnectorsAndTasks,
    /// To stop now.
    pub revoked: ConnectorsAndTasks,
}

/// A round's outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterAssignment {
    /// Per member: what to start and stop.
    pub members: BTreeMap<String, MemberAssignment>,
    /// What each member runs once it applied its assignment.
    pub running: BTreeMap<String, ConnectorsAndTasks>,
    /// Milliseconds until the leader's scheduled rebalance (0: none).
    pub delay_ms: i32,
}

fn minus(a: &ConnectorsAndTasks, b: &ConnectorsAndTasks) -> ConnectorsAndTasks {
    ConnectorsAndTasks {
        connectors: a.connectors.difference(&b.connectors).cloned().collect(),
        tasks: a.tasks.difference(&b.tasks).cloned().collect(),
    }
}

fn intersect(a: &ConnectorsAndTasks, b: &ConnectorsAndTasks) -> ConnectorsAndTasks {
    ConnectorsAndTasks {
        connectors: a.connectors.intersection(&b.connectors).cloned().collect(),
        tasks: a.tasks.intersection(&b.tasks).cloned().collect(),
    }
}

fn add(a: &mut ConnectorsAndTasks, b: &ConnectorsAndTasks) {
    a.connectors.extend(b.connectors.iter().cloned());
    a.tasks.extend(b.tasks.iter().cloned());
}

fn remove(a: &mut ConnectorsAndTasks, b: &ConnectorsAndTasks) {
    a.connectors.retain(|c| !b.connectors.contains(c));
    a.tasks.retain(|t| !b.tasks.contains(t));
}

fn union<'a>(sets: impl IntoIterator<Item = &'a ConnectorsAndTasks>) -> ConnectorsAndTasks {
    let mut all = ConnectorsAndTasks::default();
    for s in sets {
        add(&mut all, s);
    }
    all
}

/// Work held by more than one member.
fn duplicated(members: &BTreeMap<String, ConnectorsAndTasks>) -> ConnectorsAndTasks {
    let mut seen = ConnectorsAndTasks::default();
    let mut twice = ConnectorsAndTasks::default();
    for m in members.values() {
        for c in &m.connectors {
            if !seen.connectors.insert(c.clone()) {
                twice.connectors.insert(c.clone());
            }
        }
        for t in &m.tasks {
            if !seen.tasks.insert(t.clone()) {
                twice.tasks.insert(t.clone());
            }
        }
    }
    twice
}

/// Kafka's backoff between consecutive revoking rounds: 1 ms × 40ⁿ, capped at `max`.
fn revoking_backoff(rounds: u32, max: i32) -> i32 {
    if max <= 1 {
        return max.max(0);
    }
    let term = 40f64.powi(rounds.min(16) as i32);
    term.min(f64::from(max)) as i32
}

/// Which items each worker gives up so none holds more than its fair share of `total`
/// items (`min = total / workers`, `total % workers` of them may hold one more).
fn balancing_revocations<T: Clone + Ord>(
    total: usize,
    loads: &BTreeMap<String, ConnectorsAndTasks>,
    items: impl Fn(&ConnectorsAndTasks) -> &BTreeSet<T>,
) -> BTreeMap<String, BTreeSet<T>> {
    let workers = loads.len();
    if workers == 0 {
        return BTreeMap::new();
    }
    let min = total / workers;
    let extras = total % workers;
    let at_min = loads.values().filter(|l| items(l).len() == min).count();
    let at_extra = loads.values().filter(|l| items(l).len() == min + 1).count();
    if at_extra == extras && at_min + at_extra == workers {
        return BTreeMap::new();
    }
    let mut out = BTreeMap::new();
    let mut extras_given = 0;
    for (worker, load) in loads {
        let held = items(load);
        if held.len() <= min {
            continue;
        }
        let allowed = if extras_given < extras {
            extras_given += 1;
            if held.len() == min + 1 {
                continue;
            }
            min + 1
        } else {
            min
        };
        // Give up the last ones: the first ones stay where they are.
        let revoked: BTreeSet<T> = held.iter().rev().take(held.len() - allowed).cloned().collect();
        out.insert(worker.clone(), revoked);
    }
    out
}

/// Hands `items` out one at a time to the least-loaded workers (ties by member id).
fn round_robin<T: Clone>(
    next: &mut BTreeMap<String, ConnectorsAndTasks>,
    items: impl IntoIterator<Item = T>,
    load: impl Fn(&ConnectorsAndTasks) -> usize,
    mut give: impl FnMut(&mut ConnectorsAndTasks, T),
) {
    let mut order: Vec<(usize, String)> = next.iter().map(|(w, l)| (load(l), w.clone())).collect();
    if order.is_empty() {
        return;
    }
    order.sort();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        let first = order[0].0;
        let up_to = order.iter().position(|(l, _)| *l > first).unwrap_or(order.len());
        for (l, w) in order.iter_mut().take(up_to) {
            let Some(item) = items.next() else { break };
            if let Some(target) = next.get_mut(w.as_str()) {
                give(target, item);
            }
            *l += 1;
        }
    }
}

impl AssignorState {
    fn reset_delay(&mut self) {
        self.candidates.clear();
        self.scheduled_rebalance_ms = 0;
        self.delay_ms = 0;
    }

    /// Step 2: decides what lost work is handed out now (returned, to assign as new), what
    /// goes straight to candidate workers (added to `next`), and what waits.
    fn handle_lost(
        &mut self,
        lost: &ConnectorsAndTasks,
        next: &mut BTreeMap<String, ConnectorsAndTasks>,
        round: &Round<'_>,
    ) -> ConnectorsAndTasks {
        if lost.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return ConnectorsAndTasks::default();
        }
        let now = round.now_ms;
        let nobody_left = self.previous_members.iter().all(|m| next.contains_key(m));
        if (self.scheduled_rebalance_ms <= 0 && nobody_left) || round.max_delay_ms == 0 {
            return lost.clone();
        }
        if self.scheduled_rebalance_ms > 0 && now >= self.scheduled_rebalance_ms {
            let candidates: Vec<String> =
                self.candidates.iter().filter(|c| next.contains_key(*c)).cloned().collect();
            let reassign_now = if candidates.is_empty() {
                lost.clone()
            } else {
                for (i, c) in lost.connectors.iter().enumerate() {
                    if let Some(w) = next.get_mut(&candidates[i % candidates.len()]) {
                        w.connectors.insert(c.clone());
                    }
                }
                for (i, t) in lost.tasks.iter().enumerate() {
                    if let Some(w) = next.get_mut(&candidates[i % candidates.len()]) {
                        w.tasks.insert(t.clone());
                    }
                }
                ConnectorsAndTasks::default()
            };
            self.reset_delay();
            self.revoked_in_previous = false;
            return reassign_now;
        }
        self.candidates.extend(next.iter().filter(|(_, l)| l.is_empty()).map(|(w, _)| w.clone()));
        self.delay_ms = if now < self.scheduled_rebalance_ms {
            (self.scheduled_rebalance_ms - now).min(i64::from(round.max_delay_ms)) as i32
        } else {
            round.max_delay_ms
        };
        self.scheduled_rebalance_ms = now + i64::from(self.delay_ms);
        ConnectorsAndTasks::default()
    }
}

/// Computes one round of incremental cooperative assignment (see the module docs).
pub fn assign(state: &AssignorState, round: &Round<'_>) -> (AssignorState, ClusterAssignment) {
    let mut s = state.clone();
    if s.previous_generation != round.last_completed_generation {
        // The last round's assignment may never have reached the members.
        s.previous_assignment = ConnectorsAndTasks::default();
    }
    let configured = round.configured;
    let active = union(round.members.values());
    if !s.previous_revocation.is_empty() {
        // A revocation that did not take effect: start again from what runs.
        if !intersect(&s.previous_revocation, &active).is_empty() {
            s.previous_assignment = active.clone();
        }
        s.previous_revocation = ConnectorsAndTasks::default();
    }
    let deleted = minus(&s.previous_assignment, configured);
    let twice = duplicated(round.members);
    let lost = minus(&minus(&s.previous_assignment, &active), &deleted);
    let created = minus(&minus(configured, &s.previous_assignment), &active);

    let current: BTreeMap<String, ConnectorsAndTasks> =
        round.members.iter().map(|(w, l)| (w.clone(), minus(l, &deleted))).collect();
    let mut to_revoke: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
    let mut next = round.members.clone();
    for (w, load) in round.members {
        let mut gone = intersect(load, &deleted);
        add(&mut gone, &intersect(load, &twice));
        if !gone.is_empty() {
            if let Some(n) = next.get_mut(w) {
                remove(n, &gone);
            }
            add(to_revoke.entry(w.clone()).or_default(), &gone);
        }
    }

    let lost_to_assign = s.handle_lost(&lost, &mut next, round);

    if s.delay_ms == 0 {
        let balancing = if next.values().all(ConnectorsAndTasks::is_empty) || configured.is_empty()
        {
            BTreeMap::new()
        } else {
            let mut b: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
            for (w, cs) in
                balancing_revocations(configured.connectors.len(), &next, |l| &l.connectors)
            {
                b.entry(w).or_default().connectors = cs;
            }
            for (w, ts) in balancing_revocations(configured.tasks.len(), &next, |l| &l.tasks) {
                b.entry(w).or_default().tasks = ts;
            }
            b
        };
        let apply = |next: &mut BTreeMap<String, ConnectorsAndTasks>,
                     to_revoke: &mut BTreeMap<String, ConnectorsAndTasks>| {
            for (w, r) in &balancing {
                if let Some(n) = next.get_mut(w) {
                    remove(n, r);
                }
                add(to_revoke.entry(w.clone()).or_default(), r);
            }
        };
        if s.revoked_in_previous && !balancing.is_empty() {
            s.successive_revoking_rounds += 1;
            s.delay_ms = revoking_backoff(s.successive_revoking_rounds, round.max_delay_ms);
            if s.delay_ms != 0 {
                s.scheduled_rebalance_ms = round.now_ms + i64::from(s.delay_ms);
            } else {
                apply(&mut next, &mut to_revoke);
            }
        } else if !balancing.is_empty() {
            apply(&mut next, &mut to_revoke);
            s.revoked_in_previous = true;
        } else if s.revoked_in_previous {
            s.revoked_in_previous = false;
            s.successive_revoking_rounds = 0;
        }
    } else {
        s.revoked_in_previous = false;
    }

    let mut to_assign = created;
    add(&mut to_assign, &lost_to_assign);
    round_robin(
        &mut next,
        to_assign.connectors,
        |l| l.connectors.len(),
        |l, c| {
            l.connectors.insert(c);
        },
    );
    round_robin(
        &mut next,
        to_assign.tasks,
        |l| l.tasks.len(),
        |l, t: TaskId| {
            l.tasks.insert(t);
        },
    );

    let mut members = BTreeMap::new();
    for (w, n) in &next {
        let empty = ConnectorsAndTasks::default();
        let assigned = minus(n, current.get(w).unwrap_or(&empty));
        let revoked = to_revoke.get(w).cloned().unwrap_or_default();
        members.insert(w.clone(), MemberAssignment { assigned, revoked });
    }
    let revoked_all = union(to_revoke.values());
    let mut previous = minus(&union(next.values()), &revoked_all);
    add(&mut previous, &lost);
    s.previous_assignment = previous;
    add(&mut s.previous_revocation, &revoked_all);
    s.previous_generation = round.generation;
    s.previous_members = round.members.keys().cloned().collect();
    let delay_ms = s.delay_ms;
    (s, ClusterAssignment { members, running: next, delay_ms })
}

/// The eager protocol's assignment: everything, round-robin over the members sorted by id,
/// connectors first, then tasks; every member stops all it ran before.
pub fn assign_eager(
    configured: &ConnectorsAndTasks,
    members: &BTreeSet<String>,
) -> BTreeMap<String, ConnectorsAndTasks> {
    let mut out: BTreeMap<String, ConnectorsAndTasks> =
        members.iter().map(|m| (m.clone(), ConnectorsAndTasks::default())).collect();
    let ids: Vec<&String> = members.iter().collect();
    if ids.is_empty() {
        return out;
    }
    let mut i = 0;
    for c in &configured.connectors {
        if let Some(l) = out.get_mut(ids[i % ids.len()]) {
            l.connectors.insert(c.clone());
        }
        i += 1;
    }
    for t in &configured.tasks {
        if let Some(l) = out.get_mut(ids[i % ids.len()]) {
            l.tasks.insert(t.clone());
        }
        i += 1;
    }
    out
}

#[cfg(test)]
#[path = "assignor_tests.rs"]
mod tests;
