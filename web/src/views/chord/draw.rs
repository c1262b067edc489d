//! The Chord view: the circle with nodes, pointers, fingers, keys and a lookup's path on
//! the left; the finger table, the stabilisation state and the hop chart on the right.

use super::{half_log2, key_text, keys_short, kind_of, name_of, phase_word, wrong_words};
use crate::components::cluster::{
    f, flying_message, node_select_handlers, status_badge, status_marks, MsgLook,
};
use crate::components::ring::{polar_at, spread};
use crate::components::{use_clock, use_shell, use_typed, Shell};
use crate::math;
use dsplay_core::algo::chord::ring::{successor_of, wrong_pointers};
use dsplay_core::algo::chord::{
    ring_now, Chord, ChordChecker, LookupRecord, Node, Phase, RingReport, Wrong,
};
use dsplay_core::session::{Loaded, Session};
use dsplay_core::{NodeId, NodeStatus, Protocol};
use std::f64::consts::{PI, TAU};
use yew::prelude::*;

/// The circle, left of the view box (1150 x 620).
const CX: f64 = 300.0;
const CY: f64 = 352.0;
const R: f64 = 188.0;
/// The tables and the chart, right of the circle.
const RX: f64 = 650.0;
const RW: f64 = 490.0;
/// The chart's box.
const CHART_TOP: f64 = 440.0;
const CHART_BOTTOM: f64 = 612.0;
/// Lookups shown in the chart (the latest).
pub const CHART_MAX: usize = 16;
/// Finger table rows shown one per finger up to this m; above, equal fingers share a row.
const FULL_TABLE: u32 = 8;

/// Angle (clockwise from the top) of a position on a circle of `size`.
fn angle(p: u64, size: u64) -> f64 {
    p as f64 / size as f64 * TAU
}

fn at(a: f64, r: f64) -> (f64, f64) {
    polar_at((CX, CY), a, r)
}

/// A node's circle radius when there are `k` nodes.
pub fn node_r(k: usize) -> f64 {
    if k <= 12 {
        24.0
    } else {
        17.0
    }
}

/// Every node's angle on the circle: its id's, pushed apart where circles would overlap.
pub fn node_angles(proto: &Chord) -> Vec<f64> {
    let size = proto.size();
    let wanted: Vec<f64> = proto.positions().iter().map(|&p| angle(p, size)).collect();
    spread(&wanted, node_r(wanted.len()), R)
}

/// An arc at radius `r` from angle `a0` to `a1`, clockwise (or not), with an arrow head.
fn arc_d(a0: f64, a1: f64, r: f64, clockwise: bool) -> String {
    let span = if clockwise {
        math::wrap(a1 - a0, TAU)
    } else {
        math::wrap(a0 - a1, TAU)
    };
    let (x0, y0) = at(a0, r);
    let (x1, y1) = at(a1, r);
    format!(
        "M{} {}A{r} {r} 0 {} {} {} {}",
        f(x0),
        f(y0),
        u8::from(span > PI),
        u8::from(clockwise),
        f(x1),
        f(y1),
        r = f(r)
    )
}

/// A chord from `p` to `q` bent towards the centre (a finger, a hop).
fn chord_d(p: (f64, f64), q: (f64, f64), bend: f64) -> String {
    let (mx, my) = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
    let (cx, cy) = (mx + (CX - mx) * bend, my + (CY - my) * bend);
    format!(
        "M{} {}Q{} {} {} {}",
        f(p.0),
        f(p.1),
        f(cx),
        f(cy),
        f(q.0),
        f(q.1)
    )
}

/// The point at `t` along [`chord_d`].
fn chord_at(p: (f64, f64), q: (f64, f64), bend: f64, t: f64) -> (f64, f64) {
    let (mx, my) = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
    let c = (mx + (CX - mx) * bend, my + (CY - my) * bend);
    let u = 1.0 - t;
    (
        u * u * p.0 + 2.0 * u * t * c.0 + t * t * q.0,
        u * u * p.1 + 2.0 * u * t * c.1 + t * t * q.1,
    )
}

/// The wrong pointers now, of the nodes in the ring or on it.
pub fn wrong_now(l: &Loaded<Chord>, report: &RingReport) -> Vec<Wrong> {
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let nodes: Vec<&Node> = sim.node_ids().map(|n| sim.node(n)).collect();
    wrong_pointers(
        &nodes,
        &report.members,
        proto.params().successors as usize,
        proto.params().bits,
        proto.size(),
    )
}

/// The node whose fingers are shown: the selected one, else the first member.
pub fn focus(shell: &Shell, report: &RingReport, total: usize) -> Option<NodeId> {
    shell
        .selected
        .filter(|&i| (i as usize) < total)
        .map(NodeId)
        .or_else(|| report.members.first().copied())
}

/// One node on the circle.
#[allow(clippy::too_many_arguments)]
fn node_html(
    id: NodeId,
    a: f64,
    r: f64,
    node: &Node,
    status: NodeStatus,
    names: &[String],
    shell: &Shell,
    acted: bool,
    wrong: usize,
) -> Html {
    let i = id.0;
    let name = name_of(names, id).to_string();
    let (x, y) = at(a, R);
    let mut class = classes!("node", "cnode");
    let badge = status_badge(status, &mut class);
    let member = node.mem.phase == Phase::Member;
    class.push(match node.mem.phase {
        Phase::Member => "member",
        Phase::Out => "out",
        _ => "joining",
    });
    if acted {
        class.push("acted");
    }
    if wrong > 0 && badge.is_none() {
        class.push("stale");
    }
    let selected = shell.selected == Some(i);
    if selected {
        class.push("selected");
    }
    let (onclick, onkeydown) = node_select_handlers(shell, i);
    let keys = keys_short(node, 3);
    let state = match badge {
        Some(b) => b.to_string(),
        None if member => String::new(),
        None => phase_word(node.mem.phase).to_string(),
    };
    // What is drawn, in order (label in name): the name, the id, the state; then the phase
    // (when the state is not it) and the keys (drawn as ⚷ and the keys, hidden below).
    let label = format!(
        "{name}, id {}{}{}, keys {}{}{}",
        node.disk.pos,
        if state.is_empty() {
            String::new()
        } else {
            format!(", {state}")
        },
        if state == phase_word(node.mem.phase) {
            String::new()
        } else {
            format!(": {}", phase_word(node.mem.phase))
        },
        if keys.is_empty() { "none" } else { &keys },
        if wrong > 0 {
            format!(", {wrong} pointer(s) wrong")
        } else {
            String::new()
        },
        if selected { ", selected" } else { "" }
    );
    // Labels outside the circle: the id, then the keys stored, then the state.
    let (lx, ly) = at(a, R + r + 24.0);
    let anchor = if math::sin(a) > 0.35 {
        "start"
    } else if math::sin(a) < -0.35 {
        "end"
    } else {
        "middle"
    };
    let below = math::cos(a) < -0.35;
    // Above the node, the lines end next to it: as many as there are, so a node with its
    // id alone keeps clear of what is drawn above the ring.
    let last = [!keys.is_empty(), !state.is_empty()]
        .iter()
        .filter(|&&b| b)
        .count() as f64;
    let line = |k: f64| {
        let dy = if below {
            6.0 + k * 21.0
        } else {
            -(last - k) * 21.0 + 6.0
        };
        f(ly + dy)
    };
    html! {
        <g {class} key={name.clone()} {onclick} {onkeydown} tabindex="0" role="button"
            aria-label={label} aria-pressed={selected.to_string()}>
            <circle class="halo" cx={f(x)} cy={f(y)} r={f(r + 8.0)} />
            <circle class="body" cx={f(x)} cy={f(y)} r={f(r)} />
            <text class="name" x={f(x)} y={f(y + if r > 20.0 { 7.0 } else { 5.0 })} text-anchor="middle">{ name.clone() }</text>
            { status_marks(status, (x, y), r * 0.8, (x + r, y - r - 14.0)) }
            <text class="id" x={f(lx)} y={line(0.0)} text-anchor={anchor}>{ format!("id {}", node.disk.pos) }</text>
            if !keys.is_empty() {
                <text class="keys" x={f(lx)} y={line(1.0)} text-anchor={anchor} aria-hidden="true">{ format!("⚷ {keys}") }</text>
            }
            if !state.is_empty() {
                <text class="state" x={f(lx)} y={line(if keys.is_empty() { 1.0 } else { 2.0 })} text-anchor={anchor}>{ state }</text>
            }
        </g>
    }
}

/// The lookup drawn: the chosen bar of the chart, else the latest.
fn shown_lookup(
    checker: Option<&ChordChecker>,
    picked: Option<usize>,
) -> Option<(usize, &LookupRecord)> {
    let all = checker.map_or(&[][..], |c| c.lookups());
    match picked {
        Some(k) if k < all.len() => Some((k, &all[k])),
        _ => all.len().checked_sub(1).map(|k| (k, &all[k])),
    }
}

/// A lookup's path: one chord per hop, numbered, ending at the node that answered.
fn path_html(rec: &LookupRecord, pos: &[(f64, f64)], proto: &Chord, names: &[String]) -> Html {
    let hops = rec.path.windows(2).enumerate().filter_map(|(k, w)| {
        let (p, q) = (*pos.get(w[0].index())?, *pos.get(w[1].index())?);
        if w[0] == w[1] {
            return None;
        }
        let (bx, by) = chord_at(p, q, 0.25, 0.5);
        let last = k + 2 == rec.path.len();
        Some(html! {
            <g class={classes!("hop", last.then_some("answer"))} key={format!("hop{k}")}>
                <path d={chord_d(p, q, 0.25)} marker-end="url(#chord-arrow-path)" />
                <circle cx={f(bx)} cy={f(by)} r="13" />
                <text x={f(bx)} y={f(by + 6.0)} text-anchor="middle">{ (k + 1).to_string() }</text>
            </g>
        })
    });
    let size = proto.size();
    let (kx, ky) = at(angle(rec.key, size), R - 42.0);
    let result = match rec.owner {
        Some(o) => format!("→ {}", name_of(names, o)),
        None => "✗ undecided".to_string(),
    };
    html! {
        <g class="lookup-path" aria-hidden="true">
            { for hops }
            <g class="lookup-key">
                <rect x={f(kx - 11.0)} y={f(ky - 11.0)} width="22" height="22" transform={format!("rotate(45 {} {})", f(kx), f(ky))} />
                <text x={f(kx)} y={f(ky - 18.0)} text-anchor="middle">{ format!("key {} {result}", rec.key) }</text>
            </g>
        </g>
    }
}

/// A row of the finger table: first and last i (from 1, minus 1), start, the finger, and
/// what it should be.
type FingerRow = (u32, u32, u64, Option<NodeId>, Option<NodeId>);

/// The finger table of `n`: i, start = n + 2^(i-1), the finger, and what it should be.
fn finger_table(l: &Loaded<Chord>, n: NodeId, report: &RingReport, top: f64, bottom: f64) -> Html {
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let names = l.names();
    let node = sim.node(n);
    let size = proto.size();
    let bits = proto.params().bits;
    let p = node.disk.pos;
    let name = name_of(names, n);
    let mut rows: Vec<FingerRow> = Vec::new();
    for i in 0..bits {
        let start = (p + (1u64 << i)) % size;
        let has = node.mem.fingers.get(i as usize).copied().flatten();
        let should = successor_of(start, &report.members, proto.positions(), size);
        match rows.last_mut() {
            Some(last) if bits > FULL_TABLE && last.3 == has && last.4 == should => last.1 = i,
            _ => rows.push((i, i, start, has, should)),
        }
    }
    let member = node.mem.phase == Phase::Member && sim.is_up(n);
    let head = format!(
        "finger table of {name} (id {p}){}",
        if member { "" } else { ": not in the ring" }
    );
    let row_h = ((bottom - top - 56.0) / rows.len().max(1) as f64).min(30.0);
    let cols = [RX + 6.0, RX + 50.0, RX + 230.0, RX + 345.0];
    let body = rows.iter().enumerate().map(|(k, &(i0, i1, start, has, should))| {
        let y = top + 56.0 + k as f64 * row_h;
        let ok = !member || has == should;
        let idx = if i0 == i1 {
            format!("{}", i0 + 1)
        } else {
            format!("{}–{}", i0 + 1, i1 + 1)
        };
        let who = |x: Option<NodeId>| {
            x.map_or("-".to_string(), |x| {
                format!("{} ({})", name_of(names, x), proto.pos(x))
            })
        };
        html! {
            <g class={classes!("frow", (!ok).then_some("wrong"))} key={idx.clone()}>
                <text x={f(cols[0])} y={f(y + row_h * 0.72)}>{ idx }</text>
                <text x={f(cols[1])} y={f(y + row_h * 0.72)}>{ format!("{p}+{} = {start}", 1u64 << i0) }</text>
                <text x={f(cols[2])} y={f(y + row_h * 0.72)}>{ who(has) }</text>
                <text class="verdict" x={f(cols[3])} y={f(y + row_h * 0.72)}>{
                    if !member { String::new() } else if ok { "✓".to_string() } else { format!("✗ should be {}", name_of(names, should.unwrap_or(n))) }
                }</text>
            </g>
        }
    });
    let succ: Vec<&str> = node.mem.succ.iter().map(|&s| name_of(names, s)).collect();
    html! {
        <g class="finger-table">
            <text class="box-head" x={f(RX)} y={f(top + 4.0)}>{ head }</text>
            <text class="box-sub" x={f(RX)} y={f(top + 28.0)}>{ format!("successors [{}] · predecessor {}",
                succ.join(", "), node.mem.pred.map_or("none", |x| name_of(names, x))) }</text>
            <g class="fhead">
                <text x={f(cols[0])} y={f(top + 50.0)}>{ "i" }</text>
                <text x={f(cols[1])} y={f(top + 50.0)}>{ "start = n+2^(i-1)" }</text>
                <text x={f(cols[2])} y={f(top + 50.0)}>{ "finger" }</text>
            </g>
            { for body }
        </g>
    }
}

/// The stabilisation state: how many pointers are wrong, since when, and the first few.
fn stabilisation(
    l: &Loaded<Chord>,
    wrong: &[Wrong],
    checker: Option<&ChordChecker>,
    top: f64,
) -> Html {
    let names = l.names();
    let conv = checker.map(|c| c.convergence()).unwrap_or_default();
    // When healed, when and how long it took go on a line of their own: the head stays
    // short enough for the column.
    let healed = match (wrong.is_empty(), conv.converged) {
        (true, Some((step, _, took))) => {
            Some(format!("since step {}: healed in {took} ms", step + 1))
        }
        _ => None,
    };
    let head = if wrong.is_empty() {
        "✓ every pointer correct".to_string()
    } else {
        format!(
            "✗ {} pointer{} still wrong{}",
            wrong.len(),
            if wrong.len() == 1 { "" } else { "s" },
            conv.since
                .map_or(String::new(), |(s, _)| format!(" (since step {})", s + 1))
        )
    };
    let lines = wrong.iter().take(2).enumerate().map(|(k, w)| {
        html! { <text class="wrong-line" key={k} x={f(RX + 10.0)} y={f(top + 50.0 + k as f64 * 24.0)}>{ format!("✗ {}", wrong_words(w, names)) }</text> }
    });
    let more = wrong.len().saturating_sub(2);
    html! {
        <g class={classes!("stab-state", (!wrong.is_empty()).then_some("wrong"))} role="status"
            aria-label={healed.as_ref().map_or(head.clone(), |h| format!("{head} ({h})"))}>
            <text class="box-head" x={f(RX)} y={f(top + 22.0)}>{ head }</text>
            if let Some(h) = &healed {
                <text class="healed-line" x={f(RX + 10.0)} y={f(top + 50.0)}>{ h.clone() }</text>
            }
            { for lines }
            if more > 0 {
                <text class="wrong-line" x={f(RX + 10.0)} y={f(top + 50.0 + 2.0 * 24.0)}>{ format!("… and {more} more (stabilize and fix_fingers repair them)") }</text>
            }
        </g>
    }
}

/// The chart: hops per lookup (latest [`CHART_MAX`]) against ½·log2 N.
fn hop_chart(
    checker: Option<&ChordChecker>,
    shown: Option<usize>,
    pick: &UseStateHandle<Option<usize>>,
    names: &[String],
) -> Html {
    let all = checker.map_or(&[][..], |c| c.lookups());
    let first = all.len().saturating_sub(CHART_MAX);
    let recs = &all[first..];
    let top = CHART_TOP + 34.0;
    let base = CHART_BOTTOM - 26.0;
    let left = RX + 36.0;
    let width = RW - 44.0;
    let max_hops = recs
        .iter()
        .map(|r| f64::from(r.hops).max(half_log2(r.members)))
        .fold(4.0_f64, f64::max)
        .ceil();
    let yv = |v: f64| base - v / max_hops * (base - top);
    let bw = width / CHART_MAX as f64;
    let bars = recs.iter().enumerate().map(|(k, r)| {
        let idx = first + k;
        let x = left + k as f64 * bw;
        let ok = r.owner.is_some();
        let h = f64::from(r.hops);
        let expect = half_log2(r.members);
        let title = format!(
            "lookup {} of key {} from {}: {} hop{}{}, ½·log2 {} = {} (click to draw its path)",
            idx + 1,
            r.key,
            name_of(names, r.origin),
            r.hops,
            if r.hops == 1 { "" } else { "s" },
            match r.owner {
                Some(o) => format!(", found {}", name_of(names, o)),
                None => ", could not decide".to_string(),
            },
            r.members,
            dsplay_core::decimal::fixed(expect, 1)
        );
        let onclick = {
            let pick = pick.clone();
            Callback::from(move |_: MouseEvent| pick.set(Some(idx)))
        };
        let onkeydown = {
            let pick = pick.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    pick.set(Some(idx));
                }
            })
        };
        let class = classes!("bar", (!ok).then_some("failed"), (shown == Some(idx)).then_some("shown"));
        html! {
            <g {class} key={idx} {onclick} {onkeydown} tabindex="0" role="button" aria-label={title.clone()}>
                // The tooltip is the name: not read twice, nor taken for text drawn.
                <title aria-hidden="true">{ title }</title>
                <rect class="hit" x={f(x)} y={f(top)} width={f(bw)} height={f(base - top)} />
                <rect class="fill" x={f(x + 3.0)} y={f(yv(h))} width={f(bw - 6.0)} height={f(base - yv(h))} />
                <line class="expect" x1={f(x)} x2={f(x + bw)} y1={f(yv(expect))} y2={f(yv(expect))} />
                <text class="n" x={f(x + bw / 2.0)} y={f(yv(h) - 5.0)} text-anchor="middle">{ if ok { r.hops.to_string() } else { "✗".to_string() } }</text>
            </g>
        }
    });
    let mean = if recs.is_empty() {
        String::new()
    } else {
        let done: Vec<&LookupRecord> = recs.iter().filter(|r| r.owner.is_some()).collect();
        let avg = done.iter().map(|r| f64::from(r.hops)).sum::<f64>() / done.len().max(1) as f64;
        format!(
            ": mean {} hops, {}/{} found",
            dsplay_core::decimal::fixed(avg, 1),
            done.len(),
            recs.len()
        )
    };
    html! {
        <g class="hop-chart">
            <text class="box-head" x={f(RX)} y={f(CHART_TOP + 20.0)}>{ format!("hops per lookup{mean}") }</text>
            <line class="axis" x1={f(left)} x2={f(left + width)} y1={f(base)} y2={f(base)} />
            <line class="axis" x1={f(left)} x2={f(left)} y1={f(top)} y2={f(base)} />
            <text class="tick" x={f(left - 6.0)} y={f(yv(max_hops) + 6.0)} text-anchor="end">{ (max_hops as u32).to_string() }</text>
            <text class="tick" x={f(left - 6.0)} y={f(base + 6.0)} text-anchor="end">{ "0" }</text>
            { for bars }
            if recs.is_empty() {
                <text class="muted-text" x={f(left + 12.0)} y={f((top + base) / 2.0)}>{ "no lookup has ended yet: look one up in the panel" }</text>
            }
            <g class="chart-legend">
                <rect class="fill" x={f(left)} y={f(base + 8.0)} width="16" height="14" />
                <text x={f(left + 22.0)} y={f(base + 21.0)}>{ "hops" }</text>
                <line class="expect" x1={f(left + 90.0)} x2={f(left + 120.0)} y1={f(base + 15.0)} y2={f(base + 15.0)} />
                <text x={f(left + 126.0)} y={f(base + 21.0)}>{ "½·log2 N (N nodes in the ring)" }</text>
            </g>
        </g>
    }
}

#[function_component(ChordView)]
pub fn chord_view() -> Html {
    let shell = use_shell();
    let typed = use_typed::<Chord>();
    let pick = use_state(|| None::<usize>);
    // Messages move between steps.
    let t = use_clock().shown;
    let l = typed.run.borrow();
    let names = l.names().to_vec();
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let params = proto.params().clone();
    let size = proto.size();
    let checker = sim.checker();
    let report = ring_now(sim);
    let wrong = wrong_now(&l, &report);
    let angles = node_angles(proto);
    let nr = node_r(angles.len());
    let pos: Vec<(f64, f64)> = angles.iter().map(|&a| at(a, R)).collect();
    let actor = l.last_actor();
    let wrong_of = |n: NodeId| {
        wrong
            .iter()
            .filter(|w| match w {
                Wrong::Successor { node, .. }
                | Wrong::List { node }
                | Wrong::Predecessor { node, .. }
                | Wrong::Finger { node, .. } => *node == n,
            })
            .count()
    };
    let is_wrong = |n: NodeId, succ: bool| {
        wrong.iter().any(|w| match w {
            Wrong::Successor { node, .. } => succ && *node == n,
            Wrong::Predecessor { node, .. } => !succ && *node == n,
            _ => false,
        })
    };
    let gap = nr / R + 0.03;

    // Successor arrows outside the circle, predecessor arrows inside.
    let pointers = sim.node_ids().filter(|&n| sim.is_up(n)).flat_map(|n| {
        let node = sim.node(n);
        let mut out = Vec::new();
        let a0 = angles[n.index()];
        if let Some(&s) = node.mem.succ.first().filter(|&&s| s != n) {
            let bad = is_wrong(n, true);
            out.push(html! {
                <path key={format!("s{}", n.0)} class={classes!("succ", bad.then_some("wrong"))}
                    d={arc_d(a0 + gap, angles[s.index()] - gap, R + 4.0, true)} marker-end={if bad { "url(#chord-arrow-wrong)" } else { "url(#chord-arrow-succ)" }} />
            });
        }
        if let Some(p) = node.mem.pred.filter(|&p| p != n) {
            let bad = is_wrong(n, false);
            out.push(html! {
                <path key={format!("p{}", n.0)} class={classes!("pred", bad.then_some("wrong"))}
                    d={arc_d(a0 - gap, angles[p.index()] + gap, R - 16.0, false)} marker-end={if bad { "url(#chord-arrow-wrong)" } else { "url(#chord-arrow-pred)" }} />
            });
        }
        out
    });

    // The focus node's fingers: one chord per distinct node, labelled with its indices.
    let focus = focus(&shell, &report, names.len());
    let fingers = focus
        .filter(|&n| sim.is_up(n))
        .map(|n| {
            let node = sim.node(n);
            let mut groups: Vec<(NodeId, Vec<u32>, bool)> = Vec::new();
            for (i, x) in node.mem.fingers.iter().enumerate() {
                let Some(x) = *x else { continue };
                if x == n {
                    continue;
                }
                let bad = wrong.iter().any(|w| matches!(w, Wrong::Finger { node, index, .. } if *node == n && *index == i as u32));
                match groups.iter_mut().find(|g| g.0 == x) {
                    Some(g) => {
                        g.1.push(i as u32 + 1);
                        g.2 |= bad;
                    }
                    None => groups.push((x, vec![i as u32 + 1], bad)),
                }
            }
            groups
                .into_iter()
                .map(|(x, idx, bad)| {
                    let (p, q) = (pos[n.index()], pos[x.index()]);
                    let (lx, ly) = chord_at(p, q, 0.45, 0.62);
                    let label = if idx.len() == 1 {
                        format!("f{}", idx[0])
                    } else {
                        format!("f{}–{}", idx[0], idx[idx.len() - 1])
                    };
                    html! {
                        <g class={classes!("finger", bad.then_some("wrong"))} key={format!("f{}", x.0)}>
                            <path d={chord_d(p, q, 0.45)} marker-end="url(#chord-arrow-finger)" />
                            <text x={f(lx)} y={f(ly + 6.0)} text-anchor="middle">{ if bad { format!("{label} ✗") } else { label } }</text>
                        </g>
                    }
                })
                .collect::<Html>()
        })
        .unwrap_or_default();

    // Keys on the circle: a small diamond each, ✕ if lost; labelled when few.
    let lost = checker.map(|c| c.lost());
    let few = proto.keys().len() <= 12;
    let keys = proto.keys().iter().map(|(k, name)| {
        let (x, y) = at(angle(*k, size), R - 40.0);
        let gone = lost.is_some_and(|s| s.contains(k));
        let title = format!(
            "key {} at position {k}{}",
            name,
            if gone { ": lost (no running node holds it)" } else { "" }
        );
        html! {
            <g class={classes!("ckey", gone.then_some("lost"))} key={format!("k{k}")}>
                <title>{ title }</title>
                <rect x={f(x - 6.0)} y={f(y - 6.0)} width="12" height="12" transform={format!("rotate(45 {} {})", f(x), f(y))} />
                if gone {
                    <text class="lost-mark" x={f(x)} y={f(y + 6.0)} text-anchor="middle">{ "✕" }</text>
                }
                if few {
                    <text class="klabel" x={f(x + (CX - x) * 0.16)} y={f(y + (CY - y) * 0.16 + 6.0)} text-anchor="middle">{ k.to_string() }</text>
                }
            </g>
        }
    });

    // Ticks: every position on a small circle, else sixteenths; 0 at the top labelled.
    let step = if size <= 64 { 1 } else { size / 16 };
    let mut ticks = String::new();
    let mut p = 0;
    while p < size {
        let a = angle(p, size);
        let long = p % (size / 4).max(1) == 0;
        let (x0, y0) = at(a, R - if long { 8.0 } else { 4.0 });
        let (x1, y1) = at(a, R + if long { 8.0 } else { 4.0 });
        ticks.push_str(&format!("M{} {}L{} {}", f(x0), f(y0), f(x1), f(y1)));
        p += step;
    }
    let quarter = (0..4).map(|q| {
        let v = size / 4 * q;
        let (x, y) = at(angle(v, size), R - 62.0);
        html! { <text class="quarter" key={q} x={f(x)} y={f(y + 7.0)} text-anchor="middle">{ v.to_string() }</text> }
    });

    let nodes = sim.node_ids().map(|id| {
        node_html(
            id,
            angles[id.index()],
            nr,
            sim.node(id),
            sim.status(id),
            &names,
            &shell,
            actor == Some(id.0),
            wrong_of(id),
        )
    });

    let shown = shown_lookup(checker, *pick);
    let path = shown.map(|(_, r)| path_html(r, &pos, proto, &names));

    let msgs = l.in_flight();
    let just_sent = l.pos().checked_sub(1);
    let crowded = msgs.len() > 10;
    let dots = msgs.iter().filter_map(|m| {
        let (kind, shape, label, verdict) = kind_of(m.label);
        let fresh = Some(m.sent_step) == just_sent;
        let look = MsgLook {
            page: "cmsg",
            kind,
            shape,
            label,
            verdict,
            labelled: !crowded || fresh || shell.selected_msg == Some(m.id),
        };
        let at = |i: u32| pos.get(i as usize).copied().unwrap_or((CX, CY));
        flying_message(m, at(m.from), at(m.to), t, &names, &shell, fresh, look)
    });

    let n = report.members.len();
    let ring_words = match (report.ring(), report.cycles.len()) {
        (_, 0) => "no ring".to_string(),
        (Some(_), _) => "one ring".to_string(),
        (None, c) => format!("{c} rings"),
    };
    let status = format!(
        "{n} node{} in the ring · {ring_words} · 2^{} = {size} ids",
        if n == 1 { "" } else { "s" },
        params.bits
    );
    let mut flags = vec![
        if params.fingers {
            "lookups by fingers".to_string()
        } else {
            "lookups by successors only".to_string()
        },
        format!("successor list r = {}", params.successors),
    ];
    if params.replicate {
        flags.push("keys replicated".into());
    }
    let shown_words = shown.map(|(k, r)| {
        format!(
            "lookup {} of {}: {} → {} in {} hop{}",
            k + 1,
            key_text(proto, r.key),
            name_of(&names, r.origin),
            r.owner.map_or("✗", |o| name_of(&names, o)),
            r.hops,
            if r.hops == 1 { "" } else { "s" }
        )
    });
    html! {
        <svg class="chord cluster" viewBox="0 0 1150 620" role="group" data-view=""
            aria-label={format!("Chord: {status}; {} pointers wrong; {} messages in flight", wrong.len(), msgs.len())}>
            <defs>
                { for ["succ", "pred", "finger", "wrong", "path"].iter().map(|k| html! {
                    <marker id={format!("chord-arrow-{k}")} key={*k} class={format!("arrow-{k}")} viewBox="0 0 10 10" refX="8" refY="5"
                        markerWidth="5" markerHeight="5" orient="auto-start-reverse">
                        <path d="M0 0L10 5L0 10z" />
                    </marker>
                }) }
            </defs>
            <text class="cluster-status" x="12" y="30">{ status }</text>
            if params.unsafe_original_join {
                <text class="unsafe-flag" x="12" y="56">{ format!("UNSAFE: original join (no Zave fix) · {}", flags.join(" · ")) }</text>
            } else {
                <text class="flags" x="12" y="56">{ flags.join(" · ") }</text>
            }
            if let Some(w) = shown_words {
                <text class="path-words" x="12" y="82">{ w }</text>
            }
            <circle class="circle" cx={f(CX)} cy={f(CY)} r={f(R)} />
            <path class="ticks" d={ticks} />
            { for quarter }
            <g class="keys-layer">{ for keys }</g>
            <g class="pointers">{ for pointers }</g>
            <g class="fingers">{ fingers }</g>
            { for path }
            <g class="nodes">{ for nodes }</g>
            <g class="msgs">{ for dots }</g>
            { focus.map(|n| finger_table(&l, n, &report, 84.0, 330.0)).unwrap_or_default() }
            { stabilisation(&l, &wrong, checker, 330.0) }
            { hop_chart(checker, shown.map(|(k, _)| k), &pick, &names) }
        </svg>
    }
}
