//! Components every algorithm page shares, and the contexts they read.
//!
//! - [`Shell`]: the run through the object-safe facade, the UI state and a way to send
//!   [`ShellMsg`]. It knows no algorithm, so the shell's components are written once.
//! - [`Clock`]: the playback clock, for what is drawn moving between steps.
//! - [`Typed`]: the page's own run, typed, and a way to send its typed actions, for the
//!   algorithm's view and panel. It travels in the shell's context (one context less per
//!   page: each context type is a component's code).

pub mod cluster;
pub mod controls;
pub mod custom;
pub mod faults;
pub mod help;
pub mod history;
pub mod inspector;
pub mod invariants;
pub mod keys;
pub mod log;
pub mod ring;
pub mod share;
pub mod spacetime;

use crate::store::{Clock, Live, Msg, Run, ShellMsg, State, Ui};
use dsplay_core::{Action, Algorithm, Builtin};
use std::any::Any;
use std::ops::Deref;
use std::rc::Rc;
use yew::prelude::*;

/// What the page is: its algorithm's name, title and built-in scenarios.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PageInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub builtins: &'static [Builtin],
}

impl PageInfo {
    pub fn of<P: Algorithm>() -> Self {
        PageInfo {
            name: P::NAME,
            title: P::TITLE,
            builtins: P::BUILTINS,
        }
    }
}

/// What the shell's components read. Equal when the run is at the same version and the UI
/// state is the same, so they are not rendered again while only the clock moves.
#[derive(Clone, PartialEq)]
pub struct Shell {
    pub session: Live,
    pub ui: Ui,
    pub page: PageInfo,
    dispatch: Callback<ShellMsg>,
    typed: AnyTyped,
}

/// The page's [`Typed`] run, its type left out of the shell's. Always equal: it is the
/// same run as [`Shell::session`], which is compared.
#[derive(Clone)]
struct AnyTyped(Rc<dyn Any>);

impl PartialEq for AnyTyped {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Deref for Shell {
    type Target = Ui;

    fn deref(&self) -> &Ui {
        &self.ui
    }
}

impl Shell {
    pub fn new<P: Algorithm>(
        state: &State<P>,
        dispatch: Callback<ShellMsg>,
        typed: yew::functional::UseReducerDispatcher<State<P>>,
    ) -> Self {
        Shell {
            session: state.run.live(),
            ui: state.ui.clone(),
            page: PageInfo::of::<P>(),
            dispatch,
            typed: AnyTyped(Rc::new(Typed {
                run: state.run.clone(),
                dispatch: typed,
            })),
        }
    }

    /// The URL state for what is shown now.
    pub fn to_url(&self) -> crate::url::UrlState {
        crate::store::url_of(&*self.session.borrow(), &self.ui)
    }

    pub fn dispatch(&self, msg: ShellMsg) {
        self.dispatch.emit(msg);
    }

    /// A callback that sends `msg` whatever the event.
    pub fn on<E>(&self, msg: ShellMsg) -> Callback<E> {
        let d = self.dispatch.clone();
        Callback::from(move |_: E| d.emit(msg.clone()))
    }
}

/// A button with a class, a click handler and a fixed text: written once for the many the
/// shell draws (each `html!` element is code of its own in every page).
#[inline(never)]
pub fn button(class: &'static str, onclick: Callback<MouseEvent>, text: &'static str) -> Html {
    html! { <button {class} {onclick}>{ text }</button> }
}

/// The shell's context; every shell component sits under one.
#[hook]
pub fn use_shell() -> Shell {
    use_context::<Shell>().expect("components are rendered inside a page")
}

/// The playback clock, for components that draw motion between steps (messages in flight,
/// timers): they are rendered on every animation frame.
#[hook]
pub fn use_clock() -> Clock {
    use_context::<Clock>().unwrap_or_default()
}

/// The page's own run, typed, for its view and panel.
pub struct Typed<P: Algorithm> {
    pub run: Run<P>,
    dispatch: yew::functional::UseReducerDispatcher<State<P>>,
}

impl<P: Algorithm> Clone for Typed<P> {
    fn clone(&self) -> Self {
        Typed {
            run: self.run.clone(),
            dispatch: self.dispatch.clone(),
        }
    }
}

impl<P: Algorithm> PartialEq for Typed<P> {
    fn eq(&self, other: &Self) -> bool {
        self.run == other.run
    }
}

impl<P: Algorithm> Typed<P> {
    /// Do an action at the current step.
    pub fn act(&self, action: Action<P::Cmd>) {
        self.dispatch.dispatch(Msg::Act(vec![action]));
    }

    /// Do several actions at the current step, one after the other.
    pub fn act_all(&self, actions: Vec<Action<P::Cmd>>) {
        self.dispatch.dispatch(Msg::Act(actions));
    }

    /// Restart the scenario with other parameters.
    pub fn restart(&self, params: P::Params) {
        self.dispatch.dispatch(Msg::Restart { params, note: None });
    }

    /// Restart the scenario with other parameters, saying what the view changed in them
    /// beyond what was asked (shown with what fitting the script left out).
    pub fn restart_noting(&self, params: P::Params, note: Option<String>) {
        self.dispatch.dispatch(Msg::Restart { params, note });
    }

    /// Send a shell message (a selection, an error).
    pub fn shell(&self, msg: ShellMsg) {
        self.dispatch.dispatch(Msg::Shell(msg));
    }

    /// A callback that does `action` at the current step, whatever the event.
    pub fn on_act<E>(&self, action: Action<P::Cmd>) -> Callback<E> {
        let me = self.clone();
        Callback::from(move |_: E| me.act(action.clone()))
    }

    /// A callback that does `actions` at the current step, whatever the event.
    pub fn on_act_all<E>(&self, actions: Vec<Action<P::Cmd>>) -> Callback<E> {
        let me = self.clone();
        Callback::from(move |_: E| me.act_all(actions.clone()))
    }
}

/// The page's typed run (from the shell's context).
#[hook]
pub fn use_typed<P: Algorithm>() -> Typed<P> {
    use_shell()
        .typed
        .0
        .downcast_ref::<Typed<P>>()
        .expect("views are rendered inside their page")
        .clone()
}

/// Keys for a keyed list made from what is drawn (a client, a znode, a link), unique by
/// construction: Yew panics on a duplicate key in a debug build and misdraws in a release
/// one. A key is kept the first time it comes; its n-th showing (n of 2 or more) is
/// `KEY#n`, and a key with a `#` of its own is `KEY#1` the first time, so that no key
/// made here equals one given (split at the last `#`, each is its key and its count).
pub fn unique_keys<I: IntoIterator<Item = String>>(keys: I) -> Vec<String> {
    // Lists are short (a queue, the znodes, the cut links): a vector of counts will do.
    let mut seen: Vec<(String, u32)> = Vec::new();
    keys.into_iter()
        .map(|key| {
            let n = match seen.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((key.clone(), 1));
                    1
                }
            };
            if n == 1 && !key.contains('#') {
                key
            } else {
                format!("{key}#{n}")
            }
        })
        .collect()
}
