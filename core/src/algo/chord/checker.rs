//! The safety checker, and the run's records that no single node has: every lookup's
//! outcome (for the hop chart), whether the pointers have converged, and the keys lost.
//!
//! Ring safety is Zave's (TSE 2017, §3), checked on the ring the best successors make
//! ([`analyse`]) after every step; a violation is reported when it starts (again after
//! it ended). A failure is a crash: the checker knows which nodes are down, the nodes only
//! find out by timeouts. Lookup correctness is checked at the step a node confirms that it
//! holds a key: it must be successor(key) on the ring as it is then (an undecided lookup
//! is not wrong). Keys are checked when the ring is stabilised: every key some running
//! node still holds is at its successor (or being handed to it).
//!
//! Zave's failure assumption: no member ever has every node of its successor list failed
//! at once; r entries cover r - 1 adjacent failures between two stabilisations. A fault
//! beyond it breaks the ring, and the explanation says so. A network partition is outside
//! the model too: each side takes the other for failed and can form a ring of its own.

use super::narration::{key_words, name};
use super::ring::{analyse, successor_of, wrong_pointers, RingReport, Wrong};
use super::types::{Node, Note, Outcome, Purpose};
use super::Chord;
use crate::collections::VecSet;
use crate::invariant::{Checker, Property, Violation};
use crate::protocol::Protocol;
use crate::sim::{NodeId, NodeStatus, Sim, Time};
use crate::trace::StepOutcome;
use serde::Serialize;

pub const AT_LEAST_ONE_RING: &str = "At least one ring";
pub const AT_MOST_ONE_RING: &str = "At most one ring";
pub const ORDERED_RING: &str = "Ordered ring";
pub const CONNECTED_APPENDAGES: &str = "Connected appendages";
pub const LOOKUP_CORRECT: &str = "Lookup correctness";
pub const KEYS_AT_SUCCESSOR: &str = "Keys at their successor";

pub fn properties() -> Vec<Property> {
    vec![
        Property {
            name: AT_LEAST_ONE_RING,
            description: "Following first live successors from the members leads round a cycle: there is a ring.",
        },
        Property {
            name: AT_MOST_ONE_RING,
            description: "There is only one such cycle: the members do not form two rings.",
        },
        Property {
            name: ORDERED_RING,
            description: "Going round the ring visits the identifiers in order, once round the circle.",
        },
        Property {
            name: CONNECTED_APPENDAGES,
            description: "Every member not on the ring reaches it through its successors.",
        },
        Property {
            name: LOOKUP_CORRECT,
            description: "A node that answers a lookup for a key is successor(key) on the ring as it is then (or among the members, for one not yet linked in).",
        },
        Property {
            name: KEYS_AT_SUCCESSOR,
            description: "Once the ring is stabilised, every key not lost is stored at its successor.",
        },
    ]
}

/// A lookup a person asked for, as its origin saw it end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LookupRecord {
    pub origin: NodeId,
    pub seq: u32,
    pub key: u64,
    /// The node that answered, or `None` if it could not decide.
    pub owner: Option<NodeId>,
    /// Forwarding hops to the key's predecessor.
    pub hops: u32,
    /// Origin, each hop, then the node that answered.
    pub path: Vec<NodeId>,
    pub attempts: u32,
    /// Members when it ended (for ½·log2 N).
    pub members: u32,
    /// Step index and time at which the origin had its answer.
    pub step: u64,
    pub time: Time,
    pub took: Time,
}

/// Whether the pointers are what a stabilised ring of the members would have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Convergence {
    /// Pointers wrong now (successor lists, predecessors, fingers).
    pub wrong: u32,
    /// When they last went wrong (step index, time), while they are.
    pub since: Option<(u64, Time)>,
    /// When they last became all right again, and how long that took (ms).
    pub converged: Option<(u64, Time, Time)>,
}

#[derive(Clone, Debug)]
pub struct ChordChecker {
    size: u64,
    r: usize,
    bits: u32,
    pos: Vec<u64>,
    keys: Vec<u64>,
    key_names: Vec<(u64, String)>,
    /// Per ring property: the violation now going on, if one is.
    ongoing: [bool; 4],
    reported: VecSet<(&'static str, u64, u64)>,
    lookups: Vec<LookupRecord>,
    convergence: Convergence,
    lost: VecSet<u64>,
}

impl ChordChecker {
    pub fn new(proto: &Chord) -> Self {
        let mut keys: Vec<u64> = proto.keys().iter().map(|(k, _)| *k).collect();
        keys.dedup();
        ChordChecker {
            size: proto.size(),
            r: proto.params().successors as usize,
            bits: proto.params().bits,
            pos: proto.positions().to_vec(),
            keys,
            key_names: proto.keys().to_vec(),
            ongoing: [false; 4],
            reported: VecSet::new(),
            lookups: Vec::new(),
            convergence: Convergence::default(),
            lost: VecSet::new(),
        }
    }

    /// The lookups people asked for that have ended, in order.
    pub fn lookups(&self) -> &[LookupRecord] {
        &self.lookups
    }

    pub fn convergence(&self) -> Convergence {
        self.convergence
    }

    /// Keys no running node holds any more.
    pub fn lost(&self) -> &VecSet<u64> {
        &self.lost
    }

    fn key(&self, k: u64) -> String {
        key_words(
            k,
            self.key_names
                .iter()
                .find(|(p, _)| *p == k)
                .map(|(_, n)| n.as_str()),
        )
    }

    fn once(
        &mut self,
        out: &mut Vec<Violation>,
        property: &'static str,
        key: (u64, u64),
        e: String,
    ) {
        if self.reported.insert((property, key.0, key.1)) {
            out.push(Violation::new(property, e));
        }
    }

    /// The checks after step index `step` at `time`, given every node and whether it is up
    /// (running or paused), and the step's notes by the node that took it.
    #[allow(clippy::too_many_arguments)]
    pub fn check_nodes(
        &mut self,
        nodes: &[&Node],
        up: &[bool],
        names: &[String],
        notes: (Option<NodeId>, &[Note]),
        step: u64,
        time: Time,
        out: &mut Vec<Violation>,
    ) {
        let report = analyse(nodes, up, self.size);
        self.ring_safety(&report, nodes, up, names, step, out);
        let (actor, notes) = notes;
        for note in notes {
            match note {
                Note::Owns { id, key, .. } => {
                    let Some(me) = actor else { continue };
                    let Some(expected) = report.successor(*key, &self.pos, self.size) else {
                        continue;
                    };
                    // A member that stabilize has not yet linked into the ring (an
                    // appendage) may answer for its range: it is successor(key) among the
                    // members, and will be on the ring once the ring is stabilised.
                    let settled = successor_of(*key, &report.members, &self.pos, self.size);
                    if expected != me && settled != Some(me) {
                        let e = format!(
                            "{} answered a lookup from {} for {} as its successor, but on the ring as it is successor({}) is {}{}",
                            name(names, me),
                            name(names, id.origin),
                            self.key(*key),
                            key,
                            name(names, expected),
                            match settled {
                                Some(s) if s != expected => format!(" (and among the members {})", name(names, s)),
                                _ => String::new(),
                            }
                        );
                        let k = (u64::from(id.origin.0) << 32) | u64::from(id.seq);
                        self.once(out, LOOKUP_CORRECT, (k, step), e);
                    }
                }
                Note::Done {
                    seq,
                    key,
                    purpose: Purpose::User,
                    outcome,
                    hops,
                    path,
                    attempts,
                    took,
                } => {
                    if let Some(origin) = actor {
                        self.lookups.push(LookupRecord {
                            origin,
                            seq: *seq,
                            key: *key,
                            owner: match outcome {
                                Outcome::Found { owner } => Some(*owner),
                                Outcome::Failed => None,
                            },
                            hops: *hops,
                            path: path.clone(),
                            attempts: *attempts,
                            members: report.members.len() as u32,
                            step,
                            time,
                            took: *took,
                        });
                    }
                }
                _ => {}
            }
        }
        let wrong = wrong_pointers(nodes, &report.members, self.r, self.bits, self.size);
        self.keys_check(&report, &wrong, nodes, up, names, out);
        let c = &mut self.convergence;
        let count = wrong.len() as u32;
        if count > 0 && c.wrong == 0 {
            c.since = Some((step, time));
        } else if count == 0 && c.wrong > 0 {
            let started = c.since.map_or(time, |(_, t)| t);
            c.converged = Some((step, time, time - started));
            c.since = None;
        }
        c.wrong = count;
    }

    fn ring_safety(
        &mut self,
        report: &RingReport,
        nodes: &[&Node],
        up: &[bool],
        names: &[String],
        step: u64,
        out: &mut Vec<Violation>,
    ) {
        let nm = |n: NodeId| name(names, n).to_string();
        let list = |v: &[NodeId]| v.iter().map(|&n| nm(n)).collect::<Vec<_>>().join(", ");
        // Why a member has no live successor: its list, each failed or out of the ring.
        let why_stranded = |m: NodeId| {
            let succ = &nodes[m.index()].mem.succ;
            if succ.is_empty() {
                format!("{} has an empty successor list", nm(m))
            } else {
                let how: Vec<String> = succ
                    .iter()
                    .map(|&s| {
                        format!(
                            "{} {}",
                            nm(s),
                            if up.get(s.index()).copied().unwrap_or(false) {
                                "is outside the ring"
                            } else {
                                "failed"
                            }
                        )
                    })
                    .collect();
                format!(
                    "{}'s successor list ({} of r = {}) has no live member: {}",
                    nm(m),
                    succ.len(),
                    self.r,
                    how.join(", ")
                )
            }
        };
        let checks: [(&'static str, Option<String>); 4] = [
            (
                AT_LEAST_ONE_RING,
                (!report.members.is_empty() && report.cycles.is_empty()).then(|| {
                    let m = report.stranded.first().copied().unwrap_or(report.members[0]);
                    format!(
                        "following live successors from the members ({}) leads round no cycle: {}",
                        list(&report.members),
                        why_stranded(m)
                    )
                }),
            ),
            (
                AT_MOST_ONE_RING,
                (report.cycles.len() > 1).then(|| {
                    let rings: Vec<String> =
                        report.cycles.iter().map(|c| format!("[{}]", list(c))).collect();
                    format!(
                        "the members form {} rings: {}; a node of one never reaches the other",
                        report.cycles.len(),
                        rings.join(" and ")
                    )
                }),
            ),
            (
                ORDERED_RING,
                report.disordered.first().map(|&k| {
                    let c = &report.cycles[k];
                    format!(
                        "the ring {} goes round the circle more than once: its identifiers are not in order",
                        c.iter()
                            .map(|&n| format!("{} ({})", nm(n), self.pos[n.index()]))
                            .collect::<Vec<_>>()
                            .join(" → ")
                    )
                }),
            ),
            (
                CONNECTED_APPENDAGES,
                (!report.cycles.is_empty() && !report.cut_off.is_empty()).then(|| {
                    let m = report.cut_off[0];
                    let why = match report.stranded.first() {
                        Some(&s) => why_stranded(s),
                        None => "its successors lead round a cycle of their own".to_string(),
                    };
                    format!("{} is a member that cannot reach the ring: {why}", nm(m))
                }),
            ),
        ];
        for (k, (property, broken)) in checks.into_iter().enumerate() {
            match broken {
                Some(e) if !self.ongoing[k] => {
                    self.ongoing[k] = true;
                    self.once(out, property, (step, 0), e);
                }
                Some(_) => {}
                None => self.ongoing[k] = false,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn keys_check(
        &mut self,
        report: &RingReport,
        wrong: &[Wrong],
        nodes: &[&Node],
        up: &[bool],
        names: &[String],
        out: &mut Vec<Violation>,
    ) {
        let holds = |n: usize, k: u64| {
            let m = &nodes[n].mem;
            m.keys.contains(&k) || m.replicas.contains(&k)
        };
        let handing = |k: u64, to: NodeId| {
            (0..nodes.len()).any(|n| {
                up[n]
                    && nodes[n]
                        .mem
                        .handoffs
                        .iter()
                        .any(|h| h.to == to && h.keys.contains(&k))
            })
        };
        let held = |k: u64| {
            (0..nodes.len()).any(|n| {
                up[n] && (holds(n, k) || nodes[n].mem.handoffs.iter().any(|h| h.keys.contains(&k)))
            })
        };
        let keys = self.keys.clone();
        for &k in &keys {
            if held(k) {
                self.lost.remove(&k);
            } else {
                self.lost.insert(k);
            }
        }
        let stable = report.ring().is_some()
            && !report.members.is_empty()
            && !wrong.iter().any(|w| !matches!(w, Wrong::Finger { .. }));
        if !stable {
            return;
        }
        for &k in &keys {
            if self.lost.contains(&k) {
                continue;
            }
            let Some(owner) = successor_of(k, &report.members, &self.pos, self.size) else {
                continue;
            };
            if holds(owner.index(), k) || handing(k, owner) {
                continue;
            }
            let at: Vec<String> = (0..nodes.len())
                .filter(|&n| up[n] && holds(n, k))
                .map(|n| name(names, NodeId(n as u32)).to_string())
                .collect();
            let e = format!(
                "the ring is stabilised, but {} is not at its successor {}: it is at {}",
                self.key(k),
                name(names, owner),
                at.join(", ")
            );
            self.once(out, KEYS_AT_SUCCESSOR, (k, u64::from(owner.0)), e);
        }
    }
}

impl Checker<Chord> for ChordChecker {
    fn check(&mut self, sim: &Sim<Chord>, step: &StepOutcome<Chord>, out: &mut Vec<Violation>) {
        let r = &step.record;
        let nodes: Vec<&Node> = sim.node_ids().map(|n| sim.node(n)).collect();
        self.check_nodes(
            &nodes,
            &up_nodes(sim),
            sim.names(),
            (r.node, &r.notes),
            r.index,
            r.time,
            out,
        );
    }
}

/// The nodes that are up (running or paused) in a simulation.
pub fn up_nodes(sim: &Sim<Chord>) -> Vec<bool> {
    sim.node_ids()
        .map(|n| !matches!(sim.status(n), NodeStatus::Crashed { .. }))
        .collect()
}

/// The ring report of a simulation as it is now.
pub fn ring_now(sim: &Sim<Chord>) -> RingReport {
    let nodes: Vec<&Node> = sim.node_ids().map(|n| sim.node(n)).collect();
    analyse(&nodes, &up_nodes(sim), sim.proto().size())
}
