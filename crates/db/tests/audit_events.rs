//! What the db functions record in the audit log, in their own transaction (a refused action
//! records nothing), and how an organisation reads its events back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::models::{NewUser, User, now};
use db::queries::audit::{self, Actor, AuditEvent, AuditFilter, ChainCheck, NewAuditEvent};
use db::queries::{bulks, runs, users};
use db::{Backend, DbConn, DbError};
use domain::{AuditAction, BulkState};
use serde_json::{Value, json};

both_backends!(runs_record_who_did_what, list_is_scoped_and_filtered);

fn approver(c: &mut DbConn, w: &World) -> User {
    users::create(
        c,
        &NewUser {
            organisation_id: w.org.id,
            username: "visa",
            email: None,
            password_hash: "$2b$04$hash",
            role: "APPROBATEUR",
            active: true,
            created_at: now(),
        },
    )
    .unwrap()
}

fn waiting_bulk(c: &mut DbConn, w: &World, amounts: &[i64]) -> db::models::Bulk {
    let (mut spec, mut rows) = bulk_spec(w, &w.account, amounts);
    spec.state = BulkState::AwaitingApproval.into();
    spec.approval_required = true;
    bulks::create(c, &spec, &mut rows).unwrap()
}

fn events(c: &mut DbConn) -> Vec<AuditEvent> {
    audit::range(c, 0, 10_000).unwrap()
}

fn details(e: &AuditEvent) -> Value {
    serde_json::from_str(&e.details).unwrap()
}

fn runs_record_who_did_what(backend: Backend) {
    let mut db = test_db(backend);
    let mut c = db.conn().unwrap();
    let w = world(&mut c, "CNSS", 100_000);
    let visa = approver(&mut c, &w);

    // Upload: the uploader, the file, the totals.
    let a = waiting_bulk(&mut c, &w, &[1_000, 2_500]);
    let e = events(&mut c).pop().unwrap();
    assert_eq!(
        (e.action.as_str(), e.subject.as_str(), e.actor.as_str()),
        ("bulk.uploaded", a.bulk_id.as_str(), "CNSS-user")
    );
    assert_eq!(
        (e.organisation_id, e.actor_user_id),
        (Some(w.org.id), Some(w.user.id))
    );
    let d = details(&e);
    assert_eq!(d["count"], 2);
    assert_eq!(d["total"], 3_500);
    assert_eq!(d["currency"], "XOF");
    assert_eq!(d["fileSha256"], a.file_sha256.as_str());
    assert_eq!(d["state"], "AWAITING_APPROVAL");

    // A refused upload records nothing (same transaction).
    let before = events(&mut c).len();
    let (spec, mut rows) = bulk_spec(&w, &w.account, &[10_000_000]);
    let err = bulks::create(&mut c, &spec, &mut rows).unwrap_err();
    assert!(matches!(err, DbError::InsufficientFunds { .. }), "{err}");
    // A refused approval neither: the uploader cannot approve.
    let own = runs::Approval {
        user_pk: w.user.id,
        file_sha256: &a.file_sha256,
        verification_version: None,
    };
    assert!(matches!(
        runs::approve(&mut c, a.id, &own),
        Err(DbError::SameUser)
    ));
    assert_eq!(events(&mut c).len(), before);

    let visa_ok = runs::Approval {
        user_pk: visa.id,
        ..own
    };
    runs::approve(&mut c, a.id, &visa_ok).unwrap();
    let b = waiting_bulk(&mut c, &w, &[700]);
    runs::reject(&mut c, b.id, visa.id, "montants faux").unwrap();
    let d = create_bulk(&mut c, &w, &[300]);
    runs::cancel(&mut c, d.id, w.user.id).unwrap();
    let (mut spec, mut rows) = bulk_spec(&w, &w.account, &[400]);
    spec.state = BulkState::Scheduled.into();
    spec.execute_at = Some(now() - minutes(1));
    let s = bulks::create(&mut c, &spec, &mut rows).unwrap();
    assert_eq!(runs::start_due(&mut c, now(), 10).unwrap().len(), 1);

    let seen: Vec<(String, String, String)> = events(&mut c)
        .into_iter()
        .skip(before)
        .map(|e| (e.action, e.subject, e.actor))
        .collect();
    let row = |a: &str, s: &str, who: &str| (a.to_string(), s.to_string(), who.to_string());
    assert_eq!(
        seen,
        vec![
            row("bulk.approved", &a.bulk_id, "visa"),
            row("bulk.uploaded", &b.bulk_id, "CNSS-user"),
            row("bulk.rejected", &b.bulk_id, "visa"),
            row("bulk.uploaded", &d.bulk_id, "CNSS-user"),
            row("bulk.cancelled", &d.bulk_id, "CNSS-user"),
            row("bulk.uploaded", &s.bulk_id, "CNSS-user"),
            row("bulk.scheduled_start", &s.bulk_id, "worker"),
        ]
    );
    let all = events(&mut c);
    let approved = all.iter().find(|e| e.action == "bulk.approved").unwrap();
    assert_eq!(details(approved)["fileSha256"], a.file_sha256.as_str());
    assert_eq!(details(approved)["state"], "PENDING");
    let rejected = all.iter().find(|e| e.action == "bulk.rejected").unwrap();
    assert_eq!(details(rejected)["reason"], "montants faux");
    assert_eq!(details(rejected)["released"], 700);
    let started = all.last().unwrap();
    assert_eq!(
        (started.actor_user_id, details(started)["state"].clone()),
        (None, json!("PENDING"))
    );
    assert_eq!(
        audit::verify_chain(&mut c).unwrap(),
        ChainCheck::Intact {
            events: all.len() as i64
        }
    );
}

fn list_is_scoped_and_filtered(backend: Backend) {
    let mut db = test_db(backend);
    let mut c = db.conn().unwrap();
    let a = world(&mut c, "A", 0);
    let b = world(&mut c, "B", 0);
    let t0 = now();
    for i in 0..5 {
        let e = NewAuditEvent::new(AuditAction::AccountCredited, Actor::Cli, format!("acc-{i}"))
            .in_org(a.org.id)
            .details(json!({"amount": i}));
        audit::append(&mut c, &e).unwrap();
    }
    let login = NewAuditEvent::new(
        AuditAction::LoginFailed,
        Actor::Named {
            user_pk: Some(a.user.id),
            name: a.user.username.clone(),
        },
        a.user.username.clone(),
    )
    .in_org(a.org.id);
    audit::append(&mut c, &login).unwrap();
    let other = NewAuditEvent::new(AuditAction::OrgCreated, Actor::Cli, "B").in_org(b.org.id);
    audit::append(&mut c, &other).unwrap();
    let nobody = NewAuditEvent::new(
        AuditAction::LoginFailed,
        Actor::Named {
            user_pk: None,
            name: "mallory".into(),
        },
        "mallory",
    );
    audit::append(&mut c, &nobody).unwrap();

    let all = AuditFilter::default();
    let mine = audit::list(&mut c, a.org.id, &all, None, 100).unwrap();
    assert_eq!(mine.len(), 6, "A's events only");
    assert!(mine.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(mine.iter().all(|e| e.organisation_id == Some(a.org.id)));
    let theirs = audit::list(&mut c, b.org.id, &all, None, 100).unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].action, "org.created");

    let mut only = |f: AuditFilter| audit::list(&mut c, a.org.id, &f, None, 100).unwrap();
    let failed = only(AuditFilter {
        action: Some("login.failed".into()),
        ..all.clone()
    });
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].actor_user_id, Some(a.user.id));
    let acc2 = only(AuditFilter {
        subject: Some("acc-2".into()),
        ..all.clone()
    });
    assert_eq!(acc2.len(), 1);
    assert_eq!(details(&acc2[0])["amount"], 2);
    assert_eq!(
        only(AuditFilter {
            from: Some(t0),
            ..all.clone()
        })
        .len(),
        6
    );
    assert!(
        only(AuditFilter {
            to: Some(t0),
            ..all.clone()
        })
        .is_empty()
    );
    let nul = only(AuditFilter {
        subject: Some("a\0b".into()),
        ..all.clone()
    });
    assert!(nul.is_empty());

    // Paging by cursor: 4 + 2, no overlap.
    let first = audit::list(&mut c, a.org.id, &all, None, 4).unwrap();
    let next = audit::list(&mut c, a.org.id, &all, Some(first[3].id), 4).unwrap();
    assert_eq!((first.len(), next.len()), (4, 2));
    assert!(next[0].id < first[3].id);
}
