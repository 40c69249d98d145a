//! Pages of query results as lazy streams.
//!
//! Nothing is fetched until the stream is polled, one page is in memory at a time, and each next
//! page is requested by following `@odata.nextLink` exactly as the service returned it (with the
//! same `Prefer` header). A link the service already returned stops the stream with
//! [`Error::PagingLoop`] instead of looping forever.

use std::collections::HashSet;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::{StreamExt, TryStreamExt, stream};
use http::{HeaderValue, Method};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::batch::{Batch, BatchRequest};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, PREFER, What};
use crate::options::RequestOptions;
use crate::query::Query;

/// One page of results.
///
/// It deserializes from the Web API's collection shape, so it also decodes a query response
/// read another way (for example from a [`$batch`](crate::batch::Batch) part).
#[derive(Clone, Debug, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
#[non_exhaustive]
pub struct Page<T> {
    /// The rows (`value`).
    #[serde(rename = "value", default = "Vec::new")]
    pub items: Vec<T>,
    /// `@odata.nextLink`: where the next page is, absent on the last page.
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    /// `@odata.count`, with [`Query::count`]. Dataverse counts at most 5000 rows.
    #[serde(rename = "@odata.count", default)]
    pub count: Option<u64>,
    /// `@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded`: the count was capped.
    #[serde(rename = "@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded", default)]
    pub count_limit_exceeded: Option<bool>,
    /// `@odata.deltaLink` (change tracking, last page only).
    #[serde(rename = "@odata.deltaLink", default)]
    pub delta_link: Option<String>,
    /// `@Microsoft.Dynamics.CRM.morerecords` (FetchXML).
    #[serde(rename = "@Microsoft.Dynamics.CRM.morerecords", default)]
    pub more_records: Option<bool>,
    /// `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie` (FetchXML).
    #[serde(rename = "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie", default)]
    pub paging_cookie: Option<String>,
}

/// A lazy stream of [`Page`]s.
#[must_use = "streams do nothing unless polled"]
pub struct Pages<T> {
    inner: Pin<Box<dyn Stream<Item = Result<Page<T>>> + Send>>,
}

/// A lazy stream of rows, fetched a page at a time.
#[must_use = "streams do nothing unless polled"]
pub struct Records<T> {
    inner: Pin<Box<dyn Stream<Item = Result<T>> + Send>>,
}

impl<T> Stream for Pages<T> {
    type Item = Result<Page<T>>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> Stream for Records<T> {
    type Item = Result<T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pages { .. }")
    }
}

impl<T> fmt::Debug for Records<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Records { .. }")
    }
}

impl<T> Pages<T> {
    /// The next page, or `None` after the last one (no `futures` import needed).
    ///
    /// # Errors
    /// The error of the page request that failed; the stream ends after it.
    pub async fn try_next(&mut self) -> Result<Option<Page<T>>> {
        self.inner.next().await.transpose()
    }
}

impl<T> Records<T> {
    /// The next row, or `None` after the last one (no `futures` import needed).
    ///
    /// # Errors
    /// The error of the page request that failed; the stream ends after it.
    pub async fn try_next(&mut self) -> Result<Option<T>> {
        self.inner.next().await.transpose()
    }

    /// Every remaining row in one `Vec`. Prefer [`try_next`](Self::try_next) for large results.
    ///
    /// # Errors
    /// The first error of any page.
    pub async fn collect_all(self) -> Result<Vec<T>> {
        self.inner.try_collect().await
    }
}

impl<T: Send + 'static> Pages<T> {
    pub(crate) fn from_stream(
        stream: impl Stream<Item = Result<Page<T>>> + Send + 'static,
    ) -> Self {
        Self { inner: Box::pin(stream) }
    }

    /// The rows of every page, in order.
    pub fn records(self) -> Records<T> {
        let rows = self
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok::<T, Error>)))
            .try_flatten();
        Records { inner: Box::pin(rows) }
    }
}

/// Fetches pages: the shared `Prefer` header, options and error context of one query.
#[derive(Clone)]
pub(crate) struct PageFetcher {
    pub(crate) client: Client,
    pub(crate) preferences: Vec<String>,
    pub(crate) options: RequestOptions,
    pub(crate) target: String,
    /// A page URL longer than this many characters is requested inside a one-part `$batch`
    /// instead of as a plain `GET` (long FetchXML).
    pub(crate) batch_above: Option<usize>,
}

impl PageFetcher {
    pub(crate) async fn fetch<T: DeserializeOwned>(&self, url: Url) -> Result<Page<T>> {
        if self.batch_above.is_some_and(|limit| url.as_str().len() > limit) {
            return self.fetch_in_batch(url).await;
        }
        let call = Call::new(Method::GET, url, &self.target)
            .prefer(&self.preferences)
            .options(self.options.clone());
        self.client.send_json(call, What::of("a page of", &self.target)).await
    }

    /// The same `GET` as the one part of a `$batch`, whose body may carry a longer URL; the
    /// `Prefer` header goes inside the part, so the annotations (and the FetchXML paging
    /// cookie) come back.
    async fn fetch_in_batch<T: DeserializeOwned>(&self, url: Url) -> Result<Page<T>> {
        let mut request = BatchRequest::get_url(url);
        if !self.preferences.is_empty() {
            let prefer = HeaderValue::try_from(self.preferences.join(", "))
                .map_err(|_| Error::InvalidRequest("invalid Prefer value".to_owned()))?;
            request = request.header(PREFER, prefer);
        }
        let mut batch = Batch::new();
        batch.add(request);
        let results = self.client.execute_batch(batch).options(self.options.clone()).send().await?;
        let outcome = results.into_outcomes().into_iter().next().ok_or_else(|| {
            Error::UnexpectedResponse("the $batch response has no part".to_owned())
        })?;
        outcome.into_result()?.json()
    }
}

enum State<N> {
    Fetch { url: Box<Url>, fetcher: PageFetcher, next: N },
    Fail(Error),
    Done,
}

/// A page stream starting at `first`; `next` decides where each following page is (or that
/// there is none).
pub(crate) fn page_stream<T, N>(fetcher: PageFetcher, first: Result<Url>, next: N) -> Pages<T>
where
    T: DeserializeOwned + Send + 'static,
    N: FnMut(&PageFetcher, &Page<T>) -> Result<Option<Url>> + Send + 'static,
{
    let start = match first {
        Ok(url) => State::Fetch { url: Box::new(url), fetcher, next },
        Err(error) => State::Fail(error),
    };
    let stream = stream::unfold(start, |state| async move {
        match state {
            State::Done => None,
            State::Fail(error) => Some((Err(error), State::Done)),
            State::Fetch { url, fetcher, mut next } => match fetcher.fetch::<T>(*url).await {
                Err(error) => Some((Err(error), State::Done)),
                Ok(page) => {
                    let following = match next(&fetcher, &page) {
                        Ok(Some(url)) => State::Fetch { url: Box::new(url), fetcher, next },
                        Ok(None) => State::Done,
                        Err(error) => State::Fail(error),
                    };
                    Some((Ok(page), following))
                }
            },
        }
    });
    Pages::from_stream(stream)
}

/// The paging links (or FetchXML paging cookies) a stream has followed, to stop with
/// [`Error::PagingLoop`] instead of following one again.
///
/// Keeps a hash of each, not the text: 8 bytes a page however long the links are.
#[derive(Default)]
pub(crate) struct SeenLinks(HashSet<u64>);

impl SeenLinks {
    /// Record `link`; [`Error::PagingLoop`] if it was recorded before.
    pub(crate) fn record(&mut self, link: &str) -> Result<()> {
        let mut hasher = DefaultHasher::new();
        link.hash(&mut hasher);
        if self.0.insert(hasher.finish()) { Ok(()) } else { Err(Error::PagingLoop) }
    }
}

/// Follows `@odata.nextLink`, refusing a link seen before.
pub(crate) struct NextLinks {
    seen: SeenLinks,
}

impl NextLinks {
    pub(crate) fn new() -> Self {
        Self { seen: SeenLinks::default() }
    }

    pub(crate) fn next<T>(&mut self, fetcher: &PageFetcher, page: &Page<T>) -> Result<Option<Url>> {
        let Some(link) = page.next_link.as_deref() else {
            return Ok(None);
        };
        self.seen.record(link)?;
        fetcher.client.service_link(link).map(Some)
    }
}

impl Client {
    /// Run a query. Get its rows as a stream with [`QueryRequest::records`], its pages with
    /// [`QueryRequest::pages`], or the first page with [`QueryRequest::first_page`].
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::query::{Filter, Query};
    /// use futures_util::TryStreamExt;
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// struct Agreement {
    ///     cre6f_agreementid: uuid::Uuid,
    ///     cre6f_name: Option<String>,
    /// }
    ///
    /// let query = Query::new("cre6f_agreements")
    ///     .select(["cre6f_agreementid", "cre6f_name"])
    ///     .filter(Filter::eq("cre6f_agreementtype", 1))
    ///     .max_page_size(500);
    /// let mut agreements = client.query::<Agreement>(query).records();
    /// while let Some(agreement) = agreements.try_next().await? {
    ///     println!("{} {:?}", agreement.cre6f_agreementid, agreement.cre6f_name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn query<T>(&self, query: Query) -> QueryRequest<'_, T> {
        QueryRequest {
            client: self,
            query,
            resume_from: None,
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }
}

/// A query ready to run; see [`Client::query`].
#[must_use = "a query does nothing until its results are requested"]
pub struct QueryRequest<'c, T> {
    client: &'c Client,
    query: Query,
    resume_from: Option<String>,
    options: RequestOptions,
    output: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for QueryRequest<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryRequest")
            .field("query", &self.query)
            .field("resume_from", &self.resume_from)
            .field("options", &self.options)
            .finish()
    }
}

impl<'c, T: DeserializeOwned + Send + 'static> QueryRequest<'c, T> {
    /// Per-request options, applied to every page request.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Start at a `@odata.nextLink` saved from an earlier run instead of the first page (the
    /// query's page size and annotations still apply).
    pub fn resume_from(mut self, next_link: impl Into<String>) -> Self {
        self.resume_from = Some(next_link.into());
        self
    }

    fn fetcher(&self) -> Result<PageFetcher> {
        Ok(PageFetcher {
            client: self.client.clone(),
            preferences: self.query.preferences()?,
            options: self.options.clone(),
            target: self.query.target().to_owned(),
            batch_above: None,
        })
    }

    fn first_url(&self) -> Result<Url> {
        match &self.resume_from {
            Some(link) => self.client.service_link(link),
            None => self.query.url(self.client),
        }
    }

    /// Fetch only the first page.
    ///
    /// # Errors
    /// An [`Error`] from Dataverse or the transport, or [`Error::Decode`].
    pub async fn first_page(self) -> Result<Page<T>> {
        let fetcher = self.fetcher()?;
        fetcher.fetch(self.first_url()?).await
    }

    /// All pages, lazily.
    pub fn pages(self) -> Pages<T> {
        let first = self.first_url();
        match self.fetcher() {
            Ok(fetcher) => {
                let mut links = NextLinks::new();
                page_stream(fetcher, first, move |fetcher, page| links.next(fetcher, page))
            }
            Err(error) => Pages::from_stream(stream::once(async move { Err(error) })),
        }
    }

    /// All rows of all pages, lazily.
    pub fn records(self) -> Records<T> {
        self.pages().records()
    }

    /// Every row in one `Vec`. Prefer [`records`](Self::records) for large results.
    ///
    /// # Errors
    /// The first error of any page.
    pub async fn collect_all(self) -> Result<Vec<T>> {
        self.records().try_collect().await
    }
}
