//! The webhook event types.

use crate::string_enum::string_enum;

string_enum! {
    /// A webhook event type: every value of Ironclad's `WebhookEvent` enum, the obligation and
    /// deletion events seen in newer third-party integrations, and [`WebhookEvent::Other`] for
    /// anything newer.
    ///
    /// ```
    /// use ironclad_client::webhooks::WebhookEvent;
    ///
    /// assert_eq!(WebhookEvent::from("workflow_completed"), WebhookEvent::WorkflowCompleted);
    /// assert_eq!(WebhookEvent::All.as_str(), "*");
    /// assert!(!WebhookEvent::from("workflow_teleported").is_known());
    /// ```
    pub enum WebhookEvent {
        /// `*`: every event (discouraged by Ironclad).
        All = "*",
        /// A workflow was launched.
        WorkflowLaunched = "workflow_launched",
        /// Anything changed on a workflow (comments, edits, …).
        WorkflowUpdated = "workflow_updated",
        /// A workflow was cancelled.
        WorkflowCancelled = "workflow_cancelled",
        /// A workflow completed.
        WorkflowCompleted = "workflow_completed",
        /// An approval changed status (approvalID, approvalName, status, userID, userEmail).
        WorkflowApprovalStatusChanged = "workflow_approval_status_changed",
        /// Workflow attributes were updated.
        WorkflowAttributeUpdated = "workflow_attribute_updated",
        /// A comment was added.
        WorkflowCommentAdded = "workflow_comment_added",
        /// A comment was removed.
        WorkflowCommentRemoved = "workflow_comment_removed",
        /// A comment was edited.
        WorkflowCommentUpdated = "workflow_comment_updated",
        /// A reaction was added to a comment.
        WorkflowCommentReactionAdded = "workflow_comment_reaction_added",
        /// A reaction was removed from a comment.
        WorkflowCommentReactionRemoved = "workflow_comment_reaction_removed",
        /// A counterparty was invited.
        WorkflowCounterpartyInviteSent = "workflow_counterparty_invite_sent",
        /// A counterparty invitation was revoked.
        WorkflowCounterpartyInviteRevoked = "workflow_counterparty_invite_revoked",
        /// Documents were added (documentKeys).
        WorkflowDocumentsAdded = "workflow_documents_added",
        /// Documents were removed (documentKeys).
        WorkflowDocumentsRemoved = "workflow_documents_removed",
        /// Documents were updated (documentKeys).
        WorkflowDocumentsUpdated = "workflow_documents_updated",
        /// Documents were renamed (documentKeys).
        WorkflowDocumentsRenamed = "workflow_documents_renamed",
        /// A document was edited.
        WorkflowDocumentEdited = "workflow_document_edited",
        /// The turn changed sides.
        WorkflowChangedTurn = "workflow_changed_turn",
        /// A workflow was paused.
        WorkflowPaused = "workflow_paused",
        /// A workflow was resumed.
        WorkflowResumed = "workflow_resumed",
        /// A signature packet was cancelled.
        WorkflowSignaturePacketCancelled = "workflow_signature_packet_cancelled",
        /// A document was moved in or out of the signature packet.
        WorkflowSignaturePacketDocumentMoved = "workflow_signature_packet_document_moved",
        /// Every signer signed.
        WorkflowSignaturePacketFullySigned = "workflow_signature_packet_fully_signed",
        /// A signature packet was sent.
        WorkflowSignaturePacketSent = "workflow_signature_packet_sent",
        /// Signatures were collected.
        WorkflowSignaturePacketSignaturesCollected = "workflow_signature_packet_signatures_collected",
        /// A signer opened the packet for the first time.
        WorkflowSignaturePacketSignerFirstViewed = "workflow_signature_packet_signer_first_viewed",
        /// A signer opened the packet.
        WorkflowSignaturePacketSignerViewed = "workflow_signature_packet_signer_viewed",
        /// A signed packet was uploaded.
        WorkflowSignaturePacketUploaded = "workflow_signature_packet_uploaded",
        /// A signer was added.
        WorkflowSignerAdded = "workflow_signer_added",
        /// A signer was removed.
        WorkflowSignerRemoved = "workflow_signer_removed",
        /// A signer was reassigned.
        WorkflowSignerReassigned = "workflow_signer_reassigned",
        /// The workflow moved to another step.
        WorkflowStepUpdated = "workflow_step_updated",
        /// Roles were assigned.
        WorkflowRolesAssigned = "workflow_roles_assigned",
        /// A record's contract status changed.
        RecordContractStatusChanged = "record_contract_status_changed",
        /// An obligation was created (not in the first-party spec; seen in newer integrations).
        ObligationCreated = "obligation_created",
        /// An obligation's status changed (not in the first-party spec).
        ObligationStatusChanged = "obligation_status_changed",
        /// An obligation's due date changed (not in the first-party spec).
        ObligationDueDateChanged = "obligation_due_date_changed",
        /// An obligation's assignee changed (not in the first-party spec).
        ObligationAssigneeChanged = "obligation_assignee_changed",
        /// An obligation was updated (not in the first-party spec).
        ObligationUpdated = "obligation_updated",
        /// Obligation extraction finished (not in the first-party spec).
        ObligationsExtractionCompleted = "obligations_extraction_completed",
        /// A workflow was deleted (not in the first-party spec).
        WorkflowDeleted = "workflow_deleted",
    }
}

impl WebhookEvent {
    /// Whether the event is about a workflow (its payload names a `workflowID`).
    pub fn is_workflow_event(&self) -> bool {
        self.as_str().starts_with("workflow_")
    }
}
