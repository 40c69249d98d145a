//! Reading a failed bulk request: not supported by the table, failed for sure, failed only for
//! some rows (elastic tables), or of unknown effect.

use serde::Deserialize;

use super::targets::Message;
use crate::error::Error;

/// `SdkEntityDoesNotSupportMessage`: "The method being invoked does not support provided entity
/// type" ([Web service error codes](https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes)).
const ENTITY_DOES_NOT_SUPPORT_MESSAGE: &str = "0x80040800";

/// The OData error for an unknown path segment (an environment without the message).
const RESOURCE_NOT_FOUND: &str = "0x80060888";

/// What a failed bulk request means for its rows.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The table does not support this bulk message: send the rows another way.
    NotSupported,
    /// Dataverse refused or rolled back the request: none of its rows was written.
    Definite,
    /// The request may have been processed (no usable answer): its rows' fate is unknown.
    Uncertain,
}

/// Classify `error`, the answer to a `message` request.
pub(crate) fn classify(error: &Error, message: Message) -> Failure {
    if let Some(api) = error.api_error() {
        let code = api.code.as_deref().unwrap_or_default();
        let text = api.message.as_deref().unwrap_or_default();
        let not_supported = code.eq_ignore_ascii_case(ENTITY_DOES_NOT_SUPPORT_MESSAGE)
            // "The 'CreateMultiple' method does not support entities of type 'contact'."
            || text.contains("does not support entities of type")
            // "DeleteMultiple has not yet been implemented." (a standard table)
            || (text.contains(message.name()) && text.contains("not yet been implemented"))
            || (api.status == http::StatusCode::NOT_FOUND
                && code.eq_ignore_ascii_case(RESOURCE_NOT_FOUND)
                && text.contains(message.name()));
        if not_supported && !matches!(error, Error::PossiblyApplied { .. }) {
            return Failure::NotSupported;
        }
    }
    match error {
        Error::Auth(_)
        | Error::InsecureTransport(_)
        | Error::InvalidRequest(_)
        | Error::UnsupportedKeyValue { .. }
        | Error::Config(_) => Failure::Definite,
        Error::Transport(e) if e.is_connect() => Failure::Definite,
        Error::Api(_) | Error::Conflict(_) => match error.status().map(|s| s.as_u16()) {
            Some(408 | 502 | 503 | 504) | None => Failure::Uncertain,
            Some(_) => Failure::Definite,
        },
        _ => Failure::Uncertain,
    }
}

/// One row's status in a partially failed bulk request on an elastic table.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RowStatus {
    /// The row's position in `Targets`.
    pub(crate) request_index: usize,
    /// The row's id.
    #[serde(default)]
    pub(crate) id: Option<String>,
    /// The row's HTTP status.
    pub(crate) status_code: u16,
}

/// The per-row statuses of a partially failed request on an elastic table: the
/// `…ErrorDetails.Plugin.BulkApiErrorDetails` annotation (JSON text), present when the request
/// asked for `Microsoft.PowerApps.CDS.ErrorDetails.*` annotations
/// ([On error behavior with elastic tables](https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations#on-error-behavior-with-elastic-tables)).
pub(crate) fn row_statuses(error: &Error) -> Option<Vec<RowStatus>> {
    let api = error.api_error()?;
    let (_, text) =
        api.annotations.iter().find(|(name, _)| name.ends_with("BulkApiErrorDetails"))?;
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use http::{HeaderMap, StatusCode};

    fn api(status: u16, body: &str) -> Error {
        let status = StatusCode::from_u16(status).expect("status");
        Error::from_api(ApiError::from_parts(status, &HeaderMap::new(), body.as_bytes()))
    }

    #[test]
    fn classifies_the_answers() {
        let unsupported = api(
            400,
            r#"{"error":{"code":"0x80040800","message":"The 'CreateMultiple' method does not support entities of type 'contact'."}}"#,
        );
        assert_eq!(classify(&unsupported, Message::Create), Failure::NotSupported);
        let no_delete = api(
            400,
            r#"{"error":{"code":"0x80040265","message":"DeleteMultiple has not yet been implemented."}}"#,
        );
        assert_eq!(classify(&no_delete, Message::Delete), Failure::NotSupported);
        let no_segment = api(
            404,
            r#"{"error":{"code":"0x80060888","message":"Resource not found for the segment 'Microsoft.Dynamics.CRM.UpsertMultiple'."}}"#,
        );
        assert_eq!(classify(&no_segment, Message::Upsert), Failure::NotSupported);
        let missing_row = api(
            404,
            r#"{"error":{"code":"0x80040217","message":"Contact With Ids = 1 Do Not Exist"}}"#,
        );
        assert_eq!(classify(&missing_row, Message::Update), Failure::Definite);
        assert_eq!(classify(&api(400, "{}"), Message::Create), Failure::Definite);
        assert_eq!(classify(&api(503, "<html/>"), Message::Create), Failure::Uncertain);
        assert_eq!(
            classify(&Error::Timeout(std::time::Duration::from_secs(1)), Message::Create),
            Failure::Uncertain
        );
    }

    #[test]
    fn reads_elastic_row_statuses() {
        let error = api(
            400,
            r#"{"error":{"code":"0x80040265","message":"one failed","@Microsoft.PowerApps.CDS.ErrorDetails.Plugin.BulkApiErrorDetails":"[{\"RequestIndex\":0,\"Id\":\"6114ca58-0928-ee11-9965-6045bd5cd155\",\"StatusCode\":200},{\"RequestIndex\":1,\"StatusCode\":400}]"}}"#,
        );
        let statuses = row_statuses(&error).expect("statuses");
        assert_eq!(statuses.len(), 2);
        assert_eq!(statuses[1], RowStatus { request_index: 1, id: None, status_code: 400 });
        assert!(row_statuses(&api(400, "{}")).is_none());
    }
}
