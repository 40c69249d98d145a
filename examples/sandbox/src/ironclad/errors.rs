//! Ironclad error responses: `{"code","message","param"?}` (<https://developer.ironcladapp.com/reference>).
//!
//! Codes come from the OpenAPI description's enum (`MISSING_PARAM`, `INVALID_PARAM`, `NOT_FOUND`, `FORBIDDEN`,
//! `UNAUTHORIZED`, `INVALID_STATE`, `TOO_MANY_REQUESTS`, `SERVER_ERROR`, …). Messages seen in
//! recorded real traffic are used verbatim-in-shape ("missing required attribute", "workflow does not
//! exist", "access forbidden", "invalid authentication token", the webhook duplicate message with
//! its `tagetURL` param typo); the others are the sandbox's own wording (beliefs) and say so in
//! the function docs. A 429 carries no `Retry-After`, as none is documented (<https://developer.ironcladapp.com/reference/clm-api-rate-limits>).

use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

use crate::faults::{Fault, FaultSettings};
use crate::json::{Json, JsonObject};

/// `Content-Type` of every JSON answer.
pub(crate) const JSON_UTF8: &str = "application/json; charset=utf-8";

/// One Ironclad error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IcError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) param: Option<String>,
}

impl IcError {
    fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        param: Option<&str>,
    ) -> Self {
        Self { status, code, message: message.into(), param: param.map(str::to_owned) }
    }

    /// 400 `MISSING_PARAM`.
    pub(crate) fn missing(message: impl Into<String>, param: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MISSING_PARAM", message, Some(param))
    }

    /// 400 `INVALID_PARAM`.
    pub(crate) fn invalid(message: impl Into<String>, param: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAM", message, Some(param))
    }

    /// 400 `INVALID_PARAM` without a param (a body that is not JSON).
    pub(crate) fn invalid_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAM", message, None)
    }

    /// 404 `NOT_FOUND`.
    pub(crate) fn not_found(message: impl Into<String>, param: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message, Some(param))
    }

    /// 404 for a path that is not an API route (sandbox wording).
    pub(crate) fn no_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "route not found", None)
    }

    /// 400 `INVALID_STATE` (recorded traffic shows 422 for role reassignment; the launch and update
    /// docs list it among the 400 codes).
    pub(crate) fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_STATE", message, None)
    }

    /// 401 `UNAUTHORIZED`.
    pub(crate) fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message, None)
    }

    /// 403 `FORBIDDEN`.
    pub(crate) fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", "access forbidden", None)
    }

    /// 429 `TOO_MANY_REQUESTS`.
    pub(crate) fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS", message, None)
    }

    /// 5xx `SERVER_ERROR` / `BAD_GATEWAY`.
    pub(crate) fn server_error(status: StatusCode) -> Self {
        let code = if status == StatusCode::BAD_GATEWAY { "BAD_GATEWAY" } else { "SERVER_ERROR" };
        Self::new(status, code, "internal server error", None)
    }

    /// The error body.
    pub(crate) fn body(&self) -> JsonObject {
        let mut body =
            JsonObject::new().with("code", self.code).with("message", self.message.as_str());
        if let Some(param) = &self.param {
            body.insert("param", Json::String(param.clone()));
        }
        body
    }
}

impl IntoResponse for IcError {
    fn into_response(self) -> Response {
        json_response(self.status, &Json::Object(self.body()))
    }
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: &Json) -> Response {
    (status, [(header::CONTENT_TYPE, JSON_UTF8)], body.to_bytes()).into_response()
}

/// The response to an injected 429 or 5xx.
pub(crate) fn fault_response(fault: Fault, settings: &FaultSettings) -> Response {
    match fault {
        Fault::Throttle => {
            IcError::too_many_requests("Too many requests, please try again later.").into_response()
        }
        _ => IcError::server_error(
            StatusCode::from_u16(settings.server_error_status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_shapes() {
        assert_eq!(
            Json::Object(IcError::missing("missing required attribute", "counterpartyName").body())
                .to_string(),
            r#"{"code":"MISSING_PARAM","message":"missing required attribute","param":"counterpartyName"}"#
        );
        assert_eq!(
            Json::Object(IcError::forbidden().body()).to_string(),
            r#"{"code":"FORBIDDEN","message":"access forbidden"}"#
        );
    }
}
