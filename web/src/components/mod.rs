//! Components every algorithm page shares.

pub mod cluster;
pub mod controls;
pub mod custom;
pub mod faults;
pub mod help;
pub mod inspector;
pub mod invariants;
pub mod keys;
pub mod log;
pub mod share;
pub mod spacetime;

use crate::store::State;
use yew::prelude::*;

/// The page's store, shared through a context.
pub type Store = UseReducerHandle<State>;

/// The store from the nearest [`ContextProvider`]; every shell component sits under one.
#[hook]
pub fn use_store() -> Store {
    use_context::<Store>().expect("components are rendered inside the playground's store")
}
