//! The Ironclad attributes of the MSA workflow, resolved from the template.
//!
//! Attribute ids differ from template to template. Standard fields that belong to a role get
//! role-scoped ids: in a real template the counterparty signer's name is
//! `role05214514a05a417b9f952e014db84927`, with `propertyKey: "counterpartySigner"` in a
//! workflow's schema and the label "Counterparty Signer Name" (see Ironclad's
//! [workflow schema reference](https://developer.ironcladapp.com/reference/retrieve-a-workflow-schema)).
//! So the launch reads `GET /workflow-schemas/{template}?form=launch` once and finds each field:
//!
//! | field | found by | type |
//! |---|---|---|
//! | agreement date | `propertyKey` / id `agreementDate`, else the label "Agreement Date" | `date` |
//! | counterparty name | `counterpartyName`, else "Counterparty Name" | `string` |
//! | counterparty address | `counterpartyAddress`, else "Counterparty Address" | `address` |
//! | signer name | `counterpartySigner`, else "Counterparty Signer Name" | `string` |
//! | signer email | `counterpartySignerEmail`, else "Counterparty Signer Email" | `email` (or `string`) |
//! | Dynamics MSA ID | id `dynamicsMsaId` | `string` |
//! | Dynamics MSA Number | id `dynamicsMsaNumber` | `string` |
//! | Total Contract Value | id `totalContractValue` | `monetaryAmount` |
//!
//! Labels are compared without case and without a trailing remark in parentheses (launch forms
//! show "Counterparty Signer Name (Always Required)"). The custom fields keep the ids the
//! template designer gave them. Every id can be set in the `[attributes]` section of the config
//! file ([`AttributeOverrides`]); a set id must still be a field of the template.

use std::collections::BTreeMap;
use std::fmt;

use ironclad_client::workflows::{FieldType, SchemaField, TemplateId, WorkflowSchema};
use serde::Deserialize;

use crate::config::ConfigError;

/// One attribute the flows use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MsaField {
    /// Agreement Date (standard, `date`).
    AgreementDate,
    /// Counterparty Name (standard, `string`).
    CounterpartyName,
    /// Counterparty Address (standard, `address`).
    CounterpartyAddress,
    /// Counterparty Signer Name (standard, role-scoped, `string`).
    SignerName,
    /// Counterparty Signer Email (standard, role-scoped, `email`).
    SignerEmail,
    /// Dynamics MSA ID (custom, `string`): the Agreement's id, the link back to Dynamics.
    DynamicsMsaId,
    /// Dynamics MSA Number (custom, `string`): the Agreement Number.
    DynamicsMsaNumber,
    /// Total Contract Value (custom, `monetaryAmount`).
    TotalContractValue,
}

impl MsaField {
    /// Every field, in the order they are resolved and reported.
    pub const ALL: [MsaField; 8] = [
        MsaField::DynamicsMsaId,
        MsaField::DynamicsMsaNumber,
        MsaField::TotalContractValue,
        MsaField::AgreementDate,
        MsaField::CounterpartyName,
        MsaField::CounterpartyAddress,
        MsaField::SignerName,
        MsaField::SignerEmail,
    ];

    /// The key of the `[attributes]` section that sets its id (`signer_name`).
    pub fn config_key(self) -> &'static str {
        match self {
            MsaField::AgreementDate => "agreement_date",
            MsaField::CounterpartyName => "counterparty_name",
            MsaField::CounterpartyAddress => "counterparty_address",
            MsaField::SignerName => "signer_name",
            MsaField::SignerEmail => "signer_email",
            MsaField::DynamicsMsaId => "dynamics_msa_id",
            MsaField::DynamicsMsaNumber => "dynamics_msa_number",
            MsaField::TotalContractValue => "total_contract_value",
        }
    }

    /// Its label in Ironclad ("Counterparty Signer Name").
    pub fn label(self) -> &'static str {
        match self {
            MsaField::AgreementDate => "Agreement Date",
            MsaField::CounterpartyName => "Counterparty Name",
            MsaField::CounterpartyAddress => "Counterparty Address",
            MsaField::SignerName => "Counterparty Signer Name",
            MsaField::SignerEmail => "Counterparty Signer Email",
            MsaField::DynamicsMsaId => "Dynamics MSA ID",
            MsaField::DynamicsMsaNumber => "Dynamics MSA Number",
            MsaField::TotalContractValue => "Total Contract Value",
        }
    }

    /// For a standard field, its record property key (`counterpartySigner`); `None` for the
    /// custom ones, which are found by [`MsaField::default_id`].
    pub fn property_key(self) -> Option<&'static str> {
        match self {
            MsaField::AgreementDate => Some("agreementDate"),
            MsaField::CounterpartyName => Some("counterpartyName"),
            MsaField::CounterpartyAddress => Some("counterpartyAddress"),
            MsaField::SignerName => Some("counterpartySigner"),
            MsaField::SignerEmail => Some("counterpartySignerEmail"),
            _ => None,
        }
    }

    /// For a custom field, the id the template designer is asked to give it.
    pub fn default_id(self) -> Option<&'static str> {
        match self {
            MsaField::DynamicsMsaId => Some("dynamicsMsaId"),
            MsaField::DynamicsMsaNumber => Some("dynamicsMsaNumber"),
            MsaField::TotalContractValue => Some("totalContractValue"),
            _ => None,
        }
    }

    /// The field types it may have.
    fn accepts(self, field_type: &FieldType) -> bool {
        match self {
            MsaField::AgreementDate => *field_type == FieldType::Date,
            MsaField::CounterpartyAddress => *field_type == FieldType::Address,
            MsaField::TotalContractValue => *field_type == FieldType::MonetaryAmount,
            // An email is sent as text; a template may keep it in a plain text field.
            MsaField::SignerEmail => matches!(field_type, FieldType::Email | FieldType::String),
            _ => *field_type == FieldType::String,
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            MsaField::AgreementDate => "date",
            MsaField::CounterpartyAddress => "address",
            MsaField::TotalContractValue => "monetaryAmount",
            MsaField::SignerEmail => "email",
            _ => "string",
        }
    }
}

impl fmt::Display for MsaField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The `[attributes]` section of the config file: attribute ids that replace the ones found in
/// the template. Every key is optional.
///
/// ```toml
/// [attributes]
/// signer_name = "role05214514a05a417b9f952e014db84927"
/// total_contract_value = "contractValueUsd"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AttributeOverrides {
    /// Agreement Date.
    pub agreement_date: Option<String>,
    /// Counterparty Name.
    pub counterparty_name: Option<String>,
    /// Counterparty Address.
    pub counterparty_address: Option<String>,
    /// Counterparty Signer Name.
    pub signer_name: Option<String>,
    /// Counterparty Signer Email.
    pub signer_email: Option<String>,
    /// Dynamics MSA ID (default `dynamicsMsaId`).
    pub dynamics_msa_id: Option<String>,
    /// Dynamics MSA Number (default `dynamicsMsaNumber`).
    pub dynamics_msa_number: Option<String>,
    /// Total Contract Value (default `totalContractValue`).
    pub total_contract_value: Option<String>,
}

impl AttributeOverrides {
    /// The id set for `field`, if any.
    pub fn get(&self, field: MsaField) -> Option<&str> {
        match field {
            MsaField::AgreementDate => &self.agreement_date,
            MsaField::CounterpartyName => &self.counterparty_name,
            MsaField::CounterpartyAddress => &self.counterparty_address,
            MsaField::SignerName => &self.signer_name,
            MsaField::SignerEmail => &self.signer_email,
            MsaField::DynamicsMsaId => &self.dynamics_msa_id,
            MsaField::DynamicsMsaNumber => &self.dynamics_msa_number,
            MsaField::TotalContractValue => &self.total_contract_value,
        }
        .as_deref()
    }

    /// Set the id of `field`.
    #[must_use]
    pub fn with(mut self, field: MsaField, id: impl Into<String>) -> Self {
        let slot = match field {
            MsaField::AgreementDate => &mut self.agreement_date,
            MsaField::CounterpartyName => &mut self.counterparty_name,
            MsaField::CounterpartyAddress => &mut self.counterparty_address,
            MsaField::SignerName => &mut self.signer_name,
            MsaField::SignerEmail => &mut self.signer_email,
            MsaField::DynamicsMsaId => &mut self.dynamics_msa_id,
            MsaField::DynamicsMsaNumber => &mut self.dynamics_msa_number,
            MsaField::TotalContractValue => &mut self.total_contract_value,
        };
        *slot = Some(id.into());
        self
    }

    /// The id of a custom field: the one set, else its default (`dynamicsMsaId`). The webhook
    /// flows read these without the template's schema.
    pub fn custom_id(&self, field: MsaField) -> &str {
        self.get(field).or(field.default_id()).unwrap_or_default()
    }

    /// Check every id set: letters, digits and `_` (ids go into filter formulas as `[id]`).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the key (`attributes.signer_name`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        for field in MsaField::ALL {
            let Some(id) = self.get(field) else { continue };
            let valid = !id.is_empty()
                && id.len() <= 200
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return Err(ConfigError::invalid(
                    format!("attributes.{}", field.config_key()),
                    format!("{id:?} is not an Ironclad attribute id (letters, digits and _)"),
                ));
            }
        }
        Ok(())
    }
}

/// The attribute ids of the MSA template, one per [`MsaField`].
///
/// ```
/// use flows::attributes::{AttributeOverrides, MsaAttributes, MsaField};
///
/// let template: ironclad_client::workflows::WorkflowSchema = serde_json::from_str(r#"{
///   "id": "6063ac9e01a5542dafa3722b",
///   "schema": {
///     "dynamicsMsaId": {"type": "string", "displayName": "Dynamics MSA ID"},
///     "dynamicsMsaNumber": {"type": "string", "displayName": "Dynamics MSA Number"},
///     "totalContractValue": {"type": "monetaryAmount", "displayName": "Total Contract Value"},
///     "agreementDate": {"type": "date", "displayName": "Agreement Date"},
///     "counterpartyName": {"type": "string", "displayName": "Counterparty Name", "required": "always"},
///     "counterpartyAddress": {"type": "address", "displayName": "Counterparty Address"},
///     "role1f6c0b2a9e8d4c7b6a5f4e3d2c1b0a99": {"type": "string", "displayName": "Counterparty Signer Name (Always Required)"},
///     "role7a8b9c0d1e2f4a3b8c7d6e5f4a3b2c1d": {"type": "email", "displayName": "Counterparty Signer Email"}
///   }
/// }"#)?;
/// let ids = MsaAttributes::resolve(&template, &AttributeOverrides::default())?;
/// assert_eq!(ids.id(MsaField::SignerName), "role1f6c0b2a9e8d4c7b6a5f4e3d2c1b0a99");
/// assert_eq!(ids.id(MsaField::TotalContractValue), "totalContractValue");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsaAttributes {
    ids: BTreeMap<&'static str, String>,
}

impl MsaAttributes {
    /// The attribute id of `field`.
    pub fn id(&self, field: MsaField) -> &str {
        self.ids.get(field.config_key()).map_or("", String::as_str)
    }

    /// Find every field in `template` (see the [module docs](self)); `overrides` win.
    ///
    /// # Errors
    /// [`UnresolvedAttribute`] for the first field that cannot be found, or is ambiguous, or
    /// has the wrong type.
    pub fn resolve(
        template: &WorkflowSchema,
        overrides: &AttributeOverrides,
    ) -> Result<Self, UnresolvedAttribute> {
        let mut ids = BTreeMap::new();
        for field in MsaField::ALL {
            let id = resolve_one(template, field, overrides.get(field))?;
            ids.insert(field.config_key(), id);
        }
        Ok(Self { ids })
    }

    /// Read the launch form of `template_id` (`GET /workflow-schemas/{id}?form=launch`) and
    /// [resolve](MsaAttributes::resolve) every field.
    ///
    /// # Errors
    /// [`ResolveError::Ironclad`] when the form cannot be read (a 404: no such template),
    /// [`ResolveError::Unresolved`] when a field cannot be found.
    ///
    /// ```no_run
    /// # async fn demo(ironclad: ironclad_client::Client) -> Result<(), flows::attributes::ResolveError> {
    /// use flows::attributes::{AttributeOverrides, MsaAttributes, MsaField};
    ///
    /// let ids = MsaAttributes::fetch(&ironclad, &"6063ac9e01a5542dafa3722b".into(), &AttributeOverrides::default()).await?;
    /// println!("the signer's email goes to {}", ids.id(MsaField::SignerEmail));
    /// # Ok(()) }
    /// ```
    pub async fn fetch(
        ironclad: &ironclad_client::Client,
        template_id: &TemplateId,
        overrides: &AttributeOverrides,
    ) -> Result<Self, ResolveError> {
        let template = ironclad.workflow_schemas().get(template_id).await?;
        Ok(Self::resolve(&template, overrides)?)
    }
}

/// Why [`MsaAttributes::fetch`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The template's launch form could not be read.
    #[error("cannot read the MSA template's launch form: {0}")]
    Ironclad(#[from] ironclad_client::Error),
    /// A field is not in the template.
    #[error("{0}")]
    Unresolved(#[from] UnresolvedAttribute),
}

/// A field of the MSA workflow that the template does not provide. `Display` is one line naming
/// the field, what was looked for, what the template offers and the config key to set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the MSA template {template} has no {field} attribute: {reason}; set attributes.{key} in the config file", key = field.config_key())]
#[non_exhaustive]
pub struct UnresolvedAttribute {
    /// The field.
    pub field: MsaField,
    /// The template id.
    pub template: TemplateId,
    /// What was looked for and what the template offers.
    pub reason: String,
}

/// How a standard field is looked for, in this order.
#[derive(Debug, Clone, Copy)]
enum FoundBy {
    /// Its record `propertyKey` (workflow schemas carry it; launch forms usually do not).
    PropertyKey,
    /// An attribute id equal to the property key (`counterpartyName`, `agreementDate`).
    Id,
    /// Its label.
    Label,
}

impl FoundBy {
    fn name(self) -> &'static str {
        match self {
            FoundBy::PropertyKey => "propertyKey",
            FoundBy::Id => "id",
            FoundBy::Label => "label",
        }
    }
}

/// `"counterparty signer name"` from `" Counterparty Signer Name (Always Required) "`.
fn normalized_label(label: &str) -> String {
    let label = label.trim();
    let label =
        match label.strip_suffix(')').and_then(|head| head.rfind(" (").map(|at| &head[..at])) {
            Some(head) if !head.trim().is_empty() => head,
            _ => label,
        };
    label.trim().to_lowercase()
}

fn resolve_one(
    template: &WorkflowSchema,
    field: MsaField,
    set: Option<&str>,
) -> Result<String, UnresolvedAttribute> {
    let fail =
        |reason: String| UnresolvedAttribute { field, template: template.id.clone(), reason };
    let schema = &template.schema;
    let checked = |id: &str, how: &str| -> Result<String, UnresolvedAttribute> {
        let Some(found) = schema.get(id) else {
            return Err(fail(format!(
                "{how} {id:?} is not one of its fields; {}",
                offers(schema, field)
            )));
        };
        if field.accepts(&found.field_type) {
            Ok(id.to_owned())
        } else {
            Err(fail(format!(
                "{how} {id:?} is a {} field, not {}",
                found.field_type.as_str(),
                field.type_name()
            )))
        }
    };
    if let Some(id) = set {
        return checked(id, &format!("attributes.{} =", field.config_key()));
    }
    let Some(property_key) = field.property_key() else {
        let id = field.default_id().unwrap_or_default();
        return checked(id, "the id");
    };
    let wanted_label = normalized_label(field.label());
    let matches = |how: FoundBy, id: &str, found: &SchemaField| match how {
        FoundBy::PropertyKey => found.property_key.as_deref() == Some(property_key),
        FoundBy::Id => id == property_key,
        FoundBy::Label => {
            found.display_name.as_deref().is_some_and(|name| normalized_label(name) == wanted_label)
        }
    };
    for how in [FoundBy::PropertyKey, FoundBy::Id, FoundBy::Label] {
        let found: Vec<&str> = schema
            .iter()
            .filter(|(id, f)| matches(how, id, f))
            .map(|(id, _)| id.as_str())
            .collect();
        match found.as_slice() {
            [] => continue,
            [only] => return checked(only, &format!("the field with {}", how.name())),
            many => {
                return Err(fail(format!(
                    "several fields match by {}: {}",
                    how.name(),
                    many.iter().map(|id| format!("{id:?}")).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    Err(fail(format!(
        "no field has propertyKey or id {property_key:?} or the label {:?}; {}",
        field.label(),
        offers(schema, field)
    )))
}

/// `its email fields are a ("Signer Email"), b ("Other")`, or that it has none.
fn offers(schema: &BTreeMap<String, SchemaField>, field: MsaField) -> String {
    const SHOWN: usize = 12;
    let fitting: Vec<String> = schema
        .iter()
        .filter(|(_, f)| field.accepts(&f.field_type))
        .map(|(id, f)| match &f.display_name {
            Some(name) => format!("{id} ({name:?})"),
            None => id.clone(),
        })
        .collect();
    let kind = field.type_name();
    match fitting.len() {
        0 => format!("it has no {kind} field"),
        n if n > SHOWN => {
            format!("its {kind} fields are {} and {} more", fitting[..SHOWN].join(", "), n - SHOWN)
        }
        _ => format!("its {kind} fields are {}", fitting.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A launch form shaped like a real tenant's: role-scoped signer ids, labels with a remark,
    /// no `propertyKey` (launch forms leave it out).
    fn launch_form() -> serde_json::Value {
        json!({
            "id": "5f0c7a2e9b1d4c3a8e6f7b10",
            "name": "Master Services Agreement",
            "schema": {
                "agreementDate": {"type": "date", "displayName": "Agreement Date", "required": "never"},
                "counterpartyName": {"type": "string", "displayName": "Counterparty Name (Always Required)", "required": "always"},
                "counterpartyAddress": {"type": "address", "displayName": "Counterparty Address", "required": "never"},
                "role3c1d2e4f5a6b4c7d8e9f0a1b2c3d4e5f": {"type": "string", "displayName": "Counterparty Signer Name (Always Required)", "required": "always"},
                "role9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b": {"type": "email", "displayName": "Counterparty Signer Email (Always Required)", "required": "always"},
                "dynamicsMsaId": {"type": "string", "displayName": "Dynamics MSA ID", "required": "never"},
                "dynamicsMsaNumber": {"type": "string", "displayName": "Dynamics MSA Number", "required": "never"},
                "totalContractValue": {"type": "monetaryAmount", "displayName": "Total Contract Value", "required": "never"},
                "paperSource": {"type": "string", "displayName": "Paper Source", "required": "never"}
            },
            "permissions": ["launch", "view"]
        })
    }

    fn schema(value: serde_json::Value) -> WorkflowSchema {
        serde_json::from_value(value).unwrap()
    }

    fn resolve(value: serde_json::Value) -> Result<MsaAttributes, UnresolvedAttribute> {
        MsaAttributes::resolve(&schema(value), &AttributeOverrides::default())
    }

    #[test]
    fn a_launch_form_with_role_ids_resolves_by_label() {
        let ids = resolve(launch_form()).unwrap();
        assert_eq!(ids.id(MsaField::SignerName), "role3c1d2e4f5a6b4c7d8e9f0a1b2c3d4e5f");
        assert_eq!(ids.id(MsaField::SignerEmail), "role9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b");
        assert_eq!(ids.id(MsaField::AgreementDate), "agreementDate");
        assert_eq!(ids.id(MsaField::CounterpartyName), "counterpartyName");
        assert_eq!(ids.id(MsaField::DynamicsMsaId), "dynamicsMsaId");
    }

    #[test]
    fn property_keys_win_over_labels() {
        let mut form = launch_form();
        let fields = form["schema"].as_object_mut().unwrap();
        // A workflow schema's shape: the signer field carries its record property key, and a
        // decoy field has the label.
        fields["role3c1d2e4f5a6b4c7d8e9f0a1b2c3d4e5f"]["propertyKey"] = json!("counterpartySigner");
        fields["role3c1d2e4f5a6b4c7d8e9f0a1b2c3d4e5f"]["displayName"] = json!("Signer");
        fields.insert(
            "legacySignerName".into(),
            json!({"type": "string", "displayName": "Counterparty Signer Name"}),
        );
        let ids = resolve(form).unwrap();
        assert_eq!(ids.id(MsaField::SignerName), "role3c1d2e4f5a6b4c7d8e9f0a1b2c3d4e5f");
    }

    #[test]
    fn a_missing_field_names_itself_and_what_the_template_offers() {
        let mut form = launch_form();
        let fields = form["schema"].as_object_mut().unwrap();
        fields.remove("role3c1d2e4f5a6b4c7d8e9f0a1b2c3d4e5f");
        let error = resolve(form).unwrap_err();
        assert_eq!(error.field, MsaField::SignerName);
        let text = error.to_string();
        assert!(!text.contains('\n'));
        assert!(text.starts_with("the MSA template 5f0c7a2e9b1d4c3a8e6f7b10 has no Counterparty Signer Name attribute: no field has propertyKey or id \"counterpartySigner\" or the label \"Counterparty Signer Name\"; its string fields are "), "{text}");
        assert!(
            text.contains("counterpartyName (\"Counterparty Name (Always Required)\")"),
            "{text}"
        );
        assert!(text.ends_with("set attributes.signer_name in the config file"), "{text}");
    }

    #[test]
    fn a_missing_custom_field_is_an_error_too() {
        let mut form = launch_form();
        form["schema"].as_object_mut().unwrap().remove("totalContractValue");
        let error = resolve(form).unwrap_err();
        assert_eq!(error.field, MsaField::TotalContractValue);
        assert!(error.to_string().contains("the id \"totalContractValue\" is not one of its fields; it has no monetaryAmount field"), "{error}");
    }

    #[test]
    fn overrides_must_name_a_field_of_the_right_type() {
        let form = schema(launch_form());
        let set = AttributeOverrides::default().with(MsaField::TotalContractValue, "paperSource");
        let error = MsaAttributes::resolve(&form, &set).unwrap_err();
        assert!(error.to_string().contains("attributes.total_contract_value = \"paperSource\" is a string field, not monetaryAmount"), "{error}");
        let set = AttributeOverrides::default().with(MsaField::SignerName, "paperSource");
        assert_eq!(
            MsaAttributes::resolve(&form, &set).unwrap().id(MsaField::SignerName),
            "paperSource"
        );
        let set = AttributeOverrides::default().with(MsaField::SignerName, "nope");
        assert!(MsaAttributes::resolve(&form, &set).is_err());
    }

    #[test]
    fn two_fields_with_the_label_are_ambiguous() {
        let mut form = launch_form();
        form["schema"].as_object_mut().unwrap().insert(
            "role0a0b0c0d0e0f40a1b2c3d4e5f6a7b8c9".into(),
            json!({"type": "email", "displayName": "Counterparty signer email"}),
        );
        let error = resolve(form).unwrap_err();
        assert_eq!(error.field, MsaField::SignerEmail);
        assert!(error.to_string().contains("several fields match by label"), "{error}");
    }

    #[test]
    fn labels_ignore_case_blanks_and_a_trailing_remark() {
        assert_eq!(
            normalized_label(" Counterparty Signer Name (Always Required) "),
            "counterparty signer name"
        );
        assert_eq!(normalized_label("Agreement Date"), "agreement date");
        assert_eq!(normalized_label("(Always Required)"), "(always required)");
    }

    #[test]
    fn override_ids_are_validated() {
        let bad = AttributeOverrides::default().with(MsaField::DynamicsMsaId, "a]b");
        let error = bad.validate().unwrap_err().to_string();
        assert!(error.starts_with("attributes.dynamics_msa_id is invalid"), "{error}");
        assert_eq!(
            AttributeOverrides::default().custom_id(MsaField::DynamicsMsaId),
            "dynamicsMsaId"
        );
    }
}
