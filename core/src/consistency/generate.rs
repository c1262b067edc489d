//! Random register histories: clients using an atomic register store (so the history is
//! linearizable), optionally with stale reads, failed and pending operations mixed in.
//! For benchmarks, tests and demonstrations.

use crate::history::{History, Op, OpKind, Outcome};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How to make a history.
#[derive(Clone, Debug)]
pub struct Shape {
    /// Operations in all.
    pub ops: usize,
    /// Clients working at once (a client whose operation stays pending is replaced by a
    /// new one, as Jepsen does, so there may be more in the history).
    pub clients: u32,
    pub keys: u32,
    /// The chance that a read returns an older value of its key instead of the current one
    /// (breaking linearizability).
    pub stale: f64,
    /// The chance that an operation stays pending (a pending write takes effect or not,
    /// at random).
    pub pending: f64,
    /// The chance that a write fails (takes no effect).
    pub fail: f64,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            ops: 100,
            clients: 5,
            keys: 3,
            stale: 0.0,
            pending: 0.0,
            fail: 0.0,
        }
    }
}

/// A random history of `shape`, the same for the same seed. Each operation lasts 1 to 20
/// time units and takes effect at a random instant inside that interval.
pub fn history(seed: u64, shape: &Shape) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let keys = shape.keys.max(1);
    // Per slot: the client working there and when it is free.
    let mut slots: Vec<(u32, u64)> = (0..shape.clients.max(1)).map(|c| (c, 0)).collect();
    let mut next_client = slots.len() as u32;
    // Each operation with the instant it takes effect (None: never).
    let mut ops: Vec<(Op, Option<u64>)> = Vec::with_capacity(shape.ops);
    let mut next_value = 1u64;
    for _ in 0..shape.ops {
        let s = (0..slots.len())
            .min_by_key(|&s| (slots[s].1, s))
            .expect("a slot");
        let (client, free) = slots[s];
        let invoke = free + rng.random_range(1..=5u64);
        let complete = invoke + rng.random_range(0..20u64);
        let at = rng.random_range(invoke..=complete);
        let key = format!("k{}", rng.random_range(0..keys));
        let write = rng.random_bool(0.5);
        let mut op = Op {
            client,
            key: key.into(),
            kind: if write { OpKind::Write } else { OpKind::Read },
            value: None,
            invoke,
            complete: Some(complete),
            outcome: Outcome::Ok,
        };
        let mut effect = Some(at);
        if write {
            op.value = Some(next_value);
            next_value += 1;
        }
        if rng.random_bool(shape.pending) {
            op.complete = None;
            op.outcome = Outcome::Pending;
            if !write || rng.random_bool(0.5) {
                effect = None;
            }
            slots[s] = (next_client, complete);
            next_client += 1;
        } else {
            if write && rng.random_bool(shape.fail) {
                op.outcome = Outcome::Fail;
                effect = None;
            }
            slots[s].1 = complete;
        }
        ops.push((op, effect));
    }
    // Apply the effects in order, to give each read its value.
    let mut order: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].1.is_some()).collect();
    order.sort_by_key(|&i| (ops[i].1, i));
    let mut regs: std::collections::HashMap<String, Vec<u64>> = Default::default();
    for i in order {
        let key = ops[i].0.key.to_string();
        let seen = regs.entry(key).or_default();
        let op = &mut ops[i].0;
        if op.kind == OpKind::Write {
            seen.push(op.value.expect("a value"));
        } else if op.outcome == Outcome::Ok {
            op.value = if !seen.is_empty() && rng.random_bool(shape.stale) {
                Some(seen[rng.random_range(0..seen.len())])
            } else {
                seen.last().copied()
            };
        }
    }
    let mut ops: Vec<Op> = ops.into_iter().map(|(op, _)| op).collect();
    for op in &mut ops {
        if op.kind == OpKind::Read && op.outcome != Outcome::Ok {
            op.value = None;
        }
    }
    ops.sort_by_key(|o| o.invoke);
    History { ops }
}
