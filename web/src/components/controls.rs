//! The control bar: play/pause, step, speed, scrubber, current step and time.

use super::Shell;
use crate::store::{Seek, ShellMsg, SPEEDS};
use dsplay_core::decimal::short;
use dsplay_core::session::MarkKind;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The bar; a long seek under way (`seek`) shows its progress and Stop in the clock's place.
pub fn control_bar(store: &Shell, seek: Option<Seek>) -> Html {
    let (pos, horizon, time, ended, marks) = {
        let s = store.session.borrow();
        (s.pos(), s.horizon(), s.time(), s.ended(), s.marks())
    };
    let send = |m: ShellMsg| store.on::<MouseEvent>(m);
    let on_scrub = {
        let store = store.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(n) = input.value().parse::<u64>() {
                store.dispatch(ShellMsg::Seek(n));
            }
        })
    };
    let on_speed = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(x) = super::faults::decimal(&input.value()) {
                store.dispatch(ShellMsg::SetSpeed(x));
            }
        })
    };
    let at_end = ended && pos == horizon;
    let play_label = if store.playing { "Pause" } else { "Play" };
    html! {
        <section class="control-bar" aria-label="Playback">
            { step_button(send(ShellMsg::Home), pos == 0, "Go to the start (Home)", "Go to the start", "first") }
            { step_button(send(ShellMsg::StepBack), pos == 0, "Step back (Left)", "Step back", "back") }
            <button class="ctl play" onclick={send(ShellMsg::TogglePlay)} disabled={at_end && !store.playing}
                title={format!("{play_label} (Space)")} aria-label={play_label}
                aria-pressed={store.playing.to_string()}>
                { icon(if store.playing { "pause" } else { "play" }) }
                <span>{ play_label }</span>
            </button>
            { step_button(send(ShellMsg::StepForward), at_end, "Step forward (Right)", "Step forward", "forward") }
            { step_button(send(ShellMsg::End), pos == horizon, "Go to the last computed step (End)", "Go to the end", "last") }
            <label class="speed">
                <span>{ "Speed" }</span>
                <select onchange={on_speed} aria-label="Playback speed">
                    { for SPEEDS.iter().map(|&x| html! {
                        <option value={short(x).to_string()} selected={x == store.speed}>{ format!("{}x", short(x)) }</option>
                    }) }
                </select>
            </label>
            <div class="scrub">
                <input class="scrubber" type="range" min="0" max={horizon.max(pos).to_string()}
                    value={pos.to_string()} oninput={on_scrub} aria-label="Step"
                    aria-valuetext={format!("step {pos} of {horizon}")} />
                <div class="marks" aria-hidden="true">
                    { for marks.iter().map(|m| {
                        // A mark sits where the scrubber is after that step.
                        let left = (m.step + 1) as f64 / horizon.max(1) as f64 * 100.0;
                        let (class, what) = match m.kind {
                            MarkKind::User => ("mark user", "you acted"),
                            MarkKind::Fault => ("mark fault", "fault"),
                            MarkKind::Violation => ("mark violation", "violation"),
                        };
                        let step = m.step + 1;
                        let onclick = store.on::<MouseEvent>(ShellMsg::Seek(step));
                        html! {
                            <span class={class} style={format!("left: {}%", dsplay_core::decimal::fixed(left, 3))} {onclick}
                                title={format!("step {step}: {what}")}></span>
                        }
                    }) }
                </div>
            </div>
            if let Some(seek) = seek {
                { seek_progress(store, seek) }
            } else {
                <span class="clock">
                    { format!("step {pos} / {horizon}") }
                    <span class="time">{ format!("t={} ms", time) }</span>
                </span>
            }
        </section>
    }
}

/// One of the bar's four step buttons (written once: each `html!` element is code of its own).
#[inline(never)]
fn step_button(
    onclick: Callback<MouseEvent>,
    disabled: bool,
    title: &'static str,
    label: &'static str,
    icon_name: &'static str,
) -> Html {
    html! {
        <button class="ctl" {onclick} {disabled} {title} aria-label={label}>{ icon(icon_name) }</button>
    }
}

/// A long seek's progress in the clock's place: how far it has got, and Stop (or Esc).
fn seek_progress(store: &Shell, seek: Seek) -> Html {
    let Seek {
        reached, target, ..
    } = seek;
    html! {
        <span class="clock seek-progress" role="status">
            <span class="seek-text">{ format!("computing step {reached} of {target}") }</span>
            <progress max="1000" value={((seek.fraction() * 1000.0).round() as u32).to_string()}
                aria-label={format!("Computing the run: step {reached} of {target}")}></progress>
            <button class="ctl stop" onclick={store.on(ShellMsg::StopSeek)}
                title="Stop here (Esc)" aria-label="Stop computing">{ "Stop" }</button>
        </span>
    }
}

/// A small inline SVG icon (no icon font: the system fonts may lack the glyphs).
pub fn icon(name: &str) -> Html {
    let d = match name {
        "first" => "M3 3h3v14H3zM17 3v14L7 10z",
        "last" => "M14 3h3v14h-3zM3 3v14l10-7z",
        "back" => "M15 3v14L5 10z",
        "forward" => "M5 3v14l10-7z",
        "play" => "M5 2v16l13-8z",
        "pause" => "M4 3h4v14H4zM12 3h4v14h-4z",
        _ => "",
    };
    html! {
        <svg class="icon" viewBox="0 0 20 20" aria-hidden="true" focusable="false"><path d={d} /></svg>
    }
}
