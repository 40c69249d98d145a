//! Service protection, per user, as Dataverse applies it: requests and combined execution time
//! over a sliding window, and concurrent requests
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/api-limits>).
//!
//! - More requests in the window than allowed → `429`, `0x80072322`, with `Retry-After` until the
//!   oldest request leaves the window.
//! - More execution time in the window than allowed → `429`, `0x80072321`, with `Retry-After`
//!   until enough of it has left the window.
//! - More requests in flight than allowed → `429`, `0x80072326`, at once.
//!
//! Every answer carries `x-ms-dop-hint` and the remaining budget
//! (`x-ms-ratelimit-burst-remaining-xrm-requests`,
//! `x-ms-ratelimit-time-remaining-xrm-requests`, in seconds). A `$batch` or a bulk message
//! (`CreateMultiple`, …) is one request; each of its operations (parts, or targets) costs
//! execution time: batching saves requests, not execution time. The emulator charges
//! [`ServiceProtection::cost_per_operation`] per operation and takes that long to answer. [`ServiceProtection::scaled`] divides the window
//! and its budgets by a factor, so tests and benchmarks run in seconds.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::StatusCode;

use super::errors::DvError;

/// The limits of each user (by bearer token).
///
/// ```
/// use std::time::Duration;
/// use dataverse_ironclad_sandbox::ServiceProtection;
///
/// // Dataverse's documented limits, with the window 60 times shorter: 100 requests and 20 s
/// // of execution time per 5 s.
/// let limits = ServiceProtection::dataverse().scaled(60.0);
/// assert_eq!(limits.requests_per_window, 100);
/// assert_eq!(limits.window, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ServiceProtection {
    /// The sliding window (Dataverse: 300 s).
    pub window: Duration,
    /// Requests per user per window (Dataverse: 6,000).
    pub requests_per_window: u32,
    /// Combined execution time per user per window (Dataverse: 1,200 s).
    pub execution_time_per_window: Duration,
    /// Requests of one user in flight at once (Dataverse: 52).
    pub concurrent_requests: u32,
    /// The `x-ms-dop-hint` sent with every answer.
    pub dop_hint: u32,
    /// The execution time of one operation (a request, or each operation of a `$batch`): charged
    /// to the budget, and waited before answering.
    pub cost_per_operation: Duration,
}

impl ServiceProtection {
    /// Dataverse's documented limits, with a recommended parallelism of 8 and 2 ms per
    /// operation.
    pub fn dataverse() -> Self {
        Self {
            window: Duration::from_secs(300),
            requests_per_window: 6000,
            execution_time_per_window: Duration::from_secs(1200),
            concurrent_requests: 52,
            dop_hint: 8,
            cost_per_operation: Duration::from_millis(2),
        }
    }

    /// The window, its request budget and its execution-time budget divided by `factor` (the
    /// concurrency limit, the hint and the cost per operation stay).
    #[must_use]
    pub fn scaled(mut self, factor: f64) -> Self {
        let factor = if factor.is_finite() && factor >= 1.0 { factor } else { 1.0 };
        self.window = self.window.div_f64(factor);
        self.requests_per_window =
            ((f64::from(self.requests_per_window) / factor).round() as u32).max(1);
        self.execution_time_per_window = self.execution_time_per_window.div_f64(factor);
        self
    }

    /// The most operations per second the limits allow one user, for `operations_per_request`
    /// operations per request (a `$batch` of that size): the ideal a client can reach.
    pub fn ideal_operations_per_second(&self, operations_per_request: u32) -> f64 {
        let window = self.window.as_secs_f64();
        let by_requests =
            f64::from(self.requests_per_window) * f64::from(operations_per_request) / window;
        let by_time = self.execution_time_per_window.as_secs_f64()
            / self.cost_per_operation.as_secs_f64().max(f64::MIN_POSITIVE)
            / window;
        by_requests.min(by_time)
    }
}

/// One user's usage.
#[derive(Default)]
struct Usage {
    /// When each request of the window arrived, and what it cost.
    recent: VecDeque<(Instant, Duration)>,
    spent: Duration,
    in_flight: u32,
}

impl Usage {
    fn forget_before(&mut self, horizon: Instant) {
        while let Some((at, cost)) = self.recent.front().copied() {
            if at > horizon {
                break;
            }
            self.recent.pop_front();
            self.spent = self.spent.saturating_sub(cost);
        }
    }
}

/// The protection state of the emulator.
pub(crate) struct Protection {
    limits: Mutex<Option<ServiceProtection>>,
    users: Mutex<HashMap<String, Usage>>,
}

/// An admitted request: release it with [`Protection::release`].
pub(crate) struct Admitted {
    /// The caller's `Authorization` header: a bearer token, kept out of `Debug`.
    user: String,
    cost: Duration,
    limits: ServiceProtection,
}

impl std::fmt::Debug for Admitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admitted")
            .field("user", &"<redacted>")
            .field("cost", &self.cost)
            .field("limits", &self.limits)
            .finish()
    }
}

impl Admitted {
    /// How long the emulated work takes.
    pub(crate) fn cost(&self) -> Duration {
        self.cost
    }
}

impl Protection {
    pub(crate) fn new(limits: Option<ServiceProtection>) -> Self {
        Self { limits: Mutex::new(limits), users: Mutex::new(HashMap::new()) }
    }

    pub(crate) fn set(&self, limits: Option<ServiceProtection>) {
        *self.limits.lock().unwrap_or_else(|p| p.into_inner()) = limits;
        self.users.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Whether protection is on (so a request's operations need counting).
    pub(crate) fn is_on(&self) -> bool {
        self.limits.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    pub(crate) fn limits(&self) -> Option<ServiceProtection> {
        self.limits.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Admit a request of `user` with `operations` operations, or say why not.
    pub(crate) fn admit(&self, user: &str, operations: u32) -> Result<Option<Admitted>, DvError> {
        let Some(limits) = self.limits() else { return Ok(None) };
        let now = Instant::now();
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        let usage = users.entry(user.to_owned()).or_default();
        if let Some(horizon) = now.checked_sub(limits.window) {
            usage.forget_before(horizon);
        }
        if usage.in_flight >= limits.concurrent_requests {
            return Err(concurrency_exceeded(&limits));
        }
        if usage.recent.len() >= limits.requests_per_window as usize {
            let oldest = usage.recent.front().map_or(now, |(at, _)| *at);
            return Err(requests_exceeded(&limits, oldest + limits.window - now));
        }
        if usage.spent >= limits.execution_time_per_window {
            // Until enough of the window's execution time has left it.
            let excess = usage.spent - limits.execution_time_per_window;
            let mut freed = Duration::ZERO;
            let mut until = now;
            for (at, cost) in &usage.recent {
                freed += *cost;
                until = *at + limits.window;
                if freed > excess {
                    break;
                }
            }
            return Err(time_exceeded(&limits, until.saturating_duration_since(now)));
        }
        let cost = limits.cost_per_operation * operations.max(1);
        usage.recent.push_back((now, cost));
        usage.spent += cost;
        usage.in_flight += 1;
        Ok(Some(Admitted { user: user.to_owned(), cost, limits }))
    }

    /// The request is answered: free its place, and give the headers to answer with.
    pub(crate) fn release(&self, admitted: &Admitted) -> Vec<(&'static str, String)> {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        let Some(usage) = users.get_mut(&admitted.user) else { return Vec::new() };
        usage.in_flight = usage.in_flight.saturating_sub(1);
        let limits = &admitted.limits;
        let requests_left =
            (limits.requests_per_window as usize).saturating_sub(usage.recent.len());
        let time_left = limits.execution_time_per_window.saturating_sub(usage.spent);
        vec![
            ("x-ms-dop-hint", limits.dop_hint.to_string()),
            ("x-ms-ratelimit-burst-remaining-xrm-requests", requests_left.to_string()),
            (
                "x-ms-ratelimit-time-remaining-xrm-requests",
                format!("{:.2}", time_left.as_secs_f64()),
            ),
        ]
    }

    /// The hint to send with a refusal.
    pub(crate) fn dop_hint(&self) -> Option<u32> {
        self.limits().map(|limits| limits.dop_hint)
    }
}

/// The operations a request carries, each charged [`ServiceProtection::cost_per_operation`]: one
/// per part of a `$batch`, one per target of a bulk message (`CreateMultiple`, …), else one.
/// Batching and bulk messages save requests, not execution time
/// (<https://learn.microsoft.com/power-apps/developer/data-platform/api-limits#execution-time>).
pub(crate) fn operations(path: &str, body: &[u8]) -> u32 {
    let count = if path.ends_with("/$batch") {
        let needle = b"application/http";
        body.windows(needle.len()).filter(|w| w.eq_ignore_ascii_case(needle)).count()
    } else if path.ends_with("Multiple") {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|body| body.get("Targets")?.as_array().map(Vec::len))
            .unwrap_or(1)
    } else {
        1
    };
    u32::try_from(count).unwrap_or(u32::MAX).max(1)
}

/// `Retry-After` is whole seconds: round up, at least 1.
fn seconds(wait: Duration) -> u64 {
    (wait.as_secs_f64().ceil() as u64).max(1)
}

fn window_seconds(limits: &ServiceProtection) -> u64 {
    limits.window.as_secs_f64().round() as u64
}

fn requests_exceeded(limits: &ServiceProtection, wait: Duration) -> DvError {
    let mut error = DvError::throttled(seconds(wait));
    error.message = format!(
        "Number of requests exceeded the limit of {} over time window of {} seconds.",
        limits.requests_per_window,
        window_seconds(limits)
    );
    error
}

fn time_exceeded(limits: &ServiceProtection, wait: Duration) -> DvError {
    let mut error = DvError::throttled(seconds(wait));
    error.code = "0x80072321".to_owned();
    error.message = format!(
        "Combined execution time of incoming requests exceeded limit of {} milliseconds over time window of {} seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.",
        limits.execution_time_per_window.as_millis(),
        window_seconds(limits)
    );
    error
}

fn concurrency_exceeded(limits: &ServiceProtection) -> DvError {
    let mut error = DvError::throttled(1);
    error.status = StatusCode::TOO_MANY_REQUESTS;
    error.code = "0x80072326".to_owned();
    error.message = format!(
        "Number of concurrent requests exceeded the limit of {}.",
        limits.concurrent_requests
    );
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ServiceProtection {
        ServiceProtection {
            window: Duration::from_secs(10),
            requests_per_window: 3,
            execution_time_per_window: Duration::from_millis(50),
            concurrent_requests: 2,
            dop_hint: 4,
            cost_per_operation: Duration::from_millis(10),
        }
    }

    #[test]
    fn each_limit_refuses_with_its_code_and_retry_after() {
        let protection = Protection::new(Some(limits()));
        let first = protection.admit("ada", 1).unwrap().unwrap();
        let second = protection.admit("ada", 1).unwrap().unwrap();
        let busy = protection.admit("ada", 1).unwrap_err();
        assert_eq!((busy.code.as_str(), busy.retry_after_secs), ("0x80072326", Some(1)));
        // Another user has a budget of its own.
        let other = protection.admit("grace", 1).unwrap().unwrap();
        let headers = protection.release(&first);
        assert_eq!(headers[0], ("x-ms-dop-hint", "4".to_owned()));
        assert_eq!(headers[1], ("x-ms-ratelimit-burst-remaining-xrm-requests", "1".to_owned()));
        assert_eq!(headers[2], ("x-ms-ratelimit-time-remaining-xrm-requests", "0.03".to_owned()));
        protection.release(&second);
        protection.release(&other);
        let third = protection.admit("ada", 1).unwrap().unwrap();
        protection.release(&third);
        let over = protection.admit("ada", 1).unwrap_err();
        assert_eq!(over.code, "0x80072322");
        assert_eq!(over.retry_after_secs, Some(10));
        assert!(
            over.message.contains("limit of 3 over time window of 10 seconds"),
            "{}",
            over.message
        );
        // A batch of 5 operations spends the execution time of another user at once.
        let batch = protection.admit("grace", 5).unwrap().unwrap();
        assert_eq!(batch.cost(), Duration::from_millis(50));
        protection.release(&batch);
        let spent = protection.admit("grace", 1).unwrap_err();
        assert_eq!(spent.code, "0x80072321");
        // The token a request carries never shows in Debug.
        let debug = format!("{:?}", protection.admit("Bearer secret-token", 1).unwrap().unwrap());
        assert!(!debug.contains("secret-token"), "{debug}");
        // Turned off: everything passes.
        protection.set(None);
        assert!(protection.admit("ada", 1).unwrap().is_none());
    }

    #[test]
    fn batches_and_bulk_messages_cost_one_operation_per_row() {
        let batch = b"--b\r\nContent-Type: application/http\r\n\r\nPOST accounts\r\n--b\r\nContent-Type: Application/HTTP\r\n\r\nPOST accounts\r\n--b--";
        assert_eq!(operations("/api/data/v9.2/$batch", batch), 2);
        let bulk = br#"{"Targets":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#;
        assert_eq!(
            operations("/api/data/v9.2/accounts/Microsoft.Dynamics.CRM.CreateMultiple", bulk),
            3
        );
        assert_eq!(
            operations("/api/data/v9.2/accounts/Microsoft.Dynamics.CRM.CreateMultiple", b"{"),
            1
        );
        assert_eq!(operations("/api/data/v9.2/accounts", bulk), 1);
        assert_eq!(operations("/api/data/v9.2/$batch", b""), 1);
    }

    #[test]
    fn scaling_keeps_the_ratios() {
        let scaled = ServiceProtection::dataverse().scaled(60.0);
        assert_eq!(scaled.execution_time_per_window, Duration::from_secs(20));
        assert_eq!(scaled.concurrent_requests, 52);
        // 100 requests of 100 operations per 5 s, or 20 s / 2 ms per 5 s: the request count binds.
        assert_eq!(scaled.ideal_operations_per_second(100), 2000.0);
        assert_eq!(scaled.ideal_operations_per_second(1000), 2000.0);
        assert_eq!(ServiceProtection::dataverse().scaled(0.0), ServiceProtection::dataverse());
    }
}
