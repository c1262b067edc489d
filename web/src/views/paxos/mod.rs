//! The Paxos page: proposers, acceptors and learners in three columns (a ring when the
//! roles are colocated) with the messages of both phases in flight, their kind told by
//! colour, shape and label; beside them the slot grid (one row per acceptor with its
//! promised ballot and what it accepted in each slot, one per learner with what it
//! learned and applied, and a row that says what was chosen, in which ballot and at which
//! step; accepted by a minority is dashed, chosen is solid with a ✓); under it every
//! proposer's phase, ballot, promises and the value it is bound to adopt, and why. Dueling
//! proposers show a livelock badge (a liveness observation, not a violation). The side
//! panel proposes values, runs phase 1 now, turns back-off on and off, and changes every
//! parameter of the scenario by its name.
//!
//! Files: `draw.rs` (the view) and `panel.rs` (the side panel); the words and shapes both
//! use are here.

mod draw;
mod panel;

use crate::components::cluster::Shape;
use crate::page::Page;
use dsplay_core::algo::paxos::{Ballot, Livelock, Paxos, Phase, ProposerMem, Value};
use yew::prelude::*;

pub use panel::{apply_fields, check_value, FIELDS};

/// The Paxos page.
pub struct PaxosPage;

impl Page for PaxosPage {
    type Algo = Paxos;

    fn view() -> Html {
        html! { <draw::PaxosView /> }
    }

    fn panel() -> Html {
        html! { <panel::PaxosPanel /> }
    }
}

/// `7.n2`, or `-` for none.
pub fn ballot_text(b: Option<Ballot>, names: &[String]) -> String {
    b.map_or("-".to_string(), |b| b.show(names))
}

/// A value cut to `max` characters (a value may have 16).
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A value in a cell of `max` characters: `'x'`, `no-op`.
pub fn value_text(v: &Value, max: usize) -> String {
    match v {
        Value::Cmd(c) => format!("'{}'", clip(c, max.saturating_sub(2).max(2))),
        Value::Noop => "no-op".to_string(),
    }
}

/// A proposer's phase in a word or two.
pub fn phase_short(phase: Phase) -> &'static str {
    match phase {
        Phase::Idle => "idle",
        Phase::Preparing => "phase 1",
        Phase::Accepting => "phase 2",
        Phase::Leading => "leading",
        Phase::BackingOff => "backing off",
        Phase::Following => "following",
        Phase::Done => "done",
    }
}

/// Why a proposer proposes what it proposes: the value the promises bind it to and who
/// reported it ("bound to 'x': n4 reported 1.n1 = 'x', the highest of 2 reported"), or
/// that it is free to propose its own. `unsafe_ignore`: the variant that ignores reports.
pub fn adoption_words(
    p: &ProposerMem,
    names: &[String],
    multi: bool,
    unsafe_ignore: bool,
) -> String {
    let name = |i: dsplay_core::NodeId| names.get(i.index()).map_or("?", |s| s.as_str());
    if multi {
        let mut slots = p.adopted.iter();
        return match slots.next() {
            Some((slot, a)) => {
                let more = p.adopted.len() - 1;
                format!(
                    "slot {slot} bound to {}: {} reported {} = {}, the highest{}",
                    a.value.show(),
                    name(a.from),
                    a.ballot.show(names),
                    a.value.show(),
                    if more > 0 {
                        format!(" (+{more} slot{} more)", if more == 1 { "" } else { "s" })
                    } else {
                        String::new()
                    }
                )
            }
            None => match p.phase {
                Phase::Preparing => format!(
                    "collecting promises: no accepted value reported yet{}",
                    if p.pending.is_empty() {
                        String::new()
                    } else {
                        format!(" ({} command(s) waiting)", p.pending.len())
                    }
                ),
                Phase::Leading => format!(
                    "leads: phase 2 only; next free slot {}{}",
                    p.next_slot,
                    if p.proposals.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", {} slot(s) not yet chosen",
                            p.proposals.values().filter(|x| !x.chosen).count()
                        )
                    }
                ),
                Phase::Following => "another proposer leads: commands go to it".to_string(),
                Phase::BackingOff => format!(
                    "waits before it retries ({} failure(s) in a row)",
                    p.failures
                ),
                _ => "no value to propose".to_string(),
            },
        };
    }
    let own = p.value.as_ref().map(|v| format!("'{v}'"));
    let proposed = p.proposals.get(&1).map(|x| x.value.clone());
    match (p.adopted.get(&1), p.phase) {
        (adopted, Phase::Done) => match (p.chosen.get(&1), adopted) {
            (Some((b, v)), Some(a)) if a.value == *v => format!(
                "sees {} chosen in {}; it was bound to it: {} reported {} = {}, the highest",
                v.show(),
                b.show(names),
                name(a.from),
                a.ballot.show(names),
                a.value.show()
            ),
            (Some((b, v)), Some(a)) if unsafe_ignore => format!(
                "UNSAFE: ignored {} reported by {} ({}); sees {} chosen in {}",
                a.value.show(),
                name(a.from),
                a.ballot.show(names),
                v.show(),
                b.show(names)
            ),
            (Some((b, v)), _) => format!("sees {} chosen in {}", v.show(), b.show(names)),
            (None, _) => "done".to_string(),
        },
        (Some(a), _) if unsafe_ignore && proposed.as_ref().is_some_and(|v| *v != a.value) => {
            format!(
                "UNSAFE: ignores {} reported by {} ({}) and proposes {}",
                a.value.show(),
                name(a.from),
                a.ballot.show(names),
                proposed.map_or("?".to_string(), |v| v.show())
            )
        }
        (Some(a), phase) => format!(
            "{} {}: {} reported {} = {}, the highest of {} reported{}",
            if phase == Phase::Preparing {
                "so far bound to"
            } else {
                "bound to"
            },
            a.value.show(),
            name(a.from),
            a.ballot.show(names),
            a.value.show(),
            a.reports,
            match (&own, &p.value) {
                (Some(o), Some(v)) if Value::Cmd(v.clone()) != a.value => {
                    format!(" (not its own {o})")
                }
                _ => String::new(),
            }
        ),
        (None, Phase::Preparing) => format!(
            "collecting promises; no accepted value reported yet{}",
            own.map_or(String::new(), |o| format!(" (its own: {o})"))
        ),
        (None, Phase::Accepting) => match proposed {
            Some(v) => format!(
                "free: no promise reported a value, so it proposes its own {}",
                v.show()
            ),
            None => "phase 2".to_string(),
        },
        (None, Phase::BackingOff) => format!(
            "beaten: waits before it retries ({} failure(s) in a row)",
            p.failures
        ),
        (None, _) => match own {
            Some(o) => format!("has {o} to propose"),
            None => "no value to propose".to_string(),
        },
    }
}

/// The livelock observation in words, and what ends it.
pub fn livelock_words(l: &Livelock, names: &[String], backoff_off: &[String]) -> String {
    let cure = if backoff_off.is_empty() {
        "back-off is on: the random, growing wait lets one ballot through soon".to_string()
    } else {
        format!(
            "back-off is off on {}: a beaten proposer retries at once and beats the other; turn back-off on (a random, growing wait) or let one leader propose (Multi-Paxos with leader election)",
            backoff_off.join(", ")
        )
    };
    format!(
        "Livelock (liveness, not a safety violation): ballots rose {} times in a row, to {}, with nothing chosen since step {}; {cure}.",
        l.rises,
        l.highest.show(names),
        l.since_step + 1
    )
}

/// A message's kind: its colour class, its shape, its short label and whether it is a
/// reply that grants (✓) or refuses (✗), so a kind is not told by colour alone.
pub fn kind_of(label: &str) -> (&'static str, Shape, &'static str, Option<bool>) {
    match label {
        "PREPARE" => ("k-prep", Shape::Circle, "PREP", None),
        "PROMISE" => ("k-prom", Shape::Diamond, "PROM", Some(true)),
        "ACCEPT" => ("k-acc", Shape::Square, "ACC", None),
        "ACCEPTED" => ("k-accd", Shape::Triangle, "ACC'D", Some(true)),
        "NACK" => ("k-nack", Shape::Triangle, "NACK", Some(false)),
        "HB" => ("k-hb", Shape::Square, "HB", None),
        "LEARN" => ("k-learn", Shape::Diamond, "LEARN", None),
        "CATCHUP" => ("k-catch", Shape::Circle, "CATCH", None),
        _ => ("k-fwd", Shape::Hexagon, "FWD", None),
    }
}

/// The message kinds, for the legend: the core's label and what it is.
pub const KINDS: [(&str, &str); 9] = [
    ("PREPARE", "phase 1a: Prepare(ballot)"),
    ("PROMISE", "phase 1b: promise + last accepted"),
    ("ACCEPT", "phase 2a: Accept(ballot, value)"),
    ("ACCEPTED", "phase 2b: accepted (to proposer, learners)"),
    ("NACK", "refused: promised a higher ballot"),
    ("HB", "leader heartbeat"),
    ("FWD", "client command passed to the leader"),
    ("CATCHUP", "learner asks for missed slots"),
    ("LEARN", "leader tells a learner a chosen slot"),
];
