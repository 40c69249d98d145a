//! `--register-url`: create, reuse or update the subscription for the three events.

use ironclad_client::webhooks::{NewWebhook, Webhook, WebhookEvent, WebhookStatus, WebhookUpdate};

use crate::FlowError;

/// The events flows 2–4 handle.
pub const EVENTS: [WebhookEvent; 3] = [
    WebhookEvent::WorkflowAttributeUpdated,
    WebhookEvent::WorkflowApprovalStatusChanged,
    WebhookEvent::WorkflowCompleted,
];

/// What registering did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Registration {
    /// A new subscription.
    Created(Webhook),
    /// The target's subscription already had the events and was enabled.
    Reused(Webhook),
    /// The target's subscription was missing an event or was disabled, and was updated.
    Updated(Webhook),
}

impl Registration {
    /// The subscription.
    pub fn webhook(&self) -> &Webhook {
        match self {
            Registration::Created(w) | Registration::Reused(w) | Registration::Updated(w) => w,
        }
    }
}

fn same_target(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/')
}

/// Make sure `target_url` is subscribed to [`EVENTS`]: reuse its subscription (Ironclad allows
/// one per target URL), adding missing events and re-enabling it if needed, or create one.
///
/// ```no_run
/// # async fn demo(client: ironclad_client::Client) -> Result<(), flows::FlowError> {
/// use flows::webhooks::register_subscription;
///
/// let registration = register_subscription(&client, "https://hooks.example.com/ironclad").await?;
/// println!("subscription {}", registration.webhook().id);
/// # Ok(()) }
/// ```
///
/// # Errors
/// Ironclad's refusal (an HTTPS target is required) or a transport error.
pub async fn register_subscription(
    client: &ironclad_client::Client,
    target_url: &str,
) -> Result<Registration, FlowError> {
    let existing = client.webhooks().list().collect_all().await?;
    let Some(webhook) = existing
        .into_iter()
        .find(|w| w.target_url.as_deref().is_some_and(|t| same_target(t, target_url)))
    else {
        let created = client.webhooks().create(&NewWebhook::new(target_url, EVENTS)).await?;
        return Ok(Registration::Created(created));
    };
    let subscribed_to_all = webhook.events.contains(&WebhookEvent::All);
    let missing: Vec<WebhookEvent> = EVENTS
        .into_iter()
        .filter(|event| !subscribed_to_all && !webhook.events.contains(event))
        .collect();
    let enabled = webhook.status.as_ref().is_none_or(|s| *s == WebhookStatus::Enabled);
    if missing.is_empty() && enabled {
        return Ok(Registration::Reused(webhook));
    }
    let mut update = WebhookUpdate::new().enabled(true);
    if !missing.is_empty() {
        update = update.events(webhook.events.iter().cloned().chain(missing));
    }
    Ok(Registration::Updated(client.webhooks().update(&webhook.id, &update).await?))
}
