//! Bulk messages: `CreateMultiple`, `UpdateMultiple`, `UpsertMultiple` and `DeleteMultiple`.
//!
//! Rows are sent in chunks of a configurable size (1,000 on standard tables and 100 on elastic
//! tables by default, as Microsoft recommends), a bounded number of chunks at a time, and every
//! input row gets an outcome: created with its id, updated, upserted, deleted, failed with its
//! error, or of unknown effect. A table that does not support the message gets its rows through
//! `$batch` instead, and each outcome says how it was sent. Rows can come from a `Stream`, so a
//! million rows never sit in memory: only the chunks in flight do.
//!
//! See [Use bulk operation messages](https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations)
//! and [Bulk operations with elastic tables](https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations-elastic-tables).

mod failure;
mod outcome;
mod row;
mod run;
mod targets;

use std::fmt;
use std::future::IntoFuture;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};

pub use outcome::{BulkResults, RowOutcome, RowResult, Via};
pub use row::BulkRow;
use run::{Plan, run};
use targets::Message;
pub(crate) use targets::literal_json;

use crate::client::Client;
use crate::error::Result;
use crate::options::RequestOptions;

/// How many chunks are in flight at once by default. Microsoft recommends sending bulk messages
/// in parallel; four stays well under the service's 52 concurrent requests per user and matches
/// the degree of parallelism Dataverse commonly suggests in its `x-ms-dop-hint` header
/// ([Send parallel requests](https://learn.microsoft.com/power-apps/developer/data-platform/send-parallel-requests)).
pub const DEFAULT_BULK_CONCURRENCY: usize = 4;

/// The most rows [`BulkOperation::chunk_size`] takes per request. Each chunk is buffered
/// before it is sent, so a larger size would only risk running out of memory (and
/// `usize::MAX` would abort the allocation); Microsoft suggests 1,000 rows per request
/// ([Number of records](https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations#number-of-records)).
pub const MAX_BULK_CHUNK: usize = 10_000;

/// Which bulk message to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkMessage {
    /// `CreateMultiple`.
    Create,
    /// `UpdateMultiple`.
    Update,
    /// `UpsertMultiple`.
    Upsert,
    /// `DeleteMultiple` (elastic tables; other tables fall back to `$batch`).
    Delete,
}

impl BulkMessage {
    fn message(self) -> Message {
        match self {
            BulkMessage::Create => Message::Create,
            BulkMessage::Update => Message::Update,
            BulkMessage::Upsert => Message::Upsert,
            BulkMessage::Delete => Message::Delete,
        }
    }
}

impl Client {
    /// Create rows with `CreateMultiple`: `POST <entity_set>/Microsoft.Dynamics.CRM.CreateMultiple`
    /// with `{"Targets": [...]}`, each target with its `@odata.type`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::{bulk::BulkRow, bulk::RowResult};
    /// use serde_json::json;
    ///
    /// let rows = (1..=5000).map(|n| BulkRow::new(&json!({ "name": format!("Account {n}") })));
    /// let results = client.create_multiple("accounts", rows).await?;
    /// for row in &results.rows {
    ///     match &row.result {
    ///         RowResult::Created(id) => println!("row {} created as {id}", row.index),
    ///         other => println!("row {}: {other:?}", row.index),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn create_multiple(
        &self,
        entity_set: &str,
        rows: impl IntoIterator<Item = BulkRow>,
    ) -> BulkOperation<'_> {
        self.bulk_vec(BulkMessage::Create, entity_set, rows)
    }

    /// Update rows with `UpdateMultiple`; each row needs its id ([`BulkRow::with_key`], or the
    /// primary key column in the row). Send only the columns that change.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, ids: Vec<uuid::Uuid>) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::bulk::BulkRow;
    /// use serde_json::json;
    ///
    /// let rows = ids.into_iter().map(|id| BulkRow::with_key(id, &json!({ "statuscode": 2 })));
    /// let results = client.update_multiple("accounts", rows).await?;
    /// assert!(results.all_succeeded());
    /// # Ok(()) }
    /// ```
    pub fn update_multiple(
        &self,
        entity_set: &str,
        rows: impl IntoIterator<Item = BulkRow>,
    ) -> BulkOperation<'_> {
        self.bulk_vec(BulkMessage::Update, entity_set, rows)
    }

    /// Create or update rows with `UpsertMultiple`, each identified by id or alternate key
    /// (`@odata.id`). Alternate-key columns are taken out of the row, as Dataverse requires.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::{bulk::BulkRow, records::RecordKey};
    /// use serde_json::json;
    ///
    /// let rows = [("ACC-001", "Contoso"), ("ACC-002", "Fabrikam")].map(|(number, name)| {
    ///     BulkRow::with_key(RecordKey::alternate([("accountnumber", number)]), &json!({ "name": name }))
    /// });
    /// client.upsert_multiple("accounts", rows).await?;
    /// # Ok(()) }
    /// ```
    pub fn upsert_multiple(
        &self,
        entity_set: &str,
        rows: impl IntoIterator<Item = BulkRow>,
    ) -> BulkOperation<'_> {
        self.bulk_vec(BulkMessage::Upsert, entity_set, rows)
    }

    /// Delete rows with `DeleteMultiple`, which only elastic tables support; on other tables the
    /// rows are deleted through `$batch`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, ids: Vec<uuid::Uuid>) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::bulk::BulkRow;
    ///
    /// let rows = ids.into_iter().map(|id| BulkRow::key(id).partition_id("device-001"));
    /// client.delete_multiple("contoso_sensordatas", rows).await?;
    /// # Ok(()) }
    /// ```
    pub fn delete_multiple(
        &self,
        entity_set: &str,
        rows: impl IntoIterator<Item = BulkRow>,
    ) -> BulkOperation<'_> {
        self.bulk_vec(BulkMessage::Delete, entity_set, rows)
    }

    /// A bulk operation whose rows come from a stream, read a chunk at a time as requests
    /// complete: memory holds the chunks in flight, not the input.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::{bulk::BulkMessage, bulk::BulkRow, bulk::RowResult};
    /// use futures_util::{StreamExt, TryStreamExt, stream};
    /// use serde_json::json;
    ///
    /// let rows = stream::iter(0..1_000_000).map(|n| BulkRow::new(&json!({ "subject": format!("Task {n}") })));
    /// let mut outcomes = client.bulk_stream(BulkMessage::Create, "tasks", rows).outcomes();
    /// while let Some(row) = outcomes.try_next().await? {
    ///     if let RowResult::Failed(error) = &row.result {
    ///         eprintln!("row {} failed: {error}", row.index);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn bulk_stream<S>(
        &self,
        message: BulkMessage,
        entity_set: &str,
        rows: S,
    ) -> BulkOperation<'_>
    where
        S: Stream<Item = BulkRow> + Send + 'static,
    {
        BulkOperation::new(self, message, entity_set, rows.boxed())
    }

    fn bulk_vec(
        &self,
        message: BulkMessage,
        entity_set: &str,
        rows: impl IntoIterator<Item = BulkRow>,
    ) -> BulkOperation<'_> {
        let rows: Vec<BulkRow> = rows.into_iter().collect();
        BulkOperation::new(self, message, entity_set, stream::iter(rows).boxed())
    }
}

/// A pending bulk operation; see [`Client::create_multiple`]. `.await` it for every row's
/// outcome ([`BulkResults`]), or stream the outcomes with [`BulkOperation::outcomes`].
#[must_use = "a request does nothing until it is awaited"]
pub struct BulkOperation<'c> {
    client: &'c Client,
    message: BulkMessage,
    entity_set: String,
    rows: BoxStream<'static, BulkRow>,
    chunk_size: Option<usize>,
    concurrency: usize,
    isolate_failures: bool,
    logical_name: Option<String>,
    primary_id: Option<String>,
    elastic: Option<bool>,
    options: RequestOptions,
}

impl<'c> BulkOperation<'c> {
    fn new(
        client: &'c Client,
        message: BulkMessage,
        entity_set: &str,
        rows: BoxStream<'static, BulkRow>,
    ) -> Self {
        Self {
            client,
            message,
            entity_set: entity_set.to_owned(),
            rows,
            chunk_size: None,
            concurrency: DEFAULT_BULK_CONCURRENCY,
            isolate_failures: false,
            logical_name: None,
            primary_id: None,
            elastic: None,
            options: RequestOptions::default(),
        }
    }

    /// Rows per request (default 1,000 on standard tables, 100 on elastic tables). Smaller
    /// requests help when rows are large or plug-ins are slow and requests hit the size or
    /// time limits. Clamped to 1..=[`MAX_BULK_CHUNK`].
    pub fn chunk_size(mut self, rows: usize) -> Self {
        self.chunk_size = Some(rows.clamp(1, MAX_BULK_CHUNK));
        self
    }

    /// How many requests are in flight at once (default [`DEFAULT_BULK_CONCURRENCY`]).
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests.max(1);
        self
    }

    /// On a standard table a bulk request is one transaction: one bad row fails (and rolls back)
    /// the whole request, and every row of it reports the same error. With this set, a request
    /// that failed for sure is sent again as a `$batch`, one request per row, so the good rows
    /// are written and each bad row gets its own error. Worth it when most rows are expected to
    /// succeed; requests whose fate is unknown are never sent again.
    pub fn isolate_failures(mut self, isolate: bool) -> Self {
        self.isolate_failures = isolate;
        self
    }

    /// The table's logical name and primary key column. Without them the client reads them
    /// once per client from the table's definition (one small `EntityDefinitions` request).
    pub fn table(mut self, logical_name: &str, primary_id_attribute: &str) -> Self {
        self.logical_name = Some(logical_name.to_owned());
        self.primary_id = Some(primary_id_attribute.to_owned());
        self
    }

    /// Whether the table is elastic (for the default chunk size); read from the table's
    /// definition unless set here or given with [`table`](Self::table).
    pub fn elastic(mut self, elastic: bool) -> Self {
        self.elastic = Some(elastic);
        self
    }

    /// Options for every request (bypass plug-ins, impersonation, timeout, …).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Every row's outcome, in input order, as the requests complete.
    ///
    /// The stream ends with an error item only when nothing can be sent (the table's
    /// definition cannot be read); a row that fails is a [`RowResult::Failed`] outcome.
    pub fn outcomes(self) -> BulkOutcomes {
        let plan = Plan {
            client: self.client.clone(),
            message: self.message.message(),
            entity_set: self.entity_set,
            chunk_size: self.chunk_size,
            concurrency: self.concurrency,
            isolate_failures: self.isolate_failures,
            logical_name: self.logical_name,
            primary_id: self.primary_id,
            elastic: self.elastic,
            options: self.options,
        };
        BulkOutcomes { inner: run(Arc::new(plan), self.rows) }
    }

    /// Send every row and collect the outcomes.
    ///
    /// # Errors
    /// Only when nothing could be sent: an invalid entity set, or a table definition that
    /// cannot be read. Failed rows are outcomes, not errors.
    pub async fn send(self) -> Result<BulkResults> {
        let rows = self.outcomes().try_collect().await?;
        Ok(BulkResults { rows })
    }
}

impl fmt::Debug for BulkOperation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOperation")
            .field("message", &self.message)
            .field("entity_set", &self.entity_set)
            .field("chunk_size", &self.chunk_size)
            .field("concurrency", &self.concurrency)
            .field("isolate_failures", &self.isolate_failures)
            .finish_non_exhaustive()
    }
}

impl<'c> IntoFuture for BulkOperation<'c> {
    type Output = Result<BulkResults>;
    type IntoFuture = BoxFuture<'c, Result<BulkResults>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The outcomes of a bulk operation as a stream; see [`BulkOperation::outcomes`].
#[must_use = "streams do nothing unless polled"]
pub struct BulkOutcomes {
    inner: BoxStream<'static, Result<crate::bulk::RowOutcome>>,
}

impl Stream for BulkOutcomes {
    type Item = Result<RowOutcome>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for BulkOutcomes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BulkOutcomes { .. }")
    }
}
