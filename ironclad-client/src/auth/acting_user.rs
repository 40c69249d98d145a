//! Who a request acts as, and how request bodies name a user.

use http::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::Error;

/// The header naming the acting user by email.
pub const AS_USER_EMAIL_HEADER: &str = "x-as-user-email";
/// The header naming the acting user by Ironclad user id.
pub const AS_USER_ID_HEADER: &str = "x-as-user-id";

/// The Ironclad user a request acts as (`x-as-user-email` or `x-as-user-id`).
///
/// Required with client-credentials tokens, and with legacy tokens on some endpoints. With an
/// OAuth token, results are filtered to what that user may see and actions are allowed only if
/// that user may perform them.
///
/// ```
/// use ironclad_client::auth::ActingUser;
///
/// let by_email = ActingUser::email("jane.doe@example.com");
/// let by_id = ActingUser::id("5f0375c4cdc1927a3c5edcd3");
/// assert_eq!(by_email.header_name(), "x-as-user-email");
/// assert_eq!(by_id.value(), "5f0375c4cdc1927a3c5edcd3");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActingUser {
    /// By email address (`x-as-user-email`).
    Email(String),
    /// By Ironclad user id (`x-as-user-id`).
    Id(String),
}

impl ActingUser {
    /// Act as the user with this email address.
    pub fn email(email: impl Into<String>) -> Self {
        ActingUser::Email(email.into())
    }

    /// Act as the user with this Ironclad user id.
    pub fn id(id: impl Into<String>) -> Self {
        ActingUser::Id(id.into())
    }

    /// The header this user is sent in.
    pub fn header_name(&self) -> &'static str {
        match self {
            ActingUser::Email(_) => AS_USER_EMAIL_HEADER,
            ActingUser::Id(_) => AS_USER_ID_HEADER,
        }
    }

    /// The email or id.
    pub fn value(&self) -> &str {
        match self {
            ActingUser::Email(value) | ActingUser::Id(value) => value,
        }
    }

    /// The header to send, validated.
    pub(crate) fn header(&self) -> Result<(HeaderName, HeaderValue), Error> {
        let value = self.value().trim();
        if value.is_empty() {
            return Err(Error::InvalidRequest(format!("{} must not be empty", self.header_name())));
        }
        let header = HeaderValue::from_str(value).map_err(|_| {
            Error::InvalidRequest(format!(
                "{} {value:?} contains characters that are not allowed in an HTTP header",
                self.header_name()
            ))
        })?;
        Ok((HeaderName::from_static(self.header_name()), header))
    }
}

/// A user named in a request body: the `creator` of a launch or comment, the `user` of an
/// approval. Serialized as `{"type":"email","email":…}` or `{"type":"id","id":…}`.
///
/// Ironclad requires it with legacy API tokens and ignores it with OAuth tokens.
///
/// ```
/// use ironclad_client::auth::UserRef;
///
/// let json = serde_json::to_string(&UserRef::email("owner@example.com")).unwrap();
/// assert_eq!(json, r#"{"type":"email","email":"owner@example.com"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum UserRef {
    /// By email address.
    Email {
        /// The email address.
        email: String,
    },
    /// By Ironclad user id.
    Id {
        /// The user id.
        id: String,
    },
}

impl UserRef {
    /// The user with this email address.
    pub fn email(email: impl Into<String>) -> Self {
        UserRef::Email { email: email.into() }
    }

    /// The user with this Ironclad user id.
    pub fn id(id: impl Into<String>) -> Self {
        UserRef::Id { id: id.into() }
    }
}

impl From<ActingUser> for UserRef {
    fn from(value: ActingUser) -> Self {
        match value {
            ActingUser::Email(email) => UserRef::Email { email },
            ActingUser::Id(id) => UserRef::Id { id },
        }
    }
}
