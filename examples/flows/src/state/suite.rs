//! One test suite, run against both stores: the embedded redb store always, PostgreSQL when
//! `TEST_DATABASE_URL` names a server (each test gets a database of its own; without one the
//! PostgreSQL tests print why they are skipped).

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use program_support::postgres::testing::TestDatabase;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{Enqueued, EventQueue, EventStatus, LaunchRecord, LaunchState, QueueCounts};

const LEASE: StdDuration = StdDuration::from_secs(60);

pub(super) async fn an_event_goes_through_retries_to_done(queue: EventQueue) {
    let now = OffsetDateTime::now_utc();
    assert_eq!(queue.enqueue("e1", "{\"a\":1}".into()).await.unwrap(), Enqueued::Accepted);
    assert_eq!(queue.enqueue("e2", "{}".into()).await.unwrap(), Enqueued::Accepted);
    assert_eq!(
        queue.enqueue("e1", "{}".into()).await.unwrap(),
        Enqueued::Duplicate(EventStatus::Pending)
    );
    queue.retry_at("e1", now + Duration::hours(1), "503").await.unwrap();
    let due = queue.due(now + Duration::seconds(1), 10).await.unwrap();
    assert_eq!(due.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["e2"]);
    let later = queue.due(now + Duration::hours(2), 10).await.unwrap();
    assert_eq!(later.len(), 2);
    assert_eq!(later[1].event_id, "e1");
    assert_eq!(later[1].attempts, 1);
    assert_eq!(later[1].last_error.as_deref(), Some("503"));
    assert_eq!(later[1].body, "{\"a\":1}");
    assert!(later[0].seq < later[1].seq || later[0].event_id == "e2");
    queue.complete("e1", "value synced").await.unwrap();
    queue.fail("e2", "agreement does not exist").await.unwrap();
    // A finished event stays finished, whatever a late worker records.
    queue.retry_at("e1", now, "late").await.unwrap();
    let e1 = queue.get("e1").await.unwrap().unwrap();
    assert_eq!((e1.status, e1.outcome.as_deref()), (EventStatus::Done, Some("value synced")));
    assert!(e1.finished_at.is_some() && e1.next_attempt_at.is_none());
    assert_eq!(
        queue.enqueue("e1", "{}".into()).await.unwrap(),
        Enqueued::Duplicate(EventStatus::Done)
    );
    assert_eq!(queue.counts().await.unwrap(), QueueCounts { pending: 0, done: 1, failed: 1 });
    assert_eq!(queue.next_due().await.unwrap(), None);
    assert_eq!(queue.prune_finished(now - Duration::hours(1)).await.unwrap(), 0);
    assert_eq!(queue.prune_finished(now + Duration::hours(3)).await.unwrap(), 2);
    assert_eq!(queue.get("e1").await.unwrap(), None);
}

pub(super) async fn a_claim_holds_an_event_until_its_lease_runs_out(queue: EventQueue) {
    let now = OffsetDateTime::now_utc();
    queue.enqueue("e1", "{}".into()).await.unwrap();
    let claimed = queue.claim(now + Duration::seconds(1), 10, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].attempts, 0);
    // Taken: not due again within the lease, due again after it (its worker died).
    assert!(queue.claim(now + Duration::seconds(2), 10, LEASE).await.unwrap().is_empty());
    let after = now + Duration::seconds(1) + LEASE + Duration::seconds(1);
    let next = queue.next_due().await.unwrap().unwrap();
    assert!(next > now + Duration::seconds(30) && next < after, "{next}");
    let again = queue.claim(after, 10, LEASE).await.unwrap();
    assert_eq!(again.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["e1"]);
    queue.complete("e1", "done").await.unwrap();
    assert!(queue.claim(after + Duration::hours(1), 10, LEASE).await.unwrap().is_empty());
}

/// Two workers (on one queue, or two replicas on one database) claim together: each event is
/// taken by exactly one of them.
pub(super) async fn workers_never_claim_the_same_event(queues: [EventQueue; 2]) {
    for n in 0..60 {
        queues[n % 2].enqueue(&format!("e{n}"), "{}".into()).await.unwrap();
    }
    let later = OffsetDateTime::now_utc() + Duration::seconds(1);
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let queue = queues[worker % 2].clone();
            tokio::spawn(async move {
                let mut taken = Vec::new();
                loop {
                    let batch = queue.claim(later, 4, LEASE).await.unwrap();
                    if batch.is_empty() {
                        return taken;
                    }
                    for event in batch {
                        queue.complete(&event.event_id, "done").await.unwrap();
                        taken.push(event.event_id);
                    }
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    assert_eq!(all.len(), 60, "each event once");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 60);
    assert_eq!(queues[1].counts().await.unwrap().done, 60);
}

pub(super) async fn launches_and_marks_are_kept(state: LaunchState) {
    let ids: Vec<Uuid> = (0..32).map(|_| Uuid::new_v4()).collect();
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (state, id) = (state.clone(), *id);
            tokio::spawn(async move {
                state.record_launch(id, LaunchRecord::new(id.to_string(), None, None, true)).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let found = state.launches(ids.clone()).await.unwrap();
    assert_eq!(found.len(), 32);
    assert_eq!(found[&ids[3]].workflow_id, ids[3].to_string());
    assert_eq!(state.pending_launches().await.unwrap(), 32);
    assert_eq!(state.watermark().await.unwrap(), None);
    let start = time::macros::datetime!(2026-05-01 10:00:00 UTC);
    assert!(state.start_at(start).await.unwrap());
    assert!(!state.start_at(start + Duration::hours(1)).await.unwrap());
    assert_eq!(state.floor().await.unwrap(), Some(start));
    let at = time::macros::datetime!(2026-05-02 10:00:00 UTC);
    state.finish_run(Some(at), ids[..30].to_vec()).await.unwrap();
    assert_eq!(state.pending_launches().await.unwrap(), 2);
    assert_eq!(state.watermark().await.unwrap(), Some(at));
    assert_eq!(state.floor().await.unwrap(), Some(start));
    state.finish_run(None, vec![]).await.unwrap();
    assert_eq!(state.watermark().await.unwrap(), Some(at));
    let _run = state.run_lock().await.unwrap();
}

macro_rules! suite {
    (queue: $($queue:ident),*; launch: $($launch:ident),* $(,)?) => {
        mod redb_store {
            use super::{EventQueue, LaunchState};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $queue() {
                    super::$queue(EventQueue::in_memory().unwrap()).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $launch() {
                    super::$launch(LaunchState::in_memory().unwrap()).await;
                }
            )*

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn workers_never_claim_the_same_event() {
                let queue = EventQueue::in_memory().unwrap();
                super::workers_never_claim_the_same_event([queue.clone(), queue]).await;
            }
        }

        mod postgres_store {
            use super::{EventQueue, LaunchState, TestDatabase};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $queue() {
                    let Some(db) = TestDatabase::create(stringify!($queue)).await else { return };
                    super::$queue(EventQueue::connect(&db.secret_url()).await.unwrap()).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $launch() {
                    let Some(db) = TestDatabase::create(stringify!($launch)).await else { return };
                    super::$launch(LaunchState::connect(&db.secret_url()).await.unwrap()).await;
                }
            )*

            /// Two replicas on one database.
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn workers_never_claim_the_same_event() {
                let Some(db) = TestDatabase::create("claims").await else { return };
                let url = db.secret_url();
                let (first, second) = tokio::join!(EventQueue::connect(&url), EventQueue::connect(&url));
                super::workers_never_claim_the_same_event([first.unwrap(), second.unwrap()]).await;
            }

            /// One run at a time across replicas; a replica's lock goes with it.
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn one_run_at_a_time() {
                let Some(db) = TestDatabase::create("run_lock").await else { return };
                let url = db.secret_url();
                let first = LaunchState::connect(&url).await.unwrap();
                let second = LaunchState::connect(&url).await.unwrap();
                assert!(first.location().starts_with("postgres://"), "{}", first.location());
                let running = first.run_lock().await.unwrap();
                let waiting = tokio::spawn(async move { second.run_lock().await });
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                assert!(!waiting.is_finished(), "the second replica waits for the first");
                drop(running);
                let next = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await;
                let _run = next.unwrap().unwrap().unwrap();
            }

            /// A launch record that does not decode is a `Corrupt` error, not a panic.
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_record_that_does_not_decode_is_an_error_not_a_panic() {
                let Some(db) = TestDatabase::create("corrupt_launch").await else { return };
                let url = db.secret_url();
                let state = LaunchState::connect(&url).await.unwrap();
                let id = uuid::Uuid::new_v4();
                let record = super::LaunchRecord::new(id.to_string(), None, None, true);
                state.record_launch(id, record).await.unwrap();
                let raw = program_support::postgres::Database::connect(&url, 1).await.unwrap();
                let raw = raw.client().await.unwrap();
                raw.batch_execute("UPDATE launch_log SET record = '[]'").await.unwrap();
                match state.launches(vec![id]).await {
                    Err(super::super::StateError::Corrupt { table: "launch_log", .. }) => {}
                    other => panic!("{other:?}"),
                }
                // A redelivery of an event whose stored status is unknown.
                let queue = EventQueue::connect(&url).await.unwrap();
                queue.enqueue("e1", "{}".into()).await.unwrap();
                raw.batch_execute("UPDATE webhook_events SET status = 'lost'").await.unwrap();
                match queue.enqueue("e1", "{}".into()).await {
                    Err(super::super::StateError::Corrupt { table: "webhook_events", .. }) => {}
                    other => panic!("{other:?}"),
                }
            }
        }
    };
}

suite!(
    queue: an_event_goes_through_retries_to_done, a_claim_holds_an_event_until_its_lease_runs_out;
    launch: launches_and_marks_are_kept,
);
