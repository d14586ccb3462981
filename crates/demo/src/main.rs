//! `gateway-demo`: the whole gateway in one process (see the crate README).

use common::telemetry::{LogFormat, init};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let format = std::env::var("LOG_FORMAT")
        .ok()
        .and_then(|f| f.parse().ok())
        .unwrap_or(LogFormat::Text);
    init(format, "info,actix_server=warn");
    demo::run(&[], print_banner, common::shutdown::signal()).await
}
fn print_banner(info: &demo::DemoInfo, seed: &api::DemoSeed) {
    let api = &info.api_url;
    println!(
        "\n  Mojaloop bulk-payment gateway (embedded mode) is running.\n\
         \n  Console      {api}/   (in a browser; French, English selectable)\n  API          {api}\n  Swagger UI   {api}/swagger/\n  Simulator    {sim}\n  Data         ./data/gateway.db\n\
         \n  Demo users   gestionnaire / gestionnaire123  (GESTIONNAIRE, may upload)\n               superviseur / superviseur123    (SUPERVISEUR, read-only)\n  Account      {acc} (XOF), balance {bal}\n  Approval     organisation CNSS-VISA needs an approver's visa on every run:\n               gestionnaire-visa / approbateur123  (GESTIONNAIRE, uploads)\n               approbateur / approbateur123        (APPROBATEUR, approves or rejects)\n  Verification organisation CNSS-VERIF looks every payee up at the switch first\n               (unknown numbers and other people's names are excluded), then needs a visa:\n               gestionnaire-verif / approbateur123 (GESTIONNAIRE, uploads)\n               approbateur-verif / approbateur123  (APPROBATEUR, reads the report, approves)\n               try scripts/sample-verification.csv\n\
         \n  On purpose  the simulator never pays payee numbers ending in {failing}\n               (its fault rules; see the README), so failed rows and retries can be tried.\n\n  Try it:\n    scripts/test-workflow.sh {api}\n\
         \n  or by hand:\n    TOKEN=$(curl -s {api}/api/auth/login -H 'Content-Type: application/json' \\\n      -d '{{\"username\":\"gestionnaire\",\"password\":\"gestionnaire123\"}}' | sed -E 's/.*\"access\":\"([^\"]+)\".*/\\1/')\n    curl -s {api}/api/bulk-transfers -H \"Authorization: Bearer $TOKEN\" -F file=@scripts/sample-standard.csv\n\
         \n  Ctrl-C stops; data is kept for the next run.\n",
        sim = info.simulator_url,
        failing = simulator::Rule::failing_suffixes().join(", "),
        acc = seed.account_id,
        bal = seed.balance,
    );
}
