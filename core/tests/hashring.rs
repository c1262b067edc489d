//! Consistent hashing: the outcome of each built-in scenario, hash stability, and property
//! tests over random rings and key sets (invariants, fraction of keys moved, balance,
//! remove after add).

use dsplay_core::algo::hashring::{
    balance, hash_key, key_name, mod_n_moved, vnode_hash, Coord, Hashring, Node, Note, Op, Params,
    Ring, StorageState, MONOTONICITY, PLACEMENT, REPLICA_PLACEMENT,
};
use dsplay_core::catalog::{builtin, load, sweep as sweep_one};
use dsplay_core::collections::VecMap;
use dsplay_core::faults::FaultMix;
use dsplay_core::protocol::Protocol;
use dsplay_core::scenario::Scenario;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::NodeId;
use dsplay_core::Algorithm;
use proptest::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

fn run_builtin(id: &str) -> Loaded<Hashring> {
    let mut l = Loaded::<Hashring>::parse(builtin(id).unwrap().json).unwrap();
    let sum = l.run(None, None);
    assert!(
        sum.ended,
        "{id} runs to its end within its `run` bound: {sum:?}"
    );
    assert!(l.violations().is_empty(), "{id}: {:?}", l.violations());
    l
}

fn id_of(l: &Loaded<Hashring>, name: &str) -> NodeId {
    NodeId(l.names().iter().position(|n| n == name).unwrap() as u32)
}

fn node<'a>(l: &'a Loaded<Hashring>, name: &str) -> &'a Node {
    l.timeline.sim().node(id_of(l, name))
}

/// A storage node's state (its disk and its memory).
fn storage<'a>(l: &'a Loaded<Hashring>, name: &str) -> &'a StorageState {
    node(l, name).storage().unwrap()
}

/// The keys on a storage node's disk.
fn stored(l: &Loaded<Hashring>, n: NodeId) -> &BTreeSet<String> {
    &l.timeline.sim().node(n).storage().unwrap().disk.stored
}

/// The coordinator's state on disk.
fn coord(l: &Loaded<Hashring>) -> &Coord {
    &node(l, "coord").coord().unwrap().disk
}

fn notes(l: &Loaded<Hashring>) -> impl Iterator<Item = &Note> {
    l.timeline.trace().steps.iter().flat_map(|s| s.notes.iter())
}

/// Coefficient of variation (std dev / mean) of the load.
fn cv(c: &Coord) -> f64 {
    c.stats.std_dev / c.stats.mean
}

/// Every node stores exactly the keys it owns.
fn assert_placed(l: &Loaded<Hashring>) {
    let c = coord(l);
    assert!(c.tasks.is_empty(), "no migration pending: {:?}", c.tasks);
    let k = l.names().len() as u32 - 1;
    for n in (0..k).map(NodeId) {
        let want: BTreeSet<&String> = c
            .owners
            .iter()
            .filter(|(_, o)| o.contains(&n))
            .map(|(k, _)| k)
            .collect();
        let have: BTreeSet<&String> = stored(l, n).iter().collect();
        assert_eq!(want, have, "{}", l.names()[n.index()]);
    }
}

#[test]
fn hash_is_stable() {
    // Computed once with this implementation (FNV-1a 64 then splitmix64's finalizer) and
    // written down: a change of these values changes every ring in every saved scenario.
    assert_eq!(hash_key(""), 0xf52a15e9a9b5e89b);
    assert_eq!(hash_key("a"), 0x02c0bdbf481420f8);
    assert_eq!(hash_key("k0001"), 0xc83f7947fc99b873);
    assert_eq!(hash_key("n1#0"), 0xe73b9b96754f50a4);
    assert_eq!(vnode_hash(NodeId(0), 0), hash_key("n1#0"));
    assert_eq!(key_name(42), "k0042");
    assert_eq!(key_name(12345), "k12345");
}

#[test]
fn no_vnodes_is_unbalanced_and_vnodes_balance() {
    let one = run_builtin("hashring-no-vnodes");
    let c1 = coord(&one);
    assert_eq!(c1.ring.vnodes.len(), 4);
    assert_eq!(c1.stats.keys, 1000);
    assert_eq!(c1.stats.load.values().sum::<u32>(), 1000);
    assert!(
        cv(c1) > 0.3,
        "one vnode per node is unbalanced: {:?}",
        c1.stats
    );
    assert!(c1.stats.max_over_mean > 1.3, "{:?}", c1.stats);
    // Both lookups were served by the key's owner.
    let served: Vec<&Note> = notes(&one)
        .filter(|n| matches!(n, Note::LookupServed { replica: 1, .. }))
        .collect();
    assert_eq!(served.len(), 2);
    assert_placed(&one);

    let many = run_builtin("hashring-vnodes");
    let c = coord(&many);
    assert_eq!(c.ring.vnodes.len(), 400);
    assert!(
        cv(c) < 0.15,
        "100 vnodes per node balance the load: {:?}",
        c.stats
    );
    assert!(cv(c) < cv(c1) / 2.0);
    // It went to 1 virtual node and back: two operations that moved keys, both complete.
    let changes: Vec<(&Op, u32)> = notes(&many)
        .filter_map(|n| match n {
            Note::RingChanged { op, moved_keys, .. } => Some((op, *moved_keys)),
            _ => None,
        })
        .collect();
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|(_, m)| *m > 100), "{changes:?}");
    let complete = notes(&many)
        .filter(|n| matches!(n, Note::MigrationComplete { .. }))
        .count();
    assert_eq!(complete, 2);
    assert_placed(&many);
}

#[test]
fn adding_a_fifth_node_moves_about_a_fifth() {
    let l = run_builtin("hashring-add-node");
    let c = coord(&l);
    let n5 = id_of(&l, "n5");
    assert!(c.members.contains_key(&n5));
    let moved = f64::from(c.stats.moved_keys) / 1000.0;
    let mod_n = f64::from(c.stats.mod_n_moved) / 1000.0;
    assert!((0.12..=0.28).contains(&moved), "moved {moved}");
    assert!((0.7..=0.88).contains(&mod_n), "mod N would move {mod_n}");
    assert!(c.moves.iter().all(|m| m.to == n5), "monotonicity");
    assert_eq!(c.moves.len() as u32, c.stats.moved_keys);
    assert_eq!(
        storage(&l, "n5").disk.stored.len() as u32,
        c.stats.moved_keys
    );
    for n in ["n1", "n2", "n3", "n4"] {
        assert!(
            storage(&l, n).mem.outgoing.is_empty(),
            "{n} finished sending"
        );
    }
    assert!(notes(&l).any(|n| matches!(n, Note::MigrationComplete { epoch: 1 })));
    assert_placed(&l);
}

#[test]
fn a_crash_sends_lookups_to_the_next_replica() {
    let l = run_builtin("hashring-crash-replicas");
    let n4 = id_of(&l, "n4");
    let n5 = id_of(&l, "n5");
    let served: Vec<(NodeId, u32)> = notes(&l)
        .filter_map(|n| match n {
            Note::LookupServed { by, replica, .. } => Some((*by, *replica)),
            _ => None,
        })
        .collect();
    assert_eq!(served, vec![(n4, 1), (n5, 2), (n4, 1)]);
    assert!(notes(&l).any(|n| matches!(n, Note::LookupNoAnswer { from, .. } if *from == n4)));
    // Three copies of every key on three distinct nodes.
    let c = coord(&l);
    assert!(c.owners.values().all(|o| o.len() == 3));
    assert_eq!(c.stats.load.values().sum::<u32>(), 900);
    assert_placed(&l);
}

#[test]
fn r1_with_the_owner_down_is_unavailable() {
    let mut sc =
        Scenario::<Hashring>::parse(builtin("hashring-crash-replicas").unwrap().json).unwrap();
    sc.params.replicas = 1;
    let mut l = Loaded::new(sc).unwrap();
    l.run(None, None);
    assert!(l.violations().is_empty());
    // The same ring with one copy: k0001 lives on n4 only, which is down.
    let n4 = id_of(&l, "n4");
    assert_eq!(coord(&l).owners["k0001"], vec![n4]);
    let outcomes: Vec<&Note> = notes(&l)
        .filter(|n| {
            matches!(
                n,
                Note::LookupServed { .. } | Note::LookupUnavailable { .. }
            )
        })
        .collect();
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert!(
        matches!(outcomes[1], Note::LookupUnavailable { tried, .. } if *tried == vec![n4]),
        "{outcomes:?}"
    );
    let text = l
        .step_view(
            l.timeline
                .trace()
                .steps
                .iter()
                .find(|s| {
                    s.notes
                        .iter()
                        .any(|n| matches!(n, Note::LookupUnavailable { .. }))
                })
                .unwrap()
                .index,
        )
        .unwrap()
        .narration
        .join("\n");
    assert!(
        text.contains("unavailable") && text.contains("R = 1"),
        "{text}"
    );
}

#[test]
fn weights_share_the_load_in_proportion() {
    let l = run_builtin("hashring-weights");
    let c = coord(&l);
    let load = |n: &str| f64::from(c.stats.load[&id_of(&l, n)]);
    assert_eq!(c.ring.vnodes.len(), 50 * (1 + 2 + 3 + 4 + 2));
    let ratio = load("n4") / load("n1");
    assert!((2.5..=6.0).contains(&ratio), "weight 4 vs 1: {ratio}");
    let n5 = load("n5") / 2000.0;
    assert!((0.1..=0.25).contains(&n5), "n5 (weight 2 of 12) holds {n5}");
    assert!(c.moves.iter().all(|m| m.to == id_of(&l, "n5")));
    assert_placed(&l);
}

#[test]
fn params_out_of_range_are_refused_with_the_field() {
    let bad = [
        (json!({ "nodes": 0 }), "nodes"),
        (json!({ "nodes": 65 }), "nodes"),
        (json!({ "spare": 17 }), "spare"),
        (json!({ "vnodes": 501 }), "vnodes"),
        (json!({ "replicas": 5, "nodes": 4 }), "replicas"),
        (json!({ "replicas": 0 }), "replicas"),
        (json!({ "keys": 20001 }), "keys"),
        (json!({ "weights": { "n9": 2 } }), "weights.n9"),
        (json!({ "weights": { "n1": 9 } }), "weights.n1"),
        (json!({ "transfer_timeout": 1 }), "transfer_timeout"),
    ];
    for (params, field) in bad {
        let p: Params = serde_json::from_value(params.clone()).unwrap();
        let e = Hashring::new(p).unwrap_err();
        assert_eq!(e.field, field, "{params}: {e}");
    }
    let doc = json!({ "algorithm": "hashring", "title": "t", "seed": 1, "params": { "vnode": 3 } });
    assert!(
        load(&doc.to_string()).is_err(),
        "unknown fields are refused"
    );
}

/// A scenario over `params` with the given commands to coord, on a lossy, duplicating
/// network with a crash, run to its end.
fn run_ops(
    params: serde_json::Value,
    ops: &[(u64, serde_json::Value)],
    faults: bool,
) -> Loaded<Hashring> {
    let mut actions: Vec<serde_json::Value> = ops
        .iter()
        .map(|(at, cmd)| json!({ "at": at, "action": { "command": { "node": "coord", "cmd": cmd } } }))
        .collect();
    if faults {
        actions
            .push(json!({ "at": 5, "action": { "network": { "loss": 0.3, "duplicate": 0.2 } } }));
        actions.push(json!({ "at": 50, "action": { "crash": { "node": "n1" } } }));
        actions.push(json!({ "at": 900, "action": { "restart": { "node": "n1" } } }));
        actions.push(
            json!({ "at": 1500, "action": { "network": { "loss": 0.0, "duplicate": 0.0 } } }),
        );
    }
    actions.sort_by_key(|a| a["at"].as_u64());
    let doc = json!({
        "algorithm": "hashring", "title": "t", "seed": 9,
        "params": params,
        "network": { "latency": [10, 80] },
        "actions": actions,
        "run": { "steps": 100000 }
    });
    let mut l = Loaded::<Hashring>::parse(&doc.to_string()).unwrap();
    let sum = l.run(None, None);
    assert!(sum.ended, "{sum:?}");
    l
}

#[test]
fn remove_after_add_restores_the_placement() {
    let params = json!({ "nodes": 5, "spare": 1, "vnodes": 20, "replicas": 2, "keys": 500 });
    let before = run_ops(params.clone(), &[], false);
    let after = run_ops(
        params,
        &[
            (10, json!({ "add_node": { "node": "n6" } })),
            (20, json!({ "remove_node": { "node": "n6" } })),
        ],
        true,
    );
    assert!(after.violations().is_empty(), "{:?}", after.violations());
    for i in 0..6 {
        let n = NodeId(i);
        assert_eq!(stored(&before, n), stored(&after, n), "n{}", i + 1);
    }
    assert_eq!(coord(&before).owners, coord(&after).owners);
    // Both operations moved keys, and the second waited for the first.
    assert!(notes(&after).any(|n| matches!(n, Note::Queued { .. })));
    assert_eq!(
        notes(&after)
            .filter(|n| matches!(n, Note::MigrationComplete { .. }))
            .count(),
        2
    );
}

/// Members: `count` distinct physical nodes drawn from 80 by `seed`.
fn members(seed: u64, count: u32) -> VecMap<NodeId, u32> {
    let mut ids: Vec<u32> = (0..80).collect();
    let mut s = seed;
    for i in (1..ids.len()).rev() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ids.swap(i, (s >> 33) as usize % (i + 1));
    }
    ids[..count as usize]
        .iter()
        .map(|&i| (NodeId(i), 1))
        .collect()
}

fn keys(prefix: u32, count: u32) -> BTreeSet<String> {
    (0..count).map(|i| format!("user{prefix}:{i}")).collect()
}

#[test]
fn balance_improves_with_more_virtual_nodes() {
    let mut avg = [0.0f64; 3];
    let seeds = 8;
    for seed in 0..seeds {
        let m = members(seed, 8);
        let ks = keys(seed as u32, 4000);
        for (slot, v) in [1u32, 10, 100].into_iter().enumerate() {
            let owners = Ring::build(&m, v).place(&ks, 1);
            let mut load: BTreeMap<NodeId, u32> = m.keys().map(|&n| (n, 0)).collect();
            for o in owners.values() {
                *load.get_mut(&o[0]).unwrap() += 1;
            }
            let (mean, sd, _) = balance(load.values().copied());
            avg[slot] += sd / mean / seeds as f64;
        }
    }
    assert!(
        avg[0] > avg[1] && avg[1] > avg[2],
        "std dev / mean for 1, 10, 100 vnodes: {avg:?}"
    );
    assert!(avg[2] < 0.15, "{avg:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Adding the (n+1)-th node moves about 1/(n+1) of the keys, all onto it; mod N moves
    /// far more; removing it again restores every key's owners.
    #[test]
    fn adding_a_node_moves_about_one_over_n_plus_one(
        seed in any::<u64>(),
        n in 2u32..12,
        prefix in any::<u32>(),
    ) {
        let mut m = members(seed, n + 1);
        let (&new, _) = m.iter().nth((seed % u64::from(n + 1)) as usize).unwrap();
        m.remove(&new);
        let ks = keys(prefix, 4000);
        let before = Ring::build(&m, 200).place(&ks, 1);
        let mut m2 = m.clone();
        m2.insert(new, 1);
        let after = Ring::build(&m2, 200).place(&ks, 1);
        let mut moved = 0u32;
        for (k, o) in &after {
            if before[k] != *o {
                moved += 1;
                prop_assert_eq!(o[0], new, "{} moved elsewhere than the new node", k);
            }
        }
        let frac = f64::from(moved) / 4000.0;
        let want = 1.0 / f64::from(n + 1);
        prop_assert!((frac - want).abs() < 0.3 * want + 0.01, "moved {} want {}", frac, want);
        let old: Vec<NodeId> = m.keys().copied().collect();
        let new_list: Vec<NodeId> = m2.keys().copied().collect();
        let modn = f64::from(mod_n_moved(ks.iter(), &old, &new_list)) / 4000.0;
        prop_assert!(modn > frac, "mod N {} vs ring {}", modn, frac);
        let back = Ring::build(&m, 200).place(&ks, 1);
        prop_assert_eq!(back, before);
    }
}

fn cmd() -> impl Strategy<Value = serde_json::Value> {
    let node = (1u32..=6).prop_map(|i| format!("n{i}"));
    prop_oneof![
        2 => node.clone().prop_map(|n| json!({ "add_node": { "node": n } })),
        2 => node.prop_map(|n| json!({ "remove_node": { "node": n } })),
        1 => (1u32..30).prop_map(|c| json!({ "set_vnodes": { "count": c } })),
        1 => (1u32..40).prop_map(|c| json!({ "add_keys": { "count": c } })),
        1 => (1u32..60).prop_map(|i| json!({ "remove_key": { "key": key_name(i) } })),
        1 => (1u32..60).prop_map(|i| json!({ "lookup": { "key": key_name(i) } })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]

    /// Random rings, key sets and operations on a lossy, duplicating network with a crash:
    /// no invariant is violated, and at the end every key is on exactly its owners.
    #[test]
    fn invariants_hold_on_random_rings(
        nodes in 1u32..=4,
        vnodes in 1u32..=30,
        replicas in 1u32..=3,
        nkeys in 0u32..=120,
        ops in prop::collection::vec((0u64..1200, cmd()), 1..8),
    ) {
        let replicas = replicas.min(nodes);
        let params = json!({
            "nodes": nodes, "spare": 6 - nodes, "vnodes": vnodes,
            "replicas": replicas, "keys": nkeys, "transfer_timeout": 100
        });
        let l = run_ops(params, &ops, true);
        let v = l.violations();
        prop_assert!(v.is_empty(), "{:?}", v);
        let c = coord(&l);
        prop_assert!(c.tasks.is_empty() && c.queue.is_empty());
        for o in c.owners.values() {
            prop_assert_eq!(o.len(), replicas as usize);
        }
        assert_placed(&l);
    }
}

#[test]
fn seed_sweep_with_faults_finds_no_violation() {
    for seed in 0..40 {
        let o = sweep_one("hashring", seed, FaultMix::ALL, 2000, None).unwrap();
        assert!(
            o.violations.is_empty(),
            "seed {seed}: {:?}\n{}",
            o.violations,
            o.scenario
        );
        assert!(o.steps > 0);
    }
    let p = json!({ "nodes": 6, "spare": 3, "vnodes": 20, "replicas": 3, "keys": 400 });
    for seed in 0..10 {
        let o = sweep_one("hashring", seed, FaultMix::ALL, 2000, Some(&p)).unwrap();
        assert!(o.violations.is_empty(), "seed {seed}: {:?}", o.violations);
    }
}

#[test]
fn properties_are_named() {
    let p = Hashring::new(Params::default()).unwrap();
    let names: Vec<&str> = p.properties().iter().map(|p| p.name).collect();
    assert_eq!(names, vec![REPLICA_PLACEMENT, PLACEMENT, MONOTONICITY]);
    assert_eq!(p.node_names().last().map(String::as_str), Some("coord"));
    assert_eq!(p.node_names().len(), 7);
}

#[test]
fn commands_to_storage_nodes_and_bad_commands_are_refused_in_words() {
    let mut l = run_ops(
        json!({ "nodes": 2, "spare": 1, "keys": 10 }),
        &[
            (10, json!({ "add_node": { "node": "n1" } })),
            (20, json!({ "remove_node": { "node": "n3" } })),
            (30, json!({ "add_keys": { "count": 30000 } })),
            (40, json!({ "remove_key": { "key": "nope" } })),
            (50, json!({ "lookup": { "key": "nope" } })),
        ],
        false,
    );
    let refusals = notes(&l)
        .filter(|n| matches!(n, Note::Refused { .. }))
        .count();
    assert_eq!(refusals, 4);
    l.apply_json(r#"{ "command": { "node": "n1", "cmd": { "add_keys": { "count": 1 } } } }"#)
        .unwrap();
    l.run(Some(5), None);
    let last = l.step_view(l.pos() - 1).unwrap();
    assert!(
        last.narration.iter().any(|s| s.contains("only coord")),
        "{:?}",
        last.narration
    );
}

#[test]
fn seeking_gives_the_same_trace_as_running() {
    // The trace hashes themselves are pinned in golden_hashes.txt with every built-in.
    let all: Vec<_> = Hashring::BUILTINS.iter().collect();
    assert_eq!(all.len(), 5);
    for b in &all {
        let mut one = load(b.json).unwrap();
        let s1 = one.run(None, None);
        let mut two = load(b.json).unwrap();
        two.seek(s1.steps);
        two.seek(0);
        two.seek(s1.steps);
        assert_eq!(one.trace_hash(), two.trace_hash(), "{} sought", b.id);
        assert_eq!(one.trace_json(), two.trace_json(), "{}", b.id);
    }
}

/// The narration of every step, one line per note.
fn narration(l: &Loaded<Hashring>) -> Vec<String> {
    (0..l.pos())
        .flat_map(|i| l.step_view(i).unwrap().narration)
        .collect()
}

#[test]
fn huge_counts_are_refused_quickly_without_overflow() {
    // A count near u32::MAX (from a URL or the Custom editor) used to wrap the check.
    let t = std::time::Instant::now();
    let l = run_ops(
        json!({ "nodes": 3, "spare": 1, "keys": 10 }),
        &[
            (10, json!({ "add_keys": { "count": u32::MAX } })),
            (20, json!({ "add_keys": { "count": u32::MAX - 5 } })),
            (30, json!({ "add_keys": { "count": 19_991 } })),
            (40, json!({ "remove_keys": { "count": u32::MAX } })),
            (50, json!({ "remove_keys": { "count": 0 } })),
            (60, json!({ "add_keys": { "count": 19_990 } })),
        ],
        false,
    );
    assert!(t.elapsed().as_secs() < 30, "took {:?}", t.elapsed());
    let refusals = notes(&l)
        .filter(|n| matches!(n, Note::Refused { .. }))
        .count();
    assert_eq!(refusals, 5);
    assert_eq!(coord(&l).keys.len(), 20_000, "the last one fits exactly");
    let text = narration(&l).join("\n");
    assert!(text.contains("adding 4294967295 keys is refused"), "{text}");
    assert!(
        text.contains("removing 4294967295 keys is refused: remove 1 to 10"),
        "{text}"
    );
    assert!(l.violations().is_empty());
}

#[test]
fn removing_a_crashed_node_does_not_stall_later_operations() {
    // R = 2: the copies n1 held are handed over by the other replica, so removing n1
    // while it is down completes, and the next operation (add n5) runs.
    let params = json!({ "nodes": 4, "spare": 1, "vnodes": 8, "replicas": 2, "keys": 300 });
    let doc = json!({
        "algorithm": "hashring", "title": "t", "seed": 3,
        "params": params,
        "network": { "latency": [10, 80] },
        "actions": [
            { "at": 10, "action": { "crash": { "node": "n1" } } },
            { "at": 20, "action": { "command": { "node": "coord", "cmd": { "remove_node": { "node": "n1" } } } } },
            { "at": 30, "action": { "command": { "node": "coord", "cmd": { "add_node": { "node": "n5" } } } } },
            { "at": 40, "action": { "command": { "node": "coord", "cmd": { "add_node": { "node": "n1" } } } } },
        ],
        "run": { "steps": 3000 }
    });
    let mut l = Loaded::<Hashring>::parse(&doc.to_string()).unwrap();
    l.run(Some(3000), None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let c = coord(&l);
    let (n1, n5) = (id_of(&l, "n1"), id_of(&l, "n5"));
    assert!(c.members.contains_key(&n5), "add n5 ran");
    assert!(!c.members.contains_key(&n1));
    assert!(c.tasks.is_empty() && c.queue.is_empty(), "{:?}", c.tasks);
    // n1 is still down: its old copies wait to be deleted, and it may not rejoin yet.
    assert_eq!(c.cleanup.len(), 1);
    assert!(notes(&l).any(|n| matches!(
        n,
        Note::Refused { why: dsplay_core::algo::hashring::Refusal::StillCleaning { node } } if *node == n1
    )));
    for n in ["n2", "n3", "n4", "n5"] {
        let id = id_of(&l, n);
        let want: BTreeSet<&String> = c
            .owners
            .iter()
            .filter(|(_, o)| o.contains(&id))
            .map(|(k, _)| k)
            .collect();
        let have: BTreeSet<&String> = storage(&l, n).disk.stored.iter().collect();
        assert_eq!(want, have, "{n}");
    }
    let text = narration(&l).join("\n");
    assert!(text.contains("to copy"), "{text}");
    // n1 restarts: it deletes its old copies and can rejoin.
    l.apply_json(r#"{ "restart": { "node": "n1" } }"#).unwrap();
    let sum = l.run(Some(3000), None);
    assert!(sum.ended, "{sum:?}");
    assert!(coord(&l).cleanup.is_empty());
    assert!(storage(&l, "n1").disk.stored.is_empty());
    l.apply_json(r#"{ "command": { "node": "coord", "cmd": { "add_node": { "node": "n1" } } } }"#)
        .unwrap();
    l.run(Some(3000), None);
    assert!(coord(&l).members.contains_key(&n1));
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    assert_placed(&l);
}

#[test]
fn remove_random_keys_is_seeded_and_deletes_on_every_replica() {
    let params = json!({ "nodes": 4, "spare": 0, "vnodes": 10, "replicas": 2, "keys": 200 });
    let ops = [
        (10, json!({ "remove_keys": { "count": 50 } })),
        (20, json!({ "remove_key": { "key": "k0001" } })),
    ];
    let a = run_ops(params.clone(), &ops, true);
    let b = run_ops(params, &ops, true);
    assert!(a.violations().is_empty(), "{:?}", a.violations());
    let ca = coord(&a);
    assert_eq!(
        ca.keys,
        coord(&b).keys,
        "the same seed removes the same keys"
    );
    let removed = 200 - ca.keys.len();
    assert!(removed == 50 || removed == 51, "{removed}");
    assert!(!ca.keys.contains("k0001"));
    assert!(notes(&a).any(|n| matches!(
        n,
        Note::RingChanged {
            op: Op::RemoveKeys { count: 50 },
            ..
        }
    )));
    assert_eq!(
        ca.stats.load.values().sum::<u32>() as usize,
        ca.keys.len() * 2
    );
    assert_placed(&a);
    let text = narration(&a).join("\n");
    assert!(text.contains("50 keys chosen at random leave"), "{text}");
}

#[test]
fn a_lookup_during_a_move_asks_the_old_owner_and_says_why() {
    // Adding n5 moves keys onto it; a lookup of one of them right after asks n5 first,
    // which does not have it yet, then the old owner, which still does.
    let mut m: VecMap<NodeId, u32> = (0..4).map(|i| (NodeId(i), 1)).collect();
    let before = Ring::build(&m, 1);
    m.insert(NodeId(4), 1);
    let after = Ring::build(&m, 1);
    let mut buf = Vec::new();
    let moving: Vec<String> = (1..=1000)
        .map(key_name)
        .filter(|k| {
            after.preference(hash_key(k), 1, &mut buf);
            let a = buf[0];
            before.preference(hash_key(k), 1, &mut buf);
            a == NodeId(4) && buf[0] != NodeId(4)
        })
        .take(12)
        .collect();
    let mut ops = vec![(10, json!({ "add_node": { "node": "n5" } }))];
    for (i, k) in moving.iter().enumerate() {
        ops.push((11 + i as u64, json!({ "lookup": { "key": k } })));
    }
    let l = run_ops(
        json!({ "nodes": 4, "spare": 1, "vnodes": 1, "keys": 1000, "transfer_timeout": 2000 }),
        &ops,
        false,
    );
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let fell_back = notes(&l).any(|n| matches!(n, Note::LookupFallback { .. }));
    let by_old = notes(&l).any(|n| matches!(n, Note::LookupServedByOldOwner { .. }));
    assert!(fell_back && by_old, "{:?}", narration(&l));
    let text = narration(&l).join("\n");
    assert!(text.contains("the old owner"), "{text}");
    assert!(!text.contains("does not answer"), "{text}");
}

#[test]
fn restarts_and_misdirected_commands_are_narrated_truthfully() {
    let mut l = run_ops(json!({ "nodes": 2, "spare": 1, "keys": 10 }), &[], false);
    l.apply_json(r#"{ "crash": { "node": "coord" } }"#).unwrap();
    l.apply_json(r#"{ "restart": { "node": "coord" } }"#)
        .unwrap();
    l.apply_json(r#"{ "command": { "node": "n1", "cmd": { "lookup": { "key": "k0001" } } } }"#)
        .unwrap();
    l.run(Some(20), None);
    let text = narration(&l).join("\n");
    assert!(
        text.contains("coord restarts: the ring, the key set"),
        "{text}"
    );
    assert!(!text.contains("its 0 stored keys"), "{text}");
    assert!(text.contains("give lookups to coord"), "{text}");
    assert!(!text.contains("only coord changes the ring"), "{text}");
}

#[test]
fn a_queued_operation_says_what_it_waits_for() {
    let l = run_ops(
        json!({ "nodes": 3, "spare": 2, "keys": 100 }),
        &[
            (10, json!({ "add_node": { "node": "n4" } })),
            (11, json!({ "add_node": { "node": "n5" } })),
            (12, json!({ "add_keys": { "count": 5 } })),
        ],
        false,
    );
    let text = narration(&l).join("\n");
    assert!(!text.contains("(0 ahead of it)"), "{text}");
    assert!(
        text.contains("waits for the current migration to finish"),
        "{text}"
    );
    assert!(text.contains("1 more operation queued before it"), "{text}");
}

/// A late duplicate of a finished operation's instruction made a replica send keys to a
/// node already in the next operation, which ignored them without a word: the sender
/// resent for ever and the run never ended (found by `invariants_hold_on_random_rings`).
/// The receiver now answers that the transfer is stale, and the sender stops.
#[test]
fn a_stale_transfer_is_answered_and_not_resent_for_ever() {
    let params = json!({
        "nodes": 4, "spare": 2, "vnodes": 2, "replicas": 2, "keys": 22, "transfer_timeout": 100
    });
    let ops = [
        (101, json!({ "remove_node": { "node": "n2" } })),
        (101, json!({ "remove_key": { "key": "k0004" } })),
    ];
    // run_ops asserts that the run ends.
    let l = run_ops(params, &ops, true);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let stopped = l
        .timeline
        .trace()
        .steps
        .iter()
        .flat_map(|s| &s.notes)
        .filter(|n| matches!(n, Note::StopsStaleTransfer { .. }))
        .count();
    assert!(stopped > 0, "no stale transfer was stopped");
    assert_placed(&l);
}
