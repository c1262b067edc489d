//! The [`Protocol`] impl: each event goes to the handler of the node's role (client, lock
//! service, storage); a restart is handled here.

mod client;
mod lock;
mod storage;

use super::checker::{self, LocksChecker};
use super::*;
use crate::invariant::Property;
use crate::protocol::{Ctx, NodeFault, ParamError, Protocol};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

impl Protocol for Locks {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = LocksChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("clients", params.clients, 1..=MAX_CLIENTS)?;
        ParamError::check_range("ttl", params.ttl, 30..=60_000)?;
        ParamError::check_range("work", params.work, 1..=60_000)?;
        ParamError::check_range("writes", params.writes, 1..=10)?;
        ParamError::check_range("request_timeout", params.request_timeout, 10..=60_000)?;
        ParamError::check_range("backoff", params.backoff, 2..=60_000)?;
        Ok(Locks { params })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        let mut v: Vec<String> = (1..=self.params.clients).map(|i| format!("c{i}")).collect();
        v.push("lock".into());
        v.push("storage".into());
        v
    }

    fn init(&self, id: NodeId, _ctx: &mut Ctx<Self>) -> Node {
        if self.is_client(id) {
            Node::Client(Client::default())
        } else if id == self.lock_node() {
            Node::Lock(LockService::default())
        } else {
            Node::Storage(Storage::default())
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match node {
            Node::Client(c) => self.client_msg(c, from, msg, ctx),
            Node::Lock(l) => self.lock_msg(l, from, msg, ctx),
            Node::Storage(s) => self.storage_msg(s, from, msg, ctx),
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match node {
            Node::Client(c) => self.client_timer(c, timer, ctx),
            Node::Lock(l) => self.lock_timer(l, timer, ctx),
            Node::Storage(_) => ctx.note(Note::TimerNotNeeded),
        }
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        match node {
            Node::Client(c) => self.client_cmd(c, cmd, ctx),
            _ => ctx.note(Note::NotAClient),
        }
    }

    fn fault_note(&self, node: &Node, fault: NodeFault) -> Option<Note> {
        let c = node.client()?;
        let token = c.mem.token.filter(|_| c.mem.phase == Phase::Holding)?;
        Some(Note::HolderFault { fault, token })
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        match node {
            Node::Client(c) => {
                // Its memory is gone: a belief it had not ended is one the crash cut short.
                let held = c
                    .beliefs()
                    .last()
                    .is_some_and(|b| b.to.is_none() && b.ended == Some(Ended::Crashed));
                ctx.note(Note::ClientRestarts { held });
            }
            Node::Lock(l) => {
                // Timers were lost: sessions get a fresh ttl (as ZooKeeper does after a
                // server change); the key keeps its absolute expiry.
                let now = ctx.now();
                let clients: Vec<NodeId> = l.disk.sessions.keys().copied().collect();
                for client in &clients {
                    self.renew(l, *client, ctx);
                }
                ctx.note(Note::LockRestarts {
                    sessions: clients.len() as u32,
                    holder: l.disk.holder.map(|h| h.client),
                    queued: l.disk.queue.len() as u32,
                });
                if let Some(h) = l.disk.holder {
                    if self.params.variant == Variant::Lease {
                        let at = h.expires.unwrap_or(now);
                        if at <= now {
                            // It expired while the service was down: free it now.
                            l.disk.holder = None;
                            ctx.note(Note::KeyExpiredWhileDown {
                                client: h.client,
                                token: h.token,
                                expired_at: at,
                            });
                        } else {
                            ctx.set_timer(Timer::KeyExpiry, Self::fixed(at - now));
                        }
                    }
                }
                self.grant_next(l, ctx);
            }
            Node::Storage(s) => ctx.note(Note::StorageRestarts {
                max_token: s.disk.max_token,
            }),
        }
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        self.msg_label_of(msg)
    }

    fn describe_msg(&self, msg: &Msg, names: &[String]) -> String {
        self.msg_words(msg, names)
    }

    fn describe_timer(&self, timer: &Timer, names: &[String]) -> String {
        self.timer_words(timer, names)
    }

    fn describe_cmd(&self, cmd: &Cmd, names: &[String]) -> String {
        self.cmd_words(cmd, names)
    }

    fn describe_note(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        self.note_words(me, note, names)
    }

    fn properties(&self) -> Vec<Property> {
        checker::properties()
    }

    fn checker(&self) -> LocksChecker {
        LocksChecker::new()
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let c = NodeId(rng.random_range(0..self.params.clients));
        let cmd = if rng.random_range(0..6u32) == 0 {
            Cmd::Release
        } else {
            Cmd::Acquire
        };
        Some((c, cmd))
    }
}
