//! Column definitions (`AttributeMetadata` and its derived types) built from the loaded schema
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/attributemetadata>).
//!
//! Every attribute carries its `@odata.type` (`#Microsoft.Dynamics.CRM.StringAttributeMetadata`)
//! and the common properties; the properties of its derived type (`MaxLength`, `MaxSizeInKB`,
//! `Targets`, `Format`, …) come back when the request casts to that type
//! (`Attributes/Microsoft.Dynamics.CRM.FileAttributeMetadata`), as the service requires.

use super::schema::{Access, ColumnDef, ColumnKind, EntitySetDef};
use super::store::Store;
use crate::json::{Json, JsonObject};

pub(crate) const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// The derived types of `AttributeMetadata` a request may cast to.
pub(crate) const DERIVED_TYPES: &[&str] = &[
    "BigIntAttributeMetadata",
    "BooleanAttributeMetadata",
    "DateTimeAttributeMetadata",
    "DecimalAttributeMetadata",
    "DoubleAttributeMetadata",
    "EntityNameAttributeMetadata",
    "FileAttributeMetadata",
    "ImageAttributeMetadata",
    "IntegerAttributeMetadata",
    "LookupAttributeMetadata",
    "ManagedPropertyAttributeMetadata",
    "MemoAttributeMetadata",
    "MoneyAttributeMetadata",
    "MultiSelectPicklistAttributeMetadata",
    "PicklistAttributeMetadata",
    "StateAttributeMetadata",
    "StatusAttributeMetadata",
    "StringAttributeMetadata",
    "UniqueIdentifierAttributeMetadata",
];

/// A stable id for a piece of metadata.
pub(crate) fn metadata_id(kind: &str, name: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("{kind}:{name}").as_bytes()).to_string()
}

/// A `Label` complex value in English.
pub(crate) fn label(text: &str) -> Json {
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
pub(crate) fn attribute_name(column: &str) -> &str {
    column.strip_prefix('_').and_then(|c| c.strip_suffix("_value")).unwrap_or(column)
}

/// `(AttributeType, AttributeTypeName, derived type)` of a column.
fn attribute_type(
    def: &EntitySetDef,
    name: &str,
    kind: &ColumnKind,
) -> (&'static str, &'static str, &'static str) {
    match kind {
        ColumnKind::Text { .. } | ColumnKind::Autonumber { .. } => {
            ("String", "StringType", "StringAttributeMetadata")
        }
        ColumnKind::Memo { .. } | ColumnKind::DocumentBody => {
            ("Memo", "MemoType", "MemoAttributeMetadata")
        }
        ColumnKind::WholeNumber | ColumnKind::SmallInt => {
            ("Integer", "IntegerType", "IntegerAttributeMetadata")
        }
        ColumnKind::BigInt => ("BigInt", "BigIntType", "BigIntAttributeMetadata"),
        ColumnKind::Decimal => ("Decimal", "DecimalType", "DecimalAttributeMetadata"),
        ColumnKind::Money => ("Money", "MoneyType", "MoneyAttributeMetadata"),
        ColumnKind::Double => ("Double", "DoubleType", "DoubleAttributeMetadata"),
        ColumnKind::Boolean => ("Boolean", "BooleanType", "BooleanAttributeMetadata"),
        ColumnKind::DateTime | ColumnKind::DateOnly => {
            ("DateTime", "DateTimeType", "DateTimeAttributeMetadata")
        }
        ColumnKind::Choice { .. } if name == "statecode" => {
            ("State", "StateType", "StateAttributeMetadata")
        }
        ColumnKind::Choice { .. } if name == "statuscode" => {
            ("Status", "StatusType", "StatusAttributeMetadata")
        }
        ColumnKind::Choice { .. } => ("Picklist", "PicklistType", "PicklistAttributeMetadata"),
        ColumnKind::PrimaryKey | ColumnKind::Guid => {
            ("Uniqueidentifier", "UniqueidentifierType", "UniqueIdentifierAttributeMetadata")
        }
        ColumnKind::Lookup if name == "_ownerid_value" => {
            ("Owner", "OwnerType", "LookupAttributeMetadata")
        }
        ColumnKind::Lookup if lookup_targets(def, name).len() > 1 => {
            ("Customer", "CustomerType", "LookupAttributeMetadata")
        }
        ColumnKind::Lookup => ("Lookup", "LookupType", "LookupAttributeMetadata"),
        ColumnKind::EntityName => ("EntityName", "EntityNameType", "EntityNameAttributeMetadata"),
        ColumnKind::File { .. } => ("Virtual", "FileType", "FileAttributeMetadata"),
        ColumnKind::Image { .. } | ColumnKind::Binary => {
            ("Virtual", "ImageType", "ImageAttributeMetadata")
        }
        _ => ("Virtual", "VirtualType", "AttributeMetadata"),
    }
}

/// The logical names of the tables a lookup column points at.
fn lookup_targets(def: &EntitySetDef, column: &str) -> Vec<String> {
    let mut targets: Vec<String> = Vec::new();
    for navigation in def.navigations_for(column) {
        for set in std::iter::once(&navigation.target_set).chain(&navigation.other_targets) {
            if !targets.contains(set) {
                targets.push(set.clone());
            }
        }
    }
    targets
}

/// One column's definition: the common properties, and the `derived` properties of its type
/// (returned only when a request casts to that type).
pub(crate) struct Attribute {
    pub(crate) derived_type: &'static str,
    pub(crate) common: JsonObject,
    pub(crate) derived: JsonObject,
}

impl Attribute {
    /// The JSON of the attribute: `@odata.type`, the common properties and, when `cast`, the
    /// derived ones.
    pub(crate) fn json(&self, cast: bool) -> JsonObject {
        let mut out =
            JsonObject::new().with("@odata.type", format!("#{NAMESPACE}{}", self.derived_type));
        for (key, value) in self.common.iter() {
            out.insert(key, value.clone());
        }
        if cast {
            for (key, value) in self.derived.iter() {
                out.insert(key, value.clone());
            }
        }
        out
    }
}

fn derived(store: &Store, def: &EntitySetDef, column: &ColumnDef) -> JsonObject {
    match &column.kind {
        ColumnKind::Text { max_length } => {
            JsonObject::new().with("MaxLength", *max_length as u64).with("Format", "Text")
        }
        ColumnKind::Autonumber { prefix, width, .. } => JsonObject::new()
            .with("MaxLength", 100u64)
            .with("Format", "Text")
            .with("AutoNumberFormat", format!("{prefix}{{SEQNUM:{width}}}")),
        ColumnKind::Memo { max_length } => {
            JsonObject::new().with("MaxLength", *max_length as u64).with("Format", "TextArea")
        }
        ColumnKind::DocumentBody => JsonObject::new().with("MaxLength", 1_048_576u64),
        ColumnKind::WholeNumber => JsonObject::new()
            .with("MinValue", i64::from(i32::MIN))
            .with("MaxValue", i64::from(i32::MAX))
            .with("Format", "None"),
        ColumnKind::DateTime => JsonObject::new().with("Format", "DateAndTime"),
        ColumnKind::DateOnly => JsonObject::new().with("Format", "DateOnly"),
        ColumnKind::Lookup => {
            let targets = lookup_targets(def, &column.name)
                .iter()
                .filter_map(|set| store.catalog.set(set))
                .map(|target| Json::String(target.logical_name.clone()))
                .collect();
            JsonObject::new().with("Targets", Json::Array(targets))
        }
        ColumnKind::File { max_size_kb } => JsonObject::new().with("MaxSizeInKB", *max_size_kb),
        ColumnKind::Image { max_size_kb } => JsonObject::new()
            .with("MaxSizeInKB", *max_size_kb)
            .with("IsPrimaryImage", column.name == "entityimage"),
        _ => JsonObject::new(),
    }
}

/// The definitions of `def`'s columns, in schema order.
pub(crate) fn attributes(store: &Store, def: &EntitySetDef) -> Vec<Attribute> {
    def.columns
        .iter()
        .map(|column| {
            let name = attribute_name(&column.name);
            let (kind, type_name, derived_type) = attribute_type(def, &column.name, &column.kind);
            let attribute_of = name
                .strip_suffix("_base")
                .or_else(|| name.strip_suffix("_name"))
                .filter(|owner| def.column_def(owner).is_some())
                .map_or(Json::Null, |owner| Json::String(owner.to_owned()));
            let writable = column.access == Access::ReadWrite;
            let common = JsonObject::new()
                .with("LogicalName", name)
                .with("SchemaName", name)
                .with("EntityLogicalName", def.logical_name.as_str())
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
                .with("HasChanged", Json::Null);
            Attribute { derived_type, common, derived: derived(store, def, column) }
        })
        .collect()
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

/// The `OptionSet` of a choice or yes/no column (`None` for other columns).
pub(crate) fn option_set(def: &EntitySetDef, column: &str) -> Option<Json> {
    let column = def.columns.iter().find(|c| attribute_name(&c.name) == column)?;
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
                "OptionSetType",
                Json::str(if column.name == "statecode" {
                    "State"
                } else if column.name == "statuscode" {
                    "Status"
                } else {
                    "Picklist"
                }),
            );
            set.insert(
                "Options",
                Json::Array(options.iter().map(|(v, l)| option(*v, l)).collect()),
            );
        }
        ColumnKind::Boolean => {
            set.insert("OptionSetType", Json::str("Boolean"));
            set.insert("TrueOption", option(1, "Yes"));
            set.insert("FalseOption", option(0, "No"));
        }
        _ => return None,
    }
    Some(Json::Object(set))
}
