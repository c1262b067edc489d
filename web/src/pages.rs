//! The pages: home (the algorithms) and the playground of one algorithm.

use crate::components::controls::ControlBar;
use crate::components::faults::FaultPalette;
use crate::components::spacetime::SpaceTime;
use crate::components::inspector::Inspector;
use crate::components::invariants::InvariantPanel;
use crate::components::log::EventLog;
use crate::components::Store;
use crate::route::Route;
use crate::store::{Msg, State};
use crate::views::messaging::{MessagingCommands, MessagingView};
use dsplay_core::registry::{builtins_of, AlgoInfo, ALGORITHMS};
use gloo::timers::callback::Interval;
use web_sys::HtmlSelectElement;
use yew::prelude::*;
use yew_router::prelude::*;

/// Milliseconds between playback frames.
const FRAME_MS: u32 = 33;

#[function_component(Home)]
pub fn home() -> Html {
    html! {
        <main class="home">
            <section class="intro">
                <h1>{ "dsplay" }</h1>
                <p class="lead">{ "The classic algorithms of distributed systems, running step by step. Step forward and back, crash a node, cut the network, and watch what the algorithm does next." }</p>
            </section>
            <ul class="cards">
                { for ALGORITHMS.iter().map(card) }
            </ul>
        </main>
    }
}

fn card(a: &AlgoInfo) -> Html {
    let route = Route::for_algorithm(a.name);
    let count = builtins_of(a.name).count();
    html! {
        <li class="card">
            <Link<Route> to={route}>
                <h2>{ a.title }</h2>
                <p>{ a.summary }</p>
                <span class="muted">{ format!("{count} scenarios") }</span>
            </Link<Route>>
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct PlaygroundProps {
    pub algorithm: AttrValue,
}

#[function_component(Playground)]
pub fn playground(props: &PlaygroundProps) -> Html {
    let algorithm = props.algorithm.clone();
    let store: Store = use_reducer(move || State::new(&algorithm, None));

    // Playback: a frame every FRAME_MS while playing.
    {
        let store = store.clone();
        use_effect_with(store.playing, move |playing| {
            let interval = playing.then(|| {
                Interval::new(FRAME_MS, move || {
                    store.dispatch(Msg::Tick(f64::from(FRAME_MS)))
                })
            });
            move || drop(interval)
        });
    }

    let info = ALGORITHMS
        .iter()
        .find(|a| a.name == props.algorithm.as_str());
    let title = info.map_or("", |a| a.title);
    let (scenario_title, description) = {
        let s = store.session.borrow();
        (s.title().to_string(), s.description().to_string())
    };
    let on_scenario = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            store.dispatch(Msg::Load(el.value()));
        })
    };
    let dismiss = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| store.dispatch(Msg::DismissError))
    };
    let reset = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| store.dispatch(Msg::Reset))
    };
    let scenarios: Vec<(&str, String)> = builtins_of(&props.algorithm)
        .map(|b| {
            let title = dsplay_core::registry::load(b.json)
                .map(|s| s.title().to_string())
                .unwrap_or_else(|_| b.id.to_string());
            (b.id, title)
        })
        .collect();
    html! {
        <ContextProvider<Store> context={store.clone()}>
            <div class="app-shell playground">
                <header class="app-header">
                    <Link<Route> to={Route::Home} classes="brand">{ "dsplay" }</Link<Route>>
                    <span class="crumb">{ "/" }</span>
                    <h1 class="page-title">{ title }</h1>
                    <span class="spacer"></span>
                    <label class="scenario-pick">
                        <span>{ "Scenario" }</span>
                        <select onchange={on_scenario} aria-label="Scenario">
                            { for scenarios.iter().map(|(id, t)| html! {
                                <option value={*id} selected={store.scenario.as_deref() == Some(*id)}>{ t.clone() }</option>
                            }) }
                        </select>
                    </label>
                    <button class="ctl" onclick={reset} title="Undo everything you did in this scenario">{ "Reset" }</button>
                </header>
                <main class="app-view">
                    if let Some(err) = &store.error {
                        <div class="banner error-banner" role="alert">
                            <span>{ err.clone() }</span>
                            <button onclick={dismiss} aria-label="Dismiss">{ "✕" }</button>
                        </div>
                    }
                    if store.forked {
                        <div class="banner fork-banner" role="status">
                            { "You acted in the past: the old future was dropped and the run goes on from here." }
                        </div>
                    }
                    { algorithm_view(&props.algorithm) }
                </main>
                <aside class="side-panel">
                    <details class="panel scenario-text" open=true>
                        <summary>{ scenario_title }</summary>
                        <p>{ description }</p>
                    </details>
                    { algorithm_panel(&props.algorithm) }
                    <Inspector />
                    <FaultPalette />
                    <InvariantPanel />
                </aside>
                <section class="diagram-panel">
                    <SpaceTime />
                </section>
                <section class="log-panel">
                    <EventLog />
                </section>
                <ControlBar />
            </div>
        </ContextProvider<Store>>
    }
}

fn algorithm_view(algorithm: &str) -> Html {
    match algorithm {
        "messaging" => html! { <MessagingView /> },
        _ => html! { <p>{ "No view for this algorithm yet." }</p> },
    }
}

fn algorithm_panel(algorithm: &str) -> Html {
    match algorithm {
        "messaging" => html! { <MessagingCommands /> },
        _ => html! {},
    }
}

#[function_component(NotFound)]
pub fn not_found() -> Html {
    html! {
        <main class="home">
            <h1>{ "Page not found" }</h1>
            <p>{ "There is no such page. " }<Link<Route> to={Route::Home}>{ "See the algorithms" }</Link<Route>></p>
        </main>
    }
}
