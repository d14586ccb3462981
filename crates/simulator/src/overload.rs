//! What an overloaded rail answers: the adapter's 504 for the stage the request was waiting in
//! when its queue timeout ran out (see [`crate::capacity`]).
//!
//! The stage is drawn from the transferId, so the same id always times out the same way: ~45%
//! resolving the payee, ~45% requesting the quote — nothing reaches the switch's ledger — and
//! ~10% waiting for the fulfil, where the prepare WAS sent and the switch commits, as with the
//! `…0505` rule. That mix is the one measured on the real adapter in front of a saturated rail.

use crate::config::SimConfig;
use crate::flow::{
    fail, find_party, quote, send_prepare, time_out_requesting_quote, time_out_resolving_payee,
};
use crate::model::{Failure, Record, Stage, SwitchState};
use crate::registry::PartyRegistry;
use crate::reply::{Decision, Reply, plain_server_error, render};
use crate::rules::Rule;
use crate::state::SimState;
use chrono::Utc;

/// Where an overloaded request was waiting when the adapter gave up, in the order of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Waited {
    Party,
    Quote,
    Fulfil,
}

/// The stage drawn from the transferId alone: 45 / 45 / 10 in a hundred.
fn drawn(transfer_id: &str) -> Waited {
    match hash(transfer_id) % 100 {
        0..45 => Waited::Party,
        45..90 => Waited::Quote,
        _ => Waited::Fulfil,
    }
}

/// FNV-1a, then a murmur3 finaliser: FNV alone leaves the low bits of near-identical ids (a
/// caller's sequential UUIDs) poorly mixed, and the modulo reads exactly those bits.
fn hash(s: &str) -> u64 {
    let mut h = s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The furthest stage a POST can be waiting in: in manual mode a POST only resolves the payee,
/// and a rule that fails a stage stops there, so no overload answer contradicts the rule (a
/// payee that is not found is never committed).
fn furthest(rule: Rule, auto_accept: bool) -> Waited {
    if !auto_accept {
        return Waited::Party;
    }
    match rule {
        Rule::Normal | Rule::PayeeFee | Rule::TimeoutAfterCommit => Waited::Fulfil,
        // The payee FSP of `…5105` would abort, not commit: keep the 504 before the prepare.
        Rule::QuoteRejected
        | Rule::QuoteTimeout
        | Rule::TransientQuoteTimeout
        | Rule::TransferRejected => Waited::Quote,
        Rule::PartyNotFound
        | Rule::TimeoutBeforeCommit
        | Rule::EmptyServerError
        | Rule::DropConnection
        | Rule::TransientPartyTimeout
        | Rule::TransientUnavailable
        | Rule::TransientDrop => Waited::Party,
    }
}

/// The stage an overloaded POST of `transfer_id` under `rule` times out in.
pub(crate) fn stage_for(transfer_id: &str, rule: Rule, auto_accept: bool) -> Waited {
    drawn(transfer_id).min(furthest(rule, auto_accept))
}

/// Moves the record to the stage it was waiting in and fails it there. `None`: the rule stopped
/// it before (cannot happen with [`furthest`], kept total rather than panicking).
fn wait_out(
    rec: &mut Record,
    cfg: &SimConfig,
    parties: &PartyRegistry,
) -> (Decision, Option<Waited>) {
    let stage = stage_for(&rec.transfer_id, rec.rule, cfg.auto_accept);
    let decision = match stage {
        Waited::Party => time_out_resolving_payee(rec),
        Waited::Quote => {
            find_party(rec, Utc::now(), parties);
            time_out_requesting_quote(rec)
        }
        Waited::Fulfil => {
            find_party(rec, Utc::now(), parties);
            if let Err(decision) = quote(rec, cfg) {
                return (decision, None);
            }
            send_prepare(rec);
            // The hub finishes what the adapter gave up on: the money moves.
            rec.switch = SwitchState::Committed(Utc::now());
            fail(rec, Failure::TimeoutWaitingForFulfil)
        }
    };
    (decision, Some(stage))
}

/// The adapter's 504 for a POST whose queue timeout ran out, and what the switch did meanwhile.
pub(crate) fn time_out(state: &SimState, id: &str, cfg: &SimConfig) -> Reply {
    let parties = state.parties();
    let stepped = state.update(id, |rec| {
        if rec.stage != Stage::Busy {
            // Overtaken by a second POST of the same id: answer what is there.
            return (Decision::State, None);
        }
        wait_out(rec, cfg, &parties)
    });
    let Some(((decision, stage), rec)) = stepped else {
        return plain_server_error(&format!("No cached data found for transferId: {id}"));
    };
    if stage.is_some() {
        state.count_overload_timeout();
    }
    if stage == Some(Waited::Fulfil) {
        state.count_prepare(id);
        state.count_commit();
    }
    render(decision, &rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(ids: impl Iterator<Item = String>) -> [f64; 3] {
        let mut n = [0u32; 3];
        let mut total = 0u32;
        for id in ids {
            n[drawn(&id) as usize] += 1;
            total += 1;
        }
        n.map(|k| f64::from(k) / f64::from(total))
    }

    fn assert_mix(s: [f64; 3]) {
        assert!((0.42..0.48).contains(&s[0]), "{s:?}");
        assert!((0.42..0.48).contains(&s[1]), "{s:?}");
        assert!((0.08..0.12).contains(&s[2]), "{s:?}");
    }

    #[test]
    fn random_ids_split_45_45_10() {
        assert_mix(shares(
            (0..20_000).map(|_| uuid::Uuid::new_v4().to_string()),
        ));
    }

    #[test]
    fn sequential_ids_split_45_45_10() {
        assert_mix(shares(
            (0..20_000).map(|i| format!("00000000-0000-4000-8000-{i:012x}")),
        ));
    }

    #[test]
    fn rules_and_manual_mode_cap_the_stage() {
        let fulfil = (0..)
            .map(|i| format!("00000000-0000-4000-8000-{i:012x}"))
            .find(|id| drawn(id) == Waited::Fulfil)
            .unwrap_or_default();
        assert_eq!(stage_for(&fulfil, Rule::Normal, true), Waited::Fulfil);
        assert_eq!(stage_for(&fulfil, Rule::Normal, false), Waited::Party);
        assert_eq!(stage_for(&fulfil, Rule::QuoteRejected, true), Waited::Quote);
        assert_eq!(
            stage_for(&fulfil, Rule::TransferRejected, true),
            Waited::Quote
        );
        assert_eq!(stage_for(&fulfil, Rule::PartyNotFound, true), Waited::Party);
        for rule in Rule::ALL {
            assert!(stage_for(&fulfil, rule, true) <= furthest(rule, true));
        }
    }
}
