//! Comparing a value with a limit at its edge: on a grid of a millionth (a microvolt, a
//! microamp), so a value exactly at the limit is at it whatever the binary sum gave, and a
//! value that is not a number is never inside any limit.
//!
//! Every gate says "at most", "at least" or "below": each is written with [`within`],
//! [`reaches`] or [`below`], and a failure is the negation of one, so a NaN or an infinity
//! fails.

/// A value on the grid; `None` for what is not a finite number.
fn grid(x: f64) -> Option<i64> {
    // 1e12 V is far beyond any pack: beyond it the cast would saturate, so it is not a value.
    (x.is_finite() && x.abs() < 1e12).then(|| (x * 1e6).round() as i64)
}

/// `x` is at most `limit` (equal counts as within).
pub fn within(x: f64, limit: f64) -> bool {
    matches!((grid(x), grid(limit)), (Some(x), Some(l)) if x <= l)
}

/// `x` is at least `limit` (equal counts as reaching it).
pub fn reaches(x: f64, limit: f64) -> bool {
    matches!((grid(x), grid(limit)), (Some(x), Some(l)) if x >= l)
}

/// `x` is strictly below `limit` (equal is not below), for a limit that must not be reached.
pub fn below(x: f64, limit: f64) -> bool {
    matches!((grid(x), grid(limit)), (Some(x), Some(l)) if x < l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_exactly_at_the_limit_is_at_it_whatever_the_sum_gave() {
        // Three cells of 0.7 V are 2.0999999999999996 V in binary; 2.1 typed is at that limit.
        let three = 0.7 * 3.0;
        assert_ne!(three, 2.1);
        assert!(reaches(2.1, three) && within(2.1, three));
        // 0.1 + 0.2 against 0.3: equal on the grid.
        assert!(within(0.1 + 0.2, 0.3) && reaches(0.3, 0.1 + 0.2));
    }

    #[test]
    fn a_millionth_either_side_is_on_its_side() {
        assert!(within(3.649_999, 3.65) && !reaches(3.649_999, 3.65));
        assert!(!within(3.650_001, 3.65) && reaches(3.650_001, 3.65));
        assert!(within(-0.000_001, 0.0) && !within(0.000_001, 0.0));
        // Under half a millionth is rounding, not a difference.
        assert!(within(3.650_000_4, 3.65));
    }

    #[test]
    fn below_is_strict_and_never_true_of_what_is_not_a_number() {
        assert!(below(3.649_999, 3.65) && !below(3.65, 3.65) && !below(3.650_001, 3.65));
        assert!(!below(2.1, 0.7 * 3.0), "equal on the grid is not below");
        for odd in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(!below(odd, 100.0) && !below(1.0, odd), "{odd}");
        }
    }

    #[test]
    fn what_is_not_a_number_is_inside_no_limit() {
        for odd in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 2e12, -2e12] {
            assert!(!within(odd, 100.0), "{odd}");
            assert!(!reaches(odd, 0.0), "{odd}");
            assert!(!within(1.0, odd), "{odd}");
            assert!(!reaches(1.0, odd), "{odd}");
        }
        // From a million million volts on, nothing is a value; just under it, it is.
        assert!(!within(1e12, 1e12) && !reaches(-1e12, -1e12));
        assert!(within(999_999_999_999.0, 999_999_999_999.0));
        // The largest value still on the grid is a value.
        assert!(within(9.99e11, 1e11 * 9.995) && reaches(-9.99e11, -9.995e11));
    }
}
