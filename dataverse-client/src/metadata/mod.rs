//! Table definitions (`EntityDefinitions`), fetched on demand and cached per client.
//!
//! One request reads the table with its columns, alternate keys and relationships
//! (`$select` plus `$expand`); the options of choice columns need one request per column type,
//! because `OptionSet` can only be expanded after casting `Attributes` to that type
//! ([Query table definitions using the Web API](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api#querying-entitymetadata-attributes)).
//! The requests run concurrently; the result is kept for the life of the client (clear it with
//! [`Client::clear_metadata_cache`] after changing a table's definition).

mod model;
mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::future::try_join_all;
use http::{Method, StatusCode};

pub use model::{
    AlternateKeyMetadata, AttributeMetadata, AttributeType, ChoiceOption, Choices,
    ManyToManyRelationship, OneToManyRelationship, TableMetadata, TableType,
};
use wire::{CHOICE_TYPES, ChoiceAttribute, EntityDefinition, TABLE_EXPAND, TABLE_SELECT};

use crate::client::Client;
use crate::error::{ApiError, Error, Result};
use crate::http::{Call, What};
use crate::odata::{query_string, validate_identifier};
use crate::operations::NAMESPACE;
use crate::paging::Page;
use crate::query::Literal;

/// What bulk operations need to know about a table: enough to write `@odata.type` and find a
/// row's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TableNames {
    pub(crate) logical_name: String,
    pub(crate) entity_set_name: String,
    pub(crate) primary_id_attribute: String,
    pub(crate) elastic: bool,
}

impl TableNames {
    fn of(table: &TableMetadata) -> Self {
        Self {
            logical_name: table.logical_name.clone(),
            entity_set_name: table.entity_set_name.clone(),
            primary_id_attribute: table.primary_id_attribute.clone(),
            elastic: table.is_elastic(),
        }
    }
}

/// The per-client cache of table definitions.
#[derive(Debug, Default)]
pub(crate) struct MetadataCache {
    /// Full definitions by logical name.
    tables: Mutex<HashMap<String, Arc<TableMetadata>>>,
    /// Names by entity set name.
    names: Mutex<HashMap<String, Arc<TableNames>>>,
    /// `(entity set, bulk message)` pairs Dataverse answered "not supported" for.
    unsupported_bulk: Mutex<HashSet<(String, &'static str)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MetadataCache {
    /// Whether Dataverse said `entity_set` does not support the bulk message `message`.
    pub(crate) fn bulk_unsupported(&self, entity_set: &str, message: &'static str) -> bool {
        lock(&self.unsupported_bulk).contains(&(entity_set.to_owned(), message))
    }

    /// Remember that `entity_set` does not support the bulk message `message`.
    pub(crate) fn remember_bulk_unsupported(&self, entity_set: &str, message: &'static str) {
        lock(&self.unsupported_bulk).insert((entity_set.to_owned(), message));
    }

    fn remember(&self, table: &Arc<TableMetadata>) {
        lock(&self.names).insert(table.entity_set_name.clone(), Arc::new(TableNames::of(table)));
        lock(&self.tables).insert(table.logical_name.clone(), Arc::clone(table));
    }
}

/// A `404` for a table no definition matches (the same answer Dataverse gives for an unknown
/// logical name).
fn no_such_table(description: String) -> Error {
    let mut error = ApiError::from_parts(StatusCode::NOT_FOUND, &http::HeaderMap::new(), b"");
    error.message = Some(description);
    Error::from_api(error)
}

impl Client {
    /// The definition of the table with this logical name (`account`, `cre6f_agreement`):
    /// entity set, primary id and name columns, columns with their types, choices with their
    /// labels, alternate keys, relationships and navigation property names. Fetched on first use
    /// and cached for the life of the client.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// let account = client.table_metadata("account").await?;
    /// assert_eq!(account.entity_set_name, "accounts");
    /// println!("{:?}", account.choice_label("industrycode", 1));
    /// println!("{:?}", account.lookup_navigation_property("primarycontactid", "contact"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `404` ([`Error::is_not_found`]) for an unknown table; an [`Error`] from Dataverse, the
    /// transport or decoding.
    pub async fn table_metadata(&self, logical_name: &str) -> Result<Arc<TableMetadata>> {
        if let Some(table) = lock(&self.inner.metadata.tables).get(logical_name) {
            return Ok(Arc::clone(table));
        }
        validate_identifier("table logical name", logical_name)?;
        let segment = definition_segment(logical_name);
        let mut url = self.resource_url(&[segment.as_str()])?;
        url.set_query(Some(&query_string(&[
            ("$select", TABLE_SELECT.to_owned()),
            ("$expand", TABLE_EXPAND.to_owned()),
        ])));
        let call = Call::new(Method::GET, url, "EntityDefinitions");
        let definition: EntityDefinition =
            self.send_json(call, What::of("the definition of", logical_name)).await?;
        self.complete(definition).await
    }

    /// The definition of the table with this entity set name (`accounts`); see
    /// [`Client::table_metadata`].
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// let agreements = client.table_metadata_by_entity_set("cre6f_agreements").await?;
    /// println!("{} is keyed by {}", agreements.logical_name, agreements.primary_id_attribute);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Client::table_metadata`].
    pub async fn table_metadata_by_entity_set(
        &self,
        entity_set: &str,
    ) -> Result<Arc<TableMetadata>> {
        let known = lock(&self.inner.metadata.names).get(entity_set).cloned();
        if let Some(names) = known
            && let Some(table) = lock(&self.inner.metadata.tables).get(&names.logical_name)
        {
            return Ok(Arc::clone(table));
        }
        let definition = self
            .definition_by_entity_set(
                entity_set,
                vec![("$select", TABLE_SELECT.to_owned()), ("$expand", TABLE_EXPAND.to_owned())],
            )
            .await?;
        self.complete(definition).await
    }

    /// Forget every cached table definition (and which tables lack bulk messages), so the next
    /// request reads them again.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// client.clear_metadata_cache();
    /// let fresh = client.table_metadata("account").await?;
    /// # let _ = fresh; Ok(()) }
    /// ```
    pub fn clear_metadata_cache(&self) {
        lock(&self.inner.metadata.tables).clear();
        lock(&self.inner.metadata.names).clear();
        lock(&self.inner.metadata.unsupported_bulk).clear();
    }

    /// The names bulk operations need for `entity_set`: from the cache, else one small request
    /// (`$select` only, no columns).
    pub(crate) async fn table_names(&self, entity_set: &str) -> Result<Arc<TableNames>> {
        if let Some(names) = lock(&self.inner.metadata.names).get(entity_set) {
            return Ok(Arc::clone(names));
        }
        let select = "LogicalName,EntitySetName,PrimaryIdAttribute,TableType".to_owned();
        let definition =
            self.definition_by_entity_set(entity_set, vec![("$select", select)]).await?;
        let primary_id_attribute = definition.primary_id_attribute.ok_or_else(|| {
            Error::UnexpectedResponse(format!("the table {entity_set} has no PrimaryIdAttribute"))
        })?;
        let names = Arc::new(TableNames {
            elastic: definition.table_type.as_deref() == Some("Elastic"),
            logical_name: definition.logical_name,
            entity_set_name: entity_set.to_owned(),
            primary_id_attribute,
        });
        lock(&self.inner.metadata.names).insert(entity_set.to_owned(), Arc::clone(&names));
        Ok(names)
    }

    /// `EntityDefinitions?$filter=EntitySetName eq '<set>'` with `query` after the filter: the
    /// one definition, or `NoSuchTable`.
    async fn definition_by_entity_set(
        &self,
        entity_set: &str,
        mut query: Vec<(&str, String)>,
    ) -> Result<EntityDefinition> {
        validate_identifier("entity set", entity_set)?;
        let mut url = self.resource_url(&["EntityDefinitions"])?;
        query.insert(0, ("$filter", format!("EntitySetName eq {}", Literal::from(entity_set))));
        url.set_query(Some(&query_string(&query)));
        let call = Call::new(Method::GET, url, "EntityDefinitions");
        let page: Page<EntityDefinition> =
            self.send_json(call, What::of("the definition of", entity_set)).await?;
        page.items.into_iter().next().ok_or_else(|| {
            no_such_table(format!("no table has the entity set name '{entity_set}'"))
        })
    }

    /// Add the choices to a definition, cache it and return it.
    async fn complete(&self, definition: EntityDefinition) -> Result<Arc<TableMetadata>> {
        let logical_name = definition.logical_name.clone();
        let mut table = definition.into_model().map_err(Error::UnexpectedResponse)?;
        let fetches = CHOICE_TYPES.iter().map(|kind| self.choice_attributes(&logical_name, kind));
        for attributes in try_join_all(fetches).await? {
            for attribute in attributes {
                if let Some(column) =
                    table.attributes.iter_mut().find(|c| c.logical_name == attribute.logical_name)
                {
                    column.choices = Some(attribute.choices());
                }
            }
        }
        let table = Arc::new(table);
        self.inner.metadata.remember(&table);
        Ok(table)
    }

    /// `GET EntityDefinitions(LogicalName='…')/Attributes/Microsoft.Dynamics.CRM.<kind>?$select=LogicalName&$expand=OptionSet,GlobalOptionSet`.
    async fn choice_attributes(
        &self,
        logical_name: &str,
        kind: &str,
    ) -> Result<Vec<ChoiceAttribute>> {
        let cast = format!("{NAMESPACE}{kind}");
        let segment = definition_segment(logical_name);
        let mut url = self.resource_url(&[segment.as_str(), "Attributes", cast.as_str()])?;
        url.set_query(Some("$select=LogicalName&$expand=OptionSet,GlobalOptionSet"));
        let call = Call::new(Method::GET, url, "EntityDefinitions");
        let page: Page<ChoiceAttribute> =
            self.send_json(call, What::of("the choices of", logical_name)).await?;
        Ok(page.items)
    }
}

/// `EntityDefinitions(LogicalName='<name>')` (the name was validated: no quote to escape).
fn definition_segment(logical_name: &str) -> String {
    format!("EntityDefinitions(LogicalName='{logical_name}')")
}
