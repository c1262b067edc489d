//! The identifier circle: positions, intervals, the stated hash, and the ring that the
//! nodes' successor pointers make (Zave's definitions), as pure functions of the nodes'
//! state, shared by the checker, the view and the tests.
//!
//! **Hash.** A name's position is `hash(name) mod 2^m`, with the hash of the consistent
//! hashing page ([`hash_key`]: FNV-1a 64 over the UTF-8 bytes, then the splitmix64
//! finalizer). Node `n3`'s position is that of the string `n3`; if it falls on a position
//! another node already has, the node takes the first free position clockwise (nodes in
//! order `n1`, `n2`, ...). A key written as a number is its own position (mod 2^m).
//!
//! **Intervals** are clockwise on the circle: `(a, b)` holds the positions strictly after
//! `a` and before `b`; `(a, b]` also `b`. When `a == b`, `(a, a)` is the whole circle but
//! `a`, and `(a, a]` the whole circle.
//!
//! **The ring** (Zave, "Reasoning about identifier spaces", TSE 2017, §3): the members are
//! the nodes that are up and in the ring (a paused node is up); a member's *best
//! successor* is the first member in its successor list. The ring is the cycle of best
//! successors; a member not on it is an *appendage*.

use super::types::{Node, Phase};
use crate::algo::hashring::hash_key;
use crate::sim::NodeId;
use serde::Serialize;

/// Clockwise distance from `a` to `b` on a circle of `size` positions.
pub fn dist(a: u64, b: u64, size: u64) -> u64 {
    (b + size - a % size) % size
}

/// `x` in `(a, b)` (the whole circle but `a` when `a == b`).
pub fn in_open(x: u64, a: u64, b: u64, size: u64) -> bool {
    let d = dist(a, x, size);
    d != 0 && (a == b || d < dist(a, b, size))
}

/// `x` in `(a, b]` (the whole circle when `a == b`).
pub fn in_half(x: u64, a: u64, b: u64, size: u64) -> bool {
    a == b || {
        let d = dist(a, x, size);
        d != 0 && d <= dist(a, b, size)
    }
}

/// A name's position on a circle of `size` positions.
pub fn name_pos(name: &str, size: u64) -> u64 {
    hash_key(name) % size
}

/// A key's position: a number is its own position, a name is hashed. `None` for an
/// empty key.
pub fn key_pos(key: &str, size: u64) -> Option<u64> {
    let key = key.trim();
    if key.is_empty() {
        return None;
    }
    Some(match key.parse::<u64>() {
        Ok(p) => p % size,
        Err(_) => name_pos(key, size),
    })
}

/// Every node's position: typed ones, or by hash with collisions moved clockwise.
pub fn positions(count: u32, ids: &[u64], size: u64) -> Vec<u64> {
    if !ids.is_empty() {
        return ids.to_vec();
    }
    let mut out: Vec<u64> = Vec::with_capacity(count as usize);
    for i in 1..=count {
        let mut p = name_pos(&format!("n{i}"), size);
        while out.contains(&p) {
            p = (p + 1) % size;
        }
        out.push(p);
    }
    out
}

/// `among` (positions `pos[i]`) sorted clockwise from just after `from`.
pub fn clockwise(from: u64, among: &[NodeId], pos: &[u64], size: u64) -> Vec<NodeId> {
    let mut v: Vec<NodeId> = among.to_vec();
    v.sort_by_key(|n| {
        let d = dist(from, pos[n.index()], size);
        if d == 0 {
            size
        } else {
            d
        }
    });
    v
}

/// The first of `members` at or after position `key`.
pub fn successor_of(key: u64, members: &[NodeId], pos: &[u64], size: u64) -> Option<NodeId> {
    members
        .iter()
        .copied()
        .min_by_key(|n| dist(key, pos[n.index()], size))
}

/// What the nodes' pointers make, at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RingReport {
    /// Members: up and in the ring, by id.
    pub members: Vec<NodeId>,
    /// Each member's best successor (first member in its list), by node index.
    pub best: Vec<Option<NodeId>>,
    /// The cycles of best successors, each from its lowest position.
    pub cycles: Vec<Vec<NodeId>>,
    /// Members with no member in their successor list.
    pub stranded: Vec<NodeId>,
    /// Members from which following best successors reaches no cycle.
    pub cut_off: Vec<NodeId>,
    /// Cycles that do not go round the circle exactly once, in identifier order.
    pub disordered: Vec<usize>,
}

impl RingReport {
    /// The nodes of the ring, if there is exactly one.
    pub fn ring(&self) -> Option<&[NodeId]> {
        match self.cycles.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Whether node `n` lies on a cycle.
    pub fn on_ring(&self, n: NodeId) -> bool {
        self.cycles.iter().any(|c| c.contains(&n))
    }

    /// successor(key) as the ring is: the first node of the ring at or after `key`;
    /// `None` unless there is exactly one ring.
    pub fn successor(&self, key: u64, pos: &[u64], size: u64) -> Option<NodeId> {
        successor_of(key, self.ring()?, pos, size)
    }
}

/// Whether a node counts as a member: in the ring and up (`up` says whether it runs or
/// is paused).
pub fn is_member(node: &Node, up: bool) -> bool {
    up && node.mem.phase == Phase::Member
}

/// The ring the pointers make. `up[i]`: node i is up (running or paused).
pub fn analyse(nodes: &[&Node], up: &[bool], size: u64) -> RingReport {
    let n = nodes.len();
    let member: Vec<bool> = (0..n).map(|i| is_member(nodes[i], up[i])).collect();
    let pos: Vec<u64> = nodes.iter().map(|x| x.disk.pos).collect();
    let members: Vec<NodeId> = (0..n as u32)
        .map(NodeId)
        .filter(|m| member[m.index()])
        .collect();
    let best: Vec<Option<NodeId>> = (0..n)
        .map(|i| {
            if !member[i] {
                return None;
            }
            nodes[i]
                .mem
                .succ
                .iter()
                .copied()
                .find(|s| member.get(s.index()).copied().unwrap_or(false))
        })
        .collect();
    let stranded: Vec<NodeId> = members
        .iter()
        .copied()
        .filter(|m| best[m.index()].is_none())
        .collect();
    // Colour by walking: 0 unvisited, 1 on the current walk, 2 done.
    let mut state = vec![0u8; n];
    let mut on_cycle = vec![false; n];
    let mut cycles: Vec<Vec<NodeId>> = Vec::new();
    for &start in &members {
        let mut walk = Vec::new();
        let mut cur = Some(start);
        while let Some(c) = cur {
            match state[c.index()] {
                0 => {
                    state[c.index()] = 1;
                    walk.push(c);
                    cur = best[c.index()];
                }
                1 => {
                    let k = walk.iter().position(|&w| w == c).unwrap_or(0);
                    let mut cyc = walk[k..].to_vec();
                    for w in &cyc {
                        on_cycle[w.index()] = true;
                    }
                    let low = (0..cyc.len())
                        .min_by_key(|&j| pos[cyc[j].index()])
                        .unwrap_or(0);
                    cyc.rotate_left(low);
                    cycles.push(cyc);
                    break;
                }
                _ => break,
            }
        }
        for w in walk {
            state[w.index()] = 2;
        }
    }
    cycles.sort_by_key(|c| pos[c[0].index()]);
    // A member reaches a cycle if following best successors ends on one.
    let cut_off: Vec<NodeId> = members
        .iter()
        .copied()
        .filter(|&m| {
            let mut cur = Some(m);
            for _ in 0..=n {
                match cur {
                    Some(c) if on_cycle[c.index()] => return false,
                    Some(c) => cur = best[c.index()],
                    None => return true,
                }
            }
            true
        })
        .collect();
    let disordered = cycles
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let turn: u64 = (0..c.len())
                .map(|j| {
                    let a = pos[c[j].index()];
                    let b = pos[c[(j + 1) % c.len()].index()];
                    let d = dist(a, b, size);
                    if d == 0 {
                        size
                    } else {
                        d
                    }
                })
                .sum();
            turn != size
        })
        .map(|(k, _)| k)
        .collect();
    RingReport {
        members,
        best,
        cycles,
        stranded,
        cut_off,
        disordered,
    }
}

/// A pointer that differs from what a stabilised ring of the current members would have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "pointer")]
pub enum Wrong {
    /// The successor list (first entry `has`, should be `should`).
    Successor {
        node: NodeId,
        has: Option<NodeId>,
        should: NodeId,
    },
    /// The rest of the successor list.
    List { node: NodeId },
    Predecessor {
        node: NodeId,
        has: Option<NodeId>,
        should: NodeId,
    },
    /// finger[index] (from 0).
    Finger {
        node: NodeId,
        index: u32,
        has: Option<NodeId>,
        should: NodeId,
    },
}

/// Every pointer of every member that is not what a stabilised ring of the members would
/// have (successor list of `r`, predecessor, `bits` fingers).
pub fn wrong_pointers(
    nodes: &[&Node],
    members: &[NodeId],
    r: usize,
    bits: u32,
    size: u64,
) -> Vec<Wrong> {
    let pos: Vec<u64> = nodes.iter().map(|x| x.disk.pos).collect();
    let mut out = Vec::new();
    for &m in members {
        let node = nodes[m.index()];
        let p = pos[m.index()];
        let order = clockwise(p, members, &pos, size);
        // A lone member is its own successor and predecessor.
        let want: Vec<NodeId> = order.iter().copied().take(r).collect();
        let should = want[0];
        let has = node.mem.succ.first().copied();
        if has != Some(should) {
            out.push(Wrong::Successor {
                node: m,
                has,
                should,
            });
        } else {
            let cut = want
                .iter()
                .position(|&w| w == m)
                .map_or(want.len(), |k| k.max(1));
            let list: Vec<NodeId> = node.mem.succ.iter().copied().take(cut).collect();
            if list != want[..cut] {
                out.push(Wrong::List { node: m });
            }
        }
        let pred = order.iter().rev().copied().find(|&x| x != m).unwrap_or(m);
        if node.mem.pred != Some(pred) {
            out.push(Wrong::Predecessor {
                node: m,
                has: node.mem.pred,
                should: pred,
            });
        }
        for i in 0..bits {
            let target = (p + (1u64 << i)) % size;
            let Some(should) = successor_of(target, members, &pos, size) else {
                continue;
            };
            let has = node.mem.fingers.get(i as usize).copied().flatten();
            if has != Some(should) {
                out.push(Wrong::Finger {
                    node: m,
                    index: i,
                    has,
                    should,
                });
            }
        }
    }
    out
}
