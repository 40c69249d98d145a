//! The Dataverse Web API emulator (OData v4 under `/api/data/v9.2/`).
//!
//! A generic in-memory OData store: tables are configured by entity set name, logical name,
//! primary key and single-valued navigation properties ([`DataverseSchema`]), and the default
//! schema holds the spec's Agreement table plus accounts, opportunities, currencies, notes,
//! contacts and users. What is emulated, each following research dataverse.md:
//!
//! - CRUD (§1.3): `POST` → `204` + `OData-EntityId`, or `201` + body with
//!   `Prefer: return=representation`; `GET` with `$select`/`$expand`; conditional `GET` (`304`);
//!   `PATCH` as upsert, with `If-Match: *` (→ 404 when missing), `If-None-Match: *` (→ 412 when
//!   present) and `If-Match: W/"n"` optimistic concurrency (→ 412); `DELETE`; single-property
//!   `GET`/`PUT`/`DELETE`; lookups read as `_x_value` and written with case-sensitive
//!   `<nav>@odata.bind`.
//! - Queries (§1.4): `$select`, `$filter`, `$orderby`, `$top`, `$count`, nested `$expand`,
//!   `Prefer: odata.maxpagesize` with `@odata.nextLink`/`$skiptoken`, formatted values and lookup
//!   annotations with `Prefer: odata.include-annotations`.
//! - Notes (§2): base64 `documentbody` with `filesize`, `GET …/documentbody/$value`, the
//!   `MaxUploadFileSize` limit, and the block upload/download messages.
//! - Errors (§1.7) and service protection (§1.8) in the real shapes; 401 with a
//!   `WWW-Authenticate` challenge; an Entra-like token endpoint (§1.9).
//!
//! Not emulated: `$batch`, FetchXML, change tracking, alternate keys, deep insert,
//! collection-valued navigation properties, `$metadata`.

mod auth;
mod cell;
mod control;
mod errors;
mod filter;
mod handlers;
mod notes;
mod odata_query;
mod paging;
mod render;
mod schema;
mod store;
mod tables;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, post};
use url::Url;

pub(crate) use auth::DataverseAuth;
pub use control::{Agreement, DataverseControl, NewAgreement, Note};
pub(crate) use errors::fault_response;
pub use schema::{Access, ColumnDef, ColumnKind, DataverseSchema, EntitySetDef, NavigationDef};
pub(crate) use store::{Store, StoreLimits};
pub use tables::{
    ACCOUNTS, AGREEMENT_TYPE_MSA, AGREEMENTS, ANNOTATIONS, CONTACTS, CURRENCIES, OPPORTUNITIES,
    SYSTEM_USERS,
};

/// The emulator's shared state.
pub(crate) struct DataverseState {
    pub(crate) store: Mutex<Store>,
    pub(crate) auth: DataverseAuth,
    /// The environment URL (`http://127.0.0.1:<port>/`).
    pub(crate) environment_url: Url,
    pub(crate) organization_id: uuid::Uuid,
    pub(crate) business_unit_id: uuid::Uuid,
    pub(crate) uploads: Mutex<HashMap<String, notes::BlockUpload>>,
    pub(crate) downloads: Mutex<HashMap<String, uuid::Uuid>>,
}

impl DataverseState {
    pub(crate) fn new(store: Store, auth: DataverseAuth, environment_url: Url) -> Self {
        Self {
            store: Mutex::new(store),
            auth,
            environment_url,
            organization_id: uuid::Uuid::new_v4(),
            business_unit_id: uuid::Uuid::new_v4(),
            uploads: Mutex::new(HashMap::new()),
            downloads: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `http://127.0.0.1:<port>` without the trailing slash, for building absolute URLs.
    pub(crate) fn origin(&self) -> &str {
        self.environment_url.as_str().trim_end_matches('/')
    }
}

/// The largest request body: Dataverse takes single requests up to 128 MB (§2, file columns),
/// so a too-large note is refused by the note rules (`0x80044a02`), not by the transport.
const MAX_REQUEST_BODY: usize = 129 * 1024 * 1024;

/// The emulator's routes.
pub(crate) fn router(state: Arc<DataverseState>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .route("/api/data/{*rest}", any(handlers::api))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .with_state(state)
}
