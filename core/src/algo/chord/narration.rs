//! Chord in words: message labels and descriptions, timers, commands, and the notes that
//! narrate each step, naming the rule applied and the identifiers it compared.

use super::types::{Cmd, Msg, Note, Outcome, Purpose, Refused, Timer, Undecided};
use super::Chord;
use crate::sim::NodeId;

pub(super) fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

/// `'apple' (37)` for a named key, `key 37` for a position.
pub fn key_words(k: u64, name: Option<&str>) -> String {
    match name {
        Some(n) if n != k.to_string() => format!("'{n}' ({k})"),
        _ => format!("key {k}"),
    }
}

impl Purpose {
    pub fn words(self) -> String {
        match self {
            Purpose::User => "lookup".to_string(),
            Purpose::Finger { index } => format!("fix_fingers lookup (finger {index})"),
            Purpose::Join => "join lookup".to_string(),
        }
    }
}

impl Chord {
    fn key(&self, k: u64) -> String {
        key_words(k, self.key_name(k))
    }

    /// `n3 (12)`: a node and its identifier.
    fn at(&self, names: &[String], n: NodeId) -> String {
        format!("{} ({})", name(names, n), self.pos(n))
    }

    fn list(&self, names: &[String], v: &[NodeId]) -> String {
        if v.is_empty() {
            return "nothing".to_string();
        }
        v.iter()
            .map(|&n| name(names, n))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn keys_words(&self, keys: &[u64]) -> String {
        const SHOWN: usize = 6;
        let mut v: Vec<String> = keys.iter().take(SHOWN).map(|&k| self.key(k)).collect();
        if keys.len() > SHOWN {
            v.push(format!("{} more", keys.len() - SHOWN));
        }
        v.join(", ")
    }

    pub(super) fn label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::Find { .. } => "FIND",
            Msg::Confirm { .. } => "CONFIRM",
            Msg::Found { .. } => "FOUND",
            Msg::Undecided { .. } => "UNDECIDED",
            Msg::GetNeighbours => "STAB",
            Msg::Neighbours(_) => "SUCCS",
            Msg::Notify => "NOTIFY",
            Msg::Ping => "PING",
            Msg::Pong => "PONG",
            Msg::Keys { .. } => "KEYS",
            Msg::KeysAck { .. } => "ACK",
            Msg::Replicas { .. } => "REPL",
            Msg::Leaving { .. } => "LEAVE",
            Msg::LeavingPred { .. } => "LEAVE",
            Msg::Refused { .. } => "REFUSED",
        }
    }

    pub(super) fn msg_words(&self, msg: &Msg, names: &[String]) -> String {
        let n = |x: NodeId| name(names, x).to_string();
        match msg {
            Msg::Find {
                id,
                key,
                purpose,
                hops,
                ..
            } => format!(
                "find the predecessor of {} ({} of {}, hop {hops})",
                self.key(*key),
                purpose.words(),
                n(id.origin)
            ),
            Msg::Confirm { id, key, .. } => format!(
                "are you successor({key})? ({} from {})",
                self.key(*key),
                n(id.origin)
            ),
            Msg::Found {
                key, owner, hops, ..
            } => format!(
                "{} holds {} ({hops} hop{})",
                n(*owner),
                self.key(*key),
                if *hops == 1 { "" } else { "s" }
            ),
            Msg::Undecided { key, why, .. } => {
                format!("cannot decide {}: {}", self.key(*key), self.why(why, names))
            }
            Msg::GetNeighbours => "stabilize: what are your predecessor and successors?".into(),
            Msg::Neighbours(nb) => format!(
                "my predecessor is {}, my successors {}",
                nb.pred.map_or("unknown".to_string(), n),
                self.list(names, &nb.succ)
            ),
            Msg::Notify => "notify: I think I am your predecessor".into(),
            Msg::Ping => "check_predecessor: are you alive?".into(),
            Msg::Pong => "alive".into(),
            Msg::Keys { keys } => format!("keys handed over: {}", self.keys_words(keys)),
            Msg::KeysAck { keys } => format!("got {} key(s)", keys.len()),
            Msg::Replicas { keys } => format!("copies of {} key(s)", keys.len()),
            Msg::Leaving { pred, keys } => format!(
                "I leave: take my {} key(s); my predecessor is {}",
                keys.len(),
                pred.map_or("unknown".to_string(), n)
            ),
            Msg::LeavingPred { succ } => {
                format!("I leave: my successors are {}", self.list(names, succ))
            }
            Msg::Refused { msg } => format!(
                "refused: {} (the node failed or is outside the ring)",
                self.msg_words(msg, names)
            ),
        }
    }

    fn why(&self, why: &Undecided, names: &[String]) -> String {
        match why {
            Undecided::NoPredecessor => "that node does not know its predecessor".into(),
            Undecided::BeforePredecessor { pred } => format!(
                "the key lies before its predecessor {}: a successor pointer on the way is out of date",
                self.at(names, *pred)
            ),
            Undecided::TooManyHops => "it was forwarded too many times".into(),
        }
    }

    pub(super) fn timer_words(&self, timer: &Timer) -> String {
        match timer {
            Timer::Stabilize => "the stabilize timer".into(),
            Timer::FixFingers => "the fix_fingers timer".into(),
            Timer::RoundTimeout => "the wait for the successor's answer".into(),
            Timer::PingTimeout => "the wait for the predecessor's answer".into(),
            Timer::Lookup { seq } => format!("the wait for lookup #{seq}"),
            Timer::Join => "the wait for the join".into(),
        }
    }

    pub(super) fn cmd_words(&self, cmd: &Cmd, names: &[String]) -> String {
        match cmd {
            Cmd::Lookup { key } => format!("look up '{key}'"),
            Cmd::Join { via } => format!("join the ring through {}", name(names, *via)),
            Cmd::Leave => "leave the ring".into(),
        }
    }

    pub(super) fn note_words(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |x: NodeId| name(names, x).to_string();
        let at = |x: NodeId| self.at(names, x);
        let here = self.pos(me);
        let mine = self.at(names, me);
        let me = n(me);
        match note {
            Note::Refused { refused } => match refused {
                Refused::NotMember => format!("{me} is not in the ring: it refuses"),
                Refused::BadKey => format!(
                    "{me} refuses the key: a name of 1 to {} characters, or a position",
                    super::handlers::MAX_KEY_CHARS
                ),
                Refused::AlreadyIn => format!("{me} is already in the ring (or joining)"),
                Refused::ViaSelf => format!("{me} cannot join through itself"),
                Refused::LastMember => {
                    format!("{me} is the only member: the ring would be empty, so it stays")
                }
            },
            Note::Fails {
                member,
                keys,
                replicas,
            } => {
                if *member {
                    format!(
                        "{me} fails without warning: its pointers and its {keys} key(s){} are lost; the others find out when its host refuses their messages",
                        if *replicas > 0 { format!(" and {replicas} copies") } else { String::new() }
                    )
                } else {
                    format!("{me} fails (it was not in the ring)")
                }
            }
            Note::Restarts { rejoin } => {
                if *rejoin {
                    format!("{me} restarts with nothing but its identifier: it joins again as a new node")
                } else {
                    format!("{me} restarts, outside the ring")
                }
            }
            Note::Starts {
                seq, key, purpose, ..
            } => format!(
                "{me} starts {} #{seq} of {}",
                purpose.words(),
                self.key(*key)
            ),
            Note::Forwards {
                key,
                to,
                finger,
                hops,
                ..
            } => format!(
                "{} is not in ({mine}, successor]: {me} forwards to {}, the {} closest before it (hop {hops})",
                self.key(*key),
                at(*to),
                if *finger { "finger" } else { "successor" }
            ),
            Note::Precedes { key, succ, .. } => format!(
                "{} lies in ({mine}, {}]: {me} precedes it and asks its successor {} to confirm",
                self.key(*key),
                self.pos(*succ),
                n(*succ)
            ),
            Note::Owns {
                id, key, pred, hops, ..
            } => format!(
                "{} lies in ({}, {mine}]: {me} is successor({key}) and answers {} ({hops} hop{})",
                self.key(*key),
                at(*pred),
                n(id.origin),
                if *hops == 1 { "" } else { "s" }
            ),
            Note::CannotDecide { origin, key, why } => format!(
                "{me} cannot decide {} for {}: {}",
                self.key(*key),
                n(*origin),
                self.why(why, names)
            ),
            Note::Done {
                seq,
                key,
                purpose,
                outcome,
                hops,
                attempts,
                took,
                ..
            } => match outcome {
                Outcome::Found { owner } => format!(
                    "{me}'s {} #{seq}: successor({}) = {} ({hops} hop{}, {took} ms{})",
                    purpose.words(),
                    self.key(*key),
                    at(*owner),
                    if *hops == 1 { "" } else { "s" },
                    if *attempts > 1 { format!(", {attempts} tries") } else { String::new() }
                ),
                Outcome::Failed => format!(
                    "{me}'s {} #{seq} of {} could not be decided after {attempts} tries",
                    purpose.words(),
                    self.key(*key)
                ),
            },
            Note::Retries {
                seq,
                attempt,
                silent,
                ..
            } => {
                if *silent {
                    format!("no answer to lookup #{seq}: {me} tries again (try {attempt})")
                } else {
                    format!("lookup #{seq} was undecided: {me} tries again after a stabilisation period (try {attempt})")
                }
            }
            Note::Stale { seq } => format!("an answer to lookup #{seq}, which is over: ignored"),
            Note::FingerSet { index, node, was } => format!(
                "{me} sets finger {index} (successor of {} + 2^{}) to {}{}",
                here,
                index - 1,
                at(*node),
                was.map_or(String::new(), |w| format!(", was {}", n(w)))
            ),
            Note::JoinStarts { via, original } => format!(
                "{me} joins through {}: it looks up successor({}){}",
                n(*via),
                here,
                if *original { " (original join)" } else { "" }
            ),
            Note::JoinFound { succ } => format!(
                "{me}'s successor is {}; before it is a member it asks {} for its successor list (Zave's join)",
                at(*succ),
                n(*succ)
            ),
            Note::Joined { succ, original } => {
                if *original {
                    format!(
                        "{me} is a member with its successor {} alone (original join: no successor list yet); its predecessor will learn of it by stabilize",
                        self.list(names, succ)
                    )
                } else {
                    format!(
                        "{me} is a member with successors {}; no predecessor yet, and nobody points to it until its predecessor stabilizes",
                        self.list(names, succ)
                    )
                }
            }
            Note::JoinTimedOut { via, next } => format!(
                "{me}'s join through {} got no answer: it tries {}",
                n(*via),
                n(*next)
            ),
            Note::Stabilizes { succ } => format!(
                "{me} stabilizes: it asks its successor {} for its predecessor and successors",
                n(*succ)
            ),
            Note::Reconciles { from, succ, pred } => format!(
                "{me} copies {}'s list: successors {} (its predecessor is {})",
                n(*from),
                self.list(names, succ),
                pred.map_or("unknown".to_string(), &n)
            ),
            Note::Checks { candidate, via } => format!(
                "{}'s predecessor {} lies between {mine} and {}: before adopting it, {me} asks it (Zave: is it alive?)",
                n(*via),
                at(*candidate),
                at(*via)
            ),
            Note::Adopts { node, was, checked } => format!(
                "{me} adopts {} as its successor, before {}{}",
                at(*node),
                n(*was),
                if *checked {
                    ": it answered"
                } else {
                    " without checking that it is alive (original stabilize)"
                }
            ),
            Note::Gone { node, label, succ } => format!(
                "{} refused {me}'s {label}: it failed (its host answers for it) or is outside the ring; {me} drops it from its pointers{}",
                n(*node),
                succ.map_or(String::new(), |s| format!(" (successor now {})", n(s)))
            ),
            Note::Silent {
                node,
                next,
                candidate,
            } => {
                if *candidate {
                    format!(
                        "{} did not answer in time: {me} does not adopt it (silence is not failure: it may be slow or cut off)",
                        n(*node)
                    )
                } else {
                    format!(
                        "{me}'s successor {} did not answer in time: it is kept (silence is not failure){}",
                        n(*node),
                        match next {
                            Some(x) => format!(", and {me} asks the next in its list, {}", n(*x)),
                            None => String::new(),
                        }
                    )
                }
            }
            Note::PredecessorSilent { pred } => format!(
                "{me}'s predecessor {} did not answer the ping in time: kept (silence is not failure)",
                n(*pred)
            ),
            Note::Stranded { via } => format!(
                "every successor of {me} failed: it is out of the ring and joins again{}",
                via.map_or(String::new(), |v| format!(" through {}", n(v)))
            ),
            Note::Notifies { succ } => format!("{me} notifies {}", n(*succ)),
            Note::NewPredecessor { pred, was } => match was {
                Some(w) => format!(
                    "{} lies in ({}, {mine}): {me} takes it as its predecessor",
                    at(*pred),
                    at(*w)
                ),
                None => format!(
                    "{me} has no predecessor: it takes {} (notify)",
                    at(*pred)
                ),
            },
            Note::KeepsPredecessor { from, pred } => format!(
                "{} is not in ({}, {mine}): {me} keeps its predecessor",
                at(*from),
                at(*pred)
            ),
            Note::PingsPredecessor { pred } => format!("{me} checks that its predecessor {} is alive", n(*pred)),
            Note::PredecessorFailed { pred } => format!(
                "{me}'s predecessor {} failed or left: cleared (check_predecessor); the next notify sets it",
                n(*pred)
            ),
            Note::HandsKeys { to, keys, again } => format!(
                "{me} {} {} to {}, now responsible for them{}",
                if *again { "hands again" } else { "hands" },
                self.keys_words(keys),
                n(*to),
                if *again { " (not acknowledged yet)" } else { "; it keeps them until they are acknowledged" }
            ),
            Note::StoresKeys { from, keys } => {
                format!("{me} stores {} from {}", self.keys_words(keys), n(*from))
            }
            Note::KeysAcked { from, count } => {
                format!("{} has the {count} key(s): {me} lets them go", n(*from))
            }
            Note::Promotes { keys } => format!(
                "{me} is now responsible for {}: its copies become its own",
                self.keys_words(keys)
            ),
            Note::Replicates { to, count } => format!(
                "{me} copies its {count} key(s) to its successors {}",
                self.list(names, to)
            ),
            Note::StoresReplicas { from, count } => {
                format!("{me} keeps {count} new copies of {}'s keys", n(*from))
            }
            Note::Leaves { succ, pred, keys } => format!(
                "{me} leaves: its {keys} key(s) and predecessor go to {}{}",
                n(*succ),
                pred.map_or(String::new(), |p| format!(", its successors to {}", n(p)))
            ),
            Note::TakesOver { from, keys, pred } => format!(
                "{me} takes over {}'s {keys} key(s){}",
                n(*from),
                pred.map_or(String::new(), |p| format!(" and its predecessor {}", n(p)))
            ),
            Note::Skips { from, succ } => format!(
                "{} leaves: {me}'s successor is {} now",
                n(*from),
                n(*succ)
            ),
            Note::Ignores { from } => {
                format!("{me} is not in the ring: it refuses what {} sent", n(*from))
            }
        }
    }
}
