//! The keyboard shortcut sheet (`?`).

use super::Shell;
use crate::store::ShellMsg;
use yew::prelude::*;

/// Keys and what they do, as shown in the sheet.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "Play / pause"),
    ("→  or  Page Down", "One step forward"),
    ("←  or  Page Up", "One step back"),
    ("Shift + →  /  Shift + ←", "Ten steps forward / back"),
    ("Home  /  End", "First step / last computed step"),
    ("?", "Show or hide this sheet"),
    ("Esc", "Close this sheet; stop a long seek where it got to"),
];

/// The sheet, while it is open.
pub fn shortcut_sheet(store: &Shell) -> Html {
    if !store.help {
        return html! {};
    }
    let close = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| store.dispatch(ShellMsg::Dismiss))
    };
    html! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
                <h2 id="shortcuts-title">{ "Keyboard shortcuts" }</h2>
                <table class="shortcuts">
                    { for SHORTCUTS.iter().map(|(k, v)| html! {
                        <tr><th scope="row"><kbd>{ *k }</kbd></th><td>{ *v }</td></tr>
                    }) }
                </table>
                <p class="muted">{ "A presenter's clicker (Page Down / Page Up) steps through the run. Keys do nothing while you type in a field." }</p>
                { super::button("ctl", close, "Close") }
            </div>
        </div>
    }
}
