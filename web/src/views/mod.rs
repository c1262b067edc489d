//! Algorithm views: one per page, over the typed state of its protocol. Each module has
//! its page type (`RaftPage`...) implementing [`crate::page::Page`].

pub mod chord;
pub mod hashring;
pub mod kvstore;
pub mod locks;
pub mod messaging;
pub mod paxos;
pub mod raft;
pub mod transactions;
