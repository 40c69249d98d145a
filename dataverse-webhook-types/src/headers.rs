//! [`WebhookHeaders`]: the `x-ms-dynamics-*` request headers.

use http::HeaderMap;

use crate::message::Message;

/// `x-ms-dynamics-organization`.
pub const ORGANIZATION: &str = "x-ms-dynamics-organization";
/// `x-ms-dynamics-entity-name`.
pub const ENTITY_NAME: &str = "x-ms-dynamics-entity-name";
/// `x-ms-dynamics-request-name`.
pub const REQUEST_NAME: &str = "x-ms-dynamics-request-name";
/// `x-ms-correlation-request-id`.
pub const CORRELATION_REQUEST_ID: &str = "x-ms-correlation-request-id";
/// `x-request-id`.
pub const REQUEST_ID: &str = "x-request-id";
/// `x-ms-dynamics-msg-size-exceeded`.
pub const MSG_SIZE_EXCEEDED: &str = "x-ms-dynamics-msg-size-exceeded";

/// The headers Dataverse sends with a webhook ([Use webhooks](https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks)).
///
/// Every field is optional: a Power Automate flow sends none of them, and `x-request-id` only
/// appears in newer deliveries. Values that are not visible ASCII are treated as absent.
///
/// The one that changes what a receiver must do is `x-ms-dynamics-msg-size-exceeded`: it is
/// present only when the payload exceeded 256 KB, in which case Dataverse removed
/// `InputParameters`, `ParentContext`, `PreEntityImages` and `PostEntityImages`, so the
/// `Target` is gone and the row must be re-read by `PrimaryEntityName` / `PrimaryEntityId`.
/// [`parameters_and_images_dropped`](Self::parameters_and_images_dropped) says so.
///
/// ```
/// use dataverse_webhook_types::{Message, WebhookHeaders};
/// use http::HeaderMap;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-ms-dynamics-request-name", "Update".parse()?);
/// headers.insert("x-ms-dynamics-entity-name", "contact".parse()?);
/// headers.insert("x-ms-dynamics-msg-size-exceeded", "".parse()?);
/// let parsed = WebhookHeaders::from_headers(&headers);
/// assert_eq!(parsed.message(), Some(Message::Update));
/// assert_eq!(parsed.entity_name.as_deref(), Some("contact"));
/// assert!(parsed.parameters_and_images_dropped());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WebhookHeaders {
    /// `x-ms-dynamics-organization`: the domain of the sending environment.
    pub organization: Option<String>,
    /// `x-ms-dynamics-entity-name`: the table's logical name.
    pub entity_name: Option<String>,
    /// `x-ms-dynamics-request-name`: the message the step is registered on.
    pub request_name: Option<String>,
    /// `x-ms-correlation-request-id`: for loop prevention and support telemetry.
    pub correlation_request_id: Option<String>,
    /// `x-request-id`: the id of this request.
    pub request_id: Option<String>,
    /// Whether `x-ms-dynamics-msg-size-exceeded` was present (its value does not matter).
    pub size_exceeded: bool,
}

impl WebhookHeaders {
    /// Read the Dataverse headers from a request's header map.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        Self {
            organization: text(ORGANIZATION),
            entity_name: text(ENTITY_NAME),
            request_name: text(REQUEST_NAME),
            correlation_request_id: text(CORRELATION_REQUEST_ID),
            request_id: text(REQUEST_ID),
            size_exceeded: headers.contains_key(MSG_SIZE_EXCEEDED),
        }
    }

    /// The normalized `x-ms-dynamics-request-name`.
    pub fn message(&self) -> Option<Message> {
        self.request_name.as_deref().map(Message::from_name)
    }

    /// Whether Dataverse dropped `InputParameters`, `ParentContext` and both image lists
    /// because the payload exceeded 256 KB: the receiver must re-read the row.
    pub fn parameters_and_images_dropped(&self) -> bool {
        self.size_exceeded
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn reads_every_header_and_ignores_what_is_absent_or_unreadable() {
        let mut headers = HeaderMap::new();
        headers.insert(ORGANIZATION, HeaderValue::from_static("contoso.crm.dynamics.com"));
        headers.insert(ENTITY_NAME, HeaderValue::from_static("contact"));
        headers.insert(REQUEST_NAME, HeaderValue::from_static("Create"));
        headers.insert(
            CORRELATION_REQUEST_ID,
            HeaderValue::from_static("b374239d-4233-41a9-8b17-a86cb4f737b5"),
        );
        headers.insert(REQUEST_ID, HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap());
        let parsed = WebhookHeaders::from_headers(&headers);
        assert_eq!(parsed.organization.as_deref(), Some("contoso.crm.dynamics.com"));
        assert_eq!(parsed.entity_name.as_deref(), Some("contact"));
        assert_eq!(parsed.message(), Some(Message::Create));
        assert_eq!(
            parsed.correlation_request_id.as_deref(),
            Some("b374239d-4233-41a9-8b17-a86cb4f737b5")
        );
        assert_eq!(parsed.request_id, None, "non-ASCII value is treated as absent");
        assert!(!parsed.size_exceeded);
        assert!(!parsed.parameters_and_images_dropped());

        assert_eq!(WebhookHeaders::from_headers(&HeaderMap::new()), WebhookHeaders::default());
    }

    #[test]
    fn size_exceeded_is_signalled_by_presence_whatever_the_value() {
        for value in ["", "true", "1"] {
            let mut headers = HeaderMap::new();
            // Header names are case-insensitive on the wire.
            let name = http::HeaderName::from_bytes(b"X-MS-Dynamics-Msg-Size-Exceeded").unwrap();
            headers.insert(name, HeaderValue::from_str(value).unwrap());
            assert!(
                WebhookHeaders::from_headers(&headers).parameters_and_images_dropped(),
                "{value:?}"
            );
        }
    }
}
