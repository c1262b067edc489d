//! [`Text`]: an immutable string that is cheap to clone, for data a protocol copies on
//! every message (keys and values in log entries, say).
//!
//! Up to [`INLINE`] bytes are kept in the value itself, so cloning copies 24 bytes and
//! touches neither the heap nor a reference count; longer strings are shared behind an
//! `Arc<str>`. An `Arc<str>` for every key and value cost two atomic increments per
//! entry copied and two decrements per entry dropped: a fifth of a Raft run's time under
//! client load, where each AppendEntries carries a score of entries and each follower
//! copies them into its log.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// The longest string kept inline, in bytes.
pub const INLINE: usize = 22;

/// An immutable string: inline up to [`INLINE`] bytes, shared beyond. Compares, hashes,
/// orders, prints and serialises as its `str`.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    /// `len` bytes of `bytes`, always valid UTF-8 (copied from a `str`).
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    Shared(Arc<str>),
}

impl Text {
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                let bytes = &bytes[..*len as usize];
                // SAFETY: `Inline` is only built by `From<&str>`, from the bytes of a
                // `str`, whole: they are valid UTF-8.
                unsafe { std::str::from_utf8_unchecked(bytes) }
            }
            Repr::Shared(s) => s,
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        if s.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Text(Repr::Inline {
                len: s.len() as u8,
                bytes,
            })
        } else {
            Text(Repr::Shared(s.into()))
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::from(s.as_str())
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_strings_read_back_the_same() {
        for s in [
            "",
            "x",
            "k3",
            "é€😀",
            &"a".repeat(INLINE),
            &"b".repeat(INLINE + 1),
        ] {
            let t = Text::from(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(t.clone(), t);
            assert_eq!(format!("{t}"), s);
            assert_eq!(format!("{t:?}"), format!("{s:?}"));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
        assert!(matches!(
            Text::from("a".repeat(INLINE).as_str()).0,
            Repr::Inline { .. }
        ));
        assert!(matches!(
            Text::from("a".repeat(INLINE + 1).as_str()).0,
            Repr::Shared(_)
        ));
        // A multi-byte character is never split: 21 ASCII bytes and a 2-byte one are 23.
        let s = format!("{}é", "a".repeat(INLINE - 1));
        assert_eq!(Text::from(s.as_str()).as_str(), s);
    }

    #[test]
    fn it_orders_and_compares_as_its_str() {
        let mut v: Vec<Text> = ["b", "a", "ab", &"z".repeat(30)].map(Text::from).to_vec();
        v.sort();
        let got: Vec<&str> = v.iter().map(|t| t.as_str()).collect();
        assert_eq!(got, ["a", "ab", "b", &"z".repeat(30)]);
        assert_eq!(Text::from("k1"), "k1");
        assert_ne!(Text::from("k1"), Text::from("k2"));
        assert_eq!(std::mem::size_of::<Text>(), 24);
    }
}
