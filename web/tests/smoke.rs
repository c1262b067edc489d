//! Smoke test: the app mounts in a real (headless) browser and shows its name.
//! Run with `cargo test -p dsplay-web --target wasm32-unknown-unknown` (see scripts/test.sh).

use std::time::Duration;

use dsplay_web::App;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn app_renders_its_name() {
    let document = gloo::utils::document();
    let root = document.create_element("div").expect("create a div");
    gloo::utils::body()
        .append_child(&root)
        .expect("attach the div to <body>");

    let handle = yew::Renderer::<App>::with_root(root.clone()).render();
    // Yew renders on its scheduler: yield to the browser so the first render happens.
    yew::platform::time::sleep(Duration::from_millis(50)).await;

    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("dsplay"), "rendered text was {text:?}");
    assert!(
        root.query_selector("h1").expect("valid selector").is_some(),
        "the header has an <h1>"
    );

    handle.destroy();
    root.remove();
}
