//! The scenario format: every built-in parses, errors name the field at fault, `to_json`
//! round-trips, and no input makes the loader panic.

use dsplay_core::algo::messaging::Messaging;
use dsplay_core::catalog::{self, builtin, builtins, load};
use dsplay_core::scenario::{Scenario, ScenarioError};
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::{Action, LinkParams, NodeId, NodeStatus};
use proptest::prelude::*;
use serde_json::{json, Value};

fn normal() -> Value {
    serde_json::from_str(builtin("messaging-normal").unwrap().json).unwrap()
}

/// Load through the catalogue and return the error (the scenario must be refused).
fn refused(v: &Value) -> ScenarioError {
    refused_str(&v.to_string())
}

fn refused_str(s: &str) -> ScenarioError {
    match load(s) {
        Ok(_) => panic!("accepted: {s}"),
        Err(e) => e,
    }
}

/// The error's path is `path` and its message (with the path) contains every word of `words`.
fn assert_error(e: &ScenarioError, path: &str, words: &[&str]) {
    assert_eq!(e.path, path, "path of {e}");
    let text = e.to_string();
    if !path.is_empty() {
        assert!(
            text.starts_with(path),
            "`{text}` should start with the field"
        );
    }
    for w in words {
        assert!(text.contains(w), "`{text}` should mention `{w}`");
    }
}

#[test]
fn every_builtin_parses_and_runs() {
    assert!(builtins().next().is_some());
    for b in builtins() {
        if b.algorithm == "messaging" {
            let sc = Scenario::<Messaging>::parse(b.json)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", b.id));
            assert_eq!(sc.algorithm, b.algorithm);
            assert!(!sc.actions.is_empty(), "{} has a script", b.id);
        }
        let mut s = load(b.json).unwrap_or_else(|e| panic!("{} does not load: {e}", b.id));
        assert!(!s.title().is_empty(), "{} has a title", b.id);
        assert!(!s.description().is_empty(), "{} has a description", b.id);
        assert_eq!(s.algorithm(), b.algorithm);
        let sum = s.run(None, None);
        assert!(sum.steps > 0, "{} does something", b.id);
    }
    assert!(builtin("no-such-scenario").is_none());
    // Every built-in belongs to a known algorithm.
    let counted: usize = catalog::CATALOG.iter().map(|a| a.builtins.len()).sum();
    assert_eq!(counted, builtins().count());
}

#[test]
fn unknown_top_level_field() {
    let mut v = normal();
    v["colour"] = json!("blue");
    let e = refused(&v);
    assert_error(
        &e,
        "colour",
        &["unknown field `colour`", "expected one of", "params"],
    );
}

#[test]
fn unknown_field_inside_params() {
    let mut v = normal();
    v["params"]["nodez"] = json!(4);
    let e = refused(&v);
    assert_error(&e, "params.nodez", &["unknown field `nodez`", "nodes"]);
}

#[test]
fn params_nodes_out_of_range() {
    let mut v = normal();
    v["params"]["nodes"] = json!(50);
    let e = refused(&v);
    assert_error(&e, "params.nodes", &["between 2 and 9", "50"]);
    v["params"]["nodes"] = json!(1);
    assert_error(&refused(&v), "params.nodes", &["between 2 and 9", "1"]);
    v["params"]["nodes"] = json!("four");
    let e = refused(&v);
    assert!(e.path.starts_with("params"), "{e}");
    assert!(e.to_string().contains("nodes"), "{e}");
}

#[test]
fn subscription_of_an_unknown_node() {
    let mut v = normal();
    v["params"]["subscriptions"]["n7"] = json!(["news"]);
    assert_error(&refused(&v), "params.subscriptions.n7", &["no such node"]);
}

#[test]
fn network_loss_out_of_range() {
    let mut v = normal();
    v["network"]["loss"] = json!(1.5);
    assert_error(&refused(&v), "network.loss", &["between 0 and 1", "1.5"]);
    v["network"]["loss"] = json!(-0.1);
    assert_error(&refused(&v), "network.loss", &["between 0 and 1"]);
}

#[test]
fn network_latency_inverted() {
    let mut v = normal();
    v["network"]["latency"] = json!([50, 10]);
    assert_error(&refused(&v), "network.latency", &["minimum", "50", "10"]);
}

#[test]
fn link_latency_and_duplicate_out_of_range() {
    let mut v = normal();
    v["network"]["links"] = json!([{ "from": "n1", "to": "n2", "duplicate": 2.0 }]);
    assert_error(
        &refused(&v),
        "network.links[0].duplicate",
        &["between 0 and 1"],
    );
    v["network"]["links"] = json!([{ "from": "n1", "to": "n2", "latency": [5, 99999999] }]);
    assert_error(&refused(&v), "network.links[0].latency", &["at most"]);
    v["network"]["links"] = json!([{ "from": "n1", "to": "zz" }]);
    let e = refused(&v);
    assert!(e.path.starts_with("network.links[0].to"), "{e}");
    assert!(e.to_string().contains("unknown node `zz`"), "{e}");
}

#[test]
fn unknown_node_name_in_an_action() {
    let mut v = normal();
    v["actions"][1] = json!({ "at": 5, "action": { "crash": { "node": "n9" } } });
    let e = refused(&v);
    assert_error(
        &e,
        "actions[1].action.crash.node",
        &["unknown node `n9`", "n1"],
    );
    // Inside a command too.
    v["actions"][1] = json!({ "at": 5, "action": { "command": { "node": "n1",
        "cmd": { "request": { "to": "n22" } } } } });
    let e = refused(&v);
    assert!(e.path.starts_with("actions[1].action.command"), "{e}");
    assert!(e.to_string().contains("unknown node `n22`"), "{e}");
    // A node index out of range.
    v["actions"][1] = json!({ "at": 5, "action": { "crash": { "node": 17 } } });
    assert_error(
        &refused(&v),
        "actions[1].action.crash.node",
        &["out of range"],
    );
}

#[test]
fn an_action_takes_its_own_fields_only() {
    let mut v = normal();
    // A field no action has, and one of another action's (a cut's `one_way` on a crash).
    for (field, value) in [("colour", json!("red")), ("one_way", json!(true))] {
        v["actions"][1] = json!({ "at": 5, "action": { "crash": { "node": "n1", field: value } } });
        assert_error(
            &refused(&v),
            &format!("actions[1].action.crash.{field}"),
            &[&format!("unknown field `{field}`"), "expected `node`"],
        );
    }
    v["actions"][1] = json!({ "at": 5, "action": { "cut": { "a": "n1" } } });
    assert_error(
        &refused(&v),
        "actions[1].action.cut",
        &["missing field `b`"],
    );
    v["actions"][1] = json!({ "at": 5, "action": "crash" });
    assert_error(&refused(&v), "actions[1].action.crash", &["struct variant"]);
    v["actions"][1] = json!({ "at": 5, "action": { "heal": { "node": "n1" } } });
    assert!(refused(&v).path.starts_with("actions[1].action"));
    // Every kind with its fields, as written, reads back the same.
    v["actions"] = json!([
        { "at": 1, "action": { "cut": { "a": "n1", "b": "n2", "one_way": true } } },
        { "at": 2, "action": { "link": { "from": "n1", "to": "n2", "loss": 0.5, "both": true } } },
        { "at": 3, "action": { "network": { "duplicate": 0.25 } } },
        { "at": 4, "action": { "clock": { "node": "n2", "rate": 2.0, "jump": -5 } } },
        { "at": 5, "action": { "open": { "window": 1, "fault": { "pause": { "node": "n1" } } } } },
        { "at": 6, "action": { "end": { "window": 1 } } },
        { "at": 7, "action": { "delay_message": { "id": 3, "by": 10 } } },
        { "at": 8, "action": "heal" },
    ]);
    let sc = Scenario::<Messaging>::from_value(v.clone()).unwrap();
    let actions = |sc: &Scenario<Messaging>| -> Vec<Action<_>> {
        sc.actions.iter().map(|a| a.action.clone()).collect()
    };
    let read = actions(&sc);
    assert_eq!(
        read[0],
        Action::Cut {
            a: NodeId(0),
            b: NodeId(1),
            one_way: true
        }
    );
    assert_eq!(
        read[1],
        Action::Link {
            from: NodeId(0),
            to: NodeId(1),
            params: LinkParams {
                loss: 0.5,
                ..LinkParams::default()
            },
            both: true
        }
    );
    assert_eq!(
        read[4],
        Action::Open {
            window: 1,
            fault: Box::new(Action::Pause { node: NodeId(0) })
        }
    );
    assert_eq!(read[7], Action::Heal);
    let written = serde_json::to_value(&sc).unwrap();
    let again = Scenario::<Messaging>::from_value(written).unwrap();
    assert_eq!(actions(&again), read);
}

#[test]
fn action_with_both_at_and_at_step() {
    let mut v = normal();
    v["actions"][0]["at_step"] = json!(3);
    assert_error(&refused(&v), "actions[0]", &["not both"]);
    v["actions"][0] = json!({ "action": "heal" });
    assert_error(&refused(&v), "actions[0]", &["`at`", "`at_step`"]);
}

#[test]
fn action_values_out_of_range() {
    let mut v = normal();
    v["actions"][2] = json!({ "at": 5, "action": { "network": { "loss": 3 } } });
    assert_error(&refused(&v), "actions[2].action.loss", &["between 0 and 1"]);
    v["actions"][2] =
        json!({ "at": 5, "action": { "delay_message": { "id": 1, "by": 999999999 } } });
    assert_error(&refused(&v), "actions[2].action.by", &["at most"]);
    v["actions"][2] = json!({ "at": 5, "action": { "explode": {} } });
    let e = refused(&v);
    assert!(e.path.starts_with("actions[2].action"), "{e}");
    assert!(e.to_string().contains("explode"), "{e}");
}

#[test]
fn run_steps_too_many() {
    let mut v = normal();
    v["run"]["steps"] = json!(20_000_000u64);
    assert_error(&refused(&v), "run.steps", &["at most"]);
}

#[test]
fn wrong_algorithm() {
    let mut v = normal();
    v["algorithm"] = json!("nonesuch");
    assert_error(
        &refused(&v),
        "algorithm",
        &["unknown algorithm `nonesuch`", "messaging"],
    );
    // The typed parser says what it expected.
    let e = Scenario::<Messaging>::parse(&v.to_string()).unwrap_err();
    assert_error(&e, "algorithm", &["expected `messaging`", "`nonesuch`"]);
    v["algorithm"] = json!(7);
    assert_error(&refused(&v), "algorithm", &["string"]);
    v.as_object_mut().unwrap().remove("algorithm");
    assert_error(&refused(&v), "algorithm", &["missing"]);
}

#[test]
fn version_two() {
    let mut v = normal();
    v["version"] = json!(2);
    assert_error(&refused(&v), "version", &["unsupported version 2"]);
}

#[test]
fn not_json() {
    for s in [
        "",
        "{",
        "not json",
        "{\"algorithm\": \"messaging\",}",
        "\u{0}",
    ] {
        let e = refused_str(s);
        assert_error(&e, "", &["not valid JSON"]);
    }
}

#[test]
fn json_that_is_not_an_object() {
    for s in ["[1, 2]", "\"messaging\"", "42", "null", "true"] {
        let e = refused_str(s);
        assert_error(&e, "", &["must be a JSON object"]);
        let e = Scenario::<Messaging>::parse(s).unwrap_err();
        assert_error(&e, "", &["must be a JSON object"]);
    }
}

#[test]
fn defaults_fill_what_is_left_out() {
    let sc = Scenario::<Messaging>::parse(r#"{ "algorithm": "messaging" }"#).unwrap();
    assert_eq!(sc.version, 1);
    assert_eq!(sc.seed, 0);
    assert_eq!(sc.params.nodes, 4);
    assert_eq!(sc.network.latency, [10, 50]);
    assert_eq!(sc.run.steps, 1000);
    assert!(sc.actions.is_empty());
}

#[test]
fn link_actions_parse_with_their_flattened_parameters() {
    let mut v = normal();
    v["actions"][3] = json!({ "at": 5, "action": { "link": { "from": "n1", "to": "n2",
        "latency": [100, 200], "loss": 0.5, "both": true } } });
    let sc = Scenario::<Messaging>::parse(&v.to_string()).expect("a link action parses");
    let a = &sc.actions[3].action;
    let json = serde_json::to_value(a).unwrap();
    assert_eq!(json["link"]["loss"], json!(0.5));
    assert_eq!(json["link"]["latency"], json!([100, 200]));
    v["actions"][3]["action"]["link"]["loss"] = json!(7);
    assert_error(&refused(&v), "actions[3].action.loss", &["between 0 and 1"]);
}

fn round_trip<P: dsplay_core::Protocol>(b: &dsplay_core::Builtin) {
    let sc = Scenario::<P>::parse(b.json).unwrap();
    let text = sc.to_json();
    let again = Scenario::<P>::parse(&text)
        .unwrap_or_else(|e| panic!("{}: to_json output does not parse: {e}\n{text}", b.id));
    assert_eq!(again.to_json(), text, "{}: to_json is stable", b.id);
    let mut one = Loaded::new(sc).unwrap();
    let mut two = Loaded::new(again).unwrap();
    one.run(None, None);
    two.run(None, None);
    assert!(one.horizon() > 0);
    assert_eq!(one.trace_hash(), two.trace_hash(), "{}", b.id);
    // Node names, not indexes, in the file.
    assert!(text.contains("\"node\":\""), "{}: {text}", b.id);
    assert!(
        !text
            .match_indices("\"node\":")
            .any(|(i, m)| text[i + m.len()..].starts_with(|c: char| c.is_ascii_digit())),
        "{}: a node written as an index: {text}",
        b.id
    );
}

#[test]
fn to_json_round_trips() {
    for b in builtins() {
        match b.algorithm {
            "messaging" => round_trip::<Messaging>(b),
            "hashring" => round_trip::<dsplay_core::algo::hashring::Hashring>(b),
            "transactions" => round_trip::<dsplay_core::algo::transactions::Transactions>(b),
            "locks" => round_trip::<dsplay_core::algo::locks::Locks>(b),
            "raft" => round_trip::<dsplay_core::algo::raft::Raft>(b),
            "paxos" => round_trip::<dsplay_core::algo::paxos::Paxos>(b),
            "chord" => round_trip::<dsplay_core::algo::chord::Chord>(b),
            "kvstore" => round_trip::<dsplay_core::algo::kvstore::Kvstore>(b),
            other => panic!("no round trip for {other}"),
        }
    }
}

#[test]
fn session_scenario_json_reproduces_what_people_did() {
    let mut s = load(builtin("messaging-normal").unwrap().json).unwrap();
    s.seek(4);
    s.apply_json(r#"{ "crash": { "node": "n3" } }"#).unwrap();
    s.seek(9);
    s.apply_json(r#"{ "command": { "node": "n4", "cmd": { "broadcast": { "body": "x" } } } }"#)
        .unwrap();
    s.run(Some(100), None);
    let file = s.scenario_json();
    let mut again = load(&file).unwrap();
    again.run(Some(s.pos()), None);
    assert_eq!(again.pos(), s.pos());
    // The same steps and messages; only who did the actions differs (now the script).
    assert_eq!(again.messages(), s.messages());
    for i in 0..s.pos() {
        let (mut a, mut b) = (again.step_view(i).unwrap(), s.step_view(i).unwrap());
        if b.user {
            assert!(!a.user && a.fault == b.fault);
            assert!(b.narration[0].starts_with("You: "), "{:?}", b.narration);
            assert_eq!(
                a.narration[0],
                b.narration[0].replacen("You: ", "Script: ", 1)
            );
            (a.user, a.narration, b.user, b.narration) = (false, vec![], false, vec![]);
        }
        assert_eq!(a, b, "step {i}");
    }
    for n in 0..s.names().len() as u32 {
        assert_eq!(again.node_state(n), s.node_state(n));
        assert_eq!(again.status(n), s.status(n));
    }
    assert_eq!(
        again.status(2),
        Some(NodeStatus::Crashed {
            since: s.step_view(4).unwrap().time
        })
    );
    // Bad actions are refused with the field named.
    let e = s
        .apply_json(r#"{ "crash": { "node": "n77" } }"#)
        .unwrap_err();
    assert!(e.to_string().contains("unknown node `n77`"), "{e}");
    let e = s.apply_json(r#"{ "network": { "loss": 2 } }"#).unwrap_err();
    assert!(e.to_string().contains("action.loss"), "{e}");
}

// ---------------------------------------------------------------------------------------
// The loader never panics
// ---------------------------------------------------------------------------------------

/// Load, and if accepted, use the session a little: nothing may panic.
fn exercise(text: &str) {
    if let Ok(mut s) = load(text) {
        let sum = s.run(Some(150), Some(20_000));
        assert!(sum.steps <= 150);
        let _ = s.trace_json();
        let _ = s.violations();
        for n in 0..s.names().len() as u32 + 1 {
            let _ = s.node_state(n);
        }
        s.seek(sum.steps / 2);
        s.step_back();
        // What a session writes, it reads back.
        let file = s.scenario_json();
        if let Err(e) = load(&file) {
            panic!("scenario_json does not load: {e}\n{file}");
        }
    }
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|i| json!(i)),
        (0u64..2000).prop_map(|i| json!(i)),
        (-2.0f64..3.0).prop_map(|f| json!(f)),
        prop_oneof![
            Just("n1"),
            Just("n9"),
            Just("broker"),
            Just("heal"),
            Just("messaging"),
            Just(""),
            Just("news"),
        ]
        .prop_map(|s| json!(s)),
        "[a-z_]{0,12}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A change at a random place in a JSON document.
#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the value found by following `path` choices.
    Replace(Vec<u32>, Value),
    /// Remove a key or element found by following `path` choices.
    Remove(Vec<u32>),
    /// Add a key to the object found by following `path` choices.
    Insert(Vec<u32>, String, Value),
}

fn key_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![
            Just("version"),
            Just("seed"),
            Just("params"),
            Just("nodes"),
            Just("dedup"),
            Just("reliable"),
            Just("network"),
            Just("links"),
            Just("latency"),
            Just("loss"),
            Just("duplicate"),
            Just("actions"),
            Just("at"),
            Just("at_step"),
            Just("action"),
            Just("run"),
            Just("steps"),
            Just("until"),
            Just("subscriptions"),
            Just("max_retries"),
            Just("request_timeout"),
            Just("retransmit_interval"),
        ]
        .prop_map(String::from),
        "[a-z_]{1,8}",
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let path = prop::collection::vec(any::<u32>(), 0..6);
    prop_oneof![
        (path.clone(), json_value()).prop_map(|(p, v)| Mutation::Replace(p, v)),
        path.clone().prop_map(Mutation::Remove),
        (path, key_strategy(), json_value()).prop_map(|(p, k, v)| Mutation::Insert(p, k, v)),
    ]
}

/// Follow `path` (each choice modulo the number of children) as far as it goes.
fn walk<'a>(mut v: &'a mut Value, path: &[u32]) -> &'a mut Value {
    for &c in path {
        let n = match &*v {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if n == 0 {
            break;
        }
        let i = c as usize % n;
        v = match v {
            Value::Object(m) => m.values_mut().nth(i).unwrap(),
            Value::Array(a) => &mut a[i],
            _ => unreachable!(),
        };
    }
    v
}

fn apply(doc: &mut Value, m: &Mutation) {
    match m {
        Mutation::Replace(p, new) => *walk(doc, p) = new.clone(),
        Mutation::Remove(p) => {
            if p.is_empty() {
                return;
            }
            let parent = walk(doc, &p[..p.len() - 1]);
            let c = *p.last().unwrap() as usize;
            match parent {
                Value::Object(o) if !o.is_empty() => {
                    let k = o.keys().nth(c % o.len()).unwrap().clone();
                    o.remove(&k);
                }
                Value::Array(a) if !a.is_empty() => {
                    let i = c % a.len();
                    a.remove(i);
                }
                _ => {}
            }
        }
        Mutation::Insert(p, k, new) => {
            if let Value::Object(o) = walk(doc, p) {
                o.insert(k.clone(), new.clone());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,200}") {
        exercise(&s);
    }

    #[test]
    fn json_ish_strings_never_panic(s in r#"[{}\[\]":,0-9a-z_. -]{0,120}"#) {
        exercise(&s);
    }

    #[test]
    fn mutated_builtins_never_panic(
        which in 0..builtins().count(),
        muts in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut doc: Value = serde_json::from_str(builtins().nth(which).unwrap().json).unwrap();
        for m in &muts {
            apply(&mut doc, m);
        }
        exercise(&doc.to_string());
    }
}

#[test]
fn pretty_json_keeps_field_order_and_meaning() {
    use dsplay_core::json::pretty_json;
    let compact =
        r#"{"version":1,"title":"a \"b\", c: {d}","empty":{},"list":[],"xs":[1,{"z":2,"a":[3]}]}"#;
    let pretty = pretty_json(compact);
    let v: serde_json::Value = serde_json::from_str(&pretty).unwrap();
    assert_eq!(
        v,
        serde_json::from_str::<serde_json::Value>(compact).unwrap()
    );
    assert!(pretty.find("version").unwrap() < pretty.find("title").unwrap());
    assert!(pretty.find("\"z\"").unwrap() < pretty.find("\"a\"").unwrap());
    assert!(
        pretty.contains("\"empty\": {}") && pretty.contains("\"list\": []"),
        "{pretty}"
    );
    assert!(pretty.contains("\n    1,\n"), "{pretty}");
    assert_eq!(pretty_json("not json"), "not json");
}

#[test]
fn fewer_nodes_fit_the_script_by_name() {
    use dsplay_core::algo::raft::Raft;
    use dsplay_core::sim::Action;
    use dsplay_core::Algorithm;
    for b in Raft::BUILTINS {
        let sc = Scenario::<Raft>::parse(b.json).unwrap();
        for n in 3..=9 {
            let mut params = sc.params.clone();
            params.servers = n;
            let (fitted_sc, fitted) = sc
                .with_params(params)
                .unwrap_or_else(|e| panic!("{} with {n} servers: {e}", b.id));
            assert_eq!(
                sc.actions.len() - fitted_sc.actions.len(),
                fitted.left_out,
                "{} with {n}",
                b.id
            );
            if let Err(e) = Loaded::new(fitted_sc) {
                panic!("{} with {n} servers: {e}", b.id);
            }
            // Five or more servers: every node named is still there.
            if n >= 5 {
                assert!(fitted.is_empty(), "{} with {n}: {fitted:?}", b.id);
            }
        }
    }
    // The partition scenario with three servers: the command to n4 goes, the partition
    // keeps n1 n2 | n3.
    let sc = Scenario::<Raft>::parse(builtin("raft-partition").unwrap().json).unwrap();
    let mut params = sc.params.clone();
    params.servers = 3;
    let (small, fitted) = sc.with_params(params).unwrap();
    assert_eq!(
        fitted.sentence().as_deref(),
        Some("n4, n5 are gone: 1 scripted action naming them was left out; 1 partition now leaves them out.")
    );
    let groups: Vec<_> = small
        .actions
        .iter()
        .filter_map(|a| match &a.action {
            Action::Partition { groups } => Some(groups.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        groups,
        vec![vec![vec![NodeId(0), NodeId(1)], vec![NodeId(2)]]]
    );
    // Parameters the protocol refuses are refused with the field named.
    let mut params = sc.params.clone();
    params.servers = 12;
    assert_error(
        &sc.with_params(params).unwrap_err(),
        "params.servers",
        &["3", "9"],
    );
}

#[test]
fn a_typed_action_naming_a_node_out_of_range_is_refused() {
    use dsplay_core::sim::Action;
    let mut l = Loaded::<Messaging>::parse(builtin("messaging-normal").unwrap().json).unwrap();
    let e = l.apply(Action::Crash { node: NodeId(40) }).unwrap_err();
    assert!(e.message.contains("out of range"), "{e}");
    assert!(l.apply(Action::Crash { node: NodeId(1) }).is_ok());
    assert_eq!(l.user_actions_json().matches("crash").count(), 1);
}

#[test]
fn the_same_run_with_other_parameters_keeps_what_people_did_by_name() {
    use dsplay_core::algo::locks::{Locks, Params};
    use dsplay_core::sim::Action;
    let mut l = Loaded::<Locks>::parse(builtin("locks-queue").unwrap().json).unwrap();
    l.seek(5);
    // c3 crashes before step 5, the lock service pauses before step 6.
    l.apply(Action::Crash { node: NodeId(2) }).unwrap();
    l.apply(Action::Pause { node: NodeId(3) }).unwrap();
    let p = l.scenario.params.clone();
    let done = |l: &Loaded<Locks>| -> Vec<(u64, Action<_>)> {
        l.timeline
            .user_actions()
            .map(|a| (a.step, a.action.clone()))
            .collect()
    };

    let (fenced, fitted) = l
        .refit(Params {
            fencing: true,
            ..p.clone()
        })
        .unwrap();
    assert!(fitted.is_empty(), "{fitted:?}");
    assert_eq!(done(&fenced), done(&l));
    assert_eq!(fenced.pos(), l.pos(), "the same step");
    assert!(fenced.scenario.params.fencing);

    // With two clients c3 is gone (its crash is left out, and said) and the lock service
    // is node 2.
    let (two, fitted) = l
        .refit(Params {
            clients: 2,
            ..p.clone()
        })
        .unwrap();
    assert_eq!(done(&two), vec![(6, Action::Pause { node: NodeId(2) })]);
    assert_eq!(fitted.yours, 1);
    assert_eq!(
        fitted.sentence().as_deref(),
        Some("c3 is gone: 1 scripted action naming it was left out; 1 of your actions naming it was left out.")
    );
    let refused = l.refit(Params { clients: 40, ..p }).unwrap_err();
    assert_eq!(refused.path, "params.clients");
}

/// One-way cuts, clock faults and fault windows are read and written, checked and named
/// by their field when wrong; a window holds only a fault that can last.
#[test]
fn one_way_cuts_clock_faults_and_windows_parse_and_round_trip() {
    let mut v = normal();
    let actions = [
        json!({ "at": 5, "action": { "cut": { "a": "n1", "b": "n2", "one_way": true } } }),
        json!({ "at": 6, "action": { "clock": { "node": "n2", "rate": 0.5 } } }),
        json!({ "at": 7, "action": { "clock": { "node": "n3", "jump": -250 } } }),
        json!({ "at": 8, "action": { "open": { "window": 1,
            "fault": { "partition": { "groups": [["n1"], ["n2", "n3"]] } } } } }),
        json!({ "at": 9, "action": { "open": { "window": 2,
            "fault": { "crash": { "node": "n1" } } } } }),
        json!({ "at": 10, "action": { "end": { "window": 1 } } }),
        json!({ "at": 11, "action": { "end": { "window": 2 } } }),
    ];
    v["actions"] = Value::Array(actions.to_vec());
    let sc = Scenario::<Messaging>::parse(&v.to_string()).expect("the new actions parse");
    let again: Value = serde_json::from_str(&sc.to_json()).unwrap();
    for (i, a) in actions.iter().enumerate() {
        assert_eq!(&again["actions"][i], a, "written as read");
    }
    // A two-way cut is written as before, without `one_way`.
    v["actions"][0]["action"]["cut"]["one_way"] = json!(false);
    let sc = Scenario::<Messaging>::parse(&v.to_string()).unwrap();
    let again: Value = serde_json::from_str(&sc.to_json()).unwrap();
    assert_eq!(
        again["actions"][0]["action"],
        json!({ "cut": { "a": "n1", "b": "n2" } })
    );
    let mut l = load(&v.to_string()).unwrap();
    l.run(None, None);

    let bad = |action: Value| {
        let mut w = normal();
        w["actions"][0] = json!({ "at": 5, "action": action });
        refused(&w)
    };
    assert_error(
        &bad(json!({ "clock": { "node": "n1", "rate": 50 } })),
        "actions[0].action.rate",
        &["between 0.1 and 10"],
    );
    assert_error(
        &bad(json!({ "clock": { "node": "n1" } })),
        "actions[0].action",
        &["rate", "jump"],
    );
    assert_error(
        &bad(json!({ "clock": { "node": "n1", "jump": 99999999999i64 } })),
        "actions[0].action.jump",
        &["at most"],
    );
    assert_error(
        &bad(json!({ "open": { "window": 1, "fault": "heal" } })),
        "actions[0].action.fault",
        &["fault window holds"],
    );
    assert_error(
        &bad(json!({ "open": { "window": 1, "fault": { "network": { "loss": 2 } } } })),
        "actions[0].action.fault.loss",
        &["between 0 and 1"],
    );
}
