//! Links to far steps: bounded by the run's own limit, computed in slices that keep the
//! page answering, with progress, Stop, and a clear word when the step is past the end.

use dsplay_core::algo::messaging::Messaging;
use dsplay_core::algo::raft::Raft;
use dsplay_core::session::Session;
use dsplay_web::page::mount;
use dsplay_web::store::{Msg, ShellMsg, State, LINK_MAX_STEPS};
use dsplay_web::url::UrlState;
use dsplay_web::views::raft::RaftPage;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

fn open<P: dsplay_core::Algorithm>(query: &str) -> Rc<State<P>> {
    let (url, problems) = UrlState::parse(query);
    Rc::new(State::<P>::from_url(&url, problems))
}

/// The first Raft scenario with a longer run: a link far into it needs slices.
fn long_raft(steps: u64) -> String {
    let json = dsplay_core::catalog::builtin("raft-first-election")
        .unwrap()
        .json;
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["run"] = serde_json::json!({ "steps": steps });
    v.to_string()
}

fn link(custom: &str, step: u64) -> String {
    UrlState {
        custom: Some(custom.to_string()),
        step: Some(step),
        ..UrlState::default()
    }
    .to_query()
}

/// Slices until the seek is over (at most `max` of them); the progress seen on the way.
fn finish<P: dsplay_core::Algorithm>(mut st: Rc<State<P>>, max: usize) -> (Rc<State<P>>, Vec<u64>) {
    let mut seen = Vec::new();
    for _ in 0..max {
        let Some(seek) = st.seek else {
            return (st, seen);
        };
        seen.push(seek.reached);
        st = st.reduce(Msg::Shell(ShellMsg::SeekSlice));
    }
    panic!("the seek did not end in {max} slices: {:?}", st.seek);
}

#[wasm_bindgen_test]
fn the_issue_link_goes_to_the_end_of_the_run_at_once_and_says_so() {
    let st = open::<Raft>("scenario=raft-first-election&step=99999999999");
    assert!(st.seek.is_none(), "nothing left to compute: {:?}", st.seek);
    let s = st.run.borrow();
    assert_eq!(s.pos(), 2000, "the scenario's run.steps");
    let err = st.ui.error.clone().unwrap_or_default();
    assert!(
        err.contains("step 99999999999 is past the end of the run")
            && err.contains("runs 2000 steps")
            && err.contains("showing step 2000"),
        "{err}"
    );
}

#[wasm_bindgen_test]
fn a_step_after_the_run_ended_names_where_it_ended() {
    let st = open::<Messaging>("scenario=messaging-normal&step=150");
    let pos = st.run.borrow().pos();
    assert!(pos < 150 && st.run.borrow().ended(), "at {pos}");
    let err = st.ui.error.clone().unwrap_or_default();
    assert!(
        err.contains(&format!(
            "step 150 is past the end of the run: the run ends at step {pos}; showing step {pos}"
        )),
        "{err}"
    );
    // Within the run: no word about it.
    let st = open::<Messaging>(&format!("scenario=messaging-normal&step={pos}"));
    assert!(st.ui.error.is_none(), "{:?}", st.ui.error);
}

#[wasm_bindgen_test]
fn a_link_cannot_ask_for_more_than_the_page_computes() {
    let st = open::<Raft>(&link(&long_raft(2 * LINK_MAX_STEPS), u64::MAX));
    assert_eq!(st.seek.map(|s| s.target), Some(LINK_MAX_STEPS));
    let st = st.reduce(Msg::Shell(ShellMsg::StopSeek));
    assert!(st.seek.is_none());
}

#[wasm_bindgen_test]
fn a_far_step_is_computed_in_slices_and_the_address_keeps_it() {
    let st = open::<Raft>(&link(&long_raft(30_000), 30_000));
    let seek = st.seek.expect("30,000 Raft steps are more than one slice");
    assert_eq!(seek.target, 30_000);
    assert!(st.ui.error.is_none(), "{:?}", st.ui.error);
    assert_eq!(st.ui.seeking, Some(30_000));
    assert_eq!(
        st.to_url().step,
        Some(30_000),
        "the address keeps the step asked"
    );
    let version = st.run.version();
    let (st, seen) = finish(st, 10_000);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "every slice gets further: {seen:?}"
    );
    assert!(seen.len() >= 2, "{seen:?}");
    assert_eq!(st.run.borrow().pos(), 30_000);
    assert_eq!(st.to_url().step, Some(30_000));
    assert!(st.ui.seeking.is_none());
    assert!(st.ui.error.is_none(), "{:?}", st.ui.error);
    assert!(
        st.run.version() > version,
        "the page draws the step reached"
    );
    assert_eq!(st.clock.at, st.run.borrow().time() as f64);
}

#[wasm_bindgen_test]
fn stop_and_keys_end_a_long_seek_where_it_got_to() {
    let st = open::<Raft>(&link(&long_raft(40_000), 40_000));
    let st = st.reduce(Msg::Shell(ShellMsg::SeekSlice));
    let reached = st.seek.expect("still computing").reached;
    // Looking around does not stop it.
    let st = st.reduce(Msg::Shell(ShellMsg::ToggleHelp));
    assert!(st.seek.is_some());
    let stopped = st.clone().reduce(Msg::Shell(ShellMsg::StopSeek));
    assert!(stopped.seek.is_none() && stopped.ui.seeking.is_none());
    assert_eq!(stopped.run.borrow().pos(), reached);
    assert_eq!(stopped.to_url().step, Some(reached));
    assert!(stopped.ui.error.is_none(), "Stop is not an error");
    // A step forward stops it and steps from there; Escape stops it too.
    let stepped = st.clone().reduce(Msg::Shell(ShellMsg::StepForward));
    assert!(stepped.seek.is_none());
    assert_eq!(stepped.run.borrow().pos(), reached + 1);
    let escaped = st.reduce(Msg::Shell(ShellMsg::Dismiss));
    assert!(escaped.seek.is_none() && !escaped.ui.help);
}

fn text(root: &web_sys::Element, selector: &str) -> Option<String> {
    root.query_selector(selector)
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
}

#[wasm_bindgen_test]
async fn the_page_shows_progress_and_reaches_the_step() {
    let root = gloo::utils::document().create_element("div").unwrap();
    gloo::utils::body().append_child(&root).unwrap();
    let handle = mount::<RaftPage>(root.clone(), &link(&long_raft(30_000), 30_000));
    yew::platform::time::sleep(Duration::from_millis(10)).await;
    let progress = text(&root, ".control-bar .seek-progress").unwrap_or_default();
    assert!(
        progress.contains("computing step") && progress.contains("of 30000"),
        "no progress shown: {progress:?}"
    );
    assert!(
        root.query_selector(".control-bar button[aria-label=\"Stop computing\"]")
            .unwrap()
            .is_some(),
        "no Stop button"
    );
    let mut clock = String::new();
    for _ in 0..600 {
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        clock = text(&root, ".control-bar .clock").unwrap_or_default();
        if clock.starts_with("step 30000 /") {
            break;
        }
    }
    assert!(clock.starts_with("step 30000 /"), "{clock}");
    assert!(root.query_selector(".seek-progress").unwrap().is_none());
    handle.destroy();
    root.remove();
}
