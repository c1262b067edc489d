//! The inspector: the selected node's state as a readable tree, in two parts where the
//! algorithm splits it: what is on disk (kept through a crash) and what is in memory (lost).

use super::faults::{node_actions, node_fault};
use super::Shell;
use crate::store::ShellMsg;
use dsplay_core::{NodeId, NodeStatus};
use serde_json::Value;
use yew::prelude::*;

pub fn inspector(store: &Shell) -> Html {
    let s = store.session.borrow();
    let Some(n) = store.selected else {
        return html! {
            <section class="panel inspector" aria-label="Inspector">
                <h2>{ "Inspector" }</h2>
                <p class="muted">{ "Click a node to see its state." }</p>
            </section>
        };
    };
    let name = s.names().get(n as usize).cloned().unwrap_or_default();
    let node_status = s.status(n).unwrap_or(NodeStatus::Up);
    let status = match node_status {
        NodeStatus::Up => "up".to_string(),
        NodeStatus::Crashed { since } => format!("crashed at t={since} ms"),
        NodeStatus::Paused { since } => format!("paused since t={since} ms"),
    };
    let state = s.node_state(n).unwrap_or(Value::Null);
    // What the last step changed, if this node took it.
    let acted = s.last_actor() == Some(n);
    let changed: Vec<String> = if acted {
        s.node_state_before(n)
            .map(|before| changed_fields(&before, &state))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    // Only the actions that do something in this status are offered (the palette's).
    let buttons = node_actions(node_status).iter().map(|(key, verb, what)| {
        let onclick = store.on(ShellMsg::Fault(node_fault(key, NodeId(n))));
        html! {
            <button class="ctl fault" {onclick} title={format!("{verb} {name} now: {what}")}>
                { format!("{verb} {name}") }
            </button>
        }
    });
    html! {
        <section class="panel inspector" aria-label="Inspector">
            <h2>{ format!("{name}: {status}") }</h2>
            <div class="node-actions">{ for buttons }</div>
            if acted {
                <p class="changed-note">{
                    if changed.is_empty() { "It acted in the last step; its state did not change.".to_string() }
                    else { format!("Changed by the last step: {}", changed.iter().map(|k| label(k.rsplit('.').next().unwrap_or(k))).collect::<Vec<_>>().join(", ")) }
                }</p>
            }
            <div class="tree">{ parts(&state, &changed) }</div>
        </section>
    }
}

/// Turn `snake_case` field names into words.
fn label(key: &str) -> String {
    key.replace('_', " ")
}

/// The parts of a node's state: `disk` and `memory` when the algorithm splits it (a
/// `role` beside them names the node's role), else the state as a whole.
const PARTS: [(&str, &str); 2] = [
    ("disk", "On disk: kept through a crash"),
    ("memory", "In memory: lost in a crash"),
];

fn is_split(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.contains_key("disk") || m.contains_key("memory"))
}

/// The fields whose value differs between two states, by name (inside the disk and memory
/// parts when the state is split).
fn changed_fields(before: &Value, now: &Value) -> Vec<String> {
    let top = |b: &Value, n: &Value| -> Vec<String> {
        match (b, n) {
            (Value::Object(b), Value::Object(n)) => n
                .iter()
                .filter(|(k, v)| b.get(*k) != Some(*v))
                .map(|(k, _)| k.clone())
                .collect(),
            _ if b != n => vec![String::new()],
            _ => Vec::new(),
        }
    };
    if !is_split(now) {
        return top(before, now);
    }
    PARTS
        .iter()
        .flat_map(|(part, _)| {
            let b = before.get(part).unwrap_or(&Value::Null);
            let n = now.get(part).unwrap_or(&Value::Null);
            top(b, n).into_iter().map(move |k| {
                if k.is_empty() {
                    part.to_string()
                } else {
                    format!("{part}.{k}")
                }
            })
        })
        .collect()
}

/// The state, with the fields the last step changed highlighted.
fn parts(v: &Value, changed: &[String]) -> Html {
    if !is_split(v) {
        return top_tree(v, changed);
    }
    html! {
        <>
            if let Some(Value::String(role)) = v.get("role") {
                <p class="state-role"><span class="key">{ "role" }</span>{ " " }<span class="leaf">{ label(role) }</span></p>
            }
            { for PARTS.iter().map(|(part, heading)| {
                let inner = v.get(part).unwrap_or(&Value::Null);
                let prefix = format!("{part}.");
                let mine: Vec<String> = changed
                    .iter()
                    .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
                    .collect();
                html! {
                    <section class={classes!("state-part", *part)} aria-label={*heading}>
                        <h3>{ *heading }</h3>
                        if inner.is_null() || matches!(inner, Value::Object(m) if m.is_empty()) {
                            <p class="muted">{ "nothing" }</p>
                        } else {
                            { top_tree(inner, &mine) }
                        }
                    </section>
                }
            }) }
        </>
    }
}

/// A state's top level, with the fields the last step changed highlighted.
fn top_tree(v: &Value, changed: &[String]) -> Html {
    match v {
        Value::Object(map) if !map.is_empty() => html! {
            <ul class="tree-map">
                { for map.iter().map(|(k, v)| {
                    let class = classes!(changed.contains(k).then_some("changed"));
                    html! {
                        <li {class}>
                            <span class="key">{ label(k) }</span>
                            { if is_leaf(v) { html!{ <span class="leaf">{ leaf(v) }</span> } } else { tree(v) } }
                        </li>
                    }
                }) }
            </ul>
        },
        other => tree(other),
    }
}

fn tree(v: &Value) -> Html {
    match v {
        Value::Object(map) if map.is_empty() => {
            html! { <span class="leaf muted">{ "none" }</span> }
        }
        Value::Array(items) if items.is_empty() => {
            html! { <span class="leaf muted">{ "none" }</span> }
        }
        Value::Object(map) => html! {
            <ul class="tree-map">
                { for map.iter().map(|(k, v)| html! {
                    <li>
                        <span class="key">{ label(k) }</span>
                        { if is_leaf(v) { html!{ <span class="leaf">{ leaf(v) }</span> } } else { tree(v) } }
                    </li>
                }) }
            </ul>
        },
        Value::Array(items) => {
            if items.iter().all(is_leaf) {
                let text = items.iter().map(leaf).collect::<Vec<_>>().join(", ");
                html! { <span class="leaf">{ text }</span> }
            } else {
                html! {
                    <ol class="tree-list">
                        { for items.iter().map(|x| html! { <li>{ if is_leaf(x) { html!{ <span class="leaf">{ leaf(x) }</span> } } else { tree(x) } }</li> }) }
                    </ol>
                }
            }
        }
        other => html! { <span class="leaf">{ leaf(other) }</span> },
    }
}

fn is_leaf(v: &Value) -> bool {
    !matches!(v, Value::Object(m) if !m.is_empty())
        && !matches!(v, Value::Array(a) if !a.iter().all(|x| !x.is_object() && !x.is_array()))
}

fn leaf(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => {
            if *b {
                "yes".into()
            } else {
                "no".into()
            }
        }
        Value::Number(n) => n.to_string(),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Object(m) if m.is_empty() => "none".into(),
        Value::Array(a) => a.iter().map(leaf).collect::<Vec<_>>().join(", "),
        Value::Object(_) => String::new(),
    }
}
