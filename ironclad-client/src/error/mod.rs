//! What an [`Error`](crate::Error) carries: Ironclad's decoded error body ([`ApiError`] with its
//! [`ErrorCode`]) and the details of a response that could not be decoded ([`DecodeError`]).
//!
//! [`Error`](crate::Error) and [`Result`](crate::Result) themselves live at the crate root only.

pub(crate) mod definitions;

pub(crate) use definitions::request_id;
pub use definitions::{ApiError, DecodeError, ErrorCode, REQUEST_ID_HEADER};
