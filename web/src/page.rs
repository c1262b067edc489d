//! An algorithm page: the shared shell around one algorithm's view and panel.
//!
//! Each page is its own document (`raft.html`) and its own WebAssembly binary: the shell
//! plus that one algorithm. Its state lives in the address's hash
//! (`raft.html#scenario=raft-partition&step=12`); an old address naming a page
//! (`#/raft?scenario=...`) is read when it names this page, and handed to the home page,
//! which knows every page, when it names another.

use crate::browser;
use crate::components::controls::control_bar;
use crate::components::custom::custom_scenario;
use crate::components::faults::{self, fault_palette};
use crate::components::help::shortcut_sheet;
use crate::components::inspector::inspector;
use crate::components::invariants::invariant_panel;
use crate::components::keys::use_keyboard;
use crate::components::log::{announcer, event_log};
use crate::components::share::{self, export_menu, share_button, use_popovers};
use crate::components::spacetime::SpaceTime;
use crate::components::{use_shell, Shell};
use crate::store::{Clock, Msg, Seek, ShellMsg, State};
use crate::url::{route, Route, UrlState};
use dsplay_core::{Algorithm, Protocol};
use gloo::timers::callback::Interval;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// An algorithm's page: its protocol, its own view and its side panel. Everything else on
/// the page is the shared shell.
pub trait Page: 'static {
    type Algo: Algorithm;
    /// The algorithm's own drawing (it reads [`crate::components::use_typed`]).
    fn view() -> Html;
    /// What the side panel adds for this algorithm: commands, options, a legend.
    fn panel() -> Html;
}

/// How long the page stays still before the URL is brought up to date (ms).
const URL_DELAY_MS: u32 = 150;

/// Start page `A` in this document: mounted into the element with id `app` (its loading
/// message removed), or into `<body>`. An address that belongs to another page goes there
/// instead.
pub fn start<A: Page>() {
    crate::panic::install();
    let query = match route(&browser::current_hash(), A::Algo::NAME) {
        Route::Here(query) => query,
        Route::Elsewhere(href) => {
            browser::go(&href);
            return;
        }
    };
    let document = gloo::utils::document();
    let root = match document.get_element_by_id("app") {
        Some(root) => {
            root.set_text_content(None);
            root
        }
        None => document.body().expect("a document has a body").into(),
    };
    // The page lives as long as the document (dropping the handle does not unmount it).
    mount::<A>(root, &query);
}

/// Render page `A` into `root`, in the state `query` (the address's state part) describes.
pub fn mount<A: Page>(root: web_sys::Element, query: &str) -> yew::AppHandle<Playground<A>> {
    let props = PlaygroundProps {
        query: AttrValue::from(query.to_string()),
    };
    yew::Renderer::<Playground<A>>::with_root_and_props(root, props).render()
}

#[derive(Properties, PartialEq)]
pub struct PlaygroundProps {
    /// The state part of the address when the page opened.
    pub query: AttrValue,
}

/// The page: the shell around `A`'s view and panel.
#[function_component(Playground)]
pub fn playground<A: Page>(props: &PlaygroundProps) -> Html {
    let query = props.query.clone();
    let store = use_reducer(move || {
        let (url, problems) = UrlState::parse(&query);
        State::<A::Algo>::from_url(&url, problems)
    });
    let dispatch = {
        let d = store.dispatcher();
        (*use_memo((), move |_| {
            Callback::from(move |m: ShellMsg| d.dispatch(Msg::Shell(m)))
        }))
        .clone()
    };
    let shell = Shell::new(&store, dispatch.clone(), store.dispatcher());
    let clock: Clock = store.clock;
    use_keyboard(dispatch.clone());
    use_playback(dispatch.clone(), store.ui.playing, store.seek.is_some());
    {
        // A changed address (typed, back/forward, a link) shows what it says.
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let listener =
                gloo::events::EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                    match route(&browser::current_hash(), A::Algo::NAME) {
                        Route::Here(query) => dispatch.emit(ShellMsg::FromUrl(query)),
                        Route::Elsewhere(href) => browser::go(&href),
                    }
                });
            move || drop(listener)
        });
    }
    // Keep the address in step with what is shown: not during playback, and only once the
    // page has been still for a moment (a browser takes milliseconds to replace a URL,
    // which stepping through a run with a held key would pay on every step).
    {
        // Not written while playing, so not computed either: a custom scenario's address
        // carries the whole scenario, and encoding it (and reading the address back) on
        // every step cost more than drawing the step.
        let query = (!store.ui.playing).then(|| store.to_url().to_query());
        let pending = use_mut_ref(|| None::<gloo::timers::callback::Timeout>);
        use_effect_with(query, move |query| {
            // Replacing the timer cancels the one before it (playing: none follows). An
            // address that changed meanwhile wins: its hashchange brings the state in line,
            // and that new state schedules its own write.
            *pending.borrow_mut() = query.as_ref().map(|query| {
                let seen = browser::current_hash();
                let hash = format!("#{query}");
                gloo::timers::callback::Timeout::new(URL_DELAY_MS, move || {
                    let now = browser::current_hash();
                    if now == seen && now != hash {
                        browser::replace_hash(&hash);
                    }
                })
            });
        });
    }

    html! {
        <ContextProvider<Shell> context={shell}>
            <ContextProvider<Clock> context={clock}>
                <ShellView view={A::view()} panel={A::panel()} seek={store.seek} />
            </ContextProvider<Clock>>
        </ContextProvider<Shell>>
    }
}

/// Playback: one tick per animation frame while playing, with the real time elapsed. A
/// long seek: one slice per turn of the event loop while it lasts, so the page draws its
/// progress and answers keys and clicks (Stop) between slices (it stops playback).
#[hook]
fn use_playback(dispatch: Callback<ShellMsg>, playing: bool, seeking: bool) {
    use_effect_with((playing, seeking), move |&(playing, seeking)| {
        // What drives the seek or playback (a timer, a frame loop): it stops when dropped.
        let handle: Option<Box<dyn std::any::Any>> = if seeking {
            Some(Box::new(Interval::new(0, move || {
                dispatch.emit(ShellMsg::SeekSlice)
            })))
        } else if playing {
            let reduced = browser::prefers_reduced_motion();
            let last = std::rc::Rc::new(std::cell::Cell::new(browser::now_ms()));
            Some(Box::new(browser::FrameLoop::new(move |_| {
                let now = browser::now_ms();
                // A hidden tab or a long frame must not jump the simulation far ahead.
                let dt = (now - last.replace(now)).clamp(0.0, 100.0);
                dispatch.emit(if reduced {
                    ShellMsg::TickJump(dt)
                } else {
                    ShellMsg::Tick(dt)
                });
            })))
        } else {
            None
        };
        move || drop(handle)
    });
}

/// How often the event log is drawn again while playing, in ms of real time.
const LOG_EVERY_MS: f64 = 250.0;

#[derive(Properties, PartialEq)]
struct ShellViewProps {
    /// The algorithm's drawing.
    view: Html,
    /// What the side panel adds for the algorithm.
    panel: Html,
    /// The long seek under way, if any (its progress changes on every slice).
    seek: Option<Seek>,
}

/// Everything on the page around the algorithm's view and panel: the header and its
/// controls, the banners, the scenario's text, the properties, the inspector and the fault
/// palette, the diagram (a component of its own), the log, the control bar, and the
/// keyboard sheet and the scenario editor while they are open (not the editor in an
/// embedded page). One component: they read the same shell and are drawn again together,
/// when the shell changes (not on every frame of playback, as the page is).
#[function_component(ShellView)]
fn shell_view(props: &ShellViewProps) -> Html {
    let shell = use_shell();
    // Titles read once from the files (loading a scenario would run its set-up).
    let scenarios = use_memo(shell.page.name, |_| {
        shell
            .page
            .builtins
            .iter()
            .map(|b| (b.id, b.title()))
            .collect::<Vec<_>>()
    });
    let popovers = use_popovers();
    let presenter = use_state(|| false);
    let theme = use_state(|| None::<&'static str>);
    use_effect_with((*presenter, *theme), |&(on, theme)| {
        browser::root_class("presenter", on);
        browser::set_theme(theme);
    });
    let delay = use_state(|| faults::DEFAULT_DELAY.to_string());
    let custom_text = use_state(String::new);
    let log_filter = use_state(|| None::<u32>);
    let log_shown = use_state(|| crate::components::log::FIRST);
    // While playing, the log is written again at most LOG_EVERY_MS apart: several steps a
    // frame would each add an entry and move the others down, for text nobody can read at
    // that speed. Stopped, it follows every step at once.
    let log_cache = use_mut_ref(|| (f64::NEG_INFINITY, Html::default()));
    let log_html = {
        let now = browser::now_ms();
        let mut cache = log_cache.borrow_mut();
        if !shell.playing || now - cache.0 >= LOG_EVERY_MS {
            *cache = (now, event_log(&shell, &log_filter, &log_shown));
        }
        cache.1.clone()
    };

    let banners = html! {
        <>
            if let Some(err) = &shell.error {
                <div class="banner error-banner" role="alert">
                    <span>{ err.clone() }</span>
                    <button onclick={shell.on(ShellMsg::DismissError)} aria-label="Dismiss">{ "✕" }</button>
                </div>
            }
            if shell.forked {
                <div class="banner fork-banner" role="status">
                    { "You acted in the past: the old future was dropped and the run goes on from here." }
                </div>
            }
        </>
    };
    let footer = html! {
        <>
            { control_bar(&shell, props.seek) }
            { announcer(&shell) }
            { shortcut_sheet(&shell) }
            if !shell.embed {
                { custom_scenario(&shell, &custom_text) }
            }
        </>
    };
    if shell.embed {
        let full = share::state_link(&shell.to_url(), false);
        return html! {
            <div class="app-shell embed">
                <main class="app-view">
                    <h1 class="visually-hidden">{ shell.page.title }</h1>
                    { banners }
                    <a class="open-full" href={full} target="_blank" rel="noopener">{ "Open in dsplay" }</a>
                    { props.view.clone() }
                </main>
                { footer }
            </div>
        };
    }
    let (scenario_title, description) = {
        let s = shell.session.borrow();
        (s.title().to_string(), s.description().to_string())
    };
    html! {
        <div class="app-shell playground">
            <header class="app-header">
                <a class="brand" href="index.html">{ "dsplay" }</a>
                <span class="crumb">{ "/" }</span>
                <h1 class="page-title">{ shell.page.title }</h1>
                { scenario_picker(&shell, &scenarios) }
                { seed_field(&shell) }
                <span class="spacer"></span>
                { reset_button(&shell) }
                { share_button(&shell, &popovers) }
                { export_menu(&shell, &popovers) }
                { view_toggles(presenter, theme) }
                <button class="ctl" onclick={shell.on(ShellMsg::ToggleHelp)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)"><span aria-hidden="true">{ "?" }</span></button>
            </header>
            <main class="app-view">
                { banners }
                { props.view.clone() }
            </main>
            <aside class="side-panel">
                <details class="panel scenario-text" open=true>
                    <summary>{ scenario_title }</summary>
                    <p>{ description }</p>
                    if let Some(notice) = &shell.notice {
                        <p class="fit-note" role="status">{ notice.clone() }</p>
                    }
                </details>
                { invariant_panel(&shell) }
                { inspector(&shell) }
                { fault_palette(&shell, &delay) }
                { props.panel.clone() }
            </aside>
            <section class="diagram-panel" aria-label="Space-time diagram">
                <SpaceTime />
            </section>
            <section class="log-panel" aria-label="Event log">
                { log_html }
            </section>
            { footer }
        </div>
    }
}

fn scenario_picker(shell: &Shell, scenarios: &[(&'static str, String)]) -> Html {
    let on_change = {
        let shell = shell.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            match el.value().as_str() {
                "" => {}
                "custom" => {
                    // The picker keeps showing the scenario that is loaded.
                    if let Some(id) = shell.scenario {
                        el.set_value(id);
                    }
                    shell.dispatch(ShellMsg::EditScenario(true));
                }
                id => shell.dispatch(ShellMsg::Load(id.to_string())),
            }
        })
    };
    html! {
        <label class="scenario-pick">
            <span class="hdr-label">{ "Scenario" }</span>
            <select onchange={on_change} aria-label="Scenario">
                { for scenarios.iter().map(|(id, t)| html! {
                    <option value={*id} selected={shell.scenario == Some(*id)}>{ t.clone() }</option>
                }) }
                if shell.scenario.is_none() {
                    <option value="" selected=true disabled=true>{ "Custom" }</option>
                }
                <option value="custom">{ "Custom… (edit parameters)" }</option>
            </select>
        </label>
    }
}

fn seed_field(shell: &Shell) -> Html {
    let seed = shell.session.borrow().seed();
    let on_change = {
        let shell = shell.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            match el.value().trim().parse::<u64>() {
                Ok(n) => shell.dispatch(ShellMsg::SetSeed(n)),
                Err(_) => {
                    shell.dispatch(ShellMsg::Fail(format!(
                        "a seed is a whole number from 0 to {}, not `{}`",
                        u64::MAX,
                        el.value()
                    )));
                    el.set_value(&shell.session.borrow().seed().to_string());
                }
            }
        })
    };
    let new_seed = {
        let shell = shell.clone();
        Callback::from(move |_: MouseEvent| {
            shell.dispatch(ShellMsg::SetSeed(browser::random_seed()))
        })
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

fn reset_button(shell: &Shell) -> Html {
    let has_actions = shell.session.borrow().has_user_actions();
    html! {
        <button class="ctl" onclick={shell.on(ShellMsg::Reset)} disabled={!has_actions}
            title={if has_actions { "Undo everything you did in this scenario" } else { "Nothing to undo: you have not acted in this scenario" }}>
            { "Reset" }</button>
    }
}

fn view_toggles(
    presenter: UseStateHandle<bool>,
    theme: UseStateHandle<Option<&'static str>>,
) -> Html {
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
                <span aria-hidden="true">{ match *theme { None => "◐", Some("dark") => "●", _ => "○" } }</span>
            </button>
        </>
    }
}
