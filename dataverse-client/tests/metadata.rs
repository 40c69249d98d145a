//! Table definitions: the exact `EntityDefinitions` requests, decoding into the model, choices
//! with labels, and the per-client cache.

mod common;

use common::{API, client, fixture, odata_headers, raw_query};
use dataverse_client::{Error, metadata::AttributeType, metadata::TableType};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SELECT: &str = "LogicalName,SchemaName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,PrimaryImageAttribute,TableType,IsActivity,DisplayName";
const EXPAND: &str = "Attributes($select=LogicalName,SchemaName,AttributeType,AttributeTypeName,DisplayName,IsPrimaryId,IsPrimaryName,IsValidForCreate,IsValidForUpdate,IsValidForRead,AttributeOf),Keys($select=LogicalName,SchemaName,KeyAttributes,EntityKeyIndexStatus),ManyToOneRelationships($select=SchemaName,ReferencedEntity,ReferencedAttribute,ReferencingEntity,ReferencingAttribute,ReferencedEntityNavigationPropertyName,ReferencingEntityNavigationPropertyName),OneToManyRelationships($select=SchemaName,ReferencedEntity,ReferencedAttribute,ReferencingEntity,ReferencingAttribute,ReferencedEntityNavigationPropertyName,ReferencingEntityNavigationPropertyName),ManyToManyRelationships($select=SchemaName,Entity1LogicalName,Entity2LogicalName,IntersectEntityName,Entity1NavigationPropertyName,Entity2NavigationPropertyName)";

/// Mount the five choice requests for `account`: picklists and statuses from fixtures, the rest
/// empty. Each may be asked once.
async fn mount_choices(server: &MockServer) {
    for (kind, body) in [
        ("PicklistAttributeMetadata", fixture("metadata_account_picklists.json")),
        ("MultiSelectPicklistAttributeMetadata", json!({ "value": [] })),
        ("StateAttributeMetadata", json!({ "value": [] })),
        ("StatusAttributeMetadata", fixture("metadata_account_statuses.json")),
        ("BooleanAttributeMetadata", json!({ "value": [] })),
    ] {
        odata_headers(Mock::given(method("GET")))
            .and(path(format!(
                "{API}/EntityDefinitions(LogicalName='account')/Attributes/Microsoft.Dynamics.CRM.{kind}"
            )))
            .and(raw_query("$select=LogicalName&$expand=OptionSet,GlobalOptionSet".to_owned()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(server)
            .await;
    }
}

fn encoded(text: &str) -> String {
    text.replace(' ', "%20").replace('\'', "%27")
}

#[tokio::test]
async fn a_table_definition_is_read_once_with_its_choices_and_then_cached() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/EntityDefinitions(LogicalName='account')")))
        .and(raw_query(format!("$select={SELECT}&$expand={EXPAND}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("metadata_account.json")))
        .expect(1)
        .mount(&server)
        .await;
    mount_choices(&server).await;

    let client = client(&server);
    let account = client.table_metadata("account").await.expect("account");
    assert_eq!(account.entity_set_name, "accounts");
    assert_eq!(account.primary_id_attribute, "accountid");
    assert_eq!(account.primary_name_attribute.as_deref(), Some("name"));
    assert_eq!(account.table_type, TableType::Standard);
    assert_eq!(account.display_name.as_deref(), Some("Account"));
    let revenue = account.attribute("revenue").expect("revenue");
    assert_eq!(revenue.attribute_type, AttributeType::Money);
    assert_eq!(revenue.display_name.as_deref(), Some("Annual Revenue"));
    let file = account.attribute("sample_filecolumn").expect("file column");
    assert_eq!(file.type_name.as_deref(), Some("FileType"));
    assert_eq!(
        account.attribute("sample_filecolumn_name").expect("name").attribute_of.as_deref(),
        Some("sample_filecolumn")
    );
    // Choices, with every language and the state of each status reason.
    assert_eq!(account.choice_label("industrycode", 1), Some("Accounting"));
    let industry =
        account.attribute("industrycode").and_then(|a| a.choices.as_ref()).expect("choices");
    assert_eq!(industry.value_of("Accounting"), Some(1));
    assert_eq!(
        industry.options[0].localized_labels,
        [(1033, "Accounting".to_owned()), (1031, "Buchhaltung".to_owned())]
    );
    let statuses =
        account.attribute("statuscode").and_then(|a| a.choices.as_ref()).expect("statuses");
    assert_eq!(
        statuses.options.iter().map(|o| (o.value, o.state)).collect::<Vec<_>>(),
        [(1, Some(0)), (2, Some(1))]
    );
    assert!(account.attribute("name").expect("name").choices.is_none());
    // Keys and relationships, with their navigation property names.
    assert_eq!(account.keys[0].key_attributes, ["accountnumber"]);
    assert_eq!(account.keys[0].index_status.as_deref(), Some("Active"));
    assert_eq!(
        account.lookup_navigation_property("primarycontactid", "contact"),
        Some("primarycontactid")
    );
    assert_eq!(
        account.one_to_many[0].referencing_entity_navigation_property_name.as_deref(),
        Some("parentcustomerid_account")
    );
    assert_eq!(account.many_to_many[0].intersect_entity_name.as_deref(), Some("accountleads"));

    // Cached: by logical name and by entity set, with no further request (`expect(1)` above).
    let again = client.table_metadata("account").await.expect("cached");
    assert!(std::sync::Arc::ptr_eq(&account, &again));
    let by_set = client.table_metadata_by_entity_set("accounts").await.expect("cached by set");
    assert!(std::sync::Arc::ptr_eq(&account, &by_set));
}

#[tokio::test]
async fn a_table_is_found_by_entity_set_name_and_an_unknown_one_is_not_found() {
    let server = MockServer::start().await;
    let mut page = fixture("metadata_account.json");
    page.as_object_mut().expect("object").remove("@odata.context");
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/EntityDefinitions")))
        .and(raw_query(format!(
            "$filter={}&$select={SELECT}&$expand={EXPAND}",
            encoded("EntitySetName eq 'accounts'")
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [page] })))
        .expect(1)
        .mount(&server)
        .await;
    mount_choices(&server).await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/EntityDefinitions")))
        .and(raw_query(format!(
            "$filter={}&$select={SELECT}&$expand={EXPAND}",
            encoded("EntitySetName eq 'nothings'")
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [] })))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let account = client.table_metadata_by_entity_set("accounts").await.expect("account");
    assert_eq!(account.logical_name, "account");
    let again = client.table_metadata("account").await.expect("cached by logical name");
    assert!(std::sync::Arc::ptr_eq(&account, &again));
    let error = client.table_metadata_by_entity_set("nothings").await.expect_err("unknown");
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn clearing_the_cache_reads_the_definition_again_and_errors_are_not_cached() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/EntityDefinitions(LogicalName='contact')")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": { "code": "0x80060888", "message": "Could not find an entity with key 'contact'." }
        })))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    for _ in 0..2 {
        let error = client.table_metadata("contact").await.expect_err("missing");
        assert!(error.is_not_found(), "{error:?}");
    }
    client.clear_metadata_cache();
    let error = client.table_metadata("bad name").await.expect_err("invalid");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn a_definition_without_its_key_names_is_an_unexpected_response() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/EntityDefinitions(LogicalName='odd')")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "LogicalName": "odd", "PrimaryIdAttribute": "oddid" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).table_metadata("odd").await.expect_err("no entity set");
    assert!(matches!(error, Error::UnexpectedResponse(_)), "{error:?}");
}
