//! The consistency checker: histories from the literature with known verdicts, the import
//! formats, and a cross-check of every model against a brute-force checker (all orders)
//! on thousands of small random histories.

use dsplay_core::consistency::import::{parse, parse_edn, parse_json, parse_text, Format};
use dsplay_core::consistency::{check, check_all, generate, Model, Options, Verdict, HIERARCHY};
use dsplay_core::history::{History, Op, OpKind, Outcome};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn text(s: &str) -> History {
    parse_text(s).unwrap_or_else(|e| panic!("{e}\n{s}")).history
}

fn verdicts(h: &History) -> Vec<(Model, &'static str)> {
    let o = Options::default();
    Model::ALL
        .iter()
        .map(|&m| (m, check(h, m, &o).unwrap().word()))
        .collect()
}

/// Assert each model's own check, and `check_all`, give `want` (models not listed hold).
fn expect(src: &str, violated: &[Model], strongest: &[Model]) {
    let h = text(src);
    for (m, word) in verdicts(&h) {
        let want = if violated.contains(&m) {
            "violated"
        } else {
            "holds"
        };
        assert_eq!(word, want, "{m} on\n{src}");
    }
    let report = check_all(&h, &Options::default()).unwrap();
    for f in &report.findings {
        assert_eq!(
            f.verdict.is_violated(),
            violated.contains(&f.model),
            "{}",
            f.model
        );
    }
    assert_eq!(report.strongest(), strongest, "{src}");
}

use Model::*;

#[test]
fn sequential_but_not_linearizable() {
    // B reads x after A's write completed, yet sees nil: fine if B's read is ordered
    // first, which real time forbids.
    let src = "A: write x=1 0..10\nB: read x->nil 20..30";
    expect(src, &[Linearizable], &[Sequential]);
    let h = text(src);
    let Verdict::Violated(e) = check(&h, Linearizable, &Options::default()).unwrap() else {
        panic!()
    };
    assert_eq!(e.prefix, vec![0]);
    assert_eq!(e.ops, vec![1]);
    assert!(
        e.message
            .contains("#1 client 1: read x->nil (20..30) returned nil but x holds 1"),
        "{}",
        e.message
    );
}

#[test]
fn causal_but_not_sequential() {
    // Dekker: each client writes its flag, then reads the other's as unset.
    expect(
        "A: write x=1 0..1\nA: read y->nil 2..3\nB: write y=2 0..1\nB: read x->nil 2..3",
        &[Linearizable, Sequential],
        &[Causal],
    );
    // IRIW: two readers see two independent writes in opposite orders.
    expect(
        "A: write x=1 0..1\nB: write y=2 0..1\n\
         C: read x->1 2..3\nC: read y->nil 4..5\nD: read y->2 2..3\nD: read x->nil 4..5",
        &[Linearizable, Sequential],
        &[Causal],
    );
    let h = text("A: write x=1 0..1\nA: read y->nil 2..3\nB: write y=2 0..1\nB: read x->nil 2..3");
    let Verdict::Violated(e) = check(&h, Sequential, &Options::default()).unwrap() else {
        panic!()
    };
    assert!(
        e.message.contains(
            "#0 client 0: write x=1 (0..1) would overwrite x=nil, which #3 client 1: \
             read x->nil (2..3) has yet to return"
        ),
        "{}",
        e.message
    );
}

#[test]
fn a_stale_read() {
    // B reads 1 after 2 overwrote it (both writes done): not linearizable; sequentially
    // consistent (B's read may be ordered between the writes).
    let src = "A: write x=1 0..1\nA: write x=2 2..3\nB: read x->1 4..5";
    expect(src, &[Linearizable], &[Sequential]);
    // The same stale read by the writer itself breaks read-your-writes.
    expect(
        "A: write x=1 0..1\nA: write x=2 2..3\nA: read x->1 4..5",
        &[Linearizable, Sequential, Causal, ReadYourWrites],
        &[MonotonicReads, MonotonicWrites, WritesFollowReads],
    );
}

#[test]
fn read_your_writes_broken() {
    let src = "A: write x=1 0..1\nA: read x->nil 2..3";
    expect(
        src,
        &[Linearizable, Sequential, Causal, ReadYourWrites],
        &[MonotonicReads, MonotonicWrites, WritesFollowReads],
    );
    let Verdict::Violated(e) = check(&text(src), ReadYourWrites, &Options::default()).unwrap()
    else {
        panic!()
    };
    assert_eq!(e.ops, vec![0, 1]);
    assert!(e.message.contains("own earlier write"), "{}", e.message);
}

#[test]
fn monotonic_reads_broken_across_two_replicas() {
    // B's first read reaches an up-to-date replica, its second a stale one.
    let src = "A: write x=1 0..1\nA: write x=2 2..3\nB: read x->2 4..5\nB: read x->1 6..7";
    expect(
        src,
        &[Linearizable, Sequential, Causal, MonotonicReads],
        &[ReadYourWrites, MonotonicWrites, WritesFollowReads],
    );
    let Verdict::Violated(e) = check(&text(src), MonotonicReads, &Options::default()).unwrap()
    else {
        panic!()
    };
    assert_eq!(e.ops, vec![2, 3]);
}

#[test]
fn monotonic_writes_and_writes_follow_reads_broken() {
    expect(
        "A: write x=1 0..1\nA: write y=2 2..3\nB: read y->2 4..5\nB: read x->nil 6..7",
        &[Linearizable, Sequential, Causal, MonotonicWrites],
        &[ReadYourWrites, MonotonicReads, WritesFollowReads],
    );
    let src = "A: write x=1 0..1\nB: read x->1 2..3\nB: write y=2 4..5\n\
               C: read y->2 6..7\nC: read x->nil 8..9";
    expect(
        src,
        &[Linearizable, Sequential, Causal, WritesFollowReads],
        &[ReadYourWrites, MonotonicReads, MonotonicWrites],
    );
    let Verdict::Violated(e) = check(&text(src), Causal, &Options::default()).unwrap() else {
        panic!()
    };
    assert!(e.message.contains("cycle"), "{}", e.message);
    assert!(e.ops.contains(&4), "{e:?}");
}

#[test]
fn pending_writes_may_or_may_not_have_taken_effect() {
    // A pending write that must have taken effect: B read its value.
    expect("A: write x=1 0..\nB: read x->1 5..6", &[], &[Linearizable]);
    // A pending write that must not have taken effect (yet): B reads the older value
    // twice, long after the pending write was invoked.
    expect(
        "A: write x=1 0..1\nC: write x=2 2..\nB: read x->1 5..6\nB: read x->1 7..8",
        &[],
        &[Linearizable],
    );
    // Once it was seen, the older value cannot come back.
    expect(
        "A: write x=1 0..1\nC: write x=2 2..\nB: read x->2 5..6\nD: read x->1 7..8",
        &[Linearizable],
        &[Sequential],
    );
    // A failed write took no effect: reading its value is reading thin air.
    let h = text("A: write x=1 0..2 fail\nB: read x->1 5..6");
    let report = check_all(&h, &Options::default()).unwrap();
    assert!(report.findings.iter().all(|f| f.verdict.is_violated()));
    assert!(report.strongest().is_empty());
    let Verdict::Violated(e) = report.verdict(Causal) else {
        panic!()
    };
    assert!(e.message.contains("thin air"), "{}", e.message);
    // A pending read constrains nothing.
    expect("A: write x=1 0..1\nB: read x 2..", &[], &[Linearizable]);
}

#[test]
fn a_violation_is_shrunk_to_the_operations_that_cannot_be_ordered() {
    // Noise around a stale read: the explanation keeps the three operations at fault.
    let src = "A: write x=1 0..1\nC: write y=5 0..3\nA: write x=2 2..3\nD: read y->5 4..6\n\
               B: read x->1 4..5\nC: read y->5 4..9";
    let h = text(src);
    let Verdict::Violated(e) = check(&h, Linearizable, &Options::default()).unwrap() else {
        panic!()
    };
    assert_eq!(e.key.as_deref(), Some("x"));
    assert!(e.message.contains("these 3 operations"), "{}", e.message);
}

#[test]
fn the_hierarchy_is_the_map() {
    assert!(Linearizable.implies(Sequential));
    assert!(Linearizable.implies(WritesFollowReads));
    assert!(Sequential.implies(Causal));
    assert!(!Causal.implies(Sequential));
    assert!(!ReadYourWrites.implies(MonotonicReads));
    for (s, w) in HIERARCHY {
        assert!(s.implies(w) && !w.implies(s));
    }
    for m in Model::ALL {
        assert_eq!(Model::from_name(m.name()), Some(m));
    }
    assert_eq!(Model::from_name("SC"), Some(Sequential));
    assert_eq!(Model::from_name("ryw"), Some(ReadYourWrites));
}

#[test]
fn imports_agree() {
    let t = parse_text(
        "# two clients\nA: write x=1 0..10\nB: read x->1 5..12\nC: write x=2 3..\nD: write y=3 4..9 fail\nE: read y 6..",
    )
    .unwrap();
    let h = &t.history;
    assert_eq!(h.ops.len(), 5);
    assert_eq!(t.names.get(&1).map(String::as_str), Some("B"));
    assert_eq!(h.ops[1].outcome, Outcome::Pending); // sorted by invocation: C's write
    assert_eq!(h.ops[2].outcome, Outcome::Fail);
    // JSON round trip.
    let json = serde_json::to_string(h).unwrap();
    assert_eq!(&parse_json(&json).unwrap().history, h);
    assert_eq!(Format::sniff(&json), Format::Json);
    // EDN, with keys as [k v] and :key, and times.
    let edn = r#"
{:process 0, :type :invoke, :f :write, :value [:x 1], :time 0}
{:process 1, :type :invoke, :f :read, :value [:x nil], :time 5}
{:process :nemesis, :type :info, :f :start, :value nil, :time 6}
{:process 0, :type :ok, :f :write, :value [:x 1], :time 10}
{:process 1, :type :ok, :f :read, :value [:x 1], :time 12}
{:process 2, :type :invoke, :f :write, :key "y", :value 3, :time 13}
{:process 2, :type :fail, :f :write, :key "y", :value 3, :time 14}
{:process 3, :type :invoke, :f :write, :value [:x 2], :time 15}
{:process 3, :type :info, :f :write, :value [:x 2], :time 20}
"#;
    assert_eq!(Format::sniff(edn), Format::Edn);
    let e = parse(edn, Format::Edn).unwrap().history;
    assert_eq!(e.ops.len(), 4);
    assert_eq!(
        (e.ops[1].kind, e.ops[1].value, e.ops[1].complete),
        (OpKind::Read, Some(1), Some(12))
    );
    assert_eq!(e.ops[2].outcome, Outcome::Fail);
    assert_eq!(e.ops[3].outcome, Outcome::Pending);
    assert_eq!(&*e.ops[2].key, "y");
    // Knossos-style single register, no times: the line numbers are the times.
    let k = parse_edn("{:process 0 :type :invoke :f :write :value 1}\n{:process 0 :type :ok :f :write :value 1}\n{:process 1 :type :invoke :f :read :value nil}\n{:process 1 :type :ok :f :read :value 1}").unwrap().history;
    assert_eq!(&*k.ops[0].key, "x");
    assert_eq!((k.ops[1].invoke, k.ops[1].complete), (3, Some(4)));
    assert_eq!(Format::sniff("A: write x=1 0..1"), Format::Text);
    assert_eq!(Format::from_path("run.edn"), Some(Format::Edn));
}

#[test]
fn import_errors_name_the_line() {
    let cases = [
        ("A: write x=1 0..1\nB: rd x->1 2..3", Format::Text, "line 2:", "neither"),
        ("A: write x 0..1", Format::Text, "line 1:", "KEY=VALUE"),
        ("A: read x->1 5", Format::Text, "line 1:", "START..END"),
        ("A: read x->1 5..6 maybe", Format::Text, "line 1:", "only `fail`"),
        ("A: read x 5..6", Format::Text, "line 1:", "->VALUE"),
        ("A: write x=1 0..1\n\nA: write x=1 2..3", Format::Text, "line 3:", "unique"),
        ("A: write x=1 0..5\nA: write x=2 2..3", Format::Text, "line 2:", "before its previous"),
        ("A: write x=one 0..5", Format::Text, "line 1:", "whole number"),
        ("{:process 0, :type :invoke, :f :cas, :value [1 2]}", Format::Edn, "line 1:", ":cas"),
        ("{:process 0, :type :ok, :f :read, :value 1}", Format::Edn, "line 1:", "did not invoke"),
        ("{:process 0, :type :invoke, :f :read\n", Format::Edn, "line 1:", "ends"),
        ("{:process 0 :type :invoke :f :write :value 1}\n{:process 0 :type :invoke :f :write :value 2}", Format::Edn, "line 2:", "open"),
        ("{\"ops\": [\n{\"client\": 0}]}", Format::Json, "line 2:", "missing field"),
    ];
    for (src, format, line, words) in cases {
        let e = parse(src, format).unwrap_err().to_string();
        assert!(e.starts_with(line) && e.contains(words), "{src:?}: {e}");
    }
}

// -----------------------------------------------------------------------------------------
// Brute force: every order, on tiny histories.

fn live(h: &History, i: usize) -> bool {
    let o = &h.ops[i];
    !(o.outcome == Outcome::Fail || (o.kind == OpKind::Read && o.outcome == Outcome::Pending))
}

/// The write a read saw: Some(Some(w)), Some(None) for nil, None when thin air.
fn source(h: &History, r: usize) -> Option<Option<usize>> {
    match h.ops[r].value {
        None => Some(None),
        Some(v) => (0..h.ops.len())
            .find(|&w| {
                live(h, w)
                    && h.ops[w].kind == OpKind::Write
                    && h.ops[w].value == Some(v)
                    && h.ops[w].key == h.ops[r].key
            })
            .map(Some),
    }
}

/// Whether `order` is legal: every read returns the last write to its key before it.
fn legal(h: &History, order: &[usize]) -> bool {
    let mut regs: std::collections::HashMap<&str, Option<u64>> = Default::default();
    for &i in order {
        let o = &h.ops[i];
        let r = regs.entry(&o.key).or_insert(None);
        match o.kind {
            OpKind::Write => *r = o.value,
            OpKind::Read => {
                if *r != o.value {
                    return false;
                }
            }
        }
    }
    true
}

/// Whether some permutation of `ops` respects `before(a, b)` (a must precede b) and is
/// legal.
fn some_order(h: &History, ops: &[usize], before: &dyn Fn(usize, usize) -> bool) -> bool {
    fn go(
        h: &History,
        left: &mut Vec<usize>,
        order: &mut Vec<usize>,
        before: &dyn Fn(usize, usize) -> bool,
    ) -> bool {
        if left.is_empty() {
            return legal(h, order);
        }
        for k in 0..left.len() {
            let x = left[k];
            if left.iter().any(|&y| y != x && before(y, x)) {
                continue;
            }
            left.remove(k);
            order.push(x);
            // Prune: the order so far must already be legal.
            if legal(h, order) && go(h, left, order, before) {
                return true;
            }
            order.pop();
            left.insert(k, x);
        }
        false
    }
    go(h, &mut ops.to_vec(), &mut Vec::new(), before)
}

fn thin_air(h: &History) -> bool {
    (0..h.ops.len()).any(|r| live(h, r) && h.ops[r].kind == OpKind::Read && source(h, r).is_none())
}

fn program_order(h: &History, a: usize, b: usize) -> bool {
    a < b && h.ops[a].client == h.ops[b].client
}

fn brute_linearizable(h: &History) -> bool {
    let ops: Vec<usize> = (0..h.ops.len()).filter(|&i| live(h, i)).collect();
    // Real time; an invocation at the instant its client's previous operation completed
    // comes after every completion at that instant.
    let chained = dsplay_core::consistency::chained(h);
    let before = |a: usize, b: usize| dsplay_core::consistency::real_time(h, &chained, a, b);
    !thin_air(h) && some_order(h, &ops, &before)
}

fn brute_sequential(h: &History) -> bool {
    let ops: Vec<usize> = (0..h.ops.len()).filter(|&i| live(h, i)).collect();
    !thin_air(h) && some_order(h, &ops, &|a, b| program_order(h, a, b))
}

/// The causal order: (program order ∪ reads-from)+, over live operations.
fn causal_order(h: &History) -> Vec<Vec<bool>> {
    let n = h.ops.len();
    let mut co = vec![vec![false; n]; n];
    for (a, row) in co.iter_mut().enumerate() {
        for (b, cell) in row.iter_mut().enumerate() {
            if live(h, a) && live(h, b) {
                *cell = program_order(h, a, b)
                    || (h.ops[b].kind == OpKind::Read && source(h, b) == Some(Some(a)));
            }
        }
    }
    for k in 0..n {
        for a in 0..n {
            for b in 0..n {
                if co[a][k] && co[k][b] {
                    co[a][b] = true;
                }
            }
        }
    }
    co
}

fn brute_causal(h: &History) -> bool {
    if thin_air(h) {
        return false;
    }
    let co = causal_order(h);
    let mut clients: Vec<u32> = h.ops.iter().map(|o| o.client).collect();
    clients.dedup();
    clients.iter().all(|&c| {
        let ops: Vec<usize> = (0..h.ops.len())
            .filter(|&i| live(h, i) && (h.ops[i].kind == OpKind::Write || h.ops[i].client == c))
            .collect();
        some_order(h, &ops, &|a, b| co[a][b])
    })
}

/// The session guarantees, straight from their definitions (module `session`), with the
/// causal order computed by closure.
fn brute_session(h: &History, model: Model) -> bool {
    if thin_air(h) {
        return false;
    }
    let co = causal_order(h);
    let n = h.ops.len();
    let is_read = |i: usize| live(h, i) && h.ops[i].kind == OpKind::Read;
    let is_write = |i: usize| live(h, i) && h.ops[i].kind == OpKind::Write;
    let seen = |r: usize| source(h, r).flatten();
    // Read o misses write w.
    let misses = |o: usize, w: usize| match seen(o) {
        None => true,
        Some(b) => b != w && co[b][w],
    };
    let po = |a: usize, b: usize| live(h, a) && live(h, b) && program_order(h, a, b);
    let same_key = |a: usize, b: usize| h.ops[a].key == h.ops[b].key;
    for o in (0..n).filter(|&o| is_read(o)) {
        match model {
            ReadYourWrites => {
                // The latest own write to the key before o.
                if let Some(w) = (0..o)
                    .rev()
                    .find(|&w| is_write(w) && po(w, o) && same_key(w, o))
                {
                    if misses(o, w) {
                        return false;
                    }
                }
            }
            MonotonicReads => {
                for a in (0..o).filter(|&a| is_read(a) && po(a, o) && same_key(a, o)) {
                    if let Some(wa) = seen(a) {
                        if misses(o, wa) {
                            return false;
                        }
                    }
                }
            }
            MonotonicWrites | WritesFollowReads => {
                for r1 in (0..o).filter(|&r| is_read(r) && po(r, o)) {
                    let Some(w2) = seen(r1) else { continue };
                    if h.ops[w2].client == h.ops[o].client {
                        continue;
                    }
                    for x in (0..w2).filter(|&x| po(x, w2) && same_key(x, o)) {
                        let required = if model == MonotonicWrites {
                            is_write(x).then_some(x)
                        } else if is_read(x) {
                            seen(x)
                        } else {
                            None
                        };
                        if let Some(w1) = required {
                            if misses(o, w1) {
                                return false;
                            }
                        }
                    }
                }
            }
            _ => unreachable!(),
        }
    }
    true
}

fn brute(h: &History, model: Model) -> bool {
    match model {
        Linearizable => brute_linearizable(h),
        Sequential => brute_sequential(h),
        Causal => brute_causal(h),
        m => brute_session(h, m),
    }
}

/// A tiny random history: up to 3 clients, 2 keys, `n` operations, reads returning nil or
/// any value written to any key (sometimes by a failed or pending write), some operations
/// pending or failed.
fn tiny(rng: &mut ChaCha8Rng, n: usize) -> History {
    let clients = rng.random_range(1..=3u32);
    let keys = rng.random_range(1..=2u32);
    let mut free = vec![0u64; clients as usize];
    let mut stopped = vec![false; clients as usize];
    let mut ops: Vec<Op> = Vec::new();
    let mut value = 0;
    for _ in 0..n {
        let c = rng.random_range(0..clients);
        if stopped[c as usize] {
            continue;
        }
        let invoke = free[c as usize] + rng.random_range(0..4u64);
        let complete = invoke + rng.random_range(0..6u64);
        let write = rng.random_bool(0.5);
        let key = ["x", "y"][rng.random_range(0..keys) as usize].to_string();
        let outcome = match rng.random_range(0..12) {
            0 => Outcome::Pending,
            1 => Outcome::Fail,
            _ => Outcome::Ok,
        };
        if write {
            value += 1;
        }
        ops.push(Op {
            client: c,
            key: key.into(),
            kind: if write { OpKind::Write } else { OpKind::Read },
            value: if write { Some(value) } else { None },
            invoke,
            complete: (outcome != Outcome::Pending).then_some(complete),
            outcome,
        });
        free[c as usize] = complete + rng.random_range(0..2u64);
        stopped[c as usize] = outcome == Outcome::Pending;
    }
    // Reads return nil or a written value, mostly of their key.
    let written: Vec<(String, u64)> = ops
        .iter()
        .filter(|o| o.kind == OpKind::Write)
        .map(|o| (o.key.to_string(), o.value.unwrap()))
        .collect();
    for o in ops.iter_mut() {
        if o.kind == OpKind::Read && o.outcome == Outcome::Ok {
            let mine: Vec<u64> = written
                .iter()
                .filter(|(k, _)| rng.random_bool(0.05) || *k == *o.key)
                .map(|&(_, v)| v)
                .collect();
            if !mine.is_empty() && rng.random_bool(0.8) {
                o.value = Some(mine[rng.random_range(0..mine.len())]);
            }
        }
    }
    ops.sort_by_key(|o| o.invoke);
    History { ops }
}

#[test]
fn every_model_agrees_with_brute_force_on_small_random_histories() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let options = Options::default();
    let mut counts = std::collections::BTreeMap::<(Model, bool), usize>::new();
    let mut checked = 0;
    while checked < 3000 {
        let n = rng.random_range(2..=7);
        let h = tiny(&mut rng, n);
        if h.validate().is_err() {
            continue;
        }
        checked += 1;
        let report = check_all(&h, &options).unwrap();
        for m in Model::ALL {
            let fast = check(&h, m, &options).unwrap();
            let want = brute(&h, m);
            assert!(!matches!(fast, Verdict::Unknown { .. }), "{m}: {fast:?}");
            assert_eq!(
                fast.holds(),
                want,
                "{m} on {}\n{fast:?}",
                serde_json::to_string(&h).unwrap()
            );
            assert_eq!(report.verdict(m).holds(), want, "check_all, {m}");
            *counts.entry((m, want)).or_default() += 1;
        }
        for (s, w) in HIERARCHY {
            assert!(!brute(&h, s) || brute(&h, w), "{s} without {w}");
        }
    }
    // The generator reaches both verdicts of every model.
    for m in Model::ALL {
        for v in [true, false] {
            assert!(
                counts.get(&(m, v)).copied().unwrap_or(0) >= 20,
                "{m} {v}: {counts:?}"
            );
        }
    }
}

#[test]
fn generated_runs_of_an_atomic_register_are_linearizable() {
    for seed in 0..20 {
        let shape = generate::Shape {
            ops: 300,
            pending: 0.05,
            fail: 0.05,
            ..Default::default()
        };
        let h = generate::history(seed, &shape);
        h.validate().unwrap();
        let report = check_all(&h, &Options::default()).unwrap();
        assert_eq!(report.strongest(), vec![Linearizable], "seed {seed}");
        for m in [
            Sequential,
            Causal,
            ReadYourWrites,
            MonotonicReads,
            MonotonicWrites,
            WritesFollowReads,
        ] {
            let v = check(&h, m, &Options::default()).unwrap();
            assert!(v.holds(), "seed {seed}, {m}: {v:?}");
        }
    }
    // Stale reads break it.
    let stale = generate::Shape {
        ops: 300,
        stale: 0.3,
        ..Default::default()
    };
    let h = generate::history(1, &stale);
    assert!(check(&h, Linearizable, &Options::default())
        .unwrap()
        .is_violated());
}

#[test]
fn a_tiny_budget_answers_unknown() {
    let h = generate::history(
        3,
        &generate::Shape {
            ops: 200,
            clients: 8,
            keys: 1,
            ..Default::default()
        },
    );
    let o = Options {
        budget: 10,
        ..Default::default()
    };
    let v = check(&h, Linearizable, &o).unwrap();
    let Verdict::Unknown { reason } = v else {
        panic!("{v:?}")
    };
    assert!(reason.contains("budget exceeded"), "{reason}");
}
