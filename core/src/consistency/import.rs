//! Reading a register history from a file: JSON (the serde form of [`History`]), Jepsen
//! (Knossos) EDN lines, or a small text notation for teaching. docs/history-format.md
//! describes the three.
//!
//! Every error names its line (JSON: where the parser stopped; EDN and text: the line of
//! the operation at fault), and the history is validated ([`History::validate`]) before it
//! is returned.

use crate::history::{Client, History, Op, OpKind, Outcome};
use crate::text::Text;
use std::collections::{BTreeMap, HashMap};

/// A history file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Edn,
    Text,
}

impl Format {
    pub fn from_name(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "edn" | "jepsen" | "knossos" => Some(Format::Edn),
            "text" | "txt" => Some(Format::Text),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Edn => "edn",
            Format::Text => "text",
        }
    }

    /// The format a file name's extension says: `.json`, `.edn`, `.txt` or `.hist`.
    pub fn from_path(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "edn" => Some(Format::Edn),
            "txt" | "hist" | "history" => Some(Format::Text),
            _ => None,
        }
    }

    /// The format a file's contents look like: JSON when it starts with `[` or with `{`
    /// followed by `"`, EDN when it starts with `{` followed by `:`, else text (comments
    /// and blank lines skipped).
    pub fn sniff(text: &str) -> Format {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'));
        let Some(line) = first else {
            return Format::Text;
        };
        if let Some(rest) = line.strip_prefix('[') {
            // A vector of EDN maps, or a JSON array.
            if rest.trim_start().starts_with("{:") {
                return Format::Edn;
            }
            return Format::Json;
        }
        if let Some(rest) = line.strip_prefix('{') {
            let rest = rest.trim_start();
            if rest.starts_with(':') {
                return Format::Edn;
            }
            return Format::Json;
        }
        Format::Text
    }
}

/// A history read from a file, with names for its clients when the file gave them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub history: History,
    pub names: BTreeMap<Client, String>,
}

/// Why a file could not be read as a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// The line at fault, from 1.
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ImportError {}

fn at(line: usize, message: impl Into<String>) -> ImportError {
    ImportError {
        line: Some(line),
        message: message.into(),
    }
}

/// Read a history in `format`.
pub fn parse(text: &str, format: Format) -> Result<Imported, ImportError> {
    match format {
        Format::Json => parse_json(text),
        Format::Edn => parse_edn(text),
        Format::Text => parse_text(text),
    }
}

/// The JSON form: `{"ops": [OP, ...]}` (or the array alone), each operation an object
/// `{"client": 0, "key": "x", "kind": "write", "value": 1, "invoke": 0, "complete": 10,
/// "outcome": "ok"}`.
pub fn parse_json(text: &str) -> Result<Imported, ImportError> {
    let history: History = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<Op>>(text).map(|ops| History { ops })
    } else {
        serde_json::from_str(text)
    }
    .map_err(|e| ImportError {
        line: Some(e.line()),
        message: format!("not a history in JSON: {e}"),
    })?;
    history.validate().map_err(|e| ImportError {
        line: None,
        message: e.to_string(),
    })?;
    Ok(Imported {
        history,
        names: BTreeMap::new(),
    })
}

/// Sort operations (each with its line) by invocation, keeping ties in order, and
/// validate, naming the line of the operation at fault.
fn finish(
    mut ops: Vec<(Op, usize)>,
    names: BTreeMap<Client, String>,
) -> Result<Imported, ImportError> {
    ops.sort_by_key(|(o, _)| o.invoke);
    let lines: Vec<usize> = ops.iter().map(|&(_, l)| l).collect();
    let history = History {
        ops: ops.into_iter().map(|(o, _)| o).collect(),
    };
    history.validate().map_err(|e| ImportError {
        line: e.op.map(|i| lines[i]),
        message: e.message,
    })?;
    Ok(Imported { history, names })
}

// ---------------------------------------------------------------------------------------
// Text notation.

/// The teaching notation, one operation a line:
///
/// ```text
/// # Comments start with `#`; blank lines are skipped.
/// A: write x=1 0..10        # client A writes 1 to x, invoked at 0, answered at 10
/// B: read x->1 5..12        # B reads x and gets 1
/// B: read y->nil 13..14     # y is empty
/// C: write x=2 3..          # no answer: pending
/// D: write x=3 4..9 fail    # refused: took no effect
/// ```
pub fn parse_text(text: &str) -> Result<Imported, ImportError> {
    let mut ops = Vec::new();
    let mut clients: HashMap<String, Client> = HashMap::new();
    let mut names = BTreeMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let (who, rest) = content.split_once(':').ok_or_else(|| {
            at(
                line,
                format!(
                    "expected `CLIENT: write KEY=VALUE START..END` or `CLIENT: read \
                     KEY->VALUE START..END`, got `{content}`"
                ),
            )
        })?;
        let who = who.trim();
        if who.is_empty()
            || !who
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(at(
                line,
                format!("`{who}` is not a client name (letters, digits, `_`, `-`)"),
            ));
        }
        let next = clients.len() as Client;
        let client = *clients.entry(who.to_string()).or_insert(next);
        names.insert(client, who.to_string());
        let words: Vec<&str> = rest.split_whitespace().collect();
        let (verb, target, times, tail) = match words.as_slice() {
            [v, t, times, tail @ ..] => (*v, *t, *times, tail),
            _ => {
                return Err(at(
                    line,
                    format!(
                        "expected `{who}: write KEY=VALUE START..END` or `{who}: read \
                         KEY->VALUE START..END`, got `{content}`"
                    ),
                ))
            }
        };
        let number = |s: &str, what: &str| -> Result<u64, ImportError> {
            s.parse::<u64>()
                .map_err(|_| at(line, format!("{what} `{s}` is not a whole number")))
        };
        let (kind, key, value) = match verb.to_ascii_lowercase().as_str() {
            "write" | "w" => {
                let (k, v) = target.split_once('=').ok_or_else(|| {
                    at(
                        line,
                        format!("a write is `write KEY=VALUE`, got `{target}`"),
                    )
                })?;
                (OpKind::Write, k, Some(number(v, "the value")?))
            }
            "read" | "r" => match target.split_once("->") {
                Some((k, "nil")) => (OpKind::Read, k, None),
                Some((k, v)) => (OpKind::Read, k, Some(number(v, "the value")?)),
                None => (OpKind::Read, target, None),
            },
            _ => return Err(at(line, format!("`{verb}` is neither `write` nor `read`"))),
        };
        if key.is_empty() {
            return Err(at(line, "the key is missing"));
        }
        let (start, end) = times.split_once("..").ok_or_else(|| {
            at(
                line,
                format!("times are `START..END`, or `START..` when pending; got `{times}`"),
            )
        })?;
        let invoke = number(start, "the start time")?;
        let complete = match end {
            "" => None,
            e => Some(number(e, "the end time")?),
        };
        let outcome = match (tail, complete) {
            ([], None) => Outcome::Pending,
            ([], Some(_)) | (["ok"], Some(_)) => Outcome::Ok,
            (["fail"], Some(_)) => Outcome::Fail,
            (["fail"] | ["ok"], None) => {
                return Err(at(
                    line,
                    "an operation that ends `ok` or `fail` needs an end time (`START..END`)",
                ))
            }
            (other, _) => {
                return Err(at(
                    line,
                    format!(
                        "unexpected `{}` after the times (only `fail` may follow)",
                        other.join(" ")
                    ),
                ))
            }
        };
        if kind == OpKind::Read && outcome != Outcome::Ok && value.is_some() {
            return Err(at(
                line,
                "a pending or failed read returned nothing: write `read KEY START..`",
            ));
        }
        if kind == OpKind::Read && outcome == Outcome::Ok && !target.contains("->") {
            return Err(at(
                line,
                format!("an answered read says what it returned: `read {key}->VALUE` (or `->nil`)"),
            ));
        }
        ops.push((
            Op {
                client,
                key: Text::from(key),
                kind,
                value,
                invoke,
                complete,
                outcome,
            },
            line,
        ));
    }
    finish(ops, names)
}

// ---------------------------------------------------------------------------------------
// Jepsen / Knossos EDN lines.

/// An EDN value (the part of EDN that histories use).
#[derive(Clone, Debug, PartialEq)]
enum Edn {
    Nil,
    Bool(bool),
    Int(i128),
    Str(String),
    Keyword(String),
    Symbol(String),
    Vector(Vec<Edn>),
    Map(Vec<(Edn, Edn)>),
}

impl Edn {
    fn show(&self) -> String {
        match self {
            Edn::Nil => "nil".into(),
            Edn::Bool(b) => b.to_string(),
            Edn::Int(i) => i.to_string(),
            Edn::Str(s) => format!("{s:?}"),
            Edn::Keyword(k) => format!(":{k}"),
            Edn::Symbol(s) => s.clone(),
            Edn::Vector(v) => format!(
                "[{}]",
                v.iter().map(Edn::show).collect::<Vec<_>>().join(" ")
            ),
            Edn::Map(_) => "{...}".into(),
        }
    }
}

struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Reader<'_> {
    fn skip(&mut self) {
        while let Some(&c) = self.chars.peek() {
            if c.is_whitespace() || c == ',' {
                self.chars.next();
            } else if c == ';' {
                for _ in self.chars.by_ref() {}
            } else {
                break;
            }
        }
    }

    fn value(&mut self) -> Result<Edn, String> {
        self.skip();
        let Some(c) = self.chars.next() else {
            return Err("the line ends in the middle of a value".into());
        };
        match c {
            '{' => {
                let mut items = Vec::new();
                loop {
                    self.skip();
                    if self.chars.peek() == Some(&'}') {
                        self.chars.next();
                        return Ok(Edn::Map(items));
                    }
                    let k = self.value()?;
                    self.skip();
                    if self.chars.peek() == Some(&'}') {
                        return Err(format!("the key {} has no value", k.show()));
                    }
                    let v = self.value()?;
                    items.push((k, v));
                }
            }
            '[' | '(' => {
                let close = if c == '[' { ']' } else { ')' };
                let mut items = Vec::new();
                loop {
                    self.skip();
                    if self.chars.peek() == Some(&close) {
                        self.chars.next();
                        return Ok(Edn::Vector(items));
                    }
                    items.push(self.value()?);
                }
            }
            '"' => {
                let mut s = String::new();
                loop {
                    match self.chars.next() {
                        None => return Err("a string is not closed".into()),
                        Some('"') => return Ok(Edn::Str(s)),
                        Some('\\') => match self.chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some(c) => s.push(c),
                            None => return Err("a string is not closed".into()),
                        },
                        Some(c) => s.push(c),
                    }
                }
            }
            '}' | ']' | ')' => Err(format!("an unexpected `{c}`")),
            _ => {
                let mut word = String::from(c);
                while let Some(&d) = self.chars.peek() {
                    if d.is_whitespace() || ",{}[]()\";".contains(d) {
                        break;
                    }
                    word.push(d);
                    self.chars.next();
                }
                Ok(match word.as_str() {
                    "nil" => Edn::Nil,
                    "true" => Edn::Bool(true),
                    "false" => Edn::Bool(false),
                    w if w.starts_with(':') => Edn::Keyword(w[1..].to_string()),
                    w => match w.parse::<i128>() {
                        Ok(i) => Edn::Int(i),
                        Err(_) => Edn::Symbol(w.to_string()),
                    },
                })
            }
        }
    }
}

fn parse_map(line: &str) -> Result<Vec<(Edn, Edn)>, String> {
    let mut r = Reader {
        chars: line.chars().peekable(),
    };
    let v = r.value()?;
    r.skip();
    if let Some(c) = r.chars.peek() {
        return Err(format!("unexpected `{c}` after the map"));
    }
    match v {
        Edn::Map(items) => Ok(items),
        other => Err(format!(
            "expected a map `{{:process ...}}`, got {}",
            other.show()
        )),
    }
}

fn get<'a>(map: &'a [(Edn, Edn)], key: &str) -> Option<&'a Edn> {
    map.iter()
        .find(|(k, _)| matches!(k, Edn::Keyword(s) if s == key))
        .map(|(_, v)| v)
}

fn key_text(e: &Edn) -> Result<Text, String> {
    match e {
        Edn::Keyword(k) | Edn::Str(k) | Edn::Symbol(k) => Ok(Text::from(k.as_str())),
        Edn::Int(i) => Ok(Text::from(i.to_string())),
        other => Err(format!("{} cannot be a key", other.show())),
    }
}

fn value_of(e: &Edn) -> Result<Option<u64>, String> {
    match e {
        Edn::Nil => Ok(None),
        Edn::Int(i) => u64::try_from(*i)
            .map(Some)
            .map_err(|_| format!("the value {i} is not a whole number of at most 64 bits")),
        other => Err(format!(
            "the value {} is not a whole number or nil (only registers of numbers are checked)",
            other.show()
        )),
    }
}

/// One line's operation fields: key (if given) and value.
fn key_value(map: &[(Edn, Edn)]) -> Result<(Option<Text>, Option<u64>), String> {
    let value = get(map, "value").unwrap_or(&Edn::Nil);
    let key = get(map, "key").map(key_text).transpose()?;
    match (key, value) {
        (None, Edn::Vector(kv)) if kv.len() == 2 => {
            Ok((Some(key_text(&kv[0])?), value_of(&kv[1])?))
        }
        (None, Edn::Vector(_)) => Err(format!(
            "a vector :value is `[KEY VALUE]`, got {}",
            value.show()
        )),
        (key, v) => Ok((key, value_of(v)?)),
    }
}

/// The key used when a line names none (a single-register history): `x`.
pub const DEFAULT_KEY: &str = "x";

/// Jepsen's history lines, one map a line: `{:process 0, :type :invoke, :f :write,
/// :value 1}`, then `:ok`, `:fail` or `:info` for the same process. `:f` is `:read` or
/// `:write`; a key is given as `:value [k v]` or `:key k` (else the register is `x`);
/// `:time` gives times (else the line number is the time). Lines whose `:process` is not a
/// number (`:nemesis`) are skipped, as are blank lines and `;` comments.
pub fn parse_edn(text: &str) -> Result<Imported, ImportError> {
    struct Line {
        line: usize,
        map: Vec<(Edn, Edn)>,
    }
    let mut lines = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let t = raw
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim();
        if t.is_empty() || t.starts_with(';') {
            continue;
        }
        let map = parse_map(t).map_err(|e| at(n + 1, e))?;
        if !matches!(get(&map, "process"), Some(Edn::Int(_))) {
            if get(&map, "process").is_none() {
                return Err(at(n + 1, "no :process"));
            }
            continue;
        }
        lines.push(Line { line: n + 1, map });
    }
    let timed = !lines.is_empty() && lines.iter().all(|l| get(&l.map, "time").is_some());
    let mut ops: Vec<(Op, usize)> = Vec::new();
    // Per process: the operation it has open (index into ops).
    let mut open: HashMap<Client, usize> = HashMap::new();
    for l in &lines {
        let line = l.line;
        let err = |m: String| at(line, m);
        let process = match get(&l.map, "process") {
            Some(Edn::Int(p)) => {
                Client::try_from(*p).map_err(|_| err(format!("the process {p} is out of range")))?
            }
            _ => unreachable!("kept only numeric processes"),
        };
        let time = if timed {
            match get(&l.map, "time") {
                Some(Edn::Int(t)) => u64::try_from(*t)
                    .map_err(|_| err(format!(":time {t} is not a whole number")))?,
                Some(other) => return Err(err(format!(":time {} is not a number", other.show()))),
                None => unreachable!("every line has :time"),
            }
        } else {
            line as u64
        };
        let ty = match get(&l.map, "type") {
            Some(Edn::Keyword(t)) => t.as_str(),
            Some(other) => return Err(err(format!(":type {} is not a keyword", other.show()))),
            None => return Err(err("no :type (:invoke, :ok, :fail or :info)".into())),
        };
        let kind = match get(&l.map, "f") {
            Some(Edn::Keyword(f)) if f == "read" => OpKind::Read,
            Some(Edn::Keyword(f)) if f == "write" => OpKind::Write,
            Some(other) => {
                return Err(err(format!(
                    ":f {} is not supported (only :read and :write of registers)",
                    other.show()
                )))
            }
            None => return Err(err("no :f (:read or :write)".into())),
        };
        let (key, value) = key_value(&l.map).map_err(&err)?;
        match ty {
            "invoke" => {
                if let Some(&i) = open.get(&process) {
                    return Err(err(format!(
                        "process {process} invokes while its operation of line {} is open",
                        ops[i].1
                    )));
                }
                if kind == OpKind::Write && value.is_none() {
                    return Err(err("a write invocation needs a :value".into()));
                }
                open.insert(process, ops.len());
                ops.push((
                    Op {
                        client: process,
                        key: key.unwrap_or_else(|| DEFAULT_KEY.into()),
                        kind,
                        value: if kind == OpKind::Write { value } else { None },
                        invoke: time,
                        complete: None,
                        outcome: Outcome::Pending,
                    },
                    line,
                ));
            }
            "ok" | "fail" | "info" => {
                let Some(i) = open.remove(&process) else {
                    return Err(err(format!(
                        "process {process} completes an operation it did not invoke"
                    )));
                };
                let op = &mut ops[i].0;
                if op.kind != kind {
                    return Err(err(format!(
                        "process {process} invoked a {} (line {}) but completes a {}",
                        if op.kind == OpKind::Write {
                            "write"
                        } else {
                            "read"
                        },
                        ops[i].1,
                        if kind == OpKind::Write {
                            "write"
                        } else {
                            "read"
                        },
                    )));
                }
                if let Some(k) = key {
                    if k != op.key {
                        return Err(err(format!(
                            "the key {k} differs from the invocation's, {}",
                            op.key
                        )));
                    }
                }
                match ty {
                    "ok" => {
                        op.outcome = Outcome::Ok;
                        op.complete = Some(time);
                        if kind == OpKind::Read {
                            op.value = value;
                        }
                    }
                    "fail" => {
                        op.outcome = Outcome::Fail;
                        op.complete = Some(time);
                    }
                    _ => {}
                }
            }
            other => {
                return Err(err(format!(
                    ":type :{other} is not :invoke, :ok, :fail or :info"
                )))
            }
        }
    }
    finish(ops, BTreeMap::new())
}
