//! Smoke test: a page mounts in a real (headless) browser and shows its name and title.
//! Run with `cargo test -p dsplay-web --target wasm32-unknown-unknown` (see scripts/test.sh).

use std::time::Duration;

use dsplay_web::page::mount;
use dsplay_web::views::messaging::MessagingPage;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_page_renders_its_name() {
    let document = gloo::utils::document();
    let root = document.create_element("div").expect("create a div");
    gloo::utils::body()
        .append_child(&root)
        .expect("attach the div to <body>");

    let handle = mount::<MessagingPage>(root.clone(), "");
    // Yew renders on its scheduler: yield to the browser so the first render happens.
    yew::platform::time::sleep(Duration::from_millis(50)).await;

    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("dsplay"), "rendered text was {text:?}");
    let h1 = root
        .query_selector("h1")
        .expect("valid selector")
        .expect("the header has an <h1>");
    assert_eq!(h1.text_content().as_deref(), Some("Messaging"));

    handle.destroy();
    root.remove();
}
