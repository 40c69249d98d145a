//! Approvals (<https://developer.ironcladapp.com/reference>).
//!
//! `GET /workflows/{id}/approvals` → `{workflowId, title, approvalGroups: [{reviewers: [{role,
//! displayName, reviewerType: "role", status}], status, order}], roles}`.
//! `PATCH /workflows/{id}/approvals/{roleId}` with `{"status": "approved" | "pending"}` → `true`;
//! with the legacy token the body must also name the `user` (`{"type":"email","email"}` or
//! `{"type":"id","id"}`), with OAuth the acting user approves. Allowed only while the workflow is
//! in Review. A change emits `workflow_approval_status_changed` (and `workflow_updated`).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;

use super::auth::Caller;
use super::errors::{IcError, json_response};
use super::model::User;
use super::params::json_body;
use super::workflows::workflow_json;
use super::{IroncladState, events};
use crate::json::{Json, JsonObject};
use crate::timestamps;

pub(crate) async fn list(
    State(state): State<Arc<IroncladState>>,
    Path(id): Path<String>,
) -> Result<Response, IcError> {
    let data = state.data();
    let index = data
        .workflow_index(&id)
        .ok_or_else(|| IcError::not_found("workflow does not exist", "workflowId"))?;
    let workflow = &data.workflows[index];
    let reviewers: Vec<Json> = workflow
        .approvals
        .iter()
        .map(|a| {
            Json::Object(
                JsonObject::new()
                    .with("role", a.role_id.as_str())
                    .with("displayName", a.display_name.as_str())
                    .with("reviewerType", "role")
                    .with("status", if a.approved { "approved" } else { "pending" }),
            )
        })
        .collect();
    let group_status =
        if workflow.approvals.iter().all(|a| a.approved) { "completed" } else { "active" };
    let group = JsonObject::new()
        .with("reviewers", Json::Array(reviewers))
        .with("status", group_status)
        .with("order", 1i64);
    let approver_roles: Vec<String> =
        workflow.approvals.iter().map(|a| a.role_id.clone()).collect();
    let roles: Vec<Json> = workflow_json(&state, &data, index)
        .get("roles")
        .and_then(Json::as_array)
        .unwrap_or_default()
        .iter()
        .filter(|r| {
            r.get("id")
                .and_then(Json::as_str)
                .is_some_and(|id| approver_roles.iter().any(|a| a == id))
        })
        .cloned()
        .collect();
    let body = JsonObject::new()
        .with("workflowId", workflow.id.as_str())
        .with("title", workflow.title.as_str())
        .with("approvalGroups", Json::Array(vec![Json::Object(group)]))
        .with("roles", Json::Array(roles));
    Ok(json_response(StatusCode::OK, &Json::Object(body)))
}

pub(crate) async fn update(
    State(state): State<Arc<IroncladState>>,
    Extension(caller): Extension<Caller>,
    Path((id, role)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, IcError> {
    let body = json_body(&body)?;
    let approved = match body.get("status").and_then(Json::as_str) {
        Some("approved") => true,
        Some("pending") => false,
        Some(other) => {
            return Err(IcError::invalid(
                format!("invalid status {other}; use approved or pending"),
                "status",
            ));
        }
        None => return Err(IcError::missing("missing required parameter", "status")),
    };
    let user = match (&caller, body.get("user")) {
        (Caller::OAuth { acting_user }, _) => acting_user.clone(),
        (Caller::Legacy { .. }, Some(user)) => resolve_user(&state, user)?,
        (Caller::Legacy { acting_user: Some(user) }, None) => user.clone(),
        (Caller::Legacy { acting_user: None }, None) => {
            return Err(IcError::missing(
                "user is required when updating approvals with an API token",
                "user",
            ));
        }
    };
    set_approval(&state, &id, &role, approved, &user)?;
    Ok(json_response(StatusCode::OK, &Json::Bool(true)))
}

fn resolve_user(state: &IroncladState, user: &Json) -> Result<User, IcError> {
    let data = state.data();
    let found = match (user.get("type").and_then(Json::as_str), user.get("email"), user.get("id")) {
        (Some("email"), Some(Json::String(email)), _) => data.user_by_email(email),
        (Some("id"), _, Some(Json::String(id))) => data.user_by_id(id),
        _ => {
            return Err(IcError::invalid(
                "user must be {\"type\":\"email\",\"email\":…} or {\"type\":\"id\",\"id\":…}",
                "user",
            ));
        }
    };
    found.cloned().ok_or_else(|| IcError::invalid("user is not a user of this company", "user"))
}

/// Set approval `role` (id or display name) of a workflow; emits the events when it changes.
pub(crate) fn set_approval(
    state: &Arc<IroncladState>,
    workflow_id: &str,
    role: &str,
    approved: bool,
    user: &User,
) -> Result<(), IcError> {
    let (workflow, role_id, role_name) = {
        let mut data = state.data();
        let index = data
            .workflow_index(workflow_id)
            .ok_or_else(|| IcError::not_found("workflow does not exist", "workflowId"))?;
        let workflow = &mut data.workflows[index];
        if workflow.step != "Review" || workflow.status != "active" {
            return Err(IcError::invalid_state(
                "approvals can only be changed while the workflow is in the Review step",
            ));
        }
        let approval = workflow
            .approvals
            .iter_mut()
            .find(|a| a.role_id == role || a.display_name == role)
            .ok_or_else(|| IcError::not_found("approval does not exist", "roleId"))?;
        if approval.approved == approved {
            return Ok(());
        }
        approval.approved = approved;
        let (role_id, role_name) = (approval.role_id.clone(), approval.display_name.clone());
        workflow.last_updated = timestamps::now();
        (workflow.clone(), role_id, role_name)
    };
    let status = if approved { "approved" } else { "pending" };
    events::emit(
        state,
        events::approval_status_changed(&workflow, &role_id, &role_name, status, user),
    );
    events::emit(state, events::updated(&workflow));
    Ok(())
}
