//! Workflow templates as data: the fields a launch is validated against, how each shows in a
//! launch form and in a workflow's schema, the record property it files into, and the roles.
//!
//! Real templates differ from the tidy names of a spec (as recorded tenant traffic shows; see
//! Ironclad's [workflow schema reference](https://developer.ironcladapp.com/reference/retrieve-a-workflow-schema)),
//! and the default MSA template ([`TemplateSeed::msa`]) is shaped like them:
//!
//! - the counterparty signer's fields are **role-scoped ids** (`role0521…`) with
//!   `propertyKey: "counterpartySigner"` / `"counterpartySignerEmail"` in a workflow's schema;
//! - **custom fields** (`dynamicsMsaId`, `dynamicsMsaNumber`, `totalContractValue`) file into
//!   record properties keyed `<attributeId>_<templateUuid>_<type>`, never by the attribute id;
//! - the **launch form** (`GET /workflow-schemas`) shows `{type, displayName, required}` per
//!   field and no `propertyKey`; a workflow's `schema` shows `{type, displayName, propertyKey?,
//!   readOnly: true}`;
//! - `signed` is **one document** (schema type `document`), `draft` a list of documents.
//!
//! Seed your own with a [`TemplateSeed`] (JSON or Rust), published with
//! [`IroncladControl::publish_template`](super::IroncladControl::publish_template).
//!
//! Every template also gets the fields Ironclad adds to every workflow: `readableId`, `draft`
//! and `signed` (read-only).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::json::{Json, JsonObject};

/// The type of a template field (schema `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum FieldKind {
    /// Text (`string`).
    String,
    /// An email address (`email`).
    Email,
    /// A date-time with an offset (`date`).
    Date,
    /// A JSON number (`number`).
    Number,
    /// `true` / `false` (`boolean`).
    Boolean,
    /// `{currency, amount}` (`monetaryAmount`).
    MonetaryAmount,
    /// `{lines, locality, region, postcode, country}` (`address`).
    Address,
    /// One document (`document`, like `signed`); read-only.
    Document,
    /// A list of documents (`array` of `document`, like `draft`); read-only.
    Documents,
}

impl FieldKind {
    /// The schema `type`.
    pub(crate) fn schema_type(self) -> &'static str {
        match self {
            FieldKind::String => "string",
            FieldKind::Email => "email",
            FieldKind::Date => "date",
            FieldKind::Number => "number",
            FieldKind::Boolean => "boolean",
            FieldKind::MonetaryAmount => "monetaryAmount",
            FieldKind::Address => "address",
            FieldKind::Document => "document",
            FieldKind::Documents => "array",
        }
    }

    /// The record property `type` (`monetary_amount` on records), `None` for documents.
    pub(crate) fn record_type(self) -> Option<&'static str> {
        match self {
            FieldKind::MonetaryAmount => Some("monetary_amount"),
            FieldKind::Document | FieldKind::Documents => None,
            other => Some(other.schema_type()),
        }
    }

    fn is_document(self) -> bool {
        matches!(self, FieldKind::Document | FieldKind::Documents)
    }
}

/// One field of a [`TemplateSeed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct FieldSeed {
    /// The attribute id launches and updates use (`counterpartyName`, `role0521…`).
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// Its label in a workflow's schema ("Counterparty Signer Name").
    pub display_name: String,
    /// Its label in the launch form, when it differs ("Counterparty Signer Name (Always
    /// Required)").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_label: Option<String>,
    /// The record property it files into (`counterpartySigner`); shown as `propertyKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_key: Option<String>,
    /// A custom field: files into `<id>_<templateUuid>_<type>` (unless `propertyKey` is set).
    #[serde(default)]
    pub custom: bool,
    /// Required at launch (`required: "always"` in the launch form).
    #[serde(default)]
    pub required: bool,
}

impl FieldSeed {
    /// A field that is neither required nor custom and files nowhere.
    pub fn new(id: impl Into<String>, kind: FieldKind, display_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            kind,
            display_name: display_name.into(),
            form_label: None,
            property_key: None,
            custom: false,
            required: false,
        }
    }

    /// Files into record property `key`.
    #[must_use]
    pub fn property_key(mut self, key: impl Into<String>) -> Self {
        self.property_key = Some(key.into());
        self
    }

    /// A custom field (see [`FieldSeed::custom`]).
    #[must_use]
    pub fn custom(mut self) -> Self {
        self.custom = true;
        self
    }

    /// Required at launch.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Labelled `label` in the launch form.
    #[must_use]
    pub fn form_label(mut self, label: impl Into<String>) -> Self {
        self.form_label = Some(label.into());
        self
    }
}

/// What a role does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum RoleKind {
    /// The workflow owner (its creator).
    Owner,
    /// An approver: one approval per approver role.
    Approver,
    /// A signer.
    Signer,
}

/// One role of a [`TemplateSeed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct RoleSeed {
    /// The role id (`approver137e…`, `owner`, `signer…`).
    pub id: String,
    /// Its name ("Legal").
    pub display_name: String,
    /// What it does.
    pub kind: RoleKind,
    /// Who holds it at launch (approvers are sandbox users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_email: Option<String>,
    /// The field whose value is the assignee's email (a signer's email field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_field: Option<String>,
    /// The field whose value is the assignee's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_field: Option<String>,
}

impl RoleSeed {
    /// A role held by nobody at launch.
    pub fn new(id: impl Into<String>, display_name: impl Into<String>, kind: RoleKind) -> Self {
        Self {
            id: id.into(),
            display_name: display_name.into(),
            kind,
            assignee_email: None,
            email_field: None,
            name_field: None,
        }
    }
}

/// A workflow template to publish in the Ironclad emulator, as data.
///
/// Write one in JSON (or build it in Rust) and publish it with
/// [`IroncladControl::publish_template`](super::IroncladControl::publish_template):
///
/// ```
/// use dataverse_ironclad_sandbox::ironclad::TemplateSeed;
///
/// let seed: TemplateSeed = serde_json::from_str(r#"{
///   "id": "64f0c1d2e3a4b5c6d7e8f901",
///   "name": "Mutual NDA",
///   "recordType": "nda",
///   "fields": [
///     {"id": "counterpartyName", "type": "string", "displayName": "Counterparty Name",
///      "propertyKey": "counterpartyName", "required": true},
///     {"id": "role7d1e0c9b8a7f4e6d5c4b3a2918f7e6d5", "type": "email",
///      "displayName": "Counterparty Signer Email", "formLabel": "Counterparty Signer Email (Always Required)",
///      "propertyKey": "counterpartySignerEmail"},
///     {"id": "dealDeskTicket", "type": "string", "displayName": "Deal Desk Ticket", "custom": true}
///   ],
///   "roles": [
///     {"id": "approver2b4c6d8e0f1a4b3c5d7e9f0a1b2c3d4e", "displayName": "Legal", "kind": "approver",
///      "assigneeEmail": "legal.approver@sandbox.example"},
///     {"id": "signer8c7b6a5f4e3d4c2b1a0f9e8d7c6b5a49", "displayName": "Counterparty Signer", "kind": "signer",
///      "emailField": "role7d1e0c9b8a7f4e6d5c4b3a2918f7e6d5"}
///   ]
/// }"#)?;
/// assert_eq!(seed.fields.len(), 3);
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// Every template also gets the fields Ironclad adds to every workflow: `readableId`, `draft`
/// and `signed` (read-only). [`TemplateSeed::msa`] is the default MSA template, shaped like a
/// real tenant's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct TemplateSeed {
    /// The template id (24 hex characters, like a real one).
    pub id: String,
    /// Its name; workflows are titled "`<name>` with `<counterpartyName>`".
    pub name: String,
    /// The record type a completed workflow files into the repository (default `contract`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// The UUID in its custom fields' property keys (default: derived from `id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_uuid: Option<Uuid>,
    /// Its fields (launch form order).
    pub fields: Vec<FieldSeed>,
    /// Its roles.
    #[serde(default)]
    pub roles: Vec<RoleSeed>,
}

/// The email of the Legal approver user.
pub(crate) const LEGAL_APPROVER_EMAIL: &str = "legal.approver@sandbox.example";
/// The email of the Finance approver user.
pub(crate) const FINANCE_APPROVER_EMAIL: &str = "finance.approver@sandbox.example";

/// The MSA template's counterparty signer name field (role-scoped, as in real templates).
pub const MSA_SIGNER_NAME_ID: &str = "role05b7e2c4a9d14f6e8b3a7c1d2e4f6a8b";
/// The MSA template's counterparty signer email field (role-scoped, as in real templates).
pub const MSA_SIGNER_EMAIL_ID: &str = "role9c3e5a7b1d2f4e6a8c0b2d4f6e8a0c2e";

/// The namespace of derived template UUIDs (a fixed random UUID).
const PROPERTY_UUID_NAMESPACE: Uuid = Uuid::from_u128(0x2c9e_41d7_8a3b_4f05_9e6d_1b7a_c3f2_5d80);

impl TemplateSeed {
    /// The MSA template of the example integration, shaped like a real tenant's: the custom `dynamicsMsaId`,
    /// `dynamicsMsaNumber` (text) and `totalContractValue` (money); the standard
    /// `agreementDate`, `counterpartyName` (required), `counterpartyAddress`; the counterparty
    /// signer's name and email under role-scoped ids ([`MSA_SIGNER_NAME_ID`],
    /// [`MSA_SIGNER_EMAIL_ID`]); roles Owner, Legal and Finance (approvers, held by the sandbox's
    /// approver users) and the Counterparty Signer.
    ///
    /// ```
    /// use dataverse_ironclad_sandbox::ironclad::TemplateSeed;
    ///
    /// let seed = TemplateSeed::msa("6063ac9e01a5542dafa3722b");
    /// let json = serde_json::to_string(&seed).unwrap();
    /// let back: TemplateSeed = serde_json::from_str(&json).unwrap();
    /// assert_eq!(back, seed);
    /// ```
    pub fn msa(id: &str) -> Self {
        let fields = vec![
            FieldSeed::new("dynamicsMsaId", FieldKind::String, "Dynamics MSA ID").custom(),
            FieldSeed::new("dynamicsMsaNumber", FieldKind::String, "Dynamics MSA Number").custom(),
            FieldSeed::new("agreementDate", FieldKind::Date, "Agreement Date")
                .property_key("agreementDate"),
            FieldSeed::new(MSA_SIGNER_NAME_ID, FieldKind::String, "Counterparty Signer Name")
                .property_key("counterpartySigner"),
            FieldSeed::new(MSA_SIGNER_EMAIL_ID, FieldKind::Email, "Counterparty Signer Email")
                .property_key("counterpartySignerEmail"),
            FieldSeed::new("totalContractValue", FieldKind::MonetaryAmount, "Total Contract Value")
                .custom(),
            FieldSeed::new("counterpartyName", FieldKind::String, "Counterparty Name")
                .property_key("counterpartyName")
                .required(),
            FieldSeed::new("counterpartyAddress", FieldKind::Address, "Counterparty Address")
                .property_key("counterpartyAddress"),
        ];
        let approver = |id: &str, name: &str, email: &str| RoleSeed {
            assignee_email: Some(email.to_owned()),
            ..RoleSeed::new(id, name, RoleKind::Approver)
        };
        let roles = vec![
            RoleSeed::new("owner", "Owner", RoleKind::Owner),
            approver("approver137e74661e0b40e38e3a52dff067cd0c", "Legal", LEGAL_APPROVER_EMAIL),
            approver("approver5d2f9c1a7b3e4f60a8c9d0e1f2a3b4c5", "Finance", FINANCE_APPROVER_EMAIL),
            RoleSeed {
                email_field: Some(MSA_SIGNER_EMAIL_ID.to_owned()),
                name_field: Some(MSA_SIGNER_NAME_ID.to_owned()),
                ..RoleSeed::new(
                    "signerd49e2a7c9b104f7e8d6c5b4a39281706",
                    "Counterparty Signer",
                    RoleKind::Signer,
                )
            },
        ];
        Self {
            id: id.to_owned(),
            name: "Master Services Agreement".to_owned(),
            record_type: Some("masterServicesAgreement".to_owned()),
            property_uuid: None,
            fields,
            roles,
        }
    }
}

/// One attribute of a published template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrDef {
    pub(crate) id: String,
    pub(crate) display_name: String,
    pub(crate) form_label: String,
    pub(crate) kind: FieldKind,
    /// The record property it files into.
    pub(crate) property_key: Option<String>,
    pub(crate) required: bool,
    /// Set by Ironclad, never by a launch or an update.
    pub(crate) read_only: bool,
}

/// One role of a published template.
pub(crate) type RoleDef = RoleSeed;

/// A published workflow template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) id: String,
    pub(crate) name: String,
    /// The record type a completed workflow files into the repository.
    pub(crate) record_type: String,
    pub(crate) attributes: Vec<AttrDef>,
    pub(crate) roles: Vec<RoleDef>,
}

/// The fields Ironclad adds to every workflow.
fn system_fields() -> Vec<AttrDef> {
    let field = |id: &str, name: &str, kind| AttrDef {
        id: id.to_owned(),
        display_name: name.to_owned(),
        form_label: name.to_owned(),
        kind,
        property_key: None,
        required: false,
        read_only: true,
    };
    vec![
        field("readableId", "Readable ID", FieldKind::String),
        field("draft", "Draft", FieldKind::Documents),
        field("signed", "Signed PDF", FieldKind::Document),
    ]
}

impl Template {
    /// The spec's MSA template ([`TemplateSeed::msa`]).
    pub(crate) fn msa(id: &str) -> Self {
        Self::from_seed(TemplateSeed::msa(id)).unwrap_or_else(|_| unreachable!("a valid seed"))
    }

    /// Check `seed` and publish it.
    ///
    /// # Errors
    /// Why the seed is not a template: an empty or repeated id, a role naming an unknown field.
    pub(crate) fn from_seed(seed: TemplateSeed) -> Result<Self, String> {
        if seed.id.trim().is_empty() || seed.id.contains('/') {
            return Err(format!("template id {:?} is not an id", seed.id));
        }
        let uuid = seed
            .property_uuid
            .unwrap_or_else(|| Uuid::new_v5(&PROPERTY_UUID_NAMESPACE, seed.id.as_bytes()));
        let mut attributes: Vec<AttrDef> = Vec::new();
        for field in seed.fields {
            let taken = attributes.iter().any(|a| a.id == field.id)
                || system_fields().iter().any(|a| a.id == field.id);
            if field.id.trim().is_empty() || taken {
                return Err(format!("field id {:?} is empty or used twice", field.id));
            }
            if field.kind.is_document() {
                return Err(format!(
                    "field {:?}: document fields are Ironclad's (draft, signed)",
                    field.id
                ));
            }
            let property_key = match (field.property_key, field.custom) {
                (Some(key), _) => Some(key),
                (None, true) => Some(format!("{}_{uuid}_{}", field.id, field.kind.schema_type())),
                (None, false) => None,
            };
            attributes.push(AttrDef {
                form_label: field.form_label.unwrap_or_else(|| field.display_name.clone()),
                id: field.id,
                display_name: field.display_name,
                kind: field.kind,
                property_key,
                required: field.required,
                read_only: false,
            });
        }
        for role in &seed.roles {
            for named in [&role.email_field, &role.name_field].into_iter().flatten() {
                if !attributes.iter().any(|a| &a.id == named) {
                    return Err(format!("role {:?} names unknown field {named:?}", role.id));
                }
            }
            if seed.roles.iter().filter(|r| r.id == role.id).count() > 1 {
                return Err(format!("role id {:?} is used twice", role.id));
            }
        }
        attributes.extend(system_fields());
        Ok(Self {
            id: seed.id,
            name: seed.name,
            record_type: seed.record_type.unwrap_or_else(|| "contract".to_owned()),
            attributes,
            roles: seed.roles,
        })
    }

    pub(crate) fn attribute(&self, id: &str) -> Option<&AttrDef> {
        self.attributes.iter().find(|a| a.id == id)
    }

    pub(crate) fn role(&self, id: &str) -> Option<&RoleDef> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The `schema` object of a workflow: every field with `readOnly: true` (as real workflows
    /// show them, whatever their step) and its `propertyKey` when it files into a record.
    pub(crate) fn workflow_schema_json(&self) -> JsonObject {
        let mut schema = JsonObject::new();
        for attr in &self.attributes {
            let mut entry = JsonObject::new()
                .with("type", attr.kind.schema_type())
                .with("displayName", attr.display_name.as_str());
            if attr.kind == FieldKind::Documents {
                entry.insert("elementType", document_element(&attr.display_name));
            }
            if let Some(key) = &attr.property_key {
                entry.insert("propertyKey", Json::str(key.as_str()));
            }
            entry.insert("readOnly", Json::Bool(true));
            schema.insert(attr.id.as_str(), Json::Object(entry));
        }
        schema
    }

    /// The `schema` object of the launch form: the fields a launch may set, with their form
    /// labels and `required` (`always` / `never`), and no `propertyKey`.
    pub(crate) fn launch_form_json(&self) -> JsonObject {
        let mut schema = JsonObject::new();
        for attr in self.attributes.iter().filter(|a| !a.read_only) {
            let entry = JsonObject::new()
                .with("type", attr.kind.schema_type())
                .with("displayName", attr.form_label.as_str())
                .with("required", if attr.required { "always" } else { "never" });
            schema.insert(attr.id.as_str(), Json::Object(entry));
        }
        schema
    }
}

fn document_element(name: &str) -> Json {
    Json::Object(
        JsonObject::new()
            .with("type", "document")
            .with("displayName", name)
            .with("readOnly", Json::Bool(true)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_msa_template_has_role_scoped_signer_ids_and_custom_property_keys() {
        let template = Template::msa("6063ac9e01a5542dafa3722b");
        let schema = Json::Object(template.workflow_schema_json());
        let signer = schema.get(MSA_SIGNER_NAME_ID).unwrap();
        assert_eq!(signer.get("propertyKey").and_then(Json::as_str), Some("counterpartySigner"));
        assert_eq!(
            signer.get("displayName").and_then(Json::as_str),
            Some("Counterparty Signer Name")
        );
        let key = schema.get("dynamicsMsaId").unwrap().get("propertyKey").and_then(Json::as_str);
        let key = key.unwrap();
        let uuid = key.strip_prefix("dynamicsMsaId_").unwrap().strip_suffix("_string").unwrap();
        assert!(Uuid::parse_str(uuid).is_ok(), "{key}");
        let money = schema.get("totalContractValue").unwrap().get("propertyKey");
        assert!(money.and_then(Json::as_str).unwrap().ends_with("_monetaryAmount"));
        assert_eq!(
            schema.get("signed").unwrap().get("type").and_then(Json::as_str),
            Some("document")
        );
        assert!(schema.get("counterpartySignerName").is_none());
    }

    #[test]
    fn the_launch_form_has_labels_and_requirements_but_no_property_keys() {
        let seed = TemplateSeed {
            fields: vec![
                FieldSeed::new("counterpartyName", FieldKind::String, "Counterparty Name")
                    .form_label("Counterparty Name (Always Required)")
                    .property_key("counterpartyName")
                    .required(),
            ],
            ..TemplateSeed::msa("t1")
        };
        let template = Template::from_seed(TemplateSeed { roles: Vec::new(), ..seed }).unwrap();
        let form = Json::Object(template.launch_form_json());
        let name = form.get("counterpartyName").unwrap();
        assert_eq!(
            name.to_value(),
            serde_json::json!({"type": "string", "displayName": "Counterparty Name (Always Required)", "required": "always"})
        );
        assert!(form.get("draft").is_none() && form.get("signed").is_none());
    }

    #[test]
    fn bad_seeds_are_refused() {
        let mut seed = TemplateSeed::msa("t");
        seed.fields.push(FieldSeed::new("counterpartyName", FieldKind::String, "Again"));
        assert!(Template::from_seed(seed).unwrap_err().contains("used twice"));
        let mut seed = TemplateSeed::msa("t");
        seed.roles[3].email_field = Some("nope".into());
        assert!(Template::from_seed(seed).unwrap_err().contains("unknown field"));
        let json = r#"{"id":"t","name":"x","fields":[{"id":"a","type":"string","displayName":"A","colour":1}]}"#;
        assert!(serde_json::from_str::<TemplateSeed>(json).is_err(), "unknown keys are errors");
    }
}
