//! Workflows: list, find, launch (sync and async), get, update attributes, lifecycle, schemas.

mod common;

use std::time::Duration;

use common::{TOKEN, api, client, fixture, fixture_json, paused_builder};
use ironclad_client::{
    Error,
    auth::UserRef,
    error::ErrorCode,
    values::{Address, ContractDuration, LaunchAttributes, MonetaryAmount},
    workflows::{
        AsyncPolling, AttributeUpdates, Filter, LaunchWorkflow, LifecycleComment, ListWorkflows,
        StageState, WorkflowStatus, WorkflowStep,
    },
};
use rust_decimal::Decimal;
use serde_json::json;
use time::macros::{date, datetime};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn workflow_json(id: &str) -> serde_json::Value {
    let mut workflow = fixture_json("workflow.json");
    workflow["id"] = json!(id);
    workflow
}

#[tokio::test]
async fn list_streams_every_page_with_the_documented_query() {
    let server = MockServer::start().await;
    for (page, ids) in [(0, vec!["w1", "w2"]), (1, vec!["w3"])] {
        let list: Vec<_> = ids.iter().map(|id| workflow_json(id)).collect();
        Mock::given(method("GET"))
            .and(path(api("/workflows")))
            .and(query_param("page", page.to_string()))
            .and(query_param("pageSize", "2"))
            .and(query_param("status", "active,completed"))
            .and(query_param("template", "68dc41e5a7987b1e623e4711"))
            .and(query_param("filter", "Equals([dynamicsMsaId], 'abc-123')"))
            .and(query_param("lastUpdated", "2018-03-10T00:00:00.000Z"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("accept", "application/json"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"page": page, "pageSize": 2, "count": 3, "list": list})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let query = ListWorkflows::new()
        .statuses([WorkflowStatus::Active, WorkflowStatus::Completed])
        .template("68dc41e5a7987b1e623e4711")
        .filter(Filter::equals("dynamicsMsaId", "abc-123"))
        .updated_since(datetime!(2018-03-10 00:00 UTC))
        .page_size(2);
    let workflows = client(&server).workflows().list(query).collect_all().await.unwrap();
    let ids: Vec<_> = workflows.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["w1", "w2", "w3"]);
}

#[tokio::test]
async fn list_is_lazy_and_stops_on_a_short_page_without_count() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows")))
        .and(query_param("page", "0"))
        .and(query_param_is_missing("status"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"page": 0, "pageSize": 20, "list": [workflow_json("only")]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let mut stream = client.workflows().list(ListWorkflows::new());
    assert_eq!(stream.try_next().await.unwrap().unwrap().id, "only");
    assert!(stream.try_next().await.unwrap().is_none());
    // Dropping a stream before it is polled sends nothing.
    drop(client.workflows().list(ListWorkflows::new()));
}

#[tokio::test]
async fn list_rejects_an_out_of_range_page_size_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let error = client(&server)
        .workflows()
        .list(ListWorkflows::new().page_size(500))
        .collect_all()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(ref m) if m.contains("pageSize")), "{error}");
}

#[tokio::test]
async fn find_first_returns_the_existing_workflow_or_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows")))
        .and(query_param("filter", "Equals([dynamicsMsaId], 'known')"))
        .and(query_param("status", "active,paused,completed,cancelled"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"page": 0, "pageSize": 20, "count": 1, "list": [workflow_json("found")]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/workflows")))
        .and(query_param("filter", "Equals([dynamicsMsaId], 'unknown')"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"page": 0, "pageSize": 20, "count": 0, "list": []})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let find =
        |id: &str| ListWorkflows::new().filter(Filter::equals("dynamicsMsaId", id)).any_status();
    assert_eq!(client.workflows().find_first(find("known")).await.unwrap().unwrap().id, "found");
    assert!(client.workflows().find_first(find("unknown")).await.unwrap().is_none());
}

#[tokio::test]
async fn launch_sends_the_documented_body_and_decodes_the_real_response() {
    let server = MockServer::start().await;
    let expected_body = json!({
        "template": "68dc41e5a7987b1e623e4711",
        "attributes": {
            "dynamicsMsaId": "0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d",
            "dynamicsMsaNumber": "MSA-0042",
            "agreementDate": "2024-01-31T00:00:00Z",
            "counterpartySignerName": "Jane Signer",
            "counterpartySignerEmail": "jane@acme.example",
            "totalContractValue": {"currency": "USD", "amount": 50000.5},
            "counterpartyName": "Acme LLC",
            "counterpartyAddress": {
                "lines": ["325 5th Street"],
                "locality": "San Francisco",
                "region": "California",
                "postcode": "94107",
                "country": "USA"
            },
            "term": {"years": 3}
        },
        "creator": {"type": "email", "email": "contracts@example.com"}
    });
    Mock::given(method("POST"))
        .and(path(api("/workflows")))
        .and(query_param_is_missing("useDefaultValues"))
        .and(header("content-type", "application/json"))
        .and(body_json(&expected_body))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(1)
        .mount(&server)
        .await;
    let attributes = LaunchAttributes::new()
        .string("dynamicsMsaId", "0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d")
        .string_opt("dynamicsMsaNumber", Some("MSA-0042"))
        .string_opt("dynamicsOpportunity", None::<String>)
        .date("agreementDate", date!(2024 - 01 - 31))
        .string("counterpartySignerName", "Jane Signer")
        .email("counterpartySignerEmail", "jane@acme.example")
        .monetary_amount(
            "totalContractValue",
            MonetaryAmount::new(Decimal::new(5_000_050, 2), "USD"),
        )
        .string("counterpartyName", "Acme LLC")
        .address(
            "counterpartyAddress",
            Address::new()
                .line("325 5th Street")
                .line("")
                .locality("San Francisco")
                .region("California")
                .postcode("94107")
                .country("USA"),
        )
        .duration("term", ContractDuration::new().years(3));
    let launch = LaunchWorkflow::new("68dc41e5a7987b1e623e4711", attributes)
        .creator(UserRef::email("contracts@example.com"));
    let workflow = client(&server).workflows().launch(&launch).await.unwrap();

    assert_eq!(workflow.id, "6a6b328004308879e7d439b6");
    assert_eq!(workflow.readable_id().as_deref(), Some("IC-7"));
    assert_eq!(workflow.step, Some(WorkflowStep::Review));
    assert_eq!(workflow.status, Some(WorkflowStatus::Active));
    assert!(workflow.is_active());
    assert_eq!(workflow.approvals.as_ref().map(|a| &a.state), Some(&StageState::InProgress));
    assert_eq!(workflow.roles[1].id, "approver137e74661e0b40e38e3a52dff067cd0c");
    assert_eq!(workflow.created, Some(datetime!(2026-07-30 11:17:52.101 UTC)));
    assert_eq!(
        workflow.creator.as_ref().and_then(|c| c.email.as_deref()),
        Some("kelvin@nango.dev")
    );
    let attributes = &workflow.attributes;
    assert_eq!(
        attributes.monetary_amount("totalContractValue"),
        Some(MonetaryAmount::new(Decimal::new(12_345_678_912, 4), "USD"))
    );
    assert_eq!(
        attributes.address("counterpartyAddress").unwrap().lines,
        ["325 5th Street", "Suite 200"]
    );
    assert_eq!(
        attributes.duration("term"),
        Some(ContractDuration::new().years(1).months(2).weeks(3).days(4))
    );
    assert_eq!(attributes.date("agreementDate"), Some(date!(2021 - 05 - 11)));
    let draft = attributes.documents("draft").unwrap();
    assert_eq!(draft[0].key.as_deref(), Some("F7IYVm-59VHKoqCLLuiFd"));
    assert_eq!(draft[0].version_number, Some(2));
    assert_eq!(attributes.documents("totalContractValue"), None, "money is not a document");
    // The schema decodes, including nested table columns and element types.
    assert_eq!(
        workflow.schema["totalContractValue"].field_type,
        ironclad_client::workflows::FieldType::MonetaryAmount
    );
    let line_items = workflow.schema["lineItems"].element_type().unwrap();
    assert_eq!(
        line_items.schema["price"].field_type,
        ironclad_client::workflows::FieldType::MonetaryAmount
    );
    assert_eq!(
        workflow.schema["term"].default.as_ref().and_then(|d| d.as_duration()),
        Some(ContractDuration::new().days(0).months(0))
    );
}

#[tokio::test]
async fn launch_reports_the_missing_attribute() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api("/workflows")))
        .and(query_param("useDefaultValues", "true"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-ironclad-requestid", "req-400")
                .set_body_json(json!({
                    "code": "MISSING_PARAM",
                    "message": "missing required attribute",
                    "param": "counterpartySignerTitle"
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let launch = LaunchWorkflow::new(
        "68dc41e5a7987b1e623e4711",
        LaunchAttributes::new().string("counterpartyName", "Acme"),
    )
    .use_default_values(true);
    let error = client(&server).workflows().launch(&launch).await.unwrap_err();
    assert_eq!(error.code(), Some(&ErrorCode::MissingParam));
    assert_eq!(error.api_error().unwrap().param.as_deref(), Some("counterpartySignerTitle"));
    assert_eq!(error.request_id(), Some("req-400"));
    assert!(!error.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn launch_and_wait_polls_the_async_job_until_the_workflow_exists() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api("/workflows/async")))
        .and(body_json(json!({"template": "68dc41e5a7987b1e623e4711", "attributes": {"counterpartyName": "Acme LLC"}})))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("async_launch.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/async/02ZZsOt_eB9EfIE4luV5f")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("async_in_progress.json")))
        .up_to_n_times(2)
        .expect(2)
        .with_priority(1)
        .mount(&server)
        .await;
    let success = json!({
        "status": "success",
        "requestPayload": {"template": "68dc41e5a7987b1e623e4711"},
        "workflowUrls": {
            "browserUrl": "https://ironcladapp.com/workflow/6a6b328004308879e7d439b6",
            "apiUrl": "https://ironcladapp.com/public/api/v1/workflows/6a6b328004308879e7d439b6"
        },
        "workflow": workflow_json("6a6b328004308879e7d439b6")
    });
    Mock::given(method("GET"))
        .and(path(api("/workflows/async/02ZZsOt_eB9EfIE4luV5f")))
        .respond_with(ResponseTemplate::new(200).set_body_json(success))
        .expect(1)
        .mount(&server)
        .await;
    let client = paused_builder(&server).build().unwrap();
    let launch = LaunchWorkflow::new(
        "68dc41e5a7987b1e623e4711",
        LaunchAttributes::new().string("counterpartyName", "Acme LLC"),
    );
    let started = tokio::time::Instant::now();
    let workflow =
        client.workflows().launch_and_wait(&launch, AsyncPolling::default()).await.unwrap();
    assert_eq!(workflow.id, "6a6b328004308879e7d439b6");
    // Polls after 1 s and 2 s more: 3 s of (paused) waiting.
    assert_eq!(started.elapsed().as_secs(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_failed_async_launch_is_a_typed_error_and_a_slow_one_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/async/failed-job")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("async_failed.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/async/slow-job")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("async_in_progress.json")))
        .mount(&server)
        .await;
    let client = paused_builder(&server).build().unwrap();
    match client.workflows().wait_for_launch("failed-job", AsyncPolling::default()).await {
        Err(Error::LaunchFailed { job_id, failure }) => {
            assert_eq!(job_id, "failed-job");
            assert_eq!(failure.code, Some(ErrorCode::MissingParam));
            assert_eq!(failure.param.as_deref(), Some("counterpartyName"));
        }
        other => panic!("expected LaunchFailed, got {other:?}"),
    }
    let polling = AsyncPolling::default().timeout(Duration::from_secs(20));
    match client.workflows().wait_for_launch("slow-job", polling).await {
        Err(error @ Error::LaunchTimedOut { .. }) => assert!(error.is_timeout()),
        other => panic!("expected LaunchTimedOut, got {other:?}"),
    }
}

#[tokio::test]
async fn get_accepts_readable_ids_and_rejects_empty_ones_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let workflow = client.workflows().get("IC-7").await.unwrap();
    assert_eq!(
        workflow.attributes.string("dynamicsMsaId").as_deref(),
        Some("0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d")
    );
    for bad in ["", "  ", "..", "."] {
        let error = client.workflows().get(bad).await.unwrap_err();
        assert!(matches!(error, Error::InvalidRequest(_)), "{bad:?}: {error}");
    }
}

#[tokio::test]
async fn get_reports_not_found_with_the_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/missing")))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-ironclad-requestid", "8e2f0c1a")
                .set_body_json(json!({"code": "NOT_FOUND", "message": "workflow does not exist", "param": "workflowId"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).workflows().get("missing").await.unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.request_id(), Some("8e2f0c1a"));
    assert_eq!(
        error.to_string(),
        "Ironclad answered 404 Not Found to GET /public/api/v1/workflows/missing: NOT_FOUND: workflow \
         does not exist (param `workflowId`) [request id 8e2f0c1a]"
    );
}

#[tokio::test]
async fn update_attributes_sends_set_and_remove_and_returns_the_workflow() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(api("/workflows/6a6b328004308879e7d439b6/attributes")))
        .and(body_json(json!({
            "updates": [
                {"action": "set", "path": "shortResponseText", "value": "Updated via Nango action save dryrun v2"},
                {"action": "set", "path": "totalContractValue", "value": {"currency": "EUR", "amount": 75000}},
                {"action": "remove", "path": "legacyNotes"}
            ],
            "comment": "optional explanation"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(1)
        .mount(&server)
        .await;
    let updates = AttributeUpdates::new()
        .set("shortResponseText", "Updated via Nango action save dryrun v2")
        .set("totalContractValue", MonetaryAmount::new(Decimal::from(75000), "EUR"))
        .remove("legacyNotes")
        .comment("optional explanation");
    let client = client(&server);
    let workflow =
        client.workflows().update_attributes("6a6b328004308879e7d439b6", &updates).await.unwrap();
    assert_eq!(workflow.id, "6a6b328004308879e7d439b6");
    let error =
        client.workflows().update_attributes("x", &AttributeUpdates::new()).await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)));
}

#[tokio::test]
async fn update_attributes_is_replayed_only_without_a_comment() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(api("/workflows/safe/attributes")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(api("/workflows/safe/attributes")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(api("/workflows/commented/attributes")))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let set = AttributeUpdates::new().set("a", "b");
    client.workflows().update_attributes("safe", &set).await.unwrap();
    let error = client
        .workflows()
        .update_attributes("commented", &set.comment("posted once"))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn cancel_pause_and_resume_always_send_the_required_comment() {
    let server = MockServer::start().await;
    let cases = [
        ("cancel", json!({"comment": {"message": "Opportunity lost"}})),
        (
            "pause",
            json!({"comment": {"message": "Waiting for <@cfo@example.com>", "addUsersToWorkflow": true}}),
        ),
        ("resume", json!({"comment": {"message": "Budget approved", "addUsersToWorkflow": false}})),
    ];
    for (action, body) in &cases {
        Mock::given(method("POST"))
            .and(path(api(&format!("/workflows/w1/{action}"))))
            .and(body_json(body))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    client.workflows().cancel("w1", "Opportunity lost").await.unwrap();
    let mention =
        LifecycleComment::new("Waiting for <@cfo@example.com>").add_users_to_workflow(true);
    client.workflows().pause("w1", mention).await.unwrap();
    let resumed =
        LifecycleComment::new(String::from("Budget approved")).add_users_to_workflow(false);
    client.workflows().resume("w1", resumed).await.unwrap();
    // An empty comment is refused before anything is sent (the mocks' counts prove it).
    for blank in [" ", ""] {
        assert!(matches!(
            client.workflows().cancel("w1", blank).await,
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            client.workflows().pause("w1", blank).await,
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            client.workflows().resume("w1", blank).await,
            Err(Error::InvalidRequest(_))
        ));
    }
}

#[tokio::test]
async fn workflow_schemas_always_ask_for_the_launch_form() {
    let server = MockServer::start().await;
    // Ironclad requires `form=launch`: a request without it must not be answered here.
    Mock::given(method("GET"))
        .and(path(api("/workflow-schemas")))
        .and(query_param("form", "launch"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow_schemas.json")))
        .expect(1)
        .mount(&server)
        .await;
    // One template's launch form, shaped like Ironclad's: role-scoped signer ids, no
    // `propertyKey` on launch fields, options and nested table schemas.
    let template = json!({
        "id": "5f7a9c1e2b3d4a5f6e7d8c9b",
        "name": "Master Services Agreement",
        "schema": {
            "counterpartyName": {"type": "string", "displayName": "Counterparty Name", "required": "always", "options": {"freeTextAllowed": true}},
            "role3a9d0c7be41f4c2a8d5e6f708192a3b4": {"type": "email", "displayName": "Counterparty Signer Email", "required": "always"},
            "role7e6d5c4b3a2910f8e7d6c5b4a3928170": {"type": "string", "displayName": "Counterparty Signer Name", "required": "always", "options": {"freeTextAllowed": true}},
            "totalContractValue": {"type": "monetaryAmount", "displayName": "Total Contract Value", "required": "never", "propertyKey": "totalContractValue_5f7a9c1e-2b3d-4a5f-6e7d-8c9b0a1b2c3d_monetary_amount"},
            "term": {"type": "duration", "displayName": "Term", "required": "never", "default": {"days": 0, "months": 0}}
        },
        "permissions": ["launch", "view"]
    });
    Mock::given(method("GET"))
        .and(path(api("/workflow-schemas/5f7a9c1e2b3d4a5f6e7d8c9b")))
        .and(query_param("form", "launch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(template))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let templates = client.workflow_schemas().list().await.unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].name.as_deref(), Some("Every Field Type"));
    assert_eq!(templates[0].permissions, ["launch", "view"]);
    assert_eq!(
        templates[0].schema["counterpartySignerTitle"].required,
        Some(ironclad_client::workflows::FieldRequirement::Conditional)
    );

    let one = client.workflow_schemas().get("5f7a9c1e2b3d4a5f6e7d8c9b").await.unwrap();
    assert_eq!(one.id, "5f7a9c1e2b3d4a5f6e7d8c9b");
    let (email_id, email) = one.field_by_display_name(" Counterparty Signer Email ").unwrap();
    assert_eq!(email_id, "role3a9d0c7be41f4c2a8d5e6f708192a3b4");
    assert_eq!(email.field_type, ironclad_client::workflows::FieldType::Email);
    assert_eq!(email.required, Some(ironclad_client::workflows::FieldRequirement::Always));
    assert_eq!(email.property_key, None);
    let (name_id, _) = one.field_by_display_name("counterparty signer name").unwrap();
    assert_eq!(name_id, "role7e6d5c4b3a2910f8e7d6c5b4a3928170");
    let (value_id, value) = one
        .field_by_property_key(
            "totalContractValue_5f7a9c1e-2b3d-4a5f-6e7d-8c9b0a1b2c3d_monetary_amount",
        )
        .unwrap();
    assert_eq!(value_id, "totalContractValue");
    assert_eq!(value.display_name.as_deref(), Some("Total Contract Value"));
    assert!(one.field_by_display_name("Counterparty Signer Title").is_none());
}

#[tokio::test]
async fn huge_polling_intervals_time_out_instead_of_overflowing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/async/slow-job")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("async_in_progress.json")))
        .expect(1)
        .mount(&server)
        .await;
    let polling = AsyncPolling::default()
        .initial_interval(Duration::MAX)
        .max_interval(Duration::MAX)
        .timeout(Duration::from_secs(60));
    let error = client(&server).workflows().wait_for_launch("slow-job", polling).await.unwrap_err();
    assert!(matches!(error, Error::LaunchTimedOut { .. }), "{error}");
}

#[tokio::test]
async fn revert_to_review_sends_the_optional_user_and_is_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(api("/workflows/w1/revert-to-review")))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(api("/workflows/IC-7/revert-to-review")))
        .and(body_json(json!({"user": {"type": "email", "email": "legal@example.com"}})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // A lost answer is not replayed: the second revert would fail on a workflow in Review.
    Mock::given(method("PATCH"))
        .and(path(api("/workflows/w503/revert-to-review")))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client.workflows().revert_to_review("w1", None).await.unwrap();
    client.workflows().revert_to_review("IC-7", Some("legal@example.com")).await.unwrap();
    let lost = client.workflows().revert_to_review("w503", None).await.unwrap_err();
    assert!(matches!(lost, Error::Api(ref e) if e.status.as_u16() == 503), "{lost:?}");
    let blank = client.workflows().revert_to_review("w1", Some(" ")).await.unwrap_err();
    assert!(matches!(blank, Error::InvalidRequest(_)), "{blank:?}");
}

#[tokio::test]
async fn revert_to_review_reports_the_wrong_step() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(api("/workflows/w1/revert-to-review")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": "INVALID_STATE",
            "message": "workflow cannot be reverted to review as it is not in the sign stage",
            "param": "user"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).workflows().revert_to_review("w1", None).await.unwrap_err();
    let Error::Api(api_error) = error else { panic!("{error:?}") };
    assert_eq!(api_error.status.as_u16(), 400);
    assert_eq!(api_error.code, Some(ErrorCode::InvalidState));
    assert!(api_error.message.as_deref().unwrap_or_default().contains("sign stage"));
}
