//! `GET /api/accounts`.

use actix_web::{HttpResponse, web};
use db::queries::accounts;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// One account of the organisation. Amounts are integers of minor units.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Public account id.
    #[schema(example = "CNSS-XOF-001")]
    pub account_id: String,
    /// ISO-4217 code.
    #[schema(example = "XOF")]
    pub currency: String,
    /// Money held.
    #[schema(example = 1_000_000)]
    pub balance: i64,
    /// Part of the balance promised to running bulks.
    #[schema(example = 37_500)]
    pub reserved: i64,
    /// `balance − reserved`: what a new bulk may use.
    #[schema(example = 962_500)]
    pub available: i64,
    /// Payer party id type.
    #[schema(example = "MSISDN")]
    pub party_id_type: String,
    /// Payer party identifier.
    #[schema(example = "22890000000")]
    pub party_identifier: String,
}

/// The organisation's accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    /// One per currency.
    pub accounts: Vec<AccountView>,
}

/// The caller's organisation's accounts with balance, reserved and available amounts.
#[utoipa::path(
    get, path = "/api/accounts", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accounts", body = AccountList),
        (status = 401, description = "No valid access token", body = ErrorBody),
    )
)]
pub async fn list_accounts(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let org = user.org_id;
    let rows = state
        .db(move |c| Ok(accounts::list_for_org(c, org)?))
        .await?;
    let accounts = rows
        .iter()
        .map(|a| AccountView {
            account_id: a.account_id.clone(),
            currency: a.currency.clone(),
            balance: a.balance,
            reserved: a.reserved,
            available: a.available(),
            party_id_type: a.party_id_type.clone(),
            party_identifier: a.party_identifier.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AccountList { accounts }))
}
