//! Queries and paging: query options, literals, `Prefer` headers, lazy streams, next links.

mod common;

use common::{API, client, fixture_for, odata_headers, raw_query};
use dataverse_client::{
    Error,
    paging::Page,
    query::{Expand, Filter, Query, literal},
    records::Record,
};
use futures_util::{StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::json;
use time::macros::datetime;
use uuid::Uuid;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Deserialize, PartialEq)]
struct Account {
    accountid: Uuid,
    name: String,
}

#[tokio::test]
async fn agreement_query_with_nested_expand_and_page_size() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/cre6f_agreements")))
        .and(query_param("$select", "cre6f_agreementid,cre6f_name,cre6f_agreementvalue"))
        .and(query_param(
            "$filter",
            "cre6f_agreementtype eq 1 and modifiedon gt 2024-05-01T12:30:00Z",
        ))
        .and(query_param("$orderby", "modifiedon asc"))
        .and(query_param(
            "$expand",
            "cre6f_Opportunity($select=name,totalamount;$expand=parentaccountid($select=name,address1_line1)),transactioncurrencyid($select=isocurrencycode)",
        ))
        .and(header("prefer", "odata.maxpagesize=500"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "x",
            "value": [{
                "@odata.etag": "W/\"1\"",
                "cre6f_agreementid": "00000000-0000-0000-0000-0000000000a1",
                "cre6f_name": "MSA",
                "cre6f_agreementvalue": 250000.5,
                "cre6f_Opportunity": { "name": "Big deal", "totalamount": 250000.5,
                    "parentaccountid": { "name": "Contoso", "address1_line1": "1 Main St" } },
                "transactioncurrencyid": { "isocurrencycode": "USD" }
            }]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let query = Query::new("cre6f_agreements")
        .select(["cre6f_agreementid", "cre6f_name", "cre6f_agreementvalue"])
        .filter(Filter::eq("cre6f_agreementtype", 1))
        .filter(Filter::gt("modifiedon", datetime!(2024-05-01 14:30 +02:00)))
        .order_by("modifiedon")
        .expand(
            Expand::new("cre6f_Opportunity")
                .select(["name", "totalamount"])
                .expand(Expand::new("parentaccountid").select(["name", "address1_line1"])),
        )
        .expand(Expand::new("transactioncurrencyid").select(["isocurrencycode"]))
        .max_page_size(500);
    let rows: Vec<Record> = client(&server).query(query).collect_all().await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["cre6f_Opportunity"]["parentaccountid"]["name"], "Contoso");
    assert_eq!(rows[0]["transactioncurrencyid"]["isocurrencycode"], "USD");
}

#[tokio::test]
async fn user_input_stays_inside_its_literal() {
    let server = MockServer::start().await;
    let hostile = "x' or name ne 'y&$top=1#";
    Mock::given(method("GET"))
        .and(path(format!("{API}/accounts")))
        .and(query_param("$filter", "name eq 'x'' or name ne ''y&$top=1#' or contains(name,'50[%]+')"))
        .and(raw_query(
            // `&`, `#`, `%` and `+` are escaped, so none of them ends the value or changes it;
            // inside `contains` the LIKE wildcard `%` is bracketed first, so it matches itself.
            // (The `url` crate escapes `'` as %27 in http(s) queries; servers decode it back.)
            "$filter=name%20eq%20%27x%27%27%20or%20name%20ne%20%27%27y%26$top=1%23%27%20or%20contains(name,%2750%5B%25%5D%2B%27)"
                .to_owned(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [] })))
        .expect(1)
        .mount(&server)
        .await;
    let query = Query::new("accounts")
        .filter(Filter::eq("name", hostile).or(Filter::contains("name", "50%+")));
    let rows: Vec<Record> = client(&server).query(query).collect_all().await.expect("rows");
    assert!(rows.is_empty());
    // The same guarantee for hand-written filters through `literal`.
    assert_eq!(format!("name eq {}", literal(hostile)), "name eq 'x'' or name ne ''y&$top=1#'");
}

#[tokio::test]
async fn records_follow_next_links_verbatim_and_lazily() {
    let server = MockServer::start().await;
    let page1 = fixture_for(&server, "accounts_page1.json");
    let next_link = page1["@odata.nextLink"].as_str().expect("link").to_owned();
    let next_query = next_link.split_once('?').map(|(_, q)| q.to_owned()).expect("query");
    Mock::given(method("GET"))
        .and(path(format!("{API}/accounts")))
        .and(raw_query("$select=name".to_owned()))
        .and(header("prefer", "odata.maxpagesize=2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page1))
        .expect(1)
        .mount(&server)
        .await;
    // The second request uses the link exactly as returned, with the same page size.
    Mock::given(method("GET"))
        .and(path(format!("{API}/accounts")))
        .and(raw_query(next_query))
        .and(header("prefer", "odata.maxpagesize=2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture_for(&server, "accounts_page2.json")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let stream =
        client.query::<Account>(Query::new("accounts").select(["name"]).max_page_size(2)).records();
    // Nothing is fetched until the stream is polled.
    tokio::task::yield_now().await;
    assert!(server.received_requests().await.unwrap_or_default().is_empty());
    let rows: Vec<Account> = stream.try_collect().await.expect("rows");
    let names: Vec<&str> = rows.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["Fourth Coffee (sample)", "Litware, Inc. (sample)", "Adventure Works (sample)"]
    );
}

#[tokio::test]
async fn pages_expose_links_and_counts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("$count", "true"))
        // Without these annotations Dataverse never says whether the count was capped.
        // (Compared whole: wiremock's `header` matcher would split the value at its comma.)
        .and(|request: &wiremock::Request| {
            request.headers.get("prefer").and_then(|v| v.to_str().ok())
                == Some(
                    "odata.include-annotations=\"Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded\"",
                )
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.count": 5000,
            "@Microsoft.Dynamics.CRM.totalrecordcount": 5000,
            "@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded": true,
            "value": [{ "accountid": "89390c24-9c72-e511-80d4-00155d2a68d1", "name": "A" }],
            "@odata.nextLink": format!("{}{API}/accounts?$count=true&$skiptoken=abc", server.uri())
        })))
        .expect(1)
        .mount(&server)
        .await;
    let page: Page<Account> =
        client(&server).query(Query::new("accounts").count()).first_page().await.expect("page");
    assert_eq!(page.count, Some(5000));
    assert_eq!(page.count_limit_exceeded, Some(true));
    assert_eq!(page.items.len(), 1);
    assert!(page.next_link.as_deref().is_some_and(|l| l.ends_with("$skiptoken=abc")));
}

#[tokio::test]
async fn a_repeated_next_link_stops_with_an_error() {
    let server = MockServer::start().await;
    let link = format!("{}{API}/accounts?$skiptoken=same", server.uri());
    Mock::given(method("GET"))
        .and(raw_query("$select=name".to_owned()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{ "accountid": "89390c24-9c72-e511-80d4-00155d2a68d1", "name": "A" }],
            "@odata.nextLink": link
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(raw_query("$skiptoken=same".to_owned()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{ "accountid": "8b390c24-9c72-e511-80d4-00155d2a68d1", "name": "B" }],
            "@odata.nextLink": link
        })))
        .expect(1)
        .mount(&server)
        .await;
    let results: Vec<Result<Account, Error>> =
        client(&server).query(Query::new("accounts").select(["name"])).records().collect().await;
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().map(|a| a.name.as_str()).ok(), Some("A"));
    assert_eq!(results[1].as_ref().map(|a| a.name.as_str()).ok(), Some("B"));
    assert!(matches!(results[2], Err(Error::PagingLoop)));
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [],
            "@odata.nextLink": "https://evil.example.com/api/data/v9.2/accounts?$skiptoken=x"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let pages: Vec<Result<Page<Record>, Error>> =
        client(&server).query(Query::new("accounts")).pages().collect().await;
    assert_eq!(pages.len(), 2);
    assert!(pages[0].is_ok());
    assert!(matches!(&pages[1], Err(Error::UnexpectedResponse(m)) if m.contains("another origin")));
}

#[tokio::test]
async fn resume_from_a_saved_next_link() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(raw_query("$select=name&$skiptoken=saved".to_owned()))
        .and(header("prefer", "odata.maxpagesize=10"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture_for(&server, "accounts_page2.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let link = format!("{}{API}/accounts?$select=name&$skiptoken=saved", server.uri());
    let rows: Vec<Account> = client(&server)
        .query(Query::new("accounts").select(["name"]).max_page_size(10))
        .resume_from(link)
        .collect_all()
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
}

#[tokio::test]
async fn related_rows_and_invalid_queries() {
    let server = MockServer::start().await;
    let id = Uuid::parse_str("00000000-0000-0000-0000-000000000001").expect("uuid");
    Mock::given(method("GET"))
        .and(path(format!("{API}/accounts({id})/Account_Tasks")))
        .and(query_param("$select", "subject"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "value": [{ "subject": "Task 1" }] })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let tasks: Vec<Record> = client
        .query(Query::related("accounts", id, "Account_Tasks").select(["subject"]))
        .collect_all()
        .await
        .expect("tasks");
    assert_eq!(tasks[0]["subject"], "Task 1");

    let error = client
        .query::<Record>(Query::new("accounts").select(["name; drop"]))
        .collect_all()
        .await
        .expect_err("invalid");
    assert!(matches!(error, Error::InvalidRequest(_)));
    let error = client
        .query::<Record>(Query::new("accounts").max_page_size(10_000))
        .first_page()
        .await
        .expect_err("invalid");
    assert!(matches!(error, Error::InvalidRequest(_)));
}

#[tokio::test]
async fn any_of_an_empty_list_fails_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [] })))
        .expect(0)
        .mount(&server)
        .await;
    let query = Query::new("accounts").filter(Filter::any_of("statuscode", Vec::<i32>::new()));
    let error = client(&server).query::<Record>(query).collect_all().await.expect_err("no values");
    assert!(matches!(&error, Error::InvalidRequest(m) if m.contains("any_of")), "{error:?}");
}
