//! Support for typed tables: what code generated from `$metadata` (by `dataverse-codegen`)
//! or written by hand needs beyond serde.
//!
//! - [`ColumnValues`]: the body of a create, update or upsert holding only the columns that
//!   were set, with lookups bound through their navigation properties and money written
//!   exactly.
//! - [`date`] and [`date_time`]: serde helpers for `Edm.Date` and `Edm.DateTimeOffset` columns,
//!   and [`flags`] for flags enumerations.
//! - [`Table`]: a row type that knows its table, taken by [`Client::table`](crate::Client::table)
//!   in place of an entity-set string.
//! - [`Entity`]: a row with its `@odata.type`, as actions take entity-typed parameters, and
//!   [`ValueResponse`]: the answer of an operation returning a primitive or a collection.
//!
//! Column names generated as enums implement `AsRef<str>` and convert into `String`, so
//! [`Query::select`](crate::query::Query::select), [`Filter`](crate::query::Filter),
//! [`Expand::select`](crate::query::Expand::select) and [`Query::order_by`](crate::query::Query::order_by)
//! take them as they take strings.

pub mod date;
mod entity;
pub mod flags;
mod response;
mod table;
mod values;

pub use entity::Entity;
pub use response::ValueResponse;
pub use table::{Table, TableClient};
pub use values::{ColumnValue, ColumnValues};

/// Serde helpers for `Edm.DateTimeOffset` columns as [`time::OffsetDateTime`]
/// (`2024-05-01T12:00:00Z`, RFC 3339); use `date_time::option` for `Option` fields.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Row {
///     #[serde(default, with = "dataverse_client::typed::date_time::option")]
///     modifiedon: Option<time::OffsetDateTime>,
/// }
/// let row: Row = serde_json::from_str(r#"{"modifiedon":"2024-05-01T12:00:00Z"}"#).unwrap();
/// assert_eq!(row.modifiedon, Some(time::macros::datetime!(2024-05-01 12:00 UTC)));
/// ```
pub use time::serde::rfc3339 as date_time;
