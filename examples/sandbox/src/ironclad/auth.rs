//! Authentication of the Ironclad emulator (<https://developer.ironcladapp.com/reference/authentication-api>).
//!
//! - The legacy API token: `Authorization: Bearer <token>`, company-wide, not tied to a user;
//!   endpoints that act as someone then need `creator` / `user` in the body.
//! - OAuth client credentials: `POST /oauth/token` with `grant_type=client_credentials`,
//!   `client_id`/`client_secret` in a JSON or form body or in HTTP Basic, and optional
//!   space-separated `scope` → `{token_type, access_token, expires_in, scope}` (no refresh token).
//!   API requests with such a token must name the acting user with `x-as-user-email` or
//!   `x-as-user-id`, and each route needs its scope (403 `FORBIDDEN` otherwise).
//!
//! Failures: 401 `{"code":"UNAUTHORIZED","message":"invalid authentication token"}` (or `token
//! has expired`), OAuth errors `{error, error_description}` (400 `invalid_request` /
//! `invalid_scope`, 401 `invalid_client`). The 400 for a missing acting-user header is the
//! sandbox's wording (unverified).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::IroncladState;
use super::errors::{IcError, JSON_UTF8};
use super::model::User;
use crate::credentials::{basic_credentials, bearer, eq};
use crate::ids;
use crate::json::{Json, JsonObject};

/// Every scope the sandbox's OAuth app is registered with (the ones the emulated routes need).
pub(crate) const REGISTERED_SCOPES: &[&str] = &[
    "public.workflows.readWorkflows",
    "public.workflows.createWorkflows",
    "public.workflows.updateWorkflows",
    "public.workflows.readApprovals",
    "public.workflows.updateApprovals",
    "public.workflows.readDocuments",
    "public.workflows.readSchemas",
    "public.records.readRecords",
    "public.records.readAttachments",
    "public.webhooks.readWebhooks",
    "public.webhooks.createWebhooks",
    "public.webhooks.updateWebhooks",
    "public.webhooks.deleteWebhooks",
];

/// How a request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The legacy API token; acting user only if a header names one.
    Legacy { acting_user: Option<User> },
    /// An OAuth client-credentials token acting as a user.
    OAuth { acting_user: User },
}

impl Caller {
    pub(crate) fn acting_user(&self) -> Option<&User> {
        match self {
            Caller::Legacy { acting_user } => acting_user.as_ref(),
            Caller::OAuth { acting_user } => Some(acting_user),
        }
    }
}

struct IssuedToken {
    expires: Instant,
    scopes: Vec<String>,
}

/// Who may call the API.
pub(crate) struct IroncladAuth {
    pub(crate) legacy_token: SecretString,
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) token_lifetime: Duration,
    issued: Mutex<HashMap<String, IssuedToken>>,
}

impl std::fmt::Debug for IroncladAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IroncladAuth").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

impl IroncladAuth {
    pub(crate) fn new(
        legacy_token: SecretString,
        client_id: String,
        client_secret: SecretString,
        token_lifetime: Duration,
    ) -> Self {
        Self {
            legacy_token,
            client_id,
            client_secret,
            token_lifetime,
            issued: Mutex::new(HashMap::new()),
        }
    }

    fn issue(&self, scopes: Vec<String>) -> String {
        let token = format!("sandbox-ic-{}", ids::random_token(40));
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        issued.retain(|_, t| Instant::now() < t.expires);
        issued.insert(
            token.clone(),
            IssuedToken { expires: Instant::now() + self.token_lifetime, scopes },
        );
        token
    }
}

/// The scope route `method path` needs (`None`: any valid token).
fn required_scope(method: &Method, path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let read = method == Method::GET || method == Method::HEAD;
    Some(match (segments.as_slice(), read) {
        (["webhooks", "verification-key"], _) => return None,
        (["workflows", "async", ..], _) => "public.workflows.createWorkflows",
        (["workflows"], false) => "public.workflows.createWorkflows",
        (["workflows", _, "attributes"], _) => "public.workflows.updateWorkflows",
        (["workflows", _, "approvals", ..], true) => "public.workflows.readApprovals",
        (["workflows", _, "approvals", ..], false) => "public.workflows.updateApprovals",
        (["workflows", _, "documents" | "document", ..], _) => "public.workflows.readDocuments",
        (["workflows", ..], _) => "public.workflows.readWorkflows",
        (["workflow-schemas", ..], _) => "public.workflows.readSchemas",
        (["records", _, "attachments", ..], _) => "public.records.readAttachments",
        (["records", ..], _) => "public.records.readRecords",
        (["webhooks", ..], true) => "public.webhooks.readWebhooks",
        (["webhooks"], false) => "public.webhooks.createWebhooks",
        (["webhooks", _], false) if method == Method::DELETE => "public.webhooks.deleteWebhooks",
        (["webhooks", _], false) => "public.webhooks.updateWebhooks",
        _ => return None,
    })
}

fn acting_user(state: &IroncladState, headers: &HeaderMap) -> Result<Option<User>, IcError> {
    let value = |name: &str| {
        headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
    };
    let data = state.data();
    if let Some(email) = value("x-as-user-email") {
        return data
            .user_by_email(email)
            .cloned()
            .map(Some)
            .ok_or_else(|| IcError::invalid("user not found", "x-as-user-email"));
    }
    if let Some(id) = value("x-as-user-id") {
        return data
            .user_by_id(id)
            .cloned()
            .map(Some)
            .ok_or_else(|| IcError::invalid("user not found", "x-as-user-id"));
    }
    Ok(None)
}

/// Middleware on every `/public/api/v1` route: authenticate and attach the [`Caller`].
pub(crate) async fn authenticate(
    State(state): State<Arc<IroncladState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = match caller(&state, request.method(), request.uri().path(), request.headers()) {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

fn caller(
    state: &IroncladState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Caller, IcError> {
    let token =
        bearer(headers).ok_or_else(|| IcError::unauthorized("invalid authentication token"))?;
    if eq(token, state.auth.legacy_token.expose_secret()) {
        return Ok(Caller::Legacy { acting_user: acting_user(state, headers)? });
    }
    let scopes = {
        let issued = state.auth.issued.lock().unwrap_or_else(|p| p.into_inner());
        let entry = issued
            .get(token)
            .ok_or_else(|| IcError::unauthorized("invalid authentication token"))?;
        if Instant::now() >= entry.expires {
            return Err(IcError::unauthorized("token has expired"));
        }
        entry.scopes.clone()
    };
    // Inside the nested router the path is relative to `/public/api/v1`.
    let path = path.strip_prefix("/public/api/v1").unwrap_or(path);
    if let Some(scope) = required_scope(method, path)
        && !scopes.iter().any(|s| s == scope)
    {
        return Err(IcError::forbidden());
    }
    let acting_user = acting_user(state, headers)?.ok_or_else(|| {
        IcError::missing(
            "x-as-user-email or x-as-user-id is required with a client credentials token",
            "x-as-user-email",
        )
    })?;
    Ok(Caller::OAuth { acting_user })
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = JsonObject::new().with("error", error).with("error_description", description);
    (status, [(header::CONTENT_TYPE, JSON_UTF8)], Json::Object(body).to_bytes()).into_response()
}

/// `POST /oauth/token` (client credentials only).
pub(crate) async fn token(
    State(state): State<Arc<IroncladState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
    let fields: HashMap<String, String> = if is_json {
        match Json::parse_bytes(&body) {
            Ok(Json::Object(object)) => object
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.to_owned(), s.to_owned())))
                .collect(),
            _ => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the request body is not a JSON object",
                );
            }
        }
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    match fields.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "the sandbox supports the client_credentials grant only",
            );
        }
        None => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "missing grant_type");
        }
    }
    let (client_id, secret) = basic_credentials(&headers).unwrap_or_else(|| {
        (
            fields.get("client_id").cloned().unwrap_or_default(),
            fields.get("client_secret").cloned().unwrap_or_default(),
        )
    });
    if client_id != state.auth.client_id || !eq(&secret, state.auth.client_secret.expose_secret()) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    }
    let scopes: Vec<String> = match fields
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
    {
        Some(requested) if !requested.is_empty() => {
            if let Some(unknown) =
                requested.iter().find(|s| !REGISTERED_SCOPES.contains(&s.as_str()))
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    &format!("Invalid scope: {unknown}"),
                );
            }
            requested
        }
        _ => REGISTERED_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
    };
    let scope = scopes.join(" ");
    let body = JsonObject::new()
        .with("token_type", "Bearer")
        .with("access_token", state.auth.issue(scopes))
        .with("expires_in", state.auth.token_lifetime.as_secs())
        .with("scope", scope);
    (StatusCode::OK, [(header::CONTENT_TYPE, JSON_UTF8)], Json::Object(body).to_bytes())
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_by_route() {
        assert_eq!(
            required_scope(&Method::GET, "/workflows"),
            Some("public.workflows.readWorkflows")
        );
        assert_eq!(
            required_scope(&Method::POST, "/workflows"),
            Some("public.workflows.createWorkflows")
        );
        assert_eq!(
            required_scope(&Method::GET, "/workflows/async/x"),
            Some("public.workflows.createWorkflows")
        );
        assert_eq!(
            required_scope(&Method::PATCH, "/workflows/x/approvals/r"),
            Some("public.workflows.updateApprovals")
        );
        assert_eq!(
            required_scope(&Method::GET, "/records/x/attachments/signedCopy"),
            Some("public.records.readAttachments")
        );
        assert_eq!(
            required_scope(&Method::DELETE, "/webhooks/x"),
            Some("public.webhooks.deleteWebhooks")
        );
        assert_eq!(required_scope(&Method::GET, "/webhooks/verification-key"), None);
    }
}
