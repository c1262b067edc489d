//! Safety properties as code.
//!
//! A [`Checker`] is a value with its own state (history such as "who led in which term"),
//! updated after every step from the new world and the step just taken. It lives inside the
//! [`Sim`] and is cloned with it, so time travel restores it too. Violations are recorded,
//! never raised: the run goes on so the user can see what follows.

use crate::protocol::Protocol;
use crate::sim::{Sim, Time};
use crate::trace::StepOutcome;
use serde::Serialize;

/// A named safety property, as listed in the invariant panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Property {
    pub name: &'static str,
    /// One sentence a student understands.
    pub description: &'static str,
}

/// A property found violated at a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The step's place in the trace, from 0 (written as its number, from 1).
    #[serde(serialize_with = "crate::trace::step_number")]
    pub step: u64,
    pub time: Time,
    pub property: &'static str,
    /// Which nodes and values disagree, in words.
    pub explanation: String,
}

impl Violation {
    /// A violation as a checker reports it: the kernel fills in the step and its time.
    pub fn new(property: &'static str, explanation: String) -> Self {
        Violation {
            step: 0,
            time: 0,
            property,
            explanation,
        }
    }
}

/// Checks a protocol's properties after each step; reports each new violation once.
pub trait Checker<P: Protocol>: Clone + std::fmt::Debug {
    fn check(&mut self, sim: &Sim<P>, step: &StepOutcome<P>, out: &mut Vec<Violation>);
}
