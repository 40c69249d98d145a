//! The one error type of the crate, and the decoded Ironclad error body.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};
use rest_client_core::{
    BODY_EXCERPT_LIMIT, InsecureTransport, InvalidToken, Outcome, body_excerpt,
};
use serde_json::Value;

use crate::ids::AsyncJobId;
use crate::string_enum::string_enum;
use crate::workflows::AsyncLaunchFailure;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The response header carrying Ironclad's request id (equal to `x-response-id`).
pub const REQUEST_ID_HEADER: &str = "x-ironclad-requestid";

string_enum! {
    /// The `code` of an Ironclad error body (`{"code": "NOT_FOUND", "message": …, "param": …}`).
    ///
    /// ```
    /// use ironclad_client::error::ErrorCode;
    ///
    /// assert_eq!(ErrorCode::from("NOT_FOUND"), ErrorCode::NotFound);
    /// assert_eq!(ErrorCode::from("SHINY_NEW_CODE").as_str(), "SHINY_NEW_CODE");
    /// ```
    pub enum ErrorCode {
        /// A required parameter or attribute is missing (`param` names it).
        MissingParam = "MISSING_PARAM",
        /// A parameter or attribute has an invalid value (`param` names it).
        InvalidParam = "INVALID_PARAM",
        /// The resource does not exist or is not visible to the acting user.
        NotFound = "NOT_FOUND",
        /// The token or acting user may not do this.
        Forbidden = "FORBIDDEN",
        /// The token is missing, invalid, revoked or expired.
        Unauthorized = "UNAUTHORIZED",
        /// The endpoint or parameter is deprecated.
        Deprecated = "DEPRECATED",
        /// Ironclad failed internally.
        ServerError = "SERVER_ERROR",
        /// The operation is not implemented.
        NotImplemented = "NOT_IMPLEMENTED",
        /// The operation is not allowed.
        NotAllowed = "NOT_ALLOWED",
        /// The workflow is in a state that does not allow this (e.g. not in Review).
        InvalidState = "INVALID_STATE",
        /// A referenced document (a draft `url`) could not be fetched.
        ContentUnavailable = "CONTENT_UNAVAILABLE",
        /// The request conflicts with the current state.
        Conflict = "CONFLICT",
        /// An upstream service failed.
        BadGateway = "BAD_GATEWAY",
        /// A rate limit was exceeded.
        TooManyRequests = "TOO_MANY_REQUESTS",
    }
}

/// A non-2xx answer from Ironclad (or from its OAuth token endpoint).
///
/// The body is never assumed to be JSON: `code`, `message` and `param` are filled when it is the
/// documented `{code, message, param}` shape (or the OAuth `{error, error_description}` shape), and
/// [`ApiError::body_excerpt`] always keeps a bounded excerpt of what was sent.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The service error code (`NOT_FOUND`, or an OAuth error such as `invalid_client`).
    pub code: Option<ErrorCode>,
    /// The human-readable message.
    pub message: Option<String>,
    /// The parameter or attribute the error is about.
    pub param: Option<String>,
    /// `x-ironclad-requestid`, for Ironclad support.
    pub request_id: Option<String>,
    /// The server-requested wait (`Retry-After`), when sent.
    pub retry_after: Option<Duration>,
    /// Up to 1 KiB of the response body, as text.
    pub body_excerpt: String,
    /// The request method.
    pub method: Method,
    /// The request path (without the query string, which may hold customer data).
    pub path: String,
}

impl ApiError {
    /// Decode a non-2xx response (tolerantly: any body, any content type).
    pub(crate) fn from_response(
        method: Method,
        path: String,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let (code, message, param) = parse_error_body(body);
        Self {
            status,
            code,
            message,
            param,
            request_id: request_id(headers),
            retry_after: rest_client_core::retry_after_from_headers(headers, SystemTime::now()),
            body_excerpt: body_excerpt(body, BODY_EXCERPT_LIMIT),
            method,
            path,
        }
    }

    /// How the retry policy sees this answer.
    pub(crate) fn outcome(&self) -> Outcome {
        Outcome::Status { status: self.status.as_u16(), retry_after: self.retry_after }
    }

    /// Whether the body said the token has expired (`401 UNAUTHORIZED "token has expired"`).
    pub fn is_token_expired(&self) -> bool {
        self.status == StatusCode::UNAUTHORIZED
            && self.message.as_deref().is_some_and(|m| m.to_ascii_lowercase().contains("expired"))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ironclad answered {} to {} {}", self.status, self.method, self.path)?;
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(f, ": {code}: {message}")?,
            (Some(code), None) => write!(f, ": {code}")?,
            (None, Some(message)) => write!(f, ": {message}")?,
            (None, None) if !self.body_excerpt.is_empty() => write!(f, ": {}", self.body_excerpt)?,
            (None, None) => {}
        }
        if let Some(param) = &self.param {
            write!(f, " (param `{param}`)")?;
        }
        if let Some(request_id) = &self.request_id {
            write!(f, " [request id {request_id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A 2xx response whose body did not have the expected shape.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeError {
    /// What was being decoded (`"workflow"`, `"page of records"`, …).
    pub what: &'static str,
    /// The JSON path of the offending value (`attributes.counterpartyAddress.lines[0]`), or `.`.
    pub path: String,
    /// The HTTP status of the response.
    pub status: StatusCode,
    /// `x-ironclad-requestid`.
    pub request_id: Option<String>,
    /// Up to 1 KiB of the body.
    pub body_excerpt: String,
    /// The underlying JSON error.
    pub source: serde_json::Error,
}

/// Everything that can go wrong when talking to Ironclad.
///
/// Use the predicates ([`Error::status`], [`Error::is_retryable`], [`Error::is_not_found`], …)
/// rather than matching variants: new variants may be added.
///
/// ```
/// # async fn demo(client: ironclad_client::Client) {
/// match client.workflows().get("IC-123").await {
///     Ok(workflow) => println!("{}", workflow.title.unwrap_or_default()),
///     Err(error) if error.is_not_found() => println!("no such workflow"),
///     Err(error) => eprintln!("{error} (request id {:?})", error.request_id()),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Ironclad answered with a non-2xx status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The OAuth token endpoint refused to issue a token (wrong client id or secret, a scope the
    /// app is not registered for, an expired refresh token, …).
    #[error("could not obtain an Ironclad access token: {0}")]
    Token(Box<ApiError>),
    /// The request could not be sent or the response could not be read (DNS, connect, TLS,
    /// timeout, connection reset). The URL is stripped because its query may hold customer data.
    #[error("request to Ironclad failed ({method} {path}): {source}")]
    Transport {
        /// The request method.
        method: Method,
        /// The request path, without the query string.
        path: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A 2xx response did not have the documented shape.
    #[error(
        "could not decode {} from Ironclad's {} response at `{}`: {}",
        .0.what, .0.status, .0.path, .0.source
    )]
    Decode(Box<DecodeError>),
    /// Client-credentials tokens must act as a user, and no acting user was set.
    #[error(
        "an OAuth client-credentials token must act as a user: set an acting user \
         (x-as-user-email or x-as-user-id) with ClientBuilder::acting_user or Client::acting_as"
    )]
    ActingUserRequired,
    /// A bearer token would have been sent over plain `http://` to a non-loopback host.
    #[error(transparent)]
    InsecureTransport(#[from] InsecureTransport),
    /// The access token cannot be put in an HTTP header.
    #[error(transparent)]
    InvalidToken(#[from] InvalidToken),
    /// No answer within the time allowed: obtaining an OAuth token took longer than
    /// [`ClientBuilder::token_timeout`](crate::ClientBuilder::token_timeout), or a download
    /// received no data for [`ClientBuilder::timeout`](crate::ClientBuilder::timeout). (An API
    /// call that times out is an [`Error::Transport`] for which [`Error::is_timeout`] holds.)
    #[error("Ironclad did not answer within {0:?}")]
    Timeout(Duration),
    /// The client configuration is invalid (bad base URL, header value, …).
    #[error("invalid Ironclad client configuration: {0}")]
    Config(String),
    /// The request cannot be built from the given arguments.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Reading or writing a local file or stream failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An asynchronous launch finished with `status: "failed"`.
    #[error("asynchronous workflow launch {job_id} failed: {failure}")]
    LaunchFailed {
        /// The async job id.
        job_id: AsyncJobId,
        /// The error Ironclad reported.
        failure: Box<AsyncLaunchFailure>,
    },
    /// An asynchronous launch was still in progress when the polling budget ran out.
    #[error("asynchronous workflow launch {job_id} was still in progress after {waited:?}")]
    LaunchTimedOut {
        /// The async job id; poll it later with `Workflows::async_launch_status`.
        job_id: AsyncJobId,
        /// How long the client waited.
        waited: Duration,
    },
}

impl Error {
    /// The HTTP status, when Ironclad (or its token endpoint) answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) | Error::Token(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The decoded error body, when Ironclad answered with a non-2xx status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::Token(e) => Some(e),
            _ => None,
        }
    }

    /// The service error code (`NOT_FOUND`, `INVALID_PARAM`, …).
    pub fn code(&self) -> Option<&ErrorCode> {
        self.api_error().and_then(|e| e.code.as_ref())
    }

    /// `x-ironclad-requestid` of the failing response; quote it to Ironclad support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) | Error::Token(e) => e.request_id.as_deref(),
            Error::Decode(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// The server-requested wait (`Retry-After`), when one was sent.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(|e| e.retry_after)
    }

    /// Whether trying again later may succeed: throttling (429), timeouts (408, 504), gateway and
    /// server errors (500, 502, 503) and transport failures.
    ///
    /// # Troubleshooting
    /// The client already retried these as far as its [`RetryPolicy`](crate::config::RetryPolicy)
    /// allowed (and only where replaying was safe); a retryable error here means the budget ran
    /// out, or the request was a POST that Ironclad may have acted on.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => matches!(e.status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504),
            Error::Token(e) => matches!(e.status.as_u16(), 429 | 500 | 502 | 503 | 504),
            Error::Transport { source, .. } => {
                source.is_timeout() || source.is_connect() || source.is_request()
            }
            Error::Timeout(_) => true,
            _ => false,
        }
    }

    /// Whether a rate limit was hit (429).
    ///
    /// # Troubleshooting
    /// Ironclad limits requests per company and bucket (workflow writes: 40 per minute). Enable
    /// the client-side limiter with [`ClientBuilder::rate_limits`](crate::ClientBuilder::rate_limits)
    /// so bulk jobs run at the limit instead of into it.
    pub fn is_throttled(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
            || self.code() == Some(&ErrorCode::TooManyRequests)
    }

    /// Whether the resource does not exist (404 or `NOT_FOUND`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api(_))
            && (self.status() == Some(StatusCode::NOT_FOUND)
                || self.code() == Some(&ErrorCode::NotFound))
    }

    /// Whether the request conflicts with the current state (409, `CONFLICT`, `INVALID_STATE`).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Api(_))
            && (self.status() == Some(StatusCode::CONFLICT)
                || matches!(self.code(), Some(ErrorCode::Conflict | ErrorCode::InvalidState)))
    }

    /// Whether authentication failed: a 401 from the API, or the token endpoint refused.
    ///
    /// # Troubleshooting
    /// A legacy API token may have been deleted in Company Settings → API; an OAuth app may lack
    /// the scope, or be registered in another environment (each of Global, EU1, Demo and Preview
    /// needs its own app).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Token(_)) || self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// Whether the token or acting user lacks permission (403).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Error::Api(_)) && self.status() == Some(StatusCode::FORBIDDEN)
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport { source, .. } => source.is_timeout(),
            Error::Api(e) => e.status == StatusCode::REQUEST_TIMEOUT,
            Error::Timeout(_) | Error::LaunchTimedOut { .. } => true,
            _ => false,
        }
    }

    /// Whether no connection could be made.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if source.is_connect())
    }

    /// A transport error; the path is taken from the error's URL, which is then stripped (its
    /// query may hold customer data such as a filter formula).
    pub(crate) fn transport(method: &Method, source: reqwest::Error) -> Self {
        let path = source.url().map(|url| url.path().to_owned()).unwrap_or_default();
        Error::Transport { method: method.clone(), path, source: source.without_url() }
    }

    /// A transport error while reading the body of a response to `path`.
    pub(crate) fn transport_at(method: &Method, path: &str, source: reqwest::Error) -> Self {
        Error::Transport {
            method: method.clone(),
            path: path.to_owned(),
            source: source.without_url(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}

/// `x-ironclad-requestid`, falling back to `x-response-id`.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    [REQUEST_ID_HEADER, "x-response-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(str::to_owned)
}

/// Pull `code`/`message`/`param` out of whatever the body is.
fn parse_error_body(body: &[u8]) -> (Option<ErrorCode>, Option<String>, Option<String>) {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return (None, None, None);
    };
    let text = |map: &serde_json::Map<String, Value>, key: &str| {
        map.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
    };
    // The async-launch failure nests the body under `error`; OAuth puts a string there.
    if let Some(Value::Object(inner)) = map.get("error")
        && inner.contains_key("code")
    {
        return (
            text(inner, "code").map(ErrorCode::from),
            text(inner, "message"),
            text(inner, "param"),
        );
    }
    let code = text(&map, "code").or_else(|| text(&map, "error")).map(ErrorCode::from);
    let message = text(&map, "message")
        .or_else(|| text(&map, "error_description"))
        .or_else(|| text(&map, "Message"));
    (code, message, text(&map, "param"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, body: &str) -> ApiError {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, "req-1".parse().unwrap());
        ApiError::from_response(
            Method::GET,
            "/public/api/v1/workflows/x".into(),
            StatusCode::from_u16(status).unwrap(),
            &headers,
            body.as_bytes(),
        )
    }

    #[test]
    fn decodes_every_documented_error_shape() {
        let e = api(
            400,
            r#"{"code":"MISSING_PARAM","message":"missing required attribute","param":"counterpartySignerTitle"}"#,
        );
        assert_eq!(e.code, Some(ErrorCode::MissingParam));
        assert_eq!(e.param.as_deref(), Some("counterpartySignerTitle"));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));

        let oauth = api(401, r#"{"error":"invalid_client","error_description":"bad secret"}"#);
        assert_eq!(oauth.code, Some(ErrorCode::Other("invalid_client".into())));
        assert_eq!(oauth.message.as_deref(), Some("bad secret"));

        let html = api(502, "<html><body>Bad gateway</body></html>");
        assert_eq!(html.code, None);
        assert_eq!(html.body_excerpt, "<html><body>Bad gateway</body></html>");
        assert!(html.to_string().contains("Bad gateway"), "{html}");

        let empty = api(400, "{}");
        assert_eq!((empty.code, empty.message), (None, None));

        let expired = api(401, r#"{"code":"UNAUTHORIZED","message":"token has expired"}"#);
        assert!(expired.is_token_expired());
        assert_eq!(
            expired.to_string(),
            "Ironclad answered 401 Unauthorized to GET /public/api/v1/workflows/x: UNAUTHORIZED: \
             token has expired [request id req-1]"
        );
    }

    #[test]
    fn predicates_follow_status_and_code() {
        let not_found = Error::Api(Box::new(api(404, r#"{"code":"NOT_FOUND","message":"x"}"#)));
        assert!(not_found.is_not_found() && !not_found.is_retryable());
        assert_eq!(not_found.request_id(), Some("req-1"));
        let throttled = Error::Api(Box::new(api(429, "")));
        assert!(throttled.is_throttled() && throttled.is_retryable());
        let state = Error::Api(Box::new(api(422, r#"{"code":"INVALID_STATE","message":"x"}"#)));
        assert!(state.is_conflict());
        assert!(Error::Token(Box::new(api(401, "{}"))).is_unauthorized());
        assert!(!Error::ActingUserRequired.is_retryable());
    }
}
