//! The algorithms, one module per family.

pub mod messaging;
