//! Table definitions (`EntityDefinitions`) built from the loaded schema, so a client can read the
//! tables of a `$metadata` document as the real service serves them
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api>):
//!
//! - `EntityDefinitions(LogicalName='<table>')` and `EntityDefinitions?$filter=EntitySetName eq
//!   '<set>'` (or `LogicalName eq …`), with `$select` and `$expand` of `Attributes`, `Keys`,
//!   `ManyToOneRelationships`, `OneToManyRelationships` and `ManyToManyRelationships` (each with
//!   its own `$select`);
//! - `EntityDefinitions(LogicalName='<table>')/Attributes/Microsoft.Dynamics.CRM.<Type>AttributeMetadata`
//!   with `$expand=OptionSet,GlobalOptionSet`, for the options of choice, status and yes/no
//!   columns.
//!
//! An unknown property in `$select` is refused as the service refuses it. What `$metadata` does
//! not say is filled in plainly: display names are the schema names, every key index is
//! `Active`, every table is `Standard`.

use http::StatusCode;
use uuid::Uuid;

use super::errors::DvError;
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::{Access, CollectionKind, ColumnKind, EntitySetDef};
use super::store::Store;
use crate::json::{Json, JsonObject};

const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// A stable id for a piece of metadata.
fn metadata_id(kind: &str, name: &str) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("{kind}:{name}").as_bytes()).to_string()
}

fn label(text: &str) -> Json {
    let localized = JsonObject::new()
        .with("Label", text)
        .with("LanguageCode", 1033i64)
        .with("IsManaged", true)
        .with("MetadataId", metadata_id("label", text))
        .with("HasChanged", Json::Null);
    Json::Object(
        JsonObject::new()
            .with("LocalizedLabels", Json::Array(vec![Json::Object(localized.clone())]))
            .with("UserLocalizedLabel", Json::Object(localized)),
    )
}

/// `_x_value` → `x`, other names unchanged.
fn attribute_name(column: &str) -> &str {
    column.strip_prefix('_').and_then(|c| c.strip_suffix("_value")).unwrap_or(column)
}

/// `(AttributeType, AttributeTypeName)` of a column.
fn attribute_type(
    def: &EntitySetDef,
    name: &str,
    kind: &ColumnKind,
) -> (&'static str, &'static str) {
    match kind {
        ColumnKind::Text { .. } | ColumnKind::Autonumber { .. } => ("String", "StringType"),
        ColumnKind::Memo { .. } | ColumnKind::DocumentBody => ("Memo", "MemoType"),
        ColumnKind::WholeNumber | ColumnKind::SmallInt => ("Integer", "IntegerType"),
        ColumnKind::BigInt => ("BigInt", "BigIntType"),
        ColumnKind::Decimal => ("Decimal", "DecimalType"),
        ColumnKind::Money => ("Money", "MoneyType"),
        ColumnKind::Double => ("Double", "DoubleType"),
        ColumnKind::Boolean => ("Boolean", "BooleanType"),
        ColumnKind::DateTime | ColumnKind::DateOnly => ("DateTime", "DateTimeType"),
        ColumnKind::Choice { .. } if name == "statecode" => ("State", "StateType"),
        ColumnKind::Choice { .. } if name == "statuscode" => ("Status", "StatusType"),
        ColumnKind::Choice { .. } => ("Picklist", "PicklistType"),
        ColumnKind::PrimaryKey | ColumnKind::Guid => ("Uniqueidentifier", "UniqueidentifierType"),
        ColumnKind::Lookup if name == "_ownerid_value" => ("Owner", "OwnerType"),
        ColumnKind::Lookup
            if def
                .navigations_for(name)
                .map(|n| &n.target_set)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                > 1 =>
        {
            ("Customer", "CustomerType")
        }
        ColumnKind::Lookup => ("Lookup", "LookupType"),
        ColumnKind::EntityName => ("EntityName", "EntityNameType"),
        ColumnKind::File { .. } => ("Virtual", "FileType"),
        ColumnKind::Image { .. } | ColumnKind::Binary => ("Virtual", "ImageType"),
        _ => ("Virtual", "VirtualType"),
    }
}

fn attributes(def: &EntitySetDef) -> Vec<JsonObject> {
    def.columns
        .iter()
        .map(|column| {
            let name = attribute_name(&column.name);
            let (kind, type_name) = attribute_type(def, &column.name, &column.kind);
            let attribute_of = name
                .strip_suffix("_base")
                .or_else(|| name.strip_suffix("_name"))
                .filter(|owner| def.column_def(owner).is_some())
                .map_or(Json::Null, |owner| Json::String(owner.to_owned()));
            let writable = column.access == Access::ReadWrite;
            JsonObject::new()
                .with("LogicalName", name)
                .with("SchemaName", name)
                .with("AttributeType", kind)
                .with("AttributeTypeName", Json::Object(JsonObject::new().with("Value", type_name)))
                .with("DisplayName", label(name))
                .with("IsPrimaryId", column.name == def.primary_key)
                .with("IsPrimaryName", column.name == def.primary_name)
                .with("IsValidForCreate", writable || column.name == def.primary_key)
                .with("IsValidForUpdate", writable)
                .with("IsValidForRead", true)
                .with("AttributeOf", attribute_of)
                .with(
                    "MetadataId",
                    metadata_id("attribute", &format!("{}.{name}", def.logical_name)),
                )
                .with("HasChanged", Json::Null)
        })
        .collect()
}

fn keys(def: &EntitySetDef) -> Vec<JsonObject> {
    def.alternate_keys
        .iter()
        .map(|key| {
            let columns: Vec<Json> =
                key.columns.iter().map(|c| Json::String(attribute_name(c).to_owned())).collect();
            JsonObject::new()
                .with("LogicalName", key.name.as_str())
                .with("SchemaName", key.name.as_str())
                .with("KeyAttributes", Json::Array(columns))
                .with("EntityKeyIndexStatus", "Active")
                .with(
                    "MetadataId",
                    metadata_id("key", &format!("{}.{}", def.logical_name, key.name)),
                )
                .with("HasChanged", Json::Null)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn one_to_many(
    schema_name: &str,
    referenced: &str,
    referenced_attribute: &str,
    referencing: &str,
    referencing_attribute: &str,
    referenced_navigation: Option<&str>,
    referencing_navigation: &str,
) -> JsonObject {
    JsonObject::new()
        .with("SchemaName", schema_name)
        .with("ReferencedEntity", referenced)
        .with("ReferencedAttribute", referenced_attribute)
        .with("ReferencingEntity", referencing)
        .with("ReferencingAttribute", referencing_attribute)
        .with(
            "ReferencedEntityNavigationPropertyName",
            referenced_navigation.map_or(Json::Null, Json::str),
        )
        .with("ReferencingEntityNavigationPropertyName", referencing_navigation)
        .with("MetadataId", metadata_id("relationship", schema_name))
        .with("HasChanged", Json::Null)
}

fn relationships(
    store: &Store,
    def: &EntitySetDef,
) -> (Vec<JsonObject>, Vec<JsonObject>, Vec<JsonObject>) {
    let logical =
        |set: &str| store.catalog.set(set).map(|d| (d.logical_name.clone(), d.primary_key.clone()));
    let many_to_one = def
        .navigations
        .iter()
        .filter_map(|nav| {
            let (target, target_key) = logical(&nav.target_set)?;
            let schema_name =
                nav.partner.clone().unwrap_or_else(|| format!("{}_{}", def.logical_name, nav.name));
            Some(one_to_many(
                &schema_name,
                &target,
                &target_key,
                &def.logical_name,
                attribute_name(&nav.lookup_column),
                nav.partner.as_deref(),
                &nav.name,
            ))
        })
        .collect();
    let mut one_to_many_list = Vec::new();
    let mut many_to_many = Vec::new();
    for collection in &def.collections {
        let Some((target, _)) = logical(&collection.target_set) else { continue };
        match &collection.kind {
            CollectionKind::OneToMany { partner, lookup_column } => {
                one_to_many_list.push(one_to_many(
                    &collection.name,
                    &def.logical_name,
                    &def.primary_key,
                    &target,
                    attribute_name(lookup_column),
                    Some(&collection.name),
                    partner,
                ))
            }
            CollectionKind::ManyToMany { relationship } => many_to_many.push(
                JsonObject::new()
                    .with("SchemaName", relationship.as_str())
                    .with("Entity1LogicalName", def.logical_name.as_str())
                    .with("Entity2LogicalName", target.as_str())
                    .with("IntersectEntityName", relationship.to_lowercase())
                    .with("Entity1NavigationPropertyName", collection.name.as_str())
                    .with("Entity2NavigationPropertyName", collection.name.as_str())
                    .with("MetadataId", metadata_id("relationship", relationship))
                    .with("HasChanged", Json::Null),
            ),
        }
    }
    (many_to_one, one_to_many_list, many_to_many)
}

/// Every property of a table's `EntityMetadata` the sandbox serves, with its navigation
/// properties.
fn entity(store: &Store, def: &EntitySetDef) -> (JsonObject, Vec<(&'static str, Vec<JsonObject>)>) {
    let table = JsonObject::new()
        .with("LogicalName", def.logical_name.as_str())
        .with("SchemaName", def.logical_name.as_str())
        .with("EntitySetName", def.entity_set.as_str())
        .with("LogicalCollectionName", def.entity_set.as_str())
        .with("PrimaryIdAttribute", def.primary_key.as_str())
        .with("PrimaryNameAttribute", def.primary_name.as_str())
        .with(
            "PrimaryImageAttribute",
            def.columns
                .iter()
                .find(|c| matches!(c.kind, ColumnKind::Image { .. }))
                .map_or(Json::Null, |c| Json::String(c.name.clone())),
        )
        .with("TableType", "Standard")
        .with("IsActivity", false)
        .with("IsCustomEntity", def.logical_name.contains('_'))
        .with("DisplayName", label(&def.logical_name))
        .with("MetadataId", metadata_id("table", &def.logical_name))
        .with("HasChanged", Json::Null);
    let (many_to_one, one_to_many, many_to_many) = relationships(store, def);
    let navigations = vec![
        ("Attributes", attributes(def)),
        ("Keys", keys(def)),
        ("ManyToOneRelationships", many_to_one),
        ("OneToManyRelationships", one_to_many),
        ("ManyToManyRelationships", many_to_many),
    ];
    (table, navigations)
}

/// Keep the `$select`ed properties of `object` (and `MetadataId`, which always comes back).
fn select(
    object: &JsonObject,
    selected: Option<&[String]>,
    type_name: &str,
) -> Result<JsonObject, DvError> {
    let Some(selected) = selected else { return Ok(object.clone()) };
    let mut out = JsonObject::new();
    for name in selected {
        let value = object.get(name).ok_or_else(|| {
            DvError::query(format!(
                "Could not find a property named '{name}' on type '{NAMESPACE}{type_name}'."
            ))
        })?;
        out.insert(name.as_str(), value.clone());
    }
    if let Some(id) = object.get("MetadataId") {
        out.insert("MetadataId", id.clone());
    }
    Ok(out)
}

/// `$select=a,b` and `$expand=Nav($select=…),Nav2` of a metadata request.
struct Options {
    select: Option<Vec<String>>,
    expand: Vec<(String, Option<Vec<String>>)>,
    filter: Option<String>,
}

fn parse_options(request: &ApiRequest) -> Result<Options, DvError> {
    let mut options = Options { select: None, expand: Vec::new(), filter: None };
    for (key, value) in request.query_pairs() {
        match key.as_str() {
            "$select" => {
                options.select = Some(value.split(',').map(|s| s.trim().to_owned()).collect())
            }
            "$filter" => options.filter = Some(value),
            "$expand" => {
                for item in super::custom_api::split_top_level(&value) {
                    let item = item.trim();
                    let (name, inner) = match item.split_once('(') {
                        Some((name, rest)) => (
                            name.trim(),
                            Some(rest.strip_suffix(')').ok_or_else(DvError::query_syntax)?),
                        ),
                        None => (item, None),
                    };
                    let select = match inner {
                        None | Some("") => None,
                        Some(inner) => {
                            let select = inner.strip_prefix("$select=").ok_or_else(|| {
                                DvError::query(format!("The sandbox emulates only $select inside $expand of metadata, not '{inner}'."))
                            })?;
                            Some(select.split(',').map(|s| s.trim().to_owned()).collect())
                        }
                    };
                    options.expand.push((name.to_owned(), select));
                }
            }
            other if other.starts_with('$') => {
                return Err(DvError::query(format!(
                    "The query parameter {other} is not supported"
                )));
            }
            _ => {}
        }
    }
    Ok(options)
}

/// One table's definition, shaped by the options.
fn render(store: &Store, def: &EntitySetDef, options: &Options) -> Result<JsonObject, DvError> {
    let (table, navigations) = entity(store, def);
    let mut out = select(&table, options.select.as_deref(), "EntityMetadata")?;
    for (name, item_select) in &options.expand {
        let (nav, items) = navigations.iter().find(|(nav, _)| nav == name).ok_or_else(|| {
            DvError::query(format!(
                "Could not find a property named '{name}' on type '{NAMESPACE}EntityMetadata'."
            ))
        })?;
        let type_name = match *nav {
            "Attributes" => "AttributeMetadata",
            "Keys" => "EntityKeyMetadata",
            "ManyToManyRelationships" => "ManyToManyRelationshipMetadata",
            _ => "OneToManyRelationshipMetadata",
        };
        let items = items
            .iter()
            .map(|item| select(item, item_select.as_deref(), type_name).map(Json::Object))
            .collect::<Result<Vec<_>, _>>()?;
        out.insert(*nav, Json::Array(items));
    }
    Ok(out)
}

/// The table named by `EntityDefinitions(LogicalName='x')` (or by its metadata id).
fn table_of_segment<'s>(
    store: &'s Store,
    segment: &str,
) -> Result<&'s std::sync::Arc<EntitySetDef>, DvError> {
    let key = segment
        .strip_prefix("EntityDefinitions(")
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or_else(DvError::query_syntax)?;
    let name = key
        .strip_prefix("LogicalName=")
        .and_then(|v| v.strip_prefix('\''))
        .and_then(|v| v.strip_suffix('\''));
    let found = match name {
        Some(name) => store.catalog.set_by_logical(name),
        None => store.catalog.sets().find(|d| metadata_id("table", &d.logical_name) == key),
    };
    found.ok_or_else(|| {
        DvError::new(
            StatusCode::NOT_FOUND,
            "0x80060888",
            format!("Could not find an entity with key '{}'.", name.unwrap_or(key)),
        )
    })
}

/// Whether `segment` is the `EntityDefinitions` entity set or one of its rows.
pub(crate) fn is_entity_definitions(segment: &str) -> bool {
    segment == "EntityDefinitions" || segment.starts_with("EntityDefinitions(")
}

/// Answer a `GET` under `EntityDefinitions`.
pub(crate) fn get(
    store: &Store,
    request: &ApiRequest,
    segments: &[String],
) -> Result<Reply, DvError> {
    if request.method != http::Method::GET {
        return Err(DvError::query("The sandbox serves table definitions read-only."));
    }
    let options = parse_options(request)?;
    match segments {
        [set] if set == "EntityDefinitions" => {
            let filter = options.filter.as_deref().unwrap_or_default();
            let wanted = |prefix: &str| {
                filter
                    .strip_prefix(prefix)
                    .and_then(|v| v.trim().strip_prefix('\''))
                    .and_then(|v| v.strip_suffix('\''))
                    .map(|v| v.replace("''", "'"))
            };
            let tables: Vec<&std::sync::Arc<EntitySetDef>> = match (
                wanted("EntitySetName eq "),
                wanted("LogicalName eq "),
            ) {
                (Some(set), _) => store.catalog.set(&set).into_iter().collect(),
                (_, Some(logical)) => store.catalog.set_by_logical(&logical).into_iter().collect(),
                _ if filter.is_empty() => store.catalog.sets().collect(),
                _ => {
                    return Err(DvError::query(format!(
                        "The sandbox emulates only 'EntitySetName eq …' and 'LogicalName eq …' filters on table definitions, not '{filter}'."
                    )));
                }
            };
            let value = tables
                .into_iter()
                .map(|def| render(store, def, &options).map(Json::Object))
                .collect::<Result<Vec<_>, _>>()?;
            let body = JsonObject::new()
                .with("@odata.context", request.context("EntityDefinitions"))
                .with("value", Json::Array(value));
            Ok(Reply::json(StatusCode::OK, body))
        }
        [table] => {
            let def = table_of_segment(store, table)?;
            let mut body = JsonObject::new()
                .with("@odata.context", request.context("EntityDefinitions/$entity"));
            for (key, value) in render(store, def, &options)?.iter() {
                body.insert(key, value.clone());
            }
            Ok(Reply::json(StatusCode::OK, body))
        }
        [table, attributes, cast] if attributes == "Attributes" => {
            let def = table_of_segment(store, table)?;
            choice_attributes(def, request, cast, &options)
        }
        _ => Err(DvError::no_resource(&request.full_uri())),
    }
}

fn option(value: i64, text: &str) -> Json {
    Json::Object(
        JsonObject::new()
            .with("Value", value)
            .with("Label", label(text))
            .with("Description", label(""))
            .with("Color", Json::Null)
            .with("IsManaged", true),
    )
}

/// `Attributes/Microsoft.Dynamics.CRM.<Type>AttributeMetadata`: the columns of that type with
/// their option sets.
fn choice_attributes(
    def: &EntitySetDef,
    request: &ApiRequest,
    cast: &str,
    options: &Options,
) -> Result<Reply, DvError> {
    let kind =
        cast.strip_prefix(NAMESPACE).ok_or_else(|| DvError::no_resource(&request.full_uri()))?;
    let wanted: fn(&str, &ColumnKind) -> bool = match kind {
        "PicklistAttributeMetadata" => {
            |n, k| matches!(k, ColumnKind::Choice { .. }) && n != "statecode" && n != "statuscode"
        }
        "StateAttributeMetadata" => {
            |n, k| matches!(k, ColumnKind::Choice { .. }) && n == "statecode"
        }
        "StatusAttributeMetadata" => {
            |n, k| matches!(k, ColumnKind::Choice { .. }) && n == "statuscode"
        }
        "BooleanAttributeMetadata" => |_, k| *k == ColumnKind::Boolean,
        "MultiSelectPicklistAttributeMetadata" => |_, _| false,
        other => return Err(DvError::resource_not_found(&format!("{NAMESPACE}{other}"))),
    };
    let expand_option_set = options.expand.iter().any(|(n, _)| n == "OptionSet");
    let mut value = Vec::new();
    for column in def.columns.iter().filter(|c| wanted(&c.name, &c.kind)) {
        let mut attribute = JsonObject::new().with("LogicalName", column.name.as_str()).with(
            "MetadataId",
            metadata_id("attribute", &format!("{}.{}", def.logical_name, column.name)),
        );
        if expand_option_set {
            let mut set = JsonObject::new()
                .with("Name", format!("{}_{}", def.logical_name, column.name))
                .with("IsGlobal", false)
                .with(
                    "MetadataId",
                    metadata_id("optionset", &format!("{}.{}", def.logical_name, column.name)),
                );
            match &column.kind {
                ColumnKind::Choice { options } => {
                    set.insert(
                        "Options",
                        Json::Array(options.iter().map(|(v, l)| option(*v, l)).collect()),
                    );
                }
                _ => {
                    set.insert("TrueOption", option(1, "Yes"));
                    set.insert("FalseOption", option(0, "No"));
                }
            }
            attribute.insert("OptionSet", Json::Object(set));
        }
        if options.expand.iter().any(|(n, _)| n == "GlobalOptionSet") {
            attribute.insert("GlobalOptionSet", Json::Null);
        }
        if let Some((unknown, _)) =
            options.expand.iter().find(|(n, _)| n != "OptionSet" && n != "GlobalOptionSet")
        {
            return Err(DvError::query(format!(
                "Could not find a property named '{unknown}' on type '{NAMESPACE}{kind}'."
            )));
        }
        value.push(Json::Object(attribute));
    }
    let body = JsonObject::new()
        .with(
            "@odata.context",
            request.context(&format!(
                "EntityDefinitions('{}')/Attributes/{NAMESPACE}{kind}",
                def.logical_name
            )),
        )
        .with("value", Json::Array(value));
    Ok(Reply::json(StatusCode::OK, body))
}
