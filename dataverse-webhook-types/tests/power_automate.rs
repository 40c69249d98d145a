//! The simplified body a Power Automate HTTP action sends (a flat `Target` of the changed row).

mod common;

use common::parse;
use dataverse_webhook_types::{
    Field, Message, OptionSetChoice, PayloadShape, RemoteExecutionContext, Value,
};
use rust_decimal::Decimal;
use uuid::uuid;

const FLOW_CONTACT: uuid::Uuid = uuid!("2f9a6b1c-8d3e-4f5a-9b0c-1d2e3f4a5b6c");

#[test]
fn every_message_name_synonym_normalizes() {
    let table = [
        ("power_automate_create.json", Message::Create, "Create"),
        ("power_automate_created.json", Message::Create, "Created"),
        ("power_automate_update.json", Message::Update, "Update"),
        ("power_automate_updated.json", Message::Update, "Updated"),
        ("power_automate_modify.json", Message::Update, "Modify"),
        ("power_automate_modified.json", Message::Update, " modified "),
        ("power_automate_delete.json", Message::Delete, "Delete"),
        ("power_automate_deleted.json", Message::Delete, "DELETED"),
    ];
    for (file, message, raw) in table {
        let context = parse(file);
        assert_eq!(context.message(), message, "{file}");
        assert_eq!(context.message_name, raw, "{file}: the raw name is kept as sent");
        assert_eq!(context.shape(), PayloadShape::PowerAutomate, "{file}");
        let target = context.target_entity().unwrap_or_else(|| panic!("{file}: flat Target"));
        assert_eq!(target.logical_name, "contact", "{file}: table from PrimaryEntityName");
        assert_eq!(target.id, Some(FLOW_CONTACT), "{file}: id from PrimaryEntityId");
        assert_eq!(
            target.attributes.keys().collect::<Vec<_>>(),
            ["firstname", "lastname", "emailaddress1", "telephone1", "statecode"],
            "{file}: columns in wire order"
        );
        assert_eq!(context.row_id(), Some(FLOW_CONTACT), "{file}");
        assert!(!context.input_parameters_dropped(), "{file}");
    }
}

#[test]
fn statecode_is_read_however_the_flow_sent_it() {
    let table = [
        ("power_automate_create.json", Field::Value(OptionSetChoice::Value(0)), Some(0)),
        ("power_automate_update.json", Field::Value(OptionSetChoice::Value(0)), Some(0)),
        ("power_automate_modify.json", Field::Value(OptionSetChoice::Value(1)), Some(1)),
        ("power_automate_created.json", Field::Value(OptionSetChoice::Label("Active")), None),
        ("power_automate_modified.json", Field::Value(OptionSetChoice::Label("Inactive")), None),
        ("power_automate_deleted.json", Field::Empty, None),
    ];
    for (file, expected, as_integer) in table {
        let context = parse(file);
        let attributes = &context.target_entity().unwrap().attributes;
        assert_eq!(attributes.get_option_set("statecode").unwrap(), expected, "{file}");
        match as_integer {
            Some(number) => {
                assert_eq!(attributes.get_integer("statecode").unwrap(), Field::Value(number))
            }
            None if expected.is_empty() => {
                assert_eq!(attributes.get_integer("statecode").unwrap(), Field::Empty)
            }
            None => {
                let error = attributes.get_integer("statecode").unwrap_err();
                assert_eq!(error.name(), "statecode");
                assert_eq!(error.found(), "a string that is not an integer");
            }
        }
    }
}

#[test]
fn empty_dynamic_content_is_distinguishable_from_null_and_missing() {
    let updated = parse("power_automate_updated.json");
    let attributes = &updated.target_entity().unwrap().attributes;
    assert_eq!(attributes.get_string("telephone1").unwrap(), Field::Empty);
    assert_eq!(attributes.get_string("firstname").unwrap(), Field::Value("Ada"));
    assert_eq!(attributes.get_string("jobtitle").unwrap(), Field::Missing);

    let template = parse("power_automate_template_empty.json");
    assert_eq!(template.primary_entity_id, None, "\"\" is no id, not an error");
    assert_eq!(template.row_id(), None);
    let target = template.target_entity().unwrap();
    assert_eq!(target.id, None);
    for (name, value) in target.attributes.iter() {
        assert_eq!(value, &Value::String(String::new()), "{name}");
        assert_eq!(target.attributes.get_string(name).unwrap(), Field::Empty, "{name}");
        assert_eq!(target.attributes.get_option_set(name).unwrap(), Field::Empty, "{name}");
        assert_eq!(target.attributes.get_uuid(name).unwrap(), Field::Empty, "{name}");
        assert_eq!(target.attributes.get_datetime(name).unwrap(), Field::Empty, "{name}");
        assert_eq!(target.attributes.get_decimal(name).unwrap(), Field::Empty, "{name}");
        assert_eq!(target.attributes.get_bool(name).unwrap(), Field::Empty, "{name}");
    }
}

#[test]
fn flat_values_of_other_types_are_typed_and_exact() {
    let body = br#"{
      "MessageName": "Update", "PrimaryEntityName": "account", "PrimaryEntityId": "{5D2F7C1A-9B8E-4F3D-A2C1-0E9D8C7B6A51}",
      "InputParameters": [{"key": "Target", "value": {
        "revenue": 1234567.8912, "revenue_text": "1234567.8912", "numberofemployees": 250,
        "donotemail": true, "donotphone": "False", "lastusedincampaign": "2024-07-24T10:28:25Z",
        "primarycontactid": "6d81597f-0f9f-e711-8122-000d3aa2331c", "hobbies": "1, 3",
        "description": null, "address1_composite": {"line1": "1 Main St"}
      }}]
    }"#;
    let context = RemoteExecutionContext::from_slice(body).unwrap();
    assert_eq!(context.primary_entity_id, Some(uuid!("5d2f7c1a-9b8e-4f3d-a2c1-0e9d8c7b6a51")));
    let attributes = &context.target_entity().unwrap().attributes;
    let exact = Decimal::from_i128_with_scale(12_345_678_912, 4);
    assert_eq!(attributes.get("revenue"), Some(&Value::Decimal(exact)));
    assert_eq!(attributes.get_decimal("revenue_text").unwrap(), Field::Value(exact));
    assert_eq!(attributes.get_integer("numberofemployees").unwrap(), Field::Value(250));
    assert_eq!(attributes.get_bool("donotemail").unwrap(), Field::Value(true));
    assert_eq!(attributes.get_bool("donotphone").unwrap(), Field::Value(false));
    assert_eq!(
        attributes.get_datetime("lastusedincampaign").unwrap().value().unwrap().unix_millis(),
        1_721_816_905_000
    );
    assert_eq!(
        attributes.get_uuid("primarycontactid").unwrap(),
        Field::Value(uuid!("6d81597f-0f9f-e711-8122-000d3aa2331c"))
    );
    assert_eq!(attributes.get_option_sets("hobbies").unwrap(), Field::Value(vec![1, 3]));
    assert_eq!(attributes.get_string("description").unwrap(), Field::Null);
    // A nested plain object is not a Dataverse type: kept verbatim.
    assert_eq!(
        attributes.get("address1_composite").and_then(Value::as_raw_json),
        Some(r#"{"line1": "1 Main St"}"#)
    );
    // A lookup sent as a bare GUID has no table: the reference getter says so.
    let error = attributes.get_reference("primarycontactid").unwrap_err();
    assert_eq!(
        error.to_string(),
        "attribute `primarycontactid`: expected an entity reference, found a GUID"
    );
}

#[test]
fn value_before_key_and_an_empty_target_still_read_as_a_flat_row() {
    let body = br#"{"MessageName":"Create","PrimaryEntityName":"contact",
      "InputParameters":[{"value":{"firstname":"Ada"},"key":"Target"}]}"#;
    let context = RemoteExecutionContext::from_slice(body).unwrap();
    assert_eq!(context.shape(), PayloadShape::PowerAutomate);
    let target = context.target_entity().unwrap();
    assert_eq!(target.logical_name, "contact");
    assert_eq!(target.attributes.get_string("firstname").unwrap(), Field::Value("Ada"));

    let empty = br#"{"MessageName":"Update","PrimaryEntityName":"contact","InputParameters":[{"key":"Target","value":{}}]}"#;
    let context = RemoteExecutionContext::from_slice(empty).unwrap();
    assert!(context.target_entity().unwrap().attributes.is_empty());
}
