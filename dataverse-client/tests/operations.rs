//! Actions and functions (custom APIs included): exact URLs with parameter aliases, JSON bodies
//! with `@odata.type`, typed responses, replay rules, and both inside `$batch`.

mod common;

use common::{API, builder, client, expect_no_requests, odata_headers, raw_query};
use dataverse_client::{
    Error, batch::Batch, batch::BatchRequest, config::RequestOptions, config::RetryPolicy,
    operations::Action, operations::Function, operations::ParameterValue,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::macros::datetime;
use uuid::Uuid;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const USER: &str = "da455fec-68b7-ec11-9840-000d3a13d713";
const CONTACT: &str = "9f3162f6-804a-e611-80d1-00155d4333fa";

fn uuid(text: &str) -> Uuid {
    Uuid::parse_str(text).expect("uuid")
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct TimeZone {
    time_zone_code: i32,
}

#[tokio::test]
async fn an_unbound_function_passes_its_parameters_as_aliases() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!(
            "{API}/GetTimeZoneCodeByLocalizedName(LocalizedStandardName=@p1,LocaleId=@p2)"
        )))
        .and(raw_query("@p1=%27Pacific%20Standard%20Time%27&@p2=1033".to_owned()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.GetTimeZoneCodeByLocalizedNameResponse",
            "TimeZoneCode": 4
        })))
        .expect(1)
        .mount(&server)
        .await;
    let zone: TimeZone = client(&server)
        .function(
            Function::new("GetTimeZoneCodeByLocalizedName")
                .parameter("LocalizedStandardName", "Pacific Standard Time")
                .parameter("LocaleId", 1033),
        )
        .await
        .expect("zone");
    assert_eq!(zone, TimeZone { time_zone_code: 4 });
}

#[tokio::test]
async fn reserved_characters_and_typed_values_survive_in_aliases() {
    let server = MockServer::start().await;
    // `&`, `#`, `+`, `%` and quotes are percent-encoded, quotes doubled, GUIDs and date-times
    // bare.
    let expected = format!(
        "@p1=%27a%26b%23c%27%27d/e%2Bf%25%27&@p2={CONTACT}&@p3=2024-05-01T08:00:00Z&@p4=Microsoft.Dynamics.CRM.EntityFilters%27Entity,Attributes%27"
    );
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/sample_Lookup(Text=@p1,Id=@p2,Since=@p3,Filters=@p4)")))
        .and(raw_query(expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "Found": true })))
        .expect(1)
        .mount(&server)
        .await;
    let found: serde_json::Value = client(&server)
        .function(
            Function::new("sample_Lookup")
                .parameter("Text", "a&b#c'd/e+f%")
                .parameter("Id", uuid(CONTACT))
                .parameter("Since", datetime!(2024-05-01 10:00 +02:00))
                .parameter(
                    "Filters",
                    ParameterValue::enum_members(
                        "Microsoft.Dynamics.CRM.EntityFilters",
                        ["Entity", "Attributes"],
                    ),
                ),
        )
        .await
        .expect("found");
    assert_eq!(found["Found"], true);
}

#[tokio::test]
async fn a_bound_function_takes_a_record_reference() {
    let server = MockServer::start().await;
    // The documented example: RetrievePrincipalAccess(Target=@tid)?@tid={'@odata.id':'contacts(…)'}.
    odata_headers(Mock::given(method("GET")))
        .and(path(format!(
            "{API}/systemusers({USER})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@p1)"
        )))
        .and(raw_query(format!("@p1=%7B%22@odata.id%22:%22contacts({CONTACT})%22%7D")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "AccessRights": "ReadAccess, WriteAccess" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Access {
        access_rights: String,
    }
    let access: Access = client(&server)
        .function(
            Function::bound("systemusers", uuid(USER), "RetrievePrincipalAccess")
                .parameter("Target", ParameterValue::record("contacts", uuid(CONTACT))),
        )
        .await
        .expect("access");
    assert_eq!(access.access_rights, "ReadAccess, WriteAccess");
}

#[tokio::test]
async fn a_function_without_parameters_is_called_with_empty_parentheses_and_struct_parameters_work()
{
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts/Microsoft.Dynamics.CRM.sample_Stats()")))
        .and(|request: &Request| request.url.query().is_none())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "Count": 3 })))
        .expect(1)
        .mount(&server)
        .await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/sample_Search(Exact=@p1,Term=@p2,Top=@p3)")))
        .and(raw_query("@p1=false&@p2=%27north%20wind%27&@p3=5".to_owned()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "Count": 1 })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let stats: serde_json::Value =
        client.function(Function::bound_to_table("accounts", "sample_Stats")).await.expect("stats");
    assert_eq!(stats["Count"], 3);
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Search<'a> {
        term: &'a str,
        top: u32,
        exact: bool,
    }
    let found: serde_json::Value = client
        .function(Function::new("sample_Search").parameters(&Search {
            term: "north wind",
            top: 5,
            exact: false,
        }))
        .await
        .expect("found");
    assert_eq!(found["Count"], 1);
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ScoreRequest {
    account_name: String,
    weight: u32,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct ScoreResponse {
    score: i32,
    reason: Option<String>,
}

#[tokio::test]
async fn a_custom_api_takes_a_typed_request_and_returns_a_typed_response() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/sample_ScoreAccount")))
        .and(wiremock::matchers::header("content-type", "application/json"))
        .and(body_json(json!({ "AccountName": "Contoso", "Weight": 3 })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.sample_ScoreAccountResponse",
            "Score": 42,
            "Reason": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let scored: ScoreResponse = client(&server)
        .action(
            Action::new("sample_ScoreAccount")
                .parameters(&ScoreRequest { account_name: "Contoso".into(), weight: 3 }),
        )
        .returning()
        .await
        .expect("scored");
    assert_eq!(scored, ScoreResponse { score: 42, reason: None });
}

#[tokio::test]
async fn a_bound_action_sends_entity_parameters_with_their_odata_type() {
    let server = MockServer::start().await;
    let opportunity = "b3828ac8-917a-e511-80d2-00155d2a68d2";
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/opportunities({opportunity})/Microsoft.Dynamics.CRM.sample_Win")))
        .and(body_json(json!({
            "OpportunityClose": {
                "subject": "Won Opportunity",
                "@odata.type": "Microsoft.Dynamics.CRM.opportunityclose"
            },
            "Status": 3
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    let action = Action::bound("opportunities", uuid(opportunity), "sample_Win")
        .entity_parameter(
            "OpportunityClose",
            "opportunityclose",
            &json!({ "subject": "Won Opportunity" }),
        )
        .parameter("Status", &3);
    client.action(action.clone()).await.expect("won");
    // Asking for a response from an action that returns none is an error, not a silent default.
    let error = client.action(action).returning::<ScoreResponse>().await.expect_err("no content");
    assert!(matches!(error, Error::UnexpectedResponse(_)), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn actions_are_not_replayed_after_a_gateway_error_unless_declared_safe() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/sample_Recalculate")))
        .respond_with(ResponseTemplate::new(503))
        .expect(1 + 3)
        .mount(&server)
        .await;
    let client = builder(&server)
        .retry_policy(RetryPolicy::default().max_attempts(3))
        .build()
        .expect("client");
    // Once: the action may have run before the gateway failed.
    let error = client.action("sample_Recalculate").await.expect_err("503");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    // Three times: the caller says running it twice is harmless.
    let error = client
        .action("sample_Recalculate")
        .options(RequestOptions::new().replay_safe(true))
        .await
        .expect_err("503 after three attempts");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test(start_paused = true)]
async fn functions_are_retried_like_reads() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/sample_Stats()")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "Count": 7 })))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(RetryPolicy::default()).build().expect("client");
    let stats: serde_json::Value = client.function("sample_Stats").await.expect("stats");
    assert_eq!(stats["Count"], 7);
}

#[tokio::test]
async fn a_batch_carries_actions_and_functions() {
    let server = MockServer::start().await;
    let boundary = "batchresponse_1";
    let body = format!(
        "--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{{\"Score\":5}}\r\n--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{{\"Count\":2}}\r\n--{boundary}--\r\n"
    );
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .and(|request: &Request| {
            let text = String::from_utf8_lossy(&request.body);
            text.contains(&format!("POST {API}/sample_ScoreAccount HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{{\"AccountName\":\"A\",\"Weight\":1}}"))
                && text.contains(&format!("GET {API}/sample_Search(Term=@p1)?@p1='x%26y' HTTP/1.1"))
        })
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body.into_bytes(), &format!("multipart/mixed; boundary={boundary}")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut batch = Batch::new();
    batch.add(BatchRequest::action(
        &Action::new("sample_ScoreAccount")
            .parameters(&ScoreRequest { account_name: "A".into(), weight: 1 }),
    ));
    batch.add(BatchRequest::function(&Function::new("sample_Search").parameter("Term", "x&y")));
    let results = client(&server).execute_batch(batch).await.expect("batch");
    let score: ScoreResponse = results[0].response().expect("ok").json().expect("json");
    assert_eq!(score.score, 5);
    let count: serde_json::Value = results[1].response().expect("ok").json().expect("json");
    assert_eq!(count["Count"], 2);
}

#[tokio::test]
async fn invalid_operations_fail_before_anything_is_sent() {
    let server = MockServer::start().await;
    expect_no_requests(&server).await;
    let client = client(&server);
    let error = client.action("bad/name").await.expect_err("name");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = client.action(Action::new("sample_X").parameters(&[1, 2])).await.expect_err("body");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = client
        .function::<serde_json::Value>(Function::new("sample_X").parameter("a b", 1))
        .await
        .expect_err("parameter");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = client
        .function::<serde_json::Value>(Function::bound(
            "accounts",
            dataverse_client::records::RecordKey::alternate([("accountnumber", "A/1")]),
            "sample_X",
        ))
        .await
        .expect_err("key");
    assert!(matches!(error, Error::UnsupportedKeyValue { .. }), "{error:?}");
    let mut batch = Batch::new();
    batch.add(BatchRequest::action(&Action::new("x y")));
    let error = client.execute_batch(batch).await.expect_err("batch");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}
