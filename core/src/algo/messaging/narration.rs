//! Narration: messages, timers, commands and notes in plain words.

use super::types::*;
use super::Messaging;
use crate::sim::NodeId;

impl Messaging {
    pub(super) fn msg_words(&self, msg: &Msg, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id);
        match msg {
            Msg::Request { id, body } => format!("request #{id}{}", quoted(body)),
            Msg::Response { id } => format!("the response to request #{id}"),
            Msg::Broadcast {
                origin, id, body, ..
            } => format!("broadcast {}#{id}{}", n(origin), quoted(body)),
            Msg::BroadcastAck { origin, id } => format!("an ack for broadcast {}#{id}", n(origin)),
            Msg::Subscribe { topic } => format!("a subscription to '{topic}'"),
            Msg::Unsubscribe { topic } => format!("an unsubscription from '{topic}'"),
            Msg::Publish { id, topic, body } => {
                format!("publication #{id} on '{topic}'{}", quoted(body))
            }
            Msg::PublishAck { id } => format!("the broker's ack for publication #{id}"),
            Msg::Event {
                publisher,
                id,
                topic,
                body,
            } => format!("event {}#{id} on '{topic}'{}", n(publisher), quoted(body)),
            Msg::EventAck { publisher, id } => format!("an ack for event {}#{id}", n(publisher)),
        }
    }

    pub(super) fn timer_words(&self, timer: &Timer, names: &[String]) -> String {
        match timer {
            Timer::RequestTimeout { id } => format!("the timeout of request #{id}"),
            Timer::Retransmit { id } => format!("the retransmission timer of broadcast #{id}"),
            Timer::PublishRetry { id } => format!("the retry timer of publication #{id}"),
            Timer::ForwardRetry { publisher, id } => format!(
                "the retransmission timer of event {}#{id}",
                name(names, *publisher)
            ),
        }
    }

    pub(super) fn cmd_words(&self, cmd: &Cmd, names: &[String]) -> String {
        match cmd {
            Cmd::Request { to, body } => {
                format!("send a request{} to {}", quoted(body), name(names, *to))
            }
            Cmd::Broadcast { body } => format!("broadcast{}", quoted(body)),
            Cmd::Publish { topic, body } => format!("publish{} on '{topic}'", quoted(body)),
            Cmd::Subscribe { topic } => format!("subscribe to '{topic}'"),
            Cmd::Unsubscribe { topic } => format!("unsubscribe from '{topic}'"),
        }
    }

    pub(super) fn note_words(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id);
        let me = name(names, me);
        let list = |v: &[NodeId]| {
            v.iter()
                .map(|x| name(names, *x))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let timeout = self.params.request_timeout;
        match note {
            Note::SendsRequest { to, id } => format!(
                "{me} sends request #{id} to {} and waits up to {timeout} ms for the response",
                n(to)
            ),
            Note::RequestTimedOut { to, id, attempt } => format!(
                "{me} heard nothing from {} within {timeout} ms: it sends request #{id} again (attempt {attempt} of {})",
                n(to),
                self.params.max_retries + 1
            ),
            Note::GivesUp { to, id, attempts } => format!(
                "{me} gives up on request #{id} to {} after {attempts} attempts (the retry limit)",
                n(to)
            ),
            Note::DeliversRequest { from, id } => format!(
                "{me} hands request {}#{id} to its application and responds",
                n(from)
            ),
            Note::DuplicateRequest { from, id } => format!(
                "{me} has already handled request {}#{id} (deduplication): it responds again without handing it to the application",
                n(from)
            ),
            Note::RepeatedRequestDelivered { from, id } => format!(
                "{me} hands request {}#{id} to its application AGAIN: deduplication is off, so a retried or duplicated request is processed twice",
                n(from)
            ),
            Note::GotResponse { from, id, attempts } => format!(
                "{me} gets the response to request #{id} from {} after {attempts} attempt{}: done",
                n(from),
                if *attempts == 1 { "" } else { "s" }
            ),
            Note::LateResponse { from, id } => format!(
                "{me} ignores a response to request #{id} from {}: it is no longer waiting for one",
                n(from)
            ),
            Note::StartsBroadcast { id, reliable } => {
                if *reliable {
                    format!("{me} delivers broadcast #{id} to itself and sends it to every node; it will retransmit to any node that does not acknowledge (reliable broadcast)")
                } else {
                    format!("{me} delivers broadcast #{id} to itself and sends it once to every node (best-effort: a lost copy is never resent)")
                }
            }
            Note::DeliversBroadcast { origin, id } => {
                format!("{me} delivers broadcast {}#{id} to its application", n(origin))
            }
            Note::DuplicateBroadcast { origin, id } => {
                if self.params.dedup {
                    format!(
                        "{me} already delivered broadcast {}#{id}: it ignores this copy (deduplication) but still acknowledges it",
                        n(origin)
                    )
                } else {
                    format!(
                        "{me} delivers broadcast {}#{id} AGAIN: deduplication is off",
                        n(origin)
                    )
                }
            }
            Note::BroadcastAcked { by, id, remaining } => format!(
                "{me} records {}'s ack for broadcast #{id}; {remaining} node{} still to acknowledge",
                n(by),
                if *remaining == 1 { "" } else { "s" }
            ),
            Note::BroadcastComplete { id, last } => format!(
                "{me} records {}'s ack: every node has now acknowledged broadcast #{id}, so {me} stops retransmitting",
                n(last)
            ),
            Note::Retransmits { id, to } => format!(
                "no ack yet from {}: {me} retransmits broadcast #{id} to them",
                list(to)
            ),
            Note::Publishes { id, topic } => format!(
                "{me} sends publication #{id} on '{topic}' to the broker and waits for its ack"
            ),
            Note::RepublishTimedOut { id } => format!(
                "the broker has not acknowledged publication #{id}: {me} sends it again"
            ),
            Note::PublishAcked { id } => {
                format!("the broker has publication #{id}: {me} stops resending it")
            }
            Note::BrokerForwards {
                publisher,
                id,
                topic,
                to,
            } => {
                if to.is_empty() {
                    format!(
                        "the broker accepts publication {}#{id}: nobody subscribes to '{topic}', so it goes nowhere",
                        n(publisher)
                    )
                } else {
                    format!(
                        "the broker accepts publication {}#{id} and forwards it to the subscribers of '{topic}': {}",
                        n(publisher),
                        list(to)
                    )
                }
            }
            Note::BrokerDuplicate { publisher, id } => format!(
                "the broker already has publication {}#{id} (a resent copy): it acknowledges again and forwards nothing",
                n(publisher)
            ),
            Note::BrokerRetransmits { publisher, id, to } => format!(
                "no ack yet from {}: the broker resends event {}#{id}",
                list(to),
                n(publisher)
            ),
            Note::BrokerForwardDone { publisher, id } => format!(
                "every subscriber has acknowledged event {}#{id}",
                n(publisher)
            ),
            Note::DeliversEvent {
                publisher,
                id,
                topic,
            } => format!(
                "{me} delivers event {}#{id} on '{topic}' to its application",
                n(publisher)
            ),
            Note::DuplicateEvent { publisher, id } => format!(
                "{me} already delivered event {}#{id}: it ignores this copy (deduplication)",
                n(publisher)
            ),
            Note::DiscardsEvent {
                publisher,
                id,
                topic,
            } => format!(
                "{me} discards event {}#{id}: it does not subscribe to '{topic}'",
                n(publisher)
            ),
            Note::Subscribes { topic } => {
                format!("{me} subscribes to '{topic}' and tells the broker")
            }
            Note::Unsubscribes { topic } => {
                format!("{me} unsubscribes from '{topic}' and tells the broker")
            }
            Note::BrokerAddsSubscriber { node, topic } => {
                format!("the broker adds {} to the subscribers of '{topic}'", n(node))
            }
            Note::BrokerRemovesSubscriber { node, topic } => format!(
                "the broker removes {} from the subscribers of '{topic}'",
                n(node)
            ),
            Note::NotTheBroker => format!(
                "{me} refuses: a request goes to another ordinary node, not to itself or the broker"
            ),
            Note::BrokerCannot => {
                "the broker only relays publications: give commands to n1..".to_string()
            }
            Note::CrashLoses {
                requests,
                broadcasts,
                publications,
                forwarding,
            } => {
                let plural = |n: u32, one: &str, many: &str| {
                    (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
                };
                let lost: Vec<String> = [
                    plural(*requests, "request still waiting for its response", "requests still waiting for their responses"),
                    plural(*broadcasts, "broadcast still being acknowledged", "broadcasts still being acknowledged"),
                    plural(*publications, "publication the broker has not acknowledged", "publications the broker has not acknowledged"),
                    plural(*forwarding, "publication still being forwarded to subscribers", "publications still being forwarded to subscribers"),
                ]
                .into_iter()
                .flatten()
                .collect();
                format!(
                    "{me} loses its unfinished work, which was in memory: {}; nobody retries them now",
                    lost.join(", ")
                )
            }
            Note::Restarts { .. } => format!(
                "{me} restarts: its delivered messages and deduplication table were on disk and survive; retries in progress were in memory and are lost"
            ),
        }
    }
}

pub(super) fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

fn quoted(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(" '{body}'")
    }
}

pub(super) fn describe_app(names: &[String], a: AppId) -> String {
    let kind = match a.kind {
        Kind::Request => "request",
        Kind::Broadcast => "broadcast",
        Kind::Publication => "event",
    };
    format!("{kind} {}#{}", name(names, a.origin), a.id)
}
