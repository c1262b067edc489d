//! Causal consistency as causal memory (Ahamad et al. 1995): each client has a legal order
//! of all writes and of its own operations that respects the causal order.
//!
//! The causal order is the clients' own orders and "a read comes after the write whose
//! value it returned", closed transitively. With unique values the writes a client's view
//! must order are forced, which makes the check polynomial (Bouajjani, Enea, Guerraoui and
//! Hamza, POPL 2017): for each client, start from the causal order and add, until nothing
//! changes, the orders every legal view of that client must have, for each of its reads
//! `r` of key `x` that returned the value of write `w`, and every other write `w'` to `x`:
//!
//! - if `w'` comes before `r`, it comes before `w` (else `r` would have read `w'`, or
//!   something later);
//! - if `w'` comes after `w`, it comes after `r` (same reason);
//! - if `r` returned nil, it comes before `w'`.
//!
//! The client has a legal view exactly when the result has no cycle; a cycle found is the
//! explanation. Every edge is necessary, so a cycle is a real violation; the rules cover
//! the bad patterns of Bouajjani et al. for causal memory (a cyclic causal order, a write
//! causally before a read that returned nil or an older value of its key, and their
//! happens-before closures per client), so no cycle means there is a view.

use super::prep::Prepared;
use super::{Explanation, Verdict};
use crate::history::OpId;
use std::collections::VecDeque;

/// Why one operation must come before another.
#[derive(Clone, Copy, Debug)]
enum Why {
    /// The same client did them in this order.
    Program,
    /// The second read the value the first wrote.
    ReadsFrom,
    /// (`w'` before `w`) a read after `w'` returned `w`'s value.
    Overwritten { read: OpId },
    /// (`r` before `w'`) `r` returned the value of a write that `w'` comes after (or nil).
    Later { write: Option<OpId> },
}

type Graph = Vec<Vec<(usize, Why)>>;

/// The operations a client's view is checked on, renumbered `0..ops.len()`, with the
/// orders between them.
struct View {
    ops: Vec<OpId>,
    /// Each operation's number here (`u32::MAX`: not in the view).
    local: Vec<u32>,
    g: Graph,
}

impl View {
    fn new(p: &Prepared, ops: Vec<OpId>) -> View {
        let mut local = vec![u32::MAX; p.h.ops.len()];
        for (k, &i) in ops.iter().enumerate() {
            local[i] = k as u32;
        }
        let g = vec![Vec::new(); ops.len()];
        View { ops, local, g }
    }

    fn at(&self, i: OpId) -> usize {
        self.local[i] as usize
    }

    fn edge(&mut self, from: OpId, to: OpId, why: Why) {
        let (a, b) = (self.at(from), self.at(to));
        self.g[a].push((b, why));
    }

    /// Every live operation, with the causal order's edges (same client, reads-from):
    /// the view explanations are drawn from.
    fn whole(p: &Prepared) -> View {
        let ops = (0..p.h.ops.len()).filter(|&i| p.live[i]).collect();
        let mut v = View::new(p, ops);
        for mine in &p.per_client {
            for w in mine.windows(2) {
                v.edge(w[0], w[1], Why::Program);
            }
        }
        for r in 0..p.h.ops.len() {
            if let (true, Some(w)) = (p.live[r], p.source[r]) {
                v.edge(w, r, Why::ReadsFrom);
            }
        }
        v
    }

    /// What client `c`'s view needs: every write and `c`'s own operations. Another
    /// client's reads are left out, their orders kept: each of its writes comes after its
    /// previous write and after the writes its reads since then returned. (Reachability
    /// between the operations kept is the same; the reasons are not, so a cycle found here
    /// is explained on the whole view.)
    fn client(p: &Prepared, c: usize) -> View {
        let ops = (0..p.h.ops.len())
            .filter(|&i| p.live[i] && (!p.is_read(i) || p.client[i] == c))
            .collect();
        let mut v = View::new(p, ops);
        for (q, mine) in p.per_client.iter().enumerate() {
            if q == c {
                for w in mine.windows(2) {
                    v.edge(w[0], w[1], Why::Program);
                }
                for &r in mine {
                    if let Some(w) = p.source[r] {
                        v.edge(w, r, Why::ReadsFrom);
                    }
                }
                continue;
            }
            let mut before: Vec<OpId> = Vec::new();
            for &o in mine {
                if p.is_read(o) {
                    before.extend(p.source[o]);
                } else {
                    for &b in &before {
                        v.edge(b, o, Why::Program);
                    }
                    before.clear();
                    before.push(o);
                }
            }
        }
        v
    }
}

/// A topological order of the graph, or the nodes left on or after a cycle.
fn topo(g: &Graph) -> Result<Vec<usize>, Vec<bool>> {
    let n = g.len();
    let mut indeg = vec![0usize; n];
    for edges in g {
        for &(to, _) in edges {
            indeg[to] += 1;
        }
    }
    let mut queue: VecDeque<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(v) = queue.pop_front() {
        order.push(v);
        for &(to, _) in &g[v] {
            indeg[to] -= 1;
            if indeg[to] == 0 {
                queue.push_back(to);
            }
        }
    }
    if order.len() == n {
        Ok(order)
    } else {
        Err((0..n).map(|v| indeg[v] > 0).collect())
    }
}

/// A shortest cycle among the `left` nodes (each has a predecessor among them): the
/// nodes in order, each with the reason it comes before the next.
fn cycle(g: &Graph, left: &[bool]) -> Vec<(usize, Why)> {
    let n = g.len();
    let mut preds: Vec<Option<usize>> = vec![None; n];
    for (v, edges) in g.iter().enumerate() {
        if left[v] {
            for &(to, _) in edges {
                if left[to] && preds[to].is_none() {
                    preds[to] = Some(v);
                }
            }
        }
    }
    // Walk back from a left node until a node repeats: it is on a cycle.
    let mut v = left.iter().position(|&l| l).expect("a cycle");
    let mut visited = vec![false; n];
    while !visited[v] {
        visited[v] = true;
        v = preds[v].expect("every node left has a predecessor left");
    }
    // The shortest way back from `v` to itself.
    let mut from: Vec<Option<(usize, Why)>> = vec![None; n];
    let mut queue = VecDeque::from([v]);
    let mut seen = vec![false; n];
    seen[v] = true;
    'bfs: while let Some(u) = queue.pop_front() {
        for &(to, why) in &g[u] {
            if !left[to] {
                continue;
            }
            if to == v {
                from[v] = Some((u, why));
                break 'bfs;
            }
            if !seen[to] {
                seen[to] = true;
                from[to] = Some((u, why));
                queue.push_back(to);
            }
        }
    }
    let mut out = Vec::new();
    let mut at = v;
    loop {
        let (u, why) = from[at].expect("the way back");
        out.push((u, why));
        at = u;
        if at == v {
            break;
        }
    }
    out.reverse();
    out
}

fn has(reach: &[u64], words: usize, from: usize, to: usize) -> bool {
    reach[from * words + to / 64] & (1 << (to % 64)) != 0
}

/// Saturate client `c`'s view (its `reads`, `by_client`: per key, per client, the writes
/// in order) until nothing changes. Fails with a cycle (operations and reasons).
fn saturate(
    p: &Prepared,
    v: &mut View,
    reads: &[OpId],
    by_client: &[Vec<Vec<OpId>>],
) -> Result<(), Vec<(OpId, Why)>> {
    let n = v.ops.len();
    let words = n.div_ceil(64);
    loop {
        let order = match topo(&v.g) {
            Ok(order) => order,
            Err(left) => {
                return Err(cycle(&v.g, &left)
                    .into_iter()
                    .map(|(k, why)| (v.ops[k], why))
                    .collect())
            }
        };
        // reach[x]: what comes after x.
        let mut reach = vec![0u64; n * words];
        for &x in order.iter().rev() {
            for &(to, _) in &v.g[x] {
                let (a, b) = if x < to {
                    let (lo, hi) = reach.split_at_mut(to * words);
                    (&mut lo[x * words..(x + 1) * words], &hi[..words])
                } else {
                    let (lo, hi) = reach.split_at_mut(x * words);
                    (&mut hi[..words], &lo[to * words..(to + 1) * words])
                };
                for (x, y) in a.iter_mut().zip(b) {
                    *x |= y;
                }
                a[to / 64] |= 1 << (to % 64);
            }
        }
        let reaches = |a: OpId, b: OpId| has(&reach, words, v.at(a), v.at(b));
        let mut added: Vec<(OpId, OpId, Why)> = Vec::new();
        for &r in reads {
            let w = p.source[r];
            // Per client, its writes to the key: those before `r` are a prefix and
            // those after `w` a suffix (same-client order), so one edge to the last
            // of the prefix and one from the first of the suffix imply the others.
            for mine in &by_client[p.key[r]] {
                let last_before = mine
                    .partition_point(|&o| reaches(o, r))
                    .checked_sub(1)
                    .map(|k| mine[k]);
                let first_after = match w {
                    None => mine.first().copied(),
                    Some(w) => mine.get(mine.partition_point(|&o| !reaches(w, o))).copied(),
                };
                if let (Some(o), Some(w)) = (last_before, w) {
                    if o != w && !reaches(o, w) {
                        added.push((o, w, Why::Overwritten { read: r }));
                    }
                }
                if let Some(o) = first_after {
                    if Some(o) != w && !reaches(r, o) {
                        added.push((r, o, Why::Later { write: w }));
                    }
                }
            }
        }
        if added.is_empty() {
            return Ok(());
        }
        for (a, b, why) in added {
            v.edge(a, b, why);
        }
    }
}

pub(crate) fn check(p: &Prepared) -> Verdict {
    let whole = View::whole(p);
    if let Err(left) = topo(&whole.g) {
        let cycle: Vec<(OpId, Why)> = cycle(&whole.g, &left)
            .into_iter()
            .map(|(k, why)| (whole.ops[k], why))
            .collect();
        return Verdict::Violated(explain(p, None, &cycle));
    }
    // Per key, per client: the client's writes to the key, in its order.
    let by_client: Vec<Vec<Vec<OpId>>> = p
        .writes
        .iter()
        .map(|ws| {
            let mut groups: Vec<Vec<OpId>> = Vec::new();
            let mut at = super::prep::IdMap::new();
            for &o in ws {
                let g = *at.entry(p.client[o] as u64).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[g].push(o);
            }
            groups
        })
        .collect();
    for (c, mine) in p.per_client.iter().enumerate() {
        let reads: Vec<OpId> = mine.iter().copied().filter(|&i| p.is_read(i)).collect();
        if reads.is_empty() {
            continue;
        }
        let mut small = View::client(p, c);
        if saturate(p, &mut small, &reads, &by_client).is_err() {
            // Again on the whole view, for the reasons of each step of the cycle.
            let mut v = View::whole(p);
            let cycle = saturate(p, &mut v, &reads, &by_client)
                .expect_err("the whole view has the same cycle");
            return Verdict::Violated(explain(p, Some(c), &cycle));
        }
    }
    Verdict::Holds
}

fn explain(p: &Prepared, client: Option<usize>, cycle: &[(usize, Why)]) -> Explanation {
    let ops: Vec<OpId> = cycle.iter().map(|&(v, _)| v).collect();
    let mut steps = Vec::new();
    for (k, &(v, why)) in cycle.iter().enumerate() {
        let to = cycle[(k + 1) % cycle.len()].0;
        let reason = match why {
            Why::Program => "same client, earlier".to_string(),
            Why::ReadsFrom => format!("#{to} read the value it wrote"),
            Why::Overwritten { read } => format!(
                "#{read}, which comes after #{v}, read the value #{to} wrote, so #{v} was overwritten by #{to}"
            ),
            Why::Later { write: Some(w) } => format!(
                "#{v} read the value of #{w}, which #{to} overwrites, so #{to} comes after #{v}"
            ),
            Why::Later { write: None } => {
                format!("#{v} read nil, so every write of its key comes after it")
            }
        };
        steps.push(format!("{} before #{to} ({reason})", p.describe(v)));
    }
    let whose = match client {
        Some(c) => {
            let client = p.clients[c];
            let name = p
                .names
                .get(&client)
                .cloned()
                .unwrap_or_else(|| format!("client {client}"));
            format!("{name} can see the operations in no order respecting causality")
        }
        None => "the causal order has a cycle".to_string(),
    };
    let keys: Vec<usize> = ops.iter().map(|&i| p.key[i]).collect();
    let key = keys
        .iter()
        .all(|&k| k == keys[0])
        .then(|| p.keys[keys[0]].clone());
    Explanation {
        ops,
        prefix: Vec::new(),
        key,
        message: format!(
            "Not causal: {whose}; each of these must come before the next, in a cycle: {}.",
            steps.join("; ")
        ),
    }
}
