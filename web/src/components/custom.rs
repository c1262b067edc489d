//! "Custom…": edit the scenario itself (parameters, network, script) as JSON. A scenario
//! that cannot be used is refused with the field named, and the page keeps what it had.

use super::Shell;
use crate::store::ShellMsg;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// The editor, while it is open; `text` holds what the person typed (empty: nothing yet).
pub fn custom_scenario(store: &Shell, text: &UseStateHandle<String>) -> Html {
    if !store.editing {
        return html! {};
    }
    let current = dsplay_core::json::pretty_json(&store.session.borrow().original_json());
    let shown = if text.is_empty() {
        current.clone()
    } else {
        (**text).clone()
    };
    let on_input = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlTextAreaElement = e.target_unchecked_into();
            text.set(el.value());
        })
    };
    let apply = {
        let store = store.clone();
        let text = text.clone();
        let shown = shown.clone();
        Callback::from(move |_: MouseEvent| {
            store.dispatch(ShellMsg::Import(shown.clone()));
            text.set(String::new());
        })
    };
    let close = {
        let store = store.clone();
        let text = text.clone();
        Callback::from(move |_: MouseEvent| {
            text.set(String::new());
            store.dispatch(ShellMsg::EditScenario(false));
        })
    };
    html! {
        <div class="modal-backdrop">
            <div class="modal wide" role="dialog" aria-modal="true" aria-labelledby="custom-title">
                <h2 id="custom-title">{ "Custom scenario" }</h2>
                <p class="muted">{ "Change the parameters (under \"params\"), the seed, the network or the scripted actions, then load it. A value out of range is refused with the field named, and the page keeps the scenario it has." }</p>
                if let Some(err) = &store.error {
                    <p class="form-error" role="alert">{ err.clone() }</p>
                }
                <textarea class="scenario-editor" rows="18" spellcheck="false" value={shown}
                    oninput={on_input} aria-label="Scenario JSON" />
                <div class="modal-buttons">
                    { super::button("primary", apply, "Load this scenario") }
                    { super::button("ctl", close, "Close") }
                </div>
            </div>
        </div>
    }
}
