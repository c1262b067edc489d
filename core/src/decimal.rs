//! Numbers with a fraction, written for people: `fixed(x, 1)` for `12.3`, `short(x)` for
//! `0.25` or `4`.
//!
//! Every page draws and narrates with these instead of `format!("{x:.1}")` or `{x}`: the
//! standard library's exact float formatting (a bignum algorithm, correct to the last
//! digit of any `f64`) is some 15 KB of each page's code, where a coordinate, a percentage
//! or a clock rate needs a few decimals. Rounding is to the nearest, ties to even, of the
//! value times 10^decimals; that differs from the exact decimal rounding only when the
//! value lies within an ulp of a tie (`0.15` written with one decimal is `0.2` here, `0.1`
//! in `format!("{:.1}")`, which sees 0.1499…).

use std::fmt;

/// `x` with exactly `decimals` digits after the point (at most 6), as `format!("{x:.N}")`
/// writes it: `-0.5`, `12.30`, `NaN`, `inf`. Magnitudes of 10^15 and more are written as
/// `1.5e300` (three significant decimals at most).
pub fn fixed(x: f64, decimals: u32) -> Fixed {
    Fixed {
        x,
        decimals: decimals.min(6),
        trim: false,
    }
}

/// `x` with at most `decimals` digits after the point and no trailing zeros: `4`, `0.25`,
/// `2.5` (for up to 3 decimals).
pub fn trimmed(x: f64, decimals: u32) -> Fixed {
    Fixed {
        x,
        decimals: decimals.min(6),
        trim: true,
    }
}

/// `x` as people write it, with up to 3 decimals: `4`, `0.25`, `1.333`.
pub fn short(x: f64) -> Fixed {
    trimmed(x, 3)
}

/// A number to write; see [`fixed`] and [`trimmed`].
#[derive(Clone, Copy, Debug)]
pub struct Fixed {
    x: f64,
    decimals: u32,
    trim: bool,
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fixed { x, decimals, trim } = *self;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        let neg = x.is_sign_negative();
        let a = x.abs();
        if a.is_infinite() {
            return f.write_str(if neg { "-inf" } else { "inf" });
        }
        if a >= 1e15 {
            // Seldom: a number typed or read that is far out of range, said in an error.
            let (mut m, mut e) = (a, 0);
            while m >= 10.0 {
                m /= 10.0;
                e += 1;
            }
            let sign = if neg { "-" } else { "" };
            return write!(f, "{sign}{}e{e}", trimmed(m, 3));
        }
        let scale = 10u64.pow(decimals);
        // Below 10^15 x 10^6 every integer is exact in an f64 and fits a u64.
        let n = (a * scale as f64).round_ties_even() as u64;
        let (int, mut frac) = (n / scale, n % scale);
        let mut width = decimals as usize;
        if trim {
            while width > 0 && frac % 10 == 0 {
                frac /= 10;
                width -= 1;
            }
        }
        // `-0.0` rounds to "0" when trimmed, as people write it; `{:.1}` keeps the sign.
        if neg && (n != 0 || !trim) {
            f.write_str("-")?;
        }
        write!(f, "{int}")?;
        if width > 0 {
            write!(f, ".{frac:0width$}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_writes_what_format_writes_away_from_ties() {
        for x in [
            0.0, -0.0, 1.0, 12.34, -12.36, 0.04, 99.96, 123456.789, 1e-9, -3.5e7, 0.333333,
        ] {
            for d in 0..4 {
                assert_eq!(
                    fixed(x, d).to_string(),
                    format!("{x:.*}", d as usize),
                    "{x} with {d}"
                );
            }
        }
        assert_eq!(fixed(f64::NAN, 1).to_string(), "NaN");
        assert_eq!(fixed(f64::INFINITY, 1).to_string(), "inf");
        assert_eq!(fixed(f64::NEG_INFINITY, 0).to_string(), "-inf");
        assert_eq!(fixed(2e16, 2).to_string(), "2e16");
        assert_eq!(short(-1.5e300).to_string(), "-1.5e300");
    }

    #[test]
    fn ties_go_to_even() {
        assert_eq!(fixed(0.5, 0).to_string(), "0");
        assert_eq!(fixed(1.5, 0).to_string(), "2");
        assert_eq!(fixed(2.5, 0).to_string(), "2");
        assert_eq!(fixed(0.25, 1).to_string(), "0.2");
    }

    #[test]
    fn trimmed_drops_trailing_zeros() {
        assert_eq!(short(4.0).to_string(), "4");
        assert_eq!(short(0.25).to_string(), "0.25");
        assert_eq!(short(2.5).to_string(), "2.5");
        assert_eq!(short(1.0 / 3.0).to_string(), "0.333");
        assert_eq!(short(-0.0001).to_string(), "0");
        assert_eq!(short(-1.5).to_string(), "-1.5");
        assert_eq!(trimmed(12.3456, 2).to_string(), "12.35");
        assert_eq!(trimmed(99.999, 2).to_string(), "100");
    }
}
