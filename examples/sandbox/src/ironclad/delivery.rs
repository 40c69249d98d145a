//! Sending webhook deliveries as Ironclad does (<https://developer.ironcladapp.com/reference/webhook-verification>).
//!
//! Each delivery is a `POST` of the compact JSON envelope to the subscription's `targetURL` with
//! `Content-Type: application/json`, `X-Ironclad-Webhook-Event-Id: webhookEvent<32 hex>`,
//! `X-Ironclad-Webhook-Verification: {"nonce","signAlgorithm":"sha256","signature","encoding":
//! "base64"}` and the subscription's custom headers. A 2xx is success and resets the
//! subscription's `consecutiveFailureCount`; a 410 disables the subscription
//! (`disabledBySystem`) and stops; any other status or a connection failure is retried with
//! exponential backoff (the default, 48 s doubling for 10 retries, spans the documented
//! 13.6 hours); 100 consecutive failures over 7 days disable the subscription. Every attempt is
//! signed with a fresh nonce (unverified: whether Ironclad reuses the nonce on retries is unknown).
//!
//! Deliveries run in background tasks and never block the API. For exactly-once tests a
//! delivery can be duplicated (same event id and body), and deliveries can be held and then
//! released in reverse or shuffled order.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::header;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::IroncladState;
use super::model::{DISABLED_BY_SYSTEM, ENABLED};
use crate::ids;
use crate::json::JsonObject;
use crate::timestamps;

/// How deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Delay after the first failure; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest delay between attempts.
    pub max_delay: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// How long one attempt may take.
    pub attempt_timeout: Duration,
}

impl Default for DeliveryPolicy {
    /// Ironclad's documented policy: 10 retries over about 13.6 hours.
    fn default() -> Self {
        Self {
            base_delay: Duration::from_secs(48),
            max_delay: Duration::from_secs(8 * 3600),
            max_retries: 10,
            attempt_timeout: Duration::from_secs(30),
        }
    }
}

impl DeliveryPolicy {
    /// Millisecond backoff for tests and the demo: 20 ms doubling, 6 retries.
    pub fn fast() -> Self {
        Self {
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(500),
            max_retries: 6,
            attempt_timeout: Duration::from_secs(10),
        }
    }

    /// The wait after `failures` failed attempts.
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Held back until released (out-of-order tests).
    Held,
    /// Being sent or waiting for a retry.
    Pending,
    /// A 2xx was received.
    Delivered,
    /// Every retry failed.
    GaveUp,
    /// The subscription was disabled or deleted (a 410 does this).
    Disabled,
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// When it was sent.
    pub at: OffsetDateTime,
    /// The receiver's status; `None` when the connection failed.
    pub status: Option<u16>,
    /// The connection error, when there was no response.
    pub error: Option<String>,
    /// The nonce this attempt was signed with.
    pub nonce: String,
}

/// One delivery of one event to one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryRecord {
    /// Sandbox-local sequence number.
    pub id: u64,
    /// `X-Ironclad-Webhook-Event-Id` (shared by a delivery and its duplicates).
    pub event_id: String,
    /// The event type (`workflow_completed`).
    pub event: String,
    /// The subscription.
    pub webhook_id: String,
    /// Where it is sent.
    pub target_url: String,
    /// The exact body sent (compact JSON).
    pub body: String,
    /// Current status.
    pub status: DeliveryStatus,
    /// Attempts so far.
    pub attempts: Vec<DeliveryAttempt>,
    /// For a deliberate duplicate: the delivery it duplicates.
    pub duplicate_of: Option<u64>,
}

/// The order held deliveries are released in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReleaseOrder {
    /// The order the events happened in.
    AsQueued,
    /// Newest first.
    Reversed,
    /// A reproducible shuffle.
    Shuffled(u64),
}

#[derive(Debug)]
struct HubInner {
    records: Vec<DeliveryRecord>,
    policy: DeliveryPolicy,
    hold: bool,
    duplicates: u32,
    held: Vec<u64>,
    next_id: u64,
    events: Vec<JsonObject>,
}

/// All deliveries of one sandbox.
pub(crate) struct DeliveryHub {
    inner: Mutex<HubInner>,
    changed: Notify,
    client: reqwest::Client,
    tasks: Mutex<JoinSet<()>>,
    runtime: tokio::runtime::Handle,
}

impl DeliveryHub {
    /// Must be called inside a Tokio runtime (deliveries are spawned on it).
    pub(crate) fn new(policy: DeliveryPolicy) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().no_proxy().build()?;
        let inner = HubInner {
            records: Vec::new(),
            policy,
            hold: false,
            duplicates: 0,
            held: Vec::new(),
            next_id: 1,
            events: Vec::new(),
        };
        Ok(Self {
            inner: Mutex::new(inner),
            changed: Notify::new(),
            client,
            tasks: Mutex::new(JoinSet::new()),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HubInner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn set_policy(&self, policy: DeliveryPolicy) {
        self.lock().policy = policy;
    }

    pub(crate) fn set_hold(&self, hold: bool) {
        self.lock().hold = hold;
    }

    pub(crate) fn set_duplicates(&self, duplicates: u32) {
        self.lock().duplicates = duplicates;
    }

    pub(crate) fn records(&self) -> Vec<DeliveryRecord> {
        self.lock().records.clone()
    }

    pub(crate) fn events(&self) -> Vec<JsonObject> {
        self.lock().events.clone()
    }

    pub(crate) fn record_event(&self, payload: &JsonObject) {
        self.lock().events.push(payload.clone());
    }

    fn spawn(&self, future: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        while tasks.try_join_next().is_some() {}
        tasks.spawn_on(future, &self.runtime);
    }

    /// Queue a delivery (and its configured duplicates).
    pub(crate) fn enqueue(
        &self,
        state: &Arc<IroncladState>,
        event: &str,
        webhook_id: &str,
        target_url: &str,
        body: Vec<u8>,
    ) {
        let event_id = ids::webhook_event_id();
        let body = String::from_utf8_lossy(&body).into_owned();
        let (ids, hold) = {
            let mut inner = self.lock();
            let hold = inner.hold;
            let mut ids = Vec::new();
            for copy in 0..=inner.duplicates {
                let id = inner.next_id;
                inner.next_id += 1;
                inner.records.push(DeliveryRecord {
                    id,
                    event_id: event_id.clone(),
                    event: event.to_owned(),
                    webhook_id: webhook_id.to_owned(),
                    target_url: target_url.to_owned(),
                    body: body.clone(),
                    status: if hold { DeliveryStatus::Held } else { DeliveryStatus::Pending },
                    attempts: Vec::new(),
                    duplicate_of: (copy > 0).then(|| ids.first().copied()).flatten(),
                });
                ids.push(id);
            }
            if hold {
                inner.held.extend(&ids);
            }
            (ids, hold)
        };
        self.changed.notify_waiters();
        if !hold {
            for id in ids {
                self.spawn(run(state.clone(), id));
            }
        }
    }

    /// Send every held delivery, one after another, in `order`.
    pub(crate) fn release_held(&self, state: &Arc<IroncladState>, order: ReleaseOrder) -> usize {
        let mut ids = {
            let mut inner = self.lock();
            inner.hold = false;
            let held = std::mem::take(&mut inner.held);
            for record in inner.records.iter_mut().filter(|r| held.contains(&r.id)) {
                record.status = DeliveryStatus::Pending;
            }
            held
        };
        match order {
            ReleaseOrder::AsQueued => {}
            ReleaseOrder::Reversed => ids.reverse(),
            ReleaseOrder::Shuffled(seed) => fastrand::Rng::with_seed(seed).shuffle(&mut ids),
        }
        let count = ids.len();
        let state = state.clone();
        self.spawn(async move {
            for id in ids {
                run(state.clone(), id).await;
            }
        });
        count
    }

    /// Wait until no delivery is pending (held ones don't count). `false` on timeout.
    pub(crate) async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.lock().records.iter().any(|r| r.status == DeliveryStatus::Pending) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }

    pub(crate) fn shutdown(&self) {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner()).abort_all();
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut DeliveryRecord)) {
        if let Some(record) = self.lock().records.iter_mut().find(|r| r.id == id) {
            change(record);
        }
        self.changed.notify_waiters();
    }
}

/// Deliver `id` until it succeeds, is disabled, or runs out of retries.
async fn run(state: Arc<IroncladState>, id: u64) {
    let hub = &state.deliveries;
    loop {
        let Some((record, policy)) = ({
            let inner = hub.lock();
            inner.records.iter().find(|r| r.id == id).cloned().map(|r| (r, inner.policy))
        }) else {
            return;
        };
        let headers = {
            let data = state.data();
            match data.subscriptions.iter().find(|s| s.id == record.webhook_id) {
                Some(subscription) if subscription.status == ENABLED => {
                    subscription.headers.clone()
                }
                _ => {
                    hub.update(id, |r| r.status = DeliveryStatus::Disabled);
                    return;
                }
            }
        };
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let verification =
            state.signer.verification_header(&record.event_id, record.body.as_bytes(), &nonce);
        let mut request = hub
            .client
            .post(&record.target_url)
            .timeout(policy.attempt_timeout)
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-Ironclad-Webhook-Event-Id", &record.event_id)
            .header("X-Ironclad-Webhook-Verification", verification)
            .body(record.body.clone());
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let at = timestamps::now();
        let (status, error) = match request.send().await {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(error) => (None, Some(error.without_url().to_string())),
        };
        let failures = record.attempts.len() as u32 + 1;
        hub.update(id, |r| r.attempts.push(DeliveryAttempt { at, status, error, nonce }));
        match status {
            Some(code) if (200..300).contains(&code) => {
                subscription_result(&state, &record.webhook_id, Outcome::Success);
                hub.update(id, |r| r.status = DeliveryStatus::Delivered);
                return;
            }
            Some(410) => {
                subscription_result(&state, &record.webhook_id, Outcome::Gone);
                hub.update(id, |r| r.status = DeliveryStatus::Disabled);
                return;
            }
            _ => {
                subscription_result(&state, &record.webhook_id, Outcome::Failure);
                if failures > policy.max_retries {
                    hub.update(id, |r| r.status = DeliveryStatus::GaveUp);
                    return;
                }
                tokio::time::sleep(policy.backoff(failures)).await;
            }
        }
    }
}

enum Outcome {
    Success,
    Failure,
    Gone,
}

/// Keep the subscription's failure bookkeeping (webhook-deactivation rules).
fn subscription_result(state: &IroncladState, webhook_id: &str, outcome: Outcome) {
    let mut data = state.data();
    let Some(subscription) = data.subscriptions.iter_mut().find(|s| s.id == webhook_id) else {
        return;
    };
    let now = timestamps::now();
    match outcome {
        Outcome::Success => {
            subscription.consecutive_failure_count = 0;
            subscription.first_consecutive_failure = None;
        }
        Outcome::Gone => {
            subscription.status = DISABLED_BY_SYSTEM.to_owned();
            subscription.status_last_updated_at = now;
            subscription.status_last_updated_by = "system".to_owned();
        }
        Outcome::Failure => {
            subscription.consecutive_failure_count += 1;
            let first = *subscription.first_consecutive_failure.get_or_insert(now);
            if subscription.consecutive_failure_count >= 100
                && now - first >= time::Duration::days(7)
            {
                subscription.status = DISABLED_BY_SYSTEM.to_owned();
                subscription.status_last_updated_at = now;
                subscription.status_last_updated_by = "system".to_owned();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_backoff_spans_the_documented_window() {
        let policy = DeliveryPolicy::default();
        let total: Duration = (1..=policy.max_retries).map(|n| policy.backoff(n)).sum();
        let hours = total.as_secs_f64() / 3600.0;
        assert!((13.0..14.0).contains(&hours), "{hours} h");
        assert_eq!(policy.backoff(1), Duration::from_secs(48));
        assert_eq!(DeliveryPolicy::fast().backoff(30), Duration::from_millis(500));
    }
}
