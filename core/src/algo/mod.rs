//! The algorithms, one module per family.

pub mod hashring;
pub mod messaging;
pub mod raft;
