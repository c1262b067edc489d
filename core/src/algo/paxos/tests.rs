//! The checker on hand-made node states: each property fires on the situation it names,
//! and a correct history keeps it quiet; the record of what was chosen and the livelock
//! observation.

use super::*;
use crate::invariant::Violation;
use crate::protocol::Protocol;
use crate::sim::NodeId;
use std::sync::Arc;

/// Proposers n1, n2; acceptors n3, n4, n5; learners n6 (and n7 in Multi-Paxos).
fn proto(multi: bool) -> Paxos {
    Paxos::new(Params {
        multi,
        learners: if multi { 2 } else { 1 },
        ..Params::default()
    })
    .unwrap()
}

fn nodes(p: &Paxos) -> Vec<Node> {
    (0..p.node_total())
        .map(|i| {
            let roles = p.roles_of(NodeId(i));
            Node {
                disk: Disk {
                    roles,
                    proposer: roles.proposer.then(ProposerDisk::default),
                    acceptor: roles.acceptor.then(AcceptorDisk::default),
                    learner: roles.learner.then(LearnerDisk::default),
                },
                mem: Mem {
                    acceptor: roles.acceptor.then(AcceptorMem::default),
                    ..Mem::default()
                },
            }
        })
        .collect()
}

fn b(round: u64, proposer: u32) -> Ballot {
    Ballot {
        round,
        proposer: NodeId(proposer),
    }
}

fn v(s: &str) -> Value {
    Value::Cmd(Arc::from(s))
}

/// Acceptor `a` promises and accepts `value` in `slot` with ballot `ballot`.
fn accept(n: &mut Node, slot: u64, ballot: Ballot, value: Value) {
    let a = n.disk.acceptor.as_mut().unwrap();
    a.promised = a.promised.max(Some(ballot));
    let k = slot as usize - 1;
    if a.accepted.len() <= k {
        a.accepted.resize(k + 1, None);
    }
    a.accepted[k] = Some(Accepted { ballot, value });
}

fn learn(n: &mut Node, slot: u64, ballot: Ballot, value: Value) {
    let l = n.disk.learner.as_mut().unwrap();
    let k = slot as usize - 1;
    if l.learned.len() <= k {
        l.learned.resize(k + 1, None);
    }
    l.learned[k] = Some(Learned {
        value,
        ballot,
        at: 0,
    });
}

struct Run {
    c: PaxosChecker,
    names: Vec<String>,
    step: u64,
}

impl Run {
    fn new(p: &Paxos) -> Self {
        let mut c = p.checker();
        for s in ["x", "y", "a", "b"] {
            c.proposed(s);
        }
        Run {
            c,
            names: p.node_names(),
            step: 0,
        }
    }

    /// The checks after node `me` (index) acted.
    fn check(&mut self, ns: &[Node], me: u32) -> Vec<Violation> {
        let refs: Vec<&Node> = ns.iter().collect();
        let mut out = Vec::new();
        self.c.check_nodes(
            &refs,
            &self.names,
            &[NodeId(me)],
            self.step,
            self.step * 10,
            &mut out,
        );
        self.step += 1;
        out
    }
}

fn only(v: &[Violation], property: &str) -> String {
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].property, property, "{v:?}");
    v[0].explanation.clone()
}

#[test]
fn a_correct_history_reports_nothing_and_records_when_a_value_is_chosen() {
    let p = proto(false);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    accept(&mut s[2], 1, b(1, 0), v("x"));
    assert!(r.check(&s, 2).is_empty());
    assert!(
        r.c.chosen(1).is_none(),
        "accepted by a minority is not chosen"
    );
    let votes = r.c.votes(1, b(1, 0)).unwrap();
    assert!(!votes.chosen);
    assert_eq!(votes.acceptors, vec![NodeId(2)]);
    accept(&mut s[3], 1, b(1, 0), v("x"));
    assert!(r.check(&s, 3).is_empty());
    let c = r.c.chosen(1).expect("chosen by a majority");
    assert_eq!(
        (c.value.clone(), c.ballot, c.step, c.time),
        (v("x"), b(1, 0), 1, 10)
    );
    assert_eq!(c.acceptors, vec![NodeId(2), NodeId(3)]);
    // A later ballot that adopted the value chooses it again: no violation.
    accept(&mut s[3], 1, b(2, 1), v("x"));
    accept(&mut s[4], 1, b(2, 1), v("x"));
    assert!(r.check(&s, 3).is_empty());
    assert!(r.check(&s, 4).is_empty());
    assert_eq!(r.c.chosen_all(1).len(), 2);
    learn(&mut s[5], 1, b(1, 0), v("x"));
    assert!(r.check(&s, 5).is_empty());
}

#[test]
fn two_values_chosen_break_agreement() {
    let p = proto(false);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    accept(&mut s[2], 1, b(1, 0), v("x"));
    accept(&mut s[3], 1, b(1, 0), v("x"));
    assert!(r.check(&s, 2).is_empty());
    assert!(r.check(&s, 3).is_empty());
    accept(&mut s[3], 1, b(2, 1), v("y"));
    accept(&mut s[4], 1, b(2, 1), v("y"));
    assert!(r.check(&s, 3).is_empty());
    let e = only(&r.check(&s, 4), AGREEMENT);
    assert_eq!(
        e,
        "'y' was chosen in ballot 2.n2 (accepted by n4, n5), but 'x' had already been chosen in ballot 1.n1 (accepted by n3, n4)"
    );
}

#[test]
fn a_value_no_client_proposed_breaks_validity() {
    let p = proto(false);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    accept(&mut s[2], 1, b(1, 0), v("ghost"));
    accept(&mut s[3], 1, b(1, 0), v("ghost"));
    assert!(r.check(&s, 2).is_empty());
    let e = only(&r.check(&s, 3), VALIDITY);
    assert_eq!(
        e,
        "'ghost' was chosen in ballot 1.n1, but no client proposed it"
    );
    // A no-op is no client's, but a Multi-Paxos leader may choose one; single-decree no.
    let p = proto(true);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    accept(&mut s[2], 1, b(1, 0), Value::Noop);
    accept(&mut s[3], 1, b(1, 0), Value::Noop);
    assert!(r.check(&s, 2).is_empty());
    assert!(r.check(&s, 3).is_empty());
}

#[test]
fn learning_a_value_not_chosen_breaks_learn_only_chosen() {
    let p = proto(false);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    accept(&mut s[2], 1, b(1, 0), v("x"));
    assert!(r.check(&s, 2).is_empty());
    learn(&mut s[5], 1, b(1, 0), v("x"));
    let e = only(&r.check(&s, 5), LEARNED_ONLY_CHOSEN);
    assert_eq!(e, "n6 learned 'x', but nothing was chosen there");
}

#[test]
fn two_values_in_one_ballot_break_one_value_per_ballot() {
    let p = proto(false);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    accept(&mut s[2], 1, b(1, 0), v("x"));
    assert!(r.check(&s, 2).is_empty());
    accept(&mut s[3], 1, b(1, 0), v("y"));
    let e = only(&r.check(&s, 3), ONE_VALUE_PER_BALLOT);
    assert_eq!(
        e,
        "n4 accepted 'y' in ballot 1.n1, but n3 accepted 'x' in that ballot"
    );
}

#[test]
fn a_promise_that_falls_breaks_promise_never_decreases() {
    let p = proto(false);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    s[2].disk.acceptor.as_mut().unwrap().promised = Some(b(3, 1));
    assert!(r.check(&s, 2).is_empty());
    s[2].disk.acceptor.as_mut().unwrap().promised = Some(b(2, 0));
    let e = only(&r.check(&s, 2), PROMISE_NEVER_DECREASES);
    assert_eq!(
        e,
        "n3's promise fell from 3.n2 to 2.n1: it could now accept a ballot lower than one it promised to ignore"
    );
}

#[test]
fn an_accepted_ballot_above_the_promise_breaks_accepted_within_promise() {
    let p = proto(false);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    accept(&mut s[2], 1, b(2, 0), v("x"));
    s[2].disk.acceptor.as_mut().unwrap().promised = Some(b(1, 1));
    let v = r.check(&s, 2);
    let e = v
        .iter()
        .find(|v| v.property == ACCEPTED_WITHIN_PROMISE)
        .expect("fires")
        .explanation
        .clone();
    assert_eq!(e, "n3 holds 2.n1 = 'x' accepted but its promise is 1.n2");
    // Held in memory only and lost in a crash (the unsafe variant): the same.
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    accept(&mut s[2], 1, b(1, 0), v_x());
    s[2].disk.acceptor.as_mut().unwrap().promised = None;
    let v = r.check(&s, 2);
    assert!(
        v.iter().any(|v| v.property == ACCEPTED_WITHIN_PROMISE),
        "{v:?}"
    );
}

fn v_x() -> Value {
    v("x")
}

#[test]
fn replicas_applying_different_commands_or_skipping_a_slot() {
    let p = proto(true);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    for a in [2, 3] {
        accept(&mut s[a], 1, b(1, 0), v("a"));
        assert!(r.check(&s, a as u32).is_empty());
    }
    let apply = |n: &mut Node, slot: u64, value: Value| {
        n.disk
            .learner
            .as_mut()
            .unwrap()
            .applied
            .push(Applied { slot, value });
    };
    learn(&mut s[5], 1, b(1, 0), v("a"));
    apply(&mut s[5], 1, v("a"));
    assert!(r.check(&s, 5).is_empty());
    // n7 applies another command at slot 1 (it never learned it: two properties fire).
    apply(&mut s[6], 1, v("b"));
    let out = r.check(&s, 6);
    let e = out
        .iter()
        .find(|v| v.property == SAME_COMMAND_PER_SLOT)
        .expect("fires")
        .explanation
        .clone();
    assert_eq!(e, "n7 applied 'b' at slot 1, but n6 applied 'a' there");
    // n6 skips slot 2.
    apply(&mut s[5], 3, v("a"));
    let e = only(&r.check(&s, 5), SLOT_ORDER);
    assert_eq!(
        e,
        "n6 applied slot 3 as its command number 2: slot 2 was skipped"
    );
}

#[test]
fn rising_ballots_with_nothing_chosen_make_a_livelock_not_a_violation() {
    let p = proto(false);
    let mut r = Run::new(&p);
    let mut s = nodes(&p);
    for round in 1..=LIVELOCK_RISES as u64 {
        s[2].disk.acceptor.as_mut().unwrap().promised = Some(b(round, (round % 2) as u32));
        assert!(r.check(&s, 2).is_empty(), "not a violation");
        assert_eq!(r.c.livelock().is_some(), round >= LIVELOCK_RISES as u64);
    }
    let l = r.c.livelock().unwrap();
    assert_eq!((l.rises, l.highest), (LIVELOCK_RISES, b(4, 0)));
    // Something chosen ends it.
    accept(&mut s[3], 1, b(4, 0), v("x"));
    accept(&mut s[4], 1, b(4, 0), v("x"));
    r.check(&s, 3);
    r.check(&s, 4);
    assert!(r.c.livelock().is_none());
}
