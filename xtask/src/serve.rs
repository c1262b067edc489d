//! `cargo xtask serve`: build, serve the output on 127.0.0.1, rebuild when a source changes.
//!
//! The server is a small one: GET and HEAD of regular files under the output folder (`/`
//! and `…/` serve `index.html`), one thread per connection, nothing cached (a rebuilt page
//! is what the next reload gets). A failed rebuild prints its error and leaves the last good
//! build in place.

use crate::dist;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

pub struct Options {
    pub build: dist::Options,
    pub port: u16,
    pub watch: bool,
}

/// What a change to any file here rebuilds (the target folder and editors' files aside).
const WATCHED: [&str; 5] = ["web", "core", "static", "Cargo.toml", "Cargo.lock"];
/// How often the sources are looked at, and how long they must stay still before a build.
const POLL: Duration = Duration::from_millis(500);
const SETTLE: Duration = Duration::from_millis(300);

pub fn serve(root: &Path, opts: &Options) -> Result<(), String> {
    let out = opts.build.out.clone();
    let built = build(root, &opts.build);
    if !built && !opts.watch {
        return Err("the build failed".into());
    }

    let listener = TcpListener::bind(("127.0.0.1", opts.port)).map_err(|e| {
        format!(
            "cannot listen on 127.0.0.1:{}: {e} (another server there? try --port)",
            opts.port
        )
    })?;
    let dir = Arc::new(out);
    let server = {
        let dir = Arc::clone(&dir);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let dir = Arc::clone(&dir);
                std::thread::spawn(move || {
                    // A client that goes away mid-answer is no error of ours.
                    let _ = answer(stream, &dir);
                });
            }
        })
    };
    println!(
        "serve: http://127.0.0.1:{}/ serves {}{} (Ctrl-C stops)",
        opts.port,
        dir.display(),
        if opts.watch {
            "; rebuilds when web/, core/ or static/ change"
        } else {
            ""
        }
    );
    if !built {
        println!("serve: the first build failed: fix the error above; the pages rebuild on the next change");
    }

    if opts.watch {
        let mut seen = snapshot(root);
        loop {
            std::thread::sleep(POLL);
            let now = snapshot(root);
            if now == seen {
                continue;
            }
            // Wait for the editor (or git) to finish writing.
            let mut settled = now;
            loop {
                std::thread::sleep(SETTLE);
                let again = snapshot(root);
                if again == settled {
                    break;
                }
                settled = again;
            }
            let changed = first_change(&seen, &settled);
            seen = settled;
            println!();
            println!("serve: {changed} changed: rebuilding");
            if build(root, &opts.build) {
                println!(
                    "serve: rebuilt; reload the page (http://127.0.0.1:{}/)",
                    opts.port
                );
            } else {
                println!(
                    "serve: the rebuild failed (see above); still serving the last good build"
                );
            }
        }
    }
    server
        .join()
        .map_err(|_| "the server thread stopped".to_string())
}

/// Build and print the sizes (no budget check while serving); false when it failed.
fn build(root: &Path, opts: &dist::Options) -> bool {
    match dist::build(root, opts) {
        Ok(report) => {
            report.print();
            let over = report.over_budget();
            if !over.is_empty() && !opts.dev {
                println!(
                    "serve: over budget (not enforced while serving): {}",
                    over.join("; ")
                );
            }
            true
        }
        Err(e) => {
            eprintln!("serve: build failed: {e}");
            false
        }
    }
}

/// The files that trigger a rebuild, with their modification times and sizes.
type Snapshot = Vec<(PathBuf, Option<SystemTime>, u64)>;

fn snapshot(root: &Path) -> Snapshot {
    let mut files = Vec::new();
    for name in WATCHED {
        walk(&root.join(name), &mut files);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

fn walk(path: &Path, files: &mut Snapshot) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some(name) = &name {
        // Editors' swap and backup files, hidden folders, build outputs.
        if name.starts_with('.')
            || name.ends_with('~')
            || name == "target"
            || name == "node_modules"
        {
            return;
        }
    }
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.is_dir() {
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                walk(&entry.path(), files);
            }
        }
    } else if meta.is_file() {
        files.push((path.to_path_buf(), meta.modified().ok(), meta.len()));
    }
}

/// A file that differs between two snapshots, for the message.
fn first_change(before: &Snapshot, after: &Snapshot) -> String {
    let differs = after
        .iter()
        .find(|f| !before.contains(f))
        .or_else(|| before.iter().find(|f| !after.contains(f)));
    differs.map_or("a file".into(), |f| f.0.display().to_string())
}

// ---------- HTTP ----------------------------------------------------------------------------

/// The content type of a file, by its extension; None for anything the site does not hold.
fn content_type(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// Answer one request, then close the connection.
fn answer(mut stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let started = Instant::now();
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.by_ref().take(8192).read_line(&mut request_line)?;
    // The rest of the head (headers) until the empty line; only Accept-Encoding matters.
    let mut gzip = false;
    loop {
        let mut line = String::new();
        let n = reader.by_ref().take(8192).read_line(&mut line)?;
        if n == 0 || line == "\r\n" || line == "\n" || started.elapsed() > Duration::from_secs(10) {
            break;
        }
        gzip |= accepts_gzip(&line);
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = match (parts.next(), parts.next()) {
        (Some(m), Some(t)) => (m, t),
        _ => {
            return respond(
                &mut stream,
                400,
                "text/plain; charset=utf-8",
                b"bad request\n",
                false,
            )
        }
    };
    let head = method == "HEAD";
    if method != "GET" && !head {
        return respond(
            &mut stream,
            405,
            "text/plain; charset=utf-8",
            b"method not allowed\n",
            false,
        );
    }
    let Some(file) = resolve(dir, target) else {
        return respond(
            &mut stream,
            404,
            "text/plain; charset=utf-8",
            b"not found\n",
            head,
        );
    };
    let Some(kind) = content_type(&file) else {
        return respond(
            &mut stream,
            404,
            "text/plain; charset=utf-8",
            b"not found\n",
            head,
        );
    };
    // The build writes every file gzipped beside it: that is what goes out when the
    // browser takes gzip.
    let packed = gzip.then(|| std::fs::read(gz_of(&file)).ok()).flatten();
    match (packed, std::fs::read(&file)) {
        (Some(body), _) => respond_with(&mut stream, 200, kind, &body, head, true),
        (None, Ok(body)) => respond(&mut stream, 200, kind, &body, head),
        (None, Err(_)) => respond(
            &mut stream,
            404,
            "text/plain; charset=utf-8",
            b"not found\n",
            head,
        ),
    }
}

/// Whether a request header line says the client takes gzip.
fn accepts_gzip(line: &str) -> bool {
    let Some((name, value)) = line.split_once(':') else {
        return false;
    };
    name.trim().eq_ignore_ascii_case("accept-encoding")
        && value
            .split(',')
            .any(|v| v.split(';').next().is_some_and(|e| e.trim() == "gzip"))
}

/// Where the gzipped form of `file` is.
fn gz_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".gz");
    PathBuf::from(name)
}

/// The file a request target names under `dir`, if it is one.
fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let decoded = percent_decode(path)?;
    if !decoded.starts_with('/') || decoded.contains('\0') || decoded.contains('\\') {
        return None;
    }
    let mut file = dir.to_path_buf();
    for c in Path::new(&decoded).components() {
        match c {
            Component::RootDir => {}
            Component::Normal(part) => file.push(part),
            // `..` and `.` have no place in a request for a file.
            _ => return None,
        }
    }
    if decoded.ends_with('/') {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    kind: &str,
    body: &[u8],
    head: bool,
) -> std::io::Result<()> {
    respond_with(stream, status, kind, body, head, false)
}

fn respond_with(
    stream: &mut TcpStream,
    status: u16,
    kind: &str,
    body: &[u8],
    head: bool,
    gzipped: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    let allow = if status == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let header = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n{}Vary: Accept-Encoding\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n{allow}Connection: close\r\n\r\n",
        body.len(),
        if gzipped {
            "Content-Encoding: gzip\r\n"
        } else {
            ""
        }
    );
    stream.write_all(header.as_bytes())?;
    if !head {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_taken_when_the_client_says_so() {
        assert!(accepts_gzip("Accept-Encoding: gzip, deflate, br\r\n"));
        assert!(accepts_gzip("accept-encoding: br;q=1.0, gzip;q=0.8\r\n"));
        assert!(!accepts_gzip("Accept-Encoding: br\r\n"));
        assert!(!accepts_gzip("Accept-Encoding: x-gzip-ish\r\n"));
        assert!(!accepts_gzip("User-Agent: gzip\r\n"));
        assert_eq!(gz_of(Path::new("a/b.wasm")), PathBuf::from("a/b.wasm.gz"));
    }

    #[test]
    fn types_by_extension() {
        assert_eq!(
            content_type(Path::new("a/b.wasm")),
            Some("application/wasm")
        );
        assert_eq!(
            content_type(Path::new("x.JS")),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(content_type(Path::new("Cargo.toml")), None);
    }

    #[test]
    fn requests_stay_inside_the_folder() {
        let dir = std::env::temp_dir().join(format!("xtask-serve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "home").unwrap();
        std::fs::write(dir.join("assets/a b.js"), "js").unwrap();
        assert_eq!(resolve(&dir, "/"), Some(dir.join("index.html")));
        assert_eq!(resolve(&dir, "/?x=1#/raft"), Some(dir.join("index.html")));
        assert_eq!(
            resolve(&dir, "/assets/a%20b.js"),
            Some(dir.join("assets/a b.js"))
        );
        assert_eq!(resolve(&dir, "/../etc/passwd"), None);
        assert_eq!(resolve(&dir, "/assets/%2e%2e/%2e%2e/x"), None);
        assert_eq!(resolve(&dir, "/assets"), None);
        assert_eq!(resolve(&dir, "/missing.html"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
