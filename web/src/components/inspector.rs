//! The inspector: the selected node's state as a readable tree.

use super::use_shell;
use crate::store::ShellMsg;
use super::faults::{node_actions, node_fault};
use dsplay_core::{NodeId, NodeStatus};
use serde_json::Value;
use yew::prelude::*;

#[function_component(Inspector)]
pub fn inspector() -> Html {
    let store = use_shell();
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
        match (s.node_state_before(n), &state) {
            (Some(Value::Object(before)), Value::Object(now)) => now
                .iter()
                .filter(|(k, v)| before.get(*k) != Some(*v))
                .map(|(k, _)| k.clone())
                .collect(),
            _ => Vec::new(),
        }
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
                    else { format!("Changed by the last step: {}", changed.iter().map(|k| label(k)).collect::<Vec<_>>().join(", ")) }
                }</p>
            }
            <div class="tree">{ top_tree(&state, &changed) }</div>
        </section>
    }
}

/// Turn `snake_case` field names into words.
fn label(key: &str) -> String {
    key.replace('_', " ")
}

/// The state's top level, with the fields the last step changed highlighted.
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
