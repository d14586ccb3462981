//! Mojaloop party id types and validated party identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::error::PartyError;

/// Longest identifier accepted for the non-MSISDN types (the Mojaloop `PartyIdentifier` limit).
pub const MAX_IDENTIFIER_CHARS: usize = 128;

/// The Mojaloop party id types. Serialized as the Mojaloop spelling (`"MSISDN"`, `"PERSONAL_ID"`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum PartyIdType {
    /// Mobile number (E.164 digits without `+`).
    Msisdn,
    /// E-mail address.
    Email,
    /// National identity document number.
    PersonalId,
    /// Business (merchant) identifier.
    Business,
    /// Device identifier.
    Device,
    /// Bank or wallet account identifier.
    AccountId,
    /// International bank account number.
    Iban,
    /// Alias registered with a directory.
    Alias,
}

impl PartyIdType {
    /// Every party id type.
    pub const ALL: [PartyIdType; 8] = [
        PartyIdType::Msisdn,
        PartyIdType::Email,
        PartyIdType::PersonalId,
        PartyIdType::Business,
        PartyIdType::Device,
        PartyIdType::AccountId,
        PartyIdType::Iban,
        PartyIdType::Alias,
    ];

    /// The Mojaloop spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PartyIdType::Msisdn => "MSISDN",
            PartyIdType::Email => "EMAIL",
            PartyIdType::PersonalId => "PERSONAL_ID",
            PartyIdType::Business => "BUSINESS",
            PartyIdType::Device => "DEVICE",
            PartyIdType::AccountId => "ACCOUNT_ID",
            PartyIdType::Iban => "IBAN",
            PartyIdType::Alias => "ALIAS",
        }
    }

    /// Parses the Mojaloop spelling: surrounding whitespace ignored, otherwise exact (upper case).
    pub fn parse(s: &str) -> Result<PartyIdType, PartyError> {
        let trimmed = s.trim();
        PartyIdType::ALL
            .into_iter()
            .find(|t| t.as_str() == trimmed)
            .ok_or_else(|| PartyError::UnknownType(trimmed.to_owned()))
    }
}

impl fmt::Display for PartyIdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PartyIdType {
    type Err = PartyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PartyIdType::parse(s)
    }
}

impl TryFrom<String> for PartyIdType {
    type Error = PartyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        PartyIdType::parse(&value)
    }
}

impl From<PartyIdType> for &'static str {
    fn from(value: PartyIdType) -> Self {
        value.as_str()
    }
}

/// A party identifier valid for the type it was parsed with.
///
/// - MSISDN: 5 to 15 ASCII digits, the first not `0` (Mojaloop `^[1-9]\d{4,14}$`); no `+`, spaces or
///   letters.
/// - Other types: 1 to 128 characters without whitespace or control characters; kept as given, so a
///   PERSONAL_ID such as `0231397586` keeps its leading zero.
///
/// Surrounding whitespace is trimmed in both cases. Serialized as the bare string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PartyIdentifier(String);

impl PartyIdentifier {
    /// Validates `raw` as an identifier of type `kind`.
    pub fn parse(kind: PartyIdType, raw: &str) -> Result<PartyIdentifier, PartyError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(PartyError::Empty);
        }
        match kind {
            PartyIdType::Msisdn => {
                let bytes = s.as_bytes();
                let ok = (5..=15).contains(&bytes.len())
                    && bytes.iter().all(u8::is_ascii_digit)
                    && bytes.first() != Some(&b'0');
                if !ok {
                    return Err(PartyError::InvalidMsisdn(s.to_owned()));
                }
            }
            PartyIdType::Email
            | PartyIdType::PersonalId
            | PartyIdType::Business
            | PartyIdType::Device
            | PartyIdType::AccountId
            | PartyIdType::Iban
            | PartyIdType::Alias => {
                if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(PartyError::InvalidChars);
                }
                if s.chars().count() > MAX_IDENTIFIER_CHARS {
                    return Err(PartyError::TooLong);
                }
            }
        }
        Ok(PartyIdentifier(s.to_owned()))
    }

    /// The identifier text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartyIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PartyIdentifier {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use proptest::prelude::*;

    use super::*;

    fn msisdn(s: &str) -> Result<PartyIdentifier, PartyError> {
        PartyIdentifier::parse(PartyIdType::Msisdn, s)
    }

    #[test]
    fn types_round_trip() {
        for t in PartyIdType::ALL {
            assert_eq!(PartyIdType::parse(t.as_str()).unwrap(), t);
            assert_eq!(t.to_string().parse::<PartyIdType>().unwrap(), t);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<PartyIdType>(&json).unwrap(), t);
        }
        assert_eq!(
            PartyIdType::parse(" PERSONAL_ID ").unwrap(),
            PartyIdType::PersonalId
        );
    }

    #[test]
    fn unknown_types() {
        for bad in ["FAX", "msisdn", "", "PERSONAL ID"] {
            assert_eq!(
                PartyIdType::parse(bad).unwrap_err().code(),
                "unknown_party_id_type"
            );
        }
    }

    #[test]
    fn valid_msisdns() {
        assert_eq!(msisdn("22890123456").unwrap().as_str(), "22890123456");
        assert_eq!(msisdn(" 22890123456 ").unwrap().as_str(), "22890123456");
        assert!(msisdn("12345").is_ok());
        assert!(msisdn("123456789012345").is_ok());
    }

    #[test]
    fn invalid_msisdns() {
        for bad in [
            "+22890123456",
            "1234567890123456",
            "022890123456",
            "2289O123456",
            "228 90123456",
            "1234",
            "٢٢٨٩٠١٢٣٤٥٦",
        ] {
            assert_eq!(
                msisdn(bad).unwrap_err().code(),
                "identifier_invalid_msisdn",
                "{bad}"
            );
        }
        assert_eq!(msisdn("").unwrap_err().code(), "identifier_empty");
        assert_eq!(msisdn("   ").unwrap_err().code(), "identifier_empty");
    }

    #[test]
    fn other_types() {
        let id = PartyIdentifier::parse(PartyIdType::PersonalId, "0231397586").unwrap();
        assert_eq!(id.as_str(), "0231397586");
        assert!(PartyIdentifier::parse(PartyIdType::Email, "ama@example.org").is_ok());
        let long = "a".repeat(129);
        let err = PartyIdentifier::parse(PartyIdType::Alias, &long).unwrap_err();
        assert_eq!(err.code(), "identifier_too_long");
        assert!(PartyIdentifier::parse(PartyIdType::Alias, &"é".repeat(128)).is_ok());
        for bad in ["a b", "a\tb", "a\u{0}b", "a\u{a0}b"] {
            let err = PartyIdentifier::parse(PartyIdType::AccountId, bad).unwrap_err();
            assert_eq!(err.code(), "identifier_invalid_chars", "{bad:?}");
        }
    }

    #[test]
    fn serializes_as_string() {
        let id = PartyIdentifier::parse(PartyIdType::Msisdn, "22890123456").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"22890123456\"");
    }

    proptest! {
        #[test]
        fn msisdn_pattern(s in "[1-9][0-9]{4,14}") {
            let id = msisdn(&s).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
        }

        #[test]
        fn never_panics(s in "\\PC*", idx in 0usize..8) {
            let _ = PartyIdentifier::parse(PartyIdType::ALL[idx], &s);
        }
    }
}
