//! FetchXML queries with paging cookies.

mod common;

use common::{API, client, fixture_for, odata_headers};
use dataverse_client::{Error, records::Record};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FETCH: &str = r#"<fetch mapping='logical' version='1.0'>
  <entity name='contact'>
    <attribute name='fullname' />
    <attribute name='jobtitle' />
    <order descending='true' attribute='fullname' />
    <filter type='and'><condition value='%(sample)%' attribute='fullname' operator='like' /></filter>
  </entity>
</fetch>"#;

const BODY: &str = r#">
  <entity name='contact'>
    <attribute name='fullname' />
    <attribute name='jobtitle' />
    <order descending='true' attribute='fullname' />
    <filter type='and'><condition value='%(sample)%' attribute='fullname' operator='like' /></filter>
  </entity>
</fetch>"#;

#[derive(Debug, Deserialize)]
struct Contact {
    fullname: String,
    // FetchXML omits null columns, so optional columns need a default.
    #[serde(default)]
    jobtitle: Option<String>,
}

#[tokio::test]
async fn pages_with_the_paging_cookie_decoded_twice() {
    let server = MockServer::start().await;
    let first = format!("<fetch mapping=\"logical\" version=\"1.0\" count=\"3\"{BODY}");
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/contacts")))
        .and(query_param("fetchXml", first.as_str()))
        .and(header("prefer", "odata.include-annotations=\"*\""))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_for(&server, "contacts_fetchxml_page1.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let cookie = "&lt;cookie page=&quot;1&quot;&gt;&lt;fullname last=&quot;Robert Lyon (sample)&quot; first=&quot;Susanna Stubberod (sample)&quot; /&gt;&lt;contactid last=&quot;{30717E9C-643F-ED11-9DB0-002248225E95}&quot; first=&quot;{20717E9C-643F-ED11-9DB0-002248225E95}&quot; /&gt;&lt;/cookie&gt;";
    let second = format!(
        "<fetch mapping=\"logical\" version=\"1.0\" count=\"3\" page=\"2\" paging-cookie=\"{cookie}\"{BODY}"
    );
    Mock::given(method("GET"))
        .and(path(format!("{API}/contacts")))
        .and(query_param("fetchXml", second.as_str()))
        .and(header("prefer", "odata.include-annotations=\"*\""))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_for(&server, "contacts_fetchxml_page2.json")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let contacts: Vec<Contact> = client(&server)
        .fetch_xml("contacts", FETCH)
        .page_size(3)
        .collect_all()
        .await
        .expect("contacts");
    let names: Vec<&str> = contacts.iter().map(|c| c.fullname.as_str()).collect();
    assert_eq!(
        names,
        [
            "Susanna Stubberod (sample)",
            "Scott Konersmann (sample)",
            "Robert Lyon (sample)",
            "Rene Valdes (sample)"
        ]
    );
    assert_eq!(contacts[3].jobtitle.as_deref(), Some("Data Analyst III"));
}

#[tokio::test]
async fn a_single_page_sends_the_xml_unchanged() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("fetchXml", FETCH))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "value": [{ "fullname": "A" }] })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let rows: Vec<Record> =
        client(&server).fetch_xml("contacts", FETCH).collect_all().await.expect("rows");
    assert_eq!(rows.len(), 1);
}

#[tokio::test]
async fn a_repeated_cookie_stops_paging() {
    let server = MockServer::start().await;
    // Every page claims more records with the same cookie.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_for(&server, "contacts_fetchxml_page1.json")),
        )
        .expect(2)
        .mount(&server)
        .await;
    let results: Vec<Result<Record, Error>> =
        client(&server).fetch_xml("contacts", FETCH).records().collect().await;
    assert_eq!(results.len(), 7);
    assert!(matches!(results[6], Err(Error::PagingLoop)));
}

#[tokio::test]
async fn malformed_fetch_xml_is_rejected_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let error = client(&server)
        .fetch_xml::<Record>("contacts", "<entity name='contact'/>")
        .page_size(10)
        .collect_all()
        .await
        .expect_err("not a fetch");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn top_with_paging_is_refused_before_sending_but_top_alone_is_sent() {
    let server = MockServer::start().await;
    let top =
        "<fetch top='5'><entity name='contact'><attribute name='fullname' /></entity></fetch>";
    Mock::given(method("GET"))
        .and(path(format!("{API}/contacts")))
        .and(query_param("fetchXml", top))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "value": [{ "fullname": "A" }] })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let error = client
        .fetch_xml::<Record>("contacts", top)
        .page_size(3)
        .collect_all()
        .await
        .expect_err("top and a page size");
    assert!(
        matches!(&error, Error::FetchXmlTopWithPaging { paging } if paging == "page_size"),
        "{error:?}"
    );
    let counted = "<fetch top='5' count='2'><entity name='contact' /></fetch>";
    let error = client
        .fetch_xml::<Record>("contacts", counted)
        .first_page()
        .await
        .expect_err("top and count");
    assert!(
        matches!(&error, Error::FetchXmlTopWithPaging { paging } if paging == "count"),
        "{error:?}"
    );

    // `top` on its own is a plain limit, sent unchanged.
    let rows = client.fetch_xml::<Record>("contacts", top).collect_all().await.expect("top");
    assert_eq!(rows.len(), 1);
}
