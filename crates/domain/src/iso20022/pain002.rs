//! The pain.002.001.10 customer payment status report of a run; see [`write_pain002`].

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Serialize;

use super::reasons::Reason;
use super::xml::is_xml_char;
use crate::money::{Amount, Currency};
use crate::state::TransferStatus;

/// Namespace of the report.
pub const PAIN002_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10";

/// Longest `AddtlInf`, in characters (`Max105Text`).
pub const MAX_ADDITIONAL_INFO_CHARS: usize = 105;

/// `GrpSts` of a report (`ExternalPaymentGroupStatus1Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum GroupStatus {
    /// `ACTC` AcceptedTechnicalValidation: accepted, not final yet.
    Actc,
    /// `ACSC` AcceptedSettlementCompleted: every transaction paid.
    Acsc,
    /// `PART` PartiallyAccepted: final, some paid and some not.
    Part,
    /// `RJCT` Rejected: final, none paid.
    Rjct,
}

impl GroupStatus {
    /// The ISO code (`ACTC`…).
    pub fn code(self) -> &'static str {
        match self {
            GroupStatus::Actc => "ACTC",
            GroupStatus::Acsc => "ACSC",
            GroupStatus::Part => "PART",
            GroupStatus::Rjct => "RJCT",
        }
    }
}

/// `TxSts` of a transaction (`ExternalPaymentTransactionStatus1Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum TxStatus {
    /// `ACSC`: paid.
    Acsc,
    /// `PDNG` Pending: not final yet.
    Pdng,
    /// `RJCT`: not paid, and will not be.
    Rjct,
}

impl TxStatus {
    /// The ISO code (`ACSC`…).
    pub fn code(self) -> &'static str {
        match self {
            TxStatus::Acsc => "ACSC",
            TxStatus::Pdng => "PDNG",
            TxStatus::Rjct => "RJCT",
        }
    }
}

/// The ISO status of a row: `COMPLETED` → ACSC; `FAILED`, `CANCELLED`, `EXCLUDED` → RJCT;
/// `PENDING`, `PROCESSING`, `UNKNOWN` → PDNG.
pub fn tx_status(status: TransferStatus) -> TxStatus {
    match status {
        TransferStatus::Completed => TxStatus::Acsc,
        TransferStatus::Failed | TransferStatus::Cancelled | TransferStatus::Excluded => {
            TxStatus::Rjct
        }
        TransferStatus::Pending | TransferStatus::Processing | TransferStatus::Unknown => {
            TxStatus::Pdng
        }
    }
}

/// The group status of a run from its row counts (`failed` counts every row that will not be
/// paid: failed, cancelled, excluded): ACTC while the run is not final or rows are pending; once
/// final, ACSC when every row was paid, RJCT when none was, else PART.
pub fn group_status(completed: u64, failed: u64, pending: u64, is_final: bool) -> GroupStatus {
    if !is_final || pending > 0 {
        GroupStatus::Actc
    } else if completed == 0 {
        GroupStatus::Rjct
    } else if failed == 0 {
        GroupStatus::Acsc
    } else {
        GroupStatus::Part
    }
}

/// One `TxInfAndSts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pain002Transaction {
    /// `OrgnlEndToEndId`: the row's transferId (the EndToEndId of a pain.001 upload).
    pub end_to_end_id: String,
    /// `TxSts`.
    pub status: TxStatus,
    /// `StsRsnInf`, usually from [`reason_for`](super::reason_for).
    pub reason: Option<Reason>,
    /// `OrgnlTxRef/Amt/InstdAmt`, in the report's currency, when given.
    pub amount: Option<Amount>,
}

/// One `OrgnlPmtInfAndSts`: the transactions of one original payment block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pain002Payment {
    /// `OrgnlPmtInfId`: the block's `PmtInfId` for a pain.001 upload; `None` (a CSV upload) writes
    /// the bulk id, shortened as for `OrgnlMsgId`.
    pub pmt_inf_id: Option<String>,
    /// Its transactions, in the order to list them.
    pub transactions: Vec<Pain002Transaction>,
}

/// Everything a pain.002 of a run says; the caller gathers it (the domain has no clock and no
/// database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pain002Report {
    /// `GrpHdr/MsgId`: this report's id, chosen by the caller (at most 35 characters).
    pub message_id: String,
    /// `GrpHdr/CreDtTm`: when the report was made, RFC 3339 (`2026-05-01T08:00:00Z`).
    pub created_at: String,
    /// `OrgnlMsgId`: the uploaded pain.001's `GrpHdr/MsgId`; `None` for a CSV upload.
    pub original_message_id: Option<String>,
    /// The run's bulk id, used as `OrgnlMsgId` (and `OrgnlPmtInfId`) when there is no original
    /// one. `bulk-<uuid>` is 41 characters, past `Max35Text`: it is written as the uuid's 32 hex
    /// digits (`bulk-0b6c…-…` → `0b6c…`); another id longer than 35 characters is cut to 35.
    pub bulk_id: String,
    /// `OrgnlMsgNmId`: `pain.001.001.03` / `pain.001.001.09`
    /// ([`Pain001Version::as_str`](super::Pain001Version::as_str)), or for a CSV upload a name
    /// such as `gateway.csv`.
    pub original_message_name: String,
    /// `OrgnlNbOfTxs`: rows of the original upload.
    pub original_nb_of_txs: u64,
    /// `OrgnlCtrlSum`: the original total, written in major units of [`currency`](Self::currency)
    /// (`12345` USD → `123.45`).
    pub original_ctrl_sum: Option<Amount>,
    /// The run's one currency (`Ccy` of every `InstdAmt`).
    pub currency: Currency,
    /// `GrpSts`, usually from [`group_status`].
    pub group_status: GroupStatus,
    /// The `OrgnlPmtInfAndSts` blocks; `NbOfTxsPerSts` counts their transactions by status.
    pub payments: Vec<Pain002Payment>,
}

/// The pain.002.001.10 XML of `report`:
///
/// ```text
/// Document (urn:iso:std:iso:20022:tech:xsd:pain.002.001.10)
/// └ CstmrPmtStsRpt
///   ├ GrpHdr: MsgId, CreDtTm
///   ├ OrgnlGrpInfAndSts: OrgnlMsgId, OrgnlMsgNmId, OrgnlNbOfTxs, OrgnlCtrlSum?, GrpSts,
///   │                    NbOfTxsPerSts* {DtldNbOfTxs, DtldSts}
///   └ OrgnlPmtInfAndSts*: OrgnlPmtInfId,
///                         TxInfAndSts* {OrgnlEndToEndId, TxSts, StsRsnInf? {Rsn {Cd|Prtry}, AddtlInf*},
///                                       OrgnlTxRef? {Amt {InstdAmt @Ccy}}}
/// ```
///
/// Elements are written in the order of the pain.002.001.10 schema; text is escaped by
/// quick-xml, and characters XML 1.0 cannot carry (control characters) are replaced by spaces.
/// Identifiers are written as given: the schema's `Max35Text` limit (`MsgId`, `OrgnlMsgId`,
/// `OrgnlPmtInfId`, `OrgnlEndToEndId`) is the caller's to respect — except for the bulk id used
/// in place of a missing original id, which is shortened (see [`Pain002Report::bulk_id`]).
///
/// ```
/// use domain::Currency;
/// use domain::iso20022::{GroupStatus, Pain002Report, write_pain002};
///
/// let report = Pain002Report {
///     message_id: "RPT-1".into(),
///     created_at: "2026-05-01T08:00:00Z".into(),
///     original_message_id: None,
///     bulk_id: "bulk-7c0b1e58-2f0e-4c8e-9c39-5a2d3b8f9a10".into(),
///     original_message_name: "gateway.csv".into(),
///     original_nb_of_txs: 0,
///     original_ctrl_sum: None,
///     currency: Currency::XOF,
///     group_status: GroupStatus::Actc,
///     payments: vec![],
/// };
/// let xml = write_pain002(&report);
/// assert!(xml.contains("<OrgnlMsgId>7c0b1e582f0e4c8e9c395a2d3b8f9a10</OrgnlMsgId>"));
/// ```
pub fn write_pain002(report: &Pain002Report) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    infallible(document(&mut w, report));
    infallible(String::from_utf8(w.into_inner()))
}

/// The value of a write into memory: `Vec<u8>` never fails a write, and every piece written is
/// a `&str`, so the buffer is UTF-8.
#[expect(
    clippy::expect_used,
    reason = "writing UTF-8 text into a Vec<u8> cannot fail"
)]
fn infallible<T, E: std::fmt::Debug>(result: Result<T, E>) -> T {
    result.expect("writing UTF-8 text into a Vec<u8> cannot fail")
}

type W = Writer<Vec<u8>>;

fn document(w: &mut W, r: &Pain002Report) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("Document")
        .with_attribute(("xmlns", PAIN002_NAMESPACE))
        .write_inner_content(|w| {
            w.create_element("CstmrPmtStsRpt")
                .write_inner_content(|w| {
                    w.create_element("GrpHdr").write_inner_content(|w| {
                        text(w, "MsgId", &r.message_id)?;
                        text(w, "CreDtTm", &r.created_at)
                    })?;
                    original_group(w, r)?;
                    for p in &r.payments {
                        payment(w, r, p)?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}

fn original_group(w: &mut W, r: &Pain002Report) -> io::Result<()> {
    w.create_element("OrgnlGrpInfAndSts")
        .write_inner_content(|w| {
            let bulk = short_id(&r.bulk_id);
            text(
                w,
                "OrgnlMsgId",
                r.original_message_id.as_deref().unwrap_or(&bulk),
            )?;
            text(w, "OrgnlMsgNmId", &r.original_message_name)?;
            text(w, "OrgnlNbOfTxs", &r.original_nb_of_txs.to_string())?;
            if let Some(sum) = r.original_ctrl_sum {
                text(w, "OrgnlCtrlSum", &sum.to_mojaloop(r.currency))?;
            }
            text(w, "GrpSts", r.group_status.code())?;
            let mut counts = std::collections::BTreeMap::<TxStatus, u64>::new();
            for t in r.payments.iter().flat_map(|p| &p.transactions) {
                *counts.entry(t.status).or_default() += 1;
            }
            for (status, n) in counts {
                w.create_element("NbOfTxsPerSts").write_inner_content(|w| {
                    text(w, "DtldNbOfTxs", &n.to_string())?;
                    text(w, "DtldSts", status.code())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn payment(w: &mut W, r: &Pain002Report, p: &Pain002Payment) -> io::Result<()> {
    w.create_element("OrgnlPmtInfAndSts")
        .write_inner_content(|w| {
            let bulk = short_id(&r.bulk_id);
            text(w, "OrgnlPmtInfId", p.pmt_inf_id.as_deref().unwrap_or(&bulk))?;
            for t in &p.transactions {
                transaction(w, r.currency, t)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn transaction(w: &mut W, currency: Currency, t: &Pain002Transaction) -> io::Result<()> {
    w.create_element("TxInfAndSts").write_inner_content(|w| {
        text(w, "OrgnlEndToEndId", &t.end_to_end_id)?;
        text(w, "TxSts", t.status.code())?;
        if let Some(reason) = &t.reason {
            w.create_element("StsRsnInf").write_inner_content(|w| {
                w.create_element("Rsn").write_inner_content(|w| {
                    if reason.code.chars().count() <= 4 {
                        text(w, "Cd", &reason.code)
                    } else {
                        text(w, "Prtry", &truncate(&reason.code, 35))
                    }
                })?;
                // `Max105Text` is at least one character: empty lines are left out.
                for info in reason
                    .additional_info
                    .iter()
                    .filter(|i| !i.trim().is_empty())
                {
                    text(w, "AddtlInf", &truncate(info, MAX_ADDITIONAL_INFO_CHARS))?;
                }
                Ok(())
            })?;
        }
        if let Some(amount) = t.amount {
            w.create_element("OrgnlTxRef").write_inner_content(|w| {
                w.create_element("Amt").write_inner_content(|w| {
                    w.create_element("InstdAmt")
                        .with_attribute(("Ccy", currency.code()))
                        .write_text_content(BytesText::new(&amount.to_mojaloop(currency)))?;
                    Ok(())
                })?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `<tag>value</tag>`, the value cleaned of characters XML cannot carry and escaped.
fn text(w: &mut W, tag: &str, value: &str) -> io::Result<()> {
    let clean: String = value
        .chars()
        .map(|c| {
            if is_xml_char(c) && !c.is_control() || c == '\n' {
                c
            } else {
                ' '
            }
        })
        .collect();
    w.create_element(tag)
        .write_text_content(BytesText::new(&clean))?;
    Ok(())
}

/// At most `max` characters of `s`, cut on a character boundary.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The bulk id within `Max35Text`: `bulk-<uuid>` as the uuid's 32 hex digits, anything else
/// longer than 35 characters cut to 35.
fn short_id(bulk_id: &str) -> String {
    if bulk_id.chars().count() <= 35 {
        return bulk_id.to_owned();
    }
    let uuid = bulk_id.strip_prefix("bulk-").unwrap_or(bulk_id);
    match uuid::Uuid::parse_str(uuid) {
        Ok(u) => u.simple().to_string(),
        Err(_) => truncate(bulk_id, 35),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_statuses() {
        assert_eq!(group_status(3, 0, 1, false), GroupStatus::Actc);
        assert_eq!(group_status(3, 1, 0, false), GroupStatus::Actc);
        assert_eq!(group_status(3, 0, 1, true), GroupStatus::Actc);
        assert_eq!(group_status(3, 0, 0, true), GroupStatus::Acsc);
        assert_eq!(group_status(3, 2, 0, true), GroupStatus::Part);
        assert_eq!(group_status(0, 2, 0, true), GroupStatus::Rjct);
        assert_eq!(group_status(0, 0, 0, true), GroupStatus::Rjct);
    }

    #[test]
    fn tx_statuses() {
        let got: Vec<_> = TransferStatus::ALL
            .iter()
            .map(|s| tx_status(*s).code())
            .collect();
        assert_eq!(
            got,
            ["PDNG", "PDNG", "PDNG", "ACSC", "RJCT", "RJCT", "RJCT"]
        );
    }

    #[test]
    fn ids_and_truncation() {
        assert_eq!(
            short_id("bulk-7c0b1e58-2f0e-4c8e-9c39-5a2d3b8f9a10"),
            "7c0b1e582f0e4c8e9c395a2d3b8f9a10"
        );
        assert_eq!(short_id("B-1"), "B-1");
        assert_eq!(short_id(&"x".repeat(40)), "x".repeat(35));
        assert_eq!(truncate("éé€x", 3), "éé€");
        assert_eq!(truncate("ab", 105), "ab");
    }
}
