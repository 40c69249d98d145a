//! [`FlowTemplate`]: the flow of spec 000 "Option 2", as a Logic Apps workflow definition and as
//! the `definition.json` of a legacy import package.
//!
//! What is fact and what is belief (🟡), from exported packages and flow definitions read in
//! public repositories (the research notes have no section on flow definitions):
//!
//! * The Dataverse trigger "When a row is added, modified or deleted" is an
//!   `OpenApiConnectionWebhook` on `shared_commondataserviceforapps`, operation
//!   `SubscribeWebhookTrigger`, with flattened parameters `subscriptionRequest/message`,
//!   `…/entityname`, `…/scope` and `…/filteringattributes` (seen in many definitions).
//! * 🟡 `subscriptionRequest/message` 4 is "Added or Modified" (1 Added, 2 Deleted,
//!   3 Modified) and `subscriptionRequest/scope` 4 is "Organization": consistent across
//!   third-party definitions, not in a Microsoft reference we could read.
//! * 🟡 The designer's "Select columns" is `subscriptionRequest/filteringattributes` (the
//!   comma-separated columns whose change fires the flow).
//! * The HTTP action is `"type": "Http"` with `inputs.method`, `uri`, `headers` and `body`
//!   (seen in exported packages). Dynamic content is `@triggerOutputs()?['body/<column>']`;
//!   a value that is only an expression keeps the column's type (a number stays a number,
//!   no value is `null`).

use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::domain::Domain;
use crate::ConnectionId;

/// The connector of the trigger and of the package's connection reference.
pub const DATAVERSE_API: &str = "shared_commondataserviceforapps";
/// The columns the spec's trigger selects and its body sends, in the spec's order.
pub const SPEC_COLUMNS: [&str; 5] =
    ["firstname", "lastname", "emailaddress1", "telephone1", "statecode"];
/// The trigger's name in the definition (the designer derives it from the display name).
pub const TRIGGER_NAME: &str = "When_a_row_is_added,_modified_or_deleted";
/// The HTTP action's name in the definition.
pub const ACTION_NAME: &str = "HTTP";

/// 🟡 `subscriptionRequest/message`: "Added or Modified".
const MESSAGE_ADDED_OR_MODIFIED: u8 = 4;
/// 🟡 `subscriptionRequest/scope`: "Organization".
const SCOPE_ORGANIZATION: u8 = 4;

/// A `--fields` column that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--fields {column:?}: a column is a Dataverse logical name (lower case letters, digits and `_`, starting with a letter, at most 128)"
)]
pub struct InvalidColumn {
    column: String,
}

/// The flow the spec's "Option 2" imports: a Dataverse trigger on contacts and an HTTP POST of
/// the spec's body to the receiver.
///
/// Every id in the output is derived from the inputs (domain, connection id, columns, name),
/// so the same inputs give the same bytes and two outputs can be diffed.
///
/// ```
/// use contact_sync::ConnectionId;
/// use contact_sync::power_automate::{Domain, FlowTemplate};
///
/// let template = FlowTemplate::new(Domain::parse("app.example.com")?, ConnectionId::parse("contoso")?)
///     .with_columns(["jobtitle"])?;
/// assert_eq!(template.webhook_url(), "https://app.example.com/api/crm/webhook/dynamics/contoso");
/// let definition = template.workflow_definition();
/// let body = &definition["actions"]["HTTP"]["inputs"]["body"];
/// assert_eq!(body["PrimaryEntityId"], "@triggerOutputs()?['body/contactid']");
/// assert_eq!(body["InputParameters"][0]["value"]["jobtitle"], "@triggerOutputs()?['body/jobtitle']");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowTemplate {
    domain: Domain,
    connection_id: ConnectionId,
    extra_columns: Vec<String>,
    send_modifiedon: bool,
    display_name: String,
}

impl FlowTemplate {
    /// The spec's flow for a receiver at `https://{domain}` and a connection id, named
    /// "Sync Contacts to {domain}".
    pub fn new(domain: Domain, connection_id: ConnectionId) -> Self {
        let display_name = format!("Sync Contacts to {domain}");
        Self {
            domain,
            connection_id,
            extra_columns: Vec::new(),
            send_modifiedon: true,
            display_name,
        }
    }

    /// Also select and send these columns (duplicates and the spec's own columns are ignored).
    ///
    /// # Errors
    /// When a column is not a Dataverse logical name.
    pub fn with_columns<C: AsRef<str>>(
        mut self,
        columns: impl IntoIterator<Item = C>,
    ) -> Result<Self, InvalidColumn> {
        for column in columns {
            let column = column.as_ref().trim();
            if !is_logical_name(column) {
                return Err(InvalidColumn { column: column.to_owned() });
            }
            if !SPEC_COLUMNS.contains(&column) && !self.extra_columns.iter().any(|c| c == column) {
                self.extra_columns.push(column.to_owned());
            }
        }
        Ok(self)
    }

    /// Whether the body also sends `modifiedon` (default on): it lets the receiver ignore a
    /// change that arrives after a newer one (flow runs are concurrent). It is never added to
    /// the trigger's columns, which would fire the flow on every change of the row.
    #[must_use]
    pub fn with_modifiedon(mut self, send: bool) -> Self {
        self.send_modifiedon = send;
        self
    }

    /// The flow's display name.
    #[must_use]
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = name.into();
        self
    }

    /// The flow's display name.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// `https://{domain}/api/crm/webhook/dynamics/{connection-id}`.
    pub fn webhook_url(&self) -> String {
        format!("https://{}/api/crm/webhook/dynamics/{}", self.domain, self.connection_id)
    }

    /// The trigger's columns: the spec's five, then the extra ones, in order.
    pub fn columns(&self) -> Vec<&str> {
        SPEC_COLUMNS.iter().copied().chain(self.extra_columns.iter().map(String::as_str)).collect()
    }

    /// The body the HTTP action POSTs: spec step 4's, with dynamic content for every column.
    pub fn request_body(&self) -> Json {
        let dynamic = |column: &str| Json::String(format!("@triggerOutputs()?['body/{column}']"));
        let mut target = serde_json::Map::new();
        for column in self.columns() {
            target.insert(column.to_owned(), dynamic(column));
        }
        if self.send_modifiedon {
            target.insert("modifiedon".to_owned(), dynamic("modifiedon"));
        }
        json!({
            "MessageName": "Update",
            "PrimaryEntityName": "contact",
            "PrimaryEntityId": dynamic("contactid"),
            "InputParameters": [{ "key": "Target", "value": target }]
        })
    }

    /// The Logic Apps workflow definition: `$schema`, parameters, the trigger and the action.
    pub fn workflow_definition(&self) -> Json {
        json!({
            "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {
                "$connections": { "defaultValue": {}, "type": "Object" },
                "$authentication": { "defaultValue": {}, "type": "SecureObject" }
            },
            "triggers": {
                TRIGGER_NAME: {
                    "type": "OpenApiConnectionWebhook",
                    "inputs": {
                        "host": {
                            "apiId": api_id(),
                            "connectionName": DATAVERSE_API,
                            "operationId": "SubscribeWebhookTrigger"
                        },
                        "parameters": {
                            "subscriptionRequest/message": MESSAGE_ADDED_OR_MODIFIED,
                            "subscriptionRequest/entityname": "contact",
                            "subscriptionRequest/scope": SCOPE_ORGANIZATION,
                            "subscriptionRequest/filteringattributes": self.columns().join(",")
                        },
                        "authentication": "@parameters('$authentication')"
                    }
                }
            },
            "actions": {
                ACTION_NAME: {
                    "runAfter": {},
                    "type": "Http",
                    "inputs": {
                        "method": "POST",
                        "uri": self.webhook_url(),
                        "headers": { "Content-Type": "application/json" },
                        "body": self.request_body()
                    }
                }
            },
            "outputs": {}
        })
    }

    /// The flow resource as a legacy package's `definition.json` holds it: the workflow
    /// definition plus the `shared_commondataserviceforapps` connection reference.
    ///
    /// ```
    /// use contact_sync::ConnectionId;
    /// use contact_sync::power_automate::{Domain, FlowTemplate};
    ///
    /// let template = FlowTemplate::new(Domain::parse("app.example.com")?, ConnectionId::parse("c1")?);
    /// let flow = template.definition_json();
    /// assert_eq!(flow["properties"]["displayName"], "Sync Contacts to app.example.com");
    /// let reference = &flow["properties"]["connectionReferences"]["shared_commondataserviceforapps"];
    /// assert_eq!(reference["id"], "/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn definition_json(&self) -> Json {
        let flow_name = self.id("flow-name");
        json!({
            "name": flow_name,
            "id": format!("/providers/Microsoft.Flow/flows/{flow_name}"),
            "type": "Microsoft.Flow/flows",
            "properties": {
                "apiId": "/providers/Microsoft.PowerApps/apis/shared_logicflows",
                "displayName": self.display_name,
                "definition": self.workflow_definition(),
                "connectionReferences": {
                    DATAVERSE_API: {
                        "connectionName": format!("shared-commondataser-{}", self.id("connection-name")),
                        "source": "Embedded",
                        "id": api_id(),
                        "tier": "NotSpecified"
                    }
                },
                "flowFailureAlertSubscribed": false
            }
        })
    }

    /// A GUID derived from every input and `purpose`, formatted like a random (v4) one.
    pub(crate) fn id(&self, purpose: &str) -> Uuid {
        let mut hasher = Sha256::new();
        let name_flag = if self.send_modifiedon { "modifiedon" } else { "" };
        let columns = self.columns().join(",");
        for part in [
            "power-automate-template/1",
            purpose,
            self.domain.as_str(),
            self.connection_id.as_str(),
            columns.as_str(),
            name_flag,
            self.display_name.as_str(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

pub(crate) fn api_id() -> String {
    format!("/providers/Microsoft.PowerApps/apis/{DATAVERSE_API}")
}

fn is_logical_name(column: &str) -> bool {
    (1..=128).contains(&column.len())
        && column.starts_with(|c: char| c.is_ascii_lowercase())
        && column.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> FlowTemplate {
        FlowTemplate::new(
            Domain::parse("app.example.com").unwrap(),
            ConnectionId::parse("c1").unwrap(),
        )
    }

    #[test]
    fn columns_are_checked_and_deduplicated() {
        let t =
            template().with_columns(["jobtitle", "firstname", "jobtitle", " new_tier "]).unwrap();
        assert_eq!(t.columns(), [&SPEC_COLUMNS[..], &["jobtitle", "new_tier"]].concat());
        for bad in ["", "JobTitle", "1col", "job title", "job-title", "contact.id"] {
            assert!(template().with_columns([bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_depend_on_every_input_and_nothing_else() {
        let a = template();
        assert_eq!(a.id("flow"), template().id("flow"));
        assert_ne!(a.id("flow"), a.id("api"));
        assert_ne!(a.id("flow"), a.clone().with_columns(["jobtitle"]).unwrap().id("flow"));
        assert_ne!(a.id("flow"), a.clone().with_modifiedon(false).id("flow"));
        assert_ne!(a.id("flow"), a.clone().with_display_name("x").id("flow"));
        let other = FlowTemplate::new(
            Domain::parse("app.example.com").unwrap(),
            ConnectionId::parse("c2").unwrap(),
        );
        assert_ne!(a.id("flow"), other.id("flow"));
        assert_eq!(a.id("flow").get_version_num(), 4);
    }
}
