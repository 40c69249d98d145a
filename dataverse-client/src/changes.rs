//! Change tracking: everything that changed in a table since a delta link.
//!
//! The table must have change tracking enabled. The first call (`Prefer: odata.track-changes`)
//! returns every row plus an `@odata.deltaLink`; keep that link (it is opaque) and pass it to
//! [`Client::changes_since`] next time to get only what changed since, as upserts and deletions
//! (`$deletedEntity`). Delta tokens expire after the organization's
//! `ExpireChangeTrackingInDays` (7 days by default).

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::{TryStreamExt, stream};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use url::Url;
use uuid::Uuid;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::decode_json;
use crate::odata::parse_entity_id;
use crate::options::RequestOptions;
use crate::paging::{NextLinks, PageFetcher, page_stream};
use crate::query::{Query, page_size_preference};

/// The `@odata.deltaLink` of a change-tracking response: an opaque token to resume from.
/// Persist it as a string (it serializes as one).
///
/// ```
/// use dataverse_client::changes::DeltaLink;
///
/// let saved = "https://contoso.crm.dynamics.com/api/data/v9.2/accounts?$select=name&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44";
/// let link = DeltaLink::new(saved);
/// assert_eq!(link.as_str(), saved);
/// assert_eq!(serde_json::to_string(&link).unwrap(), serde_json::to_string(saved).unwrap());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeltaLink(String);

impl DeltaLink {
    /// A link saved from an earlier run.
    pub fn new(link: impl Into<String>) -> Self {
        Self(link.into())
    }

    /// The link text, exactly as the service returned it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One change.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Change<T> {
    /// The row was created or updated (the initial call returns every row this way).
    Upserted(T),
    /// The row was deleted.
    Deleted {
        /// The deleted row's id.
        id: Uuid,
    },
}

impl Client {
    /// Start tracking changes: every row of `query` (only `$select` is allowed; `$filter`,
    /// `$orderby`, `$expand` and `$top` are not supported with change tracking), then the delta
    /// link from [`Changes::delta_link`] once the stream ends.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::{changes::Change, query::Query, records::Record};
    /// use futures_util::TryStreamExt;
    ///
    /// let mut changes = client
    ///     .track_changes::<Record>(Query::new("accounts").select(["name", "telephone1"]))
    ///     .changes();
    /// while let Some(change) = changes.try_next().await? {
    ///     match change {
    ///         Change::Upserted(row) => println!("upsert {:?}", row.get("name")),
    ///         Change::Deleted { id } => println!("delete {id}"),
    ///         _ => {}
    ///     }
    /// }
    /// let resume_from = changes.delta_link().expect("the last page carries the delta link");
    /// // Next run: client.changes_since::<Record>(&resume_from).changes()
    /// # let _ = resume_from; Ok(()) }
    /// ```
    pub fn track_changes<T>(&self, query: Query) -> ChangesRequest<'_, T> {
        ChangesRequest {
            client: self,
            start: Start::Query(Box::new(query)),
            max_page_size: None,
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }

    /// The changes since `delta_link` was issued; the stream's [`Changes::delta_link`] is the
    /// link for the next call.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, saved: String) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::{changes::DeltaLink, records::Record};
    /// use futures_util::TryStreamExt;
    ///
    /// let mut changes = client.changes_since::<Record>(&DeltaLink::new(saved)).changes();
    /// while let Some(change) = changes.try_next().await? {
    ///     println!("{change:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn changes_since<T>(&self, delta_link: &DeltaLink) -> ChangesRequest<'_, T> {
        ChangesRequest {
            client: self,
            start: Start::Link(delta_link.clone()),
            max_page_size: None,
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }
}

#[derive(Debug)]
enum Start {
    Query(Box<Query>),
    Link(DeltaLink),
}

/// A change-tracking request; see [`Client::track_changes`].
#[must_use = "a query does nothing until its results are requested"]
pub struct ChangesRequest<'c, T> {
    client: &'c Client,
    start: Start,
    max_page_size: Option<u32>,
    options: RequestOptions,
    output: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for ChangesRequest<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangesRequest")
            .field("start", &self.start)
            .field("max_page_size", &self.max_page_size)
            .finish_non_exhaustive()
    }
}

impl<'c, T: DeserializeOwned + Send + 'static> ChangesRequest<'c, T> {
    /// Rows per page (`Prefer: odata.maxpagesize`).
    pub fn max_page_size(mut self, rows: u32) -> Self {
        self.max_page_size = Some(rows);
        self
    }

    /// Per-request options, applied to every page request.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    fn prepare(&self) -> Result<(PageFetcher, Url)> {
        let (url, target, page_size, annotations) = match &self.start {
            Start::Query(query) => {
                if query.has_row_shaping_options() {
                    return Err(Error::InvalidRequest(
                        "change tracking supports only $select: remove $filter, $orderby, $expand and $top"
                            .to_owned(),
                    ));
                }
                // Annotations and a page size set on the query still apply; this request's own
                // page size wins over the query's.
                let page_size = self.max_page_size.or(query.page_size());
                let url = query.url(self.client)?;
                (url, query.target().to_owned(), page_size, query.annotation_preference())
            }
            Start::Link(link) => {
                let url = self.client.service_link(link.as_str())?;
                let target = url
                    .path_segments()
                    .and_then(|mut s| s.next_back())
                    .unwrap_or_default()
                    .to_owned();
                (url, target, self.max_page_size, None)
            }
        };
        let mut preferences = vec!["odata.track-changes".to_owned()];
        if let Some(rows) = page_size {
            preferences.push(page_size_preference(rows)?);
        }
        preferences.extend(annotations);
        let fetcher = PageFetcher {
            client: self.client.clone(),
            preferences,
            options: self.options.clone(),
            target,
            batch_above: None,
        };
        Ok((fetcher, url))
    }

    /// The changes, lazily; once the stream has ended, [`Changes::delta_link`] holds the link
    /// for the next call.
    pub fn changes(self) -> Changes<T> {
        let delta = Arc::new(Mutex::new(None));
        let inner: Pin<Box<dyn Stream<Item = Result<Change<T>>> + Send>> = match self.prepare() {
            Err(error) => Box::pin(stream::once(async move { Err(error) })),
            Ok((fetcher, first)) => {
                let mut links = NextLinks::new();
                let pages =
                    page_stream::<Box<RawValue>, _>(fetcher, Ok(first), move |fetcher, page| {
                        links.next(fetcher, page)
                    });
                let slot = Arc::clone(&delta);
                Box::pin(
                    pages
                        .map_ok(move |page| {
                            if let Some(link) = page.delta_link {
                                *slot.lock().unwrap_or_else(|e| e.into_inner()) =
                                    Some(DeltaLink(link));
                            }
                            stream::iter(page.items.into_iter().map(|raw| classify::<T>(&raw)))
                        })
                        .try_flatten(),
                )
            }
        };
        Changes { inner, delta }
    }
}

/// The shape shared by deleted-entity entries (OData 4.0 `$deletedEntity` and 4.01 `@removed`).
#[derive(Deserialize)]
struct EntryMarkers {
    #[serde(rename = "@odata.context", default)]
    context: Option<String>,
    #[serde(rename = "@removed", default)]
    removed: Option<serde_json::Value>,
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "@id", default)]
    odata_id: Option<String>,
}

fn classify<T: DeserializeOwned>(raw: &RawValue) -> Result<Change<T>> {
    let text = raw.get();
    let markers: EntryMarkers = decode_json(text.as_bytes(), "a change-tracking entry".into())?;
    let deleted = markers.removed.is_some()
        || markers.context.as_deref().is_some_and(|c| c.ends_with("$deletedEntity"));
    if !deleted {
        return decode_json(text.as_bytes(), "a changed row".into()).map(Change::Upserted);
    }
    let id = markers
        .id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok())
        .or_else(|| markers.odata_id.as_deref().and_then(parse_entity_id))
        .ok_or_else(|| {
            Error::UnexpectedResponse(format!(
                "a deleted entry without an id: {}",
                rest_client_core::body_excerpt(text.as_bytes(), 200)
            ))
        })?;
    Ok(Change::Deleted { id })
}

/// A lazy stream of [`Change`]s; see [`ChangesRequest::changes`].
#[must_use = "streams do nothing unless polled"]
pub struct Changes<T> {
    inner: Pin<Box<dyn Stream<Item = Result<Change<T>>> + Send>>,
    delta: Arc<Mutex<Option<DeltaLink>>>,
}

impl<T> Changes<T> {
    /// The delta link for the next call, available once the last page has been read.
    pub fn delta_link(&self) -> Option<DeltaLink> {
        self.delta.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl<T> Stream for Changes<T> {
    type Item = Result<Change<T>>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for Changes<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changes").field("delta_link", &self.delta_link()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).expect("raw")
    }

    #[test]
    fn classifies_deleted_entities_in_both_formats() {
        let deleted: Change<serde_json::Value> = classify(&raw(
            r#"{"@odata.context":"https://x/api/data/v9.2/$metadata#accounts/$deletedEntity","id":"7eb682f1-ca75-e511-80d4-00155d2a68d1","reason":"deleted"}"#,
        ))
        .expect("deleted");
        assert!(
            matches!(deleted, Change::Deleted { id } if id.to_string() == "7eb682f1-ca75-e511-80d4-00155d2a68d1")
        );
        let removed: Change<serde_json::Value> = classify(&raw(
            r#"{"@removed":{"reason":"deleted"},"@id":"https://x/api/data/v9.2/accounts(7eb682f1-ca75-e511-80d4-00155d2a68d1)"}"#,
        ))
        .expect("removed");
        assert!(matches!(removed, Change::Deleted { .. }));
        let upsert: Change<serde_json::Value> =
            classify(&raw(r#"{"@odata.etag":"W/\"1\"","name":"x"}"#)).expect("upsert");
        assert!(matches!(upsert, Change::Upserted(v) if v["name"] == "x"));
        let broken = classify::<serde_json::Value>(&raw(
            r##"{"@odata.context":"#/$deletedEntity","id":"nope"}"##,
        ));
        assert!(matches!(broken, Err(Error::UnexpectedResponse(_))));
    }
}
