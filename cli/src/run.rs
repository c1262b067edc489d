//! `dsplay run`: run one scenario and summarize it.

use crate::args::{Arg, Parser};
use crate::{catch, quote_path, Failure, Files, Io};
use dsplay_core::catalog;
use dsplay_core::hash::hex;
use dsplay_core::scenario::{RunSpec, MAX_STEPS};
use dsplay_core::session::Runner;
use std::io::Read;
use std::process::ExitCode;

pub const HELP: &str = "\
Usage: dsplay run SCENARIO [--actions FILE] [--trace OUT.json] [--steps N] [--until MS] [--hash]

Run a scenario and print a summary: the run's size, its messages and every invariant
violation. SCENARIO is a scenario file, `-` for standard input, or the name of a built-in
scenario (see `dsplay list`); a file of that name wins.

Options:
  --actions FILE    What people did on the page, as its link carries them (the JSON list
                    `[{\"step\": 3, \"action\": {...}}]` of the `actions` part of the address,
                    decoded): done as the page does them, as your actions, not the script's
  --trace OUT.json  Write the whole trace as JSON (docs/trace-format.md)
  --steps N         Run at most N steps (default: the scenario's run.steps)
  --until MS        Stop before the first event after MS ms of simulated time
                    (default: the scenario's run.until, if any)
  --hash            Print the trace hash (16 hex digits) on a line `hash: HEX`
  -h, --help        Show this help

The exit status is 0 whenever the scenario ran, violations or not; 2 for a bad file or
option.";

struct Options {
    scenario: String,
    actions: Option<String>,
    trace: Option<String>,
    steps: Option<u64>,
    until: Option<u64>,
    hash: bool,
}

fn parse(args: Vec<String>) -> Result<Options, Failure> {
    let mut p = Parser::new("run", args);
    let mut scenario = None;
    let mut o = Options {
        scenario: String::new(),
        actions: None,
        trace: None,
        steps: None,
        until: None,
        hash: false,
    };
    while let Some(a) = p.next()? {
        match &a {
            Arg::Flag(f) if f == "--actions" => o.actions = Some(p.value(f)?),
            Arg::Flag(f) if f == "--trace" => o.trace = Some(p.value(f)?),
            Arg::Flag(f) if f == "--steps" => {
                let n = p.number(f)?;
                if n > MAX_STEPS {
                    return Err(p.usage(format!("--steps must be at most {MAX_STEPS} (got {n})")));
                }
                o.steps = Some(n);
            }
            Arg::Flag(f) if f == "--until" => o.until = Some(p.number(f)?),
            Arg::Flag(f) if f == "--hash" => o.hash = true,
            Arg::Positional(s) if scenario.is_none() => scenario = Some(s.clone()),
            _ => return Err(p.unknown(&a)),
        }
    }
    o.scenario = scenario.ok_or_else(|| p.usage("missing the SCENARIO to run"))?;
    Ok(o)
}

/// Read a scenario: a file, standard input, or a built-in scenario. Returns a label for
/// messages and the JSON.
pub fn read_scenario(
    arg: &str,
    input: &mut dyn Read,
    files: &dyn Files,
) -> Result<(String, String), Failure> {
    if arg == "-" {
        let mut s = String::new();
        input
            .read_to_string(&mut s)
            .map_err(|e| Failure::Input(format!("cannot read standard input: {e}")))?;
        return Ok(("<stdin>".into(), s));
    }
    let path = std::path::Path::new(arg);
    if !files.exists(path) {
        if let Some(b) = catalog::builtin(arg) {
            return Ok((arg.to_string(), b.json.to_string()));
        }
    }
    match files.read(path) {
        Ok(s) => Ok((arg.to_string(), s)),
        Err(e) => {
            let hint = if files.exists(path) || arg.contains(['/', '\\', '.']) {
                ""
            } else {
                " (nor is it a built-in scenario: see `dsplay list`)"
            };
            Err(Failure::Input(format!(
                "cannot read {}: {e}{hint}",
                quote_path(arg)
            )))
        }
    }
}

/// The scenario's `run` section (the defaults when absent), for saying why a run stopped.
fn run_spec(json: &str) -> RunSpec {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.get("run").cloned())
        .and_then(|r| serde_json::from_value(r).ok())
        .unwrap_or_default()
}

pub fn main(args: Vec<String>, io: &mut Io) -> Result<ExitCode, Failure> {
    let o = parse(args)?;
    let (label, json) = read_scenario(&o.scenario, &mut *io.input, &*io.files)?;
    let mut session: Box<dyn Runner> =
        catch(|| catalog::load(&json))
            .map_err(Failure::Internal)?
            .map_err(|e| Failure::Input(format!("{}: {e}", quote_path(&label))))?;
    if let Some(path) = &o.actions {
        let text = io
            .files
            .read(std::path::Path::new(path))
            .map_err(|e| Failure::Input(format!("cannot read {}: {e}", quote_path(path))))?;
        catch(|| session.set_user_actions_json(&text))
            .map_err(Failure::Internal)?
            .map_err(|e| Failure::Input(format!("{}: {e}", quote_path(path))))?;
    }
    let spec = run_spec(&json);
    let start = session.pos();
    let summary = catch(|| session.run(o.steps, o.until)).map_err(Failure::Internal)?;
    // The trace first: if it cannot be written, the one line of the error is all the output.
    if let Some(path) = &o.trace {
        let trace = catch(|| session.trace_json()).map_err(Failure::Internal)?;
        io.files
            .write(
                std::path::Path::new(path),
                &(dsplay_core::json::pretty_json(&trace) + "\n"),
            )
            .map_err(|e| Failure::Input(format!("cannot write {}: {e}", quote_path(path))))?;
    }

    let out = &mut *io.out;
    writeln!(out, "scenario:   {label}")?;
    writeln!(out, "algorithm:  {}", session.algorithm())?;
    writeln!(out, "title:      {}", session.title())?;
    writeln!(out, "seed:       {}", session.seed())?;
    writeln!(out, "steps:      {}", summary.steps)?;
    writeln!(out, "time:       {} ms", summary.time)?;
    writeln!(
        out,
        "messages:   {} sent, {} delivered, {} dropped, {} in flight",
        summary.messages, summary.delivered, summary.dropped, summary.in_flight
    )?;
    let steps_limit = o.steps.unwrap_or(spec.steps);
    let ended = if summary.ended {
        "yes (no events left)".to_string()
    } else if summary.steps.saturating_sub(start) >= steps_limit {
        format!("no (stopped at the step limit, {steps_limit})")
    } else {
        match o.until.or(spec.until) {
            Some(t) => format!("no (stopped at the time limit, {t} ms)"),
            None => "no".to_string(),
        }
    };
    writeln!(out, "ended:      {ended}")?;
    let violations: Vec<_> = session
        .violations()
        .into_iter()
        .filter(|v| v.step < summary.steps)
        .collect();
    writeln!(out, "violations: {}", violations.len())?;
    for v in &violations {
        writeln!(
            out,
            "  step {} (t={} ms): {}: {}",
            // Counted from 1, as the web app shows steps (the trace's `index` is 0-based).
            v.step + 1,
            v.time,
            v.property,
            crate::one_line(&v.explanation)
        )?;
    }
    if let Some(path) = &o.trace {
        writeln!(out, "trace:      {path}")?;
    }
    if o.hash {
        let h = catch(|| session.trace_hash()).map_err(Failure::Internal)?;
        writeln!(out, "hash: {}", hex(h))?;
    }
    Ok(ExitCode::SUCCESS)
}
