//! Predefined queries: `GET <set>?savedQuery=<savedqueryid>` runs a system view and
//! `GET <set>?userQuery=<userqueryid>` a saved personal view, each the FetchXML stored in the
//! view's `fetchxml` column, on the entity set matching its `returnedtypecode`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-and-execute-predefined-queries>).
//! As FetchXML does, null columns are left out of the rows.
//!
//! The built-in metadata has the `savedqueries` and `userqueries` tables; the environment starts
//! with the system view "Active Accounts" under the id Microsoft's page uses
//! (`00000000-0000-0000-00aa-000010001002`) and "Active Contacts"; create user views with a
//! `POST userqueries` like any row. A view of another table, a missing view and other query
//! options next to the view are refused. Applying a view to a navigation collection
//! (`accounts(…)/contact_customer_accounts?savedQuery=…`) is not emulated.

use uuid::Uuid;

use super::control::DataverseControl;
use super::errors::DvError;
use super::fetchxml;
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::EntitySetDef;
use super::store::Store;
use crate::SandboxError;
use crate::json::{Json, JsonObject};

/// The system view "Active Accounts", with the id Microsoft's documentation shows.
pub const ACTIVE_ACCOUNTS_VIEW: Uuid = Uuid::from_u128(0x0000_0000_0000_0000_00aa_0000_1000_1002);
/// The system view "Active Contacts" (the sandbox's own id).
pub const ACTIVE_CONTACTS_VIEW: Uuid = Uuid::from_u128(0x0000_0000_0000_0000_00aa_0000_1000_2002);

/// `GET <set>?savedQuery=…` or `?userQuery=…`; `None` when the request names no view.
pub(crate) fn execute(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
) -> Option<Result<Reply, DvError>> {
    let pairs = request.query_pairs();
    let (parameter, set, logical, id) =
        pairs.iter().find_map(|(key, value)| match key.as_str() {
            "savedQuery" => Some(("savedQuery", "savedqueries", "savedquery", value.clone())),
            "userQuery" => Some(("userQuery", "userqueries", "userquery", value.clone())),
            _ => None,
        })?;
    Some(run(store, request, def, &pairs, (parameter, set, logical), &id))
}

fn run(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    pairs: &[(String, String)],
    (parameter, set, logical): (&str, &str, &str),
    id: &str,
) -> Result<Reply, DvError> {
    if let Some((other, _)) = pairs.iter().find(|(key, _)| {
        key.starts_with('$')
            || (key != parameter && matches!(key.as_str(), "savedQuery" | "userQuery" | "fetchXml"))
    }) {
        return Err(DvError::query(format!(
            "The query option '{other}' cannot be combined with '{parameter}': the view's FetchXML is the whole query."
        )));
    }
    let id = Uuid::parse_str(id).map_err(|_| {
        DvError::query(format!("'{id}' is not a valid value for '{parameter}' (a GUID)."))
    })?;
    if store.catalog.set(set).is_none() {
        return Err(DvError::query(format!(
            "The loaded metadata has no '{set}' table to read the view from."
        )));
    }
    let view = store.get(set, id).ok_or_else(|| DvError::does_not_exist(logical, id))?;
    let returned = view.get("returnedtypecode").as_text().unwrap_or_default();
    if returned != def.logical_name {
        return Err(DvError::query(format!(
            "The {logical} '{id}' returns '{returned}' rows; run it on that table's entity set, not '{}'.",
            def.entity_set
        )));
    }
    let fetch = view.get("fetchxml").as_text().unwrap_or_default().to_owned();
    fetchxml::execute(store, request, def, &fetch)
}

/// Create the system views, when the metadata has the `savedqueries` table.
pub(crate) fn seed_system_views(control: &DataverseControl) -> Result<(), SandboxError> {
    if !control.has_table("savedqueries") {
        return Ok(());
    }
    let active = |table: &str, id_column: &str, name_column: &str| {
        format!(
            r#"<fetch version="1.0" mapping="logical"><entity name="{table}"><attribute name="{name_column}"/><attribute name="{id_column}"/><order attribute="{name_column}"/><filter type="and"><condition attribute="statecode" operator="eq" value="0"/></filter></entity></fetch>"#
        )
    };
    for (id, name, table, id_column, name_column) in [
        (ACTIVE_ACCOUNTS_VIEW, "Active Accounts", "account", "accountid", "name"),
        (ACTIVE_CONTACTS_VIEW, "Active Contacts", "contact", "contactid", "fullname"),
    ] {
        if !control.tables().iter().any(|(_, logical)| logical == table) {
            continue;
        }
        let view = JsonObject::new()
            .with("name", name)
            .with("fetchxml", active(table, id_column, name_column))
            .with("returnedtypecode", table)
            .with("querytype", 0i64)
            .with("statecode", 0i64);
        control.insert_with_id("savedqueries", id, &Json::Object(view))?;
    }
    Ok(())
}
