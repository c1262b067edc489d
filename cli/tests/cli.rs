//! End-to-end tests of the `dsplay` binary.

use dsplay_core::catalog::{self, CATALOG};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Runs the binary in a fresh temp folder (a relative path, or the default `--out` of a
/// sweep, lands there and not in this crate's folder).
fn dsplay(args: &[&str]) -> Output {
    let cwd = TempDir::new("cwd");
    Command::new(env!("CARGO_BIN_EXE_dsplay"))
        .args(args)
        .current_dir(&cwd.0)
        .output()
        .expect("the dsplay binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "dsplay-cli-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, contents: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("write temp file");
        p.to_str().expect("UTF-8 temp path").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The value of a `key: value` line of the summary.
fn field(out: &str, key: &str) -> String {
    let prefix = format!("{key}:");
    out.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no `{key}:` line in:\n{out}"))
        .trim()
        .to_string()
}

fn num(out: &str, key: &str) -> u64 {
    let v = field(out, key);
    v.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("`{key}: {v}` is not a number"))
}

#[test]
fn run_every_builtin_scenario() {
    assert!(catalog::builtins().next().is_some());
    for b in catalog::builtins() {
        let o = dsplay(&["run", b.id]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{}: {}", b.id, stderr(&o));
        assert!(stderr(&o).is_empty(), "{}: {}", b.id, stderr(&o));

        // The summary agrees with the library.
        let mut s = catalog::load(b.json).expect("built-ins load");
        let sum = s.run(None, None);
        assert_eq!(field(&out, "algorithm"), b.algorithm);
        assert_eq!(field(&out, "title"), s.title());
        assert_eq!(num(&out, "seed"), s.seed());
        assert_eq!(num(&out, "steps"), sum.steps);
        assert!(sum.steps > 0, "{}", b.id);
        assert_eq!(field(&out, "time"), format!("{} ms", sum.time));
        assert_eq!(
            field(&out, "messages"),
            format!(
                "{} sent, {} delivered, {} dropped, {} in flight",
                sum.messages, sum.delivered, sum.dropped, sum.in_flight
            )
        );
        assert_eq!(field(&out, "ended").starts_with("yes"), sum.ended, "{out}");
        assert_eq!(num(&out, "violations"), sum.violations);
        let listed = out
            .lines()
            .filter(|l| l.trim_start().starts_with("step "))
            .count();
        assert_eq!(listed as u64, sum.violations, "{out}");
    }
}

#[test]
fn run_reads_a_file_and_a_path_wins_over_a_builtin_name() {
    let tmp = TempDir::new("file");
    let normal = catalog::builtin("messaging-normal").unwrap();
    let file = tmp.write("s.json", normal.json);
    let o = dsplay(&["run", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(field(&stdout(&o), "scenario"), file);

    // A file named like a built-in scenario is read instead of the built-in one.
    let crash = catalog::builtin("messaging-broker-crash").unwrap();
    std::fs::write(tmp.path("messaging-normal"), crash.json).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_dsplay"))
        .args(["run", "messaging-normal"])
        .current_dir(&tmp.0)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(field(&stdout(&o), "title"), "Broker crash");
}

#[test]
fn run_bounds_steps_and_time() {
    let o = dsplay(&["run", "messaging-normal", "--steps", "5"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(num(&out, "steps"), 5);
    assert!(
        field(&out, "ended").starts_with("no (stopped at the step limit"),
        "{out}"
    );

    let o = dsplay(&["run", "messaging-broker-crash", "--until", "300"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(num(&out, "time") <= 300, "{out}");
    assert!(
        field(&out, "ended").starts_with("no (stopped at the time limit"),
        "{out}"
    );
}

#[test]
fn hash_is_stable() {
    let hash = |args: &[&str]| {
        let o = dsplay(args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("hash: ")).collect();
        assert_eq!(lines.len(), 1, "{out}");
        let h = lines[0]["hash: ".len()..].to_string();
        assert_eq!(h.len(), 16, "{h}");
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{h}"
        );
        h
    };
    for b in catalog::builtins() {
        let h = hash(&["run", b.id, "--hash"]);
        assert_eq!(h, hash(&["run", b.id, "--hash"]), "{}", b.id);
        let mut s = catalog::load(b.json).unwrap();
        s.run(None, None);
        assert_eq!(h, dsplay_core::hash::hex(s.trace_hash()), "{}", b.id);
    }
    // A different run has a different hash.
    assert_ne!(
        hash(&["run", "messaging-normal", "--hash"]),
        hash(&["run", "messaging-normal", "--hash", "--steps", "5"])
    );
}

#[test]
fn actions_from_a_link_are_done_as_yours() {
    let tmp = TempDir::new("actions");
    let actions = tmp.path("actions.json");
    std::fs::write(
        &actions,
        r#"[{"step": 3, "action": {"crash": {"node": "n2"}}}]"#,
    )
    .unwrap();
    let trace = tmp.path("trace.json");
    let o = dsplay(&[
        "run",
        "messaging-normal",
        "--actions",
        actions.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    // After 3 steps, the crash is step 4, yours; the trace's scenario has it at step 3.
    let step = &doc["steps"][3];
    assert_eq!(step["index"], 4);
    assert_eq!(step["user"], true);
    assert_eq!(step["action"]["crash"]["node"], "n2");
    assert_eq!(step["status"][0]["status"], "crashed");
    let script = doc["scenario"]["actions"].as_array().unwrap();
    assert!(script
        .iter()
        .any(|a| a["at_step"] == 3 && a["action"]["crash"]["node"] == "n2"));
    // A bad file is refused with where it is wrong.
    std::fs::write(
        &actions,
        r#"[{"step": 3, "action": {"crash": {"node": "zz"}}}]"#,
    )
    .unwrap();
    let o = dsplay(&[
        "run",
        "messaging-normal",
        "--actions",
        actions.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("actions"), "{}", stderr(&o));
}

#[test]
fn trace_is_written_in_the_documented_format() {
    let tmp = TempDir::new("trace");
    for b in catalog::builtins() {
        let path = tmp.path(&format!("{}.json", b.id));
        let p = path.to_str().unwrap();
        let o = dsplay(&["run", b.id, "--trace", p]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        assert_eq!(field(&out, "trace"), p);
        let text = std::fs::read_to_string(&path).expect("trace written");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("trace is JSON");
        assert_eq!(doc["format"], "dsplay-trace");
        assert_eq!(doc["version"], 2);
        assert_eq!(doc["algorithm"], b.algorithm);
        assert_eq!(doc["title"].as_str(), Some(field(&out, "title").as_str()));
        assert_eq!(doc["seed"].as_u64(), Some(num(&out, "seed")));
        let steps = doc["steps"].as_array().expect("steps");
        assert_eq!(steps.len() as u64, num(&out, "steps"), "{}", b.id);
        assert_eq!(doc["final_step"].as_u64(), Some(num(&out, "steps")));
        assert_eq!(doc["final_time"].as_u64(), Some(num(&out, "time")));
        let sent = doc["messages"].as_array().expect("messages").len() as u64;
        assert_eq!(sent, num(&out, "messages"));
        assert_eq!(
            doc["violations"].as_array().unwrap().len() as u64,
            num(&out, "violations")
        );
        let nodes = doc["nodes"].as_array().unwrap();
        assert_eq!(doc["final_states"].as_array().unwrap().len(), nodes.len());
        // Every node starts up; the steps' status changes lead to the final statuses.
        let mut status: Vec<serde_json::Value> = nodes
            .iter()
            .map(|_| serde_json::json!({ "status": "up" }))
            .collect();
        for (i, s) in steps.iter().enumerate() {
            // Steps are numbered from 1, as `dsplay run` prints them.
            assert_eq!(s["index"].as_u64(), Some(i as u64 + 1));
            assert!(s["narration"].as_array().is_some_and(|n| !n.is_empty()));
            // Node ids are written as names.
            if let Some(n) = s["node"].as_str() {
                assert!(nodes.iter().any(|x| x == n), "{n}");
            }
            if let Some(changes) = s.get("status") {
                let changes = changes.as_array().unwrap();
                assert!(!changes.is_empty(), "{}: step {}", b.id, i + 1);
                for change in changes {
                    let at = nodes.iter().position(|x| *x == change["node"]).unwrap();
                    let mut now = change.clone();
                    now.as_object_mut().unwrap().remove("node");
                    assert_ne!(status[at], now, "{}: step {} changes nothing", b.id, i + 1);
                    status[at] = now;
                }
            }
            for m in s["sent"].as_array().unwrap() {
                let m = &doc["messages"][m.as_u64().unwrap() as usize];
                assert_eq!(m["sent_step"], s["index"], "{}", b.id);
            }
        }
        for (f, st) in doc["final_states"].as_array().unwrap().iter().zip(&status) {
            let mut f = f.clone();
            let f = f.as_object_mut().unwrap();
            f.remove("node");
            f.remove("state");
            assert_eq!(&serde_json::Value::Object(f.clone()), st, "{}", b.id);
        }
        for m in doc["messages"].as_array().unwrap() {
            if let Some(r) = m["resolved_step"].as_u64() {
                assert!((1..=steps.len() as u64).contains(&r), "{}", b.id);
            }
        }
        // A violation's step is the number `dsplay run` prints for it.
        for v in doc["violations"].as_array().unwrap() {
            let line = format!(
                "step {} (t={} ms): {}: ",
                v["step"],
                v["time"],
                v["property"].as_str().unwrap()
            );
            assert!(
                out.lines().any(|l| l.trim().starts_with(&line)),
                "{line}\n{out}"
            );
        }
        // The trace holds its scenario: run again from it alone, it takes the same steps.
        let scenario = doc["scenario"].to_string();
        let mut again = catalog::load(&scenario).expect("the trace's scenario loads");
        again.run(None, None);
        let mut first = catalog::load(b.json).unwrap();
        first.run(None, None);
        assert_eq!(again.trace_hash(), first.trace_hash(), "{}", b.id);
    }
}

#[test]
fn no_dedup_scenario_reports_duplication() {
    let o = dsplay(&["run", "messaging-no-dedup"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(num(&out, "violations") > 0, "{out}");
    let line = out
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("step ") && l.contains(": No duplication: "))
        .unwrap_or_else(|| panic!("no violation line in:\n{out}"));
    // `step N (t=T ms): No duplication: explanation`
    let (head, _) = line.split_once(": No duplication: ").unwrap();
    let rest = head.strip_prefix("step ").unwrap();
    let (step, t) = rest.split_once(" (t=").unwrap();
    step.parse::<u64>().expect("step number");
    t.strip_suffix(" ms)")
        .unwrap()
        .parse::<u64>()
        .expect("time");
}

/// The `seed S: ...` lines of a sweep.
fn seed_lines(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with("seed "))
        .map(String::from)
        .collect()
}

#[test]
fn sweep_with_dedup_finds_no_violation() {
    let tmp = TempDir::new("sweep-ok");
    let out_dir = tmp.path("failures");
    let o = dsplay(&[
        "sweep",
        "--algo",
        "messaging",
        "--seeds",
        "0..20",
        "--faults",
        "random",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(seed_lines(&out).is_empty(), "{out}");
    assert!(field(&out, "seeds run").starts_with("20 "), "{out}");
    assert_eq!(num(&out, "seeds with violations"), 0);
    field(&out, "elapsed");
    field(&out, "seeds per second");
    assert!(
        !out_dir.exists(),
        "the failure directory is made only on a failure"
    );
}

#[test]
fn sweep_without_dedup_finds_and_saves_reproducible_violations() {
    let tmp = TempDir::new("sweep-fail");
    let out_dir = tmp.path("failures");
    let dir = out_dir.to_str().unwrap();
    let o = dsplay(&[
        "sweep",
        "--algo",
        "messaging",
        "--params",
        r#"{"dedup": false}"#,
        "--seeds",
        "0..40",
        "--out",
        dir,
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
    let lines = seed_lines(&out);
    assert!(!lines.is_empty(), "{out}");
    assert_eq!(num(&out, "seeds with violations"), lines.len() as u64);
    assert!(field(&out, "seeds run").starts_with("40 "), "{out}");
    let per_property = out
        .lines()
        .find(|l| l.trim_start().starts_with("No duplication: "))
        .unwrap_or_else(|| panic!("no per-property count in:\n{out}"));
    assert!(
        per_property.contains(&format!("{} seed", lines.len())),
        "{per_property}"
    );

    // `seed S: No duplication at step N: explanation ... -> DIR/messaging-seed-S.json`
    let mut checked = 0;
    for line in &lines {
        let (head, file) = line.rsplit_once(" -> ").expect("the line names the file");
        let rest = head.strip_prefix("seed ").unwrap();
        let (seed, rest) = rest.split_once(": ").unwrap();
        let seed: u64 = seed.parse().unwrap();
        assert!(seed < 40);
        assert_eq!(
            Path::new(file),
            out_dir.join(format!("messaging-seed-{seed}.json"))
        );
        assert!(Path::new(file).is_file(), "{file}");
        let (prop, rest) = rest.split_once(" at step ").unwrap();
        let step: u64 = rest.split_once(':').unwrap().0.parse().unwrap();
        if checked < 3 {
            // Running the saved scenario reports the same violation at the same step.
            let r = dsplay(&["run", file]);
            assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
            let rout = stdout(&r);
            assert_eq!(num(&rout, "seed"), seed);
            let first = rout
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("step "))
                .unwrap_or_else(|| panic!("no violation when rerunning {file}:\n{rout}"));
            assert!(
                first.starts_with(&format!("step {step} (t=")),
                "{first} vs {line}"
            );
            assert!(first.contains(&format!(": {prop}: ")), "{first} vs {line}");
            checked += 1;
        }
    }
    let files = std::fs::read_dir(&out_dir).unwrap().count();
    assert_eq!(files, lines.len());

    // The same report, in the same order, with one job.
    let o1 = dsplay(&[
        "sweep",
        "--algo",
        "messaging",
        "--params",
        r#"{"dedup": false}"#,
        "--seeds",
        "0..40",
        "--out",
        dir,
        "--jobs",
        "1",
    ]);
    assert_eq!(o1.status.code(), Some(1));
    assert_eq!(seed_lines(&stdout(&o1)), lines);
}

#[test]
fn sweep_accepts_inclusive_ranges_and_no_faults() {
    let o = dsplay(&[
        "sweep",
        "--algo",
        "messaging",
        "--seeds",
        "3..=7",
        "--faults",
        "none",
        "--span",
        "500",
        "-j",
        "1",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(
        field(&out, "seeds run").starts_with("5 (3..8, faults none"),
        "{out}"
    );
}

/// Runs `args`, expects exit status 2 and one `error:` line containing each of `words`.
fn refused(args: &[&str], words: &[&str]) {
    let o = dsplay(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    for w in words {
        assert!(err.contains(w), "{args:?}: `{w}` missing in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
}

#[test]
fn bad_inputs_are_refused_with_one_line() {
    let tmp = TempDir::new("bad");
    let missing = tmp.path("missing.json");
    let missing = missing.to_str().unwrap();
    refused(&["run", missing], &["cannot read", missing]);
    refused(
        &["run", "no-such-scenario"],
        &["cannot read", "no-such-scenario"],
    );

    let f = tmp.write("bad.json", "{\"algorithm\": ");
    refused(&["run", &f], &[&f, "not valid JSON"]);
    let f = tmp.write("array.json", "[1, 2]");
    refused(&["run", &f], &[&f, "JSON object"]);
    let f = tmp.write(
        "field.json",
        r#"{"algorithm": "messaging", "colour": "red"}"#,
    );
    refused(&["run", &f], &[&f, "unknown field", "colour"]);
    let f = tmp.write(
        "nodes.json",
        r#"{"algorithm": "messaging", "params": {"nodes": 50}}"#,
    );
    refused(&["run", &f], &[&f, "params.nodes", "50"]);
    let f = tmp.write("algo.json", r#"{"algorithm": "gossip"}"#);
    refused(&["run", &f], &[&f, "algorithm", "gossip"]);
    let f = tmp.write(
        "node.json",
        r#"{"algorithm": "messaging", "actions": [{"at": 1, "action": {"crash": {"node": "n9"}}}]}"#,
    );
    refused(&["run", &f], &[&f, "actions[0].action.crash.node", "n9"]);

    refused(&["run"], &["missing"]);
    refused(&["run", "messaging-normal", "--bogus"], &["--bogus"]);
    refused(
        &["run", "messaging-normal", "--steps", "many"],
        &["--steps", "many"],
    );
    refused(&["run", "messaging-normal", "--steps"], &["--steps"]);
    refused(&["run", "messaging-normal", "--hash=yes"], &["--hash"]);
    refused(
        &[
            "run",
            "messaging-normal",
            "--trace",
            missing.replace(".json", "/x/t.json").as_str(),
        ],
        &["cannot write"],
    );

    refused(
        &["sweep", "--algo", "gossip", "--seeds", "0..3"],
        &["unknown algorithm", "gossip"],
    );
    refused(
        &["sweep", "--algo", "messaging", "--seeds", "5..2"],
        &["--seeds", "5..2"],
    );
    refused(
        &["sweep", "--algo", "messaging", "--seeds", "5..5"],
        &["--seeds", "5..5"],
    );
    refused(
        &["sweep", "--algo", "messaging", "--seeds", "a..9"],
        &["--seeds", "a..9"],
    );
    refused(
        &["sweep", "--algo", "messaging", "--seeds", "ten"],
        &["--seeds", "ten"],
    );
    refused(&["sweep", "--algo", "messaging"], &["--seeds"]);
    refused(&["sweep", "--seeds", "0..2"], &["--algo"]);
    refused(
        &[
            "sweep",
            "--algo",
            "messaging",
            "--seeds",
            "0..2",
            "--params",
            r#"{"nodes": 50}"#,
        ],
        &["params.nodes", "50"],
    );
    refused(
        &[
            "sweep",
            "--algo",
            "messaging",
            "--seeds",
            "0..2",
            "--params",
            "{",
        ],
        &["--params", "JSON"],
    );
    refused(
        &[
            "sweep",
            "--algo",
            "messaging",
            "--seeds",
            "0..2",
            "--faults",
            "some",
        ],
        &["--faults", "some"],
    );
    refused(
        &[
            "sweep",
            "--algo",
            "messaging",
            "--seeds",
            "0..2",
            "--jobs",
            "0",
        ],
        &["--jobs"],
    );
    refused(
        &[
            "sweep",
            "--algo",
            "messaging",
            "--seeds",
            "0..2",
            "--frobnicate",
        ],
        &["--frobnicate"],
    );

    let sweep_with = |extra: &[&str], words: &[&str]| {
        let mut args = vec!["sweep", "--algo", "messaging", "--seeds", "0..2"];
        args.extend(extra);
        refused(&args, words);
    };
    sweep_with(&["--shard", "4/4"], &["--shard", "4/4", "below"]);
    sweep_with(&["--shard", "0/0"], &["--shard", "0/0", "at least 1"]);
    sweep_with(&["--shard", "1"], &["--shard", "K/N"]);
    sweep_with(&["--shard", "a/3"], &["--shard", "a/3"]);
    sweep_with(&["--shard", "-1/3"], &["--shard", "-1/3"]);
    sweep_with(&["--shard"], &["--shard"]);
    sweep_with(&["--format", "csv"], &["--format", "csv", "jsonl"]);

    refused(&["frobnicate"], &["unknown command", "frobnicate"]);
    refused(&["--frobnicate"], &["--frobnicate"]);
    refused(&["list", "extra"], &["extra"]);
}

#[test]
fn help_version_and_list() {
    for args in [&["--help"][..], &["help"], &[]] {
        let o = dsplay(args);
        assert_eq!(o.status.code(), Some(0));
        let out = stdout(&o);
        for cmd in [
            "dsplay run",
            "dsplay sweep",
            "dsplay merge",
            "dsplay check-history",
            "dsplay list",
        ] {
            assert!(out.contains(cmd), "{args:?}: {out}");
        }
    }
    for cmd in ["run", "sweep", "merge", "check-history", "list"] {
        let a = dsplay(&[cmd, "--help"]);
        let b = dsplay(&["help", cmd]);
        assert_eq!(a.status.code(), Some(0));
        assert_eq!(stdout(&a), stdout(&b));
        assert!(
            stdout(&a).starts_with(&format!("Usage: dsplay {cmd}")),
            "{}",
            stdout(&a)
        );
    }
    let help = stdout(&dsplay(&["sweep", "--help"]));
    for option in ["--seeds", "--shard K/N", "--format"] {
        assert!(help.contains(option), "{help}");
    }

    let o = dsplay(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o).trim(),
        format!("dsplay {}", env!("CARGO_PKG_VERSION"))
    );

    let o = dsplay(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for a in CATALOG.iter().filter(|a| a.page) {
        assert!(
            out.contains(a.name) && out.contains(a.title) && out.contains(a.summary),
            "{out}"
        );
    }
    for b in catalog::builtins() {
        let title = catalog::load(b.json).unwrap().title().to_string();
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(b.id))
            .unwrap_or_else(|| panic!("{} not listed:\n{out}", b.id));
        assert!(line.contains(&title), "{line}");
    }
}

/// Sweeps `algo` over `seeds` with the given parameters and fault kinds; returns the exit
/// code (0 or 1) and the output.
fn sweep(
    tmp: &TempDir,
    algo: &str,
    params: &str,
    faults: &str,
    span: &str,
    seeds: &str,
) -> (i32, String) {
    let out_dir = tmp.path(&format!("{algo}-failures"));
    let o = dsplay(&[
        "sweep",
        "--algo",
        algo,
        "--params",
        params,
        "--faults",
        faults,
        "--span",
        span,
        "--seeds",
        seeds,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let code = o.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "{}\n{}", stdout(&o), stderr(&o));
    (code, stdout(&o))
}

/// The first seed line of a sweep names `property`, and running its file reproduces it at
/// the same step.
fn first_failure_reproduces(out: &str, property: &str) {
    let line = seed_lines(out)
        .into_iter()
        .find(|l| l.contains(&format!(": {property} at step ")))
        .unwrap_or_else(|| panic!("no seed violated {property}:\n{out}"));
    let (head, file) = line.rsplit_once(" -> ").expect("the line names the file");
    let step = head
        .split_once(" at step ")
        .and_then(|(_, r)| r.split_once(':'))
        .map(|(s, _)| s.to_string())
        .unwrap();
    let r = dsplay(&["run", file]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let rout = stdout(&r);
    assert!(
        rout.lines()
            .map(str::trim)
            .any(|l| l.starts_with(&format!("step {step} (t=")) && l.contains(property)),
        "rerunning {file} does not show {property} at step {step}:\n{rout}"
    );
}

#[test]
fn faults_take_a_list_of_kinds() {
    let tmp = TempDir::new("faults-list");
    let (code, out) = sweep(
        &tmp,
        "messaging",
        "{}",
        "partitions,loss,delays",
        "2000",
        "0..5",
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        field(&out, "seeds run").contains("faults partitions,loss,delays"),
        "{out}"
    );
    refused(
        &[
            "sweep",
            "--algo",
            "messaging",
            "--seeds",
            "0..2",
            "--faults",
            "partitions,floods",
        ],
        &[
            "--faults",
            "floods",
            "crashes, stops, pauses, partitions, cuts, loss, delays, reordering, duplicates, clocks",
        ],
    );
}

/// The unsafe options each page teaches with are found by a sweep, and the safe ones are not.
/// A safe variant keeps every property, or (`keeps`) the ones it promises: fencing keeps the
/// lock's writes in token order, FIFO order and every acknowledged write logged once, but a
/// lease can still lapse under a holder whose write then lands first, so "Writes only from
/// the current holder" is not among them.
#[test]
fn sweeps_find_the_taught_violations_and_not_the_safe_ones() {
    let tmp = TempDir::new("taught");
    // (algorithm, unsafe parameters, safe parameters, fault kinds, span, seeds, property,
    // the properties the safe variant keeps: all if empty)
    let cases: [(_, _, _, _, _, _, _, &[&str]); 3] = [
        (
            // Figure 8 is rare (about one seed in 1,500 with partitions over a longer run:
            // 1157 and 1625 below 3,000).
            "raft",
            r#"{"unsafe_commit_old_terms": true}"#,
            r#"{}"#,
            "partitions",
            "3000",
            "1100..1200",
            "Leader Completeness",
            &[],
        ),
        (
            "locks",
            r#"{"variant": "lease"}"#,
            r#"{"variant": "lease", "fencing": true}"#,
            "pauses",
            "2000",
            "0..60",
            "Fenced order",
            &[
                "Fenced order",
                "FIFO fairness",
                "Acknowledged writes logged once",
                "No lost lock",
            ],
        ),
        (
            "transactions",
            r#"{"protocol": "3pc"}"#,
            r#"{"protocol": "2pc"}"#,
            "partitions",
            "2000",
            "0..60",
            "AC1 agreement",
            &[],
        ),
    ];
    for (algo, unsafe_params, safe_params, faults, span, seeds, property, keeps) in cases {
        let (code, out) = sweep(&tmp, algo, unsafe_params, faults, span, seeds);
        assert_eq!(code, 1, "{algo}: the sweep found nothing:\n{out}");
        first_failure_reproduces(&out, property);
        let (code, out) = sweep(&tmp, algo, safe_params, "random", "2000", "0..60");
        if keeps.is_empty() {
            assert_eq!(code, 0, "{algo}: the safe variant failed:\n{out}");
        }
        for p in keeps {
            // The summary names each property violated: "  NAME: N seeds (M violations)".
            assert!(
                !out.lines().any(|l| l.starts_with(&format!("  {p}: "))),
                "{algo}: the safe variant broke {p}:\n{out}"
            );
        }
    }
}

/// The lines of a `--format jsonl` sweep, parsed.
fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

/// The seeds of a `--format jsonl` sweep, in the order of its lines.
fn json_seeds(out: &str) -> Vec<u64> {
    json_lines(out)
        .iter()
        .map(|v| v["seed"].as_u64().expect("a seed"))
        .collect()
}

#[test]
fn shards_partition_a_range() {
    // 5..=17 over 1, 3, 4 and 20 shards (more shards than seeds: some have none).
    for n in [1u64, 3, 4, 20] {
        let mut all = Vec::new();
        for k in 0..n {
            let shard = format!("{k}/{n}");
            let o = dsplay(&[
                "sweep",
                "--algo",
                "messaging",
                "--seeds",
                "5..=17",
                "--shard",
                &shard,
                "--format",
                "jsonl",
                "--jobs",
                "2",
            ]);
            assert_eq!(o.status.code(), Some(0), "{shard}: {}", stderr(&o));
            let seeds = json_seeds(&stdout(&o));
            assert!(seeds.iter().all(|s| s % n == k), "{shard}: {seeds:?}");
            assert!(seeds.windows(2).all(|w| w[0] < w[1]), "{shard}: {seeds:?}");
            // The summary, on standard error, names the shard.
            let summary = stderr(&o);
            assert!(
                field(&summary, "seeds run")
                    .starts_with(&format!("{} (5..18, shard {shard}, ", seeds.len())),
                "{summary}"
            );
            all.extend(seeds);
        }
        all.sort_unstable();
        assert_eq!(all, (5..=17).collect::<Vec<u64>>(), "{n} shards");
    }
}

#[test]
fn jsonl_has_one_object_per_seed() {
    let tmp = TempDir::new("jsonl");
    let dir = tmp.path("failures");
    let args = [
        "sweep",
        "--algo",
        "locks",
        "--params",
        r#"{"variant": "lease"}"#,
        "--faults",
        "pauses",
        "--seeds",
        "0..60",
        "--out",
        dir.to_str().unwrap(),
    ];
    let text = dsplay(&args);
    let mut jsonl_args = args.to_vec();
    jsonl_args.extend(["--format", "jsonl"]);
    let o = dsplay(&jsonl_args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(text.status.code(), Some(1));
    let out = stdout(&o);
    let lines = json_lines(&out);
    assert_eq!(json_seeds(&out), (0..60).collect::<Vec<u64>>());
    // The summary goes to standard error.
    assert_eq!(
        num(&stderr(&o), "seeds with violations"),
        seed_lines(&stdout(&text)).len() as u64
    );

    let mut violated = 0;
    for v in &lines {
        let seed = v["seed"].as_u64().unwrap();
        assert!(v["steps"].as_u64().unwrap() > 0, "{v}");
        assert!(v["time"].as_u64().unwrap() > 0, "{v}");
        assert_eq!(v["algorithm"], "locks");
        assert_eq!(v["faults"], "pauses");
        assert_eq!(v["span"], 2000);
        assert_eq!(v["params"], serde_json::json!({"variant": "lease"}));
        let vs = v["violations"].as_array().unwrap();
        match v["outcome"].as_str().unwrap() {
            "pass" => {
                assert!(vs.is_empty(), "{v}");
                assert!(v["scenario"].is_null(), "{v}");
            }
            "violated" => {
                violated += 1;
                let file = v["scenario"].as_str().unwrap();
                assert_eq!(Path::new(file), dir.join(format!("locks-seed-{seed}.json")));
                assert!(Path::new(file).is_file());
                // The same first violation, at the same step, as the text output's line.
                let first = &vs[0];
                let line = format!(
                    "seed {seed}: {} at step {}: ",
                    first["property"].as_str().unwrap(),
                    first["step"].as_u64().unwrap()
                );
                assert!(
                    seed_lines(&stdout(&text))
                        .iter()
                        .any(|l| l.starts_with(&line)),
                    "{line} not in the text output"
                );
                for x in vs {
                    assert!(x["explanation"].as_str().is_some_and(|e| !e.is_empty()));
                    assert!(x["time"].as_u64().unwrap() <= v["time"].as_u64().unwrap());
                }
            }
            other => panic!("outcome {other}: {v}"),
        }
    }
    assert_eq!(violated, seed_lines(&stdout(&text)).len());
    assert!(violated > 0);
}

/// What a sweep or a merge prints, less what depends on how it ran: the timing lines and
/// the end of `seeds run` (jobs, or the files merged).
fn merged_summary(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.starts_with("elapsed:") && !l.starts_with("seeds per second:"))
        .map(|l| match l.strip_prefix("seeds run:") {
            Some(rest) => format!("seeds run:{}", rest.rsplit_once(", ").unwrap().0),
            None => l.to_string(),
        })
        .collect()
}

/// `deploy/local.sh N ARGS...`: N shard processes merged.
fn local_sh(n: &str, args: &[&str]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/local.sh");
    Command::new("bash")
        .arg(script)
        .arg(n)
        .args(args)
        .env("DSPLAY", env!("CARGO_BIN_EXE_dsplay"))
        .env_remove("DSPLAY_SHARDS")
        .output()
        .expect("bash runs deploy/local.sh")
}

#[test]
fn shard_processes_merged_match_one_run() {
    let tmp = TempDir::new("local-shards");
    let dir = tmp.path("failures");
    let dir = dir.to_str().unwrap();
    let cases: [(&[&str], i32); 3] = [
        // Unsafe: leases without fencing tokens, with process pauses.
        (
            &[
                "--algo",
                "locks",
                "--params",
                r#"{"variant": "lease"}"#,
                "--faults",
                "pauses",
                "--seeds",
                "0..60",
                "--out",
                dir,
            ],
            1,
        ),
        // Safe: two-phase commit keeps atomicity under any fault.
        (
            &[
                "--algo",
                "transactions",
                "--params",
                r#"{"protocol": "2pc"}"#,
                "--seeds",
                "0..60",
                "--out",
                dir,
            ],
            0,
        ),
        (
            &[
                "--algo",
                "messaging",
                "--params",
                r#"{"dedup": false}"#,
                "--seeds",
                "10..=49",
                "--out",
                dir,
            ],
            1,
        ),
    ];
    for (args, code) in cases {
        let mut one_args = vec!["sweep"];
        one_args.extend(args);
        let one = dsplay(&one_args);
        assert_eq!(one.status.code(), Some(code), "{args:?}: {}", stderr(&one));
        let whole = merged_summary(&stdout(&one));
        for n in ["1", "3"] {
            let merged = local_sh(n, args);
            assert_eq!(
                merged.status.code(),
                Some(code),
                "{args:?} over {n}: {}",
                stderr(&merged)
            );
            let out = stdout(&merged);
            assert!(
                field(&out, "seeds run").ends_with(&format!(
                    "merged from {n} file{})",
                    if n == "1" { "" } else { "s" }
                )),
                "{out}"
            );
            assert_eq!(merged_summary(&out), whole, "{args:?} over {n} shards");
            assert!(stderr(&merged).is_empty(), "{}", stderr(&merged));
        }
        if code == 1 {
            assert!(!seed_lines(&stdout(&one)).is_empty());
            field(&stdout(&one), "reproduce with");
        }
    }
    // A shard that fails (a bad argument) fails the whole with its message.
    let bad = local_sh(
        "2",
        &[
            "--algo",
            "locks",
            "--seeds",
            "0..4",
            "--params",
            r#"{"nodes": 9}"#,
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("params.nodes"), "{}", stderr(&bad));
}

/// Writes shard K of N of a sweep of locks' lease variant to DIR/shard-K.jsonl.
fn write_shard(tmp: &TempDir, seeds: &str, shard: &str) -> String {
    let dir = tmp.path("failures");
    let o = dsplay(&[
        "sweep",
        "--algo",
        "locks",
        "--params",
        r#"{"variant": "lease"}"#,
        "--faults",
        "pauses",
        "--seeds",
        seeds,
        "--shard",
        shard,
        "--format",
        "jsonl",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    tmp.write(
        &format!("shard-{}.jsonl", shard.replace('/', "-of-")),
        &stdout(&o),
    )
}

#[test]
fn merge_exit_status_stdin_and_gaps() {
    let tmp = TempDir::new("merge");
    let a = write_shard(&tmp, "0..60", "0/2");
    let b = write_shard(&tmp, "0..60", "1/2");
    let o = dsplay(&["merge", &a, &b]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(num(&stdout(&o), "seeds with violations") > 0);
    assert!(stderr(&o).is_empty());

    // Standard input, as `-`, with a file.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dsplay"))
        .args(["merge", &a, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&std::fs::read(&b).unwrap()).unwrap();
    }
    let piped = child.wait_with_output().unwrap();
    assert_eq!(piped.status.code(), Some(1));
    assert_eq!(merged_summary(&stdout(&piped)), merged_summary(&stdout(&o)));

    // Seeds that violate nothing: exit status 0.
    let text = std::fs::read_to_string(&a).unwrap();
    let passing: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(r#""outcome":"pass""#))
        .collect();
    assert!(!passing.is_empty());
    let f = tmp.write("passing.jsonl", &(passing.join("\n") + "\n"));
    let o = dsplay(&["merge", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(num(&stdout(&o), "seeds with violations"), 0);

    // One shard of two: half the seeds missing, said on both outputs; the status is unchanged.
    let o = dsplay(&["merge", &a]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        field(&out, "missing seeds").starts_with("29 of 0..59 (1, 3, 5, 7, 9, ...)"),
        "{out}"
    );
    let err = stderr(&o);
    assert!(
        err.starts_with("warning: ") && err.contains("contiguous"),
        "{err}"
    );
    // Shards of a bigger range, all there: no gap.
    let o = dsplay(&["merge", &a, &b]);
    assert!(!stdout(&o).contains("missing seeds"));
}

#[test]
fn merge_refuses_bad_input_with_file_and_line() {
    let tmp = TempDir::new("merge-bad");
    let a = write_shard(&tmp, "0..12", "0/2");
    let b = write_shard(&tmp, "0..12", "1/2");
    let text = std::fs::read_to_string(&a).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6);

    // Overlapping shards: the second place names the first.
    let c = write_shard(&tmp, "0..12", "0/3");
    refused(
        &["merge", &a, &b, &c],
        &[&format!("{c}:1:"), "seed 0", &format!("{a}:1"), "overlap"],
    );
    // A line cut short (a shard killed while writing).
    let cut = tmp.write("cut.jsonl", &format!("{}\n{}", lines[0], &lines[1][..30]));
    refused(&["merge", &b, &cut], &[&format!("{cut}:2:"), "JSON"]);
    // Not a seed's object.
    let f = tmp.write("array.jsonl", &format!("{}\n[1, 2]\n", lines[0]));
    refused(&["merge", &f], &[&format!("{f}:2:"), "object"]);
    let f = tmp.write("blank.jsonl", &format!("{}\n\n{}\n", lines[0], lines[1]));
    refused(&["merge", &f], &[&format!("{f}:2:"), "empty line"]);
    // A seed that passed (the lease lock without fencing fails under pauses on some).
    let pass = *lines
        .iter()
        .find(|l| l.contains(r#""outcome":"pass""#))
        .expect("a seed that passed");
    let f = tmp.write(
        "outcome.jsonl",
        &pass.replacen(r#""outcome":"pass""#, r#""outcome":"fine""#, 1),
    );
    refused(&["merge", &f], &[&format!("{f}:1:"), "outcome", "fine"]);
    let f = tmp.write("seed.jsonl", &pass.replacen(r#""seed":"#, r#""seed":-"#, 1));
    refused(&["merge", &f], &[&format!("{f}:1:"), "seed"]);
    // Lines of another sweep.
    let other = dsplay(&[
        "sweep", "--algo", "locks", "--seeds", "12..14", "--format", "jsonl",
    ]);
    let f = tmp.write("other.jsonl", &stdout(&other));
    refused(
        &["merge", &a, &b, &f],
        &[&format!("{f}:1:"), "another sweep", &format!("{a}:1")],
    );
    // Inputs that cannot be read, or hold nothing.
    let missing = tmp.path("missing.jsonl");
    let missing = missing.to_str().unwrap();
    refused(&["merge", &a, missing], &["cannot read", missing]);
    let empty = tmp.write("empty.jsonl", "");
    refused(&["merge", &empty], &["no seeds", &empty]);
    refused(&["merge"], &["missing"]);
    refused(&["merge", &a, &a], &[&a, "twice"]);
    refused(&["merge", "-", "-"], &["-", "twice"]);
    refused(&["merge", "--frobnicate"], &["--frobnicate"]);
}

#[test]
fn a_closed_output_stops_the_sweep() {
    use std::io::BufRead;
    // Far more seeds than the test could run: once its reader is gone, the sweep stops
    // after the batches in progress.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dsplay"))
        .args([
            "sweep",
            "--algo",
            "raft",
            "--seeds",
            "0..10000000",
            "--format",
            "jsonl",
            "--jobs",
            "2",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with(r#"{"seed":0,"#), "{first}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the sweep went on for a minute after its output was closed");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // A closed pipe ends the sweep quietly.
    assert_eq!(status.code(), Some(0));
}

#[test]
fn check_history_prints_each_verdict_and_the_strongest_model() {
    let tmp = TempDir::new("history");
    // Sequentially consistent, not linearizable: B reads nil after A's write completed.
    let seq = tmp.write(
        "seq.txt",
        "# a stale read\nA: write x=1 0..10\nB: read x->nil 20..30\n",
    );
    let o = dsplay(&["check-history", &seq]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The explanation's lines are indented under their model.
    let out: String = stdout(&o)
        .lines()
        .map(|l| l.trim_start().to_string() + "\n")
        .collect();
    assert!(field(&out, "history").ends_with("(text)"), "{out}");
    assert!(
        field(&out, "operations").starts_with("2 operations"),
        "{out}"
    );
    assert_eq!(field(&out, "linearizable"), "violated", "{out}");
    assert!(
        field(&out, "why").contains("#1 B: read x->nil (20..30)"),
        "{out}"
    );
    assert_eq!(field(&out, "ops"), "#1");
    assert_eq!(field(&out, "order"), "#0");
    assert_eq!(field(&out, "sequential"), "holds");
    assert_eq!(field(&out, "causal"), "holds");
    assert_eq!(field(&out, "monotonic-reads"), "holds (implied by causal)");
    assert_eq!(field(&out, "strongest"), "sequential");
    // --model sets the exit status.
    assert_eq!(
        dsplay(&["check-history", &seq, "--model", "linearizable"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        dsplay(&["check-history", &seq, "--model=sc"]).status.code(),
        Some(0)
    );

    // Jepsen EDN lines, found by their contents (no extension), and JSON by extension;
    // the same history either way.
    let edn = tmp.write(
        "history",
        "{:process 0, :type :invoke, :f :write, :value [:x 1]}\n\
         {:process 0, :type :ok, :f :write, :value [:x 1]}\n\
         {:process 1, :type :invoke, :f :read, :value [:x nil]}\n\
         {:process 1, :type :ok, :f :read, :value [:x 1]}\n\
         {:process 0, :type :invoke, :f :write, :value [:y 2]}\n",
    );
    let o = dsplay(&["check-history", &edn, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(report["format"], "edn");
    assert_eq!(report["operations"], 3);
    assert_eq!(report["strongest"], serde_json::json!(["linearizable"]));
    let parsed =
        dsplay_core::consistency::import::parse_edn(&std::fs::read_to_string(&edn).unwrap())
            .unwrap();
    let json = tmp.write("h.json", &serde_json::to_string(&parsed.history).unwrap());
    let o = dsplay(&["check-history", &json]);
    assert_eq!(field(&stdout(&o), "strongest"), "linearizable");
    assert!(field(&stdout(&o), "history").ends_with("(json)"));

    // Read your writes broken: several incomparable models are the strongest.
    let ryw = tmp.write("ryw.txt", "A: write x=1 0..1\nA: read x->nil 2..3\n");
    let o = dsplay(&["check-history", &ryw, "--model", "ryw"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(field(&out, "read-your-writes"), "violated");
    assert_eq!(
        field(&out, "strongest"),
        "monotonic-reads, monotonic-writes, writes-follow-reads"
    );
    // A budget too small to decide.
    let o = dsplay(&[
        "check-history",
        &seq,
        "--budget",
        "1",
        "--model",
        "sequential",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn check_history_refuses_bad_input_with_one_line() {
    let tmp = TempDir::new("history-bad");
    let missing = tmp.path("missing.txt");
    let missing = missing.to_str().unwrap();
    refused(&["check-history", missing], &["cannot read", missing]);
    refused(&["check-history"], &["missing the history FILE"]);
    let bad = tmp.write("bad.txt", "A: write x=1 0..1\nB: reed x->1 2..3\n");
    refused(&["check-history", &bad], &["bad.txt", "line 2", "reed"]);
    let dup = tmp.write("dup.txt", "A: write x=1 0..1\nB: write x=1 2..3\n");
    refused(&["check-history", &dup], &["line 2", "unique"]);
    refused(
        &["check-history", &bad, "--model", "strict"],
        &["unknown model", "strict", "causal"],
    );
    refused(
        &["check-history", &bad, "--format", "yaml"],
        &["unknown format", "yaml"],
    );
    refused(&["check-history", &bad, "--budget", "0"], &["--budget"]);
    let edn = tmp.write(
        "h.edn",
        "{:process 0, :type :invoke, :f :cas, :value [1 2]}\n",
    );
    refused(&["check-history", &edn], &["line 1", ":cas"]);
    refused(
        &["check-history", &bad, "--format", "json"],
        &["as json", "line 1"],
    );
}
