//! The retry decision, as a pure function.
//!
//! The async send loops in the clients stay thin: after each attempt they describe what happened
//! as an [`Outcome`], ask [`decide`], and either stop or sleep for the returned delay. Everything
//! that needs judgement (which statuses are transient, when a non-idempotent request may be
//! replayed, how `Retry-After` and backoff combine) lives here and is tested as a table.

use std::time::Duration;

/// How a client retries transient failures.
///
/// The defaults suit both Dataverse and Ironclad: five attempts in all, exponential backoff from
/// 500 ms capped at 30 s with jitter, and `Retry-After` honoured up to five minutes. A service
/// whose rate limits are per-minute buckets and which may answer 429 without `Retry-After` adds
/// a [throttle backoff](Self::throttle_backoff), so its retries wait on the scale of the bucket.
///
/// ```
/// use std::time::Duration;
/// use rest_client_core::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(8)
///     .initial_backoff(Duration::from_millis(200))
///     .max_elapsed(Some(Duration::from_secs(120)));
/// assert_eq!(policy.max_attempts_value(), 8);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    max_elapsed: Option<Duration>,
    retry_internal_server_error: bool,
    throttle_backoff: Option<ThrottleBackoff>,
}

/// The backoff for a 429 without `Retry-After` (see [`RetryPolicy::throttle_backoff`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ThrottleBackoff {
    floor: Duration,
    cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            max_elapsed: None,
            retry_internal_server_error: false,
            throttle_backoff: None,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries: every request is attempted exactly once.
    pub fn never() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// Total attempts per request, the first one included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff delay; each further retry doubles it, up to [`Self::max_backoff`].
    pub fn initial_backoff(mut self, delay: Duration) -> Self {
        self.initial_backoff = delay;
        self
    }

    /// The cap on the computed backoff delay.
    pub fn max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// The longest server-requested wait (`Retry-After`) the client sleeps through. A longer
    /// request stops retrying and surfaces the error, with its `retry_after`, to the caller.
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// An overall budget: no retry is scheduled if it would end after this much time since the
    /// first attempt started. `None` (the default) means only the attempt count limits retries.
    pub fn max_elapsed(mut self, budget: Option<Duration>) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// Whether `500 Internal Server Error` counts as transient (Ironclad: yes; Dataverse: no,
    /// because a Dataverse 500 may follow partial work; its plug-in and validation failures are 400).
    pub fn retry_internal_server_error(mut self, retry: bool) -> Self {
        self.retry_internal_server_error = retry;
        self
    }

    /// How long to wait after a `429` that carries no `Retry-After`, for services that limit
    /// per minute: the first wait is at least `floor`, each further one doubles, and none is
    /// longer than `cap` (jitter stays within those bounds). Without it (the default) such a 429
    /// uses the ordinary backoff, which spends every retry within seconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rest_client_core::{Outcome, Replay, RetryDecision, RetryPolicy, decide};
    ///
    /// let policy = RetryPolicy::default()
    ///     .throttle_backoff(Duration::from_secs(15), Duration::from_secs(60));
    /// let throttled = Outcome::Status { status: 429, retry_after: None };
    /// let RetryDecision::RetryAfter(wait) =
    ///     decide(&policy, 1, Duration::ZERO, Replay::Unsafe, throttled, 0.3)
    /// else {
    ///     unreachable!()
    /// };
    /// assert!(wait >= Duration::from_secs(15) && wait <= Duration::from_secs(60));
    /// ```
    pub fn throttle_backoff(mut self, floor: Duration, cap: Duration) -> Self {
        self.throttle_backoff = Some(ThrottleBackoff { floor, cap: cap.max(floor) });
        self
    }

    /// The configured throttle backoff as `(floor, cap)`, if any.
    pub fn throttle_backoff_value(&self) -> Option<(Duration, Duration)> {
        self.throttle_backoff.map(|t| (t.floor, t.cap))
    }

    /// The configured total attempts.
    pub fn max_attempts_value(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff before retry number `retry` (1-based), before jitter: `initial * 2^(retry-1)`,
    /// capped at `max_backoff`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        self.initial_backoff
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// Whether a request may be sent again after it possibly reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replay {
    /// Replaying cannot duplicate an effect: GET, HEAD, PUT, DELETE, a PATCH with `If-Match`, or
    /// a POST the service deduplicates.
    Safe,
    /// Replaying might duplicate an effect (a plain POST that creates something).
    Unsafe,
}

impl Replay {
    /// The default for an HTTP method: idempotent methods are safe, POST and PATCH are not.
    pub fn for_method(method: &http::Method) -> Self {
        if method.is_idempotent() { Replay::Safe } else { Replay::Unsafe }
    }
}

/// What happened on one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The server answered with this status (any non-2xx the client did not handle itself).
    Status {
        /// The HTTP status code.
        status: u16,
        /// The parsed `Retry-After`, if the response carried one.
        retry_after: Option<Duration>,
    },
    /// No connection could be established, so the request never reached the server.
    ConnectFailed,
    /// The request may have been sent, but no complete response arrived (timeout, reset).
    SendFailed,
}

/// What the send loop does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Give up and return the last error.
    Stop,
    /// Sleep this long, then try again.
    RetryAfter(Duration),
}

/// Decide whether to retry after attempt number `attempt` (1-based) ended with `outcome`.
///
/// - `429 Too Many Requests` is always retried, whatever the method: both services reject a
///   throttled request before doing any work. The wait is the server's `Retry-After` when given
///   (a wait longer than `max_retry_after` stops instead), else the throttle backoff when the
///   policy has one (`floor * 2^(attempt-1)`, capped, times `0.75 + jitter / 2`, kept within
///   `[floor, cap]`), else the jittered backoff.
/// - `408`, `502`, `503`, `504` (and `500` when enabled) are retried only when `replay` is
///   [`Replay::Safe`], because the server may have acted before failing.
/// - A failed connection is always retried (nothing was sent); a timeout or reset after sending is
///   retried only when safe.
/// - `jitter` is a sample in `[0, 1)`; the backoff used is `backoff * (0.5 + jitter / 2)`, so
///   retries spread out without ever collapsing to zero.
/// - No retry is scheduled past `max_attempts` or past the `max_elapsed` budget.
pub fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    elapsed: Duration,
    replay: Replay,
    outcome: Outcome,
    jitter: f64,
) -> RetryDecision {
    if attempt >= policy.max_attempts {
        return RetryDecision::Stop;
    }
    let jittered = || {
        let factor = 0.5 + jitter.clamp(0.0, 1.0) / 2.0;
        policy.backoff(attempt).mul_f64(factor)
    };
    let delay = match outcome {
        Outcome::Status { status: 429, retry_after } => {
            match (retry_after, policy.throttle_backoff) {
                (Some(wait), _) if wait > policy.max_retry_after => return RetryDecision::Stop,
                (Some(wait), _) => wait,
                (None, Some(throttle)) => throttle.delay(attempt, jitter),
                (None, None) => jittered(),
            }
        }
        Outcome::Status { status, retry_after } => {
            let transient = matches!(status, 408 | 502 | 503 | 504)
                || (status == 500 && policy.retry_internal_server_error);
            if !transient || replay == Replay::Unsafe {
                return RetryDecision::Stop;
            }
            match retry_after {
                Some(wait) if wait > policy.max_retry_after => return RetryDecision::Stop,
                Some(wait) => wait.max(jittered()),
                None => jittered(),
            }
        }
        Outcome::ConnectFailed => jittered(),
        Outcome::SendFailed if replay == Replay::Safe => jittered(),
        Outcome::SendFailed => return RetryDecision::Stop,
    };
    if let Some(budget) = policy.max_elapsed
        && elapsed.saturating_add(delay) > budget
    {
        return RetryDecision::Stop;
    }
    RetryDecision::RetryAfter(delay)
}

impl ThrottleBackoff {
    /// The wait before retry number `retry` (1-based).
    fn delay(self, retry: u32, jitter: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let base = self.floor.checked_mul(1u32 << exponent).unwrap_or(self.cap).min(self.cap);
        // ±25 % around the base, so clients throttled together spread out even at the cap.
        base.mul_f64(0.75 + jitter.clamp(0.0, 1.0) / 2.0).clamp(self.floor, self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }
    fn ms(m: u64) -> Duration {
        Duration::from_millis(m)
    }
    fn status(code: u16) -> Outcome {
        Outcome::Status { status: code, retry_after: None }
    }
    fn status_after(code: u16, wait: Duration) -> Outcome {
        Outcome::Status { status: code, retry_after: Some(wait) }
    }

    /// (policy, attempt, elapsed, replay, outcome, jitter, expected)
    type Case<'a> = (&'a RetryPolicy, u32, Duration, Replay, Outcome, f64, RetryDecision);

    fn assert_table(cases: Vec<Case<'_>>) {
        for (i, (policy, attempt, elapsed, replay, outcome, jitter, expected)) in
            cases.into_iter().enumerate()
        {
            assert_eq!(
                decide(policy, attempt, elapsed, replay, outcome, jitter),
                expected,
                "case {i}: attempt {attempt}, {replay:?}, {outcome:?}, jitter {jitter}"
            );
        }
    }

    #[test]
    fn decision_table() {
        use Replay::{Safe, Unsafe};
        use RetryDecision::{RetryAfter, Stop};
        let p = RetryPolicy::default();
        let ise = RetryPolicy::default().retry_internal_server_error(true);
        let cases: Vec<Case<'_>> = vec![
            // 429 honours Retry-After exactly, for any method.
            (&p, 1, secs(0), Unsafe, status_after(429, secs(7)), 0.0, RetryAfter(secs(7))),
            (&p, 1, secs(0), Safe, status_after(429, secs(0)), 0.9, RetryAfter(secs(0))),
            // 429 without Retry-After: jittered backoff, 500ms * (0.5 + j/2).
            (&p, 1, secs(0), Unsafe, status(429), 0.0, RetryAfter(ms(250))),
            (&p, 1, secs(0), Unsafe, status(429), 1.0, RetryAfter(ms(500))),
            (&p, 3, secs(0), Unsafe, status(429), 1.0, RetryAfter(ms(2000))),
            // A wait longer than max_retry_after stops instead of sleeping for an hour.
            (&p, 1, secs(0), Safe, status_after(429, secs(3600)), 0.5, Stop),
            // Gateway errors: only safe replays, Retry-After as a floor.
            (&p, 1, secs(0), Safe, status(503), 1.0, RetryAfter(ms(500))),
            (&p, 2, secs(0), Safe, status(502), 1.0, RetryAfter(ms(1000))),
            (&p, 1, secs(0), Safe, status(504), 0.0, RetryAfter(ms(250))),
            (&p, 1, secs(0), Safe, status(408), 0.0, RetryAfter(ms(250))),
            (&p, 1, secs(0), Safe, status_after(503, secs(4)), 0.0, RetryAfter(secs(4))),
            (&p, 1, secs(0), Unsafe, status(503), 0.0, Stop),
            (&p, 1, secs(0), Unsafe, status(504), 0.0, Stop),
            // 500 only when the policy says so, and only when safe.
            (&p, 1, secs(0), Safe, status(500), 0.0, Stop),
            (&ise, 1, secs(0), Safe, status(500), 1.0, RetryAfter(ms(500))),
            (&ise, 1, secs(0), Unsafe, status(500), 1.0, Stop),
            // Client errors are final.
            (&p, 1, secs(0), Safe, status(400), 0.0, Stop),
            (&p, 1, secs(0), Safe, status(401), 0.0, Stop),
            (&p, 1, secs(0), Safe, status(404), 0.0, Stop),
            (&p, 1, secs(0), Safe, status(412), 0.0, Stop),
            // Transport: connect failures always, send failures only when safe.
            (&p, 1, secs(0), Unsafe, Outcome::ConnectFailed, 1.0, RetryAfter(ms(500))),
            (&p, 1, secs(0), Safe, Outcome::SendFailed, 1.0, RetryAfter(ms(500))),
            (&p, 1, secs(0), Unsafe, Outcome::SendFailed, 1.0, Stop),
            // Attempt cap: the 5th attempt is the last.
            (&p, 4, secs(0), Safe, status(503), 1.0, RetryAfter(ms(4000))),
            (&p, 5, secs(0), Safe, status(503), 1.0, Stop),
            (&p, 5, secs(0), Safe, status_after(429, secs(1)), 1.0, Stop),
        ];
        assert_table(cases);
    }

    #[test]
    fn backoff_is_capped() {
        let p = RetryPolicy::default().max_attempts(100);
        assert_eq!(p.backoff(1), ms(500));
        assert_eq!(p.backoff(7), secs(30));
        assert_eq!(p.backoff(60), secs(30));
        assert_eq!(
            decide(&p, 40, secs(0), Replay::Safe, status(503), 1.0),
            RetryDecision::RetryAfter(secs(30))
        );
    }

    #[test]
    fn elapsed_budget_stops_retries() {
        let p = RetryPolicy::default().max_elapsed(Some(secs(10)));
        assert_eq!(
            decide(&p, 1, secs(9), Replay::Safe, status_after(429, secs(2)), 0.0),
            RetryDecision::Stop
        );
        assert_eq!(
            decide(&p, 1, secs(7), Replay::Safe, status_after(429, secs(2)), 0.0),
            RetryDecision::RetryAfter(secs(2))
        );
    }

    #[test]
    fn throttle_backoff_table() {
        use Replay::{Safe, Unsafe};
        use RetryDecision::{RetryAfter, Stop};
        let t = RetryPolicy::default().throttle_backoff(secs(15), secs(60));
        let budget = t.clone().max_elapsed(Some(secs(100)));
        let cases: Vec<Case<'_>> = vec![
            // First wait: 15 s * (0.75 + j/2), never below the 15 s floor.
            (&t, 1, secs(0), Unsafe, status(429), 0.0, RetryAfter(secs(15))),
            (&t, 1, secs(0), Unsafe, status(429), 0.5, RetryAfter(secs(15))),
            (&t, 1, secs(0), Safe, status(429), 1.0, RetryAfter(ms(18_750))),
            // Doubling: 30 s base, ±25 %.
            (&t, 2, secs(0), Unsafe, status(429), 0.0, RetryAfter(ms(22_500))),
            (&t, 2, secs(0), Unsafe, status(429), 1.0, RetryAfter(ms(37_500))),
            // At the cap: 60 s base, jitter only downwards, never above 60 s.
            (&t, 3, secs(0), Unsafe, status(429), 0.0, RetryAfter(secs(45))),
            (&t, 3, secs(0), Unsafe, status(429), 1.0, RetryAfter(secs(60))),
            (&t, 4, secs(0), Unsafe, status(429), 0.5, RetryAfter(secs(60))),
            // Retry-After still wins, shorter or longer than the throttle backoff.
            (&t, 1, secs(0), Unsafe, status_after(429, secs(2)), 1.0, RetryAfter(secs(2))),
            (&t, 1, secs(0), Unsafe, status_after(429, secs(90)), 1.0, RetryAfter(secs(90))),
            (&t, 1, secs(0), Unsafe, status_after(429, secs(3600)), 1.0, Stop),
            // Only 429s: gateway errors keep the ordinary backoff.
            (&t, 1, secs(0), Safe, status(503), 1.0, RetryAfter(ms(500))),
            // The attempt cap and the elapsed budget still apply.
            (&t, 5, secs(0), Unsafe, status(429), 0.0, Stop),
            (&budget, 2, secs(80), Unsafe, status(429), 0.0, Stop),
            (&budget, 2, secs(70), Unsafe, status(429), 0.0, RetryAfter(ms(22_500))),
        ];
        assert_table(cases);
        assert_eq!(t.throttle_backoff_value(), Some((secs(15), secs(60))));
        assert_eq!(RetryPolicy::default().throttle_backoff_value(), None);
        // A cap below the floor is raised to the floor.
        let inverted = RetryPolicy::default().throttle_backoff(secs(20), secs(5));
        assert_eq!(decide(&inverted, 3, secs(0), Unsafe, status(429), 1.0), RetryAfter(secs(20)));
    }

    #[test]
    fn never_policy_never_retries() {
        let p = RetryPolicy::never();
        assert_eq!(decide(&p, 1, secs(0), Replay::Safe, status(429), 0.0), RetryDecision::Stop);
        assert_eq!(RetryPolicy::default().max_attempts(0).max_attempts_value(), 1);
    }

    #[test]
    fn replay_follows_method_idempotency() {
        assert_eq!(Replay::for_method(&http::Method::GET), Replay::Safe);
        assert_eq!(Replay::for_method(&http::Method::DELETE), Replay::Safe);
        assert_eq!(Replay::for_method(&http::Method::PUT), Replay::Safe);
        assert_eq!(Replay::for_method(&http::Method::POST), Replay::Unsafe);
        assert_eq!(Replay::for_method(&http::Method::PATCH), Replay::Unsafe);
    }
}
