//! The Raft page's own view (RaftScope is the model): servers on a ring with their role,
//! term, vote and a draining election-timer arc; the messages in flight, their kind told
//! by colour, shape and label; and beside it the log grid (one row per server, one column
//! per index, entries coloured by term, commit index and last applied marked, the leader's
//! nextIndex and matchIndex shown on each follower's row). The side panel acts on the
//! server clicked and on the whole cluster.

use crate::components::cluster::{
    dotted, f, flying_message, kind_legend, moving_messages, spoken, status_badge, status_marks,
    KindLook, MsgLook, Shape, NODE_R,
};
use crate::components::{unique_keys, use_clock, use_shell, use_typed, Shell};
use crate::math;
use crate::page::Page;
use crate::store::{Run, ShellMsg};
use dsplay_core::algo::raft::{Cmd, Node, Params, Raft, Role};
use dsplay_core::session::{Loaded, MsgView, Session};
use dsplay_core::{Action, NodeId, NodeStatus};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The Raft page.
pub struct RaftPage;

impl Page for RaftPage {
    type Algo = Raft;

    fn view() -> Html {
        html! { <RaftView /> }
    }

    fn panel() -> Html {
        html! { <RaftPanel /> }
    }
}

/// The ring's centre and radius in the 1000 x 640 view box.
const CX: f64 = 225.0;
const CY: f64 = 330.0;
const R_RING: f64 = 200.0;
/// The log grid's left edge, top and cell size.
const GRID_X: f64 = 500.0;
const GRID_Y: f64 = 62.0;
const GRID_W: f64 = 492.0;
const LABEL_W: f64 = 62.0;
/// Most columns shown; older entries scroll off to the left.
const MAX_COLS: usize = 7;
/// The state machine column at the right of the grid.
const KV_W: f64 = 104.0;
/// Term colours cycle through this many classes (`t0`..`t6`).
const TERM_COLOURS: u64 = 7;

/// The first log index shown when the longest log has `longest` entries. The window ends
/// at index `longest + 1`, one past the longest log, so a leader's nextIndex for a
/// caught-up follower (its last index + 1) always has a column.
pub fn first_shown(longest: usize) -> usize {
    (longest + 1).saturating_sub(MAX_COLS) + 1
}

/// Where the leader's nextIndex `ni` for a follower is drawn when the grid starts at
/// index `first`: its column and text. A nextIndex older than the first column shown is
/// drawn at that column as `◀n<index>`, so it never disappears.
pub fn next_marker(ni: usize, first: usize) -> Option<(usize, String)> {
    if ni < first {
        Some((first, format!("◀n{ni}")))
    } else if ni < first + MAX_COLS {
        Some((ni, "▲n".to_string()))
    } else {
        None
    }
}

/// Centre of server `i` of `n` on the ring, from the top, clockwise.
pub fn position(i: usize, n: usize) -> (f64, f64) {
    let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n.max(1) as f64;
    (CX + R_RING * math::cos(a), CY + R_RING * math::sin(a))
}

/// What a message is, for its colour class and shape, and whether it is a reply that
/// grants or refuses (drawn with ✓ or ✗ inside, so the answer is not told by colour alone).
pub fn kind_of(label: &str) -> KindLook {
    match label {
        "RV" => ("k-rv", Shape::Circle, "RV", None),
        "PRE" => ("k-pre", Shape::Circle, "PRE", None),
        "VOTE" => ("k-vote", Shape::Diamond, "VOTE", Some(true)),
        "NOVOTE" => ("k-novote", Shape::Diamond, "NOVOTE", Some(false)),
        "AE" => ("k-ae", Shape::Square, "AE", None),
        "HB" => ("k-hb", Shape::Square, "HB", None),
        "OK" => ("k-ok", Shape::Triangle, "OK", Some(true)),
        "NACK" => ("k-nack", Shape::Triangle, "NACK", Some(false)),
        _ => ("k-client", Shape::Hexagon, "CLIENT", None),
    }
}

/// The message kinds, for the legend: label and meaning.
const KINDS: [(&str, &str); 9] = [
    ("RV", "RequestVote"),
    ("PRE", "pre-vote request"),
    ("VOTE", "vote granted"),
    ("NOVOTE", "vote refused"),
    ("AE", "AppendEntries + entries"),
    ("HB", "heartbeat (empty AE)"),
    ("OK", "append succeeded"),
    ("NACK", "append failed"),
    ("CLIENT", "redirected request"),
];

fn role_class(role: Role) -> &'static str {
    match role {
        Role::Follower => "follower",
        Role::PreCandidate => "precandidate",
        Role::Candidate => "candidate",
        Role::Leader => "leader",
    }
}

fn term_class(term: u64) -> String {
    format!("t{}", term % TERM_COLOURS)
}

/// One server on the ring.
#[allow(clippy::too_many_arguments)]
fn server(
    i: usize,
    n: usize,
    name: &str,
    node: &Node,
    status: NodeStatus,
    names: &[String],
    t: f64,
    shell: &Shell,
    acted: bool,
) -> Html {
    let (x, y) = position(i, n);
    let mut class = classes!("node", "server", role_class(node.mem.role));
    let badge = status_badge(status, &mut class);
    if acted {
        class.push("acted");
    }
    let selected = shell.selected == Some(i as u32);
    if selected {
        class.push("selected");
    }
    let up = matches!(status, NodeStatus::Up);
    // The election timer: the arc left, draining clockwise from the top.
    let timer = match (
        node.mem.timer_set_at,
        node.mem.timer_due,
        up || matches!(status, NodeStatus::Paused { .. }),
    ) {
        (Some(set), Some(due), true) if due > set => {
            let now = if matches!(status, NodeStatus::Paused { .. }) {
                // A paused server's timer does not move while it is frozen.
                match status {
                    NodeStatus::Paused { since } => since as f64,
                    _ => t,
                }
            } else {
                t
            };
            let left = ((due as f64 - now) / (due - set) as f64).clamp(0.0, 1.0);
            let r = NODE_R + 10.0;
            let d = if left >= 0.999 {
                format!(
                    "M{} {} A{r} {r} 0 1 1 {} {} A{r} {r} 0 1 1 {} {}",
                    f(x),
                    f(y - r),
                    f(x),
                    f(y + r),
                    f(x),
                    f(y - r),
                    r = f(r),
                )
            } else {
                let a = std::f64::consts::TAU * left;
                let (ex, ey) = (x + r * math::sin(a), y - r * math::cos(a));
                let large = if left > 0.5 { 1 } else { 0 };
                format!(
                    "M{} {} A{r} {r} 0 {large} 1 {} {}",
                    f(x),
                    f(y - r),
                    f(ex),
                    f(ey),
                    r = f(r),
                )
            };
            // When it fires, not how long is left: a text that holds still between steps
            // is not written again on every frame.
            let when = if matches!(status, NodeStatus::Paused { .. }) {
                format!(
                    "election timer: {} ms left, waiting while {name} is paused",
                    due.saturating_sub(now as u64)
                )
            } else {
                format!("election timer: fires at t={due} ms")
            };
            Some(html! {
                <path class="timer" d={d}>
                    // A tooltip for the pointer, not text drawn in the server (label in name).
                    <title aria-hidden="true">{ when }</title>
                </path>
            })
        }
        _ => None,
    };
    let onclick = {
        let shell = shell.clone();
        let i = i as u32;
        Callback::from(move |_: MouseEvent| {
            shell.dispatch(ShellMsg::Select(if selected { None } else { Some(i) }))
        })
    };
    let onkeydown = {
        let shell = shell.clone();
        let i = i as u32;
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                // Handled here: the page's Space (play/pause) must not act as well.
                e.prevent_default();
                shell.dispatch(ShellMsg::Select(if selected { None } else { Some(i) }));
            }
        })
    };
    let vote = node
        .disk
        .voted_for
        .and_then(|v| names.get(v.index()))
        .map_or("-".to_string(), |v| v.clone());
    let role_word = if up {
        node.mem.role.word()
    } else {
        badge.unwrap_or("")
    };
    // The line under the server: its role, or its state when down.
    let under = if n > 6 {
        // Nine servers leave no room for the role word: colour, border and crown say it.
        format!("voted {vote}")
    } else if up {
        format!("{} · voted {vote}", node.mem.role.word())
    } else {
        format!("{} · voted {vote}", badge.unwrap_or(""))
    };
    // The words drawn, in order (label in name): the name and the line under it; then what
    // the term ("T2") and the crown say in words.
    let label = format!(
        "{name}: {}{}, term {}{}",
        spoken(&under),
        if n > 6 {
            format!(", {role_word}")
        } else {
            String::new()
        },
        node.disk.current_term,
        if selected { ", selected" } else { "" }
    );
    html! {
        <g {class} key={name.to_string()} {onclick} {onkeydown} tabindex="0" role="button"
            aria-label={label} aria-pressed={selected.to_string()}>
            <circle class="halo" cx={f(x)} cy={f(y)} r={f(NODE_R + 18.0)} />
            <circle class="timer-track" cx={f(x)} cy={f(y)} r={f(NODE_R + 10.0)} />
            { for timer }
            <circle class="body" cx={f(x)} cy={f(y)} r={f(NODE_R)} />
            <text class="name" x={f(x)} y={f(y - 2.0)} text-anchor="middle">{ name }</text>
            <text class="term" x={f(x)} y={f(y + 22.0)} text-anchor="middle" aria-hidden="true">{ format!("T{}", node.disk.current_term) }</text>
            if node.mem.role == Role::Leader && up {
                <text class="crown" x={f(x)} y={f(y - NODE_R - 16.0)} text-anchor="middle" aria-hidden="true">{ "♛ L" }</text>
            }
            { status_marks(status, (x, y), 26.0, (x + 30.0, y - 56.0)) }
            <text class="detail" x={f(x)} y={f(y + NODE_R + 34.0)} text-anchor="middle">{ dotted(&under) }</text>
        </g>
    }
}

/// How a message in flight is drawn.
fn look(m: &MsgView) -> MsgLook {
    let (kind, shape, _, verdict) = kind_of(m.label);
    MsgLook {
        page: "rmsg",
        kind,
        shape,
        label: m.label,
        verdict,
        labelled: true,
    }
}

/// A message in flight at time `t`.
fn message(
    m: &MsgView,
    n: usize,
    names: &[String],
    t: f64,
    shell: &Shell,
    fresh: bool,
) -> Option<Html> {
    let (from, to) = (position(m.from as usize, n), position(m.to as usize, n));
    flying_message(m, from, to, t, names, shell, fresh, look(m))
}

#[derive(Properties, PartialEq)]
struct LogGridProps {
    run: Run<Raft>,
    selected: Option<u32>,
}

/// The log grid as a component of its own: it changes only with the run and the selection,
/// so it is not drawn again on every frame of playback as the ring is.
#[function_component(LogGrid)]
fn log_grid_component(p: &LogGridProps) -> Html {
    let l = p.run.borrow();
    let names = l.names().to_vec();
    log_grid(&l, &names, p.selected)
}

/// The log grid: one row per server.
fn log_grid(l: &Loaded<Raft>, names: &[String], selected: Option<u32>) -> Html {
    let sim = l.timeline.sim();
    let n = names.len();
    let longest = sim
        .node_ids()
        .map(|i| sim.node(i).disk.log.len())
        .max()
        .unwrap_or(0);
    let first = first_shown(longest);
    let cols = MAX_COLS;
    let cell_w = (GRID_W - LABEL_W - KV_W) / cols as f64;
    let row_h = ((585.0 - GRID_Y) / n.max(1) as f64).min(84.0);
    let cell_h = row_h - 20.0;
    // The live leader with the highest term, for nextIndex/matchIndex.
    let leader = sim
        .node_ids()
        .filter(|&i| sim.is_up(i) && sim.node(i).mem.role == Role::Leader)
        .max_by_key(|&i| sim.node(i).disk.current_term);
    let col_x = |index: usize| GRID_X + LABEL_W + (index - first) as f64 * cell_w;

    let header = (0..cols).map(|c| {
        let index = first + c;
        html! {
            <text class="col-index" x={f(col_x(index) + cell_w / 2.0)} y={f(GRID_Y - 10.0)} text-anchor="middle">{ index }</text>
        }
    });

    let rows = sim.node_ids().map(|id| {
        let i = id.index();
        let node = sim.node(id);
        let y = GRID_Y + i as f64 * row_h;
        let up = sim.is_up(id);
        let mut row_class = classes!("log-row", (!up).then_some("down"));
        if selected == Some(i as u32) {
            row_class.push("selected");
        }
        let cells = (first..first + cols).map(|index| {
            let x = col_x(index);
            match node.disk.entry(index as u64) {
                Some(e) => {
                    let committed = (index as u64) <= node.mem.commit_index;
                    let class = classes!("entry", term_class(e.term), if committed { "committed" } else { "uncommitted" });
                    html! {
                        <g {class}>
                            <title>{ format!("{} entry {index}: {} (term {}){}", names[i], e.command(), e.term,
                                if committed { ", committed" } else { ", not committed" }) }</title>
                            <rect x={f(x + 2.0)} y={f(y)} width={f(cell_w - 4.0)} height={f(cell_h)} rx="4" />
                            <text class="cmd" x={f(x + cell_w / 2.0)} y={f(y + cell_h * 0.45)} text-anchor="middle">{ e.command() }</text>
                            <text class="eterm" x={f(x + cell_w / 2.0)} y={f(y + cell_h * 0.88)} text-anchor="middle">{ format!("t{}", e.term) }</text>
                        </g>
                    }
                }
                None => html! {
                    <rect class="empty" x={f(x + 2.0)} y={f(y)} width={f(cell_w - 4.0)} height={f(cell_h)} rx="4" />
                },
            }
        });
        // Commit index: a bar after the last committed entry; last applied: a dot under it.
        let marker = |index: u64, class: &'static str, dx: f64, text: &'static str| -> Option<Html> {
            let ix = index as usize;
            let dy = 16.0;
            (ix >= first && ix < first + cols).then(|| {
                let x = col_x(ix) + cell_w * (0.5 + dx);
                html! { <text class={classes!("marker", class)} x={f(x)} y={f(y + cell_h + dy)} text-anchor="middle">{ text }</text> }
            })
        };
        let commit_bar = {
            let ix = node.mem.commit_index as usize;
            (ix + 1 >= first && ix < first + cols).then(|| {
                let x = if ix + 1 == first { col_x(first) } else { col_x(ix) + cell_w };
                html! {
                    <line class="commit-bar" x1={f(x)} y1={f(y - 3.0)} x2={f(x)} y2={f(y + cell_h + 3.0)}>
                        <title>{ format!("{}: commit index {}", names[i], node.mem.commit_index) }</title>
                    </line>
                }
            })
        };
        // Left of centre: the nextIndex arrow (centre + 0.12) may share the column.
        let applied = marker(node.mem.last_applied, "applied", -0.38, "●");
        let (next, matched) = match leader {
            Some(ld) if ld != id => {
                let lead = sim.node(ld);
                let mi = lead.mem.match_index.get(i).copied().unwrap_or(0);
                // A matchIndex left of the window is named at its first column: with the
                // nextIndex when that lags too ("◀n3 m2"), else on its own ("◀m5").
                let match_lags = mi > 0 && (mi as usize) < first;
                let next_lags = lead.mem.next_index.get(i).is_some_and(|&ni| (ni as usize) < first);
                (
                    lead.mem.next_index.get(i).and_then(|&ni| {
                        let (ix, mut text) = next_marker(ni as usize, first)?;
                        if next_lags && match_lags {
                            text = format!("{text} m{mi}");
                        }
                        let x = col_x(ix) + cell_w * if next_lags && match_lags { 0.9 } else { 0.62 };
                        Some(html! {
                            <text class="marker next" x={f(x)} y={f(y + cell_h + 16.0)} text-anchor="middle">
                                <title>{ format!("{}'s nextIndex for {}: {ni} (the next entry it sends); matchIndex {mi}", names[ld.index()], names[i]) }</title>
                                { text }
                            </text>
                        })
                    }),
                    if match_lags && !next_lags {
                        let x = col_x(first) + cell_w * 0.1;
                        Some(html! {
                            <text class="marker match" x={f(x)} y={f(y + cell_h + 16.0)} text-anchor="middle">
                                <title>{ format!("{}'s matchIndex for {}: {mi} (the highest entry known to be replicated there)", names[ld.index()], names[i]) }</title>
                                { format!("◀m{mi}") }
                            </text>
                        })
                    } else {
                        lead.mem.match_index.get(i).and_then(|&mi| marker(mi, "match", 0.2, "m"))
                    },
                )
            }
            _ => (None, None),
        };
        let kv_all: Vec<String> = node.mem.kv.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut kv_text = String::new();
        for item in &kv_all {
            if kv_text.chars().count() + item.chars().count() > 10 {
                kv_text.push('…');
                break;
            }
            if !kv_text.is_empty() {
                kv_text.push(' ');
            }
            kv_text.push_str(item);
        }
        let kv_x = GRID_X + GRID_W - KV_W + 8.0;
        html! {
            <g class={row_class} key={names[i].clone()}>
                <text class="row-name" x={f(GRID_X + 4.0)} y={f(y + cell_h * 0.62)}>{ names[i].clone() }</text>
                <text class="kv" x={f(kv_x)} y={f(y + cell_h * 0.62)}>
                    <title>{ format!("{}'s key-value store: {}", names[i],
                        if kv_all.is_empty() { "empty".to_string() } else { kv_all.join(", ") }) }</title>
                    { if kv_all.is_empty() { "∅".to_string() } else { kv_text } }
                </text>
                { for cells }
                { for commit_bar }
                { for applied }
                { for matched }
                { for next }
            </g>
        }
    });
    let more = (first > 1).then(|| html! {
        <text class="col-index" x={f(GRID_X + LABEL_W - 6.0)} y={f(GRID_Y - 10.0)} text-anchor="end">{ "…" }</text>
    });
    html! {
        <g class="log-grid" role="group" aria-label="Log of each server">
            <text class="grid-title" x={f(GRID_X)} y={f(GRID_Y - 34.0)}>{ "Logs (index →)" }</text>
            <text class="col-index" x={f(GRID_X + GRID_W - KV_W + 8.0)} y={f(GRID_Y - 10.0)}>{ "kv store" }</text>
            { for more }
            { for header }
            { for rows }
            <g class="grid-legend">
                <line class="commit-bar" x1={f(GRID_X + 4.0)} y1="600" x2={f(GRID_X + 4.0)} y2="622" />
                <text x={f(GRID_X + 12.0)} y="617">{ "commit index" }</text>
                <text class="marker applied" x={f(GRID_X + 142.0)} y="617">{ "●" }</text>
                <text x={f(GRID_X + 156.0)} y="617">{ "last applied" }</text>
                if leader.is_some() {
                    <text class="marker next" x={f(GRID_X + 272.0)} y="617">{ "▲n" }</text>
                    <text x={f(GRID_X + 298.0)} y="617">{ "nextIndex" }</text>
                    <text class="marker match" x={f(GRID_X + 392.0)} y="617">{ "m" }</text>
                    <text x={f(GRID_X + 414.0)} y="617">{ "matchIndex" }</text>
                }
            </g>
        </g>
    }
}

#[function_component(RaftView)]
pub fn raft_view() -> Html {
    let shell = use_shell();
    let typed = use_typed::<Raft>();
    // Messages and election timers move between steps.
    let t = use_clock().shown;
    let l = typed.run.borrow();
    let names = l.names().to_vec();
    let n = names.len();
    let sim = l.timeline.sim();
    let actor = l.last_actor();
    let servers = sim.node_ids().map(|id| {
        let i = id.index();
        server(
            i,
            n,
            &names[i],
            sim.node(id),
            sim.status(id),
            &names,
            t,
            &shell,
            actor == Some(i as u32),
        )
    });
    let links = l.cut_links();
    let keys = unique_keys(links.iter().map(|(a, b)| format!("cut-{a}-{b}")));
    let cuts = links.into_iter().zip(keys).map(|((a, b), key)| {
        let (x1, y1) = position(a as usize, n);
        let (x2, y2) = position(b as usize, n);
        let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
        html! {
            <g class="cut" {key}>
                <line x1={f(x1)} y1={f(y1)} x2={f(x2)} y2={f(y2)} />
                <text x={f(mx)} y={f(my + 7.0)} text-anchor="middle" class="cut-mark">{ "✕" }</text>
            </g>
        }
    });
    // Made once per step, not on every frame of playback (each is described in words).
    let msgs = use_memo(typed.run.clone(), |run| run.borrow().in_flight());
    let just_sent = l.pos().checked_sub(1);
    // While playing, the messages that look alike are drawn together (few elements, one
    // write each per frame); stopped, each is its own element, to point at and click.
    let dots = if shell.playing {
        let items = msgs.iter().map(|m| {
            let (from, to) = (position(m.from as usize, n), position(m.to as usize, n));
            (m, from, to, Some(m.sent_step) == just_sent, look(m))
        });
        moving_messages(items, t, &names, &shell)
    } else {
        msgs.iter()
            .filter_map(|m| message(m, n, &names, t, &shell, Some(m.sent_step) == just_sent))
            .collect()
    };
    let leader = sim
        .node_ids()
        .filter(|&i| sim.is_up(i) && sim.node(i).mem.role == Role::Leader)
        .max_by_key(|&i| sim.node(i).disk.current_term);
    let term = sim
        .node_ids()
        .map(|i| sim.node(i).disk.current_term)
        .max()
        .unwrap_or(0);
    let status = match leader {
        Some(ld) => format!(
            "leader {} · term {}",
            names[ld.index()],
            sim.node(ld).disk.current_term
        ),
        None => format!("no leader · highest term {term}"),
    };
    let mut flags = Vec::new();
    let params = &l.scenario.params;
    if params.pre_vote {
        flags.push("pre-vote");
    }
    if params.conflict_hint {
        flags.push("conflict hint");
    }
    html! {
        <svg class="raft cluster" viewBox="0 0 1000 640" role="group" data-view=""
            aria-label={format!("{n} Raft servers, {status}, {} messages in flight", msgs.len())}>
            <text class="cluster-status" x="12" y="30">{ status }</text>
            if params.unsafe_commit_old_terms {
                <text class="unsafe-flag" x="12" y="56">{ "UNSAFE commit rule on" }</text>
            } else if !flags.is_empty() {
                <text class="flags" x="12" y="56">{ flags.join(" · ") }</text>
            }
            <circle class="ring-line" cx={f(CX)} cy={f(CY)} r={f(R_RING)} />
            <g class="cuts">{ for cuts }</g>
            <g class="nodes">{ for servers }</g>
            <g class={classes!("msgs", shell.playing.then_some("moving"))} data-count={msgs.len().to_string()}>{ dots }</g>
            <LogGrid run={typed.run.clone()} selected={shell.selected} />
        </svg>
    }
}

/// Parse a number of servers typed by a person (the core refuses the same).
pub fn parse_servers(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if (3..=9).contains(&n) => Ok(n),
        _ => Err(format!(
            "a Raft cluster has 3 to 9 servers, not `{}`",
            text.trim()
        )),
    }
}

/// `params` with the number of servers typed by a person, or why it cannot be used.
pub fn with_servers(params: &Params, text: &str) -> Result<Params, String> {
    let servers = parse_servers(text)?;
    Ok(Params {
        servers,
        ..params.clone()
    })
}

/// Check a key or value typed by a person (the core refuses the same).
pub fn check_kv(key: &str, value: &str) -> Result<(), String> {
    if key.is_empty() || key.chars().count() > 16 {
        Err("the key must be 1 to 16 characters".into())
    } else if value.chars().count() > 16 {
        Err("the value must be at most 16 characters".into())
    } else {
        Ok(())
    }
}

/// The Raft side panel: what the selected server can do, cluster actions and the legend.
#[function_component(RaftPanel)]
pub fn raft_panel() -> Html {
    let shell = use_shell();
    let typed = use_typed::<Raft>();
    let key = use_state(|| "x".to_string());
    let value = use_state(|| "1".to_string());
    let l = typed.run.borrow();
    let names = l.names().to_vec();
    let sim = l.timeline.sim();
    let sel = shell.selected.filter(|&i| (i as usize) < names.len());
    let command = |node: NodeId, cmd: Cmd| Action::Command { node, cmd };
    let non_leaders: Vec<NodeId> = sim
        .node_ids()
        .filter(|&i| sim.is_up(i) && sim.node(i).mem.role != Role::Leader)
        .collect();
    let leader = sim
        .node_ids()
        .filter(|&i| sim.is_up(i) && sim.node(i).mem.role == Role::Leader)
        .max_by_key(|&i| sim.node(i).disk.current_term);
    let align = typed.on_act_all(
        non_leaders
            .iter()
            .map(|&i| command(i, Cmd::SetTimer { after: 120 }))
            .collect(),
    );
    let spread = typed.on_act_all(
        non_leaders
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                command(
                    i,
                    Cmd::SetTimer {
                        after: 150 + 70 * k as u64,
                    },
                )
            })
            .collect(),
    );
    let restart_leader = leader.map(|ld| {
        (
            names[ld.index()].clone(),
            typed.on_act_all(vec![
                Action::Crash { node: ld },
                Action::Restart { node: ld },
            ]),
        )
    });
    let text = |state: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            state.set(el.value());
        })
    };
    let kv_ok = check_kv(key.trim(), value.trim());
    let params = l.scenario.params.clone();
    // Changing an option runs the same scenario with it: the script and what people did
    // are kept, fitted to the servers there are, and the page stays at its step.
    let restart_with = |change: fn(&mut Params)| {
        let typed = typed.clone();
        let mut changed = params.clone();
        change(&mut changed);
        Callback::from(move |_: Event| typed.restart(changed.clone()))
    };
    let on_servers = {
        let typed = typed.clone();
        let params = params.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            // The store fits the script to the servers left and says what it left out.
            match with_servers(&params, &el.value()) {
                Ok(p) => typed.restart(p),
                Err(m) => {
                    typed.shell(ShellMsg::Fail(m));
                    el.set_value(&params.servers.to_string());
                }
            }
        })
    };

    let server_actions = match sel {
        None => html! {
            <p class="muted">{ "Click a server on the ring (or focus it and press Enter) to act on it." }</p>
        },
        Some(i) => {
            let name = names[i as usize].clone();
            let id = NodeId(i);
            let node = sim.node(id);
            let status = sim.status(id);
            let up = matches!(status, NodeStatus::Up);
            let crashed = matches!(status, NodeStatus::Crashed { .. });
            let paused = matches!(status, NodeStatus::Paused { .. });
            let send = {
                let typed = typed.clone();
                let (k, v) = (key.trim().to_string(), value.trim().to_string());
                let ok = kv_ok.is_ok();
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    if ok {
                        typed.act(command(
                            id,
                            Cmd::Client {
                                key: k.clone(),
                                value: v.clone(),
                            },
                        ));
                    }
                })
            };
            html! {
                <>
                    <p class="server-summary">
                        <strong>{ name.clone() }</strong>
                        { format!(" — {}, term {}, voted for {}, log {} entr{}, commit {}, applied {}",
                            match status { NodeStatus::Up => node.mem.role.word(), NodeStatus::Crashed { .. } => "crashed", NodeStatus::Paused { .. } => "paused" },
                            node.disk.current_term,
                            node.disk.voted_for.map_or("nobody".to_string(), |v| names[v.index()].clone()),
                            node.disk.log.len(), if node.disk.log.len() == 1 { "y" } else { "ies" },
                            node.mem.commit_index, node.mem.last_applied) }
                    </p>
                    <div class="button-row">
                        if matches!(status, NodeStatus::Crashed { .. }) {
                            <button class="ctl fault" onclick={typed.on_act(Action::Restart { node: id })}
                                title={format!("Restart {name}: it comes back as a follower with the term, vote and log it kept on disk; its commit index and key-value store start empty until the leader tells it what is committed")}>
                                { format!("Restart {name}") }</button>
                        } else {
                            <button class="ctl fault" onclick={typed.on_act(Action::Crash { node: id })}
                                title={format!("Crash {name}: it stops; its term, vote and log survive on disk, its role, commit index, key-value store and (as leader) nextIndex/matchIndex are lost")}>
                                { format!("Crash {name}") }</button>
                        }
                        if matches!(status, NodeStatus::Paused { .. }) {
                            <button class="ctl fault" onclick={typed.on_act(Action::Resume { node: id })}
                                title={format!("Resume {name}: what reached it while it was frozen (messages, timers that came due, client requests) runs now, in order")}>
                                { format!("Resume {name}") }</button>
                        } else if up {
                            <button class="ctl fault" onclick={typed.on_act(Action::Pause { node: id })}
                                title={format!("Pause {name}: it freezes (a long GC pause) and loses nothing; its timers and the messages it receives wait until it resumes")}>
                                { format!("Pause {name}") }</button>
                        }
                        <button class="ctl" disabled={!up || node.mem.role == Role::Leader}
                            title={match status {
                                NodeStatus::Crashed { .. } => format!("{name} is crashed: it has no election timer until it restarts"),
                                NodeStatus::Paused { .. } => format!("{name} is paused: its election timer waits until it resumes"),
                                NodeStatus::Up if node.mem.role == Role::Leader => format!("{name} is the leader: a leader has no election timer"),
                                NodeStatus::Up => format!("{name}'s election timer fires now: it starts an election for term {}", node.disk.current_term + 1),
                            }}
                            onclick={typed.on_act(command(id, Cmd::Timeout))}>{ "Time out now" }</button>
                    </div>
                    <form class="client-form" onsubmit={send}>
                        <span>{ "Client request to " }<strong>{ name.clone() }</strong>{ ": set" }</span>
                        <input type="text" value={(*key).clone()} oninput={text(key.clone())} maxlength="16" size="4"
                            aria-label="Key" aria-invalid={kv_ok.is_err().to_string()} title="Key (1 to 16 characters)" />
                        <span>{ "=" }</span>
                        <input type="text" value={(*value).clone()} oninput={text(value.clone())} maxlength="16" size="4"
                            aria-label="Value" aria-invalid={kv_ok.is_err().to_string()} title="Value (at most 16 characters)" />
                        <button type="submit" class="primary" disabled={kv_ok.is_err() || crashed}
                            title={if crashed {
                                format!("{name} is crashed: it cannot take a client request")
                            } else if paused {
                                format!("Send the request to {name}: it is paused, so the request waits and {name} handles it when it resumes")
                            } else {
                                format!("Send the request to {name}: a follower redirects it to the leader it knows; the leader appends it and answers once it is committed")
                            }}>{ "Send" }</button>
                    </form>
                    if let Err(e) = &kv_ok {
                        <p class="form-error">{ e.clone() }</p>
                    }
                    if crashed {
                        <p class="muted">{ format!("{name} is crashed: it cannot take a client request until it restarts.") }</p>
                    } else if paused {
                        <p class="muted">{ format!("{name} is paused: a client request waits and {name} handles it when it resumes.") }</p>
                    }
                </>
            }
        }
    };

    html! {
        <section class="panel commands raft-panel" aria-label="Raft actions">
            <h2>{ match sel { Some(i) => format!("Server {}", names[i as usize]), None => "Servers".to_string() } }</h2>
            { server_actions }
            <h2>{ "Cluster" }</h2>
            <div class="button-row">
                <button class="ctl" onclick={align} disabled={non_leaders.is_empty()}
                    title="Every live non-leader's election timer fires in 120 ms, all at once: a split vote (while a leader is alive its heartbeats keep resetting them: crash it first)">{ "Align timers" }</button>
                <button class="ctl" onclick={spread} disabled={non_leaders.is_empty()}
                    title="The timers fire 70 ms apart: the first server usually wins alone">{ "Spread timers" }</button>
                if let Some((name, cb)) = restart_leader {
                    <button class="ctl fault" onclick={cb} title="Crash the leader and restart it at once: it comes back as a follower">{ format!("Restart leader {name}") }</button>
                } else {
                    <button class="ctl fault" disabled=true title="There is no live leader">{ "Restart leader" }</button>
                }
            </div>
            <h2>{ "Options" }</h2>
            <p class="muted small">{ "Changing an option runs the scenario again with it: the same script and what you did, at this step." }</p>
            <div class="options">
                <label title="How many servers, 3 to 9: the scenario restarts with them; with fewer, scripted actions naming a removed server are left out (the page says which)">{ "Servers " }
                    <input type="number" min="3" max="9" value={params.servers.to_string()} onchange={on_servers}
                        aria-label="Number of servers" size="2" />
                </label>
                <label title="Before a real election a server asks whether it could win (a pre-vote, without raising its term): a server cut off for a while cannot disrupt the cluster with a higher term when it returns"><input type="checkbox" checked={params.pre_vote}
                    onchange={restart_with(|p| p.pre_vote = !p.pre_vote)} />{ " Pre-vote" }</label>
                <label title="A follower that rejects AppendEntries tells the leader the term of its conflicting entry and where that term starts, so the leader backs nextIndex off a whole term at a time instead of one entry"><input type="checkbox" checked={params.conflict_hint}
                    onchange={restart_with(|p| p.conflict_hint = !p.conflict_hint)} />{ " Conflict-term hint" }</label>
                <label class="unsafe-option" title="Breaks Raft on purpose: a leader commits entries of earlier terms by counting replicas, which the paper forbids (Figure 8); State Machine Safety can then be violated"><input type="checkbox" checked={params.unsafe_commit_old_terms}
                    onchange={restart_with(|p| p.unsafe_commit_old_terms = !p.unsafe_commit_old_terms)} />
                    { " UNSAFE: commit earlier-term entries by counting (Figure 8)" }</label>
            </div>
            <details class="legend" open=true>
                <summary>{ "Legend" }</summary>
                { kind_legend(&KINDS, kind_of) }
                <p class="muted">{ "Servers: ♛ L leader (bold), candidate (dashed ring), follower. The ring around a server is its election timer, draining until it fires. Messages: RequestVote ● and its reply ◆, AppendEntries ■ (hollow: heartbeat) and its reply ▲, ✓ granted or succeeded, ✗ refused or failed. Log cells: colour = term, solid = committed, dashed = not yet committed." }</p>
            </details>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_core::algo::raft::Msg as RaftMsg;
    use dsplay_core::Protocol;
    use wasm_bindgen_test::*;

    #[wasm_bindgen_test]
    fn client_commands_are_checked() {
        assert!(check_kv("x", "1").is_ok());
        assert_eq!(parse_servers(" 7 "), Ok(7));
        assert!(parse_servers("2").is_err());
        assert!(parse_servers("10").is_err());
        assert!(parse_servers("five").is_err());
        // The servers field gives typed parameters: the other options stay as they were.
        let params = Params {
            pre_vote: true,
            ..Params::default()
        };
        assert_eq!(
            with_servers(&params, " 3 "),
            Ok(Params {
                servers: 3,
                pre_vote: true,
                ..Params::default()
            })
        );
        assert!(with_servers(&params, "10").is_err());
        assert!(check_kv("", "1").is_err());
        assert!(check_kv("x", "12345678901234567").is_err());
    }

    #[wasm_bindgen_test]
    fn next_index_always_has_a_column() {
        // The leader's nextIndex for a follower is at most one past the longest log.
        for longest in 0..40 {
            let first = first_shown(longest);
            for ni in 1..=longest + 1 {
                let (ix, _) = next_marker(ni, first)
                    .unwrap_or_else(|| panic!("longest log {longest}: nextIndex {ni} not drawn"));
                assert!(
                    ix >= first && ix < first + MAX_COLS,
                    "longest {longest}, nextIndex {ni}: column {ix} is not shown"
                );
            }
        }
        // Caught up: drawn in its own column, as ▲n.
        assert_eq!(next_marker(8, first_shown(7)), Some((8, "▲n".to_string())));
        assert_eq!(first_shown(0), 1);
        assert_eq!(first_shown(6), 1);
    }

    #[wasm_bindgen_test]
    fn every_label_has_a_kind() {
        use dsplay_core::algo::raft::Entry;
        let p = Raft::new(Default::default()).unwrap();
        let entry = Entry {
            term: 1,
            key: "x".into(),
            value: "1".into(),
            client: dsplay_core::NodeId(0),
            seq: 1,
        };
        let ae = |entries: Vec<Entry>| RaftMsg::AppendEntries {
            term: 1,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: entries.into(),
            leader_commit: 0,
        };
        let reply = |success| RaftMsg::AppendEntriesReply {
            term: 1,
            success,
            index: 1,
            conflict_term: None,
            conflict_index: None,
        };
        let msgs = [
            RaftMsg::RequestVote {
                term: 1,
                last_log_index: 0,
                last_log_term: 0,
                pre_vote: false,
            },
            RaftMsg::RequestVote {
                term: 1,
                last_log_index: 0,
                last_log_term: 0,
                pre_vote: true,
            },
            RaftMsg::RequestVoteReply {
                term: 1,
                granted: true,
                pre_vote: false,
            },
            RaftMsg::RequestVoteReply {
                term: 1,
                granted: false,
                pre_vote: false,
            },
            ae(vec![]),
            ae(vec![entry]),
            reply(true),
            reply(false),
            RaftMsg::ClientRequest {
                key: "x".into(),
                value: "1".into(),
                client: dsplay_core::NodeId(0),
                seq: 1,
                hops: 1,
            },
        ];
        let mut labels: Vec<&str> = msgs.iter().map(|m| p.msg_label(m)).collect();
        for label in &labels {
            assert!(
                KINDS.iter().any(|(l, _)| l == label),
                "{label} has no legend entry"
            );
            assert_eq!(
                kind_of(label).2,
                *label,
                "the legend names {label} as the view does"
            );
            if *label != "CLIENT" {
                assert_ne!(
                    kind_of(label).0,
                    "k-client",
                    "{label} falls through to the client kind"
                );
            }
        }
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), 9, "nine distinct message kinds: {labels:?}");
        // Each kind differs from every other by more than its label: its colour class
        // and shape together.
        for a in &labels {
            for b in &labels {
                if a != b {
                    let (ka, sa, _, _) = kind_of(a);
                    let (kb, sb, _, _) = kind_of(b);
                    assert_ne!((ka, sa), (kb, sb), "{a} and {b} look the same");
                }
            }
        }
        // Request and reply of the two RPCs differ by shape, not only by colour.
        assert_ne!(kind_of("VOTE").1, kind_of("OK").1);
        assert_ne!(kind_of("NOVOTE").1, kind_of("NACK").1);
        assert_ne!(kind_of("RV").1, kind_of("AE").1);
        // A heartbeat and AppendEntries with entries differ by class (hollow vs filled).
        assert_ne!(kind_of("HB").0, kind_of("AE").0);
        // Granted and refused replies carry ✓ / ✗, not colour alone.
        assert_eq!(kind_of("VOTE").3, Some(true));
        assert_eq!(kind_of("NACK").3, Some(false));
    }
}
