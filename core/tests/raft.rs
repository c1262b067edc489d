//! Raft: the protocol outcome of each built-in scenario, safety under random fault
//! schedules (and the unsafe commit rule found violating), liveness once faults stop,
//! crash semantics and parameter checks.

use dsplay_core::algo::raft::{
    Cmd, Msg, Node, Note, Raft, RaftMem, Role, LEADER_COMPLETENESS, STATE_MACHINE_SAFETY,
};
use dsplay_core::catalog::{builtin, load, sweep as sweep_one};
use dsplay_core::faults::{random_schedule, FaultMix};
use dsplay_core::protocol::Protocol;
use dsplay_core::scenario::{Scenario, ScriptedAction};
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::{Action, NodeId, Time};
use dsplay_core::trace::{StepKind, StepRecord};
use serde_json::json;

fn run_builtin(id: &str) -> Loaded<Raft> {
    let mut l = Loaded::<Raft>::parse(builtin(id).unwrap().json).unwrap();
    let sum = l.run(None, None);
    assert!(sum.steps > 50, "{id} runs: {sum:?}");
    l
}

fn id(name: &str) -> NodeId {
    NodeId(name[1..].parse::<u32>().unwrap() - 1)
}

fn node<'a>(l: &'a Loaded<Raft>, name: &str) -> &'a Node {
    l.timeline.sim().node(id(name))
}

/// The log as `term:key=value` strings.
fn log(n: &Node) -> Vec<String> {
    n.disk
        .log
        .iter()
        .map(|e| format!("{}:{}", e.term, e.command()))
        .collect()
}

fn steps(l: &Loaded<Raft>) -> &[StepRecord<Raft>] {
    &l.timeline.trace().steps
}

/// (step, node, note) for every note.
fn notes(l: &Loaded<Raft>) -> impl Iterator<Item = (&StepRecord<Raft>, NodeId, &Note)> {
    steps(l)
        .iter()
        .flat_map(|s| s.notes.iter().map(move |n| (s, s.node.unwrap(), n)))
}

/// Who became leader, in which term, in order.
fn elections(l: &Loaded<Raft>) -> Vec<(u64, NodeId)> {
    notes(l)
        .filter_map(|(_, who, n)| match n {
            Note::BecomesLeader { term, .. } => Some((*term, who)),
            _ => None,
        })
        .collect()
}

/// The single live leader at the end, with every up server agreeing on its log.
fn final_leader(l: &Loaded<Raft>) -> NodeId {
    let sim = l.timeline.sim();
    let leaders: Vec<NodeId> = sim
        .node_ids()
        .filter(|&n| sim.is_up(n) && sim.node(n).mem.role == Role::Leader)
        .collect();
    assert_eq!(leaders.len(), 1, "one live leader at the end: {leaders:?}");
    leaders[0]
}

fn assert_all_up_agree(l: &Loaded<Raft>, expected: &[&str]) {
    let sim = l.timeline.sim();
    for n in sim.node_ids().filter(|&n| sim.is_up(n)) {
        let s = sim.node(n);
        assert_eq!(log(s), expected, "{} log", sim.name(n));
        assert_eq!(
            s.mem.commit_index,
            expected.len() as u64,
            "{} commit",
            sim.name(n)
        );
        assert_eq!(
            s.mem.last_applied,
            expected.len() as u64,
            "{} applied",
            sim.name(n)
        );
    }
}

#[test]
fn first_election() {
    let l = run_builtin("raft-first-election");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let e = elections(&l);
    assert_eq!(e.len(), 1, "one election: {e:?}");
    assert_eq!(e[0].0, 1, "won in term 1");
    assert_eq!(final_leader(&l), e[0].1);
    assert_all_up_agree(&l, &["1:x=1", "1:y=2"]);
    for n in l.timeline.sim().node_ids() {
        let kv = &l.timeline.sim().node(n).mem.kv;
        assert_eq!(kv.get("x").map(|v| &**v), Some("1"));
        assert_eq!(kv.get("y").map(|v| &**v), Some("2"));
    }
    // The request to the follower was redirected, and both clients were answered.
    assert!(notes(&l).any(|(_, who, n)| who == id("n4")
        && matches!(n, Note::ClientRedirected { leader } if *leader == e[0].1)));
    let answered = notes(&l)
        .filter(|(_, _, n)| matches!(n, Note::AnswersClient { .. }))
        .count();
    assert_eq!(answered, 2);
    // Votes went to the winner from a majority.
    let granted = notes(&l)
        .filter(|(_, _, n)| matches!(n, Note::GrantsVote { candidate, term: 1, .. } if *candidate == e[0].1))
        .count();
    assert!(
        granted >= 2,
        "the winner got at least two votes besides its own"
    );
}

#[test]
fn leader_crash_and_recovery() {
    let l = run_builtin("raft-leader-crash");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let e = elections(&l);
    assert_eq!(e[0], (1, id("n1")), "n1 leads term 1");
    let second = e[1];
    assert!(second.0 >= 2 && second.1 != id("n1"), "a new leader: {e:?}");
    // y=2 committed while n1 was down (n1 restarts at 1200 ms).
    let commit = notes(&l)
        .find(|(_, who, n)| *who == second.1 && matches!(n, Note::LeaderCommits { to: 2, .. }))
        .expect("the new leader commits entry 2");
    assert!(commit.0.time < 1200, "committed without n1");
    // n1 restarts with its persistent state and catches up.
    assert!(notes(&l).any(|(s, who, n)| who == id("n1")
        && s.time == 1200
        && matches!(
            n,
            Note::Restarts {
                term: 1,
                entries: 1
            }
        )));
    assert!(notes(&l).any(|(s, who, n)| who == id("n1")
        && s.time > 1200
        && matches!(n, Note::Appends { first: 2, last: 2, leader } if *leader == second.1)));
    assert!(notes(&l).any(|(s, who, n)| who == id("n1")
        && s.time > 1200
        && matches!(n, Note::FollowerCommits { to: 2, .. })));
    assert_all_up_agree(&l, &["1:x=1", &format!("{}:y=2", second.0)]);
    assert_eq!(node(&l, "n1").mem.role, Role::Follower);
    assert_eq!(node(&l, "n1").disk.current_term, second.0);
}

#[test]
fn crash_and_pause_steps_say_what_they_mean_for_raft() {
    let l = run_builtin("raft-leader-crash");
    let (crash, _, note) = notes(&l)
        .find(|(_, _, n)| matches!(n, Note::Crashes { .. }))
        .expect("the crash of n1 carries a Raft note");
    assert_eq!(
        *note,
        Note::Crashes {
            role: Role::Leader,
            term: 1,
            entries: 1,
            commit: 1
        }
    );
    let words = l.step_view(crash.index).unwrap().narration.join(" | ");
    for w in [
        "n1 stops",
        "persistent and survive",
        "volatile and lost",
        "new term",
    ] {
        assert!(words.contains(w), "`{w}` missing in: {words}");
    }
    // A paused leader still believes it leads; on resume it carries on until a higher term.
    let mut l = Loaded::<Raft>::parse(builtin("raft-first-election").unwrap().json).unwrap();
    l.run(Some(60), None);
    let leader = (0..5)
        .map(NodeId)
        .find(|&n| l.timeline.sim().node(n).mem.role == Role::Leader)
        .expect("a leader after 60 steps");
    l.timeline.apply(Action::Pause { node: leader });
    let pause = steps(&l).last().unwrap().index;
    let words = l.step_view(pause).unwrap().narration.join(" | ");
    for w in [
        "freezes",
        "still the leader of term 1",
        "sends no heartbeats",
    ] {
        assert!(words.contains(w), "`{w}` missing in: {words}");
    }
    l.timeline.apply(Action::Resume { node: leader });
    let resume = steps(&l).last().unwrap().index;
    let words = l.step_view(resume).unwrap().narration.join(" | ");
    for w in [
        "runs again",
        "carries on as the leader of term 1",
        "higher term",
    ] {
        assert!(words.contains(w), "`{w}` missing in: {words}");
    }
}

#[test]
fn crash_keeps_persistent_state_and_loses_volatile_state() {
    let mut l = Loaded::<Raft>::parse(builtin("raft-leader-crash").unwrap().json).unwrap();
    let crash = loop {
        assert!(l.step_forward());
        let s = steps(&l).last().unwrap();
        if s.time == 450 {
            break s.index;
        }
    };
    let before = l.timeline.sim_at(crash).node(id("n1")).clone();
    let after = l.timeline.sim().node(id("n1")).clone();
    assert_eq!(before.mem.role, Role::Leader);
    assert!(before.mem.commit_index >= 1 && !before.mem.kv.is_empty());
    // Term, vote and log are on disk; role, commit index, state machine, nextIndex and
    // matchIndex were in memory.
    assert_eq!(after.disk, before.disk);
    assert_eq!(after.mem, RaftMem::default());
    assert_eq!(after.mem.role, Role::Follower);
}

#[test]
fn old_leader_in_the_minority_cannot_commit() {
    let l = run_builtin("raft-partition");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let e = elections(&l);
    assert_eq!(e[0], (1, id("n1")));
    let (term, leader) = e[1];
    assert!(["n3", "n4", "n5"].iter().any(|n| id(n) == leader), "{e:?}");
    // n1 appended x=2 as entry 2 but never committed past 1.
    assert!(notes(&l).any(|(_, who, n)| who == id("n1")
        && matches!(n, Note::ClientAppended { index: 2, value, .. } if value == "2")));
    assert!(!notes(&l)
        .any(|(_, who, n)| who == id("n1")
            && matches!(n, Note::LeaderCommits { to, .. } if *to >= 2)));
    assert!(!notes(&l).any(
        |(_, _, n)| matches!(n, Note::AnswersClient { index: 2, client, .. } if *client == id("n1"))
    ));
    // On healing, n1 steps down and n1, n2 drop their uncommitted entry.
    assert!(notes(&l).any(|(s, who, n)| who == id("n1")
        && s.time >= 1400
        && matches!(
            n,
            Note::NewTerm {
                was: Role::Leader,
                ..
            }
        )));
    for n in ["n1", "n2"] {
        assert!(
            notes(&l).any(|(_, who, note)| who == id(n)
                && matches!(
                    note,
                    Note::Truncates {
                        index: 2,
                        mine: 1,
                        ..
                    }
                )),
            "{n} deletes its conflicting entry 2"
        );
    }
    assert_all_up_agree(&l, &["1:x=1", &format!("{term}:y=3")]);
}

#[test]
fn divergent_follower_is_repaired() {
    let mut l = Loaded::<Raft>::parse(builtin("raft-divergent-follower").unwrap().json).unwrap();
    l.run(Some(100_000), Some(1299));
    assert_eq!(
        node(&l, "n1").disk.log.len(),
        4,
        "n1 holds three extra entries"
    );
    l.run(None, None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let leader = final_leader(&l);
    let backoffs = notes(&l)
        .filter(|(s, who, n)| {
            *who == leader
                && s.time >= 1300
                && matches!(n, Note::BacksOff { from, hint: false, .. } if *from == id("n1"))
        })
        .count();
    assert!(
        backoffs >= 2,
        "the leader backs off one entry at a time ({backoffs})"
    );
    assert!(notes(&l).any(|(_, who, n)| who == id("n1")
        && matches!(
            n,
            Note::Truncates {
                index: 2,
                removed: 3,
                ..
            }
        )));
    assert_all_up_agree(&l, &["1:x=1", "2:x=5", "2:y=5"]);
    assert_eq!(final_leader(&l), id("n3"));
}

#[test]
fn figure_8_with_the_unsafe_rule_violates_state_machine_safety() {
    let l = run_builtin("raft-figure8-unsafe");
    let v = l.violations();
    assert!(notes(&l).any(|(_, who, n)| who == id("n1")
        && matches!(
            n,
            Note::LeaderCommits {
                to: 1,
                unsafe_rule: true,
                ..
            }
        )));
    let lc = v
        .iter()
        .find(|v| v.property == LEADER_COMPLETENESS)
        .expect("Leader Completeness violated");
    assert!(
        lc.explanation.contains("n5") && lc.explanation.contains("entry 1"),
        "{lc:?}"
    );
    let sms = v
        .iter()
        .find(|v| v.property == STATE_MACHINE_SAFETY)
        .expect("State Machine Safety violated");
    assert!(
        sms.explanation.contains("index 1")
            && sms.explanation.contains("x=2")
            && sms.explanation.contains("x=1"),
        "{sms:?}"
    );
    // The scrubber can jump there.
    let marks = l.marks();
    assert!(marks.iter().any(|m| m.step == sms.step));
}

#[test]
fn figure_8_with_raft_rule_is_safe() {
    let l = run_builtin("raft-figure8-safe");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    // n1 has entry 1 on a majority in term 3 but does not commit it.
    assert!(notes(&l).any(|(_, who, n)| who == id("n1")
        && matches!(n, Note::CannotCommitOldTerm { index: 1, term: 1 })));
    assert!(
        !notes(&l).any(|(_, who, n)| who == id("n1") && matches!(n, Note::LeaderCommits { .. }))
    );
    assert!(!notes(&l).any(
        |(s, _, n)| s.time > 500 && matches!(n, Note::Applies { value, .. } if &**value == "1")
    ));
    assert_eq!(final_leader(&l), id("n5"));
    assert_all_up_agree(&l, &["2:x=2", "4:y=3"]);
}

#[test]
fn split_vote_then_a_later_term_elects() {
    let l = run_builtin("raft-split-vote");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let term1 = notes(&l)
        .filter(|(_, _, n)| matches!(n, Note::StartsElection { term: 1, .. }))
        .count();
    assert_eq!(term1, 5, "every server stands in term 1");
    let e = elections(&l);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].0 >= 2, "no leader in term 1: {e:?}");
    assert_eq!(final_leader(&l), e[0].1);
}

/// A sweep of seeds under one fault mix and parameters: the seeds with violations.
fn sweep(
    seeds: std::ops::Range<u64>,
    mix: FaultMix,
    span: Time,
    params: serde_json::Value,
) -> Vec<u64> {
    seeds
        .filter(|&seed| {
            let out = sweep_one("raft", seed, mix, span, Some(&params)).unwrap();
            !out.violations.is_empty()
        })
        .collect()
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
            ..FaultMix::NONE
        },
        FaultMix {
            pauses: true,
            loss: true,
            ..FaultMix::NONE
        },
        FaultMix {
            delays: true,
            crashes: true,
            partitions: true,
            ..FaultMix::NONE
        },
    ];
    let params = [
        json!({}),
        json!({ "servers": 3, "pre_vote": true }),
        json!({ "servers": 7, "conflict_hint": true }),
    ];
    for (k, mix) in mixes.iter().enumerate() {
        for p in &params {
            let bad = sweep(k as u64 * 1000..k as u64 * 1000 + 40, *mix, 2000, p.clone());
            assert!(bad.is_empty(), "{mix:?} {p}: violations for seeds {bad:?}");
        }
    }
}

#[test]
fn the_unsafe_rule_is_found_violating_by_the_sweep() {
    // Figure 8 needs leaders of different terms holding entries the others lack, which
    // partitions produce; the anomaly is rare (about one seed in a thousand), so the search
    // stops at the first seed that shows it (seed 1157 today).
    let mix = FaultMix {
        partitions: true,
        ..FaultMix::NONE
    };
    let unsafe_rule = json!({ "unsafe_commit_old_terms": true });
    let found = (1000..1300u64)
        .map(|seed| sweep_one("raft", seed, mix, 3000, Some(&unsafe_rule)).unwrap())
        .find(|out| !out.violations.is_empty())
        .expect("the sweep finds the Figure 8 anomaly");
    assert!(found
        .violations
        .iter()
        .any(|v| { v.property == STATE_MACHINE_SAFETY || v.property == LEADER_COMPLETENESS }));
    // The same seed with Raft's rule is safe, and the reproducing scenario reproduces.
    let seed = found.seed;
    assert!(sweep(seed..seed + 1, mix, 3000, json!({})).is_empty());
    let mut again = load(&found.scenario).unwrap();
    again.run(None, None);
    assert_eq!(again.violations(), found.violations);
}

/// Once every fault window has ended, a cluster with a majority of servers up elects a
/// leader and commits every request sent to a server that runs. A server stopped for good
/// (crash-stop) is not expected back; with a majority stopped nothing can commit, which is
/// Raft's promise (it is live only while a majority runs and can talk).
#[test]
fn liveness_after_faults_stop() {
    let span: Time = 2000;
    let mut checked = 0;
    for seed in 0..16u64 {
        let proto = Raft::new(Default::default()).unwrap();
        let mut actions = random_schedule(&proto, seed, span, 8, 4, FaultMix::ALL);
        for n in 0..5 {
            actions.push(ScriptedAction {
                at: Some(span + 1500),
                at_step: None,
                action: Action::Command {
                    node: NodeId(n),
                    cmd: Cmd::Client {
                        key: "live".into(),
                        value: format!("{n}"),
                    },
                },
            });
        }
        let mut sc = Scenario::<Raft>::from_value(json!({
            "algorithm": "raft", "title": "liveness", "seed": seed
        }))
        .unwrap();
        sc.actions = actions;
        sc.run.until = Some(span + 3000);
        sc.run.steps = 200_000;
        let mut l = Loaded::new(sc).unwrap();
        l.run(None, None);
        assert!(
            l.violations().is_empty(),
            "seed {seed}: {:?}",
            l.violations()
        );
        let sim = l.timeline.sim();
        let up = sim.node_ids().filter(|&n| sim.is_up(n)).count();
        if up < 3 {
            continue;
        }
        checked += 1;
        let leader = final_leader(&l);
        let lead = sim.node(leader);
        let committed: Vec<_> = lead
            .disk
            .log
            .iter()
            .take(lead.mem.commit_index as usize)
            .filter(|e| &*e.key == "live")
            .collect();
        assert_eq!(
            committed.len(),
            up,
            "seed {seed}: every request to a server that runs commits"
        );
        for n in sim.node_ids().filter(|&n| sim.is_up(n)) {
            assert!(
                sim.node(n).mem.kv.contains_key("live"),
                "seed {seed}: {} applied them",
                sim.name(n)
            );
        }
    }
    assert!(checked >= 12, "only {checked} seeds kept a majority up");
}

#[test]
fn parameters_out_of_range_are_refused() {
    let cases = [
        (json!({ "servers": 2 }), "servers"),
        (json!({ "servers": 10 }), "servers"),
        (
            json!({ "election_timeout": [300, 150] }),
            "election_timeout",
        ),
        (json!({ "election_timeout": [5, 10] }), "election_timeout"),
        (json!({ "heartbeat_interval": 200 }), "heartbeat_interval"),
        (json!({ "heartbeat_interval": 0 }), "heartbeat_interval"),
    ];
    for (params, field) in cases {
        let doc = json!({ "algorithm": "raft", "title": "t", "params": params });
        let err = load(&doc.to_string())
            .err()
            .unwrap_or_else(|| panic!("{params} accepted"));
        assert!(err.path.contains(field), "{params}: {err}");
    }
    let doc =
        json!({ "algorithm": "raft", "title": "t", "params": { "servers": 9, "pre_vote": true } });
    assert_eq!(load(&doc.to_string()).unwrap().names().len(), 9);
}

#[test]
fn bad_commands_are_refused_with_a_note() {
    let mut s = load(builtin("raft-first-election").unwrap().json).unwrap();
    s.seek(2);
    s.apply_json(r#"{ "command": { "node": "n1", "cmd": { "set_timer": { "after": 0 } } } }"#)
        .unwrap();
    s.apply_json(
        r#"{ "command": { "node": "n1", "cmd": { "client": { "key": "", "value": "1" } } } }"#,
    )
    .unwrap();
    s.run(Some(10), None);
    let user: Vec<_> = (0..s.pos())
        .filter_map(|i| s.step_view(i))
        .filter(|v| v.user)
        .collect();
    assert_eq!(user.len(), 2);
    for v in user {
        assert!(v.narration.join(" ").contains("n1 refuses"), "{v:?}");
    }
    assert!(s
        .apply_json(r#"{ "command": { "node": "n1", "cmd": { "vote": {} } } }"#)
        .is_err());
}

#[test]
fn pre_vote_keeps_a_rejoining_server_from_disrupting() {
    // n5 is cut off, times out again and again; with pre-vote its term does not grow, so
    // rejoining does not depose the leader.
    let doc = |pre_vote: bool| {
        json!({
            "algorithm": "raft", "title": "t", "seed": 3,
            "params": { "pre_vote": pre_vote },
            "actions": [
                { "at": 10, "action": { "command": { "node": "n1", "cmd": "timeout" } } },
                { "at": 300, "action": { "partition": { "groups": [["n5"]] } } },
                { "at": 1500, "action": "heal" }
            ],
            "run": { "until": 2000, "steps": 100000 }
        })
        .to_string()
    };
    let mut with = Loaded::<Raft>::parse(&doc(true)).unwrap();
    with.run(None, None);
    let mut without = Loaded::<Raft>::parse(&doc(false)).unwrap();
    without.run(None, None);
    assert!(with.violations().is_empty() && without.violations().is_empty());
    assert_eq!(
        elections(&with),
        vec![(1, id("n1"))],
        "pre-vote: n1 stays leader"
    );
    assert!(
        elections(&without).len() > 1,
        "without pre-vote, n5 forces a new election"
    );
}

#[test]
fn a_duplicated_client_request_is_appended_and_applied_once() {
    // Every message from n2 to n1 arrives twice: the request n2 redirects to leader n1
    // reaches it twice, and n1 keeps one entry.
    let doc = json!({
        "algorithm": "raft", "title": "t", "seed": 5,
        "network": { "links": [ { "from": "n2", "to": "n1", "duplicate": 1.0, "both": false } ] },
        "actions": [
            { "at": 10, "action": { "command": { "node": "n1", "cmd": "timeout" } } },
            { "at": 400, "action": { "command": { "node": "n2", "cmd": { "client": { "key": "x", "value": "1" } } } } },
            { "at": 600, "action": { "command": { "node": "n2", "cmd": { "client": { "key": "y", "value": "2" } } } } }
        ],
        "run": { "until": 1500, "steps": 100000 }
    })
    .to_string();
    let mut l = Loaded::<Raft>::parse(&doc).unwrap();
    l.run(None, None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let dups = notes(&l)
        .filter(|(_, who, n)| *who == id("n1") && matches!(n, Note::DuplicateRequest { .. }))
        .count();
    assert_eq!(dups, 2, "each redirected request arrived twice at n1");
    assert_eq!(final_leader(&l), id("n1"));
    assert_all_up_agree(&l, &["1:x=1", "1:y=2"]);
    let answers = notes(&l)
        .filter(|(_, _, n)| matches!(n, Note::AnswersClient { .. }))
        .count();
    assert_eq!(answers, 2, "each request is answered once");
}

#[test]
fn a_pre_candidate_refused_by_a_newer_term_catches_up() {
    // With pre-vote on, n1 leads term 1 and crashes; n4 is elected in term 2.
    // n1 restarts in term 1, cut off with n2 (a follower) from the leader, and times out
    // at once: n2 refuses its pre-vote, and the refusal carries n2's newer term, which n1
    // adopts.
    let doc = json!({
        "algorithm": "raft", "title": "t", "seed": 3,
        "params": { "pre_vote": true },
        "actions": [
            { "at": 10, "action": { "command": { "node": "n1", "cmd": "timeout" } } },
            { "at": 200, "action": { "crash": { "node": "n1" } } },
            { "at": 1199, "action": { "partition": { "groups": [["n1", "n2"], ["n3", "n4", "n5"]] } } },
            { "at": 1200, "action": { "restart": { "node": "n1" } } },
            { "at": 1201, "action": { "command": { "node": "n1", "cmd": "timeout" } } }
        ],
        "run": { "until": 1600, "steps": 100000 }
    })
    .to_string();
    let mut l = Loaded::<Raft>::parse(&doc).unwrap();
    l.run(None, None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let later = elections(&l)
        .into_iter()
        .find(|&(t, _)| t >= 2)
        .expect("a leader after n1's crash");
    // The premise: term 2, just the term n1 asks a pre-vote for, and n2 a follower in it.
    assert_eq!(later, (2, id("n4")));
    let trace = l.timeline.trace();
    let caught_up = steps(&l).iter().any(|s| {
        s.node == Some(id("n1"))
            && s.time > 1200
            && matches!(&s.kind, StepKind::Deliver { msg, .. }
                if matches!(trace.messages[*msg as usize].body, Msg::RequestVoteReply { pre_vote: true, granted: false, .. }))
            && s.notes.iter().any(|n| matches!(n, Note::NewTerm { old: 1, new, .. } if *new == later.0))
    });
    assert!(
        caught_up,
        "n1 adopts term {} from a pre-vote refusal",
        later.0
    );
}

/// The divergent-follower scenario with the conflict-term hint on or off: the leader's
/// back-offs for n1 after the heal, as (next index, hinted), and n1's rejections.
fn divergent_backoffs(hint: bool) -> (Loaded<Raft>, Vec<(u64, bool)>, usize) {
    let mut v: serde_json::Value =
        serde_json::from_str(builtin("raft-divergent-follower").unwrap().json).unwrap();
    v["params"]["conflict_hint"] = json!(hint);
    let mut l = Loaded::<Raft>::parse(&v.to_string()).unwrap();
    l.run(None, None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let leader = final_leader(&l);
    let backoffs: Vec<(u64, bool)> = notes(&l)
        .filter(|(s, who, _)| *who == leader && s.time >= 1300)
        .filter_map(|(_, _, n)| match n {
            Note::BacksOff { from, next, hint } if *from == id("n1") => Some((*next, *hint)),
            _ => None,
        })
        .collect();
    let rejections = l
        .timeline
        .trace()
        .messages
        .iter()
        .filter(|m| {
            m.from == id("n1")
                && m.to == leader
                && m.sent_at >= 1300
                && matches!(m.body, Msg::AppendEntriesReply { success: false, .. })
        })
        .count();
    (l, backoffs, rejections)
}

#[test]
fn the_conflict_term_hint_backs_off_by_whole_terms() {
    let (plain, plain_backoffs, plain_rejections) = divergent_backoffs(false);
    let (hinted, hinted_backoffs, hinted_rejections) = divergent_backoffs(true);
    // Without the hint: one entry at a time, 4 -> 3 -> 2.
    assert_eq!(
        plain_backoffs,
        vec![(3, false), (2, false)],
        "without the hint"
    );
    // With it: n1 says its entry at 3 has term 1, which it holds from index 1; the leader
    // has term 1 only at index 1, so it jumps past the whole term at once, to 2.
    assert!(
        hinted_backoffs.iter().all(|&(_, h)| h),
        "every back-off uses the hint: {hinted_backoffs:?}"
    );
    assert_eq!(hinted_backoffs, vec![(2, true)], "with the hint");
    assert!(
        hinted_rejections < plain_rejections,
        "fewer AppendEntries rejections with the hint: {hinted_rejections} vs {plain_rejections}"
    );
    // n1's rejection carries the hint.
    assert!(hinted
        .timeline
        .trace()
        .messages
        .iter()
        .any(|m| m.from == id("n1")
            && matches!(
                m.body,
                Msg::AppendEntriesReply {
                    success: false,
                    conflict_term: Some(1),
                    conflict_index: Some(1),
                    ..
                }
            )));
    // Either way n1 ends with the leader's log.
    for l in [&plain, &hinted] {
        assert_all_up_agree(l, &["1:x=1", "2:x=5", "2:y=5"]);
    }
}

/// Under a steady stream of client requests the messages stay proportional to the
/// requests: each request costs one AppendEntries and one reply per follower, plus the
/// redirect and the heartbeats. A leader that answered every successful reply by sending
/// everything unacknowledged again made each message beget another while the clients kept
/// writing: 134 messages per request, and ever more in flight.
#[test]
fn messages_stay_proportional_to_client_requests() {
    let (every, span) = (2u64, 1500u64);
    let actions: Vec<_> = (0..span / every)
        .map(|k| {
            json!({ "at": 300 + k * every, "action": { "command": {
                "node": format!("n{}", k % 5 + 1),
                "cmd": { "client": { "key": format!("k{}", k % 7), "value": format!("{k}") } } } } })
        })
        .collect();
    let doc = json!({
        "algorithm": "raft", "title": "load", "seed": 3,
        "params": { "servers": 5 }, "actions": actions,
        "run": { "until": 300 + span + 500, "steps": 1_000_000 }
    });
    let mut l = Loaded::<Raft>::parse(&doc.to_string()).unwrap();
    let sum = l.run(None, None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let requests = span / every;
    let committed = l.timeline.sim().node(final_leader(&l)).mem.commit_index;
    assert!(
        committed >= requests * 9 / 10,
        "{committed} of {requests} committed"
    );
    let per_request = sum.messages as f64 / requests as f64;
    assert!(
        per_request < 12.0,
        "{} messages for {requests} requests ({per_request:.1} each)",
        sum.messages
    );
    // In flight at each step: no growth from the first half of the load to the second.
    let trace = l.timeline.trace();
    let in_flight_at = |t: Time| {
        trace
            .messages
            .iter()
            .filter(|m| {
                m.sent_at <= t
                    && m.resolved_step
                        .is_none_or(|s| trace.steps[s as usize].time > t)
            })
            .count()
    };
    let early = (0..10)
        .map(|i| in_flight_at(300 + span / 2 * i / 10))
        .max()
        .unwrap();
    let late = (0..10)
        .map(|i| in_flight_at(300 + span / 2 + span / 2 * i / 10))
        .max()
        .unwrap();
    assert!(
        late <= early * 3 / 2 + 8,
        "in flight grows under steady load: at most {early} in the first half, {late} in the second"
    );
}
