//! The transactions page in a real browser: its options refuse values out of range with a
//! message naming the field and keep the scenario; fewer participants say what the
//! scenario and the vote settings leave out; a down participant's vote cannot be changed;
//! Enter on a lane label toggles the selection as a click does.

use dsplay_web::page::mount;
use dsplay_web::views::transactions::TransactionsPage;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

type Handle = yew::AppHandle<dsplay_web::page::Playground<TransactionsPage>>;

/// The transactions page in the state `query` describes (`scenario=ID&step=N`).
async fn open(query: &str) -> (Element, Handle) {
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<TransactionsPage>(root.clone(), query);
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

fn lanes(root: &Element) -> u32 {
    root.query_selector_all(".txn .lane").unwrap().length()
}

async fn set_number(root: &Element, label: &str, value: &str) {
    let el: HtmlInputElement = q(root, &format!("input[aria-label='{label}']"))
        .unwrap_or_else(|| panic!("no input {label}"))
        .dyn_into()
        .unwrap();
    el.set_value(value);
    el.dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    settle().await;
}

#[wasm_bindgen_test]
async fn options_refuse_bad_values_and_reload_with_good_ones() {
    let (root, handle) = open("scenario=txn-3pc-partition").await;
    assert_eq!(lanes(&root), 4);
    set_number(&root, "Number of participants", "9").await;
    let banner = text(&root, ".error-banner");
    assert!(
        banner.contains("Participants must be between 2 and 7"),
        "{banner}"
    );
    assert_eq!(lanes(&root), 4, "the page keeps the last valid state");
    let shown: HtmlInputElement = q(&root, "input[aria-label='Number of participants']")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(shown.value(), "3", "the refused value is not shown");
    set_number(&root, "Timeout in milliseconds", "5").await;
    let banner = text(&root, ".error-banner");
    assert!(
        banner.contains("Timeout must be between 50 and 60000 ms"),
        "{banner}"
    );

    set_number(&root, "Number of participants", "2").await;
    assert_eq!(lanes(&root), 3);
    // The scenario panel says what the script and the network left out.
    let note = text(&root, ".fit-note");
    assert!(
        note.contains("n3 is gone")
            && note.contains("1 partition now leaves it out")
            && note.contains("1 link setting naming it was left out"),
        "{note}"
    );
    assert!(
        !note.contains("vote"),
        "no vote setting was left out: {note}"
    );
    set_number(&root, "Number of participants", "7").await;
    assert_eq!(lanes(&root), 8);
    assert_eq!(
        q(&root, ".votes")
            .unwrap()
            .query_selector_all("select")
            .unwrap()
            .length(),
        7
    );
    let proto: HtmlSelectElement = q(&root, "select[aria-label='Commit protocol']")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(proto.value(), "3pc");
    let coop: HtmlInputElement = q(&root, "input[aria-label='Cooperative termination']")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(coop.disabled(), "2PC only");
    proto.set_value("2pc");
    proto
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    settle().await;
    let coop: HtmlInputElement = q(&root, "input[aria-label='Cooperative termination']")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(!coop.disabled());
    assert_eq!(lanes(&root), 8, "the other options are kept");
    // Every control of the panel says what it does.
    for el in [
        "input[aria-label='Values the transaction writes']",
        "select[aria-label='Commit protocol']",
        "input[aria-label='Number of participants']",
        "input[aria-label='Timeout in milliseconds']",
        ".votes select",
    ] {
        let title = q(&root, el)
            .unwrap()
            .get_attribute("title")
            .unwrap_or_default();
        assert!(!title.is_empty(), "{el} has no title");
    }
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn writes_with_spaces_are_accepted() {
    let (root, handle) = open("scenario=txn-2pc-happy").await;
    let el: HtmlInputElement = q(&root, "input[aria-label='Values the transaction writes']")
        .unwrap()
        .dyn_into()
        .unwrap();
    el.set_value("x = 1, y = 2");
    el.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    settle().await;
    assert!(q(&root, ".txn-panel .form-error").is_none());
    let run: HtmlElement = q(&root, ".txn-panel button[type='submit']")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(run.get_attribute("disabled"), None);
    el.set_value("x 1");
    el.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    settle().await;
    let e = text(&root, ".txn-panel .form-error");
    assert!(e.contains("`x` is not of the form key=value"), "{e}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_down_participant_vote_cannot_be_changed() {
    // n2 is set to fail before voting: it crashes on PREPARE and is down until t=900.
    let doc = r#"{ "algorithm": "transactions", "seed": 4,
        "params": { "votes": { "n2": "fail" } },
        "network": { "latency": [20, 60] },
        "actions": [
            { "at": 10, "action": { "command": { "node": "coord", "cmd": { "begin": { "writes": { "a": "1" } } } } } },
            { "at": 900, "action": { "restart": { "node": "n2" } } }
        ] }"#;
    let mut s = dsplay_core::catalog::load(doc).unwrap();
    while !matches!(s.status(2), Some(dsplay_core::NodeStatus::Crashed { .. })) {
        assert!(s.step_forward());
    }
    let step = s.pos();
    let b64 = dsplay_web::url::b64_encode(doc.as_bytes());
    let (root, handle) = open(&format!("custom={b64}&step={step}")).await;
    let selects = root.query_selector_all(".votes select").unwrap();
    assert_eq!(selects.length(), 3);
    let n1: HtmlSelectElement = selects.get(0).unwrap().dyn_into().unwrap();
    let n2: HtmlSelectElement = selects.get(1).unwrap().dyn_into().unwrap();
    assert!(!n1.disabled());
    assert!(n2.disabled(), "n2 is down: its vote cannot be set");
    assert_eq!(n2.value(), "fail", "it shows the node's own setting");
    let title = n2.get_attribute("title").unwrap_or_default();
    assert!(title.contains("n2 is down"), "{title}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn enter_and_space_on_a_lane_label_toggle_the_selection() {
    let (root, handle) = open("scenario=txn-2pc-happy&step=10").await;
    let key = |k: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(k);
        init.set_bubbles(true);
        init.set_cancelable(true);
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap()
    };
    let pressed = || {
        q(&root, ".txn .lane-label")
            .unwrap()
            .get_attribute("aria-pressed")
    };
    assert_eq!(pressed().as_deref(), Some("false"));
    for (k, after) in [
        ("Enter", "true"),
        (" ", "false"),
        (" ", "true"),
        ("Enter", "false"),
    ] {
        let ev = key(k);
        q(&root, ".txn .lane-label")
            .unwrap()
            .dispatch_event(&ev)
            .unwrap();
        settle().await;
        assert!(
            ev.default_prevented(),
            "{k:?} is taken by the lane, not the page"
        );
        assert_eq!(pressed().as_deref(), Some(after), "after {k:?}");
    }
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn fewer_participants_say_which_vote_settings_were_left_out() {
    let doc = r#"{ "algorithm": "transactions", "seed": 2,
        "params": { "participants": 4, "votes": { "n1": "no", "n3": "no", "n4": "fail" } },
        "actions": [
            { "at": 10, "action": { "command": { "node": "coord", "cmd": { "begin": { "writes": { "a": "1" } } } } } },
            { "at": 20, "action": { "crash": { "node": "n4" } } }
        ] }"#;
    let b64 = dsplay_web::url::b64_encode(doc.as_bytes());
    let (root, handle) = open(&format!("custom={b64}")).await;
    assert_eq!(lanes(&root), 5);
    set_number(&root, "Number of participants", "2").await;
    assert_eq!(lanes(&root), 3);
    // One notice in the scenario panel: what the page left out of the parameters, then
    // what fitting the script left out.
    let fit = text(&root, ".fit-note");
    assert!(
        fit.starts_with(
            "With 2 participants (n1 to n2), the vote settings of n3, n4 were left out. "
        ),
        "{fit}"
    );
    assert!(
        fit.contains("n4 is gone: 1 scripted action naming it was left out"),
        "{fit}"
    );
    let n1: HtmlSelectElement = q(&root, ".votes select").unwrap().dyn_into().unwrap();
    assert_eq!(
        n1.value(),
        "no",
        "the setting of a participant that stays is kept"
    );
    // Another option: the notice was about the run it was made for, not this one.
    set_number(&root, "Timeout in milliseconds", "400").await;
    assert!(
        q(&root, ".fit-note").is_none(),
        "{}",
        text(&root, ".fit-note")
    );
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_panel_sets_votes_runs_transactions_and_replays_a_failure() {
    let (root, handle) = open("scenario=txn-2pc-happy").await;
    // A vote setting is the participant's at once (the command is the next step).
    let n2: HtmlSelectElement = root
        .query_selector_all(".votes select")
        .unwrap()
        .get(1)
        .unwrap()
        .dyn_into()
        .unwrap();
    n2.set_value("no");
    n2.dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    settle().await;
    let n2: HtmlSelectElement = root
        .query_selector_all(".votes select")
        .unwrap()
        .get(1)
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(n2.value(), "no");
    let lane = root
        .query_selector_all(".txn .lane")
        .unwrap()
        .get(2)
        .unwrap();
    let lane: Element = lane.dyn_into().unwrap();
    assert_eq!(text(&lane, ".vote-setting text"), "→ NO");
    // A transaction typed in the panel: the coordinator begins it (T1, before the
    // script's).
    let writes: HtmlInputElement = q(&root, "input[aria-label='Values the transaction writes']")
        .unwrap()
        .dyn_into()
        .unwrap();
    writes.set_value("z=9");
    writes
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    settle().await;
    let run: HtmlElement = q(&root, ".txn-panel button[type='submit']")
        .unwrap()
        .dyn_into()
        .unwrap();
    run.click();
    settle().await;
    let phase = text(&root, ".txn-phase");
    assert!(phase.starts_with("T1 writes z=9"), "{phase}");
    // The classic failure: the coordinator crashes right after it asks for votes.
    let crash: HtmlElement = root
        .query_selector_all(".presets button")
        .unwrap()
        .get(0)
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(
        crash.text_content().unwrap_or_default(),
        "Crash coord right after it asks for votes"
    );
    crash.click();
    settle().await;
    let said = text(&root, ".preset-msg");
    assert!(said.starts_with("T1: coord crashed at step"), "{said}");
    let coord = q(&root, ".txn .lane").unwrap();
    assert!(
        coord.class_list().contains("crashed"),
        "{}",
        coord.class_name()
    );
    assert!(q(&root, ".error-banner").is_none());
    handle.destroy();
    root.remove();
}
