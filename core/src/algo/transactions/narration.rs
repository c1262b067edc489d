//! Narration: messages, timers, commands and notes in plain words, and the state a note
//! puts its process in.

use super::types::*;
use super::{Transactions, COORD};
use crate::sim::NodeId;

impl Transactions {
    pub(super) fn msg_words(&self, msg: &Msg, _names: &[String]) -> String {
        match msg {
            Msg::Work { tx, writes } => format!("WORK T{tx} ({})", show_writes(writes)),
            Msg::WorkDone { tx } => format!("DONE T{tx} (work finished)"),
            Msg::Prepare { tx } if self.three_phase() => format!("CANCOMMIT T{tx}?"),
            Msg::Prepare { tx } => format!("PREPARE T{tx} (vote request)"),
            Msg::Vote { tx, yes } => format!("vote {} on T{tx}", if *yes { "YES" } else { "NO" }),
            Msg::Precommit { tx } => format!("PRECOMMIT T{tx}"),
            Msg::PrecommitAck { tx } => format!("ACK of PRECOMMIT T{tx}"),
            Msg::Decision { tx, commit } => format!("{} T{tx}", decision_word(*commit, self)),
            Msg::DecisionAck { tx } => format!("ACK of the decision on T{tx}"),
            Msg::Ask { tx } => format!("ASK: what was decided on T{tx}?"),
            Msg::Uncertain { tx } => format!("UNSURE: no decision known on T{tx}"),
        }
    }

    pub(super) fn timer_words(&self, timer: &Timer, _names: &[String]) -> String {
        match timer {
            Timer::Timeout { tx } => format!("the timeout on T{tx}"),
            Timer::Resend { tx } => format!("the resend timer of T{tx}'s decision"),
        }
    }

    pub(super) fn cmd_words(&self, cmd: &Cmd, _names: &[String]) -> String {
        match cmd {
            Cmd::Begin { writes } if writes.is_empty() => "run a transaction".into(),
            Cmd::Begin { writes } => format!("run a transaction writing {}", show_writes(writes)),
            Cmd::SetVote { vote } => format!("{} from now on", vote_words(*vote)),
        }
    }

    pub(super) fn note_words(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id).to_string();
        let me = name(names, me);
        let list = |v: &[NodeId]| v.iter().map(&n).collect::<Vec<_>>().join(", ");
        let t = self.params.timeout;
        let three = self.three_phase();
        let vote_req = if three { "CanCommit" } else { "PREPARE" };
        match note {
            Note::Begins { tx } => format!(
                "{me} starts transaction T{tx}: it logs 'begin T{tx}' and sends the writes to every participant (WORK); it waits up to {t} ms for them to finish"
            ),
            Note::Queues { position } => format!(
                "{me} is still deciding the current transaction: the new one waits its turn (number {position} in the queue)"
            ),
            Note::Works { tx } => format!(
                "{me} does T{tx}'s writes, logs them ('work T{tx}') without applying them, and tells the coordinator it is done; it has not voted, so it may still abort on its own"
            ),
            Note::WorkAlreadyDone { tx } => format!("{me} already did T{tx}'s writes: it says DONE again"),
            Note::WorkCounted { tx, remaining } => format!(
                "{me} notes that a participant finished T{tx}'s work; waiting for {remaining} more"
            ),
            Note::AsksVotes { tx } => format!(
                "every participant finished T{tx}'s work: {me} enters WAIT and asks for votes ({vote_req}); it waits up to {t} ms for them"
            ),
            Note::VotesYes { tx } if three => format!(
                "{me} can commit T{tx}: it writes 'yes T{tx}' to its log first (so a crash cannot make it forget its promise), then votes YES. It is now READY (uncertain): if no PRECOMMIT comes within {t} ms it will abort (3PC rule)"
            ),
            Note::VotesYes { tx } => format!(
                "{me} can commit T{tx}: it writes 'yes T{tx}' to its log first (so a crash cannot make it forget its promise), then votes YES. It is now READY: uncertain, it may no longer decide alone"
            ),
            Note::VotesNo { tx } => format!(
                "{me} cannot commit T{tx} (set to vote NO): it logs 'abort T{tx}', aborts and votes NO. One NO is enough to abort the transaction"
            ),
            Note::FailsBeforeVoting { tx } => format!(
                "{me} receives the vote request for T{tx} but fails before voting (set to 'fail before voting'): it crashes, and its vote never leaves"
            ),
            Note::RepeatsVote { tx, yes: true } => format!(
                "{me} gets a vote request on T{tx} again (a repeated or late request): it voted YES already and answers YES again"
            ),
            Note::RepeatsVote { tx, yes: false } => format!(
                "{me} answers NO on T{tx}: its log already holds 'abort T{tx}', and a process that aborted can only vote NO"
            ),
            Note::VoteCounted { tx, remaining } => format!(
                "{me} records a YES vote on T{tx}; waiting for {remaining} more"
            ),
            Note::Decides { tx, commit, why } => {
                let word = if *commit { "COMMIT" } else { "ABORT" };
                let reason = match why {
                    DecideWhy::AllYes => "every participant voted YES".to_string(),
                    DecideWhy::VotedNo => "a participant voted NO".to_string(),
                    DecideWhy::Timeout => format!("not every participant answered within {t} ms, and a coordinator that has not decided may always abort"),
                    DecideWhy::Recovery => format!("its log shows T{tx} started but holds no decision, so nobody can have committed"),
                    DecideWhy::PrecommitTimeout => format!("not every participant acknowledged PRECOMMIT within {t} ms; everyone voted YES, so it commits anyway (3PC rule)"),
                    DecideWhy::RecoveryPrecommit => "its log shows PRECOMMIT: everyone voted YES, so it commits (3PC recovery)".to_string(),
                    DecideWhy::AllAcked => "every participant acknowledged PRECOMMIT".to_string(),
                };
                format!(
                    "{me} decides {word} on T{tx} because {reason}; it writes '{} T{tx}' to its log BEFORE sending {} to every participant",
                    word.to_lowercase(),
                    if *commit { decision_word(true, self) } else { "ABORT" }
                )
            }
            Note::Precommits { tx } => format!(
                "every participant voted YES on T{tx}: {me} logs 'precommit T{tx}' and sends PRECOMMIT, so that everyone knows the decision will be commit before anyone commits"
            ),
            Note::PrecommitReceived { tx } => format!(
                "{me} logs 'precommit T{tx}' and acknowledges: it now knows everyone voted YES. If the coordinator goes silent for {t} ms it will commit (3PC timeout rule)"
            ),
            Note::PrecommitAcked { tx, remaining } => format!(
                "{me} records an ACK of PRECOMMIT T{tx}; waiting for {remaining} more"
            ),
            Note::Learns { tx, commit, from } if *from == COORD => format!(
                "{me} learns from {} that T{tx} {}: it logs '{} T{tx}'{}, and sends an ACK to {} (the coordinator resends the decision until everyone acknowledged)",
                n(from),
                if *commit { "commits" } else { "aborts" },
                if *commit { "commit" } else { "abort" },
                if *commit { ", applies the writes" } else { ", discards the writes" },
                n(&COORD)
            ),
            Note::Learns { tx, commit, from } => format!(
                "{me} learns from {}, another participant, that T{tx} {} (cooperative termination: a decision any process logged is final, so a participant may pass it on): it logs '{} T{tx}'{}, and sends an ACK to {} so that it can stop resending",
                n(from),
                if *commit { "commits" } else { "aborts" },
                if *commit { "commit" } else { "abort" },
                if *commit { ", applies the writes" } else { ", discards the writes" },
                n(&COORD)
            ),
            Note::AlreadyKnows { tx, commit, ack } => format!(
                "{me} already {} T{tx}{}",
                if *commit { "committed" } else { "aborted" },
                if *ack { ": it acknowledges again" } else { ": nothing to do" }
            ),
            Note::DecisionAcked { tx, remaining } => format!(
                "{me} records an ACK of the decision on T{tx}; {remaining} participant{} still to acknowledge",
                if *remaining == 1 { "" } else { "s" }
            ),
            Note::Ends { tx } => format!(
                "every participant acknowledged the decision on T{tx}: {me} logs 'end T{tx}' and forgets it"
            ),
            Note::Resends { tx, to } => format!(
                "no ACK yet from {}: {me} sends the decision on T{tx} again",
                list(to)
            ),
            Note::AbortsAlone { tx, why } => match why {
                AbortWhy::Timeout => format!(
                    "{me} waited {t} ms for the vote request on T{tx} in vain; it has not voted, so it may abort on its own: it logs 'abort T{tx}' and will vote NO if asked"
                ),
                AbortWhy::Asked => format!(
                    "{me} is asked about T{tx} before it voted: it aborts (it may, as it never promised YES) and answers ABORT"
                ),
                AbortWhy::Restart => format!(
                    "{me}'s log shows T{tx}'s work but no YES vote: it had not promised anything, so it aborts T{tx}"
                ),
                AbortWhy::Unknown => format!(
                    "{me} is asked to vote on T{tx} but never received its work: it cannot vote YES, so it logs 'abort T{tx}' and votes NO"
                ),
            },
            Note::Blocked { tx, asks, again: true } if three => format!(
                "{me} restarted uncertain on T{tx} and still knows no decision: the 3PC timeout rule no longer applies (the others may have decided meanwhile), so it asks {} again",
                list(asks)
            ),
            Note::Blocked { tx, asks, again: true } => format!(
                "{me} is still blocked on T{tx} (voted YES, no decision known): it asks {} again",
                list(asks)
            ),
            Note::Blocked { tx, asks, .. } => {
                if three {
                    format!("{me} is uncertain about T{tx} and asks {} again", list(asks))
                } else if asks.len() > 1 {
                    format!(
                        "{me} voted YES on T{tx} and heard no decision for {t} ms. It may not decide alone (the coordinator may have decided either way), so it runs the cooperative termination protocol: it asks {} for the decision",
                        list(asks)
                    )
                } else {
                    format!(
                        "{me} is BLOCKED on T{tx}: it voted YES and heard no decision for {t} ms. It may not abort (the coordinator may have committed) nor commit (it may have aborted), so it can only ask the coordinator and wait"
                    )
                }
            }
            Note::AsksAfterRestart { tx, asks } if three => format!(
                "{me} restarted and its log shows a YES vote on T{tx} without a decision: it is uncertain, and while it was down the others may have decided by timeout either way, so it may not apply the timeout rule: it asks {}",
                list(asks)
            ),
            Note::AsksAfterRestart { tx, asks } => format!(
                "{me} restarted and its log shows a YES vote on T{tx} without a decision: it is uncertain and may not decide alone, so it asks {}",
                list(asks)
            ),
            Note::TimeoutAborts { tx } => format!(
                "{me} voted YES on T{tx} but got no PRECOMMIT within {t} ms: by the 3PC rule nobody can have committed yet, so it aborts and logs 'abort T{tx}'"
            ),
            Note::TimeoutCommits { tx } => format!(
                "{me} is pre-committed on T{tx} and heard nothing for {t} ms: by the 3PC rule everyone voted YES, so it commits and logs 'commit T{tx}'"
            ),
            Note::Tells { tx, to, commit } => format!(
                "{me} tells {} that T{tx} {}",
                n(to),
                if *commit { "committed" } else { "aborted" }
            ),
            Note::CannotTell { tx, to, state } => format!(
                "{me} cannot tell {} the decision on T{tx}: it is in {} itself and does not know it",
                n(to),
                state.label()
            ),
            Note::PeerUncertain { tx, from } => format!(
                "{} does not know the decision on T{tx} either: {me} keeps waiting",
                n(from)
            ),
            Note::Ignores {
                tx,
                what,
                from,
                state,
            } => {
                let thing = match from {
                    Some(f) => format!("the {what} on T{tx} from {}", n(f)),
                    None => format!("its {what} on T{tx}"),
                };
                let why = match state {
                    Some(s) => format!("it is in {} on T{tx}, past the step this belongs to", s.label()),
                    None => format!("it holds nothing about T{tx} in memory (finished, or forgotten in a crash)"),
                };
                format!("{me} ignores {thing}: {why}, so there is nothing left to do for it")
            }
            Note::Recovers { tx, state } => match state {
                TxState::Committed | TxState::Aborted => format!(
                    "{me}'s log holds the decision on T{tx} ({}) but no 'end': some participants may not know it, so it sends it again",
                    if *state == TxState::Committed { "commit" } else { "abort" }
                ),
                TxState::Precommit => format!("{me}'s log shows 'precommit T{tx}' without a decision"),
                _ => format!("{me}'s log shows 'begin T{tx}' without a decision"),
            },
            Note::RestartsPrecommitted { tx } => format!(
                "{me}'s log shows 'precommit T{tx}' without a decision: everyone voted YES, so if no decision comes within {t} ms it commits (3PC timeout rule for a pre-committed participant)"
            ),
            Note::KeepsQueue { waiting } => format!(
                "{me}'s queue of client transactions is on disk too: {waiting} transaction{} still wait{}, and the next one starts now (recovery has decided the open ones)",
                if *waiting == 1 { "" } else { "s" },
                if *waiting == 1 { "s" } else { "" }
            ),
            Note::Crashes {
                coordinator,
                records,
                open,
            } => {
                let kept = format!(
                    "its write-ahead log ({records} record{}) is on disk and survives",
                    if *records == 1 { "" } else { "s" }
                );
                let what = open
                    .iter()
                    .map(|(tx, st)| match (coordinator, st) {
                        (true, TxState::Init | TxState::Wait) => format!(
                            "T{tx} is undecided: participants that voted YES are now uncertain and {}",
                            if three {
                                "decide by the 3PC timeout rule"
                            } else {
                                "must wait for coord (2PC blocks)"
                            }
                        ),
                        (true, _) => format!(
                            "T{tx}'s decision is in the log: coord sends it again when it restarts"
                        ),
                        (false, TxState::Init) => format!(
                            "T{tx}: it has not voted, so it may abort T{tx} on its own"
                        ),
                        (false, TxState::Ready) => format!(
                            "T{tx}: it voted YES, so after restarting it may not decide alone and must ask"
                        ),
                        (false, _) => format!(
                            "T{tx}: it was pre-committed, so it commits after restarting unless told otherwise"
                        ),
                    })
                    .collect::<Vec<_>>();
                if what.is_empty() {
                    format!("{me} crashes: {kept}; no transaction was open")
                } else {
                    format!("{me} crashes: {kept}; {}", what.join("; "))
                }
            }
            Note::Restarts { txns } => format!(
                "{me} restarts: its log was on disk and survives; it rebuilds the state of {txns} transaction{} from it (what was only in memory is lost)",
                if *txns == 1 { "" } else { "s" }
            ),
            Note::SetsVote { vote } => format!("{me} will {} from now on", vote_words(*vote)),
            Note::Refuses { why } => match why {
                Refusal::BeginAtParticipant => format!(
                    "{me} is a participant: transactions are started at the coordinator"
                ),
                Refusal::VoteAtCoordinator => {
                    format!("{me} is the coordinator: only participants vote")
                }
                Refusal::BadWrites => format!(
                    "{me} refuses the transaction: up to {MAX_WRITES} writes, keys of 1 to 16 letters, digits or '_', values up to 16 characters"
                ),
            },
        }
    }
}

pub(super) fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

fn decision_word(commit: bool, p: &Transactions) -> &'static str {
    match (commit, p.three_phase()) {
        (true, true) => "DOCOMMIT",
        (true, false) => "COMMIT",
        (false, _) => "ABORT",
    }
}

fn vote_words(v: Vote) -> &'static str {
    match v {
        Vote::Yes => "vote YES",
        Vote::No => "vote NO",
        Vote::Fail => "fail (crash) before voting",
    }
}

pub fn show_writes(w: &Writes) -> String {
    w.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The state a narration note puts its process in, for drawing lanes over time.
pub fn note_state(note: &Note) -> Option<(u32, TxState)> {
    Some(match *note {
        Note::Begins { tx } | Note::Works { tx } => (tx, TxState::Init),
        Note::AsksVotes { tx } => (tx, TxState::Wait),
        Note::VotesYes { tx } => (tx, TxState::Ready),
        Note::VotesNo { tx } | Note::AbortsAlone { tx, .. } | Note::TimeoutAborts { tx } => {
            (tx, TxState::Aborted)
        }
        Note::Precommits { tx } | Note::PrecommitReceived { tx } => (tx, TxState::Precommit),
        Note::TimeoutCommits { tx } => (tx, TxState::Committed),
        Note::Decides { tx, commit, .. } | Note::Learns { tx, commit, .. } => (
            tx,
            if commit {
                TxState::Committed
            } else {
                TxState::Aborted
            },
        ),
        _ => return None,
    })
}
