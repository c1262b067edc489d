//! The key-value store: the outcome of each built-in scenario, the safe modes under random
//! fault schedules, the unsafe asynchronous failover found by a sweep, the history each run
//! leaves, convergence once faults stop, and parameter checks.

use dsplay_core::algo::kvstore::{
    Kvstore, Note, Replication, DURABILITY, MONOTONIC_READS, READ_YOUR_WRITES,
};
use dsplay_core::catalog::{builtin, load, sweep as sweep_one};

mod common;

/// The seeds of a sweep whose runs broke a property; every run's history is checked to be
/// well formed on the way.
fn sweep(
    seeds: std::ops::Range<u64>,
    mix: FaultMix,
    params: &serde_json::Value,
) -> Vec<(u64, Vec<String>)> {
    common::broken_seeds("kvstore", seeds, mix, 2000, params, |out| {
        let mut l = load(&out.scenario).unwrap();
        l.run(None, None);
        let kv = l.as_any().downcast_ref::<Loaded<Kvstore>>().unwrap();
        let history = kv.timeline.sim().checker().unwrap().history();
        history
            .validate()
            .unwrap_or_else(|e| panic!("seed {}: {e}", out.seed));
    })
}
use dsplay_core::faults::{random_schedule, FaultMix};
use dsplay_core::history::{OpKind, Outcome};
use dsplay_core::scenario::Scenario;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::Time;
use serde_json::json;

fn run(l: &mut Loaded<Kvstore>) {
    l.run(None, None);
    let c = l.timeline.sim().checker().unwrap();
    c.history().validate().expect("the history is well formed");
}

fn run_builtin(id: &str) -> Loaded<Kvstore> {
    let mut l = Loaded::<Kvstore>::parse(builtin(id).unwrap().json).unwrap();
    run(&mut l);
    l
}

fn again(
    l: &Loaded<Kvstore>,
    f: impl FnOnce(&mut dsplay_core::algo::kvstore::Params),
) -> Loaded<Kvstore> {
    let mut sc = l.scenario.clone();
    f(&mut sc.params);
    let mut l = Loaded::new(sc).unwrap();
    run(&mut l);
    l
}

fn notes(l: &Loaded<Kvstore>) -> Vec<Note> {
    l.timeline
        .trace()
        .steps
        .iter()
        .flat_map(|s| s.notes.iter().cloned())
        .collect()
}

/// The reads that completed: (value read).
fn reads(l: &Loaded<Kvstore>) -> Vec<Option<u64>> {
    let c = l.timeline.sim().checker().unwrap();
    c.history()
        .ops
        .iter()
        .filter(|o| o.kind == OpKind::Read && o.outcome == Outcome::Ok)
        .map(|o| o.value)
        .collect()
}

fn observed(l: &Loaded<Kvstore>) -> Vec<&'static str> {
    let c = l.timeline.sim().checker().unwrap();
    c.observations().iter().map(|o| o.property).collect()
}

#[test]
fn sequential_keys_on_ranges_make_a_hot_spot_and_hashing_spreads_them() {
    let l = run_builtin("kv-hot-spot");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let load = l
        .timeline
        .sim()
        .checker()
        .unwrap()
        .writes_per_partition()
        .to_vec();
    assert_eq!(load, vec![8, 4, 0, 0]);
    let h = again(&l, |p| {
        p.partitioning = dsplay_core::algo::kvstore::Partitioning::Hash
    });
    let load = h
        .timeline
        .sim()
        .checker()
        .unwrap()
        .writes_per_partition()
        .to_vec();
    assert!(load.iter().filter(|&&w| w > 0).count() >= 3, "{load:?}");
}

#[test]
fn a_join_moves_two_partitions_where_hash_mod_n_moves_most_keys() {
    let l = run_builtin("kv-add-node");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let c = l.timeline.sim().checker().unwrap();
    let r = &c.rebalances()[0];
    assert_eq!(r.partitions, 2);
    assert!(r.mod_n > 2 * r.fixed, "{r:?}");
    assert_eq!(r.entries_sent, 6);
    // Every read after the move finds the value written.
    assert_eq!(reads(&l), vec![Some(1), Some(4), Some(7), Some(10)]);
    // Every write acknowledged, every operation answered.
    assert!(c.history().ops.iter().all(|o| o.outcome == Outcome::Ok));
}

#[test]
fn asynchronous_failover_loses_acknowledged_writes() {
    let l = run_builtin("kv-async-failover");
    let v = l.violations();
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v.iter().all(|v| v.property == DURABILITY));
    assert!(v[0].explanation.contains("k1=3"), "{}", v[0].explanation);
    // The lost writes are the operations that wrote k1=3 and k2=5, found when n2 leads.
    let c = l.timeline.sim().checker().unwrap();
    let lost: Vec<String> = c
        .lost_writes()
        .iter()
        .map(|w| {
            let op = &c.history().ops[w.op];
            assert_eq!(op.kind, OpKind::Write);
            assert_eq!(op.outcome, Outcome::Ok, "an acknowledged write");
            format!("{}={}", op.key, op.value.unwrap())
        })
        .collect();
    assert_eq!(lost, vec!["k1=3", "k2=5"]);
    // c1 reads 1 after its own 3: an observation, async promises nothing.
    assert_eq!(observed(&l), vec![READ_YOUR_WRITES]);
    assert_eq!(reads(&l)[0], Some(1));
    // Synchronous and semi-synchronous replication acknowledge nothing while n1 is cut
    // off, and lose nothing.
    for mode in [Replication::Sync, Replication::SemiSync] {
        let s = again(&l, |p| p.replication = mode);
        assert!(s.violations().is_empty(), "{mode:?}: {:?}", s.violations());
        assert!(observed(&s).is_empty());
        let h = s.timeline.sim().checker().unwrap().history().clone();
        assert!(
            h.ops[1..3].iter().all(|o| o.outcome != Outcome::Ok),
            "{h:?}"
        );
    }
}

#[test]
fn a_lagging_follower_breaks_read_your_writes_as_an_observation() {
    let l = run_builtin("kv-lagging-follower");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    assert_eq!(observed(&l), vec![READ_YOUR_WRITES]);
    assert_eq!(reads(&l), vec![None, Some(1), Some(1)]);
    // Reading at the leader: c1 sees its write.
    let s = again(&l, |p| p.pin.clear());
    assert!(s.violations().is_empty());
    assert!(observed(&s).is_empty());
    assert_eq!(reads(&s), vec![Some(1), Some(1), Some(1)]);
}

#[test]
fn w1_r1_reads_a_stale_value_and_w2_r2_does_not() {
    let l = run_builtin("kv-quorum");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    assert_eq!(reads(&l), vec![None]);
    assert_eq!(observed(&l), vec![READ_YOUR_WRITES]);
    let s = again(&l, |p| {
        p.w = 2;
        p.r = 2;
    });
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert_eq!(reads(&s), vec![Some(1)]);
    assert!(notes(&s)
        .iter()
        .any(|n| matches!(n, Note::ReadRepair { .. })));
}

/// Each stale read names its operation in the history: a completed read of the key its
/// words name, by the client they name, that returned an older value than the one its
/// session wrote or read before. (None of these modes promises the guarantee, so none is
/// also a violation.)
#[test]
fn each_stale_read_names_its_read_operation() {
    for id in ["kv-quorum", "kv-lagging-follower", "kv-async-failover"] {
        let l = run_builtin(id);
        let c = l.timeline.sim().checker().unwrap();
        let h = c.history();
        let stale = c.stale_reads();
        assert_eq!(
            stale.len(),
            c.observations().len(),
            "{id}: one per observation here"
        );
        assert!(!stale.is_empty(), "{id}: the scenario has a stale read");
        for r in stale {
            let op = &h.ops[r.op];
            assert_eq!(op.kind, OpKind::Read, "{id}: {r:?}");
            assert_eq!(
                op.complete,
                Some(r.time),
                "{id}: completes when it is found"
            );
            let client = format!("c{} ", op.client + 1);
            assert!(
                r.explanation.starts_with(&client),
                "{id}: {} by {client}",
                r.explanation
            );
            assert!(
                r.explanation.contains(&format!("{}=", op.key)),
                "{id}: {}",
                r.explanation
            );
            assert!(
                !r.promised,
                "{id}: these modes do not promise {}",
                r.property
            );
        }
    }
}

#[test]
fn a_sloppy_quorum_writes_through_substitutes_and_hands_the_hints_over() {
    let l = run_builtin("kv-sloppy-quorum");
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    let ns = notes(&l);
    assert!(ns
        .iter()
        .any(|n| matches!(n, Note::Substitutes { pairs, .. } if pairs.len() == 2)));
    assert_eq!(
        ns.iter()
            .filter(|n| matches!(n, Note::HintDelivered { .. }))
            .count(),
        2
    );
    let c = l.timeline.sim().checker().unwrap();
    assert_eq!(c.history().ops[0].outcome, Outcome::Ok);
    assert_eq!(reads(&l), vec![Some(1)]);
    assert_eq!(c.convergence().diverged, 0);
    // Without the sloppy quorum the write cannot reach W=2 during the partition.
    let s = again(&l, |p| p.sloppy = false);
    let h = s.timeline.sim().checker().unwrap().history().clone();
    assert_eq!(h.ops[0].outcome, Outcome::Pending);
}

/// Every property is checked at every step of every seed: 300 seeds over the safe modes
/// (durability, ownership, one leader, log prefix, and the guarantees each promises).
#[test]
fn safe_modes_hold_under_random_fault_schedules() {
    let cases = [
        (json!({}), 0..120),
        (
            json!({ "replication": "semi_sync", "partitioning": "range" }),
            1000..1080,
        ),
        (
            json!({ "replication": "leaderless", "w": 2, "r": 2 }),
            2000..2060,
        ),
        (
            json!({ "replication": "leaderless", "w": 1, "r": 1, "sloppy": true, "servers": 4, "spare": 1 }),
            3000..3040,
        ),
    ];
    for (p, seeds) in cases {
        let bad = sweep(seeds, FaultMix::ALL, &p);
        assert!(bad.is_empty(), "{p}: {bad:?}");
    }
}

#[test]
fn the_sweep_finds_asynchronous_failover() {
    let params = json!({ "replication": "async" });
    let out = (0..100)
        .map(|seed| sweep_one("kvstore", seed, FaultMix::ALL, 2000, Some(&params)).unwrap())
        .find(|o| !o.violations.is_empty())
        .expect("the sweep finds the unsafe variant");
    assert!(
        out.violations.iter().all(|v| v.property == DURABILITY),
        "{:?}",
        out.violations
    );
    let mut l = load(&out.scenario).unwrap();
    l.run(None, None);
    assert_eq!(l.violations(), out.violations, "reproduced");
    // The same seed with synchronous replication keeps every acknowledged write.
    assert!(sweep(out.seed..out.seed + 1, FaultMix::ALL, &json!({})).is_empty());
}

/// Once every fault window has ended (no crash-stops) and writes stop, the replicas of
/// every partition converge (leader-follower: the leader's appends bring every log level).
#[test]
fn replicas_converge_after_faults_stop() {
    let span: Time = 2000;
    let mix = FaultMix {
        stops: false,
        ..FaultMix::ALL
    };
    for seed in 0..8u64 {
        let mut sc =
            Scenario::<Kvstore>::from_value(json!({ "algorithm": "kvstore", "seed": seed }))
                .unwrap();
        let proto = sc.protocol().unwrap();
        sc.actions = random_schedule(&proto, seed, span, 12, 8, mix);
        sc.run.until = Some(span + 3000);
        sc.run.steps = 60_000;
        let mut l = Loaded::new(sc).unwrap();
        run(&mut l);
        assert!(
            l.violations().is_empty(),
            "seed {seed}: {:?}",
            l.violations()
        );
        let c = l.timeline.sim().checker().unwrap().convergence();
        assert_eq!(
            c.diverged, 0,
            "seed {seed}: replicas still differ at the end"
        );
    }
}

#[test]
fn monotonic_reads_are_promised_to_a_pinned_reader_in_sync_mode() {
    let p = dsplay_core::algo::kvstore::Params {
        pin: vec!["n2".into()],
        ..Default::default()
    };
    let pr = dsplay_core::algo::kvstore::promises(&p, true);
    assert!(pr.monotonic_reads && !pr.read_your_writes);
    let k = <Kvstore as dsplay_core::protocol::Protocol>::new(p).unwrap();
    let names: Vec<&str> = dsplay_core::protocol::Protocol::properties(&k)
        .iter()
        .map(|p| p.name)
        .collect();
    assert!(names.contains(&MONOTONIC_READS) && names.contains(&READ_YOUR_WRITES));
}

#[test]
fn parameters_out_of_range_are_refused_with_the_field() {
    let bad = [
        (json!({ "servers": 0 }), "servers"),
        (json!({ "servers": 9, "spare": 1 }), "spare"),
        (json!({ "clients": 5 }), "clients"),
        (json!({ "keys": 0 }), "keys"),
        (json!({ "partitions": 17 }), "partitions"),
        (json!({ "replicas": 4 }), "replicas"),
        (json!({ "replication": "leaderless", "w": 4 }), "w"),
        (json!({ "replication": "leaderless", "r": 0 }), "r"),
        (json!({ "sloppy": true }), "sloppy"),
        (json!({ "splits": [4, 8, 12] }), "splits"),
        (
            json!({ "partitioning": "range", "splits": [4, 8] }),
            "splits",
        ),
        (
            json!({ "partitioning": "range", "splits": [4, 4, 12] }),
            "splits[1]",
        ),
        (
            json!({ "partitioning": "range", "splits": [4, 8, 16] }),
            "splits[2]",
        ),
        (json!({ "pin": ["leader", "n7"] }), "pin[1]"),
        (json!({ "pin": ["", "", ""] }), "pin"),
        (json!({ "heartbeat_every": 1 }), "heartbeat_every"),
        (json!({ "failover_timeout": 60 }), "failover_timeout"),
        (json!({ "request_timeout": 5 }), "request_timeout"),
    ];
    for (params, field) in bad {
        let doc = json!({ "algorithm": "kvstore", "params": params });
        let err = load(&doc.to_string())
            .err()
            .unwrap_or_else(|| panic!("{params} accepted"));
        assert_eq!(err.path, format!("params.{field}"), "{params}: {err}");
    }
    let ok = json!({ "algorithm": "kvstore", "params": { "partitioning": "range", "splits": [2, 9, 13], "failover_timeout": 0, "pin": ["n4"] } });
    assert!(load(&ok.to_string()).is_ok());
}
