//! Organisations, users, accounts, credit and single reservations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use db::models::{NewUser, now};
use db::queries::{accounts, ledger, orgs, users};
use db::{Backend, DbError};

both_backends!(
    orgs_crud_and_conflict,
    users_crud_login_and_conflicts,
    accounts_crud_and_conflicts,
    credit_writes_journal,
    reserve_success_and_insufficient_funds,
);

fn orgs_crud_and_conflict(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let cnss = orgs::create(&mut c, "CNSS").unwrap();
    assert_eq!(cnss.name, "CNSS");
    assert_eq!(orgs::get(&mut c, cnss.id).unwrap(), cnss);
    assert_eq!(
        orgs::find_by_name(&mut c, "CNSS").unwrap(),
        Some(cnss.clone())
    );
    assert_eq!(orgs::find_by_name(&mut c, "IPRES").unwrap(), None);
    assert!(matches!(
        orgs::get(&mut c, cnss.id + 1000),
        Err(DbError::NotFound)
    ));
    let err = orgs::create(&mut c, "CNSS").unwrap_err();
    assert!(matches!(err, DbError::Conflict(_)), "{err:?}");
    // The refused insert did not break the connection.
    let ipres = orgs::create(&mut c, "IPRES").unwrap();
    assert_ne!(ipres.id, cnss.id);
}

fn new_user<'a>(org: i64, username: &'a str, email: Option<&'a str>) -> NewUser<'a> {
    NewUser {
        organisation_id: org,
        username,
        email,
        password_hash: "$2b$04$x",
        role: "SUPERVISEUR",
        active: true,
        created_at: now(),
    }
}

fn users_crud_login_and_conflicts(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let org = orgs::create(&mut c, "CNSS").unwrap();
    let awa = users::create(&mut c, &new_user(org.id, "awa", Some("awa@cnss.sn"))).unwrap();
    assert_eq!(awa.username, "awa");
    assert_eq!(awa.role, "SUPERVISEUR");
    assert!(awa.active);
    assert_eq!(users::get(&mut c, awa.id).unwrap(), awa);
    let no_mail = users::create(&mut c, &new_user(org.id, "moussa", None)).unwrap();
    assert_eq!(no_mail.email, None);
    // Several users without e-mail are allowed (NULLs are not equal).
    users::create(&mut c, &new_user(org.id, "fatou", None)).unwrap();

    assert_eq!(
        users::find_by_login(&mut c, "awa").unwrap(),
        Some(awa.clone())
    );
    assert_eq!(
        users::find_by_login(&mut c, "awa@cnss.sn").unwrap(),
        Some(awa.clone())
    );
    assert_eq!(
        users::find_by_login(&mut c, "moussa").unwrap(),
        Some(no_mail.clone())
    );
    assert_eq!(users::find_by_login(&mut c, "nobody").unwrap(), None);
    assert_eq!(
        users::find_by_login(&mut c, "AWA").unwrap(),
        None,
        "logins are exact"
    );

    let dup_name = users::create(&mut c, &new_user(org.id, "awa", Some("other@cnss.sn")));
    assert!(
        matches!(dup_name, Err(DbError::Conflict(_))),
        "{dup_name:?}"
    );
    let dup_mail = users::create(&mut c, &new_user(org.id, "awa2", Some("awa@cnss.sn")));
    assert!(
        matches!(dup_mail, Err(DbError::Conflict(_))),
        "{dup_mail:?}"
    );
    let bad_role = users::create(
        &mut c,
        &NewUser {
            role: "ROOT",
            ..new_user(org.id, "root", None)
        },
    );
    assert!(matches!(bad_role, Err(DbError::Query(_))), "{bad_role:?}");

    assert!(users::set_active(&mut c, awa.id, false).unwrap());
    assert!(!users::get(&mut c, awa.id).unwrap().active);
    assert!(users::set_active(&mut c, awa.id, true).unwrap());
    assert!(users::get(&mut c, awa.id).unwrap().active);
    assert!(!users::set_active(&mut c, awa.id + 1000, false).unwrap());
    assert!(users::set_password_hash(&mut c, awa.id, "$2b$04$new").unwrap());
    assert_eq!(
        users::get(&mut c, awa.id).unwrap().password_hash,
        "$2b$04$new"
    );
    assert!(!users::set_password_hash(&mut c, awa.id + 1000, "h").unwrap());
    // Other users untouched.
    assert_eq!(users::get(&mut c, no_mail.id).unwrap(), no_mail);
}

fn accounts_crud_and_conflicts(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 0);
    assert_eq!((w.account.balance, w.account.reserved), (0, 0));
    assert_eq!(w.account.available(), 0);
    assert_eq!(accounts::get(&mut c, w.account.id).unwrap(), w.account);
    assert_eq!(
        accounts::find_by_account_id(&mut c, "CNSS-acc").unwrap(),
        Some(w.account.clone())
    );
    assert_eq!(accounts::find_by_account_id(&mut c, "nope").unwrap(), None);
    assert_eq!(
        accounts::find_for_org(&mut c, w.org.id, "XOF").unwrap(),
        Some(w.account.clone())
    );
    assert_eq!(
        accounts::find_for_org(&mut c, w.org.id, "USD").unwrap(),
        None
    );
    let usd = open_account(&mut c, &w.org, "CNSS-usd", "USD");
    assert_eq!(
        accounts::list_for_org(&mut c, w.org.id).unwrap(),
        vec![w.account.clone(), usd.clone()]
    );
    // Same public id, or a second account in the same currency: both refused.
    let other = orgs::create(&mut c, "IPRES").unwrap();
    assert!(matches!(
        accounts::create(
            &mut c,
            &db::models::NewAccount {
                organisation_id: other.id,
                account_id: "CNSS-acc",
                party_id_type: "MSISDN",
                party_identifier: "1",
                currency: "GNF",
                created_at: now(),
                updated_at: now(),
            }
        ),
        Err(DbError::Conflict(_))
    ));
    let second_xof = accounts::create(
        &mut c,
        &db::models::NewAccount {
            organisation_id: w.org.id,
            account_id: "CNSS-xof-2",
            party_id_type: "MSISDN",
            party_identifier: "1",
            currency: "XOF",
            created_at: now(),
            updated_at: now(),
        },
    );
    assert!(
        matches!(second_xof, Err(DbError::Conflict(_))),
        "{second_xof:?}"
    );
    assert!(accounts::list_for_org(&mut c, other.id).unwrap().is_empty());
}

fn credit_writes_journal(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 0);
    let after = accounts::credit(&mut c, w.account.id, 1_000).unwrap();
    assert_eq!((after.balance, after.reserved), (1_000, 0));
    let after = accounts::credit(&mut c, w.account.id, 250).unwrap();
    assert_eq!(after.balance, 1_250);
    assert!(after.updated_at >= w.account.updated_at);
    let j = ledger::totals(&mut c, w.account.id).unwrap();
    assert_eq!(
        j,
        ledger::JournalTotals {
            credited: 1_250,
            ..Default::default()
        }
    );
    assert_eq!(journal_lines(&mut c), 2);
    // Refusals write nothing.
    assert!(matches!(
        accounts::credit(&mut c, w.account.id, 0),
        Err(DbError::Corrupt(_))
    ));
    assert!(accounts::credit(&mut c, w.account.id, -5).is_err());
    assert!(matches!(
        accounts::credit(&mut c, w.account.id + 1000, 5),
        Err(DbError::NotFound)
    ));
    assert_eq!(journal_lines(&mut c), 2);
    assert_ledger(&mut c, w.account.id);
}

fn reserve_success_and_insufficient_funds(backend: Backend) {
    let mut tdb = test_db(backend);
    let mut c = tdb.conn().unwrap();
    let w = world(&mut c, "CNSS", 1_000);
    accounts::reserve(&mut c, w.account.id, None, 600).unwrap();
    let acc = accounts::get(&mut c, w.account.id).unwrap();
    assert_eq!(
        (acc.balance, acc.reserved, acc.available()),
        (1_000, 600, 400)
    );
    accounts::reserve(&mut c, w.account.id, None, 400).unwrap();
    assert_eq!(accounts::get(&mut c, w.account.id).unwrap().available(), 0);
    match accounts::reserve(&mut c, w.account.id, None, 1) {
        Err(DbError::InsufficientFunds {
            required,
            available,
        }) => assert_eq!((required, available), (1, 0)),
        other => panic!("expected InsufficientFunds, got {other:?}"),
    }
    accounts::credit(&mut c, w.account.id, 50).unwrap();
    match accounts::reserve(&mut c, w.account.id, None, 70) {
        Err(DbError::InsufficientFunds {
            required,
            available,
        }) => assert_eq!((required, available), (70, 50)),
        other => panic!("expected InsufficientFunds, got {other:?}"),
    }
    let j = ledger::totals(&mut c, w.account.id).unwrap();
    assert_eq!(
        (j.credited, j.reserved, j.consumed, j.released),
        (1_050, 1_000, 0, 0)
    );
    let acc = accounts::get(&mut c, w.account.id).unwrap();
    assert_eq!((acc.balance, acc.reserved), (1_050, 1_000));
    assert_eq!(acc.reserved, j.expected_reserved());
    assert_eq!(acc.balance, j.expected_balance());
    // A non-positive amount is refused before anything moves (it would otherwise shrink the
    // reservation and leave the journal behind).
    for bad in [0, -5] {
        let err = accounts::reserve(&mut c, w.account.id, None, bad).unwrap_err();
        assert!(matches!(err, DbError::Corrupt(_)), "{err:?}");
    }
    assert_eq!(accounts::get(&mut c, w.account.id).unwrap().reserved, 1_000);
    assert_eq!(ledger::totals(&mut c, w.account.id).unwrap(), j);
    // An unknown account is NotFound, not "insufficient funds".
    assert!(matches!(
        accounts::reserve(&mut c, w.account.id + 1000, None, 1),
        Err(DbError::NotFound)
    ));
}

/// A refused PostgreSQL connection is reported at once with its cause, not as diesel's
/// "Invalid connection url" after the pool's timeout.
#[test]
fn refused_postgres_connection_names_its_cause() {
    let Err(err) = db::connect("postgres://postgres@127.0.0.1:1/gateway", 2) else {
        panic!("nothing listens on port 1");
    };
    let err = err.to_string();
    assert!(err.contains("cannot connect to PostgreSQL"), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(!err.contains("Invalid connection url"), "{err}");
}
