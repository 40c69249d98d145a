//! Workflow routes: launch (sync and async), get, list, update attributes, schemas
//! (<https://developer.ironcladapp.com/reference/filter-query-param>).
//!
//! - `POST /workflows` → 200 with the workflow (the real status, not the 201 of the OpenAPI description).
//! - `POST /workflows/async` → `{asyncJobId, asyncJobStatusUrl}`; `GET /workflows/async/{id}`
//!   answers `{"status":"in_progress","requestPayload"}` for the configured number of polls,
//!   then `success` with `workflowUrls {browserUrl, apiUrl}` and `workflow`, or `failed` with
//!   `error {code, message, param}`.
//! - `GET /workflows/{id}` takes the id or the readable id (`IC-12`).
//! - `GET /workflows`: `status` is a comma list of `active|paused|completed|cancelled` and
//!   defaults to active only; `template`, `lastUpdated` (UTC date-time, updated since) and a
//!   `filter` formula narrow it; the list is oldest first in the paged envelope.
//! - `PATCH /workflows/{id}/attributes` `{updates:[{action:"set"|"remove", path, value}],
//!   comment?}` in the Review step only; required attributes cannot be removed, read-only ones
//!   cannot be set; → 200 with the workflow, and `workflow_attribute_updated` +
//!   `workflow_updated` are emitted.
//! - `GET /workflow-schemas?form=launch` lists every template's launch form; `form` is required
//!   ("the launch form is the only form supported",
//!   [reference](https://developer.ironcladapp.com/reference/list-all-workflow-schemas)), a missing one is `400
//!   MISSING_PARAM` with `param: "form"`. `GET /workflow-schemas/{id}` defaults `form` to
//!   `launch`. A launch form shows each field a launch may set as `{type, displayName,
//!   required}`, with no `propertyKey` (as recorded from a real tenant).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::{StatusCode, Uri};

use super::auth::Caller;
use super::errors::{IcError, json_response};
use super::model::{AsyncJob, IroncladData};
use super::params::{Page, json_body, query};
use super::{IroncladState, attributes, events, filter_formula, launch};
use crate::ids;
use crate::json::{Json, JsonObject};
use crate::timestamps;

const STATUSES: &[&str] = &["active", "paused", "completed", "cancelled"];

/// The workflow at `index` as the API shows it.
pub(crate) fn workflow_json(state: &IroncladState, data: &IroncladData, index: usize) -> Json {
    let workflow = &data.workflows[index];
    match data.template(&workflow.template_id) {
        Some(template) => {
            workflow.json(template, &data.users, &state.api_root(), &state.company_id)
        }
        None => Json::Null,
    }
}

fn not_found() -> IcError {
    IcError::not_found("workflow does not exist", "workflowId")
}

pub(crate) async fn launch(
    State(state): State<Arc<IroncladState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, IcError> {
    let body = json_body(&body)?;
    let id = launch::launch(&state, &caller, &body)?;
    let data = state.data();
    let index = data.workflow_index(&id).ok_or_else(not_found)?;
    Ok(json_response(StatusCode::OK, &workflow_json(&state, &data, index)))
}

pub(crate) async fn launch_async(
    State(state): State<Arc<IroncladState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, IcError> {
    let body = json_body(&body)?;
    let outcome = launch::launch(&state, &caller, &body).map_err(|e| e.body());
    let job_id = ids::nano_id();
    let job = AsyncJob {
        request_payload: launch::request_payload(&caller, &body),
        polls_left: state.settings.async_polls,
        outcome,
    };
    state.data().jobs.insert(job_id.clone(), job);
    let body = JsonObject::new()
        .with("asyncJobId", job_id.as_str())
        .with("asyncJobStatusUrl", format!("{}/workflows/async/{job_id}", state.api_root()));
    Ok(json_response(StatusCode::OK, &Json::Object(body)))
}

pub(crate) async fn async_status(
    State(state): State<Arc<IroncladState>>,
    Path(job_id): Path<String>,
) -> Result<Response, IcError> {
    let mut data = state.data();
    let job = data
        .jobs
        .get_mut(&job_id)
        .ok_or_else(|| IcError::not_found("async job does not exist", "asyncJobId"))?;
    let mut body = JsonObject::new();
    if job.polls_left > 0 {
        job.polls_left -= 1;
        body.insert("status", Json::str("in_progress"));
        body.insert("requestPayload", job.request_payload.clone());
        return Ok(json_response(StatusCode::OK, &Json::Object(body)));
    }
    let (payload, outcome) = (job.request_payload.clone(), job.outcome.clone());
    match outcome {
        Ok(workflow_id) => {
            let index = data.workflow_index(&workflow_id).ok_or_else(not_found)?;
            let urls = JsonObject::new()
                .with("browserUrl", format!("{}/workflow/{workflow_id}", state.origin()))
                .with("apiUrl", format!("{}/workflows/{workflow_id}", state.api_root()));
            body.insert("status", Json::str("success"));
            body.insert("requestPayload", payload);
            body.insert("workflowUrls", Json::Object(urls));
            body.insert("workflow", workflow_json(&state, &data, index));
        }
        Err(error) => {
            body.insert("status", Json::str("failed"));
            body.insert("requestPayload", payload);
            body.insert("error", Json::Object(error));
        }
    }
    Ok(json_response(StatusCode::OK, &Json::Object(body)))
}

pub(crate) async fn retrieve(
    State(state): State<Arc<IroncladState>>,
    Path(id): Path<String>,
) -> Result<Response, IcError> {
    let data = state.data();
    let index = data.workflow_index(&id).ok_or_else(not_found)?;
    Ok(json_response(StatusCode::OK, &workflow_json(&state, &data, index)))
}

pub(crate) async fn list(
    State(state): State<Arc<IroncladState>>,
    uri: Uri,
) -> Result<Response, IcError> {
    let params = query(&uri);
    let page = Page::from_query(&params)?;
    let statuses: Vec<String> = match params.get("status") {
        None => vec!["active".to_owned()],
        Some(list) => {
            let statuses: Vec<String> = list.split(',').map(|s| s.trim().to_owned()).collect();
            if let Some(bad) = statuses.iter().find(|s| !STATUSES.contains(&s.as_str())) {
                return Err(IcError::invalid(
                    format!("invalid status {bad}; valid statuses are {}", STATUSES.join(", ")),
                    "status",
                ));
            }
            statuses
        }
    };
    let since = match params.get("lastUpdated") {
        None => None,
        Some(text) => Some(timestamps::parse_rfc3339(text).ok_or_else(|| {
            IcError::invalid(
                "lastUpdated must be a UTC date-time such as 2018-03-10T00:00:00.000Z",
                "lastUpdated",
            )
        })?),
    };
    let filter = params.get("filter").map(|f| filter_formula::parse(f)).transpose()?;
    let template = params.get("template");
    let data = state.data();
    let matching: Vec<usize> = data
        .workflows
        .iter()
        .enumerate()
        .filter(|(_, w)| statuses.contains(&w.status))
        .filter(|(_, w)| template.is_none_or(|t| &w.template_id == t))
        .filter(|(_, w)| since.is_none_or(|since| w.last_updated >= since))
        .filter(|(_, w)| {
            filter.as_ref().is_none_or(|f| {
                let readable = Json::String(w.readable_id());
                filter_formula::matches(f, &|id| {
                    if id == "readableId" { Some(&readable) } else { w.attributes.get(id) }
                })
            })
        })
        .map(|(index, _)| index)
        .collect();
    let list =
        page.window(&matching).iter().map(|index| workflow_json(&state, &data, *index)).collect();
    Ok(json_response(StatusCode::OK, &page.envelope(matching.len(), list, true)))
}

pub(crate) async fn update_attributes(
    State(state): State<Arc<IroncladState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, IcError> {
    let body = json_body(&body)?;
    let updates = match body.get("updates") {
        Some(Json::Array(updates)) if !updates.is_empty() => updates.clone(),
        Some(_) => return Err(IcError::invalid("updates must be a non-empty array", "updates")),
        None => return Err(IcError::missing("missing required parameter", "updates")),
    };
    let user = caller.acting_user().cloned().unwrap_or_else(|| api_user(&state));
    apply_updates(&state, &id, &updates, &user)?;
    let data = state.data();
    let index = data.workflow_index(&id).ok_or_else(not_found)?;
    Ok(json_response(StatusCode::OK, &workflow_json(&state, &data, index)))
}

/// The user the legacy token acts as when no header names one (Ironclad records API changes
/// against the token's owner; the sandbox uses its integration user).
pub(crate) fn api_user(state: &IroncladState) -> super::User {
    state.data().users.first().cloned().unwrap_or(super::User {
        id: ids::object_id(),
        email: String::new(),
        display_name: "API".to_owned(),
    })
}

/// Validate and apply attribute updates in the Review step; emits the events. Returns the
/// changed attribute ids.
pub(crate) fn apply_updates(
    state: &Arc<IroncladState>,
    workflow_id: &str,
    updates: &[Json],
    user: &super::User,
) -> Result<Vec<String>, IcError> {
    let (workflow, changed, listing) = {
        let mut data = state.data();
        let listing = data.changed_attributes;
        let index = data.workflow_index(workflow_id).ok_or_else(not_found)?;
        let template =
            data.template(&data.workflows[index].template_id).cloned().ok_or_else(not_found)?;
        let workflow = &mut data.workflows[index];
        if workflow.step != "Review" || workflow.status != "active" {
            return Err(IcError::invalid_state(
                "workflow attributes can only be updated in the Review step",
            ));
        }
        let mut staged = workflow.attributes.clone();
        let mut changed = Vec::new();
        for update in updates {
            let update = update
                .as_object()
                .ok_or_else(|| IcError::invalid("each update must be an object", "updates"))?;
            let path = update
                .get("path")
                .and_then(Json::as_str)
                .ok_or_else(|| IcError::missing("missing required parameter", "path"))?;
            let def = template
                .attribute(path)
                .ok_or_else(|| IcError::invalid(format!("unknown attribute {path}"), "path"))?;
            if def.read_only {
                return Err(IcError::invalid(format!("attribute {path} is read-only"), "path"));
            }
            match update.get("action").and_then(Json::as_str).unwrap_or("set") {
                "set" => {
                    let value = update
                        .get("value")
                        .ok_or_else(|| IcError::missing("missing required parameter", "value"))?;
                    attributes::validate(def, value)?;
                    staged.insert(path, value.clone());
                }
                "remove" if def.required => {
                    return Err(IcError::invalid(
                        format!("required attribute {path} cannot be removed"),
                        "path",
                    ));
                }
                "remove" => {
                    staged.remove(path);
                }
                other => {
                    return Err(IcError::invalid(
                        format!("invalid action {other}; use set or remove"),
                        "action",
                    ));
                }
            }
            if !changed.iter().any(|(id, _): &(String, String)| id == path) {
                changed.push((path.to_owned(), def.display_name.clone()));
            }
        }
        workflow.attributes = staged;
        workflow.last_updated = timestamps::now();
        (workflow.clone(), changed, listing)
    };
    events::emit(state, events::attribute_updated(&workflow, &changed, listing, user));
    events::emit(state, events::updated(&workflow));
    Ok(changed.into_iter().map(|(id, _)| id).collect())
}

/// A template's launch form: `{id, name, schema, permissions}`.
fn schema_item(template: &super::Template) -> Json {
    Json::Object(
        JsonObject::new()
            .with("id", template.id.as_str())
            .with("name", template.name.as_str())
            .with("schema", Json::Object(template.launch_form_json()))
            .with("permissions", Json::Array(vec![Json::str("launch"), Json::str("view")])),
    )
}

/// `form`: required on the list, defaulted on one template; `launch` is the only form served.
fn check_form(uri: &Uri, required: bool) -> Result<(), IcError> {
    match query(uri).get("form").map(String::as_str) {
        Some("launch") => Ok(()),
        None if !required => Ok(()),
        None => Err(IcError::missing("missing required parameter", "form")),
        Some(_) => Err(IcError::invalid("form must be launch", "form")),
    }
}

/// `GET /workflow-schemas?form=launch` → `{list: [{id, name, schema, permissions}]}`.
pub(crate) async fn schemas(
    State(state): State<Arc<IroncladState>>,
    uri: Uri,
) -> Result<Response, IcError> {
    check_form(&uri, true)?;
    let data = state.data();
    let list: Vec<Json> = data.templates.iter().map(schema_item).collect();
    let body = Json::Object(JsonObject::new().with("list", Json::Array(list)));
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /workflow-schemas/{id}[?form=launch]` → `{id, name, schema, permissions}`.
pub(crate) async fn schema(
    State(state): State<Arc<IroncladState>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, IcError> {
    check_form(&uri, false)?;
    let data = state.data();
    let template = data
        .template(&id)
        .ok_or_else(|| IcError::not_found("workflow schema does not exist", "id"))?;
    Ok(json_response(StatusCode::OK, &schema_item(template)))
}
