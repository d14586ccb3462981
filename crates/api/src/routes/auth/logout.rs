//! `POST /api/auth/logout`.

use actix_web::{HttpResponse, web};
use chrono::DateTime;
use db::queries::audit::{self, Actor, NewAuditEvent};
use db::queries::{security, users};
use domain::AuditAction;

use super::RefreshRequest;
use crate::auth::AuthUser;
use crate::auth::access::family_key;
use crate::auth::jwt::TokenType;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Revokes the caller's refresh token, so it can no longer be exchanged. Idempotent.
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Refresh token, this access token and their login session revoked"),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 403, description = "The refresh token belongs to someone else", body = ErrorBody),
        (status = 422, description = "Not a valid refresh token", body = ErrorBody),
    )
)]
pub async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let claims = state
        .jwt
        .verify(&body.refresh, TokenType::Refresh)
        .map_err(|_| {
            ApiError::unprocessable("invalid_refresh_token", "not a valid refresh token")
        })?;
    if claims.user_id()? != user.user_id {
        return Err(ApiError::Forbidden {
            code: "forbidden",
            message: "you can only revoke your own refresh token".into(),
        });
    }
    let expires_at = DateTime::from_timestamp(claims.exp, 0)
        .ok_or_else(|| ApiError::invalid_token("malformed expiry"))?
        .naive_utc();
    // The refresh token, the access token of this request and the whole login session.
    let access_until = DateTime::from_timestamp(user.exp, 0)
        .map(|d| d.naive_utc())
        .unwrap_or(expires_at);
    let (access_jti, families) = (user.jti.clone(), [claims.fam.clone(), user.family.clone()]);
    let (uid, org) = (user.user_id, user.org_id);
    let family_until = db::models::now()
        + chrono::Duration::from_std(state.settings.refresh_token_ttl)
            .unwrap_or(chrono::Duration::days(7));
    state
        .db(move |c| {
            security::revoke_token(c, &claims.jti, expires_at)?;
            security::revoke_token(c, &access_jti, access_until)?;
            // Newer refresh tokens of the family may outlive the one presented: the family's
            // revocation lasts a whole refresh lifetime from now.
            for family in families.iter().flatten() {
                security::revoke_token(c, &family_key(family), family_until)?;
            }
            let name = users::get(c, uid)?.username;
            let actor = Actor::Named {
                user_pk: Some(uid),
                name: name.clone(),
            };
            let event = NewAuditEvent::new(AuditAction::Logout, actor, name).in_org(org);
            audit::append(c, &event)?;
            Ok(())
        })
        .await?;
    state.access.forget_all();
    tracing::info!(user_id = user.user_id, "logout: session revoked");
    Ok(HttpResponse::NoContent().finish())
}
