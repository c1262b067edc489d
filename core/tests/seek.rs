//! Time travel lands where a fresh run lands, for every algorithm of the catalogue.
//!
//! A property test drives a session as a person does (seeks back and forth, steps, actions
//! that fork the run, a shared list of actions restored) over every built-in scenario and
//! over random workloads and fault schedules, on timelines with small checkpoint intervals
//! so that checkpoints are thinned several times. After every move it compares the full
//! state ([`Sim::snapshot`]: every node's state, statuses, timers, queued events, messages
//! in flight, network, checker, random generator) with a fresh run of the same action log,
//! stepped from the start without any checkpoint; at the end, the trace up to the horizon
//! and the states an earlier step shows (`sim_at`).
//!
//! Timing, debug build: the 300 cases take about 7 s of CPU (hashring's take half of it:
//! its steps and states are the heaviest), the built-in scenarios about 2 s, the long runs
//! at the default interval about 3 s; the whole file about 12 s of CPU, 10 to 18 s of
//! wall time on two shared cores.

use dsplay_core::algo::chord::Chord;
use dsplay_core::algo::hashring::Hashring;
use dsplay_core::algo::kvstore::Kvstore;
use dsplay_core::algo::locks::Locks;
use dsplay_core::algo::messaging::Messaging;
use dsplay_core::algo::paxos::Paxos;
use dsplay_core::algo::raft::Raft;
use dsplay_core::algo::transactions::Transactions;
use dsplay_core::catalog::CATALOG;
use dsplay_core::faults::{random_schedule, FaultMix};
use dsplay_core::protocol::Protocol;
use dsplay_core::scenario::Scenario;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::{Action, LinkParams, NodeId, Sim, SimSnapshot};
use dsplay_core::timeline::{TimedAction, Timeline, CHECKPOINT_INTERVAL, MAX_CHECKPOINTS};
use dsplay_core::trace::{MsgId, Trace};
use dsplay_core::Algorithm;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What one case runs on.
#[derive(Clone, Debug)]
enum Setup {
    /// The algorithm's built-in scenario with this index (modulo their number).
    Builtin(usize),
    /// Its default scenario with a random workload and fault schedule (`faults.rs`).
    Random {
        seed: u64,
        mix: u16,
        span: u64,
        commands: u32,
    },
}

/// The scenario a case runs.
fn scenario<A: Algorithm>(setup: &Setup) -> Scenario<A> {
    match *setup {
        Setup::Builtin(i) => Scenario::parse(A::BUILTINS[i % A::BUILTINS.len()].json).unwrap(),
        Setup::Random {
            seed,
            mix,
            span,
            commands,
        } => {
            let mut sc = Scenario::<A>::from_value(serde_json::json!({
                "algorithm": A::NAME,
                "seed": seed,
            }))
            .unwrap();
            let proto = sc.protocol().unwrap();
            let mix = FaultMix {
                crashes: mix & 1 != 0,
                pauses: mix & 2 != 0,
                partitions: mix & 4 != 0,
                loss: mix & 8 != 0,
                delays: mix & 16 != 0,
                stops: mix & 32 != 0,
                cuts: mix & 64 != 0,
                reordering: mix & 128 != 0,
                duplicates: mix & 256 != 0,
                clocks: mix & 512 != 0,
            };
            let faults = if mix == FaultMix::NONE { 0 } else { 8 };
            sc.actions = random_schedule(&proto, seed, span, commands, faults, mix);
            sc
        }
    }
}

/// A fresh run of an action log from `start` (a simulation at step 0), stepped one event at
/// a time, as the timeline documents it but without its code: before step `s` the actions
/// logged at `s` are injected, in order (as a person's unless scripted).
struct Fresh<P: Protocol> {
    sim: Sim<P>,
    trace: Trace<P>,
    ended: bool,
}

impl<P: Protocol> Fresh<P> {
    fn run(start: &Sim<P>, actions: &[TimedAction<P::Cmd>], to: u64) -> Self {
        let mut f = Fresh {
            sim: start.clone(),
            trace: Trace::default(),
            ended: false,
        };
        f.advance(actions, to);
        f
    }

    fn advance(&mut self, actions: &[TimedAction<P::Cmd>], to: u64) {
        while !self.ended && self.sim.steps() < to {
            let pos = self.sim.steps();
            for a in actions.iter().filter(|a| a.step == pos) {
                self.sim.inject(a.action.clone(), !a.scripted);
            }
            match self.sim.step() {
                Some(out) => self.trace.push(out),
                None => self.ended = true,
            }
        }
    }
}

/// Where two snapshots differ, part by part (the first difference of each part).
fn differences(got: &SimSnapshot, want: &SimSnapshot) -> String {
    let mut out = Vec::new();
    let mut part = |name: &str, a: &str, b: &str| {
        if a != b {
            let at = a
                .char_indices()
                .zip(b.chars())
                .find(|((_, x), y)| x != y)
                .map_or(a.len().min(b.len()), |((i, _), _)| i);
            // (Both agree before `at`, so this is a character boundary of both.)
            let mut from = at.saturating_sub(80);
            while !a.is_char_boundary(from) {
                from -= 1;
            }
            let ctx = |s: &str| s[from.min(s.len())..].chars().take(240).collect::<String>();
            out.push(format!(
                "{name} differs at byte {at}:\n  seek:  {}\n  fresh: {}",
                ctx(a),
                ctx(b)
            ));
        }
    };
    part("protocol", &got.protocol, &want.protocol);
    part("clock", &got.clock, &want.clock);
    part("rng", &got.rng, &want.rng);
    part("nodes", &got.nodes.join("\n"), &want.nodes.join("\n"));
    part("queue", &got.queue.join("\n"), &want.queue.join("\n"));
    part("script", &got.script, &want.script);
    part("network", &got.network, &want.network);
    part("checker", &got.checker, &want.checker);
    out.join("\n")
}

fn assert_same(what: &str, got: &Sim<impl Protocol>, want: &Sim<impl Protocol>) {
    let (g, w) = (got.snapshot(), want.snapshot());
    assert!(g == w, "{what}:\n{}", differences(&g, &w));
}

/// A random action of any kind, on any node or message in flight.
fn random_action<P: Protocol>(
    proto: &P,
    n: u32,
    in_flight: &[MsgId],
    rng: &mut ChaCha8Rng,
) -> Action<P::Cmd> {
    let node = NodeId(rng.random_range(0..n));
    let other = NodeId(rng.random_range(0..n));
    let p = |rng: &mut ChaCha8Rng| f64::from(rng.random_range(0..=10u32)) / 20.0;
    let latency = |rng: &mut ChaCha8Rng| {
        let lo = rng.random_range(1..100u64);
        [lo, lo + rng.random_range(0..100u64)]
    };
    let msg = |rng: &mut ChaCha8Rng| match in_flight {
        [] => rng.random_range(0..50u64),
        ids => ids[rng.random_range(0..ids.len() as u32) as usize],
    };
    match rng.random_range(0..20u32) {
        0..=4 => match proto.random_cmd(rng) {
            Some((node, cmd)) => Action::Command { node, cmd },
            None => Action::Heal,
        },
        5 => Action::Crash { node },
        6 => Action::Restart { node },
        7 => Action::Pause { node },
        8 => Action::Resume { node },
        9 => Action::Partition {
            groups: vec![(0..n)
                .filter(|_| rng.random_bool(0.5))
                .map(NodeId)
                .collect()],
        },
        10 => Action::Cut {
            a: node,
            b: other,
            one_way: rng.random_bool(0.5),
        },
        11 => Action::Heal,
        12 => Action::Network {
            latency: rng.random_bool(0.5).then(|| latency(rng)),
            loss: rng.random_bool(0.5).then(|| p(rng)),
            duplicate: rng.random_bool(0.5).then(|| p(rng)),
        },
        13 => Action::Link {
            from: node,
            to: other,
            params: LinkParams {
                latency: latency(rng),
                loss: p(rng),
                duplicate: p(rng),
            },
            both: rng.random_bool(0.5),
        },
        14 => Action::DropMessage { id: msg(rng) },
        15 => Action::Clock {
            node,
            rate: rng
                .random_bool(0.5)
                .then(|| [0.25, 0.5, 2.0, 4.0][rng.random_range(0..4u32) as usize]),
            jump: Some(i64::from(rng.random_range(0..600u32)) - 300),
        },
        16..=18 => Action::Open {
            window: rng.random_range(1..4u32),
            fault: Box::new(match rng.random_range(0..5u32) {
                0 => Action::Crash { node },
                1 => Action::Pause { node },
                2 => Action::Cut {
                    a: node,
                    b: other,
                    one_way: true,
                },
                3 => Action::Network {
                    latency: Some(latency(rng)),
                    loss: Some(p(rng)),
                    duplicate: None,
                },
                _ => Action::Clock {
                    node,
                    rate: Some([0.25, 0.5, 2.0, 4.0][rng.random_range(0..4u32) as usize]),
                    jump: None,
                },
            }),
        },
        19 => Action::End {
            window: rng.random_range(1..4u32),
        },
        _ => Action::DelayMessage {
            id: msg(rng),
            by: rng.random_range(0..200u64),
        },
    }
}

/// Ids of the messages in flight at the current step.
fn in_flight<P: Protocol>(l: &Loaded<P>) -> Vec<MsgId> {
    let sim = l.timeline.sim();
    l.timeline
        .trace()
        .messages
        .iter()
        .map(|m| m.id)
        .filter(|&id| sim.is_in_flight(id))
        .collect()
}

/// One case: a session over `setup` with checkpoints every `interval` steps, driven by
/// `moves` random moves (drawn from `seed`) within `limit` steps, checked against fresh
/// runs after each move and at the end. Returns how often checkpoints were thinned, and
/// the horizon reached.
fn case<A: Algorithm>(
    setup: &Setup,
    interval: u64,
    seed: u64,
    moves: u32,
    limit: u64,
) -> (u32, u64) {
    let sc = scenario::<A>(setup);
    let mut l = Loaded::new(sc).unwrap();
    let start = l.timeline.sim().clone();
    assert_eq!(start.steps(), 0);
    let mut tl = Timeline::with_interval(start.clone(), interval);
    tl.set_actions(l.timeline.actions().to_vec());
    l.timeline = tl;
    let n = l.names().len() as u32;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // First the run up to the limit (or its end), so that the moves have a long timeline
    // to travel over; then the moves.
    l.timeline.extend_to(limit);
    let mut log = vec![format!("compute up to {limit}, staying at 0")];
    let mut fresh = Fresh::run(&start, &[], 0);
    let mut fresh_log = Vec::new();
    for i in 0..moves {
        let here = l.pos();
        let interval = l.timeline.checkpoint_interval();
        let what = match rng.random_range(0..10u32) {
            0 | 1 => {
                let to = rng.random_range(0..=limit);
                l.seek(to);
                format!("seek {to}")
            }
            2 => {
                // Around a checkpoint: the edges of a replay.
                let k = rng.random_range(0..=limit / interval);
                let to = (k * interval + rng.random_range(0..3u64)).saturating_sub(1);
                l.seek(to);
                format!("seek {to} (near a checkpoint)")
            }
            3 => {
                let k = rng.random_range(1..=5u32);
                for _ in 0..k {
                    l.step_back();
                }
                format!("{k} steps back")
            }
            4 => {
                let k = rng.random_range(1..=20u32);
                for _ in 0..k {
                    if l.pos() >= limit || !l.step_forward() {
                        break;
                    }
                }
                format!("up to {k} steps forward")
            }
            5..=7 => {
                let action = random_action(l.timeline.sim().proto(), n, &in_flight(&l), &mut rng);
                let text = format!("{action:?}");
                l.apply(action).unwrap();
                format!("apply at {here}: {text}")
            }
            8 => {
                let to = rng.random_range(here..=limit.max(here));
                l.timeline.extend_to(to);
                format!("compute up to {to}, staying at {here}")
            }
            _ => {
                // What a shared link does: the same actions, from the start.
                let json = l.user_actions_json();
                l.set_user_actions_json(&json).unwrap();
                let to = rng.random_range(0..=limit);
                l.seek(to);
                format!("restore the shared actions, seek {to}")
            }
        };
        log.push(what);
        let pos = l.pos();
        let actions = l.timeline.actions();
        // The last fresh run goes on if it is not past this step and the log it ran is
        // the same before the step it reached; else a new one starts.
        let reusable = fresh.sim.steps() <= pos && {
            let before = |log: &[TimedAction<A::Cmd>]| {
                let c = fresh.sim.steps();
                log.iter()
                    .filter(|a| a.step < c)
                    .cloned()
                    .collect::<Vec<_>>()
            };
            before(&fresh_log) == before(actions)
        };
        if !reusable {
            fresh = Fresh::run(&start, actions, 0);
        }
        fresh_log = actions.to_vec();
        fresh.advance(actions, pos);
        assert_eq!(fresh.sim.steps(), pos, "the fresh run reaches step {pos}");
        assert_same(
            &format!("{setup:?} interval {interval}, after move {i}: {log:#?}"),
            l.timeline.sim(),
            &fresh.sim,
        );
    }
    // The trace to the horizon, whether the run ended there, and earlier states.
    let h = l.horizon();
    let actions = l.timeline.actions().to_vec();
    fresh = Fresh::run(&start, &actions, 0);
    let mut probes: Vec<u64> = (0..4).map(|_| rng.random_range(0..=h)).collect();
    probes.sort_unstable();
    for k in probes {
        fresh.advance(&actions, k);
        assert_same(
            &format!("{setup:?}: sim_at({k}) after {log:#?}"),
            &l.timeline.sim_at(k),
            &fresh.sim,
        );
    }
    fresh.advance(&actions, h);
    let trace = l.timeline.trace();
    assert_eq!(
        format!("{:?}", trace.steps),
        format!("{:?}", fresh.trace.steps),
        "{setup:?}: steps to the horizon after {log:#?}"
    );
    assert_eq!(
        format!("{:?}", trace.messages),
        format!("{:?}", fresh.trace.messages),
        "{setup:?}: messages to the horizon after {log:#?}"
    );
    if l.timeline.ended() {
        fresh.advance(&actions, h + 1);
        assert!(fresh.ended, "{setup:?}: the run ends at {h} after {log:#?}");
    }
    let mut thinned = 0;
    while interval << thinned < l.timeline.checkpoint_interval() {
        thinned += 1;
    }
    (thinned, h)
}

/// Runs a case on the algorithm called `name`: every algorithm of the catalogue is listed.
fn case_of(
    name: &str,
    setup: &Setup,
    interval: u64,
    seed: u64,
    moves: u32,
    limit: u64,
) -> (u32, u64) {
    match name {
        "messaging" => case::<Messaging>(setup, interval, seed, moves, limit),
        "hashring" => case::<Hashring>(setup, interval, seed, moves, limit),
        "locks" => case::<Locks>(setup, interval, seed, moves, limit),
        "transactions" => case::<Transactions>(setup, interval, seed, moves, limit),
        "raft" => case::<Raft>(setup, interval, seed, moves, limit),
        "paxos" => case::<Paxos>(setup, interval, seed, moves, limit),
        "chord" => case::<Chord>(setup, interval, seed, moves, limit),
        "kvstore" => case::<Kvstore>(setup, interval, seed, moves, limit),
        other => panic!("add the algorithm `{other}` of the catalogue to this test"),
    }
}

fn setup() -> impl Strategy<Value = Setup> {
    prop_oneof![
        (0usize..64).prop_map(Setup::Builtin),
        (any::<u64>(), 0u16..1024, 300u64..3000, 12u32..80).prop_map(
            |(seed, mix, span, commands)| {
                Setup::Random {
                    seed,
                    mix,
                    span,
                    commands,
                }
            }
        ),
    ]
}

/// One case of the property test.
#[derive(Clone, Debug)]
struct Case {
    algo: usize,
    setup: Setup,
    interval: u64,
    seed: u64,
    moves: u32,
    limit: u64,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        0..CATALOG.len(),
        setup(),
        1u64..=3,
        any::<u64>(),
        4u32..12,
        20u64..700,
    )
        .prop_map(|(algo, setup, interval, seed, moves, limit)| Case {
            algo,
            setup,
            interval,
            seed,
            moves,
            limit,
        })
}

/// Seeks, steps and forks land on the state a fresh run of the same actions reaches, on
/// every algorithm, with checkpoints every 1 to 4 steps: past 128 checkpoints they are
/// thinned (every other one dropped, the interval doubled), which a good share of the
/// cases reaches, some several times.
#[test]
fn seeking_and_forking_land_on_a_fresh_runs_state() {
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 300,
        ..ProptestConfig::default()
    });
    // How many cases thinned their checkpoints never, once, twice or more.
    let thinned = std::cell::Cell::new([0u32; 3]);
    let result = runner.run(&cases(), |c| {
        let (t, _) = case_of(
            CATALOG[c.algo].name,
            &c.setup,
            c.interval,
            c.seed,
            c.moves,
            c.limit,
        );
        let mut n = thinned.get();
        n[(t as usize).min(2)] += 1;
        thinned.set(n);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let [never, once, more] = thinned.get();
    assert!(
        once + more >= 30 && more >= 5,
        "too few cases reach thinning: never {never}, once {once}, more {more}"
    );
}

/// Every built-in scenario of every algorithm, once, with a checkpoint at every step: those
/// that run past 128 steps have their checkpoints thinned.
#[test]
fn every_builtin_seeks_to_a_fresh_runs_state() {
    for e in CATALOG {
        for (i, b) in e.builtins.iter().enumerate() {
            let limit = 4 * MAX_CHECKPOINTS as u64 + 40;
            let (thinned, h) = case_of(e.name, &Setup::Builtin(i), 1, i as u64, 12, limit);
            assert!(
                h <= MAX_CHECKPOINTS as u64 || thinned > 0,
                "{}: {h} steps, thinned {thinned} times",
                b.id
            );
        }
    }
}

/// The real configuration: a checkpoint every 256 steps, thinned past 128 of them (32,768
/// steps). Over a long run, seeks to random steps, in random order, and `sim_at`, before
/// and after a fork deep in the run, land on the fresh run's states, and the trace is the
/// fresh run's.
fn long_run<A: Algorithm>(sc: Scenario<A>, seed: u64) {
    let mut l = Loaded::new(sc).unwrap();
    assert_eq!(l.timeline.checkpoint_interval(), CHECKPOINT_INTERVAL);
    let start = l.timeline.sim().clone();
    let n = l.names().len() as u32;
    let end = MAX_CHECKPOINTS as u64 * CHECKPOINT_INTERVAL + 700;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for forked in [false, true] {
        if forked {
            let at = rng.random_range(end / 2..end);
            l.seek(at);
            let action = random_action(l.timeline.sim().proto(), n, &in_flight(&l), &mut rng);
            l.apply(action).unwrap();
        }
        assert_eq!(l.seek(end), end, "{} runs that long", A::NAME);
        assert_eq!(
            l.timeline.checkpoint_interval(),
            2 * CHECKPOINT_INTERVAL,
            "thinned once"
        );
        let mut probes: Vec<u64> = (0..6).map(|_| rng.random_range(0..=end)).collect();
        probes.push(end - 1);
        let actions = l.timeline.actions().to_vec();
        let mut want = Vec::new();
        let mut fresh = Fresh::run(&start, &actions, 0);
        let mut sorted = probes.clone();
        sorted.sort_unstable();
        for &k in &sorted {
            fresh.advance(&actions, k);
            want.push((k, fresh.sim.snapshot()));
        }
        for &k in &probes {
            l.seek(k);
            let (_, w) = want.iter().find(|(s, _)| *s == k).unwrap();
            let got = l.timeline.sim().snapshot();
            assert!(&got == w, "{} seek {k}: {}", A::NAME, differences(&got, w));
        }
        let k = sorted[sorted.len() / 2];
        let (_, w) = want.iter().find(|(s, _)| *s == k).unwrap();
        let got = l.timeline.sim_at(k).snapshot();
        assert!(
            &got == w,
            "{} sim_at({k}): {}",
            A::NAME,
            differences(&got, w)
        );
        fresh.advance(&actions, end);
        let trace = l.timeline.trace();
        assert_eq!(trace.len(), fresh.trace.len());
        for (a, b) in trace.steps.iter().zip(&fresh.trace.steps) {
            assert_eq!(
                format!("{a:?}"),
                format!("{b:?}"),
                "{} step {}",
                A::NAME,
                a.index
            );
        }
        assert_eq!(
            format!("{:?}", trace.messages),
            format!("{:?}", fresh.trace.messages),
            "{} messages",
            A::NAME
        );
    }
}

#[test]
fn seeking_a_long_run_with_the_default_checkpoints_lands_on_a_fresh_runs_state() {
    // Raft's heartbeats never stop.
    long_run(Scenario::<Raft>::parse(Raft::BUILTINS[0].json).unwrap(), 1);
    // Transactions, with a long workload and faults (the AC4 checker keeps state per
    // transaction).
    let mut sc = Scenario::<Transactions>::from_value(serde_json::json!({
        "algorithm": "transactions",
        "seed": 7,
    }))
    .unwrap();
    let proto = sc.protocol().unwrap();
    // No crash-stop: a coordinator stopped for good would end the run early.
    let mix = FaultMix {
        stops: false,
        ..FaultMix::ALL
    };
    sc.actions = random_schedule(&proto, 7, 300_000, 3000, 40, mix);
    long_run(sc, 2);
}
