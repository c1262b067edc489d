//! Every built-in scenario of every page, rendered in a real browser: it opens from its
//! address at a step in the middle of its run and at its last step, draws its view, and
//! shows no error.

use dsplay_core::catalog::CATALOG;
use dsplay_core::session::Session;
use dsplay_core::{Algorithm, Protocol};
use dsplay_web::page::{mount, Page};
use dsplay_web::store::State;
use dsplay_web::views::{
    chord::ChordPage, hashring::HashringPage, kvstore::KvstorePage, locks::LocksPage,
    messaging::MessagingPage, paxos::PaxosPage, raft::RaftPage, transactions::TransactionsPage,
};
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

/// Opens page `A` at `scenario=ID&step=STEP` and checks what it shows.
async fn open_at<A: Page>(id: &str, step: u64, horizon: u64) {
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<A>(root.clone(), &format!("scenario={id}&step={step}"));
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

/// Every built-in scenario of page `A`, mid-run and at its end. Returns the page's name.
async fn every_scenario_of<A: Page>() -> &'static str {
    for b in <A::Algo as Algorithm>::BUILTINS {
        let horizon = State::<A::Algo>::new(Some(b.id)).run.borrow().horizon();
        open_at::<A>(b.id, horizon / 2, horizon).await;
        open_at::<A>(b.id, horizon, horizon).await;
    }
    assert!(
        <A::Algo as Algorithm>::BUILTINS.len() >= 4,
        "{} has 4 to 7 scenarios",
        <A::Algo as Protocol>::NAME
    );
    <A::Algo as Protocol>::NAME
}

#[wasm_bindgen_test]
async fn every_builtin_scenario_renders_mid_run_and_at_the_end() {
    let seen = vec![
        every_scenario_of::<MessagingPage>().await,
        every_scenario_of::<HashringPage>().await,
        every_scenario_of::<LocksPage>().await,
        every_scenario_of::<TransactionsPage>().await,
        every_scenario_of::<RaftPage>().await,
        every_scenario_of::<PaxosPage>().await,
        every_scenario_of::<ChordPage>().await,
        every_scenario_of::<KvstorePage>().await,
    ];
    // Every page of the catalogue is here.
    let pages: Vec<&str> = CATALOG.iter().filter(|e| e.page).map(|e| e.name).collect();
    assert_eq!(seen, pages);
}
