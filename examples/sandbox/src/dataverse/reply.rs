//! A Web API response as data (status, headers, body), so `$batch` can write each operation's
//! response into its multipart body and a plain request can hand it to the HTTP server.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

use super::errors::{DvError, ODATA_JSON};
use crate::json::{Json, JsonObject};

/// One response of the Web API.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// A response without a body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self { status, headers: HeaderMap::new(), body: Bytes::new() }
    }

    /// A JSON body with the OData content type.
    pub(crate) fn json(status: StatusCode, body: JsonObject) -> Self {
        Self::bytes(status, ODATA_JSON, Json::Object(body).to_bytes())
    }

    /// A body of `content_type`.
    pub(crate) fn bytes(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Self {
        let mut reply = Self::empty(status);
        reply.header(header::CONTENT_TYPE, content_type);
        reply.body = body.into();
        reply
    }

    /// Set a header (values that are not valid header text are dropped).
    pub(crate) fn header(&mut self, name: impl Into<HeaderName>, value: &str) {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name.into(), value);
        }
    }

    pub(crate) fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

impl From<DvError> for Reply {
    fn from(error: DvError) -> Self {
        let mut reply = Reply::bytes(error.status, ODATA_JSON, error.body().to_bytes());
        if let Some(seconds) = error.retry_after_secs {
            reply.header(header::RETRY_AFTER, &seconds.to_string());
        }
        reply
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        *response.headers_mut() = self.headers;
        response
    }
}
