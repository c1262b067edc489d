//! The handlers: the [`Protocol`] impl and the rules every server follows whatever its
//! role (the timers, adopting a newer term, client requests). Elections are in
//! [`election`], log replication and commitment in [`replication`].

mod election;
mod replication;

use super::checker::{self, RaftChecker};
use super::types::{Cmd, Entry, Msg, Node, Note, Params, RaftDisk, Role, Timer, MAX_TIMER};
use super::{Raft, NAME};
use crate::invariant::Property;
use crate::protocol::{Ctx, NodeFault, ParamError, Protocol};
use crate::sim::{NodeId, Time};
use crate::text::Text;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

impl Raft {
    pub(super) fn majority(&self) -> u32 {
        self.params.servers / 2 + 1
    }

    fn peers(&self, me: NodeId) -> impl Iterator<Item = NodeId> {
        (0..self.params.servers)
            .map(NodeId)
            .filter(move |&n| n != me)
    }

    fn arm_election(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let [lo, hi] = self.params.election_timeout;
        let d = ctx.random_range(lo..=hi);
        self.arm_exact(node, d, ctx);
    }

    fn arm_exact(&self, node: &mut Node, d: Time, ctx: &mut Ctx<Self>) {
        ctx.set_timer(Timer::Election, d..=d);
        node.mem.timer_set_at = Some(ctx.now());
        node.mem.timer_due = Some(ctx.now().saturating_add(d));
    }

    /// Adopt a higher term seen in a message from `from` (rule for all servers).
    fn observe_term(&self, node: &mut Node, term: u64, from: NodeId, ctx: &mut Ctx<Self>) {
        if term <= node.disk.current_term {
            return;
        }
        let was = node.mem.role;
        ctx.note(Note::NewTerm {
            from,
            old: node.disk.current_term,
            new: term,
            was,
        });
        node.disk.current_term = term;
        node.disk.voted_for = None;
        node.mem.leader = None;
        node.mem.votes.clear();
        if was == Role::Leader {
            ctx.cancel_timer(Timer::Heartbeat);
            node.mem.next_index.clear();
            node.mem.match_index.clear();
            node.mem.sent_up_to.clear();
            node.mem.role = Role::Follower;
            self.arm_election(node, ctx);
        } else {
            node.mem.role = Role::Follower;
        }
    }

    /// A client request reaching this server (from a client or redirected by a follower).
    #[allow(clippy::too_many_arguments)]
    fn client_request(
        &self,
        node: &mut Node,
        key: Text,
        value: Text,
        client: NodeId,
        seq: u32,
        hops: u32,
        ctx: &mut Ctx<Self>,
    ) {
        let me = ctx.me();
        if node.mem.role == Role::Leader {
            // The same request twice (the network duplicated it, or it was redirected
            // along two paths): one entry is enough. What the state machine applied is in
            // `applied_requests`; only the entries after it need a look.
            let applied = node.mem.applied_requests.contains(&(client, seq));
            let from = if applied {
                0
            } else {
                node.mem.last_applied as usize
            };
            let same = |e: &Entry| e.client == client && e.seq == seq;
            if let Some(k) = node
                .disk
                .log
                .iter_from(from)
                .position(same)
                .map(|k| k + from)
            {
                ctx.note(Note::DuplicateRequest {
                    client,
                    seq,
                    index: k as u64 + 1,
                });
                return;
            }
            node.disk.log.push(Entry {
                term: node.disk.current_term,
                key: key.clone(),
                value: value.clone(),
                client,
                seq,
            });
            node.mem.match_index[me.index()] = node.disk.last_index();
            ctx.note(Note::ClientAppended {
                index: node.disk.last_index(),
                key,
                value,
            });
            self.broadcast_append(node, ctx);
            // A one-server majority is impossible (3 or more servers), so nothing commits yet.
            return;
        }
        match node.mem.leader {
            Some(l) if l != me && hops < 3 => {
                ctx.send(
                    l,
                    Msg::ClientRequest {
                        key,
                        value,
                        client,
                        seq,
                        hops: hops + 1,
                    },
                );
                ctx.note(Note::ClientRedirected { leader: l });
            }
            _ => ctx.note(Note::ClientRefused { hops }),
        }
    }
}

impl Protocol for Raft {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = RaftChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("servers", params.servers, 3..=9)?;
        let [lo, hi] = params.election_timeout;
        ParamError::check_range("election_timeout", lo, 20..=60_000)?;
        ParamError::check_range("election_timeout", hi, 20..=60_000)?;
        if lo > hi {
            return Err(ParamError::new(
                "election_timeout",
                format!("the minimum ({lo}) is larger than the maximum ({hi})"),
            ));
        }
        ParamError::check_range("heartbeat_interval", params.heartbeat_interval, 5..=60_000)?;
        if params.heartbeat_interval >= lo {
            return Err(ParamError::new(
                "heartbeat_interval",
                format!(
                    "must be shorter than the minimum election timeout ({lo} ms), or followers time out between heartbeats (got {})",
                    params.heartbeat_interval
                ),
            ));
        }
        Ok(Raft { params })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        (1..=self.params.servers).map(|i| format!("n{i}")).collect()
    }

    fn init(&self, _id: NodeId, ctx: &mut Ctx<Self>) -> Node {
        let mut node = Node::new(RaftDisk::default());
        self.arm_election(&mut node, ctx);
        node
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        match cmd {
            Cmd::Client { key, value } => {
                if key.is_empty() || key.chars().count() > 16 || value.chars().count() > 16 {
                    ctx.note(Note::BadCommand);
                    return;
                }
                node.disk.next_seq += 1;
                let seq = node.disk.next_seq;
                self.client_request(node, key.into(), value.into(), me, seq, 0, ctx);
            }
            Cmd::Timeout => {
                if node.mem.role == Role::Leader {
                    ctx.note(Note::LeaderIgnoresTimeout);
                } else {
                    self.start_election(node, true, ctx);
                }
            }
            Cmd::SetTimer { after } => {
                if !(1..=MAX_TIMER).contains(&after) {
                    ctx.note(Note::BadTimer { after });
                } else if node.mem.role == Role::Leader {
                    ctx.note(Note::LeaderIgnoresTimeout);
                } else {
                    self.arm_exact(node, after, ctx);
                    ctx.note(Note::TimerSet { after });
                }
            }
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match msg {
            Msg::RequestVote {
                term,
                last_log_index,
                last_log_term,
                pre_vote,
            } => self.on_request_vote(
                node,
                from,
                term,
                last_log_index,
                last_log_term,
                pre_vote,
                ctx,
            ),
            Msg::RequestVoteReply {
                term,
                granted,
                pre_vote,
            } => self.on_vote_reply(node, from, term, granted, pre_vote, ctx),
            Msg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => self.on_append(
                node,
                from,
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                ctx,
            ),
            Msg::AppendEntriesReply {
                term,
                success,
                index,
                conflict_term,
                conflict_index,
            } => self.on_append_reply(
                node,
                from,
                term,
                success,
                index,
                conflict_term,
                conflict_index,
                ctx,
            ),
            Msg::ClientRequest {
                key,
                value,
                client,
                seq,
                hops,
            } => self.client_request(node, key, value, client, seq, hops, ctx),
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Election => {
                if node.mem.role != Role::Leader {
                    self.start_election(node, false, ctx);
                }
            }
            Timer::Heartbeat => {
                if node.mem.role == Role::Leader {
                    self.broadcast_append(node, ctx);
                }
            }
        }
    }

    fn fault_note(&self, node: &Node, fault: NodeFault) -> Option<Note> {
        let (role, term) = (node.mem.role, node.disk.current_term);
        Some(match fault {
            NodeFault::Crash => Note::Crashes {
                role,
                term,
                entries: node.disk.last_index(),
                commit: node.mem.commit_index,
            },
            NodeFault::Pause => Note::Pauses { role, term },
            NodeFault::Resume => Note::Resumes { role, term },
        })
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        ctx.note(Note::Restarts {
            term: node.disk.current_term,
            entries: node.disk.last_index(),
        });
        self.arm_election(node, ctx);
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
        checker::properties()
    }

    fn checker(&self) -> RaftChecker {
        RaftChecker::new(self.params.servers as usize)
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let to = NodeId(rng.random_range(0..self.params.servers));
        let cmd = if rng.random_range(0..2u32) == 0 {
            Cmd::Timeout
        } else {
            let key = ["x", "y", "z"][rng.random_range(0..3u32) as usize];
            Cmd::Client {
                key: key.into(),
                value: rng.random_range(1..100u32).to_string(),
            }
        };
        Some((to, cmd))
    }
}
