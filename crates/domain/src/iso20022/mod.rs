//! ISO 20022 messages of a pension run, without I/O: the pain.001 credit-transfer initiation a
//! fund uploads instead of a CSV file, and the pain.002 status report the gateway gives back.
//!
//! # pain.001 in
//!
//! [`parse_pain001`] reads `pain.001.001.03` and `pain.001.001.09` (the version comes from the
//! namespace of `Document`; elements are matched on their local names, so a prefixed document
//! such as `<p:Document xmlns:p="…">` reads the same). It streams the file and gives the same
//! [`ParsedFile`] as a CSV upload — [`format`](crate::csv::ParsedFile::format)
//! [`CsvFormat::Pain001`](crate::CsvFormat::Pain001) — or every problem found, each with the
//! physical line of the element and its path (`/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[3]/Amt/InstdAmt`,
//! `…/InstdAmt/@Ccy` for the attribute).
//!
//! | pain.001 | row |
//! |---|---|
//! | `PmtId/EndToEndId` | `transfer_id` (the CSV `transferId` rules: 1 to 64 of `[A-Za-z0-9._-]`, unique in the file) |
//! | `Amt/InstdAmt` and its `@Ccy` | `amount` in minor units (a decimal in major units; more decimals than the currency has are refused unless they are zeros), `currency` (one per file) |
//! | `Cdtr/Nm` | `payee_name` (optional) |
//! | `CdtrAcct/Prxy/Id` with `Prxy/Tp/Cd` `TELE`/`MBNO` (MSISDN) or `EMAL` (EMAIL), or `Prxy/Tp/Prtry` a Mojaloop type; no `Tp` = MSISDN | `party_id_type`, `party_identifier` (a `TELE`/`MBNO` written `+228-90123456`, the ISO phone form, becomes `22890123456`) |
//! | else `CdtrAcct/Id/Othr/Id` with `Othr/SchmeNm/Prtry` (or `Cd`) a Mojaloop type (`MSISDN`, `PERSONAL_ID`, `ACCOUNT_ID`…); no `SchmeNm` = MSISDN | the same |
//! | else `CdtrAcct/Id/IBAN` | `IBAN` |
//!
//! `Prxy` exists only in `.09`; it is read in a `.03` file too. The controls are checked: `GrpHdr/NbOfTxs`
//! (required), `GrpHdr/CtrlSum`, and each `PmtInf/NbOfTxs` and `PmtInf/CtrlSum` (optional) must
//! match the transactions, compared exactly in minor units (problem `control_sum_mismatch`, its
//! message naming the ISO reason AM18 for a count, AM10 for a sum). All blocks must ask for the
//! same `ReqdExctnDt` (`mixed_execution_dates`); a block without one does not count. Every other
//! element (`PmtMtd`, `Dbtr`, `DbtrAcct`, `CdtrAgt`, `RmtInf`, `Purp`, `UltmtCdtr`…) is ignored.
//!
//! What is refused before any payment data is read, as a single problem that stops the reading:
//! a file that is not UTF-8 (`invalid_encoding`; a declared non-UTF-8 encoding is accepted only
//! when the file is pure ASCII), any `<!DOCTYPE` (`xml_dtd_forbidden`: no DTD means no entity
//! definitions, so no entity expansion at all — a "billion laughs" file stops at its DOCTYPE),
//! an entity reference other than `&lt; &gt; &amp; &apos; &quot;` and character references
//! (`xml_entity_forbidden`), elements nested deeper than [`MAX_DEPTH`] (`xml_too_deep`),
//! malformed XML (`invalid_xml`, with its line), and a root other than a pain.001.001.03/.09
//! `Document` (`unsupported_xml_document`). Comments and processing instructions other than
//! the XML declaration are ignored.
//!
//! # pain.002 out
//!
//! [`write_pain002`] writes a `pain.002.001.10` report of a run from a [`Pain002Report`];
//! [`group_status`] gives its group status and [`reason_for`] the ISO reason of a row from the
//! gateway's error code (table in [`reasons`]).

mod decimal;
mod pain001;
mod pain002;
pub mod reasons;
mod xml;

#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::csv::ParsedFile;

pub use pain001::parse_pain001;
pub use pain002::{
    GroupStatus, MAX_ADDITIONAL_INFO_CHARS, PAIN002_NAMESPACE, Pain002Payment, Pain002Report,
    Pain002Transaction, TxStatus, group_status, tx_status, write_pain002,
};
pub use reasons::{Reason, reason_for};
pub use xml::MAX_DEPTH;

/// Codes of the problems [`parse_pain001`] reports itself. The codes of the CSV rules it shares
/// ([`crate::csv::codes`]: `invalid_transfer_id`, `duplicate_transfer_id`, `duplicate_payee`,
/// `mixed_currency`, `invalid_payee_name`, `empty_value`, `too_many_rows`, `invalid_encoding`)
/// and those of [`MoneyError`](crate::MoneyError) and [`PartyError`](crate::PartyError) are used
/// as they are.
pub mod codes {
    pub use crate::csv::codes::INVALID_ENCODING;
    /// The document is not a pain.001.001.03 or pain.001.001.09 `Document`.
    pub const UNSUPPORTED_XML_DOCUMENT: &str = "unsupported_xml_document";
    /// The file is not well-formed XML.
    pub const INVALID_XML: &str = "invalid_xml";
    /// The file has a `<!DOCTYPE>`.
    pub const XML_DTD_FORBIDDEN: &str = "xml_dtd_forbidden";
    /// An entity reference other than the five predefined ones and character references.
    pub const XML_ENTITY_FORBIDDEN: &str = "xml_entity_forbidden";
    /// Elements nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    pub const XML_TOO_DEEP: &str = "xml_too_deep";
    /// A required element (or the `Ccy` attribute) is absent; the field is the path where it was
    /// expected, the line that of its parent.
    pub const MISSING_ELEMENT: &str = "missing_element";
    /// An element whose text does not have the form its type requires (`NbOfTxs` not digits,
    /// `ReqdExctnDt` not a date).
    pub const INVALID_VALUE: &str = "invalid_value";
    /// `NbOfTxs` or `CtrlSum` (group or payment block) does not match the transactions.
    pub const CONTROL_SUM_MISMATCH: &str = "control_sum_mismatch";
    /// Payment blocks asking for different execution dates.
    pub const MIXED_EXECUTION_DATES: &str = "mixed_execution_dates";
}

/// The pain.001 versions read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Pain001Version {
    /// `pain.001.001.03`.
    V03,
    /// `pain.001.001.09`.
    V09,
}

impl Pain001Version {
    /// The message name (`pain.001.001.03`), as a pain.002 `OrgnlMsgNmId` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Pain001Version::V03 => "pain.001.001.03",
            Pain001Version::V09 => "pain.001.001.09",
        }
    }

    /// The XML namespace of the version's `Document`.
    pub fn namespace(self) -> &'static str {
        match self {
            Pain001Version::V03 => "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03",
            Pain001Version::V09 => "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09",
        }
    }

    /// The version whose namespace is `ns`.
    pub fn from_namespace(ns: &str) -> Option<Pain001Version> {
        [Pain001Version::V03, Pain001Version::V09]
            .into_iter()
            .find(|v| v.namespace() == ns)
    }
}

/// One `PmtInf` block of a valid file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentInformation {
    /// Its `PmtInfId` (a pain.002 reports per block under `OrgnlPmtInfId`).
    pub pmt_inf_id: String,
    /// Its transactions: the next this many rows of [`ParsedFile::rows`], in file order.
    pub transactions: usize,
}

/// A valid pain.001 file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pain001File {
    /// The version read from the namespace.
    pub version: Pain001Version,
    /// `GrpHdr/MsgId` (a pain.002 refers to it as `OrgnlMsgId`).
    pub msg_id: String,
    /// The date every block asks for (`ReqdExctnDt`, or the date of its `Dt`/`DtTm` in .09), as
    /// `YYYY-MM-DD`; `None` when no block gives one.
    pub requested_execution: Option<String>,
    /// `GrpHdr/NbOfTxs` (equal to the number of rows).
    pub nb_of_txs: u64,
    /// `GrpHdr/CtrlSum` in minor units of the file's currency, when the file declares it (equal
    /// to the total).
    pub ctrl_sum_minor: Option<i64>,
    /// `Dbtr/Nm` of the first block, when given.
    pub debtor_name: Option<String>,
    /// The `PmtInf` blocks, in file order.
    pub payment_infos: Vec<PaymentInformation>,
    /// The rows, as from a CSV file.
    pub parsed: ParsedFile,
}

/// Whether an upload looks like XML rather than CSV: after an optional UTF-8 byte-order mark and
/// white space, its first byte is `<`.
///
/// ```
/// use domain::iso20022::looks_like_xml;
/// assert!(looks_like_xml(b"\xEF\xBB\xBF\r\n <?xml version=\"1.0\"?><Document/>"));
/// assert!(!looks_like_xml(b"transferId,amount\n"));
/// ```
pub fn looks_like_xml(bytes: &[u8]) -> bool {
    xml::strip_bom(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}
