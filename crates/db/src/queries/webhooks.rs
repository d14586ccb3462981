//! The webhook outbox: events recorded with the state change they tell of, leased by senders,
//! each attempt kept.
//!
//! [`record`] is called inside the transaction that moves a run into a state with an event
//! (`domain::webhook::EventKind::for_state`), so an event exists exactly when its state change
//! committed. Senders [`claim_due`] entries with a lease (a conditional UPDATE per entry: two
//! senders never hold one entry at once; a sender that dies lets its lease pass and another takes
//! the entry over — so a receiver may see an event twice, never zero times) and [`finish_attempt`]
//! records the attempt and the entry's new state in one transaction. A DELIVERED, FAILED or
//! BLOCKED entry never changes again.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::BulkState;
use domain::webhook::{EventAmounts, EventCounts, EventKind, WebhookEvent};

use crate::connection::DbConn;
use crate::error::{DbError, DbResult};
use crate::models::{
    Bulk, NewWebhookAttempt, NewWebhookDelivery, WebhookAttempt, WebhookDelivery, now,
};
use crate::queries::bulks;
use crate::schema::webhook_attempts::dsl as wa;
use crate::schema::webhook_deliveries::dsl as wd;
use crate::schema::webhook_secrets::dsl as ws;

/// Not yet delivered.
pub const PENDING: &str = "PENDING";
/// A 2xx came back.
pub const DELIVERED: &str = "DELIVERED";
/// Given up after the delivery window.
pub const FAILED: &str = "FAILED";
/// The egress policy forbids the destination: never sent.
pub const BLOCKED: &str = "BLOCKED";

/// The body telling of `bulk`'s current state.
pub fn event_for(bulk: &Bulk, kind: EventKind, event_id: &str, at: NaiveDateTime) -> WebhookEvent {
    let open = (bulk.total_count - bulk.succeeded_count - bulk.failed_count).max(0);
    let withdrawn = matches!(*bulk.state, BulkState::Rejected | BulkState::Cancelled);
    let (cancelled, pending) = if withdrawn { (open, 0) } else { (0, open) };
    WebhookEvent {
        event: kind.as_str().to_string(),
        event_id: event_id.to_string(),
        bulk_transfer_id: bulk.bulk_id.clone(),
        state: bulk.state.as_str().to_string(),
        counts: EventCounts {
            total: bulk.total_count,
            completed: bulk.succeeded_count,
            failed: bulk.failed_count,
            excluded: bulk.excluded_count,
            cancelled,
            pending,
        },
        amounts: EventAmounts {
            currency: bulk.currency.clone(),
            total: bulk.total_amount,
            completed: bulk.succeeded_amount,
            failed: bulk.failed_amount,
            excluded: bulk.excluded_amount,
        },
        occurred_at: at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    }
}

/// Records the event of the state `bulk_pk` is now in, if that state has one and the run has a
/// `callback_url`. Call it inside the transaction of the state change.
pub fn record(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Option<i64>> {
    let bulk = bulks::get(conn, bulk_pk)?;
    let state: BulkState = *bulk.state;
    let (Some(kind), Some(url)) = (EventKind::for_state(state), bulk.callback_url.clone()) else {
        return Ok(None);
    };
    let at = now();
    let event_id = uuid::Uuid::new_v4().to_string();
    let body = event_for(&bulk, kind, &event_id, at);
    let payload = serde_json::to_string(&body).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let id = diesel::insert_into(wd::webhook_deliveries)
        .values(&NewWebhookDelivery {
            event_id,
            bulk_pk,
            organisation_id: bulk.organisation_id,
            event: kind.as_str().to_string(),
            url,
            payload,
            next_attempt_at: at,
            created_at: at,
        })
        .returning(wd::id)
        .get_result(conn)?;
    Ok(Some(id))
}

/// Up to `limit` entries due at `at` and not leased, now leased to the caller until
/// `lease_until`, oldest due first.
pub fn claim_due(
    conn: &mut DbConn,
    at: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<WebhookDelivery>> {
    let due: Vec<i64> = wd::webhook_deliveries
        .filter(wd::state.eq(PENDING))
        .filter(wd::next_attempt_at.le(at))
        .filter(wd::lease_until.is_null().or(wd::lease_until.lt(at)))
        .order(wd::next_attempt_at.asc())
        .limit(limit)
        .select(wd::id)
        .load(conn)?;
    let mut claimed = Vec::with_capacity(due.len());
    for id in due {
        let n = diesel::update(
            wd::webhook_deliveries
                .find(id)
                .filter(wd::state.eq(PENDING))
                .filter(wd::lease_until.is_null().or(wd::lease_until.lt(at))),
        )
        .set(wd::lease_until.eq(Some(lease_until)))
        .execute(conn)?;
        if n == 1 {
            claimed.push(get(conn, id)?);
        }
    }
    Ok(claimed)
}

/// By primary key.
pub fn get(conn: &mut DbConn, id: i64) -> DbResult<WebhookDelivery> {
    Ok(wd::webhook_deliveries
        .find(id)
        .select(WebhookDelivery::as_select())
        .first(conn)?)
}

/// What became of an attempt, and so of its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A 2xx: DELIVERED.
    Delivered,
    /// Try again at this time.
    RetryAt(NaiveDateTime),
    /// Out of time: FAILED.
    GiveUp,
    /// The egress policy forbids it: BLOCKED.
    Blocked,
}

/// Records `attempt` and moves its entry on (`next`), releasing the lease. An entry already
/// final (another sender finished it meanwhile) keeps its state; the attempt is still recorded.
pub fn finish_attempt(conn: &mut DbConn, attempt: &NewWebhookAttempt, next: &Next) -> DbResult<()> {
    conn.transaction::<_, DbError, _>(|c| {
        diesel::insert_into(wa::webhook_attempts)
            .values(attempt)
            .execute(c)?;
        let open = wd::webhook_deliveries
            .find(attempt.delivery_id)
            .filter(wd::state.eq(PENDING));
        let common = (
            wd::attempts.eq(wd::attempts + 1),
            wd::last_status.eq(attempt.status),
            wd::last_error.eq(attempt.error.clone()),
            wd::lease_until.eq(None::<NaiveDateTime>),
        );
        match next {
            Next::Delivered => diesel::update(open)
                .set((
                    common,
                    wd::state.eq(DELIVERED),
                    wd::delivered_at.eq(Some(now())),
                ))
                .execute(c)?,
            Next::RetryAt(at) => diesel::update(open)
                .set((common, wd::next_attempt_at.eq(*at)))
                .execute(c)?,
            Next::GiveUp => diesel::update(open)
                .set((common, wd::state.eq(FAILED)))
                .execute(c)?,
            Next::Blocked => diesel::update(open)
                .set((common, wd::state.eq(BLOCKED)))
                .execute(c)?,
        };
        Ok(())
    })
}

/// A run's entries, oldest first.
pub fn for_bulk(conn: &mut DbConn, bulk_pk: i64) -> DbResult<Vec<WebhookDelivery>> {
    Ok(wd::webhook_deliveries
        .filter(wd::bulk_pk.eq(bulk_pk))
        .order(wd::id.asc())
        .select(WebhookDelivery::as_select())
        .load(conn)?)
}

/// An entry's attempts, in order.
pub fn attempts(conn: &mut DbConn, delivery_id: i64) -> DbResult<Vec<WebhookAttempt>> {
    Ok(wa::webhook_attempts
        .filter(wa::delivery_id.eq(delivery_id))
        .order(wa::attempt.asc())
        .select(WebhookAttempt::as_select())
        .load(conn)?)
}

/// Sets (or replaces) an organisation's signing secret.
pub fn set_secret(conn: &mut DbConn, organisation_id: i64, secret: &str) -> DbResult<()> {
    conn.transaction::<_, DbError, _>(|c| {
        diesel::delete(ws::webhook_secrets.find(organisation_id)).execute(c)?;
        diesel::insert_into(ws::webhook_secrets)
            .values((
                ws::organisation_id.eq(organisation_id),
                ws::secret.eq(secret),
                ws::created_at.eq(now()),
            ))
            .execute(c)?;
        Ok(())
    })
}

/// An organisation's signing secret, `None` when it has none.
pub fn secret(conn: &mut DbConn, organisation_id: i64) -> DbResult<Option<String>> {
    Ok(ws::webhook_secrets
        .find(organisation_id)
        .select(ws::secret)
        .first(conn)
        .optional()?)
}
