//! The one request pipeline: URL building, acting user, rate limiting, auth header, retry loop,
//! error decoding and tracing.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, Method, StatusCode};
use rest_client_core::{
    BODY_EXCERPT_LIMIT, Outcome, Replay, RetryDecision, RetryPolicy, body_excerpt, decide,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::error::{ApiError, DecodeError, REQUEST_ID_HEADER};
use crate::rate_limit::RateLimitBucket;
use crate::serde_util::decode_error_path;
use crate::{Client, Error};

/// The most of an error body the client reads; the rest is dropped unread.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Builds a fresh multipart form for each attempt (a form is consumed when sent).
pub(crate) type FormFactory =
    Arc<dyn Fn() -> Result<reqwest::multipart::Form, Error> + Send + Sync>;

pub(crate) enum RequestBody {
    Empty,
    Json(Bytes),
    Multipart(FormFactory),
}

/// One API call, described before it is sent (so it can be sent again).
pub(crate) struct ApiRequest {
    method: Method,
    segments: Vec<String>,
    query: Vec<(&'static str, String)>,
    body: RequestBody,
    replay: Replay,
    accept: &'static str,
    download: bool,
}

impl ApiRequest {
    pub(crate) fn new(method: Method, segments: Vec<String>) -> Self {
        let replay = Replay::for_method(&method);
        Self {
            method,
            segments,
            query: Vec::new(),
            body: RequestBody::Empty,
            replay,
            accept: "application/json",
            download: false,
        }
    }

    pub(crate) fn get(segments: Vec<String>) -> Self {
        Self::new(Method::GET, segments)
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    pub(crate) fn query_opt(self, key: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.query(key, value),
            None => self,
        }
    }

    pub(crate) fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::InvalidRequest(format!("could not serialize the request body: {e}"))
        })?;
        self.body = RequestBody::Json(Bytes::from(bytes));
        Ok(self)
    }

    pub(crate) fn multipart(mut self, factory: FormFactory) -> Self {
        self.body = RequestBody::Multipart(factory);
        self
    }

    /// Override the method's default replay safety (e.g. a PATCH that only sets values).
    pub(crate) fn replay(mut self, replay: Replay) -> Self {
        self.replay = replay;
        self
    }

    /// Ask for another media type than JSON.
    pub(crate) fn accept(mut self, accept: &'static str) -> Self {
        self.accept = accept;
        self
    }

    /// A byte download: the per-attempt deadline covers only the response head (a large file
    /// must not be cut off; a stalled body fails in `ByteStream`), and any `Accept`.
    pub(crate) fn download(mut self) -> Self {
        self.download = true;
        self.accept = "*/*";
        self
    }
}

impl ApiRequest {
    /// One attempt's reqwest request (built again for every attempt: a multipart form is
    /// consumed when sent).
    fn build(
        &self,
        http: &reqwest::Client,
        url: &Url,
        authorization: HeaderValue,
        acting_user: Option<&(HeaderName, HeaderValue)>,
        timeout: Option<std::time::Duration>,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let mut builder = http
            .request(self.method.clone(), url.clone())
            .header(http::header::AUTHORIZATION, authorization)
            .header(ACCEPT, self.accept);
        if let Some((name, value)) = acting_user {
            builder = builder.header(name, value);
        }
        builder = match &self.body {
            RequestBody::Empty => builder,
            RequestBody::Json(bytes) => {
                builder.header(CONTENT_TYPE, "application/json").body(bytes.clone())
            }
            RequestBody::Multipart(factory) => builder.multipart(factory()?),
        };
        // Downloads get no overall deadline: a large document must not be cut off.
        if let (Some(timeout), false) = (timeout, self.download) {
            builder = builder.timeout(timeout);
        }
        Ok(builder)
    }
}

/// A path segment from a caller-supplied id: never empty, never a dot segment (which URL
/// normalisation would silently drop, turning `get("..")` into a list call).
pub(crate) fn id_segment(what: &str, id: &str) -> Result<String, Error> {
    let trimmed = id.trim();
    if trimmed.is_empty() || trimmed == "." || trimmed == ".." {
        return Err(Error::InvalidRequest(format!("{what} must be a non-empty id, got {id:?}")));
    }
    Ok(trimmed.to_owned())
}

/// The path segments of a request: `segments!["workflows", id, "approvals"]`.
macro_rules! segments {
    ($($segment:expr),+ $(,)?) => {
        vec![$(String::from($segment)),+]
    };
}
pub(crate) use segments;

impl Client {
    fn url_for(&self, request: &ApiRequest) -> Result<Url, Error> {
        let mut url = self.inner.api_base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Config(format!("{} cannot be a base URL", self.inner.api_base)))?
            .pop_if_empty()
            .extend(&request.segments);
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(request.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// Send `request`, retrying as the policy allows, and return the first 2xx response.
    pub(crate) async fn execute(&self, request: ApiRequest) -> Result<reqwest::Response, Error> {
        let url = self.url_for(&request)?;
        let acting_user = self.acting_user.as_ref().map(|user| user.header()).transpose()?;
        if acting_user.is_none() && self.inner.auth.requires_acting_user() {
            return Err(Error::ActingUserRequired);
        }
        rest_client_core::check_bearer_transport(&url)?;
        let bucket =
            self.inner.rate_limiter.as_ref().map(|_| {
                RateLimitBucket::for_request(&request.method, &request.segments.join("/"))
            });
        // The span's name and fields are the same in every client of this workspace.
        let span = tracing::debug_span!(
            "ironclad.request",
            method = %request.method,
            target = %request.segments.join("/"),
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
        );
        let inner = &self.inner;
        async move {
            let started = Instant::now();
            let mut attempt: u32 = 0;
            let mut reauthenticated = false;
            loop {
                attempt += 1;
                tracing::Span::current().record("attempt", attempt);
                if let (Some(limiter), Some(bucket)) = (&inner.rate_limiter, bucket) {
                    limiter.acquire(bucket).await;
                }
                let (authorization, token) =
                    inner
                    .auth
                    .authorization(&inner.http, &inner.retry, inner.timeout, inner.token_timeout)
                    .await?;
                let builder = request.build(
                    &inner.http,
                    &url,
                    authorization,
                    acting_user.as_ref(),
                    inner.timeout,
                )?;
                // An API call's deadline is inside the request (it covers the body too). A
                // download's covers only the wait for the response head: its body may take as
                // long as its size needs, and `ByteStream` fails it when it stalls instead.
                let sent = match (request.download, inner.timeout) {
                    (true, Some(limit)) => {
                        tokio::time::timeout(limit, builder.send()).await.map_err(|_| limit)
                    }
                    _ => Ok(builder.send().await),
                };
                let (outcome, error) = match sent {
                    Err(limit) => (Outcome::SendFailed, Error::Timeout(limit)),
                    Ok(Ok(response)) if response.status().is_success() => {
                        tracing::Span::current().record("status", response.status().as_u16());
                        return Ok(response);
                    }
                    Ok(Ok(response)) => {
                        tracing::Span::current().record("status", response.status().as_u16());
                        let error =
                            read_api_error(request.method.clone(), url.path().to_owned(), response)
                                .await;
                        if error.status == StatusCode::UNAUTHORIZED
                            && inner.auth.can_reauthenticate()
                            && !reauthenticated
                        {
                            // The token was rejected (expired early, revoked, rotated): Ironclad
                            // did nothing, so get a new token and send once more.
                            tracing::debug!(message = ?error.message, "token rejected; re-authenticating");
                            reauthenticated = true;
                            if let Some(token) = &token {
                                inner.auth.invalidate(token);
                            }
                            attempt -= 1;
                            continue;
                        }
                        (error.outcome(), Error::Api(Box::new(error)))
                    }
                    Ok(Err(source)) => {
                        (transport_outcome(&source), Error::transport(&request.method, source))
                    }
                };
                let retried =
                    back_off(&inner.retry, request.replay, attempt, started, outcome, error).await;
                if let Err(error) = retried {
                    tracing::debug!(%error, "request failed");
                    return Err(error);
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Send and decode a JSON body; `what` names the payload in decode errors.
    pub(crate) async fn execute_json<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
        what: &'static str,
    ) -> Result<T, Error> {
        let method = request.method.clone();
        let response = self.execute(request).await?;
        let status = response.status();
        // Only the request id is kept (a cheap clone), for a decode error.
        let request_id = response.headers().get(REQUEST_ID_HEADER).cloned();
        let path = response.url().path().to_owned();
        let body = response.bytes().await.map_err(|e| Error::transport_at(&method, &path, e))?;
        decode_json(what, status, request_id.as_ref(), &body)
    }

    /// Send a byte download and stream its 2xx body; `file_name` (from document metadata) wins
    /// over the `Content-Disposition` header.
    pub(crate) async fn execute_download(
        &self,
        request: ApiRequest,
        file_name: Option<String>,
    ) -> Result<crate::download::Download, Error> {
        let response = self.execute(request.download()).await?;
        Ok(crate::download::Download::new(response, file_name, self.inner.timeout))
    }

    /// [`Client::execute_json`] for a payload that holds a credential (a signed or recipient
    /// URL): a decode error keeps no excerpt of the body, which would carry it into logs.
    pub(crate) async fn execute_json_withheld<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
        what: &'static str,
    ) -> Result<T, Error> {
        self.execute_json(request, what).await.map_err(|error| match error {
            Error::Decode(mut decode) => {
                decode.body_excerpt = format!("[{what} withheld: it holds a signed URL]");
                Error::Decode(decode)
            }
            other => other,
        })
    }

    /// Send, expecting any 2xx; the body (`true`, `""`, a resource) is drained and ignored.
    pub(crate) async fn execute_unit(&self, request: ApiRequest) -> Result<(), Error> {
        let response = self.execute(request).await?;
        // The call succeeded; reading the rest only returns the connection to the pool.
        let _ = response.bytes().await;
        Ok(())
    }
}

/// Decode a 2xx JSON body; on failure, name the JSON path of the offending value.
pub(crate) fn decode_json<T: DeserializeOwned>(
    what: &'static str,
    status: StatusCode,
    request_id: Option<&HeaderValue>,
    body: &[u8],
) -> Result<T, Error> {
    match serde_json::from_slice(body) {
        Ok(value) => Ok(value),
        Err(source) => Err(Error::Decode(Box::new(DecodeError {
            what,
            path: decode_error_path::<T>(body),
            status,
            request_id: request_id.and_then(|v| v.to_str().ok()).map(str::to_owned),
            body_excerpt: body_excerpt(body, BODY_EXCERPT_LIMIT),
            source,
        }))),
    }
}

/// Decode a non-2xx response (for the API or the token endpoint) into an [`ApiError`], reading
/// at most [`ERROR_BODY_LIMIT`] of its body: error bodies can be large HTML pages.
pub(crate) async fn read_api_error(
    method: Method,
    path: String,
    mut response: reqwest::Response,
) -> ApiError {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = ERROR_BODY_LIMIT.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= ERROR_BODY_LIMIT {
            break;
        }
    }
    ApiError::from_response(method, path, status, &headers, &body)
}

/// How the retry policy sees a request that got no response: a failed connection never reached
/// Ironclad, anything else (timeout, reset) may have.
pub(crate) fn transport_outcome(error: &reqwest::Error) -> Outcome {
    if error.is_connect() { Outcome::ConnectFailed } else { Outcome::SendFailed }
}

/// After failed attempt number `attempt` of a call started at `started`: sleep as the policy
/// says and return `Ok` to send again, or hand `error` back when the policy stops. The one
/// decide-then-sleep step of the API pipeline and the token endpoint.
pub(crate) async fn back_off(
    policy: &RetryPolicy,
    replay: Replay,
    attempt: u32,
    started: Instant,
    outcome: Outcome,
    error: Error,
) -> Result<(), Error> {
    match decide(policy, attempt, started.elapsed(), replay, outcome, fastrand::f64()) {
        RetryDecision::Stop => Err(error),
        RetryDecision::RetryAfter(delay) => {
            tracing::warn!(attempt, ?delay, %error, "retrying Ironclad request");
            tokio::time::sleep(delay).await;
            Ok(())
        }
    }
}
