//! `/api/auth/*`: login, token refresh (rotation), logout, current user.

pub mod login;
pub mod logout;
pub mod me;
pub mod refresh;

use db::models::{Organisation, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organisation as shown to its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    /// Id.
    #[schema(example = 1)]
    pub id: i64,
    /// Name.
    #[schema(example = "CNSS")]
    pub name: String,
}

/// A user as shown to themself (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    #[schema(example = 1)]
    pub id: i64,
    /// Login name.
    #[schema(example = "gestionnaire")]
    pub username: String,
    /// E-mail, if any.
    #[schema(example = "gestionnaire@cnss.example")]
    pub email: Option<String>,
    /// `GESTIONNAIRE` or `SUPERVISEUR`.
    #[schema(example = "GESTIONNAIRE")]
    pub role: String,
    /// The organisation the user acts for.
    pub organisation: OrganisationView,
}

impl UserView {
    /// From the rows.
    pub fn new(user: &User, org: &Organisation) -> UserView {
        UserView {
            id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            role: user.role.clone(),
            organisation: OrganisationView {
                id: org.id,
                name: org.name.clone(),
            },
        }
    }
}

/// An access + refresh token pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// Access token (`Authorization: Bearer`), short-lived.
    #[schema(example = "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJhY2Nlc3MifQ.sig")]
    pub access: String,
    /// Refresh token, single use.
    #[schema(example = "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJyZWZyZXNoIn0.sig")]
    pub refresh: String,
}

/// Body of refresh and logout.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token.
    #[schema(example = "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJyZWZyZXNoIn0.sig")]
    pub refresh: String,
}
