//! [`Domain`]: where the receiver is reachable, as the spec's generator asks for it.

use std::fmt;

/// The receiver's public `host[:port]`, without a scheme or a path (spec: "Your AuthScape
/// domain without https://").
///
/// The host is checked as a URL host would be: it is lower-cased, internationalized names are
/// turned into their ASCII (punycode) form, and `:443` (the HTTPS default) is dropped.
///
/// ```
/// use contact_sync::power_automate::Domain;
///
/// assert_eq!(Domain::parse("App.Example.com")?.as_str(), "app.example.com");
/// assert_eq!(Domain::parse("sync.example.com:8443")?.as_str(), "sync.example.com:8443");
/// assert!(Domain::parse("https://app.example.com").is_err());
/// assert!(Domain::parse("app.example.com/api").is_err());
/// # Ok::<(), contact_sync::power_automate::InvalidDomain>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain(String);

/// A `--domain` that is not a bare `host[:port]`; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--domain {domain:?}: {reason}")]
pub struct InvalidDomain {
    domain: String,
    reason: &'static str,
}

impl Domain {
    /// Check and normalize a domain.
    ///
    /// # Errors
    /// When it is empty, has a scheme, a path, a query, a fragment, user info or whitespace,
    /// the host is not a valid host name or IP address, or the port is not 1-65535.
    pub fn parse(domain: &str) -> Result<Self, InvalidDomain> {
        let invalid = |reason| InvalidDomain { domain: domain.to_owned(), reason };
        let trimmed = domain.trim();
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        if trimmed.contains("://") || has_scheme(trimmed) {
            return Err(invalid(
                "drop the scheme: write `app.example.com`, not `https://app.example.com`",
            ));
        }
        if trimmed.contains(['/', '\\', '?', '#']) {
            return Err(invalid(
                "only a host and an optional port, with no path, query or fragment",
            ));
        }
        if trimmed.contains('@') {
            return Err(invalid("a domain has no user name or password"));
        }
        if trimmed.chars().any(char::is_whitespace) {
            return Err(invalid("a domain has no spaces"));
        }
        // A numeric port out of range gets its own message (the URL parser only says "invalid").
        if !trimmed.ends_with(']')
            && let Some((_, port)) = trimmed.rsplit_once(':')
            && !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && !matches!(port.parse::<u16>(), Ok(1..))
        {
            return Err(invalid("the port must be 1-65535"));
        }
        let url = url::Url::parse(&format!("https://{trimmed}/"))
            .map_err(|_| invalid("not a valid host name or IP address"))?;
        let host =
            url.host_str().filter(|host| !host.is_empty()).ok_or_else(|| invalid("no host"))?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "only a host and an optional port, with no path, query or fragment",
            ));
        }
        Ok(Self(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }))
    }

    /// The normalized `host[:port]`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `http:x`, `https:x`: a scheme without the slashes.
fn has_scheme(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("http:") || lower.starts_with("https:")
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_hosts_and_ports() {
        for (input, normalized) in [
            ("app.yourcompany.com", "app.yourcompany.com"),
            ("  APP.YourCompany.com ", "app.yourcompany.com"),
            ("sync.example.com:8443", "sync.example.com:8443"),
            ("sync.example.com:443", "sync.example.com"),
            ("localhost:8080", "localhost:8080"),
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("[::1]:8443", "[::1]:8443"),
            ("bücher.example", "xn--bcher-kva.example"),
        ] {
            assert_eq!(Domain::parse(input).map(|d| d.0), Ok(normalized.to_owned()), "{input}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_bare_host() {
        for (input, reason) in [
            ("", "it is empty"),
            ("https://app.example.com", "drop the scheme"),
            ("http:app.example.com", "drop the scheme"),
            ("app.example.com/", "no path"),
            ("app.example.com/api/crm", "no path"),
            ("app.example.com?x=1", "no path"),
            ("app.example.com#top", "no path"),
            ("user@app.example.com", "no user name"),
            ("app example.com", "no spaces"),
            ("app.example.com:0", "1-65535"),
            ("app.example.com:70000", "1-65535"),
            ("app.example.com:http", "not a valid host"),
            ("exa_mple..com%", "not a valid host"),
        ] {
            let error = Domain::parse(input).unwrap_err().to_string();
            assert!(error.contains(reason), "{input}: {error}");
        }
    }
}
