//! The throughput governor against a mock Dataverse: `x-ms-dop-hint` sets the requests in
//! flight (demand raises them up to the maximum), a 429 pauses every request of the client (clones included) for its `Retry-After`,
//! and turning the governor off lets everything through at once.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::builder;
use dataverse_client::{Client, config::GovernorLimits, config::RetryPolicy, records::Record};
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ID: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";
const HOLD: Duration = Duration::from_millis(150);

/// Answers every request after `HOLD`, with a hint, and records when each arrived; the first
/// `throttle` requests get a 429 with `Retry-After: 1` at once.
#[derive(Clone)]
struct Server {
    arrivals: Arc<Mutex<Vec<Instant>>>,
    hint: Option<&'static str>,
    throttle: usize,
}

impl Respond for Server {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push(Instant::now());
        if arrivals.len() <= self.throttle {
            return ResponseTemplate::new(429).insert_header("Retry-After", "1").set_body_json(
                json!({ "error": { "code": "0x80072322", "message": "Number of requests exceeded the limit of 6000 over time window of 300 seconds." } }),
            );
        }
        let mut answer = ResponseTemplate::new(200)
            .set_delay(HOLD)
            .set_body_json(json!({ "accountid": ID, "name": "Contoso" }));
        if let Some(hint) = self.hint {
            answer = answer.insert_header("x-ms-dop-hint", hint);
        }
        answer
    }
}

async fn serve(
    hint: Option<&'static str>,
    throttle: usize,
) -> (MockServer, Arc<Mutex<Vec<Instant>>>) {
    let server = MockServer::start().await;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .respond_with(Server { arrivals: arrivals.clone(), hint, throttle })
        .mount(&server)
        .await;
    (server, arrivals)
}

/// The most requests whose `HOLD` overlapped: how many were in flight at once.
fn most_at_once(arrivals: &[Instant]) -> usize {
    arrivals
        .iter()
        .map(|at| {
            arrivals
                .iter()
                .filter(|other| *other <= at && at.duration_since(**other) < HOLD)
                .count()
        })
        .max()
        .unwrap_or(0)
}

async fn read_all(client: &Client, count: usize) {
    let id: Uuid = ID.parse().unwrap();
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.retrieve::<Record>("accounts", id).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("read");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dop_hint_sets_the_requests_in_flight_and_demand_raises_them_to_the_maximum() {
    let (server, arrivals) = serve(Some("3"), 0).await;
    let limits = GovernorLimits::default().initial_concurrency(1).max_concurrency(5);
    let client = builder(&server).throughput_governor(limits).build().unwrap();
    // One request learns the hint, then 12 more at once.
    read_all(&client, 1).await;
    assert_eq!(client.throughput_governor().unwrap().concurrency, 3);
    read_all(&client, 12).await;
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 13);
    // The first three go at once; the fourth waits for an answer.
    let fourth = arrivals[4].duration_since(arrivals[1]);
    assert!(fourth >= HOLD - Duration::from_millis(10), "the fourth went after {fourth:?}");
    // With every place taken, answers raise the concurrency past the hint, never past 5.
    let most = most_at_once(&arrivals[1..]);
    assert!((4..=5).contains(&most), "{most} at once");
    assert_eq!(client.throughput_governor().unwrap().concurrency, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_pauses_every_request_of_the_client() {
    let (server, arrivals) = serve(None, 1).await;
    let client =
        builder(&server).retry_policy(RetryPolicy::default()).build().expect("governed by default");
    let id: Uuid = ID.parse().unwrap();
    // The first request gets the 429 ...
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.retrieve::<Record>("accounts", id).await })
    };
    while arrivals.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    // ... and a clone's requests sent after it wait out the pause too.
    let others = client.clone();
    read_all(&others, 4).await;
    first.await.unwrap().expect("retried after the pause");
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 6, "the 429, its retry and four more");
    let throttled_at = arrivals[0];
    for later in &arrivals[1..] {
        let waited = later.duration_since(throttled_at);
        assert!(
            waited >= Duration::from_millis(950),
            "a request went during the pause: {waited:?}"
        );
    }
    let status = client.throughput_governor().unwrap();
    assert_eq!((status.throttled, status.concurrency, status.in_flight), (1, 3, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_governor_everything_goes_at_once() {
    let (server, arrivals) = serve(Some("2"), 0).await;
    let client = builder(&server).without_throughput_governor().build().unwrap();
    read_all(&client, 10).await;
    assert!(client.throughput_governor().is_none());
    assert_eq!(most_at_once(&arrivals.lock().unwrap()), 10);
}
