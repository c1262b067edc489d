//! The key-value store page: the partition table (each partition's keys, epoch, replicas
//! with the leader marked and each follower's replication lag, the writes it took), the
//! configuration node's view (members, moves under way, failovers), the keys the last
//! rebalancing moved against what `hash mod N` placement would have moved, and the run's
//! history as client lanes (components/history.rs) with stale reads marked. The side panel
//! has a client's write and read, a server joining or leaving, crashing a partition's
//! leader, and every parameter by its scenario name.
//!
//! Files: `draw.rs` (the view) and `panel.rs` (the side panel); what both use is here.

mod draw;
mod panel;

use crate::components::cluster::Shape;
use crate::components::history::OpMark;
use crate::page::Page;
use dsplay_core::algo::kvstore::{
    Kvstore, Replication, DURABILITY, MONOTONIC_READS, READ_YOUR_WRITES,
};
use dsplay_core::session::Loaded;
use yew::prelude::*;

pub use draw::{lag_of, lane_names};
pub use panel::{apply_fields, FIELDS};

/// The key-value store page.
pub struct KvstorePage;

impl Page for KvstorePage {
    type Algo = Kvstore;

    fn view() -> Html {
        html! { <draw::KvView /> }
    }

    fn panel() -> Html {
        html! { <panel::KvPanel /> }
    }
}

pub use crate::components::cluster::name_of;

/// The replication mode as the scenario file names it.
pub fn mode_key(r: Replication) -> &'static str {
    match r {
        Replication::Sync => "sync",
        Replication::SemiSync => "semi_sync",
        Replication::Async => "async",
        Replication::Leaderless => "leaderless",
    }
}

/// The replication mode in words.
pub fn mode_words(r: Replication) -> &'static str {
    match r {
        Replication::Sync => "synchronous: a write waits for every follower",
        Replication::SemiSync => "semi-synchronous: a write waits for one follower",
        Replication::Async => {
            "asynchronous: a write waits for the leader only (UNSAFE at a failover)"
        }
        Replication::Leaderless => "leaderless: quorums of W writes and R reads among N replicas",
    }
}

/// Which modes promise a session guarantee, for an observation's words.
pub fn promised_by(property: &str) -> &'static str {
    if property == READ_YOUR_WRITES {
        "promised by sync and semi-sync (N ≤ 3) reading from the leader, and by leaderless with R + W > N without a sloppy quorum"
    } else if property == MONOTONIC_READS {
        "promised by sync and semi-sync (N ≤ 3), from the leader or one pinned server"
    } else {
        "promised by the safe modes"
    }
}

/// The marks on the history up to now, each at the operation the checker names: a stale
/// read (a broken session guarantee this mode promised, a violation, or did not, an
/// observation) and an acknowledged write that was lost (a durability violation).
pub fn stale_marks(l: &Loaded<Kvstore>) -> Vec<OpMark> {
    let sim = l.timeline.sim();
    let now = sim.time();
    let Some(c) = sim.checker() else {
        return Vec::new();
    };
    let mut marks: Vec<OpMark> = Vec::new();
    for r in c.stale_reads().iter().filter(|r| r.time <= now) {
        // One mark per read: a read that breaks both guarantees is marked by the first.
        if marks.iter().any(|m| m.op == r.op) {
            continue;
        }
        marks.push(OpMark {
            op: r.op,
            label: if r.property == READ_YOUR_WRITES {
                "stale: misses own write".into()
            } else {
                "stale: older than last read".into()
            },
            why: if r.promised {
                format!("{}: {}", r.property, r.explanation)
            } else {
                format!(
                    "{}: {} (not promised here; {})",
                    r.property,
                    r.explanation,
                    promised_by(r.property)
                )
            },
            violation: r.promised,
        });
    }
    // Acknowledged writes found lost: the durability violation, at its write.
    for w in c.lost_writes().iter().filter(|w| w.time <= now) {
        marks.push(OpMark {
            op: w.op,
            label: "lost".into(),
            why: format!(
                "{DURABILITY}: acknowledged, then lost at t={} ms (step {}): the leader elected then does not have it",
                w.time,
                w.step + 1
            ),
            violation: true,
        });
    }
    marks
}

/// A message's kind: its colour class, its shape, its short label and whether it answers
/// yes (✓) or no (✗), so that a kind is not told by colour alone.
pub fn kind_of(label: &str) -> (&'static str, Shape, &'static str, Option<bool>) {
    match label {
        "WRITE" | "PUT" | "HINT" => ("k-write", Shape::Circle, "W", None),
        "READ" | "GET" => ("k-read", Shape::Square, "R", None),
        "OK" | "ACK" | "VAL" => ("k-ok", Shape::Diamond, "OK", Some(true)),
        "NO" => ("k-refused", Shape::Triangle, "NO", Some(false)),
        "AE" | "AER" => ("k-append", Shape::Circle, "AE", None),
        "HB" | "FENCE" | "FENCED" | "CFG" | "TABLE?" => ("k-config", Shape::Hexagon, "CFG", None),
        "JOIN" | "LEAVE" | "MOVE" | "XFER" | "RCVD" => ("k-move", Shape::Square, "MOVE", None),
        "HAND" | "HACK" => ("k-hint", Shape::Triangle, "HINT", None),
        _ => ("k-config", Shape::Hexagon, "?", None),
    }
}

/// The message kinds, for the legend: the core's label and what it is.
pub const KINDS: [(&str, &str); 8] = [
    (
        "WRITE",
        "a client's write (leaderless: PUT to each replica, HINT to a substitute)",
    ),
    (
        "READ",
        "a client's read (leaderless: GET from each replica)",
    ),
    ("OK", "an answer: acknowledged, or the value read"),
    (
        "NO",
        "refused: not a replica, not the leader, moving, or not ready",
    ),
    (
        "AE",
        "replication: the leader's appends and the follower's answer",
    ),
    (
        "HB",
        "configuration: heartbeats, fencing at a failover, new configurations",
    ),
    (
        "MOVE",
        "rebalancing: join, leave, hand a partition over, transfer it",
    ),
    ("HAND", "a hint handed to the server it was meant for"),
];
