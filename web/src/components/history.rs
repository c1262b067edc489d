//! A history of register operations drawn as lanes: one lane per client (history
//! process), each operation a bar from its invocation to its response, labelled with what
//! it wrote or read; a pending operation runs to the right edge, dashed, with `…`; a failed
//! one is crossed out; a marked operation (a stale read, an operation a checker names)
//! carries the mark's words at the bar. The key-value store's page draws its run's history
//! with it; a consistency-model view can draw a hand-made or imported history the same way.
//!
//! It draws into an SVG group at a given box, in the view box units of the page's SVG.

use crate::components::cluster::f;
use dsplay_core::history::{History, Op, OpId, OpKind, Outcome};
use dsplay_core::Time;
use yew::prelude::*;

/// Something to say at one operation: a stale read, an anomaly's witness.
#[derive(Clone, Debug, PartialEq)]
pub struct OpMark {
    pub op: OpId,
    /// Short words drawn by the bar ("stale").
    pub label: String,
    /// The full explanation (the tooltip).
    pub why: String,
    /// A broken promise (drawn in the violation accent) rather than an observation.
    pub violation: bool,
}

/// Where and what to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Lanes<'a> {
    pub history: &'a History,
    /// The name of each lane (history process), by process number; a process past the
    /// end is named `p<number>`.
    pub names: &'a [String],
    /// The time now: with no operation, the axis ends here.
    pub now: Time,
    /// The box: left, top, width, height (the lane names take `NAME_W` of the width).
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub marks: &'a [OpMark],
    /// The selected operation, drawn thicker.
    pub selected: Option<OpId>,
}

/// Width kept left of the lanes for their names.
pub const NAME_W: f64 = 64.0;
/// The tallest lane.
const MAX_LANE: f64 = 70.0;

/// An operation's short words: `W k3=5`, `R k3→5`, `R k3→∅`, `R k3…`.
pub fn op_words(op: &Op) -> String {
    match (op.kind, op.outcome) {
        (OpKind::Write, _) => format!("W {}={}", op.key, op.value.unwrap_or(0)),
        (OpKind::Read, Outcome::Ok) => match op.value {
            Some(v) => format!("R {}→{v}", op.key),
            None => format!("R {}→∅", op.key),
        },
        (OpKind::Read, _) => format!("R {}", op.key),
    }
}

/// An operation in a sentence, for its tooltip.
pub fn op_sentence(op: &Op, lane: &str) -> String {
    let what = match op.kind {
        OpKind::Write => format!("writes {}={}", op.key, op.value.unwrap_or(0)),
        OpKind::Read => format!("reads {}", op.key),
    };
    let end = match (op.outcome, op.complete) {
        (Outcome::Ok, Some(c)) => match (op.kind, op.value) {
            (OpKind::Read, Some(v)) => format!("returns {v} at t={c} ms"),
            (OpKind::Read, None) => format!("returns nothing (empty) at t={c} ms"),
            _ => format!("acknowledged at t={c} ms"),
        },
        (Outcome::Fail, Some(c)) => format!("refused at t={c} ms: it took no effect"),
        _ => "pending: no answer yet (a write may still take effect)".to_string(),
    };
    format!("{lane} {what} at t={} ms; {end}", op.invoke)
}

/// The lane count: one per process that has an operation, at least one.
pub fn lane_count(history: &History) -> usize {
    history
        .ops
        .iter()
        .map(|o| o.client as usize + 1)
        .max()
        .unwrap_or(1)
}

/// The lanes as an SVG group.
pub fn history_lanes(l: &Lanes) -> Html {
    let lanes = lane_count(l.history).max(l.names.len());
    let lane_h = (l.h / lanes as f64).min(MAX_LANE);
    let bar_h = (lane_h * 0.32).clamp(8.0, 18.0);
    // The axis spans the operations, not the whole run: from the first invocation to the
    // last answer or invocation, with a margin; a pending operation runs to the right edge.
    let start = l.history.ops.iter().map(|o| o.invoke).min().unwrap_or(0);
    let last = l
        .history
        .ops
        .iter()
        .map(|o| o.complete.unwrap_or(o.invoke))
        .max()
        .unwrap_or(l.now)
        .max(start + 1);
    let end = last + ((last - start) / 12).max(20);
    let x0 = l.x + NAME_W;
    let w = l.w - NAME_W - 8.0;
    let tx = |t: Time| x0 + w * (t.saturating_sub(start) as f64 / (end - start) as f64);
    let name = |p: u32| {
        l.names
            .get(p as usize)
            .cloned()
            .unwrap_or_else(|| format!("p{p}"))
    };
    let lane_rows = (0..lanes).map(|p| {
        let cy = l.y + lane_h * (p as f64 + 0.6);
        html! {
            <g key={format!("lane{p}")} class="lane">
                <line class="lane-line" x1={f(x0)} x2={f(x0 + w)} y1={f(cy)} y2={f(cy)} />
                <text class="lane-name" x={f(l.x)} y={f(cy + 6.0)}>{ name(p as u32) }</text>
            </g>
        }
    });
    // Labels alternate above and below the bar within a lane, so that short operations
    // side by side do not write over each other.
    let mut nth_in_lane = vec![0usize; lanes];
    let bars = l.history.ops.iter().enumerate().map(|(id, op)| {
        let lane = op.client as usize;
        let k = nth_in_lane[lane];
        nth_in_lane[lane] += 1;
        let cy = l.y + lane_h * (lane as f64 + 0.6);
        let a = tx(op.invoke);
        let pending = op.complete.is_none() || op.outcome == Outcome::Pending;
        let b = if pending { tx(end) } else { tx(op.complete.unwrap_or(end)) };
        let b = b.max(a + 6.0);
        let mark = l.marks.iter().find(|m| m.op == id);
        let class = classes!(
            "op",
            if op.is_write() { "write" } else { "read" },
            match op.outcome {
                Outcome::Ok => "ok",
                Outcome::Fail => "fail",
                Outcome::Pending => "pending",
            },
            mark.map(|m| if m.violation { "violated" } else { "observed" }),
            (l.selected == Some(id)).then_some("selected"),
        );
        let above = k % 2 == 0;
        let ly = if above { cy - bar_h / 2.0 - 5.0 } else { cy + bar_h / 2.0 + 18.0 };
        let mut words = op_words(op);
        if pending {
            words.push('…');
        } else if op.outcome == Outcome::Fail {
            words.push_str(" ✗");
        }
        let mut title = op_sentence(op, &name(op.client));
        if let Some(m) = mark {
            title.push_str(&format!(". {}: {}", m.label, m.why));
        }
        html! {
            <g key={format!("op{id}")} class={class} data-op={id.to_string()}>
                <title>{ title }</title>
                <rect class="bar" x={f(a)} y={f(cy - bar_h / 2.0)} width={f(b - a)} height={f(bar_h)} rx="3" />
                <line class="tick" x1={f(a)} x2={f(a)} y1={f(cy - bar_h / 2.0 - 3.0)} y2={f(cy + bar_h / 2.0 + 3.0)} />
                if !pending {
                    <line class="tick" x1={f(b)} x2={f(b)} y1={f(cy - bar_h / 2.0 - 3.0)} y2={f(cy + bar_h / 2.0 + 3.0)} />
                }
                <text class="op-words" x={f(a)} y={f(ly)}>{ words }</text>
                if let Some(m) = mark {
                    if b > x0 + w * 0.7 {
                        <text class="op-mark" x={f(a - 4.0)} y={f(cy + 6.0)} text-anchor="end">{ format!("⚠ {}", m.label) }</text>
                    } else {
                        <text class="op-mark" x={f(b + 4.0)} y={f(cy + 6.0)}>{ format!("⚠ {}", m.label) }</text>
                    }
                }
            </g>
        }
    });
    html! {
        <g class="history-lanes" role="group" aria-label={format!("History: {} operations in {} lanes", l.history.ops.len(), lanes)}>
            <line class="axis" x1={f(x0)} x2={f(x0 + w)} y1={f(l.y + l.h)} y2={f(l.y + l.h)} />
            <text class="axis-words" x={f(x0)} y={f(l.y + l.h + 20.0)}>{ format!("t={start} ms") }</text>
            <text class="axis-words end" x={f(x0 + w)} y={f(l.y + l.h + 20.0)} text-anchor="end">{ format!("t={end} ms") }</text>
            { for lane_rows }
            { for bars }
        </g>
    }
}
