//! The throughput governor: one budget per client, shared by every clone and every task using
//! it, that spends Dataverse's service-protection limits instead of tripping them.
//!
//! Each attempt waits for a place among the requests allowed in flight, for any pause to end
//! and for budget in the service's window before it is sent, and reports what its response
//! said. The decisions are [`rest_client_core::governor::start`]'s and
//! [`rest_client_core::governor::govern`]'s: the concurrency starts from the server's
//! `x-ms-dop-hint`, rises while every place is taken and never exceeds 52; the request budget
//! of the 5-minute window (`x-ms-ratelimit-burst-remaining-xrm-requests`) is spent as the window
//! gives it back, so a bulk load does not trip it; a 429 pauses every request of the client for
//! its `Retry-After` and lowers the concurrency; little execution time left
//! (`x-ms-ratelimit-time-remaining-xrm-requests`) lowers it too.
//! See Microsoft Learn, "Service protection API limits"
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/api-limits>).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};
use rest_client_core::governor::{
    Admission, GovernorLimits, GovernorState, Observation, govern, start,
};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::client::{Client, ClientBuilder};

/// `x-ms-dop-hint`: the recommended degree of parallelism for the environment.
pub const DOP_HINT: &str = "x-ms-dop-hint";
/// Requests left in the current 5-minute window.
pub const REMAINING_REQUESTS: &str = "x-ms-ratelimit-burst-remaining-xrm-requests";
/// Execution time (seconds) left in the current 5-minute window.
pub const REMAINING_TIME: &str = "x-ms-ratelimit-time-remaining-xrm-requests";

/// The governor of one client.
pub(crate) struct Governor {
    limits: GovernorLimits,
    epoch: Instant,
    state: Mutex<GovernorState>,
    changed: Notify,
    throttled: AtomicU64,
}

/// What the governor of a client stands at ([`Client::throughput_governor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct GovernorStatus {
    /// Requests allowed in flight at once now.
    pub concurrency: u32,
    /// What the concurrency climbs back to: the server's hint, else the maximum.
    pub ceiling: u32,
    /// Requests in flight now.
    pub in_flight: u32,
    /// 429 answers received so far.
    pub throttled: u64,
    /// How long requests are still paused for.
    pub paused_for: Duration,
    /// Requests this client may still start in the service's current window, as the
    /// `x-ms-ratelimit-burst-remaining-xrm-requests` answers tell (`None` until one does).
    pub budget_left: Option<u64>,
}

impl Governor {
    pub(crate) fn new(limits: GovernorLimits) -> Self {
        let state = limits.start();
        Self {
            limits,
            epoch: Instant::now(),
            state: Mutex::new(state),
            changed: Notify::new(),
            throttled: AtomicU64::new(0),
        }
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GovernorState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wait until [`start`] admits a request: no pause, a free place, and budget left in the
    /// window.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        loop {
            let mut notified = std::pin::pin!(self.changed.notified());
            notified.as_mut().enable();
            let admission = {
                let mut state = self.lock();
                let now = self.now();
                let (next, admission) = start(&self.limits, std::mem::take(&mut *state), now);
                *state = next;
                if admission == Admission::Now {
                    return Permit { governor: self, started: now, done: false };
                }
                admission
            };
            match admission {
                // Until then, or sooner when an attempt finishes.
                Admission::Wait(wait) if !wait.is_zero() => {
                    let _ = tokio::time::timeout(wait, notified).await;
                }
                Admission::Wait(_) => tokio::task::yield_now().await,
                _ => notified.await,
            }
        }
    }

    fn finish(&self, started: Duration, observation: Observation) {
        if matches!(observation, Observation::Throttled { .. }) {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
        {
            let mut state = self.lock();
            let taken = std::mem::take(&mut *state);
            *state = govern(&self.limits, taken, started, observation, self.now());
        }
        self.changed.notify_waiters();
    }

    pub(crate) fn status(&self) -> GovernorStatus {
        let state = self.lock();
        GovernorStatus {
            concurrency: state.concurrency,
            ceiling: state.ceiling,
            in_flight: state.in_flight,
            throttled: self.throttled.load(Ordering::Relaxed),
            paused_for: state.wait_at(self.now()),
            budget_left: state.budget_left(),
        }
    }
}

/// A place among the requests in flight, given back with what the response said.
pub(crate) struct Permit<'g> {
    governor: &'g Governor,
    /// When the attempt was admitted (on the governor's clock).
    started: Duration,
    done: bool,
}

impl Permit<'_> {
    /// Report the attempt's result (a response, or none) and give the place back.
    pub(crate) fn answered<E>(
        mut self,
        sent: &Result<Result<reqwest::Response, reqwest::Error>, E>,
    ) {
        self.done = true;
        let observation = match sent {
            Ok(Ok(response)) => observe(response.status(), response.headers()),
            _ => Observation::NoAnswer,
        };
        self.governor.finish(self.started, observation);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        // A cancelled request gives its place back without a verdict.
        if !self.done {
            self.governor.finish(self.started, Observation::NoAnswer);
        }
    }
}

/// What a response says about the budget.
pub(crate) fn observe(status: StatusCode, headers: &HeaderMap) -> Observation {
    if status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after = rest_client_core::retry_after_from_headers(headers, SystemTime::now());
        return Observation::Throttled { retry_after };
    }
    let number = |name: &str| {
        let text = headers.get(name)?.to_str().ok()?;
        // Values may carry thousands separators ("1,199.5").
        text.trim().replace(',', "").parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
    };
    Observation::Answered {
        // Bounded by the filters above; fractional hints are not sent.
        dop_hint: number(DOP_HINT).map(|v| v.min(f64::from(u32::MAX)) as u32),
        remaining_requests: number(REMAINING_REQUESTS).map(|v| v as u64),
        // `try_`: a value past `Duration::MAX` (say "1e20") is dropped instead of panicking.
        remaining_time: number(REMAINING_TIME).and_then(|v| Duration::try_from_secs_f64(v).ok()),
    }
}

impl ClientBuilder {
    /// Govern throughput with these limits (the default: [`GovernorLimits::default`], up to
    /// 52 requests in flight, starting from the server's `x-ms-dop-hint`). Every clone of the
    /// client, and every task using it, shares one budget.
    ///
    /// ```
    /// use dataverse_client::{Client, config::GovernorLimits, auth::StaticToken};
    ///
    /// let client = Client::builder("https://contoso.crm.dynamics.com")
    ///     .credential(StaticToken::new("token"))
    ///     .throughput_governor(GovernorLimits::default().max_concurrency(16))
    ///     .build()?;
    /// assert_eq!(client.throughput_governor().map(|g| g.ceiling), Some(16));
    /// # Ok::<(), dataverse_client::Error>(())
    /// ```
    pub fn throughput_governor(mut self, limits: GovernorLimits) -> Self {
        self.governor = Some(limits);
        self
    }

    /// Send every request at once, with no governor: 429s are only retried per the retry
    /// policy (for a caller that paces requests itself).
    ///
    /// ```
    /// use dataverse_client::{Client, auth::StaticToken};
    ///
    /// let client = Client::builder("https://contoso.crm.dynamics.com")
    ///     .credential(StaticToken::new("token"))
    ///     .without_throughput_governor()
    ///     .build()?;
    /// assert!(client.throughput_governor().is_none());
    /// # Ok::<(), dataverse_client::Error>(())
    /// ```
    pub fn without_throughput_governor(mut self) -> Self {
        self.governor = None;
        self
    }
}

impl Client {
    /// Where the throughput governor stands (`None` when it is turned off).
    ///
    /// ```no_run
    /// # fn demo(client: dataverse_client::Client) {
    /// if let Some(status) = client.throughput_governor() {
    ///     println!("{} in flight of {}, {} throttled", status.in_flight, status.concurrency, status.throttled);
    /// }
    /// # }
    /// ```
    pub fn throughput_governor(&self) -> Option<GovernorStatus> {
        self.inner.governor.as_ref().map(Governor::status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap())).collect()
    }

    #[test]
    fn budget_headers_are_read() {
        let seen = observe(
            StatusCode::OK,
            &headers(&[
                (DOP_HINT, "12"),
                (REMAINING_REQUESTS, "5,999"),
                (REMAINING_TIME, "1,199.5"),
            ]),
        );
        assert_eq!(
            seen,
            Observation::Answered {
                dop_hint: Some(12),
                remaining_requests: Some(5999),
                remaining_time: Some(Duration::from_millis(1_199_500)),
            }
        );
        assert_eq!(observe(StatusCode::NO_CONTENT, &headers(&[(DOP_HINT, "x")])), Observation::OK);
        assert_eq!(
            observe(StatusCode::TOO_MANY_REQUESTS, &headers(&[("retry-after", "7")])),
            Observation::Throttled { retry_after: Some(Duration::from_secs(7)) }
        );
    }

    #[test]
    fn huge_budget_headers_do_not_panic() {
        let seen = observe(
            StatusCode::OK,
            &headers(&[(DOP_HINT, "1e30"), (REMAINING_REQUESTS, "1e30"), (REMAINING_TIME, "1e30")]),
        );
        assert_eq!(
            seen,
            Observation::Answered {
                dop_hint: Some(u32::MAX),
                remaining_requests: Some(u64::MAX),
                remaining_time: None,
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_pauses_every_request_and_places_are_shared() {
        let governor = Governor::new(GovernorLimits::default().initial_concurrency(2));
        let first = governor.acquire().await;
        let second = governor.acquire().await;
        // Full: a third waits for a place.
        let third = tokio::time::timeout(Duration::from_millis(10), governor.acquire()).await;
        assert!(third.is_err(), "two places only");
        // A 429 with Retry-After: 3 frees its place, lowers to one and pauses everyone.
        first.governor.finish(
            first.started,
            Observation::Throttled { retry_after: Some(Duration::from_secs(3)) },
        );
        std::mem::forget(first);
        drop(second);
        let started = Instant::now();
        let next = governor.acquire().await;
        assert_eq!(started.elapsed(), Duration::from_secs(3), "waited out the pause");
        let status = governor.status();
        assert_eq!((status.concurrency, status.in_flight, status.throttled), (1, 1, 1));
        drop(next);
        assert_eq!(governor.status().in_flight, 0);
    }
}
