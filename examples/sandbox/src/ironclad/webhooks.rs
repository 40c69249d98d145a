//! Webhook subscriptions and the verification key (<https://developer.ironcladapp.com/reference>).
//!
//! - `POST /webhooks` `{events, targetURL, status?, headers?}` → **200** with the
//!   `WebhookModel` (the OpenAPI description says 201; real traffic shows 200). Events must be known event types
//!   (or `*`): otherwise 400 `invalid event type; … are acceptable event types`. Only one
//!   registration per `targetURL`: a second one is 400 `INVALID_PARAM` `webhook already exists
//!   for event {event} and target {url}` with the real `param: "tagetURL"` typo. The target must
//!   be HTTPS; the sandbox also takes `http://` on loopback hosts so local receivers can be
//!   registered (a deviation, on by default, see `SandboxConfig`).
//! - `GET /webhooks` → `{page, pageSize, list}` without `count`; `GET`/`PATCH`/`DELETE
//!   /webhooks/{id}` (PATCH takes `events`, `targetURL`, `status`, `headers`; DELETE → 204).
//! - `GET /webhooks/verification-key` → the PEM public key, `application/x-pem-file;
//!   charset=utf-8`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{StatusCode, Uri, header};

use super::auth::Caller;
use super::errors::{IcError, json_response};
use super::events::KNOWN_EVENTS;
use super::model::{ENABLED, Subscription};
use super::params::{Page, json_body, only_keys, query};
use super::{IroncladState, workflows};
use crate::ids;
use crate::json::Json;
use crate::timestamps;

const STATUSES: &[&str] = &["enabled", "disabled"];

fn not_found() -> IcError {
    IcError::not_found("webhook does not exist", "webhookId")
}

fn parse_events(value: &Json) -> Result<Vec<String>, IcError> {
    let events = value
        .as_array()
        .filter(|e| !e.is_empty())
        .ok_or_else(|| IcError::invalid("events must be a non-empty array", "events"))?;
    events
        .iter()
        .map(|e| match e.as_str() {
            Some(event) if KNOWN_EVENTS.contains(&event) => Ok(event.to_owned()),
            _ => Err(IcError::invalid(
                format!(
                    "invalid event type; {} are acceptable event types",
                    KNOWN_EVENTS.join(", ")
                ),
                "events",
            )),
        })
        .collect()
}

fn parse_target(state: &IroncladState, value: &Json) -> Result<String, IcError> {
    let invalid = || IcError::invalid("targetURL must be a valid HTTPS URL", "targetURL");
    let url = url::Url::parse(value.as_str().ok_or_else(invalid)?).map_err(|_| invalid())?;
    let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || url.host_str() == Some("localhost");
    match url.scheme() {
        "https" => Ok(url.to_string()),
        "http" if loopback && state.settings.allow_http_loopback_targets => Ok(url.to_string()),
        _ => Err(invalid()),
    }
}

fn parse_headers(value: &Json) -> Result<Vec<(String, String)>, IcError> {
    let object = value
        .as_object()
        .ok_or_else(|| IcError::invalid("headers must be an object of strings", "headers"))?;
    object
        .iter()
        .map(|(name, value)| {
            let value = value.as_str().ok_or_else(|| {
                IcError::invalid("headers must be an object of strings", "headers")
            })?;
            let valid = http::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && http::HeaderValue::from_str(value).is_ok();
            valid
                .then(|| (name.to_owned(), value.to_owned()))
                .ok_or_else(|| IcError::invalid(format!("invalid header {name}"), "headers"))
        })
        .collect()
}

fn parse_status(value: &Json) -> Result<String, IcError> {
    match value.as_str() {
        Some(status) if STATUSES.contains(&status) => Ok(status.to_owned()),
        _ => Err(IcError::invalid("status must be enabled or disabled", "status")),
    }
}

pub(crate) async fn create(
    State(state): State<Arc<IroncladState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, IcError> {
    let body = json_body(&body)?;
    only_keys(&body, &["events", "targetURL", "status", "headers"])?;
    let events = parse_events(
        body.get("events")
            .ok_or_else(|| IcError::missing("missing required parameter", "events"))?,
    )?;
    let target_url = parse_target(
        &state,
        body.get("targetURL")
            .ok_or_else(|| IcError::missing("missing required parameter", "targetURL"))?,
    )?;
    let status =
        body.get("status").map(parse_status).transpose()?.unwrap_or_else(|| ENABLED.to_owned());
    let headers = body.get("headers").map(parse_headers).transpose()?.unwrap_or_default();
    let user = caller.acting_user().cloned().unwrap_or_else(|| workflows::api_user(&state));
    let subscription = insert(&state, events, target_url, status, headers, user.id)?;
    Ok(json_response(StatusCode::OK, &subscription.json(&state.company_id)))
}

/// Add a subscription unless its target already has one (one registration per `targetURL`).
fn insert(
    state: &IroncladState,
    events: Vec<String>,
    target_url: String,
    status: String,
    headers: Vec<(String, String)>,
    by: String,
) -> Result<Subscription, IcError> {
    let mut data = state.data();
    if data.subscriptions.iter().any(|s| s.target_url == target_url) {
        return Err(IcError::invalid(
            format!("webhook already exists for event {} and target {target_url}", events[0]),
            "tagetURL",
        ));
    }
    let subscription = Subscription {
        id: ids::object_id(),
        events,
        target_url,
        status,
        status_last_updated_at: timestamps::now(),
        status_last_updated_by: by,
        consecutive_failure_count: 0,
        first_consecutive_failure: None,
        headers,
    };
    data.subscriptions.push(subscription.clone());
    Ok(subscription)
}

pub(crate) async fn list(
    State(state): State<Arc<IroncladState>>,
    uri: Uri,
) -> Result<Response, IcError> {
    let page = Page::from_query(&query(&uri))?;
    let data = state.data();
    let list = page.window(&data.subscriptions).iter().map(|s| s.json(&state.company_id)).collect();
    Ok(json_response(StatusCode::OK, &page.envelope(data.subscriptions.len(), list, false)))
}

pub(crate) async fn retrieve(
    State(state): State<Arc<IroncladState>>,
    Path(id): Path<String>,
) -> Result<Response, IcError> {
    let data = state.data();
    let subscription = data.subscriptions.iter().find(|s| s.id == id).ok_or_else(not_found)?;
    Ok(json_response(StatusCode::OK, &subscription.json(&state.company_id)))
}

pub(crate) async fn update(
    State(state): State<Arc<IroncladState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, IcError> {
    let body = json_body(&body)?;
    only_keys(&body, &["events", "targetURL", "status", "headers"])?;
    let events = body.get("events").map(parse_events).transpose()?;
    let target_url = body.get("targetURL").map(|t| parse_target(&state, t)).transpose()?;
    let status = body.get("status").map(parse_status).transpose()?;
    let headers = body.get("headers").map(parse_headers).transpose()?;
    let user = caller.acting_user().cloned().unwrap_or_else(|| workflows::api_user(&state));
    let mut data = state.data();
    if let Some(target) = &target_url
        && data.subscriptions.iter().any(|s| &s.target_url == target && s.id != id)
    {
        let event = events.as_ref().and_then(|e| e.first()).cloned().unwrap_or_default();
        return Err(IcError::invalid(
            format!("webhook already exists for event {event} and target {target}"),
            "tagetURL",
        ));
    }
    let subscription = data.subscriptions.iter_mut().find(|s| s.id == id).ok_or_else(not_found)?;
    if let Some(events) = events {
        subscription.events = events;
    }
    if let Some(target_url) = target_url {
        subscription.target_url = target_url;
    }
    if let Some(headers) = headers {
        subscription.headers = headers;
    }
    if let Some(status) = status
        && status != subscription.status
    {
        subscription.status = status;
        subscription.status_last_updated_at = timestamps::now();
        subscription.status_last_updated_by = user.id;
    }
    Ok(json_response(StatusCode::OK, &subscription.json(&state.company_id)))
}

pub(crate) async fn delete(
    State(state): State<Arc<IroncladState>>,
    Path(id): Path<String>,
) -> Result<Response, IcError> {
    let mut data = state.data();
    let before = data.subscriptions.len();
    data.subscriptions.retain(|s| s.id != id);
    if data.subscriptions.len() == before {
        return Err(not_found());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn verification_key(State(state): State<Arc<IroncladState>>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-pem-file; charset=utf-8")],
        state.signer.public_key_pem().to_owned(),
    )
        .into_response()
}

/// A subscription created directly (control surface), with the same validation.
pub(crate) fn subscribe(
    state: &Arc<IroncladState>,
    events: &[&str],
    target_url: &str,
) -> Result<String, IcError> {
    let events = parse_events(&Json::Array(events.iter().map(|e| Json::str(*e)).collect()))?;
    let target_url = parse_target(state, &Json::str(target_url))?;
    let by = workflows::api_user(state).id;
    Ok(insert(state, events, target_url, ENABLED.to_owned(), Vec::new(), by)?.id)
}
