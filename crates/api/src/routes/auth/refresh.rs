//! `POST /api/auth/refresh`.

use actix_web::{HttpResponse, web};
use chrono::DateTime;
use db::queries::{security, users};
use domain::Role;

use super::{RefreshRequest, TokenPair};
use crate::auth::access::family_key;
use crate::auth::jwt::TokenType;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Exchanges a refresh token for a new pair. The presented token is revoked (rotation): using it
/// again, like using an expired, forged or access token, gives 401.
#[utoipa::path(
    post, path = "/api/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, description = "Revoked, expired or invalid refresh token", body = ErrorBody),
    )
)]
pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let claims = state.jwt.verify(&body.refresh, TokenType::Refresh)?;
    let user_id = claims.user_id()?;
    let expires_at = DateTime::from_timestamp(claims.exp, 0)
        .ok_or_else(|| ApiError::invalid_token("malformed expiry"))?
        .naive_utc();
    let jti = claims.jti.clone();
    // A token from before families existed starts one now.
    let family = claims
        .fam
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let fam = family.clone();
    let family_until = db::models::now()
        + chrono::Duration::from_std(state.settings.refresh_token_ttl)
            .unwrap_or(chrono::Duration::days(7));
    let outcome = state
        .db(move |c| {
            let user = match users::get(c, user_id) {
                Ok(u) => u,
                Err(db::DbError::NotFound) => {
                    return Err(ApiError::invalid_token("unknown user"));
                }
                Err(e) => return Err(e.into()),
            };
            if !user.active {
                return Err(ApiError::invalid_token("this account is disabled"));
            }
            if security::is_revoked(c, &family_key(&fam))? {
                return Err(revoked());
            }
            // Revoking is one INSERT on a unique key: of two concurrent uses, exactly one wins.
            // A token already used means two holders: the family ends, for both.
            if !security::revoke_token(c, &jti, expires_at)? {
                security::revoke_token(c, &family_key(&fam), family_until)?;
                tracing::warn!(
                    user_id,
                    family = %fam,
                    "refresh token used twice: the whole login session is revoked"
                );
                return Err(revoked());
            }
            Ok(user)
        })
        .await;
    if matches!(
        &outcome,
        Err(ApiError::Unauthorized {
            code: "token_revoked",
            ..
        })
    ) {
        // The session may just have been revoked: this process sees it at once.
        state.access.forget_all();
    }
    let user = outcome?;
    let role = Role::parse(&user.role).map_err(ApiError::internal)?;
    let pair = state
        .jwt
        .issue_pair(user.id, user.organisation_id, role, &family)?;
    Ok(HttpResponse::Ok().json(TokenPair {
        access: pair.access,
        refresh: pair.refresh,
    }))
}

fn revoked() -> ApiError {
    ApiError::Unauthorized {
        code: "token_revoked",
        message: "this refresh token was already used or revoked".into(),
    }
}
