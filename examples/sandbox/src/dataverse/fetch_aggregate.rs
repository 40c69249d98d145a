//! FetchXML aggregates: `<fetch aggregate="true">` with `<attribute aggregate="count |
//! countcolumn | sum | avg | min | max" alias="…"/>` (`distinct="true"` on `countcolumn`),
//! `<attribute groupby="true" alias="…"/>` (with `dategrouping="year | quarter | month | week |
//! day | fiscal-period | fiscal-year"`), on the main entity and its link-entities, ordered by
//! `<order alias="…"/>`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/aggregate-data>).
//!
//! As in Dataverse: null values are left out of every aggregate (`count` counts rows), the sum
//! of no values is `0`, the average of a whole-number column is a whole number (truncated, as
//! SQL computes it), rows whose group value is null form their own group (its alias left out,
//! as null columns are), and more than 50,000 rows (or the query's `aggregatelimit`) fail with
//! `0x8004E023`. Dates are grouped in UTC, weeks counted from the Sunday on or before 1 January
//! (SQL's `DATEPART(week, …)`), and the fiscal year is the calendar year in quarters (the
//! default fiscal settings of an environment).

use std::cmp::Ordering;
use std::sync::Arc;

use http::StatusCode;
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::cell::Cell;
use super::errors::DvError;
use super::fetchxml::{Node, Record, column_of, invalid, records};
use super::handlers::preference_applied;
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::{ColumnKind, EntitySetDef};
use super::store::Store;
use super::xml::Element;
use crate::json::{Json, JsonObject};

/// The most rows an aggregate query reads.
const AGGREGATE_LIMIT: usize = 50_000;
const FORMATTED: &str = "OData.Community.Display.V1.FormattedValue";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Count,
    CountColumn { distinct: bool },
    Sum,
    Avg,
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateGrouping {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    FiscalPeriod,
    FiscalYear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Group(Option<DateGrouping>),
    Aggregate(Function),
}

/// One result column.
#[derive(Debug)]
struct Output {
    /// The link-entity alias the column comes from (`None`: the main entity).
    source: Option<String>,
    def: Arc<EntitySetDef>,
    column: String,
    alias: String,
    role: Role,
}

fn too_many() -> DvError {
    DvError::new(
        StatusCode::BAD_REQUEST,
        "0x8004E023",
        "AggregateQueryRecordLimit exceeded. Cannot perform this operation.",
    )
}

fn is_whole(kind: &ColumnKind) -> bool {
    matches!(kind, ColumnKind::WholeNumber | ColumnKind::BigInt | ColumnKind::SmallInt)
}

/// The result columns of `element` (the `<entity>` or a `<link-entity>`) and its link-entities.
fn outputs(
    store: &Store,
    element: &Element,
    def: &Arc<EntitySetDef>,
    source: Option<String>,
    out: &mut Vec<Output>,
) -> Result<(), DvError> {
    for child in &element.children {
        match child.name.as_str() {
            "attribute" => {
                let name = child.attr("name").unwrap_or_default();
                let column = column_of(def, name)?;
                let kind =
                    def.column_def(&column).map(|c| c.kind.clone()).unwrap_or(ColumnKind::Guid);
                let role = match (child.attr("aggregate"), child.attr("groupby")) {
                    (Some(function), None) => {
                        let function = match function {
                            "count" => Function::Count,
                            "countcolumn" => Function::CountColumn {
                                distinct: child.attr("distinct") == Some("true"),
                            },
                            "sum" => Function::Sum,
                            "avg" => Function::Avg,
                            "min" => Function::Min,
                            "max" => Function::Max,
                            other => {
                                return Err(invalid(format!(
                                    "'{other}' is not an aggregate function (count, countcolumn, sum, avg, min, max)."
                                )));
                            }
                        };
                        let ordered = kind.is_numeric()
                            || matches!(kind, ColumnKind::DateTime | ColumnKind::DateOnly);
                        let fits = match function {
                            Function::Sum | Function::Avg => kind.is_numeric(),
                            Function::Min | Function::Max => ordered,
                            _ => true,
                        };
                        if !fits {
                            return Err(invalid(format!(
                                "The aggregate '{}' cannot be applied to the attribute '{name}' of type '{}'.",
                                child.attr("aggregate").unwrap_or_default(),
                                kind.edm_type()
                            )));
                        }
                        Role::Aggregate(function)
                    }
                    (None, Some("true")) => {
                        let grouping = match child.attr("dategrouping") {
                            None => None,
                            Some(grouping) => {
                                if !matches!(kind, ColumnKind::DateTime | ColumnKind::DateOnly) {
                                    return Err(invalid(format!(
                                        "dategrouping applies to date and time attributes, not '{name}'."
                                    )));
                                }
                                Some(match grouping {
                                    "year" => DateGrouping::Year,
                                    "quarter" => DateGrouping::Quarter,
                                    "month" => DateGrouping::Month,
                                    "week" => DateGrouping::Week,
                                    "day" => DateGrouping::Day,
                                    "fiscal-period" => DateGrouping::FiscalPeriod,
                                    "fiscal-year" => DateGrouping::FiscalYear,
                                    other => {
                                        return Err(invalid(format!(
                                            "'{other}' is not a dategrouping value."
                                        )));
                                    }
                                })
                            }
                        };
                        Role::Group(grouping)
                    }
                    _ => {
                        return Err(invalid(format!(
                            "An attribute of an aggregate query must have either an 'aggregate' or 'groupby=\"true\"' ('{name}' has neither)."
                        )));
                    }
                };
                let alias = match (child.attr("alias"), role) {
                    (Some(alias), _) => alias.to_owned(),
                    (None, Role::Group(_)) => name.to_owned(),
                    (None, Role::Aggregate(_)) => {
                        return Err(invalid(format!(
                            "The aggregate attribute '{name}' needs an 'alias'."
                        )));
                    }
                };
                if out.iter().any(|o| o.alias == alias) {
                    return Err(invalid(format!("The alias '{alias}' is used twice.")));
                }
                out.push(Output { source: source.clone(), def: def.clone(), column, alias, role });
            }
            "all-attributes" => {
                return Err(invalid("An aggregate query cannot ask for all-attributes."));
            }
            "link-entity" => {
                let name = child.attr("name").unwrap_or_default();
                let target = store.catalog.set_by_logical(name).cloned().ok_or_else(|| {
                    invalid(format!("The entity '{name}' of a link-entity does not exist."))
                })?;
                let alias = child.attr("alias").unwrap_or(name).to_owned();
                outputs(store, child, &target, Some(alias), out)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The value of `output`'s column in `record`.
fn value<'r>(record: &'r Record<'_>, output: &Output) -> &'r Cell {
    static NULL: Cell = Cell::Null;
    match &output.source {
        None => record.main.get(&output.column),
        Some(alias) => record
            .linked
            .iter()
            .find(|l| &l.alias == alias)
            .and_then(|l| l.row)
            .map_or(&NULL, |row| row.get(&output.column)),
    }
}

/// The UTC date-time of a date or date-time cell.
fn date_time(cell: &Cell) -> Option<OffsetDateTime> {
    match cell {
        Cell::DateTime(at) => Some(*at),
        Cell::Date(date) => Some(date.midnight().assume_utc()),
        _ => None,
    }
}

/// The group value of `cell` for `grouping`.
fn grouped(cell: &Cell, grouping: Option<DateGrouping>) -> Cell {
    let (Some(grouping), Some(at)) = (grouping, date_time(cell)) else { return cell.clone() };
    let year = at.year();
    let quarter = (u8::from(at.month()) - 1) / 3 + 1;
    match grouping {
        DateGrouping::Year => Cell::Int(i64::from(year)),
        DateGrouping::Quarter => Cell::Int(i64::from(quarter)),
        DateGrouping::Month => Cell::Int(i64::from(u8::from(at.month()))),
        DateGrouping::Day => Cell::Int(i64::from(at.day())),
        DateGrouping::Week => {
            // Weeks start on Sunday; week 1 holds 1 January.
            let january_first = at.date().replace_ordinal(1).unwrap_or(at.date());
            let offset = i64::from(january_first.weekday().number_days_from_sunday());
            Cell::Int((i64::from(at.ordinal()) - 1 + offset) / 7 + 1)
        }
        DateGrouping::FiscalPeriod => Cell::Text(format!("Quarter {quarter} FY{year}")),
        DateGrouping::FiscalYear => Cell::Text(format!("FY{year}")),
    }
}

fn same(a: &Cell, b: &Cell) -> bool {
    a.compare(b) == Some(Ordering::Equal) || (a.as_guid().is_some() && a.as_guid() == b.as_guid())
}

/// One aggregate over the records of a group.
fn aggregate(group: &[&Record<'_>], output: &Output, function: Function) -> Result<Json, DvError> {
    let cells: Vec<&Cell> =
        group.iter().map(|r| value(r, output)).filter(|c| !c.is_null()).collect();
    let kind = output.def.column_def(&output.column).map(|c| c.kind.clone());
    let whole = kind.as_ref().is_some_and(is_whole);
    Ok(match function {
        Function::Count => Json::from(group.len() as u64),
        Function::CountColumn { distinct: false } => Json::from(cells.len() as u64),
        Function::CountColumn { distinct: true } => {
            let mut distinct: Vec<&Cell> = Vec::new();
            for cell in cells {
                if !distinct.iter().any(|d| same(d, cell)) {
                    distinct.push(cell);
                }
            }
            Json::from(distinct.len() as u64)
        }
        Function::Sum => {
            Json::from(Cell::sum(cells.iter().copied())?.map_or(Decimal::ZERO, |(sum, _)| sum))
        }
        Function::Avg => match Cell::average(cells.iter().copied())? {
            None => return Ok(Json::Null),
            Some(average) => Json::from(if whole { average.trunc() } else { average }),
        },
        Function::Min => {
            cells.iter().min_by(|a, b| a.sort_cmp(b)).map_or(Json::Null, |c| c.encode())
        }
        Function::Max => {
            cells.iter().max_by(|a, b| a.sort_cmp(b)).map_or(Json::Null, |c| c.encode())
        }
    })
}

/// The label of a group value, when the client asks for formatted values.
fn formatted(store: &Store, output: &Output, cell: &Cell) -> Option<String> {
    match (output.def.column_def(&output.column).map(|c| &c.kind), cell) {
        (Some(ColumnKind::Choice { options }), Cell::Int(value)) => {
            options.iter().find(|(v, _)| v == value).map(|(_, label)| label.clone())
        }
        (_, Cell::Lookup { id, target_set }) => {
            let target = store.catalog.set(target_set)?;
            store.get(target_set, *id)?.get(&target.primary_name).as_text().map(str::to_owned)
        }
        _ => None,
    }
}

/// Answer an aggregate FetchXML query (`root` is its `<fetch>`, `entity` its `<entity>`, `main`
/// the parsed entity with its filters and joins).
pub(super) fn execute(
    store: &Store,
    request: &ApiRequest,
    root: &Element,
    entity: &Element,
    main: &Node,
    top: Option<usize>,
) -> Result<Reply, DvError> {
    let def = &main.def;
    let mut columns = Vec::new();
    outputs(store, entity, def, None, &mut columns)?;
    if !columns.iter().any(|c| matches!(c.role, Role::Aggregate(_))) {
        return Err(invalid("An aggregate query needs at least one attribute with 'aggregate'."));
    }
    let limit = match root.attr("aggregatelimit") {
        Some(text) => {
            text.trim().parse::<usize>().ok().filter(|n| *n <= AGGREGATE_LIMIT).ok_or_else(
                || invalid("The 'aggregatelimit' attribute must be a number up to 50000."),
            )?
        }
        None => AGGREGATE_LIMIT,
    };
    let records = records(store, main);
    if records.len() > limit {
        return Err(too_many());
    }
    let groups_by: Vec<&Output> =
        columns.iter().filter(|c| matches!(c.role, Role::Group(_))).collect();
    let key = |record: &Record<'_>| -> Vec<Cell> {
        groups_by
            .iter()
            .map(|o| match o.role {
                Role::Group(grouping) => grouped(value(record, o), grouping),
                Role::Aggregate(_) => Cell::Null,
            })
            .collect()
    };
    let mut keyed: Vec<(Vec<Cell>, &Record<'_>)> = records.iter().map(|r| (key(r), r)).collect();
    keyed.sort_by(|(a, _), (b, _)| {
        a.iter().zip(b).map(|(x, y)| x.sort_cmp(y)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
    });
    let mut groups: Vec<(Vec<Cell>, Vec<&Record<'_>>)> = Vec::new();
    if groups_by.is_empty() {
        // One row of aggregates, even over no records.
        groups.push((Vec::new(), keyed.into_iter().map(|(_, r)| r).collect()));
    } else {
        for (cells, record) in keyed {
            match groups.last_mut() {
                Some((last, members))
                    if last.len() == cells.len()
                        && last
                            .iter()
                            .zip(&cells)
                            .all(|(a, b)| same(a, b) || (a.is_null() && b.is_null())) =>
                {
                    members.push(record)
                }
                _ => groups.push((cells, vec![record])),
            }
        }
    }

    let wants_labels = request.prefs.wants(FORMATTED);
    let mut rows: Vec<JsonObject> = Vec::with_capacity(groups.len());
    for (cells, members) in &groups {
        let mut row = JsonObject::new();
        let mut group_cells = cells.iter();
        for output in &columns {
            match output.role {
                Role::Group(_) => {
                    let cell = group_cells.next().cloned().unwrap_or(Cell::Null);
                    if cell.is_null() {
                        continue;
                    }
                    if wants_labels && let Some(label) = formatted(store, output, &cell) {
                        row.insert(format!("{}@{FORMATTED}", output.alias), Json::String(label));
                    }
                    row.insert(output.alias.as_str(), cell.encode());
                }
                Role::Aggregate(function) => {
                    let result = aggregate(members, output, function)?;
                    if !result.is_null() {
                        row.insert(output.alias.as_str(), result);
                    }
                }
            }
        }
        rows.push(row);
    }

    // `<order alias="…" descending="true"/>`, in order of appearance.
    let orders: Vec<(String, bool)> = entity
        .children_named("order")
        .filter_map(|o| {
            o.attr("alias").map(|a| (a.to_owned(), o.attr("descending") == Some("true")))
        })
        .collect();
    for (alias, _) in &orders {
        if !columns.iter().any(|c| &c.alias == alias) {
            return Err(invalid(format!(
                "The order alias '{alias}' is not the alias of an attribute."
            )));
        }
    }
    if !orders.is_empty() {
        let sort_value = |row: &JsonObject, alias: &str| -> Cell {
            match row.get(alias) {
                None | Some(Json::Null) => Cell::Null,
                Some(Json::String(s)) => Cell::Text(s.clone()),
                Some(Json::Bool(b)) => Cell::Bool(*b),
                Some(other) => other
                    .as_number_text()
                    .and_then(|t| t.parse::<Decimal>().ok())
                    .map_or(Cell::Null, Cell::Decimal),
            }
        };
        rows.sort_by(|a, b| {
            for (alias, descending) in &orders {
                let order = sort_value(a, alias).sort_cmp(&sort_value(b, alias));
                let order = if *descending { order.reverse() } else { order };
                if order.is_ne() {
                    return order;
                }
            }
            Ordering::Equal
        });
    }
    if let Some(top) = top {
        rows.truncate(top);
    }
    let body = JsonObject::new()
        .with("@odata.context", request.context(&def.entity_set))
        .with("value", Json::Array(rows.into_iter().map(Json::Object).collect()));
    let mut reply = Reply::json(StatusCode::OK, body);
    preference_applied(request, &mut reply, false);
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_sunday_and_week_one_holds_january_first() {
        let at = |text: &str| Cell::DateTime(crate::timestamps::parse_rfc3339(text).unwrap());
        // The examples of Microsoft's page: 25 March 2023 is in week 12, 27 August in week 35.
        assert_eq!(grouped(&at("2023-03-25T10:00:00Z"), Some(DateGrouping::Week)), Cell::Int(12));
        assert_eq!(grouped(&at("2023-08-27T10:00:00Z"), Some(DateGrouping::Week)), Cell::Int(35));
        assert_eq!(
            grouped(&at("2023-03-25T10:00:00Z"), Some(DateGrouping::FiscalPeriod)),
            Cell::Text("Quarter 1 FY2023".into())
        );
        assert_eq!(grouped(&at("2023-08-27T10:00:00Z"), Some(DateGrouping::Quarter)), Cell::Int(3));
        assert_eq!(grouped(&Cell::Null, Some(DateGrouping::Year)), Cell::Null);
    }
}
