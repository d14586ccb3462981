//! The `callback_url` of an upload: checked for form when stored; its egress verdict told in the
//! 202 so the uploader knows in advance whether the workers will ever call it.
//!
//! At upload any `http`/`https` URL with a host, without credentials, of at most
//! [`MAX_CALLBACK_URL`] characters is stored — frontends send their own, often a `localhost` one
//! (the seed's React app sends `http://localhost:8000/api/transfers`), and refusing the upload for
//! it would refuse the payment. Whether it is called is decided by the workers at each attempt
//! (`domain::webhook::egress_for` on the addresses the host resolves to then); [`upload_policy`]
//! makes the same judgement now, for the answer only.

use std::net::IpAddr;
use std::time::Duration;

use domain::webhook::{Egress, egress_for, parse_callback_url};
use url::Host;

pub use domain::webhook::MAX_CALLBACK_URL;

use crate::error::ApiError;

/// How long the upload waits for a name to resolve before answering `unresolved`.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);

/// Checks the form of a callback URL; returns it normalised.
pub fn validate_callback_url(raw: &str) -> Result<String, ApiError> {
    parse_callback_url(raw)
        .map(|u| u.to_string())
        .map_err(|e| ApiError::unprocessable("invalid_callback_url", e.to_string()))
}

/// What the egress policy would say of `url` now (`allowed_hosts`: `CALLBACK_ALLOWED_HOSTS`).
pub async fn upload_policy(url: &str, allowed_hosts: &[String]) -> Egress {
    let Ok(parsed) = parse_callback_url(url) else {
        return Egress::BlockedPrivateAddress;
    };
    let host = parsed.host_str().unwrap_or_default().to_string();
    let addrs: Vec<IpAddr> = match parsed.host() {
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        _ => {
            let port = parsed.port_or_known_default().unwrap_or(80);
            match tokio::time::timeout(
                RESOLVE_TIMEOUT,
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await
            {
                Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
                _ => Vec::new(),
            }
        }
    };
    egress_for(&host, &addrs, allowed_hosts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn stores_any_web_address_and_refuses_the_rest() {
        for url in [
            "https://erp.cnss.example/hooks/bulk",
            "http://localhost:8000/api/transfers",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(validate_callback_url(url).is_ok(), "{url}");
        }
        for url in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "not a url",
            "http://",
        ] {
            assert!(validate_callback_url(url).is_err(), "{url}");
        }
    }

    #[tokio::test]
    async fn tells_the_uploader_what_the_workers_will_do() {
        let none: Vec<String> = Vec::new();
        let local = upload_policy("http://127.0.0.1:9/x", &none).await;
        assert_eq!(local, Egress::BlockedPrivateAddress);
        let listed = upload_policy("http://127.0.0.1:9/x", &["127.0.0.1".to_string()]).await;
        assert_eq!(listed, Egress::Allowlisted);
        assert_eq!(
            upload_policy("http://8.8.8.8/x", &none).await,
            Egress::Allowed
        );
        let localhost = upload_policy("http://localhost:8000/api/transfers", &none).await;
        assert_eq!(localhost, Egress::BlockedPrivateAddress);
    }
}
