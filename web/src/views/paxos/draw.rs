//! The Paxos view: the nodes by role with the messages in flight, the slot grid with what
//! was chosen when, and the proposers' state.

use super::{adoption_words, ballot_text, clip, kind_of, livelock_words, phase_short, value_text};
use crate::components::cluster::{
    dotted, f, flying_message, node_select_handlers, spoken, status_badge, status_marks, MsgLook,
    NODE_R,
};
use crate::components::{unique_keys, use_clock, use_shell, use_typed, Shell};
use crate::math;
use crate::store::ShellMsg;
use dsplay_core::algo::paxos::{Node, Paxos, PaxosChecker, Phase, Value};
use dsplay_core::session::{Loaded, MsgView, Session};
use dsplay_core::{NodeId, NodeStatus, Protocol};
use yew::prelude::*;

/// The columns of proposers, acceptors and learners, and the band they are spread over.
const P_X: f64 = 70.0;
const A_X: f64 = 235.0;
const L_X: f64 = 400.0;
const COL_TOP: f64 = 108.0;
const COL_BOTTOM: f64 = 578.0;
/// Colocated roles: the nodes on a ring.
const RING_CX: f64 = 235.0;
const RING_CY: f64 = 345.0;
const RING_R: f64 = 172.0;
/// The slot grid and the proposers' box, right of the nodes.
const GX: f64 = 478.0;
const GW: f64 = 664.0;
const NAME_W: f64 = 74.0;
const PROM_W: f64 = 96.0;
/// The view box is 1150 x 590 (the view's `viewBox`): wider than tall, as the view's room
/// on a projector is. Its height:
const VIEW_H: f64 = 590.0;
/// Most slots shown; older ones scroll off to the left.
pub const MAX_SLOTS: u64 = 6;

/// Node `k` of `m` in a column at `x`: spread evenly, alternately left and right of the
/// column when there are more than five.
fn column(k: usize, m: usize, x: f64) -> (f64, f64) {
    let h = (COL_TOP - COL_BOTTOM).abs() / m.max(1) as f64;
    let dx = if m > 5 {
        if k % 2 == 0 {
            -42.0
        } else {
            42.0
        }
    } else {
        0.0
    };
    (x + dx, COL_TOP + (k as f64 + 0.5) * h)
}

/// Every node's centre in the view box: by role in three columns, or on a ring
/// when a node plays several roles.
pub fn positions(proto: &Paxos) -> Vec<(f64, f64)> {
    let n = proto.node_total() as usize;
    if proto.params().colocated {
        return (0..n)
            .map(|i| {
                let a = -std::f64::consts::FRAC_PI_2
                    + std::f64::consts::TAU * i as f64 / n.max(1) as f64;
                (
                    RING_CX + RING_R * math::cos(a),
                    RING_CY + RING_R * math::sin(a),
                )
            })
            .collect();
    }
    let mut out = vec![(0.0, 0.0); n];
    for (ids, x) in [
        (proto.proposer_ids(), P_X),
        (proto.acceptor_ids(), A_X),
        (proto.learner_ids(), L_X),
    ] {
        let m = ids.len();
        for (k, id) in ids.iter().enumerate() {
            if let Some(p) = out.get_mut(id.index()) {
                *p = column(k, m, x);
            }
        }
    }
    out
}

/// Whether the nodes have room for a line of detail under them.
fn roomy(proto: &Paxos) -> bool {
    let p = proto.params();
    if p.colocated {
        proto.node_total() <= 6
    } else {
        p.proposers.max(p.acceptors).max(p.learners) <= 5
    }
}

/// A node leads (Multi-Paxos) when its proposer is in the leading phase and it is up.
fn leads(node: &Node, status: NodeStatus) -> bool {
    matches!(status, NodeStatus::Up)
        && node
            .mem
            .proposer
            .as_ref()
            .is_some_and(|p| p.phase == Phase::Leading)
}

/// The line under a node: its phase, its promise, what it learned.
fn detail(node: &Node, names: &[String], multi: bool) -> String {
    let r = node.disk.roles;
    let mut parts = Vec::new();
    if let Some(p) = &node.mem.proposer {
        parts.push(match p.ballot {
            Some(b) if p.phase != Phase::Idle => {
                format!("{} {}", phase_short(p.phase), b.show(names))
            }
            _ => phase_short(p.phase).to_string(),
        });
    }
    if r.acceptor {
        parts.push(format!("promised {}", ballot_text(node.promised(), names)));
    }
    if r.learner && !(r.proposer || r.acceptor) {
        let d = node.disk.learner.as_ref();
        parts.push(if multi {
            format!("applied {}", d.map_or(0, |d| d.applied.len()))
        } else {
            match node.learned(1) {
                Some(l) => format!("learned {}", value_text(&l.value, 8)),
                None => "learned nothing".to_string(),
            }
        });
    }
    parts.join(" · ")
}

/// One node.
#[allow(clippy::too_many_arguments)]
fn node_html(
    i: usize,
    at: (f64, f64),
    name: &str,
    node: &Node,
    status: NodeStatus,
    names: &[String],
    shell: &Shell,
    acted: bool,
    colocated: bool,
    roomy: bool,
    multi: bool,
) -> Html {
    let (x, y) = at;
    let r = node.disk.roles;
    let mut class = classes!("node", "pnode");
    if colocated {
        class.push("colocated");
    } else if r.proposer {
        class.push("proposer");
    } else if r.acceptor {
        class.push("acceptor");
    } else {
        class.push("learner");
    }
    let badge = status_badge(status, &mut class);
    let leader = leads(node, status);
    if leader {
        class.push("leader");
    }
    if acted {
        class.push("acted");
    }
    let selected = shell.selected == Some(i as u32);
    if selected {
        class.push("selected");
    }
    let (onclick, onkeydown) = node_select_handlers(shell, i as u32);
    let under = match badge {
        Some(b) => b.to_string(),
        None => detail(node, names, multi),
    };
    // The words drawn, in order (label in name): the name and the line under it; then the
    // roles and the lead, which the letters and the crown show.
    let more = detail(node, names, multi);
    let label = format!(
        "{name}{}: {}{}{}{}",
        if under.is_empty() {
            String::new()
        } else {
            format!(", {}", spoken(&under))
        },
        r.words(),
        if leader { ", leader" } else { "" },
        if badge.is_some() && !more.is_empty() {
            format!(", {}", spoken(&more))
        } else {
            String::new()
        },
        if selected { ", selected" } else { "" }
    );
    // The outline tells the role: proposer round, acceptor square, learner hexagon.
    let body = if colocated || r.proposer {
        html! { <circle class="body" cx={f(x)} cy={f(y)} r={f(NODE_R)} /> }
    } else if r.acceptor {
        let s = NODE_R * 0.92;
        html! { <rect class="body" x={f(x - s)} y={f(y - s)} width={f(2.0 * s)} height={f(2.0 * s)} rx="10" /> }
    } else {
        let mut d = String::new();
        for k in 0..6 {
            let a = std::f64::consts::TAU * k as f64 / 6.0;
            d.push_str(&format!(
                "{}{} {} ",
                if k == 0 { "M" } else { "L" },
                f(x + NODE_R * math::cos(a)),
                f(y + NODE_R * math::sin(a))
            ));
        }
        d.push('Z');
        html! { <path class="body" d={d} /> }
    };
    let roles = if colocated {
        let mut s = String::new();
        for (on, c) in [(r.proposer, 'P'), (r.acceptor, 'A'), (r.learner, 'L')] {
            if on {
                s.push(c);
            }
        }
        Some(s)
    } else {
        None
    };
    html! {
        <g {class} key={name.to_string()} {onclick} {onkeydown} tabindex="0" role="button"
            aria-label={label} aria-pressed={selected.to_string()}>
            <circle class="halo" cx={f(x)} cy={f(y)} r={f(NODE_R + 10.0)} />
            { body }
            <text class="name" x={f(x)} y={f(y + if roles.is_some() { 0.0 } else { 8.0 })} text-anchor="middle">{ name }</text>
            if let Some(roles) = roles {
                <text class="roles" x={f(x)} y={f(y + 22.0)} text-anchor="middle" aria-hidden="true">{ roles }</text>
            }
            if leader {
                <text class="crown" x={f(x)} y={f(y - NODE_R - 10.0)} text-anchor="middle" aria-hidden="true">{ "♛ L" }</text>
            }
            { status_marks(status, (x, y), 26.0, (x + 28.0, y - 50.0)) }
            if roomy || badge.is_some() {
                <text class="detail" x={f(x)} y={f(y + NODE_R + 22.0)} text-anchor="middle">{ dotted(&under) }</text>
            }
        </g>
    }
}

/// A message in flight at time `t`.
fn message(
    m: &MsgView,
    pos: &[(f64, f64)],
    names: &[String],
    t: f64,
    shell: &Shell,
    fresh: bool,
    crowded: bool,
) -> Option<Html> {
    let at = |i: u32| pos.get(i as usize).copied().unwrap_or((0.0, 0.0));
    let (kind, shape, label, verdict) = kind_of(m.label);
    let look = MsgLook {
        page: "pmsg",
        kind,
        shape,
        label,
        verdict,
        labelled: !crowded || fresh || shell.selected_msg == Some(m.id),
    };
    flying_message(m, at(m.from), at(m.to), t, names, shell, fresh, look)
}

/// The highest slot anything is known of.
fn last_slot(l: &Loaded<Paxos>, checker: Option<&PaxosChecker>) -> u64 {
    let sim = l.timeline.sim();
    let mut top = checker.and_then(|c| c.chosen_slots().max()).unwrap_or(0);
    for id in sim.node_ids() {
        let n = sim.node(id);
        if let Some(a) = &n.disk.acceptor {
            top = top.max(a.accepted.len() as u64);
        }
        if let Some(d) = &n.disk.learner {
            top = top.max(d.learned.len() as u64);
        }
        if let Some(p) = &n.mem.proposer {
            top = top.max(p.next_slot.saturating_sub(1));
            if let Some((&s, _)) = p.proposals.last_key_value() {
                top = top.max(s);
            }
        }
    }
    top
}

/// The first slot shown when the highest known is `last`.
pub fn first_slot(last: u64) -> u64 {
    last.saturating_sub(MAX_SLOTS) + 1
}

/// Split `text` into lines of at most `width` characters, at spaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A cell's two lines of text, or one when the row is short.
fn cell_text(x: f64, y: f64, w: f64, h: f64, top: String, bottom: String) -> Html {
    if h >= 34.0 {
        html! {
            <>
                <text class="v" x={f(x + w / 2.0)} y={f(y + h * 0.46)} text-anchor="middle">{ top }</text>
                <text class="b" x={f(x + w / 2.0)} y={f(y + h * 0.86)} text-anchor="middle">{ bottom }</text>
            </>
        }
    } else {
        html! {
            <text class="v" x={f(x + w / 2.0)} y={f(y + h * 0.72)} text-anchor="middle">{ format!("{top} {bottom}") }</text>
        }
    }
}

/// The slot grid between `top` and `bottom`: acceptors (promise, accepted per slot),
/// learners (learned, applied) and the chosen row.
fn grid(
    l: &Loaded<Paxos>,
    checker: Option<&PaxosChecker>,
    shell: &Shell,
    top: f64,
    bottom: f64,
) -> Html {
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let names = l.names();
    let multi = proto.params().multi;
    let majority = proto.majority() as usize;
    let last = if multi { last_slot(l, checker) } else { 1 };
    let first = if multi { first_slot(last) } else { 1 };
    let cols = if multi { MAX_SLOTS } else { 1 };
    let cell_w = (GW - NAME_W - PROM_W) / cols as f64;
    let wide = cell_w > 200.0;
    let acceptors = proto.acceptor_ids();
    let learners = proto.learner_ids();
    let rows = acceptors.len() + learners.len() + 1;
    let head = 30.0;
    let row_h = ((bottom - top - head - 10.0) / rows as f64).min(52.0);
    let cell_h = row_h - 6.0;
    let y0 = top + head;
    let col_x = |slot: u64| GX + NAME_W + PROM_W + (slot - first) as f64 * cell_w;
    let max_chars = ((cell_w - 8.0) / 11.0).max(3.0) as usize;

    let header = (first..first + cols).map(|s| {
        html! {
            <text class="col-index" x={f(col_x(s) + cell_w / 2.0)} y={f(top + 20.0)} text-anchor="middle">
                { if multi { format!("slot {s}") } else { "the value".to_string() } }
            </text>
        }
    });
    let row_name = |k: usize, id: NodeId| {
        let y = y0 + k as f64 * row_h;
        let up = sim.is_up(id);
        let class = classes!(
            "row-name",
            (!up).then_some("down"),
            (shell.selected == Some(id.0)).then_some("selected")
        );
        html! {
            <text {class} x={f(GX + 2.0)} y={f(y + cell_h * 0.68)}>{ names[id.index()].clone() }</text>
        }
    };

    let acceptor_rows = acceptors.iter().enumerate().map(|(k, &id)| {
        let node = sim.node(id);
        let y = y0 + k as f64 * row_h;
        let name = &names[id.index()];
        let promised = node.promised();
        let cells = (first..first + cols).map(|slot| {
            let x = col_x(slot);
            match node.accepted(slot) {
                Some(acc) => {
                    let votes = checker.and_then(|c| c.votes(slot, acc.ballot));
                    let chosen = votes.is_some_and(|v| v.chosen);
                    let count = votes.map_or(1, |v| v.acceptors.len());
                    let (mark, state) = if chosen {
                        (if wide { "✓ " } else { "✓" }, "chosen".to_string())
                    } else {
                        ("", format!("minority {count}/{majority}"))
                    };
                    let title = format!(
                        "{name} accepted {} in ballot {}{}: {}",
                        acc.value.show(),
                        acc.ballot.show(names),
                        if multi { format!(" (slot {slot})") } else { String::new() },
                        if chosen {
                            format!(
                                "chosen: a majority ({}) accepted it in this ballot",
                                votes.map_or(String::new(), |v| v
                                    .acceptors
                                    .iter()
                                    .map(|a| names[a.index()].clone())
                                    .collect::<Vec<_>>()
                                    .join(", "))
                            )
                        } else {
                            format!(
                                "accepted by a minority ({count} of {} acceptors; {majority} make a majority): not chosen, and it can still be replaced",
                                acceptors.len()
                            )
                        }
                    );
                    let (top_line, bottom_line) = if wide {
                        (
                            format!("{mark}{}", value_text(&acc.value, 16)),
                            format!("ballot {} · {state}", acc.ballot.show(names)),
                        )
                    } else {
                        (
                            format!("{mark}{}", value_text(&acc.value, max_chars)),
                            acc.ballot.show(names),
                        )
                    };
                    let class = classes!("cell", "accepted", if chosen { "chosen" } else { "minority" }, (!wide).then_some("narrow"));
                    html! {
                        <g {class} key={format!("a{slot}")}>
                            <title>{ title }</title>
                            <rect x={f(x + 3.0)} y={f(y)} width={f(cell_w - 6.0)} height={f(cell_h)} rx="5" />
                            { cell_text(x, y, cell_w, cell_h, top_line, bottom_line) }
                        </g>
                    }
                }
                None => html! {
                    <rect key={format!("a{slot}")} class="empty" x={f(x + 3.0)} y={f(y)} width={f(cell_w - 6.0)} height={f(cell_h)} rx="5" />
                },
            }
        });
        html! {
            <g class={classes!("grid-row", "acceptor-row")} key={name.clone()}>
                { row_name(k, id) }
                <text class="promised" x={f(GX + NAME_W + PROM_W / 2.0)} y={f(y + cell_h * 0.68)} text-anchor="middle">
                    <title>{ format!("{name} promised {}: it refuses every lower ballot", ballot_text(promised, names)) }</title>
                    { ballot_text(promised, names) }
                </text>
                { for cells }
            </g>
        }
    });

    let learner_rows = learners.iter().enumerate().map(|(j, &id)| {
        let k = acceptors.len() + j;
        let node = sim.node(id);
        let y = y0 + k as f64 * row_h;
        let name = &names[id.index()];
        let applied = node.disk.learner.as_ref().map_or(0, |d| d.applied.len() as u64);
        let cells = (first..first + cols).map(|slot| {
            let x = col_x(slot);
            match node.learned(slot) {
                Some(le) => {
                    let done = slot <= applied;
                    let title = format!(
                        "{name} learned {} (chosen in {}) at t={} ms{}",
                        le.value.show(),
                        le.ballot.show(names),
                        le.at,
                        if done {
                            ", and applied it".to_string()
                        } else {
                            format!(": not applied yet, slot {} is a hole", applied + 1)
                        }
                    );
                    let (top_line, bottom_line) = if wide {
                        (
                            format!("{}{}", if done { "● " } else { "○ " }, value_text(&le.value, 16)),
                            format!("learned in {}{}", le.ballot.show(names), if done { " · applied" } else { "" }),
                        )
                    } else {
                        (
                            format!("{}{}", if done { "●" } else { "○" }, value_text(&le.value, max_chars)),
                            le.ballot.show(names),
                        )
                    };
                    html! {
                        <g class={classes!("cell", "learned", done.then_some("applied"), (!wide).then_some("narrow"))} key={format!("l{slot}")}>
                            <title>{ title }</title>
                            <rect x={f(x + 3.0)} y={f(y)} width={f(cell_w - 6.0)} height={f(cell_h)} rx="5" />
                            { cell_text(x, y, cell_w, cell_h, top_line, bottom_line) }
                        </g>
                    }
                }
                None => html! {
                    <rect key={format!("l{slot}")} class="empty" x={f(x + 3.0)} y={f(y)} width={f(cell_w - 6.0)} height={f(cell_h)} rx="5" />
                },
            }
        });
        html! {
            <g class={classes!("grid-row", "learner-row")} key={name.clone()}>
                { row_name(k, id) }
                <text class="promised muted" x={f(GX + NAME_W + PROM_W / 2.0)} y={f(y + cell_h * 0.68)} text-anchor="middle">
                    { "learner" }
                </text>
                { for cells }
            </g>
        }
    });

    let k = rows - 1;
    let y = y0 + k as f64 * row_h;
    let chosen_cells = (first..first + cols).map(|slot| {
        let x = col_x(slot);
        let all = checker.map_or(&[][..], |c| c.chosen_all(slot));
        let Some(c) = all.first() else {
            return html! {
                <g class="cell none" key={format!("c{slot}")}>
                    <title>{ format!("Nothing is chosen{} yet: no majority of acceptors has accepted one value in one ballot", if multi { format!(" in slot {slot}") } else { String::new() }) }</title>
                    <text class="none-mark" x={f(x + cell_w / 2.0)} y={f(y + cell_h * 0.68)} text-anchor="middle">{ if wide { "— not chosen yet" } else { "—" } }</text>
                </g>
            };
        };
        let conflict = all.iter().any(|o| o.value != c.value);
        let step = c.step + 1;
        let seek = {
            let shell = shell.clone();
            Callback::from(move |_: MouseEvent| shell.dispatch(ShellMsg::Seek(step)))
        };
        let onkeydown = {
            let shell = shell.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    shell.dispatch(ShellMsg::Seek(step));
                }
            })
        };
        let by: Vec<String> = c.acceptors.iter().map(|a| names[a.index()].clone()).collect();
        let (top_line, bottom_line, title) = if conflict {
            let values: Vec<String> = all.iter().map(|o| format!("{} (step {}, {})", o.value.show(), o.step + 1, o.ballot.show(names))).collect();
            (
                format!("✗ {} values", all.iter().map(|o| &o.value).collect::<std::collections::BTreeSet<&Value>>().len()),
                format!(
                    "steps {}",
                    all.iter()
                        .map(|o| (o.step + 1).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!("Agreement broken: more than one value chosen: {}", values.join(", ")),
            )
        } else if wide {
            (
                format!("✓ {} chosen at step {step}", value_text(&c.value, 16)),
                format!("in {} by {}", c.ballot.show(names), by.join(", ")),
                format!("{} was chosen at step {step} (t={} ms): {} accepted it in ballot {}, a majority. Click to go to that step.", c.value.show(), c.time, by.join(", "), c.ballot.show(names)),
            )
        } else {
            (
                format!("✓{}", value_text(&c.value, max_chars)),
                format!("step {step}"),
                format!("{} was chosen in slot {slot} at step {step} (t={} ms): {} accepted it in ballot {}, a majority. Click to go to that step.", c.value.show(), c.time, by.join(", "), c.ballot.show(names)),
            )
        };
        // The name: the two lines drawn, in order (label in name; the ✓ and ✗ are for the
        // eye, the words say it), then the tooltip's sentence.
        let aria = format!(
            "{}, {bottom_line}: {title}",
            top_line.trim_start_matches(['✓', '✗']).trim()
        );
        html! {
            <g class={classes!("cell", "chosen-mark", conflict.then_some("conflict"), (!wide).then_some("narrow"))} key={format!("c{slot}")}
                onclick={seek} {onkeydown} tabindex="0" role="button"
                aria-label={aria}>
                <title aria-hidden="true">{ title.clone() }</title>
                <rect x={f(x + 3.0)} y={f(y)} width={f(cell_w - 6.0)} height={f(cell_h)} rx="5" />
                { cell_text(x, y, cell_w, cell_h, top_line, bottom_line) }
            </g>
        }
    });
    let sep_y = y0 + acceptors.len() as f64 * row_h - 3.0;
    let sep2_y = y - 3.0;
    html! {
        <g class="slot-grid" role="group" aria-label="What each acceptor accepted and each learner learned">
            <text class="grid-title" x={f(GX)} y={f(top)}>
                { if multi { "Slots (→): accepted (ballot, value), learned, chosen" } else { "Accepted (ballot, value), learned, chosen" } }
            </text>
            <text class="col-index" x={f(GX + NAME_W + PROM_W / 2.0)} y={f(top + 20.0)} text-anchor="middle">{ "promised" }</text>
            if first > 1 {
                <text class="col-index" x={f(GX + NAME_W + PROM_W - 2.0)} y={f(top + 20.0)} text-anchor="end">{ "…" }</text>
            }
            { for header }
            { for acceptor_rows }
            <line class="sep" x1={f(GX)} y1={f(sep_y)} x2={f(GX + GW)} y2={f(sep_y)} />
            { for learner_rows }
            <line class="sep" x1={f(GX)} y1={f(sep2_y)} x2={f(GX + GW)} y2={f(sep2_y)} />
            <g class="grid-row chosen-row">
                <text class="row-name chosen-label" x={f(GX + 2.0)} y={f(y + cell_h * 0.68)}>{ "chosen" }</text>
                <text class="promised muted" x={f(GX + NAME_W + PROM_W / 2.0)} y={f(y + cell_h * 0.68)} text-anchor="middle">{ format!("{majority} of {}", acceptors.len()) }</text>
                { for chosen_cells }
            </g>
        </g>
    }
}

/// The proposers' box from `top` down: each proposer's phase, ballot and promises, and the
/// value it is bound to and why.
fn proposers_box(l: &Loaded<Paxos>, top: f64, lines_each: usize) -> Html {
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let p = proto.params();
    let names = l.names();
    let width = (GW / 9.4) as usize;
    let mut y = top + 26.0;
    let mut out = Vec::new();
    for id in proto.proposer_ids() {
        let node = sim.node(id);
        let name = &names[id.index()];
        let status = sim.status(id);
        let (head, why) = match (&node.mem.proposer, status) {
            (_, NodeStatus::Crashed { .. }) => (
                format!(
                    "{name}: crashed ✕ · round {} kept on disk",
                    node.disk.proposer.as_ref().map_or(0, |d| d.round)
                ),
                "what it was doing is lost; it never reuses a ballot".to_string(),
            ),
            (Some(pm), _) => {
                let mut head = format!(
                    "{name}{}: {} · {}",
                    if leads(node, status) { " ♛" } else { "" },
                    phase_short(pm.phase),
                    ballot_text(pm.ballot, names)
                );
                if matches!(
                    pm.phase,
                    Phase::Preparing | Phase::Accepting | Phase::Leading
                ) || !pm.promises.is_empty()
                {
                    head.push_str(&format!(" · promises {}/{}", pm.promises.len(), pm.needed));
                }
                if !p.multi {
                    if let Some(prop) = pm.proposals.get(&1) {
                        head.push_str(&format!(
                            " · accepts {}/{}",
                            prop.accepted_by.len(),
                            pm.needed
                        ));
                    }
                }
                if matches!(status, NodeStatus::Paused { .. }) {
                    head.push_str(" · paused");
                }
                if !node.disk.proposer.as_ref().is_some_and(|d| d.backoff) {
                    head.push_str(" · back-off off");
                }
                (
                    head,
                    adoption_words(pm, names, p.multi, p.unsafe_ignore_promises),
                )
            }
            (None, _) => (name.clone(), String::new()),
        };
        let mut lines = wrap(&why, width);
        if lines.len() + 1 > lines_each {
            lines.truncate(lines_each.saturating_sub(1));
            if let Some(last) = lines.last_mut() {
                last.push('…');
            }
        }
        let unsafe_line = why.starts_with("UNSAFE");
        let class = classes!(
            "proposer-line",
            matches!(status, NodeStatus::Up).then_some("up")
        );
        let mut tspans = vec![
            html! { <text class="head" x={f(GX + 4.0)} y={f(y)}>{ clip(&head, width + 4) }</text> },
        ];
        for line in lines {
            y += 22.0;
            tspans.push(html! {
                <text class={classes!("why", unsafe_line.then_some("unsafe"))} x={f(GX + 18.0)} y={f(y)}>{ line }</text>
            });
        }
        y += 28.0;
        out.push(html! {
            <g {class} key={name.clone()}>
                <title>{ format!("{head}. {why}") }</title>
                { for tspans }
            </g>
        });
    }
    html! {
        <g class="proposers-box" role="group" aria-label="Proposers">
            <text class="grid-title" x={f(GX)} y={f(top)}>{ "Proposers: phase · ballot · promises · bound to" }</text>
            { for out }
        </g>
    }
}

#[function_component(PaxosView)]
pub fn paxos_view() -> Html {
    let shell = use_shell();
    let typed = use_typed::<Paxos>();
    // Messages move between steps.
    let t = use_clock().shown;
    let l = typed.run.borrow();
    let names = l.names().to_vec();
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let params = proto.params().clone();
    let checker = sim.checker();
    let pos = positions(proto);
    let roomy = roomy(proto);
    let actor = l.last_actor();
    let nodes = sim.node_ids().map(|id| {
        let i = id.index();
        node_html(
            i,
            pos[i],
            &names[i],
            sim.node(id),
            sim.status(id),
            &names,
            &shell,
            actor == Some(i as u32),
            params.colocated,
            roomy,
            params.multi,
        )
    });
    let links = l.cut_links();
    let keys = unique_keys(links.iter().map(|(a, b)| format!("cut-{a}-{b}")));
    let cuts = links.into_iter().zip(keys).map(|((a, b), key)| {
        let (x1, y1) = pos[a as usize];
        let (x2, y2) = pos[b as usize];
        let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
        html! {
            <g class="cut" {key}>
                <line x1={f(x1)} y1={f(y1)} x2={f(x2)} y2={f(y2)} />
                <text x={f(mx)} y={f(my + 7.0)} text-anchor="middle" class="cut-mark">{ "✕" }</text>
            </g>
        }
    });
    let msgs = l.in_flight();
    let just_sent = l.pos().checked_sub(1);
    // Many messages at once: only those just sent (and the one selected) carry a label;
    // the others are told by colour and shape, and their tooltip.
    let crowded = msgs.len() > 12;
    let dots = msgs.iter().filter_map(|m| {
        message(
            m,
            &pos,
            &names,
            t,
            &shell,
            Some(m.sent_step) == just_sent,
            crowded,
        )
    });

    // The status line: what is chosen, or who leads.
    let status = if params.multi {
        let leader = sim.node_ids().find(|&i| leads(sim.node(i), sim.status(i)));
        let chosen = checker.map_or(0, |c| c.chosen_slots().count());
        format!(
            "{} · {chosen} slot{} chosen",
            match leader {
                Some(ld) => format!("leader {}", names[ld.index()]),
                None => "no leader".to_string(),
            },
            if chosen == 1 { "" } else { "s" }
        )
    } else {
        let all = checker.map_or(&[][..], |c| c.chosen_all(1));
        match all.first() {
            Some(c) if all.iter().any(|o| o.value != c.value) => {
                let later = all.iter().find(|o| o.value != c.value).unwrap_or(c);
                format!(
                    "✗ {} chosen at step {}, then {} at step {}",
                    c.value.show(),
                    c.step + 1,
                    later.value.show(),
                    later.step + 1
                )
            }
            Some(c) => format!("{} chosen at step {}", c.value.show(), c.step + 1),
            None => "nothing chosen yet".to_string(),
        }
    };
    let mut flags = vec![if params.multi {
        "Multi-Paxos"
    } else {
        "single-decree"
    }];
    if params.multi {
        flags.push(if params.leader_election {
            "leader election"
        } else {
            "no leader election"
        });
    }
    flags.push(if params.backoff {
        "back-off on"
    } else {
        "back-off off"
    });
    if params.colocated {
        flags.push("colocated roles");
    }
    let mut unsafe_flags = Vec::new();
    if params.unsafe_forget_promise {
        unsafe_flags.push("promises in memory");
    }
    if params.unsafe_ignore_promises {
        unsafe_flags.push("ignores reported values");
    }
    let backoff_off: Vec<String> = proto
        .proposer_ids()
        .into_iter()
        .filter(|&i| {
            !sim.node(i)
                .disk
                .proposer
                .as_ref()
                .is_some_and(|d| d.backoff)
        })
        .map(|i| names[i.index()].clone())
        .collect();
    let livelock = checker.and_then(|c| c.livelock()).map(|lv| {
        let words = livelock_words(lv, &names, &backoff_off);
        html! {
            <g class="livelock" role="status" aria-label={words.clone()}>
                <title>{ words }</title>
                <rect x={f(GX)} y="6" width={f(GW)} height="58" rx="8" />
                <text class="ll-head" x={f(GX + 14.0)} y="31">{ format!("⟳ Livelock: ballots rose {}× to {}", lv.rises, lv.highest.show(&names)) }</text>
                <text class="ll-why" x={f(GX + 14.0)} y="54">{ format!("liveness, not safety · nothing chosen since step {} · {}", lv.since_step + 1,
                    if backoff_off.is_empty() { "back-off on" } else { "back-off off" }) }</text>
            </g>
        }
    });

    // The grid above, the proposers' box below.
    let np = params.proposers as usize;
    let lines_each = if np <= 2 {
        3
    } else if np <= 3 {
        2
    } else {
        1
    };
    let box_h = 30.0 + np as f64 * (28.0 + 22.0 * (lines_each as f64 - 1.0));
    let box_top = VIEW_H - 4.0 - box_h;
    let column_heads = if params.colocated {
        html! {
            <text class="col-head" x={f(RING_CX)} y="92" text-anchor="middle">{ "nodes: P proposer · A acceptor · L learner" }</text>
        }
    } else {
        html! {
            <>
                <text class="col-head" x={f(P_X)} y="92" text-anchor="middle">{ "proposers" }</text>
                <text class="col-head" x={f(A_X)} y="92" text-anchor="middle">{ "acceptors" }</text>
                <text class="col-head" x={f(L_X)} y="92" text-anchor="middle">{ "learners" }</text>
            </>
        }
    };
    html! {
        <svg class="paxos cluster" viewBox="0 0 1150 590" role="group" data-view=""
            aria-label={format!("Paxos: {} proposers, {} acceptors, {} learners; {status}; {} messages in flight",
                params.proposers, params.acceptors, params.learners, msgs.len())}>
            <text class="cluster-status" x="12" y="30">{ status }</text>
            if unsafe_flags.is_empty() {
                <text class="flags" x="12" y="56">{ flags.join(" · ") }</text>
            } else {
                <text class="unsafe-flag" x="12" y="56">{ format!("UNSAFE: {}", unsafe_flags.join(", ")) }</text>
            }
            { for livelock }
            { column_heads }
            <g class="cuts">{ for cuts }</g>
            <g class="nodes">{ for nodes }</g>
            <g class="msgs">{ for dots }</g>
            { grid(&l, checker, &shell, 100.0, box_top - 8.0) }
            { proposers_box(&l, box_top + 14.0, lines_each) }
        </svg>
    }
}
