//! Message shapes without a public sample: Delete, Associate, SetState,
//! CreateMultiple, and a payload over 256 KB.

mod common;

use common::{CONTACT_ID, fixture, parse};
use dataverse_webhook_types::{
    Field, Message, OptionSetChoice, Target, Value, WebhookDelivery, headers,
};
use http::{HeaderMap, HeaderValue};
use rust_decimal::Decimal;
use uuid::uuid;

#[test]
fn delete_targets_a_reference_and_keeps_the_pre_image() {
    let context = parse("delete_contact.json");
    assert_eq!(context.message(), Message::Delete);
    let Some(Target::Reference(deleted)) = context.target() else {
        panic!("Delete's Target is an EntityReference, got {:?}", context.target());
    };
    assert_eq!(deleted.logical_name, "contact");
    assert_eq!(deleted.id, Some(CONTACT_ID));
    assert!(context.target_entity().is_none());
    assert_eq!(context.row_id(), Some(CONTACT_ID));
    assert_eq!(context.row_logical_name(), Some("contact"));

    let before = context.pre_image("PreImage").unwrap();
    assert_eq!(
        before.attributes.get_string("emailaddress1").unwrap(),
        Field::Value("james@example.com")
    );
    assert_eq!(before.row_version.as_deref(), Some("5948260"));
    assert_eq!(before.formatted_value("statecode"), Some("Active"));
    assert_eq!(context.modified_on(), None);
}

#[test]
fn associate_keeps_relationship_and_related_references() {
    let context = parse("associate_contact_lead.json");
    assert_eq!(context.message(), Message::Other("Associate".to_owned()));
    assert_eq!(context.target().and_then(Target::id), Some(CONTACT_ID));

    let Some(Value::Raw(relationship)) = context.input_parameter("Relationship") else {
        panic!("Relationship is not modelled and must be kept as raw JSON");
    };
    assert!(relationship.get().contains(r#""SchemaName": "contactleads_association""#));

    let Some(Value::Array(related)) = context.input_parameter("RelatedEntities") else {
        panic!("RelatedEntities should be an array");
    };
    let ids: Vec<_> = related.iter().map(|item| item.as_reference().and_then(|r| r.id)).collect();
    assert_eq!(
        ids,
        [
            Some(uuid!("9a5c1e2f-3b4d-4e6f-8a7b-1c2d3e4f5a6b")),
            Some(uuid!("0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e"))
        ]
    );
}

#[test]
fn setstate_exposes_the_moniker_as_target_and_the_new_state() {
    let context = parse("setstate_contact.json");
    assert_eq!(context.message(), Message::Other("SetState".to_owned()));
    let Some(Target::Reference(moniker)) = context.target() else {
        panic!("SetState's EntityMoniker is the target");
    };
    assert_eq!(moniker.id, Some(CONTACT_ID));
    let parameters = context.input_parameters.as_ref().unwrap();
    assert_eq!(parameters.get("State"), Some(&Value::OptionSetValue(1)));
    assert_eq!(
        parameters.get_option_set("Status").unwrap(),
        Field::Value(OptionSetChoice::Value(2))
    );
}

#[test]
fn createmultiple_targets_keep_money_exact() {
    let context = parse("createmultiple_account.json");
    assert_eq!(context.message(), Message::Other("CreateMultiple".to_owned()));
    let Some(Target::Collection(accounts)) = context.target() else {
        panic!("CreateMultiple's Targets is an EntityCollection");
    };
    assert_eq!(accounts.entity_name.as_deref(), Some("account"));
    assert_eq!(accounts.more_records, Some(false));
    assert_eq!(accounts.min_active_row_version.as_deref(), Some("-1"));
    assert_eq!(accounts.total_record_count, Some(-1));
    assert_eq!(accounts.total_record_count_limit_exceeded, Some(false));
    assert_eq!(accounts.entities.len(), 2);

    let revenues: Vec<String> = accounts
        .entities
        .iter()
        .map(|account| {
            account.attributes.get_decimal("revenue").unwrap().value().unwrap().to_string()
        })
        .collect();
    assert_eq!(revenues, ["1234567.8912", "5000000.0000"]);
    let first = &accounts.entities[0];
    assert_eq!(
        first.attributes.get("revenue"),
        Some(&Value::Money(Decimal::from_i128_with_scale(12_345_678_912, 4)))
    );
    assert_eq!(
        first.attributes.get_string("name").unwrap(),
        Field::Value("Contoso Pharmaceuticals")
    );
    assert_eq!(first.id, Some(uuid!("5d2f7c1a-9b8e-4f3d-a2c1-0e9d8c7b6a51")));
    // A bulk operation has no single row: PrimaryEntityId is the nil GUID as sent.
    assert_eq!(context.primary_entity_id, Some(uuid::Uuid::nil()));
    assert_eq!(context.target().and_then(Target::logical_name), Some("account"));
}

#[test]
fn size_exceeded_payload_says_the_target_is_gone() {
    let context = parse("size_exceeded_update.json");
    assert_eq!(context.message(), Message::Update);
    assert!(context.input_parameters.is_none());
    assert!(context.parent_context.is_none());
    assert!(context.pre_entity_images.is_none() && context.post_entity_images.is_none());
    assert!(context.target().is_none());
    assert!(context.input_parameters_dropped());
    assert_eq!(context.row_id(), Some(CONTACT_ID));
    assert_eq!(context.row_logical_name(), Some("contact"));

    let mut size_exceeded = HeaderMap::new();
    size_exceeded.insert(headers::MSG_SIZE_EXCEEDED, HeaderValue::from_static(""));
    let delivery =
        WebhookDelivery::parse(&size_exceeded, &fixture("size_exceeded_update.json")).unwrap();
    assert!(delivery.parameters_and_images_dropped());
    assert!(delivery.headers.size_exceeded);

    // The body alone also shows it, and a complete payload does not.
    let without_header =
        WebhookDelivery::parse(&HeaderMap::new(), &fixture("size_exceeded_update.json")).unwrap();
    assert!(without_header.parameters_and_images_dropped());
    let complete =
        WebhookDelivery::parse(&HeaderMap::new(), &fixture("sample_a_update.json")).unwrap();
    assert!(!complete.parameters_and_images_dropped());
    // The header wins even when the body still has parameters.
    let flagged = WebhookDelivery::parse(&size_exceeded, &fixture("sample_a_update.json")).unwrap();
    assert!(flagged.parameters_and_images_dropped());
}
