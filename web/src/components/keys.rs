//! Keyboard control of the playground, on the whole document.

use crate::store::ShellMsg;
use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What a key does, if anything. `None` leaves the key to the browser.
pub fn key_action(key: &str, shift: bool) -> Option<ShellMsg> {
    Some(match (key, shift) {
        (" " | "Spacebar", _) => ShellMsg::TogglePlay,
        ("ArrowRight", false) | ("PageDown", _) => ShellMsg::StepForward,
        ("ArrowLeft", false) | ("PageUp", _) => ShellMsg::StepBack,
        ("ArrowRight", true) => ShellMsg::StepBy(10),
        ("ArrowLeft", true) => ShellMsg::StepBy(-10),
        ("Home", _) => ShellMsg::Home,
        ("End", _) => ShellMsg::End,
        ("?", _) => ShellMsg::ToggleHelp,
        ("Escape", _) => ShellMsg::Dismiss,
        _ => return None,
    })
}

/// Whether keys typed at this element belong to it (text fields, selects, the scrubber).
fn is_typing_target(target: Option<web_sys::EventTarget>) -> bool {
    let Some(el) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return false;
    };
    match el.tag_name().to_ascii_lowercase().as_str() {
        "textarea" | "select" => true,
        "input" => {
            let kind = el.get_attribute("type").unwrap_or_default();
            // Buttons and checkboxes do not take text; a range slider takes arrows.
            !matches!(kind.as_str(), "button" | "checkbox" | "radio" | "submit")
        }
        _ => el.has_attribute("contenteditable"),
    }
}

/// Listen to keys on the document while the component lives.
#[hook]
pub fn use_keyboard(dispatch: Callback<ShellMsg>) {
    use_effect_with((), move |_| {
        let doc = gloo::utils::document();
        let opts = EventListenerOptions::enable_prevent_default();
        let listener = EventListener::new_with_options(&doc, "keydown", opts, move |e| {
            let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                return;
            };
            // A key a focused control already handled (a server's Enter or Space, say)
            // is not the page's as well.
            // Escape types nothing: it closes the help or the scenario editor from any
            // field, the editor's own text among them.
            if e.default_prevented()
                || e.ctrl_key()
                || e.meta_key()
                || e.alt_key()
                || (is_typing_target(e.target()) && e.key() != "Escape")
            {
                return;
            }
            if let Some(msg) = key_action(&e.key(), e.shift_key()) {
                // Space would also press a focused button, arrows would scroll: ours wins.
                e.prevent_default();
                dispatch.emit(msg);
            }
        });
        move || drop(listener)
    });
}
