//! Messaging: the communication models every later page builds on.
//!
//! Nodes `n1..nN` and a `broker`:
//! - **Point-to-point request/response**: a request is retried after a timeout, up to a
//!   number of retries; the receiver answers each copy and, with deduplication on, hands
//!   the request to its application only once.
//! - **Broadcast**: best-effort (one send to every node) or reliable (every receiver acks;
//!   the origin retransmits to those that have not acked until all have).
//! - **Publish/subscribe**: publishers send to the broker (retried until it acks); the broker
//!   forwards to the topic's subscribers (reliably, when reliable delivery is on).
//!
//! The links and broadcasts, and the names of the properties checked (no creation, no
//! duplication, agreement), are those of Cachin, Guerraoui and Rodrigues, *Introduction to
//! Reliable and Secure Distributed Programming* (2nd ed., 2011): chapter 2 (stubborn and
//! perfect links: retransmit, then eliminate duplicates) and chapter 3 (best-effort and
//! reliable broadcast). Publish/subscribe through a broker is the usual message-broker
//! pattern, with the same retransmission and deduplication.
//!
//! A node's state is a [`NodeState`](crate::protocol::NodeState) of two parts. On disk
//! ([`NodeDisk`]): the application logs (what the node delivered and originated), the
//! deduplication table, the next message number, its subscriptions and, at the broker, the
//! subscribers per topic; a crash keeps them. In memory ([`NodeMem`]): the requests, broadcasts
//! and publications still being retried; a crash loses them.
//!
//! Layout: `types.rs` (parameters, node state, messages, timers, commands, notes),
//! `handlers.rs` (the `Protocol` impl), `narration.rs` (the words), `checker.rs` (the
//! safety properties).

mod checker;
mod handlers;
mod narration;
mod types;

pub use checker::{
    MessagingChecker, BROADCAST_AGREEMENT, NO_CREATION, NO_DUPLICATION, TOPIC_FILTER,
};
pub use types::{
    AppId, Cmd, Delivery, Kind, Msg, Node, NodeDisk, NodeMem, Note, Outstanding, Params,
    PendingRequest, Timer,
};

use crate::collections::{VecMap, VecSet};

use crate::sim::NodeId;

pub const NAME: &str = "messaging";

#[derive(Clone, Debug)]
pub struct Messaging {
    params: Params,
    /// Initial subscriptions resolved to node ids.
    initial_subs: VecMap<NodeId, VecSet<String>>,
}

impl crate::algorithm::Algorithm for Messaging {
    const TITLE: &'static str = "Messaging";
    const SUMMARY: &'static str = "Point-to-point requests with timeouts and retries, best-effort and reliable broadcast, publish/subscribe through a broker.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "messaging-normal",
        "messaging-lossy-link",
        "messaging-partition-heal",
        "messaging-broker-crash",
        "messaging-no-dedup",
    );
}
