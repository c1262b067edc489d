//! `dsplay`: run and sweep dsplay scenarios from the command line.
//!
//! Exit status: 0 on success (for `sweep` and `merge`: no invariant violated), 1 when a
//! sweep found a violation (or `check-history` found its `--model` violated), 2 for usage and input errors, 3 for an internal error (a bug).
//!
//! The commands read and write through [`Io`], so that the binary (src/main.rs) gives them
//! the process's streams and the disk, and tests give them buffers and files in memory
//! ([`MemFiles`]): a test never reads or writes a file of its own folder ([`run`] is the
//! whole command line).

mod args;
mod check;
mod list;
mod merge;
mod run;
mod sweep;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

/// Where a command reads and writes: the process's standard streams and the disk, or
/// buffers and [`MemFiles`].
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// What `dsplay run -` reads.
    pub input: &'a mut dyn Read,
    /// The files named on the command line: scenarios read, traces and a sweep's
    /// scenarios written.
    pub files: &'a mut dyn Files,
    /// Standard error is a terminal: the sweep redraws one progress line there.
    pub tty: bool,
}

/// The files a command reads and writes, by the path given on the command line.
pub trait Files {
    /// Whether `path` names anything (a file, a folder).
    fn exists(&self, path: &Path) -> bool;
    fn is_dir(&self, path: &Path) -> bool;
    fn read(&self, path: &Path) -> std::io::Result<String>;
    /// A file to read line by line (a shard's output for `merge` may be large).
    fn open(&self, path: &Path) -> std::io::Result<Box<dyn BufRead + '_>>;
    /// Write a whole file (its folder must exist).
    fn write(&mut self, path: &Path, contents: &str) -> std::io::Result<()>;
    /// Make a folder and any missing folders above it.
    fn create_dir_all(&mut self, path: &Path) -> std::io::Result<()>;
}

/// The disk, paths relative to the working directory (the binary's files).
pub struct Disk;

impl Files for Disk {
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
    fn open(&self, path: &Path) -> std::io::Result<Box<dyn BufRead + '_>> {
        let file = std::fs::File::open(path)?;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
    }
    fn write(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        std::fs::write(path, contents)
    }
    fn create_dir_all(&mut self, path: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(path)
    }
}

/// Files in memory, for tests: the working directory is empty at first and nothing is
/// read from or written to the disk. Paths are compared after dropping `.` and trailing
/// separators (`a/./b/` is `a/b`); `..` is kept as a name.
#[derive(Debug, Default)]
pub struct MemFiles {
    /// Every file written, by path.
    pub files: BTreeMap<PathBuf, String>,
    /// Every folder made (the working directory `""` is always there).
    pub dirs: BTreeSet<PathBuf>,
}

impl MemFiles {
    fn key(path: &Path) -> PathBuf {
        path.components()
            .filter(|c| *c != Component::CurDir)
            .collect()
    }
    fn folder(&self, key: &Path) -> bool {
        key.as_os_str().is_empty() || key == Path::new("/") || self.dirs.contains(key)
    }
    fn get(&self, path: &Path) -> std::io::Result<&String> {
        match self.files.get(&Self::key(path)) {
            Some(text) => Ok(text),
            None if self.is_dir(path) => {
                Err(io_error(std::io::ErrorKind::IsADirectory, "Is a directory"))
            }
            None => Err(io_error(
                std::io::ErrorKind::NotFound,
                "No such file or directory",
            )),
        }
    }
}

fn io_error(kind: std::io::ErrorKind, what: &str) -> std::io::Error {
    std::io::Error::new(kind, what.to_string())
}

impl Files for MemFiles {
    fn exists(&self, path: &Path) -> bool {
        let key = Self::key(path);
        !path.as_os_str().is_empty() && (self.folder(&key) || self.files.contains_key(&key))
    }
    fn is_dir(&self, path: &Path) -> bool {
        !path.as_os_str().is_empty() && self.folder(&Self::key(path))
    }
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.get(path).cloned()
    }
    fn open(&self, path: &Path) -> std::io::Result<Box<dyn BufRead + '_>> {
        Ok(Box::new(self.get(path)?.as_bytes()))
    }
    fn write(&mut self, path: &Path, contents: &str) -> std::io::Result<()> {
        let key = Self::key(path);
        if path.as_os_str().is_empty() || !key.parent().is_some_and(|p| self.folder(p)) {
            return Err(io_error(
                std::io::ErrorKind::NotFound,
                "No such file or directory",
            ));
        }
        if self.folder(&key) {
            return Err(io_error(std::io::ErrorKind::IsADirectory, "Is a directory"));
        }
        self.files.insert(key, contents.to_string());
        Ok(())
    }
    fn create_dir_all(&mut self, path: &Path) -> std::io::Result<()> {
        let key = Self::key(path);
        if path.as_os_str().is_empty() {
            return Err(io_error(
                std::io::ErrorKind::NotFound,
                "No such file or directory",
            ));
        }
        if key.ancestors().any(|a| self.files.contains_key(a)) {
            return Err(io_error(std::io::ErrorKind::AlreadyExists, "File exists"));
        }
        for a in key.ancestors() {
            if !self.folder(a) {
                self.dirs.insert(a.to_path_buf());
            }
        }
        Ok(())
    }
}

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
  dsplay check-history FILE [--model NAME] [--format json|edn|text] [--budget N] [--json]
  dsplay list
  dsplay help [COMMAND]
  dsplay --version

Commands:
  run     Run one scenario (a file, or a built-in scenario by name) and summarize it
  sweep   Run many seeds with random workloads and faults; report invariant violations
  merge   Combine the JSON lines of a sweep run in shards into one summary
  check-history
          Check a register history against consistency models (linearizable, sequential,
          causal, session guarantees) and name the strongest it satisfies
  list    List the algorithms and the built-in scenarios

Exit status: 0 success, 1 a sweep (or the merged shards of one) found an invariant
violation, or check-history found its --model violated; 2 usage or input error, 3
internal error.
See `dsplay COMMAND --help` for a command's options.";

fn command_help(cmd: &str) -> Option<&'static str> {
    match cmd {
        "run" => Some(run::HELP),
        "sweep" => Some(sweep::HELP),
        "merge" => Some(merge::HELP),
        "check-history" => Some(check::HELP),
        "list" => Some(list::HELP),
        "help" => {
            Some("Usage: dsplay help [COMMAND]\n\nShow the usage of dsplay or of one command.")
        }
        _ => None,
    }
}

const COMMANDS: &str = "run, sweep, merge, check-history, list, help";

/// Whether the arguments ask for a command's help.
pub fn wants_help(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--help" || a == "-h")
}

fn dispatch(argv: Vec<String>, io: &mut Io) -> Result<ExitCode, Failure> {
    let out = &mut *io.out;
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
                            "no command `{}` (commands: {COMMANDS})",
                            quote(c)
                        )))
                    }
                },
            }
            Ok(ExitCode::SUCCESS)
        }
        c @ ("run" | "sweep" | "merge" | "check-history" | "list") => {
            if wants_help(&rest) {
                writeln!(out, "{}", command_help(c).unwrap_or(USAGE))?;
                return Ok(ExitCode::SUCCESS);
            }
            match c {
                "run" => run::main(rest, io),
                "sweep" => sweep::main(rest, io),
                "merge" => merge::main(rest, io),
                "check-history" => check::main(rest, io),
                _ => list::main(rest, io),
            }
        }
        other if other.starts_with('-') => Err(Failure::Usage(format!(
            "unknown option `{}` (see `dsplay --help`)",
            quote(other)
        ))),
        other => Err(Failure::Usage(format!(
            "unknown command `{}` (commands: {COMMANDS}; see `dsplay --help`)",
            quote(other)
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

/// Keep each panic's message for [`catch`] (the binary's panic hook: nothing is printed
/// but the one `error:` line of an internal error).
pub fn install_panic_hook() {
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

/// The longest argument an error message quotes whole, in characters (longer ones are
/// cut in the middle).
pub const QUOTE_CHARS: usize = 80;
/// The longest file path an error message quotes whole, in characters: a path is shown whole
/// as far as it reasonably can be, since its end and its start both say where it is.
pub const PATH_CHARS: usize = 400;
/// The longest `error:` line, in characters.
pub const ERROR_CHARS: usize = 1000;

/// What someone typed, to quote in a message: cut in the middle when long.
pub fn quote(s: &str) -> String {
    dsplay_core::scenario::clip(s, QUOTE_CHARS)
}

/// A file path someone gave, to quote in a message: whole unless far too long.
pub fn quote_path(s: &str) -> String {
    dsplay_core::scenario::clip(s, PATH_CHARS)
}

/// Print `error: MSG` as one line (ignoring a closed stderr), cut in the middle if long.
pub fn err_line(err: &mut dyn Write, msg: &str) {
    let msg = dsplay_core::scenario::clip(&one_line(msg), ERROR_CHARS);
    let _ = writeln!(err, "error: {msg}");
}

/// Run the command line `argv` (without the program's name) and return the exit status.
/// Every failure is one `error:` line on `io.err`; a panic is caught and reported as an
/// internal error (status 3).
pub fn run(argv: Vec<String>, io: &mut Io) -> u8 {
    let result = catch(|| dispatch(argv, &mut *io)).unwrap_or_else(|m| Err(Failure::Internal(m)));
    match result {
        Ok(code) if code == ExitCode::SUCCESS => 0,
        Ok(code) if code == ExitCode::from(1) => 1,
        Ok(_) => 2,
        Err(Failure::Usage(m)) | Err(Failure::Input(m)) => {
            err_line(io.err, &m);
            2
        }
        Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(Failure::Output(e)) => {
            err_line(io.err, &format!("cannot write the output: {e}"));
            2
        }
        Err(Failure::Internal(m)) => {
            err_line(
                io.err,
                &format!("internal error (a bug in dsplay, please report it): {m}"),
            );
            3
        }
    }
}
