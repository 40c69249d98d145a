//! Fault injection: throttling, server errors, dropped connections and latency, per service.
//!
//! What each fault looks like on the wire is the service's own shape, produced by the emulator
//! (Dataverse: 429 + `Retry-After` seconds + `0x80072322`, per
//! <https://learn.microsoft.com/power-apps/developer/data-platform/api-limits>; Ironclad: 429
//! `TOO_MANY_REQUESTS` without a `Retry-After`, per
//! <https://developer.ironcladapp.com/reference/clm-api-rate-limits>). A dropped connection is closed by the server after reading the request and
//! before writing any response byte.
//!
//! Two modes, usable together:
//! - **rates** (`set_throttle_rate`, …): each API request rolls a seeded RNG, so a run with the
//!   same seed and the same request order injects the same faults;
//! - **scripts** (`fail_next`, `fail_next_matching`): exactly the next N matching requests get
//!   a fault, which is what reproducible tests want. Scripts are checked before rates.
//!
//! Faults apply to API routes only (`/api/data/…`, `/public/api/…`), never to the token
//! endpoints or the workflow UI page.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::Method;

/// Which emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Service {
    /// The Dataverse Web API emulator.
    Dataverse,
    /// The Ironclad Public API emulator.
    Ironclad,
}

impl Service {
    /// Whether `path` is one of this service's API routes (the ones faults apply to).
    pub(crate) fn is_api_path(self, path: &str) -> bool {
        match self {
            Service::Dataverse => path.starts_with("/api/data/"),
            Service::Ironclad => path.starts_with("/public/api/"),
        }
    }
}

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 in the service's throttling shape.
    Throttle,
    /// A 5xx in the service's error shape (status from [`FaultSettings::server_error_status`]).
    ServerError,
    /// Close the connection without a response.
    DropConnection,
}

/// The rate-based knobs of one service. Rates are probabilities in `0.0..=1.0`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FaultSettings {
    /// Probability that a request is answered with a 429.
    pub throttle_rate: f64,
    /// Probability that a request is answered with a 5xx.
    pub server_error_rate: f64,
    /// Probability that the connection is closed without a response.
    pub drop_rate: f64,
    /// Added to every API request before it is handled.
    pub latency: Duration,
    /// The `Retry-After` a Dataverse 429 carries (whole seconds on the wire, rounded up).
    pub retry_after: Duration,
    /// The status of an injected server error (500, 502, 503 or 504).
    pub server_error_status: u16,
}

impl Default for FaultSettings {
    fn default() -> Self {
        Self {
            throttle_rate: 0.0,
            server_error_rate: 0.0,
            drop_rate: 0.0,
            latency: Duration::ZERO,
            retry_after: Duration::from_secs(1),
            server_error_status: 503,
        }
    }
}

#[derive(Debug)]
struct ScriptedFault {
    fault: Fault,
    remaining: u32,
    method: Option<Method>,
    path_contains: Option<String>,
}

impl ScriptedFault {
    fn matches(&self, method: &Method, path: &str) -> bool {
        self.remaining > 0
            && self.method.as_ref().is_none_or(|m| m == method)
            && self.path_contains.as_deref().is_none_or(|p| path.contains(p))
    }
}

#[derive(Debug)]
struct FaultState {
    settings: FaultSettings,
    scripts: VecDeque<ScriptedFault>,
    rng: fastrand::Rng,
}

/// The fault knobs of one service; cheap to clone, changeable while the sandbox runs.
///
/// ```
/// # async fn demo(sandbox: &dataverse_ironclad_sandbox::Sandbox) {
/// use dataverse_ironclad_sandbox::{Fault, Service};
/// let faults = sandbox.faults(Service::Dataverse);
/// faults.fail_next(2, Fault::Throttle); // the next two API requests get a 429
/// faults.set_server_error_rate(0.1); // then one in ten gets a 503
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Faults {
    state: Arc<Mutex<FaultState>>,
}

impl Faults {
    pub(crate) fn new(settings: FaultSettings, seed: u64) -> Self {
        let state =
            FaultState { settings, scripts: VecDeque::new(), rng: fastrand::Rng::with_seed(seed) };
        Self { state: Arc::new(Mutex::new(state)) }
    }

    fn lock(&self) -> MutexGuard<'_, FaultState> {
        // A panic while holding this lock cannot leave the knobs inconsistent.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current rate settings.
    pub fn settings(&self) -> FaultSettings {
        self.lock().settings.clone()
    }

    /// Replace all rate settings at once.
    pub fn set(&self, settings: FaultSettings) {
        self.lock().settings = settings;
    }

    /// Probability of a 429.
    pub fn set_throttle_rate(&self, rate: f64) {
        self.lock().settings.throttle_rate = rate.clamp(0.0, 1.0);
    }

    /// Probability of a 5xx.
    pub fn set_server_error_rate(&self, rate: f64) {
        self.lock().settings.server_error_rate = rate.clamp(0.0, 1.0);
    }

    /// Probability of a dropped connection.
    pub fn set_drop_rate(&self, rate: f64) {
        self.lock().settings.drop_rate = rate.clamp(0.0, 1.0);
    }

    /// Latency added to every API request.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().settings.latency = latency;
    }

    /// The `Retry-After` of a Dataverse 429.
    pub fn set_retry_after(&self, retry_after: Duration) {
        self.lock().settings.retry_after = retry_after;
    }

    /// The status of injected server errors.
    pub fn set_server_error_status(&self, status: u16) {
        self.lock().settings.server_error_status = status;
    }

    /// Restart the random sequence from `seed`.
    pub fn reseed(&self, seed: u64) {
        self.lock().rng = fastrand::Rng::with_seed(seed);
    }

    /// Give exactly the next `count` API requests `fault`.
    pub fn fail_next(&self, count: u32, fault: Fault) {
        self.fail_next_matching(count, fault, None, None);
    }

    /// Give exactly the next `count` API requests with this method (any when `None`) and a path
    /// containing `path_contains` (any when `None`) `fault`.
    pub fn fail_next_matching(
        &self,
        count: u32,
        fault: Fault,
        method: Option<Method>,
        path_contains: Option<&str>,
    ) {
        self.lock().scripts.push_back(ScriptedFault {
            fault,
            remaining: count,
            method,
            path_contains: path_contains.map(str::to_owned),
        });
    }

    /// Scripted faults not yet used.
    pub fn pending_scripted(&self) -> u32 {
        self.lock().scripts.iter().map(|s| s.remaining).sum()
    }

    /// Remove every script and set every rate and the latency to zero.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.scripts.clear();
        let retry_after = state.settings.retry_after;
        state.settings = FaultSettings { retry_after, ..FaultSettings::default() };
    }

    /// The latency to add and the fault (if any) for one API request.
    pub(crate) fn decide(&self, method: &Method, path: &str) -> (Duration, Option<Fault>) {
        let mut state = self.lock();
        let latency = state.settings.latency;
        if let Some(script) = state.scripts.iter_mut().find(|s| s.matches(method, path)) {
            script.remaining -= 1;
            let fault = script.fault;
            state.scripts.retain(|s| s.remaining > 0);
            return (latency, Some(fault));
        }
        let FaultSettings { drop_rate, throttle_rate, server_error_rate, .. } = state.settings;
        if drop_rate + throttle_rate + server_error_rate <= 0.0 {
            return (latency, None);
        }
        let roll = state.rng.f64();
        let fault = if roll < drop_rate {
            Some(Fault::DropConnection)
        } else if roll < drop_rate + throttle_rate {
            Some(Fault::Throttle)
        } else if roll < drop_rate + throttle_rate + server_error_rate {
            Some(Fault::ServerError)
        } else {
            None
        };
        (latency, fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_come_first_and_are_counted() {
        let faults = Faults::new(FaultSettings::default(), 7);
        faults.fail_next_matching(1, Fault::DropConnection, Some(Method::POST), Some("/workflows"));
        faults.fail_next(2, Fault::Throttle);
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(faults.decide(&get, "/public/api/v1/workflows").1, Some(Fault::Throttle));
        assert_eq!(faults.decide(&post, "/public/api/v1/workflows").1, Some(Fault::DropConnection));
        assert_eq!(faults.decide(&post, "/x").1, Some(Fault::Throttle));
        assert_eq!(faults.decide(&post, "/x").1, None);
        assert_eq!(faults.pending_scripted(), 0);
    }

    #[test]
    fn rates_are_reproducible_with_a_seed() {
        let run = |seed| {
            let faults = Faults::new(FaultSettings::default(), seed);
            faults.set_throttle_rate(0.3);
            faults.set_server_error_rate(0.2);
            (0..200).map(|_| faults.decide(&Method::GET, "/").1).collect::<Vec<_>>()
        };
        let first = run(42);
        assert_eq!(first, run(42));
        let throttled = first.iter().filter(|f| **f == Some(Fault::Throttle)).count();
        assert!((40..80).contains(&throttled), "{throttled} throttled of 200 at rate 0.3");
    }
}
