//! A client: takes the lock (queue, lease or ZooKeeper recipe), writes its critical section
//! to the storage, releases.

use super::super::*;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Locks {
    /// Send a request to the lock service and remember it for resending.
    fn request(&self, c: &mut Client, msg: Msg, ctx: &mut Ctx<Self>) {
        ctx.send(self.lock_node(), msg.clone());
        c.mem.pending = Some(msg);
        ctx.set_timer(Timer::Retry, Self::fixed(self.params.request_timeout));
    }

    fn done_request(&self, c: &mut Client, ctx: &mut Ctx<Self>) {
        c.mem.pending = None;
        ctx.cancel_timer(Timer::Retry);
    }

    fn start_keepalive(&self, ctx: &mut Ctx<Self>) {
        if self.sessions() {
            ctx.set_timer(Timer::KeepAlive, Self::fixed(self.keepalive()));
        }
    }

    fn send_set(&self, c: &mut Client, ctx: &mut Ctx<Self>) {
        c.disk.attempt += 1;
        c.mem.phase = Phase::Requesting;
        self.request(
            c,
            Msg::SetNx {
                attempt: c.disk.attempt,
            },
            ctx,
        );
    }

    /// Count a failed `SET NX` and draw the back-off before the next: random, from half the
    /// base up to the base doubled once per failure in a row (at most 16 times the base).
    fn backoff_delay(&self, c: &mut Client, ctx: &mut Ctx<Self>) -> Time {
        c.mem.failures += 1;
        let base = self.params.backoff;
        let exp = c.mem.failures.saturating_sub(1).min(4);
        let hi = base.saturating_mul(1 << exp);
        ctx.random_range(base / 2..=hi.max(base / 2))
    }

    /// The client now believes it holds the lock: start the critical section.
    fn take(&self, c: &mut Client, token: u64, ctx: &mut Ctx<Self>) {
        c.mem.phase = Phase::Holding;
        c.mem.token = Some(token);
        c.mem.written = 0;
        c.mem.failures = 0;
        c.disk.beliefs.push(Belief {
            token,
            from: ctx.now(),
            to: None,
            ended: None,
        });
        ctx.note(Note::GotLock { token });
        ctx.set_timer(Timer::Work, Self::fixed(self.params.work));
    }

    fn end_belief(c: &mut Client, now: Time, how: Ended) {
        if let Some(b) = c.disk.beliefs.last_mut() {
            if b.ended.is_none() {
                b.to = Some(now);
                b.ended = Some(how);
            }
        }
    }

    /// Leave the critical section and tell the lock service.
    fn release(&self, c: &mut Client, ctx: &mut Ctx<Self>) {
        let Some(token) = c.mem.token else { return };
        c.mem.writing = false;
        c.mem.release_after_write = false;
        Self::end_belief(c, ctx.now(), Ended::Released);
        ctx.cancel_timer(Timer::Work);
        ctx.cancel_timer(Timer::WriteRetry);
        // The release ends the session: no more pings.
        ctx.cancel_timer(Timer::KeepAlive);
        c.mem.phase = Phase::Releasing;
        ctx.note(Note::Releases { token });
        let msg = match self.params.variant {
            Variant::Queue => Msg::Release {
                token,
                req: c.disk.attempt,
            },
            Variant::Lease => Msg::Del {
                token,
                compare: self.params.safe_release,
            },
            Variant::Zookeeper => Msg::Delete {
                seq: c.mem.znode.unwrap_or(token),
            },
        };
        self.request(c, msg, ctx);
    }

    fn to_idle(&self, c: &mut Client, ctx: &mut Ctx<Self>) {
        c.mem.phase = Phase::Idle;
        c.mem.token = None;
        c.mem.writing = false;
        c.mem.release_after_write = false;
        c.mem.znode = None;
        c.mem.watching = None;
        self.done_request(c, ctx);
        ctx.cancel_timer(Timer::KeepAlive);
        ctx.cancel_timer(Timer::Backoff);
    }

    /// Zookeeper: decide from the children of `/lock` whether this client holds the lock.
    fn zk_decide(&self, c: &mut Client, children: &[u64], watched: bool, ctx: &mut Ctx<Self>) {
        let Some(me) = c.mem.znode else { return };
        if !children.contains(&me) {
            // Our znode is gone (our session expired): start again.
            ctx.note(Note::ZnodeGone { seq: me });
            c.mem.znode = None;
            c.mem.phase = Phase::Requesting;
            self.request(
                c,
                Msg::Create {
                    attempt: c.disk.attempt,
                },
                ctx,
            );
            return;
        }
        let pred = children.iter().copied().filter(|&s| s < me).max();
        match pred {
            None => {
                self.done_request(c, ctx);
                c.mem.watching = None;
                ctx.note(Note::IsLowest { seq: me });
                self.take(c, me, ctx);
            }
            Some(pred) if !self.params.herd => {
                c.mem.phase = Phase::Waiting;
                c.mem.watching = Some(pred);
                ctx.note(Note::WatchesPredecessor { seq: me, pred });
                self.request(c, Msg::Exists { seq: pred }, ctx);
            }
            Some(_) if !watched => {
                // Herd: list the children again with a watch on /lock (set atomically
                // with the listing, so no change is missed).
                c.mem.phase = Phase::Waiting;
                c.mem.watching = None;
                ctx.note(Note::ListsWithWatch { seq: me });
                self.request(c, Msg::GetChildren { watch: true }, ctx);
            }
            Some(_) => {
                self.done_request(c, ctx);
                c.mem.phase = Phase::Waiting;
                c.mem.watching = None;
                let lower = children.iter().filter(|&&s| s < me).count() as u32;
                ctx.note(Note::WatchesChildren { seq: me, lower });
            }
        }
    }

    pub(super) fn client_msg(&self, c: &mut Client, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match msg {
            Msg::Granted { token, req } => {
                if matches!(c.mem.phase, Phase::Requesting | Phase::Waiting)
                    && req == c.disk.attempt
                {
                    self.done_request(c, ctx);
                    self.take(c, token, ctx);
                    self.start_keepalive(ctx);
                } else if c.mem.phase == Phase::Holding && c.mem.token == Some(token) {
                    ctx.note(Note::RepeatedGrant { token });
                } else {
                    // A grant for a request it gave up (or forgot in a crash): hand it back.
                    ctx.note(Note::StaleGrant { token });
                    ctx.send(
                        from,
                        Msg::Release {
                            token,
                            req: c.disk.attempt,
                        },
                    );
                }
            }
            Msg::Queued { position } => {
                if c.mem.phase == Phase::Requesting {
                    self.done_request(c, ctx);
                    c.mem.phase = Phase::Waiting;
                    ctx.set_timer(Timer::KeepAlive, Self::fixed(self.keepalive()));
                    ctx.note(Note::IsQueued { position });
                } else if c.mem.phase == Phase::Waiting {
                    ctx.note(Note::IsQueued { position });
                } else {
                    ctx.note(Note::StaleReply);
                }
            }
            Msg::Released { token } | Msg::Deleted { seq: token } => {
                if c.mem.phase == Phase::Releasing {
                    ctx.note(Note::ReleaseDone {
                        token,
                        deleted: true,
                    });
                    self.to_idle(c, ctx);
                } else {
                    ctx.note(Note::StaleReply);
                }
            }
            Msg::DelReply { token, deleted } => {
                if c.mem.phase == Phase::Releasing {
                    ctx.note(Note::ReleaseDone { token, deleted });
                    self.to_idle(c, ctx);
                } else {
                    ctx.note(Note::StaleReply);
                }
            }
            Msg::SetReply { attempt, token } => {
                if c.mem.phase != Phase::Requesting || attempt != c.disk.attempt {
                    ctx.note(Note::StaleReply);
                    return;
                }
                self.done_request(c, ctx);
                match token {
                    Some(t) => self.take(c, t, ctx),
                    None => {
                        c.mem.phase = Phase::Waiting;
                        let d = self.backoff_delay(c, ctx);
                        ctx.set_timer(Timer::Backoff, Self::fixed(d));
                        ctx.note(Note::SetFailed { backoff: d });
                    }
                }
            }
            Msg::Created {
                seq,
                attempt,
                children,
            } => {
                if c.mem.phase != Phase::Requesting
                    || c.mem.znode.is_some()
                    || attempt != c.disk.attempt
                {
                    ctx.note(Note::StaleReply);
                    return;
                }
                self.done_request(c, ctx);
                c.mem.znode = Some(seq);
                ctx.note(Note::CreatedZnode { seq });
                self.start_keepalive(ctx);
                self.zk_decide(c, &children, false, ctx);
            }
            Msg::Stat { seq, exists } => {
                if c.mem.phase != Phase::Waiting || c.mem.watching != Some(seq) {
                    ctx.note(Note::StaleReply);
                    return;
                }
                self.done_request(c, ctx);
                if !exists {
                    ctx.note(Note::PredecessorGone { pred: seq });
                    c.mem.watching = None;
                    self.request(c, Msg::GetChildren { watch: false }, ctx);
                } else {
                    ctx.note(Note::WaitsForWatch { pred: seq });
                }
            }
            Msg::Children { children } => {
                if !matches!(c.mem.phase, Phase::Waiting | Phase::Requesting)
                    || c.mem.znode.is_none()
                {
                    ctx.note(Note::StaleReply);
                    return;
                }
                self.done_request(c, ctx);
                self.zk_decide(c, &children, self.params.herd, ctx);
            }
            Msg::Notify { event, seq } => {
                c.disk.notifications += 1;
                ctx.note(Note::Notified { event, seq });
                if !matches!(c.mem.phase, Phase::Waiting | Phase::Requesting)
                    || c.mem.znode.is_none()
                {
                    return;
                }
                let relevant = match event {
                    Event::ChildrenChanged => true,
                    Event::NodeDeleted => c.mem.watching == Some(seq),
                };
                if relevant {
                    c.mem.watching = None;
                    self.request(
                        c,
                        Msg::GetChildren {
                            watch: self.params.herd,
                        },
                        ctx,
                    );
                }
            }
            Msg::SessionExpired => match c.mem.phase {
                Phase::Holding => {
                    ctx.note(Note::LearnsExpired { phase: c.mem.phase });
                    Self::end_belief(c, ctx.now(), Ended::Expired);
                    ctx.cancel_timer(Timer::Work);
                    ctx.cancel_timer(Timer::WriteRetry);
                    self.to_idle(c, ctx);
                }
                Phase::Waiting | Phase::Requesting => {
                    ctx.note(Note::LearnsExpired { phase: c.mem.phase });
                    c.mem.znode = None;
                    c.mem.watching = None;
                    c.mem.phase = Phase::Requesting;
                    let msg = match self.params.variant {
                        Variant::Zookeeper => Msg::Create {
                            attempt: c.disk.attempt,
                        },
                        _ => Msg::Acquire {
                            req: c.disk.attempt,
                        },
                    };
                    self.request(c, msg, ctx);
                }
                _ => ctx.note(Note::StaleReply),
            },
            Msg::WriteReply {
                token,
                n,
                accepted,
                max_token,
            } => {
                if c.mem.phase != Phase::Holding
                    || c.mem.token != Some(token)
                    || n != c.mem.written + 1
                {
                    ctx.note(Note::StaleReply);
                    return;
                }
                ctx.cancel_timer(Timer::WriteRetry);
                c.mem.writing = false;
                if accepted {
                    c.mem.written = n;
                    c.disk.accepted += 1;
                    ctx.note(Note::WriteAccepted { token, n });
                    if n >= self.params.writes || c.mem.release_after_write {
                        self.release(c, ctx);
                    } else {
                        ctx.set_timer(Timer::Work, Self::fixed(self.params.work));
                    }
                } else {
                    c.disk.rejected += 1;
                    ctx.note(Note::WriteFenced { token, max_token });
                    Self::end_belief(c, ctx.now(), Ended::Fenced);
                    // It still releases: the lock service decides whether that is its lock.
                    self.release(c, ctx);
                }
            }
            _ => ctx.note(Note::WrongNode),
        }
    }

    pub(super) fn client_timer(&self, c: &mut Client, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Work => {
                if c.mem.phase != Phase::Holding {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                }
                let token = c.mem.token.unwrap_or(0);
                let n = c.mem.written + 1;
                ctx.send(self.storage_node(), Msg::Write { token, n });
                c.mem.writing = true;
                ctx.set_timer(Timer::WriteRetry, Self::fixed(self.params.request_timeout));
                ctx.note(Note::Writes { token, n });
            }
            Timer::WriteRetry => {
                if c.mem.phase != Phase::Holding {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                }
                let token = c.mem.token.unwrap_or(0);
                let n = c.mem.written + 1;
                ctx.send(self.storage_node(), Msg::Write { token, n });
                ctx.set_timer(Timer::WriteRetry, Self::fixed(self.params.request_timeout));
                ctx.note(Note::ResendsWrite { n });
            }
            Timer::Retry => {
                let Some(msg) = c.mem.pending.clone() else {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                };
                if self.params.variant == Variant::Lease && matches!(msg, Msg::SetNx { .. }) {
                    // No answer to SET: treat it as failed and back off.
                    c.mem.pending = None;
                    c.mem.phase = Phase::Waiting;
                    let d = self.backoff_delay(c, ctx);
                    ctx.set_timer(Timer::Backoff, Self::fixed(d));
                    ctx.note(Note::SetTimedOut { backoff: d });
                    return;
                }
                ctx.note(Note::Resends);
                self.request(c, msg, ctx);
            }
            Timer::Backoff => {
                if c.mem.phase == Phase::Waiting {
                    ctx.note(Note::RetriesSet);
                    self.send_set(c, ctx);
                } else {
                    ctx.note(Note::TimerNotNeeded);
                }
            }
            Timer::KeepAlive => {
                let queued = self.params.variant == Variant::Queue && c.mem.phase == Phase::Waiting;
                if queued {
                    // The reminder also keeps the session alive, and recovers a lost grant.
                    ctx.send(
                        self.lock_node(),
                        Msg::Acquire {
                            req: c.disk.attempt,
                        },
                    );
                    ctx.note(Note::RemindsServer);
                } else if self.sessions() && c.mem.phase != Phase::Idle {
                    ctx.send(self.lock_node(), Msg::KeepAlive);
                    ctx.note(Note::SendsKeepAlive);
                } else {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                }
                ctx.set_timer(Timer::KeepAlive, Self::fixed(self.keepalive()));
            }
            Timer::Session { .. } | Timer::KeyExpiry => ctx.note(Note::TimerNotNeeded),
        }
    }

    pub(super) fn client_cmd(&self, c: &mut Client, cmd: Cmd, ctx: &mut Ctx<Self>) {
        match cmd {
            Cmd::Acquire => {
                if c.mem.phase != Phase::Idle {
                    ctx.note(Note::AlreadyBusy { phase: c.mem.phase });
                    return;
                }
                c.mem.phase = Phase::Requesting;
                c.mem.failures = 0;
                ctx.note(Note::AsksForLock);
                match self.params.variant {
                    Variant::Queue => {
                        c.disk.attempt += 1;
                        self.request(
                            c,
                            Msg::Acquire {
                                req: c.disk.attempt,
                            },
                            ctx,
                        )
                    }
                    Variant::Lease => self.send_set(c, ctx),
                    Variant::Zookeeper => {
                        // A new request number: the lock service must not take this for
                        // a resent create of an earlier acquisition (one forgotten in a
                        // crash), whose znode would give this holding the old one's token.
                        c.disk.attempt += 1;
                        self.request(
                            c,
                            Msg::Create {
                                attempt: c.disk.attempt,
                            },
                            ctx,
                        )
                    }
                }
            }
            Cmd::Release => match c.mem.phase {
                Phase::Holding if c.mem.writing => {
                    c.mem.release_after_write = true;
                    ctx.note(Note::ReleasesAfterWrite {
                        n: c.mem.written + 1,
                    });
                }
                Phase::Holding => self.release(c, ctx),
                Phase::Requesting | Phase::Waiting => {
                    ctx.note(Note::GivesUp);
                    match (self.params.variant, c.mem.znode) {
                        (Variant::Queue, _) => ctx.send(
                            self.lock_node(),
                            Msg::Release {
                                token: 0,
                                req: c.disk.attempt,
                            },
                        ),
                        (Variant::Zookeeper, Some(seq)) => {
                            ctx.send(self.lock_node(), Msg::Delete { seq })
                        }
                        _ => {}
                    }
                    self.to_idle(c, ctx);
                }
                _ => ctx.note(Note::NotHolding),
            },
        }
    }
}
