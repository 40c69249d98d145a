//! Endpoints and secrets from the environment (or flags, through clap's `env`).
//!
//! Each binary flattens [`DataverseArgs`], [`IroncladArgs`] and [`TemplateArgs`] into its
//! command line, so its `--help` lists every variable, and resolves them into settings here,
//! where a missing or malformed value becomes a one-line [`ConfigError`] naming the variable.

use ironclad_client::workflows::{TemplateId, WorkflowId};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::ConfigError;

/// Keep a secret out of `Debug` from the moment clap reads it.
pub(crate) fn secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value.to_owned()))
}

/// A set, non-empty value.
fn present(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn present_secret(value: Option<&SecretString>) -> Option<&SecretString> {
    value.filter(|v| !v.expose_secret().trim().is_empty())
}

/// The Dataverse environment and its credentials.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DataverseArgs {
    /// The Dataverse environment URL, e.g. `https://contoso.crm.dynamics.com`.
    #[arg(
        long,
        env = "DATAVERSE_URL",
        value_name = "URL",
        help = "The Dataverse environment URL, e.g. https://contoso.crm.dynamics.com"
    )]
    pub dataverse_url: Option<String>,

    /// A bearer token for the Web API (else the Entra application AZURE_*)
    #[arg(long, env = "DATAVERSE_TOKEN", value_name = "TOKEN", value_parser = secret, hide_env_values = true)]
    pub dataverse_token: Option<SecretString>,

    /// The Entra tenant (directory) id of the application
    #[arg(long, env = "AZURE_TENANT_ID", value_name = "ID")]
    pub azure_tenant_id: Option<String>,

    /// The Entra application (client) id, registered as an application user in Dataverse
    #[arg(long, env = "AZURE_CLIENT_ID", value_name = "ID")]
    pub azure_client_id: Option<String>,

    /// The Entra application's client secret
    #[arg(long, env = "AZURE_CLIENT_SECRET", value_name = "SECRET", value_parser = secret, hide_env_values = true)]
    pub azure_client_secret: Option<SecretString>,

    /// Another Entra authority host (a sovereign cloud), e.g. `https://login.microsoftonline.us/`.
    #[arg(
        long,
        env = "AZURE_AUTHORITY_HOST",
        value_name = "URL",
        help = "Another Entra authority host (a sovereign cloud), e.g. https://login.microsoftonline.us/"
    )]
    pub azure_authority_host: Option<String>,
}

/// How the flows authenticate to Dataverse. `Debug` never shows a secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DataverseAuth {
    /// A bearer token (`DATAVERSE_TOKEN`).
    Token(SecretString),
    /// An Entra application's client credentials (`AZURE_*`).
    ClientSecret {
        /// `AZURE_TENANT_ID`.
        tenant_id: String,
        /// `AZURE_CLIENT_ID`.
        client_id: String,
        /// `AZURE_CLIENT_SECRET`.
        client_secret: SecretString,
        /// `AZURE_AUTHORITY_HOST`, when not the public cloud.
        authority_host: Option<Url>,
    },
}

/// Where Dataverse is and how to authenticate.
///
/// ```
/// use flows::config::{DataverseArgs, DataverseSettings};
///
/// let args = DataverseArgs {
///     dataverse_url: Some("https://contoso.crm.dynamics.com/api/data/v9.2/".into()),
///     dataverse_token: Some("token".to_owned().into()),
///     ..DataverseArgs::default()
/// };
/// let settings = DataverseSettings::from_args(&args)?;
/// assert_eq!(settings.url.as_str(), "https://contoso.crm.dynamics.com/");
/// # Ok::<(), flows::config::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DataverseSettings {
    /// The environment URL (a trailing `/api/data/v9.x` is removed).
    pub url: Url,
    /// The credentials.
    pub auth: DataverseAuth,
}

impl DataverseSettings {
    /// Resolve and check the settings.
    ///
    /// # Errors
    /// A one-line [`ConfigError`] naming the missing or malformed variable.
    pub fn from_args(args: &DataverseArgs) -> Result<Self, ConfigError> {
        let url = present(args.dataverse_url.as_ref()).ok_or(ConfigError::Missing {
            name: "DATAVERSE_URL",
            hint: "the Dataverse environment URL, e.g. https://contoso.crm.dynamics.com",
        })?;
        let url = environment_url(url)?;
        let auth = if let Some(token) = present_secret(args.dataverse_token.as_ref()) {
            DataverseAuth::Token(token.clone())
        } else {
            let tenant = present(args.azure_tenant_id.as_ref());
            let client = present(args.azure_client_id.as_ref());
            let secret = present_secret(args.azure_client_secret.as_ref());
            match (tenant, client, secret) {
                (None, None, None) => {
                    return Err(ConfigError::Missing {
                        name: "DATAVERSE_TOKEN",
                        hint: "or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET",
                    });
                }
                (None, _, _) => return Err(missing_azure("AZURE_TENANT_ID")),
                (_, None, _) => return Err(missing_azure("AZURE_CLIENT_ID")),
                (_, _, None) => return Err(missing_azure("AZURE_CLIENT_SECRET")),
                (Some(tenant), Some(client), Some(secret)) => DataverseAuth::ClientSecret {
                    tenant_id: tenant.to_owned(),
                    client_id: client.to_owned(),
                    client_secret: secret.clone(),
                    authority_host: present(args.azure_authority_host.as_ref())
                        .map(|host| http_url("AZURE_AUTHORITY_HOST", host))
                        .transpose()?,
                },
            }
        };
        Ok(Self { url, auth })
    }

    /// A client builder with these settings; add a retry policy or timeouts, then `build()`.
    pub fn client_builder(&self) -> dataverse_client::ClientBuilder {
        let builder = dataverse_client::Client::builder(self.url.as_str())
            .user_agent(concat!("dataverse-ironclad-flows/", env!("CARGO_PKG_VERSION")));
        match &self.auth {
            DataverseAuth::Token(token) => {
                builder.credential(dataverse_client::auth::StaticToken::new(token.expose_secret()))
            }
            DataverseAuth::ClientSecret { tenant_id, client_id, client_secret, authority_host } => {
                let mut credential = dataverse_client::auth::ClientSecretCredential::new(
                    tenant_id,
                    client_id,
                    client_secret.expose_secret(),
                );
                if let Some(host) = authority_host {
                    credential = credential.authority_host(host.clone());
                }
                builder.credential(credential)
            }
        }
    }

    /// The client.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `DATAVERSE_URL` when the client refuses the URL (plain
    /// `http://` to a host that is not loopback).
    ///
    /// ```
    /// # use flows::config::{DataverseArgs, DataverseSettings};
    /// let args = DataverseArgs {
    ///     dataverse_url: Some("https://contoso.crm.dynamics.com".into()),
    ///     dataverse_token: Some("token".to_owned().into()),
    ///     ..DataverseArgs::default()
    /// };
    /// let client = DataverseSettings::from_args(&args)?.client()?;
    /// assert_eq!(client.api_base().as_str(), "https://contoso.crm.dynamics.com/api/data/v9.2/");
    /// # Ok::<(), flows::config::ConfigError>(())
    /// ```
    pub fn client(&self) -> Result<dataverse_client::Client, ConfigError> {
        self.client_builder()
            .build()
            .map_err(|e| ConfigError::invalid("DATAVERSE_URL", e.to_string()))
    }
}

fn missing_azure(name: &'static str) -> ConfigError {
    ConfigError::Missing {
        name,
        hint: "the Entra application needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET; or set DATAVERSE_TOKEN",
    }
}

fn http_url(name: &str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text).map_err(|e| ConfigError::invalid(name, format!("{text:?}: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(ConfigError::invalid(name, format!("{text:?} is not an http(s) URL")));
    }
    if url.scheme() == "http" && !rest_client_core::is_loopback(&url) {
        return Err(ConfigError::invalid(
            name,
            format!("{text:?} must use https (plain http is allowed to loopback only)"),
        ));
    }
    Ok(url)
}

/// `https://org.crm.dynamics.com[/api/data/v9.2]` → `https://org.crm.dynamics.com/`.
fn environment_url(text: &str) -> Result<Url, ConfigError> {
    let mut url = http_url("DATAVERSE_URL", text)?;
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_owned();
    let root = match path.rfind("/api/data") {
        Some(at) => path[..at].to_owned(),
        None => path,
    };
    url.set_path(&format!("{root}/"));
    Ok(url)
}

/// The Ironclad host and its credentials.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct IroncladArgs {
    /// The Ironclad host, e.g. `https://demo.ironcladapp.com` (a trailing `/public/api/v1` is
    /// accepted).
    #[arg(
        long,
        env = "IRONCLAD_BASE_URL",
        value_name = "URL",
        help = "The Ironclad host, e.g. https://demo.ironcladapp.com (a trailing /public/api/v1 is accepted)"
    )]
    pub ironclad_base_url: Option<String>,

    /// A legacy Ironclad API token (else the OAuth client IRONCLAD_CLIENT_ID/SECRET)
    #[arg(long, env = "IRONCLAD_TOKEN", value_name = "TOKEN", value_parser = secret, hide_env_values = true)]
    pub ironclad_token: Option<SecretString>,

    /// An Ironclad OAuth client id (client-credentials grant)
    #[arg(long, env = "IRONCLAD_CLIENT_ID", value_name = "ID")]
    pub ironclad_client_id: Option<String>,

    /// The Ironclad OAuth client secret
    #[arg(long, env = "IRONCLAD_CLIENT_SECRET", value_name = "SECRET", value_parser = secret, hide_env_values = true)]
    pub ironclad_client_secret: Option<SecretString>,

    /// The Ironclad user OAuth requests act as (x-as-user-email; required with OAuth)
    #[arg(long, env = "IRONCLAD_AS_USER_EMAIL", value_name = "EMAIL")]
    pub ironclad_as_user_email: Option<String>,

    /// The Ironclad user id OAuth requests act as (x-as-user-id), instead of the email
    #[arg(long, env = "IRONCLAD_AS_USER_ID", value_name = "ID")]
    pub ironclad_as_user_id: Option<String>,
}

/// How the flows authenticate to Ironclad. `Debug` never shows a secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum IroncladAuth {
    /// A legacy API token (`IRONCLAD_TOKEN`); launches need an explicit creator.
    Token(SecretString),
    /// An OAuth client-credentials app (`IRONCLAD_CLIENT_ID` / `IRONCLAD_CLIENT_SECRET`).
    ClientCredentials {
        /// `IRONCLAD_CLIENT_ID`.
        client_id: String,
        /// `IRONCLAD_CLIENT_SECRET`.
        client_secret: SecretString,
    },
}

/// Where Ironclad is, how to authenticate, and who requests act as.
///
/// ```
/// use flows::config::{IroncladArgs, IroncladSettings};
///
/// let args = IroncladArgs {
///     ironclad_base_url: Some("https://demo.ironcladapp.com/public/api/v1".into()),
///     ironclad_token: Some("token".to_owned().into()),
///     ..IroncladArgs::default()
/// };
/// let settings = IroncladSettings::from_args(&args)?;
/// assert_eq!(settings.environment.root().as_str(), "https://demo.ironcladapp.com/");
/// assert_eq!(settings.workflow_url("6a6b").as_str(), "https://demo.ironcladapp.com/workflow/6a6b");
/// # Ok::<(), flows::config::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IroncladSettings {
    /// The host (`IRONCLAD_BASE_URL` without `/public/api/v1`).
    pub environment: ironclad_client::config::Environment,
    /// The credentials.
    pub auth: IroncladAuth,
    /// Who requests act as (`IRONCLAD_AS_USER_EMAIL` / `IRONCLAD_AS_USER_ID`).
    pub acting_user: Option<ironclad_client::auth::ActingUser>,
}

impl IroncladSettings {
    /// Resolve and check the settings.
    ///
    /// # Errors
    /// A one-line [`ConfigError`] naming the missing or malformed variable.
    pub fn from_args(args: &IroncladArgs) -> Result<Self, ConfigError> {
        let base = present(args.ironclad_base_url.as_ref()).ok_or(ConfigError::Missing {
            name: "IRONCLAD_BASE_URL",
            hint: "the Ironclad host, e.g. https://demo.ironcladapp.com",
        })?;
        http_url("IRONCLAD_BASE_URL", base)?;
        let environment = ironclad_client::config::Environment::custom(base)
            .map_err(|e| ConfigError::invalid("IRONCLAD_BASE_URL", e.to_string()))?;
        let acting_user = match (
            present(args.ironclad_as_user_email.as_ref()),
            present(args.ironclad_as_user_id.as_ref()),
        ) {
            (Some(email), _) if !email.contains('@') => {
                return Err(ConfigError::invalid(
                    "IRONCLAD_AS_USER_EMAIL",
                    format!("{email:?} is not an email address"),
                ));
            }
            (Some(email), _) => Some(ironclad_client::auth::ActingUser::email(header_value(
                "IRONCLAD_AS_USER_EMAIL",
                email,
            )?)),
            (None, Some(id)) => Some(ironclad_client::auth::ActingUser::id(header_value(
                "IRONCLAD_AS_USER_ID",
                id,
            )?)),
            (None, None) => None,
        };
        let auth = if let Some(token) = present_secret(args.ironclad_token.as_ref()) {
            IroncladAuth::Token(token.clone())
        } else {
            match (
                present(args.ironclad_client_id.as_ref()),
                present_secret(args.ironclad_client_secret.as_ref()),
            ) {
                (None, None) => {
                    return Err(ConfigError::Missing {
                        name: "IRONCLAD_TOKEN",
                        hint: "or set IRONCLAD_CLIENT_ID and IRONCLAD_CLIENT_SECRET with IRONCLAD_AS_USER_EMAIL",
                    });
                }
                (None, Some(_)) => return Err(missing_oauth("IRONCLAD_CLIENT_ID")),
                (Some(_), None) => return Err(missing_oauth("IRONCLAD_CLIENT_SECRET")),
                (Some(id), Some(secret)) => {
                    if acting_user.is_none() {
                        return Err(ConfigError::Missing {
                            name: "IRONCLAD_AS_USER_EMAIL",
                            hint: "OAuth client-credentials requests act as a user; or set IRONCLAD_AS_USER_ID",
                        });
                    }
                    IroncladAuth::ClientCredentials {
                        client_id: id.to_owned(),
                        client_secret: secret.clone(),
                    }
                }
            }
        };
        Ok(Self { environment, auth, acting_user })
    }

    /// Whether this is a legacy token, which needs an explicit workflow creator.
    pub fn is_legacy_token(&self) -> bool {
        matches!(self.auth, IroncladAuth::Token(_))
    }

    /// `{IRONCLAD_BASE_URL}/workflow/{id}`: the workflow's page, written back to the Agreement.
    pub fn workflow_url(&self, workflow_id: impl Into<WorkflowId>) -> Url {
        self.environment.workflow_browser_url(workflow_id)
    }

    /// A client builder with these settings; OAuth tokens ask for `scopes`. Add rate limits or a
    /// retry policy, then `build()`.
    pub fn client_builder(&self, scopes: &[&str]) -> ironclad_client::ClientBuilder {
        let credentials: ironclad_client::auth::Credentials = match &self.auth {
            IroncladAuth::Token(token) => {
                ironclad_client::auth::Credentials::api_token(token.expose_secret())
            }
            IroncladAuth::ClientCredentials { client_id, client_secret } => {
                ironclad_client::auth::ClientCredentials::new(
                    client_id,
                    client_secret.expose_secret(),
                )
                .scopes(scopes.iter().copied())
                .into()
            }
        };
        let mut builder = ironclad_client::Client::builder()
            .environment(self.environment.clone())
            .credential(credentials)
            .user_agent(concat!("dataverse-ironclad-flows/", env!("CARGO_PKG_VERSION")));
        if let Some(user) = &self.acting_user {
            builder = builder.acting_user(user.clone());
        }
        builder
    }

    /// The client.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable the client refuses.
    ///
    /// ```
    /// # use flows::config::{IroncladArgs, IroncladSettings};
    /// let args = IroncladArgs {
    ///     ironclad_base_url: Some("https://demo.ironcladapp.com".into()),
    ///     ironclad_token: Some("token".to_owned().into()),
    ///     ..IroncladArgs::default()
    /// };
    /// let client = IroncladSettings::from_args(&args)?.client(&["public.workflows.readWorkflows"])?;
    /// assert_eq!(client.api_base().as_str(), "https://demo.ironcladapp.com/public/api/v1/");
    /// # Ok::<(), flows::config::ConfigError>(())
    /// ```
    pub fn client(&self, scopes: &[&str]) -> Result<ironclad_client::Client, ConfigError> {
        self.client_builder(scopes).build().map_err(|e| self.client_error(&e))
    }

    /// Name the variable behind a client build error (the acting user was checked by
    /// [`IroncladSettings::from_args`]).
    pub fn client_error(&self, error: &ironclad_client::Error) -> ConfigError {
        let name = match error {
            ironclad_client::Error::InvalidToken(_) => "IRONCLAD_TOKEN",
            _ => "IRONCLAD_BASE_URL",
        };
        ConfigError::invalid(name, error.to_string())
    }
}

/// A value sent as an HTTP header (`x-as-user-email` / `x-as-user-id`): checked here so that
/// a control character is an error naming its variable, not a client build error.
fn header_value<'a>(name: &str, value: &'a str) -> Result<&'a str, ConfigError> {
    http::HeaderValue::from_str(value).map(|_| value).map_err(|_| {
        ConfigError::invalid(name, format!("{value:?} cannot be sent in an HTTP header"))
    })
}

fn missing_oauth(name: &'static str) -> ConfigError {
    ConfigError::Missing {
        name,
        hint: "the OAuth client needs IRONCLAD_CLIENT_ID and IRONCLAD_CLIENT_SECRET; or set IRONCLAD_TOKEN",
    }
}

/// The MSA template and the workflows' creator.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TemplateArgs {
    /// The id of the MSA workflow template
    #[arg(long, env = "IRONCLAD_MSA_TEMPLATE_ID", value_name = "ID")]
    pub ironclad_msa_template_id: Option<String>,

    /// The Ironclad user who launches the workflows (required with a legacy IRONCLAD_TOKEN)
    #[arg(long, env = "IRONCLAD_CREATOR_EMAIL", value_name = "EMAIL")]
    pub ironclad_creator_email: Option<String>,
}

impl TemplateArgs {
    /// The MSA template id.
    ///
    /// # Errors
    /// [`ConfigError`] naming `IRONCLAD_MSA_TEMPLATE_ID` when missing or not an id.
    ///
    /// ```
    /// use flows::config::TemplateArgs;
    ///
    /// let args = TemplateArgs { ironclad_msa_template_id: Some("6063ac9e01a5542dafa3722b".into()), ..TemplateArgs::default() };
    /// assert_eq!(args.template_id()?, "6063ac9e01a5542dafa3722b");
    /// assert_eq!(args.creator_email(false)?, None);
    /// # Ok::<(), flows::config::ConfigError>(())
    /// ```
    pub fn template_id(&self) -> Result<TemplateId, ConfigError> {
        let id = present(self.ironclad_msa_template_id.as_ref()).ok_or(ConfigError::Missing {
            name: "IRONCLAD_MSA_TEMPLATE_ID",
            hint: "the id of the MSA workflow template",
        })?;
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ConfigError::invalid(
                "IRONCLAD_MSA_TEMPLATE_ID",
                format!("{id:?} is not a template id (letters, digits, - and _)"),
            ));
        }
        Ok(TemplateId::from(id))
    }

    /// The creator of launched workflows: required with a legacy token (Ironclad needs
    /// `creator` then), ignored by Ironclad with OAuth (so `None` is fine there).
    ///
    /// # Errors
    /// [`ConfigError`] naming `IRONCLAD_CREATOR_EMAIL`.
    pub fn creator_email(&self, required: bool) -> Result<Option<String>, ConfigError> {
        match present(self.ironclad_creator_email.as_ref()) {
            Some(email) if !email.contains('@') => Err(ConfigError::invalid(
                "IRONCLAD_CREATOR_EMAIL",
                format!("{email:?} is not an email address"),
            )),
            Some(email) => Ok(Some(email.to_owned())),
            None if required => Err(ConfigError::Missing {
                name: "IRONCLAD_CREATOR_EMAIL",
                hint: "a legacy IRONCLAD_TOKEN launches workflows on behalf of this Ironclad user",
            }),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataverse(url: &str) -> DataverseArgs {
        DataverseArgs {
            dataverse_url: Some(url.to_owned()),
            dataverse_token: Some(SecretString::from("dv-token-XYZ")),
            ..DataverseArgs::default()
        }
    }

    #[test]
    fn dataverse_url_is_checked_and_normalised() {
        let settings = DataverseSettings::from_args(&dataverse("http://127.0.0.1:8081")).unwrap();
        assert_eq!(settings.url.as_str(), "http://127.0.0.1:8081/");
        let error = DataverseSettings::from_args(&dataverse("http://contoso.example")).unwrap_err();
        assert!(error.to_string().starts_with("DATAVERSE_URL is invalid"), "{error}");
        let error = DataverseSettings::from_args(&dataverse("not a url")).unwrap_err();
        assert!(error.to_string().starts_with("DATAVERSE_URL is invalid"), "{error}");
        let error = DataverseSettings::from_args(&DataverseArgs::default()).unwrap_err();
        assert!(error.to_string().starts_with("DATAVERSE_URL is not set"), "{error}");
    }

    #[test]
    fn dataverse_needs_a_token_or_all_three_azure_settings() {
        let mut args = dataverse("https://contoso.crm.dynamics.com");
        args.dataverse_token = None;
        let error = DataverseSettings::from_args(&args).unwrap_err();
        assert!(error.to_string().starts_with("DATAVERSE_TOKEN is not set"));
        args.azure_tenant_id = Some("tenant".into());
        args.azure_client_id = Some("app".into());
        let error = DataverseSettings::from_args(&args).unwrap_err();
        assert!(error.to_string().starts_with("AZURE_CLIENT_SECRET is not set"), "{error}");
        args.azure_client_secret = Some(SecretString::from("azure-secret-XYZ"));
        let settings = DataverseSettings::from_args(&args).unwrap();
        assert!(matches!(settings.auth, DataverseAuth::ClientSecret { .. }));
        let printed = format!("{settings:?}{args:?}");
        assert!(!printed.contains("azure-secret-XYZ"), "{printed}");
    }

    #[test]
    fn ironclad_oauth_needs_an_acting_user_and_secrets_never_print() {
        let mut args = IroncladArgs {
            ironclad_base_url: Some("https://demo.ironcladapp.com".into()),
            ironclad_client_id: Some("client".into()),
            ironclad_client_secret: Some(SecretString::from("ic-secret-XYZ")),
            ..IroncladArgs::default()
        };
        let error = IroncladSettings::from_args(&args).unwrap_err();
        assert!(error.to_string().starts_with("IRONCLAD_AS_USER_EMAIL is not set"), "{error}");
        args.ironclad_as_user_email = Some("bot@example.com".into());
        let settings = IroncladSettings::from_args(&args).unwrap();
        assert!(!settings.is_legacy_token());
        assert!(!format!("{settings:?}{args:?}").contains("ic-secret-XYZ"));
        args.ironclad_token = Some(SecretString::from("ic-token-XYZ"));
        let settings = IroncladSettings::from_args(&args).unwrap();
        assert!(settings.is_legacy_token());
        assert!(!format!("{settings:?}{args:?}").contains("ic-token-XYZ"));
    }

    #[test]
    fn an_acting_user_that_cannot_be_a_header_is_named() {
        for (variable, email, id) in [
            ("IRONCLAD_AS_USER_EMAIL", Some("bot@example.com\nx-evil: 1"), None),
            ("IRONCLAD_AS_USER_ID", None, Some("5f0375c4\u{7f}")),
        ] {
            let args = IroncladArgs {
                ironclad_base_url: Some("https://demo.ironcladapp.com".into()),
                ironclad_token: Some(SecretString::from("t")),
                ironclad_as_user_email: email.map(str::to_owned),
                ironclad_as_user_id: id.map(str::to_owned),
                ..IroncladArgs::default()
            };
            let error = IroncladSettings::from_args(&args)
                .and_then(|settings| settings.client(&[]).map(drop))
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(&format!("{variable} is invalid")), "{error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn ironclad_base_url_must_be_https_except_to_loopback() {
        let args = |url: &str| IroncladArgs {
            ironclad_base_url: Some(url.into()),
            ironclad_token: Some(SecretString::from("t")),
            ..IroncladArgs::default()
        };
        assert!(IroncladSettings::from_args(&args("http://127.0.0.1:9000")).is_ok());
        let error = IroncladSettings::from_args(&args("http://ironclad.example")).unwrap_err();
        assert!(error.to_string().starts_with("IRONCLAD_BASE_URL is invalid"));
        let error = IroncladSettings::from_args(&IroncladArgs::default()).unwrap_err();
        assert!(error.to_string().starts_with("IRONCLAD_BASE_URL is not set"));
    }

    #[test]
    fn template_and_creator() {
        let mut args = TemplateArgs::default();
        assert!(
            args.template_id().unwrap_err().to_string().starts_with("IRONCLAD_MSA_TEMPLATE_ID")
        );
        args.ironclad_msa_template_id = Some("6063ac9e01a5542dafa3722b".into());
        assert_eq!(args.template_id().unwrap(), "6063ac9e01a5542dafa3722b");
        args.ironclad_msa_template_id = Some("x'y".into());
        assert!(args.template_id().is_err());
        assert_eq!(args.creator_email(false).unwrap(), None);
        assert!(
            args.creator_email(true).unwrap_err().to_string().starts_with("IRONCLAD_CREATOR_EMAIL")
        );
        args.ironclad_creator_email = Some("nobody".into());
        assert!(args.creator_email(false).is_err());
    }
}
