//! `GET /api/auth/me`.

use actix_web::{HttpResponse, web};
use db::queries::{orgs, users};

use super::UserView;
use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The caller and their organisation.
#[utoipa::path(
    get, path = "/api/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = UserView),
        (status = 401, description = "No valid access token", body = ErrorBody),
    )
)]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let id = user.user_id;
    let view = state
        .db(move |c| {
            let u = match users::get(c, id) {
                Ok(u) => u,
                Err(db::DbError::NotFound) => return Err(ApiError::invalid_token("unknown user")),
                Err(e) => return Err(e.into()),
            };
            let org = orgs::get(c, u.organisation_id)?;
            Ok(UserView::new(&u, &org))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
