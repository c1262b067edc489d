//! The checker on hand-made server states: each property fires on the situation it
//! names, and says which servers, terms and indexes disagree.

use super::*;
use crate::invariant::Violation;
use crate::sim::NodeId;

const NAMES: [&str; 3] = ["n1", "n2", "n3"];

fn names() -> Vec<String> {
    NAMES.iter().map(|s| s.to_string()).collect()
}

/// A server in `term` with `role` and a log of `(term, command value)` entries for key x.
fn server(term: u64, role: Role, log: &[(u64, &str)]) -> Node {
    Node {
        disk: RaftDisk {
            current_term: term,
            voted_for: None,
            log: log
                .iter()
                .enumerate()
                .map(|(k, &(t, v))| Entry {
                    term: t,
                    key: "x".into(),
                    value: v.into(),
                    client: NodeId(0),
                    seq: k as u32 + 1 + 100 * t as u32,
                })
                .collect::<Vec<_>>()
                .into(),
            next_seq: 0,
        },
        mem: RaftMem {
            role,
            ..RaftMem::default()
        },
    }
}

/// Replace a server's last entry by another (the log cut short and appended to: the only
/// way a log changes other than by appending).
fn replace_last(n: &mut Node, value: &str, seq: u32) {
    let k = n.disk.log.len() - 1;
    let mut e = n.disk.log[k].clone();
    e.value = value.into();
    e.seq = seq;
    n.disk.log.truncate(k);
    n.disk.log.push(e);
}

/// Runs the checker after a step of `me` and returns what it reported.
fn check(c: &mut RaftChecker, servers: &[Node], me: u32) -> Vec<Violation> {
    let refs: Vec<&Node> = servers.iter().collect();
    let mut out = Vec::new();
    c.check_servers(&refs, &names(), NodeId(me), &mut out);
    out
}

fn only(v: &[Violation], property: &str) -> String {
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].property, property, "{v:?}");
    v[0].explanation.clone()
}

#[test]
fn a_healthy_cluster_reports_nothing() {
    let mut c = RaftChecker::new(3);
    let mut s = vec![
        server(1, Role::Leader, &[(1, "1")]),
        server(1, Role::Follower, &[(1, "1")]),
        server(1, Role::Follower, &[]),
    ];
    s[0].mem.commit_index = 1;
    s[0].mem.last_applied = 1;
    for me in [0, 1, 2, 0] {
        assert!(check(&mut c, &s, me).is_empty());
    }
}

#[test]
fn two_leaders_in_one_term_break_election_safety() {
    let mut c = RaftChecker::new(3);
    let s = vec![
        server(2, Role::Leader, &[]),
        server(2, Role::Leader, &[]),
        server(2, Role::Follower, &[]),
    ];
    assert!(check(&mut c, &s, 0).is_empty());
    let e = only(&check(&mut c, &s, 1), ELECTION_SAFETY);
    assert_eq!(e, "n1 and n2 are both leaders of term 2");
    assert!(check(&mut c, &s, 1).is_empty(), "said once");
}

#[test]
fn a_leader_overwriting_its_log_breaks_append_only() {
    let mut c = RaftChecker::new(3);
    let mut s = vec![
        server(1, Role::Leader, &[(1, "1"), (1, "2")]),
        server(1, Role::Follower, &[]),
        server(1, Role::Follower, &[]),
    ];
    assert!(check(&mut c, &s, 0).is_empty());
    replace_last(&mut s[0], "9", 77);
    let e = only(&check(&mut c, &s, 0), LEADER_APPEND_ONLY);
    assert!(
        e.contains("n1, leader of term 1, had x=2 (term 1) at index 2 and now holds x=9"),
        "{e}"
    );
}

#[test]
fn same_index_and_term_with_different_entries_breaks_log_matching() {
    // The logs differ first at index 2, where both entries have term 2.
    let mut c = RaftChecker::new(3);
    let mut s = vec![
        server(2, Role::Follower, &[(1, "1"), (2, "2")]),
        server(2, Role::Follower, &[(1, "1"), (2, "2")]),
        server(2, Role::Follower, &[]),
    ];
    replace_last(&mut s[1], "5", 55);
    let e = only(&check(&mut c, &s, 0), LOG_MATCHING);
    assert!(
        e.contains("both have an entry of term 2 at index 2, but differ at index 2"),
        "{e}"
    );
}

#[test]
fn logs_that_differ_only_in_later_terms_match() {
    let mut c = RaftChecker::new(3);
    let s = vec![
        server(3, Role::Follower, &[(1, "1"), (2, "2")]),
        server(3, Role::Follower, &[(1, "1"), (3, "3")]),
        server(3, Role::Follower, &[(1, "1")]),
    ];
    assert!(check(&mut c, &s, 0).is_empty());
    assert!(check(&mut c, &s, 1).is_empty());
}

#[test]
fn an_entry_committed_after_a_later_leader_was_elected_without_it() {
    // n2 leads term 3 with a log lacking index 2; then n1, still in term 2, marks
    // index 2 committed. Checking only at election time would miss this.
    let mut c = RaftChecker::new(3);
    let mut s = vec![
        server(2, Role::Leader, &[(1, "1"), (2, "2")]),
        server(3, Role::Leader, &[(1, "1")]),
        server(3, Role::Follower, &[(1, "1")]),
    ];
    assert!(check(&mut c, &s, 0).is_empty());
    assert!(check(&mut c, &s, 1).is_empty());
    s[0].mem.commit_index = 2;
    let v = check(&mut c, &s, 0);
    let e = only(&v, LEADER_COMPLETENESS);
    assert_eq!(
        e,
        "n1 committed entry 2 (x=2, term 2) in term 2, but n2 was already leader of term 3 without it; it has no entry there"
    );
}

#[test]
fn a_leader_elected_without_a_committed_entry_breaks_completeness() {
    let mut c = RaftChecker::new(3);
    let mut s = vec![
        server(2, Role::Leader, &[(1, "1"), (2, "2")]),
        server(3, Role::Follower, &[(1, "1"), (3, "3")]),
        server(2, Role::Follower, &[]),
    ];
    s[0].mem.commit_index = 2;
    assert!(check(&mut c, &s, 0).is_empty());
    s[1].mem.role = Role::Leader;
    let e = only(&check(&mut c, &s, 1), LEADER_COMPLETENESS);
    assert!(
        e.contains("n2 became leader of term 3 without entry 2 (x=2, term 2), which n1 committed in term 2; it has x=3 (term 3) there"),
        "{e}"
    );
}

#[test]
fn different_commands_applied_at_one_index_break_state_machine_safety() {
    let mut c = RaftChecker::new(3);
    let mut s = vec![
        server(4, Role::Follower, &[(1, "1")]),
        server(4, Role::Follower, &[(3, "3")]),
        server(4, Role::Follower, &[]),
    ];
    s[0].mem.last_applied = 1;
    s[1].mem.last_applied = 1;
    assert!(check(&mut c, &s, 0).is_empty());
    let v = check(&mut c, &s, 1);
    let e = v
        .iter()
        .find(|v| v.property == STATE_MACHINE_SAFETY)
        .expect("State Machine Safety")
        .explanation
        .clone();
    assert_eq!(
        e,
        "n2 applied x=3 (term 3) at index 1, but n1 had applied x=1 (term 1) there"
    );
}
