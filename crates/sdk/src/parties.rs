//! `GET /parties/{Type}/{ID}`: who holds an identifier at the switch, and under which name.
//!
//! What the real adapter answers (captures `get-parties*.txt`): 200 with `party.body` carrying
//! `partyIdInfo.fspId`, `name` and `personalInfo` when found; 200 with an **empty** `party.body`
//! when nobody holds the identifier; 500 `{"message": "Timeout"}` when the hub never answered. A
//! body carrying `errorInformation` (the switch's error callback) is a not-found for the 3xxx party
//! errors and an error for the rest.

use serde::Deserialize;

use crate::classify::error_chain;
use crate::client::SdkClient;
use crate::observe::Operation;

/// The party a switch returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyInfo {
    /// The provider holding the identifier.
    pub fsp_id: Option<String>,
    /// Display name (`name`).
    pub name: Option<String>,
    /// `personalInfo.complexName.firstName`.
    pub first_name: Option<String>,
    /// `personalInfo.complexName.middleName`.
    pub middle_name: Option<String>,
    /// `personalInfo.complexName.lastName`.
    pub last_name: Option<String>,
    /// `personalInfo.dateOfBirth`, as written.
    pub date_of_birth: Option<String>,
}

/// What a party lookup said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartyLookup {
    /// Someone holds the identifier.
    Found(PartyInfo),
    /// The switch answered that nobody does (`detail` says how).
    NotFound {
        /// What the answer was.
        detail: String,
    },
    /// No usable answer: look again later.
    Error {
        /// Why.
        reason: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    party: Option<Envelope>,
    message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Envelope {
    #[serde(default)]
    body: Body,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    party_id_info: Option<IdInfo>,
    name: Option<String>,
    personal_info: Option<PersonalInfo>,
    error_information: Option<ErrorInformation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdInfo {
    fsp_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersonalInfo {
    complex_name: Option<ComplexName>,
    date_of_birth: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ComplexName {
    first_name: Option<String>,
    middle_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorInformation {
    error_code: Option<String>,
    error_description: Option<String>,
}

/// Classifies an answer to `GET /parties/…` (pure: tested on the captures).
pub fn classify_party(status: u16, body: &[u8]) -> PartyLookup {
    let parsed: Result<Answer, _> = serde_json::from_slice(body);
    if !(200..300).contains(&status) {
        let message = parsed.ok().and_then(|a| a.message);
        // The adapter's own 400 (its schema refusing the identifier, with a JSON message): looking
        // again will not help. Any other status — a 404 or 401 from a wrong URL or a proxy, a
        // 5xx — says nothing about the payee.
        if let (400, Some(m)) = (status, &message) {
            return PartyLookup::NotFound {
                detail: format!("adapter refused the lookup: HTTP 400 {m}"),
            };
        }
        let text =
            message.unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
        return PartyLookup::Error {
            reason: format!("HTTP {status} {text}"),
        };
    }
    let Ok(answer) = parsed else {
        return PartyLookup::Error {
            reason: format!("HTTP {status} with a body that is not the adapter's JSON"),
        };
    };
    let body = answer.party.unwrap_or_default().body;
    if let Some(err) = body.error_information {
        let code = err.error_code.unwrap_or_default();
        let text = format!("{code} {}", err.error_description.unwrap_or_default());
        // 32xx are the party errors (3204 party not found, 3201–3203 unknown FSP); the other
        // codes (timeouts, generic or server errors) are worth another lookup.
        return if code.starts_with("32") {
            PartyLookup::NotFound { detail: text }
        } else {
            PartyLookup::Error { reason: text }
        };
    }
    let Some(id) = body.party_id_info else {
        return PartyLookup::NotFound {
            detail: "the switch knows no party for this identifier".to_string(),
        };
    };
    let info = body.personal_info.unwrap_or_default();
    let names = info.complex_name.unwrap_or_default();
    PartyLookup::Found(PartyInfo {
        fsp_id: id.fsp_id,
        name: body.name,
        first_name: names.first_name,
        middle_name: names.middle_name,
        last_name: names.last_name,
        date_of_birth: info.date_of_birth,
    })
}

impl SdkClient {
    /// `GET /parties/{id_type}/{id_value}`.
    pub async fn get_party(&self, id_type: &str, id_value: &str) -> PartyLookup {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .push("parties")
                .push(id_type)
                .push(id_value);
        }
        let call = self.party(self.http.get(url));
        self.observe.time(Operation::Parties, call).await
    }

    async fn party(&self, request: reqwest::RequestBuilder) -> PartyLookup {
        let resp = match request.send().await {
            Ok(resp) => resp,
            Err(e) => {
                return PartyLookup::Error {
                    reason: error_chain(&e),
                };
            }
        };
        let status = resp.status().as_u16();
        match resp.bytes().await {
            Ok(body) => classify_party(status, &body),
            Err(e) => PartyLookup::Error {
                reason: format!("HTTP {status}, body lost: {}", error_chain(&e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// The JSON bodies of the captures `get-parties*.txt` (copied into the sdk's fixtures).
    const FOUND: &str = include_str!("../tests/fixtures/get-parties.json");
    const NOT_FOUND: &str = include_str!("../tests/fixtures/get-parties-not-found.json");
    const TIMEOUT: &str = include_str!("../tests/fixtures/get-parties-timeout.json");

    #[test]
    fn found_capture() {
        let PartyLookup::Found(p) = classify_party(200, FOUND.as_bytes()) else {
            panic!("expected found");
        };
        assert_eq!(p.fsp_id.as_deref(), Some("payeefsp"));
        assert_eq!(p.name.as_deref(), Some("Test Payee"));
        assert_eq!(p.first_name.as_deref(), Some("Test"));
        assert_eq!(p.last_name.as_deref(), Some("Payee"));
        assert_eq!(p.middle_name, None);
        assert_eq!(p.date_of_birth.as_deref(), Some("1980-01-01"));
    }

    #[test]
    fn not_found_capture_is_an_empty_body() {
        assert!(matches!(
            classify_party(200, NOT_FOUND.as_bytes()),
            PartyLookup::NotFound { .. }
        ));
    }

    #[test]
    fn timeout_capture_is_an_error() {
        let PartyLookup::Error { reason } = classify_party(500, TIMEOUT.as_bytes()) else {
            panic!("expected error");
        };
        assert!(reason.contains("Timeout"), "{reason}");
    }

    #[test]
    fn other_answers() {
        let err = br#"{"party":{"body":{"errorInformation":{"errorCode":"3204","errorDescription":"Party not found"}}}}"#;
        assert!(matches!(
            classify_party(200, err),
            PartyLookup::NotFound { .. }
        ));
        let busy = br#"{"party":{"body":{"errorInformation":{"errorCode":"2003","errorDescription":"Service currently unavailable"}}}}"#;
        assert!(matches!(
            classify_party(200, busy),
            PartyLookup::Error { .. }
        ));
        assert!(matches!(
            classify_party(200, b"<html>"),
            PartyLookup::Error { .. }
        ));
        assert!(matches!(
            classify_party(502, b""),
            PartyLookup::Error { .. }
        ));
        let bad = br#"{"message":"request.params.Type should be equal to one of the allowed values","statusCode":400}"#;
        assert!(matches!(
            classify_party(400, bad),
            PartyLookup::NotFound { .. }
        ));
    }
}
