//! User roles and what each may do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownValue;

/// Role of a user within an organisation. Serialized as `"GESTIONNAIRE"` / `"SUPERVISEUR"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Manager: uploads and launches bulk payments, and sees them.
    Gestionnaire,
    /// Supervisor: sees bulks and reports, creates nothing.
    Superviseur,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 2] = [Role::Gestionnaire, Role::Superviseur];

    /// The wire / database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Gestionnaire => "GESTIONNAIRE",
            Role::Superviseur => "SUPERVISEUR",
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
            Role::Superviseur => false,
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
        assert!(Role::Gestionnaire.can_create_bulk());
        assert!(!Role::Superviseur.can_create_bulk());
    }

    #[test]
    fn spelling() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert_eq!(Role::parse("ADMIN").unwrap_err().code(), "unknown_value");
    }
}
