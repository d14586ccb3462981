//! Failure rules, chosen by the last four characters of the payee's `to.idValue`.
//!
//! A *transient* rule fails only the first POST of a transferId and lets every later POST of the
//! same id through: the shape of a rail that was briefly unwell, which is what a caller's retry
//! policy has to be tested against.

/// What the simulated adapter and switch do with one transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Everything works.
    Normal,
    /// `…3204`: the party lookup fails, 500 with FSPIOP 3204 "Party not found".
    PartyNotFound,
    /// `…5103`: the payee FSP rejects the quote, 500 with FSPIOP 5103.
    QuoteRejected,
    /// `…5105`: the payee FSP rejects the transfer, 500 with FSPIOP 5105; the switch ABORTS it.
    TransferRejected,
    /// `…0504`: 504 "Timeout resolving payee…" before anything reached the switch's ledger.
    TimeoutBeforeCommit,
    /// `…0505`: the switch COMMITS but the caller gets 504 "Timeout waiting for fulfil…".
    TimeoutAfterCommit,
    /// `…0500`: 500 with an empty body, nothing committed.
    EmptyServerError,
    /// `…0999`: the request is read, then the connection is closed without an answer.
    DropConnection,
    /// `…0777`: the quote carries `payeeFspFee` = the configured fee.
    PayeeFee,
    /// `…0514`: the FIRST POST of a transferId gets 504 "Timeout resolving payee…" (nothing at
    /// the switch); later POSTs of it complete.
    TransientPartyTimeout,
    /// `…0524`: the FIRST POST gets 504 "Timeout requesting quote…" (nothing at the switch);
    /// later POSTs complete.
    TransientQuoteTimeout,
    /// `…0534`: every POST gets 504 "Timeout requesting quote…"; nothing reaches the switch.
    QuoteTimeout,
    /// `…0503`: the FIRST POST gets 500 with FSPIOP 2003 "Service currently unavailable" from
    /// the party lookup; later POSTs complete.
    TransientUnavailable,
    /// `…0998`: the FIRST POST is read and its connection closed without an answer (like
    /// `…0999`); later POSTs complete.
    TransientDrop,
}

impl Rule {
    /// The identifier suffix that selects this rule (`None` for [`Rule::Normal`]).
    pub fn suffix(self) -> Option<&'static str> {
        match self {
            Rule::Normal => None,
            Rule::PartyNotFound => Some("3204"),
            Rule::QuoteRejected => Some("5103"),
            Rule::TransferRejected => Some("5105"),
            Rule::TimeoutBeforeCommit => Some("0504"),
            Rule::TimeoutAfterCommit => Some("0505"),
            Rule::EmptyServerError => Some("0500"),
            Rule::DropConnection => Some("0999"),
            Rule::PayeeFee => Some("0777"),
            Rule::TransientPartyTimeout => Some("0514"),
            Rule::TransientQuoteTimeout => Some("0524"),
            Rule::QuoteTimeout => Some("0534"),
            Rule::TransientUnavailable => Some("0503"),
            Rule::TransientDrop => Some("0998"),
        }
    }

    /// Whether the rule fails only the first POST of a transferId.
    pub fn is_transient(self) -> bool {
        match self {
            Rule::TransientPartyTimeout
            | Rule::TransientQuoteTimeout
            | Rule::TransientUnavailable
            | Rule::TransientDrop => true,
            Rule::Normal
            | Rule::PartyNotFound
            | Rule::QuoteRejected
            | Rule::TransferRejected
            | Rule::TimeoutBeforeCommit
            | Rule::TimeoutAfterCommit
            | Rule::EmptyServerError
            | Rule::DropConnection
            | Rule::PayeeFee
            | Rule::QuoteTimeout => false,
        }
    }

    /// Whether a payee under this rule is never paid (the run's row ends FAILED): the demo tells
    /// its users these numbers.
    pub fn never_pays(self) -> bool {
        match self {
            Rule::PartyNotFound
            | Rule::QuoteRejected
            | Rule::TransferRejected
            | Rule::TimeoutBeforeCommit
            | Rule::EmptyServerError
            | Rule::DropConnection
            | Rule::QuoteTimeout => true,
            Rule::Normal
            | Rule::TimeoutAfterCommit
            | Rule::PayeeFee
            | Rule::TransientPartyTimeout
            | Rule::TransientQuoteTimeout
            | Rule::TransientUnavailable
            | Rule::TransientDrop => false,
        }
    }

    /// The identifier endings of the rules that [never pay](Self::never_pays), sorted.
    pub fn failing_suffixes() -> Vec<&'static str> {
        let mut v: Vec<&str> = Rule::ALL
            .into_iter()
            .filter(|r| r.never_pays())
            .filter_map(Rule::suffix)
            .collect();
        v.sort_unstable();
        v
    }

    /// The rule that applies to the `nth` POST (1-based) of a transferId: a transient rule on
    /// any POST but the first is [`Rule::Normal`]; every other rule applies to every POST.
    pub fn on_post(self, nth: u32) -> Rule {
        if self.is_transient() && nth > 1 {
            Rule::Normal
        } else {
            self
        }
    }

    /// Every rule, [`Rule::Normal`] first.
    pub const ALL: [Rule; 14] = [
        Rule::Normal,
        Rule::PartyNotFound,
        Rule::QuoteRejected,
        Rule::TransferRejected,
        Rule::TimeoutBeforeCommit,
        Rule::TimeoutAfterCommit,
        Rule::EmptyServerError,
        Rule::DropConnection,
        Rule::PayeeFee,
        Rule::TransientPartyTimeout,
        Rule::TransientQuoteTimeout,
        Rule::QuoteTimeout,
        Rule::TransientUnavailable,
        Rule::TransientDrop,
    ];
}

/// The rule for a payee identifier: its last four characters, else [`Rule::Normal`].
pub fn rule_for(id_value: &str) -> Rule {
    let Some(start) = id_value.len().checked_sub(4) else {
        return Rule::Normal;
    };
    let Some(tail) = id_value.get(start..) else {
        return Rule::Normal;
    };
    Rule::ALL
        .into_iter()
        .find(|r| r.suffix() == Some(tail))
        .unwrap_or(Rule::Normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_numbers_never_paid_are_the_final_failures() {
        assert_eq!(
            Rule::failing_suffixes(),
            ["0500", "0504", "0534", "0999", "3204", "5103", "5105"]
        );
    }

    #[test]
    fn suffixes_select_rules() {
        assert_eq!(rule_for("22890123204"), Rule::PartyNotFound);
        assert_eq!(rule_for("22890125103"), Rule::QuoteRejected);
        assert_eq!(rule_for("22890125105"), Rule::TransferRejected);
        assert_eq!(rule_for("22890120504"), Rule::TimeoutBeforeCommit);
        assert_eq!(rule_for("22890120505"), Rule::TimeoutAfterCommit);
        assert_eq!(rule_for("22890120500"), Rule::EmptyServerError);
        assert_eq!(rule_for("22890120999"), Rule::DropConnection);
        assert_eq!(rule_for("22890120777"), Rule::PayeeFee);
        assert_eq!(rule_for("22890120514"), Rule::TransientPartyTimeout);
        assert_eq!(rule_for("22890120524"), Rule::TransientQuoteTimeout);
        assert_eq!(rule_for("22890120534"), Rule::QuoteTimeout);
        assert_eq!(rule_for("22890120503"), Rule::TransientUnavailable);
        assert_eq!(rule_for("22890120998"), Rule::TransientDrop);
    }

    #[test]
    fn transient_rules_fail_the_first_post_only() {
        for rule in Rule::ALL {
            assert_eq!(rule.on_post(1), rule, "{rule:?}");
            let later = if rule.is_transient() {
                Rule::Normal
            } else {
                rule
            };
            assert_eq!(rule.on_post(2), later, "{rule:?}");
            assert_eq!(rule.on_post(7), later, "{rule:?}");
        }
        let transient: Vec<_> = Rule::ALL.into_iter().filter(|r| r.is_transient()).collect();
        assert_eq!(
            transient,
            [
                Rule::TransientPartyTimeout,
                Rule::TransientQuoteTimeout,
                Rule::TransientUnavailable,
                Rule::TransientDrop
            ]
        );
        assert!(!Rule::QuoteTimeout.is_transient(), "0534 is permanent");
        assert!(
            !Rule::TimeoutBeforeCommit.is_transient(),
            "0504 stays permanent"
        );
    }

    #[test]
    fn exactly_four_characters_match() {
        assert_eq!(rule_for("3204"), Rule::PartyNotFound);
        assert_eq!(rule_for("204"), Rule::Normal);
        assert_eq!(rule_for(""), Rule::Normal);
        assert_eq!(rule_for("27720000001"), Rule::Normal);
        assert_eq!(rule_for("2289012320"), Rule::Normal);
        assert_eq!(rule_for("32040"), Rule::Normal);
    }

    #[test]
    fn multibyte_identifiers_do_not_panic() {
        assert_eq!(rule_for("ééé"), Rule::Normal);
        assert_eq!(rule_for("é3204"), Rule::PartyNotFound);
        assert_eq!(rule_for("3204é"), Rule::Normal);
    }

    #[test]
    fn every_rule_but_normal_has_a_distinct_suffix() {
        let mut suffixes: Vec<_> = Rule::ALL.iter().filter_map(|r| r.suffix()).collect();
        suffixes.sort_unstable();
        suffixes.dedup();
        assert_eq!(suffixes.len(), Rule::ALL.len() - 1);
        for rule in Rule::ALL {
            if let Some(s) = rule.suffix() {
                assert_eq!(rule_for(&format!("2289012{s}")), rule);
            }
        }
    }
}
