//! Actions: `POST` with the parameters as a JSON body.

use std::future::IntoFuture;
use std::marker::PhantomData;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::binding::Binding;
use super::typed_entity;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, What, decode_json, json_body};
use crate::options::RequestOptions;
use crate::records::RecordKey;

/// An action, including a custom API, to call with [`Client::action`] or to send in a batch
/// with [`BatchRequest::action`](crate::batch::BatchRequest::action).
///
/// Actions may change data, so they are sent with `POST` and, like every `POST`, are sent again
/// only when Dataverse certainly did not process them (`429`, a failed connection) unless the
/// request says it is safe to replay
/// ([`RequestOptions::replay_safe`](crate::config::RequestOptions::replay_safe)). See
/// [Use Web API actions](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-actions).
///
/// ```
/// use dataverse_client::operations::Action;
/// use serde::Serialize;
/// use serde_json::json;
/// use uuid::Uuid;
///
/// // An unbound custom API with a typed request.
/// #[derive(Serialize)]
/// #[serde(rename_all = "PascalCase")]
/// struct Score { account_name: String, weight: u32 }
/// let unbound = Action::new("sample_ScoreAccount")
///     .parameters(&Score { account_name: "Contoso".into(), weight: 3 });
///
/// // A bound action whose entity parameter needs its `@odata.type`.
/// let bound = Action::bound("opportunities", Uuid::nil(), "WinOpportunity")
///     .entity_parameter("OpportunityClose", "opportunityclose", &json!({ "subject": "Won" }))
///     .parameter("Status", &3);
/// # let _ = (unbound, bound);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    name: String,
    binding: Binding,
    parameters: Map<String, Value>,
    error: Option<String>,
}

impl Action {
    /// An unbound action, called by its name (`WinOpportunity`, a custom API's unique name).
    pub fn new(name: impl Into<String>) -> Self {
        Self::with_binding(name.into(), Binding::Unbound)
    }

    /// An action bound to one row: `POST <entity_set>(<key>)/Microsoft.Dynamics.CRM.<name>`.
    pub fn bound(entity_set: &str, key: impl Into<RecordKey>, name: impl Into<String>) -> Self {
        let binding = Binding::Row { entity_set: entity_set.to_owned(), key: key.into() };
        Self::with_binding(name.into(), binding)
    }

    /// An action bound to a table: `POST <entity_set>/Microsoft.Dynamics.CRM.<name>`.
    pub fn bound_to_table(entity_set: &str, name: impl Into<String>) -> Self {
        Self::with_binding(name.into(), Binding::Collection { entity_set: entity_set.to_owned() })
    }

    fn with_binding(name: String, binding: Binding) -> Self {
        Self { name, binding, parameters: Map::new(), error: None }
    }

    /// Every field of `parameters` (a struct or map serializing to a JSON object) as a
    /// parameter.
    pub fn parameters<T: Serialize + ?Sized>(mut self, parameters: &T) -> Self {
        match serde_json::to_value(parameters) {
            Ok(Value::Object(map)) => self.parameters.extend(map),
            Ok(_) => self.fail("the action parameters must serialize to a JSON object".to_owned()),
            Err(e) => self.fail(format!("the action parameters cannot be serialized: {e}")),
        }
        self
    }

    /// One parameter.
    pub fn parameter<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Self {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.parameters.insert(name.to_owned(), value);
            }
            Err(e) => self.fail(format!("the action parameter {name} cannot be serialized: {e}")),
        }
        self
    }

    /// A parameter whose type is an entity type: `row` with its `@odata.type`
    /// (`Microsoft.Dynamics.CRM.<table_logical_name>`), which Dataverse needs to tell which table
    /// the row belongs to.
    pub fn entity_parameter<T: Serialize + ?Sized>(
        mut self,
        name: &str,
        table_logical_name: &str,
        row: &T,
    ) -> Self {
        match typed_entity(table_logical_name, row) {
            Ok(entity) => {
                self.parameters.insert(name.to_owned(), Value::Object(entity));
            }
            Err(e) => self.fail(e.to_string()),
        }
        self
    }

    /// The action's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }

    /// The path segments under the API root.
    pub(crate) fn segments(&self) -> Result<Vec<String>> {
        self.binding.segments(&self.name, "")
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Result<Bytes> {
        if let Some(message) = &self.error {
            return Err(Error::InvalidRequest(message.clone()));
        }
        json_body(&self.parameters)
    }

    pub(crate) fn target(&self) -> &str {
        self.binding.target(&self.name)
    }
}

impl From<&str> for Action {
    fn from(name: &str) -> Self {
        Action::new(name)
    }
}

impl From<String> for Action {
    fn from(name: String) -> Self {
        Action::new(name)
    }
}

impl Client {
    /// Call an action or custom API. `.await` it to ignore what it returns, or ask for a typed
    /// response with [`CallAction::returning`].
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::operations::Action;
    /// use serde::Deserialize;
    /// use serde_json::json;
    ///
    /// #[derive(Deserialize)]
    /// #[serde(rename_all = "PascalCase")]
    /// struct Scored { score: i32 }
    ///
    /// let scored: Scored = client
    ///     .action(Action::new("sample_ScoreAccount").parameters(&json!({ "AccountName": "Contoso" })))
    ///     .returning()
    ///     .await?;
    /// client.action("sample_RecalculateAll").await?;
    /// # let _ = scored; Ok(()) }
    /// ```
    pub fn action(&self, action: impl Into<Action>) -> CallAction<'_> {
        CallAction { client: self, action: action.into(), options: RequestOptions::default() }
    }
}

/// A pending [`Client::action`] whose response is not needed; `.await` it.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct CallAction<'c> {
    client: &'c Client,
    action: Action,
    options: RequestOptions,
}

impl<'c> CallAction<'c> {
    /// Per-request options (impersonation, bypass headers, timeout, replay safety, …).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Decode the action's response (its `…Response` complex type, or the entity it returns)
    /// as `T`.
    pub fn returning<T: DeserializeOwned>(self) -> CallActionReturning<'c, T> {
        CallActionReturning { call: self, output: PhantomData }
    }

    fn call(self) -> Result<(&'c Client, Call, String)> {
        let url = self.client.resource_url(&self.action.segments()?)?;
        let call = Call::new(Method::POST, url, self.action.target())
            .json_bytes(self.action.body()?)
            .options(self.options);
        Ok((self.client, call, self.action.name))
    }

    /// Send the request; whatever the action returns is discarded.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an invalid name or parameters; an [`Error`] from Dataverse
    /// or the transport.
    pub async fn send(self) -> Result<()> {
        let (client, call, _) = self.call()?;
        client.send_empty(call).await.map(drop)
    }
}

impl<'c> IntoFuture for CallAction<'c> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'c, Result<()>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A pending [`Client::action`] with a typed response; see [`CallAction::returning`].
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct CallActionReturning<'c, T> {
    call: CallAction<'c>,
    output: PhantomData<fn() -> T>,
}

impl<'c, T: DeserializeOwned> CallActionReturning<'c, T> {
    /// Per-request options.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.call.options = options;
        self
    }

    /// Send the request and decode the response.
    ///
    /// # Errors
    /// As [`CallAction::send`]; [`Error::UnexpectedResponse`] when the action returned no
    /// content; [`Error::Decode`] when the response is not a `T`.
    pub async fn send(self) -> Result<T> {
        let (client, call, name) = self.call.call()?;
        let sent = client.send(call).await?;
        let status = sent.response.status();
        let body = sent.body().await?;
        if status == StatusCode::NO_CONTENT || body.is_empty() {
            return Err(Error::UnexpectedResponse(format!(
                "the action {name} returned no content"
            )));
        }
        decode_json(&body, What::of("the response of", &name))
    }
}

impl<'c, T: DeserializeOwned + Send + 'c> IntoFuture for CallActionReturning<'c, T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<'c, Result<T>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
