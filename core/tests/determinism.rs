//! Same scenario + seed + actions => same trace, and golden trace hashes for every built-in
//! scenario (`golden_hashes.txt`, also checked in WebAssembly by `web/tests/determinism.rs`
//! to prove native == wasm).

use dsplay_core::catalog::{builtin, builtins, load};
use dsplay_core::hash::hex;
use serde_json::{json, Value};
use std::path::PathBuf;

const GOLDEN: &str = include_str!("golden_hashes.txt");

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden_hashes.txt")
}

fn run_hash(json: &str) -> u64 {
    let mut s = load(json).unwrap();
    s.run(None, None);
    s.trace_hash()
}

/// `(id, hash)` pairs of the golden file, checking its format.
fn golden() -> Vec<(&'static str, &'static str)> {
    GOLDEN
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, hash) = l
                .split_once(' ')
                .unwrap_or_else(|| panic!("`{l}`: expected `<id> <hash>`"));
            assert!(
                hash.len() == 16 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "`{l}`: the hash must be 16 lowercase hex digits"
            );
            (id, hash)
        })
        .collect()
}

/// The golden file's contents for the current code.
fn golden_file() -> String {
    let mut out = String::from(
        "# Trace hash of every built-in scenario run to its `run` bound (Session::run(None, None)).\n\
         # Regenerate after an intended change of behaviour:\n\
         #   DSPLAY_BLESS=1 cargo test -p dsplay-core --test determinism golden\n",
    );
    for b in builtins() {
        out.push_str(&format!("{} {}\n", b.id, hex(run_hash(b.json))));
    }
    out
}

#[test]
fn golden_hashes_match() {
    let expected = golden_file();
    if std::env::var_os("DSPLAY_BLESS").is_some() {
        std::fs::write(golden_path(), &expected).unwrap();
        return;
    }
    let golden = golden();
    for b in builtins() {
        let line = golden
            .iter()
            .find(|(id, _)| *id == b.id)
            .unwrap_or_else(|| panic!("{} has no line in golden_hashes.txt", b.id));
        assert_eq!(
            hex(run_hash(b.json)),
            line.1,
            "trace hash of {} changed (if intended, regenerate: see golden_hashes.txt)",
            b.id
        );
    }
    for (id, _) in &golden {
        assert!(
            builtin(id).is_some(),
            "golden_hashes.txt names unknown scenario {id}"
        );
    }
    assert_eq!(golden.len(), builtins().count(), "one line per scenario");
    assert!(
        GOLDEN.starts_with('#'),
        "the file starts by saying how to regenerate it"
    );
}

#[test]
fn same_scenario_and_seed_give_the_same_trace() {
    for b in builtins() {
        let mut one = load(b.json).unwrap();
        let mut two = load(b.json).unwrap();
        let s1 = one.run(None, None);
        let s2 = two.run(None, None);
        assert_eq!(s1, s2, "{}", b.id);
        assert_eq!(one.trace_hash(), two.trace_hash(), "{}", b.id);
        assert_eq!(one.trace_json(), two.trace_json(), "{}", b.id);
        // Stepping one at a time, or seeking, computes the same run.
        let mut three = load(b.json).unwrap();
        while three.pos() < s1.steps && three.step_forward() {}
        assert_eq!(three.trace_hash(), one.trace_hash(), "{} stepped", b.id);
        let mut four = load(b.json).unwrap();
        four.seek(s1.steps);
        four.seek(0);
        four.seek(s1.steps);
        assert_eq!(four.trace_hash(), one.trace_hash(), "{} sought", b.id);
    }
}

#[test]
fn a_different_seed_gives_a_different_trace() {
    for b in builtins() {
        let mut v: Value = serde_json::from_str(b.json).unwrap();
        let base = run_hash(b.json);
        let seed = v["seed"].as_u64().unwrap_or(0);
        let mut hashes = vec![base];
        for other in [seed + 1, seed + 1000, seed ^ u64::MAX] {
            v["seed"] = json!(other);
            let h = run_hash(&v.to_string());
            assert!(
                !hashes.contains(&h),
                "{} with seed {other} repeats a trace",
                b.id
            );
            hashes.push(h);
        }
    }
}

#[test]
fn shared_actions_reproduce_the_trace() {
    for b in builtins() {
        let mut s = load(b.json).unwrap();
        s.seek(3);
        // A node the scenario's algorithm has.
        let node = if b.algorithm == "locks" { "c2" } else { "n2" };
        s.apply_json(&format!(r#"{{ "crash": {{ "node": "{node}" }} }}"#))
            .unwrap();
        s.seek(8);
        // A client command of the scenario's own algorithm.
        let command = match b.algorithm {
            "messaging" => {
                r#"{ "command": { "node": "n1", "cmd": { "broadcast": { "body": "x" } } } }"#
            }
            "hashring" => {
                r#"{ "command": { "node": "coord", "cmd": { "add_keys": { "count": 7 } } } }"#
            }
            "transactions" => {
                r#"{ "command": { "node": "coord", "cmd": { "begin": { "writes": { "z": "9" } } } } }"#
            }
            "locks" => r#"{ "command": { "node": "c1", "cmd": "release" } }"#,
            "raft" => {
                r#"{ "command": { "node": "n1", "cmd": { "client": { "key": "k", "value": "7" } } } }"#
            }
            "paxos" => {
                r#"{ "command": { "node": "n1", "cmd": { "propose": { "value": "k7" } } } }"#
            }
            "chord" => r#"{ "command": { "node": "n1", "cmd": { "lookup": { "key": "k7" } } } }"#,
            "kvstore" => r#"{ "command": { "node": "c1", "cmd": { "write": { "key": 1 } } } }"#,
            other => panic!("no test command for {other}"),
        };
        s.apply_json(command).unwrap();
        s.seek(12);
        s.apply_json(&format!(r#"{{ "restart": {{ "node": "{node}" }} }}"#))
            .unwrap();
        s.apply_json(r#"{ "drop_message": { "id": 5 } }"#).unwrap();
        s.run(Some(150), None);
        let link = s.user_actions_json();
        let mut again = load(b.json).unwrap();
        again.set_user_actions_json(&link).unwrap();
        again.seek(s.pos());
        assert_eq!(again.pos(), s.pos(), "{}", b.id);
        assert_eq!(
            again.trace_hash(),
            s.trace_hash(),
            "{}: replayed from the link",
            b.id
        );
        assert_eq!(again.user_actions_json(), link);
        // The user's actions change the run.
        let mut plain = load(b.json).unwrap();
        plain.seek(s.pos());
        assert_ne!(plain.trace_hash(), s.trace_hash(), "{}", b.id);
    }
}

#[test]
fn hex_format_is_sixteen_lowercase_digits() {
    assert_eq!(hex(0), "0000000000000000");
    assert_eq!(hex(0xABCDEF), "0000000000abcdef");
    assert_eq!(hex(u64::MAX), "ffffffffffffffff");
}

/// The trace exported where a page stands (steps computed ahead, then a step back) is the
/// trace of the same scenario run to that step, byte for byte: what `dsplay run --steps`
/// writes for it.
#[test]
fn trace_at_a_step_is_the_run_to_that_step() {
    for b in builtins() {
        let mut ahead = load(b.json).unwrap();
        ahead.run(None, None);
        let end = ahead.pos();
        for at in [0, end / 3, end / 2, end.saturating_sub(1)] {
            ahead.seek(at);
            assert_eq!(ahead.pos(), at, "{}", b.id);
            let mut fresh = load(b.json).unwrap();
            fresh.run(Some(at), None);
            assert_eq!(fresh.pos(), at, "{}", b.id);
            let (got, want) = (ahead.trace_json(), fresh.trace_json());
            assert!(got == want, "{} at step {at}: the traces differ", b.id);
            let doc: Value = serde_json::from_str(&got).unwrap();
            assert_eq!(
                doc["steps"].as_array().unwrap().len() as u64,
                at,
                "{}",
                b.id
            );
            assert_eq!(doc["final_step"].as_u64(), Some(at), "{}", b.id);
        }
    }
}
