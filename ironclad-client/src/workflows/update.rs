//! `PATCH /workflows/{id}/attributes`.

use rest_client_core::Replay;
use serde::Serialize;

use super::{Workflow, Workflows};
use crate::Error;
use crate::http::{ApiRequest, segments};
use crate::ids::WorkflowId;
use crate::values::AttributeValue;

/// Attribute changes for a workflow in the Review step, with an optional comment.
///
/// Form validation applies: required fields cannot be removed, read-only fields cannot be set,
/// and document attributes cannot be changed here.
///
/// ```
/// use ironclad_client::{values::MonetaryAmount, workflows::AttributeUpdates};
/// use rust_decimal::Decimal;
///
/// let updates = AttributeUpdates::new()
///     .set("totalContractValue", MonetaryAmount::new(Decimal::new(7500000, 2), "USD"))
///     .remove("legacyNotes")
///     .comment("Synced from Dynamics");
/// assert_eq!(
///     serde_json::to_string(&updates)?,
///     r#"{"updates":[{"action":"set","path":"totalContractValue","value":{"currency":"USD","amount":75000}},{"action":"remove","path":"legacyNotes"}],"comment":"Synced from Dynamics"}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, Serialize)]
#[must_use]
pub struct AttributeUpdates {
    updates: Vec<AttributeUpdate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
struct AttributeUpdate {
    action: &'static str,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<AttributeValue>,
}

impl AttributeUpdates {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set attribute `path` to `value`.
    pub fn set(mut self, path: impl Into<String>, value: impl Into<AttributeValue>) -> Self {
        self.updates.push(AttributeUpdate {
            action: "set",
            path: path.into(),
            value: Some(value.into()),
        });
        self
    }

    /// Clear attribute `path`.
    pub fn remove(mut self, path: impl Into<String>) -> Self {
        self.updates.push(AttributeUpdate { action: "remove", path: path.into(), value: None });
        self
    }

    /// Explain the change in the workflow's activity feed.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Whether no change was added.
    pub fn is_empty(&self) -> bool {
        self.updates.is_empty()
    }
}

impl Workflows<'_> {
    /// Update attributes of a workflow in Review and return the updated workflow.
    ///
    /// Setting and removing values is idempotent, so the request is replayed after a transport
    /// error or 5xx, unless it carries a comment (which would be posted twice).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::AttributeUpdates;
    ///
    /// let updated = client
    ///     .workflows()
    ///     .update_attributes("6a6b328004308879e7d439b6", &AttributeUpdates::new().set("shortResponseText", "Updated"))
    ///     .await?;
    /// # let _ = updated; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `updates` is empty; [`Error::Api`] with `INVALID_STATE`
    /// when the workflow is not in Review, `INVALID_PARAM` for values the form rejects.
    pub async fn update_attributes(
        &self,
        workflow_id: impl Into<WorkflowId>,
        updates: &AttributeUpdates,
    ) -> Result<Workflow, Error> {
        if updates.is_empty() {
            return Err(Error::InvalidRequest("no attribute updates given".into()));
        }
        let replay = if updates.comment.is_some() { Replay::Unsafe } else { Replay::Safe };
        let request = ApiRequest::new(
            http::Method::PATCH,
            segments!["workflows", WorkflowId::segment(workflow_id)?, "attributes"],
        )
        .json(updates)?
        .replay(replay);
        self.client.execute_json(request, "updated workflow").await
    }
}
