#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

// One namespacing rule for the workspace's clients: `Client`, `ClientBuilder`, `Error` and
// `Result` at the root, everything else in exactly one area module (see CONTRIBUTING.md).

pub mod aggregate;
pub mod auth;
pub mod batch;
pub mod bulk;
pub mod changes;
mod client;
pub mod error;
pub mod fetchxml;
pub mod files;
mod governor;
mod http;
pub mod metadata;
pub mod metadata_document;
pub mod notes;
mod odata;
pub mod operations;
mod options;
pub mod paging;
pub mod query;
pub mod records;
pub mod typed;
pub mod whoami;

pub use client::{Client, ClientBuilder};
pub use error::definitions::{Error, Result};
pub use rest_client_core::json_decimal;

pub mod config {
    //! How a [`Client`](crate::Client) sends requests: the [`RetryPolicy`], the
    //! throughput governor's [`GovernorLimits`], and
    //! [`RequestOptions`] for every request (impersonation, bypassing business logic, duplicate
    //! detection, headers, a timeout) or for one.

    pub use crate::governor::{DOP_HINT, GovernorStatus, REMAINING_REQUESTS, REMAINING_TIME};
    pub use crate::options::{BypassLogic, RequestOptions};
    pub use rest_client_core::RetryPolicy;
    pub use rest_client_core::governor::GovernorLimits;
}
