//! The configuration node: the partition table, failover by epochs, and rebalancing by
//! moves of whole partitions.

use super::super::partition::{mod_n_moves, plan_moves};
use super::super::types::{ConfigNode, Fencing, Move, Msg, Note, Replication, Timer};
use super::super::Kvstore;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Kvstore {
    pub(super) fn config_msg(
        &self,
        c: &mut ConfigNode,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<Self>,
    ) {
        match msg {
            Msg::Heartbeat { led } => {
                for (p, e) in led {
                    let Some(cfg) = c.disk.table.get(p as usize) else {
                        continue;
                    };
                    if cfg.leader == Some(from) && cfg.epoch == e {
                        if let Some(h) = c.mem.heard.get_mut(p as usize) {
                            *h = ctx.now();
                        }
                    } else if e < cfg.epoch {
                        ctx.send(
                            from,
                            Msg::Config {
                                part: p,
                                cfg: cfg.clone(),
                            },
                        );
                    }
                }
            }
            Msg::Fenced {
                part,
                epoch,
                last_epoch,
                len,
            } => self.on_fenced(c, from, part, epoch, last_epoch, len, ctx),
            Msg::GetTable => self.send_table(c, from, ctx),
            Msg::Join => self.on_join(c, from, false, ctx),
            Msg::Leave => self.on_join(c, from, true, ctx),
            Msg::Received { mv, part } => self.on_received(c, mv, part, ctx),
            _ => {}
        }
    }

    fn send_table(&self, c: &ConfigNode, to: NodeId, ctx: &mut Ctx<Self>) {
        for (p, cfg) in c.disk.table.iter().enumerate() {
            ctx.send(
                to,
                Msg::Config {
                    part: p as u32,
                    cfg: cfg.clone(),
                },
            );
        }
    }

    fn broadcast(&self, c: &ConfigNode, p: u32, ctx: &mut Ctx<Self>) {
        let cfg = c.disk.table[p as usize].clone();
        ctx.send_all(self.everyone(), Msg::Config { part: p, cfg });
    }

    pub(super) fn config_timer(&self, c: &mut ConfigNode, timer: Timer, ctx: &mut Ctx<Self>) {
        if timer != Timer::Check {
            return;
        }
        let now = ctx.now();
        let timeout = self.params.failover_timeout;
        if !self.leaderless() && timeout > 0 {
            for p in 0..c.disk.table.len() as u32 {
                let cfg = c.disk.table[p as usize].clone();
                let followers: Vec<NodeId> = cfg
                    .replicas
                    .iter()
                    .copied()
                    .filter(|&r| Some(r) != cfg.leader)
                    .collect();
                if followers.is_empty() {
                    continue;
                }
                if let Some(f) = c.mem.fencing.get_mut(&p) {
                    // Still fencing: ask the followers that have not answered again.
                    if now.saturating_sub(f.started) >= timeout {
                        f.started = now;
                        let epoch = f.epoch;
                        let missing: Vec<NodeId> = followers
                            .iter()
                            .copied()
                            .filter(|x| !f.answers.iter().any(|a| a.0 == *x))
                            .collect();
                        ctx.note(Note::FailoverStalls {
                            part: p,
                            epoch,
                            answers: f.answers.len() as u32,
                            need: self.fence_need(followers.len()),
                        });
                        ctx.send_all(missing, Msg::Fence { part: p, epoch });
                    }
                    continue;
                }
                let heard = c.mem.heard.get(p as usize).copied().unwrap_or(0);
                if now.saturating_sub(heard) <= timeout {
                    continue;
                }
                let epoch = cfg.epoch + 1;
                // A failover calls off the moves of the partition.
                let (off, keep): (Vec<Move>, Vec<Move>) =
                    c.disk.moves.drain(..).partition(|m| m.part == p);
                c.disk.moves = keep;
                for m in off {
                    ctx.note(Note::MoveAborted {
                        part: p,
                        from: m.from,
                        to: m.to,
                    });
                }
                c.mem.fencing.insert(
                    p,
                    Fencing {
                        epoch,
                        started: now,
                        answers: Vec::new(),
                    },
                );
                ctx.note(Note::Fences {
                    part: p,
                    leader: cfg.leader,
                    epoch,
                    silent: now.saturating_sub(heard),
                    followers: followers.clone(),
                });
                ctx.send_all(followers, Msg::Fence { part: p, epoch });
            }
        }
        // Moves whose hand-over did not arrive: ask again (with the configuration).
        let resend = self.hb() * 4;
        let table = c.disk.table.clone();
        for m in c.disk.moves.iter_mut() {
            if now.saturating_sub(m.sent) >= resend {
                m.sent = now;
                ctx.send(
                    m.from,
                    Msg::Config {
                        part: m.part,
                        cfg: table[m.part as usize].clone(),
                    },
                );
                ctx.send(
                    m.from,
                    Msg::Handoff {
                        mv: m.id,
                        part: m.part,
                        to: m.to,
                        epoch: m.epoch,
                    },
                );
            }
        }
        ctx.set_timer(Timer::Check, self.hb()..=self.hb());
    }

    /// Answers a failover waits for: one follower when every acknowledged write is on
    /// every follower (sync) or when none is promised (async), every follower in
    /// semi-sync (one of them has each acknowledged write, and which is not known).
    fn fence_need(&self, followers: usize) -> u32 {
        match self.params.replication {
            Replication::SemiSync => followers as u32,
            _ => 1,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_fenced(
        &self,
        c: &mut ConfigNode,
        from: NodeId,
        p: u32,
        epoch: u64,
        last_epoch: u64,
        len: u64,
        ctx: &mut Ctx<Self>,
    ) {
        let Some(cfg) = c.disk.table.get(p as usize).cloned() else {
            return;
        };
        let Some(f) = c.mem.fencing.get_mut(&p) else {
            return;
        };
        if f.epoch != epoch || !cfg.replicas.contains(&from) || Some(from) == cfg.leader {
            return;
        }
        if !f.answers.iter().any(|a| a.0 == from) {
            f.answers.push((from, last_epoch, len));
        }
        let followers = cfg.replicas.len() - usize::from(cfg.leader.is_some());
        let need = self.fence_need(followers);
        if (f.answers.len() as u32) < need {
            return;
        }
        let &(leader, last_epoch, len) = f
            .answers
            .iter()
            .max_by_key(|a| (a.1, a.2, std::cmp::Reverse(a.0)))
            .expect("enough answers");
        let answers = f.answers.len() as u32;
        c.mem.fencing.remove(&p);
        let t = &mut c.disk.table[p as usize];
        t.epoch = epoch;
        t.leader = Some(leader);
        if let Some(h) = c.mem.heard.get_mut(p as usize) {
            *h = ctx.now();
        }
        ctx.note(Note::Elects {
            part: p,
            epoch,
            leader,
            last_epoch,
            len,
            answers,
            need,
        });
        self.broadcast(c, p, ctx);
    }

    fn on_join(&self, c: &mut ConfigNode, from: NodeId, leave: bool, ctx: &mut Ctx<Self>) {
        let member = c.disk.members.contains(&from);
        let ok = if leave {
            member
                && !c.disk.leaving.contains(&from)
                && c.disk.members.len() - c.disk.leaving.len() > self.params.replicas as usize
        } else {
            !member
        };
        if ok {
            let before = c.disk.members.len() as u32;
            let moves = plan_moves(&c.disk.table, &c.disk.members, from, leave);
            if leave {
                c.disk.leaving.push(from);
            } else {
                c.disk.members.push(from);
            }
            let after = if leave { before - 1 } else { before + 1 };
            let fixed: u32 = moves.iter().map(|m| self.keys_of(m.0).len() as u32).sum();
            ctx.note(Note::Rebalances {
                node: from,
                leave,
                moves: moves.clone(),
                fixed,
                mod_n: mod_n_moves(self.params.keys, self.params.replicas, before, after),
                keys: self.params.keys,
            });
            for (p, f, t) in moves {
                if c.mem.fencing.contains_key(&p) || c.disk.moves.iter().any(|m| m.part == p) {
                    continue;
                }
                let id = c.disk.next_move;
                c.disk.next_move += 1;
                let epoch = c.disk.table[p as usize].epoch;
                c.disk.moves.push(Move {
                    id,
                    part: p,
                    from: f,
                    to: t,
                    epoch,
                    sent: ctx.now(),
                });
                ctx.send(
                    f,
                    Msg::Handoff {
                        mv: id,
                        part: p,
                        to: t,
                        epoch,
                    },
                );
            }
            self.finish_leaving(c);
        }
        self.send_table(c, from, ctx);
    }

    /// Servers that asked to leave and hold nothing any more are no longer members.
    fn finish_leaving(&self, c: &mut ConfigNode) {
        let table = &c.disk.table;
        let moves = &c.disk.moves;
        let gone: Vec<NodeId> = c
            .disk
            .leaving
            .iter()
            .copied()
            .filter(|n| {
                !table.iter().any(|t| t.replicas.contains(n)) && !moves.iter().any(|m| m.from == *n)
            })
            .collect();
        c.disk.members.retain(|m| !gone.contains(m));
        c.disk.leaving.retain(|m| !gone.contains(m));
    }

    fn on_received(&self, c: &mut ConfigNode, mv: u32, p: u32, ctx: &mut Ctx<Self>) {
        let Some(i) = c.disk.moves.iter().position(|m| m.id == mv && m.part == p) else {
            return;
        };
        let m = c.disk.moves.remove(i);
        let t = &mut c.disk.table[p as usize];
        if t.epoch != m.epoch {
            ctx.note(Note::MoveAborted {
                part: p,
                from: m.from,
                to: m.to,
            });
            return;
        }
        for r in t.replicas.iter_mut() {
            if *r == m.from {
                *r = m.to;
            }
        }
        if t.leader == Some(m.from) {
            t.leader = Some(m.to);
        }
        t.epoch += 1;
        let epoch = t.epoch;
        if let Some(h) = c.mem.heard.get_mut(p as usize) {
            *h = ctx.now();
        }
        ctx.note(Note::MoveDone {
            part: p,
            from: m.from,
            to: m.to,
            epoch,
        });
        self.broadcast(c, p, ctx);
        self.finish_leaving(c);
    }
}
