//! The transactions handlers: the [`Protocol`] impl, which hands each event to the
//! coordinator's handlers (`coordinator.rs`) or a participant's (`participant.rs`), and
//! the helpers both use.

mod coordinator;
mod participant;

use super::checker::{self, TxnChecker};
use super::types::*;
use super::{Transactions, COORD, NAME};
use crate::collections::VecMap;
use crate::invariant::Property;
use crate::protocol::{Ctx, NodeFault, NodeState, ParamError, Protocol};
use crate::sim::{NodeId, Time};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

fn writes_ok(w: &Writes) -> bool {
    w.len() <= MAX_WRITES
        && w.iter().all(|(k, v)| {
            !k.is_empty()
                && k.len() <= 16
                && v.len() <= 16
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

impl Transactions {
    pub fn three_phase(&self) -> bool {
        self.params.protocol == Variant::ThreePhase
    }

    fn participants(&self) -> impl Iterator<Item = NodeId> {
        (1..=self.params.participants).map(NodeId)
    }

    fn wait(&self) -> std::ops::RangeInclusive<Time> {
        let t = self.params.timeout;
        t..=t
    }

    fn set_state(node: &mut impl Process, tx: u32, state: TxState, now: Time) {
        if let Some(t) = node.txns_mut().get_mut(&tx) {
            if t.state != state {
                t.state = state;
                t.since = now;
            }
            t.blocked_since = None;
        }
    }

    /// The note for ignoring `msg` from `from`, given the transaction and its state here.
    fn ignoring(&self, msg: &Msg, from: NodeId) -> impl Fn(u32, Option<TxState>) -> Note {
        let what = self.msg_label(msg);
        move |tx, state| Note::Ignores {
            tx,
            what,
            from: Some(from),
            state,
        }
    }

    /// Rebuild the per-transaction states from the log.
    fn rebuild(log: &[LogRecord], txns: &mut VecMap<u32, Txn>) {
        txns.clear();
        for r in log {
            let t = txns
                .entry(r.tx)
                .or_insert_with(|| Txn::new(TxState::Init, r.at, Writes::new()));
            let state = match r.rec {
                Rec::Begin | Rec::Work => {
                    t.writes = r.writes.clone();
                    TxState::Init
                }
                Rec::Yes => TxState::Ready,
                Rec::Precommit => TxState::Precommit,
                Rec::Commit => TxState::Committed,
                Rec::Abort => TxState::Aborted,
                Rec::End => t.state,
            };
            if state != t.state {
                t.state = state;
                t.since = r.at;
            }
        }
    }
}

impl Protocol for Transactions {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = TxnChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("participants", params.participants, 2..=7)?;
        ParamError::check_range("timeout", params.timeout, 50..=60_000)?;
        let mut initial_votes = VecMap::new();
        for (name, vote) in &params.votes {
            let i = name
                .strip_prefix('n')
                .and_then(|s| s.parse::<u32>().ok())
                .filter(|&i| (1..=params.participants).contains(&i))
                .ok_or_else(|| {
                    ParamError::new(
                        format!("votes.{name}"),
                        format!(
                            "no such participant (participants are n1 to n{})",
                            params.participants
                        ),
                    )
                })?;
            initial_votes.insert(NodeId(i), *vote);
        }
        Ok(Transactions {
            params,
            initial_votes,
        })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        let mut v = vec!["coord".to_string()];
        v.extend((1..=self.params.participants).map(|i| format!("n{i}")));
        v
    }

    fn init(&self, id: NodeId, _ctx: &mut Ctx<Self>) -> Node {
        if id == COORD {
            Node::Coordinator(NodeState::new(CoordinatorDisk {
                log: Vec::new(),
                queue: Vec::new(),
            }))
        } else {
            Node::Participant(NodeState::new(ParticipantDisk {
                log: Vec::new(),
                vote: self.initial_votes.get(&id).copied().unwrap_or_default(),
                data: VecMap::new(),
            }))
        }
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        match cmd {
            Cmd::Begin { writes } => {
                let Node::Coordinator(node) = node else {
                    ctx.note(Note::Refuses {
                        why: Refusal::BeginAtParticipant,
                    });
                    return;
                };
                if !writes_ok(&writes) {
                    ctx.note(Note::Refuses {
                        why: Refusal::BadWrites,
                    });
                    return;
                }
                let writes = if writes.is_empty() {
                    let tx = node.next_tx() + node.disk.queue.len() as u32;
                    [("x".to_string(), tx.to_string())].into()
                } else {
                    writes
                };
                if node.mem.active.is_some() {
                    node.disk.queue.push(writes);
                    ctx.note(Note::Queues {
                        position: node.disk.queue.len() as u32,
                    });
                } else {
                    self.begin(node, writes, ctx);
                }
            }
            Cmd::SetVote { vote } => match node {
                Node::Coordinator(_) => ctx.note(Note::Refuses {
                    why: Refusal::VoteAtCoordinator,
                }),
                Node::Participant(node) => {
                    node.disk.vote = vote;
                    ctx.note(Note::SetsVote { vote });
                }
            },
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match node {
            Node::Coordinator(node) => self.coord_msg(node, from, msg, ctx),
            Node::Participant(node) => self.part_msg(node, from, msg, ctx),
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match node {
            Node::Coordinator(node) => self.coord_timer(node, timer, ctx),
            Node::Participant(node) => self.part_timer(node, timer, ctx),
        }
    }

    fn fault_note(&self, node: &Node, fault: NodeFault) -> Option<Note> {
        (fault == NodeFault::Crash).then(|| Note::Crashes {
            coordinator: node.is_coordinator(),
            records: node.log().len() as u32,
            open: node
                .txns()
                .iter()
                .filter(|(_, t)| !matches!(t.state, TxState::Committed | TxState::Aborted))
                .map(|(tx, t)| (*tx, t.state))
                .collect(),
        })
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        match node {
            Node::Coordinator(node) => self.coord_restart(node, ctx),
            Node::Participant(node) => self.part_restart(node, ctx),
        }
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::Work { .. } => "WORK",
            Msg::WorkDone { .. } => "DONE",
            Msg::Prepare { .. } if self.three_phase() => "CANCOMMIT",
            Msg::Prepare { .. } => "PREPARE",
            Msg::Vote { yes: true, .. } => "YES",
            Msg::Vote { yes: false, .. } => "NO",
            Msg::Precommit { .. } => "PRECOMMIT",
            Msg::PrecommitAck { .. } => "ACK",
            Msg::Decision { commit: true, .. } if self.three_phase() => "DOCOMMIT",
            Msg::Decision { commit: true, .. } => "COMMIT",
            Msg::Decision { commit: false, .. } => "ABORT",
            Msg::DecisionAck { .. } => "ACK",
            Msg::Ask { .. } => "ASK",
            Msg::Uncertain { .. } => "UNSURE",
        }
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

    fn checker(&self) -> TxnChecker {
        TxnChecker::new(self.params.participants)
    }

    /// Mostly transactions; now and then a participant changes how it votes (usually to
    /// YES, sometimes to NO or to failing before voting).
    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        if rng.random_range(0..5u32) == 0 {
            let p = NodeId(rng.random_range(1..=self.params.participants));
            let vote = match rng.random_range(0..10u32) {
                0..=4 => Vote::Yes,
                5..=7 => Vote::No,
                _ => Vote::Fail,
            };
            return Some((p, Cmd::SetVote { vote }));
        }
        let v = rng.random_range(0..100u32);
        Some((
            COORD,
            Cmd::Begin {
                writes: [("x".to_string(), v.to_string())].into(),
            },
        ))
    }
}
