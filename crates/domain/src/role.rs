//! User roles and what each may do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownValue;

/// Role of a user within an organisation. Serialized as `"GESTIONNAIRE"`, `"SUPERVISEUR"`,
/// `"APPROBATEUR"`.
///
/// Four eyes rest on the split between GESTIONNAIRE (uploads, never approves) and APPROBATEUR
/// (approves, never uploads): a run that needs approval is always signed by a second person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Manager: uploads and launches bulk payments, and sees them.
    Gestionnaire,
    /// Supervisor: sees bulks and reports, creates nothing.
    Superviseur,
    /// Approver: reads everything of its organisation, approves or rejects runs, cancels them, never
    /// uploads.
    Approbateur,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Gestionnaire, Role::Superviseur, Role::Approbateur];

    /// The wire / database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Gestionnaire => "GESTIONNAIRE",
            Role::Superviseur => "SUPERVISEUR",
            Role::Approbateur => "APPROBATEUR",
        }
    }

    /// Parses the wire spelling (exact).
    pub fn parse(s: &str) -> Result<Role, UnknownValue> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownValue::new("role", s))
    }

    /// Only a GESTIONNAIRE creates bulks.
    pub fn can_create_bulk(self) -> bool {
        match self {
            Role::Gestionnaire => true,
            Role::Superviseur | Role::Approbateur => false,
        }
    }

    /// Only an APPROBATEUR approves or rejects a run awaiting approval.
    pub fn can_approve(self) -> bool {
        match self {
            Role::Approbateur => true,
            Role::Gestionnaire | Role::Superviseur => false,
        }
    }

    /// A GESTIONNAIRE or an APPROBATEUR may cancel a run.
    ///
    /// For a GESTIONNAIRE this is necessary, not sufficient: only the one who uploaded the run may
    /// cancel it, and the caller, who knows the uploader, checks that.
    pub fn can_cancel(self) -> bool {
        match self {
            Role::Gestionnaire | Role::Approbateur => true,
            Role::Superviseur => false,
        }
    }

    /// A SUPERVISEUR or an APPROBATEUR reads its organisation's audit log; a GESTIONNAIRE, whose
    /// own actions it records, does not.
    pub fn can_read_audit(self) -> bool {
        match self {
            Role::Superviseur | Role::Approbateur => true,
            Role::Gestionnaire => false,
        }
    }

    /// Only a GESTIONNAIRE retries the failed rows of a run: a retry sends money, like an upload.
    pub fn can_retry(self) -> bool {
        match self {
            Role::Gestionnaire => true,
            Role::Superviseur | Role::Approbateur => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn permissions() {
        use Role::*;
        // (role, create, approve, cancel, retry)
        let table = [
            (Gestionnaire, true, false, true, true),
            (Superviseur, false, false, false, false),
            (Approbateur, false, true, true, false),
        ];
        assert_eq!(table.len(), Role::ALL.len());
        for (role, create, approve, cancel, retry) in table {
            assert_eq!(role.can_create_bulk(), create, "{role} create");
            assert_eq!(role.can_approve(), approve, "{role} approve");
            assert_eq!(role.can_cancel(), cancel, "{role} cancel");
            assert_eq!(role.can_retry(), retry, "{role} retry");
        }
    }

    #[test]
    fn audit_readers() {
        assert!(!Role::Gestionnaire.can_read_audit());
        assert!(Role::Superviseur.can_read_audit());
        assert!(Role::Approbateur.can_read_audit());
    }

    #[test]
    fn four_eyes_no_role_both_uploads_and_approves() {
        for r in Role::ALL {
            assert!(!(r.can_create_bulk() && r.can_approve()), "{r}");
        }
    }

    #[test]
    fn spelling() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert_eq!(Role::parse("APPROBATEUR").unwrap(), Role::Approbateur);
        assert_eq!(
            serde_json::from_str::<Role>("\"APPROBATEUR\"").unwrap(),
            Role::Approbateur
        );
        assert_eq!(Role::parse("ADMIN").unwrap_err().code(), "unknown_value");
    }
}
