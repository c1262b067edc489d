//! Raft in words: message labels and descriptions, timers, commands and the notes that
//! narrate each step, naming the rule applied.

use super::types::{Cmd, Msg, Note, Refusal, Reject, Role, Timer, MAX_TIMER};
use super::Raft;
use crate::sim::NodeId;

impl Role {
    /// The role with its article: "the leader", "a follower".
    pub fn with_article(self) -> String {
        match self {
            Role::Leader => "the leader".to_string(),
            r => format!("a {}", r.word()),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

impl Raft {
    pub(super) fn label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::RequestVote {
                pre_vote: false, ..
            } => "RV",
            Msg::RequestVote { pre_vote: true, .. } => "PRE",
            Msg::RequestVoteReply { granted: true, .. } => "VOTE",
            Msg::RequestVoteReply { granted: false, .. } => "NOVOTE",
            Msg::AppendEntries { entries, .. } if entries.is_empty() => "HB",
            Msg::AppendEntries { .. } => "AE",
            Msg::AppendEntriesReply { success: true, .. } => "OK",
            Msg::AppendEntriesReply { success: false, .. } => "NACK",
            Msg::ClientRequest { .. } => "CLIENT",
        }
    }

    pub(super) fn msg_words(&self, msg: &Msg, names: &[String]) -> String {
        match msg {
            Msg::RequestVote {
                term,
                last_log_index,
                last_log_term,
                pre_vote,
            } => {
                format!(
                "{} for term {term} (last log entry: index {last_log_index}, term {last_log_term})",
                if *pre_vote { "a pre-vote request" } else { "RequestVote" }
            )
            }
            Msg::RequestVoteReply {
                term,
                granted,
                pre_vote,
            } => format!(
                "a {}{} (term {term})",
                if *pre_vote { "pre-" } else { "" },
                if *granted {
                    "vote granted"
                } else {
                    "vote refused"
                }
            ),
            Msg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => {
                // The entry just before the new ones, which the follower must hold for
                // the consistency check to pass.
                let previous = format!(
                    "previous entry: index {prev_log_index}, term {prev_log_term}; leader's commit index {leader_commit}"
                );
                if entries.is_empty() {
                    format!("a heartbeat (AppendEntries with no entries, term {term}; {previous})")
                } else {
                    format!(
                        "AppendEntries with entries {}..{} (term {term}; {previous})",
                        prev_log_index + 1,
                        prev_log_index + entries.len() as u64
                    )
                }
            }
            Msg::AppendEntriesReply {
                term,
                success,
                index,
                conflict_term,
                conflict_index,
            } => {
                if *success {
                    format!(
                        "an AppendEntries success reply (its log matches the leader's up to index {index}; term {term})"
                    )
                } else {
                    let hint = match (conflict_term, conflict_index) {
                        (Some(t), Some(i)) => format!(
                            "; hint: its entry there has term {t}, which it holds from index {i}"
                        ),
                        (None, Some(i)) => format!("; hint: its log ends before index {i}"),
                        _ => String::new(),
                    };
                    format!(
                        "an AppendEntries failure reply (it has no entry matching the previous entry at index {index}; term {term}{hint})"
                    )
                }
            }
            Msg::ClientRequest {
                key,
                value,
                client,
                seq,
                ..
            } => format!(
                "client request {}#{seq} {key}={value}",
                name(names, *client)
            ),
        }
    }

    pub(super) fn timer_words(&self, timer: &Timer, _names: &[String]) -> String {
        match timer {
            Timer::Election => "the election timer".into(),
            Timer::Heartbeat => "the heartbeat timer".into(),
        }
    }

    pub(super) fn cmd_words(&self, cmd: &Cmd, _names: &[String]) -> String {
        match cmd {
            Cmd::Client { key, value } => format!("handle a client request {key}={value}"),
            Cmd::Timeout => "time out now (start an election)".into(),
            Cmd::SetTimer { after } => format!("set its election timer to {after} ms"),
        }
    }

    pub(super) fn note_words(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id);
        let me = name(names, me);
        let list = |v: &[NodeId]| {
            v.iter()
                .map(|x| name(names, *x))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let majority = self.majority();
        let servers = self.params.servers;
        match note {
            Note::StartsElection { term, forced, was } => {
                let why = if *forced {
                    "its election timer was made to fire now".to_string()
                } else if *was == Role::Candidate {
                    "its election ended without a winner before its timer ran out (a split vote or lost messages)".to_string()
                } else {
                    "it heard from no leader before its election timer ran out".to_string()
                };
                format!("{why}: {me} becomes a candidate for term {term}, votes for itself and asks every server for its vote (RequestVote); it needs {majority} of {servers}")
            }
            Note::StartsPreVote { term, forced } => format!(
                "{}: {me} first asks whether it could win term {term} (pre-vote) without raising its own term, so a server cut off from the others cannot disrupt the cluster",
                if *forced { "its election timer was made to fire now" } else { "it heard from no leader before its election timer ran out" }
            ),
            Note::PreVoteWon { term, votes } => format!(
                "{me} has pre-votes from {} (a majority): it now raises its term to {term} and asks for real votes",
                list(votes)
            ),
            Note::NewTerm { from, old, new, was } => format!(
                "{} is in term {new}, newer than {me}'s term {old}: {me} adopts term {new}{} (a server that sees a higher term always updates its term and becomes a follower)",
                n(from),
                if *was == Role::Follower { String::new() } else { format!(" and steps down from {} to follower", was.word()) }
            ),
            Note::GrantsVote { candidate, term, pre_vote } => {
                if *pre_vote {
                    format!("{me} would vote for {} in term {term}: its log is at least as up to date and {me} has no live leader (pre-vote granted; {me}'s term does not change)", n(candidate))
                } else {
                    format!("{me} votes for {} in term {term}: it has not voted for anyone else in this term and {}'s log is at least as up to date as its own; it resets its election timer", n(candidate), n(candidate))
                }
            }
            Note::RefusesVote { candidate, term, pre_vote, refusal } => {
                let what = if *pre_vote { "pre-vote" } else { "vote" };
                let why = match refusal {
                    Refusal::StaleTerm { mine } => format!("{}'s term {term} is not newer than {me}'s term {mine}", n(candidate)),
                    Refusal::AlreadyVoted { other } => format!("{me} already voted for {} in term {term} (one vote per term)", n(other)),
                    Refusal::LogBehind { their_term, their_index, my_term, my_index } => format!(
                        "{}'s log is less up to date (last entry term {their_term}, index {their_index}) than {me}'s (term {my_term}, index {my_index}); a leader must hold every committed entry",
                        n(candidate)
                    ),
                    Refusal::LeaderAlive { leader } if n(leader) == me => format!("{me} is the leader and alive, so there is no need for an election"),
                    Refusal::LeaderAlive { leader } => format!("{me} heard from leader {} recently, so there is no need for an election", n(leader)),
                };
                format!("{me} refuses its {what} to {}: {why}", n(candidate))
            }
            Note::GotVote { from, term, pre_vote, votes, needed } => format!(
                "{me} gets a {}vote from {} for term {term}: {votes} of the {needed} it needs",
                if *pre_vote { "pre-" } else { "" },
                n(from)
            ),
            Note::VoteDenied { from, term, pre_vote } => format!(
                "{} refused its {}vote for term {term}; {me} keeps waiting for other votes",
                n(from),
                if *pre_vote { "pre-" } else { "" }
            ),
            Note::BecomesLeader { term, votes, next } => format!(
                "{me} has votes from {} ({} of {servers}, a majority): it becomes LEADER for term {term}, sets every follower's nextIndex to {next} (just after its last entry) and matchIndex to 0, and sends AppendEntries at once to assert its leadership",
                list(votes),
                votes.len()
            ),
            Note::SendsAppend { term, heartbeat, with_entries } => {
                if *heartbeat {
                    format!("{me}, leader for term {term}, sends a heartbeat (AppendEntries with no entries) to every follower so they do not start an election")
                } else {
                    if with_entries.len() as u32 + 1 == servers {
                        format!("{me}, leader for term {term}, sends AppendEntries to every follower with the entries each lacks (from its nextIndex on)")
                    } else {
                        format!("{me}, leader for term {term}, sends AppendEntries with the entries they lack (from their nextIndex on) to {}, and heartbeats to the others", list(with_entries))
                    }
                }
            }
            Note::AcceptsLeader { leader, term } => format!(
                "{} is leader for term {term}, {me}'s own term: {me} stops its election and becomes a follower",
                n(leader)
            ),
            Note::Heartbeat { leader, term } => format!(
                "{me} accepts the heartbeat of {}, leader for term {term}: its log matches at the previous entry; it resets its election timer",
                n(leader)
            ),
            Note::RejectsAppend { leader, reject } => match reject {
                Reject::StaleTerm { mine } => format!(
                    "{me} rejects AppendEntries from {}: its term is older than {me}'s term {mine} (it is a deposed leader); the reply tells it the newer term",
                    n(leader)
                ),
                Reject::Missing { prev_index, last } => format!(
                    "{me} rejects AppendEntries from {}: the consistency check asks for an entry at index {prev_index} but {me}'s log ends at {last}",
                    n(leader)
                ),
                Reject::TermMismatch { prev_index, prev_term, mine } => format!(
                    "{me} rejects AppendEntries from {}: its entry {prev_index} has term {mine}, the leader's has term {prev_term} (consistency check failed)",
                    n(leader)
                ),
            },
            Note::Truncates { index, removed, mine, theirs } => format!(
                "{me}'s entry {index} has term {mine} but the leader's has term {theirs}: they conflict, so {me} deletes entry {index} and everything after it ({removed} entr{})",
                if *removed == 1 { "y" } else { "ies" }
            ),
            Note::Appends { leader, first, last } => {
                if first == last {
                    format!("{me} appends entry {first} from leader {}", n(leader))
                } else {
                    format!("{me} appends entries {first}..{last} from leader {}", n(leader))
                }
            }
            Note::AlreadyHas { leader, last } => format!(
                "{me} already has every entry up to {last} that {} sent (a repeated request): nothing to change",
                n(leader)
            ),
            Note::FollowerCommits { from, to, leader_commit } => format!(
                "the leader's commit index is {leader_commit}: {me} marks entries {from}..{to} committed"
            ),
            Note::Applies { index, term, client, seq, key, value } => format!(
                "{me} applies entry {index} (term {term}, request {}#{seq}) to its state machine: {key}={value}",
                n(client)
            ),
            Note::AnswersClient { client, seq, index } => format!(
                "entry {index} is committed and applied: {me} answers client request {}#{seq}",
                n(client)
            ),
            Note::Acked { from, match_index } => format!(
                "{} holds the leader's log up to {match_index}: {me} sets matchIndex[{}] = {match_index}, nextIndex[{}] = {}",
                n(from), n(from), n(from), match_index + 1
            ),
            Note::BacksOff { from, next, hint } => format!(
                "{}'s log does not match: {me} sets nextIndex[{}] back to {next}{} and retries",
                n(from),
                n(from),
                if *hint { " (skipping the conflicting term, using the follower's hint)" } else { " (one entry back)" }
            ),
            Note::VoteAfterWin { from, term, pre_vote, granted } => {
                let what = match (*pre_vote, *granted) {
                    (true, true) => "pre-vote is no longer needed",
                    (true, false) => "refused pre-vote changes nothing",
                    (false, true) => "vote is no longer needed",
                    (false, false) => "refusal changes nothing",
                };
                if *pre_vote {
                    format!("{me} already won the pre-vote and stands in term {term}: {}'s {what}", n(from))
                } else {
                    format!("{me} already won term {term} with a majority: {}'s {what}", n(from))
                }
            }
            Note::StaleReply { from, term } => format!(
                "{me} ignores an old reply from {} (term {term}): it no longer waits for it",
                n(from)
            ),
            Note::LeaderCommits { from, to, term, holders, unsafe_rule } => {
                let range = if from == to { format!("entry {to}") } else { format!("entries {from}..{to}") };
                if *unsafe_rule {
                    format!("UNSAFE RULE: {range} is stored on {} (a majority) and {me} commits it by counting replicas although entry {to} is from an earlier term than {term}; Figure 2 forbids this (see Figure 8)", list(holders))
                } else {
                    format!("{range} is stored on {} (a majority) and entry {to} is from the current term {term}: {me} commits up to {to}", list(holders))
                }
            }
            Note::CannotCommitOldTerm { index, term } => format!(
                "entry {index} is on a majority but is from term {term}, not {me}'s current term: a leader never commits an older term's entry by counting replicas; it becomes committed with the next entry of the current term"
            ),
            Note::ClientAppended { index, key, value } => format!(
                "{me} is the leader: it appends {key}={value} as entry {index} and replicates it; it answers the client once the entry is committed"
            ),
            Note::ClientRedirected { leader } => format!(
                "{me} is not the leader: it redirects the client request to {}, the leader it knows",
                n(leader)
            ),
            Note::ClientRefused { hops } => {
                if *hops >= 3 {
                    format!("{me} is not the leader and the request was redirected too many times: it is refused (send it again once a leader is known)")
                } else {
                    format!("{me} is not the leader and knows no leader: the request is refused (send it again once a leader is elected)")
                }
            }
            Note::DuplicateRequest { client, seq, index } => format!(
                "{me} already has client request {}#{seq} in its log (entry {index}): the copy is not appended again",
                n(client)
            ),
            Note::SkipsDuplicate { index, client, seq } => format!(
                "entry {index} repeats client request {}#{seq}, which {me}'s state machine already applied: it is skipped, so the request takes effect once",
                n(client)
            ),
            Note::BadCommand => format!("{me} refuses the client request: the key must be 1 to 16 characters and the value at most 16"),
            Note::BadTimer { after } => format!("{me} refuses to set its election timer to {after} ms: it must be between 1 and {MAX_TIMER} ms"),
            Note::LeaderIgnoresTimeout => format!("{me} is the leader: it has no election timer, so nothing happens"),
            Note::TimerSet { after } => format!("{me}'s election timer is set by hand to fire in {after} ms"),
            Note::Crashes {
                role,
                term,
                entries,
                commit,
            } => format!(
                "in Raft, {me}'s term ({term}), vote and {entries} log entr{} are persistent and survive; its role ({}), commit index ({commit}), state machine and, as a leader, nextIndex and matchIndex are volatile and lost.{}",
                if *entries == 1 { "y" } else { "ies" },
                role.word(),
                if *role == Role::Leader {
                    " The followers stop hearing heartbeats: once an election timer runs out, one of them stands for a new term."
                } else {
                    ""
                }
            ),
            Note::Pauses { role, term } => format!(
                "{me} is still {} of term {term} in its own eyes; {}",
                role.with_article(),
                if *role == Role::Leader {
                    "it sends no heartbeats, so a follower's election timer runs out and a new leader may be elected without it knowing"
                } else {
                    "its election timer is frozen with it"
                }
            ),
            Note::Resumes { role, term } => format!(
                "{me} carries on as {} of term {term}; the first message with a higher term that it handles makes it a follower (a term number tells a stale leader it is stale)",
                role.with_article()
            ),
            Note::Restarts { term, entries } => format!(
                "{me} restarts with its persistent state (term {term}, its vote, {entries} log entr{}) and loses the rest: it is a follower, its commit index is 0 and its state machine is empty until it learns what is committed",
                if *entries == 1 { "y" } else { "ies" }
            ),
        }
    }
}

pub(super) fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}
