//! `POST /api/auth/login`.

use actix_web::{HttpResponse, web};
use db::models::now;
use db::queries::{orgs, users};
use domain::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::UserView;
use crate::auth::rate_limit;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Credentials: `username` or `email`, and `password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "gestionnaire", "password": "gestionnaire123"}))]
pub struct LoginRequest {
    /// Login name (or use `email`).
    pub username: Option<String>,
    /// E-mail (instead of `username`).
    pub email: Option<String>,
    /// Password.
    pub password: String,
}

/// Tokens and the user they belong to.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Access token.
    pub access: String,
    /// Refresh token.
    pub refresh: String,
    /// The logged-in user.
    pub user: UserView,
}

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized {
        code: "invalid_credentials",
        message: "invalid username or password".into(),
    }
}

/// Logs in. A wrong password and an unknown user give the same 401 in about the same time.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong credentials", body = ErrorBody),
        (status = 403, description = "Inactive user", body = ErrorBody),
        (status = 422, description = "Malformed body", body = ErrorBody),
        (status = 429, description = "Too many failed logins; see Retry-After", body = ErrorBody),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let login = body
        .username
        .or(body.email)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            ApiError::unprocessable("invalid_body", "`username` or `email` is required")
        })?;
    // No login name has control characters, and PostgreSQL refuses a NUL in a text parameter
    // with an error: refuse such names like an unknown user, before any query.
    if login.chars().any(char::is_control) {
        tracing::info!("login refused: control character in the login name");
        return Err(invalid_credentials());
    }
    let key = rate_limit::rate_key(&login);

    let (k, l) = (key.clone(), login.clone());
    let found = state
        .db(move |c| {
            rate_limit::check(c, &k, now())?;
            match users::find_by_login(c, &l)? {
                Some(u) => {
                    let org = orgs::get(c, u.organisation_id)?;
                    Ok(Some((u, org)))
                }
                None => Ok(None),
            }
        })
        .await?;

    let passwords = state.passwords.clone();
    let password = body.password;
    let hash = found.as_ref().map(|(u, _)| u.password_hash.clone());
    let ok = web::block(move || passwords.verify(&password, hash.as_deref())).await?;

    let (user, org) = match found {
        Some(pair) if ok => pair,
        _ => {
            tracing::info!("login refused");
            state
                .db(move |c| rate_limit::record_failure(c, &key, now()))
                .await?;
            return Err(invalid_credentials());
        }
    };
    if !user.active {
        return Err(ApiError::Forbidden {
            code: "account_disabled",
            message: "this account is disabled".into(),
        });
    }
    let role = Role::parse(&user.role).map_err(ApiError::internal)?;
    state.db(move |c| rate_limit::clear(c, &key, now())).await?;
    // A new login session: its refresh tokens and access tokens share this family.
    let family = uuid::Uuid::new_v4().to_string();
    let pair = state.jwt.issue_pair(user.id, org.id, role, &family)?;
    tracing::info!(user_id = user.id, "login");
    Ok(HttpResponse::Ok().json(LoginResponse {
        access: pair.access,
        refresh: pair.refresh,
        user: UserView::new(&user, &org),
    }))
}
