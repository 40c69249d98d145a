//! [`SandboxConfig`]: ports, credentials, template id, seed data and behaviour knobs.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use secrecy::SecretString;

use super::dataverse::DataverseSchema;
use super::dataverse::ServiceProtection;
use super::ids;
use super::ironclad::{DeliveryPolicy, IroncladRateLimits};
use super::seed::SeedData;
use super::seed_file::SeedFile;
use super::signing::SigningKeySource;

/// How to start a [`Sandbox`](super::Sandbox). Every field has a default; set the ones you need
/// with struct update syntax:
///
/// ```
/// use std::net::SocketAddr;
/// use dataverse_ironclad_sandbox::SandboxConfig;
/// let config = SandboxConfig {
///     dataverse_addr: "127.0.0.1:8081".parse::<SocketAddr>().unwrap(),
///     ironclad_addr: "127.0.0.1:8082".parse::<SocketAddr>().unwrap(),
///     ..SandboxConfig::default()
/// };
/// assert_eq!(config.msa_template_id.len(), 24);
/// ```
#[derive(Clone)]
pub struct SandboxConfig {
    /// Where the Dataverse emulator listens (port 0 = any free port). Keep it on loopback.
    pub dataverse_addr: SocketAddr,
    /// Where the Ironclad emulator listens.
    pub ironclad_addr: SocketAddr,
    /// The static bearer token the Web API accepts (random per config by default).
    pub dataverse_token: SecretString,
    /// The Ironclad legacy API token (random per config by default).
    pub ironclad_token: SecretString,
    /// The Entra tenant of the token endpoint `POST /{tenant}/oauth2/v2.0/token`.
    pub tenant_id: String,
    /// The Entra application (client) id.
    pub dataverse_client_id: String,
    /// The Entra client secret.
    pub dataverse_client_secret: SecretString,
    /// The Ironclad OAuth client id (`POST /oauth/token`).
    pub ironclad_client_id: String,
    /// The Ironclad OAuth client secret.
    pub ironclad_client_secret: SecretString,
    /// Lifetime of tokens issued by both token endpoints.
    pub token_lifetime: Duration,
    /// The MSA workflow template id (24 hex characters, like a real one).
    pub msa_template_id: String,
    /// The Ironclad user workflows are launched as (`creator`).
    pub creator_email: String,
    /// The Dataverse tables.
    pub schema: DataverseSchema,
    /// `MaxUploadFileSize`: the largest base64 note document, in bytes (default 5 MB, as
    /// <https://learn.microsoft.com/power-apps/developer/data-platform/attachment-annotation-files> states).
    pub max_upload_file_size: usize,
    /// Which rows exist at start.
    pub seed: SeedData,
    /// More rows (and Ironclad templates) to create at start, after [`SandboxConfig::seed`].
    pub seed_file: Option<SeedFile>,
    /// Seed of the fault-injection random sequence of both services.
    pub fault_seed: u64,
    /// Webhook retry policy (default [`DeliveryPolicy::fast`]; [`DeliveryPolicy::default`] is
    /// Ironclad's real, hours-long policy).
    pub delivery_policy: DeliveryPolicy,
    /// The key deliveries are signed with.
    pub signing_key: SigningKeySource,
    /// Size in bytes of the signed-copy PDF of a completed workflow (0 = about 1 KB).
    pub signed_copy_size: u64,
    /// Ironclad's per-bucket rate limits (`None` = off, the default).
    pub ironclad_rate_limits: Option<IroncladRateLimits>,
    /// Dataverse's service protection limits per user (`None` = off, the default).
    pub dataverse_service_protection: Option<ServiceProtection>,
    /// How many polls of an async launch answer `in_progress` before the result.
    pub async_launch_polls: u32,
    /// Accept `http://` webhook targets on loopback (Ironclad itself wants HTTPS).
    pub allow_http_webhook_targets: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        Self {
            dataverse_addr: loopback,
            ironclad_addr: loopback,
            dataverse_token: SecretString::from(format!(
                "sandbox-dataverse-{}",
                ids::random_token(32)
            )),
            ironclad_token: SecretString::from(format!(
                "sandbox-ironclad-{}",
                ids::random_token(32)
            )),
            tenant_id: "00000000-0000-4000-8000-00000000a11d".to_owned(),
            dataverse_client_id: "11111111-2222-4333-8444-555555555555".to_owned(),
            dataverse_client_secret: SecretString::from(ids::random_token(40)),
            ironclad_client_id: "sandbox-ironclad-client".to_owned(),
            ironclad_client_secret: SecretString::from(ids::random_token(40)),
            token_lifetime: Duration::from_secs(3599),
            msa_template_id: "6063ac9e01a5542dafa3722b".to_owned(),
            creator_email: "integration@sandbox.example".to_owned(),
            schema: DataverseSchema::default(),
            max_upload_file_size: 5 * 1024 * 1024,
            seed: SeedData::default(),
            seed_file: None,
            fault_seed: 0x5eed,
            delivery_policy: DeliveryPolicy::fast(),
            signing_key: SigningKeySource::default(),
            signed_copy_size: 0,
            ironclad_rate_limits: None,
            dataverse_service_protection: None,
            async_launch_polls: 1,
            allow_http_webhook_targets: true,
        }
    }
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens and client secrets never print.
        f.debug_struct("SandboxConfig")
            .field("dataverse_addr", &self.dataverse_addr)
            .field("ironclad_addr", &self.ironclad_addr)
            .field("tenant_id", &self.tenant_id)
            .field("dataverse_client_id", &self.dataverse_client_id)
            .field("ironclad_client_id", &self.ironclad_client_id)
            .field("token_lifetime", &self.token_lifetime)
            .field("msa_template_id", &self.msa_template_id)
            .field("creator_email", &self.creator_email)
            .field("max_upload_file_size", &self.max_upload_file_size)
            .field("seed", &self.seed)
            .field("seed_file", &self.seed_file.as_ref().map(|f| f.dataverse_rows().len()))
            .field("fault_seed", &self.fault_seed)
            .field("delivery_policy", &self.delivery_policy)
            .field("signing_key", &self.signing_key)
            .field("signed_copy_size", &self.signed_copy_size)
            .field("ironclad_rate_limits", &self.ironclad_rate_limits)
            .field("dataverse_service_protection", &self.dataverse_service_protection)
            .field("async_launch_polls", &self.async_launch_polls)
            .field("allow_http_webhook_targets", &self.allow_http_webhook_targets)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn debug_hides_every_secret() {
        let config = SandboxConfig::default();
        let printed = format!("{config:?}");
        for secret in [
            config.dataverse_token.expose_secret(),
            config.ironclad_token.expose_secret(),
            config.dataverse_client_secret.expose_secret(),
            config.ironclad_client_secret.expose_secret(),
        ] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("msa_template_id"));
    }
}
