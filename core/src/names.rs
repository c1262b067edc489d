//! Node names in serialized forms.
//!
//! Inside the simulator a node is a dense index ([`NodeId`]). People write and read node
//! names (`n1`, `broker`, `coord`), which depend on the algorithm and its parameters. While
//! a scenario or trace is (de)serialized, the loader installs the algorithm's name table
//! with [`with_names`]; [`NodeId`] then reads a name or an index and writes the name.
//! Outside such a scope it reads and writes plain indexes.

use crate::sim::NodeId;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::RefCell;
use std::fmt;

thread_local! {
    static NAMES: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Run `f` with `names` as the table used to read and write node ids.
pub fn with_names<R>(names: &[String], f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Vec<String>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let old = self.0.take();
            NAMES.with(|n| *n.borrow_mut() = old);
        }
    }
    let old = NAMES.with(|n| n.borrow_mut().replace(names.to_vec()));
    let _restore = Restore(old);
    f()
}

fn lookup(name: &str) -> Result<NodeId, String> {
    NAMES.with(|n| match n.borrow().as_ref() {
        Some(names) => names
            .iter()
            .position(|x| x == name)
            .map(|i| NodeId(i as u32))
            .ok_or_else(|| format!("unknown node `{name}` (nodes are {})", names.join(", "))),
        None => Err(format!(
            "node `{name}` given by name where only an index is accepted"
        )),
    })
}

fn name_of(id: NodeId) -> Option<String> {
    NAMES.with(|n| {
        n.borrow()
            .as_ref()
            .and_then(|names| names.get(id.index()).cloned())
    })
}

fn check_index(id: NodeId) -> Result<NodeId, String> {
    NAMES.with(|n| match n.borrow().as_ref() {
        Some(names) if id.index() >= names.len() => Err(format!(
            "node index {} out of range (there are {} nodes)",
            id.0,
            names.len()
        )),
        _ => Ok(id),
    })
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match name_of(*self) {
            Some(name) => s.serialize_str(&name),
            None => s.serialize_u32(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NodeId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a node name such as \"n1\" or a node index")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeId, E> {
                lookup(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeId, E> {
                let id = u32::try_from(v)
                    .map(NodeId)
                    .map_err(|_| E::custom(format!("node index {v} out of range")))?;
                check_index(id).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeId, E> {
                if v < 0 {
                    return Err(E::custom(format!("node index {v} is negative")));
                }
                self.visit_u64(v as u64)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_inside_scope() {
        let names = vec!["n1".to_string(), "broker".to_string()];
        let json = with_names(&names, || serde_json::to_string(&NodeId(1)).unwrap());
        assert_eq!(json, "\"broker\"");
        let id: NodeId = with_names(&names, || serde_json::from_str("\"broker\"").unwrap());
        assert_eq!(id, NodeId(1));
        let err = with_names(&names, || {
            serde_json::from_str::<NodeId>("\"n9\"").unwrap_err()
        });
        assert!(err.to_string().contains("unknown node `n9`"), "{err}");
        let err = with_names(&names, || serde_json::from_str::<NodeId>("5").unwrap_err());
        assert!(err.to_string().contains("out of range"), "{err}");
    }

    #[test]
    fn plain_indexes_outside_scope() {
        assert_eq!(serde_json::to_string(&NodeId(3)).unwrap(), "3");
        let id: NodeId = serde_json::from_str("3").unwrap();
        assert_eq!(id, NodeId(3));
        assert!(serde_json::from_str::<NodeId>("\"n1\"").is_err());
    }
}
