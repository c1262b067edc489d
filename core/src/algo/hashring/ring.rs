//! Hashing and the ring: pure functions of names and membership, also used by the view,
//! the benches and the tests. Everything below can be recomputed outside the simulator
//! from this description.
//!
//! **Hash.** A string's position on the ring, [`hash_key`], is a `u64` (the ring is the
//! whole `u64` range, 0 at the top, growing clockwise, wrapping at 2^64):
//!
//! 1. FNV-1a 64 over the string's UTF-8 bytes: start from the offset basis
//!    `h = 0xcbf2_9ce4_8422_2325`; for each byte `b`: `h ^= b`, then
//!    `h = h * 0x0000_0100_0000_01b3` (mod 2^64). No length prefix, no terminator.
//! 2. The splitmix64 finalizer ([`mix64`]) on the result, so that names differing in one
//!    character spread over the whole ring (all products mod 2^64, `>>` logical):
//!    `z = (z ^ (z >> 30)) * 0xbf58_476d_1ce4_e5b9`;
//!    `z = (z ^ (z >> 27)) * 0x94d0_49bb_1331_11eb`;
//!    `z ^ (z >> 31)`.
//!
//! Only `u64` arithmetic, so the value is the same natively and in WebAssembly. Checked
//! values (in `core/tests/hashring.rs`): `hash("") = 0xf52a15e9a9b5e89b`,
//! `hash("k0001") = 0xc83f7947fc99b873` (FNV-1a alone: `0x8bbc74384ca55ddd`),
//! `hash("n1#0") = 0xe73b9b96754f50a4`.
//!
//! **Names.** Storage node `NodeId(i)` is named `n{i+1}` (`n1`, `n2`, ...; the coordinator,
//! after them, is not on the ring). Its virtual nodes are numbered from 0 and named
//! `n{i+1}#{j}` in decimal without padding: `n3#0`, `n3#7`, `n3#12` ([`vnode_hash`]). A node
//! of weight `w` with `v` virtual nodes per weight unit has `w * v` of them, `#0` to
//! `#(w*v - 1)`. Keys are `k` and their number from 1, zero-padded to at least four digits:
//! `k0001`, `k0042`, `k12345` ([`key_name`]).
//!
//! **Placement.** The [`Ring`] is the list of every member's virtual nodes sorted by
//! position (ties, if any, by node then by number). A key with hash `h` belongs first to
//! the virtual node at the first position `>= h`, wrapping to the lowest position past the
//! last ([`Ring::successor`]). Its preference list (its `R` owners) walks the ring clockwise
//! from there and keeps the first `R` distinct physical nodes, skipping further virtual
//! nodes of a node already kept ([`Ring::preference`]); the first is the primary owner.
//!
//! **Against `hash mod N`.** [`mod_n_moved`] counts the keys that would change node if each
//! key went to `members[h % N]`, members sorted by number, when the membership changes.

use super::types::MAX_PHYSICAL;
use crate::collections::VecMap;
use crate::hash::Fnv64;
use crate::sim::NodeId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// splitmix64's finalizer: spreads the bits of `z`.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The ring position of a byte string: FNV-1a 64, then [`mix64`].
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = Fnv64::default();
    h.update(bytes);
    mix64(h.finish())
}

/// The ring position of a key.
pub fn hash_key(key: &str) -> u64 {
    hash_bytes(key.as_bytes())
}

/// The ring position of virtual node `i` of physical node `n` (`hash("n3#7")`).
pub fn vnode_hash(n: NodeId, i: u32) -> u64 {
    let mut h = vnode_prefix(n);
    h.update(decimal(i).as_ref());
    mix64(h.finish())
}

/// FNV-1a over a virtual node's name up to its number (`n3#`): each of the node's names
/// goes on from there.
fn vnode_prefix(n: NodeId) -> Fnv64 {
    let mut h = Fnv64::default();
    h.update(b"n");
    h.update(decimal(n.0.saturating_add(1)).as_ref());
    h.update(b"#");
    h
}

/// The decimal digits of `x`, without padding (what `{x}` writes).
fn decimal(mut x: u32) -> Digits {
    let mut d = Digits([0; 10], 10);
    loop {
        d.1 -= 1;
        d.0[d.1] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            return d;
        }
    }
}

/// Up to ten digits, the first at `.1`.
struct Digits([u8; 10], usize);

impl AsRef<[u8]> for Digits {
    fn as_ref(&self) -> &[u8] {
        &self.0[self.1..]
    }
}

/// The name of the `i`-th key (from 1): `k0001`, `k0002`, ...
pub fn key_name(i: u32) -> String {
    format!("k{i:04}")
}

/// A virtual node: its position on the ring, its physical node and its number there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VNode {
    pub pos: u64,
    pub node: NodeId,
    pub index: u32,
}

/// The ring: virtual nodes sorted by position.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ring {
    pub vnodes: Vec<VNode>,
}

impl Ring {
    /// The ring of `members` (node -> weight), `vnodes` virtual nodes per weight unit.
    pub fn build(members: &VecMap<NodeId, u32>, vnodes: u32) -> Ring {
        // Weights and counts are validated (at most 80 x 8 x 500 positions), but this is
        // public: saturate rather than wrap, and reserve at most what is validated.
        let total: u64 = members
            .values()
            .map(|w| u64::from(*w) * u64::from(vnodes))
            .sum();
        let mut v = Vec::with_capacity(total.min(u64::from(MAX_PHYSICAL * 8 * 500)) as usize);
        for (&node, &w) in members {
            push_vnodes(&mut v, node, w.saturating_mul(vnodes));
        }
        v.sort_unstable();
        Ring { vnodes: v }
    }

    /// This ring with `count` virtual nodes of `node` (not yet on it) added: the same ring
    /// as [`Ring::build`] of the members with `node`, its new positions merged in.
    pub fn with_node(&self, node: NodeId, count: u32) -> Ring {
        let mut new = Vec::with_capacity(count.min(8 * 500) as usize);
        push_vnodes(&mut new, node, count);
        new.sort_unstable();
        let mut v = Vec::with_capacity(self.vnodes.len() + new.len());
        let (mut a, mut b) = (self.vnodes.iter().peekable(), new.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if **x <= *y => a.next().copied(),
                (_, Some(_)) => b.next(),
                (Some(_), None) => a.next().copied(),
                (None, None) => break,
            };
            v.extend(next);
        }
        Ring { vnodes: v }
    }

    /// This ring without `node`'s virtual nodes.
    pub fn without_node(&self, node: NodeId) -> Ring {
        Ring {
            vnodes: self
                .vnodes
                .iter()
                .filter(|v| v.node != node)
                .copied()
                .collect(),
        }
    }

    /// Index of the first virtual node clockwise from `h` (position >= h, wrapping).
    pub fn successor(&self, h: u64) -> usize {
        let v = &self.vnodes;
        let n = v.len();
        if n == 0 {
            return 0;
        }
        // Positions are hashes, spread evenly over the ring: start where `h` would be if
        // they were evenly spaced, widen the range by doubling steps until it holds the
        // first position >= h, and search it by halves (the same index as a binary search
        // over the whole ring, in a few steps).
        let guess = ((u128::from(h) * n as u128) >> 64) as usize;
        let first_in = |lo: usize, hi: usize| lo + v[lo..hi].partition_point(|x| x.pos < h);
        let mut step = 1;
        let i = if v[guess].pos < h {
            let mut lo = guess + 1;
            loop {
                let hi = (lo + step).min(n);
                if hi == n || v[hi].pos >= h {
                    break first_in(lo, hi);
                }
                lo = hi + 1;
                step *= 2;
            }
        } else {
            let mut hi = guess;
            loop {
                let lo = hi.saturating_sub(step);
                if lo == 0 || v[lo].pos < h {
                    break first_in(lo, hi);
                }
                hi = lo;
                step *= 2;
            }
        };
        if i == self.vnodes.len() {
            0
        } else {
            i
        }
    }

    /// The preference list of hash `h`: the first `r` distinct physical nodes clockwise
    /// (fewer if the ring has fewer), into `out`. Returns the primary's virtual node.
    pub fn preference(&self, h: u64, r: usize, out: &mut Vec<NodeId>) -> Option<VNode> {
        out.clear();
        if self.vnodes.is_empty() {
            return None;
        }
        let start = self.successor(h);
        let len = self.vnodes.len();
        for k in 0..len {
            let v = self.vnodes[(start + k) % len];
            if !out.contains(&v.node) {
                out.push(v.node);
                if out.len() == r {
                    break;
                }
            }
        }
        Some(self.vnodes[start])
    }

    /// Owners of every key, in key order.
    pub fn place(&self, keys: &BTreeSet<String>, r: usize) -> BTreeMap<String, Vec<NodeId>> {
        let mut buf = Vec::with_capacity(r);
        crate::ordered::map(keys.iter().map(|k| {
            self.preference(hash_key(k), r, &mut buf);
            (k.clone(), buf.clone())
        }))
    }
}

/// Virtual nodes `#0` to `#(count - 1)` of `node`, in number order, onto `v`.
fn push_vnodes(v: &mut Vec<VNode>, node: NodeId, count: u32) {
    let prefix = vnode_prefix(node);
    for index in 0..count {
        let mut h = prefix.clone();
        h.update(decimal(index).as_ref());
        v.push(VNode {
            pos: mix64(h.finish()),
            node,
            index,
        });
    }
}

/// Keys whose node changes under `hash(key) mod N` when the sorted members go from
/// `before` to `after`.
pub fn mod_n_moved<'a>(
    keys: impl Iterator<Item = &'a String>,
    before: &[NodeId],
    after: &[NodeId],
) -> u32 {
    if before.is_empty() || after.is_empty() {
        return 0;
    }
    keys.filter(|k| {
        let h = hash_key(k);
        before[(h % before.len() as u64) as usize] != after[(h % after.len() as u64) as usize]
    })
    .count() as u32
}

/// Mean, population standard deviation and max/mean of loads.
pub fn balance(loads: impl Iterator<Item = u32> + Clone) -> (f64, f64, f64) {
    let n = loads.clone().count();
    if n == 0 {
        return (0.0, 0.0, 0.0);
    }
    let mean = loads.clone().map(f64::from).sum::<f64>() / n as f64;
    let var = loads
        .clone()
        .map(|x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    let max = loads.max().map_or(0.0, f64::from);
    let mom = if mean > 0.0 { max / mean } else { 0.0 };
    (mean, var.sqrt(), mom)
}
