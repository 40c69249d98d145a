//! Validating a launch request and creating the workflow (<https://developer.ironcladapp.com/reference>).
//!
//! The body is `{template, attributes, creator?}` with no other keys (`additionalProperties:
//! false`). `creator` (`{"type":"email","email"}` or `{"type":"id","id"}`) is required with the
//! legacy token and ignored with an OAuth token, whose acting user becomes the creator.
//! Attributes must be in the template's schema (or be a role id, assigning that role by email),
//! typed as the schema says (see `attributes`), and the required ones present: a missing one is
//! `{"code":"MISSING_PARAM","message":"missing required attribute","param":"<id>"}` (verified
//! shape). Unknown attributes are refused with `INVALID_PARAM` naming them (unverified: whether Ironclad
//! refuses or ignores them is not documented; refusing makes a wrong attribute id, such as a
//! spec name where the template has a role-scoped id, fail loudly instead of losing the value). The new workflow is in the Review step, status `active`, with one pending
//! approval per approver role and a generated draft document; `workflow_launched` is emitted.

use std::collections::HashMap;
use std::sync::Arc;

use super::IroncladState;
use super::attributes;
use super::auth::Caller;
use super::errors::IcError;
use super::events;
use super::model::{Approval, Document, User, Workflow};
use super::params::only_keys;
use super::templates::RoleKind;
use crate::ids;
use crate::json::{Json, JsonObject};
use crate::timestamps;

/// Validate `body` and launch; returns the new workflow's id.
pub(crate) fn launch(
    state: &Arc<IroncladState>,
    caller: &Caller,
    body: &JsonObject,
) -> Result<String, IcError> {
    only_keys(body, &["template", "attributes", "creator"])?;
    let template_id = match body.get("template") {
        Some(Json::String(id)) => id.clone(),
        Some(_) => return Err(IcError::invalid("template must be a string", "template")),
        None => return Err(IcError::missing("missing required parameter", "template")),
    };
    let attributes = match body.get("attributes") {
        Some(Json::Object(attributes)) => attributes.clone(),
        Some(_) => return Err(IcError::invalid("attributes must be an object", "attributes")),
        None => return Err(IcError::missing("missing required parameter", "attributes")),
    };

    let workflow = {
        let mut data = state.data();
        let template = data
            .template(&template_id)
            .cloned()
            .ok_or_else(|| IcError::invalid("template does not exist", "template"))?;
        let creator = match caller {
            Caller::OAuth { acting_user } => acting_user.clone(),
            Caller::Legacy { .. } => resolve_creator(&data.users, body.get("creator"))?,
        };
        let mut values = JsonObject::new();
        let mut role_assignees = HashMap::new();
        for (key, value) in attributes.iter() {
            if template.role(key).is_some() {
                match value.as_str() {
                    Some(email) if email.contains('@') => {
                        role_assignees.insert(key.to_owned(), email.to_owned());
                    }
                    _ => {
                        return Err(IcError::invalid(
                            format!("role {key} must be assigned an email address"),
                            key,
                        ));
                    }
                }
                continue;
            }
            let def = template
                .attribute(key)
                .ok_or_else(|| IcError::invalid(format!("unknown attribute {key}"), key))?;
            if def.read_only {
                return Err(IcError::invalid(format!("attribute {key} is read-only"), key));
            }
            if !value.is_null() {
                attributes::validate(def, value)?;
                values.insert(key, value.clone());
            }
        }
        if let Some(missing) =
            template.attributes.iter().find(|a| a.required && !values.contains_key(&a.id))
        {
            return Err(IcError::missing("missing required attribute", &missing.id));
        }

        let now = timestamps::now();
        data.next_readable += 1;
        let readable = data.next_readable;
        let counterparty =
            values.get("counterpartyName").and_then(Json::as_str).unwrap_or("Counterparty");
        let title = format!("{} with {counterparty}", template.name);
        let approvals = template
            .roles
            .iter()
            .filter(|r| r.kind == RoleKind::Approver)
            .map(|r| Approval {
                role_id: r.id.clone(),
                display_name: r.display_name.clone(),
                approved: false,
            })
            .collect();
        let draft = Document {
            key: format!("draft{}", ids::nano_id()),
            version: ids::nano_id(),
            filename: super::documents::pdf_file_name(&title),
            size: 0,
            text: format!("Draft: {title}"),
            modified: now,
        };
        let workflow = Workflow {
            id: ids::object_id(),
            readable,
            title,
            template_id: template.id.clone(),
            step: "Review".to_owned(),
            status: "active".to_owned(),
            attributes: values,
            creator,
            created: now,
            last_updated: now,
            approvals,
            role_assignees,
            documents: vec![draft],
            record_ids: Vec::new(),
        };
        data.insert_workflow(workflow.clone());
        workflow
    };
    events::emit(state, events::launched(&workflow));
    Ok(workflow.id)
}

fn resolve_creator(users: &[User], creator: Option<&Json>) -> Result<User, IcError> {
    let creator = creator.ok_or_else(|| {
        IcError::missing("creator is required when launching with an API token", "creator")
    })?;
    let found = match (
        creator.get("type").and_then(Json::as_str),
        creator.get("email"),
        creator.get("id"),
    ) {
        (Some("email"), Some(Json::String(email)), _) => {
            users.iter().find(|u| u.email.eq_ignore_ascii_case(email))
        }
        (Some("id"), _, Some(Json::String(id))) => users.iter().find(|u| &u.id == id),
        _ => {
            return Err(IcError::invalid(
                "creator must be {\"type\":\"email\",\"email\":…} or {\"type\":\"id\",\"id\":…}",
                "creator",
            ));
        }
    };
    found
        .cloned()
        .ok_or_else(|| IcError::invalid("creator is not a user of this company", "creator"))
}

/// The body an async job reports as `requestPayload`: with an OAuth token the server fills in
/// `creator` with the acting user's id (observed).
pub(crate) fn request_payload(caller: &Caller, body: &JsonObject) -> Json {
    let mut payload = body.clone();
    if let Caller::OAuth { acting_user } = caller {
        payload.insert(
            "creator",
            Json::Object(JsonObject::new().with("id", acting_user.id.as_str()).with("type", "id")),
        );
    }
    Json::Object(payload)
}
