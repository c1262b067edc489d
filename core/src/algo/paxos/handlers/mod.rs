//! The handlers: the [`Protocol`] impl, the roles' layout and what every node does
//! whatever its roles (client commands, heartbeats, crash and restart). The proposer's
//! rules are in [`proposer`], the acceptor's in [`acceptor`], the learner's in
//! [`learner`]. A message is handled by each role of the node it reaches that it is for.

mod acceptor;
mod learner;
mod proposer;

use super::checker::{self, PaxosChecker};
use super::types::{
    AcceptorDisk, AcceptorMem, Cmd, Disk, LearnerDisk, LearnerMem, Mem, Msg, Node, Note, Params,
    Phase, PrepareWhy, ProposerDisk, ProposerMem, Refused, Roles, Timer, MAX_VALUE_CHARS,
};
use super::{Paxos, NAME};
use crate::invariant::Property;
use crate::protocol::{Ctx, NodeFault, ParamError, Protocol};
use crate::sim::{NodeId, Time};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// The most times a client command is passed on from node to node.
const MAX_HOPS: u32 = 3;

impl Paxos {
    /// How many nodes the roles take.
    pub fn node_total(&self) -> u32 {
        let p = &self.params;
        if p.colocated {
            p.proposers.max(p.acceptors).max(p.learners)
        } else {
            p.proposers + p.acceptors + p.learners
        }
    }

    /// The roles node `id` plays.
    pub fn roles_of(&self, id: NodeId) -> Roles {
        let p = &self.params;
        let i = id.0;
        if p.colocated {
            Roles {
                proposer: i < p.proposers,
                acceptor: i < p.acceptors,
                learner: i < p.learners,
            }
        } else {
            Roles {
                proposer: i < p.proposers,
                acceptor: (p.proposers..p.proposers + p.acceptors).contains(&i),
                learner: i >= p.proposers + p.acceptors && i < self.node_total(),
            }
        }
    }

    fn with_role(&self, f: impl Fn(Roles) -> bool) -> Vec<NodeId> {
        (0..self.node_total())
            .map(NodeId)
            .filter(|&n| f(self.roles_of(n)))
            .collect()
    }

    pub fn acceptor_ids(&self) -> Vec<NodeId> {
        self.with_role(|r| r.acceptor)
    }

    pub fn learner_ids(&self) -> Vec<NodeId> {
        self.with_role(|r| r.learner)
    }

    pub fn proposer_ids(&self) -> Vec<NodeId> {
        self.with_role(|r| r.proposer)
    }

    /// A majority of the acceptors.
    pub fn majority(&self) -> u32 {
        self.params.acceptors / 2 + 1
    }

    /// A node's memory as it starts (and restarts): empty, one part per role.
    fn fresh_mem(&self, roles: Roles) -> Mem {
        Mem {
            leader: None,
            proposer: roles.proposer.then(|| ProposerMem {
                needed: self.majority(),
                next_slot: 1,
                ..ProposerMem::default()
            }),
            acceptor: roles.acceptor.then(AcceptorMem::default),
            learner: roles.learner.then(LearnerMem::default),
        }
    }

    fn arm_election(&self, ctx: &mut Ctx<Self>) {
        let [lo, hi] = self.params.election_timeout;
        ctx.set_timer(Timer::Election, lo..=hi);
    }

    /// The proposer's phase timer: if its phase has not ended by then, it tries again.
    fn arm_retry(&self, ctx: &mut Ctx<Self>) {
        let t = self.params.phase_timeout;
        ctx.set_timer(Timer::Retry, t..=t);
    }

    /// A client command reaching this node (from a client, or passed on), in
    /// Multi-Paxos.
    fn client_command(&self, node: &mut Node, value: Arc<str>, hops: u32, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let leading = node
            .mem
            .proposer
            .as_ref()
            .is_some_and(|p| p.phase == Phase::Leading);
        if leading {
            self.assign_slot(node, value, ctx);
            return;
        }
        match node.mem.leader {
            Some(l) if l != me => {
                if hops >= MAX_HOPS {
                    ctx.note(Note::Refused {
                        refused: Refused::TooManyHops,
                    });
                } else {
                    ctx.send(
                        l,
                        Msg::Forward {
                            value: value.clone(),
                            hops: hops + 1,
                        },
                    );
                    ctx.note(Note::Forwards { leader: l, value });
                }
            }
            _ => {
                let Some(p) = node.mem.proposer.as_mut() else {
                    ctx.note(Note::Refused {
                        refused: Refused::NoLeader,
                    });
                    return;
                };
                p.pending.push(value.clone());
                ctx.note(Note::Queues { value });
                let busy = matches!(p.phase, Phase::Preparing | Phase::BackingOff);
                // With leader election, a leader comes of the election timers; without,
                // a proposer with a command runs phase 1 itself.
                if !busy && !self.params.leader_election {
                    self.start_phase1(node, PrepareWhy::Client, ctx);
                }
            }
        }
    }
}

impl Protocol for Paxos {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = PaxosChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("proposers", params.proposers, 1..=5)?;
        ParamError::check_range("acceptors", params.acceptors, 3..=9)?;
        ParamError::check_range("learners", params.learners, 1..=3)?;
        ParamError::check_range("phase_timeout", params.phase_timeout, 20..=60_000)?;
        ParamError::check_range("backoff_base", params.backoff_base, 1..=10_000)?;
        ParamError::check_range("heartbeat_interval", params.heartbeat_interval, 5..=60_000)?;
        let [lo, hi] = params.election_timeout;
        ParamError::check_range("election_timeout", lo, 20..=60_000)?;
        ParamError::check_range("election_timeout", hi, 20..=60_000)?;
        if lo > hi {
            return Err(ParamError::new(
                "election_timeout",
                format!("the minimum ({lo}) is larger than the maximum ({hi})"),
            ));
        }
        if params.multi && params.leader_election && params.heartbeat_interval >= lo {
            return Err(ParamError::new(
                "heartbeat_interval",
                format!(
                    "must be shorter than the minimum election timeout ({lo} ms), or proposers time out between heartbeats (got {})",
                    params.heartbeat_interval
                ),
            ));
        }
        Ok(Paxos { params })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        (1..=self.node_total()).map(|i| format!("n{i}")).collect()
    }

    fn init(&self, id: NodeId, ctx: &mut Ctx<Self>) -> Node {
        let roles = self.roles_of(id);
        let node = Node {
            disk: Disk {
                roles,
                proposer: roles.proposer.then_some(ProposerDisk {
                    round: 0,
                    backoff: self.params.backoff,
                }),
                acceptor: roles.acceptor.then(AcceptorDisk::default),
                learner: roles.learner.then(LearnerDisk::default),
            },
            mem: self.fresh_mem(roles),
        };
        if roles.proposer && self.params.multi && self.params.leader_election {
            self.arm_election(ctx);
        }
        node
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let refuse = |ctx: &mut Ctx<Self>, refused| ctx.note(Note::Refused { refused });
        match cmd {
            Cmd::Propose { value } => {
                if value.trim().is_empty() || value.chars().count() > MAX_VALUE_CHARS {
                    return refuse(ctx, Refused::BadValue);
                }
                let value: Arc<str> = value.as_str().into();
                if self.params.multi {
                    return self.client_command(node, value, 0, ctx);
                }
                let Some(p) = node.mem.proposer.as_mut() else {
                    return refuse(ctx, Refused::NotAProposer);
                };
                if let (Phase::Done, Some((_, v))) = (p.phase, p.chosen.get(&1)) {
                    let value = v.clone();
                    return refuse(ctx, Refused::AlreadyChosen { value });
                }
                p.value = Some(value.clone());
                let idle = p.phase == Phase::Idle;
                ctx.note(Note::ClientValue { value });
                if idle {
                    self.start_phase1(node, PrepareWhy::Client, ctx);
                }
            }
            Cmd::BackOff { on } => match node.disk.proposer.as_mut() {
                Some(d) => {
                    d.backoff = on;
                    ctx.note(Note::BackOffSet { on });
                }
                None => refuse(ctx, Refused::NotAProposer),
            },
            Cmd::Prepare => {
                if node.mem.proposer.is_some() {
                    self.start_phase1(node, PrepareWhy::Forced, ctx);
                } else {
                    refuse(ctx, Refused::NotAProposer);
                }
            }
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        let roles = node.disk.roles;
        match msg {
            Msg::Prepare { ballot, from_slot } => {
                if roles.acceptor {
                    self.on_prepare(node, from, ballot, from_slot, ctx);
                }
            }
            Msg::Accept {
                ballot,
                slot,
                value,
            } => {
                if roles.acceptor {
                    self.on_accept(node, from, ballot, slot, value, ctx);
                }
            }
            Msg::Promise {
                ballot, accepted, ..
            } => {
                if roles.proposer {
                    self.on_promise(node, from, ballot, &accepted, ctx);
                }
            }
            Msg::Accepted {
                ballot,
                slot,
                value,
            } => {
                if roles.proposer && ballot.proposer == ctx.me() {
                    self.on_accepted(node, from, ballot, slot, value.clone(), ctx);
                }
                if roles.learner {
                    self.count_accepted(node, from, ballot, slot, value, ctx);
                }
            }
            Msg::Nack {
                ballot, promised, ..
            } => {
                if roles.proposer {
                    self.on_nack(node, from, ballot, promised, ctx);
                }
            }
            Msg::Heartbeat {
                ballot,
                chosen_upto,
            } => self.on_heartbeat(node, from, ballot, chosen_upto, ctx),
            Msg::Forward { value, hops } => self.client_command(node, value, hops, ctx),
            Msg::Catchup { from_slot } => self.on_catchup(node, from, from_slot, ctx),
            Msg::Learn {
                slot,
                ballot,
                value,
            } => {
                if roles.learner {
                    self.learn(node, slot, ballot, value, Vec::new(), true, ctx);
                }
            }
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Retry => self.on_retry_timer(node, ctx),
            Timer::Election => self.on_election_timer(node, ctx),
            Timer::Heartbeat => self.on_heartbeat_timer(node, ctx),
        }
    }

    fn fault_note(&self, node: &Node, fault: NodeFault) -> Option<Note> {
        // A pause or resume means nothing more for Paxos than the kernel says.
        Some(match fault {
            NodeFault::Pause | NodeFault::Resume => return None,
            NodeFault::Crash => Note::Crashes {
                roles: node.disk.roles,
                promised: node.promised(),
                accepted: node.disk.acceptor.as_ref().map_or(0, |a| {
                    a.accepted.iter().filter(|s| s.is_some()).count() as u32
                }),
                forgets_promise: node.disk.roles.acceptor && self.params.unsafe_forget_promise,
            },
        })
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let roles = node.disk.roles;
        node.mem = self.fresh_mem(roles);
        ctx.note(Note::Restarts {
            roles,
            promised: node.promised(),
            forgot_promise: roles.acceptor && self.params.unsafe_forget_promise,
        });
        if roles.proposer && self.params.multi && self.params.leader_election {
            self.arm_election(ctx);
        }
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        self.label(msg)
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
        checker::properties(self.params.multi)
    }

    fn checker(&self) -> PaxosChecker {
        PaxosChecker::new(self)
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let proposers = self.proposer_ids();
        let cmd = if rng.random_range(0..5u32) == 0 {
            Cmd::Prepare
        } else {
            let v = ["x", "y", "z", "w"][rng.random_range(0..4u32) as usize];
            Cmd::Propose {
                value: format!("{v}{}", rng.random_range(1..10u32)),
            }
        };
        let to = if self.params.multi && matches!(cmd, Cmd::Propose { .. }) {
            NodeId(rng.random_range(0..self.node_total()))
        } else {
            proposers[rng.random_range(0..proposers.len() as u32) as usize]
        };
        Some((to, cmd))
    }
}

/// A wait drawn for the `failures`-th failure in a row: from 0 to `base` times 2 to the
/// (failures - 1), at most 16 times `base`.
pub(super) fn backoff_range(base: Time, failures: u32) -> std::ops::RangeInclusive<Time> {
    let k = failures.saturating_sub(1).min(4);
    0..=base.saturating_mul(1 << k)
}
