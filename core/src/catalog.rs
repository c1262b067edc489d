//! The catalogue: the one place in the core that names the algorithms, one line each.
//! Everything else (the CLI's `list`, `run` and `sweep`, the home page, tests over every
//! built-in scenario) reads this table.
//!
//! Adding an algorithm: its folder under `algo/` with an [`Algorithm`] impl, then one line
//! in [`CATALOG`].

use crate::algo::chord::Chord;
use crate::algo::hashring::Hashring;
use crate::algo::kvstore::Kvstore;
use crate::algo::locks::Locks;
use crate::algo::messaging::Messaging;
use crate::algo::paxos::Paxos;
use crate::algo::raft::Raft;
use crate::algo::transactions::Transactions;
use crate::algorithm::{Algorithm, Builtin};
use crate::faults::FaultMix;
use crate::protocol::Protocol;
use crate::scenario::{algorithm_of, ScenarioError};
use crate::session::{Loaded, Runner, SweepOutcome};
use crate::sim::Time;

/// Every algorithm, in the order of the home page.
pub const CATALOG: &[Entry] = &[
    Entry::page::<Messaging>(),
    Entry::page::<Hashring>(),
    Entry::page::<Locks>(),
    Entry::page::<Transactions>(),
    Entry::page::<Raft>(),
    Entry::page::<Paxos>(),
    Entry::page::<Chord>(),
    Entry::page::<Kvstore>(),
];

/// The names of [`CATALOG`]'s algorithms, in its order: what a page, which runs one of
/// them, reads to know the others (reading [`CATALOG`] would link every algorithm's code
/// into it).
pub const NAMES: &[&str] = &[
    <Messaging as Protocol>::NAME,
    <Hashring as Protocol>::NAME,
    <Locks as Protocol>::NAME,
    <Transactions as Protocol>::NAME,
    <Raft as Protocol>::NAME,
    <Paxos as Protocol>::NAME,
    <Chord as Protocol>::NAME,
    <Kvstore as Protocol>::NAME,
];

type LoadFn = fn(&str) -> Result<Box<dyn Runner>, ScenarioError>;
type SweepFn =
    fn(u64, FaultMix, Time, Option<&serde_json::Value>) -> Result<SweepOutcome, ScenarioError>;

/// One algorithm of the catalogue: what it is called and says, its scenarios, and how to
/// load or sweep it without knowing its type.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub name: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// It has a web page (and a card on the home page). An algorithm lands in the core
    /// and the CLI first, then gets its page.
    pub page: bool,
    pub builtins: &'static [Builtin],
    load: LoadFn,
    sweep: SweepFn,
}

impl Entry {
    /// An algorithm with a web page.
    pub const fn page<A: Algorithm>() -> Entry {
        Entry {
            page: true,
            ..Entry::core_only::<A>()
        }
    }

    /// An algorithm the core and the CLI run, with no page yet.
    pub const fn core_only<A: Algorithm>() -> Entry {
        Entry {
            name: A::NAME,
            title: A::TITLE,
            summary: A::SUMMARY,
            page: false,
            builtins: A::BUILTINS,
            load: load_as::<A>,
            sweep: crate::session::sweep::<A>,
        }
    }

    /// Load a scenario of this algorithm.
    pub fn load(&self, json: &str) -> Result<Box<dyn Runner>, ScenarioError> {
        (self.load)(json)
    }

    /// Run one seed of a sweep (see [`crate::session::sweep`]).
    pub fn sweep(
        &self,
        seed: u64,
        mix: FaultMix,
        span: Time,
        params: Option<&serde_json::Value>,
    ) -> Result<SweepOutcome, ScenarioError> {
        (self.sweep)(seed, mix, span, params)
    }
}

fn load_as<A: Algorithm>(json: &str) -> Result<Box<dyn Runner>, ScenarioError> {
    Ok(Box::new(Loaded::<A>::parse(json)?))
}

/// The algorithm called `name`, or an error that lists the known ones.
pub fn entry(name: &str) -> Result<&'static Entry, ScenarioError> {
    CATALOG.iter().find(|e| e.name == name).ok_or_else(|| {
        let known: Vec<&str> = CATALOG.iter().map(|e| e.name).collect();
        ScenarioError::new(
            "algorithm",
            // A long name is cut short first, so the list of known ones is always whole.
            format!(
                "unknown algorithm `{}` (known: {})",
                crate::scenario::clip(name, 60),
                known.join(", ")
            ),
        )
    })
}

/// Every built-in scenario of every algorithm.
pub fn builtins() -> impl Iterator<Item = &'static Builtin> {
    CATALOG.iter().flat_map(|e| e.builtins)
}

/// The built-in scenario with this id.
pub fn builtin(id: &str) -> Option<&'static Builtin> {
    builtins().find(|b| b.id == id)
}

/// Load a scenario of any algorithm (its `algorithm` field says which).
pub fn load(json: &str) -> Result<Box<dyn Runner>, ScenarioError> {
    entry(&algorithm_of(json)?)?.load(json)
}

/// Run one seed of a sweep of the algorithm called `algorithm`.
pub fn sweep(
    algorithm: &str,
    seed: u64,
    mix: FaultMix,
    span: Time,
    params: Option<&serde_json::Value>,
) -> Result<SweepOutcome, ScenarioError> {
    entry(algorithm)?.sweep(seed, mix, span, params)
}

#[cfg(test)]
mod tests {
    use super::{CATALOG, NAMES};

    #[test]
    fn names_follow_the_catalog() {
        let names: Vec<&str> = CATALOG.iter().map(|e| e.name).collect();
        assert_eq!(names, NAMES);
    }
}
