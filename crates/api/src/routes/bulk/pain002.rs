//! `GET /api/bulk-transfers/{id}/pain002`: the run's ISO 20022 status report, pain.002.001.10,
//! written by `domain::iso20022::write_pain002` from the stored run and its rows.
//!
//! - `OrgnlGrpInfAndSts`: the pain.001's `MsgId` and message name (for a CSV run, the bulk id's
//!   32 hex digits and [`CSV_MESSAGE_NAME`]; for a retry run, [`RETRY_MESSAGE_NAME`]), the run's
//!   row count and total, `GrpSts` from `group_status` (ACTC until the run is final and no row is
//!   pending), the count of rows per status.
//! - One `OrgnlPmtInfAndSts` per `PmtInf` block of the pain.001 (its rows, in file order), a
//!   single one for any other run; one `TxInfAndSts` per row: `OrgnlEndToEndId` = the row's
//!   transferId (written as stored, never cut: see the README), `TxSts` from the row's status,
//!   the reason from `reason_for(error code, status)` with the row's error message as a second
//!   `AddtlInf`, and the amount.
//! - `GrpHdr/MsgId` is [`report_message_id`]: the same for two reports of the same run state.
//!
//! Rows are read [`PAGE_SIZE`] at a time; the document is built in memory (~350 bytes a row, so
//! ~35 MB for 100,000 rows).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use db::models::{Bulk, PaymentBlock, Transfer};
use db::queries::{bulks, transfers};
use domain::iso20022::{
    Pain002Payment, Pain002Report, Pain002Transaction, TxStatus, group_status, reason_for,
    tx_status, write_pain002,
};
use domain::{Amount, Currency};

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Rows read per query.
pub const PAGE_SIZE: i64 = 5_000;
/// `OrgnlMsgNmId` of a run uploaded as CSV (there is no original ISO message).
pub const CSV_MESSAGE_NAME: &str = "gateway.csv";
/// `OrgnlMsgNmId` of a retry run (made by `POST …/retry` from another run's failed rows).
pub const RETRY_MESSAGE_NAME: &str = "gateway.retry";
/// Longest `MsgId` (`Max35Text`).
const MAX35: usize = 35;

/// The report's `GrpHdr/MsgId`: `RPT-<first 16 hex digits of the bulk's uuid>-<progress seq>`,
/// at most 35 characters. The progress `seq` grows with every row that becomes final and every
/// state change, so a report with other content has another id.
pub fn report_message_id(bulk: &Bulk) -> String {
    let hex: String = bulk
        .bulk_id
        .strip_prefix("bulk-")
        .unwrap_or(&bulk.bulk_id)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    let id = format!("RPT-{hex}-{}", bulk.progress().seq);
    id.chars().take(MAX35).collect()
}

/// One row as a `TxInfAndSts`.
fn transaction(t: Transfer) -> Pain002Transaction {
    let status = *t.status;
    let reason = reason_for(t.error_code.as_deref(), status.as_str()).map(|mut r| {
        if let Some(m) = t.error_message.filter(|m| !m.trim().is_empty()) {
            r.additional_info.push(m);
        }
        r
    });
    Pain002Transaction {
        end_to_end_id: t.transfer_id,
        status: tx_status(status),
        reason,
        amount: Amount::new(t.amount).ok(),
    }
}

/// Every row of the run in file order, a page per query (a connection is held for one page).
async fn load_rows(state: &AppState, bulk_pk: i64) -> Result<Vec<Pain002Transaction>, ApiError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .db(move |c| {
                let rows = transfers::page(c, bulk_pk, None, after, PAGE_SIZE)?;
                let last = rows.last().map(|r| r.id);
                Ok((last, rows.into_iter().map(transaction).collect::<Vec<_>>()))
            })
            .await?;
        let (last, rows) = page;
        let full = rows.len() as i64 == PAGE_SIZE;
        out.extend(rows);
        match last {
            Some(id) if full => after = Some(id),
            _ => return Ok(out),
        }
    }
}

/// The rows split into the run's payment blocks, which cover them in file order; rows past the
/// blocks' counts (never, unless the stored blocks are wrong) go to the last block. No blocks:
/// one block without an id (the writer names it by the bulk id).
pub fn group(
    blocks: Option<Vec<PaymentBlock>>,
    txs: Vec<Pain002Transaction>,
) -> Vec<Pain002Payment> {
    let blocks = blocks.filter(|b| !b.is_empty());
    let Some(blocks) = blocks else {
        return vec![Pain002Payment {
            pmt_inf_id: None,
            transactions: txs,
        }];
    };
    let mut rows = txs.into_iter();
    let last = blocks.len() - 1;
    blocks
        .into_iter()
        .enumerate()
        .map(|(i, PaymentBlock(id, count))| {
            let transactions = if i == last {
                rows.by_ref().collect()
            } else {
                rows.by_ref()
                    .take(usize::try_from(count).unwrap_or(usize::MAX))
                    .collect()
            };
            Pain002Payment {
                pmt_inf_id: Some(id),
                transactions,
            }
        })
        .collect()
}

/// The report of `bulk` with its rows.
fn report(bulk: &Bulk, txs: Vec<Pain002Transaction>) -> Result<Pain002Report, ApiError> {
    let currency = Currency::parse(&bulk.currency).map_err(ApiError::internal)?;
    let count = |s: TxStatus| txs.iter().filter(|t| t.status == s).count() as u64;
    let (paid, refused, pending) = (
        count(TxStatus::Acsc),
        count(TxStatus::Rjct),
        count(TxStatus::Pdng),
    );
    let name = match (&bulk.msg_name_id, bulk.parent_bulk_pk) {
        (Some(name), _) => name.clone(),
        (None, Some(_)) => RETRY_MESSAGE_NAME.to_string(),
        (None, None) => CSV_MESSAGE_NAME.to_string(),
    };
    Ok(Pain002Report {
        message_id: report_message_id(bulk),
        created_at: db::models::now()
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        original_message_id: bulk.msg_id.clone(),
        bulk_id: bulk.bulk_id.clone(),
        original_message_name: name,
        original_nb_of_txs: u64::try_from(bulk.total_count).unwrap_or(0),
        original_ctrl_sum: Amount::new(bulk.total_amount).ok(),
        currency,
        group_status: group_status(paid, refused, pending, bulk.state.is_final()),
        payments: group(bulk.payment_blocks()?, txs),
    })
}

/// The run's ISO 20022 pain.002.001.10 status report (every role of the organisation).
#[utoipa::path(
    get, path = "/api/bulk-transfers/{id}/pain002", tag = "bulk-transfers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Bulk id (`bulk-<uuid>`)")),
    responses(
        (status = 200, description = "pain.002.001.10: the original message (OrgnlMsgId = the \
          pain.001's MsgId, or the bulk id's 32 hex digits for a CSV run), GrpSts ACTC until \
          final then ACSC / PART / RJCT, one OrgnlPmtInfAndSts per PmtInf block, one TxInfAndSts \
          per row (OrgnlEndToEndId = transferId, TxSts ACSC / PDNG / RJCT, ISO reason of a \
          refused row)", content_type = "application/xml", body = String,
         example = json!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.10\">…</Document>")),
        (status = 401, description = "No valid access token", body = ErrorBody),
        (status = 404, description = "No such bulk in your organisation", body = ErrorBody),
    )
)]
pub async fn pain002(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (org, bulk_id) = (user.org_id, path.into_inner());
    let bulk = state
        .db(move |c| bulks::find_for_org(c, org, &bulk_id)?.ok_or_else(ApiError::not_found))
        .await?;
    let txs = load_rows(&state, bulk.id).await?;
    let name = bulk.bulk_id.clone();
    let xml = web::block(move || report(&bulk, txs).map(|r| write_pain002(&r))).await??;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/xml; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}-pain002.xml\""),
        ))
        .body(xml))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn tx(id: &str) -> Pain002Transaction {
        Pain002Transaction {
            end_to_end_id: id.into(),
            status: TxStatus::Acsc,
            reason: None,
            amount: None,
        }
    }

    fn ids(p: &[Pain002Payment]) -> Vec<(Option<&str>, Vec<&str>)> {
        p.iter()
            .map(|p| {
                (
                    p.pmt_inf_id.as_deref(),
                    p.transactions
                        .iter()
                        .map(|t| t.end_to_end_id.as_str())
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn rows_fall_into_their_blocks_in_file_order() {
        let txs = || ["a", "b", "c", "d"].map(tx).to_vec();
        let blocks = vec![PaymentBlock("P1".into(), 1), PaymentBlock("P2".into(), 3)];
        let got = group(Some(blocks), txs());
        assert_eq!(
            ids(&got),
            [(Some("P1"), vec!["a"]), (Some("P2"), vec!["b", "c", "d"])]
        );
        // Stored counts short of the rows: the rest stays in the last block, none is lost.
        let blocks = vec![PaymentBlock("P1".into(), 2), PaymentBlock("P2".into(), 1)];
        let got = group(Some(blocks), txs());
        assert_eq!(
            ids(&got),
            [(Some("P1"), vec!["a", "b"]), (Some("P2"), vec!["c", "d"])]
        );
        assert_eq!(ids(&group(None, txs())), [(None, vec!["a", "b", "c", "d"])]);
        assert_eq!(ids(&group(Some(vec![]), vec![])), [(None, vec![])]);
    }
}
