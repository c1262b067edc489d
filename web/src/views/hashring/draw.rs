//! The ring view and its layers: the ring itself (ownership arcs, virtual nodes' ticks,
//! keys as dots or a density band, keys waiting to move, lookups in progress), the nodes
//! around it, the band where keys are pointed at, and the messages travelling.

use super::forms::probe_layer;
use super::geometry::{
    angle, annulus, key_point, node_layout, node_radius, polar, push_arc, push_radial, spread, CX,
    CY, R_BAND, R_KEYS_IN, R_KEYS_OUT, R_LABEL, R_NODES, R_RING, VIEW_BOX, VIEW_H,
};
use super::{coord_of, coord_state, fingerprint};
use crate::components::cluster::{
    f, label_colour, message_title, select_message, status_badge, Flight, NODE_COLOURS,
};
use crate::components::{use_clock, use_shell, use_typed};
use crate::math;
use crate::store::ShellMsg;
use dsplay_core::algo::hashring::{hash_key, vnode_hash, Cmd, Hashring, TaskKind};
use dsplay_core::collections::VecMap;
use dsplay_core::decimal::fixed;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::{Action, NodeId, NodeStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::f64::consts::TAU;
use std::fmt::Write as _;
use std::rc::Rc;
use yew::prelude::*;

/// Above this many virtual nodes, arcs are sampled at `SLOTS` points and ticks omitted.
const EXACT_VNODES: usize = 1500;
const SLOTS: usize = 1024;
/// Above this many keys, keys are drawn as a density band instead of dots.
const MAX_DOTS: usize = 2000;
const BINS: usize = 240;
/// At most this many migrating keys are ringed.
const MAX_HALOS: usize = 400;

/// The hash ring as drawn: computed once per state.
#[derive(Default)]
pub(super) struct RingDrawing {
    /// Physical node names (`n1..nK`).
    names: Vec<String>,
    members: VecMap<u32, u32>,
    vnodes_per: u32,
    total_vnodes: usize,
    keys: usize,
    replicas: u32,
    /// Per physical node: ownership arcs, ticks, keys (dots or density bars).
    arcs: Vec<(usize, String)>,
    ticks: Vec<(usize, String)>,
    key_marks: Vec<(usize, String)>,
    density: bool,
    /// With too many virtual nodes, ticks are drawn for this many per node only.
    ticks_sampled: Option<u32>,
    /// Fraction of the ring each node owns.
    share: VecMap<u32, f64>,
    load: VecMap<u32, u32>,
    /// Largest arc of each node: (node, mid angle), for labels.
    labels: Vec<(usize, f64)>,
    /// Angle of each physical node's circle around the ring.
    angles: Vec<f64>,
    /// Halos around keys waiting to migrate, and how many keys wait.
    halos: String,
    migrating: usize,
    /// Keys being looked up: (key, angle, first owner).
    lookups: Vec<(String, f64, Option<usize>)>,
    /// The keys sorted by hash, for pointing at one: filled on first use (hovering), so a
    /// state change does not pay for it.
    sorted: std::cell::OnceCell<Vec<(u64, String)>>,
}

impl PartialEq for RingDrawing {
    fn eq(&self, _: &Self) -> bool {
        // Compared by pointer (see `RingProps`).
        false
    }
}

/// Compute the drawing from the coordinator's state.
fn draw_ring(l: &Loaded<Hashring>) -> RingDrawing {
    let sim = l.timeline.sim();
    let k = sim.proto().physical() as usize;
    let names: Vec<String> = sim.names()[..k].to_vec();
    let Some(coord) = coord_state(l) else {
        return RingDrawing {
            names,
            ..RingDrawing::default()
        };
    };
    let c = &coord.disk;
    let ring = &c.ring;
    let n = ring.vnodes.len();
    let mut arcs: Vec<String> = vec![String::new(); k];
    let mut ticks: Vec<String> = vec![String::new(); k];
    let mut share: VecMap<u32, f64> = VecMap::new();
    // Per node: (span, mid angle, end angle) of its largest arc.
    let mut largest: VecMap<usize, (f64, f64, f64)> = VecMap::new();
    let mut note_arc = |node: usize, a0: f64, a1: f64| {
        *share.entry(node as u32).or_insert(0.0) += (a1 - a0) / TAU;
        let e = largest.entry(node).or_insert((0.0, 0.0, 0.0));
        if a1 - a0 > e.0 {
            *e = (a1 - a0, (a0 + a1) / 2.0, a1);
        }
    };
    let mut ticks_sampled: Option<u32> = None;
    if n > 0 && n <= EXACT_VNODES {
        for i in 0..n {
            let v = ring.vnodes[i];
            let prev = ring.vnodes[(i + n - 1) % n].pos;
            let a1 = angle(v.pos);
            let span = if n == 1 {
                TAU
            } else {
                angle(v.pos.wrapping_sub(prev))
            };
            let a0 = a1 - span;
            let node = v.node.index();
            if node < k {
                push_arc(&mut arcs[node], a0, a1, R_BAND);
                push_radial(&mut ticks[node], a1, R_RING - 6.0, R_RING + 12.0);
                note_arc(node, a0, a1);
            }
        }
    } else if n > 0 {
        // Too many virtual nodes to draw them all: each node keeps a tick for its first
        // few (the same share of every node), so every node stays visible on the ring.
        let per = (EXACT_VNODES / c.members.len().max(1)).max(1) as u32;
        for v in &ring.vnodes {
            let node = v.node.index();
            if node < k && v.index < per {
                push_radial(&mut ticks[node], angle(v.pos), R_RING - 6.0, R_RING + 12.0);
            }
        }
        ticks_sampled = Some(per);
        // Sample the owner at the middle of each slot and merge equal neighbours.
        let owner_at = |j: usize| {
            let h = ((j as f64 + 0.5) / SLOTS as f64 * 18_446_744_073_709_551_616.0) as u64;
            ring.vnodes[ring.successor(h)].node.index()
        };
        let mut start = 0;
        let mut cur = owner_at(0);
        for j in 1..=SLOTS {
            let o = if j < SLOTS { owner_at(j) } else { usize::MAX };
            if o != cur {
                let a0 = start as f64 / SLOTS as f64 * TAU;
                let a1 = j as f64 / SLOTS as f64 * TAU;
                if cur < k {
                    push_arc(&mut arcs[cur], a0, a1, R_BAND);
                    note_arc(cur, a0, a1);
                }
                start = j;
                cur = o;
            }
        }
    }

    // Keys, coloured by the node holding them: their first owner, or, while a key waits
    // to move, its old owner (it turns to the new owner's colour when the move is done).
    let keys = c.keys.len();
    let density = keys > MAX_DOTS;
    let mut marks: Vec<String> = vec![String::new(); k];
    let mut holder: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &c.tasks {
        if let TaskKind::Migrate { keep: false, .. } = t.kind {
            for key in &t.keys {
                if c.owners.get(key).and_then(|o| o.first()) != Some(&t.node) {
                    holder.entry(key.as_str()).or_insert(t.node.index());
                }
            }
        }
    }
    let first_of = |key: &str, o: &[NodeId]| {
        holder
            .get(key)
            .copied()
            .or_else(|| o.first().map(|x| x.index()))
            .filter(|&x| x < k)
    };
    if density {
        // Keys per bin and owner, in one flat table.
        let mut counts = vec![0u32; BINS * k];
        let mut totals = vec![0u32; BINS];
        for (key, o) in &c.owners {
            let b = ((angle(hash_key(key)) / TAU * BINS as f64) as usize).min(BINS - 1);
            if let Some(first) = first_of(key, o) {
                counts[b * k + first] += 1;
                totals[b] += 1;
            }
        }
        let max = totals.iter().copied().max().unwrap_or(1).max(1);
        for (b, &total) in totals.iter().enumerate() {
            if total == 0 {
                continue;
            }
            // The bar takes the colour of the node owning most of the bin's keys.
            let row = &counts[b * k..(b + 1) * k];
            let owner = (0..k).max_by_key(|&o| row[o]).unwrap_or(0);
            let a = (b as f64 + 0.5) / BINS as f64 * TAU;
            let base = R_KEYS_IN + 24.0;
            let len = (R_KEYS_OUT - base) * f64::from(total) / f64::from(max);
            push_radial(&mut marks[owner], a, base, base + len.max(1.0));
        }
    } else {
        for (key, o) in &c.owners {
            if let Some(first) = first_of(key, o) {
                let (x, y) = key_point(hash_key(key));
                let _ = write!(marks[first], "M{} {}h0", fixed(x, 1), fixed(y, 1));
            }
        }
    }

    // Keys the coordinator still waits to see migrated.
    let mut migrating: BTreeSet<&str> = BTreeSet::new();
    for t in &c.tasks {
        if let TaskKind::Migrate { .. } = t.kind {
            migrating.extend(t.keys.iter().map(|s| s.as_str()));
        }
    }
    let mut halos = String::new();
    for key in migrating.iter().take(MAX_HALOS) {
        let h = hash_key(key);
        let (x, y) = if density {
            polar(angle(h), R_KEYS_OUT + 4.0)
        } else {
            key_point(h)
        };
        let _ = write!(
            halos,
            "M{} {}a6 6 0 1 0 12 0a6 6 0 1 0 -12 0",
            fixed(x - 6.0, 1),
            fixed(y, 1)
        );
    }

    let lookups = coord
        .mem
        .lookups
        .values()
        .map(|p| {
            let h = hash_key(&p.key);
            (
                p.key.clone(),
                angle(h),
                p.preference.first().map(|x| x.index()),
            )
        })
        .collect();

    let collect = |v: Vec<String>| -> Vec<(usize, String)> {
        v.into_iter()
            .enumerate()
            .filter(|(_, d)| !d.is_empty())
            .collect()
    };
    // Names on the arcs help while there are few arcs; with many they are noise.
    let labels = if n <= 24 {
        largest
            .iter()
            .map(|(&node, &(_, mid, _))| (node, mid))
            .collect()
    } else {
        Vec::new()
    };
    // Each node sits by the end of its largest arc (with one virtual node: at its
    // position on the ring); a spare where its first virtual node would go.
    let wanted: Vec<f64> = (0..k)
        .map(|i| match largest.get(&i) {
            Some(&(_, _, end)) => end,
            None => angle(vnode_hash(NodeId(i as u32), 0)),
        })
        .collect();
    let angles = spread(&wanted, node_radius(k));
    RingDrawing {
        names,
        members: c.members.iter().map(|(n, w)| (n.0, *w)).collect(),
        vnodes_per: c.vnodes,
        total_vnodes: n,
        keys,
        replicas: l.scenario.params.replicas,
        arcs: collect(arcs),
        ticks: collect(ticks),
        key_marks: collect(marks),
        density,
        ticks_sampled,
        share,
        load: c.stats.load.iter().map(|(n, l)| (n.0, *l)).collect(),
        labels,
        angles,
        halos,
        migrating: migrating.len(),
        lookups,
        sorted: std::cell::OnceCell::new(),
    }
}

impl RingDrawing {
    /// The coordinator's keys sorted by hash (computed once per drawing).
    fn sorted_keys(&self, l: &Loaded<Hashring>) -> &[(u64, String)] {
        self.sorted.get_or_init(|| {
            let mut v: Vec<(u64, String)> = coord_of(l)
                .map(|c| c.keys.iter().map(|k| (hash_key(k), k.clone())).collect())
                .unwrap_or_default();
            v.sort_unstable();
            v
        })
    }

    /// Where a key is drawn: its dot, or the outer end of the density band.
    pub(super) fn key_spot(&self, h: u64) -> (f64, f64) {
        if self.density {
            polar(angle(h), R_KEYS_OUT + 4.0)
        } else {
            key_point(h)
        }
    }

    /// The key drawn nearest to view-box point (`x`, `y`), if the point is on the keys'
    /// band and a key is close: within a dot's reach, or (density bars) the nearest in
    /// angle within a few pixels of arc.
    fn key_at(&self, l: &Loaded<Hashring>, x: f64, y: f64) -> Option<String> {
        let (dx, dy) = (x - CX, y - CY);
        let r = math::hypot(dx, dy);
        if !(R_KEYS_IN - 12.0..=R_KEYS_OUT + 14.0).contains(&r) {
            return None;
        }
        let keys = self.sorted_keys(l);
        if keys.is_empty() {
            return None;
        }
        let a = math::wrap(math::atan2(dx, -dy), TAU);
        let h = (a / TAU * 18_446_744_073_709_551_616.0) as u64;
        let at = keys.partition_point(|(k, _)| *k < h);
        let n = keys.len();
        // Candidates: neighbours in angle, both ways round, within 16 units of arc.
        let reach = 16.0 / r.max(1.0);
        let mut best: Option<(f64, usize)> = None;
        for dir in [0usize, 1] {
            for step in 0..n.min(400) {
                let i = if dir == 0 {
                    (at + step) % n
                } else {
                    (at + n - 1 - step) % n
                };
                let ka = angle(keys[i].0);
                let gap = (ka - a).abs();
                let gap = gap.min(TAU - gap);
                if gap > reach {
                    break;
                }
                let d = if self.density {
                    gap * r
                } else {
                    let (px, py) = key_point(keys[i].0);
                    math::hypot(px - x, py - y)
                };
                if d <= 12.0 && best.is_none_or(|(b, _)| d < b) {
                    best = Some((d, i));
                }
            }
        }
        best.map(|(_, i)| keys[i].1.clone())
    }

    /// The key after (`forward`) or before `from` in hash order, wrapping; the first key
    /// when there is no `from`.
    fn key_next(&self, l: &Loaded<Hashring>, from: Option<&str>, forward: bool) -> Option<String> {
        let keys = self.sorted_keys(l);
        let n = keys.len();
        if n == 0 {
            return None;
        }
        let i = match from {
            None => 0,
            Some(k) => {
                let h = hash_key(k);
                let at = keys.partition_point(|(x, s)| (*x, s.as_str()) < (h, k));
                let found = keys.get(at).is_some_and(|(_, s)| s == k);
                match (forward, found) {
                    (true, true) => (at + 1) % n,
                    (true, false) => at % n,
                    (false, _) => (at + n - 1) % n,
                }
            }
        };
        Some(keys[i].1.clone())
    }
}

fn path_hash(d: &str) -> u64 {
    let mut h = dsplay_core::hash::Fnv64::default();
    h.update(d.as_bytes());
    h.finish()
}

#[derive(Properties)]
struct RingProps {
    drawing: Rc<RingDrawing>,
}

impl PartialEq for RingProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.drawing, &other.drawing)
    }
}

/// The static part of the ring: redrawn only when the state changes.
#[function_component(RingLayer)]
fn ring_layer(props: &RingProps) -> Html {
    let d = &props.drawing;
    let name = |i: usize| d.names.get(i).cloned().unwrap_or_default();
    let owner_title = |i: usize| {
        let share = d.share.get(&(i as u32)).copied().unwrap_or(0.0) * 100.0;
        let load = d.load.get(&(i as u32)).copied().unwrap_or(0);
        let w = d.members.get(&(i as u32)).copied().unwrap_or(1);
        format!(
            "{}: {} virtual node{}, {}% of the ring, {load} key{}",
            name(i),
            w * d.vnodes_per,
            if w * d.vnodes_per == 1 { "" } else { "s" },
            fixed(share, 1),
            if load == 1 { "" } else { "s" }
        )
    };
    html! {
        <g class="ring-static">
            <circle class="ring-line" cx={f(CX)} cy={f(CY)} r={f(R_RING)} />
            <circle class="keys-guide" cx={f(CX)} cy={f(CY)} r={f(R_KEYS_IN)} />
            <g class="arcs">
                { for d.arcs.iter().map(|(i, path)| html! {
                    <path class={format!("arc c{}", i % NODE_COLOURS)} d={path.clone()}>
                        <title>{ owner_title(*i) }</title>
                    </path>
                }) }
            </g>
            <g class="ticks">
                { for d.ticks.iter().map(|(i, path)| html! {
                    <path class={format!("tick c{}", i % NODE_COLOURS)} d={path.clone()} />
                }) }
            </g>
            <g class={classes!("keys", d.density.then_some("density"))}>
                // Keyed by content: a node whose keys changed gets a new element, which
                // fades in (hashring.css), so keys arriving at their new owner are seen.
                { for d.key_marks.iter().map(|(i, path)| html! {
                    <path class={format!("key c{}", i % NODE_COLOURS)} d={path.clone()}
                        key={format!("{i}-{:x}", path_hash(path))}>
                        <title>{ format!("keys owned by {}", name(*i)) }</title>
                    </path>
                }) }
            </g>
            if !d.halos.is_empty() {
                <path class="migrating" d={d.halos.clone()}>
                    <title>{ format!("{} key{} waiting to move to a new owner", d.migrating, if d.migrating == 1 { "" } else { "s" }) }</title>
                </path>
            }
            { for d.labels.iter().map(|(i, a)| {
                let (x, y) = polar(*a, R_LABEL);
                html! {
                    <text class="arc-label" x={f(x)} y={f(y + 7.0)} text-anchor="middle">{ name(*i) }</text>
                }
            }) }
            { for d.lookups.iter().map(|(key, a, owner)| {
                let (x0, y0) = polar(*a, 40.0);
                let (x1, y1) = polar(*a, R_RING + 14.0);
                let (tx, ty) = polar(*a, R_LABEL);
                let text = match owner {
                    Some(o) => format!("{key} → {}", name(*o)),
                    None => key.clone(),
                };
                html! {
                    <g class="lookup">
                        <line x1={f(x0)} y1={f(y0)} x2={f(x1)} y2={f(y1)} />
                        <text x={f(tx)} y={f(ty)} text-anchor="middle">{ text }</text>
                    </g>
                }
            }) }
            <g class="ring-caption">
                <text x="12" y="34">{ format!("{} node{} in the ring", d.members.len(), if d.members.len() == 1 { "" } else { "s" }) }</text>
                <text x="12" y="66">{ format!("{} virtual node{} each", d.vnodes_per, if d.vnodes_per == 1 { "" } else { "s" }) }</text>
                <text x="12" y="98">{ format!("{} key{}, R = {}", d.keys, if d.keys == 1 { "" } else { "s" }, d.replicas) }</text>
            </g>
            <g class="ring-legend" transform="translate(12 440)">
                <path class="lg-arc" d="M0 14h34" />
                <text x="44" y="21">{ "arc: keys a node owns" }</text>
                if let (Some(per), false) = (d.ticks_sampled, d.ticks.is_empty()) {
                    <path class="lg-tick" d="M17 40v24" />
                    <text x="44" y="59">{ format!("tick: vnode ({per} of {} shown)", d.vnodes_per) }</text>
                } else if !d.ticks.is_empty() {
                    <path class="lg-tick" d="M17 40v24" />
                    <text x="44" y="59">{ "tick: virtual node" }</text>
                } else {
                    <text x="0" y="59">{ format!("ticks hidden: {} virtual nodes", d.total_vnodes) }</text>
                }
                if d.density {
                    <path class="lg-density" d="M8 88h20" />
                    <text x="44" y="95">{ "bar: key density" }</text>
                } else {
                    <path class="lg-dot" d="M17 88h0" />
                    <text x="44" y="95">{ "dot: key" }</text>
                }
                <path class="lg-halo" d="M11 124a6 6 0 1 0 12 0a6 6 0 1 0 -12 0" />
                <text x="44" y="131">{ "ringed: key moving" }</text>
            </g>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct NodesProps {
    names: Vec<String>,
    /// Physical nodes (the coordinator comes after them).
    k: usize,
    angles: Vec<f64>,
    members: Vec<bool>,
    loads: Vec<Option<u32>>,
    status: Vec<NodeStatus>,
    actor: Option<u32>,
}

/// The physical nodes around the ring and the coordinator in the middle: redrawn only when
/// one of them changes (not on playback frames).
#[function_component(NodesLayer)]
fn nodes_layer(props: &NodesProps) -> Html {
    let shell = use_shell();
    let selected = shell.selected;
    let k = props.k;
    let pos = node_layout(&props.angles);
    let nr = node_radius(k);
    let at = |i: u32| -> (f64, f64) { pos.get(i as usize).copied().unwrap_or((CX, CY)) };
    // A click selects the node, or clears the selection if it was selected.
    let toggle = |i: u32| ShellMsg::Select(if selected == Some(i) { None } else { Some(i) });
    let nodes = (0..props.names.len() as u32).map(|i| {
        let (x, y) = at(i);
        let is_coord = i as usize >= k;
        let r = if is_coord { 36.0 } else { nr };
        let status = props.status.get(i as usize).copied().unwrap_or(NodeStatus::Up);
        let member = props.members.get(i as usize).copied().unwrap_or(false);
        let mut class = classes!("node", "hr-node");
        if is_coord {
            class.push("coord");
        } else {
            class.push(format!("c{}", i as usize % NODE_COLOURS));
        }
        if !is_coord && !member {
            class.push("spare");
        }
        let badge = status_badge(status, &mut class);
        if props.actor == Some(i) {
            class.push("acted");
        }
        if selected == Some(i) {
            class.push("selected");
        }
        let name = props.names[i as usize].clone();
        let load = props.loads.get(i as usize).copied().flatten();
        let what = match (is_coord, member, load) {
            (true, _, _) => Some("the coordinator, holds the ring".to_string()),
            (false, true, Some(l)) => Some(format!("{l} key{}", if l == 1 { "" } else { "s" })),
            (false, true, None) => None,
            (false, false, _) => Some("spare, not in the ring".to_string()),
        };
        // The name and the badge first, in the order they are drawn (label in name).
        let label = format!(
            "{name}{}{}",
            badge.map(|b| format!(", {b}")).unwrap_or_default(),
            what.map(|w| format!(": {w}")).unwrap_or_default()
        );
        // Enter and Space do what a click does (toggle the selection); the default is
        // prevented so that Space does not also start or stop playback.
        let onkeydown = {
            let toggle: Callback<()> = shell.on(toggle(i));
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    toggle.emit(())
                }
            })
        };
        let inside = r >= 17.0 || is_coord;
        let font = if is_coord || r >= 27.0 { "name" } else { "name small" };
        // Small nodes: the name goes outside, away from the ring.
        let (lx, ly) = if inside {
            (x, y + if r >= 27.0 || is_coord { 8.0 } else { 5.0 })
        } else {
            let a = props.angles.get(i as usize).copied().unwrap_or(0.0);
            let (ox, oy) = polar(a, R_NODES + 24.0);
            (ox, oy + 5.0)
        };
        let (bx, by) = if y < CY { (x, y - r - 8.0) } else { (x, y + r + 22.0) };
        html! {
            <g {class} key={name.clone()} onclick={shell.on(toggle(i))} {onkeydown} tabindex="0" role="button"
                aria-label={label.clone()} aria-pressed={(selected == Some(i)).to_string()}>
                // The tooltip says what the name says: not read twice, nor taken for text.
                <title aria-hidden="true">{ label }</title>
                <circle class="halo" cx={f(x)} cy={f(y)} r={f(r + 7.0)} />
                <circle class="body" cx={f(x)} cy={f(y)} r={f(r)} />
                <text class={classes!(font.split(' ').collect::<Vec<_>>(), (!inside).then_some("outside"))}
                    x={f(lx)} y={f(ly)} text-anchor="middle">{ name.clone() }</text>
                if matches!(status, NodeStatus::Crashed { .. }) {
                    <path class="cross" d={format!("M{} {}L{} {}M{} {}L{} {}",
                        f(x - r * 0.7), f(y - r * 0.7), f(x + r * 0.7), f(y + r * 0.7),
                        f(x + r * 0.7), f(y - r * 0.7), f(x - r * 0.7), f(y + r * 0.7))} />
                }
                if let Some(b) = badge {
                    <text class="badge" x={f(bx)} y={f(by)} text-anchor="middle">{ b }</text>
                } else if !is_coord && !member && k <= 24 {
                    <text class="detail" x={f(bx)} y={f(by)} text-anchor="middle">{ "spare" }</text>
                }
            </g>
        }
    });

    html! { <g class="nodes">{ for nodes }</g> }
}

#[function_component(HashringView)]
pub(super) fn hashring_view() -> Html {
    let typed = use_typed::<Hashring>();
    let shell = use_shell();
    let svg_ref = use_node_ref();
    let hover = use_state(|| None::<String>);
    let pinned = use_state(|| None::<String>);
    let fp = fingerprint(&typed.run.borrow(), shell.session.id());
    let drawing = {
        let run = typed.run.clone();
        use_memo(fp, move |_| Rc::new(draw_ring(&run.borrow())))
    };
    let drawing: Rc<RingDrawing> = (*drawing).clone();
    let l = typed.run.borrow();
    let sim = l.timeline.sim();
    let names = sim.names().to_vec();
    let k = drawing.names.len();
    let coord = sim.proto().coord();
    let pos = node_layout(&drawing.angles);
    let at = |i: u32| -> (f64, f64) { pos.get(i as usize).copied().unwrap_or((CX, CY)) };
    let node_props = NodesProps {
        names: names.clone(),
        k,
        angles: drawing.angles.clone(),
        members: (0..k as u32)
            .map(|i| drawing.members.contains_key(&i))
            .collect(),
        loads: (0..k as u32)
            .map(|i| drawing.load.get(&i).copied())
            .collect(),
        status: sim.node_ids().map(|id| sim.status(id)).collect(),
        actor: l.last_actor(),
    };
    let in_flight = l.in_flight().len();

    // Pointing at a key: hover shows it, a click pins it (click it again or Escape to
    // let go); with the keys' band focused, arrow keys walk the keys in ring order.
    let to_view = {
        let svg_ref = svg_ref.clone();
        move |e: &MouseEvent| -> Option<(f64, f64)> {
            let el: web_sys::Element = svg_ref.cast()?;
            let b = el.get_bounding_client_rect();
            let s = (b.width() / 1000.0).min(b.height() / VIEW_H);
            if s <= 0.0 {
                return None;
            }
            let x = (f64::from(e.client_x()) - b.left() - (b.width() - 1000.0 * s) / 2.0) / s;
            let y = (f64::from(e.client_y()) - b.top() - (b.height() - VIEW_H * s) / 2.0) / s;
            Some((x, y))
        }
    };
    let pick = {
        let run = typed.run.clone();
        let drawing = drawing.clone();
        move |e: &MouseEvent| -> Option<String> {
            let (x, y) = to_view(e)?;
            drawing.key_at(&run.borrow(), x, y)
        }
    };
    let onpointermove = {
        let hover = hover.clone();
        let pick = pick.clone();
        Callback::from(move |e: PointerEvent| {
            let k = pick(&e);
            if *hover != k {
                hover.set(k);
            }
        })
    };
    let onpointerleave = {
        let hover = hover.clone();
        Callback::from(move |_: PointerEvent| hover.set(None))
    };
    let onclick_keys = {
        let pinned = pinned.clone();
        Callback::from(move |e: MouseEvent| {
            let k = pick(&e);
            pinned.set(if k == *pinned { None } else { k });
        })
    };
    let onkeydown_keys = {
        let pinned = pinned.clone();
        let run = typed.run.clone();
        let drawing = drawing.clone();
        Callback::from(move |e: KeyboardEvent| {
            let forward = match e.key().as_str() {
                "ArrowRight" | "ArrowDown" => true,
                "ArrowLeft" | "ArrowUp" => false,
                "Escape" if pinned.is_some() => {
                    e.prevent_default();
                    e.stop_propagation();
                    pinned.set(None);
                    return;
                }
                _ => return,
            };
            // The arrows belong to the keys while they have focus, not to the stepper.
            e.prevent_default();
            e.stop_propagation();
            pinned.set(drawing.key_next(&run.borrow(), pinned.as_deref(), forward));
        })
    };
    let keys_title = {
        let mut t = match (*hover).as_deref().and_then(|key| {
            let o = coord_of(&l)?.owners.get(key)?;
            let list: Vec<&str> = o
                .iter()
                .map(|n| names.get(n.index()).map_or("?", |x| x.as_str()))
                .collect();
            Some(format!(
                "{key}: hash at {}°, stored on {} (click to pin it)",
                fixed(angle(hash_key(key)).to_degrees(), 1),
                list.join(", ")
            ))
        }) {
            Some(t) => t,
            None => format!(
                "{} key{}, each dot coloured by its first owner: point at one to see its hash and preference list",
                drawing.keys,
                if drawing.keys == 1 { "" } else { "s" }
            ),
        };
        if drawing.migrating > 0 {
            let _ = write!(
                t,
                "; {} key{} ringed: waiting to move to a new owner",
                drawing.migrating,
                if drawing.migrating == 1 { "" } else { "s" }
            );
        }
        t
    };
    let shown = (*pinned).clone().or_else(|| (*hover).clone());
    let probe = shown.and_then(|key| {
        let c = coord_of(&l)?;
        let on_remove =
            (pinned.as_deref() == Some(key.as_str()) && c.keys.contains(&key)).then(|| {
                let typed = typed.clone();
                let pinned = pinned.clone();
                let key = key.clone();
                Callback::from(move |()| {
                    typed.act(Action::Command {
                        node: coord,
                        cmd: Cmd::RemoveKey { key: key.clone() },
                    });
                    pinned.set(None);
                })
            });
        Some(probe_layer(
            &drawing,
            &l,
            c,
            &key,
            pinned.is_some(),
            &at,
            &names,
            on_remove,
        ))
    });

    html! {
        <div class="hashring-stack">
        <svg class="hashring" viewBox={VIEW_BOX} role="group" ref={svg_ref} data-view=""
            aria-label={format!("Hash ring of {} nodes and {} keys; {} messages in flight",
                drawing.members.len(), drawing.keys, in_flight)}>
            <RingLayer drawing={drawing.clone()} />
            if drawing.keys > 0 {
                <path class="keys-hit" d={annulus(R_KEYS_IN - 12.0, R_KEYS_OUT + 14.0)}
                    tabindex="0" role="button"
                    aria-label="Keys: point at one, or press the arrow keys, to see its hash and preference list"
                    {onpointermove} {onpointerleave} onclick={onclick_keys} onkeydown={onkeydown_keys}>
                    // The band lies over the key dots and halos, so their tooltip is here.
                    <title>{ keys_title }</title>
                </path>
            }
            { probe.unwrap_or_default() }
            <NodesLayer ..node_props />
        </svg>
        <MessagesLayer angles={drawing.angles.clone()} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct MessagesProps {
    /// Angle of each physical node's circle around the ring.
    angles: Vec<f64>,
}

/// Messages: dots travelling between the nodes at the time shown. They move every frame,
/// so they are on a layer of their own (see hashring.css), the only part of the view that
/// reads the clock.
#[function_component(MessagesLayer)]
fn messages_layer(props: &MessagesProps) -> Html {
    let shell = use_shell();
    let t = use_clock().shown;
    let s = shell.session.borrow();
    let names = s.names();
    let pos = node_layout(&props.angles);
    let at = |i: u32| -> (f64, f64) { pos.get(i as usize).copied().unwrap_or((CX, CY)) };
    let msgs = s.in_flight();
    let few = msgs.len() <= 12;
    let dots = msgs.iter().filter_map(|m| {
        let fl = Flight::of(m, at(m.from), at(m.to), t)?;
        let (px, py) = (f(fl.at.0), f(fl.at.1));
        let class = classes!(
            "msg",
            format!("m{}", label_colour(m.label)),
            fl.lost.then_some("lost"),
            (m.label == "XFER").then_some("xfer"),
            (shell.selected_msg == Some(m.id)).then_some("selected")
        );
        let onclick = select_message(&shell, m.id);
        let (lx, ly) = fl.label_at(20.0, 6.0);
        Some(html! {
            <g {class} key={format!("m{}", m.id)} {onclick}>
                <title>{ message_title(m, names) }</title>
                <path class="trail" d={fl.path.partial_d(fl.frac)} />
                <circle class="hit" cx={px.clone()} cy={py.clone()} r="16" />
                <circle cx={px} cy={py} r="9" />
                if (few || m.label == "XFER") && fl.frac > 0.12 {
                    <text class="msg-label" x={lx} y={ly} text-anchor="middle">{ m.label }</text>
                }
            </g>
        })
    });
    html! {
        <svg class="hashring-msgs" viewBox={VIEW_BOX} aria-hidden="true" data-overlay="">
            <g class="msgs">{ for dots }</g>
        </svg>
    }
}
