#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod excerpt;
pub mod governor;
pub mod json_decimal;
pub mod pem;
pub mod retry;
pub mod retry_after;
pub mod secret_header;
pub mod token_cache;
pub mod transport;

pub use excerpt::{BODY_EXCERPT_LIMIT, body_excerpt};
pub use retry::{Outcome, Replay, RetryDecision, RetryPolicy, decide};
pub use retry_after::{parse_retry_after, retry_after_from_headers};
pub use secret_header::{InvalidToken, bearer_header};
pub use token_cache::{AccessToken, TokenCache};
pub use transport::{InsecureTransport, check_bearer_transport, is_loopback};
