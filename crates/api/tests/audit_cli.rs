//! The admin commands in the audit log (the real binary), and `gateway-api audit verify`: exit 0
//! on an intact chain, 4 naming the first event changed behind the triggers' back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Output, Stdio};

use common::Backend;
use db::queries::audit;
use db::testing::TestDb;
use diesel::connection::SimpleConnection;

async fn test_db(backend: Backend) -> TestDb {
    tokio::task::spawn_blocking(move || TestDb::new(backend))
        .await
        .unwrap()
        .expect("a test database (is PostgreSQL running?)")
}

fn run(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gateway-api"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("BCRYPT_COST", "4")
        .env("ADMIN_PASSWORD", "long-enough-password")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs the command, asserts its exit code, returns what it printed.
fn ok(db: &TestDb, args: &[&str], code: i32) -> String {
    let out = run(db, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(code), "{args:?}: {text}");
    text
}

async fn admin_commands_are_audited_and_verified(backend: Backend) {
    let db = test_db(backend).await;
    ok(&db, &["create-org", "ACME"], 0);
    ok(&db, &["create-org", "ACME"], 3);
    let user = ["create-user", "--org", "ACME", "--username", "ama"];
    ok(&db, &[&user[..], &["--role", "SUPERVISEUR"]].concat(), 0);
    let account = [
        "create-account",
        "--org",
        "ACME",
        "--account-id",
        "ACME-XOF",
        "--currency",
        "XOF",
        "--party-id-type",
        "MSISDN",
        "--party-identifier",
        "22890000001",
    ];
    ok(&db, &account, 0);
    ok(
        &db,
        &["credit", "--account-id", "ACME-XOF", "--amount", "5000"],
        0,
    );
    ok(
        &db,
        &["set-policy", "--org", "ACME", "--approval", "required"],
        0,
    );

    let pool = db.pool();
    let events = tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        audit::range(&mut c, 0, 100).unwrap()
    })
    .await
    .unwrap();
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.subject.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("org.created", "ACME", "cli"),
            ("user.created", "ama", "cli"),
            ("account.created", "ACME-XOF", "cli"),
            ("account.credited", "ACME-XOF", "cli"),
            ("policy.changed", "ACME", "cli"),
        ],
        "the refused second create-org records nothing"
    );
    let org = events[0].organisation_id;
    assert!(org.is_some() && events.iter().all(|e| e.organisation_id == org));
    assert!(
        events[3].details.contains("\"amount\":5000"),
        "{}",
        events[3].details
    );
    assert!(events[4].details.contains("\"approval\":\"required\""));

    let text = ok(&db, &["audit", "verify"], 0);
    assert!(text.contains("audit chain intact: 5 events"), "{text}");
    let kept = format!("5:{}", events[4].hash);
    assert!(text.contains(&kept), "the last hash is printed: {text}");
    ok(&db, &["audit", "verify", "--expect", &kept], 0);
    let wrong = format!("5:{}", events[3].hash);
    let text = ok(&db, &["audit", "verify", "--expect", &wrong], 4);
    assert!(text.contains("audit chain rewritten: event 5"), "{text}");

    // Changed behind the triggers' back, as a superuser could.
    let pool = db.pool();
    tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        let drop_trigger = match backend {
            Backend::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER ALL",
            Backend::Sqlite => "DROP TRIGGER audit_events_no_update",
        };
        c.batch_execute(drop_trigger).unwrap();
        c.batch_execute(r#"UPDATE audit_events SET details = '{"amount":5000000}' WHERE id = 4"#)
            .unwrap();
    })
    .await
    .unwrap();
    let text = ok(&db, &["audit", "verify"], 4);
    assert!(
        text.contains("audit chain broken at event 4: hash mismatch"),
        "{text}"
    );
}

both_backends!(admin_commands_are_audited_and_verified);
