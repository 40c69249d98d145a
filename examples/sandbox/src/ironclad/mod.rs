//! The Ironclad Public API emulator (`/public/api/v1`) and its webhook sender.
//!
//! What is emulated, each following Ironclad's API reference (<https://developer.ironcladapp.com/reference>):
//!
//! - Auth (<https://developer.ironcladapp.com/reference/authentication-api>): the legacy bearer token, and OAuth client-credentials tokens from
//!   `POST /oauth/token` that need `x-as-user-email` / `x-as-user-id` and carry scopes (<https://developer.ironcladapp.com/reference/authentication-api>);
//!   401 `UNAUTHORIZED` / 403 `FORBIDDEN` in the real shapes.
//! - Workflows (<https://developer.ironcladapp.com/reference/filter-query-param>): sync and async launch validated against the template schema (<https://developer.ironcladapp.com/reference>),
//!   `creator` required with the legacy token, the real response keys; get by id or `IC-n`;
//!   list with `template`, `status` (default active only), `filter` formulas, `lastUpdated`,
//!   `page`/`pageSize`; attribute updates in the Review step only.
//! - Approvals (<https://developer.ironcladapp.com/reference>), documents with streaming download (<https://developer.ironcladapp.com/reference>), records with the signed copy
//!   (<https://developer.ironcladapp.com/reference>), workflow schemas (<https://developer.ironcladapp.com/reference>), webhooks CRUD and the verification key (<https://developer.ironcladapp.com/reference>).
//! - Webhook deliveries (<https://developer.ironcladapp.com/reference/webhooks>): signed, retried with exponential backoff, 410 disables.
//! - Optional per-bucket rate limits (<https://developer.ironcladapp.com/reference/clm-api-rate-limits>).
//!
//! Every response carries an `x-ironclad-requestid` header (<https://developer.ironcladapp.com/reference>).
//!
//! Templates are data ([`TemplateSeed`], publish more with
//! [`IroncladControl::publish_template`]); the default MSA template is shaped like a real
//! tenant's: role-scoped counterparty signer ids, custom fields filed into
//! `<attributeId>_<templateUuid>_<type>` record properties, a launch form without
//! `propertyKey`. [`Completion`] and [`ChangedAttributes`] reproduce what real tenants leave
//! undocumented: a record filed late or without its signed copy, and a
//! `workflow_attribute_updated` that does not say what changed.

mod approvals;
mod attributes;
mod auth;
mod completion;
mod control;
mod delivery;
mod documents;
mod errors;
mod events;
mod filter_formula;
mod launch;
mod model;
mod params;
mod rate_limit;
mod records;
mod templates;
mod webhooks;
mod workflows;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Path, State};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, patch, post};
use http::HeaderValue;
use url::Url;

pub(crate) use auth::IroncladAuth;
pub use completion::Completion;
pub use control::IroncladControl;
pub(crate) use delivery::DeliveryHub;
pub use delivery::{DeliveryAttempt, DeliveryPolicy, DeliveryRecord, DeliveryStatus, ReleaseOrder};
pub(crate) use errors::fault_response;
pub use events::ChangedAttributes;
pub(crate) use model::{IroncladData, User};
pub use rate_limit::IroncladRateLimits;
pub(crate) use rate_limit::RateLimiter;
pub(crate) use templates::{FINANCE_APPROVER_EMAIL, LEGAL_APPROVER_EMAIL, Template};
pub use templates::{
    FieldKind, FieldSeed, MSA_SIGNER_EMAIL_ID, MSA_SIGNER_NAME_ID, RoleKind, RoleSeed, TemplateSeed,
};

use crate::signing::WebhookSigner;

/// Knobs of the Ironclad emulator that do not change while it runs.
#[derive(Debug, Clone)]
pub(crate) struct IroncladSettings {
    /// Size of generated signed copies (0 = the PDF's natural size, about 1 KB).
    pub(crate) signed_copy_size: u64,
    /// `GET /workflows/async/{id}` answers `in_progress` this many times first.
    pub(crate) async_polls: u32,
    /// Accept `http://` webhook targets on loopback hosts (the real service wants HTTPS).
    pub(crate) allow_http_loopback_targets: bool,
}

/// The emulator's shared state.
pub(crate) struct IroncladState {
    pub(crate) data: Mutex<IroncladData>,
    /// The host root (`http://127.0.0.1:<port>/`).
    pub(crate) base_url: Url,
    pub(crate) company_id: String,
    pub(crate) auth: IroncladAuth,
    pub(crate) signer: WebhookSigner,
    pub(crate) deliveries: DeliveryHub,
    pub(crate) settings: IroncladSettings,
}

impl IroncladState {
    pub(crate) fn data(&self) -> MutexGuard<'_, IroncladData> {
        self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn origin(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// `http://127.0.0.1:<port>/public/api/v1`.
    pub(crate) fn api_root(&self) -> String {
        format!("{}/public/api/v1", self.origin())
    }
}

/// The emulator's routes.
pub(crate) fn router(state: Arc<IroncladState>) -> Router {
    let api = Router::new()
        .route("/workflows", get(workflows::list).post(workflows::launch))
        .route("/workflows/async", post(workflows::launch_async))
        .route("/workflows/async/{job}", get(workflows::async_status))
        .route("/workflows/{id}", get(workflows::retrieve))
        .route("/workflows/{id}/attributes", patch(workflows::update_attributes))
        .route("/workflows/{id}/approvals", get(approvals::list))
        .route("/workflows/{id}/approvals/{role}", patch(approvals::update))
        .route("/workflows/{id}/documents", get(documents::list))
        .route("/workflows/{id}/document/{key}/download", get(documents::download))
        .route("/workflow-schemas", get(workflows::schemas))
        .route("/workflow-schemas/{id}", get(workflows::schema))
        .route("/records", get(records::list))
        .route("/records/{id}", get(records::retrieve))
        .route("/records/{id}/attachments/{key}", get(records::attachment))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/verification-key", get(webhooks::verification_key))
        .route(
            "/webhooks/{id}",
            get(webhooks::retrieve).patch(webhooks::update).delete(webhooks::delete),
        )
        .fallback(|| async { errors::IcError::no_route() })
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    Router::new()
        .nest("/public/api/v1", api)
        .route("/oauth/token", post(auth::token))
        .route("/workflow/{id}", get(workflow_page))
        .layer(middleware::map_response(add_request_id))
        .with_state(state)
}

/// Every response carries `x-ironclad-requestid` (<https://developer.ironcladapp.com/reference>).
async fn add_request_id(mut response: Response) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-ironclad-requestid", value);
    }
    response
}

/// `GET /workflow/{id}`: the page a workflow URL opens (a stand-in for Ironclad's web app).
async fn workflow_page(
    State(state): State<Arc<IroncladState>>,
    Path(id): Path<String>,
) -> Response {
    let data = state.data();
    let Some(index) = data.workflow_index(&id) else {
        return (http::StatusCode::NOT_FOUND, Html("<h1>Workflow not found</h1>".to_owned()))
            .into_response();
    };
    let workflow = &data.workflows[index];
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    Html(format!(
        "<!doctype html><title>{title}</title><h1>{title}</h1><p>{readable} · step {step} · status {status}</p>",
        title = escape(&workflow.title),
        readable = workflow.readable_id(),
        step = escape(&workflow.step),
        status = escape(&workflow.status),
    ))
    .into_response()
}
