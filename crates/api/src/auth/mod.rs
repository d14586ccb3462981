//! Authentication: JWT tokens, bcrypt passwords, login throttling and the [`AuthUser`] extractor.

pub mod access;
pub mod jwt;
pub mod password;
pub mod rate_limit;

use futures::future::LocalBoxFuture;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use domain::Role;

use crate::error::ApiError;
use crate::state::AppState;
use jwt::TokenType;

/// The caller, from a valid access token in `Authorization: Bearer <token>`.
///
/// Extraction fails with 401: `unauthorized` without a token, `invalid_token` for a bad one,
/// `token_revoked` after logout, `account_disabled` / `role_changed` when the user changed since
/// (see [`access`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// User id.
    pub user_id: i64,
    /// Organisation the caller acts for (every query is scoped to it).
    pub org_id: i64,
    /// Role at token issue time.
    pub role: Role,
    /// The access token's id.
    pub jti: String,
    /// The access token's expiry (Unix seconds).
    pub exp: i64,
    /// The login session (token family) of the token, if it names one.
    pub family: Option<String>,
}

impl AuthUser {
    /// Approving or rejecting a run: an APPROBATEUR.
    pub fn require_approver(&self) -> Result<(), ApiError> {
        if self.role.can_approve() {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "forbidden",
                message: format!("the {} role cannot approve or reject runs", self.role),
            })
        }
    }

    /// Cancelling a run: its uploader, or an APPROBATEUR.
    pub fn require_canceller(&self, uploader: i64) -> Result<(), ApiError> {
        let own = self.user_id == uploader && self.role.can_cancel();
        if own || self.role.can_approve() {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "forbidden",
                message: "only the run's uploader or an APPROBATEUR can cancel it".into(),
            })
        }
    }

    /// Retrying the failed rows of a run: a GESTIONNAIRE.
    pub fn require_retrier(&self) -> Result<(), ApiError> {
        if self.role.can_retry() {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "forbidden",
                message: format!("the {} role cannot retry runs", self.role),
            })
        }
    }

    /// Reading the organisation's audit log: a SUPERVISEUR or an APPROBATEUR.
    pub fn require_auditor(&self) -> Result<(), ApiError> {
        if self.role.can_read_audit() {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "forbidden",
                message: format!("the {} role cannot read the audit log", self.role),
            })
        }
    }

    /// Refuses with 403 unless the caller may create bulks.
    pub fn require_bulk_creator(&self) -> Result<(), ApiError> {
        if self.role.can_create_bulk() {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "forbidden",
                message: format!("the {} role cannot create bulk transfers", self.role),
            })
        }
    }
}

fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let missing = || ApiError::Unauthorized {
        code: "unauthorized",
        message: "an `Authorization: Bearer <access token>` header is required".into(),
    };
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim())
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let claims = state.jwt.verify(bearer(req)?, TokenType::Access)?;
    Ok(AuthUser {
        user_id: claims.user_id()?,
        org_id: claims.org,
        role: claims.role,
        jti: claims.jti,
        exp: claims.exp,
        family: claims.fam,
    })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<AuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("application state missing"))?;
            access::check(state, &user).await?;
            Ok(user)
        })
    }
}
