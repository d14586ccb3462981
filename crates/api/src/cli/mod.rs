//! The admin command line of the `gateway-api` binary (hand-parsed to keep the build lean).
//!
//! ```text
//! gateway-api [serve]
//! gateway-api migrate
//! gateway-api create-org <name>
//! gateway-api create-user --org <name> --username <u> [--email <e>] --role GESTIONNAIRE|SUPERVISEUR
//! gateway-api create-account --org <name> --account-id <id> --currency XOF \
//!             --party-id-type MSISDN --party-identifier 22890000000
//! gateway-api credit --account-id <id> --amount <minor units>
//! gateway-api resolve --transfer <mojaloopTransferId> --outcome COMPLETED|FAILED [--reason <text>]
//! gateway-api seed-demo --demo
//! gateway-api openapi
//! ```
//!
//! A user's password is read from `ADMIN_PASSWORD` or else from the first line of standard input,
//! never from a flag (flags end up in shell history and process listings). Exit codes: 0 done,
//! 1 failure, 2 usage error, 3 the thing to create already exists.

mod args;

use std::io::BufRead;

use anyhow::Context;
use common::env::Env;
use db::DbError;
use db::models::{NewAccount, NewUser, now};
use db::queries::settle::{Resolution, SettleItem, settle_batch};
use db::queries::{accounts, orgs, transfers, users};
use domain::TransferStatus;

use crate::auth::password::hash_password;
use crate::settings::Settings;
use crate::startup::{AppDeps, Application, connect_database};

pub use args::{CliError, Command, USAGE, parse_args};

/// Shortest password accepted by `create-user`.
pub const MIN_PASSWORD_LEN: usize = 8;

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// The new user's password: `ADMIN_PASSWORD`, else the first line of `input`.
pub fn read_password(env: &Env<'_>, input: &mut dyn BufRead) -> Result<String, CliError> {
    let password = match env.raw("ADMIN_PASSWORD") {
        Some(p) => p,
        None => {
            let mut line = String::new();
            input
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(usage(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters \
             (set ADMIN_PASSWORD or write it on stdin)"
        )));
    }
    Ok(password)
}

fn conflict_or(e: DbError, what: String) -> CliError {
    match e {
        DbError::Conflict(_) => CliError::AlreadyExists(what),
        other => CliError::Failed(other.into()),
    }
}

/// Runs a command. Admin commands need only `DATABASE_URL` (and `BCRYPT_COST` for users).
pub async fn run(cmd: Command, env: &Env<'_>) -> Result<(), CliError> {
    match cmd {
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::Serve => serve(env).await,
        Command::OpenApi => {
            use utoipa::OpenApi as _;
            let doc = crate::openapi::ApiDoc::openapi()
                .to_pretty_json()
                .context("serialising the OpenAPI document")?;
            println!("{doc}");
            Ok(())
        }
        other => {
            let url = env.string("DATABASE_URL", "sqlite://data/gateway.db");
            let cost = env.parse("BCRYPT_COST", 12u32).context("BCRYPT_COST")?;
            let password = match &other {
                Command::CreateUser { .. } => {
                    Some(read_password(env, &mut std::io::stdin().lock())?)
                }
                _ => None,
            };
            let pool = connect_database(&url, 2).await?;
            tokio::task::spawn_blocking(move || admin(other, &pool, cost, password))
                .await
                .context("admin task")?
        }
    }
}

async fn serve(env: &Env<'_>) -> Result<(), CliError> {
    let settings = Settings::from_env(env).context("reading the settings")?;
    common::telemetry::init(settings.log_format, "info,actix_server=warn");
    let deps = AppDeps::connect(&settings).await?;
    let app = Application::build(settings, deps).await?;
    tracing::info!(port = app.port(), "gateway API listening");
    app.run_until_stopped().await.context("HTTP server")?;
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

fn admin(
    cmd: Command,
    pool: &db::DbPool,
    cost: u32,
    password: Option<String>,
) -> Result<(), CliError> {
    let mut conn = pool.get().context("connecting to the database")?;
    let c: &mut db::DbConn = &mut conn;
    let org_id = |c: &mut db::DbConn, name: &str| -> Result<i64, CliError> {
        Ok(orgs::find_by_name(c, name)
            .context("reading organisations")?
            .ok_or_else(|| usage(format!("no organisation named {name:?}")))?
            .id)
    };
    match cmd {
        Command::Migrate => println!("database is up to date"),
        Command::CreateOrg { name } => {
            let o = orgs::create(c, &name)
                .map_err(|e| conflict_or(e, format!("organisation {name:?} already exists")))?;
            println!("created organisation {} (id {})", o.name, o.id);
        }
        Command::CreateUser {
            org,
            username,
            email,
            role,
        } => {
            let organisation_id = org_id(c, &org)?;
            let password = password.ok_or_else(|| usage("a password is required"))?;
            let hash = hash_password(&password, cost).context("hashing the password")?;
            let u = users::create(
                c,
                &NewUser {
                    organisation_id,
                    username: &username,
                    email: email.as_deref(),
                    password_hash: &hash,
                    role: role.as_str(),
                    active: true,
                    created_at: now(),
                },
            )
            .map_err(|e| conflict_or(e, format!("user {username:?} already exists")))?;
            println!(
                "created user {} ({}) in {org} (id {})",
                u.username, u.role, u.id
            );
        }
        Command::CreateAccount {
            org,
            account_id,
            currency,
            party_id_type,
            party_identifier,
        } => {
            let organisation_id = org_id(c, &org)?;
            let at = now();
            let a = accounts::create(
                c,
                &NewAccount {
                    organisation_id,
                    account_id: &account_id,
                    party_id_type: party_id_type.as_str(),
                    party_identifier: &party_identifier,
                    currency: currency.code(),
                    created_at: at,
                    updated_at: at,
                },
            )
            .map_err(|e| {
                conflict_or(
                    e,
                    format!("account {account_id:?} (or a {currency:?} account of {org}) exists"),
                )
            })?;
            println!(
                "created account {} ({}) for {org}",
                a.account_id, a.currency
            );
        }
        Command::SetWebhookSecret { org } => {
            let id = org_id(c, &org)?;
            let secret = new_webhook_secret();
            db::queries::webhooks::set_secret(c, id, &secret).context("storing the secret")?;
            println!("webhook secret of {org} (shown once; keep it in your receiver's vault):");
            println!("{secret}");
        }
        Command::Credit { account_id, amount } => {
            let a = accounts::find_by_account_id(c, &account_id)
                .context("reading accounts")?
                .ok_or_else(|| usage(format!("no account {account_id:?}")))?;
            let a = accounts::credit(c, a.id, amount).context("crediting")?;
            println!(
                "credited {amount} to {}: balance {} {}, available {}",
                a.account_id,
                a.balance,
                a.currency,
                a.available()
            );
        }
        Command::Resolve {
            transfer,
            completed,
            reason,
        } => {
            let row = transfers::find_by_mojaloop_id(c, &transfer)
                .context("reading transfers")?
                .ok_or_else(|| usage(format!("no transfer with Mojaloop id {transfer:?}")))?;
            if row.status != TransferStatus::Unknown.as_str() {
                return Err(usage(format!(
                    "transfer {transfer} is {}, not UNKNOWN: nothing to resolve",
                    row.status
                )));
            }
            let resolution = if completed {
                Resolution::Completed
            } else {
                Resolution::Failed {
                    code: "RESOLVED_BY_OPERATOR".into(),
                    message: reason.unwrap_or_else(|| "resolved as failed by an operator".into()),
                }
            };
            let item = SettleItem {
                transfer_pk: row.id,
                resolution,
            };
            settle_batch(c, &[item]).context("settling")?;
            let after = transfers::get(c, row.id).context("reading the transfer back")?;
            println!(
                "transfer {transfer} ({}) is now {}",
                after.transfer_id, after.status
            );
        }
        Command::SetPolicy {
            org,
            approval,
            approval_threshold,
            period_guard,
            verification,
        } => {
            let o = orgs::find_by_name(c, &org)
                .context("reading organisations")?
                .ok_or_else(|| usage(format!("no organisation {org:?}")))?;
            let mut p = o.policy().context("reading the policy")?;
            if let Some(a) = approval {
                p.approval = a;
            }
            if let Some(t) = approval_threshold {
                p.approval_threshold = t;
            }
            if let Some(g) = period_guard {
                p.period_guard = g;
            }
            if let Some(v) = verification {
                p.verification = v;
            }
            orgs::set_policy(c, o.id, &p).context("saving the policy")?;
            println!(
                "policy of {org}: approval {}, threshold {}, period guard {}, verification {}",
                p.approval,
                p.approval_threshold
                    .map_or_else(|| "none (every run)".to_string(), |t| t.to_string()),
                if p.period_guard { "on" } else { "off" },
                p.verification
            );
        }
        Command::SeedDemo => {
            // Known passwords and a top-up must never reach an organisation paying for real.
            for name in [
                crate::seed::DEMO_ORG,
                crate::seed::DEMO_APPROVAL_ORG,
                crate::seed::DEMO_VERIFY_ORG,
            ] {
                let Some(org) = orgs::find_by_name(c, name).context("reading organisations")?
                else {
                    continue;
                };
                let runs = db::queries::bulks::list_for_org(c, org.id, None, None, 1)
                    .context("reading runs")?;
                if !runs.is_empty() {
                    return Err(usage(format!(
                        "organisation {name:?} holds payment runs: seed-demo refuses to add \
                         demo users or money to it"
                    )));
                }
            }
            let s = crate::seed::seed_demo(pool, cost)?;
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
        }
        Command::Serve | Command::Help | Command::OpenApi => {}
    }
    Ok(())
}
