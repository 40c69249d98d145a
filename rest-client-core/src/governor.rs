//! The throughput governor's decisions, as a pure function.
//!
//! A service with per-user protection limits (Dataverse's: requests and execution time per
//! 5-minute sliding window, and concurrent requests) is a budget to spend, not an error to
//! retry. The client keeps one [`GovernorState`] per budget (shared by every clone and task),
//! lets at most [`GovernorState::concurrency`] requests run at once and none while
//! [paused](GovernorState::paused_until), and after each response describes what happened as
//! an [`Observation`] and asks [`govern`] for the next state:
//!
//! - the server's recommended degree of parallelism (`x-ms-dop-hint`) sets the concurrency the
//!   first time it is seen, and is the ceiling it climbs back to; nothing ever exceeds
//!   [`GovernorLimits::max_concurrency`] (52, Dataverse's documented concurrent-request limit);
//! - a 429 pauses every request of the budget for its `Retry-After` (not only the one that got
//!   it) and lowers the concurrency by a quarter;
//! - each [`GovernorLimits::climb_after`] successes in a row add one to the concurrency, back up
//!   to the ceiling;
//! - when the requests left in the window (`x-ms-ratelimit-burst-remaining-xrm-requests`) fall
//!   below a share of the most seen (the window's whole budget), request starts are spaced at
//!   about the rate the sliding window frees budget ([`GovernorLimits::window`] divided by the
//!   budget), slower when only the last 2% are left, so what is left settles instead of running
//!   out; when the execution time left
//!   (`x-ms-ratelimit-time-remaining-xrm-requests`) falls below the same share, the concurrency
//!   shrinks in proportion.
//!
//! See Microsoft Learn, "Service protection API limits"
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/api-limits>) and "Send
//! parallel requests"
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/send-parallel-requests>).

use std::time::Duration;

/// Dataverse's documented limit of concurrent requests per user.
pub const DATAVERSE_MAX_CONCURRENCY: u32 = 52;

/// What the governor may do.
///
/// ```
/// use std::time::Duration;
/// use rest_client_core::governor::GovernorLimits;
///
/// let limits = GovernorLimits::default().max_concurrency(16).initial_concurrency(4);
/// assert_eq!(limits.max_concurrency_value(), 16);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GovernorLimits {
    max_concurrency: u32,
    initial_concurrency: u32,
    climb_after: u32,
    slow_below: f64,
    window: Duration,
    default_pause: Duration,
    max_pause: Duration,
}

impl Default for GovernorLimits {
    fn default() -> Self {
        Self {
            max_concurrency: DATAVERSE_MAX_CONCURRENCY,
            initial_concurrency: 4,
            climb_after: 8,
            slow_below: 0.2,
            window: Duration::from_secs(300),
            default_pause: Duration::from_secs(5),
            max_pause: Duration::from_secs(300),
        }
    }
}

impl GovernorLimits {
    /// The most requests in flight at once, whatever the server hints (at least 1; default
    /// 52).
    #[must_use]
    pub fn max_concurrency(mut self, value: u32) -> Self {
        self.max_concurrency = value.max(1);
        self
    }

    /// The concurrency until the server sends `x-ms-dop-hint` (default 4).
    #[must_use]
    pub fn initial_concurrency(mut self, value: u32) -> Self {
        self.initial_concurrency = value.max(1);
        self
    }

    /// Successes in a row that add one to the concurrency (default 8).
    #[must_use]
    pub fn climb_after(mut self, successes: u32) -> Self {
        self.climb_after = successes.max(1);
        self
    }

    /// Below this share of the most remaining budget seen (requests, or execution time), the
    /// concurrency shrinks in proportion (default 0.2; 0 turns it off).
    #[must_use]
    pub fn slow_below(mut self, share: f64) -> Self {
        self.slow_below = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
        self
    }

    /// The service's sliding window (default 300 s, Dataverse's): with the budget it frees,
    /// the spacing of request starts once the budget runs low.
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The pause after a 429 without `Retry-After` (default 5 s), and the longest pause
    /// whatever `Retry-After` says (default 300 s).
    #[must_use]
    pub fn pauses(mut self, default: Duration, max: Duration) -> Self {
        self.default_pause = default;
        self.max_pause = max.max(default);
        self
    }

    /// See [`max_concurrency`](Self::max_concurrency).
    pub fn max_concurrency_value(&self) -> u32 {
        self.max_concurrency
    }

    /// The state to start from.
    pub fn start(&self) -> GovernorState {
        GovernorState {
            concurrency: self.initial_concurrency.min(self.max_concurrency),
            ceiling: self.max_concurrency,
            hinted: false,
            streak: 0,
            paused_until: None,
            peak_requests: 0,
            peak_time: Duration::ZERO,
            spacing: Duration::ZERO,
        }
    }
}

/// Where the governor stands. Times are offsets from a clock of the caller's choosing (the
/// client uses the time since the governor was created).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GovernorState {
    /// Requests allowed in flight at once.
    pub concurrency: u32,
    /// What the concurrency climbs back to: the server's hint, else the maximum.
    pub ceiling: u32,
    /// Whether the server's hint was seen (it sets the concurrency once).
    pub hinted: bool,
    /// Successes since the concurrency last changed.
    pub streak: u32,
    /// No request may start before this time.
    pub paused_until: Option<Duration>,
    /// The most remaining requests seen: the window's budget.
    pub peak_requests: u64,
    /// The most remaining execution time seen.
    pub peak_time: Duration,
    /// The least time between two request starts (zero: none).
    pub spacing: Duration,
}

impl GovernorState {
    /// How long a request starting at `now` must wait (zero when not paused).
    pub fn wait_at(&self, now: Duration) -> Duration {
        self.paused_until.map_or(Duration::ZERO, |until| until.saturating_sub(now))
    }
}

/// What one response said about the budget.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Observation {
    /// A response that was not a throttle, with the budget headers it carried.
    Answered {
        /// `x-ms-dop-hint`.
        dop_hint: Option<u32>,
        /// `x-ms-ratelimit-burst-remaining-xrm-requests`.
        remaining_requests: Option<u64>,
        /// `x-ms-ratelimit-time-remaining-xrm-requests`.
        remaining_time: Option<Duration>,
    },
    /// A 429, with its `Retry-After`.
    Throttled {
        /// How long the server asked to wait.
        retry_after: Option<Duration>,
    },
    /// No response (a connection failure or a timeout): says nothing about the budget.
    NoAnswer,
}

impl Observation {
    /// A plain success without budget headers.
    pub const OK: Observation =
        Observation::Answered { dop_hint: None, remaining_requests: None, remaining_time: None };
}

/// The next state after `observation` at `now`.
///
/// ```
/// use std::time::Duration;
/// use rest_client_core::governor::{GovernorLimits, Observation, govern};
///
/// let limits = GovernorLimits::default();
/// let hinted = govern(&limits, limits.start(), Observation::Answered {
///     dop_hint: Some(10), remaining_requests: None, remaining_time: None,
/// }, Duration::ZERO);
/// assert_eq!(hinted.concurrency, 10);
/// let throttled = govern(&limits, hinted, Observation::Throttled {
///     retry_after: Some(Duration::from_secs(3)),
/// }, Duration::from_secs(1));
/// assert_eq!((throttled.concurrency, throttled.paused_until), (8, Some(Duration::from_secs(4))));
/// ```
pub fn govern(
    limits: &GovernorLimits,
    state: GovernorState,
    observation: Observation,
    now: Duration,
) -> GovernorState {
    let mut next = state;
    if next.paused_until.is_some_and(|until| until <= now) {
        next.paused_until = None;
    }
    match observation {
        Observation::NoAnswer => {}
        Observation::Throttled { retry_after } => {
            let pause = retry_after.unwrap_or(limits.default_pause).min(limits.max_pause);
            let until = now + pause;
            // Many requests in flight get their 429 together: the first one halves, the others
            // (answered while the pause it set still runs) only extend the pause.
            if state.paused_until.is_none_or(|current| current <= now) {
                // A quarter less: under a rate budget the pause does the work, and halving would
                // leave the window's budget unspent after it.
                next.concurrency =
                    state.concurrency - (state.concurrency / 4).max(1).min(state.concurrency - 1);
            }
            next.paused_until = Some(next.paused_until.map_or(until, |current| current.max(until)));
            next.streak = 0;
        }
        Observation::Answered { dop_hint, remaining_requests, remaining_time } => {
            if let Some(hint) = dop_hint.filter(|hint| *hint > 0) {
                next.ceiling = hint.min(limits.max_concurrency);
                if !state.hinted {
                    next.hinted = true;
                    next.concurrency = next.ceiling;
                    next.streak = 0;
                }
            }
            next.streak = next.streak.saturating_add(1);
            if next.streak >= limits.climb_after && next.concurrency < next.ceiling {
                next.concurrency += 1;
                next.streak = 0;
            }
            next.concurrency = next.concurrency.min(next.ceiling).max(1);
            // Slow down before the window's budget runs out: in proportion to what is left.
            let mut cap = next.ceiling;
            if let Some(left) = remaining_requests {
                next.peak_requests = next.peak_requests.max(left);
                let threshold = next.peak_requests as f64 * limits.slow_below;
                next.spacing = if (left as f64) < threshold && next.peak_requests > 0 {
                    // The window frees its budget at about one request per window / budget:
                    // start at that rate with `threshold` left, slower with less, so what is
                    // left settles near the threshold instead of running out.
                    let refill = limits.window.div_f64(next.peak_requests as f64);
                    // Below a last few requests (2% of the budget), slower still.
                    let knee = (next.peak_requests as f64 * 0.02).max(1.0);
                    refill.mul_f64((knee / (left.max(1) as f64)).max(1.0))
                } else {
                    Duration::ZERO
                };
            }
            if let Some(left) = remaining_time {
                next.peak_time = next.peak_time.max(left);
                let threshold = next.peak_time.as_secs_f64() * limits.slow_below;
                if left.as_secs_f64() < threshold {
                    cap = cap.min(share(next.ceiling, left.as_secs_f64() / threshold));
                }
            }
            if next.concurrency > cap {
                next.concurrency = cap;
                next.streak = 0;
            }
        }
    }
    next
}

/// `ratio` of `ceiling`, at least 1.
fn share(ceiling: u32, ratio: f64) -> u32 {
    let value = (f64::from(ceiling) * ratio.clamp(0.0, 1.0)).floor();
    // Bounded by `ceiling` (a u32) and non-negative.
    (value as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(
        dop_hint: Option<u32>,
        remaining_requests: Option<u64>,
        remaining_time: Option<u64>,
    ) -> Observation {
        Observation::Answered {
            dop_hint,
            remaining_requests,
            remaining_time: remaining_time.map(Duration::from_secs),
        }
    }

    fn throttled(seconds: Option<u64>) -> Observation {
        Observation::Throttled { retry_after: seconds.map(Duration::from_secs) }
    }

    fn state(
        concurrency: u32,
        ceiling: u32,
        streak: u32,
        paused_until: Option<u64>,
    ) -> GovernorState {
        GovernorState {
            concurrency,
            ceiling,
            hinted: true,
            streak,
            paused_until: paused_until.map(Duration::from_secs),
            peak_requests: 6000,
            peak_time: Duration::from_secs(1200),
            spacing: Duration::ZERO,
        }
    }

    #[test]
    fn decisions() {
        let limits = GovernorLimits::default();
        let s = Duration::from_secs;
        #[rustfmt::skip]
        let table: Vec<(&str, GovernorState, Observation, u64, GovernorState)> = vec![
            ("the first hint sets the concurrency",
                limits.start(), answered(Some(12), None, None), 0,
                GovernorState { concurrency: 12, ceiling: 12, hinted: true, streak: 1, paused_until: None, peak_requests: 0, peak_time: Duration::ZERO, spacing: Duration::ZERO }),
            ("a hint above 52 is held to 52",
                limits.start(), answered(Some(200), None, None), 0,
                GovernorState { concurrency: 52, ceiling: 52, hinted: true, streak: 1, paused_until: None, peak_requests: 0, peak_time: Duration::ZERO, spacing: Duration::ZERO }),
            ("a hint of 0 is ignored",
                limits.start(), answered(Some(0), None, None), 0,
                GovernorState { concurrency: 4, ceiling: 52, hinted: false, streak: 1, paused_until: None, peak_requests: 0, peak_time: Duration::ZERO, spacing: Duration::ZERO }),
            ("a later hint moves the ceiling, not the concurrency",
                state(3, 12, 0, None), answered(Some(20), None, None), 0,
                state(3, 20, 1, None)),
            ("a lower later hint pulls the concurrency down",
                state(12, 12, 0, None), answered(Some(6), None, None), 0,
                state(6, 6, 1, None)),
            ("successes climb by one every 8",
                state(6, 12, 7, None), Observation::OK, 0,
                state(7, 12, 0, None)),
            ("never above the ceiling",
                state(12, 12, 7, None), Observation::OK, 0,
                state(12, 12, 8, None)),
            ("a 429 lowers by a quarter and pauses for Retry-After",
                state(12, 12, 5, None), throttled(Some(7)), 10,
                state(9, 12, 0, Some(17))),
            ("a 429 without Retry-After pauses 5 s",
                state(12, 12, 5, None), throttled(None), 10,
                state(9, 12, 0, Some(15))),
            ("Retry-After is held to 300 s",
                state(12, 12, 5, None), throttled(Some(3600)), 0,
                state(9, 12, 0, Some(300))),
            ("429s of the same burst extend the pause without lowering again",
                state(6, 12, 0, Some(17)), throttled(Some(9)), 11,
                state(6, 12, 0, Some(20))),
            ("a 429 after the pause lowers again",
                state(6, 12, 0, Some(17)), throttled(Some(2)), 18,
                state(5, 12, 0, Some(20))),
            ("never below one",
                state(1, 12, 0, None), throttled(Some(1)), 0,
                state(1, 12, 0, Some(1))),
            ("an answer after the pause clears it",
                state(6, 12, 0, Some(17)), Observation::OK, 18,
                state(6, 12, 1, None)),
            ("a connection failure changes nothing",
                state(6, 12, 3, None), Observation::NoAnswer, 0,
                state(6, 12, 3, None)),
            ("few requests left (of the most seen) space the starts at the refill rate",
                state(12, 12, 3, None), answered(None, Some(600), None), 0,
                GovernorState { spacing: Duration::from_millis(50), ..state(12, 12, 4, None) }),
            ("little execution time left shrinks it too",
                state(12, 12, 3, None), answered(None, Some(5_000), Some(60)), 0,
                state(3, 12, 0, None)),
            ("enough left again: no spacing",
                GovernorState { spacing: Duration::from_millis(50), ..state(12, 12, 3, None) },
                answered(None, Some(1_300), None), 0,
                state(12, 12, 4, None)),
            ("a full budget does not hold it back",
                state(12, 12, 3, None), answered(None, Some(5_999), Some(1_199)), 0,
                state(12, 12, 4, None)),
        ];
        // The peaks are the most seen: a first answer learns the budget, a scaled one too.
        let first = govern(&limits, limits.start(), answered(None, Some(99), Some(20)), s(0));
        assert_eq!((first.peak_requests, first.peak_time), (99, s(20)));
        let low = govern(&limits, first, answered(None, Some(1), None), s(1));
        // 1 left, under the knee (2% of 99 = 1.98): 1.98 times the refill interval.
        let refill = s(300).div_f64(99.0);
        assert_eq!(low.peak_requests, 99);
        assert!((low.spacing.as_secs_f64() - refill.as_secs_f64() * 1.98).abs() < 1e-6, "{low:?}");
        let scaled = limits.clone().window(s(5));
        let low = govern(&scaled, first, answered(None, Some(10), None), s(1));
        assert_eq!(low.spacing, s(5).div_f64(99.0), "10 of 99 left: the refill rate");
        for (name, before, observation, now, expected) in table {
            assert_eq!(govern(&limits, before, observation, s(now)), expected, "{name}");
        }
    }

    #[test]
    fn slowing_can_be_turned_off_and_limits_apply() {
        let limits = GovernorLimits::default()
            .slow_below(0.0)
            .max_concurrency(8)
            .initial_concurrency(100)
            .climb_after(1)
            .pauses(Duration::from_secs(1), Duration::from_millis(10));
        let start = limits.start();
        assert_eq!((start.concurrency, start.ceiling), (8, 8));
        let low = govern(&limits, start, answered(None, Some(0), Some(0)), Duration::ZERO);
        assert_eq!(low.concurrency, 8, "slowing is off");
        let paused = govern(&limits, low, throttled(None), Duration::ZERO);
        assert_eq!(paused.paused_until, Some(Duration::from_secs(1)), "max below default: default");
        assert_eq!(paused.wait_at(Duration::from_millis(400)), Duration::from_millis(600));
        assert_eq!(paused.wait_at(Duration::from_secs(2)), Duration::ZERO);
        let climbing = govern(&limits, state(2, 8, 0, None), Observation::OK, Duration::ZERO);
        assert_eq!(climbing.concurrency, 3, "climb_after(1)");
    }
}
