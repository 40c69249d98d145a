//! Rows: create, retrieve, update, upsert, delete, associate.
//!
//! Every operation takes any `T: Serialize` body and returns any `T: DeserializeOwned`, so typed
//! structs and dynamic [`Record`]s (a JSON map) work alike. Operations are builders: add options,
//! then `.await` them (or call `.send()`).

mod ext;
mod key;
mod relationships;

use std::future::IntoFuture;
use std::marker::PhantomData;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderValue, Method};
use rest_client_core::Replay;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

pub use ext::{Lookup, Record, RecordExt};
pub use key::{RecordKey, bind_path};
pub use relationships::RefRequest;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{APPLICATION_JSON, Call, IF_MATCH, IF_NONE_MATCH, Payload, What};
use crate::odata::{entity_id_from_headers, query_string, validate_identifier};
use crate::options::RequestOptions;
use crate::query::{Annotations, Expand, FORMATTED_VALUE};

/// Serialize a request body once, up front; the error surfaces when the request is sent.
pub(crate) fn json_body<B: Serialize + ?Sized>(body: &B) -> Result<Bytes> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| Error::InvalidRequest(format!("the body cannot be serialized: {e}")))
}

fn with_json(call: Call, body: &Result<Bytes>) -> Result<Call> {
    let bytes = match body {
        Ok(bytes) => bytes.clone(),
        Err(e) => return Err(Error::InvalidRequest(e.to_string())),
    };
    Ok(Call { payload: Payload::Bytes { content_type: APPLICATION_JSON, bytes }, ..call })
}

/// `$select` / `$expand` options and annotations of a single-row read or write.
#[derive(Clone, Debug, Default)]
struct Shape {
    select: Vec<String>,
    expand: Vec<Expand>,
    annotations: Annotations,
}

impl Shape {
    fn query(&self) -> Result<Option<String>> {
        let mut pairs = Vec::new();
        if !self.select.is_empty() {
            pairs.push(("$select", crate::query::render_select(&self.select)?));
        }
        if !self.expand.is_empty() {
            pairs.push(("$expand", crate::query::render_expands(&self.expand)?));
        }
        Ok((!pairs.is_empty()).then(|| query_string(&pairs)))
    }
}

macro_rules! shape_methods {
    () => {
        /// Columns to return (`$select`).
        pub fn select<I, S>(mut self, columns: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.shape.select.extend(columns.into_iter().map(Into::into));
            self
        }

        /// Expand a navigation property (`$expand`).
        pub fn expand(mut self, expand: Expand) -> Self {
            self.shape.expand.push(expand);
            self
        }

        /// Include formatted values (`<column>@OData.Community.Display.V1.FormattedValue`).
        pub fn formatted_values(mut self) -> Self {
            self.shape.annotations.add(FORMATTED_VALUE);
            self
        }

        /// Include annotations matching `pattern` (`"*"` for all).
        pub fn include_annotations(mut self, pattern: impl Into<String>) -> Self {
            self.shape.annotations.add(pattern);
            self
        }
    };
}

macro_rules! options_method {
    () => {
        /// Per-request options (impersonation, bypass headers, timeout, …).
        pub fn options(mut self, options: RequestOptions) -> Self {
            self.options = options;
            self
        }
    };
}

macro_rules! into_future {
    ($name:ident, $output:ty) => {
        impl<'c> IntoFuture for $name<'c> {
            type Output = Result<$output>;
            type IntoFuture = BoxFuture<'c, Result<$output>>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
    ($name:ident<T>) => {
        impl<'c, T: DeserializeOwned + Send + 'c> IntoFuture for $name<'c, T> {
            type Output = Result<T>;
            type IntoFuture = BoxFuture<'c, Result<T>>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}

impl Client {
    /// Create a row: `POST /<entity_set>`; the new id comes from the `OData-EntityId` header.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::bind_path;
    /// use serde_json::json;
    ///
    /// let id = client
    ///     .create("accounts", &json!({
    ///         "name": "Contoso",
    ///         "primarycontactid@odata.bind": bind_path("contacts", uuid::Uuid::nil()),
    ///     }))
    ///     .await?;
    /// # let _ = id; Ok(()) }
    /// ```
    pub fn create<B: Serialize + ?Sized>(&self, entity_set: &str, body: &B) -> Create<'_> {
        Create {
            client: self,
            entity_set: entity_set.to_owned(),
            body: json_body(body),
            options: RequestOptions::default(),
        }
    }

    /// Create a row and return it (`Prefer: return=representation`, `201 Created`).
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::Record;
    /// use serde_json::json;
    ///
    /// let account: Record = client
    ///     .create_and_return("accounts", &json!({ "name": "Contoso" }))
    ///     .select(["accountid", "name", "createdon"])
    ///     .await?;
    /// # let _ = account; Ok(()) }
    /// ```
    pub fn create_and_return<T, B>(&self, entity_set: &str, body: &B) -> CreateAndReturn<'_, T>
    where
        B: Serialize + ?Sized,
    {
        CreateAndReturn {
            client: self,
            entity_set: entity_set.to_owned(),
            body: json_body(body),
            shape: Shape::default(),
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }

    /// Retrieve one row: `GET /<entity_set>(<key>)`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::{Expand, Record, RecordExt};
    ///
    /// let account: Record = client
    ///     .retrieve("accounts", id)
    ///     .select(["name", "revenue"])
    ///     .expand(Expand::new("primarycontactid").select(["fullname"]))
    ///     .formatted_values()
    ///     .await?;
    /// println!("revenue: {:?}", account.formatted_value("revenue"));
    /// # Ok(()) }
    /// ```
    pub fn retrieve<T>(&self, entity_set: &str, key: impl Into<RecordKey>) -> Retrieve<'_, T> {
        Retrieve {
            client: self,
            entity_set: entity_set.to_owned(),
            key: key.into(),
            shape: Shape::default(),
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }

    /// Update an existing row: `PATCH /<entity_set>(<key>)` with `If-Match: *`, so an update
    /// never creates a row (a missing row is a `404`). Send only the columns that changed: every
    /// column sent counts as updated for plug-ins and auditing.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// use serde_json::json;
    ///
    /// client
    ///     .update("cre6f_agreements", id, &json!({ "cre6f_ironcladworkflowstatus": "Review" }))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update<B: Serialize + ?Sized>(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        body: &B,
    ) -> Update<'_> {
        Update {
            client: self,
            entity_set: entity_set.to_owned(),
            key: key.into(),
            body: json_body(body),
            if_match: None,
            options: RequestOptions::default(),
        }
    }

    /// Update an existing row and return it (`Prefer: return=representation`, `200 OK`).
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::Record;
    /// use serde_json::json;
    ///
    /// let updated: Record = client
    ///     .update_and_return("accounts", id, &json!({ "name": "Contoso Ltd" }))
    ///     .select(["name", "modifiedon"])
    ///     .await?;
    /// # let _ = updated; Ok(()) }
    /// ```
    pub fn update_and_return<T, B>(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        body: &B,
    ) -> UpdateAndReturn<'_, T>
    where
        B: Serialize + ?Sized,
    {
        UpdateAndReturn {
            client: self,
            entity_set: entity_set.to_owned(),
            key: key.into(),
            body: json_body(body),
            if_match: None,
            shape: Shape::default(),
            options: RequestOptions::default(),
            output: PhantomData,
        }
    }

    /// Create or update a row by primary key or alternate key: `PATCH /<entity_set>(<key>)`.
    /// Restrict it with [`Upsert::create_only`] (`If-None-Match: *`) or
    /// [`Upsert::update_only`] (`If-Match: *`).
    ///
    /// Do not repeat the alternate-key columns in the body.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::RecordKey;
    /// use serde_json::json;
    ///
    /// client
    ///     .upsert("accounts", RecordKey::alternate([("accountnumber", "ACC-001")]), &json!({ "name": "Contoso" }))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn upsert<B: Serialize + ?Sized>(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        body: &B,
    ) -> Upsert<'_> {
        Upsert {
            client: self,
            entity_set: entity_set.to_owned(),
            key: key.into(),
            body: json_body(body),
            mode: UpsertMode::CreateOrUpdate,
            options: RequestOptions::default(),
        }
    }

    /// Delete a row: `DELETE /<entity_set>(<key>)`. A missing row is a `404`
    /// ([`Error::is_not_found`]).
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// client.delete("accounts", id).await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, entity_set: &str, key: impl Into<RecordKey>) -> Delete<'_> {
        Delete {
            client: self,
            entity_set: entity_set.to_owned(),
            key: key.into(),
            if_match: None,
            options: RequestOptions::default(),
        }
    }

    /// Set one column: `PUT /<entity_set>(<key>)/<column>` with `{"value": …}`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// client.set_column("accounts", id, "name", &"Contoso Ltd").await?;
    /// # Ok(()) }
    /// ```
    pub fn set_column<V: Serialize + ?Sized>(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        column: &str,
        value: &V,
    ) -> RefRequest<'_> {
        let call = self.row_segment(entity_set, key.into()).and_then(|segment| {
            validate_identifier("column", column)?;
            let url = self.resource_url(&[segment.as_str(), column])?;
            Call::new(Method::PUT, url, entity_set).json(&serde_json::json!({ "value": value }))
        });
        RefRequest::new(self, call)
    }

    /// Clear one column: `DELETE /<entity_set>(<key>)/<column>`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// client.clear_column("accounts", id, "description").await?;
    /// # Ok(()) }
    /// ```
    pub fn clear_column(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        column: &str,
    ) -> RefRequest<'_> {
        let call = self.row_segment(entity_set, key.into()).and_then(|segment| {
            validate_identifier("column", column)?;
            let url = self.resource_url(&[segment.as_str(), column])?;
            Ok(Call::new(Method::DELETE, url, entity_set))
        });
        RefRequest::new(self, call)
    }

    pub(crate) fn row_segment(&self, entity_set: &str, key: RecordKey) -> Result<String> {
        key.segment(entity_set)
    }

    fn row_url(
        &self,
        entity_set: &str,
        key: &RecordKey,
        shape: Option<&Shape>,
    ) -> Result<url::Url> {
        let mut url = self.resource_url(&[key.segment(entity_set)?])?;
        if let Some(query) = shape.map(Shape::query).transpose()?.flatten() {
            url.set_query(Some(&query));
        }
        Ok(url)
    }
}

fn representation_preferences(shape: &Shape) -> Vec<String> {
    let mut preferences = vec!["return=representation".to_owned()];
    preferences.extend(shape.annotations.preference());
    preferences
}

fn if_match_value(etag: Option<&str>) -> Result<HeaderValue> {
    HeaderValue::try_from(etag.unwrap_or("*"))
        .map_err(|_| Error::InvalidRequest("the etag is not a valid header value".to_owned()))
}

/// A pending [`Client::create`]; `.await` it for the new row's id.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct Create<'c> {
    client: &'c Client,
    entity_set: String,
    body: Result<Bytes>,
    options: RequestOptions,
}

impl<'c> Create<'c> {
    options_method!();

    /// Send the request.
    ///
    /// # Errors
    /// An [`Error`] from Dataverse or the transport; [`Error::UnexpectedResponse`] when the
    /// response names no created row.
    pub async fn send(self) -> Result<Uuid> {
        validate_identifier("entity set", &self.entity_set)?;
        let url = self.client.resource_url(&[&self.entity_set])?;
        let call = with_json(Call::new(Method::POST, url, &self.entity_set), &self.body)?
            .options(self.options);
        let headers = self.client.send_empty(call).await?;
        entity_id_from_headers(&headers).ok_or_else(|| {
            Error::UnexpectedResponse("the create response has no OData-EntityId header".to_owned())
        })
    }
}
into_future!(Create, Uuid);

/// A pending [`Client::create_and_return`]; `.await` it for the created row.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct CreateAndReturn<'c, T> {
    client: &'c Client,
    entity_set: String,
    body: Result<Bytes>,
    shape: Shape,
    options: RequestOptions,
    output: PhantomData<fn() -> T>,
}

impl<'c, T: DeserializeOwned> CreateAndReturn<'c, T> {
    shape_methods!();
    options_method!();

    /// Send the request.
    ///
    /// # Errors
    /// An [`Error`] from Dataverse or the transport, or [`Error::Decode`].
    pub async fn send(self) -> Result<T> {
        validate_identifier("entity set", &self.entity_set)?;
        let mut url = self.client.resource_url(&[&self.entity_set])?;
        if let Some(query) = self.shape.query()? {
            url.set_query(Some(&query));
        }
        let call = with_json(Call::new(Method::POST, url, &self.entity_set), &self.body)?
            .prefer(&representation_preferences(&self.shape))
            .options(self.options);
        self.client.send_json(call, What::of("the created row of", &self.entity_set)).await
    }
}
into_future!(CreateAndReturn<T>);

/// A pending [`Client::retrieve`]; `.await` it for the row.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct Retrieve<'c, T> {
    client: &'c Client,
    entity_set: String,
    key: RecordKey,
    shape: Shape,
    options: RequestOptions,
    output: PhantomData<fn() -> T>,
}

impl<'c, T: DeserializeOwned> Retrieve<'c, T> {
    shape_methods!();
    options_method!();

    /// Send the request.
    ///
    /// # Errors
    /// An [`Error`] from Dataverse (`404` when the row does not exist: [`Error::is_not_found`]),
    /// the transport, or [`Error::Decode`].
    pub async fn send(self) -> Result<T> {
        let url = self.client.row_url(&self.entity_set, &self.key, Some(&self.shape))?;
        let preferences: Vec<String> = self.shape.annotations.preference().into_iter().collect();
        let call = Call::new(Method::GET, url, &self.entity_set)
            .prefer(&preferences)
            .options(self.options);
        self.client.send_json(call, What::of("a row of", &self.entity_set)).await
    }
}
into_future!(Retrieve<T>);

/// A pending [`Client::update`].
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct Update<'c> {
    client: &'c Client,
    entity_set: String,
    key: RecordKey,
    body: Result<Bytes>,
    if_match: Option<String>,
    options: RequestOptions,
}

impl<'c> Update<'c> {
    options_method!();

    /// Optimistic concurrency: update only if the row still has this etag (`@odata.etag` of the
    /// version you read, e.g. `W/"470867"`). Otherwise the update fails with
    /// [`Error::Conflict`] (`412`).
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Send the request.
    ///
    /// # Errors
    /// An [`Error`] from Dataverse (`404` for a missing row, [`Error::Conflict`] for an etag
    /// mismatch) or the transport.
    pub async fn send(self) -> Result<()> {
        let url = self.client.row_url(&self.entity_set, &self.key, None)?;
        // Safe to replay: `If-Match` makes it update-only, and a repeated update writes the same
        // values again.
        let call = with_json(Call::new(Method::PATCH, url, &self.entity_set), &self.body)?
            .header(IF_MATCH, if_match_value(self.if_match.as_deref())?)
            .replay(Replay::Safe)
            .options(self.options);
        self.client.send_empty(call).await.map(drop)
    }
}
into_future!(Update, ());

/// A pending [`Client::update_and_return`]; `.await` it for the updated row.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct UpdateAndReturn<'c, T> {
    client: &'c Client,
    entity_set: String,
    key: RecordKey,
    body: Result<Bytes>,
    if_match: Option<String>,
    shape: Shape,
    options: RequestOptions,
    output: PhantomData<fn() -> T>,
}

impl<'c, T: DeserializeOwned> UpdateAndReturn<'c, T> {
    options_method!();

    /// Columns to return (`$select`); `$expand` is ignored by Dataverse on updates.
    pub fn select<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.shape.select.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Optimistic concurrency, as [`Update::if_match`].
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Send the request.
    ///
    /// # Errors
    /// As [`Update::send`], plus [`Error::Decode`].
    pub async fn send(self) -> Result<T> {
        let url = self.client.row_url(&self.entity_set, &self.key, Some(&self.shape))?;
        let call = with_json(Call::new(Method::PATCH, url, &self.entity_set), &self.body)?
            .header(IF_MATCH, if_match_value(self.if_match.as_deref())?)
            .prefer(&representation_preferences(&self.shape))
            .replay(Replay::Safe)
            .options(self.options);
        self.client.send_json(call, What::of("the updated row of", &self.entity_set)).await
    }
}
into_future!(UpdateAndReturn<T>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UpsertMode {
    CreateOrUpdate,
    CreateOnly,
    UpdateOnly,
}

/// A pending [`Client::upsert`]; `.await` it for the row's id when the response names it.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct Upsert<'c> {
    client: &'c Client,
    entity_set: String,
    key: RecordKey,
    body: Result<Bytes>,
    mode: UpsertMode,
    options: RequestOptions,
}

impl<'c> Upsert<'c> {
    options_method!();

    /// Only create (`If-None-Match: *`): an existing row makes the request fail with
    /// [`Error::Conflict`] (`412`).
    pub fn create_only(mut self) -> Self {
        self.mode = UpsertMode::CreateOnly;
        self
    }

    /// Only update (`If-Match: *`): a missing row makes the request fail with `404`.
    pub fn update_only(mut self) -> Self {
        self.mode = UpsertMode::UpdateOnly;
        self
    }

    /// Send the request. The result is the row's id from `OData-EntityId`, when that header
    /// names it by GUID.
    ///
    /// # Errors
    /// An [`Error`] from Dataverse or the transport.
    pub async fn send(self) -> Result<Option<Uuid>> {
        let url = self.client.row_url(&self.entity_set, &self.key, None)?;
        let mut call = with_json(Call::new(Method::PATCH, url, &self.entity_set), &self.body)?
            .options(self.options);
        call = match self.mode {
            UpsertMode::CreateOrUpdate => call,
            UpsertMode::CreateOnly => call.header(IF_NONE_MATCH, HeaderValue::from_static("*")),
            UpsertMode::UpdateOnly => call.header(IF_MATCH, HeaderValue::from_static("*")),
        };
        // An upsert by key is idempotent: replaying it writes the same values to the same row.
        // A create-only upsert replayed after it succeeded reports a conflict instead of
        // creating a duplicate.
        let call = call.replay(Replay::Safe);
        let headers = self.client.send_empty(call).await?;
        Ok(entity_id_from_headers(&headers).or(self.key.id()))
    }
}
into_future!(Upsert, Option<Uuid>);

/// A pending [`Client::delete`].
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct Delete<'c> {
    client: &'c Client,
    entity_set: String,
    key: RecordKey,
    if_match: Option<String>,
    options: RequestOptions,
}

impl<'c> Delete<'c> {
    options_method!();

    /// Delete only if the row still has this etag; otherwise [`Error::Conflict`] (`412`).
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Send the request.
    ///
    /// # Errors
    /// An [`Error`] from Dataverse (`404` for a missing row) or the transport.
    pub async fn send(self) -> Result<()> {
        let url = self.client.row_url(&self.entity_set, &self.key, None)?;
        let mut call = Call::new(Method::DELETE, url, &self.entity_set).options(self.options);
        if let Some(etag) = &self.if_match {
            call = call.header(IF_MATCH, if_match_value(Some(etag))?);
        }
        self.client.send_empty(call).await.map(drop)
    }
}
into_future!(Delete, ());
