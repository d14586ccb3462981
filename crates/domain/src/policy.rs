//! An organisation's rules for signing its payment runs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownValue;
use crate::verify::VerificationMode;

/// Whether an organisation's runs need an APPROBATEUR's approval. Spelled `"off"` / `"required"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalMode {
    /// Runs start without a second person (unless a period repeat forces one).
    #[default]
    Off,
    /// Runs need an APPROBATEUR (above the threshold, if one is set).
    Required,
}

impl ApprovalMode {
    /// Every mode.
    pub const ALL: [ApprovalMode; 2] = [ApprovalMode::Off, ApprovalMode::Required];

    /// The wire / database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalMode::Off => "off",
            ApprovalMode::Required => "required",
        }
    }

    /// Parses the wire spelling (exact).
    pub fn parse(s: &str) -> Result<ApprovalMode, UnknownValue> {
        ApprovalMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownValue::new("approval mode", s))
    }
}

impl fmt::Display for ApprovalMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApprovalMode {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApprovalMode::parse(s)
    }
}

/// An organisation's signing rules. `Default` is everything off. Serialized in camelCase
/// (`approval`, `approvalThreshold`, `periodGuard`, `verification`).
///
/// A missing field takes its default so older stored policies still read; an unknown field is
/// refused, because a misspelt `"aproval": "required"` silently read as "off" would drop the four eyes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct OrgPolicy {
    /// Whether runs need an APPROBATEUR.
    pub approval: ApprovalMode,
    /// With approval required, only runs totalling at least this much (minor units) need it; `None`:
    /// every run.
    pub approval_threshold: Option<i64>,
    /// Whether uploads are checked for beneficiaries already paid in the same pension period (the
    /// check needs the database and is the caller's).
    pub period_guard: bool,
    /// Whether payees are looked up at the switch before approval or sending, and whether rows
    /// found unknown or under another name are excluded.
    pub verification: VerificationMode,
}

impl OrgPolicy {
    /// Whether a run totalling `total_minor` needs an APPROBATEUR.
    ///
    /// `repeat_in_period` — the file was accepted although some beneficiaries were already paid in
    /// its period — always requires one, whatever the policy: a possible double payment is never
    /// released by the person who uploaded it alone.
    pub fn requires_approval(&self, total_minor: i64, repeat_in_period: bool) -> bool {
        let by_policy = match self.approval {
            ApprovalMode::Off => false,
            ApprovalMode::Required => self
                .approval_threshold
                .is_none_or(|threshold| total_minor >= threshold),
        };
        by_policy || repeat_in_period
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn required(threshold: Option<i64>) -> OrgPolicy {
        OrgPolicy {
            approval: ApprovalMode::Required,
            approval_threshold: threshold,
            ..OrgPolicy::default()
        }
    }

    #[test]
    fn default_is_everything_off() {
        let p = OrgPolicy::default();
        assert_eq!(p.approval, ApprovalMode::Off);
        assert_eq!(p.approval_threshold, None);
        assert!(!p.period_guard);
        assert!(!p.requires_approval(i64::MAX, false));
    }

    #[test]
    fn required_without_threshold_covers_every_run() {
        assert!(required(None).requires_approval(1, false));
        assert!(required(None).requires_approval(0, false));
    }

    #[test]
    fn threshold_is_inclusive() {
        let p = required(Some(10_000));
        assert!(!p.requires_approval(9_999, false));
        assert!(p.requires_approval(10_000, false));
        assert!(p.requires_approval(10_001, false));
    }

    #[test]
    fn off_ignores_the_threshold() {
        let p = OrgPolicy {
            approval_threshold: Some(1),
            ..OrgPolicy::default()
        };
        assert!(!p.requires_approval(1_000_000, false));
    }

    #[test]
    fn a_period_repeat_always_needs_approval() {
        for p in [
            OrgPolicy::default(),
            required(None),
            required(Some(i64::MAX)),
        ] {
            assert!(p.requires_approval(1, true), "{p:?}");
        }
    }

    #[test]
    fn mode_spelling() {
        for m in ApprovalMode::ALL {
            assert_eq!(m.as_str().parse::<ApprovalMode>().unwrap(), m);
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{m}\""));
        }
        assert_eq!(ApprovalMode::Required.to_string(), "required");
        assert_eq!(
            ApprovalMode::parse("REQUIRED").unwrap_err().code(),
            "unknown_value"
        );
    }

    #[test]
    fn policy_wire_shape() {
        let p = OrgPolicy {
            approval: ApprovalMode::Required,
            approval_threshold: Some(500_000),
            period_guard: true,
            verification: VerificationMode::Exclude,
        };
        let v = serde_json::to_value(p).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"approval": "required", "approvalThreshold": 500_000,
                               "periodGuard": true, "verification": "exclude"})
        );
        assert_eq!(serde_json::from_value::<OrgPolicy>(v).unwrap(), p);
        assert_eq!(
            serde_json::from_str::<OrgPolicy>("{}").unwrap(),
            OrgPolicy::default()
        );
        assert!(serde_json::from_str::<OrgPolicy>(r#"{"aproval":"required"}"#).is_err());
    }
}
