//! The Dataverse Web API emulator (OData v4 under `/api/data/v9.2/`).
//!
//! A generic in-memory OData store. Its tables come from a `$metadata` document
//! ([`DataverseSchema::from_csdl`](DataverseSchema)) or are built in code ([`EntitySetDef`]); the
//! default schema holds a custom Agreement table plus accounts, contacts, opportunities,
//! currencies, notes and users. What is emulated, each following Microsoft's Web API
//! documentation (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/overview>):
//!
//! - CRUD: `POST` → `204` + `OData-EntityId`, or `201` + body with
//!   `Prefer: return=representation`; `GET` with `$select`/`$expand`; conditional `GET` (`304`);
//!   `PATCH` as upsert, with `If-Match: *` (→ 404 when missing), `If-None-Match: *` (→ 412 when
//!   present) and `If-Match: W/"n"` optimistic concurrency (→ 412); `DELETE`; single-property
//!   `GET`/`PUT`/`DELETE`; rows addressed by id or alternate key; lookups read as `_x_value` and
//!   written with case-sensitive `<nav>@odata.bind`; collection-valued navigation properties,
//!   `$ref` associate/disassociate; deep insert.
//! - Queries: `$select`, `$filter` (with `LIKE` wildcards), `$orderby`, `$top`, `$count`, nested
//!   `$expand` (single- and collection-valued), `Prefer: odata.maxpagesize` with
//!   `@odata.nextLink`/`$skiptoken`, formatted values and lookup annotations with
//!   `Prefer: odata.include-annotations`; FetchXML with paging cookies; change tracking with
//!   delta links.
//! - `$batch` with change sets and Content-ID references.
//! - Notes: base64 `documentbody` with `filesize`, `GET …/documentbody/$value`, the
//!   `MaxUploadFileSize` limit, and the block upload/download messages.
//! - `$metadata`, `WhoAmI`, errors and service protection (429 + `Retry-After`) in the real
//!   shapes; per-user service protection limits when configured ([`ServiceProtection`]:
//!   requests and execution time per sliding window, concurrent requests, `x-ms-dop-hint` and
//!   the remaining-budget headers); 401 with a `WWW-Authenticate` challenge; an Entra-like token endpoint.
//!
//! - File and image columns: single-request, chunked and block uploads, ranged and block
//!   downloads, deletes (see `files`).
//! - Bulk messages, custom APIs (also declared as JSON over the control surface), read-only
//!   table definitions, `$apply` and FetchXML aggregates, system and personal views.
//!
//! Not emulated: lambda operators and most `Microsoft.Dynamics.CRM.*` query functions,
//! plug-ins and business rules (refused with a 400 that says so); the Search API, background
//! operations and metadata writes (a 501 that says so).

mod apply;
mod attribute_definitions;
mod auth;
mod batch;
mod bulk;
mod cell;
mod changes;
mod collection;
mod control;
mod csdl_writer;
mod custom_api;
mod declared_api;
mod entity_definitions;
mod errors;
mod fetch_aggregate;
mod fetchxml;
mod files;
mod filter;
mod handlers;
mod keys;
mod like;
mod metadata;
mod metadata_filter;
mod notes;
mod odata_query;
mod paging;
mod protection;
mod relations;
mod render;
mod reply;
mod request;
mod schema;
mod store;
mod tables;
mod views;
mod xml;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, post};
use url::Url;

pub(crate) use auth::DataverseAuth;
pub use control::{Agreement, DataverseControl, NewAgreement, Note};
pub use custom_api::{CustomApi, CustomApiCall, CustomApiError, ParameterType};
pub(crate) use errors::fault_response;
pub use metadata::MetadataError;
pub(crate) use protection::Protection;
pub use protection::ServiceProtection;
pub use schema::{
    Access, AlternateKeyDef, CollectionKind, CollectionNavigationDef, ColumnDef, ColumnKind,
    DataverseSchema, EntitySetDef, NavigationDef,
};
pub(crate) use store::{Store, StoreLimits};
pub use tables::{
    ACCOUNTS, AGREEMENT_TYPE_MSA, AGREEMENTS, ANNOTATIONS, CONTACTS, CURRENCIES, OPPORTUNITIES,
    SYSTEM_USERS,
};
pub(crate) use views::seed_system_views;
pub use views::{ACTIVE_ACCOUNTS_VIEW, ACTIVE_CONTACTS_VIEW};

/// The emulator's shared state.
pub(crate) struct DataverseState {
    pub(crate) store: Mutex<Store>,
    pub(crate) auth: DataverseAuth,
    /// The environment URL (`http://127.0.0.1:<port>/`).
    pub(crate) environment_url: Url,
    pub(crate) organization_id: uuid::Uuid,
    pub(crate) business_unit_id: uuid::Uuid,
    pub(crate) uploads: Mutex<HashMap<String, notes::BlockUpload>>,
    pub(crate) downloads: Mutex<HashMap<String, notes::DownloadTarget>>,
    /// Chunked uploads of file columns in progress, by `sessiontoken`.
    file_sessions: Mutex<HashMap<String, files::UploadSession>>,
    /// The chunk size announced in `x-ms-chunk-size`.
    file_chunk_size: std::sync::atomic::AtomicUsize,
    /// The custom APIs: the sandbox's own and those registered.
    custom_apis: Mutex<Vec<CustomApi>>,
    /// Service protection per user (off unless configured).
    pub(crate) protection: Protection,
}

impl DataverseState {
    pub(crate) fn new(
        store: Store,
        auth: DataverseAuth,
        environment_url: Url,
        protection: Option<ServiceProtection>,
    ) -> Self {
        Self {
            store: Mutex::new(store),
            auth,
            environment_url,
            organization_id: uuid::Uuid::new_v4(),
            business_unit_id: uuid::Uuid::new_v4(),
            uploads: Mutex::new(HashMap::new()),
            downloads: Mutex::new(HashMap::new()),
            file_sessions: Mutex::new(HashMap::new()),
            file_chunk_size: std::sync::atomic::AtomicUsize::new(files::DEFAULT_CHUNK_SIZE),
            custom_apis: Mutex::new(custom_api::builtin()),
            protection: Protection::new(protection),
        }
    }

    /// The custom APIs.
    pub(crate) fn custom_apis(&self) -> Vec<CustomApi> {
        self.custom_apis.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Add (or replace) a custom API.
    pub(crate) fn register_custom_api(&self, api: CustomApi) {
        let mut apis = self.custom_apis.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        apis.retain(|existing| existing.name() != api.name());
        apis.push(api);
    }

    /// The chunked uploads of file columns in progress.
    pub(crate) fn file_sessions(&self) -> MutexGuard<'_, HashMap<String, files::UploadSession>> {
        self.file_sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The chunk size the emulator announces for file columns (`x-ms-chunk-size`).
    pub(crate) fn file_chunk_size(&self) -> usize {
        self.file_chunk_size.load(std::sync::atomic::Ordering::Relaxed).max(1)
    }

    /// Announce `bytes` as the chunk size for file columns.
    pub(crate) fn set_file_chunk_size(&self, bytes: usize) {
        self.file_chunk_size.store(bytes.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `http://127.0.0.1:<port>` without the trailing slash, for building absolute URLs.
    pub(crate) fn origin(&self) -> &str {
        self.environment_url.as_str().trim_end_matches('/')
    }
}

/// The largest request body: Dataverse takes single requests up to 128 MB
/// (<https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data>),
/// so a too-large note is refused by the note rules (`0x80044a02`), not by the transport.
const MAX_REQUEST_BODY: usize = 129 * 1024 * 1024;

/// The emulator's routes.
pub(crate) fn router(state: Arc<DataverseState>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .route("/api/data/{*rest}", any(handlers::api))
        .route("/api/search/{*rest}", any(handlers::not_emulated_api))
        .route("/api/backgroundoperation/{*rest}", any(handlers::not_emulated_api))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .with_state(state)
}
