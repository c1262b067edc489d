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
        Err(format!(
            "{field}: must be between 0 and 1 (got {})",
            crate::decimal::short(p)
        ))
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

/// The whole network: defaults, per-link overrides and cut links, each set either for good
/// (by an action outside any fault window) or by an open fault window, which adds its own
/// layer on top and takes it away again when it ends.
///
/// A window's settings apply over the settings for good while it is open; windows opened
/// later apply over those opened earlier; a per-link setting applies over the defaults,
/// as ever. An action outside any window is the last word on what it sets: it also takes
/// that setting (a default field, one link's settings, every cut for a heal) from the
/// windows still open, so their ends do not undo it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Network {
    default: LinkParams,
    links: VecMap<(NodeId, NodeId), LinkParams>,
    blocked: VecSet<(NodeId, NodeId)>,
    /// What each open fault window changed, in the order they opened.
    windows: Vec<NetLayer>,
}

/// What one open fault window did to the network.
#[derive(Clone, Debug, Default, PartialEq)]
struct NetLayer {
    window: u32,
    latency: Option<[Time; 2]>,
    loss: Option<f64>,
    duplicate: Option<f64>,
    links: VecMap<(NodeId, NodeId), LinkParams>,
    blocked: VecSet<(NodeId, NodeId)>,
}

/// Which fields of the defaults an action sets.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DefaultChange {
    pub latency: Option<[Time; 2]>,
    pub loss: Option<f64>,
    pub duplicate: Option<f64>,
}

impl Network {
    pub fn new(default: LinkParams) -> Self {
        Network {
            default,
            ..Network::default()
        }
    }

    /// The defaults in force: those set for good, with each open window's changes over them.
    pub fn defaults(&self) -> LinkParams {
        let mut d = self.default.clone();
        for w in &self.windows {
            if let Some(l) = w.latency {
                d.latency = l;
            }
            if let Some(p) = w.loss {
                d.loss = p;
            }
            if let Some(p) = w.duplicate {
                d.duplicate = p;
            }
        }
        d
    }

    /// The parameters of the directed link `from -> to` in force.
    pub fn link(&self, from: NodeId, to: NodeId) -> LinkParams {
        let key = (from, to);
        match self.windows.iter().rev().find_map(|w| w.links.get(&key)) {
            Some(p) => p.clone(),
            None => match self.links.get(&key) {
                Some(p) => p.clone(),
                None => self.defaults(),
            },
        }
    }

    /// The layer of window `w`, opened if it is not yet.
    fn layer(&mut self, w: u32) -> &mut NetLayer {
        let i = match self.windows.iter().position(|l| l.window == w) {
            Some(i) => i,
            None => {
                self.windows.push(NetLayer {
                    window: w,
                    ..NetLayer::default()
                });
                self.windows.len() - 1
            }
        };
        &mut self.windows[i]
    }

    /// Set one directed link, for good (`window: None`) or while window `w` is open.
    pub fn set_link(&mut self, from: NodeId, to: NodeId, p: LinkParams, window: Option<u32>) {
        match window {
            Some(w) => {
                self.layer(w).links.insert((from, to), p);
            }
            None => {
                for l in &mut self.windows {
                    l.links.remove(&(from, to));
                }
                self.links.insert((from, to), p);
            }
        }
    }

    /// Change fields of the defaults, for good or while window `w` is open.
    pub fn set_defaults(&mut self, c: DefaultChange, window: Option<u32>) {
        match window {
            Some(w) => {
                let l = self.layer(w);
                l.latency = c.latency.or(l.latency);
                l.loss = c.loss.or(l.loss);
                l.duplicate = c.duplicate.or(l.duplicate);
            }
            None => {
                for l in &mut self.windows {
                    l.latency = l.latency.filter(|_| c.latency.is_none());
                    l.loss = l.loss.filter(|_| c.loss.is_none());
                    l.duplicate = l.duplicate.filter(|_| c.duplicate.is_none());
                }
                if let Some(v) = c.latency {
                    self.default.latency = v;
                }
                if let Some(v) = c.loss {
                    self.default.loss = v;
                }
                if let Some(v) = c.duplicate {
                    self.default.duplicate = v;
                }
            }
        }
    }

    /// Per-link settings in force where a link has its own, in order.
    pub fn overrides(&self) -> Vec<(NodeId, NodeId, LinkParams)> {
        let mut keys: VecSet<(NodeId, NodeId)> = self.links.keys().copied().collect();
        for w in &self.windows {
            keys.extend(w.links.keys().copied());
        }
        keys.iter().map(|&(a, b)| (a, b, self.link(a, b))).collect()
    }

    pub fn is_blocked(&self, from: NodeId, to: NodeId) -> bool {
        let key = (from, to);
        self.blocked.contains(&key) || self.windows.iter().any(|w| w.blocked.contains(&key))
    }

    fn cuts(&mut self, window: Option<u32>) -> &mut VecSet<(NodeId, NodeId)> {
        match window {
            Some(w) => &mut self.layer(w).blocked,
            None => &mut self.blocked,
        }
    }

    /// Cut `a -> b`, and `b -> a` too unless `one_way`, for good or while window `w` is
    /// open.
    pub fn cut(&mut self, a: NodeId, b: NodeId, one_way: bool, window: Option<u32>) {
        let cuts = self.cuts(window);
        cuts.insert((a, b));
        if !one_way {
            cuts.insert((b, a));
        }
    }

    /// Split the nodes into groups that cannot reach each other. Nodes named in no group
    /// form one more group together. For good, this replaces every cut (a heal first);
    /// in a window it adds the window's cuts to those in force.
    pub fn partition(&mut self, n: u32, groups: &[Vec<NodeId>], window: Option<u32>) {
        if window.is_none() {
            self.heal();
        }
        let mut group_of = vec![usize::MAX; n as usize];
        for (g, members) in groups.iter().enumerate() {
            for m in members {
                if let Some(slot) = group_of.get_mut(m.index()) {
                    *slot = g;
                }
            }
        }
        let cuts = self.cuts(window);
        for a in 0..n {
            for b in 0..n {
                if group_of[a as usize] != group_of[b as usize] {
                    cuts.insert((NodeId(a), NodeId(b)));
                }
            }
        }
    }

    /// Restore every cut link, those of open windows too (latency and loss settings stay).
    pub fn heal(&mut self) {
        self.blocked.clear();
        for w in &mut self.windows {
            w.blocked.clear();
        }
    }

    /// Take away what window `w` did. False if it had done nothing to the network.
    pub fn end_window(&mut self, w: u32) -> bool {
        let before = self.windows.len();
        self.windows.retain(|l| l.window != w);
        self.windows.len() != before
    }

    /// Cut directed links, in order.
    pub fn blocked(&self) -> Vec<(NodeId, NodeId)> {
        let mut all = self.blocked.clone();
        for w in &self.windows {
            all.extend(w.blocked.iter().copied());
        }
        all.iter().copied().collect()
    }

    pub fn is_partitioned(&self) -> bool {
        !self.blocked.is_empty() || self.windows.iter().any(|w| !w.blocked.is_empty())
    }

    /// Whether every directed link behaves the same in both networks (latency, loss and
    /// duplication in force, whether set by default, per link or by a window); cut links
    /// are not compared.
    pub fn same_settings(&self, other: &Network) -> bool {
        self.defaults() == other.defaults()
            && self
                .overrides()
                .iter()
                .chain(other.overrides().iter())
                .all(|&(a, b, _)| self.link(a, b) == other.link(a, b))
    }
}
