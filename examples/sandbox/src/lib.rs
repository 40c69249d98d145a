#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod config;
mod control_http;
mod credentials;
pub mod dataverse;
mod faults;
mod http_server;
mod ids;
pub mod ironclad;
mod json;
mod observe;
mod pdf;
mod seed;
mod seed_file;
mod signing;
mod timestamps;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::net::TcpListener;
use url::Url;
use uuid::Uuid;

pub use config::SandboxConfig;
pub use dataverse::{Agreement, DataverseControl, NewAgreement, Note, ServiceProtection};
pub use faults::{Fault, FaultSettings, Faults, Service};
pub use ironclad::{
    ChangedAttributes, Completion, DeliveryAttempt, DeliveryPolicy, DeliveryRecord, DeliveryStatus,
    IroncladControl, IroncladRateLimits, ReleaseOrder, TemplateSeed,
};
pub use json::{Json, JsonError, JsonObject};
pub use observe::RequestRecord;
pub use seed::{SeedData, SeededRows};
pub use seed_file::{SeedFile, SeedFileError};
pub use signing::SigningKeySource;

use dataverse::{DataverseAuth, DataverseState, Store, StoreLimits};
use http_server::{Front, ServerHandle};
use ironclad::{
    DeliveryHub, IroncladAuth, IroncladData, IroncladSettings, IroncladState, RateLimiter,
    Template, User,
};
use observe::RequestLog;
use signing::WebhookSigner;

/// Why the sandbox could not start, or why a control action was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A listener could not be bound.
    #[error("cannot listen on {addr} for the {service:?} emulator: {source}")]
    Bind {
        /// Which emulator.
        service: Service,
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The webhook signing key could not be loaded or generated.
    #[error("webhook signing key: {0}")]
    SigningKey(String),
    /// The HTTP client for webhook deliveries could not be built.
    #[error("webhook delivery client: {0}")]
    DeliveryClient(String),
    /// A control action was refused, with the error the real API would have answered.
    #[error("rejected with {status} {code}: {message}")]
    Rejected {
        /// HTTP status the API would answer.
        status: u16,
        /// The service's error code (`0x80040217`, `INVALID_STATE`, …).
        code: String,
        /// The service's message.
        message: String,
    },
}

/// Both emulators, running. Dropping it stops them; [`Sandbox::shutdown`] waits for that.
pub struct Sandbox {
    config: SandboxConfig,
    dataverse_url: Url,
    ironclad_url: Url,
    dataverse: Arc<DataverseState>,
    ironclad: Arc<IroncladState>,
    rate_limiter: Arc<RateLimiter>,
    dataverse_faults: Faults,
    ironclad_faults: Faults,
    dataverse_log: RequestLog,
    ironclad_log: RequestLog,
    seeded: Arc<std::sync::Mutex<SeededRows>>,
    servers: Vec<ServerHandle>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("dataverse_url", &self.dataverse_url.as_str())
            .field("ironclad_url", &self.ironclad_url.as_str())
            .field("msa_template_id", &self.config.msa_template_id)
            .finish_non_exhaustive()
    }
}

async fn bind(service: Service, addr: SocketAddr) -> Result<(TcpListener, Url), SandboxError> {
    let listener = TcpListener::bind(addr).await.map_err(|source| SandboxError::Bind {
        service,
        addr,
        source,
    })?;
    let local =
        listener.local_addr().map_err(|source| SandboxError::Bind { service, addr, source })?;
    let url = Url::parse(&format!("http://{local}/")).map_err(|e| SandboxError::Bind {
        service,
        addr,
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
    })?;
    Ok((listener, url))
}

impl Sandbox {
    /// Bind both emulators, seed them, and start serving.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), dataverse_ironclad_sandbox::SandboxError> {
    /// use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig};
    /// let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    /// println!("Dataverse at {}, Ironclad at {}", sandbox.dataverse_url(), sandbox.ironclad_base_url());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`SandboxError::Bind`] when a port is taken, [`SandboxError::SigningKey`] for a bad key.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let (dataverse_listener, dataverse_url) =
            bind(Service::Dataverse, config.dataverse_addr).await?;
        let (ironclad_listener, ironclad_url) =
            bind(Service::Ironclad, config.ironclad_addr).await?;

        let store = Store::new(
            config.schema.clone(),
            StoreLimits { max_upload_file_size: config.max_upload_file_size },
        );
        let auth = DataverseAuth::new(
            config.dataverse_token.clone(),
            config.tenant_id.clone(),
            config.dataverse_client_id.clone(),
            config.dataverse_client_secret.clone(),
            config.token_lifetime,
        );
        let dataverse = Arc::new(DataverseState::new(
            store,
            auth,
            dataverse_url.clone(),
            config.dataverse_service_protection.clone(),
        ));
        let dataverse_control = DataverseControl::new(dataverse.clone());
        let seeded = seed::seed_dataverse(&dataverse_control, config.seed)?;
        if let Some(seed_file) = &config.seed_file {
            for (entity_set, row) in seed_file.dataverse_rows() {
                dataverse_control.insert(entity_set, row).map_err(|error| match error {
                    SandboxError::Rejected { status, code, message } => SandboxError::Rejected {
                        status,
                        code,
                        message: format!("seed row of '{entity_set}': {message}"),
                    },
                    other => other,
                })?;
            }
        }
        let seeded = Arc::new(std::sync::Mutex::new(seeded));

        let ironclad = Arc::new(IroncladState {
            data: std::sync::Mutex::new(ironclad_data(&config)),
            base_url: ironclad_url.clone(),
            company_id: ids::object_id(),
            auth: IroncladAuth::new(
                config.ironclad_token.clone(),
                config.ironclad_client_id.clone(),
                config.ironclad_client_secret.clone(),
                config.token_lifetime,
            ),
            signer: WebhookSigner::new(&config.signing_key)?,
            deliveries: DeliveryHub::new(config.delivery_policy)
                .map_err(|e| SandboxError::DeliveryClient(e.to_string()))?,
            settings: IroncladSettings {
                signed_copy_size: config.signed_copy_size,
                async_polls: config.async_launch_polls,
                allow_http_loopback_targets: config.allow_http_webhook_targets,
            },
        });
        let rate_limiter = Arc::new(RateLimiter::new(config.ironclad_rate_limits));

        let dataverse_faults = Faults::new(FaultSettings::default(), config.fault_seed);
        let ironclad_faults =
            Faults::new(FaultSettings::default(), config.fault_seed.wrapping_add(1));
        let (dataverse_log, ironclad_log) = (RequestLog::default(), RequestLog::default());
        let gate_limiter = rate_limiter.clone();
        let ironclad_control = IroncladControl::new(ironclad.clone(), rate_limiter.clone());
        for template in config.seed_file.iter().flat_map(SeedFile::ironclad_templates) {
            ironclad_control.publish_template(template.clone()).map_err(|error| match error {
                SandboxError::Rejected { status, code, message } => SandboxError::Rejected {
                    status,
                    code,
                    message: format!("seed template '{}': {message}", template.id),
                },
                other => other,
            })?;
        }
        let control =
            |service: Service, token: &SecretString, faults: &Faults, log: &RequestLog| {
                control_http::router(control_http::ControlState {
                    service,
                    token: token.clone(),
                    faults: faults.clone(),
                    log: log.clone(),
                    dataverse: dataverse_control.clone(),
                    ironclad: ironclad_control.clone(),
                    seeded: seeded.clone(),
                })
            };
        let dataverse_router = dataverse::router(dataverse.clone()).merge(control(
            Service::Dataverse,
            &config.dataverse_token,
            &dataverse_faults,
            &dataverse_log,
        ));
        let ironclad_router = ironclad::router(ironclad.clone()).merge(control(
            Service::Ironclad,
            &config.ironclad_token,
            &ironclad_faults,
            &ironclad_log,
        ));
        let servers = vec![
            http_server::serve(
                dataverse_listener,
                Front {
                    service: Service::Dataverse,
                    router: dataverse_router,
                    faults: dataverse_faults.clone(),
                    log: dataverse_log.clone(),
                    fault_responder: dataverse::fault_response,
                    gate: None,
                },
            )
            .map_err(|source| SandboxError::Bind {
                service: Service::Dataverse,
                addr: config.dataverse_addr,
                source,
            })?,
            http_server::serve(
                ironclad_listener,
                Front {
                    service: Service::Ironclad,
                    router: ironclad_router,
                    faults: ironclad_faults.clone(),
                    log: ironclad_log.clone(),
                    fault_responder: ironclad::fault_response,
                    gate: Some(Arc::new(move |method, path| gate_limiter.check(method, path))),
                },
            )
            .map_err(|source| SandboxError::Bind {
                service: Service::Ironclad,
                addr: config.ironclad_addr,
                source,
            })?,
        ];
        Ok(Sandbox {
            config,
            dataverse_url,
            ironclad_url,
            dataverse,
            ironclad,
            rate_limiter,
            dataverse_faults,
            ironclad_faults,
            dataverse_log,
            ironclad_log,
            seeded,
            servers,
        })
    }

    /// The Dataverse environment URL (`http://127.0.0.1:<port>/`); the Web API lives under
    /// `api/data/v9.2/`.
    pub fn dataverse_url(&self) -> &Url {
        &self.dataverse_url
    }

    /// `{dataverse_url}api/data/v9.2/`.
    pub fn dataverse_api_url(&self) -> Url {
        self.dataverse_url.join("api/data/v9.2/").unwrap_or_else(|_| self.dataverse_url.clone())
    }

    /// The bearer token the Web API accepts.
    pub fn dataverse_token(&self) -> &SecretString {
        &self.config.dataverse_token
    }

    /// The Entra-like token endpoint: `{dataverse_url}{tenant}/oauth2/v2.0/token`.
    pub fn dataverse_token_url(&self) -> Url {
        let path = format!("{}/oauth2/v2.0/token", self.config.tenant_id);
        self.dataverse_url.join(&path).unwrap_or_else(|_| self.dataverse_url.clone())
    }

    /// The Entra tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.config.tenant_id
    }

    /// The Entra client id the token endpoint accepts.
    pub fn dataverse_client_id(&self) -> &str {
        &self.config.dataverse_client_id
    }

    /// The Entra client secret the token endpoint accepts.
    pub fn dataverse_client_secret(&self) -> &SecretString {
        &self.config.dataverse_client_secret
    }

    /// The Ironclad host root (`http://127.0.0.1:<port>/`); the API lives under
    /// `public/api/v1`, workflow pages at `workflow/{id}`.
    pub fn ironclad_base_url(&self) -> &Url {
        &self.ironclad_url
    }

    /// `{ironclad_base_url}public/api/v1/`.
    pub fn ironclad_api_url(&self) -> Url {
        self.ironclad_url.join("public/api/v1/").unwrap_or_else(|_| self.ironclad_url.clone())
    }

    /// The Ironclad legacy API token.
    pub fn ironclad_token(&self) -> &SecretString {
        &self.config.ironclad_token
    }

    /// `{ironclad_base_url}oauth/token`.
    pub fn ironclad_token_url(&self) -> Url {
        self.ironclad_url.join("oauth/token").unwrap_or_else(|_| self.ironclad_url.clone())
    }

    /// The Ironclad OAuth client id.
    pub fn ironclad_client_id(&self) -> &str {
        &self.config.ironclad_client_id
    }

    /// The Ironclad OAuth client secret.
    pub fn ironclad_client_secret(&self) -> &SecretString {
        &self.config.ironclad_client_secret
    }

    /// The MSA template id.
    pub fn msa_template_id(&self) -> &str {
        &self.config.msa_template_id
    }

    /// The email of the Ironclad user workflows are launched as.
    pub fn creator_email(&self) -> &str {
        &self.config.creator_email
    }

    /// `{ironclad_base_url}workflow/{id}`: the URL a flow writes back to the agreement.
    pub fn workflow_url(&self, workflow_id: &str) -> Url {
        self.ironclad_url
            .join(&format!("workflow/{workflow_id}"))
            .unwrap_or_else(|_| self.ironclad_url.clone())
    }

    /// Read and change Dataverse rows directly.
    pub fn dataverse(&self) -> DataverseControl {
        DataverseControl::new(self.dataverse.clone())
    }

    /// Act as Ironclad users and inspect workflows, records and webhook deliveries.
    pub fn ironclad(&self) -> IroncladControl {
        IroncladControl::new(self.ironclad.clone(), self.rate_limiter.clone())
    }

    /// The fault knobs of one service.
    pub fn faults(&self, service: Service) -> Faults {
        match service {
            Service::Dataverse => self.dataverse_faults.clone(),
            Service::Ironclad => self.ironclad_faults.clone(),
        }
    }

    fn log(&self, service: Service) -> &RequestLog {
        match service {
            Service::Dataverse => &self.dataverse_log,
            Service::Ironclad => &self.ironclad_log,
        }
    }

    /// Every request one service received, oldest first.
    pub fn requests(&self, service: Service) -> Vec<RequestRecord> {
        self.log(service).snapshot()
    }

    /// Request counts by route label (`POST /public/api/v1/workflows`, …).
    ///
    /// ```no_run
    /// # fn demo(sandbox: &dataverse_ironclad_sandbox::Sandbox) {
    /// use dataverse_ironclad_sandbox::Service;
    /// let launches = sandbox.request_counts(Service::Ironclad).get("POST /public/api/v1/workflows").copied();
    /// # }
    /// ```
    pub fn request_counts(&self, service: Service) -> BTreeMap<String, u64> {
        self.log(service).counts()
    }

    /// Forget the requests logged so far.
    pub fn clear_requests(&self, service: Service) {
        self.log(service).clear();
    }

    /// The ids of the rows seeded at start (and by [`Sandbox::bulk_create_agreements`]).
    pub fn seeded(&self) -> SeededRows {
        self.seeded.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Create `count` new MSA agreements linked to seeded opportunities (for the benchmark).
    ///
    /// # Errors
    /// [`SandboxError::Rejected`] if a row is refused (it should not be).
    pub fn bulk_create_agreements(&self, count: usize) -> Result<Vec<Uuid>, SandboxError> {
        let mut seeded = self.seeded.lock().unwrap_or_else(|p| p.into_inner());
        seed::bulk_agreements(&self.dataverse(), &mut seeded, count)
    }

    /// Stop both emulators: stop accepting, let in-flight requests finish (up to 5 s), cancel
    /// pending webhook deliveries.
    pub async fn shutdown(mut self) {
        self.ironclad.deliveries.shutdown();
        for server in std::mem::take(&mut self.servers) {
            server.shutdown(Duration::from_secs(5)).await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Dropping the server handles closes their stop channels, which stops them.
        self.ironclad.deliveries.shutdown();
    }
}

fn ironclad_data(config: &SandboxConfig) -> IroncladData {
    let user = |email: &str, name: &str| User {
        id: ids::object_id(),
        email: email.to_owned(),
        display_name: name.to_owned(),
    };
    IroncladData::new(
        vec![
            user(&config.creator_email, "Integration User"),
            user(ironclad::LEGAL_APPROVER_EMAIL, "Lena Legal"),
            user(ironclad::FINANCE_APPROVER_EMAIL, "Frank Finance"),
        ],
        vec![Template::msa(&config.msa_template_id)],
    )
}
