//! The playground's state: one loaded scenario (behind the core's [`Session`] facade) and
//! the playback settings, changed only through [`Msg`] in a reducer.
//!
//! The session lives in an `Rc<RefCell<..>>` and is mutated in place; every change bumps
//! `version`, which is what components compare to know they must re-render.

use dsplay_core::registry::{builtin, builtins_of, load, Session};
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
    pub playing: bool,
    pub speed: f64,
    pub selected: Option<u32>,
    /// The message clicked (in the view or the diagram), by id.
    pub selected_msg: Option<u64>,
    /// A message for the person (a bad file, a refused action).
    pub error: Option<String>,
    /// Set when the last action dropped steps that had been computed.
    pub forked: bool,
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.session, &other.session)
            && self.version == other.version
            && self.scenario == other.scenario
            && self.display_time == other.display_time
            && self.playing == other.playing
            && self.speed == other.speed
            && self.selected == other.selected
            && self.selected_msg == other.selected_msg
            && self.error == other.error
            && self.forked == other.forked
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
}

impl State {
    /// A state for the first built-in scenario of `algorithm`, or for `scenario` if given.
    pub fn new(algorithm: &str, scenario: Option<&str>) -> Self {
        let id = scenario
            .and_then(builtin)
            .filter(|b| b.algorithm == algorithm)
            .or_else(|| builtins_of(algorithm).next())
            .map(|b| b.id);
        let (session, error) = match id.and_then(builtin).map(|b| load(b.json)) {
            Some(Ok(s)) => (s, None),
            Some(Err(e)) => (empty_session(), Some(format!("built-in scenario: {e}"))),
            None => (
                empty_session(),
                Some(format!("no scenario for algorithm `{algorithm}`")),
            ),
        };
        let mut st = State {
            session: Rc::new(RefCell::new(session)),
            version: 0,
            scenario: id.map(str::to_string),
            display_time: 0.0,
            playing: false,
            speed: 1.0,
            selected: None,
            selected_msg: None,
            error,
            forked: false,
        };
        st.precompute();
        st
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
    }

    fn after_move(&mut self) {
        self.display_time = self.session.borrow().time() as f64;
        self.version += 1;
    }
}

/// A session to show when nothing could be loaded: the first built-in messaging scenario.
fn empty_session() -> Box<dyn Session> {
    load(dsplay_core::registry::BUILTINS[0].json).expect("the first built-in scenario loads")
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
            Msg::Tick(dt) => {
                if !st.playing {
                    return self;
                }
                let mut s = st.session.borrow_mut();
                let mut t = st.display_time + dt * BASE_RATE * st.speed;
                // Skip idle stretches: nothing is drawn moving, so nothing is lost.
                if let Some(next) = s.next_time() {
                    let idle = !has_motion(s.as_ref(), st.display_time);
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
                drop(s);
                st.display_time = t;
                if moved {
                    st.version += 1;
                }
            }
            Msg::SetSpeed(x) => st.speed = x.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]),
            Msg::Load(id) => match builtin(&id).map(|b| load(b.json)) {
                Some(Ok(s)) => {
                    st.session = Rc::new(RefCell::new(s));
                    st.scenario = Some(id);
                    st.playing = false;
                    st.selected = None;
                    st.error = None;
                    st.forked = false;
                    st.precompute();
                    st.version += 1;
                }
                Some(Err(e)) => st.error = Some(format!("scenario {id}: {e}")),
                None => st.error = Some(format!("there is no built-in scenario `{id}`")),
            },
            Msg::Import(text) => match load(&text) {
                Ok(s) => {
                    st.session = Rc::new(RefCell::new(s));
                    st.scenario = None;
                    st.playing = false;
                    st.selected = None;
                    st.error = None;
                    st.forked = false;
                    st.precompute();
                    st.version += 1;
                }
                Err(e) => st.error = Some(format!("cannot load that scenario: {e}")),
            },
            Msg::Apply(json) => {
                let r = st.session.borrow_mut().apply_json(&json);
                match r {
                    Ok(forked) => {
                        st.forked = forked;
                        st.error = None;
                        st.after_move();
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
                st.precompute();
                st.version += 1;
            }
            Msg::DismissError => st.error = None,
        }
        Rc::new(st)
    }
}

/// Whether anything is drawn moving at simulated time `t`: a message in flight.
pub fn has_motion(s: &dyn Session, t: f64) -> bool {
    s.in_flight()
        .iter()
        .any(|m| (m.sent_at as f64) <= t && (m.deliver_at as f64) > t)
}
