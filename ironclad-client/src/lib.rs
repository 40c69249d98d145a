#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

// One namespacing rule for the workspace's clients: `Client`, `ClientBuilder`, `Error` and
// `Result` at the root, everything else in exactly one area module (see CONTRIBUTING.md).

pub mod auth;
mod client;
pub mod download;
mod environment;
pub mod error;
mod http;
mod ids;
pub mod paging;
mod rate_limit;
pub mod records;
mod serde_util;
mod string_enum;
mod upload;
pub mod values;
pub mod webhooks;
pub mod workflows;

pub use client::{Client, ClientBuilder};
pub use error::definitions::{Error, Result};

pub mod config {
    //! How a [`Client`](crate::Client) talks to Ironclad: the [`Environment`] (region or base
    //! URL), the [`RetryPolicy`] and the client-side [`RateLimits`].

    pub use crate::environment::{API_PATH, Environment};
    pub use crate::rate_limit::{RateLimitBucket, RateLimits};
    pub use rest_client_core::RetryPolicy;
}
