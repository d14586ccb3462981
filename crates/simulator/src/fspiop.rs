//! The FSPIOP exchanges the adapter echoes in its answers (`getPartiesRequest`, `quoteResponse`,
//! `prepare`, `fulfil`…), as cheap serde structs: mostly `&'static str`, built per response.

use crate::registry::Party;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

pub(crate) const PAYER_FSP: &str = "payerfsp";
pub(crate) const PAYEE_FSP: &str = "payeefsp";
/// The payee FSP of the `…5105` rule, as in the capture.
pub(crate) const FAIL_FSP: &str = "failfsp";
pub(crate) const ILP_PACKET: &str = "AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3AxLm1lci45T2RTOF81MDdqUUZERmZlakgyOVc4bXFmNEpLMHlGTFGCAUBQU0svMS4wCk5vbmNlOiB1SXlweUYzY3pYSXBFdzVVc05TYWh3CkVuY3J5cHRpb246IG5vbmUKUGF5bWVudC1JZDogMTMyMzZhM2ItOGZhOC00MTYzLTg0NDctNGMzZWQzZGE5OGE3CgpDb250ZW50LUxlbmd0aDogMTM1CkNvbnRlbnQtVHlwZTogYXBwbGljYXRpb24vanNvbgpTZW5kZXItSWRlbnRpZmllcjogOTI4MDYzOTEKCiJ7XCJmZWVcIjowLFwidHJhbnNmZXJDb2RlXCI6XCJpbnZvaWNlXCIsXCJkZWJpdE5hbWVcIjpcImFsaWNlIGNvb3BlclwiLFwiY3JlZGl0TmFtZVwiOlwibWVyIGNoYW50XCIsXCJkZWJpdElkZW50aWZpZXJcIjpcIjkyODA2MzkxXCJ9IgA";
pub(crate) const CONDITION: &str = "iFwdW2SaT4Itzep80WVEfwSM7HJzB208tgjLwjrCOlA";
pub(crate) const FULFILMENT: &str = "Js8o0KabCD2NrKyZUNzlwjDATKlAlH1EkTIkwNWaXx8";
const QUOTE_EXPIRATION: &str = "2040-01-01T01:01:01.001Z";
const SWITCH_HOST: &str = "127.0.0.1";
const SWITCH_PORT: &str = "4040";

/// `2026-11-25T11:46:51.406Z`.
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `Wed, 25 Nov 2026 11:46:51 GMT`.
pub(crate) fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The three FSPIOP resources a transfer touches.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Resource {
    Parties,
    Quotes,
    Transfers,
}

impl Resource {
    fn content_type(self) -> &'static str {
        match self {
            Resource::Parties => "application/vnd.interoperability.parties+json;version=1.0",
            Resource::Quotes => "application/vnd.interoperability.quotes+json;version=1.0",
            Resource::Transfers => "application/vnd.interoperability.transfers+json;version=1.0",
        }
    }
    fn accept(self) -> &'static str {
        match self {
            Resource::Parties => "application/vnd.interoperability.parties+json;version=1",
            Resource::Quotes => "application/vnd.interoperability.quotes+json;version=1",
            Resource::Transfers => "application/vnd.interoperability.transfers+json;version=1",
        }
    }
}

#[derive(Serialize)]
pub(crate) struct OutgoingHeaders<'a> {
    #[serde(rename = "content-type")]
    content_type: &'static str,
    date: String,
    #[serde(rename = "fspiop-source")]
    source: &'static str,
    #[serde(rename = "fspiop-destination", skip_serializing_if = "Option::is_none")]
    destination: Option<&'a str>,
    accept: &'static str,
    #[serde(rename = "content-length", skip_serializing_if = "Option::is_none")]
    content_length: Option<usize>,
}

/// A request the adapter sent to the switch (`getPartiesRequest`, `quoteRequest`, `prepare`).
#[derive(Serialize)]
pub(crate) struct OutgoingRequest<'a> {
    method: &'static str,
    host: &'static str,
    port: &'static str,
    path: String,
    headers: OutgoingHeaders<'a>,
    agent: &'static str,
    /// `null` for the GET, the JSON text of the body otherwise.
    body: Option<String>,
}

impl<'a> OutgoingRequest<'a> {
    pub fn get_parties(at: DateTime<Utc>, id_type: &str, id_value: &str) -> Self {
        OutgoingRequest {
            method: "GET",
            host: SWITCH_HOST,
            port: SWITCH_PORT,
            path: format!("/parties/{id_type}/{id_value}"),
            headers: OutgoingHeaders {
                content_type: Resource::Parties.content_type(),
                date: http_date(at),
                source: PAYER_FSP,
                destination: None,
                accept: Resource::Parties.accept(),
                content_length: None,
            },
            agent: "[REDACTED]",
            body: None,
        }
    }

    pub fn post(resource: Resource, at: DateTime<Utc>, payee_fsp: &'a str, body: String) -> Self {
        OutgoingRequest {
            method: "POST",
            host: SWITCH_HOST,
            port: SWITCH_PORT,
            path: match resource {
                Resource::Quotes => "/quotes".to_string(),
                _ => "/transfers".to_string(),
            },
            headers: OutgoingHeaders {
                content_type: resource.content_type(),
                date: http_date(at),
                source: PAYER_FSP,
                destination: Some(payee_fsp),
                accept: resource.accept(),
                content_length: Some(body.len()),
            },
            agent: "[REDACTED]",
            body: Some(body),
        }
    }
}

/// Headers of a callback the switch delivered to the adapter.
#[derive(Serialize)]
pub(crate) struct CallbackHeaders<'a> {
    #[serde(rename = "content-type")]
    content_type: &'static str,
    date: String,
    #[serde(rename = "fspiop-source")]
    source: &'a str,
    #[serde(rename = "fspiop-destination")]
    destination: &'static str,
    traceparent: String,
    #[serde(rename = "user-agent")]
    user_agent: &'static str,
    #[serde(rename = "content-length")]
    content_length: usize,
    #[serde(rename = "accept-encoding")]
    accept_encoding: &'static str,
    host: &'static str,
    connection: &'static str,
}

impl<'a> CallbackHeaders<'a> {
    /// `seed` (the transfer id) makes `traceparent` stable, so a cached answer repeats byte for byte.
    pub fn new(
        resource: Resource,
        at: DateTime<Utc>,
        source: &'a str,
        length: usize,
        seed: &str,
    ) -> Self {
        CallbackHeaders {
            content_type: resource.content_type(),
            date: http_date(at),
            source,
            destination: PAYER_FSP,
            traceparent: traceparent(seed, resource),
            user_agent: "axios/1.13.5",
            content_length: length,
            accept_encoding: "gzip, compress, deflate, br",
            host: "127.0.0.1:4000",
            connection: "keep-alive",
        }
    }
}

/// `00-ccdd<26 hex>-0123456789abcdef0-00`, the Testing Toolkit's shape, derived from `seed`.
fn traceparent(seed: &str, resource: Resource) -> String {
    // FNV-1a: cheap, stable, good enough to look random.
    let fnv = |salt: u64| {
        seed.bytes()
            .chain(std::iter::once(resource as u8))
            .fold(0xcbf2_9ce4_8422_2325_u64 ^ salt, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
    };
    let wide = (u128::from(fnv(1)) << 64) | u128::from(fnv(2));
    format!("00-ccdd{:026x}-0123456789abcdef0-00", wide >> 24)
}

/// A callback: headers first, then body (`getPartiesResponse`, `quoteResponse`).
#[derive(Serialize)]
pub(crate) struct Callback<'a, B: Serialize> {
    pub headers: CallbackHeaders<'a>,
    pub body: B,
}

#[derive(Serialize)]
pub(crate) struct ErrorInformationOut<'a> {
    #[serde(rename = "errorCode")]
    pub error_code: &'a str,
    #[serde(rename = "errorDescription")]
    pub error_description: &'a str,
}

/// `{"errorInformation": {…}}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorCallbackBody<'a> {
    pub error_information: ErrorInformationOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PartyIdInfo<'a> {
    pub party_id_type: &'a str,
    pub party_identifier: &'a str,
    pub fsp_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ComplexName<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PersonalInfo<'a> {
    pub complex_name: ComplexName<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<&'a str>,
}

impl<'a> PersonalInfo<'a> {
    /// The party's personal info; none at all when the switch has no name for it.
    pub fn of(party: &'a Party) -> Option<Self> {
        party.has_name().then(|| PersonalInfo {
            complex_name: ComplexName {
                first_name: party.first_name(),
                last_name: party.last_name(),
            },
            date_of_birth: party.date_of_birth.as_deref(),
        })
    }
}

/// The payee as the party lookup returns it (`partyIdInfo` only when the switch has no name).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PayeeParty<'a> {
    pub party_id_info: PartyIdInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_info: Option<PersonalInfo<'a>>,
}

impl<'a> PayeeParty<'a> {
    pub fn new(id_type: &'a str, id_value: &'a str, party: &'a Party) -> Self {
        PayeeParty {
            party_id_info: PartyIdInfo {
                party_id_type: id_type,
                party_identifier: id_value,
                fsp_id: &party.fsp_id,
            },
            name: party.display_name(),
            personal_info: PersonalInfo::of(party),
        }
    }
}

/// The JSON length of a callback body: the `content-length` its headers echo.
pub(crate) fn json_len<T: Serialize>(body: &T) -> usize {
    serde_json::to_vec(body).map_or(0, |b| b.len())
}

/// Body of `getPartiesResponse`: the party, or an FSPIOP error.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum PartiesBody<'a> {
    Found { party: PayeeParty<'a> },
    Error(ErrorCallbackBody<'a>),
}

#[derive(Serialize)]
pub(crate) struct MoneyOut<'a> {
    pub currency: &'a str,
    pub amount: &'a str,
}

/// Body of `quoteResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QuoteResponseBody<'a> {
    pub transfer_amount: MoneyOut<'a>,
    pub payee_receive_amount: MoneyOut<'a>,
    pub payee_fsp_fee: MoneyOut<'a>,
    pub payee_fsp_commission: MoneyOut<'a>,
    pub expiration: &'static str,
    pub ilp_packet: &'static str,
    pub condition: &'static str,
}

impl<'a> QuoteResponseBody<'a> {
    pub fn new(currency: &'a str, transfer: &'a str, receive: &'a str, fee: &'a str) -> Self {
        QuoteResponseBody {
            transfer_amount: MoneyOut {
                currency,
                amount: transfer,
            },
            payee_receive_amount: MoneyOut {
                currency,
                amount: receive,
            },
            payee_fsp_fee: MoneyOut {
                currency,
                amount: fee,
            },
            payee_fsp_commission: MoneyOut {
                currency,
                amount: "0",
            },
            expiration: QUOTE_EXPIRATION,
            ilp_packet: ILP_PACKET,
            condition: CONDITION,
        }
    }
}

/// `fulfil.body` (and the body of a lookup's `fulfil`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FulfilBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfilment: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_timestamp: Option<String>,
    pub transfer_state: &'static str,
}

/// `fulfil`: body first, then headers, as the adapter writes it.
#[derive(Serialize)]
pub(crate) struct Fulfil<'a> {
    pub body: FulfilBody,
    pub headers: CallbackHeaders<'a>,
}
