//! The session guarantees of Terry et al. (1994), read off a register history.
//!
//! A history has no replicas to ask, so "newer" is the causal order: write `a` is older
//! than write `b` when `a` is in `b`'s causal past (a chain of same-client orders and
//! reads of written values leads from `a` to `b`). A read *misses* a write `w` when it
//! returned nil, or the value of a write older than `w`. Then, per client `d`:
//!
//! - **read your writes**: no read of `d` misses `d`'s own latest earlier write to its key;
//! - **monotonic reads**: no read of `d` misses a write whose value an earlier read of `d`
//!   (of the same key) returned;
//! - **monotonic writes**: once `d` has read the value of a write `w2` of client `c`, no
//!   later read of `d` misses a write `c` made before `w2`;
//! - **writes follow reads**: once `d` has read the value of a write `w2` of client `c`, no
//!   later read of `d` misses a write whose value `c` had read before writing `w2`.
//!
//! Each is implied by causal consistency (every such miss puts a write causally between
//! the write a read returned and that read). The causal past is kept as vector clocks
//! (per operation, how many operations of each client are in its past), so each check is
//! linear in the operations times the clients.

use super::prep::{IdMap, Lists, Prepared};
use super::{Explanation, Model, Verdict};
use crate::history::OpId;
use std::collections::VecDeque;

/// Vector clocks of the strict causal past of every live operation.
struct Clocks {
    width: usize,
    past: Vec<u32>,
    /// Each live operation's position in its client's list.
    pos: Vec<u32>,
}

impl Clocks {
    fn new(p: &Prepared) -> Clocks {
        let n = p.h.ops.len();
        let width = p.clients.len();
        let mut pos = vec![0u32; n];
        for ops in &p.per_client {
            for (k, &i) in ops.iter().enumerate() {
                pos[i] = k as u32;
            }
        }
        // Predecessors: the client's previous operation and the write a read saw.
        let mut preds: Vec<[Option<usize>; 2]> = vec![[None, None]; n];
        let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
        for ops in &p.per_client {
            for w in ops.windows(2) {
                preds[w[1]][0] = Some(w[0]);
                succs[w[0]].push(w[1]);
            }
        }
        for (r, pred) in preds.iter_mut().enumerate() {
            if let (true, Some(w)) = (p.live[r], p.source[r]) {
                pred[1] = Some(w);
                succs[w].push(r);
            }
        }
        let mut past = vec![0u32; n * width];
        // A fixpoint (the causal order may have a cycle when causality is broken).
        let mut queue: VecDeque<usize> = (0..n).filter(|&i| p.live[i]).collect();
        let mut queued = p.live.clone();
        let mut row = vec![0u32; width];
        while let Some(v) = queue.pop_front() {
            queued[v] = false;
            row.copy_from_slice(&past[v * width..(v + 1) * width]);
            for u in preds[v].into_iter().flatten() {
                for (c, x) in row.iter_mut().enumerate() {
                    *x = (*x).max(past[u * width + c]);
                }
                let cu = p.client[u];
                row[cu] = row[cu].max(pos[u] + 1);
            }
            if row[..] != past[v * width..(v + 1) * width] {
                past[v * width..(v + 1) * width].copy_from_slice(&row);
                for &s in &succs[v] {
                    if !queued[s] {
                        queued[s] = true;
                        queue.push_back(s);
                    }
                }
            }
        }
        Clocks { width, past, pos }
    }

    fn row(&self, v: usize) -> &[u32] {
        &self.past[v * self.width..(v + 1) * self.width]
    }

    /// Whether `a` is in the strict causal past of `b`.
    fn before(&self, p: &Prepared, a: usize, b: usize) -> bool {
        self.pos[a] < self.past[b * self.width + p.client[a]]
    }
}

/// The union of the strict causal pasts of some writes, as a clock.
#[derive(Clone)]
struct Seen {
    clock: Vec<u32>,
}

impl Seen {
    fn add(&mut self, row: &[u32]) {
        for (x, y) in self.clock.iter_mut().zip(row) {
            *x = (*x).max(*y);
        }
    }
}

pub(crate) fn check(p: &Prepared, model: Model) -> Verdict {
    let clocks = Clocks::new(p);
    let found = match model {
        Model::ReadYourWrites => read_your_writes(p, &clocks),
        Model::MonotonicReads => monotonic_reads(p, &clocks),
        Model::MonotonicWrites | Model::WritesFollowReads => across_clients(p, &clocks, model),
        _ => unreachable!("not a session guarantee"),
    };
    match found {
        None => Verdict::Holds,
        Some(e) => Verdict::Violated(e),
    }
}

/// What read `o` returned, as a phrase: `returned nil` or `returned 1 (written by #0 ...)`.
fn returned(p: &Prepared, o: OpId) -> String {
    match p.source[o] {
        None => "returned nil".into(),
        Some(w) => format!("returned {}, written by {}", p.value(o), p.describe(w)),
    }
}

/// Whether read `o` misses write `w` (given the strict past of `w`).
fn misses(p: &Prepared, clocks: &Clocks, o: OpId, w: OpId) -> bool {
    match p.source[o] {
        None => true,
        Some(b) => b != w && clocks.before(p, b, w),
    }
}

/// Whether read `o` misses some write in `seen` (a union of strict pasts of writes, at
/// least one write's), given that union.
fn misses_seen(p: &Prepared, clocks: &Clocks, o: OpId, seen: &Seen) -> bool {
    match p.source[o] {
        None => true,
        Some(b) => clocks.pos[b] < seen.clock[p.client[b]],
    }
}

fn explanation(p: &Prepared, ops: Vec<OpId>, message: String) -> Explanation {
    let key = p.keys[p.key[ops[1]]].clone();
    Explanation {
        ops,
        prefix: Vec::new(),
        key: Some(key),
        message,
    }
}

fn read_your_writes(p: &Prepared, clocks: &Clocks) -> Option<Explanation> {
    for mine in &p.per_client {
        let mut last_write = super::prep::IdMap::new();
        for &o in mine {
            if !p.is_read(o) {
                last_write.insert(p.key[o] as u64, o);
                continue;
            }
            if let Some(&w) = last_write.get(&(p.key[o] as u64)) {
                if misses(p, clocks, o, w) {
                    return Some(explanation(
                        p,
                        vec![w, o],
                        format!(
                            "Read your writes is broken: {} {}, older than {}, the same \
                             client's own earlier write.",
                            p.describe(o),
                            returned(p, o),
                            p.describe(w)
                        ),
                    ));
                }
            }
        }
    }
    None
}

fn monotonic_reads(p: &Prepared, clocks: &Clocks) -> Option<Explanation> {
    let width = clocks.width;
    for mine in &p.per_client {
        // Per key: the union of the strict pasts of the writes read, and those reads.
        // (by key index, through the shared map: an index into `seen_at`).
        let mut seen = IdMap::new();
        let mut seen_at: Vec<(Seen, Vec<OpId>)> = Vec::new();
        for &o in mine {
            if !p.is_read(o) {
                continue;
            }
            let k = p.key[o];
            if let Some((s, earlier)) = seen.get(&(k as u64)).map(|&j| &seen_at[j]) {
                // The union is a quick test; the read that saw more confirms it (they
                // differ only on a causal cycle, where a write is in its own past).
                let a = misses_seen(p, clocks, o, s)
                    .then(|| {
                        earlier
                            .iter()
                            .copied()
                            .find(|&a| misses(p, clocks, o, p.source[a].expect("a value")))
                    })
                    .flatten();
                if let Some(a) = a {
                    return Some(explanation(
                        p,
                        vec![a, o],
                        format!(
                            "Monotonic reads is broken: {} {}, older than what {} had \
                             returned before it ({}).",
                            p.describe(o),
                            returned(p, o),
                            p.describe(a),
                            p.value(a)
                        ),
                    ));
                }
            }
            if let Some(w) = p.source[o] {
                let j = *seen.entry(k as u64).or_insert_with(|| {
                    seen_at.push((
                        Seen {
                            clock: vec![0; width],
                        },
                        Vec::new(),
                    ));
                    seen_at.len() - 1
                });
                let entry = &mut seen_at[j];
                entry.0.add(clocks.row(w));
                // Only the write's strict past: reading the same write again is no miss.
                entry.1.push(o);
            }
        }
    }
    None
}

/// Monotonic writes and writes follow reads: what client `d` must see once it has read a
/// write `w2` of client `c`.
fn across_clients(p: &Prepared, clocks: &Clocks, model: Model) -> Option<Explanation> {
    let clients = p.clients.len();
    // Per (client, key): the client's writes to the key, by position.
    let mut writes = Lists::default();
    // Per (client, key): the client's reads of the key that returned a value.
    let mut reads = Lists::default();
    let pair = |c: usize, k: usize| (c as u64) << 32 | k as u64;
    for (c, mine) in p.per_client.iter().enumerate() {
        for &o in mine {
            let list = if p.is_read(o) {
                if p.source[o].is_none() {
                    continue;
                }
                &mut reads
            } else {
                &mut writes
            };
            list.push(pair(c, p.key[o]), o);
        }
    }
    for (d, mine) in p.per_client.iter().enumerate() {
        // Per client c: the latest write of c that d has read so far, and that read.
        let mut latest: Vec<Option<(OpId, OpId)>> = vec![None; clients];
        for &o in mine {
            if !p.is_read(o) {
                continue;
            }
            let k = p.key[o];
            for (c, l) in latest.iter().enumerate() {
                let Some((w2, r1)) = *l else { continue };
                let before_w2 = |list| upto(list, &clocks.pos, clocks.pos[w2]);
                if model == Model::MonotonicWrites {
                    // The latest write of c to k before w2 covers the earlier ones.
                    let Some(&w1) = before_w2(writes.get(pair(c, k))).last() else {
                        continue;
                    };
                    if misses(p, clocks, o, w1) {
                        return Some(explanation(
                            p,
                            vec![w1, w2, r1, o],
                            format!(
                                "Monotonic writes is broken: {} saw {} (by {}), yet then {} \
                                 {}, older than {}, which the same client wrote before.",
                                name(p, d),
                                p.describe(w2),
                                p.describe(r1),
                                p.describe(o),
                                returned(p, o),
                                p.describe(w1)
                            ),
                        ));
                    }
                } else {
                    let read_by_c = before_w2(reads.get(pair(c, k)));
                    if let Some(&rc) = read_by_c.iter().find(|&&rc| {
                        let w1 = p.source[rc].expect("a value");
                        misses(p, clocks, o, w1)
                    }) {
                        return Some(explanation(
                            p,
                            vec![rc, w2, r1, o],
                            format!(
                                "Writes follow reads is broken: {} read {} before writing \
                                 {}; {} saw that write (by {}), yet then {} {}, older than \
                                 what {} had read.",
                                name(p, c),
                                p.value(rc),
                                p.describe(w2),
                                name(p, d),
                                p.describe(r1),
                                p.describe(o),
                                returned(p, o),
                                p.describe(rc)
                            ),
                        ));
                    }
                }
            }
            if let Some(w) = p.source[o] {
                let c = p.client[w];
                if c != d && latest[c].is_none_or(|(l, _)| clocks.pos[l] < clocks.pos[w]) {
                    latest[c] = Some((w, o));
                }
            }
        }
    }
    None
}

/// The operations of `list` (one client's, in order) at positions below `bound`.
fn upto<'a>(list: Option<&'a Vec<OpId>>, pos: &[u32], bound: u32) -> &'a [OpId] {
    match list {
        Some(v) => &v[..v.partition_point(|&i| pos[i] < bound)],
        None => &[],
    }
}

fn name(p: &Prepared, c: usize) -> String {
    let client = p.clients[c];
    p.names
        .get(&client)
        .cloned()
        .unwrap_or_else(|| format!("client {client}"))
}
