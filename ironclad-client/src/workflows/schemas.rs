//! Workflow templates' schemas: `GET /workflow-schemas[/{id}]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::http::{ApiRequest, segments};
use crate::ids::TemplateId;
use crate::paging::ListEnvelope;
use crate::serde_util::{lenient, lenient_vec};
use crate::workflows::SchemaField;
use crate::{Client, Error};

/// A workflow template and its launch form.
///
/// The `id` is the template id used to launch; it changes when a template is unpublished and
/// republished. [`WorkflowSchema::schema`] maps each attribute id to its field: type
/// ([`SchemaField::field_type`]), label ([`SchemaField::display_name`]), requirement and, when
/// Ironclad sends it, the record property it feeds ([`SchemaField::property_key`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowSchema {
    /// The template id.
    pub id: TemplateId,
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

impl WorkflowSchema {
    /// The field whose record `propertyKey` is `property_key`, with its attribute id.
    ///
    /// Workflow schemas ([`Workflow::schema`](crate::workflows::Workflow::schema)) carry `propertyKey`;
    /// launch forms usually do not, so look launch fields up by [`Self::field_by_display_name`].
    pub fn field_by_property_key(&self, property_key: &str) -> Option<(&str, &SchemaField)> {
        field_by_property_key(&self.schema, property_key)
    }

    /// The field labelled `display_name` (compared case-insensitively, ignoring surrounding
    /// blanks), with its attribute id.
    ///
    /// ```
    /// use ironclad_client::workflows::WorkflowSchema;
    ///
    /// let template: WorkflowSchema = serde_json::from_str(r#"{
    ///     "id": "5f7a9c1e2b3d4a5f6e7d8c9b",
    ///     "schema": {
    ///         "role3a9d0c7be41f4c2a8d5e6f708192a3b4": {"type": "email", "displayName": "Counterparty Signer Email", "required": "always"}
    ///     }
    /// }"#)?;
    /// let (id, field) = template.field_by_display_name("counterparty signer email").unwrap();
    /// assert_eq!(id, "role3a9d0c7be41f4c2a8d5e6f708192a3b4");
    /// assert_eq!(field.field_type.as_str(), "email");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn field_by_display_name(&self, display_name: &str) -> Option<(&str, &SchemaField)> {
        field_by_display_name(&self.schema, display_name)
    }
}

/// The first field of `schema` whose `propertyKey` is `property_key`.
pub(crate) fn field_by_property_key<'a>(
    schema: &'a BTreeMap<String, SchemaField>,
    property_key: &str,
) -> Option<(&'a str, &'a SchemaField)> {
    schema
        .iter()
        .find(|(_, field)| field.property_key.as_deref() == Some(property_key))
        .map(|(id, field)| (id.as_str(), field))
}

/// The first field of `schema` labelled `display_name`, ignoring case and surrounding blanks.
pub(crate) fn field_by_display_name<'a>(
    schema: &'a BTreeMap<String, SchemaField>,
    display_name: &str,
) -> Option<(&'a str, &'a SchemaField)> {
    let wanted = display_name.trim();
    schema
        .iter()
        .find(|(_, field)| {
            field
                .display_name
                .as_deref()
                .is_some_and(|name| name.trim().eq_ignore_ascii_case(wanted))
        })
        .map(|(id, field)| (id.as_str(), field))
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

    /// Every template's launch form
    /// ([reference](https://developer.ironcladapp.com/reference/list-all-workflow-schemas)).
    ///
    /// Sends `form=launch`, which Ironclad requires (the launch form is the only form it
    /// serves). Its fields say whether they are required at launch.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// for template in client.workflow_schemas().list().await? {
    ///     println!("{} {:?}", template.id, template.name);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn list(&self) -> Result<Vec<WorkflowSchema>, Error> {
        let request = ApiRequest::get(segments!["workflow-schemas"]).query("form", LAUNCH_FORM);
        let envelope: ListEnvelope<WorkflowSchema> =
            self.client.execute_json(request, "workflow schemas").await?;
        Ok(envelope.list)
    }

    /// One template's launch form
    /// ([reference](https://developer.ironcladapp.com/reference/retrieve-a-workflow-schema)):
    /// attribute ids (role-scoped ones such as `role3a9d…` included) with each field's type,
    /// label and requirement.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let template = client.workflow_schemas().get("68dc41e5a7987b1e623e4711").await?;
    /// if let Some((id, _)) = template.field_by_display_name("Counterparty Signer Email") {
    ///     println!("launch with the signer's email under {id}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn get(&self, template_id: impl Into<TemplateId>) -> Result<WorkflowSchema, Error> {
        let request =
            ApiRequest::get(segments!["workflow-schemas", TemplateId::segment(template_id)?])
                .query("form", LAUNCH_FORM);
        self.client.execute_json(request, "workflow schema").await
    }
}

/// The only form Ironclad serves schemas for.
const LAUNCH_FORM: &str = "launch";
