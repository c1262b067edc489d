//! The shell in a real browser: the store's transitions, the URL round trip, and the
//! rendered page answering clicks and keys.

use dsplay_core::algo::messaging::Messaging;
use dsplay_core::session::Session;
use dsplay_core::{Action, Fault, NodeId};
use dsplay_web::page::mount;
use dsplay_web::store::{Msg, ShellMsg, State};
use dsplay_web::url::UrlState;
use dsplay_web::views::messaging::MessagingPage;
use dsplay_web::views::raft::RaftPage;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

type St = State<Messaging>;

fn reduce(st: Rc<St>, msgs: Vec<ShellMsg>) -> Rc<St> {
    msgs.into_iter().fold(st, |st, m| st.reduce(Msg::Shell(m)))
}

fn new(id: &str) -> Rc<St> {
    Rc::new(St::new(Some(id)))
}

fn states(st: &St) -> Vec<String> {
    let s = st.run.borrow();
    (0..s.names().len() as u32)
        .map(|n| s.node_state(n).unwrap().to_string())
        .collect()
}

#[wasm_bindgen_test]
fn controls_move_the_step() {
    let st = new("messaging-normal");
    assert_eq!(st.run.borrow().pos(), 0);
    assert!(st.run.borrow().horizon() > 10, "the run is computed ahead");
    let st = reduce(
        st,
        vec![
            ShellMsg::StepForward,
            ShellMsg::StepForward,
            ShellMsg::StepForward,
        ],
    );
    assert_eq!(st.run.borrow().pos(), 3);
    let st = st.reduce(Msg::Shell(ShellMsg::StepBack));
    assert_eq!(st.run.borrow().pos(), 2);
    let st = st.reduce(Msg::Shell(ShellMsg::StepBy(10)));
    assert_eq!(st.run.borrow().pos(), 12);
    let st = st.reduce(Msg::Shell(ShellMsg::Home));
    assert_eq!(st.run.borrow().pos(), 0);
    let st = st.reduce(Msg::Shell(ShellMsg::End));
    let s = st.run.borrow();
    assert_eq!(s.pos(), s.horizon());
}

#[wasm_bindgen_test]
fn seek_is_exact() {
    let stepped = (0..9).fold(new("messaging-lossy-link"), |st, _| {
        st.reduce(Msg::Shell(ShellMsg::StepForward))
    });
    let sought = reduce(
        new("messaging-lossy-link"),
        vec![ShellMsg::End, ShellMsg::Seek(9)],
    );
    assert_eq!(sought.run.borrow().pos(), 9);
    assert_eq!(sought.run.borrow().time(), stepped.run.borrow().time());
    assert_eq!(states(&sought), states(&stepped));
}

#[wasm_bindgen_test]
fn fault_actions_land_in_the_action_log_and_fork_the_past() {
    let st = reduce(new("messaging-normal"), vec![ShellMsg::Seek(4)]);
    assert!(st.run.borrow().horizon() > 4);
    let st = st.reduce(Msg::Shell(ShellMsg::Fault(Fault::Crash {
        node: NodeId(1),
    })));
    assert!(st.ui.forked, "acting before the horizon forks");
    assert!(st.ui.error.is_none(), "{:?}", st.ui.error);
    let actions = st.run.borrow().user_actions_json();
    assert!(
        actions.contains("crash") && actions.contains("\"n2\""),
        "{actions}"
    );
    assert!(actions.contains("\"step\":4"), "{actions}");
    assert_eq!(st.run.borrow().pos(), 5);
    assert!(matches!(
        st.run.borrow().status(1),
        Some(dsplay_core::NodeStatus::Crashed { .. })
    ));
    // A refused action leaves the state as it was and says why.
    let before = st.run.borrow().user_actions_json();
    let st = st.reduce(Msg::Act(vec![Action::Crash { node: NodeId(9) }]));
    assert!(
        st.ui
            .error
            .as_deref()
            .unwrap_or("")
            .contains("out of range"),
        "{:?}",
        st.ui.error
    );
    assert_eq!(st.run.borrow().user_actions_json(), before);
}

#[wasm_bindgen_test]
fn the_url_round_trips_the_state() {
    let st = reduce(
        new("messaging-partition-heal"),
        vec![
            ShellMsg::Seek(6),
            ShellMsg::Fault(Fault::Pause { node: NodeId(3) }),
            ShellMsg::StepBy(3),
        ],
    );
    let query = st.to_url().to_query();
    let (url, problems) = UrlState::parse(&query);
    assert!(problems.is_empty(), "{problems:?}");
    let back = St::from_url(&url, problems);
    assert!(back.ui.error.is_none(), "{:?}", back.ui.error);
    assert_eq!(back.ui.scenario, Some("messaging-partition-heal"));
    assert_eq!(back.run.borrow().pos(), st.run.borrow().pos());
    assert_eq!(
        back.run.borrow().user_actions_json(),
        st.run.borrow().user_actions_json()
    );
    assert_eq!(states(&back), states(&st));
    assert_eq!(back.run.borrow().trace_hash(), st.run.borrow().trace_hash());
}

#[wasm_bindgen_test]
fn a_bad_url_is_named_and_the_page_still_works() {
    let (url, problems) = UrlState::parse("scenario=nope&step=abc&actions=%%%");
    let st = Rc::new(St::from_url(&url, problems));
    let err = st.ui.error.clone().unwrap_or_default();
    assert!(
        err.contains("nope") && err.contains("step") && err.contains("actions"),
        "{err}"
    );
    let st = st.reduce(Msg::Shell(ShellMsg::StepForward));
    assert_eq!(st.run.borrow().pos(), 1);
}

#[wasm_bindgen_test]
fn a_new_seed_reruns_the_scenario() {
    let st = new("messaging-no-dedup");
    let first = st.run.borrow().trace_hash();
    let st = st.reduce(Msg::Shell(ShellMsg::SetSeed(12345)));
    assert_eq!(st.run.borrow().seed(), 12345);
    assert_eq!(st.run.borrow().pos(), 0);
    assert_ne!(st.run.borrow().trace_hash(), first);
}

#[wasm_bindgen_test]
fn a_restart_with_other_parameters_is_checked_and_fits_the_script() {
    let st = new("messaging-partition-heal");
    let params = st.run.borrow().scenario.params.clone();
    // Refused: the page keeps its run and names the field.
    let mut bad = params.clone();
    bad.nodes = 50;
    let refused = st.clone().reduce(Msg::Restart {
        params: bad,
        note: None,
    });
    assert!(refused.run == st.run, "a refused value keeps the run");
    let err = refused.ui.error.clone().unwrap_or_default();
    assert!(err.contains("nodes") && err.contains("2 and 9"), "{err}");
    // Fewer nodes: the partition keeps the nodes that remain, matched by name, and the
    // page says so.
    let mut fewer = params;
    fewer.nodes = 3;
    let st = st.reduce(Msg::Restart {
        params: fewer,
        note: None,
    });
    assert!(st.ui.error.is_none(), "{:?}", st.ui.error);
    assert_eq!(st.run.borrow().names(), ["n1", "n2", "n3", "broker"]);
    assert_eq!(
        st.ui.scenario, None,
        "other parameters make a custom scenario"
    );
    assert_eq!(
        st.ui.notice.as_deref(),
        Some("n4 is gone: 1 partition now leaves it out.")
    );
    let json = st.run.borrow().original_json();
    assert!(json.contains(r#"[["n1","n2"],["n3","broker"]]"#), "{json}");
    // A new seed keeps the parameters and what the page said about them.
    let st = st.reduce(Msg::Shell(ShellMsg::SetSeed(9)));
    assert_eq!(st.run.borrow().names().len(), 4);
    assert!(st.ui.notice.is_some());
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
        .set_hash("#scenario=messaging-normal")
        .unwrap();
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<MessagingPage>(root.clone(), "scenario=messaging-normal");
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

    // The custom scenario editor: Escape closes it too, from its own text field.
    let picker: web_sys::HtmlSelectElement = root
        .query_selector("select[aria-label=\"Scenario\"]")
        .unwrap()
        .expect("the scenario picker")
        .unchecked_into();
    picker.set_value("custom");
    let change = web_sys::Event::new_with_event_init_dict("change", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    })
    .unwrap();
    picker.dispatch_event(&change).unwrap();
    settle().await;
    let editor = root
        .query_selector("textarea.scenario-editor")
        .unwrap()
        .expect("choosing Custom opens the editor");
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    editor
        .dispatch_event(
            &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
    settle().await;
    assert!(
        root.query_selector("[role=dialog]").unwrap().is_none(),
        "Escape in the editor closes it"
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

/// The fault palette cuts one direction of a link and skews a node's clock, each with a
/// labelled control; the palette then says what is in force.
#[wasm_bindgen_test]
async fn the_palette_cuts_one_way_and_skews_a_clock() {
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<MessagingPage>(root.clone(), "scenario=messaging-normal");
    settle().await;
    let find = |sel: &str| -> web_sys::HtmlElement {
        root.query_selector(sel)
            .unwrap()
            .unwrap_or_else(|| panic!("{sel}"))
            .unchecked_into()
    };
    let change = |el: &web_sys::HtmlElement| {
        let e = web_sys::Event::new_with_event_init_dict("change", &{
            let i = web_sys::EventInit::new();
            i.set_bubbles(true);
            i
        })
        .unwrap();
        el.dispatch_event(&e).unwrap();
    };
    let text = || root.text_content().unwrap_or_default();
    let button = |label: &str| -> web_sys::HtmlElement {
        let all = root.query_selector_all(".faults button").unwrap();
        (0..all.length())
            .filter_map(|i| all.item(i))
            .map(|n| n.unchecked_into::<web_sys::HtmlElement>())
            .find(|b| b.text_content().unwrap_or_default() == label)
            .unwrap_or_else(|| panic!("a button `{label}`"))
    };
    // One way: the checkbox beside the cut's pickers.
    let one_way: web_sys::HtmlInputElement = find(".cut-row input[type=checkbox]").unchecked_into();
    one_way.set_checked(true);
    change(&one_way);
    settle().await;
    button("Cut n1 → n2").click();
    settle().await;
    assert!(text().contains("Cut now: n1→n2"), "{}", text());
    // The clock of n1 (the first node until one is selected): twice as slow.
    let kind: web_sys::HtmlSelectElement = find("#fp-clock-kind").unchecked_into();
    kind.set_selected_index(1);
    change(&kind);
    settle().await;
    button("Apply to n1").click();
    settle().await;
    assert!(
        text().contains("n1's clock: 0.5× real time, 0 ms from it."),
        "{}",
        text()
    );
    handle.destroy();
    root.remove();
}

/// The event log lists the last steps, not the whole run: each entry is narrated and drawn
/// on every step while playing. "Show earlier steps" lists more, and is there only while
/// there are more.
#[wasm_bindgen_test]
async fn the_log_lists_the_last_steps_and_more_on_request() {
    // The Raft page is the one with 190 steps in its first scenario.
    let query = UrlState {
        scenario: Some("raft-first-election".into()),
        step: Some(150),
        ..UrlState::default()
    }
    .to_query();
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<RaftPage>(root.clone(), &query);
    settle().await;
    let count = || {
        root.query_selector_all(".event-log .log-entry")
            .unwrap()
            .length()
    };
    let more = || root.query_selector(".event-log button.log-more").unwrap();
    assert_eq!(count(), dsplay_web::components::log::FIRST as u32);
    let newest = root
        .query_selector(".event-log .log-entry .log-step")
        .unwrap()
        .and_then(|e| e.text_content());
    assert_eq!(newest.as_deref(), Some("#150"), "newest first");
    let button: web_sys::HtmlElement = more().expect("earlier steps to show").unchecked_into();
    assert_eq!(button.text_content().as_deref(), Some("Show earlier steps"));
    button.click();
    settle().await;
    assert_eq!(count(), 130);
    let button: web_sys::HtmlElement = more().expect("20 more").unchecked_into();
    assert_eq!(button.text_content().as_deref(), Some("Show earlier steps"));
    button.click();
    settle().await;
    assert_eq!(count(), 150, "every step of the 150");
    assert!(more().is_none(), "nothing earlier to show");
    handle.destroy();
    root.remove();
}

fn text_of(root: &web_sys::Element, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn a_screen_reader_hears_each_step_and_the_first_violation() {
    use dsplay_web::views::paxos::PaxosPage;
    let id = "paxos-unsafe-ignore-promises";
    // Where the run first breaks a property, from the run itself.
    let st = Rc::new(State::<dsplay_core::algo::paxos::Paxos>::new(Some(id)));
    let st = st.reduce(Msg::Shell(ShellMsg::End));
    let first = st.run.borrow().violations().first().cloned();
    let first = first.expect("the unsafe scenario breaks a property");
    let before = first.step; // the position just before the violating step
    let narration = st.run.borrow().step_view(before - 1).unwrap().narration;
    let query = UrlState {
        scenario: Some(id.into()),
        step: Some(before),
        ..UrlState::default()
    }
    .to_query();
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<PaxosPage>(root.clone(), &query);
    settle().await;
    let said = || text_of(&root, ".announcer");
    let alert = || text_of(&root, ".invariants [role=alert]");
    assert!(
        said().starts_with(&format!("Step {before} at ")),
        "{}",
        said()
    );
    assert!(
        said().contains(&narration[0]),
        "{} / {:?}",
        said(),
        narration
    );
    assert_eq!(alert(), "", "nothing is violated yet");

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
    let step = before + 1;
    assert!(
        said().starts_with(&format!("Step {step} at ")),
        "{}",
        said()
    );
    assert!(
        said().contains(&format!("Violated: {}", first.property)),
        "{}",
        said()
    );
    assert!(alert().contains(first.property), "{}", alert());
    assert!(alert().contains(&format!("at step {step}")), "{}", alert());

    // Playing: steps are not read out one by one; stopping reads the step it stopped at.
    click("Play");
    settle().await;
    assert_eq!(said(), "", "nothing is announced while playing");
    click("Pause");
    settle().await;
    assert!(said().starts_with("Step "), "{}", said());
    handle.destroy();
    root.remove();
}
