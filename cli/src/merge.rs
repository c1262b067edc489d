//! `dsplay merge`: combine the JSON lines of a sweep run in shards (`dsplay sweep ...
//! --shard K/N --format jsonl`) into the summary one run over the whole range prints.

use crate::args::{Arg, Parser};
use crate::sweep::{internal_error, scenario_pattern, seed_line, write_summary, Totals};
use crate::{err_line, quote_path, Failure, Io};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::ExitCode;

pub const HELP: &str = "\
Usage: dsplay merge FILE...

Combine the outputs of a sweep run in shards (`dsplay sweep ... --shard K/N --format
jsonl`, one JSON object per seed) into what one sweep over the whole range prints: the
line of each failing seed, in seed order, then the summary (seeds run, seeds with
violations, counts per property). FILE `-` reads standard input, so shards concatenated
with `cat` can be piped in.

The input is refused, with the file and line, when a line is not a seed's JSON object,
when a seed appears twice (shards that overlap), or when lines come from different
sweeps (another algorithm, fault mix, span or parameters). When the seeds do not cover
a contiguous range (a shard missing or cut short), the summary says which are missing.

Exit status: 0 when no seed violated an invariant, 1 when one did, 2 for usage or input
errors, 3 when a seed had an internal error.";

/// What names a sweep: lines of one merge must agree on it.
#[derive(PartialEq)]
struct SweepId {
    algorithm: String,
    faults: String,
    span: u64,
    params: Value,
}

impl std::fmt::Display for SweepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "algorithm {}, faults {}, span {} ms, params {}",
            self.algorithm, self.faults, self.span, self.params
        )
    }
}

/// One seed's line, read.
struct Record {
    seed: u64,
    id: SweepId,
    /// Property, step (from 1), explanation.
    violations: Vec<(String, u64, String)>,
    scenario: Option<String>,
    /// The message of an internal error.
    error: Option<String>,
}

/// A field's value: `what` names it in messages.
fn field<'a>(
    obj: &'a serde_json::Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<&'a Value, String> {
    obj.get(key)
        .ok_or_else(|| format!("{what}`{key}` is missing"))
}

fn whole(v: &Value, name: &str) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("`{name}` must be a whole number (got {v})"))
}

fn text<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("`{name}` must be a string (got {v})"))
}

/// Read one line of `dsplay sweep --format jsonl`.
fn parse_line(line: &str) -> Result<Record, String> {
    if line.trim().is_empty() {
        return Err("an empty line (expected one JSON object per line)".into());
    }
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("not a JSON object (expected one object per seed)".into());
    };
    let seed = whole(field(&obj, "seed", "")?, "seed")?;
    let outcome = text(field(&obj, "outcome", "")?, "outcome")?;
    let Value::Array(list) = field(&obj, "violations", "")? else {
        return Err("`violations` must be an array".into());
    };
    let mut violations = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let name = format!("violations[{i}]");
        let Value::Object(v) = v else {
            return Err(format!("`{name}` must be an object"));
        };
        let inside = format!("{name}: ");
        let property = text(field(v, "property", &inside)?, &format!("{name}.property"))?;
        let step = whole(field(v, "step", &inside)?, &format!("{name}.step"))?;
        let explanation = text(
            field(v, "explanation", &inside)?,
            &format!("{name}.explanation"),
        )?;
        violations.push((property.to_string(), step, explanation.to_string()));
    }
    let ran = |key: &str| -> Result<(), String> {
        match field(&obj, key, "")? {
            Value::Null if outcome == "internal error" => Ok(()),
            v => whole(v, key).map(|_| ()),
        }
    };
    ran("steps")?;
    ran("time")?;
    let scenario = match field(&obj, "scenario", "")? {
        Value::Null => None,
        v => Some(text(v, "scenario")?.to_string()),
    };
    let mut error = None;
    match outcome {
        "pass" if violations.is_empty() => {}
        "pass" => return Err("outcome `pass` with violations".into()),
        "violated" if !violations.is_empty() => {}
        "violated" => return Err("outcome `violated` with no violations".into()),
        "internal error" => {
            let e = obj.get("error").and_then(Value::as_str).unwrap_or("");
            error = Some(e.to_string());
        }
        other => {
            return Err(format!(
                "`outcome` must be pass, violated or internal error (got `{other}`)"
            ))
        }
    }
    let id = SweepId {
        algorithm: text(field(&obj, "algorithm", "")?, "algorithm")?.to_string(),
        faults: text(field(&obj, "faults", "")?, "faults")?.to_string(),
        span: whole(field(&obj, "span", "")?, "span")?,
        params: match field(&obj, "params", "")? {
            p @ (Value::Null | Value::Object(_)) => p.clone(),
            p => return Err(format!("`params` must be an object or null (got {p})")),
        },
    };
    Ok(Record {
        seed,
        id,
        violations,
        scenario,
        error,
    })
}

/// What the merge gathered.
#[derive(Default)]
struct Merged {
    totals: Totals,
    /// The sweep, and where it was first named (input index, line).
    id: Option<(SweepId, usize, u64)>,
    /// The seeds of each input, in the order of its lines.
    seeds: Vec<Vec<u64>>,
    /// The output lines of failing seeds (standard output) and of crashed ones (standard
    /// error), to be printed in seed order.
    out: Vec<(u64, String)>,
    err: Vec<(u64, String)>,
    /// The failing seed with the smallest number whose scenario was written, and its file.
    first_file: Option<(u64, String)>,
}

impl Merged {
    fn add(&mut self, r: Record, names: &[String], input: usize, line: u64) -> Result<(), String> {
        match &self.id {
            None => self.id = Some((r.id, input, line)),
            Some((id, i, l)) if *id != r.id => {
                return Err(format!(
                    "seed {} is of another sweep ({}) than {}:{l} ({id})",
                    r.seed, r.id, names[*i]
                ))
            }
            Some(_) => {}
        }
        self.seeds[input].push(r.seed);
        self.totals.done += 1;
        if let Some(e) = r.error {
            self.totals.panicked += 1;
            self.err.push((r.seed, internal_error(r.seed, &e)));
        } else if let Some((property, step, explanation)) = r.violations.first() {
            self.totals
                .add_violated(r.violations.iter().map(|v| v.0.as_str()));
            match &r.scenario {
                None => self.totals.write_errors += 1,
                Some(f) => {
                    if self.first_file.as_ref().is_none_or(|(s, _)| r.seed < *s) {
                        self.first_file = Some((r.seed, f.clone()));
                    }
                }
            }
            let more = r.violations.len() - 1;
            let line = seed_line(
                r.seed,
                property,
                *step,
                explanation,
                more,
                r.scenario.as_deref(),
            );
            self.out.push((r.seed, line));
        }
        Ok(())
    }
}

/// Read every line of one input.
fn read_input(
    reader: &mut dyn BufRead,
    merged: &mut Merged,
    names: &[String],
    input: usize,
) -> Result<(), Failure> {
    let name = &names[input];
    let mut buf = String::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        line += 1;
        let n = reader.read_line(&mut buf).map_err(|e| {
            Failure::Input(match e.kind() {
                std::io::ErrorKind::InvalidData => format!("{name}:{line}: not UTF-8 text"),
                _ => format!("cannot read {name}: {e}"),
            })
        })?;
        if n == 0 {
            return Ok(());
        }
        let at = |m: String| Failure::Input(format!("{name}:{line}: {m}"));
        let record = parse_line(buf.trim_end_matches(['\n', '\r'])).map_err(at)?;
        merged.add(record, names, input, line).map_err(at)?;
    }
}

/// Up to `max` runs of missing seeds between the sorted, distinct `seeds`, as text.
fn gaps(seeds: &[u64], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for w in seeds.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b > a + 1 {
            if out.len() == max {
                out.push("...".to_string());
                break;
            }
            out.push(if b == a + 2 {
                format!("{}", a + 1)
            } else {
                format!("{}..={}", a + 1, b - 1)
            });
        }
    }
    out
}

pub fn main(args: Vec<String>, io: &mut Io) -> Result<ExitCode, Failure> {
    let mut p = Parser::new("merge", args);
    let mut files = Vec::new();
    while let Some(a) = p.next()? {
        match a {
            Arg::Positional(f) => files.push(f),
            a => return Err(p.unknown(&a)),
        }
    }
    if files.is_empty() {
        return Err(p.usage("missing the FILEs to merge"));
    }
    for (i, f) in files.iter().enumerate() {
        if files[..i].contains(f) {
            return Err(p.usage(if f == "-" {
                "`-` (standard input) is given twice".to_string()
            } else {
                format!("{} is given twice", quote_path(f))
            }));
        }
    }
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            if f == "-" {
                "<stdin>".into()
            } else {
                quote_path(f)
            }
        })
        .collect();

    let mut merged = Merged {
        seeds: vec![Vec::new(); files.len()],
        ..Merged::default()
    };
    for (i, f) in files.iter().enumerate() {
        let mut reader: Box<dyn BufRead> = if f == "-" {
            Box::new(BufReader::new(&mut *io.input))
        } else {
            io.files
                .open(Path::new(f))
                .map_err(|e| Failure::Input(format!("cannot read {}: {e}", names[i])))?
        };
        read_input(&mut reader, &mut merged, &names, i)?;
    }
    let Some((id, _, _)) = &merged.id else {
        return Err(Failure::Input(format!(
            "no seeds in {} (expected the output of `dsplay sweep --format jsonl`)",
            names.join(", ")
        )));
    };

    // Every seed once.
    let mut all: Vec<u64> = merged.seeds.iter().flatten().copied().collect();
    all.sort_unstable();
    if let Some(w) = all.windows(2).find(|w| w[0] == w[1]) {
        let dup = w[0];
        let mut places = Vec::new();
        for (i, seeds) in merged.seeds.iter().enumerate() {
            for (j, s) in seeds.iter().enumerate() {
                if *s == dup && places.len() < 2 {
                    places.push(format!("{}:{}", names[i], j + 1));
                }
            }
        }
        return Err(Failure::Input(format!(
            "{}: seed {dup} is also at {} (do the shards overlap?)",
            places[1], places[0]
        )));
    }
    let (lo, hi) = (all[0], all[all.len() - 1]);
    let range = format!("{lo}..{}", u128::from(hi) + 1);
    let missing = u128::from(hi - lo) + 1 - all.len() as u128;

    merged.out.sort_unstable_by_key(|(s, _)| *s);
    merged.err.sort_unstable_by_key(|(s, _)| *s);
    for (_, e) in &merged.err {
        err_line(io.err, e);
    }
    let stdout = &mut *io.out;
    for (_, line) in &merged.out {
        writeln!(stdout, "{line}")?;
    }
    let t = &merged.totals;
    let run = format!(
        "{range}, faults {}, span {} ms, merged from {} file{}",
        id.faults,
        id.span,
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    );
    let reproduce = merged
        .first_file
        .as_ref()
        .filter(|_| t.failed > 0 && t.write_errors < t.failed)
        .map(|(_, f)| {
            let dir = Path::new(f).parent().unwrap_or(Path::new(""));
            scenario_pattern(dir, &id.algorithm)
        });
    write_summary(stdout, t, &run, reproduce.as_deref())?;
    if missing > 0 {
        let which = gaps(&all, 5).join(", ");
        writeln!(
            stdout,
            "missing seeds:         {missing} of {range} ({which}): the shards do not cover a contiguous range"
        )?;
        stdout.flush()?;
        let _ = writeln!(
            io.err,
            "warning: the shards do not cover a contiguous range: {missing} seeds of {range} are missing ({which})"
        );
    }
    Ok(t.exit_code())
}

#[cfg(test)]
mod tests {
    use super::{gaps, parse_line};

    #[test]
    fn missing_seed_runs() {
        assert!(gaps(&[1, 2, 3], 5).is_empty());
        assert_eq!(gaps(&[1, 3, 7, 8, 10], 5), ["2", "4..=6", "9"]);
        assert_eq!(gaps(&[0, 2, 4, 6], 2), ["1", "3", "..."]);
    }

    #[test]
    fn lines_are_checked() {
        let good = r#"{"seed":3,"outcome":"violated","violations":[{"property":"P","step":4,"time":9,"explanation":"x"}],"steps":10,"time":20,"scenario":"d/a-seed-3.json","algorithm":"a","faults":"random","span":2000,"params":null}"#;
        let r = parse_line(good).unwrap();
        assert_eq!(r.seed, 3);
        assert_eq!(r.violations, [("P".to_string(), 4, "x".to_string())]);
        assert_eq!(r.scenario.as_deref(), Some("d/a-seed-3.json"));
        for (bad, says) in [
            ("", "empty line"),
            ("[1]", "JSON object"),
            ("{", "not valid JSON"),
            (r#"{"outcome":"pass"}"#, "`seed` is missing"),
            (&good.replace("\"seed\":3", "\"seed\":-3"), "`seed` must be"),
            (&good.replace("violated", "pass"), "pass` with violations"),
            (&good.replace("violated", "maybe"), "`outcome` must be"),
            (
                &good.replace("\"step\":4", "\"step\":\"4\""),
                "violations[0].step",
            ),
            (&good.replace("\"steps\":10", "\"steps\":null"), "`steps`"),
            (&good.replace(",\"span\":2000", ""), "`span` is missing"),
            (&good.replace("\"params\":null", "\"params\":3"), "`params`"),
        ] {
            let e = parse_line(bad)
                .err()
                .unwrap_or_else(|| panic!("accepted {bad}"));
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
