//! The Raft page in a real browser: its options restart the scenario with typed
//! parameters (a refused number of servers keeps the page, fewer servers say what the
//! script left out, a checkbox keeps the other options); the buttons of the panel act on
//! the selected server and on the whole cluster.

use dsplay_core::algo::raft::Raft;
use dsplay_core::session::Session;
use dsplay_web::page::mount;
use dsplay_web::store::State;
use dsplay_web::views::raft::RaftPage;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

async fn open(
    query: &str,
) -> (
    Element,
    yew::AppHandle<dsplay_web::page::Playground<RaftPage>>,
) {
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<RaftPage>(root.clone(), query);
    settle().await;
    (root, handle)
}

fn q(root: &Element, sel: &str) -> Option<Element> {
    root.query_selector(sel).unwrap()
}

fn text(root: &Element, sel: &str) -> String {
    q(root, sel)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn servers(root: &Element) -> u32 {
    root.query_selector_all(".raft .nodes .server")
        .unwrap()
        .length()
}

/// The panel's button whose text starts with `label`.
fn button(root: &Element, label: &str) -> HtmlElement {
    let all = root.query_selector_all(".raft-panel button").unwrap();
    (0..all.length())
        .filter_map(|k| all.get(k))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .find(|b| b.text_content().unwrap_or_default().starts_with(label))
        .unwrap_or_else(|| panic!("no button {label}"))
}

async fn click(el: &HtmlElement) {
    el.click();
    settle().await;
}

async fn set_servers(root: &Element, value: &str) {
    let el: HtmlInputElement = q(root, "input[aria-label='Number of servers']")
        .unwrap()
        .dyn_into()
        .unwrap();
    el.set_value(value);
    el.dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    settle().await;
}

fn servers_field(root: &Element) -> String {
    q(root, "input[aria-label='Number of servers']")
        .unwrap()
        .dyn_into::<HtmlInputElement>()
        .unwrap()
        .value()
}

#[wasm_bindgen_test]
async fn options_restart_the_scenario_with_their_parameters() {
    let (root, handle) = open("scenario=raft-partition").await;
    assert_eq!(servers(&root), 5);

    set_servers(&root, "10").await;
    let banner = text(&root, ".error-banner");
    assert!(banner.contains("3 to 9 servers, not `10`"), "{banner}");
    assert_eq!(servers(&root), 5, "the page keeps the scenario");
    assert_eq!(servers_field(&root), "5", "the refused value is not shown");
    click(
        &q(&root, ".error-banner button")
            .unwrap()
            .dyn_into()
            .unwrap(),
    )
    .await;

    set_servers(&root, "3").await;
    assert_eq!(servers(&root), 3);
    assert_eq!(servers_field(&root), "3");
    let note = text(&root, ".scenario-text .fit-note");
    assert!(
        note.contains("n4, n5") && note.contains("left out"),
        "the page says what the script lost: {note}"
    );
    assert!(q(&root, ".error-banner").is_none());

    // A checkbox restarts with that option and keeps the others.
    let pre_vote: HtmlElement = q(&root, ".raft-panel .options input[type='checkbox']")
        .unwrap()
        .dyn_into()
        .unwrap();
    click(&pre_vote).await;
    assert_eq!(servers(&root), 3, "the number of servers is kept");
    assert!(text(&root, ".raft .flags").contains("pre-vote"));
    let pre_vote: HtmlInputElement = q(&root, ".raft-panel .options input[type='checkbox']")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(pre_vote.checked());
    assert!(q(&root, ".error-banner").is_none());
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_panel_acts_on_the_selected_server_and_the_cluster() {
    let end = State::<Raft>::new(Some("raft-first-election"))
        .run
        .borrow()
        .horizon();
    let (root, handle) = open(&format!("scenario=raft-first-election&step={end}")).await;
    // The Reset button is enabled once the person has acted.
    let reset = || q(&root, ".app-header button[title^='Undo']").is_some();
    assert!(!reset(), "nothing done yet");
    assert!(text(&root, ".raft .cluster-status").starts_with("leader "));

    // The leader, by name: act on another server.
    let status = text(&root, ".raft .cluster-status");
    let leader: usize = status["leader n".len()..]
        .split(' ')
        .next()
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("{status}"));
    let other = if leader == 1 { 2 } else { 1 };
    let name = format!("n{other}");

    // Select it on the ring, send it a client request, crash, restart, pause it.
    let node = root
        .query_selector_all(".raft .nodes .server")
        .unwrap()
        .get(other as u32 - 1)
        .unwrap();
    node.dispatch_event(&web_sys::MouseEvent::new("click").unwrap())
        .unwrap();
    settle().await;
    assert_eq!(text(&root, ".raft-panel h2"), format!("Server {name}"));
    let send: HtmlElement = q(&root, ".raft-panel .client-form button[type='submit']")
        .unwrap()
        .dyn_into()
        .unwrap();
    click(&send).await;
    assert!(q(&root, ".error-banner").is_none());
    assert!(reset(), "the actions are the person's");
    let summary = || text(&root, ".raft-panel .server-summary");
    click(&button(&root, &format!("Crash {name}"))).await;
    assert!(summary().contains("crashed"), "{}", summary());
    click(&button(&root, &format!("Restart {name}"))).await;
    assert!(summary().contains("follower"), "{}", summary());
    click(&button(&root, &format!("Pause {name}"))).await;
    assert!(summary().contains("paused"), "{}", summary());
    click(&button(&root, &format!("Resume {name}"))).await;
    let timeout = button(&root, "Time out now");
    assert!(timeout.get_attribute("disabled").is_none());
    click(&timeout).await;
    assert!(summary().contains("candidate"), "{}", summary());

    // Cluster buttons: several typed actions at once.
    click(&button(&root, "Align timers")).await;
    assert!(q(&root, ".error-banner").is_none());
    click(&button(&root, "Spread timers")).await;
    assert!(q(&root, ".error-banner").is_none());
    let restart = button(&root, &format!("Restart leader n{leader}"));
    click(&restart).await;
    assert!(q(&root, ".error-banner").is_none());
    assert!(text(&root, ".raft .cluster-status").starts_with("no leader"));
    handle.destroy();
    root.remove();
}
