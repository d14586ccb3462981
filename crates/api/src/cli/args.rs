//! Parsing of the command line (no argument-parsing crate: the grammar is tiny).

use std::collections::HashMap;

use domain::{Currency, PartyIdType, PartyIdentifier, Role};

/// Usage text.
pub const USAGE: &str = "usage:
  gateway-api [serve]                      run the HTTP API (default)
  gateway-api migrate                      apply database migrations
  gateway-api create-org <name>
  gateway-api create-user --org <name> --username <u> [--email <e>] \
              --role GESTIONNAIRE|SUPERVISEUR|APPROBATEUR
                                           (password from ADMIN_PASSWORD or the first line of stdin)
  gateway-api create-account --org <name> --account-id <id> --currency <XOF> \\
              --party-id-type <MSISDN> --party-identifier <id>
  gateway-api credit --account-id <id> --amount <minor units>
  gateway-api set-policy --org <name> [--approval off|required] [--approval-threshold <minor units>|none]
              [--period-guard off|on] [--verification off|report|exclude]
                                           change an organisation's payment-run controls
  gateway-api resolve --transfer <mojaloopTransferId> --outcome COMPLETED|FAILED [--reason <text>] [--force]
                                           settle an UNKNOWN row: asks the switch first (SCHEME_ADAPTER_URL)
                                           and refuses an outcome it contradicts (exit 5); --force: also a
                                           row still under automatic lookup, or a switch that cannot answer
  gateway-api set-webhook-secret --org <name>
                                           generate the organisation's webhook signing secret
                                           (printed once; replaces the previous one)
  gateway-api seed-demo --demo             create the CNSS demo organisations, users and accounts
                                           (never where a demo organisation holds runs)
  gateway-api audit verify [--expect <id>:<hash>]
                                           recompute the audit log's hash chain (exit 4 if broken);
                                           --expect: an event's hash printed by an earlier check
  gateway-api openapi                      print the OpenAPI document (JSON)
  gateway-api help";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the HTTP API.
    Serve,
    /// Apply migrations.
    Migrate,
    /// Create an organisation.
    CreateOrg {
        /// Unique name.
        name: String,
    },
    /// Create a user (password from env or stdin).
    CreateUser {
        /// Organisation name.
        org: String,
        /// Login name.
        username: String,
        /// Optional e-mail.
        email: Option<String>,
        /// Role.
        role: Role,
    },
    /// Create an account at zero.
    CreateAccount {
        /// Organisation name.
        org: String,
        /// Public account id.
        account_id: String,
        /// Currency.
        currency: Currency,
        /// Payer party id type.
        party_id_type: PartyIdType,
        /// Payer party identifier.
        party_identifier: String,
    },
    /// Add money to an account.
    Credit {
        /// Public account id.
        account_id: String,
        /// Minor units, > 0.
        amount: i64,
    },
    /// Settle an UNKNOWN transfer by hand, once an operator has checked the switch.
    Resolve {
        /// The row's Mojaloop transfer id (UUID).
        transfer: String,
        /// `true`: money moved (COMPLETED); `false`: it did not (FAILED).
        completed: bool,
        /// Why (kept as the error message of a FAILED row).
        reason: Option<String>,
        /// `--force`: settle a row the workers still look up, or without the switch's answer.
        force: bool,
    },
    /// Change an organisation's policy (fields not given keep their value).
    SetPolicy {
        /// Organisation name.
        org: String,
        /// `--approval`.
        approval: Option<domain::ApprovalMode>,
        /// `--approval-threshold` (`Some(None)`: `none`, every run).
        approval_threshold: Option<Option<i64>>,
        /// `--period-guard`.
        period_guard: Option<bool>,
        /// `--verification`.
        verification: Option<domain::VerificationMode>,
    },
    /// Generate (or replace) an organisation's webhook signing secret and print it once.
    SetWebhookSecret {
        /// Organisation name.
        org: String,
    },
    /// Seed the demo organisation.
    SeedDemo,
    /// Recompute the audit chain.
    AuditVerify {
        /// An event id and the hash kept for it by an earlier check.
        expect: Option<(i64, String)>,
    },
    /// Print the OpenAPI document.
    OpenApi,
    /// Print the usage.
    Help,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad command line.
    #[error("{0}\n\n{USAGE}")]
    Usage(String),
    /// The organisation, user or account exists already.
    #[error("{0}")]
    AlreadyExists(String),
    /// The audit chain does not check out (which event, and why).
    #[error("{0}")]
    ChainBroken(String),
    /// Refused on the facts: the switch contradicts the outcome, or the row is not the operator's
    /// to settle yet.
    #[error("{0}")]
    Refused(String),
    /// Anything else.
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Failed(_) => 1,
            CliError::Usage(_) => 2,
            CliError::AlreadyExists(_) => 3,
            CliError::ChainBroken(_) => 4,
            CliError::Refused(_) => 5,
        }
    }
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// `--name value` pairs; refuses unknown, repeated and `--password` flags.
fn flags(args: &[String], allowed: &[&str]) -> Result<HashMap<String, String>, CliError> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let name = flag
            .strip_prefix("--")
            .ok_or_else(|| usage(format!("unexpected argument {flag:?}")))?;
        if name == "password" {
            return Err(usage(
                "passwords are never given as a flag: set ADMIN_PASSWORD or pipe it on stdin",
            ));
        }
        if !allowed.contains(&name) {
            return Err(usage(format!("unknown option --{name}")));
        }
        let value = it
            .next()
            .ok_or_else(|| usage(format!("--{name} needs a value")))?;
        if out.insert(name.to_string(), value.clone()).is_some() {
            return Err(usage(format!("--{name} given twice")));
        }
    }
    Ok(out)
}

fn take(f: &mut HashMap<String, String>, name: &str) -> Result<String, CliError> {
    f.remove(name)
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().to_string())
        .ok_or_else(|| usage(format!("--{name} is required")))
}

/// `--expect <id>:<64 hex digits>`.
fn parse_expect(value: &str) -> Result<(i64, String), CliError> {
    let bad = || usage("--expect takes <event id>:<hash>, as printed by `audit verify`");
    let (id, hash) = value.trim().split_once(':').ok_or_else(bad)?;
    let id = id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok((id, hash.to_ascii_lowercase()))
}

/// Parses the arguments after the program name.
pub fn parse_args<I, S>(args: I) -> Result<Command, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    let Some((cmd, rest)) = args.split_first() else {
        return Ok(Command::Serve);
    };
    let none = |rest: &[String]| {
        if rest.is_empty() {
            Ok(())
        } else {
            Err(usage(format!("{cmd} takes no arguments")))
        }
    };
    match cmd.as_str() {
        "serve" => none(rest).map(|_| Command::Serve),
        "migrate" => none(rest).map(|_| Command::Migrate),
        "seed-demo" => match rest {
            [flag] if flag == "--demo" => Ok(Command::SeedDemo),
            _ => Err(usage(
                "seed-demo adds users with well-known passwords and funds the demo accounts: \
                 confirm with `seed-demo --demo` (refused when a demo organisation holds runs)",
            )),
        },
        "openapi" => none(rest).map(|_| Command::OpenApi),
        "audit" => match rest.split_first() {
            Some((sub, flags_given)) if sub == "verify" => {
                let mut f = flags(flags_given, &["expect"])?;
                let expect = f.remove("expect").map(|e| parse_expect(&e)).transpose()?;
                Ok(Command::AuditVerify { expect })
            }
            _ => Err(usage("audit takes one subcommand: verify")),
        },
        "help" | "--help" | "-h" => Ok(Command::Help),
        "create-org" => match rest {
            [name] if !name.trim().is_empty() && !name.starts_with("--") => {
                Ok(Command::CreateOrg {
                    name: name.trim().to_string(),
                })
            }
            _ => Err(usage("create-org takes exactly one organisation name")),
        },
        "create-user" => {
            let mut f = flags(rest, &["org", "username", "email", "role"])?;
            let role = take(&mut f, "role")?;
            Ok(Command::CreateUser {
                org: take(&mut f, "org")?,
                username: take(&mut f, "username")?,
                email: f.remove("email").filter(|e| !e.trim().is_empty()),
                role: Role::parse(&role.to_uppercase()).map_err(|_| {
                    usage("--role must be GESTIONNAIRE, SUPERVISEUR or APPROBATEUR")
                })?,
            })
        }
        "create-account" => {
            let mut f = flags(
                rest,
                &[
                    "org",
                    "account-id",
                    "currency",
                    "party-id-type",
                    "party-identifier",
                ],
            )?;
            let currency = Currency::parse(&take(&mut f, "currency")?)
                .map_err(|e| usage(format!("--currency: {e}")))?;
            let party_id_type = PartyIdType::parse(&take(&mut f, "party-id-type")?)
                .map_err(|e| usage(format!("--party-id-type: {e}")))?;
            let party_identifier = take(&mut f, "party-identifier")?;
            PartyIdentifier::parse(party_id_type, &party_identifier)
                .map_err(|e| usage(format!("--party-identifier: {e}")))?;
            Ok(Command::CreateAccount {
                org: take(&mut f, "org")?,
                account_id: take(&mut f, "account-id")?,
                currency,
                party_id_type,
                party_identifier,
            })
        }
        "set-webhook-secret" => {
            let mut f = flags(rest, &["org"])?;
            Ok(Command::SetWebhookSecret {
                org: take(&mut f, "org")?,
            })
        }
        "credit" => {
            let mut f = flags(rest, &["account-id", "amount"])?;
            let amount = take(&mut f, "amount")?
                .parse::<i64>()
                .ok()
                .filter(|a| *a > 0)
                .ok_or_else(|| usage("--amount must be a positive integer of minor units"))?;
            Ok(Command::Credit {
                account_id: take(&mut f, "account-id")?,
                amount,
            })
        }
        "set-policy" => {
            let mut f = flags(
                rest,
                &[
                    "org",
                    "approval",
                    "approval-threshold",
                    "period-guard",
                    "verification",
                ],
            )?;
            let approval = f
                .remove("approval")
                .map(|a| {
                    domain::ApprovalMode::parse(&a.to_ascii_lowercase())
                        .map_err(|_| usage("--approval must be off or required"))
                })
                .transpose()?;
            let approval_threshold = f
                .remove("approval-threshold")
                .map(|t| match t.trim() {
                    "none" | "" => Ok(None),
                    n => n
                        .parse::<i64>()
                        .ok()
                        .filter(|n| *n >= 0)
                        .map(Some)
                        .ok_or_else(|| {
                            usage("--approval-threshold must be minor units (0 or more) or none")
                        }),
                })
                .transpose()?;
            let period_guard = f
                .remove("period-guard")
                .map(|g| match g.to_ascii_lowercase().as_str() {
                    "on" | "true" => Ok(true),
                    "off" | "false" => Ok(false),
                    _ => Err(usage("--period-guard must be on or off")),
                })
                .transpose()?;
            let verification = f
                .remove("verification")
                .map(|v| {
                    domain::VerificationMode::parse(&v.to_ascii_lowercase())
                        .map_err(|_| usage("--verification must be off, report or exclude"))
                })
                .transpose()?;
            Ok(Command::SetPolicy {
                org: take(&mut f, "org")?,
                approval,
                approval_threshold,
                period_guard,
                verification,
            })
        }
        "resolve" => {
            let force = rest.iter().filter(|a| *a == "--force").count();
            if force > 1 {
                return Err(usage("--force given twice"));
            }
            let rest: Vec<String> = rest.iter().filter(|a| *a != "--force").cloned().collect();
            let mut f = flags(&rest, &["transfer", "outcome", "reason"])?;
            let completed = match take(&mut f, "outcome")?.to_ascii_uppercase().as_str() {
                "COMPLETED" => true,
                "FAILED" => false,
                _ => return Err(usage("--outcome must be COMPLETED or FAILED")),
            };
            Ok(Command::Resolve {
                transfer: take(&mut f, "transfer")?,
                completed,
                reason: f.remove("reason"),
                force: force == 1,
            })
        }
        other => Err(usage(format!("unknown command {other:?}"))),
    }
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
