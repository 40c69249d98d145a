//! Sending rows: chunks of the configured size, a bounded number in flight, each chunk as one
//! bulk message or (when the table does not support it) one `$batch`, outcomes in input order.

use std::sync::Arc;

use futures_util::future;
use futures_util::stream::{self, BoxStream, StreamExt};
use http::{HeaderMap, Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::failure::{Failure, classify, row_statuses};
use super::outcome::{RowOutcome, RowResult, Via};
use super::row::BulkRow;
use super::targets::{Message, Prepared};
use crate::batch::{Batch, BatchOutcome};
use crate::client::Client;
use crate::error::{ApiError, Error, Result};
use crate::http::{Call, json_body};
use crate::metadata::TableNames;
use crate::operations::NAMESPACE;
use crate::options::RequestOptions;

/// Rows per request on a standard table: "1,000 records per request is a reasonable place to
/// start if the size of the record data is small and there are no plug-ins"
/// ([Number of records](https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations#number-of-records)).
pub(crate) const STANDARD_CHUNK: usize = 1000;

/// Rows per request on an elastic table: "We recommend that you send 100 operations per
/// request and send requests in parallel".
pub(crate) const ELASTIC_CHUNK: usize = 100;

/// Asks for the error details that carry per-row statuses on elastic tables.
const ERROR_DETAILS: &str = "odata.include-annotations=\"Microsoft.PowerApps.CDS.ErrorDetails.*\"";

/// Everything a run needs, shared by its chunks.
pub(crate) struct Plan {
    pub(crate) client: Client,
    pub(crate) message: Message,
    pub(crate) entity_set: String,
    pub(crate) chunk_size: Option<usize>,
    pub(crate) concurrency: usize,
    pub(crate) isolate_failures: bool,
    pub(crate) logical_name: Option<String>,
    pub(crate) primary_id: Option<String>,
    pub(crate) elastic: Option<bool>,
    pub(crate) options: RequestOptions,
}

#[derive(Serialize)]
struct Targets<'a> {
    #[serde(rename = "Targets")]
    targets: &'a [Map<String, Value>],
}

#[derive(Deserialize)]
struct CreatedIds {
    #[serde(rename = "Ids", default)]
    ids: Vec<Uuid>,
}

fn outcome(index: u64, result: RowResult, via: Via) -> RowOutcome {
    RowOutcome { index, result, via }
}

/// The outcomes of every row of `rows`, in input order.
pub(crate) fn run(
    plan: Arc<Plan>,
    rows: BoxStream<'static, BulkRow>,
) -> BoxStream<'static, Result<RowOutcome>> {
    stream::once(async move {
        let names = match plan.names().await {
            Ok(names) => names,
            Err(error) => return stream::once(future::ready(Err(error))).boxed(),
        };
        let default_size = if names.elastic { ELASTIC_CHUNK } else { STANDARD_CHUNK };
        let chunk_size = plan.chunk_size.unwrap_or(default_size).max(1);
        let concurrency = plan.concurrency.max(1);
        rows.chunks(chunk_size)
            .enumerate()
            .map(move |(number, chunk)| {
                let plan = Arc::clone(&plan);
                let names = Arc::clone(&names);
                async move { plan.process(&names, (number * chunk_size) as u64, chunk).await }
            })
            .buffered(concurrency)
            .flat_map(|outcomes| stream::iter(outcomes.into_iter().map(Ok)))
            .boxed()
    })
    .flatten()
    .boxed()
}

impl Plan {
    /// The table's names: as configured, else from the metadata cache (one small request the
    /// first time).
    async fn names(&self) -> Result<Arc<TableNames>> {
        if let (Some(logical_name), Some(primary_id)) = (&self.logical_name, &self.primary_id) {
            return Ok(Arc::new(TableNames {
                logical_name: logical_name.clone(),
                entity_set_name: self.entity_set.clone(),
                primary_id_attribute: primary_id.clone(),
                elastic: self.elastic.unwrap_or(false),
            }));
        }
        let mut names = (*self.client.table_names(&self.entity_set).await?).clone();
        if let Some(logical_name) = &self.logical_name {
            names.logical_name = logical_name.clone();
        }
        if let Some(primary_id) = &self.primary_id {
            names.primary_id_attribute = primary_id.clone();
        }
        if let Some(elastic) = self.elastic {
            names.elastic = elastic;
        }
        Ok(Arc::new(names))
    }

    /// The outcomes of one chunk of rows starting at input position `start`.
    async fn process(
        &self,
        names: &TableNames,
        start: u64,
        chunk: Vec<BulkRow>,
    ) -> Vec<RowOutcome> {
        let mut outcomes: Vec<Option<RowOutcome>> = vec![None; chunk.len()];
        let mut prepared: Vec<(usize, Prepared)> = Vec::with_capacity(chunk.len());
        for (offset, row) in chunk.into_iter().enumerate() {
            match Prepared::new(self.message, &names.primary_id_attribute, row) {
                Ok(row) => prepared.push((offset, row)),
                Err(message) => {
                    let error = Arc::new(Error::InvalidRequest(message));
                    outcomes[offset] = Some(outcome(
                        start + offset as u64,
                        RowResult::Failed(error),
                        Via::BulkMessage,
                    ));
                }
            }
        }
        if !prepared.is_empty() {
            for (offset, result, via) in self.send(names, &prepared).await {
                outcomes[offset] = Some(outcome(start + offset as u64, result, via));
            }
        }
        outcomes.into_iter().flatten().collect()
    }

    /// Send the prepared rows of a chunk; `(offset in chunk, result, via)` for each.
    async fn send(
        &self,
        names: &TableNames,
        rows: &[(usize, Prepared)],
    ) -> Vec<(usize, RowResult, Via)> {
        let metadata = &self.client.inner.metadata;
        if !metadata.bulk_unsupported(&self.entity_set, self.message.name()) {
            let error = match self.send_bulk(names, rows).await {
                Ok(results) => return results,
                Err(error) => error,
            };
            match classify(&error, self.message) {
                Failure::NotSupported => {
                    tracing::info!(
                        entity_set = %self.entity_set,
                        message = self.message.name(),
                        "the table does not support the bulk message: sending the rows in $batch"
                    );
                    metadata.remember_bulk_unsupported(&self.entity_set, self.message.name());
                }
                _ if row_statuses(&error).is_some() => return self.partial(names, rows, &error),
                Failure::Definite if self.isolate_failures => {
                    tracing::info!(
                        entity_set = %self.entity_set,
                        message = self.message.name(),
                        error = %error,
                        "the bulk request failed as a whole: sending its rows in $batch to find the failing ones"
                    );
                }
                failure => {
                    let error = Arc::new(error);
                    return rows
                        .iter()
                        .map(|(offset, _)| {
                            let result = if failure == Failure::Uncertain {
                                RowResult::Unknown(Arc::clone(&error))
                            } else {
                                RowResult::Failed(Arc::clone(&error))
                            };
                            (*offset, result, Via::BulkMessage)
                        })
                        .collect();
                }
            }
        }
        self.send_batch(names, rows).await
    }

    /// One bulk message: `POST <set>/Microsoft.Dynamics.CRM.<Message>` with `Targets`.
    async fn send_bulk(
        &self,
        names: &TableNames,
        rows: &[(usize, Prepared)],
    ) -> Result<Vec<(usize, RowResult, Via)>> {
        let targets: Vec<Map<String, Value>> = rows
            .iter()
            .map(|(_, row)| {
                row.target(
                    self.message,
                    &self.entity_set,
                    &names.logical_name,
                    &names.primary_id_attribute,
                )
            })
            .collect();
        let body = json_body(&Targets { targets: &targets })?;
        drop(targets);
        let action = format!("{NAMESPACE}{}", self.message.name());
        let url = self.client.resource_url(&[self.entity_set.as_str(), action.as_str()])?;
        // Bulk messages on standard tables run in one transaction and may take minutes.
        let call = Call::new(Method::POST, url, &self.entity_set)
            .json_bytes(body)
            .prefer(&[ERROR_DETAILS.to_owned()])
            .long_running()
            .options(self.options.clone());
        let sent = self.client.send(call).await?;
        let bytes = sent.body().await?;
        let results = match self.message {
            Message::Create => {
                let created: CreatedIds = crate::http::decode_json(
                    &bytes,
                    crate::http::What::of("the CreateMultiple response for", &self.entity_set),
                )?;
                let mut ids = created.ids.into_iter();
                rows.iter()
                    .map(|(offset, _)| {
                        let result = match ids.next() {
                            Some(id) => RowResult::Created(id),
                            None => RowResult::Unknown(Arc::new(Error::UnexpectedResponse(
                                "CreateMultiple returned fewer ids than rows".to_owned(),
                            ))),
                        };
                        (*offset, result, Via::BulkMessage)
                    })
                    .collect()
            }
            message => {
                let result = match message {
                    Message::Update => RowResult::Updated,
                    Message::Upsert => RowResult::Upserted(None),
                    _ => RowResult::Deleted,
                };
                rows.iter().map(|(offset, _)| (*offset, result.clone(), Via::BulkMessage)).collect()
            }
        };
        Ok(results)
    }

    /// Per-row results of a partially failed request on an elastic table.
    fn partial(
        &self,
        names: &TableNames,
        rows: &[(usize, Prepared)],
        error: &Error,
    ) -> Vec<(usize, RowResult, Via)> {
        let statuses = row_statuses(error).unwrap_or_default();
        let chunk_error = error.api_error().cloned();
        rows.iter()
            .enumerate()
            .map(|(position, (offset, _))| {
                let status = statuses.iter().find(|s| s.request_index == position);
                let result = match status {
                    Some(status) if (200..300).contains(&status.status_code) => {
                        let id = status.id.as_deref().and_then(|id| Uuid::parse_str(id).ok());
                        match (self.message, id) {
                            (Message::Create, Some(id)) => RowResult::Created(id),
                            (Message::Create, None) => {
                                RowResult::Unknown(Arc::new(Error::UnexpectedResponse(format!(
                                    "a row of {} was created but its id was not returned",
                                    names.entity_set_name
                                ))))
                            }
                            (Message::Update, _) => RowResult::Updated,
                            (Message::Upsert, id) => RowResult::Upserted(id),
                            (Message::Delete, _) => RowResult::Deleted,
                        }
                    }
                    Some(status) => {
                        let status_code = StatusCode::from_u16(status.status_code)
                            .unwrap_or(StatusCode::BAD_REQUEST);
                        let mut row_error = chunk_error.clone().unwrap_or_else(|| {
                            ApiError::from_parts(status_code, &HeaderMap::new(), b"")
                        });
                        row_error.status = status_code;
                        RowResult::Failed(Arc::new(Error::from_api(row_error)))
                    }
                    None => RowResult::Unknown(Arc::new(Error::UnexpectedResponse(
                        "the bulk error details did not mention the row".to_owned(),
                    ))),
                };
                (*offset, result, Via::BulkMessage)
            })
            .collect()
    }

    /// The rows as one `$batch` (split by [`Client::execute_batch`] past 1000 requests), every
    /// request on its own (`continue-on-error`).
    async fn send_batch(
        &self,
        names: &TableNames,
        rows: &[(usize, Prepared)],
    ) -> Vec<(usize, RowResult, Via)> {
        let mut batch = Batch::new();
        for (_, row) in rows {
            batch.add(row.batch_request(
                self.message,
                &self.entity_set,
                &names.primary_id_attribute,
            ));
        }
        let sent = self
            .client
            .execute_batch(batch)
            .continue_on_error(true)
            .options(self.options.clone())
            .await;
        let (outcomes, error) = match sent {
            Ok(results) => (results.into_outcomes(), None),
            Err(Error::BatchInterrupted(interrupted)) => {
                let interrupted = *interrupted;
                (interrupted.results.into_outcomes(), Some(Arc::new(interrupted.error)))
            }
            Err(error) => {
                let uncertain = classify(&error, self.message) == Failure::Uncertain;
                let error = Arc::new(error);
                return rows
                    .iter()
                    .map(|(offset, _)| {
                        let result = if uncertain {
                            RowResult::Unknown(Arc::clone(&error))
                        } else {
                            RowResult::Failed(Arc::clone(&error))
                        };
                        (*offset, result, Via::Batch)
                    })
                    .collect();
            }
        };
        let batch_error = || {
            error.clone().unwrap_or_else(|| {
                Arc::new(Error::UnexpectedResponse(
                    "the $batch carrying the row stopped before it".to_owned(),
                ))
            })
        };
        rows.iter()
            .zip(outcomes)
            .map(|((offset, _), outcome)| {
                let result = match outcome {
                    BatchOutcome::Succeeded(response) => match self.message {
                        Message::Create => match response.entity_id() {
                            Some(id) => RowResult::Created(id),
                            None => RowResult::Unknown(Arc::new(Error::UnexpectedResponse(
                                "the create response names no row".to_owned(),
                            ))),
                        },
                        Message::Update => RowResult::Updated,
                        Message::Upsert => RowResult::Upserted(response.entity_id()),
                        Message::Delete => RowResult::Deleted,
                    },
                    BatchOutcome::Failed(api) => RowResult::Failed(Arc::new(Error::from_api(*api))),
                    BatchOutcome::RolledBack(api) => {
                        RowResult::Failed(Arc::new(Error::from_api((*api).clone())))
                    }
                    BatchOutcome::NotExecuted => RowResult::Failed(batch_error()),
                    _ => RowResult::Unknown(batch_error()),
                };
                (*offset, result, Via::Batch)
            })
            .collect()
    }
}
