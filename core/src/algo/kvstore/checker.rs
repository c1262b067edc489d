//! The checker: the run's history of client operations (in [`History`]'s terms), the
//! safety properties, the session guarantees each mode promises, and the observations.
//!
//! - Ownership: every key is in exactly one partition; a partition is served (held
//!   active) only by servers its current configuration names, never by more than N; and
//!   some server always holds each partition's data (a move loses nothing).
//! - One leader per epoch: no two servers lead the same partition in the same epoch.
//! - Log prefix: a follower that took an append from its leader's epoch has a log that is
//!   a prefix of the leader's.
//! - Durability: every leader holds every write acknowledged in its partition (leaderless:
//!   some server holds the key at the acknowledged version or newer). Asynchronous
//!   replication breaks it at a failover: the unsafe variant.
//! - Read your writes, monotonic reads: per client session (a history process), in the
//!   order of writes (leader-follower: epoch then log position; leaderless: version). A
//!   mode that promises a guarantee ([`promises`]) reports a break as a violation; a mode
//!   that does not records it as an [`Observation`]: expected there, and worth seeing.
//! - Convergence (an observation): whether every replica holds the same data, and when
//!   it last became so.

use super::narration::{key_name, name};
use super::types::{Holding, Node, Note, Replication};
use super::Kvstore;
use crate::collections::{VecMap, VecSet};
use crate::history::{Client as Process, History, Op, OpId, OpKind, Outcome, Value};
use crate::invariant::{Checker, Property, Violation};
use crate::protocol::Protocol;
use crate::sim::{NodeId, NodeStatus, Sim, Time};
use crate::trace::StepOutcome;
use serde::Serialize;

pub const OWNERSHIP: &str = "Ownership";
pub const ONE_LEADER: &str = "One leader per epoch";
pub const LOG_PREFIX: &str = "Follower log is a prefix";
pub const DURABILITY: &str = "Durability";
pub const READ_YOUR_WRITES: &str = "Read your writes";
pub const MONOTONIC_READS: &str = "Monotonic reads";

/// Which session guarantees a client gets in a mode, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Promise {
    pub read_your_writes: bool,
    pub monotonic_reads: bool,
    pub why: &'static str,
}

/// The guarantees the store promises a client reading from the leader (`pinned`: from
/// one server that may be a follower) in this configuration.
pub fn promises(params: &super::Params, pinned: bool) -> Promise {
    let durable = match params.replication {
        Replication::Sync => true,
        Replication::SemiSync => params.replicas <= 3,
        Replication::Async | Replication::Leaderless => false,
    };
    match params.replication {
        Replication::Leaderless => {
            let strict = params.w + params.r > params.replicas && !params.sloppy;
            Promise {
                read_your_writes: strict,
                monotonic_reads: false,
                why: if strict {
                    "leaderless with R + W > N: every read quorum meets the write quorum of an acknowledged write; monotonic reads are not promised (a read may see a write still in progress that the next quorum misses)"
                } else if params.sloppy {
                    "a sloppy quorum promises nothing: the W acknowledgements may come from substitutes outside the N home replicas"
                } else {
                    "leaderless with R + W <= N: a read quorum may miss every replica that has the write"
                },
            }
        }
        _ if !durable => Promise {
            read_your_writes: false,
            monotonic_reads: false,
            why: if params.replication == Replication::Async {
                "asynchronous replication: a failover may lose acknowledged writes, and reads after it go back in time"
            } else {
                "semi-synchronous with more than 3 replicas: one follower is not a majority, so a failover may lose acknowledged writes"
            },
        },
        _ if pinned => Promise {
            read_your_writes: false,
            monotonic_reads: true,
            why: "reads from one server see its committed entries, which only grow (monotonic reads); a follower learns of a commit after the leader acknowledged it, so it may miss the client's own write",
        },
        _ => Promise {
            read_your_writes: true,
            monotonic_reads: true,
            why: "reads from the leader see every committed write: no failover loses one, and a new leader serves reads only once its no-op is committed",
        },
    }
}

pub(super) fn properties(proto: &Kvstore) -> Vec<Property> {
    let mut v = vec![
        Property {
            name: OWNERSHIP,
            description: "Every key is in exactly one partition; a partition is served only by the servers its configuration names, and its data is never lost in a move.",
        },
        Property {
            name: DURABILITY,
            description: "A write acknowledged to a client is kept: every later leader of its partition has it (leaderless: some server has it or a newer version).",
        },
    ];
    if !proto.params().replication.leaderless() {
        v.insert(
            1,
            Property {
                name: ONE_LEADER,
                description: "At most one server leads a partition in each epoch.",
            },
        );
        v.insert(
            2,
            Property {
                name: LOG_PREFIX,
                description: "A follower's log, once it took an append of its leader's epoch, is a prefix of the leader's log.",
            },
        );
    }
    let clients: Vec<Promise> = proto.clients().map(|c| proto.promise_of(c)).collect();
    if clients.iter().any(|p| p.read_your_writes) {
        v.push(Property {
            name: READ_YOUR_WRITES,
            description: "A client that wrote a value reads it or a newer one (promised to the clients this mode promises it; others see a break as an observation).",
        });
    }
    if clients.iter().any(|p| p.monotonic_reads) {
        v.push(Property {
            name: MONOTONIC_READS,
            description: "A client's reads of a key never go back to an older write (promised to the clients this mode promises it; others see a break as an observation).",
        });
    }
    v
}

impl Kvstore {
    /// The guarantees client node `c` is promised.
    pub fn promise_of(&self, c: NodeId) -> Promise {
        promises(&self.params, self.pin(c).is_some())
    }
}

/// A guarantee broken where it is not promised, or another observation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Observation {
    pub step: u64,
    pub time: Time,
    pub property: &'static str,
    pub explanation: String,
}

/// A read that returned an older value than its session had seen: the operation in the
/// history, the session guarantee it broke, and whether this mode promised it (then the
/// same words are also a violation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaleRead {
    pub op: OpId,
    pub step: u64,
    pub time: Time,
    pub property: &'static str,
    pub promised: bool,
    pub explanation: String,
}

/// An acknowledged write found lost (the durability violation's write), by its operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LostWrite {
    pub op: OpId,
    pub step: u64,
    pub time: Time,
}

/// A join or leave: what moved, and what `hash mod N` would have moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RebalanceRecord {
    pub step: u64,
    pub time: Time,
    pub node: NodeId,
    pub leave: bool,
    pub partitions: u32,
    /// Key copies in the moved partitions.
    pub fixed: u32,
    /// Key copies `hash(key) mod N` would move.
    pub mod_n: u32,
    pub keys: u32,
    /// What the transfers carried: log entries and leaderless keys.
    pub entries_sent: u32,
    pub keys_sent: u32,
}

/// Whether every replica holds the same data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Convergence {
    /// Partitions whose replicas differ now.
    pub diverged: u32,
    pub since: Option<(u64, Time)>,
    /// When they last all agreed again, and how long that took (ms).
    pub converged: Option<(u64, Time, Time)>,
}

/// A client node's session in the history.
#[derive(Clone, Debug, Default)]
struct Session {
    process: Process,
    open: Option<OpId>,
    /// Its last operation stayed pending: the next one is a new process.
    stuck: bool,
    /// Key -> the newest own write acknowledged (stamp, value).
    wrote: VecMap<u32, (u64, Value)>,
    /// Key -> the newest read (stamp, value or none).
    read: VecMap<u32, (u64, Option<Value>)>,
}

#[derive(Clone, Debug)]
pub struct KvChecker {
    names: Vec<String>,
    leaderless: bool,
    clients: u32,
    server_total: u32,
    first_client: u32,
    promises: Vec<Promise>,
    keys_by_part: Vec<Vec<u32>>,
    keys: u32,
    history: History,
    sessions: Vec<Session>,
    next_process: Process,
    /// Value -> the order of its write.
    stamps: VecMap<Value, u64>,
    leaders: VecMap<(u32, u64), NodeId>,
    /// Per partition: acknowledged writes (value, key, by, epoch).
    acked: Vec<Vec<(Value, u32, NodeId, u64)>>,
    /// Leaderless: key -> newest acknowledged (version, value).
    acked_versions: VecMap<u32, (u64, Value)>,
    reported: VecSet<(&'static str, u64)>,
    observations: Vec<Observation>,
    stale_reads: Vec<StaleRead>,
    lost_writes: Vec<LostWrite>,
    /// Values of writes found lost in this step, for `lost_writes`.
    lost_now: Vec<Value>,
    convergence: Convergence,
    rebalances: Vec<RebalanceRecord>,
    writes_per_partition: Vec<u32>,
    pending_map_error: Option<String>,
}

impl KvChecker {
    pub fn new(proto: &Kvstore) -> Self {
        let p = proto.params();
        let keys_by_part: Vec<Vec<u32>> = (0..p.partitions).map(|x| proto.keys_of(x)).collect();
        let mut c = KvChecker {
            names: proto.node_names(),
            leaderless: p.replication.leaderless(),
            clients: p.clients,
            server_total: proto.server_total(),
            first_client: proto.client_id(0).0,
            promises: proto.clients().map(|c| proto.promise_of(c)).collect(),
            keys_by_part: keys_by_part.clone(),
            keys: p.keys,
            history: History::new(),
            sessions: (0..p.clients)
                .map(|i| Session {
                    process: i,
                    ..Session::default()
                })
                .collect(),
            next_process: p.clients,
            stamps: VecMap::new(),
            leaders: VecMap::new(),
            acked: vec![Vec::new(); p.partitions as usize],
            acked_versions: VecMap::new(),
            reported: VecSet::new(),
            observations: Vec::new(),
            stale_reads: Vec::new(),
            lost_writes: Vec::new(),
            lost_now: Vec::new(),
            convergence: Convergence::default(),
            rebalances: Vec::new(),
            writes_per_partition: vec![0; p.partitions as usize],
            pending_map_error: None,
        };
        c.pending_map_error = c.partition_map_error(&keys_by_part);
        c
    }

    /// The run's history of client operations so far (a pending operation has no
    /// completion). Clients are history processes: `c1` is 0, `c2` 1, ...; a client whose
    /// operation stayed pending (or that restarted) goes on as a new process.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Guarantees broken where they are not promised, in order.
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// Every stale read so far, promised or not, with its operation, in order.
    pub fn stale_reads(&self) -> &[StaleRead] {
        &self.stale_reads
    }

    /// Every acknowledged write found lost so far (each once), with its operation.
    pub fn lost_writes(&self) -> &[LostWrite] {
        &self.lost_writes
    }

    pub fn convergence(&self) -> Convergence {
        self.convergence
    }

    pub fn rebalances(&self) -> &[RebalanceRecord] {
        &self.rebalances
    }

    /// Writes each partition received (its load: a hot spot shows here).
    pub fn writes_per_partition(&self) -> &[u32] {
        &self.writes_per_partition
    }

    /// What each client is promised, `c1` first.
    pub fn promises(&self) -> &[Promise] {
        &self.promises
    }

    fn nm(&self, n: NodeId) -> &str {
        name(&self.names, n)
    }

    fn once(&mut self, out: &mut Vec<Violation>, property: &'static str, key: u64, e: String) {
        if self.reported.insert((property, key)) {
            if property == DURABILITY {
                self.lost_now.push(key);
            }
            out.push(Violation::new(property, e));
        }
    }

    /// Every key `0..keys` is listed in exactly one partition: the check of ownership's
    /// first part, on a partition map (key lists per partition).
    pub fn partition_map_error(&self, keys_by_part: &[Vec<u32>]) -> Option<String> {
        for k in 0..self.keys {
            let parts: Vec<usize> = (0..keys_by_part.len())
                .filter(|&p| keys_by_part[p].contains(&k))
                .collect();
            if parts.len() != 1 {
                return Some(format!(
                    "{} is in {} partitions{}",
                    key_name(k),
                    parts.len(),
                    if parts.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({})",
                            parts
                                .iter()
                                .map(|p| format!("p{p}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ));
            }
        }
        None
    }

    fn session_of(&self, n: NodeId) -> Option<usize> {
        n.0.checked_sub(self.first_client)
            .filter(|&i| i < self.clients)
            .map(|i| i as usize)
    }

    /// Take one note of a step by `actor` at `time` (step index `step`).
    pub fn observe(
        &mut self,
        actor: NodeId,
        note: &Note,
        step: u64,
        time: Time,
        out: &mut Vec<Violation>,
    ) {
        match note {
            Note::Invokes {
                kind,
                key,
                part,
                value,
                version,
                ..
            } => {
                let Some(s) = self.session_of(actor) else {
                    return;
                };
                if let (Some(v), true) = (value, self.leaderless) {
                    self.stamps.insert(*v, *version);
                }
                if *kind == OpKind::Write {
                    if let Some(w) = self.writes_per_partition.get_mut(*part as usize) {
                        *w += 1;
                    }
                }
                let sess = &mut self.sessions[s];
                if sess.stuck || sess.open.is_some() {
                    sess.process = self.next_process;
                    self.next_process += 1;
                    sess.stuck = false;
                    sess.wrote = VecMap::new();
                    sess.read = VecMap::new();
                }
                let id = self.history.push(Op {
                    client: sess.process,
                    key: key_name(*key).as_str().into(),
                    kind: *kind,
                    value: *value,
                    invoke: time,
                    complete: None,
                    outcome: Outcome::Pending,
                });
                sess.open = Some(id);
            }
            Note::Completes {
                kind,
                key,
                value,
                stamp,
                outcome,
                ..
            } => {
                let Some(s) = self.session_of(actor) else {
                    return;
                };
                let Some(id) = self.sessions[s].open.take() else {
                    return;
                };
                let op = &mut self.history.ops[id];
                op.outcome = *outcome;
                if *outcome == Outcome::Pending {
                    self.sessions[s].stuck = true;
                    return;
                }
                op.complete = Some(time);
                if *kind == OpKind::Read {
                    op.value = if *outcome == Outcome::Ok {
                        *value
                    } else {
                        None
                    };
                }
                if *outcome != Outcome::Ok {
                    return;
                }
                match kind {
                    OpKind::Write => {
                        let st = stamp.or_else(|| value.and_then(|v| self.stamps.get(&v).copied()));
                        if let (Some(st), Some(v)) = (st, value) {
                            if self.leaderless {
                                let e = self.acked_versions.entry(*key).or_insert((0, 0));
                                if st > e.0 {
                                    *e = (st, *v);
                                }
                            }
                            let sess = &mut self.sessions[s];
                            if sess.wrote.get(key).is_none_or(|w| w.0 < st) {
                                sess.wrote.insert(*key, (st, *v));
                            }
                        }
                    }
                    OpKind::Read => {
                        let st = match value {
                            None => 0,
                            Some(v) => stamp.or_else(|| self.stamps.get(v).copied()).unwrap_or(0),
                        };
                        self.session_read(id, s, *key, st, *value, step, time, out);
                    }
                }
            }
            Note::Restarts => {
                if let Some(s) = self.session_of(actor) {
                    // A restarted client is a new session (its open operation stays
                    // pending).
                    let sess = &mut self.sessions[s];
                    sess.open = None;
                    sess.stuck = true;
                }
            }
            Note::Appends {
                value,
                epoch,
                index,
                ..
            } => {
                self.stamps
                    .insert(*value, super::types::stamp(*epoch, *index));
            }
            Note::AcksWrite {
                part,
                epoch,
                key,
                value,
                ..
            } => {
                if let Some(a) = self.acked.get_mut(*part as usize) {
                    if !a.iter().any(|x| x.0 == *value) {
                        a.push((*value, *key, actor, *epoch));
                    }
                }
            }
            Note::Leads { part, epoch, .. } => match self.leaders.get(&(*part, *epoch)).copied() {
                Some(other) if other != actor => {
                    let e = format!(
                        "{} and {} both lead p{part} in epoch {epoch}",
                        self.nm(other),
                        self.nm(actor)
                    );
                    self.once(out, ONE_LEADER, (u64::from(*part) << 32) | *epoch, e);
                }
                Some(_) => {}
                None => {
                    self.leaders.insert((*part, *epoch), actor);
                }
            },
            Note::Rebalances {
                node,
                leave,
                moves,
                fixed,
                mod_n,
                keys,
            } => self.rebalances.push(RebalanceRecord {
                step,
                time,
                node: *node,
                leave: *leave,
                partitions: moves.len() as u32,
                fixed: *fixed,
                mod_n: *mod_n,
                keys: *keys,
                entries_sent: 0,
                keys_sent: 0,
            }),
            Note::Receives { entries, keys, .. } => {
                if let Some(r) = self.rebalances.last_mut() {
                    r.entries_sent += entries;
                    r.keys_sent += keys;
                }
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn session_read(
        &mut self,
        op: OpId,
        s: usize,
        key: u32,
        st: u64,
        value: Option<Value>,
        step: u64,
        time: Time,
        out: &mut Vec<Violation>,
    ) {
        let client = self.nm(NodeId(self.first_client + s as u32)).to_string();
        let promise = self.promises.get(s).copied();
        let show = |v: Option<Value>| v.map_or("nothing".to_string(), |v| v.to_string());
        let sess = &self.sessions[s];
        let mut found: Vec<(&'static str, bool, String)> = Vec::new();
        if let Some(&(w, v)) = sess.wrote.get(&key) {
            if st < w {
                found.push((
                    READ_YOUR_WRITES,
                    promise.is_some_and(|p| p.read_your_writes),
                    format!(
                        "{client} wrote {}={v} (acknowledged), then read {} from it: an older value",
                        key_name(key),
                        show(value)
                    ),
                ));
            }
        }
        if let Some(&(r, rv)) = sess.read.get(&key) {
            if st < r {
                found.push((
                    MONOTONIC_READS,
                    promise.is_some_and(|p| p.monotonic_reads),
                    format!(
                        "{client} read {}={} and then {}: an older value",
                        key_name(key),
                        show(rv),
                        show(value)
                    ),
                ));
            }
        }
        let sess = &mut self.sessions[s];
        if sess.read.get(&key).is_none_or(|r| r.0 <= st) {
            sess.read.insert(key, (st, value));
        }
        for (property, promised, e) in found {
            self.stale_reads.push(StaleRead {
                op,
                step,
                time,
                property,
                promised,
                explanation: e.clone(),
            });
            if promised {
                let k = (u64::from(s as u32) << 48) | (u64::from(key) << 32) | (step & 0xffff_ffff);
                self.once(out, property, k, e);
            } else {
                let why = promise.map_or("", |p| p.why);
                self.observations.push(Observation {
                    step,
                    time,
                    property,
                    explanation: format!("{e} (not promised here: {why})"),
                });
            }
        }
    }

    /// The checks on the servers' state after a step: ownership, log prefixes,
    /// durability, and convergence. `nodes` are every node, `up` whether each is up.
    pub fn check_state(
        &mut self,
        nodes: &[&Node],
        up: &[bool],
        step: u64,
        time: Time,
        out: &mut Vec<Violation>,
    ) {
        if let Some(e) = self.pending_map_error.take() {
            self.once(out, OWNERSHIP, u64::MAX, e);
        }
        let servers: Vec<(NodeId, &super::types::Server)> = nodes
            .iter()
            .enumerate()
            .take(self.server_total as usize)
            .filter_map(|(i, n)| n.server().map(|s| (NodeId(i as u32), s)))
            .collect();
        let Some(cfg) = nodes.iter().find_map(|n| n.config()) else {
            return;
        };
        let mut diverged = 0;
        for (p, pc) in cfg.disk.table.iter().enumerate() {
            let part = p as u32;
            let holders: Vec<(NodeId, &super::types::Replica)> = servers
                .iter()
                .filter_map(|(n, s)| s.disk.parts.get(&part).map(|r| (*n, r)))
                .collect();
            let active: Vec<NodeId> = holders
                .iter()
                .filter(|(_, r)| r.holding == Holding::Active)
                .map(|(n, _)| *n)
                .collect();
            let list = |v: &[NodeId]| {
                v.iter()
                    .map(|&n| name(&self.names, n).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if let Some(&stray) = active.iter().find(|n| !pc.replicas.contains(n)) {
                let e = format!(
                    "{} serves p{part}, but its configuration (epoch {}) names {}: the partition has an owner too many",
                    self.nm(stray),
                    pc.epoch,
                    list(&pc.replicas)
                );
                self.once(
                    out,
                    OWNERSHIP,
                    (u64::from(part) << 32) | u64::from(stray.0),
                    e,
                );
            }
            if holders.is_empty() {
                let e = format!("no server holds p{part} any more: its keys are lost");
                self.once(out, OWNERSHIP, (1 << 40) | u64::from(part), e);
            }
            if self.leaderless {
                self.leaderless_durability(part, &servers, out);
                let versions: Vec<Vec<(u32, u64)>> = holders
                    .iter()
                    .filter(|(_, r)| r.holding == Holding::Active)
                    .map(|(_, r)| r.data.iter().map(|(k, v)| (*k, v.version)).collect())
                    .collect();
                if versions.windows(2).any(|w| w[0] != w[1]) {
                    diverged += 1;
                }
                continue;
            }
            // Leaders of this partition, as their own copies say.
            let leaders: Vec<(NodeId, &super::types::Replica)> = holders
                .iter()
                .filter(|(n, r)| {
                    r.holding == Holding::Active && r.leader == Some(*n) && up[n.index()]
                })
                .copied()
                .collect();
            for &(l, lr) in &leaders {
                for &(f, fr) in &holders {
                    if f == l
                        || fr.holding != Holding::Active
                        || fr.epoch != lr.epoch
                        || fr.leader != Some(l)
                        || !fr.synced
                    {
                        continue;
                    }
                    let prefix =
                        fr.log.len() <= lr.log.len() && lr.log[..fr.log.len()] == fr.log[..];
                    if !prefix {
                        let at = fr
                            .log
                            .iter()
                            .zip(&lr.log)
                            .position(|(a, b)| a != b)
                            .unwrap_or(lr.log.len());
                        let e = format!(
                            "{}'s log for p{part} ({} entries) is not a prefix of its leader {}'s ({} entries) in epoch {}: they differ at entry {}",
                            self.nm(f),
                            fr.log.len(),
                            self.nm(l),
                            lr.log.len(),
                            lr.epoch,
                            at + 1
                        );
                        self.once(
                            out,
                            LOG_PREFIX,
                            (u64::from(part) << 40) | (u64::from(f.0) << 32) | lr.epoch,
                            e,
                        );
                    }
                }
                let values: VecSet<Value> = lr
                    .log
                    .iter()
                    .filter(|e| e.key.is_some())
                    .map(|e| e.value)
                    .collect();
                // A write acknowledged in this epoch or an earlier one (a deposed
                // leader that has not yet heard of a newer epoch is not checked against
                // writes of that epoch).
                let lost: Vec<(Value, u32, NodeId, u64)> = self.acked[p]
                    .iter()
                    .filter(|a| a.3 <= lr.epoch && !values.contains(&a.0))
                    .copied()
                    .collect();
                for (v, k, by, _) in lost {
                    let e = format!(
                        "{}, leader of p{part} in epoch {}, does not have {}={v}, which {} acknowledged: the write is lost",
                        self.nm(l),
                        lr.epoch,
                        key_name(k),
                        self.nm(by)
                    );
                    self.once(out, DURABILITY, v, e);
                }
            }
            if let Some(&(_, lr)) = leaders.iter().max_by_key(|(_, r)| r.epoch) {
                if holders
                    .iter()
                    .any(|(_, r)| r.log != lr.log || r.holding != Holding::Active)
                {
                    diverged += 1;
                }
            } else {
                diverged += 1;
            }
        }
        let _ = up;
        for v in std::mem::take(&mut self.lost_now) {
            let op = self
                .history
                .ops
                .iter()
                .position(|o| o.kind == OpKind::Write && o.value == Some(v));
            if let Some(op) = op {
                self.lost_writes.push(LostWrite { op, step, time });
            }
        }
        let c = &mut self.convergence;
        if diverged > 0 && c.diverged == 0 {
            c.since = Some((step, time));
        } else if diverged == 0 && c.diverged > 0 {
            let started = c.since.map_or(time, |(_, t)| t);
            c.converged = Some((step, time, time - started));
            c.since = None;
        }
        c.diverged = diverged;
    }

    fn leaderless_durability(
        &mut self,
        part: u32,
        servers: &[(NodeId, &super::types::Server)],
        out: &mut Vec<Violation>,
    ) {
        let keys = self
            .keys_by_part
            .get(part as usize)
            .cloned()
            .unwrap_or_default();
        for k in keys {
            let Some(&(version, value)) = self.acked_versions.get(&k) else {
                continue;
            };
            let kept = servers.iter().any(|(_, s)| {
                s.disk
                    .parts
                    .get(&part)
                    .and_then(|r| r.data.get(&k))
                    .is_some_and(|v| v.version >= version)
                    || s.disk
                        .hints
                        .iter()
                        .any(|h| h.key == k && h.v.version >= version)
            });
            if !kept {
                let e = format!(
                    "no server has {}={value} (version {version}) or a newer version, yet it was acknowledged",
                    key_name(k)
                );
                self.once(out, DURABILITY, value, e);
            }
        }
    }
}

impl Checker<Kvstore> for KvChecker {
    fn check(&mut self, sim: &Sim<Kvstore>, step: &StepOutcome<Kvstore>, out: &mut Vec<Violation>) {
        let r = &step.record;
        if let Some(actor) = r.node {
            for note in &r.notes {
                self.observe(actor, note, r.index, r.time, out);
            }
            if self.session_of(actor).is_some() && self.pending_map_error.is_none() {
                return;
            }
        }
        let nodes: Vec<&Node> = sim.node_ids().map(|n| sim.node(n)).collect();
        let up: Vec<bool> = sim
            .node_ids()
            .map(|n| !matches!(sim.status(n), NodeStatus::Crashed { .. }))
            .collect();
        self.check_state(&nodes, &up, r.index, r.time, out);
    }
}
