//! Keyed lists: keys unique by construction, checked on the cases that collided. The tests
//! run in a debug build, where Yew panics on a duplicate key ("duplicate key detected");
//! in a release build a duplicate misdraws silently, so the tests count what is drawn too.

use dsplay_core::catalog;
use dsplay_web::components::unique_keys;
use dsplay_web::page::mount;
use dsplay_web::url::UrlState;
use dsplay_web::views::messaging::MessagingPage;
use std::time::Duration;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The messaging page on a scenario of its own (`v`), opened at `step` and drawn.
async fn open_at(
    v: &serde_json::Value,
    step: u64,
) -> (
    web_sys::Element,
    yew::AppHandle<dsplay_web::page::Playground<MessagingPage>>,
) {
    let query = UrlState {
        custom: Some(v.to_string()),
        step: Some(step),
        ..UrlState::default()
    }
    .to_query();
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<MessagingPage>(root.clone(), &query);
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    (root, handle)
}

/// Two cuts made at one instant (two partition bands starting at the same time), a node
/// crashed, restarted and crashed again at one instant (two crash stretches of one lane
/// starting together), and the same with a pause: the space-time diagram keyed bands and
/// stretches by their start time and collided ("duplicate key detected: band-0").
#[wasm_bindgen_test]
async fn bands_and_stretches_that_start_at_one_instant() {
    let json = catalog::builtin("messaging-normal").unwrap().json;
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    let at = |t: u64, action: serde_json::Value| serde_json::json!({ "at": t, "action": action });
    let actions = v["actions"].as_array_mut().unwrap();
    for a in [
        at(100, serde_json::json!({ "cut": { "a": "n1", "b": "n2" } })),
        at(100, serde_json::json!({ "cut": { "a": "n2", "b": "n3" } })),
        at(120, serde_json::json!({ "crash": { "node": "n1" } })),
        at(120, serde_json::json!({ "restart": { "node": "n1" } })),
        at(120, serde_json::json!({ "crash": { "node": "n1" } })),
        at(130, serde_json::json!({ "pause": { "node": "n3" } })),
        at(130, serde_json::json!({ "resume": { "node": "n3" } })),
        at(130, serde_json::json!({ "pause": { "node": "n3" } })),
    ] {
        actions.push(a);
    }
    let (root, handle) = open_at(&v, 40).await;
    let count = |sel: &str| root.query_selector_all(sel).unwrap().length();
    assert!(
        root.query_selector(".error-banner").unwrap().is_none(),
        "{:?}",
        root.query_selector(".error-banner")
            .unwrap()
            .and_then(|e| e.text_content())
    );
    assert_eq!(count("svg.spacetime .st-band"), 2, "one band per cut");
    assert_eq!(
        count("svg.spacetime .st-stretch.crashed"),
        2,
        "the crash ended by the restart, and the one after"
    );
    assert_eq!(count("svg.spacetime .st-stretch.paused"), 2);
    // Stepping redraws them (a keyed list is compared with the one before).
    for _ in 0..3 {
        let e: web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_into(
            root.query_selector("button[aria-label=\"Step back\"]")
                .unwrap()
                .unwrap(),
        );
        e.click();
        yew::platform::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(count("svg.spacetime .st-band") >= 1);
    handle.destroy();
    root.remove();
}

/// Keys made from what is drawn (a client in a wait queue, a znode, a cut link) stay unique
/// when the same thing shows twice, and a key made for a second showing cannot equal one
/// given (`q2#2` given, after `q2` twice).
#[wasm_bindgen_test]
fn keys_from_data_are_made_unique() {
    let keys = unique_keys(["q1", "q2", "q1", "q1", "q2#2", "q2"].map(String::from));
    assert_eq!(keys, ["q1", "q2", "q1#2", "q1#3", "q2#2#1", "q2#2"]);
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), keys.len(), "{keys:?}");
    assert_eq!(unique_keys(Vec::<String>::new()), Vec::<String>::new());
}

/// Fault windows on the space-time diagram: a window that crashed two nodes ends both
/// stretches when it ends (the step records both restarts), a paused node stays paused
/// under another window, and a window's end ends its own cut only (a one-way cut, drawn
/// with its arrow), not the partition another window holds.
#[wasm_bindgen_test]
async fn windows_end_what_they_began_on_the_diagram() {
    let json = catalog::builtin("messaging-normal").unwrap().json;
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    let at = |t: u64, action: serde_json::Value| serde_json::json!({ "at": t, "action": action });
    let open = |w: u32, fault: serde_json::Value| serde_json::json!({ "open": { "window": w, "fault": fault } });
    v["actions"] = serde_json::json!([
        at(
            100,
            open(1, serde_json::json!({ "crash": { "node": "n1" } }))
        ),
        at(
            100,
            open(1, serde_json::json!({ "crash": { "node": "n2" } }))
        ),
        at(
            105,
            open(
                3,
                serde_json::json!({ "cut": { "a": "n1", "b": "n3", "one_way": true } })
            )
        ),
        at(
            106,
            open(
                4,
                serde_json::json!({ "partition": { "groups": [["n2"], ["n3"]] } })
            )
        ),
        at(
            110,
            open(2, serde_json::json!({ "pause": { "node": "n3" } }))
        ),
        at(150, serde_json::json!({ "end": { "window": 1 } })),
        at(160, serde_json::json!({ "end": { "window": 3 } })),
        at(
            170,
            serde_json::json!({ "command": { "node": "n1", "cmd": { "request": { "to": "n2" } } } })
        ),
    ]);
    v["run"] = serde_json::json!({ "until": 170 });
    let (root, handle) = open_at(&v, 8).await;
    let all = |sel: &str| {
        let list = root.query_selector_all(sel).unwrap();
        (0..list.length())
            .filter_map(|i| list.item(i).and_then(|e| e.text_content()))
            .collect::<Vec<String>>()
    };
    assert!(
        all(".error-banner").is_empty(),
        "{:?}",
        all(".error-banner")
    );
    let crashed = all("svg.spacetime .st-stretch.crashed");
    assert_eq!(crashed.len(), 2, "{crashed:?}");
    for (who, tip) in ["n1", "n2"].iter().zip(&crashed) {
        assert!(
            tip.contains(&format!("{who} down from t=100 to t=150")),
            "{tip}"
        );
    }
    let paused = all("svg.spacetime .st-stretch.paused");
    assert_eq!(paused.len(), 1, "{paused:?}");
    assert!(paused[0].contains("n3 paused since t=110"), "{}", paused[0]);
    let bands = all("svg.spacetime .st-band");
    assert_eq!(bands.len(), 2, "{bands:?}");
    assert!(
        bands
            .iter()
            .any(|b| b.contains("cut n1 → n3") && b.contains("105 to 160")),
        "{bands:?}"
    );
    assert!(
        bands
            .iter()
            .any(|b| b.starts_with("partition") && b.contains("106 to 170")),
        "{bands:?}"
    );
    handle.destroy();
    root.remove();
}
