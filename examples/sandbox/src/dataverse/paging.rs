//! Sorting and server-driven paging
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results>).
//!
//! A page ends with `@odata.nextLink`: the request URL with a `$skiptoken` holding a cookie
//! shaped like the real one (`<cookie pagenumber="2" pagingcookie="…" istracking="False" />`).
//! The paging cookie is opaque to clients; here it carries the sort key of the page's last row,
//! so the next page starts strictly after that row, as Dataverse's key-based cookie does. Rows
//! modified between pages (for example by the flow writing back each agreement it read) are
//! therefore neither skipped nor repeated because of their position.

use std::cmp::Ordering;

use base64::Engine as _;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use super::cell::Cell;
use super::errors::DvError;
use super::store::Row;
use crate::timestamps;

/// Compare two rows by `$orderby`, then by insertion order.
pub(crate) fn compare_rows(a: &Row, b: &Row, orderby: &[(String, bool)]) -> Ordering {
    for (column, descending) in orderby {
        let order = a.get(column).sort_cmp(b.get(column));
        let order = if *descending { order.reverse() } else { order };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.seq.cmp(&b.seq)
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PageCursor {
    pub(crate) page_number: u64,
    values: Vec<Cell>,
    seq: u64,
}

impl PageCursor {
    /// The cursor after `row`, for page `page_number`.
    pub(crate) fn after(row: &Row, orderby: &[(String, bool)], page_number: u64) -> Self {
        let values = orderby.iter().map(|(column, _)| row.get(column).clone()).collect();
        Self { page_number, values, seq: row.seq }
    }

    /// Whether `row` sorts after the cursor.
    pub(crate) fn is_before(&self, row: &Row, orderby: &[(String, bool)]) -> bool {
        for ((column, descending), value) in orderby.iter().zip(&self.values) {
            let order = row.get(column).sort_cmp(value);
            let order = if *descending { order.reverse() } else { order };
            if order != Ordering::Equal {
                return order == Ordering::Greater;
            }
        }
        row.seq > self.seq
    }

    /// The `$skiptoken` value (not yet percent-encoded).
    pub(crate) fn to_skiptoken(&self) -> String {
        let key = json!({ "v": self.values.iter().map(cell_to_value).collect::<Vec<_>>(), "s": self.seq });
        let inner = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_string());
        format!(
            "<cookie pagenumber=\"{}\" pagingcookie=\"{inner}\" istracking=\"False\" />",
            self.page_number
        )
    }

    /// Parse a `$skiptoken` produced by [`PageCursor::to_skiptoken`].
    pub(crate) fn from_skiptoken(token: &str) -> Result<Self, DvError> {
        let invalid = || DvError::query(format!("The $skiptoken '{token}' is not valid."));
        let attribute = |name: &str| {
            let start = token.find(&format!("{name}=\""))? + name.len() + 2;
            let end = start + token[start..].find('"')?;
            Some(&token[start..end])
        };
        let page_number =
            attribute("pagenumber").and_then(|n| n.parse().ok()).ok_or_else(invalid)?;
        let inner = attribute("pagingcookie").ok_or_else(invalid)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(inner)
            .map_err(|_| invalid())?;
        let key: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let seq = key["s"].as_u64().ok_or_else(invalid)?;
        let values = key["v"]
            .as_array()
            .ok_or_else(invalid)?
            .iter()
            .map(cell_from_value)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(invalid)?;
        Ok(Self { page_number, values, seq })
    }
}

fn cell_to_value(cell: &Cell) -> Value {
    match cell {
        Cell::Null => json!(["n"]),
        Cell::Text(s) => json!(["t", s]),
        Cell::Int(n) => json!(["i", n]),
        Cell::Decimal(d) => json!(["d", d.to_string()]),
        Cell::Bool(b) => json!(["b", b]),
        Cell::DateTime(at) => json!(["dt", at.unix_timestamp()]),
        Cell::Date(date) => json!(["da", timestamps::dataverse_date(*date)]),
        Cell::Guid(id) => json!(["g", id.to_string()]),
        Cell::Lookup { id, target_set } => json!(["l", id.to_string(), target_set]),
        Cell::Float(f) => json!(["f", f]),
        Cell::Raw(raw) => json!(["r", raw.to_string()]),
    }
}

fn cell_from_value(value: &Value) -> Option<Cell> {
    let tag = value.get(0)?.as_str()?;
    let arg = value.get(1);
    Some(match tag {
        "n" => Cell::Null,
        "t" => Cell::Text(arg?.as_str()?.to_owned()),
        "i" => Cell::Int(arg?.as_i64()?),
        "d" => Cell::Decimal(arg?.as_str()?.parse::<Decimal>().ok()?),
        "b" => Cell::Bool(arg?.as_bool()?),
        "dt" => Cell::DateTime(time::OffsetDateTime::from_unix_timestamp(arg?.as_i64()?).ok()?),
        "da" => Cell::Date(timestamps::parse_date(arg?.as_str()?)?),
        "g" => Cell::Guid(Uuid::parse_str(arg?.as_str()?).ok()?),
        "f" => Cell::Float(arg?.as_f64()?),
        "r" => Cell::Raw(crate::json::Json::parse(arg?.as_str()?).ok()?),
        "l" => Cell::Lookup {
            id: Uuid::parse_str(arg?.as_str()?).ok()?,
            target_set: value.get(2)?.as_str()?.to_owned(),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn row(seq: u64, name: &str) -> Row {
        let mut cells = HashMap::new();
        cells.insert("name".to_owned(), Cell::Text(name.to_owned()));
        cells.insert(
            "when".to_owned(),
            Cell::DateTime(time::OffsetDateTime::from_unix_timestamp(seq as i64).unwrap()),
        );
        Row { seq, id: Uuid::new_v4(), cells }
    }

    #[test]
    fn cursor_round_trips_and_orders() {
        let orderby = vec![("name".to_owned(), true), ("when".to_owned(), false)];
        let cursor = PageCursor::after(&row(5, "m"), &orderby, 2);
        let parsed = PageCursor::from_skiptoken(&cursor.to_skiptoken()).unwrap();
        assert_eq!(parsed, cursor);
        assert!(parsed.is_before(&row(1, "a"), &orderby), "descending: 'a' comes after 'm'");
        assert!(!parsed.is_before(&row(9, "z"), &orderby));
        assert!(parsed.is_before(&row(6, "m"), &orderby));
        assert!(PageCursor::from_skiptoken("<cookie />").is_err());
    }
}
