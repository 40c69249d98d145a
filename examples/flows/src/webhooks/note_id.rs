//! Deterministic note ids: the same event (or completion) always names the same note, so a
//! retried create finds its earlier success instead of adding a second note.

use uuid::Uuid;

/// The UUID v5 namespace of this integration's notes (a fixed random UUID).
const NAMESPACE: Uuid = Uuid::from_u128(0x6f3c_2a1e_9d4b_4c7a_8e21_5b0f_4d3c_2a19);

/// The note of an approval event: one per `X-Ironclad-Webhook-Event-Id`.
pub(crate) fn approval_note(event_id: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("approval:{event_id}").as_bytes())
}

/// The signed-copy note of a completed workflow: one per workflow, whatever the event that
/// reports the completion and wherever the document was found (its record, or the workflow's
/// `signed` document).
pub(crate) fn signed_copy_note(workflow_id: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("signed-copy:{workflow_id}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(approval_note("webhookEvent1"), approval_note("webhookEvent1"));
        assert_ne!(approval_note("webhookEvent1"), approval_note("webhookEvent2"));
        assert_ne!(signed_copy_note("w"), signed_copy_note("w2"));
        assert_eq!(approval_note("webhookEvent1").get_version_num(), 5);
    }
}
