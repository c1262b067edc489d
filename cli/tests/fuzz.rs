//! Fuzzing the command line: generated argument lists for `run`, `sweep`, `merge`, `list`
//! and `help` (real commands with flags dropped, doubled, misspelt, given odd or huge
//! values, `--flag=value` and `--`), generated scenario files for `dsplay run FILE` and
//! `dsplay run -` (mutations of every built-in scenario, as core/tests/fuzz.rs makes them),
//! action lists for `dsplay run --actions FILE`, and shard files for `dsplay merge` (the
//! JSON lines of real sweeps, split, repeated, cut, mixed and changed), run in this process
//! through [`dsplay_cli::run`] with buffers for its streams and its files in memory
//! ([`dsplay_cli::MemFiles`]).
//!
//! Every input must end without an internal error (a panic, exit status 3) within a
//! generous time; a refused one (status 2) must print exactly one `error:` line that says
//! what is wrong (`merge` may end with status 3 when a line it reads says that a seed had an
//! internal error: that is the sweep's, not its own). The normal test run makes 1,500 inputs; the full run makes 100,000 and
//! prints the count and the time:
//!
//! ```text
//! cargo test -p dsplay-cli --release --test fuzz -- --ignored --nocapture
//! ```
//!
//! The generator asks for no more work than a person means to wait for: runs of at most
//! 5,000 steps and sweeps of at most three seeds over at most 3 s of simulated time (a
//! command that asks for millions of steps runs long; it does not hang).

#[path = "../../core/tests/fuzzgen/mod.rs"]
mod fuzzgen;

use dsplay_cli::MemFiles;
use dsplay_core::catalog::{self, CATALOG};
use dsplay_core::scenario::MAX_STEPS;
use fuzzgen::{fuzz, mutate_text, mutate_value, odd_string, user_actions, Rng, Tally};
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

const SMOKE: u64 = 1_500;
const FULL: u64 = 100_000;
/// The most one command may take (a few milliseconds in a release build).
const LIMIT: Duration = Duration::from_secs(60);
/// The longest `error:` line that still reads as one clear sentence.
const MAX_ERROR_LINE: usize = 700;

/// A path of the files a command sees ([`MemFiles`]: nothing is read from or written to
/// the disk, whatever path the generator makes up).
fn path(name: &str) -> String {
    format!("work/{name}")
}

#[derive(Debug)]
struct Input {
    argv: Vec<String>,
    /// What standard input holds.
    stdin: String,
    /// Files written before the command runs (`in.json`, `actions.json`, shards), by path.
    files: Vec<(String, String)>,
}

fn corpus() -> Vec<Value> {
    catalog::builtins()
        .map(|b| serde_json::from_str(b.json).expect("built-ins are JSON"))
        .collect()
}

/// A scenario file's text: a built-in one, changed; a run it asks for is kept to 5,000
/// steps (when the number is one the format takes).
fn scenario_text(rng: &mut Rng) -> String {
    let corpus = corpus();
    let mut v = rng.pick(&corpus).clone();
    for _ in 0..rng.small(5) {
        mutate_value(rng, &mut v, &corpus);
    }
    if let Some(steps) = v.pointer_mut("/run/steps") {
        if steps.as_u64().is_some_and(|n| n > 5_000 && n <= MAX_STEPS) {
            *steps = 5_000.into();
        }
    }
    let mut text = serde_json::to_string(&v).expect("values serialize");
    if rng.chance(1, 5) {
        text = mutate_text(rng, &text);
    }
    text
}

/// A number for a flag that takes one: small and good, or not a number, or too large.
fn number(rng: &mut Rng, good_max: u64) -> String {
    const BAD: &[&str] = &[
        "",
        "-1",
        "+1",
        "1e3",
        "0x10",
        "1.5",
        "abc",
        "_1",
        "1__0",
        " 7",
        "18446744073709551616",
        "99999999999999999999999",
        "٣",
    ];
    match rng.below(4) {
        0..=1 => (rng.u64() % (good_max + 1)).to_string(),
        2 => rng.pick(BAD).to_string(),
        _ => odd_string(rng),
    }
}

fn algo(rng: &mut Rng) -> String {
    if rng.chance(7, 8) {
        rng.pick(CATALOG).name.to_string()
    } else {
        odd_string(rng)
    }
}

fn run_args(rng: &mut Rng, input: &mut Input) -> Vec<String> {
    let mut a = vec!["run".to_string()];
    let scenario = match rng.below(8) {
        0..=2 => rng
            .pick(&catalog::builtins().collect::<Vec<_>>())
            .id
            .to_string(),
        3..=4 => {
            input.files.push((path("in.json"), scenario_text(rng)));
            path("in.json")
        }
        5 => {
            input.stdin = scenario_text(rng);
            "-".to_string()
        }
        6 => rng
            .pick(&[path("missing.json"), path(""), "nope".into(), "./".into()])
            .clone(),
        _ => odd_string(rng),
    };
    let mut opts: Vec<Vec<String>> = vec![vec![scenario]];
    for _ in 0..rng.below(5) {
        let o = match rng.below(11) {
            0 => {
                let odd = odd_string(rng);
                let to = rng
                    .pick(&[
                        path("trace.json"),
                        path("no/such/folder/trace.json"),
                        path(""),
                        odd,
                    ])
                    .clone();
                vec!["--trace".into(), to]
            }
            10 => {
                let from = match rng.below(6) {
                    0..=3 => {
                        let corpus = corpus();
                        input
                            .files
                            .push((path("actions.json"), user_actions(rng, &corpus)));
                        path("actions.json")
                    }
                    4 => rng
                        .pick(&[path("missing.json"), path(""), "-".into()])
                        .clone(),
                    _ => odd_string(rng),
                };
                vec!["--actions".into(), from]
            }
            1..=2 => vec!["--steps".into(), number(rng, 2_000)],
            3 => vec!["--until".into(), number(rng, 5_000)],
            4 => vec!["--hash".into()],
            5 => vec![format!("--steps={}", number(rng, 2_000))],
            6 => vec!["--hash=yes".into()],
            7 => vec!["--".into()],
            8 => vec![rng
                .pick(&["--steps", "--trace", "--until", "--actions"])
                .to_string()],
            _ => vec![rng
                .pick(&["--nope", "-x", "-", "extra", "--help", "-h"])
                .to_string()],
        };
        opts.push(o);
    }
    // The scenario first, usually.
    if rng.chance(1, 5) {
        let i = rng.below(opts.len());
        opts.swap(0, i);
    }
    a.extend(opts.into_iter().flatten());
    a
}

fn sweep_args(rng: &mut Rng) -> Vec<String> {
    let mut opts: Vec<Vec<String>> = Vec::new();
    if rng.chance(9, 10) {
        opts.push(vec!["--algo".into(), algo(rng)]);
    }
    if rng.chance(9, 10) {
        let start = match rng.below(4) {
            0 => rng.u64(),
            1 => u64::MAX - rng.below(3) as u64,
            _ => rng.below(1000) as u64,
        };
        let seeds = match rng.below(8) {
            0..=2 => format!("{start}..{}", start.saturating_add(1 + rng.below(3) as u64)),
            3 => format!("{start}..={start}"),
            4 => format!("{start}"),
            5 => format!("{start}..{start}"),
            6 => rng
                .pick(&[
                    "..3",
                    "3..",
                    "5..2",
                    "a..b",
                    "0..=18446744073709551615",
                    "1..=0",
                    "",
                ])
                .to_string(),
            _ => odd_string(rng),
        };
        opts.push(vec!["--seeds".into(), seeds]);
    }
    for _ in 0..rng.below(5) {
        let o = match rng.below(11) {
            0..=1 => {
                const KINDS: &[&str] = &[
                    "random",
                    "none",
                    "crashes",
                    "pauses",
                    "partitions",
                    "loss",
                    "delays",
                    "crash",
                ];
                let mix = match rng.below(3) {
                    0 => rng.pick(KINDS).to_string(),
                    1 => (0..rng.small(4))
                        .map(|_| *rng.pick(KINDS))
                        .collect::<Vec<_>>()
                        .join(","),
                    _ => odd_string(rng),
                };
                vec!["--faults".into(), mix]
            }
            2 => {
                let span = if rng.chance(2, 3) {
                    (10 + rng.below(2_991)).to_string()
                } else {
                    rng.pick(&["0", "9", "86400001", "abc", "18446744073709551615"])
                        .to_string()
                };
                vec!["--span".into(), span]
            }
            3..=4 => {
                // The parameters of a scenario, changed.
                let corpus = corpus();
                let mut p = rng.pick(&corpus)["params"].clone();
                for _ in 0..rng.below(3) {
                    mutate_value(rng, &mut p, &corpus);
                }
                let mut text = p.to_string();
                if rng.chance(1, 6) {
                    text = mutate_text(rng, &text);
                }
                vec!["--params".into(), text]
            }
            5 => {
                let odd = odd_string(rng);
                let to = rng.pick(&[path("sweep"), path("in.json"), odd]).clone();
                vec!["--out".into(), to]
            }
            6 => vec![
                rng.pick(&["--jobs", "-j"]).to_string(),
                rng.pick(&["1", "2", "0", "1025", "x", ""]).to_string(),
            ],
            7 => vec![format!("--span={}", 10 + rng.below(500))],
            8 => {
                let shard = match rng.below(5) {
                    0..=2 => {
                        let n = 1 + rng.below(5) as u64;
                        format!("{}/{n}", rng.below(n as usize))
                    }
                    3 => rng
                        .pick(&[
                            "0/0",
                            "2/2",
                            "1",
                            "/3",
                            "1/",
                            "-1/2",
                            "1/2/3",
                            "0/18446744073709551615",
                            "18446744073709551614/18446744073709551615",
                            "0/18446744073709551616",
                        ])
                        .to_string(),
                    _ => odd_string(rng),
                };
                vec!["--shard".into(), shard]
            }
            9 => {
                let format = match rng.below(6) {
                    0..=2 => "jsonl".to_string(),
                    3 => "text".to_string(),
                    4 => rng.pick(&["JSONL", "json", ""]).to_string(),
                    _ => odd_string(rng),
                };
                vec!["--format".into(), format]
            }
            _ => vec![rng
                .pick(&[
                    "--nope", "stray", "--algo", "--seeds", "--", "-j", "--shard", "--format",
                ])
                .to_string()],
        };
        opts.push(o);
    }
    // Flags in any order.
    for i in (1..opts.len()).rev() {
        let j = rng.below(i + 1);
        opts.swap(i, j);
    }
    let mut a = vec!["sweep".to_string()];
    a.extend(opts.into_iter().flatten());
    a
}

/// The JSON lines of a few real sweeps (`--format jsonl`): one with failing seeds (whose
/// scenarios went to `work/failures`), passing ones of other algorithms.
fn sweep_lines() -> &'static [Vec<String>] {
    static LINES: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let out = path("failures");
        let sweeps: [&[&str]; 3] = [
            &[
                "--algo",
                "locks",
                "--params",
                r#"{"variant": "lease"}"#,
                "--faults",
                "pauses",
                "--seeds",
                "0..12",
            ],
            &["--algo", "raft", "--seeds", "0..4"],
            &[
                "--algo",
                "messaging",
                "--seeds",
                "5..=8",
                "--faults",
                "none",
            ],
        ];
        sweeps
            .iter()
            .map(|args| {
                let mut argv: Vec<String> = ["sweep", "--format", "jsonl", "--out", &out]
                    .iter()
                    .chain(args.iter())
                    .map(|a| a.to_string())
                    .collect();
                argv.extend(["--jobs".into(), "1".into()]);
                let mut files = MemFiles::default();
                files.dirs.insert("work".into());
                let mut out = Vec::new();
                let status = dsplay_cli::run(
                    argv,
                    &mut dsplay_cli::Io {
                        out: &mut out,
                        err: &mut Vec::new(),
                        input: &mut std::io::empty(),
                        files: &mut files,
                        tty: false,
                    },
                );
                assert!(status <= 1, "the sweeps to merge run");
                String::from_utf8(out)
                    .expect("the output is UTF-8")
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .collect()
    })
}

/// A shard file for `merge`: some lines of a real sweep (every Nth, from the Kth, as a
/// shard has them), sometimes with a line repeated, dropped, changed or from another
/// sweep, or cut short.
fn shard_text(rng: &mut Rng) -> String {
    let sweeps = sweep_lines();
    let lines = rng.pick(sweeps);
    let n = 1 + rng.below(4);
    let k = rng.below(n);
    let mut picked: Vec<String> = lines.iter().skip(k).step_by(n).cloned().collect();
    for _ in 0..rng.below(3) {
        if picked.is_empty() {
            break;
        }
        let i = rng.below(picked.len());
        match rng.below(6) {
            0 => {
                let again = picked[i].clone();
                picked.push(again);
            }
            1 => {
                picked.remove(i);
            }
            2 => {
                let other: &Vec<String> = rng.pick(sweeps);
                picked[i] = rng.pick(other).clone();
            }
            3 => picked[i] = mutate_text(rng, &picked[i]),
            4 => picked.insert(i, rng.pick(&["", " ", "{}", "[]", "null"]).to_string()),
            _ => {
                let donors: Vec<Value> = picked
                    .iter()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect();
                if let Ok(mut v) = serde_json::from_str::<Value>(&picked[i]) {
                    mutate_value(rng, &mut v, &donors);
                    picked[i] = v.to_string();
                }
            }
        }
    }
    let mut text = picked.join("\n");
    if rng.chance(3, 4) {
        text.push('\n');
    }
    if rng.chance(1, 10) {
        text = mutate_text(rng, &text);
    }
    text
}

fn merge_args(rng: &mut Rng, input: &mut Input) -> Vec<String> {
    let mut a = vec!["merge".to_string()];
    for i in 0..rng.small(4) {
        let name = match rng.below(12) {
            0..=7 => {
                let name = path(&format!("shard-{i}.jsonl"));
                input.files.push((name.clone(), shard_text(rng)));
                name
            }
            8 => {
                input.stdin = shard_text(rng);
                "-".to_string()
            }
            9 => {
                // The same file twice, an empty one, one that is not there, a folder.
                let name = path("empty.jsonl");
                input.files.push((name.clone(), String::new()));
                rng.pick(&[
                    name,
                    path("shard-0.jsonl"),
                    path("missing.jsonl"),
                    path(""),
                    "-".into(),
                ])
                .clone()
            }
            10 => rng.pick(&["--nope", "--", "--help", "-"]).to_string(),
            _ => odd_string(rng),
        };
        a.push(name);
    }
    // `merge` with no file now and then.
    if rng.chance(1, 20) {
        a.truncate(1);
    }
    a
}

fn cli_input(_: u64, rng: &mut Rng) -> Input {
    let mut input = Input {
        argv: Vec::new(),
        stdin: String::new(),
        files: Vec::new(),
    };
    input.argv = match rng.below(22) {
        0..=9 => run_args(rng, &mut input),
        10..=15 => sweep_args(rng),
        16..=17 => merge_args(rng, &mut input),
        18 => vec!["list".into()],
        19 => {
            let mut a = vec![rng
                .pick(&["help", "--help", "-h", "--version", "-V", "version", "list"])
                .to_string()];
            if rng.chance(1, 2) {
                a.push(
                    rng.pick(&["run", "sweep", "merge", "list", "help", "nope", "--x"])
                        .to_string(),
                );
            }
            a
        }
        20 => Vec::new(),
        _ => (0..rng.small(4)).map(|_| odd_string(rng)).collect(),
    };
    // Now and then an argument changed as text (not a number: a seed range or a step
    // count made larger is more work asked for, not another input).
    if !input.argv.is_empty() && rng.chance(1, 10) {
        let i = rng.below(input.argv.len());
        if !input.argv[i].contains(|c: char| c.is_ascii_digit()) {
            let changed = mutate_text(rng, &input.argv[i]);
            if !changed.contains(|c: char| c.is_ascii_digit()) {
                input.argv[i] = changed;
            }
        }
    }
    input
}

fn check(input: &Input, _: &mut Rng, tally: &mut Tally) {
    let mut files = MemFiles::default();
    files.dirs.insert("work".into());
    for (name, text) in &input.files {
        files.files.insert(name.into(), text.clone());
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut stdin = input.stdin.as_bytes();
    let status = dsplay_cli::run(
        input.argv.clone(),
        &mut dsplay_cli::Io {
            out: &mut out,
            err: &mut err,
            input: &mut stdin,
            files: &mut files,
            tty: false,
        },
    );
    let out = String::from_utf8(out).expect("the output is UTF-8");
    let err = String::from_utf8(err).expect("the errors are UTF-8");
    match status {
        0 | 1 => {
            tally.taken += 1;
            // A sweep's JSON lines are on standard output and its summary on standard
            // error (a shard may have no seeds).
            assert!(
                !out.is_empty() || err.contains("seeds run:"),
                "no output for {:?}",
                input.argv
            );
            for line in err.lines().filter(|l| l.contains("error:")) {
                // A sweep that found violations (status 1) says so even when it could not
                // save the scenarios that reproduce them.
                assert!(
                    status == 1
                        && (line.contains("cannot create") || line.contains("cannot write")),
                    "status {status} with {err}"
                );
                assert!(line.chars().count() <= MAX_ERROR_LINE, "{line}");
            }
        }
        2 => {
            let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("sweep ")).collect();
            assert_eq!(lines.len(), 1, "not one error line: {err:?}");
            let line = lines[0];
            assert!(line.starts_with("error: ") && line.len() > 10, "{line}");
            assert!(
                line.chars().count() <= MAX_ERROR_LINE,
                "an error line of {} characters: {}",
                line.chars().count(),
                line.chars().take(800).collect::<String>()
            );
            tally.error(line);
        }
        // What `merge` read said that a seed had an internal error.
        3 if input.argv.first().is_some_and(|c| c == "merge")
            && err
                .lines()
                .all(|l| !l.starts_with("error:") || l.contains(" at seed ")) =>
        {
            tally.taken += 1;
        }
        _ => panic!("status {status}: {err}"),
    }
}

/// What the crate's folder holds (the working directory of its tests).
fn own_folder() -> Vec<std::ffi::OsString> {
    let mut names: Vec<_> = std::fs::read_dir(env!("CARGO_MANIFEST_DIR"))
        .expect("the crate's folder")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    names.sort();
    names
}

/// `count` generated command lines. Arguments such as `--trace --steps` or a sweep without
/// `--out` name files in the working directory: they go to memory, not here.
fn command_lines_of(count: u64) {
    let before = own_folder();
    fuzz("cli", count, LIMIT, cli_input, check);
    assert_eq!(
        own_folder(),
        before,
        "the fuzzing wrote into the crate's folder"
    );
}

#[test]
fn command_lines() {
    command_lines_of(SMOKE);
}

#[test]
#[ignore = "the full run: 100,000 inputs (cargo test --release --test fuzz -- --ignored)"]
fn command_lines_full() {
    command_lines_of(FULL);
}

// Found by the fuzzing above: each case that failed, kept.

/// An unknown command of 30,000 characters made an error line of 30,000 characters; what
/// was typed is quoted cut in the middle now, on one line.
#[test]
fn an_error_line_quotes_a_long_argument_cut_short() {
    let long = "a".repeat(30_000);
    for argv in [
        vec![long.clone()],
        vec!["run".into(), long.clone()],
        vec!["run".into(), "messaging-normal".into(), format!("--{long}")],
        vec![
            "sweep".into(),
            "--algo".into(),
            "raft".into(),
            "--seeds".into(),
            long.clone(),
        ],
        vec![
            "sweep".into(),
            "--algo".into(),
            long.clone(),
            "--seeds".into(),
            "1".into(),
        ],
        vec![
            "sweep".into(),
            "--algo".into(),
            "raft".into(),
            "--seeds".into(),
            "1".into(),
            "--faults".into(),
            long.clone(),
        ],
        vec![
            "sweep".into(),
            "--algo".into(),
            "raft".into(),
            "--seeds".into(),
            "1".into(),
            "--shard".into(),
            long.clone(),
        ],
        vec![
            "sweep".into(),
            "--algo".into(),
            "raft".into(),
            "--seeds".into(),
            "1".into(),
            "--format".into(),
            long.clone(),
        ],
        vec!["merge".into(), long.clone()],
        vec!["merge".into(), long.clone(), long.clone()],
        vec![
            "run".into(),
            "raft-first-election".into(),
            "--actions".into(),
            long.clone(),
        ],
    ] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = dsplay_cli::run(
            argv,
            &mut dsplay_cli::Io {
                out: &mut out,
                err: &mut err,
                input: &mut std::io::empty(),
                files: &mut MemFiles::default(),
                tty: false,
            },
        );
        let err = String::from_utf8(err).unwrap();
        assert_eq!(status, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: ")
                && err.chars().count() <= dsplay_cli::PATH_CHARS + 120
                && err.contains("left out"),
            "{} characters: {}",
            err.chars().count(),
            err.chars().take(400).collect::<String>()
        );
    }
}
