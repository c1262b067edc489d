//! The distributed locks page: who believes they hold the lock (a Gantt row per client),
//! the clients, the lock service (holder, draining lease, wait queue; or ZooKeeper's znode
//! tree with watch arrows) and the storage (highest token, accepted and rejected writes).
//! The side panel makes clients act, pauses the holder past its lease, and switches the
//! variant and its toggles (the run restarts with the same script and actions).

mod draw;
mod panel;

use crate::components::cluster::NODE_COLOURS;
use dsplay_core::sim::NodeStatus;

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
