//! Rows as Web API JSON: `@odata.etag`, columns, lookups, annotations, expanded rows
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/select-columns>).
//!
//! Every record carries `@odata.etag` (`W/"<versionnumber>"`); without `$select` every column
//! comes back (null when empty), with it only the selected ones plus the primary key, plus
//! `_transactioncurrencyid_value` when a currency column is selected; a lookup reads as
//! `_<name>_value`; `Prefer: odata.include-annotations` adds
//! `<prop>@OData.Community.Display.V1.FormattedValue` (choice labels, currency strings such as
//! `$20,000.00`, lookup names, dates) and the `Microsoft.Dynamics.CRM.lookuplogicalname` /
//! `associatednavigationproperty` annotations before the property they describe. An expanded
//! single-valued navigation property is an object (or `null`), a collection-valued one an array.

use rust_decimal::{Decimal, RoundingStrategy};
use time::OffsetDateTime;

use super::cell::Cell;
use super::odata_query::{Expand, Preferences};
use super::schema::{ColumnKind, EntitySetDef};
use super::store::{Row, Store};
use crate::json::{Json, JsonObject};

const FORMATTED: &str = "OData.Community.Display.V1.FormattedValue";
const NAV_PROPERTY: &str = "Microsoft.Dynamics.CRM.associatednavigationproperty";
const LOGICAL_NAME: &str = "Microsoft.Dynamics.CRM.lookuplogicalname";

/// Renders rows for one request.
pub(crate) struct Renderer<'a> {
    pub(crate) store: &'a Store,
    pub(crate) prefs: &'a Preferences,
}

impl Renderer<'_> {
    /// One record.
    pub(crate) fn entity(
        &self,
        def: &EntitySetDef,
        row: &Row,
        select: Option<&[String]>,
        expand: &[Expand],
    ) -> JsonObject {
        let mut out = JsonObject::new();
        out.insert("@odata.etag", Json::String(row.etag()));
        match select {
            None => {
                for column in &def.columns {
                    self.column(&mut out, def, &column.name, &column.kind, row);
                }
            }
            Some(select) => {
                for name in output_columns(def, select) {
                    if let Some(column) = def.column_def(&name) {
                        self.column(&mut out, def, &name, &column.kind, row);
                    }
                }
            }
        }
        for item in expand {
            out.insert(item.nav.clone(), self.expanded(def, row, item));
        }
        out
    }

    fn column(
        &self,
        out: &mut JsonObject,
        def: &EntitySetDef,
        name: &str,
        kind: &ColumnKind,
        row: &Row,
    ) {
        let cell = row.get(name);
        if !cell.is_null() {
            if self.prefs.wants(FORMATTED)
                && let Some(text) = self.formatted(def, kind, row, cell)
            {
                out.insert(format!("{name}@{FORMATTED}"), Json::String(text));
            }
            if let Cell::Lookup { target_set, .. } = cell {
                if self.prefs.wants(NAV_PROPERTY) {
                    let nav = def.navigations_for(name).find(|n| n.accepts(target_set));
                    if let Some(nav) = nav {
                        out.insert(
                            format!("{name}@{NAV_PROPERTY}"),
                            Json::String(nav.name.clone()),
                        );
                    }
                }
                if self.prefs.wants(LOGICAL_NAME)
                    && let Some(target) = self.store.catalog.set(target_set)
                {
                    out.insert(
                        format!("{name}@{LOGICAL_NAME}"),
                        Json::String(target.logical_name.clone()),
                    );
                }
            }
        }
        out.insert(name, cell.encode());
    }

    fn expanded(&self, def: &EntitySetDef, row: &Row, item: &Expand) -> Json {
        if item.collection {
            return Json::Array(self.expanded_collection(def, row, item));
        }
        let Some(nav) = def.navigation(&item.nav) else { return Json::Null };
        let Cell::Lookup { id, target_set } = row.get(&nav.lookup_column) else {
            return Json::Null;
        };
        if !nav.accepts(target_set) {
            return Json::Null; // a polymorphic lookup pointing at another table
        }
        match (self.store.catalog.set(target_set), self.store.get(target_set, *id)) {
            (Some(target_def), Some(target)) => {
                Json::Object(self.entity(target_def, target, item.select.as_deref(), &item.expand))
            }
            _ => Json::Null,
        }
    }

    fn expanded_collection(&self, def: &EntitySetDef, row: &Row, item: &Expand) -> Vec<Json> {
        let Some(collection) = def.collection(&item.nav) else { return Vec::new() };
        let Some(target_def) = self.store.catalog.set(&collection.target_set) else {
            return Vec::new();
        };
        let mut related: Vec<&Row> = self
            .store
            .related(def, row.id, &item.nav)
            .into_iter()
            .filter_map(|id| self.store.get(&collection.target_set, id))
            .filter(|r| {
                item.filter.as_ref().is_none_or(|f| super::filter::matches(f, r, self.store))
            })
            .collect();
        related.sort_by(|a, b| super::paging::compare_rows(a, b, &item.orderby));
        if let Some(top) = item.top {
            related.truncate(top);
        }
        related
            .into_iter()
            .map(|r| Json::Object(self.entity(target_def, r, item.select.as_deref(), &item.expand)))
            .collect()
    }

    fn formatted(
        &self,
        def: &EntitySetDef,
        kind: &ColumnKind,
        row: &Row,
        cell: &Cell,
    ) -> Option<String> {
        match (kind, cell) {
            (ColumnKind::Choice { options }, Cell::Int(value)) => {
                options.iter().find(|(v, _)| v == value).map(|(_, label)| label.clone())
            }
            (ColumnKind::Money, Cell::Decimal(amount)) => {
                let symbol = self.currency_symbol(def, row).unwrap_or_else(|| "$".to_owned());
                let rounded =
                    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
                let sign = if rounded.is_sign_negative() { "-" } else { "" };
                Some(format!("{sign}{symbol}{}", group_thousands(&format!("{:.2}", rounded.abs()))))
            }
            (ColumnKind::Decimal, Cell::Decimal(value)) => Some(group_number(*value)),
            (
                ColumnKind::WholeNumber | ColumnKind::BigInt | ColumnKind::SmallInt,
                Cell::Int(value),
            ) => Some(group_number(Decimal::from(*value))),
            (ColumnKind::Boolean, Cell::Bool(value)) => {
                Some(if *value { "Yes" } else { "No" }.to_owned())
            }
            (ColumnKind::DateTime, Cell::DateTime(at)) => Some(us_datetime(*at)),
            (ColumnKind::DateOnly, Cell::Date(date)) => {
                Some(format!("{}/{}/{}", u8::from(date.month()), date.day(), date.year()))
            }
            (ColumnKind::Lookup, Cell::Lookup { id, target_set }) => {
                let target_def = self.store.catalog.set(target_set)?;
                let target = self.store.get(target_set, *id)?;
                target.get(&target_def.primary_name).as_text().map(str::to_owned)
            }
            _ => None,
        }
    }

    fn currency_symbol(&self, _def: &EntitySetDef, row: &Row) -> Option<String> {
        let currency = row.get("_transactioncurrencyid_value").as_guid()?;
        let currency = self.store.get(super::tables::CURRENCIES, currency)?;
        currency.get("currencysymbol").as_text().map(str::to_owned)
    }
}

/// The selected columns a record shows, in `$metadata` order.
fn output_columns(def: &EntitySetDef, select: &[String]) -> Vec<String> {
    let mut names: Vec<String> = select.to_vec();
    if !names.contains(&def.primary_key) {
        names.push(def.primary_key.clone());
    }
    let selects_money =
        names.iter().any(|n| def.column_def(n).is_some_and(|c| c.kind == ColumnKind::Money));
    if selects_money
        && def.column_def("_transactioncurrencyid_value").is_some()
        && !names.iter().any(|n| n == "_transactioncurrencyid_value")
    {
        names.push("_transactioncurrencyid_value".to_owned());
    }
    def.metadata_order(&mut names);
    names
}

/// The `@odata.context` fragment after `$metadata#`: `set(col,col,nav(col))`.
pub(crate) fn context_fragment(set: &str, select: Option<&[String]>, expand: &[Expand]) -> String {
    let mut parts: Vec<String> = select.map(<[String]>::to_vec).unwrap_or_default();
    for item in expand {
        parts.push(context_fragment(&item.nav, item.select.as_deref(), &item.expand));
    }
    if parts.is_empty() { set.to_owned() } else { format!("{set}({})", parts.join(",")) }
}

fn group_number(value: Decimal) -> String {
    let text = value.to_string();
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    format!("{sign}{}", group_thousands(digits))
}

/// `1234567.5` → `1,234,567.5`.
fn group_thousands(digits: &str) -> String {
    let (whole, fraction) = digits.split_once('.').map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (index, c) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(fraction) => format!("{grouped}.{fraction}"),
        None => grouped,
    }
}

/// `11/23/2026 1:45 PM` (en-US, UTC as the user's time zone).
fn us_datetime(at: OffsetDateTime) -> String {
    let hour = at.hour();
    let (twelve, meridiem) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    format!(
        "{}/{}/{} {twelve}:{:02} {meridiem}",
        u8::from(at.month()),
        at.day(),
        at.year(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn number_formats() {
        assert_eq!(group_thousands("1234567.50"), "1,234,567.50");
        assert_eq!(group_thousands("123"), "123");
        assert_eq!(group_number(Decimal::new(-1234567, 0)), "-1,234,567");
        assert_eq!(us_datetime(datetime!(2026-11-23 13:45 UTC)), "11/23/2026 1:45 PM");
        assert_eq!(us_datetime(datetime!(2026-11-23 00:05 UTC)), "11/23/2026 12:05 AM");
    }

    #[test]
    fn context_fragments() {
        let expand = vec![Expand {
            nav: "cre6f_Opportunity".into(),
            select: Some(vec!["name".into()]),
            ..Expand::default()
        }];
        assert_eq!(
            context_fragment("cre6f_agreements", Some(&["cre6f_name".to_owned()]), &expand),
            "cre6f_agreements(cre6f_name,cre6f_Opportunity(name))"
        );
        assert_eq!(context_fragment("accounts", None, &[]), "accounts");
    }
}
