//! What an algorithm is besides its protocol: the words a catalogue or a page shows about
//! it and the scenarios it ships with. Each algorithm implements [`Algorithm`] in its own
//! folder; [`crate::catalog`] lists them.

use crate::protocol::Protocol;

/// A scenario that ships with dsplay (a file in `static/scenarios/`, compiled in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// File name without `.json`, also the id used in URLs.
    pub id: &'static str,
    /// The algorithm it is for ([`Protocol::NAME`]).
    pub algorithm: &'static str,
    pub json: &'static str,
}

impl Builtin {
    /// The scenario's title, read from the file without loading it (loading runs its
    /// set-up); the id when it has none.
    pub fn title(&self) -> String {
        serde_json::from_str::<serde_json::Value>(self.json)
            .ok()
            .and_then(|v| v.get("title").and_then(|t| t.as_str()).map(str::to_string))
            .unwrap_or_else(|| self.id.to_string())
    }
}

/// An algorithm of the playground: a protocol with a title, a summary and built-in
/// scenarios.
pub trait Algorithm: Protocol {
    /// Shown on the home page's card and as the page's heading ("Raft").
    const TITLE: &'static str;
    /// One or two sentences for the home page's card.
    const SUMMARY: &'static str;
    /// The built-in scenarios, in the order the page lists them; the first is the one a page
    /// opens with.
    const BUILTINS: &'static [Builtin];

    /// The built-in scenario with this id.
    fn builtin(id: &str) -> Option<&'static Builtin> {
        Self::BUILTINS.iter().find(|b| b.id == id)
    }
}

/// `builtins!(NAME; "id-1", "id-2")`: the [`Builtin`]s of an algorithm, read from
/// `static/scenarios/ID.json` at compile time.
macro_rules! builtins {
    ($algo:expr; $($id:literal),+ $(,)?) => {
        &[$($crate::algorithm::Builtin {
            id: $id,
            algorithm: $algo,
            json: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../static/scenarios/",
                $id,
                ".json"
            )),
        }),+]
    };
}
pub(crate) use builtins;
