//! Paxos: the protocol outcome of each built-in scenario (with the step at which the key
//! thing happens), safety under random fault schedules for the safe rules, the unsafe
//! variants found by a sweep, liveness once faults stop, crash semantics and parameter
//! checks.

use dsplay_core::algo::paxos::{
    Ballot, Cmd, Note, Paxos, Phase, PrepareWhy, Value, ACCEPTED_WITHIN_PROMISE, AGREEMENT,
    PROMISE_NEVER_DECREASES,
};
use dsplay_core::catalog::{builtin, load, sweep as sweep_one};

mod common;

/// The seeds of a sweep whose runs broke a property.
fn sweep(
    seeds: std::ops::Range<u64>,
    mix: FaultMix,
    span: Time,
    params: serde_json::Value,
) -> Vec<u64> {
    common::broken_seeds("paxos", seeds, mix, span, &params, |_| {})
        .into_iter()
        .map(|(seed, _)| seed)
        .collect()
}
use dsplay_core::faults::{random_schedule, FaultMix};
use dsplay_core::protocol::Protocol;
use dsplay_core::scenario::{Scenario, ScriptedAction};
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::{Action, NodeId, Time};
use dsplay_core::trace::StepRecord;
use serde_json::json;

fn run_builtin(id: &str) -> Loaded<Paxos> {
    let mut l = Loaded::<Paxos>::parse(builtin(id).unwrap().json).unwrap();
    let sum = l.run(None, None);
    assert!(sum.steps > 10, "{id} runs: {sum:?}");
    l
}

fn id(name: &str) -> NodeId {
    NodeId(name[1..].parse::<u32>().unwrap() - 1)
}

fn ballot(round: u64, proposer: &str) -> Ballot {
    Ballot {
        round,
        proposer: id(proposer),
    }
}

fn cmd(s: &str) -> Value {
    Value::Cmd(s.into())
}

fn steps(l: &Loaded<Paxos>) -> &[StepRecord<Paxos>] {
    &l.timeline.trace().steps
}

/// (step number from 1, node, note) for every note.
fn notes(l: &Loaded<Paxos>) -> impl Iterator<Item = (u64, NodeId, &Note)> {
    steps(l).iter().flat_map(|s| {
        s.notes
            .iter()
            .map(move |n| (s.index + 1, s.node.unwrap(), n))
    })
}

/// The first step (numbered from 1) with a note that `f` accepts.
fn first(l: &Loaded<Paxos>, f: impl Fn(NodeId, &Note) -> bool) -> Option<u64> {
    notes(l).find(|(_, who, n)| f(*who, n)).map(|(s, _, _)| s)
}

/// (slot, value, ballot, step number from 1) of each time a value was chosen.
fn chosen(l: &Loaded<Paxos>) -> Vec<(u64, Value, Ballot, u64)> {
    let c = l.timeline.sim().checker().unwrap();
    c.chosen_slots()
        .flat_map(|slot| {
            c.chosen_all(slot)
                .iter()
                .map(move |x| (slot, x.value.clone(), x.ballot, x.step + 1))
        })
        .collect()
}

fn learned(l: &Loaded<Paxos>, learner: &str) -> Vec<Value> {
    let d = l
        .timeline
        .sim()
        .node(id(learner))
        .disk
        .learner
        .clone()
        .unwrap();
    d.applied.into_iter().map(|a| a.value).collect()
}

#[test]
fn happy_path_with_one_proposer() {
    let l = run_builtin("paxos-happy");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    assert_eq!(chosen(&l), vec![(1, cmd("x"), ballot(1, "n1"), 9)]);
    assert_eq!(
        first(&l, |w, n| w == id("n1")
            && matches!(n, Note::ProposesOwn { .. })),
        Some(6)
    );
    assert_eq!(
        first(&l, |w, n| w == id("n6") && matches!(n, Note::Learns { .. })),
        Some(12)
    );
    assert_eq!(learned(&l, "n6"), vec![cmd("x")]);
    let n1 = l.timeline.sim().node(id("n1"));
    assert_eq!(n1.mem.proposer.as_ref().unwrap().phase, Phase::Done);
    // Every acceptor holds 1.n1 = 'x' on disk.
    for a in ["n3", "n4", "n5"] {
        let acc = l.timeline.sim().node(id(a)).accepted(1).unwrap();
        assert_eq!((acc.ballot, &acc.value), (ballot(1, "n1"), &cmd("x")));
    }
}

#[test]
fn a_late_proposer_adopts_the_accepted_value() {
    let l = run_builtin("paxos-late-proposer");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let adopted = notes(&l)
        .find_map(|(s, w, n)| match n {
            Note::Adopts { adopted, own, .. } if w == id("n2") => {
                Some((s, adopted.clone(), own.clone()))
            }
            _ => None,
        })
        .expect("n2 adopts");
    assert_eq!(adopted.0, 18);
    assert_eq!(adopted.1.value, cmd("x"));
    assert_eq!(adopted.1.ballot, ballot(1, "n1"));
    assert_eq!(adopted.1.from, id("n4"));
    assert_eq!(adopted.2.as_deref(), Some("y"));
    assert_eq!(
        chosen(&l),
        vec![
            (1, cmd("x"), ballot(1, "n1"), 9),
            (1, cmd("x"), ballot(1, "n2"), 20)
        ]
    );
    // The words name the reporter, the ballot and the value.
    let sim = l.timeline.sim();
    let s = &steps(&l)[17];
    let words = l
        .timeline
        .trace()
        .narrate(sim.proto(), sim.names(), s)
        .join(" | ");
    assert!(
        words.contains("n4 reported 1.n1 = 'x', the highest"),
        "{words}"
    );
}

#[test]
fn accepted_by_a_minority_is_replaced_by_a_higher_ballot() {
    let l = run_builtin("paxos-minority-accepted");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    // n3 alone accepted 'x' at step 13: a minority, never chosen.
    assert_eq!(
        first(&l, |w, n| w == id("n3")
            && matches!(n, Note::Accepts { value, .. } if *value == cmd("x"))),
        Some(13)
    );
    let c = chosen(&l);
    assert!(c.iter().all(|(_, v, _, _)| *v == cmd("y")), "{c:?}");
    assert_eq!(c[0], (1, cmd("y"), ballot(1, "n2"), 23));
    // n1 restarted with round 1 on disk, used 2.n1 and had to adopt 'y' (1.n2 > 1.n1).
    let adopted = notes(&l)
        .find_map(|(s, w, n)| match n {
            Note::Adopts { adopted, .. } if w == id("n1") => Some((s, adopted.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(adopted.0, 35);
    assert_eq!(
        (adopted.1.ballot, adopted.1.value.clone()),
        (ballot(1, "n2"), cmd("y"))
    );
    assert_eq!(adopted.1.reports, 2);
    // n3's 'x' is replaced at step 39.
    assert_eq!(
        first(&l, |w, n| w == id("n3")
            && matches!(n, Note::Accepts { previous: Some(p), .. } if p.value == cmd("x"))),
        Some(39)
    );
    assert_eq!(learned(&l, "n6"), vec![cmd("y")]);
}

#[test]
fn dueling_proposers_livelock_until_back_off() {
    let mut l = run_builtin("paxos-dueling");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let c = chosen(&l);
    assert_eq!(
        (c[0].1.clone(), c[0].2, c[0].3),
        (cmd("x"), ballot(6, "n1"), 80)
    );
    // Before back-off: every beaten proposer retried at once, and many ballots rose.
    let retries = notes(&l)
        .filter(|(s, _, n)| {
            *s < 66
                && matches!(
                    n,
                    Note::Prepares {
                        why: PrepareWhy::Retry,
                        ..
                    }
                )
        })
        .count();
    assert!(retries >= 5, "{retries}");
    assert_eq!(
        first(&l, |_, n| matches!(n, Note::BacksOff { .. })),
        Some(78),
        "the first wait comes after back-off is on"
    );
    // The livelock observation is on before back-off, off once 'x' is chosen.
    l.seek(65);
    let lk = l.timeline.sim().checker().unwrap().livelock().cloned();
    let lk = lk.expect("a livelock is observed");
    assert!(lk.rises >= 6, "{lk:?}");
    l.seek(80);
    assert!(l.timeline.sim().checker().unwrap().livelock().is_none());
}

#[test]
fn a_minority_down_keeps_progress_a_majority_down_blocks() {
    let l = run_builtin("paxos-acceptors-down");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let c = chosen(&l);
    assert_eq!(c[0], (1, cmd("x"), ballot(1, "n1"), 16));
    // With three of five acceptors down, n2's ballots time out: nothing new is chosen
    // until n3 restarts at step 50.
    let timeouts: Vec<u64> = notes(&l)
        .filter(|(_, w, n)| *w == id("n2") && matches!(n, Note::TimedOut { .. }))
        .map(|(s, _, _)| s)
        .collect();
    assert_eq!(timeouts, vec![32, 41, 51]);
    assert_eq!(c[1], (1, cmd("x"), ballot(4, "n2"), 65));
    assert_eq!(c.len(), 2);
}

#[test]
fn multi_paxos_failover_fills_holes_with_noops() {
    let l = run_builtin("paxos-multi-failover");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let leaders: Vec<(u64, NodeId, Vec<u64>, Vec<u64>)> = notes(&l)
        .filter_map(|(s, w, n)| match n {
            Note::BecomesLeader { adopted, noops, .. } => {
                Some((s, w, adopted.clone(), noops.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        leaders,
        vec![
            (6, id("n1"), vec![], vec![]),
            (126, id("n2"), vec![1, 2, 3, 5], vec![4])
        ]
    );
    // The hole is slot 4: a no-op chosen at step 142 by the new leader's ballot.
    let c = chosen(&l);
    assert!(c.contains(&(4, Value::Noop, ballot(2, "n2"), 142)), "{c:?}");
    // The replicas waited at the hole, then applied every slot in order.
    assert_eq!(
        first(&l, |_, n| matches!(
            n,
            Note::WaitsForHole { slot: 5, hole: 4 }
        )),
        Some(101)
    );
    let log = vec![
        cmd("a"),
        cmd("c"),
        cmd("b"),
        Value::Noop,
        cmd("e"),
        cmd("f"),
    ];
    assert_eq!(learned(&l, "n6"), log);
    assert_eq!(learned(&l, "n7"), log);
    // The leader is learned: clients' commands to n6 and n2 went to n1, and n1, back,
    // follows n2.
    assert!(notes(&l).any(|(_, w, n)| w == id("n6")
        && matches!(n, Note::Forwards { leader, .. } if *leader == id("n1"))));
    let sim = l.timeline.sim();
    assert_eq!(sim.node(id("n1")).mem.leader, Some(id("n2")));
    assert_eq!(
        sim.node(id("n1")).mem.proposer.as_ref().unwrap().phase,
        Phase::Following
    );
}

#[test]
fn forgetting_promises_chooses_two_values() {
    let l = run_builtin("paxos-unsafe-forget-promise");
    let v = l.violations();
    assert_eq!(v[0].property, PROMISE_NEVER_DECREASES);
    assert_eq!(v[0].step + 1, 11);
    let agreement = v
        .iter()
        .find(|v| v.property == AGREEMENT)
        .expect("Agreement");
    assert_eq!(agreement.step + 1, 26);
    let c = chosen(&l);
    assert_eq!(c[0].1, cmd("x"));
    assert_eq!(c[1].1, cmd("y"));
    // The same script with promises on disk is safe.
    let mut v: serde_json::Value =
        serde_json::from_str(builtin("paxos-unsafe-forget-promise").unwrap().json).unwrap();
    v["params"]["unsafe_forget_promise"] = json!(false);
    let mut safe = load(&v.to_string()).unwrap();
    safe.run(None, None);
    assert!(safe.violations().is_empty(), "{:?}", safe.violations());
}

#[test]
fn ignoring_reported_values_chooses_two_values() {
    let l = run_builtin("paxos-unsafe-ignore-promises");
    let v = l.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].property, v[0].step + 1), (AGREEMENT, 20));
    assert!(notes(&l).any(|(s, _, n)| s == 18 && matches!(n, Note::IgnoresReported { .. })));
}

#[test]
fn crash_keeps_acceptor_state_and_loses_proposer_memory() {
    let mut l = run_builtin("paxos-happy");
    let before = l.timeline.sim().node(id("n3")).clone();
    l.apply(Action::Crash { node: id("n3") }).unwrap();
    l.apply(Action::Crash { node: id("n1") }).unwrap();
    l.apply(Action::Restart { node: id("n3") }).unwrap();
    l.apply(Action::Restart { node: id("n1") }).unwrap();
    let sim = l.timeline.sim();
    let after = sim.node(id("n3"));
    assert_eq!(
        after.disk, before.disk,
        "promise and accepted values survive"
    );
    let n1 = sim.node(id("n1"));
    assert_eq!(
        n1.disk.proposer.as_ref().unwrap().round,
        1,
        "its round survives"
    );
    assert_eq!(n1.mem.proposer.as_ref().unwrap().phase, Phase::Idle);
    assert!(l.violations().is_empty());
    // Asked again, it uses a new ballot (2.n1), never 1.n1 twice, and adopts 'x'.
    l.apply(Action::Command {
        node: id("n1"),
        cmd: Cmd::Propose { value: "w".into() },
    })
    .unwrap();
    l.run(Some(l.timeline.pos() + 60), None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    assert!(chosen(&l).contains(&(1, cmd("x"), ballot(2, "n1"), chosen(&l)[1].3)));
}

#[test]
fn safe_rules_hold_under_random_fault_schedules() {
    let mixes = [
        FaultMix::ALL,
        FaultMix {
            crashes: true,
            ..FaultMix::NONE
        },
        FaultMix {
            partitions: true,
            duplicates: true,
            ..FaultMix::NONE
        },
        FaultMix {
            pauses: true,
            loss: true,
            reordering: true,
            ..FaultMix::NONE
        },
    ];
    let params = [
        json!({}),
        json!({ "proposers": 3, "acceptors": 5, "backoff": false }),
        json!({ "multi": true, "learners": 2 }),
        json!({ "multi": true, "leader_election": false, "colocated": true, "proposers": 3, "acceptors": 3, "learners": 3 }),
    ];
    for (k, mix) in mixes.iter().enumerate() {
        for p in &params {
            let bad = sweep(k as u64 * 1000..k as u64 * 1000 + 25, *mix, 2000, p.clone());
            assert!(bad.is_empty(), "{mix:?} {p}: violations for seeds {bad:?}");
        }
    }
}

/// The first seed (from `seeds`) whose sweep with `params` shows a violation; its
/// scenario reproduces it, and the same seed with the safe rule is clean.
fn found(
    seeds: std::ops::Range<u64>,
    mix: FaultMix,
    params: serde_json::Value,
    safe: serde_json::Value,
) -> Vec<&'static str> {
    let out = seeds
        .map(|seed| sweep_one("paxos", seed, mix, 2000, Some(&params)).unwrap())
        .find(|o| !o.violations.is_empty())
        .expect("the sweep finds the unsafe variant");
    let mut again = load(&out.scenario).unwrap();
    again.run(None, None);
    assert_eq!(again.violations(), out.violations, "reproduced");
    assert!(sweep(out.seed..out.seed + 1, mix, 2000, safe).is_empty());
    out.violations.iter().map(|v| v.property).collect()
}

#[test]
fn the_sweep_finds_a_proposer_that_ignores_reported_values() {
    let props = found(
        0..200,
        FaultMix::ALL,
        json!({ "unsafe_ignore_promises": true }),
        json!({}),
    );
    assert!(props.contains(&AGREEMENT), "{props:?}");
}

#[test]
fn the_sweep_finds_an_acceptor_that_forgets_its_promise() {
    let mix = FaultMix {
        crashes: true,
        ..FaultMix::NONE
    };
    let props = found(
        0..200,
        mix,
        json!({ "unsafe_forget_promise": true }),
        json!({}),
    );
    assert!(
        props.contains(&PROMISE_NEVER_DECREASES) || props.contains(&ACCEPTED_WITHIN_PROMISE),
        "{props:?}"
    );
}

/// Multi-Paxos with leader election: once every fault window has ended and a majority of
/// acceptors runs, a leader is elected and every command sent to a running node then is
/// applied by every running replica, in the same order.
#[test]
fn multi_paxos_liveness_after_faults_stop() {
    let span: Time = 2000;
    let mut checked = 0;
    for seed in 0..12u64 {
        let mut sc = Scenario::<Paxos>::from_value(json!({
            "algorithm": "paxos", "seed": seed,
            "params": { "multi": true, "learners": 2 }
        }))
        .unwrap();
        let proto = sc.protocol().unwrap();
        let mut actions = random_schedule(
            &proto,
            seed,
            span,
            8,
            4,
            FaultMix {
                stops: false,
                clocks: false,
                ..FaultMix::ALL
            },
        );
        for n in 0..proto.node_total() {
            actions.push(ScriptedAction {
                at: Some(span + 1500 + u64::from(n) * 20),
                at_step: None,
                action: Action::Command {
                    node: NodeId(n),
                    cmd: Cmd::Propose {
                        value: format!("live{n}"),
                    },
                },
            });
        }
        sc.actions = actions;
        sc.run.until = Some(span + 4000);
        sc.run.steps = 200_000;
        let mut l = Loaded::new(sc).unwrap();
        l.run(None, None);
        assert!(
            l.violations().is_empty(),
            "seed {seed}: {:?}",
            l.violations()
        );
        let sim = l.timeline.sim();
        checked += 1;
        let logs: Vec<Vec<Value>> = proto
            .learner_ids()
            .into_iter()
            .map(|n| {
                sim.node(n)
                    .disk
                    .learner
                    .as_ref()
                    .unwrap()
                    .applied
                    .iter()
                    .map(|a| a.value.clone())
                    .collect()
            })
            .collect();
        for n in 0..proto.node_total() {
            let v = cmd(&format!("live{n}"));
            assert!(
                logs[0].contains(&v),
                "seed {seed}: live{n} applied: {:?}",
                logs[0]
            );
        }
        assert_eq!(logs[0], logs[1], "seed {seed}: the replicas agree");
    }
    assert_eq!(checked, 12);
}

#[test]
fn parameters_out_of_range_are_refused() {
    let cases = [
        (json!({ "acceptors": 2 }), "acceptors"),
        (json!({ "acceptors": 10 }), "acceptors"),
        (json!({ "proposers": 0 }), "proposers"),
        (json!({ "learners": 4 }), "learners"),
        (
            json!({ "election_timeout": [400, 200] }),
            "election_timeout",
        ),
        (
            json!({ "multi": true, "heartbeat_interval": 300 }),
            "heartbeat_interval",
        ),
        (json!({ "phase_timeout": 1 }), "phase_timeout"),
    ];
    for (params, field) in cases {
        let text = json!({ "algorithm": "paxos", "params": params }).to_string();
        let e = load(&text).err().expect("refused");
        assert_eq!(e.path, format!("params.{field}"), "{e}");
    }
    let p = Paxos::new(Default::default()).unwrap();
    assert_eq!(p.node_names().len(), 6);
    let c = Paxos::new(dsplay_core::algo::paxos::Params {
        colocated: true,
        acceptors: 5,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.node_names().len(), 5);
    assert!(
        c.roles_of(NodeId(0)).proposer
            && c.roles_of(NodeId(0)).acceptor
            && c.roles_of(NodeId(0)).learner
    );
}

#[test]
fn bad_commands_are_refused_with_a_note() {
    let mut l = run_builtin("paxos-happy");
    for (node, c) in [
        (
            "n1",
            Cmd::Propose {
                value: String::new(),
            },
        ),
        ("n3", Cmd::Propose { value: "q".into() }),
        (
            "n1",
            Cmd::Propose {
                value: "again".into(),
            },
        ),
        ("n4", Cmd::Prepare),
    ] {
        let at = l.timeline.pos();
        l.apply(Action::Command {
            node: id(node),
            cmd: c,
        })
        .unwrap();
        let s = &steps(&l)[at as usize];
        assert!(
            s.notes.iter().any(|n| matches!(n, Note::Refused { .. })),
            "{node}: {:?}",
            s.notes
        );
    }
}
