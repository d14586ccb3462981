//! The adapter's state machine over the switch ledger: what each call does to a transfer.
//!
//! Every step is synchronous and runs under the ledger lock; the HTTP layer sleeps between steps
//! (half the configured delay before the switch is asked, the other half while the prepare is
//! RESERVED), so a lookup during a slow transfer sees what a real switch would.

use crate::config::SimConfig;
use crate::lookup;
use crate::model::{
    Failure, PartyPhase, PostBody, PutBody, QuoteAmounts, QuotePhase, Record, Stage, SwitchState,
};
use crate::registry::PartyRegistry;
use crate::reply::{
    Decision, PARTY_NOT_FOUND, QUOTE_REJECTED, Reply, SERVICE_UNAVAILABLE, SwitchAnswer,
    TRANSFER_EXPIRED, TRANSFER_REJECTED, bad_request, lookup_reply, plain_server_error, render,
};
use crate::rules::{Rule, rule_for};
use crate::state::SimState;
use crate::validate::{correlation_id_message, is_correlation_id, validate};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// What a call does after its first half-delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// POST: look the party up, then quote and prepare when auto-accepting.
    Start,
    /// PUT acceptParty: quote.
    Quote,
    /// PUT acceptQuote: prepare.
    Prepare,
}

/// Where a call stands after a step.
#[derive(Debug)]
pub(crate) enum Next {
    /// Answer this.
    Reply(Reply),
    /// The prepare is at the switch (RESERVED): fulfil after the rest of the delay.
    Fulfil,
}

/// Counts, validates and records a POST. `Ok(transfer_id)` when it goes on.
pub(crate) fn begin_post(state: &SimState, body: &[u8]) -> Result<Arc<str>, Reply> {
    let parsed: PostBody = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(e) => {
            state.count_post(None, None);
            return Err(bad_request(&e.to_string()));
        }
    };
    let transfer_id: Arc<str> = match &parsed.transfer_id {
        Some(id) => Arc::from(id.as_str()),
        None => Arc::from(Uuid::new_v4().to_string()),
    };
    let nth = state.count_post(Some(&transfer_id), parsed.home_transaction_id.as_deref());
    let transfer = validate(parsed).map_err(|m| bad_request(&m))?;
    // The record keeps the rule in effect for THIS post: a transient rule is Normal on a retry.
    let rule = rule_for(transfer.to.id_value()).on_post(nth);
    state.insert(Record::new(Arc::new(transfer), transfer_id.clone(), rule));
    Ok(transfer_id)
}

/// Validates a PUT and decides: an immediate answer (`Err`), or a plan to run after the delay.
pub(crate) fn begin_put(state: &SimState, id: &str, body: &[u8]) -> Result<Plan, Reply> {
    if !is_correlation_id(id) {
        return Err(bad_request(&correlation_id_message()));
    }
    let put: PutBody = serde_json::from_slice(body).map_err(|e| bad_request(&e.to_string()))?;
    match (put.accept_party, put.accept_quote) {
        (Some(false), _) => {
            return Err(bad_request("must be equal to one of the allowed values"));
        }
        (None, None) => return Err(bad_request("must have required property 'acceptParty'")),
        _ => {}
    }
    let decided = state.update(id, |rec| match rec.stage {
        Stage::Busy => Err(Decision::Busy),
        Stage::Completed | Stage::Aborted => Err(Decision::State),
        Stage::Errored => Err(Decision::NoContent),
        Stage::WaitingParty if put.accept_party == Some(true) => {
            rec.accept_party = Some(true);
            rec.stage = Stage::Busy;
            Ok(Plan::Quote)
        }
        Stage::WaitingParty => {
            rec.accept_quote = put.accept_quote;
            abort(rec, "Payee rejected by backend")
        }
        Stage::WaitingQuote if put.accept_quote == Some(true) => {
            rec.accept_quote = Some(true);
            rec.stage = Stage::Busy;
            Ok(Plan::Prepare)
        }
        Stage::WaitingQuote => {
            rec.accept_quote = Some(put.accept_quote.unwrap_or(false));
            abort(rec, "Quote rejected by backend")
        }
    });
    match decided {
        None => Err(plain_server_error(&format!(
            "No cached data found for transferId: {id}"
        ))),
        Some((Ok(plan), _)) => Ok(plan),
        Some((Err(decision), rec)) => Err(render(decision, &rec)),
    }
}

fn abort(rec: &mut Record, reason: &'static str) -> Result<Plan, Decision> {
    rec.stage = Stage::Aborted;
    rec.aborted_reason = Some(reason);
    Err(Decision::State)
}

pub(crate) fn fail(rec: &mut Record, failure: Failure) -> Decision {
    rec.stage = Stage::Errored;
    rec.failure = Some(failure);
    Decision::Failure
}

/// The result of a step under the lock.
enum Step {
    /// Answer with this decision about the record.
    Answer(Decision),
    /// The prepare is at the switch: fulfil next.
    Prepared,
}

/// Runs the planned step once the first half of the delay has passed.
pub(crate) fn advance(state: &SimState, id: &str, plan: Plan, cfg: &SimConfig) -> Next {
    // Taken before the ledger lock: the two locks are never held together.
    let parties = state.parties();
    let stepped = state.update(id, |rec| {
        if rec.stage != Stage::Busy {
            // Reset, or overtaken by a second POST of the same id: answer what is there.
            return Step::Answer(Decision::State);
        }
        match plan {
            Plan::Start => start(rec, cfg, &parties),
            Plan::Quote => match quote(rec, cfg) {
                Ok(()) => {
                    rec.stage = Stage::WaitingQuote;
                    Step::Answer(Decision::State)
                }
                Err(decision) => Step::Answer(decision),
            },
            Plan::Prepare => prepare(rec),
        }
    });
    match stepped {
        None => Next::Reply(no_cached_data(id)),
        Some((Step::Prepared, _)) => {
            state.count_prepare(id);
            Next::Fulfil
        }
        Some((Step::Answer(decision), rec)) => match (rec.rule, decision) {
            (Rule::DropConnection | Rule::TransientDrop, Decision::Failure) => {
                Next::Reply(Reply::Drop)
            }
            _ => Next::Reply(render(decision, &rec)),
        },
    }
}

/// The POST's first step: party lookup, then quote and prepare when auto-accepting. Every rule
/// that fails before the prepare fires here, whatever the mode.
fn start(rec: &mut Record, cfg: &SimConfig, parties: &PartyRegistry) -> Step {
    let now = Utc::now();
    match rec.rule {
        Rule::DropConnection | Rule::EmptyServerError | Rule::TransientDrop => {
            return Step::Answer(fail(rec, Failure::Crash));
        }
        Rule::PartyNotFound => return Step::Answer(party_error(rec, PARTY_NOT_FOUND)),
        Rule::TransientUnavailable => return Step::Answer(party_error(rec, SERVICE_UNAVAILABLE)),
        Rule::TimeoutBeforeCommit | Rule::TransientPartyTimeout => {
            return Step::Answer(time_out_resolving_payee(rec));
        }
        _ => {}
    }
    find_party(rec, now, parties);
    if matches!(rec.rule, Rule::QuoteTimeout | Rule::TransientQuoteTimeout) {
        return Step::Answer(time_out_requesting_quote(rec));
    }
    if !cfg.auto_accept {
        rec.stage = Stage::WaitingParty;
        return Step::Answer(Decision::State);
    }
    match quote(rec, cfg) {
        Ok(()) => prepare(rec),
        Err(decision) => Step::Answer(decision),
    }
}

/// The party lookup finds the payee: the registry's entry, else the default payee (at
/// `failfsp` for the `…5105` rule, as in its capture).
pub(crate) fn find_party(rec: &mut Record, at: DateTime<Utc>, parties: &PartyRegistry) {
    let to = &rec.transfer.to;
    let party = lookup::party_for_transfer(parties, to.id_type(), to.id_value(), rec.rule);
    rec.party = Some(PartyPhase {
        at,
        answer: Some(Ok(party)),
    });
}

/// The switch answers the party lookup with an FSPIOP error callback.
fn party_error(rec: &mut Record, error: crate::model::FspiopError) -> Decision {
    rec.party = Some(PartyPhase {
        at: Utc::now(),
        answer: Some(Err(error)),
    });
    fail(rec, Failure::Fspiop(error))
}

/// The party lookup got no answer in time: 504, nothing prepared.
pub(crate) fn time_out_resolving_payee(rec: &mut Record) -> Decision {
    rec.party = Some(PartyPhase {
        at: Utc::now(),
        answer: None,
    });
    fail(rec, Failure::TimeoutResolvingPayee)
}

/// The quote request got no answer in time (the party was found): 504, nothing prepared.
pub(crate) fn time_out_requesting_quote(rec: &mut Record) -> Decision {
    rec.quote = Some(QuotePhase {
        id: Uuid::new_v4(),
        at: Utc::now(),
        amounts: None,
    });
    fail(rec, Failure::TimeoutRequestingQuote)
}

pub(crate) fn quote(rec: &mut Record, cfg: &SimConfig) -> Result<(), Decision> {
    let mut phase = QuotePhase {
        id: Uuid::new_v4(),
        at: Utc::now(),
        amounts: None,
    };
    if rec.rule == Rule::QuoteRejected {
        rec.quote = Some(phase);
        return Err(fail(rec, Failure::Fspiop(QUOTE_REJECTED)));
    }
    let t = &rec.transfer;
    let fee_minor = if rec.rule == Rule::PayeeFee {
        cfg.payee_fee_minor
    } else {
        0
    };
    let fee = sdk::format_amount(fee_minor, currency_exponent(&t.currency));
    // Receive = amount - fee, computed at the pattern's finest precision (4 decimals).
    let receive = match (sdk::parse_amount(&t.amount, 4), sdk::parse_amount(&fee, 4)) {
        (Some(a), Some(f)) => sdk::format_amount(a.saturating_sub(f).max(0), 4),
        _ => t.amount.clone(),
    };
    phase.amounts = Some(QuoteAmounts {
        transfer_amount: t.amount.clone(),
        payee_receive_amount: receive,
        payee_fsp_fee: fee,
    });
    rec.quote = Some(phase);
    Ok(())
}

fn prepare(rec: &mut Record) -> Step {
    send_prepare(rec);
    Step::Prepared
}

/// The prepare reaches the switch, which reserves the funds. The caller counts it
/// ([`SimState::count_prepare`]) once the ledger lock is released.
pub(crate) fn send_prepare(rec: &mut Record) {
    let now = Utc::now();
    rec.prepare = Some(now);
    rec.switch = SwitchState::Reserved(now);
}

/// The switch's answer to the prepare, after the second half of the delay. A prepare older than
/// `expiry_secs` has expired: the switch aborts it (FSPIOP 3303).
pub(crate) fn fulfil(state: &SimState, id: &str, cfg: &SimConfig) -> Reply {
    let stepped = state.update(id, |rec| {
        if rec.stage != Stage::Busy {
            return (false, Decision::State);
        }
        let now = Utc::now();
        if let SwitchState::Reserved(at) = rec.switch
            && now > expiry_of(at, cfg)
        {
            rec.switch = SwitchState::Aborted(expiry_of(at, cfg));
            return (false, fail(rec, Failure::Fspiop(TRANSFER_EXPIRED)));
        }
        match rec.rule {
            Rule::TransferRejected => {
                rec.switch = SwitchState::Aborted(now);
                (false, fail(rec, Failure::Fspiop(TRANSFER_REJECTED)))
            }
            Rule::TimeoutAfterCommit => {
                rec.switch = SwitchState::Committed(now);
                (true, fail(rec, Failure::TimeoutWaitingForFulfil))
            }
            _ => {
                rec.switch = SwitchState::Committed(now);
                rec.stage = Stage::Completed;
                (true, Decision::State)
            }
        }
    });
    match stepped {
        None => no_cached_data(id),
        Some(((committed, decision), rec)) => {
            if committed {
                state.count_commit();
            }
            render(decision, &rec)
        }
    }
}

/// `GET /transfers/{id}`: what the switch knows.
pub(crate) fn lookup(state: &SimState, id: &str, cfg: &SimConfig) -> Reply {
    if !is_correlation_id(id) {
        return bad_request(&correlation_id_message());
    }
    let answer = match state.switch_state(id) {
        SwitchState::Unknown => SwitchAnswer::NotFound,
        SwitchState::Committed(at) => SwitchAnswer::Committed(at),
        SwitchState::Aborted(at) => SwitchAnswer::Aborted(at),
        SwitchState::Reserved(at) => {
            let expiry = expiry_of(at, cfg);
            if Utc::now() > expiry {
                SwitchAnswer::Aborted(expiry)
            } else {
                SwitchAnswer::Reserved
            }
        }
    };
    lookup_reply(id, answer)
}

fn expiry_of(prepared: DateTime<Utc>, cfg: &SimConfig) -> DateTime<Utc> {
    i64::try_from(cfg.expiry_secs)
        .ok()
        .and_then(Duration::try_seconds)
        .and_then(|d| prepared.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn no_cached_data(id: &str) -> Reply {
    plain_server_error(&format!("No cached data found for transferId: {id}"))
}

/// ISO-4217 exponent, for the fee of the `…0777` rule only (the simulator never needs more).
fn currency_exponent(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}
