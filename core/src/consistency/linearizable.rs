//! Linearizability, key by key: the Wing and Gong (1993) search with Lowe's (2017)
//! memoisation, over the list of invocation and response events of one key as Porcupine
//! lays it out (Horn and Kroening 2015).
//!
//! The events are sorted by time, an invocation before a response at the same time (real
//! time orders two operations only when one completed strictly before the other was
//! invoked), except a *chained* invocation (its client's previous operation completed at
//! that instant), which comes after the responses. Walking the list from its head, an operation whose invocation comes before the
//! first response still in the list can take effect next; if it can (a write always can, a
//! read when the register holds what it returned) and the configuration it leads to
//! (operations linearized, register value) was never explored, both its events are taken
//! out of the list and the walk restarts at the head. Reaching a response means that
//! operation should have taken effect by then: the last choice is undone. A pending write's
//! response is at the end of time, so it can take effect anywhere after its invocation;
//! when everything else is linearized it can always come last, which is the same as never.

use super::prep::{value_text, Prepared};
use super::{Explanation, Verdict};
use crate::history::{OpId, OpKind};
use std::collections::HashSet;

/// Keys with at most this many operations have a violation shrunk to a minimal set.
pub const SHRINK_LIMIT: usize = 64;

/// The budget of each search while shrinking.
const SHRINK_BUDGET: u64 = 200_000;

/// What the search of one key found.
pub(crate) enum Search {
    Linearizable,
    /// The longest legal order found (local indices), the register's value after it, and
    /// the operations that could come next, none of which leads to a linearization.
    Not {
        prefix: Vec<usize>,
        state: Option<u64>,
        stuck: Vec<usize>,
    },
    Budget,
}

/// One operation of the key being searched.
#[derive(Clone, Copy)]
pub(crate) struct KeyOp {
    pub write: bool,
    pub value: Option<u64>,
    pub invoke: u64,
    /// `u64::MAX` for a pending write.
    pub complete: u64,
    /// Invoked at the instant its client's previous operation completed: after every
    /// completion at that instant.
    pub chained: bool,
}

/// Search one key's operations for a linearization, within `budget` steps (operations
/// tried).
pub(crate) fn search(ops: &[KeyOp], budget: u64) -> Search {
    let m = ops.len();
    // Nodes: 0 the head, 1..=2m the events, 2m+1 the end.
    let end = 2 * m + 1;
    let mut events: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * m);
    for (j, o) in ops.iter().enumerate() {
        // See `prep::chained`: a chained invocation comes after the other responses of
        // its instant, and its own response (if at the same instant) after it.
        events.push((o.invoke, if o.chained { 2 } else { 0 }, j));
        let own = o.chained && o.complete == o.invoke;
        events.push((o.complete, if own { 3 } else { 1 }, j));
    }
    events.sort_unstable();
    let mut next: Vec<usize> = (1..=end + 1).collect();
    let mut prev: Vec<usize> = (0..=end).map(|i| i.saturating_sub(1)).collect();
    next[end] = end;
    // For each node: the operation, whether it is a call, and the node of its response.
    let mut op_of = vec![0usize; end + 1];
    let mut is_call = vec![false; end + 1];
    let mut ret_of_op = vec![0usize; m];
    for (pos, &(_, kind, j)) in events.iter().enumerate() {
        let node = pos + 1;
        op_of[node] = j;
        is_call[node] = kind % 2 == 0;
        if kind % 2 == 1 {
            ret_of_op[j] = node;
        }
    }
    let words = m.div_ceil(64);
    let mut linearized = vec![0u64; words];
    let mut seen: HashSet<(Vec<u64>, Option<u64>)> = HashSet::new();
    // The calls taken, with the register's value before each.
    let mut calls: Vec<(usize, Option<u64>)> = Vec::new();
    let mut state: Option<u64> = None;
    let mut best: Option<(Vec<usize>, Option<u64>, Vec<usize>)> = None;
    let mut steps = 0u64;
    let mut entry = next[0];
    loop {
        if next[0] == end {
            return Search::Linearizable;
        }
        let j = op_of[entry];
        if is_call[entry] {
            steps += 1;
            if steps > budget {
                return Search::Budget;
            }
            let o = &ops[j];
            let (ok, new_state) = if o.write {
                (true, o.value)
            } else {
                (state == o.value, state)
            };
            if ok {
                linearized[j / 64] |= 1 << (j % 64);
                if seen.insert((linearized.clone(), new_state)) {
                    calls.push((entry, state));
                    state = new_state;
                    // Lift the call and its response out of the list.
                    for node in [entry, ret_of_op[j]] {
                        next[prev[node]] = next[node];
                        prev[next[node]] = prev[node];
                    }
                    entry = next[0];
                    continue;
                }
                linearized[j / 64] &= !(1 << (j % 64));
            }
            entry = next[entry];
        } else {
            // `j` had to take effect before its response: undo the last choice.
            if best.as_ref().is_none_or(|b| calls.len() > b.0.len()) {
                let prefix = calls.iter().map(|&(e, _)| op_of[e]).collect();
                let mut stuck = Vec::new();
                let mut e = next[0];
                while e != end && is_call[e] {
                    stuck.push(op_of[e]);
                    e = next[e];
                }
                best = Some((prefix, state, stuck));
            }
            let Some((call, before)) = calls.pop() else {
                let (prefix, state, stuck) = best.unwrap_or_default();
                return Search::Not {
                    prefix,
                    state,
                    stuck,
                };
            };
            let c = op_of[call];
            linearized[c / 64] &= !(1 << (c % 64));
            state = before;
            for node in [ret_of_op[c], call] {
                next[prev[node]] = node;
                prev[next[node]] = node;
            }
            entry = next[call];
        }
    }
}

fn key_ops(p: &Prepared, ids: &[OpId]) -> Vec<KeyOp> {
    ids.iter()
        .map(|&i| {
            let o = &p.h.ops[i];
            KeyOp {
                write: o.kind == OpKind::Write,
                value: o.value,
                invoke: o.invoke,
                complete: o.complete.unwrap_or(u64::MAX),
                chained: p.chained[i],
            }
        })
        .collect()
}

/// Linearizability of the whole history: each key alone, each with `budget` steps.
pub(crate) fn check(p: &Prepared, budget: u64) -> Verdict {
    let mut per_key: Vec<Vec<OpId>> = vec![Vec::new(); p.keys.len()];
    for i in 0..p.h.ops.len() {
        if p.live[i] {
            per_key[p.key[i]].push(i);
        }
    }
    let mut unknown = Vec::new();
    for (k, ids) in per_key.iter().enumerate() {
        match search(&key_ops(p, ids), budget) {
            Search::Linearizable => {}
            Search::Budget => unknown.push(p.keys[k].to_string()),
            Search::Not { .. } => return Verdict::Violated(explain(p, k, ids, budget)),
        }
    }
    if unknown.is_empty() {
        Verdict::Holds
    } else {
        Verdict::Unknown {
            reason: format!(
                "budget exceeded: the search for key{} {} stopped after {budget} steps",
                if unknown.len() > 1 { "s" } else { "" },
                unknown.join(", ")
            ),
        }
    }
}

/// Explain why key `k` (operations `ids`) is not linearizable: shrink the operations to a
/// minimal failing set when there are few, then give the longest order found and the
/// operations none of which can follow it.
fn explain(p: &Prepared, k: usize, ids: &[OpId], budget: u64) -> Explanation {
    let mut kept: Vec<OpId> = ids.to_vec();
    if ids.len() <= SHRINK_LIMIT {
        let mut i = 0;
        while i < kept.len() {
            let gone = kept[i];
            // Dropping a write drops the reads that saw it (else they read thin air).
            let trial: Vec<OpId> = kept
                .iter()
                .copied()
                .filter(|&o| o != gone && p.source[o] != Some(gone))
                .collect();
            if matches!(
                search(&key_ops(p, &trial), SHRINK_BUDGET),
                Search::Not { .. }
            ) {
                kept = trial;
            } else {
                i += 1;
            }
        }
    }
    let Search::Not {
        prefix,
        state,
        stuck,
    } = search(&key_ops(p, &kept), budget.max(SHRINK_BUDGET))
    else {
        unreachable!("a failing set of operations fails again")
    };
    let prefix: Vec<OpId> = prefix.into_iter().map(|j| kept[j]).collect();
    let stuck: Vec<OpId> = stuck.into_iter().map(|j| kept[j]).collect();
    let key = &p.keys[k];
    let minimal = if ids.len() <= SHRINK_LIMIT {
        format!(
            "these {} operations cannot be ordered (none can be left out): {}. ",
            kept.len(),
            p.list(&kept)
        )
    } else {
        String::new()
    };
    let after = if prefix.is_empty() {
        "At the start".to_string()
    } else {
        format!(
            "The longest legal order found is {}; after it",
            p.list(&prefix)
        )
    };
    let reasons: Vec<String> = stuck
        .iter()
        .map(|&i| {
            if p.is_read(i) {
                format!(
                    "{} returned {} but {key} holds {}",
                    p.describe(i),
                    p.value(i),
                    value_text(state)
                )
            } else {
                format!("{} leads to no order of the rest", p.describe(i))
            }
        })
        .collect();
    let message = format!(
        "Key {key} is not linearizable: {minimal}{after}, nothing can take effect next \
         in real-time order: {}.",
        reasons.join("; ")
    );
    Explanation {
        ops: stuck,
        prefix,
        key: Some(key.clone()),
        message,
    }
}
