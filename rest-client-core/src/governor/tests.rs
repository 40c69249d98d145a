//! Table tests of the governor's decisions.

use std::collections::VecDeque;
use std::time::Duration;

use super::*;

fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

/// A 5 s window, as the sandbox at 1/60 scale has.
fn limits() -> GovernorLimits {
    GovernorLimits::default().window(Duration::from_secs(5))
}

/// `in_flight` attempts in flight, started at 0, 1, 2, … ms.
fn state(concurrency: u32, in_flight: u32) -> GovernorState {
    GovernorState {
        concurrency,
        ceiling: 52,
        hinted: true,
        throttled: false,
        streak: 0,
        paused_until: None,
        in_flight,
        budget: RequestBudget {
            flying: (0..u64::from(in_flight)).map(ms).collect(),
            ..RequestBudget::default()
        },
        peak_time: Duration::ZERO,
    }
}

/// A budget: `spent` as (started, ended) ms, `flying` as start ms.
fn budget(
    allowance: Option<u64>,
    spent: &[(u64, u64)],
    flying: &[u64],
    credit: Option<u64>,
) -> RequestBudget {
    RequestBudget {
        allowance,
        spent: spent.iter().map(|(s, e)| Spent { started: ms(*s), ended: ms(*e) }).collect(),
        flying: flying.iter().copied().map(ms).collect::<VecDeque<_>>(),
        credit,
    }
}

fn answered(dop_hint: Option<u32>, remaining_requests: Option<u64>) -> Observation {
    Observation::Answered { dop_hint, remaining_requests, remaining_time: None }
}

fn throttled(seconds: u64) -> Observation {
    Observation::Throttled { retry_after: Some(Duration::from_secs(seconds)) }
}

#[test]
fn govern_decisions() {
    let limits = limits();
    let unhinted =
        GovernorState { budget: budget(None, &[], &[0], None), in_flight: 1, ..limits.start() };
    #[rustfmt::skip]
    let table: Vec<(&str, GovernorState, u64, Observation, u64, GovernorState)> = vec![
        ("the first hint sets the concurrency",
            unhinted.clone(), 0, answered(Some(12), None), 100,
            GovernorState { concurrency: 12, hinted: true, streak: 1, in_flight: 0,
                budget: budget(None, &[(0, 100)], &[], None), ..unhinted.clone() }),
        // Old logic: the same answer also counted towards a climb.
        ("the first hint sets the concurrency, and that answer climbs no further",
            GovernorState { concurrency: 1, ..unhinted.clone() }, 0, answered(Some(3), None), 100,
            GovernorState { concurrency: 3, hinted: true, streak: 1, in_flight: 0,
                budget: budget(None, &[(0, 100)], &[], None), ..unhinted.clone() }),
        ("a hint above 52 is held to 52",
            unhinted.clone(), 0, answered(Some(200), None), 100,
            GovernorState { concurrency: 52, hinted: true, streak: 1, in_flight: 0,
                budget: budget(None, &[(0, 100)], &[], None), ..unhinted.clone() }),
        // Old logic: the hint was the ceiling, and a lower one pulled the concurrency to 6.
        ("a later hint changes nothing",
            state(20, 1), 0, answered(Some(6), None), 100,
            GovernorState { concurrency: 20, streak: 1, in_flight: 0,
                budget: budget(None, &[(0, 100)], &[], None), ..state(20, 1) }),
        // Old logic: one more per 8 successes.
        ("before any 429, a success with every place taken adds two",
            state(8, 8), 0, Observation::OK, 100,
            GovernorState { concurrency: 10, streak: 0, in_flight: 7,
                budget: budget(None, &[(0, 100)], &[1, 2, 3, 4, 5, 6, 7], None), ..state(8, 8) }),
        // Old logic: the eighth success climbed whatever the demand.
        ("a success with places free does not climb",
            GovernorState { throttled: true, streak: 7, ..state(8, 3) }, 0, Observation::OK, 100,
            GovernorState { throttled: true, streak: 8, in_flight: 2,
                budget: budget(None, &[(0, 100)], &[1, 2], None), ..state(8, 3) }),
        ("after a 429, one per climb_after successes with every place taken",
            GovernorState { throttled: true, streak: 7, ..state(8, 8) }, 0, Observation::OK, 100,
            GovernorState { concurrency: 9, throttled: true, streak: 0, in_flight: 7,
                budget: budget(None, &[(0, 100)], &[1, 2, 3, 4, 5, 6, 7], None), ..state(8, 8) }),
        // Old logic: held to the hint.
        ("it climbs past the hint, up to 52",
            state(51, 51), 0, Observation::OK, 100,
            GovernorState { concurrency: 52, streak: 0, in_flight: 50,
                budget: budget(None, &[(0, 100)], &(1..51).collect::<Vec<_>>(), None), ..state(51, 51) }),
        // 96 left after this one (started at 10) and the one started before it (0): 98 in the
        // window; the one started after it (20) may not have been counted: 95 may start now.
        // Old logic: only the most remaining seen (96), no allowance, no credit.
        ("the count of requests left teaches the allowance and the credit",
            GovernorState { budget: budget(None, &[], &[0, 10, 20], None), ..state(8, 3) },
            10, answered(None, Some(96)), 100,
            GovernorState { streak: 1, in_flight: 2,
                budget: budget(Some(98), &[(10, 100)], &[0, 20], Some(95)), ..state(8, 3) }),
        ("a larger allowance seen stays; the credit follows the latest count",
            GovernorState { budget: budget(Some(100), &[], &[0], Some(50)), ..state(8, 1) },
            0, answered(None, Some(10)), 100,
            GovernorState { streak: 1, in_flight: 0,
                budget: budget(Some(100), &[(0, 100)], &[], Some(10)), ..state(8, 1) }),
        ("spent attempts older than the window are forgotten",
            GovernorState { budget: budget(Some(3), &[(0, 100)], &[6_000], None), ..state(8, 1) },
            6_000, Observation::OK, 6_100,
            GovernorState { streak: 1, in_flight: 0,
                budget: budget(Some(3), &[(6_000, 6_100)], &[], None), ..state(8, 1) }),
        // Old logic: the allowance did not exist, a 429 only lowered and paused.
        ("a 429 pauses, lowers by a quarter, caps the allowance at what is held, spends the credit",
            GovernorState { budget: budget(Some(100), &[(0, 50), (1, 60)], &[2, 3], Some(5)), ..state(12, 2) },
            3, throttled(1), 100,
            GovernorState { concurrency: 9, throttled: true, in_flight: 1, paused_until: Some(ms(1_100)),
                budget: budget(Some(3), &[(0, 50), (1, 60), (3, 100)], &[2], Some(0)), ..state(12, 2) }),
        ("429s of the same burst extend the pause without lowering again",
            GovernorState { throttled: true, paused_until: Some(ms(1_100)), ..state(9, 1) },
            0, throttled(2), 200,
            GovernorState { throttled: true, paused_until: Some(ms(2_200)), in_flight: 0,
                budget: budget(None, &[(0, 200)], &[], None), ..state(9, 1) }),
        ("never below one",
            state(1, 1), 0, throttled(1), 0,
            GovernorState { throttled: true, paused_until: Some(ms(1_000)), in_flight: 0,
                budget: budget(None, &[(0, 0)], &[], None), ..state(1, 1) }),
        ("a connection failure changes nothing but holds its place in the window",
            GovernorState { streak: 3, ..state(6, 1) }, 0, Observation::NoAnswer, 100,
            GovernorState { streak: 3, in_flight: 0, budget: budget(None, &[(0, 100)], &[], None), ..state(6, 1) }),
        ("an answer after the pause clears it",
            GovernorState { paused_until: Some(ms(1_000)), ..state(6, 1) }, 0, Observation::OK, 1_500,
            GovernorState { streak: 1, in_flight: 0, budget: budget(None, &[(0, 1_500)], &[], None), ..state(6, 1) }),
    ];
    for (name, before, started, observation, now, expected) in table {
        assert_eq!(govern(&limits, before, ms(started), observation, ms(now)), expected, "{name}");
    }
}

#[test]
fn start_decisions() {
    let limits = limits();
    let held = |credit| GovernorState {
        budget: budget(Some(2), &[(0, 100), (50, 150)], &[], credit),
        ..state(8, 0)
    };
    #[rustfmt::skip]
    let table: Vec<(&str, GovernorState, u64, Admission, Option<u64>)> = vec![
        // Old logic: below a fifth of the budget, starts were spaced at the refill rate.
        ("budget left starts at once, however little",
            GovernorState { budget: budget(Some(10), &[(0, 100); 9], &[], None), ..state(8, 0) },
            1_000, Admission::Now, Some(0)),
        // Counted half-way through: 50 ms, free 5 s later.
        ("the budget held: wait until the oldest leaves the window",
            held(None), 1_000, Admission::Wait(ms(4_050)), Some(0)),
        ("the server's count frees one before the client's hold ends",
            held(Some(1)), 1_000, Admission::Now, Some(0)),
        ("the oldest has left the window: it starts",
            held(None), 5_050, Admission::Now, Some(0)),
        ("every place taken: wait for an answer",
            state(2, 2), 0, Admission::WaitForAnswer, None),
        ("the budget held in flight: wait for an answer",
            GovernorState { budget: budget(Some(2), &[], &[0, 1], None), ..state(8, 2) },
            0, Admission::WaitForAnswer, Some(0)),
        ("paused: wait out the pause",
            GovernorState { paused_until: Some(ms(3_000)), ..state(8, 0) }, 1_000, Admission::Wait(ms(2_000)), None),
        ("a pause that ended is cleared",
            GovernorState { paused_until: Some(ms(3_000)), ..state(8, 0) }, 3_000, Admission::Now, None),
    ];
    for (name, before, now, expected, left_after) in table {
        let in_flight = before.in_flight;
        let (after, admission) = start(&limits, before, ms(now));
        assert_eq!(admission, expected, "{name}");
        let started = u32::from(admission == Admission::Now);
        assert_eq!(after.in_flight, in_flight + started, "{name}: in flight");
        assert_eq!(after.budget_left(), left_after, "{name}: budget left");
    }
}

/// A sliding window of 10 requests per second, requests of 100 ms each (counted as they
/// arrive, 1 ms after they start), 30 requests to send: the governor spends the window's
/// budget three times over without a 429, each window's requests starting as the previous
/// ones leave it.
#[test]
fn a_sliding_window_is_spent_without_a_429() {
    let limits = GovernorLimits::default().window(Duration::from_secs(1)).initial_concurrency(4);
    let window = ms(1_000);
    let budget = 10;
    let mut state = limits.start();
    let mut arrivals: Vec<Duration> = Vec::new();
    // (started, ends) of the attempts in flight.
    let mut flying: Vec<(Duration, Duration)> = Vec::new();
    let (mut sent, mut throttled) = (0, 0);
    let mut now = Duration::ZERO;
    while sent < 30 || !flying.is_empty() {
        // Answer what ends by now, in order.
        flying.sort_by_key(|(_, ends)| *ends);
        while let Some(&(started, ends)) = flying.first().filter(|(_, ends)| *ends <= now) {
            flying.remove(0);
            let counted = arrivals.iter().filter(|at| **at + window > ends).count() as u64;
            let observation = answered(Some(2), Some(budget - counted.min(budget)));
            state = govern(&limits, state, started, observation, ends);
        }
        while sent < 30 {
            let (next, admission) = start(&limits, state, now);
            state = next;
            if admission != Admission::Now {
                break;
            }
            let arrives = now + ms(1);
            if arrivals.iter().filter(|at| **at + window > arrives).count() as u64 >= budget {
                throttled += 1;
            }
            arrivals.push(arrives);
            flying.push((now, now + ms(100)));
            sent += 1;
        }
        now += ms(1);
    }
    assert_eq!(throttled, 0, "no request over the budget");
    // The 11th and 21st wait for the 1st and 11th to leave the window (counted half-way
    // through, 50 ms in), and not much longer.
    for (later, earlier) in [(10, 0), (20, 10)] {
        let gap = arrivals[later] - arrivals[earlier];
        assert!(
            gap >= window && gap <= window + ms(60),
            "request {later}: {gap:?} after {earlier}"
        );
    }
}

/// Extreme limits and hand-built states give answers, never an arithmetic panic.
#[test]
fn extreme_limits_and_states_do_not_overflow() {
    // A window and pause of `Duration::MAX` ("never forget", "wait as long as asked").
    let endless = GovernorLimits::default()
        .window(Duration::MAX)
        .pauses(Duration::from_secs(5), Duration::MAX)
        .max_concurrency(u32::MAX);
    let (state, admitted) = start(&endless, endless.start(), ms(10));
    assert_eq!(admitted, Admission::Now);
    let answered = govern(&endless, state, ms(10), answered(None, Some(0)), ms(20));
    let (answered, waiting) = start(&endless, answered, ms(30));
    assert_eq!(waiting, Admission::Wait(Duration::MAX - ms(30)), "the budget never frees");
    let throttled = govern(
        &endless,
        answered,
        ms(10),
        Observation::Throttled { retry_after: Some(Duration::MAX) },
        ms(40),
    );
    assert_eq!(throttled.paused_until, Some(Duration::MAX));

    // A caller's state with no place at all, throttled.
    let mut zero = state_with_concurrency(0);
    zero = govern(&limits(), zero, ms(0), throttled_now(), ms(1));
    assert_eq!(zero.concurrency, 1);

    // Climbing at the top of the range saturates.
    let mut top = state_with_concurrency(u32::MAX - 1);
    top.ceiling = u32::MAX;
    top.in_flight = u32::MAX - 1;
    let top = govern(&endless, top, ms(0), Observation::OK, ms(1));
    assert_eq!(top.concurrency, u32::MAX);
}

fn state_with_concurrency(concurrency: u32) -> GovernorState {
    GovernorState { concurrency, in_flight: 0, ..state(1, 0) }
}

fn throttled_now() -> Observation {
    Observation::Throttled { retry_after: None }
}
