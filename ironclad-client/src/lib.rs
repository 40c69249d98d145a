#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod auth;
mod client;
mod download;
mod environment;
mod error;
mod http;
mod pagination;
mod rate_limit;
pub mod records;
mod schemas;
mod serde_util;
mod string_enum;
mod values;
pub mod webhooks;
mod workflows;

pub use auth::{
    AS_USER_EMAIL_HEADER, AS_USER_ID_HEADER, ActingUser, AuthorizationCode, ClientAuthentication,
    ClientCredentials, Credentials, TokenRefreshCallback, TokenRequestFormat, TokenSet, UserRef,
    authorize_url, exchange_authorization_code,
};
pub use client::{Client, ClientBuilder};
pub use download::{ByteStream, Download};
pub use environment::{API_PATH, Environment};
pub use error::{ApiError, DecodeError, Error, ErrorCode, REQUEST_ID_HEADER};
pub use pagination::{MAX_PAGE_SIZE, Page, Paginated};
pub use rate_limit::{RateLimitBucket, RateLimits};
pub use records::{
    ContractState, ContractStatus, ListRecords, NewRecord, ParentLink, PropertyDefinition, Record,
    RecordAttachment, RecordLink, RecordPatch, RecordSortField, RecordTypeDefinition, Records,
    RecordsMetadata, SortDirection,
};
pub use rest_client_core::RetryPolicy;
pub use schemas::{WorkflowSchema, WorkflowSchemas};
pub use values::{
    Address, AttributeValue, Attributes, ContractDuration, LaunchAttributes, MonetaryAmount,
    PropertyValue, RecordProperty, RecordReference, ValueError,
};
pub use webhooks::{
    NewWebhook, Webhook, WebhookDelivery, WebhookEvent, WebhookPayload, WebhookStatus,
    WebhookUpdate, WebhookVerifier, Webhooks,
};
pub use workflows::{
    ApprovalDecision, ApprovalGroup, ApprovalRequest, ApprovalStatus, AsyncJobStatus, AsyncLaunch,
    AsyncLaunchFailure, AsyncLaunchJob, AsyncPolling, AttributeUpdates, Comment, DocumentAuthor,
    DocumentModification, FieldOptions, FieldRequirement, FieldType, Filter, LaunchWorkflow,
    LifecycleComment, ListWorkflows, NewComment, Participant, Reviewer, Role, RoleAssignee,
    SchemaField, SignStatus, SignStatusSigner, Signer, StageProgress, StageState, Workflow,
    WorkflowApprovals, WorkflowDocument, WorkflowDocuments, WorkflowSignatures, WorkflowStatus,
    WorkflowStep, WorkflowUrls, WorkflowUser, Workflows,
};
