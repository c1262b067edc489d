//! The consistent hashing page's words: messages, timers, commands and notes, formatted
//! only when shown.

use super::types::{Cmd, Msg, Note, Op, Params, Refusal, Timer, Unavailable, MAX_KEYS};
use crate::decimal::fixed;
use crate::sim::NodeId;
use std::fmt::Write as _;

pub(super) fn msg_label(msg: &Msg) -> &'static str {
    match msg {
        Msg::Migrate { .. } => "MIGRATE",
        Msg::Transfer { .. } => "XFER",
        Msg::TransferAck { .. } => "XACK",
        Msg::TransferStale { .. } => "STALE",
        Msg::MigrationDone { .. } => "DONE",
        Msg::Store { .. } => "STORE",
        Msg::Stored { .. } => "STORED",
        Msg::Drop { .. } => "DROP",
        Msg::Dropped { .. } => "DROPPED",
        Msg::Get { .. } => "GET",
        Msg::Value { .. } => "VALUE",
    }
}

pub(super) fn describe_msg(msg: &Msg, names: &[String]) -> String {
    match msg {
        Msg::Migrate {
            epoch,
            to,
            keys,
            keep,
        } => format!(
            "the instruction to {} {} to {} (operation {epoch})",
            if *keep { "copy" } else { "hand" },
            keys_text(keys),
            name(names, *to)
        ),
        Msg::Transfer { epoch, keys } => {
            format!("a transfer of {} (operation {epoch})", keys_text(keys))
        }
        Msg::TransferAck { epoch } => {
            format!("the acknowledgement of a transfer (operation {epoch})")
        }
        Msg::TransferStale { epoch, current } => format!(
            "word that a transfer of operation {epoch} is stale (operation {current} is under way)"
        ),
        Msg::MigrationDone { epoch, to } => format!(
            "the report that the keys for {} are handed over (operation {epoch})",
            name(names, *to)
        ),
        Msg::Store { epoch, keys } => {
            format!(
                "the instruction to store {} (operation {epoch})",
                keys_text(keys)
            )
        }
        Msg::Stored { epoch } => {
            format!("the report that new keys are stored (operation {epoch})")
        }
        Msg::Drop { epoch, keys } => {
            format!(
                "the instruction to delete {} (operation {epoch})",
                keys_text(keys)
            )
        }
        Msg::Dropped { epoch } => {
            format!("the report that keys are deleted (operation {epoch})")
        }
        Msg::Get { id, key } => format!("lookup #{id} of {key}"),
        Msg::Value { id, key, found } => format!(
            "the answer to lookup #{id}: {key} {}",
            if *found { "is here" } else { "is not here" }
        ),
    }
}

pub(super) fn describe_timer(timer: &Timer, names: &[String]) -> String {
    match timer {
        Timer::Resend => "the timer to resend unfinished migration instructions".into(),
        Timer::NextOp => "the timer to start the next queued operation".into(),
        Timer::LookupTimeout { id } => format!("the timeout of lookup #{id}"),
        Timer::TransferRetry { to } => {
            format!("the retry timer of the transfer to {}", name(names, *to))
        }
    }
}

pub(super) fn describe_cmd(cmd: &Cmd, names: &[String]) -> String {
    match cmd {
        Cmd::AddNode { node, weight } => match weight {
            Some(w) => format!("add {} to the ring with weight {w}", name(names, *node)),
            None => format!("add {} to the ring", name(names, *node)),
        },
        Cmd::RemoveNode { node } => format!("remove {} from the ring", name(names, *node)),
        Cmd::SetVnodes { count } => format!("set {count} virtual nodes per node"),
        Cmd::AddKeys { count } => format!("add {count} keys"),
        Cmd::RemoveKey { key } => format!("remove key {key}"),
        Cmd::RemoveKeys { count } => format!("remove {count} random key{}", plural(*count)),
        Cmd::Lookup { key } => format!("look up {key}"),
    }
}

pub(super) fn describe_note(params: &Params, me: NodeId, note: &Note, names: &[String]) -> String {
    let n = |id: &NodeId| name(names, *id);
    let me = name(names, me);
    let r = params.replicas;
    let t = params.transfer_timeout;
    match note {
            Note::RingChanged {
                op,
                epoch,
                vnodes_total,
                moved_keys,
                moved_copies,
                mod_n_moved,
                keys,
            } => {
                let what = describe_op(op, names);
                let mut s = format!(
                    "{me} applies operation {epoch} ({what}) and recomputes the ring: {vnodes_total} virtual nodes; each key belongs to the first {} clockwise from its hash",
                    if r == 1 { "virtual node".to_string() } else { format!("{r} distinct nodes") }
                );
                match op {
                    Op::AddNode { .. } | Op::RemoveNode { .. } | Op::SetVnodes { .. } => {
                        let _ = write!(
                            s,
                            ". {moved_keys} of {keys} keys change owner ({}), {moved_copies} copies move",
                            percent(*moved_keys, *keys)
                        );
                        if matches!(op, Op::AddNode { .. } | Op::RemoveNode { .. }) {
                            let _ = write!(
                                s,
                                "; with hash mod N, {mod_n_moved} keys ({}) would have moved",
                                percent(*mod_n_moved, *keys)
                            );
                        }
                    }
                    Op::AddKeys { count } => {
                        let _ = write!(s, ". The {count} new keys go to their owners");
                    }
                    Op::RemoveKeys { count } => {
                        let _ = write!(
                            s,
                            ". {count} key{} chosen at random leave: their owners delete them; no other key moves",
                            plural(*count)
                        );
                    }
                    _ => {}
                }
                s
            }
            Note::Balance {
                mean,
                std_dev,
                max_over_mean,
            } => format!(
                "load per node: mean {} keys, standard deviation {} ({}% of the mean), the busiest node holds {} times the mean",
                fixed(*mean, 1),
                fixed(*std_dev, 1),
                fixed(if *mean > 0.0 { std_dev / mean * 100.0 } else { 0.0 }, 0),
                fixed(*max_over_mean, 2)
            ),
            Note::KeyMoves {
                key,
                from,
                to,
                vnode,
                replicas,
            } => {
                if *replicas == 1 {
                    format!(
                        "{key} moves from {} to {}: its first virtual node clockwise is now {}#{}",
                        n(from),
                        n(to),
                        n(&vnode.0),
                        vnode.1
                    )
                } else {
                    format!(
                        "a copy of {key} moves from {} to {}: {} is now among the {replicas} first distinct nodes clockwise from {key} (the first virtual node is {}#{}), {} no longer is",
                        n(from),
                        n(to),
                        n(to),
                        n(&vnode.0),
                        vnode.1,
                        n(from)
                    )
                }
            }
            Note::OrdersMigration {
                from,
                to,
                count,
                copy,
            } => {
                if *copy {
                    format!(
                        "{me} tells {} to copy {count} key{} to {}: {} stays an owner of them, and the copies of the node that left are not needed (it may be down)",
                        n(from),
                        plural(*count),
                        n(to),
                        n(from)
                    )
                } else {
                    format!(
                        "{me} tells {} to hand {count} key{} over to {}",
                        n(from),
                        plural(*count),
                        n(to)
                    )
                }
            }
            Note::OrdersCleanup { at, count } => format!(
                "{me} tells {}, which left the ring, to delete its {count} old cop{}; the next operations do not wait for it",
                n(at),
                if *count == 1 { "y" } else { "ies" }
            ),
            Note::CleanupDone { by } => format!(
                "{} deleted the copies it held before it left the ring",
                n(by)
            ),
            Note::OrdersStore { at, count } => format!(
                "{me} tells {} to store {count} new key{} it owns",
                n(at),
                plural(*count)
            ),
            Note::OrdersDrop { at, count } => format!(
                "{me} tells {} to delete {count} removed key{}",
                n(at),
                plural(*count)
            ),
            Note::Refused { why } => format!("{me} refuses: {}", describe_refusal(why, names)),
            Note::Queued { cmd, waiting } => {
                let turn = match waiting {
                    0 => "waits for the current migration to finish".to_string(),
                    w => format!(
                        "waits its turn ({w} more operation{} queued before it)",
                        plural(*w)
                    ),
                };
                format!(
                    "{me} is still migrating keys: '{}' {turn}, so that migrations never overlap",
                    describe_cmd(cmd, names)
                )
            }
            Note::StartsQueued => format!("{me} starts the next queued operation"),
            Note::Resends { pending } => format!(
                "{me} has not heard that {pending} instruction{} finished within {} ms: it sends {} again (a message may have been lost)",
                plural(*pending),
                t.saturating_mul(2),
                if *pending == 1 { "it" } else { "them" }
            ),
            Note::TaskDone { by, remaining } => format!(
                "{} finished its part; {remaining} instruction{} still pending",
                n(by),
                plural(*remaining)
            ),
            Note::MigrationComplete { epoch } => format!(
                "operation {epoch} is complete: every key is now stored on exactly its owners"
            ),
            Note::LookupAsks {
                key,
                hash,
                to,
                replica,
                of,
            } => {
                if *replica == 1 {
                    format!(
                        "{key} hashes to {hash:#018x}; its preference list starts with {}: {me} asks it (replica 1 of {of})",
                        n(to)
                    )
                } else {
                    format!(
                        "{me} asks the next node of {key}'s preference list, {} (replica {replica} of {of})",
                        n(to)
                    )
                }
            }
            Note::LookupServed { key, by, replica } => {
                if *replica == 1 {
                    format!("{key} is served by {}, its first owner", n(by))
                } else {
                    format!(
                        "{key} is served by {}, replica {replica}: the replicas before it could not answer",
                        n(by)
                    )
                }
            }
            Note::LookupMissing { key, at } => format!(
                "{} does not have {key} (yet: a migration may be under way)",
                n(at)
            ),
            Note::LookupNoAnswer { key, from } => format!(
                "{} did not answer for {key} within {t} ms (it may be down)",
                n(from)
            ),
            Note::LookupFallback { key, to } => format!(
                "no replica of {key} has it yet: its move is still pending, so {me} asks {}, the old owner, which keeps it until its transfer is acknowledged",
                n(to)
            ),
            Note::LookupServedByOldOwner { key, by } => format!(
                "{key} is served by {}, its old owner: the move to its new owner is not finished yet",
                n(by)
            ),
            Note::LookupUnavailable {
                key,
                tried,
                missing,
                cause,
            } => {
                let silent: Vec<&str> = tried
                    .iter()
                    .filter(|x| !missing.contains(x))
                    .map(|x| name(names, *x))
                    .collect();
                let said: Vec<&str> = missing.iter().map(|x| name(names, *x)).collect();
                match cause {
                    Unavailable::NoAnswer if tried.len() == 1 => format!(
                        "{key} is unavailable: its only replica, {}, did not answer (with R = 1 a single failure makes keys unreachable)",
                        silent.join(", ")
                    ),
                    Unavailable::NoAnswer => format!(
                        "{key} is unavailable: none of its {} replicas ({}) answered",
                        tried.len(),
                        silent.join(", ")
                    ),
                    Unavailable::NotThere => {
                        let mut s = format!(
                            "{key} is unavailable for now: {} answered that {} not have it (its move is not finished, or its copy was lost in the hand-over)",
                            said.join(", "),
                            if said.len() == 1 { "it does" } else { "they do" }
                        );
                        if !silent.is_empty() {
                            let _ = write!(s, "; {} did not answer", silent.join(", "));
                        }
                        s
                    }
                }
            }
            Note::LookupUnknownKey { key, owner } => match owner {
                Some(o) => format!(
                    "{key} is not in the key set (if it were, it would belong to {})",
                    n(o)
                ),
                None => format!("{key} is not in the key set"),
            },
            Note::SendsTransfer { to, count } => format!(
                "{me} sends {count} key{} to {}, their new owner, and keeps them until {} acknowledges",
                plural(*count),
                n(to),
                n(to)
            ),
            Note::ResendsTransfer { to, count, attempt } => format!(
                "{me} heard no acknowledgement from {} within {t} ms: it sends the {count} key{} again (attempt {attempt})",
                n(to),
                plural(*count)
            ),
            Note::AlreadySending { to } => format!(
                "{me} is already sending these keys to {}: it goes on retrying",
                n(to)
            ),
            Note::NothingToSend { to } => format!(
                "{me} already handed these keys to {}: it reports the migration done again",
                n(to)
            ),
            Note::StoresTransfer { from, count, new } => {
                let mut s = format!(
                    "{me} stores {count} key{} from {} and acknowledges",
                    plural(*count),
                    n(from)
                );
                if new < count {
                    let _ = write!(s, " ({} it already had: a resent transfer)", count - new);
                }
                s
            }
            Note::CopiedAfterAck { to, count } => format!(
                "{} acknowledged: {me} keeps its {count} cop{} (it stays an owner) and reports to the coordinator",
                n(to),
                if *count == 1 { "y" } else { "ies" }
            ),
            Note::DeletesAfterAck { to, count } => format!(
                "{} acknowledged: {me} deletes the {count} key{} it no longer owns and reports to the coordinator",
                n(to),
                plural(*count)
            ),
            Note::StoresNew { count } => {
                format!("{me} stores {count} new key{} it owns", plural(*count))
            }
            Note::DropsKeys { count } => {
                format!("{me} deletes {count} removed key{}", plural(*count))
            }
            Note::StopsStaleTransfer { to, epoch, current } => format!(
                "{me} stops resending keys of operation {epoch} to {}: that operation is over ({} already takes part in operation {current}); it deletes nothing",
                name(names, *to),
                name(names, *to)
            ),
            Note::IgnoresStale { epoch, current } => format!(
                "{me} ignores an instruction of operation {epoch}: it already takes part in operation {current}, so this is a stale duplicate"
            ),
            Note::Serves { key, found } => {
                if *found {
                    format!("{me} has {key} and answers")
                } else {
                    format!("{me} does not have {key} and says so")
                }
            }
            Note::NotTheCoordinator { lookup } => {
                if *lookup {
                    format!("{me} does not look keys up for clients: coord holds the ring and knows whom to ask; give lookups to coord")
                } else {
                    format!("{me} cannot change the ring: only coord does; give commands to coord")
                }
            }
            Note::Restarts {
                keys,
                resending,
                coord,
            } => {
                if *coord {
                    let mut s = format!("{me} restarts: the ring, the key set and the pending instructions were on disk and survive; lookups in progress were in memory and are lost");
                    if *resending {
                        s.push_str("; it resends the unfinished instructions");
                    }
                    s
                } else {
                    format!(
                        "{me} restarts: its {keys} stored key{} were on disk and survive; transfers it was sending were in memory and are lost (coord resends any instruction not reported done)",
                        plural(*keys)
                    )
                }
            }
        }
}

pub(super) fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn percent(part: u32, whole: u32) -> String {
    if whole == 0 {
        "0%".into()
    } else {
        format!("{}%", fixed(f64::from(part) * 100.0 / f64::from(whole), 0))
    }
}

/// "k0001, k0002 and 3 more".
fn keys_text(keys: &[String]) -> String {
    match keys.len() {
        0 => "no keys".into(),
        1..=3 => keys.join(", "),
        n => format!("{}, {} and {} more", keys[0], keys[1], n - 2),
    }
}

fn describe_op(op: &Op, names: &[String]) -> String {
    match op {
        Op::Initial => "initial placement".into(),
        Op::AddNode { node, weight } => {
            format!("add {} with weight {weight}", name(names, *node))
        }
        Op::RemoveNode { node } => format!("remove {}", name(names, *node)),
        Op::SetVnodes { from, to } => format!("virtual nodes per node {from} -> {to}"),
        Op::AddKeys { count } => format!("add {count} key{}", plural(*count)),
        Op::RemoveKey { key } => format!("remove {key}"),
        Op::RemoveKeys { count } => format!("remove {count} random key{}", plural(*count)),
    }
}

fn describe_refusal(why: &Refusal, names: &[String]) -> String {
    let n = |id: &NodeId| name(names, *id);
    match why {
        Refusal::NotStorageNode { node } => format!("{} is not a storage node", n(node)),
        Refusal::AlreadyMember { node } => format!("{} is already in the ring", n(node)),
        Refusal::NotMember { node } => format!("{} is not in the ring", n(node)),
        Refusal::TooFewNodes { replicas } => format!(
            "removing a node would leave fewer nodes than the {replicas} replicas each key needs"
        ),
        Refusal::BadWeight { weight } => format!("a weight must be 1 to 8 (got {weight})"),
        Refusal::BadVnodes { count } => {
            format!("virtual nodes per node must be 1 to 500 (got {count})")
        }
        Refusal::TooManyKeys { count } => {
            format!("adding {count} keys is refused: add 1 or more keys, at most {MAX_KEYS} in all")
        }
        Refusal::NoSuchKey { key } => format!("{key} is not in the key set"),
        Refusal::BadRemoveCount { count, keys } => format!(
            "removing {count} keys is refused: remove 1 to {keys} (the keys there are)"
        ),
        Refusal::StillCleaning { node } => format!(
            "{} left the ring and has not yet confirmed that it deleted its old copies (it may be down): it can rejoin once it has",
            n(node)
        ),
    }
}
