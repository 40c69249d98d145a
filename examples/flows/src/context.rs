//! [`FlowContext`]: the clients and names every flow needs.

use std::sync::Arc;

use ironclad_client::workflows::{TemplateId, WorkflowId};
use url::Url;

use crate::attributes::{AttributeOverrides, MsaField};
use crate::config::AgreementTable;

/// The two clients, the Agreement table's names and the MSA template: what every flow needs.
/// Cheap to clone.
///
/// ```
/// use flows::config::AgreementTable;
/// use flows::FlowContext;
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let dataverse = dataverse_client::Client::builder("https://contoso.crm.dynamics.com")
///     .credential(dataverse_client::auth::StaticToken::new("token"))
///     .build()?;
/// let ironclad = ironclad_client::Client::builder()
///     .base_url("https://demo.ironcladapp.com")
///     .credential(ironclad_client::auth::Credentials::api_token("token"))
///     .build()?;
/// let context = FlowContext::new(dataverse, ironclad, AgreementTable::default(), "6063ac9e01a5542dafa3722b");
/// assert_eq!(context.workflow_url("6a6b").as_str(), "https://demo.ironcladapp.com/workflow/6a6b");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FlowContext {
    pub(crate) dataverse: dataverse_client::Client,
    pub(crate) ironclad: ironclad_client::Client,
    pub(crate) table: Arc<AgreementTable>,
    pub(crate) template_id: TemplateId,
    pub(crate) attributes: Arc<AttributeOverrides>,
}

impl std::fmt::Debug for FlowContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowContext")
            .field("dataverse", &self.dataverse.environment_url().as_str())
            .field("ironclad", &self.ironclad.api_base().as_str())
            .field("entity_set", &self.table.entity_set)
            .field("template_id", &self.template_id)
            .finish_non_exhaustive()
    }
}

impl FlowContext {
    /// The context of the flows.
    pub fn new(
        dataverse: dataverse_client::Client,
        ironclad: ironclad_client::Client,
        table: AgreementTable,
        template_id: impl Into<TemplateId>,
    ) -> Self {
        Self {
            dataverse,
            ironclad,
            table: Arc::new(table),
            template_id: template_id.into(),
            attributes: Arc::default(),
        }
    }

    /// Use these attribute ids instead of the ones found in the template (the `[attributes]`
    /// section of the config file).
    #[must_use]
    pub fn with_attribute_overrides(mut self, overrides: AttributeOverrides) -> Self {
        self.attributes = Arc::new(overrides);
        self
    }

    /// The attribute ids set by configuration.
    pub fn attribute_overrides(&self) -> &AttributeOverrides {
        &self.attributes
    }

    /// The id of a custom attribute of the MSA template (`dynamicsMsaId` unless configured).
    pub(crate) fn custom_attribute(&self, field: MsaField) -> &str {
        self.attributes.custom_id(field)
    }

    /// The Dataverse client.
    pub fn dataverse(&self) -> &dataverse_client::Client {
        &self.dataverse
    }

    /// The Ironclad client.
    pub fn ironclad(&self) -> &ironclad_client::Client {
        &self.ironclad
    }

    /// The Agreement table's names.
    pub fn table(&self) -> &AgreementTable {
        &self.table
    }

    /// The MSA template id.
    pub fn template_id(&self) -> &TemplateId {
        &self.template_id
    }

    /// `{IRONCLAD_BASE_URL}/workflow/{id}`: the workflow's page, as the spec writes it back.
    pub fn workflow_url(&self, workflow_id: impl Into<WorkflowId>) -> Url {
        self.ironclad.environment().workflow_browser_url(workflow_id)
    }
}
