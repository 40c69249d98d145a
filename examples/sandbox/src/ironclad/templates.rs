//! Workflow templates: the attribute schema a launch is validated against, and the roles.
//!
//! The MSA template has the spec's attributes (spec 004 "Ironclad Setup" and the launch mapping:
//! `dynamicsMsaId`, `dynamicsMsaNumber`, `agreementDate`, `counterpartySignerName`,
//! `counterpartySignerEmail`, `totalContractValue`, `counterpartyName` (required),
//! `counterpartyAddress`) plus the ones Ironclad adds to every workflow (`readableId`, read-only;
//! `draft`, the generated document). Schema entries render as `{type, displayName, …}`
//! (ironclad.md §2.4, §2.10); role ids look like the real ones (`approver137e…`, `owner`,
//! `signer…`, §2.3).

use crate::json::{Json, JsonObject};

/// The type of a workflow attribute (schema `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttrKind {
    String,
    Email,
    Date,
    MonetaryAmount,
    Address,
    Documents,
}

impl AttrKind {
    fn schema_type(self) -> &'static str {
        match self {
            AttrKind::String => "string",
            AttrKind::Email => "email",
            AttrKind::Date => "date",
            AttrKind::MonetaryAmount => "monetaryAmount",
            AttrKind::Address => "address",
            AttrKind::Documents => "array",
        }
    }
}

/// One attribute of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrDef {
    pub(crate) id: &'static str,
    pub(crate) display_name: &'static str,
    pub(crate) kind: AttrKind,
    pub(crate) required: bool,
    pub(crate) read_only: bool,
}

/// What a role does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleKind {
    Owner,
    Approver,
    Signer,
}

/// One role of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleDef {
    pub(crate) id: String,
    pub(crate) display_name: String,
    pub(crate) kind: RoleKind,
    /// Who holds the role when the workflow launches (approvers are sandbox users).
    pub(crate) assignee_email: Option<String>,
}

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

/// The email of the Legal approver user.
pub(crate) const LEGAL_APPROVER_EMAIL: &str = "legal.approver@sandbox.example";
/// The email of the Finance approver user.
pub(crate) const FINANCE_APPROVER_EMAIL: &str = "finance.approver@sandbox.example";

const fn attr(id: &'static str, display_name: &'static str, kind: AttrKind) -> AttrDef {
    AttrDef { id, display_name, kind, required: false, read_only: false }
}

impl Template {
    /// The spec's MSA template.
    pub(crate) fn msa(id: &str) -> Self {
        let attributes = vec![
            attr("dynamicsMsaId", "Dynamics MSA ID", AttrKind::String),
            attr("dynamicsMsaNumber", "Dynamics MSA Number", AttrKind::String),
            attr("agreementDate", "Agreement Date", AttrKind::Date),
            attr("counterpartySignerName", "Counterparty Signer Name", AttrKind::String),
            attr("counterpartySignerEmail", "Counterparty Signer Email", AttrKind::Email),
            attr("totalContractValue", "Total Contract Value", AttrKind::MonetaryAmount),
            AttrDef {
                required: true,
                ..attr("counterpartyName", "Counterparty Name", AttrKind::String)
            },
            attr("counterpartyAddress", "Counterparty Address", AttrKind::Address),
            AttrDef { read_only: true, ..attr("readableId", "Readable ID", AttrKind::String) },
            AttrDef { read_only: true, ..attr("draft", "Draft", AttrKind::Documents) },
        ];
        let roles = vec![
            RoleDef {
                id: "owner".to_owned(),
                display_name: "Owner".to_owned(),
                kind: RoleKind::Owner,
                assignee_email: None,
            },
            RoleDef {
                id: "approver137e74661e0b40e38e3a52dff067cd0c".to_owned(),
                display_name: "Legal".to_owned(),
                kind: RoleKind::Approver,
                assignee_email: Some(LEGAL_APPROVER_EMAIL.to_owned()),
            },
            RoleDef {
                id: "approver5d2f9c1a7b3e4f60a8c9d0e1f2a3b4c5".to_owned(),
                display_name: "Finance".to_owned(),
                kind: RoleKind::Approver,
                assignee_email: Some(FINANCE_APPROVER_EMAIL.to_owned()),
            },
            RoleDef {
                id: "signerd49e2a7c9b104f7e8d6c5b4a39281706".to_owned(),
                display_name: "Counterparty Signer".to_owned(),
                kind: RoleKind::Signer,
                assignee_email: None,
            },
        ];
        Self {
            id: id.to_owned(),
            name: "Master Services Agreement".to_owned(),
            record_type: "masterServicesAgreement".to_owned(),
            attributes,
            roles,
        }
    }

    pub(crate) fn attribute(&self, id: &str) -> Option<&AttrDef> {
        self.attributes.iter().find(|a| a.id == id)
    }

    pub(crate) fn role(&self, id: &str) -> Option<&RoleDef> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The `schema` object of a workflow or of `GET /workflow-schemas`.
    pub(crate) fn schema_json(&self) -> JsonObject {
        let mut schema = JsonObject::new();
        for attr in &self.attributes {
            let mut entry = JsonObject::new()
                .with("type", attr.kind.schema_type())
                .with("displayName", attr.display_name);
            if attr.kind == AttrKind::Documents {
                entry.insert(
                    "elementType",
                    Json::Object(JsonObject::new().with("type", "document")),
                );
            }
            if attr.read_only {
                entry.insert("readOnly", Json::Bool(true));
            }
            schema.insert(attr.id, Json::Object(entry));
        }
        schema
    }
}
