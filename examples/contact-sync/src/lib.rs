//! The contact-sync receiver: Dynamics 365 / Dataverse contact changes → a user store,
//! idempotent and ordered (spec 000, "Real-time Webhooks with Power Automate").
//!
//! A Power Automate flow (spec step 4) or a webhook registered with the Plug-in Registration
//! Tool POSTs each contact change to `/api/crm/webhook/dynamics/{connection_id}`. The receiver
//!
//! 1. finds the connection (404 if unknown) and checks its webhook authentication (401);
//! 2. reads at most the body limit (413) and parses either payload shape with
//!    [`dataverse_webhook_types`] (400 with the reason if it is not a payload);
//! 3. turns it into a [`ContactChange`] through the connection's [`FieldMappings`] (400 if it
//!    is not a contact change): `MessageName` synonyms are normalized, `""` from empty dynamic
//!    content never wipes a value, `statecode` 0/"0"/"Active" is active and 1/"1"/"Inactive"
//!    is inactive;
//! 4. applies it in **one** transaction together with its sync-log entry and its redelivery
//!    marker ([`Store`]: an embedded redb file, or PostgreSQL shared by any number of
//!    replicas): a redelivered change is answered as `duplicate`, a change
//!    older (by `modifiedon`) than one already applied is `ignored-stale`, a create/update
//!    upserts the user matched by CRM contact id then email (or creates one when the
//!    connection's `auto_create` is on), and a delete deactivates and unlinks the user;
//! 5. answers 200 with the [`SyncOutcome`] and the user id.
//!
//! Every request, accepted or rejected, is written to the sync log, readable at
//! `GET /api/crm/connections/{connection_id}/sync-log?limit=N`.
//!
//! ```no_run
//! use contact_sync::{Connection, ConnectionId, ContactSync, Store, SyncConfig, serve};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let connection = Connection::new(ConnectionId::parse("contoso")?, "Contoso").with_auto_create(true);
//! let app = ContactSync::new(SyncConfig::new([connection])?, Store::open("users.redb".as_ref())?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! serve(listener, app, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod change;
pub mod cli;
mod config;
mod dedupe;
pub mod demo;
mod mapping;
mod outcome;
pub mod power_automate;
mod server;
mod store;

pub use change::{ChangeError, ChangeKind, ContactChange, FieldUpdate};
pub use config::{
    ConfigError, Connection, ConnectionId, InvalidConnectionId, Retention, SyncConfig,
};
pub use dedupe::FLOW_RUN_ID;
pub use mapping::{FieldMappings, MappingError, UserField};
pub use outcome::SyncOutcome;
pub use server::{ContactSync, DEFAULT_LOG_LIMIT, MAX_LOG_LIMIT, serve};
pub use store::{Applied, NewUser, Store, StoreError, SyncLogEntry, User};
