//! Small wrappers over browser APIs: clipboard, downloads, the page URL, CSS of the page,
//! media queries, the root element's classes. Each fails softly (returns an error text or
//! `false`) rather than panicking: a missing API must not take the page down.

use wasm_bindgen::JsCast;

/// The page's URL without the hash, e.g. `http://127.0.0.1:8080/raft.html`.
pub fn base_url() -> String {
    let href = gloo::utils::window().location().href().unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}

/// Replace the hash part of the URL without adding a history entry or reloading.
pub fn replace_hash(hash: &str) {
    let w = gloo::utils::window();
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(hash));
    }
}

/// The hash part of the current URL (with its `#`).
pub fn current_hash() -> String {
    gloo::utils::window().location().hash().unwrap_or_default()
}

/// Go to another address, replacing this one in the history (a redirect).
pub fn go(href: &str) {
    let _ = gloo::utils::window().location().replace(href);
}

/// Copy text to the clipboard. Resolves to an error text when the browser refuses.
pub async fn copy_text(text: String) -> Result<(), String> {
    let clipboard = gloo::utils::window().navigator().clipboard();
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text))
        .await
        .map(|_| ())
        .map_err(|_| "the browser did not allow copying; select the text and copy it".to_string())
}

/// Offer `text` as a file download named `name`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| "could not build the file".to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "could not offer the file".to_string())?;
    let doc = gloo::utils::document();
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|_| "could not offer the file".to_string())?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The CSS rules of the page's own stylesheets, for exported SVG files.
pub fn page_css() -> String {
    let mut css = String::new();
    let sheets = gloo::utils::document().style_sheets();
    for i in 0..sheets.length() {
        let Some(sheet) = sheets.item(i) else {
            continue;
        };
        let Ok(sheet) = sheet.dyn_into::<web_sys::CssStyleSheet>() else {
            continue;
        };
        let Ok(rules) = sheet.css_rules() else {
            continue;
        };
        for j in 0..rules.length() {
            if let Some(rule) = rules.item(j) {
                css.push_str(&rule.css_text());
                css.push('\n');
            }
        }
    }
    css
}

/// An element of the page as a standalone SVG file with the page's styles inside.
pub fn svg_file(selector: &str) -> Result<String, String> {
    let el = gloo::utils::document()
        .query_selector(selector)
        .ok()
        .flatten()
        .ok_or_else(|| format!("nothing to export: `{selector}` is not on the page"))?;
    let mut svg = el.outer_html();
    // Layers drawn as SVGs of their own over this one (`data-overlay`, same view box) go
    // into the file too, on top.
    if let Some(parent) = el.parent_element() {
        if let Ok(list) = parent.query_selector_all(":scope > svg[data-overlay]") {
            let layers: String = (0..list.length())
                .filter_map(|i| list.item(i))
                .filter_map(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok())
                .map(|e| e.inner_html())
                .collect();
            if let Some(end) = svg.rfind("</svg>") {
                svg.insert_str(end, &layers);
            }
        }
    }
    // The page's rules use `:root` variables; in a standalone SVG the svg element is the root.
    let style = format!("<style>{}</style>", page_css().replace("]]>", ""));
    let body = svg.replacen(
        '>',
        &format!(" xmlns=\"http://www.w3.org/2000/svg\">{style}"),
        1,
    );
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}\n"
    ))
}

/// Whether the person asked for reduced motion.
pub fn prefers_reduced_motion() -> bool {
    gloo::utils::window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

/// Set or clear a class on the `<html>` element.
pub fn root_class(class: &str, on: bool) {
    if let Some(el) = gloo::utils::document().document_element() {
        let list = el.class_list();
        let _ = if on {
            list.add_1(class)
        } else {
            list.remove_1(class)
        };
    }
}

/// Set `data-theme` on the `<html>` element (`None`: follow the system).
pub fn set_theme(theme: Option<&str>) {
    if let Some(el) = gloo::utils::document().document_element() {
        let _ = match theme {
            Some(t) => el.set_attribute("data-theme", t),
            None => el.remove_attribute("data-theme"),
        };
    }
}

/// Milliseconds since the page loaded (for frame times and seek slices). Outside a
/// browser (the store in native tests), since the first call.
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        gloo::utils::window().performance().map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
            * 1000.0
    }
}

/// A new random seed (the simulation itself never uses this: only the "New seed" button).
pub fn random_seed() -> u64 {
    (js_sys::Math::random() * 1_000_000.0) as u64
}

/// A frame callback, kept where it can schedule itself again.
type FrameSlot =
    std::rc::Rc<std::cell::RefCell<Option<wasm_bindgen::closure::Closure<dyn FnMut(f64)>>>>;

/// Calls a function on every animation frame, with the frame's time in ms, until dropped.
/// Playback draws once per frame this way: a timer of its own would sometimes fire twice
/// between two frames (two renders, one never shown) and drift against the display.
pub struct FrameLoop {
    id: std::rc::Rc<std::cell::Cell<i32>>,
    /// Keeps the callback alive; it schedules itself again from inside.
    _cb: FrameSlot,
}

impl FrameLoop {
    pub fn new(mut f: impl FnMut(f64) + 'static) -> FrameLoop {
        use std::cell::{Cell, RefCell};
        use std::rc::Rc;
        use wasm_bindgen::closure::Closure;
        let id = Rc::new(Cell::new(0));
        let slot: FrameSlot = Rc::new(RefCell::new(None));
        let (weak, id2) = (Rc::downgrade(&slot), id.clone());
        *slot.borrow_mut() = Some(Closure::new(move |now: f64| {
            f(now);
            // Dropped meanwhile (the callback ended playback): the loop ends.
            if let Some(slot) = weak.upgrade() {
                if let Some(cb) = slot.borrow().as_ref() {
                    id2.set(request_frame(cb));
                }
            }
        }));
        if let Some(cb) = slot.borrow().as_ref() {
            id.set(request_frame(cb));
        }
        FrameLoop { id, _cb: slot }
    }
}

fn request_frame(cb: &wasm_bindgen::closure::Closure<dyn FnMut(f64)>) -> i32 {
    gloo::utils::window()
        .request_animation_frame(cb.as_ref().unchecked_ref())
        .unwrap_or(0)
}

impl Drop for FrameLoop {
    fn drop(&mut self) {
        let _ = gloo::utils::window().cancel_animation_frame(self.id.get());
    }
}
