//! System query options and the `Prefer` header
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/overview>,
//! <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#http-headers>).
//!
//! `$select`, `$filter`, `$orderby` (several columns, `asc`/`desc`), `$top`, `$count`,
//! `$expand` of single-valued navigation properties with nested `($select=…;$expand=…)` and of
//! collection-valued ones with `($select=…;$filter=…;$orderby=…;$top=…)`, the opaque
//! `$skiptoken` of a next link and the `$deltatoken` of a delta link. `$skip` is refused because
//! Dataverse does not support it; every other `$` option and the saved-query parameters are
//! refused as not emulated. Every property name is checked against the table, case-sensitively.

use super::errors::DvError;
use super::filter::{self, Expr};
use super::schema::{Catalog, EntitySetDef};

/// Parsed query options of one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct QueryOptions {
    pub(crate) select: Option<Vec<String>>,
    pub(crate) filter: Option<Expr>,
    pub(crate) orderby: Vec<(String, bool)>,
    pub(crate) top: Option<usize>,
    pub(crate) count: bool,
    pub(crate) expand: Vec<Expand>,
    pub(crate) skiptoken: Option<String>,
    pub(crate) deltatoken: Option<String>,
}

/// One `$expand` item.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Expand {
    pub(crate) nav: String,
    pub(crate) select: Option<Vec<String>>,
    pub(crate) expand: Vec<Expand>,
    /// Whether `nav` is collection-valued (then the options below may be set).
    pub(crate) collection: bool,
    pub(crate) filter: Option<Expr>,
    pub(crate) orderby: Vec<(String, bool)>,
    pub(crate) top: Option<usize>,
}

const NOT_EMULATED: &[&str] = &["savedQuery", "userQuery"];

impl QueryOptions {
    /// Parse and validate the raw query string of a request on table `def`.
    pub(crate) fn parse(
        raw: Option<&str>,
        def: &EntitySetDef,
        schema: &Catalog,
    ) -> Result<Self, DvError> {
        let mut options = QueryOptions::default();
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if NOT_EMULATED.contains(&key.as_ref()) {
                return Err(DvError::query(format!(
                    "The sandbox does not emulate the '{key}' query parameter."
                )));
            }
            if !key.starts_with('$') {
                continue; // custom query options are ignored by OData
            }
            if seen.contains(&key.to_string()) {
                return Err(DvError::query(format!(
                    "Query option '{key}' was specified more than once, but it must be specified at most once."
                )));
            }
            seen.push(key.to_string());
            match key.as_ref() {
                "$select" => options.select = Some(parse_select(&value, def)?),
                "$filter" => options.filter = Some(filter::parse(&value, def, schema)?),
                "$orderby" => options.orderby = parse_orderby(&value, def)?,
                "$top" => options.top = Some(parse_top(&value)?),
                "$count" => {
                    options.count = match value.as_ref() {
                        "true" => true,
                        "false" => false,
                        other => {
                            return Err(DvError::query(format!(
                                "'{other}' is not a valid count option. Valid options are 'true' and 'false'."
                            )));
                        }
                    }
                }
                "$expand" => options.expand = parse_expand(&value, def, schema)?,
                "$skiptoken" => options.skiptoken = Some(value.into_owned()),
                "$deltatoken" => options.deltatoken = Some(value.into_owned()),
                other => {
                    return Err(DvError::query(format!(
                        "The query parameter {other} is not supported"
                    )));
                }
            }
        }
        Ok(options)
    }
}

fn parse_top(value: &str) -> Result<usize, DvError> {
    value.trim().parse::<usize>().map_err(|_| {
        DvError::query(format!(
            "Invalid value '{value}' for $top query option found. The $top query option requires \
             a non-negative integer value."
        ))
    })
}

/// Split `text` at each `separator` outside quotes and brackets (`(…)`, and the `{…}`/`[…]` of a
/// JSON value in a function call), trimmed: `$select` lists, `$expand` options, `$apply` steps,
/// function parameters.
pub(crate) fn split_list(text: &str, separator: char) -> Vec<String> {
    let mut items = Vec::new();
    let (mut depth, mut quoted, mut current) = (0usize, false, String::new());
    for c in text.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' | '{' | '[' if !quoted => depth += 1,
            ')' | '}' | ']' if !quoted => depth = depth.saturating_sub(1),
            c if c == separator && depth == 0 && !quoted => {
                items.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current.trim().to_owned());
    items
}

fn parse_select(text: &str, def: &EntitySetDef) -> Result<Vec<String>, DvError> {
    let mut columns = Vec::new();
    for item in split_list(text, ',') {
        if item.is_empty() {
            return Err(DvError::query(format!(
                "Syntax error at position {} in '{text}'.",
                text.len()
            )));
        }
        if item != "*" && def.column_def(&item).is_none() {
            return Err(DvError::unknown_property(&item, &def.logical_name));
        }
        if !columns.contains(&item) {
            columns.push(item);
        }
    }
    if columns.iter().any(|c| c == "*") {
        return Ok(def.columns.iter().map(|c| c.name.clone()).collect());
    }
    Ok(columns)
}

fn parse_orderby(text: &str, def: &EntitySetDef) -> Result<Vec<(String, bool)>, DvError> {
    let mut orders = Vec::new();
    for item in split_list(text, ',') {
        let mut words = item.split_whitespace();
        let column = words.next().unwrap_or_default().to_owned();
        let descending = match words.next() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => {
                return Err(DvError::query(format!(
                    "Syntax error at position {} in '{text}'.",
                    item.len()
                )));
            }
        };
        if words.next().is_some() || column.is_empty() {
            return Err(DvError::query(format!(
                "Syntax error at position {} in '{text}'.",
                item.len()
            )));
        }
        if def.column_def(&column).is_none() {
            return Err(DvError::unknown_property(&column, &def.logical_name));
        }
        orders.push((column, descending));
    }
    Ok(orders)
}

fn parse_expand(text: &str, def: &EntitySetDef, schema: &Catalog) -> Result<Vec<Expand>, DvError> {
    let mut items = Vec::new();
    for item in split_list(text, ',') {
        let (name, inner) = match item.find('(') {
            Some(open) if item.ends_with(')') => {
                (item[..open].trim().to_owned(), Some(item[open + 1..item.len() - 1].to_owned()))
            }
            Some(_) => {
                return Err(DvError::query(format!(
                    "Syntax error at position {} in '{text}'.",
                    item.len()
                )));
            }
            None => (item.clone(), None),
        };
        let (target_set, collection) = match (def.navigation(&name), def.collection(&name)) {
            (Some(nav), _) => (nav.target_set.clone(), false),
            (None, Some(collection)) => (collection.target_set.clone(), true),
            (None, None) => return Err(DvError::unknown_property(&name, &def.logical_name)),
        };
        let target =
            schema.set(&target_set).ok_or_else(|| DvError::resource_not_found(&target_set))?;
        let mut expand = Expand { nav: name.clone(), collection, ..Expand::default() };
        for option in
            inner.iter().flat_map(|inner| split_list(inner, ';')).filter(|o| !o.is_empty())
        {
            let (key, value) = option.split_once('=').unwrap_or((option.as_str(), ""));
            match key.trim() {
                "$select" => expand.select = Some(parse_select(value, target)?),
                "$expand" => expand.expand = parse_expand(value, target, schema)?,
                "$filter" if collection => {
                    expand.filter = Some(filter::parse(value, target, schema)?)
                }
                "$orderby" if collection => expand.orderby = parse_orderby(value, target)?,
                "$top" if collection => expand.top = Some(parse_top(value)?),
                other => {
                    return Err(DvError::query(format!(
                        "The query option '{other}' is not supported in the $expand of the \
                         {} navigation property '{name}'.",
                        if collection { "collection-valued" } else { "single-valued" }
                    )));
                }
            }
        }
        items.push(expand);
    }
    Ok(items)
}

/// The preferences of a request (`Prefer` headers, comma-separated, quoted values allowed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Preferences {
    pub(crate) return_representation: bool,
    pub(crate) max_page_size: Option<usize>,
    /// The raw `odata.include-annotations` value, without quotes.
    pub(crate) include_annotations: Option<String>,
    /// `odata.track-changes`.
    pub(crate) track_changes: bool,
    /// `odata.continue-on-error` (for `$batch`).
    pub(crate) continue_on_error: bool,
    /// `respond-async`: run the request as a background operation (not emulated).
    pub(crate) respond_async: bool,
}

impl Preferences {
    pub(crate) fn parse<'a>(values: impl Iterator<Item = &'a str>) -> Self {
        let mut prefs = Preferences::default();
        for value in values {
            for item in split_list_quoted(value) {
                let (name, arg) = item.split_once('=').map_or((item.as_str(), ""), |(n, a)| (n, a));
                let arg = arg.trim().trim_matches('"');
                match name.trim() {
                    "return" if arg == "representation" => prefs.return_representation = true,
                    "odata.maxpagesize" => {
                        prefs.max_page_size = arg.parse().ok().filter(|n| *n > 0)
                    }
                    "odata.include-annotations" => prefs.include_annotations = Some(arg.to_owned()),
                    "odata.track-changes" => prefs.track_changes = true,
                    "odata.continue-on-error" => prefs.continue_on_error = true,
                    "respond-async" => prefs.respond_async = true,
                    _ => {}
                }
            }
        }
        prefs
    }

    /// Whether annotation `term` (e.g. `OData.Community.Display.V1.FormattedValue`) was asked for.
    pub(crate) fn wants(&self, term: &str) -> bool {
        let Some(list) = &self.include_annotations else { return false };
        list.split(',').map(str::trim).any(|pattern| {
            pattern == "*"
                || pattern == term
                || pattern
                    .strip_suffix(".*")
                    .is_some_and(|ns| term.starts_with(ns) && term[ns.len()..].starts_with('.'))
        })
    }
}

/// Split a `Prefer` value on commas outside double quotes.
fn split_list_quoted(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let (mut quoted, mut current) = (false, String::new());
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => items.push(std::mem::take(&mut current).trim().to_owned()),
            _ => current.push(c),
        }
    }
    items.push(current.trim().to_owned());
    items.into_iter().filter(|i| !i.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Catalog {
        Catalog::new(crate::dataverse::DataverseSchema::default())
    }

    #[test]
    fn options_parse_and_validate() {
        let schema = schema();
        let def = schema.set("cre6f_agreements").unwrap().clone();
        let def = &def;
        let raw = "$select=cre6f_name,cre6f_agreementvalue&$orderby=createdon desc,cre6f_name&$top=5&$count=true\
                   &$expand=cre6f_Opportunity($select=name,totalamount;$expand=parentaccountid($select=name,address1_city))";
        let options = QueryOptions::parse(Some(raw), def, &schema).unwrap();
        assert_eq!(options.select.unwrap(), ["cre6f_name", "cre6f_agreementvalue"]);
        assert_eq!(
            options.orderby,
            [("createdon".to_owned(), true), ("cre6f_name".to_owned(), false)]
        );
        assert_eq!(options.top, Some(5));
        assert!(options.count);
        let opportunity = &options.expand[0];
        assert_eq!(opportunity.nav, "cre6f_Opportunity");
        assert_eq!(opportunity.expand[0].select.as_deref().unwrap(), ["name", "address1_city"]);
    }

    #[test]
    fn refusals() {
        let schema = schema();
        let def = schema.set("cre6f_agreements").unwrap();
        let err = |raw: &str| QueryOptions::parse(Some(raw), def, &schema).unwrap_err().message;
        assert_eq!(err("$skip=10"), "The query parameter $skip is not supported");
        assert!(
            err("$expand=cre6f_opportunity")
                .contains("Could not find a property named 'cre6f_opportunity'")
        );
        assert!(err("$select=Name").contains("'Name'"));
        assert!(err("$top=-1").contains("$top"));
        assert!(err("$select=cre6f_name&$select=cre6f_name").contains("more than once"));
        assert!(err("savedQuery=x").contains("savedQuery"));
        assert!(err("$expand=cre6f_agreement_Annotations($skip=2)").contains("collection-valued"));
    }

    #[test]
    fn preferences() {
        let prefs = Preferences::parse(
            ["return=representation", r#"odata.maxpagesize=2, odata.include-annotations="OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.*""#]
                .into_iter(),
        );
        assert!(prefs.return_representation);
        assert_eq!(prefs.max_page_size, Some(2));
        assert!(prefs.wants("OData.Community.Display.V1.FormattedValue"));
        assert!(prefs.wants("Microsoft.Dynamics.CRM.lookuplogicalname"));
        assert!(!Preferences::default().wants("OData.Community.Display.V1.FormattedValue"));
    }
}
