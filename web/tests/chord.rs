//! The Chord page in a real browser, as a person sees it: the hop chart holds every lookup
//! of the run with its hop count (the checker's records), the path drawn is the latest
//! lookup's, a wrong pointer is listed and marked in the finger table, selecting a node shows
//! its finger table, the panel looks up a key and fails a node, and a refused parameter keeps
//! the page.

use dsplay_core::algo::chord::{Chord, ChordChecker};
use dsplay_core::session::Loaded;
use dsplay_web::views::chord::{apply_fields, check_key, parse_ids, ChordPage, FIELDS};
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::{all, click, no_banner, settle, text};

async fn open(
    query: &str,
) -> (
    Element,
    yew::AppHandle<dsplay_web::page::Playground<ChordPage>>,
) {
    common::open::<ChordPage>(query).await
}

/// The panel's button whose text starts with `label`.
fn button(root: &Element, label: &str) -> HtmlElement {
    common::button_in(root, ".chord-panel button", label)
}

fn run_of(id: &str, to: Option<u64>) -> Loaded<Chord> {
    let mut l = Loaded::<Chord>::parse(dsplay_core::catalog::builtin(id).unwrap().json).unwrap();
    l.run_to(to, None);
    l
}

fn checker(l: &Loaded<Chord>) -> &ChordChecker {
    l.timeline.sim().checker().unwrap()
}

#[wasm_bindgen_test]
async fn the_hop_chart_holds_every_lookup_with_its_hops_and_the_latest_path_is_drawn() {
    let l = run_of("chord-lookups", None);
    let end = l.timeline.pos();
    let recs = checker(&l).lookups().to_vec();
    assert_eq!(recs.len(), 7);
    let (root, handle) = open(&format!("scenario=chord-lookups&step={end}")).await;
    no_banner(&root);
    let bars: Vec<String> = all(&root, "svg.chord .hop-chart .bar .n")
        .iter()
        .map(|e| e.text_content().unwrap_or_default())
        .collect();
    let want: Vec<String> = recs.iter().map(|r| r.hops.to_string()).collect();
    assert_eq!(bars, want);
    // Along successors first (7 hops from n2 to key 54), by fingers later: at most 3.
    assert!(bars[..3].contains(&"7".to_string()), "{want:?}");
    assert!(recs[3..].iter().all(|r| r.hops <= 3), "{want:?}");
    // The path of the latest lookup: one chord per hop of its record.
    let last = recs.last().unwrap();
    let hops = all(&root, "svg.chord .lookup-path .hop").len();
    assert_eq!(hops, last.path.windows(2).filter(|w| w[0] != w[1]).count());
    assert!(text(&root, "svg.chord .path-words").starts_with("lookup 7 of"));
    // Picking the bar of the 7-hop lookup draws its path.
    let k = recs.iter().position(|r| r.hops == 7).unwrap();
    click(&all(&root, "svg.chord .hop-chart .bar")[k]).await;
    let words = text(&root, "svg.chord .path-words");
    assert!(
        words.starts_with(&format!("lookup {} of", k + 1)),
        "{words}"
    );
    assert!(words.contains("in 7 hops"), "{words}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn wrong_pointers_after_a_join_are_listed_then_converge() {
    // Mid-join: pointers are wrong, and the view says how many.
    let l = run_of("chord-join", Some(300));
    let wrong = checker(&l).convergence().wrong;
    let (root, handle) = open("scenario=chord-join&step=300").await;
    no_banner(&root);
    let head = text(&root, "svg.chord .stab-state .box-head");
    if wrong > 0 {
        assert!(
            head.starts_with(&format!("✗ {wrong} pointer")),
            "{head} / {wrong}"
        );
    }
    handle.destroy();
    root.remove();
    // At the end the ring has converged: every pointer is correct.
    let l = run_of("chord-join", None);
    assert_eq!(checker(&l).convergence().wrong, 0);
    let end = l.timeline.pos();
    let (root, handle) = open(&format!("scenario=chord-join&step={end}")).await;
    let head = text(&root, "svg.chord .stab-state .box-head");
    assert_eq!(head, "✓ every pointer correct");
    let healed = text(&root, "svg.chord .stab-state .healed-line");
    assert!(
        healed.contains("healed in") && healed.ends_with(" ms"),
        "{healed}"
    );
    assert!(all(&root, "svg.chord .succ.wrong, svg.chord .pred.wrong").is_empty());
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn selecting_a_node_shows_its_finger_table_and_the_panel_fails_it() {
    let (root, handle) = open("scenario=chord-lookups&step=2").await;
    no_banner(&root);
    click(&all(&root, "svg.chord .cnode")[4]).await;
    let head = text(&root, "svg.chord .finger-table .box-head");
    assert_eq!(head, "finger table of n5 (id 32)");
    // m = 6 fingers, one row each, starting at 32 + 2^(i-1).
    let rows = all(&root, "svg.chord .finger-table .frow");
    assert_eq!(rows.len(), 6);
    assert!(rows[5].text_content().unwrap().contains("32+32 = 0"));
    let fail = button(&root, "Fail n5");
    fail.click();
    settle().await;
    assert!(!all(&root, "svg.chord .cnode.crashed").is_empty());
    assert!(button(&root, "Restart n5").title().contains("joins again"));
    // A failed node cannot leave: the button says why.
    let leave = button(&root, "Leave (n5)");
    assert!(leave.title().contains("has failed"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
fn parameters_by_name_and_refusals() {
    let p = dsplay_core::algo::chord::Params::default();
    let mut texts: Vec<String> = FIELDS.iter().map(|f| (f.3)(&p).to_string()).collect();
    texts.push("1, 8, 14".into());
    texts.push("apple, 10".into());
    let mut bad = texts.clone();
    bad[0] = "3".into();
    let e = apply_fields(&p, &bad).unwrap_err();
    assert!(
        e.starts_with("bits must be a whole number from 4 to 16"),
        "{e}"
    );
    texts[1] = "3".into();
    texts[2] = "3".into();
    let next = apply_fields(&p, &texts).unwrap();
    assert_eq!(next.ids, vec![1, 8, 14]);
    assert_eq!(next.keys, vec!["apple".to_string(), "10".to_string()]);
    assert!(parse_ids("1, x").is_err());
    assert_eq!(check_key("10", 64), Ok(10));
    // A number is its own position, modulo 2^bits, as the core takes it.
    assert_eq!(check_key("70", 64), Ok(6));
    assert!(check_key("", 64).is_err());
}
