//! The [`Protocol`] impl: each handler hands the event to the role of the node it reaches,
//! the coordinator ([`super::coord`]) or a storage node ([`super::storage`]).

use super::checker::{self, HashringChecker};
use super::narration;
use super::ring::key_name;
use super::types::{Cmd, Msg, Node, Note, Params, Shared, StorageDisk, Timer, MAX_KEYS};
use super::{Hashring, Initial, NAME};
use crate::invariant::Property;
use crate::protocol::{Ctx, NodeState, ParamError, Protocol};
use crate::sim::{chance, NodeId, Time};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

impl Hashring {
    /// The coordinator's id (after the physical nodes).
    pub fn coord(&self) -> NodeId {
        NodeId(self.physical())
    }

    /// Number of physical nodes (in the ring and spare).
    pub fn physical(&self) -> u32 {
        self.params.nodes + self.params.spare
    }

    pub fn weight(&self, n: NodeId) -> u32 {
        self.weights.get(n.index()).copied().unwrap_or(1)
    }

    pub(super) fn replicas(&self) -> usize {
        self.params.replicas as usize
    }

    pub(super) fn delay(&self) -> std::ops::RangeInclusive<Time> {
        let t = self.params.transfer_timeout;
        t..=t
    }
}

impl Protocol for Hashring {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = HashringChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("nodes", params.nodes, 1..=64)?;
        ParamError::check_range("spare", params.spare, 0..=16)?;
        ParamError::check_range("vnodes", params.vnodes, 1..=500)?;
        ParamError::check_range("replicas", params.replicas, 1..=5)?;
        if params.replicas > params.nodes {
            return Err(ParamError::new(
                "replicas",
                format!(
                    "cannot exceed the number of nodes in the ring ({}; got {})",
                    params.nodes, params.replicas
                ),
            ));
        }
        ParamError::check_range("keys", params.keys, 0..=MAX_KEYS)?;
        ParamError::check_range("transfer_timeout", params.transfer_timeout, 10..=60_000)?;
        let k = params.nodes + params.spare;
        let mut weights = vec![1; k as usize];
        for (name, &w) in &params.weights {
            let field = format!("weights.{name}");
            let n = name
                .strip_prefix('n')
                .and_then(|s| s.parse::<u32>().ok())
                .filter(|&i| (1..=k).contains(&i))
                .ok_or_else(|| {
                    ParamError::new(
                        &field,
                        format!("no such node (storage nodes are n1 to n{k})"),
                    )
                })?;
            ParamError::check_range(&field, w, 1..=8)?;
            weights[(n - 1) as usize] = w;
        }
        Ok(Hashring {
            params,
            weights,
            initial: std::sync::OnceLock::new(),
        })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        let mut v: Vec<String> = (1..=self.physical()).map(|i| format!("n{i}")).collect();
        v.push("coord".into());
        v
    }

    fn init(&self, id: NodeId, _ctx: &mut Ctx<Self>) -> Node {
        // The hash is pure: every node would compute the same initial placement, so it is
        // computed once and each node takes its part.
        let init = self.initial.get_or_init(|| {
            let coord = self.initial_coord();
            let mut stored = vec![BTreeSet::new(); self.physical() as usize];
            for (k, o) in &coord.owners {
                for n in o {
                    if let Some(set) = stored.get_mut(n.index()) {
                        set.insert(k.clone());
                    }
                }
            }
            let stored = stored.into_iter().map(Shared::from).collect();
            std::sync::Arc::new(Initial { coord, stored })
        });
        if id == self.coord() {
            return Node::Coord(Box::new(NodeState::new(init.coord.clone())));
        }
        Node::Storage(NodeState::new(StorageDisk {
            stored: init.stored.get(id.index()).cloned().unwrap_or_default(),
            epoch: 0,
        }))
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        match node {
            Node::Coord(c) => self.coord_cmd(c, cmd, ctx),
            Node::Storage(_) => ctx.note(Note::NotTheCoordinator {
                lookup: matches!(cmd, Cmd::Lookup { .. }),
            }),
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match node {
            Node::Coord(c) => self.coord_msg(c, from, msg, ctx),
            Node::Storage(s) => self.storage_msg(s, from, msg, ctx),
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match node {
            Node::Coord(c) => self.coord_timer(c, timer, ctx),
            Node::Storage(s) => self.storage_timer(s, timer, ctx),
        }
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let note = match node {
            Node::Coord(c) => Note::Restarts {
                keys: 0,
                resending: self.coord_restart(c, ctx),
                coord: true,
            },
            Node::Storage(s) => Note::Restarts {
                keys: s.disk.stored.len() as u32,
                resending: false,
                coord: false,
            },
        };
        ctx.note(note);
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        narration::msg_label(msg)
    }

    fn describe_msg(&self, msg: &Msg, names: &[String]) -> String {
        narration::describe_msg(msg, names)
    }

    fn describe_timer(&self, timer: &Timer, names: &[String]) -> String {
        narration::describe_timer(timer, names)
    }

    fn describe_cmd(&self, cmd: &Cmd, names: &[String]) -> String {
        narration::describe_cmd(cmd, names)
    }

    fn describe_note(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        narration::describe_note(&self.params, me, note, names)
    }

    fn properties(&self) -> Vec<Property> {
        checker::properties()
    }

    fn checker(&self) -> HashringChecker {
        HashringChecker {
            coord: self.coord(),
            replicas: self.params.replicas,
        }
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let k = self.physical();
        let node = NodeId(rng.random_range(0..k));
        let key = key_name(rng.random_range(1..=self.params.keys.max(1) + 20));
        let cmd = match rng.random_range(0..10u32) {
            0 | 1 => Cmd::AddNode { node, weight: None },
            2 | 3 => Cmd::RemoveNode { node },
            4 => Cmd::SetVnodes {
                count: rng.random_range(1..=20u32),
            },
            5 => Cmd::AddKeys {
                count: rng.random_range(1..=30u32),
            },
            6 if chance(rng, 0.5) => Cmd::RemoveKey { key },
            6 => Cmd::RemoveKeys {
                count: rng.random_range(1..=10u32),
            },
            _ => Cmd::Lookup { key },
        };
        Some((self.coord(), cmd))
    }
}
