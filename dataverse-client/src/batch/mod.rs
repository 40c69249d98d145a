//! `$batch`: many requests in one HTTP request, optionally grouped in atomic change sets.
//!
//! The body is `multipart/mixed`: each request is an `application/http` part; a change set is a
//! nested `multipart/mixed` whose requests succeed or fail together and can refer to rows created
//! earlier in the set through their `Content-ID` (`$1`). Dataverse accepts at most 1000 requests
//! per batch; [`Client::execute_batch`] splits larger batches at change-set boundaries and sends
//! the pieces in order. Without [`ExecuteBatch::continue_on_error`], Dataverse stops at the first
//! failure, and so do the following pieces. A piece that gets no usable answer after earlier
//! pieces were committed ends the batch with [`Error::BatchInterrupted`], which still carries
//! every outcome known.

mod decode;
mod encode;
mod operations;
mod request;
mod response;

use std::future::IntoFuture;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method};
use rest_client_core::Replay;

pub use request::{BatchRequest, ContentId};
pub use response::{BatchOutcome, BatchResponse, BatchResults, InterruptedBatch};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, Payload, error_from_response};
use crate::options::RequestOptions;
use decode::Part;
use encode::Item;

/// Dataverse's limit on requests per `$batch`.
pub const MAX_BATCH_REQUESTS: usize = 1000;

/// A set of requests to send together with [`Client::execute_batch`].
///
/// ```
/// use dataverse_client::{batch::{Batch, BatchRequest}, query::Query};
/// use serde_json::json;
///
/// let mut batch = Batch::new();
/// {
///     // Atomic: both rows are created, or neither.
///     let mut change_set = batch.change_set();
///     let contact = change_set.add(BatchRequest::create("contacts", &json!({ "lastname": "Glynn" })));
///     change_set.add(BatchRequest::create("accounts", &json!({
///         "name": "Contoso",
///         "primarycontactid@odata.bind": contact.reference(), // "$1"
///     })));
/// }
/// batch.add(BatchRequest::query(&Query::new("accounts").select(["name"]).top(5)));
/// assert_eq!(batch.len(), 3);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Batch {
    items: Vec<Item>,
    next_content_id: u32,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a request outside any change set (it succeeds or fails on its own).
    pub fn add(&mut self, request: BatchRequest) -> &mut Self {
        self.items.push(Item::Single(Box::new(request)));
        self
    }

    /// Start a new change set: the requests added to it run atomically.
    pub fn change_set(&mut self) -> ChangeSet<'_> {
        self.items.push(Item::ChangeSet(Vec::new()));
        let index = self.items.len() - 1;
        ChangeSet { batch: self, index }
    }

    /// The number of requests (change-set members counted one by one).
    pub fn len(&self) -> usize {
        self.items.iter().map(Item::request_count).sum()
    }

    /// Whether the batch has no requests.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Split into pieces of at most `limit` requests without splitting a change set.
    fn chunks(&self, limit: usize) -> Result<Vec<&[Item]>> {
        let mut chunks = Vec::new();
        let mut start = 0;
        let mut count = 0;
        for (i, item) in self.items.iter().enumerate() {
            let n = item.request_count();
            if n > limit {
                return Err(Error::InvalidRequest(format!(
                    "a change set holds {n} requests; Dataverse accepts at most {limit} per batch"
                )));
            }
            if count + n > limit {
                chunks.push(&self.items[start..i]);
                start = i;
                count = 0;
            }
            count += n;
        }
        if start < self.items.len() {
            chunks.push(&self.items[start..]);
        }
        Ok(chunks)
    }
}

/// A change set being filled; see [`Batch::change_set`].
#[derive(Debug)]
pub struct ChangeSet<'b> {
    batch: &'b mut Batch,
    index: usize,
}

impl ChangeSet<'_> {
    /// Add a request; the returned [`ContentId`] (unique in the batch) refers to its result
    /// in later requests of this change set. GET requests are not allowed in a change set.
    pub fn add(&mut self, request: BatchRequest) -> ContentId {
        self.batch.next_content_id += 1;
        let id = ContentId(self.batch.next_content_id);
        if let Some(Item::ChangeSet(requests)) = self.batch.items.get_mut(self.index) {
            requests.push((id, request));
        }
        id
    }
}

impl Client {
    /// Send a batch. The result has one [`BatchOutcome`] per request, in the order they were
    /// added.
    ///
    /// Retries: the whole batch is replayed after `429` or a failed connection (Dataverse did not
    /// process it); after a gateway error only if it contains nothing but GET requests.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::batch::{Batch, BatchOutcome, BatchRequest};
    /// use serde_json::json;
    ///
    /// let mut batch = Batch::new();
    /// for n in 1..=3 {
    ///     batch.add(BatchRequest::create("tasks", &json!({ "subject": format!("Task {n}") })));
    /// }
    /// let results = client.execute_batch(batch).continue_on_error(true).await?;
    /// for outcome in results {
    ///     match outcome {
    ///         BatchOutcome::Succeeded(response) => println!("created {:?}", response.entity_id()),
    ///         other => println!("failed: {other:?}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn execute_batch(&self, batch: Batch) -> ExecuteBatch<'_> {
        ExecuteBatch {
            client: self,
            batch,
            continue_on_error: false,
            options: RequestOptions::default(),
        }
    }
}

/// A pending [`Client::execute_batch`].
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct ExecuteBatch<'c> {
    client: &'c Client,
    batch: Batch,
    continue_on_error: bool,
    options: RequestOptions,
}

impl<'c> ExecuteBatch<'c> {
    /// Keep going after a failed request (`Prefer: odata.continue-on-error`). A failed change
    /// set is still rolled back as a whole.
    pub fn continue_on_error(mut self, continue_on_error: bool) -> Self {
        self.continue_on_error = continue_on_error;
        self
    }

    /// Options for the `$batch` request itself (impersonation, bypass headers, timeout, …).
    ///
    /// Their headers go on the outer `$batch` request only, and Dataverse applies them to the
    /// operations inside it (impersonation set on a change set or part is ignored, as reported in
    /// [MicrosoftDocs/dynamics-365-customer-engagement#531](https://github.com/MicrosoftDocs/dynamics-365-customer-engagement/issues/531)).
    /// A timeout set here replaces the client's
    /// [`batch_timeout`](crate::ClientBuilder::batch_timeout).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the batch (in pieces of at most [`MAX_BATCH_REQUESTS`]).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] (or [`Error::UnsupportedKeyValue`]) before sending anything when
    /// a request is invalid; an [`Error`] when the (first) `$batch` request fails as a whole
    /// (transport, throttling after retries, a non-multipart error response) or its body cannot
    /// be read; [`Error::BatchInterrupted`], with the outcomes of the pieces already committed,
    /// when a later piece fails that way.
    pub async fn send(self) -> Result<BatchResults> {
        let chunks = self.batch.chunks(MAX_BATCH_REQUESTS)?;
        // Encode everything first, so an invalid request fails before anything is sent.
        let mut encoded = Vec::with_capacity(chunks.len());
        for chunk in &chunks {
            encoded.push(encode::encode(self.client, chunk)?);
        }
        let mut outcomes = Vec::with_capacity(self.batch.len());
        let mut stopped = false;
        let mut interrupted = None;
        for (chunk, (boundary, body)) in chunks.into_iter().zip(encoded) {
            let count = chunk.iter().map(Item::request_count).sum();
            if stopped {
                outcomes.extend(not_executed(count));
                continue;
            }
            let answered = match self.send_chunk(chunk, boundary, body).await {
                Ok(parts) => match_outcomes(chunk, parts),
                Err(error) => Err(error),
            };
            match answered {
                Ok(chunk_outcomes) => {
                    stopped =
                        !self.continue_on_error && chunk_outcomes.iter().any(|o| !o.is_success());
                    outcomes.extend(chunk_outcomes);
                }
                // Nothing of the batch was committed yet: the error alone says it all.
                Err(error) if outcomes.is_empty() => return Err(error),
                Err(error) => {
                    // Earlier pieces were committed: keep their outcomes.
                    let outcome = if certainly_not_processed(&error) {
                        BatchOutcome::NotExecuted
                    } else {
                        BatchOutcome::Unknown
                    };
                    outcomes.extend(std::iter::repeat_n(outcome, count));
                    interrupted = Some(error);
                    stopped = true;
                }
            }
        }
        let results = BatchResults { outcomes };
        match interrupted {
            None => Ok(results),
            Some(error) => {
                Err(Error::BatchInterrupted(Box::new(InterruptedBatch { results, error })))
            }
        }
    }

    async fn send_chunk(
        &self,
        chunk: &[Item],
        boundary: String,
        body: Vec<u8>,
    ) -> Result<Vec<Part>> {
        let url = self.client.resource_url(&["$batch"])?;
        let content_type =
            HeaderValue::try_from(format!("multipart/mixed; boundary=\"{boundary}\""))
                .map_err(|_| Error::InvalidRequest("invalid batch boundary".to_owned()))?;
        let only_reads = chunk.iter().all(|item| matches!(item, Item::Single(r) if r.is_get()));
        let mut call = Call::new(Method::POST, url, "$batch")
            .replay(if only_reads { Replay::Safe } else { Replay::Unsafe })
            .long_running()
            .options(self.options.clone());
        if self.continue_on_error {
            call = call.prefer(&["odata.continue-on-error".to_owned()]);
        }
        call.payload = Payload::Bytes { content_type, bytes: body.into() };
        call.pass_client_errors = true;
        let mut sent = self.client.send(call).await?;
        let status = sent.response.status();
        let response_type = sent
            .response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if decode::boundary_of(&response_type).is_none() {
            // Not a batch response: a plain error (for example a malformed batch).
            if !status.is_success() {
                return Err(error_from_response(
                    sent.response,
                    &mut sent.timer,
                    &sent.client_request_id,
                )
                .await);
            }
            return Err(Error::UnexpectedResponse(format!(
                "the $batch response is {response_type:?}, not multipart/mixed"
            )));
        }
        let bytes = sent.body().await?;
        decode::decode(&response_type, &bytes)
    }
}

impl<'c> IntoFuture for ExecuteBatch<'c> {
    type Output = Result<BatchResults>;
    type IntoFuture = BoxFuture<'c, Result<BatchResults>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

fn not_executed(n: usize) -> impl Iterator<Item = BatchOutcome> {
    std::iter::repeat_n(BatchOutcome::NotExecuted, n)
}

/// Whether a failed `$batch` request certainly did nothing: it was never sent (no token, no
/// connection) or Dataverse refused it as a whole before running it (`4xx`, throttling).
fn certainly_not_processed(error: &Error) -> bool {
    match error {
        Error::Auth(_) | Error::InsecureTransport(_) => true,
        Error::Transport(e) => e.is_connect(),
        _ => error
            .status()
            .is_some_and(|s| s.is_client_error() && s != http::StatusCode::REQUEST_TIMEOUT),
    }
}

fn outcome_of(response: BatchResponse) -> BatchOutcome {
    if response.is_success() {
        BatchOutcome::Succeeded(response)
    } else {
        BatchOutcome::Failed(Box::new(response.api_error()))
    }
}

fn content_id_matches(response: &BatchResponse, id: ContentId) -> bool {
    response
        .content_id
        .as_deref()
        .map(|c| c.trim_matches(|ch| ch == '<' || ch == '>'))
        .is_some_and(|c| c.parse::<u32>().ok() == Some(id.value()))
}

/// The outcomes of a change set's requests from its `changesetresponse` parts.
///
/// A change set is atomic: when one of its requests fails, Dataverse rolls back those that ran
/// and answers with the failed request's response alone
/// ([Change sets](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api#change-sets)).
/// So every other request of a failed set is [`BatchOutcome::RolledBack`], even one whose own
/// `2xx` response came back. Responses are matched by the echoed `Content-ID`; ones without it
/// are taken in order only when there is one per request.
fn change_set_outcomes(
    requests: &[(ContentId, request::BatchRequest)],
    responses: Vec<BatchResponse>,
) -> Vec<BatchOutcome> {
    let one_each = responses.len() == requests.len();
    let failure = responses.iter().find(|r| !r.is_success()).map(|r| Arc::new(r.api_error()));
    let (mut labelled, unlabelled): (Vec<_>, Vec<_>) =
        responses.into_iter().partition(|r| r.content_id.is_some());
    let mut unlabelled = unlabelled.into_iter().filter(|_| one_each);
    requests
        .iter()
        .map(|(id, _)| {
            let found = labelled
                .iter()
                .position(|r| content_id_matches(r, *id))
                .map(|i| labelled.swap_remove(i))
                .or_else(|| unlabelled.next());
            match (found, &failure) {
                (Some(response), _) if !response.is_success() => {
                    BatchOutcome::Failed(Box::new(response.api_error()))
                }
                (_, Some(error)) => BatchOutcome::RolledBack(Arc::clone(error)),
                (Some(response), None) => BatchOutcome::Succeeded(response),
                (None, None) => BatchOutcome::NotExecuted,
            }
        })
        .collect()
}

/// Pair the response parts with the requests of one piece, in order.
fn match_outcomes(items: &[Item], parts: Vec<Part>) -> Result<Vec<BatchOutcome>> {
    let mut parts = parts.into_iter();
    let mut outcomes = Vec::new();
    for item in items {
        match item {
            Item::ChangeSet(requests) if requests.is_empty() => {}
            Item::Single(_) => match parts.next() {
                None => outcomes.push(BatchOutcome::NotExecuted),
                Some(Part::Http(response)) => outcomes.push(outcome_of(response)),
                Some(Part::ChangeSet(_)) => {
                    return Err(Error::UnexpectedResponse(
                        "a change-set response where a single response was expected".to_owned(),
                    ));
                }
            },
            Item::ChangeSet(requests) => match parts.next() {
                None => outcomes.extend(not_executed(requests.len())),
                Some(Part::ChangeSet(responses)) => {
                    outcomes.extend(change_set_outcomes(requests, responses));
                }
                Some(Part::Http(response)) if !response.is_success() => {
                    // The change set failed as a whole: one error for all of its requests.
                    let error = Arc::new(response.api_error());
                    for (id, _) in requests {
                        if content_id_matches(&response, *id) {
                            outcomes.push(BatchOutcome::Failed(Box::new((*error).clone())));
                        } else {
                            outcomes.push(BatchOutcome::RolledBack(Arc::clone(&error)));
                        }
                    }
                }
                Some(Part::Http(_)) => {
                    return Err(Error::UnexpectedResponse(
                        "a single successful response where a change set was expected".to_owned(),
                    ));
                }
            },
        }
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chunks_never_split_a_change_set() {
        let mut batch = Batch::new();
        for _ in 0..3 {
            batch.add(BatchRequest::create("tasks", &json!({})));
        }
        {
            let mut set = batch.change_set();
            set.add(BatchRequest::create("tasks", &json!({})));
            set.add(BatchRequest::create("tasks", &json!({})));
        }
        batch.add(BatchRequest::create("tasks", &json!({})));
        let sizes: Vec<usize> = batch
            .chunks(4)
            .expect("chunks")
            .iter()
            .map(|c| c.iter().map(Item::request_count).sum())
            .collect();
        assert_eq!(sizes, [3, 3]);
        assert!(batch.chunks(1).is_err());
    }

    #[test]
    fn content_ids_are_unique_across_change_sets() {
        let mut batch = Batch::new();
        let a = batch.change_set().add(BatchRequest::create("a", &json!({})));
        let b = batch.change_set().add(BatchRequest::create("b", &json!({})));
        assert_eq!((a.reference(), b.reference()), ("$1".to_owned(), "$2".to_owned()));
    }
}
