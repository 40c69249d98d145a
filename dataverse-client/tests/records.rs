//! Records: create, retrieve, update, upsert, delete, associate, with exact request shapes.

mod common;

use common::{API, client, fixture, odata_headers};
use dataverse_client::{
    Error,
    batch::{Batch, BatchRequest},
    config::{BypassLogic, RequestOptions},
    query::Expand,
    records::{Conditional, Record, RecordExt, RecordKey, bind_path},
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ACCOUNT_ID: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";

fn account_id() -> Uuid {
    Uuid::parse_str(ACCOUNT_ID).expect("uuid")
}

fn no_header(name: &'static str) -> impl Fn(&Request) -> bool {
    move |request: &Request| !request.headers.contains_key(name)
}

#[tokio::test]
async fn create_posts_json_and_parses_the_entity_id() {
    let server = MockServer::start().await;
    let entity_id = format!("{}{API}/accounts({ACCOUNT_ID})", server.uri());
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/accounts")))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "name": "Contoso",
            "primarycontactid@odata.bind": "/contacts(00000000-0000-0000-0000-000000000000)"
        })))
        .respond_with(
            ResponseTemplate::new(204).insert_header("OData-EntityId", entity_id.as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;

    let id = client(&server)
        .create(
            "accounts",
            &json!({ "name": "Contoso", "primarycontactid@odata.bind": bind_path("contacts", Uuid::nil()) }),
        )
        .await
        .expect("created");
    assert_eq!(id, account_id());
}

#[tokio::test]
async fn create_without_entity_id_is_an_unexpected_response() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).create("accounts", &json!({})).await.expect_err("no header");
    assert!(matches!(error, Error::UnexpectedResponse(_)), "{error:?}");
}

#[derive(Debug, Deserialize)]
struct Account {
    accountid: Uuid,
    name: String,
    #[serde(with = "dataverse_client::json_decimal")]
    revenue: Decimal,
    #[serde(rename = "@odata.etag")]
    etag: String,
}

#[tokio::test]
async fn create_and_return_prefers_representation() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/accounts")))
        .and(query_param("$select", "accountid,name,revenue"))
        .and(header("prefer", "return=representation"))
        .and(body_json(json!({ "name": "Fourth Coffee (sample)", "revenue": 1234567.8912 })))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Preference-Applied", "return=representation")
                .set_body_json(fixture("account_retrieve.json")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let revenue = Decimal::new(12_345_678_912, 4);
    #[derive(serde::Serialize)]
    struct NewAccount<'a> {
        name: &'a str,
        #[serde(with = "dataverse_client::json_decimal")]
        revenue: Decimal,
    }
    let created: Account = client(&server)
        .create_and_return("accounts", &NewAccount { name: "Fourth Coffee (sample)", revenue })
        .select(["accountid", "name", "revenue"])
        .await
        .expect("created");
    assert_eq!(created.accountid, account_id());
    assert_eq!(created.revenue.to_string(), "1234567.8912");
    assert_eq!(created.etag, "W/\"536530\"");
}

#[tokio::test]
async fn retrieve_typed_keeps_money_exact_and_dynamic_reads_annotations() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts({ACCOUNT_ID})")))
        .and(query_param("$select", "name,revenue,statuscode"))
        .and(query_param("$expand", "primarycontactid($select=fullname)"))
        .and(header("prefer", "odata.include-annotations=\"*\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("account_retrieve.json")))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);

    let typed: Account = client
        .retrieve("accounts", account_id())
        .select(["name", "revenue", "statuscode"])
        .expand(Expand::new("primarycontactid").select(["fullname"]))
        .include_annotations("*")
        .await
        .expect("typed");
    assert_eq!(typed.name, "Fourth Coffee (sample)");
    assert_eq!(typed.revenue, Decimal::new(12_345_678_912, 4));

    let dynamic: Record = client
        .retrieve("accounts", account_id())
        .select(["name", "revenue", "statuscode"])
        .expand(Expand::new("primarycontactid").select(["fullname"]))
        .include_annotations("*")
        .await
        .expect("dynamic");
    assert_eq!(dynamic.etag(), Some("W/\"536530\""));
    assert_eq!(dynamic.formatted_value("statuscode"), Some("Active"));
    let currency = dynamic.lookup("transactioncurrencyid").expect("lookup");
    assert_eq!(currency.logical_name.as_deref(), Some("transactioncurrency"));
    assert_eq!(currency.name.as_deref(), Some("US Dollar"));
    assert_eq!(dynamic["primarycontactid"]["fullname"], "Yvonne McKay (sample)");
}

#[tokio::test]
async fn retrieve_formatted_values_prefer_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/accounts({ACCOUNT_ID})")))
        .and(header(
            "prefer",
            "odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\"",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("account_retrieve.json")))
        .expect(1)
        .mount(&server)
        .await;
    let row: Record =
        client(&server).retrieve("accounts", account_id()).formatted_values().await.expect("row");
    assert_eq!(row.formatted_value("revenue"), Some("$1,234,567.89"));
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "accountid": ACCOUNT_ID, "name": "x", "revenue": "not a number", "@odata.etag": "W/\"1\""
        })))
        .mount(&server)
        .await;
    let error =
        client(&server).retrieve::<Account>("accounts", account_id()).await.expect_err("bad");
    match error {
        Error::Decode { what, path, .. } => {
            assert_eq!(path, "revenue");
            assert_eq!(what, "a row of accounts");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn update_sends_if_match_star_and_only_the_changed_columns() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("PATCH")))
        .and(path(format!("{API}/cre6f_agreements({ACCOUNT_ID})")))
        .and(header("if-match", "*"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "cre6f_ironcladworkflowstatus": "Review" })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .update(
            "cre6f_agreements",
            account_id(),
            &json!({ "cre6f_ironcladworkflowstatus": "Review" }),
        )
        .await
        .expect("updated");
}

#[tokio::test]
async fn update_with_stale_etag_is_a_typed_conflict() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(header("if-match", "W/\"470867\""))
        .respond_with(ResponseTemplate::new(412).set_body_json(json!({"error": {
            "code": "0x80060882",
            "message": "The version of the existing record doesn't match the RowVersion property provided."
        }})).insert_header("x-ms-service-request-id", "5ecd1cb3-1730-4ffc-909c-d44c22270026"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .update("accounts", account_id(), &json!({ "name": "x" }))
        .if_match("W/\"470867\"")
        .await
        .expect_err("conflict");
    assert!(error.is_conflict(), "{error:?}");
    assert!(matches!(error, Error::Conflict(_)));
    assert_eq!(error.request_id(), Some("5ecd1cb3-1730-4ffc-909c-d44c22270026"));
    let api = error.api_error().expect("api error");
    assert_eq!(api.code.as_deref(), Some("0x80060882"));
    assert!(api.message.as_deref().unwrap_or_default().contains("RowVersion"));
}

#[tokio::test]
async fn update_and_return_prefers_representation_with_select() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/accounts({ACCOUNT_ID})")))
        .and(query_param("$select", "name"))
        .and(header("prefer", "return=representation"))
        .and(header("if-match", "*"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("account_retrieve.json")))
        .expect(1)
        .mount(&server)
        .await;
    let row: Record = client(&server)
        .update_and_return("accounts", account_id(), &json!({ "name": "Fourth Coffee (sample)" }))
        .select(["name"])
        .await
        .expect("row");
    assert_eq!(row["name"], "Fourth Coffee (sample)");
}

#[tokio::test]
async fn upsert_variants_send_the_right_preconditions() {
    let server = MockServer::start().await;
    let key_path = format!("{API}/accounts(accountnumber='ACC%20001',cre6f_region='O''Hare')");
    // Plain upsert: no precondition header at all.
    Mock::given(method("PATCH"))
        .and(path(key_path.as_str()))
        .and(no_header("if-match"))
        .and(no_header("if-none-match"))
        .and(body_json(json!({ "name": "Contoso" })))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("https://contoso.crm.dynamics.com{API}/accounts({ACCOUNT_ID})").as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let key = RecordKey::alternate([("accountnumber", "ACC 001"), ("cre6f_region", "O'Hare")]);
    let id = client
        .upsert("accounts", key.clone(), &json!({ "name": "Contoso" }))
        .await
        .expect("upsert");
    assert_eq!(id, Some(account_id()));

    // Create-only: If-None-Match: *; an existing row answers 412.
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(header("if-none-match", "*"))
        .and(no_header("if-match"))
        .respond_with(ResponseTemplate::new(412).set_body_json(json!({"error": {
            "code": "", "message": "A record with matching key values already exists."
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let error = common::client(&server)
        .upsert("accounts", account_id(), &json!({ "name": "Contoso" }))
        .create_only()
        .await
        .expect_err("exists");
    assert!(error.is_conflict());
    assert_eq!(error.api_error().and_then(|e| e.code.clone()), None);

    // Update-only: If-Match: *; a missing row answers 404.
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(header("if-match", "*"))
        .and(no_header("if-none-match"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "code": "0x80040217", "message": format!("account With Id = {ACCOUNT_ID} Does Not Exist")
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let error = common::client(&server)
        .upsert("accounts", account_id(), &json!({ "name": "Contoso" }))
        .update_only()
        .await
        .expect_err("missing");
    assert!(error.is_not_found());
    assert!(error.to_string().contains("Does Not Exist"), "{error}");
}

#[tokio::test]
async fn delete_and_not_found() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("DELETE")))
        .and(path(format!("{API}/accounts({ACCOUNT_ID})")))
        .and(header("if-match", "W/\"1\""))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "code": "0x80040217", "message": "account With Id = 1 Does Not Exist"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .delete("accounts", account_id())
        .if_match("W/\"1\"")
        .await
        .expect_err("404");
    assert!(error.is_not_found());
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn associate_disassociate_and_lookups() {
    let server = MockServer::start().await;
    let opportunity = Uuid::from_u128(0x42);
    let base = format!("{API}/accounts({ACCOUNT_ID})");
    Mock::given(method("POST"))
        .and(path(format!("{base}/opportunity_customer_accounts/$ref")))
        .and(body_json(
            json!({ "@odata.id": format!("{}{API}/opportunities({opportunity})", server.uri()) }),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{base}/opportunity_customer_accounts({opportunity})/$ref")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{API}/opportunities({opportunity})/customerid_account/$ref")))
        .and(body_json(
            json!({ "@odata.id": format!("{}{API}/accounts({ACCOUNT_ID})", server.uri()) }),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{API}/opportunities({opportunity})/customerid_account/$ref")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .associate(
            "accounts",
            account_id(),
            "opportunity_customer_accounts",
            "opportunities",
            opportunity,
        )
        .await
        .expect("associate");
    client
        .disassociate("accounts", account_id(), "opportunity_customer_accounts", opportunity)
        .await
        .expect("disassociate");
    client
        .set_lookup("opportunities", opportunity, "customerid_account", "accounts", account_id())
        .await
        .expect("set lookup");
    client.clear_lookup("opportunities", opportunity, "customerid_account").await.expect("clear");
}

#[tokio::test]
async fn single_columns() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!("{API}/accounts({ACCOUNT_ID})/name")))
        .and(body_json(json!({ "value": "Contoso Ltd" })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{API}/accounts({ACCOUNT_ID})/description")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client.set_column("accounts", account_id(), "name", "Contoso Ltd").await.expect("put");
    client.clear_column("accounts", account_id(), "description").await.expect("delete");
}

#[tokio::test]
async fn request_options_become_headers() {
    let server = MockServer::start().await;
    let user = Uuid::from_u128(9);
    Mock::given(method("POST"))
        .and(header("callerobjectid", user.to_string().as_str()))
        .and(header("mscrm.bypassbusinesslogicexecution", "CustomSync"))
        .and(header("mscrm.suppressduplicatedetection", "false"))
        .and(header("x-ms-correlation", "abc"))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("https://x{API}/contacts({ACCOUNT_ID})").as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let options = RequestOptions::new()
        .impersonate(user)
        .bypass_business_logic(BypassLogic::Sync)
        .suppress_duplicate_detection(false)
        .header(
            http::HeaderName::from_static("x-ms-correlation"),
            http::HeaderValue::from_static("abc"),
        );
    client(&server)
        .create("contacts", &json!({ "lastname": "Glynn" }))
        .options(options)
        .await
        .expect("created");
}

#[tokio::test]
async fn invalid_names_fail_before_sending() {
    let server = MockServer::start().await;
    common::expect_no_requests(&server).await;
    let client = client(&server);
    let error = client.create("accounts?$top=1", &json!({})).await.expect_err("invalid");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = client
        .associate("accounts", account_id(), "nav/../x", "opportunities", Uuid::nil())
        .await
        .expect_err("invalid");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = client
        .retrieve::<Record>("accounts", RecordKey::alternate([("bad col", 1)]))
        .await
        .expect_err("invalid");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn a_body_that_cannot_be_serialized_fails_before_sending() {
    let server = MockServer::start().await;
    common::expect_no_requests(&server).await;
    // JSON object keys must be strings.
    let body = std::collections::BTreeMap::from([((1, 2), "x")]);
    let client = client(&server);
    let errors = [
        client.create("accounts", &body).await.expect_err("create"),
        client.update("accounts", account_id(), &body).await.expect_err("update"),
        client.upsert("accounts", account_id(), &body).await.expect_err("upsert"),
    ];
    for error in errors {
        assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
        assert_eq!(
            error.to_string(),
            "invalid request: the body cannot be serialized: key must be a string"
        );
    }
}

#[tokio::test]
async fn who_am_i() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/WhoAmI")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
            "BusinessUnitId": "e2b9dd85-e89e-e711-8122-000d3aa2331c",
            "UserId": "75c2dd85-e89e-e711-8122-000d3aa2331c",
            "OrganizationId": "4ef5b371-e89e-e711-8122-000d3aa2331c"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let me = client(&server).who_am_i().await.expect("who am i");
    assert_eq!(me.user_id.to_string(), "75c2dd85-e89e-e711-8122-000d3aa2331c");
    assert_eq!(me.organization_id.to_string(), "4ef5b371-e89e-e711-8122-000d3aa2331c");
}

#[tokio::test]
async fn reads_send_if_none_match_null_and_writes_do_not() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts({ACCOUNT_ID})")))
        .and(header("if-none-match", "null"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("account_retrieve.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/accounts({ACCOUNT_ID})")))
        .and(no_header("if-none-match"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let _: Record = client.retrieve("accounts", account_id()).await.expect("row");
    client.update("accounts", account_id(), &json!({ "name": "x" })).await.expect("update");
}

#[tokio::test]
async fn a_conditional_retrieve_reads_304_as_not_modified() {
    let server = MockServer::start().await;
    let etag = "W/\"468026\"";
    // Unchanged: 304 with no body.
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts({ACCOUNT_ID})")))
        .and(query_param("$select", "name,revenue"))
        .and(header("if-none-match", etag))
        .respond_with(
            ResponseTemplate::new(304)
                .insert_header("Content-Type", "application/json; odata.metadata=minimal")
                .insert_header("OData-Version", "4.0"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    // Changed: 200 with the row.
    Mock::given(method("GET"))
        .and(header("if-none-match", etag))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("account_retrieve.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let unchanged = client
        .retrieve::<Record>("accounts", account_id())
        .select(["name", "revenue"])
        .if_none_match(etag)
        .await
        .expect("304 is not an error");
    assert_eq!(unchanged, Conditional::NotModified);
    assert!(unchanged.is_not_modified());
    let changed = client
        .retrieve::<Record>("accounts", account_id())
        .select(["name", "revenue"])
        .if_none_match(etag)
        .await
        .expect("row");
    let row = changed.modified().expect("modified");
    assert_eq!(row["name"], "Fourth Coffee (sample)");
    // An etag that cannot be a header value fails before sending.
    let error = client
        .retrieve::<Record>("accounts", account_id())
        .if_none_match("W/\"1\"\r\n")
        .await
        .expect_err("invalid etag");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn a_duplicate_detection_412_has_its_own_predicate() {
    let server = MockServer::start().await;
    // The documented answer to a create that matches a duplicate-detection rule.
    Mock::given(method("POST"))
        .and(path(format!("{API}/accounts")))
        .and(header("MSCRM.SuppressDuplicateDetection", "false"))
        .respond_with(ResponseTemplate::new(412).set_body_json(json!({ "error": {
            "code": "0x80040333",
            "message": "A record was not created or updated because a duplicate of the current record already exists."
        }})))
        .expect(1)
        .mount(&server)
        .await;
    // An etag mismatch is a conflict but not a duplicate.
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(412).set_body_json(json!({ "error": {
            "code": "", "message": "The version of the existing record doesn't match the RowVersion property provided."
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client
        .create("accounts", &json!({ "name": "Sample Account" }))
        .options(RequestOptions::new().suppress_duplicate_detection(false))
        .await
        .expect_err("duplicate");
    assert!(error.is_duplicate(), "{error:?}");
    assert!(error.is_conflict());
    assert!(error.api_error().is_some_and(|e| e.is_duplicate()));
    let stale = client
        .update("accounts", account_id(), &json!({ "name": "x" }))
        .if_match("W/\"470867\"")
        .await
        .expect_err("stale");
    assert!(stale.is_conflict() && !stale.is_duplicate(), "{stale:?}");
}

#[tokio::test]
async fn alternate_key_values_dataverse_cannot_address_fail_before_sending() {
    let server = MockServer::start().await;
    common::expect_no_requests(&server).await;
    let client = client(&server);
    let key =
        |value: &str| RecordKey::alternate([("cre6f_region", "EU"), ("accountnumber", value)]);
    let body = json!({ "name": "Contoso" });
    let errors = [
        client.retrieve::<Record>("accounts", key("A/1")).await.expect_err("retrieve"),
        client.update("accounts", key("A#1"), &body).await.expect_err("update"),
        client.upsert("accounts", key("50%"), &body).await.expect_err("upsert"),
        client.delete("accounts", key("A&B")).await.expect_err("delete"),
        client
            .associate("accounts", account_id(), "Account_Tasks", "tasks", key("x:y"))
            .await
            .expect_err("associate target"),
        client
            .execute_batch({
                let mut batch = Batch::new();
                batch.add(BatchRequest::upsert("accounts", key("1+1"), &body));
                batch
            })
            .await
            .expect_err("batch"),
    ];
    let found: Vec<char> = errors
        .iter()
        .map(|error| match error {
            Error::UnsupportedKeyValue { column, character } => {
                assert_eq!(column, "accountnumber");
                assert!(error.to_string().contains("does not support"), "{error}");
                *character
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(found, ['/', '#', '%', '&', ':', '+']);
}
