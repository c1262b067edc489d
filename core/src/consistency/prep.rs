//! What every checker needs from a history: which operations count, the write each read
//! saw, dense key and client indices, and how to name an operation in a sentence.

use super::{Explanation, Options};
use crate::history::{Client, History, OpId, OpKind, Outcome};
use crate::text::Text;
use std::collections::{BTreeMap, HashMap};

/// The one hash map the checkers share for small lookups (a client, a key index or a value
/// to an index or a count): each other key or value type would be its own copy of the hash
/// table's code in every program that links the checkers.
pub(crate) type IdMap = HashMap<u64, usize>;

/// Lists of operations by a `u64` key (a client and a key index, say), through the shared
/// [`IdMap`].
#[derive(Default)]
pub(crate) struct Lists {
    at: IdMap,
    lists: Vec<Vec<OpId>>,
}

impl Lists {
    pub fn push(&mut self, key: u64, o: OpId) {
        let lists = &mut self.lists;
        let i = *self.at.entry(key).or_insert_with(|| {
            lists.push(Vec::new());
            lists.len() - 1
        });
        lists[i].push(o);
    }

    pub fn get(&self, key: u64) -> Option<&Vec<OpId>> {
        self.at.get(&key).map(|&i| &self.lists[i])
    }
}

/// A history read for the checkers.
pub(crate) struct Prepared<'a> {
    pub h: &'a History,
    pub names: &'a BTreeMap<Client, String>,
    /// Whether each operation counts: not failed (it took no effect) and not a pending
    /// read (it returned nothing).
    pub live: Vec<bool>,
    /// For a read that returned a value: the write of that value.
    pub source: Vec<Option<OpId>>,
    /// Each operation's key, as an index into `keys`.
    pub key: Vec<usize>,
    pub keys: Vec<Text>,
    /// Each operation's client, as an index into `clients`.
    pub client: Vec<usize>,
    pub clients: Vec<Client>,
    /// The operations that count, per client, in the client's order.
    pub per_client: Vec<Vec<OpId>>,
    /// The writes that count, per key, in history order.
    pub writes: Vec<Vec<OpId>>,
    /// Whether each operation was invoked at the very instant its client's previous
    /// operation completed (see [`chained`]).
    pub chained: Vec<bool>,
}

impl<'a> Prepared<'a> {
    /// Reads the history (which must be valid). Fails, with the read, when a read returned
    /// a value no write (that counts) wrote to its key.
    pub fn new(h: &'a History, options: &'a Options) -> Result<Self, Explanation> {
        let n = h.ops.len();
        let mut key_index: HashMap<&str, usize> = HashMap::new();
        let mut client_index = IdMap::new();
        let mut p = Prepared {
            h,
            names: &options.names,
            live: Vec::with_capacity(n),
            source: vec![None; n],
            key: Vec::with_capacity(n),
            keys: Vec::new(),
            client: Vec::with_capacity(n),
            clients: Vec::new(),
            per_client: Vec::new(),
            writes: Vec::new(),
            chained: chained(h),
        };
        let mut written = IdMap::new();
        for (i, op) in h.ops.iter().enumerate() {
            let k = *key_index.entry(op.key.as_str()).or_insert_with(|| {
                p.keys.push(op.key.clone());
                p.writes.push(Vec::new());
                p.keys.len() - 1
            });
            let c = *client_index.entry(u64::from(op.client)).or_insert_with(|| {
                p.clients.push(op.client);
                p.per_client.push(Vec::new());
                p.clients.len() - 1
            });
            p.key.push(k);
            p.client.push(c);
            let live = !matches!(
                (op.kind, op.outcome),
                (_, Outcome::Fail) | (OpKind::Read, Outcome::Pending)
            );
            p.live.push(live);
            if op.kind == OpKind::Write {
                if let Some(v) = op.value {
                    written.insert(v, i);
                }
            }
            if live {
                p.per_client[c].push(i);
                if op.kind == OpKind::Write {
                    p.writes[k].push(i);
                }
            }
        }
        for (i, op) in h.ops.iter().enumerate() {
            if !(p.live[i] && op.kind == OpKind::Read) {
                continue;
            }
            let Some(v) = op.value else { continue };
            let why = match written.get(&v) {
                None => format!("no operation wrote {v}"),
                Some(&w) if h.ops[w].outcome == Outcome::Fail => format!(
                    "{v} was written only by {}, which failed (it took no effect)",
                    p.describe(w)
                ),
                Some(&w) if p.key[w] != p.key[i] => {
                    format!("{v} was written to another key, by {}", p.describe(w))
                }
                Some(&w) => {
                    p.source[i] = Some(w);
                    continue;
                }
            };
            return Err(Explanation {
                ops: vec![i],
                prefix: Vec::new(),
                key: Some(op.key.clone()),
                message: format!(
                    "{} returned a value out of thin air: {why}. No model explains it.",
                    p.describe(i)
                ),
            });
        }
        Ok(p)
    }

    pub fn is_read(&self, i: OpId) -> bool {
        self.h.ops[i].kind == OpKind::Read
    }

    /// `#3 B: read x->1 (5..12)`.
    pub fn describe(&self, i: OpId) -> String {
        describe(self.h, i, self.names)
    }

    /// Operations described, joined with `, `.
    pub fn list(&self, ops: &[OpId]) -> String {
        ops.iter()
            .map(|&i| self.describe(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What a read returned, or what a write wrote, as text (`1`, `nil`).
    pub fn value(&self, i: OpId) -> String {
        value_text(self.h.ops[i].value)
    }
}

/// For each operation: whether its client's previous operation completed at the very
/// instant it was invoked. Such an operation is taken to be invoked just after every
/// completion at that instant (and, if it completes at that instant too, to complete just
/// after that): a client's operations are ordered, and real time stays an interval order
/// (otherwise per-key checks could miss a cross-key cycle that the tie hides). Everywhere
/// else an operation completing at `t` and one invoked at `t` overlap. [`real_time`] says
/// which operation precedes which.
pub fn chained(h: &History) -> Vec<bool> {
    // Each client's latest operation so far.
    let mut last = IdMap::new();
    h.ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let before = last.insert(u64::from(op.client), i);
            before.is_some_and(|j| h.ops[j].complete == Some(op.invoke))
        })
        .collect()
}

/// Whether operation `a` precedes `b` in real time, as the linearizability check sees it:
/// `a` completed (ok) strictly before `b` was invoked, or at that instant when `b` is
/// [`chained`] (and `a` is not itself a chained operation that completed at its
/// invocation instant, which counts as just after that instant).
pub fn real_time(h: &History, chained: &[bool], a: OpId, b: OpId) -> bool {
    let (x, y) = (&h.ops[a], &h.ops[b]);
    match (x.outcome, x.complete) {
        (Outcome::Ok, Some(c)) => {
            c < y.invoke
                || (c == y.invoke && chained[b] && !(chained[a] && x.invoke == c && a != b))
        }
        _ => false,
    }
}

pub(crate) fn value_text(v: Option<u64>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "nil".into(),
    }
}

/// An operation in a sentence: `#3 B: read x->1 (5..12)`, `#4 client 2: write x=2 (3..)`
/// (pending), `#5 A: write y=1 (4..9, failed)`. `names` names clients (else `client N`).
pub fn describe(h: &History, i: OpId, names: &BTreeMap<Client, String>) -> String {
    let op = &h.ops[i];
    let who = match names.get(&op.client) {
        Some(n) => n.clone(),
        None => format!("client {}", op.client),
    };
    let what = match (op.kind, op.outcome) {
        (OpKind::Write, _) => format!("write {}={}", op.key, value_text(op.value)),
        (OpKind::Read, Outcome::Ok) => format!("read {}->{}", op.key, value_text(op.value)),
        (OpKind::Read, _) => format!("read {}", op.key),
    };
    let when = match (op.complete, op.outcome) {
        (None, _) => format!("{}..", op.invoke),
        (Some(c), Outcome::Fail) => format!("{}..{c}, failed", op.invoke),
        (Some(c), _) => format!("{}..{c}", op.invoke),
    };
    format!("#{i} {who}: {what} ({when})")
}
