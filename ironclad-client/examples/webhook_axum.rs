//! Receive Ironclad webhooks with axum. The `VerifiedWebhook` extractor checks each delivery's
//! RSA signature (with the key from `GET /webhooks/verification-key`, cached) before the handler
//! runs; a forged or altered delivery is answered 401 and never seen. The handler answers at
//! once and hands the delivery to a worker, so slow work never makes Ironclad retry.
//!
//! ```sh
//! export IRONCLAD_BASE_URL=https://ironcladapp.com IRONCLAD_TOKEN=…
//! # Optional: subscribe this receiver's public URL to workflow events first.
//! export IRONCLAD_WEBHOOK_URL=https://hooks.example.com/ironclad/webhook
//! cargo run -p ironclad-client --features axum --example webhook_axum
//! ```
//!
//! [Webhook verification](https://developer.ironcladapp.com/reference/webhook-verification)

mod support;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use ironclad_client::webhooks::{
    NewWebhook, VerifiedWebhook, Webhook, WebhookEvent, WebhookVerifier,
};
use ironclad_client::{Client, Result};
use tokio::sync::mpsc;

/// Where the receiver listens when `LISTEN` is not set.
const DEFAULT_LISTEN: &str = "127.0.0.1:3000";

/// The router's state: the verifier the extractor uses, and the worker's queue.
#[derive(Clone)]
struct Receiver {
    verifier: WebhookVerifier,
    deliveries: mpsc::Sender<VerifiedWebhook>,
}

impl FromRef<Receiver> for WebhookVerifier {
    fn from_ref(receiver: &Receiver) -> Self {
        receiver.verifier.clone()
    }
}

/// `POST /ironclad/webhook`: verified deliveries go to `deliveries`.
pub fn router(client: Client, deliveries: mpsc::Sender<VerifiedWebhook>) -> Router {
    let verifier = WebhookVerifier::new(client);
    Router::new()
        .route("/ironclad/webhook", post(receive))
        .with_state(Receiver { verifier, deliveries })
}

async fn receive(State(receiver): State<Receiver>, webhook: VerifiedWebhook) -> StatusCode {
    // Delivery is at least once: the worker deduplicates on `webhook.event_id`.
    match receiver.deliveries.send(webhook).await {
        Ok(()) => StatusCode::OK,
        // The worker stopped: a 5xx makes Ironclad deliver again later.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Subscribe `target_url` to the workflow events this receiver handles.
pub async fn subscribe(client: &Client, target_url: &str) -> Result<Webhook> {
    let events = [WebhookEvent::WorkflowLaunched, WebhookEvent::WorkflowCompleted];
    client.webhooks().create(&NewWebhook::new(target_url, events)).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = support::connect(support::from_env)?;
    if let Ok(url) = std::env::var("IRONCLAD_WEBHOOK_URL") {
        let webhook = subscribe(&client, &url).await?;
        println!("subscribed {url} as webhook {}", webhook.id);
    }
    let (deliveries, mut worker) = mpsc::channel::<VerifiedWebhook>(64);
    tokio::spawn(async move {
        while let Some(webhook) = worker.recv().await {
            let payload = &webhook.delivery.payload;
            let workflow = payload.workflow_id.as_deref().unwrap_or("-");
            println!("{} {} workflow {workflow}", webhook.event_id, payload.event);
        }
    });
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| DEFAULT_LISTEN.to_owned());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on http://{listen}/ironclad/webhook");
    axum::serve(listener, router(client, deliveries)).await?;
    Ok(())
}
