//! A page's state, changed only through messages in a reducer.
//!
//! - [`Run`]: the loaded scenario and its timeline. It is the one thing behind a `RefCell`:
//!   a step mutates a timeline in place (cloning one per step would cost more than the step);
//!   the reducer is the only writer, and every change bumps the run's version.
//! - [`Ui`]: what people chose and see besides the run (selection, playback, messages): plain
//!   values.
//! - [`Clock`]: the playback clock, which moves on every animation frame.
//! - [`Seek`]: a seek too long for one go (a link's far step), computed in slices between
//!   frames so that the page keeps drawing and answering; Stop (or any move) ends it where
//!   it got to.
//!
//! Equality is derived everywhere, with one rule for the run: two runs are equal when they
//! are the same session at the same version. Components that draw nothing between steps
//! read [`Ui`] and the run, so they are not rendered again on every frame; views that draw
//! motion read the [`Clock`] too.
//!
//! The generic shell sends [`ShellMsg`]; an algorithm's own view sends typed actions of its
//! protocol ([`Msg::Act`]) and restarts the scenario with typed parameters
//! ([`Msg::Restart`]), the same operation as a new seed.

use crate::url::UrlState;
use dsplay_core::scenario::{ScenarioError, MAX_STEPS};
use dsplay_core::session::{Loaded, Session};
use dsplay_core::{Action, Algorithm, Fault, Protocol};
use std::cell::{Ref, RefCell, RefMut};
use std::fmt::Write as _;
use std::rc::{Rc, Weak};
use yew::prelude::*;

/// Simulated milliseconds that pass per real millisecond at 1x.
pub const BASE_RATE: f64 = 0.1;
/// Playback speeds offered.
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];
/// During playback, an idle stretch longer than this (simulated ms) is skipped.
const IDLE_SKIP: f64 = 40.0;
/// Steps computed ahead when a scenario is loaded, at most.
const PRECOMPUTE_MAX: u64 = 5_000;
/// The most steps a link can have the page compute, whatever its scenario's `run.steps`
/// says: a run's trace keeps up to about a kilobyte per step.
pub const LINK_MAX_STEPS: u64 = 1_000_000;
/// Real milliseconds one slice of a long seek computes before the page draws and reads
/// its input again.
pub const SLICE_MS: f64 = 30.0;
/// Steps computed between two looks at the time within a slice.
const CHUNK: u64 = 16;

/// The loaded scenario of a page (typed), shared by its components.
pub struct Run<P: Protocol> {
    cell: Rc<RefCell<Loaded<P>>>,
    version: u64,
}

impl<P: Protocol> Clone for Run<P> {
    fn clone(&self) -> Self {
        Run {
            cell: self.cell.clone(),
            version: self.version,
        }
    }
}

impl<P: Protocol> PartialEq for Run<P> {
    /// The same session at the same version.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.cell, &other.cell) && self.version == other.version
    }
}

impl<P: Protocol> Run<P> {
    fn new(loaded: Loaded<P>) -> Self {
        Run {
            cell: Rc::new(RefCell::new(loaded)),
            version: 0,
        }
    }

    /// The session, to read.
    pub fn borrow(&self) -> Ref<'_, Loaded<P>> {
        self.cell.borrow()
    }

    fn borrow_mut(&mut self) -> RefMut<'_, Loaded<P>> {
        self.cell.borrow_mut()
    }

    /// Bumped on every change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The same session through the object-safe facade, for the shell.
    pub fn live(&self) -> Live {
        let cell: Rc<RefCell<dyn Session>> = self.cell.clone();
        Live {
            cell,
            version: self.version,
        }
    }
}

/// A run seen through the object-safe [`Session`] facade: what the shell's components read.
#[derive(Clone)]
pub struct Live {
    cell: Rc<RefCell<dyn Session>>,
    version: u64,
}

impl PartialEq for Live {
    /// The same session at the same version.
    fn eq(&self, other: &Self) -> bool {
        std::ptr::addr_eq(Rc::as_ptr(&self.cell), Rc::as_ptr(&other.cell))
            && self.version == other.version
    }
}

impl Live {
    pub fn borrow(&self) -> Ref<'_, dyn Session> {
        self.cell.borrow()
    }

    /// Bumped on every change of the run.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Which session this is (stays the same across versions; another scenario, seed or
    /// restart is another session).
    pub fn id(&self) -> usize {
        Rc::as_ptr(&self.cell) as *const () as usize
    }

    /// A handle that tells later whether a session is still this one, without keeping it.
    pub fn weak(&self) -> Weak<RefCell<dyn Session>> {
        Rc::downgrade(&self.cell)
    }

    /// Whether this is the session `weak` was made from.
    pub fn is(&self, weak: &Weak<RefCell<dyn Session>>) -> bool {
        std::ptr::addr_eq(weak.as_ptr(), Rc::as_ptr(&self.cell))
    }
}

/// What people chose and see besides the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Ui {
    /// The built-in scenario loaded (`None` for an imported or changed one).
    pub scenario: Option<&'static str>,
    pub playing: bool,
    pub speed: f64,
    pub selected: Option<u32>,
    /// The message clicked (in the view or the diagram), by id.
    pub selected_msg: Option<u64>,
    /// A message for the person (a bad file, a refused action).
    pub error: Option<String>,
    /// What a restart with other parameters left out of the script, while that run is shown.
    pub notice: Option<String>,
    /// Set when the last action dropped steps that had been computed.
    pub forked: bool,
    /// The page runs inside another page: only the view and the controls.
    pub embed: bool,
    /// The keyboard shortcut sheet is open.
    pub help: bool,
    /// The custom scenario editor is open.
    pub editing: bool,
    /// A long seek is under way, to this step (see [`Seek`]): the address keeps it.
    pub seeking: Option<u64>,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            scenario: None,
            playing: false,
            speed: 1.0,
            selected: None,
            selected_msg: None,
            error: None,
            notice: None,
            forked: false,
            embed: false,
            help: false,
            editing: false,
            seeking: None,
        }
    }
}

/// The playback clock, in simulated ms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Clock {
    /// The time drawn (between the current step's time and the next step's).
    pub shown: f64,
    /// Where playback is; equals `shown` except with reduced motion, where the drawing
    /// only moves at step times.
    pub at: f64,
}

/// A seek too long for one go, computed in slices of about [`SLICE_MS`] between frames.
/// Only steps past the computed horizon take long (below it, a seek restores a checkpoint
/// and replays less than one checkpoint interval), so only those are sliced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seek {
    /// The step asked for.
    pub target: u64,
    /// Where the seek began.
    pub from: u64,
    /// Where it has got to.
    pub reached: u64,
    /// The step a link asked for, when it is a link's (reported if the run ends before).
    pub asked: Option<u64>,
}

impl Seek {
    /// How far it has got, from 0 to 1.
    pub fn fraction(&self) -> f64 {
        let all = self.target.saturating_sub(self.from).max(1) as f64;
        (self.reached.saturating_sub(self.from) as f64 / all).clamp(0.0, 1.0)
    }
}

/// A page's state.
pub struct State<P: Algorithm> {
    pub run: Run<P>,
    pub ui: Ui,
    pub clock: Clock,
    /// The long seek under way, if any. Kept out of [`Ui`]: its progress changes on every
    /// slice, and only the page's shell view reads it, as a prop (the run's version is
    /// bumped once, when the seek ends, so the views and the diagram are drawn again then).
    pub seek: Option<Seek>,
}

impl<P: Algorithm> Clone for State<P> {
    fn clone(&self) -> Self {
        State {
            run: self.run.clone(),
            ui: self.ui.clone(),
            clock: self.clock,
            seek: self.seek,
        }
    }
}

impl<P: Algorithm> PartialEq for State<P> {
    fn eq(&self, other: &Self) -> bool {
        self.run == other.run
            && self.ui == other.ui
            && self.clock == other.clock
            && self.seek == other.seek
    }
}

/// What the shell (controls, keys, palette, panels) asks of any page.
#[derive(Clone, Debug, PartialEq)]
pub enum ShellMsg {
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
    /// Do a fault or network change at the current step.
    Fault(Fault),
    Select(Option<u32>),
    /// Select a message (to drop or delay it from the fault palette).
    SelectMessage(Option<u64>),
    /// Undo what people did (the script stays).
    Reset,
    DismissError,
    /// Run the scenario again with another seed (what people did is dropped).
    SetSeed(u64),
    ToggleHelp,
    /// Escape: close the help and the custom scenario editor.
    Dismiss,
    /// Open or close the custom scenario editor.
    EditScenario(bool),
    /// Show an error from outside the store (a file that could not be read).
    Fail(String),
    /// Compute the next slice of the long seek under way.
    SeekSlice,
    /// Stop the long seek under way where it got to.
    StopSeek,
    /// The URL's state part changed (by hand, back/forward, a link): show what it says.
    FromUrl(String),
}

/// Everything a page's state changes by.
pub enum Msg<P: Protocol> {
    Shell(ShellMsg),
    /// Actions of the page's own view (client commands, or several faults at once), done
    /// one after the other at the current step.
    Act(Vec<Action<P::Cmd>>),
    /// The same run with other parameters: the script and what people did are kept,
    /// fitted to the nodes the parameters have, and the page stays at its step. `note`
    /// says what the view changed in the parameters beyond what was asked (settings of
    /// nodes that are gone); it is shown with what the fitting left out.
    Restart {
        params: P::Params,
        note: Option<String>,
    },
}

impl<P: Protocol> From<ShellMsg> for Msg<P> {
    fn from(m: ShellMsg) -> Self {
        Msg::Shell(m)
    }
}

impl<P: Algorithm> State<P> {
    /// A state for the first built-in scenario, or for `scenario` if given.
    pub fn new(scenario: Option<&str>) -> Self {
        let url = UrlState {
            scenario: scenario.map(str::to_string),
            ..UrlState::default()
        };
        Self::from_url(&url, Vec::new())
    }

    /// The state a URL describes. Each part that cannot be used is named in `error` and
    /// left out; the page always shows something that works.
    pub fn from_url(url: &UrlState, mut problems: Vec<String>) -> Self {
        let mut scenario = None;
        let mut loaded = None;
        if let Some(text) = &url.custom {
            match Loaded::<P>::parse(text) {
                Ok(l) => loaded = Some(l),
                Err(e) => problems.push(format!("the scenario in the link: {e}")),
            }
        } else if let Some(id) = &url.scenario {
            match P::builtin(id) {
                Some(b) => {
                    scenario = Some(b.id);
                    loaded = Some(builtin_run::<P>(b.json));
                }
                None => problems.push(format!(
                    "there is no built-in scenario `{}` on the {} page; showing the first one",
                    crate::url::quote(id),
                    P::TITLE
                )),
            }
        }
        let mut loaded = loaded.unwrap_or_else(|| {
            let first = &P::BUILTINS[0];
            scenario = Some(first.id);
            builtin_run::<P>(first.json)
        });
        if let Some(seed) = url.seed {
            if let Ok((l, _)) = loaded.restart(None, Some(seed)) {
                loaded = l;
            }
        }
        let mut st = State {
            run: Run::new(loaded),
            ui: Ui {
                scenario,
                embed: url.embed,
                ..Ui::default()
            },
            clock: Clock::default(),
            seek: None,
        };
        if let Some(actions) = &url.actions {
            let r = st.run.borrow_mut().set_user_actions_json(actions);
            if let Err(e) = r {
                problems.push(format!("the actions in the link: {e}"));
            }
        }
        st.precompute();
        if let Some(step) = url.step {
            // A link asks for at most what the run itself goes to: a step past that is said,
            // and the page goes as far as the run does.
            let target = step.min(st.link_limit());
            if let Some(reached) = st.go_to(target, Some(step)) {
                problems.extend(past_the_end(
                    step,
                    target,
                    reached,
                    st.run.borrow().run_bound(),
                ));
            }
        }
        if !problems.is_empty() {
            st.ui.error = Some(link_problems(&problems));
        }
        st
    }

    /// The furthest step a link can ask for: the scenario's `run.steps` (at most the
    /// kernel's [`MAX_STEPS`], and [`LINK_MAX_STEPS`]).
    pub fn link_limit(&self) -> u64 {
        self.run
            .borrow()
            .run_bound()
            .min(MAX_STEPS)
            .min(LINK_MAX_STEPS)
    }

    /// Go to step `target`: at once when it is computed already (or near), otherwise as a
    /// long seek in slices (the first one now). Returns the step reached when done now;
    /// `None` while the seek goes on. `asked` is the step a link asked for, if this is a
    /// link's seek.
    fn go_to(&mut self, target: u64, asked: Option<u64>) -> Option<u64> {
        let (pos, horizon) = {
            let s = self.run.borrow();
            (s.pos(), s.horizon())
        };
        let job = Seek {
            target,
            from: pos,
            reached: pos,
            asked,
        };
        if target <= horizon.saturating_add(CHUNK) {
            let reached = self.run.borrow_mut().seek(target);
            self.clock_to_step();
            return Some(reached);
        }
        self.ui.playing = false;
        self.seek = Some(job);
        self.ui.seeking = Some(target);
        self.slice()
    }

    /// One slice of the long seek under way: steps until it is done or [`SLICE_MS`] have
    /// passed. Returns the step reached when it is done (the seek is over, the run moved).
    fn slice(&mut self) -> Option<u64> {
        let mut job = self.seek?;
        let start = crate::browser::now_ms();
        let done = {
            let mut s = self.run.borrow_mut();
            loop {
                let to = job.target.min(s.pos().saturating_add(CHUNK));
                job.reached = s.seek(to);
                // At the target, or the run ended on the way.
                if job.reached >= job.target || job.reached < to {
                    break true;
                }
                if crate::browser::now_ms() - start >= SLICE_MS {
                    break false;
                }
            }
        };
        if !done {
            self.seek = Some(job);
            return None;
        }
        self.seek = None;
        self.ui.seeking = None;
        self.moved();
        Some(job.reached)
    }

    /// End the long seek under way where it got to.
    fn stop_seek(&mut self) {
        if self.seek.take().is_some() {
            self.ui.seeking = None;
            self.moved();
        }
    }

    /// The URL state for what is shown now.
    pub fn to_url(&self) -> UrlState {
        url_of(&*self.run.borrow(), &self.ui)
    }

    fn clock_to_step(&mut self) {
        let t = self.run.borrow().time() as f64;
        self.clock = Clock { shown: t, at: t };
    }

    /// Compute the scenario's run ahead (its `run` section) so the scrubber spans it, then
    /// go back to step 0.
    fn precompute(&mut self) {
        {
            let mut s = self.run.borrow_mut();
            s.seek(0);
            let steps = s.run_bound().min(PRECOMPUTE_MAX);
            s.run_to(Some(steps), None);
            s.seek(0);
        }
        self.clock_to_step();
    }

    /// Show another scenario (or the same with other parameters or seed) from its start.
    fn replace(&mut self, loaded: Loaded<P>, scenario: Option<&'static str>) {
        self.replace_at(loaded, scenario, 0);
    }

    /// Show another run, computed ahead, at step `at` (or as far as it goes).
    fn replace_at(&mut self, loaded: Loaded<P>, scenario: Option<&'static str>, at: u64) {
        self.run = Run::new(loaded);
        self.ui = Ui {
            scenario,
            speed: self.ui.speed,
            embed: self.ui.embed,
            ..Ui::default()
        };
        self.seek = None;
        self.precompute();
        if at > 0 {
            self.go_to(at, None);
        }
    }

    /// Compute ahead to the scenario's run bound (after a fork), staying where we are.
    fn extend(&mut self) {
        let mut s = self.run.borrow_mut();
        let here = s.pos();
        let bound = s.run_bound().clamp(here, here + PRECOMPUTE_MAX);
        s.seek(bound);
        s.seek(here);
    }

    /// After the run moved: the clock follows the step.
    fn moved(&mut self) {
        self.clock_to_step();
        self.ui.forked = false;
        self.run.version += 1;
    }

    /// Do actions at the current step, one after the other.
    fn act(&mut self, actions: Vec<Action<P::Cmd>>) {
        let mut forked = false;
        let mut error = None;
        for a in actions {
            let r = self.run.borrow_mut().apply(a);
            match r {
                Ok(f) => forked |= f,
                Err(e) => {
                    error = Some(format!("cannot do that: {e}"));
                    break;
                }
            }
        }
        self.extend();
        self.moved();
        self.ui.forked = forked;
        self.ui.error = error;
    }

    /// The one restart operation: the scenario with other parameters (the same run: the
    /// script and what people did are kept, fitted to the nodes there are, at the same
    /// step) or with another seed (another run, from its start). A refused value keeps the
    /// page as it was and says which field.
    fn restart(&mut self, params: Option<P::Params>, seed: Option<u64>, note: Option<String>) {
        let changed = params.is_some();
        let here = self.run.borrow().pos();
        let r = match params {
            Some(p) => self.run.borrow().refit(p),
            None => self.run.borrow().restart(None, seed),
        };
        match r {
            Ok((loaded, fitted)) => {
                // Other parameters make another scenario than the built-in one.
                let scenario = if changed { None } else { self.ui.scenario };
                let notice = self.ui.notice.take().filter(|_| !changed);
                let selected = self.ui.selected.filter(|_| changed);
                self.replace_at(loaded, scenario, if changed { here } else { 0 });
                // The same run: the node looked at stays selected, if it is still there.
                let count = self.run.borrow().names().len() as u32;
                self.ui.selected = selected.filter(|&i| i < count);
                let said: Vec<String> = note.into_iter().chain(fitted.sentence()).collect();
                self.ui.notice = if said.is_empty() {
                    notice
                } else {
                    Some(said.join(" "))
                };
            }
            Err(e) => self.ui.error = Some(refusal(&e)),
        }
    }

    fn shell(&mut self, msg: ShellMsg) -> bool {
        // Anything that moves or changes the run ends a long seek where it got to first
        // (a key, a click, Stop); looking around (help, selection, speed) does not.
        let keeps_seeking = matches!(
            msg,
            ShellMsg::SeekSlice
                | ShellMsg::Tick(_)
                | ShellMsg::TickJump(_)
                | ShellMsg::SetSpeed(_)
                | ShellMsg::Select(_)
                | ShellMsg::SelectMessage(_)
                | ShellMsg::DismissError
                | ShellMsg::ToggleHelp
                | ShellMsg::Fail(_)
                | ShellMsg::EditScenario(_)
        );
        if !keeps_seeking {
            self.stop_seek();
        }
        match msg {
            ShellMsg::StepForward => {
                self.run.borrow_mut().step_forward();
                self.moved();
            }
            ShellMsg::StepBack => {
                self.run.borrow_mut().step_back();
                self.moved();
            }
            ShellMsg::StepBy(n) => {
                {
                    let mut s = self.run.borrow_mut();
                    let target = s.pos().saturating_add_signed(n);
                    s.seek(target);
                }
                self.moved();
            }
            ShellMsg::Seek(n) => {
                // (Past the horizon: a long seek, in slices.)
                if self.go_to(n, None).is_some() {
                    self.moved();
                }
            }
            ShellMsg::Home => {
                self.run.borrow_mut().seek(0);
                self.moved();
            }
            ShellMsg::End => {
                {
                    let mut s = self.run.borrow_mut();
                    let h = s.horizon();
                    s.seek(h);
                }
                self.moved();
            }
            ShellMsg::TogglePlay => {
                self.ui.playing = !self.ui.playing && self.run.borrow().next_time().is_some();
            }
            ShellMsg::Tick(dt) => return self.tick(dt, false),
            ShellMsg::TickJump(dt) => return self.tick(dt, true),
            ShellMsg::SetSpeed(x) => self.ui.speed = x.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]),
            ShellMsg::Load(id) => match P::builtin(&id) {
                Some(b) => self.replace(builtin_run::<P>(b.json), Some(b.id)),
                None => {
                    self.ui.error = Some(format!(
                        "there is no built-in scenario `{}`",
                        crate::url::quote(&id)
                    ))
                }
            },
            ShellMsg::Import(text) => match Loaded::<P>::parse(&text) {
                Ok(l) => self.replace(l, None),
                Err(e) => {
                    self.ui.error = Some(match dsplay_core::scenario::algorithm_of(&text) {
                        // Another page's scenario (an unknown algorithm is the error's).
                        Ok(other)
                            if other != P::NAME
                                && dsplay_core::catalog::NAMES.contains(&other.as_str()) =>
                        {
                            format!(
                                "that scenario is for `{other}`, not {}: open {other}.html to use it",
                                P::TITLE
                            )
                        }
                        _ => format!("cannot load that scenario: {e}"),
                    })
                }
            },
            ShellMsg::Fault(f) => self.act(vec![f.widen()]),
            ShellMsg::Select(n) => self.ui.selected = n,
            ShellMsg::SelectMessage(m) => self.ui.selected_msg = m,
            ShellMsg::Reset => {
                let r = self.run.borrow_mut().set_user_actions_json("[]");
                if let Err(e) = r {
                    self.ui.error = Some(format!("cannot reset: {e}"));
                }
                self.ui.playing = false;
                self.ui.forked = false;
                self.ui.selected_msg = None;
                self.precompute();
                self.run.version += 1;
            }
            ShellMsg::DismissError => self.ui.error = None,
            ShellMsg::SetSeed(seed) => self.restart(None, Some(seed), None),
            ShellMsg::ToggleHelp => self.ui.help = !self.ui.help,
            ShellMsg::Dismiss => {
                self.ui.help = false;
                self.ui.editing = false;
            }
            ShellMsg::Fail(e) => self.ui.error = Some(e),
            ShellMsg::EditScenario(on) => {
                self.ui.editing = on;
                self.ui.playing = false;
            }
            ShellMsg::SeekSlice => {
                let job = self.seek;
                match (job, self.slice()) {
                    // Still going: only the progress changes.
                    (Some(_), None) => {}
                    (Some(job), Some(reached)) => {
                        let said = job.asked.and_then(|asked| {
                            past_the_end(asked, job.target, reached, self.run.borrow().run_bound())
                        });
                        if let Some(said) = said {
                            self.ui.error = Some(match self.ui.error.take() {
                                Some(before) => before + "; " + &said,
                                None => link_problems(&[said]),
                            });
                        }
                    }
                    (None, _) => return false,
                }
            }
            ShellMsg::StopSeek => {}
            ShellMsg::FromUrl(query) => {
                if query == self.to_url().to_query() {
                    return false;
                }
                let (url, problems) = UrlState::parse(&query);
                *self = State::from_url(&url, problems);
            }
        }
        true
    }

    /// Playback: the clock advances by `dt` real ms at the chosen speed, and every step due
    /// by then is taken. Returns whether anything changed.
    fn tick(&mut self, dt: f64, jump: bool) -> bool {
        if !self.ui.playing {
            return false;
        }
        let mut moved = false;
        let (mut t, end, now) = {
            let mut s = self.run.borrow_mut();
            let mut t = self.clock.at + dt * BASE_RATE * self.ui.speed;
            // Skip idle stretches: nothing is drawn moving, so nothing is lost.
            if let Some(next) = s.next_time() {
                let idle = !has_motion(&*s, self.clock.at);
                if idle && next as f64 - t > IDLE_SKIP {
                    t = next as f64 - IDLE_SKIP;
                }
            }
            while let Some(next) = s.next_time() {
                if next as f64 > t || !s.step_forward() {
                    break;
                }
                moved = true;
            }
            (t, s.next_time().is_none(), s.time() as f64)
        };
        if end {
            self.ui.playing = false;
            t = now;
        }
        if jump {
            t = t.max(now);
        }
        self.clock = Clock {
            shown: if jump { now } else { t },
            at: t,
        };
        if moved {
            self.run.version += 1;
        }
        true
    }
}

/// A built-in scenario's session (they load: a test checks every one). The error, should
/// one come, is told as the page tells errors, not with `Debug` (whose derived code and
/// formatting machinery would be in every page for this one line).
fn builtin_run<P: Algorithm>(json: &str) -> Loaded<P> {
    Loaded::<P>::parse(json).unwrap_or_else(|e| panic!("built-in scenarios load: {e}"))
}

/// The most problems of a link the banner lists one by one.
const PROBLEMS_LISTED: usize = 5;

/// The banner for what a link asked that could not be done.
fn link_problems(problems: &[String]) -> String {
    let mut said = "Some of the link could not be used: ".to_string();
    said += &problems[..problems.len().min(PROBLEMS_LISTED)].join("; ");
    if problems.len() > PROBLEMS_LISTED {
        let _ = write!(said, "; and {} more", problems.len() - PROBLEMS_LISTED);
    }
    said
}

/// What to say when a link asked for step `asked`, the page went for `target` (the link's
/// limit, or the step itself) and got to `reached`, in a run of at most `bound` steps (its
/// `run.steps`); nothing when it got there.
fn past_the_end(asked: u64, target: u64, reached: u64, bound: u64) -> Option<String> {
    if reached >= asked {
        return None;
    }
    let (why, n, what) = if reached < target {
        ("the run ends at step ", reached, "")
    } else if target == LINK_MAX_STEPS && bound > target {
        ("a link can ask for at most ", target, " steps")
    } else {
        ("the scenario runs ", target, " steps (its `run.steps`)")
    };
    Some(format!(
        "step {asked} is past the end of the run: {why}{n}{what}; showing step {reached}"
    ))
}

/// A refused value, in words for the banner: the field and why.
fn refusal(e: &ScenarioError) -> String {
    format!(
        "cannot use that: {}{}",
        e.path
            .strip_prefix("params.")
            .map(|f| format!("{}: ", f.replace('_', " ")))
            .unwrap_or_default(),
        e.message
    )
}

impl<P: Algorithm> Reducible for State<P> {
    type Action = Msg<P>;

    fn reduce(self: Rc<Self>, msg: Msg<P>) -> Rc<Self> {
        let mut st = (*self).clone();
        let changed = match msg {
            Msg::Shell(m) => st.shell(m),
            Msg::Act(actions) => {
                st.stop_seek();
                st.act(actions);
                true
            }
            Msg::Restart { params, note } => {
                st.stop_seek();
                st.restart(Some(params), None, note);
                true
            }
        };
        if changed {
            Rc::new(st)
        } else {
            self
        }
    }
}

/// The URL state for `s` shown with `ui`.
pub fn url_of(s: &dyn Session, ui: &Ui) -> UrlState {
    let actions = s.user_actions_json();
    UrlState {
        scenario: ui.scenario.map(str::to_string),
        custom: ui.scenario.is_none().then(|| s.original_json()),
        seed: Some(s.seed()),
        // A long seek under way: the step asked for, until it is reached.
        step: Some(ui.seeking.unwrap_or_else(|| s.pos())),
        actions: (actions != "[]").then_some(actions),
        embed: ui.embed,
    }
}

/// Whether anything is drawn moving at simulated time `t`: a message in flight.
pub fn has_motion(s: &dyn Session, t: f64) -> bool {
    s.in_flight()
        .iter()
        .any(|m| (m.sent_at as f64) <= t && (m.deliver_at as f64) > t)
}
