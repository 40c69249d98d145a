//! Finding workflows already launched for agreements: one amortised `GET /workflows` per batch.

use std::collections::HashMap;

use ironclad_client::workflows::{Filter, ListWorkflows, Workflow};
use uuid::Uuid;

use crate::attributes::{MsaAttributes, MsaField};
use crate::{FlowContext, FlowError};

/// Ironclad's largest page.
const PAGE_SIZE: u32 = 100;

/// The workflows of the MSA template (any status: the list defaults to active only) whose
/// Dynamics MSA ID (`ids`) is one of `agreements`, with one list call per `batch` agreements:
/// `filter=Or(Equals([dynamicsMsaId], 'a'), Equals([dynamicsMsaId], 'b'), …)`. The batch
/// bounds the URL length (about 80 characters per agreement once encoded). When several
/// workflows carry the same id (launched by hand, say), the oldest wins and a warning is logged.
pub(crate) async fn existing_workflows(
    context: &FlowContext,
    ids: &MsaAttributes,
    agreements: &[Uuid],
    batch: usize,
) -> Result<HashMap<Uuid, Workflow>, FlowError> {
    let msa_id = ids.id(MsaField::DynamicsMsaId);
    let mut found: HashMap<Uuid, Workflow> = HashMap::new();
    for chunk in agreements.chunks(batch.max(1)) {
        let ids: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
        let filter = match ids.as_slice() {
            [only] => Filter::equals(msa_id, only),
            many => Filter::or(many.iter().map(|id| Filter::equals(msa_id, id))),
        };
        let query = ListWorkflows::new()
            .template(context.template_id())
            .any_status()
            .filter(filter)
            .page_size(PAGE_SIZE);
        let workflows = context.ironclad.workflows().list(query).collect_all().await?;
        for workflow in workflows {
            let Some(id) = workflow
                .attributes
                .string(msa_id)
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
