//! The run-level fields of an upload (pension period, schedule, declared totals, repeats) and the
//! answer to a file paying someone already paid in its period.

use db::models::NewTransfer;

use crate::error::ApiError;

/// The run-level fields of an upload, checked (each field documented on `UploadRequest`).
#[derive(Debug, Clone, Default)]
pub struct RunFields {
    pub period: Option<domain::Period>,
    pub execute_at: Option<chrono::NaiveDateTime>,
    pub expected_count: Option<i64>,
    pub expected_total: Option<i64>,
    pub allow_repeat: bool,
}

pub fn run_fields(form: &crate::upload::UploadForm) -> Result<RunFields, ApiError> {
    let period = form
        .period
        .as_deref()
        .map(|p| {
            domain::Period::parse(p)
                .map_err(|e| ApiError::unprocessable("invalid_period", e.to_string()))
        })
        .transpose()?;
    let execute_at = form
        .execute_at
        .as_deref()
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.naive_utc())
                .map_err(|e| {
                    ApiError::unprocessable(
                        "invalid_execute_at",
                        format!("execute_at must be an RFC 3339 time (2026-12-01T08:00:00Z): {e}"),
                    )
                })
        })
        .transpose()?;
    let number = |name: &str, v: Option<&str>| -> Result<Option<i64>, ApiError> {
        v.map(|v| match v.parse::<i64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ApiError::unprocessable(
                "invalid_field",
                format!("`{name}` must be a positive whole number"),
            )),
        })
        .transpose()
    };
    Ok(RunFields {
        period,
        execute_at,
        expected_count: number("expected_count", form.expected_count.as_deref())?,
        expected_total: number("expected_total", form.expected_total.as_deref())?,
        allow_repeat: form.allow_repeat_in_period,
    })
}

/// 422 `already_paid_in_period`, one problem per line of a payee another run of the period holds.
pub fn already_paid(conflicts: &[db::queries::period::Conflict], rows: &[NewTransfer]) -> ApiError {
    let mut details = Vec::new();
    for r in rows {
        if let Some(c) = conflicts.iter().find(|c| {
            c.party_id_type == r.party_id_type && c.party_identifier == r.party_identifier
        }) {
            details.push(serde_json::json!({
                "line": r.line,
                "field": "partyIdentifier",
                "code": "already_paid_in_period",
                "message": format!(
                    "{} {} is already paid, or being paid, in this period by {}",
                    r.party_id_type, r.party_identifier, c.bulk_id
                ),
                "bulkTransferId": c.bulk_id,
            }));
        }
    }
    ApiError::Unprocessable {
        code: "already_paid_in_period",
        message: format!(
            "{} line(s) pay someone already paid in this period by another run; nothing was \
             stored (allow_repeat_in_period=true accepts them, with approval)",
            details.len()
        ),
        details,
    }
}

/// 422 `already_paid_in_period` for lines paying a payee an earlier line of the same file pays.
pub fn already_paid_in_file(lines: &[i64]) -> ApiError {
    ApiError::Unprocessable {
        code: "already_paid_in_period",
        message: format!(
            "{} line(s) pay a payee a second time in this period; nothing was stored \
             (allow_repeat_in_period=true accepts them, with approval)",
            lines.len()
        ),
        details: lines
            .iter()
            .map(|line| {
                serde_json::json!({
                    "line": line,
                    "field": "partyIdentifier",
                    "code": "already_paid_in_period",
                    "message": "this payee is already paid by an earlier line of this file",
                })
            })
            .collect(),
    }
}
