//! The one error type of the crate.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use http::StatusCode;
pub use rest_client_core::InsecureTransport;

use crate::batch::InterruptedBatch;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Dataverse error codes (`error.code`) that mean the caller was throttled by service protection
/// limits: number of requests, execution time, and concurrent requests.
const THROTTLING_CODES: [&str; 3] = ["0x80072322", "0x80072321", "0x80072326"];

/// `DuplicateRecord`: a duplicate-detection rule matched the row being created or updated
/// (only with `MSCRM.SuppressDuplicateDetection: false`).
const DUPLICATE_DETECTED: &str = "0x80040333";

/// Everything that can go wrong when talking to Dataverse.
///
/// Match on the variant when you need to, or use the predicates ([`Error::is_retryable`],
/// [`Error::is_throttled`], [`Error::is_not_found`], [`Error::is_conflict`]) and accessors
/// ([`Error::status`], [`Error::request_id`], [`Error::api_error`]) that work across variants.
///
/// ```
/// use dataverse_client::Error;
///
/// fn describe(error: &Error) -> &'static str {
///     if error.is_not_found() {
///         "no such row"
///     } else if error.is_conflict() {
///         "someone else changed the row first"
///     } else if error.is_throttled() {
///         "slow down"
///     } else {
///         "other failure"
///     }
/// }
/// # let _ = describe;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Dataverse answered with an error status (other than the conflicts in [`Error::Conflict`]).
    #[error("{0}")]
    Api(Box<ApiError>),

    /// `412 Precondition Failed` or `409 Conflict`: the row's version did not match the etag sent
    /// with `If-Match` (optimistic concurrency), a create-only upsert found an existing row, or a
    /// duplicate-detection rule matched the row (with
    /// [`RequestOptions::suppress_duplicate_detection(false)`](crate::config::RequestOptions::suppress_duplicate_detection);
    /// tell it apart with [`Error::is_duplicate`]).
    #[error("conflict: {0}")]
    Conflict(Box<ApiError>),

    /// A request was sent again after an earlier attempt whose answer was lost (a timeout, a
    /// reset connection, a gateway error) and the replay met the answer that attempt's own
    /// success would cause: a `DELETE` found no row (`404`), or a write conditioned on an etag or
    /// on the row not existing failed its condition (`412`). The earlier attempt most likely
    /// took effect, but that cannot be told for sure: read the row to find out.
    ///
    /// Check [`Error::is_possibly_applied`] before the other predicates: [`Error::status`],
    /// [`Error::is_not_found`] and [`Error::is_conflict`] still describe the final answer, so
    /// code that already takes a `404` on delete or a `412` on a create-only upsert as "already
    /// done" keeps working.
    #[error(
        "{error} (attempt {attempts}; an earlier attempt whose answer was lost may already have applied this request)"
    )]
    PossiblyApplied {
        /// How many attempts were made.
        attempts: u32,
        /// The final answer.
        error: Box<Error>,
    },

    /// The request could not be sent or the response could not be read (DNS, connect, TLS, reset).
    #[error("could not reach Dataverse: {0}")]
    Transport(#[source] reqwest::Error),

    /// No response arrived within the per-attempt timeout.
    #[error("Dataverse did not answer within {0:?}")]
    Timeout(Duration),

    /// No access token could be obtained.
    #[error("authentication failed: {0}")]
    Auth(#[from] AuthError),

    /// A bearer token would have been sent over plain `http://` to a host that is not loopback.
    #[error(transparent)]
    InsecureTransport(#[from] InsecureTransport),

    /// A successful response did not have the expected shape.
    #[error("could not decode {what} at `{path}`: {source}")]
    Decode {
        /// What was being decoded, e.g. "a page of cre6f_agreements".
        what: String,
        /// The JSON path of the value that failed (`value[3].revenue`), `.` for the root.
        path: String,
        /// The underlying JSON error (line and column).
        #[source]
        source: serde_json::Error,
    },

    /// The request was rejected before anything was sent: an invalid argument, name or body.
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// An alternate-key value contains a character that Dataverse cannot take in a key in the
    /// URL (`< > * % & : / \ # + ?`): retrieving, updating, upserting or deleting by such a key
    /// fails on a real environment, so nothing was sent. Find the row with a `$filter` query
    /// instead ([`Filter::eq`](crate::query::Filter::eq) on the key column) and use its id.
    ///
    /// Microsoft documents the limitation in
    /// [Define alternate keys using Power Apps](https://learn.microsoft.com/power-apps/maker/data-platform/define-alternate-keys-portal)
    /// and [Retrieve a table row using the Web API](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api#retrieve-using-an-alternate-key).
    #[error(
        "the alternate-key value of column `{column}` contains {character:?}, which Dataverse does not support in alternate-key values in a URL; look the row up with a $filter query instead"
    )]
    UnsupportedKeyValue {
        /// The key column whose value holds the character.
        column: String,
        /// The first unsupported character found.
        character: char,
    },

    /// A `$batch` request refers to a [`ContentId`](crate::batch::ContentId) (`$1`) that is not
    /// defined by an earlier request of its own change set: a request outside any change set,
    /// or one in another change set, cannot use it. Dataverse would refuse the batch with
    /// `400` "Content-ID Reference: '$1' does not exist in the batch context"
    /// ([Execute batch operations using the Web API](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api#reference-uris-in-an-operation)),
    /// so nothing was sent.
    #[error(
        "Content-ID reference `{reference}` is not defined by an earlier request of the same change set"
    )]
    ContentIdOutOfScope {
        /// The reference that is out of scope.
        reference: crate::batch::ContentId,
    },

    /// A FetchXML query limits its rows with the `<fetch>` element's `top` attribute and also
    /// asks for paging (a page size, or a `count`, `page` or `paging-cookie` attribute).
    /// Microsoft: "Don't use the fetch element `top` attribute with paging"
    /// ([Page results using FetchXml](https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/page-results)).
    /// Nothing was sent: drop `top`, or the paging.
    #[error(
        "a FetchXML query with a `top` attribute cannot be paged (it also has {paging}); remove one of them"
    )]
    FetchXmlTopWithPaging {
        /// What asks for paging: `page_size` (the builder), or the attribute `count`, `page` or
        /// `paging-cookie`.
        paging: String,
    },

    /// A batch sent in several `$batch` requests (more than
    /// [`MAX_BATCH_REQUESTS`](crate::batch::MAX_BATCH_REQUESTS)) stopped at a piece that got no usable
    /// answer, after earlier pieces were committed. Its [`results`](InterruptedBatch::results)
    /// say what happened to every request, so only the rest needs sending again.
    #[error("{0}")]
    BatchInterrupted(Box<InterruptedBatch>),

    /// A note's document exceeds the organization's `MaxUploadFileSize`, which Dataverse applies
    /// to the base64-encoded size. Nothing was uploaded.
    #[error(
        "document too large: {base64_size} bytes once base64-encoded, but the organization accepts at most {limit} (MaxUploadFileSize)"
    )]
    DocumentTooLarge {
        /// The size of the base64 text of the document (bytes).
        base64_size: u64,
        /// The organization's `MaxUploadFileSize` (bytes).
        limit: u64,
    },

    /// Reading a document (file or caller stream) failed.
    #[error("could not read the document: {0}")]
    Io(#[source] std::io::Error),

    /// Paging stopped because the service returned a next link (or paging cookie) it had already
    /// returned: following it again would loop forever.
    #[error("paging stopped: the service repeated a next link it had already returned")]
    PagingLoop,

    /// The response was successful but unusable (a missing header, a malformed `$batch` body).
    #[error("unexpected response from Dataverse: {0}")]
    UnexpectedResponse(String),

    /// The client configuration is invalid (for example an unparsable environment URL).
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// The Dataverse error details, for [`Error::Api`] and [`Error::Conflict`] (and the errors
    /// that wrap one).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::Conflict(e) => Some(e),
            Error::PossiblyApplied { error, .. } => error.api_error(),
            Error::BatchInterrupted(interrupted) => interrupted.error.api_error(),
            _ => None,
        }
    }

    /// The HTTP status Dataverse answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Transport(e) => e.status(),
            Error::PossiblyApplied { error, .. } => error.status(),
            Error::BatchInterrupted(interrupted) => interrupted.error.status(),
            _ => self.api_error().map(|e| e.status),
        }
    }

    /// The request id Dataverse assigned (`x-ms-service-request-id` or `REQ_ID`), for support.
    pub fn request_id(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.request_id.as_deref())
    }

    /// The `x-ms-client-request-id` this client sent with the request Dataverse answered
    /// with an error (the same on every retry of it), for support.
    pub fn client_request_id(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.client_request_id.as_deref())
    }

    /// The server's requested wait (`Retry-After`), if it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(|e| e.retry_after)
    }

    /// Whether trying again later could succeed: throttling, gateway errors (502/503/504),
    /// timeouts and connection failures. The client already retried these per its
    /// [`RetryPolicy`](crate::config::RetryPolicy) before returning the error. Never true for
    /// [`Error::PossiblyApplied`] and [`Error::BatchInterrupted`]: sending the same request again
    /// could apply it twice.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.is_throttled() || matches!(e.status.as_u16(), 408 | 502 | 503 | 504),
            Error::Transport(e) => e.is_connect() || e.is_timeout() || e.is_request(),
            Error::Timeout(_) => true,
            Error::Auth(e) => e.is_transient(),
            _ => false,
        }
    }

    /// Whether Dataverse throttled the caller (`429`, or a service-protection error code).
    pub fn is_throttled(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_throttled)
    }

    /// Whether the row (or resource) does not exist (`404`). Also true for an
    /// [`Error::PossiblyApplied`] whose final answer was a `404`; never for
    /// [`Error::BatchInterrupted`].
    pub fn is_not_found(&self) -> bool {
        !matches!(self, Error::BatchInterrupted(_)) && self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether this is a concurrency conflict: `412` (etag mismatch, the row already exists for a
    /// create-only upsert, or a duplicate-detection rule matched) or `409`. Also true for an
    /// [`Error::PossiblyApplied`] whose final answer was one.
    pub fn is_conflict(&self) -> bool {
        match self {
            Error::Conflict(_) => true,
            Error::PossiblyApplied { error, .. } => error.is_conflict(),
            _ => false,
        }
    }

    /// Whether a duplicate-detection rule stopped the create or update (error code
    /// `0x80040333`, answered with `412`; older environments answer `500`). Only happens when
    /// detection is turned on with
    /// [`RequestOptions::suppress_duplicate_detection(false)`](crate::config::RequestOptions::suppress_duplicate_detection).
    /// See [Use optional parameters](https://learn.microsoft.com/power-apps/developer/data-platform/optional-parameters#suppress-duplicate-detection).
    pub fn is_duplicate(&self) -> bool {
        matches!(self, Error::Api(_) | Error::Conflict(_))
            && self.api_error().is_some_and(ApiError::is_duplicate)
    }

    /// Whether a replayed request met the answer its own earlier, lost success would cause
    /// ([`Error::PossiblyApplied`]): the change was most likely made.
    pub fn is_possibly_applied(&self) -> bool {
        matches!(self, Error::PossiblyApplied { .. })
    }

    /// Whether authentication failed: Dataverse answered `401`, or no access token could be
    /// obtained (the identity provider refused the credential, or could not be reached; see
    /// [`Error::is_retryable`] for the transient cases).
    ///
    /// # Troubleshooting
    /// Check the tenant id, client id and secret, and that the application user exists in the
    /// environment: an app registration must be added to each environment as an application user
    /// with a security role
    /// ([Manage application users](https://learn.microsoft.com/power-platform/admin/manage-application-users)).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Auth(_)) || self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// Whether the caller lacks a privilege for the operation (`403`).
    ///
    /// # Troubleshooting
    /// The application user's security roles decide what it may read and write; the error
    /// message names the missing privilege (`prvReadAccount`, …).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(StatusCode::FORBIDDEN)
    }

    /// Whether an attempt ran out of time: no answer within the per-attempt timeout, a download
    /// that stalled, a token request over the token timeout, or a `408` from the service.
    ///
    /// # Troubleshooting
    /// Dataverse ends a request after two minutes on its side; raise
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout) only for operations that
    /// legitimately run that long, and prefer smaller batches or pages.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout(_) => true,
            Error::Transport(e) => e.is_timeout(),
            Error::Auth(e) => e.caused_by(|source| {
                source.is::<tokio::time::error::Elapsed>()
                    || source
                        .downcast_ref::<reqwest::Error>()
                        .is_some_and(reqwest::Error::is_timeout)
            }),
            _ => self.status() == Some(StatusCode::REQUEST_TIMEOUT),
        }
    }

    /// Whether no connection could be made (DNS, refused, TLS handshake): nothing was sent.
    pub fn is_connect(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_connect(),
            Error::Auth(e) => e.caused_by(|source| {
                source.downcast_ref::<reqwest::Error>().is_some_and(reqwest::Error::is_connect)
            }),
            _ => false,
        }
    }

    /// Dataverse's error code (`error.code`, e.g. `0x80040217` for a missing row), when it
    /// answered with one.
    pub fn code(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.code.as_deref())
    }

    pub(crate) fn from_api(error: ApiError) -> Self {
        match error.status {
            StatusCode::PRECONDITION_FAILED | StatusCode::CONFLICT => {
                Error::Conflict(Box::new(error))
            }
            _ => Error::Api(Box::new(error)),
        }
    }

    pub(crate) fn decode(
        what: impl Into<String>,
        error: serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        let path = error.path().to_string();
        Error::Decode { what: what.into(), path, source: error.into_inner() }
    }
}

/// An error answer from Dataverse: `{"error":{"code":"0x…","message":"…"}}` plus what the
/// response headers said.
///
/// The body is never assumed to be JSON: a gateway's HTML page still yields the status, the
/// request id and a bounded [`body_excerpt`](Self::body_excerpt).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Dataverse's `error.code`, e.g. `0x80040265`; `None` when absent or empty.
    pub code: Option<String>,
    /// Dataverse's `error.message`.
    pub message: Option<String>,
    /// The request id (`x-ms-service-request-id`, `REQ_ID` or `request-id` header).
    pub request_id: Option<String>,
    /// The `x-ms-client-request-id` the client sent (one per logical request, the same on
    /// every retry), to find the request in the service's logs and in this client's traces.
    /// `None` for the result of one request inside a `$batch`.
    pub client_request_id: Option<String>,
    /// The parsed `Retry-After` (or `x-ms-retry-after-ms`).
    pub retry_after: Option<Duration>,
    /// The first kilobyte of the body, as text.
    pub body_excerpt: String,
    /// Annotations inside `error` that Dataverse adds with `Prefer: odata.include-annotations`
    /// (`@Microsoft.PowerApps.CDS.HelpLink`, `…TraceText`, `…InnerError.Message`, …), keyed by
    /// their name without the leading `@`, values as text.
    pub annotations: BTreeMap<String, String>,
}

impl ApiError {
    /// Decode an error response: status, headers and (possibly non-JSON) body.
    pub(crate) fn from_parts(status: StatusCode, headers: &http::HeaderMap, body: &[u8]) -> Self {
        let request_id = ["x-ms-service-request-id", "req_id", "request-id", "x-ms-request-id"]
            .iter()
            .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
            .map(str::to_owned);
        let retry_after =
            rest_client_core::retry_after_from_headers(headers, std::time::SystemTime::now());
        let mut error = ApiError {
            status,
            code: None,
            message: None,
            request_id,
            client_request_id: None,
            retry_after,
            body_excerpt: rest_client_core::body_excerpt(
                body,
                rest_client_core::BODY_EXCERPT_LIMIT,
            ),
            annotations: BTreeMap::new(),
        };
        if let Ok(serde_json::Value::Object(mut root)) = serde_json::from_slice(body)
            && let Some(serde_json::Value::Object(inner)) = root.remove("error")
        {
            for (key, value) in inner {
                let text = match value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => continue,
                    other => other.to_string(),
                };
                match key.as_str() {
                    "code" => error.code = Some(text).filter(|c| !c.is_empty()),
                    "message" => error.message = Some(text).filter(|m| !m.is_empty()),
                    annotation if annotation.starts_with('@') => {
                        error.annotations.insert(annotation[1..].to_owned(), text);
                    }
                    _ => {}
                }
            }
        }
        error
    }

    /// Whether this is service-protection throttling: `429`, or one of the throttling error codes
    /// (`0x80072322` requests, `0x80072321` execution time, `0x80072326` concurrency).
    pub fn is_throttled(&self) -> bool {
        self.status == StatusCode::TOO_MANY_REQUESTS
            || self
                .code
                .as_deref()
                .is_some_and(|c| THROTTLING_CODES.iter().any(|t| t.eq_ignore_ascii_case(c)))
    }

    /// Whether a duplicate-detection rule matched (code `0x80040333`); see
    /// [`Error::is_duplicate`].
    pub fn is_duplicate(&self) -> bool {
        self.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(DUPLICATE_DETECTED))
    }

    /// `@Microsoft.PowerApps.CDS.HelpLink`, when Dataverse sent it.
    pub fn help_link(&self) -> Option<&str> {
        self.annotations.get("Microsoft.PowerApps.CDS.HelpLink").map(String::as_str)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dataverse answered {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        match &self.message {
            Some(message) => write!(f, ": {message}")?,
            None if !self.body_excerpt.is_empty() => write!(f, ": {}", self.body_excerpt)?,
            None => {}
        }
        if let Some(wait) = self.retry_after {
            write!(f, " (retry after {wait:?})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        if let Some(id) = &self.client_request_id {
            write!(f, " [client request id {id}]")?;
        }
        Ok(())
    }
}

/// A token could not be obtained from the identity provider.
///
/// The message never contains a secret. Token providers you write yourself build one with
/// [`AuthError::new`] or [`AuthError::with_source`].
///
/// ```
/// use dataverse_client::error::AuthError;
///
/// let error = AuthError::new("the vault refused to release the secret");
/// assert_eq!(error.to_string(), "the vault refused to release the secret");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    message: String,
    status: Option<StatusCode>,
    transient: bool,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl AuthError {
    /// An error with a message (which must not contain a secret).
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), status: None, transient: false, source: None }
    }

    /// An error with a message and the error that caused it.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self { source: Some(source.into()), ..Self::new(message) }
    }

    /// Record the identity provider's HTTP status.
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self.transient |= status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        self
    }

    /// Mark the failure as transient (a network error or an overloaded identity provider).
    pub fn transient(mut self, transient: bool) -> Self {
        self.transient = transient;
        self
    }

    /// The identity provider's HTTP status, if it answered.
    pub fn http_status(&self) -> Option<StatusCode> {
        self.status
    }

    /// Whether trying again later could succeed.
    pub fn is_transient(&self) -> bool {
        self.transient
    }

    /// Whether the direct cause of this error satisfies `test`.
    fn caused_by(&self, test: impl Fn(&(dyn std::error::Error + 'static)) -> bool) -> bool {
        self.source.as_deref().is_some_and(|source| test(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    #[test]
    fn decodes_dataverse_error_with_annotations() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-service-request-id", HeaderValue::from_static("req-1"));
        headers.insert("retry-after", HeaderValue::from_static("5"));
        let body = br#"{"error":{"code":"0x80040265","message":"Plug-in said no","@Microsoft.PowerApps.CDS.HelpLink":"http://go.microsoft.com/fwlink/?LinkID=398563","@Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus":"0"}}"#;
        let error = ApiError::from_parts(StatusCode::BAD_REQUEST, &headers, body);
        assert_eq!(error.code.as_deref(), Some("0x80040265"));
        assert_eq!(error.message.as_deref(), Some("Plug-in said no"));
        assert_eq!(error.request_id.as_deref(), Some("req-1"));
        assert_eq!(error.retry_after, Some(Duration::from_secs(5)));
        assert_eq!(error.help_link(), Some("http://go.microsoft.com/fwlink/?LinkID=398563"));
        assert_eq!(
            error.annotations.get("Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus"),
            Some(&"0".to_owned())
        );
        assert_eq!(
            error.to_string(),
            "Dataverse answered 400 Bad Request (0x80040265): Plug-in said no (retry after 5s) [request id req-1]"
        );
    }

    #[test]
    fn non_json_body_keeps_status_and_excerpt() {
        let error = ApiError::from_parts(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html><body>Bad gateway</body></html>",
        );
        assert_eq!(error.code, None);
        assert_eq!(error.message, None);
        assert_eq!(error.body_excerpt, "<html><body>Bad gateway</body></html>");
        let error = Error::from_api(error);
        assert!(error.is_retryable());
        assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
    }

    #[test]
    fn empty_code_is_none_and_412_is_a_conflict() {
        let body = br#"{"error":{"code":"","message":"A record with matching key values already exists."}}"#;
        let error = Error::from_api(ApiError::from_parts(
            StatusCode::PRECONDITION_FAILED,
            &HeaderMap::new(),
            body,
        ));
        assert!(error.is_conflict());
        assert!(!error.is_retryable());
        assert_eq!(error.api_error().and_then(|e| e.code.clone()), None);
    }

    #[test]
    fn throttling_codes_count_as_throttled() {
        let body = br#"{"error":{"code":"0x80072326","message":"Number of concurrent requests exceeded the limit of 52."}}"#;
        let error = Error::from_api(ApiError::from_parts(
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new(),
            body,
        ));
        assert!(error.is_throttled());
        assert!(error.is_retryable());
        let not_found = Error::from_api(ApiError::from_parts(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            br#"{"error":{"code":"0x80040217","message":"account With Id = 1 Does Not Exist"}}"#,
        ));
        assert!(not_found.is_not_found());
        assert!(!not_found.is_throttled());
    }
}
