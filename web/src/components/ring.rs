//! Nodes around a ring, shared by the pages that draw one (consistent hashing, Chord):
//! where nodes go on the circle so that their circles do not overlap, and points on it.

use crate::math;
use std::f64::consts::TAU;

/// A point at angle `a` (radians, clockwise from the top) and radius `r` around `(cx, cy)`.
pub fn polar_at((cx, cy): (f64, f64), a: f64, r: f64) -> (f64, f64) {
    (cx + r * math::sin(a), cy - r * math::cos(a))
}

/// Angles as close as possible to `wanted` but far enough apart for circles of radius
/// `r` on a circle of radius `ring_r`: neighbours that overlap push each other apart.
pub fn spread(wanted: &[f64], r: f64, ring_r: f64) -> Vec<f64> {
    let k = wanted.len();
    let mut a: Vec<f64> = wanted.iter().map(|&x| math::wrap(x, TAU)).collect();
    if k < 2 {
        return a;
    }
    // The nodes by wanted angle: an insertion sort (stable), for the few nodes of a ring.
    let mut order: Vec<usize> = (0..k).collect();
    for i in 1..k {
        let mut j = i;
        while j > 0 && a[order[j - 1]].total_cmp(&a[order[j]]).is_gt() {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
    let even = TAU / k as f64;
    if k > 12 {
        // Many nodes: evenly spaced in the order of their wanted angles, turned as a
        // whole to stay as close to them as possible.
        let (mut sx, mut sy) = (0.0, 0.0);
        for (rank, &i) in order.iter().enumerate() {
            let d = a[i] - rank as f64 * even;
            sx += math::cos(d);
            sy += math::sin(d);
        }
        let turn = math::atan2(sy, sx);
        for (rank, &i) in order.iter().enumerate() {
            a[i] = turn + rank as f64 * even;
        }
        return a;
    }
    let sep = ((2.0 * r + 14.0) / ring_r).min(even * 0.98);
    // In ring order, unwrapped: only the last gap goes round past the top, and a node
    // pushed past its neighbour leaves a negative gap, which is too small too (so it is
    // pushed back rather than left overlapping).
    let mut b: Vec<f64> = order.iter().map(|&i| a[i]).collect();
    for _ in 0..200 {
        let mut moved = false;
        for j in 0..k {
            let gap = if j + 1 < k {
                b[j + 1] - b[j]
            } else {
                b[0] + TAU - b[j]
            };
            if gap < sep - 1e-6 {
                let push = (sep - gap) / 2.0;
                b[j] -= push;
                b[(j + 1) % k] += push;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    for (rank, &i) in order.iter().enumerate() {
        a[i] = b[rank];
    }
    a
}
