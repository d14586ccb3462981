//! The sample files of `shared/samples` (copied to `tests/fixtures/`) give exactly the results their
//! README documents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use domain::csv::codes;
use domain::{CsvFormat, Currency, ParseOptions, ParsedFile, PartyIdType, RowProblem, parse_csv};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ok(name: &str) -> ParsedFile {
    match parse_csv(&fixture(name), &ParseOptions::default()) {
        Ok(file) => file,
        Err(problems) => panic!("{name} should be valid, got {problems:#?}"),
    }
}

fn rejected(name: &str) -> Vec<RowProblem> {
    match parse_csv(&fixture(name), &ParseOptions::default()) {
        Ok(file) => panic!("{name} should be rejected, got {file:#?}"),
        Err(refusal) => refusal.problems,
    }
}

fn lines_and_fields(problems: &[RowProblem]) -> Vec<(u64, &str)> {
    problems
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect()
}

fn assert_unique_ids(file: &ParsedFile) {
    let ids: HashSet<_> = file.rows.iter().map(|r| r.transfer_id.as_str()).collect();
    assert_eq!(ids.len(), file.rows.len());
}

#[test]
fn standard() {
    let file = ok("standard.csv");
    assert_eq!(file.format, CsvFormat::Standard);
    assert_eq!(file.currency, Currency::XOF);
    let ids: Vec<_> = file.rows.iter().map(|r| r.transfer_id.as_str()).collect();
    assert_eq!(ids, ["tx-001", "tx-002", "tx-003", "tx-004", "tx-005"]);
    assert_eq!(file.total_amount.minor(), 37_500);
    let lines: Vec<_> = file.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6]);
    assert_eq!(file.rows[0].party_id_type, PartyIdType::Msisdn);
    assert_eq!(file.rows[0].party_identifier.as_str(), "22890123456");
    assert_eq!(file.rows[0].payee_name, None);
}

#[test]
fn payment_list() {
    let file = ok("payment-list.csv");
    assert_eq!(file.format, CsvFormat::PaymentList);
    assert_eq!(file.rows.len(), 3);
    assert_eq!(file.total_amount.minor(), 22_500);
    assert_unique_ids(&file);
    // Stable: the same file gives the same ids.
    let again = ok("payment-list.csv");
    assert_eq!(file.rows, again.rows);
}

#[test]
fn payment_list_excel_fr() {
    let bytes = fixture("payment-list-excel-fr.csv");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "fixture must keep its BOM"
    );
    assert!(
        bytes.windows(2).any(|w| w == b"\r\n"),
        "fixture must keep CRLF"
    );
    let file = ok("payment-list-excel-fr.csv");
    assert_eq!(file.format, CsvFormat::PaymentList);
    assert_eq!(file.rows.len(), 2);
    assert_eq!(file.total_amount.minor(), 15_000);
    assert_eq!(file.rows[1].line, 3);
    assert_eq!(file.rows[1].party_identifier.as_str(), "22890654321");
    assert_unique_ids(&file);
}

#[test]
fn payment_list_with_names() {
    let file = ok("payment-list-with-names.csv");
    assert_eq!(file.rows.len(), 3);
    assert_eq!(file.total_amount.minor(), 135_000);
    let names: Vec<_> = file.rows.iter().map(|r| r.payee_name.as_deref()).collect();
    assert_eq!(
        names,
        [Some("Ama Mensah"), Some("Kossi Agbeko"), Some("Afi Dossou")]
    );
    let personal = &file.rows[1];
    assert_eq!(personal.party_id_type, PartyIdType::PersonalId);
    assert_eq!(personal.party_identifier.as_str(), "0231397500");
    assert_unique_ids(&file);
}

#[test]
fn invalid_rows() {
    let problems = rejected("invalid-rows.csv");
    assert_eq!(
        lines_and_fields(&problems),
        [
            (3, "amount"),
            (4, "amount"),
            (5, "partyIdType"),
            (6, "transferId"),
            (7, "amount"),
            (7, "partyIdentifier"),
        ],
        "{problems:#?}"
    );
    let codes: Vec<_> = problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "amount_not_positive",
            "amount_not_integer",
            "unknown_party_id_type",
            codes::DUPLICATE_TRANSFER_ID,
            "amount_has_decimals",
            codes::EMPTY_VALUE,
        ]
    );
    assert!(
        problems[2].message.contains("FAX"),
        "{}",
        problems[2].message
    );
    assert!(
        problems[3].message.contains("line 2"),
        "{}",
        problems[3].message
    );
}

#[test]
fn unknown_header() {
    let problems = rejected("unknown-header.csv");
    assert_eq!(lines_and_fields(&problems), [(1, "header")]);
    assert_eq!(problems[0].code, codes::UNRECOGNIZED_HEADER);
}

#[test]
fn problems_serialize_in_the_api_shape() {
    let problems = rejected("unknown-header.csv");
    let json = serde_json::to_value(&problems[0]).unwrap();
    let keys: HashSet<_> = json.as_object().unwrap().keys().cloned().collect();
    let expected: HashSet<String> = ["line", "field", "code", "message"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(keys, expected);
}
