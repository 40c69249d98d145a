//! The Rust control surface of the Ironclad emulator: act as Ironclad users (edit an attribute,
//! approve, complete a workflow), inspect workflows, records and webhook deliveries, and steer
//! deliveries (retry policy, duplicates, held and reordered releases) for exactly-once tests.
//!
//! Actions go through the same rules as the API (Review step only, known attributes, typed
//! values) and emit the same webhook events; they skip authentication, faults and the request
//! log.

use std::sync::Arc;
use std::time::Duration;

use super::approvals::set_approval;
use super::completion::{self, Completion};
use super::delivery::{DeliveryPolicy, DeliveryRecord, ReleaseOrder};
use super::errors::IcError;
use super::events::ChangedAttributes;
use super::rate_limit::{IroncladRateLimits, RateLimiter};
use super::templates::{Template, TemplateSeed};
use super::workflows::{apply_updates, workflow_json};
use super::{IroncladState, webhooks};
use crate::SandboxError;
use crate::json::{Json, JsonObject};

impl From<IcError> for SandboxError {
    fn from(error: IcError) -> Self {
        let message = match &error.param {
            Some(param) => format!("{} (param: {param})", error.message),
            None => error.message.clone(),
        };
        SandboxError::Rejected {
            status: error.status.as_u16(),
            code: error.code.to_owned(),
            message,
        }
    }
}

/// Act on and inspect the Ironclad emulator directly.
///
/// ```no_run
/// # async fn demo() -> Result<(), dataverse_ironclad_sandbox::SandboxError> {
/// use std::time::Duration;
/// use dataverse_ironclad_sandbox::{Json, Sandbox, SandboxConfig};
/// let sandbox = Sandbox::start(SandboxConfig::default()).await?;
/// let ironclad = sandbox.ironclad();
/// for workflow in ironclad.workflow_ids() {
///     let amount = Json::parse(r#"{"currency":"USD","amount":150000}"#).unwrap();
///     ironclad.set_attribute(&workflow, "totalContractValue", amount)?; // → workflow_attribute_updated
///     ironclad.approve(&workflow, "Legal")?; // → workflow_approval_status_changed
///     ironclad.approve_all(&workflow)?;
///     let record = ironclad.complete_workflow(&workflow)?; // → workflow_completed
///     println!("signed copy filed as record {record}");
/// }
/// ironclad.wait_for_deliveries(Duration::from_secs(5)).await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct IroncladControl {
    state: Arc<IroncladState>,
    rate_limiter: Arc<RateLimiter>,
}

impl std::fmt::Debug for IroncladControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IroncladControl").field("base_url", &self.state.base_url.as_str()).finish()
    }
}

impl IroncladControl {
    pub(crate) fn new(state: Arc<IroncladState>, rate_limiter: Arc<RateLimiter>) -> Self {
        Self { state, rate_limiter }
    }

    /// Every workflow (any status), oldest first, as `GET /workflows/{id}` shows it.
    pub fn workflows(&self) -> Vec<Json> {
        let data = self.state.data();
        (0..data.workflows.len()).map(|index| workflow_json(&self.state, &data, index)).collect()
    }

    /// The ids of every workflow, oldest first.
    pub fn workflow_ids(&self) -> Vec<String> {
        self.state.data().workflows.iter().map(|w| w.id.clone()).collect()
    }

    /// Workflow `id` (or `IC-n`).
    pub fn workflow(&self, id: &str) -> Option<Json> {
        let data = self.state.data();
        data.workflow_index(id).map(|index| workflow_json(&self.state, &data, index))
    }

    /// The workflows whose attribute `attribute` is the string `value` (e.g. `dynamicsMsaId`).
    pub fn workflows_where(&self, attribute: &str, value: &str) -> Vec<Json> {
        let data = self.state.data();
        (0..data.workflows.len())
            .filter(|index| {
                data.workflows[*index].attributes.get(attribute).and_then(Json::as_str)
                    == Some(value)
            })
            .map(|index| workflow_json(&self.state, &data, index))
            .collect()
    }

    /// The display names of a workflow's approvals (`Legal`, `Finance`).
    pub fn approval_names(&self, workflow_id: &str) -> Vec<String> {
        let data = self.state.data();
        data.workflow_index(workflow_id)
            .map(|index| {
                data.workflows[index].approvals.iter().map(|a| a.display_name.clone()).collect()
            })
            .unwrap_or_default()
    }

    /// Set attribute `attribute` as the workflow's owner would in the Review step.
    /// Emits `workflow_attribute_updated` and `workflow_updated`.
    ///
    /// # Errors
    /// [`SandboxError::Rejected`]: unknown workflow or attribute, a value of the wrong type, or a
    /// workflow past Review.
    pub fn set_attribute(
        &self,
        workflow_id: &str,
        attribute: &str,
        value: Json,
    ) -> Result<(), SandboxError> {
        let owner = self.owner(workflow_id)?;
        let update =
            JsonObject::new().with("action", "set").with("path", attribute).with("value", value);
        apply_updates(&self.state, workflow_id, &[Json::Object(update)], &owner)?;
        Ok(())
    }

    fn owner(&self, workflow_id: &str) -> Result<super::User, SandboxError> {
        let data = self.state.data();
        let index = data
            .workflow_index(workflow_id)
            .ok_or_else(|| IcError::not_found("workflow does not exist", "workflowId"))?;
        Ok(data.workflows[index].creator.clone())
    }

    /// Approve approval `role` (its id or display name) as the role's assignee.
    /// Emits `workflow_approval_status_changed` with `status: "approved"`.
    ///
    /// # Errors
    /// [`SandboxError::Rejected`]: unknown workflow or role, or a workflow past Review.
    pub fn approve(&self, workflow_id: &str, role: &str) -> Result<(), SandboxError> {
        self.set_approval(workflow_id, role, true)
    }

    /// Put approval `role` back to pending (emits the event with `status: "pending"`).
    ///
    /// # Errors
    /// As [`IroncladControl::approve`].
    pub fn reset_approval(&self, workflow_id: &str, role: &str) -> Result<(), SandboxError> {
        self.set_approval(workflow_id, role, false)
    }

    /// Approve every pending approval of the workflow.
    ///
    /// # Errors
    /// As [`IroncladControl::approve`].
    pub fn approve_all(&self, workflow_id: &str) -> Result<(), SandboxError> {
        for name in self.approval_names(workflow_id) {
            self.approve(workflow_id, &name)?;
        }
        Ok(())
    }

    fn set_approval(
        &self,
        workflow_id: &str,
        role: &str,
        approved: bool,
    ) -> Result<(), SandboxError> {
        let user = {
            let data = self.state.data();
            let index = data
                .workflow_index(workflow_id)
                .ok_or_else(|| IcError::not_found("workflow does not exist", "workflowId"))?;
            let workflow = &data.workflows[index];
            let template = data.template(&workflow.template_id);
            let role_def = template
                .and_then(|t| t.roles.iter().find(|r| r.id == role || r.display_name == role));
            let email = role_def.and_then(|r| r.assignee_email.clone());
            email
                .and_then(|e| data.user_by_email(&e).cloned())
                .unwrap_or_else(|| workflow.creator.clone())
        };
        set_approval(&self.state, workflow_id, role, approved, &user)?;
        Ok(())
    }

    /// Sign and archive the workflow: its `signed` document, status `completed`, step
    /// `Complete`, a repository record with a signed-copy PDF of the configured size, then
    /// `workflow_completed`. Returns the record id.
    ///
    /// # Errors
    /// [`SandboxError::Rejected`] `INVALID_STATE` when approvals are pending or the workflow is
    /// not active.
    pub fn complete_workflow(&self, workflow_id: &str) -> Result<String, SandboxError> {
        self.complete_workflow_with(workflow_id, Completion::default())?
            .ok_or_else(|| IcError::invalid_state("no record was filed").into())
    }

    /// [`IroncladControl::complete_workflow`] with a signed copy of `bytes` bytes (for
    /// large-download tests; the PDF is generated while it streams).
    ///
    /// # Errors
    /// As [`IroncladControl::complete_workflow`].
    pub fn complete_workflow_with_signed_copy_size(
        &self,
        workflow_id: &str,
        bytes: u64,
    ) -> Result<String, SandboxError> {
        self.complete_workflow_with(workflow_id, Completion::default().signed_copy_size(bytes))?
            .ok_or_else(|| IcError::invalid_state("no record was filed").into())
    }

    /// Complete the workflow, filing its record as `completion` says (later, unlisted in
    /// `recordIds`, without `source`, without its signed copy yet). Returns the record id when
    /// one was filed.
    ///
    /// ```no_run
    /// # fn demo(ironclad: &dataverse_ironclad_sandbox::IroncladControl, workflow: &str) -> Result<(), dataverse_ironclad_sandbox::SandboxError> {
    /// use dataverse_ironclad_sandbox::ironclad::Completion;
    ///
    /// let record = ironclad.complete_workflow_with(workflow, Completion::default().signed_copy_later())?;
    /// // … the receiver finds the record without a signed copy and tries again later …
    /// ironclad.attach_signed_copy(&record.unwrap())?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`IroncladControl::complete_workflow`].
    pub fn complete_workflow_with(
        &self,
        workflow_id: &str,
        completion: Completion,
    ) -> Result<Option<String>, SandboxError> {
        Ok(completion::complete(&self.state, workflow_id, completion)?)
    }

    /// File the record of a workflow completed with [`Completion::record_later`]. Returns its
    /// id.
    ///
    /// # Errors
    /// [`SandboxError::Rejected`]: unknown workflow, not completed, or already filed.
    pub fn file_record(
        &self,
        workflow_id: &str,
        completion: Completion,
    ) -> Result<String, SandboxError> {
        Ok(completion::file_record(&self.state, workflow_id, completion)?)
    }

    /// Attach the signed copy to a record filed without one.
    ///
    /// # Errors
    /// [`SandboxError::Rejected`]: unknown record.
    pub fn attach_signed_copy(&self, record_id: &str) -> Result<(), SandboxError> {
        Ok(completion::attach_signed_copy(&self.state, record_id)?)
    }

    /// Publish a workflow template (or replace the one with its id); see [`TemplateSeed`].
    ///
    /// ```no_run
    /// # fn demo(ironclad: &dataverse_ironclad_sandbox::IroncladControl) -> Result<(), Box<dyn std::error::Error>> {
    /// use dataverse_ironclad_sandbox::ironclad::TemplateSeed;
    ///
    /// let seed: TemplateSeed = serde_json::from_str(&std::fs::read_to_string("nda-template.json")?)?;
    /// ironclad.publish_template(seed)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`SandboxError::Rejected`] `INVALID_PARAM` when the seed is not a template (an empty or
    /// repeated id, a role naming an unknown field).
    pub fn publish_template(&self, seed: TemplateSeed) -> Result<(), SandboxError> {
        let template =
            Template::from_seed(seed).map_err(|reason| IcError::invalid(reason, "template"))?;
        let mut data = self.state.data();
        data.templates.retain(|t| t.id != template.id);
        data.templates.push(template);
        Ok(())
    }

    /// How `workflow_attribute_updated` deliveries list the changed attributes from now on.
    pub fn set_changed_attributes(&self, listing: ChangedAttributes) {
        self.state.data().changed_attributes = listing;
    }

    /// Every record, as `GET /records/{id}?addressAsObject=true` shows it.
    pub fn records(&self) -> Vec<Json> {
        let data = self.state.data();
        let api_root = self.state.api_root();
        data.records.iter().map(|r| r.json(&api_root, true)).collect()
    }

    /// Subscribe `target_url` to `events` (same rules as `POST /webhooks`). Returns the id.
    ///
    /// # Errors
    /// [`SandboxError::Rejected`]: unknown event, non-HTTPS non-loopback target, or a target that
    /// is already registered.
    pub fn subscribe(&self, events: &[&str], target_url: &str) -> Result<String, SandboxError> {
        Ok(webhooks::subscribe(&self.state, events, target_url)?)
    }

    /// Every subscription, as `GET /webhooks/{id}` shows it.
    pub fn webhooks(&self) -> Vec<Json> {
        let data = self.state.data();
        data.subscriptions.iter().map(|s| s.json(&self.state.company_id)).collect()
    }

    /// Every event payload emitted so far (whether or not anyone subscribed).
    pub fn emitted_events(&self) -> Vec<Json> {
        self.state.deliveries.events().into_iter().map(Json::Object).collect()
    }

    /// Every delivery so far, with its attempts.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.state.deliveries.records()
    }

    /// Wait until no delivery is pending (held ones excepted); `false` on timeout.
    pub async fn wait_for_deliveries(&self, timeout: Duration) -> bool {
        self.state.deliveries.wait_idle(timeout).await
    }

    /// Change the retry policy of deliveries queued from now on.
    pub fn set_delivery_policy(&self, policy: DeliveryPolicy) {
        self.state.deliveries.set_policy(policy);
    }

    /// Send every delivery `copies` extra times (same event id and body).
    pub fn set_duplicate_deliveries(&self, copies: u32) {
        self.state.deliveries.set_duplicates(copies);
    }

    /// Hold deliveries of events from now on until [`IroncladControl::release_held_deliveries`].
    pub fn hold_deliveries(&self) {
        self.state.deliveries.set_hold(true);
    }

    /// Send the held deliveries one after another in `order`, and stop holding. Returns how
    /// many were released.
    pub fn release_held_deliveries(&self, order: ReleaseOrder) -> usize {
        self.state.deliveries.release_held(&self.state, order)
    }

    /// Turn Ironclad's per-bucket rate limits on (`Some`) or off (`None`).
    pub fn set_rate_limits(&self, limits: Option<IroncladRateLimits>) {
        self.rate_limiter.set(limits);
    }

    /// The id of the sandbox user with this email.
    pub fn user_id(&self, email: &str) -> Option<String> {
        self.state.data().user_by_email(email).map(|u| u.id.clone())
    }
}
