//! The network model: per-link latency range, loss and duplication rates, blocked links.

use super::{NodeId, Time};
use crate::collections::{VecMap, VecSet};
use serde::{Deserialize, Serialize};

/// Largest latency accepted anywhere (ms of simulated time): one hour.
pub const MAX_LATENCY: Time = 3_600_000;

/// How one directed link behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkParams {
    /// Delivery delay drawn uniformly from `[min, max]` ms.
    #[serde(default = "default_latency")]
    pub latency: [Time; 2],
    /// Probability in `[0, 1]` that a message is lost.
    #[serde(default)]
    pub loss: f64,
    /// Probability in `[0, 1]` that a message is delivered twice.
    #[serde(default)]
    pub duplicate: f64,
}

fn default_latency() -> [Time; 2] {
    [10, 50]
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            latency: default_latency(),
            loss: 0.0,
            duplicate: 0.0,
        }
    }
}

/// Check a probability field; `field` names it in the message.
pub fn check_probability(field: &str, p: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(format!("{field}: must be between 0 and 1 (got {p})"))
    }
}

/// Check a latency range field.
pub fn check_latency(field: &str, [lo, hi]: [Time; 2]) -> Result<(), String> {
    if lo > hi {
        Err(format!(
            "{field}: the minimum ({lo}) is larger than the maximum ({hi})"
        ))
    } else if hi > MAX_LATENCY {
        Err(format!(
            "{field}: must be at most {MAX_LATENCY} ms (got {hi})"
        ))
    } else {
        Ok(())
    }
}

impl LinkParams {
    pub fn validate(&self, field: &str) -> Result<(), String> {
        check_latency(&format!("{field}.latency"), self.latency)?;
        check_probability(&format!("{field}.loss"), self.loss)?;
        check_probability(&format!("{field}.duplicate"), self.duplicate)
    }
}

/// The whole network: defaults, per-link overrides and the set of cut links.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Network {
    pub default: LinkParams,
    links: VecMap<(NodeId, NodeId), LinkParams>,
    blocked: VecSet<(NodeId, NodeId)>,
}

impl Network {
    pub fn new(default: LinkParams) -> Self {
        Network {
            default,
            ..Network::default()
        }
    }

    /// The parameters of the directed link `from -> to`.
    pub fn link(&self, from: NodeId, to: NodeId) -> &LinkParams {
        self.links.get(&(from, to)).unwrap_or(&self.default)
    }

    pub fn set_link(&mut self, from: NodeId, to: NodeId, p: LinkParams) {
        self.links.insert((from, to), p);
    }

    /// Per-link overrides, in order.
    pub fn overrides(&self) -> impl Iterator<Item = (NodeId, NodeId, &LinkParams)> {
        self.links.iter().map(|(&(a, b), p)| (a, b, p))
    }

    pub fn is_blocked(&self, from: NodeId, to: NodeId) -> bool {
        self.blocked.contains(&(from, to))
    }

    /// Cut both directions between `a` and `b`.
    pub fn cut(&mut self, a: NodeId, b: NodeId) {
        self.blocked.insert((a, b));
        self.blocked.insert((b, a));
    }

    /// Split the nodes into groups that cannot reach each other. Nodes named in no group
    /// form one more group together.
    pub fn partition(&mut self, n: u32, groups: &[Vec<NodeId>]) {
        let mut group_of = vec![usize::MAX; n as usize];
        for (g, members) in groups.iter().enumerate() {
            for m in members {
                if let Some(slot) = group_of.get_mut(m.index()) {
                    *slot = g;
                }
            }
        }
        for a in 0..n {
            for b in 0..n {
                if group_of[a as usize] != group_of[b as usize] {
                    self.blocked.insert((NodeId(a), NodeId(b)));
                }
            }
        }
    }

    /// Restore every cut link (latency and loss settings stay).
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// Cut directed links, in order.
    pub fn blocked(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.blocked.iter().copied()
    }

    pub fn is_partitioned(&self) -> bool {
        !self.blocked.is_empty()
    }

    /// Whether every directed link behaves the same in both networks (latency, loss and
    /// duplication, whether set by default or per link); cut links are not compared.
    pub fn same_settings(&self, other: &Network) -> bool {
        self.default == other.default
            && self
                .links
                .keys()
                .chain(other.links.keys())
                .all(|&(a, b)| self.link(a, b) == other.link(a, b))
    }
}
