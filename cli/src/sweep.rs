//! `dsplay sweep`: many seeds in parallel, each with a random workload and fault schedule;
//! report every seed that violates an invariant and save a scenario that reproduces it.
//!
//! Workers of a rayon pool take seeds in order from a shared counter and send results to
//! the main thread, which prints failures in seed order (whatever the number of jobs, the
//! output is the same) and draws the progress line.

use crate::args::{parse_u64, Arg, Parser};
use crate::{catch, err_line, one_line, quote, Failure, Files, Io};
use dsplay_core::catalog;
use dsplay_core::faults::FaultMix;
use dsplay_core::scenario::ScenarioError;
use dsplay_core::session::SweepOutcome;
use dsplay_core::Time;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const HELP: &str = "\
Usage: dsplay sweep --algo NAME --seeds A..B [options]

Run every seed of a range: the algorithm's scenario with that seed, a random workload and
a random fault schedule over SPAN ms (all faults healed by then; the run goes on to 3 x
SPAN so that retries can finish). Each seed that violates an invariant gets one line, and
a scenario file that reproduces it (`dsplay run FILE`).

Options:
  --algo NAME        The algorithm (see `dsplay list`)
  --seeds A..B       Seeds A to B-1; also A..=B (B included) or a single seed A
  --faults MIX       random (crashes, pauses, partitions and loss; the default), none,
                     or a comma-separated list of kinds: crashes, pauses, partitions,
                     loss, delays (a slow network: 3 to 10 times the latency for a
                     while), e.g. partitions or crashes,loss,delays
  --span MS          Length of the random schedule in ms (default 2000)
  --params JSON      The algorithm's parameters, e.g. '{\"dedup\": false}'
  --out DIR          Where to write reproducing scenarios (default sweep-failures/,
                     created only if a seed fails)
  -j, --jobs N       Run N seeds at a time (default: one per core)
  -h, --help         Show this help

Exit status: 0 when no invariant was violated, 1 when one was, 2 for usage or input
errors, 3 for an internal error.";

const DEFAULT_SPAN: Time = 2000;
const MIN_SPAN: Time = 10;
/// A day of simulated time: far more than a sweep needs, far from overflowing.
const MAX_SPAN: Time = 86_400_000;
const MAX_JOBS: u64 = 1024;
/// About how long a worker's batch of seeds takes.
const BATCH_TIME: Duration = Duration::from_millis(20);

struct Options {
    algo: String,
    /// First seed and number of seeds.
    start: u64,
    count: u64,
    mix: FaultMix,
    span: Time,
    params: Option<serde_json::Value>,
    out: PathBuf,
    jobs: Option<usize>,
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

fn parse(args: Vec<String>) -> Result<Options, Failure> {
    let mut p = Parser::new("sweep", args);
    let mut algo = None;
    let mut seeds = None;
    let mut o = Options {
        algo: String::new(),
        start: 0,
        count: 0,
        mix: FaultMix::ALL,
        span: DEFAULT_SPAN,
        params: None,
        out: PathBuf::from("sweep-failures"),
        jobs: None,
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
            "--faults" => {
                let v = p.value(f)?;
                o.mix = FaultMix::parse(&v).map_err(|m| {
                    // The message quotes the word at fault: when that is long, the kinds
                    // alone say it.
                    let m = if m.chars().count() > 200 {
                        format!(
                            "expected `random`, `none` or a comma-separated list of {}",
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
            quote(&o.out.display().to_string())
        )));
    }
    Ok(())
}

/// What a seed that did not simply pass gave.
enum SeedResult {
    Violated(SweepOutcome),
    Refused(ScenarioError),
    Panicked(String),
}

/// A batch of seeds: index of the first, how many, and the seeds that did not pass.
type Batch = (u64, u64, Vec<(u64, SeedResult)>);

/// Totals so far.
#[derive(Default)]
struct Totals {
    done: u64,
    failed: u64,
    panicked: u64,
    /// Property -> (seeds violating it, violations).
    properties: BTreeMap<&'static str, (u64, u64)>,
    write_errors: u64,
}

/// The progress line on standard error.
struct Progress {
    tty: bool,
    start: Instant,
    last: Instant,
    /// Progress (in 5% units) at the last plain line.
    last_twentieth: u64,
    drawn: bool,
}

impl Progress {
    fn new(tty: bool) -> Self {
        let now = Instant::now();
        Progress {
            tty,
            start: now,
            last: now,
            last_twentieth: 0,
            drawn: false,
        }
    }

    fn text(&self, algo: &str, count: u64, t: &Totals) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let pct = t.done as f64 * 100.0 / count as f64;
        let rate = if secs > 0.0 {
            t.done as f64 / secs
        } else {
            0.0
        };
        format!(
            "sweep {algo}: {}/{count} seeds ({pct:.0}%), {} with violations, {rate:.0} seeds/s, {secs:.1} s",
            t.done, t.failed
        )
    }

    /// Redraw (terminal: at most every 200 ms; otherwise a plain line at each 5% step or
    /// every 10 s, at most once a second).
    fn tick(&mut self, err: &mut dyn Write, algo: &str, count: u64, t: &Totals) {
        let now = Instant::now();
        let since = now.duration_since(self.last);
        if self.tty {
            if since >= Duration::from_millis(200) || !self.drawn {
                let _ = write!(err, "\r\x1b[K{}", self.text(algo, count, t));
                let _ = err.flush();
                self.last = now;
                self.drawn = true;
            }
        } else {
            let twentieth = t.done * 20 / count;
            if t.done < count
                && since >= Duration::from_secs(1)
                && (twentieth > self.last_twentieth || since >= Duration::from_secs(10))
            {
                let _ = writeln!(err, "{}", self.text(algo, count, t));
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

pub fn main(args: Vec<String>, io: &mut Io) -> Result<ExitCode, Failure> {
    let o = parse(args)?;
    check_inputs(&o, &*io.files)?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(j) = o.jobs {
        builder = builder.num_threads(j);
    }
    let pool = builder
        .build()
        .map_err(|e| Failure::Input(format!("cannot start the worker threads: {e}")))?;
    let jobs = pool.current_num_threads();

    // Workers claim seeds in batches, in order, so that results come back nearly in order
    // and the main thread handles one message per batch. A batch takes about BATCH_TIME
    // (one seed at first), and is small enough that the work stays balanced at the end.
    let max_batch = (o.count / (jobs as u64 * 16)).clamp(1, 256);
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Batch>();
    let mut progress = Progress::new(io.tty);
    let mut totals = Totals::default();
    let mut out_dir = OutDir::NotYet;
    let mut first_refusal: Option<(u64, ScenarioError)> = None;

    std::thread::scope(|scope| -> Result<(), Failure> {
        let (next, stop, o) = (&next, &stop, &o);
        scope.spawn(move || {
            pool.broadcast(|_| {
                let tx = tx.clone();
                let mut batch = 1u64;
                while !stop.load(Ordering::Relaxed) {
                    let claimed = next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |i| {
                        (i < o.count).then(|| i.saturating_add(batch).min(o.count))
                    });
                    let Ok(first) = claimed else {
                        break;
                    };
                    let end = first.saturating_add(batch).min(o.count);
                    let mut results = Vec::new();
                    let began = Instant::now();
                    for i in first..end {
                        let seed = o.start + i;
                        let r = match catch(|| {
                            catalog::sweep(&o.algo, seed, o.mix, o.span, o.params.as_ref())
                        }) {
                            Ok(Ok(out)) if out.violations.is_empty() => continue,
                            Ok(Ok(out)) => SeedResult::Violated(out),
                            Ok(Err(e)) => {
                                stop.store(true, Ordering::Relaxed);
                                SeedResult::Refused(e)
                            }
                            Err(m) => SeedResult::Panicked(m),
                        };
                        results.push((seed, r));
                    }
                    if tx.send((first, end - first, results)).is_err() {
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
        let mut pending: HashMap<u64, (u64, Vec<(u64, SeedResult)>)> = HashMap::new();
        let mut next_to_report = 0u64;
        let stdout = &mut *io.out;
        let err = &mut *io.err;
        let files = &mut *io.files;
        let mut disconnected = false;
        while !disconnected {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok((first, n, results)) => {
                    pending.insert(first, (n, results));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => disconnected = true,
            }
            while let Some((n, results)) = pending.remove(&next_to_report) {
                next_to_report += n;
                totals.done += n;
                for (seed, r) in results {
                    match r {
                        SeedResult::Violated(outcome) => {
                            progress.clear(err);
                            totals.failed += 1;
                            let mut seen = Vec::new();
                            for v in &outcome.violations {
                                let e = totals.properties.entry(v.property).or_default();
                                e.1 += 1;
                                if !seen.contains(&v.property) {
                                    seen.push(v.property);
                                    e.0 += 1;
                                }
                            }
                            let file = save(o, &outcome, files, &mut out_dir);
                            let v = &outcome.violations[0];
                            let more = match outcome.violations.len() - 1 {
                                0 => String::new(),
                                n => format!(" (+{n} more)"),
                            };
                            let saved = match file {
                                Ok(p) => format!(" -> {}", p.display()),
                                Err(e) => {
                                    totals.write_errors += 1;
                                    if let Some(e) = e {
                                        err_line(err, &e);
                                    }
                                    String::new()
                                }
                            };
                            writeln!(
                                stdout,
                                "seed {seed}: {} at step {}: {}{more}{saved}",
                                v.property,
                                v.step + 1,
                                one_line(&v.explanation)
                            )?;
                            stdout.flush()?;
                        }
                        SeedResult::Refused(e) => {
                            stop.store(true, Ordering::Relaxed);
                            first_refusal.get_or_insert((seed, e));
                        }
                        SeedResult::Panicked(m) => {
                            progress.clear(err);
                            totals.panicked += 1;
                            err_line(
                                err,
                                &format!(
                            "internal error (a bug in dsplay, please report it) at seed {seed}: {m}"
                        ),
                            );
                        }
                    }
                }
            }
            if first_refusal.is_none() {
                progress.tick(err, &o.algo, o.count, &totals);
            }
        }
        progress.clear(err);
        Ok(())
    })?;

    if let Some((seed, e)) = first_refusal {
        return Err(Failure::Input(format!("seed {seed}: {e}")));
    }

    let secs = progress.start.elapsed().as_secs_f64();
    let stdout = &mut *io.out;
    let faults = o.mix;
    writeln!(
        stdout,
        "seeds run:             {} ({}..{}, faults {faults}, span {} ms, {jobs} job{})",
        totals.done,
        o.start,
        o.start as u128 + o.count as u128,
        o.span,
        if jobs == 1 { "" } else { "s" }
    )?;
    writeln!(stdout, "seeds with violations: {}", totals.failed)?;
    for (prop, (seeds, count)) in &totals.properties {
        writeln!(
            stdout,
            "  {prop}: {seeds} seed{} ({count} violation{})",
            if *seeds == 1 { "" } else { "s" },
            if *count == 1 { "" } else { "s" }
        )?;
    }
    if totals.panicked > 0 {
        writeln!(
            stdout,
            "seeds that crashed:    {} (internal errors)",
            totals.panicked
        )?;
    }
    if totals.failed > 0 && totals.write_errors < totals.failed {
        writeln!(
            stdout,
            "reproduce with:        dsplay run {}",
            o.out.join(format!("{}-seed-SEED.json", o.algo)).display()
        )?;
    }
    let rate = if secs > 0.0 {
        totals.done as f64 / secs
    } else {
        0.0
    };
    writeln!(stdout, "elapsed:               {secs:.2} s")?;
    writeln!(stdout, "seeds per second:      {rate:.1}")?;

    Ok(if totals.panicked > 0 {
        ExitCode::from(3)
    } else if totals.failed > 0 {
        ExitCode::from(1)
    } else if totals.write_errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
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
    outcome: &SweepOutcome,
    files: &mut dyn Files,
    dir: &mut OutDir,
) -> Result<PathBuf, Option<String>> {
    match *dir {
        OutDir::Failed => return Err(None),
        OutDir::Made => {}
        OutDir::NotYet => {
            if let Err(e) = files.create_dir_all(&o.out) {
                *dir = OutDir::Failed;
                return Err(Some(format!(
                    "cannot create {}: {e}",
                    quote(&o.out.display().to_string())
                )));
            }
            *dir = OutDir::Made;
        }
    }
    let path: PathBuf = Path::new(&o.out).join(format!("{}-seed-{}.json", o.algo, outcome.seed));
    let scenario = dsplay_core::json::pretty_json(&outcome.scenario);
    files
        .write(&path, &format!("{scenario}\n"))
        .map_err(|e| Some(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::parse_seeds;

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
}
