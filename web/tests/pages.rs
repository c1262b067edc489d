//! Every built-in scenario of every page, rendered in a real browser: it opens from its URL
//! at a step in the middle of its run and at its last step, draws its view, and shows no
//! error.

use dsplay_core::catalog::{builtins, CATALOG as ALGORITHMS};
use dsplay_web::store::State;
use std::time::Duration;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

fn clock(root: &web_sys::Element) -> String {
    root.query_selector(".control-bar .clock")
        .unwrap()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Opens `#/{algorithm}?scenario={id}&step={step}` in a fresh page and checks what it shows.
async fn open_at(algorithm: &str, id: &str, step: u64, horizon: u64) {
    gloo::utils::window()
        .location()
        .set_hash(&format!("#/{algorithm}?scenario={id}&step={step}"))
        .unwrap();
    // Let the hashchange event pass before the page is there.
    settle().await;
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = yew::Renderer::<dsplay_web::App>::with_root(root.clone()).render();
    settle().await;
    let what = format!("{id} at step {step}");
    assert!(
        clock(&root).starts_with(&format!("step {step} / {horizon}")),
        "{what}: the clock reads {}",
        clock(&root)
    );
    let view = root
        .query_selector(".app-view svg[data-view]")
        .unwrap()
        .unwrap_or_else(|| panic!("{what}: no drawing in the view"));
    assert!(
        view.child_element_count() > 0,
        "{what}: the drawing is empty"
    );
    if let Some(banner) = root.query_selector(".error-banner").unwrap() {
        panic!("{what}: {}", banner.text_content().unwrap_or_default());
    }
    assert!(
        root.query_selector(".side-panel").unwrap().is_some(),
        "{what}: no side panel"
    );
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn every_builtin_scenario_renders_mid_run_and_at_the_end() {
    let pages: Vec<&str> = ALGORITHMS.iter().map(|a| a.name).collect();
    let mut seen = 0;
    for b in builtins().filter(|b| pages.contains(&b.algorithm)) {
        let horizon = State::new(b.algorithm, Some(b.id))
            .session
            .borrow()
            .horizon();
        open_at(b.algorithm, b.id, horizon / 2, horizon).await;
        open_at(b.algorithm, b.id, horizon, horizon).await;
        seen += 1;
    }
    assert!(seen >= 5 * pages.len(), "only {seen} scenarios rendered");
}
