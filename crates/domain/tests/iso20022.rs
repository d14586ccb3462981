//! The pain.001 golden files of `tests/fixtures/pain001/`: what each gives, with the exact line
//! and path of every problem.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::iso20022::{Pain001File, Pain001Version, codes, looks_like_xml, parse_pain001};
use domain::{CsvFormat, Currency, ParseOptions, PartyIdType, RowProblem};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/pain001/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ok(name: &str) -> Pain001File {
    let bytes = fixture(name);
    assert!(looks_like_xml(&bytes), "{name}");
    match parse_pain001(&bytes, &ParseOptions::default()) {
        Ok(file) => file,
        Err(refusal) => panic!("{name} should be valid, got {refusal:#?}"),
    }
}

fn rejected(name: &str) -> Vec<RowProblem> {
    match parse_pain001(&fixture(name), &ParseOptions::default()) {
        Ok(file) => panic!("{name} should be rejected, got {file:#?}"),
        Err(refusal) => {
            assert_eq!(refusal.total, refusal.problems.len(), "{name}");
            refusal.problems
        }
    }
}

/// `(line, field, code)` of each problem.
fn keys(problems: &[RowProblem]) -> Vec<(u64, &str, &str)> {
    problems
        .iter()
        .map(|p| (p.line, p.field.as_str(), p.code.as_str()))
        .collect()
}

#[test]
fn v03_with_one_transaction() {
    let f = ok("v03-one.xml");
    assert_eq!(f.version, Pain001Version::V03);
    assert_eq!(f.msg_id, "CNSS-2026-05-0001");
    assert_eq!(f.requested_execution.as_deref(), Some("2026-05-01"));
    assert_eq!((f.nb_of_txs, f.ctrl_sum_minor), (1, Some(25_000)));
    assert_eq!(f.debtor_name.as_deref(), Some("CNSS Togo"));
    assert_eq!(f.payment_infos.len(), 1);
    assert_eq!(f.payment_infos[0].pmt_inf_id, "CNSS-2026-05-P1");
    assert_eq!(f.payment_infos[0].transactions, 1);
    let p = &f.parsed;
    assert_eq!((p.format, p.currency), (CsvFormat::Pain001, Currency::XOF));
    assert_eq!(p.total_amount.minor(), 25_000);
    let row = &p.rows[0];
    assert_eq!(row.line, 40);
    assert_eq!(row.transfer_id, "PENS-2026-05-0001");
    assert_eq!(row.amount.minor(), 25_000);
    assert_eq!(row.party_id_type, PartyIdType::Msisdn);
    assert_eq!(row.party_identifier.as_str(), "22890123456");
    assert_eq!(row.payee_name.as_deref(), Some("Kossi Mensah & fils"));
}

#[test]
fn v09_with_a_proxy() {
    let f = ok("v09-proxy.xml");
    assert_eq!(f.version, Pain001Version::V09);
    assert_eq!(f.requested_execution.as_deref(), Some("2026-05-01"));
    assert_eq!(f.ctrl_sum_minor, None);
    let row = &f.parsed.rows[0];
    assert_eq!((row.line, row.transfer_id.as_str()), (19, "E2E-PRXY-1"));
    // `MBNO` and the ISO phone form `+228-…`.
    assert_eq!(row.party_id_type, PartyIdType::Msisdn);
    assert_eq!(row.party_identifier.as_str(), "22890123457");
    assert_eq!(row.payee_name.as_deref(), Some("Afi Ablavi"));
}

#[test]
fn v09_with_two_payment_blocks() {
    let f = ok("v09-two-blocks.xml");
    assert_eq!(f.parsed.currency, Currency::USD);
    // Dt in the first block, DtTm of the same day in the second.
    assert_eq!(f.requested_execution.as_deref(), Some("2026-05-01"));
    assert_eq!((f.nb_of_txs, f.ctrl_sum_minor), (3, Some(35_075)));
    assert_eq!(f.debtor_name.as_deref(), Some("Pension Fund A"));
    let blocks: Vec<_> = f
        .payment_infos
        .iter()
        .map(|b| (b.pmt_inf_id.as_str(), b.transactions))
        .collect();
    assert_eq!(blocks, [("BLOCK-A", 2), ("BLOCK-B", 1)]);
    let rows: Vec<_> = f
        .parsed
        .rows
        .iter()
        .map(|r| {
            (
                r.line,
                r.transfer_id.as_str(),
                r.amount.minor(),
                r.party_id_type,
                r.party_identifier.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (20, "A-1", 10_050, PartyIdType::PersonalId, "0231397586"),
            (26, "A-2", 15_000, PartyIdType::AccountId, "ACC-77"),
            (41, "B-1", 10_025, PartyIdType::Msisdn, "22890123458"),
        ]
    );
    assert_eq!(f.parsed.total_amount.minor(), 35_075);
    assert_eq!(f.parsed.rows[2].payee_name, None);
}

#[test]
fn wrong_group_control_sum() {
    let problems = rejected("wrong-group-ctrlsum.xml");
    assert_eq!(
        keys(&problems),
        [(
            8,
            "/Document/CstmrCdtTrfInitn/GrpHdr/CtrlSum",
            codes::CONTROL_SUM_MISMATCH
        )]
    );
    let message = &problems[0].message;
    assert!(
        message.contains("30001 XOF") && message.contains("30000 XOF"),
        "{message}"
    );
    assert!(message.contains("AM10"), "{message}");
}

#[test]
fn wrong_count_in_a_payment_block() {
    let problems = rejected("wrong-block-nboftxs.xml");
    assert_eq!(
        keys(&problems),
        [(
            24,
            "/Document/CstmrCdtTrfInitn/PmtInf[2]/NbOfTxs",
            codes::CONTROL_SUM_MISMATCH
        )]
    );
    let message = &problems[0].message;
    assert!(
        message.contains("declares 3") && message.contains("there are 1"),
        "{message}"
    );
    assert!(message.contains("AM18"), "{message}");
}

#[test]
fn a_dtd_is_refused_before_any_expansion() {
    let started = std::time::Instant::now();
    let problems = rejected("billion-laughs.xml");
    assert!(started.elapsed() < std::time::Duration::from_millis(100));
    assert_eq!(keys(&problems), [(2, "/", codes::XML_DTD_FORBIDDEN)]);
}

#[test]
fn nesting_deeper_than_32_is_refused() {
    let problems = rejected("deep-nesting.xml");
    let field = format!(
        "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[1]/RmtInf/Strd{}",
        "/Nst".repeat(26)
    );
    assert_eq!(keys(&problems), [(71, field.as_str(), codes::XML_TOO_DEEP)]);
}

#[test]
fn a_fraction_the_currency_does_not_have() {
    let problems = rejected("xof-fraction.xml");
    // The CtrlSum is not compared once an amount is refused: one problem, the amount's.
    assert_eq!(
        keys(&problems),
        [(
            18,
            "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[1]/Amt/InstdAmt",
            "amount_has_decimals"
        )]
    );
    assert!(
        problems[0].message.contains("XOF"),
        "{}",
        problems[0].message
    );
}

#[test]
fn a_missing_end_to_end_id() {
    let problems = rejected("missing-endtoendid.xml");
    assert_eq!(
        keys(&problems),
        [(
            19,
            "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[2]/PmtId/EndToEndId",
            codes::MISSING_ELEMENT
        )]
    );
}

#[test]
fn a_prefixed_document() {
    let f = ok("namespaced-prefix.xml");
    assert_eq!(f.version, Pain001Version::V09);
    assert_eq!(
        (f.msg_id.as_str(), f.ctrl_sum_minor),
        ("MSG-PREFIX", Some(5000))
    );
    assert_eq!(f.requested_execution.as_deref(), Some("2026-05-02"));
    let row = &f.parsed.rows[0];
    assert_eq!((row.line, row.transfer_id.as_str()), (15, "PFX-1"));
    assert_eq!(row.payee_name.as_deref(), Some("Yao Koffi"));
}

#[test]
fn every_fixture_is_either_read_or_refused_the_same_way_twice() {
    let dir = format!("{}/tests/fixtures/pain001", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let opts = ParseOptions::default();
        assert_eq!(parse_pain001(&bytes, &opts), parse_pain001(&bytes, &opts));
    }
}
