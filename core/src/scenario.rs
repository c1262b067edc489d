//! The scenario format: a JSON file naming the algorithm, its parameters, the seed, the
//! network and scripted actions. Built-in scenarios live in `static/scenarios/` and are
//! compiled in (each algorithm's [`crate::Algorithm::BUILTINS`]), so the CLI and the web share them.
//!
//! ```json
//! {
//!   "version": 1,
//!   "algorithm": "messaging",
//!   "title": "Lossy link",
//!   "seed": 7,
//!   "params": { "nodes": 3 },
//!   "network": { "latency": [10, 50], "loss": 0.0,
//!                "links": [{ "from": "n1", "to": "n2", "loss": 0.5 }] },
//!   "actions": [ { "at": 100, "action": { "crash": { "node": "n2" } } },
//!                { "at_step": 40, "action": "heal" } ],
//!   "run": { "steps": 500 }
//! }
//! ```
//! Unknown fields and out-of-range values are refused with an error naming the field.

use crate::collections::VecSet;
use crate::json::from_value;
use crate::names::with_names;
use crate::protocol::Protocol;
use crate::sim::{
    check_latency, check_probability, Action, LinkParams, Network, NodeId, Sim, Time,
};
use crate::timeline::{TimedAction, Timeline};
use serde::{Deserialize, Serialize};

pub const FORMAT_VERSION: u32 = 1;
/// The most steps a scenario may ask to run.
pub const MAX_STEPS: u64 = 10_000_000;

/// A scenario that cannot be used, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The field, as a path (`params.nodes`, `actions[2].action.crash.node`); empty when the
    /// file as a whole is at fault.
    pub path: String,
    pub message: String,
}

/// The longest field path and message an error keeps, in characters: what a file said
/// (a long string, an unknown field's name) is quoted in the message, cut in the middle.
pub const MAX_PATH_CHARS: usize = 120;
pub const MAX_MESSAGE_CHARS: usize = 240;

/// `text` cut to at most about `max` characters: its start and its end, and how much was
/// left out between them.
pub fn clip(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let head = max * 2 / 3;
    let tail = max / 4;
    // Where the `n`-th character starts.
    let at = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    format!(
        "{}… ({} characters left out) …{}",
        &text[..at(head)],
        count - head - tail,
        &text[at(count - tail)..]
    )
}

impl ScenarioError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            path: clip(&path.into(), MAX_PATH_CHARS),
            message: clip(&message.into(), MAX_MESSAGE_CHARS),
        }
    }

    /// From what [`crate::json::from_value`] says, the path put after `prefix`.
    fn from_path(prefix: &str, (inner, message): (String, String)) -> Self {
        let path = match (prefix.is_empty(), inner.as_str()) {
            (_, ".") => prefix.to_string(),
            (true, _) => inner,
            (false, _) => format!("{prefix}.{inner}"),
        };
        ScenarioError::new(path, message)
    }

    /// Build from a `"field: message"` string as the validators produce.
    fn from_field(s: String) -> Self {
        match s.split_once(": ") {
            Some((path, msg)) => ScenarioError::new(path, msg),
            None => ScenarioError::new("", s),
        }
    }
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

/// One link's overrides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub from: NodeId,
    pub to: NodeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<[Time; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<f64>,
    /// Apply to both directions (default true).
    #[serde(default = "yes")]
    pub both: bool,
}

fn yes() -> bool {
    true
}

/// The network a scenario starts with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    #[serde(default = "default_latency")]
    pub latency: [Time; 2],
    #[serde(default)]
    pub loss: f64,
    #[serde(default)]
    pub duplicate: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkSpec>,
}

fn default_latency() -> [Time; 2] {
    LinkParams::default().latency
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            latency: default_latency(),
            loss: 0.0,
            duplicate: 0.0,
            links: Vec::new(),
        }
    }
}

impl NetworkSpec {
    fn validate(&self) -> Result<(), String> {
        check_latency("network.latency", self.latency)?;
        check_probability("network.loss", self.loss)?;
        check_probability("network.duplicate", self.duplicate)?;
        for (i, l) in self.links.iter().enumerate() {
            let f = format!("network.links[{i}]");
            if let Some(lat) = l.latency {
                check_latency(&format!("{f}.latency"), lat)?;
            }
            if let Some(p) = l.loss {
                check_probability(&format!("{f}.loss"), p)?;
            }
            if let Some(p) = l.duplicate {
                check_probability(&format!("{f}.duplicate"), p)?;
            }
        }
        Ok(())
    }

    /// The network model this describes.
    pub fn build(&self) -> Network {
        let default = LinkParams {
            latency: self.latency,
            loss: self.loss,
            duplicate: self.duplicate,
        };
        let mut net = Network::new(default.clone());
        for l in &self.links {
            let p = LinkParams {
                latency: l.latency.unwrap_or(default.latency),
                loss: l.loss.unwrap_or(default.loss),
                duplicate: l.duplicate.unwrap_or(default.duplicate),
            };
            if l.both {
                net.set_link(l.to, l.from, p.clone(), None);
            }
            net.set_link(l.from, l.to, p, None);
        }
        net
    }
}

/// An action of the script, at a simulated time (`at`, ms) or when a number of steps have
/// run (`at_step: N`: the action is then step N + 1, steps being numbered from 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedAction<C> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_step: Option<u64>,
    pub action: Action<C>,
}

/// How far the CLI and the web's first view run a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Stop after this many steps.
    #[serde(default = "default_steps")]
    pub steps: u64,
    /// Stop before the first event after this simulated time (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Time>,
}

fn default_steps() -> u64 {
    1000
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec {
            steps: default_steps(),
            until: None,
        }
    }
}

fn default_version() -> u32 {
    FORMAT_VERSION
}

/// A scenario for protocol `P`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct Scenario<P: Protocol> {
    #[serde(default = "default_version")]
    pub version: u32,
    pub algorithm: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub params: P::Params,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ScriptedAction<P::Cmd>>,
    #[serde(default)]
    pub run: RunSpec,
}

/// What fitting a scenario to other parameters (fewer nodes, other names) left out or
/// changed; see [`Scenario::with_params`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fitted {
    /// Scripted actions left out because they name a node that is gone.
    pub left_out: usize,
    /// Actions people did, left out because they name a node that is gone.
    pub yours: usize,
    /// Partitions that now keep only the nodes that remain.
    pub narrowed: usize,
    /// Per-link network settings left out because they name a node that is gone.
    pub links: usize,
    /// The nodes that are gone and were named, by name.
    pub gone: VecSet<String>,
}

impl Fitted {
    /// Nothing was left out or changed.
    pub fn is_empty(&self) -> bool {
        self.left_out == 0 && self.narrowed == 0 && self.links == 0 && self.yours == 0
    }

    /// What another fitting left out too.
    pub fn add(&mut self, other: Fitted) {
        self.left_out += other.left_out;
        self.yours += other.yours;
        self.narrowed += other.narrowed;
        self.links += other.links;
        self.gone.extend(other.gone);
    }

    /// What changed, in one sentence for the page ("n4, n5 are gone: 1 scripted action
    /// naming them was left out; 1 partition now leaves them out."), if anything did.
    pub fn sentence(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        // Shorter names first: n9 before n10.
        let gone: VecSet<(usize, &str)> = self.gone.iter().map(|g| (g.len(), g.as_str())).collect();
        let names = gone.iter().map(|(_, g)| *g).collect::<Vec<_>>().join(", ");
        let plural =
            |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        let mut parts = Vec::new();
        if self.left_out > 0 {
            parts.push(format!(
                "{} scripted action{} naming {} {} left out",
                self.left_out,
                plural(self.left_out, "", "s"),
                plural(gone.len(), "it", "them"),
                plural(self.left_out, "was", "were"),
            ));
        }
        if self.yours > 0 {
            parts.push(format!(
                "{} of your actions naming {} {} left out",
                self.yours,
                plural(gone.len(), "it", "them"),
                plural(self.yours, "was", "were"),
            ));
        }
        if self.narrowed > 0 {
            parts.push(format!(
                "{} partition{} now leave{} {} out",
                self.narrowed,
                plural(self.narrowed, "", "s"),
                plural(self.narrowed, "s", ""),
                plural(gone.len(), "it", "them"),
            ));
        }
        if self.links > 0 {
            parts.push(format!(
                "{} link setting{} naming {} {} left out",
                self.links,
                plural(self.links, "", "s"),
                plural(gone.len(), "it", "them"),
                plural(self.links, "was", "were"),
            ));
        }
        Some(format!(
            "{names} {} gone: {}.",
            plural(gone.len(), "is", "are"),
            parts.join("; ")
        ))
    }
}

/// Read the `algorithm` field of a scenario without knowing its protocol.
pub fn algorithm_of(json: &str) -> Result<String, ScenarioError> {
    let v: serde_json::Value = parse_value(json)?;
    match v.get("algorithm") {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ScenarioError::new("algorithm", "must be a string")),
        None if v.is_object() => Err(ScenarioError::new("algorithm", "missing field")),
        None => Err(ScenarioError::new("", "a scenario must be a JSON object")),
    }
}

fn parse_value(json: &str) -> Result<serde_json::Value, ScenarioError> {
    serde_json::from_str(json).map_err(|e| ScenarioError::new("", format!("not valid JSON: {e}")))
}

impl<P: Protocol> Scenario<P> {
    /// Parse and validate a scenario.
    pub fn parse(json: &str) -> Result<Self, ScenarioError> {
        Self::from_value(parse_value(json)?)
    }

    pub fn from_value(v: serde_json::Value) -> Result<Self, ScenarioError> {
        if !v.is_object() {
            return Err(ScenarioError::new("", "a scenario must be a JSON object"));
        }
        // The node names depend on the parameters, so those come first.
        let params: P::Params = match v.get("params") {
            Some(p) => from_value(p).map_err(|e| ScenarioError::from_path("params", e))?,
            None => P::Params::default(),
        };
        let proto = P::new(params)
            .map_err(|e| ScenarioError::new(format!("params.{}", e.field), e.message))?;
        let names = proto.node_names();
        let sc: Scenario<P> =
            with_names(&names, || from_value(&v)).map_err(|e| ScenarioError::from_path("", e))?;
        sc.validate()?;
        Ok(sc)
    }

    fn validate(&self) -> Result<(), ScenarioError> {
        if self.version != FORMAT_VERSION {
            return Err(ScenarioError::new(
                "version",
                format!(
                    "unsupported version {} (this build reads version {FORMAT_VERSION})",
                    self.version
                ),
            ));
        }
        if self.algorithm != P::NAME {
            return Err(ScenarioError::new(
                "algorithm",
                format!("expected `{}`, got `{}`", P::NAME, self.algorithm),
            ));
        }
        self.network.validate().map_err(ScenarioError::from_field)?;
        for (i, a) in self.actions.iter().enumerate() {
            let f = format!("actions[{i}]");
            match (a.at, a.at_step) {
                (Some(_), Some(_)) => {
                    return Err(ScenarioError::new(
                        f,
                        "give either `at` or `at_step`, not both",
                    ))
                }
                (None, None) => {
                    return Err(ScenarioError::new(
                        f,
                        "give a time (`at`, ms) or a step (`at_step`)",
                    ))
                }
                (_, Some(s)) if s > MAX_STEPS => {
                    return Err(ScenarioError::new(
                        format!("{f}.at_step"),
                        format!("must be at most {MAX_STEPS} (got {s})"),
                    ))
                }
                _ => {}
            }
            a.action
                .validate(&format!("{f}.action"))
                .map_err(ScenarioError::from_field)?;
        }
        if self.run.steps > MAX_STEPS {
            return Err(ScenarioError::new(
                "run.steps",
                format!("must be at most {MAX_STEPS} (got {})", self.run.steps),
            ));
        }
        Ok(())
    }

    /// The protocol with this scenario's parameters.
    pub fn protocol(&self) -> Result<P, ScenarioError> {
        P::new(self.params.clone())
            .map_err(|e| ScenarioError::new(format!("params.{}", e.field), e.message))
    }

    /// The same scenario with another seed.
    pub fn with_seed(&self, seed: u64) -> Self {
        Scenario {
            seed,
            ..self.clone()
        }
    }

    /// The same scenario with other parameters, its script and network fitted to the nodes
    /// they have: every node is matched by name, so an action or a link setting that names
    /// a node the new parameters do not have is left out, and a partition keeps the nodes
    /// that remain (or is left out when it lost members and fewer than two groups remain).
    /// Parameters the
    /// protocol refuses are refused with the field named.
    pub fn with_params(&self, params: P::Params) -> Result<(Self, Fitted), ScenarioError> {
        let old = self.protocol()?.node_names();
        let new = P::new(params.clone())
            .map_err(|e| ScenarioError::new(format!("params.{}", e.field), e.message))?
            .node_names();
        let mut sc = Scenario {
            params,
            ..self.clone()
        };
        let mut fitted = Fitted::default();
        if old == new {
            return Ok((sc, fitted));
        }
        let gone: Vec<&String> = old.iter().filter(|n| !new.contains(n)).collect();
        let rename = |id: NodeId| {
            let name = &old[id.index()];
            new.iter().position(|n| n == name).map(|i| NodeId(i as u32))
        };
        let named = |text: &str, fitted: &mut Fitted| {
            for g in &gone {
                if text.contains(&format!("\"{g}\"")) {
                    fitted.gone.insert(g.to_string());
                }
            }
        };
        let mut actions = Vec::with_capacity(sc.actions.len());
        for mut a in std::mem::take(&mut sc.actions) {
            if let Action::Partition { groups } = &mut a.action {
                let mut lost = false;
                for g in groups.iter_mut() {
                    g.retain(|&n| {
                        let keep = rename(n).is_some();
                        if !keep {
                            lost = true;
                            fitted.gone.insert(old[n.index()].clone());
                        }
                        keep
                    });
                    for n in g.iter_mut() {
                        *n = rename(*n).unwrap_or(*n);
                    }
                }
                groups.retain(|g| !g.is_empty());
                // A partition that lost members and no longer has two groups separates
                // nothing it meant to.
                if groups.is_empty() || (lost && groups.len() < 2) {
                    fitted.left_out += 1;
                } else {
                    fitted.narrowed += usize::from(lost);
                    actions.push(a);
                }
                continue;
            }
            // Any other action goes through its names: written with the old ones, read with
            // the new ones (which refuses a name that is gone, wherever it is: in a command
            // too).
            let text = with_names(&old, || serde_json::to_string(&a.action)).unwrap_or_default();
            let moved = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| with_names(&new, || from_value(&v).ok()));
            match moved {
                Some(action) => actions.push(ScriptedAction { action, ..a }),
                None => {
                    fitted.left_out += 1;
                    named(&text, &mut fitted);
                }
            }
        }
        sc.actions = actions;
        let links = std::mem::take(&mut sc.network.links);
        for l in links {
            match (rename(l.from), rename(l.to)) {
                (Some(from), Some(to)) => sc.network.links.push(LinkSpec { from, to, ..l }),
                _ => {
                    fitted.links += 1;
                    for n in [l.from, l.to].into_iter().filter(|&n| rename(n).is_none()) {
                        fitted.gone.insert(old[n.index()].clone());
                    }
                }
            }
        }
        Ok((sc, fitted))
    }

    /// A timeline at step 0, with the script loaded.
    pub fn timeline(&self) -> Result<Timeline<P>, ScenarioError> {
        let proto = self.protocol()?;
        let mut sim = Sim::new(proto, self.seed, self.network.build());
        let mut stepped = Vec::new();
        for a in &self.actions {
            match (a.at, a.at_step) {
                (Some(t), _) => sim.schedule(t, a.action.clone()),
                (None, Some(s)) => stepped.push(TimedAction {
                    step: s,
                    action: a.action.clone(),
                    scripted: true,
                }),
                (None, None) => {}
            }
        }
        let mut tl = Timeline::new(sim);
        tl.set_actions(stepped);
        Ok(tl)
    }

    /// Compact JSON with node names ([`crate::json::pretty_json`] indents it).
    pub fn to_json(&self) -> String {
        let names = self.protocol().map(|p| p.node_names()).unwrap_or_default();
        with_names(&names, || {
            serde_json::to_string(self).expect("scenarios serialize")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_in_the_middle_by_characters() {
        assert_eq!(clip("héllo", 5), "héllo");
        // 12 characters, 2 bytes each: the first 6 and the last 2 are kept.
        let text = "ééééééxxxxyz";
        assert_eq!(clip(text, 9), "éééééé… (4 characters left out) …yz");
        let long: String = "ä".repeat(100) + "end";
        let cut = clip(&long, 60);
        assert!(cut.starts_with(&"ä".repeat(40)), "{cut}");
        assert!(
            cut.ends_with("… (48 characters left out) …ääääääääääääend"),
            "{cut}"
        );
    }
}
