//! Consistency models of a register [`History`]: which ones a run satisfies, and when one is
//! broken, a small explanation (the operations at fault, as ids, and a sentence).
//!
//! The models, strongest first, and how each is checked:
//!
//! - **Linearizable** (Herlihy and Wing 1990): there is one total order of the operations that
//!   respects real time (an operation that completed before another was invoked comes
//!   first; an operation invoked at the instant its own client's previous one completed
//!   counts as invoked just after every completion at that instant, see [`chained`]) in
//!   which every read returns the last value written. Linearizability is *local*
//!   (P-compositional): a history is linearizable exactly when each key's sub-history is,
//!   so each key is checked alone, as Porcupine does (Horn and Kroening 2015). Per key the
//!   search is Wing and Gong's (1993) with Lowe's (2017) memoisation: depth first over
//!   the operations that can take effect next, remembering every (set of operations
//!   linearized, register value) already explored, so no configuration is searched twice
//!   ([`linearizable`]). When it fails it gives the longest legal order it found and the
//!   operations none of which can come next; for small keys the failing set is first
//!   shrunk to a minimal one (each operation left is needed for the failure).
//! - **Sequential** (Lamport 1979): one total order of all operations, in every client's
//!   own order, legal for the registers; real time does not matter. Checking it is
//!   NP-complete in general (Gibbons and Korach 1997), even with unique values, so this is
//!   a bounded depth-first search over the clients' next operations, memoised on (each
//!   client's position, every register's value), that takes every read that can run at
//!   once (which never loses a solution) and branches only over writes
//!   ([`sequential`]). It can answer "unknown (budget exceeded)".
//! - **Causal** (causal memory, Ahamad et al. 1995): every client has its own total order
//!   of all the writes and of its own operations that respects the causal order (the
//!   clients' own orders and "a read follows the write it read", closed transitively)
//!   and is legal for its reads. With unique values this is polynomial (Bouajjani,
//!   Enea, Guerraoui and Hamza, POPL 2017): per client, saturate the causal order with the
//!   orders every legal view must have (a write before a read of that client, to the key it
//!   reads, must come before the write it read; a write after the write it read must come
//!   after the read) and look for a cycle ([`causal`]). A violation is that cycle.
//! - The **session guarantees** of Terry et al. (1994), per client, over the causal order
//!   ([`session`]): **read your writes** (a client's read sees its own latest write to the
//!   key or something newer), **monotonic reads** (a client never sees a value older than
//!   one it saw), **monotonic writes** (whoever saw a client's write sees that client's
//!   earlier writes), **writes follow reads** (whoever saw a client's write sees what that
//!   client had read before writing). "Older" means *in the causal past of*. A violation is
//!   the pair of operations that clash, then the operations linking them.
//!
//! [`HIERARCHY`] is the map between them as data (Viotti and Vukolić 2016, and Jepsen's
//! consistency map, restricted to these models): linearizable implies sequential implies
//! causal, which implies each session guarantee. [`check_all`] uses it both ways: a model
//! implied by one that holds holds, and a model that implies a violated one is violated
//! (sequential is only searched when causal holds and linearizability does not).
//!
//! Every model refuses a read of a value nobody wrote (or that only a failed write
//! wrote, or that was written to another key): such a read cannot be explained at all.
//! Failed operations took no effect and are otherwise ignored; a pending read constrains
//! nothing; a pending write may have taken effect at any time after its invocation, or
//! never.
//!
//! Histories are imported from JSON, Jepsen's EDN lines and a small text notation by
//! [`import`] (docs/history-format.md).

use crate::history::{Client, History, HistoryError, OpId, OpKind, Outcome};
use crate::text::Text;
use serde::Serialize;
use std::collections::BTreeMap;

pub mod causal;
pub mod generate;
pub mod import;
pub mod linearizable;
mod prep;
pub mod sequential;
pub mod session;

pub use prep::{chained, describe, real_time};

/// A consistency model the checker knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    Linearizable,
    Sequential,
    Causal,
    ReadYourWrites,
    MonotonicReads,
    MonotonicWrites,
    WritesFollowReads,
}

impl Model {
    /// Every model, strongest first.
    pub const ALL: [Model; 7] = [
        Model::Linearizable,
        Model::Sequential,
        Model::Causal,
        Model::ReadYourWrites,
        Model::MonotonicReads,
        Model::MonotonicWrites,
        Model::WritesFollowReads,
    ];

    /// The name used on the command line and in JSON (`read-your-writes`).
    pub fn name(self) -> &'static str {
        match self {
            Model::Linearizable => "linearizable",
            Model::Sequential => "sequential",
            Model::Causal => "causal",
            Model::ReadYourWrites => "read-your-writes",
            Model::MonotonicReads => "monotonic-reads",
            Model::MonotonicWrites => "monotonic-writes",
            Model::WritesFollowReads => "writes-follow-reads",
        }
    }

    /// A title for people ("Read your writes").
    pub fn title(self) -> &'static str {
        match self {
            Model::Linearizable => "Linearizability",
            Model::Sequential => "Sequential consistency",
            Model::Causal => "Causal consistency (causal memory)",
            Model::ReadYourWrites => "Read your writes",
            Model::MonotonicReads => "Monotonic reads",
            Model::MonotonicWrites => "Monotonic writes",
            Model::WritesFollowReads => "Writes follow reads",
        }
    }

    /// Where the definition comes from.
    pub fn source(self) -> &'static str {
        match self {
            Model::Linearizable => "Herlihy and Wing, 1990",
            Model::Sequential => "Lamport, 1979",
            Model::Causal => "Ahamad, Neiger, Burns, Kohli and Hutto, 1995",
            _ => "Terry, Demers, Petersen, Spreitzer, Theimer and Welch, 1994",
        }
    }

    /// A model by name: its [`Model::name`], or a short form (`lin`, `sc`, `ryw`, `mr`,
    /// `mw`, `wfr`, `linearizability`, `sequential-consistency`, ...), any case.
    pub fn from_name(s: &str) -> Option<Model> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        Some(match s.as_str() {
            "linearizable" | "linearizability" | "lin" | "atomic" => Model::Linearizable,
            "sequential" | "sequential-consistency" | "sc" => Model::Sequential,
            "causal" | "causal-consistency" | "causal-memory" | "cc" | "cm" => Model::Causal,
            "read-your-writes" | "ryw" => Model::ReadYourWrites,
            "monotonic-reads" | "mr" => Model::MonotonicReads,
            "monotonic-writes" | "mw" => Model::MonotonicWrites,
            "writes-follow-reads" | "wfr" => Model::WritesFollowReads,
            _ => return None,
        })
    }

    /// Whether every history satisfying `self` satisfies `weaker` (reflexive, transitive:
    /// the closure of [`HIERARCHY`]).
    pub fn implies(self, weaker: Model) -> bool {
        self == weaker
            || HIERARCHY
                .iter()
                .any(|&(s, w)| s == self && w.implies(weaker))
    }
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The direct implications between the models, `(stronger, weaker)`: the edges of the
/// map (Viotti and Vukolić 2016, Figure 2; Jepsen's consistency map), restricted to these
/// models. Sequential consistency sits between linearizability and causal consistency;
/// causal consistency implies each of the four session guarantees (through PRAM for the
/// first three, which this checker does not name).
pub const HIERARCHY: [(Model, Model); 6] = [
    (Model::Linearizable, Model::Sequential),
    (Model::Sequential, Model::Causal),
    (Model::Causal, Model::ReadYourWrites),
    (Model::Causal, Model::MonotonicReads),
    (Model::Causal, Model::MonotonicWrites),
    (Model::Causal, Model::WritesFollowReads),
];

/// What breaks a model: the operations at fault and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The operations at fault. Linearizability and sequential consistency: those that
    /// cannot be ordered (none of them can come next after [`Explanation::prefix`]).
    /// Causal: a cycle, in order (each must precede the next, the last the first).
    /// Session guarantees: the pair that clashes, then the operations linking them. A read
    /// of a value never written: that read.
    pub ops: Vec<OpId>,
    /// Linearizability and sequential consistency: the longest legal order found, as
    /// operation ids in order. Empty for the other models.
    pub prefix: Vec<OpId>,
    /// The key the failure is about, when it is one key's.
    pub key: Option<Text>,
    /// The explanation, in a sentence or two naming the operations.
    pub message: String,
}

/// A model's verdict on a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    Violated(Explanation),
    /// The search gave up (budget exceeded); the reason says so.
    Unknown {
        reason: String,
    },
}

impl Verdict {
    pub fn holds(&self) -> bool {
        matches!(self, Verdict::Holds)
    }

    pub fn is_violated(&self) -> bool {
        matches!(self, Verdict::Violated(_))
    }

    /// A short word: `holds`, `violated`, `unknown`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated(_) => "violated",
            Verdict::Unknown { .. } => "unknown",
        }
    }
}

/// How hard to try, and how to name clients.
#[derive(Clone, Debug)]
pub struct Options {
    /// The most search steps (operations placed) for the linearizability search of each
    /// key and for the sequential-consistency search; past it the verdict is
    /// [`Verdict::Unknown`].
    pub budget: u64,
    /// Names for clients in explanations (`A`); a client without one is `client 3`.
    pub names: BTreeMap<Client, String>,
}

/// The default [`Options::budget`]: a few seconds at most on a laptop for the
/// sequential-consistency search of a 10,000-operation history (much less for a key's
/// linearizability search, whose steps are cheaper).
pub const DEFAULT_BUDGET: u64 = 500_000;

impl Default for Options {
    fn default() -> Self {
        Options {
            budget: DEFAULT_BUDGET,
            names: BTreeMap::new(),
        }
    }
}

/// One model's line of a [`Report`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub model: Model,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// When the verdict was not searched for but follows from another model's: the model
    /// (one that holds and implies this one, or one that is violated and implied by it).
    pub implied_by: Option<Model>,
}

/// Every model's verdict on one history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// In the order of [`Model::ALL`].
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn verdict(&self, model: Model) -> &Verdict {
        &self
            .findings
            .iter()
            .find(|f| f.model == model)
            .expect("a report has every model")
            .verdict
    }

    /// The strongest models the history satisfies: those that hold and are implied by no
    /// other model that holds (several when incomparable session guarantees hold but
    /// causal consistency does not; none when nothing holds).
    pub fn strongest(&self) -> Vec<Model> {
        let holding: Vec<Model> = self
            .findings
            .iter()
            .filter(|f| f.verdict.holds())
            .map(|f| f.model)
            .collect();
        holding
            .iter()
            .copied()
            .filter(|&m| !holding.iter().any(|&s| s != m && s.implies(m)))
            .collect()
    }
}

/// Check one model, by its own algorithm (no shortcut through the hierarchy). Fails when
/// the history is not well formed ([`History::validate`]).
pub fn check(h: &History, model: Model, options: &Options) -> Result<Verdict, HistoryError> {
    h.validate()?;
    let p = match prep::Prepared::new(h, options) {
        Ok(p) => p,
        Err(e) => return Ok(Verdict::Violated(e)),
    };
    Ok(match model {
        Model::Linearizable => linearizable::check(&p, options.budget),
        Model::Sequential => sequential::check(&p, options.budget),
        Model::Causal => causal::check(&p),
        _ => session::check(&p, model),
    })
}

/// Check every model, using the hierarchy to skip what follows: linearizability first;
/// when it holds, everything does. Otherwise causal consistency and the session
/// guarantees are checked, and sequential consistency is searched only when causal
/// consistency holds (when it does not, sequential consistency is violated by the same
/// explanation).
pub fn check_all(h: &History, options: &Options) -> Result<Report, HistoryError> {
    h.validate()?;
    let finding = |model, verdict, implied_by| Finding {
        model,
        verdict,
        implied_by,
    };
    let p = match prep::Prepared::new(h, options) {
        Ok(p) => p,
        Err(e) => {
            let findings = Model::ALL
                .iter()
                .map(|&m| finding(m, Verdict::Violated(e.clone()), None))
                .collect();
            return Ok(Report { findings });
        }
    };
    let lin = linearizable::check(&p, options.budget);
    if lin.holds() {
        let mut findings = vec![finding(Model::Linearizable, lin, None)];
        for &m in &Model::ALL[1..] {
            findings.push(finding(m, Verdict::Holds, Some(Model::Linearizable)));
        }
        return Ok(Report { findings });
    }
    let causal = causal::check(&p);
    let sessions: Vec<Finding> = Model::ALL[3..]
        .iter()
        .map(|&m| {
            if causal.holds() {
                finding(m, Verdict::Holds, Some(Model::Causal))
            } else {
                finding(m, session::check(&p, m), None)
            }
        })
        .collect();
    let sequential = if causal.is_violated() {
        finding(Model::Sequential, causal.clone(), Some(Model::Causal))
    } else {
        finding(
            Model::Sequential,
            sequential::check(&p, options.budget),
            None,
        )
    };
    // Linearizability's own search may have run out of budget where a weaker model
    // shows the history is not even that.
    let lin = match (&lin, &sequential.verdict) {
        (Verdict::Unknown { .. }, v @ Verdict::Violated(_)) => {
            let by = sequential.implied_by.unwrap_or(Model::Sequential);
            finding(Model::Linearizable, v.clone(), Some(by))
        }
        _ => finding(Model::Linearizable, lin, None),
    };
    let mut findings = vec![lin, sequential, finding(Model::Causal, causal, None)];
    findings.extend(sessions);
    Ok(Report { findings })
}

/// How many operations of each kind and outcome a history has, for a summary line.
pub fn summary(h: &History) -> String {
    let count = |f: &dyn Fn(&crate::history::Op) -> bool| h.ops.iter().filter(|o| f(o)).count();
    let mut clients: Vec<Client> = h.ops.iter().map(|o| o.client).collect();
    clients.sort_unstable();
    clients.dedup();
    let n = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    format!(
        "{} ({}, {}; {} pending, {} failed), {}, {}",
        n(h.ops.len(), "operation", "operations"),
        n(count(&|o| o.kind == OpKind::Write), "write", "writes"),
        n(count(&|o| o.kind == OpKind::Read), "read", "reads"),
        count(&|o| o.outcome == Outcome::Pending),
        count(&|o| o.outcome == Outcome::Fail),
        n(clients.len(), "client", "clients"),
        n(h.keys().len(), "key", "keys")
    )
}
