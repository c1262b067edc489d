//! The key-value store page in a real browser, as a person sees it: for every built-in
//! scenario, mid-run and at the end, the partition table has one row per partition of the
//! configuration node's table with one chip per replica and the leader marked, the history
//! lanes hold every operation of the checker's history (pending ones drawn pending), and a
//! broken session guarantee is marked at its read; the panel's client write adds an
//! operation, crashing a leader crashes it, and a refused parameter names its field.

use dsplay_core::algo::kvstore::{KvChecker, Kvstore, Node, Params, Replication};
use dsplay_core::session::{Loaded, Session};
use dsplay_core::{Algorithm, NodeStatus, Protocol};
use dsplay_web::views::kvstore::{apply_fields, lag_of, KvstorePage, FIELDS};
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::{all, no_banner, settle};

async fn open(
    query: &str,
) -> (
    Element,
    yew::AppHandle<dsplay_web::page::Playground<KvstorePage>>,
) {
    common::open::<KvstorePage>(query).await
}

/// The panel's button whose text starts with `label`.
fn button(root: &Element, label: &str) -> HtmlElement {
    common::button_in(root, ".kvstore-panel button", label)
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
    // Hints a sloppy quorum left with substitutes are counted in the right column.
    let hints: usize = (0..proto.server_total())
        .filter_map(|i| sim.node(dsplay_core::NodeId(i)).server())
        .map(|s| s.disk.hints.len())
        .sum();
    let said = root.text_content().unwrap_or_default();
    assert_eq!(
        said.contains(&format!("Hints ({hints})")),
        hints > 0,
        "{at}: {hints} hints held"
    );
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
    // Stale reads are marked at their reads, lost writes at their writes: exactly the
    // operations the checker names up to now.
    let now = sim.time();
    let c = checker(l);
    let stale: Vec<usize> = c
        .stale_reads()
        .iter()
        .filter(|r| r.time <= now)
        .map(|r| r.op)
        .collect();
    let lost: Vec<usize> = c
        .lost_writes()
        .iter()
        .filter(|w| w.time <= now)
        .map(|w| w.op)
        .collect();
    let mut want: Vec<usize> = stale.iter().chain(&lost).copied().collect();
    want.sort_unstable();
    want.dedup();
    assert_eq!(marked_ops(root), want, "{at}: marked operations");
    for m in all(
        root,
        "svg.kvstore .history-lanes .op.observed, svg.kvstore .history-lanes .op.violated",
    ) {
        let words = m.text_content().unwrap_or_default();
        if m.class_list().contains("read") {
            assert!(
                words.contains("⚠ stale"),
                "{at}: a stale read without words"
            );
        } else {
            assert!(words.contains("⚠ lost"), "{at}: a lost write without words");
        }
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

/// The operations the view marks, by `data-op`, sorted.
fn marked_ops(root: &Element) -> Vec<usize> {
    let mut ops: Vec<usize> = all(
        root,
        "svg.kvstore .history-lanes .op.observed, svg.kvstore .history-lanes .op.violated",
    )
    .iter()
    .map(|e| e.get_attribute("data-op").unwrap().parse().unwrap())
    .collect();
    ops.sort_unstable();
    ops
}

#[wasm_bindgen_test]
async fn stale_reads_and_lost_writes_are_marked_at_the_operations_the_checker_names() {
    // Every built-in at its end: the marked operations are exactly the stale reads and
    // lost writes the checker recorded.
    let mut stale_seen = 0;
    for b in <Kvstore as Algorithm>::BUILTINS {
        let l = run_of(b.id, None);
        let c = checker(&l);
        let mut want: Vec<usize> = c.stale_reads().iter().map(|r| r.op).collect();
        want.extend(c.lost_writes().iter().map(|w| w.op));
        want.sort_unstable();
        want.dedup();
        stale_seen += c.stale_reads().len();
        let end = l.timeline.pos();
        let (root, handle) = open(&format!("scenario={}&step={end}", b.id)).await;
        assert_eq!(marked_ops(&root), want, "{}", b.id);
        handle.destroy();
        root.remove();
    }
    assert!(stale_seen > 0, "no built-in scenario has a stale read");
    // Asynchronous failover: the two acknowledged writes the new leader lacks are marked
    // lost (violations), and the title counts them; before the failover nothing is.
    let l = run_of("kv-async-failover", None);
    let lost: Vec<usize> = checker(&l).lost_writes().iter().map(|w| w.op).collect();
    assert_eq!(lost.len(), 2);
    let end = l.timeline.pos();
    let (root, handle) = open(&format!("scenario=kv-async-failover&step={end}")).await;
    for op in &lost {
        let e = all(
            &root,
            &format!("svg.kvstore .history-lanes .op[data-op=\"{op}\"]"),
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].class_list().contains("violated"), "op {op}");
        assert!(e[0].text_content().unwrap_or_default().contains("⚠ lost"));
    }
    let title = all(&root, "svg.kvstore .history-title")[0]
        .text_content()
        .unwrap();
    assert!(title.ends_with("2 acknowledged writes lost"), "{title}");
    handle.destroy();
    root.remove();
    let (root, handle) = open("scenario=kv-async-failover&step=20").await;
    assert!(marked_ops(&root).is_empty());
    handle.destroy();
    root.remove();
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

#[wasm_bindgen_test]
async fn a_sloppy_quorums_hints_are_listed_until_handed_over() {
    // The first step at which a substitute holds a hint, found by running the scenario.
    let hints_at = |l: &Loaded<Kvstore>| -> Vec<(String, String)> {
        let sim = l.timeline.sim();
        let names = l.names();
        (0..sim.proto().server_total())
            .filter_map(|i| {
                let n = dsplay_core::NodeId(i);
                sim.node(n).server().map(|s| (n, s))
            })
            .flat_map(|(n, s)| {
                s.disk
                    .hints
                    .iter()
                    .map(move |h| (names[n.index()].clone(), names[h.for_node.index()].clone()))
            })
            .collect()
    };
    let mut l = run_of("kv-sloppy-quorum", Some(0));
    let mut step = 0;
    while hints_at(&l).is_empty() {
        assert!(l.step_forward(), "the scenario ended with no hint held");
        step += 1;
    }
    let held = hints_at(&l);
    let (root, handle) = open(&format!("scenario=kv-sloppy-quorum&step={step}")).await;
    let said = root.text_content().unwrap_or_default();
    assert!(said.contains(&format!("Hints ({})", held.len())), "{said}");
    let (by, to) = &held[0];
    assert!(
        said.contains(&format!("{by} keeps k")) && said.contains(&format!(" for {to}")),
        "{said}"
    );
    handle.destroy();
    root.remove();
    // At the end every hint has been handed over.
    let l = run_of("kv-sloppy-quorum", None);
    assert!(hints_at(&l).is_empty());
    let end = l.timeline.pos();
    let (root, handle) = open(&format!("scenario=kv-sloppy-quorum&step={end}")).await;
    assert!(!root.text_content().unwrap_or_default().contains("Hints ("));
    handle.destroy();
    root.remove();
}
