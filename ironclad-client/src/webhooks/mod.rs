//! Webhooks: subscriptions (`/webhooks`), the verification key, delivery types and signature
//! verification.

#[cfg(feature = "axum")]
mod axum;
mod delivery;
mod event;
mod js_json;
mod key;
mod pem;
mod signing;
mod subscriptions;
mod verifier;
mod verify;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use self::axum::{VerifiedWebhook, WebhookRejection};
pub use delivery::{WebhookDelivery, WebhookPayload};
pub use event::WebhookEvent;
pub use key::VerificationKey;
pub use signing::{SignedHeaders, TestSigner};
pub use subscriptions::{NewWebhook, Webhook, WebhookStatus, WebhookUpdate, Webhooks};
pub use verifier::WebhookVerifier;
pub use verify::{
    EVENT_ID_HEADER, VERIFICATION_HEADER, VerificationHeader, VerifyError, signature_headers,
    verify_delivery, verify_signature,
};

pub use crate::ids::WebhookId;
