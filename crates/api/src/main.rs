//! `gateway-api`: the HTTP API (`serve`, the default) and the admin commands (see [`api::cli`]).

use std::process::ExitCode;

use common::env::Env;

#[tokio::main]
async fn main() -> ExitCode {
    let cmd = match api::cli::parse_args(std::env::args().skip(1)) {
        Ok(cmd) => cmd,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(e.exit_code());
        }
    };
    match api::cli::run(cmd, &Env::process()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gateway-api: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
