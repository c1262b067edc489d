//! Time travel over a simulation.
//!
//! A [`Timeline`] owns the action log (what people did, at which step), the trace (every
//! step computed so far: the "horizon") and checkpoints (a clone of the [`Sim`] every
//! `interval` steps, taken before that step's actions are injected). The actions logged at
//! step `n` are injected just before step `n` runs, and only if it runs, so the state after
//! `n` steps is always what a fresh run of the log reaches. Seeking restores the
//! nearest checkpoint at or before the target and replays. Doing something at an earlier
//! step forks: the old future (its steps, messages, checkpoints and later actions) is
//! dropped, as with an editor's undo.

use crate::invariant::Violation;
use crate::protocol::Protocol;
use crate::sim::{Action, Sim};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};

/// Default steps between checkpoints. A checkpoint clones the whole simulation (every
/// node's state, the event queue, the checker); at 256 steps apart that was a fifth of the
/// time of a Raft session under load. At 1,024 it is a twentieth, and the longest replay a
/// seek or a step back needs is still about a millisecond natively.
pub const CHECKPOINT_INTERVAL: u64 = 1024;
/// When there are more checkpoints than this, every other one is dropped and the interval
/// doubles: memory stays bounded on long runs (state grows with the run) while a seek
/// replays at most `interval` steps.
pub const MAX_CHECKPOINTS: usize = 128;

/// An action a person did, and the step before which it happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedAction<C> {
    pub step: u64,
    pub action: Action<C>,
    /// Part of the scenario's script rather than done by a person: kept on a fork.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scripted: bool,
}

#[derive(Clone, Debug)]
pub struct Timeline<P: Protocol> {
    /// Sorted by step; several at one step run in order, one step each.
    actions: Vec<TimedAction<P::Cmd>>,
    /// `checkpoints[i]` is the simulation after `i * interval` steps.
    checkpoints: Vec<Sim<P>>,
    interval: u64,
    sim: Sim<P>,
    trace: Trace<P>,
    /// True once the run has nothing left to do at the horizon.
    ended: bool,
}

impl<P: Protocol> Timeline<P> {
    pub fn new(sim: Sim<P>) -> Self {
        Self::with_interval(sim, CHECKPOINT_INTERVAL)
    }

    pub fn with_interval(sim: Sim<P>, interval: u64) -> Self {
        assert!(
            sim.steps() == 0,
            "a timeline starts from a fresh simulation"
        );
        Timeline {
            actions: Vec::new(),
            checkpoints: Vec::new(),
            interval: interval.max(1),
            sim,
            trace: Trace::default(),
            ended: false,
        }
    }

    /// The simulation at the current step.
    pub fn sim(&self) -> &Sim<P> {
        &self.sim
    }

    pub fn trace(&self) -> &Trace<P> {
        &self.trace
    }

    /// The current step: how many steps have run to reach what is shown.
    pub fn pos(&self) -> u64 {
        self.sim.steps()
    }

    /// How many steps have been computed.
    pub fn horizon(&self) -> u64 {
        self.trace.len()
    }

    /// True when the run has nothing left to do at the horizon.
    pub fn ended(&self) -> bool {
        self.ended
    }

    pub fn actions(&self) -> &[TimedAction<P::Cmd>] {
        &self.actions
    }

    /// Steps between checkpoints now: [`CHECKPOINT_INTERVAL`] (or what the timeline was made
    /// with), doubled each time the checkpoints were thinned.
    pub fn checkpoint_interval(&self) -> u64 {
        self.interval
    }

    /// Violations recorded up to the horizon.
    pub fn violations(&self) -> impl Iterator<Item = &Violation> {
        self.trace.violations()
    }

    /// Run one step from the current position: inject the actions due at this step, then
    /// pop one event. Extends the trace at the horizon; replays (and checks) below it.
    fn advance(&mut self) -> bool {
        let pos = self.pos();
        if pos % self.interval == 0 && self.checkpoints.len() as u64 == pos / self.interval {
            self.checkpoints.push(self.sim.clone());
            if self.checkpoints.len() > MAX_CHECKPOINTS {
                self.thin_checkpoints();
            }
        }
        match self.sim.step_with(Self::due(&self.actions, pos)) {
            Some(out) => {
                if pos == self.horizon() {
                    self.trace.push(out);
                }
                true
            }
            None => {
                if pos == self.horizon() {
                    self.ended = true;
                }
                false
            }
        }
    }

    /// Keep every other checkpoint and double the interval.
    fn thin_checkpoints(&mut self) {
        let mut i = 0;
        self.checkpoints.retain(|_| {
            i += 1;
            i % 2 == 1
        });
        self.interval *= 2;
    }

    /// The simulation after `step` steps (at most the horizon), without moving: the
    /// nearest checkpoint replayed. For looking at an earlier state (what changed).
    pub fn sim_at(&self, step: u64) -> Sim<P> {
        let step = step.min(self.horizon());
        if step == self.pos() {
            return self.sim.clone();
        }
        let i = ((step / self.interval) as usize).min(self.checkpoints.len().saturating_sub(1));
        let mut sim = match self.checkpoints.get(i) {
            Some(cp) if cp.steps() <= step => cp.clone(),
            _ => return self.sim.clone(),
        };
        while sim.steps() < step {
            if sim
                .step_with(Self::due(&self.actions, sim.steps()))
                .is_none()
            {
                break;
            }
        }
        sim
    }

    /// The actions logged at step `pos`, in order, each marked as a person's or not: they
    /// are injected just before that step runs (and only if it runs).
    fn due(
        actions: &[TimedAction<P::Cmd>],
        pos: u64,
    ) -> impl Iterator<Item = (Action<P::Cmd>, bool)> + '_ {
        let start = actions.partition_point(|a| a.step < pos);
        actions[start..]
            .iter()
            .take_while(move |a| a.step == pos)
            .map(|a| (a.action.clone(), !a.scripted))
    }

    /// One step forward. False when the run has ended.
    pub fn step_forward(&mut self) -> bool {
        self.advance()
    }

    /// One step back (nothing at step 0).
    pub fn step_back(&mut self) {
        let pos = self.pos();
        if pos > 0 {
            self.seek(pos - 1);
        }
    }

    /// Go to step `target`, computing new steps past the horizon if needed. Stops early if
    /// the run ends; returns the step reached.
    pub fn seek(&mut self, target: u64) -> u64 {
        let pos = self.pos();
        let from_checkpoint = (target / self.interval) as usize;
        let checkpoint_step = from_checkpoint as u64 * self.interval;
        // Restore a checkpoint when going back, or when it saves replaying.
        if target < pos || (checkpoint_step > pos && from_checkpoint < self.checkpoints.len()) {
            let i = from_checkpoint.min(self.checkpoints.len().saturating_sub(1));
            if let Some(cp) = self.checkpoints.get(i) {
                self.sim = cp.clone();
            }
        }
        while self.pos() < target {
            if !self.advance() {
                break;
            }
        }
        self.pos()
    }

    /// Compute up to `steps` steps in total (from the start), staying where we are.
    pub fn extend_to(&mut self, steps: u64) {
        let here = self.pos();
        self.seek(steps);
        self.seek(here);
    }

    /// Do `action` now: drop the future after the current step, log the action, and run
    /// it (it is the next step). If nothing can run, not even the action (a command for a
    /// paused node when nothing else is due), it stays logged at this step without being
    /// run, and runs with what the person does next here (resuming the node, say). Returns
    /// true if that dropped steps that had been computed.
    pub fn apply(&mut self, action: Action<P::Cmd>) -> bool {
        let pos = self.pos();
        let forked = self.fork_at(pos);
        // After what a person did at this step that could not run yet (kept by `fork_at`),
        // before any scripted action due at this step: what the person did comes first.
        let start = self.actions.partition_point(|a| a.step < pos);
        let at = self.actions[start..]
            .iter()
            .take_while(|a| a.step == pos)
            .enumerate()
            .filter(|(_, a)| !a.scripted)
            .last()
            .map_or(start, |(i, _)| start + i + 1);
        self.actions.insert(
            at,
            TimedAction {
                step: pos,
                action,
                scripted: false,
            },
        );
        self.advance();
        forked
    }

    /// Forget everything from step `pos` on: computed steps, checkpoints after it, and
    /// a person's actions after it (scripted ones stay). A person's actions at `pos` go too
    /// if step `pos` was computed (they belong to the future being dropped); if it was not,
    /// they have not run yet (the run could not go on: a command for a paused node, say)
    /// and stay. Returns true if any computed step was dropped.
    fn fork_at(&mut self, pos: u64) -> bool {
        let forked = self.horizon() > pos;
        self.trace.truncate(pos);
        self.ended = false;
        let keep = (pos / self.interval + 1) as usize;
        self.checkpoints.truncate(keep);
        self.actions
            .retain(|a| a.step < pos || a.scripted || (a.step == pos && !forked));
        forked
    }

    /// The actions a person did (not the script), for sharing.
    pub fn user_actions(&self) -> impl Iterator<Item = &TimedAction<P::Cmd>> {
        self.actions.iter().filter(|a| !a.scripted)
    }

    /// Replace the whole action log (scripted and not), going back to the start. Used when
    /// a scenario is loaded and to restore a shared state.
    pub fn set_actions(&mut self, actions: Vec<TimedAction<P::Cmd>>) {
        self.seek(0);
        self.fork_at(0);
        self.actions = crate::ordered::by_step(actions);
    }
}
