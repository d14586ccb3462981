//! The two accepted CSV layouts and the recognition of a header line.

use ::csv::StringRecord;
use serde::{Deserialize, Serialize};

use super::codes;
use super::problems::Problems;

/// Which of the accepted layouts a file uses (chosen from its header line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvFormat {
    /// `transferId,amount,currency,partyIdType,partyIdentifier[,payeeName]`.
    Standard,
    /// `type_id,valeur_id,devise,montant[,nom_complet]` (transfer ids are generated).
    PaymentList,
    /// Not a CSV layout: an ISO 20022 pain.001 XML file, read by
    /// [`parse_pain001`](crate::iso20022::parse_pain001) (transfer ids are the EndToEndIds).
    Pain001,
}

/// A logical column, whatever the format calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    TransferId,
    Amount,
    Currency,
    PartyIdType,
    PartyIdentifier,
    PayeeName,
}

impl Column {
    const COUNT: usize = 6;

    fn slot(self) -> usize {
        match self {
            Column::TransferId => 0,
            Column::Amount => 1,
            Column::Currency => 2,
            Column::PartyIdType => 3,
            Column::PartyIdentifier => 4,
            Column::PayeeName => 5,
        }
    }
}

/// `(column, canonical header, required)` per format, in the documented order.
const STANDARD: [(Column, &str, bool); 6] = [
    (Column::TransferId, "transferId", true),
    (Column::Amount, "amount", true),
    (Column::Currency, "currency", true),
    (Column::PartyIdType, "partyIdType", true),
    (Column::PartyIdentifier, "partyIdentifier", true),
    (Column::PayeeName, "payeeName", false),
];
const PAYMENT_LIST: [(Column, &str, bool); 5] = [
    (Column::PartyIdType, "type_id", true),
    (Column::PartyIdentifier, "valeur_id", true),
    (Column::Currency, "devise", true),
    (Column::Amount, "montant", true),
    (Column::PayeeName, "nom_complet", false),
];

impl CsvFormat {
    /// Both CSV layouts (what [`parse_csv`](super::parse_csv) recognises).
    pub const ALL: [CsvFormat; 2] = [CsvFormat::Standard, CsvFormat::PaymentList];

    /// Stable name (`"standard"`, `"payment_list"`, `"pain001"`).
    pub fn as_str(self) -> &'static str {
        match self {
            CsvFormat::Standard => "standard",
            CsvFormat::PaymentList => "payment_list",
            CsvFormat::Pain001 => "pain001",
        }
    }

    /// The required header names, in the documented order.
    pub fn required_headers(self) -> Vec<&'static str> {
        self.columns()
            .iter()
            .filter(|(_, _, required)| *required)
            .map(|(_, name, _)| *name)
            .collect()
    }

    /// The optional beneficiary-name header (`payeeName` / `nom_complet`).
    pub fn optional_header(self) -> &'static str {
        self.field_name(Column::PayeeName)
    }

    fn columns(self) -> &'static [(Column, &'static str, bool)] {
        match self {
            CsvFormat::Standard => &STANDARD,
            CsvFormat::PaymentList => &PAYMENT_LIST,
            CsvFormat::Pain001 => &[],
        }
    }

    /// Canonical header of a column in this format (used as the `field` of problems). The payment
    /// list has no transfer-id column (ids are generated); `transferId` is used for it all the same.
    pub(crate) fn field_name(self, column: Column) -> &'static str {
        self.columns()
            .iter()
            .find(|(c, _, _)| *c == column)
            .map_or("transferId", |(_, name, _)| *name)
    }

    /// The column a header cell names in this format (case-insensitive, surrounding spaces ignored).
    fn column_of(self, header: &str) -> Option<Column> {
        let header = header.trim();
        self.columns()
            .iter()
            .find(|(_, name, _)| name.eq_ignore_ascii_case(header))
            .map(|(c, _, _)| *c)
    }
}

/// Where each column of the chosen format sits in the file.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) format: CsvFormat,
    /// Number of cells of the header line; every data row must have as many.
    pub(crate) width: usize,
    index: [Option<usize>; Column::COUNT],
}

impl Layout {
    /// File position (0-based) of a column, `None` when an optional column is absent.
    pub(crate) fn index(&self, column: Column) -> Option<usize> {
        self.index[column.slot()]
    }
}

/// Recognises the header line.
///
/// The format is the one most of the header cells belong to. A header matching neither (or both
/// equally) gives one `unrecognized_header` problem. Inside the chosen format, an unknown cell is reported
/// (`unknown_header`) but rows are still checked; a duplicated or missing required column is fatal (the
/// rows cannot be read reliably) and `None` is returned.
pub(crate) fn detect(header: &StringRecord, line: u64, problems: &mut Problems) -> Option<Layout> {
    let score = |f: CsvFormat| header.iter().filter(|h| f.column_of(h).is_some()).count();
    let (standard, list) = (score(CsvFormat::Standard), score(CsvFormat::PaymentList));
    let format = match standard.cmp(&list) {
        std::cmp::Ordering::Greater => CsvFormat::Standard,
        std::cmp::Ordering::Less => CsvFormat::PaymentList,
        std::cmp::Ordering::Equal => {
            problems.push(
                line,
                0,
                "header",
                codes::UNRECOGNIZED_HEADER,
                format!(
                    "the header matches neither accepted format: expected `{}` (optional `{}`) or `{}` (optional `{}`)",
                    CsvFormat::Standard.required_headers().join(","),
                    CsvFormat::Standard.optional_header(),
                    CsvFormat::PaymentList.required_headers().join(","),
                    CsvFormat::PaymentList.optional_header(),
                ),
            );
            return None;
        }
    };

    let mut index = [None; Column::COUNT];
    let mut fatal = false;
    for (i, cell) in header.iter().enumerate() {
        match format.column_of(cell) {
            Some(column) if index[column.slot()].is_some() => {
                fatal = true;
                let name = format.field_name(column);
                problems.push(
                    line,
                    i,
                    name,
                    codes::DUPLICATE_HEADER,
                    format!("the column `{name}` appears more than once"),
                );
            }
            Some(column) => index[column.slot()] = Some(i),
            None => {
                let written = cell.trim();
                let field = if written.is_empty() {
                    "header"
                } else {
                    written
                };
                problems.push(
                    line,
                    i,
                    field,
                    codes::UNKNOWN_HEADER,
                    format!(
                        "unknown column `{written}` for the {} format (expected {}, optional {})",
                        format.as_str(),
                        format.required_headers().join(","),
                        format.optional_header()
                    ),
                );
            }
        }
    }
    for (n, (column, name, required)) in format.columns().iter().enumerate() {
        if *required && index[column.slot()].is_none() {
            fatal = true;
            problems.push(
                line,
                header.len() + n,
                name,
                codes::MISSING_HEADER,
                format!("the required column `{name}` is missing"),
            );
        }
    }
    (!fatal).then_some(Layout {
        format,
        width: header.len(),
        index,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn detect_str(h: &str) -> (Option<Layout>, Vec<super::super::RowProblem>) {
        let record = StringRecord::from(h.split(',').collect::<Vec<_>>());
        let mut problems = Problems::default();
        let layout = detect(&record, 1, &mut problems);
        (layout, problems.into_refusal().problems)
    }

    #[test]
    fn standard_any_order_and_case() {
        let (layout, problems) =
            detect_str(" PartyIdentifier ,AMOUNT,transferid,currency,partyIdType,payeename");
        let layout = layout.unwrap();
        assert!(problems.is_empty());
        assert_eq!(layout.format, CsvFormat::Standard);
        assert_eq!(layout.index(Column::Amount), Some(1));
        assert_eq!(layout.index(Column::PayeeName), Some(5));
    }

    #[test]
    fn payment_list_without_name() {
        let (layout, _) = detect_str("type_id,valeur_id,devise,montant");
        let layout = layout.unwrap();
        assert_eq!(layout.format, CsvFormat::PaymentList);
        assert_eq!(layout.index(Column::PayeeName), None);
        assert_eq!(layout.index(Column::TransferId), None);
    }

    #[test]
    fn neither() {
        let (layout, problems) = detect_str("id,sum,cur");
        assert!(layout.is_none());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "header");
        assert_eq!(problems[0].code, codes::UNRECOGNIZED_HEADER);
    }

    #[test]
    fn duplicate_missing_unknown() {
        let (layout, problems) = detect_str("transferId,amount,amount,currency,partyIdType,extra");
        assert!(layout.is_none());
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("amount", codes::DUPLICATE_HEADER),
                ("extra", codes::UNKNOWN_HEADER),
                ("partyIdentifier", codes::MISSING_HEADER),
            ]
        );
    }

    #[test]
    fn unknown_extra_is_not_fatal() {
        let (layout, problems) = detect_str("type_id,valeur_id,devise,montant,commentaire");
        assert!(layout.is_some());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, codes::UNKNOWN_HEADER);
        assert_eq!(problems[0].field, "commentaire");
    }
}
