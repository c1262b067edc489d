//! The playground's state: one loaded scenario (behind the core's [`Session`] facade) and
//! the playback settings, changed only through [`Msg`] in a reducer.
//!
//! The session lives in an `Rc<RefCell<..>>` and is mutated in place; every change bumps
//! `version`, which is what components compare to know they must re-render.

use crate::url::UrlState;
use dsplay_core::catalog::{builtin, builtins, load};
use dsplay_core::session::Session;
fn builtins_of(a: &str) -> impl Iterator<Item = &'static dsplay_core::Builtin> + '_ {
    builtins().filter(move |b| b.algorithm == a)
}
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Simulated milliseconds that pass per real millisecond at 1x.
pub const BASE_RATE: f64 = 0.1;
/// Playback speeds offered.
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];
/// During playback, an idle stretch longer than this (simulated ms) is skipped.
const IDLE_SKIP: f64 = 40.0;
/// Steps computed ahead when a scenario is loaded, at most.
const PRECOMPUTE_MAX: u64 = 5_000;

pub type Shared = Rc<RefCell<Box<dyn Session>>>;

#[derive(Clone)]
pub struct State {
    pub session: Shared,
    /// Bumped on every change to the session.
    pub version: u64,
    /// The built-in scenario loaded (`None` for an imported file).
    pub scenario: Option<String>,
    /// Simulated time drawn (between the current step's time and the next step's).
    pub display_time: f64,
    /// The playback clock (simulated ms); equals `display_time` except with reduced
    /// motion, where the drawing only moves at step times.
    pub clock: f64,
    pub playing: bool,
    pub speed: f64,
    pub selected: Option<u32>,
    /// The message clicked (in the view or the diagram), by id.
    pub selected_msg: Option<u64>,
    /// A message for the person (a bad file, a refused action).
    pub error: Option<String>,
    /// Set when the last action dropped steps that had been computed.
    pub forked: bool,
    /// The page runs inside another page: only the view and the controls.
    pub embed: bool,
    /// The keyboard shortcut sheet is open.
    pub help: bool,
    /// The custom scenario editor is open.
    pub editing: bool,
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        self.same_but_clock(other)
            && self.display_time == other.display_time
            && self.clock == other.clock
    }
}

impl State {
    /// Equal in everything but the playback clock (`display_time`, `clock`): what
    /// components that draw no motion between steps compare.
    pub fn same_but_clock(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.session, &other.session)
            && self.version == other.version
            && self.scenario == other.scenario
            && self.playing == other.playing
            && self.speed == other.speed
            && self.selected == other.selected
            && self.selected_msg == other.selected_msg
            && self.error == other.error
            && self.forked == other.forked
            && self.embed == other.embed
            && self.help == other.help
            && self.editing == other.editing
    }
}

pub enum Msg {
    StepForward,
    StepBack,
    /// Move by a number of steps (negative: back).
    StepBy(i64),
    Seek(u64),
    Home,
    End,
    TogglePlay,
    /// Playback: `dt` real milliseconds passed.
    Tick(f64),
    /// Playback with reduced motion: as `Tick`, but messages are drawn only at step
    /// times (they jump instead of gliding).
    TickJump(f64),
    SetSpeed(f64),
    /// Load a built-in scenario by id.
    Load(String),
    /// Load a scenario file's text.
    Import(String),
    /// Do an action (JSON, see `dsplay_core::sim::Action`) at the current step.
    Apply(String),
    Select(Option<u32>),
    /// Select a message (to drop or delay it from the fault palette).
    SelectMessage(Option<u64>),
    Reset,
    DismissError,
    /// Run the scenario again with another seed (what people did is dropped).
    SetSeed(u64),
    ToggleHelp,
    CloseHelp,
    /// Open or close the custom scenario editor.
    EditScenario(bool),
    /// Show an error from outside the store (a file that could not be read).
    Fail(String),
    /// The URL was changed by hand (or by back/forward): show what it says.
    FromUrl {
        algorithm: String,
        query: String,
    },
}

impl State {
    /// A state for the first built-in scenario of `algorithm`, or for `scenario` if given.
    pub fn new(algorithm: &str, scenario: Option<&str>) -> Self {
        let url = UrlState {
            scenario: scenario.map(str::to_string),
            ..UrlState::default()
        };
        Self::from_url(algorithm, &url, Vec::new())
    }

    /// The state a URL describes. Each part that cannot be used is named in `error` and
    /// left out; the page always shows something that works.
    pub fn from_url(algorithm: &str, url: &UrlState, mut problems: Vec<String>) -> Self {
        let default = builtins_of(algorithm).next();
        let mut scenario = None;
        let mut json = None;
        if let Some(text) = &url.custom {
            match load(text) {
                Ok(s) if s.algorithm() == algorithm => json = Some(text.clone()),
                Ok(s) => problems.push(format!(
                    "the scenario in the link is for `{}`, not this page",
                    s.algorithm()
                )),
                Err(e) => problems.push(format!("the scenario in the link: {e}")),
            }
        } else if let Some(id) = &url.scenario {
            match builtin(id).filter(|b| b.algorithm == algorithm) {
                Some(b) => {
                    scenario = Some(b.id.to_string());
                    json = Some(b.json.to_string());
                }
                None => problems.push(format!(
                    "there is no built-in scenario `{id}` on this page; showing the first one"
                )),
            }
        }
        if json.is_none() {
            if let Some(b) = default {
                scenario = Some(b.id.to_string());
                json = Some(b.json.to_string());
            }
        }
        let mut json = json.unwrap_or_else(|| builtins().next().unwrap().json.to_string());
        if let Some(seed) = url.seed {
            json = with_seed(&json, seed);
        }
        let session = match load(&json) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("scenario: {e}"));
                empty_session()
            }
        };
        let mut st = State {
            session: Rc::new(RefCell::new(session)),
            version: 0,
            scenario,
            display_time: 0.0,
            clock: 0.0,
            playing: false,
            speed: 1.0,
            selected: None,
            selected_msg: None,
            error: None,
            forked: false,
            embed: url.embed,
            help: false,
            editing: false,
        };
        if let Some(actions) = &url.actions {
            let r = st.session.borrow_mut().set_user_actions_json(actions);
            if let Err(e) = r {
                problems.push(format!("the actions in the link: {e}"));
            }
        }
        st.precompute();
        if let Some(step) = url.step {
            let reached = st.session.borrow_mut().seek(step);
            if reached < step {
                problems.push(format!(
                    "the run ends at step {reached}, before step {step} of the link"
                ));
            }
            st.display_time = st.session.borrow().time() as f64;
            st.clock = st.display_time;
        }
        if !problems.is_empty() {
            st.error = Some(format!(
                "Some of the link could not be used: {}",
                problems.join("; ")
            ));
        }
        st
    }

    /// The URL state for what is shown now.
    pub fn to_url(&self) -> UrlState {
        let s = self.session.borrow();
        let actions = s.user_actions_json();
        UrlState {
            scenario: self.scenario.clone(),
            custom: self.scenario.is_none().then(|| s.original_json()),
            seed: Some(s.seed()),
            step: Some(s.pos()),
            actions: (actions != "[]").then_some(actions),
            embed: self.embed,
        }
    }

    /// Compute the scenario's run ahead (its `run` section) so the scrubber spans it, then
    /// go back to step 0.
    fn precompute(&mut self) {
        let mut s = self.session.borrow_mut();
        s.seek(0);
        let steps = s.run_bound().min(PRECOMPUTE_MAX);
        s.run(Some(steps), None);
        s.seek(0);
        self.display_time = s.time() as f64;
        self.clock = self.display_time;
    }

    /// Show another scenario (or the same with another seed) from its start.
    fn replace_session(&mut self, s: Box<dyn Session>, scenario: Option<String>) {
        self.session = Rc::new(RefCell::new(s));
        self.scenario = scenario;
        self.editing = false;
        self.playing = false;
        self.selected = None;
        self.selected_msg = None;
        self.error = None;
        self.forked = false;
        self.precompute();
        self.version += 1;
    }

    /// Compute ahead to the scenario's run bound (after a fork), staying where we are.
    fn extend(&mut self) {
        let mut s = self.session.borrow_mut();
        let here = s.pos();
        let bound = s.run_bound().clamp(here, here + PRECOMPUTE_MAX);
        s.seek(bound);
        s.seek(here);
    }

    fn after_move(&mut self) {
        self.display_time = self.session.borrow().time() as f64;
        self.clock = self.display_time;
        self.forked = false;
        self.version += 1;
    }
}

/// A session to show when nothing could be loaded: the first built-in messaging scenario.
fn empty_session() -> Box<dyn Session> {
    load(builtins().next().unwrap().json).expect("the first built-in scenario loads")
}

impl Reducible for State {
    type Action = Msg;

    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        let mut st = (*self).clone();
        match msg {
            Msg::StepForward => {
                st.session.borrow_mut().step_forward();
                st.after_move();
            }
            Msg::StepBack => {
                st.session.borrow_mut().step_back();
                st.after_move();
            }
            Msg::StepBy(n) => {
                {
                    let mut s = st.session.borrow_mut();
                    let target = s.pos().saturating_add_signed(n);
                    s.seek(target);
                }
                st.after_move();
            }
            Msg::Seek(n) => {
                st.session.borrow_mut().seek(n);
                st.after_move();
            }
            Msg::Home => {
                st.session.borrow_mut().seek(0);
                st.after_move();
            }
            Msg::End => {
                {
                    let mut s = st.session.borrow_mut();
                    let h = s.horizon();
                    s.seek(h);
                }
                st.after_move();
            }
            Msg::TogglePlay => {
                st.playing = !st.playing;
                if st.playing && st.session.borrow().next_time().is_none() {
                    st.playing = false;
                }
            }
            Msg::Tick(dt) | Msg::TickJump(dt) => {
                if !st.playing {
                    return self;
                }
                let jump = matches!(msg, Msg::TickJump(_));
                let mut s = st.session.borrow_mut();
                let mut t = st.clock + dt * BASE_RATE * st.speed;
                // Skip idle stretches: nothing is drawn moving, so nothing is lost.
                if let Some(next) = s.next_time() {
                    let idle = !has_motion(s.as_ref(), st.clock);
                    if idle && next as f64 - t > IDLE_SKIP {
                        t = next as f64 - IDLE_SKIP;
                    }
                }
                let mut moved = false;
                while let Some(next) = s.next_time() {
                    if next as f64 > t {
                        break;
                    }
                    if !s.step_forward() {
                        break;
                    }
                    moved = true;
                }
                if s.next_time().is_none() {
                    st.playing = false;
                    t = s.time() as f64;
                }
                if jump {
                    t = t.max(s.time() as f64);
                }
                let shown = if jump { s.time() as f64 } else { t };
                drop(s);
                st.display_time = shown;
                st.clock = t;
                if moved {
                    st.version += 1;
                }
            }
            Msg::SetSpeed(x) => st.speed = x.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]),
            Msg::Load(id) => match builtin(&id).map(|b| load(b.json)) {
                Some(Ok(s)) => st.replace_session(s, Some(id)),
                Some(Err(e)) => st.error = Some(format!("scenario {id}: {e}")),
                None => st.error = Some(format!("there is no built-in scenario `{id}`")),
            },
            Msg::Import(text) => match load(&text) {
                Ok(s) if s.algorithm() != st.session.borrow().algorithm() => {
                    st.error = Some(format!(
                        "that scenario is for `{}`; open the {} page to use it",
                        s.algorithm(),
                        s.algorithm()
                    ))
                }
                Ok(s) => st.replace_session(s, None),
                Err(e) => st.error = Some(format!("cannot load that scenario: {e}")),
            },
            Msg::Apply(json) => {
                let r = st.session.borrow_mut().apply_json(&json);
                match r {
                    Ok(forked) => {
                        st.error = None;
                        st.extend();
                        st.after_move();
                        st.forked = forked;
                    }
                    Err(e) => st.error = Some(format!("cannot do that: {e}")),
                }
            }
            Msg::Select(n) => st.selected = n,
            Msg::SelectMessage(m) => st.selected_msg = m,
            Msg::Reset => {
                // The script stays; what people did goes.
                let r = st.session.borrow_mut().set_user_actions_json("[]");
                if let Err(e) = r {
                    st.error = Some(format!("cannot reset: {e}"));
                }
                st.playing = false;
                st.forked = false;
                st.selected_msg = None;
                st.precompute();
                st.version += 1;
            }
            Msg::DismissError => st.error = None,
            Msg::SetSeed(seed) => {
                let json = with_seed(&st.session.borrow().original_json(), seed);
                match load(&json) {
                    Ok(s) => {
                        let scenario = st.scenario.take();
                        st.replace_session(s, scenario);
                    }
                    Err(e) => st.error = Some(format!("cannot use seed {seed}: {e}")),
                }
            }
            Msg::ToggleHelp => st.help = !st.help,
            Msg::CloseHelp => st.help = false,
            Msg::Fail(e) => st.error = Some(e),
            Msg::EditScenario(on) => {
                st.editing = on;
                st.playing = false;
            }
            Msg::FromUrl { algorithm, query } => {
                if query == st.to_url().to_query() {
                    return self;
                }
                let (url, problems) = UrlState::parse(&query);
                return Rc::new(State::from_url(&algorithm, &url, problems));
            }
        }
        Rc::new(st)
    }
}

/// The scenario JSON with another seed.
fn with_seed(json: &str, seed: u64) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(mut v) if v.is_object() => {
            v["seed"] = seed.into();
            v.to_string()
        }
        _ => json.to_string(),
    }
}

/// Whether anything is drawn moving at simulated time `t`: a message in flight.
pub fn has_motion(s: &dyn Session, t: f64) -> bool {
    s.in_flight()
        .iter()
        .any(|m| (m.sent_at as f64) <= t && (m.deliver_at as f64) > t)
}
