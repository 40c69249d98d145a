//! Workflow templates' schemas: `GET /workflow-schemas[/{id}]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::http::{ApiRequest, id_segment, segments};
use crate::pagination::ListEnvelope;
use crate::serde_util::{lenient, lenient_vec};
use crate::workflows::SchemaField;
use crate::{Client, Error};

/// A workflow template and its form schema.
///
/// The `id` is the template id used to launch; it changes when a template is unpublished and
/// republished.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowSchema {
    /// The template id.
    pub id: String,
    /// The template name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Attribute id → field definition (fields that do not decode are left out and logged).
    #[serde(default, deserialize_with = "crate::workflows::lenient_schema")]
    pub schema: BTreeMap<String, SchemaField>,
    /// What the acting user may do (`launch`, `view`).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub permissions: Vec<String>,
}

/// Schema operations; get one with [`Client::workflow_schemas`].
#[derive(Clone, Copy, Debug)]
pub struct WorkflowSchemas<'a> {
    client: &'a Client,
}

impl<'a> WorkflowSchemas<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Every template's schema; `launch_form` asks for the launch form (`form=launch`), whose
    /// fields say whether they are required.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// for template in client.workflow_schemas().list(true).await? {
    ///     println!("{} {:?}", template.id, template.name);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn list(&self, launch_form: bool) -> Result<Vec<WorkflowSchema>, Error> {
        let request = ApiRequest::get(segments!["workflow-schemas"])
            .query_opt("form", launch_form.then_some("launch"));
        let envelope: ListEnvelope<WorkflowSchema> =
            self.client.execute_json(request, "workflow schemas").await?;
        Ok(envelope.list)
    }

    /// One template's schema.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let schema = client.workflow_schemas().get("68dc41e5a7987b1e623e4711", true).await?;
    /// # let _ = schema; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn get(&self, template_id: &str, launch_form: bool) -> Result<WorkflowSchema, Error> {
        let request =
            ApiRequest::get(segments!["workflow-schemas", id_segment("template id", template_id)?])
                .query_opt("form", launch_form.then_some("launch"));
        self.client.execute_json(request, "workflow schema").await
    }
}
