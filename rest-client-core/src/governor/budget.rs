//! The request budget of a sliding window, as one client sees it.
//!
//! A sliding window counts each request for one window after it arrived, so what frees budget
//! at any moment is exactly what was spent one window earlier. The client cannot see when the
//! server counted its requests, only when they started and ended: it holds each one for a
//! window after half-way through it (when the server had it, at the latest), and learns how many it may hold
//! from the server's count of requests left, taking requests to reach the server in the order
//! they started (a request that overtakes an earlier one costs at most one 429, which lowers
//! the allowance to what the client holds).
//!
//! That is late by half of each request's duration: the server frees a request one window
//! after it arrived. Each answer's count of requests left tells what the server had
//! freed by then, so that count, less the requests started after the answered one, is a second
//! bound (the [credit](RequestBudget::credit)); the budget left is the larger of the two.

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

impl Spent {
    /// When the server counted it, at the latest: half-way through the attempt. A request
    /// reaches the server before its answer has come back the same way and been worked out,
    /// so the server frees it a window after this, or sooner; holding it until a window after
    /// its end would leave budget idle for as long as the request took.
    pub fn counted(&self) -> Duration {
        self.started + self.ended.saturating_sub(self.started) / 2
    }
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
    /// When each attempt in flight started, in the order they started.
    pub flying: VecDeque<Duration>,
    /// Requests the server's latest count of requests left still allows: that count less the
    /// attempts it may not have counted (in flight, or ended after the answered one started),
    /// less the attempts started since. `None` until the server reports a count.
    pub credit: Option<u64>,
}

impl RequestBudget {
    /// Forget the attempts that ended a window or more before `now`.
    pub(super) fn forget_before(&mut self, now: Duration, window: Duration) {
        // Saturating: a window of `Duration::MAX` (never forget) must not overflow into a panic.
        while self.spent.front().is_some_and(|spent| spent.counted().saturating_add(window) <= now)
        {
            self.spent.pop_front();
        }
    }

    /// What is left (`None`: no budget known): the larger of what the allowance leaves and
    /// the credit.
    pub(super) fn left(&self) -> Option<u64> {
        let held = self.flying.len() as u64 + self.spent.len() as u64;
        let by_allowance = self.allowance.map(|allowance| allowance.saturating_sub(held))?;
        Some(self.credit.map_or(by_allowance, |credit| credit.max(by_allowance)))
    }

    /// An attempt starts at `now`: it is in flight, and spends one of the credit.
    pub(super) fn take(&mut self, now: Duration) {
        self.flying.push_back(now);
        if let Some(credit) = &mut self.credit {
            *credit = credit.saturating_sub(1);
        }
    }

    /// The attempt that started at `started` is no longer in flight.
    pub(super) fn land(&mut self, started: Duration) {
        if let Some(at) = self.flying.iter().position(|flying| *flying == started) {
            self.flying.remove(at);
        } else {
            // Not admitted by `start` (a caller's own bookkeeping): the oldest goes.
            self.flying.pop_front();
        }
    }

    /// When the oldest attempt held leaves the window.
    pub(super) fn next_free(&self, window: Duration) -> Option<Duration> {
        self.spent.front().map(|spent| spent.counted().saturating_add(window))
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
    /// `started` (no longer in flight, not yet spent). The attempts of this client that started
    /// before it within the window reached the server before it and were counted: with them
    /// and this one, that is the client's share. Less the attempts that started after it (they
    /// may not have been counted yet), it is also what may start now.
    pub(super) fn learn(&mut self, left: u64, started: Duration, now: Duration, window: Duration) {
        // Before a whole window has passed, everything counts.
        let horizon = now.checked_sub(window);
        let starts =
            || self.spent.iter().map(|spent| spent.started).chain(self.flying.iter().copied());
        let counted = starts()
            .filter(|at| *at <= started && horizon.is_none_or(|horizon| *at > horizon))
            .count() as u64;
        let later = starts().filter(|at| *at > started).count() as u64;
        let share = left.saturating_add(counted + 1);
        self.allowance = Some(self.allowance.map_or(share, |allowance| allowance.max(share)));
        self.credit = Some(left.saturating_sub(later));
    }

    /// A 429: the server's count is full with what this client holds (in flight, and what it
    /// spent), or someone else spends the same budget.
    pub(super) fn cap(&mut self) {
        let held = self.flying.len() as u64 + self.spent.len() as u64;
        if let Some(allowance) = &mut self.allowance {
            *allowance = (*allowance).min(held).max(1);
        }
        self.credit = self.credit.map(|_| 0);
    }
}
