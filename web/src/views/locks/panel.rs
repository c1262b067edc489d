//! The locks page's side panel: make clients act, pause the holder past its lease, change
//! the variant, its toggles and its numbers.

use super::{colour, status_word};
use crate::components::use_typed;
use crate::store::ShellMsg;
use dsplay_core::algo::locks::{
    Client, Cmd, Locks, Node, Params, Phase, Variant, CURRENT_HOLDER, FENCED_ORDER, MAX_CLIENTS,
};
use dsplay_core::session::Session;
use dsplay_core::sim::{Action, NodeId, NodeStatus};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The variants, as the select offers them.
const VARIANTS: [(Variant, &str, &str); 3] = [
    (Variant::Queue, "queue", "Lock server with wait queue"),
    (
        Variant::Lease,
        "lease",
        "Redis-style lease lock (SET NX PX)",
    ),
    (Variant::Zookeeper, "zookeeper", "ZooKeeper lock recipe"),
];

/// The side panel: make clients act, pause the holder past its lease, change the variant.
#[function_component(LocksPanel)]
pub fn locks_panel() -> Html {
    let typed = use_typed::<Locks>();
    let clients_text = use_state(|| None::<String>);
    let ttl_text = use_state(|| None::<String>);
    let work_text = use_state(|| None::<String>);
    let writes_text = use_state(|| None::<String>);
    let form_error = use_state(|| None::<String>);

    let s = typed.run.borrow();
    let sim = s.timeline.sim();
    let p = s.scenario.params.clone();
    let names = s.names().to_vec();
    let n = p.clients as usize;
    let clients: Vec<(usize, Client, NodeStatus)> = (0..n)
        .map(|i| {
            let c = match sim.node(NodeId(i as u32)) {
                Node::Client(c) => c.clone(),
                _ => Client::default(),
            };
            (i, c, s.status(i as u32).unwrap_or(NodeStatus::Up))
        })
        .collect();
    let holder = clients
        .iter()
        .find(|(_, c, st)| c.mem.phase == Phase::Holding && *st == NodeStatus::Up)
        .map(|(i, _, _)| (NodeId(*i as u32), names[*i].clone()));
    let ttl = p.ttl;
    drop(s);

    let command = |i: usize, cmd: Cmd| {
        typed.on_act(Action::Command {
            node: NodeId(i as u32),
            cmd,
        })
    };
    let client_buttons = clients.iter().map(|(i, c, st)| {
        let name = names[*i].clone();
        let down = *st != NodeStatus::Up;
        let (label, cmd, title) = match c.mem.phase {
            Phase::Idle => ("acquire", Cmd::Acquire, "Ask for the lock, write, release"),
            Phase::Holding => ("release", Cmd::Release, "Release the lock now"),
            Phase::Releasing => ("releasing", Cmd::Release, ""),
            _ => ("give up", Cmd::Release, "Stop waiting for the lock"),
        };
        // Releasing: the release is sent and waits for its acknowledgement; there is
        // nothing left to give up.
        let releasing = c.mem.phase == Phase::Releasing;
        html! {
            <button class={classes!("ctl", "client-btn", colour(*i))} key={name.clone()} disabled={down || releasing}
                onclick={command(*i, cmd)}
                title={if down {
                    format!("{name} is {}: it cannot act", status_word(*st).unwrap_or("down"))
                } else if releasing {
                    format!("{name} has already sent its release and waits for the lock service to confirm it: nothing to do")
                } else {
                    format!("{title} ({name})")
                }}>
                <span class="swatch"></span>{ format!("{name} {label}") }
            </button>
        }
    });

    let pause_holder = {
        let typed = typed.clone();
        let holder = holder.as_ref().map(|(id, _)| *id);
        Callback::from(move |_: MouseEvent| {
            let Some(node) = holder else { return };
            // Pause the holder, run on to two TTLs later (on a copy of the run, computing
            // the future as needed) to find the step where it resumes, resume it there, and
            // come back so the person can watch it happen.
            let (from, resume_at) = {
                let mut run = typed.run.borrow().clone();
                if run.apply(Action::Pause { node }).is_err() {
                    return;
                }
                let from = run.pos();
                let target = run.time() + 2 * ttl;
                while run.next_time().is_some_and(|t| t < target) {
                    if !run.step_forward() {
                        break;
                    }
                }
                (from, run.pos())
            };
            typed.act(Action::Pause { node });
            typed.shell(ShellMsg::Seek(resume_at));
            typed.act(Action::Resume { node });
            typed.shell(ShellMsg::Seek(from));
        })
    };

    // Settings: each change restarts the run with the same script and your actions.
    let restart_with = {
        let typed = typed.clone();
        let form_error = form_error.clone();
        move |params: Params| {
            form_error.set(None);
            typed.restart(params);
        }
    };
    let on_variant = {
        let restart_with = restart_with.clone();
        let p = p.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            let value = el.value();
            if let Some((variant, _, _)) = VARIANTS.iter().find(|(_, key, _)| *key == value) {
                restart_with(Params {
                    variant: *variant,
                    ..p.clone()
                });
            }
        })
    };
    let toggle = |flip: fn(&mut Params)| {
        let restart_with = restart_with.clone();
        let p = p.clone();
        Callback::from(move |_: Event| {
            let mut next = p.clone();
            flip(&mut next);
            restart_with(next)
        })
    };
    let text_input = |state: UseStateHandle<Option<String>>| {
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            state.set(Some(el.value()));
        })
    };
    let shown = |state: &UseStateHandle<Option<String>>, v: String| (**state).clone().unwrap_or(v);
    // Each field: its name, the text shown, the range the page accepts and where the value
    // goes in the parameters (the protocol refuses the same ranges; these give the words).
    type Set = fn(&mut Params, u64);
    let fields: [(&str, String, u64, u64, Set); 4] = [
        (
            "clients",
            shown(&clients_text, p.clients.to_string()),
            1,
            MAX_CLIENTS as u64,
            |p, v| p.clients = v as u32,
        ),
        (
            "ttl",
            shown(&ttl_text, p.ttl.to_string()),
            30,
            60_000,
            |p, v| p.ttl = v,
        ),
        (
            "work",
            shown(&work_text, p.work.to_string()),
            1,
            60_000,
            |p, v| p.work = v,
        ),
        (
            "writes",
            shown(&writes_text, p.writes.to_string()),
            1,
            10,
            |p, v| p.writes = v as u32,
        ),
    ];
    let on_apply = {
        let restart_with = restart_with.clone();
        let fields = fields.clone();
        let p = p.clone();
        let form_error = form_error.clone();
        let states = [
            clients_text.clone(),
            ttl_text.clone(),
            work_text.clone(),
            writes_text.clone(),
        ];
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut next = p.clone();
            for (key, text, lo, hi, set) in &fields {
                match text.trim().parse::<u64>() {
                    Ok(v) if (*lo..=*hi).contains(&v) => set(&mut next, v),
                    _ => {
                        form_error.set(Some(format!(
                            "{key} must be a whole number from {lo} to {hi} (got `{}`); nothing was changed",
                            text.trim()
                        )));
                        return;
                    }
                }
            }
            for st in &states {
                st.set(None);
            }
            restart_with(next);
        })
    };
    let field_input = |i: usize, state: &UseStateHandle<Option<String>>, label: &'static str| {
        let (key, text, lo, hi, _) = fields[i].clone();
        let bad = !matches!(text.trim().parse::<u64>(), Ok(v) if (lo..=hi).contains(&v));
        html! {
            <label title={format!("{label}: {lo} to {hi}")}>{ label }
                <input type="text" inputmode="numeric" size="5" value={text} oninput={text_input(state.clone())}
                    aria-label={key} aria-invalid={bad.to_string()} />
            </label>
        }
    };

    html! {
        <section class="panel locks-panel" aria-label="Distributed locks">
            <h2>{ "Make the clients act" }</h2>
            <div class="client-buttons">{ for client_buttons }</div>
            <button class="primary pause-holder" disabled={holder.is_none()} onclick={pause_holder}
                title={match &holder {
                    Some((_, h)) => format!("Pause {h} now (a long GC pause) and resume it {} ms later, two leases on; then press play", 2 * ttl),
                    None => "No running client holds the lock right now".to_string(),
                }}>
                { match &holder { Some((_, h)) => format!("Pause {h} (the holder) for longer than the TTL"), None => "Pause the holder for longer than the TTL".to_string() } }
            </button>
            <h2>{ "Lock variant" }</h2>
            <p class="muted small">{ "A change reruns the scenario with the same script and your actions, and comes back to this step." }</p>
            <label class="variant-pick">{ "Variant" }
                <select onchange={on_variant} aria-label="Lock variant"
                    title="Which lock the clients use; a change reruns the scenario with the same script and your actions">
                    { for VARIANTS.iter().map(|(v, key, text)| html! {
                        <option value={*key} selected={p.variant == *v}>{ *text }</option>
                    }) }
                </select>
            </label>
            <label class="check" title="The storage rejects writes whose token is lower than the highest it has accepted">
                <input type="checkbox" checked={p.fencing} onchange={toggle(|p| p.fencing = !p.fencing)} />
                { "Fencing tokens (storage rejects stale tokens)" }
            </label>
            <p class="fencing-note small">
                { "Fencing restores " }<strong>{ FENCED_ORDER }</strong>
                { ": no accepted write goes back in token order. It does not restore " }
                <strong>{ CURRENT_HOLDER }</strong>
                { ": a former holder's write that lands before the new holder's first write is still accepted (the storage has seen no higher token yet)." }
            </p>
            if p.variant == Variant::Lease || p.leases || p.variant == Variant::Zookeeper {
                <p class="drift-note small">{ format!(
                    "Leases assume bounded clock drift: a holder's clock may run at most {}× slower than the lock service's ({} writes {} ms apart must end within the {} ms TTL).",
                    dsplay_core::decimal::fixed(p.drift_bound(), 1), p.writes, p.work, p.ttl
                ) }</p>
            }
            if p.variant == Variant::Queue {
                <label class="check" title="Sessions with a lease: a silent client loses its place after the TTL">
                    <input type="checkbox" checked={p.leases} onchange={toggle(|p| p.leases = !p.leases)} />
                    { "Session leases (a silent holder loses the lock)" }
                </label>
            }
            if p.variant == Variant::Lease {
                <label class="check" title="Release deletes the key only if it still holds the client's token">
                    <input type="checkbox" checked={p.safe_release} onchange={toggle(|p| p.safe_release = !p.safe_release)} />
                    { "Compare-and-delete release (off: plain DEL)" }
                </label>
            }
            if p.variant == Variant::Zookeeper {
                <label class="check" title="Every waiter watches /lock and wakes on every change">
                    <input type="checkbox" checked={p.herd} onchange={toggle(|p| p.herd = !p.herd)} />
                    { "Herd: everyone watches /lock" }
                </label>
            }
            <form class="lock-params" onsubmit={on_apply}>
                { field_input(0, &clients_text, "clients") }
                { field_input(1, &ttl_text, "TTL ms") }
                { field_input(2, &work_text, "work ms") }
                { field_input(3, &writes_text, "writes") }
                <button type="submit" class="ctl"
                    title="Rerun the scenario with these numbers (out-of-range values are refused and nothing changes)">{ "Apply" }</button>
            </form>
            if let Some(e) = &*form_error {
                <p class="form-error" role="alert">{ e.clone() }</p>
            }
        </section>
    }
}
