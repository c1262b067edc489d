//! dsplay-core: a deterministic discrete-event simulator for distributed algorithms.
//!
//! The kernel ([`sim::Sim`]) runs any [`protocol::Protocol`] over a simulated network with
//! seeded randomness. [`timeline::Timeline`] adds time travel (step back, seek, fork),
//! [`trace`] records every step and message, [`invariant`] holds the safety-property
//! machinery, and [`scenario`] loads the JSON scenario format shared by the CLI and the web.
//! [`session`] erases the protocol type so front ends can drive any algorithm alike, and
//! [`catalog`], the one file that names the algorithms, finds them by name.

pub mod algo;
pub mod algorithm;
pub mod catalog;
pub mod collections;
pub mod consistency;
pub mod decimal;
pub mod faults;
pub mod hash;
pub mod history;
pub mod invariant;
pub mod json;
pub mod names;
pub mod ordered;
pub mod protocol;
pub mod scenario;
pub mod session;
pub mod sim;
pub mod text;
pub mod timeline;
pub mod trace;
pub mod workload;

pub use algorithm::{Algorithm, Builtin};
pub use invariant::{Checker, Property, Violation};
pub use protocol::{Ctx, Durable, NodeState, Protocol};
pub use sim::{Action, Fault, NodeId, NodeStatus, Sim, Time};
pub use timeline::Timeline;
