//! CSV ingestion of the two accepted file formats.
//!
//! [`parse_csv`] recognises the format from the header line, reads the rows with a streaming reader
//! and returns either every row, validated, or every problem found — never a partial result.
//!
//! What spreadsheets export is accepted: a UTF-8 byte-order mark, `;` instead of `,` (the delimiter is
//! the one the header line uses more), CRLF line ends, header names in any case and order with
//! surrounding spaces, cells with surrounding spaces. Empty lines — and lines whose cells are all empty,
//! such as `;;;` — are skipped wherever they are; line numbers stay those of the file.
//!
//! Problems are reported with the physical line (header = 1) and the column's canonical name. The
//! whole file is refused without further checks when it is not UTF-8 text, when its header is not
//! usable, or when a quote is never closed; otherwise every row is checked.

mod formats;
mod input;
pub(crate) mod problems;
pub(crate) mod validation;

use ::csv::{ReaderBuilder, StringRecord};
use serde::Serialize;

use crate::money::{Amount, Currency};
use crate::party::{PartyIdType, PartyIdentifier};

pub use formats::CsvFormat;
pub use problems::{Refusal, RowProblem};
pub use validation::{MAX_CELL_CHARS, MAX_PAYEE_NAME_CHARS, MAX_TRANSFER_ID_CHARS};

use problems::Problems;
use validation::Validator;

/// Codes of the problems [`parse_csv`] reports itself. Amount, currency and party problems use the
/// `code()` of [`MoneyError`](crate::MoneyError) and [`PartyError`](crate::PartyError)
/// (`amount_not_positive`, `amount_has_decimals`, `amount_not_integer`, `amount_too_large`,
/// `amount_overflow`, `unknown_currency`, `unknown_party_id_type`, `identifier_invalid_msisdn`, …).
pub mod codes {
    /// Not UTF-8 text (field `file`, line of the first bad byte).
    pub const INVALID_ENCODING: &str = "invalid_encoding";
    /// The header line matches neither format (field `header`).
    pub const UNRECOGNIZED_HEADER: &str = "unrecognized_header";
    /// A header cell that is not a column of the format (field = the name as written).
    pub const UNKNOWN_HEADER: &str = "unknown_header";
    /// A column named twice in the header.
    pub const DUPLICATE_HEADER: &str = "duplicate_header";
    /// A required column absent from the header.
    pub const MISSING_HEADER: &str = "missing_header";
    /// A row with another number of cells than the header (field `row`).
    pub const WRONG_COLUMN_COUNT: &str = "wrong_column_count";
    /// A quote opened on this line and never closed (field `row`).
    pub const UNCLOSED_QUOTE: &str = "unclosed_quote";
    /// A required cell is empty.
    pub const EMPTY_VALUE: &str = "empty_value";
    /// A cell longer than [`MAX_CELL_CHARS`](super::MAX_CELL_CHARS).
    pub const VALUE_TOO_LONG: &str = "value_too_long";
    /// More data rows than allowed (field `row`, on the first row over the limit; reading stops).
    pub const TOO_MANY_ROWS: &str = "too_many_rows";
    /// No data row (field `file`; line 1 without header, else the line after it).
    pub const EMPTY_FILE: &str = "empty_file";
    /// A currency other than the first row's.
    pub const MIXED_CURRENCY: &str = "mixed_currency";
    /// A transferId already used on an earlier line.
    pub const DUPLICATE_TRANSFER_ID: &str = "duplicate_transfer_id";
    /// A payee (type + identifier) already on an earlier line.
    pub const DUPLICATE_PAYEE: &str = "duplicate_payee";
    /// A transferId with characters other than `[A-Za-z0-9._-]` or longer than 64.
    pub const INVALID_TRANSFER_ID: &str = "invalid_transfer_id";
    /// A beneficiary name too long or with control characters.
    pub const INVALID_PAYEE_NAME: &str = "invalid_payee_name";
}

/// Options of [`parse_csv`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept the same payee (type + identifier) on several rows.
    pub allow_duplicate_payees: bool,
    /// Most data rows accepted.
    pub max_rows: usize,
    /// Most problems listed in a refusal (every one is still counted).
    pub max_problems: usize,
}

/// Problems listed in a refusal by default: enough to fix a file, bounded for a file wrong in
/// every cell.
pub const MAX_PROBLEMS: usize = 1_000;

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            allow_duplicate_payees: false,
            max_rows: 100_000,
            max_problems: MAX_PROBLEMS,
        }
    }
}

/// One valid row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedRow {
    /// Physical line in the file.
    pub line: u64,
    /// From the file (standard) or generated as `row-<line>` (payment list): unique in the file and
    /// the same for the same row of the same file.
    pub transfer_id: String,
    /// Minor units.
    pub amount: Amount,
    /// Always the file's currency.
    pub currency: Currency,
    /// Payee's id type.
    pub party_id_type: PartyIdType,
    /// Payee's identifier, valid for its type.
    pub party_identifier: PartyIdentifier,
    /// Beneficiary name, when the optional column is present and filled.
    pub payee_name: Option<String>,
}

/// A valid file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedFile {
    /// Format recognised from the header.
    pub format: CsvFormat,
    /// The one currency of the file.
    pub currency: Currency,
    /// Rows in file order (at least one).
    pub rows: Vec<ParsedRow>,
    /// Sum of the amounts.
    pub total_amount: Amount,
}

/// Parses and validates an uploaded file; see the [module documentation](self).
///
/// Returns the rows if there is no problem; else the [`Refusal`]: the first
/// [`max_problems`](ParseOptions::max_problems) problems sorted by line and then by column
/// position, with the count of all of them (every row is still checked).
///
/// ```
/// use domain::{parse_csv, ParseOptions};
///
/// let file = "type_id;valeur_id;devise;montant\r\nMSISDN;22890123456;XOF;10000\r\n";
/// let parsed = parse_csv(file.as_bytes(), &ParseOptions::default()).unwrap();
/// assert_eq!(parsed.rows[0].transfer_id, "row-2");
/// assert_eq!(parsed.total_amount.minor(), 10_000);
///
/// let refusal = parse_csv(b"id,sum\n1,2\n", &ParseOptions::default()).unwrap_err();
/// let first = &refusal.problems[0];
/// assert_eq!((first.line, first.field.as_str()), (1, "header"));
/// ```
pub fn parse_csv(bytes: &[u8], opts: &ParseOptions) -> Result<ParsedFile, Refusal> {
    if let Some(problem) = input::check_encoding(bytes) {
        return Err(Refusal::single(problem));
    }
    let data = input::strip_bom(bytes);
    let delimiter = input::sniff_delimiter(data);
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data);
    let mut problems = Problems::keeping(opts.max_problems);
    let mut record = StringRecord::new();
    let mut validator: Option<Validator<'_>> = None;
    let mut header_line = None;

    loop {
        let start = reader.position().clone();
        let (offset, line) = input::record_start(data, &start);
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // Cannot happen: the text is checked UTF-8 and read from memory. Kept as a problem
                // rather than a panic.
                problems.push(line, 0, "row", codes::INVALID_ENCODING, e.to_string());
                break;
            }
        }
        let at_eof = reader.position().byte() >= data.len() as u64;
        if at_eof && input::ends_in_open_quote(&data[offset..], delimiter) {
            problems.forget_line(line);
            let message = "a quote (\") opened on this line is never closed".to_owned();
            problems.push(line, 0, "row", codes::UNCLOSED_QUOTE, message);
            break;
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let Some(v) = validator.as_mut() else {
            header_line = Some(line);
            match formats::detect(&record, line, &mut problems) {
                Some(layout) => validator = Some(Validator::new(layout, opts)),
                None => return Err(problems.into_refusal()),
            }
            continue;
        };
        v.count += 1;
        if v.count > opts.max_rows {
            let message = format!("the file has more than {} rows", opts.max_rows);
            problems.push(line, 0, "row", codes::TOO_MANY_ROWS, message);
            break;
        }
        v.row(line, &record, &mut problems);
    }

    let summary = validator.as_ref().and_then(Validator::summary);
    let count = validator.as_ref().map_or(0, |v| v.count);
    if count == 0 && !problems.has_code(codes::UNCLOSED_QUOTE) {
        let line = header_line.map_or(1, |l| l + 1);
        let message = "the file has no data rows".to_owned();
        problems.push(line, 0, "file", codes::EMPTY_FILE, message);
    }
    match (validator, summary) {
        (Some(v), Some((currency, total_amount))) if problems.is_empty() => Ok(ParsedFile {
            format: v.format(),
            currency,
            rows: v.rows,
            total_amount,
        }),
        _ => Err(problems.into_refusal()),
    }
}
