//! The [`Protocol`] impl: parameters, the starting ring, commands, failures and restarts,
//! and the dispatch of messages and timers. The lookup rules are in [`lookup`], the ring
//! maintenance (join, stabilize, notify, check_predecessor, keys, leave) in [`maintain`].

mod lookup;
mod maintain;

use super::checker::{self, ChordChecker};
use super::ring::{clockwise, in_half, key_pos, positions, successor_of};
use super::types::{
    Cmd, Disk, Mem, Msg, Node, Note, Params, Phase, Purpose, Refused, Timer, MAX_NODES,
};
use super::{Chord, NAME};
use crate::collections::VecSet;
use crate::invariant::Property;
use crate::protocol::{Ctx, NodeFault, ParamError, Protocol};
use crate::sim::{NodeId, Time};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The longest key name.
pub const MAX_KEY_CHARS: usize = 16;
/// The most keys at the start.
pub const MAX_KEYS: usize = 64;

impl Chord {
    /// Positions on the circle: 2^m.
    pub fn size(&self) -> u64 {
        1u64 << self.params.bits
    }

    /// Node `n`'s position on the circle.
    pub fn pos(&self, n: NodeId) -> u64 {
        self.pos.get(n.index()).copied().unwrap_or(0)
    }

    /// Every node's position, in node order.
    pub fn positions(&self) -> &[u64] {
        &self.pos
    }

    /// The keys of the run: (position, name), by position.
    pub fn keys(&self) -> &[(u64, String)] {
        &self.keys
    }

    /// The name of the key at position `k`, if one of the run's keys is there.
    pub fn key_name(&self, k: u64) -> Option<&str> {
        self.keys
            .iter()
            .find(|(p, _)| *p == k)
            .map(|(_, n)| n.as_str())
    }

    /// The nodes in the ring at the start.
    pub fn initial_members(&self) -> Vec<NodeId> {
        (0..self.params.members).map(NodeId).collect()
    }

    fn r(&self) -> usize {
        self.params.successors as usize
    }

    /// How long a lookup waits for its answer before it tries again.
    pub fn lookup_wait(&self) -> Time {
        self.params.timeout * 6
    }

    /// `[t] + list`, cut before `me` and at r entries, no node twice: the successor list
    /// reconciled with successor `t`'s (Chord §5, "Failures and replication").
    fn reconcile(&self, me: NodeId, t: NodeId, list: &[NodeId]) -> Vec<NodeId> {
        if t == me {
            return vec![me];
        }
        let mut out = vec![t];
        for &x in list {
            if x == me || out.len() >= self.r() {
                break;
            }
            if !out.contains(&x) {
                out.push(x);
            }
        }
        out
    }

    /// Start the periodic timers of a member, each at a random phase of its period.
    fn arm_member(&self, ctx: &mut Ctx<Self>) {
        let s = self.params.stabilize_every;
        let f = self.params.fix_fingers_every;
        ctx.set_timer(Timer::Stabilize, 1..=s);
        if self.params.bits > 1 {
            ctx.set_timer(Timer::FixFingers, 1..=f);
        }
    }

    fn disarm(&self, node: &Node, ctx: &mut Ctx<Self>) {
        for t in [
            Timer::Stabilize,
            Timer::FixFingers,
            Timer::RoundTimeout,
            Timer::PingTimeout,
            Timer::Join,
        ] {
            ctx.cancel_timer(t);
        }
        for seq in node.mem.lookups.keys() {
            ctx.cancel_timer(Timer::Lookup { seq: *seq });
        }
    }

    /// A member's state in the starting ring: correct pointers, its keys (and copies of
    /// its predecessors' keys with `replicate`).
    fn initial_mem(&self, id: NodeId) -> Mem {
        let members = self.initial_members();
        let size = self.size();
        let me = self.pos(id);
        let order = clockwise(me, &members, &self.pos, size);
        let succ = self.reconcile(id, order[0], &order[1..]);
        // The member before it (itself when it is alone).
        let pred = order.iter().rev().copied().find(|&x| x != id).or(Some(id));
        let bits = self.params.bits;
        let fingers = (0..bits)
            .map(|i| {
                if self.params.fingers_at_start || i == 0 {
                    successor_of((me + (1u64 << i)) % size, &members, &self.pos, size)
                } else {
                    Some(order[0])
                }
            })
            .collect();
        let owner = |k: u64| successor_of(k, &members, &self.pos, size);
        let keys: VecSet<u64> = self
            .keys
            .iter()
            .map(|(k, _)| *k)
            .filter(|&k| owner(k) == Some(id))
            .collect();
        let mut replicas = VecSet::new();
        if self.params.replicate {
            // The nodes whose successor lists hold this one: its r predecessors.
            for (k, _) in &self.keys {
                let Some(o) = owner(*k) else { continue };
                if o == id {
                    continue;
                }
                let list = clockwise(self.pos(o), &members, &self.pos, size);
                if self.reconcile(o, list[0], &list[1..]).contains(&id) {
                    replicas.insert(*k);
                }
            }
        }
        Mem {
            phase: Phase::Member,
            succ,
            pred,
            fingers,
            next_finger: 1,
            keys,
            replicas,
            ..Mem::default()
        }
    }

    /// Deliver a message to this node itself at once (a lone member is its own successor).
    fn to(&self, node: &mut Node, to: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        if to == ctx.me() {
            self.on_msg(node, to, msg, ctx);
        } else {
            ctx.send(to, msg);
        }
    }
}

impl Protocol for Chord {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = ChordChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("bits", params.bits, 4..=16)?;
        let size = 1u64 << params.bits;
        ParamError::check_range("nodes", params.nodes, 1..=MAX_NODES)?;
        if u64::from(params.nodes) > size {
            return Err(ParamError::new(
                "nodes",
                format!(
                    "a circle of 2^{} = {size} positions holds at most {size} nodes (got {})",
                    params.bits, params.nodes
                ),
            ));
        }
        ParamError::check_range("members", params.members, 1..=params.nodes)?;
        ParamError::check_range("successors", params.successors, 1..=5)?;
        ParamError::check_range("stabilize_every", params.stabilize_every, 10..=60_000)?;
        ParamError::check_range("fix_fingers_every", params.fix_fingers_every, 10..=60_000)?;
        ParamError::check_range("timeout", params.timeout, 10..=60_000)?;
        if !params.ids.is_empty() {
            if params.ids.len() != params.nodes as usize {
                return Err(ParamError::new(
                    "ids",
                    format!(
                        "give one position per node ({}), or none to place them by hash (got {})",
                        params.nodes,
                        params.ids.len()
                    ),
                ));
            }
            for (i, &p) in params.ids.iter().enumerate() {
                if p >= size {
                    return Err(ParamError::new(
                        format!("ids[{i}]"),
                        format!("must be below 2^{} = {size} (got {p})", params.bits),
                    ));
                }
                if let Some(j) = params.ids[..i].iter().position(|&q| q == p) {
                    return Err(ParamError::new(
                        format!("ids[{i}]"),
                        format!("n{} and n{} are both at position {p}", j + 1, i + 1),
                    ));
                }
            }
        }
        if params.keys.len() > MAX_KEYS {
            return Err(ParamError::new(
                "keys",
                format!("at most {MAX_KEYS} keys (got {})", params.keys.len()),
            ));
        }
        let mut keys: Vec<(u64, String)> = Vec::new();
        for (i, k) in params.keys.iter().enumerate() {
            let name = k.trim();
            if name.chars().count() > MAX_KEY_CHARS {
                return Err(ParamError::new(
                    format!("keys[{i}]"),
                    format!("a key has at most {MAX_KEY_CHARS} characters"),
                ));
            }
            let Some(p) = key_pos(name, size) else {
                return Err(ParamError::new(format!("keys[{i}]"), "a key is not empty"));
            };
            if !keys.iter().any(|(_, n)| n == name) {
                keys.push((p, name.to_string()));
            }
        }
        keys.sort();
        let pos = positions(params.nodes, &params.ids, size);
        Ok(Chord { params, pos, keys })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        (1..=self.params.nodes).map(|i| format!("n{i}")).collect()
    }

    fn init(&self, id: NodeId, ctx: &mut Ctx<Self>) -> Node {
        let member = id.0 < self.params.members;
        let mem = if member {
            self.arm_member(ctx);
            self.initial_mem(id)
        } else {
            Mem::default()
        };
        Node {
            disk: Disk {
                pos: self.pos(id),
                rejoin: member,
                via: mem.succ.first().copied().filter(|&s| s != id),
            },
            mem,
        }
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let refuse = |ctx: &mut Ctx<Self>, refused| ctx.note(Note::Refused { refused });
        match cmd {
            Cmd::Lookup { key } => {
                if node.mem.phase != Phase::Member {
                    return refuse(ctx, Refused::NotMember);
                }
                let valid = key.trim().chars().count() <= MAX_KEY_CHARS;
                match key_pos(&key, self.size()).filter(|_| valid) {
                    Some(k) => self.start_lookup(node, k, Purpose::User, ctx),
                    None => refuse(ctx, Refused::BadKey),
                }
            }
            Cmd::Join { via } => {
                if node.mem.phase != Phase::Out {
                    refuse(ctx, Refused::AlreadyIn)
                } else if via == ctx.me() {
                    refuse(ctx, Refused::ViaSelf)
                } else {
                    self.start_join(node, via, ctx)
                }
            }
            Cmd::Leave => {
                if node.mem.phase != Phase::Member {
                    refuse(ctx, Refused::NotMember)
                } else if node.mem.succ.first().is_none_or(|&s| s == ctx.me()) {
                    refuse(ctx, Refused::LastMember)
                } else {
                    self.leave(node, ctx)
                }
            }
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        if node.mem.phase != Phase::Member && asks_member(&msg) {
            ctx.note(Note::Ignores { from });
            return ctx.send(from, Msg::Refused { msg: Box::new(msg) });
        }
        match msg {
            Msg::Find {
                id,
                key,
                purpose,
                hops,
                path,
            } => self.route(node, id, key, purpose, hops, &path, ctx),
            Msg::Confirm {
                id,
                key,
                purpose,
                hops,
                path,
            } => self.confirm(node, id, key, purpose, hops, &path, ctx),
            Msg::Found {
                id,
                key,
                owner,
                hops,
                path,
            } => self.found(node, id.seq, key, owner, hops, &path, ctx),
            Msg::Undecided { id, key, why } => self.undecided(node, id.seq, key, why, ctx),
            Msg::GetNeighbours => self.on_get_neighbours(node, from, ctx),
            Msg::Neighbours(nb) => self.on_neighbours(node, from, nb, ctx),
            Msg::Notify => self.on_notify(node, from, ctx),
            Msg::Ping => ctx.send(from, Msg::Pong),
            Msg::Pong => {
                if node.mem.pred == Some(from) {
                    node.mem.pinging = false;
                    ctx.cancel_timer(Timer::PingTimeout);
                }
            }
            Msg::Keys { keys } => self.on_keys(node, from, &keys, ctx),
            Msg::KeysAck { keys } => self.on_keys_ack(node, from, &keys, ctx),
            Msg::Replicas { keys } => self.on_replicas(node, from, &keys, ctx),
            Msg::Leaving { pred, keys } => self.on_leaving(node, from, pred, &keys, ctx),
            Msg::LeavingPred { succ } => self.on_leaving_pred(node, from, &succ, ctx),
            Msg::Refused { msg } => self.on_refused(node, from, *msg, ctx),
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Stabilize => self.on_stabilize(node, ctx),
            Timer::FixFingers => self.on_fix_fingers(node, ctx),
            Timer::RoundTimeout => self.on_round_timeout(node, ctx),
            Timer::PingTimeout => self.on_ping_timeout(node, ctx),
            Timer::Lookup { seq } => self.on_lookup_timer(node, seq, ctx),
            Timer::Join => self.on_join_timeout(node, ctx),
        }
    }

    fn fault_note(&self, node: &Node, fault: NodeFault) -> Option<Note> {
        match fault {
            NodeFault::Crash => Some(Note::Fails {
                member: node.mem.phase == Phase::Member,
                keys: node.mem.keys.len() as u32,
                replicas: node.mem.replicas.len() as u32,
            }),
            NodeFault::Pause | NodeFault::Resume => None,
        }
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        node.mem = Mem::default();
        let rejoin = node.disk.rejoin;
        ctx.note(Note::Restarts { rejoin });
        if rejoin {
            let via = self.contact(node.disk.via, ctx.me());
            self.start_join(node, via, ctx);
        }
    }

    fn refusal(&self, msg: &Msg) -> Option<Msg> {
        asks_member(msg).then(|| Msg::Refused {
            msg: Box::new(msg.clone()),
        })
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        self.label(msg)
    }

    fn describe_msg(&self, msg: &Msg, names: &[String]) -> String {
        self.msg_words(msg, names)
    }

    fn describe_timer(&self, timer: &Timer, _names: &[String]) -> String {
        self.timer_words(timer)
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

    fn checker(&self) -> ChordChecker {
        ChordChecker::new(self)
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let n = self.params.nodes;
        let node = NodeId(rng.random_range(0..n));
        let cmd = match rng.random_range(0..10u32) {
            0..=6 => Cmd::Lookup {
                key: match self
                    .keys
                    .get(rng.random_range(0..self.keys.len().max(1) as u32) as usize)
                {
                    Some((_, name)) if rng.random_range(0..2u32) == 0 => name.clone(),
                    _ => rng.random_range(0..self.size()).to_string(),
                },
            },
            7 | 8 => Cmd::Join {
                via: NodeId((node.0 + rng.random_range(1..n.max(2))) % n),
            },
            _ => Cmd::Leave,
        };
        Some((node, cmd))
    }
}

/// A message only a member takes: one outside the ring (or a failed node's host)
/// refuses it, and the sender learns that the node is gone.
fn asks_member(msg: &Msg) -> bool {
    matches!(
        msg,
        Msg::Find { .. }
            | Msg::Confirm { .. }
            | Msg::GetNeighbours
            | Msg::Notify
            | Msg::Ping
            | Msg::Keys { .. }
            | Msg::Replicas { .. }
            | Msg::Leaving { .. }
            | Msg::LeavingPred { .. }
    )
}

impl Chord {
    /// Whom a node that must join again asks: the node it knew, else the next node by
    /// number.
    fn contact(&self, known: Option<NodeId>, me: NodeId) -> NodeId {
        known
            .filter(|&v| v != me)
            .unwrap_or(NodeId((me.0 + 1) % self.params.nodes.max(1)))
    }

    /// Whether key `k` is in `(pred, me]`: what `me` is responsible for.
    fn owns(&self, k: u64, pred: NodeId, me: NodeId) -> bool {
        in_half(k, self.pos(pred), self.pos(me), self.size())
    }
}
