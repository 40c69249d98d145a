//! The flows of the user's documents as library code, shared by the example binaries in
//! `src/bin/` and by the end-to-end tests, plus [`sandbox`]: loopback emulators of the Dataverse
//! Web API and the Ironclad Public API so every flow runs with no tenant and no network.

pub mod config;
pub mod contact_sync;
pub mod flows;
pub mod inspect;
pub mod power_automate;
pub mod sandbox;
pub mod state;
