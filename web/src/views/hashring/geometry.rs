//! The ring's geometry, in the view box (1000 wide, [`VIEW_H`] high): a ring position's
//! angle, points, arcs and radial ticks around the centre, where a key's dot goes, and
//! where the physical nodes sit around the ring.

use crate::components::cluster::f;
use crate::components::ring;
use crate::math;
use dsplay_core::decimal::{fixed, short};
use std::f64::consts::{PI, TAU};
use std::fmt::Write as _;

/// Height of the view box (1000 wide): room below the lowest node for its status badge.
pub(super) const VIEW_H: f64 = 624.0;
/// The SVG `viewBox` of the ring: 1000 by [`VIEW_H`].
pub(super) const VIEW_BOX: &str = "0 0 1000 624";
/// Centre of the ring in the view box.
pub(super) const CX: f64 = 640.0;
pub(super) const CY: f64 = 300.0;
/// The ring line.
pub(super) const R_RING: f64 = 205.0;
/// The ownership band: centre radius and width.
pub(super) const R_BAND: f64 = 194.0;
/// Labels of the largest arcs (inside the band).
pub(super) const R_LABEL: f64 = 163.0;
/// Key dots lie between these radii; density bars start at the inner one.
pub(super) const R_KEYS_IN: f64 = 66.0;
pub(super) const R_KEYS_OUT: f64 = 140.0;
/// Physical nodes sit on this circle.
pub(super) const R_NODES: f64 = 266.0;

/// Angle (radians, clockwise from the top) of a ring position.
pub(super) fn angle(h: u64) -> f64 {
    h as f64 / 18_446_744_073_709_551_616.0 * TAU
}

/// A point at angle `a` (clockwise from the top) and radius `r`.
pub(super) fn polar(a: f64, r: f64) -> (f64, f64) {
    (CX + r * math::sin(a), CY - r * math::cos(a))
}

/// Appends an arc from angle `a0` to `a1` (clockwise, `a1 > a0`) at radius `r`.
pub(super) fn push_arc(d: &mut String, a0: f64, a1: f64, r: f64) {
    let span = a1 - a0;
    if span >= TAU - 1e-9 {
        // A whole circle: two halves.
        push_arc(d, a0, a0 + PI, r);
        push_arc(d, a0 + PI, a0 + TAU, r);
        return;
    }
    let (x0, y0) = polar(a0, r);
    let (x1, y1) = polar(a1, r);
    let large = u8::from(span > PI);
    let _ = write!(
        d,
        "M{} {}A{r} {r} 0 {large} 1 {} {}",
        fixed(x0, 1),
        fixed(y0, 1),
        fixed(x1, 1),
        fixed(y1, 1),
        r = short(r),
    );
}

/// A radial segment at angle `a` from radius `r0` to `r1`.
pub(super) fn push_radial(d: &mut String, a: f64, r0: f64, r1: f64) {
    let (x0, y0) = polar(a, r0);
    let (x1, y1) = polar(a, r1);
    let _ = write!(
        d,
        "M{} {}L{} {}",
        fixed(x0, 1),
        fixed(y0, 1),
        fixed(x1, 1),
        fixed(y1, 1)
    );
}

/// Where a key's dot goes: its angle, and a radius from the hash's low bits (to spread
/// the dots over a band rather than a line).
pub(super) fn key_point(h: u64) -> (f64, f64) {
    let jitter = (h & 0xffff) as f64 / 65_535.0;
    polar(
        angle(h),
        R_KEYS_IN + 4.0 + jitter * (R_KEYS_OUT - R_KEYS_IN - 8.0),
    )
}

/// Radius of a physical node's circle when there are `k`.
pub(super) fn node_radius(k: usize) -> f64 {
    if k <= 12 {
        27.0
    } else if k <= 24 {
        17.0
    } else {
        9.0
    }
}

/// Angles as close as possible to `wanted` but far enough apart for circles of radius
/// `r` on the node circle (see [`ring::spread`]).
pub(super) fn spread(wanted: &[f64], r: f64) -> Vec<f64> {
    ring::spread(wanted, r, R_NODES)
}

/// Centre of each physical node's circle, then the coordinator's at the centre.
pub(super) fn node_layout(angles: &[f64]) -> Vec<(f64, f64)> {
    angles
        .iter()
        .map(|&a| polar(a, R_NODES))
        .chain(std::iter::once((CX, CY)))
        .collect()
}

/// An annulus (ring between two radii) around the centre, as a path filled even-odd.
pub(super) fn annulus(r0: f64, r1: f64) -> String {
    let mut d = String::new();
    for r in [r1, r0] {
        let _ = write!(
            d,
            "M{} {}a{r} {r} 0 1 0 {} 0a{r} {r} 0 1 0 {} 0",
            f(CX - r),
            f(CY),
            f(2.0 * r),
            f(-2.0 * r),
            r = short(r),
        );
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    #[wasm_bindgen_test]
    fn the_view_box_is_1000_by_view_h() {
        assert_eq!(VIEW_BOX, format!("0 0 1000 {VIEW_H}"));
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// The angle between two angles, whichever way round is shorter.
    fn gap(a: f64, b: f64) -> f64 {
        let d = (a - b).rem_euclid(TAU);
        d.min(TAU - d)
    }

    #[wasm_bindgen_test]
    fn ring_positions_go_clockwise_from_the_top() {
        assert_eq!(angle(0), 0.0);
        assert!(close(angle(1 << 62), PI / 2.0));
        assert!(close(angle(1 << 63), PI));
        // The last position rounds to a whole turn: the top again.
        assert!(gap(angle(u64::MAX), 0.0) < 1e-9);
        let (x, y) = polar(0.0, 100.0);
        assert!(close(x, CX) && close(y, CY - 100.0), "top: {x} {y}");
        let (x, y) = polar(PI / 2.0, 100.0);
        assert!(close(x, CX + 100.0) && close(y, CY), "right: {x} {y}");
        let (x, y) = polar(PI, 100.0);
        assert!(close(x, CX) && close(y, CY + 100.0), "bottom: {x} {y}");
    }

    #[wasm_bindgen_test]
    fn arcs_take_the_large_sweep_only_past_half_a_turn() {
        let mut d = String::new();
        push_arc(&mut d, 0.0, PI / 2.0, 100.0);
        assert_eq!(d, "M640.0 200.0A100 100 0 0 1 740.0 300.0");
        let mut d = String::new();
        push_arc(&mut d, 0.0, 1.5 * PI, 100.0);
        assert!(d.contains(" 0 1 1 "), "{d}");
        // A whole circle is drawn as two halves (one arc cannot end where it starts).
        let mut d = String::new();
        push_arc(&mut d, 0.0, TAU, 100.0);
        assert_eq!(d.matches('A').count(), 2, "{d}");
        let mut d = String::new();
        push_radial(&mut d, PI / 2.0, 10.0, 20.0);
        assert_eq!(d, "M650.0 300.0L660.0 300.0");
    }

    #[wasm_bindgen_test]
    fn key_dots_lie_on_the_keys_band_at_their_hash() {
        for h in [0, 1, 0xffff, 1 << 40, u64::MAX / 3, u64::MAX] {
            let (x, y) = key_point(h);
            let r = (x - CX).hypot(y - CY);
            assert!((R_KEYS_IN..=R_KEYS_OUT).contains(&r), "{h:x}: radius {r}");
            if r > 1.0 {
                let a = (x - CX).atan2(CY - y).rem_euclid(TAU);
                assert!(gap(a, angle(h)) < 1e-6, "{h:x}: angle {a}");
            }
        }
    }

    #[wasm_bindgen_test]
    fn nodes_shrink_as_there_are_more() {
        assert_eq!(node_radius(4), 27.0);
        assert_eq!(node_radius(12), 27.0);
        assert_eq!(node_radius(13), 17.0);
        assert_eq!(node_radius(25), 9.0);
    }

    #[wasm_bindgen_test]
    fn nodes_far_apart_stay_where_they_want_to_be() {
        let wanted = [0.1, 2.0, 4.0, TAU + 0.5];
        let got = spread(&wanted, node_radius(4));
        for (w, g) in wanted.iter().zip(&got) {
            assert!(gap(*w, *g) < 1e-9, "{wanted:?} -> {got:?}");
        }
    }

    #[wasm_bindgen_test]
    fn nodes_that_would_overlap_push_each_other_apart() {
        let r = node_radius(5);
        let sep = (2.0 * r + 14.0) / R_NODES;
        // Three nodes in a cluster, then the same across the top of the ring.
        for wanted in [
            [1.0, 1.01, 1.02, 3.0, 5.0],
            [TAU - 0.01, 0.0, 0.01, 2.0, 4.0],
        ] {
            let got = spread(&wanted, r);
            for i in 0..got.len() {
                for j in 0..i {
                    assert!(
                        gap(got[i], got[j]) >= sep - 1e-3,
                        "{i} and {j}: {wanted:?} -> {got:?}"
                    );
                }
            }
            // They keep their order around the ring and stay near where they wanted to be.
            for i in 0..3 {
                assert!(gap(got[i], wanted[i]) < 0.3, "{wanted:?} -> {got:?}");
            }
            for (p, q) in [(0, 1), (1, 2)] {
                let ahead = (got[q] - got[p]).rem_euclid(TAU);
                assert!(ahead < PI, "{p} before {q}: {wanted:?} -> {got:?}");
            }
        }
    }

    #[wasm_bindgen_test]
    fn many_nodes_are_spaced_evenly_in_their_order() {
        let wanted: Vec<f64> = (0..20).map(|i| f64::from(i) * 0.01).collect();
        let got = spread(&wanted, node_radius(20));
        let even = TAU / 20.0;
        for i in 1..20 {
            assert!(
                close((got[i] - got[i - 1]).rem_euclid(TAU), even),
                "{got:?}"
            );
        }
    }

    #[wasm_bindgen_test]
    fn the_coordinator_sits_in_the_middle() {
        let pos = node_layout(&[0.0, PI]);
        assert_eq!(pos.len(), 3);
        assert!(close(pos[0].0, CX) && close(pos[0].1, CY - R_NODES));
        assert!(close(pos[1].1, CY + R_NODES));
        assert_eq!(pos[2], (CX, CY));
    }

    #[wasm_bindgen_test]
    fn the_annulus_is_two_circles() {
        let d = annulus(10.0, 20.0);
        assert!(
            d.starts_with(&format!("M{} {}", f(CX - 20.0), f(CY))),
            "{d}"
        );
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('a').count(), 4, "{d}");
    }
}
