//! The shell in a real browser: the store's transitions, the URL round trip, and the
//! rendered page answering clicks and keys.

use dsplay_web::store::{Msg, State};
use dsplay_web::url::UrlState;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

fn reduce(st: Rc<State>, msgs: Vec<Msg>) -> Rc<State> {
    msgs.into_iter().fold(st, |st, m| st.reduce(m))
}

fn states(st: &State) -> Vec<String> {
    let s = st.session.borrow();
    (0..s.names().len() as u32)
        .map(|n| s.node_state(n).unwrap().to_string())
        .collect()
}

#[wasm_bindgen_test]
fn controls_move_the_step() {
    let st = Rc::new(State::new("messaging", Some("messaging-normal")));
    assert_eq!(st.session.borrow().pos(), 0);
    assert!(
        st.session.borrow().horizon() > 10,
        "the run is computed ahead"
    );
    let st = reduce(
        st,
        vec![Msg::StepForward, Msg::StepForward, Msg::StepForward],
    );
    assert_eq!(st.session.borrow().pos(), 3);
    let st = st.reduce(Msg::StepBack);
    assert_eq!(st.session.borrow().pos(), 2);
    let st = st.reduce(Msg::StepBy(10));
    assert_eq!(st.session.borrow().pos(), 12);
    let st = st.reduce(Msg::Home);
    assert_eq!(st.session.borrow().pos(), 0);
    let st = st.reduce(Msg::End);
    let s = st.session.borrow();
    assert_eq!(s.pos(), s.horizon());
}

#[wasm_bindgen_test]
fn seek_is_exact() {
    let stepped = (0..9).fold(
        Rc::new(State::new("messaging", Some("messaging-lossy-link"))),
        |st, _| st.reduce(Msg::StepForward),
    );
    let sought = reduce(
        Rc::new(State::new("messaging", Some("messaging-lossy-link"))),
        vec![Msg::End, Msg::Seek(9)],
    );
    assert_eq!(sought.session.borrow().pos(), 9);
    assert_eq!(
        sought.session.borrow().time(),
        stepped.session.borrow().time()
    );
    assert_eq!(states(&sought), states(&stepped));
}

#[wasm_bindgen_test]
fn fault_actions_land_in_the_action_log_and_fork_the_past() {
    let st = reduce(
        Rc::new(State::new("messaging", Some("messaging-normal"))),
        vec![Msg::Seek(4)],
    );
    assert!(st.session.borrow().horizon() > 4);
    let st = st.reduce(Msg::Apply(r#"{"crash":{"node":"n2"}}"#.into()));
    assert!(st.forked, "acting before the horizon forks");
    assert!(st.error.is_none(), "{:?}", st.error);
    let actions = st.session.borrow().user_actions_json();
    assert!(
        actions.contains("crash") && actions.contains("\"n2\""),
        "{actions}"
    );
    assert!(actions.contains("\"step\":4"), "{actions}");
    assert_eq!(st.session.borrow().pos(), 5);
    assert!(matches!(
        st.session.borrow().status(1),
        Some(dsplay_core::NodeStatus::Crashed { .. })
    ));
    // A refused action leaves the state as it was and says why.
    let before = st.session.borrow().user_actions_json();
    let st = st.reduce(Msg::Apply(r#"{"crash":{"node":"n9"}}"#.into()));
    assert!(
        st.error.as_deref().unwrap_or("").contains("n9"),
        "{:?}",
        st.error
    );
    assert_eq!(st.session.borrow().user_actions_json(), before);
}

#[wasm_bindgen_test]
fn the_url_round_trips_the_state() {
    let st = reduce(
        Rc::new(State::new("messaging", Some("messaging-partition-heal"))),
        vec![
            Msg::Seek(6),
            Msg::Apply(r#"{"pause":{"node":"n4"}}"#.into()),
            Msg::StepBy(3),
        ],
    );
    let query = st.to_url().to_query();
    let (url, problems) = UrlState::parse(&query);
    assert!(problems.is_empty(), "{problems:?}");
    let back = State::from_url("messaging", &url, problems);
    assert!(back.error.is_none(), "{:?}", back.error);
    assert_eq!(back.scenario.as_deref(), Some("messaging-partition-heal"));
    assert_eq!(back.session.borrow().pos(), st.session.borrow().pos());
    assert_eq!(
        back.session.borrow().user_actions_json(),
        st.session.borrow().user_actions_json()
    );
    assert_eq!(states(&back), states(&st));
    assert_eq!(
        back.session.borrow().trace_hash(),
        st.session.borrow().trace_hash()
    );
}

#[wasm_bindgen_test]
fn a_bad_url_is_named_and_the_page_still_works() {
    let (url, problems) = UrlState::parse("scenario=nope&step=abc&actions=%%%");
    let st = Rc::new(State::from_url("messaging", &url, problems));
    let err = st.error.clone().unwrap_or_default();
    assert!(
        err.contains("nope") && err.contains("step") && err.contains("actions"),
        "{err}"
    );
    let st = st.reduce(Msg::StepForward);
    assert_eq!(st.session.borrow().pos(), 1);
}

#[wasm_bindgen_test]
fn a_new_seed_reruns_the_scenario() {
    let st = Rc::new(State::new("messaging", Some("messaging-no-dedup")));
    let first = st.session.borrow().trace_hash();
    let st = st.reduce(Msg::SetSeed(12345));
    assert_eq!(st.session.borrow().seed(), 12345);
    assert_eq!(st.session.borrow().pos(), 0);
    assert_ne!(st.session.borrow().trace_hash(), first);
}

fn clock(root: &web_sys::Element) -> String {
    root.query_selector(".control-bar .clock")
        .unwrap()
        .expect("the control bar shows the clock")
        .text_content()
        .unwrap_or_default()
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

#[wasm_bindgen_test]
async fn the_page_answers_clicks_and_keys() {
    let window = gloo::utils::window();
    window
        .location()
        .set_hash("#/messaging?scenario=messaging-normal")
        .unwrap();
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = yew::Renderer::<dsplay_web::App>::with_root(root.clone()).render();
    settle().await;
    assert!(clock(&root).starts_with("step 0 /"), "{}", clock(&root));

    let click = |label: &str| {
        let el: web_sys::HtmlElement = root
            .query_selector(&format!("button[aria-label=\"{label}\"]"))
            .unwrap()
            .unwrap_or_else(|| panic!("a button labelled {label}"))
            .unchecked_into();
        el.click();
    };
    click("Step forward");
    settle().await;
    click("Step forward");
    settle().await;
    assert!(clock(&root).starts_with("step 2 /"), "{}", clock(&root));
    click("Step back");
    settle().await;
    assert!(clock(&root).starts_with("step 1 /"), "{}", clock(&root));

    let key = |k: &str, shift: bool| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(k);
        init.set_shift_key(shift);
        init.set_bubbles(true);
        let e =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        gloo::utils::body().dispatch_event(&e).unwrap();
    };
    key("ArrowRight", false);
    settle().await;
    assert!(clock(&root).starts_with("step 2 /"), "{}", clock(&root));
    key("ArrowRight", true);
    settle().await;
    assert!(clock(&root).starts_with("step 12 /"), "{}", clock(&root));
    key("PageUp", false);
    settle().await;
    assert!(clock(&root).starts_with("step 11 /"), "{}", clock(&root));
    key("Home", false);
    settle().await;
    assert!(clock(&root).starts_with("step 0 /"), "{}", clock(&root));
    key("?", false);
    settle().await;
    assert!(
        root.query_selector("[role=dialog]").unwrap().is_some(),
        "the shortcut sheet opens"
    );
    key("Escape", false);
    settle().await;
    assert!(
        root.query_selector("[role=dialog]").unwrap().is_none(),
        "Escape closes it"
    );

    // Typing in a field does not step.
    let input: web_sys::HtmlElement = root
        .query_selector("input[aria-label=\"Seed\"]")
        .unwrap()
        .expect("the seed field")
        .unchecked_into();
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("ArrowRight");
    init.set_bubbles(true);
    input
        .dispatch_event(
            &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
    settle().await;
    assert!(clock(&root).starts_with("step 0 /"), "{}", clock(&root));

    // The URL follows what is shown, once the page has been still for a moment.
    key("ArrowRight", false);
    let mut hash = String::new();
    for _ in 0..50 {
        settle().await;
        hash = window.location().hash().unwrap();
        if hash.contains("step=1") {
            break;
        }
    }
    assert!(
        hash.contains("step=1") && hash.contains("scenario=messaging-normal"),
        "{hash}"
    );

    // Space on a focused node selects it (as a click does) and does not also play.
    let node = || {
        root.query_selector("svg.cluster g.node")
            .unwrap()
            .expect("a node in the cluster")
    };
    let space_on_node = || {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(" ");
        init.set_bubbles(true);
        init.set_cancelable(true);
        let e =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        node().dispatch_event(&e).unwrap();
    };
    assert_eq!(
        node().get_attribute("aria-pressed").as_deref(),
        Some("false")
    );
    space_on_node();
    settle().await;
    assert_eq!(
        node().get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
    let playing = || {
        root.query_selector(".control-bar button[aria-label=\"Pause\"]")
            .unwrap()
            .is_some()
    };
    assert!(!playing(), "Space on a node also started playback");
    space_on_node();
    settle().await;
    assert_eq!(
        node().get_attribute("aria-pressed").as_deref(),
        Some("false")
    );
    // Space anywhere else still plays.
    key(" ", false);
    settle().await;
    assert!(playing(), "Space on the page plays");
    key(" ", false);
    settle().await;
    assert!(!playing(), "Space again pauses");

    handle.destroy();
    root.remove();
}
