//! The fault palette: crash, restart, pause and resume any node; make a node's clock run
//! fast or slow, or jump; cut a link (both ways or one), split the nodes into two groups,
//! heal; drop or delay a message in flight; set latency, loss and duplication for the
//! whole network or one link.
//!
//! Every button sends one typed action (`ShellMsg::Fault`) at the current step. Inputs are checked
//! here before anything is sent (the core checks again and the store shows its refusal in
//! a banner). When the current step is before the last computed one, the palette says how
//! many computed steps acting would drop.
//!
//! Plain render functions rather than a component per section (each Yew component adds its
//! own lifecycle code to the bundle), in two components: what changes on most steps (the
//! fork note, the messages in flight) and what changes only with the nodes' statuses and
//! the network (node rows, pickers, network forms), which is skipped on the other steps.

use super::cluster::{label_colour, NODE_COLOURS};
use super::Shell;
use crate::store::ShellMsg;
use dsplay_core::session::{MsgView, NetView};
use dsplay_core::sim::{LinkParams, MAX_LATENCY};
use dsplay_core::trace::{DropReason, Fate};
use dsplay_core::{Fault, NodeId, NodeStatus};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The delay offered for a message until the person types another.
pub const DEFAULT_DELAY: &str = "200";
/// At most this many cut pairs are listed by name; more are counted.
const CUTS_LISTED: usize = 4;

/// What the palette shows, read from the session once per render.
struct Snapshot {
    names: Vec<String>,
    status: Vec<NodeStatus>,
    net: NetView,
    cuts: Vec<(u32, u32)>,
    /// Each node's clock: rate and offset from real time (ms).
    clocks: Vec<(f64, i64)>,
    /// Messages in flight now (not those drawn vanishing after a loss).
    flying: Vec<MsgView>,
    /// Why the selected message cannot be dropped, when it is not in flight.
    gone: Option<String>,
}

/// Fields that hold what the person edits, as `(what they apply to, text)`: `None` until
/// they type, and again after they apply, so the fields show the values in force now.
type Edit = UseStateHandle<Option<(Target, ParamsForm)>>;

/// The fault palette; `delay` holds the text of the delay field.
pub fn fault_palette(store: &Shell, delay: &UseStateHandle<String>) -> Html {
    let (pos, horizon, time, snap) = {
        let s = store.session.borrow();
        let names = s.names().to_vec();
        let status = (0..names.len() as u32)
            .map(|i| s.status(i).unwrap_or(NodeStatus::Up))
            .collect();
        let flying: Vec<MsgView> = s
            .in_flight()
            .into_iter()
            .filter(|m| m.fate == Fate::InFlight)
            .collect();
        let gone = store
            .selected_msg
            .filter(|id| !flying.iter().any(|m| m.id == *id))
            .map(|id| not_in_flight(&s.messages(), id, s.pos()));
        let clocks = (0..names.len() as u32)
            .map(|i| s.clock(i).unwrap_or((1.0, 0)))
            .collect();
        let snap = Snapshot {
            clocks,
            names,
            status,
            net: s.network(),
            cuts: s.cut_links(),
            flying,
            gone,
        };
        (s.pos(), s.horizon(), s.time(), snap)
    };
    let ahead = horizon.saturating_sub(pos);
    html! {
        <section class="panel faults" aria-label="Fault palette">
            <h2>{ "Faults" }</h2>
            if ahead > 0 {
                <p class="fork-note" role="note">
                    <strong>{ format!("Acting here drops the {ahead} computed {} after step {pos}",
                        if ahead == 1 { "step" } else { "steps" }) }</strong>
                    { ": the run goes on from here with your fault." }
                </p>
            } else {
                <p class="now-note muted">{ format!("Faults happen now: step {pos}, t={time} ms.") }</p>
            }
            <NodeAndNetwork store={store.clone()} names={snap.names.clone()} status={snap.status.clone()}
                net={snap.net.clone()} cuts={snap.cuts.clone()} selected={store.selected}
                clocks={snap.clocks.clone()} />
            { messages_section(store, &snap, delay) }
        </section>
    }
}

#[derive(Properties)]
struct NodeAndNetworkProps {
    /// Only for dispatching actions: left out of the comparison.
    store: Shell,
    names: Vec<String>,
    status: Vec<NodeStatus>,
    net: NetView,
    cuts: Vec<(u32, u32)>,
    /// The node selected in the view: the clock fault's node until another is picked.
    selected: Option<u32>,
    clocks: Vec<(f64, i64)>,
}

impl PartialEq for NodeAndNetworkProps {
    /// Equal when what is drawn is: most steps change none of it, so on a large cluster the
    /// node rows, the node pickers and the network forms are not built again every step.
    fn eq(&self, o: &Self) -> bool {
        self.names == o.names
            && self.status == o.status
            && self.net == o.net
            && self.cuts == o.cuts
            && self.selected == o.selected
            && self.clocks == o.clocks
    }
}

/// The node faults, the network (cut, partition, heal, whole-network settings) and the
/// per-link settings.
#[function_component(NodeAndNetwork)]
fn node_and_network(p: &NodeAndNetworkProps) -> Html {
    let cut_a = use_state(|| 0usize);
    let cut_b = use_state(|| 1usize);
    let one_way = use_state(|| false);
    let clock_node = use_state(|| p.selected.unwrap_or(0) as usize);
    let clock_kind = use_state(|| 0usize);
    let group = use_state(|| None::<Vec<bool>>);
    let net_edit: Edit = use_state(|| None);
    let link_from = use_state(|| 0usize);
    let link_to = use_state(|| 1usize);
    let link_both = use_state(|| true);
    let link_edit: Edit = use_state(|| None);
    let store = &p.store;
    let n = p.names.len();
    let cut = (clamp_index(*cut_a, n), clamp_index(*cut_b, n));
    let link = (clamp_index(*link_from, n), clamp_index(*link_to, n));
    html! {
        <>
            { nodes_section(store, &p.names, &p.status) }
            { clock_fieldset(store, &p.names, &p.clocks, &clock_node, &clock_kind) }
            <details class="fault-group network" open=true>
                <summary>{ match p.cuts.len() {
                    0 => "Network: nothing cut".to_string(),
                    1 => "Network: 1 link cut".to_string(),
                    c => format!("Network: {c} links cut"),
                } }</summary>
                { cut_fieldset(store, &p.names, &p.net, cut, (&cut_a, &cut_b, &one_way)) }
                { partition_fieldset(store, &p.names, &group) }
                { heal_row(store, &p.names, &p.net, &p.cuts) }
                <h3 class="sub">{ "Whole network" }</h3>
                { params_editor(store, &p.names, Target::Network, &p.net.default, &net_edit) }
            </details>
            { link_section(store, &p.names, &p.net, link, (&link_from, &link_to, &link_both), &link_edit) }
        </>
    }
}

/// A click that does `fault` at the current step.
fn apply(store: &Shell, fault: Fault) -> Callback<MouseEvent> {
    store.on(ShellMsg::Fault(fault))
}

/// A node's name, or "?" for an index out of range.
fn name_of(names: &[String], i: u32) -> &str {
    names.get(i as usize).map_or("?", |s| s.as_str())
}

/// An index kept below `len` (the node count changes with the scenario).
fn clamp_index(i: usize, len: usize) -> usize {
    i.min(len.saturating_sub(1))
}

/// A `<select>` of the nodes that sets `state` to the index picked.
fn node_picker(
    id: &'static str,
    names: &[String],
    selected: usize,
    state: &UseStateHandle<usize>,
) -> Html {
    let state = state.clone();
    let onchange = Callback::from(move |e: Event| {
        let el: HtmlSelectElement = e.target_unchecked_into();
        state.set(el.selected_index().max(0) as usize);
    });
    html! {
        <select {id} {onchange}>
            { for names.iter().enumerate().map(|(i, n)| html! {
                <option value={i.to_string()} selected={i == selected}>{ n.clone() }</option>
            }) }
        </select>
    }
}

/// An inline message about the field or button it follows.
/// A fault or heal button (written once for the palette's many: each `html!` element is
/// code of its own). `described_by`: the id of the message saying why it is disabled.
#[inline(never)]
fn fault_button(
    class: &'static str,
    onclick: Callback<MouseEvent>,
    disabled: bool,
    described_by: Option<&'static str>,
    title: AttrValue,
    text: AttrValue,
) -> Html {
    html! {
        <button type="button" {class} {onclick} {disabled} aria-describedby={described_by} {title}>
            { text }
        </button>
    }
}

fn field_error(id: Option<&str>, text: &str) -> Html {
    html! { <p class="field-error" id={id.map(str::to_string)} role="alert">{ text.to_string() }</p> }
}

// ---------- Nodes ------------------------------------------------------------------------

/// A node fault by its key in [`node_actions`].
pub fn node_fault(key: &str, node: NodeId) -> Fault {
    match key {
        "crash" => Fault::Crash { node },
        "pause" => Fault::Pause { node },
        "restart" => Fault::Restart { node },
        _ => Fault::Resume { node },
    }
}

/// What can be done to a node in each status: (action key, verb, what it does).
pub fn node_actions(status: NodeStatus) -> &'static [(&'static str, &'static str, &'static str)] {
    match status {
        NodeStatus::Up => &[
            (
                "crash",
                "Crash",
                "stops it: what it holds in memory and its timers are lost; what it keeps on disk survives for its restart",
            ),
            (
                "pause",
                "Pause",
                "freezes it (like a long GC pause): it handles nothing until resumed, and what arrives waits",
            ),
        ],
        NodeStatus::Crashed { .. } => &[(
            "restart",
            "Restart",
            "starts it again from what it kept on disk",
        )],
        NodeStatus::Paused { .. } => &[(
            "resume",
            "Resume",
            "wakes it: what arrived meanwhile is handled now, in order",
        )],
    }
}

fn nodes_section(store: &Shell, names: &[String], status: &[NodeStatus]) -> Html {
    let rows = names.iter().zip(status).enumerate().map(|(i, (name, status))| {
        let state = match *status {
            NodeStatus::Up => None,
            NodeStatus::Crashed { since } => Some(("crashed", since)),
            NodeStatus::Paused { since } => Some(("paused", since)),
        };
        let buttons = node_actions(*status).iter().map(|(key, verb, what)| {
            // Restart and resume undo a fault.
            let class = if matches!(*key, "restart" | "resume") { "heal" } else { "fault" };
            html! {
                { fault_button(class, apply(store, node_fault(key, NodeId(i as u32))), false, None,
                    format!("{verb} {name} now: {what}").into(), format!("{verb} {name}").into()) }
            }
        });
        html! {
            <li class={classes!("node-row", state.map_or("up", |(c, _)| c))} key={name.clone()}>
                <span class={format!("node-chip c{}", i % NODE_COLOURS)} aria-hidden="true"></span>
                <span class="node-name">
                    { name.clone() }
                    if let Some((badge, since)) = state {
                        <span class="node-state" title={format!("{badge} at t={since} ms")}>
                            <span class="visually-hidden">{ ", " }</span>{ badge }
                        </span>
                    }
                </span>
                <span class="node-buttons">{ for buttons }</span>
            </li>
        }
    });
    let down = status.iter().filter(|s| **s != NodeStatus::Up).count();
    html! {
        <details class="fault-group nodes" open=true>
            <summary>{ if down == 0 { "Nodes: all up".to_string() } else { format!("Nodes: {down} not running") } }</summary>
            <ul class="node-rows">{ for rows }</ul>
        </details>
    }
}

// ---------- Network: cut, partition, heal ------------------------------------------------

fn cut_fieldset(
    store: &Shell,
    names: &[String],
    net: &NetView,
    (ai, bi): (usize, usize),
    (a, b, one_way): (
        &UseStateHandle<usize>,
        &UseStateHandle<usize>,
        &UseStateHandle<bool>,
    ),
) -> Html {
    let (an, bn) = (name_of(names, ai as u32), name_of(names, bi as u32));
    let blocked = &net.blocked;
    let ow = **one_way;
    let arrow = if ow { "→" } else { "↔" };
    let already = blocked.contains(&(ai as u32, bi as u32))
        && (ow || blocked.contains(&(bi as u32, ai as u32)));
    let problem = if ai == bi {
        Some("Pick two different nodes: a node cannot be cut from itself.".to_string())
    } else if already {
        Some(format!("{an} {arrow} {bn} is already cut."))
    } else {
        None
    };
    let on_one_way = {
        let one_way = one_way.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            one_way.set(el.checked());
        })
    };
    let what = if ow {
        format!("Cut {an} → {bn} only: messages from {an} to {bn} are dropped, those from {bn} to {an} still arrive, until the network heals")
    } else {
        format!("Cut both directions between {an} and {bn}: messages between them are dropped until the network heals")
    };
    let fault = Fault::Cut {
        a: NodeId(ai as u32),
        b: NodeId(bi as u32),
        one_way: ow,
    };
    html! {
        <fieldset class="fault-set cut-row">
            <legend>{ "Cut a link" }</legend>
            <div class="fault-row">
                <label for="fp-cut-a" class="visually-hidden">{ "Cut the link from" }</label>
                { node_picker("fp-cut-a", names, ai, a) }
                <label for="fp-cut-b" class="join">
                    <span aria-hidden="true">{ arrow }</span>
                    <span class="visually-hidden">{ "to" }</span>
                </label>
                { node_picker("fp-cut-b", names, bi, b) }
                <label class="tick">
                    <input type="checkbox" checked={ow} onchange={on_one_way} />
                    { "one way" }
                </label>
                { fault_button("fault", apply(store, fault), problem.is_some(),
                    problem.is_some().then_some("fp-cut-error"), what.into(),
                    format!("Cut {an} {arrow} {bn}").into()) }
                if let Some(p) = problem {
                    { field_error(Some("fp-cut-error"), &p) }
                }
            </div>
        </fieldset>
    }
}

/// Clock faults offered, as (words, rate, jump in ms).
const CLOCK_FAULTS: [(&str, Option<f64>, Option<i64>); 7] = [
    ("runs 4× slow", Some(0.25), None),
    ("runs 2× slow", Some(0.5), None),
    ("runs 2× fast", Some(2.0), None),
    ("runs 4× fast", Some(4.0), None),
    ("jumps 1 s ahead", None, Some(1000)),
    ("jumps 1 s back", None, Some(-1000)),
    ("runs at the right rate", Some(1.0), None),
];

/// A clock fault on one node (the node selected when the palette opened, until another
/// is picked).
fn clock_fieldset(
    store: &Shell,
    names: &[String],
    clocks: &[(f64, i64)],
    node: &UseStateHandle<usize>,
    kind: &UseStateHandle<usize>,
) -> Html {
    let i = clamp_index(**node, names.len());
    let name = name_of(names, i as u32);
    let k = (**kind).min(CLOCK_FAULTS.len() - 1);
    let (words, rate, jump) = CLOCK_FAULTS[k];
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            kind.set(el.selected_index().max(0) as usize);
        })
    };
    let fault = Fault::Clock {
        node: NodeId(i as u32),
        rate,
        jump,
    };
    let (r, off) = clocks.get(i).copied().unwrap_or((1.0, 0));
    html! {
        <fieldset class="fault-set clock-row">
            <legend>{ "Clock" }</legend>
            <div class="fault-row">
                <label for="fp-clock-node" class="visually-hidden">{ "Node whose clock to change" }</label>
                { node_picker("fp-clock-node", names, i, node) }
                <label for="fp-clock-kind" class="visually-hidden">{ "Clock fault" }</label>
                <select id="fp-clock-kind" onchange={on_kind}>
                    { for CLOCK_FAULTS.iter().enumerate().map(|(j, (w, _, _))| html! {
                        <option selected={j == k}>{ *w }</option>
                    }) }
                </select>
                { fault_button("fault", apply(store, fault), false, None,
                    format!("From now on {name}'s clock {words}: it reads the time from it, and its timers fire by it").into(),
                    format!("Apply to {name}").into()) }
            </div>
            <p class="muted">{ format!("{name}'s clock: {}× real time, {off} ms from it.", dsplay_core::decimal::short(r)) }</p>
        </fieldset>
    }
}

fn partition_fieldset(
    store: &Shell,
    names: &[String],
    ticked: &UseStateHandle<Option<Vec<bool>>>,
) -> Html {
    // Group A: the first half until the person ticks otherwise.
    let group: Vec<bool> = match &**ticked {
        Some(g) if g.len() == names.len() => g.clone(),
        _ => (0..names.len()).map(|i| i < names.len() / 2).collect(),
    };
    let side = |in_a: bool| -> Vec<&str> {
        names
            .iter()
            .zip(&group)
            .filter(|(_, g)| **g == in_a)
            .map(|(n, _)| n.as_str())
            .collect()
    };
    let (ga, gb) = (side(true), side(false));
    let ids = |in_a: bool| -> Vec<NodeId> {
        (0..names.len())
            .filter(|&i| group[i] == in_a)
            .map(|i| NodeId(i as u32))
            .collect()
    };
    let split = Fault::Partition {
        groups: vec![ids(true), ids(false)],
    };
    let problem = if ga.is_empty() {
        Some("Group A is empty: tick at least one node.")
    } else if gb.is_empty() {
        Some("Group B is empty: leave at least one node unticked.")
    } else {
        None
    };
    let boxes = names.iter().enumerate().map(|(i, n)| {
        let onchange = {
            let ticked = ticked.clone();
            let group = group.clone();
            Callback::from(move |e: Event| {
                let el: HtmlInputElement = e.target_unchecked_into();
                let mut g = group.clone();
                g[i] = el.checked();
                ticked.set(Some(g));
            })
        };
        html! {
            <label class="tick">
                <input type="checkbox" checked={group[i]} {onchange} />
                { n.clone() }
            </label>
        }
    });
    let label = format!("Partition {{{}}} | {{{}}}", ga.join(" "), gb.join(" "));
    html! {
        <fieldset class="fault-set partition-row">
            <legend>{ "Split into two groups" }</legend>
            <p class="hint muted">{ "Tick group A; the rest is group B." }</p>
            <div class="ticks">{ for boxes }</div>
            { fault_button("fault", apply(store, split), problem.is_some(),
                problem.is_some().then_some("fp-part-error"),
                "Split the network: nodes in different groups cannot reach each other (this replaces any cuts)".into(),
                label.into()) }
            if let Some(p) = problem {
                { field_error(Some("fp-part-error"), p) }
            }
        </fieldset>
    }
}

fn heal_row(store: &Shell, names: &[String], net: &NetView, cuts: &[(u32, u32)]) -> Html {
    let pairs: Vec<String> = cuts
        .iter()
        .map(|&(a, b)| {
            let (ab, ba) = (net.blocked.contains(&(a, b)), net.blocked.contains(&(b, a)));
            let (from, to) = if ab || !ba { (a, b) } else { (b, a) };
            let arrow = if ab && ba { "↔" } else { "→" };
            format!("{}{arrow}{}", name_of(names, from), name_of(names, to))
        })
        .collect();
    let status = match pairs.len() {
        0 => "Nothing is cut.".to_string(),
        n if n <= CUTS_LISTED => format!("Cut now: {}", pairs.join(", ")),
        n => format!("{n} links cut now"),
    };
    let title = if pairs.is_empty() {
        "Nothing is cut, so there is nothing to heal".to_string()
    } else {
        format!("Restore every cut link ({})", pairs.join(", "))
    };
    html! {
        <div class="fault-row heal-row">
            { fault_button("heal", apply(store, Fault::Heal), cuts.is_empty(), None, title.into(),
                "Heal network".into()) }
            <span class="muted" title={pairs.join(", ")}>{ status }</span>
        </div>
    }
}

// ---------- Latency, loss, duplication ---------------------------------------------------

/// What a parameters form sets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    Network,
    Link { from: u32, to: u32, both: bool },
}

/// The text of the four fields, as typed.
#[derive(Clone, PartialEq, Debug)]
pub struct ParamsForm {
    pub min: String,
    pub max: String,
    pub loss: String,
    pub dup: String,
}

/// One message per field (`None`: fine).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct ParamsErrors {
    pub min: Option<String>,
    pub max: Option<String>,
    pub loss: Option<String>,
    pub dup: Option<String>,
}

impl ParamsErrors {
    fn any(&self) -> bool {
        self.min.is_some() || self.max.is_some() || self.loss.is_some() || self.dup.is_some()
    }
}

impl ParamsForm {
    pub fn from_params(p: &LinkParams) -> Self {
        ParamsForm {
            min: p.latency[0].to_string(),
            max: p.latency[1].to_string(),
            loss: percent(p.loss),
            dup: percent(p.duplicate),
        }
    }

    /// The parameters, or what is wrong with each field.
    pub fn check(&self) -> Result<LinkParams, ParamsErrors> {
        let min = parse_ms(&self.min);
        let max = parse_ms(&self.max);
        let loss = parse_percent(&self.loss);
        let dup = parse_percent(&self.dup);
        let mut errors = ParamsErrors {
            min: min.as_ref().err().cloned(),
            max: max.as_ref().err().cloned(),
            loss: loss.as_ref().err().cloned(),
            dup: dup.as_ref().err().cloned(),
        };
        if let (Ok(lo), Ok(hi)) = (&min, &max) {
            if lo > hi {
                errors.max = Some(format!(
                    "The maximum must be at least the minimum ({lo} ms)."
                ));
            }
        }
        match (min, max, loss, dup) {
            (Ok(lo), Ok(hi), Ok(loss), Ok(duplicate)) if !errors.any() => Ok(LinkParams {
                latency: [lo, hi],
                loss,
                duplicate,
            }),
            _ => Err(errors),
        }
    }
}

/// A probability as a percentage for a field: at most two decimals, no trailing zeros.
pub fn percent(p: f64) -> String {
    dsplay_core::decimal::trimmed(p * 100.0, 2).to_string()
}

/// A number typed by a person: spaces and thousands separators (`,` `_`) are ignored.
fn number(text: &str) -> Result<f64, String> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '_')
        .collect();
    if t.is_empty() {
        return Err("Enter a number.".into());
    }
    match decimal(&t) {
        Some(x) if x.is_finite() => Ok(x),
        _ => Err(format!("“{}” is not a number.", text.trim())),
    }
}

/// A decimal number as Rust writes one (`12`, `-0.5`, `.5`, `5.`, `+1e3`), read as a JSON
/// value by the reader the page has anyway: `str::parse::<f64>` would add its own reader
/// and its 10 KB table of powers of five to the page.
pub fn decimal(text: &str) -> Option<f64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'-' => ("-", &text[1..]),
        b'+' => ("", &text[1..]),
        _ => ("", text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    let exponent = match exponent {
        None => "0",
        Some(e) => {
            let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
            if unsigned.is_empty() || !digits(unsigned) {
                return None;
            }
            e.strip_prefix('+').unwrap_or(e)
        }
    };
    let int = int.trim_start_matches('0');
    let json = format!(
        "{sign}{}.{}e{exponent}",
        if int.is_empty() { "0" } else { int },
        if frac.is_empty() { "0" } else { frac }
    );
    serde_json::from_str::<serde_json::Value>(&json)
        .ok()?
        .as_f64()
}

/// Milliseconds: a whole number from 0 to [`MAX_LATENCY`].
pub fn parse_ms(text: &str) -> Result<u64, String> {
    let x = number(text)?;
    if x < 0.0 {
        Err("Cannot be negative.".into())
    } else if x.fract() != 0.0 {
        Err("Whole milliseconds only.".into())
    } else if x > MAX_LATENCY as f64 {
        Err("At most 3,600,000 ms (one hour).".into())
    } else {
        Ok(x as u64)
    }
}

/// A percentage from 0 to 100, as a probability from 0 to 1.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let x = number(text.trim().trim_end_matches('%'))?;
    if (0.0..=100.0).contains(&x) {
        Ok(x / 100.0)
    } else {
        Err("Between 0 and 100 %.".into())
    }
}

/// Four fields (latency min and max, loss, duplication) and a button that sets them on
/// `target`. `current` is shown until the person types.
fn params_editor(
    store: &Shell,
    names: &[String],
    target: Target,
    current: &LinkParams,
    edited: &Edit,
) -> Html {
    let mine = edited.as_ref().filter(|(t, _)| *t == target);
    let dirty = mine.is_some();
    let form = mine.map_or_else(|| ParamsForm::from_params(current), |(_, f)| f.clone());
    let checked = form.check();
    let errors = checked.clone().err().unwrap_or_default();
    let prefix = match target {
        Target::Network => "fp-net",
        Target::Link { .. } => "fp-link",
    };
    let field = |key: &str,
                 label: &str,
                 unit: &str,
                 value: &str,
                 error: &Option<String>,
                 set: fn(&mut ParamsForm, String)| {
        let id = format!("{prefix}-{key}");
        let err_id = format!("{id}-error");
        let oninput = {
            let edited = edited.clone();
            let form = form.clone();
            Callback::from(move |e: InputEvent| {
                let el: HtmlInputElement = e.target_unchecked_into();
                let mut f = form.clone();
                set(&mut f, el.value());
                edited.set(Some((target, f)));
            })
        };
        html! {
            <div class={classes!("field", error.is_some().then_some("invalid"))}>
                <label for={id.clone()}>{ label.to_string() }</label>
                <span class="input-unit">
                    <input id={id} type="text" inputmode="decimal" size="6" value={value.to_string()}
                        {oninput} aria-invalid={error.is_some().to_string()}
                        aria-describedby={error.is_some().then(|| err_id.clone())} />
                    <span class="unit" aria-hidden="true">{ unit.to_string() }</span>
                </span>
                if let Some(e) = error {
                    <span class="field-error" id={err_id}>{ e.clone() }</span>
                }
            </div>
        }
    };

    let fix = "Fix the fields marked first".to_string();
    let (button, title, action) = match target {
        Target::Network => match &checked {
            Ok(p) => (
                "Apply to network".to_string(),
                "Set every link without its own settings to these values".to_string(),
                Some(Fault::Network {
                    latency: Some(p.latency),
                    loss: Some(p.loss),
                    duplicate: Some(p.duplicate),
                }),
            ),
            Err(_) => ("Apply to network".to_string(), fix, None),
        },
        Target::Link { from, to, both } => {
            let (f, t) = (name_of(names, from), name_of(names, to));
            let label = format!("Apply to link {f} {} {t}", if both { "↔" } else { "→" });
            match &checked {
                Ok(p) => (
                    label,
                    if both {
                        format!("Set the links {f} → {t} and {t} → {f} to these values")
                    } else {
                        format!("Set the link {f} → {t} to these values (not {t} → {f})")
                    },
                    Some(Fault::Link {
                        from: NodeId(from),
                        to: NodeId(to),
                        params: p.clone(),
                        both,
                    }),
                ),
                Err(_) => (label, fix, None),
            }
        }
    };
    let onclick = {
        let store = store.clone();
        let edited = edited.clone();
        let action = action.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(a) = &action {
                store.dispatch(ShellMsg::Fault(a.clone()));
                edited.set(None);
            }
        })
    };
    let reset = {
        let edited = edited.clone();
        Callback::from(move |_: MouseEvent| edited.set(None))
    };
    html! {
        <div class="params">
            <div class="params-fields">
                { field("min", "Latency min", "ms", &form.min, &errors.min, |f, v| f.min = v) }
                { field("max", "max", "ms", &form.max, &errors.max, |f, v| f.max = v) }
                { field("loss", "Loss", "%", &form.loss, &errors.loss, |f, v| f.loss = v) }
                { field("dup", "Duplication", "%", &form.dup, &errors.dup, |f, v| f.dup = v) }
            </div>
            <div class="params-actions">
                { fault_button("fault", onclick, action.is_none(), None, title.into(), button.into()) }
                if dirty {
                    <button type="button" class="link-like" onclick={reset}
                        title="Show the values in force now again">{ "Undo edits" }</button>
                }
            </div>
        </div>
    }
}

fn link_section(
    store: &Shell,
    names: &[String],
    net: &NetView,
    (fi, ti): (usize, usize),
    (from, to, both): (
        &UseStateHandle<usize>,
        &UseStateHandle<usize>,
        &UseStateHandle<bool>,
    ),
    edited: &Edit,
) -> Html {
    let current = net
        .links
        .iter()
        .find(|(a, b, _)| *a as usize == fi && *b as usize == ti)
        .map_or(&net.default, |(_, _, p)| p);
    let on_both = {
        let both = both.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            both.set(el.checked());
        })
    };
    let overrides = net.links.iter().map(|(a, b, p)| {
        html! { <li>{ format!(
            "{} → {}: {}–{} ms, loss {} %, dup {} %",
            name_of(names, *a), name_of(names, *b), p.latency[0], p.latency[1],
            percent(p.loss), percent(p.duplicate)
        ) }</li> }
    });
    let target = Target::Link {
        from: fi as u32,
        to: ti as u32,
        both: **both,
    };
    html! {
        <details class="fault-group links">
            <summary>{ format!("Link settings ({} with their own)", net.links.len()) }</summary>
            <div class="fault-row link-pick">
                <label for="fp-link-from">{ "From" }</label>
                { node_picker("fp-link-from", names, fi, from) }
                <label for="fp-link-to">{ "to" }</label>
                { node_picker("fp-link-to", names, ti, to) }
                <label class="tick">
                    <input type="checkbox" checked={**both} onchange={on_both} />
                    { "both directions" }
                </label>
            </div>
            if fi == ti {
                { field_error(None, "Pick two different nodes: a link joins two nodes.") }
            } else {
                { params_editor(store, names, target, current, edited) }
            }
            if !net.links.is_empty() {
                <ul class="overrides muted">{ for overrides }</ul>
            }
        </details>
    }
}

// ---------- Messages ----------------------------------------------------------------------

/// "m12 REQ n1 → n2".
fn msg_title(m: &MsgView, names: &[String]) -> String {
    format!(
        "m{} {} {} → {}",
        m.id,
        m.label,
        name_of(names, m.from),
        name_of(names, m.to)
    )
}

fn messages_section(store: &Shell, snap: &Snapshot, delay: &UseStateHandle<String>) -> Html {
    let names = &snap.names;
    let flying = &snap.flying;
    let chosen = store
        .selected_msg
        .and_then(|id| flying.iter().find(|m| m.id == id));
    let selected = match (chosen, &snap.gone) {
        (Some(m), _) => selected_message(store, m, names, delay),
        (None, Some(why)) => html! { <p class="msg-gone" role="status">{ why.clone() }</p> },
        (None, None) if flying.is_empty() => html! {},
        (None, None) => html! {
            <p class="muted">{ "Pick a message below (or click its dot in the view) to drop or delay it." }</p>
        },
    };
    let summary = match flying.len() {
        0 => "Messages: none in flight".to_string(),
        1 => "Messages: 1 in flight".to_string(),
        n => format!("Messages: {n} in flight"),
    };
    html! {
        <details class="fault-group messages" open=true>
            <summary>{ summary }</summary>
            { selected }
            if flying.is_empty() {
                <p class="muted">{ "No message is in flight at this step." }</p>
            } else {
                { msg_list(store, flying, names) }
            }
        </details>
    }
}

/// Rows of the list of messages in flight drawn beyond those in sight, above and below.
const MSG_OVERSCAN: usize = 4;
/// Rows drawn while playing before the list has been scrolled: more than its height shows.
const MSG_FIRST: usize = 12;

thread_local! {
    /// The list of messages in flight as last scrolled: its scroll offset, its height and
    /// the height of a row (px); all 0 until it is scrolled.
    static MSG_SCROLL: std::cell::Cell<(f64, f64, f64)> = const { std::cell::Cell::new((0.0, 0.0, 0.0)) };
    /// How many rows the list has, as last drawn.
    static MSG_ROWS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The messages in flight, one button each. With a busy network there are hundreds, most
/// changing every frame while playing: then only the rows in or near the list's scroll
/// window are drawn, between two empty rows as tall as those left out, so the scroll
/// height and what is in sight stay as if all were drawn. Stopped, all are drawn.
fn msg_list(store: &Shell, flying: &[MsgView], names: &[String]) -> Html {
    let n = flying.len();
    MSG_ROWS.with(|c| c.set(n));
    let (top, height, row) = MSG_SCROLL.with(|c| c.get());
    let (first, last) = if !store.playing {
        (0, n)
    } else if row > 0.0 {
        let first = ((top / row) as usize).saturating_sub(MSG_OVERSCAN).min(n);
        let last = (((top + height) / row).ceil() as usize + MSG_OVERSCAN).min(n);
        (first, last.max(first))
    } else {
        (0, MSG_FIRST.min(n))
    };
    let onscroll = Callback::from(|e: Event| {
        let el: web_sys::Element = e.target_unchecked_into();
        let rows = MSG_ROWS.with(|c| c.get()).max(1);
        let row = f64::from(el.scroll_height()) / rows as f64;
        let now = (
            f64::from(el.scroll_top()),
            f64::from(el.client_height()),
            row,
        );
        MSG_SCROLL.with(|c| c.set(now));
    });
    // Before the list is scrolled, rows are guessed as tall as the style sheet makes them.
    let gap = |rows: usize| {
        let h = if row > 0.0 {
            format!("height:{}px", (rows as f64 * row).round() as u64)
        } else {
            format!("height:calc({rows} * 1.71em + {rows}px)")
        };
        html! { <li class="msg-gap" aria-hidden="true" style={h}></li> }
    };
    let rows = flying[first..last].iter().enumerate().map(|(i, m)| {
        let id = m.id;
        let sel = store.selected_msg == Some(id);
        let onclick = {
            let store = store.clone();
            Callback::from(move |_: MouseEvent| store.dispatch(ShellMsg::SelectMessage(Some(id))))
        };
        html! {
            <li key={id} aria-setsize={n.to_string()} aria-posinset={(first + i + 1).to_string()}>
                <button type="button" class={classes!("msg-pick", sel.then_some("selected"))}
                    {onclick} aria-pressed={sel.to_string()}
                    title={format!("{} (sent t={} ms, due t={} ms)", m.text, m.sent_at, m.deliver_at)}>
                    <span class={format!("msg-dot m{}", label_colour(m.label))} aria-hidden="true"></span>
                    <span class="msg-name">{ msg_title(m, names) }</span>
                    <span class="muted due">{ format!("t={}", m.deliver_at) }</span>
                </button>
            </li>
        }
    });
    html! {
        <ul class="msg-list" aria-label="Messages in flight" {onscroll}>
            if first > 0 { { gap(first) } }
            { for rows }
            if last < n { { gap(n - last) } }
        </ul>
    }
}

/// The selected message, in flight: what it is, and buttons to drop or delay it.
fn selected_message(
    store: &Shell,
    m: &MsgView,
    names: &[String],
    delay: &UseStateHandle<String>,
) -> Html {
    let id = m.id;
    let by = parse_delay(delay);
    let on_delay = match &by {
        Ok(by) => apply(store, Fault::DelayMessage { id, by: *by }),
        Err(_) => Callback::noop(),
    };
    let on_input = {
        let delay = delay.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            delay.set(el.value());
        })
    };
    let by_text = by
        .as_ref()
        .map_or_else(|_| "…".to_string(), |b| b.to_string());
    html! {
        <div class="msg-selected">
            <p class="msg-head">
                <strong>{ msg_title(m, names) }</strong>
                <span class="muted">{ format!(" due t={} ms", m.deliver_at) }</span>
            </p>
            if !m.text.is_empty() {
                <p class="msg-text muted">{ m.text.clone() }</p>
            }
            <div class="fault-row msg-actions">
                { fault_button("fault", apply(store, Fault::DropMessage { id }), false, None,
                    format!("Drop m{id} now: it never arrives (the log says it was dropped by hand)").into(),
                    format!("Drop m{id}").into()) }
                <span class="delay-group">
                    <button type="button" class="fault" onclick={on_delay} disabled={by.is_err()}
                        aria-label={format!("Delay m{id} by {by_text} ms")}
                        title={format!("Deliver m{id} {by_text} ms later than planned")}>
                        { format!("Delay m{id} by") }
                    </button>
                    <input id="fp-delay" type="text" inputmode="numeric" size="5"
                        value={(**delay).clone()} oninput={on_input}
                        aria-label="Delay in milliseconds"
                        aria-invalid={by.is_err().to_string()}
                        aria-describedby={by.is_err().then_some("fp-delay-error")} />
                    <span class="unit">{ "ms" }</span>
                </span>
                if let Err(e) = &by {
                    { field_error(Some("fp-delay-error"), e) }
                }
            </div>
        </div>
    }
}

/// A delay for a message: a whole number of ms from 1 to [`MAX_LATENCY`].
pub fn parse_delay(text: &str) -> Result<u64, String> {
    match parse_ms(text)? {
        0 => Err("At least 1 ms.".into()),
        by => Ok(by),
    }
}

/// Why message `id` cannot be dropped or delayed at step `pos`.
fn not_in_flight(all: &[MsgView], id: u64, pos: u64) -> String {
    match all.iter().find(|m| m.id == id) {
        None => format!("m{id} is not part of this run (the future it was in was dropped)."),
        Some(m) if m.sent_step >= pos => format!(
            "m{id} is not sent yet at this step (it is sent in step {}).",
            m.sent_step
        ),
        Some(m) => match m.fate {
            Fate::Delivered => format!(
                "m{id} is no longer in flight: it was delivered at t={} ms.",
                m.deliver_at
            ),
            Fate::Dropped { reason } => match reason {
                DropReason::Loss | DropReason::User => {
                    format!(
                        "m{id} is no longer in flight: it was {}.",
                        reason.describe()
                    )
                }
                _ => format!(
                    "m{id} is no longer in flight: it was dropped ({}).",
                    reason.describe()
                ),
            },
            Fate::InFlight => format!("m{id} is not in flight at this step."),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    #[wasm_bindgen_test]
    fn milliseconds_are_checked() {
        assert_eq!(parse_ms("20"), Ok(20));
        assert_eq!(parse_ms(" 3,600,000 "), Ok(MAX_LATENCY));
        assert!(parse_ms("3600001").unwrap_err().contains("At most"));
        assert!(parse_ms("-5").unwrap_err().contains("negative"));
        assert!(parse_ms("1.5").unwrap_err().contains("Whole"));
        assert!(parse_ms("abc").unwrap_err().contains("not a number"));
        assert!(parse_ms("").unwrap_err().contains("Enter"));
        assert!(parse_ms("NaN").is_err());
        assert!(parse_ms("inf").is_err());
        assert!(parse_ms("1e30").is_err());
        assert_eq!(parse_delay("0").unwrap_err(), "At least 1 ms.");
    }

    #[wasm_bindgen_test]
    fn percentages_are_checked() {
        assert_eq!(parse_percent("50"), Ok(0.5));
        assert_eq!(parse_percent("12.5 %"), Ok(0.125));
        assert_eq!(parse_percent("0"), Ok(0.0));
        assert_eq!(parse_percent("100"), Ok(1.0));
        assert!(parse_percent("101").is_err());
        assert!(parse_percent("-1").is_err());
        assert!(parse_percent("x").is_err());
        assert_eq!(percent(0.1), "10");
        assert_eq!(percent(0.125), "12.5");
        assert_eq!(percent(0.0), "0");
        assert_eq!(percent(1.0), "100");
    }

    #[wasm_bindgen_test]
    fn decimals_read_as_rust_reads_them() {
        for t in [
            "0",
            "12",
            "-3",
            "+4",
            "0.5",
            ".5",
            "5.",
            "-.25",
            "007",
            "1e3",
            "2.5E-2",
            "1e+2",
            "12.345678901234567",
            "3600000",
        ] {
            assert_eq!(decimal(t), t.parse::<f64>().ok(), "{t}");
        }
        for t in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "--1", "1x", "inf", "NaN", "0x10",
        ] {
            assert_eq!(decimal(t), None, "{t}");
        }
    }

    #[wasm_bindgen_test]
    fn a_form_needs_min_at_most_max() {
        let mut f = ParamsForm::from_params(&LinkParams::default());
        assert_eq!(f.check().map(|p| p.latency), Ok([10, 50]));
        f.min = "60".into();
        let e = f.check().unwrap_err();
        assert!(e.min.is_none());
        assert!(e.max.unwrap().contains("at least the minimum"));
        f.min = "5".into();
        f.loss = "200".into();
        let e = f.check().unwrap_err();
        assert!(e.loss.is_some() && e.max.is_none());
    }
}
