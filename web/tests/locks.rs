//! The distributed locks page in a real browser: the lesson in a few clicks (pause the
//! holder of a lease past its TTL: its stale write is accepted, out of token order and from
//! a former holder; tick fencing: the same run, the pause kept, has the stale write
//! rejected, and the page says fencing keeps the token order, not exclusivity); a client
//! told to act; a number out of
//! range refused in words with the page kept as it was, and fewer clients fitting the
//! script; the variant and the herd toggle switching the lock service.

use dsplay_web::page::mount;
use dsplay_web::views::locks::LocksPage;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

fn open(
    query: &str,
) -> (
    Element,
    yew::AppHandle<dsplay_web::page::Playground<LocksPage>>,
) {
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<LocksPage>(root.clone(), query);
    (root, handle)
}

fn q(root: &Element, sel: &str) -> Option<Element> {
    root.query_selector(sel).unwrap()
}

fn count(root: &Element, sel: &str) -> u32 {
    root.query_selector_all(sel).unwrap().length()
}

fn text(root: &Element, sel: &str) -> String {
    q(root, sel)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

async fn click(root: &Element, sel: &str) {
    let el: HtmlElement = q(root, sel)
        .unwrap_or_else(|| panic!("nothing matches {sel}"))
        .unchecked_into();
    el.click();
    settle().await;
}

/// The step the clock shows, and the last step computed.
fn clock(root: &Element) -> (u64, u64) {
    let clock = text(root, ".control-bar .clock");
    let mut words = clock.split(' ');
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some("step"), Some(pos), Some("/"), Some(horizon)) => {
            let horizon: String = horizon.chars().take_while(char::is_ascii_digit).collect();
            match (pos.parse(), horizon.parse()) {
                (Ok(pos), Ok(horizon)) => (pos, horizon),
                _ => panic!("the clock reads {clock}"),
            }
        }
        _ => panic!("the clock reads {clock}"),
    }
}

/// The property panel's row for `name`: its element.
fn prop_row(root: &Element, name: &str) -> Element {
    let rows = root.query_selector_all(".invariants li").unwrap();
    (0..rows.length())
        .filter_map(|i| rows.item(i))
        .map(|n| n.unchecked_into::<Element>())
        .find(|li| {
            li.query_selector(".prop-name")
                .unwrap()
                .and_then(|e| e.text_content())
                .as_deref()
                == Some(name)
        })
        .unwrap_or_else(|| panic!("no property {name} in the panel"))
}

fn prop_status(root: &Element, name: &str) -> String {
    text(&prop_row(root, name), ".prop-status")
}

fn prop_desc(root: &Element, name: &str) -> String {
    text(&prop_row(root, name), ".prop-desc")
}

fn step(root: &Element) -> u64 {
    clock(root).0
}

fn disabled(root: &Element, sel: &str) -> bool {
    q(root, sel)
        .unwrap_or_else(|| panic!("nothing matches {sel}"))
        .has_attribute("disabled")
}

#[wasm_bindgen_test]
async fn a_pause_past_the_ttl_breaks_the_token_order_and_fencing_keeps_it() {
    let (root, handle) = open("scenario=locks-lease-try");
    settle().await;
    assert!(
        disabled(&root, "button.pause-holder"),
        "the pause button is enabled before anyone holds the lock"
    );
    for _ in 0..12 {
        click(&root, "button[aria-label=\"Step forward\"]").await;
    }
    assert_eq!(step(&root), 12);
    assert!(
        !disabled(&root, "button.pause-holder"),
        "the pause button stays disabled while c1 holds the lock"
    );
    click(&root, "button.pause-holder").await;
    assert_eq!(count(&root, "svg.locks .chip.paused"), 1);
    assert_eq!(step(&root), 13, "the page stays just after the pause");
    click(&root, "button[aria-label=\"Go to the end\"]").await;
    assert!(count(&root, "svg.locks .violation-mark") > 0);
    assert_eq!(
        text(&root, "svg.locks .violation-mark text"),
        "✗ stale write accepted"
    );
    assert!(count(&root, "svg.locks .outage.paused") > 0);
    for p in ["Fenced order", "Writes only from the current holder"] {
        assert_eq!(prop_status(&root, p), "✗ violated", "{p}");
    }
    assert!(text(&root, "svg.locks .storage-box").contains("nothing keeps the token order"));
    let end = step(&root);

    // The same run with fencing tokens: the pause is kept, and the page comes back to the
    // step it was at (or to the end of the new run, shorter: c1's stale writes are refused
    // and it stops).
    click(&root, ".locks-panel label.check input").await;
    assert!(text(&root, "svg.locks").contains("fencing ON"));
    let (pos, horizon) = clock(&root);
    assert_eq!(pos, end.min(horizon), "the rerun went back to step {pos}");
    assert!(pos > 13, "the rerun went back to step {pos}");
    click(&root, "button[aria-label=\"Go to the end\"]").await;
    assert!(
        count(&root, "svg.locks .outage.paused") > 0,
        "the pause was dropped"
    );
    assert!(count(&root, "svg.locks .log-line.rejected") > 0);
    assert_eq!(count(&root, "svg.locks .violation-mark"), 0);
    assert_eq!(prop_status(&root, "Fenced order"), "✓ holds");
    // The page says what fencing restores and what it does not: beside the checkbox, in
    // the storage box and in the properties' descriptions.
    let note = text(&root, ".locks-panel .fencing-note");
    assert!(
        note.contains("Fencing restores Fenced order")
            && note.contains("does not restore Writes only from the current holder"),
        "{note}"
    );
    assert!(
        text(&root, "svg.locks .storage-box").contains("keeps the token order, not exclusivity")
    );
    assert!(prop_desc(&root, "Writes only from the current holder")
        .contains("Fencing does not restore this"));
    assert!(prop_desc(&root, "Fenced order").contains("what fencing tokens promise"));
    assert!(
        q(&root, ".error-banner").is_none(),
        "{}",
        text(&root, ".error-banner")
    );
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn numbers_out_of_range_are_refused_and_fewer_clients_fit_the_script() {
    let (root, handle) = open("scenario=locks-queue");
    settle().await;
    assert_eq!(count(&root, "svg.locks .row"), 3);
    // A client told to act: c1 asks for the lock now.
    assert_eq!(text(&root, ".locks-panel button.client-btn"), "c1 acquire");
    click(&root, ".locks-panel button.client-btn").await;
    assert_eq!(step(&root), 1);
    let c1 = q(&root, "svg.locks .chip").unwrap();
    assert_eq!(
        c1.get_attribute("aria-label").as_deref(),
        Some("c1, asking")
    );
    let set = |label: &str, value: &str| {
        let el: HtmlInputElement = q(
            &root,
            &format!(".lock-params input[aria-label=\"{label}\"]"),
        )
        .unwrap_or_else(|| panic!("no field {label}"))
        .unchecked_into();
        el.set_value(value);
        el.dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
    };
    set("clients", "40");
    settle().await;
    click(&root, ".lock-params button[type=\"submit\"]").await;
    let err = text(&root, ".locks-panel .form-error");
    assert!(err.contains("clients") && err.contains("1 to 12"), "{err}");
    assert_eq!(count(&root, "svg.locks .row"), 3, "the page changed");

    set("clients", "2");
    settle().await;
    click(&root, ".lock-params button[type=\"submit\"]").await;
    assert!(q(&root, ".locks-panel .form-error").is_none());
    assert_eq!(count(&root, "svg.locks .row"), 2);
    let note = text(&root, ".fit-note");
    assert!(note.contains("c3") && note.contains("left out"), "{note}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_variant_and_the_herd_switch_the_lock_service() {
    let (root, handle) = open("scenario=locks-zookeeper");
    settle().await;
    click(&root, "button[aria-label=\"Go to the end\"]").await;
    let lock = text(&root, "svg.locks .lock-box");
    assert!(
        lock.contains("ZooKeeper · recipe") && lock.contains("same run with the herd"),
        "{lock}"
    );
    click(
        &root,
        ".locks-panel label.check[title^=\"Every waiter\"] input",
    )
    .await;
    click(&root, "button[aria-label=\"Go to the end\"]").await;
    let lock = text(&root, "svg.locks .lock-box");
    assert!(
        lock.contains("ZooKeeper · herd") && lock.contains("same run with the recipe"),
        "{lock}"
    );

    let select: web_sys::HtmlSelectElement = q(&root, "select[aria-label=\"Lock variant\"]")
        .unwrap()
        .unchecked_into();
    select.set_value("lease");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    settle().await;
    let lock = text(&root, "svg.locks .lock-box");
    assert!(lock.contains("lease lock · SET NX PX 600"), "{lock}");
    assert!(
        q(&root, ".error-banner").is_none(),
        "{}",
        text(&root, ".error-banner")
    );
    handle.destroy();
    root.remove();
}
