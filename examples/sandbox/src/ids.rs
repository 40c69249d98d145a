//! Identifier shapes of the two services.
//!
//! Ironclad ids are 24 lowercase hex characters (MongoDB ObjectId style, e.g.
//! `6a6b40b128f91b0daeafb068`), async job ids are 21-character URL-safe strings
//! (`02ZZsOt_eB9EfIE4luV5f`) and webhook event ids are `webhookEvent` followed by 32 hex
//! characters, as the examples of Ironclad's API reference show
//! (<https://developer.ironcladapp.com/reference>). Dataverse uses GUIDs.

use std::sync::atomic::{AtomicU32, Ordering};

use uuid::Uuid;

static OBJECT_ID_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A 24-hex id: 4 bytes of seconds, 5 random bytes, a 3-byte counter (ObjectId layout).
pub(crate) fn object_id() -> String {
    let seconds = time::OffsetDateTime::now_utc().unix_timestamp() as u32;
    let random = fastrand::u64(..) & 0xff_ffff_ffff;
    let counter = OBJECT_ID_COUNTER.fetch_add(1, Ordering::Relaxed) & 0xff_ffff;
    format!("{seconds:08x}{random:010x}{counter:06x}")
}

/// A 21-character URL-safe id (nanoid alphabet).
pub(crate) fn nano_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";
    (0..21).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect()
}

/// An Ironclad webhook event id: `webhookEvent` + 32 hex characters.
pub(crate) fn webhook_event_id() -> String {
    format!("webhookEvent{}", Uuid::new_v4().simple())
}

/// A random token of `len` URL-safe characters (bearer tokens, nonces, continuation tokens).
pub(crate) fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..len).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = object_id();
        assert_eq!(id.len(), 24);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(object_id(), object_id());
        assert_eq!(nano_id().len(), 21);
        let event = webhook_event_id();
        assert!(event.starts_with("webhookEvent") && event.len() == 12 + 32);
    }
}
