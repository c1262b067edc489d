//! The [`Protocol`] impl: parameters, the nodes at the start, commands, restarts and the
//! dispatch of messages and timers to the servers ([`server`]), the configuration node
//! ([`config`]) and the clients ([`client`]).

mod client;
mod config;
mod server;

use super::checker::{self, KvChecker};
use super::partition::{initial_table, partition_map};
use super::types::{
    Client, ClientDisk, Cmd, CmdRefused, ConfigDisk, ConfigMem, ConfigNode, Msg, Node, Note,
    Params, Partitioning, Replica, Server, ServerDisk, Timer, MAX_CLIENTS, MAX_KEYS,
    MAX_PARTITIONS, MAX_SERVERS,
};
use super::{Kvstore, NAME};
use crate::invariant::Property;
use crate::protocol::{Ctx, ParamError, Protocol};
use crate::sim::{NodeId, Time};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

impl Kvstore {
    /// Servers, members and spares.
    pub fn server_total(&self) -> u32 {
        self.params.servers + self.params.spare
    }

    /// The configuration node.
    pub fn cfg_id(&self) -> NodeId {
        NodeId(self.server_total())
    }

    pub fn is_server(&self, n: NodeId) -> bool {
        n.0 < self.server_total()
    }

    /// Client `c(i+1)`'s node.
    pub fn client_id(&self, i: u32) -> NodeId {
        NodeId(self.server_total() + 1 + i)
    }

    /// The index of a client node (`c1` is 0).
    pub fn client_index(&self, n: NodeId) -> Option<u32> {
        n.0.checked_sub(self.server_total() + 1)
            .filter(|&i| i < self.params.clients)
    }

    pub fn servers(&self) -> impl Iterator<Item = NodeId> {
        (0..self.server_total()).map(NodeId)
    }

    pub fn clients(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.params.clients).map(|i| self.client_id(i))
    }

    /// Every node but the configuration node.
    fn everyone(&self) -> Vec<NodeId> {
        self.servers().chain(self.clients()).collect()
    }

    /// The partition of key `k`.
    pub fn part_of(&self, k: u32) -> u32 {
        self.part_of.get(k as usize).copied().unwrap_or(0)
    }

    /// Key -> partition, for every key.
    pub fn partition_map(&self) -> &[u32] {
        &self.part_of
    }

    /// The keys of partition `p`.
    pub fn keys_of(&self, p: u32) -> Vec<u32> {
        (0..self.params.keys)
            .filter(|&k| self.part_of(k) == p)
            .collect()
    }

    /// The table at the start.
    pub fn initial_table(&self) -> &[super::types::PartCfg] {
        &self.table
    }

    /// The server client `c` reads from, or `None`: the leader.
    pub fn pin(&self, c: NodeId) -> Option<NodeId> {
        self.client_index(c)
            .and_then(|i| self.pins.get(i as usize).copied().flatten())
    }

    fn leaderless(&self) -> bool {
        self.params.replication.leaderless()
    }

    fn hb(&self) -> Time {
        self.params.heartbeat_every
    }
}

fn check_params(p: &Params, names: &[String]) -> Result<Vec<Option<NodeId>>, ParamError> {
    ParamError::check_range("servers", p.servers, 1..=MAX_SERVERS)?;
    ParamError::check_range("spare", p.spare, 0..=MAX_SERVERS - p.servers)?;
    ParamError::check_range("clients", p.clients, 1..=MAX_CLIENTS)?;
    ParamError::check_range("keys", p.keys, 1..=MAX_KEYS)?;
    ParamError::check_range("partitions", p.partitions, 1..=MAX_PARTITIONS.min(p.keys))?;
    ParamError::check_range("replicas", p.replicas, 1..=5u32.min(p.servers))?;
    if p.replication.leaderless() {
        ParamError::check_range("w", p.w, 1..=p.replicas)?;
        ParamError::check_range("r", p.r, 1..=p.replicas)?;
    } else if p.sloppy {
        return Err(ParamError::new(
            "sloppy",
            "a sloppy quorum needs leaderless replication",
        ));
    }
    ParamError::check_range("heartbeat_every", p.heartbeat_every, 5..=10_000)?;
    if p.failover_timeout != 0 {
        ParamError::check_range(
            "failover_timeout",
            p.failover_timeout,
            2 * p.heartbeat_every..=60_000,
        )?;
    }
    ParamError::check_range("request_timeout", p.request_timeout, 20..=60_000)?;
    if !p.splits.is_empty() {
        if p.partitioning != Partitioning::Range {
            return Err(ParamError::new(
                "splits",
                "split points are for range partitioning",
            ));
        }
        if p.splits.len() + 1 != p.partitions as usize {
            return Err(ParamError::new(
                "splits",
                format!(
                    "give partitions - 1 = {} split points, or none for equal ranges (got {})",
                    p.partitions - 1,
                    p.splits.len()
                ),
            ));
        }
        for (i, &s) in p.splits.iter().enumerate() {
            let lo = if i == 0 { 1 } else { p.splits[i - 1] + 1 };
            if s < lo || s >= p.keys {
                return Err(ParamError::new(
                    format!("splits[{i}]"),
                    format!(
                        "split points increase, each between {lo} and {} (got {s})",
                        p.keys - 1
                    ),
                ));
            }
        }
    }
    if p.pin.len() > p.clients as usize {
        return Err(ParamError::new(
            "pin",
            format!("one entry per client at most ({})", p.clients),
        ));
    }
    let servers = (p.servers + p.spare) as usize;
    p.pin
        .iter()
        .enumerate()
        .map(|(i, s)| match s.trim() {
            "" | "leader" => Ok(None),
            name => names[..servers]
                .iter()
                .position(|n| n == name)
                .map(|j| Some(NodeId(j as u32)))
                .ok_or_else(|| {
                    ParamError::new(
                        format!("pin[{i}]"),
                        format!("`leader` or a server, n1 to n{servers} (got `{name}`)"),
                    )
                }),
        })
        .collect()
}

fn names_of(p: &Params) -> Vec<String> {
    let mut v: Vec<String> = (1..=p.servers + p.spare).map(|i| format!("n{i}")).collect();
    v.push("cfg".into());
    v.extend((1..=p.clients).map(|i| format!("c{i}")));
    v
}

impl Protocol for Kvstore {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = KvChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        let names = names_of(&params);
        let pins = check_params(&params, &names)?;
        let part_of = partition_map(
            params.partitioning,
            params.keys,
            params.partitions,
            &params.splits,
        );
        let table = initial_table(
            params.partitions,
            params.servers,
            params.replicas,
            params.replication.leaderless(),
        );
        Ok(Kvstore {
            params,
            part_of,
            table,
            pins,
        })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        names_of(&self.params)
    }

    fn init(&self, id: NodeId, ctx: &mut Ctx<Self>) -> Node {
        if self.is_server(id) {
            let mut disk = ServerDisk {
                member: id.0 < self.params.servers,
                ..ServerDisk::default()
            };
            for (p, cfg) in self.table.iter().enumerate() {
                if cfg.replicas.contains(&id) {
                    let mut rep = Replica {
                        epoch: cfg.epoch,
                        leader: cfg.leader,
                        replicas: cfg.replicas.clone(),
                        ..Replica::default()
                    };
                    // The leader of epoch 1 starts with its no-op, committed: every
                    // replica has it.
                    if cfg.leader.is_some() {
                        rep.log.push(super::types::Entry {
                            epoch: 1,
                            key: None,
                            value: 0,
                        });
                        rep.commit = 1;
                        rep.synced = true;
                    }
                    disk.parts.insert(p as u32, rep);
                }
            }
            ctx.set_timer(Timer::Tick, 1..=self.hb());
            if self.params.sloppy {
                ctx.set_timer(Timer::Hints, 1..=self.hb() * 4);
            }
            Node::Server(Server::new(disk))
        } else if id == self.cfg_id() {
            if !self.leaderless() && self.params.failover_timeout > 0 || self.params.spare > 0 {
                ctx.set_timer(Timer::Check, self.hb()..=self.hb());
            }
            Node::Config(ConfigNode {
                disk: ConfigDisk {
                    table: self.table.clone(),
                    members: (0..self.params.servers).map(NodeId).collect(),
                    ..ConfigDisk::default()
                },
                mem: ConfigMem {
                    heard: vec![0; self.table.len()],
                    ..ConfigMem::default()
                },
            })
        } else {
            Node::Client(Client::new(ClientDisk {
                table: self.table.clone(),
                ..ClientDisk::default()
            }))
        }
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let refuse = |ctx: &mut Ctx<Self>, refused| ctx.note(Note::Refused { refused });
        match (node, cmd) {
            (
                Node::Client(c),
                cmd @ (Cmd::Write { .. } | Cmd::Read { .. } | Cmd::Sequence { .. }),
            ) => self.client_cmd(c, cmd, ctx),
            (_, Cmd::Write { .. } | Cmd::Read { .. } | Cmd::Sequence { .. }) => {
                refuse(ctx, CmdRefused::NotClient)
            }
            (Node::Server(s), Cmd::Join) => self.ask_membership(s, false, ctx),
            (Node::Server(s), Cmd::Leave) => self.ask_membership(s, true, ctx),
            (_, Cmd::Join | Cmd::Leave) => refuse(ctx, CmdRefused::NotServer),
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match node {
            Node::Server(s) => self.server_msg(s, from, msg, ctx),
            Node::Config(c) => self.config_msg(c, from, msg, ctx),
            Node::Client(c) => self.client_msg(c, from, msg, ctx),
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match node {
            Node::Server(s) => self.server_timer(s, timer, ctx),
            Node::Config(c) => self.config_timer(c, timer, ctx),
            Node::Client(c) => self.client_timer(c, timer, ctx),
        }
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        ctx.note(Note::Restarts);
        match node {
            Node::Server(_) => {
                ctx.set_timer(Timer::Tick, 1..=self.hb());
                if self.params.sloppy {
                    ctx.set_timer(Timer::Hints, 1..=self.hb() * 4);
                }
                ctx.send(self.cfg_id(), Msg::GetTable);
            }
            Node::Config(c) => {
                c.mem.heard = vec![ctx.now(); c.disk.table.len()];
                ctx.set_timer(Timer::Check, self.hb()..=self.hb());
            }
            Node::Client(_) => {}
        }
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

    fn describe_cmd(&self, cmd: &Cmd, _names: &[String]) -> String {
        self.cmd_words(cmd)
    }

    fn describe_note(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        self.note_words(me, note, names)
    }

    fn properties(&self) -> Vec<Property> {
        checker::properties(self)
    }

    fn checker(&self) -> KvChecker {
        KvChecker::new(self)
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let client = self.client_id(rng.random_range(0..self.params.clients));
        let key = rng.random_range(0..self.params.keys);
        Some(match rng.random_range(0..20u32) {
            0..=8 => (client, Cmd::Write { key }),
            9..=15 => (client, Cmd::Read { key }),
            16 | 17 => (
                client,
                Cmd::Sequence {
                    from: key,
                    count: rng.random_range(2..=4u32),
                },
            ),
            18 if self.params.spare > 0 => (
                NodeId(self.params.servers + rng.random_range(0..self.params.spare)),
                Cmd::Join,
            ),
            19 => (NodeId(rng.random_range(0..self.server_total())), Cmd::Leave),
            _ => (client, Cmd::Write { key }),
        })
    }
}

impl Kvstore {
    fn ask_membership(&self, s: &mut Server, leave: bool, ctx: &mut Ctx<Self>) {
        if !leave && s.disk.member {
            return ctx.note(Note::Refused {
                refused: CmdRefused::AlreadyMember,
            });
        }
        if leave && !s.disk.member {
            return ctx.note(Note::Refused {
                refused: CmdRefused::NotMember,
            });
        }
        s.disk.member = !leave;
        s.mem.asking = Some(leave);
        ctx.note(Note::AsksToJoin { leave });
        ctx.send(self.cfg_id(), if leave { Msg::Leave } else { Msg::Join });
        ctx.set_timer(Timer::Ask, self.hb() * 4..=self.hb() * 4);
    }
}
