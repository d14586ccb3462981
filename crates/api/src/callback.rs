//! The `callback_url` of an upload: checked for form when stored, for destination when sent.
//!
//! At upload only the form is checked: an `http`/`https` URL with a host, at most
//! [`MAX_CALLBACK_URL`] characters. Any such URL is stored — frontends send their own, often a
//! `localhost` one (the seed's React app sends `http://localhost:8000/api/transfers`), and refusing
//! the upload for it would refuse the payment. Whether a notice is ever sent to it is decided at
//! send time by [`may_deliver`]: unless `ALLOW_PRIVATE_CALLBACKS` is set, a URL naming `localhost`
//! or an address that is loopback, private, link-local, unspecified, shared (CGNAT), multicast or
//! broadcast is never called, so a notice cannot be aimed at the gateway's own network. Host names
//! must be resolved again by the sender (the answer could change between upload and sending).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::ApiError;

/// Longest accepted callback URL.
pub const MAX_CALLBACK_URL: usize = 2048;

fn refuse(message: impl Into<String>) -> ApiError {
    ApiError::unprocessable("invalid_callback_url", message)
}

/// Whether an IPv4 address is not a public unicast address.
fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
}

/// Whether an IPv6 address is not a public unicast address.
fn internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return internal_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Whether `ip` is loopback, private, link-local or otherwise not publicly routable.
pub fn is_internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

/// Checks the form of a callback URL; returns it normalised.
pub fn validate_callback_url(raw: &str) -> Result<String, ApiError> {
    if raw.len() > MAX_CALLBACK_URL {
        return Err(refuse(format!(
            "callback_url is longer than {MAX_CALLBACK_URL} characters"
        )));
    }
    let url = Url::parse(raw).map_err(|e| refuse(format!("callback_url is not a URL: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(refuse("callback_url must be an http or https URL"));
    }
    if url.host().is_none() {
        return Err(refuse("callback_url has no host"));
    }
    Ok(url.to_string())
}

/// Whether a notice may be sent to `url` (a stored callback): never to a local or private
/// address unless `allow_private` (`ALLOW_PRIVATE_CALLBACKS`).
pub fn may_deliver(url: &str, allow_private: bool) -> bool {
    if validate_callback_url(url).is_err() {
        return false;
    }
    let Ok(url) = Url::parse(url) else {
        return false;
    };
    let internal = match url.host() {
        None => return false,
        Some(Host::Ipv4(ip)) => internal_v4(ip),
        Some(Host::Ipv6(ip)) => internal_v6(ip),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    };
    allow_private || !internal
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn accepts_public_urls() {
        for url in [
            "https://erp.cnss.example/hooks/bulk",
            "http://8.8.8.8:8080/x",
        ] {
            assert!(validate_callback_url(url).is_ok(), "{url}");
            assert!(may_deliver(url, false), "{url}");
        }
    }

    #[test]
    fn stores_internal_targets_but_never_calls_them() {
        for url in [
            "http://localhost/x",
            "http://LOCALHOST./x",
            "http://api.localhost/x",
            "http://127.0.0.1/x",
            "http://127.1/x",
            "http://2130706433/x",
            "http://10.1.2.3/x",
            "http://172.16.0.1/x",
            "http://192.168.1.1/x",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/x",
            "http://100.64.0.1/x",
            "http://[::1]/x",
            "http://[fd00::1]/x",
            "http://[fe80::1]/x",
            "http://[::ffff:127.0.0.1]/x",
        ] {
            assert!(validate_callback_url(url).is_ok(), "{url}");
            assert!(!may_deliver(url, false), "{url}");
            assert!(may_deliver(url, true), "{url}");
        }
    }

    #[test]
    fn refuses_other_schemes_and_garbage() {
        for url in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "not a url",
            "http://",
        ] {
            assert!(validate_callback_url(url).is_err(), "{url}");
            assert!(!may_deliver(url, true), "{url}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_CALLBACK_URL));
        assert!(validate_callback_url(&long).is_err());
    }
}
