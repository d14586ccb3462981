//! Validation of the `callback_url` of an upload.
//!
//! Only `http`/`https` URLs with a host are stored. Unless `ALLOW_PRIVATE_CALLBACKS` is set, a URL
//! naming `localhost` or an address that is loopback, private, link-local, unspecified, shared
//! (CGNAT), multicast or broadcast is refused, so the completion notice cannot be aimed at the
//! gateway's own network. Host names are not resolved here (the answer could change before the
//! notice is sent): the sender must check the resolved address again.

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

/// Checks a callback URL; returns it normalised.
pub fn validate_callback_url(raw: &str, allow_private: bool) -> Result<String, ApiError> {
    if raw.len() > MAX_CALLBACK_URL {
        return Err(refuse(format!(
            "callback_url is longer than {MAX_CALLBACK_URL} characters"
        )));
    }
    let url = Url::parse(raw).map_err(|e| refuse(format!("callback_url is not a URL: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(refuse("callback_url must be an http or https URL"));
    }
    let internal = match url.host() {
        None => return Err(refuse("callback_url has no host")),
        Some(Host::Ipv4(ip)) => internal_v4(ip),
        Some(Host::Ipv6(ip)) => internal_v6(ip),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    };
    if internal && !allow_private {
        return Err(refuse(
            "callback_url points to a local or private address, which is not allowed",
        ));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn accepts_public_urls() {
        assert!(validate_callback_url("https://erp.cnss.example/hooks/bulk", false).is_ok());
        assert!(validate_callback_url("http://8.8.8.8:8080/x", false).is_ok());
    }

    #[test]
    fn refuses_internal_targets() {
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
            assert!(validate_callback_url(url, false).is_err(), "{url}");
            assert!(validate_callback_url(url, true).is_ok(), "{url}");
        }
    }

    #[test]
    fn refuses_other_schemes_and_garbage() {
        assert!(validate_callback_url("ftp://example.com/x", true).is_err());
        assert!(validate_callback_url("file:///etc/passwd", true).is_err());
        assert!(validate_callback_url("not a url", true).is_err());
    }
}
