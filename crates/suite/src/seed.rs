//! More organisations than `seed-demo` makes (cross-organisation attacks, load).

use db::models::{NewAccount, NewUser, now};
use db::queries::{accounts, orgs, users};

use crate::stack::Stack;

/// Creates organisation `org` with `users` (`(username, password, role)`) and an XOF account
/// credited with `balance`; returns the account's primary key.
pub async fn add_org(stack: &Stack, org: &str, users_: &[(&str, &str, &str)], balance: i64) -> i64 {
    let cost = 4;
    let org = org.to_string();
    let list: Vec<(String, String, String)> = users_
        .iter()
        .map(|(u, p, r)| (u.to_string(), p.to_string(), r.to_string()))
        .collect();
    stack
        .db(move |c| {
            let o = orgs::create(c, &org).unwrap_or_else(|e| panic!("{e}"));
            for (u, p, r) in &list {
                let hash =
                    api::auth::password::hash_password(p, cost).unwrap_or_else(|e| panic!("{e}"));
                users::create(
                    c,
                    &NewUser {
                        organisation_id: o.id,
                        username: u,
                        email: None,
                        password_hash: &hash,
                        role: r,
                        active: true,
                        created_at: now(),
                    },
                )
                .unwrap_or_else(|e| panic!("{e}"));
            }
            let at = now();
            let account_id = format!("{org}-XOF-001");
            let a = accounts::create(
                c,
                &NewAccount {
                    organisation_id: o.id,
                    account_id: &account_id,
                    party_id_type: "MSISDN",
                    party_identifier: "22891000000",
                    currency: "XOF",
                    created_at: at,
                    updated_at: at,
                },
            )
            .unwrap_or_else(|e| panic!("{e}"));
            if balance > 0 {
                accounts::credit(c, a.id, balance).unwrap_or_else(|e| panic!("{e}"));
            }
            a.id
        })
        .await
}
