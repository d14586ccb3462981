//! Driving one transfer to its end, whether the adapter auto-accepts or halts for acceptance.

use crate::amount::{format_amount, parse_amount};
use crate::client::{AcceptMode, SdkClient};
use crate::outcome::{CallResult, Outcome, QUOTE_REFUSED, QuotePolicy};
use crate::stage::Stage;
use crate::wire::{Money, Party, TransferRequest, TransferResponse, state, transfer_state};

/// Where [`SdkClient::execute`] is in the flow; decides what a failed call means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Post,
    AcceptParty,
    AcceptQuote,
}

impl Step {
    /// The stage the adapter is at when this step's call fails without saying more.
    fn stage(self) -> Stage {
        match self {
            Step::Post => Stage::PartyLookup,
            Step::AcceptParty => Stage::Quote,
            Step::AcceptQuote => Stage::Transfer,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Step::Post => "POST /transfers",
            Step::AcceptParty => "PUT acceptParty",
            Step::AcceptQuote => "PUT acceptQuote",
        }
    }
}

/// Checks the payee the adapter resolved, before its party is accepted: `Err((code, message))`
/// stops the transfer there, certainly never prepared (the verified party changed since).
pub type PartyCheck = dyn Fn(&Party) -> Result<(), (String, String)> + Send + Sync;

impl SdkClient {
    /// [`SdkClient::execute_checked`] without a party check.
    pub async fn execute(&self, req: &TransferRequest, policy: &QuotePolicy) -> Outcome {
        self.execute_checked(req, policy, None).await
    }

    /// Drives one transfer to its end.
    ///
    /// POSTs it; on `WAITING_FOR_PARTY_ACCEPTANCE` accepts the party unless `party_check` refuses
    /// it (then [`Outcome::Failed`] with the check's code: nothing was prepared); on
    /// `WAITING_FOR_QUOTE_ACCEPTANCE` accepts the quote only if [`check_quote`] passes, else PUTs
    /// `acceptQuote: false` and returns `Failed { code: "QUOTE_REFUSED", .. }`.
    ///
    /// An answer proving the transfer stopped before its prepare is [`Outcome::NotPrepared`]. A PUT
    /// that was not delivered, timed out or got a 504 makes the outcome [`Outcome::Unknown`]: the
    /// transfer exists at the adapter and may still complete — except in [`AcceptMode::Manual`],
    /// where nothing is prepared before our quote acceptance, so any failure of the POST or of the
    /// party acceptance is [`Outcome::NotPrepared`]. [`Outcome::NotSent`] only ever comes from the
    /// POST itself.
    pub async fn execute_checked(
        &self,
        req: &TransferRequest,
        policy: &QuotePolicy,
        party_check: Option<&PartyCheck>,
    ) -> Outcome {
        let mut step = Step::Post;
        let mut call = self.post_transfer(req).await;
        loop {
            let resp = match call {
                CallResult::Answered(resp) => resp,
                CallResult::Failed { code, message } => return Outcome::Failed { code, message },
                // Our quote acceptance is what sends the prepare: whatever the body shows, an
                // answer to it that is not final cannot prove the prepare was not on its way.
                CallResult::NotPrepared { message, .. } if step == Step::AcceptQuote => {
                    return Outcome::Unknown {
                        reason: format!("{}: {message}", step.describe()),
                    };
                }
                CallResult::NotPrepared {
                    stage,
                    code,
                    message,
                } => {
                    return Outcome::NotPrepared {
                        stage,
                        code,
                        message,
                    };
                }
                CallResult::NotSent { reason } if step == Step::Post => {
                    return Outcome::NotSent { reason };
                }
                CallResult::Unknown {
                    reason,
                    stage: Some(Stage::Transfer),
                } if step != Step::AcceptQuote => {
                    self.disprove_manual("an answer showed a prepare before our quote acceptance");
                    return Outcome::Unknown {
                        reason: format!("{}: {reason}", step.describe()),
                    };
                }
                CallResult::NotSent { reason } | CallResult::Unknown { reason, .. }
                    if step != Step::AcceptQuote && self.accept_mode() == AcceptMode::Manual =>
                {
                    return Outcome::NotPrepared {
                        stage: step.stage(),
                        code: "NO_ANSWER_BEFORE_PREPARE".to_string(),
                        message: format!(
                            "{} failed while the adapter halts for acceptance (nothing prepared \
                             yet): {reason}",
                            step.describe()
                        ),
                    };
                }
                CallResult::NotSent { reason } => {
                    return Outcome::Unknown {
                        reason: format!(
                            "{} not delivered after the POST was answered (the transfer waits at \
                             the adapter): {reason}",
                            step.describe()
                        ),
                    };
                }
                CallResult::Unknown { reason, .. } => {
                    return Outcome::Unknown {
                        reason: format!("{}: {reason}", step.describe()),
                    };
                }
            };
            match (resp.current_state.as_str(), step) {
                (state::COMPLETED, Step::Post | Step::AcceptParty) => {
                    self.disprove_manual("a transfer completed without our quote acceptance");
                    // The adapter accepted the quote itself: say if its fee broke the policy.
                    return completed(&resp, fee_breach(&resp, req, policy).err());
                }
                (state::COMPLETED, _) => return completed(&resp, None),
                (state::ERROR_OCCURRED | state::ABORTED, _) => return failed(&resp),
                (state::WAITING_FOR_PARTY_ACCEPTANCE, Step::Post) => {
                    if let Some(check) = party_check {
                        let unknown = Party::new(String::new(), String::new());
                        if let Err((code, message)) = check(resp.to.as_ref().unwrap_or(&unknown)) {
                            return Outcome::Failed { code, message };
                        }
                    }
                    step = Step::AcceptParty;
                    call = self.accept_party(&req.transfer_id).await;
                }
                (state::WAITING_FOR_QUOTE_ACCEPTANCE, Step::Post | Step::AcceptParty) => {
                    if let Err(why) = check_quote(&resp, req, policy) {
                        return self.refuse_quote(&req.transfer_id, why).await;
                    }
                    step = Step::AcceptQuote;
                    call = self.accept_quote(&req.transfer_id, true).await;
                }
                (other, _) => {
                    return Outcome::Unknown {
                        reason: format!("adapter answered state {other:?} to {}", step.describe()),
                    };
                }
            }
        }
    }

    async fn refuse_quote(&self, transfer_id: &str, why: String) -> Outcome {
        // Refusing never sends anything to the switch, so the transfer cannot complete whatever
        // this PUT's fate: the row is certainly failed.
        let message = match self.accept_quote(transfer_id, false).await {
            CallResult::Answered(r) if r.current_state == state::ABORTED => why,
            CallResult::Answered(r) => format!("{why} (adapter answered {})", r.current_state),
            CallResult::Failed { code, message } => {
                format!("{why} (refusal answered {code}: {message})")
            }
            CallResult::NotSent { reason } | CallResult::Unknown { reason, .. } => {
                format!("{why} (refusal not confirmed: {reason})")
            }
            CallResult::NotPrepared { message, .. } => {
                format!("{why} (refusal answered: {message})")
            }
        };
        Outcome::Failed {
            code: QUOTE_REFUSED.to_string(),
            message,
        }
    }
}

fn completed(resp: &TransferResponse, fee_above_limit: Option<String>) -> Outcome {
    let switch_state = resp
        .fulfil
        .as_ref()
        .and_then(|f| f.body.transfer_state.as_deref());
    match switch_state {
        // A COMPLETED answer whose fulfil says ABORTED contradicts itself: let the lookup decide.
        Some(transfer_state::ABORTED) => Outcome::Unknown {
            reason: "adapter answered COMPLETED with an ABORTED fulfil".to_string(),
        },
        _ => Outcome::Completed { fee_above_limit },
    }
}

fn failed(resp: &TransferResponse) -> Outcome {
    let info = resp.last_error.as_ref().and_then(|e| e.error_information());
    match info {
        Some(info) => Outcome::Failed {
            code: info.error_code.clone(),
            message: info.error_description.clone(),
        },
        None => Outcome::Failed {
            code: resp.current_state.clone(),
            message: resp
                .aborted_reason
                .clone()
                .unwrap_or_else(|| format!("adapter reports {}", resp.current_state)),
        },
    }
}

/// Checks a quote against the row: `transferAmount` must equal the expected amount in the request's
/// currency, and `payeeFspFee` (absent = 0) must not exceed the policy's maximum. The error names the
/// amounts.
pub fn check_quote(
    resp: &TransferResponse,
    req: &TransferRequest,
    policy: &QuotePolicy,
) -> Result<(), String> {
    let body = resp
        .quote_response
        .as_ref()
        .map(|q| &q.body)
        .ok_or_else(|| "quote refused: the answer carries no quoteResponse".to_string())?;
    let expected = format!(
        "{} {}",
        format_amount(policy.expected_amount_minor, policy.exponent),
        req.currency
    );
    let transfer = body
        .transfer_amount
        .as_ref()
        .ok_or_else(|| "quote refused: the quote carries no transferAmount".to_string())?;
    if minor_in(transfer, &req.currency, policy.exponent) != Some(policy.expected_amount_minor) {
        return Err(format!(
            "quote refused: transferAmount {} {} differs from the row's amount {expected}",
            transfer.amount, transfer.currency
        ));
    }
    fee_breach(resp, req, policy).map_err(|why| format!("quote refused: {why}"))
}

/// `Err` naming the fee when the quote's `payeeFspFee` (absent = 0) exceeds the policy's maximum
/// (or is in another currency); `Ok` without a quote, which carries no fee to judge.
fn fee_breach(
    resp: &TransferResponse,
    req: &TransferRequest,
    policy: &QuotePolicy,
) -> Result<(), String> {
    let Some(fee) = resp
        .quote_response
        .as_ref()
        .and_then(|q| q.body.payee_fsp_fee.as_ref())
    else {
        return Ok(());
    };
    match minor_in(fee, &req.currency, policy.exponent) {
        Some(minor) if minor <= policy.max_payee_fee_minor => Ok(()),
        _ => Err(format!(
            "payeeFspFee {} {} exceeds the allowed maximum {} {} \
             (transferAmount {} {})",
            fee.amount,
            fee.currency,
            format_amount(policy.max_payee_fee_minor, policy.exponent),
            req.currency,
            format_amount(policy.expected_amount_minor, policy.exponent),
            req.currency
        )),
    }
}

fn minor_in(money: &Money, currency: &str, exponent: u32) -> Option<i64> {
    if money.currency != currency {
        return None;
    }
    parse_amount(&money.amount, exponent)
}
