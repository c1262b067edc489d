//! A panic shows a visible panel instead of a frozen page.

use std::sync::Once;

/// Log panics to the console and show them on the page. Through Yew's setter: Yew puts
/// its own hook (console only) in place on the first render unless one was set this way.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        yew::set_custom_panic_hook(Box::new(|info| {
            console_error_panic_hook::hook(info);
            show(&info.to_string());
        }));
    });
}

/// Put the panel on the page (built with DOM calls, no HTML parsing).
fn show(message: &str) {
    let doc = gloo::utils::document();
    let Ok(panel) = doc.create_element("div") else {
        return;
    };
    panel.set_class_name("panic-panel");
    let _ = panel.set_attribute("role", "alert");
    let add = |tag: &str, text: &str| {
        if let Ok(el) = doc.create_element(tag) {
            el.set_text_content(Some(text));
            let _ = panel.append_child(&el);
        }
    };
    add("h2", "dsplay stopped because of an internal error");
    add(
        "p",
        "This is a bug in dsplay, not in what you did. Reload the page to start again; the link in the address bar still holds the state you were looking at.",
    );
    add("pre", message);
    if let Ok(button) = doc.create_element("button") {
        button.set_text_content(Some("Reload"));
        let _ = button.set_attribute("onclick", "location.reload()");
        let _ = panel.append_child(&button);
    }
    let _ = gloo::utils::body().append_child(&panel);
}
