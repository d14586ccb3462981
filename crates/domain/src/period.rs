//! The pension period (month) a payment belongs to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::error::PeriodError;

/// A pension month, `YYYY-MM`: four ASCII digits for a year from 2000 to 2999, `-`, two digits for a
/// month from 01 to 12. Serialized as that string.
///
/// Leading and trailing whitespace is trimmed (spreadsheets and forms add it); whitespace inside, any
/// other separator, a one-digit month or a two-digit year is refused. Being fixed-width, the text
/// orders like the months it names, so the derived `Ord` is chronological.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period(String);

impl Period {
    /// Parses `YYYY-MM` (see the type's documentation).
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let text = s.trim();
        if is_period(text.as_bytes()) {
            Ok(Period(text.to_owned()))
        } else {
            Err(PeriodError {
                value: s.to_owned(),
            })
        }
    }

    /// The canonical `YYYY-MM` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `b` is exactly `2YYY-MM` with a month from 01 to 12.
fn is_period(b: &[u8]) -> bool {
    match b {
        [y0, y1, y2, y3, b'-', m0, m1] => {
            let digits = [y0, y1, y2, y3, m0, m1].iter().all(|d| d.is_ascii_digit());
            // Byte order: only months 01-09 and 10-12 pass.
            let month = matches!((m0, m1), (b'0', b'1'..=b'9') | (b'1', b'0'..=b'2'));
            digits && *y0 == b'2' && month
        }
        _ => false,
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Period::parse(&s)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_malformed_periods() {
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-01",
            "2026/01",
            "",
            "   ",
            "2026-01-01",
            "202601",
            "1999-12",
            "3000-01",
            "2026 -01",
            "2026- 01",
            "２０２６-01",
            "+026-01",
            "2026-1a",
        ] {
            let err = Period::parse(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_period", "{bad:?}");
            assert_eq!(err.value, bad);
            assert!(err.to_string().contains("YYYY-MM"), "{err}");
        }
    }

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(Period::parse(" 2026-01").unwrap().as_str(), "2026-01");
        assert_eq!(Period::parse("2026-01\t\r\n").unwrap().as_str(), "2026-01");
    }

    #[test]
    fn bounds() {
        assert!(Period::parse("2000-01").is_ok());
        assert!(Period::parse("2999-12").is_ok());
        assert!(Period::parse("2026-10").is_ok());
    }

    #[test]
    fn serde_is_the_string_and_validates() {
        let p = Period::parse("2026-07").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"2026-07\"");
        assert_eq!(serde_json::from_str::<Period>("\"2026-07\"").unwrap(), p);
        assert!(serde_json::from_str::<Period>("\"2026-7\"").is_err());
    }

    #[test]
    fn orders_chronologically() {
        let a = Period::parse("2025-12").unwrap();
        let b = Period::parse("2026-01").unwrap();
        assert!(a < b);
    }

    proptest! {
        #[test]
        fn every_valid_period_round_trips(year in 2000u32..=2999, month in 1u32..=12) {
            let text = format!("{year:04}-{month:02}");
            let p = Period::parse(&text).unwrap();
            prop_assert_eq!(p.as_str(), text.as_str());
            prop_assert_eq!(p.to_string(), text.clone());
            prop_assert_eq!(text.parse::<Period>().unwrap(), p.clone());
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), p);
        }

        #[test]
        fn accepted_exactly_when_in_range(year in 0u32..=9999, month in 0u32..=99) {
            let text = format!("{year:04}-{month:02}");
            let valid = (2000..=2999).contains(&year) && (1..=12).contains(&month);
            prop_assert_eq!(Period::parse(&text).is_ok(), valid);
        }

        #[test]
        fn anything_accepted_is_canonical(s in "\\PC{0,10}") {
            if let Ok(p) = Period::parse(&s) {
                prop_assert_eq!(p.as_str(), s.trim());
                prop_assert_eq!(p.as_str().len(), 7);
            }
        }
    }
}
