//! `/_sandbox/ironclad/…`: act as Ironclad users (edit attributes, approve, complete), inspect
//! workflows, records, webhooks and emitted events, and steer webhook deliveries.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

use super::{
    ControlState, Refusal, authorize, body, error, guarded, optional_u64, rejected, reply,
    required_str,
};
use crate::ironclad::{
    DeliveryPolicy, DeliveryRecord, DeliveryStatus, IroncladRateLimits, ReleaseOrder,
};
use crate::json::{Json, JsonObject};
use crate::timestamps;

type Shared = Arc<ControlState>;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/ironclad/workflows", get(workflows))
        .route("/ironclad/workflows/{id}", get(workflow))
        .route("/ironclad/workflows/{id}/attributes", post(set_attribute))
        .route("/ironclad/workflows/{id}/approvals/{role}", post(approval))
        .route("/ironclad/workflows/{id}/approve-all", post(approve_all))
        .route("/ironclad/workflows/{id}/complete", post(complete))
        .route("/ironclad/records", get(records))
        .route("/ironclad/webhooks", get(webhooks).post(subscribe))
        .route("/ironclad/events", get(events))
        .route("/ironclad/deliveries", get(deliveries))
        .route("/ironclad/deliveries/wait", post(wait))
        .route("/ironclad/deliveries/policy", put(policy))
        .route("/ironclad/deliveries/duplicates", put(duplicates))
        .route("/ironclad/deliveries/hold", post(hold))
        .route("/ironclad/deliveries/release", post(release))
        .route("/ironclad/rate-limits", put(rate_limits))
}

fn ok(body: JsonObject) -> Result<Response, Refusal> {
    Ok(reply(StatusCode::OK, Json::Object(body)))
}

/// `GET /_sandbox/ironclad/workflows`: every workflow as `GET /workflows/{id}` shows it.
async fn workflows(State(state): State<Shared>, headers: HeaderMap) -> Response {
    guarded(&state, &headers, || Ok(reply(StatusCode::OK, Json::Array(state.ironclad.workflows()))))
}

/// `GET /_sandbox/ironclad/workflows/{id}` (`id` or `IC-n`).
async fn workflow(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    guarded(&state, &headers, || {
        state.ironclad.workflow(&id).map(|workflow| reply(StatusCode::OK, workflow)).ok_or_else(
            || error(StatusCode::NOT_FOUND, "NOT_FOUND", format!("workflow '{id}' does not exist")),
        )
    })
}

/// `POST …/workflows/{id}/attributes` `{"attribute":"totalContractValue","value":{…}}`: the
/// owner edits an attribute in Review (emits `workflow_attribute_updated`).
async fn set_attribute(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    guarded(&state, &headers, || {
        let body = body(&bytes)?;
        let attribute = required_str(&body, "attribute")?;
        let value = body.get("value").cloned().ok_or_else(|| {
            error(StatusCode::BAD_REQUEST, "invalid_request", "'value' is required")
        })?;
        state.ironclad.set_attribute(&id, attribute, value).map_err(rejected)?;
        ok(JsonObject::new().with("updated", attribute))
    })
}

/// `POST …/workflows/{id}/approvals/{role}` `{"status":"approved"|"pending"}` (default approved):
/// the role's assignee approves or resets (emits `workflow_approval_status_changed`).
async fn approval(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((id, role)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    guarded(&state, &headers, || {
        let body = body(&bytes)?;
        let status = body.get("status").and_then(Json::as_str).unwrap_or("approved");
        let result = match status {
            "approved" => state.ironclad.approve(&id, &role),
            "pending" => state.ironclad.reset_approval(&id, &role),
            other => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("'status' must be \"approved\" or \"pending\", not \"{other}\""),
                ));
            }
        };
        result.map_err(rejected)?;
        ok(JsonObject::new().with("role", role.as_str()).with("status", status))
    })
}

/// `POST …/workflows/{id}/approve-all`.
async fn approve_all(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    guarded(&state, &headers, || {
        state.ironclad.approve_all(&id).map_err(rejected)?;
        let names: Vec<Json> =
            state.ironclad.approval_names(&id).into_iter().map(Json::String).collect();
        ok(JsonObject::new().with("approved", Json::Array(names)))
    })
}

/// `POST …/workflows/{id}/complete` `{"signed_copy_size": 1048576}` (optional): sign and
/// archive (emits `workflow_completed`); answers `{"record_id"}`.
async fn complete(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    guarded(&state, &headers, || {
        let body = body(&bytes)?;
        let record = match optional_u64(&body, "signed_copy_size")? {
            Some(size) => state.ironclad.complete_workflow_with_signed_copy_size(&id, size),
            None => state.ironclad.complete_workflow(&id),
        }
        .map_err(rejected)?;
        ok(JsonObject::new().with("record_id", record))
    })
}

/// `GET /_sandbox/ironclad/records`.
async fn records(State(state): State<Shared>, headers: HeaderMap) -> Response {
    guarded(&state, &headers, || Ok(reply(StatusCode::OK, Json::Array(state.ironclad.records()))))
}

/// `GET /_sandbox/ironclad/webhooks`.
async fn webhooks(State(state): State<Shared>, headers: HeaderMap) -> Response {
    guarded(&state, &headers, || Ok(reply(StatusCode::OK, Json::Array(state.ironclad.webhooks()))))
}

/// `POST /_sandbox/ironclad/webhooks` `{"events":["workflow_launched"],"target_url":"http://…"}`:
/// `201 {"id"}`, with the same rules as `POST /webhooks`.
async fn subscribe(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    guarded(&state, &headers, || {
        let body = body(&bytes)?;
        let target = required_str(&body, "target_url")?;
        let events: Vec<&str> = body
            .get("events")
            .and_then(Json::as_array)
            .map(|events| events.iter().filter_map(Json::as_str).collect())
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "'events' must be an array of event names",
                )
            })?;
        let id = state.ironclad.subscribe(&events, target).map_err(rejected)?;
        Ok(reply(StatusCode::CREATED, Json::Object(JsonObject::new().with("id", id))))
    })
}

/// `GET /_sandbox/ironclad/events`: every event payload emitted so far.
async fn events(State(state): State<Shared>, headers: HeaderMap) -> Response {
    guarded(&state, &headers, || {
        Ok(reply(StatusCode::OK, Json::Array(state.ironclad.emitted_events())))
    })
}

fn status_name(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Held => "held",
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::GaveUp => "gave_up",
        DeliveryStatus::Disabled => "disabled",
    }
}

fn delivery_json(record: &DeliveryRecord) -> Json {
    let attempts: Vec<Json> = record
        .attempts
        .iter()
        .map(|attempt| {
            Json::Object(
                JsonObject::new()
                    .with("at", timestamps::ironclad_timestamp(attempt.at))
                    .with("status", attempt.status.map(u64::from))
                    .with("error", attempt.error.clone())
                    .with("nonce", attempt.nonce.as_str()),
            )
        })
        .collect();
    Json::Object(
        JsonObject::new()
            .with("id", record.id)
            .with("event_id", record.event_id.as_str())
            .with("event", record.event.as_str())
            .with("webhook_id", record.webhook_id.as_str())
            .with("target_url", record.target_url.as_str())
            .with("body", record.body.as_str())
            .with("status", status_name(record.status))
            .with("attempts", Json::Array(attempts))
            .with("duplicate_of", record.duplicate_of),
    )
}

/// `GET /_sandbox/ironclad/deliveries`: every delivery with its attempts.
async fn deliveries(State(state): State<Shared>, headers: HeaderMap) -> Response {
    guarded(&state, &headers, || {
        let records: Vec<Json> = state.ironclad.deliveries().iter().map(delivery_json).collect();
        Ok(reply(StatusCode::OK, Json::Array(records)))
    })
}

/// `POST /_sandbox/ironclad/deliveries/wait` `{"timeout_ms":5000}`: `{"idle":true}` once no
/// delivery is pending (held ones excepted), `{"idle":false}` on timeout.
async fn wait(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    let timeout = match body(&bytes).and_then(|b| optional_u64(&b, "timeout_ms")) {
        Ok(timeout) => Duration::from_millis(timeout.unwrap_or(5000).min(120_000)),
        Err(refused) => return refused.into_response(),
    };
    let idle = state.ironclad.wait_for_deliveries(timeout).await;
    reply(StatusCode::OK, Json::Object(JsonObject::new().with("idle", idle)))
}

/// `PUT /_sandbox/ironclad/deliveries/policy` `{"base_delay_ms","max_delay_ms","max_retries",
/// "attempt_timeout_ms"}` (members left out keep the fast default), or `{"preset":"ironclad"}`
/// for Ironclad's real, hours-long policy.
async fn policy(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    guarded(&state, &headers, || {
        let body = body(&bytes)?;
        let mut policy = match body.get("preset").and_then(Json::as_str) {
            Some("ironclad") => DeliveryPolicy::default(),
            Some("fast") | None => DeliveryPolicy::fast(),
            Some(other) => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("unknown preset '{other}'"),
                ));
            }
        };
        if let Some(ms) = optional_u64(&body, "base_delay_ms")? {
            policy.base_delay = Duration::from_millis(ms);
        }
        if let Some(ms) = optional_u64(&body, "max_delay_ms")? {
            policy.max_delay = Duration::from_millis(ms);
        }
        if let Some(retries) = optional_u64(&body, "max_retries")? {
            policy.max_retries = u32::try_from(retries).unwrap_or(u32::MAX);
        }
        if let Some(ms) = optional_u64(&body, "attempt_timeout_ms")? {
            policy.attempt_timeout = Duration::from_millis(ms);
        }
        state.ironclad.set_delivery_policy(policy);
        ok(JsonObject::new()
            .with("base_delay_ms", policy.base_delay.as_millis() as u64)
            .with("max_delay_ms", policy.max_delay.as_millis() as u64)
            .with("max_retries", u64::from(policy.max_retries))
            .with("attempt_timeout_ms", policy.attempt_timeout.as_millis() as u64))
    })
}

/// `PUT /_sandbox/ironclad/deliveries/duplicates` `{"copies":1}`: send every delivery that many
/// extra times (same event id and body).
async fn duplicates(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    guarded(&state, &headers, || {
        let copies = optional_u64(&body(&bytes)?, "copies")?.unwrap_or(0);
        state.ironclad.set_duplicate_deliveries(u32::try_from(copies).unwrap_or(u32::MAX));
        ok(JsonObject::new().with("copies", copies))
    })
}

/// `POST /_sandbox/ironclad/deliveries/hold`: hold deliveries of new events until released.
async fn hold(State(state): State<Shared>, headers: HeaderMap) -> Response {
    guarded(&state, &headers, || {
        state.ironclad.hold_deliveries();
        ok(JsonObject::new().with("holding", true))
    })
}

/// `POST /_sandbox/ironclad/deliveries/release` `{"order":"as_queued"|"reversed"|"shuffled","seed":7}`:
/// send the held deliveries in that order; `{"released":n}`.
async fn release(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    guarded(&state, &headers, || {
        let body = body(&bytes)?;
        let order = match body.get("order").and_then(Json::as_str).unwrap_or("as_queued") {
            "as_queued" => ReleaseOrder::AsQueued,
            "reversed" => ReleaseOrder::Reversed,
            "shuffled" => ReleaseOrder::Shuffled(optional_u64(&body, "seed")?.unwrap_or(0)),
            other => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("unknown order '{other}'"),
                ));
            }
        };
        let released = state.ironclad.release_held_deliveries(order);
        ok(JsonObject::new().with("released", released as u64))
    })
}

/// `PUT /_sandbox/ironclad/rate-limits` `{"workflows_read":400,…}` (members left out take the
/// documented production limits), or `null` to turn the limits off.
async fn rate_limits(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    guarded(&state, &headers, || {
        let body = body(&bytes)?;
        if body.is_null() {
            state.ironclad.set_rate_limits(None);
            return ok(JsonObject::new().with("enabled", false));
        }
        let mut limits = IroncladRateLimits::default();
        for (name, slot) in [
            ("workflows_read", &mut limits.workflows_read),
            ("workflows_write", &mut limits.workflows_write),
            ("records_read", &mut limits.records_read),
            ("records_write", &mut limits.records_write),
            ("webhooks", &mut limits.webhooks),
            ("other", &mut limits.other),
        ] {
            if let Some(value) = optional_u64(&body, name)? {
                *slot = u32::try_from(value).unwrap_or(u32::MAX);
            }
        }
        state.ironclad.set_rate_limits(Some(limits));
        ok(JsonObject::new().with("enabled", true))
    })
}
