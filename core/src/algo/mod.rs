//! The algorithms, one module per family.

pub mod chord;
pub mod hashring;
pub mod kvstore;
pub mod locks;
pub mod messaging;
pub mod paxos;
pub mod raft;
pub mod transactions;
