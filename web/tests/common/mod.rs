//! What the pages' browser tests share: a page mounted at an address, elements found by
//! selector, a panel's button by its text, a click that bubbles, no error banner.

#![allow(dead_code)] // each test file uses some of these

use dsplay_web::page::{mount, Page, Playground};
use std::time::Duration;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// Let the page render what the last event changed.
pub async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

/// Page `P` mounted in a new element at the address's state part `query`.
pub async fn open<P: Page>(query: &str) -> (Element, yew::AppHandle<Playground<P>>) {
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<P>(root.clone(), query);
    settle().await;
    (root, handle)
}

/// Every element under `root` that `sel` matches.
pub fn all(root: &Element, sel: &str) -> Vec<Element> {
    let list = root.query_selector_all(sel).unwrap();
    (0..list.length())
        .filter_map(|k| list.get(k))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

/// The text of the first element `sel` matches ("" when none).
pub fn text(root: &Element, sel: &str) -> String {
    root.query_selector(sel)
        .unwrap()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// The button among `sel` whose text starts with `label`.
pub fn button_in(root: &Element, sel: &str, label: &str) -> HtmlElement {
    all(root, sel)
        .into_iter()
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .find(|b| b.text_content().unwrap_or_default().starts_with(label))
        .unwrap_or_else(|| panic!("no button {label}"))
}

/// A click on an element that is not a button (a node, a bar, an SVG control): it bubbles
/// like a person's.
pub async fn click(el: &Element) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let e = web_sys::Event::new_with_event_init_dict("click", &init).unwrap();
    el.dispatch_event(&e).unwrap();
    settle().await;
}

/// Fails with its words when the page shows an error banner.
pub fn no_banner(root: &Element) {
    if let Some(b) = root.query_selector(".error-banner").unwrap() {
        panic!("error banner: {}", b.text_content().unwrap_or_default());
    }
}
