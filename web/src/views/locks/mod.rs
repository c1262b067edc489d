//! The distributed locks page: who believes they hold the lock (a Gantt row per client),
//! the clients, the lock service (holder, draining lease, wait queue; or ZooKeeper's znode
//! tree with watch arrows) and the storage (highest token, accepted and rejected writes).
//! The side panel makes clients act, pauses the holder past its lease, and switches the
//! variant, its toggles and its numbers (the run restarts with the same script and actions).
//!
//! Files: `draw.rs` (the view: the timeline, the clients, the lock service and the
//! storage) and `panel.rs` (the side panel).

mod draw;
mod panel;

use crate::components::cluster::NODE_COLOURS;
use crate::page::Page;
use dsplay_core::algo::locks::Locks;
use dsplay_core::sim::NodeStatus;
use yew::prelude::*;

/// The distributed locks page.
pub struct LocksPage;

impl Page for LocksPage {
    type Algo = Locks;

    fn view() -> Html {
        html! { <draw::LocksView /> }
    }

    fn panel() -> Html {
        html! { <panel::LocksPanel /> }
    }
}

fn colour(i: usize) -> String {
    format!("c{}", i % NODE_COLOURS)
}

fn status_word(status: NodeStatus) -> Option<&'static str> {
    match status {
        NodeStatus::Up => None,
        NodeStatus::Crashed { .. } => Some("crashed"),
        NodeStatus::Paused { .. } => Some("paused"),
    }
}
