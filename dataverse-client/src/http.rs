//! The one request pipeline: headers, auth, retries, error decoding, tracing.
//!
//! Every operation describes its request as a [`Call`] and hands it to [`Client::send`]. The loop
//! sends, turns the result into an [`Outcome`], asks [`rest_client_core::decide`] and either
//! returns or sleeps (`tokio::time::sleep`, so tests can pause time) and tries again.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use rest_client_core::{Outcome, Replay, RetryDecision, decide};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::{Instant, Sleep};
use tracing::Instrument;
use url::Url;

use crate::client::Client;
use crate::error::{ApiError, Error, Result};
use crate::options::RequestOptions;

/// Error bodies are read up to this size for decoding; the rest is discarded.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

pub(crate) const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const ODATA_VERSION: HeaderValue = HeaderValue::from_static("4.0");
const ODATA_MAX_VERSION_NAME: HeaderName = HeaderName::from_static("odata-maxversion");
const ODATA_VERSION_NAME: HeaderName = HeaderName::from_static("odata-version");
pub(crate) const PREFER: HeaderName = HeaderName::from_static("prefer");
pub(crate) const IF_MATCH: HeaderName = HeaderName::from_static("if-match");
pub(crate) const IF_NONE_MATCH: HeaderName = HeaderName::from_static("if-none-match");
const NULL_ETAG: HeaderValue = HeaderValue::from_static("null");
/// The id the client gives each logical request, the same on every attempt, so the service's
/// logs can be matched with ours. Microsoft's Dataverse SDK for Python sends the same header
/// (<https://github.com/microsoft/PowerPlatform-DataverseClient-Python>), as Azure services
/// document it (<https://learn.microsoft.com/rest/api/cosmos-db-resource-provider/cosmosdbresourceprovider-headers>).
pub(crate) const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-client-request-id");

/// A random (version 4) UUID.
pub(crate) fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid()
}

/// Serialize a JSON request body. Builders call it up front and keep the result, so the error
/// surfaces when the request is sent.
pub(crate) fn json_body<B: Serialize + ?Sized>(body: &B) -> Result<Bytes> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| Error::InvalidRequest(format!("the body cannot be serialized: {e}")))
}

/// A body for one attempt and its exact length, when known.
pub(crate) type OpenedBody = (reqwest::Body, Option<u64>);

/// A request body that is produced per attempt (a streamed note document).
pub(crate) trait BodySource: Send + Sync {
    /// The body for the next attempt and its exact length when known; `None` when the source
    /// was consumed and cannot be produced again (the request is then not retried).
    fn open(&self) -> BoxFuture<'_, Result<Option<OpenedBody>>>;

    /// The error that made the body stream fail, if it failed, so the caller sees
    /// [`Error::DocumentTooLarge`] or [`Error::Io`] rather than a transport error.
    fn take_error(&self) -> Option<Error>;
}

/// What a request carries.
pub(crate) enum Payload {
    Empty,
    Bytes { content_type: HeaderValue, bytes: Bytes },
    Source { content_type: HeaderValue, source: Arc<dyn BodySource> },
}

/// One logical request, possibly sent several times.
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    /// For the tracing span: the entity set or action the request is about.
    pub(crate) target: String,
    pub(crate) headers: HeaderMap,
    pub(crate) payload: Payload,
    pub(crate) replay: Replay,
    pub(crate) options: RequestOptions,
    /// Hand final 4xx responses (not 401/408/429) back to the caller instead of turning them
    /// into errors: a failed `$batch` still carries a multipart body to read.
    pub(crate) pass_client_errors: bool,
    /// Hand `304 Not Modified` back to the caller (a conditional retrieve).
    pub(crate) pass_not_modified: bool,
    /// A request Dataverse may work on for minutes (`$batch`, the block-upload commit): its
    /// attempts get the client's longer timeout.
    pub(crate) long_running: bool,
}

impl Call {
    /// A request whose replay safety follows its method (GET, PUT, DELETE safe; POST, PATCH not).
    pub(crate) fn new(method: Method, url: Url, target: impl Into<String>) -> Self {
        let replay = Replay::for_method(&method);
        Self {
            method,
            url,
            target: target.into(),
            headers: HeaderMap::new(),
            payload: Payload::Empty,
            replay,
            options: RequestOptions::default(),
            pass_client_errors: false,
            pass_not_modified: false,
            long_running: false,
        }
    }

    pub(crate) fn json<B: Serialize + ?Sized>(self, body: &B) -> Result<Self> {
        Ok(self.json_bytes(json_body(body)?))
    }

    /// A JSON body serialized earlier with [`json_body`].
    pub(crate) fn json_bytes(mut self, bytes: Bytes) -> Self {
        self.payload = Payload::Bytes { content_type: APPLICATION_JSON, bytes };
        self
    }

    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Add `Prefer` preferences (joined with `, `), if any.
    pub(crate) fn prefer(mut self, preferences: &[String]) -> Self {
        if !preferences.is_empty()
            && let Ok(value) = HeaderValue::try_from(preferences.join(", "))
        {
            self.headers.insert(PREFER, value);
        }
        self
    }

    pub(crate) fn replay(mut self, replay: Replay) -> Self {
        self.replay = replay;
        self
    }

    pub(crate) fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Give the request the client's timeout for long-running requests.
    pub(crate) fn long_running(mut self) -> Self {
        self.long_running = true;
        self
    }

    /// Whether `status` is what this request gets when an earlier attempt of it already took
    /// effect: a replayed DELETE finds no row (`404`); a replayed write conditioned on an etag
    /// (`If-Match: W/"…"`) or on the row not existing (`If-None-Match: *`) fails its condition
    /// (`412`), because the first attempt changed the row or created it.
    fn echoes_an_earlier_success(&self, status: StatusCode) -> bool {
        let header = |name: &HeaderName| self.headers.get(name).map(HeaderValue::as_bytes);
        match status {
            StatusCode::NOT_FOUND => self.method == Method::DELETE,
            StatusCode::PRECONDITION_FAILED => {
                header(&IF_MATCH).is_some_and(|etag| etag != b"*")
                    || header(&IF_NONE_MATCH) == Some(b"*")
            }
            _ => false,
        }
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Send `call`, retrying per the policy; a 2xx response is returned with the timer of its
    /// attempt (to bound reading its body), anything else becomes an [`Error`].
    ///
    /// A plain function returning a future rather than an `async fn`: that layer would keep its
    /// own copy of the `Call` argument, and the request future is moved into a box and lives
    /// for the whole request.
    pub(crate) fn send(&self, call: Call) -> impl Future<Output = Result<Sent>> + Send + '_ {
        let span = tracing::debug_span!(
            "dataverse.request",
            method = %call.method,
            target = %call.target,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
        );
        self.send_in_span(call, span.clone()).instrument(span)
    }

    async fn send_in_span(&self, call: Call, span: tracing::Span) -> Result<Sent> {
        let inner = &self.inner;
        let options = inner.default_options.merged_with(&call.options);
        let replay = match options.replay_safe_value() {
            Some(true) => Replay::Safe,
            _ => call.replay,
        };
        // A streamed upload takes as long as its document needs: only an explicit per-request
        // timeout limits it (stalled responses are still caught by the read timeout).
        let timeout = match call.payload {
            Payload::Source { .. } => options.timeout_value(),
            _ if call.long_running => options.timeout_value().or(inner.long_attempt_timeout),
            _ => options.timeout_value().or(inner.attempt_timeout),
        };
        // One id for the logical request, sent on every attempt (a caller's own wins).
        let client_request_id = match call.headers.get(CLIENT_REQUEST_ID) {
            Some(given) => given.clone(),
            None => HeaderValue::try_from(random_uuid().to_string())
                .unwrap_or(HeaderValue::from_static("")),
        };
        let client_request_id_text = client_request_id.to_str().unwrap_or_default().to_owned();
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut reauthorized = false;
        let mut last_error: Option<Error> = None;
        // Whether an attempt that is being retried may have reached Dataverse and taken effect
        // (its response was lost or was a gateway error), as opposed to being refused unprocessed
        // (connection failed, 429, 401).
        let mut earlier_attempt_may_have_applied = false;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            // Rarely needed futures are boxed so the request future stays small (it is moved
            // into a box per request and lives for the whole request).
            let authorization = match inner.auth.fresh_authorization() {
                Some(header) => header,
                None => Box::pin(inner.auth.authorization(&inner.http)).await?,
            };
            let streamed = match &call.payload {
                Payload::Source { source, .. } => match source.open().await? {
                    Some(opened) => Some(opened),
                    None => {
                        // The body cannot be produced again: report the failure that made us
                        // retry.
                        return Err(last_error.unwrap_or_else(|| {
                            Error::InvalidRequest(
                                "the request body can only be sent once".to_owned(),
                            )
                        }));
                    }
                },
                _ => None,
            };
            let request =
                build_request(&call, &options, authorization.clone(), &client_request_id, streamed);
            // The throughput governor: wait for a place (and out any pause), then report.
            let place = match &inner.governor {
                Some(governor) => Some(Box::pin(governor.acquire()).await),
                None => None,
            };
            let mut timer = AttemptTimer::start(timeout);
            let sent = timer.run(inner.http.execute(request)).await;
            if let Some(place) = place {
                place.answered(&sent);
            }
            let (outcome, error) = match sent {
                Err(timed_out) => (Outcome::SendFailed, timed_out),
                Ok(Err(error)) => {
                    if let Payload::Source { source, .. } = &call.payload
                        && let Some(body_error) = source.take_error()
                    {
                        return Err(body_error);
                    }
                    let outcome = if error.is_connect() {
                        Outcome::ConnectFailed
                    } else {
                        Outcome::SendFailed
                    };
                    (outcome, Error::Transport(error.without_url()))
                }
                Ok(Ok(response)) => {
                    let status = response.status();
                    span.record("status", status.as_u16());
                    if status.is_success()
                        || (status == StatusCode::NOT_MODIFIED && call.pass_not_modified)
                    {
                        return Ok(Sent {
                            response,
                            timer,
                            client_request_id: client_request_id_text,
                        });
                    }
                    if call.pass_client_errors
                        && status.is_client_error()
                        && !matches!(status.as_u16(), 401 | 408 | 429)
                    {
                        return Ok(Sent {
                            response,
                            timer,
                            client_request_id: client_request_id_text,
                        });
                    }
                    if status == StatusCode::UNAUTHORIZED && !reauthorized {
                        // The token was revoked or expired early: fetch a new one and try once more.
                        // Safe for every method, the request was rejected before any processing.
                        tracing::debug!("401 Unauthorized: refreshing the access token");
                        reauthorized = true;
                        inner.auth.invalidate(&authorization);
                        last_error = Some(
                            Box::pin(error_from_response(
                                response,
                                &mut timer,
                                &client_request_id_text,
                            ))
                            .await,
                        );
                        continue;
                    }
                    let error = Box::pin(error_from_response(
                        response,
                        &mut timer,
                        &client_request_id_text,
                    ))
                    .await;
                    let retry_after = error.retry_after();
                    (Outcome::Status { status: status.as_u16(), retry_after }, error)
                }
            };
            let reached =
                !matches!(outcome, Outcome::ConnectFailed | Outcome::Status { status: 429, .. });
            let decision =
                decide(&inner.retry, attempt, started.elapsed(), replay, outcome, fastrand::f64());
            match decision {
                RetryDecision::RetryAfter(delay) => {
                    tracing::warn!(attempt, ?delay, error = %error, "retrying Dataverse request");
                    earlier_attempt_may_have_applied |= reached;
                    last_error = Some(error);
                    Box::pin(tokio::time::sleep(delay)).await;
                }
                _ => {
                    let echo = error.status().is_some_and(|s| call.echoes_an_earlier_success(s));
                    if earlier_attempt_may_have_applied && echo {
                        return Err(Error::PossiblyApplied {
                            attempts: attempt,
                            error: Box::new(error),
                        });
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Send `call` and decode the JSON body of its response.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        call: Call,
        what: What<'_>,
    ) -> Result<T> {
        let body = self.send(call).await?.body().await?;
        decode_json(&body, what)
    }

    /// Send `call`, expecting no useful body (204).
    pub(crate) async fn send_empty(&self, call: Call) -> Result<HeaderMap> {
        let Sent { mut response, mut timer, .. } = self.send(call).await?;
        let headers = std::mem::take(response.headers_mut());
        // Drain so the connection goes back to the pool.
        let _ = timer.run(response.bytes()).await;
        Ok(headers)
    }
}

/// The request for one attempt (headers are built per attempt rather than cloned: the same
/// allocations on the first attempt, and retries are rare).
fn build_request(
    call: &Call,
    options: &RequestOptions,
    authorization: HeaderValue,
    client_request_id: &HeaderValue,
    streamed: Option<OpenedBody>,
) -> reqwest::Request {
    let mut headers = HeaderMap::with_capacity(10 + call.headers.len());
    headers.insert(ACCEPT, APPLICATION_JSON);
    headers.insert(ODATA_MAX_VERSION_NAME, ODATA_VERSION);
    headers.insert(ODATA_VERSION_NAME, ODATA_VERSION);
    for (name, value) in &call.headers {
        headers.insert(name.clone(), value.clone());
    }
    if call.method == Method::GET && !headers.contains_key(IF_NONE_MATCH) {
        // Microsoft asks for `If-None-Match: null` on every request, so no cache between the
        // client and Dataverse answers with stale data (notably for collection-valued `$expand`):
        // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#http-headers
        headers.insert(IF_NONE_MATCH, NULL_ETAG);
    }
    options.apply(&mut headers);
    headers.insert(CLIENT_REQUEST_ID, client_request_id.clone());
    headers.insert(AUTHORIZATION, authorization);
    let mut request = reqwest::Request::new(call.method.clone(), call.url.clone());
    match (&call.payload, streamed) {
        (Payload::Bytes { content_type, bytes }, _) => {
            headers.insert(CONTENT_TYPE, content_type.clone());
            *request.body_mut() = Some(reqwest::Body::from(bytes.clone()));
        }
        (Payload::Source { content_type, .. }, Some((body, length))) => {
            headers.insert(CONTENT_TYPE, content_type.clone());
            if let Some(length) = length {
                // hyper honours an explicit Content-Length for a streamed body: the upload is
                // not chunked, and a body of any other length fails the request.
                headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
            }
            *request.body_mut() = Some(body);
        }
        _ => {}
    }
    *request.headers_mut() = headers;
    request
}

/// The time limit of one attempt: one timer, registered once, bounds both waiting for the
/// response and reading a buffered body.
pub(crate) struct AttemptTimer {
    sleep: Option<Pin<Box<Sleep>>>,
    limit: Duration,
}

impl AttemptTimer {
    fn start(limit: Option<Duration>) -> Self {
        Self {
            sleep: limit.map(|limit| Box::pin(tokio::time::sleep(limit))),
            limit: limit.unwrap_or_default(),
        }
    }

    /// Run `work` unless the attempt's time runs out first ([`Error::Timeout`]).
    pub(crate) fn run<F: Future>(&mut self, work: F) -> Timed<'_, F> {
        Timed { work, sleep: self.sleep.as_mut(), limit: self.limit }
    }
}

pin_project_lite::pin_project! {
    /// `work`, raced against the attempt's timer (a hand-written future: no second copy of
    /// `work` in an async state machine).
    pub(crate) struct Timed<'t, F> {
        #[pin]
        work: F,
        sleep: Option<&'t mut Pin<Box<Sleep>>>,
        limit: Duration,
    }
}

impl<F: Future> Future for Timed<'_, F> {
    type Output = Result<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.work.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if let Some(sleep) = this.sleep
            && sleep.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(Error::Timeout(*this.limit)));
        }
        Poll::Pending
    }
}

/// A successful response and the timer of the attempt that produced it.
pub(crate) struct Sent {
    pub(crate) response: reqwest::Response,
    pub(crate) timer: AttemptTimer,
    /// The `x-ms-client-request-id` the request was sent with.
    pub(crate) client_request_id: String,
}

impl Sent {
    /// The whole body, read within the attempt's time limit.
    pub(crate) async fn body(self) -> Result<Bytes> {
        let Sent { response, mut timer, .. } = self;
        timer.run(response.bytes()).await?.map_err(|e| Error::Transport(e.without_url()))
    }
}

/// What a response body is, for decode errors; only turned into text when decoding fails.
#[derive(Clone, Copy)]
pub(crate) struct What<'a> {
    prefix: &'static str,
    subject: &'a str,
}

impl<'a> What<'a> {
    /// `"<prefix> <subject>"`, e.g. `a row of` + `accounts`.
    pub(crate) fn of(prefix: &'static str, subject: &'a str) -> Self {
        Self { prefix, subject }
    }

    fn text(self) -> String {
        if self.subject.is_empty() {
            self.prefix.to_owned()
        } else {
            format!("{} {}", self.prefix, self.subject)
        }
    }
}

impl From<&'static str> for What<'_> {
    fn from(prefix: &'static str) -> Self {
        Self { prefix, subject: "" }
    }
}

/// Decode JSON, naming the path of the value that failed.
pub(crate) fn decode_json<T: DeserializeOwned>(body: &[u8], what: What<'_>) -> Result<T> {
    match serde_json::from_slice(body) {
        Ok(value) => Ok(value),
        // Decode again only on failure: the path tracking costs time on every success otherwise.
        Err(plain) => {
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
                Err(error) => Err(Error::decode(what.text(), error)),
                Ok(_) => {
                    Err(Error::Decode { what: what.text(), path: ".".to_owned(), source: plain })
                }
            }
        }
    }
}

/// Build the error for a non-2xx response, reading at most [`ERROR_BODY_LIMIT`] of its body
/// (and only as long as the attempt's timer allows: the status alone still makes an error).
pub(crate) async fn error_from_response(
    mut response: reqwest::Response,
    timer: &mut AttemptTimer,
    client_request_id: &str,
) -> Error {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_LIMIT {
        match timer.run(response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let mut error = ApiError::from_parts(status, &headers, &body);
    error.client_request_id = Some(client_request_id.to_owned());
    Error::from_api(error)
}
