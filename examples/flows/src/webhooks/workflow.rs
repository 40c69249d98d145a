//! The common first steps of flows 2–4: is this the MSA template, and which Agreement is it?

use ironclad_client::{webhooks::WebhookDelivery, workflows::Workflow};
use uuid::Uuid;

use super::EventOutcome;
use crate::attributes::MsaField;
use crate::{FlowContext, FlowError};

/// Whether the delivery says it is about another template (a delivery without `templateID`,
/// like `workflow_approval_status_changed`, is checked on the workflow instead). Checked before
/// any request, so most events of other templates cost nothing.
fn other_template(context: &FlowContext, delivery: &WebhookDelivery) -> Option<EventOutcome> {
    match &delivery.payload.template_id {
        Some(template) if template != context.template_id() => {
            Some(EventOutcome::Ignored(format!("template {template} is not the MSA template")))
        }
        _ => None,
    }
}

/// The event's workflow and the Agreement in its `dynamicsMsaId`, or why the event is ignored
/// (another template, no `dynamicsMsaId`, a workflow deleted since).
pub(crate) async fn msa_workflow(
    context: &FlowContext,
    delivery: &WebhookDelivery,
) -> Result<Result<(Workflow, Uuid), EventOutcome>, FlowError> {
    if let Some(ignored) = other_template(context, delivery) {
        return Ok(Err(ignored));
    }
    let workflow_id =
        delivery.payload.workflow_id.as_deref().filter(|id| !id.trim().is_empty()).ok_or_else(
            || FlowError::Data("the event names no workflow (workflowID)".to_owned()),
        )?;
    let workflow = match context.ironclad.workflows().get(workflow_id).await {
        Ok(workflow) => workflow,
        Err(error) if error.is_not_found() => {
            return Ok(Err(EventOutcome::Ignored(format!(
                "workflow {workflow_id} no longer exists"
            ))));
        }
        Err(error) => return Err(error.into()),
    };
    let template = delivery.payload.template_id.as_ref().or(workflow.template.as_ref());
    match template {
        Some(template) if template == context.template_id() => {}
        Some(template) => {
            return Ok(Err(EventOutcome::Ignored(format!(
                "template {template} is not the MSA template"
            ))));
        }
        None => {
            return Ok(Err(EventOutcome::Ignored(format!(
                "workflow {workflow_id} does not say its template"
            ))));
        }
    }
    let msa_id = context.custom_attribute(MsaField::DynamicsMsaId);
    let Some(text) = workflow.attributes.string(msa_id) else {
        return Ok(Err(EventOutcome::Ignored(format!("workflow {workflow_id} has no {msa_id}"))));
    };
    match Uuid::parse_str(text.trim()) {
        Ok(agreement) => Ok(Ok((workflow, agreement))),
        Err(_) => Ok(Err(EventOutcome::Ignored(format!(
            "workflow {workflow_id} has a {msa_id} that is not an Agreement id: {text:?}"
        )))),
    }
}
