//! What an uploaded file is: a CSV file (either format, `domain::parse_csv`) or a pain.001
//! credit-transfer initiation (`domain::iso20022::parse_pain001`), told apart by its content —
//! after an optional byte-order mark and white space, XML starts with `<` and no CSV header can.
//! The file name and the part's `Content-Type` are not looked at.
//!
//! A pain.001 gives the same rows as a CSV file, plus what its run keeps for the pain.002 status
//! report: `GrpHdr/MsgId`, the message name and the `PmtInf` blocks, and the date its blocks ask
//! for (`ReqdExctnDt`), which becomes the run's `execute_at` (see [`IsoMessage::execute_at`]).

use chrono::{NaiveDate, NaiveDateTime};
use db::models::PaymentBlock;
use domain::iso20022::{Pain001File, looks_like_xml, parse_pain001};
use domain::{ParseOptions, ParsedFile, Refusal};

use crate::error::ApiError;

/// A valid upload.
#[derive(Debug)]
pub struct PaymentFile {
    /// The rows, whatever the format.
    pub parsed: ParsedFile,
    /// What a pain.001 adds; `None` for a CSV file.
    pub iso: Option<IsoMessage>,
}

/// The parts of a pain.001 its run keeps.
#[derive(Debug, Clone)]
pub struct IsoMessage {
    /// `GrpHdr/MsgId`, unique per organisation.
    pub msg_id: String,
    /// `pain.001.001.03` or `pain.001.001.09`.
    pub msg_name_id: &'static str,
    /// The `PmtInf` blocks in file order, with their transaction counts.
    pub blocks: Vec<PaymentBlock>,
    /// `ReqdExctnDt` at 00:00 UTC, when the file gives one.
    pub requested_execution: Option<NaiveDateTime>,
}

impl IsoMessage {
    /// The run's `execute_at`: the form's `execute_at` when one was sent (the person uploading
    /// decides, and can give a time of day), else the file's `ReqdExctnDt` at 00:00 UTC when that
    /// is still ahead of `now`; a date already reached means "now" (`None`).
    pub fn execute_at(
        &self,
        form: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Option<NaiveDateTime> {
        form.or(self.requested_execution.filter(|d| *d > now))
    }
}

/// Parses `bytes` as pain.001 when they look like XML, else as CSV; the file's problems are 422
/// [`ApiError::InvalidFile`].
pub fn parse(bytes: &[u8], opts: &ParseOptions) -> Result<PaymentFile, ApiError> {
    if !looks_like_xml(bytes) {
        let parsed = domain::parse_csv(bytes, opts).map_err(invalid_file)?;
        return Ok(PaymentFile { parsed, iso: None });
    }
    iso_message(parse_pain001(bytes, opts).map_err(invalid_file)?)
}

fn invalid_file(refusal: Refusal) -> ApiError {
    ApiError::InvalidFile(Box::new(refusal))
}

fn iso_message(file: Pain001File) -> Result<PaymentFile, ApiError> {
    let requested_execution = file
        .requested_execution
        .as_deref()
        .map(|d| {
            // The domain hands out only valid `YYYY-MM-DD` dates.
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
                .map_err(|e| ApiError::internal(format!("ReqdExctnDt {d}: {e}")))
        })
        .transpose()?;
    let blocks = file
        .payment_infos
        .into_iter()
        .map(|b| {
            PaymentBlock(
                b.pmt_inf_id,
                u64::try_from(b.transactions).unwrap_or(u64::MAX),
            )
        })
        .collect();
    Ok(PaymentFile {
        parsed: file.parsed,
        iso: Some(IsoMessage {
            msg_id: file.msg_id,
            msg_name_id: file.version.as_str(),
            blocks,
            requested_execution,
        }),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const XML: &str = r#"<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>
  <GrpHdr><MsgId>M1</MsgId><NbOfTxs>2</NbOfTxs></GrpHdr>
  <PmtInf><PmtInfId>P1</PmtInfId><ReqdExctnDt><Dt>2030-01-02</Dt></ReqdExctnDt>
    <CdtTrfTxInf><PmtId><EndToEndId>E1</EndToEndId></PmtId>
      <Amt><InstdAmt Ccy="XOF">100</InstdAmt></Amt>
      <CdtrAcct><Id><Othr><Id>22890123456</Id></Othr></Id></CdtrAcct></CdtTrfTxInf></PmtInf>
  <PmtInf><PmtInfId>P2</PmtInfId>
    <CdtTrfTxInf><PmtId><EndToEndId>E2</EndToEndId></PmtId>
      <Amt><InstdAmt Ccy="XOF">200</InstdAmt></Amt>
      <CdtrAcct><Id><Othr><Id>22890123457</Id></Othr></Id></CdtrAcct></CdtTrfTxInf></PmtInf>
</CstmrCdtTrfInitn></Document>"#;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn xml_is_read_as_pain001_and_csv_as_csv() {
        let f = parse(XML.as_bytes(), &ParseOptions::default()).unwrap();
        let iso = f.iso.unwrap();
        assert_eq!(
            (iso.msg_id.as_str(), iso.msg_name_id),
            ("M1", "pain.001.001.09")
        );
        assert_eq!(
            iso.blocks,
            [PaymentBlock("P1".into(), 1), PaymentBlock("P2".into(), 1)]
        );
        assert_eq!(iso.requested_execution, Some(at("2030-01-02 00:00")));
        assert_eq!(f.parsed.total_amount.minor(), 300);
        let csv = b"transferId,amount,currency,partyIdType,partyIdentifier\nt1,5,XOF,MSISDN,22890123456\n";
        let f = parse(csv, &ParseOptions::default()).unwrap();
        assert!(f.iso.is_none());
        assert!(matches!(
            parse(b"  <Document/>", &ParseOptions::default()),
            Err(ApiError::InvalidFile(_))
        ));
    }

    #[test]
    fn the_form_wins_and_a_past_date_means_now() {
        let iso = parse(XML.as_bytes(), &ParseOptions::default())
            .unwrap()
            .iso
            .unwrap();
        let now = at("2029-12-31 12:00");
        assert_eq!(iso.execute_at(None, now), Some(at("2030-01-02 00:00")));
        let form = Some(at("2029-12-31 18:00"));
        assert_eq!(iso.execute_at(form, now), form);
        assert_eq!(iso.execute_at(None, at("2030-01-02 00:00")), None);
        assert_eq!(iso.execute_at(None, at("2030-05-01 09:00")), None);
    }
}
