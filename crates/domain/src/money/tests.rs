#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

fn usd(minor: i64) -> String {
    Amount::new(minor).unwrap().to_mojaloop(Currency::USD)
}

#[test]
fn new_refuses_zero_and_negative() {
    assert_eq!(Amount::new(0), Err(MoneyError::Zero));
    assert_eq!(Amount::new(-1), Err(MoneyError::Negative));
    assert_eq!(Amount::new(1).unwrap().minor(), 1);
}

#[test]
fn mojaloop_format_examples() {
    assert_eq!(
        Amount::new(10000).unwrap().to_mojaloop(Currency::XOF),
        "10000"
    );
    assert_eq!(usd(12345), "123.45");
    assert_eq!(usd(100), "1");
    assert_eq!(usd(150), "1.5");
    assert_eq!(usd(1), "0.01");
    assert_eq!(usd(10), "0.1");
    assert_eq!(usd(i64::MAX), "92233720368547758.07");
}

#[test]
fn mojaloop_parse_examples() {
    let p = |s| Amount::from_mojaloop(s, Currency::USD).map(Amount::minor);
    assert_eq!(p("123.45"), Ok(12345));
    assert_eq!(p("1"), Ok(100));
    assert_eq!(p("1.5"), Ok(150));
    assert_eq!(p("1.50"), Ok(150));
    assert_eq!(p("0.01"), Ok(1));
    assert_eq!(p("1.505"), Err(MoneyError::HasDecimals));
    assert_eq!(p("0"), Err(MoneyError::Zero));
    assert_eq!(p("-1"), Err(MoneyError::Negative));
    for bad in [
        "+1", " 1", "1 ", "1e3", "1.", ".5", "1.2.3", "abc", "0x10", "١٠٠",
    ] {
        assert_eq!(p(bad), Err(MoneyError::NotANumber), "{bad:?}");
    }
    assert_eq!(p(""), Err(MoneyError::Empty));
    assert_eq!(p("92233720368547758.08"), Err(MoneyError::TooLarge));
    let xof = |s| Amount::from_mojaloop(s, Currency::XOF).map(Amount::minor);
    assert_eq!(xof("10000"), Ok(10000));
    assert_eq!(xof("10000.5"), Err(MoneyError::HasDecimals));
}

#[test]
fn parse_minor_accepts_plain_digits() {
    assert_eq!(Amount::parse_minor("10000").unwrap().minor(), 10000);
    assert_eq!(Amount::parse_minor(" 100 ").unwrap().minor(), 100);
    assert_eq!(Amount::parse_minor("007").unwrap().minor(), 7);
    assert_eq!(
        Amount::parse_minor("9223372036854775807").unwrap().minor(),
        i64::MAX
    );
}

#[test]
fn parse_minor_hostile_values() {
    let cases = [
        ("-5000", MoneyError::Negative),
        ("-0", MoneyError::Zero),
        ("0", MoneyError::Zero),
        ("000", MoneyError::Zero),
        ("100.50", MoneyError::HasDecimals),
        ("100,50", MoneyError::HasDecimals),
        ("100.", MoneyError::HasDecimals),
        ("abc", MoneyError::NotANumber),
        ("+100", MoneyError::NotANumber),
        ("1e3", MoneyError::NotANumber),
        ("0x10", MoneyError::NotANumber),
        ("100 000", MoneyError::NotANumber),
        ("١٠٠", MoneyError::NotANumber),
        ("１００", MoneyError::NotANumber),
        ("--5", MoneyError::NotANumber),
        ("9223372036854775808", MoneyError::TooLarge),
        ("99999999999999999999999", MoneyError::TooLarge),
        ("", MoneyError::Empty),
        ("   ", MoneyError::Empty),
    ];
    for (input, expected) in cases {
        assert_eq!(Amount::parse_minor(input), Err(expected), "{input:?}");
    }
}

#[test]
fn error_codes() {
    assert_eq!(MoneyError::Negative.code(), "amount_not_positive");
    assert_eq!(MoneyError::Zero.code(), "amount_not_positive");
    assert_eq!(MoneyError::HasDecimals.code(), "amount_has_decimals");
    assert_eq!(MoneyError::NotANumber.code(), "amount_not_integer");
    assert_eq!(MoneyError::TooLarge.code(), "amount_too_large");
    assert_eq!(MoneyError::Overflow.code(), "amount_overflow");
}

#[test]
fn sums_are_checked() {
    let a = |m| Amount::new(m).unwrap();
    assert_eq!(Amount::sum([a(1), a(2), a(3)]).unwrap().minor(), 6);
    assert_eq!(Amount::sum(Vec::new()), Err(MoneyError::EmptySum));
    assert_eq!(Amount::sum([a(i64::MAX), a(1)]), Err(MoneyError::Overflow));
    assert_eq!(a(i64::MAX).checked_add(a(1)), None);
}

#[test]
fn serde_as_integer() {
    let a = Amount::new(42).unwrap();
    assert_eq!(serde_json::to_string(&a).unwrap(), "42");
    assert_eq!(serde_json::from_str::<Amount>("42").unwrap(), a);
    assert!(serde_json::from_str::<Amount>("0").is_err());
    assert!(serde_json::from_str::<Amount>("-3").is_err());
}

proptest! {
    #[test]
    fn mojaloop_round_trip(minor in 1_i64..=i64::MAX, idx in 0usize..Currency::ALL.len()) {
        let currency = Currency::ALL[idx];
        let amount = Amount::new(minor).unwrap();
        let text = amount.to_mojaloop(currency);
        prop_assert!(!text.ends_with('.'));
        if text.contains('.') {
            prop_assert!(!text.ends_with('0'));
        }
        prop_assert_eq!(Amount::from_mojaloop(&text, currency), Ok(amount));
    }

    #[test]
    fn mojaloop_round_trip_small(minor in 1_i64..1_000_000) {
        for currency in Currency::ALL {
            let amount = Amount::new(minor).unwrap();
            prop_assert_eq!(Amount::from_mojaloop(&amount.to_mojaloop(currency), currency), Ok(amount));
        }
    }

    #[test]
    fn parse_minor_round_trip(minor in 1_i64..=i64::MAX) {
        prop_assert_eq!(Amount::parse_minor(&minor.to_string()).map(Amount::minor), Ok(minor));
    }

    #[test]
    fn parse_minor_never_panics(s in "\\PC*") {
        let _ = Amount::parse_minor(&s);
    }
}
