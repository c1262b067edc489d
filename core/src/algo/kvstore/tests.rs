//! The checker on hand-made broken states and histories: each property fires.

use super::types::{
    ConfigDisk, ConfigMem, ConfigNode, Entry, Holding, Node, Note, Params, PartCfg, Replica,
    Replication, Server, ServerDisk,
};
use super::{
    KvChecker, Kvstore, DURABILITY, LOG_PREFIX, MONOTONIC_READS, ONE_LEADER, OWNERSHIP,
    READ_YOUR_WRITES,
};
use crate::history::{OpKind, Outcome};
use crate::invariant::Violation;
use crate::protocol::Protocol;
use crate::sim::NodeId;

fn proto(params: Params) -> Kvstore {
    Kvstore::new(params).unwrap()
}

fn one_partition() -> Params {
    Params {
        servers: 3,
        spare: 0,
        clients: 2,
        partitions: 1,
        keys: 4,
        ..Params::default()
    }
}

fn entry(epoch: u64, key: u32, value: u64) -> Entry {
    Entry {
        epoch,
        key: Some(key),
        value,
    }
}

fn replica(epoch: u64, leader: u32, log: Vec<Entry>) -> Replica {
    Replica {
        holding: Holding::Active,
        epoch,
        leader: Some(NodeId(leader)),
        replicas: vec![NodeId(0), NodeId(1), NodeId(2)],
        commit: log.len() as u64,
        log,
        synced: true,
        ..Replica::default()
    }
}

fn server(parts: Vec<(u32, Replica)>) -> Node {
    let mut disk = ServerDisk {
        member: true,
        ..ServerDisk::default()
    };
    for (p, r) in parts {
        disk.parts.insert(p, r);
    }
    Node::Server(Server::new(disk))
}

fn cfg(table: Vec<PartCfg>) -> Node {
    Node::Config(ConfigNode {
        disk: ConfigDisk {
            table,
            ..ConfigDisk::default()
        },
        mem: ConfigMem::default(),
    })
}

fn check(c: &mut KvChecker, nodes: &[Node]) -> Vec<Violation> {
    let refs: Vec<&Node> = nodes.iter().collect();
    let up = vec![true; nodes.len()];
    let mut out = Vec::new();
    c.check_state(&refs, &up, 1, 10, &mut out);
    out
}

fn table(epoch: u64, leader: u32) -> Vec<PartCfg> {
    vec![PartCfg {
        epoch,
        replicas: vec![NodeId(0), NodeId(1), NodeId(2)],
        leader: Some(NodeId(leader)),
    }]
}

#[test]
fn a_correct_state_keeps_every_property() {
    let p = proto(one_partition());
    let mut c = KvChecker::new(&p);
    let log = vec![entry(1, 1, 1)];
    let nodes = vec![
        server(vec![(0, replica(1, 0, log.clone()))]),
        server(vec![(0, replica(1, 0, log.clone()))]),
        server(vec![(0, replica(1, 0, vec![]))]),
        cfg(table(1, 0)),
    ];
    assert_eq!(check(&mut c, &nodes), vec![]);
}

#[test]
fn ownership_fires_on_a_broken_map_a_stray_owner_and_a_lost_partition() {
    let p = proto(one_partition());
    let c = KvChecker::new(&p);
    assert!(c.partition_map_error(&[vec![0, 1, 2, 3]]).is_none());
    let e = c.partition_map_error(&[vec![0, 1, 2], vec![2, 3]]).unwrap();
    assert!(e.contains("k2 is in 2 partitions"), "{e}");
    assert!(c.partition_map_error(&[vec![0, 1]]).is_some());
    // n3 serves p0, but the configuration names only n1 and n2.
    let mut c = KvChecker::new(&p);
    let mut t = table(2, 0);
    t[0].replicas = vec![NodeId(0), NodeId(1)];
    let nodes = vec![
        server(vec![(0, replica(2, 0, vec![]))]),
        server(vec![(0, replica(2, 0, vec![]))]),
        server(vec![(0, replica(1, 0, vec![]))]),
        cfg(t),
    ];
    let v = check(&mut c, &nodes);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].property, OWNERSHIP);
    assert!(
        v[0].explanation.starts_with("n3 serves p0"),
        "{}",
        v[0].explanation
    );
    // Nobody holds p0.
    let mut c = KvChecker::new(&p);
    let nodes = vec![
        server(vec![]),
        server(vec![]),
        server(vec![]),
        cfg(table(1, 0)),
    ];
    let v = check(&mut c, &nodes);
    assert!(v
        .iter()
        .any(|v| v.property == OWNERSHIP && v.explanation.contains("lost")));
}

#[test]
fn two_leaders_in_one_epoch_fire() {
    let p = proto(one_partition());
    let mut c = KvChecker::new(&p);
    let mut out = Vec::new();
    let leads = Note::Leads {
        part: 0,
        epoch: 2,
        len: 3,
    };
    c.observe(NodeId(0), &leads, 1, 10, &mut out);
    c.observe(NodeId(0), &leads, 2, 11, &mut out);
    assert!(out.is_empty());
    c.observe(NodeId(1), &leads, 3, 12, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].property, ONE_LEADER);
    assert_eq!(out[0].explanation, "n1 and n2 both lead p0 in epoch 2");
}

#[test]
fn a_follower_log_that_is_not_a_prefix_fires() {
    let p = proto(one_partition());
    let mut c = KvChecker::new(&p);
    let nodes = vec![
        server(vec![(
            0,
            replica(1, 0, vec![entry(1, 1, 1), entry(1, 2, 3)]),
        )]),
        server(vec![(
            0,
            replica(1, 0, vec![entry(1, 1, 1), entry(1, 2, 5)]),
        )]),
        server(vec![(0, replica(1, 0, vec![entry(1, 1, 1)]))]),
        cfg(table(1, 0)),
    ];
    let v = check(&mut c, &nodes);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].property, LOG_PREFIX);
    assert!(
        v[0].explanation.contains("differ at entry 2"),
        "{}",
        v[0].explanation
    );
    // A follower not yet synced in the leader's epoch is not held to it.
    let mut c = KvChecker::new(&p);
    let mut r = replica(1, 0, vec![entry(1, 1, 1), entry(1, 2, 5)]);
    r.synced = false;
    let nodes = vec![
        server(vec![(
            0,
            replica(1, 0, vec![entry(1, 1, 1), entry(1, 2, 3)]),
        )]),
        server(vec![(0, r)]),
        server(vec![]),
        cfg(table(1, 0)),
    ];
    assert!(check(&mut c, &nodes)
        .iter()
        .all(|v| v.property != LOG_PREFIX));
}

#[test]
fn a_leader_without_an_acknowledged_write_fires_durability() {
    let p = proto(Params {
        replication: Replication::Async,
        ..one_partition()
    });
    let mut c = KvChecker::new(&p);
    let mut out = Vec::new();
    c.observe(
        NodeId(0),
        &Note::AcksWrite {
            part: 0,
            epoch: 1,
            client: NodeId(4),
            key: 1,
            value: 7,
            index: 2,
        },
        1,
        10,
        &mut out,
    );
    // n2 leads epoch 2 without k1=7.
    let nodes = vec![
        server(vec![(
            0,
            replica(1, 0, vec![entry(1, 0, 1), entry(1, 1, 7)]),
        )]),
        server(vec![(
            0,
            replica(
                2,
                1,
                vec![
                    entry(1, 0, 1),
                    Entry {
                        epoch: 2,
                        key: None,
                        value: 0,
                    },
                ],
            ),
        )]),
        server(vec![]),
        cfg(table(2, 1)),
    ];
    let v = check(&mut c, &nodes);
    let d: Vec<&Violation> = v.iter().filter(|v| v.property == DURABILITY).collect();
    assert_eq!(d.len(), 1, "{v:?}");
    assert!(d[0]
        .explanation
        .starts_with("n2, leader of p0 in epoch 2, does not have k1=7, which n1 acknowledged"));
    // Reported once.
    assert!(check(&mut c, &nodes)
        .iter()
        .all(|v| v.property != DURABILITY));
}

/// Feed a client's operation: invoke at `t`, complete at `t + 5`.
#[allow(clippy::too_many_arguments)]
fn op(
    c: &mut KvChecker,
    client: NodeId,
    kind: OpKind,
    key: u32,
    value: Option<u64>,
    stamp: Option<u64>,
    t: u64,
    out: &mut Vec<Violation>,
) {
    c.observe(
        client,
        &Note::Invokes {
            op: t,
            kind,
            key,
            part: 0,
            value: if kind == OpKind::Write { value } else { None },
            version: 0,
            to: vec![],
        },
        t,
        t,
        out,
    );
    c.observe(
        client,
        &Note::Completes {
            op: t,
            kind,
            key,
            value,
            stamp,
            outcome: Outcome::Ok,
            ending: super::Ending::Answered,
            took: 5,
        },
        t + 1,
        t + 5,
        out,
    );
}

#[test]
fn session_guarantees_fire_where_promised_and_are_observations_elsewhere() {
    let stamp = super::types::stamp;
    // c1 reads from the leader (promised both), c2 from n3 (monotonic reads only).
    let p = proto(Params {
        pin: vec!["leader".into(), "n3".into()],
        ..one_partition()
    });
    let (c1, c2) = (p.client_id(0), p.client_id(1));
    let mut c = KvChecker::new(&p);
    let mut out = Vec::new();
    op(
        &mut c,
        c1,
        OpKind::Write,
        1,
        Some(1),
        Some(stamp(1, 2)),
        10,
        &mut out,
    );
    op(&mut c, c1, OpKind::Read, 1, None, None, 20, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].property, READ_YOUR_WRITES);
    assert!(
        out[0].explanation.starts_with("c1 wrote k1=1"),
        "{}",
        out[0].explanation
    );
    out.clear();
    // c2: its own write then an older read is an observation; going back is a violation.
    op(
        &mut c,
        c2,
        OpKind::Write,
        2,
        Some(2),
        Some(stamp(1, 3)),
        30,
        &mut out,
    );
    op(&mut c, c2, OpKind::Read, 2, None, None, 40, &mut out);
    assert!(out.is_empty());
    assert_eq!(c.observations().len(), 1);
    assert_eq!(c.observations()[0].property, READ_YOUR_WRITES);
    op(
        &mut c,
        c2,
        OpKind::Write,
        3,
        Some(4),
        Some(stamp(1, 4)),
        50,
        &mut out,
    );
    op(
        &mut c,
        c2,
        OpKind::Read,
        3,
        Some(4),
        Some(stamp(1, 4)),
        60,
        &mut out,
    );
    op(&mut c, c2, OpKind::Read, 3, None, None, 70, &mut out);
    let kinds: Vec<&str> = out.iter().map(|v| v.property).collect();
    assert_eq!(kinds, vec![MONOTONIC_READS], "{out:?}");
    // The history holds every operation, well formed.
    assert_eq!(c.history().ops.len(), 7);
    c.history().validate().unwrap();
    // Asynchronous replication promises neither: both are observations.
    let p = proto(Params {
        replication: Replication::Async,
        ..one_partition()
    });
    let mut c = KvChecker::new(&p);
    op(
        &mut c,
        p.client_id(0),
        OpKind::Write,
        1,
        Some(1),
        Some(stamp(1, 2)),
        10,
        &mut out,
    );
    out.clear();
    op(
        &mut c,
        p.client_id(0),
        OpKind::Read,
        1,
        None,
        None,
        20,
        &mut out,
    );
    assert!(out.is_empty());
    assert_eq!(c.observations().len(), 1);
    assert!(c.observations()[0]
        .explanation
        .contains("not promised here: asynchronous"));
}

#[test]
fn a_pending_write_starts_a_new_process() {
    let p = proto(one_partition());
    let c1 = p.client_id(0);
    let mut c = KvChecker::new(&p);
    let mut out = Vec::new();
    c.observe(
        c1,
        &Note::Invokes {
            op: 1,
            kind: OpKind::Write,
            key: 0,
            part: 0,
            value: Some(1),
            version: 0,
            to: vec![],
        },
        1,
        1,
        &mut out,
    );
    c.observe(
        c1,
        &Note::Completes {
            op: 1,
            kind: OpKind::Write,
            key: 0,
            value: Some(1),
            stamp: None,
            outcome: Outcome::Pending,
            ending: super::Ending::TimedOut,
            took: 400,
        },
        2,
        401,
        &mut out,
    );
    op(&mut c, c1, OpKind::Read, 0, Some(1), None, 500, &mut out);
    let h = c.history();
    assert_eq!(h.ops[0].client, 0);
    assert_eq!(h.ops[0].complete, None);
    assert_ne!(h.ops[1].client, 0);
    h.validate().unwrap();
}
