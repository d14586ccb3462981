#![doc = include_str!("../README.md")]

mod adapter;
mod client;
mod e2e;
mod fairness;
mod ingest;
mod latency;
mod load;
mod lookups;
mod opts;
mod overload;
mod procs;
mod report;
mod stack;
mod sysstat;
mod verify;
mod watchers;

use std::process::ExitCode;

use opts::{Opts, Scenario};
use report::Report;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty()
        || args
            .iter()
            .any(|a| a == "--help" || a == "-h" || a == "help")
    {
        println!("{}", opts::USAGE);
        return if args.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let opts = match opts::parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench: {e:#}\n\n{}", opts::USAGE);
            return ExitCode::from(2);
        }
    };
    match run(&opts, &args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Runs the scenarios; `false` when one of them failed to run (a missed target is not a failure).
async fn run(opts: &Opts, args: &[String]) -> anyhow::Result<bool> {
    let bins = procs::Bins::locate()?;
    let mut all = Report::default();
    let mut ok = true;
    for &scenario in &opts.scenarios {
        let background = sysstat::background_busy_pct(std::time::Duration::from_secs(1)).await;
        if background > 15.0 {
            eprintln!(
                "warning: the machine is already {background:.0}% busy before `{}` starts; \
                 figures will be lower than on a quiet machine",
                scenario.name()
            );
        }
        let meta = serde_json::json!({
            "background_busy_pct": background,
            "command": format!("cargo run --release -p bench -- {}", args.join(" ")),
            "started_at": chrono::Utc::now().to_rfc3339(),
            "machine": sysstat::machine_info(),
        });
        let started = std::time::Instant::now();
        let result = match scenario {
            Scenario::Ingest => ingest::run(&bins, opts).await,
            Scenario::Adapter => adapter::run(&bins, opts).await,
            Scenario::E2e => e2e::run(&bins, opts).await,
            Scenario::Latency => latency::run(&bins, opts).await,
            Scenario::Watchers => watchers::run(&bins, opts).await,
            Scenario::Fairness => fairness::run(&bins, opts).await,
            Scenario::Overload => overload::run(&bins, opts).await,
            Scenario::Verify => verify::run(&bins, opts).await,
        };
        match result {
            Ok(report) => {
                let mut meta = meta;
                meta["elapsed_secs"] = serde_json::json!(started.elapsed().as_secs_f64());
                meta["loadavg_after"] = serde_json::json!(sysstat::loadavg());
                let path = report::write_json(&opts.out, scenario.name(), &report, meta)?;
                println!();
                report::print_table(&report.rows);
                println!("results: {}", path.display());
                all.extend(report);
            }
            Err(e) => {
                eprintln!("bench: scenario {} failed: {e:#}", scenario.name());
                ok = false;
            }
        }
    }
    if opts.scenarios.len() > 1 {
        println!("\nall scenarios:");
        report::print_table(&all.rows);
    }
    Ok(ok)
}
