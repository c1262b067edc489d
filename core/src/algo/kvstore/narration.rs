//! The key-value store in words: message labels and descriptions, timers, commands and
//! the notes that narrate each step, naming the rule applied and the data it used.

use super::types::{
    CmdRefused, Ending, Msg, Note, PartCfg, Refusal, Replication, Req, Timer, Versioned,
};
use super::{Cmd, Kvstore};
use crate::history::{OpKind, Outcome};
use crate::sim::NodeId;

pub(super) fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

/// A key's name: `k7`.
pub fn key_name(k: u32) -> String {
    format!("k{k}")
}

fn list(names: &[String], v: &[NodeId]) -> String {
    if v.is_empty() {
        return "nobody".into();
    }
    v.iter()
        .map(|&n| name(names, n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn opt(names: &[String], n: Option<NodeId>) -> String {
    n.map_or("no leader".to_string(), |n| name(names, n).to_string())
}

fn ver(v: &Versioned) -> String {
    format!("{} v{}", v.value, v.version)
}

impl Refusal {
    pub fn words(self) -> &'static str {
        match self {
            Refusal::NotReplica => "it does not hold the partition",
            Refusal::NotLeader => "it is not the partition's leader",
            Refusal::Moving => "the partition is moving",
            Refusal::NotReady => "it is a new leader whose no-op is not yet committed",
        }
    }
}

impl Replication {
    pub fn word(self) -> &'static str {
        match self {
            Replication::Sync => "synchronous",
            Replication::SemiSync => "semi-synchronous",
            Replication::Async => "asynchronous",
            Replication::Leaderless => "leaderless",
        }
    }
}

impl Kvstore {
    pub(super) fn label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::Request {
                req: Req::Write { .. },
                ..
            } => "WRITE",
            Msg::Request {
                req: Req::Read { .. },
                ..
            } => "READ",
            Msg::Reply { .. } => "OK",
            Msg::Refused { .. } => "NO",
            Msg::Put {
                hint_for: Some(_), ..
            } => "HINT",
            Msg::Put { .. } => "PUT",
            Msg::PutAck { .. } => "ACK",
            Msg::Get { .. } => "GET",
            Msg::GetReply { .. } => "VAL",
            Msg::Hand { .. } => "HAND",
            Msg::HandAck { .. } => "HACK",
            Msg::Append { .. } => "AE",
            Msg::AppendReply { .. } => "AER",
            Msg::Heartbeat { .. } => "HB",
            Msg::Fence { .. } => "FENCE",
            Msg::Fenced { .. } => "FENCED",
            Msg::Config { .. } => "CFG",
            Msg::GetTable => "TABLE?",
            Msg::Join => "JOIN",
            Msg::Leave => "LEAVE",
            Msg::Handoff { .. } => "MOVE",
            Msg::Transfer { .. } => "XFER",
            Msg::Received { .. } => "RCVD",
        }
    }

    fn cfg_words(&self, cfg: &PartCfg, names: &[String]) -> String {
        if self.params.replication.leaderless() {
            format!(
                "epoch {}: replicas {}",
                cfg.epoch,
                list(names, &cfg.replicas)
            )
        } else {
            format!(
                "epoch {}: leader {}, replicas {}",
                cfg.epoch,
                opt(names, cfg.leader),
                list(names, &cfg.replicas)
            )
        }
    }

    pub(super) fn msg_words(&self, msg: &Msg, names: &[String]) -> String {
        match msg {
            Msg::Request { op, req } => match req {
                Req::Write { key, value } => format!("write {}={value} (op {op})", key_name(*key)),
                Req::Read { key } => format!("read {} (op {op})", key_name(*key)),
            },
            Msg::Reply { op, found } => match found {
                Some((v, _)) => format!("op {op} done: {v}"),
                None => format!("op {op} done: empty"),
            },
            Msg::Refused { op, part, why, cfg } => format!(
                "op {op} refused for p{part}: {} ({})",
                why.words(),
                self.cfg_words(cfg, names)
            ),
            Msg::Put {
                key, v, hint_for, ..
            } => match hint_for {
                Some(t) => format!(
                    "store {}={} as a hint for {}",
                    key_name(*key),
                    ver(v),
                    name(names, *t)
                ),
                None => format!("store {}={}", key_name(*key), ver(v)),
            },
            Msg::PutAck { op, key } => format!("{} stored (op {op})", key_name(*key)),
            Msg::Get { op, key } => format!("get {} (op {op})", key_name(*key)),
            Msg::GetReply { key, found, .. } => match found {
                Some(v) => format!("{}={}", key_name(*key), ver(v)),
                None => format!("{} is empty here", key_name(*key)),
            },
            Msg::Hand { key, v } => format!("a hinted write handed over: {}={}", key_name(*key), ver(v)),
            Msg::HandAck { key, version } => {
                format!("hinted {} v{version} taken", key_name(*key))
            }
            Msg::Append {
                part,
                epoch,
                prev,
                entries,
                commit,
                ..
            } => format!(
                "append to p{part} in epoch {epoch}: {} entr{} after {prev}, commit {commit}",
                entries.len(),
                if entries.len() == 1 { "y" } else { "ies" }
            ),
            Msg::AppendReply {
                part,
                epoch,
                ok,
                len,
            } => {
                if *ok {
                    format!("p{part}: has {len} entries (epoch {epoch})")
                } else {
                    format!("p{part}: refused (epoch {epoch}, usable length {len})")
                }
            }
            Msg::Heartbeat { led } => format!(
                "heartbeat: leads {}",
                led.iter()
                    .map(|(p, e)| format!("p{p} (epoch {e})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Msg::Fence { part, epoch } => format!("fence p{part} with epoch {epoch}"),
            Msg::Fenced {
                part,
                epoch,
                last_epoch,
                len,
            } => format!(
                "p{part} fenced at epoch {epoch}: log of {len} entries, the last of epoch {last_epoch}"
            ),
            Msg::Config { part, cfg } => format!("p{part}: {}", self.cfg_words(cfg, names)),
            Msg::GetTable => "send me the partition table".into(),
            Msg::Join => "I join the cluster".into(),
            Msg::Leave => "I leave the cluster".into(),
            Msg::Handoff { part, to, .. } => {
                format!("hand p{part} over to {}", name(names, *to))
            }
            Msg::Transfer {
                part, log, data, ..
            } => {
                if self.params.replication.leaderless() {
                    format!("p{part} whole: {} keys", data.len())
                } else {
                    format!("p{part} whole: {} log entries", log.len())
                }
            }
            Msg::Received { part, .. } => format!("p{part} received"),
        }
    }

    pub(super) fn timer_words(&self, timer: &Timer) -> String {
        match timer {
            Timer::Tick => "the heartbeat timer".into(),
            Timer::Check => "the configuration check".into(),
            Timer::Timeout { op } => format!("the timeout of op {op}"),
            Timer::Retry { op } => format!("the retry of op {op}"),
            Timer::Sloppy { op } => format!("the sloppy-quorum timer of op {op}"),
            Timer::Ask => "the join/leave retry".into(),
            Timer::Hints => "the hinted hand-off timer".into(),
        }
    }

    pub(super) fn cmd_words(&self, cmd: &Cmd) -> String {
        match cmd {
            Cmd::Write { key } => format!("write a new value to {}", key_name(*key)),
            Cmd::Read { key } => format!("read {}", key_name(*key)),
            Cmd::Sequence { from, count } => {
                format!("write {} keys in sequence from {}", count, key_name(*from))
            }
            Cmd::Join => "join the cluster".into(),
            Cmd::Leave => "leave the cluster".into(),
        }
    }

    pub(super) fn note_words(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: NodeId| name(names, id).to_string();
        let me_s = name(names, me);
        let k = |k: u32| key_name(k);
        let mode = self.params.replication;
        match note {
            Note::Refused { refused } => format!(
                "{me_s} refuses the command: {}",
                match refused {
                    CmdRefused::NotClient => "only a client reads and writes".to_string(),
                    CmdRefused::NotServer => "only a server joins or leaves".to_string(),
                    CmdRefused::NoSuchKey { key } => format!(
                        "there is no {} (keys are k0 to k{})",
                        k(*key),
                        self.params.keys - 1
                    ),
                    CmdRefused::QueueFull => "its queue is full".to_string(),
                    CmdRefused::AlreadyMember => "it is a member already".to_string(),
                    CmdRefused::NotMember => "it is not a member".to_string(),
                    CmdRefused::TooFew => "fewer servers than replicas would remain".to_string(),
                }
            ),
            Note::Queued { kind, key, behind } => format!(
                "{me_s} queues a {} of {} ({behind} waiting): it has one operation open at a time",
                kind_word(*kind),
                k(*key)
            ),
            Note::Invokes {
                op,
                key,
                part,
                value,
                version,
                to,
                ..
            } => {
                let what = match value {
                    Some(v) if mode.leaderless() => format!("writes {}={v} v{version}", k(*key)),
                    Some(v) => format!("writes {}={v}", k(*key)),
                    None => format!("reads {}", k(*key)),
                };
                let how = if mode.leaderless() {
                    let need = if value.is_some() {
                        format!("W={}", self.params.w)
                    } else {
                        format!("R={}", self.params.r)
                    };
                    format!("to the N={} replicas {} and waits for {need}", to.len(), list(names, to))
                } else {
                    format!("at {}", list(names, to))
                };
                format!("{me_s} {what} (op {op}, p{part}) {how}")
            }
            Note::Completes {
                op,
                kind,
                key,
                value,
                outcome,
                ending,
                took,
                ..
            } => {
                let res = match (kind, outcome, value) {
                    (OpKind::Write, Outcome::Ok, Some(v)) => format!("{}={v} acknowledged", k(*key)),
                    (OpKind::Read, Outcome::Ok, Some(v)) => format!("read {}={v}", k(*key)),
                    (OpKind::Read, Outcome::Ok, None) => format!("read {}: empty", k(*key)),
                    (_, Outcome::Fail, _) => format!("{} of {} failed: it certainly took no effect", kind_word(*kind), k(*key)),
                    (_, Outcome::Pending, _) => format!("write of {} is pending: it may or may not take effect", k(*key)),
                    _ => format!("{} of {} ended", kind_word(*kind), k(*key)),
                };
                let why = match ending {
                    Ending::Answered => "the server answered",
                    Ending::Quorum => "the quorum is reached",
                    Ending::TimedOut => "no answer in time",
                    Ending::Refused => "refused too often",
                };
                format!("{me_s}: op {op} ends after {took} ms, {res} ({why})")
            }
            Note::Redirected {
                op,
                from,
                why,
                to,
                epoch,
            } => format!(
                "{me_s}: {} refused op {op} ({}); {} (its table: epoch {epoch})",
                n(*from),
                why.words(),
                match to {
                    Some(t) => format!("it asks {} instead", n(*t)),
                    None => "it tries again shortly".to_string(),
                }
            ),
            Note::Acked {
                from,
                key,
                v,
                count,
                need,
                ..
            } => format!(
                "{} acknowledges write {}={} to {me_s}: {count} of W={need}",
                n(*from),
                k(*key),
                ver(v)
            ),
            Note::Answered {
                from,
                key,
                found,
                count,
                need,
                ..
            } => format!(
                "{} answers the read of {} to {me_s} with {}: {count} of R={need}",
                n(*from),
                k(*key),
                found.as_ref().map_or("nothing".to_string(), ver)
            ),
            Note::ReadRepair { key, v, to } => format!(
                "{me_s} repairs {}: {} answered older than {}, so it writes that back to them",
                k(*key),
                list(names, to),
                ver(v)
            ),
            Note::Substitutes { op, pairs } => format!(
                "{me_s}: home replicas are silent for op {op}; sloppy quorum: {}",
                pairs
                    .iter()
                    .map(|(s, f)| format!("{} stands in for {}", n(*s), n(*f)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Note::Learns {
                part,
                epoch,
                leader,
            } => format!(
                "{me_s} learns p{part}'s configuration of epoch {epoch} (leader {})",
                opt(names, *leader)
            ),
            Note::Appends {
                part,
                client,
                key,
                value,
                epoch,
                index,
            } => format!(
                "{me_s}, leader of p{part}, appends {}={value} from {} at entry {index} (epoch {epoch}); {}",
                k(*key),
                n(*client),
                match mode {
                    Replication::Sync => "it acknowledges once every follower has it (synchronous)",
                    Replication::SemiSync => "it acknowledges once one follower has it (semi-synchronous)",
                    _ => "it acknowledges at once (asynchronous): the followers get it later",
                }
            ),
            Note::Follows {
                part,
                from,
                epoch,
                first,
                count,
                truncated,
                commit,
            } => {
                let cut = if *truncated > 0 {
                    format!(", dropping {truncated} entries its leader does not have")
                } else {
                    String::new()
                };
                if *count == 0 {
                    format!(
                        "{me_s} follows {} on p{part} (epoch {epoch}): nothing new from entry {first}{cut}; commit {commit}",
                        n(*from)
                    )
                } else {
                    format!(
                        "{me_s} takes {count} entries of p{part} from {} from entry {first} (epoch {epoch}){cut}; commit {commit}",
                        n(*from)
                    )
                }
            }
            Note::RefusesAppend {
                part,
                from,
                epoch,
                mine,
                len,
            } => {
                if epoch < mine {
                    format!(
                        "{me_s} refuses {}'s append to p{part}: epoch {epoch} < its epoch {mine} (a deposed leader)",
                        n(*from)
                    )
                } else {
                    format!(
                        "{me_s} refuses {}'s append to p{part}: its log does not match before the entries (it has {len} usable)",
                        n(*from)
                    )
                }
            }
            Note::Commits { part, commit, by } => format!(
                "{me_s} commits p{part} up to entry {commit}: {} have it, as {} replication requires",
                list(names, by),
                mode.word()
            ),
            Note::AcksWrite {
                part,
                epoch: _,
                client,
                key,
                value,
                index,
            } => format!(
                "{me_s} acknowledges {}={value} (p{part}, entry {index}) to {}",
                k(*key),
                n(*client)
            ),
            Note::Serves {
                part,
                client,
                key,
                found,
                commit,
            } => format!(
                "{me_s} serves {}'s read of {} from the {commit} committed entries of p{part}: {}",
                n(*client),
                k(*key),
                found.map_or("empty".to_string(), |f| f.0.to_string())
            ),
            Note::RefusesRequest { part, client, why } => format!(
                "{me_s} refuses {}'s request on p{part}: {}",
                n(*client),
                why.words()
            ),
            Note::Stores {
                key,
                v,
                had,
                kept,
                hint_for,
            } => {
                let whose = hint_for.map_or(String::new(), |t| format!(" as a hint for {}", n(t)));
                match (kept, had) {
                    (true, Some(h)) => format!(
                        "{me_s} keeps {} v{h}{whose}: newer than v{}",
                        k(*key),
                        v.version
                    ),
                    _ => format!("{me_s} stores {}={}{whose}", k(*key), ver(v)),
                }
            }
            Note::HandsHints { to, count } => format!(
                "{me_s} offers {count} hinted write{} to {} (hinted hand-off)",
                if *count == 1 { "" } else { "s" },
                n(*to)
            ),
            Note::HintDelivered { to, key, version } => format!(
                "{me_s}: {} took its hinted {} v{version}; the hint is dropped",
                n(*to),
                k(*key)
            ),
            Note::IsFenced { part, epoch, len } => format!(
                "{me_s} is fenced on p{part}: it adopts epoch {epoch} and refuses older appends ({len} entries)"
            ),
            Note::StepsDown {
                part,
                epoch,
                leader,
            } => format!(
                "{me_s} steps down on p{part}: epoch {epoch} (leader {}); its unacknowledged writes get no answer",
                opt(names, *leader)
            ),
            Note::Leads { part, epoch, len } => format!(
                "{me_s} leads p{part} in epoch {epoch} and appends its no-op at entry {len}; it serves reads once that is committed"
            ),
            Note::Adopts {
                part,
                epoch,
                leader,
            } => format!(
                "{me_s} adopts p{part}'s configuration of epoch {epoch} (leader {})",
                opt(names, *leader)
            ),
            Note::HandsOver {
                part,
                to,
                entries,
                keys,
            } => format!(
                "{me_s} stops serving p{part} and sends it whole to {} ({})",
                n(*to),
                if mode.leaderless() {
                    format!("{keys} keys")
                } else {
                    format!("{entries} log entries")
                }
            ),
            Note::Receives {
                part,
                from,
                entries,
                keys,
            } => format!(
                "{me_s} receives p{part} from {} ({}); it serves it once the configuration names it",
                n(*from),
                if mode.leaderless() {
                    format!("{keys} keys")
                } else {
                    format!("{entries} log entries")
                }
            ),
            Note::Activates { part, epoch } => {
                format!("{me_s} serves p{part} from epoch {epoch}")
            }
            Note::Drops { part, epoch } => format!(
                "{me_s} drops its copy of p{part}: the configuration of epoch {epoch} does not name it"
            ),
            Note::AsksToJoin { leave } => format!(
                "{me_s} asks cfg to {} the cluster",
                if *leave { "leave" } else { "join" }
            ),
            Note::Fences {
                part,
                leader,
                epoch,
                silent,
                followers,
            } => format!(
                "cfg heard nothing from {}, leader of p{part}, for {silent} ms (> {} ms): failover, it fences {} with epoch {epoch}",
                opt(names, *leader),
                self.params.failover_timeout,
                list(names, followers)
            ),
            Note::Elects {
                part,
                epoch,
                leader,
                last_epoch,
                len,
                answers,
                need,
            } => format!(
                "cfg makes {} leader of p{part} in epoch {epoch}: the most up-to-date of {answers} fenced followers ({need} needed, {}), log of {len} entries ending in epoch {last_epoch}",
                n(*leader),
                mode.word()
            ),
            Note::FailoverStalls {
                part,
                epoch,
                answers,
                need,
            } => format!(
                "cfg: the failover of p{part} to epoch {epoch} has {answers} of {need} answers; it fences again"
            ),
            Note::Rebalances {
                node,
                leave,
                moves,
                fixed,
                mod_n,
                keys,
            } => format!(
                "cfg rebalances as {} {}: {} partition move{} ({}) carrying {fixed} key copies of {keys} keys; hash mod N would move {mod_n}",
                n(*node),
                if *leave { "leaves" } else { "joins" },
                moves.len(),
                if moves.len() == 1 { "" } else { "s" },
                moves
                    .iter()
                    .map(|(p, f, t)| format!("p{p} {} → {}", n(*f), n(*t)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Note::MoveDone {
                part,
                from,
                to,
                epoch,
            } => format!(
                "cfg: p{part} moved from {} to {}; epoch {epoch} names {}",
                n(*from),
                n(*to),
                n(*to)
            ),
            Note::MoveAborted { part, from, to } => format!(
                "cfg calls off the move of p{part} from {} to {}: a failover comes first",
                n(*from),
                n(*to)
            ),
            Note::Restarts => format!("{me_s} restarts with what it kept on disk"),
        }
    }
}

fn kind_word(k: OpKind) -> &'static str {
    match k {
        OpKind::Write => "write",
        OpKind::Read => "read",
    }
}
