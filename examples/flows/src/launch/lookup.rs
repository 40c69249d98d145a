//! Finding workflows already launched for agreements: one amortised `GET /workflows` per batch.

use std::collections::HashMap;

use ironclad_client::{Filter, ListWorkflows, Workflow};
use uuid::Uuid;

use crate::{FlowContext, FlowError, attributes};

/// Ironclad's largest page.
const PAGE_SIZE: u32 = 100;

/// The workflows of the MSA template (any status: the list defaults to active only) whose
/// `dynamicsMsaId` is one of `agreements`, with one list call per `batch` agreements:
/// `filter=Or(Equals([dynamicsMsaId], 'a'), Equals([dynamicsMsaId], 'b'), …)`. The batch
/// bounds the URL length (about 80 characters per agreement once encoded). When several
/// workflows carry the same id (launched by hand, say), the oldest wins and a warning is logged.
pub(crate) async fn existing_workflows(
    context: &FlowContext,
    agreements: &[Uuid],
    batch: usize,
) -> Result<HashMap<Uuid, Workflow>, FlowError> {
    let mut found: HashMap<Uuid, Workflow> = HashMap::new();
    for chunk in agreements.chunks(batch.max(1)) {
        let ids: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
        let filter = match ids.as_slice() {
            [only] => Filter::equals(attributes::DYNAMICS_MSA_ID, only),
            many => {
                Filter::or(many.iter().map(|id| Filter::equals(attributes::DYNAMICS_MSA_ID, id)))
            }
        };
        let query = ListWorkflows::new()
            .template(context.template_id())
            .any_status()
            .filter(filter)
            .page_size(PAGE_SIZE);
        let workflows = context.ironclad.workflows().list(query).try_collect_vec().await?;
        for workflow in workflows {
            let Some(id) = workflow
                .attributes
                .string(attributes::DYNAMICS_MSA_ID)
                .and_then(|text| Uuid::parse_str(text.trim()).ok())
            else {
                continue;
            };
            if !chunk.contains(&id) {
                continue;
            }
            match found.get(&id) {
                Some(kept) => {
                    tracing::warn!(agreement = %id, kept = %kept.id, also = %workflow.id,
                        "several workflows carry this dynamicsMsaId; the oldest is used");
                    if workflow.created < kept.created {
                        found.insert(id, workflow);
                    }
                }
                None => {
                    found.insert(id, workflow);
                }
            }
        }
    }
    Ok(found)
}
