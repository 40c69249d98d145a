//! `$batch`: exact multipart bodies, change sets with Content-ID references, per-request
//! results, continue-on-error, splitting at 1000 requests, retries.

mod common;

use std::time::Duration;

use common::multipart::{BOUNDARY, batch_response, created, http_part, multipart, normalized_body};
use common::{API, builder, client, odata_headers};
use std::sync::atomic::{AtomicUsize, Ordering};

use dataverse_client::{
    Error,
    batch::{Batch, BatchOutcome, BatchRequest},
    config::RetryPolicy,
    paging::Page,
    query::Query,
    records::Record,
};
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[tokio::test]
async fn writes_the_documented_multipart_format_and_reads_every_result() {
    let server = MockServer::start().await;
    let account = "00000000-0000-0000-0000-000000000001";
    let expected_body = [
        "--BATCH",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "",
        "POST /api/data/v9.2/tasks HTTP/1.1",
        "Content-Type: application/json; type=entry",
        "",
        // serde_json's map orders keys alphabetically.
        r#"{"regardingobjectid_account_task@odata.bind":"accounts(00000000-0000-0000-0000-000000000001)","subject":"Task 1 in batch"}"#,
        "--BATCH",
        "Content-Type: multipart/mixed; boundary=\"CHANGESET\"",
        "",
        "--CHANGESET",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "Content-ID: 1",
        "",
        "POST /api/data/v9.2/contacts HTTP/1.1",
        "Content-Type: application/json; type=entry",
        "",
        r#"{"firstname":"Contact first name"}"#,
        "--CHANGESET",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "Content-ID: 2",
        "",
        "POST /api/data/v9.2/accounts HTTP/1.1",
        "Content-Type: application/json; type=entry",
        "",
        r#"{"name":"IcM Account","primarycontactid@odata.bind":"$1"}"#,
        "--CHANGESET",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "Content-ID: 3",
        "",
        "PATCH $1 HTTP/1.1",
        "Content-Type: application/json; type=entry",
        "",
        r#"{"jobtitle":"Buyer"}"#,
        "--CHANGESET--",
        "--BATCH",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "",
        "GET /api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)/Account_Tasks?$select=subject HTTP/1.1",
        "Prefer: odata.maxpagesize=10",
        "",
        "",
        "--BATCH--",
        "",
    ]
    .join("\r\n");
    let response = multipart(
        BOUNDARY,
        &[
            created("tasks", "d31ba648-c592-ed11-aad1-000d3a993550", None),
            format!(
                "Content-Type: multipart/mixed; boundary=changesetresponse_64cc\r\n\r\n{}",
                multipart(
                    "changesetresponse_64cc",
                    &[
                        created("contacts", "e73ffc82-e292-ed11-aad1-000d3a9933c9", Some(1)),
                        created("accounts", "e83ffc82-e292-ed11-aad1-000d3a9933c9", Some(2)),
                        http_part("204 No Content", &[("OData-Version", "4.0")], "", Some(3)),
                    ]
                )
            ),
            http_part(
                "200 OK",
                &[(
                    "Content-Type",
                    "application/json; odata.metadata=minimal; odata.streaming=true",
                )],
                r#"{"@odata.context":"x","value":[{"@odata.etag":"W/\"77180907\"","subject":"Task 1 in batch","activityid":"d31ba648-c592-ed11-aad1-000d3a993550"}]}"#,
                None,
            ),
        ],
    );
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/$batch")))
        .and(|request: &Request| {
            request
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("multipart/mixed; boundary=\"batch_"))
        })
        .and(move |request: &Request| normalized_body(request) == expected_body)
        .respond_with(batch_response(200, response))
        .expect(1)
        .mount(&server)
        .await;

    let mut batch = Batch::new();
    batch.add(BatchRequest::create(
        "tasks",
        // Keys in sorted order: the workspace build enables serde_json's `preserve_order`
        // (for ironclad-client), so the body must not depend on which map order is in use.
        &json!({ "regardingobjectid_account_task@odata.bind": format!("accounts({account})"), "subject": "Task 1 in batch" }),
    ));
    {
        let mut set = batch.change_set();
        let contact = set
            .add(BatchRequest::create("contacts", &json!({ "firstname": "Contact first name" })));
        set.add(BatchRequest::create(
            "accounts",
            &json!({ "name": "IcM Account", "primarycontactid@odata.bind": contact.reference() }),
        ));
        set.add(BatchRequest::update_created(contact, &json!({ "jobtitle": "Buyer" })));
    }
    let account_id = Uuid::parse_str(account).expect("uuid");
    batch.add(BatchRequest::query(
        &Query::related("accounts", account_id, "Account_Tasks")
            .select(["subject"])
            .max_page_size(10),
    ));

    let results = client(&server).execute_batch(batch).await.expect("batch");
    assert!(results.all_succeeded());
    assert_eq!(results.len(), 5);
    assert_eq!(
        results[0].response().and_then(|r| r.entity_id()),
        Uuid::parse_str("d31ba648-c592-ed11-aad1-000d3a993550").ok()
    );
    assert_eq!(
        results[2].response().and_then(|r| r.entity_id()),
        Uuid::parse_str("e83ffc82-e292-ed11-aad1-000d3a9933c9").ok()
    );
    let tasks: Page<Record> = results[4].response().expect("read").json().expect("page");
    assert_eq!(tasks.items[0]["subject"], "Task 1 in batch");
}

fn validation_error(req_id: &str) -> String {
    http_part(
        "400 Bad Request",
        &[
            ("REQ_ID", req_id),
            ("Content-Type", "application/json; odata.metadata=minimal"),
            ("OData-Version", "4.0"),
        ],
        r#"{"error":{"code":"0x80044331","message":"A validation error occurred.  The length of the 'subject' attribute of the 'task' entity exceeded the maximum allowed length of '200'."}}"#,
        None,
    )
}

fn three_tasks() -> Batch {
    let mut batch = Batch::new();
    for subject in ["x".repeat(250), "Task 2 in batch".to_owned(), "Task 3 in batch".to_owned()] {
        batch.add(BatchRequest::create("tasks", &json!({ "subject": subject })));
    }
    batch
}

#[tokio::test]
async fn without_continue_on_error_the_batch_stops_at_the_first_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .and(|request: &Request| !request.headers.contains_key("prefer"))
        .respond_with(batch_response(
            400,
            multipart(BOUNDARY, &[validation_error("5ecd1cb3-1730-4ffc-909c-d44c22270026")]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let results = client(&server).execute_batch(three_tasks()).await.expect("batch");
    assert!(!results.all_succeeded());
    match &results[0] {
        BatchOutcome::Failed(error) => {
            assert_eq!(error.status, 400);
            assert_eq!(error.code.as_deref(), Some("0x80044331"));
            assert_eq!(error.request_id.as_deref(), Some("5ecd1cb3-1730-4ffc-909c-d44c22270026"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(results[1], BatchOutcome::NotExecuted));
    assert!(matches!(results[2], BatchOutcome::NotExecuted));
    let error = results.first_error().expect("error");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn continue_on_error_reports_each_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .and(header("prefer", "odata.continue-on-error"))
        .respond_with(batch_response(
            200,
            multipart(
                BOUNDARY,
                &[
                    validation_error("de4c5227-4a28-4ebd-8ced-3392ece1697b"),
                    created("tasks", "aed2ae8b-3c94-ed11-aad1-000d3a9933c9", None),
                    created("tasks", "b0d2ae8b-3c94-ed11-aad1-000d3a9933c9", None),
                ],
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let results =
        client(&server).execute_batch(three_tasks()).continue_on_error(true).await.expect("batch");
    assert!(matches!(results[0], BatchOutcome::Failed(_)));
    assert!(results[1].is_success());
    assert!(results[2].is_success());
}

#[tokio::test]
async fn a_failed_change_set_rolls_back_all_of_its_requests() {
    let server = MockServer::start().await;
    let mut failure = validation_error("1");
    failure = failure.replacen(
        "Content-Transfer-Encoding: binary\r\n",
        "Content-Transfer-Encoding: binary\r\nContent-ID: 2\r\n",
        1,
    );
    Mock::given(method("POST"))
        .respond_with(batch_response(400, multipart(BOUNDARY, &[failure])))
        .expect(1)
        .mount(&server)
        .await;
    let mut batch = Batch::new();
    {
        let mut set = batch.change_set();
        set.add(BatchRequest::create("tasks", &json!({ "subject": "ok" })));
        set.add(BatchRequest::create("tasks", &json!({ "subject": "x".repeat(250) })));
    }
    batch.add(BatchRequest::create("tasks", &json!({ "subject": "later" })));
    let results = client(&server).execute_batch(batch).await.expect("batch");
    assert!(matches!(results[0], BatchOutcome::RolledBack(_)));
    assert!(matches!(results[1], BatchOutcome::Failed(_)));
    assert!(matches!(results[2], BatchOutcome::NotExecuted));
}

/// Answers every `$batch` with one `204` part per request part it received.
struct EchoCreated;

impl Respond for EchoCreated {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let count = body.matches("\r\nPOST /api/data/v9.2/tasks HTTP/1.1\r\n").count();
        let parts: Vec<String> = (0..count)
            .map(|i| created("tasks", &Uuid::from_u128(i as u128 + 1).to_string(), None))
            .collect();
        batch_response(200, multipart(BOUNDARY, &parts))
    }
}

#[tokio::test]
async fn more_than_1000_requests_are_split_into_several_batches() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .respond_with(EchoCreated)
        .expect(2)
        .mount(&server)
        .await;
    let mut batch = Batch::new();
    for n in 0..1001 {
        batch.add(BatchRequest::create("tasks", &json!({ "subject": format!("Task {n}") })));
    }
    let results = client(&server).execute_batch(batch).await.expect("batch");
    assert_eq!(results.len(), 1001);
    assert!(results.all_succeeded());
    let requests = server.received_requests().await.unwrap_or_default();
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).matches("POST /api/data/v9.2/tasks").count())
        .collect();
    assert_eq!(sizes, [1000, 1]);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_batch_is_replayed_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7").set_body_json(json!({
            "error": { "code": "0x80072322", "message": "Number of requests exceeded the limit of 6000 over time window of 300 seconds." }
        })))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(batch_response(
            200,
            multipart(BOUNDARY, &[created("tasks", "aed2ae8b-3c94-ed11-aad1-000d3a9933c9", None)]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(RetryPolicy::default()).build().expect("client");
    let mut batch = Batch::new();
    batch.add(BatchRequest::create("tasks", &json!({ "subject": "x" })));
    let started = tokio::time::Instant::now();
    let results = client.execute_batch(batch).await.expect("batch");
    assert!(results.all_succeeded());
    assert!(started.elapsed() >= Duration::from_secs(7));
}

#[tokio::test]
async fn invalid_requests_and_plain_error_responses() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": { "code": "0x0", "message": "The batch request must have a Content-Type header." }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let mut batch = Batch::new();
    batch.add(BatchRequest::create("tasks", &json!({})));
    let error = client.execute_batch(batch).await.expect_err("plain error");
    assert!(matches!(error, Error::Api(_)), "{error:?}");

    let mut invalid = Batch::new();
    invalid.add(BatchRequest::create("tasks", &json!({})));
    invalid.add(BatchRequest::delete("bad name", Uuid::nil()));
    let error = client.execute_batch(invalid).await.expect_err("invalid");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");

    let mut get_in_change_set = Batch::new();
    get_in_change_set.change_set().add(BatchRequest::query(&Query::new("accounts")));
    let error = client.execute_batch(get_in_change_set).await.expect_err("get in change set");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn a_content_id_used_outside_its_change_set_is_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server);
    let out_of_scope = |error: Error, expected: u32| match error {
        Error::ContentIdOutOfScope { reference } => assert_eq!(reference.value(), expected),
        other => panic!("expected ContentIdOutOfScope, got {other:?}"),
    };

    // In the URL of a request outside any change set.
    let mut batch = Batch::new();
    let contact = batch.change_set().add(BatchRequest::create("contacts", &json!({})));
    batch.add(BatchRequest::update_created(contact, &json!({ "lastname": "Glynn" })));
    out_of_scope(client.execute_batch(batch).await.expect_err("single"), 1);

    // In an `@odata.bind` of a request in another change set.
    let mut batch = Batch::new();
    let contact = batch.change_set().add(BatchRequest::create("contacts", &json!({})));
    batch.change_set().add(BatchRequest::create(
        "accounts",
        &json!({ "name": "Contoso", "primarycontactid@odata.bind": contact.reference() }),
    ));
    out_of_scope(client.execute_batch(batch).await.expect_err("other change set"), 1);

    // In the `@odata.id` of `set_lookup_created`, naming the request itself (`$2`, taken
    // from another batch): only earlier requests of the set define a reference.
    let mut other = Batch::new();
    let mut other_set = other.change_set();
    other_set.add(BatchRequest::create("contacts", &json!({})));
    let second = other_set.add(BatchRequest::create("contacts", &json!({})));
    let mut batch = Batch::new();
    let mut set = batch.change_set();
    let account = set.add(BatchRequest::create("accounts", &json!({})));
    set.add(BatchRequest::set_lookup_created(account, "primarycontactid", second));
    out_of_scope(client.execute_batch(batch).await.expect_err("itself"), 2);
}

fn in_change_set(part: String) -> String {
    format!(
        "Content-Type: multipart/mixed; boundary=changesetresponse_e5e6\r\n\r\n{}",
        multipart("changesetresponse_e5e6", &[part])
    )
}

fn with_content_id(part: String, id: u32) -> String {
    part.replacen(
        "Content-Transfer-Encoding: binary\r\n",
        &format!("Content-Transfer-Encoding: binary\r\nContent-ID: {id}\r\n"),
        1,
    )
}

fn three_task_change_set() -> Batch {
    let mut batch = Batch::new();
    let mut set = batch.change_set();
    set.add(BatchRequest::create("tasks", &json!({ "subject": "ok 1" })));
    set.add(BatchRequest::create("tasks", &json!({ "subject": "x".repeat(250) })));
    set.add(BatchRequest::create("tasks", &json!({ "subject": "ok 3" })));
    batch
}

#[tokio::test]
async fn a_failed_change_set_answered_with_its_failed_part_alone_rolls_back_the_others() {
    // Dataverse answers a failed change set with a `changesetresponse` that holds only the
    // failing request (here the second of three).
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(batch_response(
            400,
            multipart(BOUNDARY, &[in_change_set(with_content_id(validation_error("r2"), 2))]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let results = client(&server).execute_batch(three_task_change_set()).await.expect("batch");
    match (&results[0], &results[1], &results[2]) {
        (
            BatchOutcome::RolledBack(first),
            BatchOutcome::Failed(failed),
            BatchOutcome::RolledBack(third),
        ) => {
            assert_eq!(failed.request_id.as_deref(), Some("r2"));
            assert_eq!(first.code.as_deref(), Some("0x80044331"));
            assert_eq!(third.request_id.as_deref(), Some("r2"));
        }
        other => panic!("{other:?}"),
    }
    let error = results.first_error().expect("error");
    assert_eq!(error.api_error().and_then(|e| e.code.as_deref()), Some("0x80044331"));
}

#[tokio::test]
async fn a_success_inside_a_failed_change_set_was_rolled_back() {
    let server = MockServer::start().await;
    let parts = [
        created("tasks", "e73ffc82-e292-ed11-aad1-000d3a9933c9", Some(1)),
        with_content_id(validation_error("r2"), 2),
    ];
    let change_set = format!(
        "Content-Type: multipart/mixed; boundary=changesetresponse_e5e6\r\n\r\n{}",
        multipart("changesetresponse_e5e6", &parts)
    );
    Mock::given(method("POST"))
        .respond_with(batch_response(400, multipart(BOUNDARY, &[change_set])))
        .expect(1)
        .mount(&server)
        .await;
    let results = client(&server).execute_batch(three_task_change_set()).await.expect("batch");
    assert!(matches!(results[0], BatchOutcome::RolledBack(_)), "{:?}", results[0]);
    assert!(matches!(results[1], BatchOutcome::Failed(_)), "{:?}", results[1]);
    assert!(matches!(results[2], BatchOutcome::RolledBack(_)), "{:?}", results[2]);
}

/// Answers the first `$batch` like [`EchoCreated`], every later one with `then`.
struct FirstThen {
    calls: AtomicUsize,
    then: ResponseTemplate,
}

impl Respond for FirstThen {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            EchoCreated.respond(request)
        } else {
            self.then.clone()
        }
    }
}

fn tasks(n: usize) -> Batch {
    let mut batch = Batch::new();
    for i in 0..n {
        batch.add(BatchRequest::create("tasks", &json!({ "subject": format!("Task {i}") })));
    }
    batch
}

#[tokio::test]
async fn a_later_piece_without_an_answer_keeps_the_committed_outcomes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .respond_with(FirstThen {
            calls: AtomicUsize::new(0),
            then: ResponseTemplate::new(502).set_body_string("Bad Gateway"),
        })
        .expect(2)
        .mount(&server)
        .await;
    let error = client(&server).execute_batch(tasks(1001)).await.expect_err("interrupted");
    let Error::BatchInterrupted(interrupted) = &error else { panic!("{error:?}") };
    let outcomes = interrupted.results.outcomes();
    assert_eq!(outcomes.len(), 1001);
    assert!(outcomes[..1000].iter().all(BatchOutcome::is_success));
    assert_eq!(outcomes[999].response().and_then(|r| r.entity_id()), Some(Uuid::from_u128(1000)));
    // The second piece may or may not have been applied.
    assert!(matches!(outcomes[1000], BatchOutcome::Unknown), "{:?}", outcomes[1000]);
    assert_eq!(interrupted.error.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert!(!error.is_retryable());
    assert!(
        error
            .to_string()
            .starts_with("the batch stopped after Dataverse answered 1000 of its 1001 requests"),
        "{error}"
    );
}

#[tokio::test]
async fn a_later_piece_refused_as_a_whole_was_not_executed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(FirstThen {
            calls: AtomicUsize::new(0),
            then: ResponseTemplate::new(400).set_body_json(json!({
                "error": { "code": "0x0", "message": "The batch request must have a Content-Type header." }
            })),
        })
        .expect(2)
        .mount(&server)
        .await;
    let error = client(&server).execute_batch(tasks(2500)).await.expect_err("interrupted");
    let Error::BatchInterrupted(interrupted) = &error else { panic!("{error:?}") };
    let outcomes = interrupted.results.outcomes();
    assert_eq!(outcomes.len(), 2500);
    assert!(outcomes[..1000].iter().all(BatchOutcome::is_success));
    // Neither the refused piece nor the one after it ran.
    assert!(outcomes[1000..].iter().all(|o| matches!(o, BatchOutcome::NotExecuted)));
}

#[tokio::test]
async fn a_batch_waits_longer_than_the_attempt_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            batch_response(
                200,
                multipart(
                    BOUNDARY,
                    &[created("tasks", "aed2ae8b-3c94-ed11-aad1-000d3a9933c9", None)],
                ),
            )
            .set_delay(Duration::from_millis(400)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "value": [] }))
                .set_delay(Duration::from_millis(400)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = common::short_attempts_long_batches(&server);
    let results = client.execute_batch(tasks(1)).await.expect("the batch outlives 100 ms");
    assert!(results.all_succeeded());
    let error = client.query::<Record>(Query::new("tasks")).first_page().await.expect_err("GET");
    assert!(matches!(error, Error::Timeout(t) if t == Duration::from_millis(100)), "{error:?}");
}

#[tokio::test]
async fn a_fetch_xml_part_asks_for_the_paging_annotations() {
    let server = MockServer::start().await;
    let cookie = "<cookie pagenumber=\\\"2\\\" pagingcookie=\\\"%253ccookie%2520page%253d%25221%2522%253e%253c%252fcookie%253e\\\" istracking=\\\"False\\\" />";
    let page = format!(
        r#"{{"@Microsoft.Dynamics.CRM.fetchxmlpagingcookie":"{cookie}","@Microsoft.Dynamics.CRM.morerecords":true,"value":[{{"fullname":"A"}}]}}"#
    );
    let part = http_part("200 OK", &[("Content-Type", "application/json")], &page, None);
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .respond_with(batch_response(200, multipart(BOUNDARY, &[part])))
        .expect(1)
        .mount(&server)
        .await;
    let mut batch = Batch::new();
    batch.add(BatchRequest::fetch_xml(
        "contacts",
        "<fetch count='1'><entity name='contact' /></fetch>",
    ));
    let results = client(&server).execute_batch(batch).await.expect("batch");

    let requests = server.received_requests().await.unwrap_or_default();
    let expected = [
        "--BATCH",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "",
        "GET /api/data/v9.2/contacts?fetchXml=%3Cfetch%20count='1'%3E%3Centity%20name='contact'%20/%3E%3C/fetch%3E HTTP/1.1",
        "Prefer: odata.include-annotations=\"*\"",
        "",
        "",
        "--BATCH--",
        "",
    ]
    .join("\r\n");
    assert_eq!(normalized_body(&requests[0]), expected);
    let page: Page<Record> =
        results.get(0).and_then(BatchOutcome::response).expect("page").json().expect("json");
    assert_eq!(page.more_records, Some(true));
    assert!(page.paging_cookie.is_some_and(|c| c.starts_with("<cookie pagenumber=\"2\"")));
}
