//! `dsplay sweep`: many seeds in parallel, each with a random workload and fault schedule;
//! report every seed that violates an invariant and save a scenario that reproduces it.
//!
//! Workers of a rayon pool take seeds in batches, in order, from a shared counter; each
//! runs its seeds and renders their output and the scenarios of failing ones, then sends
//! the batch to the main thread, which writes the scenario files (the workers never wait
//! for the disk), prints batches in seed order (whatever the number of jobs, the output is
//! the same), keeps the totals and draws the progress line.
//!
//! `--shard K/N` keeps the seeds `s` of the range with `s % N == K`, so that N processes
//! (a job array, an indexed job, a CI matrix) split a range with no coordination;
//! `--format jsonl` writes one JSON object per seed, which `dsplay merge` combines.

use crate::args::{parse_u64, Arg, Parser};
use crate::{catch, err_line, one_line, quote, quote_path, Failure, Files, Io};
use dsplay_core::catalog;
use dsplay_core::faults::FaultMix;
use dsplay_core::invariant::Violation;
use dsplay_core::scenario::ScenarioError;
use dsplay_core::Time;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const HELP: &str = "\
Usage: dsplay sweep --algo NAME --seeds A..B [options]

Run every seed of a range: the algorithm's scenario with that seed, a random workload and
a random schedule of 1 to 8 faults over SPAN ms. Each fault but a crash-stop and a clock
jump is a window that ends by SPAN and undoes only what it did, so overlapping faults
compose; the run goes on to 3 x SPAN so that retries can finish. Each seed that violates
an invariant gets one line, and a scenario file that reproduces it (`dsplay run FILE`).

Options:
  --algo NAME        The algorithm (see `dsplay list`)
  --seeds A..B       Seeds A to B-1; also A..=B (B included) or a single seed A
  --faults MIX       random (every kind; the default), none, or a comma-separated list
                     of kinds: crashes (restarted later), stops (crash-stop: never
                     restarted), pauses, partitions (two groups), cuts (one link, one
                     way or both), loss (the network or one link), delays (3 to 10
                     times the latency), reordering (latency jitter, no loss),
                     duplicates (no loss), clocks (a node's clock runs 0.25 to 4 times
                     real time, or jumps), e.g. partitions or crashes,loss,delays
  --span MS          Length of the random schedule in ms (default 2000)
  --params JSON      The algorithm's parameters, e.g. '{\"dedup\": false}'
  --out DIR          Where to write reproducing scenarios (default sweep-failures/,
                     created only if a seed fails)
  -j, --jobs N       Run N seeds at a time (default: one per core)
  --shard K/N        Run only the seeds S of the range with S % N == K (K from 0 to
                     N-1): N runs with shards 0/N to N-1/N split a range between
                     machines with no coordination (a job array, an indexed job)
  --format FORMAT    text (the default): a line per failing seed, then a summary;
                     jsonl: one JSON object per seed, in seed order, for `dsplay merge`
                     (the summary then goes to standard error)
  -h, --help         Show this help

JSON lines (--format jsonl) have the fields: seed; outcome (pass, violated or
internal error); violations (each with property, step (counted from 1, as in the
text output), time and explanation); steps (steps run); time (ms of simulated time
at the end of the run); scenario (the file reproducing a failing seed, or null);
error (for an internal error); and the sweep's algorithm, faults, span and params.
Times are in ms of simulated time.

Exit status: 0 when no invariant was violated, 1 when one was, 2 for usage or input
errors, 3 for an internal error.";

const DEFAULT_SPAN: Time = 2000;
const MIN_SPAN: Time = 10;
/// A day of simulated time: far more than a sweep needs, far from overflowing.
const MAX_SPAN: Time = 86_400_000;
const MAX_JOBS: u64 = 1024;
/// About how long a worker's batch of seeds takes.
const BATCH_TIME: Duration = Duration::from_millis(20);

/// How results are written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    /// A line per failing seed, then a summary.
    Text,
    /// One JSON object per seed; the summary on standard error.
    Jsonl,
}

struct Options {
    algo: String,
    /// First seed and number of seeds of the range.
    start: u64,
    count: u64,
    /// Shard K of N.
    shard: Option<(u64, u64)>,
    mix: FaultMix,
    span: Time,
    params: Option<serde_json::Value>,
    out: PathBuf,
    jobs: Option<usize>,
    format: Format,
}

/// The seeds a run takes: `first`, `first + stride`, ... (`count` of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    pub first: u64,
    pub stride: u64,
    pub count: u64,
}

impl Seeds {
    /// The seeds `s` of the range (`count` seeds from `start`) with `s % n == k`.
    pub fn shard(start: u64, count: u64, k: u64, n: u64) -> Seeds {
        debug_assert!(k < n);
        // The first seed at or after `start` with the right remainder.
        let r = start % n;
        let offset = if k >= r { k - r } else { n - (r - k) };
        if offset >= count {
            return Seeds {
                first: start,
                stride: n,
                count: 0,
            };
        }
        Seeds {
            first: start + offset,
            stride: n,
            count: (count - 1 - offset) / n + 1,
        }
    }

    /// The `i`th seed (`i < count`).
    fn seed(&self, i: u64) -> u64 {
        self.first + i * self.stride
    }
}

impl Options {
    fn seeds(&self) -> Seeds {
        match self.shard {
            Some((k, n)) => Seeds::shard(self.start, self.count, k, n),
            None => Seeds {
                first: self.start,
                stride: 1,
                count: self.count,
            },
        }
    }
}

/// `A..B` (half-open), `A..=B` or `A` (one seed) as (first seed, number of seeds).
pub fn parse_seeds(s: &str) -> Result<(u64, u64), String> {
    let bad = |why: &str| format!("invalid --seeds `{}`: {why}", quote(s));
    let num = |x: &str| {
        parse_u64(x).ok_or_else(|| bad(&format!("`{}` is not a whole number", quote(x.trim()))))
    };
    if let Some((a, b)) = s.split_once("..") {
        let (b, inclusive) = match b.strip_prefix('=') {
            Some(b) => (b, true),
            None => (b, false),
        };
        let (a, b) = (num(a)?, num(b)?);
        let count = if inclusive {
            if b < a {
                return Err(bad("the range is empty (the end is below the start)"));
            }
            (b - a)
                .checked_add(1)
                .ok_or_else(|| bad("the range is too large"))?
        } else {
            if b <= a {
                return Err(bad(
                    "the range is empty (A..B runs A to B-1, so B must be above A)",
                ));
            }
            b - a
        };
        Ok((a, count))
    } else {
        num(s)
            .map(|a| (a, 1))
            .map_err(|_| bad("expected A..B, A..=B or a seed"))
    }
}

/// `K/N`: shard K (from 0) of N.
pub fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let bad = |why: &str| format!("invalid --shard `{}`: {why}", quote(s));
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| bad("expected K/N, e.g. 0/4 (shard K of N, counted from 0)"))?;
    let num = |x: &str| {
        parse_u64(x).ok_or_else(|| bad(&format!("`{}` is not a whole number", quote(x.trim()))))
    };
    let (k, n) = (num(k)?, num(n)?);
    if n == 0 {
        return Err(bad("N, the number of shards, must be at least 1"));
    }
    if k >= n {
        return Err(bad(&format!(
            "K must be below N (the shards of {n} are numbered 0 to {})",
            n - 1
        )));
    }
    Ok((k, n))
}

fn parse(args: Vec<String>) -> Result<Options, Failure> {
    let mut p = Parser::new("sweep", args);
    let mut algo = None;
    let mut seeds = None;
    let mut o = Options {
        algo: String::new(),
        start: 0,
        count: 0,
        shard: None,
        mix: FaultMix::ALL,
        span: DEFAULT_SPAN,
        params: None,
        out: PathBuf::from("sweep-failures"),
        jobs: None,
        format: Format::Text,
    };
    while let Some(a) = p.next()? {
        let Arg::Flag(f) = &a else {
            return Err(p.unknown(&a));
        };
        match f.as_str() {
            "--algo" => algo = Some(p.value(f)?),
            "--seeds" => {
                let v = p.value(f)?;
                seeds = Some(parse_seeds(&v).map_err(|m| p.usage(m))?);
            }
            "--shard" => {
                let v = p.value(f)?;
                o.shard = Some(parse_shard(&v).map_err(|m| p.usage(m))?);
            }
            "--format" => {
                let v = p.value(f)?;
                o.format = match v.as_str() {
                    "text" => Format::Text,
                    "jsonl" => Format::Jsonl,
                    _ => {
                        return Err(p.usage(format!(
                            "invalid --format `{}`: expected text or jsonl",
                            quote(&v)
                        )))
                    }
                };
            }
            "--faults" => {
                let v = p.value(f)?;
                o.mix = FaultMix::parse(&v).map_err(|m| {
                    // The message quotes the word at fault: when that is long, the kinds
                    // alone say it.
                    let m = if m.chars().count() > 200 {
                        format!(
                            "expected `random`, `none` or kinds with commas: {}",
                            FaultMix::KINDS.join(", ")
                        )
                    } else {
                        m
                    };
                    p.usage(format!("invalid --faults `{}`: {m}", quote(&v)))
                })?;
            }
            "--span" => {
                let v = p.number(f)?;
                if !(MIN_SPAN..=MAX_SPAN).contains(&v) {
                    return Err(p.usage(format!(
                        "--span must be between {MIN_SPAN} and {MAX_SPAN} ms (got {v})"
                    )));
                }
                o.span = v;
            }
            "--params" => {
                let v = p.value(f)?;
                let json: serde_json::Value = serde_json::from_str(&v)
                    .map_err(|e| p.usage(format!("--params is not valid JSON: {e}")))?;
                if !json.is_object() {
                    return Err(p.usage("--params must be a JSON object, e.g. '{\"nodes\": 3}'"));
                }
                o.params = Some(json);
            }
            "--out" => o.out = PathBuf::from(p.value(f)?),
            "--jobs" | "-j" => {
                let v = p.number(f)?;
                if !(1..=MAX_JOBS).contains(&v) {
                    return Err(
                        p.usage(format!("--jobs must be between 1 and {MAX_JOBS} (got {v})"))
                    );
                }
                o.jobs = Some(v as usize);
            }
            _ => return Err(p.unknown(&a)),
        }
    }
    o.algo = algo.ok_or_else(|| p.usage("missing --algo NAME"))?;
    (o.start, o.count) = seeds.ok_or_else(|| p.usage("missing --seeds A..B"))?;
    Ok(o)
}

/// Refuse an unknown algorithm or bad parameters before starting any worker.
fn check_inputs(o: &Options, files: &dyn Files) -> Result<(), Failure> {
    catalog::entry(&o.algo).map_err(|e| Failure::Input(e.message))?;
    let mut probe = serde_json::json!({ "algorithm": o.algo });
    if let Some(p) = &o.params {
        probe["params"] = p.clone();
    }
    catch(|| catalog::load(&probe.to_string()).map(|_| ()))
        .map_err(Failure::Internal)?
        .map_err(|e| Failure::Input(format!("--params: {e}")))?;
    if files.exists(&o.out) && !files.is_dir(&o.out) {
        return Err(Failure::Input(format!(
            "--out {}: exists and is not a directory",
            quote_path(&o.out.display().to_string())
        )));
    }
    Ok(())
}

/// Totals of a sweep, of a batch of its seeds, or of merged shards.
#[derive(Default, Debug)]
pub struct Totals {
    /// Seeds run.
    pub done: u64,
    /// Seeds that violated a property.
    pub failed: u64,
    /// Seeds whose run panicked (a bug).
    pub panicked: u64,
    /// Property -> (seeds violating it, violations).
    pub properties: BTreeMap<String, (u64, u64)>,
    /// Failing seeds whose scenario could not be written.
    pub write_errors: u64,
}

impl Totals {
    /// Count a seed with these violations (their properties, one per violation).
    pub fn add_violated<'a>(&mut self, properties: impl IntoIterator<Item = &'a str>) {
        self.failed += 1;
        let mut seen: Vec<&str> = Vec::new();
        for p in properties {
            let e = match self.properties.get_mut(p) {
                Some(e) => e,
                None => self.properties.entry(p.to_string()).or_default(),
            };
            e.1 += 1;
            if !seen.contains(&p) {
                seen.push(p);
                e.0 += 1;
            }
        }
    }

    /// Add another part's totals.
    fn absorb(&mut self, other: Totals) {
        self.done += other.done;
        self.failed += other.failed;
        self.panicked += other.panicked;
        self.write_errors += other.write_errors;
        for (p, (seeds, count)) in other.properties {
            let e = self.properties.entry(p).or_default();
            e.0 += seeds;
            e.1 += count;
        }
    }

    /// The exit status of a sweep with these totals.
    pub fn exit_code(&self) -> ExitCode {
        if self.panicked > 0 {
            ExitCode::from(3)
        } else if self.failed > 0 {
            ExitCode::from(1)
        } else if self.write_errors > 0 {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// The summary a sweep prints at the end (and `dsplay merge` too): `run` describes the
/// range and the sweep, `reproduce` is the pattern of the scenario files' names.
pub fn write_summary(
    w: &mut dyn Write,
    t: &Totals,
    run: &str,
    reproduce: Option<&Path>,
) -> std::io::Result<()> {
    writeln!(w, "seeds run:             {} ({run})", t.done)?;
    writeln!(w, "seeds with violations: {}", t.failed)?;
    for (prop, (seeds, count)) in &t.properties {
        writeln!(
            w,
            "  {prop}: {seeds} seed{} ({count} violation{})",
            if *seeds == 1 { "" } else { "s" },
            if *count == 1 { "" } else { "s" }
        )?;
    }
    if t.panicked > 0 {
        writeln!(w, "seeds that crashed:    {} (internal errors)", t.panicked)?;
    }
    if let Some(pattern) = reproduce {
        writeln!(w, "reproduce with:        dsplay run {}", pattern.display())?;
    }
    Ok(())
}

/// The name pattern of the scenario files of an algorithm's failing seeds in `dir`.
pub fn scenario_pattern(dir: &Path, algo: &str) -> PathBuf {
    dir.join(format!("{algo}-seed-SEED.json"))
}

/// A failing seed's line in the text output: its first violation (`step` counted from 1),
/// how many more, and the file reproducing it.
pub fn seed_line(
    seed: u64,
    property: &str,
    step: u64,
    explanation: &str,
    more: usize,
    file: Option<&str>,
) -> String {
    let more = match more {
        0 => String::new(),
        n => format!(" (+{n} more)"),
    };
    let saved = file.map(|f| format!(" -> {f}")).unwrap_or_default();
    format!(
        "seed {seed}: {property} at step {step}: {}{more}{saved}",
        one_line(explanation)
    )
}

/// The message for a seed whose run panicked.
pub fn internal_error(seed: u64, message: &str) -> String {
    format!("internal error (a bug in dsplay, please report it) at seed {seed}: {message}")
}

/// `s` as a JSON string.
fn json_string(buf: &mut String, s: &str) {
    buf.push_str(&serde_json::Value::from(s).to_string());
}

/// The start of one seed's JSON line, up to the value of `scenario` (the scenario file's
/// name, or null), which [`json_line_tail`] follows.
fn json_line_head(
    buf: &mut String,
    seed: u64,
    outcome: &str,
    violations: &[Violation],
    run: Option<(u64, Time)>,
) {
    let _ = write!(
        buf,
        "{{\"seed\":{seed},\"outcome\":\"{outcome}\",\"violations\":["
    );
    for (i, v) in violations.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        buf.push_str("{\"property\":");
        json_string(buf, v.property);
        let _ = write!(buf, ",\"step\":{},\"time\":{}", v.step + 1, v.time);
        buf.push_str(",\"explanation\":");
        json_string(buf, &v.explanation);
        buf.push('}');
    }
    match run {
        Some((steps, time)) => {
            let _ = write!(buf, "],\"steps\":{steps},\"time\":{time},\"scenario\":");
        }
        None => buf.push_str("],\"steps\":null,\"time\":null,\"scenario\":"),
    }
}

/// The end of a seed's JSON line: the message of an internal error, `sweep` (the fields
/// naming the sweep and the closing brace) and the newline.
fn json_line_tail(buf: &mut String, error: Option<&str>, sweep: &str) {
    if let Some(e) = error {
        buf.push_str(",\"error\":");
        json_string(buf, e);
    }
    buf.push_str(sweep);
    buf.push('\n');
}

/// The fields of every JSON line naming the sweep, and the closing brace.
fn json_sweep_fields(o: &Options) -> String {
    let mut s = String::from(",\"algorithm\":");
    json_string(&mut s, &o.algo);
    s.push_str(",\"faults\":");
    json_string(&mut s, &o.mix.to_string());
    let _ = write!(s, ",\"span\":{},\"params\":", o.span);
    match &o.params {
        Some(p) => s.push_str(&p.to_string()),
        None => s.push_str("null"),
    }
    s.push('}');
    s
}

/// Whether the directory for failing seeds' scenarios exists yet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OutDir {
    NotYet,
    Made,
    /// It could not be made (and that was reported).
    Failed,
}

/// Write the scenario reproducing a failing seed to `DIR/ALGO-seed-S.json`. The error is
/// `None` when it was already reported (the directory could not be made).
fn save(
    o: &Options,
    seed: u64,
    scenario: &str,
    files: &mut dyn Files,
    dir: &mut OutDir,
) -> Result<String, Option<String>> {
    match *dir {
        OutDir::Failed => return Err(None),
        OutDir::Made => {}
        OutDir::NotYet => {
            if let Err(e) = files.create_dir_all(&o.out) {
                *dir = OutDir::Failed;
                return Err(Some(format!(
                    "cannot create {}: {e}",
                    quote_path(&o.out.display().to_string())
                )));
            }
            *dir = OutDir::Made;
        }
    }
    let path = o.out.join(format!("{}-seed-{seed}.json", o.algo));
    files
        .write(&path, scenario)
        .map_err(|e| Some(format!("cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// A failing seed's scenario, for the main thread to write: the workers only compute, and
/// never wait for the disk. Where it was written goes at byte `at` of the batch's output.
struct Save {
    at: usize,
    seed: u64,
    /// The file's contents.
    scenario: String,
}

/// A batch of seeds as a worker sends it to the main thread.
#[derive(Default)]
struct Batch {
    /// Index (in the run's seeds) of the first seed, and how many were claimed.
    first: u64,
    n: u64,
    /// What goes to standard output, in seed order, less the names of scenario files.
    out: String,
    saves: Vec<Save>,
    /// Error lines, in seed order.
    errors: Vec<String>,
    totals: Totals,
    /// A seed whose scenario was refused (the batch stops there).
    refused: Option<(u64, ScenarioError)>,
}

/// Run one seed into its batch. Returns false if its scenario was refused.
fn run_seed(o: &Options, seed: u64, sweep: &str, b: &mut Batch) -> bool {
    let jsonl = o.format == Format::Jsonl;
    match catch(|| catalog::sweep(&o.algo, seed, o.mix, o.span, o.params.as_ref())) {
        Ok(Ok(out)) if out.violations.is_empty() => {
            b.totals.done += 1;
            if jsonl {
                let run = Some((out.steps, out.time));
                json_line_head(&mut b.out, seed, "pass", &[], run);
                b.out.push_str("null");
                json_line_tail(&mut b.out, None, sweep);
            }
        }
        Ok(Ok(out)) => {
            b.totals.done += 1;
            b.totals
                .add_violated(out.violations.iter().map(|v| v.property));
            let scenario = dsplay_core::json::pretty_json(&out.scenario) + "\n";
            if jsonl {
                let run = Some((out.steps, out.time));
                json_line_head(&mut b.out, seed, "violated", &out.violations, run);
                let at = b.out.len();
                b.saves.push(Save { at, seed, scenario });
                json_line_tail(&mut b.out, None, sweep);
            } else {
                let v = &out.violations[0];
                let more = out.violations.len() - 1;
                let line = seed_line(seed, v.property, v.step + 1, &v.explanation, more, None);
                b.out.push_str(&line);
                let at = b.out.len();
                b.saves.push(Save { at, seed, scenario });
                b.out.push('\n');
            }
        }
        Ok(Err(e)) => {
            b.refused = Some((seed, e));
            return false;
        }
        Err(m) => {
            b.totals.done += 1;
            b.totals.panicked += 1;
            b.errors.push(internal_error(seed, &m));
            if jsonl {
                json_line_head(&mut b.out, seed, "internal error", &[], None);
                b.out.push_str("null");
                json_line_tail(&mut b.out, Some(&m), sweep);
            }
        }
    }
    true
}

/// The progress line on standard error.
struct Progress {
    tty: bool,
    start: Instant,
    last: Instant,
    /// Progress (in 5% units) at the last plain line.
    last_twentieth: u64,
    drawn: bool,
    /// `sweep ALGO` or `sweep ALGO (shard K/N)`.
    label: String,
}

impl Progress {
    fn new(tty: bool, label: String) -> Self {
        let now = Instant::now();
        Progress {
            tty,
            start: now,
            last: now,
            last_twentieth: 0,
            drawn: false,
            label,
        }
    }

    fn text(&self, count: u64, t: &Totals) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let pct = t.done as f64 * 100.0 / count.max(1) as f64;
        let rate = if secs > 0.0 {
            t.done as f64 / secs
        } else {
            0.0
        };
        format!(
            "{}: {}/{count} seeds ({pct:.0}%), {} with violations, {rate:.0} seeds/s, {secs:.1} s",
            self.label, t.done, t.failed
        )
    }

    /// Redraw (terminal: at most every 200 ms; otherwise a plain line at each 5% step or
    /// every 10 s, at most once a second).
    fn tick(&mut self, err: &mut dyn Write, count: u64, t: &Totals) {
        let now = Instant::now();
        let since = now.duration_since(self.last);
        if self.tty {
            if since >= Duration::from_millis(200) || !self.drawn {
                let _ = write!(err, "\r\x1b[K{}", self.text(count, t));
                let _ = err.flush();
                self.last = now;
                self.drawn = true;
            }
        } else {
            let twentieth = (u128::from(t.done) * 20 / u128::from(count.max(1))) as u64;
            if t.done < count
                && since >= Duration::from_secs(1)
                && (twentieth > self.last_twentieth || since >= Duration::from_secs(10))
            {
                let _ = writeln!(err, "{}", self.text(count, t));
                self.last = now;
                self.last_twentieth = twentieth;
            }
        }
    }

    /// Clear the terminal line before printing something else.
    fn clear(&mut self, err: &mut dyn Write) {
        if self.tty && self.drawn {
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

/// Keep freed memory in the process. A seed's run allocates and frees megabytes; glibc's
/// malloc hands free memory at the top of a worker's heap back to the system
/// (`madvise`) and serves big blocks with `mmap`, so the next seed faults the same pages
/// in again, and more so with two threads (each unmapping interrupts the other core).
/// Blocks under 32 MiB now come from the heap, and the heap keeps up to 128 MiB free.
/// Measured on a 2-core machine, Raft seeds 0..2000, median of 3 (CPU time, user + system):
/// 1 job 1.74 s without, 1.37 s with; 2 jobs 1.77 s (0.34 s of it in the kernel, 144,000
/// page faults) without, 1.35 s (nearly none in the kernel, 1,100 faults) with, and the
/// 2-job sweep's time from 0.99 s to 0.75 s. Locks seeds run as fast either way. Any
/// `glibc.malloc.` setting in GLIBC_TUNABLES turns this off (e.g. to compare).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    if std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.")) {
        return;
    }
    extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    const M_TRIM_THRESHOLD: std::ffi::c_int = -1;
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    // SAFETY: mallopt only sets malloc's parameters; the values are in their ranges (the
    // largest mmap threshold glibc accepts on 64-bit targets is 32 MiB).
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 128 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

pub fn main(args: Vec<String>, io: &mut Io) -> Result<ExitCode, Failure> {
    let o = parse(args)?;
    check_inputs(&o, &*io.files)?;
    keep_freed_memory();
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(j) = o.jobs {
        builder = builder.num_threads(j);
    }
    let pool = builder
        .build()
        .map_err(|e| Failure::Input(format!("cannot start the worker threads: {e}")))?;
    let jobs = pool.current_num_threads();
    let seeds = o.seeds();
    let sweep_fields = json_sweep_fields(&o);

    // Workers claim seeds in batches, in order, so that results come back nearly in order
    // and the main thread handles one message per batch. A batch takes about BATCH_TIME
    // (one seed at first), and takes at most a fraction of the seeds left, so that the
    // batches shrink near the end and the workers finish together.
    let max_batch = (seeds.count / (jobs as u64 * 16)).clamp(1, 256);
    let tail_share = jobs as u64 * 2;
    // The size of a batch from seed index `i` (below `seeds.count`).
    let size = move |i: u64, batch: u64| batch.min((seeds.count - i) / tail_share).max(1);
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Batch>();
    let label = match o.shard {
        Some((k, n)) => format!("sweep {} (shard {k}/{n})", o.algo),
        None => format!("sweep {}", o.algo),
    };
    let mut progress = Progress::new(io.tty, label);
    let mut totals = Totals::default();
    let mut first_refusal: Option<(u64, ScenarioError)> = None;
    let mut out_dir = OutDir::NotYet;

    std::thread::scope(|scope| -> Result<(), Failure> {
        let (next, stop, o, sweep_fields) = (&next, &stop, &o, &sweep_fields);
        scope.spawn(move || {
            pool.broadcast(|_| {
                let tx = tx.clone();
                let mut batch = 1u64;
                while !stop.load(Ordering::Relaxed) {
                    let claimed = next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |i| {
                        (i < seeds.count).then(|| i + size(i, batch))
                    });
                    let Ok(first) = claimed else {
                        break;
                    };
                    let end = first + size(first, batch);
                    let mut b = Batch {
                        first,
                        n: end - first,
                        ..Batch::default()
                    };
                    let began = Instant::now();
                    for i in first..end {
                        if !run_seed(o, seeds.seed(i), sweep_fields, &mut b) {
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                    if tx.send(b).is_err() {
                        break;
                    }
                    let per_seed = began.elapsed().as_secs_f64() / (end - first) as f64;
                    batch = ((BATCH_TIME.as_secs_f64() / per_seed.max(1e-9)) as u64)
                        .clamp(1, max_batch);
                }
            });
            drop(tx);
        });

        // Batches in seed order: those that came early wait here.
        let reported = (|| -> Result<(), Failure> {
            let mut pending: HashMap<u64, Batch> = HashMap::new();
            let mut next_to_report = 0u64;
            let stdout = &mut *io.out;
            let err = &mut *io.err;
            let files = &mut *io.files;
            let mut disconnected = false;
            while !disconnected {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(b) => {
                        pending.insert(b.first, b);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => disconnected = true,
                }
                while first_refusal.is_none() {
                    let Some(b) = pending.remove(&next_to_report) else {
                        break;
                    };
                    next_to_report += b.n;
                    if !b.out.is_empty() || !b.errors.is_empty() {
                        progress.clear(err);
                    }
                    for e in &b.errors {
                        err_line(err, e);
                    }
                    // The output, with the name of each scenario file once it is written.
                    let mut from = 0;
                    for Save { at, seed, scenario } in b.saves {
                        stdout.write_all(&b.out.as_bytes()[from..at])?;
                        from = at;
                        let file = match save(o, seed, &scenario, files, &mut out_dir) {
                            Ok(f) => Some(f),
                            Err(e) => {
                                totals.write_errors += 1;
                                if let Some(e) = e {
                                    err_line(err, &e);
                                }
                                None
                            }
                        };
                        match (o.format, file) {
                            (Format::Text, Some(f)) => write!(stdout, " -> {f}")?,
                            (Format::Text, None) => {}
                            (Format::Jsonl, Some(f)) => {
                                let mut name = String::new();
                                json_string(&mut name, &f);
                                stdout.write_all(name.as_bytes())?;
                            }
                            (Format::Jsonl, None) => stdout.write_all(b"null")?,
                        }
                    }
                    if !b.out.is_empty() {
                        stdout.write_all(&b.out.as_bytes()[from..])?;
                        stdout.flush()?;
                    }
                    totals.absorb(b.totals);
                    if let Some(r) = b.refused {
                        stop.store(true, Ordering::Relaxed);
                        first_refusal = Some(r);
                    }
                }
                if first_refusal.is_none() {
                    progress.tick(err, seeds.count, &totals);
                }
            }
            Ok(())
        })();
        // When the output fails (a closed pipe), the workers stop after their batch
        // instead of running the rest of the range.
        stop.store(true, Ordering::Relaxed);
        drop(rx);
        progress.clear(io.err);
        reported
    })?;

    if let Some((seed, e)) = first_refusal {
        return Err(Failure::Input(format!("seed {seed}: {e}")));
    }

    let secs = progress.start.elapsed().as_secs_f64();
    let shard = match o.shard {
        Some((k, n)) => format!(", shard {k}/{n}"),
        None => String::new(),
    };
    let run = format!(
        "{}..{}{shard}, faults {}, span {} ms, {jobs} job{}",
        o.start,
        u128::from(o.start) + u128::from(o.count),
        o.mix,
        o.span,
        if jobs == 1 { "" } else { "s" }
    );
    let reproduce = (totals.failed > 0 && totals.write_errors < totals.failed)
        .then(|| scenario_pattern(&o.out, &o.algo));
    let rate = if secs > 0.0 {
        totals.done as f64 / secs
    } else {
        0.0
    };
    let mut summary = Vec::new();
    write_summary(&mut summary, &totals, &run, reproduce.as_deref())?;
    writeln!(summary, "elapsed:               {secs:.2} s")?;
    writeln!(summary, "seeds per second:      {rate:.1}")?;
    match o.format {
        Format::Text => io.out.write_all(&summary)?,
        // Standard output holds only the JSON lines.
        Format::Jsonl => {
            let _ = io.err.write_all(&summary);
        }
    }
    Ok(totals.exit_code())
}

#[cfg(test)]
mod tests {
    use super::{parse_seeds, parse_shard, Seeds};

    #[test]
    fn seed_ranges() {
        assert_eq!(parse_seeds("0..20"), Ok((0, 20)));
        assert_eq!(parse_seeds("5..=5"), Ok((5, 1)));
        assert_eq!(parse_seeds("7"), Ok((7, 1)));
        assert_eq!(parse_seeds(" 1 .. 3 "), Ok((1, 2)));
        assert_eq!(parse_seeds("0..=18446744073709551614"), Ok((0, u64::MAX)));
        for bad in [
            "5..2",
            "5..5",
            "5..=4",
            "a..3",
            "1..b",
            "..3",
            "1..",
            "-1..3",
            "x",
            "0..=18446744073709551615",
        ] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards() {
        assert_eq!(parse_shard("0/1"), Ok((0, 1)));
        assert_eq!(parse_shard("3/4"), Ok((3, 4)));
        assert_eq!(parse_shard(" 2 / 10_000 "), Ok((2, 10_000)));
        for bad in [
            "4/4", "5/4", "0/0", "1", "a/2", "1/b", "-1/2", "1/2/3", "/2", "1/",
        ] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    /// The seeds of a shard, listed.
    fn list(s: Seeds) -> Vec<u64> {
        (0..s.count).map(|i| s.seed(i)).collect()
    }

    #[test]
    fn shards_partition_a_range() {
        for (start, count) in [(0, 20), (7, 13), (5, 1), (3, 2), (100, 1000)] {
            for n in 1..=12 {
                let mut all = Vec::new();
                for k in 0..n {
                    let seeds = list(Seeds::shard(start, count, k, n));
                    assert!(seeds.iter().all(|s| s % n == k), "{start} {count} {k}/{n}");
                    all.extend(seeds);
                }
                all.sort_unstable();
                let whole: Vec<u64> = (start..start + count).collect();
                assert_eq!(all, whole, "{start} {count} n={n}");
            }
        }
        // At the top of the seed space, with no overflow.
        let top = Seeds::shard(u64::MAX - 9, 10, 1, 4);
        assert!(list(top).iter().all(|s| s % 4 == 1));
        let (a, m) = (u64::MAX - 1, u64::MAX);
        assert_eq!(list(Seeds::shard(a, 2, m - 1, m)), [u64::MAX - 1]);
        assert_eq!(list(Seeds::shard(a, 2, 0, m)), [u64::MAX]);
        assert!(list(Seeds::shard(a, 2, 1, m)).is_empty());
        assert_eq!(Seeds::shard(1, u64::MAX, 0, 2).count, u64::MAX / 2);
        let last = Seeds::shard(1, u64::MAX, 1, 2);
        assert_eq!(last.seed(last.count - 1), u64::MAX);
    }
}
