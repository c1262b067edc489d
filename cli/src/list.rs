//! `dsplay list`: the algorithms and the built-in scenarios.

use crate::args::Parser;
use crate::{Failure, Io};
use dsplay_core::catalog::{self, CATALOG};
use std::process::ExitCode;

pub const HELP: &str = "\
Usage: dsplay list

List the algorithms (names for `dsplay sweep --algo`) and the built-in scenarios (names
for `dsplay run`).";

pub fn main(args: Vec<String>, io: &mut Io) -> Result<ExitCode, Failure> {
    let mut p = Parser::new("list", args);
    if let Some(a) = p.next()? {
        return Err(p.unknown(&a));
    }
    let out = &mut *io.out;
    writeln!(out, "Algorithms (dsplay sweep --algo NAME):")?;
    let width = CATALOG.iter().map(|a| a.name.len()).max().unwrap_or(0);
    for a in CATALOG {
        writeln!(out, "  {:width$}  {}: {}", a.name, a.title, a.summary)?;
    }
    writeln!(out)?;
    writeln!(out, "Built-in scenarios (dsplay run NAME):")?;
    let width = catalog::builtins().map(|b| b.id.len()).max().unwrap_or(0);
    for b in catalog::builtins() {
        let title = match catalog::load(b.json) {
            Ok(s) => s.title().to_string(),
            Err(e) => format!("(does not load: {e})"),
        };
        writeln!(out, "  {:width$}  {}", b.id, title)?;
    }
    Ok(ExitCode::SUCCESS)
}
