//! The Chord page: the identifier circle of 2^m positions with the nodes where their ids
//! put them, each member's successor (outside, clockwise) and predecessor (inside) arrows,
//! the selected node's finger chords and its finger table, the keys on the circle and the
//! keys each node stores, a lookup drawn as its path of hops, a chart of the hops of every
//! lookup against ½·log2 N, and the pointers that are still wrong (stabilisation state).
//! The side panel looks up a key from a chosen node, joins a node through a member, makes
//! a member leave (handing its keys over) or fails it, and changes every parameter of the
//! scenario by its name.
//!
//! Files: `draw.rs` (the view) and `panel.rs` (the side panel); the words and shapes both
//! use are here.

mod draw;
mod panel;

use crate::components::cluster::Shape;
use crate::page::Page;
use dsplay_core::algo::chord::{key_words, Chord, Node, Phase, Wrong};
use dsplay_core::NodeId;
use yew::prelude::*;

pub use panel::{apply_fields, check_key, parse_ids, FIELDS};

/// The Chord page.
pub struct ChordPage;

impl Page for ChordPage {
    type Algo = Chord;

    fn view() -> Html {
        html! { <draw::ChordView /> }
    }

    fn panel() -> Html {
        html! { <panel::ChordPanel /> }
    }
}

pub use crate::components::cluster::name_of;

/// A key in words: its name and position (`'apple' (37)`), or its position.
pub fn key_text(proto: &Chord, k: u64) -> String {
    key_words(k, proto.key_name(k))
}

/// Where a node stands, in a word.
pub fn phase_word(phase: Phase) -> &'static str {
    match phase {
        Phase::Out => "outside the ring",
        Phase::Joining => "joining",
        Phase::Listing => "joining (waits for a successor list)",
        Phase::Member => "member",
    }
}

/// The keys a node stores, in short: `10 24 30`, with `+n` past `max`.
pub fn keys_short(node: &Node, max: usize) -> String {
    let keys: Vec<String> = node.mem.keys.iter().map(|k| k.to_string()).collect();
    if keys.len() <= max {
        keys.join(" ")
    } else {
        format!("{} +{}", keys[..max].join(" "), keys.len() - max)
    }
}

/// A wrong pointer in words: "n3 successor: n5, should be n4".
pub fn wrong_words(w: &Wrong, names: &[String]) -> String {
    let opt = |x: &Option<NodeId>| x.map_or("none".to_string(), |x| name_of(names, x).into());
    match w {
        Wrong::Successor { node, has, should } => format!(
            "{} successor: {}, should be {}",
            name_of(names, *node),
            opt(has),
            name_of(names, *should)
        ),
        Wrong::List { node } => format!(
            "{} successor list: out of date past its first entry",
            name_of(names, *node)
        ),
        Wrong::Predecessor { node, has, should } => format!(
            "{} predecessor: {}, should be {}",
            name_of(names, *node),
            opt(has),
            name_of(names, *should)
        ),
        Wrong::Finger {
            node,
            index,
            has,
            should,
        } => format!(
            "{} finger {}: {}, should be {}",
            name_of(names, *node),
            index + 1,
            opt(has),
            name_of(names, *should)
        ),
    }
}

/// ½·log2 n, the expected hops of a lookup among n nodes (Chord §4.3, theorem 2 and §6.4).
pub fn half_log2(n: u32) -> f64 {
    if n <= 1 {
        0.0
    } else {
        0.5 * crate::math::log10(f64::from(n)) / crate::math::log10(2.0)
    }
}

/// A message's kind: its colour class, its shape, its short label and whether it is an
/// answer that finds (✓) or fails (✗), so a kind is not told by colour alone.
pub fn kind_of(label: &str) -> (&'static str, Shape, &'static str, Option<bool>) {
    match label {
        "FIND" => ("k-find", Shape::Circle, "FIND", None),
        "CONFIRM" => ("k-find", Shape::Square, "CONF", None),
        "FOUND" => ("k-found", Shape::Diamond, "FOUND", Some(true)),
        "UNDECIDED" => ("k-refused", Shape::Triangle, "UNDEC", Some(false)),
        "STAB" => ("k-stab", Shape::Circle, "STAB", None),
        "SUCCS" => ("k-stab", Shape::Diamond, "SUCCS", None),
        "NOTIFY" => ("k-notify", Shape::Square, "NOTIFY", None),
        "PING" => ("k-ping", Shape::Circle, "PING", None),
        "PONG" => ("k-ping", Shape::Diamond, "PONG", None),
        "KEYS" | "REPL" => ("k-keys", Shape::Hexagon, "KEYS", None),
        "ACK" => ("k-keys", Shape::Diamond, "ACK", None),
        "LEAVE" => ("k-leave", Shape::Triangle, "LEAVE", None),
        _ => ("k-refused", Shape::Triangle, "REF", Some(false)),
    }
}

/// The message kinds, for the legend: the core's label and what it is.
pub const KINDS: [(&str, &str); 12] = [
    (
        "FIND",
        "a lookup, forwarded to the closest preceding finger",
    ),
    ("CONFIRM", "the key's predecessor asks its successor"),
    ("FOUND", "the answer to the origin: successor(key)"),
    ("UNDECIDED", "a pointer was out of date: try again"),
    ("STAB", "stabilize: your predecessor and successors?"),
    ("SUCCS", "the answer: predecessor and successor list"),
    ("NOTIFY", "\"I might be your predecessor\""),
    ("PING", "check_predecessor: are you alive?"),
    ("KEYS", "keys handed over (join, leave) or replicated"),
    ("ACK", "keys received"),
    ("LEAVE", "a voluntary leave, to the neighbours"),
    ("REFUSED", "the node has failed or is outside the ring"),
];
