//! The ISO 20022 simple values the parser reads: decimal amounts in major units, counts, dates.
//! Exact arithmetic on decimal strings only — never floats.

use crate::error::MoneyError;

/// Minor units of a decimal amount in major units with `exponent` decimals (`"1500.5"` with 2 →
/// `150050`). Zero is accepted (a caller that needs a positive amount wraps the result in
/// [`Amount`](crate::Amount)).
///
/// Accepts `digits` or `digits.digits`. Decimals past the currency's are accepted only when they
/// are zeros (`"1000.00"` XOF is 1000; `"1000.5"` XOF is [`MoneyError::HasDecimals`]). Refuses a
/// sign ([`MoneyError::Negative`] for `-…`), spaces inside, exponents, a bare `.` at either end
/// ([`MoneyError::NotANumber`]) and values past `i64` ([`MoneyError::TooLarge`]).
pub(crate) fn parse_minor(text: &str, exponent: u32) -> Result<i64, MoneyError> {
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    if let Some(rest) = int.strip_prefix('-')
        && digits(rest)
        && frac.is_none_or(digits)
    {
        return Err(MoneyError::Negative);
    }
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(MoneyError::NotANumber);
    }
    let frac = frac.unwrap_or("");
    let exp = exponent as usize;
    if frac.len() > exp && frac.bytes().skip(exp).any(|b| b != b'0') {
        return Err(MoneyError::HasDecimals);
    }
    let mut minor: i64 = 0;
    let scaled = int
        .bytes()
        .chain((0..exp).map(|i| frac.as_bytes().get(i).copied().unwrap_or(b'0')));
    for b in scaled {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or(MoneyError::TooLarge)?;
    }
    Ok(minor)
}

/// A count of minor units as a decimal in major units, without trailing zeros (`150050` with 2 →
/// `"1500.5"`), for messages. Negative values are written with a `-`.
pub(crate) fn format_minor(minor: i64, exponent: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let value = minor.unsigned_abs();
    let div = 10_u64.pow(exponent);
    let (int, frac) = (value / div, value % div);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let width = exponent as usize;
    let text = format!("{sign}{int}.{frac:0width$}");
    text.trim_end_matches('0').to_owned()
}

/// A `Max15NumericText` count (`[0-9]{1,15}`).
pub(crate) fn parse_count(text: &str) -> Option<u64> {
    let ok = (1..=15).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.parse().ok()).flatten()
}

/// The `YYYY-MM-DD` of an ISO date or of the date part of an ISO date-time
/// (`2026-05-01T08:00:00+00:00`), when it is a real calendar date.
pub(crate) fn parse_date(text: &str) -> Option<String> {
    let date = text.get(..10)?;
    let rest = &text[10..];
    if !(rest.is_empty()
        || rest.starts_with('T')
        || rest.starts_with('Z')
        || rest.starts_with(['+', '-']))
    {
        return None;
    }
    let b = date.as_bytes();
    let shape = b.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        _ => c.is_ascii_digit(),
    });
    if !shape {
        return None;
    }
    let num = |s: &str| s.parse::<u32>().ok();
    let (year, month, day) = (num(&date[..4])?, num(&date[5..7])?, num(&date[8..])?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then(|| date.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_minor("1500", 0), Ok(1500));
        assert_eq!(parse_minor("1500.00", 0), Ok(1500));
        assert_eq!(parse_minor("1500.5", 2), Ok(150_050));
        assert_eq!(parse_minor("0.01", 2), Ok(1));
        assert_eq!(parse_minor("0", 2), Ok(0));
        assert_eq!(parse_minor("1000.5", 0), Err(MoneyError::HasDecimals));
        assert_eq!(parse_minor("1.001", 2), Err(MoneyError::HasDecimals));
        assert_eq!(parse_minor("-5", 0), Err(MoneyError::Negative));
        for bad in ["1e3", "+5", ".5", "5.", "1 000", "1,5", "abc", "1.2.3"] {
            assert_eq!(parse_minor(bad, 2), Err(MoneyError::NotANumber), "{bad}");
        }
        assert_eq!(parse_minor("", 2), Err(MoneyError::Empty));
        assert_eq!(
            parse_minor("92233720368547758.08", 2),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(parse_minor("92233720368547758.07", 2), Ok(i64::MAX));
    }

    #[test]
    fn formats_major_units() {
        assert_eq!(format_minor(150_050, 2), "1500.5");
        assert_eq!(format_minor(1500, 0), "1500");
        assert_eq!(format_minor(100, 2), "1");
        assert_eq!(format_minor(1, 2), "0.01");
        assert_eq!(format_minor(-1, 2), "-0.01");
    }

    #[test]
    fn counts_and_dates() {
        assert_eq!(parse_count("12"), Some(12));
        assert_eq!(parse_count("1234567890123456"), None);
        assert_eq!(parse_count("-1"), None);
        assert_eq!(parse_count(""), None);
        assert_eq!(parse_date("2026-02-28").as_deref(), Some("2026-02-28"));
        assert_eq!(
            parse_date("2028-02-29T10:00:00Z").as_deref(),
            Some("2028-02-29")
        );
        assert_eq!(
            parse_date("2026-05-01+01:00").as_deref(),
            Some("2026-05-01")
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-01",
            "20260501",
            "2026-05-01x",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
