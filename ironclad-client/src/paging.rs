//! The `{page, pageSize, count, list}` envelope and lazy item streams over it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::serde_util::{flexible_u64_opt, lenient, null_as_default};

/// The largest `pageSize` Ironclad accepts.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The largest `page` Ironclad accepts; iteration stops there whatever the server says.
const MAX_PAGE: u64 = 100_000_000;

/// One page of a list (`page` is 0-based).
///
/// `count` (the total) is absent on some lists (webhooks); `page` and `pageSize` are absent on
/// unpaged ones (workflow schemas).
///
/// ```
/// use ironclad_client::paging::Page;
///
/// let page: Page<String> =
///     serde_json::from_str(r#"{"page":0,"pageSize":2,"count":3,"list":["a","b"]}"#)?;
/// assert_eq!(page.count, Some(3));
/// assert!(!page.is_last(2));
///
/// // The page number and size are informational: an odd one does not fail the page.
/// let odd: Page<String> = serde_json::from_str(r#"{"page":"0","pageSize":"2","list":["a"]}"#)?;
/// assert_eq!((odd.page, odd.page_size, odd.list.len()), (0, None, 1));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Page<T> {
    /// The page number (0-based).
    #[serde(default, deserialize_with = "lenient")]
    pub page: u64,
    /// The page size the server used.
    #[serde(default, deserialize_with = "lenient")]
    pub page_size: Option<u32>,
    /// The total number of items, when the endpoint reports it.
    #[serde(default, deserialize_with = "flexible_u64_opt::deserialize")]
    pub count: Option<u64>,
    /// The items.
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    #[serde(bound(deserialize = "T: DeserializeOwned"))]
    pub list: Vec<T>,
}

impl<T> Page<T> {
    /// Whether no page follows this one: it is empty, it reaches `count`, or (without a count)
    /// it is shorter than the page size. `requested_page_size` is used when the server did not
    /// echo `pageSize`.
    pub fn is_last(&self, requested_page_size: u32) -> bool {
        if self.list.is_empty() || self.page >= MAX_PAGE {
            return true;
        }
        let size = u64::from(self.page_size.unwrap_or(requested_page_size).max(1));
        match self.count {
            Some(count) => (self.page + 1).saturating_mul(size) >= count,
            None => (self.list.len() as u64) < size,
        }
    }
}

/// A lazy stream of items over pages: the next page is requested only when the items of the
/// previous one have been consumed.
///
/// It implements [`Stream`] (use `futures::TryStreamExt`), and has [`Paginated::try_next`] and
/// [`Paginated::collect_all`] so no extra crate is needed.
///
/// ```no_run
/// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
/// use ironclad_client::workflows::{ListWorkflows, WorkflowStatus};
///
/// let mut workflows = client
///     .workflows()
///     .list(ListWorkflows::new().status(WorkflowStatus::Active).page_size(100));
/// while let Some(workflow) = workflows.try_next().await? {
///     println!("{} {:?}", workflow.id, workflow.title);
/// }
/// # Ok(()) }
/// ```
#[must_use = "a Paginated does nothing until polled"]
pub struct Paginated<T> {
    inner: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>,
}

impl<T> std::fmt::Debug for Paginated<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginated").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Paginated<T> {
    /// Items from `fetch(page)` for `page = first_page, first_page + 1, …` until a last page.
    pub(crate) fn new<F, Fut>(first_page: u64, page_size: u32, fetch: F) -> Self
    where
        F: FnMut(u64) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
    {
        let state = (fetch, Some(first_page));
        let pages = stream::try_unfold(state, move |(mut fetch, next)| async move {
            let Some(number) = next else {
                return Ok::<_, Error>(None);
            };
            let mut page = fetch(number).await?;
            // Trust our own page counter over an echoed one (a proxy may drop it).
            page.page = number;
            let next = if page.is_last(page_size) { None } else { Some(number + 1) };
            Ok(Some((page.list, (fetch, next))))
        });
        let items = pages.map_ok(|list| stream::iter(list.into_iter().map(Ok))).try_flatten();
        Paginated { inner: Box::pin(items) }
    }

    /// The next item, or `None` after the last one.
    ///
    /// # Errors
    /// The error of the page request that failed; the stream ends after it.
    pub async fn try_next(&mut self) -> Result<Option<T>, Error> {
        self.inner.next().await.transpose()
    }

    /// Every remaining item, fetching all pages.
    ///
    /// # Errors
    /// The first failing page request.
    pub async fn collect_all(self) -> Result<Vec<T>, Error> {
        self.inner.try_collect().await
    }
}

impl<T> Stream for Paginated<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T: Send + 'static> Paginated<T> {
    /// A stream that yields `error` and ends (invalid arguments of a list call).
    pub(crate) fn failed(error: Error) -> Self {
        Paginated { inner: Box::pin(stream::once(std::future::ready(Err(error)))) }
    }
}

/// `{list: [...]}` of unpaged endpoints.
#[derive(Deserialize)]
pub(crate) struct ListEnvelope<T> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    #[serde(bound(deserialize = "T: DeserializeOwned"))]
    pub(crate) list: Vec<T>,
}

/// Validate a requested page size (1..=100).
pub(crate) fn checked_page_size(size: Option<u32>) -> Result<Option<u32>, Error> {
    match size {
        Some(size) if !(1..=MAX_PAGE_SIZE).contains(&size) => Err(Error::InvalidRequest(format!(
            "pageSize must be between 1 and {MAX_PAGE_SIZE}, got {size}"
        ))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(number: u64, size: Option<u32>, count: Option<u64>, items: usize) -> Page<u8> {
        Page { page: number, page_size: size, count, list: vec![0; items] }
    }

    #[test]
    fn last_page_rules() {
        assert!(page(0, Some(20), Some(100), 0).is_last(20), "empty");
        assert!(!page(0, Some(20), Some(100), 20).is_last(20));
        assert!(page(4, Some(20), Some(100), 20).is_last(20), "reaches count");
        assert!(!page(0, None, None, 20).is_last(20), "full page without count");
        assert!(page(0, None, None, 7).is_last(20), "short page without count");
        assert!(page(0, Some(20), None, 19).is_last(20));
    }
}
