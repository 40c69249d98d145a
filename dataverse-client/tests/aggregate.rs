//! Aggregation: `$apply` requests with the exact encoding, typed rows with exact decimals, and
//! FetchXML aggregates through the FetchXML path.

mod common;

use common::{API, client, expect_no_requests, odata_headers, raw_query};
use dataverse_client::{Error, aggregate::Aggregation, query::Filter, records::Record};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Deserialize, PartialEq)]
struct RevenueByStatus {
    statuscode: i32,
    #[serde(rename = "statuscode@OData.Community.Display.V1.FormattedValue")]
    status: String,
    #[serde(with = "dataverse_client::json_decimal")]
    total: Decimal,
    count: u64,
}

#[tokio::test]
async fn a_grouped_aggregation_sends_apply_and_reads_typed_rows() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts")))
        .and(raw_query(
            "$apply=filter(statecode%20eq%200)/groupby((statuscode),aggregate(revenue%20with%20sum%20as%20total,$count%20as%20count))"
                .to_owned(),
        ))
        .and(header("prefer", "odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\""))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"@odata.context":"https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#accounts","value":[
                {"statuscode@OData.Community.Display.V1.FormattedValue":"Active","statuscode":1,"total@OData.Community.Display.V1.FormattedValue":"$430,000.10","total":430000.100000000,"count@OData.Community.Display.V1.FormattedValue":"8","count":8},
                {"statuscode@OData.Community.Display.V1.FormattedValue":"Inactive","statuscode":2,"total@OData.Community.Display.V1.FormattedValue":"$10,000.00","total":10000.000000000,"count@OData.Community.Display.V1.FormattedValue":"1","count":1}
            ]}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let rows: Vec<RevenueByStatus> = client(&server)
        .aggregate(
            Aggregation::new("accounts")
                .filter(Filter::eq("statecode", 0))
                .group_by(["statuscode"])
                .sum("revenue", "total")
                .count("count")
                .formatted_values(),
        )
        .await
        .expect("rows");
    assert_eq!(
        rows,
        [
            RevenueByStatus {
                statuscode: 1,
                status: "Active".into(),
                total: Decimal::new(430_000_100_000_000, 9),
                count: 8
            },
            RevenueByStatus {
                statuscode: 2,
                status: "Inactive".into(),
                total: Decimal::new(10_000_000_000_000, 9),
                count: 1
            },
        ]
    );
}

#[tokio::test]
async fn an_ungrouped_aggregate_returns_one_row_and_follows_next_links() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts")))
        .and(raw_query("$apply=aggregate(createdon%20with%20max%20as%20lastCreate)".to_owned()))
        .and(|request: &wiremock::Request| !request.headers.contains_key("prefer"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{ "lastCreate": "2023-03-25T17:42:47Z" }],
            "@odata.nextLink": format!("{}{API}/accounts?$apply=aggregate(createdon%20with%20max%20as%20lastCreate)&$skiptoken=2", server.uri())
        })))
        .expect(1)
        .mount(&server)
        .await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts")))
        .and(raw_query(
            "$apply=aggregate(createdon%20with%20max%20as%20lastCreate)&$skiptoken=2".to_owned(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [] })))
        .expect(1)
        .mount(&server)
        .await;
    let rows: Vec<Record> = client(&server)
        .aggregate(Aggregation::new("accounts").max("createdon", "lastCreate"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["lastCreate"], "2023-03-25T17:42:47Z");
}

#[tokio::test]
async fn an_invalid_aggregation_sends_nothing() {
    let server = MockServer::start().await;
    expect_no_requests(&server).await;
    let error =
        client(&server).aggregate::<Record>(Aggregation::new("accounts")).await.expect_err("empty");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn fetch_xml_aggregates_go_through_the_fetch_xml_path() {
    // FetchXML aggregates: `aggregate="true"` on <fetch>, `aggregate` and `alias` on each
    // attribute (https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/aggregate-data).
    let server = MockServer::start().await;
    let fetch = r#"<fetch aggregate="true"><entity name="account"><attribute name="revenue" alias="total" aggregate="sum"/><attribute name="statuscode" alias="status" groupby="true"/></entity></fetch>"#;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts")))
        .and(wiremock::matchers::query_param("fetchXml", fetch))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [
                { "total": 430000.1, "total@OData.Community.Display.V1.FormattedValue": "$430,000.10", "status": 1 },
                { "total": 10000, "status": 2 }
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let rows: Vec<Record> =
        client(&server).fetch_xml::<Record>("accounts", fetch).collect_all().await.expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["status"], 2);
}
