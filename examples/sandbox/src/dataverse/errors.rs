//! Dataverse error responses: `{"error":{"code":"0x…","message":"…"}}`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#parse-errors-from-the-response>).
//!
//! Messages and codes are the ones the real service returns for the same mistake, as Microsoft's
//! pages and public reports of real responses show:
//! unknown entity set → 404 `0x8006088a`; unknown property in a query → 400 `0x0`; unknown
//! property or wrong-case navigation property in a payload → 400 `0x80048d19` ("Error identified
//! in Payload …" with the OData inner exception); missing row → 404; `If-Match: *` on a missing
//! row → 404 with an empty code; `If-None-Match: *` on an existing row → 412; etag mismatch →
//! 412; throttling → 429 `0x80072322` with `Retry-After`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/api-limits>); a 401 has no
//! body and a `WWW-Authenticate: Bearer authorization_uri=…` header. No Microsoft page states the
//! codes `0x80040217` (row not found), `0x8004431a` (choice out of range) or the invalid-base64
//! message; they follow what clients report from real environments.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::faults::{Fault, FaultSettings};
use crate::json::{Json, JsonObject};

/// Content type of every JSON response of the Web API.
pub(crate) const ODATA_JSON: &str = "application/json; odata.metadata=minimal";

/// One Dataverse error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DvError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) retry_after_secs: Option<u64>,
}

const PAYLOAD_HELP: &str = "For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293";

impl DvError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.to_owned(), message: message.into(), retry_after_secs: None }
    }

    /// 404 for an entity set, function or action name that does not exist (case-sensitive).
    pub(crate) fn resource_not_found(segment: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "0x8006088a",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    /// 404 for a known resource used with the wrong method or shape.
    pub(crate) fn no_resource(uri: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "",
            format!("No HTTP resource was found that matches the request URI '{uri}'."),
        )
    }

    /// 400 for an unknown property in `$select`, `$filter`, `$orderby` or `$expand`.
    pub(crate) fn unknown_property(property: &str, logical_name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "0x0",
            format!(
                "Could not find a property named '{property}' on type 'Microsoft.Dynamics.CRM.{logical_name}'."
            ),
        )
    }

    /// 400 for a payload the OData reader refuses; `inner` is the inner exception text.
    pub(crate) fn payload(entity_set: &str, inner: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "0x80048d19",
            format!(
                "Error identified in Payload provided by the user for Entity :'{entity_set}', {PAYLOAD_HELP}  ---->  InnerException : {inner}"
            ),
        )
    }

    /// 400: a property the table does not have.
    pub(crate) fn invalid_property(entity_set: &str, property: &str, logical_name: &str) -> Self {
        Self::payload(
            entity_set,
            format!(
                "Microsoft.Crm.CrmException: Invalid property '{property}' was found in entity \
                 'Microsoft.Dynamics.CRM.{logical_name}'. ---> Microsoft.OData.ODataException: \
                 Does not support untyped value in non-open type."
            ),
        )
    }

    /// 400: an `@odata.bind` on a navigation property that does not exist (often wrong case).
    pub(crate) fn undeclared_property(entity_set: &str, property: &str) -> Self {
        Self::payload(
            entity_set,
            format!(
                "Microsoft.OData.ODataException: An undeclared property '{property}' which only has \
                 property annotations in the payload but no property value was found in the payload. \
                 In OData, only declared navigation properties and declared named streams can be \
                 represented as properties without values."
            ),
        )
    }

    /// 400: a value of the wrong type.
    pub(crate) fn convert(entity_set: &str, message: &str) -> Self {
        Self::payload(entity_set, format!("Microsoft.OData.ODataException: {message}"))
    }

    /// 404: a row (or a bound row) that does not exist.
    pub(crate) fn does_not_exist(logical_name: &str, id: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "0x80040217",
            format!("{logical_name} With Id = {id} Does Not Exist"),
        )
    }

    /// 404: `If-Match: *` on an upsert of a missing row (an empty code, as
    /// <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api>
    /// shows).
    pub(crate) fn upsert_missing(logical_name: &str, id: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "",
            format!("{logical_name} With Id = {id} Does Not Exist"),
        )
    }

    /// 412: `If-None-Match: *` on an existing row.
    pub(crate) fn duplicate_key() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "",
            "A record with matching key values already exists.",
        )
    }

    /// 412: `If-Match: W/"n"` that is not the row's current version.
    pub(crate) fn version_mismatch() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "0x80060882",
            "The version of the existing record doesn't match the RowVersion property provided.",
        )
    }

    /// 400: text longer than the column allows.
    pub(crate) fn too_long(column: &str, logical_name: &str, max: usize) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "0x80044331",
            format!(
                "A validation error occurred. The length of the '{column}' attribute of the \
                 '{logical_name}' entity exceeded the maximum allowed length of '{max}'."
            ),
        )
    }

    /// 400: a choice value that is not one of the options.
    pub(crate) fn choice_out_of_range(
        column: &str,
        logical_name: &str,
        value: i64,
        allowed: &[i64],
    ) -> Self {
        let allowed: Vec<String> = allowed.iter().map(i64::to_string).collect();
        Self::new(
            StatusCode::BAD_REQUEST,
            "0x8004431a",
            format!(
                "A validation error occurred. The value {value} of '{column}' on record of type \
                 '{logical_name}' is outside the valid range. Accepted Values: {}",
                allowed.join(",")
            ),
        )
    }

    /// 400: a URL the OData parser cannot read (also what a reserved character in an
    /// alternate-key value gives).
    pub(crate) fn query_syntax() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "0x80060888", "Bad Request - Error in query syntax.")
    }

    /// 404: no row has these alternate-key values.
    pub(crate) fn key_not_found(logical_name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "0x80060891",
            format!(
                "A record with the specified key values does not exist in {logical_name} entity"
            ),
        )
    }

    /// 412: a write that would give two rows the same alternate-key values.
    pub(crate) fn duplicate_alternate_key(columns: &[String], key: &str) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "0x80060892",
            format!(
                "A record that has the attribute values {} already exists. The entity key {key} \
                 requires that this set of attributes contains unique values. Select unique values \
                 and try again.",
                columns.join(", ")
            ),
        )
    }

    /// 501: a feature of the service the sandbox does not emulate (a whole API surface, not a
    /// query detail), so a client learns at once that the sandbox, not its request, is the limit.
    pub(crate) fn not_emulated(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "0x0",
            format!("The sandbox does not emulate {what}."),
        )
    }

    /// 400: a malformed or unsupported query.
    pub(crate) fn query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "0x0", message)
    }

    /// 400: a note's document larger than `MaxUploadFileSize` (measured on the base64 text).
    pub(crate) fn attachment_too_big() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "0x80044a02", "Attachment file size is too big.")
    }

    /// 400: a `documentbody` that is not base64 (the .NET `Convert.FromBase64String` message).
    pub(crate) fn invalid_base64(entity_set: &str) -> Self {
        Self::payload(
            entity_set,
            "System.FormatException: The input is not a valid Base-64 string as it contains a \
             non-base 64 character, more than two padding characters, or an illegal character \
             among the padding characters.",
        )
    }

    /// 429 with `Retry-After` (service protection).
    pub(crate) fn throttled(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "0x80072322",
                "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
            )
        }
    }

    /// A generic server failure.
    pub(crate) fn server_error(status: StatusCode) -> Self {
        Self::new(status, "0x80040216", "An unexpected error occurred.")
    }

    /// The error body.
    pub(crate) fn body(&self) -> Json {
        let error = JsonObject::new()
            .with("code", self.code.as_str())
            .with("message", self.message.as_str());
        Json::Object(JsonObject::new().with("error", error))
    }
}

impl IntoResponse for DvError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body().to_bytes()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
        headers.insert("OData-Version", HeaderValue::from_static("4.0"));
        if let Some(seconds) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A 401: no body, and a challenge naming the authority, as Dataverse answers a bad token.
pub(crate) fn unauthorized(authorization_uri: &str, resource: &str) -> Response {
    let challenge = format!("Bearer authorization_uri={authorization_uri}, resource_id={resource}");
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The response to an injected 429 or 5xx.
pub(crate) fn fault_response(fault: Fault, settings: &FaultSettings) -> Response {
    match fault {
        Fault::Throttle => {
            DvError::throttled(settings.retry_after.as_secs_f64().ceil() as u64).into_response()
        }
        _ => DvError::server_error(
            StatusCode::from_u16(settings.server_error_status)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_shape() {
        let error = DvError::resource_not_found("Account");
        assert_eq!(
            error.body().to_string(),
            r#"{"error":{"code":"0x8006088a","message":"Resource not found for the segment 'Account'."}}"#
        );
        let throttled = DvError::throttled(3).into_response();
        assert_eq!(throttled.status(), 429);
        assert_eq!(throttled.headers()[header::RETRY_AFTER], "3");
    }
}
