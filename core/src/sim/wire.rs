//! How an [`Action`](super::Action) is read: `{"crash": {"node": "n1"}}`, `"heal"`.
//!
//! The variant's name is read as serde's derive reads it; its fields by one reader into
//! one struct of every field any variant has, refusing a field the variant does not take,
//! then checked for the fields it needs. serde's derive would compile a reader per variant
//! (a visitor, its field names, its checks for missing and repeated fields): some 10 KB of
//! each page's code, growing with every kind of fault. The messages and paths are those
//! the derive gives (`missing field `node``, `unknown field `x`, expected `node``,
//! `unknown variant ...`); a field given twice keeps the last (JSON objects read here
//! have been parsed into maps already, with one value per key).

use super::{LinkParams, MsgId, NodeId, Time};
use serde::de::{self, Deserializer, EnumAccess, MapAccess, VariantAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// An action as read (turned into [`super::Action`] by `From`).
pub struct Action<C>(super::Action<C>);

impl<C> From<Action<C>> for super::Action<C> {
    fn from(a: Action<C>) -> Self {
        a.0
    }
}

/// The variants, in the order of [`NAMES`].
#[derive(Clone, Copy, Deserialize)]
#[serde(rename = "Action", rename_all = "snake_case")]
enum Kind {
    Command,
    Crash,
    Restart,
    Pause,
    Resume,
    Partition,
    Cut,
    Heal,
    Network,
    Link,
    DropMessage,
    DelayMessage,
    Clock,
    Open,
    End,
}

const NAMES: &[&str] = &[
    "command",
    "crash",
    "restart",
    "pause",
    "resume",
    "partition",
    "cut",
    "heal",
    "network",
    "link",
    "drop_message",
    "delay_message",
    "clock",
    "open",
    "end",
];

/// Every field of every variant (each variant takes some of them).
struct Fields<C> {
    node: Option<NodeId>,
    cmd: Option<C>,
    groups: Option<Vec<Vec<NodeId>>>,
    a: Option<NodeId>,
    b: Option<NodeId>,
    one_way: Option<bool>,
    from: Option<NodeId>,
    to: Option<NodeId>,
    latency: Option<[Time; 2]>,
    loss: Option<f64>,
    duplicate: Option<f64>,
    both: Option<bool>,
    id: Option<MsgId>,
    by: Option<Time>,
    rate: Option<f64>,
    jump: Option<i64>,
    window: Option<u32>,
    fault: Option<Box<super::Action<C>>>,
}

/// The fields each variant takes.
fn fields_of(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Command => &["node", "cmd"],
        Kind::Crash | Kind::Restart | Kind::Pause | Kind::Resume => &["node"],
        Kind::Partition => &["groups"],
        Kind::Cut => &["a", "b", "one_way"],
        Kind::Heal => &[],
        Kind::Network => &["latency", "loss", "duplicate"],
        Kind::Link => &["from", "to", "latency", "loss", "duplicate", "both"],
        Kind::DropMessage => &["id"],
        Kind::DelayMessage => &["id", "by"],
        Kind::Clock => &["node", "rate", "jump"],
        Kind::Open => &["window", "fault"],
        Kind::End => &["window"],
    }
}

/// A field the variant needs.
fn need<T, E: de::Error>(v: Option<T>, name: &'static str) -> Result<T, E> {
    v.ok_or_else(|| E::missing_field(name))
}

impl<C> Fields<C> {
    fn into_action<E: de::Error>(self, kind: Kind) -> Result<super::Action<C>, E> {
        use super::Action as A;
        let f = self;
        Ok(match kind {
            Kind::Command => A::Command {
                node: need(f.node, "node")?,
                cmd: need(f.cmd, "cmd")?,
            },
            Kind::Crash => A::Crash {
                node: need(f.node, "node")?,
            },
            Kind::Restart => A::Restart {
                node: need(f.node, "node")?,
            },
            Kind::Pause => A::Pause {
                node: need(f.node, "node")?,
            },
            Kind::Resume => A::Resume {
                node: need(f.node, "node")?,
            },
            Kind::Partition => A::Partition {
                groups: need(f.groups, "groups")?,
            },
            Kind::Cut => A::Cut {
                a: need(f.a, "a")?,
                b: need(f.b, "b")?,
                one_way: f.one_way.unwrap_or(false),
            },
            Kind::Heal => A::Heal,
            Kind::Network => A::Network {
                latency: f.latency,
                loss: f.loss,
                duplicate: f.duplicate,
            },
            Kind::Link => A::Link {
                from: need(f.from, "from")?,
                to: need(f.to, "to")?,
                params: LinkParams {
                    latency: f.latency.unwrap_or(LinkParams::default().latency),
                    loss: f.loss.unwrap_or(0.0),
                    duplicate: f.duplicate.unwrap_or(0.0),
                },
                both: f.both.unwrap_or(false),
            },
            Kind::DropMessage => A::DropMessage {
                id: need(f.id, "id")?,
            },
            Kind::DelayMessage => A::DelayMessage {
                id: need(f.id, "id")?,
                by: need(f.by, "by")?,
            },
            Kind::Clock => A::Clock {
                node: need(f.node, "node")?,
                rate: f.rate,
                jump: f.jump,
            },
            Kind::Open => A::Open {
                window: need(f.window, "window")?,
                fault: need(f.fault, "fault")?,
            },
            Kind::End => A::End {
                window: need(f.window, "window")?,
            },
        })
    }
}

impl<'de, C: Deserialize<'de>> Deserialize<'de> for Action<C> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_enum("Action", NAMES, ActionVisitor(PhantomData))
    }
}

struct ActionVisitor<C>(PhantomData<C>);

impl<'de, C: Deserialize<'de>> Visitor<'de> for ActionVisitor<C> {
    type Value = Action<C>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("enum Action")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Action<C>, A::Error> {
        let (kind, variant) = data.variant::<Kind>()?;
        let action = if let Kind::Heal = kind {
            variant.unit_variant()?;
            super::Action::Heal
        } else {
            let fields = FieldsVisitor {
                kind,
                cmd: PhantomData,
            };
            variant.struct_variant(fields_of(kind), fields)?
        };
        Ok(Action(action))
    }
}

/// Reads the fields of one variant, refusing those it does not take.
struct FieldsVisitor<C> {
    kind: Kind,
    cmd: PhantomData<C>,
}

impl<'de, C: Deserialize<'de>> Visitor<'de> for FieldsVisitor<C> {
    type Value = super::Action<C>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct variant")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<super::Action<C>, M::Error> {
        let allowed = fields_of(self.kind);
        let mut f = Fields {
            node: None,
            cmd: None,
            groups: None,
            a: None,
            b: None,
            one_way: None,
            from: None,
            to: None,
            latency: None,
            loss: None,
            duplicate: None,
            both: None,
            id: None,
            by: None,
            rate: None,
            jump: None,
            window: None,
            fault: None,
        };
        while let Some(key) = map.next_key::<String>()? {
            let key = &*key;
            if !allowed.contains(&key) {
                return Err(de::Error::unknown_field(key, allowed));
            }
            match key {
                "node" => f.node = Some(map.next_value()?),
                "cmd" => f.cmd = Some(map.next_value()?),
                "groups" => f.groups = Some(map.next_value()?),
                "a" => f.a = Some(map.next_value()?),
                "b" => f.b = Some(map.next_value()?),
                "one_way" => f.one_way = Some(map.next_value()?),
                "from" => f.from = Some(map.next_value()?),
                "to" => f.to = Some(map.next_value()?),
                "latency" => f.latency = Some(map.next_value()?),
                "loss" => f.loss = Some(map.next_value()?),
                "duplicate" => f.duplicate = Some(map.next_value()?),
                "both" => f.both = Some(map.next_value()?),
                "id" => f.id = Some(map.next_value()?),
                "by" => f.by = Some(map.next_value()?),
                "rate" => f.rate = Some(map.next_value()?),
                "jump" => f.jump = Some(map.next_value()?),
                "window" => f.window = Some(map.next_value()?),
                _ => f.fault = Some(map.next_value()?),
            }
        }
        f.into_action(self.kind)
    }
}
