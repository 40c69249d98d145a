//! An optional client-side limiter per documented Ironclad rate-limit bucket.
//!
//! Ironclad limits requests per company and per bucket (workflow writes: 40 per minute) and
//! answers 429 beyond that. The limiter spaces this client's requests so that no rolling minute
//! holds more than a bucket's limit: a bulk launch of 200 workflows then runs at 40 per minute
//! instead of running into 429s and backoff. It is per client (clones share it); other processes
//! using the same company's quota are not seen, so the retry loop still handles 429.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use http::Method;
use tokio::time::Instant;

/// A documented Ironclad rate-limit bucket.
///
/// ```
/// use http::Method;
/// use ironclad_client::config::RateLimitBucket;
///
/// let bucket = RateLimitBucket::for_request(&Method::POST, "workflows");
/// assert_eq!(bucket, RateLimitBucket::WorkflowsWrite);
/// assert_eq!(bucket.name(), "pub:workflows:write");
/// assert_eq!(bucket.documented_per_minute(), 40);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RateLimitBucket {
    /// `GET`/`HEAD /workflows*`: 400 per minute.
    WorkflowsRead,
    /// `POST`/`PUT`/`PATCH`/`DELETE /workflows*`: 40 per minute.
    WorkflowsWrite,
    /// `POST`/`PATCH /workflows/{id}/sign-status*`: 50 per minute.
    WorkflowsSignStatus,
    /// `POST`/`PATCH /workflows/{id}/signatures*`: 50 per minute.
    WorkflowsSignatures,
    /// `GET`/`HEAD /records*`: 600 per minute.
    RecordsRead,
    /// Writes to `/records*`: 200 per minute.
    RecordsWrite,
    /// `/webhooks*`: 600 per minute.
    Webhooks,
    /// Every other endpoint: 800 per minute.
    Other,
}

const BUCKETS: [RateLimitBucket; 8] = [
    RateLimitBucket::WorkflowsRead,
    RateLimitBucket::WorkflowsWrite,
    RateLimitBucket::WorkflowsSignStatus,
    RateLimitBucket::WorkflowsSignatures,
    RateLimitBucket::RecordsRead,
    RateLimitBucket::RecordsWrite,
    RateLimitBucket::Webhooks,
    RateLimitBucket::Other,
];

impl RateLimitBucket {
    /// The bucket of a request, from its method and its path below `/public/api/v1/`
    /// (`workflows/6a6b…/sign-status`).
    pub fn for_request(method: &Method, api_path: &str) -> Self {
        let mut segments = api_path.trim_start_matches('/').split('/');
        let area = segments.next().unwrap_or_default();
        let sub_resource = segments.nth(1).unwrap_or_default();
        let read = matches!(*method, Method::GET | Method::HEAD);
        let sign_write = matches!(*method, Method::POST | Method::PATCH);
        match area {
            "workflows" if sign_write && sub_resource == "sign-status" => {
                RateLimitBucket::WorkflowsSignStatus
            }
            "workflows" if sign_write && sub_resource == "signatures" => {
                RateLimitBucket::WorkflowsSignatures
            }
            "workflows" if read => RateLimitBucket::WorkflowsRead,
            "workflows" => RateLimitBucket::WorkflowsWrite,
            "records" if read => RateLimitBucket::RecordsRead,
            "records" => RateLimitBucket::RecordsWrite,
            "webhooks" => RateLimitBucket::Webhooks,
            _ => RateLimitBucket::Other,
        }
    }

    /// Ironclad's name for the bucket (`pub:workflows:write`); the older buckets without a
    /// published name get a descriptive one.
    pub fn name(&self) -> &'static str {
        match self {
            RateLimitBucket::WorkflowsRead => "pub:workflows:read",
            RateLimitBucket::WorkflowsWrite => "pub:workflows:write",
            RateLimitBucket::WorkflowsSignStatus => "pub:workflows:sign-status",
            RateLimitBucket::WorkflowsSignatures => "pub:workflows:signatures",
            RateLimitBucket::RecordsRead => "pub:records:read",
            RateLimitBucket::RecordsWrite => "records:write",
            RateLimitBucket::Webhooks => "webhooks",
            RateLimitBucket::Other => "other",
        }
    }

    /// The documented requests per minute for production tenants (demo tenants have lower,
    /// unpublished limits).
    pub fn documented_per_minute(&self) -> u32 {
        match self {
            RateLimitBucket::WorkflowsRead => 400,
            RateLimitBucket::WorkflowsWrite => 40,
            RateLimitBucket::WorkflowsSignStatus | RateLimitBucket::WorkflowsSignatures => 50,
            RateLimitBucket::RecordsRead => 600,
            RateLimitBucket::RecordsWrite => 200,
            RateLimitBucket::Webhooks => 600,
            RateLimitBucket::Other => 800,
        }
    }

    fn index(self) -> usize {
        BUCKETS.iter().position(|b| *b == self).unwrap_or(BUCKETS.len() - 1)
    }
}

/// The longest rolling window: an instant plus it never overflows.
const MAX_WINDOW: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Per-bucket limits for the client-side limiter.
///
/// [`RateLimits::default`] is the documented production limits. Demo tenants and local sandboxes
/// differ, so every bucket can be changed or lifted.
///
/// ```
/// use ironclad_client::config::{RateLimitBucket, RateLimits};
///
/// // A demo tenant with a lower write limit; reads unlimited on this side.
/// let limits = RateLimits::default()
///     .per_minute(RateLimitBucket::WorkflowsWrite, 20)
///     .unlimited(RateLimitBucket::WorkflowsRead);
/// assert_eq!(limits.limit(RateLimitBucket::WorkflowsWrite), Some(20));
/// assert_eq!(limits.limit(RateLimitBucket::WorkflowsRead), None);
/// assert_eq!(limits.limit(RateLimitBucket::RecordsRead), Some(600));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    per_window: [Option<u32>; 8],
    window: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::documented()
    }
}

impl RateLimits {
    /// The documented production limits for every bucket.
    pub fn documented() -> Self {
        Self {
            per_window: BUCKETS.map(|b| Some(b.documented_per_minute())),
            window: Duration::from_secs(60),
        }
    }

    /// No bucket limited (add limits with [`Self::per_minute`]).
    pub fn none() -> Self {
        Self { per_window: [None; 8], window: Duration::from_secs(60) }
    }

    /// Allow at most `requests` per rolling minute in `bucket` (0 is treated as 1).
    pub fn per_minute(mut self, bucket: RateLimitBucket, requests: u32) -> Self {
        self.per_window[bucket.index()] = Some(requests.max(1));
        self
    }

    /// Do not limit `bucket` on the client side.
    pub fn unlimited(mut self, bucket: RateLimitBucket) -> Self {
        self.per_window[bucket.index()] = None;
        self
    }

    /// The configured limit of `bucket` per rolling minute.
    pub fn limit(&self, bucket: RateLimitBucket) -> Option<u32> {
        self.per_window[bucket.index()]
    }

    /// Use a rolling window other than one minute (tests and sandboxes); it is kept between
    /// 1 ms and a year, so send times stay representable.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window.clamp(Duration::from_millis(1), MAX_WINDOW);
        self
    }
}

/// The limiter itself: per bucket, the send times of the last `limit` requests.
pub(crate) struct RateLimiter {
    buckets: [Option<SlidingWindow>; 8],
}

struct SlidingWindow {
    limit: usize,
    window: Duration,
    /// Send times (past or reserved future instants), ascending, at most `limit` long.
    sent: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub(crate) fn new(limits: &RateLimits) -> Self {
        Self {
            buckets: limits.per_window.map(|limit| {
                limit.map(|limit| SlidingWindow {
                    limit: limit as usize,
                    window: limits.window,
                    sent: Mutex::new(VecDeque::with_capacity(limit as usize)),
                })
            }),
        }
    }

    /// Wait until one more request in `bucket` keeps every rolling window within its limit.
    pub(crate) async fn acquire(&self, bucket: RateLimitBucket) {
        let Some(window) = &self.buckets[bucket.index()] else {
            return;
        };
        let slot = window.reserve(Instant::now());
        if slot > Instant::now() {
            tracing::debug!(bucket = bucket.name(), wait = ?slot - Instant::now(), "client-side rate limit");
            tokio::time::sleep_until(slot).await;
        }
    }
}

impl SlidingWindow {
    /// Reserve the earliest send time at or after `now` such that the request `limit` places
    /// earlier was at least one window before it. Reservations are ordered, so concurrent
    /// callers queue fairly; a dropped waiter keeps its slot (erring on the slow side).
    fn reserve(&self, now: Instant) -> Instant {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        let slot = if sent.len() < self.limit {
            now
        } else {
            let oldest = sent.front().copied().unwrap_or(now);
            now.max(oldest + self.window)
        };
        sent.push_back(slot);
        while sent.len() > self.limit {
            sent.pop_front();
        }
        slot
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_map();
        for (bucket, window) in BUCKETS.iter().zip(&self.buckets) {
            if let Some(window) = window {
                list.entry(&bucket.name(), &window.limit);
            }
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_requests_into_buckets() {
        use RateLimitBucket::*;
        let cases = [
            (Method::GET, "workflows", WorkflowsRead),
            (Method::HEAD, "workflows/abc/approvals", WorkflowsRead),
            (Method::POST, "workflows", WorkflowsWrite),
            (Method::POST, "workflows/async", WorkflowsWrite),
            (Method::PATCH, "workflows/abc/attributes", WorkflowsWrite),
            (Method::POST, "workflows/abc/sign-status/send-signature-request", WorkflowsSignStatus),
            (Method::GET, "workflows/abc/sign-status", WorkflowsRead),
            (Method::PATCH, "workflows/abc/signatures/x", WorkflowsSignatures),
            (Method::GET, "records/abc", RecordsRead),
            (Method::PUT, "records/abc", RecordsWrite),
            (Method::DELETE, "webhooks/abc", Webhooks),
            (Method::GET, "workflow-schemas", Other),
        ];
        for (method, path, expected) in cases {
            assert_eq!(RateLimitBucket::for_request(&method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn no_rolling_window_exceeds_the_limit() {
        let window = SlidingWindow {
            limit: 3,
            window: Duration::from_secs(60),
            sent: Mutex::new(VecDeque::new()),
        };
        let t0 = Instant::now();
        let slots: Vec<Duration> = (0..7).map(|_| window.reserve(t0) - t0).collect();
        let s = Duration::from_secs;
        assert_eq!(slots, [s(0), s(0), s(0), s(60), s(60), s(60), s(120)]);
        // Later arrivals are not held back by old sends.
        let later = t0 + s(500);
        assert_eq!(window.reserve(later), later);
    }

    #[test]
    fn an_absurd_window_is_clamped_instead_of_overflowing() {
        let limits = RateLimits::none().per_minute(RateLimitBucket::Other, 1);
        let limiter = RateLimiter::new(&limits.window(Duration::MAX));
        let Some(window) = &limiter.buckets[RateLimitBucket::Other.index()] else {
            panic!("the bucket is limited");
        };
        let t0 = Instant::now();
        assert_eq!(window.reserve(t0), t0);
        assert_eq!(window.reserve(t0), t0 + MAX_WINDOW);
    }
}
