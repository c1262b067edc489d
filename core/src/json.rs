//! JSON for people: indented files, and typed values read with the field at fault named.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, Deserialize, DeserializeOwned, DeserializeSeed, EnumAccess, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde_json::{Error, Map, Value};
use std::cell::RefCell;

/// Read a `T` from a JSON value. An error comes back with the path of the value it is
/// about (`params.nodes`, `[2].action.crash.node`; `.` for the value as a whole).
///
/// The value is read as `serde_json` reads a `&Value`, with the same messages; the reader
/// also keeps the keys and indexes it is under, and leaves them where an error happened.
/// That costs a push per key or element, where wrapping the visitors of the types read
/// (as `serde_path_to_error` does) would compile each of them again.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, (String, String)> {
    let trail = Trail::default();
    T::deserialize(At {
        value,
        trail: &trail,
    })
    .map_err(|e| (trail.path(), e.to_string()))
}

/// One step from a value to a value inside it.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The steps from the top to the value read now.
#[derive(Default)]
struct Trail<'a>(RefCell<Vec<Step<'a>>>);

impl<'a> Trail<'a> {
    fn depth(&self) -> usize {
        self.0.borrow().len()
    }

    /// Back to `depth` steps, then one more.
    fn step(&self, depth: usize, step: Option<Step<'a>>) {
        let mut steps = self.0.borrow_mut();
        steps.truncate(depth);
        steps.extend(step);
    }

    /// As `serde_path_to_error` writes paths: `a.b[2].c`, `.` for none.
    fn path(&self) -> String {
        let mut out = String::new();
        for step in self.0.borrow().iter() {
            match step {
                Step::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Step::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        if out.is_empty() {
            out.push('.');
        }
        out
    }
}

/// A value being read, and where it is.
#[derive(Clone, Copy)]
struct At<'a> {
    value: &'a Value,
    trail: &'a Trail<'a>,
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (_, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'a> At<'a> {
    fn array<V: Visitor<'a>>(self, items: &'a [Value], visitor: V) -> Result<V::Value, Error> {
        let depth = self.trail.depth();
        let mut seq = Items {
            items: items.iter(),
            next: 0,
            depth,
            trail: self.trail,
        };
        let out = visitor.visit_seq(&mut seq)?;
        self.trail.step(depth, None);
        match seq.items.len() {
            0 => Ok(out),
            _ => Err(de::Error::invalid_length(
                items.len(),
                &"fewer elements in array",
            )),
        }
    }

    fn object<V: Visitor<'a>>(
        self,
        entries: &'a Map<String, Value>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let depth = self.trail.depth();
        let mut map = Entries {
            entries: entries.iter(),
            value: None,
            depth,
            trail: self.trail,
        };
        let out = visitor.visit_map(&mut map)?;
        self.trail.step(depth, None);
        match map.entries.len() {
            0 => Ok(out),
            _ => Err(de::Error::invalid_length(
                entries.len(),
                &"fewer elements in map",
            )),
        }
    }
}

impl<'de> de::Deserializer<'de> for At<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => n.deserialize_any(visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => self.array(items, visitor),
            Value::Object(entries) => self.object(entries, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let (name, value) = match self.value {
            Value::String(name) => (name, None),
            Value::Object(entries) => {
                let mut it = entries.iter();
                match (it.next(), it.next()) {
                    (Some((name, value)), None) => (name, Some(value)),
                    _ => {
                        return Err(de::Error::invalid_value(
                            Unexpected::Map,
                            &"map with a single key",
                        ))
                    }
                }
            }
            other => return Err(de::Error::invalid_type(unexpected(other), &"string or map")),
        };
        visitor.visit_enum(Variant {
            name,
            value,
            depth: self.trail.depth(),
            trail: self.trail,
        })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    // Each of these visits only the kinds of value it takes (as `serde_json` does for a
    // `&Value`): forwarding them all to `deserialize_any` would compile every other visit
    // (and its error) for every type read.

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            other => Err(refused(other, &visitor)),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Number(n) => n.deserialize_any(visitor),
            other => Err(refused(other, &visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_borrowed_str(s),
            other => Err(refused(other, &visitor)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            other => Err(refused(other, &visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Array(items) => self.array(items, visitor),
            other => Err(refused(other, &visitor)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Object(entries) => self.object(entries, visitor),
            other => Err(refused(other, &visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // Only an object: serde's derive would also take the fields in order from an
        // array (`"run": [100]`), which nobody writes, and each struct's reader of arrays
        // would be in the pages.
        match self.value {
            Value::Object(entries) => self.object(entries, visitor),
            other => Err(refused(other, &AnObject(&visitor))),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 bytes byte_buf
    }
}

/// The error for a value of a kind the type does not take.
#[cold]
fn refused(value: &Value, expected: &dyn de::Expected) -> Error {
    de::Error::invalid_type(unexpected(value), expected)
}

/// What a struct wants: `an object (struct Doc)`.
struct AnObject<'a>(&'a dyn de::Expected);

impl de::Expected for AnObject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an object ({})", self.0)
    }
}

/// The elements of an array being read.
struct Items<'a> {
    items: std::slice::Iter<'a, Value>,
    next: usize,
    depth: usize,
    trail: &'a Trail<'a>,
}

impl<'a> SeqAccess<'a> for Items<'a> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'a>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some(value) = self.items.next() else {
            self.trail.step(self.depth, None);
            return Ok(None);
        };
        self.trail.step(self.depth, Some(Step::Index(self.next)));
        self.next += 1;
        seed.deserialize(At {
            value,
            trail: self.trail,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of an object being read.
struct Entries<'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
    depth: usize,
    trail: &'a Trail<'a>,
}

impl<'a> MapAccess<'a> for Entries<'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            self.trail.step(self.depth, None);
            return Ok(None);
        };
        // A key refused (an unknown field) is named too.
        self.trail.step(self.depth, Some(Step::Key(key)));
        self.value = Some(value);
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value is missing"))?;
        seed.deserialize(At {
            value,
            trail: self.trail,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum being read: its variant's name, and what the variant holds.
struct Variant<'a> {
    name: &'a str,
    value: Option<&'a Value>,
    depth: usize,
    trail: &'a Trail<'a>,
}

impl<'a> Variant<'a> {
    /// What the variant holds (the trail is at its name).
    fn inside(&self, value: &'a Value) -> At<'a> {
        At {
            value,
            trail: self.trail,
        }
    }

    fn done<T>(&self, out: T) -> T {
        self.trail.step(self.depth, None);
        out
    }
}

impl<'a> EnumAccess<'a> for Variant<'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'a>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        // An unknown variant is the enum's error: named before the step into it.
        let v = seed.deserialize(BorrowedStrDeserializer::new(self.name))?;
        self.trail.step(self.depth, Some(Step::Key(self.name)));
        Ok((v, self))
    }
}

impl<'a> VariantAccess<'a> for Variant<'a> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        if let Some(value) = self.value {
            <()>::deserialize(self.inside(value))?;
        }
        self.done(());
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'a>>(self, seed: S) -> Result<S::Value, Error> {
        match self.value {
            Some(value) => {
                let out = seed.deserialize(self.inside(value))?;
                Ok(self.done(out))
            }
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Some(Value::Array(items)) if items.is_empty() => visitor.visit_unit(),
            Some(value @ Value::Array(items)) => {
                let out = self.inside(value).array(items, visitor)?;
                Ok(self.done(out))
            }
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &"tuple variant")),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Some(value @ Value::Object(entries)) => {
                let out = self.inside(value).object(entries, visitor)?;
                Ok(self.done(out))
            }
            Some(other) => Err(de::Error::invalid_type(
                unexpected(other),
                &"struct variant",
            )),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}

/// Indent compact JSON for people (scenario files, traces written by the CLI), keeping the
/// order of the fields. Input that is not JSON comes back unchanged.
pub fn pretty_json(json: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(json).is_err() {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on one line.
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.push(chars.next().unwrap_or(' '));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        n: u32,
        #[serde(default)]
        list: Vec<Option<u8>>,
        #[serde(default)]
        e: Vec<E>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum E {
        Unit,
        One(u8),
        Two { a: u8 },
    }

    fn err(v: serde_json::Value) -> (String, String) {
        from_value::<Doc>(&v).unwrap_err()
    }

    #[test]
    fn errors_name_the_value_at_fault() {
        let ok: Doc = from_value(&json!({ "n": 1, "list": [1, null], "e": ["unit", { "one": 2 }, { "two": { "a": 3 } }] })).unwrap();
        assert_eq!(ok.list, [Some(1), None]);
        assert_eq!(err(json!({ "n": -1 })).0, "n");
        assert_eq!(err(json!({ "n": 1, "x": 0 })).0, "x");
        assert_eq!(err(json!({})), (".".into(), "missing field `n`".into()));
        assert_eq!(err(json!({ "n": 1, "list": [1, 300] })).0, "list[1]");
        assert_eq!(err(json!({ "n": 1, "e": ["six"] })).0, "e[0]");
        assert_eq!(
            err(json!({ "n": 1, "e": [{ "two": { "a": "x" } }] })).0,
            "e[0].two.a"
        );
        assert_eq!(err(json!({ "n": 1, "e": [{ "two": {} }] })).0, "e[0].two");
        assert_eq!(
            err(json!({ "n": 1, "e": [{ "one": 1, "two": 2 }] })).0,
            "e[0]"
        );
        assert_eq!(err(json!({ "n": 1, "e": ["one"] })).0, "e[0].one");
        assert_eq!(
            err(json!([1, [], [], 4])),
            (
                ".".into(),
                "invalid type: sequence, expected an object (struct Doc)".into()
            )
        );
        assert_eq!(
            err(json!({ "n": 1, "e": [{ "two": [1] }] })),
            (
                "e[0].two".into(),
                "invalid type: sequence, expected struct variant".into()
            )
        );
        assert_eq!(
            err(json!("x")).1,
            "invalid type: string \"x\", expected an object (struct Doc)"
        );
    }
}
