//! The event log: every step's narration up to the current one, newest last.

use super::use_store;
use crate::store::Msg;
use yew::prelude::*;

/// How many steps before the current one the log lists.
const WINDOW: u64 = 200;

#[function_component(EventLog)]
pub fn event_log() -> Html {
    let store = use_store();
    let s = store.session.borrow();
    let pos = s.pos();
    let start = pos.saturating_sub(WINDOW);
    let names = s.names().to_vec();
    let items: Vec<Html> = (start..pos)
        .filter_map(|i| s.step_view(i))
        .map(|v| {
            let current = v.index + 1 == pos;
            let store = store.clone();
            let target = v.index + 1;
            let onclick = Callback::from(move |_: MouseEvent| store.dispatch(Msg::Seek(target)));
            let who = v
                .node
                .and_then(|n| names.get(n as usize).cloned())
                .unwrap_or_default();
            let mut class = classes!("log-entry");
            if current {
                class.push("current");
            }
            if !v.violations.is_empty() {
                class.push("violation");
            }
            if v.fault {
                class.push("fault");
            }
            let (head, rest) = v
                .narration
                .split_first()
                .map_or(("", &[][..]), |(h, r)| (h.as_str(), r));
            html! {
                <li {class} key={v.index}>
                    <button class="log-seek" {onclick} title="Go to this step">
                        <span class="log-step">{ format!("#{}", v.index + 1) }</span>
                        <span class="log-time">{ format!("{} ms", v.time) }</span>
                        if !who.is_empty() { <span class="log-node">{ who }</span> }
                    </button>
                    <div class="log-text">
                        <div class="log-head">{ head }</div>
                        { for rest.iter().map(|l| html! { <div class="log-line">{ l }</div> }) }
                    </div>
                </li>
            }
        })
        .collect();
    html! {
        <section class="panel event-log" aria-label="Event log">
            <h2>{ "What happened" }</h2>
            if pos == 0 {
                <p class="muted">{ "Nothing yet: press Play or step forward." }</p>
            }
            <ol class="log-list" reversed=true>{ for items.into_iter().rev() }</ol>
        </section>
    }
}
