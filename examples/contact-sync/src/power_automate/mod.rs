//! The Power Automate flow generator of spec 000 "Option 2: Import Template".
//!
//! [`FlowTemplate`] builds the flow that sends every added or modified Dynamics 365 contact to
//! a [`contact_sync`](crate) receiver: the Dataverse trigger "When a row is added,
//! modified or deleted" on Contacts, and an HTTP POST of the spec's body with dynamic content for
//! each column. It is written either as the legacy import package (a zip; see
//! [`FlowTemplate::package_zip`]) or as the bare `definition.json`
//! ([`FlowTemplate::definition_json`]). Every id is derived from the inputs, so the output is
//! reproducible.
//!
//! ```
//! use contact_sync::ConnectionId;
//! use contact_sync::power_automate::{Domain, FlowTemplate};
//!
//! let template = FlowTemplate::new(Domain::parse("app.yourcompany.com")?, ConnectionId::parse("3f2c9a1e")?);
//! let definition = template.workflow_definition();
//! let trigger = &definition["triggers"]["When_a_row_is_added,_modified_or_deleted"]["inputs"];
//! assert_eq!(trigger["parameters"]["subscriptionRequest/entityname"], "contact");
//! assert_eq!(
//!     trigger["parameters"]["subscriptionRequest/filteringattributes"],
//!     "firstname,lastname,emailaddress1,telephone1,statecode"
//! );
//! assert_eq!(
//!     definition["actions"]["HTTP"]["inputs"]["uri"],
//!     "https://app.yourcompany.com/api/crm/webhook/dynamics/3f2c9a1e"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod cli;
mod domain;
mod package;
mod template;

pub use domain::{Domain, InvalidDomain};
pub use package::{PackageError, PackageIds};
pub use template::{
    ACTION_NAME, DATAVERSE_API, FlowTemplate, InvalidColumn, SPEC_COLUMNS, TRIGGER_NAME,
};
