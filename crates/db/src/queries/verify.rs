//! Verification before paying: claiming rows to look up, recording what the switch said, and
//! ending a run's verification (exclusions, then approval or sending).
//!
//! A lookup changes nothing at the switch, so a row whose worker died is simply looked up again
//! once its lease has passed. What does move money — excluding rows and releasing their part of the
//! reservation — happens once, in [`finish`], under the run's lock and only while it is VERIFYING.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{AuditAction, BulkState, LookupResult, NameMatch, TransferStatus, VerificationMode};

use crate::connection::DbConn;
use crate::error::{DbError, DbResult};
use crate::models::{Bulk, NewLedgerEntry, now};
use crate::queries::audit::{self, Actor};
use crate::queries::{accounts, bulks, period, runs, webhooks};
use crate::schema::bulk_transfers::dsl as b;
use crate::schema::individual_transfers::dsl as t;

/// A row to look up.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = crate::schema::individual_transfers)]
pub struct LookupRow {
    /// Transfer primary key.
    pub id: i64,
    /// Payee id type.
    pub party_id_type: String,
    /// Payee identifier.
    pub party_identifier: String,
    /// Name in the file.
    pub payee_name: Option<String>,
    /// Lookups made, this claim included.
    pub party_attempts: i32,
}

/// What one lookup found, to store on its row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupRecord {
    /// Transfer primary key.
    pub transfer_pk: i64,
    /// `FOUND`, `NOT_FOUND`, or `ERROR` (looked up again from `retry_at`).
    pub result: Option<LookupResult>,
    /// Provider holding the identifier.
    pub fsp_id: Option<String>,
    /// Registered display name.
    pub name: Option<String>,
    /// Registered first name.
    pub first_name: Option<String>,
    /// Registered middle name.
    pub middle_name: Option<String>,
    /// Registered last name.
    pub last_name: Option<String>,
    /// Registered date of birth.
    pub birth_date: Option<String>,
    /// Grade of the registered name against the file's (found rows).
    pub name_match: Option<NameMatch>,
    /// Why there was no usable answer (or why a row counts as not found after its retries).
    pub error: Option<String>,
    /// When an `ERROR` row is due again.
    pub retry_at: Option<NaiveDateTime>,
}

/// The rows still to look up, written exactly as the predicate of the partial index
/// `transfers_to_look_up_idx` (literals, not bind parameters), so both planners can prove it and
/// walk only those rows instead of every row of the run.
fn to_look_up() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>(
        "status = 'PENDING' AND (party_result IS NULL OR party_result = 'ERROR')",
    )
}

/// Claims up to `limit` rows of a VERIFYING run that are due for a lookup (never looked up, or an
/// `ERROR` whose `retry_at` passed) and not leased to another worker; leases them until
/// `lease_until` and counts the attempt.
pub fn claim(
    conn: &mut DbConn,
    bulk_pk: i64,
    limit: i64,
    lease_until: NaiveDateTime,
) -> DbResult<Vec<LookupRow>> {
    let at = now();
    let candidates = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(to_look_up())
        .filter(t::party_retry_at.is_null().or(t::party_retry_at.le(at)))
        .filter(
            t::party_lease_until
                .is_null()
                .or(t::party_lease_until.lt(at)),
        )
        .order(t::id.asc())
        .limit(limit)
        .select(t::id);
    // The same UPDATE on both backends; only how the candidate ids are locked differs.
    macro_rules! lease {
        ($c:expr, $ids:expr) => {{
            if $ids.is_empty() {
                return Ok(Vec::new());
            }
            diesel::update(t::individual_transfers.filter(t::id.eq_any(&$ids)))
                .set((
                    t::party_lease_until.eq(Some(lease_until)),
                    t::party_attempts.eq(t::party_attempts + 1),
                ))
                .returning(LookupRow::as_returning())
                .get_results($c)
        }};
    }
    let mut rows = match conn {
        DbConn::Pg(c) => c.transaction::<_, diesel::result::Error, _>(|c| {
            let ids: Vec<i64> = candidates.for_update().skip_locked().load(c)?;
            lease!(c, ids)
        })?,
        DbConn::Sqlite(c) => c.immediate_transaction::<_, diesel::result::Error, _>(|c| {
            let ids: Vec<i64> = candidates.load(c)?;
            lease!(c, ids)
        })?,
    };
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Stores the results of lookups claimed together under `lease_until`, in one transaction, and
/// marks activity on the run. Only rows still PENDING and still leased by that claim are written:
/// a result that comes back after its lease ran out (another worker looked the row up again), after
/// the run was sent back to verification (leases cleared), or after a cancel is dropped — so a
/// late answer can never change a report that was finished, let alone approved.
pub fn record(
    conn: &mut DbConn,
    bulk_pk: i64,
    lease_until: NaiveDateTime,
    records: &[LookupRecord],
) -> DbResult<usize> {
    let at = now();
    conn.transaction::<_, DbError, _>(|c| {
        bulks::touch(c, bulk_pk)?;
        let mut written = 0;
        for r in records {
            written += diesel::update(
                t::individual_transfers
                    .find(r.transfer_pk)
                    .filter(t::bulk_pk.eq(bulk_pk))
                    .filter(t::status.eq(TransferStatus::Pending.as_str()))
                    .filter(t::party_lease_until.eq(lease_until)),
            )
            .set((
                t::party_result.eq(r.result.map(LookupResult::as_str)),
                t::party_fsp_id.eq(&r.fsp_id),
                t::party_name.eq(&r.name),
                t::party_first_name.eq(&r.first_name),
                t::party_middle_name.eq(&r.middle_name),
                t::party_last_name.eq(&r.last_name),
                t::party_birth_date.eq(&r.birth_date),
                t::name_match.eq(r.name_match.map(NameMatch::as_str)),
                t::party_error.eq(&r.error),
                t::party_retry_at.eq(r.retry_at),
                t::party_lease_until.eq(None::<NaiveDateTime>),
                t::party_checked_at.eq(Some(at)),
            ))
            .execute(c)?;
        }
        Ok(written)
    })
}

/// Where a run's verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Rows with a final lookup result (found or not found).
    pub verified: i64,
    /// PENDING rows still to look up (never looked up, leased, or waiting to retry an error).
    pub unresolved: i64,
}

/// Counts a run's looked-up and unresolved rows. Only the unresolved ones are counted (through
/// `transfers_to_look_up_idx`); while a run is VERIFYING every other row has its answer.
pub fn progress(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Progress> {
    let total: i64 = b::bulk_transfers
        .find(bulk_pk)
        .select(b::total_count)
        .first(conn)?;
    let unresolved: i64 = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(to_look_up())
        .count()
        .get_result(conn)?;
    Ok(Progress {
        verified: total - unresolved,
        unresolved,
    })
}

/// The earliest `retry_at` of a run's rows waiting to be looked up again, if any.
pub fn next_retry_at(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Option<NaiveDateTime>> {
    Ok(t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .filter(t::status.eq(TransferStatus::Pending.as_str()))
        .filter(t::party_result.eq(LookupResult::Error.as_str()))
        .select(diesel::dsl::min(t::party_retry_at))
        .first::<Option<NaiveDateTime>>(conn)?)
}

/// Ends a run's verification once every row has a final result: under the run's lock and only if
/// it is still VERIFYING, excludes (with `exclude`) the rows the domain says to exclude — EXCLUDED,
/// their amounts released with one RELEASE journal line each and counted as failed, their period
/// claims given back — raises the report's version, and moves the run on (AWAITING_APPROVAL,
/// SCHEDULED or PENDING; FAILED if nothing is left to pay). `None` when there is nothing to do
/// (rows unresolved, or another worker finished first).
pub fn finish(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Option<Bulk>> {
    conn.transaction::<_, DbError, _>(|c| {
        bulks::touch(c, bulk_pk)?;
        let bulk = bulks::get(c, bulk_pk)?;
        if *bulk.state != BulkState::Verifying || progress(c, bulk_pk)?.unresolved > 0 {
            return Ok(None);
        }
        let mode = bulk.verification()?;
        let (count, amount) = exclude(c, &bulk, mode)?;
        let at = now();
        diesel::update(b::bulk_transfers.find(bulk_pk))
            .set((
                b::verification_version.eq(b::verification_version + 1),
                b::verified_at.eq(Some(at)),
                b::excluded_count.eq(b::excluded_count + count),
                b::excluded_amount.eq(b::excluded_amount + amount),
                b::failed_count.eq(b::failed_count + count),
                b::failed_amount.eq(b::failed_amount + amount),
            ))
            .execute(c)?;
        let bulk = bulks::get(c, bulk_pk)?;
        let to = if bulk.failed_count >= bulk.total_count {
            BulkState::Failed
        } else {
            BulkState::after_verification(
                bulk.approval_required,
                bulk.execute_at.is_some_and(|e| e > at),
            )
        };
        runs::transition(c, bulk_pk, BulkState::Verifying, to)?;
        webhooks::record(c, bulk_pk)?;
        let after = bulks::get(c, bulk_pk)?;
        let details = serde_json::json!({
            "version": after.verification_version,
            "mode": mode.as_str(),
            "excludedCount": count,
            "excludedAmount": amount,
        });
        audit::on_bulk(c, &after, Actor::Worker, AuditAction::BulkVerified, details)?;
        Ok(Some(after))
    })
}

/// The rows to exclude, excluded (see [`finish`]): their count and amount. Rows are taken in key
/// order and updated in batches, the money released with one account update and one RELEASE line
/// per row.
fn exclude(c: &mut DbConn, bulk: &Bulk, mode: VerificationMode) -> DbResult<(i64, i64)> {
    if mode != VerificationMode::Exclude {
        return Ok((0, 0));
    }
    TransferStatus::Pending
        .transition(TransferStatus::Excluded)
        .map_err(DbError::Transition)?;
    let rows: Vec<(i64, i64, Option<String>, Option<String>)> = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk.id))
        .filter(t::status.eq(TransferStatus::Pending.as_str()))
        .filter(
            t::party_result
                .eq(LookupResult::NotFound.as_str())
                .or(t::name_match.eq(NameMatch::Mismatch.as_str())),
        )
        .order(t::id.asc())
        .select((t::id, t::amount, t::party_result, t::name_match))
        .load(c)?;
    let corrupt = |e: domain::UnknownValue| DbError::Corrupt(e.to_string());
    let mut by_code: Vec<(&'static str, Vec<i64>)> = Vec::new();
    let (mut amount, mut journal) = (0i64, Vec::new());
    let at = now();
    for (id, row_amount, result, grade) in rows {
        let result = result
            .as_deref()
            .map(LookupResult::parse)
            .transpose()
            .map_err(corrupt)?;
        let grade = grade
            .as_deref()
            .map(NameMatch::parse)
            .transpose()
            .map_err(corrupt)?;
        let Some(code) = result.and_then(|r| mode.exclusion(r, grade)) else {
            continue;
        };
        match by_code.iter_mut().find(|(c, _)| *c == code) {
            Some((_, ids)) => ids.push(id),
            None => by_code.push((code, vec![id])),
        }
        amount += row_amount;
        journal.push(NewLedgerEntry {
            account_pk: bulk.account_pk,
            bulk_pk: Some(bulk.id),
            transfer_pk: Some(id),
            kind: domain::LedgerKind::Release.as_str().to_string(),
            amount: row_amount,
            created_at: at,
        });
    }
    let count = i64::try_from(journal.len()).unwrap_or(i64::MAX);
    if count == 0 {
        return Ok((0, 0));
    }
    for (code, ids) in &by_code {
        for chunk in ids.chunks(500) {
            let n = diesel::update(
                t::individual_transfers
                    .filter(t::id.eq_any(chunk))
                    .filter(t::status.eq(TransferStatus::Pending.as_str())),
            )
            .set((
                t::status.eq(TransferStatus::Excluded.as_str()),
                t::error_code.eq(Some(*code)),
                t::error_message.eq(Some(exclusion_message(code))),
                t::completed_at.eq(Some(at)),
                t::updated_at.eq(at),
            ))
            .execute(c)?;
            if n != chunk.len() {
                return Err(DbError::Corrupt(
                    "a row to exclude left PENDING under the run's lock".into(),
                ));
            }
            period::release_transfers(c, chunk)?;
        }
    }
    accounts::apply_settlement(c, bulk.account_pk, 0, amount)?;
    for chunk in journal.chunks(1_000) {
        crate::queries::settle::insert_journal(c, chunk)?;
    }
    Ok((count, amount))
}

/// The error message of a row excluded with `code`.
fn exclusion_message(code: &str) -> &'static str {
    if code == domain::verify::EXCLUDED_NAME_MISMATCH {
        "excluded before sending: the name registered at the switch is another person's"
    } else {
        "excluded before sending: the payee is not known at the switch (see the verification \
         report for what the lookups answered)"
    }
}

/// Starts a run's verification again (AWAITING_APPROVAL → VERIFYING): the rows still to pay are
/// looked up anew; excluded rows stay excluded. The report's version rises when it completes, so an
/// approval given on the old report is refused.
pub fn restart(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Bulk> {
    conn.transaction::<_, DbError, _>(|c| {
        bulks::touch(c, bulk_pk)?;
        let bulk = bulks::get(c, bulk_pk)?;
        if !bulk.verification()?.is_on() {
            return Err(DbError::NotVerified);
        }
        let bulk = runs::transition(
            c,
            bulk_pk,
            BulkState::AwaitingApproval,
            BulkState::Verifying,
        )?;
        diesel::update(
            t::individual_transfers
                .filter(t::bulk_pk.eq(bulk_pk))
                .filter(t::status.eq(TransferStatus::Pending.as_str())),
        )
        .set((
            t::party_result.eq(None::<String>),
            t::name_match.eq(None::<String>),
            t::party_attempts.eq(0),
            t::party_error.eq(None::<String>),
            t::party_retry_at.eq(None::<NaiveDateTime>),
            t::party_lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c)?;
        Ok(bulk)
    })
}

/// One row of a run, as the verification report's summary counts it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = crate::schema::individual_transfers)]
pub struct SummaryRow {
    /// Lookup result (`None`: not looked up yet).
    pub party_result: Option<String>,
    /// Name grade.
    pub name_match: Option<String>,
    /// Transfer status (`EXCLUDED` for the rows kept out).
    pub status: crate::types::DbTransferStatus,
    /// The payee's provider.
    pub party_fsp_id: Option<String>,
    /// Minor units.
    pub amount: i64,
}

/// Every row of a run reduced to what the report's summary counts (the caller adds up: sums of
/// BIGINT are NUMERIC on PostgreSQL, and a run is bounded by `MAX_ROWS`).
pub fn summary_rows(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Vec<SummaryRow>> {
    Ok(t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .select(SummaryRow::as_select())
        .load(conn)?)
}

/// A page of a run's rows in file order after the cursor, filtered by lookup result and grade.
pub fn page(
    conn: &mut DbConn,
    bulk_pk: i64,
    result: Option<LookupResult>,
    grade: Option<NameMatch>,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<crate::models::Transfer>> {
    let mut q = t::individual_transfers
        .filter(t::bulk_pk.eq(bulk_pk))
        .select(crate::models::Transfer::as_select())
        .order(t::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(r) = result {
        q = q.filter(t::party_result.eq(r.as_str()));
    }
    if let Some(g) = grade {
        q = q.filter(t::name_match.eq(g.as_str()));
    }
    if let Some(after) = after {
        q = q.filter(t::id.gt(after));
    }
    Ok(q.load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_predicate_spells_the_domain_values() {
        // `to_look_up` and the migration's partial index write these values as literals.
        assert_eq!(TransferStatus::Pending.as_str(), "PENDING");
        assert_eq!(LookupResult::Error.as_str(), "ERROR");
    }
}
