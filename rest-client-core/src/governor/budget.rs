//! The request budget of a sliding window, as one client sees it.
//!
//! A sliding window counts each request for one window after it arrived, so what frees budget
//! at any moment is exactly what was spent one window earlier. The client cannot see when the
//! server counted its requests, only when they started and ended: it holds each one for a
//! window after it ended (never shorter than the server does), and learns how many it may hold
//! from the server's count of requests left.

use std::collections::VecDeque;
use std::time::Duration;

/// The most finished attempts remembered while the server has not reported its budget (a
/// client that is never throttled by count keeps no history).
const UNBUDGETED_MEMORY: usize = 256;

/// One finished attempt: when it started and when it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spent {
    /// When the attempt started.
    pub started: Duration,
    /// When it ended (its answer, or its failure).
    pub ended: Duration,
}

/// How many requests this client may have in a window, and what it has spent in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestBudget {
    /// Requests this client may hold in a window: the most that the server's count of
    /// requests left plus this client's requests it surely counted came to. `None` until the
    /// server reports a count.
    pub allowance: Option<u64>,
    /// The attempts that ended less than a window ago, in the order they ended.
    pub spent: VecDeque<Spent>,
}

impl RequestBudget {
    /// Forget the attempts that ended a window or more before `now`.
    pub(super) fn forget_before(&mut self, now: Duration, window: Duration) {
        while self.spent.front().is_some_and(|spent| spent.ended + window <= now) {
            self.spent.pop_front();
        }
    }

    /// What is left with `in_flight` requests in flight (`None`: no budget known).
    pub(super) fn left(&self, in_flight: u32) -> Option<u64> {
        let held = u64::from(in_flight) + self.spent.len() as u64;
        self.allowance.map(|allowance| allowance.saturating_sub(held))
    }

    /// When the oldest attempt held leaves the window.
    pub(super) fn next_free(&self, window: Duration) -> Option<Duration> {
        self.spent.front().map(|spent| spent.ended + window)
    }

    /// Remember an attempt that ended.
    pub(super) fn spend(&mut self, spent: Spent) {
        self.spent.push_back(spent);
        let memory = self.allowance.map_or(UNBUDGETED_MEMORY, |allowance| {
            // Never more than the allowance is held; twice it bounds the memory whatever
            // happens (a 429 storm spends without asking).
            usize::try_from(allowance).unwrap_or(usize::MAX).saturating_mul(2).max(64)
        });
        while self.spent.len() > memory {
            self.spent.pop_front();
        }
    }

    /// The server reported `left` requests left in answer to an attempt that started at
    /// `started`: with the attempts of this client that it surely counted (this one, and
    /// those that started before it within the window), that is the client's share.
    pub(super) fn learn(&mut self, left: u64, started: Duration, now: Duration, window: Duration) {
        let horizon = now.saturating_sub(window);
        let counted = self
            .spent
            .iter()
            .filter(|spent| spent.started <= started && spent.started > horizon)
            .count() as u64;
        let share = left.saturating_add(counted + 1);
        self.allowance = Some(self.allowance.map_or(share, |allowance| allowance.max(share)));
    }

    /// A 429: the server's count is full with what this client holds (`in_flight` plus what
    /// it spent), or someone else spends the same budget.
    pub(super) fn cap_at(&mut self, in_flight: u32) {
        let held = u64::from(in_flight) + self.spent.len() as u64;
        if let Some(allowance) = &mut self.allowance {
            *allowance = (*allowance).min(held).max(1);
        }
    }
}
