//! Unit tests of the pain.001 reader on generated documents (the golden files are read in
//! `tests/iso20022.rs`): the rows and controls here, the XML level in [`xml`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod xml;

use super::{Pain001File, codes, parse_pain001};
use crate::csv::{ParseOptions, Refusal, codes as csv_codes};
use crate::party::PartyIdType;

pub(super) const V03: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03";
pub(super) const TX: &str = "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf";

/// A transaction, one element per line.
pub(super) fn tx(e2e: &str, amount: &str, ccy: &str, msisdn: &str) -> String {
    format!(
        "<CdtTrfTxInf>\n<PmtId><EndToEndId>{e2e}</EndToEndId></PmtId>\n\
         <Amt><InstdAmt Ccy=\"{ccy}\">{amount}</InstdAmt></Amt>\n\
         <CdtrAcct><Id><Othr><Id>{msisdn}</Id></Othr></Id></CdtrAcct>\n</CdtTrfTxInf>\n"
    )
}

/// A block of transactions.
pub(super) fn block(id: &str, date: &str, txs: &str) -> String {
    format!(
        "<PmtInf>\n<PmtInfId>{id}</PmtInfId>\n<ReqdExctnDt>{date}</ReqdExctnDt>\n{txs}</PmtInf>\n"
    )
}

/// A .03 document of `nb` declared transactions around `blocks`.
pub(super) fn doc(nb: usize, blocks: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{V03}\">\n<CstmrCdtTrfInitn>\n\
         <GrpHdr>\n<MsgId>M</MsgId>\n<NbOfTxs>{nb}</NbOfTxs>\n</GrpHdr>\n{blocks}</CstmrCdtTrfInitn>\n</Document>\n"
    )
}

pub(super) fn one(tx_xml: &str) -> String {
    doc(1, &block("P1", "2026-05-01", tx_xml))
}

/// 1-based line of the first occurrence of `needle`.
pub(super) fn line_of(xml: &str, needle: &str) -> u64 {
    let at = xml
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in document"));
    1 + xml[..at].matches('\n').count() as u64
}

pub(super) fn parse(xml: &str) -> Result<Pain001File, Refusal> {
    parse_pain001(xml.as_bytes(), &ParseOptions::default())
}

pub(super) fn keys(xml: &str) -> Vec<(u64, String, String)> {
    keys_of(parse(xml).expect_err("expected a refusal"))
}

pub(super) fn keys_of(r: Refusal) -> Vec<(u64, String, String)> {
    r.problems
        .into_iter()
        .map(|p| (p.line, p.field, p.code))
        .collect()
}

pub(super) fn key(line: u64, field: &str, code: &str) -> (u64, String, String) {
    (line, field.to_owned(), code.to_owned())
}

#[test]
fn ten_thousand_transactions() {
    let txs: String = (0..10_000)
        .map(|i| {
            tx(
                &format!("T-{i}"),
                &format!("{}", 1000 + i),
                "XOF",
                &format!("2289{i:07}"),
            )
        })
        .collect();
    let xml = doc(10_000, &block("P1", "2026-05-01", &txs));
    let f = parse(&xml).unwrap();
    assert_eq!(f.parsed.rows.len(), 10_000);
    assert_eq!(f.parsed.rows[9_999].transfer_id, "T-9999");
    assert_eq!(
        f.parsed.rows[9_999].line,
        line_of(&xml, "<EndToEndId>T-9999<") - 1
    );
    let expected: i64 = (0..10_000).map(|i| 1000 + i).sum();
    assert_eq!(f.parsed.total_amount.minor(), expected);
}

#[test]
fn duplicates_follow_the_csv_rules() {
    let txs = [
        tx("T-1", "10", "XOF", "22890000001"),
        tx("T-1", "10", "XOF", "22890000001"),
    ]
    .concat();
    let xml = doc(2, &block("P1", "2026-05-01", &txs));
    let second = line_of(&xml, "</CdtTrfTxInf>") + 2;
    let r = parse(&xml).unwrap_err();
    assert_eq!(
        keys_of(r.clone()),
        [
            key(
                second,
                &format!("{TX}[2]/PmtId/EndToEndId"),
                csv_codes::DUPLICATE_TRANSFER_ID
            ),
            key(
                second + 2,
                &format!("{TX}[2]/CdtrAcct/Id/Othr/Id"),
                csv_codes::DUPLICATE_PAYEE
            ),
        ]
    );
    assert!(
        r.problems[0]
            .message
            .contains(&format!("line {}", second - 5))
    );
    let txs = [
        tx("T-1", "10", "XOF", "22890000001"),
        tx("T-2", "10", "XOF", "22890000001"),
    ]
    .concat();
    let xml = doc(2, &block("P1", "2026-05-01", &txs));
    let opts = ParseOptions {
        allow_duplicate_payees: true,
        ..ParseOptions::default()
    };
    assert_eq!(
        parse_pain001(xml.as_bytes(), &opts)
            .unwrap()
            .parsed
            .rows
            .len(),
        2
    );
}

#[test]
fn one_currency_and_one_execution_date() {
    let txs = [
        tx("T-1", "10", "XOF", "22890000001"),
        tx("T-2", "10", "XAF", "22890000002"),
    ]
    .concat();
    let xml = doc(2, &block("P1", "2026-05-01", &txs));
    let line = line_of(&xml, "Ccy=\"XAF\"");
    assert_eq!(
        keys(&xml),
        [key(
            line,
            &format!("{TX}[2]/Amt/InstdAmt/@Ccy"),
            csv_codes::MIXED_CURRENCY
        )]
    );

    let blocks = [
        block("P1", "2026-05-01", &tx("T-1", "10", "XOF", "22890000001")),
        block("P2", "2026-05-02", &tx("T-2", "10", "XOF", "22890000002")),
    ]
    .concat();
    let xml = doc(2, &blocks);
    let line = line_of(&xml, "2026-05-02");
    let field = "/Document/CstmrCdtTrfInitn/PmtInf[2]/ReqdExctnDt";
    assert_eq!(keys(&xml), [key(line, field, codes::MIXED_EXECUTION_DATES)]);
}

#[test]
fn row_and_problem_limits() {
    let txs: String = (0..5)
        .map(|i| tx(&format!("T-{i}"), "10", "XOF", &format!("2289000000{i}")))
        .collect();
    let xml = doc(5, &block("P1", "2026-05-01", &txs));
    let opts = ParseOptions {
        max_rows: 3,
        ..ParseOptions::default()
    };
    let r = parse_pain001(xml.as_bytes(), &opts).unwrap_err();
    let fourth = line_of(&xml, "<EndToEndId>T-3<") - 1;
    assert_eq!(
        keys_of(r),
        [key(fourth, &format!("{TX}[4]"), csv_codes::TOO_MANY_ROWS)]
    );

    let txs: String = (0..50)
        .map(|i| tx(&format!("T-{i}"), "0", "XOF", &format!("22890000{i:03}")))
        .collect();
    let xml = doc(50, &block("P1", "2026-05-01", &txs));
    let opts = ParseOptions {
        max_problems: 5,
        ..ParseOptions::default()
    };
    let r = parse_pain001(xml.as_bytes(), &opts).unwrap_err();
    assert_eq!(
        (r.problems.len(), r.total, r.by_code["amount_not_positive"]),
        (5, 50, 50)
    );
    assert_eq!(r.problems[0].field, format!("{TX}[1]/Amt/InstdAmt"));
}

#[test]
fn creditor_accounts() {
    let with_acct = |acct: &str| {
        one(&format!(
            "<CdtTrfTxInf>\n<PmtId><EndToEndId>T-1</EndToEndId></PmtId>\n\
             <Amt><InstdAmt Ccy=\"XOF\">10</InstdAmt></Amt>\n{acct}</CdtTrfTxInf>\n"
        ))
    };
    let ok = |acct: &str| {
        let r = &parse(&with_acct(acct)).unwrap().parsed.rows[0];
        (r.party_id_type, r.party_identifier.as_str().to_owned())
    };
    let iban = "<CdtrAcct><Id><IBAN>TG53TG0090604310346500400070</IBAN></Id></CdtrAcct>\n";
    assert_eq!(
        ok(iban),
        (PartyIdType::Iban, "TG53TG0090604310346500400070".into())
    );
    let email = "<CdtrAcct><Prxy><Tp><Cd>EMAL</Cd></Tp><Id>a@b.tg</Id></Prxy></CdtrAcct>\n";
    assert_eq!(ok(email), (PartyIdType::Email, "a@b.tg".into()));
    let cd = "<CdtrAcct><Id><Othr><Id>B-42</Id><SchmeNm><Cd>BUSINESS</Cd></SchmeNm></Othr></Id></CdtrAcct>\n";
    assert_eq!(ok(cd), (PartyIdType::Business, "B-42".into()));

    let problem = |acct: &str| {
        let xml = with_acct(acct);
        keys(&xml)
            .into_iter()
            .map(|(_, f, c)| (f.replace(&format!("{TX}[1]"), ""), c))
            .collect::<Vec<_>>()
    };
    let pair = |f: &str, c: &str| vec![(f.to_owned(), c.to_owned())];
    assert_eq!(problem(""), pair("/CdtrAcct", codes::MISSING_ELEMENT));
    assert_eq!(
        problem("<CdtrAcct><Nm>x</Nm></CdtrAcct>"),
        pair("/CdtrAcct/Id/Othr/Id", codes::MISSING_ELEMENT)
    );
    assert_eq!(
        problem("<CdtrAcct><Prxy><Tp><Cd>TELE</Cd></Tp></Prxy></CdtrAcct>"),
        pair("/CdtrAcct/Prxy/Id", codes::MISSING_ELEMENT)
    );
    assert_eq!(
        problem("<CdtrAcct><Prxy><Tp><Cd>LEIC</Cd></Tp><Id>x</Id></Prxy></CdtrAcct>"),
        pair("/CdtrAcct/Prxy/Tp/Cd", "unknown_party_id_type")
    );
    assert_eq!(
        problem(
            "<CdtrAcct><Id><Othr><Id>1</Id><SchmeNm><Prtry>msisdn</Prtry></SchmeNm></Othr></Id></CdtrAcct>"
        ),
        pair("/CdtrAcct/Id/Othr/SchmeNm/Prtry", "unknown_party_id_type")
    );
}

#[test]
fn transaction_values() {
    let xml = one(&tx("T 1", "10", "XOF", "22890000001"));
    assert_eq!(keys(&xml)[0].2, csv_codes::INVALID_TRANSFER_ID);
    let xml = one(&tx("T-1", "10", "ABC", "22890000001"));
    assert_eq!(keys(&xml)[0].1, format!("{TX}[1]/Amt/InstdAmt/@Ccy"));
    let xml = one(&tx("T-1", "10", "XOF", "22890000001").replace(" Ccy=\"XOF\"", ""));
    assert_eq!(
        keys(&xml),
        [key(
            line_of(&xml, "<Amt>"),
            &format!("{TX}[1]/Amt/InstdAmt/@Ccy"),
            codes::MISSING_ELEMENT
        )]
    );
    let xml = one(&tx("T-1", "1,5", "XOF", "22890000001"));
    assert_eq!(keys(&xml)[0].2, "amount_not_integer");
    let xml = one(&tx("T-1", "1000.00", "XOF", "22890000001"));
    assert_eq!(parse(&xml).unwrap().parsed.total_amount.minor(), 1000);
    let long_name = format!("<Cdtr><Nm>{}</Nm></Cdtr>\n<CdtrAcct>", "x".repeat(129));
    let xml = one(&tx("T-1", "10", "XOF", "22890000001").replace("<CdtrAcct>", &long_name));
    assert_eq!(
        keys(&xml)[0],
        key(
            line_of(&xml, "<Cdtr>"),
            &format!("{TX}[1]/Cdtr/Nm"),
            csv_codes::INVALID_PAYEE_NAME
        )
    );
}

#[test]
fn group_and_block_headers() {
    let t = tx("T-1", "10", "XOF", "22890000001");
    let xml = one(&t).replace("<MsgId>M</MsgId>\n", "");
    let grp = line_of(&xml, "<GrpHdr>");
    assert_eq!(
        keys(&xml),
        [key(
            grp,
            "/Document/CstmrCdtTrfInitn/GrpHdr/MsgId",
            codes::MISSING_ELEMENT
        )]
    );
    let xml = one(&t).replace("<NbOfTxs>1<", "<NbOfTxs>one<");
    assert_eq!(keys(&xml)[0].2, codes::INVALID_VALUE);
    let xml = doc(2, &block("P1", "2026-05-01", &t));
    let line = line_of(&xml, "<NbOfTxs>");
    assert_eq!(
        keys(&xml),
        [key(
            line,
            "/Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs",
            codes::CONTROL_SUM_MISMATCH
        )]
    );
    let xml = one(&t).replace("<PmtInfId>P1</PmtInfId>\n", "");
    let pmt = line_of(&xml, "<PmtInf>");
    assert_eq!(
        keys(&xml),
        [key(
            pmt,
            "/Document/CstmrCdtTrfInitn/PmtInf[1]/PmtInfId",
            codes::MISSING_ELEMENT
        )]
    );
    let xml = one(&t).replace("2026-05-01", "2026-02-30");
    assert_eq!(keys(&xml)[0].2, codes::INVALID_VALUE);
    let xml = doc(0, &block("P1", "2026-05-01", ""));
    assert_eq!(
        keys(&xml),
        [key(
            line_of(&xml, "<PmtInf>"),
            "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf",
            codes::MISSING_ELEMENT
        )]
    );
    let xml = doc(0, "");
    assert_eq!(
        keys(&xml),
        [key(
            3,
            "/Document/CstmrCdtTrfInitn/PmtInf",
            codes::MISSING_ELEMENT
        )]
    );
}
