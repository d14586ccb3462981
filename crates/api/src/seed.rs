//! Demo data: organisation `CNSS`, users `gestionnaire` and `superviseur`, an XOF account with a
//! large balance; and a second organisation, `CNSS-VISA`, whose runs need an approver's visa
//! (policy `approval: required`), with `gestionnaire-visa` (uploads) and `approbateur` (approves).
//! Idempotent: run it any number of times, existing rows are kept as they are (only the accounts
//! are topped up back to [`DEMO_BALANCE`]).

use anyhow::Context;
use db::models::{NewAccount, NewUser, now};
use db::queries::{accounts, orgs, users};
use db::{DbConn, DbError, DbPool};
use domain::Role;

use crate::auth::password::hash_password;

/// Name of the demo organisation.
pub const DEMO_ORG: &str = "CNSS";
/// Name of the demo organisation whose runs need approval.
pub const DEMO_APPROVAL_ORG: &str = "CNSS-VISA";
/// The third demo organisation: verifies every payee before paying (`exclude`), then needs an
/// approval. Its users: `gestionnaire-verif` (GESTIONNAIRE) and `approbateur-verif` (APPROBATEUR),
/// with the APPROBATEUR demo password.
pub const DEMO_VERIFY_ORG: &str = "CNSS-VERIF";
/// Public id of the account of [`DEMO_VERIFY_ORG`].
pub const DEMO_VERIFY_ACCOUNT_ID: &str = "CNSS-VERIF-XOF-001";
/// Public id of the demo account.
pub const DEMO_ACCOUNT_ID: &str = "CNSS-XOF-001";
/// Payer MSISDN of the demo account.
pub const DEMO_PAYER_MSISDN: &str = "22890000000";
/// Balance the demo account is brought up to (XOF has no decimals).
pub const DEMO_BALANCE: i64 = 1_000_000_000;
/// Webhook signing secret given to every demo organisation that has none: well known, like the
/// demo passwords, so a local receiver can check signatures.
pub const DEMO_WEBHOOK_SECRET: &str = "whsec_demo_well_known_not_secret";

/// The passwords of the demo users.
#[derive(Clone)]
pub struct DemoCredentials {
    /// Password of `gestionnaire`.
    pub gestionnaire_password: String,
    /// Password of `superviseur`.
    pub superviseur_password: String,
    /// Password of `gestionnaire-visa` and `approbateur` (organisation `CNSS-VISA`).
    pub approbateur_password: String,
}

impl std::fmt::Debug for DemoCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoCredentials([REDACTED])")
    }
}

impl DemoCredentials {
    /// `DEMO_GESTIONNAIRE_PASSWORD` / `DEMO_SUPERVISEUR_PASSWORD`, or `gestionnaire123` /
    /// `superviseur123`.
    pub fn from_env(env: &common::env::Env<'_>) -> DemoCredentials {
        DemoCredentials {
            gestionnaire_password: env.string("DEMO_GESTIONNAIRE_PASSWORD", "gestionnaire123"),
            superviseur_password: env.string("DEMO_SUPERVISEUR_PASSWORD", "superviseur123"),
            approbateur_password: env.string("DEMO_APPROBATEUR_PASSWORD", "approbateur123"),
        }
    }
}

/// What [`seed_demo`] left in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSeed {
    /// Id of `CNSS`.
    pub organisation_id: i64,
    /// Usernames created by this call (existing users are left untouched).
    pub created_users: Vec<String>,
    /// Public id of the XOF account.
    pub account_id: String,
    /// Its balance afterwards.
    pub balance: i64,
}

/// Seeds the demo data with passwords from the environment (see [`DemoCredentials::from_env`]).
/// Blocking: call it from a blocking context.
pub fn seed_demo(pool: &DbPool, cost: u32) -> anyhow::Result<DemoSeed> {
    seed_demo_with(
        pool,
        cost,
        &DemoCredentials::from_env(&common::env::Env::process()),
    )
}

/// Seeds the demo data with the given passwords (used only for users that do not exist yet).
pub fn seed_demo_with(
    pool: &DbPool,
    cost: u32,
    creds: &DemoCredentials,
) -> anyhow::Result<DemoSeed> {
    let mut conn = pool.get().context("connecting to the database")?;
    let c: &mut DbConn = &mut conn;
    let org = org_named(c, DEMO_ORG)?;
    let mut created_users = add_users(
        c,
        org.id,
        cost,
        &[
            (
                "gestionnaire",
                Role::Gestionnaire,
                &creds.gestionnaire_password,
            ),
            (
                "superviseur",
                Role::Superviseur,
                &creds.superviseur_password,
            ),
        ],
    )?;
    let account = funded_account(c, org.id, DEMO_ACCOUNT_ID, DEMO_PAYER_MSISDN)?;
    // The second organisation shows the four-eyes flow without changing the first one's.
    let visa = org_named(c, DEMO_APPROVAL_ORG)?;
    if visa.approval_mode == domain::ApprovalMode::Off.as_str() {
        let policy = domain::OrgPolicy {
            approval: domain::ApprovalMode::Required,
            ..domain::OrgPolicy::default()
        };
        orgs::set_policy(c, visa.id, &policy)?;
    }
    created_users.extend(add_users(
        c,
        visa.id,
        cost,
        &[
            (
                "gestionnaire-visa",
                Role::Gestionnaire,
                &creds.approbateur_password,
            ),
            (
                "approbateur",
                Role::Approbateur,
                &creds.approbateur_password,
            ),
        ],
    )?);
    funded_account(c, visa.id, DEMO_APPROVAL_ACCOUNT_ID, "22890000001")?;
    created_users.extend(seed_verify_org(c, cost, creds)?);
    for name in [DEMO_ORG, DEMO_APPROVAL_ORG, DEMO_VERIFY_ORG] {
        let id = org_named(c, name)?.id;
        if db::queries::webhooks::secret(c, id)?.is_none() {
            db::queries::webhooks::set_secret(c, id, DEMO_WEBHOOK_SECRET)?;
        }
    }
    Ok(DemoSeed {
        organisation_id: org.id,
        created_users,
        account_id: account.account_id,
        balance: account.balance,
    })
}

/// [`DEMO_VERIFY_ORG`]: verification `exclude` and approval required (set once, when the
/// organisation is new), its two users and its funded account.
fn seed_verify_org(
    c: &mut DbConn,
    cost: u32,
    creds: &DemoCredentials,
) -> anyhow::Result<Vec<String>> {
    let org = org_named(c, DEMO_VERIFY_ORG)?;
    if org.verification_mode == domain::VerificationMode::Off.as_str() {
        let policy = domain::OrgPolicy {
            approval: domain::ApprovalMode::Required,
            verification: domain::VerificationMode::Exclude,
            ..domain::OrgPolicy::default()
        };
        orgs::set_policy(c, org.id, &policy)?;
    }
    let users = add_users(
        c,
        org.id,
        cost,
        &[
            (
                "gestionnaire-verif",
                Role::Gestionnaire,
                &creds.approbateur_password,
            ),
            (
                "approbateur-verif",
                Role::Approbateur,
                &creds.approbateur_password,
            ),
        ],
    )?;
    funded_account(c, org.id, DEMO_VERIFY_ACCOUNT_ID, "22890000002")?;
    Ok(users)
}

/// Public id of the account of [`DEMO_APPROVAL_ORG`].
pub const DEMO_APPROVAL_ACCOUNT_ID: &str = "CNSS-VISA-XOF-001";

fn org_named(c: &mut DbConn, name: &str) -> anyhow::Result<db::models::Organisation> {
    Ok(match orgs::find_by_name(c, name)? {
        Some(o) => o,
        None => match orgs::create(c, name) {
            Ok(o) => o,
            // Another process seeded it at the same moment.
            Err(DbError::Conflict(_)) => {
                orgs::find_by_name(c, name)?.context("organisation vanished while seeding")?
            }
            Err(e) => return Err(e.into()),
        },
    })
}

/// Creates the users that do not exist yet; returns their names.
fn add_users(
    c: &mut DbConn,
    org: i64,
    cost: u32,
    wanted: &[(&str, Role, &String)],
) -> anyhow::Result<Vec<String>> {
    let mut created_users = Vec::new();
    for &(username, role, password) in wanted {
        if users::find_by_login(c, username)?.is_some() {
            continue;
        }
        let hash = hash_password(password, cost).context("hashing a demo password")?;
        // An e-mail too, for frontends that log in with one (the seed's React app does).
        let email = format!("{username}@cnss.example");
        let new = NewUser {
            organisation_id: org,
            username,
            email: Some(&email),
            password_hash: &hash,
            role: role.as_str(),
            active: true,
            created_at: now(),
        };
        match users::create(c, &new) {
            Ok(_) => created_users.push(username.to_string()),
            Err(DbError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(created_users)
}

/// The organisation's XOF account, created if missing, topped up to [`DEMO_BALANCE`].
fn funded_account(
    c: &mut DbConn,
    org: i64,
    account_id: &str,
    payer: &str,
) -> anyhow::Result<db::models::Account> {
    let account = match accounts::find_for_org(c, org, "XOF")? {
        Some(a) => a,
        None => {
            let at = now();
            let new = NewAccount {
                organisation_id: org,
                account_id,
                party_id_type: "MSISDN",
                party_identifier: payer,
                currency: "XOF",
                created_at: at,
                updated_at: at,
            };
            match accounts::create(c, &new) {
                Ok(a) => a,
                Err(DbError::Conflict(_)) => accounts::find_for_org(c, org, "XOF")?
                    .context("account vanished while seeding")?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(if account.balance < DEMO_BALANCE {
        accounts::credit(c, account.id, DEMO_BALANCE - account.balance)?
    } else {
        account
    })
}
