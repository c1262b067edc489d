//! The messaging page's own view: nodes on a ring with the broker in the middle, and a
//! form to make nodes send requests, broadcast, publish and subscribe.

use crate::components::cluster::ClusterView;
use crate::components::use_typed;
use crate::math;
use crate::page::Page;
use dsplay_core::algo::messaging::{Cmd, Messaging};
use dsplay_core::{Action, NodeId};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The messaging page.
pub struct MessagingPage;

impl Page for MessagingPage {
    type Algo = Messaging;

    fn view() -> Html {
        html! { <MessagingView /> }
    }

    fn panel() -> Html {
        html! { <MessagingCommands /> }
    }
}

/// Positions: ordinary nodes evenly on a circle from the top, the broker in the centre.
pub fn positions(nodes: usize) -> Vec<(f64, f64)> {
    let ordinary = nodes.saturating_sub(1).max(1);
    let mut v: Vec<(f64, f64)> = (0..ordinary)
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2
                + 2.0 * std::f64::consts::PI * i as f64 / ordinary as f64;
            (500.0 + 250.0 * math::cos(a), 315.0 + 250.0 * math::sin(a))
        })
        .collect();
    v.push((500.0, 315.0));
    v
}

#[function_component(MessagingView)]
pub fn messaging_view() -> Html {
    let typed = use_typed::<Messaging>();
    let l = typed.run.borrow();
    let sim = l.timeline.sim();
    let n = sim.node_count() as usize;
    let details: Vec<String> = sim
        .node_ids()
        .map(|id| {
            let node = sim.node(id);
            if id.index() + 1 == n {
                let topics = node.disk.topics.len();
                format!("{topics} topic{}", if topics == 1 { "" } else { "s" })
            } else {
                let mut d = format!("{} delivered", node.disk.delivered.len());
                if !node.disk.subscriptions.is_empty() {
                    let subs: Vec<&str> =
                        node.disk.subscriptions.iter().map(|t| t.as_str()).collect();
                    d.push_str(&format!(" · sub {}", subs.join(",")));
                }
                d
            }
        })
        .collect();
    html! {
        <ClusterView positions={positions(n)} {details} />
    }
}

/// What the command form sends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Broadcast,
    Publish,
    Subscribe,
    Unsubscribe,
}

impl Kind {
    const ALL: [(Kind, &'static str, &'static str); 5] = [
        (Kind::Request, "request", "Send a request to"),
        (Kind::Broadcast, "broadcast", "Broadcast to everyone"),
        (Kind::Publish, "publish", "Publish on topic"),
        (Kind::Subscribe, "subscribe", "Subscribe to topic"),
        (Kind::Unsubscribe, "unsubscribe", "Unsubscribe from topic"),
    ];

    fn from_key(k: &str) -> Kind {
        Kind::ALL
            .iter()
            .find(|(_, key, _)| *key == k)
            .map_or(Kind::Request, |(kind, _, _)| *kind)
    }
}

/// The form that tells a node to send something.
#[function_component(MessagingCommands)]
pub fn messaging_commands() -> Html {
    let typed = use_typed::<Messaging>();
    let names: Vec<String> = {
        let l = typed.run.borrow();
        let v = l.timeline.sim().names();
        v[..v.len().saturating_sub(1)].to_vec()
    };
    let from = use_state(|| 0usize);
    let to = use_state(|| 1usize);
    let kind = use_state(|| Kind::Request);
    let topic = use_state(|| "news".to_string());
    let body = use_state(String::new);

    let from_i = (*from).min(names.len().saturating_sub(1));
    let mut to_i = (*to).min(names.len().saturating_sub(1));
    if to_i == from_i {
        to_i = (from_i + 1) % names.len().max(1);
    }

    let select = |state: UseStateHandle<usize>| {
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            state.set(el.selected_index().max(0) as usize);
        })
    };
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            kind.set(Kind::from_key(&el.value()));
        })
    };
    let text = |state: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            state.set(el.value());
        })
    };
    let topic_ok = !topic.trim().is_empty() && topic.trim().len() <= 32;
    let needs_topic = matches!(*kind, Kind::Publish | Kind::Subscribe | Kind::Unsubscribe);
    let can_send = names.len() >= 2 && (!needs_topic || topic_ok);
    let on_send = {
        let typed = typed.clone();
        let (kind, topic, body) = (*kind, topic.trim().to_string(), (*body).clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (topic, body) = (topic.clone(), body.clone());
            let cmd = match kind {
                Kind::Request => Cmd::Request {
                    to: NodeId(to_i as u32),
                    body,
                },
                Kind::Broadcast => Cmd::Broadcast { body },
                Kind::Publish => Cmd::Publish { topic, body },
                Kind::Subscribe => Cmd::Subscribe { topic },
                Kind::Unsubscribe => Cmd::Unsubscribe { topic },
            };
            typed.act(Action::Command {
                node: NodeId(from_i as u32),
                cmd,
            });
        })
    };
    html! {
        <section class="panel commands" aria-label="Send a message">
            <h2>{ "Make a node act" }</h2>
            <form class="command-form" onsubmit={on_send}>
                <label>{ "Node" }
                    <select onchange={select(from.clone())} aria-label="Node that acts">
                        { for names.iter().enumerate().map(|(i, n)| html! {
                            <option selected={i == from_i}>{ n }</option>
                        }) }
                    </select>
                </label>
                <label>{ "does" }
                    <select onchange={on_kind} aria-label="What it does">
                        { for Kind::ALL.iter().map(|(k, key, text)| html! {
                            <option value={*key} selected={*k == *kind}>{ *text }</option>
                        }) }
                    </select>
                </label>
                if *kind == Kind::Request {
                    <label>{ "to" }
                        <select onchange={select(to.clone())} aria-label="Receiver">
                            { for names.iter().enumerate().map(|(i, n)| html! {
                                <option selected={i == to_i} disabled={i == from_i}>{ n }</option>
                            }) }
                        </select>
                    </label>
                }
                if needs_topic {
                    <label>{ "topic" }
                        <input type="text" value={(*topic).clone()} oninput={text(topic.clone())}
                            maxlength="32" aria-label="Topic" aria-invalid={(!topic_ok).to_string()} />
                    </label>
                }
                if matches!(*kind, Kind::Request | Kind::Broadcast | Kind::Publish) {
                    <label>{ "text" }
                        <input type="text" value={(*body).clone()} oninput={text(body.clone())}
                            maxlength="40" placeholder="optional" aria-label="Message text" />
                    </label>
                }
                <button type="submit" class="primary" disabled={!can_send}>{ "Do it now" }</button>
                if needs_topic && !topic_ok {
                    <p class="form-error">{ "A topic is 1 to 32 characters long." }</p>
                }
            </form>
        </section>
    }
}
