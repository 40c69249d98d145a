//! The control surface over plain HTTP, under `/_sandbox/` on each emulator's listener, so tests
//! in any language can seed rows, inject faults, read the request log and act as Ironclad users.
//!
//! Every endpoint but `GET /_sandbox/health` needs the service's bearer token (the one its API
//! takes). Bodies and answers are JSON; errors are `{"error":{"status","code","message"}}`.
//! Control requests never get injected faults and are not written to the request log. The
//! README lists every endpoint.

mod common;
mod dataverse;
mod ironclad;
mod service_protection;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};

use crate::SandboxError;
use crate::credentials::{bearer, eq};
use crate::dataverse::DataverseControl;
use crate::faults::{Faults, Service};
use crate::ironclad::IroncladControl;
use crate::json::{Json, JsonObject};
use crate::observe::RequestLog;
use crate::seed::SeededRows;

/// The path every control endpoint lives under.
pub(crate) const PREFIX: &str = "/_sandbox";

/// What the control endpoints of one listener act on.
#[derive(Clone)]
pub(crate) struct ControlState {
    pub(crate) service: Service,
    pub(crate) token: SecretString,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) dataverse: DataverseControl,
    pub(crate) ironclad: IroncladControl,
    pub(crate) seeded: Arc<Mutex<SeededRows>>,
}

/// The control routes of one listener, to merge with its API routes.
pub(crate) fn router(state: ControlState) -> Router {
    let service_routes = match state.service {
        Service::Dataverse => dataverse::routes().merge(service_protection::routes()),
        Service::Ironclad => ironclad::routes(),
    };
    Router::new().nest(PREFIX, common::routes().merge(service_routes)).with_state(Arc::new(state))
}

/// A JSON answer.
pub(crate) fn reply(status: StatusCode, body: Json) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_bytes()).into_response()
}

/// A refused control request: `{"error":{"status","code","message"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    status: StatusCode,
    code: String,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let error = JsonObject::new()
            .with("status", u64::from(self.status.as_u16()))
            .with("code", self.code)
            .with("message", self.message);
        reply(self.status, Json::Object(JsonObject::new().with("error", error)))
    }
}

/// A refusal with this status, code and message.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Refusal {
    Refusal { status, code: code.to_owned(), message: message.into() }
}

/// The answer of a handler that may be refused.
pub(crate) fn answer(result: Result<Response, Refusal>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Run `action` after the token check.
pub(crate) fn guarded(
    state: &ControlState,
    headers: &HeaderMap,
    action: impl FnOnce() -> Result<Response, Refusal>,
) -> Response {
    answer(authorize(state, headers).and_then(|()| action()))
}

/// A refusal from the emulator, with the status the real API would answer.
pub(crate) fn rejected(failure: SandboxError) -> Refusal {
    match failure {
        SandboxError::Rejected { status, code, message } => {
            error(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), &code, message)
        }
        other => error(StatusCode::INTERNAL_SERVER_ERROR, "sandbox_error", other.to_string()),
    }
}

/// 401 unless the request carries the service's token.
pub(crate) fn authorize(state: &ControlState, headers: &HeaderMap) -> Result<(), Refusal> {
    match bearer(headers) {
        Some(token) if eq(token, state.token.expose_secret()) => Ok(()),
        _ => Err(error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The control surface takes the same bearer token as the service's API.",
        )),
    }
}

/// The JSON body of a control request (an empty body reads as `{}`).
pub(crate) fn body(bytes: &Bytes) -> Result<Json, Refusal> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Json::Object(JsonObject::new()));
    }
    Json::parse_bytes(bytes).map_err(|e| error(StatusCode::BAD_REQUEST, "invalid_json", e.0))
}

/// A member that must be a string.
pub(crate) fn required_str<'a>(body: &'a Json, name: &str) -> Result<&'a str, Refusal> {
    body.get(name).and_then(Json::as_str).ok_or_else(|| {
        error(StatusCode::BAD_REQUEST, "invalid_request", format!("'{name}' must be a string"))
    })
}

/// An optional member that must be a non-negative whole number.
pub(crate) fn optional_u64(body: &Json, name: &str) -> Result<Option<u64>, Refusal> {
    match body.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(value) => {
            value.as_number_text().and_then(|t| t.parse::<u64>().ok()).map(Some).ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("'{name}' must be a whole number"),
                )
            })
        }
    }
}
