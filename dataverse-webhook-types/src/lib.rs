#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod auth;
mod collection;
mod context;
mod datetime;
mod entity;
mod error;
#[cfg(feature = "axum")]
mod extractor;
mod getters;
pub mod headers;
mod message;
mod modes;
mod number;
mod parse;
mod receive;
mod value;

pub use auth::{AuthConfigError, AuthError, WebhookAuth};
pub use collection::KeyValueList;
pub use context::{PayloadShape, RemoteExecutionContext, Target};
pub use datetime::{DataverseDateTime, DateTimeParseError};
pub use entity::{Entity, EntityCollection, EntityReference};
pub use error::{ParseError, ParseErrorKind};
pub use getters::{AttributeError, Field, OptionSetChoice};
pub use headers::WebhookHeaders;
pub use message::Message;
pub use modes::{IsolationMode, Mode, Stage};
pub use receive::{DEFAULT_MAX_BODY_BYTES, WebhookConfig, WebhookDelivery, WebhookRejection};
pub use value::{RawJson, Value, ValueKind};
