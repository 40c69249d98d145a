//! `$apply` aggregation: `filter(…)`, `groupby((…))`, `groupby((…),aggregate(…))` and
//! `aggregate(…)`, joined with `/`, with `sum`, `average`, `min`, `max`, `countdistinct` and
//! `$count as <alias>`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/aggregate-data>).
//!
//! As in Dataverse: at most 50,000 rows are aggregated (`0x8004e023` above that), a date-time
//! column cannot be grouped by, and `$orderby` is refused next to `$apply` ("The query node
//! SingleValueOpenPropertyAccess is not supported"). Grouping follows direct columns only
//! (the sandbox does not follow navigation paths such as `primarycontactid/fullname`). Group
//! columns carry their formatted values (choice labels) when annotations are asked for.

use std::cmp::Ordering;

use http::StatusCode;
use rust_decimal::Decimal;

use super::cell::Cell;
use super::errors::DvError;
use super::filter::{self, Expr};
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::{ColumnKind, EntitySetDef};
use super::store::{Row, Store};
use crate::json::{Json, JsonObject};

/// The most rows an aggregate reads.
const MAX_AGGREGATED: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Sum,
    Average,
    Min,
    Max,
    CountDistinct,
}

#[derive(Debug, Clone)]
enum Aggregate {
    Column { column: String, method: Method, alias: String },
    Count { alias: String },
}

#[derive(Debug, Default)]
struct Plan {
    filters: Vec<Expr>,
    group_by: Vec<String>,
    aggregates: Vec<Aggregate>,
}

fn not_supported(message: impl Into<String>) -> DvError {
    DvError::query(message)
}

/// `inner` of `name(inner)` when `text` is that call.
fn call<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.strip_prefix(name)?.trim_start().strip_prefix('(')?.strip_suffix(')')
}

fn column<'d>(def: &'d EntitySetDef, name: &str) -> Result<&'d super::schema::ColumnDef, DvError> {
    if name.contains('/') {
        return Err(not_supported(format!(
            "The sandbox does not emulate grouping or aggregating through navigation properties ('{name}')."
        )));
    }
    def.column_def(name).ok_or_else(|| DvError::unknown_property(name, &def.logical_name))
}

fn parse_aggregates(def: &EntitySetDef, text: &str) -> Result<Vec<Aggregate>, DvError> {
    super::odata_query::split_list(text, ',')
        .iter()
        .map(|item| {
            let item = item.trim();
            let (expression, alias) = item
                .rsplit_once(" as ")
                .ok_or_else(|| DvError::query(format!("The aggregate expression '{item}' has no alias ('as <alias>').")))?;
            let alias = alias.trim().to_owned();
            if alias.is_empty() || !alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(DvError::query(format!("'{alias}' is not a valid alias.")));
            }
            if expression.trim() == "$count" {
                return Ok(Aggregate::Count { alias });
            }
            let (name, method) = expression
                .split_once(" with ")
                .ok_or_else(|| DvError::query(format!("The aggregate expression '{expression}' has no method ('with <method>').")))?;
            let method = match method.trim() {
                "sum" => Method::Sum,
                "average" => Method::Average,
                "min" => Method::Min,
                "max" => Method::Max,
                "countdistinct" => Method::CountDistinct,
                other => return Err(DvError::query(format!("The aggregation method '{other}' is not supported."))),
            };
            let name = name.trim();
            let kind = &column(def, name)?.kind;
            let numeric = kind.is_numeric();
            let ordered = numeric || matches!(kind, ColumnKind::DateTime | ColumnKind::DateOnly);
            let fits = match method {
                Method::Sum | Method::Average => numeric,
                Method::Min | Method::Max => ordered,
                Method::CountDistinct => true,
            };
            if !fits {
                return Err(DvError::query(format!(
                    "The aggregation method '{}' cannot be applied to the property '{name}' of type '{}'.",
                    method_name(method),
                    kind.edm_type()
                )));
            }
            Ok(Aggregate::Column { column: name.to_owned(), method, alias })
        })
        .collect()
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Sum => "sum",
        Method::Average => "average",
        Method::Min => "min",
        Method::Max => "max",
        Method::CountDistinct => "countdistinct",
    }
}

fn parse(store: &Store, def: &EntitySetDef, apply: &str) -> Result<Plan, DvError> {
    let mut plan = Plan::default();
    for step in super::odata_query::split_list(apply, '/') {
        let step = step.trim();
        if let Some(expression) = call(step, "filter") {
            plan.filters.push(filter::parse(expression, def, &store.catalog)?);
        } else if let Some(inner) = call(step, "groupby") {
            let inner = inner.trim();
            let (columns, rest) = match inner.strip_prefix('(') {
                Some(after) => {
                    let close = after.find(')').ok_or_else(DvError::query_syntax)?;
                    (&after[..close], after[close + 1..].trim())
                }
                None => return Err(DvError::query_syntax()),
            };
            for name in columns.split(',') {
                let name = name.trim();
                if matches!(column(def, name)?.kind, ColumnKind::DateTime | ColumnKind::DateOnly) {
                    return Err(not_supported("groupby with datetime values is not supported."));
                }
                plan.group_by.push(name.to_owned());
            }
            if let Some(rest) = rest.strip_prefix(',') {
                let aggregates =
                    call(rest.trim(), "aggregate").ok_or_else(DvError::query_syntax)?;
                plan.aggregates = parse_aggregates(def, aggregates)?;
            } else if !rest.is_empty() {
                return Err(DvError::query_syntax());
            }
        } else if let Some(aggregates) = call(step, "aggregate") {
            plan.aggregates = parse_aggregates(def, aggregates)?;
        } else {
            return Err(not_supported(format!("The transformation '{step}' is not supported.")));
        }
    }
    Ok(plan)
}

fn compute(rows: &[&Row], aggregate: &Aggregate) -> Result<Json, DvError> {
    Ok(match aggregate {
        Aggregate::Count { .. } => Json::from(rows.len() as u64),
        Aggregate::Column { column, method, .. } => {
            let values: Vec<&Cell> =
                rows.iter().map(|r| r.get(column)).filter(|c| !c.is_null()).collect();
            match method {
                Method::Sum => Json::from(
                    Cell::sum(values.iter().copied())?.map_or(Decimal::ZERO, |(sum, _)| sum),
                ),
                Method::Average => {
                    Cell::average(values.iter().copied())?.map_or(Json::Null, Json::from)
                }
                Method::Min => {
                    values.iter().min_by(|a, b| a.sort_cmp(b)).map_or(Json::Null, |c| c.encode())
                }
                Method::Max => {
                    values.iter().max_by(|a, b| a.sort_cmp(b)).map_or(Json::Null, |c| c.encode())
                }
                Method::CountDistinct => {
                    let mut distinct: Vec<&Cell> = Vec::new();
                    for value in values {
                        if !distinct.iter().any(|d| d.compare(value) == Some(Ordering::Equal)) {
                            distinct.push(value);
                        }
                    }
                    Json::from(distinct.len() as u64)
                }
            }
        }
    })
}

/// `GET <set>?$apply=…`.
pub(crate) fn execute(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    apply: &str,
) -> Result<Reply, DvError> {
    for (key, _) in request.query_pairs() {
        match key.as_str() {
            "$apply" => {}
            "$orderby" => {
                return Err(DvError::query(
                    "The query node SingleValueOpenPropertyAccess is not supported",
                ));
            }
            other if other.starts_with('$') => {
                return Err(not_supported(format!(
                    "The sandbox does not emulate {other} together with $apply."
                )));
            }
            _ => {}
        }
    }
    let plan = parse(store, def, apply)?;
    let rows: Vec<&Row> = store
        .rows(&def.entity_set)
        .filter(|row| plan.filters.iter().all(|f| filter::matches(f, row, store)))
        .collect();
    if rows.len() > MAX_AGGREGATED && !plan.aggregates.is_empty() {
        return Err(DvError::new(
            StatusCode::BAD_REQUEST,
            "0x8004e023",
            "AggregateQueryRecordLimit exceeded. Cannot perform this operation.",
        ));
    }
    let key =
        |row: &Row| -> Vec<Cell> { plan.group_by.iter().map(|c| row.get(c).clone()).collect() };
    let mut sorted = rows;
    sorted.sort_by(|a, b| {
        key(a)
            .iter()
            .zip(key(b).iter())
            .map(|(x, y)| x.sort_cmp(y))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    let mut groups: Vec<Vec<&Row>> = Vec::new();
    if plan.group_by.is_empty() {
        // One group of every row (an empty table still answers one row of aggregates).
        groups.push(sorted);
    } else {
        for row in sorted {
            match groups.last_mut() {
                Some(group) if key(group[0]) == key(row) => group.push(row),
                _ => groups.push(vec![row]),
            }
        }
    }
    let formatted = request.prefs.wants("OData.Community.Display.V1.FormattedValue");
    let mut value = Vec::with_capacity(groups.len());
    for group in &groups {
        let mut out = JsonObject::new();
        if let Some(first) = group.first() {
            for name in &plan.group_by {
                let cell = first.get(name);
                if cell.is_null() {
                    continue;
                }
                if formatted
                    && let Some(ColumnKind::Choice { options }) =
                        def.column_def(name).map(|c| &c.kind)
                    && let Cell::Int(v) = cell
                    && let Some((_, label)) = options.iter().find(|(o, _)| o == v)
                {
                    out.insert(
                        format!("{name}@OData.Community.Display.V1.FormattedValue"),
                        Json::str(label.as_str()),
                    );
                }
                out.insert(name.as_str(), cell.encode());
            }
        }
        for aggregate in &plan.aggregates {
            let alias = match aggregate {
                Aggregate::Column { alias, .. } | Aggregate::Count { alias } => alias,
            };
            out.insert(alias.as_str(), compute(group, aggregate)?);
        }
        value.push(Json::Object(out));
    }
    let body = JsonObject::new()
        .with("@odata.context", request.context(&def.entity_set))
        .with("value", Json::Array(value));
    Ok(Reply::json(StatusCode::OK, body))
}
