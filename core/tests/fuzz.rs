//! Fuzzing the scenario importer: generated scenario files (mutations of every built-in
//! scenario: wrong types, huge numbers, deep nesting, unknown fields, odd strings, cut-short
//! text, parts of other scenarios) go through `catalog::load`, as `dsplay run` and the
//! pages' Import read them; those that load are used as a page uses a run (computed ahead,
//! sought, acted on, shared actions set, saved and loaded again).
//!
//! Each input must end without a panic within a generous time, and a refused one must say
//! what is wrong. The normal test run makes 2,000 inputs; the full run makes 100,000 and
//! prints the count and the time:
//!
//! ```text
//! cargo test -p dsplay-core --release --test fuzz -- --ignored --nocapture
//! DSPLAY_FUZZ_SEED=7 DSPLAY_FUZZ_ERRORS=1 cargo test ...   # another seed; the errors seen
//! ```

mod fuzzgen;

use dsplay_core::catalog;
use dsplay_core::scenario::ScenarioError;
use dsplay_core::session::Runner;
use fuzzgen::{action_examples, fuzz, json_input, user_actions, Rng, Tally};
use serde_json::Value;
use std::time::Duration;

/// Inputs in the normal test run, and in the full one.
const SMOKE: u64 = 2_000;
const FULL: u64 = 100_000;
/// The most one input may take (it is a few milliseconds in a release build).
const LIMIT: Duration = Duration::from_secs(30);
/// Steps a loaded scenario is run ahead, at most (the page computes up to 5,000).
const AHEAD: u64 = 400;
/// The longest error message that still reads as one clear sentence.
pub const MAX_ERROR_CHARS: usize = 400;

/// Every built-in scenario, as JSON values.
fn corpus() -> Vec<Value> {
    catalog::builtins()
        .map(|b| serde_json::from_str(b.json).expect("built-in scenarios are JSON"))
        .collect()
}

/// What a refused input must say: something, in a sentence, naming the field when it is
/// one field's fault.
pub fn assert_clear(e: &ScenarioError, input: &str) {
    let text = e.to_string();
    assert!(
        !e.message.trim().is_empty(),
        "an empty error for {}",
        short(input)
    );
    assert!(
        text.chars().count() <= MAX_ERROR_CHARS,
        "an error of {} characters: {}",
        text.chars().count(),
        short(&text)
    );
    assert!(
        !text.contains("panicked") && !text.contains("internal error"),
        "{text}"
    );
}

fn short(s: &str) -> String {
    let cut: String = s.chars().take(600).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// Use a loaded scenario as a page does: compute ahead, seek, look, act, take shared
/// actions, save and load again.
fn use_like_a_page(s: &mut dyn Runner, rng: &mut Rng, donors: &[Value]) {
    let ahead = s.run_bound().min(AHEAD);
    s.run(Some(ahead), None);
    let horizon = s.horizon();
    s.seek(rng.below(horizon as usize + 1) as u64);
    let pos = s.pos();
    let nodes = s.names().len() as u32;
    let _ = s.step_view(pos.saturating_sub(1));
    let _ = s.node_state(rng.below(nodes as usize + 1) as u32);
    let _ = s.node_state_before(rng.below(nodes as usize + 1) as u32);
    let _ = (
        s.in_flight(),
        s.network(),
        s.cut_links(),
        s.marks(),
        s.summary(),
    );
    let _ = (s.violations(), s.messages(), s.status(nodes), s.next_time());

    // An action now (as the fault palette or a view sends it), then a few more steps.
    let examples = action_examples();
    let action = json_input(rng, &examples, donors);
    if let Err(e) = s.apply_json(&action) {
        assert_clear(&e, &action);
    }
    s.run(Some(rng.below(40) as u64), None);
    s.step_back();

    // The actions of a link.
    let shared = user_actions(rng, donors);
    match s.set_user_actions_json(&shared) {
        Ok(()) => {
            let to = rng.below(AHEAD as usize) as u64;
            s.seek(to);
        }
        Err(e) => assert_clear(&e, &shared),
    }

    // What the page saves loads again, and the trace is JSON.
    let saved = s.scenario_json();
    if let Err(e) = catalog::load(&saved) {
        panic!(
            "a session's scenario file does not load again: {e}\n{}",
            short(&saved)
        );
    }
    let trace = s.trace_json();
    serde_json::from_str::<Value>(&trace).expect("a trace is JSON");
    let _ = s.trace_hash();
}

fn scenario_input(_: u64, rng: &mut Rng) -> String {
    let corpus = corpus();
    json_input(rng, &corpus, &donors(&corpus))
}

/// Parts to splice in: every scenario and every kind of action.
fn donors(corpus: &[Value]) -> Vec<Value> {
    let mut d = corpus.to_vec();
    d.extend(action_examples());
    d
}

// (The harness hands each input by reference: a `&String` here.)
#[allow(clippy::ptr_arg)]
fn check_scenario(text: &String, rng: &mut Rng, tally: &mut Tally) {
    match catalog::load(text) {
        Err(e) => {
            assert_clear(&e, text);
            tally.error(&e.to_string());
        }
        Ok(mut s) => {
            tally.taken += 1;
            let corpus = corpus();
            use_like_a_page(&mut *s, rng, &donors(&corpus));
        }
    }
}

#[test]
fn scenario_files() {
    fuzz("scenario", SMOKE, LIMIT, scenario_input, check_scenario);
}

#[test]
#[ignore = "the full run: 100,000 inputs (cargo test --release --test fuzz -- --ignored)"]
fn scenario_files_full() {
    fuzz("scenario", FULL, LIMIT, scenario_input, check_scenario);
}

/// Every built-in scenario loads unchanged (the corpus is sound).
#[test]
fn the_corpus_loads() {
    for text in corpus() {
        catalog::load(&text.to_string()).expect("built-in scenarios load");
    }
}

// Found by the fuzzing above: each case that failed, kept.

/// Errors quoted what a file said whole: a string of 60,000 characters where a network
/// was expected made an error of 60,000 characters. They are cut in the middle now.
#[test]
fn an_error_quotes_a_long_value_cut_short() {
    let long = "a".repeat(60_000);
    let text = format!(r#"{{"algorithm":"raft","network":"{long}"}}"#);
    let e = catalog::load(&text).err().expect("refused");
    assert_eq!(e.path, "network");
    let said = e.to_string();
    assert!(
        said.starts_with("network: invalid type: string \"aaaa")
            && said.contains("characters left out")
            && said.ends_with("expected an object (struct NetworkSpec)"),
        "{said}"
    );
    assert_clear(&e, &text);
    let e = catalog::load(&format!(r#"{{"algorithm":"{long}"}}"#))
        .err()
        .expect("refused");
    assert!(e.to_string().contains("(known: messaging"), "{e}");
    assert_clear(&e, &text);
}

/// Shared actions (a link's `actions`) were taken at any step, while a scenario file's
/// `at_step` is at most `MAX_STEPS`: the scenario file the page saves from such a session
/// did not load.
#[test]
fn shared_actions_past_the_step_limit_are_refused() {
    let b = catalog::builtin("raft-partition").expect("a built-in");
    let mut s = catalog::load(b.json).expect("it loads");
    let far = r#"[{"step":9223372036854775807,"action":"heal"}]"#;
    let e = s.set_user_actions_json(far).expect_err("refused");
    assert_eq!(e.path, "actions[0].step");
    assert_eq!(
        e.message,
        "must be at most 10000000 (got 9223372036854775807)"
    );
    assert_eq!(s.user_actions_json(), "[]", "nothing was taken");
    let near = r#"[{"step":10000000,"action":"heal"}]"#;
    s.set_user_actions_json(near).expect("at the limit is fine");
    catalog::load(&s.scenario_json()).expect("and saves as a scenario that loads");
}
