//! The adapter's schema checks, with its (ajv) messages. A refusal is a 400
//! `{"message": …, "statusCode": 400}` — `statusCode` a NUMBER here, unlike every other error.

use crate::model::{PartyIn, PostBody, Transfer};

/// The `Amount` pattern, quoted in the 400 message exactly as the adapter does.
pub const AMOUNT_PATTERN: &str = r"^([0]|([1-9][0-9]{0,17}))([.][0-9]{0,3}[1-9])?$";
/// The `CorrelationId` pattern of `{transferId}` in paths.
pub const CORRELATION_ID_PATTERN: &str =
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

const PARTY_ID_TYPES: [&str; 10] = [
    "MSISDN",
    "EMAIL",
    "PERSONAL_ID",
    "BUSINESS",
    "DEVICE",
    "ACCOUNT_ID",
    "IBAN",
    "ALIAS",
    "CONSENT",
    "THIRD_PARTY_LINK",
];
const ENUM_MESSAGE: &str = "must be equal to one of the allowed values";

/// `^([0]|([1-9][0-9]{0,17}))([.][0-9]{0,3}[1-9])?$`, without a regex engine.
pub fn is_canonical_amount(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let int_ok = int == "0"
        || (matches!(int.as_bytes().first(), Some(b'1'..=b'9')) && int.len() <= 18 && digits(int));
    let frac_ok = match frac {
        None => true,
        Some(f) => (1..=4).contains(&f.len()) && digits(f) && !f.ends_with('0'),
    };
    int_ok && frac_ok
}

/// The `CorrelationId` pattern (lower-case UUID, version 1–5).
pub fn is_correlation_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    let hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    b.iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        14 => (b'1'..=b'5').contains(&c),
        19 => matches!(c, b'8' | b'9' | b'a' | b'b'),
        _ => hex(c),
    })
}

/// The 400 message for a path id that is not a `CorrelationId`.
pub fn correlation_id_message() -> String {
    format!("must match pattern \"{CORRELATION_ID_PATTERN}\"")
}

fn required(name: &str) -> String {
    format!("must have required property '{name}'")
}

fn length(value: &str, min: usize, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n < min {
        return Err(format!("must NOT have fewer than {min} characters"));
    }
    if n > max {
        return Err(format!("must NOT have more than {max} characters"));
    }
    Ok(())
}

fn party(p: Option<PartyIn>, name: &str) -> Result<PartyIn, String> {
    let p = p.ok_or_else(|| required(name))?;
    let id_type = p.id_type.as_deref().ok_or_else(|| required("idType"))?;
    let id_value = p.id_value.as_deref().ok_or_else(|| required("idValue"))?;
    if !PARTY_ID_TYPES.contains(&id_type) {
        return Err(ENUM_MESSAGE.to_string());
    }
    length(id_value, 1, 128)?;
    Ok(p)
}

/// Checks `{Type}` and `{ID}` of `GET /parties/{Type}/{ID}`: a Mojaloop party id type (the
/// eight the gateway uses) and a `PartyIdentifier` (1 to 128 characters).
pub(crate) fn validate_party_path(id_type: &str, id_value: &str) -> Result<(), String> {
    if !crate::registry::PARTY_ID_TYPES.contains(&id_type) {
        return Err(ENUM_MESSAGE.to_string());
    }
    length(id_value, 1, 128)
}

/// Checks a `POST /transfers` body the way the adapter's schema does; the first failure wins.
pub(crate) fn validate(body: PostBody) -> Result<Transfer, String> {
    let home_transaction_id = body
        .home_transaction_id
        .ok_or_else(|| required("homeTransactionId"))?;
    let from = body.from.ok_or_else(|| required("from"));
    let to = body.to.ok_or_else(|| required("to"));
    let (from, to) = (from?, to?);
    let amount_type = body.amount_type.ok_or_else(|| required("amountType"))?;
    let currency = body.currency.ok_or_else(|| required("currency"))?;
    let amount = body.amount.ok_or_else(|| required("amount"))?;
    let transaction_type = body
        .transaction_type
        .ok_or_else(|| required("transactionType"))?;
    let from = party(Some(from), "from")?;
    let to = party(Some(to), "to")?;
    if !matches!(amount_type.as_str(), "SEND" | "RECEIVE") {
        return Err(ENUM_MESSAGE.to_string());
    }
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ENUM_MESSAGE.to_string());
    }
    if !is_canonical_amount(&amount) {
        return Err(format!("must match pattern \"{AMOUNT_PATTERN}\""));
    }
    if transaction_type != "TRANSFER" {
        return Err(ENUM_MESSAGE.to_string());
    }
    if let Some(note) = &body.note {
        length(note, 1, 128)?;
    }
    Ok(Transfer {
        home_transaction_id,
        from,
        to,
        amount_type,
        currency,
        amount,
        transaction_type,
        note: body.note,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn amount_pattern_matches_the_adapter() {
        for ok in [
            "0",
            "1",
            "10",
            "10.5",
            "10.05",
            "0.0001",
            "123456789012345678",
            "1.2345",
        ] {
            assert!(is_canonical_amount(ok), "{ok}");
        }
        for bad in [
            "",
            "10.50",
            "10.",
            ".5",
            "01",
            "00",
            "-1",
            "1.23456",
            "1234567890123456789",
            "1e3",
            "1,5",
            "0.0",
            "10.0",
            " 1",
        ] {
            assert!(!is_canonical_amount(bad), "{bad}");
        }
    }

    #[test]
    fn correlation_ids() {
        assert!(is_correlation_id("9335b732-314d-495b-83af-84d691f34887"));
        assert!(is_correlation_id("99999999-0000-4000-8000-000000000000"));
        assert!(!is_correlation_id("9335B732-314D-495B-83AF-84D691F34887"));
        assert!(!is_correlation_id("9335b732-314d-095b-83af-84d691f34887"));
        assert!(!is_correlation_id("9335b732-314d-495b-c3af-84d691f34887"));
        assert!(!is_correlation_id("t-1"));
    }

    fn body(json: &str) -> PostBody {
        serde_json::from_str(json).unwrap()
    }

    const GOOD: &str = r#"{"homeTransactionId":"h","from":{"idType":"MSISDN","idValue":"1"},
        "to":{"idType":"MSISDN","idValue":"2"},"amountType":"SEND","currency":"USD",
        "amount":"10.5","transactionType":"TRANSFER","note":"n"}"#;

    #[test]
    fn accepts_a_good_body() {
        let t = validate(body(GOOD)).unwrap();
        assert_eq!(t.amount, "10.5");
        assert_eq!(t.to.id_value(), "2");
    }

    #[test]
    fn names_the_missing_property() {
        let mut v: serde_json::Value = serde_json::from_str(GOOD).unwrap();
        v.as_object_mut().unwrap().remove("amount");
        let err = validate(serde_json::from_value(v).unwrap()).unwrap_err();
        assert_eq!(err, "must have required property 'amount'");
        let mut v: serde_json::Value = serde_json::from_str(GOOD).unwrap();
        v["to"].as_object_mut().unwrap().remove("idValue");
        let err = validate(serde_json::from_value(v).unwrap()).unwrap_err();
        assert_eq!(err, "must have required property 'idValue'");
    }

    #[test]
    fn refuses_trailing_zeros_like_the_adapter() {
        let err = validate(body(&GOOD.replace("10.5", "10.50"))).unwrap_err();
        assert_eq!(
            err,
            r#"must match pattern "^([0]|([1-9][0-9]{0,17}))([.][0-9]{0,3}[1-9])?$""#
        );
    }

    #[test]
    fn party_paths() {
        assert_eq!(validate_party_path("MSISDN", "22890000001"), Ok(()));
        assert_eq!(validate_party_path("ALIAS", "x"), Ok(()));
        assert_eq!(
            validate_party_path("msisdn", "1").unwrap_err(),
            ENUM_MESSAGE
        );
        assert_eq!(
            validate_party_path("CONSENT", "1").unwrap_err(),
            ENUM_MESSAGE
        );
        assert_eq!(
            validate_party_path("EMAIL", &"a".repeat(129)).unwrap_err(),
            "must NOT have more than 128 characters"
        );
    }

    #[test]
    fn refuses_enums() {
        assert_eq!(
            validate(body(&GOOD.replace("\"SEND\"", "\"GIVE\""))).unwrap_err(),
            ENUM_MESSAGE
        );
        assert_eq!(
            validate(body(&GOOD.replace("\"TRANSFER\"", "\"PAYMENT\""))).unwrap_err(),
            ENUM_MESSAGE
        );
        assert_eq!(
            validate(body(&GOOD.replace("\"USD\"", "\"usd\""))).unwrap_err(),
            ENUM_MESSAGE
        );
    }
}
