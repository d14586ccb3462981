//! `POST /api/auth/refresh`.

use actix_web::{HttpResponse, web};
use chrono::DateTime;
use db::queries::{security, users};
use domain::Role;

use super::{RefreshRequest, TokenPair};
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
    let user = state
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
            // Revoking is one INSERT on a unique key: of two concurrent uses, exactly one wins.
            if !security::revoke_token(c, &jti, expires_at)? {
                return Err(ApiError::Unauthorized {
                    code: "token_revoked",
                    message: "this refresh token was already used or revoked".into(),
                });
            }
            Ok(user)
        })
        .await?;
    let role = Role::parse(&user.role).map_err(ApiError::internal)?;
    let pair = state.jwt.issue_pair(user.id, user.organisation_id, role)?;
    Ok(HttpResponse::Ok().json(TokenPair {
        access: pair.access,
        refresh: pair.refresh,
    }))
}
