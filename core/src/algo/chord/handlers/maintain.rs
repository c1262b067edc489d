//! Ring maintenance (Chord §4.4 and §5, figure 6; with Zave's fixes, TSE 2017 §5):
//!
//! - **join**: look up one's own successor through a known node. Zave: then ask that
//!   successor for its successor list and become a member only with a full list. The
//!   original: become a member with the successor alone.
//! - **stabilize** (periodic): ask the successor for its predecessor and list; reconcile
//!   the list (the successor, then its list); if the successor's predecessor lies between,
//!   it is a better successor. Zave: ask it first (adopt it only if it answers). The
//!   original: adopt it at once. Then notify the successor. A successor that does not
//!   answer within `timeout` is taken for failed and the next in the list is asked; with
//!   none left the node is out of the ring and joins again.
//! - **notify**: a node adopts the notifier as predecessor if it has none or the notifier
//!   lies between; it hands the notifier the keys that are now the notifier's.
//! - **check_predecessor** (with stabilize): a predecessor that does not answer a ping is
//!   cleared (Zave's rectify then accepts the next notifier).
//! - **keys**: handed over until acknowledged (the sender keeps them meanwhile); with
//!   `replicate`, copied to the successor list each round, and a node promotes the copies
//!   in its range when its predecessor changes.
//! - **leave**: hand the keys and the predecessor to the successor, the successor list to
//!   the predecessor, and stop.

use super::super::ring::in_open;
use super::super::types::{
    Handoff, Mem, Msg, Neighbours, Node, Note, Pending, Phase, Purpose, Round, Timer,
};
use super::Chord;
use crate::collections::VecSet;
use crate::protocol::Ctx;
use crate::sim::NodeId;
use std::sync::Arc;

impl Chord {
    /// Join through `via`: look up one's own successor there.
    pub(super) fn start_join(&self, node: &mut Node, via: NodeId, ctx: &mut Ctx<Self>) {
        self.disarm(node, ctx);
        let me = ctx.me();
        node.mem = Mem {
            phase: Phase::Joining,
            via: Some(via),
            tries: node.mem.tries + 1,
            next_seq: node.mem.next_seq,
            ..Mem::default()
        };
        node.disk.rejoin = true;
        node.disk.via = Some(via);
        ctx.note(Note::JoinStarts {
            via,
            original: self.params.unsafe_original_join,
        });
        let seq = node.mem.next_seq;
        node.mem.next_seq += 1;
        node.mem.lookups.insert(
            seq,
            Pending {
                key: self.pos(me),
                purpose: Purpose::Join,
                attempt: 1,
                started: ctx.now(),
                waiting: false,
            },
        );
        let wait = self.lookup_wait() * 2;
        ctx.set_timer(Timer::Join, wait..=wait);
        self.launch_join(node, seq, ctx);
    }

    fn launch_join(&self, node: &mut Node, seq: u32, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let via = node.mem.via.unwrap_or(me);
        let key = self.pos(me);
        ctx.send(
            via,
            Msg::Find {
                id: super::super::types::LookupId { origin: me, seq },
                key,
                purpose: Purpose::Join,
                hops: 0,
                path: Arc::from([me, via]),
            },
        );
    }

    /// The join's lookup found the successor.
    pub(super) fn join_found(&self, node: &mut Node, succ: NodeId, ctx: &mut Ctx<Self>) {
        if node.mem.phase != Phase::Joining {
            return;
        }
        if self.params.unsafe_original_join {
            return self.become_member(node, vec![succ], ctx);
        }
        node.mem.phase = Phase::Listing;
        node.mem.via = Some(succ);
        ctx.note(Note::JoinFound { succ });
        ctx.send(succ, Msg::GetNeighbours);
    }

    fn become_member(&self, node: &mut Node, succ: Vec<NodeId>, ctx: &mut Ctx<Self>) {
        ctx.cancel_timer(Timer::Join);
        let first = succ[0];
        ctx.note(Note::Joined {
            succ: succ.clone(),
            original: self.params.unsafe_original_join,
        });
        let bits = self.params.bits as usize;
        let mut fingers = vec![None; bits];
        fingers[0] = Some(first);
        node.mem.phase = Phase::Member;
        node.mem.succ = succ;
        node.mem.pred = None;
        node.mem.fingers = fingers;
        node.mem.next_finger = 1;
        node.mem.lookups.clear();
        node.mem.via = None;
        node.mem.tries = 0;
        node.disk.via = Some(first);
        self.arm_member(ctx);
    }

    pub(super) fn on_join_timeout(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        if !matches!(node.mem.phase, Phase::Joining | Phase::Listing) {
            return;
        }
        let me = ctx.me();
        let was = node.mem.via.unwrap_or(me);
        // The next node by number that is not this one.
        let n = self.params.nodes;
        let mut next = NodeId((was.0 + 1) % n);
        if next == me {
            next = NodeId((next.0 + 1) % n);
        }
        ctx.note(Note::JoinTimedOut { via: was, next });
        self.start_join(node, next, ctx);
    }

    /// Stabilize (and check the predecessor, resend key hand-offs, copy the keys).
    pub(super) fn on_stabilize(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        if node.mem.phase != Phase::Member {
            return;
        }
        let me = ctx.me();
        let every = self.params.stabilize_every;
        ctx.set_timer(Timer::Stabilize, every..=every);
        if node.mem.round.is_none() {
            self.start_round(node, ctx);
        }
        if node.mem.phase != Phase::Member {
            return;
        }
        if let Some(p) = node.mem.pred.filter(|&p| p != me) {
            if !node.mem.pinging {
                node.mem.pinging = true;
                ctx.note(Note::PingsPredecessor { pred: p });
                ctx.send(p, Msg::Ping);
                let t = self.params.timeout;
                ctx.set_timer(Timer::PingTimeout, t..=t);
            }
        }
        for h in &node.mem.handoffs {
            let keys: Vec<u64> = h.keys.iter().copied().collect();
            ctx.note(Note::HandsKeys {
                to: h.to,
                keys: keys.clone(),
                again: true,
            });
            ctx.send(h.to, Msg::Keys { keys: keys.into() });
        }
        if self.params.replicate && !node.mem.keys.is_empty() {
            let to: Vec<NodeId> = node.mem.succ.iter().copied().filter(|&s| s != me).collect();
            if !to.is_empty() {
                let keys: Arc<[u64]> = node.mem.keys.iter().copied().collect();
                ctx.note(Note::Replicates {
                    to: to.clone(),
                    count: keys.len() as u32,
                });
                ctx.send_all(to, Msg::Replicas { keys });
            }
        }
    }

    /// Ask the first successor (a lone member answers itself).
    fn start_round(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(&s) = node.mem.succ.first() else {
            return self.stranded(node, ctx);
        };
        node.mem.round = Some(super::super::types::Round::Successor { node: s });
        if s == me {
            let nb = self.neighbours(node);
            return self.on_neighbours(node, me, nb, ctx);
        }
        ctx.note(Note::Stabilizes { succ: s });
        self.ask(node, Round::Successor { node: s }, ctx);
    }

    fn neighbours(&self, node: &Node) -> Neighbours {
        Neighbours {
            pred: node.mem.pred,
            succ: node.mem.succ.as_slice().into(),
        }
    }

    pub(super) fn on_get_neighbours(&self, node: &mut Node, from: NodeId, ctx: &mut Ctx<Self>) {
        ctx.send(from, Msg::Neighbours(self.neighbours(node)));
    }

    pub(super) fn on_neighbours(
        &self,
        node: &mut Node,
        from: NodeId,
        nb: Neighbours,
        ctx: &mut Ctx<Self>,
    ) {
        let me = ctx.me();
        if node.mem.phase == Phase::Listing && node.mem.via == Some(from) {
            // Zave's join: a full successor list before membership.
            let succ = self.reconcile(me, from, &nb.succ);
            return self.become_member(node, succ, ctx);
        }
        if node.mem.phase != Phase::Member {
            return;
        }
        let size = self.size();
        match node.mem.round {
            Some(Round::Successor { node: t }) if t == from => {
                ctx.cancel_timer(Timer::RoundTimeout);
                node.mem.round = None;
                // Entries before it that stayed silent this round are kept in front.
                let skipped = node.mem.succ.iter().position(|&x| x == t).unwrap_or(0);
                let mut succ: Vec<NodeId> = node.mem.succ[..skipped].to_vec();
                for x in self.reconcile(me, from, &nb.succ) {
                    if !succ.contains(&x) {
                        succ.push(x);
                    }
                }
                succ.truncate(self.params.successors as usize);
                if succ != node.mem.succ {
                    ctx.note(Note::Reconciles {
                        from,
                        succ: succ.clone(),
                        pred: nb.pred,
                    });
                }
                node.mem.succ = succ;
                self.set_finger0(node);
                let between = nb.pred.filter(|&p| {
                    p != me && in_open(self.pos(p), self.pos(me), self.pos(from), size)
                });
                match between {
                    Some(p) if self.params.unsafe_original_join => {
                        // The original stabilize: adopt it without asking.
                        let mut succ = vec![p];
                        succ.extend(node.mem.succ.iter().copied().filter(|&x| x != p));
                        succ.truncate(self.params.successors as usize);
                        ctx.note(Note::Adopts {
                            node: p,
                            was: from,
                            checked: false,
                        });
                        node.mem.succ = succ;
                        self.set_finger0(node);
                        self.notify(node, ctx);
                    }
                    Some(p) => {
                        ctx.note(Note::Checks {
                            candidate: p,
                            via: from,
                        });
                        self.ask(node, Round::Candidate { node: p, via: from }, ctx);
                    }
                    None => self.notify(node, ctx),
                }
            }
            Some(Round::Candidate { node: c, via }) if c == from => {
                ctx.cancel_timer(Timer::RoundTimeout);
                node.mem.round = None;
                let first = node.mem.succ.first().copied().unwrap_or(me);
                if first == me || in_open(self.pos(c), self.pos(me), self.pos(first), size) {
                    ctx.note(Note::Adopts {
                        node: c,
                        was: via,
                        checked: true,
                    });
                    node.mem.succ = self.reconcile(me, c, &nb.succ);
                    self.set_finger0(node);
                }
                self.notify(node, ctx);
            }
            _ => {}
        }
    }

    fn set_finger0(&self, node: &mut Node) {
        if let (Some(f), Some(&s)) = (node.mem.fingers.first_mut(), node.mem.succ.first()) {
            *f = Some(s);
        }
    }

    fn notify(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let Some(&s) = node.mem.succ.first() else {
            return;
        };
        ctx.note(Note::Notifies { succ: s });
        self.to(node, s, Msg::Notify, ctx);
    }

    /// The asked node did not answer in time. Silence is not failure (the node may be
    /// slow, paused or cut off): it stays in the list; this round asks the next one.
    pub(super) fn on_round_timeout(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let Some(round) = node.mem.round.take() else {
            return;
        };
        if node.mem.phase != Phase::Member {
            return;
        }
        let me = ctx.me();
        match round {
            Round::Successor { node: s } => {
                let k = node.mem.succ.iter().position(|&x| x == s);
                let next =
                    k.and_then(|k| node.mem.succ[k + 1..].iter().copied().find(|&x| x != me));
                ctx.note(Note::Silent {
                    node: s,
                    next,
                    candidate: false,
                });
                if let Some(t) = next {
                    self.ask(node, Round::Successor { node: t }, ctx);
                }
            }
            Round::Candidate { node: c, .. } => {
                ctx.note(Note::Silent {
                    node: c,
                    next: None,
                    candidate: true,
                });
                self.notify(node, ctx);
            }
        }
    }

    /// Ask a node for its neighbours in this round, with a deadline.
    fn ask(&self, node: &mut Node, round: Round, ctx: &mut Ctx<Self>) {
        let (Round::Successor { node: to } | Round::Candidate { node: to, .. }) = round;
        node.mem.round = Some(round);
        ctx.send(to, Msg::GetNeighbours);
        let t = self.params.timeout;
        ctx.set_timer(Timer::RoundTimeout, t..=t);
    }

    /// A message of this node was refused: `from` failed or is outside the ring. It is
    /// dropped from every pointer, and what the message was for goes on without it.
    pub(super) fn on_refused(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        // Keys handed to it come back.
        let mut back = Vec::new();
        node.mem.handoffs.retain(|h| {
            if h.to == from {
                back.extend(h.keys.iter().copied());
            }
            h.to != from
        });
        node.mem.keys.extend(back);
        node.mem.succ.retain(|&x| x != from);
        self.forget(node, from);
        let member = node.mem.phase == Phase::Member;
        ctx.note(Note::Gone {
            node: from,
            label: self.label(&msg),
            succ: node.mem.succ.first().copied().filter(|_| member),
        });
        if node.mem.pred == Some(from) {
            node.mem.pred = None;
            node.mem.pinging = false;
            ctx.cancel_timer(Timer::PingTimeout);
            ctx.note(Note::PredecessorFailed { pred: from });
        }
        let joining =
            matches!(node.mem.phase, Phase::Joining | Phase::Listing) && node.mem.via == Some(from);
        if joining {
            return self.on_join_timeout(node, ctx);
        }
        if !member {
            return;
        }
        if node.mem.succ.is_empty() {
            node.mem.round = None;
            return self.stranded(node, ctx);
        }
        match msg {
            Msg::Find {
                id,
                key,
                purpose,
                hops,
                path,
            } => {
                let back = &path[..path.len().saturating_sub(1)];
                self.route(node, id, key, purpose, hops.saturating_sub(1), back, ctx);
            }
            Msg::Confirm {
                id,
                key,
                purpose,
                hops,
                path,
            } => {
                let back = &path[..path.len().saturating_sub(1)];
                self.route(node, id, key, purpose, hops, back, ctx);
            }
            Msg::GetNeighbours => match node.mem.round {
                Some(Round::Successor { node: x }) if x == from => {
                    ctx.cancel_timer(Timer::RoundTimeout);
                    node.mem.round = None;
                    self.start_round(node, ctx);
                }
                Some(Round::Candidate { node: x, .. }) if x == from => {
                    ctx.cancel_timer(Timer::RoundTimeout);
                    node.mem.round = None;
                    self.notify(node, ctx);
                }
                _ => {}
            },
            Msg::Keys { .. } => self.settle_keys(node, ctx),
            _ => {}
        }
    }

    /// A failed node leaves the fingers (the successor list is handled by the caller).
    fn forget(&self, node: &mut Node, gone: NodeId) {
        for f in node.mem.fingers.iter_mut() {
            if *f == Some(gone) {
                *f = None;
            }
        }
        self.set_finger0(node);
    }

    /// No successor left: out of the ring; join again.
    fn stranded(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let via = self.contact(node.disk.via, me);
        ctx.note(Note::Stranded { via: Some(via) });
        self.start_join(node, via, ctx);
    }

    pub(super) fn on_ping_timeout(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        if !node.mem.pinging {
            return;
        }
        node.mem.pinging = false;
        if let Some(pred) = node.mem.pred {
            ctx.note(Note::PredecessorSilent { pred });
        }
    }

    pub(super) fn on_notify(&self, node: &mut Node, from: NodeId, ctx: &mut Ctx<Self>) {
        if node.mem.phase != Phase::Member {
            return ctx.note(Note::Ignores { from });
        }
        let me = ctx.me();
        let adopt = match node.mem.pred {
            None => true,
            Some(p) => p != from && in_open(self.pos(from), self.pos(p), self.pos(me), self.size()),
        };
        if !adopt {
            if let Some(pred) = node.mem.pred.filter(|&p| p != from) {
                ctx.note(Note::KeepsPredecessor { from, pred });
            }
            return;
        }
        let was = node.mem.pred.replace(from);
        node.mem.pinging = false;
        ctx.cancel_timer(Timer::PingTimeout);
        ctx.note(Note::NewPredecessor { pred: from, was });
        self.settle_keys(node, ctx);
    }

    /// The predecessor is known: the copies in this node's range become its own, and the
    /// keys before the predecessor go to it (hand-offs to others are taken back first).
    fn settle_keys(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(pred) = node.mem.pred else {
            return;
        };
        let promote: Vec<u64> = node
            .mem
            .replicas
            .iter()
            .copied()
            .filter(|&k| self.owns(k, pred, me))
            .collect();
        if !promote.is_empty() {
            for k in &promote {
                node.mem.replicas.remove(k);
                node.mem.keys.insert(*k);
            }
            ctx.note(Note::Promotes { keys: promote });
        }
        let mut back = Vec::new();
        node.mem.handoffs.retain(|h| {
            if h.to == pred {
                true
            } else {
                back.extend(h.keys.iter().copied());
                false
            }
        });
        node.mem.keys.extend(back);
        if pred == me {
            return;
        }
        let out: Vec<u64> = node
            .mem
            .keys
            .iter()
            .copied()
            .filter(|&k| !self.owns(k, pred, me))
            .collect();
        if out.is_empty() {
            return;
        }
        for k in &out {
            node.mem.keys.remove(k);
            if self.params.replicate {
                node.mem.replicas.insert(*k);
            }
        }
        match node.mem.handoffs.iter_mut().find(|h| h.to == pred) {
            Some(h) => h.keys.extend(out.iter().copied()),
            None => node.mem.handoffs.push(Handoff {
                to: pred,
                keys: out.iter().copied().collect(),
            }),
        }
        ctx.note(Note::HandsKeys {
            to: pred,
            keys: out.clone(),
            again: false,
        });
        ctx.send(pred, Msg::Keys { keys: out.into() });
    }

    pub(super) fn on_keys(&self, node: &mut Node, from: NodeId, keys: &[u64], ctx: &mut Ctx<Self>) {
        for k in keys {
            node.mem.replicas.remove(k);
            node.mem.keys.insert(*k);
        }
        ctx.note(Note::StoresKeys {
            from,
            keys: keys.to_vec(),
        });
        ctx.send(from, Msg::KeysAck { keys: keys.into() });
        // Keys before its own predecessor go on to it.
        self.settle_keys(node, ctx);
    }

    pub(super) fn on_keys_ack(
        &self,
        node: &mut Node,
        from: NodeId,
        keys: &[u64],
        ctx: &mut Ctx<Self>,
    ) {
        let mut count = 0;
        for h in node.mem.handoffs.iter_mut().filter(|h| h.to == from) {
            for k in keys {
                if h.keys.remove(k) {
                    count += 1;
                }
            }
        }
        node.mem.handoffs.retain(|h| !h.keys.is_empty());
        if count > 0 {
            ctx.note(Note::KeysAcked { from, count });
        }
    }

    pub(super) fn on_replicas(
        &self,
        node: &mut Node,
        from: NodeId,
        keys: &[u64],
        ctx: &mut Ctx<Self>,
    ) {
        if node.mem.phase != Phase::Member {
            return;
        }
        let before = node.mem.replicas.len();
        for k in keys {
            if !node.mem.keys.contains(k) {
                node.mem.replicas.insert(*k);
            }
        }
        let count = (node.mem.replicas.len() - before) as u32;
        if count > 0 {
            ctx.note(Note::StoresReplicas { from, count });
        }
    }

    /// Voluntary leave.
    pub(super) fn leave(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let succ = node.mem.succ[0];
        let pred = node.mem.pred.filter(|&p| p != me);
        let mut keys: VecSet<u64> = node.mem.keys.clone();
        for h in &node.mem.handoffs {
            keys.extend(h.keys.iter().copied());
        }
        ctx.note(Note::Leaves {
            succ,
            pred,
            keys: keys.len() as u32,
        });
        ctx.send(
            succ,
            Msg::Leaving {
                pred,
                keys: keys.iter().copied().collect(),
            },
        );
        if let Some(p) = pred.filter(|&p| p != succ) {
            ctx.send(
                p,
                Msg::LeavingPred {
                    succ: node.mem.succ.as_slice().into(),
                },
            );
        }
        self.disarm(node, ctx);
        node.mem = Mem {
            next_seq: node.mem.next_seq,
            ..Mem::default()
        };
        node.disk.rejoin = false;
    }

    pub(super) fn on_leaving(
        &self,
        node: &mut Node,
        from: NodeId,
        pred: Option<NodeId>,
        keys: &[u64],
        ctx: &mut Ctx<Self>,
    ) {
        if node.mem.phase != Phase::Member {
            return ctx.note(Note::Ignores { from });
        }
        let me = ctx.me();
        for k in keys {
            node.mem.replicas.remove(k);
            node.mem.keys.insert(*k);
        }
        let mut new_pred = None;
        if node.mem.pred == Some(from) || node.mem.pred.is_none() {
            let p = pred.unwrap_or(me);
            node.mem.pred = Some(p);
            new_pred = Some(p);
        }
        ctx.note(Note::TakesOver {
            from,
            keys: keys.len() as u32,
            pred: new_pred,
        });
        self.drop_leaver(node, from, me);
        self.settle_keys(node, ctx);
    }

    pub(super) fn on_leaving_pred(
        &self,
        node: &mut Node,
        from: NodeId,
        succ: &[NodeId],
        ctx: &mut Ctx<Self>,
    ) {
        if node.mem.phase != Phase::Member || node.mem.succ.first() != Some(&from) {
            return ctx.note(Note::Ignores { from });
        }
        let me = ctx.me();
        let rest: Vec<NodeId> = succ.iter().copied().filter(|&s| s != from).collect();
        let next = rest.first().copied().unwrap_or(me);
        node.mem.succ = self.reconcile(me, next, rest.get(1..).unwrap_or(&[]));
        ctx.note(Note::Skips { from, succ: next });
        self.drop_leaver(node, from, me);
    }

    fn drop_leaver(&self, node: &mut Node, gone: NodeId, me: NodeId) {
        node.mem.succ.retain(|&x| x != gone);
        if node.mem.succ.is_empty() {
            node.mem.succ.push(me);
        }
        self.forget(node, gone);
    }
}
