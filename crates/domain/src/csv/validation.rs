//! Validation of data rows: each cell on its own, then the checks across rows (duplicates, one
//! currency per file, the total).

use std::collections::HashMap;

use ::csv::StringRecord;

use super::formats::{Column, CsvFormat, Layout};
use super::problems::Problems;
use super::{ParseOptions, ParsedRow, codes};
use crate::money::{Amount, Currency};
use crate::party::{PartyIdType, PartyIdentifier};

/// Longest cell accepted, in characters.
pub const MAX_CELL_CHARS: usize = 1024;
/// Longest transferId accepted (standard format).
pub const MAX_TRANSFER_ID_CHARS: usize = 64;
/// Longest beneficiary name accepted.
pub const MAX_PAYEE_NAME_CHARS: usize = 128;

/// Whether `value` (already trimmed, not empty) is a valid transferId: at most
/// [`MAX_TRANSFER_ID_CHARS`] characters among `[A-Za-z0-9._-]`. Shared by the CSV and the
/// ISO 20022 parsers.
pub(crate) fn is_valid_transfer_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_TRANSFER_ID_CHARS
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The message of an `invalid_transfer_id` problem; `what` names the value (`a transferId`,
/// `an EndToEndId`).
pub(crate) fn transfer_id_rule(what: &str) -> String {
    format!(
        "{what} is 1 to {MAX_TRANSFER_ID_CHARS} characters among A-Z, a-z, 0-9, '.', '_' and '-'"
    )
}

/// Whether `value` (already trimmed) is an acceptable beneficiary name: at most
/// [`MAX_PAYEE_NAME_CHARS`] characters, no control character.
pub(crate) fn is_valid_payee_name(value: &str) -> bool {
    value.chars().count() <= MAX_PAYEE_NAME_CHARS && !value.chars().any(char::is_control)
}

/// The message of an `invalid_payee_name` problem.
pub(crate) fn payee_name_rule() -> String {
    format!(
        "a beneficiary name is at most {MAX_PAYEE_NAME_CHARS} characters, without control characters"
    )
}

/// State kept while streaming the rows of one file.
pub(crate) struct Validator<'o> {
    layout: Layout,
    opts: &'o ParseOptions,
    /// transferId → first line (standard format only; generated ids are unique by construction).
    seen_ids: HashMap<String, u64>,
    /// (type, identifier) → first line; empty when duplicate payees are allowed.
    seen_payees: HashMap<(PartyIdType, String), u64>,
    /// Currency of the first row that had a valid one, and its line.
    currency: Option<(Currency, u64)>,
    total: Option<Amount>,
    total_overflowed: bool,
    /// Data rows seen (blank lines excluded).
    pub(crate) count: usize,
    pub(crate) rows: Vec<ParsedRow>,
}

impl<'o> Validator<'o> {
    pub(crate) fn new(layout: Layout, opts: &'o ParseOptions) -> Self {
        Validator {
            layout,
            opts,
            seen_ids: HashMap::new(),
            seen_payees: HashMap::new(),
            currency: None,
            total: None,
            total_overflowed: false,
            count: 0,
            rows: Vec::new(),
        }
    }

    pub(crate) fn format(&self) -> CsvFormat {
        self.layout.format
    }

    /// The file's currency and total, once at least one valid row was seen.
    pub(crate) fn summary(&self) -> Option<(Currency, Amount)> {
        Some((self.currency?.0, self.total?))
    }

    fn field(&self, column: Column) -> &'static str {
        self.layout.format.field_name(column)
    }

    /// Checks one data row, recording its problems; keeps the parsed row only while the file has no
    /// problem at all (a rejected file's rows are never used, so they are not held).
    pub(crate) fn row(&mut self, line: u64, record: &StringRecord, problems: &mut Problems) {
        if record.len() != self.layout.width {
            problems.push(
                line,
                0,
                "row",
                codes::WRONG_COLUMN_COUNT,
                format!(
                    "expected {} columns as in the header, found {}",
                    self.layout.width,
                    record.len()
                ),
            );
            return;
        }
        let transfer_id = match self.layout.format {
            // The layouts of `formats::detect` are CSV ones; `Pain001` never reaches here.
            CsvFormat::Standard | CsvFormat::Pain001 => self.transfer_id(line, record, problems),
            CsvFormat::PaymentList => Some(format!("row-{line}")),
        };
        let amount = self.amount(line, record, problems);
        let currency = self.currency(line, record, problems);
        let (party_id_type, party_identifier) = self.party(line, record, problems);
        let payee_name = self.payee_name(line, record, problems);
        if !problems.is_empty() {
            return;
        }
        if let (Some(transfer_id), Some(amount), Some(currency), Some(t), Some(id)) = (
            transfer_id,
            amount,
            currency,
            party_id_type,
            party_identifier,
        ) {
            self.rows.push(ParsedRow {
                line,
                transfer_id,
                amount,
                currency,
                party_id_type: t,
                party_identifier: id,
                payee_name,
            });
        }
    }

    /// The trimmed cell of a column with the checks every cell gets (length, emptiness); `None` if the
    /// column is absent, empty or too long.
    fn cell<'r>(
        &self,
        line: u64,
        record: &'r StringRecord,
        column: Column,
        required: bool,
        problems: &mut Problems,
    ) -> Option<(usize, &'r str)> {
        let idx = self.layout.index(column)?;
        let value = record.get(idx).unwrap_or("").trim();
        let field = self.field(column);
        if value.len() > MAX_CELL_CHARS && value.chars().count() > MAX_CELL_CHARS {
            let message = format!("the value is longer than {MAX_CELL_CHARS} characters");
            problems.push(line, idx, field, codes::VALUE_TOO_LONG, message);
            return None;
        }
        if value.is_empty() {
            if required {
                let message = format!("`{field}` is empty");
                problems.push(line, idx, field, codes::EMPTY_VALUE, message);
            }
            return None;
        }
        Some((idx, value))
    }

    fn transfer_id(
        &mut self,
        line: u64,
        rec: &StringRecord,
        problems: &mut Problems,
    ) -> Option<String> {
        let (idx, value) = self.cell(line, rec, Column::TransferId, true, problems)?;
        let field = self.field(Column::TransferId);
        if !is_valid_transfer_id(value) {
            let message = transfer_id_rule("a transferId");
            problems.push(line, idx, field, codes::INVALID_TRANSFER_ID, message);
            return None;
        }
        if let Some(first) = self.seen_ids.get(value) {
            let message = format!("transferId `{value}` is already used on line {first}");
            problems.push(line, idx, field, codes::DUPLICATE_TRANSFER_ID, message);
            return None;
        }
        self.seen_ids.insert(value.to_owned(), line);
        Some(value.to_owned())
    }

    fn amount(&mut self, line: u64, rec: &StringRecord, problems: &mut Problems) -> Option<Amount> {
        let (idx, value) = self.cell(line, rec, Column::Amount, true, problems)?;
        let field = self.field(Column::Amount);
        let amount = match Amount::parse_minor(value) {
            Ok(a) => a,
            Err(e) => {
                problems.push(line, idx, field, e.code(), format!("`{value}`: {e}"));
                return None;
            }
        };
        match self.total {
            None => self.total = Some(amount),
            Some(total) => match total.checked_add(amount) {
                Some(t) => self.total = Some(t),
                None if !self.total_overflowed => {
                    self.total_overflowed = true;
                    let e = crate::MoneyError::Overflow;
                    problems.push(line, idx, field, e.code(), e.to_string());
                }
                None => {}
            },
        }
        Some(amount)
    }

    fn currency(
        &mut self,
        line: u64,
        rec: &StringRecord,
        problems: &mut Problems,
    ) -> Option<Currency> {
        let (idx, value) = self.cell(line, rec, Column::Currency, true, problems)?;
        let field = self.field(Column::Currency);
        let currency = match Currency::parse(value) {
            Ok(c) => c,
            Err(e) => {
                problems.push(line, idx, field, e.code(), e.to_string());
                return None;
            }
        };
        match self.currency {
            None => self.currency = Some((currency, line)),
            Some((first, first_line)) if first != currency => {
                let message = format!(
                    "all rows must use one currency: line {first_line} uses {first}, this row uses {currency}"
                );
                problems.push(line, idx, field, codes::MIXED_CURRENCY, message);
                return None;
            }
            Some(_) => {}
        }
        Some(currency)
    }

    fn party(
        &mut self,
        line: u64,
        rec: &StringRecord,
        problems: &mut Problems,
    ) -> (Option<PartyIdType>, Option<PartyIdentifier>) {
        let kind = self
            .cell(line, rec, Column::PartyIdType, true, problems)
            .and_then(|(idx, value)| match PartyIdType::parse(value) {
                Ok(k) => Some(k),
                Err(e) => {
                    let field = self.field(Column::PartyIdType);
                    problems.push(line, idx, field, e.code(), e.to_string());
                    None
                }
            });
        let cell = self.cell(line, rec, Column::PartyIdentifier, true, problems);
        // Without a valid type there is no rule to check the identifier against.
        let (Some(kind), Some((idx, value))) = (kind, cell) else {
            return (kind, None);
        };
        let field = self.field(Column::PartyIdentifier);
        let id = match PartyIdentifier::parse(kind, value) {
            Ok(id) => id,
            Err(e) => {
                problems.push(line, idx, field, e.code(), e.to_string());
                return (Some(kind), None);
            }
        };
        if !self.opts.allow_duplicate_payees {
            let key = (kind, id.as_str().to_owned());
            if let Some(first) = self.seen_payees.get(&key) {
                let message = format!("the payee {kind} {id} already appears on line {first}");
                problems.push(line, idx, field, codes::DUPLICATE_PAYEE, message);
                return (Some(kind), None);
            }
            self.seen_payees.insert(key, line);
        }
        (Some(kind), Some(id))
    }

    fn payee_name(&self, line: u64, rec: &StringRecord, problems: &mut Problems) -> Option<String> {
        let (idx, value) = self.cell(line, rec, Column::PayeeName, false, problems)?;
        if !is_valid_payee_name(value) {
            let field = self.field(Column::PayeeName);
            let message = payee_name_rule();
            problems.push(line, idx, field, codes::INVALID_PAYEE_NAME, message);
            return None;
        }
        Some(value.to_owned())
    }
}
