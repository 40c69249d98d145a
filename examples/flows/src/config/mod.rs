//! Settings of the Ironclad ⇄ Dynamics flows: the Agreement table's names from a TOML file, and
//! endpoints and secrets from the environment (or flags).
//!
//! The config file is optional and every key in it is optional; the defaults are the names of
//! spec 004 (see [`AgreementTable`]) and the attribute ids found in the MSA template (see
//! [`AttributeOverrides`]):
//!
//! ```toml
//! [agreement]
//! table = "cre6f_agreement"
//! entity_set = "cre6f_agreements"
//! msa_type_value = 1
//! opportunity_navigation = "cre6f_Opportunity"
//!
//! [attributes]
//! signer_name = "role05214514a05a417b9f952e014db84927"
//! ```
//!
//! Endpoints and secrets come from these variables (each also a flag, see the binaries'
//! `--help`):
//!
//! | variable | |
//! |---|---|
//! | `DATAVERSE_URL` | the environment URL, `https://contoso.crm.dynamics.com` |
//! | `DATAVERSE_TOKEN` | a bearer token, or else the three `AZURE_*` below |
//! | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` | an Entra application (client credentials) |
//! | `AZURE_AUTHORITY_HOST` | optional: a sovereign cloud's authority (`https://login.microsoftonline.us/`) |
//! | `IRONCLAD_BASE_URL` | the Ironclad host, `https://demo.ironcladapp.com` (a trailing `/public/api/v1` is accepted) |
//! | `IRONCLAD_TOKEN` | a legacy API token, or else the OAuth client below |
//! | `IRONCLAD_CLIENT_ID`, `IRONCLAD_CLIENT_SECRET` | an OAuth client-credentials app |
//! | `IRONCLAD_AS_USER_EMAIL` / `IRONCLAD_AS_USER_ID` | the user OAuth requests act as (required with OAuth) |
//! | `IRONCLAD_MSA_TEMPLATE_ID` | the MSA workflow template |
//! | `IRONCLAD_CREATOR_EMAIL` | the workflows' creator (required when launching with a legacy token) |
//!
//! A missing or malformed setting is a [`ConfigError`] whose `Display` is one line naming it.

#![deny(missing_docs)]

mod agreement;
mod duration;
mod env;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use crate::attributes::AttributeOverrides;
pub use agreement::AgreementTable;
pub use duration::parse_interval;
pub(crate) use env::secret;
pub use env::{
    DataverseArgs, DataverseAuth, DataverseSettings, IroncladArgs, IroncladAuth, IroncladSettings,
    TemplateArgs,
};

/// A setting that is missing or malformed. `Display` is one line that names the setting (the
/// variable, flag or config key) and never contains a secret.
///
/// ```
/// use flows::config::ConfigError;
///
/// let error = ConfigError::Missing { name: "DATAVERSE_URL", hint: "the Dataverse environment URL" };
/// assert_eq!(error.to_string(), "DATAVERSE_URL is not set (the Dataverse environment URL)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting is absent (or empty).
    #[error("{name} is not set ({hint})")]
    Missing {
        /// The variable (or flag) name.
        name: &'static str,
        /// What it should hold.
        hint: &'static str,
    },
    /// A setting has a value that cannot be used.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// The variable, flag or config key.
        name: String,
        /// Why.
        reason: String,
    },
    /// The config file cannot be read.
    #[error("cannot read the config file {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The config file is not valid TOML or has an unknown key.
    #[error("config file {}: line {line}: {reason}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the problem (0 when unknown).
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(name: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError::Invalid { name: name.into(), reason: one_line(&reason.into()) }
    }
}

pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The config file of the flows (`--config PATH`): the `[agreement]` section (the Dataverse
/// table) and the `[attributes]` section (Ironclad attribute ids that replace the ones found in
/// the MSA template).
///
/// ```
/// use flows::config::FlowsConfig;
///
/// let config = FlowsConfig::from_toml_str("[agreement]\nentity_set = \"new_agreements\"\n")?;
/// assert_eq!(config.agreement.entity_set, "new_agreements");
/// assert_eq!(config.agreement.id, "cre6f_agreementid"); // the rest keeps its default
/// # Ok::<(), flows::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct FlowsConfig {
    /// The Agreement table and its columns.
    pub agreement: AgreementTable,
    /// Ironclad attribute ids set by hand.
    pub attributes: AttributeOverrides,
}

impl FlowsConfig {
    /// Read the file at `path`, or the defaults when `path` is `None`.
    ///
    /// # Errors
    /// [`ConfigError::Read`], [`ConfigError::Syntax`] (with the line) or
    /// [`ConfigError::Invalid`] for a name that is not a Dataverse name.
    ///
    /// ```no_run
    /// use flows::config::FlowsConfig;
    ///
    /// let config = FlowsConfig::load(Some("flows.toml".as_ref()))?;
    /// println!("agreements in {}", config.agreement.entity_set);
    /// # Ok::<(), flows::config::ConfigError>(())
    /// ```
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else { return Ok(Self::default()) };
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            reason: one_line(&e.to_string()),
        })?;
        Self::parse(&text, path)
    }

    /// Parse a config document.
    ///
    /// # Errors
    /// As [`FlowsConfig::load`] (the path in the error is `<string>`).
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        Self::parse(text, Path::new("<string>"))
    }

    /// Parse and validate `text`, read from `path`.
    fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: FlowsConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            line: e.span().map_or(0, |span| line_of(text, span.start)),
            reason: one_line(e.message()),
        })?;
        config.agreement.validate()?;
        config.attributes.validate()?;
        Ok(config)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |head| head.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let error = FlowsConfig::from_toml_str("[agreement]\nentity_set = \"x\"\ncolour = 1\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 3"), "{error}");
        assert!(error.contains("colour"), "{error}");
        assert!(!error.contains('\n'));
    }

    #[test]
    fn a_file_that_does_not_exist_is_named() {
        let error = FlowsConfig::load(Some(Path::new("/nonexistent/flows.toml"))).unwrap_err();
        assert!(
            error.to_string().starts_with("cannot read the config file /nonexistent/flows.toml")
        );
    }

    #[test]
    fn attribute_ids_can_be_set() {
        let config = FlowsConfig::from_toml_str(
            "[attributes]\nsigner_email = \"role8b6358fbf5c841b99fa1a0d4e23c642a\"\n",
        )
        .unwrap();
        assert_eq!(
            config.attributes.signer_email.as_deref(),
            Some("role8b6358fbf5c841b99fa1a0d4e23c642a")
        );
        let error = FlowsConfig::from_toml_str("[attributes]\nsigner_emial = \"x\"\n").unwrap_err();
        assert!(error.to_string().contains("signer_emial"), "{error}");
        let error =
            FlowsConfig::from_toml_str("[attributes]\nsigner_email = \"a b\"\n").unwrap_err();
        assert!(error.to_string().starts_with("attributes.signer_email is invalid"), "{error}");
    }

    #[test]
    fn bad_names_in_the_file_are_refused() {
        let error = FlowsConfig::from_toml_str("[agreement]\nopportunity_navigation = \"a b\"\n")
            .unwrap_err();
        assert!(error.to_string().starts_with("agreement.opportunity_navigation is invalid"));
    }
}
