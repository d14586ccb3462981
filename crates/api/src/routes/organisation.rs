//! `GET /api/organisation/policy`: the caller's organisation's payment-run controls.

use actix_web::{HttpResponse, web};
use db::queries::orgs;
use domain::OrgPolicy;

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The policy (set by `gateway-api set-policy`): approval `off`/`required` with its optional
/// threshold, and the pension-period guard. Readable by every role of the organisation.
#[utoipa::path(
    get, path = "/api/organisation/policy", tag = "payment-runs",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy", body = OrgPolicySchema),
        (status = 401, description = "No valid access token", body = ErrorBody),
    )
)]
pub async fn policy(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let org = user.org_id;
    let policy: OrgPolicy = state.db(move |c| Ok(orgs::get(c, org)?.policy()?)).await?;
    Ok(HttpResponse::Ok().json(policy))
}

/// The policy's JSON shape, for the OpenAPI document (`domain` stays free of utoipa).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OrgPolicy)]
pub struct OrgPolicySchema {
    /// `off` or `required`.
    #[schema(example = "required")]
    pub approval: String,
    /// Runs at or above this total (minor units) need approval; absent: every run.
    #[schema(example = 1_000_000)]
    pub approval_threshold: Option<i64>,
    /// A period is required and a payee is paid once per period.
    pub period_guard: bool,
    /// `off`, `report` (payees looked up before approval or sending) or `exclude` (and rows not
    /// found or under another name kept out of the run).
    #[schema(example = "exclude")]
    pub verification: String,
}
