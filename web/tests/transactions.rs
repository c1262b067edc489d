//! The transactions page in a real browser: its options refuse values out of range with a
//! message naming the field and keep the scenario; fewer participants say what the
//! scenario leaves out; a down participant's vote cannot be changed; Enter on a lane label
//! toggles the selection as a click does.

use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

async fn open(hash: &str) -> (Element, yew::AppHandle<dsplay_web::App>) {
    gloo::utils::window().location().set_hash(hash).unwrap();
    settle().await;
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = yew::Renderer::<dsplay_web::App>::with_root(root.clone()).render();
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
    let (root, handle) = open("#/transactions?scenario=txn-3pc-partition").await;
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
    let note = text(&root, ".option-note");
    assert!(
        note.contains("With 2 participants (n1 to n2)")
            && note.contains("n3 from the partition at t=500"),
        "{note}"
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
    let (root, handle) = open("#/transactions?scenario=txn-2pc-happy").await;
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
    let (root, handle) = open(&format!("#/transactions?custom={b64}&step={step}")).await;
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
    let (root, handle) = open("#/transactions?scenario=txn-2pc-happy&step=10").await;
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
