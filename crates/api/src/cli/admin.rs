//! The admin commands that change the database. Each writes its audit event (actor `cli`) in the
//! same transaction as its change ([`audit::recorded`]); `seed-demo`, many small writes, records
//! one event right after them.

use anyhow::Context;
use db::DbConn;
use db::models::{NewAccount, NewUser, now};
use db::queries::audit::{self, Actor, NewAuditEvent};
use db::queries::{accounts, bulks, orgs, users};
use domain::{AuditAction, Currency, PartyIdType, Role};
use serde_json::json;

use super::{CliError, Command, conflict_or, usage};
use crate::auth::password::hash_password;

/// Runs a database command on one pooled connection (blocking).
pub(super) fn admin(
    cmd: Command,
    pool: &db::DbPool,
    cost: u32,
    password: Option<String>,
) -> Result<(), CliError> {
    let mut conn = pool.get().context("connecting to the database")?;
    let c: &mut DbConn = &mut conn;
    match cmd {
        Command::Migrate => println!("database is up to date"),
        Command::CreateOrg { name } => create_org(c, &name)?,
        Command::CreateUser {
            org,
            username,
            email,
            role,
        } => {
            let password = password.ok_or_else(|| usage("a password is required"))?;
            let hash = hash_password(&password, cost).context("hashing the password")?;
            create_user(c, &org, &username, email.as_deref(), role, &hash)?;
        }
        Command::CreateAccount {
            org,
            account_id,
            currency,
            party_id_type,
            party_identifier,
        } => create_account(
            c,
            &org,
            &account_id,
            currency,
            party_id_type,
            &party_identifier,
        )?,
        Command::Credit { account_id, amount } => credit(c, &account_id, amount)?,
        Command::SetPolicy {
            org,
            approval,
            approval_threshold,
            period_guard,
            verification,
        } => {
            let o = org_named(c, &org)?;
            let mut p = o.policy().context("reading the policy")?;
            p.approval = approval.unwrap_or(p.approval);
            p.approval_threshold = approval_threshold.unwrap_or(p.approval_threshold);
            p.period_guard = period_guard.unwrap_or(p.period_guard);
            p.verification = verification.unwrap_or(p.verification);
            set_policy(c, &o, p)?;
        }
        Command::SeedDemo => seed(c, pool, cost)?,
        Command::SetWebhookSecret { org } => set_webhook_secret(c, &org)?,
        Command::AuditVerify { expect } => super::audit::verify(c, expect)?,
        Command::Serve | Command::Help | Command::OpenApi | Command::Resolve { .. } => {}
    }
    Ok(())
}

/// An event of the command line.
pub(super) fn cli_event(action: AuditAction, subject: &str, org: i64) -> NewAuditEvent {
    NewAuditEvent::new(action, Actor::Cli, subject).in_org(org)
}

fn org_named(c: &mut DbConn, name: &str) -> Result<db::models::Organisation, CliError> {
    orgs::find_by_name(c, name)
        .context("reading organisations")?
        .ok_or_else(|| usage(format!("no organisation named {name:?}")))
}

fn create_org(c: &mut DbConn, name: &str) -> Result<(), CliError> {
    let event = |o: &db::models::Organisation| cli_event(AuditAction::OrgCreated, &o.name, o.id);
    let o = audit::recorded(c, |c| orgs::create(c, name), event)
        .map_err(|e| conflict_or(e, format!("organisation {name:?} already exists")))?;
    println!("created organisation {} (id {})", o.name, o.id);
    Ok(())
}

fn create_user(
    c: &mut DbConn,
    org: &str,
    username: &str,
    email: Option<&str>,
    role: Role,
    password_hash: &str,
) -> Result<(), CliError> {
    let organisation_id = org_named(c, org)?.id;
    let new = NewUser {
        organisation_id,
        username,
        email,
        password_hash,
        role: role.as_str(),
        active: true,
        created_at: now(),
    };
    let event = |u: &db::models::User| {
        cli_event(AuditAction::UserCreated, &u.username, u.organisation_id)
            .details(json!({ "role": u.role, "email": u.email }))
    };
    let u = audit::recorded(c, |c| users::create(c, &new), event)
        .map_err(|e| conflict_or(e, format!("user {username:?} already exists")))?;
    println!(
        "created user {} ({}) in {org} (id {})",
        u.username, u.role, u.id
    );
    Ok(())
}

fn create_account(
    c: &mut DbConn,
    org: &str,
    account_id: &str,
    currency: Currency,
    party_id_type: PartyIdType,
    party_identifier: &str,
) -> Result<(), CliError> {
    let organisation_id = org_named(c, org)?.id;
    let at = now();
    let new = NewAccount {
        organisation_id,
        account_id,
        party_id_type: party_id_type.as_str(),
        party_identifier,
        currency: currency.code(),
        created_at: at,
        updated_at: at,
    };
    let event = |a: &db::models::Account| {
        cli_event(
            AuditAction::AccountCreated,
            &a.account_id,
            a.organisation_id,
        )
        .details(json!({
            "currency": a.currency,
            "partyIdType": a.party_id_type,
            "partyIdentifier": a.party_identifier,
        }))
    };
    let a = audit::recorded(c, |c| accounts::create(c, &new), event).map_err(|e| {
        conflict_or(
            e,
            format!("account {account_id:?} (or a {currency:?} account of {org}) exists"),
        )
    })?;
    println!(
        "created account {} ({}) for {org}",
        a.account_id, a.currency
    );
    Ok(())
}

/// A new signing secret: 244 random bits (two v4 UUIDs from the OS generator), hex, prefixed.
pub fn new_webhook_secret() -> String {
    format!(
        "whsec_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn set_webhook_secret(c: &mut DbConn, org: &str) -> Result<(), CliError> {
    let o = org_named(c, org)?;
    let secret = new_webhook_secret();
    let event = |_: &()| cli_event(AuditAction::WebhookSecretSet, &o.name, o.id);
    audit::recorded(
        c,
        |c| db::queries::webhooks::set_secret(c, o.id, &secret),
        event,
    )
    .context("storing the secret")?;
    println!("webhook secret of {org} (shown once; keep it in your receiver's vault):");
    println!("{secret}");
    Ok(())
}

fn credit(c: &mut DbConn, account_id: &str, amount: i64) -> Result<(), CliError> {
    let a = accounts::find_by_account_id(c, account_id)
        .context("reading accounts")?
        .ok_or_else(|| usage(format!("no account {account_id:?}")))?;
    let event = |a: &db::models::Account| {
        cli_event(
            AuditAction::AccountCredited,
            &a.account_id,
            a.organisation_id,
        )
        .details(json!({
            "amount": amount,
            "currency": a.currency,
            "balance": a.balance,
        }))
    };
    let a =
        audit::recorded(c, |c| accounts::credit(c, a.id, amount), event).context("crediting")?;
    println!(
        "credited {amount} to {}: balance {} {}, available {}",
        a.account_id,
        a.balance,
        a.currency,
        a.available()
    );
    Ok(())
}

fn set_policy(
    c: &mut DbConn,
    o: &db::models::Organisation,
    p: domain::OrgPolicy,
) -> Result<(), CliError> {
    let before = o.policy().context("reading the policy")?;
    let event = |_: &db::models::Organisation| {
        cli_event(AuditAction::PolicyChanged, &o.name, o.id)
            .details(json!({ "before": before, "after": p }))
    };
    audit::recorded(c, |c| orgs::set_policy(c, o.id, &p), event).context("saving the policy")?;
    println!(
        "policy of {}: approval {}, threshold {}, period guard {}, verification {}",
        o.name,
        p.approval,
        p.approval_threshold
            .map_or_else(|| "none (every run)".to_string(), |t| t.to_string()),
        if p.period_guard { "on" } else { "off" },
        p.verification
    );
    Ok(())
}

fn seed(c: &mut DbConn, pool: &db::DbPool, cost: u32) -> Result<(), CliError> {
    // Known passwords and a top-up must never reach an organisation paying for real.
    for name in [
        crate::seed::DEMO_ORG,
        crate::seed::DEMO_APPROVAL_ORG,
        crate::seed::DEMO_VERIFY_ORG,
    ] {
        let Some(org) = orgs::find_by_name(c, name).context("reading organisations")? else {
            continue;
        };
        let runs = bulks::list_for_org(c, org.id, None, None, 1).context("reading runs")?;
        if !runs.is_empty() {
            return Err(usage(format!(
                "organisation {name:?} holds payment runs: seed-demo refuses to add \
                 demo users or money to it"
            )));
        }
    }
    let s = crate::seed::seed_demo(pool, cost)?;
    let event = cli_event(
        AuditAction::DemoSeeded,
        crate::seed::DEMO_ORG,
        s.organisation_id,
    )
    .details(json!({ "createdUsers": s.created_users, "balance": s.balance }));
    audit::append(c, &event).context("recording the seeding")?;
    println!(
        "demo organisation {} (id {}), account {} balance {} XOF, new users: {}",
        crate::seed::DEMO_ORG,
        s.organisation_id,
        s.account_id,
        s.balance,
        if s.created_users.is_empty() {
            "none".to_string()
        } else {
            s.created_users.join(", ")
        }
    );
    Ok(())
}
