//! The consistent hashing page in a browser: the hash in WebAssembly gives the same fixed
//! values as natively (core/tests/hashring.rs, `hash_is_stable`), so a ring drawn in the
//! browser places every key where the CLI does; and the page's controls give `coord` its
//! commands.

use dsplay_core::algo::hashring::{hash_key, key_name, vnode_hash, Ring};
use dsplay_core::collections::VecMap;
use dsplay_core::sim::NodeId;
use dsplay_web::page::mount;
use dsplay_web::views::hashring::HashringPage;
use std::collections::BTreeSet;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn hash_key_gives_the_native_values() {
    assert_eq!(hash_key(""), 0xf52a15e9a9b5e89b);
    assert_eq!(hash_key("a"), 0x02c0bdbf481420f8);
    assert_eq!(hash_key("k0001"), 0xc83f7947fc99b873);
    assert_eq!(hash_key("n1#0"), 0xe73b9b96754f50a4);
    assert_eq!(vnode_hash(NodeId(0), 0), hash_key("n1#0"));
    assert_eq!(key_name(42), "k0042");
}

#[wasm_bindgen_test]
fn placement_uses_the_full_64_bits() {
    // usize is 32 bits here: positions and the binary search must not be truncated.
    let members: VecMap<NodeId, u32> = (0..4).map(|i| (NodeId(i), 1)).collect();
    let ring = Ring::build(&members, 1);
    assert_eq!(ring.vnodes.len(), 4);
    assert!(ring.vnodes.iter().any(|v| v.pos > u64::from(u32::MAX)));
    let keys: BTreeSet<String> = ["k0001".to_string()].into();
    let owners = ring.place(&keys, 1);
    let h = hash_key("k0001");
    let want = ring
        .vnodes
        .iter()
        .find(|v| v.pos >= h)
        .unwrap_or(&ring.vnodes[0])
        .node;
    assert_eq!(owners["k0001"], vec![want]);
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

/// The page, mounted at the start of the scenario where a spare node joins.
struct Page {
    root: web_sys::Element,
    handle: yew::AppHandle<dsplay_web::page::Playground<HashringPage>>,
}

impl Page {
    async fn open() -> Page {
        let root = gloo::utils::document().create_element("div").unwrap();
        gloo::utils::body().append_child(&root).unwrap();
        let handle = mount::<HashringPage>(root.clone(), "scenario=hashring-add-node");
        settle().await;
        Page { root, handle }
    }

    fn find(&self, selector: &str) -> Option<web_sys::Element> {
        self.root.query_selector(selector).unwrap()
    }

    fn get(&self, selector: &str) -> web_sys::Element {
        self.find(selector)
            .unwrap_or_else(|| panic!("nothing matches {selector}"))
    }

    fn panel(&self) -> String {
        self.get(".hr-panel").text_content().unwrap_or_default()
    }

    fn error(&self) -> Option<String> {
        self.find(".error-banner")
            .map(|e| e.text_content().unwrap_or_default())
    }

    /// The button whose text is `text`.
    fn button(&self, text: &str) -> web_sys::HtmlElement {
        let all = self.root.query_selector_all("button").unwrap();
        (0..all.length())
            .filter_map(|i| all.get(i))
            .find(|b| b.text_content().as_deref() == Some(text))
            .unwrap_or_else(|| panic!("no button {text:?}"))
            .unchecked_into()
    }

    async fn press(&self, text: &str) {
        let b = self.button(text);
        assert!(
            !b.has_attribute("disabled"),
            "{text} is disabled: {:?}",
            b.title()
        );
        b.click();
        settle().await;
    }

    /// A click on an element that is not a button (a node or a card in the drawing).
    async fn click(&self, selector: &str) {
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let e = web_sys::Event::new_with_event_init_dict("click", &init).unwrap();
        self.get(selector).dispatch_event(&e).unwrap();
        settle().await;
    }

    async fn key(&self, selector: &str, key: &str) {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(key);
        init.set_bubbles(true);
        let e =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        self.get(selector).dispatch_event(&e).unwrap();
        settle().await;
    }

    async fn type_in(&self, label: &str, text: &str) {
        let input: web_sys::HtmlInputElement = self
            .get(&format!("input[aria-label=\"{label}\"]"))
            .unchecked_into();
        input.set_value(text);
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let e = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
        input.dispatch_event(&e).unwrap();
        settle().await;
    }

    fn close(self) {
        self.handle.destroy();
        self.root.remove();
    }
}

#[wasm_bindgen_test]
async fn a_spare_node_joins_and_is_crashed_and_restarted_from_its_selection() {
    let page = Page::open().await;
    assert!(page.panel().contains("Last operation: initial placement"));
    page.click("[aria-label=\"n5: spare, not in the ring\"]")
        .await;
    page.press("Add n5 to the ring").await;
    assert_eq!(page.error(), None);
    assert!(
        page.panel().contains("Last operation: add n5 (weight 1)"),
        "{}",
        page.panel()
    );
    assert!(page.panel().contains("Migration in progress"));
    // An operation during the migration waits for it.
    page.press("Add 100 keys").await;
    assert!(
        page.panel()
            .contains("1 operation waiting for it to finish"),
        "{}",
        page.panel()
    );
    page.press("Crash n5").await;
    assert!(
        page.find("[aria-label^=\"n5, crashed: \"]").is_some(),
        "n5 is drawn crashed"
    );
    page.press("Restart n5").await;
    assert!(page.find("[aria-label*=\", crashed\"]").is_none());
    assert_eq!(page.error(), None);
    page.close();
}

#[wasm_bindgen_test]
async fn a_member_leaves_the_ring_and_its_selection_says_why_not_when_it_cannot() {
    let page = Page::open().await;
    page.click("[aria-label^=\"n2: \"]").await;
    // Down, with the only copy of its keys: it cannot hand them over, and the page says so.
    page.press("Crash n2").await;
    assert!(page
        .button("Remove n2 from the ring")
        .has_attribute("disabled"));
    let hint = page.get(".hr-selected .hint").text_content().unwrap();
    assert!(hint.contains("restart it first"), "{hint}");
    page.press("Restart n2").await;
    page.press("Remove n2 from the ring").await;
    assert!(
        page.panel().contains("Last operation: remove n2"),
        "{}",
        page.panel()
    );
    assert!(page
        .find("[aria-label=\"n2: spare, not in the ring\"]")
        .is_some());
    page.close();
}

#[wasm_bindgen_test]
async fn virtual_nodes_are_previewed_then_set() {
    let page = Page::open().await;
    page.type_in("Virtual nodes per node", "20").await;
    assert!(
        page.panel().contains("with 20: std dev"),
        "the balance is previewed: {}",
        page.panel()
    );
    page.press("Set 20 per node").await;
    assert!(
        page.panel()
            .contains("Last operation: virtual nodes 100 → 20"),
        "{}",
        page.panel()
    );
    page.type_in("Virtual nodes per node", "501").await;
    assert!(page
        .panel()
        .contains("Virtual nodes: `501` is not a whole number from 1 to 500."));
    assert!(page.button("Set").has_attribute("disabled"));
    page.close();
}

#[wasm_bindgen_test]
async fn keys_are_looked_up_added_and_removed() {
    let page = Page::open().await;
    assert!(page.find(".lookup").is_none());
    page.press("Look up k0001").await;
    assert!(page.find(".lookup").is_some(), "the lookup is drawn");
    page.type_in("Number of keys to add", "7").await;
    page.press("Add 7 keys").await;
    assert!(
        page.panel().contains("Last operation: add 7 keys"),
        "{}",
        page.panel()
    );
    assert_eq!(page.error(), None);
    page.close();
    let page = Page::open().await;
    page.type_in("Number of random keys to remove", "3").await;
    page.press("Remove 3 random keys").await;
    assert!(
        page.panel()
            .contains("Last operation: remove 3 random keys"),
        "{}",
        page.panel()
    );
    assert_eq!(page.error(), None);
    page.close();
}

#[wasm_bindgen_test]
async fn a_key_pinned_from_the_keyboard_can_be_removed() {
    let page = Page::open().await;
    assert!(page.find(".probe").is_none());
    page.key(".keys-hit", "ArrowRight").await;
    let card = page.get(".probe-card").text_content().unwrap_or_default();
    assert!(card.contains("(pinned: Esc lets go)"), "{card}");
    assert!(card.contains("preference list:"), "{card}");
    page.key(".keys-hit", "Escape").await;
    assert!(page.find(".probe").is_none(), "Escape lets go");
    page.key(".keys-hit", "ArrowRight").await;
    let card = page.get(".probe-key").text_content().unwrap_or_default();
    let key = card.split(' ').next().unwrap().to_string();
    page.click(".probe-remove").await;
    assert!(
        page.panel()
            .contains(&format!("Last operation: remove {key}")),
        "{}",
        page.panel()
    );
    assert!(page.find(".probe").is_none(), "the removed key is let go");
    page.close();
}
