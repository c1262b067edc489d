//! [`History`]: what the clients of a register store saw, operation by operation.
//!
//! A history is the input of the consistency-model checker and the output of the key-value
//! store's runs; it can also be written by hand (a lecture's example) or imported from a
//! file. It follows the vocabulary of Herlihy and Wing (1990) and of Jepsen: each operation
//! is *invoked* by one client (a process, sequential: a client has at most one operation
//! open at a time) and then either *completes* with a result, *fails* (it certainly took no
//! effect), or stays *pending* (no answer: it may or may not have taken effect, at any time
//! after its invocation).
//!
//! Every key is a register that starts empty (a read of it returns `None`), and every value
//! written is unique across the history, so a read names the write it saw.

use crate::text::Text;
use crate::Time;
use serde::{Deserialize, Serialize};

/// A value written to a register. Values are unique in a history: the write of value 7 is
/// the only one that a read returning 7 can have seen.
pub type Value = u64;

/// A client (process) of the history. Its operations do not overlap in time.
pub type Client = u32;

/// What an operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Writes `value` to the key.
    Write,
    /// Reads the key; `value` is what it returned (`None`: the key was empty).
    Read,
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered: a write took effect; a read returned `value`.
    Ok,
    /// Refused: the operation certainly took no effect (Jepsen's `:fail`).
    Fail,
    /// No answer (a timeout, a crash, the run ended): a write may take effect at any time
    /// after its invocation or never; a pending read constrains nothing (Jepsen's `:info`).
    Pending,
}

/// One operation of a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    pub client: Client,
    pub key: Text,
    pub kind: OpKind,
    /// For a write, the value written (always `Some`). For a read that is `Ok`, the value it
    /// returned (`None`: empty). For a read that failed or is pending, `None`.
    pub value: Option<Value>,
    /// When the client invoked it.
    pub invoke: Time,
    /// When the answer reached the client; `None` while pending.
    pub complete: Option<Time>,
    pub outcome: Outcome,
}

impl Op {
    pub fn is_write(&self) -> bool {
        self.kind == OpKind::Write
    }

    pub fn is_read(&self) -> bool {
        self.kind == OpKind::Read
    }

    /// Whether this operation certainly ended before `other` was invoked (real-time order).
    pub fn precedes(&self, other: &Op) -> bool {
        self.outcome == Outcome::Ok && self.complete.is_some_and(|c| c < other.invoke)
    }
}

/// A history: operations in the order they were invoked (ties keep their order). An
/// operation's index in `ops` is its identity in explanations (`OpId`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub ops: Vec<Op>,
}

/// An operation's index in [`History::ops`].
pub type OpId = usize;

/// Why a history is not well formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryError {
    /// The operation at fault, when one is.
    pub op: Option<OpId>,
    pub message: String,
}

impl std::fmt::Display for HistoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.op {
            Some(i) => write!(f, "operation {i}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for HistoryError {}

impl History {
    pub fn new() -> Self {
        History::default()
    }

    /// Appends an operation; returns its id.
    pub fn push(&mut self, op: Op) -> OpId {
        self.ops.push(op);
        self.ops.len() - 1
    }

    /// Checks what the checkers rely on: operations in invocation order, a completion not
    /// before its invocation and present exactly when the outcome is not pending, writes
    /// with a value, failed and pending reads without one, written values unique, and each
    /// client's operations one after another (a client invokes only after its previous
    /// operation was answered; after a pending one it invokes nothing more).
    pub fn validate(&self) -> Result<(), HistoryError> {
        let bad = |op: OpId, message: String| HistoryError {
            op: Some(op),
            message,
        };
        let mut written = std::collections::HashMap::new();
        // Per client: when its last operation completed (`None`: it is pending).
        let mut last: std::collections::HashMap<Client, Option<Time>> = Default::default();
        for (i, op) in self.ops.iter().enumerate() {
            if i > 0 && op.invoke < self.ops[i - 1].invoke {
                return Err(bad(
                    i,
                    "invoked before the operation listed before it".into(),
                ));
            }
            match (op.outcome, op.complete) {
                (Outcome::Pending, Some(_)) => {
                    return Err(bad(i, "pending, yet it has a completion time".into()))
                }
                (Outcome::Ok | Outcome::Fail, None) => {
                    return Err(bad(i, "answered, yet it has no completion time".into()))
                }
                (_, Some(c)) if c < op.invoke => {
                    return Err(bad(
                        i,
                        format!("completes at {c}, before its invocation at {}", op.invoke),
                    ))
                }
                _ => {}
            }
            match (op.kind, op.outcome, op.value) {
                (OpKind::Write, _, None) => return Err(bad(i, "a write without a value".into())),
                (OpKind::Write, _, Some(v)) => {
                    if let Some(j) = written.insert(v, i) {
                        return Err(bad(i, format!("writes {v}, which operation {j} wrote already: written values must be unique")));
                    }
                }
                (OpKind::Read, Outcome::Fail | Outcome::Pending, Some(_)) => {
                    return Err(bad(
                        i,
                        "a read with no answer cannot have returned a value".into(),
                    ))
                }
                _ => {}
            }
            match last.get(&op.client) {
                Some(None) => {
                    return Err(bad(
                        i,
                        format!(
                            "client {} invokes it while its previous operation is pending",
                            op.client
                        ),
                    ))
                }
                Some(Some(c)) if *c > op.invoke => {
                    return Err(bad(
                        i,
                        format!(
                        "client {} invokes it at {} before its previous operation completed at {c}",
                        op.client, op.invoke
                    ),
                    ))
                }
                _ => {}
            }
            last.insert(op.client, op.complete);
        }
        Ok(())
    }

    /// The keys of the history, in order of first use.
    pub fn keys(&self) -> Vec<Text> {
        let mut keys: Vec<Text> = Vec::new();
        for op in &self.ops {
            if !keys.contains(&op.key) {
                keys.push(op.key.clone());
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(
        client: Client,
        kind: OpKind,
        value: Option<Value>,
        invoke: Time,
        complete: Option<Time>,
    ) -> Op {
        Op {
            client,
            key: "x".into(),
            kind,
            value,
            invoke,
            complete,
            outcome: if complete.is_some() {
                Outcome::Ok
            } else {
                Outcome::Pending
            },
        }
    }

    #[test]
    fn a_well_formed_history_validates() {
        let mut h = History::new();
        h.push(op(1, OpKind::Write, Some(1), 0, Some(10)));
        h.push(op(2, OpKind::Read, Some(1), 5, Some(12)));
        h.push(op(1, OpKind::Read, None, 11, None));
        assert_eq!(h.validate(), Ok(()));
        assert!(h.ops[0].precedes(&h.ops[2]));
        assert!(!h.ops[0].precedes(&h.ops[1]));
        assert_eq!(h.keys().len(), 1);
    }

    #[test]
    fn malformed_histories_are_refused_with_the_operation() {
        let cases: Vec<(Vec<Op>, &str)> = vec![
            (
                vec![
                    op(1, OpKind::Write, Some(1), 5, Some(9)),
                    op(2, OpKind::Write, Some(2), 4, Some(9)),
                ],
                "invoked before",
            ),
            (
                vec![op(1, OpKind::Write, None, 0, Some(1))],
                "without a value",
            ),
            (
                vec![
                    op(1, OpKind::Write, Some(1), 0, Some(1)),
                    op(2, OpKind::Write, Some(1), 2, Some(3)),
                ],
                "unique",
            ),
            (
                vec![
                    op(1, OpKind::Write, Some(1), 0, None),
                    op(1, OpKind::Write, Some(2), 2, Some(3)),
                ],
                "pending",
            ),
            (
                vec![
                    op(1, OpKind::Write, Some(1), 0, Some(5)),
                    op(1, OpKind::Write, Some(2), 2, Some(6)),
                ],
                "before its previous",
            ),
            (
                vec![op(1, OpKind::Read, Some(1), 5, Some(2))],
                "before its invocation",
            ),
        ];
        for (ops, words) in cases {
            let err = History { ops: ops.clone() }.validate().unwrap_err();
            assert!(err.to_string().contains(words), "{ops:?}: {err}");
            assert!(err.op.is_some());
        }
    }
}
