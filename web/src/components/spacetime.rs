//! The space-time diagram every algorithm page shares: one lane per node with time flowing
//! to the right, an arrow per message from its send to its delivery, lost messages ending in
//! a cross, crashes, pauses and partitions drawn on the lanes, and the current time as a
//! line. Clicking a message or a step seeks there.
//!
//! Only a window of time around the current time is drawn (the last few hundred steps at
//! most), so the cost of a frame does not grow with the length of the run. Nothing after the
//! current step is shown: a message still travelling is drawn up to the current time, with
//! the fate known at this step.
//!
//! The drawing is in pixels (the SVG is measured, not scaled), so text keeps its size and
//! follows the page's font size (presenter mode). Everything that moves with time sits in
//! one group that is translated as the window pans; the coordinates inside it are absolute
//! (time times scale), so they do not change from frame to frame.

use super::cluster::{f, label_colour, NODE_COLOURS};
use super::{use_clock, use_shell};
use crate::math;
use crate::store::{Live, ShellMsg};
use dsplay_core::decimal::{fixed, short};
use dsplay_core::session::{MsgView, Session, StepView};
use dsplay_core::trace::{DropReason, Fate};
use dsplay_core::{NodeStatus, Time};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use web_sys::js_sys::{self, Array, Function, Reflect};
use web_sys::wasm_bindgen::closure::Closure;
use web_sys::wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

/// The default window spans about this many steps (from the run's average step rate).
const STEPS_IN_VIEW: f64 = 40.0;
/// The default window is at least this long (ms).
const MIN_SPAN: f64 = 300.0;
/// At most this many steps before the current one are looked at.
const MAX_STEPS: u64 = 400;
/// Where the current time sits across the plot (the rest shows a little of what follows).
const NOW_AT: f64 = 0.9;
/// How far the window jumps when the current time reaches [`NOW_AT`], as a share of it.
const PAGE: f64 = 0.5;
/// A message lost on the way (when sent) is drawn vanishing at this fraction of its way.
const LOST_AT: f64 = 0.5;
/// Index of 300 ms in [`span_at`]'s sequence: the smallest default window.
const MIN_SPAN_INDEX: i32 = 5;
/// How far the zoom buttons go from the default, in steps of [`span_at`].
const MAX_ZOOM: i32 = 12;

/// The box the diagram fills, and the size of its text, in CSS pixels.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Size {
    w: f64,
    h: f64,
    em: f64,
}

impl Size {
    /// Before the first measurement: the diagram panel at 1280 x 720.
    const DEFAULT: Size = Size {
        w: 860.0,
        h: 200.0,
        em: 14.0,
    };
}

/// The box's size and the text size (a hidden 1em probe), if laid out.
fn measure(boxed: &NodeRef, probe: &NodeRef) -> Option<Size> {
    let b = boxed.cast::<web_sys::Element>()?;
    let (w, h) = (f64::from(b.client_width()), f64::from(b.client_height()));
    let em = probe
        .cast::<web_sys::Element>()
        .map(|p| f64::from(p.client_width()))
        .filter(|x| *x > 0.0)
        .unwrap_or(Size::DEFAULT.em);
    (w > 0.0 && h > 0.0).then_some(Size { w, h, em })
}

/// Calls a function whenever one of some elements changes size (a `ResizeObserver`, reached
/// through `js_sys` because web-sys's own binding needs a feature this crate does not turn
/// on), or, in a browser without one, when the window is resized. Stops when dropped.
struct Watch {
    target: JsValue,
    cb: Closure<dyn Fn()>,
    observer: bool,
}

impl Watch {
    fn new(f: impl Fn() + 'static, els: &[web_sys::Element]) -> Option<Watch> {
        let cb = Closure::<dyn Fn()>::new(f);
        let ctor = Reflect::get(&js_sys::global(), &"ResizeObserver".into()).ok();
        if let Some(ctor) = ctor.as_ref().and_then(|c| c.dyn_ref::<Function>()) {
            let obs = Reflect::construct(ctor, &Array::of1(cb.as_ref())).ok()?;
            let observe: Function = Reflect::get(&obs, &"observe".into())
                .ok()?
                .dyn_into()
                .ok()?;
            for el in els {
                let _ = observe.call1(&obs, el);
            }
            return Some(Watch {
                target: obs,
                cb,
                observer: true,
            });
        }
        let win = gloo::utils::window();
        win.add_event_listener_with_callback("resize", cb.as_ref().unchecked_ref())
            .ok()?;
        Some(Watch {
            target: win.into(),
            cb,
            observer: false,
        })
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if self.observer {
            if let Some(d) = Reflect::get(&self.target, &"disconnect".into())
                .ok()
                .and_then(|d| d.dyn_into::<Function>().ok())
            {
                let _ = d.call0(&self.target);
            }
        } else if let Some(w) = self.target.dyn_ref::<web_sys::Window>() {
            let _ =
                w.remove_event_listener_with_callback("resize", self.cb.as_ref().unchecked_ref());
        }
    }
}

/// The run's messages, kept between renders: the list costs a string per message to make,
/// and a run can have many thousands. The trace is a function of the scenario and of what
/// people did, so the list stays right while the session, its user actions and the computed
/// steps it covers stay the same.
struct MsgCache {
    session: Weak<RefCell<dyn Session>>,
    actions: String,
    horizon: u64,
    msgs: Rc<Vec<MsgView>>,
}

/// The steps shown before the current one (at most `MAX_STEPS`, back to time `t0`) and
/// the time of the last step computed, for one state of one session (`key`: the session
/// and its version). Narrating steps costs: this is made once per state and kept while
/// the window only slides forward in time (playback frames), not once per frame.
struct RecentSteps {
    key: (usize, u64),
    end_time: f64,
    t0: f64,
    views: Rc<Vec<StepView>>,
}

impl RecentSteps {
    fn new(key: (usize, u64), s: &dyn Session) -> Self {
        let end_time = s
            .horizon()
            .checked_sub(1)
            .and_then(|i| s.step_view(i))
            .map_or(0.0, |v| v.time as f64);
        RecentSteps {
            key,
            end_time,
            t0: f64::INFINITY,
            views: Rc::new(Vec::new()),
        }
    }

    /// The steps from time `t0` on, oldest first; computed again only when `t0` is earlier
    /// than what is kept.
    fn since(&mut self, t0: f64, s: &dyn Session) -> Rc<Vec<StepView>> {
        if t0 < self.t0 {
            let pos = s.pos();
            let mut views = Vec::new();
            let mut i = pos;
            while i > 0 && pos - i < MAX_STEPS {
                i -= 1;
                match s.step_view(i) {
                    Some(v) if v.time as f64 >= t0 => views.push(v),
                    _ => break,
                }
            }
            views.reverse();
            self.views = Rc::new(views);
            self.t0 = t0;
        }
        self.views.clone()
    }
}

/// The fate and resolving step of each message in flight, by id, for one state of one
/// session (`key`: the session and its version).
/// The fates of the messages in flight (fate and resolving step), by message id (a short
/// list: a scan finds one).
type Fates = Vec<(u64, (Fate, Option<u64>))>;
type FlyingFates = ((usize, u64), Rc<Fates>);

/// Every message of the run (up to the computed horizon), from the cache when it is valid
/// for the current step.
fn cached_messages(
    cache: &Rc<RefCell<Option<MsgCache>>>,
    session: &Live,
    s: &dyn Session,
) -> Rc<Vec<MsgView>> {
    let actions = s.user_actions_json();
    let pos = s.pos();
    let mut c = cache.borrow_mut();
    if let Some(c) = c
        .as_ref()
        .filter(|c| session.is(&c.session) && c.actions == actions && pos <= c.horizon)
    {
        return c.msgs.clone();
    }
    let msgs = Rc::new(s.messages());
    *c = Some(MsgCache {
        session: session.weak(),
        actions,
        horizon: s.horizon(),
        msgs: msgs.clone(),
    });
    msgs
}

/// Window lengths: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten, from 100 ms.
fn span_at(i: i32) -> f64 {
    const M: [f64; 10] = [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0];
    M[i.rem_euclid(10) as usize] * 10f64.powi(i.div_euclid(10) + 2)
}

/// The smallest index whose window is at least `ms` long (and at least [`MIN_SPAN`]).
fn span_index(ms: f64) -> i32 {
    let want = ms.max(MIN_SPAN);
    (MIN_SPAN_INDEX..80)
        .find(|&i| span_at(i) >= want)
        .unwrap_or(80)
}

/// A tick spacing of 1, 2 or 5 times a power of ten, at least `raw`.
fn tick_step(raw: f64) -> f64 {
    let raw = raw.max(1.0);
    let p = math::pow(10.0, math::log10(raw).floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

/// Where things go. Inside the plot, x is `time * k` (the plot group is translated by
/// `-t0 * k`), y is absolute.
struct Geo {
    em: f64,
    /// Left edge of the plot (the gutter's width) and its width.
    x0: f64,
    plot_w: f64,
    /// Top of the first lane's band and bottom of the last.
    top: f64,
    bottom: f64,
    lane_h: f64,
    /// Pixels per millisecond.
    k: f64,
    t0: f64,
    t1: f64,
}

impl Geo {
    fn y(&self, lane: u32) -> f64 {
        self.top + self.lane_h * (f64::from(lane) + 0.5)
    }
    fn x(&self, t: f64) -> f64 {
        t * self.k
    }
    /// The strip above the lanes where node-less events (network changes) go.
    fn net_y(&self) -> f64 {
        self.top * 0.5
    }
}

/// A quadratic path (straight when the control point is the midpoint).
#[derive(Clone, Copy, PartialEq, Debug)]
struct Curve {
    s: (f64, f64),
    c: (f64, f64),
    e: (f64, f64),
}

impl Curve {
    fn new(s: (f64, f64), e: (f64, f64), bow: f64) -> Curve {
        let mid = ((s.0 + e.0) / 2.0, (s.1 + e.1) / 2.0);
        Curve {
            s,
            c: (mid.0, mid.1 - bow),
            e,
        }
    }
    fn at(&self, t: f64) -> (f64, f64) {
        let u = 1.0 - t;
        (
            u * u * self.s.0 + 2.0 * u * t * self.c.0 + t * t * self.e.0,
            u * u * self.s.1 + 2.0 * u * t * self.c.1 + t * t * self.e.1,
        )
    }
    /// The part from the start to fraction `t`.
    fn until(&self, t: f64) -> Curve {
        Curve {
            s: self.s,
            c: (
                self.s.0 + (self.c.0 - self.s.0) * t,
                self.s.1 + (self.c.1 - self.s.1) * t,
            ),
            e: self.at(t),
        }
    }
    fn d(&self) -> String {
        format!(
            "M{} {}Q{} {} {} {}",
            f(self.s.0),
            f(self.s.1),
            f(self.c.0),
            f(self.c.1),
            f(self.e.0),
            f(self.e.1)
        )
    }
    /// An arrowhead at the end, `a` long.
    fn head(&self, a: f64) -> String {
        let (dx, dy) = (self.e.0 - self.c.0, self.e.1 - self.c.1);
        let (dx, dy) = if dx.abs() + dy.abs() < 1e-6 {
            (self.e.0 - self.s.0, self.e.1 - self.s.1)
        } else {
            (dx, dy)
        };
        let l = (dx * dx + dy * dy).sqrt().max(1e-6);
        let (ux, uy) = (dx / l, dy / l);
        let (bx, by) = (self.e.0 - ux * a, self.e.1 - uy * a);
        let (px, py) = (-uy * a * 0.45, ux * a * 0.45);
        format!(
            "M{} {}L{} {}L{} {}Z",
            f(self.e.0),
            f(self.e.1),
            f(bx + px),
            f(by + py),
            f(bx - px),
            f(by - py)
        )
    }
}

/// An X centred at `(x, y)`, `r` from the centre to each arm's end.
fn cross_d(x: f64, y: f64, r: f64) -> String {
    format!(
        "M{} {}L{} {}M{} {}L{} {}",
        f(x - r),
        f(y - r),
        f(x + r),
        f(y + r),
        f(x + r),
        f(y - r),
        f(x - r),
        f(y + r)
    )
}

/// A stretch of a lane during which the node was down or paused.
struct Stretch {
    node: u32,
    from: f64,
    to: f64,
    /// Whether it began inside the window (its start gets a mark).
    starts: bool,
    /// Still going at the current step.
    ongoing: bool,
}

/// A time during which the network was split: all lanes (a partition, with each node's
/// group) or two (one cut link).
struct Band {
    from: f64,
    to: f64,
    label: String,
    /// Group of each node for a partition (None: in no group drawn), or the two cut ends.
    groups: Vec<Option<usize>>,
    starts: bool,
    /// The fault window that cut it, whose end ends it (None: until the next partition or
    /// heal).
    window: Option<u32>,
}

/// What a fault step did (from the core's typed record of the step).
enum FaultKind {
    Crash,
    Restart,
    Pause,
    Resume,
    /// Each node's group.
    Partition(Vec<Option<usize>>),
    /// The two ends.
    /// The two ends, and whether only the first to the second is cut.
    Cut(u32, u32, bool),
    Heal,
    /// A fault window ended (what it cut is restored; cuts still in force are drawn
    /// from the network as it is now).
    End,
    Other,
}

fn fault_kind(v: &StepView, nodes: usize) -> FaultKind {
    use dsplay_core::session::FaultKind as F;
    match &v.fault_kind {
        Some(F::Crash { .. }) => FaultKind::Crash,
        Some(F::Restart { .. }) => FaultKind::Restart,
        Some(F::Pause { .. }) => FaultKind::Pause,
        Some(F::Resume { .. }) => FaultKind::Resume,
        Some(F::Partition { groups }) => FaultKind::Partition(partition_groups(groups, nodes)),
        Some(F::Cut { a, b, one_way }) => FaultKind::Cut(*a, *b, *one_way),
        Some(F::Heal) => FaultKind::Heal,
        Some(F::End { .. }) => FaultKind::End,
        _ => FaultKind::Other,
    }
}

/// Whether the kernel said the step did nothing ("nothing happens: the node is down").
fn no_op(v: &StepView) -> bool {
    v.no_op
}

/// Each node's group; nodes in no group form one more (as the kernel does).
fn partition_groups(groups: &[Vec<u32>], nodes: usize) -> Vec<Option<usize>> {
    let mut g: Vec<Option<usize>> = vec![None; nodes];
    for (i, members) in groups.iter().enumerate() {
        for &n in members {
            if let Some(x) = g.get_mut(n as usize) {
                *x = Some(i);
            }
        }
    }
    for x in g.iter_mut().filter(|x| x.is_none()) {
        *x = Some(groups.len());
    }
    g
}

#[function_component(SpaceTime)]
pub fn spacetime_component() -> Html {
    let store = use_shell();
    let clock = use_clock();
    let boxed = use_node_ref();
    let probe = use_node_ref();
    let size = use_state_eq(|| Size::DEFAULT);
    let zoom = use_state(|| 0i32);
    let cache = use_mut_ref(|| None::<MsgCache>);
    let recent_cache = use_mut_ref(|| None::<RecentSteps>);
    let flying_cache = use_mut_ref(|| None::<FlyingFates>);

    // Measure when the box or the text size changes (observing the box and the 1em probe),
    // never during a render: reading sizes then would force a layout on every frame.
    {
        let (size, boxed, probe) = (size.clone(), boxed.clone(), probe.clone());
        use_effect_with((), move |_| {
            let els: Vec<web_sys::Element> =
                [boxed.cast(), probe.cast()].into_iter().flatten().collect();
            let update = move || {
                if let Some(s) = measure(&boxed, &probe) {
                    size.set(s);
                }
            };
            update();
            let watch = Watch::new(update, &els);
            move || drop(watch)
        });
    }

    let s = store.session.borrow();
    let names = s.names();
    let n = names.len() as u32;
    let pos = s.pos();
    let now = clock.shown.max(s.time() as f64);
    let Size { w, h, em } = *size;
    // The steps before this one (narrated), made once per state rather than per frame.
    let key = (store.session.id(), store.session.version());
    let mut recent = recent_cache.borrow_mut();
    if recent.as_ref().is_none_or(|r| r.key != key) {
        *recent = Some(RecentSteps::new(key, &*s));
    }
    let recent = recent.as_mut().expect("just made");

    // The window: about STEPS_IN_VIEW steps at the run's average rate, then the zoom.
    let horizon = s.horizon();
    let end_time = recent.end_time;
    let per_step = if horizon > 0 {
        end_time / horizon as f64
    } else {
        0.0
    };
    // A short run is shown whole rather than lost in a long window.
    let base = span_index((per_step * STEPS_IN_VIEW).min(end_time * 1.05));
    let level = (base + *zoom).max(0);
    let span = span_at(level);

    let name_chars = names
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(2)
        .max(2) as f64;
    let x0 = (em * (1.7 + 0.62 * name_chars)).max(em * 4.2);
    let plot_w = (w - x0 - em * 0.4).max(10.0);
    let top = em * 1.5;
    let axis_h = em * 1.5;
    let bottom = (h - axis_h).max(top + 10.0);
    let lane_h = (bottom - top) / f64::from(n.max(1));
    let k = plot_w / span;
    // The window moves in jumps of half its width (the current time between 40% and 90%
    // across), not a little on every frame: between two jumps nothing already drawn moves,
    // so a frame repaints only what changed. Shifting all of it on every frame repainted
    // the whole diagram each time.
    let page = span * PAGE;
    let t0 = (((now - NOW_AT * span) / page).ceil() * page).max(-0.02 * span);
    let g = Geo {
        em,
        x0,
        plot_w,
        top,
        bottom,
        lane_h,
        k,
        t0,
        t1: t0 + span,
    };

    // Steps in the window, oldest first (at most MAX_STEPS).
    let kept = recent.since(g.t0, &*s);
    let first = kept
        .iter()
        .position(|v| v.time as f64 >= g.t0)
        .unwrap_or(kept.len());
    let views: &[StepView] = &kept[first..];
    // Before this, nothing is known: stretches already going start off-screen.
    let before = g.t0 - 0.05 * span;

    // Crashes, pauses and cuts, from the fault steps in the window and the current status.
    let mut down: Vec<Stretch> = Vec::new();
    let mut paused: Vec<Stretch> = Vec::new();
    let mut bands: Vec<Band> = Vec::new();
    let mut open_bands: Vec<Band> = Vec::new();
    let mut down_since: Vec<Option<f64>> = vec![None; n as usize];
    let mut paused_since: Vec<Option<f64>> = vec![None; n as usize];
    let close = |open: &mut Vec<Band>, bands: &mut Vec<Band>, t: f64| {
        for mut b in open.drain(..) {
            b.to = t;
            bands.push(b);
        }
    };
    // The end of a window ends the bands it opened, and only those.
    let end_window = |open: &mut Vec<Band>, bands: &mut Vec<Band>, t: f64, w: Option<u32>| {
        let (ended, kept): (Vec<Band>, Vec<Band>) =
            open.drain(..).partition(|b| w.is_some() && b.window == w);
        *open = kept;
        for mut b in ended {
            b.to = t;
            bands.push(b);
        }
    };
    for v in views.iter().filter(|v| v.fault && !no_op(v)) {
        let t = v.time as f64;
        // Down and paused stretches follow the statuses the steps changed (a crash, a
        // restart, a window's end bringing back every node it held).
        for &(x, was, status) in v.status.iter().filter(|(x, ..)| *x < n) {
            // The stretch it was in ends here (coming in from the left if it began
            // before the window).
            let ended = match was {
                NodeStatus::Crashed { .. } => Some((&mut down_since, &mut down)),
                NodeStatus::Paused { .. } => Some((&mut paused_since, &mut paused)),
                NodeStatus::Up => None,
            };
            if let Some((since, list)) = ended {
                let from = since[x as usize].take();
                list.push(Stretch {
                    node: x,
                    from: from.unwrap_or(before),
                    to: t,
                    starts: from.is_some(),
                    ongoing: false,
                });
            }
            match status {
                NodeStatus::Crashed { .. } => down_since[x as usize] = Some(t),
                NodeStatus::Paused { .. } => paused_since[x as usize] = Some(t),
                NodeStatus::Up => {}
            }
        }
        match (fault_kind(v, names.len()), v.node) {
            (FaultKind::Partition(groups), _) => {
                // A partition outside a window replaces every cut; one in a window adds
                // its own.
                if v.window.is_none() {
                    close(&mut open_bands, &mut bands, t);
                }
                let count = groups.iter().flatten().max().map_or(0, |m| m + 1);
                let sides: Vec<String> = (0..count)
                    .map(|k| {
                        let members: Vec<&str> = names
                            .iter()
                            .zip(&groups)
                            .filter(|(_, g)| **g == Some(k))
                            .map(|(name, _)| name.as_str())
                            .collect();
                        format!("{{{}}}", members.join(" "))
                    })
                    .collect();
                open_bands.push(Band {
                    from: t,
                    to: t,
                    label: format!("partition {}", sides.join(" | ")),
                    groups,
                    starts: true,
                    window: v.window,
                });
            }
            (FaultKind::Cut(a, b, one_way), _) => {
                let mut groups = vec![None; n as usize];
                for (j, end) in [a, b].iter().enumerate() {
                    if let Some(g) = groups.get_mut(*end as usize) {
                        *g = Some(j);
                    }
                }
                let name = |x: u32| names.get(x as usize).map_or("?", |s| s.as_str());
                open_bands.push(Band {
                    from: t,
                    to: t,
                    label: format!(
                        "cut {} {} {}",
                        name(a),
                        if one_way { "→" } else { "↔" },
                        name(b)
                    ),
                    groups,
                    starts: true,
                    window: v.window,
                });
            }
            (FaultKind::End, _) => end_window(&mut open_bands, &mut bands, t, v.window),
            (FaultKind::Heal, _) => {
                if open_bands.is_empty() {
                    open_bands.push(Band {
                        from: before,
                        to: t,
                        label: "network cut".into(),
                        groups: vec![Some(0); n as usize],
                        starts: false,
                        window: None,
                    });
                }
                close(&mut open_bands, &mut bands, t);
            }
            _ => {}
        }
    }
    let cuts = s.cut_links();
    if open_bands.is_empty() && !cuts.is_empty() {
        let mut groups = vec![None; n as usize];
        for (a, b) in &cuts {
            for x in [a, b] {
                if let Some(slot) = groups.get_mut(*x as usize) {
                    *slot = Some(0);
                }
            }
        }
        let pairs: Vec<String> = cuts
            .iter()
            .map(|(a, b)| format!("{}↔{}", name_of(names, *a), name_of(names, *b)))
            .collect();
        open_bands.push(Band {
            from: before,
            to: now,
            label: format!("cut {}", pairs.join(" ")),
            groups,
            starts: false,
            window: None,
        });
    }
    close(&mut open_bands, &mut bands, now);
    for x in 0..n {
        match s.status(x) {
            Some(NodeStatus::Crashed { since }) => down.push(Stretch {
                node: x,
                from: (since as f64).max(before),
                to: now,
                starts: since as f64 >= g.t0,
                ongoing: true,
            }),
            Some(NodeStatus::Paused { since }) => paused.push(Stretch {
                node: x,
                from: (since as f64).max(before),
                to: now,
                starts: since as f64 >= g.t0,
                ongoing: true,
            }),
            _ => {}
        }
    }

    // Messages sent before the current step that show in the window, with the fate known now.
    let all = cached_messages(&cache, &store.session, &*s);
    // The fates known at this step, made once per state (not on every frame of playback:
    // each message in flight is described in words on the way).
    let flying = {
        let mut c = flying_cache.borrow_mut();
        match c.as_ref().filter(|(k, _)| *k == key) {
            Some((_, m)) => m.clone(),
            None => {
                let m: Rc<Fates> = Rc::new(
                    s.in_flight()
                        .into_iter()
                        .map(|m| (m.id, (m.fate, m.resolved_step)))
                        .collect(),
                );
                *c = Some((key, m.clone()));
                m
            }
        }
    };
    let all = &all[..all.partition_point(|m| m.sent_step < pos)];
    let lane_names: Vec<Rc<str>> = names.iter().map(|x| Rc::from(x.as_str())).collect();
    let lane_name = |i: u32| {
        lane_names
            .get(i as usize)
            .cloned()
            .unwrap_or_else(|| Rc::from("?"))
    };
    let selected = store.selected_msg;
    let mut labels: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut arrows: Vec<ArrowProps> = Vec::new();
    let mut moving = Moving::default();
    for m in all.iter().rev() {
        let (fate, resolved) = match flying.iter().find(|(id, _)| *id == m.id).map(|(_, f)| f) {
            Some(&v) => v,
            None => (m.fate, m.resolved_step),
        };
        let (ts, td) = (m.sent_at as f64, m.deliver_at as f64);
        let lost_on_way = matches!(fate, Fate::Dropped { .. }) && resolved == Some(m.sent_step);
        let drop_at = match fate {
            Fate::Dropped { .. } if lost_on_way => Some(ts + LOST_AT * (td - ts)),
            Fate::Dropped {
                reason: DropReason::User,
            } => resolved.map(|r| {
                views
                    .iter()
                    .find(|v| v.index == r)
                    .map(|v| v.time as f64)
                    .or_else(|| s.step_view(r).map(|v| v.time as f64))
                    .unwrap_or(td)
            }),
            Fate::Dropped { .. } => Some(td),
            _ => None,
        };
        let end = match fate {
            Fate::InFlight => now.min(td),
            Fate::Delivered => td,
            Fate::Dropped { .. } => drop_at.unwrap_or(td).min(now),
        };
        if ts > g.t1 || end < g.t0 {
            continue;
        }
        let frac_at = |t: f64| {
            if td > ts {
                ((t - ts) / (td - ts)).clamp(0.0, 1.0)
            } else {
                1.0
            }
        };
        let (frac, ended) = match fate {
            Fate::Delivered => (1.0, true),
            Fate::InFlight => (frac_at(now), false),
            Fate::Dropped { .. } => {
                let at = drop_at.unwrap_or(td);
                (frac_at(at.min(now)), now >= at)
            }
        };
        let bow = if m.from == m.to { g.lane_h * 0.45 } else { 0.0 };
        let full = Curve::new((g.x(ts), g.y(m.from)), (g.x(td), g.y(m.to)), bow);
        let path = if frac >= 1.0 { full } else { full.until(frac) };
        // The label at the middle of what is drawn, if it overlaps no other label.
        let (mx, my) = path.at(0.5);
        let lw = g.em * 0.82 * 0.7 * m.label.chars().count() as f64 + g.em * 0.4;
        let lh = g.em * 0.95;
        let seg = math::hypot(path.e.0 - path.s.0, path.e.1 - path.s.1);
        let (lx, ly) = (mx + g.em * 0.3, my + g.em * 0.3);
        let rect = (lx, ly - lh * 0.8, lx + lw, ly + lh * 0.2);
        let room = seg >= lh * 1.2
            && rect.0 >= g.x(g.t0)
            && rect.2 <= g.x(g.t1)
            && !labels
                .iter()
                .any(|r| rect.0 < r.2 && r.0 < rect.2 && rect.1 < r.3 && r.1 < rect.3);
        if room {
            labels.push(rect);
        }
        // While playing, a message on its way joins the others of its colour: their lines
        // are one path and their dots another, written once per frame.
        if store.playing && fate == Fate::InFlight && selected != Some(m.id) {
            moving.add(m, &path, room.then_some((lx, ly)), g.em);
            continue;
        }
        arrows.push(ArrowProps {
            id: m.id,
            label: m.label,
            from: lane_name(m.from),
            to: lane_name(m.to),
            sent_step: m.sent_step,
            ts,
            td,
            full,
            frac,
            fate,
            ended,
            lost_on_way,
            drop_at,
            dup: m.duplicate,
            selected: selected == Some(m.id),
            label_at: room.then_some((lx, ly)),
            em: g.em,
            text: m.text.clone(),
        });
    }
    let shown = arrows.len() + moving.count;
    let msg_html = arrows.into_iter().rev().map(|p| {
        let key = p.id;
        html! { <Arrow {key} ..p /> }
    });

    let actor = s.last_actor();
    let step_html = views.iter().map(|v| {
        let node = v.node.filter(|x| *x < n);
        let current = v.index + 1 == pos;
        html! {
            <StepDot key={v.index} index={v.index} time={v.time} {node}
                x={g.x(v.time as f64)} y={node.map_or(g.net_y(), |i| g.y(i))} em={g.em}
                fault={v.fault} user={v.user} {current} violation={!v.violations.is_empty()}
                head={v.narration.first().cloned().unwrap_or_default()}
                who={node.map(lane_name)} />
        }
    });
    let violation_html = views
        .iter()
        .filter(|v| !v.violations.is_empty())
        .map(|v| violation_mark(v, &g, n));

    // Lanes, names, the crash and pause stretches, the cuts.
    let gutter = (0..n).map(|i| {
        let y = g.y(i);
        let mut class = classes!("st-name", format!("c{}", i as usize % NODE_COLOURS));
        if actor == Some(i) {
            class.push("acted");
        }
        let status = match s.status(i) {
            Some(NodeStatus::Crashed { .. }) => ", crashed",
            Some(NodeStatus::Paused { .. }) => ", paused",
            _ => "",
        };
        html! {
            <g {class} key={i}>
                <title>{ format!("{}{status}", name_of(names, i)) }</title>
                <rect class="st-swatch" x={f(em * 0.45)} y={f(y - em * 0.4)} width={f(em * 0.8)} height={f(em * 0.8)} rx="2" />
                <text x={f(em * 1.5)} y={f(y + em * 0.35)}>{ name_of(names, i) }</text>
            </g>
        }
    });
    let lanes = (0..n).map(|i| {
        let y = f(g.y(i));
        html! {
            <line class={classes!("st-lane", format!("c{}", i as usize % NODE_COLOURS))} key={i}
                x1={f(g.x0)} x2={f(g.x0 + g.plot_w)} y1={y.clone()} y2={y} />
        }
    });
    // Keys are positions in these lists, unique by construction: two stretches or bands
    // can begin at the same instant (a crash, a restart and a crash again in one moment).
    let band_html = bands.iter().enumerate().map(|(i, b)| band(i, b, &g, n));
    let down_html = down
        .iter()
        .enumerate()
        .map(|(i, st)| stretch(i, st, &g, names, true));
    let paused_html = paused
        .iter()
        .enumerate()
        .map(|(i, st)| stretch(i, st, &g, names, false));

    // Ticks: labels at least ~5.5em apart, none under the current time's label.
    let step = tick_step(span / (plot_w / (em * 5.5)).max(1.0));
    let now_x = g.x(now);
    let first = (g.t0.max(0.0) / step).ceil() as i64;
    let last = (g.t1 / step).floor() as i64;
    let ticks = (first..=last).map(|j| {
        let t = j as f64 * step;
        let x = g.x(t);
        let text = format!("{} ms", t as i64);
        // Half the label's width: labels cut by the plot's edges are left out.
        let half = em * 0.85 * 0.3 * text.len() as f64;
        let show = (x - now_x).abs() >= em * 4.0 && x - half >= g.x(g.t0) && x + half <= g.x(g.t1);
        html! {
            <g class="st-tick" key={j}>
                <line x1={f(x)} x2={f(x)} y1={f(g.top)} y2={f(g.bottom)} />
                if show {
                    <text x={f(x)} y={f(g.bottom + em * 1.1)} text-anchor="middle">{ text }</text>
                }
            </g>
        }
    });

    let onclick = {
        let store = store.clone();
        Callback::from(move |e: MouseEvent| {
            on_pick(&store, e.target());
        })
    };
    let onkeydown = {
        let store = store.clone();
        Callback::from(move |e: KeyboardEvent| {
            if (e.key() == "Enter" || e.key() == " ") && on_pick(&store, e.target()) {
                e.prevent_default();
            }
        })
    };
    // The current time's label, kept inside the plot.
    let now_text = format!("{} ms", now.round() as i64);
    let now_half = em * 0.85 * 0.33 * now_text.len() as f64;
    let now_label_x = now_x.max(g.x(g.t0) + now_half).min(g.x(g.t1) - now_half);
    let zoom_by = |d: i32| {
        let zoom = zoom.clone();
        Callback::from(move |_: MouseEvent| zoom.set((*zoom + d).clamp(-MAX_ZOOM, MAX_ZOOM)))
    };
    // The lane count sets the box's minimum height (static/spacetime.css).
    let min_h = format!("--st-lanes: {}", n.max(1));
    let aria = format!(
        "space-time diagram: {n} lane{}, {shown} message{} shown",
        if n == 1 { "" } else { "s" },
        if shown == 1 { "" } else { "s" }
    );
    let shift = format!("translate({} 0)", f(-g.t0 * g.k));
    html! {
        <div class="spacetime-box" ref={boxed} style={min_h}>
            <span class="st-em" ref={probe} aria-hidden="true"></span>
            <svg class="spacetime" role="group" aria-label={aria} {onclick} {onkeydown}
                width={f(w)} height={f(h)} viewBox={format!("0 0 {} {}", f(w), f(h))}>
                <g class="st-gutter">{ for gutter }</g>
                <g class="st-lanes">{ for lanes }</g>
                <svg class="st-plot" x={f(g.x0)} y="0" width={f(g.plot_w)} height={f(h)}>
                    <g transform={shift}>
                        <g class="st-ticks">{ for ticks }</g>
                        <g class="st-bands">{ for band_html }</g>
                        <g class="st-down">{ for down_html }</g>
                        <g class="st-paused">{ for paused_html }</g>
                        <g class="st-msgs">{ for msg_html.chain(moving.html()) }</g>
                        <g class="st-steps">{ for step_html }</g>
                        <g class="st-violations">{ for violation_html }</g>
                        <g class="st-now">
                            <line x1={f(now_x)} x2={f(now_x)} y1={f(g.top * 0.35)} y2={f(g.bottom)} />
                            <text x={f(now_label_x)} y={f(g.bottom + em * 1.1)} text-anchor="middle">{ now_text }</text>
                        </g>
                    </g>
                </svg>
            </svg>
            <div class="st-zoom" role="group" aria-label="Time axis zoom">
                <button type="button" onclick={zoom_by(1)} disabled={*zoom >= MAX_ZOOM}
                    title={format!("Show more time (now {} ms across)", span as i64)} aria-label="Zoom out the time axis"><span aria-hidden="true">{ "−" }</span></button>
                <button type="button" onclick={zoom_by(-1)} disabled={*zoom <= -MAX_ZOOM || level <= 0}
                    title={format!("Show less time (now {} ms across)", span as i64)} aria-label="Zoom in the time axis"><span aria-hidden="true">{ "+" }</span></button>
            </div>
        </div>
    }
}

fn name_of(names: &[String], i: u32) -> &str {
    names.get(i as usize).map_or("?", String::as_str)
}

/// Colour and duplicate or not; lines, dots, labels.
type MovingGroup = ((usize, bool), String, String, Vec<Html>);

/// The messages on their way while playing, drawn together by colour (and duplicate or
/// not): one path for their lines, one for their dots, and their labels. Nothing there to
/// point at or click until playback stops, when each is an [`Arrow`] again.
#[derive(Default)]
struct Moving {
    groups: Vec<MovingGroup>,
    count: usize,
}

impl Moving {
    fn add(&mut self, m: &MsgView, path: &Curve, label_at: Option<(f64, f64)>, em: f64) {
        use std::fmt::Write as _;
        let key = (label_colour(m.label), m.duplicate);
        // Kept in order (a keyed group that moves is written again): found or put in place.
        let i = match self.groups.binary_search_by_key(&key, |g| g.0) {
            Ok(i) => i,
            Err(i) => {
                self.groups
                    .insert(i, (key, String::new(), String::new(), Vec::new()));
                i
            }
        };
        let (_, lines, dots, texts) = &mut self.groups[i];
        lines.push_str(&path.d());
        let r = em * 0.28;
        let _ = write!(
            dots,
            "M{} {}a{r} {r} 0 1 0 {} 0a{r} {r} 0 1 0 {} 0Z",
            f(path.e.0 - r),
            f(path.e.1),
            f(2.0 * r),
            f(-2.0 * r),
            r = f(r)
        );
        if let Some((x, y)) = label_at {
            texts.push(html! { <text class="st-label" x={f(x)} y={f(y)}>{ m.label }</text> });
        }
        self.count += 1;
    }

    /// The groups, keyed: they share a keyed list with the arrows.
    fn html(self) -> impl Iterator<Item = Html> {
        self.groups
            .into_iter()
            .map(|((c, dup), lines, dots, texts)| {
                html! {
                    <g class={format!("st-msg flying moving m{c}{}", if dup { " dup" } else { "" })}
                        key={format!("moving-{c}-{dup}")}>
                        <path class="st-line" d={lines} />
                        <path class="st-dot" d={dots} />
                        { for texts }
                    </g>
                }
            })
    }
}

/// One message arrow, as plain data so that an unchanged arrow is not drawn again.
#[derive(Properties, PartialEq, Clone)]
struct ArrowProps {
    id: u64,
    label: &'static str,
    /// The message in words ("REQ(ping)").
    text: String,
    from: Rc<str>,
    to: Rc<str>,
    sent_step: u64,
    ts: f64,
    td: f64,
    /// From (sender, sent time) to (receiver, delivery time), in plot coordinates.
    full: Curve,
    /// How much of it is drawn (less than 1 while in flight or when dropped on the way).
    frac: f64,
    /// The fate known at the current step.
    fate: Fate,
    /// Dropped and past the drop point: draw the X.
    ended: bool,
    lost_on_way: bool,
    drop_at: Option<f64>,
    dup: bool,
    selected: bool,
    label_at: Option<(f64, f64)>,
    em: f64,
}

/// A message: a line from (sender, sent time) to (receiver, delivery time), cut at the
/// current time while it travels, ending in an arrowhead when delivered and in an X where it
/// was dropped. Clicking it (see [`on_pick`]) goes to the step that sent it and selects it.
#[function_component(Arrow)]
fn arrow(p: &ArrowProps) -> Html {
    let path = if p.frac >= 1.0 {
        p.full
    } else {
        p.full.until(p.frac)
    };
    let lost = matches!(p.fate, Fate::Dropped { .. });
    // One string, not a set of classes: an arrow in flight is drawn on every frame.
    let class = format!(
        "st-msg m{} {}{}{}",
        label_colour(p.label),
        match p.fate {
            Fate::Delivered => "delivered",
            Fate::InFlight => "flying",
            Fate::Dropped { .. } => "dropped",
        },
        if p.dup { " dup" } else { "" },
        if p.selected { " selected" } else { "" }
    );
    let (tip, aria) = arrow_words(p);
    let d = path.d();
    // The whole way, not the part drawn: it holds still while the message travels (one
    // attribute fewer to write on every frame), and points at where it is going.
    let hit = if p.frac >= 1.0 { d.clone() } else { p.full.d() };
    // The tooltip says more than the name (when it was sent, what it carries): it is the
    // description, and not taken for text drawn in the arrow (label in name).
    let tip_id = format!("st-msg-tip-{}", p.id);
    html! {
        <g {class} tabindex="0" role="button" aria-label={aria} aria-describedby={tip_id.clone()}
            data-seek={(p.sent_step + 1).to_string()} data-msg={p.id.to_string()}>
            <title id={tip_id} aria-hidden="true">{ tip }</title>
            <path class="st-hit" d={hit} />
            if p.selected {
                <path class="st-sel" d={d.clone()} />
            }
            <path class="st-line" {d} />
            if matches!(p.fate, Fate::Delivered) {
                <path class="st-head" d={p.full.head(p.em * 0.6)} />
            } else if !lost || !p.ended {
                <circle class="st-dot" cx={f(path.e.0)} cy={f(path.e.1)} r={f(p.em * 0.28)} />
                if p.selected {
                    <circle class="st-sel-ring" cx={f(path.e.0)} cy={f(path.e.1)} r={f(p.em * 0.95)} />
                }
            }
            if lost && p.ended {
                <path class="st-x" d={cross_d(path.e.0, path.e.1, p.em * 0.5)} />
            }
            if let Some((x, y)) = p.label_at {
                <text class="st-label" x={f(x)} y={f(y)}>{ p.label }</text>
            }
        </g>
    }
}

/// An arrow's tooltip and its accessible name.
fn arrow_words(p: &ArrowProps) -> (String, String) {
    let fate = match p.fate {
        Fate::Delivered => format!("delivered t={} ms", short(p.td)),
        Fate::InFlight => format!("in flight, due t={} ms", short(p.td)),
        Fate::Dropped { reason } if p.lost_on_way && !p.ended => {
            format!("will not arrive: {}", reason.describe())
        }
        Fate::Dropped { reason } => format!(
            "dropped t={} ms: {}",
            fixed(p.drop_at.unwrap_or(p.td), 0),
            reason.describe()
        ),
    };
    let dup = if p.dup { " (duplicate)" } else { "" };
    let tip = format!(
        "m{} {} {} → {}, sent t={} ms, {fate}{dup}\n{}\nClick: go to the step that sent it",
        p.id,
        p.label,
        p.from,
        p.to,
        short(p.ts),
        p.text
    );
    let aria = format!("m{} {} {} to {}, {fate}{dup}", p.id, p.label, p.from, p.to);
    (tip, aria)
}

#[derive(Properties, PartialEq)]
struct StepProps {
    index: u64,
    time: Time,
    /// The acting node's lane; `None` for network changes (drawn in the strip above).
    node: Option<u32>,
    x: f64,
    y: f64,
    em: f64,
    fault: bool,
    user: bool,
    /// The step just taken.
    current: bool,
    violation: bool,
    /// The first line of its narration.
    head: String,
    who: Option<Rc<str>>,
}

/// A step: a dot on its node's lane (a diamond above the lanes for a network change).
/// Clicking it goes to the state right after it.
#[function_component(StepDot)]
fn step_dot(p: &StepProps) -> Html {
    let mut class = classes!("st-step");
    match p.node {
        Some(i) => class.push(format!("c{}", i as usize % NODE_COLOURS)),
        None => class.push("net"),
    }
    if p.fault {
        class.push("fault");
    }
    if p.user {
        class.push("user");
    }
    if p.current {
        class.push("current");
    }
    if p.violation {
        class.push("violation");
    }
    let who = p
        .who
        .as_ref()
        .map(|w| format!("{w} · "))
        .unwrap_or_default();
    let tip = format!(
        "step {} · t={} ms · {who}{}\nClick: go to this step",
        p.index + 1,
        p.time,
        p.head
    );
    let aria = format!("step {} at {} ms: {}", p.index + 1, p.time, p.head);
    let (x, y) = (p.x, p.y);
    let r = p.em * if p.current { 0.42 } else { 0.3 };
    html! {
        <g {class} tabindex="0" role="button" aria-label={aria} data-seek={(p.index + 1).to_string()}>
            <title>{ tip }</title>
            <circle class="st-hit" cx={f(x)} cy={f(y)} r={f(p.em * 0.6)} />
            if p.current {
                <circle class="st-ring" cx={f(x)} cy={f(y)} r={f(r + p.em * 0.22)} />
            }
            if p.node.is_some() {
                <circle class="st-pt" cx={f(x)} cy={f(y)} r={f(r)} />
            } else {
                <path class="st-pt" d={format!("M{} {}l{} {}l{} {}l{} {}Z",
                    f(x), f(y - r * 1.3), f(r * 1.3), f(r * 1.3), f(-r * 1.3), f(r * 1.3), f(-r * 1.3), f(-r * 1.3))} />
            }
        </g>
    }
}

/// What a click or key on the diagram picked: the step to go to, and the message, if any
/// (from the `data-seek` and `data-msg` of the element hit or one of its ancestors).
fn picked(target: Option<web_sys::EventTarget>) -> Option<(u64, Option<u64>)> {
    let el = target?.dyn_into::<web_sys::Element>().ok()?;
    let el = el.closest("[data-seek]").ok()??;
    let seek = el.get_attribute("data-seek")?.parse().ok()?;
    let msg = el.get_attribute("data-msg").and_then(|m| m.parse().ok());
    Some((seek, msg))
}

/// Go to a picked step and select its message (one listener for the whole diagram).
fn on_pick(store: &super::Shell, target: Option<web_sys::EventTarget>) -> bool {
    let Some((seek, msg)) = picked(target) else {
        return false;
    };
    store.dispatch(ShellMsg::Seek(seek));
    if msg.is_some() {
        store.dispatch(ShellMsg::SelectMessage(msg));
    }
    true
}

/// A violation: a marker in the violation colour above the acting node's lane point.
fn violation_mark(v: &StepView, g: &Geo, n: u32) -> Html {
    let x = g.x(v.time as f64);
    let y = v.node.filter(|i| *i < n).map_or(g.net_y(), |i| g.y(i)) - g.em * 0.45;
    let r = g.em * 0.55;
    let text: Vec<String> = v
        .violations
        .iter()
        .map(|x| format!("VIOLATION of {}: {}", x.property, x.explanation))
        .collect();
    html! {
        <g class="st-violation" key={v.index}>
            <title>{ format!("step {} · t={} ms\n{}", v.index + 1, v.time, text.join("\n")) }</title>
            <path d={format!("M{} {}L{} {}L{} {}Z", f(x), f(y), f(x - r), f(y - r * 1.6), f(x + r), f(y - r * 1.6))} />
            <text x={f(x)} y={f(y - r * 0.45)} text-anchor="middle">{ "!" }</text>
        </g>
    }
}

/// A crashed (shaded, dashed, with an X where it began) or paused (pause bars) stretch of a lane.
fn stretch(i: usize, st: &Stretch, g: &Geo, names: &[String], crashed: bool) -> Html {
    let y = g.y(st.node);
    let (x1, x2) = (g.x(st.from), g.x(st.to).max(g.x(st.from)));
    let hh = (g.lane_h * 0.26).min(g.em * 0.55);
    let who = name_of(names, st.node);
    let what = if crashed { "down" } else { "paused" };
    let tip = if st.ongoing {
        format!("{who} {what} since t={} ms", fixed(st.from, 0))
    } else if st.starts {
        format!(
            "{who} {what} from t={} to t={} ms",
            fixed(st.from, 0),
            fixed(st.to, 0)
        )
    } else {
        format!("{who} {what} until t={} ms", fixed(st.to, 0))
    };
    let class = classes!(
        "st-stretch",
        if crashed { "crashed" } else { "paused" },
        format!("c{}", st.node as usize % NODE_COLOURS)
    );
    let r = g.em * 0.5;
    html! {
        <g {class} key={format!("{what}-{i}")}>
            <title>{ tip }</title>
            <rect x={f(x1)} y={f(y - hh)} width={f(x2 - x1)} height={f(hh * 2.0)} />
            <line x1={f(x1)} x2={f(x2)} y1={f(y)} y2={f(y)} />
            if st.starts && crashed {
                <path class="st-crash-x" d={cross_d(x1, y, r)} />
            }
            if st.starts && !crashed {
                <g class="st-bars">
                    <rect x={f(x1 + r * 0.95)} y={f(y - r * 1.1)} width={f(r * 0.5)} height={f(r * 2.2)} />
                    <rect x={f(x1 + r * 1.8)} y={f(y - r * 1.1)} width={f(r * 0.5)} height={f(r * 2.2)} />
                </g>
            }
        </g>
    }
}

/// A partition or cut: shaded lanes (one shade per side) and its label.
fn band(i: usize, b: &Band, g: &Geo, n: u32) -> Html {
    let (x1, x2) = (g.x(b.from), g.x(b.to).max(g.x(b.from)));
    let lanes = (0..n).filter_map(|i| {
        let grp = b.groups.get(i as usize).copied().flatten()?;
        let y = g.y(i) - g.lane_h * 0.5;
        Some(html! {
            <rect class={classes!("st-band-lane", if grp % 2 == 0 { "ga" } else { "gb" })}
                x={f(x1)} y={f(y)} width={f(x2 - x1)} height={f(g.lane_h)} />
        })
    });
    html! {
        <g class="st-band" key={format!("band-{i}")}>
            <title>{ format!("{} (t={} to {} ms)", b.label, fixed(b.from.max(0.0), 0), fixed(b.to, 0)) }</title>
            { for lanes }
            if b.starts {
                <line class="st-band-edge" x1={f(x1)} x2={f(x1)} y1={f(g.top * 0.15)} y2={f(g.bottom)} />
            }
            <text class="st-band-label" x={f(x1.max(g.x(g.t0)) + g.em * 0.75)} y={f(g.top * 0.72)}>{ b.label.clone() }</text>
        </g>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_core::catalog::{builtin, load};
    use dsplay_core::session::Runner;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A built-in scenario with its run computed.
    fn run(id: &str) -> Box<dyn Runner> {
        let mut s = load(builtin(id).expect("built-in scenario").json).expect("it loads");
        let steps = s.run_bound();
        s.run(Some(steps), None);
        s
    }

    /// What the diagram reads from each fault step, in order.
    fn faults(s: &dyn Runner) -> Vec<String> {
        (0..s.horizon())
            .filter_map(|i| s.step_view(i))
            .filter(|v| v.fault && !no_op(v))
            .map(|v| match fault_kind(&v, s.names().len()) {
                FaultKind::Crash => format!("crash {:?}", v.node),
                FaultKind::Restart => format!("restart {:?}", v.node),
                FaultKind::Pause => format!("pause {:?}", v.node),
                FaultKind::Resume => format!("resume {:?}", v.node),
                FaultKind::Partition(g) => format!("partition {g:?}"),
                FaultKind::Cut(a, b, _) => {
                    format!("cut {} {}", s.names()[a as usize], s.names()[b as usize])
                }
                FaultKind::Heal => "heal".into(),
                FaultKind::End => "end".into(),
                FaultKind::Other => "other".into(),
            })
            .collect()
    }

    // The diagram reads crashes, pauses and partitions from the steps' typed fault kinds.
    #[wasm_bindgen_test]
    fn partitions_and_heals_are_read_from_the_steps() {
        let s = run("messaging-partition-heal");
        assert_eq!(
            faults(s.as_ref()),
            [
                "partition [Some(0), Some(0), Some(1), Some(1), Some(1)]",
                "heal"
            ]
        );
    }

    #[wasm_bindgen_test]
    fn crashes_and_restarts_are_read_from_the_steps() {
        let s = run("messaging-broker-crash");
        assert_eq!(faults(s.as_ref()), ["crash Some(3)", "restart Some(3)"]);
    }

    #[wasm_bindgen_test]
    fn cuts_pauses_and_no_ops_are_read_from_the_steps() {
        let mut s = run("messaging-normal");
        s.seek(3);
        for a in [
            r#"{"pause": {"node": "n2"}}"#,
            r#"{"pause": {"node": "n2"}}"#,
            r#"{"resume": {"node": "n2"}}"#,
            r#"{"cut": {"a": "n1", "b": "n3"}}"#,
        ] {
            s.apply_json(a).expect("the action is accepted");
            s.step_forward();
        }
        let seen = faults(s.as_ref());
        assert_eq!(
            seen,
            ["pause Some(1)", "resume Some(1)", "cut n1 n3"],
            "{seen:?}"
        );
    }

    #[wasm_bindgen_test]
    fn windows_are_round_and_at_least_300_ms() {
        assert_eq!(span_at(MIN_SPAN_INDEX), 300.0);
        assert_eq!(span_at(10), 1000.0);
        assert_eq!(span_at(0), 100.0);
        assert_eq!(span_at(span_index(0.0)), 300.0);
        assert_eq!(span_at(span_index(301.0)), 400.0);
        assert_eq!(span_at(span_index(1234.0)), 1500.0);
        assert_eq!(tick_step(37.0), 50.0);
        assert_eq!(tick_step(100.0), 100.0);
        assert_eq!(tick_step(101.0), 200.0);
    }

    #[wasm_bindgen_test]
    fn a_partial_curve_ends_on_the_curve() {
        let c = Curve::new((0.0, 0.0), (100.0, 50.0), 20.0);
        let half = c.until(0.5);
        assert_eq!(half.s, c.s);
        let (a, b) = (half.e, c.at(0.5));
        assert!((a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9);
        assert_eq!(c.until(1.0).e, c.e);
    }
}
