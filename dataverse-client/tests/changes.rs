//! Change tracking: initial sync, delta link, upserts and deletions.

mod common;

use common::{API, client, fixture_for, odata_headers, raw_query};
use dataverse_client::{
    Error,
    changes::{Change, DeltaLink},
    query::{Filter, Query},
};
use futures_util::TryStreamExt;
use serde::Deserialize;
use uuid::Uuid;
use wiremock::matchers::{header, headers, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Deserialize, PartialEq)]
struct Account {
    accountid: Uuid,
    name: String,
    telephone1: Option<String>,
}

#[tokio::test]
async fn initial_sync_then_delta() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts")))
        .and(raw_query("$select=name,telephone1".to_owned()))
        .and(header("prefer", "odata.track-changes"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Preference-Applied", "odata.track-changes")
                .set_body_json(fixture_for(&server, "accounts_track_changes_initial.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let mut changes = client
        .track_changes::<Account>(Query::new("accounts").select(["name", "telephone1"]))
        .changes();
    let mut initial = Vec::new();
    while let Some(change) = changes.try_next().await.expect("change") {
        initial.push(change);
    }
    assert_eq!(initial.len(), 2);
    assert!(matches!(&initial[0], Change::Upserted(a) if a.name == "Monte Orton"));
    let delta = changes.delta_link().expect("delta link");
    assert!(delta.as_str().ends_with("$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44"));

    // Persist and resume: the saved link is followed exactly.
    let saved: DeltaLink =
        serde_json::from_str(&serde_json::to_string(&delta).expect("json")).expect("link");
    Mock::given(method("GET"))
        .and(path(format!("{API}/accounts")))
        .and(raw_query(
            "$select=name,telephone1&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44".to_owned(),
        ))
        .and(header("prefer", "odata.track-changes"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_for(&server, "accounts_track_changes_delta.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut changes = client.changes_since::<Account>(&saved).changes();
    let updated = changes.try_next().await.expect("ok").expect("first change");
    assert_eq!(
        updated,
        Change::Upserted(Account {
            accountid: Uuid::parse_str("60c4e274-0d87-e711-80e5-00155db19e6d").expect("uuid"),
            name: "Monte Orton".to_owned(),
            telephone1: Some("555-0199".to_owned()),
        })
    );
    let deleted = changes.try_next().await.expect("ok").expect("second change");
    assert_eq!(
        deleted,
        Change::Deleted {
            id: Uuid::parse_str("62c4e274-0d87-e711-80e5-00155db19e6d").expect("uuid")
        }
    );
    assert!(changes.try_next().await.expect("ok").is_none());
    assert!(changes.delta_link().expect("new link").as_str().contains("919058"));
}

#[tokio::test]
async fn page_size_is_sent_with_track_changes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(headers("prefer", vec!["odata.track-changes", "odata.maxpagesize=100"]))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_for(&server, "accounts_track_changes_initial.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    // One `Prefer` header, preferences separated by commas (wiremock splits them for matching).
    let changes: Vec<Change<Account>> = client(&server)
        .track_changes(Query::new("accounts").select(["name", "telephone1"]))
        .max_page_size(100)
        .changes()
        .try_collect()
        .await
        .expect("changes");
    assert_eq!(changes.len(), 2);
}

#[tokio::test]
async fn the_requests_page_size_replaces_the_querys() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(|request: &wiremock::Request| {
            let prefer: Vec<_> = request.headers.get_all("prefer").iter().collect();
            prefer
                == ["odata.track-changes, odata.maxpagesize=100, odata.include-annotations=\"*\""]
        })
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_for(&server, "accounts_track_changes_initial.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let query = Query::new("accounts")
        .select(["name", "telephone1"])
        .max_page_size(50)
        .include_annotations("*");
    let changes: Vec<Change<Account>> = client(&server)
        .track_changes(query)
        .max_page_size(100)
        .changes()
        .try_collect()
        .await
        .expect("changes");
    assert_eq!(changes.len(), 2);
}

#[tokio::test]
async fn unsupported_query_options_fail_fast() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let error = client(&server)
        .track_changes::<Account>(Query::new("accounts").filter(Filter::eq("statecode", 0)))
        .changes()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("filter");
    assert!(matches!(error, Error::InvalidRequest(_)));
}
