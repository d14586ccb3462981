//! One `CdtTrfTxInf` of a pain.001 file → one row, with the CSV rules across rows (one currency,
//! unique EndToEndIds and payees, the total).

use std::collections::HashMap;

use crate::csv::problems::Problems;
use crate::csv::validation::{
    is_valid_payee_name, is_valid_transfer_id, payee_name_rule, transfer_id_rule,
};
use crate::csv::{ParseOptions, ParsedRow, codes as csv_codes};
use crate::error::{MoneyError, PartyError};
use crate::iso20022::{codes, decimal};
use crate::money::{Amount, Currency};
use crate::party::{PartyIdType, PartyIdentifier};

/// The text of an element (trimmed of XML white space) and the line it starts on.
#[derive(Debug, Clone)]
pub(super) struct Val {
    pub(super) text: String,
    pub(super) line: u64,
}

/// What one `CdtTrfTxInf` holds that the gateway reads.
#[derive(Debug, Default)]
pub(super) struct TxFields {
    /// Line of `<CdtTrfTxInf>`.
    pub(super) line: u64,
    /// Index of its `PmtInf` and its own index in that block (both 1-based).
    pub(super) pmt: u32,
    pub(super) idx: u32,
    pub(super) end_to_end: Option<Val>,
    pub(super) amount: Option<Val>,
    /// `InstdAmt/@Ccy`, when the attribute is there.
    pub(super) ccy: Option<String>,
    pub(super) name: Option<Val>,
    pub(super) acct_seen: bool,
    pub(super) prxy_seen: bool,
    pub(super) othr_id: Option<Val>,
    pub(super) schme_prtry: Option<Val>,
    pub(super) schme_cd: Option<Val>,
    pub(super) iban: Option<Val>,
    pub(super) prxy_id: Option<Val>,
    pub(super) prxy_cd: Option<Val>,
    pub(super) prxy_prtry: Option<Val>,
}

impl TxFields {
    fn path(&self, suffix: &str) -> String {
        format!(
            "/Document/CstmrCdtTrfInitn/PmtInf[{}]/CdtTrfTxInf[{}]{suffix}",
            self.pmt, self.idx
        )
    }
}

/// State across the transactions of one file.
pub(super) struct Rows<'o> {
    opts: &'o ParseOptions,
    pub(super) problems: Problems,
    seen_ids: HashMap<String, u64>,
    seen_payees: HashMap<(PartyIdType, String), u64>,
    /// The first valid currency and its line.
    pub(super) currency: Option<(Currency, u64)>,
    pub(super) total: Option<Amount>,
    /// Every transaction so far had a valid amount in the file's currency, and the total did not
    /// overflow: only then can a `CtrlSum` be compared.
    pub(super) amounts_complete: bool,
    /// `CdtTrfTxInf` elements seen.
    pub(super) count: u64,
    pub(super) rows: Vec<ParsedRow>,
}

impl<'o> Rows<'o> {
    pub(super) fn new(opts: &'o ParseOptions) -> Rows<'o> {
        Rows {
            opts,
            problems: Problems::keeping(opts.max_problems),
            seen_ids: HashMap::new(),
            seen_payees: HashMap::new(),
            currency: None,
            total: None,
            amounts_complete: true,
            count: 0,
            rows: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, line: u64, field: &str, code: &str, message: String) {
        self.problems.push(line, 0, field, code, message);
    }

    fn missing(&mut self, tx: &TxFields, line: u64, suffix: &str, what: &str) {
        let message = format!("{what} is missing");
        self.push(line, &tx.path(suffix), codes::MISSING_ELEMENT, message);
    }

    /// Checks one transaction; returns its amount when it is valid and in the file's currency
    /// (for the block's control sum). Keeps the row only while the file has no problem at all.
    pub(super) fn check(&mut self, tx: &TxFields) -> Option<Amount> {
        let transfer_id = self.transfer_id(tx);
        let currency = self.currency(tx);
        let amount = currency.and_then(|c| self.amount(tx, c));
        if amount.is_none() {
            self.amounts_complete = false;
        }
        let party = self.party(tx);
        let payee_name = self.payee_name(tx);
        if let (Some(transfer_id), Some(amount), Some(currency), Some((t, id))) =
            (transfer_id, amount, currency, party)
            && self.problems.is_empty()
        {
            self.rows.push(ParsedRow {
                line: tx.line,
                transfer_id,
                amount,
                currency,
                party_id_type: t,
                party_identifier: id,
                payee_name,
            });
        }
        amount
    }

    fn transfer_id(&mut self, tx: &TxFields) -> Option<String> {
        const SUFFIX: &str = "/PmtId/EndToEndId";
        let Some(v) = &tx.end_to_end else {
            self.missing(tx, tx.line, SUFFIX, "PmtId/EndToEndId");
            return None;
        };
        let field = tx.path(SUFFIX);
        if v.text.is_empty() {
            let message = "EndToEndId is empty".to_owned();
            self.push(v.line, &field, csv_codes::EMPTY_VALUE, message);
            return None;
        }
        if !is_valid_transfer_id(&v.text) {
            let message = transfer_id_rule("an EndToEndId (the row's transferId)");
            self.push(v.line, &field, csv_codes::INVALID_TRANSFER_ID, message);
            return None;
        }
        if let Some(first) = self.seen_ids.get(&v.text) {
            let message = format!("EndToEndId `{}` is already used on line {first}", v.text);
            self.push(v.line, &field, csv_codes::DUPLICATE_TRANSFER_ID, message);
            return None;
        }
        self.seen_ids.insert(v.text.clone(), v.line);
        Some(v.text.clone())
    }

    fn currency(&mut self, tx: &TxFields) -> Option<Currency> {
        let Some(amount) = &tx.amount else {
            self.missing(tx, tx.line, "/Amt/InstdAmt", "Amt/InstdAmt");
            return None;
        };
        let Some(code) = &tx.ccy else {
            self.missing(
                tx,
                amount.line,
                "/Amt/InstdAmt/@Ccy",
                "the Ccy attribute of InstdAmt",
            );
            return None;
        };
        let field = tx.path("/Amt/InstdAmt/@Ccy");
        let currency = match Currency::parse(code) {
            Ok(c) => c,
            Err(e) => {
                self.push(amount.line, &field, e.code(), e.to_string());
                return None;
            }
        };
        match self.currency {
            None => self.currency = Some((currency, amount.line)),
            Some((first, first_line)) if first != currency => {
                let message = format!(
                    "all transactions must use one currency: line {first_line} uses {first}, this one uses {currency}"
                );
                self.push(amount.line, &field, csv_codes::MIXED_CURRENCY, message);
                return None;
            }
            Some(_) => {}
        }
        Some(currency)
    }

    fn amount(&mut self, tx: &TxFields, currency: Currency) -> Option<Amount> {
        let v = tx.amount.as_ref()?;
        let field = tx.path("/Amt/InstdAmt");
        let exp = currency.exponent();
        let parsed = decimal::parse_minor(&v.text, exp).and_then(Amount::new);
        let amount = match parsed {
            Ok(a) => a,
            Err(e) => {
                let message = amount_message(&v.text, currency, &e);
                self.push(v.line, &field, e.code(), message);
                return None;
            }
        };
        match self.total.map_or(Some(amount), |t| t.checked_add(amount)) {
            Some(t) => self.total = Some(t),
            None => {
                if self.amounts_complete {
                    let e = MoneyError::Overflow;
                    self.push(v.line, &field, e.code(), e.to_string());
                }
                self.amounts_complete = false;
            }
        }
        Some(amount)
    }

    fn party(&mut self, tx: &TxFields) -> Option<(PartyIdType, PartyIdentifier)> {
        let (kind, id, suffix) = if let Some(id) = &tx.prxy_id {
            let kind = self.proxy_type(tx);
            (kind, id, "/CdtrAcct/Prxy/Id")
        } else if tx.prxy_seen {
            self.missing(tx, tx.line, "/CdtrAcct/Prxy/Id", "CdtrAcct/Prxy/Id");
            return None;
        } else if let Some(id) = &tx.othr_id {
            let kind = self.scheme_type(tx);
            (kind, id, "/CdtrAcct/Id/Othr/Id")
        } else if let Some(iban) = &tx.iban {
            (Some(PartyIdType::Iban), iban, "/CdtrAcct/Id/IBAN")
        } else {
            let (suffix, what) = if tx.acct_seen {
                (
                    "/CdtrAcct/Id/Othr/Id",
                    "the creditor account's Id/Othr/Id (or Id/IBAN, or Prxy/Id)",
                )
            } else {
                ("/CdtrAcct", "CdtrAcct (the payee's account or proxy)")
            };
            self.missing(tx, tx.line, suffix, what);
            return None;
        };
        let kind = kind?;
        let field = tx.path(suffix);
        let raw = match (kind, &tx.prxy_cd) {
            (PartyIdType::Msisdn, Some(_)) => {
                iso_phone(&id.text).unwrap_or_else(|| id.text.clone())
            }
            _ => id.text.clone(),
        };
        let identifier = match PartyIdentifier::parse(kind, &raw) {
            Ok(i) => i,
            Err(e) => {
                self.push(id.line, &field, e.code(), e.to_string());
                return None;
            }
        };
        if !self.opts.allow_duplicate_payees {
            let key = (kind, identifier.as_str().to_owned());
            if let Some(first) = self.seen_payees.get(&key) {
                let message =
                    format!("the payee {kind} {identifier} already appears on line {first}");
                self.push(id.line, &field, csv_codes::DUPLICATE_PAYEE, message);
                return None;
            }
            self.seen_payees.insert(key, id.line);
        }
        Some((kind, identifier))
    }

    /// `Prxy/Tp`: `Cd` TELE/MBNO → MSISDN, EMAL → EMAIL; `Prtry` a Mojaloop type; none → MSISDN.
    fn proxy_type(&mut self, tx: &TxFields) -> Option<PartyIdType> {
        if let Some(cd) = &tx.prxy_cd {
            return match cd.text.as_str() {
                "TELE" | "MBNO" => Some(PartyIdType::Msisdn),
                "EMAL" => Some(PartyIdType::Email),
                other => {
                    let code = PartyError::UnknownType(other.to_owned()).code();
                    let message = format!(
                        "proxy type `{other}` is not handled: use Cd TELE or MBNO (MSISDN) or EMAL \
                         (EMAIL), or Prtry with a Mojaloop party id type"
                    );
                    self.push(cd.line, &tx.path("/CdtrAcct/Prxy/Tp/Cd"), code, message);
                    None
                }
            };
        }
        match &tx.prxy_prtry {
            Some(p) => self.mojaloop_type(p, &tx.path("/CdtrAcct/Prxy/Tp/Prtry")),
            None => Some(PartyIdType::Msisdn),
        }
    }

    /// `Othr/SchmeNm`: `Prtry` (or `Cd`) a Mojaloop type; none → MSISDN.
    fn scheme_type(&mut self, tx: &TxFields) -> Option<PartyIdType> {
        match (&tx.schme_prtry, &tx.schme_cd) {
            (Some(p), _) => self.mojaloop_type(p, &tx.path("/CdtrAcct/Id/Othr/SchmeNm/Prtry")),
            (None, Some(c)) => self.mojaloop_type(c, &tx.path("/CdtrAcct/Id/Othr/SchmeNm/Cd")),
            (None, None) => Some(PartyIdType::Msisdn),
        }
    }

    fn mojaloop_type(&mut self, v: &Val, field: &str) -> Option<PartyIdType> {
        match PartyIdType::parse(&v.text) {
            Ok(t) => Some(t),
            Err(e) => {
                self.push(v.line, field, e.code(), e.to_string());
                None
            }
        }
    }

    fn payee_name(&mut self, tx: &TxFields) -> Option<String> {
        let v = tx.name.as_ref().filter(|v| !v.text.is_empty())?;
        if !is_valid_payee_name(&v.text) {
            self.push(
                v.line,
                &tx.path("/Cdtr/Nm"),
                csv_codes::INVALID_PAYEE_NAME,
                payee_name_rule(),
            );
            return None;
        }
        Some(v.text.clone())
    }
}

/// The digits of an ISO `PhoneNumber` (`+228-90123456` → `22890123456`), `None` for another
/// form.
fn iso_phone(text: &str) -> Option<String> {
    let (cc, number) = text.strip_prefix('+')?.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (cc.len() <= 3 && digits(cc) && digits(number)).then(|| format!("{cc}{number}"))
}

/// The message of an `InstdAmt` problem: amounts in XML are decimals in major units, so the
/// texts of [`MoneyError`] about CSV minor-unit integers do not fit.
fn amount_message(text: &str, currency: Currency, e: &MoneyError) -> String {
    match e {
        MoneyError::HasDecimals => format!(
            "`{text}` has more decimals than {currency} allows ({})",
            currency.exponent()
        ),
        MoneyError::NotANumber => {
            format!("`{text}` is not a decimal amount (digits, optionally '.' and decimals)")
        }
        MoneyError::Empty => "InstdAmt is empty".to_owned(),
        MoneyError::Negative | MoneyError::Zero => {
            format!("`{text}`: the amount must be greater than zero")
        }
        other => format!("`{text}`: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_phones() {
        assert_eq!(iso_phone("+228-90123456").as_deref(), Some("22890123456"));
        assert_eq!(iso_phone("22890123456"), None);
        assert_eq!(iso_phone("+2288-9012"), None);
        assert_eq!(iso_phone("+228-9012-3456"), None);
    }
}
