//! Byte-level handling of an upload before CSV parsing: encoding, BOM, delimiter, line numbers and
//! quotes left open.

use ::csv::Position;

use super::RowProblem;
use super::codes;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A problem if the file is not UTF-8 text: invalid UTF-8 sequences (Latin-1, UTF-16, binary) or a NUL
/// byte (which UTF-16 text and binary files contain and no CSV does). Reports the first bad line.
pub(crate) fn check_encoding(bytes: &[u8]) -> Option<RowProblem> {
    let bad_utf8 = std::str::from_utf8(bytes).err().map(|e| e.valid_up_to());
    let nul = bytes[..bad_utf8.unwrap_or(bytes.len())]
        .iter()
        .position(|&b| b == 0);
    let (offset, what) = match (nul, bad_utf8) {
        (Some(n), _) => (n, "contains a NUL byte (binary or UTF-16 file)"),
        (None, Some(o)) => (o, "is not valid UTF-8 text"),
        (None, None) => return None,
    };
    Some(RowProblem {
        line: 1 + count_newlines(&bytes[..offset]),
        field: "file".to_owned(),
        code: codes::INVALID_ENCODING.to_owned(),
        message: format!("the file {what}; save it as \"CSV UTF-8\""),
    })
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// The bytes without a leading UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// `;` if the first line has more semicolons than commas (a French spreadsheet export), else `,`.
pub(crate) fn sniff_delimiter(data: &[u8]) -> u8 {
    let first_line = data.split(|&b| b == b'\n').next().unwrap_or(data);
    let count = |d: u8| first_line.iter().filter(|&&b| b == d).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// Byte offset and physical line of the first byte of the record read from `pos`.
///
/// The reader reports the position where it started reading, which may sit before empty lines it
/// skipped (or before the `\n` of a CRLF it has not consumed yet); skip them here.
pub(crate) fn record_start(data: &[u8], pos: &Position) -> (usize, u64) {
    let mut offset = usize::try_from(pos.byte())
        .unwrap_or(data.len())
        .min(data.len());
    let mut line = pos.line();
    while let Some(&b) = data.get(offset) {
        match b {
            b'\n' => line += 1,
            b'\r' => {}
            _ => break,
        }
        offset += 1;
    }
    (offset, line)
}

/// Whether the record starting at `raw[0]` and running to the end of the file ends inside a quoted
/// field — a quote never closed (the CSV reader silently takes the rest of the file as that field).
///
/// Mirrors the reader's rules: a field is quoted only if it starts with `"`; inside it, `""` is an
/// escaped quote; after the closing quote, anything up to the delimiter is plain text.
pub(crate) fn ends_in_open_quote(raw: &[u8], delimiter: u8) -> bool {
    #[derive(Clone, Copy)]
    enum S {
        StartField,
        Plain,
        Quoted,
        QuoteInQuoted,
    }
    let is_end = |b: u8| b == delimiter || b == b'\n' || b == b'\r';
    let mut state = S::StartField;
    for &b in raw {
        state = match state {
            S::StartField if b == b'"' => S::Quoted,
            S::StartField | S::Plain | S::QuoteInQuoted if is_end(b) => S::StartField,
            S::StartField | S::Plain => S::Plain,
            S::Quoted if b == b'"' => S::QuoteInQuoted,
            S::Quoted => S::Quoted,
            S::QuoteInQuoted if b == b'"' => S::Quoted,
            S::QuoteInQuoted => S::Plain,
        };
    }
    matches!(state, S::Quoted)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn encoding() {
        assert!(check_encoding("a,b\nc,é\n".as_bytes()).is_none());
        let latin1 = b"a,b\nc,d\ne,\xe9\n";
        let p = check_encoding(latin1).unwrap();
        assert_eq!((p.line, p.code.as_str()), (3, codes::INVALID_ENCODING));
        let nul = b"a,b\n\nc\0d\n";
        assert_eq!(check_encoding(nul).unwrap().line, 3);
        let utf16 = b"\xff\xfea\0,\0b\0";
        assert_eq!(check_encoding(utf16).unwrap().line, 1);
        let nul_then_bad = b"a\0\n\xff";
        assert_eq!(check_encoding(nul_then_bad).unwrap().line, 1);
    }

    #[test]
    fn delimiter() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2;3"), b';');
        assert_eq!(sniff_delimiter(b"a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
        assert_eq!(sniff_delimiter(b"nom;montant,devise;x"), b';');
    }

    #[test]
    fn bom() {
        assert_eq!(strip_bom(b"\xEF\xBB\xBFa"), b"a");
        assert_eq!(strip_bom(b"a"), b"a");
    }

    #[test]
    fn open_quotes() {
        assert!(ends_in_open_quote(b"a,\"b\n", b','));
        assert!(ends_in_open_quote(b"a,\"b\"\"\n\nc", b','));
        assert!(!ends_in_open_quote(b"a,\"b\"\"c\"\n", b','));
        assert!(!ends_in_open_quote(b"a,b\"c\n", b','));
        assert!(!ends_in_open_quote(b"a;\"b;c\";d", b';'));
        assert!(ends_in_open_quote(b"\"x\"y,\"", b','));
    }
}
