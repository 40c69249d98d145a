//! Change tracking: `Prefer: odata.track-changes` and delta links
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems>).
//!
//! The first request returns every row (with `$select`) and an `@odata.deltaLink` carrying a
//! `$deltatoken` shaped like the service's (`<version>!<MM/dd/yyyy HH:mm:ss>`); following the
//! link returns the rows created or changed since, then a
//! `{"@odata.context":"…$metadata#<set>/$deletedEntity","id":…,"reason":"deleted"}` entry per
//! row deleted since, and a new delta link. `$filter`, `$orderby`, `$expand` and `$top` are not
//! supported with change tracking and are refused. Every table of the sandbox tracks changes.

use http::StatusCode;
use uuid::Uuid;

use super::collection::{self, MAX_PAGE_SIZE};
use super::errors::DvError;
use super::handlers::preference_applied;
use super::odata_query::QueryOptions;
use super::paging::PageCursor;
use super::render::{Renderer, context_fragment};
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::EntitySetDef;
use super::store::{Row, Store};
use crate::json::{Json, JsonObject};
use crate::timestamps;

/// A `$deltatoken` for changes from `version` on.
pub(crate) fn token(version: i64) -> String {
    let now = timestamps::now();
    let stamp = now
        .format(time::macros::format_description!("[month]/[day]/[year] [hour]:[minute]:[second]"))
        .unwrap_or_default();
    format!("{version}!{stamp}")
}

/// The version a `$deltatoken` names.
pub(crate) fn parse_token(token: &str) -> Result<i64, DvError> {
    token
        .split('!')
        .next()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| DvError::query(format!("The delta token '{token}' is not valid.")))
}

/// Rows of `def` created or changed from `since` on, oldest change first.
pub(crate) fn changed_rows<'s>(store: &'s Store, def: &EntitySetDef, since: i64) -> Vec<&'s Row> {
    let mut rows: Vec<&Row> =
        store.rows(&def.entity_set).filter(|row| row.version() >= since).collect();
    rows.sort_by_key(|row| row.version());
    rows
}

/// `GET /<set>` with `Prefer: odata.track-changes` or a `$deltatoken`.
pub(crate) fn delta(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    options: &QueryOptions,
) -> Result<Reply, DvError> {
    for (set, name) in [
        (options.filter.is_some(), "$filter"),
        (!options.orderby.is_empty(), "$orderby"),
        (!options.expand.is_empty(), "$expand"),
        (options.top.is_some(), "$top"),
    ] {
        if set {
            return Err(DvError::query(format!(
                "The query option '{name}' is not supported with change tracking."
            )));
        }
    }
    let next_token = token(store.current_version());
    let renderer = Renderer { store, prefs: &request.prefs };
    let select = options.select.as_deref();
    let fragment = context_fragment(&def.entity_set, select, &[]);
    let Some(delta_token) = &options.deltatoken else {
        return initial(store, request, def, options, &next_token);
    };
    let since = parse_token(delta_token)?;
    let mut values: Vec<Json> = changed_rows(store, def, since)
        .into_iter()
        .map(|row| Json::Object(renderer.entity(def, row, select, &[])))
        .collect();
    values.extend(
        store.deleted_since(&def.entity_set, since).into_iter().map(|id| deleted(request, def, id)),
    );
    let body = JsonObject::new()
        .with("@odata.context", request.context(&format!("{fragment}/$delta")))
        .with("@odata.deltaLink", collection::next_link(request, "$deltatoken", &next_token))
        .with("value", Json::Array(values));
    let mut reply = Reply::json(StatusCode::OK, body);
    preference_applied(request, &mut reply, false);
    Ok(reply)
}

/// The first request: every row, paged, with the delta link on the last page.
fn initial(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    options: &QueryOptions,
    next_token: &str,
) -> Result<Reply, DvError> {
    let mut rows: Vec<&Row> = store.rows(&def.entity_set).collect();
    let cursor = options.skiptoken.as_deref().map(PageCursor::from_skiptoken).transpose()?;
    if let Some(cursor) = &cursor {
        rows.retain(|row| cursor.is_before(row, &[]));
    }
    let page_size = request.prefs.max_page_size.unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE);
    let has_more = rows.len() > page_size;
    rows.truncate(page_size);
    let renderer = Renderer { store, prefs: &request.prefs };
    let select = options.select.as_deref();
    let values: Vec<Json> =
        rows.iter().map(|row| Json::Object(renderer.entity(def, row, select, &[]))).collect();
    let mut body = JsonObject::new()
        .with("@odata.context", request.context(&context_fragment(&def.entity_set, select, &[])));
    body.insert("value", Json::Array(values));
    match rows.last() {
        Some(last) if has_more => {
            let page_number = cursor.map_or(1, |c| c.page_number) + 1;
            let token = PageCursor::after(last, &[], page_number).to_skiptoken();
            body.insert(
                "@odata.nextLink",
                Json::String(collection::next_link(request, "$skiptoken", &token)),
            );
        }
        _ => {
            body.insert(
                "@odata.deltaLink",
                Json::String(collection::next_link(request, "$deltatoken", next_token)),
            );
        }
    }
    let mut reply = Reply::json(StatusCode::OK, body);
    preference_applied(request, &mut reply, false);
    Ok(reply)
}

fn deleted(request: &ApiRequest, def: &EntitySetDef, id: Uuid) -> Json {
    Json::Object(
        JsonObject::new()
            .with("@odata.context", request.context(&format!("{}/$deletedEntity", def.entity_set)))
            .with("id", id.to_string())
            .with("reason", "deleted"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        let text = token(1_000_042);
        assert!(text.starts_with("1000042!"), "{text}");
        assert_eq!(text.len(), "1000042!08/22/2017 08:10:44".len());
        assert_eq!(parse_token(&text).unwrap(), 1_000_042);
        assert_eq!(parse_token("919042!08/22/2017 08:10:44").unwrap(), 919_042);
        assert!(parse_token("nope").is_err());
    }
}
