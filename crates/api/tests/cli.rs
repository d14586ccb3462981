//! The admin command line (the real binary) and the demo seeding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use api::seed::{DEMO_BALANCE, DemoCredentials, seed_demo, seed_demo_with};
use common::Backend;
use db::queries::{accounts, orgs, users};
use db::testing::TestDb;

async fn test_db(backend: Backend) -> TestDb {
    tokio::task::spawn_blocking(move || TestDb::new(backend))
        .await
        .unwrap()
        .expect("a test database (is PostgreSQL running?)")
}

fn run(db: &TestDb, args: &[&str], stdin: Option<&str>, admin_password: Option<&str>) -> Output {
    run_with(db, args, stdin, admin_password, &[])
}

fn run_with(
    db: &TestDb,
    args: &[&str],
    stdin: Option<&str>,
    admin_password: Option<&str>,
    envs: &[(&str, &str)],
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gateway-api"));
    cmd.args(args)
        .envs(envs.iter().copied())
        .env("DATABASE_URL", &db.url)
        .env("BCRYPT_COST", "4")
        .env_remove("ADMIN_PASSWORD")
        .env_remove("DEMO_GESTIONNAIRE_PASSWORD")
        .env_remove("DEMO_SUPERVISEUR_PASSWORD")
        .env_remove("DEMO_APPROBATEUR_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = admin_password {
        cmd.env("ADMIN_PASSWORD", p);
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn admin_commands(backend: Backend) {
    let db = test_db(backend).await;
    let out = run(&db, &["migrate"], None, None);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(&db, &["create-org", "ACME"], None, None);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(&db, &["create-org", "ACME"], None, None);
    assert_eq!(code(&out), 3, "{}", text(&out));

    // The webhook secret is generated, printed once and stored; a second one replaces it.
    let secret_of = |out: &Output| {
        let printed = String::from_utf8_lossy(&out.stdout).to_string();
        printed
            .lines()
            .find(|l| l.starts_with("whsec_"))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no secret printed: {printed}"))
    };
    let out = run(&db, &["set-webhook-secret", "--org", "ACME"], None, None);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let first = secret_of(&out);
    assert!(first.len() >= 64, "{first}");
    let out = run(&db, &["set-webhook-secret", "--org", "ACME"], None, None);
    let second = secret_of(&out);
    assert_ne!(first, second);
    let stored = {
        let mut c = db.pool().get().unwrap();
        let org = orgs::find_by_name(&mut c, "ACME").unwrap().unwrap();
        db::queries::webhooks::secret(&mut c, org.id).unwrap()
    };
    assert_eq!(stored.as_deref(), Some(second.as_str()));
    let out = run(&db, &["set-webhook-secret", "--org", "NOPE"], None, None);
    assert_eq!(code(&out), 2, "{}", text(&out));

    let user = [
        "create-user",
        "--org",
        "ACME",
        "--username",
        "alice",
        "--email",
        "alice@acme.example",
        "--role",
        "SUPERVISEUR",
    ];
    let out = run(&db, &user, Some("alice-password\n"), None);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        !text(&out).contains("alice-password"),
        "password never printed"
    );
    let out = run(&db, &user, Some("alice-password\n"), None);
    assert_eq!(code(&out), 3, "{}", text(&out));

    let bob = [
        "create-user",
        "--org",
        "ACME",
        "--username",
        "bob",
        "--role",
        "GESTIONNAIRE",
    ];
    let out = run(&db, &bob, None, Some("bob-password-env"));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(
        &db,
        &[
            "create-user",
            "--org",
            "ACME",
            "--username",
            "eve",
            "--role",
            "GESTIONNAIRE",
        ],
        Some("short\n"),
        None,
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    let mut with_flag = bob.to_vec();
    with_flag.extend(["--password", "x"]);
    let out = run(&db, &with_flag, None, None);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = run(
        &db,
        &[
            "create-user",
            "--org",
            "NOPE",
            "--username",
            "z",
            "--role",
            "GESTIONNAIRE",
        ],
        Some("long-enough-pw\n"),
        None,
    );
    assert_eq!(code(&out), 2, "{}", text(&out));

    let out = run(
        &db,
        &[
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
        ],
        None,
        None,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(
        &db,
        &["credit", "--account-id", "ACME-XOF", "--amount", "5000"],
        None,
        None,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(
        &db,
        &["credit", "--account-id", "NOPE", "--amount", "5"],
        None,
        None,
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = run(&db, &["frobnicate"], None, None);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = run(&db, &["help"], None, None);
    assert_eq!(code(&out), 0, "{}", text(&out));

    let pool = db.pool();
    tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        let org = orgs::find_by_name(&mut c, "ACME").unwrap().unwrap();
        let alice = users::find_by_login(&mut c, "alice@acme.example")
            .unwrap()
            .unwrap();
        assert_eq!(alice.role, "SUPERVISEUR");
        assert_eq!(alice.organisation_id, org.id);
        assert!(bcrypt::verify("alice-password", &alice.password_hash).unwrap());
        let bob = users::find_by_login(&mut c, "bob").unwrap().unwrap();
        assert!(bcrypt::verify("bob-password-env", &bob.password_hash).unwrap());
        assert!(users::find_by_login(&mut c, "eve").unwrap().is_none());
        let acc = accounts::find_by_account_id(&mut c, "ACME-XOF")
            .unwrap()
            .unwrap();
        assert_eq!(
            (acc.balance, acc.reserved, acc.currency.as_str()),
            (5000, 0, "XOF")
        );
    })
    .await
    .unwrap();

    // Known passwords need an explicit confirmation.
    let out = run(&db, &["seed-demo"], None, None);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--demo"));
    let out = run(&db, &["seed-demo", "--demo"], None, None);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("CNSS"));
}

async fn seeding_is_idempotent(backend: Backend) {
    let db = test_db(backend).await;
    let pool = db.pool();
    tokio::task::spawn_blocking(move || {
        let creds = DemoCredentials {
            gestionnaire_password: "g-secret-1".into(),
            superviseur_password: "s-secret-1".into(),
            approbateur_password: "a-secret-1".into(),
        };
        let first = seed_demo_with(&pool, 4, &creds).unwrap();
        assert_eq!(
            first.created_users,
            [
                "gestionnaire",
                "superviseur",
                "gestionnaire-visa",
                "approbateur",
                "gestionnaire-verif",
                "approbateur-verif"
            ]
        );
        assert_eq!(first.balance, DEMO_BALANCE);
        let second = seed_demo(&pool, 4).unwrap();
        assert!(second.created_users.is_empty());
        assert_eq!(second.organisation_id, first.organisation_id);
        assert_eq!(second.balance, DEMO_BALANCE);
        let mut c = pool.get().unwrap();
        let g = users::find_by_login(&mut c, "gestionnaire")
            .unwrap()
            .unwrap();
        assert_eq!(g.role, "GESTIONNAIRE");
        assert!(bcrypt::verify("g-secret-1", &g.password_hash).unwrap());
        let s = users::find_by_login(&mut c, "superviseur")
            .unwrap()
            .unwrap();
        assert_eq!(s.role, "SUPERVISEUR");
        let acc = accounts::find_for_org(&mut c, first.organisation_id, "XOF")
            .unwrap()
            .unwrap();
        assert_eq!(acc.balance, DEMO_BALANCE);
    })
    .await
    .unwrap();
}

/// An operator settles an UNKNOWN row by hand, after the switch (the simulator, through the SDK
/// client the workers use) has been asked: anything but UNKNOWN is refused, a row still under
/// automatic lookup needs `--force`, and an outcome the switch contradicts is refused even then.
async fn resolve_unknown(backend: Backend) {
    use db::models::{NewBulk, NewTransfer, now};
    use db::queries::settle::{Resolution, SettleItem, settle_batch};
    use db::queries::{bulks, ledger, transfers};
    use simulator::{SimConfig, Simulator};
    let db = test_db(backend).await;
    let pool = db.pool();
    seed_demo(&pool, 4).unwrap();
    let mut c = pool.get().unwrap();
    let acc = accounts::find_by_account_id(&mut c, "CNSS-XOF-001")
        .unwrap()
        .unwrap();
    let user = users::find_by_login(&mut c, "gestionnaire")
        .unwrap()
        .unwrap();
    let at = now();
    let row = |i: i64| NewTransfer {
        bulk_pk: 0,
        line: i + 1,
        transfer_id: format!("tx-{i}"),
        mojaloop_transfer_id: domain::new_mojaloop_transfer_id(),
        party_id_type: "MSISDN".into(),
        party_identifier: format!("2289000000{i}"),
        payee_name: None,
        amount: 100 * i,
        status: domain::TransferStatus::Pending.into(),
        created_at: at,
        updated_at: at,
        repeat_in_period: false,
    };
    let mut rows = vec![row(1), row(2), row(3)];
    let new = NewBulk {
        bulk_id: domain::new_bulk_id(),
        organisation_id: acc.organisation_id,
        account_pk: acc.id,
        currency: "XOF".into(),
        total_amount: 600,
        total_count: 3,
        state: domain::BulkState::Processing.into(),
        file_sha256: "x".into(),
        file_name: None,
        idempotency_key: None,
        callback_url: None,
        created_by: user.id,
        created_at: at,
        updated_at: at,
        period: None,
        execute_at: None,
        approval_required: false,
        parent_bulk_pk: None,
        verification_mode: "off".to_string(),
        msg_id: None,
        msg_name_id: None,
        payment_blocks: None,
    };
    let bulk = bulks::create(&mut c, &new, &mut rows).unwrap();
    let claimed = transfers::claim(&mut c, bulk.id, 10).unwrap();
    let unknown = |pk| SettleItem {
        transfer_pk: pk,
        resolution: Resolution::Unknown {
            reason: "504".into(),
            next_lookup_at: at,
        },
    };
    settle_batch(
        &mut c,
        &[
            unknown(claimed[0].id),
            unknown(claimed[1].id),
            unknown(claimed[2].id),
        ],
    )
    .unwrap();
    // Row 1 is parked for an operator (its lookups gave up); rows 2 and 3 are still looked up.
    assert!(db::queries::sweep::park_unknown(&mut c, claimed[0].id, "needs an operator").unwrap());
    drop(c);

    // CNSS now holds a run: seed-demo refuses to add known passwords or money to it.
    let out = run(&db, &["seed-demo", "--demo"], None, None);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("holds payment runs"), "{}", text(&out));

    // The switch: row 1 committed, row 2 aborted by the payee FSP (…5105), row 3 never seen.
    let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let sdk = sdk::SdkClient::new(&sim.base_url(), std::time::Duration::from_secs(5)).unwrap();
    let policy = |amount| sdk::QuotePolicy {
        expected_amount_minor: amount,
        exponent: 0,
        max_payee_fee_minor: 0,
    };
    for (row, payee) in [(&claimed[0], "22890123456"), (&claimed[1], "22890125105")] {
        let req = sdk::TransferRequest::send(
            row.transfer_id.clone(),
            row.mojaloop_transfer_id.clone(),
            sdk::Party::new("MSISDN", "22890000001"),
            sdk::Party::new("MSISDN", payee),
            "XOF",
            row.amount,
            0,
        );
        sdk.execute(&req, &policy(row.amount)).await;
    }
    let sim_url = sim.base_url();
    let with_switch = [("SCHEME_ADAPTER_URL", sim_url.as_str())];
    let resolve = |args: &[&str]| {
        let mut all = vec!["resolve"];
        all.extend_from_slice(args);
        run_with(&db, &all, None, None, &with_switch)
    };
    let id1 = claimed[0].mojaloop_transfer_id.clone();
    let id2 = claimed[1].mojaloop_transfer_id.clone();
    let id3 = claimed[2].mojaloop_transfer_id.clone();

    // The switch committed row 1: FAILED contradicts it (exit 5), even with --force.
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec!["--transfer", id1.as_str(), "--outcome", "FAILED"];
        args.extend_from_slice(extra);
        let out = resolve(&args);
        assert_eq!(code(&out), 5, "{}", text(&out));
        assert!(
            text(&out).contains("contradicts the switch"),
            "{}",
            text(&out)
        );
        assert!(text(&out).contains("COMMITTED"), "{}", text(&out));
    }
    // A switch that cannot answer confirms nothing: refused without --force.
    let out = run_with(
        &db,
        &["resolve", "--transfer", &id1, "--outcome", "COMPLETED"],
        None,
        None,
        &[
            ("SCHEME_ADAPTER_URL", "http://127.0.0.1:9"),
            ("ADAPTER_TIMEOUT", "2s"),
        ],
    );
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(text(&out).contains("cannot confirm"), "{}", text(&out));
    let out = resolve(&["--transfer", &id1, "--outcome", "COMPLETED"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("COMMITTED"), "{}", text(&out));

    // Row 2 is still under automatic lookup: refused unless --force; the switch aborted it, so
    // COMPLETED is refused even with --force, and FAILED goes through.
    let out = resolve(&["--transfer", &id2, "--outcome", "FAILED"]);
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(
        text(&out).contains("looked up automatically"),
        "{}",
        text(&out)
    );
    let out = resolve(&["--transfer", &id2, "--outcome", "COMPLETED", "--force"]);
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(text(&out).contains("ABORTED"), "{}", text(&out));
    let out = resolve(&[
        "--transfer",
        &id2,
        "--outcome",
        "FAILED",
        "--reason",
        "switch says aborted",
        "--force",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    // Row 3 never reached the switch: COMPLETED would invent a payment.
    let out = resolve(&["--transfer", &id3, "--outcome", "COMPLETED", "--force"]);
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(text(&out).contains("no such transfer"), "{}", text(&out));
    let mut c = pool.get().unwrap();
    assert_eq!(
        transfers::get(&mut c, claimed[2].id).unwrap().status,
        "UNKNOWN"
    );
    drop(c);
    sim.stop().await;

    // Already final now: refused, nothing moves twice.
    let out = resolve(&["--transfer", &id1, "--outcome", "FAILED"]);
    assert_eq!(code(&out), 2, "{}", text(&out));

    let mut c = pool.get().unwrap();
    let b = bulks::get(&mut c, bulk.id).unwrap();
    assert_eq!(b.state, "PROCESSING", "row 3 is still open");
    let r2 = transfers::get(&mut c, claimed[1].id).unwrap();
    assert_eq!(r2.error_code.as_deref(), Some("RESOLVED_BY_OPERATOR"));
    let a = accounts::get(&mut c, acc.id).unwrap();
    assert_eq!(a.reserved, 300, "row 3 stays UNKNOWN, its money reserved");
    assert_eq!(a.balance, acc.balance - 100);
    let t = ledger::totals(&mut c, acc.id).unwrap();
    assert_eq!(
        (t.expected_balance(), t.expected_reserved()),
        (a.balance, a.reserved)
    );
    // Each resolution is in the audit log, by `cli`, for the run's organisation.
    let filter = db::queries::audit::AuditFilter {
        action: Some("transfer.resolved".into()),
        ..Default::default()
    };
    let events = db::queries::audit::list(&mut c, acc.organisation_id, &filter, None, 10).unwrap();
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.subject.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(seen, [(id2.as_str(), "cli"), (id1.as_str(), "cli")]);
    let failed: serde_json::Value = serde_json::from_str(&events[0].details).unwrap();
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["reason"], "switch says aborted");
    assert_eq!(failed["bulkTransferId"], bulk.bulk_id.as_str());
    assert_eq!(failed["switch"], "ABORTED");
    assert_eq!(failed["forced"], true);
    let completed: serde_json::Value = serde_json::from_str(&events[1].details).unwrap();
    assert_eq!(completed["switch"], "COMMITTED");
    assert_eq!(completed["forced"], false);
}

both_backends!(admin_commands, seeding_is_idempotent, resolve_unknown);
