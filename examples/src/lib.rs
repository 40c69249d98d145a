//! The flows of the user's documents as library code, shared by the example binaries in
//! `src/bin/` and by the end-to-end tests, plus [`sandbox`]: loopback emulators of the Dataverse
//! Web API and the Ironclad Public API so every flow runs with no tenant and no network.
//!
//! The Ironclad ⇄ Dynamics flows of spec 004 are in [`flows`] (binaries `launch-msa-workflows`,
//! `ironclad-webhooks` and `demo`), with their settings in [`config`] and their durable state in
//! [`state`]; the Dataverse contact-sync receiver of spec 000 is in [`contact_sync`].

pub mod config;
pub mod contact_sync;
pub mod flows;
pub mod inspect;
pub mod power_automate;
mod redb_support;
pub mod sandbox;
pub mod state;
