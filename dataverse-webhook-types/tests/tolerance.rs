//! What the parser tolerates: drift in field sets, tags and value encodings (the
//! `DataContractJsonSerializer` forms a `RemoteExecutionContext` takes). Unrecognised values are
//! kept, never rejected.

use dataverse_webhook_types::{
    Field, PayloadShape, RemoteExecutionContext, Target, Value, ValueKind,
};
use rust_decimal::Decimal;
use uuid::uuid;

const NS: &str = r"http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts";

/// A payload whose Target entity has one attribute with the given JSON value.
fn with_attribute(value_json: &str) -> String {
    format!(
        r#"{{"MessageName":"Update","PrimaryEntityName":"account","InputParameters":[{{"key":"Target","value":
        {{"__type":"Entity:{NS}","LogicalName":"account","Id":"5d2f7c1a-9b8e-4f3d-a2c1-0e9d8c7b6a51",
          "Attributes":[{{"key":"column","value":{value_json}}}]}}}}]}}"#
    )
}

fn attribute(value_json: &str) -> Value {
    let body = with_attribute(value_json);
    let context = RemoteExecutionContext::from_slice(body.as_bytes())
        .unwrap_or_else(|error| panic!("{value_json}: {error}"));
    context.target_entity().unwrap().attributes.get("column").cloned().unwrap()
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

#[test]
fn numbers_keep_their_exact_digits() {
    let table = [
        ("0", Value::Integer(0)),
        ("-7", Value::Integer(-7)),
        ("9223372036854775807", Value::Integer(i64::MAX)),
        ("9223372036854775808", Value::Decimal(dec("9223372036854775808"))),
        ("1234567.8912", Value::Decimal(dec("1234567.8912"))),
        ("0.1", Value::Decimal(dec("0.1"))),
        ("-0.0", Value::Decimal(dec("-0.0"))),
        ("1.0000000000", Value::Decimal(dec("1.0000000000"))),
        ("1.5E+3", Value::Decimal(dec("1500"))),
        ("2.5e-3", Value::Decimal(dec("0.0025"))),
        ("79228162514264337593543950335", Value::Decimal(Decimal::MAX)),
    ];
    for (json, expected) in table {
        assert_eq!(attribute(json), expected, "{json}");
    }
    let money = attribute(&format!(r#"{{"__type":"Money:{NS}","Value":1234567.8912}}"#));
    assert_eq!(money, Value::Money(dec("1234567.8912")));
    assert_eq!(money.as_decimal().unwrap().to_string(), "1234567.8912");
    // Quoted amounts are tolerated.
    assert_eq!(
        attribute(&format!(r#"{{"__type":"Money:{NS}","Value":"25.37"}}"#)),
        Value::Money(dec("25.37"))
    );
    // A number outside Decimal's range is kept as it was sent.
    for json in ["1e400", "79228162514264337593543950336", "-1e-40"] {
        assert_eq!(attribute(json).as_raw_json(), Some(json), "{json}");
    }
}

#[test]
fn unrecognised_values_are_kept_verbatim() {
    let unknown = format!(r#"{{"__type":"ColumnSet:{NS}","AllColumns":true,"Columns":["name"]}}"#);
    assert_eq!(attribute(&unknown).as_raw_json(), Some(unknown.as_str()));

    // A known tag whose content does not fit.
    for malformed in [
        format!(r#"{{"__type":"OptionSetValue:{NS}","Value":"abc"}}"#),
        format!(r#"{{"__type":"OptionSetValue:{NS}","Value":4294967296}}"#),
        format!(r#"{{"__type":"Money:{NS}","Value":null}}"#),
        format!(r#"{{"__type":"EntityReference:{NS}","Id":"nope","LogicalName":"account"}}"#),
        r#"{"__type":"Guid:#System","__value":"nope"}"#.to_owned(),
        r#"{"__type":"DateTime:#System","__value":"\/Date(x)\/"}"#.to_owned(),
        r#"{"__type":5}"#.to_owned(),
        r#"{"line1":"1 Main St"}"#.to_owned(),
    ] {
        let value = attribute(&malformed);
        assert_eq!(value.kind(), ValueKind::Raw, "{malformed}");
        assert_eq!(value.as_raw_json(), Some(malformed.as_str()));
    }
}

#[test]
fn tags_match_with_or_without_escaped_slashes_and_in_any_position() {
    let escaped = attribute(&format!(r#"{{"__type":"OptionSetValue:{NS}","Value":3}}"#));
    let plain = attribute(
        r#"{"__type":"OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts","Value":3}"#,
    );
    let elsewhere = attribute(
        r#"{"Value":3,"__type":"OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts"}"#,
    );
    assert_eq!(escaped, Value::OptionSetValue(3));
    assert_eq!(plain, escaped);
    assert_eq!(elsewhere, escaped);

    // An untagged reference (as OwningExtension is written) is still a reference.
    let untagged = attribute(
        r#"{"Id":"75c2dd85-e89e-e711-8122-000d3aa2331c","LogicalName":"systemuser","Name":"Ann"}"#,
    );
    let reference = untagged.as_reference().unwrap();
    assert_eq!(reference.name.as_deref(), Some("Ann"));
    assert_eq!(reference.id, Some(uuid!("75c2dd85-e89e-e711-8122-000d3aa2331c")));
}

#[test]
fn system_wrappers_are_unwrapped() {
    assert_eq!(
        attribute(r#"{"__type":"Guid:#System","__value":"ec4e2f7d-9d60-e811-a95a-000d3af24950"}"#),
        Value::Guid(uuid!("ec4e2f7d-9d60-e811-a95a-000d3af24950"))
    );
    assert_eq!(attribute(r#"{"__type":"Int32:#System","__value":42}"#), Value::Integer(42));
    assert_eq!(
        attribute(r#"{"__type":"Decimal:#System","__value":10.50}"#),
        Value::Decimal(dec("10.50"))
    );
    assert_eq!(
        attribute(r#"{"__type":"String:#System","__value":"x"}"#),
        Value::String("x".into())
    );
    let Value::DateTime(at) =
        attribute(r#"{"__type":"DateTime:#System","__value":"\/Date(1527757524000+0200)\/"}"#)
    else {
        panic!("a DateTime wrapper");
    };
    assert_eq!(at.unix_millis(), 1_527_757_524_000);
    assert_eq!(at.offset(), Some(time::macros::offset!(+2)));
}

#[test]
fn arrays_and_collections() {
    assert_eq!(attribute("[]"), Value::Array(Vec::new()));
    assert_eq!(attribute("[1, 2]"), Value::Array(vec![Value::Integer(1), Value::Integer(2)]));
    let mixed = attribute(&format!(r#"[{{"__type":"OptionSetValue:{NS}","Value":1}}, "x"]"#));
    assert_eq!(mixed, Value::Array(vec![Value::OptionSetValue(1), Value::String("x".into())]));

    let parties = attribute(&format!(
        r#"{{"__type":"EntityCollection:{NS}","EntityName":"activityparty","MinActiveRowVersion":"-1",
           "MoreRecords":false,"PagingCookie":null,"TotalRecordCount":-1,"TotalRecordCountLimitExceeded":false,
           "Entities":[{{"Attributes":[{{"key":"partyid","value":{{"__type":"EntityReference:{NS}",
             "Id":"75c2dd85-e89e-e711-8122-000d3aa2331c","LogicalName":"systemuser","Name":null}}}}],
             "EntityState":null,"FormattedValues":[],"Id":"00000000-0000-0000-0000-000000000000",
             "KeyAttributes":[],"LogicalName":"activityparty","RelatedEntities":[],"RowVersion":"147059704"}}]}}"#
    ));
    let parties = parties.as_entity_collection().unwrap();
    assert_eq!(parties.entities.len(), 1);
    assert_eq!(parties.entities[0].row_version.as_deref(), Some("147059704"));
    assert_eq!(
        parties.entities[0]
            .attributes
            .get_reference("partyid")
            .unwrap()
            .value()
            .unwrap()
            .logical_name,
        "systemuser"
    );
}

#[test]
fn drifting_field_sets_are_fine() {
    let body = r#"{"MessageName":"Update","SomeFutureField":{"a":[1,2,3]},"InputParameters":null,
            "PreEntityImages":[{"key":"Pre","value":null},{"key":"Img","value":{
              "Attributes":null,"FormattedValues":[{"key":"a","value":null},{"key":"b","value":12}],
              "LogicalName":null,"Id":"","RowVersion":5948260,"EntityState":2,"Extra":true}}],
            "OwningExtension":null,"ParentContext":null,"RequestId":"","Stage":"40","IsInTransaction":"true"}"#;
    let context = RemoteExecutionContext::from_slice(body.as_bytes()).unwrap();
    assert!(context.input_parameters.is_none());
    assert!(context.owning_extension.is_none());
    assert_eq!(context.request_id, None);
    assert_eq!(context.stage.map(|stage| stage.code()), Some(40));
    assert_eq!(context.is_in_transaction, Some(true));
    let images = context.pre_entity_images.as_ref().unwrap();
    assert_eq!(images.keys().collect::<Vec<_>>(), ["Img"], "a null image is skipped");
    let image = context.pre_image("Img").unwrap();
    assert!(image.attributes.is_empty());
    assert_eq!(image.formatted_values.iter().collect::<Vec<_>>(), [("b", &"12".to_owned())]);
    assert_eq!(image.logical_name, "");
    assert_eq!(image.id, None);
    assert_eq!(image.row_version.as_deref(), Some("5948260"));
    assert_eq!(image.entity_state, Some(2));
}

#[test]
fn targets_of_other_shapes() {
    // An Entity written without `__type` is still an Entity, not a flow's flat row.
    let untagged = r#"{"MessageName":"Update","InputParameters":[{"key":"Target","value":
        {"LogicalName":"contact","Id":"6d81597f-0f9f-e711-8122-000d3aa2331c","Attributes":[{"key":"firstname","value":"Ann"}]}}]}"#;
    let context = RemoteExecutionContext::from_slice(untagged.as_bytes()).unwrap();
    assert_eq!(context.shape(), PayloadShape::RemoteExecutionContext);
    let target = context.target_entity().unwrap();
    assert_eq!(target.logical_name, "contact");
    assert_eq!(target.attributes.get_string("firstname").unwrap(), Field::Value("Ann"));

    // An unmodelled Target type is kept as raw JSON, `__type` first.
    let unknown = r#"{"MessageName":"Custom","InputParameters":[{"key":"Target","value":
        {"__type":"QueryExpression:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts","EntityName":"contact"}}]}"#;
    let context = RemoteExecutionContext::from_slice(unknown.as_bytes()).unwrap();
    assert!(context.target().is_none());
    assert_eq!(
        context.input_parameter("Target").and_then(Value::as_raw_json),
        Some(
            r#"{"__type":"QueryExpression:http://schemas.microsoft.com/xrm/2011/Contracts","EntityName":"contact"}"#
        )
    );

    // A null Target is simply no target.
    let null = r#"{"MessageName":"Update","InputParameters":[{"key":"Target","value":null}]}"#;
    let context = RemoteExecutionContext::from_slice(null.as_bytes()).unwrap();
    assert_eq!(context.input_parameter("Target"), Some(&Value::Null));
    assert!(context.target().is_none());

    // A reference Target found later in the list than EntityMoniker still wins.
    let both = format!(
        r#"{{"MessageName":"SetState","InputParameters":[
          {{"key":"EntityMoniker","value":{{"__type":"EntityReference:{NS}","Id":"6d81597f-0f9f-e711-8122-000d3aa2331c","LogicalName":"contact"}}}},
          {{"key":"Target","value":{{"__type":"EntityReference:{NS}","Id":"75c2dd85-e89e-e711-8122-000d3aa2331c","LogicalName":"lead"}}}}]}}"#
    );
    let context = RemoteExecutionContext::from_slice(both.as_bytes()).unwrap();
    assert_eq!(context.target().and_then(Target::logical_name), Some("lead"));
}

#[test]
fn escaped_keys_and_strings_are_unescaped() {
    let body = format!(
        r#"{{"MessageName":"Upd\u0061te","InputParameters":[{{"key":"Tar\u0067et","value":
        {{"__type":"Entity:{NS}","LogicalName":"con\/tact","Attributes":[{{"key":"first\"name","value":"A\u00e9\n\/"}}]}}}}]}}"#
    );
    let context = RemoteExecutionContext::from_slice(body.as_bytes()).unwrap();
    assert_eq!(context.message_name, "Update");
    let target = context.target_entity().unwrap();
    assert_eq!(target.logical_name, "con/tact");
    assert_eq!(target.attributes.get_string("first\"name").unwrap(), Field::Value("Aé\n/"));
}

#[test]
fn typed_getters_report_mismatches_without_the_value() {
    let body = with_attribute(r#""someone@example.com""#);
    let context = RemoteExecutionContext::from_slice(body.as_bytes()).unwrap();
    let attributes = &context.target_entity().unwrap().attributes;
    for error in [
        attributes.get_integer("column").unwrap_err(),
        attributes.get_bool("column").unwrap_err(),
        attributes.get_decimal("column").unwrap_err(),
        attributes.get_uuid("column").unwrap_err(),
        attributes.get_datetime("column").unwrap_err(),
        attributes.get_reference("column").unwrap_err(),
        attributes.get_option_sets("column").unwrap_err(),
    ] {
        assert_eq!(error.name(), "column");
        assert!(!error.to_string().contains("someone"), "{error}");
    }
    assert_eq!(
        attributes.get_integer("column").unwrap_err().to_string(),
        "attribute `column`: expected an integer, found a string that is not an integer"
    );
}
