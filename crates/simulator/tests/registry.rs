//! The party registry: loaded from a CSV (the sample files included), upserted at run time, seen
//! by lookups and by the manual flow's POST; a bad file refused naming its line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use simulator::{PartyEntry, PartyRegistry, SimConfig, SimHandle, Simulator};
use support::*;

async fn start_with(cfg: SimConfig, csv: &str) -> SimHandle {
    let parties = PartyRegistry::from_csv(csv).expect("registry");
    Simulator::start_with_parties(cfg, parties, "127.0.0.1:0")
        .await
        .expect("simulator starts")
}

const REGISTRY: &str = "idType,idValue,firstName,lastName,dateOfBirth,fspId
MSISDN,22890112201,Ama,Mensah,1952-04-11,tmoney
MSISDN,22890112208,Essi,Lawson,,
MSISDN,22890112230,Yao,,,moovmoney
MSISDN,2250707112217,,,,orangemoney
MSISDN,22890113204,Komi,Adzoh,1950-01-01,tmoney
EMAIL,ama@example.tg,Ama,Mensah,,tmoney
";

fn registry_path(name: &str) -> String {
    format!("{}/../../scripts/{name}", env!("CARGO_MANIFEST_DIR"))
}
#[tokio::test]
async fn the_registry_wins_and_answers_only_what_it_knows() {
    let sim = start_with(SimConfig::default(), REGISTRY).await;
    let base = sim.base_url();

    let (status, body) = lookup(&base, "MSISDN", "22890112201").await;
    assert_eq!(status, 200);
    assert_same_shape(&body, "get-parties");
    assert_eq!(
        body["party"]["body"],
        json!({
            "partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": "22890112201", "fspId": "tmoney"},
            "name": "Ama Mensah",
            "personalInfo": {"complexName": {"firstName": "Ama", "lastName": "Mensah"}, "dateOfBirth": "1952-04-11"}
        })
    );
    assert_eq!(body["party"]["headers"]["fspiop-source"], "tmoney");

    let (_, body) = lookup(&base, "MSISDN", "22890112208").await;
    let party = &body["party"]["body"];
    assert_eq!(party["partyIdInfo"]["fspId"], "payeefsp", "empty fspId");
    assert_eq!(
        party["personalInfo"],
        json!({"complexName": {"firstName": "Essi", "lastName": "Lawson"}})
    );

    let (_, body) = lookup(&base, "MSISDN", "22890112230").await;
    let party = &body["party"]["body"];
    assert_eq!(party["name"], "Yao");
    assert_eq!(
        party["personalInfo"],
        json!({"complexName": {"firstName": "Yao"}})
    );

    let (status, body) = lookup(&base, "MSISDN", "2250707112217").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["party"]["body"],
        json!({"partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": "2250707112217", "fspId": "orangemoney"}}),
        "no name at the switch: partyIdInfo only"
    );

    let (_, body) = lookup(&base, "MSISDN", "22890113204").await;
    assert_eq!(
        body["party"]["body"]["name"], "Komi Adzoh",
        "registry beats the 3204 rule"
    );
    let (_, body) = lookup(&base, "EMAIL", "ama@example.tg").await;
    assert_eq!(body["party"]["body"]["partyIdInfo"]["partyIdType"], "EMAIL");
    let (_, body) = lookup(&base, "ALIAS", "22890112201").await;
    assert_eq!(
        body["party"]["body"]["name"], "Test Payee",
        "the type is part of the key"
    );
    sim.stop().await;
}

#[tokio::test]
async fn an_upserted_party_shows_in_lookups_and_in_the_manual_flow() {
    let sim = start_with(manual(), REGISTRY).await;
    let base = sim.base_url();
    let url = format!("{base}/__sim/parties");

    let (status, listed) = send(client().get(&url)).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 6);
    assert_eq!(
        listed[0],
        json!({"idType": "EMAIL", "idValue": "ama@example.tg", "firstName": "Ama", "lastName": "Mensah", "fspId": "tmoney"})
    );

    // Verified as Ama Mensah at tmoney; then the number moves to another person and provider.
    let (_, before) = lookup(&base, "MSISDN", "22890112201").await;
    assert_eq!(before["party"]["body"]["name"], "Ama Mensah");
    let (status, after_put) = send(client().put(&url).json(&json!([
        {"idType": "MSISDN", "idValue": "22890112201", "firstName": "Afi", "lastName": "Kpodar",
         "dateOfBirth": "1961-02-03", "fspId": "moovmoney"},
        {"idType": "MSISDN", "idValue": "22890112299", "firstName": "Edem", "lastName": "Atsu"}
    ])))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        after_put.as_array().unwrap().len(),
        7,
        "one replaced, one added"
    );
    let (_, now) = lookup(&base, "MSISDN", "22890112201").await;
    assert_eq!(now["party"]["body"]["name"], "Afi Kpodar");
    assert_eq!(now["party"]["body"]["partyIdInfo"]["fspId"], "moovmoney");

    let id = new_id();
    let (status, body) = post(&base, &transfer(&id, "22890112201")).await;
    assert_eq!(
        (status, body["currentState"].as_str()),
        (200, Some("WAITING_FOR_PARTY_ACCEPTANCE"))
    );
    assert_same_shape(&body, "manual-1-post");
    assert_eq!(
        body["to"],
        json!({"idType": "MSISDN", "idValue": "22890112201", "fspId": "moovmoney",
               "firstName": "Afi", "lastName": "Kpodar", "dateOfBirth": "1961-02-03"})
    );
    let response = &body["getPartiesResponse"];
    assert_eq!(
        response["body"]["party"], now["party"]["body"],
        "the same party as the GET"
    );
    assert_eq!(response["headers"]["fspiop-source"], "moovmoney");
    let (_, quoted) = put(&base, &id, json!({"acceptParty": true})).await;
    assert_eq!(
        quoted["quoteRequest"]["headers"]["fspiop-destination"],
        "moovmoney"
    );
    let quote: Value =
        serde_json::from_str(quoted["quoteRequest"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        quote["payee"]["personalInfo"]["complexName"]["firstName"],
        "Afi"
    );

    // The Rust handle upserts the same way; a reset keeps the registry.
    sim.upsert_parties([PartyEntry::new("MSISDN", "22890112201", "", "").at_fsp("tmoney")])
        .unwrap();
    send(client().post(format!("{base}/__sim/reset"))).await;
    assert_eq!(sim.parties().len(), 7, "the registry survives a reset");
    let (_, body) = post(&base, &transfer(&new_id(), "22890112201")).await;
    assert_eq!(
        body["to"],
        json!({"idType": "MSISDN", "idValue": "22890112201", "fspId": "tmoney"}),
        "no name at the switch: no name in the answer"
    );
    assert_eq!(
        body["getPartiesResponse"]["body"]["party"],
        json!({"partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": "22890112201", "fspId": "tmoney"}})
    );
    // A party unknown to the registry keeps the captures' payee.
    let (_, body) = post(&base, &transfer(&new_id(), "22890123456")).await;
    assert_eq!(body["to"]["firstName"], "Test");
    sim.stop().await;
}

#[tokio::test]
async fn a_bad_upsert_changes_nothing() {
    let sim = start_with(SimConfig::default(), REGISTRY).await;
    let url = format!("{}/__sim/parties", sim.base_url());
    let before = sim.parties();
    for bad in [
        json!([{"idType": "MSISDN", "idValue": "22890112201", "firstName": "New"},
               {"idType": "PHONE", "idValue": "1"}]),
        json!([{"idType": "MSISDN", "idValue": "1", "dateOfBirth": "01/02/1950"}]),
        json!([{"idType": "MSISDN", "idValue": "1", "nickname": "x"}]),
        json!({"idType": "MSISDN", "idValue": "1"}),
    ] {
        let (status, body) = send(client().put(&url).json(&bad)).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["statusCode"], 400);
        assert!(body["message"].as_str().is_some());
    }
    let (_, body) = send(
        client()
            .put(&url)
            .json(&json!([{"idType": "PHONE", "idValue": "1"}])),
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("entry 0 (PHONE 1): unknown idType"),
        "{body}"
    );
    assert_eq!(sim.parties(), before);
    sim.stop().await;
}

#[test]
fn a_bad_registry_file_is_refused_naming_the_line() {
    let dir = std::env::temp_dir().join(format!("sim-parties-{}", new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("parties.csv");
    std::fs::write(
        &file,
        "idType,idValue,firstName,lastName,dateOfBirth,fspId\n\
         MSISDN,22890112201,Ama,Mensah,1952-04-11,tmoney\n\
         MSISDN,22890112202,Kwami,Agbeko,30/07/1948,moovmoney\n",
    )
    .unwrap();
    let err = PartyRegistry::from_path(&file).unwrap_err();
    assert_eq!(err.line(), Some(3));
    let msg = err.to_string();
    assert!(
        msg.contains("parties.csv") && msg.contains("line 3"),
        "{msg}"
    );
    assert!(msg.contains("dateOfBirth `30/07/1948`"), "{msg}");

    // The binary refuses to start, and says where.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simulator"))
        .env("SIM_PARTIES_FILE", &file)
        .env("SIM_BIND_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SIM_PARTIES_FILE") && stderr.contains("line 3"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What the simulator answers each row of `scripts/sample-verification.csv` against
/// `scripts/sim-parties.csv` (the grades they are meant to show are in the README).
#[tokio::test]
async fn the_sample_files_agree_with_the_readme() {
    let parties = PartyRegistry::from_path(registry_path("sim-parties.csv")).unwrap();
    assert_eq!(parties.len(), 20);
    let sim = Simulator::start_with_parties(SimConfig::default(), parties, "127.0.0.1:0")
        .await
        .unwrap();
    let base = sim.base_url();
    let file = std::fs::read_to_string(registry_path("sample-verification.csv")).unwrap();
    let mut lines = file.lines();
    assert_eq!(
        lines.next(),
        Some("transferId,amount,currency,partyIdType,partyIdentifier,payeeName")
    );
    // transferId → the name the switch gives (None: not found; "" : found without a name).
    let expected: &[(&str, Option<&str>)] = &[
        ("ver-001", Some("Ama Mensah")),
        ("ver-002", Some("Codjo Ahouansou")),
        ("ver-003", Some("Fifamè Dossou")),
        ("ver-004", Some("Akossiwa Mensah")),
        ("ver-005", Some("Sèdjro Hounkpè")),
        ("ver-006", Some("Adjoua N'Guessan")),
        ("ver-007", Some("Kwami Agbeko")),
        ("ver-008", Some("Komla Edem Dzidzienyo")),
        ("ver-009", Some("Kossi Agbeko")),
        ("ver-010", Some("Yao Amegah")),
        ("ver-011", Some("Konan Kouassi")),
        ("ver-012", None),
        ("ver-013", None),
        ("ver-014", Some("Rachidatou Bello")),
        ("ver-015", Some("")),
        ("ver-016", Some("Test Payee")),
    ];
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), expected.len());
    for (row, (transfer_id, name)) in rows.iter().zip(expected) {
        assert_eq!(row.len(), 6, "{row:?}");
        assert_eq!(row[0], *transfer_id);
        assert!(row[1].parse::<u64>().is_ok() && row[2] == "XOF", "{row:?}");
        let (mut status, mut body) = lookup(&base, row[3], row[4]).await;
        if row[4].ends_with("0514") {
            assert_eq!(status, 500, "{transfer_id}: the transient timeout first");
            (status, body) = lookup(&base, row[3], row[4]).await;
        }
        assert_eq!(status, 200, "{transfer_id}");
        let party = &body["party"]["body"];
        match name {
            None => assert_eq!(party, &json!({}), "{transfer_id}"),
            Some("") => {
                assert!(party["partyIdInfo"].is_object() && party.get("name").is_none())
            }
            Some(name) => assert_eq!(party["name"], *name, "{transfer_id}"),
        }
    }
    sim.stop().await;
}

/// A port already in use: the binary names the address and the variable to change.
#[test]
fn a_port_in_use_names_the_variable() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simulator"))
        .env("SIM_BIND_ADDR", &addr)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&addr) && stderr.contains("SIM_BIND_ADDR") && stderr.contains("in use"),
        "{stderr}"
    );
}
