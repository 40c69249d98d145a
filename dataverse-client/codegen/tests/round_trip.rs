//! The committed golden output (tests/golden) compiled and used with dataverse-client against
//! wiremock: exact request bodies for writes, and decoding of real-shaped responses.

// A test crate uses only part of the generated API; `cargo fmt` must leave the generated
// files as the generator printed them.
#[allow(dead_code)]
#[rustfmt::skip]
#[path = "golden/mod.rs"]
mod golden;

#[path = "support/wire.rs"]
mod wire;

use std::str::FromStr;

use dataverse_client::query::Filter;
use golden::{account, contact, cre6f_agreement};
use rust_decimal::Decimal;
use time::macros::{date, datetime};
use wire::{API, client, id};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ACCOUNT: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";
const OPPORTUNITY: &str = "8c1ab0f4-9b2e-4f6d-a7a1-0e5b8a6e2f11";
const CREATED: &str = "d31ba648-c592-ed11-aad1-000d3a993550";

/// Matches when the request body is exactly `expected` (byte for byte: member order, number
/// text).
fn exact_body(expected: String) -> impl Fn(&Request) -> bool {
    move |request: &Request| request.body == expected.as_bytes()
}

fn created(set: &str) -> ResponseTemplate {
    ResponseTemplate::new(204).insert_header(
        "OData-EntityId",
        format!("https://contoso.crm.dynamics.com{API}/{set}({CREATED})").as_str(),
    )
}

#[tokio::test]
async fn create_binds_lookups_by_navigation_property_and_sends_money_exactly() {
    let server = MockServer::start().await;
    let expected = format!(
        concat!(
            r#"{{"cre6f_name":"MSA 2024","cre6f_value":1234567.8912,"cre6f_status":100000001,"#,
            r#""cre6f_Opportunity@odata.bind":"/opportunities({opportunity})","#,
            r#""regardingobjectid_account_cre6f_agreement@odata.bind":"/accounts({account})"}}"#
        ),
        opportunity = OPPORTUNITY,
        account = ACCOUNT
    );
    Mock::given(method("POST"))
        .and(path(format!("{API}/{}", cre6f_agreement::ENTITY_SET)))
        .and(exact_body(expected))
        .respond_with(created("cre6f_agreements"))
        .expect(1)
        .mount(&server)
        .await;

    let write = cre6f_agreement::Cre6fAgreementWrite::new()
        .cre6f_name("MSA 2024")
        .cre6f_value(Decimal::from_str("1234567.8912").expect("decimal"))
        .cre6f_status(cre6f_agreement::Cre6fStatus::InReview)
        .cre6f_opportunity(id(OPPORTUNITY))
        // A first choice of target, replaced by the second: only one binding is sent.
        .regardingobjectid_contact_cre6f_agreement(id(CREATED))
        .regardingobjectid_account_cre6f_agreement(id(ACCOUNT));
    let created =
        client(&server).create(cre6f_agreement::ENTITY_SET, &write).await.expect("create");
    assert_eq!(created, id(CREATED));
}

#[tokio::test]
async fn create_a_contact_under_an_account_and_upsert_by_alternate_key() {
    let server = MockServer::start().await;
    let contact_body = format!(
        r#"{{"fullname":"Ada Lovelace","birthdate":"1815-12-10","type":3,"parentcustomerid_account@odata.bind":"/accounts({ACCOUNT})"}}"#
    );
    Mock::given(method("POST"))
        .and(path(format!("{API}/contacts")))
        .and(exact_body(contact_body))
        .respond_with(created("contacts"))
        .expect(1)
        .mount(&server)
        .await;
    let contact = contact::ContactWrite::new()
        .fullname("Ada Lovelace")
        .birthdate(date!(1815 - 12 - 10))
        .r#type(3)
        .parentcustomerid_account(account::by_accountnumber("ACC-001"))
        .parentcustomerid_account(account::by_id(id(ACCOUNT)));
    client(&server).create(contact::ENTITY_SET, &contact).await.expect("create");

    // Upsert by the composite alternate key; the owner is a team (through the abstract
    // principal type); clearing a lookup sends null through its navigation property.
    let upsert_body = format!(
        r#"{{"name":"Contoso","revenue":0.5,"ownerid@odata.bind":"/teams({CREATED})","parentaccountid@odata.bind":null}}"#
    );
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/accounts(accountnumber='ACC-''001')")))
        .and(exact_body(upsert_body))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let write = account::AccountWrite::new()
        .name("Contoso")
        .revenue(Decimal::from_str("0.50").expect("decimal"))
        .ownerid_team(id(CREATED))
        .clear_parentaccountid();
    client(&server)
        .upsert(account::ENTITY_SET, account::by_accountnumber("ACC-'001"), &write)
        .await
        .expect("upsert");

    let key = cre6f_agreement::by_cre6f_region_and_cre6f_opportunity("EU", id(OPPORTUNITY));
    assert_eq!(key.to_string(), format!("cre6f_region='EU',cre6f_opportunity={OPPORTUNITY}"));
}

#[tokio::test]
async fn typed_queries_decode_real_shaped_rows() {
    let server = MockServer::start().await;
    // Shaped like a Web API response with `odata.include-annotations="*"`.
    let body = format!(
        r#"{{
          "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#accounts(name,revenue,industrycode,_parentaccountid_value,createdon)",
          "value": [
            {{
              "@odata.etag": "W/\"536530\"",
              "accountid": "{CREATED}",
              "name": "Contoso",
              "revenue": 79228162514264.3375935,
              "revenue@OData.Community.Display.V1.FormattedValue": "$79,228,162,514,264.34",
              "industrycode": 100000000,
              "industrycode@OData.Community.Display.V1.FormattedValue": "Andere",
              "_parentaccountid_value": "{ACCOUNT}",
              "_parentaccountid_value@OData.Community.Display.V1.FormattedValue": "Fabrikam",
              "_parentaccountid_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "parentaccountid",
              "_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account",
              "createdon": "2024-05-01T12:00:00Z",
              "numberofemployees": null
            }},
            {{ "@odata.etag": "W/\"536531\"", "accountid": "{ACCOUNT}", "industrycode": 7 }}
          ]
        }}"#
    );
    let expected_query = "$select=name,revenue,industrycode,_parentaccountid_value,createdon\
        &$filter=industrycode%20eq%20100000000%20and%20_parentaccountid_value%20ne%20null\
        &$orderby=name%20asc";
    Mock::given(method("GET"))
        .and(path(format!("{API}/accounts")))
        .and(move |request: &Request| request.url.query() == Some(expected_query))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .expect(1)
        .mount(&server)
        .await;

    use account::{Column, IndustryCode};
    let query = account::query()
        .select([
            Column::Name,
            Column::Revenue,
            Column::Industrycode,
            Column::Parentaccountid,
            Column::Createdon,
        ])
        .filter(
            Filter::eq(Column::Industrycode, IndustryCode::OtherOption.value())
                .and(Filter::is_not_null(Column::Parentaccountid)),
        )
        .order_by(Column::Name)
        .include_annotations("*");
    let rows: Vec<account::Account> =
        client(&server).query(query).collect_all().await.expect("query");
    assert_eq!(rows.len(), 2);
    let row = &rows[0];
    assert_eq!(row.etag.as_deref(), Some("W/\"536530\""));
    assert_eq!(row.revenue, Some(Decimal::from_str("79228162514264.3375935").expect("decimal")));
    assert_eq!(row.industrycode, Some(IndustryCode::OtherOption));
    assert_eq!(row.industrycode.and_then(IndustryCode::label), Some("Other"));
    assert_eq!(row.industrycode_label.as_deref(), Some("Andere"));
    assert_eq!(row.parentaccountid, Some(id(ACCOUNT)));
    assert_eq!(row.parentaccountid_name.as_deref(), Some("Fabrikam"));
    assert_eq!(row.parentaccountid_table.as_deref(), Some("account"));
    assert_eq!(row.createdon, Some(datetime!(2024-05-01 12:00 UTC)));
    assert_eq!(row.numberofemployees, None);
    assert_eq!(rows[1].industrycode, Some(IndustryCode::Other(7)));
    assert_eq!(IndustryCode::from_value(2), IndustryCode::Consulting);
    assert_eq!(IndustryCode::ALL.len(), 4);
}

#[test]
fn a_required_column_must_be_present_and_values_are_checked() {
    // `cre6f_agreementid` is not nullable in the fixture: a row without it is an error that
    // names the field, not a row with a made-up id.
    let missing = serde_json::from_str::<cre6f_agreement::Cre6fAgreement>(r#"{"cre6f_name":"x"}"#);
    assert!(missing.expect_err("missing").to_string().contains("cre6f_agreementid"));
    let wrong = serde_json::from_str::<contact::Contact>(r#"{"birthdate":"10/12/1815"}"#);
    assert!(wrong.expect_err("bad date").to_string().contains("expected a date like 2024-05-01"));
    let row: contact::Contact = serde_json::from_str(
        r#"{"type": 2, "timespent": "PT1H", "entityimage": "AQID", "versionnumber": 9007199254740993}"#,
    )
    .expect("contact");
    assert_eq!(row.r#type, Some(2));
    assert_eq!(row.timespent, Some(serde_json::json!("PT1H")));
    assert_eq!(row.versionnumber, Some(9_007_199_254_740_993));
    assert_eq!(contact::Column::Parentcustomerid.name(), "_parentcustomerid_value");
    assert_eq!(String::from(contact::Column::Type), "type");
    assert_eq!(contact::PRIMARY_NAME, "fullname");
    assert_eq!(cre6f_agreement::PRIMARY_NAME, "cre6f_name");
}
