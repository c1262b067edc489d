//! The safety properties and their checker.
//!
//! The lock properties are derived from what the lock service did (its grants, expiries,
//! releases, as its notes say) and from what the clients believed and sent, never from
//! the storage's own fencing guard: a property the guard enforces by construction could
//! not fail with fencing on, and would say nothing about a lock without it.

use super::narration::name;
use super::*;
use crate::collections::VecMap;
use crate::invariant::{Checker, Property, Violation};
use crate::sim::{NodeStatus, Sim, Time};
use crate::trace::{Fate, MsgId, MsgUpdate, StepKind, StepOutcome};

pub const CURRENT_HOLDER: &str = "Writes only from the current holder";
pub const FENCED_ORDER: &str = "Fenced order";
pub const LOGGED_ONCE: &str = "Acknowledged writes logged once";
pub const FIFO: &str = "FIFO fairness";
pub const NO_LOST_LOCK: &str = "No lost lock";

/// The named safety properties the checker checks.
pub(super) fn properties() -> Vec<Property> {
    vec![
        Property {
            name: CURRENT_HOLDER,
            description: "The storage accepts a write only from the client the lock service counts as holder at that moment, not from one whose lock was released, expired or taken back. Fencing does not restore this: a former holder's write that lands before the new holder's first write is still accepted.",
        },
        Property {
            name: FENCED_ORDER,
            description: "Accepted writes never go back in token order: once a write with token t is accepted, none with a lower token is. This is what fencing tokens promise: with fencing on it holds, whatever the pauses, crashes and delays.",
        },
        Property {
            name: LOGGED_ONCE,
            description: "Every write the storage acknowledges is in its log exactly once: none is answered \"already applied\" without being there, none is applied twice.",
        },
        Property {
            name: FIFO,
            description: "The lock goes to waiters in the order they asked (queue server and ZooKeeper).",
        },
        Property {
            name: NO_LOST_LOCK,
            description: "A crashed holder does not keep the lock for more than a ttl after the lock service could notice.",
        },
    ]
}

/// How the lock service ended a holding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lapse {
    /// The holder released it (release, compare-and-delete, delete of its znode).
    Released,
    /// The lease key expired.
    KeyExpired,
    /// The lease key's expiry passed while the lock service was down; freed at restart.
    ExpiredWhileDown,
    /// The holder's session expired (queue with leases, ZooKeeper).
    SessionExpired,
    /// The holder asked anew (queue) or created a znode for a newer request (ZooKeeper):
    /// it had given that holding up or forgotten it in a crash.
    Voided,
    /// Another client's plain `DEL` deleted the key.
    DeletedBy(NodeId),
}

/// One write of a client: which of its holdings (0, 1, ... in the order it took the lock)
/// and which write of that holding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct WriteId {
    client: NodeId,
    holding: usize,
    n: u32,
}

/// Checks the lock properties against the lock service's own view of who holds the lock,
/// FIFO grants, that every acknowledged write is logged once, and that a crashed holder
/// does not keep the lock.
///
/// - Writes only from the current holder: the checker follows the lock service's grants
///   and their ends (release, expiry, session expiry, a voided grant, someone else's
///   `DEL`) from its notes, and for ZooKeeper the znodes under `/lock` (the lowest holds
///   the lock). A write the storage accepts must come from that holder with that token.
/// - Fenced order: tokens number the holdings in the order the lock service granted them;
///   the accepted writes' tokens never go down.
/// - Acknowledged writes logged once: the checker knows each write message's holding (the
///   client's holdings are counted from its `GotLock` notes), so it tells apart two
///   holdings' writes that carry the same client, token and number, which the storage
///   cannot.
#[derive(Clone, Debug)]
pub struct LocksChecker {
    /// Queue and lease: the lock service's holder (client, token) and since when.
    granted: Option<(NodeId, u64, Time)>,
    /// ZooKeeper: the znodes under `/lock` (sequence number -> owner), and since when the
    /// lowest has been the lowest.
    znodes: VecMap<u64, NodeId>,
    lowest_since: Time,
    /// How and when the lock service ended each holding (client, token).
    lapsed: VecMap<(NodeId, u64), (Lapse, Time)>,
    /// The highest token of an accepted write, and its client.
    max_accepted: Option<(u64, NodeId)>,
    /// Each client's holdings, in order: (token, since).
    holdings: VecMap<NodeId, Vec<(u64, Time)>>,
    /// Write messages not yet delivered: which write each carries.
    in_flight: VecMap<MsgId, WriteId>,
    /// The writes in the storage's log under each (client, token, number), as applied.
    log: VecMap<(NodeId, u64, u32), Vec<WriteId>>,
    /// Queue variant: clients in arrival order, as the lock server queued them.
    arrivals: Vec<NodeId>,
    /// When the lock service last came up (restart or resume).
    lock_up_since: Time,
    /// When the lock service last heard from each client.
    last_heard: VecMap<NodeId, Time>,
    /// A lost lock already reported: the holder and its crash time.
    reported: Option<(NodeId, Time)>,
}

impl LocksChecker {
    pub(super) fn new() -> Self {
        LocksChecker {
            granted: None,
            znodes: VecMap::new(),
            lowest_since: 0,
            lapsed: VecMap::new(),
            max_accepted: None,
            holdings: VecMap::new(),
            in_flight: VecMap::new(),
            log: VecMap::new(),
            arrivals: Vec::new(),
            lock_up_since: 0,
            last_heard: VecMap::new(),
            reported: None,
        }
    }

    /// No lost lock: the lock service still gives the lock to a client that has been down
    /// for more than a ttl while the service was up and could have noticed.
    fn check_lost(&mut self, sim: &Sim<Locks>, out: &mut Vec<Violation>) {
        let proto = sim.proto();
        let lock = proto.lock_node();
        if sim.status(lock) != NodeStatus::Up {
            return;
        }
        let Some(l) = sim.node(lock).lock() else {
            return;
        };
        let holder = match proto.params.variant {
            Variant::Zookeeper => l.disk.znodes.first().map(|z| z.owner),
            _ => l.disk.holder.map(|h| h.client),
        };
        let Some(holder) = holder else { return };
        let NodeStatus::Crashed { since } = sim.status(holder) else {
            return;
        };
        if self.reported == Some((holder, since)) {
            return;
        }
        let heard = self.last_heard.get(&holder).copied().unwrap_or(0);
        let deadline = since.max(self.lock_up_since).max(heard) + proto.params.ttl;
        let waiting = l.disk.queue.len() + l.disk.znodes.len().saturating_sub(1);
        let now = sim.time();
        if now > deadline && (proto.params.variant == Variant::Lease || waiting > 0) {
            self.reported = Some((holder, since));
            let why = if proto.expires() {
                "its lease should have expired"
            } else {
                "without leases nothing ever frees it"
            };
            out.push(Violation::new(
                NO_LOST_LOCK,
                format!(
                    "{} crashed at {since} ms while holding the lock and still holds it at {now} ms: {why}",
                    name(sim.names(), holder)
                ),
            ));
        }
    }

    /// The holder the lock service counts now: (client, token, since).
    fn holder(&self, variant: Variant) -> Option<(NodeId, u64, Time)> {
        match variant {
            Variant::Zookeeper => self
                .znodes
                .first_key_value()
                .map(|(&seq, &owner)| (owner, seq, self.lowest_since)),
            _ => self.granted,
        }
    }

    /// The lock service ends the holding (client, token), if it is the current one.
    fn lapse(&mut self, client: NodeId, token: u64, how: Lapse, now: Time) {
        if self
            .granted
            .is_some_and(|(c, t, _)| c == client && t == token)
        {
            self.granted = None;
        }
        self.lapsed.entry((client, token)).or_insert((how, now));
    }

    /// ZooKeeper: a znode is deleted. Only the lowest holds the lock; the others'
    /// owners were waiting, and nothing of theirs lapses.
    fn remove_znode(&mut self, seq: u64, how: Lapse, now: Time) {
        let lowest = self.znodes.first_key_value().map(|(&s, _)| s);
        if let Some(owner) = self.znodes.remove(&seq) {
            if lowest == Some(seq) {
                self.lapse(owner, seq, how, now);
                self.lowest_since = now;
            }
        }
    }

    /// The write a message delivered to the storage carries: known from when it was sent,
    /// or else (a history that does not show the send) the client's latest holding.
    fn write_of(&self, msg: Option<MsgId>, client: NodeId, n: u32) -> WriteId {
        msg.and_then(|m| self.in_flight.get(&m).copied())
            .unwrap_or(WriteId {
                client,
                holding: self
                    .holdings
                    .get(&client)
                    .map_or(0, |h| h.len().saturating_sub(1)),
                n,
            })
    }

    /// "c1's holding from 40 ms", for explanations.
    fn holding_words(&self, names: &[String], w: WriteId) -> String {
        let who = name(names, w.client);
        match self.holdings.get(&w.client).and_then(|h| h.get(w.holding)) {
            Some((_, since)) => format!("{who}'s holding from {since} ms"),
            None => format!("{who}'s holding"),
        }
    }

    /// Writes only from the current holder: `client`'s write `n` with `token` was accepted.
    fn check_holder(
        &self,
        sim: &Sim<Locks>,
        client: NodeId,
        token: u64,
        n: u32,
        out: &mut Vec<Violation>,
    ) {
        let variant = sim.proto().params.variant;
        let holder = self.holder(variant);
        if holder.is_some_and(|(c, t, _)| c == client && t == token) {
            return;
        }
        let names = sim.names();
        let who = name(names, client);
        let token_words = match variant {
            Variant::Zookeeper => format!("znode n-{token}"),
            _ => format!("token {token}"),
        };
        let lapsed = self.lapsed.get(&(client, token)).copied();
        let why = match lapsed {
            Some((how, at)) => match how {
                Lapse::Released => format!("{who} had released it at {at} ms"),
                Lapse::KeyExpired => format!("its key expired at {at} ms"),
                Lapse::ExpiredWhileDown => format!(
                    "its key expired while the lock service was down, which freed it at {at} ms"
                ),
                Lapse::SessionExpired => format!("{who}'s session expired at {at} ms"),
                Lapse::Voided => {
                    format!("{who} asked for the lock anew at {at} ms, which gave that holding up")
                }
                Lapse::DeletedBy(other) => format!(
                    "{}'s plain DEL deleted its key at {at} ms",
                    name(names, other)
                ),
            },
            None => format!("it never gave {who} the lock with {token_words}"),
        };
        let counted = if lapsed.is_some() {
            "no longer counted"
        } else {
            "did not count"
        };
        let now_held = match holder {
            Some((c, t, since)) => format!(
                "{} has held it since {since} ms ({})",
                name(names, c),
                match variant {
                    Variant::Zookeeper => format!("znode n-{t}"),
                    _ => format!("token {t}"),
                }
            ),
            None => "nobody holds it now".to_string(),
        };
        let believes = sim
            .node(client)
            .client()
            .is_some_and(|c| c.mem.phase == Phase::Holding && c.mem.token == Some(token));
        let belief = match (believes, lapsed.is_some()) {
            (true, true) => format!("{who} still believes it holds the lock"),
            (true, false) => format!("{who} believes it holds the lock"),
            (false, true) => "the write was on its way from that earlier holding".to_string(),
            (false, false) => format!("{who} does not believe it holds the lock either"),
        };
        out.push(Violation::new(
            CURRENT_HOLDER,
            format!(
                "storage accepted {who}'s write #{n} ({token_words}), but the lock service {counted} {who} as holder: {why}, and {now_held}; {belief}"
            ),
        ));
    }
}

impl Checker<Locks> for LocksChecker {
    fn check(&mut self, sim: &Sim<Locks>, step: &StepOutcome<Locks>, out: &mut Vec<Violation>) {
        let proto = sim.proto();
        let names = sim.names();
        let now = sim.time();
        let lock = proto.lock_node();
        let mut delivered = None;
        match &step.record.kind {
            StepKind::Action { action, .. } => {
                use crate::sim::Action;
                if let Action::Restart { node } | Action::Resume { node } = action {
                    if *node == lock {
                        self.lock_up_since = now;
                    }
                }
            }
            StepKind::Deliver { from, .. } if step.record.node == Some(lock) => {
                self.last_heard.insert(*from, now);
            }
            StepKind::Deliver { msg, .. } => delivered = Some(*msg),
            StepKind::Drop { msg, .. } => {
                self.in_flight.remove(msg);
            }
            _ => {}
        }
        let me = step.record.node.unwrap_or(lock);
        for note in &step.record.notes {
            match *note {
                Note::GotLock { token } => {
                    self.holdings.entry(me).or_default().push((token, now));
                    if proto.params.variant == Variant::Zookeeper {
                        let older = sim.node(lock).lock().and_then(|l| {
                            l.disk
                                .znodes
                                .iter()
                                .find(|z| z.seq < token && z.owner != me)
                                .copied()
                        });
                        if let Some(z) = older {
                            out.push(Violation::new(
                                FIFO,
                                format!(
                                    "{} took the lock with n-{token} while {}'s older znode n-{} still waits",
                                    name(names, me),
                                    name(names, z.owner),
                                    z.seq
                                ),
                            ));
                        }
                    }
                }
                Note::Enqueues { client, .. } => self.arrivals.push(client),
                Note::Grants { client, token } => {
                    self.granted = Some((client, token, now));
                    if let Some(pos) = self.arrivals.iter().position(|&c| c == client) {
                        if pos > 0 {
                            out.push(Violation::new(
                                FIFO,
                                format!(
                                    "the lock server granted token {token} to {} before {}, who asked first",
                                    name(names, client),
                                    name(names, self.arrivals[0])
                                ),
                            ));
                        }
                        self.arrivals.remove(pos);
                    }
                }
                Note::SetsKey { client, token } => self.granted = Some((client, token, now)),
                Note::FreesLock { client, token } | Note::DeletesKey { client, token } => {
                    self.lapse(client, token, Lapse::Released, now)
                }
                Note::VoidsGrant { client, token } => self.lapse(client, token, Lapse::Voided, now),
                Note::KeyExpires { client, token } => {
                    self.lapse(client, token, Lapse::KeyExpired, now)
                }
                Note::KeyExpiredWhileDown { client, token, .. } => {
                    self.lapse(client, token, Lapse::ExpiredWhileDown, now)
                }
                Note::DeletesOthersKey {
                    client,
                    owner,
                    token,
                } => self.lapse(owner, token, Lapse::DeletedBy(client), now),
                Note::CreatesZnode { client, seq } => {
                    if self.znodes.is_empty() {
                        self.lowest_since = now;
                    }
                    self.znodes.insert(seq, client);
                }
                Note::DeletesZnode { seq, .. } => self.remove_znode(seq, Lapse::Released, now),
                Note::ReplacesZnode { old, .. } => self.remove_znode(old, Lapse::Voided, now),
                Note::LeavesQueue { client } => self.arrivals.retain(|&c| c != client),
                Note::SessionExpires {
                    client,
                    held,
                    ref znodes,
                } => {
                    self.arrivals.retain(|&c| c != client);
                    if let Some(token) = held {
                        self.lapse(client, token, Lapse::SessionExpired, now);
                    }
                    for &seq in znodes {
                        self.remove_znode(seq, Lapse::SessionExpired, now);
                    }
                }
                Note::Accepts { client, token, n } => {
                    // The token order first: when one stale write breaks both, a sweep's
                    // one-line summary names what fencing would have prevented.
                    match self.max_accepted {
                        Some((max, other)) if token < max => {
                            out.push(Violation::new(
                                FENCED_ORDER,
                                format!(
                                    "storage accepted {}'s write #{n} with token {token} after {}'s write with token {max}: the accepted writes went back in token order",
                                    name(names, client),
                                    name(names, other),
                                ),
                            ));
                        }
                        Some((max, _)) if token == max => {}
                        _ => self.max_accepted = Some((token, client)),
                    }
                    self.check_holder(sim, client, token, n, out);
                    let w = self.write_of(delivered, client, n);
                    let applied = self.log.entry((client, token, n)).or_default();
                    let twice = applied.contains(&w);
                    applied.push(w);
                    if twice {
                        out.push(Violation::new(
                            LOGGED_ONCE,
                            format!(
                                "storage applied {}'s write #{n} (token {token}, {}) a second time: it is in the log twice",
                                name(names, client),
                                self.holding_words(names, w)
                            ),
                        ));
                    }
                }
                Note::AlreadyApplied { client, token, n } => {
                    let w = self.write_of(delivered, client, n);
                    let applied = self.log.get(&(client, token, n));
                    if !applied.is_some_and(|a| a.contains(&w)) {
                        let there = match applied.and_then(|a| a.first()) {
                            Some(&other) => format!(
                                "what the log holds under {}, token {token}, #{n} is the write of {}",
                                name(names, client),
                                self.holding_words(names, other)
                            ),
                            None => "nothing of it is in the log".to_string(),
                        };
                        out.push(Violation::new(
                            LOGGED_ONCE,
                            format!(
                                "storage acknowledged {}'s write #{n} (token {token}, {}) as already applied, but that write is not in its log: {there}; the acknowledged write is lost",
                                name(names, client),
                                self.holding_words(names, w)
                            ),
                        ));
                    }
                }
                _ => {}
            }
        }
        if let Some(m) = delivered {
            self.in_flight.remove(&m);
        }
        for u in &step.record.updates {
            if let MsgUpdate::Resolved {
                id,
                fate: Fate::Dropped { .. },
            } = u
            {
                self.in_flight.remove(id);
            }
        }
        // The writes sent in this step: which holding of their client each belongs to.
        for m in &step.messages {
            if let (Msg::Write { n, .. }, Fate::InFlight) = (&m.body, m.fate) {
                let holding = self
                    .holdings
                    .get(&m.from)
                    .map_or(0, |h| h.len().saturating_sub(1));
                self.in_flight.insert(
                    m.id,
                    WriteId {
                        client: m.from,
                        holding,
                        n: *n,
                    },
                );
            }
        }
        self.check_lost(sim, out);
    }
}
