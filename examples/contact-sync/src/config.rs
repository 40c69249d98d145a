//! The connections file: which connections exist, how their columns map to user fields, whether
//! unknown contacts create users, and how a registered Dataverse webhook authenticates.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use dataverse_webhook_types::{DEFAULT_MAX_BODY_BYTES, WebhookAuth, WebhookConfig};
use secrecy::SecretString;
use serde::Deserialize;

use super::mapping::FieldMappings;

/// The id of a CRM connection: the last segment of
/// `POST /api/crm/webhook/dynamics/{connection_id}`.
///
/// 1 to 128 URL-unreserved characters (letters, digits, `-`, `.`, `_`, `~`), so it goes into a
/// URL path as is; `.` and `..` are refused.
///
/// ```
/// use contact_sync::ConnectionId;
///
/// let id = ConnectionId::parse("3f2c9a1e-contoso")?;
/// assert_eq!(id.as_str(), "3f2c9a1e-contoso");
/// assert!(ConnectionId::parse("a/b").is_err());
/// # Ok::<(), contact_sync::InvalidConnectionId>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(String);

/// A connection id that cannot be used; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("connection id {id:?} is invalid: {reason}")]
pub struct InvalidConnectionId {
    id: String,
    reason: &'static str,
}

impl ConnectionId {
    /// Check and wrap a connection id.
    ///
    /// # Errors
    /// When it is empty, longer than 128 characters, `.`/`..`, or has a character that is not
    /// URL-unreserved.
    pub fn parse(id: &str) -> Result<Self, InvalidConnectionId> {
        let invalid = |reason| InvalidConnectionId { id: id.to_owned(), reason };
        if id.is_empty() {
            return Err(invalid("it is empty"));
        }
        if id.len() > 128 {
            return Err(invalid("it is longer than 128 characters"));
        }
        if id == "." || id == ".." {
            return Err(invalid("`.` and `..` are path segments, not ids"));
        }
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        {
            return Err(invalid("use only letters, digits, `-`, `.`, `_` and `~`"));
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One CRM connection: a Power Automate flow or a registered webhook posting to
/// `/api/crm/webhook/dynamics/{id}`.
///
/// ```
/// use dataverse_webhook_types::WebhookAuth;
/// use contact_sync::{Connection, ConnectionId};
///
/// let connection = Connection::new(ConnectionId::parse("contoso")?, "Contoso")
///     .with_auto_create(true)
///     .with_auth(WebhookAuth::webhook_key("function-key")?);
/// assert!(connection.auto_create());
/// assert_eq!(connection.webhook().auth().kind(), "WebhookKey");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Connection {
    id: ConnectionId,
    name: String,
    mappings: FieldMappings,
    auto_create: bool,
    webhook: WebhookConfig,
}

impl Connection {
    /// A connection with the default field mappings, auto-create off, no webhook
    /// authentication and the default body limit.
    pub fn new(id: ConnectionId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            mappings: FieldMappings::default(),
            auto_create: false,
            webhook: WebhookConfig::new(WebhookAuth::unauthenticated()),
        }
    }

    /// Create a user when a contact matches none (by CRM contact id, then email).
    #[must_use]
    pub fn with_auto_create(mut self, on: bool) -> Self {
        self.auto_create = on;
        self
    }

    /// Use these field mappings instead of the defaults.
    #[must_use]
    pub fn with_mappings(mut self, mappings: FieldMappings) -> Self {
        self.mappings = mappings;
        self
    }

    /// Check deliveries with this webhook authentication (keeps the body limit).
    #[must_use]
    pub fn with_auth(mut self, auth: WebhookAuth) -> Self {
        let limit = self.webhook.max_body_bytes();
        self.webhook = WebhookConfig::new(auth).with_max_body_bytes(limit);
        self
    }

    /// Refuse bodies larger than `limit` bytes with 413.
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.webhook = self.webhook.with_max_body_bytes(limit);
        self
    }

    /// The connection id.
    pub fn id(&self) -> &ConnectionId {
        &self.id
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field mappings.
    pub fn mappings(&self) -> &FieldMappings {
        &self.mappings
    }

    /// Whether unknown contacts create users.
    pub fn auto_create(&self) -> bool {
        self.auto_create
    }

    /// The authentication and body limit of the webhook endpoint.
    pub fn webhook(&self) -> &WebhookConfig {
        &self.webhook
    }
}

/// How much history the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retention {
    /// Sync-log entries kept per connection (the oldest are dropped first). Default 10,000.
    pub sync_log_entries: u64,
    /// Redelivery markers kept in total (the oldest are dropped first). Default 100,000:
    /// Dataverse retries within seconds and Power Automate within hours, so this covers days.
    pub dedupe_markers: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self { sync_log_entries: 10_000, dedupe_markers: 100_000 }
    }
}

/// Every connection the receiver serves, and the store's retention.
///
/// Read from TOML with [`load`](Self::load) / [`from_toml_str`](Self::from_toml_str):
///
/// ```toml
/// # Optional, for every connection: bodies over this get 413 (default 1 MiB).
/// max_body_bytes = 1048576
/// # Optional: sync-log entries kept per connection, redelivery markers kept in total.
/// sync_log_retention = 10000
/// dedupe_retention = 100000
///
/// [[connections]]
/// id = "contoso-prod"            # the {connection_id} of the webhook URL
/// name = "Contoso production"
/// auto_create = true             # default false
///
/// # Optional; replaces the defaults (firstname, lastname, emailaddress1, telephone1, statecode).
/// [connections.field_mappings]
/// firstname = "first_name"
/// lastname = "last_name"
/// emailaddress1 = "email"
/// telephone1 = "phone"
/// statecode = "active"
/// new_department = "attribute:department"
///
/// # Optional, for a webhook registered with the Plug-in Registration Tool:
/// [connections.auth]
/// type = "WebhookKey"            # or "HttpHeader" / "HttpQueryString"
/// key = { env = "CONTOSO_WEBHOOK_KEY" }   # or the value itself: key = "…"
/// # type = "HttpHeader"      then  headers = { "x-api-key" = "…" }
/// # type = "HttpQueryString" then  parameters = { token = "…" }
/// ```
///
/// ```
/// use contact_sync::SyncConfig;
///
/// let config = SyncConfig::from_toml_str(r#"
///     [[connections]]
///     id = "contoso"
///     name = "Contoso"
///     auto_create = true
///     [connections.auth]
///     type = "HttpHeader"
///     headers = { "x-api-key" = "s3cr3t" }
/// "#)?;
/// let contoso = config.connection("contoso").expect("configured");
/// assert!(contoso.auto_create());
/// assert_eq!(contoso.webhook().auth().kind(), "HttpHeader");
/// assert!(!format!("{config:?}").contains("s3cr3t"));
/// # Ok::<(), contact_sync::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SyncConfig {
    connections: BTreeMap<ConnectionId, Connection>,
    retention: Retention,
}

impl SyncConfig {
    /// A config serving `connections`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when two connections share an id, or there is none.
    pub fn new(connections: impl IntoIterator<Item = Connection>) -> Result<Self, ConfigError> {
        let mut by_id = BTreeMap::new();
        for connection in connections {
            let id = connection.id.clone();
            if by_id.insert(id.clone(), connection).is_some() {
                return Err(ConfigError::invalid(format!("connection `{id}` is defined twice")));
            }
        }
        if by_id.is_empty() {
            return Err(ConfigError::invalid(
                "no connections: define at least one [[connections]]",
            ));
        }
        Ok(Self { connections: by_id, retention: Retention::default() })
    }

    /// Keep this much history.
    #[must_use]
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Read a TOML connections file (see the type's docs for the format).
    ///
    /// # Errors
    /// When the file cannot be read or is not a valid config; the error is one line and names
    /// the file, the line and the problem.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
        Self::from_toml_str(&text).map_err(|error| error.in_file(path))
    }

    /// Parse a TOML connections document.
    ///
    /// # Errors
    /// As [`load`](Self::load), without a file name.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        file::parse(text, &|name| std::env::var(name).ok())
    }

    /// The connection with this id.
    pub fn connection(&self, id: &str) -> Option<&Connection> {
        // Ids that could never be valid are simply unknown.
        ConnectionId::parse(id).ok().and_then(|id| self.connections.get(&id))
    }

    /// Every connection, by id.
    pub fn connections(&self) -> impl ExactSizeIterator<Item = &Connection> + '_ {
        self.connections.values()
    }

    /// The store's retention.
    pub fn retention(&self) -> Retention {
        self.retention
    }
}

/// Why a config cannot be used. `Display` is one line naming the problem (and the file and line
/// when known); secrets never appear in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config {}: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// The file is not valid TOML, or has an unknown or mistyped key.
    #[error("{}line {line}, column {column}: {message}", in_path(path.as_deref()))]
    Syntax {
        /// The file, when read from one.
        path: Option<PathBuf>,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The document parses but cannot work (bad id, duplicate, empty secret, …).
    #[error("{}{message}", in_path(path.as_deref()))]
    Invalid {
        /// The file, when read from one.
        path: Option<PathBuf>,
        /// What is wrong.
        message: String,
    },
}

fn in_path(path: Option<&Path>) -> String {
    path.map(|path| format!("config {}: ", path.display())).unwrap_or_default()
}

impl ConfigError {
    fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid { path: None, message: message.into() }
    }

    fn in_file(self, file: &Path) -> Self {
        match self {
            Self::Syntax { line, column, message, .. } => {
                Self::Syntax { path: Some(file.to_owned()), line, column, message }
            }
            Self::Invalid { message, .. } => Self::Invalid { path: Some(file.to_owned()), message },
            read @ Self::Read { .. } => read,
        }
    }
}

/// 1-based line and column of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}

/// The file's serde shape, kept private so the public types stay free to change.
mod file {
    use super::*;

    /// Parse a document, reading `{ env = "NAME" }` secrets through `env`.
    pub(super) fn parse(text: &str, env: Env<'_>) -> Result<SyncConfig, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|error| {
            let (line, column) =
                error.span().map(|span| line_and_column(text, span.start)).unwrap_or((0, 0));
            ConfigError::Syntax {
                path: None,
                line,
                column,
                message: error.message().replace(['\n', '\r'], " ").trim().to_owned(),
            }
        })?;
        file.into_config(env)
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ConfigFile {
        #[serde(default)]
        max_body_bytes: Option<usize>,
        #[serde(default)]
        sync_log_retention: Option<u64>,
        #[serde(default)]
        dedupe_retention: Option<u64>,
        #[serde(default)]
        connections: Vec<ConnectionFile>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ConnectionFile {
        id: String,
        name: Option<String>,
        #[serde(default)]
        auto_create: bool,
        field_mappings: Option<BTreeMap<String, String>>,
        auth: Option<AuthFile>,
    }

    #[derive(Deserialize)]
    #[serde(tag = "type", deny_unknown_fields)]
    enum AuthFile {
        HttpHeader { headers: BTreeMap<String, SecretFile> },
        WebhookKey { key: SecretFile },
        HttpQueryString { parameters: BTreeMap<String, SecretFile> },
    }

    /// A secret written in the file, or the name of the environment variable holding it.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SecretFile {
        Value(String),
        Env { env: String },
    }

    type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

    impl SecretFile {
        fn resolve(self, what: &str, env: Env<'_>) -> Result<SecretString, ConfigError> {
            match self {
                Self::Value(value) => Ok(SecretString::from(value)),
                Self::Env { env: name } => env(&name).map(SecretString::from).ok_or_else(|| {
                    ConfigError::invalid(format!(
                        "{what}: environment variable `{name}` is not set"
                    ))
                }),
            }
        }
    }

    impl ConfigFile {
        fn into_config(self, env: Env<'_>) -> Result<SyncConfig, ConfigError> {
            let limit = match self.max_body_bytes {
                Some(0) => return Err(ConfigError::invalid("max_body_bytes must be at least 1")),
                Some(limit) => limit,
                None => DEFAULT_MAX_BODY_BYTES,
            };
            let mut retention = Retention::default();
            if let Some(entries) = self.sync_log_retention {
                retention.sync_log_entries = at_least_one("sync_log_retention", entries)?;
            }
            if let Some(markers) = self.dedupe_retention {
                retention.dedupe_markers = at_least_one("dedupe_retention", markers)?;
            }
            let connections = self
                .connections
                .into_iter()
                .map(|connection| connection.into_connection(limit, env))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(SyncConfig::new(connections)?.with_retention(retention))
        }
    }

    fn at_least_one(key: &str, value: u64) -> Result<u64, ConfigError> {
        if value == 0 {
            Err(ConfigError::invalid(format!("{key} must be at least 1")))
        } else {
            Ok(value)
        }
    }

    impl ConnectionFile {
        fn into_connection(self, limit: usize, env: Env<'_>) -> Result<Connection, ConfigError> {
            let id = ConnectionId::parse(&self.id)
                .map_err(|error| ConfigError::invalid(error.to_string()))?;
            let context = |what: &str| format!("connection `{id}`: {what}");
            let mappings = match self.field_mappings {
                None => FieldMappings::default(),
                Some(pairs) => FieldMappings::new(pairs).map_err(|error| {
                    ConfigError::invalid(context(&format!("field_mappings: {error}")))
                })?,
            };
            let auth = match self.auth {
                None => WebhookAuth::unauthenticated(),
                Some(auth) => auth.into_auth(&context("auth"), env)?,
            };
            let name = self.name.unwrap_or_else(|| id.to_string());
            Ok(Connection::new(id, name)
                .with_mappings(mappings)
                .with_auto_create(self.auto_create)
                .with_auth(auth)
                .with_max_body_bytes(limit))
        }
    }

    impl AuthFile {
        fn into_auth(self, what: &str, env: Env<'_>) -> Result<WebhookAuth, ConfigError> {
            let pairs = |map: BTreeMap<String, SecretFile>| {
                map.into_iter()
                    .map(|(name, secret)| {
                        let secret = secret.resolve(&format!("{what}: `{name}`"), env)?;
                        Ok((name, secret))
                    })
                    .collect::<Result<Vec<_>, ConfigError>>()
            };
            let built = match self {
                Self::HttpHeader { headers } => WebhookAuth::http_headers(pairs(headers)?),
                Self::WebhookKey { key } => WebhookAuth::webhook_key(key.resolve(what, env)?),
                Self::HttpQueryString { parameters } => {
                    WebhookAuth::query_string(pairs(parameters)?)
                }
            };
            built.map_err(|error| ConfigError::invalid(format!("{what}: {error}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;
    use crate::UserField;

    #[test]
    fn minimal_connection_gets_the_defaults() {
        let config = SyncConfig::from_toml_str("[[connections]]\nid = \"c1\"\n").unwrap();
        let connection = config.connection("c1").unwrap();
        assert_eq!(connection.name(), "c1");
        assert!(!connection.auto_create());
        assert_eq!(connection.mappings(), &FieldMappings::default());
        assert_eq!(connection.webhook().auth().kind(), "None");
        assert_eq!(connection.webhook().max_body_bytes(), DEFAULT_MAX_BODY_BYTES);
        assert_eq!(config.retention(), Retention::default());
        assert!(config.connection("c2").is_none());
        assert!(config.connection("../c1").is_none());
    }

    #[test]
    fn every_setting_is_read() {
        let config = SyncConfig::from_toml_str(
            r#"
            max_body_bytes = 2048
            sync_log_retention = 5
            dedupe_retention = 7
            [[connections]]
            id = "c1"
            name = "One"
            auto_create = true
            [connections.field_mappings]
            emailaddress2 = "email"
            new_team = "attribute:team"
            [connections.auth]
            type = "HttpQueryString"
            parameters = { token = "t0k3n", tenant = "contoso" }
            "#,
        )
        .unwrap();
        let connection = config.connection("c1").unwrap();
        assert_eq!(connection.name(), "One");
        assert!(connection.auto_create());
        assert_eq!(connection.mappings().column_for(&UserField::Email), Some("emailaddress2"));
        assert_eq!(
            connection.mappings().column_for(&UserField::Attribute("team".into())),
            Some("new_team")
        );
        assert_eq!(connection.mappings().column_for(&UserField::FirstName), None);
        assert_eq!(connection.webhook().max_body_bytes(), 2048);
        assert_eq!(connection.webhook().auth().kind(), "HttpQueryString");
        let auth = connection.webhook().auth();
        assert!(auth.verify(&HeaderMap::new(), Some("token=t0k3n&tenant=contoso")).is_ok());
        assert!(auth.verify(&HeaderMap::new(), Some("token=t0k3n")).is_err());
        assert_eq!(config.retention(), Retention { sync_log_entries: 5, dedupe_markers: 7 });
    }

    #[test]
    fn secrets_can_come_from_the_environment() {
        let text = r#"
            [[connections]]
            id = "c1"
            [connections.auth]
            type = "WebhookKey"
            key = { env = "C1_KEY" }
        "#;
        let env = |name: &str| (name == "C1_KEY").then(|| "from-env".to_owned());
        let config = file::parse(text, &env).unwrap();
        let auth = config.connection("c1").unwrap().webhook().auth();
        assert!(auth.verify(&HeaderMap::new(), Some("code=from-env")).is_ok());

        let error = file::parse(text, &|_| None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "connection `c1`: auth: environment variable `C1_KEY` is not set"
        );
    }

    #[test]
    fn errors_are_one_line_and_name_the_problem() {
        let cases = [
            ("", "no connections: define at least one [[connections]]"),
            ("[[connections]]\nid = \"a b\"\n", "connection id \"a b\" is invalid"),
            ("[[connections]]\nid = \"x\"\n[[connections]]\nid = \"x\"\n", "defined twice"),
            (
                "[[connections]]\nid = \"x\"\nauto_creat = true\n",
                "line 3, column 1: unknown field `auto_creat`",
            ),
            ("[[connections]]\nid = \"x\"\nauto_create = \"yes\"\n", "line 3"),
            (
                "[[connections]]\nid = \"x\"\n[connections.auth]\ntype = \"Basic\"\n",
                "unknown variant `Basic`",
            ),
            (
                "[[connections]]\nid = \"x\"\n[connections.auth]\ntype = \"WebhookKey\"\nkey = \"\"\n",
                "connection `x`: auth: the secret for `code` is empty",
            ),
            (
                "[[connections]]\nid = \"x\"\n[connections.auth]\ntype = \"HttpHeader\"\nheaders = { \"bad header\" = \"v\" }\n",
                "`bad header` is not a valid header name",
            ),
            (
                "[[connections]]\nid = \"x\"\n[connections.field_mappings]\nfirstname = \"given\"\n",
                "connection `x`: field_mappings: `given` is not a user field",
            ),
            (
                "max_body_bytes = 0\n[[connections]]\nid = \"x\"\n",
                "max_body_bytes must be at least 1",
            ),
            ("[[connections]\nid = \"x\"\n", "line 1"),
        ];
        for (text, expected) in cases {
            let message = SyncConfig::from_toml_str(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text:?}: {message:?}");
            assert!(!message.contains('\n'), "{text:?}: {message:?}");
        }
    }

    #[test]
    fn file_errors_name_the_file() {
        let missing = Path::new("/nonexistent/contact-sync.toml");
        let message = SyncConfig::load(missing).unwrap_err().to_string();
        assert!(message.starts_with("cannot read config /nonexistent/contact-sync.toml: "));
    }

    #[test]
    fn secrets_never_print() {
        let config = SyncConfig::from_toml_str(
            r#"
            [[connections]]
            id = "h"
            [connections.auth]
            type = "HttpHeader"
            headers = { "x-api-key" = "header-secret-1" }
            [[connections]]
            id = "q"
            [connections.auth]
            type = "HttpQueryString"
            parameters = { token = "query-secret-2" }
            [[connections]]
            id = "k"
            [connections.auth]
            type = "WebhookKey"
            key = "key-secret-3"
            "#,
        )
        .unwrap();
        let debug = format!("{config:?} {:#?}", config.connections().collect::<Vec<_>>());
        for secret in ["header-secret-1", "query-secret-2", "key-secret-3"] {
            assert!(!debug.contains(secret), "{secret} printed");
        }
        assert!(debug.contains("x-api-key"), "names are fine to print");
    }

    #[test]
    fn connection_ids_are_path_safe() {
        for good in ["a", "3f2c9a1e-0b6d-4c1e-9a77-5d2e8f1c0a42", "Contoso_prod.v2~x"] {
            assert!(ConnectionId::parse(good).is_ok(), "{good}");
        }
        let too_long = "x".repeat(129);
        for bad in ["", ".", "..", "a/b", "a b", "a%2Fb", "é", "a?b", too_long.as_str()] {
            assert!(ConnectionId::parse(bad).is_err(), "{bad}");
        }
    }
}
