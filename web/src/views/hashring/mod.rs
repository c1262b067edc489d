//! The consistent hashing page: its own view, the hash ring (ownership arcs, virtual
//! nodes, keys by owner, keys being migrated), the physical nodes around it with the
//! coordinator in the middle and the messages between them; and its side panel (load
//! chart, keys moved compared with `hash mod N`, and the commands given to `coord`).
//!
//! The ring is drawn from the coordinator's state. Everything heavy (arcs, ticks, key
//! dots) is aggregated into one `<path>` per physical node and computed once per state
//! change (`use_memo` on a fingerprint of the coordinator's state), in a child component
//! whose props do not change during playback frames; only the messages, on a layer of
//! their own, are redrawn per frame.
//!
//! - `geometry`: angles, arcs and positions on the ring, and where the nodes go.
//! - `draw`: the ring view and its layers (ring, nodes, keys band, lookups, moves,
//!   messages).
//! - `forms`: the side panel (add and remove nodes, virtual nodes with a balance
//!   preview, add and remove keys, look up a key) and the card of a pinned key.

mod draw;
mod forms;
mod geometry;

use crate::page::Page;
use dsplay_core::algo::hashring::{hash_key, Coord, CoordState, Hashring, Op, TaskKind};
use dsplay_core::session::Loaded;
use yew::prelude::*;

/// The consistent hashing page.
pub struct HashringPage;

impl Page for HashringPage {
    type Algo = Hashring;

    fn view() -> Html {
        html! { <draw::HashringView /> }
    }

    fn panel() -> Html {
        html! { <forms::HashringPanel /> }
    }
}

/// A cheap fingerprint of what the drawing depends on: steps that leave the coordinator's
/// ring, keys, pending migrations and lookups as they were keep the drawing (most steps
/// are transfers between storage nodes).
/// `session` tells runs apart (another scenario, seed or restart draws anew).
fn fingerprint(l: &Loaded<Hashring>, session: usize) -> u64 {
    let Some(coord) = coord_state(l) else {
        return 0;
    };
    let c = &coord.disk;
    let mut h = dsplay_core::hash::Fnv64::default();
    let mut put = |x: u64| h.update(&x.to_le_bytes());
    put(session as u64);
    put(c.epoch);
    put(u64::from(c.vnodes));
    put(u64::from(c.next_key));
    put(c.keys.len() as u64);
    put(c.stats.keys.into());
    put(c.stats.moved_keys.into());
    put(c.stats.mod_n_moved.into());
    for (n, w) in &c.members {
        put(u64::from(n.0) << 32 | u64::from(*w));
    }
    put(u64::MAX);
    for t in &c.tasks {
        let kind = match t.kind {
            TaskKind::Migrate { to, .. } => u64::from(to.0) + 3,
            TaskKind::Store => 1,
            TaskKind::Drop => 2,
        };
        put(u64::from(t.node.0) << 40 | kind << 20 | t.keys.len() as u64);
    }
    put(u64::MAX);
    // Cleanups and queued operations: the panel names the nodes still cleaning up and
    // counts the operations waiting.
    for (epoch, t) in &c.cleanup {
        put(*epoch);
        put(u64::from(t.node.0));
    }
    put(c.queue.len() as u64);
    put(u64::MAX);
    for (id, p) in &coord.mem.lookups {
        put(u64::from(*id));
        put(hash_key(&p.key));
    }
    put(u64::MAX);
    if let Op::RemoveKey { key } = &c.stats.op {
        put(hash_key(key));
    }
    h.finish()
}

/// The coordinator's state: on disk (the ring, keys, instructions) and in memory (lookups).
fn coord_state(l: &Loaded<Hashring>) -> Option<&CoordState> {
    let sim = l.timeline.sim();
    let id = sim.proto().coord();
    sim.node(id).coord()
}

/// The coordinator's state on disk.
fn coord_of(l: &Loaded<Hashring>) -> Option<&Coord> {
    coord_state(l).map(|c| &c.disk)
}
