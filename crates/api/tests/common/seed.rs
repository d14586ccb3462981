//! The data every test starts with: CNSS (a GESTIONNAIRE, a SUPERVISEUR, an inactive user, an
//! APPROBATEUR, an XOF account) and a second organisation (one GESTIONNAIRE, an XOF account).

use db::DbPool;
use db::models::{NewAccount, NewUser, now};
use db::queries::{accounts, orgs, users};

use super::{
    APPROBATEUR, BALANCE, GESTIONNAIRE, INACTIVE, OTHER_ORG_APPROVER, OTHER_ORG_USER, SUPERVISEUR,
};

fn add_user(c: &mut db::DbConn, org: i64, (name, pw): (&str, &str), role: &str, active: bool) {
    let hash = bcrypt::hash(pw, 4).unwrap();
    users::create(
        c,
        &NewUser {
            organisation_id: org,
            username: name,
            email: Some(&format!("{name}@example.org")),
            password_hash: &hash,
            role,
            active,
            created_at: now(),
        },
    )
    .unwrap();
}

fn add_account(c: &mut db::DbConn, org: i64, id: &str, balance: i64) -> i64 {
    let at = now();
    let a = accounts::create(
        c,
        &NewAccount {
            organisation_id: org,
            account_id: id,
            party_id_type: "MSISDN",
            party_identifier: "22890000000",
            currency: "XOF",
            created_at: at,
            updated_at: at,
        },
    )
    .unwrap();
    if balance > 0 {
        accounts::credit(c, a.id, balance).unwrap();
    }
    a.id
}

pub fn seed(pool: &DbPool, balance: i64) -> (i64, i64, i64) {
    let mut conn = pool.get().unwrap();
    let c: &mut db::DbConn = &mut conn;
    let cnss = orgs::create(c, "CNSS").unwrap();
    add_user(c, cnss.id, GESTIONNAIRE, "GESTIONNAIRE", true);
    add_user(c, cnss.id, SUPERVISEUR, "SUPERVISEUR", true);
    add_user(c, cnss.id, INACTIVE, "GESTIONNAIRE", false);
    add_user(c, cnss.id, APPROBATEUR, "APPROBATEUR", true);
    let account_pk = add_account(c, cnss.id, "CNSS-XOF-001", balance);
    let other = orgs::create(c, "AUTRE-CAISSE").unwrap();
    add_user(c, other.id, OTHER_ORG_USER, "GESTIONNAIRE", true);
    add_user(c, other.id, OTHER_ORG_APPROVER, "APPROBATEUR", true);
    add_account(c, other.id, "AUTRE-XOF-001", BALANCE);
    (cnss.id, other.id, account_pk)
}
