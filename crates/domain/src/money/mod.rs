//! Money: currencies and strictly positive amounts in minor units.
//!
//! Amounts are integers of minor units everywhere inside the system (10,000 XOF is `10000`, 123.45 USD
//! is `12345`). Only at the Mojaloop boundary are they written as decimal strings, with
//! [`Amount::to_mojaloop`] and [`Amount::from_mojaloop`], which are exact inverses.

mod currency;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::error::MoneyError;
pub use currency::Currency;

/// A strictly positive number of minor units of some currency.
///
/// The currency is carried next to the amount (a file, a bulk and an account each have one currency),
/// so it is not repeated here. Serialized as a bare integer; deserializing refuses `<= 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Amount(i64);

impl Amount {
    /// Wraps a number of minor units; zero and negative values are refused.
    pub fn new(minor: i64) -> Result<Amount, MoneyError> {
        match minor {
            m if m > 0 => Ok(Amount(m)),
            0 => Err(MoneyError::Zero),
            _ => Err(MoneyError::Negative),
        }
    }

    /// The number of minor units.
    pub fn minor(self) -> i64 {
        self.0
    }

    /// Sum of two amounts, `None` on overflow.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// Overflow-checked sum; an empty input is an error (there is no zero `Amount`).
    pub fn sum<I: IntoIterator<Item = Amount>>(it: I) -> Result<Amount, MoneyError> {
        let mut iter = it.into_iter();
        let first = iter.next().ok_or(MoneyError::EmptySum)?;
        iter.try_fold(first, |acc, a| {
            acc.checked_add(a).ok_or(MoneyError::Overflow)
        })
    }

    /// Decimal string for the Mojaloop API: major units, no trailing zeros, never a trailing `.`.
    ///
    /// `10000` XOF → `"10000"`, `12345` USD → `"123.45"`, `100` USD → `"1"`, `150` USD → `"1.5"`.
    pub fn to_mojaloop(self, currency: Currency) -> String {
        let exp = currency.exponent();
        if exp == 0 {
            return self.0.to_string();
        }
        let div = 10_i64.pow(exp);
        let (int, frac) = (self.0 / div, self.0 % div);
        if frac == 0 {
            return int.to_string();
        }
        let width = exp as usize;
        let text = format!("{int}.{frac:0width$}");
        text.trim_end_matches('0').to_owned()
    }

    /// Parses a Mojaloop decimal string back into minor units; the exact inverse of
    /// [`Amount::to_mojaloop`].
    ///
    /// Accepts `digits` or `digits.digits` with at most `currency.exponent()` decimals (trailing zeros
    /// within that limit are accepted: `"1.50"` USD is 150). Refuses signs, spaces, exponents, an empty
    /// string, a bare `.` at either end, and zero.
    pub fn from_mojaloop(s: &str, currency: Currency) -> Result<Amount, MoneyError> {
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        if let Some(rest) = int.strip_prefix('-')
            && is_ascii_digits(rest)
            && frac.is_none_or(is_ascii_digits)
        {
            return Err(MoneyError::Negative);
        }
        if !is_ascii_digits(int) || frac.is_some_and(|f| !is_ascii_digits(f)) {
            return Err(MoneyError::NotANumber);
        }
        let frac = frac.unwrap_or("");
        let exp = currency.exponent() as usize;
        if frac.len() > exp {
            return Err(MoneyError::HasDecimals);
        }
        let mut minor = digits_to_i64(int)?;
        for i in 0..exp {
            let digit = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(digit))
                .ok_or(MoneyError::TooLarge)?;
        }
        Amount::new(minor)
    }

    /// Strict parser for the integer minor-unit amount of a CSV cell.
    ///
    /// Surrounding ASCII spaces and tabs are trimmed; what is left must be ASCII digits only (leading
    /// zeros allowed), fit in an i64 and be greater than zero. The error tells the uploader what is wrong:
    /// [`MoneyError::Negative`]/[`MoneyError::Zero`] (`-5`, `0`, `-0`), [`MoneyError::HasDecimals`]
    /// (`100.50`, or `100,50` as a French spreadsheet writes it), [`MoneyError::TooLarge`] (past
    /// `i64::MAX`), and [`MoneyError::NotANumber`] for anything else (`abc`, `+5`, `1e3`, `0x10`,
    /// `100 000`, non-ASCII digits such as `١٠٠`).
    pub fn parse_minor(s: &str) -> Result<Amount, MoneyError> {
        let t = s.trim_matches([' ', '\t']);
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (int, frac) = match body.split_once(['.', ',']) {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        if !is_ascii_digits(int) || frac.is_some_and(|f| !f.bytes().all(|b| b.is_ascii_digit())) {
            return Err(MoneyError::NotANumber);
        }
        let all_zero = int
            .bytes()
            .chain(frac.unwrap_or("").bytes())
            .all(|b| b == b'0');
        if negative {
            return Err(if all_zero {
                MoneyError::Zero
            } else {
                MoneyError::Negative
            });
        }
        if frac.is_some() {
            return Err(MoneyError::HasDecimals);
        }
        Amount::new(digits_to_i64(int)?)
    }
}

/// Non-empty and only ASCII digits.
fn is_ascii_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Converts a string of ASCII digits (checked by the caller) to an i64, refusing overflow.
fn digits_to_i64(digits: &str) -> Result<i64, MoneyError> {
    digits.bytes().try_fold(0_i64, |acc, b| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(MoneyError::TooLarge)
    })
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl TryFrom<i64> for Amount {
    type Error = MoneyError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Amount::new(value)
    }
}

impl From<Amount> for i64 {
    fn from(value: Amount) -> Self {
        value.0
    }
}
