//! What an [`Error`] carries: Dataverse's error answer ([`ApiError`]), why no
//! token could be obtained ([`AuthError`], also what a custom
//! [`TokenProvider`](crate::auth::TokenProvider) returns), and the refusal to send a bearer token
//! over plain `http://` ([`InsecureTransport`]).
//!
//! [`Error`] and [`Result`] themselves live at the crate root only.

pub(crate) mod definitions;

pub use definitions::{ApiError, AuthError, InsecureTransport};
// The crate's own code names them `crate::error::{Error, Result}`.
pub(crate) use definitions::{Error, Result};
