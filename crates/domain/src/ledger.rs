//! Ledger arithmetic on an account balance.
//!
//! The database applies the same rules with conditional updates; this module is the reference the
//! database code and its tests are checked against.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::error::LedgerError;
use crate::error::UnknownValue;
use crate::money::Amount;

/// Kind of a ledger journal entry. Serialized as `"CREDIT"`, `"RESERVE"`, `"CONSUME"`, `"RELEASE"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LedgerKind {
    /// Money comes in: `balance += a`.
    Credit,
    /// Money is set aside for a bulk: `reserved += a`, only if `available >= a`.
    Reserve,
    /// A reserved transfer was paid: `balance -= a; reserved -= a`.
    Consume,
    /// A reserved transfer failed: `reserved -= a`.
    Release,
}

impl LedgerKind {
    /// Every kind.
    pub const ALL: [LedgerKind; 4] = [
        LedgerKind::Credit,
        LedgerKind::Reserve,
        LedgerKind::Consume,
        LedgerKind::Release,
    ];

    /// The wire / database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Credit => "CREDIT",
            LedgerKind::Reserve => "RESERVE",
            LedgerKind::Consume => "CONSUME",
            LedgerKind::Release => "RELEASE",
        }
    }

    /// Parses the wire spelling (exact).
    pub fn parse(s: &str) -> Result<LedgerKind, UnknownValue> {
        LedgerKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownValue::new("ledger kind", s))
    }
}

impl fmt::Display for LedgerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LedgerKind {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LedgerKind::parse(s)
    }
}

/// Balance of an account in minor units of its currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountBalance {
    /// Money on the account.
    pub balance: i64,
    /// Part of `balance` set aside for transfers not yet final.
    pub reserved: i64,
}

impl AccountBalance {
    /// What can still be reserved: `balance - reserved`.
    pub fn available(&self) -> i64 {
        self.balance.saturating_sub(self.reserved)
    }

    /// Applies one ledger operation, or explains why it cannot be applied (the balance is unchanged).
    pub fn apply(self, kind: LedgerKind, amount: Amount) -> Result<AccountBalance, LedgerError> {
        let a = amount.minor();
        match kind {
            LedgerKind::Credit => {
                let balance = self.balance.checked_add(a).ok_or(LedgerError::Overflow)?;
                Ok(AccountBalance { balance, ..self })
            }
            LedgerKind::Reserve => {
                let available = self.available();
                if available < a {
                    return Err(LedgerError::InsufficientFunds {
                        available,
                        requested: a,
                    });
                }
                let reserved = self.reserved.checked_add(a).ok_or(LedgerError::Overflow)?;
                Ok(AccountBalance { reserved, ..self })
            }
            LedgerKind::Consume | LedgerKind::Release => {
                if self.reserved < a {
                    return Err(LedgerError::InsufficientReserved {
                        reserved: self.reserved,
                        requested: a,
                    });
                }
                let reserved = self.reserved - a;
                let balance = if kind == LedgerKind::Consume {
                    self.balance.checked_sub(a).ok_or(LedgerError::Overflow)?
                } else {
                    self.balance
                };
                Ok(AccountBalance { balance, reserved })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use proptest::prelude::*;

    use super::*;

    fn amt(m: i64) -> Amount {
        Amount::new(m).unwrap()
    }

    #[test]
    fn reserve_then_consume_and_release() {
        let b = AccountBalance::default()
            .apply(LedgerKind::Credit, amt(1000))
            .unwrap();
        let b = b.apply(LedgerKind::Reserve, amt(700)).unwrap();
        assert_eq!(b.available(), 300);
        assert_eq!(
            b.apply(LedgerKind::Reserve, amt(301)),
            Err(LedgerError::InsufficientFunds {
                available: 300,
                requested: 301
            })
        );
        let b = b.apply(LedgerKind::Consume, amt(500)).unwrap();
        assert_eq!(
            b,
            AccountBalance {
                balance: 500,
                reserved: 200
            }
        );
        let b = b.apply(LedgerKind::Release, amt(200)).unwrap();
        assert_eq!(
            b,
            AccountBalance {
                balance: 500,
                reserved: 0
            }
        );
        let err = b.apply(LedgerKind::Release, amt(1)).unwrap_err();
        assert_eq!(err.code(), "insufficient_reserved");
        let err = b.apply(LedgerKind::Consume, amt(1)).unwrap_err();
        assert_eq!(err.code(), "insufficient_reserved");
    }

    #[test]
    fn credit_overflow() {
        let b = AccountBalance {
            balance: i64::MAX,
            reserved: 0,
        };
        assert_eq!(
            b.apply(LedgerKind::Credit, amt(1)),
            Err(LedgerError::Overflow)
        );
    }

    #[test]
    fn spelling() {
        for k in LedgerKind::ALL {
            assert_eq!(LedgerKind::parse(k.as_str()).unwrap(), k);
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
    }

    proptest! {
        /// Whatever sequence is applied, accepted operations keep `0 <= reserved <= balance`.
        #[test]
        fn invariant_holds(ops in proptest::collection::vec((0usize..4, 1i64..1000), 0..200)) {
            let mut b = AccountBalance::default();
            for (k, a) in ops {
                if let Ok(next) = b.apply(LedgerKind::ALL[k], amt(a)) {
                    b = next;
                }
                prop_assert!(b.reserved >= 0);
                prop_assert!(b.reserved <= b.balance);
            }
        }
    }
}
