//! ISO-4217 currencies handled by the gateway, with their minor-unit exponents.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::MoneyError;

/// An ISO-4217 currency the gateway handles.
///
/// Serialized as its three-letter code (`"XOF"`).
#[allow(
    clippy::upper_case_acronyms,
    reason = "the variants are ISO-4217 codes and read best as written"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Currency {
    /// West African CFA franc (0 decimals).
    XOF,
    /// Central African CFA franc (0 decimals).
    XAF,
    /// Guinean franc (0 decimals).
    GNF,
    /// Nigerian naira.
    NGN,
    /// Ghanaian cedi.
    GHS,
    /// Kenyan shilling.
    KES,
    /// Ugandan shilling (0 decimals).
    UGX,
    /// Tanzanian shilling.
    TZS,
    /// Rwandan franc (0 decimals).
    RWF,
    /// South African rand.
    ZAR,
    /// US dollar.
    USD,
    /// Euro.
    EUR,
}

impl Currency {
    /// Every supported currency.
    pub const ALL: [Currency; 12] = [
        Currency::XOF,
        Currency::XAF,
        Currency::GNF,
        Currency::NGN,
        Currency::GHS,
        Currency::KES,
        Currency::UGX,
        Currency::TZS,
        Currency::RWF,
        Currency::ZAR,
        Currency::USD,
        Currency::EUR,
    ];

    /// Parses an ISO-4217 code. Surrounding whitespace is ignored; the code itself must be upper case,
    /// as in the Mojaloop API (`^[A-Z]{3}$`).
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let trimmed = code.trim();
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == trimmed)
            .ok_or_else(|| MoneyError::UnknownCurrency(trimmed.to_owned()))
    }

    /// The three-letter ISO-4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::XOF => "XOF",
            Currency::XAF => "XAF",
            Currency::GNF => "GNF",
            Currency::NGN => "NGN",
            Currency::GHS => "GHS",
            Currency::KES => "KES",
            Currency::UGX => "UGX",
            Currency::TZS => "TZS",
            Currency::RWF => "RWF",
            Currency::ZAR => "ZAR",
            Currency::USD => "USD",
            Currency::EUR => "EUR",
        }
    }

    /// Number of decimals of the minor unit (ISO-4217 exponent): 1 USD = 10^2 minor units.
    pub fn exponent(self) -> u32 {
        match self {
            Currency::XOF | Currency::XAF | Currency::GNF | Currency::UGX | Currency::RWF => 0,
            Currency::NGN
            | Currency::GHS
            | Currency::KES
            | Currency::TZS
            | Currency::ZAR
            | Currency::USD
            | Currency::EUR => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for &'static str {
    fn from(value: Currency) -> Self {
        value.code()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_code_parses_back() {
        for c in Currency::ALL {
            assert_eq!(Currency::parse(c.code()).unwrap(), c);
            assert_eq!(c.code().parse::<Currency>().unwrap(), c);
            assert_eq!(c.to_string(), c.code());
        }
    }

    #[test]
    fn exponents() {
        for c in [
            Currency::XOF,
            Currency::XAF,
            Currency::GNF,
            Currency::UGX,
            Currency::RWF,
        ] {
            assert_eq!(c.exponent(), 0, "{c}");
        }
        assert_eq!(Currency::USD.exponent(), 2);
        assert_eq!(Currency::KES.exponent(), 2);
    }

    #[test]
    fn unknown_or_lowercase_is_refused() {
        for bad in ["", "ABC", "xof", "XO", "XOFX", "€"] {
            let err = Currency::parse(bad).unwrap_err();
            assert_eq!(err.code(), "unknown_currency", "{bad}");
        }
        assert_eq!(Currency::parse(" XOF ").unwrap(), Currency::XOF);
    }

    #[test]
    fn serde_as_code() {
        assert_eq!(serde_json::to_string(&Currency::XOF).unwrap(), "\"XOF\"");
        let c: Currency = serde_json::from_str("\"EUR\"").unwrap();
        assert_eq!(c, Currency::EUR);
        assert!(serde_json::from_str::<Currency>("\"FOO\"").is_err());
    }
}
