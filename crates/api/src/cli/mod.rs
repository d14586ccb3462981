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
//! gateway-api resolve --transfer <mojaloopTransferId> --outcome COMPLETED|FAILED [--reason <text>] [--force]
//! gateway-api seed-demo --demo
//! gateway-api audit verify [--expect <id>:<hash>]
//! gateway-api openapi
//! ```
//!
//! Every command that changes the database records an audit event (actor `cli`) in the same
//! transaction ([`admin`]); `audit verify` recomputes the audit log's hash chain.
//!
//! A user's password is read from `ADMIN_PASSWORD` or else from the first line of standard input,
//! never from a flag (flags end up in shell history and process listings). Exit codes: 0 done,
//! 1 failure, 2 usage error, 3 the thing to create already exists, 4 the audit chain is broken,
//! 5 refused on the facts (`resolve` against the switch's answer, see [`resolve`]).

mod admin;
mod args;
mod audit;
mod resolve;

use std::io::BufRead;

use anyhow::Context;
use common::env::Env;
use db::DbError;

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
        Command::Resolve {
            transfer,
            completed,
            reason,
            force,
        } => {
            let url = env.string("DATABASE_URL", "sqlite://data/gateway.db");
            let adapter = resolve::Adapter {
                url: env.string("SCHEME_ADAPTER_URL", "http://127.0.0.1:4001"),
                timeout: env
                    .duration("ADAPTER_TIMEOUT", std::time::Duration::from_secs(60))
                    .context("ADAPTER_TIMEOUT")?,
            };
            let pool = connect_database(&url, 2).await?;
            let req = resolve::Request {
                transfer,
                completed,
                reason,
                force,
            };
            resolve::run(pool, adapter, req).await
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
            tokio::task::spawn_blocking(move || admin::admin(other, &pool, cost, password))
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
