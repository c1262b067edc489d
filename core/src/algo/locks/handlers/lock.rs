//! The lock service: the queue server, the lease key or ZooKeeper's znodes and watches.

use super::super::*;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Locks {
    pub(super) fn renew(&self, l: &mut LockService, client: NodeId, ctx: &mut Ctx<Self>) {
        if !self.sessions() {
            return;
        }
        let at = ctx.now() + self.params.ttl;
        l.disk.sessions.insert(client, at);
        if let Some(h) = l.disk.holder.as_mut().filter(|h| h.client == client) {
            h.expires = Some(at);
        }
        ctx.set_timer(Timer::Session { client }, Self::fixed(self.params.ttl));
    }

    fn end_session(&self, l: &mut LockService, client: NodeId, ctx: &mut Ctx<Self>) {
        l.disk.sessions.remove(&client);
        ctx.cancel_timer(Timer::Session { client });
    }

    /// Queue: hand the lock to the first waiter, if any.
    pub(super) fn grant_next(&self, l: &mut LockService, ctx: &mut Ctx<Self>) {
        if l.disk.holder.is_some() || l.disk.queue.is_empty() {
            return;
        }
        let client = l.disk.queue.remove(0);
        let req = l.disk.requests.remove(&client).unwrap_or(0);
        l.disk.last_token += 1;
        l.disk.grants += 1;
        let token = l.disk.last_token;
        l.disk.holder = Some(Grant {
            client,
            token,
            since: ctx.now(),
            expires: l.disk.sessions.get(&client).copied(),
            attempt: req,
        });
        ctx.send(client, Msg::Granted { token, req });
        ctx.note(Note::Grants { client, token });
    }

    /// Zookeeper: delete a znode and fire the watches it triggers.
    fn zk_delete(&self, l: &mut LockService, seq: u64, ctx: &mut Ctx<Self>) {
        l.disk.znodes.retain(|z| z.seq != seq);
        self.fire(l, Event::NodeDeleted, seq, ctx);
    }

    fn fire(&self, l: &mut LockService, event: Event, seq: u64, ctx: &mut Ctx<Self>) {
        let mut to = Vec::new();
        l.disk.watches.retain(|w| {
            let hit = match (event, w.on) {
                (Event::NodeDeleted, Some(s)) => s == seq,
                (_, None) => true,
                _ => false,
            };
            if hit {
                to.push(w.watcher);
            }
            !hit
        });
        if to.is_empty() {
            return;
        }
        // A children watch reports a change, whatever it was.
        for &w in &to {
            l.disk.notifications += 1;
            let ev = if self.params.herd {
                Event::ChildrenChanged
            } else {
                event
            };
            ctx.send(w, Msg::Notify { event: ev, seq });
        }
        ctx.note(Note::Notifies { event, seq, to });
    }

    fn children(l: &LockService) -> Vec<u64> {
        l.disk.znodes.iter().map(|z| z.seq).collect()
    }

    pub(super) fn lock_msg(
        &self,
        l: &mut LockService,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<Self>,
    ) {
        if !self.is_client(from) {
            ctx.note(Note::WrongNode);
            return;
        }
        match msg {
            Msg::Acquire { req } => {
                if req < l.disk.last_req.get(&from).copied().unwrap_or(0) {
                    ctx.note(Note::StaleRequest { client: from, req });
                    return;
                }
                l.disk.last_req.insert(from, req);
                self.renew(l, from, ctx);
                match l.disk.holder {
                    Some(h) if h.client == from && h.attempt == req => {
                        ctx.send(
                            from,
                            Msg::Granted {
                                token: h.token,
                                req,
                            },
                        );
                        ctx.note(Note::RepeatsGrant {
                            client: from,
                            token: h.token,
                        });
                        return;
                    }
                    Some(h) if h.client == from => {
                        // A new request from the holder: it gave up or forgot its grant.
                        l.disk.holder = None;
                        ctx.note(Note::VoidsGrant {
                            client: from,
                            token: h.token,
                        });
                    }
                    _ => {}
                }
                if let Some(i) = l.disk.queue.iter().position(|&c| c == from) {
                    l.disk.requests.insert(from, req);
                    let position = i as u32 + 1;
                    ctx.send(from, Msg::Queued { position });
                    ctx.note(Note::StillQueued {
                        client: from,
                        position,
                    });
                } else {
                    l.disk.queue.push(from);
                    l.disk.requests.insert(from, req);
                    // Free (or just freed): the first in line gets it, maybe this client.
                    self.grant_next(l, ctx);
                    if let Some(i) = l.disk.queue.iter().position(|&c| c == from) {
                        let position = i as u32 + 1;
                        ctx.send(from, Msg::Queued { position });
                        ctx.note(Note::Enqueues {
                            client: from,
                            position,
                        });
                    }
                }
            }
            Msg::Release { token, req } => {
                if token == 0 && req < l.disk.last_req.get(&from).copied().unwrap_or(0) {
                    ctx.note(Note::StaleRequest { client: from, req });
                    return;
                }
                match l.disk.holder {
                    Some(h) if h.client == from && (token == 0 || token == h.token) => {
                        l.disk.holder = None;
                        ctx.note(Note::FreesLock {
                            client: from,
                            token: h.token,
                        });
                    }
                    _ => {
                        if let Some(i) = l
                            .disk
                            .queue
                            .iter()
                            .position(|&c| c == from)
                            .filter(|_| token == 0)
                        {
                            l.disk.queue.remove(i);
                            l.disk.requests.remove(&from);
                            ctx.note(Note::LeavesQueue { client: from });
                        } else {
                            ctx.note(Note::ReleaseIgnored {
                                client: from,
                                token,
                            });
                        }
                    }
                }
                let still =
                    l.disk.queue.contains(&from) || l.disk.holder.is_some_and(|h| h.client == from);
                if !still {
                    self.end_session(l, from, ctx);
                }
                if token != 0 {
                    ctx.send(from, Msg::Released { token });
                }
                self.grant_next(l, ctx);
            }
            Msg::KeepAlive => {
                if l.disk.sessions.contains_key(&from) {
                    self.renew(l, from, ctx);
                    ctx.note(Note::Renews { client: from });
                } else {
                    ctx.note(Note::IgnoresKeepAlive { client: from });
                    ctx.send(from, Msg::SessionExpired);
                }
            }
            Msg::SetNx { attempt } => {
                let now = ctx.now();
                match l.disk.holder {
                    Some(h) if h.client == from && h.attempt == attempt => {
                        ctx.send(
                            from,
                            Msg::SetReply {
                                attempt,
                                token: Some(h.token),
                            },
                        );
                        ctx.note(Note::RepeatsSet {
                            client: from,
                            token: h.token,
                        });
                    }
                    Some(h) => {
                        ctx.send(
                            from,
                            Msg::SetReply {
                                attempt,
                                token: None,
                            },
                        );
                        ctx.note(Note::KeyTaken {
                            client: from,
                            holder: h.client,
                        });
                    }
                    None => {
                        l.disk.last_token += 1;
                        l.disk.grants += 1;
                        let token = l.disk.last_token;
                        l.disk.holder = Some(Grant {
                            client: from,
                            token,
                            since: now,
                            expires: Some(now + self.params.ttl),
                            attempt,
                        });
                        ctx.set_timer(Timer::KeyExpiry, Self::fixed(self.params.ttl));
                        ctx.send(
                            from,
                            Msg::SetReply {
                                attempt,
                                token: Some(token),
                            },
                        );
                        ctx.note(Note::SetsKey {
                            client: from,
                            token,
                        });
                    }
                }
            }
            Msg::Del { token, compare } => {
                let deleted = match l.disk.holder {
                    Some(h) if h.token == token => {
                        l.disk.holder = None;
                        ctx.cancel_timer(Timer::KeyExpiry);
                        ctx.note(Note::DeletesKey {
                            client: from,
                            token,
                        });
                        true
                    }
                    Some(h) if !compare => {
                        l.disk.holder = None;
                        ctx.cancel_timer(Timer::KeyExpiry);
                        ctx.note(Note::DeletesOthersKey {
                            client: from,
                            owner: h.client,
                            token: h.token,
                        });
                        true
                    }
                    h => {
                        ctx.note(Note::KeepsKey {
                            client: from,
                            owner: h.map(|h| h.client),
                        });
                        false
                    }
                };
                ctx.send(from, Msg::DelReply { token, deleted });
            }
            Msg::Create { attempt } => {
                if attempt < l.disk.last_req.get(&from).copied().unwrap_or(0) {
                    ctx.note(Note::StaleRequest {
                        client: from,
                        req: attempt,
                    });
                    return;
                }
                l.disk.last_req.insert(from, attempt);
                self.renew(l, from, ctx);
                if let Some(z) = l
                    .disk
                    .znodes
                    .iter()
                    .find(|z| z.owner == from && z.attempt == attempt)
                {
                    // A resent create: return the client's znode rather than make a second.
                    let seq = z.seq;
                    ctx.note(Note::ReturnsZnode { client: from, seq });
                    ctx.send(
                        from,
                        Msg::Created {
                            seq,
                            attempt,
                            children: Self::children(l),
                        },
                    );
                    return;
                }
                // A znode of an older request of this client: it gave that request up, or
                // crashed and forgot it (a crashed holder restarting within its session
                // still has its znode). Returning it would give the new holding the old
                // one's sequence number, so its token: the storage could not tell the two
                // holdings' writes apart. Delete it, as the client would have.
                let old: Vec<u64> = l
                    .disk
                    .znodes
                    .iter()
                    .filter(|z| z.owner == from)
                    .map(|z| z.seq)
                    .collect();
                for seq in old {
                    ctx.note(Note::ReplacesZnode {
                        client: from,
                        old: seq,
                    });
                    self.zk_delete(l, seq, ctx);
                }
                l.disk.last_token += 1;
                let seq = l.disk.last_token;
                l.disk.znodes.push(Znode {
                    seq,
                    owner: from,
                    attempt,
                });
                ctx.note(Note::CreatesZnode { client: from, seq });
                self.fire(l, Event::ChildrenChanged, seq, ctx);
                ctx.send(
                    from,
                    Msg::Created {
                        seq,
                        attempt,
                        children: Self::children(l),
                    },
                );
            }
            Msg::Exists { seq } => {
                self.renew(l, from, ctx);
                let exists = l.disk.znodes.iter().any(|z| z.seq == seq);
                if exists
                    && !l
                        .disk
                        .watches
                        .iter()
                        .any(|w| w.watcher == from && w.on == Some(seq))
                {
                    l.disk.watches.push(Watch {
                        watcher: from,
                        on: Some(seq),
                    });
                }
                ctx.note(Note::SetsWatch {
                    client: from,
                    on: Some(seq),
                    exists,
                });
                ctx.send(from, Msg::Stat { seq, exists });
            }
            Msg::GetChildren { watch } => {
                self.renew(l, from, ctx);
                if watch
                    && !l
                        .disk
                        .watches
                        .iter()
                        .any(|w| w.watcher == from && w.on.is_none())
                {
                    l.disk.watches.push(Watch {
                        watcher: from,
                        on: None,
                    });
                }
                let children = Self::children(l);
                ctx.note(Note::ListsChildren {
                    client: from,
                    count: children.len() as u32,
                });
                ctx.send(from, Msg::Children { children });
            }
            Msg::Delete { seq } => {
                if l.disk
                    .znodes
                    .iter()
                    .any(|z| z.seq == seq && z.owner == from)
                {
                    ctx.note(Note::DeletesZnode { client: from, seq });
                    self.zk_delete(l, seq, ctx);
                } else {
                    ctx.note(Note::ReleaseIgnored {
                        client: from,
                        token: seq,
                    });
                }
                // Its session ends with its last znode (a late copy of an old delete
                // leaves a newer request alone).
                if !l.disk.znodes.iter().any(|z| z.owner == from) {
                    l.disk.watches.retain(|w| w.watcher != from);
                    self.end_session(l, from, ctx);
                }
                ctx.send(from, Msg::Deleted { seq });
            }
            _ => ctx.note(Note::WrongNode),
        }
    }

    pub(super) fn lock_timer(&self, l: &mut LockService, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Session { client } => {
                if l.disk
                    .sessions
                    .get(&client)
                    .is_none_or(|&at| at > ctx.now())
                {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                }
                l.disk.sessions.remove(&client);
                let held = l
                    .disk
                    .holder
                    .filter(|h| h.client == client)
                    .map(|h| h.token);
                if held.is_some() {
                    l.disk.holder = None;
                }
                l.disk.queue.retain(|&c| c != client);
                let znodes: Vec<u64> = l
                    .disk
                    .znodes
                    .iter()
                    .filter(|z| z.owner == client)
                    .map(|z| z.seq)
                    .collect();
                l.disk.watches.retain(|w| w.watcher != client);
                ctx.note(Note::SessionExpires {
                    client,
                    held,
                    znodes: znodes.clone(),
                });
                for seq in znodes {
                    self.zk_delete(l, seq, ctx);
                }
                self.grant_next(l, ctx);
            }
            Timer::KeyExpiry => match l.disk.holder.take() {
                Some(h) => ctx.note(Note::KeyExpires {
                    client: h.client,
                    token: h.token,
                }),
                None => ctx.note(Note::TimerNotNeeded),
            },
            _ => ctx.note(Note::TimerNotNeeded),
        }
    }
}
