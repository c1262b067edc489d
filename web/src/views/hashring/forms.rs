//! The side panel: the selected node (add it to the ring or remove it, crash or restart
//! it), the keys per node and the keys the last operation moved, and the commands given to
//! `coord` (virtual nodes per node with a preview of the balance, add a spare node, add or
//! remove keys, look a key up); and the card of the key pointed at on the ring, with a
//! button to remove it once it is pinned.

use super::draw::RingDrawing;
use super::geometry::{angle, polar, R_RING};
use super::{coord_of, fingerprint};
use crate::components::cluster::{f, NODE_COLOURS};
use crate::components::{use_shell, use_typed};
use dsplay_core::algo::hashring::{balance, hash_key, Cmd, Coord, Hashring, Op, Ring, MAX_KEYS};
use dsplay_core::collections::VecMap;
use dsplay_core::decimal::fixed;
use dsplay_core::session::Loaded;
use dsplay_core::{Action, NodeId, NodeStatus};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// One key pointed at: its spot ringed, its hash position on the ring, lines to the nodes
/// of its preference list (the first solid), and a card saying all of it in words.
#[allow(clippy::too_many_arguments)]
pub(super) fn probe_layer(
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
    rows.push(format!("hash {h:016x} = {}°", fixed(a.to_degrees(), 1)));
    if !c.keys.contains(key) {
        rows.push("no longer in the key set".to_string());
    }
    if let Some(v) = first {
        rows.push(format!(
            "next virtual node: {}#{} at {}°",
            nm(v.node),
            v.index,
            fixed(angle(v.pos).to_degrees(), 1)
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

// ---------------------------------------------------------------------------------------
// The side panel

/// What the panel shows, read from the coordinator.
#[derive(Clone, PartialEq)]
struct PanelData {
    names: Vec<String>,
    /// The coordinator, which every command goes to.
    coord: NodeId,
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
        coord: p.coord(),
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
    let mut load: VecMap<NodeId, u32> = c.members.keys().map(|&n| (n, 0)).collect();
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

/// A form's submit: the command when the form is valid, nothing otherwise.
fn on_submit(go: Option<impl Fn() + 'static>) -> Callback<SubmitEvent> {
    Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        if let Some(go) = &go {
            go();
        }
    })
}

/// One of the panel's commands: a text box, its button and what is wrong with the text.
struct TextCommand<'a> {
    label: &'static str,
    /// `size` of the box; numeric boxes bring up a number keyboard on phones.
    size: &'static str,
    numeric: bool,
    text: &'a UseStateHandle<String>,
    aria: &'static str,
    title: String,
    /// The button's label and its tooltip.
    button: String,
    button_title: &'static str,
    error: Option<String>,
    /// Said under the box when the text is valid.
    hint: Option<String>,
    go: Callback<SubmitEvent>,
}

/// What is typed in a box, kept in `text`.
fn set_text(text: &UseStateHandle<String>) -> Callback<InputEvent> {
    let text = text.clone();
    Callback::from(move |e: InputEvent| {
        let el: HtmlInputElement = e.target_unchecked_into();
        text.set(el.value());
    })
}

fn text_command(c: TextCommand) -> Html {
    let oninput = set_text(c.text);
    let invalid = c.error.is_some();
    html! {
        <form class="command-form" onsubmit={c.go}>
            <label>{ c.label }
                <input type="text" inputmode={c.numeric.then_some("numeric")} size={c.size}
                    maxlength={(!c.numeric).then_some("40")} value={(**c.text).clone()}
                    {oninput} aria-label={c.aria} title={c.title}
                    aria-invalid={invalid.to_string()} />
            </label>
            <button type="submit" disabled={invalid} title={c.button_title}>{ c.button }</button>
            if let Some(e) = c.error {
                <p class="form-error">{ e }</p>
            } else if let Some(h) = c.hint {
                <p class="hint">{ h }</p>
            }
        </form>
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The panel's data, compared by pointer: it is made again only when the coordinator's
/// state changes (see `fingerprint`).
#[derive(Properties)]
struct LoadProps {
    data: std::rc::Rc<Option<PanelData>>,
}

impl PartialEq for LoadProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.data, &other.data)
    }
}

/// The keys per node and the keys the last operation moved: drawn again only when the
/// coordinator's state changes, not on every step of a migration (a row per node).
#[function_component(LoadAndMoved)]
fn load_and_moved(props: &LoadProps) -> Html {
    let Some(d) = props.data.as_ref() else {
        return html! {};
    };
    let nm = |i: u32| d.names.get(i as usize).cloned().unwrap_or_default();
    // Load chart.
    let max = d.load.iter().map(|(_, l)| *l).max().unwrap_or(0).max(1);
    let mean_pct = d.mean / f64::from(max) * 100.0;
    let bars = d.load.iter().map(|(n, l)| {
        let w = f64::from(*l) / f64::from(max) * 100.0;
        html! {
            <li class={format!("load-row c{}", *n as usize % NODE_COLOURS)} key={*n}>
                <span class="load-name">{ nm(*n) }</span>
                <span class="load-track">
                    <span class="load-bar" style={format!("width:{}%", fixed(w, 1))}></span>
                    <span class="mean-line" style={format!("left:{}%", fixed(mean_pct, 1))}></span>
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
                    <span class="moved-track"><span class="moved-bar ring" style={format!("width:{}%", fixed(cp, 1))}></span></span>
                    <span class="moved-num">{ format!("{} ({}%)", d.moved_keys, fixed(cp, 0)) }</span>
                </div>
                if d.count_changed {
                    <div class="moved-row">
                        <span class="moved-name">{ "mod N" }</span>
                        <span class="moved-track"><span class="moved-bar modn" style={format!("width:{}%", fixed(mp, 1))}></span></span>
                        <span class="moved-num">{ format!("{} ({}%)", d.mod_n_moved, fixed(mp, 0)) }</span>
                    </div>
                    <p class="moved-text">{ format!("moved: {} key{} ({}%) — hash mod N would move {} ({}%)",
                        d.moved_keys, if d.moved_keys == 1 { "" } else { "s" }, fixed(cp, 0), d.mod_n_moved, fixed(mp, 0)) }</p>
                } else {
                    <p class="moved-text">{ format!("moved: {} key{} ({}%); hash mod N is compared when a node joins or leaves",
                        d.moved_keys, if d.moved_keys == 1 { "" } else { "s" }, fixed(cp, 0)) }</p>
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

    html! {
        <>
            <h3>{ "Keys per node" }</h3>
            <ul class="load-chart" aria-label="Keys per node" tabindex="0">{ for bars }</ul>
            <p class="load-stats">{ format!("mean {} (dashed line) · std dev {} ({}% of mean) · max/mean {}",
                fixed(d.mean, 1), fixed(d.std_dev, 1), fixed(sd_rel, 0), fixed(d.max_over_mean, 2)) }</p>
            if d.replicas > 1 {
                <p class="muted">{ format!("each key counts on its {} replicas", d.replicas) }</p>
            }
            <h3>{ "Keys moved" }</h3>
            { moved }
        </>
    }
}

#[function_component(HashringPanel)]
pub(super) fn hashring_panel() -> Html {
    let typed = use_typed::<Hashring>();
    let shell = use_shell();
    let fp = fingerprint(&typed.run.borrow(), shell.session.id());
    let data = {
        let run = typed.run.clone();
        use_memo(fp, move |_| panel_data(&run.borrow()))
    };
    let vnodes_text = use_state(|| None::<String>);
    let weight_text = use_state(String::new);
    let spare_pick = use_state(|| None::<u32>);
    let keys_text = use_state(|| "100".to_string());
    let remove_text = use_state(|| "50".to_string());
    let lookup_text = use_state(|| "k0001".to_string());

    let Some(d) = data.as_ref().as_ref() else {
        return html! {};
    };
    let send = |cmd: Cmd| {
        let typed = typed.clone();
        let node = d.coord;
        move || {
            typed.act(Action::Command {
                node,
                cmd: cmd.clone(),
            })
        }
    };
    let nm = |i: u32| d.names.get(i as usize).cloned().unwrap_or_default();

    let sd_rel = if d.mean > 0.0 {
        d.std_dev / d.mean * 100.0
    } else {
        0.0
    };

    // Virtual nodes.
    let vtext = (*vnodes_text)
        .clone()
        .unwrap_or_else(|| d.vnodes.to_string());
    let vparsed = parse_in(&vtext, 1, 500);
    let preview = match &vparsed {
        Ok(v) if *v != d.vnodes => preview_balance(&typed.run.borrow(), *v).map(|(sd, mm)| {
            format!(
                "with {v}: std dev {}% of mean, max/mean {} (now {}%, {})",
                fixed(sd * 100.0, 0),
                fixed(mm, 2),
                fixed(sd_rel, 0),
                fixed(d.max_over_mean, 2)
            )
        }),
        _ => None,
    };
    // The slider and the box set the same text.
    let on_vinput = {
        let vnodes_text = vnodes_text.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            vnodes_text.set(Some(el.value()));
        })
    };
    let on_vset = {
        let vnodes_text = vnodes_text.clone();
        on_submit(vparsed.clone().ok().map(|v| {
            let go = send(Cmd::SetVnodes { count: v });
            move || {
                go();
                vnodes_text.set(None);
            }
        }))
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
    let on_add_node = on_submit(match (spare, &weight) {
        (Some(n), Ok(w)) => Some(send(Cmd::AddNode {
            node: NodeId(n),
            weight: *w,
        })),
        _ => None,
    });

    // Add keys.
    let room = MAX_KEYS.saturating_sub(d.keys);
    let kparsed = if room == 0 {
        Err(format!("the key set is full ({MAX_KEYS} keys)"))
    } else {
        parse_in(&keys_text, 1, room)
    };
    let add_keys = text_command(TextCommand {
        label: "Keys",
        size: "6",
        numeric: true,
        text: &keys_text,
        aria: "Number of keys to add",
        title: format!("How many new keys to create, numbered after the last one (1 to {room})"),
        button: match &kparsed {
            Ok(n) => format!("Add {n} key{}", plural(*n)),
            Err(_) => "Add keys".to_string(),
        },
        button_title: "coord creates the keys and tells each key's owners to store it",
        error: kparsed.as_ref().err().map(|e| format!("Keys: {e}.")),
        hint: None,
        go: on_submit(
            kparsed
                .as_ref()
                .ok()
                .map(|&n| send(Cmd::AddKeys { count: n })),
        ),
    });

    // Remove random keys.
    let rparsed = if d.keys == 0 {
        Err("there are no keys to remove".to_string())
    } else {
        parse_in(&remove_text, 1, d.keys)
    };
    let remove_keys = text_command(TextCommand {
        label: "Random keys",
        size: "6",
        numeric: true,
        text: &remove_text,
        aria: "Number of random keys to remove",
        title: format!(
            "How many keys to remove, chosen at random with the run's seed (1 to {})",
            d.keys
        ),
        button: match &rparsed {
            Ok(n) => format!("Remove {n} random key{}", plural(*n)),
            Err(_) => "Remove keys".to_string(),
        },
        button_title: "coord removes that many keys chosen at random; each owner deletes its copies (no other key moves)",
        error: rparsed.as_ref().err().map(|e| format!("Remove: {e}.")),
        hint: None,
        go: on_submit(
            rparsed.as_ref().ok().map(|&n| send(Cmd::RemoveKeys { count: n }),
        )),
    });

    // Look up.
    let key = lookup_text.trim().to_string();
    let key_ok = !key.is_empty() && key.chars().count() <= 40;
    let where_is = if key_ok {
        coord_of(&typed.run.borrow()).map(|c| {
            let h = hash_key(&key);
            let mut buf = Vec::new();
            c.ring.preference(h, d.replicas as usize, &mut buf);
            let list: Vec<String> = buf.iter().map(|n| nm(n.0)).collect();
            format!(
                "{key} hashes to {}° on the ring{}; preference list: {}",
                fixed(angle(h).to_degrees(), 1),
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
    let lookup = text_command(TextCommand {
        label: "Key",
        size: "10",
        numeric: false,
        text: &lookup_text,
        aria: "Key to look up",
        title: "A key name, 1 to 40 characters (keys are named k0001, k0002, ...)".to_string(),
        button: if key_ok {
            format!("Look up {key}")
        } else {
            "Look up".to_string()
        },
        button_title: "coord hashes the key and asks the first node of its preference list; if it does not answer, the next one",
        error: (!key_ok).then(|| "A key is 1 to 40 characters long.".to_string()),
        hint: where_is,
        go: on_submit(key_ok.then(|| send(Cmd::Lookup { key: key.clone() }))),
    });

    // The selected node.
    let selected = shell
        .selected
        .filter(|&i| (i as usize) < d.names.len() && i != d.coord.0);
    let node_actions = selected.map(|i| {
        let name = nm(i);
        let member = d.members.iter().any(|(n, _)| *n == i);
        let node = NodeId(i);
        let status = typed.run.borrow().timeline.sim().status(node);
        let down = matches!(status, NodeStatus::Crashed { .. });
        let cleaning = d.cleaning.contains(&i);
        let mut why_not: Option<String> = None;
        let ring_btn = if member {
            let go = send(Cmd::RemoveNode { node });
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
            let go = send(Cmd::AddNode { node, weight: None });
            html! {
                <button type="button" class="primary"
                    title={format!("coord adds {name}'s virtual nodes; only keys now closest to them move")}
                    onclick={Callback::from(move |_: MouseEvent| go())}>{ format!("Add {name} to the ring") }</button>
            }
        };
        let (verb, action) = match status {
            NodeStatus::Crashed { .. } => ("Restart", Action::Restart { node }),
            _ => ("Crash", Action::Crash { node }),
        };
        let crash = matches!(action, Action::Crash { .. });
        let fault = typed.on_act(action);
        html! {
            <div class="hr-selected">
                <p>{ format!("{name}: {}", if member {
                    let l = d.load.iter().find(|(n, _)| *n == i).map_or(0, |(_, l)| *l);
                    format!("in the ring, {l} key{}", if l == 1 { "" } else { "s" })
                } else { "spare, not in the ring".to_string() }) }</p>
                { ring_btn }
                <button type="button" class={if crash { "fault" } else { "heal" }} onclick={fault}
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
            <LoadAndMoved data={data.clone()} />
            <h3>{ "Commands to coord" }</h3>
            <form class="command-form" onsubmit={on_vset}>
                <label>{ "Virtual nodes per node" }
                    <input type="range" min="1" max="200" value={slider_val.to_string()} oninput={on_vinput.clone()}
                        aria-label="Virtual nodes per node (slider)"
                        title="Virtual nodes per unit of weight, 1 to 200 here (the box goes to 500): the balance preview below changes as you drag; Set applies it" />
                </label>
                <label>{ "count" }
                    <input type="number" min="1" max="500" value={vtext.clone()} oninput={on_vinput}
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
                        oninput={set_text(&weight_text)} aria-label="Weight of the node"
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
            { add_keys }
            { remove_keys }
            { lookup }
        </section>
    }
}
