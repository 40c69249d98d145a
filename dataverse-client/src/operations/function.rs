//! Functions: `GET` with the parameters as aliases in the query string.

use std::future::IntoFuture;
use std::marker::PhantomData;

use futures_util::future::BoxFuture;
use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::binding::Binding;
use super::parameter::{ParameterValue, Parameters};
use crate::client::Client;
use crate::error::Result;
use crate::http::{Call, What};
use crate::odata::encode_query_value;
use crate::options::RequestOptions;
use crate::records::RecordKey;

/// A function, including a custom API defined as a function, to call with [`Client::function`]
/// or to send in a batch with [`BatchRequest::function`](crate::batch::BatchRequest::function).
///
/// Parameters travel as aliases (`Name(Param=@p1)?@p1=<value>`), so quotes, `&`, `#` and
/// date-times survive; see [`ParameterValue`] and
/// [Use Web API functions](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions).
/// Functions have no side effects, so they are retried like any read.
///
/// ```
/// use dataverse_client::{operations::Function, operations::ParameterValue};
/// use uuid::Uuid;
///
/// let zone = Function::new("GetTimeZoneCodeByLocalizedName")
///     .parameter("LocalizedStandardName", "Pacific Standard Time")
///     .parameter("LocaleId", 1033);
/// let access = Function::bound("systemusers", Uuid::nil(), "RetrievePrincipalAccess")
///     .parameter("Target", ParameterValue::record("contacts", Uuid::nil()));
/// # let _ = (zone, access);
/// ```
///
/// Fields of a parameter struct ([`Function::parameters`]) are typed by their JSON form: text
/// becomes a quoted string. Pass `Guid`, `DateTimeOffset` and `Date` parameters with
/// [`Function::parameter`] and a `Uuid`, `OffsetDateTime` or `Date`, which are written bare as
/// OData requires.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    name: String,
    binding: Binding,
    parameters: Parameters,
}

impl Function {
    /// An unbound function, called by its name (`WhoAmI`, a custom API's unique name).
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), binding: Binding::Unbound, parameters: Parameters::default() }
    }

    /// A function bound to one row: `GET <entity_set>(<key>)/Microsoft.Dynamics.CRM.<name>(…)`.
    pub fn bound(entity_set: &str, key: impl Into<RecordKey>, name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            binding: Binding::Row { entity_set: entity_set.to_owned(), key: key.into() },
            parameters: Parameters::default(),
        }
    }

    /// A function bound to a table: `GET <entity_set>/Microsoft.Dynamics.CRM.<name>(…)`.
    pub fn bound_to_table(entity_set: &str, name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            binding: Binding::Collection { entity_set: entity_set.to_owned() },
            parameters: Parameters::default(),
        }
    }

    /// One parameter; a parameter given twice keeps the last value.
    pub fn parameter(mut self, name: &str, value: impl Into<ParameterValue>) -> Self {
        self.parameters.push(name.to_owned(), value.into());
        self
    }

    /// Every field of `parameters` (a struct or map serializing to a JSON object) as a
    /// parameter (parameters are named, so their order does not matter).
    pub fn parameters<T: Serialize + ?Sized>(mut self, parameters: &T) -> Self {
        self.parameters.extend_from(parameters);
        self
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path segments under the API root and the encoded query string of the aliases.
    pub(crate) fn path_and_query(&self) -> Result<(Vec<String>, Option<String>)> {
        let (call, aliases) = self.parameters.render()?;
        let segments = self.binding.segments(&self.name, &call)?;
        let query = aliases
            .iter()
            .map(|(alias, value)| format!("{alias}={}", encode_query_value(value)))
            .collect::<Vec<_>>()
            .join("&");
        Ok((segments, (!query.is_empty()).then_some(query)))
    }

    pub(crate) fn target(&self) -> &str {
        self.binding.target(&self.name)
    }
}

impl From<&str> for Function {
    fn from(name: &str) -> Self {
        Function::new(name)
    }
}

impl From<String> for Function {
    fn from(name: String) -> Self {
        Function::new(name)
    }
}

impl Client {
    /// Call a function or a custom API defined as a function and decode its response as `T`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::operations::Function;
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// #[serde(rename_all = "PascalCase")]
    /// struct TimeZone { time_zone_code: i32 }
    ///
    /// let zone: TimeZone = client
    ///     .function(
    ///         Function::new("GetTimeZoneCodeByLocalizedName")
    ///             .parameter("LocalizedStandardName", "Pacific Standard Time")
    ///             .parameter("LocaleId", 1033),
    ///     )
    ///     .await?;
    /// # let _ = zone; Ok(()) }
    /// ```
    pub fn function<T>(&self, function: impl Into<Function>) -> CallFunction<'_, T> {
        CallFunction {
            client: self,
            function: function.into(),
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }
}

/// A pending [`Client::function`]; `.await` it for the response.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct CallFunction<'c, T> {
    client: &'c Client,
    function: Function,
    options: RequestOptions,
    output: PhantomData<fn() -> T>,
}

impl<'c, T: DeserializeOwned> CallFunction<'c, T> {
    /// Per-request options.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the request.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) for an invalid name or parameter;
    /// an [`Error`](crate::Error) from Dataverse or the transport, or
    /// [`Error::Decode`](crate::Error::Decode).
    pub async fn send(self) -> Result<T> {
        let (segments, query) = self.function.path_and_query()?;
        let mut url = self.client.resource_url(&segments)?;
        url.set_query(query.as_deref());
        let call = Call::new(Method::GET, url, self.function.target()).options(self.options);
        self.client.send_json(call, What::of("the response of", &self.function.name)).await
    }
}

impl<'c, T: DeserializeOwned + Send + 'c> IntoFuture for CallFunction<'c, T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<'c, Result<T>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
