//! Typed ids: a workflow id cannot be passed where a record id is expected.
//!
//! Each id is the plain string Ironclad sends (it serializes as that string), converts from
//! `&str` and `String` (a readable id such as `IC-123` works wherever the API takes one), and
//! dereferences to `str`.

use std::borrow::Borrow;
use std::convert::Infallible;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident ($what:literal) in $module:literal, example $example:literal) => {
        $(#[$doc])*
        ///
        /// ```
        #[doc = concat!("use ironclad_client::", $module, "::", stringify!($name), ";")]
        ///
        #[doc = concat!("let id = ", stringify!($name), "::from(\"", $example, "\");")]
        #[doc = concat!("assert_eq!(id, \"", $example, "\");")]
        #[doc = concat!("assert_eq!(serde_json::to_string(&id)?, r#\"\"", $example, "\"\"#);")]
        /// # Ok::<(), serde_json::Error>(())
        /// ```
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned `String`.
            pub fn into_string(self) -> String {
                self.0
            }

            /// `id` as a URL path segment: never empty, never a dot segment.
            pub(crate) fn segment(id: impl Into<Self>) -> Result<String, crate::Error> {
                crate::http::id_segment($what, &id.into())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&String> for $name {
            fn from(id: &String) -> Self {
                Self(id.clone())
            }
        }

        /// Pass an id you keep using: `get(&workflow.id)`.
        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = Infallible;
            fn from_str(id: &str) -> Result<Self, Infallible> {
                Ok(Self::from(id))
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

id_type! {
    /// A workflow id: the 24-character id (`6a6b328004308879e7d439b6`) or the readable one
    /// (`IC-123`); the API takes either.
    ///
    /// Methods take `impl Into<WorkflowId>`: a `WorkflowId` (or `&WorkflowId`) from a response,
    /// or text you hold. Another kind of id does not convert, so it cannot be passed by mistake:
    ///
    /// ```compile_fail
    /// # async fn demo(client: ironclad_client::Client, record: ironclad_client::records::Record) {
    /// let workflow = client.workflows().get(&record.id).await; // a RecordId: does not compile
    /// # }
    /// ```
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let workflow = client.workflows().get("IC-123").await?;
    /// let approvals = client.workflows().approvals(&workflow.id).await?;
    /// # let _ = approvals; Ok(()) }
    /// ```
    WorkflowId ("workflow id") in "workflows", example "IC-123"
}

id_type! {
    /// A workflow template id (`68dc41e5a7987b1e623e4711`), as in a workflow's `template` and
    /// `GET /workflow-schemas/{id}`.
    TemplateId ("template id") in "workflows", example "68dc41e5a7987b1e623e4711"
}

id_type! {
    /// A workflow comment id.
    CommentId ("comment id") in "workflows", example "6a6b3ea2f4c9b1a2d3e4f567"
}

id_type! {
    /// The id of an asynchronous launch job (`POST /workflows/async`).
    AsyncJobId ("job id") in "workflows", example "6a6b3e9b1c2d3e4f5a6b7c8d"
}

id_type! {
    /// A repository record id: the record's UUID or its readable id (`IC-31`); the API takes
    /// either.
    RecordId ("record id") in "records", example "IC-31"
}

id_type! {
    /// A webhook subscription id.
    WebhookId ("webhook id") in "webhooks", example "67535d36de552a07db17c508"
}
