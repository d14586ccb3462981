//! Where a webhook may go.
//!
//! At upload only the form of a `callback_url` is checked ([`parse_callback_url`]): any
//! `http`/`https` URL with a host is stored. At send time the host is resolved and every address it
//! resolves to is judged ([`egress_for`]): a loopback, private, link-local, unique-local, shared
//! (CGNAT), unspecified, multicast, broadcast or documentation address — IPv4-mapped IPv6 forms
//! included — is never called unless the host is named in `CALLBACK_ALLOWED_HOSTS`. The sender then
//! connects to the address it judged (no second resolution), follows no redirect and bounds its
//! time and what it reads.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use super::MAX_CALLBACK_URL;

/// Why a callback URL is refused at upload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackUrlError {
    /// Longer than [`MAX_CALLBACK_URL`].
    #[error("callback_url is longer than {MAX_CALLBACK_URL} characters")]
    TooLong,
    /// Not a URL.
    #[error("callback_url is not a URL: {0}")]
    NotUrl(String),
    /// Another scheme than http(s).
    #[error("callback_url must be an http or https URL")]
    Scheme,
    /// No host.
    #[error("callback_url has no host")]
    NoHost,
    /// User name or password in the URL (they would be sent to whoever answers).
    #[error("callback_url must not carry a user name or password")]
    Credentials,
}

/// Checks the form of a callback URL and returns it parsed.
pub fn parse_callback_url(raw: &str) -> Result<Url, CallbackUrlError> {
    if raw.len() > MAX_CALLBACK_URL {
        return Err(CallbackUrlError::TooLong);
    }
    let url = Url::parse(raw).map_err(|e| CallbackUrlError::NotUrl(e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(CallbackUrlError::Scheme);
    }
    match url.host() {
        None => return Err(CallbackUrlError::NoHost),
        Some(Host::Domain("")) => return Err(CallbackUrlError::NoHost),
        Some(_) => {}
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CallbackUrlError::Credentials);
    }
    Ok(url)
}

/// The verdict on a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Egress {
    /// Every address is public.
    Allowed,
    /// The host is in `CALLBACK_ALLOWED_HOSTS`: called whatever its addresses.
    Allowlisted,
    /// An address is internal and the host is not allow-listed: never called.
    BlockedPrivateAddress,
    /// The name resolved to nothing.
    Unresolved,
}

impl Egress {
    /// The wire spelling (`allowed`, `allowlisted`, `blocked_private_address`, `unresolved`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Egress::Allowed => "allowed",
            Egress::Allowlisted => "allowlisted",
            Egress::BlockedPrivateAddress => "blocked_private_address",
            Egress::Unresolved => "unresolved",
        }
    }

    /// Whether a request may be sent.
    pub const fn may_send(self) -> bool {
        matches!(self, Egress::Allowed | Egress::Allowlisted)
    }
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
        || (a == 198 && (18..20).contains(&b))
        || a >= 240
}

/// Whether an IPv6 address is not a public unicast address.
fn internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return internal_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address the network may reach.
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return internal_v4(Ipv4Addr::new(a, b, c, d));
    }
    if s[0] == 0x2002 {
        let [a, b] = s[1].to_be_bytes();
        let [c, d] = s[2].to_be_bytes();
        return internal_v4(Ipv4Addr::new(a, b, c, d));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        // IPv4-compatible (deprecated) ::a.b.c.d
        || (s[0..6] == [0, 0, 0, 0, 0, 0] && s[6] != 0)
}

/// Whether `ip` is loopback, private, link-local or otherwise not publicly routable.
pub fn is_internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

/// Normalises a host for comparison: lower case, no trailing dot, no IPv6 brackets.
pub fn normalise_host(host: &str) -> String {
    host.trim()
        .trim_end_matches('.')
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

/// The verdict on sending to `host`, which resolved to `addrs`, with `allowed_hosts` from
/// `CALLBACK_ALLOWED_HOSTS` (compared after [`normalise_host`]).
pub fn egress_for(host: &str, addrs: &[IpAddr], allowed_hosts: &[String]) -> Egress {
    let host = normalise_host(host);
    if allowed_hosts.iter().any(|h| normalise_host(h) == host) {
        return Egress::Allowlisted;
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return Egress::BlockedPrivateAddress;
    }
    if addrs.is_empty() {
        return Egress::Unresolved;
    }
    if addrs.iter().any(|a| is_internal_ip(*a)) {
        Egress::BlockedPrivateAddress
    } else {
        Egress::Allowed
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn verdict(url: &str, allowed: &[&str]) -> Egress {
        let url = parse_callback_url(url).unwrap();
        let addrs: Vec<IpAddr> = match url.host().unwrap() {
            Host::Ipv4(ip) => vec![IpAddr::V4(ip)],
            Host::Ipv6(ip) => vec![IpAddr::V6(ip)],
            Host::Domain(_) => vec![],
        };
        let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        egress_for(url.host_str().unwrap(), &addrs, &allowed)
    }

    #[test]
    fn public_addresses_are_allowed() {
        assert_eq!(verdict("http://8.8.8.8:8080/x", &[]), Egress::Allowed);
        assert_eq!(verdict("https://[2606:4700::1111]/x", &[]), Egress::Allowed);
    }

    #[test]
    fn internal_forms_are_blocked_unless_allow_listed() {
        for url in [
            "http://localhost/x",
            "http://LOCALHOST./x",
            "http://api.localhost/x",
            "http://127.0.0.1/x",
            "http://127.1/x",
            "http://2130706433/x",
            "http://0x7f.1/x",
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
            "http://[::ffff:10.0.0.1]/x",
            "http://[64:ff9b::a00:1]/x",
            "http://[2002:a00:1::]/x",
            "http://[::127.0.0.1]/x",
        ] {
            assert_eq!(verdict(url, &[]), Egress::BlockedPrivateAddress, "{url}");
            let host = parse_callback_url(url)
                .unwrap()
                .host_str()
                .unwrap()
                .to_string();
            assert_eq!(verdict(url, &[&host]), Egress::Allowlisted, "{url}");
        }
        assert_eq!(
            verdict("http://LocalHost:8000/x", &["localhost."]),
            Egress::Allowlisted
        );
        assert_eq!(verdict("http://erp.example/x", &[]), Egress::Unresolved);
    }

    #[test]
    fn refuses_other_schemes_credentials_and_garbage() {
        for url in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "not a url",
            "http://",
            "https://user:pw@example.com/x",
        ] {
            assert!(parse_callback_url(url).is_err(), "{url}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_CALLBACK_URL));
        assert_eq!(parse_callback_url(&long), Err(CallbackUrlError::TooLong));
    }
}
