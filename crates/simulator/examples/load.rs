//! Load smoke test: `cargo run --release -p simulator --example load [url] [requests] [concurrency]`.
//! Without a URL it starts an in-process simulator (zero latency). Prints POSTs per second.

use simulator::{SimConfig, Simulator};
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let requests: usize = args.get(2).map_or(Ok(20_000), |s| s.parse())?;
    let concurrency: usize = args.get(3).map_or(Ok(64), |s| s.parse())?;
    let (url, sim) = match args.get(1).filter(|u| u.as_str() != "-") {
        Some(url) => (url.clone(), None),
        None => {
            let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0").await?;
            (sim.base_url(), Some(sim))
        }
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url) = (http.clone(), url.clone());
        let n = requests / concurrency;
        tasks.push(tokio::spawn(async move {
            let mut ok = 0usize;
            for _ in 0..n {
                let id = uuid::Uuid::new_v4().to_string();
                let body = serde_json::json!({
                    "homeTransactionId": format!("home-{id}"), "transferId": id,
                    "from": {"idType": "MSISDN", "idValue": "27710000001"},
                    "to": {"idType": "MSISDN", "idValue": "22890123456"},
                    "amountType": "SEND", "currency": "XOF", "amount": "10000",
                    "transactionType": "TRANSFER"
                });
                let resp = http
                    .post(format!("{url}/transfers"))
                    .json(&body)
                    .send()
                    .await;
                if let Ok(resp) = resp
                    && resp.status().is_success()
                    && resp.bytes().await.is_ok()
                {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{ok} completed POSTs in {secs:.2}s: {:.0}/s (concurrency {concurrency})",
        ok as f64 / secs
    );
    if let Some(sim) = sim {
        println!("{:?}", sim.counters().committed);
        sim.stop().await;
    }
    Ok(())
}
