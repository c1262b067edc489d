//! The distributed transactions page's own view: one lane per process showing the state of
//! the chosen transaction over time (INIT, WAIT/READY, PRECOMMIT, COMMITTED, ABORTED), the
//! votes as badges, periods a process was down, who is blocked and why, and each process's
//! write-ahead log; under the lanes, the protocol's state diagram with the selected
//! process's state highlighted. The side panel runs transactions, sets how participants
//! vote, and replays the classic failures (crash or partition at the critical moment).

use crate::components::cluster::{f, status_badge, NODE_COLOURS};
use crate::components::{use_clock, use_shell, use_typed};
use crate::math;
use crate::page::Page;
use crate::store::ShellMsg;
use dsplay_core::algo::transactions::{
    note_state, parse_option, parse_writes, show_writes, Cmd, Node, Note, Params, Rec,
    Transactions, TxState, Variant, Vote, Writes, COORD,
};
use dsplay_core::collections::VecMap;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::Time;
use dsplay_core::trace::StepKind;
use dsplay_core::{Action, NodeId, NodeStatus, Protocol};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The distributed transactions page.
pub struct TransactionsPage;

impl Page for TransactionsPage {
    type Algo = Transactions;

    fn view() -> Html {
        html! { <TransactionsView /> }
    }

    fn panel() -> Html {
        html! { <TransactionsPanel /> }
    }
}

/// View box width; the height depends on the number of processes.
const W: f64 = 1000.0;
/// Lanes: label column, time area, log column.
const LABEL_W: f64 = 150.0;
const T0_X: f64 = 160.0;
const T1_X: f64 = 640.0;
const LOG_X: f64 = 656.0;
const TOP: f64 = 24.0;
/// The state diagram strip under the lanes.
const DIAGRAM_H: f64 = 118.0;

/// How a participant voted on a transaction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cast {
    Yes,
    No,
    Failed,
}

/// What the lanes need of one transaction, from the trace up to the current step.
#[derive(Clone, Debug, Default)]
struct History {
    /// Per process: (time, state) changes.
    states: Vec<Vec<(Time, TxState)>>,
    /// Per process: intervals it was down (end `None`: still down).
    down: Vec<Vec<(Time, Option<Time>)>>,
    votes: Vec<Option<Cast>>,
    /// When the coordinator began the transaction.
    begin: Option<Time>,
}

fn history(l: &Loaded<Transactions>, tx: u32) -> History {
    let n = l.names().len();
    let mut h = History {
        states: vec![Vec::new(); n],
        down: vec![Vec::new(); n],
        votes: vec![None; n],
        begin: None,
    };
    let pos = l.timeline.pos() as usize;
    let steps = &l.timeline.trace().steps;
    for s in &steps[..pos.min(steps.len())] {
        let crash_of = match &s.kind {
            StepKind::Action {
                action: Action::Crash { node },
                ..
            } if s.kernel.is_none() => Some((*node, true)),
            StepKind::Action {
                action: Action::Restart { node },
                ..
            } if s.kernel.is_none() => Some((*node, false)),
            _ => None,
        };
        if let Some((node, crash)) = crash_of {
            let d = &mut h.down[node.index()];
            if crash {
                d.push((s.time, None));
            } else if let Some(last) = d.last_mut() {
                last.1.get_or_insert(s.time);
            }
        }
        let Some(node) = s.node else { continue };
        for note in &s.notes {
            match note {
                Note::Begins { tx: t } if *t == tx => h.begin = Some(s.time),
                Note::VotesYes { tx: t } if *t == tx => h.votes[node.index()] = Some(Cast::Yes),
                Note::VotesNo { tx: t } if *t == tx => h.votes[node.index()] = Some(Cast::No),
                Note::FailsBeforeVoting { tx: t } if *t == tx => {
                    h.votes[node.index()] = Some(Cast::Failed);
                    h.down[node.index()].push((s.time, None));
                }
                _ => {}
            }
            if let Some((t, state)) = note_state(note) {
                if t == tx {
                    let v = &mut h.states[node.index()];
                    if v.last().map(|x| x.1) != Some(state) {
                        v.push((s.time, state));
                    }
                }
            }
        }
    }
    h
}

/// The transactions the coordinator began, with their writes.
fn transactions(l: &Loaded<Transactions>) -> Vec<(u32, Writes)> {
    l.timeline
        .sim()
        .node(COORD)
        .log()
        .iter()
        .filter(|r| r.rec == Rec::Begin)
        .map(|r| (r.tx, r.writes.clone()))
        .collect()
}

fn state_class(s: TxState) -> &'static str {
    match s {
        TxState::Init => "st-init",
        TxState::Wait | TxState::Ready => "st-uncertain",
        TxState::Precommit => "st-precommit",
        TxState::Committed => "st-committed",
        TxState::Aborted => "st-aborted",
    }
}

/// The phase of a transaction, from the coordinator's point of view.
fn phase(coord: &Node, tx: u32, three: bool, acks: usize, n: usize) -> String {
    if coord.has(tx, Rec::End) {
        return format!(
            "done: {} everywhere",
            if coord.logged_decision(tx) == Some(true) {
                "committed"
            } else {
                "aborted"
            }
        );
    }
    match (coord.state_of(tx), coord.logged_decision(tx)) {
        (_, Some(c)) => format!(
            "decision: {} (acknowledged by {acks} of {n})",
            if c { "COMMIT" } else { "ABORT" }
        ),
        (Some(TxState::Init), _) => "work: participants do the writes".into(),
        (Some(TxState::Wait), _) => format!(
            "voting: the coordinator waits for the votes ({})",
            if three { "CanCommit" } else { "PREPARE" }
        ),
        (Some(TxState::Precommit), _) => {
            format!("pre-commit: everyone voted YES ({acks} of {n} acknowledged PRECOMMIT)")
        }
        _ => "the coordinator has not finished it (it restarted or is down)".into(),
    }
}

#[function_component(TransactionsView)]
pub fn transactions_view() -> Html {
    let typed = use_typed::<Transactions>();
    let shell = use_shell();
    let chosen = use_state(|| None::<u32>);
    let l = typed.run.borrow();
    let sim = l.timeline.sim();
    let names = l.names().to_vec();
    let n = names.len();
    let three = sim.proto().three_phase();
    let txs = transactions(&l);
    let tx = chosen
        .filter(|t| txs.iter().any(|(x, _)| x == t))
        .or_else(|| txs.last().map(|(t, _)| *t));
    let now = l.time();
    let status: Vec<NodeStatus> = (0..n as u32)
        .map(|i| l.status(i).unwrap_or(NodeStatus::Up))
        .collect();
    let coord_down_since = match status[0] {
        NodeStatus::Crashed { since } => Some(since),
        _ => None,
    };

    let tabs = txs.iter().map(|(t, w)| {
        let t = *t;
        let on = Some(t) == tx;
        let chosen = chosen.clone();
        let onclick = Callback::from(move |_: MouseEvent| chosen.set(Some(t)));
        let decided = sim.node(COORD).logged_decision(t);
        html! {
            <button class={classes!("ctl", "txn-tab", on.then_some("on"))} {onclick}
                aria-pressed={on.to_string()} title={format!("Show T{t} ({})", show_writes(w))}>
                { format!("T{t}") }
                { match decided { Some(true) => " ✓", Some(false) => " ✗", None => "" } }
            </button>
        }
    });

    // Before the first transaction the lanes are drawn empty (transaction 0 never exists).
    let started = tx.is_some();
    let tx = tx.unwrap_or(0);
    let writes = txs
        .iter()
        .find(|(t, _)| *t == tx)
        .map(|(_, w)| w.clone())
        .unwrap_or_default();
    let h = history(&l, tx);
    let coord = sim.node(COORD);
    let acks = coord.txns().get(&tx).map_or(0, |t| t.acks.len());
    let phase_text = match coord_down_since {
        Some(c) if coord.logged_decision(tx).is_none() || !coord.has(tx, Rec::End) => format!(
            "coordinator down since t={c} (its log survives: {})",
            coord
                .log()
                .iter()
                .filter(|r| r.tx == tx)
                .map(|r| r.rec.label())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => phase(coord, tx, three, acks, n - 1),
    };

    // Who is blocked (or asking after a restart), and why: one line per reason.
    let mut by_reason: VecMap<String, Vec<String>> = VecMap::new();
    for (i, name) in names.iter().enumerate().skip(1) {
        let node = sim.node(NodeId(i as u32));
        let Some(t) = node.txns().get(&tx) else {
            continue;
        };
        let Some(since) = t.blocked_since.filter(|_| t.state == TxState::Ready) else {
            continue;
        };
        let why = match coord_down_since {
            Some(c) => format!("coordinator down since t={c}"),
            None => format!("no decision since it voted at t={}", t.since.min(since)),
        };
        let what = if t.recovering {
            "restarted uncertain: voted YES, asking"
        } else if three {
            "uncertain: voted YES, asking"
        } else if sim.proto().params().cooperative {
            "uncertain: voted YES, asking the others"
        } else {
            "blocked: voted YES"
        };
        by_reason
            .entry(format!("{what}, {why}"))
            .or_default()
            .push(name.clone());
    }
    let mut alerts: Vec<(String, &'static str)> = by_reason
        .iter()
        .map(|(why, who)| (format!("{} {why}", who.join(", ")), "blocked"))
        .collect();
    // Disagreement (AC1) on this transaction, from the logs.
    let (mut committed, mut aborted) = (Vec::new(), Vec::new());
    for (i, name) in names.iter().enumerate() {
        match sim.node(NodeId(i as u32)).logged_decision(tx) {
            Some(true) => committed.push(name.as_str()),
            Some(false) => aborted.push(name.as_str()),
            None => {}
        }
    }
    if !committed.is_empty() && !aborted.is_empty() {
        alerts.insert(
            0,
            (
                format!(
                    "AC1 violated: {} committed T{tx}, {} aborted it",
                    committed.join(", "),
                    aborted.join(", ")
                ),
                "violation",
            ),
        );
    }

    // Time axis: from the transaction's start to a little after now.
    let start = h.begin.unwrap_or(0).saturating_sub(10);
    let end = (now + (now - start.min(now)) / 8 + 20).max(start + 400);
    let span = (end - start) as f64;
    let x_of = |t: Time| x_at(t, start, span);
    let lane_h = (260.0_f64 / n as f64).clamp(38.0, 62.0);
    let lanes_h = lane_h * n as f64;
    let diagram_y = TOP + lanes_h + 30.0;
    let height = diagram_y + DIAGRAM_H;

    let select = |i: u32| {
        let shell = shell.clone();
        let sel = shell.selected;
        Callback::from(move |_: MouseEvent| {
            shell.dispatch(ShellMsg::Select((sel != Some(i)).then_some(i)))
        })
    };
    // Enter and Space do what a click does (toggle); the page's Space shortcut is skipped.
    let keysel = |i: u32| {
        let shell = shell.clone();
        let sel = shell.selected;
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                shell.dispatch(ShellMsg::Select((sel != Some(i)).then_some(i)));
            }
        })
    };

    let lanes = (0..n).map(|i| {
        let node = sim.node(NodeId(i as u32));
        let y = TOP + lane_h * i as f64;
        let mid = y + lane_h / 2.0;
        // Many processes: one line per lane (the segments show the state).
        let compact = lane_h < 52.0;
        let mut class = classes!("lane", format!("c{}", i % NODE_COLOURS));
        let badge = status_badge(status[i], &mut class);
        if shell.selected == Some(i as u32) {
            class.push("selected");
        }
        if l.last_actor() == Some(i as u32) {
            class.push("acted");
        }
        let state = node.state_of(tx);
        let state_word = match (state, status[i]) {
            (_, NodeStatus::Crashed { .. }) => "down".to_string(),
            (Some(st), _) => st.label().to_string(),
            (None, _) => "—".to_string(),
        };
        // State segments.
        let changes = &h.states[i];
        let segs = changes.iter().enumerate().map(|(k, (t, st))| {
            let t_end = changes.get(k + 1).map_or(now, |x| x.0);
            let (x0, x1) = (x_of(*t), x_of(t_end).max(x_of(*t) + 3.0));
            let label = if x1 - x0 > 70.0 {
                st.label()
            } else if x1 - x0 > 30.0 {
                &st.label()[..1]
            } else {
                ""
            };
            html! {
                <g class={classes!("seg", state_class(*st))} key={format!("s{k}")}>
                    <rect x={f(x0)} y={f(y + 6.0)} width={f(x1 - x0)} height={f(lane_h - 12.0)} rx="3" />
                    if !label.is_empty() {
                        <text x={f(x0 + 6.0)} y={f(mid + 6.0)} class="seg-label">{ label }</text>
                    }
                </g>
            }
        });
        let down = h.down[i].iter().enumerate().map(|(k, (a, b))| {
            let (x0, x1) = (x_of(*a), x_of(b.unwrap_or(now)).max(x_of(*a) + 3.0));
            html! {
                <g class="down" key={format!("d{k}")}>
                    <rect x={f(x0)} y={f(y + 2.0)} width={f(x1 - x0)} height={f(lane_h - 4.0)} />
                    if x1 - x0 > 50.0 {
                        <text x={f((x0 + x1) / 2.0)} y={f(y + 16.0)} text-anchor="middle" class="down-label">{ "down" }</text>
                    }
                </g>
            }
        });
        let blocked = node
            .txns()
            .get(&tx)
            .and_then(|t| t.blocked_since.filter(|_| t.state == TxState::Ready))
            .map(|since| {
                let (x0, x1) = (x_of(since), x_of(now).max(x_of(since) + 3.0));
                html! {
                    <g class="blocked-bar">
                        <rect x={f(x0)} y={f(y + lane_h - 14.0)} width={f(x1 - x0)} height="8" />
                        if x1 - x0 > 80.0 {
                            <text x={f(x1 - 4.0)} y={f(y + lane_h - 17.0)} text-anchor="end" class="blocked-label">
                                { if three { "ASKING" } else { "BLOCKED" } }
                            </text>
                        }
                    </g>
                }
            });
        let vote = h.votes[i].map(|c| match c {
            Cast::Yes => ("YES", "vote-yes"),
            Cast::No => ("NO", "vote-no"),
            Cast::Failed => ("failed", "vote-fail"),
        });
        // Before it votes, a participant set to vote NO or to fail shows what it will do.
        let setting = match (i, node.vote().unwrap_or_default()) {
            (0, _) | (_, Vote::Yes) => None,
            (_, Vote::No) => Some("→ NO"),
            (_, Vote::Fail) => Some("→ fail"),
        };
        let shown_vote = vote.or(setting.map(|w| (w, "vote-setting")));
        // The last records of its write-ahead log.
        let recs: Vec<_> = node.log().iter().rev().take(3).collect();
        let log = recs.iter().rev().enumerate().map(|(k, r)| {
            let x = LOG_X + k as f64 * 114.0;
            let label = format!("{} T{}", r.rec.label(), r.tx);
            let cls = classes!(
                "wal",
                (r.tx == tx).then_some("this-tx"),
                match r.rec {
                    Rec::Commit => Some("wal-commit"),
                    Rec::Abort => Some("wal-abort"),
                    _ => None,
                }
            );
            html! {
                <g class={cls} key={format!("w{k}")}>
                    <title>{ format!("t={}: {} T{}{}", r.at, r.rec.label(), r.tx,
                        if r.writes.is_empty() { String::new() } else { format!(" ({})", show_writes(&r.writes)) }) }</title>
                    <rect x={f(x)} y={f(mid - 14.0)} width="110" height="28" rx="4" />
                    <text class={long(&label, 11)} x={f(x + 55.0)} y={f(mid + 6.0)} text-anchor="middle">{ label.clone() }</text>
                </g>
            }
        });
        let aria = format!(
            "{}: {} for T{tx}{}{}",
            names[i],
            state_word,
            match (vote, setting) {
                (Some(v), _) => format!(", voted {}", v.0),
                (None, Some(_)) => format!(", set to {}", vote_words(node.vote().unwrap_or_default())),
                _ => String::new(),
            },
            badge.map(|b| format!(", {b}")).unwrap_or_default()
        );
        html! {
            <g {class} key={names[i].clone()}>
                <rect class="lane-bg" x="0" y={f(y)} width={f(W)} height={f(lane_h)} />
                <g class="lane-label" onclick={select(i as u32)} onkeydown={keysel(i as u32)} tabindex="0"
                    role="button" aria-label={aria.clone()} aria-pressed={(shell.selected == Some(i as u32)).to_string()}>
                    // The tooltip is the name: not read twice, nor taken for text drawn.
                    <title aria-hidden="true">{ aria }</title>
                    <rect class="hit" x="0" y={f(y)} width={f(LABEL_W)} height={f(lane_h)} />
                    <circle class="dot" cx="14" cy={f(if compact { mid } else { mid - 8.0 })} r="7" />
                    <text class="name" x="28" y={f(if compact { mid + 7.0 } else { mid - 2.0 })}>{ names[i].clone() }</text>
                    if !compact {
                        <text class={classes!("state-word", state.map(state_class))} x="28" y={f(mid + 18.0)}>{ state_word }</text>
                    }
                    if let Some((word, cls)) = shown_vote {
                        // The name says it in words ("voted YES", "set to vote NO").
                        <g class={classes!("vote", cls)} aria-hidden="true">
                            <rect x="96" y={f(if compact { mid - 11.0 } else { mid - 22.0 })} width="50" height="22" rx="11" />
                            <text x="121" y={f(if compact { mid + 5.0 } else { mid - 6.0 })} text-anchor="middle">{ word }</text>
                        </g>
                    }
                </g>
                { for segs }
                { for down }
                { blocked }
                { for log }
            </g>
        }
    });

    // Time axis ticks.
    let step = nice_step(span / 6.0);
    let first = start.div_ceil(step) * step;
    let ticks = (0..8u64)
        .map(|k| first + k * step)
        .filter(|t| *t <= end)
        .map(|t| {
            let x = x_of(t);
            html! {
                <g class="tick" key={t}>
                    <line x1={f(x)} y1={f(TOP)} x2={f(x)} y2={f(TOP + lanes_h)} />
                    <text x={f(x)} y={f(TOP + lanes_h + 18.0)} text-anchor="middle">{ format!("{t}") }</text>
                </g>
            }
        });

    // The state diagram of the selected process's role.
    let role_coord = shell.selected == Some(0);
    let here: VecMap<TxState, Vec<String>> = {
        let mut m: VecMap<TxState, Vec<String>> = VecMap::new();
        for (i, name) in names.iter().enumerate() {
            if (i == 0) != role_coord {
                continue;
            }
            if let Some(st) = sim.node(NodeId(i as u32)).state_of(tx) {
                m.entry(st).or_default().push(name.clone());
            }
        }
        m
    };
    let selected_state = shell
        .selected
        .and_then(|i| sim.node(NodeId(i)).state_of(tx));
    let diagram = state_diagram(
        three,
        role_coord,
        diagram_y,
        &here,
        selected_state,
        shell.selected.map(|i| names[i as usize].clone()),
    );

    html! {
        <div class="txn-view">
            <div class="txn-head">
                <div class="txn-tabs" role="group" aria-label="Transaction shown">{ for tabs }</div>
                <p class="txn-phase">
                    if started {
                        <strong>{ format!("T{tx}") }</strong>
                        { format!(" writes {} · {} · ", show_writes(&writes), if three { "3PC" } else { "2PC" }) }
                        <span class="phase">{ phase_text }</span>
                    } else {
                        <span class="txn-empty">{ format!("No transaction yet ({}): press play and the scenario's client starts one, or run one from the panel.",
                            if three { "three-phase commit" } else { "two-phase commit" }) }</span>
                    }
                </p>
            </div>
            if !alerts.is_empty() {
                <ul class="txn-alerts" aria-live="polite">
                    { for alerts.iter().map(|(t, c)| html! { <li class={*c}>{ t.clone() }</li> }) }
                </ul>
            }
            <svg class="txn" viewBox={format!("0 0 {} {}", f(W), dsplay_core::decimal::fixed(height, 0))} role="group" data-view=""
                aria-label={format!("State of T{tx} at each process over time, and the protocol's state diagram")}>
                <text class="col-head" x="0" y="16">{ "process" }</text>
                <text class="col-head" x={f(T0_X)} y="16">{ if started { format!("state of T{tx} over time (ms)") } else { "state over time (ms)".to_string() } }</text>
                <text class="col-head" x={f(LOG_X)} y="16">{ "write-ahead log (last records)" }</text>
                <g class="ticks">{ for ticks }</g>
                { for lanes }
                <NowLine {start} {span} top={TOP - 4.0} bottom={TOP + lanes_h + 4.0} />
                { diagram }
            </svg>
        </div>
    }
}

/// The x of time `t` on lanes that start at `start` and span `span` ms.
fn x_at(t: Time, start: Time, span: f64) -> f64 {
    T0_X + (t.saturating_sub(start) as f64 / span).min(1.0) * (T1_X - T0_X)
}

#[derive(Properties, PartialEq)]
struct NowLineProps {
    start: Time,
    span: f64,
    top: f64,
    bottom: f64,
}

/// The line at the time drawn, which moves between steps during playback (the lanes are
/// drawn again only when the run changes).
#[function_component(NowLine)]
fn now_line(p: &NowLineProps) -> Html {
    let x = x_at(use_clock().shown.max(0.0) as Time, p.start, p.span);
    html! {
        <line class="now" x1={f(x)} y1={f(p.top)} x2={f(x)} y2={f(p.bottom)} />
    }
}

/// Class `long` for a label of more than `chars` characters: drawn in smaller type so it
/// stays inside its fixed-width box (in presenter mode too).
fn long(text: &str, chars: usize) -> Option<&'static str> {
    (text.chars().count() > chars).then_some("long")
}

fn nice_step(raw: f64) -> u64 {
    let raw = raw.max(1.0);
    let p = math::pow(10.0, math::log10(raw).floor());
    let m = raw / p;
    let k = if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    (k * p).max(1.0) as u64
}

/// The protocol's state diagram for one role, with the processes in each state.
fn state_diagram(
    three: bool,
    coordinator: bool,
    y: f64,
    here: &VecMap<TxState, Vec<String>>,
    selected: Option<TxState>,
    selected_name: Option<String>,
) -> Html {
    let middle = if coordinator {
        TxState::Wait
    } else {
        TxState::Ready
    };
    let mut row: Vec<TxState> = vec![TxState::Init, middle];
    if three {
        row.push(TxState::Precommit);
    }
    row.push(TxState::Committed);
    let (bw, bh) = (if three { 150.0 } else { 160.0 }, 40.0);
    let gap = (W - 40.0 - bw * row.len() as f64) / (row.len() as f64 - 1.0);
    let top = y + 20.0;
    let mut pos: VecMap<TxState, (f64, f64)> = row
        .iter()
        .enumerate()
        .map(|(k, s)| (*s, (20.0 + k as f64 * (bw + gap), top)))
        .collect();
    pos.insert(
        TxState::Aborted,
        (20.0 + (bw + gap) * 1.0 + 30.0, top + 56.0),
    );
    let arrow = |a: TxState, b: TxState, label: &str| {
        let (ax, ay) = pos[&a];
        let (bx, by) = pos[&b];
        let (x1, y1, x2, y2) = if (ay - by).abs() < 1.0 {
            (ax + bw, ay + bh / 2.0, bx, by + bh / 2.0)
        } else {
            (ax + bw * 0.5, ay + bh, bx + bw * 0.3, by)
        };
        let (lx, ly) = if (ay - by).abs() < 1.0 {
            ((x1 + x2) / 2.0, y1 - 6.0)
        } else {
            (x1.max(x2) + 8.0, (y1 + y2) / 2.0 + 4.0)
        };
        let anchor = if (ay - by).abs() < 1.0 {
            "middle"
        } else {
            "start"
        };
        // A long label on a short horizontal arrow goes on two lines.
        let lines: Vec<String> = match label.split_once(" / ") {
            Some((a, b)) if anchor == "middle" && label.len() > 14 => {
                vec![format!("{a} /"), b.to_string()]
            }
            _ => vec![label.to_string()],
        };
        let first = ly - 16.0 * (lines.len() as f64 - 1.0);
        html! {
            <g class="edge">
                <line x1={f(x1)} y1={f(y1)} x2={f(x2)} y2={f(y2)} marker-end="url(#txn-arrow)" />
                { for lines.iter().enumerate().map(|(k, t)| html! {
                    <text x={f(lx)} y={f(first + 16.0 * k as f64)} text-anchor={anchor}>{ t.clone() }</text>
                }) }
            </g>
        }
    };
    let mut edges = Vec::new();
    if coordinator {
        edges.push(arrow(TxState::Init, TxState::Wait, "all DONE"));
        if three {
            edges.push(arrow(TxState::Wait, TxState::Precommit, "all YES"));
            edges.push(arrow(
                TxState::Precommit,
                TxState::Committed,
                "acks / timeout",
            ));
        } else {
            edges.push(arrow(TxState::Wait, TxState::Committed, "all YES"));
        }
        edges.push(arrow(TxState::Wait, TxState::Aborted, "a NO / timeout"));
    } else {
        edges.push(arrow(TxState::Init, TxState::Ready, "vote YES"));
        if three {
            edges.push(arrow(TxState::Ready, TxState::Precommit, "PRECOMMIT"));
            edges.push(arrow(
                TxState::Precommit,
                TxState::Committed,
                "DOCOMMIT / timeout",
            ));
            edges.push(arrow(TxState::Ready, TxState::Aborted, "ABORT / timeout"));
        } else {
            edges.push(arrow(TxState::Ready, TxState::Committed, "COMMIT"));
            edges.push(arrow(
                TxState::Ready,
                TxState::Aborted,
                "ABORT (never on a timeout)",
            ));
        }
    }
    let init_abort = {
        let (ax, ay) = pos[&TxState::Init];
        let (bx, by) = pos[&TxState::Aborted];
        let label = if coordinator {
            "timeout"
        } else {
            "vote NO / timeout"
        };
        html! {
            <g class="edge">
                <path d={format!("M{} {} L{} {} L{} {}", f(ax + bw * 0.4), f(ay + bh), f(ax + bw * 0.4), f(by + bh / 2.0), f(bx), f(by + bh / 2.0))}
                    fill="none" marker-end="url(#txn-arrow)" />
                <text x={f(ax + bw * 0.4 + 8.0)} y={f(by + bh / 2.0 - 6.0)}>{ label }</text>
            </g>
        }
    };
    let boxes = pos.iter().map(|(st, (x, yy))| {
        let who = here.get(st).cloned().unwrap_or_default();
        let current = selected == Some(*st);
        let word = match st {
            TxState::Ready => "READY (uncertain)",
            s => s.label(),
        };
        html! {
            <g class={classes!("sbox", state_class(*st), current.then_some("current"))} key={st.label()}>
                <rect x={f(*x)} y={f(*yy)} width={f(bw)} height={f(bh)} rx="8" />
                <text class={classes!("sname", long(word, 12))} x={f(x + bw / 2.0)} y={f(yy + 17.0)} text-anchor="middle">{ word }</text>
                <text class={classes!("who", long(&who.join(" "), 14))} x={f(x + bw / 2.0)} y={f(yy + 34.0)} text-anchor="middle">{ who.join(" ") }</text>
            </g>
        }
    });
    let title = format!(
        "{} state machine ({}){}",
        if coordinator {
            "Coordinator"
        } else {
            "Participant"
        },
        if three { "3PC" } else { "2PC" },
        match selected_name {
            Some(n) => format!(": {n} highlighted"),
            None => ": click a process to highlight it".to_string(),
        }
    );
    html! {
        <g class="diagram">
            <defs>
                <marker id="txn-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0 0L10 5L0 10z" />
                </marker>
            </defs>
            <line class="sep" x1="0" y1={f(y - 6.0)} x2={f(W)} y2={f(y - 6.0)} />
            <text class="col-head" x="0" y={f(y + 12.0)}>{ title }</text>
            { for edges }
            { init_abort }
            { for boxes }
        </g>
    }
}

fn vote_words(v: Vote) -> &'static str {
    match v {
        Vote::Yes => "vote YES",
        Vote::No => "vote NO",
        Vote::Fail => "fail before voting",
    }
}

/// A moment in the run to inject a fault at: the first step (from the current one, else
/// from the start) with a note matching `pred`. Steps beyond those computed are computed
/// on a copy, so looking changes nothing.
fn find_moment(
    l: &Loaded<Transactions>,
    pred: &dyn Fn(&Note) -> bool,
) -> Option<(u64, NodeId, u32)> {
    let hit = |s: &dsplay_core::trace::StepRecord<Transactions>| {
        s.notes.iter().find(|n| pred(n)).and_then(|n| {
            let tx = note_state(n).map(|(t, _)| t).or(match n {
                Note::AsksVotes { tx } | Note::Precommits { tx } => Some(*tx),
                _ => None,
            })?;
            Some((s.index, s.node?, tx))
        })
    };
    let pos = l.timeline.pos();
    let steps = &l.timeline.trace().steps;
    if let Some(x) = steps.iter().skip(pos as usize).find_map(hit) {
        return Some(x);
    }
    let mut copy = l.clone();
    copy.seek(steps.len() as u64);
    for _ in 0..3000 {
        if !copy.step_forward() {
            break;
        }
        let last = copy.timeline.trace().steps.last()?;
        if let Some(x) = hit(last) {
            return Some(x);
        }
    }
    steps.iter().find_map(hit)
}

#[derive(Clone, Copy, PartialEq)]
enum Preset {
    CrashAfterPrepare,
    CrashAfterDecision,
    CrashAfterPrecommit,
    PartitionAfterPrecommit,
}

impl Preset {
    fn label(self) -> &'static str {
        match self {
            Preset::CrashAfterPrepare => "Crash coord right after it asks for votes",
            Preset::CrashAfterDecision => "Crash coord right after it decides",
            Preset::CrashAfterPrecommit => "Crash coord right after it sends PRECOMMIT",
            Preset::PartitionAfterPrecommit => "Partition once PRECOMMIT reaches one participant",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Preset::CrashAfterPrepare => "Participants vote YES and then wait for a decision that does not come: in 2PC they block.",
            Preset::CrashAfterDecision => "The decision is logged and sent; the coordinator's recovery finishes from its log.",
            Preset::CrashAfterPrecommit => "Pre-committed participants commit by timeout: 3PC does not block on a crash.",
            Preset::PartitionAfterPrecommit => "Splits {coord + that participant} from the others: one side commits, the other aborts (AC1 violated).",
        }
    }
}

/// What the page says when fewer participants left out vote settings.
fn dropped_votes_note(participants: u32, dropped: &[String]) -> Option<String> {
    (!dropped.is_empty()).then(|| {
        let one = dropped.len() == 1;
        format!(
            "With {participants} participants (n1 to n{participants}), the vote setting{} of {} {} left out.",
            if one { "" } else { "s" },
            dropped.join(", "),
            if one { "was" } else { "were" },
        )
    })
}

#[function_component(TransactionsPanel)]
pub fn transactions_panel() -> Html {
    let typed = use_typed::<Transactions>();
    let writes_text = use_state(|| "x=1, y=2".to_string());
    let preset_msg = use_state(|| None::<String>);
    let (names, votes, up, three, params, queue) = {
        let l = typed.run.borrow();
        let sim = l.timeline.sim();
        let n = l.names().len() as u32;
        let votes: Vec<Vote> = (1..n)
            .map(|i| sim.node(NodeId(i)).vote().unwrap_or_default())
            .collect();
        let up: Vec<bool> = (0..n)
            .map(|i| matches!(l.status(i), Some(NodeStatus::Up) | None))
            .collect();
        (
            l.names().to_vec(),
            votes,
            up,
            sim.proto().three_phase(),
            l.scenario.params.clone(),
            sim.node(COORD).queue().to_vec(),
        )
    };
    let parsed = parse_writes(&writes_text);
    let on_text = {
        let writes_text = writes_text.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            writes_text.set(el.value());
        })
    };
    let on_run = {
        let typed = typed.clone();
        let parsed = parsed.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Ok(writes) = &parsed {
                typed.act(Action::Command {
                    node: COORD,
                    cmd: Cmd::Begin {
                        writes: writes.clone(),
                    },
                });
            }
        })
    };
    let coord_up = up[0];
    let vote_rows = votes.iter().enumerate().map(|(k, v)| {
        let name = names[k + 1].clone();
        let node_up = up[k + 1];
        let onchange = {
            let typed = typed.clone();
            Callback::from(move |e: Event| {
                let el: HtmlSelectElement = e.target_unchecked_into();
                let vote = match el.value().as_str() {
                    "no" => Vote::No,
                    "fail" => Vote::Fail,
                    _ => Vote::Yes,
                };
                typed.act(Action::Command {
                    node: NodeId(k as u32 + 1),
                    cmd: Cmd::SetVote { vote },
                });
            })
        };
        let title = if node_up {
            format!("How {name} answers the next vote requests ({} now)", vote_words(*v))
        } else {
            format!("{name} is down: a command to it would be lost, so its vote cannot be changed now (it will {})", vote_words(*v))
        };
        html! {
            // Keyed on the setting: the shown value is always the node's, never a choice
            // that did not take effect.
            <label class="vote-row" key={format!("{name}-{v:?}-{node_up}")} title={title.clone()}>
                <span>{ name.clone() }</span>
                <select {onchange} aria-label={format!("How {name} votes")} title={title} disabled={!node_up}>
                    <option value="yes" selected={*v == Vote::Yes}>{ "votes YES" }</option>
                    <option value="no" selected={*v == Vote::No}>{ "votes NO" }</option>
                    <option value="fail" selected={*v == Vote::Fail}>{ "fails before voting" }</option>
                </select>
                if !node_up {
                    <em class="vote-down">{ "down: cannot be changed" }</em>
                }
            </label>
        }
    });
    // Changing an option runs the same scenario with it: the script and what people did are
    // kept, fitted to the participants there are, at this step. A value out of range is
    // refused with the option named, and the page keeps the run it has.
    let restart = {
        let typed = typed.clone();
        move |p: Params, note: Option<String>| typed.restart_noting(p, note)
    };
    let refuse = {
        let typed = typed.clone();
        move |el: &HtmlInputElement, message: String, current: u64| {
            typed.shell(ShellMsg::Fail(message));
            el.set_value(&current.to_string());
        }
    };
    let on_participants = {
        let (restart, refuse, params) = (restart.clone(), refuse.clone(), params.clone());
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            match parse_option("Participants", &el.value(), 2..=7, "") {
                Ok(n) => {
                    let (p, dropped) = params.with_participants(n as u32);
                    let note = dropped_votes_note(p.participants, &dropped);
                    restart(p, note);
                }
                Err(m) => refuse(&el, m, params.participants.into()),
            }
        })
    };
    let on_timeout = {
        let (restart, refuse, params) = (restart.clone(), refuse.clone(), params.clone());
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            match parse_option("Timeout", &el.value(), 50..=60_000, " ms") {
                Ok(timeout) => restart(
                    Params {
                        timeout,
                        ..params.clone()
                    },
                    None,
                ),
                Err(m) => refuse(&el, m, params.timeout),
            }
        })
    };
    let on_protocol = {
        let (restart, params) = (restart.clone(), params.clone());
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            let protocol = match el.value().as_str() {
                "3pc" => Variant::ThreePhase,
                _ => Variant::TwoPhase,
            };
            restart(
                Params {
                    protocol,
                    ..params.clone()
                },
                None,
            );
        })
    };
    let on_cooperative = {
        let (restart, params) = (restart.clone(), params.clone());
        Callback::from(move |_: Event| {
            restart(
                Params {
                    cooperative: !params.cooperative,
                    ..params.clone()
                },
                None,
            );
        })
    };
    let presets: &[Preset] = if three {
        &[Preset::PartitionAfterPrecommit, Preset::CrashAfterPrecommit]
    } else {
        &[Preset::CrashAfterPrepare, Preset::CrashAfterDecision]
    };
    let preset_buttons = presets.iter().map(|p| {
        let p = *p;
        let typed = typed.clone();
        let preset_msg = preset_msg.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            let found = {
                let l = typed.run.borrow();
                let pred: &dyn Fn(&Note) -> bool = match p {
                    Preset::CrashAfterPrepare => &|n| matches!(n, Note::AsksVotes { .. }),
                    Preset::CrashAfterDecision => &|n| matches!(n, Note::Decides { .. }),
                    Preset::CrashAfterPrecommit => &|n| matches!(n, Note::Precommits { .. }),
                    Preset::PartitionAfterPrecommit => {
                        &|n| matches!(n, Note::PrecommitReceived { .. })
                    }
                };
                find_moment(&l, pred).map(|(step, actor, tx)| {
                    let action = match p {
                        Preset::PartitionAfterPrecommit => {
                            let rest: Vec<NodeId> = (1..l.names().len() as u32)
                                .map(NodeId)
                                .filter(|&i| i != actor)
                                .collect();
                            Action::Partition {
                                groups: vec![vec![COORD, actor], rest],
                            }
                        }
                        _ => Action::Crash { node: COORD },
                    };
                    (step, tx, action, l.names()[actor.index()].clone())
                })
            };
            match found {
                Some((step, tx, action, who)) => {
                    typed.shell(ShellMsg::Seek(step + 1));
                    typed.act(action);
                    preset_msg.set(Some(match p {
                        Preset::PartitionAfterPrecommit => format!("T{tx}: partitioned right after {who} got PRECOMMIT (step {}). Step forward to see both sides decide.", step + 1),
                        _ => format!("T{tx}: coord crashed at step {}. Step forward to see what the participants do.", step + 1),
                    }));
                }
                None => preset_msg.set(Some(
                    "No such moment in this run: start a transaction first (every participant must vote YES).".into(),
                )),
            }
        });
        html! {
            <li>
                <button class="ctl" {onclick} title={p.help()}>{ p.label() }</button>
                <span class="muted">{ p.help() }</span>
            </li>
        }
    });

    html! {
        <section class="panel commands txn-panel" aria-label="Transactions">
            <h2>{ "Transactions" }</h2>
            <form class="command-form" onsubmit={on_run}>
                <label title="The values the transaction writes: key=value pairs separated by commas or spaces, e.g. x=1, y=2">{ "Writes" }
                    <input type="text" value={(*writes_text).clone()} oninput={on_text} maxlength="200"
                        title="key=value pairs separated by commas or spaces, e.g. x=1, y=2 (up to 8; keys are letters, digits or '_')"
                        aria-label="Values the transaction writes" aria-invalid={parsed.is_err().to_string()} />
                </label>
                <button type="submit" class="primary" disabled={parsed.is_err() || !coord_up}
                    title={if coord_up { "The client asks the coordinator to run this transaction" } else { "coord is down: a request to it now would be lost" }}>{ "Run a transaction" }</button>
                if let Err(e) = &parsed {
                    <p class="form-error" role="alert">{ e.clone() }</p>
                }
                if !coord_up {
                    <p class="muted">{ "coord is down: a client request sent to it now would be lost. Restart it first." }</p>
                }
            </form>
            if !queue.is_empty() {
                <p class="txn-queue" title="Client transactions coord runs once the current one is decided (kept on disk: a crash delays them, it does not lose them)">
                    { format!("Waiting in coord's queue: {}", queue.iter().map(show_writes).collect::<Vec<_>>().join(" · ")) }
                </p>
            }
            <h3>{ "Votes" }</h3>
            <div class="votes">{ for vote_rows }</div>
            <h3>{ "Replay a classic failure" }</h3>
            <ul class="presets">{ for preset_buttons }</ul>
            if let Some(m) = &*preset_msg {
                <p class="preset-msg" role="status">{ m.clone() }</p>
            }
            <h3>{ "Options" }</h3>
            <p class="muted small">{ "Changing an option runs the scenario again with it: the same script and what you did, at this step." }</p>
            <div class="options txn-options">
                <label title="Two-phase commit blocks when the coordinator fails; three-phase commit does not, but a partition can make it disagree">{ "Protocol " }
                    <select onchange={on_protocol} aria-label="Commit protocol"
                        title="Two-phase commit blocks when the coordinator fails; three-phase commit does not, but a partition can make it disagree">
                        <option value="2pc" selected={!three}>{ "2PC" }</option>
                        <option value="3pc" selected={three}>{ "3PC" }</option>
                    </select>
                </label>
                <label title="Number of participants, 2 to 7 (the coordinator comes on top)">{ "Participants " }
                    <input type="number" min="2" max="7" value={params.participants.to_string()}
                        key={format!("p{}", params.participants)}
                        onchange={on_participants}
                        aria-label="Number of participants" title="Number of participants, 2 to 7 (the coordinator comes on top)" />
                </label>
                <label title="How long a process waits for the next message before its timeout rule applies, 50 to 60000 ms">{ "Timeout (ms) " }
                    <input type="number" min="50" max="60000" step="50" value={params.timeout.to_string()}
                        key={format!("t{}", params.timeout)}
                        onchange={on_timeout}
                        aria-label="Timeout in milliseconds" title="How long a process waits for the next message before its timeout rule applies, 50 to 60000 ms" />
                </label>
                <label title={if three { "2PC only: in 3PC an uncertain participant follows the timeout rule instead" } else { "An uncertain participant that times out asks the other participants, not only the coordinator" }}>
                    <input type="checkbox" checked={params.cooperative} onchange={on_cooperative} disabled={three}
                        aria-label="Cooperative termination" />
                    { " Cooperative termination" }
                </label>
            </div>
        </section>
    }
}
