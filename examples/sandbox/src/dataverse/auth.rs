//! Bearer tokens for the Dataverse emulator, and an Entra-like client-credentials endpoint.
//!
//! The Web API accepts the configured static token and any token issued by
//! `POST /{tenant}/oauth2/v2.0/token` (form body `grant_type=client_credentials`, `client_id`,
//! `client_secret` or HTTP Basic, `scope=<environment URL>/.default`, as
//! <https://learn.microsoft.com/power-apps/developer/data-platform/authenticate-oauth> describes) until
//! it expires. The token endpoint answers like Entra ID: `{token_type, expires_in,
//! ext_expires_in, access_token}`, and OAuth errors `{error, error_description, error_codes,
//! timestamp, trace_id, correlation_id}` with `AADSTS…` descriptions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::DataverseState;
use crate::credentials::{basic_credentials, bearer, eq};
use crate::ids;
use crate::json::{Json, JsonObject};
use crate::timestamps;

/// Who may call the Web API.
pub(crate) struct DataverseAuth {
    pub(crate) static_token: SecretString,
    pub(crate) tenant_id: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) token_lifetime: Duration,
    issued: Mutex<HashMap<String, Instant>>,
}

impl std::fmt::Debug for DataverseAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataverseAuth")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl DataverseAuth {
    pub(crate) fn new(
        static_token: SecretString,
        tenant_id: String,
        client_id: String,
        client_secret: SecretString,
        token_lifetime: Duration,
    ) -> Self {
        Self {
            static_token,
            tenant_id,
            client_id,
            client_secret,
            token_lifetime,
            issued: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the request's `Authorization: Bearer …` is a live token.
    pub(crate) fn check(&self, headers: &HeaderMap) -> bool {
        let Some(token) = bearer(headers) else { return false };
        if eq(token, self.static_token.expose_secret()) {
            return true;
        }
        let issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        issued.get(token).is_some_and(|expires| Instant::now() < *expires)
    }

    fn issue(&self) -> String {
        let token = format!("sandbox-dv-{}", ids::random_token(40));
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        issued.retain(|_, expires| Instant::now() < *expires);
        issued.insert(token.clone(), Instant::now() + self.token_lifetime);
        token
    }
}

fn entra_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = uuid::Uuid::new_v4().to_string();
    let body = JsonObject::new()
        .with("error", error)
        .with("error_description", format!("AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {trace} Timestamp: {}", timestamps::dataverse_datetime(timestamps::now())))
        .with("error_codes", Json::Array(vec![Json::from(u64::from(code))]))
        .with("timestamp", timestamps::dataverse_datetime(timestamps::now()))
        .with("trace_id", trace.as_str())
        .with("correlation_id", trace.as_str());
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        Json::Object(body).to_bytes(),
    )
        .into_response()
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token(
    State(state): State<Arc<DataverseState>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth = &state.auth;
    if tenant != auth.tenant_id {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    let (client_id, secret) = match basic_credentials(&headers) {
        Some(pair) => pair,
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    if client_id != auth.client_id {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        );
    }
    if !eq(&secret, auth.client_secret.expose_secret()) {
        return entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    let resource = state.environment_url.as_str().trim_end_matches('/');
    let scope = form.get("scope").map(String::as_str).unwrap_or_default();
    let valid_scope = scope.split_whitespace().any(|s| {
        s.trim_end_matches("/.default").trim_end_matches('/') == resource
            && s.ends_with("/.default")
    });
    if !valid_scope {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope '{scope}' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    }
    let lifetime = auth.token_lifetime.as_secs();
    let body = JsonObject::new()
        .with("token_type", "Bearer")
        .with("expires_in", lifetime)
        .with("ext_expires_in", lifetime)
        .with("access_token", auth.issue());
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        Json::Object(body).to_bytes(),
    )
        .into_response()
}
