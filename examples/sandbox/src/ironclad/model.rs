//! The Ironclad emulator's data and how each object renders on the wire.
//!
//! Shapes follow Ironclad's API reference (<https://developer.ironcladapp.com/reference>) and
//! recorded real responses: a workflow has the keys of the real launch/get response in the
//! same order, with `signed` as one document once signed; records have
//! `properties` keyed by the fields' property keys (`counterpartySigner`,
//! `dynamicsMsaId_<templateUuid>_string`, never the attribute id) and typed as `{type, value}`
//! with the record type names (`monetary_amount`), a `source` naming the workflow that
//! filed them (`{type: "workflow", workflowId}`), and an `attachments.signedCopy` entry once
//! the signed copy is attached; webhooks render as the real `WebhookModel`, documents as
//! `WorkflowDocument` with a relative `download` path.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::templates::{FieldKind, RoleKind, Template};
use crate::json::{Json, JsonObject};
use crate::timestamps::ironclad_timestamp;

/// An Ironclad user of the sandbox company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) display_name: String,
}

impl User {
    pub(crate) fn creator_json(&self, company_id: &str) -> Json {
        Json::Object(
            JsonObject::new()
                .with("id", self.id.as_str())
                .with("email", self.email.as_str())
                .with("displayName", self.display_name.as_str())
                .with("username", self.email.as_str())
                .with("title", "")
                .with("department", "")
                .with("companyId", company_id),
        )
    }

    fn assignee_json(&self) -> Json {
        Json::Object(
            JsonObject::new()
                .with("userName", self.display_name.as_str())
                .with("userId", self.id.as_str())
                .with("email", self.email.as_str()),
        )
    }
}

/// One approval of a workflow (an approver role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Approval {
    pub(crate) role_id: String,
    pub(crate) display_name: String,
    pub(crate) approved: bool,
}

/// A document attached to a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Document {
    pub(crate) key: String,
    pub(crate) version: String,
    pub(crate) filename: String,
    /// Size of the generated PDF (0 = its natural size).
    pub(crate) size: u64,
    /// The text printed on the PDF's page.
    pub(crate) text: String,
    pub(crate) modified: OffsetDateTime,
}

impl Document {
    pub(crate) fn json(&self, workflow_id: &str) -> Json {
        let author = JsonObject::new().with("type", "system").with("displayName", "Ironclad");
        let last_modified = JsonObject::new()
            .with("timestamp", ironclad_timestamp(self.modified))
            .with("author", Json::Object(author));
        Json::Object(
            JsonObject::new()
                .with("version", self.version.as_str())
                .with("versionNumber", 1i64)
                .with("filename", self.filename.as_str())
                .with("key", self.key.as_str())
                .with(
                    "download",
                    format!(
                        "/public/api/v1/workflows/{workflow_id}/document/{}/download",
                        self.key
                    ),
                )
                .with("lastModified", Json::Object(last_modified)),
        )
    }
}

/// A launched workflow.
#[derive(Debug, Clone)]
pub(crate) struct Workflow {
    pub(crate) id: String,
    pub(crate) readable: u64,
    pub(crate) title: String,
    pub(crate) template_id: String,
    pub(crate) step: String,
    pub(crate) status: String,
    /// The attributes as set, exact (numbers keep their text).
    pub(crate) attributes: JsonObject,
    pub(crate) creator: User,
    pub(crate) created: OffsetDateTime,
    pub(crate) last_updated: OffsetDateTime,
    pub(crate) approvals: Vec<Approval>,
    /// Role id → assignee email, for roles assigned at launch.
    pub(crate) role_assignees: HashMap<String, String>,
    pub(crate) documents: Vec<Document>,
    pub(crate) record_ids: Vec<String>,
}

impl Workflow {
    pub(crate) fn readable_id(&self) -> String {
        format!("IC-{}", self.readable)
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.status == "completed"
    }

    pub(crate) fn approvals_state(&self) -> &'static str {
        if self.approvals.is_empty() {
            "not_applicable"
        } else if self.approvals.iter().all(|a| a.approved) {
            "completed"
        } else {
            "in_progress"
        }
    }

    /// The full workflow object, as launch, get and list return it.
    pub(crate) fn json(
        &self,
        template: &Template,
        users: &[User],
        api_root: &str,
        company_id: &str,
    ) -> Json {
        let mut attributes = self.attributes.clone();
        attributes.insert("readableId", Json::String(self.readable_id()));
        attributes.insert("currentTurnParty", Json::str("internal"));
        let drafts: Vec<Json> = self
            .documents
            .iter()
            .filter(|d| d.key.starts_with(DRAFT_KEY))
            .map(|d| d.json(&self.id))
            .collect();
        attributes.insert("draft", Json::Array(drafts));
        // `signed` has schema type `document`: one document, not a list.
        if let Some(signed) = self.documents.iter().find(|d| d.key.starts_with(SIGNED_KEY)) {
            attributes.insert("signed", signed.json(&self.id));
        }

        let roles: Vec<Json> = template
            .roles
            .iter()
            .map(|role| {
                let field = |id: &Option<String>| {
                    id.as_deref()
                        .and_then(|id| self.attributes.get(id))
                        .and_then(Json::as_str)
                        .map(str::to_owned)
                };
                let email = match role.kind {
                    RoleKind::Owner => Some(self.creator.email.clone()),
                    _ => field(&role.email_field).or_else(|| role.assignee_email.clone()),
                };
                let email = self.role_assignees.get(&role.id).cloned().or(email);
                let assignees: Vec<Json> = match email {
                    Some(email) => match users.iter().find(|u| u.email == email) {
                        Some(user) => vec![user.assignee_json()],
                        None => vec![Json::Object(
                            JsonObject::new()
                                .with(
                                    "userName",
                                    field(&role.name_field).unwrap_or_else(|| email.clone()),
                                )
                                .with("email", email.as_str()),
                        )],
                    },
                    None => Vec::new(),
                };
                Json::Object(
                    JsonObject::new()
                        .with("id", role.id.as_str())
                        .with("displayName", role.display_name.as_str())
                        .with("assignees", Json::Array(assignees)),
                )
            })
            .collect();
        let url = |tail: &str| format!("{api_root}/workflows/{}/{tail}", self.id);
        let signatures_state = if self.is_complete() { "complete" } else { "not_started" };
        let mut out = JsonObject::new()
            .with("id", self.id.as_str())
            .with("title", self.title.as_str())
            .with("template", self.template_id.as_str())
            .with("step", self.step.as_str())
            .with("schema", Json::Object(template.workflow_schema_json()))
            .with("attributes", Json::Object(attributes))
            .with("isCancelled", self.status == "cancelled")
            .with("isComplete", self.is_complete())
            .with("status", self.status.as_str())
            .with("creator", self.creator.creator_json(company_id))
            .with("created", ironclad_timestamp(self.created))
            .with("lastUpdated", ironclad_timestamp(self.last_updated))
            .with("roles", Json::Array(roles))
            .with(
                "approvals",
                Json::Object(
                    JsonObject::new()
                        .with("state", self.approvals_state())
                        .with("url", url("approvals")),
                ),
            )
            .with(
                "signatures",
                Json::Object(
                    JsonObject::new()
                        .with("state", signatures_state)
                        .with("url", url("signatures")),
                ),
            )
            .with("isRevertibleToReview", false)
            .with("ironcladId", self.readable_id());
        if !self.record_ids.is_empty() {
            out.insert(
                "recordIds",
                Json::Array(self.record_ids.iter().map(|id| Json::str(id.as_str())).collect()),
            );
        }
        Json::Object(out)
    }
}

/// Key prefix of a workflow's draft documents.
pub(crate) const DRAFT_KEY: &str = "draft";
/// Key prefix of a workflow's signed document.
pub(crate) const SIGNED_KEY: &str = "signed";

/// A repository record created when a workflow completes.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) id: String,
    pub(crate) readable: u64,
    pub(crate) record_type: String,
    pub(crate) name: String,
    pub(crate) last_updated: OffsetDateTime,
    /// Property key → the workflow attribute's value and kind, turned into properties on render.
    pub(crate) values: Vec<(String, FieldKind, Json)>,
    /// The workflow that filed it (`source`), unless filed without one.
    pub(crate) source_workflow: Option<String>,
    /// The `signedCopy` attachment, once attached.
    pub(crate) signed_copy: Option<Document>,
}

impl Record {
    /// The record object; addresses are strings unless `address_as_object` (<https://developer.ironcladapp.com/reference>).
    pub(crate) fn json(&self, api_root: &str, address_as_object: bool) -> Json {
        let mut properties = JsonObject::new();
        for (key, kind, value) in &self.values {
            let Some(kind_name) = kind.record_type() else { continue };
            let value = match kind {
                FieldKind::Address if !address_as_object => Json::String(address_text(value)),
                _ => value.clone(),
            };
            properties.insert(
                key.clone(),
                Json::Object(JsonObject::new().with("type", kind_name).with("value", value)),
            );
        }
        let mut attachments = JsonObject::new();
        if let Some(signed_copy) = &self.signed_copy {
            let entry = JsonObject::new()
                .with("filename", signed_copy.filename.as_str())
                .with("contentType", "application/pdf")
                .with("href", format!("{api_root}/records/{}/attachments/signedCopy", self.id));
            attachments.insert("signedCopy", Json::Object(entry));
        }
        let mut out = JsonObject::new()
            .with("id", self.id.as_str())
            .with("ironcladId", format!("IC-{}", self.readable))
            .with("type", self.record_type.as_str())
            .with("name", self.name.as_str())
            .with("lastUpdated", ironclad_timestamp(self.last_updated))
            .with("properties", Json::Object(properties))
            .with("attachments", Json::Object(attachments))
            .with("links", Json::Array(Vec::new()))
            .with("childIds", Json::Array(Vec::new()))
            .with(
                "contractStatus",
                Json::Object(
                    JsonObject::new().with("status", "active").with("enhancedStatus", "active"),
                ),
            );
        if let Some(workflow) = &self.source_workflow {
            let source =
                JsonObject::new().with("type", "workflow").with("workflowId", workflow.as_str());
            out.insert("source", Json::Object(source));
        }
        Json::Object(out)
    }

    /// A property's value by key (for filters and sorting).
    pub(crate) fn value(&self, key: &str) -> Option<&Json> {
        self.values.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v)
    }
}

/// `325 5th Street, Suite 200, San Francisco, California 94107, USA`.
fn address_text(value: &Json) -> String {
    let field = |name: &str| value.get(name).and_then(Json::as_str).unwrap_or_default().to_owned();
    let mut parts: Vec<String> = value
        .get("lines")
        .and_then(Json::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(|l| l.as_str().map(str::to_owned))
        .collect();
    parts.push(field("locality"));
    parts.push(format!("{} {}", field("region"), field("postcode")).trim().to_owned());
    parts.push(field("country"));
    parts.retain(|p| !p.is_empty());
    parts.join(", ")
}

/// `12` from `IC-12`.
fn readable_number(id: &str) -> Option<u64> {
    id.strip_prefix("IC-").and_then(|n| n.parse().ok())
}

/// Webhook subscription status.
pub(crate) const ENABLED: &str = "enabled";
/// Status after a 410 or too many failures.
pub(crate) const DISABLED_BY_SYSTEM: &str = "disabledBySystem";

/// A webhook subscription.
#[derive(Clone)]
pub(crate) struct Subscription {
    pub(crate) id: String,
    pub(crate) events: Vec<String>,
    pub(crate) target_url: String,
    pub(crate) status: String,
    pub(crate) status_last_updated_at: OffsetDateTime,
    pub(crate) status_last_updated_by: String,
    pub(crate) consecutive_failure_count: u32,
    pub(crate) first_consecutive_failure: Option<OffsetDateTime>,
    /// Extra headers sent with every delivery (e.g. `Authorization`).
    pub(crate) headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Custom headers usually carry the receiver's credentials: names only.
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("events", &self.events)
            .field("target_url", &self.target_url)
            .field("status", &self.status)
            .field("consecutive_failure_count", &self.consecutive_failure_count)
            .field("header_names", &header_names)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    pub(crate) fn wants(&self, event: &str) -> bool {
        self.status == ENABLED && self.events.iter().any(|e| e == event || e == "*")
    }

    /// The `WebhookModel`. Custom headers are not echoed (the real `GET` redacts them).
    pub(crate) fn json(&self, company_id: &str) -> Json {
        let mut out = JsonObject::new()
            .with("id", self.id.as_str())
            .with(
                "events",
                Json::Array(self.events.iter().map(|e| Json::str(e.as_str())).collect()),
            )
            .with("targetURL", self.target_url.as_str())
            .with("companyId", company_id)
            .with("status", self.status.as_str())
            .with("statusLastUpdatedAt", ironclad_timestamp(self.status_last_updated_at))
            .with("statusLastUpdatedBy", self.status_last_updated_by.as_str())
            .with("consecutiveFailureCount", u64::from(self.consecutive_failure_count));
        if let Some(first) = self.first_consecutive_failure {
            out.insert("firstConsecutiveFailure", Json::String(ironclad_timestamp(first)));
        }
        Json::Object(out)
    }
}

/// An async launch job.
#[derive(Debug, Clone)]
pub(crate) struct AsyncJob {
    pub(crate) request_payload: Json,
    /// Polls answered `in_progress` before the outcome shows.
    pub(crate) polls_left: u32,
    /// The launched workflow's id, or the launch error body.
    pub(crate) outcome: Result<String, JsonObject>,
}

/// Everything the emulator stores.
#[derive(Debug, Default)]
pub(crate) struct IroncladData {
    pub(crate) users: Vec<User>,
    pub(crate) templates: Vec<Template>,
    /// Oldest first; only added to through [`IroncladData::insert_workflow`].
    pub(crate) workflows: Vec<Workflow>,
    /// Workflow id → index in `workflows` (lookups by id are the hot path of every flow).
    workflow_positions: HashMap<String, usize>,
    pub(crate) next_readable: u64,
    pub(crate) records: Vec<Record>,
    pub(crate) subscriptions: Vec<Subscription>,
    pub(crate) jobs: HashMap<String, AsyncJob>,
    /// How `workflow_attribute_updated` lists the changed attributes.
    pub(crate) changed_attributes: super::events::ChangedAttributes,
}

impl IroncladData {
    pub(crate) fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }

    /// A company with these users and published templates, and nothing else yet.
    pub(crate) fn new(users: Vec<User>, templates: Vec<Template>) -> Self {
        Self { users, templates, ..Self::default() }
    }

    /// Add a launched workflow.
    pub(crate) fn insert_workflow(&mut self, workflow: Workflow) {
        self.workflow_positions.insert(workflow.id.clone(), self.workflows.len());
        self.workflows.push(workflow);
    }

    /// A workflow by id or readable id (`IC-12`).
    pub(crate) fn workflow_index(&self, id: &str) -> Option<usize> {
        match readable_number(id) {
            Some(number) => self.workflows.iter().position(|w| w.readable == number),
            None => self.workflow_positions.get(id).copied(),
        }
    }

    /// A record by id or readable id.
    pub(crate) fn record(&self, id: &str) -> Option<&Record> {
        match readable_number(id) {
            Some(number) => self.records.iter().find(|r| r.readable == number),
            None => self.records.iter().find(|r| r.id == id),
        }
    }

    pub(crate) fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users.iter().find(|u| u.email.eq_ignore_ascii_case(email))
    }

    pub(crate) fn user_by_id(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_debug_hides_header_values() {
        let subscription = Subscription {
            id: "1".into(),
            events: vec!["*".into()],
            target_url: "https://r.example/hook".into(),
            status: ENABLED.into(),
            status_last_updated_at: OffsetDateTime::UNIX_EPOCH,
            status_last_updated_by: "u".into(),
            consecutive_failure_count: 0,
            first_consecutive_failure: None,
            headers: vec![("Authorization".into(), "Bearer receiver-secret".into())],
        };
        let printed = format!("{subscription:?}");
        assert!(
            printed.contains("Authorization") && !printed.contains("receiver-secret"),
            "{printed}"
        );
    }
}
