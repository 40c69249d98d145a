//! The `EntityDefinitions` JSON shapes and their conversion into the public model.
//!
//! Shapes from [Query table definitions using the Web API](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api)
//! and the `EntityMetadata` / `AttributeMetadata` types of the `$metadata` document. Everything
//! is optional: an informational field with an unexpected shape never fails the whole table.

use serde::Deserialize;

use super::model::{
    AlternateKeyMetadata, AttributeMetadata, AttributeType, ChoiceOption, Choices,
    ManyToManyRelationship, OneToManyRelationship, TableMetadata, TableType,
};

/// The columns of `EntityDefinitions` the client reads.
pub(crate) const TABLE_SELECT: &str = "LogicalName,SchemaName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,PrimaryImageAttribute,TableType,IsActivity,DisplayName";

/// The `$expand` of a full table definition.
pub(crate) const TABLE_EXPAND: &str = "Attributes($select=LogicalName,SchemaName,AttributeType,AttributeTypeName,DisplayName,IsPrimaryId,IsPrimaryName,IsValidForCreate,IsValidForUpdate,IsValidForRead,AttributeOf),\
Keys($select=LogicalName,SchemaName,KeyAttributes,EntityKeyIndexStatus),\
ManyToOneRelationships($select=SchemaName,ReferencedEntity,ReferencedAttribute,ReferencingEntity,ReferencingAttribute,ReferencedEntityNavigationPropertyName,ReferencingEntityNavigationPropertyName),\
OneToManyRelationships($select=SchemaName,ReferencedEntity,ReferencedAttribute,ReferencingEntity,ReferencingAttribute,ReferencedEntityNavigationPropertyName,ReferencingEntityNavigationPropertyName),\
ManyToManyRelationships($select=SchemaName,Entity1LogicalName,Entity2LogicalName,IntersectEntityName,Entity1NavigationPropertyName,Entity2NavigationPropertyName)";

/// The attribute types whose options are read, each with one request: the `Attributes`
/// collection must be cast to the type to expand `OptionSet` and `GlobalOptionSet`.
pub(crate) const CHOICE_TYPES: [&str; 5] = [
    "PicklistAttributeMetadata",
    "MultiSelectPicklistAttributeMetadata",
    "StateAttributeMetadata",
    "StatusAttributeMetadata",
    "BooleanAttributeMetadata",
];

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct Label {
    localized_labels: Vec<LocalizedLabel>,
    user_localized_label: Option<LocalizedLabel>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LocalizedLabel {
    label: Option<String>,
    #[serde(default)]
    language_code: i32,
}

impl Label {
    fn text(&self) -> Option<String> {
        self.user_localized_label
            .as_ref()
            .or_else(|| self.localized_labels.first())
            .and_then(|l| l.label.clone())
    }

    fn all(&self) -> Vec<(i32, String)> {
        self.localized_labels
            .iter()
            .filter_map(|l| l.label.clone().map(|text| (l.language_code, text)))
            .collect()
    }
}

/// `{"Value": "…"}` (`AttributeTypeName`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct TypeName {
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EntityDefinition {
    pub(crate) logical_name: String,
    #[serde(default)]
    schema_name: Option<String>,
    pub(crate) entity_set_name: Option<String>,
    pub(crate) primary_id_attribute: Option<String>,
    #[serde(default)]
    primary_name_attribute: Option<String>,
    #[serde(default)]
    primary_image_attribute: Option<String>,
    #[serde(default)]
    pub(crate) table_type: Option<String>,
    #[serde(default)]
    is_activity: Option<bool>,
    #[serde(default)]
    display_name: Option<Label>,
    #[serde(default)]
    attributes: Vec<AttributeDefinition>,
    #[serde(default)]
    keys: Vec<KeyDefinition>,
    #[serde(default)]
    many_to_one_relationships: Vec<OneToManyDefinition>,
    #[serde(default)]
    one_to_many_relationships: Vec<OneToManyDefinition>,
    #[serde(default)]
    many_to_many_relationships: Vec<ManyToManyDefinition>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeDefinition {
    logical_name: String,
    #[serde(default)]
    schema_name: Option<String>,
    #[serde(default)]
    attribute_type: Option<String>,
    #[serde(default)]
    attribute_type_name: Option<TypeName>,
    #[serde(default)]
    display_name: Option<Label>,
    #[serde(default)]
    is_primary_id: Option<bool>,
    #[serde(default)]
    is_primary_name: Option<bool>,
    #[serde(default)]
    is_valid_for_create: Option<bool>,
    #[serde(default)]
    is_valid_for_update: Option<bool>,
    #[serde(default)]
    is_valid_for_read: Option<bool>,
    #[serde(default)]
    attribute_of: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyDefinition {
    logical_name: String,
    #[serde(default)]
    schema_name: Option<String>,
    #[serde(default)]
    key_attributes: Vec<String>,
    #[serde(default)]
    entity_key_index_status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OneToManyDefinition {
    schema_name: String,
    referenced_entity: String,
    referenced_attribute: String,
    referencing_entity: String,
    referencing_attribute: String,
    #[serde(default)]
    referenced_entity_navigation_property_name: Option<String>,
    #[serde(default)]
    referencing_entity_navigation_property_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManyToManyDefinition {
    schema_name: String,
    entity1_logical_name: String,
    entity2_logical_name: String,
    #[serde(default)]
    intersect_entity_name: Option<String>,
    #[serde(default)]
    entity1_navigation_property_name: Option<String>,
    #[serde(default)]
    entity2_navigation_property_name: Option<String>,
}

/// One attribute of a `…/Attributes/Microsoft.Dynamics.CRM.<Type>AttributeMetadata` answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ChoiceAttribute {
    pub(crate) logical_name: String,
    #[serde(default)]
    option_set: Option<OptionSetDefinition>,
    #[serde(default)]
    global_option_set: Option<OptionSetDefinition>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct OptionSetDefinition {
    name: Option<String>,
    is_global: Option<bool>,
    options: Vec<OptionDefinition>,
    true_option: Option<OptionDefinition>,
    false_option: Option<OptionDefinition>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OptionDefinition {
    value: i32,
    #[serde(default)]
    label: Option<Label>,
    #[serde(default)]
    state: Option<i32>,
}

impl ChoiceAttribute {
    /// The options: a global choice's when the column uses one, else the column's own; a yes/no
    /// column's two options, `false` first.
    pub(crate) fn choices(self) -> Choices {
        let set = match (self.global_option_set, self.option_set) {
            (Some(global), _) if !global.options.is_empty() => global,
            (_, Some(local)) => local,
            (Some(global), None) => global,
            (None, None) => OptionSetDefinition::default(),
        };
        let global_name = set.name.clone().filter(|_| set.is_global == Some(true));
        let mut options: Vec<ChoiceOption> = Vec::new();
        for option in set.false_option.into_iter().chain(set.true_option).chain(set.options) {
            let label = option.label.unwrap_or_default();
            options.push(ChoiceOption {
                value: option.value,
                label: label.text(),
                localized_labels: label.all(),
                state: option.state,
            });
        }
        Choices { global_name, options }
    }
}

impl EntityDefinition {
    /// The public model, or why it cannot be built.
    pub(crate) fn into_model(self) -> Result<TableMetadata, String> {
        let entity_set_name = self
            .entity_set_name
            .ok_or_else(|| format!("the table {} has no EntitySetName", self.logical_name))?;
        let primary_id_attribute = self
            .primary_id_attribute
            .ok_or_else(|| format!("the table {} has no PrimaryIdAttribute", self.logical_name))?;
        let relationship = |r: OneToManyDefinition| OneToManyRelationship {
            schema_name: r.schema_name,
            referenced_entity: r.referenced_entity,
            referenced_attribute: r.referenced_attribute,
            referencing_entity: r.referencing_entity,
            referencing_attribute: r.referencing_attribute,
            referenced_entity_navigation_property_name: r
                .referenced_entity_navigation_property_name,
            referencing_entity_navigation_property_name: r
                .referencing_entity_navigation_property_name,
        };
        Ok(TableMetadata {
            table_type: TableType::parse(self.table_type.as_deref()),
            logical_name: self.logical_name,
            schema_name: self.schema_name,
            entity_set_name,
            primary_id_attribute,
            primary_name_attribute: self.primary_name_attribute,
            primary_image_attribute: self.primary_image_attribute,
            is_activity: self.is_activity.unwrap_or(false),
            display_name: self.display_name.and_then(|l| l.text()),
            attributes: self
                .attributes
                .into_iter()
                .map(|a| AttributeMetadata {
                    attribute_type: AttributeType::parse(a.attribute_type.as_deref().unwrap_or("")),
                    type_name: a.attribute_type_name.and_then(|t| t.value),
                    display_name: a.display_name.and_then(|l| l.text()),
                    logical_name: a.logical_name,
                    schema_name: a.schema_name,
                    is_primary_id: a.is_primary_id.unwrap_or(false),
                    is_primary_name: a.is_primary_name.unwrap_or(false),
                    is_valid_for_create: a.is_valid_for_create.unwrap_or(false),
                    is_valid_for_update: a.is_valid_for_update.unwrap_or(false),
                    is_valid_for_read: a.is_valid_for_read.unwrap_or(false),
                    attribute_of: a.attribute_of,
                    choices: None,
                })
                .collect(),
            keys: self
                .keys
                .into_iter()
                .map(|k| AlternateKeyMetadata {
                    logical_name: k.logical_name,
                    schema_name: k.schema_name,
                    key_attributes: k.key_attributes,
                    index_status: k.entity_key_index_status,
                })
                .collect(),
            many_to_one: self.many_to_one_relationships.into_iter().map(relationship).collect(),
            one_to_many: self.one_to_many_relationships.into_iter().map(relationship).collect(),
            many_to_many: self
                .many_to_many_relationships
                .into_iter()
                .map(|r| ManyToManyRelationship {
                    schema_name: r.schema_name,
                    entity1_logical_name: r.entity1_logical_name,
                    entity2_logical_name: r.entity2_logical_name,
                    intersect_entity_name: r.intersect_entity_name,
                    entity1_navigation_property_name: r.entity1_navigation_property_name,
                    entity2_navigation_property_name: r.entity2_navigation_property_name,
                })
                .collect(),
        })
    }
}
