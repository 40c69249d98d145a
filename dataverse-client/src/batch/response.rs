//! What a batch returns, per request.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{ApiError, Error, Result};
use crate::http::decode_json;
use crate::odata::entity_id_from_headers;

/// The response to one request of a batch.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BatchResponse {
    /// The request's status.
    pub status: StatusCode,
    /// The request's response headers (`OData-EntityId`, `Location`, `REQ_ID`, …).
    pub headers: HeaderMap,
    /// The response body (JSON for reads, empty for most writes).
    pub body: Bytes,
    /// The `Content-ID` echoed for a change-set request.
    pub content_id: Option<String>,
}

impl BatchResponse {
    pub(crate) fn new(
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        content_id: Option<String>,
    ) -> Self {
        Self { status, headers, body, content_id }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The id of the row created or updated, from `OData-EntityId` (or `Location`).
    pub fn entity_id(&self) -> Option<Uuid> {
        entity_id_from_headers(&self.headers)
    }

    /// Decode the JSON body, e.g. as a [`Page`](crate::paging::Page) for a query or a row for a create
    /// with `Prefer: return=representation`.
    ///
    /// # Errors
    /// [`Error::Decode`] when the body does not have the expected shape.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(&self.body, "a $batch response part".into())
    }

    pub(crate) fn api_error(&self) -> ApiError {
        ApiError::from_parts(self.status, &self.headers, &self.body)
    }
}

/// What happened to one request of a batch.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BatchOutcome {
    /// The request succeeded.
    Succeeded(BatchResponse),
    /// The request failed; a request in a change set that fails rolls the whole set back.
    Failed(Box<ApiError>),
    /// The request was in a change set that failed, so its effect was rolled back. The error
    /// is the change set's.
    RolledBack(Arc<ApiError>),
    /// The batch stopped at an earlier failure (no `continue_on_error`) before this request.
    NotExecuted,
    /// The request was sent in a `$batch` that got no usable answer (a timeout or a dropped
    /// connection after sending, or a gateway error): it may or may not have been applied. Only
    /// in the results of an [`InterruptedBatch`].
    Unknown,
}

impl BatchOutcome {
    /// Whether the request succeeded.
    pub fn is_success(&self) -> bool {
        matches!(self, BatchOutcome::Succeeded(_))
    }

    /// The response, when the request succeeded.
    pub fn response(&self) -> Option<&BatchResponse> {
        match self {
            BatchOutcome::Succeeded(response) => Some(response),
            _ => None,
        }
    }

    /// The response, or the failure as an [`Error`].
    ///
    /// # Errors
    /// [`Error::Api`] / [`Error::Conflict`] for failed or rolled-back requests,
    /// [`Error::UnexpectedResponse`] for requests that were not executed.
    pub fn into_result(self) -> Result<BatchResponse> {
        match self {
            BatchOutcome::Succeeded(response) => Ok(response),
            BatchOutcome::Failed(error) => Err(Error::from_api(*error)),
            BatchOutcome::RolledBack(error) => Err(Error::from_api((*error).clone())),
            BatchOutcome::NotExecuted => Err(Error::UnexpectedResponse(
                "the request was not executed: the batch stopped at an earlier failure".to_owned(),
            )),
            BatchOutcome::Unknown => Err(Error::UnexpectedResponse(
                "the $batch carrying the request got no answer: it may or may not have been applied"
                    .to_owned(),
            )),
        }
    }
}

/// A batch split into several `$batch` requests that stopped part-way: see
/// [`Error::BatchInterrupted`].
///
/// ```
/// use dataverse_client::{Error, batch::BatchOutcome};
///
/// fn requests_to_send_again(error: &Error) -> Vec<usize> {
///     match error {
///         Error::BatchInterrupted(interrupted) => interrupted
///             .results
///             .outcomes()
///             .iter()
///             .enumerate()
///             .filter(|(_, outcome)| matches!(outcome, BatchOutcome::NotExecuted))
///             .map(|(index, _)| index)
///             .collect(),
///         _ => Vec::new(),
///     }
/// }
/// # let _ = requests_to_send_again;
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct InterruptedBatch {
    /// One outcome per request of the whole batch, in order: the real outcomes of the pieces
    /// Dataverse answered, [`BatchOutcome::Unknown`] for the piece that got no usable answer (or
    /// [`BatchOutcome::NotExecuted`] when it was certainly not processed: a failed connection, a
    /// refused token, a `4xx` for the whole request), and [`BatchOutcome::NotExecuted`] for the
    /// pieces after it.
    pub results: BatchResults,
    /// Why the piece failed.
    pub error: Error,
}

impl std::fmt::Display for InterruptedBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let answered = self
            .results
            .outcomes
            .iter()
            .filter(|o| !matches!(o, BatchOutcome::Unknown | BatchOutcome::NotExecuted))
            .count();
        write!(
            f,
            "the batch stopped after Dataverse answered {answered} of its {} requests: {}",
            self.results.len(),
            self.error
        )
    }
}

/// The outcomes of a batch, one per request, in the order the requests were added.
#[derive(Clone, Debug)]
pub struct BatchResults {
    pub(crate) outcomes: Vec<BatchOutcome>,
}

impl BatchResults {
    /// Whether every request succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.outcomes.iter().all(BatchOutcome::is_success)
    }

    /// How many requests the batch had.
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// Whether the batch had no requests.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// The outcome of request number `index` (in the order requests were added).
    pub fn get(&self, index: usize) -> Option<&BatchOutcome> {
        self.outcomes.get(index)
    }

    /// The outcomes, in request order.
    pub fn outcomes(&self) -> &[BatchOutcome] {
        &self.outcomes
    }

    /// The outcomes, in request order.
    pub fn into_outcomes(self) -> Vec<BatchOutcome> {
        self.outcomes
    }

    /// The first failure, as an [`Error`], if any request failed or was not executed.
    pub fn first_error(&self) -> Option<Error> {
        self.outcomes.iter().find(|o| !o.is_success()).and_then(|o| o.clone().into_result().err())
    }
}

impl std::ops::Index<usize> for BatchResults {
    type Output = BatchOutcome;
    fn index(&self, index: usize) -> &BatchOutcome {
        &self.outcomes[index]
    }
}

impl IntoIterator for BatchResults {
    type Item = BatchOutcome;
    type IntoIter = std::vec::IntoIter<BatchOutcome>;
    fn into_iter(self) -> Self::IntoIter {
        self.outcomes.into_iter()
    }
}
