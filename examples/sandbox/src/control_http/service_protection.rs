//! `/_sandbox/dataverse/service-protection`: turn the emulated service protection on (with
//! Dataverse's limits, scaled by a factor, and any limit set on its own) or off, and read it.
//!
//! Durations are milliseconds (fractions allowed: a scaled window need not be whole).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use rust_decimal::Decimal;

use super::{ControlState, Refusal, body, error, guarded, reply};
use crate::ServiceProtection;
use crate::json::{Json, JsonObject};

type Shared = Arc<ControlState>;

/// The members a `PUT` may carry.
const MEMBERS: [&str; 7] = [
    "scale",
    "window_ms",
    "requests_per_window",
    "execution_time_per_window_ms",
    "concurrent_requests",
    "dop_hint",
    "cost_per_operation_ms",
];

pub(super) fn routes() -> Router<Shared> {
    Router::new().route("/dataverse/service-protection", get(read).put(set).delete(turn_off))
}

/// `GET`: `{"enabled":false,"limits":null}`, or `{"enabled":true,"limits":{…}}`.
async fn read(State(state): State<Shared>, headers: HeaderMap) -> Response {
    guarded(&state, &headers, || Ok(settings(&state)))
}

/// `PUT` with `{"scale":60}` (Dataverse's limits with the window and its budgets divided by
/// 60; absent: 1) and any limit of its own: turns protection on, answers as `GET`.
async fn set(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    guarded(&state, &headers, || {
        let limits = limits(&body(&bytes)?)?;
        state.dataverse.set_service_protection(Some(limits));
        Ok(settings(&state))
    })
}

/// `DELETE`: turns protection off, answers as `GET`.
async fn turn_off(State(state): State<Shared>, headers: HeaderMap) -> Response {
    guarded(&state, &headers, || {
        state.dataverse.set_service_protection(None);
        Ok(settings(&state))
    })
}

fn settings(state: &ControlState) -> Response {
    let current = state.dataverse.service_protection();
    let limits = current.as_ref().map(|limits| {
        JsonObject::new()
            .with("window_ms", milliseconds(limits.window))
            .with("requests_per_window", u64::from(limits.requests_per_window))
            .with("execution_time_per_window_ms", milliseconds(limits.execution_time_per_window))
            .with("concurrent_requests", u64::from(limits.concurrent_requests))
            .with("dop_hint", u64::from(limits.dop_hint))
            .with("cost_per_operation_ms", milliseconds(limits.cost_per_operation))
    });
    let answer = JsonObject::new().with("enabled", current.is_some()).with("limits", limits);
    reply(StatusCode::OK, Json::Object(answer))
}

/// A duration in milliseconds, to the microsecond.
fn milliseconds(duration: Duration) -> Decimal {
    let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
    Decimal::new(micros, 3).normalize()
}

/// The limits a `PUT` body asks for.
fn limits(body: &Json) -> Result<ServiceProtection, Refusal> {
    let object = body.as_object().ok_or_else(|| invalid("the body must be a JSON object"))?;
    if let Some(unknown) = object.keys().find(|key| !MEMBERS.contains(key)) {
        return Err(invalid(&format!(
            "unknown member '{unknown}' (known: {})",
            MEMBERS.join(", ")
        )));
    }
    let scale = number(body, "scale")?.unwrap_or(1.0);
    if scale < 1.0 {
        return Err(invalid("'scale' must be at least 1 (the real limits divided by it)"));
    }
    let mut limits = ServiceProtection::dataverse().scaled(scale);
    if let Some(ms) = positive(body, "window_ms")? {
        limits.window = Duration::from_secs_f64(ms / 1000.0);
    }
    if let Some(count) = whole(body, "requests_per_window")? {
        limits.requests_per_window = count;
    }
    if let Some(ms) = positive(body, "execution_time_per_window_ms")? {
        limits.execution_time_per_window = Duration::from_secs_f64(ms / 1000.0);
    }
    if let Some(count) = whole(body, "concurrent_requests")? {
        limits.concurrent_requests = count;
    }
    if let Some(hint) = whole(body, "dop_hint")? {
        limits.dop_hint = hint;
    }
    if let Some(ms) = number(body, "cost_per_operation_ms")? {
        limits.cost_per_operation = Duration::from_secs_f64(ms / 1000.0);
    }
    Ok(limits)
}

fn invalid(message: &str) -> Refusal {
    error(StatusCode::BAD_REQUEST, "invalid_request", message)
}

/// An optional finite, non-negative number, at most a day's worth of milliseconds.
fn number(body: &Json, name: &str) -> Result<Option<f64>, Refusal> {
    let Some(value) = body.get(name).filter(|value| !value.is_null()) else { return Ok(None) };
    value
        .as_number_text()
        .and_then(|text| text.parse::<f64>().ok())
        .filter(|number| number.is_finite() && (0.0..=86_400_000.0).contains(number))
        .map(Some)
        .ok_or_else(|| invalid(&format!("'{name}' must be a number from 0 to 86400000")))
}

/// An optional number above zero.
fn positive(body: &Json, name: &str) -> Result<Option<f64>, Refusal> {
    match number(body, name)? {
        Some(value) if value <= 0.0 => Err(invalid(&format!("'{name}' must be above 0"))),
        value => Ok(value),
    }
}

/// An optional whole number from 1.
fn whole(body: &Json, name: &str) -> Result<Option<u32>, Refusal> {
    let Some(value) = body.get(name).filter(|value| !value.is_null()) else { return Ok(None) };
    value
        .as_number_text()
        .and_then(|text| text.parse::<u32>().ok())
        .filter(|count| *count > 0)
        .map(Some)
        .ok_or_else(|| invalid(&format!("'{name}' must be a whole number from 1")))
}
