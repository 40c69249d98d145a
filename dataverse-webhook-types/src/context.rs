//! [`RemoteExecutionContext`]: the body Dataverse (or a Power Automate flow) POSTs.

use std::str::FromStr;

use uuid::Uuid;

use crate::collection::KeyValueList;
use crate::datetime::DataverseDateTime;
use crate::entity::{Entity, EntityCollection, EntityReference};
use crate::error::ParseError;
use crate::message::Message;
use crate::modes::{IsolationMode, Mode, Stage};
use crate::value::Value;

/// The execution context of one Dataverse event, as a webhook receives it.
///
/// [`from_slice`](Self::from_slice) reads both shapes that reach a receiver:
///
/// * the full `Microsoft.Xrm.Sdk.RemoteExecutionContext` that a registered webhook step sends
///   ([RemoteExecutionContext](https://learn.microsoft.com/dotnet/api/microsoft.xrm.sdk.remoteexecutioncontext), as [Use webhooks](https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks) describes), with typed
///   values;
/// * the simplified body a Power Automate flow's HTTP action sends:
///   `MessageName`, `PrimaryEntityName`, `PrimaryEntityId` and a `Target` that is a flat object
///   of columns. That `Target` becomes an [`Entity`] whose attributes are the object's keys,
///   with the table and id taken from the top level; see [`shape`](Self::shape).
///
/// Every field except `MessageName` is optional: fields were added over time
/// (`InitiatingUserAgent`, `*AzureActiveDirectoryObjectId`), a flow sends only four, and above
/// 256 KB Dataverse drops `InputParameters`, `ParentContext` and both image lists (check the
/// `x-ms-dynamics-msg-size-exceeded` header with [`WebhookHeaders`](crate::WebhookHeaders)).
/// Unknown fields are ignored.
///
/// ```
/// use dataverse_webhook_types::{Message, RemoteExecutionContext};
///
/// let body = br#"{
///   "MessageName": "Modified",
///   "PrimaryEntityName": "contact",
///   "PrimaryEntityId": "6d81597f-0f9f-e711-8122-000d3aa2331c",
///   "InputParameters": [{"key": "Target", "value": {"firstname": "Ada", "statecode": "0"}}]
/// }"#;
/// let context = RemoteExecutionContext::from_slice(body)?;
/// assert_eq!(context.message(), Message::Update);
/// assert_eq!(context.message_name, "Modified");
/// let target = context.target_entity().expect("a Target");
/// assert_eq!(target.attributes.get_string("firstname")?.value(), Some("Ada"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RemoteExecutionContext {
    /// `MessageName` exactly as sent; see [`message`](Self::message) for the normalized kind.
    pub message_name: String,
    /// `PrimaryEntityName`: the table's logical name.
    pub primary_entity_name: Option<String>,
    /// `PrimaryEntityId` as sent (`None` when absent, `null` or `""`); see
    /// [`row_id`](Self::row_id) for the id with fallbacks.
    pub primary_entity_id: Option<Uuid>,
    /// `SecondaryEntityName` (`"none"` when unused).
    pub secondary_entity_name: Option<String>,
    /// `InputParameters` (`Target`, `Targets`, `EntityMoniker`, custom API inputs, …). `None`
    /// when the field was absent (dropped above 256 KB).
    pub input_parameters: Option<KeyValueList<Value>>,
    /// `OutputParameters` (Create post-operation: `id`).
    pub output_parameters: Option<KeyValueList<Value>>,
    /// `SharedVariables`.
    pub shared_variables: Option<KeyValueList<Value>>,
    /// `PreEntityImages` by image name. `None` when the field was absent.
    pub pre_entity_images: Option<KeyValueList<Entity>>,
    /// `PostEntityImages` by image name (the async default name is
    /// `AsynchronousStepPrimaryName`). `None` when the field was absent.
    pub post_entity_images: Option<KeyValueList<Entity>>,
    /// `ParentContext`: the context of the operation that triggered this one.
    pub parent_context: Option<Box<RemoteExecutionContext>>,
    /// `OwningExtension`: the `sdkmessageprocessingstep` that sent the webhook.
    pub owning_extension: Option<EntityReference>,
    /// `BusinessUnitId`.
    pub business_unit_id: Option<Uuid>,
    /// `CorrelationId`.
    pub correlation_id: Option<Uuid>,
    /// `Depth`: how deep in a chain of plug-ins/webhooks this event is (loop detection).
    pub depth: Option<i64>,
    /// `InitiatingUserAgent` (newer payloads; may be `""`).
    pub initiating_user_agent: Option<String>,
    /// `InitiatingUserAzureActiveDirectoryObjectId` (newer payloads; often all zeros).
    pub initiating_user_azure_active_directory_object_id: Option<Uuid>,
    /// `InitiatingUserId`.
    pub initiating_user_id: Option<Uuid>,
    /// `IsExecutingOffline`.
    pub is_executing_offline: Option<bool>,
    /// `IsInTransaction` (`true` for synchronous steps inside the transaction).
    pub is_in_transaction: Option<bool>,
    /// `IsOfflinePlayback`.
    pub is_offline_playback: Option<bool>,
    /// `IsolationMode`.
    pub isolation_mode: Option<IsolationMode>,
    /// `Mode`: synchronous or asynchronous.
    pub mode: Option<Mode>,
    /// `OperationCreatedOn`.
    pub operation_created_on: Option<DataverseDateTime>,
    /// `OperationId`.
    pub operation_id: Option<Uuid>,
    /// `OrganizationId`.
    pub organization_id: Option<Uuid>,
    /// `OrganizationName` (often the `unq…` unique name).
    pub organization_name: Option<String>,
    /// `RequestId`.
    pub request_id: Option<Uuid>,
    /// `Stage`.
    pub stage: Option<Stage>,
    /// `UserAzureActiveDirectoryObjectId` (newer payloads).
    pub user_azure_active_directory_object_id: Option<Uuid>,
    /// `UserId`.
    pub user_id: Option<Uuid>,
    pub(crate) shape: PayloadShape,
}

/// Which producer's shape a payload had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayloadShape {
    /// A `RemoteExecutionContext` as a registered webhook step sends it.
    RemoteExecutionContext,
    /// A Power Automate flow's simplified body with a flat `Target` object.
    PowerAutomate,
}

/// The row an event is about, whatever the message.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Target<'a> {
    /// `Target` is an Entity: Create, Update, and flows.
    Entity(&'a Entity),
    /// `Target` is an EntityReference (Delete, Associate), or there is only an
    /// `EntityMoniker` (SetState).
    Reference(&'a EntityReference),
    /// `Targets` is an EntityCollection: CreateMultiple, UpdateMultiple.
    Collection(&'a EntityCollection),
}

impl<'a> Target<'a> {
    /// The table's logical name (of the collection's `EntityName` for [`Target::Collection`]).
    pub fn logical_name(self) -> Option<&'a str> {
        match self {
            Self::Entity(entity) => Some(entity.logical_name.as_str()),
            Self::Reference(reference) => Some(reference.logical_name.as_str()),
            Self::Collection(collection) => collection.entity_name.as_deref(),
        }
        .filter(|name| !name.is_empty())
    }

    /// The row id (`None` for a collection).
    pub fn id(self) -> Option<Uuid> {
        match self {
            Self::Entity(entity) => entity.id,
            Self::Reference(reference) => reference.id,
            Self::Collection(_) => None,
        }
    }
}

impl RemoteExecutionContext {
    /// Parse a request body: a `RemoteExecutionContext` or a Power Automate flow's body.
    ///
    /// A UTF-8 byte-order mark is accepted. Numbers are read exactly (money never goes through
    /// `f64`), and a value this crate does not recognise is kept as [`Value::Raw`] rather than
    /// rejected.
    ///
    /// # Errors
    /// When the body is empty, not UTF-8, not JSON, or not shaped like a payload (for example
    /// `MessageName` missing, an id that is not a GUID, `InputParameters` not an array, or a
    /// `Target` that is a malformed Entity). The [`ParseError`] names the JSON path.
    ///
    /// ```
    /// use dataverse_webhook_types::RemoteExecutionContext;
    ///
    /// let body = std::fs::read("tests/fixtures/sample_a_update.json")?;
    /// let context = RemoteExecutionContext::from_slice(&body)?;
    /// assert_eq!(context.message_name, "Update");
    /// assert_eq!(context.primary_entity_name.as_deref(), Some("contact"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_slice(body: &[u8]) -> Result<Self, ParseError> {
        crate::parse::context_from_slice(body)
    }

    /// The normalized message: Create, Update, Delete or Other (see [`Message`]).
    pub fn message(&self) -> Message {
        Message::from_name(&self.message_name)
    }

    /// Which producer's shape the body had.
    pub fn shape(&self) -> PayloadShape {
        self.shape
    }

    /// The row the event is about: `InputParameters.Target` (Entity or EntityReference), else
    /// `Targets` (EntityCollection), else `EntityMoniker` (SetState's reference).
    ///
    /// ```
    /// use dataverse_webhook_types::{RemoteExecutionContext, Target};
    ///
    /// let body = br#"{"MessageName":"Delete","PrimaryEntityName":"contact","InputParameters":[
    ///   {"key":"Target","value":{"__type":"EntityReference:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts",
    ///    "Id":"6d81597f-0f9f-e711-8122-000d3aa2331c","LogicalName":"contact","Name":null}}]}"#;
    /// let context = RemoteExecutionContext::from_slice(body)?;
    /// let Some(Target::Reference(deleted)) = context.target() else { panic!("a reference") };
    /// assert_eq!(deleted.logical_name, "contact");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn target(&self) -> Option<Target<'_>> {
        fn as_target(value: &Value) -> Option<Target<'_>> {
            match value {
                Value::Entity(entity) => Some(Target::Entity(entity)),
                Value::EntityReference(reference) => Some(Target::Reference(reference)),
                Value::EntityCollection(collection) => Some(Target::Collection(collection)),
                _ => None,
            }
        }
        let parameters = self.input_parameters.as_ref()?;
        ["Target", "Targets", "EntityMoniker"]
            .into_iter()
            .find_map(|key| parameters.get(key).and_then(as_target))
    }

    /// The `Target` when it is an Entity (Create, Update, flows).
    pub fn target_entity(&self) -> Option<&Entity> {
        match self.target()? {
            Target::Entity(entity) => Some(entity),
            _ => None,
        }
    }

    /// The id of the row the event is about: `PrimaryEntityId`, else the target's id, else the
    /// Create output `id`.
    ///
    /// ```
    /// use dataverse_webhook_types::RemoteExecutionContext;
    ///
    /// let body = std::fs::read("tests/fixtures/sample_b_create.json")?;
    /// let context = RemoteExecutionContext::from_slice(&body)?;
    /// assert_eq!(context.row_id(), Some(uuid::uuid!("4b1e3d75-a749-ef11-acce-00224802d26d")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn row_id(&self) -> Option<Uuid> {
        self.primary_entity_id
            .or_else(|| self.target().and_then(|target| target.id()))
            .or_else(|| self.output_parameter("id").and_then(Value::as_uuid))
    }

    /// The table the event is about: `PrimaryEntityName`, else the target's logical name.
    pub fn row_logical_name(&self) -> Option<&str> {
        self.primary_entity_name
            .as_deref()
            .filter(|name| !name.is_empty())
            .or_else(|| self.target().and_then(|target| target.logical_name()))
    }

    /// When the row was modified: the target's `modifiedon`, else that of a post image.
    /// `None` when neither carries a readable date.
    pub fn modified_on(&self) -> Option<DataverseDateTime> {
        let from = |entity: &Entity| entity.attributes.get_datetime("modifiedon").ok()?.value();
        self.target_entity()
            .and_then(from)
            .or_else(|| self.post_entity_images.as_ref()?.iter().find_map(|(_, image)| from(image)))
    }

    /// An input parameter by key.
    pub fn input_parameter(&self, key: &str) -> Option<&Value> {
        self.input_parameters.as_ref()?.get(key)
    }

    /// An output parameter by key.
    pub fn output_parameter(&self, key: &str) -> Option<&Value> {
        self.output_parameters.as_ref()?.get(key)
    }

    /// A shared variable by key.
    pub fn shared_variable(&self, key: &str) -> Option<&Value> {
        self.shared_variables.as_ref()?.get(key)
    }

    /// A pre-operation image by the name it was registered with.
    pub fn pre_image(&self, name: &str) -> Option<&Entity> {
        self.pre_entity_images.as_ref()?.get(name)
    }

    /// A post-operation image by the name it was registered with.
    pub fn post_image(&self, name: &str) -> Option<&Entity> {
        self.post_entity_images.as_ref()?.get(name)
    }

    /// Whether the body itself shows that Dataverse dropped `InputParameters` (it does so
    /// above 256 KB, together with `ParentContext` and the images). A flow's body always has
    /// them. The authoritative signal is the `x-ms-dynamics-msg-size-exceeded` header.
    pub fn input_parameters_dropped(&self) -> bool {
        self.shape == PayloadShape::RemoteExecutionContext && self.input_parameters.is_none()
    }
}

impl FromStr for RemoteExecutionContext {
    type Err = ParseError;

    /// Same as [`RemoteExecutionContext::from_slice`].
    fn from_str(body: &str) -> Result<Self, Self::Err> {
        crate::parse::context_from_str(body)
    }
}
