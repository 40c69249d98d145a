//! The bulk messages `CreateMultiple`, `UpdateMultiple`, `UpsertMultiple` and `DeleteMultiple`,
//! bound to an entity set: `POST <set>/Microsoft.Dynamics.CRM.<Message>` with `{"Targets": […]}`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations>).
//!
//! As on a standard table, a request is one transaction: the first failing target fails it and
//! nothing of it is kept. Every target needs `"@odata.type": "Microsoft.Dynamics.CRM.<table>"`.
//! `CreateMultiple` answers `{"Ids": […]}`; the others `204`. `UpdateMultiple` finds rows by their
//! primary key column; `UpsertMultiple` by `@odata.id` (`<set>(<key>)`) or the primary key, and
//! refuses a row that repeats its alternate-key columns when it would create it (`400`,
//! `0x80040216`), as the real service does. A table without the messages
//! ([`EntitySetDef::bulk_messages`](super::EntitySetDef::bulk_messages)) answers `0x80040800`;
//! `DeleteMultiple` exists only for elastic tables, which the sandbox does not emulate, so every
//! table answers it that way.

use http::StatusCode;
use uuid::Uuid;

use super::errors::DvError;
use super::keys::{self, RowKey};
use super::notes::bad;
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::EntitySetDef;
use super::store::{Row, Store};
use crate::json::{Json, JsonObject};

const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// The bulk messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Message {
    Create,
    Update,
    Upsert,
    Delete,
}

impl Message {
    /// The message a bound operation segment names (`Microsoft.Dynamics.CRM.CreateMultiple`).
    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        match segment.strip_prefix(NAMESPACE)? {
            "CreateMultiple" => Some(Message::Create),
            "UpdateMultiple" => Some(Message::Update),
            "UpsertMultiple" => Some(Message::Upsert),
            "DeleteMultiple" => Some(Message::Delete),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Message::Create => "CreateMultiple",
            Message::Update => "UpdateMultiple",
            Message::Upsert => "UpsertMultiple",
            Message::Delete => "DeleteMultiple",
        }
    }
}

/// Run `message` on table `def`.
pub(crate) fn handle(
    store: &mut Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    message: Message,
) -> Result<Reply, DvError> {
    let mut body = request.json_body(message.name())?;
    if !def.bulk_messages || message == Message::Delete {
        return Err(DvError::new(
            StatusCode::BAD_REQUEST,
            "0x80040800",
            format!(
                "The '{}' method does not support entities of type '{}'. MessageProcessorCache returned MessageProcessor.Empty.",
                message.name(),
                def.logical_name
            ),
        ));
    }
    let targets = match body.remove("Targets") {
        Some(Json::Array(targets)) => targets,
        Some(_) => {
            return Err(DvError::convert(
                message.name(),
                "The parameter 'Targets' must be a collection of entities.",
            ));
        }
        None => return Err(bad("Required parameter 'Targets' is missing.")),
    };
    if let Some(unknown) = body.keys().next() {
        return Err(DvError::payload(
            message.name(),
            format!(
                "Microsoft.OData.ODataException: The parameter '{unknown}' in the request payload is not a valid parameter for the operation '{}'.",
                message.name()
            ),
        ));
    }
    let mut touched: Vec<(Uuid, Option<Row>)> = Vec::new();
    let mut ids = Vec::with_capacity(targets.len());
    for target in targets {
        match apply(store, def, message, target, &mut touched) {
            Ok(id) => ids.push(id),
            Err(error) => {
                // One transaction: put back every row this request touched, newest first.
                for (id, previous) in touched.into_iter().rev() {
                    store.restore(&def.entity_set, id, previous);
                }
                return Err(error);
            }
        }
    }
    if message == Message::Create {
        let ids: Vec<Json> = ids.iter().map(|id| Json::String(id.to_string())).collect();
        let response = JsonObject::new()
            .with("@odata.context", request.context(&format!("{NAMESPACE}CreateMultipleResponse")))
            .with("Ids", Json::Array(ids));
        return Ok(Reply::json(StatusCode::OK, response));
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// The id in the primary key column of `target`, removed from it.
fn take_id(def: &EntitySetDef, target: &mut JsonObject) -> Result<Option<Uuid>, DvError> {
    match target.remove(&def.primary_key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(text)) => Uuid::parse_str(&text).map(Some).map_err(|_| {
            DvError::convert(
                &def.entity_set,
                &format!("Cannot convert the literal '{text}' to the expected type 'Edm.Guid'."),
            )
        }),
        Some(other) => Err(DvError::convert(
            &def.entity_set,
            &format!("Cannot convert the literal '{other}' to the expected type 'Edm.Guid'."),
        )),
    }
}

/// Apply one target; remember the rows it touched (with their previous state) for a rollback.
fn apply(
    store: &mut Store,
    def: &EntitySetDef,
    message: Message,
    target: Json,
    touched: &mut Vec<(Uuid, Option<Row>)>,
) -> Result<Uuid, DvError> {
    let Json::Object(mut target) = target else {
        return Err(DvError::convert(
            message.name(),
            "A target must be an entity (a JSON object).",
        ));
    };
    let expected = format!("{NAMESPACE}{}", def.logical_name);
    match target.remove("@odata.type") {
        Some(Json::String(kind)) if kind == expected => {}
        Some(Json::String(kind)) => {
            return Err(bad(format!(
                "The entity type '{kind}' of a target does not match the entity set '{}' ({expected}).",
                def.entity_set
            )));
        }
        _ => {
            return Err(bad(format!(
                "Every item of Targets must set \"@odata.type\" ({expected})."
            )));
        }
    }
    let odata_id = match target.remove("@odata.id") {
        Some(Json::String(text)) if message == Message::Upsert => Some(text),
        Some(_) => return Err(bad("\"@odata.id\" is only taken by UpsertMultiple, as text.")),
        None => None,
    };
    let id = take_id(def, &mut target)?;
    match message {
        Message::Create => {
            let created = store.create(&def.entity_set, id, &target)?;
            touched.push((created, None));
            Ok(created)
        }
        Message::Update => {
            let id = id.ok_or_else(|| {
                bad(format!("Each target of UpdateMultiple needs its {}.", def.primary_key))
            })?;
            let previous = store.existing_row(def, id)?.clone();
            store.update(&def.entity_set, id, &target)?;
            touched.push((id, Some(previous)));
            Ok(id)
        }
        Message::Upsert => {
            let key = match (odata_id, id) {
                (Some(reference), _) => reference_key(def, &reference)?,
                (None, Some(id)) => RowKey::Id(id),
                (None, None) => {
                    return Err(bad(
                        "Each target of UpsertMultiple needs \"@odata.id\" or its primary key.",
                    ));
                }
            };
            match (store.resolve(&def.entity_set, &key), key) {
                (Some(found), _) => {
                    let previous = store.get(&def.entity_set, found).cloned();
                    store.update(&def.entity_set, found, &target)?;
                    touched.push((found, previous));
                    Ok(found)
                }
                (None, RowKey::Id(id)) => {
                    let created = store.create(&def.entity_set, Some(id), &target)?;
                    touched.push((created, None));
                    Ok(created)
                }
                (None, RowKey::Alternate(values)) => {
                    if values.iter().any(|(column, _)| target.contains_key(column)) {
                        // What the service answers when a row to create repeats its key columns.
                        return Err(DvError::server_error(StatusCode::BAD_REQUEST));
                    }
                    let created = store.create_with(&def.entity_set, None, values, &target)?;
                    touched.push((created, None));
                    Ok(created)
                }
            }
        }
        Message::Delete => Err(bad("DeleteMultiple is not emulated.")),
    }
}

/// The key of `@odata.id` (`accounts(accountnumber='A-1')`, relative or absolute).
fn reference_key(def: &EntitySetDef, reference: &str) -> Result<RowKey, DvError> {
    let segment = reference.rsplit('/').next().unwrap_or(reference);
    let (set, key) = keys::split_segment(segment)?;
    if set != def.entity_set {
        return Err(bad(format!(
            "\"@odata.id\" '{reference}' does not name a row of '{}'.",
            def.entity_set
        )));
    }
    let key = key.ok_or_else(DvError::query_syntax)?;
    keys::parse(def, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataverse::cell::Cell;
    use crate::dataverse::schema::DataverseSchema;

    fn text(value: &str) -> Cell {
        Cell::Text(value.to_owned())
    }

    #[test]
    fn reads_the_bound_message_names() {
        assert_eq!(
            Message::from_segment("Microsoft.Dynamics.CRM.CreateMultiple"),
            Some(Message::Create)
        );
        assert_eq!(
            Message::from_segment("Microsoft.Dynamics.CRM.UpsertMultiple"),
            Some(Message::Upsert)
        );
        assert_eq!(Message::from_segment("CreateMultiple"), None);
        assert_eq!(Message::from_segment("Microsoft.Dynamics.CRM.WinOpportunity"), None);
    }

    #[test]
    fn reference_keys_must_name_the_bound_set() {
        let schema = DataverseSchema::default();
        let accounts = schema.set("accounts").expect("accounts");
        assert_eq!(
            reference_key(accounts, "accounts(accountnumber='A-1')").expect("key"),
            RowKey::Alternate(vec![("accountnumber".to_owned(), text("A-1"))])
        );
        assert!(reference_key(accounts, "contacts(accountnumber='A-1')").is_err());
        assert!(reference_key(accounts, "accounts").is_err());
    }
}
