#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod auth;
mod batch;
mod changes;
mod client;
mod error;
mod fetchxml;
mod governor;
mod http;
mod metadata_document;
mod notes;
mod odata;
mod options;
mod paging;
mod query;
mod records;
pub mod typed;
mod whoami;

#[cfg(feature = "azure-identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
pub use auth::AzureIdentityCredential;
pub use auth::{AccessToken, ClientSecretCredential, StaticToken, TokenProvider, TokenRequest};
pub use batch::{
    Batch, BatchOutcome, BatchRequest, BatchResponse, BatchResults, ChangeSet, ContentId,
    ExecuteBatch, InterruptedBatch, MAX_BATCH_REQUESTS,
};
pub use changes::{Change, Changes, ChangesRequest, DeltaLink};
pub use client::{Client, ClientBuilder};
pub use error::{ApiError, AuthError, Error, InsecureTransport, Result};
pub use fetchxml::FetchXmlRequest;
pub use governor::{DOP_HINT, GovernorStatus, REMAINING_REQUESTS, REMAINING_TIME};
pub use metadata_document::MetadataDocument;
pub use notes::{AUTO_BLOCK_THRESHOLD, CreateNote, Document, DocumentStream, NewNote, UploadMode};
pub use options::{BypassLogic, RequestOptions};
pub use paging::{Page, Pages, QueryRequest, Records};
pub use query::{Expand, FORMATTED_VALUE, Filter, Literal, MAX_PAGE_SIZE, Query, literal};
pub use records::{
    Conditional, Create, CreateAndReturn, Delete, Lookup, Record, RecordExt, RecordKey, RefRequest,
    Retrieve, RetrieveIfModified, Update, UpdateAndReturn, Upsert, bind_path,
};
pub use rest_client_core::governor::GovernorLimits;
pub use rest_client_core::{RetryPolicy, json_decimal};
pub use whoami::WhoAmI;
