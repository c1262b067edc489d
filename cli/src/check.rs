//! `dsplay check-history`: which consistency models a register history satisfies.

use crate::args::{Arg, Parser};
use crate::{catch, quote, quote_path, Failure, Io};
use dsplay_core::consistency::import::{self, Format};
use dsplay_core::consistency::{self, Model, Options, Verdict, DEFAULT_BUDGET};
use std::process::ExitCode;

pub const HELP: &str = "\
Usage: dsplay check-history FILE [--model NAME] [--format json|edn|text] [--budget N] [--json]

Check a register history (reads and writes of keys, each written value unique) against
the consistency models, strongest first: linearizable, sequential, causal, and the
session guarantees read-your-writes, monotonic-reads, monotonic-writes and
writes-follow-reads. Print each model's verdict (holds, violated with the operations at
fault and why, or unknown when the search ran out of budget) and the strongest models the
history satisfies. FILE `-` reads standard input. The formats are described in
docs/history-format.md.

Options:
  --model NAME      The model that matters: the exit status is 1 when it is violated
  --format FORMAT   json (the History JSON), edn (Jepsen/Knossos history lines) or text
                    (lines like `A: write x=1 0..10`); default: by the file's extension
                    (.json, .edn, .txt), else by its contents
  --budget N        Search steps allowed for linearizability (per key) and sequential
                    consistency (default 500000); past it the verdict is unknown
  --json            Print the report as one JSON object instead
  -h, --help        Show this help

Exit status: 0 when the history was checked (and the --model, if any, is not violated;
unknown is not violated), 1 when the --model is violated, 2 for a bad file or option.";

struct Args {
    file: String,
    model: Option<Model>,
    format: Option<Format>,
    budget: u64,
    json: bool,
}

fn parse(args: Vec<String>) -> Result<Args, Failure> {
    let mut p = Parser::new("check-history", args);
    let mut file = None;
    let mut o = Args {
        file: String::new(),
        model: None,
        format: None,
        budget: DEFAULT_BUDGET,
        json: false,
    };
    while let Some(a) = p.next()? {
        match &a {
            Arg::Flag(f) if f == "--model" => {
                let v = p.value(f)?;
                let names: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
                o.model = Some(Model::from_name(&v).ok_or_else(|| {
                    p.usage(format!(
                        "unknown model `{}` (models: {})",
                        quote(&v),
                        names.join(", ")
                    ))
                })?);
            }
            Arg::Flag(f) if f == "--format" => {
                let v = p.value(f)?;
                o.format = Some(Format::from_name(&v).ok_or_else(|| {
                    p.usage(format!(
                        "unknown format `{}` (formats: json, edn, text)",
                        quote(&v)
                    ))
                })?);
            }
            Arg::Flag(f) if f == "--budget" => {
                let n = p.number(f)?;
                if n == 0 {
                    return Err(p.usage("--budget must be at least 1"));
                }
                o.budget = n;
            }
            Arg::Flag(f) if f == "--json" => o.json = true,
            Arg::Positional(s) if file.is_none() => file = Some(s.clone()),
            _ => return Err(p.unknown(&a)),
        }
    }
    o.file = file.ok_or_else(|| p.usage("missing the history FILE to check"))?;
    Ok(o)
}

fn ids(ops: &[usize]) -> String {
    ops.iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn main(args: Vec<String>, io: &mut Io) -> Result<ExitCode, Failure> {
    let o = parse(args)?;
    let (label, text) = if o.file == "-" {
        let mut s = String::new();
        io.input
            .read_to_string(&mut s)
            .map_err(|e| Failure::Input(format!("cannot read standard input: {e}")))?;
        ("<stdin>".to_string(), s)
    } else {
        let text = io
            .files
            .read(std::path::Path::new(&o.file))
            .map_err(|e| Failure::Input(format!("cannot read {}: {e}", quote_path(&o.file))))?;
        (o.file.clone(), text)
    };
    let format = o
        .format
        .or_else(|| Format::from_path(&o.file))
        .unwrap_or_else(|| Format::sniff(&text));
    let imported = import::parse(&text, format).map_err(|e| {
        Failure::Input(format!(
            "{} (as {}): {e}",
            quote_path(&label),
            format.name()
        ))
    })?;
    let options = Options {
        budget: o.budget,
        names: imported.names,
    };
    let h = &imported.history;
    let report = catch(|| consistency::check_all(h, &options))
        .map_err(Failure::Internal)?
        .map_err(|e| Failure::Input(format!("{}: {e}", quote_path(&label))))?;
    let strongest = report.strongest();
    let out = &mut *io.out;
    if o.json {
        let value = serde_json::json!({
            "history": label,
            "format": format.name(),
            "operations": h.ops.len(),
            "findings": report.findings,
            "strongest": strongest,
        });
        writeln!(out, "{value}")?;
    } else {
        writeln!(out, "history:    {label} ({})", format.name())?;
        writeln!(out, "operations: {}", consistency::summary(h))?;
        for f in &report.findings {
            let label = format!("{}:", f.model);
            let implied = match (f.implied_by, &f.verdict) {
                (Some(m), Verdict::Holds) => format!(" (implied by {m})"),
                (Some(m), _) => format!(" (since {m} is violated)"),
                (None, _) => String::new(),
            };
            writeln!(out, "{label:21}{}{implied}", f.verdict.word())?;
            match &f.verdict {
                Verdict::Violated(e) if f.implied_by.is_none() => {
                    writeln!(out, "  why:   {}", crate::one_line(&e.message))?;
                    writeln!(out, "  ops:   {}", ids(&e.ops))?;
                    if !e.prefix.is_empty() {
                        writeln!(out, "  order: {}", ids(&e.prefix))?;
                    }
                }
                Verdict::Unknown { reason } => writeln!(out, "  why:   {reason}")?,
                _ => {}
            }
        }
        let names: Vec<&str> = strongest.iter().map(|m| m.name()).collect();
        writeln!(
            out,
            "strongest:  {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )?;
    }
    if let Some(m) = o.model {
        if report.verdict(m).is_violated() {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
