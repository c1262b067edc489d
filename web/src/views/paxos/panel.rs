//! The Paxos side panel: the selected node, proposing a value (a client command in
//! Multi-Paxos), running phase 1 now and back-off per proposer, what a livelock is and what
//! ends it, every parameter by its scenario name, and the legend.

use super::{adoption_words, ballot_text, kind_of, livelock_words, phase_short, KINDS};
use crate::components::cluster::{
    apply_numbers, field_texts, number_inputs, panel_legend, param_form_apply, param_section,
    param_toggle, restart_changed, NumField,
};
use crate::components::{use_shell, use_typed};
use dsplay_core::algo::paxos::{Cmd, Node, Params, Paxos, MAX_VALUE_CHARS};
use dsplay_core::session::Session;
use dsplay_core::{Action, NodeId, NodeStatus, Protocol};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The numeric parameters: the name in a scenario file, the range the core accepts, how
/// to read and write it, and what it means.
pub const FIELDS: [NumField<Params>; 8] = [
    (
        "proposers",
        1,
        5,
        |p| p.proposers as u64,
        |p, v| p.proposers = v as u32,
        "Number of proposers, 1 to 5",
    ),
    (
        "acceptors",
        3,
        9,
        |p| p.acceptors as u64,
        |p, v| p.acceptors = v as u32,
        "Number of acceptors, 3 to 9: a majority of them chooses a value",
    ),
    (
        "learners",
        1,
        3,
        |p| p.learners as u64,
        |p, v| p.learners = v as u32,
        "Number of learners, 1 to 3 (in Multi-Paxos the replicas that apply the log)",
    ),
    (
        "phase_timeout",
        20,
        60_000,
        |p| p.phase_timeout,
        |p, v| p.phase_timeout = v,
        "A phase not finished after this many ms is given up and retried with a higher ballot",
    ),
    (
        "backoff_base",
        1,
        10_000,
        |p| p.backoff_base,
        |p, v| p.backoff_base = v,
        "The first back-off waits a random time from 0 to this many ms; each failure in a row doubles it (up to 16 times)",
    ),
    (
        "heartbeat_interval",
        5,
        60_000,
        |p| p.heartbeat_interval,
        |p, v| p.heartbeat_interval = v,
        "Multi-Paxos with leader election: how often the leader says it is alive (ms); shorter than the minimum election timeout",
    ),
    (
        "election_timeout min",
        20,
        60_000,
        |p| p.election_timeout[0],
        |p, v| p.election_timeout[0] = v,
        "Multi-Paxos with leader election: a proposer that hears no leader for a time drawn from [min, max] ms runs phase 1 to lead",
    ),
    (
        "election_timeout max",
        20,
        60_000,
        |p| p.election_timeout[1],
        |p, v| p.election_timeout[1] = v,
        "The upper end of the election timeout (ms)",
    ),
];

/// `params` with the numeric fields typed by a person (in [`FIELDS`] order), or why not:
/// the field named, as the core names it; nothing changes on a refusal.
pub fn apply_fields(params: &Params, texts: &[String]) -> Result<Params, String> {
    let mut next = params.clone();
    apply_numbers(&FIELDS, &mut next, texts)?;
    Paxos::new(next.clone())
        .map(|_| next)
        .map_err(|e| format!("{e}; nothing was changed"))
}

/// A value typed by a person (the core refuses the same).
pub fn check_value(v: &str) -> Result<(), String> {
    if v.trim().is_empty() {
        Err("type a value to propose".into())
    } else if v.chars().count() > MAX_VALUE_CHARS {
        Err(format!("a value has at most {MAX_VALUE_CHARS} characters"))
    } else {
        Ok(())
    }
}

fn status_word(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Up => "up",
        NodeStatus::Crashed { .. } => "crashed",
        NodeStatus::Paused { .. } => "paused",
    }
}

/// One node in words, for the panel.
fn summary(node: &Node, names: &[String], params: &Params) -> String {
    let mut parts = vec![node.disk.roles.words()];
    if let Some(p) = &node.mem.proposer {
        parts.push(format!(
            "{}, ballot {}, promises {}/{}; {}",
            phase_short(p.phase),
            ballot_text(p.ballot, names),
            p.promises.len(),
            p.needed,
            adoption_words(p, names, params.multi, params.unsafe_ignore_promises)
        ));
    }
    if let Some(a) = &node.disk.acceptor {
        let acc: Vec<String> = a
            .accepted
            .iter()
            .enumerate()
            .filter_map(|(k, x)| {
                x.as_ref().map(|x| {
                    if params.multi {
                        format!(
                            "slot {}: {} = {}",
                            k + 1,
                            x.ballot.show(names),
                            x.value.show()
                        )
                    } else {
                        format!("{} = {}", x.ballot.show(names), x.value.show())
                    }
                })
            })
            .collect();
        parts.push(format!(
            "promised {}, accepted {}",
            ballot_text(node.promised(), names),
            if acc.is_empty() {
                "nothing".to_string()
            } else {
                acc.join(", ")
            }
        ));
    }
    if let Some(l) = &node.disk.learner {
        parts.push(format!(
            "learned {} slot(s), applied {}",
            l.learned.iter().filter(|x| x.is_some()).count(),
            l.applied.len()
        ));
    }
    parts.join("; ")
}

/// What the view's marks mean, for the legend.
const LEGEND: &str = "Nodes: proposer ● round, acceptor ■ square, learner ⬢ hexagon (colocated: one circle with its roles P A L); ♛ L the Multi-Paxos leader. Ballots are round.proposer (7.n2). Grid cells: dashed = accepted by a minority (not chosen, can be replaced); solid with ✓ = chosen (a majority accepted it in one ballot); ● applied, ○ learned but waiting for a hole. The chosen row names the step: click it to go there. ⟳ Livelock is a liveness observation, not a violation.";

/// The side panel.
#[function_component(PaxosPanel)]
pub fn paxos_panel() -> Html {
    let shell = use_shell();
    let typed = use_typed::<Paxos>();
    let value = use_state(|| "x".to_string());
    let target = use_state(|| None::<u32>);
    let texts = use_state(|| None::<Vec<String>>);
    let form_error = use_state(|| None::<String>);

    let l = typed.run.borrow();
    let names = l.names().to_vec();
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let params = proto.params().clone();
    let proposers = proto.proposer_ids();
    let status = |id: NodeId| sim.status(id);
    let backoff_of = |id: NodeId| {
        sim.node(id)
            .disk
            .proposer
            .as_ref()
            .is_some_and(|d| d.backoff)
    };
    let command = |node: NodeId, cmd: Cmd| Action::Command { node, cmd };
    let sel = shell.selected.filter(|&i| (i as usize) < names.len());

    // ---- Propose a value / client command ----
    let targets: Vec<NodeId> = if params.multi {
        sim.node_ids().collect()
    } else {
        proposers.clone()
    };
    let to = (*target)
        .or(sel)
        .map(NodeId)
        .filter(|t| targets.contains(t))
        .or_else(|| targets.first().copied());
    let value_ok = check_value(&value);
    let to_crashed = to.is_some_and(|t| matches!(status(t), NodeStatus::Crashed { .. }));
    let on_value = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            value.set(el.value());
        })
    };
    let on_target = {
        let target = target.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            target.set(el.value().parse().ok());
        })
    };
    let on_propose = {
        let typed = typed.clone();
        let v = value.trim().to_string();
        let ok = value_ok.is_ok() && !to_crashed;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let (true, Some(node)) = (ok, to) {
                typed.act(Action::Command {
                    node,
                    cmd: Cmd::Propose { value: v.clone() },
                });
            }
        })
    };
    let to_name = to.map_or("?".to_string(), |t| names[t.index()].clone());
    let propose_title = if to_crashed {
        format!("{to_name} is crashed: it cannot take a value until it restarts")
    } else if let Err(e) = &value_ok {
        format!("Cannot propose: {e}")
    } else if params.multi {
        format!("A client sends the command '{}' to {to_name}: the leader gives it the next slot and runs phase 2 only; another node passes it to the leader it knows (a proposer with no leader queues it)", value.trim())
    } else {
        format!("A client asks {to_name} to propose '{}': it runs phase 1 with a new ballot, then proposes the value the promises bind it to (its own only if none reported one)", value.trim())
    };

    // ---- Proposers: prepare now, back-off ----
    let proposer_rows = proposers.iter().map(|&id| {
        let name = names[id.index()].clone();
        let st = status(id);
        let crashed = matches!(st, NodeStatus::Crashed { .. });
        let on = backoff_of(id);
        let round = sim.node(id).disk.proposer.as_ref().map_or(0, |d| d.round);
        html! {
            <div class="proposer-row" key={name.clone()}>
                <span class="pname">{ format!("{name}{}", if crashed { " ✕" } else { "" }) }</span>
                <button class="ctl" disabled={crashed} onclick={typed.on_act(command(id, Cmd::Prepare))}
                    title={if crashed {
                        format!("{name} is crashed: it runs nothing until it restarts")
                    } else {
                        format!("{name} runs phase 1 now: Prepare({}.{name}), a higher ballot, to every acceptor", round + 1)
                    }}>{ format!("Prepare now ({name})") }</button>
                <button class="ctl toggle" disabled={crashed} aria-pressed={on.to_string()}
                    onclick={typed.on_act(command(id, Cmd::BackOff { on: !on }))}
                    title={if crashed {
                        format!("{name} is crashed: its back-off setting waits on disk until it restarts")
                    } else if on {
                        format!("Back-off is on at {name}: a beaten ballot waits a random, growing time before it retries. Click to turn it off (retry at once)")
                    } else {
                        format!("Back-off is off at {name}: a beaten ballot retries at once. Click to turn it on (wait a random, growing time)")
                    }}>{ format!("Back-off {}", if on { "on" } else { "off" }) }</button>
            </div>
        }
    });
    let all_backoff = |on: bool| {
        typed.on_act_all(
            proposers
                .iter()
                .filter(|&&i| !matches!(status(i), NodeStatus::Crashed { .. }))
                .map(|&i| command(i, Cmd::BackOff { on }))
                .collect(),
        )
    };
    let live_proposers = proposers
        .iter()
        .filter(|&&i| !matches!(status(i), NodeStatus::Crashed { .. }))
        .count();
    let backoff_off: Vec<String> = proposers
        .iter()
        .filter(|&&i| !backoff_of(i))
        .map(|i| names[i.index()].clone())
        .collect();
    let livelock = sim
        .checker()
        .and_then(|c| c.livelock())
        .map(|lv| livelock_words(lv, &names, &backoff_off));

    // ---- The selected node ----
    let node_section = match sel {
        None => html! {
            <p class="muted">{ "Click a node (or focus it with Tab and press Enter) to see its state and crash, restart, pause or resume it." }</p>
        },
        Some(i) => {
            let id = NodeId(i);
            let name = names[i as usize].clone();
            let st = status(id);
            html! {
                <>
                    <p class="node-summary"><strong>{ name.clone() }</strong>
                        { format!(" ({}) — {}", status_word(st), summary(sim.node(id), &names, &params)) }</p>
                    <div class="button-row">
                        if matches!(st, NodeStatus::Crashed { .. }) {
                            <button class="ctl fault" onclick={typed.on_act(Action::Restart { node: id })}
                                title={format!("Restart {name}: it keeps what is on disk (an acceptor's promise and accepted values, a proposer's last round, a learner's log) and starts with an empty memory")}>
                                { format!("Restart {name}") }</button>
                        } else {
                            <button class="ctl fault" onclick={typed.on_act(Action::Crash { node: id })}
                                title={format!("Crash {name}: it stops; what it keeps on disk survives{}, its memory and the messages to it are lost",
                                    if params.unsafe_forget_promise && sim.node(id).disk.roles.acceptor { " except its promise (UNSAFE: kept in memory only)" } else { "" })}>
                                { format!("Crash {name}") }</button>
                        }
                        if matches!(st, NodeStatus::Paused { .. }) {
                            <button class="ctl fault" onclick={typed.on_act(Action::Resume { node: id })}
                                title={format!("Resume {name}: what reached it while it was frozen runs now, in order")}>
                                { format!("Resume {name}") }</button>
                        } else if matches!(st, NodeStatus::Up) {
                            <button class="ctl fault" onclick={typed.on_act(Action::Pause { node: id })}
                                title={format!("Pause {name}: it freezes and loses nothing; messages and timers wait until it resumes")}>
                                { format!("Pause {name}") }</button>
                        }
                    </div>
                </>
            }
        }
    };

    // ---- Options ----
    let restart_with =
        |change: fn(&mut Params)| restart_changed(&typed, &form_error, &params, change);
    let shown: Vec<String> = field_texts(&texts, &FIELDS, &params, []);
    let on_apply = param_form_apply(&typed, &params, &shown, &texts, &form_error, apply_fields);
    let field_inputs = number_inputs(&FIELDS, &shown, &texts);
    /// An option: its name, whether it is on, how to flip it, what it does, why it cannot
    /// be changed now, and whether it breaks Paxos.
    type Toggle<'a> = (
        &'a str,
        bool,
        fn(&mut Params),
        &'a str,
        Option<&'a str>,
        bool,
    );
    let toggles: [Toggle; 6] = [
        (
            "multi",
            params.multi,
            |p| p.multi = !p.multi,
            "Multi-Paxos: a log of slots; a leader runs phase 1 once for every open slot, then only phase 2 per client command. Off: single-decree Paxos (one value)",
            None,
            false,
        ),
        (
            "leader_election",
            params.leader_election,
            |p| p.leader_election = !p.leader_election,
            "Multi-Paxos: proposers elect a stable leader with heartbeats; a proposer that hears none runs phase 1. Off: every proposer given a command runs phase 1 itself",
            (!params.multi).then_some("leader_election applies to Multi-Paxos only: turn multi on first"),
            false,
        ),
        (
            "backoff",
            params.backoff,
            |p| p.backoff = !p.backoff,
            "A proposer whose ballot was beaten waits a random, growing time before it retries; off, it retries at once (dueling proposers can then livelock)",
            None,
            false,
        ),
        (
            "colocated",
            params.colocated,
            |p| p.colocated = !p.colocated,
            "One node plays several roles: node k is the k-th proposer, acceptor and learner. Off: every role has nodes of its own",
            None,
            false,
        ),
        (
            "unsafe_forget_promise",
            params.unsafe_forget_promise,
            |p| p.unsafe_forget_promise = !p.unsafe_forget_promise,
            "UNSAFE, for teaching: an acceptor keeps its promise in memory only, so a crash makes it forget what it promised (two values can be chosen)",
            None,
            true,
        ),
        (
            "unsafe_ignore_promises",
            params.unsafe_ignore_promises,
            |p| p.unsafe_ignore_promises = !p.unsafe_ignore_promises,
            "UNSAFE, for teaching: a proposer ignores the values reported in promises and proposes its own (two values can be chosen)",
            None,
            true,
        ),
    ];
    let toggle_inputs = toggles
        .iter()
        .map(|(key, on, flip, help, why_not, danger)| {
            param_toggle(
                key,
                *on,
                help,
                why_not.as_deref(),
                *danger,
                restart_with(*flip),
            )
        });

    html! {
        <section class="panel commands paxos-panel" aria-label="Paxos actions">
            <h2>{ if params.multi { "Client command" } else { "Propose a value" } }</h2>
            <form class="propose-form" onsubmit={on_propose}>
                <label title={format!("The value, 1 to {MAX_VALUE_CHARS} characters")}>{ "value " }
                    <input type="text" value={(*value).clone()} oninput={on_value} maxlength="16" size="6"
                        aria-label="Value to propose" aria-invalid={value_ok.is_err().to_string()} />
                </label>
                <label title={if params.multi { "The node the client sends the command to (any node)" } else { "The proposer asked to propose it" }}>
                    { if params.multi { "to " } else { "at " } }
                    <select aria-label={if params.multi { "Node to send the command to" } else { "Proposer" }} onchange={on_target}>
                        { for targets.iter().map(|t| html! {
                            <option key={t.0} value={t.0.to_string()} selected={Some(*t) == to}>{ names[t.index()].clone() }</option>
                        }) }
                    </select>
                </label>
                <button type="submit" class="primary" disabled={value_ok.is_err() || to_crashed} title={propose_title}>
                    { if params.multi { "Send command" } else { "Propose" } }</button>
            </form>
            if let Err(e) = &value_ok {
                <p class="form-error">{ e.clone() }</p>
            } else if to_crashed {
                <p class="muted">{ format!("{to_name} is crashed: it cannot take a value until it restarts.") }</p>
            }
            <h2>{ "Proposers" }</h2>
            <div class="proposer-rows">{ for proposer_rows }</div>
            <div class="button-row">
                <button class="ctl" disabled={live_proposers == 0 || backoff_off.is_empty()} onclick={all_backoff(true)}
                    title={if backoff_off.is_empty() { "Back-off is already on at every proposer".to_string() } else { format!("Turn back-off on at {}: a beaten proposer waits a random, growing time, so one ballot gets through", backoff_off.join(", ")) }}>
                    { "Back-off on for all" }</button>
                <button class="ctl" disabled={live_proposers == 0 || backoff_off.len() == proposers.len()} onclick={all_backoff(false)}
                    title={if backoff_off.len() == proposers.len() { "Back-off is already off at every proposer".to_string() } else { "Turn back-off off at every proposer: a beaten one retries at once (with two proposers, try a livelock)".to_string() }}>
                    { "Back-off off for all" }</button>
            </div>
            if let Some(words) = livelock {
                <p class="livelock-note" role="status">{ "⟳ " }{ words }</p>
            } else if proposers.len() > 1 {
                <p class="muted small">{ "Dueling proposers: with back-off off, two proposers can keep beating each other's ballots, so nothing is ever chosen (a livelock: a liveness problem, never a safety one). Back-off, or one leader proposing (Multi-Paxos with leader election), lets one ballot finish." }</p>
            }
            <h2>{ match sel { Some(i) => format!("Node {}", names[i as usize]), None => "Nodes".to_string() } }</h2>
            { node_section }
            { param_section("paxos-params", html! { <div class="options">{ for toggle_inputs }</div> },
                field_inputs, on_apply, form_error.as_deref()) }
            { panel_legend(&KINDS, kind_of, LEGEND) }
        </section>
    }
}
