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
  gateway-api resolve --transfer <mojaloopTransferId> --outcome COMPLETED|FAILED [--reason <text>]
                                           settle an UNKNOWN row after checking the switch
  gateway-api set-webhook-secret --org <name>
                                           generate the organisation's webhook signing secret
                                           (printed once; replaces the previous one)
  gateway-api seed-demo --demo             create the CNSS demo organisations, users and accounts
                                           (never where a demo organisation holds runs)
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
            let mut f = flags(rest, &["transfer", "outcome", "reason"])?;
            let completed = match take(&mut f, "outcome")?.to_ascii_uppercase().as_str() {
                "COMPLETED" => true,
                "FAILED" => false,
                _ => return Err(usage("--outcome must be COMPLETED or FAILED")),
            };
            Ok(Command::Resolve {
                transfer: take(&mut f, "transfer")?,
                completed,
                reason: f.remove("reason"),
            })
        }
        other => Err(usage(format!("unknown command {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
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
}
