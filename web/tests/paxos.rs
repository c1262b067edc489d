//! The Paxos page in a real browser, as a person sees it: a chosen value is marked chosen
//! and names the step at which it became chosen (and goes there on a click); a value
//! accepted by a minority is not; a late proposer says which value it is bound to and who
//! reported it; the unsafe proposer says what it ignored; dueling proposers show a
//! livelock as a liveness observation, not a violation; the panel proposes values, runs
//! phase 1, turns back-off on and off, and changes the parameters by their names (a refused
//! value keeps the page).

use dsplay_core::algo::paxos::Paxos;
use dsplay_core::session::Loaded;
use dsplay_web::views::paxos::{apply_fields, check_value, PaxosPage, FIELDS};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::{all, no_banner, settle, text};

async fn open(
    query: &str,
) -> (
    Element,
    yew::AppHandle<dsplay_web::page::Playground<PaxosPage>>,
) {
    common::open::<PaxosPage>(query).await
}

/// The panel's button whose text starts with `label`.
fn button(root: &Element, label: &str) -> HtmlElement {
    common::button_in(root, ".paxos-panel button", label)
}

fn q(root: &Element, sel: &str) -> Option<Element> {
    root.query_selector(sel).unwrap()
}

fn clock(root: &Element) -> String {
    text(root, ".control-bar .clock")
}

async fn click(el: &HtmlElement) {
    el.click();
    settle().await;
}

/// A built-in scenario run to its end, natively in this test.
fn run_of(id: &str) -> Loaded<Paxos> {
    let mut l = Loaded::<Paxos>::parse(dsplay_core::catalog::builtin(id).unwrap().json).unwrap();
    l.run_to(None, None);
    l
}

#[wasm_bindgen_test]
async fn a_chosen_value_is_marked_chosen_and_names_its_step() {
    let l = run_of("paxos-happy");
    let end = l.timeline.pos();
    let chosen = l
        .timeline
        .sim()
        .checker()
        .unwrap()
        .chosen(1)
        .unwrap()
        .clone();
    let step = chosen.step + 1;
    let (root, handle) = open(&format!("scenario=paxos-happy&step={end}")).await;
    no_banner(&root);
    // The status line and the chosen row name the value and the step.
    let status = text(&root, ".paxos .cluster-status");
    assert_eq!(status, format!("'x' chosen at step {step}"));
    let mark = text(&root, ".paxos .chosen-mark");
    assert!(
        mark.contains("'x'") && mark.contains(&format!("step {step}")) && mark.contains('✓'),
        "the chosen row reads {mark}"
    );
    // Every acceptor accepted 'x' in the ballot that was chosen: solid cells with ✓.
    let cells = all(&root, ".paxos .accepted.chosen");
    assert_eq!(cells.len(), 3, "three acceptors accepted 'x' in 1.n1");
    for c in &cells {
        let t = c.text_content().unwrap_or_default();
        assert!(t.contains("✓ 'x'") && t.contains("chosen"), "{t}");
    }
    assert!(all(&root, ".paxos .accepted.minority").is_empty());
    // The learner learned and applied it.
    let learned = text(&root, ".paxos .learned");
    assert!(
        learned.contains("'x'") && learned.contains("applied"),
        "{learned}"
    );

    // A click on the chosen mark goes to the step where it became chosen.
    let mark = q(&root, ".paxos .chosen-mark").unwrap();
    mark.dispatch_event(&web_sys::MouseEvent::new("click").unwrap())
        .unwrap();
    settle().await;
    assert!(
        clock(&root).starts_with(&format!("step {step} / ")),
        "the clock reads {}",
        clock(&root)
    );
    // One step earlier nothing is chosen yet, though two acceptors have accepted 'x'.
    handle.destroy();
    root.remove();
    let (root, handle) = open(&format!("scenario=paxos-happy&step={}", step - 1)).await;
    assert_eq!(text(&root, ".paxos .cluster-status"), "nothing chosen yet");
    assert!(text(&root, ".paxos .chosen-row").contains("not chosen"));
    assert!(all(&root, ".paxos .accepted.chosen").is_empty());
    assert!(!all(&root, ".paxos .accepted.minority").is_empty());
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_value_accepted_by_a_minority_is_not_chosen() {
    // The first step at which an acceptor holds 'x' while nothing is chosen.
    let mut l = run_of("paxos-minority-accepted");
    let end = l.timeline.pos();
    let mut at = None;
    for k in 1..=end {
        l.timeline.seek(k);
        let sim = l.timeline.sim();
        let holds_x = sim.proto().acceptor_ids().into_iter().any(|a| {
            sim.node(a)
                .accepted(1)
                .is_some_and(|acc| acc.value.show() == "'x'")
        });
        if holds_x && sim.checker().unwrap().chosen(1).is_none() {
            at = Some(k);
            break;
        }
    }
    let at = at.expect("n3 accepts 'x' before anything is chosen");
    let (root, handle) = open(&format!("scenario=paxos-minority-accepted&step={at}")).await;
    no_banner(&root);
    let minority = all(&root, ".paxos .accepted.minority");
    assert_eq!(minority.len(), 1, "one acceptor holds 'x'");
    let t = minority[0].text_content().unwrap_or_default();
    assert!(
        t.contains("'x'") && t.contains("minority 1/2") && !t.contains('✓'),
        "the cell reads {t}"
    );
    let title = minority[0]
        .query_selector("title")
        .unwrap()
        .and_then(|e| e.text_content())
        .unwrap_or_default();
    assert!(
        title.contains("minority") && title.contains("not chosen"),
        "{title}"
    );
    assert!(all(&root, ".paxos .accepted.chosen").is_empty());
    assert!(text(&root, ".paxos .chosen-row").contains("not chosen"));
    handle.destroy();
    root.remove();

    // At the end 'y' is chosen, and n3's 'x' was replaced by 'y'.
    let (root, handle) = open(&format!("scenario=paxos-minority-accepted&step={end}")).await;
    assert!(text(&root, ".paxos .cluster-status").starts_with("'y' chosen at step "));
    for c in all(&root, ".paxos .accepted") {
        assert!(!c.text_content().unwrap_or_default().contains("'x'"));
    }
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_late_proposer_says_what_it_is_bound_to_and_why() {
    // The first step at which n2 is in phase 2 with a value adopted.
    let mut l = run_of("paxos-late-proposer");
    let end = l.timeline.pos();
    let at = (1..=end)
        .find(|&k| {
            l.timeline.seek(k);
            let n2 = l.timeline.sim().node(dsplay_core::NodeId(1));
            n2.mem.proposer.as_ref().is_some_and(|p| {
                p.phase == dsplay_core::algo::paxos::Phase::Accepting && !p.adopted.is_empty()
            })
        })
        .expect("n2 adopts 'x'");
    let (root, handle) = open(&format!("scenario=paxos-late-proposer&step={at}")).await;
    no_banner(&root);
    let box_text = text(&root, ".paxos .proposers-box");
    assert!(
        box_text.contains("bound to 'x'")
            && box_text.contains("n4 reported 1.n1 = 'x'")
            && box_text.contains("the highest")
            && box_text.contains("not its own 'y'"),
        "the proposers' box reads {box_text}"
    );
    assert!(
        box_text.contains("n2: phase 2 · 1.n2 · promises 2/2"),
        "{box_text}"
    );
    handle.destroy();
    root.remove();
    // Once done, it still says why it proposed 'x'.
    let (root, handle) = open(&format!("scenario=paxos-late-proposer&step={end}")).await;
    let box_text = text(&root, ".paxos .proposers-box");
    assert!(
        box_text.contains("sees 'x' chosen in 1.n2; it was bound to it: n4 reported 1.n1"),
        "{box_text}"
    );
    handle.destroy();
    root.remove();

    // The unsafe proposer says what it ignored, in the violation's words.
    let l = run_of("paxos-unsafe-ignore-promises");
    let (root, handle) = open(&format!(
        "scenario=paxos-unsafe-ignore-promises&step={}",
        l.timeline.pos()
    ))
    .await;
    let box_text = text(&root, ".paxos .proposers-box");
    assert!(
        box_text.contains("UNSAFE: ignored 'x' reported by n4 (1.n1); sees 'y' chosen in 1.n2"),
        "{box_text}"
    );
    assert!(text(&root, ".paxos .unsafe-flag").contains("ignores reported values"));
    let conflict = text(&root, ".paxos .chosen-mark.conflict");
    assert!(
        conflict.contains("2 values"),
        "the chosen row reads {conflict}"
    );
    let status = text(&root, ".paxos .cluster-status");
    assert!(
        status.starts_with("✗ 'x' chosen at step ") && status.contains(", then 'y' at step "),
        "{status}"
    );
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn dueling_proposers_show_a_livelock_not_a_violation() {
    // The first step the checker sees a livelock.
    let mut l = run_of("paxos-dueling");
    let end = l.timeline.pos();
    let at = (1..=end)
        .find(|&k| {
            l.timeline.seek(k);
            l.timeline.sim().checker().unwrap().livelock().is_some()
        })
        .expect("the dueling scenario livelocks");
    let (root, handle) = open(&format!("scenario=paxos-dueling&step={at}")).await;
    no_banner(&root);
    let badge = text(&root, ".paxos .livelock");
    assert!(
        badge.contains("Livelock") && badge.contains("liveness, not safety"),
        "{badge}"
    );
    let note = text(&root, ".paxos-panel .livelock-note");
    assert!(
        note.contains("back-off is off on n1, n2") && note.contains("turn back-off on"),
        "{note}"
    );
    // No property is violated.
    assert!(
        !text(&root, ".side-panel").contains("violated"),
        "a livelock is not a violation"
    );
    // Back-off on for both: the panel's toggles say so, and the badge says what it does.
    click(&button(&root, "Back-off on for all")).await;
    no_banner(&root);
    for name in ["n1", "n2"] {
        let toggle = all(&root, ".paxos-panel .proposer-row")
            .into_iter()
            .find(|r| r.text_content().unwrap_or_default().starts_with(name))
            .and_then(|r| r.query_selector("button.toggle").unwrap())
            .unwrap();
        assert_eq!(
            toggle.get_attribute("aria-pressed").as_deref(),
            Some("true")
        );
        assert_eq!(toggle.text_content().unwrap_or_default(), "Back-off on");
    }
    handle.destroy();
    root.remove();

    // At the end, with back-off turned on by the script, 'x' is chosen and the badge is gone.
    let (root, handle) = open(&format!("scenario=paxos-dueling&step={end}")).await;
    assert!(q(&root, ".paxos .livelock").is_none());
    assert!(text(&root, ".paxos .cluster-status").starts_with("'x' chosen at step "));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_panel_proposes_prepares_and_toggles_back_off() {
    let (root, handle) = open("scenario=paxos-happy&step=0").await;
    // Propose 'v' at n2 through the form.
    let input: HtmlInputElement = q(&root, "input[aria-label='Value to propose']")
        .unwrap()
        .dyn_into()
        .unwrap();
    input.set_value("v");
    input
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    let select: web_sys::HtmlSelectElement = q(&root, "select[aria-label='Proposer']")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(select.length(), 2, "the proposers n1, n2");
    select.set_value("1");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    settle().await;
    let submit: HtmlElement = q(&root, ".propose-form button[type='submit']")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(submit
        .get_attribute("title")
        .unwrap()
        .contains("asks n2 to propose 'v'"));
    click(&submit).await;
    no_banner(&root);
    assert!(
        q(&root, ".app-header button[title^='Undo']").is_some(),
        "the action is the person's"
    );
    // Prepare now at n1: it runs phase 1 with a ballot of its own.
    click(&button(&root, "Prepare now (n1)")).await;
    no_banner(&root);
    // Step on: n1's phase 1 is under way.
    for _ in 0..2 {
        let fwd: HtmlElement = q(&root, "button[aria-label='Step forward']")
            .unwrap()
            .dyn_into()
            .unwrap();
        click(&fwd).await;
    }
    assert!(
        text(&root, ".paxos .proposers-box").contains("n1: phase 1 · 1.n1"),
        "{}",
        text(&root, ".paxos .proposers-box")
    );
    // Back-off off at n1.
    let row = all(&root, ".paxos-panel .proposer-row")
        .into_iter()
        .find(|r| r.text_content().unwrap_or_default().starts_with("n1"))
        .unwrap();
    let toggle: HtmlElement = row
        .query_selector("button.toggle")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(toggle.text_content().unwrap_or_default(), "Back-off on");
    click(&toggle).await;
    let fwd: HtmlElement = q(&root, "button[aria-label='Step forward']")
        .unwrap()
        .dyn_into()
        .unwrap();
    click(&fwd).await;
    assert!(text(&root, ".paxos .proposers-box").contains("back-off off"));
    // An empty value is refused before it is sent, and the button says why.
    input.set_value("  ");
    input
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    settle().await;
    let submit = q(&root, ".propose-form button[type='submit']").unwrap();
    assert!(submit.has_attribute("disabled"));
    assert!(submit
        .get_attribute("title")
        .unwrap()
        .contains("type a value"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn parameters_by_their_names_and_a_refusal_keeps_the_page() {
    let (root, handle) = open("scenario=paxos-happy&step=10").await;
    let field = |key: &str| -> HtmlInputElement {
        q(&root, &format!(".paxos-params input[aria-label='{key}']"))
            .unwrap_or_else(|| panic!("no field {key}"))
            .dyn_into()
            .unwrap()
    };
    // Every numeric parameter has a field named as in the scenario file.
    for (key, ..) in FIELDS {
        field(key);
    }
    for key in [
        "multi",
        "leader_election",
        "backoff",
        "colocated",
        "unsafe_forget_promise",
        "unsafe_ignore_promises",
    ] {
        assert!(
            all(&root, ".paxos-panel .options label")
                .iter()
                .any(|l| l.text_content().unwrap_or_default() == key),
            "no option {key}"
        );
    }
    let acceptor_rows = || all(&root, ".paxos .acceptor-row").len();
    assert_eq!(acceptor_rows(), 3);
    // leader_election is for Multi-Paxos: disabled, and it says why.
    let le = all(&root, ".paxos-panel .options label")
        .into_iter()
        .find(|l| l.text_content().unwrap_or_default() == "leader_election")
        .unwrap();
    assert!(le
        .get_attribute("title")
        .unwrap()
        .contains("turn multi on first"));
    assert!(le
        .query_selector("input")
        .unwrap()
        .unwrap()
        .has_attribute("disabled"));

    // 10 acceptors: refused by name, nothing changes.
    let set = |key: &str, v: &str| {
        let el = field(key);
        el.set_value(v);
        el.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
    };
    set("acceptors", "10");
    settle().await;
    let apply = button(&root, "Apply");
    click(&apply).await;
    let err = text(&root, ".paxos-panel .form-error");
    assert!(
        err.contains("acceptors") && err.contains("3 to 9") && err.contains("`10`"),
        "{err}"
    );
    assert_eq!(acceptor_rows(), 3, "the page keeps its state");
    assert!(clock(&root).starts_with("step 10 / "), "{}", clock(&root));

    // 5 acceptors: the run starts again with them, at the same step.
    set("acceptors", "5");
    settle().await;
    click(&button(&root, "Apply")).await;
    no_banner(&root);
    assert_eq!(acceptor_rows(), 5);
    assert!(q(&root, ".paxos-panel .form-error").is_none());
    assert!(clock(&root).starts_with("step 10 / "), "{}", clock(&root));

    // multi: the grid becomes a log of slots.
    let multi: HtmlElement = all(&root, ".paxos-panel .options label")
        .into_iter()
        .find(|l| l.text_content().unwrap_or_default() == "multi")
        .and_then(|l| l.query_selector("input").unwrap())
        .unwrap()
        .dyn_into()
        .unwrap();
    click(&multi).await;
    no_banner(&root);
    assert!(text(&root, ".paxos .flags").contains("Multi-Paxos"));
    assert!(text(&root, ".paxos .slot-grid").contains("slot 1"));
    assert_eq!(acceptor_rows(), 5, "the acceptors are kept");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
fn fields_and_values_are_checked() {
    let p = dsplay_core::algo::paxos::Params::default();
    let texts = |acceptors: &str, hb: &str| -> Vec<String> {
        FIELDS
            .iter()
            .map(|(key, _, _, get, _, _)| match *key {
                "acceptors" => acceptors.to_string(),
                "heartbeat_interval" => hb.to_string(),
                _ => get(&p).to_string(),
            })
            .collect()
    };
    assert_eq!(apply_fields(&p, &texts("5", "50")).unwrap().acceptors, 5);
    assert!(apply_fields(&p, &texts("2", "50"))
        .unwrap_err()
        .starts_with("acceptors must be"));
    // The core's own check across fields, named by the core.
    let multi = dsplay_core::algo::paxos::Params {
        multi: true,
        ..p.clone()
    };
    let e = apply_fields(&multi, &texts("3", "300")).unwrap_err();
    assert!(e.starts_with("heartbeat_interval"), "{e}");
    assert!(check_value("x").is_ok());
    assert!(check_value(" ").is_err());
    assert!(check_value("12345678901234567").is_err());
}
