//! TLS to PostgreSQL, chosen by the connection string's `sslmode` and `sslrootcert` as libpq
//! chooses (<https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION>):
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | |
//! | `prefer` (default) | when the server offers it | checked against `sslrootcert` when given, else not checked |
//! | `require` | always | as `prefer` |
//! | `verify-ca` | always | signed by a trusted root |
//! | `verify-full` | always | signed by a trusted root, and names the host |
//!
//! Trusted roots: the PEM file `sslrootcert` names, or the platform's certificate store when it
//! is absent or `system`. `allow` (plain first, TLS on refusal) is refused with a reason: the
//! driver cannot fall back that way.
//!
//! rustls with the aws-lc-rs provider does the TLS; no OpenSSL.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ServerCertVerifierBuilder, WebPkiServerVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::PgError;

/// How a connection uses TLS (`sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsMode {
    /// Never.
    Disable,
    /// When the server offers it (libpq's default).
    #[default]
    Prefer,
    /// Always.
    Require,
    /// Always, with a certificate signed by a trusted root.
    VerifyCa,
    /// Always, with a certificate signed by a trusted root that names the host.
    VerifyFull,
}

/// Where trusted roots come from (`sslrootcert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// The platform's certificate store (`sslrootcert` absent, or `system`).
    System,
    /// A PEM file of certificates.
    File(PathBuf),
}

/// The TLS settings of a connection string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// `sslmode`.
    pub mode: TlsMode,
    /// `sslrootcert`.
    pub roots: RootCerts,
    /// Whether `sslrootcert` was given (then `prefer` and `require` check the certificate, as
    /// libpq does when it finds a root certificate).
    pub roots_given: bool,
}

impl TlsSettings {
    /// Read `sslmode` and `sslrootcert` from `url` (a `postgres://` URL, or `key=value`
    /// pairs) and return the connection string without them, for the driver.
    ///
    /// ```
    /// use program_support::postgres::tls::{TlsMode, TlsSettings};
    ///
    /// let (rest, tls) = TlsSettings::split("postgres://app@db/app?sslmode=verify-full").unwrap();
    /// assert_eq!((rest.as_str(), tls.mode), ("postgres://app@db/app", TlsMode::VerifyFull));
    /// ```
    ///
    /// # Errors
    /// [`PgError::InvalidUrl`] for an `sslmode` that is not one of libpq's (or is `allow`),
    /// never quoting the string (it may hold a password).
    pub fn split(url: &str) -> Result<(String, TlsSettings), PgError> {
        let (rest, mode, root) =
            if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                split_url(url)
            } else {
                split_pairs(url)
            };
        let mode = match mode.as_deref() {
            None | Some("prefer") => TlsMode::Prefer,
            Some("disable") => TlsMode::Disable,
            Some("require") => TlsMode::Require,
            Some("verify-ca") => TlsMode::VerifyCa,
            Some("verify-full") => TlsMode::VerifyFull,
            Some("allow") => {
                return Err(PgError::InvalidUrl(
                    "sslmode=allow is not supported (plain first, TLS on refusal): use prefer"
                        .to_owned(),
                ));
            }
            Some(other) => {
                return Err(PgError::InvalidUrl(format!(
                    "sslmode '{other}' is not one of disable, prefer, require, verify-ca, verify-full"
                )));
            }
        };
        let roots_given = root.as_deref().is_some_and(|root| root != "system");
        let roots = match root {
            Some(path) if path != "system" => RootCerts::File(PathBuf::from(path)),
            _ => RootCerts::System,
        };
        Ok((rest, TlsSettings { mode, roots, roots_given }))
    }

    /// The driver's mode: it only knows whether to ask for TLS, and whether to insist.
    pub(super) fn ssl_mode(&self) -> SslMode {
        match self.mode {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull => SslMode::Require,
        }
    }

    /// What the server's certificate is checked for.
    fn check(&self) -> Check {
        match self.mode {
            TlsMode::VerifyFull => Check::Full,
            TlsMode::VerifyCa => Check::Chain,
            TlsMode::Prefer | TlsMode::Require if self.roots_given => Check::Chain,
            _ => Check::Nothing,
        }
    }

    /// The TLS connector for these settings.
    ///
    /// # Errors
    /// [`PgError::Tls`] when the roots cannot be read.
    pub(super) fn connector(&self) -> Result<MakeRustlsConnect, PgError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| PgError::Tls(e.to_string()))?;
        let algorithms = provider.signature_verification_algorithms;
        let verifier: Arc<dyn ServerCertVerifier> = match self.check() {
            Check::Nothing => Arc::new(Unchecked(algorithms)),
            check => {
                let roots = Arc::new(self.root_store()?);
                let webpki =
                    verifier(WebPkiServerVerifier::builder_with_provider(roots, provider))?;
                if check == Check::Full { webpki } else { Arc::new(ChainOnly(webpki)) }
            }
        };
        let config =
            builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }

    fn root_store(&self) -> Result<RootCertStore, PgError> {
        let mut store = RootCertStore::empty();
        match &self.roots {
            RootCerts::File(path) => {
                let unreadable = |e: &dyn std::fmt::Display| {
                    PgError::Tls(format!("sslrootcert {}: {e}", path.display()))
                };
                for certificate in
                    CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))?
                {
                    store
                        .add(certificate.map_err(|e| unreadable(&e))?)
                        .map_err(|e| unreadable(&e))?;
                }
            }
            RootCerts::System => {
                // Certificates the platform holds that rustls cannot parse are skipped, as
                // browsers skip them.
                let found = rustls_native_certs::load_native_certs();
                store.add_parsable_certificates(found.certs);
            }
        }
        if store.is_empty() {
            let from = match &self.roots {
                RootCerts::File(path) => format!("sslrootcert {}", path.display()),
                RootCerts::System => "the platform's certificate store".to_owned(),
            };
            return Err(PgError::Tls(format!("no trusted root certificate in {from}")));
        }
        Ok(store)
    }
}

fn verifier(builder: ServerCertVerifierBuilder) -> Result<Arc<dyn ServerCertVerifier>, PgError> {
    Ok(builder.build().map_err(|e| PgError::Tls(e.to_string()))?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Nothing,
    Chain,
    Full,
}

/// `sslmode` and `sslrootcert` out of a URL's query.
fn split_url(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None, None) };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || {
            url::form_urlencoded::parse(format!("v={value}").as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        };
        match key {
            "sslmode" => mode = Some(decoded()),
            "sslrootcert" => root = Some(decoded()),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    (rest, mode, root)
}

/// `sslmode` and `sslrootcert` out of `key=value` pairs (unquoted values).
fn split_pairs(pairs: &str) -> (String, Option<String>, Option<String>) {
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in pairs.split_whitespace() {
        match pair.split_once('=') {
            Some(("sslmode", value)) => mode = Some(value.to_owned()),
            Some(("sslrootcert", value)) => root = Some(value.to_owned()),
            _ => kept.push(pair),
        }
    }
    (kept.join(" "), mode, root)
}

/// `prefer` and `require` without roots: encrypted, the certificate not checked (libpq's
/// behaviour; the handshake's signatures are still verified).
#[derive(Debug)]
struct Unchecked(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the name in it is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed root of our own (P-256), for the `sslrootcert` tests.
    const ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUdX7SCK5/fLmpqglLWDfbscpWElswCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJdGVzdC1yb290MCAXDTI2MTIwNjE2NTQwOVoYDzIxMjYxMTEy
MTY1NDA5WjAUMRIwEAYDVQQDDAl0ZXN0LXJvb3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATcT2NAi75gpuucpXtEd/onCP6tjfxhoxfpa6bAoVr10vKlY9IHpWva
QW9ofTkLebf/ivinlen+ib1TJx2yklS8o1MwUTAdBgNVHQ4EFgQUHpi8s+Jzkl2U
lXAoolwiTmsMCmgwHwYDVR0jBBgwFoAUHpi8s+Jzkl2UlXAoolwiTmsMCmgwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiB/Li5jq6ocs4qcEo9ukrKN
evvTZk2gfaCzXs1xY6kE/wIhAK6WUX1U+Q/y/8ij6bw+vzTRaTj4YTxVV5EgH/UE
zpZu
-----END CERTIFICATE-----
";

    fn settings(mode: TlsMode, roots: RootCerts, roots_given: bool) -> TlsSettings {
        TlsSettings { mode, roots, roots_given }
    }

    #[test]
    fn sslmode_and_sslrootcert_are_read_and_taken_out() {
        let file = |path: &str| RootCerts::File(PathBuf::from(path));
        #[rustfmt::skip]
        let table = [
            ("postgres://app:pw@db:5432/app", "postgres://app:pw@db:5432/app",
                settings(TlsMode::Prefer, RootCerts::System, false)),
            ("postgres://app@db/app?sslmode=disable", "postgres://app@db/app",
                settings(TlsMode::Disable, RootCerts::System, false)),
            ("postgresql://app@db/app?application_name=sync&sslmode=require&connect_timeout=5",
                "postgresql://app@db/app?application_name=sync&connect_timeout=5",
                settings(TlsMode::Require, RootCerts::System, false)),
            ("postgres://app@db/app?sslmode=verify-ca&sslrootcert=%2Fetc%2Fpg%20ca.pem",
                "postgres://app@db/app", settings(TlsMode::VerifyCa, file("/etc/pg ca.pem"), true)),
            ("postgres://app@db/app?sslrootcert=system&sslmode=verify-full",
                "postgres://app@db/app", settings(TlsMode::VerifyFull, RootCerts::System, false)),
            ("host=db user=app sslmode=verify-full sslrootcert=/etc/ca.pem dbname=app",
                "host=db user=app dbname=app", settings(TlsMode::VerifyFull, file("/etc/ca.pem"), true)),
            ("host=/tmp user=app", "host=/tmp user=app", settings(TlsMode::Prefer, RootCerts::System, false)),
        ];
        for (url, rest, expected) in table {
            assert_eq!(TlsSettings::split(url).unwrap(), (rest.to_owned(), expected), "{url}");
        }
    }

    #[test]
    fn the_driver_asks_for_tls_unless_disabled_and_insists_from_require() {
        for (mode, driver) in [
            (TlsMode::Disable, SslMode::Disable),
            (TlsMode::Prefer, SslMode::Prefer),
            (TlsMode::Require, SslMode::Require),
            (TlsMode::VerifyCa, SslMode::Require),
            (TlsMode::VerifyFull, SslMode::Require),
        ] {
            assert_eq!(settings(mode, RootCerts::System, false).ssl_mode(), driver, "{mode:?}");
        }
    }

    #[test]
    fn the_certificate_is_checked_as_libpq_checks_it() {
        for (mode, roots_given, check) in [
            (TlsMode::Prefer, false, Check::Nothing),
            (TlsMode::Require, false, Check::Nothing),
            (TlsMode::Prefer, true, Check::Chain),
            (TlsMode::Require, true, Check::Chain),
            (TlsMode::VerifyCa, false, Check::Chain),
            (TlsMode::VerifyFull, false, Check::Full),
            (TlsMode::VerifyFull, true, Check::Full),
        ] {
            let settings = settings(mode, RootCerts::System, roots_given);
            assert_eq!(settings.check(), check, "{mode:?} roots given: {roots_given}");
        }
    }

    #[test]
    fn bad_modes_are_refused_without_the_url() {
        for (url, reason) in [
            ("postgres://app:hunter2@db/app?sslmode=allow", "sslmode=allow is not supported"),
            ("postgres://app:hunter2@db/app?sslmode=verify", "sslmode 'verify' is not one of"),
            ("password=hunter2 sslmode=on", "sslmode 'on' is not one of"),
        ] {
            let error = TlsSettings::split(url).unwrap_err().to_string();
            assert!(error.contains(reason), "{url}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn connectors_are_built_from_the_roots_given() {
        let dir = std::env::temp_dir().join(format!("pg-tls-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let root = dir.join("root.pem");
        std::fs::write(&root, ROOT).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let file = |path: &std::path::Path| RootCerts::File(path.to_owned());

        for mode in [TlsMode::Disable, TlsMode::Prefer, TlsMode::Require] {
            settings(mode, RootCerts::System, false).connector().expect("no roots needed");
        }
        for mode in [TlsMode::Require, TlsMode::VerifyCa, TlsMode::VerifyFull] {
            settings(mode, file(&root), true).connector().expect("the root file");
        }
        let missing = dir.join("missing.pem");
        let error =
            settings(TlsMode::VerifyFull, file(&missing), true).connector().err().expect("refused");
        assert!(matches!(error, PgError::Tls(_)), "{error:?}");
        assert!(
            error.to_string().contains(&format!("sslrootcert {}", missing.display())),
            "{error}"
        );
        let error =
            settings(TlsMode::VerifyCa, file(&empty), true).connector().err().expect("refused");
        assert!(
            error.to_string().contains("no trusted root certificate in sslrootcert"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
