//! The circle's arithmetic, and the checker on hand-made node states: each property
//! fires on the situation it names, and a stabilised ring keeps it quiet.

use super::ring::{analyse, dist, in_half, in_open, positions, wrong_pointers};
use super::*;
use crate::invariant::Violation;
use crate::protocol::Protocol;
use crate::sim::NodeId;

#[test]
fn intervals_go_clockwise_and_wrap() {
    assert_eq!(dist(60, 4, 64), 8);
    assert_eq!(dist(4, 4, 64), 0);
    assert!(in_open(2, 60, 4, 64) && !in_open(4, 60, 4, 64) && !in_open(60, 60, 4, 64));
    assert!(in_half(4, 60, 4, 64) && !in_half(60, 60, 4, 64));
    // (a, a) is the whole circle but a; (a, a] is the whole circle.
    assert!(in_open(7, 9, 9, 64) && !in_open(9, 9, 9, 64));
    assert!(in_half(9, 9, 9, 64) && in_half(0, 9, 9, 64));
}

#[test]
fn hashed_positions_move_clockwise_past_a_taken_one() {
    // On a circle of 16 positions, 16 nodes take every position once.
    let p = positions(16, &[], 16);
    let mut sorted = p.clone();
    sorted.sort();
    assert_eq!(sorted, (0..16).collect::<Vec<u64>>());
    // Typed positions are used as they are.
    assert_eq!(positions(3, &[5, 1, 9], 64), vec![5, 1, 9]);
}

/// The paper's ring (1, 8, 14, 21, 32) on 64 positions, stabilised, keys 10 and 24.
fn proto() -> Chord {
    Chord::new(Params {
        nodes: 5,
        members: 5,
        ids: vec![1, 8, 14, 21, 32],
        keys: vec!["10".into(), "24".into()],
        ..Params::default()
    })
    .unwrap()
}

fn n(i: u32) -> NodeId {
    NodeId(i - 1)
}

/// Every node as it starts: stabilised.
fn nodes(p: &Chord) -> Vec<Node> {
    let mut out = Vec::new();
    let mut ctx_rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    for i in 0..p.params().nodes {
        let mut effects = Vec::new();
        let mut ctx =
            crate::protocol::Ctx::new(0, NodeId(i), p.params().nodes, &mut ctx_rng, &mut effects);
        out.push(p.init(NodeId(i), &mut ctx));
    }
    out
}

struct Run {
    c: ChordChecker,
    names: Vec<String>,
    step: u64,
}

impl Run {
    fn new(p: &Chord) -> Self {
        Run {
            c: p.checker(),
            names: p.node_names(),
            step: 0,
        }
    }

    fn check(
        &mut self,
        ns: &[Node],
        up: &[bool],
        actor: Option<NodeId>,
        notes: &[Note],
    ) -> Vec<Violation> {
        let refs: Vec<&Node> = ns.iter().collect();
        let mut out = Vec::new();
        self.c.check_nodes(
            &refs,
            up,
            &self.names,
            (actor, notes),
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
fn a_stabilised_ring_reports_nothing_and_has_no_wrong_pointer() {
    let p = proto();
    let ns = nodes(&p);
    let up = vec![true; 5];
    let mut run = Run::new(&p);
    assert!(run.check(&ns, &up, None, &[]).is_empty());
    let refs: Vec<&Node> = ns.iter().collect();
    let report = analyse(&refs, &up, 64);
    assert_eq!(report.cycles, vec![vec![n(1), n(2), n(3), n(4), n(5)]]);
    assert!(wrong_pointers(&refs, &report.members, 3, 6, 64).is_empty());
    assert_eq!(ns[n(5).index()].mem.pred, Some(n(4)));
    assert_eq!(ns[n(1).index()].mem.succ, vec![n(2), n(3), n(4)]);
    // Key 24 is at 32, key 10 at 14.
    assert!(ns[n(5).index()].mem.keys.contains(&24));
    assert!(ns[n(3).index()].mem.keys.contains(&10));
    assert_eq!(run.c.convergence().wrong, 0);
}

#[test]
fn a_member_whose_whole_list_failed_breaks_the_ring() {
    let p = proto();
    let mut ns = nodes(&p);
    // r = 3: n1's list is n2, n3, n4; all three fail.
    let up = vec![true, false, false, false, true];
    ns[n(5).index()].mem.succ = vec![n(1)];
    let e = only(&Run::new(&p).check(&ns, &up, None, &[]), AT_LEAST_ONE_RING);
    assert!(
        e.contains("n1's successor list (3 of r = 3) has no live member"),
        "{e}"
    );
    assert!(e.contains("n2 failed"), "{e}");
}

#[test]
fn two_cycles_are_two_rings_and_a_ring_round_twice_is_disordered() {
    let p = proto();
    let mut ns = nodes(&p);
    let up = vec![true; 5];
    // 1 -> 14 -> 32 -> 1 and 8 -> 21 -> 8.
    for (a, b) in [(1, 3), (3, 5), (5, 1), (2, 4), (4, 2)] {
        ns[n(a).index()].mem.succ = vec![n(b)];
    }
    let v = Run::new(&p).check(&ns, &up, None, &[]);
    assert!(v.iter().any(|x| x.property == AT_MOST_ONE_RING), "{v:?}");
    assert!(!v.iter().any(|x| x.property == ORDERED_RING), "{v:?}");

    // One cycle round the circle twice: 1 -> 14 -> 32 -> 8 -> 21 -> 1.
    let mut ns = nodes(&p);
    for (a, b) in [(1, 3), (3, 5), (5, 2), (2, 4), (4, 1)] {
        ns[n(a).index()].mem.succ = vec![n(b)];
    }
    let e = only(&Run::new(&p).check(&ns, &up, None, &[]), ORDERED_RING);
    assert!(e.contains("more than once"), "{e}");
}

#[test]
fn an_appendage_that_cannot_reach_the_ring_is_reported_once_until_it_heals() {
    let p = proto();
    let mut ns = nodes(&p);
    let mut up = vec![true; 5];
    let mut run = Run::new(&p);
    // n3 points only to n4, which fails; the others route around both.
    up[n(4).index()] = false;
    ns[n(3).index()].mem.succ = vec![n(4)];
    ns[n(2).index()].mem.succ = vec![n(5), n(1)];
    let e = only(&run.check(&ns, &up, None, &[]), CONNECTED_APPENDAGES);
    assert!(
        e.starts_with("n3 is a member that cannot reach the ring"),
        "{e}"
    );
    // Still broken: not reported again.
    assert!(run.check(&ns, &up, None, &[]).is_empty());
    // Healed, then broken again: reported again.
    ns[n(3).index()].mem.succ = vec![n(5)];
    assert!(run.check(&ns, &up, None, &[]).is_empty());
    ns[n(3).index()].mem.succ = vec![n(4)];
    only(&run.check(&ns, &up, None, &[]), CONNECTED_APPENDAGES);
}

#[test]
fn a_node_outside_the_ring_in_a_list_counts_as_no_successor() {
    let p = proto();
    let mut ns = nodes(&p);
    let up = vec![true; 5];
    ns[n(2).index()].mem.phase = Phase::Out;
    ns[n(1).index()].mem.succ = vec![n(2)];
    // Every path leads to n1, whose only successor left the ring: no cycle at all.
    let v = Run::new(&p).check(&ns, &up, None, &[]);
    let e = only(&v, AT_LEAST_ONE_RING);
    assert!(e.contains("n2 is outside the ring"), "{e}");
}

fn owns(origin: u32, key: u64) -> Note {
    Note::Owns {
        id: LookupId {
            origin: n(origin),
            seq: 0,
        },
        key,
        pred: n(1),
        hops: 1,
        purpose: Purpose::User,
    }
}

#[test]
fn a_lookup_answered_by_a_node_that_is_not_the_keys_successor_is_wrong() {
    let p = proto();
    let ns = nodes(&p);
    let up = vec![true; 5];
    let mut run = Run::new(&p);
    // successor(24) is 32 (n5).
    assert!(run.check(&ns, &up, Some(n(5)), &[owns(2, 24)]).is_empty());
    let e = only(
        &run.check(&ns, &up, Some(n(4)), &[owns(2, 24)]),
        LOOKUP_CORRECT,
    );
    assert!(e.contains("n4 answered a lookup from n2 for key 24"), "{e}");
    assert!(e.contains("successor(24) is n5"), "{e}");
}

#[test]
fn a_member_not_yet_linked_in_may_answer_for_its_range() {
    let p = Chord::new(Params {
        nodes: 6,
        members: 5,
        ids: vec![1, 8, 14, 21, 32, 26],
        keys: vec!["24".into()],
        ..Params::default()
    })
    .unwrap();
    let mut ns = nodes(&p);
    let up = vec![true; 6];
    // n6 (26) has joined: a member pointing to n5, but n4 still points past it.
    ns[5].mem.phase = Phase::Member;
    ns[5].mem.succ = vec![n(5), n(1), n(2)];
    let mut run = Run::new(&p);
    // On the ring successor(24) is still n5; among the members it is n6: both may answer.
    assert!(run.check(&ns, &up, Some(n(5)), &[owns(2, 24)]).is_empty());
    assert!(run
        .check(&ns, &up, Some(NodeId(5)), &[owns(2, 24)])
        .is_empty());
    only(
        &run.check(&ns, &up, Some(n(1)), &[owns(2, 24)]),
        LOOKUP_CORRECT,
    );
}

#[test]
fn on_a_stabilised_ring_a_key_away_from_its_successor_is_reported_and_lost_keys_are_not() {
    let p = proto();
    let mut ns = nodes(&p);
    let up = vec![true; 5];
    let mut run = Run::new(&p);
    // Key 24 moves from n5 to n1: wrong.
    ns[n(5).index()].mem.keys.remove(&24);
    ns[n(1).index()].mem.keys.insert(24);
    let e = only(&run.check(&ns, &up, None, &[]), KEYS_AT_SUCCESSOR);
    assert!(
        e.contains("key 24 is not at its successor n5: it is at n1"),
        "{e}"
    );
    // Being handed to its successor is fine.
    let mut ns = nodes(&p);
    let k = ns[n(5).index()].mem.keys.clone();
    ns[n(5).index()].mem.keys.clear();
    ns[n(1).index()]
        .mem
        .handoffs
        .push(Handoff { to: n(5), keys: k });
    assert!(Run::new(&p).check(&ns, &up, None, &[]).is_empty());
    // Held by nobody: lost, an observation, not a violation.
    let mut ns = nodes(&p);
    ns[n(5).index()].mem.keys.clear();
    let mut run = Run::new(&p);
    assert!(run.check(&ns, &up, None, &[]).is_empty());
    assert!(run.c.lost().contains(&24));
}

#[test]
fn convergence_records_when_pointers_go_wrong_and_when_they_are_right_again() {
    let p = proto();
    let mut ns = nodes(&p);
    let up = vec![true; 5];
    let mut run = Run::new(&p);
    ns[n(5).index()].mem.pred = None;
    assert!(run.check(&ns, &up, None, &[]).is_empty());
    assert_eq!(run.c.convergence().wrong, 1);
    assert_eq!(run.c.convergence().since, Some((0, 0)));
    ns[n(5).index()].mem.pred = Some(n(4));
    run.check(&ns, &up, None, &[]);
    let c = run.c.convergence();
    assert_eq!(
        (c.wrong, c.since, c.converged),
        (0, None, Some((1, 10, 10)))
    );
}
