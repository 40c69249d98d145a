//! Queries: `$select`, `$filter`, `$orderby`, `$top`, `$expand`, `$count`, page size and
//! annotations.

mod expand;
mod filter;
mod literal;
mod order;

pub use expand::Expand;
pub use filter::Filter;
pub use literal::{Literal, literal};

pub(crate) use expand::{render_expands, render_select};
use order::{OrderBy, render_order_by};
use url::Url;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::odata::{query_string, validate_identifier};
use crate::records::RecordKey;

/// The largest page Dataverse returns (`Prefer: odata.maxpagesize`).
pub const MAX_PAGE_SIZE: u32 = 5000;

/// The annotation that carries formatted values (choice labels, currency strings, lookup names,
/// dates in the user's time zone).
pub const FORMATTED_VALUE: &str = "OData.Community.Display.V1.FormattedValue";

/// The annotations that say whether `$count` hit Dataverse's 5000-row cap
/// ([Count rows](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/count-rows)).
const COUNT_ANNOTATIONS: [&str; 2] = [
    "Microsoft.Dynamics.CRM.totalrecordcount",
    "Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded",
];

/// A query on an entity set: which rows, which columns, in which order, in pages of which size.
///
/// ```
/// use dataverse_client::query::{Expand, Filter, Query};
/// use time::macros::datetime;
///
/// let since = datetime!(2024-05-01 00:00 UTC);
/// let query = Query::new("cre6f_agreements")
///     .select(["cre6f_agreementid", "cre6f_name", "cre6f_agreementvalue"])
///     .filter(Filter::eq("cre6f_agreementtype", 1).and(Filter::gt("modifiedon", since)))
///     .order_by("modifiedon")
///     .expand(
///         Expand::new("cre6f_Opportunity")
///             .select(["name", "totalamount"])
///             .expand(Expand::new("parentaccountid").select(["name"])),
///     )
///     .expand(Expand::new("transactioncurrencyid").select(["isocurrencycode"]))
///     .max_page_size(500);
/// assert_eq!(
///     query.to_query_string().unwrap(),
///     "$select=cre6f_agreementid,cre6f_name,cre6f_agreementvalue\
///      &$filter=cre6f_agreementtype%20eq%201%20and%20modifiedon%20gt%202024-05-01T00:00:00Z\
///      &$orderby=modifiedon%20asc\
///      &$expand=cre6f_Opportunity($select=name,totalamount;$expand=parentaccountid($select=name)),transactioncurrencyid($select=isocurrencycode)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    entity_set: String,
    /// For [`Query::related`]: the row and its collection-valued navigation property.
    related: Option<(RecordKey, String)>,
    select: Vec<String>,
    filter: Option<Filter>,
    order_by: Vec<OrderBy>,
    expand: Vec<Expand>,
    top: Option<u32>,
    count: bool,
    max_page_size: Option<u32>,
    annotations: Annotations,
}

impl Query {
    /// A query on an entity set (`accounts`, `cre6f_agreements`).
    pub fn new(entity_set: impl Into<String>) -> Self {
        Self::from_parts(entity_set.into(), None)
    }

    /// The rows related to one row through a collection-valued navigation property, e.g. the
    /// tasks of an account: `accounts(<id>)/Account_Tasks`.
    pub fn related(
        entity_set: &str,
        key: impl Into<RecordKey>,
        navigation_property: impl Into<String>,
    ) -> Self {
        Self::from_parts(entity_set.to_owned(), Some((key.into(), navigation_property.into())))
    }

    fn from_parts(entity_set: String, related: Option<(RecordKey, String)>) -> Self {
        Self {
            entity_set,
            related,
            select: Vec::new(),
            filter: None,
            order_by: Vec::new(),
            expand: Vec::new(),
            top: None,
            count: false,
            max_page_size: None,
            annotations: Annotations::default(),
        }
    }

    /// Columns to return (`$select`). The primary key always comes back; without `$select` all
    /// columns do, which is slow.
    pub fn select<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.select.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Rows to return (`$filter`); called twice, the filters are combined with `and`.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
        self
    }

    /// Order ascending by `property` (`$orderby=property asc`); call again for tie-breakers.
    pub fn order_by(mut self, property: impl Into<String>) -> Self {
        self.order_by.push(OrderBy::asc(property));
        self
    }

    /// Order descending by `property`.
    pub fn order_by_desc(mut self, property: impl Into<String>) -> Self {
        self.order_by.push(OrderBy::desc(property));
        self
    }

    /// Expand a navigation property (`$expand`).
    pub fn expand(mut self, expand: Expand) -> Self {
        self.expand.push(expand);
        self
    }

    /// At most `n` rows in total (`$top`). Dataverse ignores `$top` when a page size is also
    /// requested, so this clears [`max_page_size`](Self::max_page_size).
    pub fn top(mut self, n: u32) -> Self {
        self.top = Some(n);
        self.max_page_size = None;
        self
    }

    /// Ask for the total count (`$count=true`, at most 5000; see [`Page::count`](crate::paging::Page)),
    /// with the annotations that tell whether the cap was hit
    /// ([`Page::count_limit_exceeded`](crate::paging::Page::count_limit_exceeded)): `Prefer:
    /// odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"`.
    pub fn count(mut self) -> Self {
        self.count = true;
        for annotation in COUNT_ANNOTATIONS {
            self.annotations.add(annotation);
        }
        self
    }

    /// Rows per page (`Prefer: odata.maxpagesize=n`, 1 to 5000). Clears [`top`](Self::top),
    /// which Dataverse would ignore.
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.max_page_size = Some(n);
        self.top = None;
        self
    }

    /// Include formatted values (`<column>@OData.Community.Display.V1.FormattedValue`).
    pub fn formatted_values(mut self) -> Self {
        self.annotations.add(FORMATTED_VALUE);
        self
    }

    /// Include annotations matching `pattern` (`"*"` for all, or a name such as
    /// `Microsoft.Dynamics.CRM.lookuplogicalname`).
    pub fn include_annotations(mut self, pattern: impl Into<String>) -> Self {
        self.annotations.add(pattern);
        self
    }

    /// The entity set (first path segment) the query reads, for tracing.
    pub(crate) fn target(&self) -> &str {
        &self.entity_set
    }

    pub(crate) fn has_row_shaping_options(&self) -> bool {
        self.filter.is_some()
            || !self.order_by.is_empty()
            || !self.expand.is_empty()
            || self.top.is_some()
    }

    /// The query string (after `?`), URL-encoded.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an invalid name or page size.
    pub fn to_query_string(&self) -> Result<String> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.select.is_empty() {
            pairs.push(("$select", render_select(&self.select)?));
        }
        if let Some(filter) = &self.filter {
            pairs.push(("$filter", filter.to_odata()?));
        }
        if !self.order_by.is_empty() {
            pairs.push(("$orderby", render_order_by(&self.order_by)?));
        }
        if !self.expand.is_empty() {
            pairs.push(("$expand", render_expands(&self.expand)?));
        }
        if let Some(top) = self.top {
            pairs.push(("$top", top.to_string()));
        }
        if self.count {
            pairs.push(("$count", "true".to_owned()));
        }
        Ok(query_string(&pairs))
    }

    /// The `Prefer` preferences of the query.
    pub(crate) fn preferences(&self) -> Result<Vec<String>> {
        let mut preferences = Vec::new();
        if let Some(size) = self.max_page_size {
            preferences.push(page_size_preference(size)?);
        }
        preferences.extend(self.annotations.preference());
        Ok(preferences)
    }

    /// The page size set with [`max_page_size`](Self::max_page_size).
    pub(crate) fn page_size(&self) -> Option<u32> {
        self.max_page_size
    }

    /// The `odata.include-annotations` preference, if any.
    pub(crate) fn annotation_preference(&self) -> Option<String> {
        self.annotations.preference()
    }

    /// The full URL of the first page.
    pub(crate) fn url(&self, client: &Client) -> Result<Url> {
        let mut url = match &self.related {
            None => {
                validate_identifier("entity set", &self.entity_set)?;
                client.resource_url(&[&self.entity_set])?
            }
            Some((key, navigation_property)) => {
                validate_identifier("navigation property", navigation_property)?;
                client.resource_url(&[&key.segment(&self.entity_set)?, navigation_property])?
            }
        };
        let query = self.to_query_string()?;
        if !query.is_empty() {
            url.set_query(Some(&query));
        }
        Ok(url)
    }
}

/// Check a page size against Dataverse's range (1 to [`MAX_PAGE_SIZE`]); `setting` names the
/// builder method in the error.
pub(crate) fn check_page_size(setting: &str, rows: u32) -> Result<()> {
    if (1..=MAX_PAGE_SIZE).contains(&rows) {
        Ok(())
    } else {
        Err(Error::InvalidRequest(format!(
            "{setting} must be between 1 and {MAX_PAGE_SIZE}, got {rows}"
        )))
    }
}

/// `odata.maxpagesize=<rows>`, checked.
pub(crate) fn page_size_preference(rows: u32) -> Result<String> {
    check_page_size("max_page_size", rows)?;
    Ok(format!("odata.maxpagesize={rows}"))
}

/// The annotations asked for with `Prefer: odata.include-annotations`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Annotations(Vec<String>);

impl Annotations {
    pub(crate) fn add(&mut self, pattern: impl Into<String>) {
        let pattern = pattern.into();
        if !self.0.contains(&pattern) {
            self.0.push(pattern);
        }
    }

    /// `odata.include-annotations="a,b"`; `*` subsumes everything else.
    pub(crate) fn preference(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let value = if self.0.iter().any(|p| p == "*") { "*".to_owned() } else { self.0.join(",") };
        Some(format!("odata.include-annotations=\"{value}\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn page_size_and_annotations_become_preferences() {
        let query = Query::new("accounts").max_page_size(2).formatted_values();
        assert_eq!(
            query.preferences().unwrap(),
            vec![
                "odata.maxpagesize=2".to_owned(),
                "odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\""
                    .to_owned()
            ]
        );
        let all = Query::new("accounts").formatted_values().include_annotations("*");
        assert_eq!(all.preferences().unwrap(), vec!["odata.include-annotations=\"*\"".to_owned()]);
        assert!(Query::new("accounts").max_page_size(0).preferences().is_err());
        assert!(Query::new("accounts").max_page_size(5001).preferences().is_err());
    }

    #[test]
    fn count_asks_for_the_limit_annotations() {
        let query = Query::new("accounts").formatted_values().count();
        assert_eq!(query.to_query_string().unwrap(), "$count=true");
        assert_eq!(
            query.preferences().unwrap(),
            vec![
                "odata.include-annotations=\"OData.Community.Display.V1.FormattedValue,\
                 Microsoft.Dynamics.CRM.totalrecordcount,\
                 Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded\""
                    .to_owned()
            ]
        );
        let all = Query::new("accounts").count().include_annotations("*");
        assert_eq!(all.preferences().unwrap(), vec!["odata.include-annotations=\"*\"".to_owned()]);
    }

    #[test]
    fn top_and_page_size_exclude_each_other() {
        let query = Query::new("accounts").max_page_size(10).top(3);
        assert_eq!(query.to_query_string().unwrap(), "$top=3");
        assert!(query.preferences().unwrap().is_empty());
        let query = Query::new("accounts").top(3).max_page_size(10).count();
        assert_eq!(query.to_query_string().unwrap(), "$count=true");
    }

    #[test]
    fn related_query_path() {
        let client = Client::builder("https://contoso.crm.dynamics.com")
            .credential(crate::auth::StaticToken::new("t"))
            .build()
            .expect("client");
        let query = Query::related("accounts", Uuid::nil(), "Account_Tasks").select(["subject"]);
        assert_eq!(query.target(), "accounts");
        assert_eq!(
            query.url(&client).expect("url").as_str(),
            "https://contoso.crm.dynamics.com/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000000)/Account_Tasks?$select=subject"
        );
        let by_key = Query::related(
            "accounts",
            RecordKey::alternate([("accountnumber", "A 1")]),
            "Account_Tasks",
        );
        assert_eq!(
            by_key.url(&client).expect("url").path(),
            "/api/data/v9.2/accounts(accountnumber='A%201')/Account_Tasks"
        );
        let unsupported =
            Query::related("accounts", RecordKey::alternate([("accountnumber", "A/1")]), "x");
        assert!(matches!(
            unsupported.url(&client),
            Err(Error::UnsupportedKeyValue { character: '/', .. })
        ));
        assert!(Query::related("accounts", Uuid::nil(), "Account_Tasks/x").url(&client).is_err());
        assert!(Query::related("accounts)", Uuid::nil(), "Account_Tasks").url(&client).is_err());
    }
}
