//! `GET /<set>`: queries with the system query options, server-driven paging, `$count`,
//! FetchXML and change tracking; and `GET /<set>/$count`.
//!
//! Paging and counting follow
//! <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results> and
//! <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/count-rows>: at
//! most 5000 rows a page, `$top` ignored when `Prefer: odata.maxpagesize` is sent, `@odata.count`
//! capped at 5000 with `@Microsoft.Dynamics.CRM.totalrecordcount` /
//! `totalrecordcountlimitexceeded` when those annotations are asked for.

use http::StatusCode;

use super::changes;
use super::errors::DvError;
use super::fetchxml;
use super::handlers::preference_applied;
use super::odata_query::QueryOptions;
use super::paging::{PageCursor, compare_rows};
use super::render::{Renderer, context_fragment};
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::EntitySetDef;
use super::store::{Row, Store};
use crate::json::{Json, JsonObject};

/// The most rows one page returns.
pub(crate) const MAX_PAGE_SIZE: usize = 5000;

const TOTAL_COUNT: &str = "Microsoft.Dynamics.CRM.totalrecordcount";
const TOTAL_COUNT_EXCEEDED: &str = "Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded";

/// `GET /<set>`.
pub(crate) fn list(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
) -> Result<Reply, DvError> {
    if let Some(reply) = super::views::execute(store, request, def) {
        return reply;
    }
    if let Some(fetch) = request.query_param("fetchXml") {
        return fetchxml::execute(store, request, def, &fetch);
    }
    if let Some(apply) = request.query_param("$apply") {
        return super::apply::execute(store, request, def, &apply);
    }
    let options = QueryOptions::parse(request.query.as_deref(), def, &store.catalog)?;
    if options.deltatoken.is_some() || request.prefs.track_changes {
        return changes::delta(store, request, def, &options);
    }
    let rows = matching_rows(store, def, &options);
    page(store, request, def, &options, rows, &def.entity_set)
}

/// The rows of `def` that pass `$filter`, in `$orderby` order.
pub(crate) fn matching_rows<'s>(
    store: &'s Store,
    def: &EntitySetDef,
    options: &QueryOptions,
) -> Vec<&'s Row> {
    let mut rows: Vec<&Row> = store
        .rows(&def.entity_set)
        .filter(|row| options.filter.as_ref().is_none_or(|f| super::filter::matches(f, row, store)))
        .collect();
    rows.sort_by(|a, b| compare_rows(a, b, &options.orderby));
    rows
}

/// One page of `rows`: `value`, `@odata.nextLink` when more follow. `context_set` names the
/// collection in `@odata.context` (`accounts`, or `accounts(<id>)/contact_customer_accounts`).
pub(crate) fn page(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    options: &QueryOptions,
    mut rows: Vec<&Row>,
    context_set: &str,
) -> Result<Reply, DvError> {
    let total = rows.len();
    let cursor = options.skiptoken.as_deref().map(PageCursor::from_skiptoken).transpose()?;
    if let Some(cursor) = &cursor {
        rows.retain(|row| cursor.is_before(row, &options.orderby));
    }
    // `$top` is ignored when the client asks for server-driven paging.
    let (page_size, limit) = match (request.prefs.max_page_size, options.top) {
        (Some(size), _) => (size.min(MAX_PAGE_SIZE), None),
        (None, Some(top)) => (top.min(MAX_PAGE_SIZE), Some(top)),
        (None, None) => (MAX_PAGE_SIZE, None),
    };
    let has_more = rows.len() > page_size && limit.is_none_or(|top| top > page_size);
    rows.truncate(page_size);

    let renderer = Renderer { store, prefs: &request.prefs };
    let values: Vec<Json> = rows
        .iter()
        .map(|row| {
            Json::Object(renderer.entity(def, row, options.select.as_deref(), &options.expand))
        })
        .collect();
    let mut body = JsonObject::new().with(
        "@odata.context",
        request.context(&context_fragment(context_set, options.select.as_deref(), &options.expand)),
    );
    if options.count {
        insert_count(&mut body, request, total);
    }
    body.insert("value", Json::Array(values));
    if has_more && let Some(last) = rows.last() {
        let page_number = cursor.map_or(1, |c| c.page_number) + 1;
        let token = PageCursor::after(last, &options.orderby, page_number).to_skiptoken();
        body.insert("@odata.nextLink", Json::String(next_link(request, "$skiptoken", &token)));
    }
    let mut reply = Reply::json(StatusCode::OK, body);
    preference_applied(request, &mut reply, false);
    Ok(reply)
}

/// `@odata.count` (and the total-count annotations when asked).
fn insert_count(body: &mut JsonObject, request: &ApiRequest, total: usize) {
    body.insert("@odata.count", Json::from(total.min(MAX_PAGE_SIZE) as u64));
    if request.prefs.wants(TOTAL_COUNT) {
        let count = if total > MAX_PAGE_SIZE { -1 } else { total as i64 };
        body.insert(format!("@{TOTAL_COUNT}"), Json::Number(count.to_string()));
    }
    if request.prefs.wants(TOTAL_COUNT_EXCEEDED) {
        body.insert(format!("@{TOTAL_COUNT_EXCEEDED}"), Json::Bool(total > MAX_PAGE_SIZE));
    }
}

/// `GET /<set>/$count` (with `$filter`): the number as text, at most 5000.
pub(crate) fn count(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
) -> Result<Reply, DvError> {
    let options = QueryOptions::parse(request.query.as_deref(), def, &store.catalog)?;
    let total = if let Some(token) = &options.deltatoken {
        let since = changes::parse_token(token)?;
        changes::changed_rows(store, def, since).len()
            + store.deleted_since(&def.entity_set, since).len()
    } else {
        matching_rows(store, def, &options).len()
    };
    Ok(Reply::bytes(StatusCode::OK, "text/plain", total.min(MAX_PAGE_SIZE).to_string()))
}

/// The request URL with `token_name` replaced by `token`, other options kept as the client
/// encoded them.
pub(crate) fn next_link(request: &ApiRequest, token_name: &str, token: &str) -> String {
    let kept: Vec<&str> = request
        .query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            let key = super::request::percent_decode(key);
            key != "$skiptoken" && key != "$deltatoken"
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    format!("{}{}?{query}{token_name}={encoded}", request.origin, request.path)
}
