//! Lookups (Chord §4.3, figure 5, done recursively): a lookup for `key` travels as a
//! message to the closest preceding finger it knows, hop by hop, until it reaches the
//! node whose successor follows the key. That node asks its successor to confirm that it
//! holds the key's range (its predecessor lies before the key); the successor answers the
//! origin. A pointer out of date or a node outside the ring makes the lookup undecided;
//! the origin tries again after a stabilisation period, at most [`MAX_ATTEMPTS`] times.

use super::super::ring::{dist, in_half, in_open};
use super::super::types::{
    LookupId, Msg, Node, Note, Outcome, Pending, Phase, Purpose, Timer, Undecided, MAX_ATTEMPTS,
    MAX_HOPS,
};
use super::Chord;
use crate::protocol::Ctx;
use crate::sim::NodeId;
use std::sync::Arc;

impl Chord {
    /// Start a lookup of `key` here.
    pub(super) fn start_lookup(
        &self,
        node: &mut Node,
        key: u64,
        purpose: Purpose,
        ctx: &mut Ctx<Self>,
    ) {
        let seq = node.mem.next_seq;
        node.mem.next_seq += 1;
        node.mem.lookups.insert(
            seq,
            Pending {
                key,
                purpose,
                attempt: 1,
                started: ctx.now(),
                waiting: false,
            },
        );
        ctx.note(Note::Starts {
            seq,
            key,
            purpose,
            attempt: 1,
        });
        self.launch(node, seq, ctx);
    }

    /// Send lookup `seq` on its way (again).
    fn launch(&self, node: &mut Node, seq: u32, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(p) = node.mem.lookups.get(&seq).cloned() else {
            return;
        };
        let id = LookupId { origin: me, seq };
        if p.purpose == Purpose::Join {
            // Not in the ring yet: the node it joins through routes the lookup.
            let via = node.mem.via.unwrap_or(me);
            ctx.send(
                via,
                Msg::Find {
                    id,
                    key: p.key,
                    purpose: p.purpose,
                    hops: 0,
                    path: Arc::from([me, via]),
                },
            );
            return;
        }
        ctx.set_timer(
            Timer::Lookup { seq },
            self.lookup_wait()..=self.lookup_wait(),
        );
        self.route(node, id, p.key, p.purpose, 0, &[me], ctx);
    }

    /// The next hop towards `key`'s predecessor: the finger that most closely precedes
    /// the key (figure 5), else the successor-list entry that does (§5: the list stands in
    /// for fingers lost to failures), else the successor; without fingers, the successor.
    fn closest_preceding(&self, node: &Node, me: NodeId, key: u64) -> (NodeId, bool) {
        let succ0 = node.mem.succ[0];
        if !self.params.fingers {
            return (succ0, false);
        }
        let size = self.size();
        let here = self.pos(me);
        let best = |cands: &mut dyn Iterator<Item = NodeId>| {
            cands
                .filter(|&c| c != me && in_open(self.pos(c), here, key, size))
                .max_by_key(|&c| dist(here, self.pos(c), size))
        };
        let finger = best(&mut node.mem.fingers.iter().flatten().copied());
        match finger {
            Some(f) => (f, f != succ0),
            None => match best(&mut node.mem.succ.iter().copied()) {
                Some(s) => (s, false),
                None => (succ0, false),
            },
        }
    }

    /// A lookup reaches this node (or starts here).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn route(
        &self,
        node: &mut Node,
        id: LookupId,
        key: u64,
        purpose: Purpose,
        hops: u32,
        path: &[NodeId],
        ctx: &mut Ctx<Self>,
    ) {
        let me = ctx.me();
        if node.mem.succ.is_empty() {
            return;
        }
        if hops > MAX_HOPS {
            return self.cannot_decide(node, id, key, Undecided::TooManyHops, ctx);
        }
        let succ0 = node.mem.succ[0];
        let mut path = path.to_vec();
        if in_half(key, self.pos(me), self.pos(succ0), self.size()) {
            ctx.note(Note::Precedes {
                origin: id.origin,
                key,
                succ: succ0,
                hops,
            });
            path.push(succ0);
            let msg = Msg::Confirm {
                id,
                key,
                purpose,
                hops,
                path: path.into(),
            };
            return self.to(node, succ0, msg, ctx);
        }
        let (next, finger) = self.closest_preceding(node, me, key);
        ctx.note(Note::Forwards {
            seq: id.seq,
            origin: id.origin,
            key,
            to: next,
            finger,
            hops: hops + 1,
        });
        path.push(next);
        let msg = Msg::Find {
            id,
            key,
            purpose,
            hops: hops + 1,
            path: path.into(),
        };
        self.to(node, next, msg, ctx);
    }

    fn cannot_decide(
        &self,
        node: &mut Node,
        id: LookupId,
        key: u64,
        why: Undecided,
        ctx: &mut Ctx<Self>,
    ) {
        ctx.note(Note::CannotDecide {
            origin: id.origin,
            key,
            why,
        });
        self.to(node, id.origin, Msg::Undecided { id, key, why }, ctx);
    }

    /// The key's predecessor asks this node to confirm that it holds the key.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn confirm(
        &self,
        node: &mut Node,
        id: LookupId,
        key: u64,
        purpose: Purpose,
        hops: u32,
        path: &[NodeId],
        ctx: &mut Ctx<Self>,
    ) {
        let me = ctx.me();
        let Some(pred) = node.mem.pred else {
            return self.cannot_decide(node, id, key, Undecided::NoPredecessor, ctx);
        };
        if !self.owns(key, pred, me) {
            return self.cannot_decide(node, id, key, Undecided::BeforePredecessor { pred }, ctx);
        }
        ctx.note(Note::Owns {
            id,
            key,
            pred,
            hops,
            purpose,
        });
        let msg = Msg::Found {
            id,
            key,
            owner: me,
            hops,
            path: path.into(),
        };
        self.to(node, id.origin, msg, ctx);
    }

    /// The answer reaches the origin.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn found(
        &self,
        node: &mut Node,
        seq: u32,
        key: u64,
        owner: NodeId,
        hops: u32,
        path: &[NodeId],
        ctx: &mut Ctx<Self>,
    ) {
        let Some(p) = node.mem.lookups.remove(&seq) else {
            return ctx.note(Note::Stale { seq });
        };
        ctx.cancel_timer(Timer::Lookup { seq });
        ctx.note(Note::Done {
            seq,
            key,
            purpose: p.purpose,
            outcome: Outcome::Found { owner },
            hops,
            path: path.to_vec(),
            attempts: p.attempt,
            took: ctx.now().saturating_sub(p.started),
        });
        match p.purpose {
            Purpose::User => {}
            Purpose::Finger { index } => {
                if node.mem.phase == Phase::Member {
                    let k = index.saturating_sub(1) as usize;
                    if let Some(f) = node.mem.fingers.get_mut(k) {
                        let was = f.replace(owner);
                        if was != Some(owner) {
                            ctx.note(Note::FingerSet {
                                index,
                                node: owner,
                                was,
                            });
                        }
                    }
                }
            }
            Purpose::Join => self.join_found(node, owner, ctx),
        }
    }

    /// An undecided answer: try again after a stabilisation period (the pointers may be
    /// right by then), or give up.
    pub(super) fn undecided(
        &self,
        node: &mut Node,
        seq: u32,
        key: u64,
        _why: Undecided,
        ctx: &mut Ctx<Self>,
    ) {
        let Some(p) = node.mem.lookups.get_mut(&seq) else {
            return ctx.note(Note::Stale { seq });
        };
        if p.purpose == Purpose::Join {
            // The join timer tries another node.
            return;
        }
        if p.waiting {
            return;
        }
        p.waiting = true;
        let wait = self.params.stabilize_every;
        if p.attempt >= MAX_ATTEMPTS {
            self.give_up(node, seq, ctx);
        } else {
            ctx.note(Note::Retries {
                seq,
                key,
                attempt: p.attempt + 1,
                silent: false,
            });
            ctx.set_timer(Timer::Lookup { seq }, wait..=wait);
        }
    }

    /// No answer in time, or the wait after an undecided answer is over.
    pub(super) fn on_lookup_timer(&self, node: &mut Node, seq: u32, ctx: &mut Ctx<Self>) {
        let Some(p) = node.mem.lookups.get_mut(&seq) else {
            return;
        };
        if p.attempt >= MAX_ATTEMPTS {
            return self.give_up(node, seq, ctx);
        }
        if !p.waiting {
            ctx.note(Note::Retries {
                seq,
                key: p.key,
                attempt: p.attempt + 1,
                silent: true,
            });
        }
        p.attempt += 1;
        p.waiting = false;
        if node.mem.phase != Phase::Member {
            return self.give_up(node, seq, ctx);
        }
        self.launch(node, seq, ctx);
    }

    fn give_up(&self, node: &mut Node, seq: u32, ctx: &mut Ctx<Self>) {
        let Some(p) = node.mem.lookups.remove(&seq) else {
            return;
        };
        ctx.cancel_timer(Timer::Lookup { seq });
        ctx.note(Note::Done {
            seq,
            key: p.key,
            purpose: p.purpose,
            outcome: Outcome::Failed,
            hops: 0,
            path: Vec::new(),
            attempts: p.attempt,
            took: ctx.now().saturating_sub(p.started),
        });
    }

    /// fix_fingers: refresh the next finger with a lookup of `n + 2^(i-1)`.
    pub(super) fn on_fix_fingers(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        if node.mem.phase != Phase::Member {
            return;
        }
        let f = self.params.fix_fingers_every;
        ctx.set_timer(super::super::types::Timer::FixFingers, f..=f);
        let bits = self.params.bits;
        let i = node.mem.next_finger.clamp(1, bits - 1);
        node.mem.next_finger = if i + 1 >= bits { 1 } else { i + 1 };
        // One lookup per finger at a time.
        let busy = node
            .mem
            .lookups
            .values()
            .any(|p| p.purpose == Purpose::Finger { index: i + 1 });
        if busy {
            return;
        }
        let key = (self.pos(ctx.me()) + (1u64 << i)) % self.size();
        self.start_lookup(node, key, Purpose::Finger { index: i + 1 }, ctx);
    }
}
