//! `POST /api/auth/login`.

use actix_web::{HttpRequest, HttpResponse, web};
use db::models::{User, now};
use db::queries::audit::{self, Actor, NewAuditEvent};
use db::queries::{orgs, users};
use domain::{AuditAction, Role};
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

/// Longest login name written to the audit log (the name of a failed login is whatever was typed).
const MAX_RECORDED_NAME: usize = 200;

/// The audit event of a login that reached the password check: the name typed as subject, the
/// user it names (if any) as actor, the client address, and why it was refused.
fn login_event(
    action: AuditAction,
    login: &str,
    user: Option<&User>,
    client: &str,
    reason: Option<&str>,
) -> NewAuditEvent {
    let typed: String = login.chars().take(MAX_RECORDED_NAME).collect();
    let mut details = serde_json::json!({ "address": client });
    if let Some(r) = reason {
        details["reason"] = r.into();
    }
    let actor = Actor::Named {
        user_pk: user.map(|u| u.id),
        name: user.map_or_else(|| typed.clone(), |u| u.username.clone()),
    };
    NewAuditEvent::new(action, actor, typed)
        .in_org(user.map(|u| u.organisation_id))
        .details(details)
}

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized {
        code: "invalid_credentials",
        message: "invalid username or password".into(),
    }
}

/// Logs in. A wrong password and an unknown user give the same 401 in about the same time;
/// attempts are throttled per name and per address ([`rate_limit`]).
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong credentials", body = ErrorBody),
        (status = 403, description = "Inactive user", body = ErrorBody),
        (status = 422, description = "Malformed body", body = ErrorBody),
        (status = 429, description = "Too many attempts for this name or from this address; see Retry-After", body = ErrorBody),
    )
)]
pub async fn login(
    req: HttpRequest,
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
    let client = req
        .peer_addr()
        .map_or_else(|| "unknown".to_string(), |a| a.ip().to_string());
    let address = rate_limit::address_key(&client);

    // The attempt is counted under both keys before anything else: parallel guesses see each
    // other. A 429 comes before the user is even looked up.
    let (k, l) = (key.clone(), login.clone());
    let (address_attempt, found) = state
        .db(move |c| {
            let at = now();
            let name_attempt = rate_limit::admit(c, &k, rate_limit::PER_NAME, at)?;
            let address_attempt = match rate_limit::admit(c, &address, rate_limit::PER_ADDRESS, at)
            {
                Ok(id) => id,
                Err(refused) => {
                    rate_limit::forget(c, name_attempt)?;
                    return Err(refused);
                }
            };
            let found = match users::find_by_login(c, &l)? {
                Some(u) => {
                    let org = orgs::get(c, u.organisation_id)?;
                    Some((u, org))
                }
                None => None,
            };
            Ok((address_attempt, found))
        })
        .await?;

    let passwords = state.passwords.clone();
    let password = body.password;
    let hash = found.as_ref().map(|(u, _)| u.password_hash.clone());
    // At most one bcrypt run per core at once: a flood of logins queues here, not in the CPU.
    let _slot = state
        .password_checks
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    let ok = web::block(move || passwords.verify(&password, hash.as_deref())).await?;

    let (user, org) = match found {
        Some(pair) if ok => pair,
        other => {
            // The attempt stays recorded under both keys: it was a failure. (Throttled attempts,
            // refused above before any check, are not audited: nothing bounds how many there are.)
            tracing::info!("login refused");
            let event = login_event(
                AuditAction::LoginFailed,
                &login,
                other.as_ref().map(|(u, _)| u),
                &client,
                Some("invalid_credentials"),
            );
            state.db(move |c| Ok(audit::append(c, &event)?)).await?;
            return Err(invalid_credentials());
        }
    };
    let (action, reason) = if user.active {
        (AuditAction::LoginSucceeded, None)
    } else {
        (AuditAction::LoginFailed, Some("account_disabled"))
    };
    let event = login_event(action, &login, Some(&user), &client, reason);
    state
        .db(move |c| {
            rate_limit::clear(c, &key, now())?;
            rate_limit::forget(c, address_attempt)?;
            Ok(audit::append(c, &event)?)
        })
        .await?;
    if !user.active {
        return Err(ApiError::Forbidden {
            code: "account_disabled",
            message: "this account is disabled".into(),
        });
    }
    let role = Role::parse(&user.role).map_err(ApiError::internal)?;
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
