//! Verification before paying: what a party lookup found, how well the registered name matches the
//! file's, and which rows an organisation's policy keeps out of the run.

mod name;
mod reading;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownValue;

pub use name::{NameMatch, RegisteredName, grade_name};

/// Whether and how an organisation's runs are verified before any money moves. Spelled `"off"`,
/// `"report"`, `"exclude"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationMode {
    /// No lookup: runs go straight to approval or sending.
    #[default]
    Off,
    /// Every payee is looked up and graded; the report is shown, nothing is excluded.
    Report,
    /// As `Report`, and rows whose payee was not found or whose name is a mismatch are excluded
    /// (never sent, their money released) before approval or sending.
    Exclude,
}

impl VerificationMode {
    /// Every mode.
    pub const ALL: [VerificationMode; 3] = [
        VerificationMode::Off,
        VerificationMode::Report,
        VerificationMode::Exclude,
    ];

    /// The wire / database spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            VerificationMode::Off => "off",
            VerificationMode::Report => "report",
            VerificationMode::Exclude => "exclude",
        }
    }

    /// Parses the wire spelling (exact).
    pub fn parse(s: &str) -> Result<VerificationMode, UnknownValue> {
        VerificationMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownValue::new("verification mode", s))
    }

    /// Whether runs are looked up at all.
    pub fn is_on(self) -> bool {
        self != VerificationMode::Off
    }

    /// Why a row with this lookup result and name grade is kept out of the run, as the row's error
    /// code, or `None` to keep it. Only `Exclude` excludes; an `Error` result is never final (it is
    /// looked up again, then counts as `NotFound`).
    pub fn exclusion(self, result: LookupResult, grade: Option<NameMatch>) -> Option<&'static str> {
        if self != VerificationMode::Exclude {
            return None;
        }
        match (result, grade) {
            (LookupResult::NotFound, _) => Some(EXCLUDED_NOT_FOUND),
            (LookupResult::Found, Some(NameMatch::Mismatch)) => Some(EXCLUDED_NAME_MISMATCH),
            _ => None,
        }
    }
}

impl fmt::Display for VerificationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VerificationMode {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VerificationMode::parse(s)
    }
}

/// Error code of a row excluded because its payee is not known at the switch.
pub const EXCLUDED_NOT_FOUND: &str = "PARTY_NOT_FOUND";
/// Error code of a row excluded because the registered name is another person's.
pub const EXCLUDED_NAME_MISMATCH: &str = "NAME_MISMATCH";
/// Error code of a row stopped at payment time because the party the adapter resolved is no longer
/// the verified one (another provider, or a name that no longer matches).
pub const NAME_CHANGED_SINCE_VERIFICATION: &str = "NAME_CHANGED_SINCE_VERIFICATION";

/// What a party lookup said. Spelled `"FOUND"`, `"NOT_FOUND"`, `"ERROR"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LookupResult {
    /// The switch knows the identifier: provider and registered name.
    Found,
    /// The switch answered that nobody holds the identifier.
    NotFound,
    /// No usable answer (timeout, adapter error): looked up again later.
    Error,
}

impl LookupResult {
    /// Every result.
    pub const ALL: [LookupResult; 3] = [
        LookupResult::Found,
        LookupResult::NotFound,
        LookupResult::Error,
    ];

    /// The wire / database spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            LookupResult::Found => "FOUND",
            LookupResult::NotFound => "NOT_FOUND",
            LookupResult::Error => "ERROR",
        }
    }

    /// Parses the wire spelling (exact).
    pub fn parse(s: &str) -> Result<LookupResult, UnknownValue> {
        LookupResult::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownValue::new("lookup result", s))
    }
}

impl fmt::Display for LookupResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn spellings() {
        for m in VerificationMode::ALL {
            assert_eq!(m.as_str().parse::<VerificationMode>().unwrap(), m);
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{m}\""));
        }
        for r in LookupResult::ALL {
            assert_eq!(LookupResult::parse(r.as_str()).unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert!(VerificationMode::parse("EXCLUDE").is_err());
    }

    #[test]
    fn only_exclude_excludes_and_only_not_found_or_mismatch() {
        use LookupResult::*;
        use NameMatch::*;
        let grades = [
            None,
            Some(Match),
            Some(Partial),
            Some(Mismatch),
            Some(NoNameInFile),
            Some(NoNameAtSwitch),
        ];
        for mode in VerificationMode::ALL {
            for result in LookupResult::ALL {
                for grade in grades {
                    let got = mode.exclusion(result, grade);
                    let want = match (mode, result, grade) {
                        (VerificationMode::Exclude, NotFound, _) => Some(EXCLUDED_NOT_FOUND),
                        (VerificationMode::Exclude, Found, Some(Mismatch)) => {
                            Some(EXCLUDED_NAME_MISMATCH)
                        }
                        _ => None,
                    };
                    assert_eq!(got, want, "{mode} {result} {grade:?}");
                }
            }
        }
    }
}
