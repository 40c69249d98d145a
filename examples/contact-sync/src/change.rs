//! [`ContactChange`]: what one delivery asks the user store to do, read from either payload
//! shape through the connection's field mappings.

use dataverse_webhook_types::{
    Entity, Field, Message, OptionSetChoice, PayloadShape, Value, ValueKind, WebhookDelivery,
};
use serde_json::Value as Json;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::mapping::{FieldMappings, UserField};

/// What a delivery asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeKind {
    /// `Create` / `Created`: upsert, and a deleted contact may come back.
    Create,
    /// `Update` / `Updated` / `Modify` / `Modified` (and `SetState`): upsert.
    Update,
    /// `Delete` / `Deleted`: deactivate and unlink the user; never erase it.
    Delete,
    /// A Create/Update whose `Target` Dataverse dropped because the payload exceeded 256 KB:
    /// nothing can be applied without re-reading the row.
    Truncated,
}

/// A new value for one user field.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FieldUpdate {
    /// Text for first name, last name, email or phone (trimmed, never empty).
    Text(String),
    /// The `active` flag.
    Active(bool),
    /// A custom attribute's value (money and decimals as exact strings, dates as RFC 3339).
    Json(Json),
    /// The column was `null`: it has no value in Dataverse any more.
    Clear,
}

/// One contact change, normalized from a Power Automate body or a `RemoteExecutionContext`.
///
/// Columns that are missing or `""` (a flow's empty dynamic content) produce no update, so they
/// never wipe a stored value; `null` clears it.
///
/// ```
/// use dataverse_webhook_types::WebhookDelivery;
/// use contact_sync::{ChangeKind, ContactChange, FieldMappings, FieldUpdate, UserField};
///
/// let body = br#"{"MessageName":"Modified","PrimaryEntityName":"contact",
///   "PrimaryEntityId":"6d81597f-0f9f-e711-8122-000d3aa2331c",
///   "InputParameters":[{"key":"Target","value":{
///     "firstname":"Ada","lastname":"","emailaddress1":"ada@example.com","telephone1":null,"statecode":"1"}}]}"#;
/// let delivery = WebhookDelivery::parse(&http::HeaderMap::new(), body)?;
/// let change = ContactChange::from_delivery(&delivery, &FieldMappings::default())?;
/// assert_eq!(change.kind(), ChangeKind::Update);
/// assert_eq!(change.update(&UserField::FirstName), Some(&FieldUpdate::Text("Ada".into())));
/// assert_eq!(change.update(&UserField::LastName), None); // "" never wipes
/// assert_eq!(change.update(&UserField::Phone), Some(&FieldUpdate::Clear));
/// assert_eq!(change.update(&UserField::Active), Some(&FieldUpdate::Active(false)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ContactChange {
    kind: ChangeKind,
    contact_id: Uuid,
    message_name: String,
    shape: PayloadShape,
    modified_on_ms: Option<i64>,
    occurred_at_ms: Option<i64>,
    updates: Vec<(UserField, FieldUpdate)>,
}

/// Why a delivery is not a contact change this receiver can apply (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// The row is of another table.
    #[error("not a contact change: the row is a `{table}`, not a `contact`")]
    NotContact {
        /// The table's logical name.
        table: String,
    },
    /// Neither `PrimaryEntityName`, the target nor the `x-ms-dynamics-entity-name` header names
    /// the table.
    #[error("not a contact change: the body does not name its table (PrimaryEntityName)")]
    NoTable,
    /// The message is not Create/Update/Delete (or SetState).
    #[error(
        "MessageName `{name}` is not a contact change (expected Create/Created, Update/Updated/Modify/Modified or Delete/Deleted)"
    )]
    UnsupportedMessage {
        /// The message as sent.
        name: String,
    },
    /// No contact id: `PrimaryEntityId` is missing or empty and the target has no id.
    #[error("no contact id: PrimaryEntityId is missing or empty")]
    NoContactId,
    /// A Create/Update without a `Target`.
    #[error("{message} has no InputParameters Target with the contact's columns")]
    NoTarget {
        /// The normalized message.
        message: &'static str,
    },
    /// A mapped column holds a value of the wrong kind.
    #[error("column `{column}`: expected {expected}, found {found}")]
    BadColumn {
        /// The column.
        column: String,
        /// What the user field needs.
        expected: &'static str,
        /// What the payload held (never the value itself: it is personal data).
        found: &'static str,
    },
}

impl ChangeError {
    /// A stable machine-readable code for the 400 body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotContact { .. } | Self::NoTable => "not_a_contact_change",
            Self::UnsupportedMessage { .. } => "unsupported_message",
            Self::NoContactId => "missing_contact_id",
            Self::NoTarget { .. } => "missing_target",
            Self::BadColumn { .. } => "invalid_column",
        }
    }
}

impl ContactChange {
    /// Read a parsed delivery through `mappings`.
    ///
    /// # Errors
    /// When the delivery is not about a contact, its message is not a change, it carries no
    /// contact id or no `Target`, or a mapped column has a value of the wrong kind.
    pub fn from_delivery(
        delivery: &WebhookDelivery,
        mappings: &FieldMappings,
    ) -> Result<Self, ChangeError> {
        let context = &delivery.context;
        match delivery.row_logical_name() {
            Some(table) if table.trim().eq_ignore_ascii_case("contact") => {}
            Some(table) => return Err(ChangeError::NotContact { table: table.to_owned() }),
            None => return Err(ChangeError::NoTable),
        }
        let kind = match delivery.message() {
            Message::Create => ChangeKind::Create,
            Message::Update => ChangeKind::Update,
            Message::Delete => ChangeKind::Delete,
            Message::Other(name) if is_set_state(&name) => ChangeKind::Update,
            other => return Err(ChangeError::UnsupportedMessage { name: other.to_string() }),
        };
        let contact_id = delivery.row_id().ok_or(ChangeError::NoContactId)?;
        let mut change = Self {
            kind,
            contact_id,
            message_name: context.message_name.clone(),
            shape: context.shape(),
            modified_on_ms: context.modified_on().map(|at| at.unix_millis()),
            occurred_at_ms: context.operation_created_on.map(|at| at.unix_millis()),
            updates: Vec::new(),
        };
        if kind == ChangeKind::Delete {
            return Ok(change);
        }
        if is_set_state(&context.message_name) {
            // SetState (deprecated in favour of Update of statecode) carries the new state as
            // an `OptionSetValue` parameter next to the `EntityMoniker`. It is the `statecode`
            // column, so it counts only where `statecode` feeds `active`, as for an Update.
            let maps_state = mappings.column_for(&UserField::Active) == Some("statecode");
            if let Some(state) = context.input_parameter("State").and_then(option_value)
                && maps_state
            {
                change.updates.push((UserField::Active, FieldUpdate::Active(state == 0)));
            }
            return Ok(change);
        }
        let Some(target) = context.target_entity() else {
            if delivery.parameters_and_images_dropped() {
                change.kind = ChangeKind::Truncated;
                return Ok(change);
            }
            let message = if kind == ChangeKind::Create { "Create" } else { "Update" };
            return Err(ChangeError::NoTarget { message });
        };
        // An Update's Target carries only the changed columns; a post image (when the step
        // registered one) has the rest of the row as it is now.
        let post_image = context
            .post_entity_images
            .as_ref()
            .and_then(|images| images.iter().map(|(_, image)| image).next());
        for (column, field) in mappings.iter() {
            let source = if target.attributes.contains_key(column) {
                Some(target)
            } else {
                post_image.filter(|image| image.attributes.contains_key(column))
            };
            if let Some(update) = source.map(|row| read(row, column, field)).transpose()?.flatten()
            {
                change.updates.push((field.clone(), update));
            }
        }
        Ok(change)
    }

    /// What the change asks for.
    pub fn kind(&self) -> ChangeKind {
        self.kind
    }

    /// The CRM contact id (`contactid`).
    pub fn contact_id(&self) -> Uuid {
        self.contact_id
    }

    /// `MessageName` exactly as sent.
    pub fn message_name(&self) -> &str {
        &self.message_name
    }

    /// Which producer's shape the body had.
    pub fn shape(&self) -> PayloadShape {
        self.shape
    }

    /// The row's `modifiedon` in Unix milliseconds, when the payload has it: the order of
    /// changes.
    pub fn modified_on_ms(&self) -> Option<i64> {
        self.modified_on_ms
    }

    /// `OperationCreatedOn` in Unix milliseconds, when sent (registered webhooks only).
    pub fn occurred_at_ms(&self) -> Option<i64> {
        self.occurred_at_ms
    }

    /// The field updates, in mapping order.
    pub fn updates(&self) -> &[(UserField, FieldUpdate)] {
        &self.updates
    }

    /// The update of one field, if the change has one.
    pub fn update(&self, field: &UserField) -> Option<&FieldUpdate> {
        self.updates.iter().find(|(mapped, _)| mapped == field).map(|(_, update)| update)
    }

    /// The email the change carries, for matching an existing user.
    pub fn email(&self) -> Option<&str> {
        match self.update(&UserField::Email) {
            Some(FieldUpdate::Text(email)) => Some(email),
            _ => None,
        }
    }
}

fn is_set_state(name: &str) -> bool {
    let name = name.trim();
    name.eq_ignore_ascii_case("SetState") || name.eq_ignore_ascii_case("SetStateDynamicEntity")
}

fn option_value(value: &Value) -> Option<i64> {
    match value {
        Value::OptionSetValue(code) => Some(i64::from(*code)),
        Value::Integer(code) => Some(*code),
        _ => None,
    }
}

/// One mapped column → an update, or `None` when it must leave the stored value alone.
fn read(row: &Entity, column: &str, field: &UserField) -> Result<Option<FieldUpdate>, ChangeError> {
    let attributes = &row.attributes;
    let bad =
        |expected, found| ChangeError::BadColumn { column: column.to_owned(), expected, found };
    match field {
        UserField::Active => {
            if let Some(Value::Bool(flag)) = attributes.get(column) {
                return Ok(Some(FieldUpdate::Active(*flag)));
            }
            const EXPECTED: &str = "0, 1, \"Active\" or \"Inactive\"";
            let choice = attributes.get_option_set(column).map_err(|e| bad(EXPECTED, e.found()))?;
            match choice {
                Field::Value(OptionSetChoice::Value(0)) => Ok(Some(FieldUpdate::Active(true))),
                Field::Value(OptionSetChoice::Value(1)) => Ok(Some(FieldUpdate::Active(false))),
                Field::Value(OptionSetChoice::Label(label))
                    if label.eq_ignore_ascii_case("active") =>
                {
                    Ok(Some(FieldUpdate::Active(true)))
                }
                Field::Value(OptionSetChoice::Label(label))
                    if label.eq_ignore_ascii_case("inactive") =>
                {
                    Ok(Some(FieldUpdate::Active(false)))
                }
                Field::Value(OptionSetChoice::Value(_)) => Err(bad(EXPECTED, "another state code")),
                Field::Value(_) => Err(bad(EXPECTED, "another label")),
                // Missing, "" or null: a state is never cleared, so leave it alone.
                _ => Ok(None),
            }
        }
        UserField::Attribute(_) => match attributes.get(column) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(FieldUpdate::Clear)),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(value) => json_of(value)
                .map(|json| Some(FieldUpdate::Json(json)))
                .ok_or_else(|| bad("a single value", kind_name(value))),
        },
        _ => match attributes.get(column) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(FieldUpdate::Clear)),
            Some(Value::String(text)) => {
                let text = text.trim();
                Ok((!text.is_empty()).then(|| FieldUpdate::Text(text.to_owned())))
            }
            // A phone number typed as a number, a GUID wrapper: keep them as text.
            Some(Value::Integer(number)) => Ok(Some(FieldUpdate::Text(number.to_string()))),
            Some(Value::Decimal(number)) => Ok(Some(FieldUpdate::Text(number.to_string()))),
            Some(Value::Guid(id)) => Ok(Some(FieldUpdate::Text(id.to_string()))),
            Some(value) => Err(bad("text", kind_name(value))),
        },
    }
}

/// A custom attribute's stored form; `None` for rows and collections.
fn json_of(value: &Value) -> Option<Json> {
    Some(match value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Integer(number) => Json::from(*number),
        // Exact: money and decimals never go through f64.
        Value::Decimal(amount) | Value::Money(amount) => Json::String(amount.to_string()),
        Value::OptionSetValue(code) => Json::from(*code),
        Value::OptionSetValues(codes) => Json::from(codes.clone()),
        Value::Guid(id) => Json::String(id.to_string()),
        Value::DateTime(at) => Json::String(at.utc().format(&Rfc3339).ok()?),
        Value::String(text) => match value.as_datetime() {
            Some(at) if value.kind() == ValueKind::DateTime => {
                Json::String(at.utc().format(&Rfc3339).ok()?)
            }
            _ => Json::String(text.trim().to_owned()),
        },
        Value::EntityReference(reference) => Json::String(reference.id?.to_string()),
        _ => return None,
    })
}

fn kind_name(value: &Value) -> &'static str {
    match value.kind() {
        ValueKind::Boolean => "a boolean",
        ValueKind::Money => "a money value",
        ValueKind::DateTime => "a date-time",
        ValueKind::OptionSet => "an option set value",
        ValueKind::OptionSets => "option set values",
        ValueKind::Reference => "an entity reference",
        ValueKind::Entity => "an entity",
        ValueKind::EntityCollection => "an entity collection",
        ValueKind::Array => "an array",
        _ => "another kind of value",
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    const CONTACT: &str = "6d81597f-0f9f-e711-8122-000d3aa2331c";

    fn flow(message: &str, target: &str) -> Result<ContactChange, ChangeError> {
        let body = format!(
            r#"{{"MessageName":"{message}","PrimaryEntityName":"contact","PrimaryEntityId":"{CONTACT}",
               "InputParameters":[{{"key":"Target","value":{target}}}]}}"#
        );
        let delivery = WebhookDelivery::parse(&HeaderMap::new(), body.as_bytes()).unwrap();
        ContactChange::from_delivery(&delivery, &FieldMappings::default())
    }

    #[test]
    fn statecode_in_every_form() {
        for (sent, active) in [
            ("0", true),
            ("\"0\"", true),
            ("\"Active\"", true),
            ("\"active\"", true),
            ("1", false),
            ("\"1\"", false),
            ("\"Inactive\"", false),
            ("true", true),
            (
                r#"{"__type":"OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts","Value":1}"#,
                false,
            ),
        ] {
            let change = flow("Update", &format!(r#"{{"statecode":{sent}}}"#)).unwrap();
            assert_eq!(
                change.update(&UserField::Active),
                Some(&FieldUpdate::Active(active)),
                "{sent}"
            );
        }
        for absent in ["\"\"", "null"] {
            let change = flow("Update", &format!(r#"{{"statecode":{absent}}}"#)).unwrap();
            assert_eq!(change.update(&UserField::Active), None, "{absent}");
        }
        let error = flow("Update", r#"{"statecode":2}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "column `statecode`: expected 0, 1, \"Active\" or \"Inactive\", found another state code"
        );
        assert!(flow("Update", r#"{"statecode":"Suspended"}"#).is_err());
    }

    #[test]
    fn empty_strings_never_produce_updates() {
        let change = flow(
            "Create",
            r#"{"firstname":"","lastname":"  ","emailaddress1":"","telephone1":"","statecode":""}"#,
        )
        .unwrap();
        assert!(change.updates().is_empty(), "{:?}", change.updates());
        assert_eq!(change.kind(), ChangeKind::Create);
    }

    #[test]
    fn other_tables_and_messages_are_refused() {
        let body = br#"{"MessageName":"Update","PrimaryEntityName":"account","PrimaryEntityId":"6d81597f-0f9f-e711-8122-000d3aa2331c","InputParameters":[]}"#;
        let delivery = WebhookDelivery::parse(&HeaderMap::new(), body).unwrap();
        let error = ContactChange::from_delivery(&delivery, &FieldMappings::default()).unwrap_err();
        assert_eq!(error, ChangeError::NotContact { table: "account".into() });
        assert_eq!(error.code(), "not_a_contact_change");

        let error = flow("Assign", "{}").unwrap_err();
        assert_eq!(error, ChangeError::UnsupportedMessage { name: "Assign".into() });

        let body = br#"{"MessageName":"Update","PrimaryEntityName":"contact","InputParameters":[{"key":"Target","value":{"firstname":"x"}}]}"#;
        let delivery = WebhookDelivery::parse(&HeaderMap::new(), body).unwrap();
        assert_eq!(
            ContactChange::from_delivery(&delivery, &FieldMappings::default()),
            Err(ChangeError::NoContactId)
        );
    }

    #[test]
    fn set_state_follows_the_statecode_mapping() {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../dataverse-webhook-types/tests/fixtures/setstate_contact.json"
        ))
        .unwrap();
        let delivery = WebhookDelivery::parse(&HeaderMap::new(), &body).unwrap();
        let change = ContactChange::from_delivery(&delivery, &FieldMappings::default()).unwrap();
        assert_eq!(change.kind(), ChangeKind::Update);
        assert_eq!(change.updates(), [(UserField::Active, FieldUpdate::Active(false))]);

        // A connection whose `active` is fed by another column (or by none) ignores SetState.
        for mappings in [
            FieldMappings::new([("emailaddress1", "email")]).unwrap(),
            FieldMappings::new([("new_enabled", "active")]).unwrap(),
        ] {
            let change = ContactChange::from_delivery(&delivery, &mappings).unwrap();
            assert!(change.updates().is_empty(), "{mappings:?}: {:?}", change.updates());
        }
    }

    #[test]
    fn custom_attributes_keep_exact_values() {
        let mappings = FieldMappings::new([
            ("new_budget", "attribute:budget"),
            ("new_tier", "attribute:tier"),
        ])
        .unwrap();
        let body = format!(
            r#"{{"MessageName":"Update","PrimaryEntityName":"contact","PrimaryEntityId":"{CONTACT}",
               "InputParameters":[{{"key":"Target","value":{{"new_budget":1234567.8912,"new_tier":3}}}}]}}"#
        );
        let delivery = WebhookDelivery::parse(&HeaderMap::new(), body.as_bytes()).unwrap();
        let change = ContactChange::from_delivery(&delivery, &mappings).unwrap();
        assert_eq!(
            change.update(&UserField::Attribute("budget".into())),
            Some(&FieldUpdate::Json(Json::String("1234567.8912".into())))
        );
        assert_eq!(
            change.update(&UserField::Attribute("tier".into())),
            Some(&FieldUpdate::Json(Json::from(3)))
        );
    }
}
