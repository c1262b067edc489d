//! The key-value store's side panel: a client writes or reads a key, a spare server joins
//! or a member leaves, a partition's leader is crashed, the replication mode, N, R, W and
//! every other parameter by its scenario name, and the legend.

use super::{kind_of, mode_key, mode_words, name_of, promised_by, KINDS};
use crate::components::cluster::{
    apply_numbers, field_texts, number_inputs, panel_legend, param_form_apply, param_section,
    param_text_input, param_toggle, restart_changed, restart_on_select, NumField,
};
use crate::components::{use_shell, use_typed};
use dsplay_core::algo::kvstore::{
    Cmd, Kvstore, Node, Params, Partitioning, Replication, MAX_CLIENTS, MAX_KEYS, MAX_PARTITIONS,
    MAX_SERVERS,
};
use dsplay_core::session::Session;
use dsplay_core::{Action, NodeId, Protocol};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The numeric parameters: the name in a scenario file, the range the page offers (the
/// core checks the rest, e.g. `replicas` at most `servers`), how to read and write it, and
/// what it means.
pub const FIELDS: [NumField<Params>; 11] = [
    ("servers", 1, MAX_SERVERS as u64, |p| u64::from(p.servers), |p, v| p.servers = v as u32,
        "Servers in the cluster at the start, n1.."),
    ("spare", 0, MAX_SERVERS as u64 - 1, |p| u64::from(p.spare), |p, v| p.spare = v as u32,
        "Servers outside the cluster at the start, which can join"),
    ("clients", 1, MAX_CLIENTS as u64, |p| u64::from(p.clients), |p, v| p.clients = v as u32,
        "Clients c1.."),
    ("partitions", 1, MAX_PARTITIONS as u64, |p| u64::from(p.partitions), |p, v| p.partitions = v as u32,
        "Partitions: fixed, moved whole between servers when one joins or leaves"),
    ("keys", 1, MAX_KEYS as u64, |p| u64::from(p.keys), |p, v| p.keys = v as u32,
        "Keys k0..k(keys-1)"),
    ("replicas", 1, 5, |p| u64::from(p.replicas), |p, v| p.replicas = v as u32,
        "N: replicas of each partition, at most servers"),
    ("w", 1, 5, |p| u64::from(p.w), |p, v| p.w = v as u32,
        "W (leaderless): acknowledgements a write waits for, 1 to N"),
    ("r", 1, 5, |p| u64::from(p.r), |p, v| p.r = v as u32,
        "R (leaderless): answers a read waits for, 1 to N; R + W > N makes every read quorum meet every write quorum"),
    ("heartbeat_every", 5, 10_000, |p| p.heartbeat_every, |p, v| p.heartbeat_every = v,
        "A leader sends appends and its heartbeat this often (ms)"),
    ("failover_timeout", 0, 60_000, |p| p.failover_timeout, |p, v| p.failover_timeout = v,
        "cfg fails a partition over after this long without its leader's heartbeat (ms; 0: never; else at least 2 heartbeats)"),
    ("request_timeout", 20, 60_000, |p| p.request_timeout, |p, v| p.request_timeout = v,
        "A client gives up waiting for an answer after this long (ms): the operation stays pending"),
];

/// `params` with the fields typed by a person (the numbers in [`FIELDS`] order, then
/// `splits` and `pin`), or why not: the field named as the core names it; nothing changes
/// on a refusal.
pub fn apply_fields(params: &Params, texts: &[String]) -> Result<Params, String> {
    let mut next = params.clone();
    apply_numbers(&FIELDS, &mut next, texts)?;
    if let Some(splits) = texts.get(FIELDS.len()) {
        next.splits = splits
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.trim_start_matches('k').parse::<u32>().map_err(|_| {
                    format!("splits must be key numbers separated by commas (got `{s}`); nothing was changed")
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(pin) = texts.get(FIELDS.len() + 1) {
        next.pin = pin
            .split(',')
            .map(|s| s.trim().to_string())
            .collect::<Vec<_>>();
        while next.pin.last().is_some_and(|s| s.is_empty()) {
            next.pin.pop();
        }
    }
    Kvstore::new(next.clone())
        .map(|_| next)
        .map_err(|e| format!("{e}; nothing was changed"))
}

/// A select of nodes by name, with the chosen one.
fn node_select(
    label: &str,
    ids: &[NodeId],
    chosen: Option<NodeId>,
    names: &[String],
    set: &UseStateHandle<Option<u32>>,
) -> Html {
    let set = set.clone();
    let onchange = Callback::from(move |e: Event| {
        let el: HtmlSelectElement = e.target_unchecked_into();
        set.set(el.value().parse().ok());
    });
    html! {
        <select aria-label={label.to_string()} {onchange} disabled={ids.is_empty()}>
            { for ids.iter().map(|t| html! {
                <option key={t.0} value={t.0.to_string()} selected={Some(*t) == chosen}>{ name_of(names, *t).to_string() }</option>
            }) }
        </select>
    }
}

/// What the view's marks mean, for the legend.
const LEGEND: &str = "Table: one row per partition with its keys, epoch and replicas; L marks the leader, −n how many entries (leaderless: keys) a replica is behind, ✓ up to date, ∅ holds nothing; a crashed server is grey and struck through. History: one lane per client, a bar from invocation to answer; W k=v writes, R k→v reads (∅: empty); a dashed bar with … is pending; ⚠ marks a stale read (an observation where the mode does not promise the guarantee, a violation where it does) or an acknowledged write that was lost.";

/// The side panel.
#[function_component(KvPanel)]
pub fn kv_panel() -> Html {
    let shell = use_shell();
    let typed = use_typed::<Kvstore>();
    let client = use_state(|| None::<u32>);
    let key = use_state(|| "0".to_string());
    let joiner = use_state(|| None::<u32>);
    let leaver = use_state(|| None::<u32>);
    let part = use_state(|| 0u32);
    let texts = use_state(|| None::<Vec<String>>);
    let form_error = use_state(|| None::<String>);

    let l = typed.run.borrow();
    let names = l.names().to_vec();
    let sim = l.timeline.sim();
    let proto = sim.proto();
    let params = proto.params().clone();
    let leaderless = params.replication.leaderless();
    let sel = shell
        .selected
        .filter(|&i| (i as usize) < names.len())
        .map(NodeId);
    let pick = |state: &UseStateHandle<Option<u32>>, among: &[NodeId]| {
        (**state)
            .map(NodeId)
            .filter(|t| among.contains(t))
            .or(sel.filter(|t| among.contains(t)))
            .or_else(|| among.first().copied())
    };
    let member = |n: NodeId| matches!(sim.node(n), Node::Server(s) if s.disk.member);

    // ---- A client's write or read ----
    let clients: Vec<NodeId> = proto.clients().filter(|&c| sim.is_up(c)).collect();
    let who = pick(&client, &clients);
    let key_ok = match key.trim().trim_start_matches('k').parse::<u32>() {
        Ok(k) if k < params.keys => Ok(k),
        _ => Err(format!(
            "a key is a number from 0 to {} (k0..k{})",
            params.keys - 1,
            params.keys - 1
        )),
    };
    let on_key = {
        let key = key.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            key.set(el.value());
        })
    };
    let client_act = |write: bool| match (who, &key_ok) {
        (Some(node), Ok(k)) => {
            let cmd = if write {
                Cmd::Write { key: *k }
            } else {
                Cmd::Read { key: *k }
            };
            typed.on_act::<MouseEvent>(Action::Command { node, cmd })
        }
        _ => Callback::noop(),
    };
    let op_why = match (who, &key_ok) {
        (None, _) => Some("Every client has crashed".to_string()),
        (_, Err(e)) => Some(e.clone()),
        _ => None,
    };
    let part_of_key = key_ok.as_ref().ok().map(|&k| proto.part_of(k));

    // ---- Join, leave ----
    let spares: Vec<NodeId> = proto
        .servers()
        .filter(|&n| sim.is_up(n) && !member(n))
        .collect();
    let members: Vec<NodeId> = proto
        .servers()
        .filter(|&n| sim.is_up(n) && member(n))
        .collect();
    let join_node = pick(&joiner, &spares);
    let leave_node = pick(&leaver, &members);
    let too_few = (members.len() as u32) <= params.replicas;

    // ---- Crash a partition's leader ----
    let table = super::draw::table_of(sim);
    let p_now = (*part).min(table.len().saturating_sub(1) as u32);
    let leader = table.get(p_now as usize).and_then(|c| c.leader);
    let crash_why = if leaderless {
        Some(
            "Leaderless replication has no leader: crash a replica with the fault palette"
                .to_string(),
        )
    } else {
        match leader {
            None => Some(format!(
                "p{p_now} has no leader now (a failover is under way)"
            )),
            Some(n) if !sim.is_up(n) => Some(format!("{} has crashed already", name_of(&names, n))),
            _ => None,
        }
    };
    let on_part = {
        let part = part.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            part.set(el.value().parse().unwrap_or(0));
        })
    };

    // ---- Parameters ----
    let on_mode = restart_on_select(&typed, &form_error, &params, |next, value| {
        next.replication = match value {
            "semi_sync" => Replication::SemiSync,
            "async" => Replication::Async,
            "leaderless" => Replication::Leaderless,
            _ => Replication::Sync,
        };
        if !next.replication.leaderless() {
            next.sloppy = false;
        }
        next.w = next.w.min(next.replicas);
        next.r = next.r.min(next.replicas);
    });
    let on_partitioning = restart_on_select(&typed, &form_error, &params, |next, value| {
        next.partitioning = if value == "range" {
            Partitioning::Range
        } else {
            Partitioning::Hash
        };
        if next.partitioning == Partitioning::Hash {
            next.splits.clear();
        }
    });
    let shown: Vec<String> = field_texts(
        &texts,
        &FIELDS,
        &params,
        [
            params
                .splits
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            params.pin.join(", "),
        ],
    );
    let on_apply = param_form_apply(&typed, &params, &shown, &texts, &form_error, apply_fields);
    let set_text = |k: usize| param_text_input(&texts, &shown, k);
    let field_inputs = number_inputs(&FIELDS, &shown, &texts);
    let flip = |f: fn(&mut Params)| restart_changed(&typed, &form_error, &params, f);
    let not_leaderless = (!leaderless).then_some("Only for leaderless replication");
    let toggles = [
        param_toggle("read_repair", params.read_repair,
            "Leaderless: a read writes the newest version back to replicas that answered an older one",
            not_leaderless, false, flip(|p| p.read_repair = !p.read_repair)),
        param_toggle("sloppy", params.sloppy,
            "Leaderless: a sloppy quorum; when home replicas are silent the client writes to other servers, which keep hints and hand them over (no promise of read-your-writes)",
            not_leaderless, true, flip(|p| p.sloppy = !p.sloppy)),
    ];
    let modes = [
        Replication::Sync,
        Replication::SemiSync,
        Replication::Async,
        Replication::Leaderless,
    ];

    // ---- Observations: guarantees the mode does not promise, seen broken ----
    let now = sim.time();
    let observations: Vec<(String, String)> = sim
        .checker()
        .map(|c| {
            c.observations()
                .iter()
                .filter(|o| o.time <= now)
                .map(|o| {
                    (
                        format!("{} (t={} ms, step {})", o.property, o.time, o.step + 1),
                        format!("{} — {}.", o.explanation, promised_by(o.property)),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // Convergence, observed: whether the replicas of every partition hold the same data.
    let convergence = sim.checker().map(|c| c.convergence()).map(|c| match (c.diverged, c.since, c.converged) {
        (0, _, Some((_, at, took))) => format!("Replicas agree again since t={at} ms (after {took} ms apart)"),
        (0, _, None) => "Replicas agree: every partition's replicas hold the same data".to_string(),
        (d, Some((_, at)), _) => format!(
            "Replicas differ in {d} {} since t={at} ms: they converge once writes stop and the network heals",
            if d == 1 { "partition" } else { "partitions" }
        ),
        (d, None, _) => format!("Replicas differ in {d} {}", if d == 1 { "partition" } else { "partitions" }),
    });

    html! {
        <section class="panel commands kvstore-panel" aria-label="Key-value store actions">
            <h2>{ "Client operation" }</h2>
            <div class="op-form">
                <label title="The client that invokes the operation">{ "client " }
                    { node_select("Client", &clients, who, &names, &client) }
                </label>
                <label title={format!("A key, 0 to {} (k0..)", params.keys - 1)}>{ " key k" }
                    <input type="text" inputmode="numeric" size="3" value={(*key).clone()} oninput={on_key}
                        aria-label="Key" aria-invalid={key_ok.is_err().to_string()} />
                </label>
                <button class="primary" disabled={op_why.is_some()} onclick={client_act(true)}
                    title={op_why.clone().unwrap_or_else(|| format!("{} writes a new value to k{}{}", who.map_or("?", |c| name_of(&names, c)), key.trim(),
                        part_of_key.map_or(String::new(), |p| format!(" (partition p{p})"))))}>{ "Write" }</button>
                <button class="primary" disabled={op_why.is_some()} onclick={client_act(false)}
                    title={op_why.clone().unwrap_or_else(|| format!("{} reads k{}{}", who.map_or("?", |c| name_of(&names, c)), key.trim(),
                        part_of_key.map_or(String::new(), |p| format!(" (partition p{p})"))))}>{ "Read" }</button>
            </div>
            if let Some(w) = &op_why {
                <p class="muted small">{ w.clone() }</p>
            }
            <h2>{ format!("Observations ({})", observations.len()) }</h2>
            if let Some(c) = &convergence {
                <p class="kv-convergence small">{ c.clone() }</p>
            }
            if observations.is_empty() {
                <p class="muted small">{ "No guarantee this mode does not promise has been seen broken yet (a broken promise is a violation, in the properties panel)." }</p>
            } else {
                <ul class="kv-observations" aria-label="Observations">
                    { for observations.iter().rev().take(4).enumerate().map(|(k, (head, why))| html! {
                        <li key={k}><strong>{ format!("⚠ {head}") }</strong>{ format!(": {why}") }</li>
                    }) }
                </ul>
                if observations.len() > 4 {
                    <p class="muted small">{ format!("and {} earlier", observations.len() - 4) }</p>
                }
            }
            <h2>{ "Servers" }</h2>
            <div class="button-row">
                { node_select("Spare server that joins", &spares, join_node, &names, &joiner) }
                <button class="ctl" disabled={join_node.is_none()}
                    onclick={join_node.map_or(Callback::noop(), |n| typed.on_act(Action::Command { node: n, cmd: Cmd::Join }))}
                    title={if join_node.is_none() { "No spare server is up: raise `spare`".to_string() } else { "The server joins: cfg moves whole partitions to it from the servers holding the most".to_string() }}>
                    { format!("Add {}", join_node.map_or("server", |n| name_of(&names, n))) }</button>
            </div>
            <div class="button-row">
                { node_select("Member server that leaves", &members, leave_node, &names, &leaver) }
                <button class="ctl" disabled={leave_node.is_none() || too_few}
                    onclick={leave_node.map_or(Callback::noop(), |n| typed.on_act(Action::Command { node: n, cmd: Cmd::Leave }))}
                    title={if too_few { format!("Leaving would leave fewer servers than replicas (N = {})", params.replicas) } else { "The server leaves: cfg moves its partitions to the others".to_string() }}>
                    { format!("Remove {}", leave_node.map_or("server", |n| name_of(&names, n))) }</button>
            </div>
            <div class="button-row">
                <label title="The partition whose leader to crash">{ "leader of " }
                    <select aria-label="Partition" onchange={on_part} disabled={leaderless}>
                        { for (0..table.len() as u32).map(|p| html! {
                            <option key={p} value={p.to_string()} selected={p == p_now}>{ format!("p{p}") }</option>
                        }) }
                    </select>
                </label>
                <button class="ctl fault" disabled={crash_why.is_some()}
                    onclick={leader.filter(|_| crash_why.is_none()).map_or(Callback::noop(), |n| typed.on_act(Action::Crash { node: n }))}
                    title={crash_why.clone().unwrap_or_else(|| format!("Crash {}: cfg fails p{p_now} over after failover_timeout ({} ms) without its heartbeat", leader.map_or("?", |n| name_of(&names, n)), params.failover_timeout))}>
                    { format!("Crash leader {}", leader.map_or("", |n| name_of(&names, n))) }</button>
            </div>
            if let Some(w) = &crash_why {
                <p class="muted small">{ w.clone() }</p>
            }
            <h2>{ "Replication" }</h2>
            <div class="options">
                <label title="How each partition is replicated (the scenario's `replication`)">
                    <code>{ "replication" }</code>
                    <select aria-label="replication" onchange={on_mode}>
                        { for modes.iter().map(|&m| html! {
                            <option key={mode_key(m)} value={mode_key(m)} selected={m == params.replication} title={mode_words(m)}>{ mode_key(m) }</option>
                        }) }
                    </select>
                </label>
                <label title="How keys are split into partitions (the scenario's `partitioning`)">
                    <code>{ "partitioning" }</code>
                    <select aria-label="partitioning" onchange={on_partitioning}>
                        <option value="hash" selected={params.partitioning == Partitioning::Hash}>{ "hash" }</option>
                        <option value="range" selected={params.partitioning == Partitioning::Range}>{ "range" }</option>
                    </select>
                </label>
                { for toggles }
            </div>
            <p class="muted small">{ mode_words(params.replication) }
                if leaderless { { format!(" — N = {}, W = {}, R = {}: R + W {} N", params.replicas, params.w, params.r,
                    if params.r + params.w > params.replicas { ">" } else { "≤" }) } }
            </p>
            { param_section("kv-params", html! {}, html! {
                <>
                    { field_inputs }
                    <label class="wide" title="Range partitioning: the first key of each partition but the first, increasing, separated by commas (empty: equal ranges)">
                        <code>{ "splits" }</code>
                        <input type="text" size="14" value={shown[FIELDS.len()].clone()} oninput={set_text(FIELDS.len())} aria-label="splits" />
                    </label>
                    <label class="wide" title="Per client, c1 first: `leader` (or empty) reads from the leader; a server's name reads from that server">
                        <code>{ "pin" }</code>
                        <input type="text" size="14" value={shown[FIELDS.len() + 1].clone()} oninput={set_text(FIELDS.len() + 1)} aria-label="pin" />
                    </label>
                </>
            }, on_apply, form_error.as_deref()) }
            { panel_legend(&KINDS, kind_of, LEGEND) }
        </section>
    }
}
