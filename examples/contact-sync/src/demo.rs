//! A self-contained contact-sync run for the `demo` binary: a receiver on an ephemeral loopback
//! port with an in-memory store, fed both payload shapes, with readable output.

use std::io::Write;

use serde_json::{Value as Json, json};

use super::config::{Connection, ConnectionId, SyncConfig};
use super::server::{ContactSync, serve};
use super::store::{Store, StoreError};

/// The contact of the research's sample A (a registered webhook's `Update`).
const CONTACT: &str = "6d81597f-0f9f-e711-8122-000d3aa2331c";
/// Research sample A, byte for byte: a contact `Update` from a registered webhook step.
const SAMPLE_A: &str =
    include_str!("../../../dataverse-webhook-types/tests/fixtures/sample_a_update.json");

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// Writing the output failed.
    #[error("cannot write the demo output: {0}")]
    Output(#[from] std::io::Error),
    /// The loopback HTTP call failed.
    #[error("loopback request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The store could not be created.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The receiver answered something the demo did not expect.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

/// Start a receiver on `127.0.0.1:0` with an in-memory store and one connection (`demo`,
/// auto-create on), send it a Power Automate create, a registered webhook's update (research
/// sample A), its redelivery, an out-of-order update, a request for an unknown connection and a
/// delete, and print what happened, then the synced user and the sync log. The receiver is shut
/// down before this returns.
///
/// # Errors
/// When the output cannot be written, the loopback calls fail, or an answer is not the
/// expected one.
///
/// ```no_run
/// # async fn demo() -> Result<(), contact_sync::demo::DemoError> {
/// contact_sync::demo::run(&mut std::io::stdout()).await?;
/// # Ok(())
/// # }
/// ```
pub async fn run(out: &mut impl Write) -> Result<(), DemoError> {
    let id = ConnectionId::parse("demo").map_err(|e| DemoError::Unexpected(e.to_string()))?;
    let config = SyncConfig::new([Connection::new(id, "Demo CRM").with_auto_create(true)])
        .map_err(|e| DemoError::Unexpected(e.to_string()))?;
    let app = ContactSync::new(config, Store::in_memory()?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, async {
        let _ = stopped.await;
    }));

    writeln!(out, "== contact-sync: Dynamics contact changes -> user store ==")?;
    writeln!(out, "receiver on {base}, connection `demo` (auto-create on), in-memory store")?;
    let result = walk_through(out, &base).await;
    let _ = stop.send(());
    let _ = server.await;
    result
}

async fn walk_through(out: &mut impl Write, base: &str) -> Result<(), DemoError> {
    let client = reqwest::Client::new();
    let webhook = format!("{base}/api/crm/webhook/dynamics/demo");

    let created = flow_body(
        "Created",
        json!({
            "firstname": "Jim", "lastname": "Glynn", "emailaddress1": "jim.glynn@example.com",
            "telephone1": "+1 425 555 0100", "statecode": 0, "modifiedon": "2017-09-25T08:00:00Z"
        }),
    );
    step(
        out,
        &client,
        &webhook,
        "1. Power Automate body, MessageName \"Created\"",
        &created,
        &[],
        "created",
    )
    .await?;
    let update_headers =
        [("x-ms-dynamics-request-name", "Update"), ("x-ms-dynamics-entity-name", "contact")];
    step(
        out,
        &client,
        &webhook,
        "2. Registered webhook, RemoteExecutionContext \"Update\" (firstname James)",
        SAMPLE_A,
        &update_headers,
        "updated",
    )
    .await?;
    step(
        out,
        &client,
        &webhook,
        "3. The same webhook delivered again",
        SAMPLE_A,
        &update_headers,
        "duplicate",
    )
    .await?;
    let older = flow_body(
        "Modified",
        json!({ "firstname": "Jimmy", "modifiedon": "2017-09-20T08:00:00Z" }),
    );
    step(
        out,
        &client,
        &webhook,
        "4. An older change arriving late (modifiedon 2017-09-20)",
        &older,
        &[],
        "ignored-stale",
    )
    .await?;
    let unknown = client
        .post(format!("{base}/api/crm/webhook/dynamics/nope"))
        .body(created.clone())
        .send()
        .await?;
    writeln!(out, "5. Unknown connection `nope` -> {}", unknown.status().as_u16())?;

    let contact_url = format!("{base}/api/crm/connections/demo/contacts/{CONTACT}");
    let user: Json = client.get(&contact_url).send().await?.json().await?;
    writeln!(
        out,
        "   synced user {}: {} {} <{}>, active {}",
        text(&user["id"]),
        text(&user["first_name"]),
        text(&user["last_name"]),
        text(&user["email"]),
        user["active"]
    )?;

    let deleted = flow_body("Deleted", json!({}));
    step(
        out,
        &client,
        &webhook,
        "6. Power Automate body, MessageName \"Deleted\"",
        &deleted,
        &[],
        "deactivated",
    )
    .await?;
    let after = client.get(&contact_url).send().await?.status();
    writeln!(
        out,
        "   contact lookup after the delete -> {} (the user is unlinked, not erased)",
        after.as_u16()
    )?;

    let log: Json = client
        .get(format!("{base}/api/crm/connections/demo/sync-log?limit=10"))
        .send()
        .await?
        .json()
        .await?;
    writeln!(out, "sync log of `demo`, newest first:")?;
    for entry in log["entries"].as_array().into_iter().flatten() {
        let what =
            entry.get("outcome").or_else(|| entry.get("error")).map(text).unwrap_or_default();
        writeln!(
            out,
            "   #{} {} {} {}",
            entry["id"],
            entry["status"],
            what,
            text(&entry["reason"])
        )?;
    }
    Ok(())
}

/// POST one body, print the answer, and check its outcome.
async fn step(
    out: &mut impl Write,
    client: &reqwest::Client,
    url: &str,
    title: &str,
    body: &str,
    headers: &[(&'static str, &'static str)],
    expected: &str,
) -> Result<(), DemoError> {
    let mut request = client.post(url).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.body(body.to_owned()).send().await?;
    let status = response.status().as_u16();
    let answer: Json = response.json().await?;
    let outcome = text(&answer["outcome"]);
    writeln!(out, "{title}\n   -> {status} {outcome}: {}", text(&answer["reason"]))?;
    if outcome != expected {
        return Err(DemoError::Unexpected(format!(
            "{title}: expected {expected}, got {status} {answer}"
        )));
    }
    Ok(())
}

/// The body of spec step 4, with `target` as the `Target` value.
fn flow_body(message: &str, target: Json) -> String {
    json!({
        "MessageName": message,
        "PrimaryEntityName": "contact",
        "PrimaryEntityId": CONTACT,
        "InputParameters": [{ "key": "Target", "value": target }]
    })
    .to_string()
}

fn text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}
