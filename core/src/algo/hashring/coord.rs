//! The coordinator (`coord`, the ring manager): it applies operations one at a time,
//! turns each into migration instructions, resends them until they are reported done, and
//! serves lookups from the preference lists.

use super::ring::{balance, hash_key, key_name, mod_n_moved, Ring, VNode};
use super::types::{
    Cmd, Coord, CoordState, Move, Msg, Note, Op, PendingLookup, Refusal, Stats, Task, TaskKind,
    Timer, Unavailable, MAX_KEYS,
};
use super::Hashring;
use crate::collections::VecMap;
use crate::protocol::Ctx;
use crate::sim::{NodeId, Time};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How many key moves are narrated one by one after an operation.
const NARRATED_MOVES: usize = 8;

impl Hashring {
    /// The membership, ring and placement at the start.
    pub fn initial_coord(&self) -> Coord {
        let members: VecMap<NodeId, u32> = (0..self.params.nodes)
            .map(|i| (NodeId(i), self.weight(NodeId(i))))
            .collect();
        let keys: BTreeSet<String> = crate::ordered::set((1..=self.params.keys).map(key_name));
        let ring = Ring::build(&members, self.params.vnodes);
        let owners = ring.place(&keys, self.replicas());
        let stats = stats(Op::Initial, 0, &members, &owners, 0);
        Coord {
            members,
            vnodes: self.params.vnodes,
            keys: keys.into(),
            next_key: self.params.keys,
            epoch: 0,
            ring: ring.into(),
            owners: owners.into(),
            tasks: Vec::new(),
            cleanup: Vec::new(),
            queue: VecDeque::new(),
            stats,
            moves: Vec::new(),
            next_lookup: 0,
        }
    }

    /// A command reaches the coordinator: run it now, or queue it behind the current
    /// migration (lookups are never queued).
    pub(super) fn coord_cmd(&self, c: &mut CoordState, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let busy = !c.disk.tasks.is_empty() || !c.disk.queue.is_empty();
        if busy && !matches!(cmd, Cmd::Lookup { .. }) {
            ctx.note(Note::Queued {
                cmd: cmd.clone(),
                waiting: c.disk.queue.len() as u32,
            });
            c.disk.queue.push_back(cmd);
            return;
        }
        self.run_op(c, cmd, ctx);
    }

    pub(super) fn coord_timer(&self, c: &mut CoordState, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Resend => {
                if c.disk.tasks.is_empty() && c.disk.cleanup.is_empty() {
                    return;
                }
                ctx.note(Note::Resends {
                    pending: (c.disk.tasks.len() + c.disk.cleanup.len()) as u32,
                });
                for t in &c.disk.tasks {
                    ctx.send(t.node, task_msg(c.disk.epoch, t));
                }
                for (e, t) in &c.disk.cleanup {
                    ctx.send(t.node, task_msg(*e, t));
                }
                ctx.set_timer(Timer::Resend, self.resend_delay());
            }
            Timer::NextOp => {
                if !c.disk.tasks.is_empty() {
                    return;
                }
                if let Some(cmd) = c.disk.queue.pop_front() {
                    ctx.note(Note::StartsQueued);
                    self.run_op(c, cmd, ctx);
                    if c.disk.tasks.is_empty() && !c.disk.queue.is_empty() {
                        ctx.set_timer(Timer::NextOp, 0..=0);
                    }
                }
            }
            Timer::LookupTimeout { id } => {
                if let Some(l) = c.mem.lookups.get(&id) {
                    if let Some(&from) = l.preference.get(l.asking as usize) {
                        ctx.note(Note::LookupNoAnswer {
                            key: l.key.clone(),
                            from,
                        });
                    }
                    self.next_replica(c, id, ctx);
                }
            }
            // A storage node's timer.
            Timer::TransferRetry { .. } => {}
        }
    }

    /// The coordinator restarts with what it kept on disk: resend the unfinished
    /// instructions (true), or start the next queued operation.
    pub(super) fn coord_restart(&self, c: &CoordState, ctx: &mut Ctx<Self>) -> bool {
        let mut resending = false;
        if !c.disk.tasks.is_empty() || !c.disk.cleanup.is_empty() {
            resending = true;
            ctx.set_timer(Timer::Resend, 0..=0);
        } else if !c.disk.queue.is_empty() {
            ctx.set_timer(Timer::NextOp, 0..=0);
        }
        resending
    }

    /// Run a command on the coordinator now (not queued).
    fn run_op(&self, state: &mut CoordState, cmd: Cmd, ctx: &mut Ctx<Self>) {
        // An operation changes only what is on disk (a lookup lives in memory).
        let c = &mut state.disk;
        let before: Vec<NodeId> = c.members.keys().copied().collect();
        let refuse = |ctx: &mut Ctx<Self>, why| ctx.note(Note::Refused { why });
        let mut new_keys: Vec<String> = Vec::new();
        let mut gone_keys: Vec<String> = Vec::new();
        let op = match cmd {
            Cmd::Lookup { key } => return self.start_lookup(state, key, ctx),
            Cmd::AddNode { node, weight } => {
                if node.0 >= self.physical() {
                    return refuse(ctx, Refusal::NotStorageNode { node });
                }
                if c.members.contains_key(&node) {
                    return refuse(ctx, Refusal::AlreadyMember { node });
                }
                if c.cleanup.iter().any(|(_, t)| t.node == node) {
                    return refuse(ctx, Refusal::StillCleaning { node });
                }
                let weight = weight.unwrap_or(self.weight(node));
                if !(1..=8).contains(&weight) {
                    return refuse(ctx, Refusal::BadWeight { weight });
                }
                c.members.insert(node, weight);
                Op::AddNode { node, weight }
            }
            Cmd::RemoveNode { node } => {
                if !c.members.contains_key(&node) {
                    return refuse(ctx, Refusal::NotMember { node });
                }
                if (c.members.len() as u32) <= self.params.replicas {
                    return refuse(
                        ctx,
                        Refusal::TooFewNodes {
                            replicas: self.params.replicas,
                        },
                    );
                }
                c.members.remove(&node);
                Op::RemoveNode { node }
            }
            Cmd::SetVnodes { count } => {
                if !(1..=500).contains(&count) {
                    return refuse(ctx, Refusal::BadVnodes { count });
                }
                let from = c.vnodes;
                c.vnodes = count;
                Op::SetVnodes { from, to: count }
            }
            Cmd::AddKeys { count } => {
                // Checked arithmetic: `count` comes from a URL or a form and may be
                // anything up to u32::MAX.
                let room = MAX_KEYS.saturating_sub(u32::try_from(c.keys.len()).unwrap_or(u32::MAX));
                if count == 0 || count > room || c.next_key.checked_add(count).is_none() {
                    return refuse(ctx, Refusal::TooManyKeys { count });
                }
                for _ in 0..count {
                    c.next_key += 1;
                    let k = key_name(c.next_key);
                    c.keys.insert(k.clone());
                    new_keys.push(k);
                }
                Op::AddKeys { count }
            }
            Cmd::RemoveKey { key } => {
                if !c.keys.remove(&key) {
                    return refuse(ctx, Refusal::NoSuchKey { key });
                }
                gone_keys.push(key.clone());
                Op::RemoveKey { key }
            }
            Cmd::RemoveKeys { count } => {
                let have = u32::try_from(c.keys.len()).unwrap_or(u32::MAX);
                if count == 0 || count > have {
                    return refuse(ctx, Refusal::BadRemoveCount { count, keys: have });
                }
                // A random choice with the run's seed (so replaying gives the same keys):
                // a partial Fisher-Yates shuffle of the key set.
                let mut all: Vec<String> = c.keys.iter().cloned().collect();
                let n = all.len();
                for i in 0..count as usize {
                    let j = i + ctx.random_range(0..=(n - 1 - i) as u64) as usize;
                    all.swap(i, j);
                }
                all.truncate(count as usize);
                // In key order (the keys are distinct).
                let all: Vec<String> = crate::ordered::set(all).into_iter().collect();
                for k in &all {
                    c.keys.remove(k);
                }
                gone_keys = all;
                Op::RemoveKeys { count }
            }
        };
        c.epoch += 1;
        let epoch = c.epoch;
        let r = self.replicas();
        // The ring of the new membership: a node's positions merged in or filtered out
        // (the same ring as built anew, sorted), or built anew for another count.
        match op {
            Op::AddNode { node, weight } => {
                c.ring = c
                    .ring
                    .with_node(node, weight.saturating_mul(c.vnodes))
                    .into();
            }
            Op::RemoveNode { node } => c.ring = c.ring.without_node(node).into(),
            Op::SetVnodes { .. } => c.ring = Ring::build(&c.members, c.vnodes).into(),
            _ => {}
        }
        debug_assert!(*c.ring == Ring::build(&c.members, c.vnodes));
        let mut owners = std::mem::take(&mut c.owners);
        // Keys that left: their old owners drop them.
        let mut drops: VecMap<NodeId, Vec<String>> = VecMap::new();
        for k in &gone_keys {
            if let Some(o) = owners.remove(k) {
                for n in o {
                    drops.entry(n).or_default().push(k.clone());
                }
            }
        }
        // Keys that moved: pair each node that stops owning a key with one that starts.
        let mut moves: Vec<Move> = Vec::new();
        // On a removal with R > 1: who sends each moved copy (a replica that stays an
        // owner, so a leaving node that is down does not hold the migration up), and
        // what the leaving node must delete afterwards.
        let leaving = match op {
            Op::RemoveNode { node } if r > 1 => Some(node),
            _ => None,
        };
        let mut senders: VecMap<(NodeId, NodeId), Vec<String>> = VecMap::new();
        let mut left_behind: Vec<String> = Vec::new();
        let mut first_vnode: VecMap<String, VNode> = VecMap::new();
        if matches!(
            op,
            Op::AddNode { .. } | Op::RemoveNode { .. } | Op::SetVnodes { .. }
        ) {
            let mut buf = Vec::with_capacity(r);
            for (k, old) in owners.iter_mut() {
                let v = c.ring.preference(hash_key(k), r, &mut buf);
                if *old == buf {
                    continue;
                }
                let removed = old.iter().filter(|n| !buf.contains(n));
                let added = buf.iter().filter(|n| !old.contains(n));
                let stays = old.iter().find(|n| buf.contains(n)).copied();
                for (&from, &to) in removed.zip(added) {
                    moves.push(Move {
                        key: k.clone(),
                        from,
                        to,
                    });
                    match (leaving, stays) {
                        (Some(x), Some(src)) if x == from => {
                            senders.entry((src, to)).or_default().push(k.clone());
                        }
                        _ => {}
                    }
                }
                if leaving.is_some_and(|x| old.contains(&x)) {
                    left_behind.push(k.clone());
                }
                if let (Some(v), true) = (v, first_vnode.len() < NARRATED_MOVES) {
                    first_vnode.insert(k.clone(), v);
                }
                old.clone_from(&buf);
            }
        }
        // Keys that arrived: their owners store them.
        let mut stores: VecMap<NodeId, Vec<String>> = VecMap::new();
        let mut buf = Vec::with_capacity(r);
        for k in new_keys {
            c.ring.preference(hash_key(&k), r, &mut buf);
            for &n in &buf {
                stores.entry(n).or_default().push(k.clone());
            }
            owners.insert(k, buf.clone());
        }
        c.owners = owners;
        let after: Vec<NodeId> = c.members.keys().copied().collect();
        let mod_n = if before.len() != after.len() {
            mod_n_moved(c.keys.iter(), &before, &after)
        } else {
            0
        };
        let moved_keys = {
            let mut ks: Vec<&str> = moves.iter().map(|m| m.key.as_str()).collect();
            ks.dedup();
            ks.len() as u32
        };
        c.stats = stats(op.clone(), epoch, &c.members, &c.owners, mod_n);
        c.stats.moved_keys = moved_keys;
        c.stats.moved_copies = moves.len() as u32;
        ctx.note(Note::RingChanged {
            op,
            epoch,
            vnodes_total: c.ring.vnodes.len() as u32,
            moved_keys,
            moved_copies: moves.len() as u32,
            mod_n_moved: mod_n,
            keys: c.keys.len() as u32,
        });
        ctx.note(Note::Balance {
            mean: c.stats.mean,
            std_dev: c.stats.std_dev,
            max_over_mean: c.stats.max_over_mean,
        });
        for m in &moves {
            if let Some(v) = first_vnode.get(&m.key) {
                ctx.note(Note::KeyMoves {
                    key: m.key.clone(),
                    from: m.from,
                    to: m.to,
                    vnode: (v.node, v.index),
                    replicas: self.params.replicas,
                });
            }
        }
        // The instructions.
        let mut migrations: VecMap<(NodeId, NodeId), Vec<String>> = VecMap::new();
        for m in &moves {
            if leaving != Some(m.from) {
                migrations
                    .entry((m.from, m.to))
                    .or_default()
                    .push(m.key.clone());
            }
        }
        c.moves = moves;
        c.tasks.clear();
        // Moves first (the old owner hands its keys over), then copies (a surviving
        // replica sends keys and keeps them).
        let orders = migrations
            .into_iter()
            .map(|order| (order, false))
            .chain(senders.into_iter().map(|order| (order, true)));
        for (((from, to), keys), copy) in orders {
            ctx.note(Note::OrdersMigration {
                from,
                to,
                count: keys.len() as u32,
                copy,
            });
            c.tasks.push(Task {
                node: from,
                kind: TaskKind::Migrate { to, keep: copy },
                keys,
            });
        }
        if let (Some(x), false) = (leaving, left_behind.is_empty()) {
            ctx.note(Note::OrdersCleanup {
                at: x,
                count: left_behind.len() as u32,
            });
            let t = Task {
                node: x,
                kind: TaskKind::Drop,
                keys: left_behind,
            };
            ctx.send(x, task_msg(epoch, &t));
            c.cleanup.push((epoch, t));
        }
        for (at, keys) in stores {
            ctx.note(Note::OrdersStore {
                at,
                count: keys.len() as u32,
            });
            c.tasks.push(Task {
                node: at,
                kind: TaskKind::Store,
                keys,
            });
        }
        for (at, keys) in drops {
            ctx.note(Note::OrdersDrop {
                at,
                count: keys.len() as u32,
            });
            c.tasks.push(Task {
                node: at,
                kind: TaskKind::Drop,
                keys,
            });
        }
        for t in &c.tasks {
            ctx.send(t.node, task_msg(epoch, t));
        }
        self.after_progress(c, ctx);
    }

    /// After an operation or a finished task: arm the resend timer, or finish the
    /// migration and start the next queued operation.
    fn after_progress(&self, c: &mut Coord, ctx: &mut Ctx<Self>) {
        if c.tasks.is_empty() {
            if c.cleanup.is_empty() {
                ctx.cancel_timer(Timer::Resend);
            } else {
                ctx.set_timer(Timer::Resend, self.resend_delay());
            }
            ctx.note(Note::MigrationComplete { epoch: c.epoch });
            if !c.queue.is_empty() {
                ctx.set_timer(Timer::NextOp, 0..=0);
            }
        } else {
            ctx.set_timer(Timer::Resend, self.resend_delay());
        }
    }

    fn resend_delay(&self) -> std::ops::RangeInclusive<Time> {
        let t = self.params.transfer_timeout.saturating_mul(2);
        t..=t
    }

    fn start_lookup(&self, c: &mut CoordState, key: String, ctx: &mut Ctx<Self>) {
        let h = hash_key(&key);
        let mut pref = Vec::new();
        c.disk.ring.preference(h, self.replicas(), &mut pref);
        if !c.disk.keys.contains(&key) {
            ctx.note(Note::LookupUnknownKey {
                key,
                owner: pref.first().copied(),
            });
            return;
        }
        c.disk.next_lookup = c.disk.next_lookup.wrapping_add(1);
        let id = c.disk.next_lookup;
        let of = pref.len() as u32;
        let to = pref[0];
        ctx.note(Note::LookupAsks {
            key: key.clone(),
            hash: h,
            to,
            replica: 1,
            of,
        });
        ctx.send(
            to,
            Msg::Get {
                id,
                key: key.clone(),
            },
        );
        ctx.set_timer(Timer::LookupTimeout { id }, self.delay());
        c.mem.lookups.insert(
            id,
            PendingLookup {
                key,
                preference: pref,
                asking: 0,
                missing: Vec::new(),
                fallback: None,
            },
        );
    }

    /// Ask the next replica of a lookup, or report the key unavailable.
    fn next_replica(&self, c: &mut CoordState, id: u32, ctx: &mut Ctx<Self>) {
        let Some(l) = c.mem.lookups.get_mut(&id) else {
            return;
        };
        if (l.asking as usize) < l.preference.len() {
            l.asking += 1;
        }
        if let Some(&to) = l.preference.get(l.asking as usize) {
            ctx.note(Note::LookupAsks {
                key: l.key.clone(),
                hash: hash_key(&l.key),
                to,
                replica: l.asking + 1,
                of: l.preference.len() as u32,
            });
            ctx.send(
                to,
                Msg::Get {
                    id,
                    key: l.key.clone(),
                },
            );
            ctx.set_timer(Timer::LookupTimeout { id }, self.delay());
        } else if let Some(to) = (l.fallback.is_none() && l.missing.len() == l.preference.len())
            .then(|| old_holder(&c.disk.tasks, &l.key))
            .flatten()
            .filter(|o| !l.preference.contains(o))
        {
            // Every replica said "not here": the key is on its way to them. The old owner
            // keeps it until its transfer is acknowledged: ask it.
            l.fallback = Some(to);
            ctx.note(Note::LookupFallback {
                key: l.key.clone(),
                to,
            });
            ctx.send(
                to,
                Msg::Get {
                    id,
                    key: l.key.clone(),
                },
            );
            ctx.set_timer(Timer::LookupTimeout { id }, self.delay());
        } else if let Some(l) = c.mem.lookups.remove(&id) {
            ctx.cancel_timer(Timer::LookupTimeout { id });
            let cause = if l.missing.is_empty() {
                Unavailable::NoAnswer
            } else {
                Unavailable::NotThere
            };
            ctx.note(Note::LookupUnavailable {
                key: l.key,
                tried: l.preference,
                missing: l.missing,
                cause,
            });
        }
    }

    pub(super) fn coord_msg(
        &self,
        c: &mut CoordState,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<Self>,
    ) {
        let done = |epoch: u64, kind: TaskKind| (epoch, kind);
        let (epoch, kind) = match msg {
            Msg::MigrationDone { epoch, to } => done(epoch, TaskKind::Migrate { to, keep: false }),
            Msg::Stored { epoch } => done(epoch, TaskKind::Store),
            Msg::Dropped { epoch } => {
                if let Some(i) = c
                    .disk
                    .cleanup
                    .iter()
                    .position(|(e, t)| *e == epoch && t.node == from)
                {
                    c.disk.cleanup.remove(i);
                    ctx.note(Note::CleanupDone { by: from });
                    if c.disk.tasks.is_empty() && c.disk.cleanup.is_empty() {
                        ctx.cancel_timer(Timer::Resend);
                    }
                    return;
                }
                done(epoch, TaskKind::Drop)
            }
            Msg::Value { id, key, found } => {
                let Some(l) = c.mem.lookups.get_mut(&id) else {
                    return; // a late answer to a finished lookup
                };
                if l.asked() != Some(from) {
                    return; // a late answer from a replica asked before
                }
                let by_fallback = l.fallback == Some(from);
                if found {
                    let replica = l.asking + 1;
                    c.mem.lookups.remove(&id);
                    ctx.cancel_timer(Timer::LookupTimeout { id });
                    if by_fallback {
                        ctx.note(Note::LookupServedByOldOwner { key, by: from });
                    } else {
                        ctx.note(Note::LookupServed {
                            key,
                            by: from,
                            replica,
                        });
                    }
                } else {
                    l.missing.push(from);
                    ctx.note(Note::LookupMissing { key, at: from });
                    self.next_replica(c, id, ctx);
                }
                return;
            }
            _ => return,
        };
        if epoch != c.disk.epoch {
            return; // a report about an earlier operation, already complete
        }
        let same = |a: &TaskKind, b: &TaskKind| match (a, b) {
            (TaskKind::Migrate { to: x, .. }, TaskKind::Migrate { to: y, .. }) => x == y,
            _ => a == b,
        };
        let Some(i) = c
            .disk
            .tasks
            .iter()
            .position(|t| t.node == from && same(&t.kind, &kind))
        else {
            return; // a duplicate report
        };
        c.disk.tasks.remove(i);
        ctx.note(Note::TaskDone {
            by: from,
            remaining: c.disk.tasks.len() as u32,
        });
        self.after_progress(&mut c.disk, ctx);
    }
}

/// The node still holding `key` while its move is pending: the sender of an unfinished
/// migration instruction that contains it.
fn old_holder(tasks: &[Task], key: &str) -> Option<NodeId> {
    tasks
        .iter()
        .find(|t| matches!(t.kind, TaskKind::Migrate { .. }) && t.keys.iter().any(|k| k == key))
        .map(|t| t.node)
}

fn task_msg(epoch: u64, t: &Task) -> Msg {
    let keys = t.keys.clone();
    match t.kind {
        TaskKind::Migrate { to, keep } => Msg::Migrate {
            epoch,
            to,
            keys,
            keep,
        },
        TaskKind::Store => Msg::Store { epoch, keys },
        TaskKind::Drop => Msg::Drop { epoch, keys },
    }
}

/// Load statistics of a placement.
fn stats(
    op: Op,
    epoch: u64,
    members: &VecMap<NodeId, u32>,
    owners: &BTreeMap<String, Vec<NodeId>>,
    mod_n: u32,
) -> Stats {
    // Counted by node number, then listed for the members (and any other owner).
    let mut count: Vec<u32> = Vec::new();
    for o in owners.values() {
        for n in o {
            if count.len() <= n.index() {
                count.resize(n.index() + 1, 0);
            }
            count[n.index()] += 1;
        }
    }
    let mut load: VecMap<NodeId, u32> = members
        .keys()
        .map(|&n| (n, count.get(n.index()).copied().unwrap_or(0)))
        .collect();
    for (i, &x) in count.iter().enumerate() {
        let n = NodeId(i as u32);
        if x > 0 && !load.contains_key(&n) {
            load.insert(n, x);
        }
    }
    let (mean, std_dev, max_over_mean) = balance(load.values().copied());
    Stats {
        op,
        epoch,
        load,
        mean,
        std_dev,
        max_over_mean,
        keys: owners.len() as u32,
        moved_keys: 0,
        moved_copies: 0,
        mod_n_moved: mod_n,
    }
}
