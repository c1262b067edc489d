//! The storage: applies writes once, and with fencing rejects a token lower than the
//! highest it has accepted.
//!
//! A write is known by its client, token and number in the holding. That names one write
//! only because no two holdings share a token, also not two holdings of one client: the
//! ZooKeeper service gives a client's newer request a new znode, never its old one (see
//! the lock service's `Create`). Were that not so, a new holding's write would be answered
//! "already applied" for the old holding's and be lost, which the checker's
//! "Acknowledged writes logged once" reports.

use super::super::*;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Locks {
    pub(super) fn storage_msg(&self, s: &mut Storage, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        let Msg::Write { token, n } = msg else {
            ctx.note(Note::WrongNode);
            return;
        };
        let reply = |s: &Storage, accepted| Msg::WriteReply {
            token,
            n,
            accepted,
            max_token: s.disk.max_token,
        };
        if s.disk.applied.contains(&(from, token, n)) {
            ctx.note(Note::AlreadyApplied {
                client: from,
                token,
                n,
            });
            ctx.send(from, reply(s, true));
            return;
        }
        if self.params.fencing && token < s.disk.max_token {
            s.disk.log.push(WriteEntry {
                at: ctx.now(),
                client: from,
                token,
                n,
                accepted: false,
            });
            ctx.note(Note::Rejects {
                client: from,
                token,
                max_token: s.disk.max_token,
            });
            ctx.send(from, reply(s, false));
            return;
        }
        s.disk.max_token = s.disk.max_token.max(token);
        s.disk.applied.insert((from, token, n));
        s.disk.log.push(WriteEntry {
            at: ctx.now(),
            client: from,
            token,
            n,
            accepted: true,
        });
        ctx.note(Note::Accepts {
            client: from,
            token,
            n,
        });
        ctx.send(from, reply(s, true));
    }
}
