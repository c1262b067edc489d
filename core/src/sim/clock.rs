//! A node's clock and what holds a node down: the parts of a node's status that fault
//! windows compose over.

use super::Time;

/// Rates are kept in thousandths, so that reading a clock is integer arithmetic, the same
/// on every target.
const ONE: u64 = 1000;

/// A node's clock: it reads `local` at real time `real`, and runs at `rate` thousandths of
/// real time since. A good clock reads the real time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Clock {
    real: Time,
    local: Time,
    /// The rate set outside any window.
    base: u64,
    /// Rates set by open windows, in the order they opened: the last is in force.
    windows: Vec<(u32, u64)>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            real: 0,
            local: 0,
            base: ONE,
            windows: Vec::new(),
        }
    }
}

/// A rate as thousandths (validated to [`super::CLOCK_RATES`] before).
pub(super) fn thousandths(rate: f64) -> u64 {
    (rate * ONE as f64).round().max(1.0) as u64
}

impl Clock {
    fn rate(&self) -> u64 {
        self.windows.last().map_or(self.base, |&(_, r)| r)
    }

    /// The rate in force, as a factor of real time.
    pub(super) fn factor(&self) -> f64 {
        self.rate() as f64 / ONE as f64
    }

    /// Whether the clock runs at the right rate and has never jumped.
    pub(super) fn is_good(&self) -> bool {
        self.rate() == ONE && self.local == self.real
    }

    /// What the clock reads at real time `now` (not before the last change).
    pub(super) fn read(&self, now: Time) -> Time {
        // Times stay far below what overflows (a day is 8.64e7 ms, rates at most 1e4).
        let elapsed = now.saturating_sub(self.real);
        self.local
            .saturating_add(elapsed.saturating_mul(self.rate()) / ONE)
    }

    /// The real time at which the clock reads `local` (`now` if it already does).
    pub(super) fn real_at(&self, local: Time, now: Time) -> Time {
        let here = self.read(now);
        if local <= here {
            return now;
        }
        let ticks = local - self.local;
        let real = ticks.saturating_mul(ONE).div_ceil(self.rate());
        self.real.saturating_add(real).max(now)
    }

    /// Start counting from real time `now`, so that a change applies from now on.
    fn anchor(&mut self, now: Time) {
        self.local = self.read(now);
        self.real = now;
    }

    /// Set the rate (thousandths) at real time `now`, for good or while window `w` is
    /// open. For good, it also takes the rate from the windows still open.
    pub(super) fn set_rate(&mut self, now: Time, rate: u64, window: Option<u32>) {
        self.anchor(now);
        match window {
            Some(w) => match self.windows.iter_mut().find(|(x, _)| *x == w) {
                Some(slot) => slot.1 = rate,
                None => self.windows.push((w, rate)),
            },
            None => {
                self.windows.clear();
                self.base = rate;
            }
        }
    }

    /// Jump by `by` ms at real time `now` (never below 0).
    pub(super) fn jump(&mut self, now: Time, by: i64) {
        self.anchor(now);
        self.local = if by >= 0 {
            self.local.saturating_add(by.unsigned_abs())
        } else {
            self.local.saturating_sub(by.unsigned_abs())
        };
    }

    /// Take away the rate window `w` set. False if it had set none.
    pub(super) fn end_window(&mut self, now: Time, w: u32) -> bool {
        let Some(i) = self.windows.iter().position(|(x, _)| *x == w) else {
            return false;
        };
        self.anchor(now);
        self.windows.remove(i);
        true
    }
}

/// What keeps a node crashed (or paused): open windows, and a fault outside any window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Holds {
    pub windows: Vec<u32>,
    /// A crash (pause) outside any window: only a restart (resume) ends it.
    pub manual: bool,
}

impl Holds {
    pub fn clear(&mut self) {
        self.windows.clear();
        self.manual = false;
    }

    pub fn hold(&mut self, window: Option<u32>) {
        match window {
            Some(w) if !self.windows.contains(&w) => self.windows.push(w),
            Some(_) => {}
            None => self.manual = true,
        }
    }

    /// Window `w` lets go. True if it held and nothing holds any more.
    pub fn release(&mut self, w: u32) -> bool {
        let before = self.windows.len();
        self.windows.retain(|&x| x != w);
        before != self.windows.len() && self.windows.is_empty() && !self.manual
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_clock_reads_real_time_and_timers_fire_on_time() {
        let c = Clock::default();
        assert!(c.is_good());
        for t in [0, 1, 17, 1_000_000] {
            assert_eq!(c.read(t), t);
            assert_eq!(c.real_at(t + 40, t), t + 40);
        }
    }

    #[test]
    fn slow_and_fast_clocks_stretch_and_shrink_timers() {
        let mut c = Clock::default();
        c.set_rate(100, thousandths(0.5), Some(1));
        assert_eq!(c.read(300), 200);
        // 60 ms by this clock take 120 ms.
        assert_eq!(c.real_at(c.read(300) + 60, 300), 420);
        c.set_rate(300, thousandths(2.0), Some(2));
        assert_eq!(c.read(400), 400);
        assert!(c.end_window(400, 2));
        assert_eq!(c.read(500), 450);
        assert!(c.end_window(500, 1));
        assert!(!c.end_window(500, 1));
        assert_eq!(c.read(600), 550);
        assert!(!c.is_good(), "it is still 50 ms behind");
    }

    #[test]
    fn jumps_move_the_reading_not_below_zero() {
        let mut c = Clock::default();
        c.jump(100, 250);
        assert_eq!(c.read(100), 350);
        assert_eq!(
            c.real_at(300, 100),
            100,
            "a deadline already passed is due now"
        );
        c.jump(200, -10_000);
        assert_eq!(c.read(200), 0);
        assert_eq!(c.read(250), 50);
    }

    #[test]
    fn holds_let_go_when_the_last_ends() {
        let mut h = Holds::default();
        h.hold(Some(1));
        h.hold(Some(2));
        assert!(!h.release(1));
        assert!(h.release(2));
        h.hold(Some(3));
        h.hold(None);
        assert!(!h.release(3), "a crash outside any window still holds");
    }
}
