//! A server: leader-follower replication of the partitions it leads or follows (appends,
//! commit by the mode's rule, reads from committed entries, fences and new epochs), the
//! leaderless store (versions, hints), and the hand-over of a partition it gives away.

use super::super::types::{
    Entry, Hint, Holding, Lead, Msg, Note, PartCfg, Refusal, Replica, Replication, Req, Server,
    Timer, Versioned,
};
use super::super::Kvstore;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Kvstore {
    pub(super) fn server_msg(&self, s: &mut Server, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match msg {
            Msg::Request { op, req } => self.on_request(s, from, op, req, ctx),
            Msg::Append {
                part,
                epoch,
                prev,
                prev_epoch,
                entries,
                commit,
            } => self.on_append(
                s, from, part, epoch, prev, prev_epoch, &entries, commit, ctx,
            ),
            Msg::AppendReply {
                part,
                epoch,
                ok,
                len,
            } => self.on_append_reply(s, from, part, epoch, ok, len, ctx),
            Msg::Fence { part, epoch } => self.on_fence(s, from, part, epoch, ctx),
            Msg::Config { part, cfg } => {
                if from == self.cfg_id() {
                    s.mem.asking = None;
                    ctx.cancel_timer(Timer::Ask);
                }
                self.on_config(s, part, cfg, ctx)
            }
            Msg::Handoff {
                mv,
                part,
                to,
                epoch,
            } => self.on_handoff(s, mv, part, to, epoch, ctx),
            Msg::Transfer {
                mv,
                part,
                epoch,
                log,
                commit,
                data,
            } => self.on_transfer(s, from, mv, part, epoch, &log, commit, &data, ctx),
            Msg::Put {
                op,
                key,
                v,
                hint_for,
            } => self.on_put(s, from, op, key, v, hint_for, ctx),
            Msg::Get { op, key } => self.on_get(s, from, op, key, ctx),
            Msg::Hand { key, v } if self.store(s, key, v, None, ctx) => ctx.send(
                from,
                Msg::HandAck {
                    key,
                    version: v.version,
                },
            ),
            Msg::HandAck { key, version } => {
                let before = s.disk.hints.len();
                s.disk
                    .hints
                    .retain(|h| !(h.for_node == from && h.key == key && h.v.version <= version));
                if s.disk.hints.len() < before {
                    ctx.note(Note::HintDelivered {
                        to: from,
                        key,
                        version,
                    });
                }
            }
            // Messages for other kinds of node.
            _ => {}
        }
    }

    pub(super) fn server_timer(&self, s: &mut Server, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Tick => {
                let me = ctx.me();
                let mut led = Vec::new();
                let parts: Vec<u32> = s.disk.parts.keys().copied().collect();
                for p in parts {
                    let rep = &s.disk.parts[&p];
                    if rep.holding == Holding::Active && rep.leader == Some(me) {
                        led.push((p, rep.epoch));
                        self.replicate(s, p, ctx);
                    }
                }
                if !led.is_empty() {
                    ctx.send(self.cfg_id(), Msg::Heartbeat { led });
                }
                ctx.set_timer(Timer::Tick, self.hb()..=self.hb());
            }
            Timer::Hints => {
                let mut targets: Vec<NodeId> = s.disk.hints.iter().map(|h| h.for_node).collect();
                targets.sort();
                targets.dedup();
                for t in targets {
                    let hints: Vec<Hint> = s
                        .disk
                        .hints
                        .iter()
                        .filter(|h| h.for_node == t)
                        .copied()
                        .collect();
                    ctx.note(Note::HandsHints {
                        to: t,
                        count: hints.len() as u32,
                    });
                    for h in hints {
                        ctx.send(t, Msg::Hand { key: h.key, v: h.v });
                    }
                }
                ctx.set_timer(Timer::Hints, self.hb() * 4..=self.hb() * 4);
            }
            Timer::Ask => {
                if let Some(leave) = s.mem.asking {
                    ctx.send(self.cfg_id(), if leave { Msg::Leave } else { Msg::Join });
                    ctx.set_timer(Timer::Ask, self.hb() * 4..=self.hb() * 4);
                }
            }
            _ => {}
        }
    }

    fn cfg_of(rep: &Replica) -> PartCfg {
        PartCfg {
            epoch: rep.epoch,
            replicas: rep.replicas.clone(),
            leader: rep.leader,
        }
    }

    fn refuse(
        &self,
        from: NodeId,
        op: u64,
        part: u32,
        why: Refusal,
        cfg: PartCfg,
        ctx: &mut Ctx<Self>,
    ) {
        ctx.note(Note::RefusesRequest {
            part,
            client: from,
            why,
        });
        ctx.send(from, Msg::Refused { op, part, why, cfg });
    }

    /// A leader serves reads once an entry of its own epoch is committed (its no-op).
    fn ready(rep: &Replica) -> bool {
        rep.log[..(rep.commit as usize).min(rep.log.len())]
            .iter()
            .any(|e| e.epoch == rep.epoch)
    }

    fn on_request(&self, s: &mut Server, from: NodeId, op: u64, req: Req, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let p = self.part_of(req.key());
        let Some(rep) = s.disk.parts.get_mut(&p) else {
            return self.refuse(from, op, p, Refusal::NotReplica, PartCfg::default(), ctx);
        };
        if rep.holding != Holding::Active {
            let cfg = Self::cfg_of(rep);
            return self.refuse(from, op, p, Refusal::Moving, cfg, ctx);
        }
        let leader = rep.leader == Some(me);
        match req {
            Req::Write { key, value } => {
                if !leader {
                    let cfg = Self::cfg_of(rep);
                    return self.refuse(from, op, p, Refusal::NotLeader, cfg, ctx);
                }
                rep.log.push(Entry {
                    epoch: rep.epoch,
                    key: Some(key),
                    value,
                });
                let index = rep.len();
                ctx.note(Note::Appends {
                    part: p,
                    client: from,
                    key,
                    value,
                    epoch: rep.epoch,
                    index,
                });
                s.mem
                    .leads
                    .entry(p)
                    .or_default()
                    .waiting
                    .push(super::super::types::Waiting {
                        client: from,
                        op,
                        key,
                        value,
                        index,
                    });
                self.advance_commit(s, p, ctx);
                self.replicate(s, p, ctx);
            }
            Req::Read { key } => {
                if !leader && self.pin(from) != Some(me) {
                    let cfg = Self::cfg_of(rep);
                    return self.refuse(from, op, p, Refusal::NotLeader, cfg, ctx);
                }
                if leader && !Self::ready(rep) {
                    let cfg = Self::cfg_of(rep);
                    return self.refuse(from, op, p, Refusal::NotReady, cfg, ctx);
                }
                let found = rep.value_at(key, rep.commit);
                ctx.note(Note::Serves {
                    part: p,
                    client: from,
                    key,
                    found,
                    commit: rep.commit,
                });
                ctx.send(from, Msg::Reply { op, found });
            }
        }
    }

    /// Send each follower the entries it lacks (from its next entry on) and the commit.
    fn replicate(&self, s: &mut Server, p: u32, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(rep) = s.disk.parts.get(&p) else {
            return;
        };
        let lead = s.mem.leads.entry(p).or_default();
        for &f in &rep.replicas {
            if f == me {
                continue;
            }
            let (next, _) = *lead.followers.entry(f).or_insert((1, 0));
            let next = next.clamp(1, rep.len() + 1);
            let prev = next - 1;
            let prev_epoch = if prev == 0 {
                0
            } else {
                rep.log[prev as usize - 1].epoch
            };
            ctx.send(
                f,
                Msg::Append {
                    part: p,
                    epoch: rep.epoch,
                    prev,
                    prev_epoch,
                    entries: rep.log[prev as usize..].into(),
                    commit: rep.commit,
                },
            );
        }
    }

    /// Advance the leader's commit index by the mode's rule (only over an entry of its own
    /// epoch, as Raft §5.4.2) and acknowledge the writes it covers.
    fn advance_commit(&self, s: &mut Server, p: u32, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(rep) = s.disk.parts.get_mut(&p) else {
            return;
        };
        let lead = s.mem.leads.entry(p).or_default();
        let len = rep.len();
        let matched: Vec<(NodeId, u64)> = rep
            .replicas
            .iter()
            .filter(|&&f| f != me)
            .map(|&f| (f, lead.followers.get(&f).map_or(0, |x| x.1).min(len)))
            .collect();
        let target = if matched.is_empty() {
            len
        } else {
            match self.params.replication {
                Replication::Async | Replication::Leaderless => len,
                Replication::Sync => matched.iter().map(|x| x.1).min().unwrap_or(len),
                Replication::SemiSync => matched.iter().map(|x| x.1).max().unwrap_or(len),
            }
        };
        if target <= rep.commit || rep.log[target as usize - 1].epoch != rep.epoch {
            return;
        }
        rep.commit = target;
        let mut by = vec![me];
        by.extend(matched.iter().filter(|x| x.1 >= target).map(|x| x.0));
        ctx.note(Note::Commits {
            part: p,
            commit: target,
            by,
        });
        let (done, wait): (Vec<_>, Vec<_>) =
            lead.waiting.drain(..).partition(|w| w.index <= target);
        lead.waiting = wait;
        for w in done {
            ctx.note(Note::AcksWrite {
                part: p,
                epoch: rep.epoch,
                client: w.client,
                key: w.key,
                value: w.value,
                index: w.index,
            });
            ctx.send(
                w.client,
                Msg::Reply {
                    op: w.op,
                    found: Some((w.value, super::super::types::stamp(rep.epoch, w.index))),
                },
            );
        }
    }

    /// This node no longer leads `p`: its waiting writes get no answer.
    fn step_down(
        &self,
        s: &mut Server,
        p: u32,
        epoch: u64,
        leader: Option<NodeId>,
        ctx: &mut Ctx<Self>,
    ) {
        s.mem.leads.remove(&p);
        ctx.note(Note::StepsDown {
            part: p,
            epoch,
            leader,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &self,
        s: &mut Server,
        from: NodeId,
        p: u32,
        epoch: u64,
        prev: u64,
        prev_epoch: u64,
        entries: &[Entry],
        commit: u64,
        ctx: &mut Ctx<Self>,
    ) {
        let me = ctx.me();
        let Some(rep) = s.disk.parts.get_mut(&p) else {
            return;
        };
        if rep.holding != Holding::Active {
            return;
        }
        let reply = |ctx: &mut Ctx<Self>, rep: &Replica, ok: bool, len: u64| {
            ctx.send(
                from,
                Msg::AppendReply {
                    part: p,
                    epoch: rep.epoch,
                    ok,
                    len,
                },
            )
        };
        if epoch < rep.epoch {
            ctx.note(Note::RefusesAppend {
                part: p,
                from,
                epoch,
                mine: rep.epoch,
                len: rep.len(),
            });
            return reply(ctx, rep, false, rep.len());
        }
        if epoch > rep.epoch || rep.leader != Some(from) {
            let was_leader = rep.leader == Some(me);
            if epoch > rep.epoch {
                rep.synced = false;
            }
            rep.epoch = epoch;
            rep.leader = Some(from);
            if was_leader {
                self.step_down(s, p, epoch, Some(from), ctx);
            }
        }
        let Some(rep) = s.disk.parts.get_mut(&p) else {
            return;
        };
        let len = rep.len();
        if prev > len || (prev > 0 && rep.log[prev as usize - 1].epoch != prev_epoch) {
            let have = len.min(prev.saturating_sub(1));
            ctx.note(Note::RefusesAppend {
                part: p,
                from,
                epoch,
                mine: rep.epoch,
                len: have,
            });
            return reply(ctx, rep, false, have);
        }
        let mut truncated = 0;
        let mut added = 0;
        for (i, e) in entries.iter().enumerate() {
            let at = prev as usize + i;
            if at < rep.log.len() {
                if rep.log[at].epoch == e.epoch {
                    continue;
                }
                truncated += rep.log.len() - at;
                rep.log.truncate(at);
            }
            rep.log.push(*e);
            added += 1;
        }
        let end = prev as usize + entries.len();
        // Entries beyond what the leader sent, of an older epoch: not the leader's.
        if rep.log.len() > end && rep.log[end].epoch < epoch {
            truncated += rep.log.len() - end;
            rep.log.truncate(end);
        }
        rep.synced = true;
        let was = rep.commit;
        rep.commit = rep.commit.max(commit.min(end as u64)).min(rep.len());
        if added == 0 && truncated == 0 && rep.commit == was {
            // A heartbeat with nothing new: no note.
            return reply(ctx, rep, true, end as u64);
        }
        ctx.note(Note::Follows {
            part: p,
            from,
            epoch,
            first: prev + 1,
            count: added,
            truncated: truncated as u32,
            commit: rep.commit,
        });
        reply(ctx, rep, true, end as u64);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_reply(
        &self,
        s: &mut Server,
        from: NodeId,
        p: u32,
        epoch: u64,
        ok: bool,
        len: u64,
        ctx: &mut Ctx<Self>,
    ) {
        let me = ctx.me();
        let Some(rep) = s.disk.parts.get_mut(&p) else {
            return;
        };
        if rep.holding != Holding::Active || rep.leader != Some(me) {
            return;
        }
        if epoch > rep.epoch {
            rep.epoch = epoch;
            rep.leader = None;
            rep.synced = false;
            return self.step_down(s, p, epoch, None, ctx);
        }
        if epoch < rep.epoch {
            return;
        }
        let lead = s.mem.leads.entry(p).or_default();
        let f = lead.followers.entry(from).or_insert((1, 0));
        if ok {
            f.1 = f.1.max(len);
            f.0 = f.1 + 1;
            self.advance_commit(s, p, ctx);
        } else {
            f.0 = (len + 1).min(f.0.saturating_sub(1)).max(1);
            self.replicate(s, p, ctx);
        }
    }

    fn on_fence(&self, s: &mut Server, from: NodeId, p: u32, epoch: u64, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(rep) = s.disk.parts.get_mut(&p) else {
            return;
        };
        if rep.holding == Holding::Incoming {
            return;
        }
        if rep.holding == Holding::Handing {
            // A copy being handed over takes nothing any more: it is fenced as it is, and
            // keeps the move's epoch, so that the failover's configuration ends the move.
            let answer = Msg::Fenced {
                part: p,
                epoch,
                last_epoch: rep.last_epoch(),
                len: rep.len(),
            };
            return ctx.send(from, answer);
        }
        if epoch > rep.epoch {
            let was_leader = rep.leader == Some(me);
            rep.epoch = epoch;
            rep.leader = None;
            rep.synced = false;
            ctx.note(Note::IsFenced {
                part: p,
                epoch,
                len: rep.len(),
            });
            if was_leader {
                self.step_down(s, p, epoch, None, ctx);
            }
        }
        let rep = &s.disk.parts[&p];
        ctx.send(
            from,
            Msg::Fenced {
                part: p,
                epoch: rep.epoch,
                last_epoch: rep.last_epoch(),
                len: rep.len(),
            },
        );
    }

    fn on_config(&self, s: &mut Server, p: u32, cfg: PartCfg, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(rep) = s.disk.parts.get_mut(&p) else {
            return;
        };
        if cfg.epoch < rep.epoch {
            return;
        }
        if !cfg.replicas.contains(&me) {
            if cfg.epoch == rep.epoch {
                // The configuration the copy was moved under (a late copy of it): only
                // the next one says whether the move took place.
                return;
            }
            // Moved away (or a copy received for a move that was called off).
            ctx.note(Note::Drops {
                part: p,
                epoch: cfg.epoch,
            });
            s.disk.parts.remove(&p);
            s.mem.leads.remove(&p);
            return;
        }
        let was_leader = rep.holding == Holding::Active && rep.leader == Some(me);
        let new_epoch = cfg.epoch > rep.epoch;
        if cfg.epoch == rep.epoch
            && rep.leader == cfg.leader
            && rep.replicas == cfg.replicas
            && rep.holding == Holding::Active
        {
            return;
        }
        if rep.holding != Holding::Active {
            // A copy being handed over (or received) serves again only under a newer
            // configuration that names it: the move was called off (or committed).
            if !new_epoch {
                return;
            }
            rep.holding = Holding::Active;
            ctx.note(Note::Activates {
                part: p,
                epoch: cfg.epoch,
            });
        }
        if new_epoch {
            rep.synced = false;
        }
        rep.epoch = cfg.epoch;
        rep.leader = cfg.leader;
        rep.replicas = cfg.replicas.clone();
        ctx.note(Note::Adopts {
            part: p,
            epoch: cfg.epoch,
            leader: cfg.leader,
        });
        if cfg.leader == Some(me) && (!was_leader || new_epoch) {
            // A leader of a new epoch appends a no-op of that epoch (Raft §8).
            rep.log.push(Entry {
                epoch: cfg.epoch,
                key: None,
                value: 0,
            });
            rep.synced = true;
            let len = rep.len();
            ctx.note(Note::Leads {
                part: p,
                epoch: cfg.epoch,
                len,
            });
            s.mem.leads.insert(p, Lead::default());
            self.advance_commit(s, p, ctx);
            self.replicate(s, p, ctx);
        } else if was_leader && cfg.leader != Some(me) {
            self.step_down(s, p, cfg.epoch, cfg.leader, ctx);
        }
    }

    fn on_handoff(
        &self,
        s: &mut Server,
        mv: u32,
        p: u32,
        to: NodeId,
        epoch: u64,
        ctx: &mut Ctx<Self>,
    ) {
        let Some(rep) = s.disk.parts.get_mut(&p) else {
            return;
        };
        match rep.holding {
            Holding::Active if rep.epoch <= epoch => {
                // It takes the move's epoch: only a newer configuration (the move called
                // off, or committed) ends the hand-over.
                rep.holding = Holding::Handing;
                rep.epoch = epoch;
                s.mem.leads.remove(&p);
            }
            Holding::Handing => rep.epoch = rep.epoch.max(epoch),
            _ => return,
        }
        let rep = &s.disk.parts[&p];
        ctx.note(Note::HandsOver {
            part: p,
            to,
            entries: rep.log.len() as u32,
            keys: rep.data.len() as u32,
        });
        ctx.send(
            to,
            Msg::Transfer {
                mv,
                part: p,
                epoch: rep.epoch,
                log: rep.log.as_slice().into(),
                commit: rep.commit,
                data: rep
                    .data
                    .iter()
                    .map(|(k, v)| (*k, *v))
                    .collect::<Vec<_>>()
                    .into(),
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn on_transfer(
        &self,
        s: &mut Server,
        from: NodeId,
        mv: u32,
        p: u32,
        epoch: u64,
        log: &[Entry],
        commit: u64,
        data: &[(u32, Versioned)],
        ctx: &mut Ctx<Self>,
    ) {
        if s.disk
            .parts
            .get(&p)
            .is_some_and(|r| r.holding != Holding::Incoming || r.epoch > epoch)
        {
            return;
        }
        let mut rep = Replica {
            holding: Holding::Incoming,
            epoch,
            log: log.to_vec(),
            commit,
            ..Replica::default()
        };
        for (k, v) in data {
            rep.data.insert(*k, *v);
        }
        ctx.note(Note::Receives {
            part: p,
            from,
            entries: log.len() as u32,
            keys: data.len() as u32,
        });
        s.disk.parts.insert(p, rep);
        ctx.send(self.cfg_id(), Msg::Received { mv, part: p });
    }

    /// Store a version of `key` if it is newer than the one held; `false` if this server
    /// does not serve the key's partition.
    fn store(
        &self,
        s: &mut Server,
        key: u32,
        v: Versioned,
        hint_for: Option<NodeId>,
        ctx: &mut Ctx<Self>,
    ) -> bool {
        if let Some(t) = hint_for {
            let had = s
                .disk
                .hints
                .iter()
                .find(|h| h.for_node == t && h.key == key)
                .map(|h| h.v.version);
            let kept = had.is_some_and(|h| h >= v.version);
            if !kept {
                s.disk.hints.retain(|h| !(h.for_node == t && h.key == key));
                s.disk.hints.push(Hint {
                    for_node: t,
                    key,
                    v,
                });
            }
            ctx.note(Note::Stores {
                key,
                v,
                had,
                kept,
                hint_for,
            });
            return true;
        }
        let p = self.part_of(key);
        let Some(rep) = s.disk.parts.get_mut(&p) else {
            return false;
        };
        if rep.holding != Holding::Active {
            return false;
        }
        let had = rep.data.get(&key).map(|x| x.version);
        let kept = had.is_some_and(|h| h >= v.version);
        if !kept {
            rep.data.insert(key, v);
        }
        ctx.note(Note::Stores {
            key,
            v,
            had,
            kept,
            hint_for: None,
        });
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn on_put(
        &self,
        s: &mut Server,
        from: NodeId,
        op: u64,
        key: u32,
        v: Versioned,
        hint_for: Option<NodeId>,
        ctx: &mut Ctx<Self>,
    ) {
        if self.store(s, key, v, hint_for, ctx) && op != 0 {
            ctx.send(from, Msg::PutAck { op, key });
        }
    }

    fn on_get(&self, s: &mut Server, from: NodeId, op: u64, key: u32, ctx: &mut Ctx<Self>) {
        let p = self.part_of(key);
        let home = s.disk.parts.get(&p);
        if home.is_some_and(|r| r.holding != Holding::Active) {
            return;
        }
        let mut found = home.and_then(|r| r.data.get(&key).copied());
        let mut hinted = false;
        for h in s.disk.hints.iter().filter(|h| h.key == key) {
            hinted = true;
            if found.is_none_or(|f| f.version < h.v.version) {
                found = Some(h.v);
            }
        }
        // A server that does not hold the partition answers only from its hints: an
        // empty answer from it would pass for the key being empty.
        if home.is_none() && !hinted {
            return;
        }
        ctx.send(from, Msg::GetReply { op, key, found });
    }
}
