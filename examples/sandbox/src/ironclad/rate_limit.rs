//! Ironclad's per-company rate limits, by bucket (<https://developer.ironcladapp.com/reference/clm-api-rate-limits>).
//!
//! Buckets and their documented requests per minute: `pub:workflows:read` 400 (GET/HEAD
//! `/workflows*`), `pub:workflows:write` 40 (POST/PUT/PATCH/DELETE `/workflows*`),
//! `pub:records:read` 600, `pub:records:write` 200, webhooks 600, everything else 800. Exceeding
//! one answers 429 `TOO_MANY_REQUESTS` with no `Retry-After` (none is documented). The window is
//! a sliding minute on the Tokio clock, so tests can pause time. Off by default so benchmarks
//! are not throttled.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::Method;
use tokio::time::Instant;

use super::errors::IcError;

/// Requests per minute allowed in each bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IroncladRateLimits {
    /// `pub:workflows:read`.
    pub workflows_read: u32,
    /// `pub:workflows:write`.
    pub workflows_write: u32,
    /// `pub:records:read`.
    pub records_read: u32,
    /// `pub:records:write`.
    pub records_write: u32,
    /// Webhooks endpoints.
    pub webhooks: u32,
    /// Every other API.
    pub other: u32,
}

impl Default for IroncladRateLimits {
    /// The documented production limits.
    fn default() -> Self {
        Self {
            workflows_read: 400,
            workflows_write: 40,
            records_read: 600,
            records_write: 200,
            webhooks: 600,
            other: 800,
        }
    }
}

impl IroncladRateLimits {
    fn bucket(&self, method: &Method, path: &str) -> (&'static str, u32) {
        let path = path.strip_prefix("/public/api/v1").unwrap_or(path);
        let read = method == Method::GET || method == Method::HEAD;
        if path.starts_with("/workflows") {
            if read {
                ("pub:workflows:read", self.workflows_read)
            } else {
                ("pub:workflows:write", self.workflows_write)
            }
        } else if path.starts_with("/records") {
            if read {
                ("pub:records:read", self.records_read)
            } else {
                ("pub:records:write", self.records_write)
            }
        } else if path.starts_with("/webhooks") {
            ("pub:webhooks", self.webhooks)
        } else {
            ("pub:other", self.other)
        }
    }
}

/// Sliding-window counters; limits can be changed or removed at runtime.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    limits: Mutex<Option<IroncladRateLimits>>,
    windows: Mutex<HashMap<&'static str, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub(crate) fn new(limits: Option<IroncladRateLimits>) -> Self {
        Self { limits: Mutex::new(limits), windows: Mutex::default() }
    }

    pub(crate) fn set(&self, limits: Option<IroncladRateLimits>) {
        *self.limits.lock().unwrap_or_else(|p| p.into_inner()) = limits;
        self.windows.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// A 429 when the request's bucket is full; otherwise count it and let it through.
    pub(crate) fn check(&self, method: &Method, path: &str) -> Option<Response> {
        let limits = (*self.limits.lock().unwrap_or_else(|p| p.into_inner()))?;
        let (bucket, per_minute) = limits.bucket(method, path);
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.entry(bucket).or_default();
        while window.front().is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(60)) {
            window.pop_front();
        }
        if window.len() >= per_minute as usize {
            return Some(
                IcError::too_many_requests(format!("rate limit exceeded for {bucket}"))
                    .into_response(),
            );
        }
        window.push_back(now);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn write_bucket_refuses_the_41st_request_in_a_minute() {
        let limiter = RateLimiter::new(Some(IroncladRateLimits::default()));
        for _ in 0..40 {
            assert!(limiter.check(&Method::POST, "/public/api/v1/workflows").is_none());
        }
        let refused = limiter.check(&Method::POST, "/public/api/v1/workflows").unwrap();
        assert_eq!(refused.status(), 429);
        assert!(refused.headers().get("retry-after").is_none());
        assert!(
            limiter.check(&Method::GET, "/public/api/v1/workflows").is_none(),
            "reads are another bucket"
        );
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(limiter.check(&Method::POST, "/public/api/v1/workflows").is_none());
    }
}
