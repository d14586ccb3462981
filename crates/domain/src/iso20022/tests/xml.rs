//! The XML level of the pain.001 reader: documents it does not read, malformed and unsafe XML,
//! encodings, references and markup that carry no data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{TX, V03, key, keys, keys_of, line_of, one, parse, tx};
use crate::csv::ParseOptions;
use crate::iso20022::{codes, looks_like_xml, parse_pain001};

#[test]
fn documents_that_are_not_pain001() {
    let cases = [
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.008.001.02\"><CstmrDrctDbtInitn/></Document>",
        "<Document><CstmrCdtTrfInitn/></Document>",
        "<html><body/></html>",
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\">\n<CstmrPmtStsRpt/></Document>",
        "<x:Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"/>",
    ];
    for xml in cases {
        let r = parse(xml).unwrap_err();
        assert_eq!(
            (r.total, r.problems[0].code.as_str()),
            (1, codes::UNSUPPORTED_XML_DOCUMENT),
            "{xml}"
        );
    }
    assert_eq!(keys(cases[3])[0].0, 2);
}

#[test]
fn malformed_or_unsafe_xml() {
    let open = format!("<Document xmlns=\"{V03}\">\n<CstmrCdtTrfInitn>");
    let cases: [(String, u64, &str); 10] = [
        (
            format!("{open}\n<a>\n</b>\n</CstmrCdtTrfInitn></Document>"),
            4,
            codes::INVALID_XML,
        ),
        (format!("{open}\n<a>"), 3, codes::INVALID_XML),
        (
            format!("{open}</CstmrCdtTrfInitn></Document>\ntext"),
            3,
            codes::INVALID_XML,
        ),
        (
            format!("{open}</CstmrCdtTrfInitn></Document>\n<Document/>"),
            3,
            codes::INVALID_XML,
        ),
        (String::new(), 1, codes::INVALID_XML),
        ("<!-- only a comment -->".to_owned(), 1, codes::INVALID_XML),
        (
            format!("{open}\n<a>&nbsp;</a>"),
            3,
            codes::XML_ENTITY_FORBIDDEN,
        ),
        (
            format!("{open}\n<a b=\"&x;\"/>"),
            3,
            codes::XML_ENTITY_FORBIDDEN,
        ),
        (format!("{open}\n<a>&#0;</a>"), 3, codes::INVALID_XML),
        (
            "<?xml version=\"1.0\"?>\n<!DOCTYPE d SYSTEM \"file:///etc/passwd\">\n<d/>".to_owned(),
            2,
            codes::XML_DTD_FORBIDDEN,
        ),
    ];
    for (xml, line, code) in cases {
        let r = parse(&xml).unwrap_err();
        let got = (r.total, r.problems[0].line, r.problems[0].code.as_str());
        assert_eq!(got, (1, line, code), "{xml}");
    }
}

#[test]
fn encodings() {
    let bad = [b"<Document>\n<a>".as_slice(), b"\xe9</a>"].concat();
    let got = keys_of(parse_pain001(&bad, &ParseOptions::default()).unwrap_err());
    assert_eq!(got, [key(2, "file", codes::INVALID_ENCODING)]);
    let utf16 = b"\xff\xfe<\0D\0";
    assert_eq!(
        keys_of(parse_pain001(utf16, &ParseOptions::default()).unwrap_err())[0].2,
        codes::INVALID_ENCODING
    );
    let latin = one(&tx("T-1", "10", "XOF", "22890000001"))
        .replace("UTF-8", "ISO-8859-1")
        .replace("<MsgId>M<", "<MsgId>Mé<");
    assert_eq!(keys(&latin), [key(1, "/", codes::INVALID_ENCODING)]);
    // Pure ASCII reads the same whatever it declares.
    let ascii = one(&tx("T-1", "10", "XOF", "22890000001")).replace("UTF-8", "ISO-8859-1");
    assert!(parse(&ascii).is_ok());
    // A byte-order mark and CRLF line ends: lines are unchanged.
    let crlf = format!(
        "\u{feff}{}",
        one(&tx("T-1", "10", "XOF", "0")).replace('\n', "\r\n")
    );
    let line = line_of(&crlf, "<CdtrAcct>");
    let field = format!("{TX}[1]/CdtrAcct/Id/Othr/Id");
    assert_eq!(
        keys(&crlf),
        [key(line, &field, "identifier_invalid_msisdn")]
    );
}

#[test]
fn references_comments_cdata_and_processing_instructions() {
    let xml = one(
        "<CdtTrfTxInf><PmtId><EndToEndId>T&#x2D;1</EndToEndId></PmtId>\n\
         <!-- a comment --><?app ignored?>\
         <Amt><InstdAmt Ccy=\"&#88;OF\">1&#48;0</InstdAmt></Amt>\
         <Cdtr><Nm>A &lt;B&gt; <![CDATA[& C]]></Nm></Cdtr>\
         <CdtrAcct><Id><Othr><Id>22890000001</Id></Othr></Id></CdtrAcct></CdtTrfTxInf>",
    );
    let f = parse(&xml).unwrap();
    let row = &f.parsed.rows[0];
    assert_eq!((row.transfer_id.as_str(), row.amount.minor()), ("T-1", 100));
    assert_eq!(row.payee_name.as_deref(), Some("A <B> & C"));
}

#[test]
fn xml_or_csv() {
    assert!(looks_like_xml(b"  \n<Document/>"));
    assert!(looks_like_xml(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>"));
    assert!(!looks_like_xml(b"\xEF\xBB\xBFtype_id;valeur_id"));
    assert!(!looks_like_xml(b""));
    assert!(!looks_like_xml(b"   "));
}
