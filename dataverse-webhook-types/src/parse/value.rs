//! Reading `object`-typed values exactly and (mostly) in one pass.
//!
//! `serde_json` hands numbers to a visitor as `f64` unless the workspace-wide
//! `arbitrary_precision` feature is on (it must stay off), and `1234567.8912` does not survive
//! `f64`. So wherever a number may appear (attribute, parameter and member values) the value is
//! first captured as a borrowed [`RawValue`], a fast skip that allocates nothing, and then read
//! from its text: numbers exactly, unescaped strings by slicing, containers by a nested parse
//! of just that small slice.
//!
//! The big subtrees are not read twice: a `Target`/`Targets` parameter, images, entity
//! attribute lists and `ParentContext` are read directly by typed visitors, because their
//! position says they are objects. Nested re-parses are bounded by [`MAX_NESTING`] because each
//! starts a fresh `serde_json` recursion budget.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::collection::KeyValueList;
use crate::datetime::DataverseDateTime;
use crate::entity::{Entity, EntityCollection, EntityReference};
use crate::number::decimal_from_text;
use crate::value::{RawJson, Value};

/// How many nested containers are read inside one value before the rest is kept as raw JSON.
pub(crate) const MAX_NESTING: u8 = 32;

type Members<'de> = Vec<(Cow<'de, str>, &'de RawValue)>;

/// A string (or map key), borrowed from the input when it has no escapes.
pub(crate) struct Text<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// The `__type` discriminator, classified by its name before the `:`.
enum TypeTag<'de> {
    Entity,
    EntityReference,
    OptionSetValue,
    Money,
    EntityCollection,
    SystemGuid,
    SystemDateTime,
    /// Another `…:#System` primitive wrapper (`Int32`, `Double`, `String`, …).
    SystemOther,
    KeyValuePair,
    Unknown(Cow<'de, str>),
}

impl TypeTag<'_> {
    fn classify(tag: &str) -> TypeTag<'static> {
        // Compare after JSON unescaping (`http:\/\/` and `http://` are the same text here) and
        // only on the name before the `:`, so a namespace change does not break matching.
        let (name, namespace) = tag.split_once(':').unwrap_or((tag, ""));
        match name {
            "Entity" => TypeTag::Entity,
            "EntityReference" => TypeTag::EntityReference,
            "OptionSetValue" => TypeTag::OptionSetValue,
            "Money" => TypeTag::Money,
            "EntityCollection" => TypeTag::EntityCollection,
            "Guid" if namespace == "#System" => TypeTag::SystemGuid,
            "DateTime" if namespace == "#System" => TypeTag::SystemDateTime,
            _ if namespace == "#System" => TypeTag::SystemOther,
            _ if name.starts_with("KeyValuePairOf") => TypeTag::KeyValuePair,
            _ => TypeTag::Unknown(Cow::Owned(tag.to_owned())),
        }
    }
}

impl<'de> Deserialize<'de> for TypeTag<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Classify without allocating: the tag usually contains `\/` escapes, so it arrives
        // as a transient `&str`.
        struct TagVisitor;
        impl<'de> Visitor<'de> for TagVisitor {
            type Value = TypeTag<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a `__type` string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TypeTag::classify(v))
            }
        }
        deserializer.deserialize_str(TagVisitor)
    }
}

/// What an object turned out to be.
pub(crate) enum Object<'de> {
    /// A recognised value.
    Value(Value),
    /// No `__type` first: the members with their values unread.
    Untyped(Members<'de>),
    /// A `__type` this crate does not model, with the members after it.
    Unknown { tag: Cow<'de, str>, members: Members<'de> },
    /// A known `__type` whose content does not fit the type.
    Malformed,
}

/// Reads one JSON object: typed when `__type` comes first (as Dataverse writes it).
pub(crate) struct ObjectVisitor {
    pub(crate) depth: u8,
}

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Object<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(Text(first)) = map.next_key::<Text<'de>>()? else {
            return Ok(Object::Untyped(Vec::new()));
        };
        if first != "__type" {
            let mut members = vec![(first, map.next_value::<&'de RawValue>()?)];
            collect_members(&mut map, &mut members)?;
            return Ok(Object::Untyped(members));
        }
        let tag = map.next_value::<TypeTag<'de>>()?;
        let depth = self.depth;
        match tag {
            TypeTag::Entity => {
                let entity = read_entity_fields(&mut map, depth)?;
                Ok(Object::Value(Value::Entity(Box::new(entity))))
            }
            TypeTag::EntityCollection => {
                let collection = read_collection_fields(&mut map, depth)?;
                Ok(Object::Value(Value::EntityCollection(Box::new(collection))))
            }
            TypeTag::Unknown(tag) => {
                let mut members = Vec::new();
                collect_members(&mut map, &mut members)?;
                Ok(Object::Unknown { tag, members })
            }
            small => {
                // EntityReference has six members; avoid regrowing for each one.
                let mut members = Vec::with_capacity(8);
                collect_members(&mut map, &mut members)?;
                Ok(interpret_small(&small, &members, depth)
                    .map_or(Object::Malformed, Object::Value))
            }
        }
    }
}

fn collect_members<'de, A: MapAccess<'de>>(
    map: &mut A,
    members: &mut Members<'de>,
) -> Result<(), A::Error> {
    while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
        members.push((key, map.next_value::<&'de RawValue>()?));
    }
    Ok(())
}

fn member<'a, 'de>(members: &'a Members<'de>, name: &str) -> Option<&'a RawValue> {
    members.iter().find(|(key, _)| key == name).map(|(_, raw)| *raw)
}

/// The small tagged types, read from their captured members. `None` when they do not fit.
fn interpret_small(tag: &TypeTag<'_>, members: &Members<'_>, depth: u8) -> Option<Value> {
    match tag {
        TypeTag::EntityReference => {
            reference_from_members(members, depth).map(Value::EntityReference)
        }
        TypeTag::OptionSetValue => {
            let code = integer_from_raw(member(members, "Value")?)?;
            i32::try_from(code).ok().map(Value::OptionSetValue)
        }
        TypeTag::Money => {
            let raw = member(members, "Value")?;
            // Money is a number, but tolerate a quoted amount.
            let text = string_from_raw(raw);
            decimal_from_text(text.as_deref().unwrap_or(raw.get())).map(Value::Money)
        }
        TypeTag::SystemGuid => {
            let text = string_from_raw(member(members, "__value")?)?;
            Uuid::try_parse(text.trim()).ok().map(Value::Guid)
        }
        TypeTag::SystemDateTime => {
            let text = string_from_raw(member(members, "__value")?)?;
            DataverseDateTime::parse(&text).ok().map(Value::DateTime)
        }
        TypeTag::SystemOther => Some(value_from_raw(member(members, "__value")?, depth + 1)),
        TypeTag::KeyValuePair => {
            let key = string_from_raw(member(members, "key")?)?.into_owned();
            let value =
                member(members, "value").map_or(Value::Null, |raw| value_from_raw(raw, depth + 1));
            Some(Value::KeyValuePair { key, value: Box::new(value) })
        }
        TypeTag::Entity | TypeTag::EntityCollection | TypeTag::Unknown(_) => None,
    }
}

fn reference_from_members(members: &Members<'_>, depth: u8) -> Option<EntityReference> {
    let mut reference = EntityReference::default();
    for (key, raw) in members {
        match key.as_ref() {
            "Id" => reference.id = guid_from_raw(raw)?,
            "LogicalName" => reference.logical_name = optional_string(raw)?.unwrap_or_default(),
            "Name" => reference.name = optional_string(raw)?,
            "RowVersion" => reference.row_version = scalar_text(raw),
            "KeyAttributes" => reference.key_attributes = key_values_from_raw(raw, depth)?,
            _ => {}
        }
    }
    Some(reference)
}

/// Read any captured value. Never fails: what does not fit is kept as [`Value::Raw`].
pub(crate) fn value_from_raw(raw: &RawValue, depth: u8) -> Value {
    let text = raw.get();
    let read = match text.as_bytes().first() {
        Some(b'n') => Some(Value::Null),
        Some(b't') => Some(Value::Bool(true)),
        Some(b'f') => Some(Value::Bool(false)),
        Some(b'"') => string_from_raw(raw).map(|s| Value::String(s.into_owned())),
        Some(b'-' | b'0'..=b'9') => number_from_text(text),
        Some(b'[') if depth < MAX_NESTING => array_from_raw(raw, depth),
        Some(b'{') if depth < MAX_NESTING => object_from_raw(raw, depth),
        _ => None,
    };
    read.unwrap_or_else(|| Value::Raw(RawJson::from_raw(raw)))
}

fn number_from_text(text: &str) -> Option<Value> {
    let integral = text.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if integral && let Ok(number) = text.parse::<i64>() {
        return Some(Value::Integer(number));
    }
    decimal_from_text(text).map(Value::Decimal)
}

fn array_from_raw(raw: &RawValue, depth: u8) -> Option<Value> {
    let items =
        Vec::<&RawValue>::deserialize(&mut serde_json::Deserializer::from_str(raw.get())).ok()?;
    let values: Vec<Value> =
        items.into_iter().map(|item| value_from_raw(item, depth + 1)).collect();
    // A multi-select choice arrives as an array of OptionSetValue.
    let all_options =
        !values.is_empty() && values.iter().all(|v| matches!(v, Value::OptionSetValue(_)));
    if all_options {
        Some(Value::OptionSetValues(values.iter().filter_map(Value::as_option_set).collect()))
    } else {
        Some(Value::Array(values))
    }
}

fn object_from_raw(raw: &RawValue, depth: u8) -> Option<Value> {
    let object = parse_object(raw.get(), depth).ok()?;
    match object {
        Object::Value(value) => Some(value),
        Object::Untyped(members) => match resolve_untyped(&members, depth) {
            Resolved::Value(value) => Some(value),
            Resolved::Plain | Resolved::Unrecognized => None,
        },
        Object::Unknown { .. } | Object::Malformed => None,
    }
}

pub(crate) fn parse_object(text: &str, depth: u8) -> Result<Object<'_>, serde_json::Error> {
    serde_json::Deserializer::from_str(text).deserialize_map(ObjectVisitor { depth })
}

/// An object without a leading `__type`.
pub(crate) enum Resolved {
    /// It is a tagged value after all (`__type` later on), or an untagged Entity/EntityReference.
    Value(Value),
    /// A plain object of columns (a Power Automate `Target`), or something unmodelled.
    Plain,
    /// It looks like a typed object but does not fit.
    Unrecognized,
}

/// Other producers may not put `__type` first, and Dataverse leaves it off where the declared
/// type is already known (images, `OwningExtension`); recognise those shapes by their members.
pub(crate) fn resolve_untyped(members: &Members<'_>, depth: u8) -> Resolved {
    let has = |name: &str| members.iter().any(|(key, _)| key == name);
    if has("__type") {
        let Some(rebuilt) = rebuild_object(members, "__type") else {
            return Resolved::Unrecognized;
        };
        return match parse_object(&rebuilt, depth) {
            Ok(Object::Value(value)) => Resolved::Value(value),
            _ => Resolved::Unrecognized,
        };
    }
    if has("LogicalName") && has("Attributes") {
        let Some(rebuilt) = rebuild_object(members, "") else { return Resolved::Unrecognized };
        return match entity_from_text(&rebuilt, depth) {
            Ok(entity) => Resolved::Value(Value::Entity(Box::new(entity))),
            Err(_) => Resolved::Unrecognized,
        };
    }
    if has("LogicalName") && has("Id") {
        return reference_from_members(members, depth)
            .map_or(Resolved::Unrecognized, |r| Resolved::Value(Value::EntityReference(r)));
    }
    Resolved::Plain
}

/// JSON text of the members with `first` (if present) moved to the front.
fn rebuild_object(members: &Members<'_>, first: &str) -> Option<String> {
    let ordered = members
        .iter()
        .filter(|(key, _)| key == first)
        .chain(members.iter().filter(|(key, _)| key != first));
    write_object(None, ordered)
}

/// JSON text of `{"__type": tag, members…}`.
pub(crate) fn tagged_object_json(tag: &str, members: &Members<'_>) -> Option<String> {
    write_object(Some(tag), members.iter())
}

fn write_object<'a, 'de: 'a>(
    tag: Option<&str>,
    members: impl Iterator<Item = &'a (Cow<'de, str>, &'de RawValue)>,
) -> Option<String> {
    let mut out = String::from("{");
    if let Some(tag) = tag {
        out.push_str("\"__type\":");
        out.push_str(&serde_json::to_string(tag).ok()?);
    }
    for (key, raw) in members {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key.as_ref()).ok()?);
        out.push(':');
        out.push_str(raw.get());
    }
    out.push('}');
    Some(out)
}

/// The members of a plain object as entity attributes (a flat Power Automate `Target`).
pub(crate) fn attributes_from_members(members: Members<'_>, depth: u8) -> KeyValueList<Value> {
    members
        .into_iter()
        .map(|(key, raw)| (key.into_owned(), value_from_raw(raw, depth + 1)))
        .collect()
}

fn entity_from_text(text: &str, depth: u8) -> Result<Entity, serde_json::Error> {
    serde_json::Deserializer::from_str(text).deserialize_map(EntityVisitor { depth })
}

/// The unescaped text of a captured JSON string; `None` for non-strings.
pub(crate) fn string_from_raw(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(text).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// `null` → `Some(None)`, a string → `Some(Some(..))`, anything else → `None`.
fn optional_string(raw: &RawValue) -> Option<Option<String>> {
    if raw.get() == "null" {
        return Some(None);
    }
    string_from_raw(raw).map(|s| Some(s.into_owned()))
}

/// `null`/`""` → `Some(None)`, a GUID string → `Some(Some(..))`, anything else → `None`.
fn guid_from_raw(raw: &RawValue) -> Option<Option<Uuid>> {
    match optional_string(raw)? {
        None => Some(None),
        Some(text) if text.trim().is_empty() => Some(None),
        Some(text) => Uuid::try_parse(text.trim()).ok().map(Some),
    }
}

fn integer_from_raw(raw: &RawValue) -> Option<i64> {
    raw.get().parse::<i64>().ok()
}

/// A string's text or a number's digits (`RowVersion` is a string, but tolerate a number).
fn scalar_text(raw: &RawValue) -> Option<String> {
    match raw.get().as_bytes().first() {
        Some(b'"') => string_from_raw(raw).map(Cow::into_owned),
        Some(b'-' | b'0'..=b'9') => Some(raw.get().to_owned()),
        _ => None,
    }
}

fn key_values_from_raw(raw: &RawValue, depth: u8) -> Option<KeyValueList<Value>> {
    KeyValueSeed { depth }.deserialize(&mut serde_json::Deserializer::from_str(raw.get())).ok()
}

/// A GUID field: `null` and `""` are "no id" (a flow's empty dynamic content); anything else
/// must parse.
pub(crate) struct OptionalGuid;

impl<'de> DeserializeSeed<'de> for OptionalGuid {
    type Value = Option<Uuid>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match Option::<Text<'de>>::deserialize(deserializer)? {
            None => Ok(None),
            Some(Text(text)) if text.trim().is_empty() => Ok(None),
            Some(Text(text)) => {
                Uuid::try_parse(text.trim()).map(Some).map_err(|_| D::Error::custom("not a GUID"))
            }
        }
    }
}

/// Reads an Entity object (with or without `__type`).
pub(crate) struct EntityVisitor {
    pub(crate) depth: u8,
}

impl<'de> Visitor<'de> for EntityVisitor {
    type Value = Entity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an Entity object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entity, A::Error> {
        read_entity_fields(&mut map, self.depth)
    }
}

/// `DeserializeSeed` form of [`EntityVisitor`] for image values.
pub(crate) struct EntitySeed {
    pub(crate) depth: u8,
}

impl<'de> DeserializeSeed<'de> for EntitySeed {
    type Value = Entity;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Entity, D::Error> {
        deserializer.deserialize_map(EntityVisitor { depth: self.depth })
    }
}

fn read_entity_fields<'de, A: MapAccess<'de>>(map: &mut A, depth: u8) -> Result<Entity, A::Error> {
    let mut entity = Entity::default();
    while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
        match key.as_ref() {
            "Attributes" => entity.attributes = map.next_value_seed(KeyValueSeed { depth })?,
            "FormattedValues" => {
                entity.formatted_values = map.next_value_seed(FormattedValuesSeed)?
            }
            "KeyAttributes" => {
                entity.key_attributes = map.next_value_seed(KeyValueSeed { depth })?
            }
            "LogicalName" => {
                entity.logical_name = map.next_value::<Option<String>>()?.unwrap_or_default();
            }
            "Id" => entity.id = map.next_value_seed(OptionalGuid)?,
            "RowVersion" => entity.row_version = scalar_text(map.next_value::<&'de RawValue>()?),
            "EntityState" => {
                entity.entity_state = integer_from_raw(map.next_value::<&'de RawValue>()?)
            }
            "RelatedEntities" => {
                entity.related_entities =
                    match value_from_raw(map.next_value::<&'de RawValue>()?, depth + 1) {
                        Value::Array(items) => items,
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(entity)
}

fn read_collection_fields<'de, A: MapAccess<'de>>(
    map: &mut A,
    depth: u8,
) -> Result<EntityCollection, A::Error> {
    let mut collection = EntityCollection::default();
    while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
        match key.as_ref() {
            "Entities" => collection.entities = map.next_value_seed(EntitiesSeed { depth })?,
            "EntityName" => collection.entity_name = map.next_value()?,
            "MoreRecords" => collection.more_records = map.next_value()?,
            "PagingCookie" => collection.paging_cookie = map.next_value()?,
            "MinActiveRowVersion" => {
                collection.min_active_row_version = scalar_text(map.next_value::<&'de RawValue>()?);
            }
            "TotalRecordCount" => {
                collection.total_record_count =
                    integer_from_raw(map.next_value::<&'de RawValue>()?);
            }
            "TotalRecordCountLimitExceeded" => {
                collection.total_record_count_limit_exceeded = map.next_value()?;
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(collection)
}

/// `Entities`: an array of Entity objects (`null` = none).
struct EntitiesSeed {
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for EntitiesSeed {
    type Value = Vec<Entity>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Entity>, D::Error> {
        deserializer.deserialize_option(OptionalSeq(self))
    }
}

impl<'de> Visitor<'de> for EntitiesSeed {
    type Value = Vec<Entity>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of Entity objects")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Vec<Entity>, S::Error> {
        let mut entities = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(entity) = seq.next_element_seed(EntitySeed { depth: self.depth + 1 })? {
            entities.push(entity);
        }
        Ok(entities)
    }
}

/// Treats `null` as "empty" and otherwise reads a sequence with the inner visitor.
struct OptionalSeq<V>(V);

impl<'de, V> Visitor<'de> for OptionalSeq<V>
where
    V: Visitor<'de>,
    V::Value: Default,
{
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(V::Value::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(V::Value::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self.0)
    }
}

/// A `[{"key": …, "value": …}]` list whose values are read with [`value_from_raw`].
pub(crate) struct KeyValueSeed {
    pub(crate) depth: u8,
}

impl<'de> DeserializeSeed<'de> for KeyValueSeed {
    type Value = KeyValueList<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(OptionalSeq(self))
    }
}

impl<'de> Visitor<'de> for KeyValueSeed {
    type Value = KeyValueList<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {\"key\", \"value\"} objects")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut list = KeyValueList::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(RawPair { key, value }) = seq.next_element::<RawPair<'de>>()? {
            let value = value.map_or(Value::Null, |raw| value_from_raw(raw, self.depth + 1));
            list.push(key, value);
        }
        Ok(list)
    }
}

/// One `{"key": …, "value": …}` pair with the value captured raw.
pub(crate) struct RawPair<'de> {
    pub(crate) key: String,
    pub(crate) value: Option<&'de RawValue>,
}

impl<'de> Deserialize<'de> for RawPair<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairVisitor;
        impl<'de> Visitor<'de> for PairVisitor {
            type Value = RawPair<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a {\"key\", \"value\"} object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut key = None;
                let mut value = None;
                while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
                    match name.as_ref() {
                        "key" => key = Some(map.next_value::<String>()?),
                        "value" => value = Some(map.next_value::<&'de RawValue>()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let key = key.ok_or_else(|| A::Error::missing_field("key"))?;
                Ok(RawPair { key, value })
            }
        }
        deserializer.deserialize_map(PairVisitor)
    }
}

/// `FormattedValues`: strings by key. A `null` entry is skipped; any other non-string is kept
/// as its JSON text rather than failing the whole payload.
struct FormattedValuesSeed;

impl<'de> DeserializeSeed<'de> for FormattedValuesSeed {
    type Value = KeyValueList<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(OptionalSeq(self))
    }
}

impl<'de> Visitor<'de> for FormattedValuesSeed {
    type Value = KeyValueList<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {\"key\", \"value\"} objects")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut list = KeyValueList::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(RawPair { key, value }) = seq.next_element::<RawPair<'de>>()? {
            let Some(raw) = value.filter(|raw| raw.get() != "null") else { continue };
            let text = string_from_raw(raw).map_or_else(|| raw.get().to_owned(), Cow::into_owned);
            list.push(key, text);
        }
        Ok(list)
    }
}
