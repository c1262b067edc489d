//! The trigonometry and logarithms the views draw with, from the browser's `Math`.
//!
//! Rust's own (`f64::sin` and the like, from libm) would put their argument reduction and
//! polynomial kernels, some 10 KB, into every page. Only drawing uses these: the
//! simulation, which must give the same run everywhere, uses none of them.

/// Sine of `x` radians.
pub fn sin(x: f64) -> f64 {
    js_sys::Math::sin(x)
}

/// Cosine of `x` radians.
pub fn cos(x: f64) -> f64 {
    js_sys::Math::cos(x)
}

/// The angle of the point `(x, y)`, as `y.atan2(x)`.
pub fn atan2(y: f64, x: f64) -> f64 {
    js_sys::Math::atan2(y, x)
}

/// The length of `(x, y)`, as `x.hypot(y)`.
pub fn hypot(x: f64, y: f64) -> f64 {
    js_sys::Math::hypot(x, y)
}

/// `base` to the power `exponent`, as `base.powf(exponent)`.
pub fn pow(base: f64, exponent: f64) -> f64 {
    js_sys::Math::pow(base, exponent)
}

/// Base-10 logarithm, as `x.log10()`.
pub fn log10(x: f64) -> f64 {
    js_sys::Math::log10(x)
}

/// `x` modulo `m` into `[0, m)`, as `x.rem_euclid(m)` but by a division and a floor
/// (libm's `fmod` is one more kernel; for angles the last bit does not matter).
pub fn wrap(x: f64, m: f64) -> f64 {
    let r = x - m * (x / m).floor();
    if r >= m {
        0.0
    } else {
        r
    }
}
