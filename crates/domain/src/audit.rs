//! The audit log's chain: what an event is called ([`AuditAction`]), its canonical form, and the
//! hash that links it to the event before it, so that editing, removing or reordering a stored event
//! shows when the chain is checked again.
//!
//! **Canonical form** (UTF-8, no whitespace, keys in exactly this order):
//!
//! ```text
//! {"id":7,"organisation_id":1,"actor_user_id":4,"actor":"approbateur","action":"bulk.approved",
//!  "subject":"bulk-…","details":{…},"occurred_at":"2026-12-03T09:15:02.123456Z"}
//! ```
//!
//! - `organisation_id` and `actor_user_id` are `null` when absent;
//! - strings are JSON strings as `serde_json` writes them (`"`, `\` and control characters escaped,
//!   everything else as is);
//! - `details` is re-serialized canonically: object keys sorted by their UTF-8 bytes, no whitespace,
//!   numbers as `serde_json` prints them, arrays in their order;
//! - `occurred_at` is UTC, RFC 3339 with exactly six decimals (microseconds, what both databases
//!   store) and `Z`.
//!
//! **Hash**: `hash = hex(SHA-256(prev ‖ canonical form))`, where `prev` is the 32 bytes of the
//! previous event's hash (hex-decoded) and 32 zero bytes for the first event ([`AuditHash::GENESIS`],
//! written as 64 zeros). Hex is lower case. One chain holds every organisation's events.

use std::fmt;

use chrono::NaiveDateTime;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::UnknownValue;

/// What an audit event records. Stored and listed as its [`as_str`](AuditAction::as_str) spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A user logged in.
    LoginSucceeded,
    /// A login was refused: wrong name or password, or a disabled account.
    LoginFailed,
    /// A user ended their session.
    Logout,
    /// A file was stored as a run (and its total reserved).
    BulkUploaded,
    /// A run's verification ended (exclusions applied, the run moved on).
    BulkVerified,
    /// A run's verification was started again by a user.
    BulkReverified,
    /// An APPROBATEUR approved a run.
    BulkApproved,
    /// An APPROBATEUR rejected a run.
    BulkRejected,
    /// A run was cancelled before any row was sent.
    BulkCancelled,
    /// A retry run was created for the FAILED rows of a run.
    BulkRetried,
    /// A scheduled run's time came and it started.
    BulkScheduledStart,
    /// `gateway-api create-org`.
    OrgCreated,
    /// `gateway-api create-user`.
    UserCreated,
    /// `gateway-api create-account`.
    AccountCreated,
    /// `gateway-api credit`.
    AccountCredited,
    /// `gateway-api resolve`: an UNKNOWN transfer settled by an operator.
    TransferResolved,
    /// `gateway-api set-policy`.
    PolicyChanged,
    /// `gateway-api seed-demo`.
    DemoSeeded,
    /// `gateway-api set-webhook-secret` (the secret itself is never recorded).
    WebhookSecretSet,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [AuditAction; 19] = [
        AuditAction::LoginSucceeded,
        AuditAction::LoginFailed,
        AuditAction::Logout,
        AuditAction::BulkUploaded,
        AuditAction::BulkVerified,
        AuditAction::BulkReverified,
        AuditAction::BulkApproved,
        AuditAction::BulkRejected,
        AuditAction::BulkCancelled,
        AuditAction::BulkRetried,
        AuditAction::BulkScheduledStart,
        AuditAction::OrgCreated,
        AuditAction::UserCreated,
        AuditAction::AccountCreated,
        AuditAction::AccountCredited,
        AuditAction::TransferResolved,
        AuditAction::PolicyChanged,
        AuditAction::DemoSeeded,
        AuditAction::WebhookSecretSet,
    ];

    /// The stored spelling, `<thing>.<what happened>`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::LoginSucceeded => "login.succeeded",
            AuditAction::LoginFailed => "login.failed",
            AuditAction::Logout => "logout",
            AuditAction::BulkUploaded => "bulk.uploaded",
            AuditAction::BulkVerified => "bulk.verified",
            AuditAction::BulkReverified => "bulk.reverified",
            AuditAction::BulkApproved => "bulk.approved",
            AuditAction::BulkRejected => "bulk.rejected",
            AuditAction::BulkCancelled => "bulk.cancelled",
            AuditAction::BulkRetried => "bulk.retried",
            AuditAction::BulkScheduledStart => "bulk.scheduled_start",
            AuditAction::OrgCreated => "org.created",
            AuditAction::UserCreated => "user.created",
            AuditAction::AccountCreated => "account.created",
            AuditAction::AccountCredited => "account.credited",
            AuditAction::TransferResolved => "transfer.resolved",
            AuditAction::PolicyChanged => "policy.changed",
            AuditAction::DemoSeeded => "demo.seeded",
            AuditAction::WebhookSecretSet => "webhook_secret.set",
        }
    }

    /// Parses the stored spelling (exact).
    pub fn parse(s: &str) -> Result<AuditAction, UnknownValue> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownValue::new("audit action", s))
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SHA-256 digest of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuditHash([u8; 32]);

impl AuditHash {
    /// The `prev_hash` of the first event: 32 zero bytes.
    pub const GENESIS: AuditHash = AuditHash([0; 32]);

    /// Parses 64 hex digits (either case).
    pub fn parse(hex_digits: &str) -> Result<AuditHash, ChainBreak> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_digits, &mut out).map_err(|_| {
            ChainBreak::Unreadable(format!("{hex_digits:?} is not a SHA-256 in hex"))
        })?;
        Ok(AuditHash(out))
    }

    /// Lower-case hex, as stored.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Why a stored event does not belong to the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The id is not the one after the previous event's (an event is missing).
    #[error("expected event {expected} here: events are missing")]
    Missing {
        /// The id the chain expected.
        expected: i64,
    },
    /// `prev_hash` is not the previous event's hash.
    #[error("prev_hash link broken: it is not the hash of the event before")]
    LinkBroken,
    /// The stored hash is not the hash of the event's content: the event was changed.
    #[error("hash mismatch: the event's content was changed after it was written")]
    HashMismatch,
    /// The chain's head does not name this event as the last one, its hash, or both: events after
    /// it were removed, or the head was changed.
    #[error(
        "the chain's head does not end at this event: later events were removed, or the head was changed"
    )]
    HeadMismatch,
    /// A stored value cannot be read (details that are not JSON, a hash that is not hex).
    #[error("unreadable: {0}")]
    Unreadable(String),
}

impl ChainBreak {
    /// Stable machine-readable code of this break.
    pub fn code(&self) -> &'static str {
        match self {
            ChainBreak::Missing { .. } => "events_missing",
            ChainBreak::LinkBroken => "prev_hash_link_broken",
            ChainBreak::HashMismatch => "hash_mismatch",
            ChainBreak::HeadMismatch => "head_mismatch",
            ChainBreak::Unreadable(_) => "unreadable",
        }
    }
}

/// One event as stored, the input of its canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainedEvent<'a> {
    /// Position in the chain: 1, 2, 3… without gaps.
    pub id: i64,
    /// Organisation concerned, if any.
    pub organisation_id: Option<i64>,
    /// The acting user, if a user acted.
    pub actor_user_id: Option<i64>,
    /// Who acted: a username, `cli` or `worker`.
    pub actor: &'a str,
    /// The action's spelling (see [`AuditAction`]).
    pub action: &'a str,
    /// What it was done to (a run id, an account id, a user name…).
    pub subject: &'a str,
    /// The details as stored: a JSON text.
    pub details: &'a str,
    /// When (UTC, microseconds).
    pub occurred_at: NaiveDateTime,
}

impl ChainedEvent<'_> {
    /// The canonical form (see the module documentation); refused when `details` is not JSON.
    pub fn canonical(&self) -> Result<String, ChainBreak> {
        let details: Value = serde_json::from_str(self.details)
            .map_err(|e| ChainBreak::Unreadable(format!("details are not JSON: {e}")))?;
        let mut out = String::with_capacity(160 + self.details.len());
        out.push_str("{\"id\":");
        out.push_str(&self.id.to_string());
        out.push_str(",\"organisation_id\":");
        push_optional(&mut out, self.organisation_id);
        out.push_str(",\"actor_user_id\":");
        push_optional(&mut out, self.actor_user_id);
        for (key, value) in [
            ("actor", self.actor),
            ("action", self.action),
            ("subject", self.subject),
        ] {
            out.push_str(",\"");
            out.push_str(key);
            out.push_str("\":");
            push_string(&mut out, value);
        }
        out.push_str(",\"details\":");
        push_canonical(&mut out, &details);
        out.push_str(",\"occurred_at\":\"");
        out.push_str(&rfc3339_micros(self.occurred_at));
        out.push_str("\"}");
        Ok(out)
    }

    /// This event's hash after `prev`.
    pub fn hash(&self, prev: &AuditHash) -> Result<AuditHash, ChainBreak> {
        let mut h = Sha256::new();
        h.update(prev.0);
        h.update(self.canonical()?.as_bytes());
        Ok(AuditHash(h.finalize().into()))
    }

    /// Checks the event as stored (`prev_hash`, `hash`) right after an event of id `prev_id` whose
    /// hash is `prev` (id 0 and [`AuditHash::GENESIS`] before the first event). Returns its hash.
    pub fn check(
        &self,
        prev_id: i64,
        prev: &AuditHash,
        stored_prev: &str,
        stored_hash: &str,
    ) -> Result<AuditHash, ChainBreak> {
        let expected = prev_id.saturating_add(1);
        if self.id != expected {
            return Err(ChainBreak::Missing { expected });
        }
        if AuditHash::parse(stored_prev)? != *prev {
            return Err(ChainBreak::LinkBroken);
        }
        let hash = self.hash(prev)?;
        if AuditHash::parse(stored_hash)? != hash {
            return Err(ChainBreak::HashMismatch);
        }
        Ok(hash)
    }
}

/// `value` re-serialized canonically: object keys sorted by their UTF-8 bytes, no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    push_canonical(&mut out, value);
    out
}

/// `t` (UTC) as RFC 3339 with microseconds: `2026-12-03T09:15:02.123456Z`.
pub fn rfc3339_micros(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn push_optional(out: &mut String, v: Option<i64>) {
    match v {
        Some(n) => out.push_str(&n.to_string()),
        None => out.push_str("null"),
    }
}

fn push_string(out: &mut String, s: &str) {
    // `Value`'s Display is serde_json's compact writer: the same escaping as everywhere else.
    out.push_str(&Value::String(s.to_owned()).to_string());
}

fn push_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => out.push_str(&value.to_string()),
        Value::String(s) => push_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted here, whatever order the map keeps (serde_json's `preserve_order` feature
            // may be switched on by any crate of the build).
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_string(out, key);
                out.push(':');
                if let Some(v) = map.get(key) {
                    push_canonical(out, v);
                }
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn at() -> NaiveDateTime {
        chrono::DateTime::parse_from_rfc3339("2026-12-03T09:15:02.123456Z")
            .unwrap()
            .naive_utc()
    }

    fn event(id: i64, details: &str) -> ChainedEvent<'_> {
        ChainedEvent {
            id,
            organisation_id: Some(1),
            actor_user_id: None,
            actor: "cli",
            action: "org.created",
            subject: "CNSS \"Lomé\"",
            details,
            occurred_at: at(),
        }
    }

    #[test]
    fn canonical_form_is_fixed() {
        let e = event(7, r#"{ "b": [2, {"z": 1, "a": null}], "a": "é" }"#);
        assert_eq!(
            e.canonical().unwrap(),
            r#"{"id":7,"organisation_id":1,"actor_user_id":null,"actor":"cli","action":"org.created","subject":"CNSS \"Lomé\"","details":{"a":"é","b":[2,{"a":null,"z":1}]},"occurred_at":"2026-12-03T09:15:02.123456Z"}"#
        );
    }

    #[test]
    fn key_order_and_spacing_of_details_do_not_change_the_hash() {
        let a = event(1, r#"{"count":5,"total":37500}"#);
        let b = event(1, "{ \"total\": 37500,\n \"count\": 5 }");
        let prev = AuditHash::GENESIS;
        assert_eq!(a.hash(&prev).unwrap(), b.hash(&prev).unwrap());
        assert_eq!(
            canonical_json(&json!({"total": 37500, "count": 5})),
            r#"{"count":5,"total":37500}"#
        );
    }

    #[test]
    fn hash_is_sha256_of_prev_bytes_then_canonical_form() {
        let e = event(1, "{}");
        let mut bytes = vec![0u8; 32];
        bytes.extend_from_slice(e.canonical().unwrap().as_bytes());
        let expected = crate::sha256_hex(&bytes);
        assert_eq!(e.hash(&AuditHash::GENESIS).unwrap().to_hex(), expected);
        assert_eq!(AuditHash::GENESIS.to_hex(), "0".repeat(64));
    }

    #[test]
    fn every_field_is_covered() {
        let base = event(2, r#"{"amount":500}"#);
        let prev = AuditHash::parse(&"ab".repeat(32)).unwrap();
        let h = base.hash(&prev).unwrap();
        let later = at() + chrono::Duration::microseconds(1);
        let changed = [
            ChainedEvent { id: 3, ..base },
            ChainedEvent {
                organisation_id: None,
                ..base
            },
            ChainedEvent {
                actor_user_id: Some(9),
                ..base
            },
            ChainedEvent {
                actor: "worker",
                ..base
            },
            ChainedEvent {
                action: "account.credited",
                ..base
            },
            ChainedEvent {
                subject: "CNSS",
                ..base
            },
            ChainedEvent {
                details: r#"{"amount":501}"#,
                ..base
            },
            ChainedEvent {
                occurred_at: later,
                ..base
            },
        ];
        for c in changed {
            assert_ne!(c.hash(&prev).unwrap(), h, "{c:?}");
        }
        assert_ne!(
            base.hash(&AuditHash::GENESIS).unwrap(),
            h,
            "prev is covered"
        );
    }

    #[test]
    fn check_names_what_is_wrong() {
        let first = event(1, "{}");
        let h1 = first.hash(&AuditHash::GENESIS).unwrap();
        let zeros = "0".repeat(64);
        let ok = first.check(0, &AuditHash::GENESIS, &zeros, &h1.to_hex());
        assert_eq!(ok.unwrap(), h1);
        // Upper-case hex is the same digest.
        let upper = h1.to_hex().to_uppercase();
        assert!(first.check(0, &AuditHash::GENESIS, &zeros, &upper).is_ok());

        let edited = event(1, r#"{"x":1}"#);
        let err = edited.check(0, &AuditHash::GENESIS, &zeros, &h1.to_hex());
        assert_eq!(err.unwrap_err(), ChainBreak::HashMismatch);

        let second = event(2, "{}");
        let h2 = second.hash(&h1).unwrap().to_hex();
        assert!(second.check(1, &h1, &h1.to_hex(), &h2).is_ok());
        let err = second.check(1, &h1, &zeros, &h2).unwrap_err();
        assert_eq!(err, ChainBreak::LinkBroken);
        let err = second
            .check(0, &AuditHash::GENESIS, &zeros, &h2)
            .unwrap_err();
        assert_eq!(err, ChainBreak::Missing { expected: 1 });

        let bad = event(1, "not json");
        let err = bad
            .check(0, &AuditHash::GENESIS, &zeros, &h1.to_hex())
            .unwrap_err();
        assert_eq!(err.code(), "unreadable");
        let err = first
            .check(0, &AuditHash::GENESIS, "zz", &h1.to_hex())
            .unwrap_err();
        assert_eq!(err.code(), "unreadable");
    }

    #[test]
    fn action_spellings() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()).unwrap(), a);
        }
        let distinct: std::collections::HashSet<_> =
            AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(distinct.len(), AuditAction::ALL.len());
        assert!(AuditAction::parse("bulk.deleted").is_err());
    }

    #[test]
    fn timestamps_keep_six_decimals() {
        let whole = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .naive_utc();
        assert_eq!(rfc3339_micros(whole), "2026-01-02T03:04:05.000000Z");
    }
}
