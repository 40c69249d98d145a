//! Both clients trace the same way (CONTRIBUTING.md, "One vocabulary for both clients"): a
//! `<service>.request` span with the same fields, and a `WARN` event on a retry.
//!
//! A test binary of its own: tracing caches per call site whether anyone listens, and a request
//! made on another test thread without a subscriber could cache "no one" while this test's
//! subscriber is being installed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dataverse_client::config::RetryPolicy;
use dataverse_ironclad_sandbox::{Fault, Sandbox, SandboxConfig, Service};
use secrecy::ExposeSecret;
use tracing::Level;
use tracing::span::{Attributes, Id};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// A span's name and the names of its fields.
type SpanShape = (String, Vec<String>);

/// What a client traced: the spans it opened and its events (level and message).
#[derive(Clone, Default)]
struct Traced {
    spans: Arc<Mutex<Vec<SpanShape>>>,
    events: Arc<Mutex<Vec<(Level, String)>>>,
}

impl<S: tracing::Subscriber> Layer<S> for Traced {
    fn on_new_span(&self, attributes: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let metadata = attributes.metadata();
        let fields = metadata.fields().iter().map(|field| field.name().to_owned()).collect();
        self.spans.lock().unwrap().push((metadata.name().to_owned(), fields));
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        self.events.lock().unwrap().push((*event.metadata().level(), message.0));
    }
}

#[tokio::test]
async fn both_clients_trace_a_request_span_and_warn_on_a_retry() {
    let traced = Traced::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(traced.clone()));
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sandbox.faults(Service::Dataverse).set_retry_after(Duration::ZERO);
    sandbox.faults(Service::Ironclad).set_retry_after(Duration::ZERO);
    sandbox.faults(Service::Dataverse).fail_next(1, Fault::Throttle);
    sandbox.faults(Service::Ironclad).fail_next(1, Fault::Throttle);
    let retry_once =
        || RetryPolicy::default().max_attempts(2).initial_backoff(Duration::from_millis(1));
    let dataverse = dataverse_client::Client::builder(sandbox.dataverse_url().as_str())
        .credential(dataverse_client::auth::StaticToken::new(
            sandbox.dataverse_token().expose_secret(),
        ))
        .retry_policy(retry_once())
        .build()
        .unwrap();
    let ironclad = ironclad_client::Client::builder()
        .base_url(sandbox.ironclad_base_url().as_str())
        .credential(ironclad_client::auth::Credentials::api_token(
            sandbox.ironclad_token().expose_secret(),
        ))
        .retry_policy(retry_once())
        .build()
        .unwrap();
    let missing = dataverse
        .retrieve::<dataverse_client::records::Record>("accounts", uuid::Uuid::new_v4())
        .await;
    assert!(missing.unwrap_err().is_not_found());
    assert!(ironclad.workflows().get("IC-999999").await.unwrap_err().is_not_found());

    let spans = traced.spans.lock().unwrap().clone();
    let fields_of = |name: &str| {
        let (_, fields) = spans.iter().find(|(span, _)| span == name).unwrap_or_else(|| {
            panic!("no {name} span in {spans:?}");
        });
        let mut fields = fields.clone();
        fields.sort();
        fields
    };
    assert_eq!(fields_of("dataverse.request"), ["attempt", "method", "status", "target"]);
    assert_eq!(fields_of("dataverse.request"), fields_of("ironclad.request"));
    let events = traced.events.lock().unwrap().clone();
    let retry_levels = |service: &str| -> Vec<Level> {
        let text = format!("retrying {service} request");
        events
            .iter()
            .filter(|(_, message)| message.contains(&text))
            .map(|(level, _)| *level)
            .collect()
    };
    assert_eq!(retry_levels("Dataverse"), [Level::WARN], "{events:?}");
    assert_eq!(retry_levels("Ironclad"), [Level::WARN], "{events:?}");
    sandbox.shutdown().await;
}
