//! Metadata definitions built from the loaded schema, so a client can read the tables of a
//! `$metadata` document as the real service serves them
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api>):
//!
//! - `EntityDefinitions`, `EntityDefinitions(LogicalName='<table>')` (or by `MetadataId`), with
//!   `$select`, `$filter` (see `metadata_filter`) and `$expand` of `Attributes`, `Keys`,
//!   `ManyToOneRelationships`, `OneToManyRelationships` and `ManyToManyRelationships` (each
//!   with its own `$select` and `$filter`);
//! - those navigation properties as collections (`EntityDefinitions(…)/Attributes?$filter=…`),
//!   one attribute by logical name or id (`Attributes(LogicalName='name')`), and casts to a
//!   derived type (`Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata` with
//!   `$expand=OptionSet,GlobalOptionSet`, `Attributes(…)/Microsoft.Dynamics.CRM.FileAttributeMetadata`
//!   for `MaxSizeInKB`);
//! - `RelationshipDefinitions` (with a cast to `OneToManyRelationshipMetadata` or
//!   `ManyToManyRelationshipMetadata`, by `SchemaName` or id);
//! - `GlobalOptionSetDefinitions`: the loaded schema has no global choices, so the list is
//!   empty and a name is not found; `$filter` is refused there as the service refuses it.
//!
//! Definitions are read-only here: creating, updating or deleting them (`createEntity`,
//! `createAttribute`, `createRelationship`, …) answers `501` and says the sandbox does not
//! emulate it. An unknown property in `$select` or `$filter` is refused as the service refuses
//! it. What `$metadata` does not say is filled in plainly: display names are the schema names,
//! every key index is `Active`, every table is `Standard`.

use http::StatusCode;

use super::attribute_definitions::{
    self as attribute, Attribute, DERIVED_TYPES, NAMESPACE, attribute_name, label, metadata_id,
};
use super::errors::DvError;
use super::metadata_filter::MetadataFilter;
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::{CollectionKind, ColumnKind, EntitySetDef};
use super::store::Store;
use crate::json::{Json, JsonObject};

const ENTITY_DEFINITIONS: &str = "EntityDefinitions";
const RELATIONSHIP_DEFINITIONS: &str = "RelationshipDefinitions";
const OPTION_SET_DEFINITIONS: &str = "GlobalOptionSetDefinitions";

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
        .with("@odata.type", format!("#{NAMESPACE}OneToManyRelationshipMetadata"))
        .with("SchemaName", schema_name)
        .with("RelationshipType", "OneToManyRelationship")
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

/// `(many-to-one, one-to-many, many-to-many)` relationships of a table.
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
                    .with("@odata.type", format!("#{NAMESPACE}ManyToManyRelationshipMetadata"))
                    .with("SchemaName", relationship.as_str())
                    .with("RelationshipType", "ManyToManyRelationship")
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

/// The properties of a table's `EntityMetadata` the sandbox serves.
fn table(def: &EntitySetDef) -> JsonObject {
    let owned = def.column_def("_ownerid_value").is_some();
    JsonObject::new()
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
        .with("OwnershipType", if owned { "UserOwned" } else { "OrganizationOwned" })
        .with("TableType", "Standard")
        .with("IsActivity", false)
        .with("IsIntersect", false)
        .with("IsCustomEntity", def.logical_name.contains('_'))
        .with("DisplayName", label(&def.logical_name))
        .with("DisplayCollectionName", label(&def.entity_set))
        .with("MetadataId", metadata_id("table", &def.logical_name))
        .with("HasChanged", Json::Null)
}

/// The collection-valued navigation properties of `EntityMetadata`, with their item type.
const TABLE_NAVIGATIONS: &[(&str, &str)] = &[
    ("Attributes", "AttributeMetadata"),
    ("Keys", "EntityKeyMetadata"),
    ("ManyToOneRelationships", "OneToManyRelationshipMetadata"),
    ("OneToManyRelationships", "OneToManyRelationshipMetadata"),
    ("ManyToManyRelationships", "ManyToManyRelationshipMetadata"),
];

fn keys(def: &EntitySetDef) -> Vec<JsonObject> {
    def.alternate_keys
        .iter()
        .map(|key| {
            let columns: Vec<Json> =
                key.columns.iter().map(|c| Json::String(attribute_name(c).to_owned())).collect();
            JsonObject::new()
                .with("LogicalName", key.name.as_str())
                .with("SchemaName", key.name.as_str())
                .with("EntityLogicalName", def.logical_name.as_str())
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

/// The items of one of a table's navigation properties.
fn navigation_items(store: &Store, def: &EntitySetDef, name: &str) -> Vec<JsonObject> {
    match name {
        "Attributes" => attribute::attributes(store, def).iter().map(|a| a.json(false)).collect(),
        "Keys" => keys(def),
        "ManyToOneRelationships" => relationships(store, def).0,
        "OneToManyRelationships" => relationships(store, def).1,
        _ => relationships(store, def).2,
    }
}

/// `$select`, `$filter` and `$expand=Nav($select=…;$filter=…)` of a metadata request.
#[derive(Default)]
struct Options {
    select: Option<Vec<String>>,
    filter: Option<String>,
    expand: Vec<(String, Options)>,
}

fn list(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_owned()).collect()
}

fn parse_inner(text: &str) -> Result<Options, DvError> {
    let mut options = Options::default();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("$select", value)) => options.select = Some(list(value)),
            Some(("$filter", value)) => options.filter = Some(value.to_owned()),
            _ => {
                return Err(DvError::query(format!(
                    "The sandbox emulates only $select and $filter inside $expand of metadata, not '{part}'."
                )));
            }
        }
    }
    Ok(options)
}

fn parse_options(request: &ApiRequest) -> Result<Options, DvError> {
    let mut options = Options::default();
    for (key, value) in request.query_pairs() {
        match key.as_str() {
            "$select" => options.select = Some(list(&value)),
            "$filter" => options.filter = Some(value),
            "$expand" => {
                for item in super::odata_query::split_list(&value, ',') {
                    let item = item.trim();
                    let (name, inner) = match item.split_once('(') {
                        Some((name, rest)) => (
                            name.trim(),
                            parse_inner(rest.strip_suffix(')').ok_or_else(DvError::query_syntax)?)?,
                        ),
                        None => (item, Options::default()),
                    };
                    options.expand.push((name.to_owned(), inner));
                }
            }
            other if other.starts_with('$') => {
                // Metadata has no paging, counting or ordering.
                return Err(DvError::query(format!(
                    "The query parameter {other} is not supported"
                )));
            }
            _ => {}
        }
    }
    Ok(options)
}

/// Keep the `$select`ed properties of `object` (with `MetadataId` and `@odata.type`, which
/// always come back).
fn select(
    object: &JsonObject,
    selected: Option<&[String]>,
    type_name: &str,
) -> Result<JsonObject, DvError> {
    let Some(selected) = selected else { return Ok(object.clone()) };
    let mut out = JsonObject::new();
    if let Some(odata_type) = object.get("@odata.type") {
        out.insert("@odata.type", odata_type.clone());
    }
    for name in selected {
        let value = object.get(name).ok_or_else(|| unknown(name, type_name))?;
        out.insert(name.as_str(), value.clone());
    }
    if let Some(id) = object.get("MetadataId") {
        out.insert("MetadataId", id.clone());
    }
    Ok(out)
}

fn unknown(name: &str, type_name: &str) -> DvError {
    DvError::query(format!(
        "Could not find a property named '{name}' on type '{NAMESPACE}{type_name}'."
    ))
}

/// The `$filter` of `options`, checked against the properties of `sample` (an item of the
/// collection filtered, of type `type_name`).
fn filter_of(
    options: &Options,
    sample: Option<&JsonObject>,
    type_name: &str,
) -> Result<Option<MetadataFilter>, DvError> {
    let Some(text) = &options.filter else { return Ok(None) };
    // With no item to look at, any property name is let through (nothing can match).
    let known = |name: &str| sample.is_none_or(|s| s.get(name).is_some());
    MetadataFilter::parse(text, &known, type_name).map(Some)
}

/// Filter and select `items` (all of type `type_name`) as `options` say.
fn shape(items: Vec<JsonObject>, options: &Options, type_name: &str) -> Result<Vec<Json>, DvError> {
    let filter = filter_of(options, items.first(), type_name)?;
    items
        .into_iter()
        .filter(|item| filter.as_ref().is_none_or(|f| f.matches(item)))
        .map(|item| select(&item, options.select.as_deref(), type_name).map(Json::Object))
        .collect()
}

/// One table's definition, shaped by the options.
fn render(store: &Store, def: &EntitySetDef, options: &Options) -> Result<JsonObject, DvError> {
    let mut out = select(&table(def), options.select.as_deref(), "EntityMetadata")?;
    for (name, inner) in &options.expand {
        let (nav, type_name) = TABLE_NAVIGATIONS
            .iter()
            .find(|(nav, _)| nav == name)
            .ok_or_else(|| unknown(name, "EntityMetadata"))?;
        out.insert(*nav, Json::Array(shape(navigation_items(store, def, nav), inner, type_name)?));
    }
    Ok(out)
}

/// A key in a segment: the key property (empty for a bare `MetadataId`) and its value.
type Key<'a> = (&'a str, String);

/// `Name(Key='value')` → `("Name", Some(("Key", "value")))`; `Name(<id>)` → `("Name", Some(("", id)))`.
fn split_key(segment: &str) -> Result<(&str, Option<Key<'_>>), DvError> {
    let Some((name, rest)) = segment.split_once('(') else { return Ok((segment, None)) };
    let inner = rest.strip_suffix(')').ok_or_else(DvError::query_syntax)?;
    let key = match inner.split_once('=') {
        Some((property, value)) => {
            let value = value
                .trim()
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .ok_or_else(DvError::query_syntax)?;
            (property.trim(), value.replace("''", "'"))
        }
        None => ("", inner.trim().trim_matches('\'').to_owned()),
    };
    Ok((name, Some(key)))
}

fn not_found(what: &str, key: &str) -> DvError {
    DvError::new(
        StatusCode::NOT_FOUND,
        "0x80060888",
        format!("Could not find {what} with key '{key}'."),
    )
}

/// The table `EntityDefinitions(LogicalName='x')` or `EntityDefinitions(<MetadataId>)` names.
fn table_of_key<'s>(
    store: &'s Store,
    key: &Key<'_>,
) -> Result<&'s std::sync::Arc<EntitySetDef>, DvError> {
    let found = match key.0 {
        "LogicalName" => store.catalog.set_by_logical(&key.1),
        "" => store.catalog.sets().find(|d| metadata_id("table", &d.logical_name) == key.1),
        other => return Err(DvError::query(format!("'{other}' is not a key of EntityMetadata."))),
    };
    found.ok_or_else(|| not_found("an entity", &key.1))
}

/// Whether `segment` is one of the metadata entity sets or one of their rows.
pub(crate) fn is_definitions(segment: &str) -> bool {
    let name = segment.split('(').next().unwrap_or(segment);
    [ENTITY_DEFINITIONS, RELATIONSHIP_DEFINITIONS, OPTION_SET_DEFINITIONS].contains(&name)
}

/// Answer a request under `EntityDefinitions`, `RelationshipDefinitions` or
/// `GlobalOptionSetDefinitions`.
pub(crate) fn handle(
    store: &Store,
    request: &ApiRequest,
    segments: &[String],
) -> Result<Reply, DvError> {
    let (root, key) = split_key(&segments[0])?;
    if request.method != http::Method::GET {
        return Err(DvError::not_emulated(&format!(
            "creating, updating or deleting metadata definitions ({} {root}); define tables in the $metadata document the sandbox loads",
            request.method
        )));
    }
    let options = parse_options(request)?;
    let rest: Vec<&str> = segments[1..].iter().map(String::as_str).collect();
    match root {
        ENTITY_DEFINITIONS => entity_definitions(store, request, key, &rest, &options),
        RELATIONSHIP_DEFINITIONS => relationship_definitions(store, request, key, &rest, &options),
        _ => option_set_definitions(request, key, &rest, &options),
    }
}

fn ok(request: &ApiRequest, context: &str, fields: JsonObject) -> Result<Reply, DvError> {
    let mut body = JsonObject::new().with("@odata.context", request.context(context));
    for (key, value) in fields.iter() {
        body.insert(key, value.clone());
    }
    Ok(Reply::json(StatusCode::OK, body))
}

fn collection(request: &ApiRequest, context: &str, value: Vec<Json>) -> Result<Reply, DvError> {
    ok(request, context, JsonObject::new().with("value", Json::Array(value)))
}

fn entity_definitions(
    store: &Store,
    request: &ApiRequest,
    key: Option<Key<'_>>,
    rest: &[&str],
    options: &Options,
) -> Result<Reply, DvError> {
    let Some(key) = key else {
        if !rest.is_empty() {
            return Err(DvError::no_resource(&request.full_uri()));
        }
        let tables: Vec<JsonObject> = store.catalog.sets().map(|def| table(def)).collect();
        let filter = filter_of(options, tables.first(), "EntityMetadata")?;
        let mut value = Vec::new();
        for def in store.catalog.sets() {
            if filter.as_ref().is_none_or(|f| f.matches(&table(def))) {
                value.push(Json::Object(render(store, def, options)?));
            }
        }
        return collection(request, ENTITY_DEFINITIONS, value);
    };
    let def = table_of_key(store, &key)?;
    let context = format!("{ENTITY_DEFINITIONS}('{}')", def.logical_name);
    match rest {
        [] => ok(request, &format!("{ENTITY_DEFINITIONS}/$entity"), render(store, def, options)?),
        [first, ..] if first.split('(').next() == Some("Attributes") => {
            attributes(store, request, def, &context, rest, options)
        }
        [nav] => {
            let (nav, type_name) = TABLE_NAVIGATIONS
                .iter()
                .find(|(name, _)| name == nav)
                .ok_or_else(|| DvError::resource_not_found(nav))?;
            let value = shape(navigation_items(store, def, nav), options, type_name)?;
            collection(request, &format!("{context}/{nav}"), value)
        }
        _ => Err(DvError::no_resource(&request.full_uri())),
    }
}

/// `Microsoft.Dynamics.CRM.XAttributeMetadata` → `XAttributeMetadata`, when it is one.
fn derived_type<'a>(request: &ApiRequest, cast: &'a str) -> Result<&'a str, DvError> {
    let name = cast.strip_prefix(NAMESPACE).ok_or_else(|| DvError::resource_not_found(cast))?;
    if DERIVED_TYPES.contains(&name) {
        Ok(name)
    } else if name.ends_with("AttributeMetadata") {
        Err(DvError::resource_not_found(cast))
    } else {
        Err(DvError::no_resource(&request.full_uri()))
    }
}

/// `Attributes`, `Attributes/<cast>`, `Attributes(<key>)` and `Attributes(<key>)/<cast>`
/// (`path` starts at the `Attributes` segment).
fn attributes(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    context: &str,
    path: &[&str],
    options: &Options,
) -> Result<Reply, DvError> {
    let all = attribute::attributes(store, def);
    let key = match split_key(path[0])? {
        (_, None) => None,
        (_, Some(key)) => Some(key),
    };
    let cast = match &path[1..] {
        [] => None,
        [cast] => Some(derived_type(request, cast)?),
        _ => return Err(DvError::no_resource(&request.full_uri())),
    };
    let type_name = cast.unwrap_or("AttributeMetadata");
    let expand_option_sets = |attribute: &Attribute, out: &mut JsonObject| -> Result<(), DvError> {
        for (name, _) in &options.expand {
            let enum_type = matches!(
                type_name,
                "PicklistAttributeMetadata"
                    | "StateAttributeMetadata"
                    | "StatusAttributeMetadata"
                    | "BooleanAttributeMetadata"
                    | "MultiSelectPicklistAttributeMetadata"
            );
            match name.as_str() {
                "OptionSet" if enum_type => {
                    let logical = attribute.common.get("LogicalName").and_then(Json::as_str);
                    let set = logical.and_then(|l| attribute::option_set(def, l));
                    out.insert("OptionSet", set.unwrap_or(Json::Null));
                }
                "GlobalOptionSet" if enum_type => out.insert("GlobalOptionSet", Json::Null),
                other => return Err(unknown(other, type_name)),
            }
        }
        Ok(())
    };
    let typed: Vec<&Attribute> =
        all.iter().filter(|a| cast.is_none_or(|c| a.derived_type == c)).collect();
    let Some(key) = key else {
        let items: Vec<JsonObject> = typed.iter().map(|a| a.json(cast.is_some())).collect();
        let filter = filter_of(options, items.first(), type_name)?;
        let mut value = Vec::new();
        for (item, attribute) in items.iter().zip(&typed) {
            if filter.as_ref().is_none_or(|f| f.matches(item)) {
                let mut out = select(item, options.select.as_deref(), type_name)?;
                expand_option_sets(attribute, &mut out)?;
                value.push(Json::Object(out));
            }
        }
        let context = match cast {
            Some(cast) => format!("{context}/Attributes/{NAMESPACE}{cast}"),
            None => format!("{context}/Attributes"),
        };
        return collection(request, &context, value);
    };
    let attribute = all
        .iter()
        .find(|a| match key.0 {
            "LogicalName" => a.common.get("LogicalName").and_then(Json::as_str) == Some(&key.1),
            _ => a.common.get("MetadataId").and_then(Json::as_str) == Some(&key.1),
        })
        .ok_or_else(|| not_found("an attribute", &key.1))?;
    if cast.is_some_and(|c| attribute.derived_type != c) {
        return Err(DvError::query(format!(
            "The attribute '{}' is not of type '{NAMESPACE}{type_name}'.",
            key.1
        )));
    }
    let mut out = select(&attribute.json(cast.is_some()), options.select.as_deref(), type_name)?;
    expand_option_sets(attribute, &mut out)?;
    ok(request, &format!("{context}/Attributes/$entity"), out)
}

/// Every relationship of the loaded schema, once each.
fn all_relationships(store: &Store) -> Vec<JsonObject> {
    let mut out: Vec<JsonObject> = Vec::new();
    for def in store.catalog.sets() {
        let (many_to_one, one_to_many, many_to_many) = relationships(store, def);
        for relationship in one_to_many.into_iter().chain(many_to_one).chain(many_to_many) {
            let name = relationship.get("SchemaName").cloned();
            if !out.iter().any(|r| r.get("SchemaName").cloned() == name) {
                out.push(relationship);
            }
        }
    }
    out
}

fn relationship_definitions(
    store: &Store,
    request: &ApiRequest,
    key: Option<Key<'_>>,
    rest: &[&str],
    options: &Options,
) -> Result<Reply, DvError> {
    let cast = match rest {
        [] => None,
        [cast] => match cast.strip_prefix(NAMESPACE) {
            Some(name @ ("OneToManyRelationshipMetadata" | "ManyToManyRelationshipMetadata")) => {
                Some(name)
            }
            _ => return Err(DvError::resource_not_found(cast)),
        },
        _ => return Err(DvError::no_resource(&request.full_uri())),
    };
    let type_name = cast.unwrap_or("RelationshipMetadataBase");
    let items: Vec<JsonObject> = all_relationships(store)
        .into_iter()
        .filter(|r| {
            cast.is_none_or(|c| {
                r.get("@odata.type").and_then(Json::as_str) == Some(&format!("#{NAMESPACE}{c}"))
            })
        })
        .collect();
    match key {
        None => {
            let context = match cast {
                Some(cast) => format!("{RELATIONSHIP_DEFINITIONS}/{NAMESPACE}{cast}"),
                None => RELATIONSHIP_DEFINITIONS.to_owned(),
            };
            collection(request, &context, shape(items, options, type_name)?)
        }
        Some(key) => {
            let property = if key.0.is_empty() { "MetadataId" } else { key.0 };
            let found = items
                .iter()
                .find(|r| r.get(property).and_then(Json::as_str) == Some(&key.1))
                .ok_or_else(|| not_found("a relationship", &key.1))?;
            let out = select(found, options.select.as_deref(), type_name)?;
            ok(request, &format!("{RELATIONSHIP_DEFINITIONS}/$entity"), out)
        }
    }
}

fn option_set_definitions(
    request: &ApiRequest,
    key: Option<Key<'_>>,
    rest: &[&str],
    options: &Options,
) -> Result<Reply, DvError> {
    if options.filter.is_some() {
        return Err(DvError::query(
            "The query parameter $filter is not supported on GlobalOptionSetDefinitions.",
        ));
    }
    match (key, rest) {
        (None, []) => collection(request, OPTION_SET_DEFINITIONS, Vec::new()),
        (Some(key), []) => Err(not_found("a global option set", &key.1)),
        _ => Err(DvError::no_resource(&request.full_uri())),
    }
}
