//! FetchXML queries, paged with paging cookies.
//!
//! `GET /<entity_set>?fetchXml=<url-encoded xml>` with `Prefer: odata.include-annotations="*"`
//! (which is what makes Dataverse return `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie` and
//! `@Microsoft.Dynamics.CRM.morerecords`). While `morerecords` is true, the next request sets the
//! `<fetch>` element's `page` to the next number and `paging-cookie` to the cookie's
//! `pagingcookie` attribute, URL-decoded twice. A page whose URL is too long for a `GET` goes
//! as the one request of a `$batch`, with the same `Prefer` inside the part (see
//! [`Client::fetch_xml`]). Null columns are omitted from FetchXML results,
//! so give typed rows `Option` fields (or `#[serde(default)]`).

mod xml;

use std::fmt;
use std::marker::PhantomData;

use futures_util::{TryStreamExt, stream};
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::odata::{query_string, validate_identifier};
use crate::options::RequestOptions;
use crate::paging::{Page, PageFetcher, Pages, Records, SeenLinks, page_stream};
use crate::query::{Annotations, check_page_size};

/// The longest page URL (in characters) sent as a plain `GET`; a longer one travels inside a
/// one-part `$batch`. Dataverse limits a `GET` URL to 32,768 characters and a URL inside a
/// `$batch` to 65,536
/// (<https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/retrieve-data#use-fetchxml-within-a-batch-request>,
/// <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#maximum-url-length>).
/// Half the documented limit leaves room for proxies in between, and the paging cookie makes
/// later pages' URLs longer than the first.
pub(crate) const GET_URL_LIMIT: usize = 16 * 1024;

impl Client {
    /// Run a FetchXML query on `entity_set` (the table's entity set name, e.g. `contacts`).
    ///
    /// Each page is `GET <entity_set>?fetchXml=…`. When that URL would be longer than 16,384
    /// characters (half of the 32,768 Dataverse accepts in a `GET`), the page is requested as
    /// the one `GET` of a `$batch` instead, which carries URLs up to 65,536 characters
    /// ([Use FetchXML within a batch request](https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/retrieve-data#use-fetchxml-within-a-batch-request)),
    /// with the same `Prefer` header and the same paging-cookie loop.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::records::Record;
    /// use futures_util::TryStreamExt;
    ///
    /// let fetch = r#"<fetch mapping="logical">
    ///   <entity name="contact">
    ///     <attribute name="fullname" />
    ///     <order attribute="fullname" />
    ///   </entity>
    /// </fetch>"#;
    /// let contacts: Vec<Record> =
    ///     client.fetch_xml::<Record>("contacts", fetch).page_size(500).records().try_collect().await?;
    /// # let _ = contacts; Ok(()) }
    /// ```
    pub fn fetch_xml<T>(
        &self,
        entity_set: &str,
        fetch_xml: impl Into<String>,
    ) -> FetchXmlRequest<'_, T> {
        let mut annotations = Annotations::default();
        annotations.add("*");
        FetchXmlRequest {
            client: self,
            entity_set: entity_set.to_owned(),
            fetch_xml: fetch_xml.into(),
            page_size: None,
            annotations,
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }
}

/// A FetchXML query ready to run; see [`Client::fetch_xml`].
#[must_use = "a query does nothing until its results are requested"]
pub struct FetchXmlRequest<'c, T> {
    client: &'c Client,
    entity_set: String,
    fetch_xml: String,
    page_size: Option<u32>,
    annotations: Annotations,
    options: RequestOptions,
    output: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for FetchXmlRequest<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchXmlRequest")
            .field("entity_set", &self.entity_set)
            .field("fetch_xml", &self.fetch_xml)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl<'c, T: DeserializeOwned + Send + 'static> FetchXmlRequest<'c, T> {
    /// Rows per page: sets the `count` attribute of `<fetch>` (at most 5000). A `<fetch>` with a
    /// `top` attribute cannot be paged: running it then fails with
    /// [`Error::FetchXmlTopWithPaging`].
    pub fn page_size(mut self, rows: u32) -> Self {
        self.page_size = Some(rows);
        self
    }

    /// Per-request options, applied to every page request.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    fn prepare(&self) -> Result<(PageFetcher, FetchPaging)> {
        validate_identifier("entity set", &self.entity_set)?;
        let mut xml_text = self.fetch_xml.clone();
        // `top` and paging are different ways of limiting rows that Dataverse does not combine:
        // https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/page-results
        if xml::fetch_attribute(&xml_text, "top")?.is_some() {
            let paging = ["count", "page", "paging-cookie"]
                .into_iter()
                .map(|name| xml::fetch_attribute(&xml_text, name).map(|v| v.map(|_| name)))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .next();
            if let Some(paging) = self.page_size.map(|_| "page_size").or(paging) {
                return Err(Error::FetchXmlTopWithPaging { paging: paging.to_owned() });
            }
        }
        if let Some(rows) = self.page_size {
            check_page_size("page_size", rows)?;
            xml_text = xml::set_fetch_attributes(&xml_text, &[("count", &rows.to_string())])?;
        }
        let page = match xml::fetch_attribute(&xml_text, "page")? {
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| Error::InvalidRequest(format!("invalid FetchXML page {text:?}")))?,
            None => 1,
        };
        let fetcher = PageFetcher {
            client: self.client.clone(),
            preferences: self.annotations.preference().into_iter().collect(),
            options: self.options.clone(),
            target: self.entity_set.clone(),
            batch_above: Some(GET_URL_LIMIT),
        };
        let paging = FetchPaging {
            entity_set: self.entity_set.clone(),
            fetch_xml: xml_text,
            page,
            seen_cookies: SeenLinks::default(),
        };
        Ok((fetcher, paging))
    }

    /// Fetch only the first page.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for malformed FetchXML; an [`Error`] from Dataverse or the
    /// transport, or [`Error::Decode`].
    pub async fn first_page(self) -> Result<Page<T>> {
        let (fetcher, paging) = self.prepare()?;
        let url = paging.url(&fetcher.client, &paging.fetch_xml)?;
        fetcher.fetch(url).await
    }

    /// All pages, lazily.
    pub fn pages(self) -> Pages<T> {
        match self.prepare() {
            Ok((fetcher, mut paging)) => {
                let first = paging.url(&fetcher.client, &paging.fetch_xml);
                page_stream(fetcher, first, move |fetcher, page| paging.next(&fetcher.client, page))
            }
            Err(error) => Pages::from_stream(stream::once(async move { Err(error) })),
        }
    }

    /// All rows of all pages, lazily.
    pub fn records(self) -> Records<T> {
        self.pages().records()
    }

    /// Every row in one `Vec`.
    ///
    /// # Errors
    /// The first error of any page.
    pub async fn collect_all(self) -> Result<Vec<T>> {
        self.records().try_collect().await
    }
}

/// The paging state of one FetchXML query.
struct FetchPaging {
    entity_set: String,
    fetch_xml: String,
    /// The page number of the last request.
    page: u32,
    seen_cookies: SeenLinks,
}

impl FetchPaging {
    fn url(&self, client: &Client, fetch_xml: &str) -> Result<Url> {
        let mut url = client.resource_url(&[&self.entity_set])?;
        url.set_query(Some(&query_string(&[("fetchXml", fetch_xml.to_owned())])));
        Ok(url)
    }

    fn next<T>(&mut self, client: &Client, page: &Page<T>) -> Result<Option<Url>> {
        if page.more_records != Some(true) {
            return Ok(None);
        }
        let cookie = match page.paging_cookie.as_deref() {
            Some(annotation) => xml::paging_cookie(annotation)?,
            None => None,
        };
        if let Some(cookie) = &cookie {
            self.seen_cookies.record(cookie)?;
        }
        self.page = self.page.checked_add(1).ok_or(Error::PagingLoop)?;
        let page_text = self.page.to_string();
        let mut updates = vec![("page", page_text.as_str())];
        if let Some(cookie) = &cookie {
            updates.push(("paging-cookie", cookie.as_str()));
        }
        let next_xml = xml::set_fetch_attributes(&self.fetch_xml, &updates)?;
        self.url(client, &next_xml).map(Some)
    }
}
