//! The pages: home (the algorithms) and the playground of one algorithm.

use crate::browser;
use crate::components::controls::ControlBar;
use crate::components::custom::CustomScenario;
use crate::components::faults::FaultPalette;
use crate::components::help::ShortcutSheet;
use crate::components::inspector::Inspector;
use crate::components::invariants::InvariantPanel;
use crate::components::keys::use_keyboard;
use crate::components::log::EventLog;
use crate::components::share::{self, ExportMenu, ShareButton};
use crate::components::spacetime::SpaceTime;
use crate::components::{StableStore, Store};
use crate::route::Route;
use crate::store::{Msg, State};
use crate::url::UrlState;
use crate::views::hashring::{HashringPanel, HashringView};
use crate::views::locks::{LocksPanel, LocksView};
use crate::views::messaging::{MessagingCommands, MessagingView};
use crate::views::raft::{RaftPanel, RaftView};
use crate::views::transactions::{TransactionsPanel, TransactionsView};
use dsplay_core::catalog::{Entry as AlgoInfo, CATALOG as ALGORITHMS};
fn builtins_of(a: &str) -> impl Iterator<Item = &'static dsplay_core::Builtin> + '_ {
    dsplay_core::catalog::builtins().filter(move |b| b.algorithm == a)
}
use gloo::timers::callback::Interval;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

/// Milliseconds between playback frames.
const FRAME_MS: u32 = 16;

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
                { crate::views::preview(a.name) }
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

/// How long the page stays still before the URL is brought up to date (ms).
const URL_DELAY_MS: u32 = 150;

#[function_component(Playground)]
pub fn playground(props: &PlaygroundProps) -> Html {
    let algorithm = props.algorithm.clone();
    let store: Store = use_reducer(move || {
        let (url, problems) = UrlState::parse(&browser::hash_query());
        State::from_url(&algorithm, &url, problems)
    });
    use_keyboard(store.clone());
    use_playback(store.clone());
    {
        // A hand-edited URL (or back/forward) shows what it says.
        let store = store.clone();
        let algo = props.algorithm.to_string();
        use_effect_with((), move |_| {
            let listener =
                gloo::events::EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                    store.dispatch(Msg::FromUrl {
                        algorithm: algo.clone(),
                        query: browser::hash_query(),
                    });
                });
            move || drop(listener)
        });
    }

    // Keep the URL in step with what is shown: not during playback, and only once the
    // page has been still for a moment (a browser takes milliseconds to replace a URL,
    // which stepping through a run with a held key would pay on every step).
    {
        let store = store.clone();
        let algo = props.algorithm.clone();
        let pending = use_mut_ref(|| None::<gloo::timers::callback::Timeout>);
        use_effect_with(
            (store.version, store.scenario.clone(), store.playing),
            move |_| {
                // Replacing the timer cancels the one before it. A URL that changed
                // meanwhile (typed, back/forward, a link) wins: its hashchange brings the
                // state in line, and that new state schedules its own write.
                let seen = browser::current_hash();
                *pending.borrow_mut() = (!store.playing).then(|| {
                    gloo::timers::callback::Timeout::new(URL_DELAY_MS, move || {
                        let now = browser::current_hash();
                        if now != seen {
                            return;
                        }
                        let hash = format!("#/{algo}?{}", store.to_url().to_query());
                        if now != hash {
                            browser::replace_hash(&hash);
                        }
                    })
                });
            },
        );
    }

    let info = ALGORITHMS
        .iter()
        .find(|a| a.name == props.algorithm.as_str());
    let title = info.map_or("", |a| a.title);
    let (scenario_title, description) = {
        let s = store.session.borrow();
        (s.title().to_string(), s.description().to_string())
    };
    let dismiss = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| store.dispatch(Msg::DismissError))
    };
    let banners = html! {
        <>
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
        </>
    };

    if store.embed {
        let full = share::state_link(&store, false);
        return html! {
            <ContextProvider<Store> context={store.clone()}>
            <ContextProvider<StableStore> context={StableStore::new(&store)}>
                <div class="app-shell embed">
                    <main class="app-view">
                        { banners }
                        <a class="open-full" href={full} target="_blank" rel="noopener">{ "Open in dsplay" }</a>
                        { algorithm_view(&props.algorithm) }
                    </main>
                    <ControlBar />
                    <ShortcutSheet />
                </div>
            </ContextProvider<StableStore>>
            </ContextProvider<Store>>
        };
    }

    html! {
        <ContextProvider<Store> context={store.clone()}>
            <ContextProvider<StableStore> context={StableStore::new(&store)}>
            <div class="app-shell playground">
                <header class="app-header">
                    <Link<Route> to={Route::Home} classes="brand">{ "dsplay" }</Link<Route>>
                    <span class="crumb">{ "/" }</span>
                    <h1 class="page-title">{ title }</h1>
                    <ScenarioPicker algorithm={props.algorithm.clone()} />
                    <SeedField />
                    <span class="spacer"></span>
                    <ResetButton />
                    <ShareButton />
                    <ExportMenu />
                    <ViewToggles />
                    <HelpButton />
                </header>
                <main class="app-view">
                    { banners }
                    { algorithm_view(&props.algorithm) }
                </main>
                <aside class="side-panel">
                    <details class="panel scenario-text" open=true>
                        <summary>{ scenario_title }</summary>
                        <p>{ description }</p>
                    </details>
                    <InvariantPanel />
                    <Inspector />
                    <FaultPalette />
                    { algorithm_panel(&props.algorithm) }
                </aside>
                <section class="diagram-panel">
                    <SpaceTime />
                </section>
                <section class="log-panel">
                    <EventLog />
                </section>
                <ControlBar />
                <ShortcutSheet />
                <CustomScenario />
            </div>
        </ContextProvider<StableStore>>
            </ContextProvider<Store>>
    }
}

/// Playback: one frame per animation frame while playing, with the real time elapsed.
#[hook]
fn use_playback(store: Store) {
    use_effect_with(store.playing, move |playing| {
        let handle = playing.then(|| {
            let reduced = browser::prefers_reduced_motion();
            let last = std::rc::Rc::new(std::cell::Cell::new(browser::now_ms()));
            Interval::new(FRAME_MS, move || {
                let now = browser::now_ms();
                // A hidden tab or a long frame must not jump the simulation far ahead.
                let dt = (now - last.replace(now)).clamp(0.0, 100.0);
                store.dispatch(if reduced {
                    Msg::TickJump(dt)
                } else {
                    Msg::Tick(dt)
                });
            })
        });
        move || drop(handle)
    });
}

#[derive(Properties, PartialEq)]
struct AlgoProps {
    algorithm: AttrValue,
}

#[function_component(ScenarioPicker)]
fn scenario_picker(props: &AlgoProps) -> Html {
    let store = crate::components::use_stable_store();
    // Titles read once from the files (loading a scenario would run its set-up).
    let scenarios = use_memo(props.algorithm.clone(), |algorithm| {
        builtins_of(algorithm)
            .map(|b| {
                let title = serde_json::from_str::<serde_json::Value>(b.json)
                    .ok()
                    .and_then(|v| v.get("title").and_then(|t| t.as_str()).map(str::to_string))
                    .unwrap_or_else(|| b.id.to_string());
                (b.id, title)
            })
            .collect::<Vec<_>>()
    });
    let on_change = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            match el.value().as_str() {
                "" => {}
                "custom" => {
                    // The picker keeps showing the scenario that is loaded.
                    if let Some(id) = store.scenario.as_deref() {
                        el.set_value(id);
                    }
                    store.dispatch(Msg::EditScenario(true));
                }
                id => store.dispatch(Msg::Load(id.to_string())),
            }
        })
    };
    html! {
        <label class="scenario-pick">
            <span class="hdr-label">{ "Scenario" }</span>
            <select onchange={on_change} aria-label="Scenario">
                { for scenarios.iter().map(|(id, t)| html! {
                    <option value={*id} selected={store.scenario.as_deref() == Some(*id)}>{ t.clone() }</option>
                }) }
                if store.scenario.is_none() {
                    <option value="" selected=true disabled=true>{ "Custom" }</option>
                }
                <option value="custom">{ "Custom… (edit parameters)" }</option>
            </select>
        </label>
    }
}

#[function_component(SeedField)]
fn seed_field() -> Html {
    let store = crate::components::use_stable_store();
    let seed = store.session.borrow().seed();
    let on_change = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            match el.value().trim().parse::<u64>() {
                Ok(n) => store.dispatch(Msg::SetSeed(n)),
                Err(_) => {
                    store.dispatch(Msg::Fail(format!(
                        "a seed is a whole number from 0 to {}, not `{}`",
                        u64::MAX,
                        el.value()
                    )));
                    el.set_value(&store.session.borrow().seed().to_string());
                }
            }
        })
    };
    let new_seed = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| store.dispatch(Msg::SetSeed(browser::random_seed())))
    };
    html! {
        <div class="seed">
            <label>
                <span>{ "Seed" }</span>
                <input type="text" inputmode="numeric" value={seed.to_string()} onchange={on_change}
                    aria-label="Seed" size="8" />
            </label>
            <button class="ctl" onclick={new_seed} title="Run the scenario again with a random seed"
                aria-label="New seed">{ "New" }</button>
        </div>
    }
}

#[function_component(ResetButton)]
fn reset_button() -> Html {
    let store = crate::components::use_stable_store();
    let has_actions = store.session.borrow().user_actions_json() != "[]";
    let reset = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| store.dispatch(Msg::Reset))
    };
    html! {
        <button class="ctl" onclick={reset} disabled={!has_actions}
            title="Undo everything you did in this scenario">{ "Reset" }</button>
    }
}

#[function_component(ViewToggles)]
fn view_toggles() -> Html {
    let presenter = use_state(|| false);
    let theme = use_state(|| None::<&'static str>);
    {
        let on = *presenter;
        use_effect_with(on, move |on| browser::root_class("presenter", *on));
    }
    {
        let t = *theme;
        use_effect_with(t, move |t| browser::set_theme(*t));
    }
    let toggle_presenter = {
        let presenter = presenter.clone();
        Callback::from(move |_: MouseEvent| presenter.set(!*presenter))
    };
    let next_theme = {
        let theme = theme.clone();
        Callback::from(move |_: MouseEvent| {
            theme.set(match *theme {
                None => Some("dark"),
                Some("dark") => Some("light"),
                _ => None,
            })
        })
    };
    let theme_label = match *theme {
        None => "Theme: as the system (click for dark)",
        Some("dark") => "Theme: dark (click for light)",
        _ => "Theme: light (click to follow the system)",
    };
    html! {
        <>
            <button class="ctl" onclick={toggle_presenter} aria-pressed={presenter.to_string()}
                title="Large type and thick lines for a projector">{ "Presenter" }</button>
            <button class="ctl" onclick={next_theme} title={theme_label} aria-label={theme_label}>
                { match *theme { None => "◐", Some("dark") => "●", _ => "○" } }
            </button>
        </>
    }
}

#[function_component(HelpButton)]
fn help_button() -> Html {
    let store = crate::components::use_stable_store();
    let onclick = Callback::from(move |_: MouseEvent| store.dispatch(Msg::ToggleHelp));
    html! {
        <button class="ctl" {onclick} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">{ "?" }</button>
    }
}

fn algorithm_view(algorithm: &str) -> Html {
    match algorithm {
        "messaging" => html! { <MessagingView /> },
        "hashring" => html! { <HashringView /> },
        "transactions" => html! { <TransactionsView /> },
        "locks" => html! { <LocksView /> },
        "raft" => html! { <RaftView /> },
        _ => html! { <p>{ "No view for this algorithm yet." }</p> },
    }
}

fn algorithm_panel(algorithm: &str) -> Html {
    match algorithm {
        "messaging" => html! { <MessagingCommands /> },
        "hashring" => html! { <HashringPanel /> },
        "transactions" => html! { <TransactionsPanel /> },
        "locks" => html! { <LocksPanel /> },
        "raft" => html! { <RaftPanel /> },
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
