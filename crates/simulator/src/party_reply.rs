//! The adapter's answers to `GET /parties/{Type}/{ID}` (captures `get-parties*`): 200 with the
//! switch's callback under `party` whether it found the party or not, 500 `Timeout` when no
//! callback came.

use crate::fspiop::{
    CallbackHeaders, ErrorCallbackBody, ErrorInformationOut, PAYEE_FSP, PayeeParty, Resource,
    json_len,
};
use crate::registry::Party;
use crate::render::Empty;
use crate::reply::{PARTY_NOT_FOUND, Reply, json};
use chrono::Utc;
use serde::Serialize;

/// `{"party": {"body", "headers"}, "currentState": "COMPLETED"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartiesAnswer<'a, B: Serialize> {
    party: PartyCallback<'a, B>,
    /// `COMPLETED` as soon as the switch answered, whatever it answered.
    current_state: &'static str,
}

/// The callback as the adapter keeps it: body first, then headers.
#[derive(Serialize)]
struct PartyCallback<'a, B: Serialize> {
    body: B,
    headers: CallbackHeaders<'a>,
}

/// `{"message": "Timeout", "requestPartiesInformationState": {}, "statusCode": "500"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TimeoutAnswer {
    message: &'static str,
    request_parties_information_state: Empty,
    status_code: &'static str,
}

/// 200: the party as the switch has it. `seed` makes the callback's `traceparent`.
pub(crate) fn found(id_type: &str, id_value: &str, party: &Party, seed: &str) -> Reply {
    let body = PayeeParty::new(id_type, id_value, party);
    // The callback's own body is `{"party": …}`; the adapter unwraps it.
    #[derive(Serialize)]
    struct Callback<'b, 'a> {
        party: &'b PayeeParty<'a>,
    }
    let length = json_len(&Callback { party: &body });
    json(
        200,
        &PartiesAnswer {
            party: PartyCallback {
                headers: CallbackHeaders::new(
                    Resource::Parties,
                    Utc::now(),
                    &party.fsp_id,
                    length,
                    seed,
                ),
                body,
            },
            current_state: "COMPLETED",
        },
    )
}

/// 200 with an empty body: the switch answered with a 3204 error callback.
pub(crate) fn not_found(seed: &str) -> Reply {
    let e = PARTY_NOT_FOUND;
    let length = json_len(&ErrorCallbackBody {
        error_information: ErrorInformationOut {
            error_code: e.code,
            error_description: e.description,
        },
    });
    json(
        200,
        &PartiesAnswer {
            party: PartyCallback {
                body: Empty {},
                headers: CallbackHeaders::new(
                    Resource::Parties,
                    Utc::now(),
                    PAYEE_FSP,
                    length,
                    seed,
                ),
            },
            current_state: "COMPLETED",
        },
    )
}

/// 500: no callback within the adapter's party timeout.
pub(crate) fn timeout() -> Reply {
    json(
        500,
        &TimeoutAnswer {
            message: "Timeout",
            request_parties_information_state: Empty {},
            status_code: "500",
        },
    )
}
