//! The invariant panel: each safety property with its status at the current step.

use super::Shell;
use crate::store::ShellMsg;
use yew::prelude::*;

pub fn invariant_panel(store: &Shell) -> Html {
    let s = store.session.borrow();
    let pos = s.pos();
    let violations = s.violations();
    let rows = s.properties().into_iter().map(|p| {
        let first = violations.iter().find(|v| v.property == p.name);
        let now = first.filter(|v| v.step < pos);
        let (class, status) = match (now, first) {
            (Some(_), _) => ("prop violated", "✗ violated"),
            (None, Some(_)) => ("prop later", "✓ holds so far"),
            (None, None) => ("prop ok", "✓ holds"),
        };
        let jump = first.map(|v| {
            let store = store.clone();
            let step = v.step + 1;
            let onclick = Callback::from(move |_: MouseEvent| store.dispatch(ShellMsg::Seek(step)));
            html! {
                <button class="jump" {onclick}>{ format!("Jump to first violation (step {step})") }</button>
            }
        });
        html! {
            <li class={class}>
                <div class="prop-head">
                    <span class="prop-name">{ p.name }</span>
                    <span class="prop-status">{ status }</span>
                </div>
                <div class="prop-desc">{ p.description }</div>
                if let Some(v) = now {
                    <div class="prop-why">{ format!("step {}: {}", v.step + 1, v.explanation) }</div>
                }
                { for jump }
            </li>
        }
    });
    // Read out at once when the run reaches a violation (stepping or playing): the
    // properties violated by now, each with the step and why. It stays the same text while
    // the run goes on, so it is said once.
    let alert = s
        .properties()
        .into_iter()
        .filter_map(|p| {
            violations
                .iter()
                .find(|v| v.property == p.name && v.step < pos)
        })
        .map(|v| {
            format!(
                "Safety property {} violated at step {}: {}.",
                v.property,
                v.step + 1,
                v.explanation
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        <section class="panel invariants" aria-label="Safety properties">
            <div class="visually-hidden" role="alert" aria-atomic="true">{ alert }</div>
            <h2>{ "Safety properties" }</h2>
            <ul class="prop-list">{ for rows }</ul>
        </section>
    }
}
