//! A contact-sync receiver on a loopback port, and real-shaped request bodies.

use std::path::PathBuf;

use contact_sync::{ContactSync, Store, SyncConfig, serve};
use serde_json::{Value as Json, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The contact of the Power Automate fixtures.
pub const ADA: &str = "2f9a6b1c-8d3e-4f5a-9b0c-1d2e3f4a5b6c";
/// The contact of research sample A (and of the delete / SetState fixtures).
pub const JAMES: &str = "6d81597f-0f9f-e711-8122-000d3aa2331c";

/// One connection `c1`, auto-create on, no authentication.
pub const AUTO_CREATE: &str =
    "[[connections]]\nid = \"c1\"\nname = \"Contoso\"\nauto_create = true\n";

/// A running receiver.
pub struct Receiver {
    pub base: String,
    pub app: ContactSync,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// An answer: status and JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Json,
}

impl Reply {
    pub fn outcome(&self) -> &str {
        self.json["outcome"].as_str().unwrap_or_default()
    }

    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or_default()
    }

    pub fn user_id(&self) -> &str {
        self.json["user_id"].as_str().unwrap_or_default()
    }
}

impl Receiver {
    /// A receiver for a TOML config with an in-memory store.
    pub async fn start(config: &str) -> Self {
        let config = SyncConfig::from_toml_str(config).expect("valid test config");
        let store = Store::in_memory().expect("in-memory store").with_retention(config.retention());
        Self::serve(ContactSync::new(config, store)).await
    }

    pub async fn serve(app: ContactSync) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app.clone(), async {
            let _ = stopped.await;
        }));
        Self { base, app, client: reqwest::Client::new(), stop: Some(stop), task: Some(task) }
    }

    pub async fn post(&self, connection: &str, body: impl Into<reqwest::Body>) -> Reply {
        self.post_with(&format!("/api/crm/webhook/dynamics/{connection}"), body, &[]).await
    }

    pub async fn post_with(
        &self,
        path_and_query: &str,
        body: impl Into<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .client
            .post(format!("{}{path_and_query}", self.base))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.expect("POST reaches the receiver")).await
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.get_with(path_and_query, &[]).await
    }

    pub async fn get_with(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.client.get(format!("{}{path_and_query}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.expect("GET reaches the receiver")).await
    }

    /// The synced user of a contact of `c1` (panics unless 200).
    pub async fn user(&self, contact: &str) -> Json {
        let reply = self.get(&format!("/api/crm/connections/c1/contacts/{contact}")).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json
    }

    /// The newest sync-log entries of a connection.
    pub async fn log(&self, connection: &str, limit: usize) -> Vec<Json> {
        let reply =
            self.get(&format!("/api/crm/connections/{connection}/sync-log?limit={limit}")).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json["entries"].as_array().expect("entries").clone()
    }

    /// Stop accepting connections and wait for requests in flight.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("response body");
    Reply { status, json: serde_json::from_slice(&bytes).unwrap_or(Json::Null) }
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../dataverse-webhook-types/tests/fixtures")
        .join(name)
}

/// A payload of the webhook types crate's fixtures, byte for byte.
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).expect("fixture")
}

/// The body of spec step 4 (a Power Automate HTTP action).
pub fn flow(message: &str, contact: &str, target: Json) -> String {
    json!({
        "MessageName": message,
        "PrimaryEntityName": "contact",
        "PrimaryEntityId": contact,
        "InputParameters": [{ "key": "Target", "value": target }]
    })
    .to_string()
}

/// Research sample A (a registered webhook's contact `Update`) for another contact, operation
/// and set of changed columns; `modifiedon` as `\/Date(ms)\/` when given.
pub fn webhook_update(
    contact: &str,
    operation: &str,
    columns: Json,
    modified_ms: Option<i64>,
) -> String {
    webhook(&fixture("sample_a_update.json"), "Update", contact, operation, columns, modified_ms)
}

/// The same shape with another message (`Create`, …).
pub fn webhook(
    template: &str,
    message: &str,
    contact: &str,
    operation: &str,
    columns: Json,
    modified_ms: Option<i64>,
) -> String {
    let mut body: Json = serde_json::from_str(template).expect("template JSON");
    body["MessageName"] = json!(message);
    body["PrimaryEntityId"] = json!(contact);
    body["OperationId"] = json!(operation);
    let target = &mut body["InputParameters"][0]["value"];
    target["Id"] = json!(contact);
    let mut attributes = vec![json!({ "key": "contactid", "value": contact })];
    for (key, value) in columns.as_object().expect("columns object") {
        attributes.push(json!({ "key": key, "value": value }));
    }
    if let Some(ms) = modified_ms {
        attributes.push(json!({ "key": "modifiedon", "value": format!("/Date({ms})/") }));
    }
    target["Attributes"] = Json::Array(attributes);
    body.to_string()
}

/// The Delete fixture (Target is an EntityReference) for another contact and operation.
pub fn webhook_delete(contact: &str, operation: &str) -> String {
    let mut body: Json = serde_json::from_str(&fixture("delete_contact.json")).expect("JSON");
    body["PrimaryEntityId"] = json!(contact);
    body["OperationId"] = json!(operation);
    // The fixture's RequestId equals its OperationId, and the redelivery key prefers it.
    body["RequestId"] = json!(operation);
    body["InputParameters"][0]["value"]["Id"] = json!(contact);
    body.to_string()
}
