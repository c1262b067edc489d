//! Messaging: the communication models every later page builds on.
//!
//! Nodes `n1..nN` and a `broker`:
//! - **Point-to-point request/response**: a request is retried after a timeout, up to a
//!   number of retries; the receiver answers each copy and, with deduplication on, hands
//!   the request to its application only once.
//! - **Broadcast**: best-effort (one send to every node) or reliable (every receiver acks;
//!   the origin retransmits to those that have not acked until all have).
//! - **Publish/subscribe**: publishers send to the broker (retried until it acks); the broker
//!   forwards to the topic's subscribers (reliably, when reliable delivery is on).
//!
//! The application logs (what each node delivered and originated) and the deduplication
//! table are persistent; in-progress retries are volatile and lost in a crash.

use crate::invariant::{Checker, Property, Violation};
use crate::protocol::{Ctx, NodeFault, ParamError, Protocol};
use crate::sim::{NodeId, Sim, Time};
use crate::trace::StepOutcome;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const NAME: &str = "messaging";

/// Parameters of the messaging page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Number of ordinary nodes, 2 to 9 (the broker comes on top).
    pub nodes: u32,
    /// How long a requester waits for a response before retrying (ms).
    pub request_timeout: Time,
    /// How many times a request is retried before the requester gives up.
    pub max_retries: u32,
    /// Receivers remember what they delivered and hand each message to the application once.
    pub dedup: bool,
    /// Broadcasts and broker fan-out are acknowledged and retransmitted until acknowledged.
    pub reliable: bool,
    /// Delay between retransmissions (ms).
    pub retransmit_interval: Time,
    /// Initial subscriptions: node name -> topics.
    pub subscriptions: BTreeMap<String, Vec<String>>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 4,
            request_timeout: 150,
            max_retries: 3,
            dedup: true,
            reliable: true,
            retransmit_interval: 150,
            subscriptions: BTreeMap::new(),
        }
    }
}

/// What the application sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Request,
    Broadcast,
    Publication,
}

/// A message's identity at the application level: kind, origin and the origin's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AppId {
    pub kind: Kind,
    pub origin: NodeId,
    pub id: u32,
}

/// One message handed to a node's application.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delivery {
    #[serde(flatten)]
    pub what: AppId,
    pub at: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub body: String,
}

/// A request waiting for its response (volatile).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PendingRequest {
    pub to: NodeId,
    pub body: String,
    pub attempts: u32,
}

/// Serialize a map as the list of its values (for maps whose keys are not strings and are
/// repeated inside the values).
fn values_only<S: serde::Serializer, K, V: Serialize>(
    map: &BTreeMap<K, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(map.values())
}

/// A message being sent reliably: who has not acknowledged it yet (volatile).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outstanding {
    /// The node that originated it and its number there.
    pub origin: NodeId,
    pub id: u32,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub waiting_for: BTreeSet<NodeId>,
    pub attempts: u32,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    // Persistent: survives a crash.
    /// What this node's application delivered, in order.
    pub delivered: Vec<Delivery>,
    /// What this node's application originated.
    pub originated: BTreeSet<AppId>,
    /// How many times the application got each message (normally once). Not shown: it
    /// repeats `delivered`.
    #[serde(skip)]
    pub counts: BTreeMap<AppId, u32>,
    /// Deduplication table: what was already handed to the application.
    pub seen: BTreeSet<AppId>,
    /// Next number for messages this node originates.
    pub next_id: u32,
    /// Topics this node subscribes to.
    pub subscriptions: BTreeSet<String>,
    /// Broker only: subscribers per topic.
    pub topics: BTreeMap<String, BTreeSet<NodeId>>,
    // Volatile: lost in a crash.
    pub requests: BTreeMap<u32, PendingRequest>,
    /// Broadcasts this node originated, still being acknowledged.
    pub broadcasts: BTreeMap<u32, Outstanding>,
    /// Publications sent to the broker, awaiting its acknowledgement.
    pub publications: BTreeMap<u32, Outstanding>,
    /// Broker only: forwarded publications awaiting subscribers' acknowledgements, by
    /// publisher and number.
    #[serde(serialize_with = "values_only")]
    pub forwarding: BTreeMap<(NodeId, u32), Outstanding>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Msg {
    Request {
        id: u32,
        body: String,
    },
    Response {
        id: u32,
    },
    Broadcast {
        origin: NodeId,
        id: u32,
        body: String,
        reliable: bool,
    },
    BroadcastAck {
        origin: NodeId,
        id: u32,
    },
    Subscribe {
        topic: String,
    },
    Unsubscribe {
        topic: String,
    },
    Publish {
        id: u32,
        topic: String,
        body: String,
    },
    PublishAck {
        id: u32,
    },
    Event {
        publisher: NodeId,
        id: u32,
        topic: String,
        body: String,
    },
    EventAck {
        publisher: NodeId,
        id: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Timer {
    RequestTimeout { id: u32 },
    Retransmit { id: u32 },
    PublishRetry { id: u32 },
    ForwardRetry { publisher: NodeId, id: u32 },
}

/// Commands a person or a script gives a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cmd {
    /// Send a request to `to` and wait for its response.
    Request {
        to: NodeId,
        #[serde(default)]
        body: String,
    },
    /// Broadcast to every other node (not the broker).
    Broadcast {
        #[serde(default)]
        body: String,
    },
    /// Publish on a topic through the broker.
    Publish {
        topic: String,
        #[serde(default)]
        body: String,
    },
    Subscribe {
        topic: String,
    },
    Unsubscribe {
        topic: String,
    },
}

/// Narration, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "note")]
pub enum Note {
    SendsRequest {
        to: NodeId,
        id: u32,
    },
    RequestTimedOut {
        to: NodeId,
        id: u32,
        attempt: u32,
    },
    GivesUp {
        to: NodeId,
        id: u32,
        attempts: u32,
    },
    DeliversRequest {
        from: NodeId,
        id: u32,
    },
    DuplicateRequest {
        from: NodeId,
        id: u32,
    },
    RepeatedRequestDelivered {
        from: NodeId,
        id: u32,
    },
    GotResponse {
        from: NodeId,
        id: u32,
        attempts: u32,
    },
    LateResponse {
        from: NodeId,
        id: u32,
    },
    StartsBroadcast {
        id: u32,
        reliable: bool,
    },
    DeliversBroadcast {
        origin: NodeId,
        id: u32,
    },
    DuplicateBroadcast {
        origin: NodeId,
        id: u32,
    },
    BroadcastAcked {
        by: NodeId,
        id: u32,
        remaining: u32,
    },
    BroadcastComplete {
        id: u32,
        last: NodeId,
    },
    Retransmits {
        id: u32,
        to: Vec<NodeId>,
    },
    Publishes {
        id: u32,
        topic: String,
    },
    RepublishTimedOut {
        id: u32,
    },
    PublishAcked {
        id: u32,
    },
    BrokerForwards {
        publisher: NodeId,
        id: u32,
        topic: String,
        to: Vec<NodeId>,
    },
    BrokerDuplicate {
        publisher: NodeId,
        id: u32,
    },
    BrokerRetransmits {
        publisher: NodeId,
        id: u32,
        to: Vec<NodeId>,
    },
    BrokerForwardDone {
        publisher: NodeId,
        id: u32,
    },
    DeliversEvent {
        publisher: NodeId,
        id: u32,
        topic: String,
    },
    DuplicateEvent {
        publisher: NodeId,
        id: u32,
    },
    DiscardsEvent {
        publisher: NodeId,
        id: u32,
        topic: String,
    },
    Subscribes {
        topic: String,
    },
    Unsubscribes {
        topic: String,
    },
    BrokerAddsSubscriber {
        node: NodeId,
        topic: String,
    },
    BrokerRemovesSubscriber {
        node: NodeId,
        topic: String,
    },
    NotTheBroker,
    BrokerCannot,
    Restarts {
        lost: u32,
    },
    /// A crash with unfinished work in memory: what is lost with it.
    CrashLoses {
        requests: u32,
        broadcasts: u32,
        publications: u32,
        forwarding: u32,
    },
}

#[derive(Clone, Debug)]
pub struct Messaging {
    params: Params,
    /// Initial subscriptions resolved to node ids.
    initial_subs: BTreeMap<NodeId, BTreeSet<String>>,
}

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
        if self.params.dedup && !node.seen.insert(d.what) {
            return false;
        }
        if !self.params.dedup {
            node.seen.insert(d.what);
        }
        *node.counts.entry(d.what).or_insert(0) += 1;
        node.delivered.push(d);
        true
    }

    fn originate(&self, node: &mut Node, kind: Kind, me: NodeId) -> u32 {
        node.next_id += 1;
        let id = node.next_id;
        node.originated.insert(AppId {
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

impl crate::algorithm::Algorithm for Messaging {
    const TITLE: &'static str = "Messaging";
    const SUMMARY: &'static str = "Point-to-point requests with timeouts and retries, best-effort and reliable broadcast, publish/subscribe through a broker.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "messaging-normal",
        "messaging-lossy-link",
        "messaging-partition-heal",
        "messaging-broker-crash",
        "messaging-no-dedup",
    );
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
        let mut initial_subs = BTreeMap::new();
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
            let mut set = BTreeSet::new();
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
        let mut topics: BTreeMap<String, BTreeSet<NodeId>> = BTreeMap::new();
        if id == self.broker() {
            for (n, ts) in &self.initial_subs {
                for t in ts {
                    topics.entry(t.clone()).or_default().insert(*n);
                }
            }
        }
        Node {
            delivered: Vec::new(),
            originated: BTreeSet::new(),
            counts: BTreeMap::new(),
            seen: BTreeSet::new(),
            next_id: 0,
            subscriptions,
            topics,
            requests: BTreeMap::new(),
            broadcasts: BTreeMap::new(),
            publications: BTreeMap::new(),
            forwarding: BTreeMap::new(),
        }
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
                node.requests.insert(
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
                    node.broadcasts.insert(
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
                node.publications.insert(
                    id,
                    Outstanding {
                        origin: me,
                        id,
                        body,
                        topic: Some(topic.clone()),
                        waiting_for: [self.broker()].into(),
                        attempts: 1,
                    },
                );
                ctx.set_timer(Timer::PublishRetry { id }, self.retransmit_delay());
                ctx.note(Note::Publishes { id, topic });
            }
            Cmd::Subscribe { topic } => {
                node.subscriptions.insert(topic.clone());
                ctx.send(
                    self.broker(),
                    Msg::Subscribe {
                        topic: topic.clone(),
                    },
                );
                ctx.note(Note::Subscribes { topic });
            }
            Cmd::Unsubscribe { topic } => {
                node.subscriptions.remove(&topic);
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
                let seen_before = node.seen.contains(&what);
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
            Msg::Response { id } => match node.requests.remove(&id) {
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
                let seen_before = node.seen.contains(&what);
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
                if let Some(o) = node.broadcasts.get_mut(&id) {
                    if o.waiting_for.remove(&from) {
                        let remaining = o.waiting_for.len() as u32;
                        if remaining == 0 {
                            node.broadcasts.remove(&id);
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
                node.topics.entry(topic.clone()).or_default().insert(from);
                ctx.note(Note::BrokerAddsSubscriber { node: from, topic });
            }
            Msg::Unsubscribe { topic } => {
                if let Some(s) = node.topics.get_mut(&topic) {
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
                if !node.seen.insert(what) && self.params.dedup {
                    ctx.note(Note::BrokerDuplicate {
                        publisher: from,
                        id,
                    });
                    return;
                }
                let subs: Vec<NodeId> = node
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
                    node.forwarding.insert(
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
                if node.publications.remove(&id).is_some() {
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
                if !node.subscriptions.contains(&topic) {
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
                if let Some(o) = node.forwarding.get_mut(&(publisher, id)) {
                    o.waiting_for.remove(&from);
                    if o.waiting_for.is_empty() {
                        node.forwarding.remove(&(publisher, id));
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
                let Some(p) = node.requests.get_mut(&id) else {
                    return;
                };
                if p.attempts > self.params.max_retries {
                    let (to, attempts) = (p.to, p.attempts);
                    node.requests.remove(&id);
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
                let Some(o) = node.broadcasts.get_mut(&id) else {
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
                let Some(o) = node.publications.get_mut(&id) else {
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
                let Some(o) = node.forwarding.get_mut(&(publisher, id)) else {
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
            node.requests.len(),
            node.broadcasts.len(),
            node.publications.len(),
            node.forwarding.len(),
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

    fn describe_timer(&self, timer: &Timer, names: &[String]) -> String {
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

    fn describe_cmd(&self, cmd: &Cmd, names: &[String]) -> String {
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

    fn describe_note(&self, me: NodeId, note: &Note, names: &[String]) -> String {
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

    fn properties(&self) -> Vec<Property> {
        vec![
            Property {
                name: NO_CREATION,
                description: "Every message an application delivers was sent by its origin.",
            },
            Property {
                name: NO_DUPLICATION,
                description:
                    "No application delivers the same message twice (needs deduplication on).",
            },
            Property {
                name: BROADCAST_AGREEMENT,
                description:
                    "When a reliable broadcast is fully acknowledged, every node has delivered it.",
            },
            Property {
                name: TOPIC_FILTER,
                description: "A node delivers only events of topics it subscribes to.",
            },
        ]
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

pub const NO_CREATION: &str = "No creation";
pub const NO_DUPLICATION: &str = "No duplication";
pub const BROADCAST_AGREEMENT: &str = "Broadcast agreement";
pub const TOPIC_FILTER: &str = "Topic filter";

fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

fn quoted(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(" '{body}'")
    }
}

/// Checks the messaging properties from each step's narration notes and the node states.
#[derive(Clone, Debug)]
pub struct MessagingChecker {
    nodes: u32,
}

impl Checker<Messaging> for MessagingChecker {
    fn check(
        &mut self,
        sim: &Sim<Messaging>,
        step: &StepOutcome<Messaging>,
        out: &mut Vec<Violation>,
    ) {
        let Some(me) = step.record.node else {
            return;
        };
        let names = sim.names();
        let node = sim.node(me);
        let violation = Violation::new;
        for note in &step.record.notes {
            let what = match *note {
                Note::DeliversRequest { from, id }
                | Note::RepeatedRequestDelivered { from, id } => Some(AppId {
                    kind: Kind::Request,
                    origin: from,
                    id,
                }),
                Note::DeliversBroadcast { origin, id } => Some(AppId {
                    kind: Kind::Broadcast,
                    origin,
                    id,
                }),
                Note::DuplicateBroadcast { origin, id } if !sim.proto().params.dedup => {
                    Some(AppId {
                        kind: Kind::Broadcast,
                        origin,
                        id,
                    })
                }
                Note::DeliversEvent { publisher, id, .. } => Some(AppId {
                    kind: Kind::Publication,
                    origin: publisher,
                    id,
                }),
                _ => None,
            };
            if let Some(what) = what {
                let label = describe_app(names, what);
                if !sim.node(what.origin).originated.contains(&what) {
                    out.push(violation(
                        NO_CREATION,
                        format!(
                            "{} delivered {label}, which {} never sent",
                            name(names, me),
                            name(names, what.origin)
                        ),
                    ));
                }
                let count = node.counts.get(&what).copied().unwrap_or(0);
                if count > 1 {
                    out.push(violation(
                        NO_DUPLICATION,
                        format!("{} delivered {label} {count} times", name(names, me)),
                    ));
                }
            }
            if let Note::DeliversEvent {
                ref topic,
                publisher,
                id,
            } = *note
            {
                if !node.subscriptions.contains(topic) {
                    out.push(violation(
                        TOPIC_FILTER,
                        format!(
                            "{} delivered event {}#{id} on '{topic}' without subscribing to '{topic}'",
                            name(names, me),
                            name(names, publisher)
                        ),
                    ));
                }
            }
            if let Note::BroadcastComplete { id, .. } = *note {
                let what = AppId {
                    kind: Kind::Broadcast,
                    origin: me,
                    id,
                };
                let missing: Vec<&str> = (0..self.nodes)
                    .map(NodeId)
                    .filter(|&n| !sim.node(n).counts.contains_key(&what))
                    .map(|n| name(names, n))
                    .collect();
                if !missing.is_empty() {
                    out.push(violation(
                        BROADCAST_AGREEMENT,
                        format!(
                            "broadcast {}#{id} is fully acknowledged but {} never delivered it",
                            name(names, me),
                            missing.join(", ")
                        ),
                    ));
                }
            }
        }
    }
}

fn describe_app(names: &[String], a: AppId) -> String {
    let kind = match a.kind {
        Kind::Request => "request",
        Kind::Broadcast => "broadcast",
        Kind::Publication => "event",
    };
    format!("{kind} {}#{}", name(names, a.origin), a.id)
}

/// Transitional: what a crash loses (to become a disk/memory split).
impl crate::protocol::Durable for Node {
    fn crash(&mut self) {
        let node = self;
        node.requests.clear();
        node.broadcasts.clear();
        node.publications.clear();
        node.forwarding.clear();
    }
}
