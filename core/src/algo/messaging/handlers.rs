//! The messaging handlers: the [`Protocol`] impl (commands, messages, timers, faults) and
//! the helpers they call.

use super::checker::{self, MessagingChecker};
use super::types::*;
use super::{Messaging, NAME};
use crate::collections::{VecMap, VecSet};
use crate::invariant::Property;
use crate::protocol::{Ctx, NodeFault, NodeState, ParamError, Protocol};
use crate::sim::{NodeId, Time};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

impl Messaging {
    /// The broker's id (after the ordinary nodes).
    pub fn broker(&self) -> NodeId {
        NodeId(self.params.nodes)
    }

    fn peers(&self, me: NodeId) -> impl Iterator<Item = NodeId> {
        (0..self.params.nodes).map(NodeId).filter(move |&n| n != me)
    }

    /// Hand a message to the application unless deduplication says it was seen.
    /// Returns whether it was delivered.
    fn deliver(&self, node: &mut Node, d: Delivery) -> bool {
        if self.params.dedup && !node.disk.seen.insert(d.what) {
            return false;
        }
        if !self.params.dedup {
            node.disk.seen.insert(d.what);
        }
        *node.disk.counts.entry(d.what).or_insert(0) += 1;
        node.disk.delivered.push(d);
        true
    }

    fn originate(&self, node: &mut Node, kind: Kind, me: NodeId) -> u32 {
        node.disk.next_id += 1;
        let id = node.disk.next_id;
        node.disk.originated.insert(AppId {
            kind,
            origin: me,
            id,
        });
        id
    }

    fn retransmit_delay(&self) -> std::ops::RangeInclusive<Time> {
        let t = self.params.retransmit_interval;
        t..=t
    }
}

fn topic_ok(field: &str, topic: &str) -> Result<(), ParamError> {
    if topic.is_empty() || topic.len() > 32 {
        return Err(ParamError::new(field, "a topic is 1 to 32 characters long"));
    }
    Ok(())
}

impl Protocol for Messaging {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = MessagingChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("nodes", params.nodes, 2..=9)?;
        ParamError::check_range("request_timeout", params.request_timeout, 10..=60_000)?;
        ParamError::check_range("max_retries", params.max_retries, 0..=20)?;
        ParamError::check_range(
            "retransmit_interval",
            params.retransmit_interval,
            10..=60_000,
        )?;
        let mut initial_subs = VecMap::new();
        for (name, topics) in &params.subscriptions {
            let field = format!("subscriptions.{name}");
            let n = name
                .strip_prefix('n')
                .and_then(|s| s.parse::<u32>().ok())
                .filter(|&i| (1..=params.nodes).contains(&i))
                .ok_or_else(|| {
                    ParamError::new(
                        &field,
                        format!("no such node (subscribers are n1 to n{})", params.nodes),
                    )
                })?;
            let mut set = VecSet::new();
            for t in topics {
                topic_ok(&field, t)?;
                set.insert(t.clone());
            }
            initial_subs.insert(NodeId(n - 1), set);
        }
        Ok(Messaging {
            params,
            initial_subs,
        })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        let mut v: Vec<String> = (1..=self.params.nodes).map(|i| format!("n{i}")).collect();
        v.push("broker".into());
        v
    }

    fn init(&self, id: NodeId, _ctx: &mut Ctx<Self>) -> Node {
        let subscriptions = self.initial_subs.get(&id).cloned().unwrap_or_default();
        let mut topics: VecMap<String, VecSet<NodeId>> = VecMap::new();
        if id == self.broker() {
            for (n, ts) in &self.initial_subs {
                for t in ts {
                    topics.entry(t.clone()).or_default().insert(*n);
                }
            }
        }
        NodeState::new(NodeDisk {
            delivered: Vec::new(),
            originated: VecSet::new(),
            counts: VecMap::new(),
            seen: VecSet::new(),
            next_id: 0,
            subscriptions,
            topics,
        })
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        if me == self.broker() {
            ctx.note(Note::BrokerCannot);
            return;
        }
        match cmd {
            Cmd::Request { to, body } => {
                if to == me || to == self.broker() {
                    ctx.note(Note::NotTheBroker);
                    return;
                }
                let id = self.originate(node, Kind::Request, me);
                node.mem.requests.insert(
                    id,
                    PendingRequest {
                        to,
                        body: body.clone(),
                        attempts: 1,
                    },
                );
                ctx.send(to, Msg::Request { id, body });
                let t = self.params.request_timeout;
                ctx.set_timer(Timer::RequestTimeout { id }, t..=t);
                ctx.note(Note::SendsRequest { to, id });
            }
            Cmd::Broadcast { body } => {
                let id = self.originate(node, Kind::Broadcast, me);
                let reliable = self.params.reliable;
                // The origin delivers its own broadcast to itself at once.
                self.deliver(
                    node,
                    Delivery {
                        what: AppId {
                            kind: Kind::Broadcast,
                            origin: me,
                            id,
                        },
                        at: ctx.now(),
                        topic: None,
                        body: body.clone(),
                    },
                );
                ctx.send_all(
                    self.peers(me),
                    Msg::Broadcast {
                        origin: me,
                        id,
                        body: body.clone(),
                        reliable,
                    },
                );
                if reliable {
                    node.mem.broadcasts.insert(
                        id,
                        Outstanding {
                            origin: me,
                            id,
                            body,
                            topic: None,
                            waiting_for: self.peers(me).collect(),
                            attempts: 1,
                        },
                    );
                    ctx.set_timer(Timer::Retransmit { id }, self.retransmit_delay());
                }
                ctx.note(Note::StartsBroadcast { id, reliable });
            }
            Cmd::Publish { topic, body } => {
                let id = self.originate(node, Kind::Publication, me);
                ctx.send(
                    self.broker(),
                    Msg::Publish {
                        id,
                        topic: topic.clone(),
                        body: body.clone(),
                    },
                );
                node.mem.publications.insert(
                    id,
                    Outstanding {
                        origin: me,
                        id,
                        body,
                        topic: Some(topic.clone()),
                        waiting_for: VecSet::from([self.broker()]),
                        attempts: 1,
                    },
                );
                ctx.set_timer(Timer::PublishRetry { id }, self.retransmit_delay());
                ctx.note(Note::Publishes { id, topic });
            }
            Cmd::Subscribe { topic } => {
                node.disk.subscriptions.insert(topic.clone());
                ctx.send(
                    self.broker(),
                    Msg::Subscribe {
                        topic: topic.clone(),
                    },
                );
                ctx.note(Note::Subscribes { topic });
            }
            Cmd::Unsubscribe { topic } => {
                node.disk.subscriptions.remove(&topic);
                ctx.send(
                    self.broker(),
                    Msg::Unsubscribe {
                        topic: topic.clone(),
                    },
                );
                ctx.note(Note::Unsubscribes { topic });
            }
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        match msg {
            Msg::Request { id, body } => {
                let what = AppId {
                    kind: Kind::Request,
                    origin: from,
                    id,
                };
                let seen_before = node.disk.seen.contains(&what);
                let delivered = self.deliver(
                    node,
                    Delivery {
                        what,
                        at: ctx.now(),
                        topic: None,
                        body,
                    },
                );
                ctx.note(match (delivered, seen_before) {
                    (false, _) => Note::DuplicateRequest { from, id },
                    (true, true) => Note::RepeatedRequestDelivered { from, id },
                    (true, false) => Note::DeliversRequest { from, id },
                });
                // Every copy is answered: the response to an earlier copy may have been lost.
                ctx.send(from, Msg::Response { id });
            }
            Msg::Response { id } => match node.mem.requests.remove(&id) {
                Some(p) => {
                    ctx.cancel_timer(Timer::RequestTimeout { id });
                    ctx.note(Note::GotResponse {
                        from,
                        id,
                        attempts: p.attempts,
                    });
                }
                None => ctx.note(Note::LateResponse { from, id }),
            },
            Msg::Broadcast {
                origin,
                id,
                body,
                reliable,
            } => {
                let what = AppId {
                    kind: Kind::Broadcast,
                    origin,
                    id,
                };
                let seen_before = node.disk.seen.contains(&what);
                let delivered = self.deliver(
                    node,
                    Delivery {
                        what,
                        at: ctx.now(),
                        topic: None,
                        body,
                    },
                );
                ctx.note(if delivered && !seen_before {
                    Note::DeliversBroadcast { origin, id }
                } else {
                    Note::DuplicateBroadcast { origin, id }
                });
                if reliable {
                    ctx.send(from, Msg::BroadcastAck { origin, id });
                }
            }
            Msg::BroadcastAck { id, .. } => {
                if let Some(o) = node.mem.broadcasts.get_mut(&id) {
                    if o.waiting_for.remove(&from) {
                        let remaining = o.waiting_for.len() as u32;
                        if remaining == 0 {
                            node.mem.broadcasts.remove(&id);
                            ctx.cancel_timer(Timer::Retransmit { id });
                            ctx.note(Note::BroadcastComplete { id, last: from });
                        } else {
                            ctx.note(Note::BroadcastAcked {
                                by: from,
                                id,
                                remaining,
                            });
                        }
                    }
                }
            }
            Msg::Subscribe { topic } => {
                node.disk
                    .topics
                    .entry(topic.clone())
                    .or_default()
                    .insert(from);
                ctx.note(Note::BrokerAddsSubscriber { node: from, topic });
            }
            Msg::Unsubscribe { topic } => {
                if let Some(s) = node.disk.topics.get_mut(&topic) {
                    s.remove(&from);
                }
                ctx.note(Note::BrokerRemovesSubscriber { node: from, topic });
            }
            Msg::Publish { id, topic, body } => {
                // Acknowledge every copy; forward a publication once (the broker deduplicates
                // by publisher and number).
                ctx.send(from, Msg::PublishAck { id });
                let what = AppId {
                    kind: Kind::Publication,
                    origin: from,
                    id,
                };
                if !node.disk.seen.insert(what) && self.params.dedup {
                    ctx.note(Note::BrokerDuplicate {
                        publisher: from,
                        id,
                    });
                    return;
                }
                let subs: Vec<NodeId> = node
                    .disk
                    .topics
                    .get(&topic)
                    .map(|s| s.iter().copied().collect())
                    .unwrap_or_default();
                ctx.send_all(
                    subs.iter().copied(),
                    Msg::Event {
                        publisher: from,
                        id,
                        topic: topic.clone(),
                        body: body.clone(),
                    },
                );
                if self.params.reliable && !subs.is_empty() {
                    node.mem.forwarding.insert(
                        (from, id),
                        Outstanding {
                            origin: from,
                            id,
                            body,
                            topic: Some(topic.clone()),
                            waiting_for: subs.iter().copied().collect(),
                            attempts: 1,
                        },
                    );
                    ctx.set_timer(
                        Timer::ForwardRetry {
                            publisher: from,
                            id,
                        },
                        self.retransmit_delay(),
                    );
                }
                ctx.note(Note::BrokerForwards {
                    publisher: from,
                    id,
                    topic,
                    to: subs,
                });
            }
            Msg::PublishAck { id } => {
                if node.mem.publications.remove(&id).is_some() {
                    ctx.cancel_timer(Timer::PublishRetry { id });
                    ctx.note(Note::PublishAcked { id });
                }
            }
            Msg::Event {
                publisher,
                id,
                topic,
                body,
            } => {
                if self.params.reliable {
                    ctx.send(from, Msg::EventAck { publisher, id });
                }
                if !node.disk.subscriptions.contains(&topic) {
                    ctx.note(Note::DiscardsEvent {
                        publisher,
                        id,
                        topic,
                    });
                    return;
                }
                let what = AppId {
                    kind: Kind::Publication,
                    origin: publisher,
                    id,
                };
                let delivered = self.deliver(
                    node,
                    Delivery {
                        what,
                        at: ctx.now(),
                        topic: Some(topic.clone()),
                        body,
                    },
                );
                ctx.note(if delivered {
                    Note::DeliversEvent {
                        publisher,
                        id,
                        topic,
                    }
                } else {
                    Note::DuplicateEvent { publisher, id }
                });
            }
            Msg::EventAck { publisher, id } => {
                if let Some(o) = node.mem.forwarding.get_mut(&(publisher, id)) {
                    o.waiting_for.remove(&from);
                    if o.waiting_for.is_empty() {
                        node.mem.forwarding.remove(&(publisher, id));
                        ctx.cancel_timer(Timer::ForwardRetry { publisher, id });
                        ctx.note(Note::BrokerForwardDone { publisher, id });
                    }
                }
            }
        }
        let _ = me;
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        match timer {
            Timer::RequestTimeout { id } => {
                let Some(p) = node.mem.requests.get_mut(&id) else {
                    return;
                };
                if p.attempts > self.params.max_retries {
                    let (to, attempts) = (p.to, p.attempts);
                    node.mem.requests.remove(&id);
                    ctx.note(Note::GivesUp { to, id, attempts });
                    return;
                }
                p.attempts += 1;
                let (to, body, attempt) = (p.to, p.body.clone(), p.attempts);
                ctx.send(to, Msg::Request { id, body });
                let t = self.params.request_timeout;
                ctx.set_timer(timer, t..=t);
                ctx.note(Note::RequestTimedOut { to, id, attempt });
            }
            Timer::Retransmit { id } => {
                let Some(o) = node.mem.broadcasts.get_mut(&id) else {
                    return;
                };
                o.attempts += 1;
                let to: Vec<NodeId> = o.waiting_for.iter().copied().collect();
                let msg = Msg::Broadcast {
                    origin: me,
                    id,
                    body: o.body.clone(),
                    reliable: true,
                };
                ctx.send_all(to.iter().copied(), msg);
                ctx.set_timer(timer, self.retransmit_delay());
                ctx.note(Note::Retransmits { id, to });
            }
            Timer::PublishRetry { id } => {
                let Some(o) = node.mem.publications.get_mut(&id) else {
                    return;
                };
                o.attempts += 1;
                let msg = Msg::Publish {
                    id,
                    topic: o.topic.clone().unwrap_or_default(),
                    body: o.body.clone(),
                };
                ctx.send(self.broker(), msg);
                ctx.set_timer(timer, self.retransmit_delay());
                ctx.note(Note::RepublishTimedOut { id });
            }
            Timer::ForwardRetry { publisher, id } => {
                let Some(o) = node.mem.forwarding.get_mut(&(publisher, id)) else {
                    return;
                };
                o.attempts += 1;
                let to: Vec<NodeId> = o.waiting_for.iter().copied().collect();
                let msg = Msg::Event {
                    publisher,
                    id,
                    topic: o.topic.clone().unwrap_or_default(),
                    body: o.body.clone(),
                };
                ctx.send_all(to.iter().copied(), msg);
                ctx.set_timer(timer, self.retransmit_delay());
                ctx.note(Note::BrokerRetransmits { publisher, id, to });
            }
        }
    }

    fn fault_note(&self, node: &Node, fault: NodeFault) -> Option<Note> {
        if fault != NodeFault::Crash {
            return None;
        }
        let [requests, broadcasts, publications, forwarding] = [
            node.mem.requests.len(),
            node.mem.broadcasts.len(),
            node.mem.publications.len(),
            node.mem.forwarding.len(),
        ]
        .map(|n| n as u32);
        // Nothing unfinished, nothing to say beyond the kernel's words.
        (requests + broadcasts + publications + forwarding > 0).then_some(Note::CrashLoses {
            requests,
            broadcasts,
            publications,
            forwarding,
        })
    }

    fn on_restart(&self, _node: &mut Node, ctx: &mut Ctx<Self>) {
        ctx.note(Note::Restarts { lost: 0 });
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::Request { .. } => "REQ",
            Msg::Response { .. } => "RESP",
            Msg::Broadcast { .. } => "BC",
            Msg::BroadcastAck { .. } => "ACK",
            Msg::Subscribe { .. } => "SUB",
            Msg::Unsubscribe { .. } => "UNSUB",
            Msg::Publish { .. } => "PUB",
            Msg::PublishAck { .. } => "PUBACK",
            Msg::Event { .. } => "EVT",
            Msg::EventAck { .. } => "EVTACK",
        }
    }

    fn describe_msg(&self, msg: &Msg, names: &[String]) -> String {
        self.msg_words(msg, names)
    }

    fn describe_timer(&self, timer: &Timer, names: &[String]) -> String {
        self.timer_words(timer, names)
    }

    fn describe_cmd(&self, cmd: &Cmd, names: &[String]) -> String {
        self.cmd_words(cmd, names)
    }

    fn describe_note(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        self.note_words(me, note, names)
    }

    fn properties(&self) -> Vec<Property> {
        checker::properties()
    }

    fn checker(&self) -> MessagingChecker {
        MessagingChecker {
            nodes: self.params.nodes,
        }
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let n = self.params.nodes;
        let from = NodeId(rng.random_range(0..n));
        let cmd = match rng.random_range(0..4u32) {
            0 | 1 => {
                let mut to = rng.random_range(0..n - 1);
                if to >= from.0 {
                    to += 1;
                }
                Cmd::Request {
                    to: NodeId(to),
                    body: String::new(),
                }
            }
            2 => Cmd::Broadcast {
                body: String::new(),
            },
            _ => Cmd::Publish {
                topic: TOPICS[rng.random_range(0..TOPICS.len() as u32) as usize].into(),
                body: String::new(),
            },
        };
        Some((from, cmd))
    }
}

/// Topics the sweep workload publishes on.
const TOPICS: [&str; 2] = ["news", "prices"];
