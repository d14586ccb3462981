//! Stream tickets: a signed, 60-second, single-use token naming one bulk, for `?ticket=` on the SSE
//! URL so access tokens never travel in URLs. Single use is enforced in the database
//! (`revoked_tokens`), so it holds across API replicas.

use common::env::Secret;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Lifetime of a ticket.
pub const TICKET_TTL_SECS: i64 = 60;
const AUDIENCE: &str = "bulk-stream";

/// What a ticket says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TicketClaims {
    /// User id.
    pub sub: String,
    /// Organisation.
    pub org: i64,
    /// The one bulk it opens.
    pub bulk: String,
    /// Ticket id (single use).
    pub jti: String,
    /// Audience, always `bulk-stream`: an access token is never a ticket and vice versa.
    pub aud: String,
    /// Issuer.
    pub iss: String,
    /// Expiry (unix seconds).
    pub exp: i64,
    /// The login session of the access token it was issued for (its stream ends with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
}

/// Signs and checks tickets.
pub struct TicketKeys {
    enc: EncodingKey,
    dec: DecodingKey,
    validation: Validation,
    issuer: String,
}

impl TicketKeys {
    /// Keys from the JWT secret.
    pub fn new(secret: &Secret, issuer: &str) -> TicketKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 0;
        // Checked in `verify` on the database's clock (see `db::clock`).
        validation.validate_exp = false;
        TicketKeys {
            enc: EncodingKey::from_secret(secret.expose().as_bytes()),
            dec: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            issuer: issuer.to_string(),
        }
    }

    /// A new ticket for `bulk`.
    pub fn issue(
        &self,
        user: i64,
        org: i64,
        bulk: &str,
        fam: Option<&str>,
    ) -> Result<(String, TicketClaims), String> {
        let claims = TicketClaims {
            sub: user.to_string(),
            org,
            bulk: bulk.to_string(),
            jti: uuid::Uuid::new_v4().to_string(),
            aud: AUDIENCE.to_string(),
            iss: self.issuer.clone(),
            exp: db::clock::unix_now() + TICKET_TTL_SECS,
            fam: fam.map(str::to_string),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .map(|t| (t, claims))
            .map_err(|e| e.to_string())
    }

    /// The claims of a valid, unexpired ticket (single use is checked by the caller).
    pub fn verify(&self, token: &str) -> Option<TicketClaims> {
        jsonwebtoken::decode::<TicketClaims>(token, &self.dec, &self.validation)
            .ok()
            .map(|d| d.claims)
            .filter(|c| c.exp >= db::clock::unix_now())
    }
}
