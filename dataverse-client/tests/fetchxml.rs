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

/// The query-value encoding on the wire: RFC 3986 unreserved characters and the OData
/// delimiters stay, everything else is percent-encoded (`'` too, as the URL's query keeps it).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~$(),/:;=@*".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn fetch_in_batch_part(fetch: &str) -> String {
    [
        "--BATCH",
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "",
        &format!("GET {API}/contacts?fetchXml={} HTTP/1.1", encode(fetch)),
        "Prefer: odata.include-annotations=\"*\"",
        "",
        "",
        "--BATCH--",
        "",
    ]
    .join("\r\n")
}

#[tokio::test]
async fn a_fetch_too_long_for_a_get_pages_through_batch_with_the_cookie() {
    use common::multipart::{BOUNDARY, batch_response, http_part, multipart, normalized_body};

    let server = MockServer::start().await;
    let values: String =
        (0..400).map(|i| format!("<value>00000000-0000-0000-0000-{i:012}</value>")).collect();
    let body = format!(
        "><entity name='contact'><attribute name='fullname' /><order attribute='contactid' /><filter><condition attribute='contactid' operator='in'>{values}</condition></filter></entity></fetch>"
    );
    let fetch = format!("<fetch{body}");
    let page = |fixture: &str| {
        let json = fixture_for(&server, fixture).to_string();
        let part = http_part(
            "200 OK",
            &[
                ("Content-Type", "application/json; odata.metadata=minimal"),
                ("OData-Version", "4.0"),
            ],
            &json,
            None,
        );
        batch_response(200, multipart(BOUNDARY, &[part]))
    };
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .respond_with(page("contacts_fetchxml_page1.json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .respond_with(page("contacts_fetchxml_page2.json"))
        .expect(1)
        .mount(&server)
        .await;

    let contacts: Vec<Contact> = client(&server)
        .fetch_xml("contacts", fetch)
        .page_size(3)
        .collect_all()
        .await
        .expect("contacts");
    assert_eq!(contacts.len(), 4);
    assert_eq!(contacts[3].fullname, "Rene Valdes (sample)");

    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 2, "no plain GET was tried");
    let cookie = "&lt;cookie page=&quot;1&quot;&gt;&lt;fullname last=&quot;Robert Lyon (sample)&quot; first=&quot;Susanna Stubberod (sample)&quot; /&gt;&lt;contactid last=&quot;{30717E9C-643F-ED11-9DB0-002248225E95}&quot; first=&quot;{20717E9C-643F-ED11-9DB0-002248225E95}&quot; /&gt;&lt;/cookie&gt;";
    let first = format!("<fetch count=\"3\"{body}");
    let second = format!("<fetch count=\"3\" page=\"2\" paging-cookie=\"{cookie}\"{body}");
    assert!(format!("{API}/contacts?fetchXml={}", encode(&first)).len() > 16 * 1024);
    // `assert!` rather than `assert_eq!`: a mismatch would print 50 KB of body.
    assert!(normalized_body(&requests[0]) == fetch_in_batch_part(&first), "first page part");
    assert!(normalized_body(&requests[1]) == fetch_in_batch_part(&second), "second page part");
    for request in &requests {
        let content_type = request.headers.get("content-type").and_then(|v| v.to_str().ok());
        assert!(content_type.is_some_and(|t| t.starts_with("multipart/mixed; boundary=")));
    }
}
