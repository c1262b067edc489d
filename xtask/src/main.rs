//! Builds and serves the web pages of dsplay (run from anywhere in the workspace):
//!
//! ```text
//! cargo xtask dist  [--dev] [--out DIR] [--no-budget]
//! cargo xtask serve [--dev] [--out DIR] [--port 8080] [--no-watch]
//! ```
//!
//! `dist` builds one document and one wasm per algorithm page (the catalogue entries with a
//! page, each a binary `web/src/bin/NAME.rs` of dsplay-web) and a plain-HTML home page, all
//! with content-hashed asset names, then prints what each page's first visit downloads and
//! checks it against the budget. `serve` builds, serves the result on 127.0.0.1 and rebuilds
//! when a source changes. See [`dist`] and [`serve`].

mod css;
mod dist;
mod html;
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  cargo xtask dist  [--dev] [--out DIR] [--no-budget]
  cargo xtask serve [--dev] [--out DIR] [--port PORT] [--no-watch]

dist    builds every algorithm page (NAME.html and its wasm) and the home page into DIR
        (default dist/), prints each page's first download and checks the size budget
serve   builds, serves DIR on http://127.0.0.1:PORT/ (default 8080) and rebuilds when a file
        under web/, core/ or static/ changes

  --dev        the dev profile, no wasm-opt (faster to build, much larger; no budget check)
  --out DIR    where to write the pages (default dist/ in the workspace)
  --no-budget  print the sizes but do not fail when a page is over budget
  --port PORT  the port to serve on (default 8080)
  --no-watch   serve without rebuilding on changes";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Err("no command given".into());
    };
    let root = workspace_root();
    match command.as_str() {
        "dist" => {
            let opts = parse(rest, &root, false)?;
            let build = dist::Options {
                dev: opts.dev,
                out: opts.out,
            };
            let report = dist::build(&root, &build)?;
            report.print();
            if opts.budget && !opts.dev {
                let over = report.over_budget();
                if !over.is_empty() {
                    eprintln!();
                    for line in &over {
                        eprintln!("xtask: over budget: {line}");
                    }
                    eprintln!(
                        "xtask: error: {} over the size budget (the files are in {}; `--no-budget` skips this check)",
                        plural(over.len(), "download is", "downloads are"),
                        report.out.display()
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        "serve" => {
            let opts = parse(rest, &root, true)?;
            serve::serve(
                &root,
                &serve::Options {
                    build: dist::Options {
                        dev: opts.dev,
                        out: opts.out,
                    },
                    port: opts.port,
                    watch: opts.watch,
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            println!("{USAGE}");
            Err(format!("unknown command `{other}`"))
        }
    }
}

struct CliOptions {
    dev: bool,
    out: PathBuf,
    budget: bool,
    port: u16,
    watch: bool,
}

fn parse(args: &[String], root: &Path, serving: bool) -> Result<CliOptions, String> {
    let mut opts = CliOptions {
        dev: false,
        out: root.join("dist"),
        budget: true,
        port: 8080,
        watch: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--dev" => opts.dev = true,
            "--out" => {
                let dir = value("--out")?;
                let cwd = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
                opts.out = cwd.join(dir);
            }
            "--no-budget" if !serving => opts.budget = false,
            "--port" if serving => {
                let port = value("--port")?;
                opts.port = port
                    .parse()
                    .map_err(|_| format!("--port: not a port number: `{port}`"))?;
            }
            "--no-watch" if serving => opts.watch = false,
            other => {
                println!("{USAGE}");
                return Err(format!("unknown option `{other}`"));
            }
        }
    }
    Ok(opts)
}

/// The workspace root: the parent of this crate's folder. `cargo run` (the `cargo xtask`
/// alias) says where that folder is when it starts the program; the folder it was compiled
/// in is only the fallback, since a binary built in one checkout and found up to date in
/// another would otherwise build and write the first checkout's pages.
fn workspace_root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().unwrap_or(&manifest).to_path_buf()
}

/// `1 page is` / `2 pages are`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}
