//! Conditional retrieve: `If-None-Match: <etag>`, answered `304 Not Modified` when the row is
//! unchanged.

use std::future::IntoFuture;

use futures_util::future::BoxFuture;
use http::{HeaderValue, StatusCode};
use serde::de::DeserializeOwned;

use super::requests::Retrieve;
use crate::error::{Error, Result};
use crate::http::{IF_NONE_MATCH, What, decode_json};

/// The answer to a conditional retrieve ([`Retrieve::if_none_match`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conditional<T> {
    /// The row changed since the version whose etag was sent (or Dataverse cannot tell): its
    /// current content.
    Modified(T),
    /// The row still has the etag that was sent (`304 Not Modified`): nothing was returned.
    NotModified,
}

impl<T> Conditional<T> {
    /// The row, when it was returned.
    pub fn modified(self) -> Option<T> {
        match self {
            Conditional::Modified(row) => Some(row),
            Conditional::NotModified => None,
        }
    }

    /// Whether the row is unchanged.
    pub fn is_not_modified(&self) -> bool {
        matches!(self, Conditional::NotModified)
    }
}

/// A pending conditional [`Client::retrieve`](crate::Client::retrieve); see
/// [`Retrieve::if_none_match`].
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct RetrieveIfModified<'c, T> {
    pub(super) retrieve: Retrieve<'c, T>,
    pub(super) etag: String,
}

impl<'c, T: DeserializeOwned> RetrieveIfModified<'c, T> {
    /// Send the request.
    ///
    /// # Errors
    /// As [`Retrieve::send`]; [`Error::InvalidRequest`] when the etag is not a valid header value.
    pub async fn send(self) -> Result<Conditional<T>> {
        let etag = HeaderValue::try_from(self.etag.as_str()).map_err(|_| {
            Error::InvalidRequest("the etag is not a valid header value".to_owned())
        })?;
        let mut retrieve = self.retrieve;
        let mut call = retrieve.call()?.header(IF_NONE_MATCH, etag);
        call.pass_not_modified = true;
        let sent = retrieve.client.send(call).await?;
        if sent.response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Conditional::NotModified);
        }
        let body = sent.body().await?;
        decode_json(&body, What::of("a row of", &retrieve.entity_set)).map(Conditional::Modified)
    }
}

impl<'c, T: DeserializeOwned + Send + 'c> IntoFuture for RetrieveIfModified<'c, T> {
    type Output = Result<Conditional<T>>;
    type IntoFuture = BoxFuture<'c, Result<Conditional<T>>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
