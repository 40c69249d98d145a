//! Where a bearer token may be sent.

use std::net::IpAddr;

use url::{Host, Url};

/// A bearer token would have crossed the network in clear text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refusing to send a bearer token over plain http to {host}: use https (plain http is only allowed to loopback)"
)]
pub struct InsecureTransport {
    /// The host that was refused.
    pub host: String,
}

/// Whether `url` points at this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.');
            domain.eq_ignore_ascii_case("localhost")
                || domain.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Allow a bearer token to `url` only over `https`, or over `http` to loopback (local sandboxes
/// and test servers).
///
/// ```
/// use rest_client_core::check_bearer_transport;
/// use url::Url;
///
/// let ok = |s: &str| check_bearer_transport(&Url::parse(s).unwrap()).is_ok();
/// assert!(ok("https://org.crm.dynamics.com/"));
/// assert!(ok("http://127.0.0.1:8080/"));
/// assert!(!ok("http://org.crm.dynamics.com/"));
/// ```
pub fn check_bearer_transport(url: &Url) -> Result<(), InsecureTransport> {
    if url.scheme() == "https" || is_loopback(url) {
        return Ok(());
    }
    Err(InsecureTransport { host: url.host_str().unwrap_or("<no host>").to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_https_only() {
        let cases = [
            ("https://ironcladapp.com/public/api/v1", true),
            ("http://localhost:3000", true),
            ("http://LOCALHOST.:3000", true),
            ("http://api.localhost", true),
            ("http://127.0.0.1", true),
            ("http://127.9.9.9", true),
            ("http://[::1]:80", true),
            ("http://10.0.0.1", false),
            ("http://localhost.evil.com", false),
            ("http://example.com", false),
            ("ftp://example.com", false),
        ];
        for (url, allowed) in cases {
            let url = Url::parse(url).unwrap();
            assert_eq!(check_bearer_transport(&url).is_ok(), allowed, "{url}");
        }
    }
}
