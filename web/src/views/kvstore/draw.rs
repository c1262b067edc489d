//! The key-value store view: the partition table top left, the configuration node, the
//! last rebalancing and each client's promises top right, the history lanes below.

use super::{mode_key, name_of, stale_marks};
use crate::components::cluster::{f, node_select_handlers};
use crate::components::history::{history_lanes, Lanes};
use crate::components::{use_shell, use_typed};
use dsplay_core::algo::kvstore::{Holding, Kvstore, Node, PartCfg, Partitioning};
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::Sim;
use dsplay_core::{NodeId, NodeStatus, Protocol};
use yew::prelude::*;

/// The view box: about as wide for its height as the page's view area, so that the
/// drawing is scaled as little as possible.
const VW: f64 = 1060.0;
const VH: f64 = 500.0;
/// The table's box: left, top, width (its last column, the writes, ends there).
const TX: f64 = 12.0;
const TY: f64 = 4.0;
const TW: f64 = 700.0;
/// The tallest table row.
const MAX_ROW: f64 = 34.0;
/// The right column.
const RX: f64 = 738.0;
/// The least height kept for the history lanes, and the room below them for the axis.
const MIN_HISTORY: f64 = 150.0;
const AXIS_ROOM: f64 = 26.0;
/// The columns of the table, from its left edge.
const COL_KEYS: f64 = 56.0;
const COL_EPOCH: f64 = 236.0;
const COL_REPLICAS: f64 = 280.0;
/// The writes per partition: a bar this wide at most, then the count.
const WRITES_BAR: f64 = 60.0;

/// Each replica of partition `p` in its configuration, with how far behind it is: for
/// leader-follower, the entries the leader has that it lacks (the leader itself `Some(0)`);
/// leaderless, the keys of which it holds an older version than another replica. `None`:
/// it holds nothing of the partition (a move under way, or lost).
pub fn lag_of(sim: &Sim<Kvstore>, p: u32, cfg: &PartCfg) -> Vec<(NodeId, Option<u64>)> {
    let proto = sim.proto();
    let rep = |n: NodeId| match sim.node(n) {
        Node::Server(s) => s.disk.parts.get(&p),
        _ => None,
    };
    if proto.params().replication.leaderless() {
        let keys = proto.keys_of(p);
        let newest = |k: u32| {
            cfg.replicas
                .iter()
                .filter_map(|&n| rep(n).and_then(|r| r.data.get(&k)).map(|v| v.version))
                .max()
        };
        cfg.replicas
            .iter()
            .map(|&n| {
                let lag = rep(n).map(|r| {
                    keys.iter()
                        .filter(|&&k| {
                            let mine = r.data.get(&k).map(|v| v.version);
                            newest(k).is_some_and(|top| mine.is_none_or(|m| m < top))
                        })
                        .count() as u64
                });
                (n, lag)
            })
            .collect()
    } else {
        let top = cfg.leader.and_then(rep).map(|r| r.len());
        cfg.replicas
            .iter()
            .map(|&n| {
                let lag = rep(n).map(|r| top.map_or(0, |t| t.saturating_sub(r.len())));
                (n, lag)
            })
            .collect()
    }
}

/// The name of each history lane: the clients first (`c1` is process 0), then the
/// sessions a client began after an operation stayed pending, which the history
/// component names by process (`p5`).
pub fn lane_names(l: &Loaded<Kvstore>) -> Vec<String> {
    let proto = l.timeline.sim().proto();
    let names = l.names();
    proto
        .clients()
        .map(|c| name_of(names, c).to_string())
        .collect()
}

/// The keys of a partition in short: `k0–k3` for a range, `k1 k5 k9 +2` for hashed keys.
fn keys_short(proto: &Kvstore, p: u32) -> String {
    let keys = proto.keys_of(p);
    match (proto.params().partitioning, keys.first(), keys.last()) {
        (_, None, _) | (_, _, None) => "none".into(),
        (Partitioning::Range, Some(a), Some(b)) if a == b => format!("k{a}"),
        (Partitioning::Range, Some(a), Some(b)) => format!("k{a}–k{b}"),
        (Partitioning::Hash, _, _) => {
            let mut s: Vec<String> = keys.iter().take(3).map(|k| format!("k{k}")).collect();
            if keys.len() > 3 {
                s.push(format!("+{}", keys.len() - 3));
            }
            s.join(" ")
        }
    }
}

/// The configuration node's table (the authority), or the table at the start when its
/// node is missing.
pub fn table_of(sim: &Sim<Kvstore>) -> Vec<PartCfg> {
    let proto = sim.proto();
    match sim.node(proto.cfg_id()) {
        Node::Config(c) => c.disk.table.clone(),
        _ => proto.initial_table().to_vec(),
    }
}

#[function_component(KvView)]
pub fn kv_view() -> Html {
    let shell = use_shell();
    let typed = use_typed::<Kvstore>();
    let l = typed.run.borrow();
    let names = l.names().to_vec();
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let params = proto.params().clone();
    let leaderless = params.replication.leaderless();
    let now = sim.time();
    let table = table_of(sim);
    let cfg_node = sim.node(proto.cfg_id()).config();
    let moves = cfg_node.map(|c| c.disk.moves.clone()).unwrap_or_default();
    let checker = sim.checker();
    let writes = checker
        .map(|c| c.writes_per_partition().to_vec())
        .unwrap_or_default();
    let parts = table.len().max(1);
    let row_h = ((VH - TY - 30.0 - MIN_HISTORY - AXIS_ROOM - 40.0) / parts as f64).min(MAX_ROW);
    let dense = row_h < 28.0;
    let most_writes = writes.iter().copied().max().unwrap_or(0).max(1);
    let selected = shell.selected.map(NodeId);

    // ---- The partition table ----
    let header = html! {
        <g class="kv-head">
            <text x={f(TX)} y={f(TY + 20.0)}>{ "part" }</text>
            <text x={f(TX + COL_KEYS)} y={f(TY + 20.0)}>{ "keys" }</text>
            <text x={f(TX + COL_EPOCH)} y={f(TY + 20.0)} text-anchor="middle">{ "epoch" }</text>
            <text x={f(TX + COL_REPLICAS)} y={f(TY + 20.0)}>{
                if leaderless { "replicas (−n: keys behind)" } else { "replicas (L leader, −n behind)" }
            }</text>
            <text x={f(TX + TW)} y={f(TY + 20.0)} text-anchor="end">{ "writes" }</text>
        </g>
    };
    let rows = table.iter().enumerate().map(|(p, cfg)| {
        let p = p as u32;
        let y = TY + 30.0 + row_h * p as f64;
        let cy = y + row_h / 2.0;
        let lags = lag_of(sim, p, cfg);
        let chip_w = if lags.len() > 3 { 62.0 } else { 74.0 };
        let chips = lags.iter().enumerate().map(|(k, &(n, lag))| {
            let x = TX + COL_REPLICAS + k as f64 * (chip_w + 6.0);
            let lead = cfg.leader == Some(n);
            let status = sim.status(n);
            let down = !matches!(status, NodeStatus::Up);
            let holding = match sim.node(n) {
                Node::Server(s) => s.disk.parts.get(&p).map(|r| r.holding),
                _ => None,
            };
            let words = match (lead, lag) {
                (true, _) => format!("{} L", name_of(&names, n)),
                (false, None) => format!("{} ∅", name_of(&names, n)),
                (false, Some(0)) => format!("{} ✓", name_of(&names, n)),
                (false, Some(d)) => format!("{} −{d}", name_of(&names, n)),
            };
            let title = format!(
                "{} of p{p}{}{}{}",
                name_of(&names, n),
                if lead { ": leader" } else if leaderless { ": replica" } else { ": follower" },
                match lag {
                    None => ", holds nothing of it".to_string(),
                    Some(0) if !lead => ", up to date".to_string(),
                    Some(d) if !lead && leaderless => format!(", {d} keys older than another replica's"),
                    Some(d) if !lead => format!(", {d} entries behind the leader"),
                    _ => String::new(),
                },
                match (status, holding) {
                    (NodeStatus::Crashed { .. }, _) => ", crashed",
                    (NodeStatus::Paused { .. }, _) => ", paused",
                    (_, Some(Holding::Handing)) => ", handing it over",
                    (_, Some(Holding::Incoming)) => ", waiting for the configuration naming it",
                    _ => "",
                }
            );
            let class = classes!(
                "chip",
                lead.then_some("leader"),
                lag.is_some_and(|d| d > 0).then_some("behind"),
                down.then_some("down"),
                (selected == Some(n)).then_some("selected"),
            );
            let (onclick, onkeydown) = node_select_handlers(&shell, n.0);
            html! {
                <g key={format!("c{}", n.0)} class={class} data-node={name_of(&names, n).to_string()}
                    tabindex="0" role="button" aria-pressed={(selected == Some(n)).to_string()}
                    aria-label={format!("{words}: {title}")} {onclick} {onkeydown}>
                    <title aria-hidden="true">{ title }</title>
                    <rect x={f(x)} y={f(y + 3.0)} width={f(chip_w)} height={f(row_h - 6.0)} rx="6" />
                    <text x={f(x + chip_w / 2.0)} y={f(cy + 7.0)} text-anchor="middle">{ words }</text>
                    if down {
                        <path class="cross" d={format!("M{} {}L{} {}", f(x + 4.0), f(y + 5.0), f(x + chip_w - 4.0), f(y + row_h - 5.0))} />
                    }
                </g>
            }
        });
        let moving = moves.iter().filter(|m| m.part == p).map(|m| {
            format!("{}→{}", name_of(&names, m.from), name_of(&names, m.to))
        }).collect::<Vec<_>>();
        let x_after = TX + COL_REPLICAS + lags.len() as f64 * (chip_w + 6.0);
        let count = writes.get(p as usize).copied().unwrap_or(0);
        let bar_w = WRITES_BAR * count as f64 / most_writes as f64;
        html! {
            <g key={format!("p{p}")} class={classes!("kv-row", (p % 2 == 1).then_some("odd"))} data-part={p.to_string()}>
                <rect class="row-bg" x={f(TX)} y={f(y)} width={f(TW)} height={f(row_h)} />
                <text class="part" x={f(TX + 4.0)} y={f(cy + 7.0)}>{ format!("p{p}") }</text>
                <text class="keys" x={f(TX + COL_KEYS)} y={f(cy + 7.0)}>{ keys_short(proto, p) }</text>
                <text class="epoch" x={f(TX + COL_EPOCH)} y={f(cy + 7.0)} text-anchor="middle">{ cfg.epoch.to_string() }</text>
                { for chips }
                if !moving.is_empty() {
                    <text class="moving" x={f(x_after + 4.0)} y={f(cy + 7.0)}>{ format!("moving {}", moving.join(" ")) }</text>
                }
                if count > 0 {
                    <rect class="writes-bar" x={f(TX + TW - 44.0 - WRITES_BAR)} y={f(cy - 6.0)} width={f(bar_w.max(2.0))} height="12" />
                }
                <text class="writes" x={f(TX + TW)} y={f(cy + 7.0)} text-anchor="end">{ count.to_string() }</text>
            </g>
        }
    });

    // ---- The configuration node, the last rebalancing, the promises ----
    let cfg_lines: Vec<String> = match cfg_node {
        None => vec![],
        Some(c) => {
            let mut v = vec![format!(
                "members {}",
                c.disk
                    .members
                    .iter()
                    .map(|&n| name_of(&names, n))
                    .collect::<Vec<_>>()
                    .join(" ")
            )];
            if !c.disk.leaving.is_empty() {
                v.push(format!(
                    "leaving {}",
                    c.disk
                        .leaving
                        .iter()
                        .map(|&n| name_of(&names, n))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
            v.push(if c.disk.moves.is_empty() {
                "no move under way".to_string()
            } else {
                format!("{} moves under way", c.disk.moves.len())
            });
            for (p, fence) in c.mem.fencing.iter() {
                v.push(format!(
                    "p{p} to epoch {}: {} {}",
                    fence.epoch,
                    fence.answers.len(),
                    if fence.answers.len() == 1 {
                        "answer"
                    } else {
                        "answers"
                    }
                ));
            }
            v
        }
    };
    let cfg_down = !sim.is_up(proto.cfg_id());
    let rebalance =
        checker.and_then(|c| c.rebalances().iter().rev().find(|r| r.time <= now).cloned());
    let rebalance_lines: Vec<String> = match &rebalance {
        None => vec!["no join or leave yet".into()],
        Some(r) => vec![
            format!(
                "{} {} at t={} ms",
                name_of(&names, r.node),
                if r.leave { "leaves" } else { "joins" },
                r.time
            ),
            format!("moves {} partitions, {} copies", r.partitions, r.fixed),
            format!("hash mod N: {} of {} copies", r.mod_n, r.keys),
        ],
    };
    // Each guarantee once: ✓ or ✗ when every client has the same, else per client.
    let promises: Vec<(String, bool, bool)> = checker
        .map(|c| {
            c.promises()
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        name_of(&names, proto.client_id(i as u32)).to_string(),
                        p.read_your_writes,
                        p.monotonic_reads,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let yes = |b: bool| if b { "✓" } else { "✗" };
    let promise_line = |label: &str, pick: fn(&(String, bool, bool)) -> bool| {
        let first = promises.first().map(pick);
        if promises.iter().all(|p| Some(pick(p)) == first) {
            format!("{label} {}", first.map_or("–", yes))
        } else {
            let each: Vec<String> = promises
                .iter()
                .map(|p| format!("{} {}", p.0, yes(pick(p))))
                .collect();
            format!("{label}: {}", each.join(" "))
        }
    };
    let mut ry = TY + 20.0;
    let mut right = Vec::new();
    let mut line = |class: &'static str, text: String, ry: &mut f64, step: f64| {
        let k = right.len();
        right.push(html! { <text key={format!("r{k}")} class={class} x={f(RX)} y={f(*ry)}>{ text }</text> });
        *ry += step;
    };
    line(
        "title",
        format!("cfg{}", if cfg_down { " (crashed ✕)" } else { "" }),
        &mut ry,
        26.0,
    );
    for s in cfg_lines {
        line("line", s, &mut ry, 23.0);
    }
    // Hints a sloppy quorum left with substitutes, until they are handed over.
    let hints: Vec<String> = (0..proto.server_total())
        .map(NodeId)
        .filter_map(|n| sim.node(n).server().map(|s| (n, s)))
        .flat_map(|(n, s)| {
            s.disk
                .hints
                .iter()
                .map(move |h| (n, h.for_node, h.key, h.v.value))
        })
        .map(|(n, to, k, v)| {
            format!(
                "{} keeps k{k}={v} for {}",
                name_of(&names, n),
                name_of(&names, to)
            )
        })
        .collect();
    if !hints.is_empty() {
        ry += 6.0;
        line("title", format!("Hints ({})", hints.len()), &mut ry, 26.0);
        for s in hints.iter().take(2) {
            line("line", s.clone(), &mut ry, 23.0);
        }
        if hints.len() > 2 {
            line(
                "line",
                format!("and {} more", hints.len() - 2),
                &mut ry,
                23.0,
            );
        }
    }
    ry += 6.0;
    line("title", "Rebalancing".into(), &mut ry, 26.0);
    for s in rebalance_lines {
        line("line", s, &mut ry, 23.0);
    }
    ry += 6.0;
    line(
        "title",
        format!("Promised ({})", mode_key(params.replication)),
        &mut ry,
        26.0,
    );
    line(
        "line",
        promise_line("read your writes", |p| p.1),
        &mut ry,
        23.0,
    );
    line(
        "line",
        promise_line("monotonic reads", |p| p.2),
        &mut ry,
        23.0,
    );
    // The history below whichever of the table and the right column ends lower.
    let table_end = TY + 30.0 + row_h * parts as f64;
    let hy = (table_end.max(ry - 20.0) + 44.0).min(VH - AXIS_ROOM - MIN_HISTORY);
    let hh = VH - AXIS_ROOM - hy;

    // ---- The history ----
    let history = checker.map(|c| c.history().clone()).unwrap_or_default();
    let marks = stale_marks(&l);
    let lanes = lane_names(&l);
    let drawn = history_lanes(&Lanes {
        history: &history,
        names: &lanes,
        now,
        x: TX,
        y: hy,
        w: VW - 2.0 * TX,
        h: hh,
        marks: &marks,
        selected: None,
    });
    let pending = history.ops.iter().filter(|o| o.complete.is_none()).count();
    let lost = marks
        .iter()
        .filter(|m| history.ops[m.op].is_write())
        .count();
    let stale = marks.len() - lost;
    let mut title = format!(
        "History: {} operations, {pending} pending, {stale} stale {}",
        history.ops.len(),
        if stale == 1 { "read" } else { "reads" }
    );
    if lost > 0 {
        title.push_str(&format!(
            ", {lost} acknowledged {} lost",
            if lost == 1 { "write" } else { "writes" }
        ));
    }
    let aria = format!(
        "Key-value store, {}: {} partitions; {title}",
        mode_key(params.replication),
        table.len(),
    );
    html! {
        <svg class={classes!("kvstore", dense.then_some("dense"))} viewBox={format!("0 0 {} {}", f(VW), f(VH))} role="group" data-view="" aria-label={aria}>
            { header }
            { for rows }
            { for right }
            <text class="history-title" x={f(TX)} y={f(hy - 8.0)}>{
                title
            }</text>
            { drawn }
        </svg>
    }
}
