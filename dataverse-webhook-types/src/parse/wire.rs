//! The top-level wire shape (the PascalCase fields of `RemoteExecutionContext`) and its
//! lenient field readers.

use std::fmt;

use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::value::{
    EntitySeed, Object, ObjectVisitor, OptionalGuid, Resolved, Text, attributes_from_members,
    resolve_untyped, tagged_object_json, value_from_raw,
};
use crate::collection::KeyValueList;
use crate::context::{PayloadShape, RemoteExecutionContext};
use crate::datetime::DataverseDateTime;
use crate::entity::{Entity, EntityReference};
use crate::modes::{IsolationMode, Mode, Stage};
use crate::value::{RawJson, Value};

/// Every field is optional except `MessageName`, and unknown fields are ignored: fields were
/// added over time and four of them vanish above 256 KB ([Use webhooks](https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks)).
#[derive(Deserialize)]
pub(crate) struct WireContext {
    #[serde(rename = "MessageName", deserialize_with = "required_string")]
    message_name: String,
    #[serde(rename = "PrimaryEntityName", default, deserialize_with = "string")]
    primary_entity_name: Option<String>,
    #[serde(rename = "PrimaryEntityId", default, deserialize_with = "guid")]
    primary_entity_id: Option<Uuid>,
    #[serde(rename = "SecondaryEntityName", default, deserialize_with = "string")]
    secondary_entity_name: Option<String>,
    #[serde(rename = "InputParameters", default, deserialize_with = "input_parameters")]
    input_parameters: Option<ParameterList>,
    #[serde(rename = "OutputParameters", default, deserialize_with = "parameters")]
    output_parameters: Option<KeyValueList<Value>>,
    #[serde(rename = "SharedVariables", default, deserialize_with = "parameters")]
    shared_variables: Option<KeyValueList<Value>>,
    #[serde(rename = "PreEntityImages", default, deserialize_with = "images")]
    pre_entity_images: Option<KeyValueList<Entity>>,
    #[serde(rename = "PostEntityImages", default, deserialize_with = "images")]
    post_entity_images: Option<KeyValueList<Entity>>,
    #[serde(rename = "ParentContext", default, deserialize_with = "parent_context")]
    parent_context: Option<Box<WireContext>>,
    #[serde(rename = "OwningExtension", default, deserialize_with = "reference")]
    owning_extension: Option<EntityReference>,
    #[serde(rename = "BusinessUnitId", default, deserialize_with = "guid")]
    business_unit_id: Option<Uuid>,
    #[serde(rename = "CorrelationId", default, deserialize_with = "guid")]
    correlation_id: Option<Uuid>,
    #[serde(rename = "Depth", default, deserialize_with = "integer")]
    depth: Option<i64>,
    #[serde(rename = "InitiatingUserAgent", default, deserialize_with = "string")]
    initiating_user_agent: Option<String>,
    #[serde(
        rename = "InitiatingUserAzureActiveDirectoryObjectId",
        default,
        deserialize_with = "guid"
    )]
    initiating_user_azure_active_directory_object_id: Option<Uuid>,
    #[serde(rename = "InitiatingUserId", default, deserialize_with = "guid")]
    initiating_user_id: Option<Uuid>,
    #[serde(rename = "IsExecutingOffline", default, deserialize_with = "boolean")]
    is_executing_offline: Option<bool>,
    #[serde(rename = "IsInTransaction", default, deserialize_with = "boolean")]
    is_in_transaction: Option<bool>,
    #[serde(rename = "IsOfflinePlayback", default, deserialize_with = "boolean")]
    is_offline_playback: Option<bool>,
    #[serde(rename = "IsolationMode", default, deserialize_with = "integer")]
    isolation_mode: Option<i64>,
    #[serde(rename = "Mode", default, deserialize_with = "integer")]
    mode: Option<i64>,
    #[serde(rename = "OperationCreatedOn", default, deserialize_with = "datetime")]
    operation_created_on: Option<DataverseDateTime>,
    #[serde(rename = "OperationId", default, deserialize_with = "guid")]
    operation_id: Option<Uuid>,
    #[serde(rename = "OrganizationId", default, deserialize_with = "guid")]
    organization_id: Option<Uuid>,
    #[serde(rename = "OrganizationName", default, deserialize_with = "string")]
    organization_name: Option<String>,
    #[serde(rename = "RequestId", default, deserialize_with = "guid")]
    request_id: Option<Uuid>,
    #[serde(rename = "Stage", default, deserialize_with = "integer")]
    stage: Option<i64>,
    #[serde(rename = "UserAzureActiveDirectoryObjectId", default, deserialize_with = "guid")]
    user_azure_active_directory_object_id: Option<Uuid>,
    #[serde(rename = "UserId", default, deserialize_with = "guid")]
    user_id: Option<Uuid>,
}

impl WireContext {
    /// Read a context from a JSON object. (A derived `Deserialize` would also accept an array
    /// of the fields in order, which is never a payload.)
    pub(crate) fn deserialize_object<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        struct ObjectOnly;
        impl<'de> Visitor<'de> for ObjectOnly {
            type Value = WireContext;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a webhook payload (a JSON object with MessageName)")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<WireContext, A::Error> {
                WireContext::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(ObjectOnly)
    }

    pub(crate) fn into_context(self) -> RemoteExecutionContext {
        let mut shape = PayloadShape::RemoteExecutionContext;
        let input_parameters = self.input_parameters.map(|mut parameters| {
            if parameters.flat_target {
                // A flow's flat Target only has columns; its table and id are top-level.
                shape = PayloadShape::PowerAutomate;
                if let Some(Value::Entity(target)) = parameters.list.get_mut("Target") {
                    target.logical_name = self.primary_entity_name.clone().unwrap_or_default();
                    target.id = self.primary_entity_id;
                }
            }
            parameters.list
        });
        RemoteExecutionContext {
            message_name: self.message_name,
            primary_entity_name: self.primary_entity_name,
            primary_entity_id: self.primary_entity_id,
            secondary_entity_name: self.secondary_entity_name,
            input_parameters,
            output_parameters: self.output_parameters,
            shared_variables: self.shared_variables,
            pre_entity_images: self.pre_entity_images,
            post_entity_images: self.post_entity_images,
            parent_context: self.parent_context.map(|parent| Box::new(parent.into_context())),
            owning_extension: self.owning_extension,
            business_unit_id: self.business_unit_id,
            correlation_id: self.correlation_id,
            depth: self.depth,
            initiating_user_agent: self.initiating_user_agent,
            initiating_user_azure_active_directory_object_id: self
                .initiating_user_azure_active_directory_object_id,
            initiating_user_id: self.initiating_user_id,
            is_executing_offline: self.is_executing_offline,
            is_in_transaction: self.is_in_transaction,
            is_offline_playback: self.is_offline_playback,
            isolation_mode: self.isolation_mode.map(IsolationMode::from_code),
            mode: self.mode.map(Mode::from_code),
            operation_created_on: self.operation_created_on,
            operation_id: self.operation_id,
            organization_id: self.organization_id,
            organization_name: self.organization_name,
            request_id: self.request_id,
            stage: self.stage.map(Stage::from_code),
            user_azure_active_directory_object_id: self.user_azure_active_directory_object_id,
            user_id: self.user_id,
            shape,
        }
    }
}

/// How many `ParentContext` levels are read. Dataverse stops plug-in/webhook chains at a depth
/// of 8 by default; each level costs stack, so a hostile body must not choose the count.
pub(crate) const MAX_PARENT_CONTEXTS: usize = 32;

thread_local! {
    /// `ParentContext` levels being read on this thread (parsing is synchronous, and the derived
    /// visitor cannot carry a depth itself).
    static PARENT_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts one `ParentContext` level for as long as it lives (also when a parse fails).
struct ParentLevel;

impl ParentLevel {
    fn enter() -> Option<Self> {
        PARENT_DEPTH.with(|depth| {
            (depth.get() < MAX_PARENT_CONTEXTS).then(|| {
                depth.set(depth.get() + 1);
                ParentLevel
            })
        })
    }
}

impl Drop for ParentLevel {
    fn drop(&mut self) {
        PARENT_DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

fn parent_context<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Box<WireContext>>, D::Error> {
    struct OptionalContext;
    impl<'de> Visitor<'de> for OptionalContext {
        type Value = Option<Box<WireContext>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a parent context object or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            let _level = ParentLevel::enter().ok_or_else(|| {
                D::Error::custom(format!(
                    "more than {MAX_PARENT_CONTEXTS} nested ParentContext levels"
                ))
            })?;
            WireContext::deserialize_object(d).map(|context| Some(Box::new(context)))
        }
    }
    deserializer.deserialize_option(OptionalContext)
}

// ---- lenient scalar fields -------------------------------------------------------------------

fn required_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer)
}

fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(deserializer)
}

/// `null` and `""` are "no id" (a flow's empty dynamic content); anything else must parse.
fn guid<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Uuid>, D::Error> {
    OptionalGuid.deserialize(deserializer)
}

/// `\/Date(…)\/`, or RFC 3339 from debugging tools.
fn datetime<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DataverseDateTime>, D::Error> {
    match Option::<Text<'de>>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Text(text)) if text.trim().is_empty() => Ok(None),
        Some(Text(text)) => DataverseDateTime::parse(&text).map(Some).map_err(D::Error::custom),
    }
}

/// An integer, or a string holding one.
fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct IntegerVisitor;
    impl<'de> Visitor<'de> for IntegerVisitor {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v).map(Some).map_err(|_| E::custom("integer out of range"))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.trim() {
                "" => Ok(None),
                digits => digits.parse().map(Some).map_err(|_| E::custom("not an integer")),
            }
        }
    }
    deserializer.deserialize_any(IntegerVisitor)
}

/// A boolean, or a string `"true"`/`"false"`.
fn boolean<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    struct BoolVisitor;
    impl<'de> Visitor<'de> for BoolVisitor {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.trim() {
                "" => Ok(None),
                t if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
                t if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
                _ => Err(E::custom("not a boolean")),
            }
        }
    }
    deserializer.deserialize_any(BoolVisitor)
}

/// `OwningExtension`: an EntityReference written without `__type`.
fn reference<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<EntityReference>, D::Error> {
    let Some(raw) = Option::<&'de RawValue>::deserialize(deserializer)? else { return Ok(None) };
    match value_from_raw(raw, 0) {
        Value::EntityReference(reference) => Ok(Some(reference)),
        Value::Null => Ok(None),
        _ => Err(D::Error::custom("not an EntityReference object")),
    }
}

// ---- key/value collections -------------------------------------------------------------------

/// `InputParameters` plus whether its `Target` was a flow's flat object.
pub(crate) struct ParameterList {
    list: KeyValueList<Value>,
    flat_target: bool,
}

fn input_parameters<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<ParameterList>, D::Error> {
    deserializer.deserialize_option(ParameterSeq { read_targets_directly: true })
}

fn parameters<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<KeyValueList<Value>>, D::Error> {
    Ok(deserializer
        .deserialize_option(ParameterSeq { read_targets_directly: false })?
        .map(|parameters| parameters.list))
}

/// Reads a parameter list. With `read_targets_directly`, a `Target`/`Targets` value that
/// follows its key is read in one pass (it is the biggest subtree of the payload); every other
/// value is captured raw so its numbers stay exact.
struct ParameterSeq {
    read_targets_directly: bool,
}

impl<'de> Visitor<'de> for ParameterSeq {
    type Value = Option<ParameterList>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {\"key\", \"value\"} objects")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut list = KeyValueList::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        let mut flat_target = false;
        let pair = ParameterPairSeed { read_targets_directly: self.read_targets_directly };
        while let Some((key, value, flat)) = seq.next_element_seed(pair.clone())? {
            flat_target |= flat;
            list.push(key, value);
        }
        Ok(Some(ParameterList { list, flat_target }))
    }
}

#[derive(Clone)]
struct ParameterPairSeed {
    read_targets_directly: bool,
}

fn is_target_key(key: &str) -> bool {
    matches!(key, "Target" | "Targets")
}

impl<'de> DeserializeSeed<'de> for ParameterPairSeed {
    type Value = (String, Value, bool);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ParameterPairSeed {
    type Value = (String, Value, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a {\"key\", \"value\"} object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        enum Captured<'de> {
            Read(Value, bool),
            Raw(&'de RawValue),
        }
        let mut key: Option<String> = None;
        let mut value: Option<Captured<'de>> = None;
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            match name.as_ref() {
                "key" => key = Some(map.next_value()?),
                "value" => {
                    let direct =
                        self.read_targets_directly && key.as_deref().is_some_and(is_target_key);
                    value = Some(if direct {
                        let (target, flat) = map.next_value_seed(TargetSeed)?;
                        Captured::Read(target, flat)
                    } else {
                        Captured::Raw(map.next_value::<&'de RawValue>()?)
                    });
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let key = key.ok_or_else(|| A::Error::missing_field("key"))?;
        let (value, flat) = match value {
            None => (Value::Null, false),
            Some(Captured::Read(value, flat)) => (value, flat),
            // `value` came before `key`: read it now that the key is known.
            Some(Captured::Raw(raw)) if self.read_targets_directly && is_target_key(&key) => {
                TargetSeed
                    .deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
                    .map_err(A::Error::custom)?
            }
            Some(Captured::Raw(raw)) => (value_from_raw(raw, 0), false),
        };
        Ok((key, value, flat))
    }
}

/// Reads a `Target`: an Entity, an EntityReference (Delete, Associate), an EntityCollection
/// (`Targets`), or a flow's flat object of columns (returned with `true`).
#[derive(Clone, Copy)]
struct TargetSeed;

impl<'de> DeserializeSeed<'de> for TargetSeed {
    type Value = (Value, bool);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TargetSeed {
    type Value = (Value, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "an Entity, EntityReference or EntityCollection object, or an object of columns",
        )
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok((Value::Null, false))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        match (ObjectVisitor { depth: 0 }).visit_map(map)? {
            Object::Value(value) => Ok((value, false)),
            Object::Untyped(members) => match resolve_untyped(&members, 0) {
                Resolved::Value(value) => Ok((value, false)),
                Resolved::Plain => {
                    let entity = Entity {
                        attributes: attributes_from_members(members, 0),
                        ..Entity::default()
                    };
                    Ok((Value::Entity(Box::new(entity)), true))
                }
                Resolved::Unrecognized => Err(A::Error::custom(
                    "looks like an Entity or EntityReference but does not fit one",
                )),
            },
            Object::Unknown { tag, members } => {
                // Keep an unmodelled target as raw JSON, `__type` first as it came.
                let raw = tagged_object_json(&tag, &members)
                    .and_then(|json| RawJson::new(json).ok())
                    .ok_or_else(|| A::Error::custom("cannot keep the target as JSON"))?;
                Ok((Value::Raw(raw), false))
            }
            Object::Malformed => {
                Err(A::Error::custom("a tagged object whose content does not fit its `__type`"))
            }
        }
    }
}

/// `PreEntityImages` / `PostEntityImages`: Entities without `__type`, typed by position.
fn images<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<KeyValueList<Entity>>, D::Error> {
    struct ImagesVisitor;
    impl<'de> Visitor<'de> for ImagesVisitor {
        type Value = Option<KeyValueList<Entity>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of {\"key\", \"value\": Entity} objects")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
            let mut list = KeyValueList::new();
            while let Some(image) = seq.next_element::<ImagePair>()? {
                // A `null` image carries nothing to look up.
                if let (key, Some(entity)) = (image.key, image.entity) {
                    list.push(key, entity);
                }
            }
            Ok(Some(list))
        }
    }
    deserializer.deserialize_option(ImagesVisitor)
}

struct ImagePair {
    key: String,
    entity: Option<Entity>,
}

impl<'de> Deserialize<'de> for ImagePair {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairVisitor;
        impl<'de> Visitor<'de> for PairVisitor {
            type Value = ImagePair;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a {\"key\", \"value\": Entity} object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ImagePair, A::Error> {
                let mut key = None;
                let mut entity = None;
                while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
                    match name.as_ref() {
                        "key" => key = Some(map.next_value::<String>()?),
                        "value" => entity = map.next_value_seed(OptionalEntitySeed)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let key = key.ok_or_else(|| A::Error::missing_field("key"))?;
                Ok(ImagePair { key, entity })
            }
        }
        deserializer.deserialize_map(PairVisitor)
    }
}

struct OptionalEntitySeed;

impl<'de> DeserializeSeed<'de> for OptionalEntitySeed {
    type Value = Option<Entity>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        struct OptionalEntityVisitor;
        impl<'de> Visitor<'de> for OptionalEntityVisitor {
            type Value = Option<Entity>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Entity object or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                EntitySeed { depth: 0 }.deserialize(d).map(Some)
            }
        }
        deserializer.deserialize_option(OptionalEntityVisitor)
    }
}
