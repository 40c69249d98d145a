//! FetchXML queries: `GET /<set>?fetchXml=<url-encoded xml>`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/overview>).
//!
//! Emulated: `<attribute>` / `<all-attributes>`, `<order>`, nested `<filter type="and|or">` with
//! the `<condition>` operators `eq ne neq gt ge lt le like not-like begins-with not-begin-with
//! ends-with not-end-with null not-null in not-in between not-between eq-userid ne-userid`
//! (the `like` family uses Dataverse's wildcards), `<link-entity>` (inner and outer joins, nested,
//! columns returned as `alias.column`), `top`, and paging with `count`/`page`: when asked for with
//! `Prefer: odata.include-annotations`, a page that has more rows after it carries
//! `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie` (the `<cookie pagenumber=… pagingcookie=…
//! istracking="False" />` shape with the inner cookie URL-encoded twice) and
//! `@Microsoft.Dynamics.CRM.morerecords`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/page-results>).
//! As the service does, columns whose value is null are left out of the rows. Aggregates
//! (`aggregate="true"`) are answered by `fetch_aggregate`.

use std::cmp::Ordering;
use std::sync::Arc;

use http::StatusCode;
use uuid::Uuid;

use super::cell::Cell;
use super::errors::DvError;
use super::handlers::preference_applied;
use super::like::LikePattern;
use super::render::{Renderer, context_fragment};
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::{ColumnKind, EntitySetDef};
use super::store::{Row, Store};
use super::xml::{self, Element};
use crate::json::{Json, JsonObject};
use crate::timestamps;

const PAGING_COOKIE: &str = "Microsoft.Dynamics.CRM.fetchxmlpagingcookie";
const MORE_RECORDS: &str = "Microsoft.Dynamics.CRM.morerecords";
const TOTAL_COUNT: &str = "Microsoft.Dynamics.CRM.totalrecordcount";
const TOTAL_COUNT_EXCEEDED: &str = "Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded";
/// The most rows simple paging reaches.
const SIMPLE_PAGING_LIMIT: usize = 50_000;

/// A FetchXML error (400, `0x80040203` unless a more specific code applies).
pub(super) fn invalid(message: impl Into<String>) -> DvError {
    DvError::new(StatusCode::BAD_REQUEST, "0x80040203", message)
}

/// `'account' entity doesn't contain attribute with Name = 'x' and NameMapping = 'Logical'.`
fn no_attribute(logical: &str, name: &str) -> DvError {
    DvError::new(
        StatusCode::BAD_REQUEST,
        "0x80041103",
        format!(
            "'{logical}' entity doesn't contain attribute with Name = '{name}' and NameMapping = 'Logical'."
        ),
    )
}

/// One `<entity>` or `<link-entity>`.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) def: Arc<EntitySetDef>,
    /// `None` for the main entity.
    alias: Option<String>,
    /// `None` for `<all-attributes/>`: `(column, output name)`.
    attributes: Option<Vec<(String, String)>>,
    orders: Vec<(String, bool)>,
    filter: Option<Filter>,
    links: Vec<Link>,
}

#[derive(Debug)]
struct Link {
    node: Node,
    /// Column of the linked table.
    from: String,
    /// Column of the parent table.
    to: String,
    outer: bool,
}

#[derive(Debug)]
enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Condition { column: String, op: String, values: Vec<Cell> },
}

/// One result: the main row and the linked rows by alias.
#[derive(Debug, Clone)]
pub(super) struct Record<'s> {
    pub(super) main: &'s Row,
    pub(super) linked: Vec<Linked<'s>>,
}

/// The row a `<link-entity>` joined (none for an outer join without a match).
#[derive(Debug, Clone)]
pub(super) struct Linked<'s> {
    pub(super) alias: String,
    pub(super) def: Arc<EntitySetDef>,
    pub(super) row: Option<&'s Row>,
    /// The columns asked for (`None`: all), `(column, output name)`.
    attributes: Option<Vec<(String, String)>>,
}

/// Run `fetch` against entity set `def`.
pub(crate) fn execute(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    fetch: &str,
) -> Result<Reply, DvError> {
    let root = xml::parse(fetch).map_err(|e| invalid(format!("Invalid FetchXML: {e}")))?;
    if root.name != "fetch" {
        return Err(invalid("The FetchXML root element must be 'fetch'."));
    }
    let number = |name: &str| -> Result<Option<usize>, DvError> {
        root.attr(name)
            .map(|v| {
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| invalid(format!("The '{name}' attribute must be a number.")))
            })
            .transpose()
    };
    let (top, count, page) = (number("top")?, number("count")?, number("page")?);
    if top.is_some() && (count.is_some() || page.is_some()) {
        return Err(invalid(
            "The 'top' attribute can't be specified with paging attributes 'page' and 'count'.",
        ));
    }
    let entity = root
        .children_named("entity")
        .next()
        .ok_or_else(|| invalid("The FetchXML has no 'entity' element."))?;
    let name = entity.attr("name").unwrap_or_default();
    if name != def.logical_name {
        return Err(invalid(format!(
            "The entity '{name}' of the FetchXML is not the table '{}' of the entity set '{}'.",
            def.logical_name, def.entity_set
        )));
    }
    let main = node(store, entity, Arc::new(def.clone()), None)?;
    if root.attr("aggregate").is_some_and(|a| a == "true") {
        return super::fetch_aggregate::execute(store, request, &root, entity, &main, top);
    }

    let mut records = records(store, &main);
    records.sort_by(|a, b| {
        for (column, descending) in &main.orders {
            let order = a.main.get(column).sort_cmp(b.main.get(column));
            let order = if *descending { order.reverse() } else { order };
            if order != Ordering::Equal {
                return order;
            }
        }
        a.main.seq.cmp(&b.main.seq)
    });
    let total = records.len();
    let page_size = count.unwrap_or(5000).clamp(1, 5000);
    let page = page.unwrap_or(1).max(1);
    let (start, end) = match top {
        Some(top) => (0, top.min(5000)),
        None => ((page - 1) * page_size, page * page_size),
    };
    if top.is_none() && start >= SIMPLE_PAGING_LIMIT {
        return Err(invalid("Simple paging is limited to 50,000 records; use the paging cookie."));
    }
    let more = top.is_none() && total > end;
    let shown: Vec<Record<'_>> = records.into_iter().skip(start).take(end - start).collect();

    let renderer = Renderer { store, prefs: &request.prefs };
    let mut columns: Vec<String> = Vec::new();
    let values: Vec<Json> = shown
        .iter()
        .map(|record| Json::Object(render(&renderer, &main, record, &mut columns)))
        .collect();
    let mut body = JsonObject::new().with(
        "@odata.context",
        request.context(&context_fragment(&def.entity_set, Some(&columns), &[])),
    );
    if root.attr("returntotalrecordcount") == Some("true") {
        body.insert(format!("@{TOTAL_COUNT}"), Json::from(total.min(5000) as u64));
        body.insert(format!("@{TOTAL_COUNT_EXCEEDED}"), Json::Bool(total > 5000));
    }
    if more && request.prefs.wants(PAGING_COOKIE) {
        let (first, last) = (shown.first().map(|r| r.main.id), shown.last().map(|r| r.main.id));
        body.insert(
            format!("@{PAGING_COOKIE}"),
            Json::String(paging_cookie(&def.primary_key, page, first, last)),
        );
    }
    if request.prefs.wants(MORE_RECORDS) {
        body.insert(format!("@{MORE_RECORDS}"), Json::Bool(more));
    }
    body.insert("value", Json::Array(values));
    let mut reply = Reply::json(StatusCode::OK, body);
    preference_applied(request, &mut reply, false);
    Ok(reply)
}

/// The records of `main`'s table that pass its filter, joined with its link-entities.
pub(super) fn records<'s>(store: &'s Store, main: &Node) -> Vec<Record<'s>> {
    let mut records: Vec<Record<'_>> = Vec::new();
    for row in store.rows(&main.def.entity_set) {
        if main.filter.as_ref().is_none_or(|f| eval(f, row)) {
            expand(store, main, row, Record { main: row, linked: Vec::new() }, &mut records);
        }
    }
    records
}

/// The column an attribute name stands for: itself, or `_<name>_value` for a lookup.
pub(super) fn column_of(def: &EntitySetDef, name: &str) -> Result<String, DvError> {
    if def.column_def(name).is_some() {
        return Ok(name.to_owned());
    }
    let lookup = format!("_{name}_value");
    if def.column_def(&lookup).is_some() {
        return Ok(lookup);
    }
    Err(no_attribute(&def.logical_name, name))
}

fn node(
    store: &Store,
    element: &Element,
    def: Arc<EntitySetDef>,
    alias: Option<String>,
) -> Result<Node, DvError> {
    let mut attributes: Option<Vec<(String, String)>> = Some(Vec::new());
    let mut orders = Vec::new();
    let mut filters = Vec::new();
    let mut links = Vec::new();
    for child in &element.children {
        match child.name.as_str() {
            "all-attributes" => attributes = None,
            "attribute" => {
                let name = child
                    .attr("name")
                    .ok_or_else(|| invalid("An 'attribute' element needs a 'name'."))?;
                let column = column_of(&def, name)?;
                let output = match &alias {
                    Some(alias) => format!("{alias}.{}", child.attr("alias").unwrap_or(name)),
                    None => column.clone(),
                };
                if let Some(list) = attributes.as_mut()
                    && !list.iter().any(|(c, _)| *c == column)
                {
                    list.push((column, output));
                }
            }
            // An aggregate query orders by the alias of a result column (see fetch_aggregate).
            "order" if child.attr("attribute").is_none() && child.attr("alias").is_some() => {}
            "order" => {
                let name = child
                    .attr("attribute")
                    .ok_or_else(|| invalid("An 'order' element needs an 'attribute'."))?;
                orders.push((column_of(&def, name)?, child.attr("descending") == Some("true")));
            }
            "filter" => filters.push(filter(&def, child, store)?),
            "link-entity" => {
                let name = child.attr("name").unwrap_or_default();
                let target = store.catalog.set_by_logical(name).cloned().ok_or_else(|| {
                    invalid(format!("The entity '{name}' of a link-entity does not exist."))
                })?;
                let from = column_of(&target, child.attr("from").unwrap_or_default())?;
                let to = column_of(&def, child.attr("to").unwrap_or_default())?;
                let link_alias = child.attr("alias").map_or_else(|| name.to_owned(), str::to_owned);
                let outer = child.attr("link-type") == Some("outer");
                links.push(Link {
                    node: node(store, child, target, Some(link_alias))?,
                    from,
                    to,
                    outer,
                });
            }
            _ => {}
        }
    }
    let filter = match filters.len() {
        0 => None,
        1 => filters.pop(),
        _ => Some(Filter::All(filters)),
    };
    Ok(Node { def, alias, attributes, orders, filter, links })
}

fn filter(def: &EntitySetDef, element: &Element, store: &Store) -> Result<Filter, DvError> {
    let mut parts = Vec::new();
    for child in &element.children {
        match child.name.as_str() {
            "condition" => parts.push(condition(def, child, store)?),
            "filter" => parts.push(filter(def, child, store)?),
            _ => {}
        }
    }
    Ok(if element.attr("type") == Some("or") { Filter::Any(parts) } else { Filter::All(parts) })
}

fn condition(def: &EntitySetDef, element: &Element, store: &Store) -> Result<Filter, DvError> {
    if element.attr("entityname").is_some() {
        return Err(invalid(
            "The sandbox does not emulate conditions on a link-entity from the main filter (entityname).",
        ));
    }
    let name = element
        .attr("attribute")
        .ok_or_else(|| invalid("A 'condition' element needs an 'attribute'."))?;
    let column = column_of(def, name)?;
    let kind = def.column_def(&column).map(|c| c.kind.clone()).unwrap_or(ColumnKind::Guid);
    let op = element.attr("operator").unwrap_or("eq").to_owned();
    let mut texts: Vec<String> = element.children_named("value").map(|v| v.text.clone()).collect();
    if let Some(value) = element.attr("value") {
        texts.insert(0, value.to_owned());
    }
    let pattern_operator = matches!(
        op.as_str(),
        "like" | "not-like" | "begins-with" | "not-begin-with" | "ends-with" | "not-end-with"
    );
    let values = match op.as_str() {
        "null" | "not-null" => Vec::new(),
        "eq-userid" | "ne-userid" => vec![store.default_owner.map_or(Cell::Null, Cell::Guid)],
        _ if pattern_operator => texts.into_iter().map(Cell::Text).collect(),
        "eq" | "ne" | "neq" | "gt" | "ge" | "lt" | "le" | "in" | "not-in" | "between" | "not-between" => texts
            .iter()
            .map(|text| value(&kind, text).ok_or_else(|| {
                invalid(format!(
                    "Condition for attribute '{}.{name}': expected argument(s) of type '{}' but received '{text}'.",
                    def.logical_name,
                    kind.edm_type()
                ))
            }))
            .collect::<Result<_, _>>()?,
        other => return Err(invalid(format!("The sandbox does not emulate the FetchXML condition operator '{other}'."))),
    };
    let needed = match op.as_str() {
        "null" | "not-null" | "eq-userid" | "ne-userid" => 0,
        "between" | "not-between" => 2,
        "in" | "not-in" => 1,
        _ => 1,
    };
    if values.len() < needed || (needed == 2 && values.len() != 2) {
        return Err(invalid(format!(
            "The condition operator '{op}' on '{name}' has the wrong number of values."
        )));
    }
    Ok(Filter::Condition { column, op, values })
}

/// A condition value as the column's type.
fn value(kind: &ColumnKind, text: &str) -> Option<Cell> {
    let text = text.trim();
    Some(match kind {
        ColumnKind::WholeNumber
        | ColumnKind::BigInt
        | ColumnKind::SmallInt
        | ColumnKind::Choice { .. } => Cell::Int(text.parse().ok()?),
        ColumnKind::Decimal | ColumnKind::Money => {
            Cell::Decimal(rest_client_core::json_decimal::parse_decimal_text(text)?)
        }
        ColumnKind::Double => Cell::Float(text.parse().ok()?),
        ColumnKind::Boolean => Cell::Bool(matches!(text, "1" | "true")),
        ColumnKind::PrimaryKey | ColumnKind::Lookup | ColumnKind::Guid => {
            Cell::Guid(Uuid::parse_str(text.trim_matches(['{', '}'])).ok()?)
        }
        ColumnKind::DateTime => match timestamps::parse_rfc3339(text) {
            Some(at) => Cell::DateTime(at),
            None => {
                Cell::DateTime(timestamps::parse_date(text.get(..10)?)?.midnight().assume_utc())
            }
        },
        ColumnKind::DateOnly => Cell::Date(timestamps::parse_date(text.get(..10)?)?),
        _ => Cell::Text(text.to_owned()),
    })
}

fn eval(filter: &Filter, row: &Row) -> bool {
    match filter {
        Filter::All(parts) => parts.iter().all(|p| eval(p, row)),
        Filter::Any(parts) => parts.iter().any(|p| eval(p, row)),
        Filter::Condition { column, op, values } => {
            let cell = row.get(column);
            let equal = |v: &Cell| {
                cell.compare(v) == Some(Ordering::Equal)
                    || (cell.as_guid().is_some() && cell.as_guid() == v.as_guid())
            };
            let cmp = |v: &Cell| cell.compare(v);
            let text = cell.as_text();
            let like =
                |pattern: String| text.is_some_and(|t| LikePattern::new(&pattern).matches(t));
            let first_text =
                || values.first().and_then(Cell::as_text).unwrap_or_default().to_owned();
            if cell.is_null() && !matches!(op.as_str(), "null" | "not-null") {
                return false; // SQL: a comparison with null is never true
            }
            match op.as_str() {
                "null" => cell.is_null(),
                "not-null" => !cell.is_null(),
                "eq" | "eq-userid" => equal(&values[0]),
                "ne" | "neq" | "ne-userid" => !equal(&values[0]),
                "gt" => cmp(&values[0]) == Some(Ordering::Greater),
                "ge" => matches!(cmp(&values[0]), Some(Ordering::Greater | Ordering::Equal)),
                "lt" => cmp(&values[0]) == Some(Ordering::Less),
                "le" => matches!(cmp(&values[0]), Some(Ordering::Less | Ordering::Equal)),
                "in" => values.iter().any(equal),
                "not-in" => !values.iter().any(equal),
                "between" => {
                    matches!(cmp(&values[0]), Some(Ordering::Greater | Ordering::Equal))
                        && matches!(cmp(&values[1]), Some(Ordering::Less | Ordering::Equal))
                }
                "not-between" => {
                    !(matches!(cmp(&values[0]), Some(Ordering::Greater | Ordering::Equal))
                        && matches!(cmp(&values[1]), Some(Ordering::Less | Ordering::Equal)))
                }
                "like" => like(first_text()),
                "not-like" => !like(first_text()),
                "begins-with" => like(format!("{}%", first_text())),
                "not-begin-with" => !like(format!("{}%", first_text())),
                "ends-with" => like(format!("%{}", first_text())),
                "not-end-with" => !like(format!("%{}", first_text())),
                _ => false,
            }
        }
    }
}

/// Join `row` with each link of `node`, pushing one record per combination.
fn expand<'s>(
    store: &'s Store,
    node: &Node,
    row: &'s Row,
    record: Record<'s>,
    out: &mut Vec<Record<'s>>,
) {
    let mut partial = vec![record];
    for link in &node.links {
        let parent_value = row.get(&link.to);
        let matches: Vec<&Row> = store
            .rows(&link.node.def.entity_set)
            .filter(|candidate| {
                let value = candidate.get(&link.from);
                !value.is_null()
                    && (value.compare(parent_value) == Some(Ordering::Equal)
                        || (value.as_guid().is_some() && value.as_guid() == parent_value.as_guid()))
            })
            .filter(|candidate| link.node.filter.as_ref().is_none_or(|f| eval(f, candidate)))
            .collect();
        let alias = link.node.alias.clone().unwrap_or_default();
        let mut next = Vec::new();
        for record in partial {
            if matches.is_empty() {
                if link.outer {
                    let mut record = record;
                    record.linked.push(Linked {
                        alias: alias.clone(),
                        def: link.node.def.clone(),
                        row: None,
                        attributes: link.node.attributes.clone(),
                    });
                    next.push(record);
                }
                continue;
            }
            for linked in &matches {
                let mut extended = record.clone();
                extended.linked.push(Linked {
                    alias: alias.clone(),
                    def: link.node.def.clone(),
                    row: Some(*linked),
                    attributes: link.node.attributes.clone(),
                });
                let mut nested = Vec::new();
                expand(store, &link.node, linked, extended, &mut nested);
                next.extend(nested);
            }
        }
        partial = next;
    }
    out.extend(partial);
}

/// One result row: the main columns (nulls left out) and `alias.column` for linked rows.
fn render(
    renderer: &Renderer<'_>,
    main: &Node,
    record: &Record<'_>,
    columns: &mut Vec<String>,
) -> JsonObject {
    let select: Option<Vec<String>> = main
        .attributes
        .as_ref()
        .map(|list| list.iter().map(|(column, _)| column.clone()).collect());
    let entity = renderer.entity(&main.def, record.main, select.as_deref(), &[]);
    let mut out = JsonObject::new();
    for (key, value) in entity {
        if value.is_null() {
            continue;
        }
        if !key.starts_with('@') && !key.contains('@') && !columns.contains(&key) {
            columns.push(key.clone());
        }
        out.insert(key, value);
    }
    for Linked { alias, def, row, attributes } in &record.linked {
        let Some(row) = row else { continue };
        let wanted: Vec<(String, String)> = match attributes {
            Some(list) => list.clone(),
            None => def
                .columns
                .iter()
                .map(|c| (c.name.clone(), format!("{alias}.{}", c.name)))
                .collect(),
        };
        for (column, output) in wanted {
            let cell = row.get(&column);
            if !cell.is_null() {
                out.insert(output, cell.encode());
            }
        }
    }
    out
}

/// `<cookie pagenumber="N+1" pagingcookie="<inner, URL-encoded twice>" istracking="False" />`.
fn paging_cookie(
    primary_key: &str,
    page: usize,
    first: Option<Uuid>,
    last: Option<Uuid>,
) -> String {
    let braced = |id: Option<Uuid>| {
        id.map(|id| format!("{{{}}}", id.to_string().to_uppercase())).unwrap_or_default()
    };
    let inner = format!(
        "<cookie page=\"{page}\"><{primary_key} last=\"{}\" first=\"{}\" /></cookie>",
        braced(last),
        braced(first)
    );
    format!(
        "<cookie pagenumber=\"{}\" pagingcookie=\"{}\" istracking=\"False\" />",
        page + 1,
        url_encode(&url_encode(&inner))
    )
}

/// Percent-encode as .NET's `HttpUtility.UrlEncode` does for the cookie: lowercase hex, only
/// letters, digits and `-_.` kept.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_has_the_service_shape() {
        let id = Uuid::parse_str("ef72ae29-b3de-e611-8102-5065f38a7bf1").unwrap();
        let cookie = paging_cookie("accountid", 1, Some(id), Some(id));
        assert!(cookie.starts_with("<cookie pagenumber=\"2\" pagingcookie=\"%253ccookie%2520page%253d%25221%2522%253e%253caccountid%2520last%253d%2522%257bEF72AE29-B3DE-E611-8102-5065F38A7BF1%257d"), "{cookie}");
        assert!(cookie.ends_with("%253c%252fcookie%253e\" istracking=\"False\" />"), "{cookie}");
    }

    #[test]
    fn values_follow_the_column_type() {
        assert_eq!(value(&ColumnKind::WholeNumber, "5"), Some(Cell::Int(5)));
        assert_eq!(value(&ColumnKind::WholeNumber, "x"), None);
        assert_eq!(value(&ColumnKind::Boolean, "1"), Some(Cell::Bool(true)));
        let id = Uuid::new_v4();
        assert_eq!(value(&ColumnKind::Lookup, &format!("{{{id}}}")), Some(Cell::Guid(id)));
    }
}
