//! Decimal amount strings as the adapter wants them, from and to integer minor units.
//!
//! The adapter's `Amount` pattern (`^([0]|([1-9][0-9]{0,17}))([.][0-9]{0,3}[1-9])?$`) forbids trailing
//! zeros, so `"10.50"` is refused with a 400: amounts are always formatted from minor units here rather
//! than by `format!("{:.2}")`. The currency exponent is a plain parameter so this crate stays free of the
//! `domain` crate.

/// Formats `minor` units of a currency with `exponent` decimals as the adapter's canonical decimal
/// string: no trailing zeros, no trailing dot.
///
/// `format_amount(1050, 2) == "10.5"`, `format_amount(10000, 0) == "10000"`,
/// `format_amount(100, 2) == "1"`, `format_amount(5, 2) == "0.05"`.
pub fn format_amount(minor: i64, exponent: u32) -> String {
    let digits = minor.unsigned_abs().to_string();
    let sign = if minor < 0 { "-" } else { "" };
    let exp = exponent as usize;
    if exp == 0 {
        return format!("{sign}{digits}");
    }
    // Left-pad so there is at least one integer digit.
    let padded = if digits.len() <= exp {
        format!("{}{digits}", "0".repeat(exp + 1 - digits.len()))
    } else {
        digits
    };
    let (int_part, frac_part) = padded.split_at(padded.len() - exp);
    let frac = frac_part.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac}")
    }
}

/// Parses a non-negative decimal string (`"10"`, `"10.5"`, `"10.50"`, `"0.05"`) into minor units of
/// a currency with `exponent` decimals.
///
/// Returns `None` when the text is not a plain decimal number, when it has more significant decimals
/// than the currency allows (`"10.501"` with exponent 2), or when it overflows `i64`. Lenient about
/// trailing zeros so that it can compare what the adapter echoes with what was sent.
pub fn parse_amount(s: &str, exponent: u32) -> Option<i64> {
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac = match frac_part {
        Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => return None,
        Some(f) => f.trim_end_matches('0'),
        None => "",
    };
    let exp = exponent as usize;
    if frac.len() > exp {
        return None;
    }
    let scale = 10i64.checked_pow(exponent)?;
    let int_value: i64 = int_part.parse().ok()?;
    let frac_value: i64 = if frac.is_empty() {
        0
    } else {
        let f: i64 = frac.parse().ok()?;
        f.checked_mul(10i64.checked_pow((exp - frac.len()) as u32)?)?
    };
    int_value.checked_mul(scale)?.checked_add(frac_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_without_trailing_zeros() {
        assert_eq!(format_amount(1050, 2), "10.5");
        assert_eq!(format_amount(10000, 0), "10000");
        assert_eq!(format_amount(100, 2), "1");
        assert_eq!(format_amount(5, 2), "0.05");
        assert_eq!(format_amount(0, 2), "0");
        assert_eq!(format_amount(0, 0), "0");
        assert_eq!(format_amount(1234, 3), "1.234");
        assert_eq!(format_amount(1230, 3), "1.23");
        assert_eq!(format_amount(1, 4), "0.0001");
        assert_eq!(format_amount(-1050, 2), "-10.5");
        assert_eq!(format_amount(i64::MAX, 2), "92233720368547758.07");
    }

    #[test]
    fn parses_to_minor_units() {
        assert_eq!(parse_amount("10.5", 2), Some(1050));
        assert_eq!(parse_amount("10.50", 2), Some(1050));
        assert_eq!(parse_amount("10", 2), Some(1000));
        assert_eq!(parse_amount("10000", 0), Some(10000));
        assert_eq!(parse_amount("0.05", 2), Some(5));
        assert_eq!(parse_amount("0", 2), Some(0));
        assert_eq!(parse_amount("10.000", 0), Some(10));
    }

    #[test]
    fn refuses_what_is_not_a_plain_amount() {
        for bad in [
            "", ".5", "10.", "-1", "+1", "1e3", "1,5", " 1", "1.2.3", "abc",
        ] {
            assert_eq!(parse_amount(bad, 2), None, "{bad:?}");
        }
        assert_eq!(parse_amount("10.501", 2), None);
        assert_eq!(parse_amount("0.5", 0), None);
        assert_eq!(parse_amount("99999999999999999999", 2), None);
    }

    #[test]
    fn round_trips() {
        for exp in 0..=4 {
            for minor in [
                0,
                1,
                9,
                10,
                99,
                100,
                101,
                1050,
                123_456_789,
                1_000_000_000_000,
            ] {
                let text = format_amount(minor, exp);
                assert_eq!(
                    parse_amount(&text, exp),
                    Some(minor),
                    "{minor} exp {exp} -> {text}"
                );
            }
        }
    }
}
