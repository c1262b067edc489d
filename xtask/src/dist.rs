//! `cargo xtask dist`: every algorithm page as one document and one wasm, and the home page.
//!
//! 1. The pages are the catalogue entries with `page == true`; each must have a binary
//!    `web/src/bin/NAME.rs` (or `web/src/bin/NAME/main.rs`) in dsplay-web, and every binary
//!    must be a page.
//! 2. One cargo invocation builds all the binaries for wasm32 (profile `wasm-release`, or
//!    `dev` with `--dev`): the shared dependencies compile once.
//! 3. Per page, on as many threads as there are cores, as soon as cargo reports the page's
//!    binary (while it links the others): `wasm-bindgen --target web` (the version in
//!    Cargo.lock), then, in release, `wasm-opt -Oz` (binaryen 132) and terser for the glue,
//!    and both compressed ahead (zopfli, see 6). A binary that has not changed since the
//!    last build keeps its last outputs (target/xtask/PROFILE/NAME/).
//! 4. Assets get content-hashed names under `assets/` (a deploy never mixes old and new
//!    files in a cache): the glue and wasm of each page, the shell stylesheet
//!    (static/style.css, spacetime.css and faults.css in one file), the page's own
//!    static/NAME.css when there is one, and static/home.css; in release the style sheets
//!    lose their comments and idle white space (css.rs).
//! 5. `NAME.html` per page and `index.html` (plain HTML with the static previews from
//!    static/previews/NAME.svg), `scenarios/` copied from static/scenarios/.
//! 6. Every document and asset is also written gzipped beside it (`raft.html.gz`,
//!    `assets/raft-0123456789.wasm.gz`): in release with zopfli, which writes ordinary gzip
//!    a few percent smaller than `gzip -9`, for servers that send precompressed files
//!    (`cargo xtask serve` and the e2e server do; nginx's `gzip_static on`). Those files
//!    are what the size report and the budget measure: what a first visit downloads.
//!
//! Everything is written into a staging folder beside the output and swapped in at the end,
//! so a failed build leaves the last good one in place.

use crate::{css, html};
use dsplay_core::catalog::CATALOG;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// The first download of an algorithm page (html, js, wasm, css, gzipped) must stay under this.
pub const PAGE_BUDGET: u64 = 300 * 1024;
/// The home page's first download (html and css, gzipped).
pub const HOME_BUDGET: u64 = 60 * 1024;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The stylesheets every algorithm page shares, in this order.
const SHELL_CSS: [&str; 3] = ["style.css", "spacetime.css", "faults.css"];
/// The glue's minifier: npm's terser (package.json pins it).
const TERSER: &str = "node_modules/.bin/terser";
/// The wasm-opt that the build expects: npm's binaryen 132.
const WASM_OPT_VERSION: &str = "version 132";
/// How large a function wasm-opt may inline into its only caller (binaryen's default is no
/// limit). The shell's large render functions each call many helpers once; inlining them
/// all makes code that compresses worse: with this limit each page's wasm is 2 to 3.5 KB
/// smaller gzipped (messaging, hashring), though a little larger before compression.
const WASM_OPT_ONE_CALLER_INLINE: &str = "--one-caller-inline-max-function-size=25";
/// The features beyond the MVP that rustc 1.95 enables by default for wasm32-unknown-unknown
/// (the wasm's `target_features` section lists them); wasm-opt must accept them and may use
/// them. Every current browser has them.
const WASM_OPT_FEATURES: [&str; 8] = [
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-call-indirect-overlong",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
];

pub struct Options {
    /// The dev profile and no wasm-opt.
    pub dev: bool,
    /// The folder to write (replaced as a whole).
    pub out: PathBuf,
}

/// One algorithm page, as the catalogue describes it.
pub struct Page {
    pub name: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub scenarios: usize,
}

/// The catalogue's pages, in its order.
pub fn pages() -> Vec<Page> {
    CATALOG
        .iter()
        .filter(|e| e.page)
        .map(|e| Page {
            name: e.name,
            title: e.title,
            summary: e.summary,
            scenarios: e.builtins.len(),
        })
        .collect()
}

/// One file of a first download.
pub struct Part {
    pub kind: &'static str,
    pub raw: u64,
    pub gzip: u64,
}

/// What a browser downloads on a first visit of one document.
pub struct Download {
    pub name: String,
    pub budget: u64,
    pub parts: Vec<Part>,
}

impl Download {
    pub fn gzip(&self) -> u64 {
        self.parts.iter().map(|p| p.gzip).sum()
    }

    fn kind(&self, kind: &str) -> Option<(u64, u64)> {
        let mut found = None;
        for p in self.parts.iter().filter(|p| p.kind == kind) {
            let (raw, gzip) = found.unwrap_or((0, 0));
            found = Some((raw + p.raw, gzip + p.gzip));
        }
        found
    }
}

/// How long each stage took.
#[derive(Default)]
pub struct Timings {
    pub total: Duration,
    pub cargo: Duration,
    /// How long the last pages' wasm-bindgen and wasm-opt ran after cargo had finished (they
    /// start as soon as cargo has linked a page), on `threads` threads.
    pub after_cargo: Duration,
    pub threads: usize,
    pub bindgen: Vec<(String, Duration)>,
    pub opt: Vec<(String, Duration)>,
    /// Pages whose binary had not changed: the last wasm-bindgen and wasm-opt outputs kept.
    pub reused: Vec<String>,
}

pub struct Report {
    pub out: PathBuf,
    pub dev: bool,
    pub pages: Vec<Download>,
    pub home: Download,
    pub timings: Timings,
}

/// Build everything into `opts.out`.
pub fn build(root: &Path, opts: &Options) -> Result<Report, String> {
    let start = Instant::now();
    let pages = pages();
    check_bins(root, &pages)?;
    check_sources(root, &pages)?;
    check_out(root, &opts.out)?;

    let (wasm_bindgen, bindgen_version) = check_wasm_bindgen(root)?;
    let wasm_opt = if opts.dev {
        None
    } else {
        Some(find_wasm_opt(root)?)
    };
    let terser = if opts.dev {
        None
    } else {
        let t = root.join(TERSER);
        if !t.is_file() {
            return Err(format!(
                "{TERSER} not found: run scripts/setup.sh (npm ci installs terser)"
            ));
        }
        Some(t)
    };
    let zopfli = !opts.dev;

    // One cargo run builds every page. Each page goes through wasm-bindgen and wasm-opt as
    // soon as cargo reports its binary, while the others still compile and link.
    let profile = if opts.dev { "dev" } else { "wasm-release" };
    let work = target_dir(root).join("xtask").join(profile);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, pages.len().max(1));
    println!(
        "dist: cargo build -p dsplay-web --target {WASM_TARGET} --profile {profile} --bins ({} pages), then wasm-bindgen{} for each on {threads} threads",
        pages.len(),
        if wasm_opt.is_some() {
            " and wasm-opt -Oz"
        } else {
            ""
        },
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let cargo_start = Instant::now();
    let mut child = Command::new(&cargo)
        .current_dir(root)
        .args(["build", "-p", "dsplay-web", "--target", WASM_TARGET])
        .args(["--profile", profile, "--bins"])
        .args(["--message-format", "json-render-diagnostics"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let messages = child.stdout.take().ok_or("no output from cargo")?;

    let (queue, jobs) = mpsc::channel::<(usize, PathBuf)>();
    let jobs = Mutex::new(jobs);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<Processed, String>>>> =
        Mutex::new((0..pages.len()).map(|_| None).collect());
    let mut cargo_status = None;
    let mut cargo_time = Duration::ZERO;
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let job = jobs.lock().unwrap().recv();
                let Ok((i, wasm)) = job else { break };
                if failed.load(Ordering::Relaxed) {
                    continue;
                }
                let page = &pages[i];
                let result = process(
                    page.name,
                    &wasm,
                    &work.join(page.name),
                    (&wasm_bindgen, &bindgen_version),
                    wasm_opt.as_deref(),
                    terser.as_deref(),
                );
                if let Err(e) = &result {
                    eprintln!("dist: {}: {e}", page.name);
                }
                results.lock().unwrap()[i] = Some(result);
            });
        }
        // Cargo's messages, one JSON object a line; its diagnostics go to stderr as usual.
        let mut queued = vec![false; pages.len()];
        for line in BufReader::new(messages).lines() {
            let Ok(line) = line else { break };
            let Some((name, wasm)) = bin_artifact(&line) else {
                continue;
            };
            if let Some(i) = pages.iter().position(|p| p.name == name) {
                if !std::mem::replace(&mut queued[i], true) {
                    let _ = queue.send((i, wasm));
                }
            }
        }
        cargo_status = Some(child.wait());
        cargo_time = cargo_start.elapsed();
        if !matches!(&cargo_status, Some(Ok(status)) if status.success()) {
            // Let the running tools finish; start no more.
            failed.store(true, Ordering::Relaxed);
        }
        drop(queue);
    });
    let after_cargo = cargo_start.elapsed().saturating_sub(cargo_time);
    match cargo_status {
        Some(Ok(status)) if status.success() => {}
        Some(Ok(status)) => return Err(format!("cargo build of the pages failed ({status})")),
        Some(Err(e)) => return Err(format!("cargo: {e}")),
        None => return Err("cargo did not finish".into()),
    }
    let mut processed = Vec::new();
    for (page, result) in pages.iter().zip(results.into_inner().unwrap()) {
        match result {
            Some(Ok(p)) => processed.push(p),
            Some(Err(e)) => return Err(format!("page {}: {e}", page.name)),
            None => {
                return Err(format!(
                    "page {}: cargo reported no binary `{}` of dsplay-web",
                    page.name, page.name
                ))
            }
        }
    }

    // Assemble the site in a staging folder, then swap it in.
    let staging = sibling(&opts.out, "staging");
    remove_dir(&staging)?;
    let result = assemble(root, &staging, &pages, &processed, zopfli);
    let (downloads, home) = match result {
        Ok(done) => done,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    swap_in(&staging, &opts.out)?;

    let mut timings = Timings {
        total: start.elapsed(),
        cargo: cargo_time,
        after_cargo,
        threads,
        ..Timings::default()
    };
    for p in &processed {
        match p.bindgen {
            Some(t) => timings.bindgen.push((p.name.to_string(), t)),
            None => timings.reused.push(p.name.to_string()),
        }
        if let Some(t) = p.opt {
            timings.opt.push((p.name.to_string(), t));
        }
    }
    Ok(Report {
        out: opts.out.clone(),
        dev: opts.dev,
        pages: downloads,
        home,
        timings,
    })
}

/// A binary that cargo has built (a `compiler-artifact` message): its name and file.
fn bin_artifact(line: &str) -> Option<(String, PathBuf)> {
    let msg: serde_json::Value = serde_json::from_str(line).ok()?;
    if msg["reason"] != "compiler-artifact" {
        return None;
    }
    let target = &msg["target"];
    if !target["kind"].as_array()?.iter().any(|k| k == "bin") {
        return None;
    }
    let name = target["name"].as_str()?;
    let file = msg["executable"].as_str()?;
    Some((name.to_string(), PathBuf::from(file)))
}

/// Whether a page's binary (as cargo links it, with its names) formats floats with the
/// standard library: its exact algorithm (`float_to_decimal_common_exact`, a bignum) comes
/// with any `Display` of an `f64`, for any precision.
fn links_float_formatting(wasm: &[u8]) -> Result<bool, String> {
    let has = |needle: &[u8]| wasm.windows(needle.len()).any(|w| w == needle);
    if !has(b"dsplay_web") {
        return Err("its function names are missing (is the profile stripping them?), so its float formatting cannot be checked".into());
    }
    Ok(has(b"float_to_decimal_common"))
}

/// The outputs of wasm-bindgen (and wasm-opt) for one page, in the work folder.
struct Processed {
    name: &'static str,
    js: PathBuf,
    wasm: PathBuf,
    /// The two compressed ahead (release), beside them with `.gz` added.
    packed: bool,
    /// How long each tool took; None when the binary had not changed since the last build
    /// and its outputs were reused.
    bindgen: Option<Duration>,
    opt: Option<Duration>,
}

fn process(
    name: &'static str,
    input: &Path,
    work: &Path,
    (wasm_bindgen, bindgen_version): (&Path, &str),
    wasm_opt: Option<&Path>,
    terser: Option<&Path>,
) -> Result<Processed, String> {
    let bound_js = work.join(format!("{name}.js"));
    let js = if terser.is_some() {
        work.join(format!("{name}.min.js"))
    } else {
        bound_js.clone()
    };
    let bound = work.join(format!("{name}_bg.wasm"));
    let optimized = work.join(format!("{name}_opt.wasm"));
    let wasm = if wasm_opt.is_some() {
        optimized.clone()
    } else {
        bound.clone()
    };
    let packed = wasm_opt.is_some();
    let mut done = Processed {
        name,
        js,
        wasm,
        packed,
        bindgen: None,
        opt: None,
    };

    // The same binary through the same tools gives the same files: keep the last ones.
    let bytes = fs::read(input).map_err(|e| format!("{} was not built: {e}", input.display()))?;
    if wasm_opt.is_some() && links_float_formatting(&bytes).map_err(|e| format!("{name}: {e}"))? {
        return Err(format!(
            "{name}: the standard library's float formatting is linked (about 8 KB gzipped): some `{{}}` or `{{:.N}}` formats an f64; write it with dsplay_core::decimal (fixed, short) instead"
        ));
    }
    let key = format!(
        "{:016x} wasm-bindgen {bindgen_version} {}\n",
        fnv1a(&bytes),
        match wasm_opt {
            Some(_) => format!(
                "{WASM_OPT_VERSION} -Oz {WASM_OPT_ONE_CALLER_INLINE} --low-memory-unused {}, terser, zopfli",
                WASM_OPT_FEATURES.join(" ")
            ),
            None => "no wasm-opt".into(),
        }
    );
    let key_file = work.join("built-from");
    if fs::read_to_string(&key_file).is_ok_and(|k| k == key)
        && done.js.is_file()
        && done.wasm.is_file()
        && (!packed || (gz_path(&done.js).is_file() && gz_path(&done.wasm).is_file()))
    {
        return Ok(done);
    }

    remove_dir(work)?;
    fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let t = Instant::now();
    let mut cmd = Command::new(wasm_bindgen);
    cmd.args(["--target", "web", "--no-typescript", "--out-name", name])
        .arg("--out-dir")
        .arg(work)
        .arg(input);
    run_quiet(&mut cmd, "wasm-bindgen")?;
    done.bindgen = Some(t.elapsed());
    if let Some(wasm_opt) = wasm_opt {
        let t = Instant::now();
        let mut cmd = Command::new(wasm_opt);
        // Rust puts the stack below 1 MiB and the data and heap above it, so nothing lives
        // in the first KiB: wasm-opt may fold constant offsets into loads and stores
        // (about 1.7 KB gzipped less per page). Checked on each module.
        let lowest = lowest_data(&read(&bound)?)?;
        if lowest < 1024 {
            return Err(format!(
                "{name}: a data segment starts at {lowest}, in the first KiB of memory, which wasm-opt --low-memory-unused assumes unused"
            ));
        }
        cmd.arg("-Oz")
            .arg(WASM_OPT_ONE_CALLER_INLINE)
            .arg("--low-memory-unused")
            .args(WASM_OPT_FEATURES)
            .arg(&bound)
            .arg("-o")
            .arg(&optimized);
        run_quiet(&mut cmd, "wasm-opt")?;
        done.opt = Some(t.elapsed());
    }
    if let Some(terser) = terser {
        // Names the page never sees are shortened; the module's exports stay.
        let mut cmd = Command::new(terser);
        cmd.arg(&bound_js)
            .args(["--module", "--compress", "--mangle", "-o"])
            .arg(&done.js);
        run_quiet(&mut cmd, "terser")?;
    }
    if packed {
        for file in [&done.js, &done.wasm] {
            write(&gz_path(file), &pack(&read(file)?, true))?;
        }
    }
    write(&key_file, key.as_bytes())?;
    Ok(done)
}

/// Run a tool, keeping its output unless it fails (threads would interleave it).
/// The lowest address an active data segment of the module `wasm` is written at (`u32::MAX`
/// when none is): a WebAssembly binary's data section, read as far as the segments' offsets.
fn lowest_data(wasm: &[u8]) -> Result<u32, String> {
    fn leb(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let b = *bytes.get(*at).ok_or("the module ends inside a number")?;
            *at += 1;
            value |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b < 0x80 || shift >= 64 {
                return Ok(value);
            }
        }
    }
    if wasm.get(..4) != Some(b"\0asm") {
        return Err("not a WebAssembly module".into());
    }
    let mut at = 8;
    let mut lowest = u32::MAX;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)? as usize;
        let end = at + size;
        if id == 11 {
            let mut p = at;
            for _ in 0..leb(wasm, &mut p)? {
                let flags = leb(wasm, &mut p)?;
                // 0: active in memory 0, `i32.const OFFSET end`, then the bytes; others are
                // passive (1) or name a memory (2), which Rust's modules do not use.
                if flags != 0 || wasm.get(p) != Some(&0x41) {
                    return Err(format!("a data segment of a kind not read here ({flags})"));
                }
                p += 1;
                let offset = leb(wasm, &mut p)? as u32; // as a signed LEB: small values match
                lowest = lowest.min(offset);
                p += 1; // end
                let len = leb(wasm, &mut p)? as usize;
                p += len;
            }
            return Ok(lowest);
        }
        at = end;
    }
    Ok(lowest)
}

fn run_quiet(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Write the whole site into `dir`; returns each page's first download and the home page's.
fn assemble(
    root: &Path,
    dir: &Path,
    pages: &[Page],
    processed: &[Processed],
    zopfli: bool,
) -> Result<(Vec<Download>, Download), String> {
    let z = zopfli;
    let static_dir = root.join("static");
    let assets = dir.join("assets");
    fs::create_dir_all(&assets).map_err(|e| format!("{}: {e}", assets.display()))?;

    let mut shell = String::new();
    for name in SHELL_CSS {
        let text = read_text(&static_dir.join(name))?;
        shell.push_str(&format!("/* static/{name} */\n"));
        shell.push_str(&text);
        if !text.ends_with('\n') {
            shell.push('\n');
        }
    }
    let style = |css: String| if z { css::minify(&css) } else { css };
    let shell_css = Asset::write(&assets, "shell", "css", style(shell).as_bytes(), None, z)?;

    // The glue and the wasm of every page at once (gzipping them takes a moment).
    let scripts: Vec<Result<(Asset, Asset), String>> = std::thread::scope(|s| {
        let assets = &assets;
        let handles: Vec<_> = processed
            .iter()
            .map(|built| {
                s.spawn(move || {
                    let ahead = |f: &Path| built.packed.then(|| read(&gz_path(f))).transpose();
                    let js = Asset::write(
                        assets,
                        built.name,
                        "js",
                        &read(&built.js)?,
                        ahead(&built.js)?,
                        z,
                    )?;
                    let wasm = Asset::write(
                        assets,
                        built.name,
                        "wasm",
                        &read(&built.wasm)?,
                        ahead(&built.wasm)?,
                        z,
                    )?;
                    Ok((js, wasm))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });

    let mut downloads = Vec::new();
    for (page, scripts) in pages.iter().zip(scripts) {
        let (js, wasm) = scripts?;
        let own = static_dir.join(format!("{}.css", page.name));
        let own_css = if own.is_file() {
            Some(Asset::write(
                &assets,
                page.name,
                "css",
                style(read_text(&own)?).as_bytes(),
                None,
                z,
            )?)
        } else {
            None
        };
        let mut css = vec![&shell_css];
        css.extend(own_css.as_ref());
        let doc = html::page(page, &css, &js, &wasm);
        let file = dir.join(format!("{}.html", page.name));
        let mut parts = vec![
            document(&file, doc.as_bytes(), z)?,
            js.part("js"),
            wasm.part("wasm"),
        ];
        parts.extend(css.iter().map(|c| c.part("css")));
        downloads.push(Download {
            name: page.name.to_string(),
            budget: PAGE_BUDGET,
            parts,
        });
    }

    let home_css = Asset::write(
        &assets,
        "home",
        "css",
        style(read_text(&static_dir.join("home.css"))?).as_bytes(),
        None,
        z,
    )?;
    let mut previews = Vec::new();
    for page in pages {
        let file = static_dir
            .join("previews")
            .join(format!("{}.svg", page.name));
        previews.push(read_text(&file)?);
    }
    let doc = html::home(pages, &previews, &home_css);
    let home = Download {
        name: "home (index.html)".into(),
        budget: HOME_BUDGET,
        parts: vec![
            document(&dir.join("index.html"), doc.as_bytes(), z)?,
            home_css.part("css"),
        ],
    };

    let scenarios = static_dir.join("scenarios");
    if scenarios.is_dir() {
        let to = dir.join("scenarios");
        fs::create_dir_all(&to).map_err(|e| format!("{}: {e}", to.display()))?;
        for entry in read_dir(&scenarios)? {
            if entry.extension().is_some_and(|e| e == "json") && entry.is_file() {
                let name = entry.file_name().unwrap_or_default();
                write(&to.join(name), &read(&entry)?)?;
            }
        }
    }
    Ok((downloads, home))
}

/// A file under `assets/` with its content hash in its name.
pub struct Asset {
    /// The address from a document at the top of the site: `assets/raft-0123456789.wasm`.
    pub href: String,
    raw: u64,
    gzip: u64,
}

impl Asset {
    /// Write `bytes` and, beside them, their gzipped form: `packed` when it was made ahead,
    /// else made now (with zopfli when `zopfli`).
    fn write(
        assets: &Path,
        stem: &str,
        ext: &str,
        bytes: &[u8],
        packed: Option<Vec<u8>>,
        zopfli: bool,
    ) -> Result<Asset, String> {
        let name = format!("{stem}-{:010x}.{ext}", fnv1a(bytes) >> 24);
        let file = assets.join(&name);
        write(&file, bytes)?;
        let gz = packed.unwrap_or_else(|| pack(bytes, zopfli));
        write(&gz_path(&file), &gz)?;
        Ok(Asset {
            href: format!("assets/{name}"),
            raw: bytes.len() as u64,
            gzip: gz.len() as u64,
        })
    }

    fn part(&self, kind: &'static str) -> Part {
        Part {
            kind,
            raw: self.raw,
            gzip: self.gzip,
        }
    }
}

/// Write a document and its gzipped form beside it; the part of a download it is.
fn document(file: &Path, bytes: &[u8], zopfli: bool) -> Result<Part, String> {
    write(file, bytes)?;
    let gz = pack(bytes, zopfli);
    write(&gz_path(file), &gz)?;
    Ok(Part {
        kind: "html",
        raw: bytes.len() as u64,
        gzip: gz.len() as u64,
    })
}

/// `file` with `.gz` added: where its gzipped form is.
fn gz_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".gz");
    PathBuf::from(name)
}

/// `bytes` gzipped: with zopfli (ordinary gzip, a few percent smaller than `gzip -9`, and
/// slower: for release builds), else at flate2's best level.
pub fn pack(bytes: &[u8], zopfli: bool) -> Vec<u8> {
    if zopfli {
        let mut out = Vec::new();
        zopfli::compress(
            zopfli::Options::default(),
            zopfli::Format::Gzip,
            bytes,
            &mut out,
        )
        .expect("gzip into memory");
        out
    } else {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(bytes).expect("gzip into memory");
        enc.finish().expect("gzip into memory")
    }
}

/// 64-bit FNV-1a: stable across builds and toolchains, enough to tell file versions apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Every catalogue page has a binary and every binary is a page.
fn check_bins(root: &Path, pages: &[Page]) -> Result<(), String> {
    let dir = root.join("web/src/bin");
    // Binary name → its file, as Cargo discovers them.
    let mut bins = BTreeMap::new();
    if dir.is_dir() {
        for path in read_dir(&dir)? {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if let Some(stem) = name.strip_suffix(".rs").filter(|_| path.is_file()) {
                bins.insert(stem.to_string(), format!("web/src/bin/{name}"));
            } else if path.join("main.rs").is_file() {
                bins.insert(name.to_string(), format!("web/src/bin/{name}/main.rs"));
            }
        }
    }
    let mut problems = Vec::new();
    for page in pages.iter().filter(|p| !bins.contains_key(p.name)) {
        problems.push(format!(
            "the catalogue has a page `{0}` but dsplay-web has no binary for it: add web/src/bin/{0}.rs (its page's entry point)",
            page.name
        ));
    }
    for (name, file) in bins
        .iter()
        .filter(|(b, _)| !pages.iter().any(|p| p.name == *b))
    {
        problems.push(format!(
            "{file} is a binary of dsplay-web but the catalogue (core/src/catalog.rs) has no page `{name}`: every binary is one page, named after its catalogue entry"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The stylesheets and previews the documents need, before the long part of the build.
fn check_sources(root: &Path, pages: &[Page]) -> Result<(), String> {
    let mut files: Vec<String> = SHELL_CSS.iter().map(|f| format!("static/{f}")).collect();
    files.push("static/home.css".into());
    files.extend(
        pages
            .iter()
            .map(|p| format!("static/previews/{}.svg", p.name)),
    );
    let missing: Vec<String> = files
        .into_iter()
        .filter(|f| !root.join(f).is_file())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "missing {} (the shell's stylesheets, the home page's, and every page's preview for its home card: static/previews/NAME.svg)",
        missing.join(", ")
    ))
}

/// Refuse to replace a folder that is not a build output (or holds the sources).
fn check_out(root: &Path, out: &Path) -> Result<(), String> {
    if root.starts_with(out) {
        return Err(format!(
            "--out {} would replace the workspace: choose a folder of its own",
            out.display()
        ));
    }
    if out.is_dir() {
        let empty = fs::read_dir(out)
            .map_err(|e| format!("{}: {e}", out.display()))?
            .next()
            .is_none();
        if !empty && !out.join("index.html").is_file() {
            return Err(format!(
                "{} exists and is not a previous build (no index.html): refusing to replace it",
                out.display()
            ));
        }
    } else if out.exists() {
        return Err(format!("{} exists and is not a folder", out.display()));
    }
    Ok(())
}

/// The `wasm-bindgen` on PATH, which must be the version of the crate in Cargo.lock (the
/// glue it writes must match the library compiled into the wasm).
fn check_wasm_bindgen(root: &Path) -> Result<(PathBuf, String), String> {
    let lock = read_text(&root.join("Cargo.lock"))?;
    let locked = locked_version(&lock, "wasm-bindgen")
        .ok_or("Cargo.lock has no wasm-bindgen package (is web/ a workspace member?)")?;
    let out = Command::new("wasm-bindgen").arg("--version").output();
    let found = match out {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => {
            return Err(format!(
                "wasm-bindgen not found on PATH: run scripts/setup.sh (it installs wasm-bindgen-cli {locked} into ~/.cargo/bin; put that folder on PATH)"
            ))
        }
    };
    if found != format!("wasm-bindgen {locked}") {
        return Err(format!(
            "`wasm-bindgen --version` says `{found}` but Cargo.lock has wasm-bindgen {locked}: run `cargo install --force wasm-bindgen-cli@{locked}` (or scripts/setup.sh)"
        ));
    }
    Ok((PathBuf::from("wasm-bindgen"), locked))
}

/// The version of `package` in a Cargo.lock.
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"") {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_string);
        }
    }
    None
}

/// npm's binaryen in node_modules/, else a `wasm-opt` on PATH; it must be binaryen 132.
fn find_wasm_opt(root: &Path) -> Result<PathBuf, String> {
    let local = root.join("node_modules/.bin/wasm-opt");
    let path = if local.is_file() {
        local
    } else {
        PathBuf::from("wasm-opt")
    };
    let out = Command::new(&path).arg("--version").output();
    let found = match out {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => {
            return Err(
                "wasm-opt not found (node_modules/.bin/wasm-opt or PATH): run scripts/setup.sh (npm ci installs binaryen 132)"
                    .into(),
            )
        }
    };
    if !found.contains(WASM_OPT_VERSION) {
        return Err(format!(
            "{} says `{found}`, expected binaryen {WASM_OPT_VERSION}: run scripts/setup.sh (npm ci)",
            path.display()
        ));
    }
    Ok(path)
}

/// Cargo's target folder: CARGO_TARGET_DIR when set, else target/ in the workspace.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::env::current_dir()
            .map(|cwd| cwd.join(&dir))
            .unwrap_or_else(|_| PathBuf::from(dir)),
        None => root.join("target"),
    }
}

/// `dist` → `.dist.staging` beside it.
fn sibling(out: &Path, what: &str) -> PathBuf {
    let name = out
        .file_name()
        .map_or("dist".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.{what}"))
}

/// Replace `out` by `staging` (two renames: the old folder is gone only once the new one
/// is in place).
fn swap_in(staging: &Path, out: &Path) -> Result<(), String> {
    let old = sibling(out, "old");
    remove_dir(&old)?;
    if out.exists() {
        fs::rename(out, &old).map_err(|e| format!("moving {} aside: {e}", out.display()))?;
    }
    fs::rename(staging, out)
        .map_err(|e| format!("moving the new build to {}: {e}", out.display()))?;
    remove_dir(&old)
}

fn remove_dir(dir: &Path) -> Result<(), String> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("removing {}: {e}", dir.display())),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The entries of a folder, sorted.
fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut paths = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    paths.sort();
    Ok(paths)
}

impl Report {
    /// The downloads over their budget, one line each.
    pub fn over_budget(&self) -> Vec<String> {
        self.pages
            .iter()
            .chain(std::iter::once(&self.home))
            .filter(|d| d.gzip() > d.budget)
            .map(|d| {
                format!(
                    "{}: {} gzipped, budget {}",
                    d.name,
                    kb(d.gzip()),
                    kb(d.budget)
                )
            })
            .collect()
    }

    pub fn print(&self) {
        let profile = if self.dev {
            "dev profile, no wasm-opt"
        } else {
            "release"
        };
        println!();
        println!(
            "dist: {} ({profile}): {} pages and the home page",
            self.out.display(),
            self.pages.len()
        );
        println!(
            "first download of each page: every file as its .gz beside it ({}), in KB (1 KB = 1024 bytes), gzip (raw)",
            if self.dev {
                "gzip at the best level"
            } else {
                "zopfli: ordinary gzip, smaller than gzip -9"
            }
        );
        println!(
            "{:<18} {:>8} {:>7}  {:<15} {:<15} {:<17} {:<15}",
            "page", "total", "budget", "html", "js", "wasm", "css"
        );
        for d in self.pages.iter().chain(std::iter::once(&self.home)) {
            let col = |kind: &str| match d.kind(kind) {
                Some((raw, gzip)) => format!("{} ({})", num(gzip), num(raw)),
                None => "-".into(),
            };
            let verdict = if self.dev {
                ""
            } else if d.gzip() > d.budget {
                "  OVER BUDGET"
            } else {
                "  ok"
            };
            println!(
                "{:<18} {:>8} {:>7}  {:<15} {:<15} {:<17} {:<15}{verdict}",
                d.name,
                num(d.gzip()),
                num(d.budget),
                col("html"),
                col("js"),
                col("wasm"),
                col("css"),
            );
        }
        let t = &self.timings;
        let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
        let list = |v: &[(String, Duration)]| {
            v.iter()
                .map(|(n, d)| format!("{n} {}", secs(*d)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!();
        println!(
            "dist: built in {}: cargo build {} (each page's wasm-bindgen{} starting when cargo has linked it, on {} threads), {} more for the last pages, the rest {}",
            secs(t.total),
            secs(t.cargo),
            if self.dev { "" } else { " and wasm-opt" },
            t.threads,
            secs(t.after_cargo),
            secs(t.total.saturating_sub(t.cargo + t.after_cargo)),
        );
        if !t.bindgen.is_empty() {
            println!("  wasm-bindgen per page: {}", list(&t.bindgen));
        }
        if !t.opt.is_empty() {
            println!("  wasm-opt per page:     {}", list(&t.opt));
        }
        if !t.reused.is_empty() {
            println!(
                "  unchanged since the last build (its wasm-bindgen{} output reused): {}",
                if self.dev { "" } else { " and wasm-opt" },
                t.reused.join(", ")
            );
        }
    }
}

/// Bytes as KB with one decimal.
fn num(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

fn kb(bytes: u64) -> String {
    format!("{} KB", num(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn float_formatting_is_found_by_its_name() {
        use super::links_float_formatting as links;
        let page = b"\x04name..dsplay_web..page..ShellView..";
        assert_eq!(links(page), Ok(false));
        let with = [
            &page[..],
            b"_ZN4core3fmt5float29float_to_decimal_common_exact17h0E",
        ]
        .concat();
        assert_eq!(links(&with), Ok(true));
        assert!(links(b"stripped float_to_decimal_common_exact").is_err());
    }

    #[test]
    fn lowest_data_reads_the_segments_offsets() {
        // magic, version; a data section (11) of two active segments at 2048 and 1048576.
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let body = [
            2u8, // two segments
            0, 0x41, 0x80, 0x10, 0x0b, 1, b'a', // at 2048 (0x800), one byte
            0, 0x41, 0x80, 0x80, 0xc0, 0x00, 0x0b, 0, // at 1048576, empty
        ];
        m.push(11);
        m.push(body.len() as u8);
        m.extend(body);
        assert_eq!(lowest_data(&m), Ok(2048));
        assert_eq!(lowest_data(b"\0asm\x01\0\0\0"), Ok(u32::MAX));
        assert!(lowest_data(b"nope").is_err());
    }

    use super::*;

    #[test]
    fn reads_a_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\nsource = \"x\"\n\n[[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.1\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            locked_version(lock, "wasm-bindgen-futures").as_deref(),
            Some("0.4.1")
        );
        assert_eq!(locked_version(lock, "yew"), None);
    }

    #[test]
    fn reads_the_binaries_from_cargo_messages() {
        let bin = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"raft"},"executable":"/t/wasm32-unknown-unknown/wasm-release/raft.wasm","fresh":true}"#;
        assert_eq!(
            bin_artifact(bin),
            Some((
                "raft".into(),
                PathBuf::from("/t/wasm32-unknown-unknown/wasm-release/raft.wasm")
            ))
        );
        let lib = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"dsplay_web"},"executable":null}"#;
        assert_eq!(bin_artifact(lib), None);
        assert_eq!(
            bin_artifact(r#"{"reason":"build-finished","success":true}"#),
            None
        );
        assert_eq!(bin_artifact("not json"), None);
    }

    #[test]
    fn staging_folders_sit_beside_the_output() {
        assert_eq!(
            sibling(Path::new("/w/dist"), "staging"),
            PathBuf::from("/w/.dist.staging")
        );
    }

    #[test]
    fn content_hashes_differ_with_the_content() {
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    }
}
