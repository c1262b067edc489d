/// The side panel: make clients act, pause the holder past its lease, change the variant.
#[function_component(LocksPanel)]
pub fn locks_panel() -> Html {
    let store = use_stable_store();
    let clients_text = use_state(|| None::<String>);
    let ttl_text = use_state(|| None::<String>);
    let work_text = use_state(|| None::<String>);
    let writes_text = use_state(|| None::<String>);
    let form_error = use_state(|| None::<String>);

    let s = store.session.borrow();
    let Some(l) = s.as_any().downcast_ref::<Loaded<Locks>>() else {
        return html! {};
    };
    let sim = l.timeline.sim();
    let p = sim.proto().params().clone();
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
        .map(|(i, _, _)| names[*i].clone());
    let scenario_json = s.scenario_json();
    let ttl = p.ttl;
    drop(s);

    let command = |node: String, cmd: &'static str| {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| {
            let action = json!({"command": {"node": node, "cmd": cmd}});
            store.dispatch(Msg::Apply(action.to_string()));
        })
    };
    let client_buttons = clients.iter().map(|(i, c, st)| {
        let name = names[*i].clone();
        let down = *st != NodeStatus::Up;
        let (label, cmd, title) = match c.mem.phase {
            Phase::Idle => ("acquire", "acquire", "Ask for the lock, write, release"),
            Phase::Holding => ("release", "release", "Release the lock now"),
            Phase::Releasing => ("releasing", "release", ""),
            _ => ("give up", "release", "Stop waiting for the lock"),
        };
        // Releasing: the release is sent and waits for its acknowledgement; there is
        // nothing left to give up.
        let releasing = c.mem.phase == Phase::Releasing;
        html! {
            <button class={classes!("ctl", "client-btn", colour(*i))} key={name.clone()} disabled={down || releasing}
                onclick={command(name.clone(), cmd)}
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
        let store = store.clone();
        let holder = holder.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(h) = holder.clone() else { return };
            store.dispatch(Msg::Apply(json!({"pause": {"node": h}}).to_string()));
            // Run on to two TTLs later (computing the future as needed), resume the
            // holder there, and come back so the person can watch it happen.
            let (from, target_step) = {
                let mut s = store.session.borrow_mut();
                let from = s.pos();
                let target = s.time() + 2 * ttl;
                while s.next_time().is_some_and(|t| t < target) {
                    if !s.step_forward() {
                        break;
                    }
                }
                let k = s.pos();
                s.seek(from);
                (from, k)
            };
            store.dispatch(Msg::Seek(target_step));
            store.dispatch(Msg::Apply(json!({"resume": {"node": h}}).to_string()));
            store.dispatch(Msg::Seek(from));
        })
    };

    // Settings: each change restarts the run with the same script and your actions.
    let restart_with = {
        let store = store.clone();
        let scenario_json = scenario_json.clone();
        let form_error = form_error.clone();
        move |changes: Vec<(&'static str, Value)>| {
            let mut v: Value = match serde_json::from_str(&scenario_json) {
                Ok(v) => v,
                Err(_) => return,
            };
            for (k, x) in changes {
                v["params"][k] = x;
            }
            form_error.set(None);
            // The same run from the start, then back to the step the person was at.
            let here = store.session.borrow().pos();
            store.dispatch(Msg::Import(v.to_string()));
            store.dispatch(Msg::Seek(here));
        }
    };
    let on_variant = {
        let restart_with = restart_with.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            restart_with(vec![("variant", json!(el.value()))]);
        })
    };
    let toggle = |key: &'static str, on: bool| {
        let restart_with = restart_with.clone();
        Callback::from(move |_: Event| restart_with(vec![(key, json!(!on))]))
    };
    let text_input = |state: UseStateHandle<Option<String>>| {
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            state.set(Some(el.value()));
        })
    };
    let shown = |state: &UseStateHandle<Option<String>>, v: String| (**state).clone().unwrap_or(v);
    let fields = [
        (
            "clients",
            shown(&clients_text, p.clients.to_string()),
            1u64,
            12u64,
        ),
        ("ttl", shown(&ttl_text, p.ttl.to_string()), 30, 60_000),
        ("work", shown(&work_text, p.work.to_string()), 1, 60_000),
        ("writes", shown(&writes_text, p.writes.to_string()), 1, 10),
    ];
    let on_apply = {
        let restart_with = restart_with.clone();
        let fields = fields.clone();
        let form_error = form_error.clone();
        let states = [
            clients_text.clone(),
            ttl_text.clone(),
            work_text.clone(),
            writes_text.clone(),
        ];
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut changes = Vec::new();
            for (key, text, lo, hi) in &fields {
                match text.trim().parse::<u64>() {
                    Ok(v) if (*lo..=*hi).contains(&v) => changes.push((*key, json!(v))),
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
            restart_with(changes);
        })
    };
    let field_input = |i: usize, state: &UseStateHandle<Option<String>>, label: &'static str| {
        let (key, text, lo, hi) = fields[i].clone();
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
                    Some(h) => format!("Pause {h} now (a long GC pause) and resume it {} ms later, two leases on; then press play", 2 * ttl),
                    None => "No running client holds the lock right now".to_string(),
                }}>
                { match &holder { Some(h) => format!("Pause {h} (the holder) for longer than the TTL"), None => "Pause the holder for longer than the TTL".to_string() } }
            </button>
            <h2>{ "Lock variant" }</h2>
            <p class="muted small">{ "A change reruns the scenario with the same script and your actions, and comes back to this step." }</p>
            <label class="variant-pick">{ "Variant" }
                <select onchange={on_variant} aria-label="Lock variant"
                    title="Which lock the clients use; a change reruns the scenario with the same script and your actions">
                    { for [(Variant::Queue, "queue", "Lock server with wait queue"),
                           (Variant::Lease, "lease", "Redis-style lease lock (SET NX PX)"),
                           (Variant::Zookeeper, "zookeeper", "ZooKeeper lock recipe")].iter().map(|(v, key, text)| html! {
                        <option value={*key} selected={p.variant == *v}>{ *text }</option>
                    }) }
                </select>
            </label>
            <label class="check" title="The storage rejects writes whose token is lower than the highest it has accepted">
                <input type="checkbox" checked={p.fencing} onchange={toggle("fencing", p.fencing)} />
                { "Fencing tokens (storage rejects stale tokens)" }
            </label>
            if p.variant == Variant::Queue {
                <label class="check" title="Sessions with a lease: a silent client loses its place after the TTL">
                    <input type="checkbox" checked={p.leases} onchange={toggle("leases", p.leases)} />
                    { "Session leases (a silent holder loses the lock)" }
                </label>
            }
            if p.variant == Variant::Lease {
                <label class="check" title="Release deletes the key only if it still holds the client's token">
                    <input type="checkbox" checked={p.safe_release} onchange={toggle("safe_release", p.safe_release)} />
                    { "Compare-and-delete release (off: plain DEL)" }
                </label>
            }
            if p.variant == Variant::Zookeeper {
                <label class="check" title="Every waiter watches /lock and wakes on every change">
                    <input type="checkbox" checked={p.herd} onchange={toggle("herd", p.herd)} />
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

