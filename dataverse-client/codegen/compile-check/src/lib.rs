//! The output of `dataverse-codegen` for two real Dataverse `$metadata` downloads, committed so
//! that CI compiles it (with clippy and rustdoc at `-D warnings`) without the documents.
//! `dataverse-codegen`'s `tests/real_documents.rs` regenerates it when the documents are present
//! and fails if it differs.
#![deny(missing_docs)]

/// Dynamics 365 / Dataverse Web API v9.1 (`account`, `contact`, `annotation`; that
/// environment has no `opportunity`), with every unbound action and function.
#[rustfmt::skip]
pub mod v9_1;

/// Dynamics CRM 2016 (8.x) Web API, downloaded with annotations (`account`, `contact`,
/// `opportunity`, `annotation`, and `campaign` and `list`, two of the four tables
/// `AddItemCampaign` is bound to).
#[rustfmt::skip]
pub mod crm8;
