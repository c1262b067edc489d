//! Narration: messages, timers, commands and notes in words.

use super::*;
use crate::protocol::NodeFault;

impl Locks {
    /// [`Protocol::msg_label`](crate::protocol::Protocol::msg_label).
    pub(super) fn msg_label_of(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::Acquire { .. } => "ACQ",
            Msg::Granted { .. } => "GRANT",
            Msg::Queued { .. } => "QUEUED",
            Msg::Release { .. } => "REL",
            Msg::Released { .. } => "RACK",
            Msg::KeepAlive => "PING",
            Msg::SessionExpired => "EXPIRED",
            Msg::SetNx { .. } => "SET NX",
            Msg::SetReply { token: Some(_), .. } => "OK",
            Msg::SetReply { token: None, .. } => "NIL",
            Msg::Del { .. } => "DEL",
            Msg::DelReply { .. } => "DACK",
            Msg::Create { .. } => "CREATE",
            Msg::Created { .. } => "CREATED",
            Msg::Exists { .. } => "EXISTS",
            Msg::Stat { .. } => "STAT",
            Msg::GetChildren { .. } => "GETCH",
            Msg::Children { .. } => "CHILD",
            Msg::Notify { .. } => "WATCH",
            Msg::Delete { .. } => "DELETE",
            Msg::Deleted { .. } => "DELETED",
            Msg::Write { .. } => "WRITE",
            Msg::WriteReply { accepted: true, .. } => "ACK",
            Msg::WriteReply {
                accepted: false, ..
            } => "REJECT",
        }
    }

    /// [`Protocol::describe_msg`](crate::protocol::Protocol::describe_msg).
    pub(super) fn msg_words(&self, msg: &Msg, _names: &[String]) -> String {
        match msg {
            Msg::Acquire { req } => format!("Acquire (give me the lock; request {req})"),
            Msg::Granted { token, .. } => format!("Granted (you hold the lock, token {token})"),
            Msg::Queued { position } => format!("Queued (you are number {position} in line)"),
            Msg::Release { token: 0, req } => format!("Release (give up request {req})"),
            Msg::Release { token, .. } => format!("Release (token {token})"),
            Msg::Released { token } => format!("Released (token {token})"),
            Msg::KeepAlive => "KeepAlive (session ping)".into(),
            Msg::SessionExpired => "SessionExpired (your session is gone)".into(),
            Msg::SetNx { attempt } => {
                format!("SET lock NX PX {} (attempt {attempt})", self.params.ttl)
            }
            Msg::SetReply { token: Some(t), .. } => format!("OK (key set, token {t})"),
            Msg::SetReply { token: None, .. } => "nil (the key exists)".into(),
            Msg::Del { token, compare } => {
                if *compare {
                    format!("compare-and-delete lock if it holds token {token}")
                } else {
                    "DEL lock (whoever holds it)".into()
                }
            }
            Msg::DelReply { deleted, .. } => {
                format!("{} key deleted", if *deleted { 1 } else { 0 })
            }
            Msg::Create { attempt } => {
                format!("create /lock/n- (ephemeral, sequential; request {attempt})")
            }
            Msg::Created { seq, children, .. } => {
                format!(
                    "created /lock/n-{seq} ({} child{})",
                    children.len(),
                    if children.len() == 1 { "" } else { "ren" }
                )
            }
            Msg::Exists { seq } => format!("exists /lock/n-{seq} with a watch"),
            Msg::Stat { seq, exists } => format!(
                "/lock/n-{seq} {}",
                if *exists {
                    "exists (watch set)"
                } else {
                    "does not exist"
                }
            ),
            Msg::GetChildren { watch } => format!(
                "getChildren /lock{}",
                if *watch { " with a watch" } else { "" }
            ),
            Msg::Children { children } => format!(
                "children of /lock: {}",
                if children.is_empty() {
                    "none".to_string()
                } else {
                    children
                        .iter()
                        .map(|s| format!("n-{s}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            Msg::Notify { event, seq } => match event {
                Event::NodeDeleted => format!("watch event: /lock/n-{seq} deleted"),
                Event::ChildrenChanged => "watch event: children of /lock changed".into(),
            },
            Msg::Delete { seq } => format!("delete /lock/n-{seq}"),
            Msg::Deleted { seq } => format!("deleted /lock/n-{seq}"),
            Msg::Write { token, n } => format!("Write #{n} with token {token}"),
            Msg::WriteReply {
                token,
                n,
                accepted,
                max_token,
            } => {
                if *accepted {
                    format!("write #{n} (token {token}) accepted")
                } else {
                    format!("write #{n} rejected: token {token} < {max_token}")
                }
            }
        }
    }

    /// [`Protocol::describe_timer`](crate::protocol::Protocol::describe_timer).
    pub(super) fn timer_words(&self, timer: &Timer, names: &[String]) -> String {
        match timer {
            Timer::Work => "the work timer (time for the next write)".into(),
            Timer::Retry => "the request timeout".into(),
            Timer::Backoff => "the back-off timer".into(),
            Timer::KeepAlive => "the keep-alive timer".into(),
            Timer::WriteRetry => "the write timeout".into(),
            Timer::Session { client } => {
                format!("the session timer of {}", name(names, *client))
            }
            Timer::KeyExpiry => "the key's expiry (PX)".into(),
        }
    }

    /// [`Protocol::describe_cmd`](crate::protocol::Protocol::describe_cmd).
    pub(super) fn cmd_words(&self, cmd: &Cmd, _names: &[String]) -> String {
        match cmd {
            Cmd::Acquire => "acquire the lock, write and release".into(),
            Cmd::Release => "release the lock now".into(),
        }
    }

    /// [`Protocol::describe_note`](crate::protocol::Protocol::describe_note): the rule
    /// applied, in plain words.
    pub(super) fn note_words(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id).to_string();
        let me = name(names, me);
        let p = &self.params;
        let ttl = p.ttl;
        let fence = if p.fencing {
            "fencing is on"
        } else {
            "no fencing"
        };
        match note {
            Note::AsksForLock => match p.variant {
                Variant::Queue => format!("{me} wants the lock: it sends Acquire to the lock server"),
                Variant::Lease => format!(
                    "{me} wants the lock: it sends SET lock NX PX {ttl} (set the key only if nobody has it, expiring in {ttl} ms)"
                ),
                Variant::Zookeeper => format!(
                    "{me} wants the lock: it asks ZooKeeper to create an ephemeral sequential znode under /lock"
                ),
            },
            Note::AlreadyBusy { phase } => format!(
                "{me} ignores the command: it is already {} (one lock request at a time)",
                phase_words(*phase)
            ),
            Note::NotHolding => format!("{me} has nothing to release: it neither holds nor waits"),
            Note::NotAClient => format!("{me} is not a client: only c1.. take locks"),
            Note::Resends => format!(
                "{me} has had no reply within {} ms: it sends its request again (the first may be lost)",
                p.request_timeout
            ),
            Note::ResendsWrite { n: k } => format!(
                "{me} has no answer from storage within {} ms: it sends write #{k} again (storage applies a write once, whatever the copies)",
                p.request_timeout
            ),
            Note::GotLock { token } => format!(
                "{me} now believes it holds the lock (token {token}); it starts its critical section: {} write{} to storage, {} ms apart",
                p.writes,
                if p.writes == 1 { "" } else { "s" },
                p.work
            ),
            Note::IsQueued { position } => format!(
                "{me} is number {position} in the lock server's queue: it waits for its turn"
            ),
            Note::RepeatedGrant { token } => format!(
                "{me} already holds the lock with token {token}: the repeated grant changes nothing"
            ),
            Note::StaleGrant { token } => format!(
                "{me} gets a grant (token {token}) for a request it no longer has: it hands it straight back"
            ),
            Note::RemindsServer => format!(
                "{me} is still waiting: it re-sends Acquire, which keeps its session alive and recovers a lost grant"
            ),
            Note::SendsKeepAlive => format!(
                "{me} pings the lock service to keep its session alive (every {} ms; the session dies after {ttl} ms of silence)",
                self.keepalive()
            ),
            Note::SetFailed { backoff } => format!(
                "{me} did not get the lock (the key exists): it backs off for {backoff} ms before retrying (random, growing back-off)"
            ),
            Note::SetTimedOut { backoff } => format!(
                "{me} has no answer to its SET within {} ms: it counts it as failed and backs off {backoff} ms",
                p.request_timeout
            ),
            Note::RetriesSet => format!("{me}'s back-off is over: it tries SET NX again"),
            Note::CreatedZnode { seq } => format!("{me} learns its znode is /lock/n-{seq}"),
            Note::IsLowest { seq } => format!(
                "{me}'s znode n-{seq} has the lowest sequence number under /lock: by the recipe, it holds the lock"
            ),
            Note::WatchesPredecessor { seq, pred } => format!(
                "{me}'s znode n-{seq} is not the lowest: it watches only its predecessor n-{pred} (the recipe: one waiter wakes per release)"
            ),
            Note::WatchesChildren { seq, lower } => format!(
                "{me}'s znode n-{seq} has {lower} lower znode{}: it waits for any change under /lock (herd: every waiter watches the lock node)",
                if *lower == 1 { "" } else { "s" }
            ),
            Note::WaitsForWatch { pred } => format!(
                "{me}'s watch on n-{pred} is set: it sleeps until n-{pred} is deleted"
            ),
            Note::PredecessorGone { pred } => format!(
                "{me}'s predecessor n-{pred} is already gone: it lists /lock again to check whether it is now the lowest"
            ),
            Note::Notified { event, seq } => match event {
                Event::NodeDeleted => format!(
                    "{me} is notified that n-{seq} was deleted: it lists /lock to see whether it is now first"
                ),
                Event::ChildrenChanged => format!(
                    "{me} is woken: the children of /lock changed; it lists them again and re-sets its watch (herd effect: everyone wakes)"
                ),
            },
            Note::StaleReply => format!("{me} ignores a reply it no longer waits for"),
            Note::ListsWithWatch { seq } => format!(
                "{me}'s znode n-{seq} is not the lowest: {me} lists /lock's children and sets a watch on /lock (in the herd variant every waiter watches the lock node)"
            ),
            Note::ZnodeGone { seq } => format!(
                "{me}'s znode n-{seq} is no longer under /lock (its session expired and ZooKeeper deleted it): {me} creates a new znode and waits again, behind everyone now there"
            ),
            Note::Writes { token, n } => format!(
                "{me} believes it holds the lock: it sends write #{n} to storage with token {token}"
            ),
            Note::WriteAccepted { token, n } => {
                if *n >= p.writes {
                    format!("storage accepted {me}'s write #{n} (token {token}): its critical section is done")
                } else {
                    format!("storage accepted {me}'s write #{n} (token {token}); {me} works {} ms before the next write", p.work)
                }
            }
            Note::WriteFenced { token, max_token } => format!(
                "{me}'s write was REJECTED: storage has seen token {max_token} > {token}. {me} learns its lock expired and stops writing (fencing)"
            ),
            Note::ReleasesAfterWrite { n } => format!(
                "{me} is told to release, but its write #{n} is still on its way to the storage: it releases once that write is answered (a critical section is not over while one of its writes may still land)"
            ),
            Note::Releases { token } => match p.variant {
                Variant::Queue => format!("{me} leaves its critical section and sends Release (token {token})"),
                Variant::Lease if p.safe_release => format!(
                    "{me} leaves its critical section and asks to delete the key only if it still holds its token {token} (compare-and-delete)"
                ),
                Variant::Lease => format!(
                    "{me} leaves its critical section and sends DEL lock: a plain delete, whoever holds the key now"
                ),
                Variant::Zookeeper => format!("{me} leaves its critical section and deletes its znode n-{token}"),
            },
            Note::GivesUp => format!("{me} no longer wants the lock: it gives up its request"),
            Note::ReleaseDone { token, deleted } => {
                if *deleted {
                    format!("{me}'s release of token {token} is confirmed: it is idle")
                } else {
                    format!("{me}'s key (token {token}) was already gone or replaced: nothing was deleted; it is idle")
                }
            }
            Note::HolderFault { fault, token } => {
                let expiry = match p.variant {
                    Variant::Lease => Some(format!("its key expires {ttl} ms after it was set")),
                    Variant::Zookeeper => Some(format!(
                        "its session expires after {ttl} ms without a ping, and ZooKeeper then deletes its znode"
                    )),
                    Variant::Queue if self.sessions() => Some(format!(
                        "its session expires after {ttl} ms without a ping, and the server then frees the lock"
                    )),
                    Variant::Queue => None,
                };
                match fault {
                    NodeFault::Crash => match expiry {
                        Some(e) => format!(
                            "{me} held the lock (token {token}) and cannot release it now: {e}, so the others wait at most that long"
                        ),
                        None => format!(
                            "{me} held the lock (token {token}) and cannot release it now; without leases nothing frees it, so the others wait until {me} restarts and the lock is lost meanwhile"
                        ),
                    },
                    NodeFault::Pause => match expiry {
                        Some(e) => format!(
                            "{me} still believes it holds the lock (token {token}), but time goes on at the lock service: {e}; if the pause lasts longer, another client gets the lock while {me} still thinks it has it"
                        ),
                        None => format!(
                            "{me} still believes it holds the lock (token {token}); without leases the lock waits for it"
                        ),
                    },
                    NodeFault::Resume => format!(
                        "{me} carries on as if it still held the lock (token {token}) and writes next{}",
                        if p.fencing {
                            format!(": with fencing, the storage rejects the write if it has seen a token above {token}")
                        } else {
                            ": without fencing nothing stops that write, even if its lock has meanwhile gone to someone else".to_string()
                        }
                    ),
                }
            }
            Note::ClientRestarts { held } => {
                if *held {
                    let service = match p.variant {
                        Variant::Lease => "the key stays until it expires".to_string(),
                        _ if self.sessions() => format!(
                            "the lock service frees its lock only when the session expires ({ttl} ms without a ping)"
                        ),
                        _ => "without leases the lock server still counts it as the holder".to_string(),
                    };
                    format!("{me} restarts: it has forgotten that it held the lock (that was in memory); {service}")
                } else {
                    format!("{me} restarts idle")
                }
            }
            Note::Grants { client, token } => format!(
                "the lock is free: the server grants it to {}, first in the queue, with token {token} (tokens only grow)",
                n(client)
            ),
            Note::Enqueues { client, position } => format!(
                "the lock is taken: the server puts {} at the back of the queue (position {position}, first come first served)",
                n(client)
            ),
            Note::RepeatsGrant { client, token } => format!(
                "{} already holds the lock: the server repeats the grant (token {token}) in case it was lost",
                n(client)
            ),
            Note::VoidsGrant { client, token } => format!(
                "{} asks anew while the server still counts it as holder (token {token}): it gave that grant up, so the server frees it",
                n(client)
            ),
            Note::StaleRequest { client, req } => format!(
                "request {req} of {} arrives after a newer one (the network reordered them): it is stale and ignored",
                n(client)
            ),
            Note::StillQueued { client, position } => format!(
                "{} is already queued at position {position}: the server tells it again{}",
                n(client),
                if self.sessions() { " and renews its session" } else { "" }
            ),
            Note::FreesLock { client, token } => format!(
                "{} releases token {token}: the lock is free",
                n(client)
            ),
            Note::ReleaseIgnored { client, token } => format!(
                "{}'s release (token {token}) matches nothing the lock service holds for it: nothing to do",
                n(client)
            ),
            Note::LeavesQueue { client } => format!("{} leaves the queue", n(client)),
            Note::Renews { client } => format!(
                "the lock service renews {}'s session: it now expires in {ttl} ms",
                n(client)
            ),
            Note::IgnoresKeepAlive { client } => format!(
                "{} has no session (it expired or ended): the lock service answers that it is expired",
                n(client)
            ),
            Note::LearnsExpired { phase } => match phase {
                Phase::Holding => format!(
                    "{me} learns that its session expired: it has lost the lock, so it stops its critical section"
                ),
                _ => format!("{me} learns that its session expired while it waited: it asks for the lock again"),
            },
            Note::SessionExpires { client, held, znodes } => {
                let mut s = format!(
                    "nothing heard from {} for {ttl} ms: its session expires",
                    n(client)
                );
                if let Some(t) = held {
                    s.push_str(&format!(
                        " and the lock it held (token {t}) is freed, whether or not {} is still working",
                        n(client)
                    ));
                }
                if !znodes.is_empty() {
                    let zs: Vec<String> = znodes.iter().map(|z| format!("n-{z}")).collect();
                    s.push_str(&format!("; its ephemeral znode {} is deleted", zs.join(", ")));
                }
                s
            }
            Note::SetsKey { client, token } => format!(
                "the key is free: it is set for {} (token {token}) and will expire in {ttl} ms whatever {} is doing",
                n(client),
                n(client)
            ),
            Note::RepeatsSet { client, token } => format!(
                "the key already holds {}'s value from this same attempt: OK again (token {token})",
                n(client)
            ),
            Note::KeyTaken { client, holder } => format!(
                "SET NX fails for {}: the key exists (held by {})",
                n(client),
                n(holder)
            ),
            Note::KeyExpires { client, token } => format!(
                "the key of {} (token {token}) expires after {ttl} ms: the lock is free, though {} may still believe it holds it",
                n(client),
                n(client)
            ),
            Note::DeletesKey { client, token } => format!(
                "the key holds {}'s token {token}: it is deleted, the lock is free",
                n(client)
            ),
            Note::DeletesOthersKey { client, owner, token } => format!(
                "plain DEL from {} deletes the key even though it belongs to {} (token {token}): {} has released SOMEONE ELSE'S lock",
                n(client),
                n(owner),
                n(client)
            ),
            Note::KeepsKey { client, owner } => match owner {
                Some(o) => format!(
                    "compare-and-delete from {}: the key holds {}'s token, not its own, so it is left alone",
                    n(client),
                    n(o)
                ),
                None => format!("{}'s key has already expired: nothing to delete", n(client)),
            },
            Note::CreatesZnode { client, seq } => format!(
                "ZooKeeper creates /lock/n-{seq} for {} (ephemeral: it dies with {}'s session)",
                n(client),
                n(client)
            ),
            Note::ReturnsZnode { client, seq } => format!(
                "{} already has /lock/n-{seq} (a resent create): ZooKeeper returns it instead of creating another",
                n(client)
            ),
            Note::ReplacesZnode { client, old } => format!(
                "{} asks with a newer request while its znode n-{old} from an earlier one is still under /lock (it gave that request up, or crashed and forgot it): ZooKeeper deletes n-{old} first, so the new holding gets a new sequence number, never the old holding's token",
                n(client)
            ),
            Note::SetsWatch { client, on, exists } => match (on, exists) {
                (Some(s), true) => format!("ZooKeeper sets {}'s watch on n-{s}", n(client)),
                (Some(s), false) => format!("n-{s} no longer exists: ZooKeeper tells {}", n(client)),
                (None, _) => format!("ZooKeeper sets {}'s watch on /lock", n(client)),
            },
            Note::ListsChildren { client, count } => format!(
                "ZooKeeper lists the {} of /lock for {}",
                if *count == 1 { "1 child".to_string() } else { format!("{count} children") },
                n(client)
            ),
            Note::DeletesZnode { client, seq } => format!(
                "ZooKeeper deletes {}'s znode n-{seq}",
                n(client)
            ),
            Note::Notifies { event, seq, to } => {
                let who: Vec<String> = to.iter().map(n).collect();
                match event {
                    Event::NodeDeleted if !p.herd => format!(
                        "n-{seq} is gone: ZooKeeper notifies its watcher {} (one notification)",
                        who.join(", ")
                    ),
                    _ => format!(
                        "/lock changed (n-{seq}): ZooKeeper notifies all {} watchers of /lock: {}",
                        to.len(),
                        who.join(", ")
                    ),
                }
            }
            Note::LockRestarts { sessions, holder, queued } => {
                let kept = match (p.variant, holder) {
                    (Variant::Zookeeper, _) => "its znodes and watches were on disk".to_string(),
                    (Variant::Lease, Some(h)) => format!("{}'s key was on disk with its expiry time", n(h)),
                    (Variant::Lease, None) => "there was no key".to_string(),
                    (Variant::Queue, h) => format!(
                        "its tables were on disk: {} and {}",
                        h.map_or("no holder".to_string(), |h| format!("{} still holds the lock", n(&h))),
                        match queued {
                            0 => "the queue is empty".to_string(),
                            1 => "1 client still waits in the queue".to_string(),
                            q => format!("{q} clients still wait in the queue, in the same order"),
                        }
                    ),
                };
                if self.sessions() {
                    format!(
                        "the lock service restarts: {kept}; its session timers were lost, so {sessions} session{} get a fresh {ttl} ms",
                        if *sessions == 1 { "" } else { "s" }
                    )
                } else {
                    format!("the lock service restarts: {kept}")
                }
            }
            Note::KeyExpiredWhileDown { client, token, expired_at } => format!(
                "{}'s key (token {token}) expired at {expired_at} ms while the lock service was down: it is freed at restart, though {} may still believe it holds the lock",
                n(client),
                n(client)
            ),
            Note::Accepts { client, token, n: k } => format!(
                "storage accepts write #{k} from {} (token {token}; {fence})",
                n(client)
            ),
            Note::Rejects { client, token, max_token } => format!(
                "storage REJECTS {}'s write: its token {token} is lower than {max_token}, the highest it has seen (fencing)",
                n(client)
            ),
            Note::AlreadyApplied { client, token, n: k } => format!(
                "storage already applied write #{k} of {} (token {token}): a resent copy, acknowledged again, not applied twice",
                n(client)
            ),
            Note::WrongNode => format!("{me} ignores a message not meant for its role"),
            Note::TimerNotNeeded => format!(
                "{me}'s timer has nothing left to do (what it was waiting for already happened): it is ignored"
            ),
            Note::StorageRestarts { max_token } => format!(
                "storage restarts: its data and the highest token it accepted ({max_token}) were on disk"
            ),
        }
    }
}

fn phase_words(p: Phase) -> &'static str {
    match p {
        Phase::Idle => "idle",
        Phase::Requesting => "asking for the lock",
        Phase::Waiting => "waiting for the lock",
        Phase::Holding => "holding the lock",
        Phase::Releasing => "releasing the lock",
    }
}

/// A node's name, `?` for an unknown id.
pub(super) fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}
