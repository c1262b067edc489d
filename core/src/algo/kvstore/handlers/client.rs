//! A client: one operation at a time (the others queued), sent to the partition's leader
//! or the pinned server, or, leaderless, to the N replicas with a W or R quorum; read
//! repair, substitutes for a sloppy quorum, redirects and timeouts.

use super::super::types::{
    Client, ClientOp, Cmd, CmdRefused, Ending, Msg, Note, Open, PartCfg, Refusal, Req, Timer,
    Versioned, MAX_QUEUE, MAX_TRIES, VERSION_CLIENTS,
};
use super::super::Kvstore;
use crate::history::{OpKind, Outcome};
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Kvstore {
    pub(super) fn client_cmd(&self, c: &mut Client, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let ops: Vec<ClientOp> = match cmd {
            Cmd::Write { key } => vec![ClientOp {
                kind: OpKind::Write,
                key,
            }],
            Cmd::Read { key } => vec![ClientOp {
                kind: OpKind::Read,
                key,
            }],
            Cmd::Sequence { from, count } => (from..from
                .saturating_add(count.min(MAX_QUEUE as u32)))
                .map(|key| ClientOp {
                    kind: OpKind::Write,
                    key,
                })
                .collect(),
            Cmd::Join | Cmd::Leave => return,
        };
        for op in ops {
            if op.key >= self.params.keys {
                return ctx.note(Note::Refused {
                    refused: CmdRefused::NoSuchKey { key: op.key },
                });
            }
            if c.mem.queue.len() >= MAX_QUEUE {
                return ctx.note(Note::Refused {
                    refused: CmdRefused::QueueFull,
                });
            }
            c.mem.queue.push(op);
            if c.mem.open.is_some() {
                ctx.note(Note::Queued {
                    kind: op.kind,
                    key: op.key,
                    behind: c.mem.queue.len() as u32,
                });
            }
        }
        self.start_next(c, ctx);
    }

    /// Where a leader-follower request goes: the pinned server for a read when it holds
    /// the partition, else the leader (the first replica when no leader is known).
    fn target(&self, c: &Client, me: NodeId, p: u32, kind: OpKind) -> Option<NodeId> {
        let cfg = c.disk.table.get(p as usize)?;
        if kind == OpKind::Read {
            if let Some(s) = self.pin(me).filter(|s| cfg.replicas.contains(s)) {
                return Some(s);
            }
        }
        cfg.leader.or_else(|| cfg.replicas.first().copied())
    }

    fn start_next(&self, c: &mut Client, ctx: &mut Ctx<Self>) {
        if c.mem.open.is_some() || c.mem.queue.is_empty() {
            return;
        }
        let me = ctx.me();
        let idx = u64::from(self.client_index(me).unwrap_or(0));
        let ClientOp { kind, key } = c.mem.queue.remove(0);
        c.disk.next_op += 1;
        let op = c.disk.next_op;
        let p = self.part_of(key);
        let value = (kind == OpKind::Write).then(|| {
            c.disk.written += 1;
            (c.disk.written - 1) * u64::from(self.params.clients) + idx + 1
        });
        let mut open = Open {
            op,
            kind,
            key,
            value,
            version: 0,
            invoked: ctx.now(),
            tries: 1,
            outstanding: 0,
            acks: Vec::new(),
            answers: Vec::new(),
            asked: Vec::new(),
            substitutes: Vec::new(),
        };
        let to: Vec<NodeId> = if self.leaderless() {
            let to = c.disk.table[p as usize].replicas.clone();
            if let Some(v) = value {
                c.disk.counter += 1;
                open.version = c.disk.counter * VERSION_CLIENTS + idx;
                let put = Msg::Put {
                    op,
                    key,
                    v: Versioned {
                        value: v,
                        version: open.version,
                    },
                    hint_for: None,
                };
                ctx.send_all(to.iter().copied(), put);
            } else {
                ctx.send_all(to.iter().copied(), Msg::Get { op, key });
            }
            if self.params.sloppy {
                let t = self.params.request_timeout / 3;
                ctx.set_timer(Timer::Sloppy { op }, t..=t);
            }
            open.asked = to.clone();
            to
        } else {
            let target = self.target(c, me, p, kind);
            if let Some(t) = target {
                self.send_request(&mut open, t, ctx);
            }
            target.into_iter().collect()
        };
        ctx.note(Note::Invokes {
            op,
            kind,
            key,
            part: p,
            value,
            version: open.version,
            to,
        });
        let t = self.params.request_timeout;
        ctx.set_timer(Timer::Timeout { op }, t..=t);
        c.mem.open = Some(open);
    }

    fn send_request(&self, open: &mut Open, to: NodeId, ctx: &mut Ctx<Self>) {
        let req = match open.value {
            Some(value) => {
                open.outstanding += 1;
                Req::Write {
                    key: open.key,
                    value,
                }
            }
            None => Req::Read { key: open.key },
        };
        ctx.send(to, Msg::Request { op: open.op, req });
    }

    fn complete(
        &self,
        c: &mut Client,
        outcome: Outcome,
        found: Option<(u64, u64)>,
        ending: Ending,
        ctx: &mut Ctx<Self>,
    ) {
        let Some(open) = c.mem.open.take() else {
            return;
        };
        let value = match open.kind {
            OpKind::Write => open.value,
            OpKind::Read if outcome == Outcome::Ok => found.map(|f| f.0),
            OpKind::Read => None,
        };
        let stamp = match open.kind {
            OpKind::Write if self.leaderless() => Some(open.version),
            _ => found.map(|f| f.1),
        };
        ctx.note(Note::Completes {
            op: open.op,
            kind: open.kind,
            key: open.key,
            value,
            stamp: stamp.filter(|_| outcome == Outcome::Ok),
            outcome,
            ending,
            took: ctx.now().saturating_sub(open.invoked),
        });
        for t in [
            Timer::Timeout { op: open.op },
            Timer::Retry { op: open.op },
            Timer::Sloppy { op: open.op },
        ] {
            ctx.cancel_timer(t);
        }
        self.start_next(c, ctx);
    }

    fn adopt(&self, c: &mut Client, p: u32, cfg: PartCfg, ctx: &mut Ctx<Self>) {
        let Some(t) = c.disk.table.get_mut(p as usize) else {
            return;
        };
        if cfg.epoch > t.epoch {
            ctx.note(Note::Learns {
                part: p,
                epoch: cfg.epoch,
                leader: cfg.leader,
            });
            *t = cfg;
        }
    }

    pub(super) fn client_msg(&self, c: &mut Client, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let open_op = c.mem.open.as_ref().map(|o| o.op);
        match msg {
            Msg::Config { part, cfg } => self.adopt(c, part, cfg, ctx),
            Msg::Reply { op, found } if open_op == Some(op) => {
                self.complete(c, Outcome::Ok, found, Ending::Answered, ctx)
            }
            Msg::Refused { op, part, why, cfg } => {
                self.adopt(c, part, cfg, ctx);
                if open_op != Some(op) {
                    return;
                }
                let Some(mut open) = c.mem.open.take() else {
                    return;
                };
                if open.kind == OpKind::Write {
                    open.outstanding = open.outstanding.saturating_sub(1);
                }
                open.tries += 1;
                if open.tries > MAX_TRIES {
                    let certain = open.outstanding == 0;
                    c.mem.open = Some(open);
                    if certain {
                        return self.complete(c, Outcome::Fail, None, Ending::Refused, ctx);
                    }
                    // An earlier attempt may still take effect: wait for the timeout.
                    return;
                }
                let to = self.target(c, me, part, open.kind);
                let epoch = c.disk.table[part as usize].epoch;
                ctx.note(Note::Redirected {
                    op,
                    from,
                    why,
                    to: to.filter(|&t| t != from),
                    epoch,
                });
                match to {
                    Some(t)
                        if t != from && matches!(why, Refusal::NotLeader | Refusal::NotReplica) =>
                    {
                        self.send_request(&mut open, t, ctx)
                    }
                    _ => {
                        let d = self.hb();
                        ctx.set_timer(Timer::Retry { op }, d..=d);
                    }
                }
                c.mem.open = Some(open);
            }
            Msg::PutAck { op, key } if open_op == Some(op) => {
                let w = self.params.w;
                let Some(open) = c.mem.open.as_mut() else {
                    return;
                };
                if open.kind != OpKind::Write || open.acks.contains(&from) {
                    return;
                }
                open.acks.push(from);
                let count = open.acks.len() as u32;
                ctx.note(Note::Acked {
                    op,
                    from,
                    key,
                    v: Versioned {
                        value: open.value.unwrap_or(0),
                        version: open.version,
                    },
                    count,
                    need: w,
                });
                if count >= w {
                    self.complete(c, Outcome::Ok, None, Ending::Quorum, ctx);
                }
            }
            Msg::GetReply { op, key, found } if open_op == Some(op) => {
                let r = self.params.r;
                let Some(open) = c.mem.open.as_mut() else {
                    return;
                };
                if open.kind != OpKind::Read || open.answers.iter().any(|a| a.0 == from) {
                    return;
                }
                open.answers.push((from, found));
                let count = open.answers.len() as u32;
                ctx.note(Note::Answered {
                    op,
                    from,
                    key,
                    found,
                    count,
                    need: r,
                });
                if count < r {
                    return;
                }
                let newest = open
                    .answers
                    .iter()
                    .filter_map(|a| a.1)
                    .max_by_key(|v| v.version);
                if let Some(v) = newest {
                    c.disk.counter = c.disk.counter.max(v.version / VERSION_CLIENTS);
                    let stale: Vec<NodeId> = open
                        .answers
                        .iter()
                        .filter(|a| a.1.is_none_or(|x| x.version < v.version))
                        .map(|a| a.0)
                        .filter(|n| !open.substitutes.iter().any(|s| s.0 == *n))
                        .collect();
                    if self.params.read_repair && !stale.is_empty() {
                        ctx.note(Note::ReadRepair {
                            key,
                            v,
                            to: stale.clone(),
                        });
                        ctx.send_all(
                            stale,
                            Msg::Put {
                                op: 0,
                                key,
                                v,
                                hint_for: None,
                            },
                        );
                    }
                }
                let found = newest.map(|v| (v.value, v.version));
                self.complete(c, Outcome::Ok, found, Ending::Quorum, ctx);
            }
            _ => {}
        }
    }

    pub(super) fn client_timer(&self, c: &mut Client, timer: Timer, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let open_op = c.mem.open.as_ref().map(|o| o.op);
        match timer {
            Timer::Timeout { op } if open_op == Some(op) => {
                let open = c.mem.open.as_ref().expect("open");
                let outcome = match open.kind {
                    // A read that got no answer certainly did nothing.
                    OpKind::Read => Outcome::Fail,
                    OpKind::Write if self.leaderless() || open.outstanding > 0 => Outcome::Pending,
                    OpKind::Write => Outcome::Fail,
                };
                self.complete(c, outcome, None, Ending::TimedOut, ctx);
            }
            Timer::Retry { op } if open_op == Some(op) => {
                let Some(mut open) = c.mem.open.take() else {
                    return;
                };
                let p = self.part_of(open.key);
                if let Some(t) = self.target(c, me, p, open.kind) {
                    self.send_request(&mut open, t, ctx);
                }
                c.mem.open = Some(open);
            }
            Timer::Sloppy { op } if open_op == Some(op) => {
                let Some(mut open) = c.mem.open.take() else {
                    return;
                };
                let p = self.part_of(open.key);
                let home = &c.disk.table[p as usize].replicas;
                let silent: Vec<NodeId> = open
                    .asked
                    .iter()
                    .copied()
                    .filter(|n| !open.acks.contains(n) && !open.answers.iter().any(|a| a.0 == *n))
                    .collect();
                // Substitutes: the next servers after the partition's, in order, that
                // hold none of it (Dynamo's preference list beyond the first N).
                let total = self.server_total();
                let subs: Vec<NodeId> = (1..=total)
                    .map(|i| NodeId((p + self.params.replicas - 1 + i) % total))
                    .filter(|n| !home.contains(n))
                    .take(silent.len())
                    .collect();
                let pairs: Vec<(NodeId, NodeId)> = subs.into_iter().zip(silent).collect();
                if !pairs.is_empty() {
                    ctx.note(Note::Substitutes {
                        op,
                        pairs: pairs.clone(),
                    });
                    for &(s, for_node) in &pairs {
                        match open.value {
                            Some(value) => ctx.send(
                                s,
                                Msg::Put {
                                    op,
                                    key: open.key,
                                    v: Versioned {
                                        value,
                                        version: open.version,
                                    },
                                    hint_for: Some(for_node),
                                },
                            ),
                            None => ctx.send(s, Msg::Get { op, key: open.key }),
                        }
                    }
                    open.substitutes = pairs;
                }
                c.mem.open = Some(open);
            }
            _ => {}
        }
    }
}
