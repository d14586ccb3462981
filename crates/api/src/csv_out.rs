//! CSV files the gateway writes (`report.csv`, `verification.csv`), safe to open in a spreadsheet.
//!
//! Payee names, identifiers and error texts come from uploaded files and from the switch: hostile
//! input. A spreadsheet evaluates a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return as a formula — and it decides where a cell starts with its own delimiter, which in a
//! French Excel is `;`, not `,`. So every field is quoted, and inside a field a `'` is put before
//! such a character wherever a cell could start: at the field's start and right after every `,` or
//! `;` (a field `x;=HYPERLINK(…)` would otherwise become a formula cell when the file is split at
//! `;`). Numbers the gateway writes itself (amounts, line numbers, attempts) are never negative and
//! pass unchanged.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` with a `'` before every character that would start a formula in a cell beginning at
/// the field's start or after a `,` or `;`.
pub fn escape_cell(cell: &str) -> Cow<'_, str> {
    let mut at_start = true;
    let risky = cell.chars().any(|c| {
        let hit = at_start && FORMULA_START.contains(&c);
        at_start = matches!(c, ',' | ';');
        hit
    });
    if !risky {
        return Cow::Borrowed(cell);
    }
    let mut out = String::with_capacity(cell.len() + 4);
    let mut at_start = true;
    for c in cell.chars() {
        if at_start && FORMULA_START.contains(&c) {
            out.push('\'');
        }
        out.push(c);
        at_start = matches!(c, ',' | ';');
    }
    Cow::Owned(out)
}

/// A CSV writer into memory that quotes every field (header included).
pub fn writer(capacity: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::with_capacity(capacity))
}

/// The header line `columns` (comma-separated names), quoted like the rows.
pub fn header_line(columns: &str) -> Result<Vec<u8>, csv::Error> {
    let mut w = writer(columns.len() * 2);
    w.write_record(columns.split(','))?;
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn escapes_formulas_at_every_possible_cell_start() {
        assert_eq!(escape_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(escape_cell("+1"), "'+1");
        assert_eq!(escape_cell("-1"), "'-1");
        assert_eq!(escape_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(escape_cell("\tx"), "'\tx");
        assert_eq!(escape_cell("x;=HYPERLINK(1)"), "x;'=HYPERLINK(1)");
        assert_eq!(escape_cell("a,+1;-2"), "a,'+1;'-2");
        assert_eq!(escape_cell("DROP;--"), "DROP;'--");
        // Ordinary text is borrowed as is.
        for plain in ["Ama Mensah", "", "Jean-Pierre", "a=b", "Kofi, Ama", "1;2"] {
            assert!(matches!(escape_cell(plain), Cow::Borrowed(_)), "{plain}");
        }
    }

    /// Reads the written bytes back with both delimiters a spreadsheet may use: no cell starts
    /// a formula either way.
    #[test]
    fn no_cell_starts_a_formula_with_either_delimiter() {
        let hostile = [
            "x;=HYPERLINK(\"http://evil.example\";\"clic\")",
            "=1+1",
            "a,@SUM(A1)",
            "b;-2+3",
            "c,\"=d\"",
            "e;\t=1",
            "Ama Mensah",
        ];
        let mut w = writer(256);
        w.write_record(hostile.iter().map(|h| escape_cell(h).into_owned()))
            .unwrap();
        let bytes = w.into_inner().unwrap();
        for delimiter in [b',', b';'] {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(delimiter)
                .flexible(true)
                .from_reader(bytes.as_slice());
            for record in r.records() {
                for cell in record.unwrap().iter() {
                    let cell = cell.trim_start_matches('"');
                    assert!(
                        !cell.starts_with(FORMULA_START),
                        "{:?}: cell {cell:?}",
                        delimiter as char
                    );
                }
            }
        }
        // With the right delimiter the text comes back whole, behind its marks.
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "x;'=HYPERLINK(\"http://evil.example\";\"clic\")");
        assert_eq!(&row[6], "Ama Mensah");
        assert!(bytes.starts_with(b"\"x;"), "every field quoted");
    }

    #[test]
    fn header_is_quoted_like_the_rows() {
        assert_eq!(header_line("a,b").unwrap(), b"\"a\",\"b\"\n");
    }
}
