//! The locks page's drawing: the belief timeline, the clients, the lock service and the
//! storage.

use super::{colour, status_word};
use crate::components::cluster::{
    clock_words, f, label_colour, message_title, select_message, Flight,
};
use crate::components::{unique_keys, use_clock, use_shell, use_typed};
use crate::store::ShellMsg;
use dsplay_core::algo::locks::{
    Client, Ended, LockService, Locks, Note, Params, Phase, Storage, Variant, CURRENT_HOLDER,
    FENCED_ORDER, LOGGED_ONCE,
};
use dsplay_core::decimal::fixed;
use dsplay_core::invariant::Violation;
use dsplay_core::scenario::Scenario;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::{Action, NodeId, NodeStatus, Time};
use dsplay_core::trace::StepKind;
use dsplay_core::Protocol;
use yew::prelude::*;

/// The SVG `viewBox`: 1000 by 560.
const VIEW_BOX: &str = "0 0 1000 560";
/// The timeline's track, left to right.
const GX0: f64 = 70.0;
const GX1: f64 = 440.0;
/// The clients' column.
const CX: f64 = 505.0;
const CHIP_R: f64 = 20.0;
/// The lock service and storage boxes.
const BX0: f64 = 610.0;
const BX1: f64 = 990.0;
const LOCK_Y0: f64 = 14.0;
const LOCK_Y1: f64 = 262.0;
const STORE_Y0: f64 = 274.0;
const STORE_Y1: f64 = 546.0;
const ROWS_Y0: f64 = 64.0;
const ROWS_Y1: f64 = 468.0;

fn row_height(n: usize) -> f64 {
    ((ROWS_Y1 - ROWS_Y0) / n.max(1) as f64).min(96.0)
}

fn row_y(i: usize, n: usize) -> f64 {
    let h = row_height(n);
    // Centre the rows when there are few.
    let used = h * n as f64;
    ROWS_Y0 + (ROWS_Y1 - ROWS_Y0 - used) / 2.0 + h * (i as f64 + 0.5)
}

/// The properties about the storage's writes, drawn on the timeline: the words of a mark.
fn mark_words(property: &str) -> Option<&'static str> {
    match property {
        p if p == CURRENT_HOLDER || p == FENCED_ORDER => Some("stale write accepted"),
        p if p == LOGGED_ONCE => Some("acknowledged write lost"),
        _ => None,
    }
}

/// Whether a violation is about an accepted write from a former holding (the write is in
/// the storage's log, at the violation's time).
fn stale_write(v: &Violation) -> bool {
    v.property == CURRENT_HOLDER || v.property == FENCED_ORDER
}

/// What fencing does to the storage's guarantees, under the storage's fencing line.
fn fencing_words(fencing: bool) -> &'static str {
    if fencing {
        "keeps the token order, not exclusivity"
    } else {
        "nothing keeps the token order"
    }
}

/// The write violations up to now, one mark per instant: (time, the marks' words, the
/// violations at that instant).
fn violation_marks(violations: &[Violation]) -> Vec<(Time, Vec<&'static str>, Vec<&Violation>)> {
    let mut out: Vec<(Time, Vec<&'static str>, Vec<&Violation>)> = Vec::new();
    for v in violations {
        let Some(words) = mark_words(v.property) else {
            continue;
        };
        match out.last_mut() {
            Some((t, w, vs)) if *t == v.time => {
                if !w.contains(&words) {
                    w.push(words);
                }
                vs.push(v);
            }
            _ => out.push((v.time, vec![words], vec![v])),
        }
    }
    out
}

/// One interval a client believed it held the lock, as drawn.
#[derive(Clone, Debug, PartialEq)]
struct Bar {
    client: usize,
    token: u64,
    from: Time,
    to: Time,
    open: bool,
    ended: Option<Ended>,
}

/// A client's beliefs as bars up to `now`; a belief ended by a crash ends at the crash.
fn bars(l: &Loaded<Locks>, now: Time) -> Vec<Bar> {
    let sim = l.timeline.sim();
    let trace = l.timeline.trace();
    let pos = l.timeline.pos() as usize;
    let mut out = Vec::new();
    for id in sim.node_ids() {
        let Some(c) = sim.node(id).client() else {
            continue;
        };
        for b in c.beliefs() {
            let (to, open) = match (b.to, b.ended) {
                (Some(t), _) => (t, false),
                (None, None) => (now, true),
                (None, Some(_)) => {
                    // Crashed: the first crash of this client after the belief began.
                    let crash = trace.steps[..pos.min(trace.steps.len())]
                        .iter()
                        .find(|s| {
                            s.time >= b.from
                                && matches!(&s.kind, StepKind::Action { action: Action::Crash { node }, .. } if *node == id)
                        })
                        .map_or(now, |s| s.time);
                    (crash, false)
                }
            };
            out.push(Bar {
                client: id.index(),
                token: b.token,
                from: b.from,
                to: to.max(b.from),
                open,
                ended: b.ended,
            });
        }
    }
    out
}

/// Stretches where two clients believed they held the lock at once.
fn overlaps(bars: &[Bar]) -> Vec<(usize, usize, Time, Time)> {
    let mut out = Vec::new();
    for (i, a) in bars.iter().enumerate() {
        for b in &bars[i + 1..] {
            if a.client == b.client {
                continue;
            }
            let (s, e) = (a.from.max(b.from), a.to.min(b.to));
            if s < e {
                out.push((a.client, b.client, s, e));
            }
        }
    }
    out
}

/// When each client was paused or down, up to `now`: `(client, from, to, paused)`.
fn outages(l: &Loaded<Locks>, clients: usize, now: Time) -> Vec<(usize, Time, Time, bool)> {
    let trace = l.timeline.trace();
    let pos = (l.timeline.pos() as usize).min(trace.steps.len());
    let mut open: Vec<Option<(Time, bool)>> = vec![None; clients];
    let mut out = Vec::new();
    for st in &trace.steps[..pos] {
        let StepKind::Action { action, .. } = &st.kind else {
            continue;
        };
        if st.kernel.is_some() {
            continue; // did nothing (already paused, not crashed, ...)
        }
        let (node, start, paused) = match action {
            Action::Pause { node } => (*node, true, true),
            Action::Crash { node } => (*node, true, false),
            Action::Resume { node } | Action::Restart { node } => (*node, false, false),
            _ => continue,
        };
        let Some(slot) = open.get_mut(node.index()) else {
            continue;
        };
        if start {
            if slot.is_none() {
                *slot = Some((st.time, paused));
            }
        } else if let Some((from, was_paused)) = slot.take() {
            out.push((node.index(), from, st.time, was_paused));
        }
    }
    for (i, slot) in open.into_iter().enumerate() {
        if let Some((from, paused)) = slot {
            out.push((i, from, now, paused));
        }
    }
    out
}

/// Notification counts over time of the same run (a scenario file: the script and what
/// people did) with the other watch style (herd or recipe): `(time, cumulative count)`.
fn counterpart_notifications(json: &str) -> Option<Vec<(Time, u64)>> {
    let sc = Scenario::<Locks>::parse(json).ok()?;
    let params = Params {
        herd: !sc.params.herd,
        ..sc.params.clone()
    };
    let (sc, _) = sc.with_params(params).ok()?;
    let mut l = Loaded::new(sc).ok()?;
    l.run_to(Some(20_000), None);
    let mut total = 0u64;
    let mut out = Vec::new();
    for st in &l.timeline.trace().steps {
        for n in &st.notes {
            if let Note::Notifies { to, .. } = n {
                total += to.len() as u64;
                out.push((st.time, total));
            }
        }
    }
    Some(out)
}

fn count_at(series: &[(Time, u64)], t: f64) -> u64 {
    series
        .iter()
        .take_while(|(at, _)| *at as f64 <= t)
        .last()
        .map_or(0, |(_, c)| *c)
}

/// The last holding the lock service ended, up to the current step (client, token): drawn
/// fading out of the holder's place while the lock is free.
fn last_release(l: &Loaded<Locks>) -> Option<(NodeId, u64)> {
    let trace = l.timeline.trace();
    let pos = (l.timeline.pos() as usize).min(trace.steps.len());
    trace.steps[..pos].iter().rev().find_map(|st| {
        st.notes.iter().rev().find_map(|n| match *n {
            Note::FreesLock { client, token }
            | Note::DeletesKey { client, token }
            | Note::KeyExpires { client, token }
            | Note::KeyExpiredWhileDown { client, token, .. }
            | Note::VoidsGrant { client, token } => Some((client, token)),
            Note::DeletesOthersKey { owner, token, .. } => Some((owner, token)),
            Note::SessionExpires {
                client,
                held: Some(token),
                ..
            } => Some((client, token)),
            _ => None,
        })
    })
}

fn phase_text(c: &Client, status: NodeStatus, lock: &LockService, me: NodeId) -> String {
    match status {
        NodeStatus::Crashed { .. } => return "crashed".into(),
        NodeStatus::Paused { .. } => {
            return match (c.mem.phase, c.mem.token) {
                (Phase::Holding, Some(t)) => format!("paused, holds t{t}?"),
                _ => "paused".into(),
            }
        }
        NodeStatus::Up => {}
    }
    match c.mem.phase {
        Phase::Idle => "idle".into(),
        Phase::Requesting => "asking".into(),
        Phase::Waiting => match lock.disk.queue.iter().position(|&q| q == me) {
            Some(i) => format!("queued #{}", i + 1),
            None => "waiting".into(),
        },
        Phase::Holding => format!("holds t{}", c.mem.token.unwrap_or(0)),
        Phase::Releasing => "releasing".into(),
    }
}

#[function_component(LocksView)]
pub fn locks_view() -> Html {
    let typed = use_typed::<Locks>();
    let shell = use_shell();
    let t = use_clock().shown;
    // On the ZooKeeper variant, the same run (script and what people did) with the other
    // watch style, for comparing notification counts.
    let herd_run = {
        let l = typed.run.borrow();
        (l.scenario.params.variant == Variant::Zookeeper).then(|| l.scenario_json())
    };
    let herd_series = use_memo(herd_run, |json| {
        json.as_deref().and_then(counterpart_notifications)
    });
    let s = typed.run.borrow();
    let l: &Loaded<Locks> = &s;
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let p = proto.params();
    let names = s.names().to_vec();
    let n = p.clients as usize;
    let now = s.time();
    let lock_id = proto.lock_node();
    let store_id = proto.storage_node();
    let Some(lock) = sim.node(lock_id).lock() else {
        return html! {};
    };
    let Some(storage) = sim.node(store_id).storage() else {
        return html! {};
    };
    let end_time = l
        .timeline
        .trace()
        .steps
        .last()
        .map_or(0, |st| st.time)
        .max(now)
        .max(1);
    let scale = |time: f64| GX0 + (GX1 - GX0) * (time / end_time as f64).clamp(0.0, 1.0);

    // ---- Timeline: who believes they hold the lock.
    let bars = bars(l, now);
    let overlaps = overlaps(&bars);
    let violations: Vec<_> = s
        .violations()
        .into_iter()
        .filter(|v| v.step < s.pos() && mark_words(v.property).is_some())
        .collect();
    let marks = violation_marks(&violations);
    let rh = row_height(n);
    let bar_h = (rh * 0.42).clamp(10.0, 30.0);
    let rows = (0..n).map(|i| {
        let y = row_y(i, n);
        html! {
            <g class="row" key={format!("row{i}")}>
                <line class="track" x1={f(GX0)} y1={f(y)} x2={f(GX1)} y2={f(y)} />
                <text class="row-name" x={f(GX0 - 10.0)} y={f(y + 6.0)} text-anchor="end">{ names[i].clone() }</text>
            </g>
        }
    });
    let bar_rects = bars.iter().enumerate().map(|(k, b)| {
        let y = row_y(b.client, n);
        let (x0, x1) = (scale(b.from as f64), scale(b.to as f64));
        let w = (x1 - x0).max(3.0);
        let end_mark = match b.ended {
            Some(Ended::Fenced) => "✗ fenced",
            Some(Ended::Crashed) => "✗ crashed",
            Some(Ended::Expired) => "✗ expired",
            _ => "",
        };
        html! {
            <g class={classes!("bar", colour(b.client), b.open.then_some("open"))} key={format!("bar{k}")}>
                <title>{ format!("{} believes it holds the lock with token {} from {} ms to {} ms{}",
                    names[b.client], b.token, b.from, b.to, if b.open { " (still)" } else { "" }) }</title>
                <rect x={f(x0)} y={f(y - bar_h / 2.0)} width={f(w)} height={f(bar_h)} rx="4" />
                if w > 34.0 {
                    <text class="bar-label" x={f(x0 + 6.0)} y={f(y + 6.0)}>{ format!("t{}", b.token) }</text>
                }
                if !end_mark.is_empty() {
                    <text class="bar-end" x={f(x1 - 4.0)} y={f(y + bar_h / 2.0 + 17.0)} text-anchor="middle">{ end_mark }</text>
                }
            </g>
        }
    });
    let outage_marks = outages(l, n, now).into_iter().enumerate().map(|(k, (c, s0, s1, paused))| {
        let y = row_y(c, n);
        let (x0, x1) = (scale(s0 as f64), scale(s1 as f64));
        let word = if paused { "paused" } else { "down" };
        html! {
            <g class={classes!("outage", word)} key={format!("out{k}")}>
                <title>{ format!("{} {word} from {s0} to {s1} ms", names[c]) }</title>
                <rect x={f(x0)} y={f(y - bar_h / 2.0 - 5.0)} width={f((x1 - x0).max(2.0))} height={f(bar_h + 10.0)} />
                if x1 - x0 > 60.0 {
                    <text x={f((x0 + x1) / 2.0)} y={f(y + bar_h / 2.0 + 20.0)} text-anchor="middle">{ word }</text>
                }
            </g>
        }
    });
    let overlap_marks = overlaps.iter().enumerate().map(|(k, (a, b, s0, s1))| {
        let (x0, x1) = (scale(*s0 as f64), scale(*s1 as f64));
        let ya = row_y(*a, n);
        let yb = row_y(*b, n);
        let (top, bot) = (ya.min(yb) - bar_h / 2.0 - 3.0, ya.max(yb) + bar_h / 2.0 + 3.0);
        // The storage accepted a stale write inside it: the overlap became a violation.
        let violated = violations
            .iter()
            .any(|v| stale_write(v) && v.time >= *s0 && v.time <= *s1);
        html! {
            <g class={classes!("overlap", violated.then_some("violated"))} key={format!("ov{k}")}>
                <title>{ format!("{} and {} both believe they hold the lock from {s0} to {s1} ms{}", names[*a], names[*b],
                    if violated { "; the storage accepted a write from the one that no longer held it" } else { "" }) }</title>
                <rect x={f(x0)} y={f(top)} width={f((x1 - x0).max(3.0))} height={f(bot - top)} />
            </g>
        }
    });
    let writes = storage.disk.log.iter().enumerate().filter(|(_, w)| w.client.index() < n).map(|(k, w)| {
        let y = row_y(w.client.index(), n) - bar_h / 2.0 - 10.0;
        let x = scale(w.at as f64);
        let stale = violations.iter().any(|v| stale_write(v) && v.time == w.at) && w.accepted;
        html! {
            <g class={classes!("write", if w.accepted { "ok" } else { "rejected" }, stale.then_some("violating"))} key={format!("w{k}")}>
                <title>{ format!("{} ms: storage {} {}'s write #{} with token {}", w.at,
                    if w.accepted { "accepted" } else { "rejected" }, names[w.client.index()], w.n, w.token) }</title>
                if w.accepted {
                    <path d={format!("M{} {} l7 -12 l7 12 z", f(x - 7.0), f(y + 6.0))} />
                } else {
                    <path d={format!("M{} {} l12 12 M{} {} l-12 12", f(x - 6.0), f(y - 6.0), f(x + 6.0), f(y - 6.0))} />
                }
            </g>
        }
    });
    let violation_marks = marks.iter().map(|(time, words, vs)| {
        let x = scale(*time as f64);
        let title = vs
            .iter()
            .map(|v| format!("{}: {}", v.property, v.explanation))
            .collect::<Vec<_>>()
            .join("\n");
        html! {
            // One mark per instant: the key is the time, unique by construction.
            <g class="violation-mark" key={format!("v{time}")}>
                <title>{ title }</title>
                <line x1={f(x)} y1={f(ROWS_Y0 - 6.0)} x2={f(x)} y2={f(ROWS_Y1 + 4.0)} />
                if Some(*time) == marks.first().map(|m| m.0) {
                    <text x={f(x.clamp(GX0 + 120.0, GX1 - 120.0))} y={f(ROWS_Y1 + 24.0)} text-anchor="middle">{ format!("✗ {}", words.join(", ")) }</text>
                }
            </g>
        }
    });
    let now_x = scale(t);
    let axis_ticks = {
        let step = nice_step(end_time as f64 / 5.0);
        let mut v = Vec::new();
        let mut x = 0.0;
        while x <= end_time as f64 + 0.5 {
            v.push(x);
            x += step;
        }
        v
    };
    let axis = html! {
        <g class="axis">
            { for axis_ticks.iter().map(|ms| html! {
                <g key={format!("tick{}", f(*ms))}>
                    <line x1={f(scale(*ms))} y1={f(ROWS_Y1 + 30.0)} x2={f(scale(*ms))} y2={f(ROWS_Y1 + 36.0)} />
                    <text x={f(scale(*ms))} y={f(ROWS_Y1 + 46.0)} text-anchor="middle">{ fixed(*ms, 0).to_string() }</text>
                </g>
            }) }
            <text class="axis-unit" x={f(GX1)} y={f(ROWS_Y1 + 46.0)} text-anchor="end" dx="30">{ "ms" }</text>
        </g>
    };
    let overlap_now = overlaps.iter().any(|(_, _, _, e)| *e >= now)
        && bars.iter().filter(|b| b.open).count() >= 2;

    // ---- Clients.
    let chips = (0..n).map(|i| {
        let id = NodeId(i as u32);
        let y = row_y(i, n);
        let status = s.status(i as u32).unwrap_or(NodeStatus::Up);
        let c = sim.node(id).client().cloned().unwrap_or_default();
        let holding = c.mem.phase == Phase::Holding;
        let class = classes!(
            "chip",
            colour(i),
            holding.then_some("holding"),
            matches!(status, NodeStatus::Crashed { .. }).then_some("crashed"),
            matches!(status, NodeStatus::Paused { .. }).then_some("paused"),
            (s.last_actor() == Some(i as u32)).then_some("acted"),
            (shell.selected == Some(i as u32)).then_some("selected")
        );
        let onclick = {
            let shell = shell.clone();
            let sel = shell.selected;
            let i = i as u32;
            Callback::from(move |_: MouseEvent| {
                shell.dispatch(ShellMsg::Select(if sel == Some(i) { None } else { Some(i) }))
            })
        };
        // Enter and Space do what a click does (and Space does not also play or pause).
        let onkeydown = {
            let shell = shell.clone();
            let sel = shell.selected;
            let i = i as u32;
            Callback::from(move |e: KeyboardEvent| {
                if matches!(e.key().as_str(), "Enter" | " " | "Spacebar") {
                    e.prevent_default();
                    shell.dispatch(ShellMsg::Select(if sel == Some(i) { None } else { Some(i) }))
                }
            })
        };
        let text = phase_text(&c, status, lock, id);
        // A drifting clock is what breaks a lease without any pause: say it by the chip.
        let clock = s.clock(i as u32).and_then(|(rate, off)| clock_words(rate, off));
        let label = match &clock {
            Some(c) => format!("{}, {text}, {c}", names[i]),
            None => format!("{}, {text}", names[i]),
        };
        let r = CHIP_R.min(rh * 0.4);
        html! {
            <g {class} key={format!("chip{i}")} {onclick} {onkeydown} tabindex="0" role="button"
                aria-label={label}
                aria-pressed={(shell.selected == Some(i as u32)).to_string()}>
                // A tooltip for the pointer; the name already says it (label in name).
                <title aria-hidden="true">{ format!("{}: {text}. Click (or Enter, Space) to select it and see its state", names[i]) }</title>
                <circle class="halo" cx={f(CX)} cy={f(y)} r={f(r + 6.0)} />
                <circle class="body" cx={f(CX)} cy={f(y)} r={f(r)} />
                <text class="chip-name" x={f(CX)} y={f(y + 6.0)} text-anchor="middle">{ names[i].clone() }</text>
                if matches!(status, NodeStatus::Paused { .. }) {
                    <g class="pause-bars">
                        <rect x={f(CX + r + 4.0)} y={f(y - 9.0)} width="5" height="18" />
                        <rect x={f(CX + r + 12.0)} y={f(y - 9.0)} width="5" height="18" />
                    </g>
                }
                <text class="chip-state" x={f(CX - r - 8.0)} y={f(y + 5.0)} text-anchor="end">{ text }</text>
                if let Some(c) = clock {
                    <text class="chip-clock" x={f(CX - r - 8.0)} y={f(y + 24.0)} text-anchor="end">{ c }</text>
                }
            </g>
        }
    });

    // ---- Lock service.
    let lock_status = s.status(lock_id.0).unwrap_or(NodeStatus::Up);
    let client_status: Vec<NodeStatus> = (0..n)
        .map(|i| s.status(i as u32).unwrap_or(NodeStatus::Up))
        .collect();
    let last_release = last_release(l);
    let lock_box = lock_panel(
        proto,
        lock,
        lock_status,
        &names,
        &client_status,
        last_release,
        t,
        herd_series.as_ref().as_ref(),
    );
    // ---- Storage.
    let store_status = s.status(store_id.0).unwrap_or(NodeStatus::Up);
    let storage_box = storage_panel(p.fencing, storage, store_status, &names, &violations);

    // ---- Messages: between a client's chip and the service boxes.
    let anchor = |node: u32| -> (f64, f64) {
        // At the boxes' left edge, so that a dot waiting there does not cover their text.
        if node == lock_id.0 {
            (BX0, (LOCK_Y0 + LOCK_Y1) / 2.0)
        } else if node == store_id.0 {
            (BX0, (STORE_Y0 + STORE_Y1) / 2.0)
        } else {
            (CX + 16.0, row_y(node as usize, n))
        }
    };
    let msgs = s.in_flight();
    let few = msgs.len() <= 10;
    let dots = msgs.iter().filter_map(|m| {
        let fl = Flight::of(m, anchor(m.from), anchor(m.to), t)?;
        let (px, py) = (f(fl.at.0), f(fl.at.1));
        let class = classes!(
            "msg",
            format!("m{}", label_colour(m.label)),
            fl.lost.then_some("lost"),
            (shell.selected_msg == Some(m.id)).then_some("selected")
        );
        let onclick = select_message(&shell, m.id);
        let (lx, ly) = fl.label_at(18.0, 5.0);
        Some(html! {
            <g {class} key={format!("m{}", m.id)} {onclick}>
                <title>{ message_title(m, &names) }</title>
                <path class="trail" d={fl.path.partial_d(fl.frac)} />
                <circle class="hit" cx={px.clone()} cy={py.clone()} r="14" />
                <circle cx={px} cy={py} r="8" />
                if few && fl.frac > 0.15 {
                    <text class="msg-label" x={lx} y={ly} text-anchor="middle">{ m.label }</text>
                }
            </g>
        })
    });

    html! {
        <svg class="locks" viewBox={VIEW_BOX} role="group" data-view=""
            aria-label={format!("{}: {} clients; {}", p.variant.title(), n,
                if violations.is_empty() {
                    "no violation so far".to_string()
                } else {
                    let mut props: Vec<&str> = violations.iter().map(|v| v.property).collect();
                    props.sort_unstable();
                    props.dedup();
                    format!("violated: {}", props.join(", "))
                })}>
            <text class="heading" x={f(GX0 - 50.0)} y="30">{ "Who believes they hold the lock" }</text>
            if overlap_now {
                <text class="overlap-note" x={f(GX0 - 50.0)} y="52">{ "two clients believe they hold it now" }</text>
            }
            <g class="rows">{ for rows }</g>
            <g class="outages">{ for outage_marks }</g>
            <g class="overlaps">{ for overlap_marks }</g>
            <g class="bars">{ for bar_rects }</g>
            <g class="writes">{ for writes }</g>
            { axis }
            <g class="legend">
                <path class="lg-ok" d={format!("M{} {} l7 -12 l7 12 z", f(GX0 - 50.0), f(ROWS_Y1 + 84.0))} />
                <text x={f(GX0 - 30.0)} y={f(ROWS_Y1 + 84.0)}>{ "write accepted" }</text>
                <path class="lg-rej" d={format!("M{} {} l12 12 M{} {} l-12 12", f(GX0 + 100.0), f(ROWS_Y1 + 72.0), f(GX0 + 112.0), f(ROWS_Y1 + 72.0))} />
                <text x={f(GX0 + 120.0)} y={f(ROWS_Y1 + 84.0)}>{ "rejected" }</text>
                <rect class="lg-overlap" x={f(GX0 + 200.0)} y={f(ROWS_Y1 + 70.0)} width="22" height="16" />
                <text x={f(GX0 + 228.0)} y={f(ROWS_Y1 + 84.0)}>{ "two believe they hold it" }</text>
            </g>
            <line class="now" x1={f(now_x)} y1={f(ROWS_Y0 - 10.0)} x2={f(now_x)} y2={f(ROWS_Y1 + 30.0)} />
            <g class="violations">{ for violation_marks }</g>
            { lock_box }
            { storage_box }
            <g class="chips">{ for chips }</g>
            <g class="msgs">{ for dots }</g>
        </svg>
    }
}

fn nice_step(raw: f64) -> f64 {
    let mut step = 1.0;
    for s in [1.0, 2.0, 5.0].iter().cycle().scan(1.0, |m, s| {
        let v = s * *m;
        if *s == 5.0 {
            *m *= 10.0;
        }
        Some(v)
    }) {
        step = s;
        if s >= raw {
            break;
        }
    }
    step
}

fn box_frame(class: &'static str, y0: f64, y1: f64, title: String, status: NodeStatus) -> Html {
    let word = status_word(status);
    html! {
        <>
            <rect class={classes!("svc", class, word)} x={f(BX0)} y={f(y0)} width={f(BX1 - BX0)} height={f(y1 - y0)} rx="10" />
            <text class="svc-title" x={f(BX0 + 14.0)} y={f(y0 + 28.0)}>{ title }</text>
            if let Some(w) = word {
                <text class="svc-status" x={f(BX1 - 14.0)} y={f(y0 + 28.0)} text-anchor="end">{ format!("✗ {w}") }</text>
            }
        </>
    }
}

/// A client chip inside a box.
fn mini_chip(x: f64, y: f64, i: usize, name: &str, extra: Option<&'static str>) -> Html {
    html! {
        <g class={classes!("mini", colour(i), extra)}>
            <circle cx={f(x)} cy={f(y)} r="17" />
            <text x={f(x)} y={f(y + 5.0)} text-anchor="middle">{ name.to_string() }</text>
        </g>
    }
}

fn lease_bar(x: f64, y: f64, w: f64, left: f64, ttl: f64, label: String) -> Html {
    let frac = (left / ttl).clamp(0.0, 1.0);
    html! {
        <g class={classes!("lease", (frac < 0.25).then_some("low"))}>
            <rect class="lease-track" x={f(x)} y={f(y)} width={f(w)} height="14" rx="4" />
            <rect class="lease-fill" x={f(x)} y={f(y)} width={f(w * frac)} height="14" rx="4" />
            <text class="lease-text" x={f(x)} y={f(y + 34.0)}>{ label }</text>
        </g>
    }
}

#[allow(clippy::too_many_arguments)]
fn lock_panel(
    proto: &Locks,
    l: &LockService,
    status: NodeStatus,
    names: &[String],
    clients: &[NodeStatus],
    released: Option<(NodeId, u64)>,
    t: f64,
    counterpart: Option<&Vec<(Time, u64)>>,
) -> Html {
    let p = proto.params();
    let nm = |id: NodeId| names.get(id.index()).cloned().unwrap_or_default();
    let (x0, y0) = (BX0 + 14.0, LOCK_Y0 + 36.0);
    let body = match p.variant {
        Variant::Queue | Variant::Lease => {
            let holder = l.disk.holder;
            let holder_html = match holder {
                Some(h) => {
                    let left = h.expires.map(|e| e as f64 - t);
                    let who = nm(h.client);
                    let kind = if p.variant == Variant::Lease {
                        "key expires:"
                    } else {
                        "session:"
                    };
                    // A stalled holder: the lease runs on here whatever the client believes.
                    let (lease_text, lease_title) = match (clients.get(h.client.index()), left) {
                        (Some(NodeStatus::Paused { .. }), Some(left)) if left > 0.0 => (
                            format!("{who} paused, thinks it holds · {} ms left", fixed(left, 0)),
                            format!("{who} is paused: it still believes it holds the lock, but its lease keeps running here and ends in {} ms; then the lock goes to someone else", fixed(left, 0)),
                        ),
                        (Some(NodeStatus::Crashed { .. }), Some(left)) if left > 0.0 => (
                            format!("{who} is down · lock freed in {} ms", fixed(left, 0)),
                            format!("{who} crashed while holding the lock: the lock service frees it when the lease runs out, in {} ms", fixed(left, 0)),
                        ),
                        (_, Some(left)) if left > 0.0 => (
                            format!("{kind} {} ms left of {} ms", fixed(left, 0), p.ttl),
                            format!("The lease drains unless renewed; at zero the lock service frees the lock, whatever {who} believes"),
                        ),
                        _ => (
                            "lease over: expiring now".to_string(),
                            "The lease has run out: the lock service frees the lock at its next step".to_string(),
                        ),
                    };
                    html! {
                        <>
                            // Keyed by the token: a new grant is a new element, which pops in.
                            <g class="holder-chip" key={format!("h{}", h.token)}>
                                { mini_chip(x0 + 110.0, y0 + 26.0, h.client.index(), &nm(h.client), Some("holder")) }
                            </g>
                            <text class="svc-text" x={f(x0 + 140.0)} y={f(y0 + 32.0)}>{ format!("token {}", h.token) }</text>
                            if let Some(left) = left {
                                <g class="lease-wrap">
                                    <title>{ lease_title }</title>
                                    { lease_bar(x0, y0 + 58.0, BX1 - BX0 - 28.0, left, p.ttl as f64, lease_text) }
                                </g>
                            } else {
                                <text class="svc-text muted" x={f(x0)} y={f(y0 + 72.0)}>{ "no lease: held until released" }</text>
                            }
                        </>
                    }
                }
                None => html! {
                    <>
                        // The holding that just ended fades out of the holder's place.
                        if let Some((c, token)) = released {
                            <g class="holder-chip gone" key={format!("gone{token}")} aria-hidden="true">
                                { mini_chip(x0 + 110.0, y0 + 26.0, c.index(), &nm(c), None) }
                            </g>
                        }
                        <text class="svc-text muted" x={f(x0 + 140.0)} y={f(y0 + 32.0)}>{ "free" }</text>
                    </>
                },
            };
            let queue_html = if p.variant == Variant::Queue {
                let per = ((BX1 - BX0 - 28.0) / l.disk.queue.len().max(1) as f64).min(44.0);
                let keys = unique_keys(l.disk.queue.iter().map(|c| format!("q{}", c.0)));
                html! {
                    <>
                        <text class="svc-label" x={f(x0)} y={f(y0 + 124.0)}>{ "wait queue · first come, first served" }</text>
                        if l.disk.queue.is_empty() {
                            <text class="svc-text muted" x={f(x0)} y={f(y0 + 160.0)}>{ "empty" }</text>
                        }
                        // Keyed by client and placed by a transform, so the chips slide forward
                        // when the queue advances.
                        { for l.disk.queue.iter().zip(keys).enumerate().map(|(k, (c, key))| html! {
                            <g class="queued" {key}
                                style={format!("transform: translate({}px, {}px)", f(x0 + 20.0 + per * k as f64), f(y0 + 156.0))}>
                                <title>{ format!("{} is number {} in the wait queue", nm(*c), k + 1) }</title>
                                { mini_chip(0.0, 0.0, c.index(), &nm(*c), None) }
                            </g>
                        }) }
                    </>
                }
            } else {
                html! {
                    <>
                        <text class="svc-text muted small" x={f(x0)} y={f(y0 + 120.0)}>{ "no queue: a client that finds the key" }</text>
                        <text class="svc-text muted small" x={f(x0)} y={f(y0 + 140.0)}>{ "taken retries after a random back-off" }</text>
                        <text class="svc-text small" x={f(x0)} y={f(y0 + 172.0)}>
                            { if p.safe_release { "release: compare-and-delete by token" } else { "release: plain DEL (any holder's key!)" } }
                        </text>
                    </>
                }
            };
            html! {
                <>
                    <text class="svc-label" x={f(x0)} y={f(y0 + 32.0)}>{ if p.variant == Variant::Lease { "key" } else { "holder" } }</text>
                    { holder_html }
                    { queue_html }
                    <text class="svc-text small" x={f(x0)} y={f(LOCK_Y1 - 10.0)}>{ format!("last token handed out: {} · grants: {}", l.disk.last_token, l.disk.grants) }</text>
                </>
            }
        }
        Variant::Zookeeper => zk_tree(p.herd, p.ttl, l, names, t, counterpart),
    };
    let title = match p.variant {
        Variant::Queue => format!(
            "lock server · FIFO queue{}",
            if p.leases {
                " · leases"
            } else {
                " · no leases"
            }
        ),
        Variant::Lease => format!("lease lock · SET NX PX {}", p.ttl),
        Variant::Zookeeper => {
            format!("ZooKeeper · {}", if p.herd { "herd" } else { "recipe" })
        }
    };
    html! {
        <g class="lock-box">
            { box_frame("lock", LOCK_Y0, LOCK_Y1, title, status) }
            { body }
        </g>
    }
}

fn zk_tree(
    herd: bool,
    ttl: Time,
    l: &LockService,
    names: &[String],
    t: f64,
    counterpart: Option<&Vec<(Time, u64)>>,
) -> Html {
    let nm = |id: NodeId| names.get(id.index()).cloned().unwrap_or_default();
    let root = ((BX0 + BX1) / 2.0, LOCK_Y0 + 58.0);
    let k = l.disk.znodes.len();
    let width = BX1 - BX0 - 30.0;
    let per = (width / k.max(1) as f64).min(70.0);
    let x_of = |i: usize| BX0 + 15.0 + per * (i as f64 + 0.5) + (width - per * k as f64) / 2.0;
    let y_node = LOCK_Y0 + 120.0;
    let pos_of = |seq: u64| l.disk.znodes.iter().position(|z| z.seq == seq).map(x_of);
    let edges = (0..k).map(|i| {
        html! { <line class="zk-edge" key={format!("e{i}")} x1={f(root.0)} y1={f(root.1 + 14.0)} x2={f(x_of(i))} y2={f(y_node - 16.0)} /> }
    });
    let bw = (per - 6.0).min(60.0);
    // Each znode is placed by a transform (it slides left when a lower one goes) and shows
    // its owner's session draining: at zero the session expires and the znode is deleted.
    let keys = unique_keys(l.disk.znodes.iter().map(|z| format!("z{}", z.seq)));
    let boxes = l.disk.znodes.iter().zip(keys).enumerate().map(|(i, (z, key))| {
        let x = x_of(i);
        let left = l.disk.sessions.get(&z.owner).map(|&e| e as f64 - t);
        let frac = left.map_or(0.0, |v| (v / ttl as f64).clamp(0.0, 1.0));
        let session = match left {
            Some(v) if v > 0.0 => format!("; {}'s session expires in {} ms unless it pings", nm(z.owner), fixed(v, 0)),
            Some(_) => format!("; {}'s session is expiring now", nm(z.owner)),
            None => String::new(),
        };
        html! {
            <g class={classes!("znode", colour(z.owner.index()), (i == 0).then_some("holder"))} {key}
                style={format!("transform: translate({}px, 0px)", f(x))}>
                <title>{ format!("/lock/n-{} owned by {}{}{session}", z.seq, nm(z.owner), if i == 0 { ": the lowest, it holds the lock" } else { "" }) }</title>
                <g class="znode-pop">
                    <rect x={f(-bw / 2.0)} y={f(y_node - 16.0)} width={f(bw)} height="32" rx="5" />
                    <text class="zk-seq" x="0" y={f(y_node + 6.0)} text-anchor="middle">{ format!("n-{}", z.seq) }</text>
                </g>
                <text class="zk-owner" x="0" y={f(y_node + 34.0)} text-anchor="middle">{ nm(z.owner) }</text>
                if left.is_some() {
                    <g class={classes!("zk-session", (frac < 0.25).then_some("low"))}>
                        <rect class="lease-track" x={f(-bw / 2.0)} y={f(y_node + 40.0)} width={f(bw)} height="6" rx="2" />
                        <rect class="lease-fill" x={f(-bw / 2.0)} y={f(y_node + 40.0)} width={f(bw * frac)} height="6" rx="2" />
                    </g>
                }
            </g>
        }
    });
    // Watch arrows: from the watcher's znode to what it watches.
    let arrows = l.disk.watches.iter().enumerate().filter_map(|(i, w)| {
        let from = l
            .disk.znodes
            .iter()
            .position(|z| z.owner == w.watcher)
            .map(x_of)?;
        match w.on {
            Some(seq) => {
                let to = pos_of(seq)?;
                let mid = (from + to) / 2.0;
                let lift = 12.0 + (from - to).abs() * 0.05;
                Some(html! {
                    <path class="watch" key={format!("w{i}")} marker-end="url(#lk-arrow)"
                        d={format!("M{} {} Q{} {} {} {}", f(from), f(y_node + 52.0), f(mid), f(y_node + 52.0 + lift), f(to + 6.0), f(y_node + 52.0))} />
                })
            }
            None => Some(html! {
                <path class="watch herd" key={format!("w{i}")} marker-end="url(#lk-arrow)"
                    d={format!("M{} {} L{} {}", f(from), f(y_node - 18.0), f(root.0 + (from - root.0) * 0.25), f(root.1 + 18.0))} />
            }),
        }
    });
    let other = counterpart.map(|series| count_at(series, t));
    html! {
        <>
            <defs>
                <marker id="lk-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" class="arrow-head" />
                </marker>
            </defs>
            <g class="zk-root">
                <rect x={f(root.0 - 36.0)} y={f(root.1 - 14.0)} width="72" height="28" rx="5" />
                <text x={f(root.0)} y={f(root.1 + 6.0)} text-anchor="middle">{ "/lock" }</text>
            </g>
            { for edges }
            { for boxes }
            <g class="watches">{ for arrows }</g>
            if k == 0 {
                <text class="svc-text muted" x={f(root.0)} y={f(y_node + 6.0)} text-anchor="middle">{ "no znodes: the lock is free" }</text>
            }
            <text class="svc-text" x={f(BX0 + 14.0)} y={f(LOCK_Y1 - 34.0)}>
                { format!("watch notifications: {}", l.disk.notifications) }
            </text>
            if k > 0 {
                <g class="zk-session-legend">
                    <title>{ "The bar under each znode is its owner's session: pings refill it; if it runs out, the session expires and ZooKeeper deletes the znode" }</title>
                    <rect class="lease-track" x={f(BX1 - 140.0)} y={f(LOCK_Y1 - 44.0)} width="24" height="6" rx="2" />
                    <rect class="lease-fill" x={f(BX1 - 140.0)} y={f(LOCK_Y1 - 44.0)} width="14" height="6" rx="2" />
                    <text class="svc-text small muted" x={f(BX1 - 110.0)} y={f(LOCK_Y1 - 36.0)}>{ "session left" }</text>
                </g>
            }
            if let Some(o) = other {
                <text class="svc-text compare" x={f(BX0 + 14.0)} y={f(LOCK_Y1 - 10.0)}>
                    { format!("same run {}: {o}", if herd { "with the recipe" } else { "with the herd" }) }
                </text>
            }
        </>
    }
}

fn storage_panel(
    fencing: bool,
    st: &Storage,
    status: NodeStatus,
    names: &[String],
    violations: &[Violation],
) -> Html {
    let nm = |id: NodeId| names.get(id.index()).cloned().unwrap_or_default();
    let x0 = BX0 + 14.0;
    let y0 = STORE_Y0 + 58.0;
    let shown: Vec<_> = st.disk.log.iter().rev().take(6).collect();
    let lines = shown.iter().rev().enumerate().map(|(k, w)| {
        let y = y0 + 70.0 + 24.0 * k as f64;
        let stale = w.accepted && violations.iter().any(|v| stale_write(v) && v.time == w.at);
        html! {
            <g class={classes!("log-line", if w.accepted { "ok" } else { "rejected" }, stale.then_some("violating"))} key={format!("l{k}")}>
                <text x={f(x0)} y={f(y)}>{ format!("{} ms", w.at) }</text>
                <text x={f(x0 + 72.0)} y={f(y)}>{ format!("{} #{}", nm(w.client), w.n) }</text>
                <text x={f(x0 + 130.0)} y={f(y)}>{ format!("token {}", w.token) }</text>
                <text class="verdict" x={f(BX1 - 14.0)} y={f(y)} text-anchor="end">
                    { if stale { "⚠ accepted" } else if w.accepted { "✓ accepted" } else { "✗ rejected" } }
                </text>
            </g>
        }
    });
    html! {
        <g class="storage-box">
            { box_frame("storage", STORE_Y0, STORE_Y1, "storage: the shared resource".to_string(), status) }
            <text class="svc-text" x={f(x0)} y={f(y0 + 4.0)}>
                { format!("highest token accepted: {}", st.disk.max_token) }
            </text>
            <text class={classes!("svc-text", "small", if fencing { "fence-on" } else { "fence-off" })} x={f(x0)} y={f(y0 + 26.0)}>
                { if fencing { format!("fencing ON: rejects any token below {}", st.disk.max_token) } else { "fencing OFF: accepts every write".to_string() } }
            </text>
            <text class="svc-text small muted fence-keeps" x={f(x0)} y={f(y0 + 46.0)}>
                <title>{ if fencing {
                    "Fencing restores the property Fenced order (no accepted write goes back in token order). It does not restore Writes only from the current holder: a former holder's write that lands before the new holder's first write is still accepted, since the storage has seen no higher token yet."
                } else {
                    "Without fencing the storage takes any token: a former holder's write can land after the new holder's, breaking Fenced order as well as Writes only from the current holder."
                } }</title>
                { fencing_words(fencing) }
            </text>
            if st.disk.log.is_empty() {
                <text class="svc-text muted" x={f(x0)} y={f(y0 + 70.0)}>{ "no writes yet" }</text>
            }
            { for lines }
        </g>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_core::Algorithm;
    use wasm_bindgen_test::*;

    fn json(id: &str) -> &'static str {
        Locks::builtin(id).unwrap().json
    }

    fn loaded(id: &str, steps: u64) -> Loaded<Locks> {
        let mut l = Loaded::<Locks>::parse(json(id)).unwrap();
        l.run_to(Some(steps), None);
        l
    }

    #[wasm_bindgen_test]
    fn axis_steps_are_round() {
        assert_eq!(nice_step(180.0), 200.0);
        assert_eq!(nice_step(228.0), 500.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(1000.0), 1000.0);
    }

    #[wasm_bindgen_test]
    fn the_pause_scenario_shows_two_clients_believing_at_once() {
        let l = loaded("locks-lease-pause", 400);
        let now = l.timeline.sim().time();
        let b = bars(&l, now);
        assert_eq!(b.len(), 2, "{b:?}");
        let o = overlaps(&b);
        assert_eq!(o.len(), 1);
        let (a, c, s, e) = o[0];
        assert_eq!((a, c), (0, 1));
        assert!(s < e);
    }

    /// The pause scenario's stale write breaks two properties at one instant: one mark,
    /// saying a stale write was accepted, with both properties in its tooltip; the write is
    /// marked in the storage's log.
    #[wasm_bindgen_test]
    fn one_stale_write_is_one_mark() {
        let l = loaded("locks-lease-pause", 400);
        let v = l.violations();
        let marks = violation_marks(&v);
        assert_eq!(marks.len(), 1, "{marks:?}");
        let (time, words, vs) = &marks[0];
        assert_eq!(words, &vec!["stale write accepted"]);
        let mut props: Vec<&str> = vs.iter().map(|v| v.property).collect();
        props.sort_unstable();
        assert_eq!(props, vec![FENCED_ORDER, CURRENT_HOLDER]);
        assert!(vs.iter().all(|v| stale_write(v) && v.time == *time));
        // A lost acknowledged write is marked in its own words.
        let lost = Violation {
            step: 0,
            time: *time + 5,
            property: LOGGED_ONCE,
            explanation: String::new(),
        };
        let mut more = v.clone();
        more.push(lost.clone());
        let marks = violation_marks(&more);
        assert_eq!(marks.len(), 2);
        assert_eq!(marks[1].1, vec!["acknowledged write lost"]);
        assert!(!stale_write(&lost));
    }

    /// The storage box says what fencing keeps, and the words change with the setting.
    #[wasm_bindgen_test]
    fn the_storage_says_what_fencing_keeps() {
        assert_eq!(
            fencing_words(true),
            "keeps the token order, not exclusivity"
        );
        assert_eq!(fencing_words(false), "nothing keeps the token order");
    }

    #[wasm_bindgen_test]
    fn pauses_and_crashes_are_bands_on_the_rows() {
        let l = loaded("locks-lease-pause", 400);
        let now = l.timeline.sim().time();
        assert_eq!(outages(&l, 2, now), vec![(0, 170, 730, true)]);
        let l = loaded("locks-holder-crash", 600);
        let now = l.timeline.sim().time();
        assert_eq!(outages(&l, 3, now), vec![(0, 130, 1200, false)]);
    }

    #[wasm_bindgen_test]
    fn a_crashed_belief_ends_at_the_crash() {
        let l = loaded("locks-holder-crash", 600);
        let now = l.timeline.sim().time();
        let b = bars(&l, now);
        let c1 = b.iter().find(|x| x.client == 0).unwrap();
        assert_eq!(c1.ended, Some(Ended::Crashed));
        assert_eq!(c1.to, 130, "the scripted crash time");
        assert!(overlaps(&b).is_empty(), "the queue keeps holders apart");
    }

    #[wasm_bindgen_test]
    fn the_last_release_is_the_holding_that_fades_out() {
        // Before any release, nothing fades; at the end of the queue run, c3's token 3.
        assert_eq!(last_release(&loaded("locks-queue", 10)), None);
        assert_eq!(
            last_release(&loaded("locks-queue", 400)),
            Some((NodeId(2), 3))
        );
        // The holder-crash run: c1's lock is freed by its session expiring.
        let l = loaded("locks-holder-crash", 600);
        let k = l
            .timeline
            .trace()
            .steps
            .iter()
            .position(|s| {
                s.notes
                    .iter()
                    .any(|n| matches!(n, Note::SessionExpires { held: Some(1), .. }))
            })
            .unwrap() as u64;
        let mut l = l;
        l.seek(k + 1);
        assert_eq!(last_release(&l), Some((NodeId(0), 1)));
    }

    #[wasm_bindgen_test]
    fn the_herd_counterpart_counts_more_notifications() {
        let herd = counterpart_notifications(json("locks-zookeeper")).unwrap();
        assert!(count_at(&herd, 1e9) >= 55);
        assert_eq!(count_at(&herd, 0.0), 0);
        // And the other way: the herd run's counterpart is the recipe, with fewer.
        let recipe = counterpart_notifications(json("locks-herd")).unwrap();
        assert!(count_at(&recipe, 1e9) < count_at(&herd, 1e9));
    }
}
