//! Sequential consistency: a bounded search for one order of all operations that keeps
//! each client's order and is legal for the registers.
//!
//! The problem is NP-complete (Gibbons and Korach 1997), so the search has a budget and
//! may answer "unknown". It is a depth-first search over configurations (each client's
//! position, each register's value), memoised on a 128-bit fingerprint of the
//! configuration (so a configuration found to lead nowhere is not searched again). Three
//! things keep it small: a read that can run (the register holds what it returned) is
//! taken at once, which never loses a solution (it changes no register and only lets its
//! client go on); a write never overwrites a value that a read still to come returned
//! (values are unique, so that value would never come back); and the writes are tried in
//! an order that follows real time where it can (first those invoked before every
//! client's next operation completes, as a linearization would take them; among them
//! first those a blocked read waits for), so a history that is close to linearizable is
//! ordered with little backtracking. A pending write is an ordinary write here: when the
//! rest is ordered it can always come last, which is the same as never.

use super::prep::IdMap;
use super::prep::{value_text, Prepared};
use super::{Explanation, Verdict};
use crate::history::OpId;
use std::collections::HashSet;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 128-bit hash of one component of the configuration (`tag` tells clients and
/// registers apart).
fn part(tag: u64, index: usize, value: u64) -> u128 {
    let a = mix(tag ^ mix(index as u64 ^ mix(value)));
    let b = mix(a ^ 0xD6E8_FEB8_6659_FD93);
    ((a as u128) << 64) | b as u128
}

fn reg_code(v: Option<u64>) -> u64 {
    v.map_or(0, |v| v.wrapping_add(1))
}

struct State<'p, 'h> {
    p: &'p Prepared<'h>,
    pos: Vec<usize>,
    regs: Vec<Option<u64>>,
    fingerprint: u128,
    /// Reads not yet taken, by the value they returned.
    want: IdMap,
    /// Reads of nil not yet taken, by key.
    want_nil: Vec<usize>,
}

impl State<'_, '_> {
    fn next_op(&self, c: usize) -> Option<OpId> {
        self.p.per_client[c].get(self.pos[c]).copied()
    }

    /// Take client `c`'s next operation; returns the register's value before.
    fn apply(&mut self, c: usize) -> Option<u64> {
        let i = self.p.per_client[c][self.pos[c]];
        let k = self.p.key[i];
        let before = self.regs[k];
        self.set_pos(c, self.pos[c] + 1);
        if self.p.is_read(i) {
            *self.wanted(i) -= 1;
        } else {
            self.set_reg(k, self.p.h.ops[i].value);
        }
        before
    }

    fn undo(&mut self, c: usize, before: Option<u64>) {
        self.set_pos(c, self.pos[c] - 1);
        let i = self.p.per_client[c][self.pos[c]];
        if self.p.is_read(i) {
            *self.wanted(i) += 1;
        } else {
            self.set_reg(self.p.key[i], before);
        }
    }

    /// The count of reads not yet taken that returned what read `i` returned.
    fn wanted(&mut self, i: OpId) -> &mut usize {
        match self.p.h.ops[i].value {
            Some(v) => self.want.entry(v).or_default(),
            None => &mut self.want_nil[self.p.key[i]],
        }
    }

    /// Whether a write to key `k` may run now: values are unique, so once overwritten a
    /// value never comes back, and no read still to come may want the current one.
    fn may_overwrite(&self, k: usize) -> bool {
        match self.regs[k] {
            Some(v) => self.want.get(&v).is_none_or(|&n| n == 0),
            None => self.want_nil[k] == 0,
        }
    }

    fn set_pos(&mut self, c: usize, to: usize) {
        self.fingerprint = self
            .fingerprint
            .wrapping_sub(part(1, c, self.pos[c] as u64))
            .wrapping_add(part(1, c, to as u64));
        self.pos[c] = to;
    }

    fn set_reg(&mut self, k: usize, to: Option<u64>) {
        self.fingerprint = self
            .fingerprint
            .wrapping_sub(part(2, k, reg_code(self.regs[k])))
            .wrapping_add(part(2, k, reg_code(to)));
        self.regs[k] = to;
    }

    /// Whether client `c`'s next operation is a read that can run now.
    fn read_ready(&self, c: usize) -> bool {
        self.next_op(c)
            .is_some_and(|i| self.p.is_read(i) && self.regs[self.p.key[i]] == self.p.h.ops[i].value)
    }
}

/// One level of the search: the operations taken on entering it (a write, then the
/// reads that could run), and the writes to try next.
struct Frame {
    taken: Vec<(usize, Option<u64>)>,
    choices: Vec<usize>,
    tried: usize,
}

pub(crate) fn check(p: &Prepared, budget: u64) -> Verdict {
    let clients = p.per_client.len();
    let mut s = State {
        p,
        pos: vec![0; clients],
        regs: vec![None; p.keys.len()],
        fingerprint: 0,
        want: IdMap::new(),
        want_nil: vec![0; p.keys.len()],
    };
    for ops in &p.per_client {
        for &i in ops {
            if p.is_read(i) {
                *s.wanted(i) += 1;
            }
        }
    }
    for c in 0..clients {
        s.fingerprint = s.fingerprint.wrapping_add(part(1, c, 0));
    }
    for k in 0..p.keys.len() {
        s.fingerprint = s.fingerprint.wrapping_add(part(2, k, reg_code(None)));
    }
    let total: usize = p.per_client.iter().map(Vec::len).sum();
    let mut done = 0usize;
    let mut steps = 0u64;
    let mut seen: HashSet<u128> = HashSet::new();
    let mut stack: Vec<Frame> = Vec::new();
    // The deepest dead end: the order up to it and the register values there.
    let mut best: Option<DeadEnd> = None;
    // Entering a level: take the ready reads, then list the writes to try.
    let mut entering: Option<Vec<(usize, Option<u64>)>> = Some(Vec::new());
    loop {
        if let Some(mut taken) = entering.take() {
            loop {
                let ready: Vec<usize> = (0..clients).filter(|&c| s.read_ready(c)).collect();
                if ready.is_empty() {
                    break;
                }
                for c in ready {
                    while s.read_ready(c) {
                        let before = s.apply(c);
                        taken.push((c, before));
                        done += 1;
                        steps += 1;
                    }
                }
            }
            if done == total {
                return Verdict::Holds;
            }
            if steps > budget {
                return Verdict::Unknown {
                    reason: format!(
                        "budget exceeded: the search stopped after {budget} steps \
                         (sequential consistency is NP-complete to check)"
                    ),
                };
            }
            let mut choices = Vec::new();
            if seen.insert(s.fingerprint) {
                // Writes that real time allows next first (see below), among them those
                // whose value a blocked read waits for, then by invocation.
                // A few values at most (one a client): a list will do.
                let wanted: Vec<u64> = (0..clients)
                    .filter_map(|c| s.next_op(c))
                    .filter(|&i| p.is_read(i))
                    .filter_map(|i| p.h.ops[i].value)
                    .collect();
                choices = (0..clients)
                    .filter(|&c| {
                        s.next_op(c)
                            .is_some_and(|i| !p.is_read(i) && s.may_overwrite(p.key[i]))
                    })
                    .collect();
                // Real time as a guide: the earliest completion among the clients'
                // next operations; writes invoked after it come last.
                let horizon = (0..clients)
                    .filter_map(|c| s.next_op(c))
                    .map(|i| p.h.ops[i].complete.unwrap_or(u64::MAX))
                    .min()
                    .unwrap_or(u64::MAX);
                // The keys are distinct (each ends with the client's own next operation),
                // so an unstable sort gives the same order; sorted as the linearizability
                // search sorts its events (one sort in the program, not two).
                let mut keyed: Vec<(u64, u8, usize)> = choices
                    .iter()
                    .map(|&c| {
                        let i = s.next_op(c).unwrap_or(0);
                        let v = p.h.ops[i].value.unwrap_or(0);
                        let late = p.h.ops[i].invoke > horizon;
                        (u64::from(late), u8::from(!wanted.contains(&v)), i)
                    })
                    .collect();
                keyed.sort_unstable();
                choices = keyed.into_iter().map(|(_, _, i)| p.client[i]).collect();
                if choices.is_empty() && best.as_ref().is_none_or(|b| done > b.0.len()) {
                    let order: Vec<OpId> = stack
                        .iter()
                        .flat_map(|f| f.taken.iter())
                        .chain(taken.iter())
                        .map(|&(c, _)| c)
                        .collect();
                    best = Some((order, s.regs.clone(), s.pos.clone()));
                }
            }
            stack.push(Frame {
                taken,
                choices,
                tried: 0,
            });
        }
        let Some(top) = stack.last_mut() else {
            unreachable!("the search always has a level")
        };
        if top.tried < top.choices.len() {
            let c = top.choices[top.tried];
            top.tried += 1;
            let before = s.apply(c);
            done += 1;
            steps += 1;
            entering = Some(vec![(c, before)]);
            continue;
        }
        let frame = stack.pop().expect("a level");
        for &(c, before) in frame.taken.iter().rev() {
            s.undo(c, before);
            done -= 1;
        }
        if stack.is_empty() {
            return Verdict::Violated(explain(p, best));
        }
    }
}

/// The deepest dead end of the search: the clients in the order their operations were
/// taken, the registers there and each client's position.
type DeadEnd = (Vec<usize>, Vec<Option<u64>>, Vec<usize>);

fn explain(p: &Prepared, best: Option<DeadEnd>) -> Explanation {
    let (order, regs, pos) = best.unwrap_or_else(|| {
        (
            Vec::new(),
            vec![None; p.keys.len()],
            vec![0; p.per_client.len()],
        )
    });
    let mut at = vec![0usize; p.per_client.len()];
    let prefix: Vec<OpId> = order
        .iter()
        .map(|&c| {
            at[c] += 1;
            p.per_client[c][at[c] - 1]
        })
        .collect();
    let stuck: Vec<OpId> = (0..p.per_client.len())
        .filter_map(|c| p.per_client[c].get(pos[c]).copied())
        .collect();
    let reasons: Vec<String> = stuck
        .iter()
        .map(|&i| {
            let k = p.key[i];
            if p.is_read(i) {
                return format!(
                    "{} returned {} but {} holds {}",
                    p.describe(i),
                    p.value(i),
                    p.keys[k],
                    value_text(regs[k])
                );
            }
            // A write is blocked by a read still to come of the value it would overwrite.
            let reader = (0..p.per_client.len())
                .flat_map(|c| p.per_client[c][pos[c]..].iter().copied())
                .find(|&j| p.is_read(j) && p.key[j] == k && p.h.ops[j].value == regs[k]);
            match reader {
                Some(j) => format!(
                    "{} would overwrite {}={}, which {} has yet to return",
                    p.describe(i),
                    p.keys[k],
                    value_text(regs[k]),
                    p.describe(j)
                ),
                None => format!("{} leads to no order of the rest", p.describe(i)),
            }
        })
        .collect();
    let after = if prefix.is_empty() {
        "at the start".to_string()
    } else {
        format!("after the longest legal order found, {}", p.list(&prefix))
    };
    Explanation {
        ops: stuck,
        prefix,
        key: None,
        message: format!(
            "No order of all operations keeps each client's order and every read's value: \
             {after}, no client can go on: {}.",
            reasons.join("; ")
        ),
    }
}
