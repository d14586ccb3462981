//! One webhook attempt: resolve, judge the addresses, POST to exactly them, read a bounded answer.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use db::models::WebhookDelivery;
use domain::webhook::{EVENT_ID_HEADER, Egress, SIGNATURE_HEADER, egress_for, parse_callback_url};
use url::Host;

/// Whole-attempt limit (connect, send, answer).
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Most bytes of an answer read (the rest is dropped).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What an attempt means for its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx.
    Delivered,
    /// Any other answer or none: try again later.
    Retry,
    /// The destination is forbidden: never sent.
    Blocked,
}

/// The result of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// What it means.
    pub verdict: Verdict,
    /// HTTP status, when an answer came.
    pub status: Option<i32>,
    /// What went wrong.
    pub error: Option<String>,
}

impl Attempt {
    /// A failed attempt to retry.
    pub fn failed(status: Option<i32>, error: impl Into<String>) -> Attempt {
        Attempt {
            verdict: Verdict::Retry,
            status,
            error: Some(error.into()),
        }
    }

    fn blocked(error: impl Into<String>) -> Attempt {
        Attempt {
            verdict: Verdict::Blocked,
            status: None,
            error: Some(error.into()),
        }
    }
}

/// Sends webhooks under the egress policy.
#[derive(Debug)]
pub struct Sender {
    allowed_hosts: Vec<String>,
}

impl Sender {
    /// A sender letting `allowed_hosts` (`CALLBACK_ALLOWED_HOSTS`) through on any address.
    pub fn new(allowed_hosts: Vec<String>) -> anyhow::Result<Sender> {
        Ok(Sender { allowed_hosts })
    }

    /// Makes one attempt of `d`, signed with `secret`.
    pub async fn attempt(&self, d: &WebhookDelivery, secret: &[u8]) -> Attempt {
        let url = match parse_callback_url(&d.url) {
            Ok(u) => u,
            Err(e) => return Attempt::blocked(e.to_string()),
        };
        let Some(host) = url.host_str().map(str::to_string) else {
            return Attempt::blocked("callback_url has no host");
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let addrs = match resolve(&url, &host, port).await {
            Ok(a) => a,
            Err(e) => return Attempt::failed(None, e),
        };
        let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
        match egress_for(&host, &ips, &self.allowed_hosts) {
            Egress::Allowed | Egress::Allowlisted => {}
            Egress::BlockedPrivateAddress => {
                return Attempt::blocked(format!(
                    "blocked_private_address: {host} resolves to an internal address and is not \
                     in CALLBACK_ALLOWED_HOSTS"
                ));
            }
            Egress::Unresolved => return Attempt::failed(None, format!("{host} did not resolve")),
        }
        match self.post(&url, &host, &addrs, d, secret).await {
            Ok(a) => a,
            Err(e) => Attempt::failed(None, describe(&e)),
        }
    }

    async fn post(
        &self,
        url: &url::Url,
        host: &str,
        addrs: &[SocketAddr],
        d: &WebhookDelivery,
        secret: &[u8],
    ) -> Result<Attempt, reqwest::Error> {
        // One client per attempt, pinned to the addresses judged above: the connection cannot go
        // anywhere a second resolution would have said.
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .no_proxy()
            .pool_max_idle_per_host(0)
            .user_agent(concat!("mojaloop-bulk-gateway/", env!("CARGO_PKG_VERSION")));
        if matches!(url.host(), Some(Host::Domain(_))) {
            builder = builder.resolve_to_addrs(host, addrs);
        }
        let client = builder.build()?;
        let t = db::clock::unix_now();
        let signature = domain::webhook::sign(secret, t, d.payload.as_bytes());
        let res = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_ID_HEADER, &d.event_id)
            .body(d.payload.clone())
            .send()
            .await?;
        let status = res.status();
        drain(res).await;
        let code = Some(i32::from(status.as_u16()));
        Ok(if status.is_success() {
            Attempt {
                verdict: Verdict::Delivered,
                status: code,
                error: None,
            }
        } else if status.is_redirection() {
            Attempt::failed(code, format!("HTTP {status}: redirects are not followed"))
        } else {
            Attempt::failed(code, format!("HTTP {status}"))
        })
    }
}

/// The addresses `host` stands for now: the literal, or what the resolver answers (within
/// [`TIMEOUT`]).
async fn resolve(url: &url::Url, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    match url.host() {
        Some(Host::Ipv4(ip)) => return Ok(vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(Host::Ipv6(ip)) => return Ok(vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        _ => {}
    }
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(TIMEOUT, lookup).await {
        Ok(Ok(addrs)) => Ok(addrs.collect()),
        Ok(Err(e)) => Err(format!("{host} did not resolve: {e}")),
        Err(_) => Err(format!("resolving {host} timed out")),
    }
}

/// Reads at most [`MAX_ANSWER_BYTES`] of the answer, so a receiver streaming forever cannot hold
/// the sender (the attempt's timeout bounds the time as well).
async fn drain(mut res: reqwest::Response) {
    let mut read = 0usize;
    while let Ok(Some(chunk)) = res.chunk().await {
        read += chunk.len();
        if read >= MAX_ANSWER_BYTES {
            break;
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        // reqwest's own text is "error sending request for url (…)": the cause is in the chain.
        let mut text = String::from("request failed");
        let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        text
    }
}
