//! Tables from a `$metadata` (OData v4 CSDL) document, read with `dataverse-csdl`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-service-documents#csdl-metadata-document>).
//!
//! Every entity set whose entity type has a single-column key becomes a table: its properties
//! (inherited ones included) are the columns, typed by their EDM type; `_x_value` properties
//! are lookups, written through the single-valued navigation properties whose referential
//! constraint names them (or, when a document leaves the constraint out, the one named
//! `_<navigation>_value` or `_<prefix>_value` for `<prefix>_<target table>`); collection-valued
//! navigation properties list the rows pointing back (their partner) or, when the partner is a
//! collection too, a many-to-many relationship; alternate keys come from the
//! `OData.Community.Keys.V1.AlternateKeys` annotation.
//!
//! CSDL does not say what Dataverse's attribute metadata says, so a few facts are inferred:
//! a decimal with a `<name>_base` sibling is a currency column; the key, the table's own id
//! column when the key is inherited (`systemuserid` next to `principal`'s `ownerid`), `createdon`,
//! `modifiedon`, `versionnumber`, `<currency>_base` and every property annotated
//! `Org.OData.Core.V1.Computed` (or read-only permissions) are managed by the server; a note's
//! `documentbody` is base64 with `filesize` and `objecttypecode` derived from it. Text has no
//! length limit unless the document gives a `MaxLength`.

use std::collections::HashMap;
use std::sync::Arc;

use dataverse_csdl::{Annotated, Document, EdmType, EntityType, MaxLength, Property};

use super::schema::{
    Access, AlternateKeyDef, CollectionKind, CollectionNavigationDef, ColumnKind, DataverseSchema,
    EntitySetDef, NavigationDef,
};

/// Why a `$metadata` document gave no tables.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MetadataError(String);

/// The longest text a column without `MaxLength` takes (a multiline text column's maximum).
const UNBOUNDED_TEXT: usize = 1_048_576;

impl DataverseSchema {
    /// The tables of a `$metadata` document, which the emulator then serves as is at
    /// `$metadata`.
    ///
    /// ```
    /// use dataverse_ironclad_sandbox::dataverse::DataverseSchema;
    /// let csdl = r#"<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices>
    ///   <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Microsoft.Dynamics.CRM" Alias="mscrm">
    ///     <EntityType Name="crmbaseentity" Abstract="true"/>
    ///     <EntityType Name="new_project" BaseType="mscrm.crmbaseentity">
    ///       <Key><PropertyRef Name="new_projectid"/></Key>
    ///       <Property Name="new_projectid" Type="Edm.Guid"/>
    ///       <Property Name="new_name" Type="Edm.String"/>
    ///     </EntityType>
    ///     <EntityContainer Name="System">
    ///       <EntitySet Name="new_projects" EntityType="Microsoft.Dynamics.CRM.new_project"/>
    ///     </EntityContainer>
    ///   </Schema></edmx:DataServices></edmx:Edmx>"#;
    /// let schema = DataverseSchema::from_csdl(csdl).unwrap();
    /// assert_eq!(schema.set("new_projects").unwrap().primary_key, "new_projectid");
    /// ```
    ///
    /// # Errors
    /// [`MetadataError`] when the document is not CSDL, has no entity container, or no entity
    /// set with a key.
    pub fn from_csdl(text: &str) -> Result<Self, MetadataError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let document = Document::from_str(text).map_err(|e| MetadataError(e.to_string()))?;
        let mut schema = tables(&document)?;
        schema.csdl = Some(Arc::from(text));
        Ok(schema)
    }
}

/// The entity-set name of every entity type that has one, by simple type name.
fn sets_by_type(document: &Document) -> HashMap<String, String> {
    let Some(container) = document.entity_container() else { return HashMap::new() };
    container
        .entity_sets
        .iter()
        .filter_map(|set| {
            document.entity_type(&set.entity_type).map(|t| (t.name.clone(), set.name.clone()))
        })
        .collect()
}

fn tables(document: &Document) -> Result<DataverseSchema, MetadataError> {
    let container = document
        .entity_container()
        .ok_or_else(|| MetadataError("the document has no EntityContainer".to_owned()))?;
    let set_of = sets_by_type(document);
    let set_names: std::collections::HashSet<&str> =
        container.entity_sets.iter().map(|s| s.name.as_str()).collect();
    let mut derived_sets: HashMap<String, Vec<String>> = HashMap::new();
    let mut sets = Vec::new();
    for entity_set in &container.entity_sets {
        let Some(entity_type) = document.entity_type(&entity_set.entity_type) else { continue };
        let [primary_key] = document.key_of(entity_type) else { continue };
        let mut def = EntitySetDef::bare(&entity_set.name, &entity_type.name, primary_key, "");
        let properties = document.all_properties(entity_type);
        def.primary_name = primary_name(&properties);
        for property in &properties {
            let (kind, access) = column(entity_type, primary_key, property, &properties);
            def.push(&property.name, kind, access);
        }
        for navigation in document.all_navigation_properties(entity_type) {
            let Some(target) = document.target_type(navigation) else { continue };
            // The binding's target when it names a table (documents bind `ownerid` to an
            // `owners` set they do not declare), the target type's table, and the tables of the
            // types deriving from it (`principal` → `systemusers`, `teams`).
            let bound =
                entity_set.binding_target(&navigation.name).filter(|t| set_names.contains(t));
            let mut targets: Vec<String> = bound
                .map(str::to_owned)
                .into_iter()
                .chain(set_of.get(&target.name).cloned())
                .collect();
            let derived = derived_sets.entry(target.name.clone()).or_insert_with(|| {
                document
                    .derived_types(target)
                    .iter()
                    .filter_map(|t| set_of.get(&t.name).cloned())
                    .collect()
            });
            for set in derived.iter() {
                if !targets.contains(set) {
                    targets.push(set.clone());
                }
            }
            targets.dedup();
            let Some((target_set, other_targets)) = targets.split_first() else { continue };
            if navigation.is_single() {
                let Some(lookup_column) = lookup_column(
                    navigation.constrained_property(),
                    &navigation.name,
                    &target.name,
                    &properties,
                ) else {
                    continue;
                };
                def.navigations.push(NavigationDef {
                    name: navigation.name.clone(),
                    lookup_column,
                    target_set: target_set.clone(),
                    other_targets: other_targets.to_vec(),
                    partner: navigation.partner.clone(),
                });
            } else if let Some(kind) =
                collection_kind(document, navigation, target, &entity_type.name)
            {
                def.collections.push(CollectionNavigationDef {
                    name: navigation.name.clone(),
                    target_set: target_set.clone(),
                    kind,
                });
            }
        }
        let mut keyed = document.ancestors(entity_type);
        keyed.insert(0, entity_type);
        for key in keyed.iter().flat_map(|t| t.alternate_keys()) {
            let columns: Vec<String> = key.parts.iter().map(|part| part.path.clone()).collect();
            if columns.iter().all(|c| def.column_def(c).is_some()) {
                let name =
                    key.parts.iter().map(|part| part.alias.as_str()).collect::<Vec<_>>().join("_");
                def.alternate_keys.push(AlternateKeyDef { name, columns });
            }
        }
        sets.push(def);
    }
    if sets.is_empty() {
        return Err(MetadataError(
            "the document has no entity set whose type has a key".to_owned(),
        ));
    }
    Ok(DataverseSchema::new(sets))
}

/// The column shown as a lookup's formatted value: `name`, else a text column named like
/// `fullname`, `subject` or `currencyname`, else the first text column.
fn primary_name(properties: &[&Property]) -> String {
    let text: Vec<&str> = properties
        .iter()
        .filter(|p| !p.type_ref.collection && p.type_ref.primitive() == Some(EdmType::String))
        .map(|p| p.name.as_str())
        .collect();
    ["name", "fullname", "subject", "title"]
        .into_iter()
        .find(|candidate| text.contains(candidate))
        .or_else(|| text.iter().copied().find(|n| n.ends_with("name") && !n.starts_with('_')))
        .or_else(|| text.first().copied())
        .unwrap_or_default()
        .to_owned()
}

fn column(
    entity_type: &EntityType,
    primary_key: &str,
    property: &Property,
    all: &[&Property],
) -> (ColumnKind, Access) {
    let name = property.name.as_str();
    let server = property.is_read_only()
        || name == primary_key
        || name == format!("{}id", entity_type.name)
        || matches!(name, "createdon" | "modifiedon" | "versionnumber")
        || name.ends_with("_base") && all.iter().any(|p| p.name == name.trim_end_matches("_base"));
    let access = if server { Access::ServerManaged } else { Access::ReadWrite };
    if property.type_ref.collection {
        return (ColumnKind::Other { edm_type: property.type_ref.to_string() }, access);
    }
    let is_note = entity_type.name == "annotation";
    let kind = match property.type_ref.primitive() {
        _ if name == primary_key => ColumnKind::PrimaryKey,
        Some(EdmType::String) if is_note && name == "documentbody" => ColumnKind::DocumentBody,
        Some(EdmType::String) if is_note && name == "objecttypecode" => {
            return (ColumnKind::EntityName, Access::ServerManaged);
        }
        Some(EdmType::Int32) if is_note && name == "filesize" => {
            return (ColumnKind::WholeNumber, Access::ServerManaged);
        }
        Some(EdmType::String) => ColumnKind::Text {
            max_length: match property.facets.max_length {
                Some(MaxLength::Length(n)) => usize::try_from(n).unwrap_or(UNBOUNDED_TEXT),
                _ => UNBOUNDED_TEXT,
            },
        },
        Some(EdmType::Int32) => ColumnKind::WholeNumber,
        Some(EdmType::Int64) => ColumnKind::BigInt,
        Some(EdmType::Int16) => ColumnKind::SmallInt,
        Some(EdmType::Decimal) => {
            let base = format!("{name}_base");
            if name.ends_with("_base") || all.iter().any(|p| p.name == base) {
                ColumnKind::Money
            } else {
                ColumnKind::Decimal
            }
        }
        Some(EdmType::Double) => ColumnKind::Double,
        Some(EdmType::Boolean) => ColumnKind::Boolean,
        Some(EdmType::DateTimeOffset) => ColumnKind::DateTime,
        Some(EdmType::Date) => ColumnKind::DateOnly,
        Some(EdmType::Guid) if property.lookup_column().is_some() => ColumnKind::Lookup,
        Some(EdmType::Guid) => ColumnKind::Guid,
        Some(EdmType::Binary) => ColumnKind::Binary,
        _ => ColumnKind::Other { edm_type: property.type_ref.to_string() },
    };
    (kind, access)
}

/// The `_x_value` column a single-valued navigation property writes.
fn lookup_column(
    constrained: Option<&str>,
    navigation: &str,
    target: &str,
    properties: &[&Property],
) -> Option<String> {
    let exists = |name: &str| properties.iter().any(|p| p.name == name);
    if let Some(column) = constrained.filter(|c| exists(c)) {
        return Some(column.to_owned());
    }
    let direct = format!("_{navigation}_value");
    if exists(&direct) {
        return Some(direct);
    }
    let prefix = navigation.strip_suffix(&format!("_{target}"))?;
    let polymorphic = format!("_{prefix}_value");
    exists(&polymorphic).then_some(polymorphic)
}

/// One-to-many when the partner on the target is single-valued, many-to-many when it is a
/// collection too (keyed by both names, so each side finds the same links).
fn collection_kind(
    document: &Document,
    navigation: &dataverse_csdl::NavigationProperty,
    target: &EntityType,
    own_type: &str,
) -> Option<CollectionKind> {
    let partner_name = navigation.partner.as_deref()?;
    let partner =
        document.all_navigation_properties(target).into_iter().find(|n| n.name == partner_name)?;
    if partner.is_single() {
        let properties = document.all_properties(target);
        let lookup_column =
            lookup_column(partner.constrained_property(), &partner.name, own_type, &properties)?;
        Some(CollectionKind::OneToMany { partner: partner.name.clone(), lookup_column })
    } else {
        let mut names = [navigation.name.as_str(), partner_name];
        names.sort_unstable();
        Some(CollectionKind::ManyToMany { relationship: names.join("|") })
    }
}
