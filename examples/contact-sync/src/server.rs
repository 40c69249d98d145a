//! The HTTP receiver: the webhook endpoint, the read endpoints and `/healthz`.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dataverse_webhook_types::{PayloadShape, WebhookDelivery, WebhookRejection};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value as Json, json};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use uuid::Uuid;

use super::change::ContactChange;
use super::config::{Connection, SyncConfig};
use super::dedupe::DedupeKey;
use super::store::{Applied, Rejection, Store, StoreError};

/// The sync-log page size when `?limit=` is absent.
pub const DEFAULT_LOG_LIMIT: usize = 50;
/// The largest `?limit=` accepted.
pub const MAX_LOG_LIMIT: usize = 1000;

/// The receiver: its connections, its store and (optionally) the token guarding the read
/// endpoints. Cheap to clone.
///
/// ```no_run
/// use contact_sync::{ContactSync, Store, SyncConfig};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = SyncConfig::load("contact-sync.toml".as_ref())?;
/// let store = Store::open("contact-sync.redb".as_ref())?.with_retention(config.retention());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let app = ContactSync::new(config, store);
/// contact_sync::serve(listener, app, async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ContactSync {
    inner: Arc<Inner>,
}

struct Inner {
    config: SyncConfig,
    store: Store,
    read_token: Option<SecretString>,
}

impl std::fmt::Debug for ContactSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactSync")
            .field("config", &self.inner.config)
            .field("store", &self.inner.store)
            .field("read_token", &self.inner.read_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl ContactSync {
    /// A receiver for `config`'s connections writing to `store`. The read endpoints are open
    /// (bind to loopback or set a token with [`with_read_token`](Self::with_read_token)).
    pub fn new(config: SyncConfig, store: Store) -> Self {
        Self { inner: Arc::new(Inner { config, store, read_token: None }) }
    }

    /// Require `Authorization: Bearer <token>` on the sync-log and contact endpoints.
    #[must_use]
    pub fn with_read_token(self, token: SecretString) -> Self {
        let inner = Inner {
            config: self.inner.config.clone(),
            store: self.inner.store.clone(),
            read_token: Some(token),
        };
        Self { inner: Arc::new(inner) }
    }

    /// The connections served.
    pub fn config(&self) -> &SyncConfig {
        &self.inner.config
    }

    /// The store written to.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The routes:
    ///
    /// | route | what |
    /// |---|---|
    /// | `POST /api/crm/webhook/dynamics/{connection_id}` | a contact change (both payload shapes) |
    /// | `GET /api/crm/connections/{connection_id}/sync-log?limit=N` | newest log entries first |
    /// | `GET /api/crm/connections/{connection_id}/contacts/{crm_contact_id}` | the synced user |
    /// | `GET /healthz` | `{"status":"ok"}` while the store answers |
    ///
    /// Mount it in a larger application:
    ///
    /// ```no_run
    /// use contact_sync::{ContactSync, Store, SyncConfig};
    ///
    /// # fn app() -> Result<axum::Router, Box<dyn std::error::Error>> {
    /// let config = SyncConfig::load("contact-sync.toml".as_ref())?;
    /// let sync = ContactSync::new(config, Store::open("contact-sync.redb".as_ref())?);
    /// let app = axum::Router::new().merge(sync.router());
    /// # Ok(app)
    /// # }
    /// ```
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/crm/webhook/dynamics/{connection_id}", post(receive))
            .route("/api/crm/connections/{connection_id}/sync-log", get(sync_log))
            .route("/api/crm/connections/{connection_id}/contacts/{contact_id}", get(contact))
            .route("/healthz", get(healthz))
            .with_state(self.clone())
    }
}

/// Serve `app` on `listener` until `shutdown` completes; requests in flight then finish before
/// this returns.
///
/// # Errors
/// When accepting connections fails.
pub async fn serve(
    listener: TcpListener,
    app: ContactSync,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app.router()).with_graceful_shutdown(shutdown).await
}

fn json_response(status: StatusCode, body: Json) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn error_body(code: &str, message: &str, log_id: Option<u64>) -> Json {
    let mut body = json!({ "error": code, "message": message });
    if let Some(id) = log_id {
        body["log_id"] = json!(id);
    }
    body
}

/// 503 (not 500): Dataverse and Power Automate both retry a 503, and the store may recover.
fn store_unavailable(error: &StoreError) -> Response {
    tracing::error!(%error, "store failure");
    json_response(
        StatusCode::SERVICE_UNAVAILABLE,
        error_body("store_unavailable", "the user store is unavailable; retry later", None),
    )
}

/// What was learnt about a rejected request before it was rejected.
#[derive(Default)]
struct Known {
    message: Option<String>,
    contact_id: Option<Uuid>,
    shape: Option<PayloadShape>,
}

/// An error answer: status, code, reason, and what was learnt before it.
struct Reply {
    status: StatusCode,
    code: String,
    reason: String,
    known: Known,
    path: Option<String>,
}

impl Reply {
    fn new(status: StatusCode, code: &str, reason: String) -> Self {
        Self { status, code: code.to_owned(), reason, known: Known::default(), path: None }
    }
}

/// Log a rejection, then answer it.
async fn reject(
    app: &ContactSync,
    connection_id: &str,
    known_connection: bool,
    reply: Reply,
) -> Response {
    let Reply { status, code, reason, known, path } = reply;
    // The connection id comes from the URL and the reason may quote the body (a table or
    // message name): `?` escapes them, so a newline in either cannot forge a log line.
    tracing::info!(connection = ?connection_id, status = status.as_u16(), error = %code, reason = ?reason, "delivery rejected");
    let rejection = Rejection {
        connection_id,
        known: known_connection,
        status: status.as_u16(),
        error: &code,
        reason: reason.clone(),
        message: known.message,
        contact_id: known.contact_id,
        shape: known.shape,
    };
    let logged = app.store().log_rejection(&rejection).await;
    let log_id = match logged {
        Ok(id) => Some(id),
        Err(error) => {
            tracing::error!(%error, "cannot write the sync log");
            None
        }
    };
    let mut body = error_body(&code, &reason, log_id);
    if let Some(path) = path {
        body["path"] = json!(path);
    }
    json_response(status, body)
}

/// `POST /api/crm/webhook/dynamics/{connection_id}`.
async fn receive(
    State(app): State<ContactSync>,
    Path(connection_id): Path<String>,
    request: Request,
) -> Response {
    let Some(connection) = app.config().connection(&connection_id).cloned() else {
        let reason = unknown_connection_reason(&connection_id);
        let reply = Reply::new(StatusCode::NOT_FOUND, "unknown_connection", reason);
        return reject(&app, &connection_id, false, reply).await;
    };
    let (parts, body) = request.into_parts();
    // Credentials first: an unauthenticated client cannot make the server read anything.
    let webhook = connection.webhook();
    if let Err(rejection) = webhook.check_head(&parts.headers, parts.uri.query()) {
        return reject_webhook(&app, &connection, rejection).await;
    }
    let bytes = match webhook.read_body(body).await {
        Ok(bytes) => bytes,
        Err(rejection) => return reject_webhook(&app, &connection, rejection).await,
    };
    let delivery = match WebhookDelivery::parse(&parts.headers, &bytes) {
        Ok(delivery) => delivery,
        Err(error) => {
            let rejection = WebhookRejection::InvalidPayload(error);
            return reject_webhook(&app, &connection, rejection).await;
        }
    };
    let change = match ContactChange::from_delivery(&delivery, connection.mappings()) {
        Ok(change) => change,
        Err(error) => {
            let mut reply = Reply::new(StatusCode::BAD_REQUEST, error.code(), error.to_string());
            reply.known = Known {
                message: Some(delivery.context.message_name.clone()),
                contact_id: delivery.row_id(),
                shape: Some(delivery.context.shape()),
            };
            return reject(&app, connection.id().as_str(), true, reply).await;
        }
    };
    let key = DedupeKey::of(connection.id(), &delivery, &parts.headers, change.contact_id());
    match app.store().apply(&connection, &change, key.as_ref()).await {
        Ok(applied) => accepted(&connection, &change, &applied),
        Err(error) => store_unavailable(&error),
    }
}

fn accepted(connection: &Connection, change: &ContactChange, applied: &Applied) -> Response {
    tracing::info!(
        connection = %connection.id(),
        contact = %change.contact_id(),
        outcome = %applied.outcome,
        log_id = applied.log_id,
        "delivery applied"
    );
    let mut body = json!({
        "outcome": applied.outcome,
        "user_id": applied.user_id,
        "contact_id": change.contact_id(),
        "connection_id": connection.id().as_str(),
        "message": change.message_name(),
        "reason": applied.reason,
        "log_id": applied.log_id,
    });
    if let Some(original) = applied.original_outcome {
        body["original_outcome"] = json!(original);
    }
    if applied.outcome.status() != StatusCode::OK {
        body["error"] = json!(applied.outcome.as_str());
    }
    json_response(applied.outcome.status(), body)
}

async fn reject_webhook(
    app: &ContactSync,
    connection: &Connection,
    rejection: WebhookRejection,
) -> Response {
    let mut reply = Reply::new(rejection.status(), rejection.code(), rejection.to_string());
    if let WebhookRejection::InvalidPayload(error) = &rejection {
        reply.path = error.path().map(str::to_owned);
    }
    reject(app, connection.id().as_str(), true, reply).await
}

/// `None` when allowed; the 401 otherwise.
fn check_read_token(app: &ContactSync, headers: &HeaderMap) -> Option<Response> {
    let expected = app.inner.read_token.as_ref()?;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let matches: bool = presented.as_bytes().ct_eq(expected.expose_secret().as_bytes()).into();
    if matches {
        return None;
    }
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        error_body("unauthorized", "send Authorization: Bearer <read token>", None),
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    Some(response)
}

fn unknown_connection(connection_id: &str) -> Response {
    let reason = unknown_connection_reason(connection_id);
    json_response(StatusCode::NOT_FOUND, error_body("unknown_connection", &reason, None))
}

/// The 404 reason. The id comes from the URL: shortened and escaped, so the answer and the sync
/// log show it on one line.
fn unknown_connection_reason(connection_id: &str) -> String {
    let shown: String = connection_id.chars().take(128).collect();
    format!("no connection `{}` is configured", shown.escape_debug())
}

/// `GET /api/crm/connections/{connection_id}/sync-log?limit=N`.
async fn sync_log(
    State(app): State<ContactSync>,
    Path(connection_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(denied) = check_read_token(&app, &headers) {
        return denied;
    }
    if app.config().connection(&connection_id).is_none() {
        return unknown_connection(&connection_id);
    }
    let limit = match parse_limit(query.as_deref()) {
        Ok(limit) => limit,
        Err(message) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                error_body("invalid_limit", &message, None),
            );
        }
    };
    match app.store().sync_log(&connection_id, limit).await {
        Ok(entries) => json_response(
            StatusCode::OK,
            json!({ "connection_id": connection_id, "limit": limit, "entries": entries }),
        ),
        Err(error) => store_unavailable(&error),
    }
}

fn parse_limit(query: Option<&str>) -> Result<usize, String> {
    let mut limit = DEFAULT_LOG_LIMIT;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if key == "limit" {
            limit = value
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=MAX_LOG_LIMIT).contains(limit))
                .ok_or_else(|| {
                    format!("limit must be a whole number from 1 to {MAX_LOG_LIMIT}, not {value:?}")
                })?;
        }
    }
    Ok(limit)
}

/// `GET /api/crm/connections/{connection_id}/contacts/{crm_contact_id}`.
async fn contact(
    State(app): State<ContactSync>,
    Path((connection_id, contact_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(denied) = check_read_token(&app, &headers) {
        return denied;
    }
    if app.config().connection(&connection_id).is_none() {
        return unknown_connection(&connection_id);
    }
    let Ok(contact) = Uuid::try_parse(contact_id.trim()) else {
        let message = format!("`{contact_id}` is not a CRM contact id (a GUID)");
        return json_response(
            StatusCode::BAD_REQUEST,
            error_body("invalid_contact_id", &message, None),
        );
    };
    match app.store().user_for_contact(&connection_id, contact).await {
        Ok(Some(user)) => json_response(StatusCode::OK, json!(user)),
        Ok(None) => json_response(
            StatusCode::NOT_FOUND,
            error_body(
                "contact_not_synced",
                &format!("no user is linked to contact {contact} of connection `{connection_id}`"),
                None,
            ),
        ),
        Err(error) => store_unavailable(&error),
    }
}

/// `GET /healthz`.
async fn healthz(State(app): State<ContactSync>) -> Response {
    match app.store().check().await {
        Ok(()) => json_response(StatusCode::OK, json!({ "status": "ok" })),
        Err(error) => store_unavailable(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None), Ok(DEFAULT_LOG_LIMIT));
        assert_eq!(parse_limit(Some("limit=7")), Ok(7));
        assert_eq!(parse_limit(Some("x=1&limit=1000")), Ok(1000));
        for bad in ["limit=0", "limit=1001", "limit=-1", "limit=ten", "limit="] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }

    /// Captures what a `tracing_subscriber::fmt` subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::ErrorKind::Other)?.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn text_from_the_request_cannot_forge_log_lines() {
        use tower::ServiceExt;

        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber =
            tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let config = SyncConfig::from_toml_str("[[connections]]\nid = \"c1\"\n").unwrap();
        let app = ContactSync::new(config, Store::in_memory().unwrap());
        let not_contact = r#"{"MessageName":"Update","PrimaryEntityName":"x\nforged: table",
            "PrimaryEntityId":"6d81597f-0f9f-e711-8122-000d3aa2331c"}"#;
        for (uri, body) in [
            // A newline in the connection id of the URL.
            ("/api/crm/webhook/dynamics/a%0Aforged:%20id", "{}"),
            // A newline in a name the rejection reason quotes.
            ("/api/crm/webhook/dynamics/c1", not_contact),
        ] {
            let request = Request::post(uri).body(axum::body::Body::from(body)).unwrap();
            let response = app.router().oneshot(request).await.unwrap();
            assert!(response.status().is_client_error(), "{uri}: {}", response.status());
        }
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(logged.lines().count(), 2, "one line per rejection:\n{logged}");
        assert!(logged.lines().all(|line| line.contains("delivery rejected")), "{logged}");
    }
}
