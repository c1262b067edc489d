//! Property tests: the messaging invariants hold under random seeds, workloads and fault
//! schedules when deduplication is on; with it off, a seed sweep finds a violation.

use dsplay_core::algo::messaging::{self, Cmd, Messaging, NO_DUPLICATION};
use dsplay_core::catalog::{load, sweep as sweep_one};
use dsplay_core::faults::FaultMix;
use dsplay_core::scenario::{Scenario, ScriptedAction};
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::{Action, NodeId, Time};
use proptest::prelude::*;
use serde_json::json;

/// Any mix of the kinds of fault.
pub fn mix() -> impl Strategy<Value = FaultMix> {
    any::<u16>().prop_map(|bits| {
        let on = |i: u32| bits & (1 << i) != 0;
        FaultMix {
            crashes: on(0),
            stops: on(1),
            pauses: on(2),
            partitions: on(3),
            cuts: on(4),
            loss: on(5),
            delays: on(6),
            reordering: on(7),
            duplicates: on(8),
            clocks: on(9),
        }
    })
}

/// One scripted step of our own fault/workload generator (node indexes are taken modulo
/// the cluster size, so any value is valid).
#[derive(Clone, Debug)]
enum Op {
    Request(u32, u32),
    Broadcast(u32),
    Publish(u32, bool),
    Subscribe(u32, bool),
    Unsubscribe(u32, bool),
    Crash(u32),
    Restart(u32),
    Pause(u32),
    Resume(u32),
    Partition(Vec<bool>),
    Cut(u32, u32),
    Heal,
    Network(u32, u32),
    Link(u32, u32, u32),
    Drop(u64),
    Delay(u64, Time),
}

fn op() -> impl Strategy<Value = Op> {
    let n = 0u32..10;
    prop_oneof![
        3 => (n.clone(), n.clone()).prop_map(|(a, b)| Op::Request(a, b)),
        2 => n.clone().prop_map(Op::Broadcast),
        2 => (n.clone(), any::<bool>()).prop_map(|(a, t)| Op::Publish(a, t)),
        1 => (n.clone(), any::<bool>()).prop_map(|(a, t)| Op::Subscribe(a, t)),
        1 => (n.clone(), any::<bool>()).prop_map(|(a, t)| Op::Unsubscribe(a, t)),
        1 => n.clone().prop_map(Op::Crash),
        1 => n.clone().prop_map(Op::Restart),
        1 => n.clone().prop_map(Op::Pause),
        1 => n.clone().prop_map(Op::Resume),
        1 => prop::collection::vec(any::<bool>(), 10).prop_map(Op::Partition),
        1 => (n.clone(), n.clone()).prop_map(|(a, b)| Op::Cut(a, b)),
        1 => Just(Op::Heal),
        1 => (0u32..=6, 0u32..=4).prop_map(|(l, d)| Op::Network(l, d)),
        1 => (n.clone(), n.clone(), 0u32..=8).prop_map(|(a, b, l)| Op::Link(a, b, l)),
        1 => (0u64..60).prop_map(Op::Drop),
        1 => (0u64..60, 0u64..400).prop_map(|(m, by)| Op::Delay(m, by)),
    ]
}

fn to_action(op: &Op, nodes: u32) -> Action<Cmd> {
    // Ordinary nodes are 0..nodes; the broker is `nodes`.
    let any = |i: u32| NodeId(i % (nodes + 1));
    let ordinary = |i: u32| NodeId(i % nodes);
    let topic = |t: bool| if t { "news" } else { "prices" }.to_string();
    let command = |node, cmd| Action::Command { node, cmd };
    match op {
        Op::Request(a, b) => command(
            ordinary(*a),
            Cmd::Request {
                to: any(*b),
                body: String::new(),
            },
        ),
        Op::Broadcast(a) => command(any(*a), Cmd::Broadcast { body: "b".into() }),
        Op::Publish(a, t) => command(
            ordinary(*a),
            Cmd::Publish {
                topic: topic(*t),
                body: String::new(),
            },
        ),
        Op::Subscribe(a, t) => command(ordinary(*a), Cmd::Subscribe { topic: topic(*t) }),
        Op::Unsubscribe(a, t) => command(ordinary(*a), Cmd::Unsubscribe { topic: topic(*t) }),
        Op::Crash(a) => Action::Crash { node: any(*a) },
        Op::Restart(a) => Action::Restart { node: any(*a) },
        Op::Pause(a) => Action::Pause { node: any(*a) },
        Op::Resume(a) => Action::Resume { node: any(*a) },
        Op::Partition(side) => {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            for i in 0..=nodes {
                if side[i as usize % side.len()] {
                    x.push(NodeId(i));
                } else {
                    y.push(NodeId(i));
                }
            }
            Action::Partition { groups: vec![x, y] }
        }
        Op::Cut(a, b) => Action::Cut {
            a: any(*a),
            b: any(*b),
            one_way: a % 2 == 1,
        },
        Op::Heal => Action::Heal,
        Op::Network(l, d) => Action::Network {
            latency: None,
            loss: Some(f64::from(*l) / 10.0),
            duplicate: Some(f64::from(*d) / 10.0),
        },
        Op::Link(a, b, l) => Action::Link {
            from: any(*a),
            to: any(*b),
            params: dsplay_core::sim::LinkParams {
                latency: [5, 80],
                loss: f64::from(*l) / 10.0,
                duplicate: 0.2,
            },
            both: l % 2 == 0,
        },
        Op::Drop(m) => Action::DropMessage { id: *m },
        Op::Delay(m, by) => Action::DelayMessage { id: *m, by: *by },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The sweep's random workload and fault schedule (`faults::random_schedule`).
    #[test]
    fn invariants_hold_under_random_fault_schedules(
        seed in any::<u64>(),
        mix in mix(),
        span in 300u64..2500,
    ) {
        let out = sweep_one(messaging::NAME, seed, mix, span, None).unwrap();
        prop_assert!(out.steps > 0);
        prop_assert!(
            out.violations.is_empty(),
            "seed {seed}, {mix:?}, span {span}: {:?}\n{}",
            out.violations,
            out.scenario
        );
    }

    /// Our own schedules: any mix of commands and faults, never necessarily healed, with
    /// random parameters (deduplication on).
    #[test]
    fn invariants_hold_under_arbitrary_scripts(
        seed in any::<u64>(),
        nodes in 2u32..=6,
        reliable in any::<bool>(),
        max_retries in 0u32..5,
        timeout in 20u64..300,
        script in prop::collection::vec((0u64..2000, op()), 1..60),
    ) {
        let mut sc = Scenario::<Messaging>::from_value(json!({
            "algorithm": "messaging",
            "seed": seed,
            "params": {
                "nodes": nodes,
                "reliable": reliable,
                "max_retries": max_retries,
                "request_timeout": timeout,
                "retransmit_interval": timeout,
                "subscriptions": { "n1": ["news"], "n2": ["news", "prices"] },
            },
            "network": { "latency": [5, 60], "loss": 0.05, "duplicate": 0.05 },
        }))
        .unwrap();
        sc.actions = script
            .iter()
            .map(|(at, op)| ScriptedAction {
                at: Some(*at),
                at_step: None,
                action: to_action(op, nodes),
            })
            .collect();
        sc.run.steps = 3000;
        sc.run.until = Some(6000);
        let mut l = Loaded::new(sc).unwrap();
        let sum = l.run(None, None);
        prop_assert!(sum.steps > 0);
        prop_assert!(
            l.violations().is_empty(),
            "{:?}\n{}",
            l.violations(),
            l.scenario.to_json()
        );
    }
}

#[test]
fn without_dedup_a_sweep_finds_a_violation_within_50_seeds() {
    let params = json!({ "dedup": false });
    let found = (0..50u64).find_map(|seed| {
        let out = sweep_one(messaging::NAME, seed, FaultMix::ALL, 2000, Some(&params)).unwrap();
        (!out.violations.is_empty()).then_some(out)
    });
    let out = found.expect("a violation within the first 50 seeds");
    assert!(
        out.violations.iter().any(|v| v.property == NO_DUPLICATION),
        "{:?}",
        out.violations
    );
    // The scenario the sweep wrote reproduces the violation at the same step.
    let mut s = load(&out.scenario).unwrap();
    s.run(None, None);
    let again = s.violations();
    assert_eq!(
        again.first(),
        out.violations.first(),
        "reproduced from the scenario file"
    );
    // And the same seeds with deduplication on are clean.
    let clean = sweep_one(messaging::NAME, out.seed, FaultMix::ALL, 2000, None).unwrap();
    assert!(clean.violations.is_empty(), "{:?}", clean.violations);
}

#[test]
fn the_sweep_is_deterministic() {
    let a = sweep_one(messaging::NAME, 77, FaultMix::ALL, 1500, None).unwrap();
    let b = sweep_one(messaging::NAME, 77, FaultMix::ALL, 1500, None).unwrap();
    assert_eq!(a.steps, b.steps);
    assert_eq!(a.scenario, b.scenario);
    let c = sweep_one(messaging::NAME, 78, FaultMix::ALL, 1500, None).unwrap();
    assert_ne!(a.scenario, c.scenario);
    assert!(sweep_one("nope", 1, FaultMix::ALL, 1500, None).is_err());
}
