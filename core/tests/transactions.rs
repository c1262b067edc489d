//! Distributed transactions (2PC, 3PC): the outcome of each built-in scenario, parameter
//! checks, the participant options, and property tests over seeds and fault schedules
//! (2PC keeps AC1-AC4 under every fault; 3PC keeps them without partitions, and a sweep
//! with partitions finds the AC1 violation).

use dsplay_core::algo::transactions::{
    self, note_state, parse_option, parse_writes, Coordinator, LogRecord, Node, Note, Params,
    Participant, ParticipantMem, Rec, Transactions, TxState, TxnChecker, Variant, Vote, Writes,
    AC1, AC2, AC3, AC4, COORD,
};
use dsplay_core::catalog::{builtin, load, sweep as sweep_one};
use dsplay_core::faults::FaultMix;
use dsplay_core::protocol::Protocol;
use dsplay_core::scenario::Scenario;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::{NodeId, NodeStatus};
use dsplay_core::Algorithm;
use proptest::prelude::*;
use serde_json::json;

fn run(json: &str) -> Loaded<Transactions> {
    let mut l = Loaded::<Transactions>::parse(json).unwrap();
    let sum = l.run(None, None);
    assert!(sum.ended, "runs to its end within its `run` bound: {sum:?}");
    l
}

fn run_builtin(id: &str) -> Loaded<Transactions> {
    run(builtin(id).unwrap().json)
}

fn node<'a>(l: &'a Loaded<Transactions>, name: &str) -> &'a Node {
    let i = l.names().iter().position(|n| n == name).unwrap();
    l.timeline.sim().node(NodeId(i as u32))
}

fn participant<'a>(l: &'a Loaded<Transactions>, name: &str) -> &'a Participant {
    node(l, name).as_participant().expect("a participant")
}

fn coordinator(l: &Loaded<Transactions>) -> &Coordinator {
    node(l, "coord").as_coordinator().expect("the coordinator")
}

fn decision(l: &Loaded<Transactions>, name: &str, tx: u32) -> Option<bool> {
    node(l, name).logged_decision(tx)
}

fn notes(l: &Loaded<Transactions>) -> impl Iterator<Item = (Option<NodeId>, u64, &Note)> {
    l.timeline
        .trace()
        .steps
        .iter()
        .flat_map(|s| s.notes.iter().map(move |n| (s.node, s.time, n)))
}

const ALL: [&str; 4] = ["coord", "n1", "n2", "n3"];

#[test]
fn every_builtin_loads_and_names_its_nodes() {
    let ids: Vec<&str> = Transactions::BUILTINS.iter().map(|b| b.id).collect();
    assert_eq!(ids.len(), 7, "{ids:?}");
    for id in ids {
        let l = Loaded::<Transactions>::parse(builtin(id).unwrap().json).unwrap();
        assert_eq!(l.names()[0], "coord");
        assert!(!l.scenario.description.is_empty(), "{id}");
    }
}

#[test]
fn happy_path_commits_both_transactions_everywhere() {
    let l = run_builtin("txn-2pc-happy");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    for tx in [1, 2] {
        for n in ALL {
            assert_eq!(decision(&l, n, tx), Some(true), "{n} T{tx}");
        }
    }
    // The second transaction wrote x=5 over the first's x=1.
    let d = &participant(&l, "n2").disk.data;
    assert_eq!(d.get("x").map(String::as_str), Some("5"));
    assert_eq!(d.get("y").map(String::as_str), Some("2"));
    // The coordinator logs the decision before it sends it, and ends after the acks.
    let recs: Vec<(u32, Rec)> = coordinator(&l)
        .disk
        .log
        .iter()
        .map(|r| (r.tx, r.rec))
        .collect();
    let pos = |x| recs.iter().position(|r| *r == x).unwrap();
    assert!(pos((1, Rec::Begin)) < pos((1, Rec::Commit)));
    assert!(pos((1, Rec::Commit)) < pos((1, Rec::End)));
    assert!(
        pos((1, Rec::Commit)) < pos((2, Rec::Begin)),
        "one after the other"
    );
    // Each participant logged YES before the decision.
    let p = &participant(&l, "n1").disk.log;
    assert_eq!(
        p.iter()
            .filter(|r| r.tx == 1)
            .map(|r| r.rec)
            .collect::<Vec<_>>(),
        vec![Rec::Work, Rec::Yes, Rec::Commit]
    );
}

#[test]
fn one_no_vote_aborts_everyone() {
    let l = run_builtin("txn-2pc-vote-no");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    for n in ALL {
        assert_eq!(decision(&l, n, 1), Some(false), "{n}");
    }
    assert!(!node(&l, "n2").has(1, Rec::Yes));
    assert!(node(&l, "n1").has(1, Rec::Yes));
    assert!(
        participant(&l, "n1").disk.data.is_empty(),
        "aborted writes are discarded"
    );
}

#[test]
fn coordinator_crash_after_prepare_blocks_until_it_recovers_and_aborts() {
    let l = run_builtin("txn-2pc-coord-crash");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let blocked: Vec<(NodeId, u64)> = notes(&l)
        .filter(|(_, _, note)| matches!(note, Note::Blocked { .. }))
        .map(|(n, t, _)| (n.unwrap(), t))
        .collect();
    for p in 1..=3 {
        assert!(
            blocked.iter().any(|(n, _)| *n == NodeId(p)),
            "n{p} blocks: {blocked:?}"
        );
    }
    // Nobody decided while the coordinator was down (crashed at 165, restarted at 1000).
    let first_decision = notes(&l)
        .find_map(|(_, t, n)| {
            matches!(
                note_state(n),
                Some((1, TxState::Committed | TxState::Aborted))
            )
            .then_some(t)
        })
        .unwrap();
    assert!(first_decision >= 1000, "decided at {first_decision}");
    for n in ALL {
        assert_eq!(decision(&l, n, 1), Some(false), "{n}");
    }
}

#[test]
fn partial_commit_blocks_n3_until_the_coordinator_resends_from_its_log() {
    let l = run_builtin("txn-2pc-partial-commit");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    for n in ALL {
        assert_eq!(decision(&l, n, 1), Some(true), "{n}");
    }
    let learned: Vec<(u64, NodeId)> = notes(&l)
        .filter_map(|(n, t, note)| match note {
            Note::Learns { tx: 1, from, .. } if n == Some(NodeId(3)) => Some((t, *from)),
            _ => None,
        })
        .collect();
    assert_eq!(learned.len(), 1, "{learned:?}");
    assert!(learned[0].0 >= 1300, "n3 waits for the coordinator");
    assert_eq!(learned[0].1, COORD);
    assert!(notes(&l)
        .any(|(n, _, note)| n == Some(NodeId(3))
            && matches!(note, Note::Blocked { again: true, .. })));
}

#[test]
fn cooperative_termination_unblocks_n3_through_a_peer() {
    let l = run_builtin("txn-2pc-cooperative");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    for n in ALL {
        assert_eq!(decision(&l, n, 1), Some(true), "{n}");
    }
    let learned = notes(&l)
        .find_map(|(n, t, note)| match note {
            Note::Learns { tx: 1, from, .. } if n == Some(NodeId(3)) => Some((t, *from)),
            _ => None,
        })
        .unwrap();
    assert!(
        learned.0 < 1500,
        "before the coordinator restarts: {learned:?}"
    );
    assert_ne!(learned.1, COORD, "from a peer");
}

#[test]
fn three_pc_coordinator_crash_participants_commit_by_timeout() {
    let l = run_builtin("txn-3pc-coord-crash");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let by_timeout = notes(&l)
        .filter(|(_, t, n)| matches!(n, Note::TimeoutCommits { tx: 1 }) && *t < 1000)
        .count();
    assert_eq!(by_timeout, 3, "each participant commits by the 3PC rule");
    for n in ALL {
        assert_eq!(decision(&l, n, 1), Some(true), "{n}");
    }
}

#[test]
fn three_pc_partition_violates_agreement() {
    let l = run_builtin("txn-3pc-partition");
    let v = l.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].property, AC1);
    assert_eq!(decision(&l, "coord", 1), Some(true));
    assert_eq!(decision(&l, "n1", 1), Some(true));
    assert_eq!(decision(&l, "n2", 1), Some(false));
    assert_eq!(decision(&l, "n3", 1), Some(false));
    assert_eq!(
        notes(&l)
            .filter(|(_, _, n)| matches!(n, Note::TimeoutAborts { tx: 1 }))
            .count(),
        2
    );
    // Without the partition the same run commits everywhere.
    let mut v: serde_json::Value =
        serde_json::from_str(builtin("txn-3pc-partition").unwrap().json).unwrap();
    v["actions"].as_array_mut().unwrap().truncate(1);
    let l = run(&v.to_string());
    assert!(l.violations().is_empty());
    for n in ALL {
        assert_eq!(decision(&l, n, 1), Some(true), "{n}");
    }
}

#[test]
fn a_participant_that_fails_before_voting_crashes_and_aborts_on_restart() {
    let doc = json!({
        "algorithm": "transactions", "seed": 4,
        "params": { "votes": { "n2": "fail" } },
        "network": { "latency": [20, 60] },
        "actions": [
            { "at": 10, "action": { "command": { "node": "coord", "cmd": { "begin": { "writes": { "a": "1" } } } } } },
            { "at": 900, "action": { "restart": { "node": "n2" } } }
        ]
    });
    let mut l = Loaded::<Transactions>::parse(&doc.to_string()).unwrap();
    l.run(Some(30), Some(800));
    assert!(matches!(l.status(2), Some(NodeStatus::Crashed { .. })));
    l.run(Some(500), None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    for n in ALL {
        assert_eq!(decision(&l, n, 1), Some(false), "{n}");
    }
    assert!(notes(&l).any(|(_, _, n)| matches!(n, Note::FailsBeforeVoting { tx: 1 })));
    assert!(!node(&l, "n2").has(1, Rec::Yes));
}

#[test]
fn set_vote_and_misaddressed_commands_are_narrated() {
    let mut s = load(builtin("txn-2pc-happy").unwrap().json).unwrap();
    s.apply_json(r#"{ "command": { "node": "n1", "cmd": { "set_vote": { "vote": "no" } } } }"#)
        .unwrap();
    s.apply_json(r#"{ "command": { "node": "n1", "cmd": { "begin": {} } } }"#)
        .unwrap();
    s.apply_json(r#"{ "command": { "node": "coord", "cmd": { "set_vote": { "vote": "no" } } } }"#)
        .unwrap();
    s.apply_json(
        r#"{ "command": { "node": "coord", "cmd": { "begin": { "writes": { "bad key": "1" } } } } }"#,
    )
    .unwrap();
    s.seek(4);
    let text: Vec<String> = (0..4)
        .flat_map(|i| s.step_view(i).unwrap().narration)
        .collect();
    let all = text.join("\n");
    assert!(all.contains("n1 will vote NO from now on"), "{all}");
    assert!(
        all.contains("transactions are started at the coordinator"),
        "{all}"
    );
    assert!(all.contains("only participants vote"), "{all}");
    assert!(all.contains("refuses the transaction"), "{all}");
    // n1 now votes NO: the scripted transactions abort.
    s.run(Some(400), None);
    let l = s.as_any().downcast_ref::<Loaded<Transactions>>().unwrap();
    assert_eq!(decision(l, "coord", 1), Some(false));
    assert!(l.violations().is_empty());
    assert!(s
        .apply_json(
            r#"{ "command": { "node": "n1", "cmd": { "set_vote": { "vote": "maybe" } } } }"#
        )
        .is_err());
}

#[test]
fn parameters_out_of_range_are_refused() {
    for (params, field) in [
        (json!({ "participants": 1 }), "participants"),
        (json!({ "participants": 8 }), "participants"),
        (json!({ "timeout": 10 }), "timeout"),
        (json!({ "votes": { "n4": "no" } }), "votes.n4"),
        (json!({ "votes": { "coord": "no" } }), "votes.coord"),
    ] {
        let e = Transactions::new(serde_json::from_value(params.clone()).unwrap()).unwrap_err();
        assert_eq!(e.field, field, "{params}");
        let doc = json!({ "algorithm": "transactions", "params": params });
        let err = load(&doc.to_string()).err().unwrap();
        assert!(err.path.contains(field), "{err}");
    }
    let doc = json!({ "algorithm": "transactions", "params": { "protocol": "4pc" } });
    assert!(load(&doc.to_string()).is_err());
    let doc =
        json!({ "algorithm": "transactions", "params": { "participants": 7, "protocol": "3pc" } });
    let s = load(&doc.to_string()).unwrap();
    assert_eq!(s.names().len(), 8);
}

/// One transaction begun at `begin` ms in a run with these parameters, network latency,
/// seed and script (`actions` before the transaction).
fn one_transaction(
    seed: u64,
    params: serde_json::Value,
    latency: [u64; 2],
    mut actions: Vec<serde_json::Value>,
    begin: u64,
) -> Loaded<Transactions> {
    actions.push(json!(
        { "at": begin, "action": { "command": { "node": "coord", "cmd": { "begin": {} } } } }
    ));
    let doc = json!({
        "algorithm": "transactions", "seed": seed, "params": params,
        "network": { "latency": latency }, "actions": actions,
    });
    run(&doc.to_string())
}

fn everyone_voted_yes(l: &Loaded<Transactions>, tx: u32) -> bool {
    ["n1", "n2", "n3"]
        .iter()
        .all(|n| node(l, n).has(tx, Rec::Yes))
}

fn properties_of(l: &Loaded<Transactions>) -> Vec<&'static str> {
    l.violations().iter().map(|v| v.property).collect()
}

#[test]
fn an_abort_before_anyone_voted_is_no_ac4_violation() {
    // Nothing fails, but the coordinator gives up on the work before it is done (a 50 ms
    // timeout, 40-60 ms per message): it aborts before it asked for a vote. AC4 speaks of
    // transactions on which every participant voted YES: this is none.
    let l = one_transaction(3, json!({ "timeout": 50 }), [40, 60], vec![], 10);
    assert_eq!(decision(&l, "coord", 1), Some(false));
    for n in ["n1", "n2", "n3"] {
        assert!(!node(&l, n).has(1, Rec::Yes), "{n} never voted");
    }
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    // With the default timeout the same run commits.
    let l = one_transaction(3, json!({}), [40, 60], vec![], 10);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    assert_eq!(decision(&l, "coord", 1), Some(true));
}

#[test]
fn timeouts_shorter_than_the_delays_violate_non_triviality() {
    // 3PC with a 50 ms timeout on a 10-30 ms network: every participant votes YES, but a
    // round trip plus the wait for the slowest vote can take longer than 50 ms, so the
    // coordinator gives up on the votes in flight and the participants time out while
    // uncertain. Nothing failed: AC4 catches the needless abort.
    let params = json!({ "protocol": "3pc", "timeout": 50 });
    let l = one_transaction(26, params, [10, 30], vec![], 300);
    assert!(everyone_voted_yes(&l, 1));
    assert_eq!(decision(&l, "coord", 1), Some(false));
    let v = l.violations();
    assert_eq!(properties_of(&l), vec![AC4], "{v:?}");
    assert!(
        v[0].explanation
            .contains("coord aborted T1 although every participant voted YES"),
        "{v:?}"
    );
    // With the default timeout the same run commits.
    let l = one_transaction(26, json!({ "protocol": "3pc" }), [10, 30], vec![], 300);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    assert_eq!(decision(&l, "coord", 1), Some(true));
}

#[test]
fn ac4_is_checked_for_a_transaction_begun_after_every_fault_healed() {
    // The same run, with a crash, a lossy window and a partition in its first 90 ms, all
    // over long before the transaction begins at 300 ms. Those faults touch no transaction:
    // the needless abort (every participant voted YES, the coordinator and the
    // participants timed out) is still AC4.
    let faults = vec![
        json!({ "at": 5, "action": { "crash": { "node": "n2" } } }),
        json!({ "at": 30, "action": { "restart": { "node": "n2" } } }),
        json!({ "at": 40, "action": { "network": { "loss": 0.2 } } }),
        json!({ "at": 60, "action": { "network": { "loss": 0.0 } } }),
        json!({ "at": 70, "action": { "partition": { "groups": [["coord", "n1"], ["n2", "n3"]] } } }),
        json!({ "at": 90, "action": "heal" }),
    ];
    let params = json!({ "protocol": "3pc", "timeout": 50 });
    let l = one_transaction(26, params, [10, 30], faults, 300);
    assert!(everyone_voted_yes(&l, 1));
    assert_eq!(decision(&l, "coord", 1), Some(false));
    let ready_timeouts = notes(&l)
        .filter(|(_, t, n)| *t > 300 && matches!(n, Note::TimeoutAborts { tx: 1 }))
        .count();
    assert!(
        ready_timeouts > 0,
        "a participant aborts by its READY timeout"
    );
    assert_eq!(properties_of(&l), vec![AC4], "{:?}", l.violations());
    // A fault while the transaction is open touches it: a lossy window that drops nothing
    // (nothing is sent between 301 and 302 ms) is enough to make the abort excusable.
    let faults = vec![
        json!({ "at": 301, "action": { "network": { "loss": 0.5 } } }),
        json!({ "at": 302, "action": { "network": { "loss": 0.0 } } }),
    ];
    let params = json!({ "protocol": "3pc", "timeout": 50 });
    let l = one_transaction(26, params, [10, 30], faults, 300);
    assert_eq!(decision(&l, "coord", 1), Some(false));
    assert!(l.violations().is_empty(), "{:?}", l.violations());
}

#[test]
fn restart_rebuilds_volatile_state_from_the_log() {
    // Crash n1 while it is READY (voted YES, no decision) in 2PC: on restart it is READY
    // again, asks, and learns the decision.
    let mut l = Loaded::<Transactions>::parse(builtin("txn-2pc-happy").unwrap().json).unwrap();
    let ready_at = loop {
        assert!(l.step_forward());
        if l.timeline.sim().node(NodeId(1)).state_of(1) == Some(TxState::Ready) {
            break l.pos();
        }
    };
    let disk = l
        .timeline
        .sim()
        .node(NodeId(1))
        .as_participant()
        .unwrap()
        .disk
        .clone();
    l.apply_json(r#"{ "crash": { "node": "n1" } }"#).unwrap();
    l.step_forward();
    let n1 = l.timeline.sim().node(NodeId(1)).as_participant().unwrap();
    assert_eq!(n1.mem, ParticipantMem::default(), "volatile state lost");
    assert_eq!(n1.disk, disk, "the log survives");
    l.run(Some(10), None);
    l.apply_json(r#"{ "restart": { "node": "n1" } }"#).unwrap();
    l.step_forward();
    let n1 = l.timeline.sim().node(NodeId(1));
    assert!(ready_at > 0);
    assert_eq!(
        n1.state_of(1),
        Some(TxState::Ready),
        "rebuilt from 'yes T1'"
    );
    assert!(n1.txns()[&1].recovering);
    l.run(Some(500), None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    assert_eq!(decision(&l, "n1", 1), Some(true));
    assert_eq!(decision(&l, "n2", 1), Some(true));
}

/// Every process that is up and logged anything about a transaction ends with a decision
/// on it (a participant set to fail before voting may stay down).
fn all_decided(l: &Loaded<Transactions>) -> Result<(), String> {
    let sim = l.timeline.sim();
    for n in sim.node_ids().filter(|n| sim.is_up(*n)) {
        let node = sim.node(n);
        for r in node.log() {
            if node.logged_decision(r.tx).is_none() {
                return Err(format!("{} has no decision on T{}", sim.name(n), r.tx));
            }
        }
    }
    Ok(())
}

fn sweep_loaded(
    seed: u64,
    mix: FaultMix,
    span: u64,
    params: serde_json::Value,
) -> Loaded<Transactions> {
    let out = sweep_one(transactions::NAME, seed, mix, span, Some(&params)).unwrap();
    let sc: Scenario<Transactions> = Scenario::parse(&out.scenario).unwrap();
    let mut l = Loaded::new(sc).unwrap();
    l.run(None, None);
    assert_eq!(
        l.violations(),
        out.violations,
        "the sweep's file reproduces it"
    );
    // Everything is healed by `span`: let the queued transactions and the resends finish.
    l.run(Some(50_000), Some(span * 3 + 60_000));
    l
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    /// 2PC never violates AC1-AC4, whatever the faults (crashes, restarts, pauses, loss,
    /// partitions), with or without cooperative termination; once everything is healed
    /// every transaction gets decided everywhere.
    #[test]
    fn two_pc_is_safe_under_any_faults(
        seed in any::<u64>(),
        crashes in any::<bool>(),
        pauses in any::<bool>(),
        partitions in any::<bool>(),
        loss in any::<bool>(),
        delays in any::<bool>(),
        cooperative in any::<bool>(),
        participants in 2u32..=5,
        span in 300u64..2500,
    ) {
        let mix = FaultMix { crashes, pauses, partitions, loss, delays };
        let params = json!({ "protocol": "2pc", "cooperative": cooperative, "participants": participants });
        let l = sweep_loaded(seed, mix, span, params);
        prop_assert!(l.violations().is_empty(), "{:?}\n{}", l.violations(), l.scenario.to_json());
        prop_assert!(all_decided(&l).is_ok(), "{:?}\n{}", all_decided(&l), l.scenario.to_json());
    }

    /// 3PC keeps AC1-AC4 when processes crash and restart but the network neither
    /// partitions nor loses messages (its synchrony assumption).
    #[test]
    fn three_pc_is_safe_with_crashes_only(
        seed in any::<u64>(),
        participants in 2u32..=5,
        span in 300u64..2500,
    ) {
        let mix = FaultMix { crashes: true, ..FaultMix::NONE };
        let params = json!({ "protocol": "3pc", "participants": participants });
        let l = sweep_loaded(seed, mix, span, params);
        prop_assert!(l.violations().is_empty(), "{:?}\n{}", l.violations(), l.scenario.to_json());
        prop_assert!(all_decided(&l).is_ok(), "{:?}\n{}", all_decided(&l), l.scenario.to_json());
    }

    /// With the default timeout (well above two message delays) no failure-free
    /// transaction aborts, in either protocol, whatever faults the rest of the run has:
    /// every abort the faults cause is on a transaction they touched, so AC4 holds
    /// (3PC may still break AC1 under partitions or loss).
    #[test]
    fn faults_excuse_only_the_aborts_they_touch(
        seed in any::<u64>(),
        three_phase in any::<bool>(),
        crashes in any::<bool>(),
        pauses in any::<bool>(),
        partitions in any::<bool>(),
        loss in any::<bool>(),
        delays in any::<bool>(),
        participants in 2u32..=5,
        span in 300u64..2500,
    ) {
        let mix = FaultMix { crashes, pauses, partitions, loss, delays };
        let protocol = if three_phase { "3pc" } else { "2pc" };
        let params = json!({ "protocol": protocol, "participants": participants });
        let l = sweep_loaded(seed, mix, span, params);
        let ac4: Vec<_> = l.violations().into_iter().filter(|v| v.property == AC4).collect();
        prop_assert!(ac4.is_empty(), "{:?}\n{}", ac4, l.scenario.to_json());
    }
}

#[test]
fn a_sweep_finds_the_three_pc_partition_violation() {
    let params = json!({ "protocol": "3pc" });
    let mix = FaultMix {
        partitions: true,
        ..FaultMix::NONE
    };
    let found = (0..200u64).find_map(|seed| {
        let out = sweep_one(transactions::NAME, seed, mix, 2000, Some(&params)).unwrap();
        (!out.violations.is_empty()).then_some(out)
    });
    let out = found.expect("an AC1 violation within 200 seeds");
    assert!(
        out.violations.iter().any(|v| v.property == AC1),
        "{:?}",
        out.violations
    );
    let mut s = load(&out.scenario).unwrap();
    s.run(None, None);
    assert_eq!(s.violations().first(), out.violations.first());
    // The same seed under 2PC is safe.
    let two = sweep_one(
        transactions::NAME,
        out.seed,
        mix,
        2000,
        Some(&json!({ "protocol": "2pc" })),
    )
    .unwrap();
    assert!(two.violations.is_empty(), "{:?}", two.violations);
}

/// Every protocol note of every step of a run, in words, with the step it belongs to.
/// (The kernel's own lines are not looked at: they write a partition as `{coord n1}`.)
fn note_texts(l: &Loaded<Transactions>) -> Vec<(u64, String)> {
    let p = l.timeline.sim().proto();
    l.timeline
        .trace()
        .steps
        .iter()
        .flat_map(|s| {
            s.notes.iter().map(move |n| {
                (
                    s.index,
                    p.describe_note(s.node.unwrap_or(COORD), n, l.names()),
                )
            })
        })
        .collect()
}

fn assert_no_placeholders(what: &str, l: &Loaded<Transactions>) -> usize {
    let lines = note_texts(l);
    assert!(!lines.is_empty(), "{what}: no narration");
    // The same lines are those the page shows for the step.
    for (i, t) in &lines {
        assert!(
            !t.contains('{') && !t.contains('}'),
            "{what}, step {i}: a placeholder is left in the narration: {t}"
        );
        let shown = l.step_view(*i).unwrap().narration.join("\n");
        assert!(
            shown.contains(t.as_str()),
            "{what}, step {i}: {t} is not in {shown}"
        );
    }
    lines.len()
}

#[test]
fn no_narration_has_a_placeholder_left() {
    let (mut total, mut no_answers) = (0, 0);
    for b in Transactions::BUILTINS {
        total += assert_no_placeholders(b.id, &run(b.json));
    }
    for seed in 0..12u64 {
        for params in [
            json!({ "protocol": "2pc" }),
            json!({ "protocol": "2pc", "cooperative": true, "participants": 4 }),
            json!({ "protocol": "3pc", "participants": 2 }),
        ] {
            let mix = FaultMix {
                crashes: true,
                pauses: seed % 2 == 0,
                partitions: seed % 3 == 0,
                loss: seed % 4 == 1,
                delays: seed % 5 == 2,
            };
            let out = sweep_one(transactions::NAME, seed, mix, 1500, Some(&params)).unwrap();
            let mut l = Loaded::<Transactions>::parse(&out.scenario).unwrap();
            l.run(None, None);
            total += assert_no_placeholders(&format!("seed {seed} {params}"), &l);
            no_answers += notes(&l)
                .filter(|(_, _, n)| matches!(n, Note::RepeatsVote { yes: false, .. }))
                .count();
        }
    }
    assert!(total > 1000, "{total} notes looked at");
    assert!(
        no_answers > 0,
        "the runs include a NO answered by a process that aborted"
    );
}

#[test]
fn a_no_answer_says_why_without_claiming_an_earlier_vote() {
    let p = Transactions::new(Default::default()).unwrap();
    let names: Vec<String> = p.node_names();
    let no = p.describe_note(NodeId(2), &Note::RepeatsVote { tx: 4, yes: false }, &names);
    assert!(no.contains("T4") && no.contains("n2"), "{no}");
    assert!(!no.contains("again") && !no.contains('{'), "{no}");
    let yes = p.describe_note(NodeId(2), &Note::RepeatsVote { tx: 4, yes: true }, &names);
    assert!(yes.contains("voted YES already"), "{yes}");
}

#[test]
fn queued_transactions_survive_a_coordinator_crash() {
    // T1 runs, T2 and T3 wait in the queue; the coordinator crashes before deciding T1.
    let doc = json!({
        "algorithm": "transactions", "seed": 1,
        "network": { "latency": [20, 40] },
        "actions": [
            { "at": 10, "action": { "command": { "node": "coord", "cmd": { "begin": { "writes": { "x": "1" } } } } } },
            { "at": 12, "action": { "command": { "node": "coord", "cmd": { "begin": { "writes": { "x": "2" } } } } } },
            { "at": 14, "action": { "command": { "node": "coord", "cmd": { "begin": { "writes": { "x": "3" } } } } } },
            { "at": 30, "action": { "crash": { "node": "coord" } } },
            { "at": 800, "action": { "restart": { "node": "coord" } } }
        ],
        "run": { "steps": 400 }
    });
    let l = run(&doc.to_string());
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    // T1 was open at the crash: recovery aborts it. T2 and T3 then run and commit.
    assert_eq!(decision(&l, "coord", 1), Some(false));
    for n in ALL {
        assert_eq!(decision(&l, n, 2), Some(true), "{n} T2");
        assert_eq!(decision(&l, n, 3), Some(true), "{n} T3");
    }
    assert_eq!(
        participant(&l, "n1").disk.data.get("x").map(String::as_str),
        Some("3")
    );
    assert!(coordinator(&l).disk.queue.is_empty());
    let keeps: Vec<u32> = notes(&l)
        .filter_map(|(_, _, n)| match n {
            Note::KeepsQueue { waiting } => Some(*waiting),
            _ => None,
        })
        .collect();
    assert_eq!(
        keeps,
        vec![2],
        "the restart says two transactions still wait"
    );
    let text: String = l
        .timeline
        .trace()
        .steps
        .iter()
        .flat_map(|s| {
            s.notes
                .iter()
                .map(|n| {
                    l.timeline
                        .sim()
                        .proto()
                        .describe_note(s.node.unwrap_or(COORD), n, l.names())
                })
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("2 transactions still wait"), "{text}");
}

fn rec(tx: u32, rec: Rec) -> LogRecord {
    LogRecord {
        at: 0,
        tx,
        rec,
        writes: Writes::new(),
    }
}

fn names3() -> Vec<String> {
    ["coord", "n1", "n2", "n3"].map(String::from).to_vec()
}

#[test]
fn the_checker_reports_a_reversed_decision_as_ac2() {
    let mut c = TxnChecker::new(3);
    let mut out = Vec::new();
    let yes = |_: NodeId, _: u32| true;
    c.check_records(
        NodeId(2),
        &names3(),
        &[rec(7, Rec::Yes), rec(7, Rec::Commit)],
        &yes,
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    c.check_records(NodeId(2), &names3(), &[rec(7, Rec::Abort)], &yes, &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].property, AC2);
    let e = &out[0].explanation;
    assert!(e.contains("n2") && e.contains("T7"), "{e}");
    assert!(e.contains("commit") && e.contains("abort"), "{e}");
    // Reported once per transaction.
    c.check_records(
        NodeId(2),
        &names3(),
        &[rec(7, Rec::Commit), rec(7, Rec::Abort)],
        &yes,
        &mut out,
    );
    assert_eq!(out.len(), 1, "{out:?}");
}

#[test]
fn the_checker_reports_a_commit_without_every_yes_as_ac3() {
    let mut c = TxnChecker::new(3);
    let mut out = Vec::new();
    // n1 and n3 logged YES on T5, n2 did not.
    let yes = |p: NodeId, tx: u32| tx == 5 && p != NodeId(2);
    c.check_records(
        COORD,
        &names3(),
        &[rec(5, Rec::Begin), rec(5, Rec::Commit)],
        &yes,
        &mut out,
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].property, AC3);
    let e = &out[0].explanation;
    assert!(
        e.contains("coord committed T5") && e.contains("n2 never voted YES"),
        "{e}"
    );
    assert!(!e.contains("n1") && !e.contains("n3"), "{e}");
    // All YES: no AC3.
    let all = |_: NodeId, _: u32| true;
    c.check_records(COORD, &names3(), &[rec(6, Rec::Commit)], &all, &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
}

#[test]
fn the_checker_reports_disagreement_as_ac1() {
    let mut c = TxnChecker::new(2);
    let mut out = Vec::new();
    let yes = |_: NodeId, _: u32| true;
    let names = ["coord", "n1", "n2"].map(String::from).to_vec();
    c.check_records(COORD, &names, &[rec(3, Rec::Begin)], &yes, &mut out);
    c.touch_all();
    c.check_records(NodeId(1), &names, &[rec(3, Rec::Commit)], &yes, &mut out);
    c.check_records(NodeId(2), &names, &[rec(3, Rec::Abort)], &yes, &mut out);
    let props: Vec<&str> = out.iter().map(|v| v.property).collect();
    assert_eq!(props, vec![AC1], "{out:?}");
    assert!(
        out[0]
            .explanation
            .contains("n2 decided abort on T3 but n1 decided commit"),
        "{out:?}"
    );
}

#[test]
fn the_checker_reports_ac4_per_transaction_when_all_voted_yes_and_nothing_touched_it() {
    let names = ["coord", "n1", "n2"].map(String::from).to_vec();
    let all_yes = |_: NodeId, _: u32| true;
    let props = |out: &[dsplay_core::invariant::Violation]| -> Vec<(&str, String)> {
        out.iter()
            .map(|v| (v.property, v.explanation.clone()))
            .collect()
    };
    // A broken history: T1 begins, both participants vote YES, nothing fails, and the
    // coordinator aborts. A failure before T1 began does not excuse it.
    let mut c = TxnChecker::new(2);
    c.touch_all();
    let mut out = Vec::new();
    c.check_records(COORD, &names, &[rec(1, Rec::Begin)], &all_yes, &mut out);
    c.check_records(NodeId(1), &names, &[rec(1, Rec::Yes)], &all_yes, &mut out);
    c.check_records(NodeId(2), &names, &[rec(1, Rec::Yes)], &all_yes, &mut out);
    assert!(out.is_empty(), "{out:?}");
    c.check_records(COORD, &names, &[rec(1, Rec::Abort)], &all_yes, &mut out);
    assert_eq!(
        props(&out),
        vec![(
            AC4,
            "coord aborted T1 although every participant voted YES and no failure touched it (are the timeouts shorter than the message delays?)".to_string()
        )]
    );
    // Reported once per transaction, not for each process that learns the abort.
    c.check_records(NodeId(1), &names, &[rec(1, Rec::Abort)], &all_yes, &mut out);
    c.check_records(NodeId(2), &names, &[rec(1, Rec::Abort)], &all_yes, &mut out);
    assert_eq!(out.len(), 1, "{out:?}");

    // T2 is touched by a failure while it is open: its abort is allowed. T3, begun after
    // that failure, is not touched by it; a failure touching T2 alone leaves T3 alone too.
    let mut out = Vec::new();
    c.check_records(COORD, &names, &[rec(2, Rec::Begin)], &all_yes, &mut out);
    c.touch_all();
    c.check_records(
        COORD,
        &names,
        &[rec(2, Rec::Abort), rec(3, Rec::Begin)],
        &all_yes,
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
    c.touch(2);
    c.check_records(NodeId(1), &names, &[rec(3, Rec::Abort)], &all_yes, &mut out);
    assert_eq!(props(&out).len(), 1, "{out:?}");
    assert_eq!(out[0].property, AC4);
    assert!(out[0].explanation.starts_with("n1 aborted T3"), "{out:?}");

    // T4: n2 did not vote YES (it voted NO, or never voted because the coordinator gave up
    // first): an abort is no violation, failure or not.
    let mut out = Vec::new();
    let n2_silent = |p: NodeId, tx: u32| !(tx == 4 && p == NodeId(2));
    c.check_records(COORD, &names, &[rec(4, Rec::Begin)], &n2_silent, &mut out);
    c.check_records(COORD, &names, &[rec(4, Rec::Abort)], &n2_silent, &mut out);
    assert!(out.is_empty(), "{out:?}");

    // T5: committed everywhere: nothing to report, and a failure after it ended does not
    // reach back.
    c.check_records(
        COORD,
        &names,
        &[rec(5, Rec::Begin), rec(5, Rec::Commit)],
        &all_yes,
        &mut out,
    );
    c.check_records(
        NodeId(1),
        &names,
        &[rec(5, Rec::Commit)],
        &all_yes,
        &mut out,
    );
    c.check_records(
        NodeId(2),
        &names,
        &[rec(5, Rec::Commit)],
        &all_yes,
        &mut out,
    );
    c.touch_all();
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn a_restarted_participant_says_what_its_log_tells_it() {
    // 3PC: crash n1 when it is pre-committed, then restart it: it says it will commit on
    // timeout. Crash n2 when it is READY and keep it cut off after its restart: it says
    // once why it asks, then asks again without repeating that it restarted.
    let doc = json!({
        "algorithm": "transactions", "seed": 2,
        "params": { "protocol": "3pc" },
        "network": { "latency": [20, 40] },
        "actions": [
            { "at": 10, "action": { "command": { "node": "coord", "cmd": { "begin": {} } } } }
        ],
        "run": { "steps": 400 }
    });
    let mut l = Loaded::<Transactions>::parse(&doc.to_string()).unwrap();
    let state = |l: &Loaded<Transactions>, i: u32| l.timeline.sim().node(NodeId(i)).state_of(1);
    while state(&l, 1) != Some(TxState::Precommit) {
        assert!(l.step_forward());
    }
    l.apply_json(r#"{ "crash": { "node": "n1" } }"#).unwrap();
    l.step_forward();
    l.apply_json(r#"{ "restart": { "node": "n1" } }"#).unwrap();
    l.run(Some(400), None);
    assert!(
        notes(&l).any(|(n, _, note)| n == Some(NodeId(1))
            && matches!(note, Note::RestartsPrecommitted { tx: 1 })),
        "n1 says it will commit on timeout"
    );
    let names = l.names().to_vec();
    let t = l.timeline.sim().proto().describe_note(
        NodeId(1),
        &Note::RestartsPrecommitted { tx: 1 },
        &names,
    );
    assert!(
        t.contains("commits") && t.contains("3PC timeout rule"),
        "{t}"
    );
    assert_eq!(decision(&l, "n1", 1), Some(true));

    // n2 uncertain after a restart, alone in a partition.
    let mut l = Loaded::<Transactions>::parse(&doc.to_string()).unwrap();
    while state(&l, 2) != Some(TxState::Ready) {
        assert!(l.step_forward());
    }
    for a in [
        r#"{ "crash": { "node": "n2" } }"#,
        r#"{ "partition": { "groups": [["n2"], ["coord", "n1", "n3"]] } }"#,
        r#"{ "restart": { "node": "n2" } }"#,
    ] {
        l.apply_json(a).unwrap();
        l.step_forward();
    }
    l.run(Some(300), Some(l.timeline.sim().time() + 1500));
    let at_n2: Vec<&Note> = notes(&l)
        .filter(|(n, _, _)| *n == Some(NodeId(2)))
        .map(|(_, _, n)| n)
        .collect();
    let restarts = at_n2
        .iter()
        .filter(|n| matches!(n, Note::AsksAfterRestart { .. }))
        .count();
    let again = at_n2
        .iter()
        .filter(|n| matches!(n, Note::Blocked { again: true, .. }))
        .count();
    assert_eq!(restarts, 1, "{at_n2:?}");
    assert!(again >= 2, "{at_n2:?}");
    assert_eq!(decision(&l, "n2", 1), None, "cut off, it may not decide");
}

#[test]
fn ignoring_names_the_message_and_learning_names_the_ack_receiver() {
    let mut ignores = 0;
    let mut learned_from_peer = false;
    let mut runs: Vec<Loaded<Transactions>> =
        Transactions::BUILTINS.iter().map(|b| run(b.json)).collect();
    for seed in 0..6 {
        let mix = FaultMix {
            crashes: true,
            loss: true,
            ..FaultMix::NONE
        };
        let params = json!({ "cooperative": true });
        runs.push(sweep_loaded(seed, mix, 1500, params));
    }
    for l in &runs {
        let p = l.timeline.sim().proto();
        let names = l.names();
        for s in &l.timeline.trace().steps {
            let me = s.node.unwrap_or(COORD);
            for n in &s.notes {
                let t = p.describe_note(me, n, names);
                match n {
                    Note::Ignores {
                        what,
                        from: Some(f),
                        ..
                    } => {
                        ignores += 1;
                        assert!(t.contains(what) && t.contains(&names[f.index()]), "{t}");
                    }
                    Note::Learns { from, .. } if *from != COORD => {
                        learned_from_peer = true;
                        assert!(t.contains("sends an ACK to coord"), "{t}");
                    }
                    Note::Learns { .. } => assert!(t.contains("sends an ACK to coord"), "{t}"),
                    _ => {}
                }
            }
        }
    }
    assert!(learned_from_peer);
    assert!(
        ignores > 0,
        "the cooperative run has late answers to ignore"
    );
}

#[test]
fn writes_accept_spaces_and_commas() {
    let w = |pairs: &[(&str, &str)]| -> Writes {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    for text in [
        "x=1, y=2",
        "x = 1, y = 2",
        "x=1 y=2",
        " x =1 ;y= 2 ",
        "x = 1 y = 2",
    ] {
        assert_eq!(
            parse_writes(text),
            Ok(w(&[("x", "1"), ("y", "2")])),
            "{text}"
        );
    }
    assert_eq!(parse_writes("x ="), Ok(w(&[("x", "")])));
    for (text, says) in [
        ("", "at least one"),
        ("x", "`x` is not of the form key=value"),
        ("x 1", "`x` is not of the form key=value"),
        ("=1", "a key is 1 to 16"),
        ("a-b=1", "a key is 1 to 16"),
        ("x==1", "one '=' per pair"),
        ("x=1, x=2", "`x` is written twice"),
        ("x=12345678901234567", "at most 16 characters"),
        ("a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1", "at most 8 writes"),
    ] {
        let e = parse_writes(text).unwrap_err();
        assert!(e.contains(says), "{text}: {e}");
    }
}

#[test]
fn typed_options_out_of_range_say_which_option_and_what_was_typed() {
    for (label, text, range, unit, says) in [
        (
            "Participants",
            "9",
            2..=7,
            "",
            "Participants must be between 2 and 7 (not 9)",
        ),
        (
            "Participants",
            "1",
            2..=7,
            "",
            "Participants must be between 2 and 7 (not 1)",
        ),
        (
            "Participants",
            "x",
            2..=7,
            "",
            "Participants must be between 2 and 7 (not `x`)",
        ),
        (
            "Participants",
            " ",
            2..=7,
            "",
            "Participants must be between 2 and 7 (not empty)",
        ),
        (
            "Timeout",
            "10",
            50..=60_000,
            " ms",
            "Timeout must be between 50 and 60000 ms (not 10)",
        ),
    ] {
        assert_eq!(
            parse_option(label, text, range, unit),
            Err(says.to_string())
        );
    }
    assert_eq!(parse_option("Participants", " 5 ", 2..=7, ""), Ok(5));
    assert_eq!(parse_option("Timeout", "800", 50..=60_000, " ms"), Ok(800));
}

#[test]
fn fewer_participants_drop_the_vote_settings_of_the_others() {
    let params = Params {
        participants: 5,
        votes: [("n2", Vote::No), ("n4", Vote::Fail), ("n5", Vote::No)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        ..Params::default()
    };
    let (fewer, dropped) = params.with_participants(3);
    assert_eq!(dropped, ["n4", "n5"]);
    assert_eq!(fewer.participants, 3);
    assert_eq!(
        fewer.votes.into_iter().collect::<Vec<_>>(),
        [("n2".to_string(), Vote::No)]
    );
    let (fewer, _) = params.with_participants(3);
    assert!(
        Transactions::new(fewer).is_ok(),
        "the protocol accepts them"
    );
    // More participants: every setting stays, the rest are unchanged.
    let (more, dropped) = params.with_participants(7);
    assert!(dropped.is_empty(), "{dropped:?}");
    assert_eq!(
        more,
        Params {
            participants: 7,
            ..params.clone()
        }
    );
}

#[test]
fn a_scenario_with_fewer_participants_leaves_out_what_names_the_others() {
    let sc = Scenario::<Transactions>::parse(builtin("txn-3pc-partition").unwrap().json).unwrap();
    // More participants: nothing left out, the scenario runs with them.
    let (more, fitted) = sc.with_params(sc.params.with_participants(7).0).unwrap();
    assert!(fitted.is_empty(), "{fitted:?}");
    assert_eq!(Loaded::new(more).unwrap().names().len(), 8);
    // Two: the slow link to n3 goes, the partition keeps n2 on its own side.
    let (fewer, fitted) = sc.with_params(sc.params.with_participants(2).0).unwrap();
    assert_eq!((fitted.links, fitted.narrowed, fitted.left_out), (1, 1, 0));
    let sentence = fitted.sentence().unwrap();
    assert!(sentence.starts_with("n3 is gone"), "{sentence}");
    let mut l = Loaded::new(fewer).unwrap();
    assert_eq!(l.names().len(), 3);
    l.run(None, None);
    // Every built-in still loads and runs with two participants; only n3 is gone.
    for b in Transactions::BUILTINS {
        let sc = Scenario::<Transactions>::parse(b.json).unwrap();
        let (params, dropped) = sc.params.with_participants(2);
        assert!(dropped.iter().all(|d| d == "n3"), "{}: {dropped:?}", b.id);
        let (fewer, fitted) = sc
            .with_params(params)
            .unwrap_or_else(|e| panic!("{}: {e}", b.id));
        assert!(
            fitted.gone.iter().all(|g| g == "n3"),
            "{}: {fitted:?}",
            b.id
        );
        Loaded::new(fewer)
            .unwrap_or_else(|e| panic!("{}: {e}", b.id))
            .run(None, None);
    }
    // The other options, typed.
    let (twopc, _) = sc
        .with_params(Params {
            protocol: Variant::TwoPhase,
            ..sc.params.clone()
        })
        .unwrap();
    assert!(!Loaded::new(twopc)
        .unwrap()
        .timeline
        .sim()
        .proto()
        .three_phase());
    let (slow, _) = sc
        .with_params(Params {
            timeout: 800,
            ..sc.params.clone()
        })
        .unwrap();
    let l = Loaded::new(slow).unwrap();
    assert_eq!(l.timeline.sim().proto().params().timeout, 800);
}

#[test]
fn a_crash_says_what_the_log_keeps_and_who_is_left_uncertain() {
    let l = run_builtin("txn-2pc-coord-crash");
    let (step, note) = l
        .timeline
        .trace()
        .steps
        .iter()
        .find_map(|s| {
            s.notes
                .iter()
                .find(|n| matches!(n, Note::Crashes { .. }))
                .map(|n| (s.index, n))
        })
        .expect("the coordinator's crash carries a note");
    assert!(
        matches!(note, Note::Crashes { coordinator: true, open, .. } if !open.is_empty()),
        "{note:?}"
    );
    let words = l.step_view(step).unwrap().narration.join(" | ");
    for w in ["coord stops", "write-ahead log", "uncertain", "2PC blocks"] {
        assert!(words.contains(w), "`{w}` missing in: {words}");
    }
}
