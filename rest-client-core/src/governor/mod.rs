//! The throughput governor's decisions, as pure functions.
//!
//! A service with per-user protection limits (Dataverse's: requests and execution time per
//! 5-minute sliding window, and concurrent requests) is a budget to spend, not an error to
//! retry. The client keeps one [`GovernorState`] per budget (shared by every clone and task),
//! asks [`start`] before each attempt whether it may go now or how long to wait, and after each
//! attempt describes what its response said as an [`Observation`] and asks [`govern`] for the
//! next state:
//!
//! - the server's recommended degree of parallelism (`x-ms-dop-hint`) sets the concurrency the
//!   first time it is seen; nothing ever exceeds [`GovernorLimits::max_concurrency`] (52,
//!   Dataverse's documented concurrent-request limit);
//! - the request budget is spent as the sliding window gives it back: the server's count of
//!   requests left (`x-ms-ratelimit-burst-remaining-xrm-requests`) plus the client's own
//!   requests it counted tell how many it may have in a window (its
//!   [allowance](RequestBudget::allowance)); once that many are in flight or counted within the
//!   last [window](GovernorLimits::window), the next request starts when the oldest of them
//!   leaves the window, or when an answer's count says the server has freed one, not before
//!   (and not a rounded-up second later). A sliding window frees exactly what was spent one
//!   window earlier, so the budget is spent at the rate it comes back, without a 429;
//! - a 429 pauses every request of the budget for its `Retry-After` (not only the one that got
//!   it), lowers the concurrency by a quarter and the allowance to what the client holds;
//! - while every place is taken, successes raise the concurrency: by two each until the first
//!   429 (it triples each round trip, so a window's budget is spent in a burst and not over a
//!   slow climb: the concurrent-request limit is documented and the budgets are watched, so
//!   there is nothing to probe for), then by one per [`GovernorLimits::climb_after`] successes
//!   in a row, up to the maximum;
//! - when the execution time left (`x-ms-ratelimit-time-remaining-xrm-requests`) falls below a
//!   share of the most seen, the concurrency shrinks in proportion.
//!
//! See Microsoft Learn, "Service protection API limits"
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/api-limits>) and "Send
//! parallel requests"
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/send-parallel-requests>).

mod budget;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use budget::{RequestBudget, Spent};

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
/// assert_eq!(limits.window_value(), Duration::from_secs(300));
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

    /// After the first 429, successes in a row (with every place taken) that add one to the
    /// concurrency (default 8).
    #[must_use]
    pub fn climb_after(mut self, successes: u32) -> Self {
        self.climb_after = successes.max(1);
        self
    }

    /// Below this share of the most execution time left seen, the concurrency shrinks in
    /// proportion (default 0.2; 0 turns it off).
    #[must_use]
    pub fn slow_below(mut self, share: f64) -> Self {
        self.slow_below = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
        self
    }

    /// The service's sliding window (default 300 s, Dataverse's): a request counts against the
    /// budget for this long. Set it to the window of the service you talk to (a sandbox with
    /// scaled limits has a shorter one): a longer one than the service's leaves budget unspent,
    /// a shorter one earns 429s.
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window.max(Duration::from_millis(1));
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

    /// See [`window`](Self::window).
    pub fn window_value(&self) -> Duration {
        self.window
    }

    /// The state to start from.
    pub fn start(&self) -> GovernorState {
        GovernorState {
            concurrency: self.initial_concurrency.min(self.max_concurrency),
            ceiling: self.max_concurrency,
            hinted: false,
            throttled: false,
            streak: 0,
            paused_until: None,
            in_flight: 0,
            budget: RequestBudget::default(),
            peak_time: Duration::ZERO,
        }
    }
}

/// Where the governor stands. Times are offsets from a clock of the caller's choosing (the
/// client uses the time since the governor was created).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GovernorState {
    /// Requests allowed in flight at once.
    pub concurrency: u32,
    /// What the concurrency climbs to: [`GovernorLimits::max_concurrency`].
    pub ceiling: u32,
    /// Whether the server's hint was seen (it sets the concurrency once).
    pub hinted: bool,
    /// Whether a 429 was seen (until then the concurrency climbs by one per success).
    pub throttled: bool,
    /// Successes since the concurrency last changed.
    pub streak: u32,
    /// No request may start before this time.
    pub paused_until: Option<Duration>,
    /// Requests started and not yet finished.
    pub in_flight: u32,
    /// The request budget of the sliding window.
    pub budget: RequestBudget,
    /// The most remaining execution time seen.
    pub peak_time: Duration,
}

impl Default for GovernorState {
    /// The start of [`GovernorLimits::default`].
    fn default() -> Self {
        GovernorLimits::default().start()
    }
}

impl GovernorState {
    /// How long a request starting at `now` must wait for the pause to end (zero when not
    /// paused).
    pub fn wait_at(&self, now: Duration) -> Duration {
        self.paused_until.map_or(Duration::ZERO, |until| until.saturating_sub(now))
    }

    /// Requests this client may still start in the current window (`None` until the server
    /// reports its budget).
    pub fn budget_left(&self) -> Option<u64> {
        self.budget.left()
    }
}

/// Whether a request may start ([`start`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Admission {
    /// Now: the state counts it in flight.
    Now,
    /// Not before this long (the pause ends, or budget leaves the window); ask again then, or
    /// sooner when an attempt finishes.
    Wait(Duration),
    /// When an attempt in flight finishes.
    WaitForAnswer,
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

/// May a request start at `now`? With [`Admission::Now`] the returned state counts it in
/// flight; report how it ended to [`govern`].
///
/// ```
/// use std::time::Duration;
/// use rest_client_core::governor::{Admission, GovernorLimits, start};
///
/// let limits = GovernorLimits::default().initial_concurrency(1);
/// let (state, first) = start(&limits, limits.start(), Duration::ZERO);
/// assert_eq!((first, state.in_flight), (Admission::Now, 1));
/// let (_, second) = start(&limits, state, Duration::ZERO);
/// assert_eq!(second, Admission::WaitForAnswer, "one in flight at a time");
/// ```
pub fn start(
    limits: &GovernorLimits,
    mut state: GovernorState,
    now: Duration,
) -> (GovernorState, Admission) {
    if state.paused_until.is_some_and(|until| until <= now) {
        state.paused_until = None;
    }
    state.budget.forget_before(now, limits.window);
    if let Some(until) = state.paused_until {
        return (state, Admission::Wait(until - now));
    }
    if state.in_flight >= state.concurrency {
        return (state, Admission::WaitForAnswer);
    }
    if state.budget.left() == Some(0) {
        let admission = match state.budget.next_free(limits.window) {
            Some(free) => Admission::Wait(free.saturating_sub(now)),
            None => Admission::WaitForAnswer,
        };
        return (state, admission);
    }
    state.in_flight += 1;
    state.budget.take(now);
    (state, Admission::Now)
}

/// The next state after an attempt that started at `started` (as [`start`] admitted it)
/// ended at `now` with `observation`.
///
/// ```
/// use std::time::Duration;
/// use rest_client_core::governor::{GovernorLimits, Observation, govern, start};
///
/// let limits = GovernorLimits::default();
/// let (state, _) = start(&limits, limits.start(), Duration::ZERO);
/// let hinted = govern(&limits, state, Duration::ZERO, Observation::Answered {
///     dop_hint: Some(10), remaining_requests: Some(5_999), remaining_time: None,
/// }, Duration::ZERO);
/// assert_eq!((hinted.concurrency, hinted.budget.allowance), (10, Some(6_000)));
/// let (state, _) = start(&limits, hinted, Duration::from_secs(1));
/// let throttled = govern(&limits, state, Duration::from_secs(1), Observation::Throttled {
///     retry_after: Some(Duration::from_secs(3)),
/// }, Duration::from_secs(1));
/// assert_eq!((throttled.concurrency, throttled.paused_until), (8, Some(Duration::from_secs(4))));
/// ```
pub fn govern(
    limits: &GovernorLimits,
    state: GovernorState,
    started: Duration,
    observation: Observation,
    now: Duration,
) -> GovernorState {
    // Every place was taken when this attempt ended.
    let saturated = state.in_flight >= state.concurrency;
    let mut next = state;
    next.in_flight = next.in_flight.saturating_sub(1);
    next.budget.land(started);
    next.budget.forget_before(now, limits.window);
    if next.paused_until.is_some_and(|until| until <= now) {
        next.paused_until = None;
    }
    match observation {
        Observation::NoAnswer => {}
        Observation::Throttled { retry_after } => {
            let pause = retry_after.unwrap_or(limits.default_pause).min(limits.max_pause);
            // A caller's clock or `pauses(_, Duration::MAX)` must not overflow into a panic.
            let until = now.saturating_add(pause);
            // Many requests in flight get their 429 together: the first one lowers, the others
            // (answered while the pause it set still runs) only extend the pause.
            if next.paused_until.is_none() {
                // A quarter less: under a rate budget the pause does the work, and halving would
                // leave the window's budget unspent after it.
                // Saturating: the state's fields are public, a caller may hand in a zero.
                let cut = (next.concurrency / 4).max(1).min(next.concurrency.saturating_sub(1));
                next.concurrency = next.concurrency.saturating_sub(cut).max(1);
                // The server's count is full at what this client holds (or someone else shares
                // the budget): no more than that until the server says otherwise.
                next.budget.cap();
            }
            next.throttled = true;
            next.paused_until = Some(next.paused_until.map_or(until, |current| current.max(until)));
            next.streak = 0;
        }
        Observation::Answered { dop_hint, remaining_requests, remaining_time } => {
            // The server's hint is where the concurrency starts, the first time it is seen.
            let first_hint = dop_hint.filter(|hint| *hint > 0 && !next.hinted);
            if let Some(hint) = first_hint {
                next.hinted = true;
                next.concurrency = hint.min(next.ceiling);
                next.streak = 0;
            }
            // Climb only when every place was taken (a caller that sends three at a time
            // gives no reason to allow more): by two per success until the first 429 (the
            // concurrency triples each round trip, so a burst of budget is spent at once),
            // then by one per `climb_after` successes in a row.
            next.streak = next.streak.saturating_add(1);
            let climb_after = if next.throttled { limits.climb_after } else { 1 };
            if saturated
                && first_hint.is_none()
                && next.streak >= climb_after
                && next.concurrency < next.ceiling
            {
                next.concurrency =
                    next.concurrency.saturating_add(if next.throttled { 1 } else { 2 });
                next.streak = 0;
            }
            next.concurrency = next.concurrency.min(next.ceiling).max(1);
            if let Some(left) = remaining_requests {
                next.budget.learn(left, started, now, limits.window);
            }
            // Slow down before the window's execution time runs out: in proportion to what
            // is left.
            if let Some(left) = remaining_time {
                next.peak_time = next.peak_time.max(left);
                let threshold = next.peak_time.as_secs_f64() * limits.slow_below;
                let cap = if left.as_secs_f64() < threshold {
                    share(next.ceiling, left.as_secs_f64() / threshold)
                } else {
                    next.ceiling
                };
                if next.concurrency > cap {
                    next.concurrency = cap;
                    next.streak = 0;
                }
            }
        }
    }
    // Whatever the answer, the attempt may have counted: it holds its place in the window.
    next.budget.spend(Spent { started, ended: now });
    next
}

/// `ratio` of `ceiling`, at least 1.
fn share(ceiling: u32, ratio: f64) -> u32 {
    let value = (f64::from(ceiling) * ratio.clamp(0.0, 1.0)).floor();
    // Bounded by `ceiling` (a u32) and non-negative.
    (value as u32).max(1)
}
