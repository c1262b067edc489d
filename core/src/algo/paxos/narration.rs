//! Paxos in words: message labels and descriptions, timers, commands and the notes that
//! narrate each step, naming the rule applied and the ballots and values it used.

use super::types::{Cmd, Msg, Note, Phase, PrepareWhy, Refused, Report, Roles, Timer};
use super::Paxos;
use crate::sim::NodeId;

pub(super) fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

impl Roles {
    /// "proposer and acceptor".
    pub fn words(&self) -> String {
        let mut v = Vec::new();
        if self.proposer {
            v.push("proposer");
        }
        if self.acceptor {
            v.push("acceptor");
        }
        if self.learner {
            v.push("learner");
        }
        match v.len() {
            0 => "node".to_string(),
            1 => v[0].to_string(),
            _ => {
                let last = v.pop().expect("two or more");
                format!("{} and {last}", v.join(", "))
            }
        }
    }
}

impl Phase {
    pub fn word(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Preparing => "phase 1 (collecting promises)",
            Phase::Accepting => "phase 2 (collecting accepts)",
            Phase::Leading => "leading",
            Phase::BackingOff => "backing off",
            Phase::Following => "following the leader",
            Phase::Done => "done (its value is chosen)",
        }
    }
}

impl Paxos {
    pub(super) fn label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::Prepare { .. } => "PREPARE",
            Msg::Promise { .. } => "PROMISE",
            Msg::Accept { .. } => "ACCEPT",
            Msg::Accepted { .. } => "ACCEPTED",
            Msg::Nack { .. } => "NACK",
            Msg::Heartbeat { .. } => "HB",
            Msg::Forward { .. } => "FWD",
            Msg::Catchup { .. } => "CATCHUP",
            Msg::Learn { .. } => "LEARN",
        }
    }

    fn slot_words(&self, slot: u64) -> String {
        if self.params.multi {
            format!(" in slot {slot}")
        } else {
            String::new()
        }
    }

    fn reports_words(&self, reports: &[Report], names: &[String]) -> String {
        if reports.is_empty() {
            return "it has accepted nothing".to_string();
        }
        let parts: Vec<String> = reports
            .iter()
            .map(|r| {
                let v = format!("{} = {}", r.ballot.show(names), r.value.show());
                if self.params.multi {
                    format!("slot {}: {v}", r.slot)
                } else {
                    v
                }
            })
            .collect();
        format!("it accepted {}", parts.join(", "))
    }

    pub(super) fn msg_words(&self, msg: &Msg, names: &[String]) -> String {
        match msg {
            Msg::Prepare { ballot, from_slot } => {
                if self.params.multi {
                    format!(
                        "Prepare({}) for every slot from {from_slot} on",
                        ballot.show(names)
                    )
                } else {
                    format!("Prepare({})", ballot.show(names))
                }
            }
            Msg::Promise {
                ballot, accepted, ..
            } => format!(
                "Promise({}): {}",
                ballot.show(names),
                self.reports_words(accepted, names)
            ),
            Msg::Accept {
                ballot,
                slot,
                value,
            } => format!(
                "Accept({}, {}){}",
                ballot.show(names),
                value.show(),
                self.slot_words(*slot)
            ),
            Msg::Accepted {
                ballot,
                slot,
                value,
            } => format!(
                "Accepted({}, {}){}",
                ballot.show(names),
                value.show(),
                self.slot_words(*slot)
            ),
            Msg::Nack {
                ballot,
                promised,
                accept,
            } => format!(
                "a refusal of {}({}): the acceptor promised {}",
                if *accept { "Accept" } else { "Prepare" },
                ballot.show(names),
                promised.show(names)
            ),
            Msg::Heartbeat {
                ballot,
                chosen_upto,
            } => format!(
                "a heartbeat from the leader of ballot {} (it knows slots before {chosen_upto} chosen)",
                ballot.show(names)
            ),
            Msg::Forward { value, .. } => format!("the client command '{value}', passed on"),
            Msg::Catchup { from_slot } => {
                format!("a request for the chosen values from slot {from_slot} on")
            }
            Msg::Learn {
                slot,
                ballot,
                value,
            } => format!(
                "the chosen value {}{} (ballot {})",
                value.show(),
                self.slot_words(*slot),
                ballot.show(names)
            ),
        }
    }

    pub(super) fn timer_words(&self, timer: &Timer, _names: &[String]) -> String {
        match timer {
            Timer::Retry => "the retry timer".into(),
            Timer::Election => "the election timer".into(),
            Timer::Heartbeat => "the heartbeat timer".into(),
        }
    }

    pub(super) fn cmd_words(&self, cmd: &Cmd, _names: &[String]) -> String {
        match cmd {
            Cmd::Propose { value } if self.params.multi => {
                format!("handle the client command '{value}'")
            }
            Cmd::Propose { value } => format!("propose '{value}'"),
            Cmd::BackOff { on } => format!("turn its back-off {}", if *on { "on" } else { "off" }),
            Cmd::Prepare => "run phase 1 now with a higher ballot".into(),
        }
    }

    pub(super) fn note_words(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id).to_string();
        let me = name(names, me);
        let b = |x: &super::types::Ballot| x.show(names);
        let ob = |x: &Option<super::types::Ballot>| x.map_or("none".to_string(), |x| x.show(names));
        let list = |v: &[NodeId]| {
            v.iter()
                .map(|x| name(names, *x))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let slots = |v: &[u64]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let acceptors = self.params.acceptors;
        let majority = self.majority();
        let sw = |s: &u64| self.slot_words(*s);
        match note {
            Note::Crashes {
                roles,
                promised,
                accepted,
                forgets_promise,
            } => {
                let mut s = format!("{me} ({}) crashes: the messages it was about to handle are lost", roles.words());
                if roles.acceptor {
                    if *forgets_promise {
                        s += &format!("; UNSAFE: its promise ({}) is in memory only and is lost, while what it accepted ({accepted} slot(s)) stays on disk", ob(promised));
                    } else {
                        s += &format!("; its promise ({}) and what it accepted ({accepted} slot(s)) are on disk and survive", ob(promised));
                    }
                }
                if roles.proposer {
                    s += "; a proposer loses its phase, promises and value but keeps its last round on disk, so it never reuses a ballot";
                }
                s
            }
            Note::Restarts {
                roles,
                promised,
                forgot_promise,
            } => {
                let mut s = format!("{me} ({}) restarts", roles.words());
                if roles.acceptor {
                    if *forgot_promise {
                        s += " having FORGOTTEN its promise (unsafe variant): it will accept ballots it promised to ignore";
                    } else {
                        s += &format!(" with its promise {} and its accepted values from disk", ob(promised));
                    }
                }
                s
            }
            Note::ClientValue { value } => {
                format!("a client asks {me} to propose '{value}'")
            }
            Note::Refused { refused } => match refused {
                Refused::BadValue => format!(
                    "{me} refuses the value: it must be 1 to {} characters",
                    super::types::MAX_VALUE_CHARS
                ),
                Refused::NotAProposer => format!("{me} is not a proposer: it ignores the command"),
                Refused::AlreadyChosen { value } => format!(
                    "{me} already saw {} chosen: single-decree Paxos chooses one value, once",
                    value.show()
                ),
                Refused::NoLeader => format!(
                    "{me} is not a proposer and knows no leader yet: it cannot pass the command on"
                ),
                Refused::TooManyHops => format!(
                    "{me} drops the command: it was passed on too many times (the leader keeps changing)"
                ),
            },
            Note::BackOffSet { on } => format!(
                "{me} turns its back-off {}: {}",
                if *on { "on" } else { "off" },
                if *on {
                    "after a beaten ballot it waits a random, growing time before it retries, so dueling proposers stop beating each other"
                } else {
                    "after a beaten ballot it retries at once"
                }
            ),
            Note::Prepares {
                ballot,
                from_slot,
                why,
                needed,
            } => {
                let why = match why {
                    PrepareWhy::Client => "it has a value to propose",
                    PrepareWhy::Forced => "it was told to",
                    PrepareWhy::Retry => "its last ballot failed",
                    PrepareWhy::Election => "it heard from no leader",
                };
                let what = if self.params.multi {
                    format!(" for every slot from {from_slot} on (phase 1 once for all open slots)")
                } else {
                    String::new()
                };
                format!(
                    "{why}: {me} starts phase 1 with ballot {} (a round higher than any it used or saw) and sends Prepare{what} to the {acceptors} acceptors; it needs {needed} promises",
                    b(ballot)
                )
            }
            Note::Promises {
                ballot,
                previous,
                reports,
            } => format!(
                "{me} promises ballot {}: it is not lower than its promise ({}); it will ignore lower ballots from now on, and reports that {}",
                b(ballot),
                ob(previous),
                self.reports_words(reports, names)
            ),
            Note::RefusesPrepare { ballot, promised } => format!(
                "{me} refuses Prepare({}): it promised {}, which is higher",
                b(ballot),
                b(promised)
            ),
            Note::Accepts {
                ballot,
                slot,
                value,
                previous,
            } => {
                let prev = match previous {
                    Some(p) if p.ballot == *ballot => " (again)".to_string(),
                    Some(p) => format!(", replacing {} = {}", b(&p.ballot), p.value.show()),
                    None => String::new(),
                };
                format!(
                    "{me} accepts {}{} in ballot {}{prev}: it promised no higher ballot; it tells the proposer and the learners (accepted is not yet chosen: that takes {majority} of {acceptors} acceptors in one ballot)",
                    value.show(),
                    sw(slot),
                    b(ballot)
                )
            }
            Note::RefusesAccept {
                ballot,
                slot,
                promised,
            } => format!(
                "{me} refuses Accept({}){}: it promised {}, which is higher",
                b(ballot),
                sw(slot),
                b(promised)
            ),
            Note::GotPromise {
                from,
                ballot,
                promises,
                needed,
                reports,
            } => format!(
                "{me} has a promise for {} from {} ({promises} of {needed} needed); {} reports that {}",
                b(ballot),
                n(from),
                n(from),
                self.reports_words(reports, names)
            ),
            Note::Adopts { slot, adopted, own } => {
                let own = match own {
                    Some(v) if super::types::Value::Cmd(v.clone()) != adopted.value => {
                        format!(" instead of its own '{v}'")
                    }
                    _ => String::new(),
                };
                format!(
                    "{me} must propose {}{}{own}: {} reported {} = {}, the highest of {} reported value(s) (a value that may have been chosen must be kept)",
                    adopted.value.show(),
                    sw(slot),
                    n(&adopted.from),
                    b(&adopted.ballot),
                    adopted.value.show(),
                    adopted.reports
                )
            }
            Note::ProposesOwn { value } => format!(
                "no promise reported an accepted value, so no value can have been chosen: {me} is free to propose its own '{value}'"
            ),
            Note::NothingToPropose { ballot } => format!(
                "{me} has promises for {} but no value of its own and none reported: it has nothing to propose",
                b(ballot)
            ),
            Note::IgnoresReported { adopted, value } => format!(
                "UNSAFE: {} reported {} = {}, the highest, but {me} ignores it and proposes its own '{value}'",
                n(&adopted.from),
                b(&adopted.ballot),
                adopted.value.show()
            ),
            Note::SendsAccept {
                ballot,
                slot,
                value,
            } => format!(
                "{me} starts phase 2: Accept({}, {}){} to every acceptor",
                b(ballot),
                value.show(),
                sw(slot)
            ),
            Note::BecomesLeader {
                ballot,
                from_slot,
                adopted,
                noops,
                known,
            } => {
                let mut s = format!(
                    "{me} has {majority} promises for {}: it leads, for every slot from {from_slot} on ({known} slot(s) before it seen chosen)",
                    b(ballot)
                );
                if !adopted.is_empty() {
                    s += &format!("; it proposes again the values accepted in slot(s) {} (the highest ballot reported in each)", slots(adopted));
                }
                if !noops.is_empty() {
                    s += &format!("; it fills hole(s) {} with no-ops, so replicas can apply what follows", slots(noops));
                }
                s + "; each new command now takes only phase 2"
            }
            Note::AssignsSlot { slot, value } => format!(
                "{me}, the leader, puts '{value}' in slot {slot} and sends Accept (phase 2 only)"
            ),
            Note::GotAccepted {
                from,
                slot,
                ballot,
                count,
                needed,
            } => format!(
                "{me} hears that {} accepted its ballot {}{}: {count} of the {needed} needed for a majority",
                n(from),
                b(ballot),
                sw(slot)
            ),
            Note::SeesChosen {
                slot,
                ballot,
                value,
                acceptors: a,
            } => format!(
                "{me} counts a majority ({}) that accepted {}{} in ballot {}: the value is chosen",
                list(a),
                value.show(),
                sw(slot),
                b(ballot)
            ),
            Note::Preempted {
                ballot,
                by,
                failures,
                from,
            } => {
                let mut s = format!(
                    "{} refused {}: it promised {}, higher; {me}'s ballot is beaten",
                    n(from),
                    b(ballot),
                    b(by)
                );
                if *failures >= 3 {
                    s += &format!(" ({failures} ballots in a row: dueling proposers keep beating each other and nothing is chosen, a livelock)");
                }
                s
            }
            Note::TimedOut {
                ballot,
                phase,
                failures,
            } => format!(
                "{me}'s ballot {} got no majority in time ({}); it gives up on it ({failures} failure(s) in a row)",
                b(ballot),
                phase.word()
            ),
            Note::BacksOff { wait, failures } => format!(
                "{me} backs off for {wait} ms (drawn at random; the range doubles with each failure in a row, now {failures}) before it retries with a higher ballot"
            ),
            Note::Stale {
                from,
                ballot,
                current,
                phase,
            } => {
                if *current == Some(*ballot) {
                    format!(
                        "{me} is already past that step with ballot {} ({}): this late reply from {} changes nothing",
                        b(ballot),
                        phase.word(),
                        n(from)
                    )
                } else {
                    format!(
                        "{me} ignores the reply from {} for ballot {}: it now runs {} ({})",
                        n(from),
                        b(ballot),
                        ob(current),
                        phase.word()
                    )
                }
            }
            Note::Resends { slots: s } => format!(
                "{me} has no majority yet in slot(s) {}: it sends Accept again",
                slots(s)
            ),
            Note::NoLeaderHeard => format!(
                "{me} heard no leader before its election timer ran out: it runs phase 1 to lead"
            ),
            Note::KnowsLeader { leader, ballot } => format!(
                "{me} learns that {} leads (ballot {})",
                n(leader),
                b(ballot)
            ),
            Note::StepsDown { ballot, by } => format!(
                "{me} led with {} but hears of {}, higher: it steps down and follows",
                b(ballot),
                b(by)
            ),
            Note::Forwards { leader, value } => {
                format!("{me} passes '{value}' on to {}, the leader it knows", n(leader))
            }
            Note::Queues { value } => format!(
                "{me} knows no leader: it keeps '{value}' until one is known (or it leads)"
            ),
            Note::Learns {
                slot,
                ballot,
                value,
                acceptors: a,
                from_leader,
            } => {
                if *from_leader {
                    format!(
                        "{me} learns from the leader that {} was chosen{} (ballot {})",
                        value.show(),
                        sw(slot),
                        b(ballot)
                    )
                } else {
                    format!(
                        "{me} learns {}{}: a majority ({}) accepted it in ballot {}",
                        value.show(),
                        sw(slot),
                        list(a),
                        b(ballot)
                    )
                }
            }
            Note::CountsAccepted {
                from,
                slot,
                ballot,
                count,
                needed,
            } => format!(
                "{me} counts {} for ballot {}{}: {count} of the {needed} needed to learn",
                n(from),
                b(ballot),
                sw(slot)
            ),
            Note::Applies { slot, value } => {
                if self.params.multi {
                    format!("{me} applies slot {slot}: {}", value.show())
                } else {
                    format!("{me} delivers the chosen value {}", value.show())
                }
            }
            Note::WaitsForHole { slot, hole } => format!(
                "{me} cannot apply slot {slot} yet: slot {hole} is a hole (not learned), and commands are applied in slot order"
            ),
            Note::AsksCatchup { leader, from_slot } => format!(
                "{me} is behind the leader: it asks {} for the chosen values from slot {from_slot} on",
                n(leader)
            ),
            Note::SendsCatchup { to, slots: s } => format!(
                "{me} sends {} the chosen values of slot(s) {}",
                n(to),
                slots(s)
            ),
            Note::AlreadyKnown { slot } => format!(
                "{me} already learned{}; nothing to do",
                if self.params.multi { format!(" slot {slot}") } else { " the value".to_string() }
            ),
            Note::Heartbeat { leader } => format!("{me} hears the leader {}", n(leader)),
        }
    }
}
