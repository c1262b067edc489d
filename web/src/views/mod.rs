//! Algorithm views: one per page, over the typed state of its protocol.

pub mod hashring;
pub mod locks;
pub mod messaging;
pub mod raft;
pub mod transactions;

use yew::prelude::*;

/// The home page's small drawing of an algorithm.
pub fn preview(algorithm: &str) -> Html {
    match algorithm {
        "messaging" => messaging::preview(),
        "hashring" => hashring::preview(),
        "transactions" => transactions::preview(),
        "raft" => raft::preview(),
        _ => html! {},
    }
}
