//! Table definitions as the client exposes them.

/// A table's definition: names, keys, columns, choices and relationships; see
/// [`Client::table_metadata`](crate::Client::table_metadata).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TableMetadata {
    /// The logical name (`account`, `cre6f_agreement`): used in `@odata.type`, FetchXML and
    /// `objectid_<table>` binds.
    pub logical_name: String,
    /// The schema name (`Account`).
    pub schema_name: Option<String>,
    /// The entity set name the Web API addresses the table by (`accounts`).
    pub entity_set_name: String,
    /// The primary key column (`accountid`).
    pub primary_id_attribute: String,
    /// The primary name column (`name`), if the table has one.
    pub primary_name_attribute: Option<String>,
    /// The primary image column, if the table has one.
    pub primary_image_attribute: Option<String>,
    /// Standard, elastic or virtual.
    pub table_type: TableType,
    /// Whether the table is an activity (task, email, …).
    pub is_activity: bool,
    /// The table's display name in the user's language.
    pub display_name: Option<String>,
    /// The columns.
    pub attributes: Vec<AttributeMetadata>,
    /// The alternate keys.
    pub keys: Vec<AlternateKeyMetadata>,
    /// Lookups from this table to others (many-to-one).
    pub many_to_one: Vec<OneToManyRelationship>,
    /// Lookups from other tables to this one (one-to-many).
    pub one_to_many: Vec<OneToManyRelationship>,
    /// Many-to-many relationships.
    pub many_to_many: Vec<ManyToManyRelationship>,
}

impl TableMetadata {
    /// A column by logical name.
    pub fn attribute(&self, logical_name: &str) -> Option<&AttributeMetadata> {
        self.attributes.iter().find(|a| a.logical_name == logical_name)
    }

    /// The label of one value of a choice column (in the user's language).
    pub fn choice_label(&self, attribute: &str, value: i32) -> Option<&str> {
        self.attribute(attribute)?.choices.as_ref()?.label(value)
    }

    /// The (case-sensitive) single-valued navigation property to write a lookup column with
    /// `<navigation property>@odata.bind`: for `parentcustomerid` on `contact` that is
    /// `parentcustomerid_account` or `parentcustomerid_contact`, so give the target table.
    pub fn lookup_navigation_property(&self, attribute: &str, target_table: &str) -> Option<&str> {
        self.many_to_one
            .iter()
            .find(|r| r.referencing_attribute == attribute && r.referenced_entity == target_table)
            .and_then(|r| r.referencing_entity_navigation_property_name.as_deref())
    }

    /// Whether the table is an elastic table (bulk messages take about 100 rows a request there).
    pub fn is_elastic(&self) -> bool {
        self.table_type == TableType::Elastic
    }
}

/// How a table stores its rows (`EntityMetadata.TableType`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TableType {
    /// Azure SQL, transactional.
    #[default]
    Standard,
    /// Azure Cosmos DB: no transactions, partial success in bulk messages, `partitionid`.
    Elastic,
    /// Rows live in an external system.
    Virtual,
    /// A value this client does not know.
    Other(String),
}

impl TableType {
    pub(crate) fn parse(text: Option<&str>) -> Self {
        match text {
            None | Some("Standard") => TableType::Standard,
            Some("Elastic") => TableType::Elastic,
            Some("Virtual") => TableType::Virtual,
            Some(other) => TableType::Other(other.to_owned()),
        }
    }
}

/// A column's definition.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AttributeMetadata {
    /// The logical name (`revenue`).
    pub logical_name: String,
    /// The schema name (`Revenue`).
    pub schema_name: Option<String>,
    /// The column type (`AttributeType`).
    pub attribute_type: AttributeType,
    /// The finer type name (`AttributeTypeName`), which tells file, image and multi-select
    /// choice columns apart: `FileType`, `ImageType`, `MultiSelectPicklistType`, …
    pub type_name: Option<String>,
    /// The display name in the user's language.
    pub display_name: Option<String>,
    /// Whether this is the primary key.
    pub is_primary_id: bool,
    /// Whether this is the primary name.
    pub is_primary_name: bool,
    /// Whether a create may set it.
    pub is_valid_for_create: bool,
    /// Whether an update may set it.
    pub is_valid_for_update: bool,
    /// Whether it can be read.
    pub is_valid_for_read: bool,
    /// For a supporting column (`revenue_base`, `<file>_name`), the column it belongs to.
    pub attribute_of: Option<String>,
    /// The options of a choice, multi-select choice, status, status reason or yes/no column.
    pub choices: Option<Choices>,
}

/// A column's type (`AttributeTypeCode`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)] // The names are Dataverse's own.
pub enum AttributeType {
    BigInt,
    Boolean,
    CalendarRules,
    Customer,
    DateTime,
    Decimal,
    Double,
    EntityName,
    Integer,
    Lookup,
    ManagedProperty,
    Memo,
    Money,
    Owner,
    PartyList,
    Picklist,
    State,
    Status,
    String,
    Uniqueidentifier,
    Virtual,
    /// A value this client does not know.
    Other(String),
}

impl AttributeType {
    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "BigInt" => AttributeType::BigInt,
            "Boolean" => AttributeType::Boolean,
            "CalendarRules" => AttributeType::CalendarRules,
            "Customer" => AttributeType::Customer,
            "DateTime" => AttributeType::DateTime,
            "Decimal" => AttributeType::Decimal,
            "Double" => AttributeType::Double,
            "EntityName" => AttributeType::EntityName,
            "Integer" => AttributeType::Integer,
            "Lookup" => AttributeType::Lookup,
            "ManagedProperty" => AttributeType::ManagedProperty,
            "Memo" => AttributeType::Memo,
            "Money" => AttributeType::Money,
            "Owner" => AttributeType::Owner,
            "PartyList" => AttributeType::PartyList,
            "Picklist" => AttributeType::Picklist,
            "State" => AttributeType::State,
            "Status" => AttributeType::Status,
            "String" => AttributeType::String,
            "Uniqueidentifier" => AttributeType::Uniqueidentifier,
            "Virtual" => AttributeType::Virtual,
            other => AttributeType::Other(other.to_owned()),
        }
    }
}

/// The options of a choice column.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Choices {
    /// The global choice's name, when the column uses one.
    pub global_name: Option<String>,
    /// The options in their defined order.
    pub options: Vec<ChoiceOption>,
}

impl Choices {
    /// The label of `value` in the user's language.
    pub fn label(&self, value: i32) -> Option<&str> {
        self.options.iter().find(|o| o.value == value).and_then(|o| o.label.as_deref())
    }

    /// The value whose label (in the user's language) is `label`.
    pub fn value_of(&self, label: &str) -> Option<i32> {
        self.options.iter().find(|o| o.label.as_deref() == Some(label)).map(|o| o.value)
    }
}

/// One option of a choice column.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ChoiceOption {
    /// The stored value.
    pub value: i32,
    /// The label in the user's language.
    pub label: Option<String>,
    /// The label in every language: `(language code, label)`.
    pub localized_labels: Vec<(i32, String)>,
    /// For a status reason, the status (`statecode`) it belongs to.
    pub state: Option<i32>,
}

/// An alternate key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlternateKeyMetadata {
    /// The key's logical name.
    pub logical_name: String,
    /// The key's schema name.
    pub schema_name: Option<String>,
    /// The columns that make up the key.
    pub key_attributes: Vec<String>,
    /// Whether the key's index is ready (`Active`) or still being built (`Pending`,
    /// `InProgress`) or failed (`Failed`); a key is usable only when `Active`.
    pub index_status: Option<String>,
}

/// A one-to-many relationship (a lookup column on the referencing table).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OneToManyRelationship {
    /// The relationship's schema name (`contact_customer_accounts`).
    pub schema_name: String,
    /// The table the lookup points to.
    pub referenced_entity: String,
    /// Its key column.
    pub referenced_attribute: String,
    /// The table holding the lookup column.
    pub referencing_entity: String,
    /// The lookup column.
    pub referencing_attribute: String,
    /// The collection-valued navigation property on the referenced table.
    pub referenced_entity_navigation_property_name: Option<String>,
    /// The single-valued navigation property on the referencing table (use it with
    /// `@odata.bind`; it is case-sensitive).
    pub referencing_entity_navigation_property_name: Option<String>,
}

/// A many-to-many relationship.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManyToManyRelationship {
    /// The relationship's schema name.
    pub schema_name: String,
    /// The first table.
    pub entity1_logical_name: String,
    /// The second table.
    pub entity2_logical_name: String,
    /// The intersect table.
    pub intersect_entity_name: Option<String>,
    /// The collection-valued navigation property on the first table.
    pub entity1_navigation_property_name: Option<String>,
    /// The collection-valued navigation property on the second table.
    pub entity2_navigation_property_name: Option<String>,
}
