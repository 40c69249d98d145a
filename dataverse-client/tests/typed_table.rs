//! A row type that knows its table (`typed::Table`): `client.table::<T>()` sends every call to
//! `T`'s entity set and decodes rows as `T`; `typed::Entity` carries `@odata.type` into an
//! action's body; `ValueResponse` and `typed::flags` decode operation answers.

mod common;

use common::{API, client};
use dataverse_client::operations::Action;
use dataverse_client::query::Filter;
use dataverse_client::typed::{ColumnValues, Entity, Table, ValueResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{body_json, body_string, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ID: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";

#[derive(Debug, Deserialize, PartialEq)]
struct Contact {
    contactid: Option<Uuid>,
    fullname: Option<String>,
}

impl Table for Contact {
    const LOGICAL_NAME: &'static str = "contact";
    const ENTITY_SET: &'static str = "contacts";
    const PRIMARY_ID: &'static str = "contactid";
    fn id(&self) -> Option<Uuid> {
        self.contactid
    }
}

fn id() -> Uuid {
    Uuid::parse_str(ID).expect("uuid")
}

#[tokio::test]
async fn every_call_of_a_table_handle_goes_to_its_entity_set() {
    let server = MockServer::start().await;
    let row = json!({"@odata.etag": "W/\"1\"", "contactid": ID, "fullname": "Ada Lovelace"});
    Mock::given(method("POST"))
        .and(path(format!("{API}/contacts")))
        .and(body_string(r#"{"fullname":"Ada Lovelace"}"#))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("https://contoso.crm.dynamics.com{API}/contacts({ID})").as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/contacts({ID})")))
        .and(query_param("$select", "fullname"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&row))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/contacts({ID})")))
        .and(|request: &Request| request.headers.get("If-Match").is_some_and(|v| v == "*"))
        .and(body_string(r#"{"fullname":"Ada King"}"#))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/contacts(emailaddress1='ada@example.com')")))
        .and(|request: &Request| request.headers.get("If-Match").is_none())
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{API}/contacts({ID})")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/contacts")))
        .and(|request: &Request| {
            request.url.query() == Some("$select=fullname&$filter=fullname%20eq%20%27Ada%27")
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [row] })))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let contacts = client.table::<Contact>();
    assert_eq!(format!("{contacts:?}"), r#"TableClient { entity_set: "contacts" }"#);
    let created = contacts.create(&json!({"fullname": "Ada Lovelace"})).await.expect("create");
    assert_eq!(created, id());
    let read: Contact = contacts.retrieve(created).select(["fullname"]).await.expect("retrieve");
    assert_eq!(read.id(), Some(id()));
    assert_eq!(read.fullname.as_deref(), Some("Ada Lovelace"));
    contacts.update(id(), &json!({"fullname": "Ada King"})).await.expect("update");
    let key =
        dataverse_client::records::RecordKey::alternate([("emailaddress1", "ada@example.com")]);
    contacts.upsert(key, &json!({"fullname": "Ada"})).await.expect("upsert");
    contacts.delete(id()).await.expect("delete");
    let rows = contacts
        .query(|q| q.select(["fullname"]).filter(Filter::eq("fullname", "Ada")))
        .collect_all()
        .await
        .expect("query");
    assert_eq!(rows, [read]);
}

#[tokio::test]
async fn an_entity_parameter_carries_its_odata_type_and_exact_columns() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/contacts({ID})/Microsoft.Dynamics.CRM.sample_Merge")))
        // Parameters may arrive in either order (serde_json's `preserve_order` feature, which
        // another crate of a build can turn on, keeps insertion order); inside each row,
        // `@odata.type` comes first, as OData's JSON format asks of control information.
        .and(body_json(json!({
            "Note": {"@odata.type": "Microsoft.Dynamics.CRM.annotation", "amount": 1234567.8912, "subject": "Merged"},
            "Target": {"@odata.type": "Microsoft.Dynamics.CRM.contact", "contactid": ID},
        })))
        .and(|request: &Request| {
            let body = String::from_utf8_lossy(&request.body);
            body.contains(r#"{"@odata.type":"Microsoft.Dynamics.CRM.annotation","#)
                && body.contains(r#"{"@odata.type":"Microsoft.Dynamics.CRM.contact","#)
                && body.contains("1234567.8912")
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#Edm.Boolean",
            "value": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut note = ColumnValues::new();
    note.set("subject", "Merged")
        .set("amount", "1234567.8912".parse::<rust_decimal::Decimal>().expect("decimal"))
        // A stray `@odata.type` among the columns is not sent twice.
        .set("@odata.type", "Microsoft.Dynamics.CRM.account");
    let merged: ValueResponse<bool> = client(&server)
        .action(
            Action::bound(Contact::ENTITY_SET, id(), "sample_Merge")
                .parameter("Target", &Entity::reference::<Contact>(id()))
                .parameter("Note", &Entity::new("annotation", note)),
        )
        .returning()
        .await
        .expect("action");
    assert!(merged.value);
}

#[derive(Debug, PartialEq)]
enum Access {
    Read,
    Write,
    Other(String),
}

impl AsRef<str> for Access {
    fn as_ref(&self) -> &str {
        match self {
            Access::Read => "ReadAccess",
            Access::Write => "WriteAccess",
            Access::Other(name) => name,
        }
    }
}

impl From<&str> for Access {
    fn from(name: &str) -> Self {
        match name {
            "ReadAccess" => Access::Read,
            "WriteAccess" => Access::Write,
            other => Access::Other(other.to_owned()),
        }
    }
}

#[derive(Debug, Deserialize, serde::Serialize)]
struct Rights {
    #[serde(rename = "AccessRights", with = "dataverse_client::typed::flags")]
    access: Vec<Access>,
    #[serde(rename = "Maybe", default, with = "dataverse_client::typed::flags::option")]
    maybe: Option<Vec<Access>>,
}

#[test]
fn flags_read_the_services_spacing_and_keep_unknown_members() {
    let rights: Rights = serde_json::from_value(
        json!({"AccessRights": "ReadAccess, WriteAccess,ShareAccess", "Maybe": null}),
    )
    .expect("flags");
    assert_eq!(rights.access, [Access::Read, Access::Write, Access::Other("ShareAccess".into())]);
    assert_eq!(rights.maybe, None);
    assert_eq!(
        serde_json::to_value(&rights).expect("json"),
        json!({"AccessRights": "ReadAccess,WriteAccess,ShareAccess", "Maybe": null})
    );
    let empty: Rights =
        serde_json::from_value(json!({"AccessRights": "", "Maybe": "WriteAccess"})).expect("flags");
    assert!(empty.access.is_empty());
    assert_eq!(empty.maybe, Some(vec![Access::Write]));
    assert!(serde_json::from_value::<Rights>(json!({"AccessRights": 3})).is_err());
}
