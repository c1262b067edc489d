//! The cluster drawing every message-passing page uses: nodes at given positions, cut
//! links, and the messages travelling between them at the displayed time.

use super::{unique_keys, use_clock, use_shell, Shell};
use crate::store::ShellMsg;
use dsplay_core::session::MsgView;
use dsplay_core::trace::Fate;
use dsplay_core::NodeStatus;
use yew::prelude::*;

/// Radius of a node's circle in SVG units.
pub const NODE_R: f64 = 36.0;
/// Okabe-Ito colours for node identities (colour-blind safe), as CSS variables.
pub const NODE_COLOURS: usize = 7;

/// A colour index for a message label, stable across pages.
pub fn label_colour(label: &str) -> usize {
    let h = label
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (h as usize) % NODE_COLOURS
}

#[derive(Properties, PartialEq, Clone)]
pub struct ClusterProps {
    /// Centre of each node, in the 1000 x 640 view box.
    pub positions: Vec<(f64, f64)>,
    /// One short line under each node (e.g. "3 delivered").
    #[prop_or_default]
    pub details: Vec<String>,
}

#[function_component(ClusterView)]
pub fn cluster_view(props: &ClusterProps) -> Html {
    let store = use_shell();
    let s = store.session.borrow();
    let names = s.names().to_vec();
    let pos = &props.positions;
    let t = use_clock().shown;
    let actor = s.last_actor();
    let at = |i: u32| pos.get(i as usize).copied().unwrap_or((0.0, 0.0));

    let links = s.cut_links();
    let keys = unique_keys(links.iter().map(|(a, b)| format!("cut-{a}-{b}")));
    let cuts = links.into_iter().zip(keys).map(|((a, b), key)| {
        let (x1, y1) = at(a);
        let (x2, y2) = at(b);
        let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
        html! {
            <g class="cut" {key}>
                <line x1={f(x1)} y1={f(y1)} x2={f(x2)} y2={f(y2)} />
                <text x={f(mx)} y={f(my + 7.0)} text-anchor="middle" class="cut-mark">{ "✕" }</text>
            </g>
        }
    });

    let nodes = names.iter().enumerate().map(|(i, name)| {
        let i = i as u32;
        let (x, y) = at(i);
        let status = s.status(i).unwrap_or(NodeStatus::Up);
        let mut class = classes!("node", format!("c{}", i as usize % NODE_COLOURS));
        let badge = status_badge(status, &mut class);
        if actor == Some(i) {
            class.push("acted");
        }
        if store.selected == Some(i) {
            class.push("selected");
        }
        let (onclick, onkeydown) = node_select_handlers(&store, i);
        let detail = props.details.get(i as usize).cloned().unwrap_or_default();
        // What is drawn, in order (label in name): the name, then the badge or the detail.
        let label = match (badge, detail.is_empty()) {
            (Some(b), _) => format!("{name}, {b}"),
            (None, false) => format!("{name}, {}", spoken(&detail)),
            (None, true) => name.clone(),
        };
        html! {
            <g {class} key={name.clone()} {onclick} {onkeydown} tabindex="0" role="button"
                aria-label={label} aria-pressed={(store.selected == Some(i)).to_string()}>
                <circle class="halo" cx={f(x)} cy={f(y)} r={f(NODE_R + 9.0)} />
                <circle class="body" cx={f(x)} cy={f(y)} r={f(NODE_R)} />
                <text class={classes!("name", (name.len() > 3).then_some("long"))} x={f(x)} y={f(y + 8.0)} text-anchor="middle">{ name.clone() }</text>
                { status_marks(status, (x, y), 24.0, (x + 22.0, y - 44.0)) }
                if let Some(b) = badge {
                    <text class="badge" x={f(x)} y={f(y + NODE_R + 24.0)} text-anchor="middle">{ b }</text>
                } else if !detail.is_empty() {
                    <text class="detail" x={f(x)} y={f(y + NODE_R + 24.0)} text-anchor="middle">{ dotted(&detail) }</text>
                }
            </g>
        }
    });

    let msgs: Vec<MsgView> = s.in_flight();
    // Messages sent by the step just taken are ringed.
    let just_sent = s.pos().checked_sub(1);
    let dots = msgs.iter().filter_map(|m| {
        let fl = Flight::of(m, at(m.from), at(m.to), t)?;
        let (px, py) = (f(fl.at.0), f(fl.at.1));
        let colour = format!("m{}", label_colour(m.label));
        let fresh = Some(m.sent_step) == just_sent;
        let class = classes!(
            "msg",
            colour,
            fl.lost.then_some("lost"),
            m.duplicate.then_some("dup"),
            fresh.then_some("fresh"),
            (store.selected_msg == Some(m.id)).then_some("selected")
        );
        let onclick = select_message(&store, m.id);
        let (lx, ly) = fl.label_at(22.0, 6.0);
        Some(html! {
            <g {class} key={format!("m{}", m.id)} {onclick}>
                <title>{ message_title(m, &names) }</title>
                <path class="trail" d={fl.path.partial_d(fl.frac)} />
                // A larger invisible target: the dot itself is small on screen.
                <circle class="hit" cx={px.clone()} cy={py.clone()} r="18" />
                <circle cx={px.clone()} cy={py} r="11" />
                // The label sits beside the dot, on the outer side of the curve, once the
                // message has left its sender (so it does not cover the node's name).
                if fl.frac > 0.12 || fl.lost {
                    <text class="msg-label" x={lx} y={ly} text-anchor="middle">{ m.label }</text>
                }
                if fl.lost && fl.frac > 0.4 {
                    <text class="lost-mark" x={px} y={f(fl.at.1 + 8.0)} text-anchor="middle">{ "✕" }</text>
                }
            </g>
        })
    });

    html! {
        <svg class="cluster" viewBox="0 0 1000 640" role="group" data-view=""
            aria-label={format!("{} nodes and {} messages in flight", names.len(), msgs.len())}>
            <g class="cuts">{ for cuts }</g>
            <g class="nodes">{ for nodes }</g>
            <g class="msgs">{ for dots }</g>
        </svg>
    }
}

/// The curved path a message takes from rim to rim: a quadratic curve bowed to the left of
/// the direction of travel, so messages in opposite directions use different lanes and a
/// message between two nodes does not run through a node in the middle.
#[derive(Clone, Copy, Debug)]
pub struct Arc {
    start: (f64, f64),
    ctrl: (f64, f64),
    end: (f64, f64),
}

impl Arc {
    pub fn between((x1, y1): (f64, f64), (x2, y2): (f64, f64)) -> Arc {
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        // Left normal, bow of 15% of the distance.
        let (nx, ny) = (uy, -ux);
        let bow = 0.15 * len;
        let ctrl = ((x1 + x2) / 2.0 + nx * bow, (y1 + y2) / 2.0 + ny * bow);
        // Start and end on the rims, towards the control point.
        let rim = |(px, py): (f64, f64)| {
            let (cx, cy) = (ctrl.0 - px, ctrl.1 - py);
            let l = (cx * cx + cy * cy).sqrt().max(1.0);
            (px + cx / l * NODE_R, py + cy / l * NODE_R)
        };
        Arc {
            start: rim((x1, y1)),
            ctrl,
            end: rim((x2, y2)),
        }
    }

    /// Unit vector to the outer side of the curve.
    pub fn normal(&self) -> (f64, f64) {
        let (mx, my) = (
            (self.start.0 + self.end.0) / 2.0,
            (self.start.1 + self.end.1) / 2.0,
        );
        let (dx, dy) = (self.ctrl.0 - mx, self.ctrl.1 - my);
        let l = (dx * dx + dy * dy).sqrt().max(1e-9);
        (dx / l, dy / l)
    }

    /// The point at fraction `t` of the way.
    pub fn at(&self, t: f64) -> (f64, f64) {
        let u = 1.0 - t;
        (
            u * u * self.start.0 + 2.0 * u * t * self.ctrl.0 + t * t * self.end.0,
            u * u * self.start.1 + 2.0 * u * t * self.ctrl.1 + t * t * self.end.1,
        )
    }

    /// SVG path data for the part of the curve from the start to fraction `t`.
    pub fn partial_d(&self, t: f64) -> String {
        // De Casteljau: the sub-curve [0, t] has control point lerp(start, ctrl, t).
        let c = (
            self.start.0 + (self.ctrl.0 - self.start.0) * t,
            self.start.1 + (self.ctrl.1 - self.start.1) * t,
        );
        let e = self.at(t);
        format!(
            "M{} {} Q{} {} {} {}",
            f(self.start.0),
            f(self.start.1),
            f(c.0),
            f(c.1),
            f(e.0),
            f(e.1)
        )
    }
}

/// A message on its way at the displayed time: its path, how far along it is and whether
/// it will be lost (a lost message fades out past 60% of the way).
#[derive(Clone, Copy, Debug)]
pub struct Flight {
    pub path: Arc,
    /// Fraction of the way travelled, 0 to 1.
    pub frac: f64,
    pub lost: bool,
    /// Where the message is drawn.
    pub at: (f64, f64),
}

impl Flight {
    /// Where `m` is at time `t` between the points `from` and `to`; `None` once a lost
    /// message has faded out.
    pub fn of(m: &MsgView, from: (f64, f64), to: (f64, f64), t: f64) -> Option<Flight> {
        let span = (m.deliver_at.saturating_sub(m.sent_at)).max(1) as f64;
        let frac = ((t - m.sent_at as f64) / span).clamp(0.0, 1.0);
        let lost = matches!(m.fate, Fate::Dropped { .. });
        if lost && frac > 0.6 {
            return None;
        }
        let path = Arc::between(from, to);
        Some(Flight {
            path,
            frac,
            lost,
            at: path.at(frac),
        })
    }

    /// Where a label sits `gap` units beside the message, on the outer side of its curve
    /// (`drop` moves it down to centre text on the point).
    pub fn label_at(&self, gap: f64, drop: f64) -> (String, String) {
        let (dx, dy) = self.label_offset(gap, drop);
        (f(self.at.0 + dx), f(self.at.1 + dy))
    }

    /// [`Flight::label_at`] from the message's own position.
    pub fn label_offset(&self, gap: f64, drop: f64) -> (f64, f64) {
        let (nx, ny) = self.path.normal();
        (nx * gap, ny * gap + drop)
    }
}

/// How a page draws one kind of message in flight.
pub struct MsgLook {
    /// The page's class for its messages ("rmsg").
    pub page: &'static str,
    /// The kind's class (its colour).
    pub kind: &'static str,
    pub shape: Shape,
    pub label: &'static str,
    /// A reply that grants (✓) or refuses (✗): the answer is not told by colour alone.
    pub verdict: Option<bool>,
    /// Whether its label is shown (a crowded view labels only some).
    pub labelled: bool,
}

/// A message in flight at time `t` between the points `from` and `to`: its trail, and its
/// shape, verdict and label drawn around (0, 0) and moved by one transform, so that a frame
/// writes two attributes per message (where it is, and its trail) rather than every
/// shape's coordinates. `fresh`: sent by the step just taken. `None` once a lost message
/// has faded out.
#[allow(clippy::too_many_arguments)]
pub fn flying_message(
    m: &MsgView,
    from: (f64, f64),
    to: (f64, f64),
    t: f64,
    names: &[String],
    shell: &Shell,
    fresh: bool,
    look: MsgLook,
) -> Option<Html> {
    let fl = Flight::of(m, from, to, t)?;
    let (px, py) = fl.at;
    let class = classes!(
        "msg",
        look.page,
        look.kind,
        fl.lost.then_some("lost"),
        m.duplicate.then_some("dup"),
        fresh.then_some("fresh"),
        (shell.selected_msg == Some(m.id)).then_some("selected")
    );
    let onclick = select_message(shell, m.id);
    // Granted or refused, inside the shape (a lost message shows its ✕ there instead).
    let verdict = look.verdict.filter(|_| !(fl.lost && fl.frac > 0.4)).map(|ok| {
        let dy = if look.shape == Shape::Triangle { "7" } else { "5" };
        html! {
            <text class="verdict" y={dy} text-anchor="middle">{ if ok { "✓" } else { "✗" } }</text>
        }
    });
    let (lx, ly) = fl.label_offset(24.0, 6.0);
    Some(html! {
        <g {class} key={format!("m{}", m.id)} {onclick}>
            <title>{ message_title(m, names) }</title>
            <path class="trail" d={fl.path.partial_d(fl.frac)} />
            <g transform={format!("translate({} {})", f(px), f(py))}>
                <circle class="hit" r="18" />
                { shape_html(look.shape, 0.0, 0.0, 12.0) }
                { for verdict }
                if (fl.frac > 0.15 || fl.lost) && look.labelled {
                    <text class="msg-label" x={f(lx)} y={f(ly)} text-anchor="middle">{ look.label }</text>
                }
                if fl.lost && fl.frac > 0.4 {
                    <text class="lost-mark" y="8" text-anchor="middle">{ "✕" }</text>
                }
            </g>
        </g>
    })
}

/// Messages in flight while playing, drawn in few elements: the messages that look alike
/// (kind and state) share one group, whose trails are one path and whose shapes are
/// another; only their texts (label, verdict, lost mark) are elements of their own. A
/// frame then writes a few long attributes instead of several per message, and the page
/// keeps a tenth of the elements. No tooltip and no click target per message: those are
/// drawn when playback stops ([`flying_message`]); the message selected is drawn that way
/// throughout. Each item: the message, its ends, whether it is fresh, its look.
pub fn moving_messages<'a>(
    items: impl Iterator<Item = (&'a MsgView, (f64, f64), (f64, f64), bool, MsgLook)>,
    t: f64,
    names: &[String],
    shell: &Shell,
) -> Html {
    use std::fmt::Write as _;
    struct Group {
        key: (&'static str, &'static str, u8),
        shape: Shape,
        trails: String,
        shapes: String,
        /// Each message's texts (verdict, label, lost mark), drawn around (0, 0) and moved
        /// by one transform: one attribute to write per message and frame.
        texts: Vec<Html>,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut alone: Vec<Html> = Vec::new();
    for (m, from, to, fresh, look) in items {
        if shell.selected_msg == Some(m.id) {
            alone.extend(flying_message(m, from, to, t, names, shell, fresh, look));
            continue;
        }
        let Some(fl) = Flight::of(m, from, to, t) else {
            continue;
        };
        let flags = u8::from(fl.lost) | u8::from(m.duplicate) << 1 | u8::from(fresh) << 2;
        let key = (look.page, look.kind, flags);
        // Kept in order (a keyed group that moves is written again): found or put in place.
        let i = match groups.binary_search_by_key(&key, |g| g.key) {
            Ok(i) => i,
            Err(i) => {
                groups.insert(
                    i,
                    Group {
                        key,
                        shape: look.shape,
                        trails: String::new(),
                        shapes: String::new(),
                        texts: Vec::new(),
                    },
                );
                i
            }
        };
        let g = &mut groups[i];
        g.trails.push_str(&fl.path.partial_d(fl.frac));
        let (px, py) = fl.at;
        shape_d(&mut g.shapes, look.shape, px, py, 12.0);
        let verdict = look.verdict.filter(|_| !(fl.lost && fl.frac > 0.4));
        let labelled = (fl.frac > 0.15 || fl.lost) && look.labelled;
        let cross = fl.lost && fl.frac > 0.4;
        if verdict.is_some() || labelled || cross {
            let dy = if look.shape == Shape::Triangle {
                "7"
            } else {
                "5"
            };
            let (lx, ly) = fl.label_offset(24.0, 6.0);
            g.texts.push(html! {
                <g key={m.id} transform={format!("translate({} {})", f(px), f(py))}>
                    if let Some(ok) = verdict {
                        <text class="verdict" y={dy} text-anchor="middle">{ if ok { "✓" } else { "✗" } }</text>
                    }
                    if labelled {
                        <text class="msg-label" x={f(lx)} y={f(ly)} text-anchor="middle">{ look.label }</text>
                    }
                    if cross {
                        <text class="lost-mark" y="8" text-anchor="middle">{ "✕" }</text>
                    }
                </g>
            });
        }
    }
    let drawn = groups.into_iter().map(|g| {
        let (page, kind, flags) = g.key;
        let mut class = String::with_capacity(40);
        let _ = write!(class, "msg {page} {kind}");
        for (bit, word) in [(1, " lost"), (2, " dup"), (4, " fresh")] {
            if flags & bit != 0 {
                class.push_str(word);
            }
        }
        let key = class.clone();
        let shape = if g.shape == Shape::Circle {
            "shape round"
        } else {
            "shape"
        };
        html! {
            <g {class} {key}>
                <path class="trail" d={g.trails} />
                <path class={shape} d={g.shapes} />
                // Keyed by message, apart from the paths: a message keeps its texts.
                <g>{ for g.texts }</g>
            </g>
        }
    });
    html! { <>{ for drawn }{ for alone }</> }
}

/// Appends the outline of `shape` centred on (x, y), `r` about its radius, as path data:
/// the same outline as [`shape_html`] draws.
fn shape_d(d: &mut String, shape: Shape, x: f64, y: f64, r: f64) {
    use dsplay_core::decimal::fixed;
    use std::fmt::Write as _;
    let v = |x: f64| fixed(x, 1);
    let poly = |d: &mut String, pts: &[(f64, f64)]| {
        for (k, (px, py)) in pts.iter().enumerate() {
            let _ = write!(
                d,
                "{}{} {}",
                if k == 0 { "M" } else { "L" },
                v(x + px * r),
                v(y + py * r)
            );
        }
        d.push('Z');
    };
    let _ = match shape {
        Shape::Circle => {
            let c = r * 0.85;
            write!(
                d,
                "M{} {}a{c} {c} 0 1 0 {} 0a{c} {c} 0 1 0 {} 0Z",
                v(x - c),
                v(y),
                v(2.0 * c),
                v(-2.0 * c),
                c = v(c)
            )
        }
        Shape::Square => {
            // A rounded square: sides 1.6 r, corners of radius 0.15 r.
            let (h, c) = (r * 0.8, r * 0.15);
            let side = v(2.0 * (h - c));
            write!(
                d,
                "M{} {}h{side}a{c} {c} 0 0 1 {c} {c}v{side}a{c} {c} 0 0 1 -{c} {c}h-{side}a{c} {c} 0 0 1 -{c} -{c}v-{side}a{c} {c} 0 0 1 {c} -{c}Z",
                v(x - h + c),
                v(y - h),
                c = v(c),
            )
        }
        Shape::Diamond => {
            poly(d, &[(0.0, -1.05), (1.05, 0.0), (0.0, 1.05), (-1.05, 0.0)]);
            Ok(())
        }
        Shape::Triangle => {
            poly(d, &[(0.0, -1.1), (1.1, 0.8), (-1.1, 0.8)]);
            Ok(())
        }
        Shape::Hexagon => {
            poly(
                d,
                &[
                    (0.0, -1.0),
                    (0.87, -0.5),
                    (0.87, 0.5),
                    (0.0, 1.0),
                    (-0.87, 0.5),
                    (-0.87, -0.5),
                ],
            );
            Ok(())
        }
    };
}

/// The tooltip of a message: its id, what it says, who sent it to whom and when.
pub fn message_title(m: &MsgView, names: &[String]) -> String {
    let name = |i: u32| names.get(i as usize).map_or("?", |s| s.as_str());
    format!(
        "m{}: {} ({} → {}, sent t={} ms, due t={} ms){}",
        m.id,
        m.text,
        name(m.from),
        name(m.to),
        m.sent_at,
        m.deliver_at,
        if matches!(m.fate, Fate::Dropped { .. }) {
            ", lost"
        } else {
            ""
        }
    )
}

/// The class and the word a node's status adds to its drawing (`None` while it is up):
/// a crashed or paused node is marked by more than its colour.
pub fn status_badge(status: NodeStatus, class: &mut Classes) -> Option<&'static str> {
    let word = match status {
        NodeStatus::Up => return None,
        NodeStatus::Crashed { .. } => "crashed",
        NodeStatus::Paused { .. } => "paused",
    };
    class.push(word);
    Some(word)
}

/// A node's name, or `?` for an id the names do not reach.
pub fn name_of(names: &[String], n: dsplay_core::NodeId) -> &str {
    names.get(n.index()).map_or("?", |s| s.as_str())
}

/// Text drawn with ` · ` between its parts. The dots are not words: they are hidden from
/// assistive technology, so the words drawn are the words of an accessible name made with
/// [`spoken`] (WCAG 2.5.3, label in name).
pub fn dotted(text: &str) -> Html {
    let mut parts = text.split(" · ");
    let first = parts.next().unwrap_or_default().to_string();
    let rest = parts.map(|p| {
        html! { <>{ " " }<tspan aria-hidden="true">{ "·" }</tspan>{ format!(" {p}") }</> }
    });
    html! { <>{ first }{ for rest }</> }
}

/// The words of a text drawn with [`dotted`], for an accessible name: commas for the dots.
pub fn spoken(text: &str) -> String {
    text.replace(" · ", ", ")
}

/// What a node's status draws over it: a cross of half-size `cross` over a crashed node
/// centred at `centre`, two pause bars with their top left at `bars` for a paused one.
pub fn status_marks(status: NodeStatus, centre: (f64, f64), cross: f64, bars: (f64, f64)) -> Html {
    let (x, y) = centre;
    match status {
        NodeStatus::Up => html! {},
        NodeStatus::Crashed { .. } => html! {
            <path class="cross" d={format!("M{} {} L{} {} M{} {} L{} {}",
                f(x - cross), f(y - cross), f(x + cross), f(y + cross),
                f(x + cross), f(y - cross), f(x - cross), f(y + cross))} />
        },
        NodeStatus::Paused { .. } => html! {
            <g class="pause-bars">
                <rect x={f(bars.0)} y={f(bars.1)} width="7" height="22" />
                <rect x={f(bars.0 + 11.0)} y={f(bars.1)} width="7" height="22" />
            </g>
        },
    }
}

/// A node's clock in words when it is off (`clock 4× slow`, `clock 2× fast, 1000 ms
/// ahead`), from its rate and its offset from real time in ms; None for a good clock.
pub fn clock_words(rate: f64, offset: i64) -> Option<String> {
    use dsplay_core::decimal::short;
    let pace = if rate < 1.0 {
        Some(format!("{}× slow", short(1.0 / rate)))
    } else if rate > 1.0 {
        Some(format!("{}× fast", short(rate)))
    } else {
        None
    };
    let off = match offset {
        0 => None,
        o if o > 0 => Some(format!("{o} ms ahead")),
        o => Some(format!("{} ms behind", o.unsigned_abs())),
    };
    match (pace, off) {
        (None, None) => None,
        (Some(p), None) => Some(format!("clock {p}")),
        (None, Some(o)) => Some(format!("clock {o}")),
        (Some(p), Some(o)) => Some(format!("clock {p}, {o}")),
    }
}

/// SVG coordinates with one decimal.
pub fn f(x: f64) -> String {
    dsplay_core::decimal::fixed(x, 1).to_string()
}

/// Clicking a message selects it (the inspector shows it), and not what lies under it.
pub fn select_message(store: &super::Shell, id: u64) -> Callback<MouseEvent> {
    let store = store.clone();
    Callback::from(move |e: MouseEvent| {
        e.stop_propagation();
        store.dispatch(ShellMsg::SelectMessage(Some(id)))
    })
}

/// A message's outline, one per kind of message on a page (Raft: RequestVote and its reply
/// are round and pointed, AppendEntries and its reply square and triangular, a redirected
/// client request a hexagon). Together with the colour and the label, a kind is told at a
/// glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Diamond,
    Square,
    Triangle,
    Hexagon,
}

/// The outline of `shape` centred on (x, y), `r` about its radius.
pub fn shape_html(shape: Shape, x: f64, y: f64, r: f64) -> Html {
    let poly = |pts: &[(f64, f64)]| {
        let mut d = String::new();
        for (k, (px, py)) in pts.iter().enumerate() {
            d.push_str(&format!(
                "{}{} {} ",
                if k == 0 { "M" } else { "L" },
                f(x + px * r),
                f(y + py * r)
            ));
        }
        d.push('Z');
        html! { <path class="shape" d={d} /> }
    };
    match shape {
        Shape::Circle => html! { <circle class="shape" cx={f(x)} cy={f(y)} r={f(r * 0.85)} /> },
        Shape::Diamond => poly(&[(0.0, -1.05), (1.05, 0.0), (0.0, 1.05), (-1.05, 0.0)]),
        Shape::Square => html! {
            <rect class="shape" x={f(x - r * 0.8)} y={f(y - r * 0.8)} width={f(r * 1.6)} height={f(r * 1.6)} rx={f(r * 0.15)} />
        },
        Shape::Triangle => poly(&[(0.0, -1.1), (1.1, 0.8), (-1.1, 0.8)]),
        Shape::Hexagon => poly(&[
            (0.0, -1.0),
            (0.87, -0.5),
            (0.87, 0.5),
            (0.0, 1.0),
            (-0.87, 0.5),
            (-0.87, -0.5),
        ]),
    }
}

/// A boolean parameter as a checkbox named by its scenario-file key, with its meaning as
/// the tooltip (or why it cannot be changed now, when `why_not` says so: then it is
/// disabled); an unsafe teaching option is marked as such.
pub fn param_toggle(
    key: &'static str,
    on: bool,
    help: &str,
    why_not: Option<&str>,
    unsafe_option: bool,
    onchange: Callback<Event>,
) -> Html {
    let title = why_not.unwrap_or(help).to_string();
    html! {
        <label key={key} class={classes!("check", unsafe_option.then_some("unsafe-option"))} {title}>
            <input type="checkbox" checked={on} disabled={why_not.is_some()} {onchange} />
            <code>{ key }</code>
        </label>
    }
}

/// What a message kind looks like in a view: its CSS class, its shape, its short label,
/// and whether it says yes (✓) or no (✗), if it says either.
pub type KindLook = (&'static str, Shape, &'static str, Option<bool>);

/// The legend of message kinds: each kind's swatch (shape, colour and verdict, as the
/// view draws it), its short label and what it means.
pub fn kind_legend(kinds: &[(&'static str, &'static str)], look: fn(&str) -> KindLook) -> Html {
    let items = kinds.iter().map(|&(label, meaning)| {
        let (class, shape, short, verdict) = look(label);
        html! {
            <li key={label}>
                <svg class={classes!("swatch", class)} viewBox="0 0 28 28" aria-hidden="true">
                    { shape_html(shape, 14.0, 14.0, 11.0) }
                    if let Some(ok) = verdict {
                        <text class="verdict" x="14" y={if shape == Shape::Triangle { "22" } else { "19" }} text-anchor="middle">{ if ok { "✓" } else { "✗" } }</text>
                    }
                </svg>
                <strong>{ short }</strong>{ format!(" {meaning}") }
            </li>
        }
    });
    html! { <ul class="kinds">{ for items }</ul> }
}

/// A whole-number parameter of a panel's form: its name in scenario files, the range the
/// page offers (the core checks the rest), how to read and write it, and what it means.
pub type NumField<T> = (
    &'static str,
    u64,
    u64,
    fn(&T) -> u64,
    fn(&mut T, u64),
    &'static str,
);

/// The texts a parameter form shows: those typed since the last Apply, else each numeric
/// field's value, then `extra` (the fields that are not numbers).
pub fn field_texts<T>(
    typed: &Option<Vec<String>>,
    fields: &[NumField<T>],
    params: &T,
    extra: impl IntoIterator<Item = String>,
) -> Vec<String> {
    match typed {
        Some(t) => t.clone(),
        None => fields
            .iter()
            .map(|f| (f.3)(params).to_string())
            .chain(extra)
            .collect(),
    }
}

/// Set the numeric fields of `next` from the first `fields.len()` texts, or say which one
/// is out of range (nothing is set then that the caller keeps).
pub fn apply_numbers<T>(
    fields: &[NumField<T>],
    next: &mut T,
    texts: &[String],
) -> Result<(), String> {
    for ((key, lo, hi, _, set, _), text) in fields.iter().zip(texts) {
        match text.trim().parse::<u64>() {
            Ok(v) if (*lo..=*hi).contains(&v) => set(next, v),
            _ => {
                return Err(format!(
                "{key} must be a whole number from {lo} to {hi} (got `{}`); nothing was changed",
                text.trim()
            ))
            }
        }
    }
    Ok(())
}

/// The numeric fields' inputs, each with its range in the tooltip and marked invalid while
/// what is typed is out of range.
pub fn number_inputs<T>(
    fields: &[NumField<T>],
    shown: &[String],
    texts: &UseStateHandle<Option<Vec<String>>>,
) -> Html {
    let inputs = fields.iter().enumerate().map(|(k, (key, lo, hi, _, _, help))| {
        let text = shown[k].clone();
        let bad = !matches!(text.trim().parse::<u64>(), Ok(v) if (*lo..=*hi).contains(&v));
        html! {
            <label key={*key} title={format!("{help} ({lo} to {hi})")}>
                <code>{ *key }</code>
                <input type="text" inputmode="numeric" size="5" value={text} oninput={param_text_input(texts, shown, k)}
                    aria-label={*key} aria-invalid={bad.to_string()} />
            </label>
        }
    });
    html! { <>{ for inputs }</> }
}

/// A panel's parameter section: the heading and what a change does, the options
/// (checkboxes), then a form of `fields` (the numeric inputs and any text fields) with its
/// Apply, and why the last Apply was refused.
pub fn param_section(
    class: &'static str,
    options: Html,
    fields: Html,
    on_apply: Callback<SubmitEvent>,
    form_error: Option<&str>,
) -> Html {
    html! {
        <>
            <h2>{ "Parameters" }</h2>
            <p class="muted small">{ "The names are those of the scenario file. A change runs the scenario again with it: the same script and what you did, at this step." }</p>
            { options }
            <form class={class} onsubmit={on_apply}>
                { fields }
                <button type="submit" class="ctl"
                    title="Run the scenario again with these values (a value out of range is refused and nothing changes)">{ "Apply" }</button>
            </form>
            if let Some(e) = form_error {
                <p class="form-error" role="alert">{ e.to_string() }</p>
            }
        </>
    }
}

/// A panel's legend: the message kinds, then what the view's marks mean.
pub fn panel_legend(
    kinds: &[(&'static str, &'static str)],
    look: fn(&str) -> KindLook,
    marks: &'static str,
) -> Html {
    html! {
        <details class="legend" open=true>
            <summary>{ "Legend" }</summary>
            { kind_legend(kinds, look) }
            <p class="muted">{ marks }</p>
        </details>
    }
}

/// A parameter form of text fields: typing into field `k` keeps the texts as typed (the
/// run is untouched until Apply).
pub fn param_text_input(
    texts: &UseStateHandle<Option<Vec<String>>>,
    shown: &[String],
    k: usize,
) -> Callback<InputEvent> {
    let texts = texts.clone();
    let shown = shown.to_vec();
    Callback::from(move |e: InputEvent| {
        let el: web_sys::HtmlInputElement = e.target_unchecked_into();
        let mut next = shown.clone();
        next[k] = el.value();
        texts.set(Some(next));
    })
}

/// Run again with `next` when the protocol takes it; else the form says why and the run
/// stays as it was.
pub fn try_restart<P: dsplay_core::Algorithm>(
    typed: &crate::components::Typed<P>,
    form_error: &UseStateHandle<Option<String>>,
    next: P::Params,
) {
    match P::new(next.clone()) {
        Ok(_) => {
            form_error.set(None);
            typed.restart(next)
        }
        Err(e) => form_error.set(Some(format!("{e}; nothing was changed"))),
    }
}

/// A control that runs again with the parameters `change` makes of `params` (a checkbox's
/// flip), through [`try_restart`].
pub fn restart_changed<P: dsplay_core::Algorithm>(
    typed: &crate::components::Typed<P>,
    form_error: &UseStateHandle<Option<String>>,
    params: &P::Params,
    change: impl FnOnce(&mut P::Params),
) -> Callback<Event> {
    let mut changed = params.clone();
    change(&mut changed);
    let (typed, form_error) = (typed.clone(), form_error.clone());
    Callback::from(move |_: Event| try_restart(&typed, &form_error, changed.clone()))
}

/// A select that runs again with the parameters `change` makes of `params` and the chosen
/// option's value, through [`try_restart`].
pub fn restart_on_select<P: dsplay_core::Algorithm>(
    typed: &crate::components::Typed<P>,
    form_error: &UseStateHandle<Option<String>>,
    params: &P::Params,
    change: fn(&mut P::Params, &str),
) -> Callback<Event> {
    let (typed, form_error, params) = (typed.clone(), form_error.clone(), params.clone());
    Callback::from(move |e: Event| {
        let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
        let mut next = params.clone();
        change(&mut next, &el.value());
        try_restart(&typed, &form_error, next);
    })
}

/// Reads a form's texts into parameters, from the current ones; or says what is wrong.
pub type ReadParams<T> = fn(&T, &[String]) -> Result<T, String>;

/// Apply of a parameter form of text fields: `apply` reads the texts into parameters; the
/// run restarts with them, or the form shows why not and the run stays as it was.
pub fn param_form_apply<P: dsplay_core::Algorithm>(
    typed: &crate::components::Typed<P>,
    params: &P::Params,
    shown: &[String],
    texts: &UseStateHandle<Option<Vec<String>>>,
    form_error: &UseStateHandle<Option<String>>,
    apply: ReadParams<P::Params>,
) -> Callback<SubmitEvent> {
    let (typed, params, shown) = (typed.clone(), params.clone(), shown.to_vec());
    let (texts, form_error) = (texts.clone(), form_error.clone());
    Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        match apply(&params, &shown) {
            Ok(next) => {
                form_error.set(None);
                texts.set(None);
                typed.restart(next);
            }
            Err(m) => form_error.set(Some(m)),
        }
    })
}

/// What a click, Enter or Space on node `i` does: select it, or clear the selection if it
/// was selected. The key is handled here, so the page's Space (play/pause) does not act too.
pub fn node_select_handlers(
    store: &Shell,
    i: u32,
) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let toggle = if store.selected == Some(i) {
        None
    } else {
        Some(i)
    };
    let onclick = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| store.dispatch(ShellMsg::Select(toggle)))
    };
    let onkeydown = {
        let store = store.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                store.dispatch(ShellMsg::Select(toggle));
            }
        })
    };
    (onclick, onkeydown)
}
