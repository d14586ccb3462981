//! The HTTP client: one `reqwest::Client` (keep-alive pool) per process, cheap to clone.

use crate::classify::{classify_call, classify_lookup, classify_transport, error_chain};
use crate::observe::{Observe, Observer, Operation};
use crate::outcome::{CallResult, LookupResult};
use crate::wire::{AcceptParty, AcceptQuote, TransferRequest};
use reqwest::{Client, RequestBuilder, Url};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Idle pooled connections are dropped before the adapter's own keep-alive (`Keep-Alive: timeout=5`)
/// closes them: a request written on a connection the server is closing fails AFTER sending and would
/// turn a perfectly good transfer into an UNKNOWN one.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);
/// Upper bound on establishing a connection. Kept separate from the request timeout so that a
/// connect failure is reported as a connect error (certainly not sent).
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the client could not be built or the adapter is not healthy.
#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    /// The base URL does not parse or cannot carry a path.
    #[error("invalid adapter base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// `reqwest` refused the configuration.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The adapter could not be reached.
    #[error("adapter unreachable: {0}")]
    Transport(String),
    /// The adapter answered with an unexpected status.
    #[error("adapter answered HTTP {0}")]
    Status(u16),
}

/// How the adapter in front of us is configured to accept parties and quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AcceptMode {
    /// `AUTO_ACCEPT_PARTY` / `AUTO_ACCEPT_QUOTES` on, or not known: the adapter may send the prepare
    /// on its own, so a POST that went unanswered may have moved money.
    #[default]
    Auto,
    /// Both off: the adapter halts at `WAITING_FOR_PARTY_ACCEPTANCE` and
    /// `WAITING_FOR_QUOTE_ACCEPTANCE` and sends the prepare only after our `PUT {"acceptQuote":
    /// true}`, so any failure of the POST or of the party acceptance is certain: nothing prepared.
    Manual,
}

impl std::str::FromStr for AcceptMode {
    type Err = String;
    fn from_str(s: &str) -> Result<AcceptMode, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(AcceptMode::Auto),
            "manual" => Ok(AcceptMode::Manual),
            other => Err(format!("expected auto or manual, got {other:?}")),
        }
    }
}

/// Typed client of the SDK scheme adapter's outbound API.
///
/// Clone it freely: clones share one connection pool (and what was learnt of the accept mode).
#[derive(Debug, Clone)]
pub struct SdkClient {
    pub(crate) http: Client,
    pub(crate) base: Url,
    /// `true` while the adapter is believed to halt for acceptance ([`AcceptMode::Manual`]). Turned
    /// off for good the first time an answer contradicts it (a POST that completed on its own):
    /// certainty about "nothing prepared" must never rest on a setting the adapter disproves.
    manual: Arc<AtomicBool>,
    /// Told the duration of every call ([`SdkClient::with_observer`]).
    pub(crate) observe: Observe,
}

impl SdkClient {
    /// A client for the adapter at `base_url` (e.g. `http://127.0.0.1:4001`); every call is bounded
    /// by `request_timeout` (the adapter blocks until the transfer is final, ~0.2–1 s on a real switch,
    /// up to its own 504 after its `requestProcessingTimeoutSeconds`).
    pub fn new(base_url: &str, request_timeout: Duration) -> Result<SdkClient, SdkError> {
        let base = Url::parse(base_url).map_err(|e| SdkError::InvalidBaseUrl {
            url: base_url.to_string(),
            reason: e.to_string(),
        })?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(SdkError::InvalidBaseUrl {
                url: base_url.to_string(),
                reason: "expected an http(s) URL".to_string(),
            });
        }
        let http = Client::builder()
            // Straight to the adapter: a proxy would turn "connection refused" (certainly not
            // sent) into a 502 (unknown) and hide which side failed.
            .no_proxy()
            .pool_max_idle_per_host(4096)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .tcp_nodelay(true)
            .timeout(request_timeout)
            .connect_timeout(request_timeout.min(MAX_CONNECT_TIMEOUT))
            .build()
            .map_err(SdkError::Client)?;
        Ok(SdkClient {
            http,
            base,
            manual: Arc::new(AtomicBool::new(false)),
            observe: Observe::default(),
        })
    }

    /// Declares how the adapter accepts parties and quotes (default [`AcceptMode::Auto`]).
    pub fn with_accept_mode(self, mode: AcceptMode) -> SdkClient {
        self.manual
            .store(mode == AcceptMode::Manual, Ordering::Relaxed);
        self
    }

    /// Tells `observer` the operation and duration of every later call (the worker's latency
    /// metrics); clones made afterwards share it.
    pub fn with_observer(mut self, observer: Arc<Observer>) -> SdkClient {
        self.observe = Observe::new(observer);
        self
    }

    /// The accept mode currently trusted (`Manual` until an answer disproves it).
    pub fn accept_mode(&self) -> AcceptMode {
        if self.manual.load(Ordering::Relaxed) {
            AcceptMode::Manual
        } else {
            AcceptMode::Auto
        }
    }

    /// An answer showed the adapter does not halt for acceptance: stop trusting manual mode.
    pub(crate) fn disprove_manual(&self, evidence: &str) {
        if self.manual.swap(false, Ordering::Relaxed) {
            tracing::error!(
                evidence,
                "the adapter was declared to halt for party and quote acceptance \
                 (ADAPTER_ACCEPT_MODE=manual) but an answer shows it does not; failures of the POST \
                 are no longer treated as certain before the prepare"
            );
        }
    }

    /// The adapter's base URL.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// `GET /`: the adapter answers 200 with an empty body when it is listening.
    pub async fn health(&self) -> Result<(), SdkError> {
        let resp = self
            .http
            .get(self.base.clone())
            .send()
            .await
            .map_err(|e| SdkError::Transport(error_chain(&e)))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(SdkError::Status(resp.status().as_u16()))
        }
    }

    /// `POST /transfers`. Call it at most once per `transfer_id` unless it came back
    /// [`CallResult::NotSent`].
    pub async fn post_transfer(&self, req: &TransferRequest) -> CallResult {
        let url = self.transfers_url(None);
        self.call(Operation::Transfers, self.http.post(url).json(req))
            .await
    }

    /// `PUT /transfers/{id}` with `{"acceptParty": true}`.
    pub async fn accept_party(&self, transfer_id: &str) -> CallResult {
        let url = self.transfers_url(Some(transfer_id));
        let body = AcceptParty { accept_party: true };
        self.call(Operation::AcceptParty, self.http.put(url).json(&body))
            .await
    }

    /// `PUT /transfers/{id}` with `{"acceptQuote": accept}`.
    pub async fn accept_quote(&self, transfer_id: &str, accept: bool) -> CallResult {
        let url = self.transfers_url(Some(transfer_id));
        let body = AcceptQuote {
            accept_quote: accept,
        };
        self.call(Operation::AcceptQuote, self.http.put(url).json(&body))
            .await
    }

    /// `GET /transfers/{id}`: what the switch knows about the transfer.
    pub async fn get_transfer(&self, transfer_id: &str) -> LookupResult {
        let url = self.transfers_url(Some(transfer_id));
        let call = self.lookup(self.http.get(url));
        self.observe.time(Operation::TransferLookup, call).await
    }

    async fn lookup(&self, request: RequestBuilder) -> LookupResult {
        let resp = match request.send().await {
            Ok(resp) => resp,
            Err(e) => {
                return LookupResult::Unreachable {
                    reason: error_chain(&e),
                };
            }
        };
        let status = resp.status().as_u16();
        match resp.bytes().await {
            Ok(body) => classify_lookup(status, &body),
            Err(e) => LookupResult::Unreachable {
                reason: format!("HTTP {status}, body lost: {}", error_chain(&e)),
            },
        }
    }

    async fn call(&self, op: Operation, request: RequestBuilder) -> CallResult {
        self.observe.time(op, self.send(request)).await
    }

    async fn send(&self, request: RequestBuilder) -> CallResult {
        let resp = match request.send().await {
            Ok(resp) => resp,
            Err(e) => return classify_transport(&e),
        };
        let status = resp.status().as_u16();
        match resp.bytes().await {
            Ok(body) => classify_call(status, &body),
            // The status line arrived, so the request certainly reached the adapter.
            Err(e) => CallResult::Unknown {
                reason: format!("HTTP {status} but the body was lost: {}", error_chain(&e)),
                stage: None,
            },
        }
    }

    /// `{base}/transfers` or `{base}/transfers/{id}`, the id percent-encoded as one path segment.
    fn transfers_url(&self, transfer_id: Option<&str>) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("transfers");
            if let Some(id) = transfer_id {
                segments.push(id);
            }
        }
        url
    }
}
