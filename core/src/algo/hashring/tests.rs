//! The checker on hand-made states: each property fires on the situation it names,
//! and says which keys and nodes are wrong. And what a crash keeps of each role's state.
use super::*;
use crate::invariant::Violation;
use crate::protocol::{Durable, NodeState, Protocol};
use crate::sim::NodeId;

/// Three nodes in the ring and a spare, 2 replicas, 30 keys: the protocol, the
/// coordinator's initial state and each node's disk.
fn setup() -> (Hashring, Coord, Vec<BTreeSet<String>>) {
    let p = Hashring::new(Params {
        nodes: 3,
        spare: 1,
        vnodes: 4,
        replicas: 2,
        keys: 30,
        ..Params::default()
    })
    .unwrap();
    let c = p.initial_coord();
    let mut stored = vec![BTreeSet::new(); 4];
    for (k, o) in &c.owners {
        for n in o {
            stored[n.index()].insert(k.clone());
        }
    }
    (p, c, stored)
}

fn check(
    p: &Hashring,
    c: &Coord,
    stored: &[BTreeSet<String>],
    me: u32,
    notes: &[Note],
) -> Vec<Violation> {
    let names = p.node_names();
    let mut out = Vec::new();
    let get = |n: NodeId| &stored[n.index()];
    p.checker()
        .check_state(c, &get, &names, NodeId(me), notes, &mut out);
    out
}

fn ring_changed(op: Op) -> Note {
    Note::RingChanged {
        op,
        epoch: 1,
        vnodes_total: 12,
        moved_keys: 0,
        moved_copies: 0,
        mod_n_moved: 0,
        keys: 30,
    }
}

fn only(v: &[Violation], property: &str) -> String {
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].property, property, "{v:?}");
    v[0].explanation.clone()
}

const COORD: u32 = 4;

#[test]
fn a_healthy_state_reports_nothing() {
    let (p, c, stored) = setup();
    let notes = [
        ring_changed(Op::AddNode {
            node: NodeId(3),
            weight: 1,
        }),
        Note::MigrationComplete { epoch: 1 },
    ];
    assert!(check(&p, &c, &stored, COORD, &notes).is_empty());
    assert!(check(&p, &c, &stored, 0, &[Note::DropsKeys { count: 1 }]).is_empty());
}

#[test]
fn a_key_owned_twice_by_one_node_breaks_replica_placement() {
    let (p, mut c, stored) = setup();
    c.owners.insert("k0007".into(), vec![NodeId(1), NodeId(1)]);
    let e = only(
        &check(&p, &c, &stored, COORD, &[ring_changed(Op::Initial)]),
        REPLICA_PLACEMENT,
    );
    assert_eq!(e, "k0007 has the same node twice among its owners");
    // Too few owners, and an owner outside the ring.
    c.owners.insert("k0007".into(), vec![NodeId(1)]);
    c.owners.insert("k0008".into(), vec![NodeId(0), NodeId(3)]);
    let e = only(
        &check(&p, &c, &stored, COORD, &[ring_changed(Op::Initial)]),
        REPLICA_PLACEMENT,
    );
    assert_eq!(
        e,
        "k0007 has 1 owners instead of 2; k0008 is owned by n4, which is not in the ring"
    );
}

#[test]
fn a_lost_or_left_behind_key_breaks_placement() {
    let (p, c, mut stored) = setup();
    let owner = c.owners["k0003"][0];
    stored[owner.index()].remove("k0003");
    let done = [Note::MigrationComplete { epoch: 0 }];
    let e = only(&check(&p, &c, &stored, COORD, &done), PLACEMENT);
    assert_eq!(
        e,
        format!(
            "no migration is pending, but n{} does not store k0003 although it is among the owners (key lost there)",
            owner.0 + 1
        )
    );
    // The same found on the node's own deletion while nothing is pending.
    let e = only(
        &check(&p, &c, &stored, owner.0, &[Note::DropsKeys { count: 1 }]),
        PLACEMENT,
    );
    assert!(e.contains("does not store k0003"), "{e}");
    let e = only(
        &check(
            &p,
            &c,
            &stored,
            owner.0,
            &[Note::DeletesAfterAck {
                to: NodeId(3),
                count: 1,
            }],
        ),
        PLACEMENT,
    );
    assert!(e.contains("does not store k0003"), "{e}");
    // Not while a migration is pending: keys are on their way.
    let mut busy = c.clone();
    busy.tasks.push(Task {
        node: NodeId(0),
        kind: TaskKind::Drop,
        keys: vec![],
    });
    assert!(check(&p, &busy, &stored, owner.0, &[Note::DropsKeys { count: 1 }]).is_empty());

    // A key on a node that does not own it: left behind.
    let (p, c, mut stored) = setup();
    let not_owner = (0..3)
        .map(NodeId)
        .find(|n| !c.owners["k0005"].contains(n))
        .unwrap();
    stored[not_owner.index()].insert("k0005".into());
    let e = only(&check(&p, &c, &stored, COORD, &done), PLACEMENT);
    assert_eq!(
        e,
        format!(
            "no migration is pending, but n{} still stores k0005 although it is not an owner (left behind)",
            not_owner.0 + 1
        )
    );
    let e = only(
        &check(
            &p,
            &c,
            &stored,
            not_owner.0,
            &[Note::StoresTransfer {
                from: NodeId(0),
                count: 1,
                new: 1,
            }],
        ),
        PLACEMENT,
    );
    assert!(e.contains("still stores k0005"), "{e}");
    // A node that left the ring is not checked until it reports its copies deleted.
    let mut c2 = c.clone();
    c2.cleanup.push((
        1,
        Task {
            node: not_owner,
            kind: TaskKind::Drop,
            keys: vec!["k0005".into()],
        },
    ));
    assert!(check(&p, &c2, &stored, COORD, &done).is_empty());
}

#[test]
fn a_key_moving_between_old_nodes_breaks_monotonicity() {
    let (p, mut c, stored) = setup();
    c.moves = vec![
        Move {
            key: "k0004".into(),
            from: NodeId(0),
            to: NodeId(3),
        },
        Move {
            key: "k0009".into(),
            from: NodeId(0),
            to: NodeId(1),
        },
    ];
    let add = ring_changed(Op::AddNode {
        node: NodeId(3),
        weight: 1,
    });
    let e = only(&check(&p, &c, &stored, COORD, &[add]), MONOTONICITY);
    assert_eq!(
        e,
        "adding n4 should move keys only onto n4, but k0009 moves from n1 to n2"
    );
    // Other operations may move keys anywhere.
    let vn = ring_changed(Op::SetVnodes { from: 4, to: 5 });
    assert!(check(&p, &c, &stored, COORD, &[vn]).is_empty());
}

#[test]
fn a_crash_keeps_the_disk_and_loses_the_memory() {
    let (_, mut c, stored) = setup();
    c.tasks.push(Task {
        node: NodeId(0),
        kind: TaskKind::Drop,
        keys: vec!["k0001".into()],
    });
    c.queue.push_back(Cmd::AddKeys { count: 2 });
    c.next_lookup = 3;
    let lookup = PendingLookup {
        key: "k0001".into(),
        preference: vec![NodeId(0), NodeId(1)],
        asking: 0,
        missing: vec![],
        fallback: None,
    };
    let mut coord = Node::Coord(Box::new(NodeState {
        disk: c.clone(),
        mem: CoordMem {
            lookups: [(3, lookup)].into(),
        },
    }));
    coord.crash();
    let after = coord.coord().unwrap();
    assert_eq!(
        after.disk, c,
        "the ring, keys, instructions and queue survive"
    );
    assert_eq!(
        after.mem,
        CoordMem::default(),
        "lookups in progress are lost"
    );

    let disk = StorageDisk {
        stored: stored[0].clone().into(),
        epoch: 4,
    };
    let sending = Outgoing {
        epoch: 4,
        keys: vec!["k0002".into()],
        attempts: 2,
        keep: false,
    };
    let mut node = Node::Storage(NodeState {
        disk: disk.clone(),
        mem: StorageMem {
            outgoing: [(NodeId(1), sending)].into(),
        },
    });
    node.crash();
    let after = node.storage().unwrap();
    assert_eq!(
        after.disk, disk,
        "stored keys and the operation number survive"
    );
    assert_eq!(
        after.mem,
        StorageMem::default(),
        "transfers being sent are lost"
    );
}

/// The ring's shortcuts give what the plain definitions give: the successor found from a
/// guess is the first position >= h (binary search over the whole ring), and a node merged
/// in or filtered out leaves the ring built anew from the members.
#[test]
fn ring_shortcuts_match_the_definitions() {
    use crate::collections::VecMap;
    for (nodes, vnodes) in [(1u32, 1u32), (2, 1), (3, 7), (10, 50), (64, 200)] {
        let members: VecMap<NodeId, u32> = (0..nodes).map(|i| (NodeId(i), 1 + i % 3)).collect();
        let ring = Ring::build(&members, vnodes);
        let plain = |h: u64| {
            let i = ring.vnodes.partition_point(|v| v.pos < h);
            if i == ring.vnodes.len() {
                0
            } else {
                i
            }
        };
        let mut hs = vec![0, 1, u64::MAX, u64::MAX - 1, 1 << 63];
        for v in &ring.vnodes {
            hs.extend([v.pos, v.pos.wrapping_add(1), v.pos.wrapping_sub(1)]);
        }
        hs.extend((0..2000u64).map(mix64));
        for h in hs {
            assert_eq!(
                ring.successor(h),
                plain(h),
                "h = {h:#x}, {nodes} x {vnodes}"
            );
        }
        let new = NodeId(nodes);
        let mut more = members.clone();
        more.insert(new, 2);
        assert_eq!(ring.with_node(new, 2 * vnodes), Ring::build(&more, vnodes));
        assert_eq!(
            Ring::build(&more, vnodes).without_node(new),
            ring,
            "{nodes} x {vnodes}"
        );
    }
}
