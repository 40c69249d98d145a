//! `$expand` of navigation properties, with nested options.

use super::filter::Filter;
use super::order::{OrderBy, render_order_by};
use crate::error::Result;
use crate::odata::{validate_identifier, validate_property_path};

/// One navigation property to expand, with its own `$select`, `$filter`, `$orderby`, `$top` and
/// nested `$expand`.
///
/// The navigation property name is case-sensitive: custom lookups use the schema name
/// (`cre6f_Opportunity`), not the lower-case logical name.
///
/// ```
/// use dataverse_client::query::Expand;
///
/// let expand = Expand::new("cre6f_Opportunity")
///     .select(["name", "totalamount"])
///     .expand(Expand::new("parentaccountid").select(["name", "address1_city"]));
/// assert_eq!(
///     expand.to_odata().unwrap(),
///     "cre6f_Opportunity($select=name,totalamount;$expand=parentaccountid($select=name,address1_city))"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Expand {
    navigation_property: String,
    select: Vec<String>,
    filter: Option<Filter>,
    order_by: Vec<OrderBy>,
    top: Option<u32>,
    expand: Vec<Expand>,
}

impl Expand {
    /// Expand `navigation_property` (single- or collection-valued).
    pub fn new(navigation_property: impl Into<String>) -> Self {
        Self {
            navigation_property: navigation_property.into(),
            select: Vec::new(),
            filter: None,
            order_by: Vec::new(),
            top: None,
            expand: Vec::new(),
        }
    }

    /// Columns of the related row(s) to return.
    pub fn select<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.select.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Filter related rows (collection-valued navigation properties only).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
        self
    }

    /// Order related rows ascending by `property` (collection-valued only).
    pub fn order_by(mut self, property: impl Into<String>) -> Self {
        self.order_by.push(OrderBy::asc(property));
        self
    }

    /// Order related rows descending by `property` (collection-valued only).
    pub fn order_by_desc(mut self, property: impl Into<String>) -> Self {
        self.order_by.push(OrderBy::desc(property));
        self
    }

    /// At most `n` related rows (collection-valued only).
    pub fn top(mut self, n: u32) -> Self {
        self.top = Some(n);
        self
    }

    /// Expand a navigation property of the related row.
    pub fn expand(mut self, nested: Expand) -> Self {
        self.expand.push(nested);
        self
    }

    /// The expansion as OData text.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) for an invalid name.
    pub fn to_odata(&self) -> Result<String> {
        validate_identifier("navigation property", &self.navigation_property)?;
        let mut options = Vec::new();
        if !self.select.is_empty() {
            options.push(format!("$select={}", render_select(&self.select)?));
        }
        if let Some(filter) = &self.filter {
            options.push(format!("$filter={}", filter.to_odata()?));
        }
        if !self.order_by.is_empty() {
            options.push(format!("$orderby={}", render_order_by(&self.order_by)?));
        }
        if let Some(top) = self.top {
            options.push(format!("$top={top}"));
        }
        if !self.expand.is_empty() {
            options.push(format!("$expand={}", render_expands(&self.expand)?));
        }
        if options.is_empty() {
            Ok(self.navigation_property.clone())
        } else {
            Ok(format!("{}({})", self.navigation_property, options.join(";")))
        }
    }
}

pub(crate) fn render_select(columns: &[String]) -> Result<String> {
    for column in columns {
        validate_property_path(column)?;
    }
    Ok(columns.join(","))
}

pub(crate) fn render_expands(expands: &[Expand]) -> Result<String> {
    let parts: Result<Vec<String>> = expands.iter().map(Expand::to_odata).collect();
    Ok(parts?.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_all_nested_options() {
        let expand = Expand::new("Account_Tasks")
            .select(["subject"])
            .filter(Filter::eq("statecode", 0))
            .order_by_desc("createdon")
            .top(5);
        assert_eq!(
            expand.to_odata().unwrap(),
            "Account_Tasks($select=subject;$filter=statecode eq 0;$orderby=createdon desc;$top=5)"
        );
        assert_eq!(
            Expand::new("transactioncurrencyid").to_odata().unwrap(),
            "transactioncurrencyid"
        );
    }

    #[test]
    fn rejects_invalid_names() {
        assert!(Expand::new("a($select=x)").to_odata().is_err());
        assert!(Expand::new("ok").select(["bad name"]).to_odata().is_err());
    }
}
