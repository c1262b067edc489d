//! The key-value store page in a real browser, as a person sees it: for every built-in
//! scenario, mid-run and at the end, the partition table has one row per partition of the
//! configuration node's table with one chip per replica and the leader marked, the history
//! lanes hold every operation of the checker's history (pending ones drawn pending), and a
//! broken session guarantee is marked at its read; the panel's client write adds an
//! operation, crashing a leader crashes it, and a refused parameter names its field.

use dsplay_core::algo::kvstore::{
    KvChecker, Kvstore, Node, Params, Replication, MONOTONIC_READS, READ_YOUR_WRITES,
};
use dsplay_core::session::{Loaded, Session};
use dsplay_core::{Algorithm, NodeStatus, Protocol};
use dsplay_web::page::mount;
use dsplay_web::views::kvstore::{apply_fields, lag_of, KvstorePage, FIELDS};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

async fn open(
    query: &str,
) -> (
    Element,
    yew::AppHandle<dsplay_web::page::Playground<KvstorePage>>,
) {
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<KvstorePage>(root.clone(), query);
    settle().await;
    (root, handle)
}

fn all(root: &Element, sel: &str) -> Vec<Element> {
    let list = root.query_selector_all(sel).unwrap();
    (0..list.length())
        .filter_map(|k| list.get(k))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn button(root: &Element, label: &str) -> HtmlElement {
    all(root, ".kvstore-panel button")
        .into_iter()
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .find(|b| b.text_content().unwrap_or_default().starts_with(label))
        .unwrap_or_else(|| panic!("no button {label}"))
}

fn no_banner(root: &Element) {
    if let Some(b) = root.query_selector(".error-banner").unwrap() {
        panic!("error banner: {}", b.text_content().unwrap_or_default());
    }
}

fn run_of(id: &str, to: Option<u64>) -> Loaded<Kvstore> {
    let mut l = Loaded::<Kvstore>::parse(dsplay_core::catalog::builtin(id).unwrap().json).unwrap();
    l.run_to(to, None);
    l
}

fn checker(l: &Loaded<Kvstore>) -> &KvChecker {
    l.timeline.sim().checker().unwrap()
}

/// What the view must draw at this point of the run, against what it drew.
fn check_drawn(root: &Element, l: &Loaded<Kvstore>, at: &str) {
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let table = match sim.node(proto.cfg_id()) {
        Node::Config(c) => c.disk.table.clone(),
        _ => panic!("{at}: no configuration node"),
    };
    let rows = all(root, "svg.kvstore .kv-row");
    assert_eq!(rows.len(), table.len(), "{at}: partition rows");
    for (p, (row, cfg)) in rows.iter().zip(&table).enumerate() {
        let chips = all(row, ".chip");
        assert_eq!(chips.len(), cfg.replicas.len(), "{at}: replicas of p{p}");
        let leaders: Vec<String> = all(row, ".chip.leader")
            .iter()
            .map(|c| c.get_attribute("data-node").unwrap_or_default())
            .collect();
        let want: Vec<String> = cfg
            .leader
            .map(|n| l.names()[n.index()].clone())
            .into_iter()
            .collect();
        assert_eq!(leaders, want, "{at}: leader of p{p}");
        // A follower's lag is written on its chip (−n), the leader's chip says L.
        for ((chip, &(n, lag)), _) in chips.iter().zip(&lag_of(sim, p as u32, cfg)).zip(0..) {
            let words = chip.text_content().unwrap_or_default();
            let name = &l.names()[n.index()];
            let want = if cfg.leader == Some(n) {
                format!("{name} L")
            } else {
                match lag {
                    None => format!("{name} ∅"),
                    Some(0) => format!("{name} ✓"),
                    Some(d) => format!("{name} −{d}"),
                }
            };
            assert!(words.ends_with(&want), "{at}: chip {words} / {want}");
            let down = !matches!(sim.status(n), NodeStatus::Up);
            assert_eq!(
                chip.class_list().contains("down"),
                down,
                "{at}: {name} down"
            );
        }
    }
    let history = checker(l).history();
    let ops = all(root, "svg.kvstore .history-lanes .op");
    assert_eq!(ops.len(), history.ops.len(), "{at}: operations drawn");
    let pending = history.ops.iter().filter(|o| o.complete.is_none()).count();
    assert_eq!(
        all(root, "svg.kvstore .history-lanes .op.pending").len(),
        pending,
        "{at}: pending operations"
    );
    // A broken session guarantee is marked at a read.
    let now = sim.time();
    let broken = checker(l)
        .observations()
        .iter()
        .filter(|o| o.time <= now)
        .filter(|o| o.property == READ_YOUR_WRITES || o.property == MONOTONIC_READS)
        .count()
        + l.timeline
            .violations()
            .filter(|v| v.time <= now)
            .filter(|v| v.property == READ_YOUR_WRITES || v.property == MONOTONIC_READS)
            .count();
    let marked = all(
        root,
        "svg.kvstore .history-lanes .op.observed, svg.kvstore .history-lanes .op.violated",
    );
    if broken > 0 {
        assert!(
            !marked.is_empty(),
            "{at}: {broken} broken reads, none marked"
        );
    } else {
        assert!(
            marked.is_empty(),
            "{at}: a read marked stale with nothing broken"
        );
    }
    for m in &marked {
        assert!(m.class_list().contains("read"), "{at}: a marked write");
        assert!(
            m.text_content().unwrap_or_default().contains("⚠ stale"),
            "{at}: a mark without words"
        );
    }
}

#[wasm_bindgen_test]
async fn every_builtin_draws_its_partitions_and_history_mid_run_and_at_the_end() {
    let mut lanes_seen = 0;
    for b in <Kvstore as Algorithm>::BUILTINS {
        let end = run_of(b.id, None).timeline.pos();
        for step in [end / 2, end] {
            let l = run_of(b.id, Some(step));
            let (root, handle) = open(&format!("scenario={}&step={step}", b.id)).await;
            no_banner(&root);
            check_drawn(&root, &l, &format!("{} at step {step}", b.id));
            lanes_seen += all(&root, "svg.kvstore .history-lanes .lane").len();
            handle.destroy();
            root.remove();
        }
    }
    assert!(lanes_seen > 0);
}

#[wasm_bindgen_test]
async fn a_stale_read_is_marked_where_a_scenario_breaks_a_guarantee() {
    // At least one built-in shows a stale read at its end (an observation or, where the
    // mode promises the guarantee, a violation), and the view marks it.
    let mut any = false;
    for b in <Kvstore as Algorithm>::BUILTINS {
        let l = run_of(b.id, None);
        let end = l.timeline.pos();
        let (root, handle) = open(&format!("scenario={}&step={end}", b.id)).await;
        any |= !all(
            &root,
            "svg.kvstore .history-lanes .op.observed, svg.kvstore .history-lanes .op.violated",
        )
        .is_empty();
        handle.destroy();
        root.remove();
    }
    assert!(any, "no built-in scenario shows a stale read");
}

#[wasm_bindgen_test]
async fn the_panel_writes_from_a_client_and_crashes_a_leader() {
    let (root, handle) = open("scenario=kv-async-failover&step=0").await;
    no_banner(&root);
    let before = all(&root, "svg.kvstore .history-lanes .op").len();
    button(&root, "Write").click();
    settle().await;
    let after = all(&root, "svg.kvstore .history-lanes .op").len();
    assert_eq!(after, before + 1, "the write is in the history, pending");
    assert!(!all(&root, "svg.kvstore .history-lanes .op.write.pending").is_empty());
    let crash = button(&root, "Crash leader");
    assert!(crash.title().contains("fails p0 over"), "{}", crash.title());
    crash.click();
    settle().await;
    assert!(!all(&root, "svg.kvstore .chip.leader.down").is_empty());
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
fn parameters_by_name_and_refusals() {
    let p = Params {
        replication: Replication::Leaderless,
        ..Params::default()
    };
    let mut texts: Vec<String> = FIELDS.iter().map(|f| (f.3)(&p).to_string()).collect();
    texts.push(String::new());
    texts.push("leader, n2".into());
    let next = apply_fields(&p, &texts).unwrap();
    assert_eq!(next.pin, vec!["leader".to_string(), "n2".to_string()]);
    // W above N: refused, the field named as the core names it.
    let w = FIELDS.iter().position(|f| f.0 == "w").unwrap();
    let mut bad = texts.clone();
    bad[w] = "4".into();
    let e = apply_fields(&p, &bad).unwrap_err();
    assert!(e.contains('w') && e.ends_with("nothing was changed"), "{e}");
    let mut bad = texts.clone();
    bad[0] = "x".into();
    let e = apply_fields(&p, &bad).unwrap_err();
    assert!(e.starts_with("servers must be a whole number"), "{e}");
    let _ = Kvstore::new(next).unwrap();
}
