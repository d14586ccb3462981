//! The audit log: who did what, append-only and hash-chained (the canonical form and the hash are
//! `domain::audit`'s; the triggers refusing UPDATE and DELETE are in the migrations).
//!
//! [`append`] is the only writer. Its first statement updates the chain's one-row head
//! (`audit_head`): on PostgreSQL that row lock serialises appends until the appending transaction
//! commits, on SQLite that first write takes the database's write lock. Only then does it read the
//! id and hash it follows, so two appends can never follow the same event (`prev_hash` is also
//! UNIQUE). Call it as the LAST statement of the transaction whose action it records: the event
//! then exists exactly when the action does, and the lock is held only until the commit. Every
//! transaction takes the head last, so it never waits for a lock while holding the head: no
//! deadlock through it.
//!
//! [`verify_chain`] recomputes every hash; [`list`] reads an organisation's events.

mod chain;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::{AuditAction, AuditHash, ChainedEvent};
use serde_json::Value;

use crate::connection::DbConn;
use crate::error::{DbError, DbResult};
use crate::models::{Bulk, now};
use crate::queries::users;
use crate::schema::audit_events::dsl as ae;

pub use chain::{ChainCheck, verify_chain};

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = crate::schema::audit_events)]
pub struct AuditEvent {
    /// Position in the chain: 1, 2, 3… without gaps.
    pub id: i64,
    /// Organisation concerned; `None` for a failed login under an unknown name.
    pub organisation_id: Option<i64>,
    /// The acting user, when a user acted.
    pub actor_user_id: Option<i64>,
    /// Who acted: a username (for a failed login, the name given), `cli` or `worker`.
    pub actor: String,
    /// What happened ([`AuditAction::as_str`]).
    pub action: String,
    /// What it was done to: a run id, an account id, a user or organisation name…
    pub subject: String,
    /// A JSON object, stored canonically.
    pub details: String,
    /// When (UTC, microseconds).
    pub occurred_at: NaiveDateTime,
    /// Hash of the event before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash`'s bytes and this event's canonical form.
    pub hash: String,
}

impl AuditEvent {
    /// The event as the chain sees it.
    pub fn chained(&self) -> ChainedEvent<'_> {
        ChainedEvent {
            id: self.id,
            organisation_id: self.organisation_id,
            actor_user_id: self.actor_user_id,
            actor: &self.actor,
            action: &self.action,
            subject: &self.subject,
            details: &self.details,
            occurred_at: self.occurred_at,
        }
    }
}

/// Insert form of [`AuditEvent`] (built by [`append`] only).
#[derive(Debug, Insertable)]
#[diesel(table_name = crate::schema::audit_events)]
struct EventRow<'a> {
    id: i64,
    organisation_id: Option<i64>,
    actor_user_id: Option<i64>,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    details: &'a str,
    occurred_at: NaiveDateTime,
    prev_hash: &'a str,
    hash: &'a str,
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A user, by primary key: the event names them by their username, read when it is written.
    User(i64),
    /// A name given by the caller, with the user's key when there is one (a login: the name typed,
    /// which may belong to nobody).
    Named {
        /// The user, if the name is one's.
        user_pk: Option<i64>,
        /// The name recorded.
        name: String,
    },
    /// The admin command line (`cli`).
    Cli,
    /// A background worker (`worker`).
    Worker,
}

impl Actor {
    fn resolve(&self, conn: &mut DbConn) -> DbResult<(Option<i64>, String)> {
        Ok(match self {
            Actor::User(pk) => (Some(*pk), users::get(conn, *pk)?.username),
            Actor::Named { user_pk, name } => (*user_pk, name.clone()),
            Actor::Cli => (None, "cli".to_string()),
            Actor::Worker => (None, "worker".to_string()),
        })
    }
}

/// An event to append: everything but its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    /// Organisation concerned (the one whose auditors may read it).
    pub organisation_id: Option<i64>,
    /// Who acted.
    pub actor: Actor,
    /// What happened.
    pub action: AuditAction,
    /// What it was done to.
    pub subject: String,
    /// A JSON object (anything else is refused).
    pub details: Value,
}

impl NewAuditEvent {
    /// An event with no organisation and empty details.
    pub fn new(action: AuditAction, actor: Actor, subject: impl Into<String>) -> NewAuditEvent {
        NewAuditEvent {
            organisation_id: None,
            actor,
            action,
            subject: subject.into(),
            details: Value::Object(serde_json::Map::new()),
        }
    }

    /// The organisation concerned.
    pub fn in_org(mut self, organisation_id: impl Into<Option<i64>>) -> NewAuditEvent {
        self.organisation_id = organisation_id.into();
        self
    }

    /// The details (a JSON object).
    pub fn details(mut self, details: Value) -> NewAuditEvent {
        self.details = details;
        self
    }
}

/// Appends an event at the end of the chain (in a transaction of its own, a savepoint inside the
/// caller's): numbers it, links it to the last event and hashes it. See the module documentation
/// for the lock and why this comes last in a transaction.
pub fn append(conn: &mut DbConn, event: &NewAuditEvent) -> DbResult<AuditEvent> {
    if !event.details.is_object() {
        return Err(DbError::Corrupt(
            "audit details must be a JSON object".to_string(),
        ));
    }
    let (actor_user_id, actor) = event.actor.resolve(conn)?;
    let details = domain::audit::canonical_json(&event.details);
    conn.transaction::<_, DbError, _>(|c| {
        let (id, prev) = chain::lock_head(c)?;
        let mut row = AuditEvent {
            id,
            organisation_id: event.organisation_id,
            actor_user_id,
            actor,
            action: event.action.as_str().to_string(),
            subject: event.subject.clone(),
            details,
            occurred_at: now(),
            prev_hash: prev.to_hex(),
            hash: String::new(),
        };
        row.hash = row
            .chained()
            .hash(&prev)
            .map_err(|e| DbError::Corrupt(format!("audit event {id}: {e}")))?
            .to_hex();
        diesel::insert_into(ae::audit_events)
            .values(EventRow {
                id: row.id,
                organisation_id: row.organisation_id,
                actor_user_id: row.actor_user_id,
                actor: &row.actor,
                action: &row.action,
                subject: &row.subject,
                details: &row.details,
                occurred_at: row.occurred_at,
                prev_hash: &row.prev_hash,
                hash: &row.hash,
            })
            .execute(c)?;
        chain::move_head(c, &row.hash)?;
        Ok(row)
    })
}

/// Runs `action` and appends the event `event` makes of its result in ONE transaction (a savepoint
/// inside the caller's), so the event exists exactly when the action's effects do: for actions
/// whose function does not record itself (the admin commands, a run sent back to verification).
pub fn recorded<T>(
    conn: &mut DbConn,
    action: impl FnOnce(&mut DbConn) -> DbResult<T>,
    event: impl FnOnce(&T) -> NewAuditEvent,
) -> DbResult<T> {
    conn.transaction::<_, DbError, _>(|c| {
        let done = action(c)?;
        append(c, &event(&done))?;
        Ok(done)
    })
}

/// An event about a run: its organisation, its public id as the subject, and `details` (an
/// object) with the run's `state` after the action added.
pub fn bulk_event(
    bulk: &Bulk,
    actor: Actor,
    action: AuditAction,
    mut details: Value,
) -> NewAuditEvent {
    if let Value::Object(map) = &mut details {
        map.insert("state".into(), Value::from(bulk.state.as_str()));
    }
    NewAuditEvent::new(action, actor, bulk.bulk_id.as_str())
        .in_org(bulk.organisation_id)
        .details(details)
}

/// Appends [`bulk_event`].
pub fn on_bulk(
    conn: &mut DbConn,
    bulk: &Bulk,
    actor: Actor,
    action: AuditAction,
    details: Value,
) -> DbResult<AuditEvent> {
    append(conn, &bulk_event(bulk, actor, action, details))
}

/// What [`list`] keeps (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<String>,
    /// Only events about this subject.
    pub subject: Option<String>,
    /// Only events at or after this time (UTC).
    pub from: Option<NaiveDateTime>,
    /// Only events strictly before this time (UTC).
    pub to: Option<NaiveDateTime>,
}

/// The organisation's events matching `filter`, newest first, strictly older than the cursor
/// `before` (an event id), at most `limit`.
pub fn list(
    conn: &mut DbConn,
    org: i64,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<AuditEvent>> {
    // PostgreSQL refuses a NUL in a text parameter; no stored text has one.
    let has_nul = |s: &Option<String>| s.as_deref().is_some_and(|s| s.contains('\0'));
    if has_nul(&filter.action) || has_nul(&filter.subject) {
        return Ok(Vec::new());
    }
    let mut q = ae::audit_events
        .filter(ae::organisation_id.eq(org))
        .select(AuditEvent::as_select())
        .order(ae::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(a) = &filter.action {
        q = q.filter(ae::action.eq(a.clone()));
    }
    if let Some(s) = &filter.subject {
        q = q.filter(ae::subject.eq(s.clone()));
    }
    if let Some(from) = filter.from {
        q = q.filter(ae::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(ae::occurred_at.lt(to));
    }
    if let Some(before) = before {
        q = q.filter(ae::id.lt(before));
    }
    Ok(q.load(conn)?)
}

/// Every event of the chain from id `after` on, in chain order, at most `limit` (for exports and
/// [`verify_chain`]).
pub fn range(conn: &mut DbConn, after: i64, limit: i64) -> DbResult<Vec<AuditEvent>> {
    Ok(ae::audit_events
        .filter(ae::id.gt(after))
        .order(ae::id.asc())
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)?)
}

/// The hash of the last event (64 zeros for an empty log): keep it elsewhere to detect a chain
/// rewritten from some event onward.
pub fn last_hash(conn: &mut DbConn) -> DbResult<(i64, AuditHash)> {
    chain::head(conn)
}
