//! Share, embed, export and import: the header's tools.

use super::{button, Shell};
use crate::browser;
use crate::store::ShellMsg;
use crate::url::UrlState;
use dsplay_core::session::Session;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The link to the state `url` describes on this page (`embed` as asked).
pub fn state_link(url: &UrlState, embed: bool) -> String {
    let url = UrlState {
        embed,
        ..url.clone()
    };
    format!("{}#{}", browser::base_url(), url.to_query())
}

/// The iframe snippet for the state `url` describes, titled `title`.
pub fn embed_code(url: &UrlState, title: &str) -> String {
    format!(
        "<iframe src=\"{}\" width=\"800\" height=\"520\" title=\"dsplay: {}\" style=\"border:1px solid #ccc\" loading=\"lazy\"></iframe>",
        state_link(url, true),
        title.replace('"', "&quot;")
    )
}

/// The state of the header's two popovers (the header's component keeps it).
#[derive(Clone)]
pub struct Popovers {
    share: UseStateHandle<bool>,
    note: UseStateHandle<Option<String>>,
    files: UseStateHandle<bool>,
}

#[hook]
pub fn use_popovers() -> Popovers {
    Popovers {
        share: use_state(|| false),
        note: use_state(|| None::<String>),
        files: use_state(|| false),
    }
}

/// The Share button and its popover: a link to this state, the code to embed it.
pub fn share_button(store: &Shell, popovers: &Popovers) -> Html {
    let open = popovers.share.clone();
    let note = popovers.note.clone();
    let toggle = {
        let open = open.clone();
        let note = note.clone();
        Callback::from(move |_: MouseEvent| {
            note.set(None);
            open.set(!*open);
        })
    };
    let copy = |text: String, what: &'static str| {
        let note = note.clone();
        Callback::from(move |_: MouseEvent| {
            let note = note.clone();
            let text = text.clone();
            wasm_bindgen_futures::spawn_local(async move {
                note.set(Some(match browser::copy_text(text).await {
                    Ok(()) => format!("{what} copied"),
                    Err(e) => e,
                }));
            });
        })
    };
    // Only while it is open: a custom scenario's link carries the whole scenario, too long
    // to encode on every step for a popover nobody looks at.
    let popover = (*open).then(|| {
        let url = store.to_url();
        let link = state_link(&url, false);
        let code = embed_code(&url, store.session.borrow().title());
        html! {
            <div class="popover" role="dialog" aria-label="Share">
                <label class="field">{ "Link to this step" }
                    <input type="text" readonly=true value={link.clone()} aria-label="Link to this step" />
                </label>
                { button("ctl", copy(link, "Link"), "Copy link") }
                <label class="field">{ "Embed in a page" }
                    <textarea readonly=true rows="3" aria-label="Embed code" value={code.clone()} />
                </label>
                { button("ctl", copy(code, "Embed code"), "Copy embed code") }
                if let Some(n) = &*note {
                    <p class="note" role="status">{ n.clone() }</p>
                }
                { button("ctl", toggle.clone(), "Close") }
            </div>
        }
    });
    html! {
        <div class="share">
            <button class="ctl" onclick={toggle} aria-expanded={open.to_string()}
                title="Copy a link to this exact state, or the code to embed it">{ "Share" }</button>
            { for popover }
        </div>
    }
}

/// The Files button and its popover: export the trace, the scenario or the drawings; import
/// a scenario file.
pub fn export_menu(store: &Shell, popovers: &Popovers) -> Html {
    let open = popovers.files.clone();
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    // After an export: close the popover, and say what went wrong if anything did.
    let fail = {
        let store = store.clone();
        let open = open.clone();
        move |r: Result<(), String>| {
            open.set(false);
            if let Err(e) = r {
                store.dispatch(ShellMsg::Fail(format!("export: {e}")));
            }
        }
    };
    let name = {
        let s = store.session.borrow();
        format!("dsplay-{}-step{}", s.algorithm(), s.pos())
    };
    // One closure for both JSON files (each closure is code of its own).
    let json = |suffix: &'static str, get: fn(&dyn Session) -> String| {
        let (store, fail, name) = (store.clone(), fail.clone(), name.clone());
        Callback::from(move |_: MouseEvent| {
            let json = dsplay_core::json::pretty_json(&get(&*store.session.borrow()));
            fail(browser::download(
                &format!("{name}-{suffix}.json"),
                "application/json",
                &json,
            ));
        })
    };
    let trace = json("trace", |s| s.trace_json());
    let scenario = json("scenario", |s| s.scenario_json());
    let svg = |selector: &'static str, suffix: &'static str| {
        let (fail, name) = (fail.clone(), name.clone());
        Callback::from(move |_: MouseEvent| {
            fail(browser::svg_file(selector).and_then(|svg| {
                browser::download(&format!("{name}-{suffix}.svg"), "image/svg+xml", &svg)
            }));
        })
    };
    let on_file =
        {
            let store = store.clone();
            Callback::from(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                let Some(file) = input.files().and_then(|f| f.get(0)) else {
                    return;
                };
                input.set_value("");
                let store = store.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                        Ok(text) => match text.as_string() {
                            Some(t) => store.dispatch(ShellMsg::Import(t)),
                            None => store
                                .dispatch(ShellMsg::Fail("import: the file is not text".into())),
                        },
                        Err(_) => store
                            .dispatch(ShellMsg::Fail("import: the file could not be read".into())),
                    }
                });
            })
        };
    let pick_file = Callback::from(|_: MouseEvent| {
        if let Some(el) = gloo::utils::document().get_element_by_id("import-file") {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                el.click();
            }
        }
    });
    html! {
        <div class="share">
            <button class="ctl" onclick={toggle.clone()} aria-expanded={open.to_string()}
                title="Save the trace, the scenario or the drawings; load a scenario file">{ "Files" }</button>
            if *open {
                <div class="popover" role="dialog" aria-label="Files">
                    { button("ctl", trace, "Export trace (JSON)") }
                    { button("ctl", scenario, "Export scenario (JSON)") }
                    { button("ctl", svg(".app-view svg[data-view]", "view"), "Export view (SVG)") }
                    { button("ctl", svg("svg.spacetime", "diagram"), "Export diagram (SVG)") }
                    { button("ctl", pick_file, "Import scenario file…") }
                    <input id="import-file" type="file" accept=".json,application/json" class="visually-hidden"
                        onchange={on_file} aria-label="Scenario file to import" />
                    { button("ctl", toggle, "Close") }
                </div>
            }
        </div>
    }
}
