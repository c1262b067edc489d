//! Algorithm views: one per page, over the typed state of its protocol.

pub mod messaging;
