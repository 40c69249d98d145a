//! The redelivery key: what makes two deliveries "the same change".
//!
//! Dataverse retries a webhook once on 502/503/504, and Power Automate's HTTP action retries on
//! 429 and 5xx; both resend the same body. A delivery is only ever answered `duplicate` when a
//! **delivery identity** says it is a resend, in this order:
//!
//! 1. **`RequestId`, else `OperationId`** of a `RemoteExecutionContext` (stable across resends
//!    of one operation), with the message and the contact id.
//! 2. **`x-request-id`** (research §4.2: unique per request; whether a retry keeps it is not
//!    documented 🟡), with the contact id.
//! 3. **`x-ms-workflow-run-id`**, the Power Automate run that sent the body (🟡: the header
//!    Logic Apps runs send; one run of the generated flow sends one change, and its retries keep
//!    the run id), with the contact id.
//!
//! Without any of them there is no key: the delivery is applied. A body is not an identity: a
//! contact changed A → B → A sends the same body twice, and treating the second as a resend
//! would keep B. Applying an identical body again is harmless (the values are set, not added);
//! losing a change is not. For the same reason `x-ms-correlation-request-id` is not used: every
//! operation of one chain shares it.
//!
//! Every key also includes the connection id.

use dataverse_webhook_types::WebhookDelivery;
use dataverse_webhook_types::headers::REQUEST_ID;
use http::HeaderMap;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::config::ConnectionId;

/// The header a Power Automate (Logic Apps) run sends with the id of the run 🟡.
pub const FLOW_RUN_ID: &str = "x-ms-workflow-run-id";

/// A redelivery key and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DedupeKey {
    digest: [u8; 32],
    source: &'static str,
}

impl DedupeKey {
    /// The key bytes stored in the database.
    pub(crate) fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// `source:hex-prefix`, for the sync log.
    pub(crate) fn label(&self) -> String {
        let hex: String = self.digest[..8].iter().map(|byte| format!("{byte:02x}")).collect();
        format!("{}:{hex}", self.source)
    }

    /// The key of a delivery (see the module docs for the order), or `None` when nothing
    /// identifies the delivery.
    pub(crate) fn of(
        connection: &ConnectionId,
        delivery: &WebhookDelivery,
        headers: &HeaderMap,
        contact: Uuid,
    ) -> Option<Self> {
        let context = &delivery.context;
        let contact = contact.as_bytes().as_slice();
        if let Some(operation) = context.request_id.or(context.operation_id) {
            let message = delivery.message();
            let parts = [operation.as_bytes().as_slice(), message.as_str().as_bytes(), contact];
            return Some(Self::hash(connection, "operation", &parts));
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        if let Some(request) = header(REQUEST_ID) {
            return Some(Self::hash(connection, "x-request-id", &[request.as_bytes(), contact]));
        }
        header(FLOW_RUN_ID)
            .map(|run| Self::hash(connection, "flow-run", &[run.as_bytes(), contact]))
    }

    fn hash(connection: &ConnectionId, source: &'static str, parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        // Length-prefix every part so ("ab","c") and ("a","bc") differ.
        for part in [connection.as_str().as_bytes(), source.as_bytes()].iter().chain(parts) {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Self { digest: hasher.finalize().into(), source }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const CONTACT: Uuid = uuid::uuid!("6d81597f-0f9f-e711-8122-000d3aa2331c");

    fn key(
        body: &str,
        headers: &[(&'static str, &'static str)],
        connection: &str,
    ) -> Option<DedupeKey> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        let delivery = WebhookDelivery::parse(&map, body.as_bytes()).unwrap();
        DedupeKey::of(&ConnectionId::parse(connection).unwrap(), &delivery, &map, CONTACT)
    }

    const FLOW_BODY: &str = r#"{"MessageName":"Update","PrimaryEntityName":"contact","InputParameters":[{"key":"Target","value":{"firstname":"A"}}]}"#;
    const OTHER_FLOW_BODY: &str = r#"{"MessageName":"Update","PrimaryEntityName":"contact","InputParameters":[{"key":"Target","value":{"firstname":"B"}}]}"#;

    #[test]
    fn operation_id_wins_and_ignores_formatting() {
        let compact = r#"{"MessageName":"Update","OperationId":"4af10637-4ea2-e711-8122-000d3aa2331c","PrimaryEntityName":"contact"}"#;
        let spaced = r#"{ "MessageName": "Update", "OperationId": "4af10637-4ea2-e711-8122-000d3aa2331c", "PrimaryEntityName": "contact" }"#;
        let a = key(compact, &[("x-request-id", "r1")], "c").unwrap();
        assert_eq!(a.source, "operation");
        assert_eq!(Some(&a), key(spaced, &[("x-request-id", "r2")], "c").as_ref());
        assert_ne!(Some(&a), key(compact, &[], "other-connection").as_ref());
        let created = compact.replace("\"Update\"", "\"Create\"");
        assert_ne!(Some(&a), key(&created, &[], "c").as_ref(), "the message is part of the key");
    }

    #[test]
    fn request_id_then_flow_run_then_nothing() {
        let request = key(FLOW_BODY, &[("x-request-id", "r1")], "c").unwrap();
        assert_eq!(request.source, "x-request-id");
        assert_eq!(key(FLOW_BODY, &[(FLOW_RUN_ID, "run-1")], "c").unwrap().source, "flow-run");
        assert!(request.label().starts_with("x-request-id:"));
        assert_eq!(request.label().len(), "x-request-id:".len() + 16);
    }

    #[test]
    fn a_body_or_a_correlation_id_is_not_a_delivery_identity() {
        // A contact changed A -> B -> A sends the first body again: it must be applied.
        assert_eq!(key(FLOW_BODY, &[], "c"), None);
        assert_eq!(key(OTHER_FLOW_BODY, &[], "c"), None);
        // One correlation id is shared by every operation of a chain.
        assert_eq!(key(FLOW_BODY, &[("x-ms-correlation-request-id", "k")], "c"), None);
    }
}
