//! Who the switch says holds an identifier: the registry first, else the identifier's suffix rule.
//!
//! One resolver serves `GET /parties/{Type}/{ID}` and the party lookup inside `POST /transfers`,
//! so a party changed with `PUT /__sim/parties` between a verification and the payment shows up
//! in both. The transfer's own outcome (timeouts, rejections, commits) stays with its rule.

use crate::fspiop::{FAIL_FSP, PAYEE_FSP};
use crate::registry::{Party, PartyRegistry};
use crate::rules::{Rule, rule_for};
use crate::state::SimState;
use std::sync::{Arc, LazyLock};

/// The name of every identifier the registry does not know (the captures' payee).
static DEFAULT_PARTY: LazyLock<Arc<Party>> = LazyLock::new(|| default_party(PAYEE_FSP));
/// The same payee at the FSP of the `…5105` rule, as in its capture.
static FAIL_PARTY: LazyLock<Arc<Party>> = LazyLock::new(|| default_party(FAIL_FSP));

fn default_party(fsp: &str) -> Arc<Party> {
    Arc::new(Party {
        fsp_id: fsp.to_string(),
        first_name: "Test".to_string(),
        last_name: "Payee".to_string(),
        date_of_birth: Some("1980-01-01".to_string()),
    })
}

/// What the switch answered a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolution {
    Found(Arc<Party>),
    /// An FSPIOP error callback (3204): the adapter answers 200 with an empty party body.
    NotFound,
    /// No callback within the adapter's party timeout.
    Timeout,
}

/// `GET /parties/{id_type}/{id_value}`: registry, else the suffix rule. The `…0514` rule times
/// out the first GET of an identifier only, so this counts that identifier's GETs.
pub(crate) fn resolve(state: &SimState, id_type: &str, id_value: &str) -> Resolution {
    if let Some(party) = state.parties().party(id_type, id_value) {
        return Resolution::Found(party);
    }
    match rule_for(id_value) {
        Rule::PartyNotFound => Resolution::NotFound,
        Rule::TimeoutBeforeCommit | Rule::QuoteTimeout => Resolution::Timeout,
        Rule::TransientPartyTimeout if state.count_transient_lookup(id_type, id_value) == 1 => {
            Resolution::Timeout
        }
        Rule::TransferRejected => Resolution::Found(FAIL_PARTY.clone()),
        Rule::TransientPartyTimeout
        | Rule::Normal
        | Rule::QuoteRejected
        | Rule::TimeoutAfterCommit
        | Rule::EmptyServerError
        | Rule::DropConnection
        | Rule::PayeeFee
        | Rule::TransientQuoteTimeout
        | Rule::TransientUnavailable
        | Rule::TransientDrop => Resolution::Found(DEFAULT_PARTY.clone()),
    }
}

/// The party a transfer's lookup finds once its rule let it find one: the registry's, else the
/// default payee (at `failfsp` under the `…5105` rule).
pub(crate) fn party_for_transfer(
    registry: &PartyRegistry,
    id_type: &str,
    id_value: &str,
    rule: Rule,
) -> Arc<Party> {
    registry.party(id_type, id_value).unwrap_or_else(|| {
        if rule == Rule::TransferRejected {
            FAIL_PARTY.clone()
        } else {
            DEFAULT_PARTY.clone()
        }
    })
}
