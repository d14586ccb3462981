//! The hostile file corpus: bad payment files generated in code, each with the refusal expected.

use crate::csvgen::STANDARD_HEADER;

/// One bad file and the refusal expected for it.
pub struct BadFile {
    /// What it is.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Expected HTTP status.
    pub status: u16,
    /// Expected `error` code.
    pub error: &'static str,
    /// A `details[].code` expected among the problems (for `invalid_file`).
    pub detail: Option<&'static str>,
}

fn bad(name: &str, bytes: Vec<u8>, detail: &'static str) -> BadFile {
    BadFile {
        name: name.to_string(),
        bytes,
        status: 422,
        error: "invalid_file",
        detail: Some(detail),
    }
}

/// A standard file: the header, a good first row, then `row` (a line, without newline).
fn with_row(row: &str) -> Vec<u8> {
    format!("{STANDARD_HEADER}\ntx-1,1000,XOF,MSISDN,22890000011,Ama\n{row}\n").into_bytes()
}

/// A good row with one cell replaced: `col` 0..=5 (transferId … payeeName).
fn cell(col: usize, value: &str) -> Vec<u8> {
    let mut cells = ["tx-2", "1000", "XOF", "MSISDN", "22890000021", "Kossi"];
    cells[col] = value;
    with_row(&cells.join(","))
}

fn amount(v: &str) -> Vec<u8> {
    cell(1, v)
}

fn msisdn(v: &str) -> Vec<u8> {
    cell(4, v)
}

fn big_rows(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 40);
    s.push_str("transferId,amount,currency,partyIdType,partyIdentifier\n");
    for i in 0..n {
        s.push_str(&format!("t{i},1,XOF,MSISDN,2{i:011}\n"));
    }
    s.into_bytes()
}

/// SQL and script text, refused in every field where it cannot be valid data.
pub const SQL: &str = "1'; DROP TABLE individual_transfers; --";
/// Script text.
pub const SCRIPT: &str = "<script>alert(1)</script>";

/// The corpus (more than 40 files).
pub fn bad_files() -> Vec<BadFile> {
    let mut v = vec![
        bad("binary data", (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(), "invalid_encoding"),
        bad("UTF-16LE with BOM", {
            let text = format!("{STANDARD_HEADER}\ntx-1,1000,XOF,MSISDN,22890000011,Ama\n");
            let mut b = vec![0xff, 0xfe];
            b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }, "invalid_encoding"),
        bad("UTF-16BE without BOM", {
            let text = format!("{STANDARD_HEADER}\ntx-1,1000,XOF,MSISDN,22890000011,Ama\n");
            text.encode_utf16().flat_map(u16::to_be_bytes).collect()
        }, "invalid_encoding"),
        bad("Latin-1 accents", {
            let mut b = with_row("tx-2,1000,XOF,MSISDN,22890000021,Agb");
            b.pop();
            b.extend_from_slice(b"\xe9k\xe9\n");
            b
        }, "invalid_encoding"),
        bad("NUL byte in a cell", with_row("tx-2,1000,XOF,MSISDN,2289000\x000021,Kossi"), "invalid_encoding"),
        bad("BOM in the middle", with_row("\u{feff}tx-2,1000,XOF,MSISDN,22890000021,Kossi"), "invalid_transfer_id"),
        bad("quote never closed", with_row("tx-2,1000,XOF,MSISDN,22890000021,\"Kossi"), "unclosed_quote"),
        bad("10,000 columns", {
            let mut h = String::from(STANDARD_HEADER);
            for i in 0..10_000 {
                h.push_str(&format!(",c{i}"));
            }
            format!("{h}\ntx-1,1000,XOF,MSISDN,22890000011,Ama\n").into_bytes()
        }, "unknown_header"),
        bad("10,000 cells in a row", with_row(&format!("tx-2,1000,XOF,MSISDN,22890000021,Kossi{}", ",x".repeat(10_000))), "wrong_column_count"),
        bad("1 MB cell", cell(5, &"A".repeat(1 << 20)), "value_too_long"),
        bad("100,001 rows", big_rows(100_001), "too_many_rows"),
        bad("amount 1e3", amount("1e3"), "amount_not_integer"),
        bad("amount 0x10", amount("0x10"), "amount_not_integer"),
        bad("amount 100\u{a0}000 (French thousands)", amount("100\u{a0}000"), "amount_not_integer"),
        bad("amount 100 000", amount("100 000"), "amount_not_integer"),
        bad("amount 9223372036854775808", amount("9223372036854775808"), "amount_too_large"),
        bad("amount -0", amount("-0"), "amount_not_positive"),
        bad("amount -100", amount("-100"), "amount_not_positive"),
        bad("amount +100", amount("+100"), "amount_not_integer"),
        bad("amount 0", amount("0"), "amount_not_positive"),
        bad("amount 10.50", amount("10.50"), "amount_has_decimals"),
        bad("Arabic-Indic digits", amount("١٠٠"), "amount_not_integer"),
        bad("fullwidth digits", amount("１００"), "amount_not_integer"),
        bad("empty amount", amount(""), "empty_value"),
        bad("amounts overflow the total", {
            let mut b = cell(1, "9000000000000000000");
            b.extend_from_slice(b"tx-3,9000000000000000000,XOF,MSISDN,22890000031,X\n");
            b
        }, "amount_overflow"),
        bad("MSISDN with +", msisdn("+22890000021"), "identifier_invalid_msisdn"),
        bad("MSISDN with spaces", msisdn("228 9000 0021"), "identifier_invalid_msisdn"),
        bad("MSISDN with letters", msisdn("2289000OO21"), "identifier_invalid_msisdn"),
        bad("MSISDN leading zero", msisdn("022890000021"), "identifier_invalid_msisdn"),
        bad("MSISDN 16 digits", msisdn("2289000002100001"), "identifier_invalid_msisdn"),
        bad("MSISDN 4 digits", msisdn("2289"), "identifier_invalid_msisdn"),
        bad("SQL in transferId", cell(0, SQL), "invalid_transfer_id"),
        bad("SQL in amount", amount(SQL), "amount_not_integer"),
        bad("SQL in currency", cell(2, SQL), "unknown_currency"),
        bad("SQL in partyIdType", cell(3, SQL), "unknown_party_id_type"),
        bad("SQL in MSISDN", msisdn(SQL), "identifier_invalid_msisdn"),
        bad("SQL in a header", format!("{STANDARD_HEADER},{SQL}\ntx-1,1000,XOF,MSISDN,22890000011,Ama,x\n").into_bytes(), "unknown_header"),
        bad("script in transferId", cell(0, SCRIPT), "invalid_transfer_id"),
        bad("script in amount", amount(SCRIPT), "amount_not_integer"),
        bad("script in currency", cell(2, SCRIPT), "unknown_currency"),
        bad("script in partyIdType", cell(3, SCRIPT), "unknown_party_id_type"),
        bad("script in MSISDN", msisdn(SCRIPT), "identifier_invalid_msisdn"),
        bad("script in PERSONAL_ID (spaces)", with_row("tx-2,1000,XOF,PERSONAL_ID,<script> alert(1)</script>,K"), "identifier_invalid_chars"),
        bad("mixed currencies", cell(2, "XAF"), "mixed_currency"),
        bad("unknown currency", cell(2, "ZZZ"), "unknown_currency"),
        bad("lower-case currency", cell(2, "xof"), "unknown_currency"),
        bad("lower-case party type", cell(3, "msisdn"), "unknown_party_id_type"),
        bad("duplicated header", b"transferId,amount,currency,partyIdType,partyIdentifier,amount\ntx-1,1,XOF,MSISDN,22890000011,1\n".to_vec(), "duplicate_header"),
        bad("missing column", b"transferId,amount,currency,partyIdentifier\ntx-1,1,XOF,22890000011\n".to_vec(), "missing_header"),
        bad("no header", b"tx-1,1000,XOF,MSISDN,22890000011,Ama\n".to_vec(), "unrecognized_header"),
        bad("empty file", Vec::new(), "empty_file"),
        bad("header only", format!("{STANDARD_HEADER}\n").into_bytes(), "empty_file"),
        bad("blank lines only", b"\n\n,,,\n  \n\r\n".to_vec(), "empty_file"),
        bad("short row", with_row("tx-2,1000,XOF"), "wrong_column_count"),
        bad("duplicate transferId", cell(0, "tx-1"), "duplicate_transfer_id"),
        bad("duplicate payee", msisdn("22890000011"), "duplicate_payee"),
        bad("transferId of 65 characters", cell(0, &"t".repeat(65)), "invalid_transfer_id"),
        bad("control character in the name", cell(5, "Ama\u{7}"), "invalid_payee_name"),
        bad("name of 129 characters", cell(5, &"N".repeat(129)), "invalid_payee_name"),
        bad("ALIAS of 129 characters", with_row(&format!("tx-2,1000,XOF,ALIAS,{},K", "a".repeat(129))), "identifier_too_long"),
        bad("empty identifier", msisdn(""), "empty_value"),
        bad("semicolon header, comma rows", b"transferId;amount;currency;partyIdType;partyIdentifier\ntx-1,1000,XOF,MSISDN,22890000011\n".to_vec(), "wrong_column_count"),
    ];
    v.push(BadFile {
        name: "file 1 MiB over MAX_UPLOAD_BYTES".into(),
        bytes: {
            let mut b = format!("{STANDARD_HEADER}\n").into_bytes();
            b.resize(api::settings::DEFAULT_MAX_UPLOAD_BYTES + 1024 * 1024, b'x');
            b
        },
        status: 413,
        error: "payload_too_large",
        detail: None,
    });
    v.push(BadFile {
        name: "more than the account holds".into(),
        bytes: cell(1, "999999999999"),
        status: 422,
        error: "insufficient_funds",
        detail: None,
    });
    v
}
