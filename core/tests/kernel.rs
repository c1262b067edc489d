//! Kernel tests with a tiny protocol defined here ("ping"), so the simulator, the network
//! model, faults and the timeline are tested independently of any real algorithm.
//!
//! Ping: a command makes a node send numbered pings to another node, which records what it
//! received (persistent). Timers are set by command and on init/restart (`Boot`); with
//! `tick > 0` the boot timer re-arms itself and sends a ping to a random peer, which gives
//! the timeline tests perpetual, random traffic. `handled` is volatile (lost in a crash).
//! Its checker asserts kernel invariants on every step: only a node that is up handles an
//! event, and time never goes backwards.

use dsplay_core::hash::hash_json;
use dsplay_core::invariant::{Checker, Property, Violation};
use dsplay_core::protocol::{Ctx, Durable, ParamError, Protocol};
use dsplay_core::sim::{
    Action, DefaultChange, LinkParams, Network, NodeId, NodeStatus, Sim, SimSnapshot, Time,
};
use dsplay_core::timeline::{TimedAction, Timeline};
use dsplay_core::trace::{
    DropReason, Fate, KernelNote, MsgRecord, MsgUpdate, StepKind, StepOutcome, StepRecord, Trace,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------------------
// The ping protocol
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
struct PingParams {
    nodes: u32,
    /// Delay of the `Boot` timer set on init and on restart (0: none).
    boot: Time,
    /// When > 0, `Boot` re-arms itself after [tick, 2 tick] ms and pings a random peer.
    tick: Time,
    /// Answer each ping with a pong.
    echo: bool,
}

impl Default for PingParams {
    fn default() -> Self {
        PingParams {
            nodes: 3,
            boot: 0,
            tick: 0,
            echo: false,
        }
    }
}

#[derive(Clone, Debug)]
struct Ping {
    params: PingParams,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct Recv {
    from: u32,
    seq: u32,
    at: Time,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct PNode {
    // Persistent.
    received: Vec<Recv>,
    pongs: Vec<u32>,
    next_seq: u32,
    fired: Vec<(PTimer, Time)>,
    restarts: u32,
    // Volatile.
    handled: u32,
}

impl Durable for PNode {
    fn crash(&mut self) {
        self.handled = 0;
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
enum PMsg {
    Ping { seq: u32 },
    Pong { seq: u32 },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
enum PTimer {
    Boot,
    Tag(u32),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum PCmd {
    Send { to: NodeId, count: u32 },
    SetTimer { tag: u32, after: Time },
    CancelTimer { tag: u32 },
    Noop,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
enum PNote {
    Got { from: u32, seq: u32 },
    Fired,
    Sent { to: u32, count: u32 },
    Restarted,
    Cmd,
}

#[derive(Clone, Debug)]
struct PingChecker {
    last_time: Time,
}

impl Checker<Ping> for PingChecker {
    fn check(&mut self, sim: &Sim<Ping>, step: &StepOutcome<Ping>, out: &mut Vec<Violation>) {
        let r = &step.record;
        if r.time < self.last_time {
            out.push(Violation {
                step: 0,
                time: 0,
                property: "Time goes forward",
                explanation: format!("step at {} after {}", r.time, self.last_time),
            });
        }
        self.last_time = r.time;
        let handled = match &r.kind {
            StepKind::Deliver { .. } | StepKind::Timer { .. } => true,
            StepKind::Action {
                action: Action::Command { .. },
                ..
            } => r.kernel.is_none(),
            _ => false,
        };
        if handled {
            let n = r.node.expect("a handled event has a node");
            if sim.status(n) != NodeStatus::Up {
                out.push(Violation {
                    step: 0,
                    time: 0,
                    property: "Only live nodes act",
                    explanation: format!("{} handled {:?} while {:?}", n.0, r.kind, sim.status(n)),
                });
            }
        }
    }
}

impl Protocol for Ping {
    type Params = PingParams;
    type Node = PNode;
    type Msg = PMsg;
    type Timer = PTimer;
    type Cmd = PCmd;
    type Note = PNote;
    type Checker = PingChecker;

    const NAME: &'static str = "ping";

    fn new(params: PingParams) -> Result<Self, ParamError> {
        ParamError::check_range("nodes", params.nodes, 1..=26)?;
        Ok(Ping { params })
    }

    fn params(&self) -> &PingParams {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        (0..self.params.nodes)
            .map(|i| ((b'a' + i as u8) as char).to_string())
            .collect()
    }

    fn init(&self, _id: NodeId, ctx: &mut Ctx<Self>) -> PNode {
        if self.params.boot > 0 {
            ctx.set_timer(PTimer::Boot, self.params.boot..=self.params.boot);
        }
        PNode {
            received: Vec::new(),
            pongs: Vec::new(),
            next_seq: 0,
            fired: Vec::new(),
            restarts: 0,
            handled: 0,
        }
    }

    fn on_msg(&self, node: &mut PNode, from: NodeId, msg: PMsg, ctx: &mut Ctx<Self>) {
        node.handled += 1;
        match msg {
            PMsg::Ping { seq } => {
                node.received.push(Recv {
                    from: from.0,
                    seq,
                    at: ctx.now(),
                });
                if self.params.echo {
                    ctx.send(from, PMsg::Pong { seq });
                }
                ctx.note(PNote::Got { from: from.0, seq });
            }
            PMsg::Pong { seq } => node.pongs.push(seq),
        }
    }

    fn on_timer(&self, node: &mut PNode, timer: PTimer, ctx: &mut Ctx<Self>) {
        node.handled += 1;
        node.fired.push((timer.clone(), ctx.now()));
        if timer == PTimer::Boot && self.params.tick > 0 {
            let t = self.params.tick;
            ctx.set_timer(PTimer::Boot, t..=2 * t);
            let n = u64::from(ctx.node_count());
            if n > 1 {
                let mut to = ctx.random_range(0..=n - 2) as u32;
                if to >= ctx.me().0 {
                    to += 1;
                }
                node.next_seq += 1;
                ctx.send(NodeId(to), PMsg::Ping { seq: node.next_seq });
            }
        }
        ctx.note(PNote::Fired);
    }

    fn on_cmd(&self, node: &mut PNode, cmd: PCmd, ctx: &mut Ctx<Self>) {
        node.handled += 1;
        match cmd {
            PCmd::Send { to, count } => {
                for _ in 0..count {
                    node.next_seq += 1;
                    ctx.send(to, PMsg::Ping { seq: node.next_seq });
                }
                ctx.note(PNote::Sent { to: to.0, count });
            }
            PCmd::SetTimer { tag, after } => ctx.set_timer(PTimer::Tag(tag), after..=after),
            PCmd::CancelTimer { tag } => ctx.cancel_timer(PTimer::Tag(tag)),
            PCmd::Noop => {}
        }
        ctx.note(PNote::Cmd);
    }

    fn on_restart(&self, node: &mut PNode, ctx: &mut Ctx<Self>) {
        node.restarts += 1;
        if self.params.boot > 0 {
            ctx.set_timer(PTimer::Boot, self.params.boot..=self.params.boot);
        }
        ctx.note(PNote::Restarted);
    }

    fn msg_label(&self, msg: &PMsg) -> &'static str {
        match msg {
            PMsg::Ping { .. } => "PING",
            PMsg::Pong { .. } => "PONG",
        }
    }

    fn describe_msg(&self, msg: &PMsg, _names: &[String]) -> String {
        format!("{msg:?}")
    }

    fn describe_timer(&self, timer: &PTimer, _names: &[String]) -> String {
        format!("{timer:?}")
    }

    fn describe_cmd(&self, cmd: &PCmd, _names: &[String]) -> String {
        format!("{cmd:?}")
    }

    fn describe_note(&self, _node: NodeId, note: &PNote, _names: &[String]) -> String {
        format!("{note:?}")
    }

    fn properties(&self) -> Vec<Property> {
        vec![
            Property {
                name: "Time goes forward",
                description: "Steps never go back in simulated time.",
            },
            Property {
                name: "Only live nodes act",
                description: "Only a node that is up handles messages, timers and commands.",
            },
        ]
    }

    fn checker(&self) -> PingChecker {
        PingChecker { last_time: 0 }
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, PCmd)> {
        let n = self.params.nodes;
        let from = rng.random_range(0..n);
        let to = rng.random_range(0..n);
        Some((
            NodeId(from),
            PCmd::Send {
                to: NodeId(to),
                count: 1,
            },
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const A: NodeId = NodeId(0);
const B: NodeId = NodeId(1);
const C: NodeId = NodeId(2);

fn ping(params: PingParams) -> Ping {
    Ping::new(params).unwrap()
}

fn nodes(n: u32) -> PingParams {
    PingParams {
        nodes: n,
        ..PingParams::default()
    }
}

fn link(latency: [Time; 2], loss: f64, duplicate: f64) -> LinkParams {
    LinkParams {
        latency,
        loss,
        duplicate,
    }
}

fn new_sim(params: PingParams, seed: u64, l: LinkParams) -> Sim<Ping> {
    Sim::new(ping(params), seed, Network::new(l))
}

fn cmd(node: NodeId, cmd: PCmd) -> Action<PCmd> {
    Action::Command { node, cmd }
}

fn send(from: NodeId, to: NodeId, count: u32) -> Action<PCmd> {
    cmd(from, PCmd::Send { to, count })
}

/// Step until nothing is left (at most `max` steps), collecting the trace.
fn run(sim: &mut Sim<Ping>, trace: &mut Trace<Ping>, max: u64) {
    for _ in 0..max {
        match sim.step() {
            Some(out) => trace.push(out),
            None => return,
        }
    }
}

/// Step every event due at or before `t`.
fn run_until(sim: &mut Sim<Ping>, trace: &mut Trace<Ping>, t: Time) {
    while sim.next_time().is_some_and(|n| n <= t) {
        let out = sim.step().expect("an event is due");
        trace.push(out);
    }
}

fn run_all(sim: &mut Sim<Ping>) -> Trace<Ping> {
    let mut t = Trace::default();
    run(sim, &mut t, 1_000_000);
    assert!(sim.step().is_none(), "the run should have ended");
    t
}

fn assert_no_violations(trace: &Trace<Ping>) {
    let v: Vec<&Violation> = trace.violations().collect();
    assert!(v.is_empty(), "kernel invariants violated: {v:?}");
}

fn dropped(m: &MsgRecord<Ping>, reason: DropReason) -> bool {
    m.fate == Fate::Dropped { reason }
}

fn step_of(trace: &Trace<Ping>, i: u64) -> &StepRecord<Ping> {
    &trace.steps[i as usize]
}

/// The seqs a node received from `from`, in order.
fn seqs_from(sim: &Sim<Ping>, node: NodeId, from: NodeId) -> Vec<u32> {
    sim.node(node)
        .received
        .iter()
        .filter(|r| r.from == from.0)
        .map(|r| r.seq)
        .collect()
}

fn is_action(s: &StepRecord<Ping>, f: impl Fn(&Action<PCmd>) -> bool) -> bool {
    matches!(&s.kind, StepKind::Action { action, .. } if f(action))
}

fn find_action_step(trace: &Trace<Ping>, f: impl Fn(&Action<PCmd>) -> bool) -> &StepRecord<Ping> {
    trace
        .steps
        .iter()
        .find(|s| is_action(s, &f))
        .expect("the action ran")
}

// ---------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------

#[test]
fn latency_stays_within_the_configured_range() {
    let mut sim = new_sim(nodes(2), 7, link([5, 40], 0.0, 0.0));
    sim.schedule(0, send(A, B, 2000));
    sim.schedule(3, send(B, A, 1000));
    let trace = run_all(&mut sim);
    assert_no_violations(&trace);
    assert_eq!(trace.messages.len(), 3000);
    let mut seen = BTreeSet::new();
    for m in &trace.messages {
        let latency = m.deliver_at - m.sent_at;
        assert!(
            (5..=40).contains(&latency),
            "message {} took {latency} ms, outside [5, 40]",
            m.id
        );
        seen.insert(latency);
        assert_eq!(m.fate, Fate::Delivered);
        let s = step_of(&trace, m.resolved_step.expect("delivered"));
        assert_eq!(s.time, m.deliver_at, "delivered at its delivery time");
        assert!(matches!(s.kind, StepKind::Deliver { msg, .. } if msg == m.id));
        assert_eq!(s.node, Some(m.to));
    }
    // Uniform over the closed range: with 3000 draws both ends and nearly every value occur.
    assert_eq!(seen.first(), Some(&5));
    assert_eq!(seen.last(), Some(&40));
    assert!(seen.len() >= 34, "only {} distinct latencies", seen.len());
    let got: BTreeSet<u32> = seqs_from(&sim, B, A).into_iter().collect();
    assert_eq!(got, (1..=2000).collect());
    assert_eq!(sim.node(A).received.len(), 1000);
}

#[test]
fn a_link_override_changes_only_that_direction() {
    let mut sim = new_sim(nodes(2), 9, link([5, 10], 0.0, 0.0));
    sim.schedule(
        0,
        Action::Link {
            from: A,
            to: B,
            params: link([100, 120], 0.0, 0.0),
            both: false,
        },
    );
    sim.schedule(1, send(A, B, 300));
    sim.schedule(1, send(B, A, 300));
    let trace = run_all(&mut sim);
    for m in &trace.messages {
        let latency = m.deliver_at - m.sent_at;
        if m.from == A {
            assert!((100..=120).contains(&latency), "a->b took {latency}");
        } else {
            assert!((5..=10).contains(&latency), "b->a took {latency}");
        }
    }
    assert_eq!(sim.net().link(A, B).latency, [100, 120]);
    assert_eq!(sim.net().link(B, A).latency, [5, 10]);
}

#[test]
fn loss_rate_is_statistically_right() {
    let n = 10_000u32;
    let p = 0.3;
    let mut sim = new_sim(nodes(2), 42, link([1, 20], p, 0.0));
    sim.schedule(0, send(A, B, n));
    let trace = run_all(&mut sim);
    assert_no_violations(&trace);
    assert_eq!(trace.messages.len(), n as usize);
    let lost: Vec<&MsgRecord<Ping>> = trace
        .messages
        .iter()
        .filter(|m| m.fate != Fate::Delivered)
        .collect();
    for m in &lost {
        assert!(dropped(m, DropReason::Loss), "{:?}", m.fate);
        // A lost message is decided when sent.
        assert_eq!(m.resolved_step, Some(m.sent_step));
    }
    let frac = lost.len() as f64 / f64::from(n);
    let sd = (p * (1.0 - p) / f64::from(n)).sqrt();
    assert!(
        (frac - p).abs() < 4.0 * sd,
        "dropped fraction {frac:.4}, expected {p} +- {:.4}",
        4.0 * sd
    );
    assert_eq!(
        sim.node(B).received.len(),
        n as usize - lost.len(),
        "the receiver got exactly the messages that were not lost"
    );
}

#[test]
fn loss_zero_and_one_are_exact() {
    let mut sim = new_sim(nodes(2), 1, link([1, 5], 1.0, 0.0));
    sim.schedule(0, send(A, B, 200));
    let trace = run_all(&mut sim);
    assert!(trace.messages.iter().all(|m| dropped(m, DropReason::Loss)));
    assert!(sim.node(B).received.is_empty());

    let mut sim = new_sim(nodes(2), 1, link([1, 5], 0.0, 0.0));
    sim.schedule(0, send(A, B, 200));
    let trace = run_all(&mut sim);
    assert!(trace.messages.iter().all(|m| m.fate == Fate::Delivered));
    assert_eq!(sim.node(B).received.len(), 200);
}

#[test]
fn duplication_creates_a_second_record() {
    let n = 4000u32;
    let p = 0.25;
    let mut sim = new_sim(nodes(2), 5, link([1, 30], 0.0, p));
    sim.schedule(0, send(A, B, n));
    let trace = run_all(&mut sim);
    assert_no_violations(&trace);
    let dups: Vec<&MsgRecord<Ping>> = trace
        .messages
        .iter()
        .filter(|m| m.duplicate_of.is_some())
        .collect();
    assert_eq!(trace.messages.len(), n as usize + dups.len());
    let mut dup_seqs = BTreeSet::new();
    for d in &dups {
        let o = &trace.messages[d.duplicate_of.unwrap() as usize];
        assert!(
            o.duplicate_of.is_none(),
            "a duplicate is never duplicated again"
        );
        assert_eq!(
            (o.from, o.to, o.sent_at, o.sent_step),
            (d.from, d.to, d.sent_at, d.sent_step)
        );
        assert_eq!(o.body, d.body);
        assert!(o.id < d.id);
        assert_eq!(d.fate, Fate::Delivered);
        let PMsg::Ping { seq } = d.body else {
            panic!("only pings are sent")
        };
        dup_seqs.insert(seq);
    }
    assert_eq!(
        dup_seqs.len(),
        dups.len(),
        "at most one duplicate per message"
    );
    let frac = dups.len() as f64 / f64::from(n);
    let sd = (p * (1.0 - p) / f64::from(n)).sqrt();
    assert!((frac - p).abs() < 4.0 * sd, "duplicated fraction {frac:.4}");
    // The receiver gets each duplicated ping twice and every other ping once.
    let mut count: BTreeMap<u32, u32> = BTreeMap::new();
    for r in &sim.node(B).received {
        *count.entry(r.seq).or_default() += 1;
    }
    assert_eq!(count.len(), n as usize);
    for (seq, c) in count {
        let expected = if dup_seqs.contains(&seq) { 2 } else { 1 };
        assert_eq!(c, expected, "ping {seq}");
    }
}

/// Send one ping on each directed link among a, b, c at `t`; returns the pairs in order.
fn all_pairs(sim: &mut Sim<Ping>, t: Time) -> Vec<(NodeId, NodeId)> {
    let pairs = vec![(A, B), (B, A), (A, C), (C, A), (B, C), (C, B)];
    for &(f, to) in &pairs {
        sim.schedule(t, send(f, to, 1));
    }
    pairs
}

fn fate_of(trace: &Trace<Ping>, from: NodeId, to: NodeId, sent_at: Time) -> Fate {
    let ms: Vec<&MsgRecord<Ping>> = trace
        .messages
        .iter()
        .filter(|m| m.from == from && m.to == to && m.sent_at == sent_at)
        .collect();
    assert_eq!(ms.len(), 1, "one message {from:?}->{to:?} at {sent_at}");
    ms[0].fate
}

#[test]
fn partitions_block_exactly_the_cut_links_until_healed() {
    let mut sim = new_sim(nodes(3), 3, link([10, 10], 0.0, 0.0));
    sim.schedule(
        0,
        Action::Partition {
            groups: vec![vec![A, B], vec![C]],
        },
    );
    let during = all_pairs(&mut sim, 10);
    sim.schedule(100, Action::Heal);
    let after = all_pairs(&mut sim, 110);
    let mut trace = Trace::default();
    run_until(&mut sim, &mut trace, 50);
    assert!(!sim.net().is_blocked(A, B) && !sim.net().is_blocked(B, A));
    for (x, y) in [(A, C), (C, A), (B, C), (C, B)] {
        assert!(sim.net().is_blocked(x, y), "{x:?}->{y:?} should be cut");
    }
    run(&mut sim, &mut trace, 1000);
    assert_no_violations(&trace);
    for (f, to) in during {
        let fate = fate_of(&trace, f, to, 10);
        let same_side = (f == A || f == B) && (to == A || to == B);
        if same_side {
            assert_eq!(fate, Fate::Delivered, "{f:?}->{to:?} during the partition");
        } else {
            assert_eq!(
                fate,
                Fate::Dropped {
                    reason: DropReason::Partition
                },
                "{f:?}->{to:?} during the partition"
            );
        }
    }
    for (f, to) in after {
        assert_eq!(
            fate_of(&trace, f, to, 110),
            Fate::Delivered,
            "{f:?}->{to:?} after heal"
        );
    }
    assert!(!sim.net().is_partitioned());
}

#[test]
fn same_settings_compares_what_each_link_does_and_not_the_cuts() {
    let base = Network::new(link([10, 50], 0.0, 0.0));
    let mut net = base.clone();
    net.cut(A, B, false, None);
    assert!(net.same_settings(&base), "a cut is not a setting");
    net.set_link(A, B, link([10, 50], 0.0, 0.0), None);
    assert!(
        net.same_settings(&base) && base.same_settings(&net),
        "an override equal to the default changes nothing"
    );
    net.set_link(B, A, link([10, 50], 0.1, 0.0), None);
    assert!(!net.same_settings(&base) && !base.same_settings(&net));
    let mut slow = base.clone();
    slow.set_defaults(
        DefaultChange {
            latency: Some([10, 60]),
            ..DefaultChange::default()
        },
        None,
    );
    assert!(!slow.same_settings(&base));
    // The simulation keeps the network it started with.
    let mut sim = Sim::new(ping(nodes(2)), 1, base.clone());
    sim.schedule(
        5,
        Action::Network {
            latency: Some([1, 2]),
            loss: None,
            duplicate: None,
        },
    );
    sim.step();
    assert_eq!(sim.net().defaults().latency, [1, 2]);
    assert_eq!(sim.initial_net(), &base);
}

#[test]
fn nodes_in_no_group_form_one_more_group() {
    let mut sim = new_sim(nodes(3), 3, link([10, 10], 0.0, 0.0));
    sim.schedule(
        0,
        Action::Partition {
            groups: vec![vec![A]],
        },
    );
    let pairs = all_pairs(&mut sim, 10);
    let trace = run_all(&mut sim);
    for (f, to) in pairs {
        let expected = if f == A || to == A {
            Fate::Dropped {
                reason: DropReason::Partition,
            }
        } else {
            Fate::Delivered
        };
        assert_eq!(fate_of(&trace, f, to, 10), expected, "{f:?}->{to:?}");
    }
}

#[test]
fn cut_blocks_both_directions_of_one_link_only() {
    let mut sim = new_sim(nodes(3), 3, link([10, 10], 0.0, 0.0));
    sim.schedule(
        0,
        Action::Cut {
            a: A,
            b: B,
            one_way: false,
        },
    );
    let pairs = all_pairs(&mut sim, 10);
    sim.schedule(50, Action::Heal);
    let after = all_pairs(&mut sim, 60);
    let trace = run_all(&mut sim);
    for (f, to) in pairs {
        let cut = (f == A && to == B) || (f == B && to == A);
        let expected = if cut {
            Fate::Dropped {
                reason: DropReason::Partition,
            }
        } else {
            Fate::Delivered
        };
        assert_eq!(fate_of(&trace, f, to, 10), expected, "{f:?}->{to:?}");
    }
    for (f, to) in after {
        assert_eq!(fate_of(&trace, f, to, 60), Fate::Delivered);
    }
}

#[test]
fn a_message_in_flight_when_a_partition_starts_is_dropped_on_arrival() {
    let mut sim = new_sim(nodes(3), 3, link([100, 100], 0.0, 0.0));
    sim.schedule(0, send(A, C, 1)); // m0 arrives at 100: cut at 50
    sim.schedule(0, send(A, B, 1)); // m1 arrives at 100: same side
    sim.schedule(
        50,
        Action::Partition {
            groups: vec![vec![A, B], vec![C]],
        },
    );
    sim.schedule(150, Action::Heal);
    sim.schedule(200, send(A, C, 1)); // m2: sent before a cut, healed before it arrives
    sim.schedule(
        250,
        Action::Cut {
            a: A,
            b: C,
            one_way: false,
        },
    );
    sim.schedule(280, Action::Heal);
    let trace = run_all(&mut sim);
    assert_no_violations(&trace);
    let m0 = &trace.messages[0];
    assert_eq!(m0.to, C);
    assert_eq!(
        m0.fate,
        Fate::Dropped {
            reason: DropReason::Partition
        }
    );
    let r = m0.resolved_step.unwrap();
    assert!(r > m0.sent_step, "decided on arrival, not when sent");
    let s = step_of(&trace, r);
    assert_eq!(s.time, 100);
    assert!(matches!(
        s.kind,
        StepKind::Drop {
            msg: 0,
            reason: DropReason::Partition,
            ..
        }
    ));
    assert_eq!(trace.messages[1].fate, Fate::Delivered);
    // A message whose link was cut and healed while it travelled arrives.
    assert_eq!(trace.messages[2].fate, Fate::Delivered);
    assert_eq!(seqs_from(&sim, C, A), vec![3]);
}

// ---------------------------------------------------------------------------------------
// Crash, restart, pause, resume
// ---------------------------------------------------------------------------------------

#[test]
fn crash_loses_volatile_state_and_timers_restart_keeps_persistent_state() {
    let params = PingParams {
        nodes: 3,
        boot: 50,
        ..PingParams::default()
    };
    let mut sim = new_sim(params, 1, link([10, 10], 0.0, 0.0));
    sim.schedule(0, cmd(A, PCmd::SetTimer { tag: 1, after: 500 })); // due 500
    sim.schedule(0, cmd(A, PCmd::SetTimer { tag: 2, after: 80 })); // due 80
    sim.schedule(20, send(B, A, 2)); // a receives 2 pings at 30
    sim.schedule(100, Action::Crash { node: A });
    sim.schedule(200, send(B, A, 3)); // arrive at 210: a is down
    sim.schedule(300, cmd(A, PCmd::Noop)); // a command to a crashed node
    sim.schedule(400, Action::Crash { node: A }); // already down
    sim.schedule(1000, Action::Restart { node: A });
    sim.schedule(1100, Action::Restart { node: A }); // not crashed
    let mut trace = Trace::default();

    run_until(&mut sim, &mut trace, 99);
    let before = sim.node(A).clone();
    assert!(before.handled > 0);
    assert_eq!(before.received.len(), 2);
    assert_eq!(
        sim.timers(A).count(),
        1,
        "tag 1 is pending (boot and tag 2 fired)"
    );

    run_until(&mut sim, &mut trace, 100);
    assert_eq!(sim.status(A), NodeStatus::Crashed { since: 100 });
    assert_eq!(sim.node(A).handled, 0, "volatile state is lost");
    assert_eq!(
        sim.node(A).received,
        before.received,
        "persistent state is kept"
    );
    assert_eq!(sim.timers(A).count(), 0, "pending timers are gone");

    run_until(&mut sim, &mut trace, 999);
    // Messages to the crashed node are dropped on arrival with reason NodeDown.
    let to_a: Vec<&MsgRecord<Ping>> = trace
        .messages
        .iter()
        .filter(|m| m.to == A && m.sent_at == 200)
        .collect();
    assert_eq!(to_a.len(), 3);
    for m in to_a {
        assert!(dropped(m, DropReason::NodeDown), "{:?}", m.fate);
        let s = step_of(&trace, m.resolved_step.unwrap());
        assert_eq!(s.time, 210);
        assert!(matches!(
            s.kind,
            StepKind::Drop {
                reason: DropReason::NodeDown,
                ..
            }
        ));
    }
    let noop = find_action_step(&trace, |a| {
        matches!(
            a,
            Action::Command {
                cmd: PCmd::Noop,
                ..
            }
        )
    });
    assert_eq!(noop.kernel, Some(KernelNote::NodeDown));
    assert!(
        noop.notes.is_empty(),
        "the crashed node did not handle the command"
    );
    let second = trace
        .steps
        .iter()
        .filter(|s| is_action(s, |a| matches!(a, Action::Crash { .. })))
        .nth(1)
        .unwrap();
    assert_eq!(second.kernel, Some(KernelNote::AlreadyCrashed));
    assert_eq!(sim.node(A).received.len(), 2);

    run(&mut sim, &mut trace, 1000);
    assert_no_violations(&trace);
    let restart = find_action_step(&trace, |a| matches!(a, Action::Restart { .. }));
    assert_eq!(restart.time, 1000);
    assert_eq!(restart.kernel, None);
    assert_eq!(restart.notes, vec![PNote::Restarted], "on_restart ran");
    let again = trace
        .steps
        .iter()
        .filter(|s| is_action(s, |a| matches!(a, Action::Restart { .. })))
        .nth(1)
        .unwrap();
    assert_eq!(again.kernel, Some(KernelNote::NotCrashed));
    // No timer of a crashed node fires: tag 1 (due 500) never does; boot fires again
    // because on_restart sets it.
    let a = sim.node(A);
    assert_eq!(
        a.fired,
        vec![
            (PTimer::Boot, 50),
            (PTimer::Tag(2), 80),
            (PTimer::Boot, 1050)
        ]
    );
    assert!(trace.steps.iter().all(|s| !(s.node == Some(A)
        && matches!(s.kind, StepKind::Timer { .. })
        && (100..1000).contains(&s.time))));
    assert_eq!(a.restarts, 1);
    assert_eq!(a.received, before.received);
    assert_eq!(
        a.handled, 1,
        "volatile state started afresh: only the boot timer since"
    );
    assert!(sim.is_up(A));
}

#[test]
fn pause_defers_timers_and_deliveries_until_resume_in_their_original_order() {
    let mut sim = new_sim(nodes(3), 1, link([10, 10], 0.0, 0.0));
    sim.schedule(50, cmd(B, PCmd::SetTimer { tag: 1, after: 150 })); // due 200
    sim.schedule(50, cmd(B, PCmd::SetTimer { tag: 2, after: 300 })); // due 350
    sim.schedule(50, cmd(B, PCmd::SetTimer { tag: 3, after: 600 })); // due 650
    sim.schedule(100, Action::Pause { node: B });
    sim.schedule(150, send(A, B, 2)); // m0, m1 arrive 160
    sim.schedule(250, send(C, B, 1)); // m2 arrives 260
    sim.schedule(300, send(A, B, 1)); // m3 arrives 310
    sim.schedule(400, cmd(B, PCmd::SetTimer { tag: 4, after: 10 })); // a command, deferred
    sim.schedule(420, send(B, A, 1)); // a command to send: deferred as well
    sim.schedule(450, Action::Pause { node: B }); // already paused
    sim.schedule(500, Action::Resume { node: B });
    sim.schedule(600, Action::Resume { node: B }); // not paused
    let mut trace = Trace::default();

    run_until(&mut sim, &mut trace, 499);
    assert_eq!(sim.status(B), NodeStatus::Paused { since: 100 });
    let paused_at = find_action_step(&trace, |a| matches!(a, Action::Pause { .. })).index;
    assert!(
        trace.steps[paused_at as usize + 1..]
            .iter()
            .all(|s| s.node != Some(B) || matches!(s.kind, StepKind::Action { .. })),
        "nothing is handled by a paused node"
    );
    assert!(sim.node(B).received.is_empty());
    assert!(sim.node(B).fired.is_empty());
    assert_eq!(
        sim.node(B).handled,
        3,
        "only the three commands before the pause"
    );
    // Timers that came due wait, overdue, with their original due time; the one not yet due
    // keeps its time too.
    let timers: Vec<(PTimer, Option<Time>)> =
        sim.timers(B).map(|(t, at)| (t.clone(), at)).collect();
    assert!(timers.contains(&(PTimer::Tag(1), Some(200))));
    assert!(timers.contains(&(PTimer::Tag(2), Some(350))));
    assert!(timers.contains(&(PTimer::Tag(3), Some(650))));
    for id in 0..4 {
        assert!(sim.is_in_flight(id), "m{id} waits for the paused node");
    }
    let second_pause = trace
        .steps
        .iter()
        .filter(|s| is_action(s, |a| matches!(a, Action::Pause { .. })))
        .nth(1)
        .unwrap();
    assert_eq!(second_pause.kernel, Some(KernelNote::AlreadyPaused));

    run(&mut sim, &mut trace, 1000);
    assert_no_violations(&trace);
    let resume = find_action_step(&trace, |a| matches!(a, Action::Resume { .. }));
    assert_eq!(resume.time, 500);
    // Each late delivery records, in its own step, that it arrived at the resume time.
    let mut rescheduled: Vec<(u64, Time)> = trace.steps[resume.index as usize + 1..]
        .iter()
        .flat_map(|s| s.updates.iter())
        .filter_map(|u| match *u {
            MsgUpdate::Rescheduled { id, deliver_at } => Some((id, deliver_at)),
            _ => None,
        })
        .collect();
    rescheduled.sort();
    assert_eq!(rescheduled, vec![(0, 500), (1, 500), (2, 500), (3, 500)]);
    for id in 0..4 {
        let m = &trace.messages[id];
        assert_eq!(
            m.deliver_at, 500,
            "the trace shows m{id} rescheduled to the resume time"
        );
        assert_eq!(m.fate, Fate::Delivered);
    }
    // The deferred events run right after the resume, at its time, in the order they came due.
    let after: Vec<&StepRecord<Ping>> = trace.steps[resume.index as usize + 1..]
        .iter()
        .take(8)
        .collect();
    for s in &after {
        assert_eq!(s.time, 500);
        assert_eq!(s.node, Some(B));
    }
    let kinds: Vec<String> = after
        .iter()
        .map(|s| match &s.kind {
            StepKind::Deliver { msg, .. } => format!("m{msg}"),
            StepKind::Timer { timer } => format!("{timer:?}"),
            StepKind::Action {
                action: Action::Command { cmd, .. },
                ..
            } => match cmd {
                PCmd::SetTimer { tag, .. } => format!("cmd-timer{tag}"),
                PCmd::Send { .. } => "cmd-send".into(),
                other => format!("{other:?}"),
            },
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "m0",
            "m1",
            "Tag(1)",
            "m2",
            "m3",
            "Tag(2)",
            "cmd-timer4",
            "cmd-send"
        ]
    );
    let b = sim.node(B);
    assert_eq!(
        b.received,
        vec![
            Recv {
                from: 0,
                seq: 1,
                at: 500
            },
            Recv {
                from: 0,
                seq: 2,
                at: 500
            },
            Recv {
                from: 2,
                seq: 1,
                at: 500
            },
            Recv {
                from: 0,
                seq: 3,
                at: 500
            },
        ]
    );
    assert_eq!(
        b.fired,
        vec![
            (PTimer::Tag(1), 500),
            (PTimer::Tag(2), 500),
            (PTimer::Tag(4), 510),
            (PTimer::Tag(3), 650)
        ]
    );
    let last_resume = trace
        .steps
        .iter()
        .filter(|s| is_action(s, |a| matches!(a, Action::Resume { .. })))
        .nth(1)
        .unwrap();
    assert_eq!(last_resume.kernel, Some(KernelNote::NotPaused));
}

#[test]
fn crashing_a_paused_node_drops_what_waited_for_it() {
    let mut sim = new_sim(nodes(2), 1, link([10, 10], 0.0, 0.0));
    sim.schedule(0, cmd(B, PCmd::SetTimer { tag: 1, after: 100 }));
    sim.schedule(10, Action::Pause { node: B });
    sim.schedule(20, send(A, B, 2)); // arrive at 30, deferred
    sim.schedule(200, Action::Crash { node: B });
    sim.schedule(300, Action::Restart { node: B });
    sim.schedule(310, Action::Pause { node: B }); // fine: it is up again
    sim.schedule(320, Action::Resume { node: B });
    let trace = run_all(&mut sim);
    assert_no_violations(&trace);
    // What waited for the paused node finds it down right after the crash: each message
    // is dropped in a step of its own, at the crash time.
    let crash = find_action_step(&trace, |a| matches!(a, Action::Crash { .. }));
    for id in [0, 1] {
        let m = &trace.messages[id as usize];
        assert!(dropped(m, DropReason::NodeDown));
        let step = &trace.steps[m.resolved_step.unwrap() as usize];
        assert!(step.index > crash.index);
        assert_eq!(step.time, crash.time);
        assert!(matches!(
            step.kind,
            StepKind::Drop {
                reason: DropReason::NodeDown,
                ..
            }
        ));
    }
    assert!(sim.node(B).received.is_empty());
    assert!(
        sim.node(B).fired.is_empty(),
        "the deferred timer died with the node"
    );
    assert!(sim.is_up(B));
}

#[test]
fn pausing_a_crashed_node_does_nothing() {
    let mut sim = new_sim(nodes(2), 1, link([10, 10], 0.0, 0.0));
    sim.schedule(0, Action::Crash { node: A });
    sim.schedule(1, Action::Pause { node: A });
    let trace = run_all(&mut sim);
    assert_eq!(trace.steps[1].kernel, Some(KernelNote::NodeDown));
    assert_eq!(sim.status(A), NodeStatus::Crashed { since: 0 });
}

/// A command to a crashed node is a step with `KernelNote::NodeDown`. A command that waits
/// for a paused node which then crashes must not vanish from the trace either.
#[test]
fn a_command_waiting_for_a_paused_node_that_crashes_is_recorded() {
    let mut sim = new_sim(nodes(2), 1, link([10, 10], 0.0, 0.0));
    sim.schedule(0, Action::Pause { node: B });
    sim.schedule(10, send(B, A, 1)); // deferred: b is paused
    sim.schedule(20, Action::Crash { node: B });
    sim.schedule(30, send(B, A, 1)); // b is down: recorded with NodeDown
    let trace = run_all(&mut sim);
    let commands: Vec<&StepRecord<Ping>> = trace
        .steps
        .iter()
        .filter(|s| is_action(s, |a| matches!(a, Action::Command { .. })))
        .collect();
    assert_eq!(commands.len(), 2, "both commands appear in the trace");
    for s in commands {
        assert_eq!(s.kernel, Some(KernelNote::NodeDown));
    }
    assert!(trace.messages.is_empty());
}

// ---------------------------------------------------------------------------------------
// Dropping and delaying messages by hand
// ---------------------------------------------------------------------------------------

#[test]
fn drop_and_delay_a_message_in_flight_or_not() {
    let mut sim = new_sim(nodes(2), 1, link([100, 100], 0.0, 0.0));
    sim.schedule(0, send(A, B, 3)); // m0, m1, m2 arrive at 100
    sim.schedule(50, Action::DropMessage { id: 0 });
    sim.schedule(50, Action::DelayMessage { id: 1, by: 70 });
    sim.schedule(200, Action::DropMessage { id: 2 }); // delivered already
    sim.schedule(200, Action::DelayMessage { id: 2, by: 5 });
    sim.schedule(200, Action::DropMessage { id: 0 }); // dropped already
    sim.schedule(200, Action::DropMessage { id: 999 }); // never existed
    let trace = run_all(&mut sim);
    assert_no_violations(&trace);

    let drop = &trace.steps[1];
    assert!(is_action(drop, |a| matches!(
        a,
        Action::DropMessage { id: 0 }
    )));
    assert_eq!(drop.kernel, None);
    assert_eq!(
        drop.updates,
        vec![MsgUpdate::Resolved {
            id: 0,
            fate: Fate::Dropped {
                reason: DropReason::User
            }
        }]
    );
    assert!(dropped(&trace.messages[0], DropReason::User));
    assert_eq!(trace.messages[0].resolved_step, Some(1));

    let delay = &trace.steps[2];
    assert_eq!(delay.kernel, None);
    assert_eq!(
        delay.updates,
        vec![MsgUpdate::Rescheduled {
            id: 1,
            deliver_at: 170
        }]
    );
    let m1 = &trace.messages[1];
    assert_eq!(m1.deliver_at, 170);
    assert_eq!(m1.fate, Fate::Delivered);
    assert_eq!(step_of(&trace, m1.resolved_step.unwrap()).time, 170);

    // Only m2 arrives on time, m1 later, m0 never.
    assert_eq!(
        sim.node(B).received,
        vec![
            Recv {
                from: 0,
                seq: 3,
                at: 100
            },
            Recv {
                from: 0,
                seq: 2,
                at: 170
            }
        ]
    );
    let late: Vec<&StepRecord<Ping>> = trace.steps.iter().filter(|s| s.time == 200).collect();
    assert_eq!(late.len(), 4);
    for s in late {
        assert_eq!(s.kernel, Some(KernelNote::NotInFlight), "{:?}", s.kind);
        assert!(s.updates.is_empty());
    }
    assert_eq!(trace.messages[2].deliver_at, 100);
}

/// A message that reached a paused node waits for it: the trace and `Sim::is_in_flight`
/// call it in flight, so it can be dropped by hand like any other message in flight.
#[test]
fn a_message_waiting_for_a_paused_node_can_be_dropped() {
    let mut sim = new_sim(nodes(2), 1, link([10, 10], 0.0, 0.0));
    sim.schedule(0, Action::Pause { node: B });
    sim.schedule(5, send(A, B, 2)); // m0, m1 reach the paused node at 15
    sim.schedule(50, Action::DropMessage { id: 0 });
    sim.schedule(50, Action::DelayMessage { id: 1, by: 100 });
    sim.schedule(100, Action::Resume { node: B });
    let mut trace = Trace::default();
    run_until(&mut sim, &mut trace, 49);
    assert!(sim.is_in_flight(0) && sim.is_in_flight(1));
    assert_eq!(trace.messages[0].fate, Fate::InFlight);
    run(&mut sim, &mut trace, 100);
    let drop = find_action_step(&trace, |a| matches!(a, Action::DropMessage { .. }));
    assert_eq!(drop.kernel, None, "m0 was in flight");
    assert!(dropped(&trace.messages[0], DropReason::User));
    let delay = find_action_step(&trace, |a| matches!(a, Action::DelayMessage { .. }));
    assert_eq!(delay.kernel, None, "m1 was in flight");
    assert_eq!(seqs_from(&sim, B, A), vec![2], "m0 never arrives");
    assert!(
        trace.messages[1].deliver_at > 100,
        "m1 arrives later than the resume"
    );
}

// ---------------------------------------------------------------------------------------
// Ordering
// ---------------------------------------------------------------------------------------

#[test]
fn events_at_equal_times_run_in_sequence_order() {
    let mut sim = new_sim(nodes(3), 1, link([10, 10], 0.0, 0.0));
    // Commands at one time run in the order they were scheduled.
    sim.schedule(100, send(C, B, 1)); // m0
    sim.schedule(100, send(A, B, 2)); // m1, m2
    sim.schedule(100, send(B, A, 1)); // m3
    sim.schedule(100, send(A, B, 1)); // m4
                                      // Timers due at one time fire in the order they were set.
    sim.schedule(200, cmd(C, PCmd::SetTimer { tag: 9, after: 50 }));
    sim.schedule(200, cmd(C, PCmd::SetTimer { tag: 3, after: 50 }));
    sim.schedule(200, cmd(C, PCmd::SetTimer { tag: 5, after: 50 }));
    let trace = run_all(&mut sim);
    let at100: Vec<&Action<PCmd>> = trace
        .steps
        .iter()
        .filter(|s| s.time == 100)
        .map(|s| match &s.kind {
            StepKind::Action { action, .. } => action,
            k => panic!("unexpected {k:?}"),
        })
        .collect();
    assert_eq!(
        at100,
        vec![
            &send(C, B, 1),
            &send(A, B, 2),
            &send(B, A, 1),
            &send(A, B, 1)
        ]
    );
    // All arrive at 110, in the order they were sent.
    let at110: Vec<u64> = trace
        .steps
        .iter()
        .filter(|s| s.time == 110)
        .map(|s| match s.kind {
            StepKind::Deliver { msg, .. } => msg,
            ref k => panic!("unexpected {k:?}"),
        })
        .collect();
    assert_eq!(at110, vec![0, 1, 2, 3, 4]);
    let tags: Vec<&PTimer> = sim.node(C).fired.iter().map(|(t, _)| t).collect();
    assert_eq!(
        tags,
        vec![&PTimer::Tag(9), &PTimer::Tag(3), &PTimer::Tag(5)]
    );
    assert!(sim.node(C).fired.iter().all(|(_, at)| *at == 250));
}

#[test]
fn an_injected_action_is_the_very_next_step() {
    let mut sim = new_sim(nodes(2), 1, link([10, 10], 0.0, 0.0));
    sim.schedule(100, cmd(A, PCmd::SetTimer { tag: 1, after: 1 }));
    sim.schedule(100, cmd(A, PCmd::SetTimer { tag: 2, after: 1 }));
    let first = sim.step().unwrap();
    assert_eq!(first.record.time, 100);
    sim.inject(cmd(B, PCmd::Noop), true);
    let next = sim.step().unwrap();
    assert!(matches!(
        next.record.kind,
        StepKind::Action {
            action: Action::Command {
                cmd: PCmd::Noop,
                ..
            },
            user: true
        }
    ));
    assert_eq!(next.record.time, 100);
    let third = sim.step().unwrap();
    assert!(matches!(
        third.record.kind,
        StepKind::Action {
            action: Action::Command {
                cmd: PCmd::SetTimer { tag: 2, .. },
                ..
            },
            user: false
        }
    ));
}

#[test]
fn setting_a_pending_timer_again_replaces_it_and_cancel_removes_it() {
    let mut sim = new_sim(nodes(2), 1, link([10, 10], 0.0, 0.0));
    sim.schedule(0, cmd(A, PCmd::SetTimer { tag: 1, after: 100 }));
    sim.schedule(10, cmd(A, PCmd::SetTimer { tag: 1, after: 200 })); // now due 210
    sim.schedule(0, cmd(A, PCmd::SetTimer { tag: 2, after: 50 }));
    sim.schedule(20, cmd(A, PCmd::CancelTimer { tag: 2 }));
    let trace = run_all(&mut sim);
    assert_no_violations(&trace);
    assert_eq!(sim.node(A).fired, vec![(PTimer::Tag(1), 210)]);
}

// ---------------------------------------------------------------------------------------
// Timeline
// ---------------------------------------------------------------------------------------

/// A busy simulation: perpetual random traffic, loss, duplication and every kind of fault.
fn busy_sim(seed: u64) -> Sim<Ping> {
    let params = PingParams {
        nodes: 4,
        boot: 5,
        tick: 15,
        echo: true,
    };
    let mut sim = new_sim(params, seed, link([1, 30], 0.1, 0.1));
    let d = NodeId(3);
    sim.schedule(40, send(A, B, 5));
    sim.schedule(60, Action::Pause { node: B });
    sim.schedule(90, send(C, B, 3));
    sim.schedule(150, Action::Resume { node: B });
    sim.schedule(170, Action::Crash { node: C });
    sim.schedule(200, send(A, C, 4));
    sim.schedule(260, Action::Restart { node: C });
    sim.schedule(
        300,
        Action::Partition {
            groups: vec![vec![A, B], vec![C, d]],
        },
    );
    sim.schedule(
        330,
        Action::Cut {
            a: A,
            b: B,
            one_way: false,
        },
    );
    sim.schedule(380, Action::Heal);
    sim.schedule(400, Action::DelayMessage { id: 3, by: 10 });
    sim.schedule(
        420,
        Action::Network {
            latency: Some([5, 60]),
            loss: Some(0.3),
            duplicate: None,
        },
    );
    sim.schedule(500, Action::Pause { node: d });
    sim.schedule(520, Action::Crash { node: d });
    sim.schedule(600, Action::Restart { node: d });
    sim
}

/// Everything a simulation holds (its state, statuses, timers, queue, network, checker and
/// random generator), for comparing.
fn snapshot(sim: &Sim<Ping>) -> SimSnapshot {
    sim.snapshot()
}

/// Snapshots of a fresh run after 0, 1, .., n steps.
fn fresh_snapshots(mut sim: Sim<Ping>, n: u64) -> Vec<SimSnapshot> {
    let mut v = vec![snapshot(&sim)];
    for _ in 0..n {
        sim.step().expect("the busy run never ends");
        v.push(snapshot(&sim));
    }
    v
}

fn trace_hash(trace: &Trace<Ping>) -> u64 {
    hash_json(&(&trace.steps, &trace.messages))
}

#[test]
fn seek_equals_a_fresh_run_of_that_many_steps() {
    let n = 400;
    let expected = fresh_snapshots(busy_sim(11), n);
    let mut tl = Timeline::with_interval(busy_sim(11), 7);
    assert_eq!(tl.seek(n), n);
    assert_eq!(tl.horizon(), n);
    let hash = trace_hash(tl.trace());
    assert_eq!(snapshot(tl.sim()), expected[n as usize]);
    // Backwards, forwards, on and around checkpoint boundaries, and scattered.
    let mut targets: Vec<u64> = vec![0, 1, 6, 7, 8, 13, 14, 15, 20, 21, 22, 399, 398, 200, 0, 400];
    targets.extend((0..=n).rev().step_by(3));
    targets.extend((0..=n).step_by(5));
    let mut x: u64 = 12345;
    for _ in 0..150 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        targets.push((x >> 33) % (n + 1));
    }
    for t in targets {
        assert_eq!(tl.seek(t), t);
        assert_eq!(tl.pos(), t);
        assert_eq!(
            snapshot(tl.sim()),
            expected[t as usize],
            "state after seek({t})"
        );
    }
    assert_eq!(
        tl.horizon(),
        n,
        "seeking below the horizon computes nothing new"
    );
    assert_eq!(trace_hash(tl.trace()), hash, "nor changes the trace");
    assert_eq!(tl.violations().count(), 0);
}

#[test]
fn seek_past_the_horizon_extends_it() {
    let expected = fresh_snapshots(busy_sim(3), 100);
    let mut tl = Timeline::with_interval(busy_sim(3), 7);
    tl.seek(30);
    tl.seek(10);
    assert_eq!(tl.seek(100), 100);
    assert_eq!(tl.horizon(), 100);
    assert_eq!(snapshot(tl.sim()), expected[100]);
    tl.extend_to(150);
    assert_eq!(tl.pos(), 100, "extend_to stays where it is");
    assert_eq!(tl.horizon(), 150);
    assert_eq!(snapshot(tl.sim()), expected[100]);
}

#[test]
fn step_back_then_forward_returns_to_the_same_state() {
    let expected = fresh_snapshots(busy_sim(5), 120);
    let mut tl = Timeline::with_interval(busy_sim(5), 7);
    for i in 1..=120u64 {
        assert!(tl.step_forward());
        assert_eq!(tl.pos(), i);
        let here = snapshot(tl.sim());
        assert_eq!(here, expected[i as usize]);
        tl.step_back();
        assert_eq!(tl.pos(), i - 1);
        assert_eq!(snapshot(tl.sim()), expected[i as usize - 1]);
        assert!(tl.step_forward());
        assert_eq!(snapshot(tl.sim()), here, "back and forth at step {i}");
    }
    // Several steps back, then forward again.
    for _ in 0..50 {
        tl.step_back();
    }
    assert_eq!(snapshot(tl.sim()), expected[70]);
    for _ in 0..50 {
        tl.step_forward();
    }
    assert_eq!(snapshot(tl.sim()), expected[120]);
    tl.seek(0);
    tl.step_back();
    assert_eq!(tl.pos(), 0, "nothing before step 0");
}

/// A run that ends while a node is paused: the last call to `step` finds only events for
/// the paused node. The state at the end must not depend on whether that call was made.
#[test]
fn state_at_the_end_of_a_run_does_not_depend_on_trying_one_more_step() {
    let make = || {
        let mut sim = new_sim(nodes(2), 1, link([10, 10], 0.0, 0.0));
        sim.schedule(10, Action::Pause { node: B });
        sim.schedule(20, send(A, B, 1)); // reaches the paused node at 30
        sim
    };
    let mut tl = Timeline::with_interval(make(), 7);
    while tl.step_forward() {}
    assert!(tl.ended());
    assert_eq!(tl.pos(), 2);
    let at_end = snapshot(tl.sim());
    tl.step_back();
    tl.step_forward();
    assert_eq!(
        snapshot(tl.sim()),
        at_end,
        "step 2 after stepping back and forth"
    );

    // The same action at the same step gives the same trace, however the step was reached.
    let resume = Action::Resume { node: B };
    let mut ran_to_end = Timeline::with_interval(make(), 7);
    while ran_to_end.step_forward() {}
    ran_to_end.apply(resume.clone());
    while ran_to_end.step_forward() {}
    let mut sought = Timeline::with_interval(make(), 7);
    sought.seek(2);
    sought.apply(resume);
    while sought.step_forward() {}
    assert_eq!(
        trace_hash(ran_to_end.trace()),
        trace_hash(sought.trace()),
        "resume at step 2 after running to the end vs after seek(2)"
    );
}

/// A person's command for a paused node when nothing else can run: the step cannot be
/// taken, so the state stays that of step `n` (the command is logged at `n`, not queued),
/// trying again does not queue it twice, and it runs once the person resumes the node,
/// after the resume, as a fresh run of the logged actions does.
#[test]
fn a_command_that_cannot_run_yet_stays_in_the_log_and_out_of_the_state() {
    let make = || {
        let mut sim = new_sim(nodes(2), 1, link([10, 10], 0.0, 0.0));
        sim.schedule(10, Action::Pause { node: B });
        sim.schedule(20, send(A, B, 1)); // reaches the paused node at 30
        sim
    };
    let mut tl = Timeline::with_interval(make(), 3);
    while tl.step_forward() {}
    assert_eq!(tl.pos(), 2);
    let at_end = snapshot(tl.sim());
    let noop = cmd(B, PCmd::Noop);
    assert!(!tl.apply(noop.clone()), "nothing computed is dropped");
    assert_eq!(tl.pos(), 2, "the command waits for the paused node");
    assert_eq!(tl.sim().snapshot(), at_end, "nothing queued at step 2");
    assert!(!tl.step_forward());
    assert!(!tl.step_forward());
    assert_eq!(tl.sim().snapshot(), at_end, "trying again queues nothing");
    assert_eq!(
        tl.user_actions().cloned().collect::<Vec<_>>(),
        vec![user(2, noop.clone())]
    );
    // The person resumes the node: the command is kept, and runs after the resume.
    let resume = Action::Resume { node: B };
    tl.apply(resume.clone());
    while tl.step_forward() {}
    assert_eq!(
        tl.user_actions().cloned().collect::<Vec<_>>(),
        vec![user(2, noop.clone()), user(2, resume.clone())]
    );
    let kinds: Vec<String> = tl.trace().steps[2..]
        .iter()
        .map(|s| match &s.kind {
            StepKind::Action { action, .. } => format!("{action:?}"),
            StepKind::Deliver { .. } => "deliver".into(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![format!("{resume:?}"), format!("{noop:?}"), "deliver".into()],
        "the resume, the command (once; an action a person did comes before what waited), \
         then the ping that waited"
    );
    // A fresh run of the logged actions computes the same.
    let mut fresh = Timeline::with_interval(make(), 3);
    fresh.set_actions(tl.actions().to_vec());
    while fresh.step_forward() {}
    assert_eq!(trace_hash(fresh.trace()), trace_hash(tl.trace()));
    assert_eq!(fresh.sim().snapshot(), tl.sim().snapshot());
    // And at the end of that run, `sim_at` of the stuck step is the state shown there.
    tl.seek(2);
    assert_eq!(tl.sim().snapshot(), at_end);
    assert_eq!(fresh.sim_at(2).snapshot(), at_end);
}

fn user(step: u64, action: Action<PCmd>) -> TimedAction<PCmd> {
    TimedAction {
        step,
        action,
        scripted: false,
    }
}

fn scripted(step: u64, action: Action<PCmd>) -> TimedAction<PCmd> {
    TimedAction {
        step,
        action,
        scripted: true,
    }
}

#[test]
fn apply_at_a_past_step_forks_the_future() {
    let script = vec![
        scripted(5, send(A, C, 2)),
        scripted(150, Action::Crash { node: C }),
    ];
    let x = send(NodeId(3), A, 1);
    let y = Action::Pause { node: A };
    let z = send(B, NodeId(3), 2);

    let mut tl = Timeline::with_interval(busy_sim(21), 7);
    tl.set_actions(script.clone());
    tl.seek(60);
    assert!(!tl.apply(x.clone()), "at the horizon nothing is dropped");
    tl.seek(120);
    assert!(!tl.apply(y.clone()));
    tl.seek(200);
    assert_eq!(tl.horizon(), 200);
    let old = tl.trace().messages.clone();
    assert!(old.iter().any(|m| m.sent_step > 100));
    assert!(old
        .iter()
        .any(|m| m.sent_step < 100 && m.resolved_step.is_some_and(|r| r >= 100)));

    tl.seek(100);
    assert!(
        tl.apply(z.clone()),
        "acting in the past drops the computed future"
    );
    assert_eq!(tl.pos(), 101);
    assert_eq!(
        tl.horizon(),
        101,
        "the horizon is cut to the fork point + 1"
    );
    assert!(!tl.ended());
    // The old future's messages are gone; the action's step sent z's two pings.
    let msgs = &tl.trace().messages;
    assert!(msgs.iter().all(|m| m.sent_step <= 100));
    let new: Vec<&MsgRecord<Ping>> = msgs.iter().filter(|m| m.sent_step == 100).collect();
    assert_eq!(new.len(), 2);
    assert!(new.iter().all(|m| m.from == B && m.to == NodeId(3)));
    // Fates decided at or after the fork point are undone.
    for m in msgs.iter().filter(|m| m.sent_step < 100) {
        let o = &old[m.id as usize];
        assert_eq!(o.id, m.id);
        match o.resolved_step {
            Some(r) if r < 100 => {
                assert_eq!((m.fate, m.resolved_step), (o.fate, o.resolved_step))
            }
            _ => {
                assert_eq!(m.fate, Fate::InFlight, "m{} is in flight again", m.id);
                assert_eq!(m.resolved_step, None);
            }
        }
    }
    // Later user actions are dropped; scripted ones stay.
    assert_eq!(
        tl.actions(),
        &[
            script[0].clone(),
            user(60, x.clone()),
            user(100, z.clone()),
            script[1].clone()
        ]
    );
    let users: Vec<&TimedAction<PCmd>> = tl.user_actions().collect();
    assert_eq!(users, vec![&user(60, x.clone()), &user(100, z.clone())]);

    // The forked timeline equals a fresh one with the same actions, also far ahead (the
    // scripted crash at step 150 still happens).
    let mut fresh = Timeline::with_interval(busy_sim(21), 7);
    fresh.set_actions(vec![
        script[0].clone(),
        user(60, x.clone()),
        user(100, z.clone()),
        script[1].clone(),
    ]);
    fresh.seek(101);
    assert_eq!(trace_hash(tl.trace()), trace_hash(fresh.trace()));
    assert_eq!(snapshot(tl.sim()), snapshot(fresh.sim()));
    tl.seek(300);
    fresh.seek(300);
    assert_eq!(trace_hash(tl.trace()), trace_hash(fresh.trace()));
    assert!(tl
        .trace()
        .steps
        .iter()
        .any(|s| s.index == 150 && is_action(s, |a| matches!(a, Action::Crash { .. }))));
    // And seeking in the forked timeline lands on the fresh run's states.
    let mut fresh2 = Timeline::with_interval(busy_sim(21), 13);
    fresh2.set_actions(tl.actions().to_vec());
    for t in [0, 7, 50, 99, 100, 101, 102, 140, 250, 300, 13, 299] {
        tl.seek(t);
        fresh2.seek(t);
        assert_eq!(snapshot(tl.sim()), snapshot(fresh2.sim()), "step {t}");
    }
}

#[test]
fn apply_at_a_checkpoint_step_forks_consistently() {
    // Forking exactly on a checkpoint boundary (the checkpoint is taken before that step's
    // actions run) and right after one.
    for fork in [14u64, 21, 22, 0] {
        let mut tl = Timeline::with_interval(busy_sim(2), 7);
        tl.seek(80);
        tl.seek(fork);
        tl.apply(Action::Crash { node: B });
        tl.seek(90);
        let mut fresh = Timeline::with_interval(busy_sim(2), 7);
        fresh.set_actions(vec![user(fork, Action::Crash { node: B })]);
        fresh.seek(90);
        assert_eq!(
            trace_hash(tl.trace()),
            trace_hash(fresh.trace()),
            "fork at {fork}"
        );
        for t in [fork, fork + 1, 35, 0, 90] {
            tl.seek(t);
            fresh.seek(t);
            assert_eq!(
                snapshot(tl.sim()),
                snapshot(fresh.sim()),
                "fork at {fork}, step {t}"
            );
        }
    }
}

#[test]
fn rerunning_the_same_actions_reproduces_the_trace_hash() {
    let actions = |tl: &mut Timeline<Ping>| {
        tl.seek(30);
        tl.apply(Action::Cut {
            a: A,
            b: C,
            one_way: false,
        });
        tl.seek(45);
        tl.apply(Action::Crash { node: NodeId(3) });
        tl.apply(Action::Restart { node: NodeId(3) });
        tl.seek(90);
        tl.apply(Action::DropMessage { id: 40 });
        tl.seek(250);
    };
    let mut one = Timeline::with_interval(busy_sim(8), 7);
    actions(&mut one);
    let mut two = Timeline::new(busy_sim(8));
    actions(&mut two);
    assert_eq!(one.horizon(), 250);
    assert_eq!(trace_hash(one.trace()), trace_hash(two.trace()));
    // Replaying the logged actions in a fresh timeline (as a shared link does).
    let mut three = Timeline::with_interval(busy_sim(8), 64);
    three.set_actions(one.actions().to_vec());
    three.seek(250);
    assert_eq!(trace_hash(one.trace()), trace_hash(three.trace()));
    // Going back and replaying the last part computes the same steps again.
    one.seek(0);
    one.seek(250);
    assert_eq!(trace_hash(one.trace()), trace_hash(two.trace()));
    // A different seed gives a different trace.
    let mut other = Timeline::with_interval(busy_sim(9), 7);
    actions(&mut other);
    assert_ne!(trace_hash(one.trace()), trace_hash(other.trace()));
}

#[test]
fn set_actions_resets_to_the_start() {
    let mut tl = Timeline::with_interval(busy_sim(4), 7);
    tl.seek(50);
    tl.set_actions(vec![user(3, Action::Crash { node: A })]);
    assert_eq!(tl.pos(), 0);
    assert_eq!(tl.horizon(), 0);
    tl.seek(10);
    let s = &tl.trace().steps[3];
    assert!(matches!(
        &s.kind,
        StepKind::Action {
            action: Action::Crash { .. },
            user: true
        }
    ));
}

#[test]
fn sim_at_an_earlier_step_equals_the_state_seen_there() {
    use dsplay_core::catalog::builtin;
    use dsplay_core::session::Loaded;
    let mut l = Loaded::<dsplay_core::algo::messaging::Messaging>::parse(
        builtin("messaging-lossy-link").unwrap().json,
    )
    .unwrap();
    l.timeline.extend_to(60);
    let h = l.timeline.horizon();
    assert!(h > 10, "the scenario runs long enough to look back in");
    for step in [0, 1, 7, h / 2, h - 1, h] {
        let before = l.timeline.sim_at(step);
        l.timeline.seek(step);
        let here = l.timeline.sim();
        assert_eq!(before.steps(), step);
        assert_eq!(before.time(), here.time());
        for n in here.node_ids() {
            assert_eq!(
                serde_json::to_string(before.node(n)).unwrap(),
                serde_json::to_string(here.node(n)).unwrap(),
                "node {n:?} at step {step}"
            );
        }
        l.timeline.seek(h);
    }
}

// ---------------------------------------------------------------------------------------
// One-way faults, fault windows that compose, clock faults
// ---------------------------------------------------------------------------------------

fn open(window: u32, fault: Action<PCmd>) -> Action<PCmd> {
    Action::Open {
        window,
        fault: Box::new(fault),
    }
}

fn cut_fate(trace: &Trace<Ping>, f: NodeId, to: NodeId, t: Time) -> bool {
    fate_of(trace, f, to, t)
        == Fate::Dropped {
            reason: DropReason::Partition,
        }
}

#[test]
fn a_one_way_cut_blocks_one_direction_only() {
    let mut sim = new_sim(nodes(3), 3, link([10, 10], 0.0, 0.0));
    sim.schedule(
        0,
        Action::Cut {
            a: A,
            b: B,
            one_way: true,
        },
    );
    let pairs = all_pairs(&mut sim, 10);
    let trace = run_all(&mut sim);
    for (f, to) in pairs {
        assert_eq!(
            cut_fate(&trace, f, to, 10),
            f == A && to == B,
            "{f:?}->{to:?}"
        );
    }
}

#[test]
fn link_settings_apply_to_one_direction_unless_both() {
    for both in [false, true] {
        let mut sim = new_sim(nodes(3), 3, link([10, 10], 0.0, 0.0));
        sim.schedule(
            0,
            Action::Link {
                from: A,
                to: B,
                params: link([30, 30], 1.0, 0.0),
                both,
            },
        );
        let pairs = all_pairs(&mut sim, 10);
        let trace = run_all(&mut sim);
        for (f, to) in pairs {
            let lossy = (f == A && to == B) || (both && f == B && to == A);
            let want = if lossy {
                Fate::Dropped {
                    reason: DropReason::Loss,
                }
            } else {
                Fate::Delivered
            };
            assert_eq!(
                fate_of(&trace, f, to, 10),
                want,
                "both {both}: {f:?}->{to:?}"
            );
        }
    }
}

/// Two windows cut the same link: it is restored when both have ended, and a partition
/// window's end restores only its own cuts. A heal outside any window heals every cut.
#[test]
fn cut_windows_undo_only_their_own_cuts() {
    let mut sim = new_sim(nodes(3), 3, link([10, 10], 0.0, 0.0));
    sim.schedule(
        0,
        open(
            1,
            Action::Partition {
                groups: vec![vec![A], vec![B, C]],
            },
        ),
    );
    sim.schedule(
        0,
        open(
            2,
            Action::Cut {
                a: A,
                b: B,
                one_way: true,
            },
        ),
    );
    sim.schedule(100, Action::End { window: 1 });
    let during_two = all_pairs(&mut sim, 110);
    sim.schedule(200, Action::End { window: 2 });
    let after = all_pairs(&mut sim, 210);
    sim.schedule(
        300,
        open(
            3,
            Action::Cut {
                a: B,
                b: C,
                one_way: false,
            },
        ),
    );
    sim.schedule(310, Action::Heal);
    let healed = all_pairs(&mut sim, 320);
    sim.schedule(400, Action::End { window: 3 });
    sim.schedule(410, Action::End { window: 3 });
    let trace = run_all(&mut sim);
    assert_no_violations(&trace);
    for (f, to) in during_two {
        assert_eq!(
            cut_fate(&trace, f, to, 110),
            f == A && to == B,
            "{f:?}->{to:?}"
        );
    }
    for (f, to) in after.into_iter().chain(healed) {
        assert!(!cut_fate(&trace, f, to, 210), "{f:?}->{to:?}");
        assert!(!cut_fate(&trace, f, to, 320), "{f:?}->{to:?}");
    }
    let last = trace.steps.last().unwrap();
    assert_eq!(
        last.kernel,
        Some(KernelNote::NoWindow),
        "window 3 had ended"
    );
}

/// A loss window's end restores the loss in force without it, not a loss of zero: another
/// window's loss, and a setting made outside any window meanwhile, stay.
#[test]
fn setting_windows_stack_and_end_in_any_order() {
    let loss = |p: f64| Action::Network {
        latency: None,
        loss: Some(p),
        duplicate: None,
    };
    let mut sim = new_sim(nodes(2), 3, link([10, 10], 0.0, 0.0));
    sim.schedule(0, open(1, loss(0.5)));
    sim.schedule(10, open(2, loss(1.0)));
    sim.schedule(20, Action::End { window: 1 });
    sim.schedule(
        20,
        open(
            3,
            Action::Link {
                from: A,
                to: B,
                params: link([5, 5], 0.25, 0.0),
                both: false,
            },
        ),
    );
    let mut trace = Trace::default();
    run_until(&mut sim, &mut trace, 20);
    assert_eq!(sim.net().defaults().loss, 1.0, "window 2's loss");
    assert_eq!(sim.net().link(A, B).loss, 0.25, "window 3's link");
    assert_eq!(sim.net().link(B, A).loss, 1.0);
    sim.schedule(30, Action::End { window: 2 });
    run_until(&mut sim, &mut trace, 30);
    assert_eq!(sim.net().defaults().loss, 0.0);
    // Outside any window: the last word, which window 3's end does not undo.
    sim.schedule(
        40,
        Action::Link {
            from: A,
            to: B,
            params: link([7, 7], 0.75, 0.0),
            both: false,
        },
    );
    sim.schedule(50, Action::End { window: 3 });
    run_until(&mut sim, &mut trace, 50);
    assert_eq!(sim.net().link(A, B).loss, 0.75);
    assert!(sim.net().same_settings(&{
        let mut n = Network::new(link([10, 10], 0.0, 0.0));
        n.set_link(A, B, link([7, 7], 0.75, 0.0), None);
        n
    }));
}

/// A node crashed by two windows restarts when the last ends, once; one also crashed
/// outside any window stays down until restarted by hand.
#[test]
fn crash_and_pause_windows_hold_a_node_until_the_last_ends() {
    let mut sim = new_sim(nodes(3), 3, link([10, 10], 0.0, 0.0));
    sim.schedule(10, open(1, Action::Crash { node: A }));
    sim.schedule(20, open(2, Action::Crash { node: A }));
    sim.schedule(30, Action::End { window: 1 });
    sim.schedule(31, open(3, Action::Pause { node: B }));
    sim.schedule(32, open(4, Action::Pause { node: B }));
    sim.schedule(33, Action::End { window: 4 });
    let mut trace = Trace::default();
    run_until(&mut sim, &mut trace, 33);
    assert!(matches!(sim.status(A), NodeStatus::Crashed { since: 10 }));
    assert!(matches!(sim.status(B), NodeStatus::Paused { .. }));
    sim.schedule(40, Action::End { window: 2 });
    sim.schedule(41, Action::End { window: 3 });
    run_until(&mut sim, &mut trace, 41);
    assert!(sim.is_up(A) && sim.is_up(B));
    assert_eq!(sim.node(A).restarts, 1);
    // A crash for good under a window: the window's end leaves it down.
    sim.schedule(50, open(5, Action::Crash { node: C }));
    sim.schedule(60, Action::Crash { node: C });
    sim.schedule(70, open(6, Action::Crash { node: B }));
    sim.schedule(71, Action::Crash { node: B });
    sim.schedule(80, Action::End { window: 6 });
    sim.schedule(81, Action::End { window: 5 });
    run_until(&mut sim, &mut trace, 81);
    // A crash outside any window holds a node down for good, whenever it comes.
    assert!(!sim.is_up(C) && !sim.is_up(B));
    sim.schedule(90, Action::Restart { node: B });
    run_until(&mut sim, &mut trace, 90);
    assert!(sim.is_up(B) && !sim.is_up(C));
    assert_no_violations(&trace);
}

/// Every status change is in the trace, those of a window's end too: one window crashing
/// two nodes restarts both when it ends, and the step says so for each.
#[test]
fn a_windows_end_records_every_node_it_brings_back() {
    let mut sim = new_sim(nodes(3), 3, link([10, 10], 0.0, 0.0));
    sim.schedule(10, open(1, Action::Crash { node: A }));
    sim.schedule(10, open(1, Action::Crash { node: C }));
    sim.schedule(20, open(2, Action::Pause { node: B }));
    sim.schedule(30, Action::End { window: 1 });
    let mut trace = Trace::default();
    run_until(&mut sim, &mut trace, 30);
    let changes = |t: Time| -> Vec<(NodeId, NodeStatus)> {
        trace
            .steps
            .iter()
            .filter(|s| s.time == t)
            .flat_map(|s| s.status.iter().map(|c| (c.node, c.status)))
            .collect()
    };
    assert_eq!(
        changes(10),
        [
            (A, NodeStatus::Crashed { since: 10 }),
            (C, NodeStatus::Crashed { since: 10 })
        ]
    );
    assert_eq!(changes(20), [(B, NodeStatus::Paused { since: 20 })]);
    assert_eq!(changes(30), [(A, NodeStatus::Up), (C, NodeStatus::Up)]);
    // An action that changes nothing records nothing.
    sim.schedule(40, Action::Crash { node: A });
    sim.schedule(40, Action::Crash { node: A });
    run_until(&mut sim, &mut trace, 40);
    let last = &trace.steps[trace.steps.len() - 1];
    assert!(last.status.is_empty() && last.kernel.is_some());
}

fn fired(sim: &Sim<Ping>, n: NodeId) -> Vec<Time> {
    sim.node(n).fired.iter().map(|(_, t)| *t).collect()
}

/// Timers run by the node's clock: a slow clock fires them late, a fast one early, and a
/// jump ahead fires them at once; the node reads its own clock. A rate window's end puts
/// the clock back to the right rate (not to the right time).
#[test]
fn clock_faults_stretch_timers_and_what_the_node_reads() {
    let mut sim = new_sim(nodes(3), 3, link([10, 10], 0.0, 0.0));
    let rate = |node, r: f64| Action::Clock {
        node,
        rate: Some(r),
        jump: None,
    };
    sim.schedule(0, open(1, rate(A, 0.5)));
    sim.schedule(0, rate(B, 2.0));
    for n in [A, B, C] {
        sim.schedule(0, cmd(n, PCmd::SetTimer { tag: 1, after: 100 }));
    }
    let mut trace = Trace::default();
    run_until(&mut sim, &mut trace, 1000);
    let when = |n: NodeId| {
        trace
            .steps
            .iter()
            .find(|s| s.node == Some(n) && matches!(s.kind, StepKind::Timer { .. }))
            .map(|s| s.time)
    };
    assert_eq!(when(A), Some(200), "slow: twice as late");
    assert_eq!(when(B), Some(50), "fast: twice as early");
    assert_eq!(when(C), Some(100));
    // Each read 100 ms on its own clock when its timer fired.
    assert_eq!(fired(&sim, A), [100]);
    assert_eq!(fired(&sim, B), [100]);
    assert!((sim.clock_rate(A) - 0.5).abs() < 1e-9);
    sim.schedule(1000, Action::End { window: 1 });
    sim.schedule(1000, cmd(A, PCmd::SetTimer { tag: 2, after: 100 }));
    // A jump ahead past the deadline fires the timer at once; one back holds C's.
    sim.schedule(
        1010,
        Action::Clock {
            node: A,
            rate: None,
            jump: Some(500),
        },
    );
    sim.schedule(1000, cmd(C, PCmd::SetTimer { tag: 2, after: 100 }));
    sim.schedule(
        1050,
        Action::Clock {
            node: C,
            rate: None,
            jump: Some(-100),
        },
    );
    let start = trace.steps.len();
    run_until(&mut sim, &mut trace, 5000);
    let timers: Vec<(Option<NodeId>, Time)> = trace.steps[start..]
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Timer { .. }))
        .map(|s| (s.node, s.time))
        .collect();
    assert_eq!(timers, [(Some(A), 1010), (Some(C), 1200)]);
    assert_eq!(sim.clock_rate(A), 1.0);
    // A was 500 ms behind, then jumped 500 ahead: right again.
    assert_eq!(sim.clock_reading(A), sim.time());
    assert!(sim.clock_is_good(A));
    assert_eq!(sim.clock_reading(C), sim.time() - 100);
    assert!(!sim.clock_is_good(C));
    assert_no_violations(&trace);
}
