//! The messaging page's types: parameters, node state, messages, timers, commands and
//! narration notes.

use crate::collections::{VecMap, VecSet};
use crate::protocol::NodeState;
use crate::sim::{NodeId, Time};
use serde::{Deserialize, Serialize};

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
    pub subscriptions: VecMap<String, Vec<String>>,
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
            subscriptions: VecMap::new(),
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
    map: &VecMap<K, V>,
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
    pub waiting_for: VecSet<NodeId>,
    pub attempts: u32,
}

/// A node's state: what survives a crash ([`NodeDisk`]) and what is lost ([`NodeMem`]).
pub type Node = NodeState<NodeDisk, NodeMem>;

/// What a node keeps on disk: it survives a crash.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeDisk {
    /// What this node's application delivered, in order.
    pub delivered: Vec<Delivery>,
    /// What this node's application originated.
    pub originated: VecSet<AppId>,
    /// How many times the application got each message (normally once). Not shown: it
    /// repeats `delivered`.
    #[serde(skip)]
    pub counts: VecMap<AppId, u32>,
    /// Deduplication table: what was already handed to the application.
    pub seen: VecSet<AppId>,
    /// Next number for messages this node originates.
    pub next_id: u32,
    /// Topics this node subscribes to.
    pub subscriptions: VecSet<String>,
    /// Broker only: subscribers per topic.
    pub topics: VecMap<String, VecSet<NodeId>>,
}

/// What a node holds in memory: the work in progress, lost in a crash (a restarted node
/// starts with none).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NodeMem {
    /// Requests waiting for their responses, by number.
    pub requests: VecMap<u32, PendingRequest>,
    /// Broadcasts this node originated, still being acknowledged.
    pub broadcasts: VecMap<u32, Outstanding>,
    /// Publications sent to the broker, awaiting its acknowledgement.
    pub publications: VecMap<u32, Outstanding>,
    /// Broker only: forwarded publications awaiting subscribers' acknowledgements, by
    /// publisher and number.
    #[serde(serialize_with = "values_only")]
    pub forwarding: VecMap<(NodeId, u32), Outstanding>,
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
