//! The event log: every step's narration up to the current one, newest last.

use super::Shell;
use crate::store::ShellMsg;
use dsplay_core::session::StepView;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// How many entries the log lists at first, newest first: a screenful and some. Each entry
/// is narrated and drawn on every step, so a long list costs every frame while playing.
pub const FIRST: usize = 30;
/// How many more "Show earlier steps" adds, and the most it lists.
const MORE: usize = 100;
const MOST: usize = 2_000;
/// How far back a filtered log looks for entries.
const SCAN: u64 = 20_000;
/// The least height of an entry (px): while playing, the log draws as many of the newest
/// entries as this many would take to fill its panel down to a screenful below sight.
const LEAST_PX: f64 = 36.0;
/// The height of an entry left out, as the style sheet guesses it for `content-visibility`.
const GUESS: &str = "4.5em";

/// How many of the newest entries may come in sight of the log panel before it is written
/// again: those down to its scroll window's bottom and a screenful more.
fn in_sight() -> Option<usize> {
    let panel = gloo::utils::document()
        .query_selector(".log-panel")
        .ok()??;
    let below = f64::from(panel.scroll_top()) + 2.0 * f64::from(panel.client_height());
    Some((below / LEAST_PX).ceil() as usize + 1)
}

/// The log; `filter` is the node whose steps it shows (all of them when `None`), `shown`
/// how many entries it lists.
pub fn event_log(
    store: &Shell,
    filter: &UseStateHandle<Option<u32>>,
    shown: &UseStateHandle<usize>,
) -> Html {
    let s = store.session.borrow();
    let pos = s.pos();
    let names = s.names().to_vec();
    let wanted = **filter;
    let limit = (**shown).clamp(1, MOST);
    let steps: Vec<u64> = (pos.saturating_sub(SCAN)..pos)
        .rev()
        .filter(|&i| wanted.is_none() || s.step_node(i) == Some(wanted))
        .take(limit + 1)
        .collect();
    // One more step than listed means there are earlier ones to show.
    let earlier = steps.len() > limit && limit < MOST;
    // While playing, the log is written again every few frames with entries that all moved
    // down: those out of sight below are left out, as an empty entry as tall as they would
    // be guessed, so the scroll height stays. Stopped, all are drawn.
    let listed = steps.len().min(limit);
    let drawn = if store.playing {
        in_sight().map_or(listed, |n| n.min(listed))
    } else {
        listed
    };
    let left_out = listed - drawn;
    let mut views: Vec<_> = steps
        .into_iter()
        .take(drawn)
        .filter_map(|i| s.step_view(i))
        .collect();
    views.reverse();
    let show_more = {
        let shown = shown.clone();
        Callback::from(move |_: MouseEvent| shown.set((limit + MORE).min(MOST)))
    };
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            filter.set(el.value().parse::<u32>().ok());
        })
    };
    let items: Vec<Html> = views
        .into_iter()
        .map(|view| {
            let who = view
                .node
                .and_then(|n| names.get(n as usize).cloned())
                .unwrap_or_default();
            let (index, current) = (view.index, view.index + 1 == pos);
            html! { <LogEntry key={index} {view} {current} {who} store={store.clone()} /> }
        })
        .collect();
    html! {
        <div class="panel event-log">
            <div class="log-head-row">
                <h2>{ "What happened" }</h2>
                <label class="log-filter">
                    <span>{ "Show" }</span>
                    <select onchange={on_filter} aria-label="Show the steps of">
                        <option value="" selected={wanted.is_none()}>{ "all nodes" }</option>
                        { for names.iter().enumerate().map(|(i, n)| html! {
                            <option value={i.to_string()} selected={wanted == Some(i as u32)}>{ n.clone() }</option>
                        }) }
                    </select>
                </label>
            </div>
            if pos == 0 {
                <p class="muted">{ "Nothing yet: press Play or step forward." }</p>
            }
            <ol class="log-list" reversed=true>
                { for items.into_iter().rev() }
                if left_out > 0 {
                    <li class="log-gap" aria-hidden="true"
                        style={format!("height:calc({left_out} * {GUESS})")}></li>
                }
            </ol>
            if earlier {
                <button class="ctl log-more" onclick={show_more}
                    title={format!("List up to {} earlier steps too", MORE.min(MOST - limit))}>
                    { "Show earlier steps" }
                </button>
            }
        </div>
    }
}

#[derive(Properties)]
struct LogEntryProps {
    view: StepView,
    current: bool,
    who: String,
    /// Only for seeking: left out of the comparison.
    store: Shell,
}

impl PartialEq for LogEntryProps {
    /// An entry is drawn again only when it changes (it becomes or stops being the current
    /// step, or a fork rewrote that step), not for every new step above it.
    fn eq(&self, o: &Self) -> bool {
        self.view == o.view && self.current == o.current && self.who == o.who
    }
}

#[function_component(LogEntry)]
fn log_entry(p: &LogEntryProps) -> Html {
    let v = &p.view;
    let onclick = {
        let store = p.store.clone();
        let target = v.index + 1;
        Callback::from(move |_: MouseEvent| store.dispatch(ShellMsg::Seek(target)))
    };
    let mut class = classes!("log-entry");
    if p.current {
        class.push("current");
    }
    if !v.violations.is_empty() {
        class.push("violation");
    }
    if v.fault {
        class.push("fault");
    }
    let (head, rest) = v
        .narration
        .split_first()
        .map_or(("", &[][..]), |(h, r)| (h.as_str(), r));
    html! {
        <li {class}>
            <button class="log-seek" {onclick} title="Go to this step">
                <span class="log-step">{ format!("#{}", v.index + 1) }</span>
                <span class="log-time">{ format!("{} ms", v.time) }</span>
                if !p.who.is_empty() { <span class="log-node">{ p.who.clone() }</span> }
            </button>
            <div class="log-text">
                <div class="log-head">{ head }</div>
                { for rest.iter().map(|l| html! { <div class="log-line">{ l }</div> }) }
            </div>
        </li>
    }
}

/// What a screen reader says after a step: the narration of the step just taken, in a
/// polite live region beside the log. Stopped, every step (a key, a button, a click in the
/// log or on the scrubber) is announced; while playing or computing a long seek, nothing
/// is, since steps would queue faster than anyone can hear them, and when playback stops
/// the step it stopped at is.
pub fn announcer(store: &Shell) -> Html {
    let text = if store.playing || store.seeking.is_some() {
        String::new()
    } else {
        let s = store.session.borrow();
        let pos = s.pos();
        match pos.checked_sub(1).and_then(|i| s.step_view(i)) {
            Some(v) => spoken(&v, s.names()),
            None => String::new(),
        }
    };
    html! {
        <div class="visually-hidden announcer" role="status" aria-live="polite" aria-atomic="true">{ text }</div>
    }
}

/// A step as one sentence to be read out: its number, time and node, then its narration.
pub fn spoken(v: &StepView, names: &[String]) -> String {
    let who = v
        .node
        .and_then(|n| names.get(n as usize))
        .map(|n| format!(", {n}"))
        .unwrap_or_default();
    let mut text = format!("Step {} at {} ms{who}: ", v.index + 1, v.time);
    text.push_str(&v.narration.join(". "));
    for violation in &v.violations {
        text.push_str(&format!(". Violated: {}", violation.property));
    }
    text
}
