//! ISO 20022 status reasons (`ExternalStatusReason1Code`) for the rows of a run, from the error
//! codes the gateway writes on them: the Mojaloop FSPIOP error codes the adapter returns, the
//! gateway's own codes (`crates/sdk` stages and quote check, the worker's recovery, verification
//! exclusions), and the status of the row.
//!
//! [`reason_for`] applies this table, first matching line first; codes are compared without
//! regard to case and surrounding spaces.
//!
//! | row | ISO reason | why |
//! |---|---|---|
//! | status `COMPLETED`, `PENDING`, `PROCESSING`, `UNKNOWN` | none | accepted or not final yet: no reason |
//! | status `CANCELLED` | `DS02` OrderCancelled | the run was rejected or cancelled before the row was sent |
//! | `PARTY_NOT_FOUND` (verification exclusion), FSPIOP `3200` generic ID not found, `3203` payee FSP ID not found, `3204` party not found | `AC01` IncorrectAccountNumber | no such payee at the switch |
//! | `NAME_MISMATCH` (verification exclusion), `NAME_CHANGED_SINCE_VERIFICATION`, status `EXCLUDED` without a code | `BE01` InconsistentWithEndCustomer | the name registered for the number is another person's |
//! | `REPEAT_IN_PERIOD` | `AM05` Duplication | the payee was already paid in the period (a code for callers: the gateway stores a flag, not this code) |
//! | FSPIOP `3300`–`3303` (expired), `PARTY_LOOKUP_TIMEOUT`, `QUOTE_TIMEOUT`, `FULFIL_TIMEOUT`, `ADAPTER_TIMEOUT`, `NOT_FOUND_AFTER_EXPIRY`, any other code containing `TIMEOUT` or `EXPIRED` | `AB05` TimeoutCreditorAgent | no answer in time, the transfer expired |
//! | FSPIOP `4103` payer unsupported currency, `5106` payee unsupported currency | `AM03` NotAllowedCurrency | the currency cannot be paid there |
//! | FSPIOP `4000`–`4999` (payer errors: `4001` payer FSP insufficient liquidity, payer limits, payer blocked…) | `AM04` InsufficientFunds | the paying side cannot pay |
//! | FSPIOP `5200`–`5299` (payee limit), `5400`–`5499` (payee blocked) | `AC06` BlockedAccount | the payee's account cannot receive |
//! | anything else: FSPIOP `1xxx`/`2xxx` (communication, server), other `3xxx`, `5000`–`5199` (payee errors and rejections: `5100`, `5103`, `5105`…), `5300` (payee permission), `QUOTE_REFUSED` (fee or amount not accepted), `ABORTED`, `RESOLVED_BY_OPERATOR`, `HTTP_<status>`, a bare HTTP status, no code on a failed row | `NARR` Narrative | the text says what happened |
//!
//! Every reason carries the gateway's code in its first `AddtlInf` (`Mojaloop error 3204`,
//! `gateway code NAME_MISMATCH`, `status FAILED` when the row has no code), so a `NARR` is never
//! empty and a mapped code still names its source; the caller may append the row's error message.

use serde::Serialize;

use crate::state::TransferStatus;

/// `AC01` IncorrectAccountNumber.
pub const AC01: &str = "AC01";
/// `AC06` BlockedAccount.
pub const AC06: &str = "AC06";
/// `AB05` TimeoutCreditorAgent.
pub const AB05: &str = "AB05";
/// `AM03` NotAllowedCurrency.
pub const AM03: &str = "AM03";
/// `AM04` InsufficientFunds.
pub const AM04: &str = "AM04";
/// `AM05` Duplication.
pub const AM05: &str = "AM05";
/// `BE01` InconsistentWithEndCustomer.
pub const BE01: &str = "BE01";
/// `DS02` OrderCancelled.
pub const DS02: &str = "DS02";
/// `NARR` Narrative: the reason is in the additional information.
pub const NARR: &str = "NARR";

/// Why a transaction has its status: one `StsRsnInf` of a pain.002.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// An `ExternalStatusReason1Code` (`AC01`, `NARR`…), written as `Rsn/Cd`; a code longer than
    /// four characters is written as `Rsn/Prtry` instead (cut to 35 characters).
    pub code: String,
    /// `AddtlInf` lines, in order; each is cut to 105 characters when written, empty ones are
    /// left out.
    pub additional_info: Vec<String>,
}

/// The ISO reason of a row, from its error code and its status (a [`TransferStatus`] spelling);
/// `None` when the row needs none (completed, or not final). See the [table](self).
///
/// ```
/// use domain::iso20022::reason_for;
/// let r = reason_for(Some("3204"), "FAILED").unwrap();
/// assert_eq!((r.code.as_str(), r.additional_info[0].as_str()), ("AC01", "Mojaloop error 3204"));
/// assert_eq!(reason_for(Some("5103"), "FAILED").unwrap().code, "NARR");
/// assert_eq!(reason_for(None, "COMPLETED"), None);
/// ```
pub fn reason_for(error_code: Option<&str>, status: &str) -> Option<Reason> {
    let code = error_code.map(str::trim).filter(|c| !c.is_empty());
    let status = status.trim().to_ascii_uppercase();
    let iso = match TransferStatus::parse(&status) {
        Ok(
            TransferStatus::Completed
            | TransferStatus::Pending
            | TransferStatus::Processing
            | TransferStatus::Unknown,
        ) => return None,
        Ok(TransferStatus::Cancelled) => DS02,
        Ok(TransferStatus::Excluded) => code.map_or(BE01, iso_code),
        // A status this table does not know is read as a failure.
        Ok(TransferStatus::Failed) | Err(_) => code.map_or(NARR, iso_code),
    };
    let info = match code {
        Some(c) if is_fspiop(c) => format!("Mojaloop error {c}"),
        Some(c) => format!("gateway code {c}"),
        None => format!("status {status}"),
    };
    Some(Reason {
        code: iso.to_owned(),
        additional_info: vec![info],
    })
}

/// A four-digit FSPIOP error code.
fn is_fspiop(code: &str) -> bool {
    code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit())
}

fn iso_code(code: &str) -> &'static str {
    if is_fspiop(code) {
        return code.parse().map_or(NARR, fspiop);
    }
    let upper = code.to_ascii_uppercase();
    match upper.as_str() {
        crate::verify::EXCLUDED_NOT_FOUND => AC01,
        crate::verify::EXCLUDED_NAME_MISMATCH | crate::verify::NAME_CHANGED_SINCE_VERIFICATION => {
            BE01
        }
        "REPEAT_IN_PERIOD" => AM05,
        "NOT_FOUND_AFTER_EXPIRY" => AB05,
        u if u.contains("TIMEOUT") || u.contains("EXPIRED") => AB05,
        _ => NARR,
    }
}

fn fspiop(code: u16) -> &'static str {
    match code {
        3200 | 3203 | 3204 => AC01,
        3300..=3303 => AB05,
        4103 | 5106 => AM03,
        4000..=4999 => AM04,
        5200..=5299 | 5400..=5499 => AC06,
        _ => NARR,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn code(error: Option<&str>, status: &str) -> Option<String> {
        reason_for(error, status).map(|r| r.code)
    }

    #[test]
    fn the_table() {
        let cases = [
            (Some("3204"), "FAILED", Some(AC01)),
            (Some("3200"), "FAILED", Some(AC01)),
            (Some("PARTY_NOT_FOUND"), "EXCLUDED", Some(AC01)),
            (Some("party_not_found"), "FAILED", Some(AC01)),
            (Some("NAME_MISMATCH"), "EXCLUDED", Some(BE01)),
            (None, "EXCLUDED", Some(BE01)),
            (
                Some("NAME_CHANGED_SINCE_VERIFICATION"),
                "FAILED",
                Some(BE01),
            ),
            (Some("repeat_in_period"), "FAILED", Some(AM05)),
            (Some("3303"), "FAILED", Some(AB05)),
            (Some("PARTY_LOOKUP_TIMEOUT"), "FAILED", Some(AB05)),
            (Some("QUOTE_TIMEOUT"), "FAILED", Some(AB05)),
            (Some("FULFIL_TIMEOUT"), "FAILED", Some(AB05)),
            (Some("NOT_FOUND_AFTER_EXPIRY"), "FAILED", Some(AB05)),
            (Some("timeout"), "FAILED", Some(AB05)),
            (Some("expired"), "FAILED", Some(AB05)),
            (Some("4001"), "FAILED", Some(AM04)),
            (Some("4400"), "FAILED", Some(AM04)),
            (Some("4103"), "FAILED", Some(AM03)),
            (Some("5106"), "FAILED", Some(AM03)),
            (Some("5200"), "FAILED", Some(AC06)),
            (Some("5400"), "FAILED", Some(AC06)),
            (Some("5100"), "FAILED", Some(NARR)),
            (Some("5103"), "FAILED", Some(NARR)),
            (Some("5105"), "FAILED", Some(NARR)),
            (Some("2003"), "FAILED", Some(NARR)),
            (Some("3208"), "FAILED", Some(NARR)),
            (Some("QUOTE_REFUSED"), "FAILED", Some(NARR)),
            (Some("ABORTED"), "FAILED", Some(NARR)),
            (Some("RESOLVED_BY_OPERATOR"), "FAILED", Some(NARR)),
            (Some("HTTP_500"), "FAILED", Some(NARR)),
            (Some("400"), "FAILED", Some(NARR)),
            (None, "FAILED", Some(NARR)),
            (Some("3204"), "CANCELLED", Some(DS02)),
            (None, "CANCELLED", Some(DS02)),
            (None, "COMPLETED", None),
            (Some("PARTY_LOOKUP_TIMEOUT"), "PENDING", None),
            (None, "PROCESSING", None),
            (None, "UNKNOWN", None),
            (Some("5100"), "SOMETHING_ELSE", Some(NARR)),
        ];
        for (error, status, want) in cases {
            assert_eq!(code(error, status).as_deref(), want, "{error:?} {status}");
        }
    }

    #[test]
    fn additional_information_names_the_source() {
        let info = |e: Option<&str>, s: &str| reason_for(e, s).unwrap().additional_info;
        assert_eq!(info(Some(" 5103 "), "FAILED"), ["Mojaloop error 5103"]);
        assert_eq!(
            info(Some("QUOTE_REFUSED"), "FAILED"),
            ["gateway code QUOTE_REFUSED"]
        );
        assert_eq!(info(None, "failed"), ["status FAILED"]);
        assert_eq!(info(Some(""), "CANCELLED"), ["status CANCELLED"]);
    }
}
