//! Request log and per-route counters, for tests and the benchmark.
//!
//! Every request a service receives is recorded with a route label such as
//! `PATCH /api/data/v9.2/cre6f_agreements({id})` or `POST /public/api/v1/workflows`, so a test
//! can assert how many requests a flow made per agreement without parsing URLs itself.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use time::OffsetDateTime;

use super::faults::{Fault, Service};

/// One request as the sandbox saw it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// Which emulator received it.
    pub service: Service,
    /// HTTP method.
    pub method: String,
    /// Path as received (percent-encoded).
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// `METHOD /path` with ids replaced by `{id}`.
    pub route: String,
    /// Response status; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// The injected fault, if any.
    pub fault: Option<Fault>,
    /// When the request arrived.
    pub received_at: OffsetDateTime,
    /// Time from arrival to response (including injected latency).
    pub duration: Duration,
}

/// How many request records a log keeps (the oldest go first); counts are never dropped.
const MAX_RECORDS: usize = 100_000;

#[derive(Debug, Default)]
struct LogInner {
    records: VecDeque<RequestRecord>,
    counts: BTreeMap<String, u64>,
}

/// The request log of one service; cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestLog {
    inner: Arc<Mutex<LogInner>>,
}

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, LogInner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn push(&self, record: RequestRecord) {
        let mut inner = self.lock();
        *inner.counts.entry(record.route.clone()).or_insert(0) += 1;
        if inner.records.len() == MAX_RECORDS {
            inner.records.pop_front();
        }
        inner.records.push_back(record);
    }

    /// The most recent records (up to 100,000), oldest first.
    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        self.lock().records.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.records.clear();
        inner.counts.clear();
    }

    /// Request counts by route label, since start or the last `clear`.
    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        self.lock().counts.clone()
    }
}

/// `METHOD /path` with every identifier replaced by `{id}`.
///
/// An identifier is a key in parentheses (`accounts(…)`), or a whole path segment that is a
/// GUID, an Ironclad readable id (`IC-12`), or a long token containing a digit (24-hex ids,
/// async job ids, role ids such as `approver137e…`).
pub(crate) fn route_label(method: &str, path: &str) -> String {
    let segments: Vec<String> = path.split('/').map(normalize_segment).collect();
    format!("{method} {}", segments.join("/"))
}

fn normalize_segment(segment: &str) -> String {
    if let Some(open) = segment.find('(')
        && segment.ends_with(')')
        && open + 1 < segment.len() - 1
    {
        return format!("{}({{id}})", &segment[..open]);
    }
    let is_readable_id = segment
        .strip_prefix("IC-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let is_token = segment.len() >= 16 && segment.bytes().any(|b| b.is_ascii_digit());
    if is_readable_id || is_token || uuid::Uuid::parse_str(segment).is_ok() {
        "{id}".to_owned()
    } else {
        segment.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_hide_identifiers() {
        assert_eq!(
            route_label(
                "PATCH",
                "/api/data/v9.2/cre6f_agreements(0b0f6b0e-1a2b-4c3d-8e9f-001122334455)"
            ),
            "PATCH /api/data/v9.2/cre6f_agreements({id})"
        );
        assert_eq!(
            route_label(
                "GET",
                "/api/data/v9.2/annotations(0b0f6b0e-1a2b-4c3d-8e9f-001122334455)/documentbody/$value"
            ),
            "GET /api/data/v9.2/annotations({id})/documentbody/$value"
        );
        assert_eq!(
            route_label(
                "PATCH",
                "/public/api/v1/workflows/6a6b40b128f91b0daeafb068/approvals/approver137e74661e0b40e38e3a52dff067cd0c"
            ),
            "PATCH /public/api/v1/workflows/{id}/approvals/{id}"
        );
        assert_eq!(
            route_label("GET", "/public/api/v1/workflows/IC-12"),
            "GET /public/api/v1/workflows/{id}"
        );
        assert_eq!(
            route_label("GET", "/public/api/v1/webhooks/verification-key"),
            "GET /public/api/v1/webhooks/verification-key"
        );
        assert_eq!(route_label("GET", "/api/data/v9.2/accounts"), "GET /api/data/v9.2/accounts");
    }
}
