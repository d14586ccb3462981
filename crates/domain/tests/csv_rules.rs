//! The CSV rules beyond the sample files: spreadsheet quirks, every problem code, hostile values, size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::csv::codes;
use domain::{CsvFormat, ParseOptions, ParsedFile, RowProblem, parse_csv};

const STD: &str = "transferId,amount,currency,partyIdType,partyIdentifier";

fn parse(text: &str) -> Result<ParsedFile, Vec<RowProblem>> {
    parse_csv(text.as_bytes(), &ParseOptions::default()).map_err(|r| r.problems)
}

fn ok(text: &str) -> ParsedFile {
    parse(text).unwrap_or_else(|p| panic!("expected valid, got {p:#?}"))
}

/// `(line, field, code)` of each problem.
fn problems(text: &str) -> Vec<(u64, String, String)> {
    problems_bytes(text.as_bytes(), &ParseOptions::default())
}

fn problems_bytes(bytes: &[u8], opts: &ParseOptions) -> Vec<(u64, String, String)> {
    match parse_csv(bytes, opts) {
        Ok(f) => panic!("expected problems, got {f:#?}"),
        Err(r) => r
            .problems
            .into_iter()
            .map(|p| (p.line, p.field, p.code))
            .collect(),
    }
}

fn one(line: u64, field: &str, code: &str) -> Vec<(u64, String, String)> {
    vec![(line, field.to_owned(), code.to_owned())]
}

/// A standard file with one data row whose amount cell is `amount`.
fn with_amount(amount: &str) -> String {
    format!("{STD}\ntx-1,{amount},XOF,MSISDN,22890123456\n")
}

fn with_msisdn(id: &str) -> String {
    format!("{STD}\ntx-1,100,XOF,MSISDN,{id}\n")
}

#[test]
fn bom_semicolon_crlf_and_trailing_lines() {
    let text = "\u{feff}transferId;amount;currency;partyIdType;partyIdentifier\r\n\
                tx-1;100;XOF;MSISDN;22890123456\r\n\r\n\r\n;;;;\r\n  \r\n";
    let file = ok(text);
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0].line, 2);
}

#[test]
fn header_spaces_case_and_order() {
    let text = " PARTYIDENTIFIER , Amount ,transferid,CURRENCY, partyidtype ,PayeeName\n\
                22890123456 , 100 , tx-1 , XOF , MSISDN , Ama Mensah \n";
    let file = ok(text);
    let row = &file.rows[0];
    assert_eq!(file.format, CsvFormat::Standard);
    assert_eq!(row.transfer_id, "tx-1");
    assert_eq!(row.amount.minor(), 100);
    assert_eq!(row.payee_name.as_deref(), Some("Ama Mensah"));
}

#[test]
fn blank_lines_in_the_middle_are_skipped_and_lines_stay_physical() {
    let text = format!(
        "{STD}\r\n\r\ntx-1,100,XOF,MSISDN,22890123456\r\n,,,,\r\n\ntx-2,-1,XOF,MSISDN,22890123457\r\n"
    );
    assert_eq!(problems(&text), one(6, "amount", "amount_not_positive"));
}

#[test]
fn quoted_cells() {
    let text = "type_id,valeur_id,devise,montant,nom_complet\n\
                MSISDN,\"22890123456\",XOF,100,\"Mensah, Ama \"\"la grande\"\"\"\n";
    let file = ok(text);
    assert_eq!(
        file.rows[0].payee_name.as_deref(),
        Some("Mensah, Ama \"la grande\"")
    );
}

#[test]
fn unclosed_quote() {
    let text = format!(
        "{STD}\ntx-1,100,XOF,MSISDN,22890123456\ntx-2,\"100,XOF,MSISDN,22890123457\ntx-3,1,XOF,MSISDN,22890123458\n"
    );
    assert_eq!(problems(&text), one(3, "row", codes::UNCLOSED_QUOTE));
}

#[test]
fn header_problems() {
    assert_eq!(
        problems(
            "transferId,amount,currency,partyIdType,partyIdentifier,comment\ntx-1,100,XOF,MSISDN,22890123456,x\n"
        ),
        one(1, "comment", codes::UNKNOWN_HEADER)
    );
    assert_eq!(
        problems("transferId,amount,amount,currency,partyIdType,partyIdentifier\n"),
        one(1, "amount", codes::DUPLICATE_HEADER)
    );
    assert_eq!(
        problems("type_id,valeur_id,montant\nMSISDN,22890123456,100\n"),
        one(1, "devise", codes::MISSING_HEADER)
    );
    assert_eq!(
        problems("foo;bar\n1;2\n"),
        one(1, "header", codes::UNRECOGNIZED_HEADER)
    );
}

#[test]
fn wrong_column_count() {
    let text = format!("{STD}\ntx-1,100,XOF,MSISDN\ntx-2,100,XOF,MSISDN,22890123456,extra\n");
    let mut expected = one(2, "row", codes::WRONG_COLUMN_COUNT);
    expected.extend(one(3, "row", codes::WRONG_COLUMN_COUNT));
    assert_eq!(problems(&text), expected);
}

#[test]
fn empty_values_one_per_field() {
    let text = format!("{STD}\n ,,XOF, ,22890123456\n");
    let got = problems(&text);
    let fields: Vec<_> = got
        .iter()
        .map(|(l, f, c)| (*l, f.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            (2, "transferId", codes::EMPTY_VALUE),
            (2, "amount", codes::EMPTY_VALUE),
            (2, "partyIdType", codes::EMPTY_VALUE),
        ]
    );
}

#[test]
fn empty_files() {
    assert_eq!(problems(""), one(1, "file", codes::EMPTY_FILE));
    assert_eq!(
        problems("\u{feff}\r\n\r\n"),
        one(1, "file", codes::EMPTY_FILE)
    );
    assert_eq!(
        problems(&format!("{STD}\n")),
        one(2, "file", codes::EMPTY_FILE)
    );
    assert_eq!(
        problems(&format!("{STD}\n\n,,\n")),
        one(2, "file", codes::EMPTY_FILE)
    );
}

#[test]
fn too_many_rows_stops_reading() {
    let mut text = STD.to_owned();
    for i in 0..5 {
        text.push_str(&format!("\ntx-{i},100,XOF,MSISDN,2289012345{i}"));
    }
    let opts = ParseOptions {
        max_rows: 3,
        ..ParseOptions::default()
    };
    assert_eq!(
        problems_bytes(text.as_bytes(), &opts),
        one(5, "row", codes::TOO_MANY_ROWS)
    );
    let opts = ParseOptions {
        max_rows: 5,
        ..ParseOptions::default()
    };
    assert_eq!(parse_csv(text.as_bytes(), &opts).unwrap().rows.len(), 5);
}

#[test]
fn long_cells() {
    let long = "a".repeat(1025);
    let text = format!("{STD}\n{long},100,XOF,MSISDN,22890123456\n");
    assert_eq!(problems(&text), one(2, "transferId", codes::VALUE_TOO_LONG));
    let id65 = "a".repeat(65);
    let text = format!("{STD}\n{id65},100,XOF,MSISDN,22890123456\n");
    assert_eq!(
        problems(&text),
        one(2, "transferId", codes::INVALID_TRANSFER_ID)
    );
}

#[test]
fn hostile_transfer_ids() {
    for bad in [
        "1;DROP TABLE x",
        "<script>alert(1)</script>",
        "tx 1",
        "tx/1",
        "'--",
        "tx-é",
    ] {
        let text = format!("{STD}\n\"{bad}\",100,XOF,MSISDN,22890123456\n");
        assert_eq!(
            problems(&text),
            one(2, "transferId", codes::INVALID_TRANSFER_ID),
            "{bad}"
        );
    }
    ok(&format!("{STD}\nA.b_c-9,100,XOF,MSISDN,22890123456\n"));
}

#[test]
fn payee_names() {
    let header = "type_id,valeur_id,devise,montant,nom_complet";
    let file = ok(&format!(
        "{header}\nMSISDN,22890123456,XOF,100,Kokou Ézéchiel N'Guessan\nMSISDN,22890123457,XOF,100,\n"
    ));
    assert_eq!(
        file.rows[0].payee_name.as_deref(),
        Some("Kokou Ézéchiel N'Guessan")
    );
    assert_eq!(file.rows[1].payee_name, None);
    let long = "é".repeat(129);
    let text = format!(
        "{header}\nMSISDN,22890123456,XOF,100,{long}\nMSISDN,22890123457,XOF,100,\"a\u{7}b\"\n"
    );
    let mut expected = one(2, "nom_complet", codes::INVALID_PAYEE_NAME);
    expected.extend(one(3, "nom_complet", codes::INVALID_PAYEE_NAME));
    assert_eq!(problems(&text), expected);
}

#[test]
fn hostile_amounts() {
    assert_eq!(ok(&with_amount(" 100")).rows[0].amount.minor(), 100);
    let cases = [
        ("1e3", "amount_not_integer"),
        ("0x10", "amount_not_integer"),
        ("100 000", "amount_not_integer"),
        ("+100", "amount_not_integer"),
        ("١٠٠", "amount_not_integer"),
        ("9223372036854775808", "amount_too_large"),
        ("-0", "amount_not_positive"),
        ("0", "amount_not_positive"),
        ("\"100.50\"", "amount_has_decimals"),
    ];
    for (value, code) in cases {
        assert_eq!(
            problems(&with_amount(value)),
            one(2, "amount", code),
            "{value}"
        );
    }
}

#[test]
fn hostile_msisdns() {
    for bad in [
        "+22890123456",
        "1234567890123456",
        "022890123456",
        "2289012345a",
        "\"228 9012 3456\"",
    ] {
        assert_eq!(
            problems(&with_msisdn(bad)),
            one(2, "partyIdentifier", "identifier_invalid_msisdn"),
            "{bad}"
        );
    }
}

#[test]
fn unknown_currency_and_mixed_currency() {
    let text = format!(
        "{STD}\ntx-1,100,XOF,MSISDN,22890123451\ntx-2,100,ABC,MSISDN,22890123452\ntx-3,100,USD,MSISDN,22890123453\ntx-4,100,XOF,MSISDN,22890123454\ntx-5,100,EUR,MSISDN,22890123455\n"
    );
    let mut expected = one(3, "currency", "unknown_currency");
    expected.extend(one(4, "currency", codes::MIXED_CURRENCY));
    expected.extend(one(6, "currency", codes::MIXED_CURRENCY));
    assert_eq!(problems(&text), expected);
    let list =
        "type_id;valeur_id;devise;montant\nMSISDN;22890123451;XOF;1\nMSISDN;22890123452;GHS;1\n";
    assert_eq!(problems(list), one(3, "devise", codes::MIXED_CURRENCY));
}

#[test]
fn duplicate_payees() {
    let text = format!(
        "{STD}\ntx-1,100,XOF,MSISDN,22890123456\ntx-2,200,XOF,MSISDN, 22890123456\ntx-3,200,XOF,PERSONAL_ID,22890123456\n"
    );
    assert_eq!(
        problems(&text),
        one(3, "partyIdentifier", codes::DUPLICATE_PAYEE)
    );
    let opts = ParseOptions {
        allow_duplicate_payees: true,
        ..ParseOptions::default()
    };
    let file = parse_csv(text.as_bytes(), &opts).unwrap();
    assert_eq!(file.rows.len(), 3);
    assert_eq!(file.total_amount.minor(), 500);
}

#[test]
fn total_overflow() {
    let text = format!(
        "{STD}\ntx-1,9223372036854775807,XOF,MSISDN,22890123451\ntx-2,1,XOF,MSISDN,22890123452\n"
    );
    assert_eq!(problems(&text), one(3, "amount", "amount_overflow"));
}

#[test]
fn invalid_encodings() {
    let latin1 = b"type_id,valeur_id,devise,montant,nom_complet\nMSISDN,22890123456,XOF,100,Ama\nMSISDN,22890123457,XOF,100,Z\xe9phirin\n";
    let opts = ParseOptions::default();
    assert_eq!(
        problems_bytes(latin1, &opts),
        one(3, "file", codes::INVALID_ENCODING)
    );
    let utf16: Vec<u8> = "\u{feff}type_id,valeur_id\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(
        problems_bytes(&utf16, &opts),
        one(1, "file", codes::INVALID_ENCODING)
    );
    let nul = format!("{STD}\ntx-1,100,XOF,MSISDN,22890123456\ntx-2,1\0,XOF,MSISDN,22890123457\n");
    assert_eq!(
        problems_bytes(nul.as_bytes(), &opts),
        one(3, "file", codes::INVALID_ENCODING)
    );
    let binary = [
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
    ];
    assert_eq!(
        problems_bytes(&binary, &opts),
        one(1, "file", codes::INVALID_ENCODING)
    );
}

#[test]
fn problems_are_sorted_by_line_then_column_order() {
    let text = "partyIdentifier,amount,transferId,currency,partyIdType\n\
                +1,abc,bad id,XOF,MSISDN\n";
    let got = problems(text);
    let fields: Vec<_> = got.iter().map(|(_, f, _)| f.as_str()).collect();
    assert_eq!(fields, ["partyIdentifier", "amount", "transferId"]);
}

#[test]
fn hundred_thousand_rows() {
    let mut text = String::from("type_id;valeur_id;devise;montant;nom_complet\r\n");
    for i in 0..100_000_u64 {
        text.push_str(&format!(
            "MSISDN;{};XOF;{};Bénéficiaire {i}\r\n",
            22_890_000_000 + i,
            1 + i % 1000
        ));
    }
    let file = parse_csv(text.as_bytes(), &ParseOptions::default()).unwrap();
    assert_eq!(file.rows.len(), 100_000);
    assert_eq!(file.rows[99_999].line, 100_001);
    let expected: i64 = (0..100_000_i64).map(|i| 1 + i % 1000).sum();
    assert_eq!(file.total_amount.minor(), expected);
    text.push_str("MSISDN;23890000000;XOF;1;x\r\n");
    assert_eq!(problems(&text), one(100_002, "row", codes::TOO_MANY_ROWS));
}

/// A file wrong in every cell: the refusal lists the first problems in file order and counts
/// them all, by code; every row is still checked.
#[test]
fn refusal_lists_at_most_max_problems_and_counts_all() {
    let mut text = STD.to_owned();
    for i in 0..3_000 {
        text.push_str(&format!("\ntx-{i},-5,XOF,MSISDN,abc{i}"));
    }
    let refusal = parse_csv(text.as_bytes(), &ParseOptions::default()).unwrap_err();
    assert_eq!(refusal.problems.len(), domain::csv::MAX_PROBLEMS);
    assert_eq!(refusal.total, 6_000);
    assert_eq!(refusal.by_code["amount_not_positive"], 3_000);
    assert_eq!(refusal.by_code.values().sum::<usize>(), 6_000);
    let first = &refusal.problems[0];
    assert_eq!((first.line, first.field.as_str()), (2, "amount"));
    let last = refusal.problems.last().unwrap();
    assert_eq!(last.line, 501, "two problems per line, in file order");
    let opts = ParseOptions {
        max_problems: 3,
        ..ParseOptions::default()
    };
    let refusal = parse_csv(text.as_bytes(), &opts).unwrap_err();
    assert_eq!((refusal.problems.len(), refusal.total), (3, 6_000));
}
