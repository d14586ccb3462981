//! Tests of the command-line grammar.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn parses_commands() {
    assert_eq!(parse_args(Vec::<String>::new()).unwrap(), Command::Serve);
    assert_eq!(parse_args(["migrate"]).unwrap(), Command::Migrate);
    assert_eq!(
        parse_args(["create-org", "CNSS"]).unwrap(),
        Command::CreateOrg {
            name: "CNSS".into()
        }
    );
    assert_eq!(
        parse_args([
            "create-user",
            "--org",
            "CNSS",
            "--username",
            "ama",
            "--role",
            "superviseur"
        ])
        .unwrap(),
        Command::CreateUser {
            org: "CNSS".into(),
            username: "ama".into(),
            email: None,
            role: Role::Superviseur
        }
    );
    assert_eq!(
        parse_args(["credit", "--account-id", "A1", "--amount", "500"]).unwrap(),
        Command::Credit {
            account_id: "A1".into(),
            amount: 500
        }
    );
    let acc = parse_args([
        "create-account",
        "--org",
        "CNSS",
        "--account-id",
        "A1",
        "--currency",
        "XOF",
        "--party-id-type",
        "MSISDN",
        "--party-identifier",
        "22890000000",
    ])
    .unwrap();
    assert!(matches!(
        acc,
        Command::CreateAccount {
            currency: Currency::XOF,
            ..
        }
    ));
    assert_eq!(
        parse_args(["audit", "verify"]).unwrap(),
        Command::AuditVerify { expect: None }
    );
    let hash = "AB".repeat(32);
    let expect = format!("12:{hash}");
    assert_eq!(
        parse_args(["audit", "verify", "--expect", &expect]).unwrap(),
        Command::AuditVerify {
            expect: Some((12, hash.to_ascii_lowercase()))
        }
    );
}

#[test]
fn refuses_bad_lines() {
    for args in [
        vec![
            "create-user",
            "--org",
            "C",
            "--username",
            "u",
            "--role",
            "R",
            "--password",
            "x",
        ],
        vec![
            "create-user",
            "--org",
            "C",
            "--username",
            "u",
            "--role",
            "BOSS",
        ],
        vec!["create-user", "--org", "C", "--username", "u"],
        vec!["credit", "--account-id", "A1", "--amount", "-5"],
        vec![
            "credit",
            "--account-id",
            "A1",
            "--amount",
            "5",
            "--amount",
            "6",
        ],
        vec!["create-org"],
        vec!["migrate", "now"],
        vec!["frobnicate"],
        vec!["audit"],
        vec!["audit", "rewrite"],
        vec!["audit", "verify", "--expect", "12"],
        vec!["audit", "verify", "--expect", "0:abc"],
        vec![
            "create-account",
            "--org",
            "C",
            "--account-id",
            "A",
            "--currency",
            "ZZZ",
            "--party-id-type",
            "MSISDN",
            "--party-identifier",
            "1",
        ],
    ] {
        let err = parse_args(args.clone()).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{args:?}");
    }
    let err = parse_args(["create-user", "--password", "x"]).unwrap_err();
    assert!(err.to_string().contains("never given as a flag"));
}

#[test]
fn resolve_takes_force_anywhere_once() {
    let parsed = |args: &[&str]| parse_args(args.iter().copied());
    let want = |force| Command::Resolve {
        transfer: "t-1".into(),
        completed: false,
        reason: None,
        force,
    };
    assert_eq!(
        parsed(&["resolve", "--transfer", "t-1", "--outcome", "failed"]).unwrap(),
        want(false)
    );
    assert_eq!(
        parsed(&[
            "resolve",
            "--force",
            "--transfer",
            "t-1",
            "--outcome",
            "FAILED"
        ])
        .unwrap(),
        want(true)
    );
    let twice = parsed(&[
        "resolve",
        "--force",
        "--transfer",
        "t-1",
        "--outcome",
        "FAILED",
        "--force",
    ]);
    assert!(matches!(twice, Err(CliError::Usage(_))), "{twice:?}");
}
