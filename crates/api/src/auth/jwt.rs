//! Access and refresh tokens: HS256 only, with issuer, expiry and not-before always checked.
//!
//! The algorithm is pinned by the [`Validation`]: a token whose header says `none`, `HS512` or an
//! asymmetric algorithm is refused before its signature is even looked at.

use std::time::Duration;

use common::env::Secret;
use domain::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Leeway, in seconds, for clock differences between replicas when checking `exp` and `nbf`.
const LEEWAY_SECS: u64 = 5;

/// What a token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// Sent as `Authorization: Bearer` on API calls.
    Access,
    /// Only accepted by `/api/auth/refresh` and `/api/auth/logout`.
    Refresh,
}

/// The claims of both token types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id (decimal string, as JWT wants).
    pub sub: String,
    /// Organisation id.
    pub org: i64,
    /// Role at issue time.
    pub role: Role,
    /// Access or refresh.
    pub typ: TokenType,
    /// Unique token id (revocation key of refresh tokens).
    pub jti: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Issuer (`JWT_ISSUER`).
    pub iss: String,
    /// The login session (token family) the token belongs to: every refresh token rotated from
    /// one login, and the access tokens issued with them, share it. A rotated-away refresh token
    /// presented again revokes the whole family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
}

impl Claims {
    /// The user id in `sub`.
    pub fn user_id(&self) -> Result<i64, ApiError> {
        self.sub
            .parse()
            .map_err(|_| ApiError::invalid_token("malformed subject"))
    }
}

/// A freshly issued access + refresh pair.
#[derive(Debug, Clone)]
pub struct IssuedPair {
    /// Access token.
    pub access: String,
    /// Refresh token.
    pub refresh: String,
}

/// Signing and verification keys with the token lifetimes.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("issuer", &self.issuer)
            .field("keys", &"[REDACTED]")
            .finish()
    }
}

impl JwtKeys {
    /// Keys from the shared secret.
    pub fn new(secret: &Secret, issuer: &str, access_ttl: Duration, refresh_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
        // `exp` and `nbf` are checked in `verify` against the database's clock, which every API
        // process shares, rather than this host's (see `db::clock`).
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = LEEWAY_SECS;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            issuer: issuer.to_string(),
            access_ttl,
            refresh_ttl,
        }
    }

    /// The claims of a new token of type `typ` for this user, valid from now.
    pub fn claims(&self, user_id: i64, org: i64, role: Role, typ: TokenType) -> Claims {
        let now = db::clock::unix_now();
        let ttl = match typ {
            TokenType::Access => self.access_ttl,
            TokenType::Refresh => self.refresh_ttl,
        };
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        Claims {
            sub: user_id.to_string(),
            org,
            role,
            typ,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(ttl),
            iss: self.issuer.clone(),
            fam: None,
        }
    }

    /// Signs arbitrary claims with HS256 (tests use it to forge expired or mistyped tokens).
    pub fn encode(&self, claims: &Claims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("token signing failed: {e}")))
    }

    /// A new access + refresh pair.
    pub fn issue_pair(
        &self,
        user_id: i64,
        org: i64,
        role: Role,
        family: &str,
    ) -> Result<IssuedPair, ApiError> {
        let with_family = |typ| Claims {
            fam: Some(family.to_string()),
            ..self.claims(user_id, org, role, typ)
        };
        Ok(IssuedPair {
            access: self.encode(&with_family(TokenType::Access))?,
            refresh: self.encode(&with_family(TokenType::Refresh))?,
        })
    }

    /// Verifies signature, algorithm, issuer, `exp`, `nbf` and the token type.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                tracing::debug!(error = %e, "token refused");
                ApiError::invalid_token("the token is invalid or expired")
            })?;
        let now = db::clock::unix_now();
        let leeway = i64::try_from(LEEWAY_SECS).unwrap_or(0);
        if data.claims.exp.saturating_add(leeway) < now
            || data.claims.nbf.saturating_sub(leeway) > now
        {
            tracing::debug!(
                exp = data.claims.exp,
                nbf = data.claims.nbf,
                now,
                "token refused: outside its validity"
            );
            return Err(ApiError::invalid_token("the token is invalid or expired"));
        }
        if data.claims.typ != expected {
            return Err(ApiError::invalid_token("wrong token type"));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn keys(secret: &str, iss: &str) -> JwtKeys {
        JwtKeys::new(
            &Secret::new(secret),
            iss,
            Duration::from_secs(60),
            Duration::from_secs(3600),
        )
    }

    const S: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip_and_type_check() {
        let k = keys(S, "gw");
        let pair = k.issue_pair(7, 3, Role::Superviseur, "fam-1").unwrap();
        let c = k.verify(&pair.access, TokenType::Access).unwrap();
        assert_eq!(
            (c.user_id().unwrap(), c.org, c.role),
            (7, 3, Role::Superviseur)
        );
        assert!(k.verify(&pair.refresh, TokenType::Access).is_err());
        assert!(k.verify(&pair.access, TokenType::Refresh).is_err());
    }

    #[test]
    fn refuses_foreign_secret_issuer_and_expiry() {
        let k = keys(S, "gw");
        let other = keys("another-secret-another-secret-xx", "gw");
        let t = other.encode(&other.claims(1, 1, Role::Gestionnaire, TokenType::Access));
        assert!(k.verify(&t.unwrap(), TokenType::Access).is_err());
        let wrong_iss = keys(S, "evil");
        let t = wrong_iss.encode(&wrong_iss.claims(1, 1, Role::Gestionnaire, TokenType::Access));
        assert!(k.verify(&t.unwrap(), TokenType::Access).is_err());
        let mut c = k.claims(1, 1, Role::Gestionnaire, TokenType::Access);
        c.exp = chrono::Utc::now().timestamp() - 3600;
        assert!(k.verify(&k.encode(&c).unwrap(), TokenType::Access).is_err());
        let mut c = k.claims(1, 1, Role::Gestionnaire, TokenType::Access);
        c.nbf = chrono::Utc::now().timestamp() + 3600;
        assert!(k.verify(&k.encode(&c).unwrap(), TokenType::Access).is_err());
    }

    #[test]
    fn refuses_other_algorithms() {
        let k = keys(S, "gw");
        let c = k.claims(1, 1, Role::Gestionnaire, TokenType::Access);
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &c,
            &EncodingKey::from_secret(S.as_bytes()),
        )
        .unwrap();
        assert!(k.verify(&hs512, TokenType::Access).is_err());
        let good = k.encode(&c).unwrap();
        let payload = good.split('.').nth(1).unwrap();
        // {"alg":"none","typ":"JWT"}
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(k.verify(&none, TokenType::Access).is_err());
    }
}
