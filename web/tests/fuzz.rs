//! Fuzzing the address: generated state parts of a page's address (`scenario`, `custom`,
//! `seed`, `step`, `actions`, `embed`; real values and mutations of them: scenario files
//! and action lists changed as core/tests/fuzz.rs changes them, numbers too large, bad
//! base64, unknown and repeated parameters, odd characters, cut-short text) go through
//! `UrlState::parse` and `State::from_url` of their page, as a link opens a page.
//!
//! Each one must open without a panic within a generous time (a long seek is stopped after
//! its first slice), show its problems in a banner of bounded length, and write an address
//! that reads back without a problem. The normal test run (in the browser) makes 1,000
//! inputs; the full run makes 100,000 natively and prints the count and the time:
//!
//! ```text
//! cargo test -p dsplay-web --release --test fuzz -- --ignored --nocapture
//! ```

#[path = "../../core/tests/fuzzgen/mod.rs"]
mod fuzzgen;

use dsplay_core::algo::{
    chord::Chord, hashring::Hashring, kvstore::Kvstore, locks::Locks, messaging::Messaging,
    paxos::Paxos, raft::Raft, transactions::Transactions,
};
use dsplay_core::catalog::{self, CATALOG};
use dsplay_core::session::Session;
use dsplay_core::Algorithm;
use dsplay_web::store::{Msg, ShellMsg, State};
use dsplay_web::url::{b64_encode, UrlState};
use fuzzgen::{input_seed, json_input, mutate_text, odd_string, user_actions, Rng};
use serde_json::Value;
use std::rc::Rc;
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

/// Inputs in the browser's normal test run, and in the full (native) one.
const SMOKE: u64 = 1_000;
const FULL: u64 = 100_000;
/// The most one input may take, in ms (a few ms in a release build).
const LIMIT_MS: f64 = 20_000.0;
/// The longest banner a link can make, in characters.
const MAX_BANNER: usize = 2_000;

/// An address's state part, for the page of the algorithm `page` (a catalogue index).
#[derive(Debug)]
struct Link {
    page: usize,
    query: String,
}

fn corpus() -> Vec<Value> {
    catalog::builtins()
        .map(|b| serde_json::from_str(b.json).expect("built-ins are JSON"))
        .collect()
}

/// The catalogue entries with a page (an algorithm may be in the core and the CLI first).
fn pages() -> Vec<usize> {
    (0..CATALOG.len()).filter(|&i| CATALOG[i].page).collect()
}

fn link_input(_: u64, rng: &mut Rng) -> Link {
    let pages = pages();
    let mut page = *rng.pick(&pages);
    let mut parts: Vec<(String, String)> = Vec::new();
    match rng.below(10) {
        // A built-in scenario of the page, or of another one.
        0..=5 => {
            let entry = &CATALOG[page];
            let id = if rng.chance(9, 10) {
                rng.pick(entry.builtins).id.to_string()
            } else if rng.chance(1, 2) {
                rng.pick(&catalog::builtins().collect::<Vec<_>>())
                    .id
                    .to_string()
            } else {
                odd_string(rng)
            };
            parts.push(("scenario".into(), id));
        }
        // A scenario of its own, changed.
        6..=8 => {
            let corpus = corpus();
            let text = json_input(rng, &corpus, &corpus);
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                if let Some(&i) = pages
                    .iter()
                    .find(|&&i| Some(CATALOG[i].name) == v["algorithm"].as_str())
                {
                    page = i;
                }
            }
            let value = if rng.chance(9, 10) {
                b64_encode(text.as_bytes())
            } else {
                mutate_text(rng, &b64_encode(text.as_bytes()))
            };
            parts.push(("custom".into(), value));
        }
        _ => {}
    }
    if rng.chance(1, 2) {
        parts.push(("seed".into(), number(rng)));
    }
    if rng.chance(3, 4) {
        let step = match rng.below(6) {
            0..=2 => rng.below(400).to_string(),
            3 => rng
                .pick(&[
                    "1999",
                    "2000",
                    "2001",
                    "3000",
                    "5000",
                    "5001",
                    "1000000",
                    "10000000",
                    "99999999999",
                ])
                .to_string(),
            _ => number(rng),
        };
        parts.push(("step".into(), step));
    }
    if rng.chance(1, 2) {
        let actions = user_actions(rng, &corpus());
        let value = match rng.below(8) {
            0 => mutate_text(rng, &b64_encode(actions.as_bytes())),
            1 => actions.clone(),
            _ => b64_encode(actions.as_bytes()),
        };
        parts.push(("actions".into(), value));
    }
    if rng.chance(1, 4) {
        let v = rng.pick(&["", "1", "true", "0", "yes"]).to_string();
        parts.push(("embed".into(), v));
    }
    for _ in 0..rng.below(3).saturating_sub(1) {
        let key = rng
            .pick(&[
                "scenario", "seed", "step", "actions", "custom", "embed", "zzz", "", "STEP",
            ])
            .to_string();
        parts.push((key, odd_string(rng)));
    }
    for i in (1..parts.len()).rev() {
        let j = rng.below(i + 1);
        parts.swap(i, j);
    }
    let mut query = parts
        .iter()
        .map(|(k, v)| {
            if v.is_empty() && rng.chance(1, 2) {
                k.clone()
            } else if rng.chance(1, 3) {
                format!("{k}={}", encode(v))
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    if rng.chance(1, 6) {
        query = mutate_text(rng, &query);
    }
    Link { page, query }
}

fn number(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => rng.u64().to_string(),
        1 => rng
            .pick(&["-1", "1e3", "", "18446744073709551616", "0x10", "٣", "1%20"])
            .to_string(),
        2 => odd_string(rng),
        _ => rng.below(100_000).to_string(),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Open `query` on page `P` and use it a little; returns the banner, if any.
fn open<P: Algorithm>(query: &str, rng: &mut Rng) -> Option<String> {
    let (url, problems) = UrlState::parse(query);
    for p in &problems {
        assert!(!p.trim().is_empty(), "an empty problem for {query:?}");
    }
    let st = Rc::new(State::<P>::from_url(&url, problems));
    let banner = st.ui.error.clone();
    if let Some(b) = &banner {
        assert!(
            b.chars().count() <= MAX_BANNER,
            "a banner of {} characters: {}",
            b.chars().count(),
            b.chars().take(500).collect::<String>()
        );
    }
    {
        let s = st.run.borrow();
        assert!(s.pos() <= s.horizon(), "at {} of {}", s.pos(), s.horizon());
    }
    // A long seek: its first slice ran; stop it there.
    let st = if st.seek.is_some() {
        st.reduce(Msg::Shell(ShellMsg::StopSeek))
    } else {
        st
    };
    assert!(st.seek.is_none() && st.ui.seeking.is_none());
    // The address the page writes reads back whole.
    let written = st.to_url().to_query();
    let (again, problems) = UrlState::parse(&written);
    assert!(
        problems.is_empty(),
        "{problems:?} in the address written: {written}"
    );
    if rng.chance(1, 8) {
        let back = State::<P>::from_url(&again, Vec::new());
        let back = if back.seek.is_some() {
            Rc::new(back).reduce(Msg::Shell(ShellMsg::StopSeek))
        } else {
            Rc::new(back)
        };
        assert!(back.ui.error.is_none(), "{:?} for {written}", back.ui.error);
        let (a, b) = (st.run.borrow(), back.run.borrow());
        assert_eq!(a.user_actions_json(), b.user_actions_json(), "{written}");
        if b.pos() == a.pos() {
            assert_eq!(a.trace_hash(), b.trace_hash(), "{written}");
        }
    }
    // A few moves.
    let mut st = st;
    for _ in 0..rng.below(4) {
        let m = match rng.below(5) {
            0 => ShellMsg::StepForward,
            1 => ShellMsg::StepBack,
            2 => ShellMsg::End,
            3 => ShellMsg::StepBy(-10),
            _ => ShellMsg::Seek(rng.below(300) as u64),
        };
        st = st.reduce(Msg::Shell(m));
    }
    banner
}

fn check(link: &Link, rng: &mut Rng) -> Option<String> {
    match CATALOG[link.page].name {
        "messaging" => open::<Messaging>(&link.query, rng),
        "hashring" => open::<Hashring>(&link.query, rng),
        "locks" => open::<Locks>(&link.query, rng),
        "transactions" => open::<Transactions>(&link.query, rng),
        "raft" => open::<Raft>(&link.query, rng),
        "paxos" => open::<Paxos>(&link.query, rng),
        "chord" => open::<Chord>(&link.query, rng),
        "kvstore" => open::<Kvstore>(&link.query, rng),
        other => panic!("a page without a case here: {other}"),
    }
}

/// Inputs `from..to` of the run seeded `seed`; returns how many opened without a banner.
fn run_inputs(seed: u64, from: u64, to: u64) -> u64 {
    let mut clean = 0;
    for i in from..to {
        let mut rng = Rng::new(input_seed(seed, i));
        let link = link_input(i, &mut rng);
        let t = dsplay_web::browser::now_ms();
        let banner = check(&link, &mut rng);
        let took = dsplay_web::browser::now_ms() - t;
        assert!(
            took <= LIMIT_MS,
            "input {i} (seed {seed}) took {took:.0} ms: {link:?}"
        );
        clean += u64::from(banner.is_none());
    }
    clean
}

/// In the browser: in batches, yielding between them so the page stays alive.
async fn in_the_browser(count: u64) {
    let seed = 0x5EED_F022;
    let start = dsplay_web::browser::now_ms();
    let mut clean = 0;
    let mut i = 0;
    while i < count {
        let to = (i + 25).min(count);
        clean += run_inputs(seed, i, to);
        i = to;
        yew::platform::time::sleep(std::time::Duration::from_millis(0)).await;
    }
    let secs = (dsplay_web::browser::now_ms() - start) / 1000.0;
    console_log!(
        "fuzz url: {count} inputs in {secs:.1} s (seed {seed}): {clean} opened without a banner"
    );
}

#[wasm_bindgen_test]
async fn links() {
    in_the_browser(SMOKE).await;
}

#[wasm_bindgen_test]
#[ignore = "the full run in the browser (WASM_BINDGEN_TEST_TIMEOUT=3600); natively: cargo test -p dsplay-web --release --test fuzz -- --ignored"]
async fn links_full_in_the_browser() {
    in_the_browser(FULL).await;
}

/// The full run, natively (the page's store and its address run outside a browser too).
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore = "the full run: 100,000 inputs (cargo test -p dsplay-web --release --test fuzz -- --ignored)"]
fn links_full() {
    fuzzgen::fuzz(
        "url",
        FULL,
        std::time::Duration::from_millis(LIMIT_MS as u64),
        link_input,
        |link, rng, tally| match check(link, rng) {
            Some(banner) => tally.error(&banner),
            None => tally.taken += 1,
        },
    );
}

// Found by the fuzzing above: each case that failed, kept.

/// An unknown parameter, a scenario id or a seed of 30,000 characters, and hundreds of
/// bad parameters, made a banner of that length: what the address said is quoted cut in
/// the middle, and five problems are listed.
#[wasm_bindgen_test]
fn a_banner_quotes_what_the_address_said_cut_short() {
    let long = "a".repeat(30_000);
    let many = (0..300)
        .map(|i| format!("p{i}=1"))
        .collect::<Vec<_>>()
        .join("&");
    for query in [
        format!("{long}=1"),
        format!("scenario={long}"),
        format!("seed={long}&step={long}"),
        many,
    ] {
        let (url, problems) = UrlState::parse(&query);
        let st = State::<Messaging>::from_url(&url, problems);
        let banner = st.ui.error.clone().expect("a banner");
        assert!(
            banner.chars().count() <= 600,
            "{} characters: {}",
            banner.chars().count(),
            banner.chars().take(700).collect::<String>()
        );
        assert!(
            banner.contains("left out") || banner.contains("and 295 more"),
            "{banner}"
        );
    }
}
