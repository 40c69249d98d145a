//! Turning rows into the `Targets` of a bulk message, or into one `$batch` request each.
//!
//! Shapes from [Use bulk operation messages](https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations)
//! and the [UpsertMultiple action](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/upsertmultiple):
//! every target carries `@odata.type`; `UpdateMultiple` and `DeleteMultiple` identify rows by
//! their primary key column (with `partitionid` on elastic tables); `UpsertMultiple` identifies
//! them with `@odata.id` (`accounts(accountnumber='A-1')`) and must not repeat the alternate-key
//! columns in the row, which Dataverse rejects on the create path (`400`, `0x80040216`).

use serde_json::{Map, Value};
use uuid::Uuid;

use super::row::BulkRow;
use crate::batch::BatchRequest;
use crate::operations::NAMESPACE;
use crate::query::Literal;
use crate::records::RecordKey;

/// The column that holds an elastic table row's partition.
const PARTITION_ID: &str = "partitionid";

/// The bulk messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Message {
    Create,
    Update,
    Upsert,
    Delete,
}

impl Message {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Message::Create => "CreateMultiple",
            Message::Update => "UpdateMultiple",
            Message::Upsert => "UpsertMultiple",
            Message::Delete => "DeleteMultiple",
        }
    }
}

/// A row checked and split into its key, partition and other columns.
#[derive(Debug)]
pub(crate) struct Prepared {
    key: Option<RecordKey>,
    partition_id: Option<String>,
    columns: Map<String, Value>,
}

/// The JSON form of a key literal, to compare with the same column in a row.
pub(crate) fn literal_json(literal: &Literal) -> Value {
    match literal {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::from(*i),
        Literal::String(s) => Value::String(s.clone()),
        Literal::Guid(g) => Value::String(g.to_string()),
        other => serde_json::from_str(&other.to_string())
            .unwrap_or_else(|_| Value::String(other.to_string())),
    }
}

impl Prepared {
    /// Check `row` for `message`: the key it needs, no column contradicting the key or the
    /// partition.
    pub(crate) fn new(message: Message, primary_id: &str, row: BulkRow) -> Result<Self, String> {
        let BulkRow { mut key, mut partition_id, columns } = row;
        let mut columns = columns?;
        if let Some(value) = columns.remove(primary_id) {
            let id = value
                .as_str()
                .and_then(|text| Uuid::parse_str(text).ok())
                .ok_or_else(|| format!("the primary key column {primary_id} is not a GUID"))?;
            match &key {
                None => key = Some(RecordKey::Id(id)),
                Some(RecordKey::Id(given)) if *given == id => {}
                Some(_) => {
                    return Err(format!("the row's {primary_id} contradicts the key it was given"));
                }
            }
        }
        if let Some(RecordKey::Alternate(pairs)) = &key {
            for (column, literal) in pairs {
                if let Some(value) = columns.remove(column)
                    && value != literal_json(literal)
                {
                    return Err(format!("the row's {column} contradicts its alternate key"));
                }
            }
        }
        if let Some(value) = columns.remove(PARTITION_ID) {
            let text = value.as_str().ok_or("partitionid must be text")?.to_owned();
            match &partition_id {
                None => partition_id = Some(text),
                Some(given) if *given == text => {}
                Some(_) => return Err("the row's partitionid contradicts its partition".to_owned()),
            }
        }
        if let Some(key) = &key {
            key.validate().map_err(|e| e.to_string())?;
        }
        match (message, &key) {
            (Message::Create, _) => {}
            (_, None) => {
                return Err(format!(
                    "{} needs each row's key (BulkRow::with_key, or the {primary_id} column)",
                    message.name()
                ));
            }
            (Message::Update, Some(RecordKey::Alternate(_))) => {
                return Err(
                    "UpdateMultiple identifies rows by id; upsert by alternate key instead"
                        .to_owned(),
                );
            }
            _ => {}
        }
        Ok(Self { key, partition_id, columns })
    }

    /// The object in `Targets`.
    pub(crate) fn target(
        &self,
        message: Message,
        entity_set: &str,
        logical_name: &str,
        primary_id: &str,
    ) -> Map<String, Value> {
        let mut target = if message == Message::Delete { Map::new() } else { self.columns.clone() };
        match (&self.key, message) {
            (Some(key), Message::Upsert) => {
                target
                    .insert("@odata.id".to_owned(), Value::String(format!("{entity_set}({key})")));
            }
            (Some(RecordKey::Id(id)), _) => {
                target.insert(primary_id.to_owned(), Value::String(id.to_string()));
            }
            (Some(RecordKey::Alternate(pairs)), _) => {
                for (column, literal) in pairs {
                    target.insert(column.clone(), literal_json(literal));
                }
            }
            (None, _) => {}
        }
        if let Some(partition) = &self.partition_id {
            target.insert(PARTITION_ID.to_owned(), Value::String(partition.clone()));
        }
        target
            .insert("@odata.type".to_owned(), Value::String(format!("{NAMESPACE}{logical_name}")));
        target
    }

    /// The key used in a URL: on an elastic table with a partition, the primary key and the
    /// partition together (`<pk>=<id>,partitionid='<p>'`).
    fn url_key(&self, primary_id: &str) -> Option<RecordKey> {
        match (&self.key, &self.partition_id) {
            (Some(RecordKey::Id(id)), Some(partition)) => Some(RecordKey::alternate([
                (primary_id.to_owned(), Literal::Guid(*id)),
                (PARTITION_ID.to_owned(), Literal::String(partition.clone())),
            ])),
            (key, _) => key.clone(),
        }
    }

    /// The same operation as one request of a `$batch`.
    pub(crate) fn batch_request(
        &self,
        message: Message,
        entity_set: &str,
        primary_id: &str,
    ) -> BatchRequest {
        let mut body = self.columns.clone();
        if let Some(partition) = &self.partition_id {
            body.insert(PARTITION_ID.to_owned(), Value::String(partition.clone()));
        }
        let key = self.url_key(primary_id);
        match (message, key) {
            (Message::Create, Some(RecordKey::Id(id))) => {
                body.insert(primary_id.to_owned(), Value::String(id.to_string()));
                BatchRequest::create(entity_set, &body)
            }
            (Message::Create, Some(RecordKey::Alternate(pairs))) => {
                for (column, literal) in &pairs {
                    body.insert(column.clone(), literal_json(literal));
                }
                BatchRequest::create(entity_set, &body)
            }
            (Message::Create, None) => BatchRequest::create(entity_set, &body),
            (Message::Update, Some(key)) => BatchRequest::update(entity_set, key, &body),
            (Message::Upsert, Some(key)) => BatchRequest::upsert(entity_set, key, &body),
            (Message::Delete, Some(key)) => BatchRequest::delete(entity_set, key),
            // `Prepared::new` guarantees a key for these.
            (_, None) => BatchRequest::create(entity_set, &body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "8f4c3f92-312b-ee11-bdf4-000d3a993550";

    fn id() -> Uuid {
        Uuid::parse_str(ID).expect("uuid")
    }

    fn target(message: Message, row: BulkRow) -> Result<Value, String> {
        let prepared = Prepared::new(message, "sample_exampleid", row)?;
        Ok(Value::Object(prepared.target(
            message,
            "sample_examples",
            "sample_example",
            "sample_exampleid",
        )))
    }

    #[test]
    fn targets_have_the_documented_shapes() {
        assert_eq!(
            target(Message::Create, BulkRow::new(&json!({ "sample_name": "n" }))).unwrap(),
            json!({ "sample_name": "n", "@odata.type": "Microsoft.Dynamics.CRM.sample_example" })
        );
        assert_eq!(
            target(Message::Update, BulkRow::with_key(id(), &json!({ "sample_name": "u" })))
                .unwrap(),
            json!({ "sample_name": "u", "sample_exampleid": ID, "@odata.type": "Microsoft.Dynamics.CRM.sample_example" })
        );
        // The primary key may also come in the row itself (a typed struct with its id).
        assert_eq!(
            target(
                Message::Update,
                BulkRow::new(&json!({ "sample_exampleid": ID, "sample_name": "u" }))
            )
            .unwrap(),
            json!({ "sample_name": "u", "sample_exampleid": ID, "@odata.type": "Microsoft.Dynamics.CRM.sample_example" })
        );
        // UpsertMultiple: @odata.id, and the key column is taken out of the row.
        let key = RecordKey::alternate([("sample_keyattribute", "0000001")]);
        assert_eq!(
            target(
                Message::Upsert,
                BulkRow::with_key(
                    key,
                    &json!({ "sample_name": "s", "sample_keyattribute": "0000001" })
                )
            )
            .unwrap(),
            json!({ "sample_name": "s", "@odata.id": "sample_examples(sample_keyattribute='0000001')", "@odata.type": "Microsoft.Dynamics.CRM.sample_example" })
        );
        // DeleteMultiple on an elastic table: primary key and partition.
        assert_eq!(
            target(Message::Delete, BulkRow::key(id()).partition_id("Device-ABC-1234")).unwrap(),
            json!({ "sample_exampleid": ID, "partitionid": "Device-ABC-1234", "@odata.type": "Microsoft.Dynamics.CRM.sample_example" })
        );
    }

    #[test]
    fn contradictions_and_missing_keys_fail_the_row() {
        let other = "00000000-0000-0000-0000-000000000001";
        assert!(target(Message::Update, BulkRow::new(&json!({ "sample_name": "x" }))).is_err());
        assert!(
            target(Message::Update, BulkRow::with_key(id(), &json!({ "sample_exampleid": other })))
                .is_err()
        );
        assert!(
            target(Message::Update, BulkRow::new(&json!({ "sample_exampleid": "not a guid" })))
                .is_err()
        );
        let key = RecordKey::alternate([("sample_keyattribute", "A")]);
        assert!(
            target(
                Message::Upsert,
                BulkRow::with_key(key.clone(), &json!({ "sample_keyattribute": "B" }))
            )
            .is_err()
        );
        assert!(target(Message::Update, BulkRow::with_key(key, &json!({}))).is_err());
        assert!(target(Message::Delete, BulkRow::new(&json!({}))).is_err());
        assert!(
            target(Message::Create, BulkRow::new(&json!({ "partitionid": "a" })).partition_id("b"))
                .is_err()
        );
        assert!(target(Message::Create, BulkRow::new(&[1, 2])).is_err());
        let unsupported = RecordKey::alternate([("sample_keyattribute", "A/1")]);
        assert!(target(Message::Upsert, BulkRow::with_key(unsupported, &json!({}))).is_err());
    }

    #[test]
    fn batch_requests_address_elastic_rows_with_their_partition() {
        let prepared = Prepared::new(
            Message::Update,
            "sample_exampleid",
            BulkRow::with_key(id(), &json!({ "v": 1 })).partition_id("p-1"),
        )
        .unwrap();
        let key = prepared.url_key("sample_exampleid").unwrap();
        assert_eq!(key.to_string(), format!("sample_exampleid={ID},partitionid='p-1'"));
    }
}
