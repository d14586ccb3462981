//! `GET /api/bulk-transfers/{id}/verification[.csv]` and `POST …/verify`: the pre-payment report
//! of a verified run (who the switch says each payee is, and how well the name matches), and
//! looking the payees up again.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use db::models::{Bulk, Transfer};
use db::queries::audit::{self, Actor};
use db::queries::{bulks, verify};
use domain::{AuditAction, LookupResult, NameMatch, TransferStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::utc;
use super::{parse_cursor, parse_limit};
use crate::auth::AuthUser;
use crate::csv_out::{self, escape_cell};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Rows per page by default, and at most.
const PAGE_DEFAULT: i64 = 500;
const PAGE_MAX: i64 = 5_000;
/// The `byResult` key of rows not looked up yet.
pub const NOT_LOOKED_UP: &str = "NOT_LOOKED_UP";
/// Rows of the CSV at most (a run is bounded by `MAX_ROWS` anyway).
const CSV_MAX: i64 = 1_000_000;

/// Query of the report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationQuery {
    /// Only rows with this lookup result (`FOUND`, `NOT_FOUND`, `ERROR`).
    pub result: Option<String>,
    /// Only rows with this name grade (`MATCH`, `PARTIAL`, `MISMATCH`, `NO_NAME_IN_FILE`,
    /// `NO_NAME_AT_SWITCH`).
    pub grade: Option<String>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Rows per page (1 to 5,000; default 500).
    pub limit: Option<i64>,
}

/// Count and amount (minor units).
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct Tally {
    /// Rows.
    pub count: i64,
    /// Σ amounts, minor units.
    pub amount: i64,
}

impl Tally {
    fn add(&mut self, amount: i64) {
        self.count += 1;
        self.amount += amount;
    }
}

/// Rows of one payee provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FspTally {
    /// The provider (`fspId`).
    pub fsp_id: String,
    /// Rows.
    pub count: i64,
    /// Σ amounts, minor units.
    pub amount: i64,
}

/// The report's counts.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationSummary {
    /// Per lookup result (`FOUND`, `NOT_FOUND`, `ERROR`, and `NOT_LOOKED_UP` for rows not looked up
    /// yet).
    pub by_result: BTreeMap<String, Tally>,
    /// Per name grade of the found rows.
    pub by_grade: BTreeMap<String, Tally>,
    /// Per payee provider of the found rows.
    pub by_fsp: Vec<FspTally>,
    /// Rows excluded from the run (never sent, money released).
    pub excluded: Tally,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationRow {
    /// Line of the uploaded file.
    pub line: i64,
    /// Row id.
    pub transfer_id: String,
    /// Payee id type.
    pub party_id_type: String,
    /// Payee identifier.
    pub party_identifier: String,
    /// Name in the file.
    pub payee_name: Option<String>,
    /// Minor units.
    pub amount: i64,
    /// Transfer status (`EXCLUDED` when verification kept it out).
    pub status: String,
    /// `FOUND`, `NOT_FOUND`, `ERROR`; absent: not looked up yet.
    pub result: Option<String>,
    /// The payee's provider.
    pub fsp_id: Option<String>,
    /// Registered display name.
    pub registered_name: Option<String>,
    /// Registered first name.
    pub first_name: Option<String>,
    /// Registered middle name.
    pub middle_name: Option<String>,
    /// Registered last name.
    pub last_name: Option<String>,
    /// Registered date of birth.
    pub date_of_birth: Option<String>,
    /// Name grade.
    pub name_match: Option<String>,
    /// Lookups made.
    pub attempts: i32,
    /// Why the lookup found nothing usable.
    pub error: Option<String>,
    /// When the switch answered.
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl VerificationRow {
    fn new(t: &Transfer) -> VerificationRow {
        VerificationRow {
            line: t.line,
            transfer_id: t.transfer_id.clone(),
            party_id_type: t.party_id_type.clone(),
            party_identifier: t.party_identifier.clone(),
            payee_name: t.payee_name.clone(),
            amount: t.amount,
            status: t.status.to_string(),
            result: t.party_result.clone(),
            fsp_id: t.party_fsp_id.clone(),
            registered_name: t.party_name.clone(),
            first_name: t.party_first_name.clone(),
            middle_name: t.party_middle_name.clone(),
            last_name: t.party_last_name.clone(),
            date_of_birth: t.party_birth_date.clone(),
            name_match: t.name_match.clone(),
            attempts: t.party_attempts,
            error: t.party_error.clone(),
            checked_at: t.party_checked_at.map(utc),
        }
    }
}

/// The pre-payment report of a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationReport {
    /// The run.
    pub bulk_transfer_id: String,
    /// The run's state.
    pub state: String,
    /// `report` or `exclude`.
    pub mode: String,
    /// Version of the report: how many verifications ended. An approval names the version it saw.
    pub version: i32,
    /// Whether a verification is under way (the counts still move).
    pub in_progress: bool,
    /// When the last verification completed.
    pub verified_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Rows in the run.
    pub total: i64,
    /// Rows with a final lookup result.
    pub verified: i64,
    /// Currency of the amounts.
    pub currency: String,
    /// The counts.
    pub summary: VerificationSummary,
    /// This page of rows, in file order.
    pub rows: Vec<VerificationRow>,
    /// Cursor of the next page (absent on the last).
    pub next_cursor: Option<String>,
}

/// Sums the report's counts from every row of the run.
fn summarise(rows: &[verify::SummaryRow]) -> VerificationSummary {
    let mut s = VerificationSummary::default();
    let mut fsp: BTreeMap<String, Tally> = BTreeMap::new();
    for r in rows {
        let result = r
            .party_result
            .clone()
            .unwrap_or_else(|| NOT_LOOKED_UP.into());
        s.by_result.entry(result).or_default().add(r.amount);
        if r.party_result.as_deref() == Some(LookupResult::Found.as_str()) {
            let grade = r.name_match.clone().unwrap_or_default();
            s.by_grade.entry(grade).or_default().add(r.amount);
            let id = r.party_fsp_id.clone().unwrap_or_default();
            fsp.entry(id).or_default().add(r.amount);
        }
        if *r.status == TransferStatus::Excluded {
            s.excluded.add(r.amount);
        }
    }
    s.by_fsp = fsp
        .into_iter()
        .map(|(fsp_id, t)| FspTally {
            fsp_id,
            count: t.count,
            amount: t.amount,
        })
        .collect();
    s
}

fn parse_filters(
    q: &VerificationQuery,
) -> Result<(Option<LookupResult>, Option<NameMatch>), ApiError> {
    let result = q
        .result
        .as_deref()
        .map(|r| {
            LookupResult::parse(r).map_err(|_| {
                ApiError::unprocessable(
                    "invalid_filter",
                    "result must be FOUND, NOT_FOUND or ERROR",
                )
            })
        })
        .transpose()?;
    let grade = q
        .grade
        .as_deref()
        .map(|g| {
            NameMatch::parse(g).map_err(|_| {
                ApiError::unprocessable(
                    "invalid_filter",
                    "grade must be MATCH, PARTIAL, MISMATCH, NO_NAME_IN_FILE or NO_NAME_AT_SWITCH",
                )
            })
        })
        .transpose()?;
    Ok((result, grade))
}

/// The run, of the caller's organisation, verified.
async fn verified_run(state: &AppState, user: &AuthUser, id: String) -> Result<Bulk, ApiError> {
    let org = user.org_id;
    let bulk = state
        .db(move |c| Ok(bulks::find_for_org(c, org, &id)?))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !bulk.verification()?.is_on() {
        return Err(db::DbError::NotVerified.into());
    }
    Ok(bulk)
}

/// The pre-payment report: counts per lookup result, name grade and payee provider, and a page of
/// rows (filterable by result and grade).
#[utoipa::path(
    get, path = "/api/bulk-transfers/{id}/verification", tag = "payment-runs",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Run id (`bulk-<uuid>`)"), VerificationQuery),
    responses(
        (status = 200, description = "The report", body = VerificationReport),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 404, description = "No such run in your organisation", body = ErrorBody),
        (status = 409, description = "The run is not verified (`not_verified`)", body = ErrorBody),
        (status = 422, description = "Bad filter, cursor or limit", body = ErrorBody),
    )
)]
pub async fn report(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: web::Query<VerificationQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (result, grade) = parse_filters(&q)?;
    let limit = parse_limit(q.limit, PAGE_DEFAULT, PAGE_MAX)?;
    let after = parse_cursor(q.cursor.as_deref())?;
    let bulk = verified_run(&state, &user, path.into_inner()).await?;
    let pk = bulk.id;
    let (all, page) = state
        .db(move |c| {
            let all = verify::summary_rows(c, pk)?;
            let page = verify::page(c, pk, result, grade, after, limit + 1)?;
            Ok((all, page))
        })
        .await?;
    Ok(HttpResponse::Ok().json(assemble(&bulk, &all, page, limit)))
}

fn assemble(
    bulk: &Bulk,
    all: &[verify::SummaryRow],
    mut page: Vec<Transfer>,
    limit: i64,
) -> VerificationReport {
    let more = page.len() as i64 > limit;
    page.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let summary = summarise(all);
    let verified = summary
        .by_result
        .iter()
        .filter(|(k, _)| {
            *k == LookupResult::Found.as_str() || *k == LookupResult::NotFound.as_str()
        })
        .map(|(_, t)| t.count)
        .sum();
    VerificationReport {
        bulk_transfer_id: bulk.bulk_id.clone(),
        state: bulk.state.to_string(),
        mode: bulk.verification_mode.clone(),
        version: bulk.verification_version,
        in_progress: *bulk.state == domain::BulkState::Verifying,
        verified_at: bulk.verified_at.map(utc),
        total: bulk.total_count,
        verified,
        currency: bulk.currency.clone(),
        summary,
        next_cursor: if more {
            page.last().map(|t| t.id.to_string())
        } else {
            None
        },
        rows: page.iter().map(VerificationRow::new).collect(),
    }
}

/// The header line of the CSV report.
pub const VERIFICATION_HEADER: &str = "line,transferId,partyIdType,partyIdentifier,payeeName,amount,\
    currency,status,result,fspId,registeredName,firstName,middleName,lastName,dateOfBirth,\
    nameMatch,attempts,error";

fn csv_of(bulk: &Bulk, rows: &[Transfer]) -> Result<Vec<u8>, ApiError> {
    let mut w = csv_out::writer(rows.len() * 200 + 256);
    let header: Vec<&str> = VERIFICATION_HEADER.split(',').collect();
    w.write_record(&header).map_err(ApiError::internal)?;
    for t in rows {
        let v = VerificationRow::new(t);
        let opt = |o: &Option<String>| escape_cell(o.as_deref().unwrap_or("")).into_owned();
        let record = [
            v.line.to_string(),
            escape_cell(&v.transfer_id).into_owned(),
            escape_cell(&v.party_id_type).into_owned(),
            escape_cell(&v.party_identifier).into_owned(),
            opt(&v.payee_name),
            v.amount.to_string(),
            escape_cell(&bulk.currency).into_owned(),
            v.status.clone(),
            opt(&v.result),
            opt(&v.fsp_id),
            opt(&v.registered_name),
            opt(&v.first_name),
            opt(&v.middle_name),
            opt(&v.last_name),
            opt(&v.date_of_birth),
            opt(&v.name_match),
            v.attempts.to_string(),
            opt(&v.error),
        ];
        w.write_record(&record).map_err(ApiError::internal)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// The report's rows as CSV (formula-safe like `report.csv`).
#[utoipa::path(
    get, path = "/api/bulk-transfers/{id}/verification.csv", tag = "payment-runs",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Run id (`bulk-<uuid>`)")),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 404, description = "No such run in your organisation", body = ErrorBody),
        (status = 409, description = "The run is not verified (`not_verified`)", body = ErrorBody),
    )
)]
pub async fn report_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bulk = verified_run(&state, &user, path.into_inner()).await?;
    let pk = bulk.id;
    let rows = state
        .db(move |c| Ok(verify::page(c, pk, None, None, None, CSV_MAX)?))
        .await?;
    let b = bulk.clone();
    let body = web::block(move || csv_of(&b, &rows)).await??;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-verification.csv\"", bulk.bulk_id),
        ))
        .body(body))
}

/// Looks the run's payees up again (AWAITING_APPROVAL → VERIFYING; its uploader or an
/// APPROBATEUR). Rows already excluded stay excluded. The report's version rises when the new
/// verification ends, so an approval of the old report is refused (`verification_changed`).
#[utoipa::path(
    post, path = "/api/bulk-transfers/{id}/verify", tag = "payment-runs",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Run id (`bulk-<uuid>`)")),
    responses(
        (status = 200, description = "VERIFYING again", body = super::views::BulkSummary),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 403, description = "Neither its uploader nor an APPROBATEUR", body = ErrorBody),
        (status = 404, description = "No such run in your organisation", body = ErrorBody),
        (status = 409, description = "Not verified (`not_verified`) or not awaiting approval \
          (`invalid_state`)", body = ErrorBody),
    )
)]
pub async fn reverify(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bulk = verified_run(&state, &user, path.into_inner()).await?;
    let own = user.user_id == bulk.created_by && user.role.can_cancel();
    if !(own || user.role.can_approve()) {
        return Err(ApiError::Forbidden {
            code: "forbidden",
            message: "only the run's uploader or an APPROBATEUR can send it back to verification"
                .into(),
        });
    }
    let (pk, uid) = (bulk.id, user.user_id);
    let b = state
        .db(move |c| {
            let event = |b: &Bulk| {
                let details = serde_json::json!({ "version": b.verification_version });
                audit::bulk_event(b, Actor::User(uid), AuditAction::BulkReverified, details)
            };
            Ok(audit::recorded(c, |c| verify::restart(c, pk), event)?)
        })
        .await?;
    super::decide::decided(&state, b, "sent back to verification").await
}
