//! `ironcladType`: Ironclad's own, structured description of a record property's type.

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The structured type of a record property (`ironcladType` in
/// [`GET /records/metadata`](https://developer.ironcladapp.com/reference/list-record-metadata)).
///
/// Ironclad sends it as an object whose `typeName` says which other members follow:
///
/// | `typeName` | members | example property |
/// |---|---|---|
/// | `reference` | `collectionKey` (the entity collection) | an entity reference |
/// | `list` | `elementType` (another type) | a list of entity references |
/// | `enum` | `name`, `optionType`, `options[{value, hidden}]` | `standard_contractSide` |
///
/// A shape this crate does not know is kept, exactly as sent, in [`IroncladType::Other`], so
/// a new kind of type never makes the metadata unreadable.
///
/// ```
/// use ironclad_client::records::IroncladType;
///
/// let side: IroncladType = serde_json::from_str(r#"{
///     "typeName": "enum",
///     "name": "standard_contractSide",
///     "optionType": {"typeName": "string"},
///     "options": [{"value": "Vendor", "hidden": false}, {"value": "Customer", "hidden": false}]
/// }"#)?;
/// assert_eq!(side.type_name(), Some("enum"));
/// let IroncladType::Enum(picklist) = &side else { unreachable!() };
/// assert_eq!(picklist.visible_values().collect::<Vec<_>>(), ["Vendor", "Customer"]);
///
/// let entities: IroncladType = serde_json::from_str(
///     r#"{"typeName":"list","elementType":{"typeName":"reference","collectionKey":"41be8f7d"}}"#,
/// )?;
/// let IroncladType::List { element_type, .. } = &entities else { unreachable!() };
/// assert!(matches!(&**element_type, IroncladType::Reference { collection_key, .. } if collection_key == "41be8f7d"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum IroncladType {
    /// A type known by its name alone: `{"typeName":"string"}`, or a bare `"workflow"`.
    Named(String),
    /// A reference to a record or entity.
    #[non_exhaustive]
    Reference {
        /// The key of the referenced collection (an entity type's id).
        collection_key: String,
    },
    /// A list of values of another type.
    #[non_exhaustive]
    List {
        /// The type of the elements.
        element_type: Box<IroncladType>,
    },
    /// A picklist.
    Enum(EnumType),
    /// Any other shape, exactly as sent.
    Other(Value),
}

/// A picklist type (`typeName: "enum"`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EnumType {
    /// The picklist's name (`standard_contractSide`).
    pub name: Option<String>,
    /// The type of the option values (usually `string`).
    pub option_type: Option<Box<IroncladType>>,
    /// The options, in Ironclad's order.
    pub options: Vec<EnumOption>,
}

impl EnumType {
    /// The option values that are not hidden and are strings, in order.
    pub fn visible_values(&self) -> impl Iterator<Item = &str> {
        self.options.iter().filter(|o| o.hidden != Some(true)).filter_map(|o| o.value.as_str())
    }
}

/// One option of a picklist.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EnumOption {
    /// The value, as sent (a string for string picklists).
    pub value: Value,
    /// Whether the option is hidden from users.
    pub hidden: Option<bool>,
}

impl IroncladType {
    /// The `typeName` (or the bare name), also for shapes kept as [`IroncladType::Other`].
    pub fn type_name(&self) -> Option<&str> {
        match self {
            IroncladType::Named(name) => Some(name),
            IroncladType::Reference { .. } => Some("reference"),
            IroncladType::List { .. } => Some("list"),
            IroncladType::Enum(_) => Some("enum"),
            IroncladType::Other(value) => value.get("typeName").and_then(Value::as_str),
        }
    }

    fn from_json(value: Value) -> Self {
        let Value::Object(object) = value else {
            return match value {
                Value::String(name) => IroncladType::Named(name),
                other => IroncladType::Other(other),
            };
        };
        Self::from_object(&object).unwrap_or(IroncladType::Other(Value::Object(object)))
    }

    /// The known shapes; `None` sends the object to [`IroncladType::Other`].
    fn from_object(object: &Map<String, Value>) -> Option<Self> {
        let type_name = object.get("typeName")?.as_str()?;
        let member = |key: &str| object.get(key);
        Some(match type_name {
            "reference" => IroncladType::Reference {
                collection_key: member("collectionKey")?.as_str()?.to_owned(),
            },
            "list" => IroncladType::List {
                element_type: Box::new(Self::from_json(member("elementType")?.clone())),
            },
            "enum" => IroncladType::Enum(EnumType {
                name: member("name").and_then(Value::as_str).map(str::to_owned),
                option_type: member("optionType").map(|t| Box::new(Self::from_json(t.clone()))),
                options: member("options")?
                    .as_array()?
                    .iter()
                    .filter_map(EnumOption::from_json)
                    .collect(),
            }),
            // Only a name: a plain type. A name with members this crate does not know is kept
            // whole instead, so nothing is dropped.
            name if object.len() == 1 => IroncladType::Named(name.to_owned()),
            _ => return None,
        })
    }
}

impl EnumOption {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Object(option) => Some(EnumOption {
                value: option.get("value")?.clone(),
                hidden: option.get("hidden").and_then(Value::as_bool),
            }),
            Value::Array(_) | Value::Null => None,
            scalar => Some(EnumOption { value: scalar.clone(), hidden: None }),
        }
    }
}

impl<'de> Deserialize<'de> for IroncladType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(IroncladType::from_json)
    }
}

impl Serialize for IroncladType {
    /// The object form Ironclad sends (a bare name is written as `{"typeName": name}`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let IroncladType::Other(value) = self {
            return value.serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        match self {
            IroncladType::Other(_) => {}
            IroncladType::Named(name) => map.serialize_entry("typeName", name)?,
            IroncladType::Reference { collection_key } => {
                map.serialize_entry("typeName", "reference")?;
                map.serialize_entry("collectionKey", collection_key)?;
            }
            IroncladType::List { element_type } => {
                map.serialize_entry("typeName", "list")?;
                map.serialize_entry("elementType", element_type)?;
            }
            IroncladType::Enum(picklist) => {
                map.serialize_entry("typeName", "enum")?;
                if let Some(name) = &picklist.name {
                    map.serialize_entry("name", name)?;
                }
                if let Some(option_type) = &picklist.option_type {
                    map.serialize_entry("optionType", option_type)?;
                }
                let options: Vec<Value> = picklist
                    .options
                    .iter()
                    .map(|option| {
                        let mut entry = Map::new();
                        entry.insert("value".into(), option.value.clone());
                        if let Some(hidden) = option.hidden {
                            entry.insert("hidden".into(), Value::Bool(hidden));
                        }
                        Value::Object(entry)
                    })
                    .collect();
                map.serialize_entry("options", &options)?;
            }
        }
        map.end()
    }
}
