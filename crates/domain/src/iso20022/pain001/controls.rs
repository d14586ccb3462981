//! The controls of a pain.001: each block's `NbOfTxs`/`CtrlSum`, `PmtInfId` and execution date,
//! then the group header's, and the file as the result.

use super::tx::Val;
use super::{Block, Parser, ROOT};
use crate::csv::{CsvFormat, ParsedFile, Refusal, codes as csv_codes};
use crate::error::MoneyError;
use crate::iso20022::{Pain001File, PaymentInformation, codes, decimal};
use crate::money::Currency;

/// What a declared count or sum is checked against.
enum Declared<'v> {
    Count { value: &'v Val, found: u64 },
    Sum { value: &'v Val, found: i64 },
}

impl Parser<'_> {
    /// The file's currency, once a transaction had a valid one.
    fn currency(&self) -> Option<Currency> {
        self.rows.currency.map(|(c, _)| c)
    }

    /// Checks a declared `NbOfTxs` / `CtrlSum` at `field` (`where_` names it in messages).
    fn control(&mut self, field: &str, where_: &str, declared: Declared<'_>) {
        match declared {
            Declared::Count { value, found } => match decimal::parse_count(&value.text) {
                None => {
                    let message = format!(
                        "{where_} must be a number of transactions (1 to 15 digits), got `{}`",
                        value.text
                    );
                    self.rows
                        .push(value.line, field, codes::INVALID_VALUE, message);
                }
                Some(n) if n != found => {
                    let message = format!(
                        "{where_} declares {n} transactions but there are {found} (ISO 20022 reason AM18)"
                    );
                    self.rows
                        .push(value.line, field, codes::CONTROL_SUM_MISMATCH, message);
                }
                Some(_) => {}
            },
            Declared::Sum { value, found } => {
                // Without the currency (no valid transaction) the sum cannot be read exactly.
                let Some(currency) = self.currency() else {
                    return;
                };
                let exp = currency.exponent();
                let found_text = decimal::format_minor(found, exp);
                let message = match decimal::parse_minor(&value.text, exp) {
                    Ok(n) if n == found => return,
                    Ok(n) => format!(
                        "{where_} declares {} {currency} but the transactions sum to {found_text} \
                         {currency} (ISO 20022 reason AM10)",
                        decimal::format_minor(n, exp)
                    ),
                    Err(MoneyError::HasDecimals) => format!(
                        "{where_} declares {}, more decimals than {currency} has; the transactions \
                         sum to {found_text} {currency} (ISO 20022 reason AM10)",
                        value.text
                    ),
                    Err(e) => {
                        let message =
                            format!("{where_} `{}` is not a decimal amount: {e}", value.text);
                        self.rows.push(value.line, field, e.code(), message);
                        return;
                    }
                };
                self.rows
                    .push(value.line, field, codes::CONTROL_SUM_MISMATCH, message);
            }
        }
    }

    pub(super) fn end_block(&mut self, b: Block) {
        let name = format!("PmtInf[{}]", b.index);
        let id = match &b.id {
            None => {
                let message = format!("{name}/PmtInfId is missing");
                let field = b.path("/PmtInfId");
                self.rows
                    .push(b.line, &field, codes::MISSING_ELEMENT, message);
                None
            }
            Some(v) if v.text.is_empty() => {
                let message = format!("{name}/PmtInfId is empty");
                let field = b.path("/PmtInfId");
                self.rows
                    .push(v.line, &field, csv_codes::EMPTY_VALUE, message);
                None
            }
            Some(v) => Some(v.text.clone()),
        };
        if b.count == 0 {
            let message = format!("{name} has no CdtTrfTxInf");
            let field = b.path("/CdtTrfTxInf");
            self.rows
                .push(b.line, &field, codes::MISSING_ELEMENT, message);
        }
        if let Some(v) = &b.nb {
            let declared = Declared::Count {
                value: v,
                found: b.count,
            };
            self.control(&b.path("/NbOfTxs"), &format!("{name}/NbOfTxs"), declared);
        }
        if let (Some(v), Some(sum)) = (&b.ctrl, b.sum) {
            let declared = Declared::Sum {
                value: v,
                found: sum,
            };
            self.control(&b.path("/CtrlSum"), &format!("{name}/CtrlSum"), declared);
        }
        self.execution_date(&b);
        if self.debtor_name.is_none() {
            self.debtor_name = b
                .dbtr_nm
                .as_ref()
                .map(|v| v.text.clone())
                .filter(|n| !n.is_empty());
        }
        let transactions = usize::try_from(b.count).unwrap_or(usize::MAX);
        if let Some(pmt_inf_id) = id {
            self.blocks.push(PaymentInformation {
                pmt_inf_id,
                transactions,
            });
        }
    }

    /// The block's date (`ReqdExctnDt/Dt`, `…/DtTm`, or the .03 `ReqdExctnDt` text) must be a
    /// date, and the one every other block that gives a date asks for.
    fn execution_date(&mut self, b: &Block) {
        let (v, suffix) = match (&b.date_child, &b.date) {
            (Some((v, "Dt")), _) => (v, "/ReqdExctnDt/Dt"),
            (Some((v, _)), _) => (v, "/ReqdExctnDt/DtTm"),
            (None, Some(v)) => (v, "/ReqdExctnDt"),
            (None, None) => return,
        };
        let field = b.path(suffix);
        let Some(date) = decimal::parse_date(&v.text) else {
            let message = format!("`{}` is not a date (YYYY-MM-DD)", v.text);
            self.rows
                .push(v.line, &field, codes::INVALID_VALUE, message);
            return;
        };
        match &self.date {
            None => self.date = Some((date, b.index)),
            Some((first, block)) if *first != date => {
                let message = format!(
                    "PmtInf[{}] asks for execution on {date} but PmtInf[{block}] on {first}: a run \
                     has one execution date",
                    b.index
                );
                self.rows
                    .push(v.line, &field, codes::MIXED_EXECUTION_DATES, message);
            }
            Some(_) => {}
        }
    }

    /// The group header's controls, then the file or the refusal.
    pub(super) fn finish(mut self) -> Result<Pain001File, Refusal> {
        let grp_line = self.group.line;
        let msg_id = self.group.msg_id.take();
        let nb = self.group.nb.take();
        let ctrl = self.group.ctrl.take();
        let Some(grp_line) = grp_line else {
            let field = format!("{ROOT}/GrpHdr");
            let message = "GrpHdr is missing".to_owned();
            self.rows
                .push(self.initn_line, &field, codes::MISSING_ELEMENT, message);
            return self.into_result(None, None, None);
        };
        for (value, name) in [(&msg_id, "MsgId"), (&nb, "NbOfTxs")] {
            let field = format!("{ROOT}/GrpHdr/{name}");
            match value {
                None => {
                    let message = format!("GrpHdr/{name} is missing");
                    self.rows
                        .push(grp_line, &field, codes::MISSING_ELEMENT, message);
                }
                Some(v) if v.text.is_empty() => {
                    let message = format!("GrpHdr/{name} is empty");
                    self.rows
                        .push(v.line, &field, csv_codes::EMPTY_VALUE, message);
                }
                Some(_) => {}
            }
        }
        if let Some(v) = nb.as_ref().filter(|v| !v.text.is_empty()) {
            let declared = Declared::Count {
                value: v,
                found: self.rows.count,
            };
            self.control(
                &format!("{ROOT}/GrpHdr/NbOfTxs"),
                "GrpHdr/NbOfTxs",
                declared,
            );
        }
        let mut ctrl_sum_minor = None;
        if let Some(v) = &ctrl {
            ctrl_sum_minor = self
                .currency()
                .and_then(|c| decimal::parse_minor(&v.text, c.exponent()).ok());
            if let Some(total) = self.rows.total.filter(|_| self.rows.amounts_complete) {
                let declared = Declared::Sum {
                    value: v,
                    found: total.minor(),
                };
                self.control(
                    &format!("{ROOT}/GrpHdr/CtrlSum"),
                    "GrpHdr/CtrlSum",
                    declared,
                );
            }
        }
        if self.pmt_count == 0 {
            let field = format!("{ROOT}/PmtInf");
            let message = "the file has no PmtInf (payment information block)".to_owned();
            self.rows
                .push(self.initn_line, &field, codes::MISSING_ELEMENT, message);
        }
        let msg_id = msg_id.map(|v| v.text);
        let nb = nb.and_then(|v| decimal::parse_count(&v.text));
        self.into_result(msg_id, nb, ctrl_sum_minor)
    }

    fn into_result(
        self,
        msg_id: Option<String>,
        nb_of_txs: Option<u64>,
        ctrl_sum_minor: Option<i64>,
    ) -> Result<Pain001File, Refusal> {
        let rows = self.rows;
        match (self.version, msg_id, nb_of_txs, rows.currency, rows.total) {
            (Some(version), Some(msg_id), Some(nb_of_txs), Some((currency, _)), Some(total))
                if rows.problems.is_empty() =>
            {
                Ok(Pain001File {
                    version,
                    msg_id,
                    requested_execution: self.date.map(|(d, _)| d),
                    nb_of_txs,
                    ctrl_sum_minor,
                    debtor_name: self.debtor_name,
                    payment_infos: self.blocks,
                    parsed: ParsedFile {
                        format: CsvFormat::Pain001,
                        currency,
                        rows: rows.rows,
                        total_amount: total,
                    },
                })
            }
            _ => {
                let mut problems = rows.problems;
                if problems.is_empty() {
                    // Unreachable for a document that was read to its end; kept as a problem
                    // rather than a panic.
                    let message = "the file holds no payable transaction".to_owned();
                    problems.push(1, 0, "file", csv_codes::EMPTY_FILE, message);
                }
                Err(problems.into_refusal())
            }
        }
    }
}
