//! Table definitions: entity sets, columns, keys and navigation properties.
//!
//! This mirrors what a Dataverse `$metadata` document declares and what the Web API enforces
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-service-documents>):
//! an entity set name (`cre6f_agreements`) differs from the table's logical name
//! (`cre6f_agreement`); every lookup column is read as `_<name>_value` and written through a
//! single-valued navigation property whose name is case-sensitive (`cre6f_Opportunity`); a
//! polymorphic lookup (a note's `objectid`) has one navigation property per target table
//! (`objectid_cre6f_agreement`, `objectid_account`, …) sharing one `_objectid_value` column; the
//! other side of a lookup is a collection-valued navigation property (`Account_Annotation`), and
//! many-to-many relationships are collection-valued on both sides. Alternate keys come from the
//! `OData.Community.Keys.V1.AlternateKeys` annotation.

use std::collections::HashMap;
use std::sync::Arc;

/// How a column's values look on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnKind {
    /// Single line of text (`Edm.String`) with a maximum length.
    Text {
        /// Maximum length in characters.
        max_length: usize,
    },
    /// Multiple lines of text (`Edm.String`).
    Memo {
        /// Maximum length in characters.
        max_length: usize,
    },
    /// Whole number (`Edm.Int32`).
    WholeNumber,
    /// Big integer (`Edm.Int64`), e.g. `versionnumber`.
    BigInt,
    /// Decimal number (`Edm.Decimal`).
    Decimal,
    /// Currency (`Edm.Decimal`); setting one also sets the row's transaction currency.
    Money,
    /// Yes/No (`Edm.Boolean`).
    Boolean,
    /// Date and time (`Edm.DateTimeOffset`, UTC, whole seconds).
    DateTime,
    /// Date only (`Edm.Date`, `2026-12-01`).
    DateOnly,
    /// Choice (`Edm.Int32` on the wire, a label in the formatted value).
    Choice {
        /// Allowed values and their labels.
        options: Vec<(i64, String)>,
    },
    /// Unique identifier (`Edm.Guid`): the primary key.
    PrimaryKey,
    /// Autonumber (`Edm.String`): `prefix` + a zero-padded sequence starting at `seed`.
    Autonumber {
        /// Text before the number (`AGR-`).
        prefix: String,
        /// Digits of the number (`5` gives `AGR-01000`).
        width: usize,
        /// The first number.
        seed: u64,
    },
    /// Lookup (`_<name>_value`, `Edm.Guid`), written through a navigation property.
    Lookup,
    /// A note's `documentbody`: a base64 string; sets `filesize`.
    DocumentBody,
    /// The logical name of the table a polymorphic lookup points at (`objecttypecode`).
    EntityName,
    /// Floating point number (`Edm.Double`).
    Double,
    /// A unique identifier that is neither the key nor a lookup (`Edm.Guid`).
    Guid,
    /// Binary data (`Edm.Binary`, base64 on the wire).
    Binary,
    /// Small integer (`Edm.Int16`).
    SmallInt,
    /// A file column (`Edm.Binary` in `$metadata`, with a `<name>_name` column): read as the
    /// file's id; the file itself is uploaded, downloaded and deleted on its own
    /// (<https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data>).
    File {
        /// The largest file the column takes (`MaxSizeInKB`, 32 MB by default).
        max_size_kb: u64,
    },
    /// An image column (`Edm.Binary`, with `<name>_url` and `<name>_timestamp` columns): base64
    /// on the wire, also uploaded and downloaded like a file
    /// (<https://learn.microsoft.com/power-apps/developer/data-platform/image-column-data>).
    Image {
        /// The largest image the column takes (`MaxSizeInKB`, at most 30 MB).
        max_size_kb: u64,
    },
    /// Any other declared type (complex, enumeration or collection types): stored and returned
    /// as the JSON the client sent, not validated.
    Other {
        /// The declared type, as `$metadata` spells it (`Collection(Edm.String)`).
        edm_type: String,
    },
}

impl ColumnKind {
    /// The EDM type name used in OData error messages.
    pub(crate) fn edm_type(&self) -> &str {
        match self {
            ColumnKind::Other { edm_type } => edm_type,
            scalar => scalar.scalar_edm().unwrap_or("Edm.Untyped"),
        }
    }

    /// Whether the column holds numbers (what sums and averages take).
    pub(crate) fn is_numeric(&self) -> bool {
        matches!(
            self,
            ColumnKind::WholeNumber
                | ColumnKind::BigInt
                | ColumnKind::SmallInt
                | ColumnKind::Decimal
                | ColumnKind::Money
                | ColumnKind::Double
        )
    }

    /// The EDM type of a scalar column; `None` for [`ColumnKind::Other`].
    pub(crate) fn scalar_edm(&self) -> Option<&'static str> {
        Some(match self {
            ColumnKind::Text { .. }
            | ColumnKind::Memo { .. }
            | ColumnKind::Autonumber { .. }
            | ColumnKind::DocumentBody
            | ColumnKind::EntityName => "Edm.String",
            ColumnKind::WholeNumber | ColumnKind::Choice { .. } => "Edm.Int32",
            ColumnKind::BigInt => "Edm.Int64",
            ColumnKind::SmallInt => "Edm.Int16",
            ColumnKind::Decimal | ColumnKind::Money => "Edm.Decimal",
            ColumnKind::Double => "Edm.Double",
            ColumnKind::Boolean => "Edm.Boolean",
            ColumnKind::DateTime => "Edm.DateTimeOffset",
            ColumnKind::DateOnly => "Edm.Date",
            ColumnKind::PrimaryKey | ColumnKind::Lookup | ColumnKind::Guid => "Edm.Guid",
            ColumnKind::Binary | ColumnKind::File { .. } | ColumnKind::Image { .. } => "Edm.Binary",
            ColumnKind::Other { .. } => return None,
        })
    }
}

/// Whether clients may write a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Clients write it.
    ReadWrite,
    /// Managed by the server; a value sent by a client is ignored, as Dataverse does for
    /// `createdon`, `modifiedon`, `versionnumber` and `filesize`.
    ServerManaged,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ColumnDef {
    /// Logical name as it appears in JSON (`cre6f_name`, `_cre6f_opportunity_value`).
    pub name: String,
    /// Wire type.
    pub kind: ColumnKind,
    /// Who writes it.
    pub access: Access,
}

/// A single-valued navigation property (the writable side of a lookup).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NavigationDef {
    /// The case-sensitive name used in `@odata.bind` and `$expand` (`cre6f_Opportunity`).
    pub name: String,
    /// The lookup column it fills (`_cre6f_opportunity_value`).
    pub lookup_column: String,
    /// The entity set it points at (`opportunities`).
    pub target_set: String,
    /// Further entity sets it accepts, when the declared target is a base type (`ownerid` points
    /// at `principal`, whose rows live in `systemusers` and `teams`).
    pub other_targets: Vec<String>,
    /// The collection-valued navigation property on the target that lists the rows pointing
    /// back (`Account_Annotation` for a note's `objectid_account`), when declared.
    pub partner: Option<String>,
}

impl NavigationDef {
    /// Whether rows of `entity_set` may be bound through this navigation property.
    pub fn accepts(&self, entity_set: &str) -> bool {
        self.target_set == entity_set || self.other_targets.iter().any(|t| t == entity_set)
    }
}

/// What a collection-valued navigation property lists.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CollectionKind {
    /// One-to-many: the rows of the target table whose lookup `lookup_column` (written through
    /// the target's navigation property `partner`) points at this row.
    OneToMany {
        /// The single-valued navigation property on the target (`objectid_account`).
        partner: String,
        /// The lookup column on the target (`_objectid_value`).
        lookup_column: String,
    },
    /// Many-to-many: rows related through the intersect table of relationship `relationship`.
    ManyToMany {
        /// The relationship's schema name (the navigation property's name on both sides).
        relationship: String,
    },
}

/// A collection-valued navigation property (`Account_Annotation`, `contact_customer_accounts`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CollectionNavigationDef {
    /// The case-sensitive name used in URLs, `$expand` and `@odata.bind` arrays.
    pub name: String,
    /// The entity set it lists.
    pub target_set: String,
    /// How the related rows are found.
    pub kind: CollectionKind,
}

/// An alternate key: columns whose values identify one row (`accounts(accountnumber='A1')`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlternateKeyDef {
    /// The key's name.
    pub name: String,
    /// Its columns, in declaration order (a lookup column appears as `_x_value`).
    pub columns: Vec<String>,
}

/// One table, addressed by its entity set name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntitySetDef {
    /// Entity set name in URLs (`cre6f_agreements`).
    pub entity_set: String,
    /// Logical name (`cre6f_agreement`), used in `Microsoft.Dynamics.CRM.<logical>` and errors.
    pub logical_name: String,
    /// Primary key column (`cre6f_agreementid`).
    pub primary_key: String,
    /// Primary name column (`cre6f_name`), shown as a lookup's formatted value.
    pub primary_name: String,
    /// Columns, in `$metadata` order (the order a response without `$select` uses).
    pub columns: Vec<ColumnDef>,
    /// Single-valued navigation properties.
    pub navigations: Vec<NavigationDef>,
    /// Collection-valued navigation properties.
    pub collections: Vec<CollectionNavigationDef>,
    /// Alternate keys.
    pub alternate_keys: Vec<AlternateKeyDef>,
    /// Whether the table takes the bulk messages (`CreateMultiple`, `UpdateMultiple`,
    /// `UpsertMultiple`). Custom tables and many standard ones do, not all
    /// (<https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations#availability-with-standard-tables>);
    /// the others answer `0x80040800`.
    pub bulk_messages: bool,
}

impl EntitySetDef {
    /// A table with its key, `createdon`, `modifiedon` and `versionnumber` columns.
    ///
    /// ```
    /// use dataverse_ironclad_sandbox::dataverse::EntitySetDef;
    /// let projects = EntitySetDef::new("cre6f_projects", "cre6f_project", "cre6f_projectid", "cre6f_name")
    ///     .text("cre6f_name", 100)
    ///     .text("cre6f_code", 20)
    ///     .alternate_key("cre6f_code_key", &["cre6f_code"])
    ///     .lookup("cre6f_Account", "_cre6f_account_value", "accounts");
    /// assert_eq!(projects.navigation("cre6f_Account").unwrap().target_set, "accounts");
    /// ```
    pub fn new(
        entity_set: &str,
        logical_name: &str,
        primary_key: &str,
        primary_name: &str,
    ) -> Self {
        let mut set = Self::bare(entity_set, logical_name, primary_key, primary_name);
        set.push(primary_key, ColumnKind::PrimaryKey, Access::ServerManaged);
        set.push("createdon", ColumnKind::DateTime, Access::ServerManaged);
        set.push("modifiedon", ColumnKind::DateTime, Access::ServerManaged);
        set.push("versionnumber", ColumnKind::BigInt, Access::ServerManaged);
        set
    }

    /// A table with no columns yet (the `$metadata` reader adds them in document order).
    pub(crate) fn bare(
        entity_set: &str,
        logical_name: &str,
        primary_key: &str,
        primary_name: &str,
    ) -> Self {
        Self {
            entity_set: entity_set.to_owned(),
            logical_name: logical_name.to_owned(),
            primary_key: primary_key.to_owned(),
            primary_name: primary_name.to_owned(),
            columns: Vec::new(),
            navigations: Vec::new(),
            collections: Vec::new(),
            alternate_keys: Vec::new(),
            bulk_messages: true,
        }
    }

    pub(crate) fn push(&mut self, name: &str, kind: ColumnKind, access: Access) {
        if self.column_def(name).is_none() {
            self.columns.push(ColumnDef { name: name.to_owned(), kind, access });
        }
    }

    /// Add a column of any kind.
    pub fn column(mut self, name: &str, kind: ColumnKind) -> Self {
        self.push(name, kind, Access::ReadWrite);
        self
    }

    /// Add a server-managed column (client values are ignored).
    pub fn server_managed(mut self, name: &str, kind: ColumnKind) -> Self {
        self.push(name, kind, Access::ServerManaged);
        self
    }

    /// Add a single line of text.
    pub fn text(self, name: &str, max_length: usize) -> Self {
        self.column(name, ColumnKind::Text { max_length })
    }

    /// Add a currency column.
    pub fn money(self, name: &str) -> Self {
        self.column(name, ColumnKind::Money)
    }

    /// Add a choice column.
    pub fn choice(self, name: &str, options: &[(i64, &str)]) -> Self {
        let options = options.iter().map(|(v, l)| (*v, (*l).to_owned())).collect();
        self.column(name, ColumnKind::Choice { options })
    }

    /// Add `statecode` (0 Active / 1 Inactive) and `statuscode` (1 Active / 2 Inactive).
    pub fn with_state(self) -> Self {
        self.choice("statecode", &[(0, "Active"), (1, "Inactive")])
            .choice("statuscode", &[(1, "Active"), (2, "Inactive")])
    }

    /// Add a navigation property `nav` that fills `lookup_column` and points at `target_set`.
    /// Several navigation properties may share one lookup column (a polymorphic lookup).
    pub fn lookup(mut self, nav: &str, lookup_column: &str, target_set: &str) -> Self {
        self.push(lookup_column, ColumnKind::Lookup, Access::ReadWrite);
        self.navigations.push(NavigationDef {
            name: nav.to_owned(),
            lookup_column: lookup_column.to_owned(),
            target_set: target_set.to_owned(),
            other_targets: Vec::new(),
            partner: None,
        });
        self
    }

    /// Add a file column `name` (and its `<name>_name` column) taking files up to `max_size_kb`.
    pub fn file(mut self, name: &str, max_size_kb: u64) -> Self {
        self.push(name, ColumnKind::File { max_size_kb }, Access::ServerManaged);
        self.push(
            &format!("{name}_name"),
            ColumnKind::Text { max_length: 200 },
            Access::ServerManaged,
        );
        self
    }

    /// Refuse the bulk messages, as some standard tables do (`0x80040800`).
    pub fn without_bulk_messages(mut self) -> Self {
        self.bulk_messages = false;
        self
    }

    /// Add an alternate key over `columns`.
    pub fn alternate_key(mut self, name: &str, columns: &[&str]) -> Self {
        self.alternate_keys.push(AlternateKeyDef {
            name: name.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        });
        self
    }

    /// Add a many-to-many collection-valued navigation property `relationship` to `target_set`
    /// (declare it on both tables with the same relationship name).
    pub fn many_to_many(mut self, relationship: &str, target_set: &str) -> Self {
        self.collections.push(CollectionNavigationDef {
            name: relationship.to_owned(),
            target_set: target_set.to_owned(),
            kind: CollectionKind::ManyToMany { relationship: relationship.to_owned() },
        });
        self
    }

    /// Column `name`.
    pub fn column_def(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Navigation property `name` (exact case).
    pub fn navigation(&self, name: &str) -> Option<&NavigationDef> {
        self.navigations.iter().find(|n| n.name == name)
    }

    /// Collection-valued navigation property `name` (exact case).
    pub fn collection(&self, name: &str) -> Option<&CollectionNavigationDef> {
        self.collections.iter().find(|n| n.name == name)
    }

    /// The navigation properties that fill `lookup_column`.
    pub(crate) fn navigations_for(
        &self,
        lookup_column: &str,
    ) -> impl Iterator<Item = &NavigationDef> {
        self.navigations.iter().filter(move |n| n.lookup_column == lookup_column)
    }

    /// Order columns for output: `$metadata` order.
    pub(crate) fn metadata_order(&self, names: &mut [String]) {
        names.sort_by_key(|name| self.column_index(name).unwrap_or(usize::MAX));
    }
}

/// The tables one emulated environment has.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DataverseSchema {
    /// Every table.
    pub sets: Vec<EntitySetDef>,
    /// The `$metadata` document these tables were read from, served as is at `$metadata`; when
    /// `None`, the sandbox writes one from the tables.
    pub csdl: Option<Arc<str>>,
}

impl DataverseSchema {
    /// A schema with these tables.
    pub fn new(sets: Vec<EntitySetDef>) -> Self {
        Self { sets, csdl: None }
    }

    /// The `$metadata` document of these tables: the one they were read from, else one written
    /// from them in the shape Dataverse serves.
    ///
    /// ```
    /// use dataverse_ironclad_sandbox::dataverse::{DataverseSchema, EntitySetDef};
    /// let schema = DataverseSchema::new(vec![
    ///     EntitySetDef::new("new_projects", "new_project", "new_projectid", "new_name").text("new_name", 100),
    /// ]);
    /// assert!(schema.to_csdl().contains(r#"<EntitySet Name="new_projects" EntityType="Microsoft.Dynamics.CRM.new_project">"#));
    /// ```
    pub fn to_csdl(&self) -> String {
        match &self.csdl {
            Some(text) => text.to_string(),
            None => super::csdl_writer::write(self),
        }
    }

    /// Add a table (replacing one with the same entity set name).
    pub fn with_set(mut self, set: EntitySetDef) -> Self {
        self.sets.retain(|s| s.entity_set != set.entity_set);
        self.sets.push(set);
        self.csdl = None;
        self
    }

    /// The table behind entity set `name` (exact case, as the Web API resolves it).
    pub fn set(&self, name: &str) -> Option<&EntitySetDef> {
        self.sets.iter().find(|s| s.entity_set == name)
    }

    /// The table whose logical name is `logical`.
    pub fn set_by_logical(&self, logical: &str) -> Option<&EntitySetDef> {
        self.sets.iter().find(|s| s.logical_name == logical)
    }
}

/// The schema indexed for the store: tables shared by reference, found by name in O(1).
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    sets: Vec<Arc<EntitySetDef>>,
    by_name: HashMap<String, usize>,
    by_logical: HashMap<String, usize>,
    /// The `$metadata` document served.
    pub(crate) csdl: Arc<str>,
}

impl Catalog {
    pub(crate) fn new(schema: DataverseSchema) -> Self {
        let csdl = match schema.csdl.clone() {
            Some(text) => text,
            None => Arc::from(super::csdl_writer::write(&schema)),
        };
        let sets: Vec<Arc<EntitySetDef>> = schema.sets.into_iter().map(Arc::new).collect();
        let by_name = sets.iter().enumerate().map(|(i, s)| (s.entity_set.clone(), i)).collect();
        let mut by_logical = HashMap::new();
        for (index, set) in sets.iter().enumerate() {
            by_logical.entry(set.logical_name.clone()).or_insert(index);
        }
        Self { sets, by_name, by_logical, csdl }
    }

    /// The table behind entity set `name` (exact case).
    pub(crate) fn set(&self, name: &str) -> Option<&Arc<EntitySetDef>> {
        self.by_name.get(name).map(|i| &self.sets[*i])
    }

    /// The table whose logical name is `logical`.
    pub(crate) fn set_by_logical(&self, logical: &str) -> Option<&Arc<EntitySetDef>> {
        self.by_logical.get(logical).map(|i| &self.sets[*i])
    }

    /// Every table, in schema order.
    pub(crate) fn sets(&self) -> impl Iterator<Item = &Arc<EntitySetDef>> {
        self.sets.iter()
    }
}
