//! The Ironclad ⇄ Dynamics flows of spec 004 as library code, shared by the binaries
//! `launch-msa-workflows` and `ironclad-webhooks`, by the `demo` and by the end-to-end tests.
//!
//! | flow | entry point |
//! |---|---|
//! | 1. a new MSA Agreement → an Ironclad workflow, written back | [`LaunchMsaWorkflows`] |
//! | 2. `workflow_attribute_updated` → the Agreement Value (`totalContractValue`) | [`WebhookFlows`] |
//! | 3. `workflow_approval_status_changed` → a note on the Agreement | [`WebhookFlows`] |
//! | 4. `workflow_completed` → the signed PDF as a note, and the Agreement's status | [`WebhookFlows`] |
//!
//! All of them run against real tenants (configured by [`crate::config`]) or against the
//! `dataverse-ironclad-sandbox` emulators, and keep their durable state in [`crate::state`].
//! The Ironclad attribute ids come from the MSA template ([`crate::attributes`]): real
//! templates give standard fields, such as the counterparty signer's, template-specific ids.

#![deny(missing_docs)]

// The README's walkthroughs of the two clients compile as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod config;
pub mod state;

mod agreement;
pub mod attributes;
pub mod cli;
mod context;
mod error;
pub mod launch;
pub mod webhooks;

pub use agreement::{Counterparty, MsaAgreement};
pub use context::FlowContext;
pub use error::FlowError;
pub use launch::{
    AgreementFailed, AgreementLaunched, LaunchHow, LaunchMsaWorkflows, LaunchOptions, RunReport,
};
pub use webhooks::{WebhookFlows, WorkerOptions};
