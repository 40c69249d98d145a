//! `$apply` aggregation: `filter`, `groupby` and `aggregate` with sum, average, min, max,
//! countdistinct and `$count`.
//!
//! The shapes follow [Aggregate data using OData](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/aggregate-data):
//! `accounts?$apply=filter(statecode eq 0)/groupby((statuscode),aggregate(revenue with sum as total,$count as count))`.
//! Dataverse aggregates at most 50,000 rows, cannot group by a date-time value and cannot order
//! by an aggregate. For those (and for distinct counts by column or grouping by parts of a date),
//! use FetchXML aggregates through [`Client::fetch_xml`].

use std::fmt;
use std::future::IntoFuture;
use std::marker::PhantomData;

use futures_util::future::BoxFuture;
use futures_util::{TryStreamExt, stream};
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::odata::{query_string, validate_identifier, validate_property_path};
use crate::options::RequestOptions;
use crate::paging::{NextLinks, PageFetcher, Pages, Records, page_stream};
use crate::query::{Annotations, FORMATTED_VALUE, Filter};

/// How an aggregate combines the values of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AggregateMethod {
    /// `with sum`.
    Sum,
    /// `with average`.
    Average,
    /// `with min`.
    Min,
    /// `with max`.
    Max,
    /// `with countdistinct`.
    CountDistinct,
}

impl AggregateMethod {
    fn keyword(self) -> &'static str {
        match self {
            AggregateMethod::Sum => "sum",
            AggregateMethod::Average => "average",
            AggregateMethod::Min => "min",
            AggregateMethod::Max => "max",
            AggregateMethod::CountDistinct => "countdistinct",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Aggregate {
    Column { column: String, method: AggregateMethod, alias: String },
    Count { alias: String },
}

impl Aggregate {
    fn render(&self) -> Result<String> {
        match self {
            Aggregate::Column { column, method, alias } => {
                validate_property_path(column)?;
                validate_identifier("aggregate alias", alias)?;
                Ok(format!("{column} with {} as {alias}", method.keyword()))
            }
            Aggregate::Count { alias } => {
                validate_identifier("aggregate alias", alias)?;
                Ok(format!("$count as {alias}"))
            }
        }
    }
}

/// An aggregation over an entity set; run it with [`Client::aggregate`].
///
/// ```
/// use dataverse_client::{aggregate::Aggregation, query::Filter};
///
/// let by_status = Aggregation::new("accounts")
///     .filter(Filter::eq("statecode", 0))
///     .group_by(["statuscode"])
///     .sum("revenue", "total")
///     .count("count");
/// assert_eq!(
///     by_status.to_apply().unwrap(),
///     "filter(statecode eq 0)/groupby((statuscode),aggregate(revenue with sum as total,$count as count))"
/// );
///
/// let distinct = Aggregation::new("accounts").group_by(["primarycontactid/fullname"]);
/// assert_eq!(distinct.to_apply().unwrap(), "groupby((primarycontactid/fullname))");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregation {
    entity_set: String,
    filter: Option<Filter>,
    group_by: Vec<String>,
    aggregates: Vec<Aggregate>,
    annotations: Annotations,
}

impl Aggregation {
    /// An aggregation over `entity_set`.
    pub fn new(entity_set: impl Into<String>) -> Self {
        Self {
            entity_set: entity_set.into(),
            filter: None,
            group_by: Vec::new(),
            aggregates: Vec::new(),
            annotations: Annotations::default(),
        }
    }

    /// Only rows matching `filter` (`filter(…)` before grouping); called twice, the filters are
    /// combined with `and`.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
        self
    }

    /// Group by these columns (`groupby((a,b))`); a path such as `primarycontactid/fullname`
    /// groups by a column of a related row.
    pub fn group_by<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.group_by.extend(columns.into_iter().map(Into::into));
        self
    }

    /// `column with <method> as alias`.
    pub fn aggregate(
        mut self,
        column: impl Into<String>,
        method: AggregateMethod,
        alias: impl Into<String>,
    ) -> Self {
        self.aggregates.push(Aggregate::Column {
            column: column.into(),
            method,
            alias: alias.into(),
        });
        self
    }

    /// `column with sum as alias`.
    pub fn sum(self, column: impl Into<String>, alias: impl Into<String>) -> Self {
        self.aggregate(column, AggregateMethod::Sum, alias)
    }

    /// `column with average as alias`.
    pub fn average(self, column: impl Into<String>, alias: impl Into<String>) -> Self {
        self.aggregate(column, AggregateMethod::Average, alias)
    }

    /// `column with min as alias`.
    pub fn min(self, column: impl Into<String>, alias: impl Into<String>) -> Self {
        self.aggregate(column, AggregateMethod::Min, alias)
    }

    /// `column with max as alias`.
    pub fn max(self, column: impl Into<String>, alias: impl Into<String>) -> Self {
        self.aggregate(column, AggregateMethod::Max, alias)
    }

    /// `column with countdistinct as alias`.
    pub fn count_distinct(self, column: impl Into<String>, alias: impl Into<String>) -> Self {
        self.aggregate(column, AggregateMethod::CountDistinct, alias)
    }

    /// The number of rows (of each group): `$count as alias`.
    pub fn count(mut self, alias: impl Into<String>) -> Self {
        self.aggregates.push(Aggregate::Count { alias: alias.into() });
        self
    }

    /// Include formatted values (`<alias>@OData.Community.Display.V1.FormattedValue`: currency
    /// strings, choice labels).
    pub fn formatted_values(mut self) -> Self {
        self.annotations.add(FORMATTED_VALUE);
        self
    }

    /// The `$apply` value (before URL encoding).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an invalid column or alias, or for an aggregation that
    /// neither groups nor aggregates.
    pub fn to_apply(&self) -> Result<String> {
        let mut steps = Vec::new();
        if let Some(filter) = &self.filter {
            steps.push(format!("filter({})", filter.to_odata()?));
        }
        let aggregates =
            self.aggregates.iter().map(Aggregate::render).collect::<Result<Vec<_>>>()?.join(",");
        if self.group_by.is_empty() {
            if aggregates.is_empty() {
                return Err(Error::InvalidRequest(
                    "an aggregation needs a group_by or an aggregate".to_owned(),
                ));
            }
            steps.push(format!("aggregate({aggregates})"));
        } else {
            for column in &self.group_by {
                validate_property_path(column)?;
            }
            let columns = self.group_by.join(",");
            steps.push(if aggregates.is_empty() {
                format!("groupby(({columns}))")
            } else {
                format!("groupby(({columns}),aggregate({aggregates}))")
            });
        }
        Ok(steps.join("/"))
    }

    fn url(&self, client: &Client) -> Result<Url> {
        validate_identifier("entity set", &self.entity_set)?;
        let mut url = client.resource_url(&[&self.entity_set])?;
        url.set_query(Some(&query_string(&[("$apply", self.to_apply()?)])));
        Ok(url)
    }
}

impl Client {
    /// Run an aggregation: one row per group (or a single row without grouping), decoded as
    /// `T`. `.await` it for every row, or stream them with [`AggregateRequest::records`].
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::aggregate::Aggregation;
    /// use rust_decimal::Decimal;
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// struct RevenueByStatus {
    ///     statuscode: i32,
    ///     #[serde(with = "dataverse_client::json_decimal::option", default)]
    ///     total: Option<Decimal>,
    ///     count: u64,
    /// }
    ///
    /// let rows: Vec<RevenueByStatus> = client
    ///     .aggregate(Aggregation::new("accounts").group_by(["statuscode"]).sum("revenue", "total").count("count"))
    ///     .await?;
    /// # let _ = rows; Ok(()) }
    /// ```
    pub fn aggregate<T>(&self, aggregation: Aggregation) -> AggregateRequest<'_, T> {
        AggregateRequest {
            client: self,
            aggregation,
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }
}

/// A pending [`Client::aggregate`].
#[must_use = "a query does nothing until its results are requested"]
pub struct AggregateRequest<'c, T> {
    client: &'c Client,
    aggregation: Aggregation,
    options: RequestOptions,
    output: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for AggregateRequest<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AggregateRequest")
            .field("aggregation", &self.aggregation)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'c, T: DeserializeOwned + Send + 'static> AggregateRequest<'c, T> {
    /// Per-request options.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// The result pages, lazily (grouped results page like any query).
    pub fn pages(self) -> Pages<T> {
        let first = self.aggregation.url(self.client);
        let fetcher = PageFetcher {
            client: self.client.clone(),
            preferences: self.aggregation.annotations.preference().into_iter().collect(),
            options: self.options,
            target: self.aggregation.entity_set,
            batch_above: None,
        };
        match first {
            Ok(url) => {
                let mut links = NextLinks::new();
                page_stream(fetcher, Ok(url), move |fetcher, page| links.next(fetcher, page))
            }
            Err(error) => Pages::from_stream(stream::once(async move { Err(error) })),
        }
    }

    /// The result rows, lazily.
    pub fn records(self) -> Records<T> {
        self.pages().records()
    }

    /// Every result row.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an invalid aggregation; an [`Error`] from Dataverse, the
    /// transport or decoding.
    pub async fn send(self) -> Result<Vec<T>> {
        self.records().try_collect().await
    }
}

impl<'c, T: DeserializeOwned + Send + 'static> IntoFuture for AggregateRequest<'c, T> {
    type Output = Result<Vec<T>>;
    type IntoFuture = BoxFuture<'c, Result<Vec<T>>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_documented_form() {
        let cases = [
            (Aggregation::new("accounts").group_by(["statuscode"]), "groupby((statuscode))"),
            (
                Aggregation::new("accounts").group_by(["statuscode"]).count("count"),
                "groupby((statuscode),aggregate($count as count))",
            ),
            (
                Aggregation::new("accounts").sum("revenue", "total"),
                "aggregate(revenue with sum as total)",
            ),
            (
                Aggregation::new("accounts")
                    .group_by(["statuscode"])
                    .average("revenue", "averagevalue"),
                "groupby((statuscode),aggregate(revenue with average as averagevalue))",
            ),
            (
                Aggregation::new("accounts")
                    .filter(Filter::eq("address1_stateorprovince", "WA"))
                    .group_by(["primarycontactid/fullname"]),
                "filter(address1_stateorprovince eq 'WA')/groupby((primarycontactid/fullname))",
            ),
            (
                Aggregation::new("accounts")
                    .max("createdon", "lastCreate")
                    .min("createdon", "firstCreate")
                    .count_distinct("ownerid", "owners"),
                "aggregate(createdon with max as lastCreate,createdon with min as firstCreate,ownerid with countdistinct as owners)",
            ),
        ];
        for (aggregation, expected) in cases {
            assert_eq!(aggregation.to_apply().expect("rendered"), expected);
        }
    }

    #[test]
    fn refuses_what_would_break_the_expression() {
        assert!(Aggregation::new("accounts").to_apply().is_err());
        assert!(Aggregation::new("accounts").sum("revenue) as x", "t").to_apply().is_err());
        assert!(Aggregation::new("accounts").sum("revenue", "t t").to_apply().is_err());
        assert!(Aggregation::new("accounts").group_by(["a,b"]).to_apply().is_err());
        assert!(Aggregation::new("accounts").count("c)").to_apply().is_err());
    }
}
