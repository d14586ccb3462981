//! The pain.002 writer, read back with quick-xml: structure and element order, statuses, reasons,
//! counts, amounts and the escaping of hostile text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::iso20022::{
    GroupStatus, Pain002Payment, Pain002Report, Pain002Transaction, TxStatus, group_status,
    reason_for, tx_status, write_pain002,
};
use domain::{Amount, Currency, TransferStatus};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Every element with text as `(path, text)`, attributes as `(path/@name, value)`, in document
/// order, with the namespace of the root.
fn read_back(xml: &str) -> (String, Vec<(String, String)>) {
    let mut reader = Reader::from_str(xml);
    // Open elements with the text read inside each.
    let mut stack: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    let mut ns = String::new();
    let path = |stack: &[(String, String)]| {
        stack
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join("/")
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                stack.push((e.local_name().into_inner().to_owned(), String::new()));
                for a in e.attributes() {
                    let a = a.unwrap();
                    let key = a.key.into_inner().to_owned();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned();
                    if key == "xmlns" {
                        ns = value;
                    } else {
                        out.push((format!("{}/@{key}", path(&stack)), value));
                    }
                }
            }
            Event::Text(t) => {
                if let Some((_, text)) = stack.last_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = match &*r {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                stack.last_mut().unwrap().1.push_str(c);
            }
            Event::End(_) => {
                let here = path(&stack);
                let (_, text) = stack.pop().unwrap();
                if !text.trim().is_empty() {
                    out.push((here, text));
                }
            }
            Event::Eof => break,
            Event::Empty(e) => panic!("empty element {e:?}"),
            _ => {}
        }
    }
    (ns, out)
}

fn tx(id: &str, status: TransferStatus, code: Option<&str>, amount: i64) -> Pain002Transaction {
    Pain002Transaction {
        end_to_end_id: id.to_owned(),
        status: tx_status(status),
        reason: reason_for(code, status.as_str()),
        amount: Some(Amount::new(amount).unwrap()),
    }
}

fn report(payments: Vec<Pain002Payment>) -> Pain002Report {
    Pain002Report {
        message_id: "RPT-2026-05-01-1".to_owned(),
        created_at: "2026-05-01T08:00:00Z".to_owned(),
        original_message_id: Some("CNSS-2026-05-0001".to_owned()),
        bulk_id: "bulk-7c0b1e58-2f0e-4c8e-9c39-5a2d3b8f9a10".to_owned(),
        original_message_name: "pain.001.001.09".to_owned(),
        original_nb_of_txs: 3,
        original_ctrl_sum: Some(Amount::new(35_075).unwrap()),
        currency: Currency::USD,
        group_status: group_status(1, 1, 1, false),
        payments,
    }
}

const RPT: &str = "Document/CstmrPmtStsRpt";

#[test]
fn a_running_report_reads_back() {
    let mut failed = tx("A-2", TransferStatus::Failed, Some("3204"), 15_000);
    failed
        .reason
        .as_mut()
        .unwrap()
        .additional_info
        .push("party <not> found & \"gone\"".to_owned());
    let payments = vec![
        Pain002Payment {
            pmt_inf_id: Some("BLOCK-A".to_owned()),
            transactions: vec![tx("A-1", TransferStatus::Completed, None, 10_050), failed],
        },
        Pain002Payment {
            pmt_inf_id: Some("BLOCK-B".to_owned()),
            transactions: vec![tx("B-1", TransferStatus::Unknown, None, 10_025)],
        },
    ];
    let xml = write_pain002(&report(payments));
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let (ns, nodes) = read_back(&xml);
    assert_eq!(ns, "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10");
    let g = format!("{RPT}/OrgnlGrpInfAndSts");
    let p = format!("{RPT}/OrgnlPmtInfAndSts");
    let t = format!("{p}/TxInfAndSts");
    let expected = [
        (format!("{RPT}/GrpHdr/MsgId"), "RPT-2026-05-01-1"),
        (format!("{RPT}/GrpHdr/CreDtTm"), "2026-05-01T08:00:00Z"),
        (format!("{g}/OrgnlMsgId"), "CNSS-2026-05-0001"),
        (format!("{g}/OrgnlMsgNmId"), "pain.001.001.09"),
        (format!("{g}/OrgnlNbOfTxs"), "3"),
        (format!("{g}/OrgnlCtrlSum"), "350.75"),
        (format!("{g}/GrpSts"), "ACTC"),
        (format!("{g}/NbOfTxsPerSts/DtldNbOfTxs"), "1"),
        (format!("{g}/NbOfTxsPerSts/DtldSts"), "ACSC"),
        (format!("{g}/NbOfTxsPerSts/DtldNbOfTxs"), "1"),
        (format!("{g}/NbOfTxsPerSts/DtldSts"), "PDNG"),
        (format!("{g}/NbOfTxsPerSts/DtldNbOfTxs"), "1"),
        (format!("{g}/NbOfTxsPerSts/DtldSts"), "RJCT"),
        (format!("{p}/OrgnlPmtInfId"), "BLOCK-A"),
        (format!("{t}/OrgnlEndToEndId"), "A-1"),
        (format!("{t}/TxSts"), "ACSC"),
        (format!("{t}/OrgnlTxRef/Amt/InstdAmt/@Ccy"), "USD"),
        (format!("{t}/OrgnlTxRef/Amt/InstdAmt"), "100.5"),
        (format!("{t}/OrgnlEndToEndId"), "A-2"),
        (format!("{t}/TxSts"), "RJCT"),
        (format!("{t}/StsRsnInf/Rsn/Cd"), "AC01"),
        (format!("{t}/StsRsnInf/AddtlInf"), "Mojaloop error 3204"),
        (
            format!("{t}/StsRsnInf/AddtlInf"),
            "party <not> found & \"gone\"",
        ),
        (format!("{t}/OrgnlTxRef/Amt/InstdAmt/@Ccy"), "USD"),
        (format!("{t}/OrgnlTxRef/Amt/InstdAmt"), "150"),
        (format!("{p}/OrgnlPmtInfId"), "BLOCK-B"),
        (format!("{t}/OrgnlEndToEndId"), "B-1"),
        (format!("{t}/TxSts"), "PDNG"),
        (format!("{t}/OrgnlTxRef/Amt/InstdAmt/@Ccy"), "USD"),
        (format!("{t}/OrgnlTxRef/Amt/InstdAmt"), "100.25"),
    ];
    let got: Vec<(String, &str)> = nodes.iter().map(|(p, v)| (p.clone(), v.as_str())).collect();
    let want: Vec<(String, &str)> = expected.iter().map(|(p, v)| (p.clone(), *v)).collect();
    assert_eq!(got, want);
    // The hostile text is escaped, never written raw.
    assert!(xml.contains("party &lt;not&gt; found &amp;"), "{xml}");
}

#[test]
fn a_csv_run_uses_the_bulk_id_and_limits_additional_information() {
    let mut long = tx("row-2", TransferStatus::Failed, Some("5103"), 10_000);
    let reason = long.reason.as_mut().unwrap();
    reason
        .additional_info
        .push(format!("{}\u{1}<é>", "é".repeat(104)));
    reason.additional_info.push("  ".to_owned());
    reason.code = format!("GATEWAY_SPECIFIC_{}", "X".repeat(30));
    let r = Pain002Report {
        original_message_id: None,
        original_message_name: "gateway.csv".to_owned(),
        original_nb_of_txs: 1,
        original_ctrl_sum: Some(Amount::new(10_000).unwrap()),
        currency: Currency::XOF,
        group_status: group_status(0, 1, 0, true),
        payments: vec![Pain002Payment {
            pmt_inf_id: None,
            transactions: vec![Pain002Transaction {
                amount: None,
                ..long
            }],
        }],
        ..report(vec![])
    };
    let (_, nodes) = read_back(&write_pain002(&r));
    let value = |suffix: &str| -> Vec<&str> {
        nodes
            .iter()
            .filter(|(p, _)| p.ends_with(suffix))
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(value("/OrgnlMsgId"), ["7c0b1e582f0e4c8e9c395a2d3b8f9a10"]);
    assert_eq!(
        value("/OrgnlPmtInfId"),
        ["7c0b1e582f0e4c8e9c395a2d3b8f9a10"]
    );
    assert_eq!(value("/OrgnlMsgNmId"), ["gateway.csv"]);
    assert_eq!(value("/OrgnlCtrlSum"), ["10000"]);
    assert_eq!(value("/GrpSts"), ["RJCT"]);
    // `Prtry` is `Max35Text`.
    assert_eq!(value("/Rsn/Prtry"), ["GATEWAY_SPECIFIC_XXXXXXXXXXXXXXXXXX"]);
    let infos = value("/AddtlInf");
    // The blank line is left out (`Max105Text` has at least one character).
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[0], "Mojaloop error 5103");
    // 105 characters, cut on a character boundary; the control character became a space.
    assert_eq!(infos[1].chars().count(), 105);
    assert_eq!(infos[1], format!("{} ", "é".repeat(104)));
    assert!(value("/InstdAmt").is_empty());
}

#[test]
fn statuses_of_a_final_run() {
    assert_eq!(group_status(10, 0, 0, true), GroupStatus::Acsc);
    assert_eq!(group_status(9, 1, 0, true), GroupStatus::Part);
    assert_eq!(group_status(0, 10, 0, true), GroupStatus::Rjct);
    assert_eq!(group_status(5, 0, 5, false), GroupStatus::Actc);
    assert_eq!(tx_status(TransferStatus::Excluded), TxStatus::Rjct);
    let cancelled = tx("C-1", TransferStatus::Cancelled, None, 1);
    assert_eq!(cancelled.reason.unwrap().code, "DS02");
}
