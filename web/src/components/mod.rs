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

/// The store for components that draw nothing that moves between steps (panels, the log,
/// the palette, the controls): the same handle, in a context that stays equal while only
/// the playback clock moves, so they are not rendered again on every animation frame.
/// Views that draw motion between steps (messages in flight, timers) use [`use_store`].
#[derive(Clone)]
pub struct StableStore {
    store: Store,
    /// The state when this context value was made: a handle reads the newest state, so
    /// two handles always look alike; the snapshots tell what changed.
    snapshot: State,
}

impl StableStore {
    pub fn new(store: &Store) -> Self {
        StableStore {
            store: store.clone(),
            snapshot: (**store).clone(),
        }
    }
}

impl PartialEq for StableStore {
    fn eq(&self, other: &Self) -> bool {
        self.snapshot.same_but_clock(&other.snapshot)
    }
}

/// The store from the nearest `ContextProvider<StableStore>` (see [`StableStore`]).
#[hook]
pub fn use_stable_store() -> Store {
    use_context::<StableStore>()
        .expect("components are rendered inside the playground's store")
        .store
}
