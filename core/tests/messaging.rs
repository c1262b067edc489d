//! The messaging protocol: the outcome of each built-in scenario, and liveness of reliable
//! broadcast under random faults once everything heals.

use dsplay_core::algo::messaging::{AppId, Kind, Messaging, Node, NodeMem, Note, NO_DUPLICATION};
use dsplay_core::catalog::{builtin, load};
use dsplay_core::faults::{random_schedule, FaultMix};
use dsplay_core::protocol::Protocol;
use dsplay_core::scenario::Scenario;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::{Action, NodeId, Time};
use dsplay_core::trace::{DropReason, Fate, StepKind, StepRecord};
use serde_json::json;

fn run_builtin(id: &str) -> Loaded<Messaging> {
    let mut l = Loaded::<Messaging>::parse(builtin(id).unwrap().json).unwrap();
    let sum = l.run(None, None);
    assert!(
        sum.ended,
        "{id} runs to its end within its `run` bound: {sum:?}"
    );
    l
}

fn node<'a>(l: &'a Loaded<Messaging>, name: &str) -> &'a Node {
    let i = l.names().iter().position(|n| n == name).unwrap();
    l.timeline.sim().node(NodeId(i as u32))
}

fn id_of(l: &Loaded<Messaging>, name: &str) -> NodeId {
    NodeId(l.names().iter().position(|n| n == name).unwrap() as u32)
}

/// How many times `node` handed `what` to its application, and when.
fn deliveries(n: &Node, what: AppId) -> Vec<Time> {
    n.disk
        .delivered
        .iter()
        .filter(|d| d.what == what)
        .map(|d| d.at)
        .collect()
}

/// Steps of `node` whose notes satisfy `f`.
fn steps_with<'a>(
    l: &'a Loaded<Messaging>,
    node: Option<NodeId>,
    f: impl Fn(&Note) -> bool + 'a,
) -> impl Iterator<Item = &'a StepRecord<Messaging>> + 'a {
    l.timeline
        .trace()
        .steps
        .iter()
        .filter(move |s| (node.is_none() || s.node == node) && s.notes.iter().any(&f))
}

fn originated(n: &Node, kind: Kind) -> Vec<AppId> {
    n.disk
        .originated
        .iter()
        .copied()
        .filter(|a| a.kind == kind)
        .collect()
}

#[test]
fn normal_operation() {
    let l = run_builtin("messaging-normal");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let sum = l.summary();
    assert_eq!(sum.dropped, 0);
    assert_eq!(sum.in_flight, 0);
    assert_eq!(sum.delivered, sum.messages);
    let ordinary = ["n1", "n2", "n3", "n4"];

    // Every request is answered, by a receiver that processed it once.
    let mut requests = 0;
    for name in ordinary {
        let me = id_of(&l, name);
        let n = node(&l, name);
        assert!(n.mem.requests.is_empty(), "{name} waits for nothing");
        for r in originated(n, Kind::Request) {
            requests += 1;
            assert_eq!(
                steps_with(&l, Some(me), |note| matches!(note,
                    Note::GotResponse { id, attempts: 1, .. } if *id == r.id))
                .count(),
                1,
                "{name}'s request #{} is answered on the first attempt",
                r.id
            );
            let receivers: Vec<&str> = ordinary
                .into_iter()
                .filter(|x| deliveries(node(&l, x), r).len() == 1)
                .collect();
            assert_eq!(
                receivers.len(),
                1,
                "request {r:?} is delivered exactly once"
            );
        }
    }
    assert_eq!(requests, 2);

    // The broadcast from n2 is delivered by every node and completes.
    let n2 = id_of(&l, "n2");
    let bc = originated(node(&l, "n2"), Kind::Broadcast);
    assert_eq!(bc.len(), 1);
    let bc = bc[0];
    for name in ordinary {
        assert_eq!(
            deliveries(node(&l, name), bc).len(),
            1,
            "{name} delivers {bc:?} once"
        );
    }
    assert!(deliveries(node(&l, "broker"), bc).is_empty());
    assert_eq!(
        steps_with(
            &l,
            Some(n2),
            |n| matches!(n, Note::BroadcastComplete { id, .. } if *id == bc.id)
        )
        .count(),
        1
    );
    assert!(node(&l, "n2").mem.broadcasts.is_empty());

    // The publication reaches exactly the subscribers n3 and n4.
    let n1 = id_of(&l, "n1");
    let pubs = originated(node(&l, "n1"), Kind::Publication);
    assert_eq!(pubs.len(), 1);
    for name in ["n1", "n2", "n3", "n4", "broker"] {
        let expected = usize::from(name == "n3" || name == "n4");
        assert_eq!(
            deliveries(node(&l, name), pubs[0]).len(),
            expected,
            "{name}"
        );
    }
    assert!(node(&l, "broker").mem.forwarding.is_empty());
    assert!(node(&l, "n1").mem.publications.is_empty());
    assert!(steps_with(&l, Some(n1), |n| matches!(n, Note::PublishAcked { .. })).count() == 1);

    // The inspector's JSON view says the same.
    let n3 = l.node_state(2).unwrap();
    let kinds: Vec<&str> = n3["disk"]["delivered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"publication") && kinds.contains(&"broadcast"),
        "{n3}"
    );
    assert_eq!(
        l.node_state(4).unwrap()["disk"]["topics"],
        json!({ "news": ["n3", "n4"] })
    );
}

#[test]
fn lossy_link() {
    let l = run_builtin("messaging-lossy-link");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let n1 = id_of(&l, "n1");
    let n2 = id_of(&l, "n2");
    let trace = l.timeline.trace();
    // Some messages are lost on the link, and only on the lossy link n1 <-> n2.
    let lost: Vec<_> = trace
        .messages
        .iter()
        .filter(|m| {
            m.fate
                == (Fate::Dropped {
                    reason: DropReason::Loss,
                })
        })
        .collect();
    assert!(!lost.is_empty());
    for m in &lost {
        assert!(
            (m.from, m.to) == (n1, n2) || (m.from, m.to) == (n2, n1),
            "{m:?}"
        );
    }
    // Requests are retried.
    assert!(steps_with(&l, Some(n1), |n| matches!(n, Note::RequestTimedOut { .. })).count() >= 1);
    // Each request gets a response or a give-up.
    let reqs = originated(node(&l, "n1"), Kind::Request);
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        let answered = steps_with(&l, Some(n1), |n| {
            matches!(n,
            Note::GotResponse { id, .. } | Note::GivesUp { id, .. } if *id == r.id)
        })
        .count();
        assert_eq!(answered, 1, "request #{} ends exactly once", r.id);
        // n2's application has it at most once, however many copies arrived.
        assert!(deliveries(node(&l, "n2"), *r).len() <= 1);
    }
    let copies = trace
        .steps
        .iter()
        .filter(|s| {
            s.node == Some(n2) && matches!(s.kind, StepKind::Deliver { from, .. } if from == n1)
        })
        .count();
    assert!(
        copies > reqs.len(),
        "more copies arrived ({copies}) than requests were made"
    );
    assert!(steps_with(&l, Some(n2), |n| matches!(n, Note::DuplicateRequest { .. })).count() >= 1);
    assert!(node(&l, "n1").mem.requests.is_empty());
    // The broadcast gets through to both other nodes and completes.
    let bc = originated(node(&l, "n1"), Kind::Broadcast)[0];
    for name in ["n1", "n2", "n3"] {
        assert_eq!(deliveries(node(&l, name), bc).len(), 1, "{name}");
    }
    assert!(node(&l, "n1").mem.broadcasts.is_empty());
}

#[test]
fn partition_then_heal() {
    let l = run_builtin("messaging-partition-heal");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let heal_at = 1200;
    let heal = l
        .timeline
        .trace()
        .steps
        .iter()
        .find(|s| {
            matches!(
                s.kind,
                StepKind::Action {
                    action: Action::Heal,
                    ..
                }
            )
        })
        .unwrap();
    assert_eq!(heal.time, heal_at);
    let n1 = id_of(&l, "n1");
    let bc = originated(node(&l, "n1"), Kind::Broadcast)[0];
    let n2_at = deliveries(node(&l, "n2"), bc);
    assert_eq!(n2_at.len(), 1);
    assert!(n2_at[0] < heal_at, "n2 is on n1's side");
    for name in ["n3", "n4"] {
        let at = deliveries(node(&l, name), bc);
        assert_eq!(at.len(), 1, "{name} delivers once");
        assert!(
            at[0] > heal_at,
            "{name} delivers only after the heal (at {})",
            at[0]
        );
    }
    // Copies sent across the cut were dropped, and n1 kept retransmitting.
    let cut: Vec<_> = l
        .timeline
        .trace()
        .messages
        .iter()
        .filter(|m| {
            m.fate
                == (Fate::Dropped {
                    reason: DropReason::Partition,
                })
        })
        .collect();
    assert!(cut.len() >= 4);
    for m in cut {
        assert!(m.sent_at < heal_at);
        assert_eq!(m.from, n1);
    }
    let retransmits = steps_with(&l, Some(n1), |n| matches!(n, Note::Retransmits { .. }));
    assert!(retransmits.filter(|s| s.time < heal_at).count() >= 2);
    let done: Vec<_> = steps_with(&l, Some(n1), |n| {
        matches!(n, Note::BroadcastComplete { .. })
    })
    .collect();
    assert_eq!(done.len(), 1);
    assert!(done[0].time > heal_at);
    assert!(node(&l, "n1").mem.broadcasts.is_empty());
}

#[test]
fn broker_crash() {
    let l = run_builtin("messaging-broker-crash");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let (crash_at, restart_at) = (300, 1100);
    let broker = id_of(&l, "broker");
    let pubs = originated(node(&l, "n1"), Kind::Publication);
    assert_eq!(pubs.len(), 2);
    for name in ["n2", "n3"] {
        let first = deliveries(node(&l, name), pubs[0]);
        assert_eq!(first.len(), 1, "{name} gets the first publication once");
        assert!(first[0] < crash_at);
        let second = deliveries(node(&l, name), pubs[1]);
        assert_eq!(
            second.len(),
            1,
            "{name} gets the second publication exactly once"
        );
        assert!(
            second[0] > restart_at,
            "{name} gets it only after the broker restarts (at {})",
            second[0]
        );
    }
    assert!(
        deliveries(node(&l, "n1"), pubs[1]).is_empty(),
        "n1 does not subscribe"
    );
    // While the broker was down, n1's copies were dropped at the broker.
    let down: Vec<_> = l
        .timeline
        .trace()
        .messages
        .iter()
        .filter(|m| {
            m.fate
                == (Fate::Dropped {
                    reason: DropReason::NodeDown,
                })
        })
        .collect();
    assert!(down.len() >= 2);
    assert!(down
        .iter()
        .all(|m| m.to == broker && m.deliver_at > crash_at && m.deliver_at < restart_at));
    // The broker's persistent state survived: its subscriptions and what it has seen.
    let b = node(&l, "broker");
    assert!(b.disk.seen.contains(&pubs[0]) && b.disk.seen.contains(&pubs[1]));
    assert_eq!(b.disk.topics["prices"].len(), 2);
    assert!(b.mem.forwarding.is_empty());
    assert!(node(&l, "n1").mem.publications.is_empty());
    assert_eq!(
        steps_with(&l, Some(broker), |n| matches!(
            n,
            Note::BrokerForwards { .. }
        ))
        .count(),
        2,
        "each publication is forwarded once"
    );
}

#[test]
fn no_dedup_violates_no_duplication_and_reports_the_first_step() {
    let mut l = run_builtin("messaging-no-dedup");
    let vs = l.violations();
    assert!(!vs.is_empty());
    assert!(vs.iter().any(|v| v.property == NO_DUPLICATION));
    let first = &vs[0];
    assert_eq!(first.property, NO_DUPLICATION);
    // Independently: the first step after which some application holds a message twice.
    let horizon = l.horizon();
    let mut dup_step = None;
    for k in 1..=horizon {
        l.seek(k);
        let sim = l.timeline.sim();
        let dup = sim.node_ids().any(|n| {
            let d = &sim.node(n).disk.delivered;
            d.iter()
                .enumerate()
                .any(|(i, x)| d[..i].iter().any(|y| y.what == x.what))
        });
        if dup {
            dup_step = Some(k - 1);
            break;
        }
    }
    assert_eq!(
        Some(first.step),
        dup_step,
        "the first violation is reported at its step"
    );
    let view = l.step_view(first.step).unwrap();
    assert_eq!(view.violations[0], *first);
    assert_eq!(view.time, first.time);
    assert!(view
        .narration
        .iter()
        .any(|line| line.starts_with("VIOLATION of No duplication")));
    // The summary at the end counts them all; before the first one, none.
    l.seek(first.step);
    assert_eq!(l.summary().violations, 0);
    l.seek(horizon);
    assert_eq!(l.summary().violations, vs.len() as u64);
}

/// Reliable broadcast is live: once every fault has healed and the run has gone on long
/// enough, every broadcast whose origin stayed up since starting it has been delivered by
/// every node that runs. (An origin that crashes loses its retransmission state, which is
/// volatile, so its broadcasts are not covered.) A node stopped for good (crash-stop)
/// delivers nothing more, and its origin retransmits to it for ever (it cannot tell it
/// from a slow node): a run with a stopped node does not settle, and its broadcasts are
/// delivered by the others but never complete.
#[test]
fn reliable_broadcast_delivers_everywhere_after_faults_heal() {
    let span: Time = 2000;
    let mut checked = 0;
    for seed in 0..40u64 {
        let mut sc = Scenario::<Messaging>::from_value(json!({
            "algorithm": "messaging",
            "seed": seed,
            "params": { "nodes": 2 + (seed % 4) as u32 },
        }))
        .unwrap();
        let proto = sc.protocol().unwrap();
        sc.actions = random_schedule(&proto, seed, span, 16, 5, FaultMix::ALL);
        let last_at = sc.actions.iter().filter_map(|a| a.at).max().unwrap();
        assert!(last_at <= span);
        let mut l = Loaded::new(sc).unwrap();
        let sum = l.run(Some(200_000), Some(span + 5_000));
        let sim = l.timeline.sim();
        let trace = l.timeline.trace();
        let n = proto.params().nodes;
        let stopped: Vec<NodeId> = (0..=n).map(NodeId).filter(|&i| !sim.is_up(i)).collect();
        for &i in &stopped {
            assert!(
                sc_stops(&l.scenario, i),
                "seed {seed}: everything but a crash-stop has healed"
            );
        }
        if stopped.is_empty() {
            assert!(sum.ended, "seed {seed}: the run settles: {sum:?}");
        }
        assert!(sum.time >= last_at, "seed {seed}: the whole script ran");
        assert!(!sim.net().is_partitioned());
        for o in 0..n {
            let origin = NodeId(o);
            for bc in originated(sim.node(origin), Kind::Broadcast) {
                let started = trace
                    .steps
                    .iter()
                    .find(|s| {
                        s.node == Some(origin)
                            && s.notes.iter().any(|note| {
                                matches!(note, Note::StartsBroadcast { id, .. } if *id == bc.id)
                            })
                    })
                    .unwrap()
                    .index;
                let crashed_since = trace.steps[started as usize..].iter().any(|s| {
                    s.kernel.is_none()
                        && matches!(&s.kind, StepKind::Action { action, .. }
                            if matches!(action.fault(), Action::Crash { node } if *node == origin))
                });
                if crashed_since {
                    continue;
                }
                checked += 1;
                for r in (0..n).filter(|&r| !stopped.contains(&NodeId(r))) {
                    assert_eq!(
                        deliveries(sim.node(NodeId(r)), bc).len(),
                        1,
                        "seed {seed}: n{} delivered broadcast {bc:?} once",
                        r + 1
                    );
                }
                assert!(
                    !stopped.is_empty() || !sim.node(origin).mem.broadcasts.contains_key(&bc.id),
                    "seed {seed}: {bc:?} completed"
                );
            }
        }
        assert!(
            l.violations().is_empty(),
            "seed {seed}: {:?}",
            l.violations()
        );
    }
    assert!(checked >= 40, "only {checked} broadcasts were checked");
}

/// Whether the scenario stops `node` for good: a crash outside any window.
fn sc_stops(sc: &Scenario<Messaging>, node: NodeId) -> bool {
    sc.actions
        .iter()
        .any(|a| matches!(a.action, Action::Crash { node: x } if x == node))
}

#[test]
fn sessions_load_builtins_by_name() {
    let mut s = load(builtin("messaging-normal").unwrap().json).unwrap();
    assert_eq!(s.names(), ["n1", "n2", "n3", "n4", "broker"]);
    assert_eq!(s.properties().len(), 4);
    s.run(None, None);
    assert!(s.ended());
    assert!(s.node_state(5).is_none());
    assert!(s.status(5).is_none());
}

#[test]
fn a_crash_says_which_unfinished_work_is_lost() {
    let mut l = Loaded::<Messaging>::parse(builtin("messaging-lossy-link").unwrap().json).unwrap();
    let n1 = id_of(&l, "n1");
    // Step until n1 has a request out, then crash it.
    while l.timeline.sim().node(n1).mem.requests.is_empty() {
        assert!(l.step_forward(), "n1 never sent a request");
    }
    let disk = l.timeline.sim().node(n1).disk.clone();
    l.timeline.apply(Action::Crash { node: n1 });
    // What was on disk is kept, what was in memory is gone.
    let after = l.timeline.sim().node(n1);
    assert_eq!(after.disk, disk);
    assert_eq!(after.mem, NodeMem::default());
    let state = l.node_state(n1.0).unwrap();
    assert_eq!(state["memory"]["requests"], json!({}), "{state}");
    let step = l.timeline.trace().steps.last().unwrap();
    assert!(
        step.notes.iter().any(|n| matches!(
            n,
            Note::CrashLoses {
                requests: 1,
                broadcasts: 0,
                ..
            }
        )),
        "{:?}",
        step.notes
    );
    let words = l.step_view(step.index).unwrap().narration.join(" | ");
    for w in [
        "n1 stops",
        "1 request still waiting for its response",
        "nobody retries",
    ] {
        assert!(words.contains(w), "`{w}` missing in: {words}");
    }
}
