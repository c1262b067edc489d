//! `dsplay`: run and sweep dsplay scenarios from the command line.
//!
//! Exit status: 0 on success (for `sweep` and `merge`: no invariant violated), 1 when a
//! sweep found a violation, 2 for usage and input errors, 3 for an internal error (a bug).

mod args;
mod list;
mod merge;
mod run;
mod sweep;

use std::cell::RefCell;
use std::io::Write;
use std::process::ExitCode;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// A bad command line. Printed as one `error:` line; exit status 2.
    Usage(String),
    /// A bad input file or value. Printed as one `error:` line; exit status 2.
    Input(String),
    /// Writing to standard output failed (a closed pipe ends quietly).
    Output(std::io::Error),
    /// A panic: a bug. Exit status 3.
    Internal(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Output(e)
    }
}

pub const USAGE: &str = "\
dsplay: run distributed-algorithm scenarios headless, deterministically

Usage:
  dsplay run SCENARIO [--trace OUT.json] [--steps N] [--until MS] [--hash]
  dsplay sweep --algo NAME --seeds A..B [--faults random|none|KIND,...] [--span MS]
               [--params JSON] [--out DIR] [--jobs N] [--shard K/N] [--format jsonl]
  dsplay merge FILE...
  dsplay list
  dsplay help [COMMAND]
  dsplay --version

Commands:
  run     Run one scenario (a file, or a built-in scenario by name) and summarize it
  sweep   Run many seeds with random workloads and faults; report invariant violations
  merge   Combine the JSON lines of a sweep run in shards into one summary
  list    List the algorithms and the built-in scenarios

Exit status: 0 success, 1 a sweep (or the merged shards of one) found an invariant
violation, 2 usage or input error, 3 internal error.
See `dsplay COMMAND --help` for a command's options.";

fn command_help(cmd: &str) -> Option<&'static str> {
    match cmd {
        "run" => Some(run::HELP),
        "sweep" => Some(sweep::HELP),
        "merge" => Some(merge::HELP),
        "list" => Some(list::HELP),
        "help" => {
            Some("Usage: dsplay help [COMMAND]\n\nShow the usage of dsplay or of one command.")
        }
        _ => None,
    }
}

const COMMANDS: &str = "run, sweep, merge, list, help";

/// Whether the arguments ask for a command's help.
pub fn wants_help(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--help" || a == "-h")
}

fn dispatch(argv: Vec<String>) -> Result<ExitCode, Failure> {
    let mut out = std::io::stdout().lock();
    let Some((cmd, rest)) = argv.split_first() else {
        writeln!(out, "{USAGE}")?;
        return Ok(ExitCode::SUCCESS);
    };
    let rest = rest.to_vec();
    match cmd.as_str() {
        "--help" | "-h" => {
            writeln!(out, "{USAGE}")?;
            Ok(ExitCode::SUCCESS)
        }
        "--version" | "-V" | "version" => {
            writeln!(out, "dsplay {}", env!("CARGO_PKG_VERSION"))?;
            Ok(ExitCode::SUCCESS)
        }
        "help" => {
            match rest.first() {
                None => writeln!(out, "{USAGE}")?,
                Some(c) => match command_help(c) {
                    Some(h) => writeln!(out, "{h}")?,
                    None => {
                        return Err(Failure::Usage(format!(
                            "no command `{c}` (commands: {COMMANDS})"
                        )))
                    }
                },
            }
            Ok(ExitCode::SUCCESS)
        }
        c @ ("run" | "sweep" | "merge" | "list") => {
            if wants_help(&rest) {
                writeln!(out, "{}", command_help(c).unwrap_or(USAGE))?;
                return Ok(ExitCode::SUCCESS);
            }
            drop(out);
            match c {
                "run" => run::main(rest),
                "sweep" => sweep::main(rest),
                "merge" => merge::main(rest),
                _ => list::main(rest),
            }
        }
        other if other.starts_with('-') => Err(Failure::Usage(format!(
            "unknown option `{other}` (see `dsplay --help`)"
        ))),
        other => Err(Failure::Usage(format!(
            "unknown command `{other}` (commands: {COMMANDS}; see `dsplay --help`)"
        ))),
    }
}

thread_local! {
    /// The message of the last panic on this thread, kept by the panic hook for whoever
    /// catches it.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Run `f`, turning a panic into its message.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let text = one_line(&format!("{msg}{place}"));
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
    }));
}

/// Newlines and tabs as spaces, so that every error is one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Print `error: MSG` as one line on standard error (ignoring a closed stderr).
pub fn err_line(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "error: {}", one_line(msg));
}

fn main() -> ExitCode {
    install_panic_hook();
    let mut argv = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.into_string() {
            Ok(s) => argv.push(s),
            Err(a) => {
                err_line(&format!("argument {a:?} is not valid UTF-8"));
                return ExitCode::from(2);
            }
        }
    }
    let result = catch(|| dispatch(argv)).unwrap_or_else(|m| Err(Failure::Internal(m)));
    match result {
        Ok(code) => code,
        Err(Failure::Usage(m)) | Err(Failure::Input(m)) => {
            err_line(&m);
            ExitCode::from(2)
        }
        Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            err_line(&format!("cannot write the output: {e}"));
            ExitCode::from(2)
        }
        Err(Failure::Internal(m)) => {
            err_line(&format!(
                "internal error (a bug in dsplay, please report it): {m}"
            ));
            ExitCode::from(3)
        }
    }
}
