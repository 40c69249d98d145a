//! What to generate for a table, worked out from the CSDL model: names, Rust types, lookups and
//! their write targets, keys. Emitting code from a plan is then mechanical.

use std::collections::BTreeMap;

use dataverse_csdl::{
    Annotated, Document, EdmType, EntityType, NavigationProperty, Property, TypeRef,
};

use crate::choices::{Choice, TableExtras};
use crate::names::{Scope, snake, upper_camel};
use crate::operations::{self, OperationPlan};

/// How a column's value is represented in Rust.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Guid,
    Text,
    Bool,
    Int16,
    Int32,
    Int64,
    Byte,
    Double,
    Decimal,
    DateTime,
    Date,
    /// A choice with known labels: a generated enum.
    Choice {
        enum_name: String,
        options: Vec<(i32, String, Option<String>)>,
    },
    /// Anything else (durations, enums of the service, collections): kept as JSON.
    Json,
}

impl Kind {
    fn of(property: &Property) -> Kind {
        if property.type_ref.collection {
            return Kind::Json;
        }
        Kind::of_primitive(&property.type_ref)
    }

    /// The kind of a primitive type (ignoring `Collection(…)`); anything else is JSON.
    pub(crate) fn of_primitive(type_ref: &TypeRef) -> Kind {
        match type_ref.primitive() {
            Some(EdmType::Guid) => Kind::Guid,
            Some(EdmType::String | EdmType::Binary) => Kind::Text,
            Some(EdmType::Boolean) => Kind::Bool,
            Some(EdmType::Int16) => Kind::Int16,
            Some(EdmType::Int32) => Kind::Int32,
            Some(EdmType::Int64) => Kind::Int64,
            Some(EdmType::Byte) => Kind::Byte,
            Some(EdmType::Double | EdmType::Single) => Kind::Double,
            Some(EdmType::Decimal) => Kind::Decimal,
            Some(EdmType::DateTimeOffset) => Kind::DateTime,
            Some(EdmType::Date) => Kind::Date,
            _ => Kind::Json,
        }
    }
}

/// A column of the read struct (and of the column enum).
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// The name in JSON and in `$select` (`_parentaccountid_value` for a lookup).
    pub(crate) json_name: String,
    /// The Rust field / setter name.
    pub(crate) field: String,
    /// The column enum's variant.
    pub(crate) variant: String,
    pub(crate) kind: Kind,
    pub(crate) nullable: bool,
    /// A lookup: the lookup column's logical name.
    pub(crate) lookup: Option<String>,
    /// Whether a write may set it (not a lookup, not computed or read-only).
    pub(crate) writable: bool,
    pub(crate) description: Option<String>,
    /// The CSDL type, for docs.
    pub(crate) edm_type: String,
}

/// One way to set a lookup on write.
#[derive(Clone, Debug)]
pub(crate) struct Binder {
    /// The setter's name.
    pub(crate) method: String,
    /// The navigation property, case as in the metadata.
    pub(crate) navigation_property: String,
    /// The target's entity set and logical name.
    pub(crate) entity_set: String,
    pub(crate) target_table: String,
}

/// A lookup column as written: one binder per target table.
#[derive(Clone, Debug)]
pub(crate) struct WritableLookup {
    pub(crate) column: String,
    pub(crate) clear_method: String,
    pub(crate) binders: Vec<Binder>,
}

/// An alternate key.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    pub(crate) function: String,
    /// `(alias, parameter name, kind)`.
    pub(crate) parts: Vec<(String, String, Kind)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub(crate) logical_name: String,
    /// The module (and file) name: the logical name in snake case (service types such as
    /// `EntityMetadata` are not lowercase).
    pub(crate) module: String,
    pub(crate) entity_set: String,
    pub(crate) primary_id: Option<String>,
    pub(crate) primary_name: Option<(String, bool)>,
    pub(crate) struct_name: String,
    pub(crate) write_name: String,
    pub(crate) description: Option<String>,
    pub(crate) columns: Vec<Column>,
    pub(crate) lookups: Vec<WritableLookup>,
    pub(crate) keys: Vec<Key>,
    /// The actions and functions bound to a row of the table or to the table.
    pub(crate) operations: Vec<OperationPlan>,
}

impl Table {
    /// The primary key's field and whether it is an `Option`, when it is a GUID column (what
    /// `typed::Table::id` returns).
    pub(crate) fn primary_id_field(&self) -> Option<(&str, bool)> {
        let id = self.primary_id.as_deref()?;
        self.columns
            .iter()
            .find(|c| c.json_name == id && c.kind == Kind::Guid)
            .map(|c| (c.field.as_str(), c.nullable))
    }
}

/// Names the generated module uses itself.
const MODULE_ITEMS: [&str; 8] = [
    "Column",
    "LOGICAL_NAME",
    "ENTITY_SET",
    "PRIMARY_ID",
    "PRIMARY_NAME",
    "query",
    "by_id",
    "Other",
];

pub(crate) fn table(
    document: &Document,
    entity: &EntityType,
    entity_set: &str,
    extras: &TableExtras,
) -> Table {
    let logical_name = entity.name.clone();
    let properties = sorted_properties(document, entity);
    let struct_name = upper_camel(&logical_name);
    let write_name = format!("{struct_name}Write");

    let mut type_names = Scope::with(&MODULE_ITEMS);
    type_names.claim(struct_name.clone());
    type_names.claim(write_name.clone());
    let mut fields = Scope::with(&["etag"]);
    let mut variants = Scope::default();
    let mut columns: Vec<Column> = Vec::new();
    for property in &properties {
        let lookup = property.lookup_column().map(str::to_owned);
        let base = lookup.clone().unwrap_or_else(|| property.name.clone());
        let field = fields.claim(snake(&base));
        let variant = variants.claim(upper_camel(&field));
        let kind = match extras.choice(&logical_name, &property.name) {
            Some(choice) if Kind::of(property) == Kind::Int32 && lookup.is_none() => {
                let wanted = choice
                    .schema_name
                    .as_deref()
                    .map_or_else(|| upper_camel(&property.name), upper_camel);
                Kind::Choice { enum_name: type_names.claim(wanted), options: variants_of(choice) }
            }
            _ => Kind::of(property),
        };
        columns.push(Column {
            json_name: property.name.clone(),
            writable: lookup.is_none() && !property.is_read_only(),
            field,
            variant,
            kind,
            nullable: property.facets.nullable,
            lookup,
            description: property.description().map(str::to_owned),
            edm_type: property.type_ref.to_string(),
        });
    }
    // Labels of choice columns become `<field>_label`, lookups get `<field>_name` and
    // `<field>_table`: claim them after every column so that columns keep their plain names.
    for column in &mut columns {
        if matches!(column.kind, Kind::Choice { .. }) || column.lookup.is_some() {
            let _ = fields.claim(format!("{}_label", column.field));
            let _ = fields.claim(format!("{}_name", column.field));
            let _ = fields.claim(format!("{}_table", column.field));
        }
    }

    let mut methods = Scope::with(&["new", "values", "into_values"]);
    for column in columns.iter().filter(|c| c.writable) {
        methods.claim(column.field.clone());
        methods.claim(format!("clear_{}", column.field));
    }
    let lookups = writable_lookups(document, entity, entity_set, &columns, &mut methods);
    let mut functions = Scope::with(&MODULE_ITEMS);
    let keys = alternate_keys(entity, &columns, &mut functions);
    let operations = operations::bound(document, entity)
        .into_iter()
        .map(|op| operations::plan(document, op, &op.name, &mut functions, &mut type_names))
        .collect();
    let primary_id = document.key_of(entity).first().cloned();
    let primary_name = extras
        .primary_name(&logical_name)
        .map(|name| (name.to_owned(), true))
        .or_else(|| guess_primary_name(&logical_name, &columns).map(|name| (name, false)));
    Table {
        module: snake(&logical_name),
        logical_name,
        entity_set: entity_set.to_owned(),
        primary_id,
        primary_name,
        struct_name,
        write_name,
        description: entity.description().map(str::to_owned),
        columns,
        lookups,
        keys,
        operations,
    }
}

/// Every property including inherited ones, by column name (a lookup by its column, not its
/// `_x_value`). The service's order is arbitrary and changes between downloads; sorting keeps
/// regenerated code stable.
fn sorted_properties<'d>(document: &'d Document, entity: &'d EntityType) -> Vec<&'d Property> {
    let mut by_name: BTreeMap<(&str, &str), &Property> = BTreeMap::new();
    for property in document.all_properties(entity) {
        let column = property.lookup_column().unwrap_or(&property.name);
        by_name.insert((column, &property.name), property);
    }
    by_name.into_values().collect()
}

fn variants_of(choice: &Choice) -> Vec<(i32, String, Option<String>)> {
    // `Other` is the fallback variant; `All` would read like the `ALL` constant.
    let mut names = Scope::with(&["Other", "All"]);
    choice
        .options
        .iter()
        .map(|(value, label)| {
            let from_label = label.as_deref().map(upper_camel).filter(|n| !n.is_empty());
            let wanted = match from_label {
                Some(name) if name == "Other" => "OtherOption".to_owned(),
                Some(name) => name,
                None if *value < 0 => format!("ValueMinus{}", value.unsigned_abs()),
                None => format!("Value{value}"),
            };
            (*value, names.claim(wanted), label.clone())
        })
        .collect()
}

/// The lookups a write can set, through single-valued navigation properties.
///
/// A navigation property belongs to the lookup whose `_<column>_value` its referential
/// constraint names. Some targets of polymorphic lookups come without a constraint
/// (`regardingobjectid_letter_actioncard`); those are matched by their `<column>_` prefix.
/// A navigation property to an abstract type (`ownerid` → `principal`) gets one binder per
/// concrete table derived from it (`ownerid_systemuser`, `ownerid_team`).
fn writable_lookups(
    document: &Document,
    entity: &EntityType,
    entity_set: &str,
    columns: &[Column],
    methods: &mut Scope,
) -> Vec<WritableLookup> {
    let set = document.entity_set(entity_set);
    let lookup_columns: BTreeMap<&str, &Column> =
        columns.iter().filter(|c| c.lookup.is_some()).map(|c| (c.json_name.as_str(), c)).collect();
    let read_only: Vec<&str> = document
        .all_properties(entity)
        .into_iter()
        .filter(|p| p.lookup_column().is_some() && p.is_read_only())
        .map(|p| p.name.as_str())
        .collect();

    let mut grouped: BTreeMap<String, Vec<&NavigationProperty>> = BTreeMap::new();
    for navigation in
        document.all_navigation_properties(entity).into_iter().filter(|n| n.is_single())
    {
        let constrained = navigation
            .referential_constraints
            .iter()
            .find(|c| lookup_columns.contains_key(c.property.as_str()))
            .map(|c| c.property.clone());
        let by_prefix = || {
            lookup_columns
                .values()
                .filter_map(|c| c.lookup.as_deref().map(|l| (l, &c.json_name)))
                .filter(|(l, _)| navigation.name.starts_with(&format!("{l}_")))
                .max_by_key(|(l, _)| l.len())
                .map(|(_, json)| json.clone())
        };
        let property =
            if navigation.referential_constraints.is_empty() { by_prefix() } else { constrained };
        if let Some(property) = property.filter(|p| !read_only.contains(&p.as_str())) {
            grouped.entry(property).or_default().push(navigation);
        }
    }

    let mut lookups = Vec::new();
    for (property, mut navigations) in grouped {
        navigations.sort_by(|a, b| a.name.cmp(&b.name));
        navigations.dedup_by(|a, b| a.name == b.name);
        let Some(column) = lookup_columns.get(property.as_str()) else { continue };
        let mut binders = Vec::new();
        for navigation in navigations {
            for (target_table, target_set, suffix) in targets(document, navigation, set) {
                let mut name = snake(&navigation.name);
                if let Some(suffix) = suffix {
                    name = format!("{name}_{}", snake(&suffix));
                }
                binders.push(Binder {
                    method: methods.claim(name),
                    navigation_property: navigation.name.clone(),
                    entity_set: target_set,
                    target_table,
                });
            }
        }
        if binders.is_empty() {
            continue;
        }
        let lookup = column.lookup.clone().unwrap_or_default();
        lookups.push(WritableLookup {
            clear_method: methods.claim(format!("clear_{}", snake(&lookup))),
            column: lookup,
            binders,
        });
    }
    lookups
}

/// `(target table, its entity set, method suffix)` for each table a navigation property can
/// point at.
fn targets(
    document: &Document,
    navigation: &NavigationProperty,
    set: Option<&dataverse_csdl::EntitySet>,
) -> Vec<(String, String, Option<String>)> {
    let Some(target) = document.target_type(navigation) else { return Vec::new() };
    if !target.is_abstract {
        let entity_set = set
            .and_then(|s| s.binding_target(&navigation.name))
            .map(str::to_owned)
            .or_else(|| document.entity_set_of(target).map(|s| s.name.clone()));
        return entity_set.map(|s| (target.name.clone(), s, None)).into_iter().collect();
    }
    let mut concrete: Vec<(String, String, Option<String>)> = document
        .derived_types(target)
        .into_iter()
        .filter(|t| !t.is_abstract)
        .filter_map(|t| {
            let entity_set = document.entity_set_of(t)?;
            Some((t.name.clone(), entity_set.name.clone(), Some(t.name.clone())))
        })
        .collect();
    concrete.sort();
    concrete
}

fn alternate_keys(entity: &EntityType, columns: &[Column], functions: &mut Scope) -> Vec<Key> {
    entity
        .alternate_keys()
        .into_iter()
        .filter_map(|key| {
            let mut parameters = Scope::default();
            let parts: Option<Vec<(String, String, Kind)>> = key
                .parts
                .iter()
                .map(|part| {
                    let column = columns.iter().find(|c| c.json_name == part.path)?;
                    let kind = match &column.kind {
                        Kind::Choice { .. } => Kind::Int32,
                        other => other.clone(),
                    };
                    Some((part.alias.clone(), parameters.claim(column.field.clone()), kind))
                })
                .collect();
            let parts = parts?;
            let name = parts
                .iter()
                .map(|(_, parameter, _)| parameter.as_str())
                .collect::<Vec<_>>()
                .join("_and_");
            Some(Key { function: functions.claim(format!("by_{name}")), parts })
        })
        .collect()
}

/// Dataverse does not say which column is the primary name in `$metadata`; its conventions
/// do: `name` for most system tables, `fullname` for people, `subject` for activities and
/// notes, `<prefix>_name` for custom tables.
fn guess_primary_name(logical_name: &str, columns: &[Column]) -> Option<String> {
    let has = |name: &str| columns.iter().any(|c| c.json_name == name && c.kind == Kind::Text);
    let prefixed = logical_name.split_once('_').map(|(prefix, _)| format!("{prefix}_name"));
    prefixed
        .into_iter()
        .chain(["name", "fullname", "subject", "title"].into_iter().map(str::to_owned))
        .find(|name| has(name))
}
