//! Rows and references: [`Entity`], [`EntityReference`], [`EntityCollection`].

use uuid::Uuid;

use crate::collection::KeyValueList;
use crate::value::Value;

/// A row: the `Target` of Create/Update, a pre/post image, a member of an
/// [`EntityCollection`], or the flat `Target` object of a Power Automate flow.
///
/// `attributes` holds only what the payload carries: an Update `Target` has the changed
/// columns plus the id, not the whole row (register a post image for the rest). The typed
/// getters ([`get_string`](KeyValueList::get_string), [`get_option_set`](KeyValueList::get_option_set),
/// …) live on [`KeyValueList<Value>`] and are reachable as `entity.attributes.get_…`.
///
/// ```
/// use dataverse_webhook_types::RemoteExecutionContext;
///
/// let body = br#"{"MessageName":"Update","PrimaryEntityName":"contact",
///   "InputParameters":[{"key":"Target","value":{"firstname":"Ada"}}]}"#;
/// let context = RemoteExecutionContext::from_slice(body)?;
/// let target = context.target_entity().expect("a Target entity");
/// assert_eq!(target.logical_name, "contact");
/// assert_eq!(target.attributes.get_string("firstname")?.value(), Some("Ada"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Entity {
    /// The table's logical name (`LogicalName`; for a flat Power Automate `Target`, the
    /// context's `PrimaryEntityName`).
    pub logical_name: String,
    /// The row id (`Id`; for a flat Power Automate `Target`, the context's `PrimaryEntityId`).
    /// `None` when absent, `null` or empty.
    pub id: Option<Uuid>,
    /// The columns, in wire order.
    pub attributes: KeyValueList<Value>,
    /// Display strings for some columns (`"Active"`, `"987,654,321"`, …), in wire order.
    pub formatted_values: KeyValueList<String>,
    /// Alternate-key values (`KeyAttributes`).
    pub key_attributes: KeyValueList<Value>,
    /// `RowVersion`, when sent (`"5948260"`).
    pub row_version: Option<String>,
    /// `EntityState`, when sent (it is usually `null`).
    pub entity_state: Option<i64>,
    /// `RelatedEntities` as sent (usually empty); each entry is kept as a [`Value`].
    pub related_entities: Vec<Value>,
}

impl Entity {
    /// A row of `logical_name` with no columns (for building test payloads).
    pub fn new(logical_name: impl Into<String>, id: Option<Uuid>) -> Self {
        Self { logical_name: logical_name.into(), id, ..Self::default() }
    }

    /// The display string Dataverse sent for `name` (`FormattedValues`).
    ///
    /// ```
    /// # use dataverse_webhook_types::Entity;
    /// let mut row = Entity::new("contact", None);
    /// row.formatted_values.push("statecode", "Active".to_owned());
    /// assert_eq!(row.formatted_value("statecode"), Some("Active"));
    /// ```
    pub fn formatted_value(&self, name: &str) -> Option<&str> {
        self.formatted_values.get(name).map(String::as_str)
    }

    /// A reference to this row.
    pub fn to_reference(&self) -> EntityReference {
        EntityReference {
            logical_name: self.logical_name.clone(),
            id: self.id,
            name: None,
            key_attributes: self.key_attributes.clone(),
            row_version: self.row_version.clone(),
        }
    }
}

/// A lookup value or a reference to a row (`EntityReference`; also `OwningExtension`).
///
/// ```
/// use dataverse_webhook_types::EntityReference;
/// use uuid::uuid;
///
/// let owner = EntityReference::new("systemuser", uuid!("75c2dd85-e89e-e711-8122-000d3aa2331c"));
/// assert_eq!(owner.logical_name, "systemuser");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct EntityReference {
    /// The referenced table (`LogicalName`).
    pub logical_name: String,
    /// The referenced row (`Id`); `None` when absent, `null` or empty.
    pub id: Option<Uuid>,
    /// The primary name, when Dataverse filled it (`Name`; usually `null` in webhooks).
    pub name: Option<String>,
    /// Alternate-key values (`KeyAttributes`).
    pub key_attributes: KeyValueList<Value>,
    /// `RowVersion`, when sent.
    pub row_version: Option<String>,
}

impl EntityReference {
    /// A reference to row `id` of `logical_name`.
    pub fn new(logical_name: impl Into<String>, id: Uuid) -> Self {
        Self { logical_name: logical_name.into(), id: Some(id), ..Self::default() }
    }
}

/// Several rows (`EntityCollection`): the `Targets` of `CreateMultiple`/`UpdateMultiple`, or
/// activity parties in `from`/`to`.
///
/// ```
/// use dataverse_webhook_types::{Entity, EntityCollection};
///
/// let mut rows = EntityCollection::default();
/// rows.entities.push(Entity::new("account", None));
/// assert_eq!(rows.entities.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct EntityCollection {
    /// `EntityName`, when sent.
    pub entity_name: Option<String>,
    /// The rows (`Entities`).
    pub entities: Vec<Entity>,
    /// `MoreRecords`.
    pub more_records: Option<bool>,
    /// `PagingCookie`.
    pub paging_cookie: Option<String>,
    /// `MinActiveRowVersion` (`"-1"` when unused).
    pub min_active_row_version: Option<String>,
    /// `TotalRecordCount`.
    pub total_record_count: Option<i64>,
    /// `TotalRecordCountLimitExceeded`.
    pub total_record_count_limit_exceeded: Option<bool>,
}
