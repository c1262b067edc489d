//! Keys to partitions, partitions to servers, and what a rebalancing moves.

use super::types::{PartCfg, Partitioning};
use crate::hash::Fnv64;
use crate::sim::NodeId;

/// The stable hash of key `k` (FNV-1a of its name, `k7`).
pub fn key_hash(k: u32) -> u64 {
    let mut h = Fnv64::default();
    h.update(format!("k{k}").as_bytes());
    h.finish()
}

/// The partition of every key `0..keys`: `hash mod partitions`, or by range at `splits`
/// (the first key of each partition but the first; empty: equal ranges).
pub fn partition_map(how: Partitioning, keys: u32, partitions: u32, splits: &[u32]) -> Vec<u32> {
    let p = partitions.max(1);
    (0..keys)
        .map(|k| match how {
            Partitioning::Hash => (key_hash(k) % u64::from(p)) as u32,
            Partitioning::Range if splits.is_empty() => {
                ((u64::from(k) * u64::from(p)) / u64::from(keys.max(1))) as u32
            }
            Partitioning::Range => splits.iter().filter(|&&s| s <= k).count() as u32,
        })
        .collect()
}

/// The starting table: partition `p`'s replicas are servers `p, p+1, ...` (mod
/// `servers`), the first its leader (none when leaderless); epoch 1.
pub fn initial_table(
    partitions: u32,
    servers: u32,
    replicas: u32,
    leaderless: bool,
) -> Vec<PartCfg> {
    (0..partitions)
        .map(|p| {
            let replicas: Vec<NodeId> = (0..replicas.min(servers))
                .map(|i| NodeId((p + i) % servers.max(1)))
                .collect();
            PartCfg {
                epoch: 1,
                leader: if leaderless {
                    None
                } else {
                    replicas.first().copied()
                },
                replicas,
            }
        })
        .collect()
}

/// The moves a join of `node` (or, with `leave`, its departure) makes, as
/// (partition, from, to): a joining server takes replicas from those holding the most
/// (preferring a follower's copy) until it holds its share; a leaving one gives each of
/// its replicas to the member holding the fewest that lacks the partition.
pub fn plan_moves(
    table: &[PartCfg],
    members: &[NodeId],
    node: NodeId,
    leave: bool,
) -> Vec<(u32, NodeId, NodeId)> {
    let mut held: Vec<Vec<NodeId>> = table.iter().map(|c| c.replicas.clone()).collect();
    let count = |held: &[Vec<NodeId>], n: NodeId| held.iter().filter(|r| r.contains(&n)).count();
    let mut moves = Vec::new();
    if leave {
        let others: Vec<NodeId> = members.iter().copied().filter(|&m| m != node).collect();
        for p in 0..held.len() {
            if !held[p].contains(&node) {
                continue;
            }
            let to = others
                .iter()
                .copied()
                .filter(|o| !held[p].contains(o))
                .min_by_key(|&o| (count(&held, o), o));
            if let Some(to) = to {
                for r in held[p].iter_mut() {
                    if *r == node {
                        *r = to;
                    }
                }
                moves.push((p as u32, node, to));
            }
        }
        return moves;
    }
    let total: usize = held.iter().map(Vec::len).sum();
    let mut all: Vec<NodeId> = members.to_vec();
    if !all.contains(&node) {
        all.push(node);
    }
    let share = total / all.len().max(1);
    while count(&held, node) < share {
        // The donor: the member holding the most, the lowest id first.
        let donor = all
            .iter()
            .copied()
            .filter(|&m| m != node)
            .max_by_key(|&m| (count(&held, m), std::cmp::Reverse(m)));
        let Some(donor) = donor else { break };
        if count(&held, donor) <= share {
            break;
        }
        let pick = (0..held.len())
            .filter(|&p| held[p].contains(&donor) && !held[p].contains(&node))
            .filter(|&p| {
                !moves
                    .iter()
                    .any(|m: &(u32, NodeId, NodeId)| m.0 == p as u32)
            })
            .min_by_key(|&p| (table[p].leader == Some(donor), p));
        let Some(p) = pick else { break };
        for r in held[p].iter_mut() {
            if *r == donor {
                *r = node;
            }
        }
        moves.push((p as u32, donor, node));
    }
    moves
}

/// Key copies that `hash(key) mod N` placement (replica `i` of a key on server
/// `(hash + i) mod N`) must move when the cluster goes from `before` to `after` servers:
/// copies placed on a server that did not hold that key before.
pub fn mod_n_moves(keys: u32, replicas: u32, before: u32, after: u32) -> u32 {
    let place = |k: u32, n: u32| -> Vec<u64> {
        let h = key_hash(k);
        (0..replicas.min(n))
            .map(|i| (h + u64::from(i)) % u64::from(n.max(1)))
            .collect()
    };
    (0..keys)
        .map(|k| {
            let old = place(k, before);
            place(k, after).iter().filter(|s| !old.contains(s)).count() as u32
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_partitions_keep_neighbours_together() {
        let m = partition_map(Partitioning::Range, 16, 4, &[]);
        assert_eq!(&m[..5], &[0, 0, 0, 0, 1]);
        let m = partition_map(Partitioning::Range, 16, 3, &[2, 10]);
        assert_eq!((m[1], m[2], m[9], m[10]), (0, 1, 1, 2));
    }

    #[test]
    fn a_join_takes_a_share_and_mod_n_moves_more() {
        let t = initial_table(8, 3, 1, false);
        let members = [NodeId(0), NodeId(1), NodeId(2)];
        let moves = plan_moves(&t, &members, NodeId(3), false);
        assert_eq!(moves.len(), 2);
        assert!(moves.iter().all(|m| m.2 == NodeId(3)));
        // hash mod N moves about 3/4 of the keys from 3 to 4 servers.
        assert!(mod_n_moves(64, 1, 3, 4) > 32);
        let leave = plan_moves(&t, &members, NodeId(2), true);
        assert!(leave.iter().all(|m| m.1 == NodeId(2) && m.2 != NodeId(2)));
        assert_eq!(leave.len(), 2);
    }
}
