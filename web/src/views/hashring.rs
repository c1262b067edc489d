//! The consistent hashing page's own view: the hash ring (ownership arcs, virtual nodes,
//! keys by owner, keys being migrated), the physical nodes around it with the coordinator
//! in the middle and the messages between them; and its side panel (load chart, keys moved
//! compared with `hash mod N`, and the commands given to `coord`).
//!
//! The ring is drawn from the coordinator's state. Everything heavy (arcs, ticks, key
//! dots) is aggregated into one `<path>` per physical node and computed once per state
//! change (`use_memo` on the session and its version), in a child component whose props
//! do not change during playback frames, so only the messages are redrawn per frame.

use crate::components::cluster::{
    f, label_colour, message_title, select_message, status_badge, Flight, NODE_COLOURS,
};
use crate::components::{use_stable_store, use_store};
use crate::store::Msg;
use dsplay_core::algo::hashring::{
    balance, hash_key, vnode_hash, Coord, CoordState, Hashring, Op, Ring, TaskKind, MAX_KEYS,
};
use dsplay_core::session::Loaded;
use dsplay_core::sim::NodeId;
use dsplay_core::NodeStatus;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::f64::consts::{PI, TAU};
use std::fmt::Write as _;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Height of the view box (1000 wide): room below the lowest node for its status badge.
const VIEW_H: f64 = 624.0;
/// Centre of the ring in the view box.
const CX: f64 = 640.0;
const CY: f64 = 300.0;
/// The ring line.
const R_RING: f64 = 205.0;
/// The ownership band: centre radius and width.
const R_BAND: f64 = 194.0;
/// Labels of the largest arcs (inside the band).
const R_LABEL: f64 = 163.0;
/// Key dots lie between these radii; density bars start at the inner one.
const R_KEYS_IN: f64 = 66.0;
const R_KEYS_OUT: f64 = 140.0;
/// Physical nodes sit on this circle.
const R_NODES: f64 = 266.0;
/// Above this many virtual nodes, arcs are sampled at `SLOTS` points and ticks omitted.
const EXACT_VNODES: usize = 1500;
const SLOTS: usize = 1024;
/// Above this many keys, keys are drawn as a density band instead of dots.
const MAX_DOTS: usize = 2000;
const BINS: usize = 240;
/// At most this many migrating keys are ringed.
const MAX_HALOS: usize = 400;

/// Angle (radians, clockwise from the top) of a ring position.
fn angle(h: u64) -> f64 {
    h as f64 / 18_446_744_073_709_551_616.0 * TAU
}

/// A point at angle `a` (clockwise from the top) and radius `r`.
fn polar(a: f64, r: f64) -> (f64, f64) {
    (CX + r * a.sin(), CY - r * a.cos())
}

/// Appends an arc from angle `a0` to `a1` (clockwise, `a1 > a0`) at radius `r`.
fn push_arc(d: &mut String, a0: f64, a1: f64, r: f64) {
    let span = a1 - a0;
    if span >= TAU - 1e-9 {
        // A whole circle: two halves.
        push_arc(d, a0, a0 + PI, r);
        push_arc(d, a0 + PI, a0 + TAU, r);
        return;
    }
    let (x0, y0) = polar(a0, r);
    let (x1, y1) = polar(a1, r);
    let large = u8::from(span > PI);
    let _ = write!(d, "M{x0:.1} {y0:.1}A{r} {r} 0 {large} 1 {x1:.1} {y1:.1}");
}

/// A radial segment at angle `a` from radius `r0` to `r1`.
fn push_radial(d: &mut String, a: f64, r0: f64, r1: f64) {
    let (x0, y0) = polar(a, r0);
    let (x1, y1) = polar(a, r1);
    let _ = write!(d, "M{x0:.1} {y0:.1}L{x1:.1} {y1:.1}");
}

/// The hash ring as drawn: computed once per state.
#[derive(Default)]
pub struct RingDrawing {
    /// Physical node names (`n1..nK`).
    names: Vec<String>,
    members: BTreeMap<u32, u32>,
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
    share: BTreeMap<u32, f64>,
    load: BTreeMap<u32, u32>,
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

/// A cheap fingerprint of what the drawing depends on: steps that leave the coordinator's
/// ring, keys, pending migrations and lookups as they were keep the drawing (most steps
/// are transfers between storage nodes).
fn fingerprint(session: &crate::store::Shared) -> u64 {
    let s = session.borrow();
    let Some(coord) = s
        .as_any()
        .downcast_ref::<Loaded<Hashring>>()
        .and_then(coord_state)
    else {
        return 0;
    };
    let c = &coord.disk;
    let mut h = dsplay_core::hash::Fnv64::default();
    let mut put = |x: u64| h.update(&x.to_le_bytes());
    put(Rc::as_ptr(session) as *const () as usize as u64);
    put(c.epoch);
    put(u64::from(c.vnodes));
    put(u64::from(c.next_key));
    put(c.keys.len() as u64);
    put(c.stats.keys.into());
    put(c.stats.moved_keys.into());
    put(c.stats.mod_n_moved.into());
    for (n, w) in &c.members {
        put(u64::from(n.0) << 32 | u64::from(*w));
    }
    put(u64::MAX);
    for t in &c.tasks {
        let kind = match t.kind {
            TaskKind::Migrate { to, .. } => u64::from(to.0) + 3,
            TaskKind::Store => 1,
            TaskKind::Drop => 2,
        };
        put(u64::from(t.node.0) << 40 | kind << 20 | t.keys.len() as u64);
    }
    put(u64::MAX);
    for (id, p) in &coord.mem.lookups {
        put(u64::from(*id));
        put(hash_key(&p.key));
    }
    put(u64::MAX);
    if let Op::RemoveKey { key } = &c.stats.op {
        put(hash_key(key));
    }
    h.finish()
}

/// The coordinator's state: on disk (the ring, keys, instructions) and in memory (lookups).
fn coord_state(l: &Loaded<Hashring>) -> Option<&CoordState> {
    let sim = l.timeline.sim();
    let id = sim.proto().coord();
    sim.node(id).coord()
}

fn coord_of(l: &Loaded<Hashring>) -> Option<&Coord> {
    coord_state(l).map(|c| &c.disk)
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
    let mut share: BTreeMap<u32, f64> = BTreeMap::new();
    // Per node: (span, mid angle, end angle) of its largest arc.
    let mut largest: BTreeMap<usize, (f64, f64, f64)> = BTreeMap::new();
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
                let _ = write!(marks[first], "M{x:.1} {y:.1}h0");
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
            "M{:.1} {y:.1}a6 6 0 1 0 12 0a6 6 0 1 0 -12 0",
            x - 6.0
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
    fn key_spot(&self, h: u64) -> (f64, f64) {
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
        let r = dx.hypot(dy);
        if !(R_KEYS_IN - 12.0..=R_KEYS_OUT + 14.0).contains(&r) {
            return None;
        }
        let keys = self.sorted_keys(l);
        if keys.is_empty() {
            return None;
        }
        let a = dx.atan2(-dy).rem_euclid(TAU);
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
                    (px - x).hypot(py - y)
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

/// Where a key's dot goes: its angle, and a radius from the hash's low bits (to spread
/// the dots over a band rather than a line).
fn key_point(h: u64) -> (f64, f64) {
    let jitter = (h & 0xffff) as f64 / 65_535.0;
    polar(
        angle(h),
        R_KEYS_IN + 4.0 + jitter * (R_KEYS_OUT - R_KEYS_IN - 8.0),
    )
}

/// Radius of a physical node's circle when there are `k`.
fn node_radius(k: usize) -> f64 {
    if k <= 12 {
        27.0
    } else if k <= 24 {
        17.0
    } else {
        9.0
    }
}

/// Angles as close as possible to `wanted` but far enough apart for circles of radius
/// `r` on the node circle: neighbours that overlap push each other apart.
fn spread(wanted: &[f64], r: f64) -> Vec<f64> {
    let k = wanted.len();
    let mut a: Vec<f64> = wanted.iter().map(|x| x.rem_euclid(TAU)).collect();
    if k < 2 {
        return a;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&x, &y| a[x].total_cmp(&a[y]));
    let even = TAU / k as f64;
    if k > 12 {
        // Many nodes: evenly spaced in the order of their wanted angles, turned as a
        // whole to stay as close to them as possible.
        let (mut sx, mut sy) = (0.0, 0.0);
        for (rank, &i) in order.iter().enumerate() {
            let d = a[i] - rank as f64 * even;
            sx += d.cos();
            sy += d.sin();
        }
        let turn = sy.atan2(sx);
        for (rank, &i) in order.iter().enumerate() {
            a[i] = turn + rank as f64 * even;
        }
        return a;
    }
    let sep = ((2.0 * r + 14.0) / R_NODES).min(even * 0.98);
    for _ in 0..200 {
        let mut moved = false;
        for j in 0..k {
            let (p, q) = (order[j], order[(j + 1) % k]);
            let gap = (a[q] - a[p]).rem_euclid(TAU);
            if gap < sep - 1e-6 {
                let push = (sep - gap) / 2.0;
                a[p] -= push;
                a[q] += push;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    a
}

/// Centre of each physical node's circle, then the coordinator's at the centre.
fn node_layout(angles: &[f64]) -> Vec<(f64, f64)> {
    angles
        .iter()
        .map(|&a| polar(a, R_NODES))
        .chain(std::iter::once((CX, CY)))
        .collect()
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
            "{}: {} virtual node{}, {share:.1}% of the ring, {load} key{}",
            name(i),
            w * d.vnodes_per,
            if w * d.vnodes_per == 1 { "" } else { "s" },
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
    selected: Option<u32>,
    dispatch: UseReducerDispatcher<crate::store::State>,
}

/// The physical nodes around the ring and the coordinator in the middle: redrawn only when
/// one of them changes (not on playback frames).
#[function_component(NodesLayer)]
fn nodes_layer(props: &NodesProps) -> Html {
    let k = props.k;
    let pos = node_layout(&props.angles);
    let nr = node_radius(k);
    let at = |i: u32| -> (f64, f64) { pos.get(i as usize).copied().unwrap_or((CX, CY)) };
    let select = |i: u32| {
        let dispatch = props.dispatch.clone();
        let sel = props.selected;
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(Msg::Select(if sel == Some(i) { None } else { Some(i) }))
        })
    };
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
        if props.selected == Some(i) {
            class.push("selected");
        }
        let name = props.names[i as usize].clone();
        let load = props.loads.get(i as usize).copied().flatten();
        let label = match (is_coord, member, load) {
            (true, _, _) => format!("{name}: the coordinator, holds the ring"),
            (false, true, Some(l)) => format!("{name}: {l} key{}", if l == 1 { "" } else { "s" }),
            (false, true, None) => name.clone(),
            (false, false, _) => format!("{name}: spare, not in the ring"),
        };
        let label = format!("{label}{}", badge.map(|b| format!(", {b}")).unwrap_or_default());
        // Enter and Space do what a click does (toggle the selection); the default is
        // prevented so that Space does not also start or stop playback.
        let onkeydown = {
            let dispatch = props.dispatch.clone();
            let sel = props.selected;
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    dispatch.dispatch(Msg::Select(if sel == Some(i) { None } else { Some(i) }))
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
            <g {class} key={name.clone()} onclick={select(i)} {onkeydown} tabindex="0" role="button"
                aria-label={label.clone()} aria-pressed={(props.selected == Some(i)).to_string()}>
                <title>{ label }</title>
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
pub fn hashring_view() -> Html {
    let store = use_store();
    let svg_ref = use_node_ref();
    let hover = use_state(|| None::<String>);
    let pinned = use_state(|| None::<String>);
    let fp = fingerprint(&store.session);
    let drawing = {
        let session = store.session.clone();
        use_memo(fp, move |_| {
            let s = session.borrow();
            Rc::new(
                s.as_any()
                    .downcast_ref::<Loaded<Hashring>>()
                    .map(draw_ring)
                    .unwrap_or_default(),
            )
        })
    };
    let drawing: Rc<RingDrawing> = (*drawing).clone();
    let s = store.session.borrow();
    let names = s.names().to_vec();
    let k = drawing.names.len();
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
        status: (0..names.len() as u32)
            .map(|i| s.status(i).unwrap_or(NodeStatus::Up))
            .collect(),
        actor: s.last_actor(),
        selected: store.selected,
        dispatch: store.dispatcher(),
    };
    // Messages: dots travelling between the nodes.
    let t = store.display_time;
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
            (store.selected_msg == Some(m.id)).then_some("selected")
        );
        let onclick = select_message(&store, m.id);
        let (lx, ly) = fl.label_at(20.0, 6.0);
        Some(html! {
            <g {class} key={format!("m{}", m.id)} {onclick}>
                <title>{ message_title(m, &names) }</title>
                <path class="trail" d={fl.path.partial_d(fl.frac)} />
                <circle class="hit" cx={px.clone()} cy={py.clone()} r="16" />
                <circle cx={px} cy={py} r="9" />
                if (few || m.label == "XFER") && fl.frac > 0.12 {
                    <text class="msg-label" x={lx} y={ly} text-anchor="middle">{ m.label }</text>
                }
            </g>
        })
    });

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
        let session = store.session.clone();
        let drawing = drawing.clone();
        move |e: &MouseEvent| -> Option<String> {
            let (x, y) = to_view(e)?;
            let s = session.borrow();
            let l = s.as_any().downcast_ref::<Loaded<Hashring>>()?;
            drawing.key_at(l, x, y)
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
        let session = store.session.clone();
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
            let s = session.borrow();
            if let Some(l) = s.as_any().downcast_ref::<Loaded<Hashring>>() {
                pinned.set(drawing.key_next(l, pinned.as_deref(), forward));
            }
        })
    };
    let keys_title = {
        let mut t = match (*hover).as_deref().and_then(|key| {
            let l = s.as_any().downcast_ref::<Loaded<Hashring>>()?;
            let o = coord_of(l)?.owners.get(key)?;
            let list: Vec<&str> = o
                .iter()
                .map(|n| names.get(n.index()).map_or("?", |x| x.as_str()))
                .collect();
            Some(format!(
                "{key}: hash at {:.1}°, stored on {} (click to pin it)",
                angle(hash_key(key)).to_degrees(),
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
        let l = s.as_any().downcast_ref::<Loaded<Hashring>>()?;
        let c = coord_of(l)?;
        let on_remove =
            (pinned.as_deref() == Some(key.as_str()) && c.keys.contains(&key)).then(|| {
                let store = store.clone();
                let pinned = pinned.clone();
                let coord = names.get(k).cloned().unwrap_or_else(|| "coord".into());
                let key = key.clone();
                Callback::from(move |()| {
                    let action =
                        json!({"command": {"node": coord, "cmd": {"remove_key": {"key": key}}}});
                    store.dispatch(Msg::Apply(action.to_string()));
                    pinned.set(None);
                })
            });
        Some(probe_layer(
            &drawing,
            l,
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
        <svg class="hashring" viewBox={format!("0 0 1000 {VIEW_H}")} role="img" ref={svg_ref} data-view=""
            aria-label={format!("Hash ring of {} nodes and {} keys; {} messages in flight",
                drawing.members.len(), drawing.keys, msgs.len())}>
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
        // Messages move every frame: on a layer of their own (see hashring.css).
        <svg class="hashring-msgs" viewBox={format!("0 0 1000 {VIEW_H}")} aria-hidden="true" data-overlay="">
            <g class="msgs">{ for dots }</g>
        </svg>
        </div>
    }
}

/// An annulus (ring between two radii) around the centre, as a path filled even-odd.
fn annulus(r0: f64, r1: f64) -> String {
    let mut d = String::new();
    for r in [r1, r0] {
        let _ = write!(
            d,
            "M{} {}a{r} {r} 0 1 0 {} 0a{r} {r} 0 1 0 {} 0",
            f(CX - r),
            f(CY),
            f(2.0 * r),
            f(-2.0 * r)
        );
    }
    d
}

/// One key pointed at: its spot ringed, its hash position on the ring, lines to the nodes
/// of its preference list (the first solid), and a card saying all of it in words.
#[allow(clippy::too_many_arguments)]
fn probe_layer(
    d: &RingDrawing,
    l: &Loaded<Hashring>,
    c: &Coord,
    key: &str,
    pinned: bool,
    at: &dyn Fn(u32) -> (f64, f64),
    names: &[String],
    on_remove: Option<Callback<()>>,
) -> Html {
    let h = hash_key(key);
    let a = angle(h);
    let (kx, ky) = d.key_spot(h);
    let r = l.scenario.params.replicas as usize;
    let mut pref = Vec::with_capacity(r);
    let first = c.ring.preference(h, r, &mut pref);
    let nm = |n: NodeId| {
        names
            .get(n.index())
            .cloned()
            .unwrap_or_else(|| format!("n{}", n.0 + 1))
    };
    let sim = l.timeline.sim();
    let up = |n: NodeId| matches!(sim.status(n), NodeStatus::Up);
    let (rx0, ry0) = polar(a, R_RING - 14.0);
    let (rx1, ry1) = polar(a, R_RING + 14.0);
    let lines = pref.iter().enumerate().map(|(rank, &n)| {
        let (nx, ny) = at(n.0);
        let class = classes!(
            "pref",
            (rank == 0).then_some("primary"),
            (!up(n)).then_some("down")
        );
        html! { <line {class} x1={f(kx)} y1={f(ky)} x2={f(nx)} y2={f(ny)} /> }
    });
    let mut rows: Vec<String> = Vec::new();
    rows.push(format!("hash {h:016x} = {:.1}°", a.to_degrees()));
    if !c.keys.contains(key) {
        rows.push("no longer in the key set".to_string());
    }
    if let Some(v) = first {
        rows.push(format!(
            "next virtual node: {}#{} at {:.1}°",
            nm(v.node),
            v.index,
            angle(v.pos).to_degrees()
        ));
    }
    let list: Vec<String> = pref.iter().map(|&n| nm(n)).collect();
    rows.push(format!(
        "preference list: {}",
        if list.is_empty() {
            "none".to_string()
        } else {
            list.join(", ")
        }
    ));
    match pref.iter().position(|&n| up(n)) {
        Some(0) => rows.push(format!("reads and writes go to {}", list[0])),
        Some(i) => rows.push(format!("{} is down: reads go to {}", list[0], list[i])),
        None if !pref.is_empty() => rows.push("unavailable: all replicas down".to_string()),
        None => {}
    }
    if let Some(stored) = c.owners.get(key) {
        if *stored != pref {
            let s: Vec<String> = stored.iter().map(|&n| nm(n)).collect();
            rows.push(format!("still stored on {} (moving)", s.join(", ")));
        }
    }
    let title = if pinned {
        format!("{key} (pinned: Esc lets go)")
    } else {
        key.to_string()
    };
    let button_y = 182.0 + 28.0 * rows.len() as f64 - 8.0;
    let remove = on_remove.map(|cb| {
        let onclick = {
            let cb = cb.clone();
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                cb.emit(())
            })
        };
        let onkeydown = Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                cb.emit(());
            }
        });
        html! {
            <g class="probe-remove" role="button" tabindex="0" {onclick} {onkeydown}
                aria-label={format!("Remove {key} from the key set")}>
                <title>{ format!("coord removes {key}; each of its owners deletes its copy (no other key moves)") }</title>
                <rect x="12" y={f(button_y)} width="210" height="38" rx="6" />
                <text x="117" y={f(button_y + 26.0)} text-anchor="middle">{ "Remove this key" }</text>
            </g>
        }
    });
    html! {
        <g class="probe" aria-live="polite">
            <line class="hash-mark" x1={f(rx0)} y1={f(ry0)} x2={f(rx1)} y2={f(ry1)} />
            { for lines }
            <circle class="spot" cx={f(kx)} cy={f(ky)} r="9" />
            <g class="probe-card">
                <text class="probe-key" x="12" y="150">{ title }</text>
                { for rows.iter().enumerate().map(|(i, t)| html! {
                    <text x="12" y={f(182.0 + 28.0 * i as f64)}>{ t.clone() }</text>
                }) }
            </g>
            { for remove }
        </g>
    }
}

/// A small still drawing for the home page: a ring of four owners' arcs, ticks and keys.
pub fn preview() -> Html {
    let bounds = [0.0, 0.21, 0.38, 0.66, 0.83, 1.0];
    let owners = [0usize, 1, 2, 1, 3];
    let arcs = bounds.windows(2).zip(owners).map(|(w, o)| {
        let mut d = String::new();
        push_arc(&mut d, w[0] * TAU, w[1] * TAU, R_BAND);
        let mut t = String::new();
        push_radial(&mut t, w[1] * TAU, R_RING - 6.0, R_RING + 16.0);
        html! {
            <g class={format!("c{o}")}>
                <path class="arc" d={d} />
                <path class="tick" d={t} />
            </g>
        }
    });
    let dots = (0..28u32).map(|i| {
        let a = (f64::from(i) * 0.618_034).fract();
        let o = bounds.windows(2).position(|w| a <= w[1]).unwrap_or(0);
        let (x, y) = polar(a * TAU, 120.0 + f64::from(i % 3) * 16.0);
        html! { <path class={format!("key c{}", owners[o])} d={format!("M{x:.1} {y:.1}h0")} /> }
    });
    html! {
        <svg class="preview hashring-preview" viewBox="415 75 450 450" role="img" aria-label="A hash ring: arcs owned by four nodes, and keys">
            <circle class="ring-line" cx={f(CX)} cy={f(CY)} r={f(R_RING)} />
            { for arcs }
            { for dots }
        </svg>
    }
}

// ---------------------------------------------------------------------------------------
// The side panel

/// What the panel shows, read from the coordinator.
#[derive(Clone, PartialEq, Default)]
struct PanelData {
    names: Vec<String>,
    coord: String,
    members: Vec<(u32, u32)>,
    spares: Vec<u32>,
    load: Vec<(u32, u32)>,
    mean: f64,
    std_dev: f64,
    max_over_mean: f64,
    keys: u32,
    vnodes: u32,
    replicas: u32,
    op: String,
    moved_keys: u32,
    mod_n_moved: u32,
    /// The last operation changed the number of nodes (so `mod N` has a number).
    count_changed: bool,
    migrating: bool,
    queued: usize,
    /// Nodes that left the ring and have not yet deleted their old copies.
    cleaning: Vec<u32>,
}

fn panel_data(l: &Loaded<Hashring>) -> Option<PanelData> {
    let sim = l.timeline.sim();
    let c = coord_of(l)?;
    let p = sim.proto();
    let names = sim.names().to_vec();
    let k = p.physical();
    let nm = |n: NodeId| names.get(n.index()).cloned().unwrap_or_default();
    let (op, count_changed) = match &c.stats.op {
        Op::Initial => ("initial placement".to_string(), false),
        Op::AddNode { node, weight } => (format!("add {} (weight {weight})", nm(*node)), true),
        Op::RemoveNode { node } => (format!("remove {}", nm(*node)), true),
        Op::SetVnodes { from, to } => (format!("virtual nodes {from} → {to}"), false),
        Op::AddKeys { count } => (format!("add {count} keys"), false),
        Op::RemoveKey { key } => (format!("remove {key}"), false),
        Op::RemoveKeys { count } => (
            format!(
                "remove {count} random key{}",
                if *count == 1 { "" } else { "s" }
            ),
            false,
        ),
    };
    Some(PanelData {
        coord: nm(p.coord()),
        members: c.members.iter().map(|(n, w)| (n.0, *w)).collect(),
        spares: (0..k)
            .filter(|i| !c.members.contains_key(&NodeId(*i)))
            .filter(|i| !c.cleanup.iter().any(|(_, t)| t.node.0 == *i))
            .collect(),
        cleaning: c.cleanup.iter().map(|(_, t)| t.node.0).collect(),
        load: c.stats.load.iter().map(|(n, l)| (n.0, *l)).collect(),
        mean: c.stats.mean,
        std_dev: c.stats.std_dev,
        max_over_mean: c.stats.max_over_mean,
        keys: c.keys.len() as u32,
        vnodes: c.vnodes,
        replicas: l.scenario.params.replicas,
        op,
        moved_keys: c.stats.moved_keys,
        mod_n_moved: c.stats.mod_n_moved,
        count_changed,
        migrating: !c.tasks.is_empty(),
        queued: c.queue.len(),
        names,
    })
}

/// Balance (std dev / mean, max / mean) if every member had `vnodes` virtual nodes.
fn preview_balance(l: &Loaded<Hashring>, vnodes: u32) -> Option<(f64, f64)> {
    let c = coord_of(l)?;
    let total: u64 = c
        .members
        .values()
        .map(|w| u64::from(*w) * u64::from(vnodes))
        .sum();
    if total == 0 || total * (c.keys.len() as u64 + 1) > 40_000_000 {
        return None;
    }
    let ring = Ring::build(&c.members, vnodes);
    let r = l.scenario.params.replicas as usize;
    let mut load: BTreeMap<NodeId, u32> = c.members.keys().map(|&n| (n, 0)).collect();
    let mut buf = Vec::with_capacity(r);
    for k in &c.keys {
        ring.preference(hash_key(k), r, &mut buf);
        for n in &buf {
            *load.entry(*n).or_insert(0) += 1;
        }
    }
    let (mean, sd, mm) = balance(load.values().copied());
    (mean > 0.0).then(|| (sd / mean, mm))
}

fn pct(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) * 100.0 / f64::from(whole)
    }
}

fn parse_in(text: &str, lo: u32, hi: u32) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ if text.trim().is_empty() => Err(format!("enter a whole number from {lo} to {hi}")),
        _ => Err(format!(
            "`{}` is not a whole number from {lo} to {hi}",
            text.trim()
        )),
    }
}

#[function_component(HashringPanel)]
pub fn hashring_panel() -> Html {
    let store = use_stable_store();
    let fp = fingerprint(&store.session);
    let data = {
        let session = store.session.clone();
        use_memo(fp, move |_| {
            session
                .borrow()
                .as_any()
                .downcast_ref::<Loaded<Hashring>>()
                .and_then(panel_data)
        })
    };
    let vnodes_text = use_state(|| None::<String>);
    let weight_text = use_state(String::new);
    let spare_pick = use_state(|| None::<u32>);
    let keys_text = use_state(|| "100".to_string());
    let remove_text = use_state(|| "50".to_string());
    let lookup_text = use_state(|| "k0001".to_string());

    let Some(d) = (*data).clone() else {
        return html! {};
    };
    let send = |cmd: serde_json::Value| {
        let store = store.clone();
        let coord = d.coord.clone();
        move || {
            let action = json!({"command": {"node": coord, "cmd": cmd}});
            store.dispatch(Msg::Apply(action.to_string()));
        }
    };
    let nm = |i: u32| d.names.get(i as usize).cloned().unwrap_or_default();
    let text_input = |state: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            state.set(el.value());
        })
    };

    // Load chart.
    let max = d.load.iter().map(|(_, l)| *l).max().unwrap_or(0).max(1);
    let mean_pct = d.mean / f64::from(max) * 100.0;
    let bars = d.load.iter().map(|(n, l)| {
        let w = f64::from(*l) / f64::from(max) * 100.0;
        html! {
            <li class={format!("load-row c{}", *n as usize % NODE_COLOURS)} key={*n}>
                <span class="load-name">{ nm(*n) }</span>
                <span class="load-track">
                    <span class="load-bar" style={format!("width:{w:.1}%")}></span>
                    <span class="mean-line" style={format!("left:{mean_pct:.1}%")}></span>
                </span>
                <span class="load-num">{ *l }</span>
            </li>
        }
    });
    let sd_rel = if d.mean > 0.0 {
        d.std_dev / d.mean * 100.0
    } else {
        0.0
    };

    // Moved keys compared with mod N.
    let moved = {
        let cp = pct(d.moved_keys, d.keys);
        let mp = pct(d.mod_n_moved, d.keys);
        html! {
            <div class="moved">
                <p class="moved-op">{ format!("Last operation: {}", d.op) }</p>
                <div class="moved-row">
                    <span class="moved-name">{ "ring" }</span>
                    <span class="moved-track"><span class="moved-bar ring" style={format!("width:{cp:.1}%")}></span></span>
                    <span class="moved-num">{ format!("{} ({cp:.0}%)", d.moved_keys) }</span>
                </div>
                if d.count_changed {
                    <div class="moved-row">
                        <span class="moved-name">{ "mod N" }</span>
                        <span class="moved-track"><span class="moved-bar modn" style={format!("width:{mp:.1}%")}></span></span>
                        <span class="moved-num">{ format!("{} ({mp:.0}%)", d.mod_n_moved) }</span>
                    </div>
                    <p class="moved-text">{ format!("moved: {} key{} ({cp:.0}%) — hash mod N would move {} ({mp:.0}%)",
                        d.moved_keys, if d.moved_keys == 1 { "" } else { "s" }, d.mod_n_moved) }</p>
                } else {
                    <p class="moved-text">{ format!("moved: {} key{} ({cp:.0}%); hash mod N is compared when a node joins or leaves",
                        d.moved_keys, if d.moved_keys == 1 { "" } else { "s" }) }</p>
                }
                if d.migrating {
                    <p class="moved-text busy">{ "Migration in progress: keys are on their way (ringed on the ring)." }</p>
                }
                if d.queued > 0 {
                    <p class="moved-text">{ format!("{} operation{} waiting for it to finish", d.queued, if d.queued == 1 { "" } else { "s" }) }</p>
                }
            </div>
        }
    };

    // Virtual nodes.
    let vtext = (*vnodes_text)
        .clone()
        .unwrap_or_else(|| d.vnodes.to_string());
    let vparsed = parse_in(&vtext, 1, 500);
    let preview = match &vparsed {
        Ok(v) if *v != d.vnodes => {
            let s = store.session.borrow();
            s.as_any()
                .downcast_ref::<Loaded<Hashring>>()
                .and_then(|l| preview_balance(l, *v))
                .map(|(sd, mm)| {
                    format!(
                        "with {v}: std dev {:.0}% of mean, max/mean {mm:.2} (now {sd_rel:.0}%, {:.2})",
                        sd * 100.0,
                        d.max_over_mean
                    )
                })
        }
        _ => None,
    };
    let on_vslide = {
        let vnodes_text = vnodes_text.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            vnodes_text.set(Some(el.value()));
        })
    };
    let on_vnum = {
        let vnodes_text = vnodes_text.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            vnodes_text.set(Some(el.value()));
        })
    };
    let on_vset = {
        let go = vparsed
            .clone()
            .ok()
            .map(|v| send(json!({"set_vnodes": {"count": v}})));
        let vnodes_text = vnodes_text.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(go) = &go {
                go();
                vnodes_text.set(None);
            }
        })
    };
    let slider_val = vparsed.clone().unwrap_or(d.vnodes).min(200);

    // Add node.
    let spare = spare_pick
        .filter(|s| d.spares.contains(s))
        .or_else(|| d.spares.first().copied());
    let weight = if weight_text.trim().is_empty() {
        Ok(None)
    } else {
        parse_in(&weight_text, 1, 8).map(Some)
    };
    let on_spare = {
        let spare_pick = spare_pick.clone();
        let spares = d.spares.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            spare_pick.set(spares.get(el.selected_index().max(0) as usize).copied());
        })
    };
    let on_add_node = {
        let go = match (spare, &weight) {
            (Some(n), Ok(w)) => {
                let mut cmd = json!({"node": nm(n)});
                if let Some(w) = w {
                    cmd["weight"] = json!(w);
                }
                Some(send(json!({ "add_node": cmd })))
            }
            _ => None,
        };
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(go) = &go {
                go();
            }
        })
    };

    // Add keys.
    let room = MAX_KEYS.saturating_sub(d.keys);
    let kparsed = if room == 0 {
        Err(format!("the key set is full ({MAX_KEYS} keys)"))
    } else {
        parse_in(&keys_text, 1, room)
    };
    let on_add_keys = {
        let go = kparsed
            .clone()
            .ok()
            .map(|n| send(json!({"add_keys": {"count": n}})));
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(go) = &go {
                go();
            }
        })
    };

    // Remove random keys.
    let rparsed = if d.keys == 0 {
        Err("there are no keys to remove".to_string())
    } else {
        parse_in(&remove_text, 1, d.keys)
    };
    let on_remove_keys = {
        let go = rparsed
            .clone()
            .ok()
            .map(|n| send(json!({"remove_keys": {"count": n}})));
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(go) = &go {
                go();
            }
        })
    };

    // Look up.
    let key = lookup_text.trim().to_string();
    let key_ok = !key.is_empty() && key.chars().count() <= 40;
    let where_is = if key_ok {
        let s = store.session.borrow();
        s.as_any()
            .downcast_ref::<Loaded<Hashring>>()
            .and_then(coord_of)
            .map(|c| {
                let h = hash_key(&key);
                let mut buf = Vec::new();
                c.ring.preference(h, d.replicas as usize, &mut buf);
                let list: Vec<String> = buf.iter().map(|n| nm(n.0)).collect();
                format!(
                    "{key} hashes to {:.1}° on the ring{}; preference list: {}",
                    angle(h).to_degrees(),
                    if c.keys.contains(&key) {
                        ""
                    } else {
                        " (not in the key set)"
                    },
                    if list.is_empty() {
                        "none".to_string()
                    } else {
                        list.join(", ")
                    }
                )
            })
    } else {
        None
    };
    let on_lookup = {
        let go = key_ok.then(|| send(json!({"lookup": {"key": key.clone()}})));
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(go) = &go {
                go();
            }
        })
    };

    // The selected node.
    let selected = store
        .selected
        .filter(|&i| (i as usize) < d.names.len() && d.names[i as usize] != d.coord);
    let node_actions = selected.map(|i| {
        let name = nm(i);
        let member = d.members.iter().any(|(n, _)| *n == i);
        let status = store.session.borrow().status(i).unwrap_or(NodeStatus::Up);
        let down = matches!(status, NodeStatus::Crashed { .. });
        let cleaning = d.cleaning.contains(&i);
        let mut why_not: Option<String> = None;
        let ring_btn = if member {
            let go = send(json!({"remove_node": {"node": name}}));
            let enough = d.members.len() as u32 > d.replicas;
            let title = if !enough {
                format!("each key needs {} distinct nodes: the ring cannot lose one more", d.replicas)
            } else if down && d.replicas == 1 {
                format!("{name} is down and holds the only copy of its keys (R = 1): restart it first, so that it can hand them over")
            } else if down {
                format!("coord recomputes the ring without {name}; the other replicas of its keys copy them to the new owners, so {name} being down does not hold the migration up")
            } else {
                format!("coord recomputes the ring without {name}; its keys move to the next nodes clockwise")
            };
            let can = enough && !(down && d.replicas == 1);
            if !can {
                why_not = Some(title.clone());
            }
            html! {
                <button type="button" class="primary" disabled={!can} title={title}
                    onclick={Callback::from(move |_: MouseEvent| go())}>{ format!("Remove {name} from the ring") }</button>
            }
        } else if cleaning {
            let title = format!("{name} left the ring and has not yet confirmed it deleted its old copies (it is down or unreachable): it can rejoin once it has");
            why_not = Some(title.clone());
            html! {
                <button type="button" class="primary" disabled=true title={title}>{ format!("Add {name} to the ring") }</button>
            }
        } else {
            let go = send(json!({"add_node": {"node": name}}));
            html! {
                <button type="button" class="primary"
                    title={format!("coord adds {name}'s virtual nodes; only keys now closest to them move")}
                    onclick={Callback::from(move |_: MouseEvent| go())}>{ format!("Add {name} to the ring") }</button>
            }
        };
        let (verb, key) = match status {
            NodeStatus::Crashed { .. } => ("Restart", "restart"),
            _ => ("Crash", "crash"),
        };
        let fault = {
            let store = store.clone();
            let action = json!({ key: { "node": name } }).to_string();
            Callback::from(move |_: MouseEvent| store.dispatch(Msg::Apply(action.clone())))
        };
        html! {
            <div class="hr-selected">
                <p>{ format!("{name}: {}", if member {
                    let l = d.load.iter().find(|(n, _)| *n == i).map_or(0, |(_, l)| *l);
                    format!("in the ring, {l} key{}", if l == 1 { "" } else { "s" })
                } else { "spare, not in the ring".to_string() }) }</p>
                { ring_btn }
                <button type="button" class={if key == "crash" { "fault" } else { "heal" }} onclick={fault}
                    title={format!("{verb} {name} now (its keys stay on disk)")}>{ format!("{verb} {name}") }</button>
                if let Some(w) = why_not {
                    <p class="hint">{ w }</p>
                }
            </div>
        }
    });

    html! {
        <section class="panel hr-panel" aria-label="Consistent hashing">
            <h2>{ "Ring" }</h2>
            { for node_actions }
            <h3>{ "Keys per node" }</h3>
            <ul class="load-chart" aria-label="Keys per node">{ for bars }</ul>
            <p class="load-stats">{ format!("mean {:.1} (dashed line) · std dev {:.1} ({sd_rel:.0}% of mean) · max/mean {:.2}",
                d.mean, d.std_dev, d.max_over_mean) }</p>
            if d.replicas > 1 {
                <p class="muted">{ format!("each key counts on its {} replicas", d.replicas) }</p>
            }
            <h3>{ "Keys moved" }</h3>
            { moved }
            <h3>{ "Commands to coord" }</h3>
            <form class="command-form" onsubmit={on_vset}>
                <label>{ "Virtual nodes per node" }
                    <input type="range" min="1" max="200" value={slider_val.to_string()} oninput={on_vslide}
                        aria-label="Virtual nodes per node (slider)"
                        title="Virtual nodes per unit of weight, 1 to 200 here (the box goes to 500): the balance preview below changes as you drag; Set applies it" />
                </label>
                <label>{ "count" }
                    <input type="number" min="1" max="500" value={vtext.clone()} oninput={on_vnum}
                        aria-label="Virtual nodes per node" aria-invalid={vparsed.is_err().to_string()}
                        title="Virtual nodes per unit of weight, 1 to 500" />
                </label>
                <button type="submit" disabled={vparsed.as_ref().map_or(true, |v| *v == d.vnodes)}
                    title="coord rebuilds the ring with this many virtual nodes per node; keys whose first virtual node clockwise changes move">
                    { match &vparsed { Ok(v) => format!("Set {v} per node"), Err(_) => "Set".to_string() } }
                </button>
                if let Err(e) = &vparsed {
                    <p class="form-error">{ format!("Virtual nodes: {e}.") }</p>
                } else if let Some(p) = preview {
                    <p class="hint">{ p }</p>
                }
            </form>
            <form class="command-form" onsubmit={on_add_node}>
                <label>{ "Spare node" }
                    <select onchange={on_spare} aria-label="Spare node to add" disabled={d.spares.is_empty()}
                        title="A node outside the ring that can join it">
                        { for d.spares.iter().map(|&s| html! { <option selected={Some(s) == spare}>{ nm(s) }</option> }) }
                    </select>
                </label>
                <label>{ "weight" }
                    <input type="text" inputmode="numeric" size="3" placeholder="1–8" value={(*weight_text).clone()}
                        oninput={text_input(weight_text.clone())} aria-label="Weight of the node"
                        title="Weight 1 to 8 (empty: the node's weight from the parameters): a node of weight w gets w times the virtual nodes, so about w times the keys"
                        aria-invalid={weight.is_err().to_string()} />
                </label>
                <button type="submit" disabled={spare.is_none() || weight.is_err()}
                    title="coord adds the node's virtual nodes to the ring; only the keys now first reaching one of them move, all onto the new node">
                    { spare.map_or("Add node".to_string(), |s| format!("Add {}", nm(s))) }
                </button>
                if d.spares.is_empty() {
                    <p class="hint">{ "No spare node left: remove one from the ring first." }</p>
                }
                if let Err(e) = &weight {
                    <p class="form-error">{ format!("Weight: {e}.") }</p>
                }
            </form>
            <form class="command-form" onsubmit={on_add_keys}>
                <label>{ "Keys" }
                    <input type="text" inputmode="numeric" size="6" value={(*keys_text).clone()}
                        oninput={text_input(keys_text.clone())} aria-label="Number of keys to add"
                        title={format!("How many new keys to create, numbered after the last one (1 to {room})")}
                        aria-invalid={kparsed.is_err().to_string()} />
                </label>
                <button type="submit" disabled={kparsed.is_err()}
                    title="coord creates the keys and tells each key's owners to store it">
                    { match &kparsed { Ok(n) => format!("Add {n} key{}", if *n == 1 { "" } else { "s" }), Err(_) => "Add keys".to_string() } }
                </button>
                if let Err(e) = &kparsed {
                    <p class="form-error">{ format!("Keys: {e}.") }</p>
                }
            </form>
            <form class="command-form" onsubmit={on_remove_keys}>
                <label>{ "Random keys" }
                    <input type="text" inputmode="numeric" size="6" value={(*remove_text).clone()}
                        oninput={text_input(remove_text.clone())} aria-label="Number of random keys to remove"
                        title={format!("How many keys to remove, chosen at random with the run's seed (1 to {})", d.keys)}
                        aria-invalid={rparsed.is_err().to_string()} />
                </label>
                <button type="submit" disabled={rparsed.is_err()}
                    title="coord removes that many keys chosen at random; each owner deletes its copies (no other key moves)">
                    { match &rparsed { Ok(n) => format!("Remove {n} random key{}", if *n == 1 { "" } else { "s" }), Err(_) => "Remove keys".to_string() } }
                </button>
                if let Err(e) = &rparsed {
                    <p class="form-error">{ format!("Remove: {e}.") }</p>
                }
            </form>
            <form class="command-form" onsubmit={on_lookup}>
                <label>{ "Key" }
                    <input type="text" size="10" maxlength="40" value={(*lookup_text).clone()}
                        oninput={text_input(lookup_text.clone())} aria-label="Key to look up"
                        title="A key name, 1 to 40 characters (keys are named k0001, k0002, ...)"
                        aria-invalid={(!key_ok).to_string()} />
                </label>
                <button type="submit" disabled={!key_ok}
                    title="coord hashes the key and asks the first node of its preference list; if it does not answer, the next one">{ if key_ok { format!("Look up {key}") } else { "Look up".to_string() } }</button>
                if !key_ok {
                    <p class="form-error">{ "A key is 1 to 40 characters long." }</p>
                } else if let Some(w) = where_is {
                    <p class="hint">{ w }</p>
                }
            </form>
        </section>
    }
}
