//! The assignor's properties, checked on random clusters by simulating the members: each
//! applies what it is told (stops the revoked, starts the assigned) and the group
//! rebalances again while anything moved, as cooperative members rejoin after a
//! revocation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

const MAX_DELAY: i32 = 300_000;

fn configured(connectors: &[u32]) -> ConnectorsAndTasks {
    let mut c = ConnectorsAndTasks::default();
    for (i, tasks) in connectors.iter().enumerate() {
        let name = format!("c{i}");
        for t in 0..*tasks {
            c.tasks.insert(TaskId { connector: name.clone(), task: t });
        }
        c.connectors.insert(name);
    }
    c
}

/// A group as the leader would see it round after round.
#[derive(Default)]
struct Sim {
    state: AssignorState,
    running: BTreeMap<String, ConnectorsAndTasks>,
    generation: i32,
    now: i64,
    last: ClusterAssignment,
}

impl Sim {
    /// One rebalance of `members` (members not listed are gone with what they ran).
    fn round(&mut self, configured: &ConnectorsAndTasks, members: &BTreeSet<String>) -> bool {
        self.running.retain(|m, _| members.contains(m));
        let reports: BTreeMap<String, ConnectorsAndTasks> = members
            .iter()
            .map(|m| (m.clone(), self.running.get(m).cloned().unwrap_or_default()))
            .collect();
        let round = Round {
            configured,
            members: &reports,
            last_completed_generation: self.generation - 1,
            generation: self.generation,
            now_ms: self.now,
            max_delay_ms: MAX_DELAY,
        };
        let (state, out) = assign(&self.state, &round);
        self.state = state;
        self.generation += 1;
        let mut moved = false;
        for (m, a) in &out.members {
            let r = self.running.entry(m.clone()).or_default();
            remove(r, &a.revoked);
            add(r, &a.assigned);
            moved |= !a.assigned.is_empty() || !a.revoked.is_empty();
        }
        assert_eq!(self.running, out.running, "members' view differs from the leader's");
        self.last = out;
        moved
    }

    /// Rebalances until nothing moves; panics if that takes more than 10 rounds.
    fn settle(&mut self, configured: &ConnectorsAndTasks, members: &BTreeSet<String>) -> usize {
        for n in 1..=10 {
            if !self.round(configured, members) && self.last.delay_ms == 0 {
                return n;
            }
        }
        panic!("no stable assignment after 10 rounds: {:?}", self.running);
    }

    fn owner_of(&self) -> BTreeMap<String, String> {
        let mut owners = BTreeMap::new();
        for (m, l) in &self.running {
            for c in &l.connectors {
                owners.insert(format!("connector {c}"), m.clone());
            }
            for t in &l.tasks {
                owners.insert(format!("task {t}"), m.clone());
            }
        }
        owners
    }
}

/// Every configured connector and task runs exactly once, nothing else runs, and no
/// member holds two more connectors or tasks than another.
fn check_exactly_once_and_balanced(sim: &Sim, configured: &ConnectorsAndTasks) {
    let mut seen = ConnectorsAndTasks::default();
    for (m, l) in &sim.running {
        for c in &l.connectors {
            assert!(seen.connectors.insert(c.clone()), "connector {c} twice (again on {m})");
        }
        for t in &l.tasks {
            assert!(seen.tasks.insert(t.clone()), "task {t} twice (again on {m})");
        }
    }
    assert_eq!(&seen, configured, "what runs is not what is configured");
    let spread = |f: &dyn Fn(&ConnectorsAndTasks) -> usize| {
        let loads: Vec<usize> = sim.running.values().map(f).collect();
        loads.iter().max().unwrap_or(&0) - loads.iter().min().unwrap_or(&0)
    };
    assert!(spread(&|l| l.connectors.len()) <= 1, "connectors unbalanced: {:?}", sim.running);
    assert!(spread(&|l| l.tasks.len()) <= 1, "tasks unbalanced: {:?}", sim.running);
}

fn members(ids: impl IntoIterator<Item = usize>) -> BTreeSet<String> {
    ids.into_iter().map(|i| format!("worker-{i}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// From nothing, any group settles with every connector and task exactly once,
    /// balanced within one; a further round with nothing changed moves nothing.
    #[test]
    fn a_group_settles_exactly_once_balanced_and_stays(
        tasks in proptest::collection::vec(0u32..6, 0..7),
        n in 1usize..6,
    ) {
        let configured = configured(&tasks);
        let group = members(0..n);
        let mut sim = Sim::default();
        sim.settle(&configured, &group);
        check_exactly_once_and_balanced(&sim, &configured);
        let before = sim.owner_of();
        prop_assert!(!sim.round(&configured, &group), "a quiet round moved work");
        prop_assert_eq!(before, sim.owner_of());
    }

    /// A worker that joins gets a fair share, taken only from what others give up for
    /// balance: nothing else moves.
    #[test]
    fn a_joining_worker_is_balanced_in_and_little_moves(
        tasks in proptest::collection::vec(1u32..6, 1..7),
        n in 1usize..5,
    ) {
        let configured = configured(&tasks);
        let mut sim = Sim::default();
        sim.settle(&configured, &members(0..n));
        let before = sim.owner_of();
        let grown = members(0..=n);
        sim.settle(&configured, &grown);
        check_exactly_once_and_balanced(&sim, &configured);
        let after = sim.owner_of();
        let moved = before.iter().filter(|(k, m)| after.get(*k) != Some(*m)).count();
        let newcomer = sim.running[&format!("worker-{n}")].len();
        prop_assert!(
            moved <= newcomer + n,
            "{} moved for a newcomer holding {}: {:?} -> {:?}", moved, newcomer, before, after
        );
    }

    /// A worker that dies: its work is held back for the delay (nothing else moves, the
    /// delay is sent), then runs elsewhere, exactly once and balanced.
    #[test]
    fn lost_work_waits_for_the_delay_then_moves(
        tasks in proptest::collection::vec(1u32..6, 1..7),
        n in 2usize..6,
        rejoin in any::<bool>(),
    ) {
        let configured = configured(&tasks);
        let mut sim = Sim::default();
        sim.settle(&configured, &members(0..n));
        let dead = format!("worker-{}", n - 1);
        let lost = sim.running[&dead].clone();
        let survivors = members(0..n - 1);
        let kept: BTreeMap<String, ConnectorsAndTasks> =
            sim.running.iter().filter(|(m, _)| *m != &dead).map(|(m, l)| (m.clone(), l.clone())).collect();
        sim.now = 1_000;
        sim.round(&configured, &survivors);
        if !lost.is_empty() {
            prop_assert_eq!(sim.last.delay_ms, MAX_DELAY);
            prop_assert_eq!(&sim.running, &kept, "work moved before the delay");
        }
        // Half-way: still held; a replacement (new member id) may have joined.
        sim.now = 1_000 + i64::from(MAX_DELAY / 2);
        let group = if rejoin { members((0..n - 1).chain([n + 10])) } else { survivors.clone() };
        sim.round(&configured, &group);
        if !lost.is_empty() {
            prop_assert_eq!(sim.last.delay_ms, MAX_DELAY / 2);
            for l in sim.running.values() {
                prop_assert!(l.tasks.intersection(&lost.tasks).next().is_none(), "lost task reassigned early");
            }
        }
        // Expired: handed out, then balanced.
        sim.now = 1_000 + i64::from(MAX_DELAY);
        sim.settle(&configured, &group);
        check_exactly_once_and_balanced(&sim, &configured);
        if rejoin && !lost.is_empty() {
            let newcomer = &sim.running[&format!("worker-{}", n + 10)];
            prop_assert!(!newcomer.is_empty(), "the worker that joined got nothing");
        }
    }

    /// Connectors deleted from the config stop where they run; new ones are started.
    #[test]
    fn config_changes_stop_the_deleted_and_start_the_created(
        before in proptest::collection::vec(0u32..5, 1..6),
        after in proptest::collection::vec(0u32..5, 1..6),
        n in 1usize..5,
    ) {
        let group = members(0..n);
        let mut sim = Sim::default();
        let first = configured(&before);
        sim.settle(&first, &group);
        let mut second = configured(&after);
        // Renamed so some connectors are deleted and some created.
        second.connectors = second.connectors.into_iter().map(|c| format!("{c}x")).collect();
        second.tasks = second.tasks.into_iter().map(|t| TaskId { connector: format!("{}x", t.connector), task: t.task }).collect();
        sim.settle(&second, &group);
        check_exactly_once_and_balanced(&sim, &second);
    }
}

#[test]
fn duplicated_work_is_revoked_everywhere_then_runs_once() {
    let configured = configured(&[2]);
    let group = members(0..2);
    let mut sim = Sim::default();
    // Both members report running the same task (a split brain before this round).
    let t = TaskId { connector: "c0".into(), task: 0 };
    for m in &group {
        sim.running.entry(m.clone()).or_default().tasks.insert(t.clone());
    }
    sim.round(&configured, &group);
    for m in &group {
        assert!(sim.last.members[m].revoked.tasks.contains(&t), "{m} keeps the duplicate");
    }
    sim.settle(&configured, &group);
    check_exactly_once_and_balanced(&sim, &configured);
}

#[test]
fn revoking_rounds_in_a_row_back_off() {
    assert_eq!(revoking_backoff(1, MAX_DELAY), 40);
    assert_eq!(revoking_backoff(2, MAX_DELAY), 1600);
    assert_eq!(revoking_backoff(3, MAX_DELAY), 64_000);
    assert_eq!(revoking_backoff(4, MAX_DELAY), MAX_DELAY);
    assert_eq!(revoking_backoff(9, 0), 0);
}

#[test]
fn the_eager_assignment_spreads_everything_round_robin() {
    let configured = configured(&[3, 1]);
    let out = assign_eager(&configured, &members(0..2));
    let sizes: Vec<usize> = out.values().map(ConnectorsAndTasks::len).collect();
    assert_eq!(sizes, vec![3, 3]);
    assert_eq!(union(out.values()), configured);
}
