//! The Chord side panel: look up a key from a chosen node, join a node through a member,
//! make a member leave (its keys handed over) or fail it, every parameter by its scenario
//! name, and the legend.

use super::{kind_of, name_of, phase_word, KINDS};
use crate::components::cluster::{
    apply_numbers, field_texts, number_inputs, panel_legend, param_form_apply, param_section,
    param_text_input, param_toggle, restart_changed, NumField,
};
use crate::components::{use_shell, use_typed};
use dsplay_core::algo::chord::ring::key_pos;
use dsplay_core::algo::chord::{Chord, Cmd, Params, Phase, MAX_KEY_CHARS, MAX_NODES};
use dsplay_core::session::Session;
use dsplay_core::{Action, NodeId, NodeStatus, Protocol};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The numeric parameters: the name in a scenario file, the range the core accepts, how
/// to read and write it, and what it means.
pub const FIELDS: [NumField<Params>; 7] = [
    (
        "bits",
        4,
        16,
        |p| u64::from(p.bits),
        |p, v| p.bits = v as u32,
        "m: the identifier circle has 2^m positions",
    ),
    (
        "nodes",
        1,
        MAX_NODES as u64,
        |p| u64::from(p.nodes),
        |p, v| p.nodes = v as u32,
        "Nodes n1..nN; the first `members` are in the ring at the start, the others can join",
    ),
    (
        "members",
        1,
        MAX_NODES as u64,
        |p| u64::from(p.members),
        |p, v| p.members = v as u32,
        "Nodes in the ring at the start (stabilised), at most `nodes`",
    ),
    (
        "successors",
        1,
        5,
        |p| u64::from(p.successors),
        |p, v| p.successors = v as u32,
        "r: entries of each successor list; r entries survive r - 1 adjacent failures between two stabilizations",
    ),
    (
        "stabilize_every",
        10,
        60_000,
        |p| p.stabilize_every,
        |p, v| p.stabilize_every = v,
        "How often a node runs stabilize and checks its predecessor (ms)",
    ),
    (
        "fix_fingers_every",
        10,
        60_000,
        |p| p.fix_fingers_every,
        |p, v| p.fix_fingers_every = v,
        "How often a node refreshes one finger (fix_fingers, ms)",
    ),
    (
        "timeout",
        10,
        60_000,
        |p| p.timeout,
        |p, v| p.timeout = v,
        "A node that does not answer within this many ms is taken for failed",
    ),
];

/// Typed node positions, `1, 8, 14` (empty: by hash).
pub fn parse_ids(text: &str) -> Result<Vec<u64>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<u64>()
                .map_err(|_| format!("ids must be whole numbers separated by commas (got `{s}`); nothing was changed"))
        })
        .collect()
}

/// `params` with the fields typed by a person (the numbers in [`FIELDS`] order, then
/// `ids` and `keys`), or why not: the field named, as the core names it; nothing changes
/// on a refusal.
pub fn apply_fields(params: &Params, texts: &[String]) -> Result<Params, String> {
    let mut next = params.clone();
    apply_numbers(&FIELDS, &mut next, texts)?;
    if let Some(ids) = texts.get(FIELDS.len()) {
        next.ids = parse_ids(ids)?;
    }
    if let Some(keys) = texts.get(FIELDS.len() + 1) {
        next.keys = keys
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
    }
    Chord::new(next.clone())
        .map(|_| next)
        .map_err(|e| format!("{e}; nothing was changed"))
}

/// A key typed by a person: a name (hashed) or a position on the circle of `size`.
pub fn check_key(key: &str, size: u64) -> Result<u64, String> {
    let k = key.trim();
    if k.is_empty() {
        Err("type a key: a name (hashed onto the circle) or a position".into())
    } else if k.chars().count() > MAX_KEY_CHARS {
        Err(format!("a key has at most {MAX_KEY_CHARS} characters"))
    } else {
        // A number is its own position (modulo 2^bits), a name is hashed.
        key_pos(k, size).ok_or_else(|| "type a key".to_string())
    }
}

/// A select of nodes, by name, with the chosen one.
fn node_select(
    label: &str,
    ids: &[NodeId],
    chosen: Option<NodeId>,
    names: &[String],
    set: &UseStateHandle<Option<u32>>,
) -> Html {
    let set = set.clone();
    let onchange = Callback::from(move |e: Event| {
        let el: HtmlSelectElement = e.target_unchecked_into();
        set.set(el.value().parse().ok());
    });
    html! {
        <select aria-label={label.to_string()} {onchange} disabled={ids.is_empty()}>
            { for ids.iter().map(|t| html! {
                <option key={t.0} value={t.0.to_string()} selected={Some(*t) == chosen}>{ names[t.index()].clone() }</option>
            }) }
        </select>
    }
}

/// What the view's marks mean, for the legend.
const LEGEND: &str = "Circle: node ids clockwise from 0 at the top. Outside arrows → successor, dashed inside arrows → predecessor; a wrong pointer is red and dashed with ✗. Chords f1… are the fingers of the node whose table is shown (finger i = successor(n + 2^(i-1))). ◆ keys at their position, ⚷ the keys a node stores, ✕ a lost key. A lookup's path is numbered hop by hop. Dashed circle: outside the ring; grey with a cross: failed.";

/// The side panel.
#[function_component(ChordPanel)]
pub fn chord_panel() -> Html {
    let shell = use_shell();
    let typed = use_typed::<Chord>();
    let key = use_state(|| "apple".to_string());
    let from = use_state(|| None::<u32>);
    let joiner = use_state(|| None::<u32>);
    let via = use_state(|| None::<u32>);
    let texts = use_state(|| None::<Vec<String>>);
    let form_error = use_state(|| None::<String>);

    let l = typed.run.borrow();
    let names = l.names().to_vec();
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let params = proto.params().clone();
    let size = proto.size();
    let sel = shell
        .selected
        .filter(|&i| (i as usize) < names.len())
        .map(NodeId);
    let up = |n: NodeId| sim.is_up(n);
    let member = |n: NodeId| up(n) && sim.node(n).mem.phase == Phase::Member;
    let members: Vec<NodeId> = sim.node_ids().filter(|&n| member(n)).collect();
    let outside: Vec<NodeId> = sim
        .node_ids()
        .filter(|&n| up(n) && sim.node(n).mem.phase == Phase::Out)
        .collect();
    let pick = |state: &UseStateHandle<Option<u32>>, among: &[NodeId]| {
        (**state)
            .map(NodeId)
            .filter(|t| among.contains(t))
            .or(sel.filter(|t| among.contains(t)))
            .or_else(|| among.first().copied())
    };

    // ---- Look up a key ----
    let origin = pick(&from, &members);
    let key_ok = check_key(&key, size);
    let on_key = {
        let key = key.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            key.set(el.value());
        })
    };
    let on_lookup = {
        let typed = typed.clone();
        let k = key.trim().to_string();
        let ok = key_ok.is_ok();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let (true, Some(node)) = (ok, origin) {
                typed.act(Action::Command {
                    node,
                    cmd: Cmd::Lookup { key: k.clone() },
                });
            }
        })
    };
    let lookup_title = match (&key_ok, origin) {
        (_, None) => "No node is in the ring: a lookup starts at a member".to_string(),
        (Err(e), _) => format!("Cannot look up: {e}"),
        (Ok(p), Some(o)) => format!(
            "{} looks up key {} (position {p}): the lookup is forwarded to the closest preceding finger, hop by hop, until the key's successor answers",
            name_of(&names, o),
            key.trim()
        ),
    };

    // ---- Join ----
    let join_node = pick(&joiner, &outside);
    let via_node = pick(&via, &members);
    let join_title = match (join_node, via_node) {
        (None, _) => "Every running node is in the ring already (raise `nodes`, or make one leave)".to_string(),
        (_, None) => "No node is in the ring to join through".to_string(),
        (Some(j), Some(v)) => format!(
            "{} joins through {}: it looks up its own successor, then stabilize and notify make it known; its keys move to it",
            name_of(&names, j),
            name_of(&names, v)
        ),
    };
    let on_join = {
        let typed = typed.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let (Some(node), Some(via)) = (join_node, via_node) {
                typed.act(Action::Command {
                    node,
                    cmd: Cmd::Join { via },
                });
            }
        })
    };

    // ---- The selected node: leave, fail, restart ----
    let node_section = match sel {
        None => html! {
            <p class="muted">{ "Click a node on the circle (or focus it with Tab and press Enter) to see its finger table and make it leave, fail or restart." }</p>
        },
        Some(id) => {
            let name = name_of(&names, id).to_string();
            let node = sim.node(id);
            let st = sim.status(id);
            let crashed = matches!(st, NodeStatus::Crashed { .. });
            let is_member = member(id);
            let last = is_member && members.len() == 1;
            let leave_why = if crashed {
                Some(format!("{name} has failed: it cannot leave"))
            } else if !is_member {
                Some(format!(
                    "{name} is not in the ring ({})",
                    phase_word(node.mem.phase)
                ))
            } else if last {
                Some(format!(
                    "{name} is the only member: the ring would be empty"
                ))
            } else {
                None
            };
            html! {
                <>
                    <p class="node-summary"><strong>{ name.clone() }</strong>
                        { format!(" (id {}, {}{}) — keys {}",
                            node.disk.pos,
                            phase_word(node.mem.phase),
                            if crashed { ", failed" } else { "" },
                            if node.mem.keys.is_empty() { "none".to_string() } else { node.mem.keys.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ") }) }</p>
                    <div class="button-row">
                        <button class="ctl" disabled={leave_why.is_some()} onclick={typed.on_act(Action::Command { node: id, cmd: Cmd::Leave })}
                            title={leave_why.clone().unwrap_or_else(|| format!("{name} leaves voluntarily: it hands its keys to its successor and tells its neighbours"))}>
                            { format!("Leave ({name})") }</button>
                        if crashed {
                            <button class="ctl fault" onclick={typed.on_act(Action::Restart { node: id })}
                                title={format!("Restart {name}: it lost its pointers and keys, and joins again through the node it knew")}>
                                { format!("Restart {name}") }</button>
                        } else {
                            <button class="ctl fault" onclick={typed.on_act(Action::Crash { node: id })}
                                title={format!("Fail {name}: it stops without handing anything over; successor lists route around it, and its keys are lost{}",
                                    if params.replicate { " unless a successor holds a replica (replicate is on)" } else { " (replicate is off)" })}>
                                { format!("Fail {name}") }</button>
                        }
                    </div>
                    if let Some(w) = leave_why {
                        <p class="muted small">{ format!("Leave: {w}.") }</p>
                    }
                </>
            }
        }
    };

    // ---- Parameters ----
    let restart_with =
        |change: fn(&mut Params)| restart_changed(&typed, &form_error, &params, change);
    let shown: Vec<String> = field_texts(
        &texts,
        &FIELDS,
        &params,
        [
            params
                .ids
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            params.keys.join(", "),
        ],
    );
    let on_apply = param_form_apply(&typed, &params, &shown, &texts, &form_error, apply_fields);
    let set_text = |k: usize| param_text_input(&texts, &shown, k);
    let field_inputs = number_inputs(&FIELDS, &shown, &texts);
    type Toggle<'a> = (&'static str, bool, fn(&mut Params), &'a str, bool);
    let toggles: [Toggle; 4] = [
        ("fingers", params.fingers, |p| p.fingers = !p.fingers,
            "Route lookups by the finger table (closest preceding finger: about ½·log2 N hops); off: along successors only, one node per hop (N/2 hops)", false),
        ("fingers_at_start", params.fingers_at_start, |p| p.fingers_at_start = !p.fingers_at_start,
            "The starting ring's finger tables are filled in; off: every finger starts as the successor and fix_fingers fills them in one by one", false),
        ("replicate", params.replicate, |p| p.replicate = !p.replicate,
            "Each node copies its keys to its successor list, so a key survives its node's failure; off: a failed node's keys are lost", false),
        ("unsafe_original_join", params.unsafe_original_join, |p| p.unsafe_original_join = !p.unsafe_original_join,
            "UNSAFE, for teaching: the original paper's join and stabilize without Zave's fixes (a joining node takes its successor alone; stabilize adopts a successor without checking it is alive)", true),
    ];
    let toggle_inputs = toggles.iter().map(|&(name, on, flip, help, danger)| {
        param_toggle(name, on, help, None, danger, restart_with(flip))
    });

    html! {
        <section class="panel commands chord-panel" aria-label="Chord actions">
            <h2>{ "Look up a key" }</h2>
            <form class="lookup-form" onsubmit={on_lookup}>
                <label title={format!("A key: a name (hashed onto the circle) or a position below {size}")}>{ "key " }
                    <input type="text" value={(*key).clone()} oninput={on_key} maxlength="16" size="7"
                        aria-label="Key to look up" aria-invalid={key_ok.is_err().to_string()} />
                </label>
                <label title="The member the lookup starts at">{ "from " }
                    { node_select("Node the lookup starts at", &members, origin, &names, &from) }
                </label>
                <button type="submit" class="primary" disabled={key_ok.is_err() || origin.is_none()} title={lookup_title.clone()}>
                    { "Look up" }</button>
            </form>
            if let Err(e) = &key_ok {
                <p class="form-error">{ e.clone() }</p>
            } else if let Ok(p) = &key_ok {
                <p class="muted small">{ format!("key {} is at position {p}", key.trim()) }</p>
            }
            <h2>{ "Join a node" }</h2>
            <form class="join-form" onsubmit={on_join}>
                { node_select("Node that joins", &outside, join_node, &names, &joiner) }
                <label title="The member it asks to find its successor">{ " through " }
                    { node_select("Node to join through", &members, via_node, &names, &via) }
                </label>
                <button type="submit" class="primary" disabled={join_node.is_none() || via_node.is_none()} title={join_title.clone()}>
                    { "Join" }</button>
            </form>
            if join_node.is_none() || via_node.is_none() {
                <p class="muted small">{ join_title }</p>
            }
            <h2>{ match sel { Some(i) => format!("Node {}", name_of(&names, i)), None => "Leave or fail a node".to_string() } }</h2>
            { node_section }
            { param_section("chord-params", html! { <div class="options">{ for toggle_inputs }</div> }, html! {
                <>
                    { field_inputs }
                    <label class="wide" title="Typed positions of the nodes, one per node in order, separated by commas (empty: by hash)">
                        <code>{ "ids" }</code>
                        <input type="text" size="18" value={shown[FIELDS.len()].clone()} oninput={set_text(FIELDS.len())} aria-label="ids" />
                    </label>
                    <label class="wide" title="The keys stored at the start, separated by commas: a name is hashed onto the circle, a number is its own position">
                        <code>{ "keys" }</code>
                        <input type="text" size="18" value={shown[FIELDS.len() + 1].clone()} oninput={set_text(FIELDS.len() + 1)} aria-label="keys" />
                    </label>
                </>
            }, on_apply, form_error.as_deref()) }
            { panel_legend(&KINDS, kind_of, LEGEND) }
        </section>
    }
}
