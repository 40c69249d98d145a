//! The pending requests of [`Client`]'s row operations: options, then `.await` (or `.send()`).

use std::future::IntoFuture;
use std::marker::PhantomData;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderValue, Method};
use rest_client_core::Replay;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::conditional::RetrieveIfModified;
use super::{RecordKey, Shape};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, IF_MATCH, IF_NONE_MATCH, What};
use crate::odata::{entity_id_from_headers, validate_identifier};
use crate::options::RequestOptions;
use crate::query::{Expand, FORMATTED_VALUE};

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
    pub(super) client: &'c Client,
    pub(super) entity_set: String,
    pub(super) body: Result<Bytes>,
    pub(super) options: RequestOptions,
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
        let call = Call::new(Method::POST, url, &self.entity_set)
            .json_bytes(self.body?)
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
    pub(super) client: &'c Client,
    pub(super) entity_set: String,
    pub(super) body: Result<Bytes>,
    pub(super) shape: Shape,
    pub(super) options: RequestOptions,
    pub(super) output: PhantomData<fn() -> T>,
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
        let call = Call::new(Method::POST, url, &self.entity_set)
            .json_bytes(self.body?)
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
    pub(super) client: &'c Client,
    pub(super) entity_set: String,
    pub(super) key: RecordKey,
    pub(super) shape: Shape,
    pub(super) options: RequestOptions,
    pub(super) output: PhantomData<fn() -> T>,
}

impl<'c, T: DeserializeOwned> Retrieve<'c, T> {
    shape_methods!();
    options_method!();

    /// Retrieve the row only if it changed since the version whose `@odata.etag` you hold
    /// (`If-None-Match: W/"…"`): an unchanged row is answered `304 Not Modified`, without a body,
    /// as [`Conditional::NotModified`](crate::records::Conditional::NotModified).
    ///
    /// Dataverse never answers `304` when the request has `$expand` or asks for annotations
    /// (formatted values included), nor for a table without optimistic concurrency: the row
    /// then always comes back as [`Conditional::Modified`](crate::records::Conditional::Modified). See
    /// [Conditional retrievals](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api#conditional-retrievals).
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::records::{Conditional, Record};
    ///
    /// let cached_etag = "W/\"468026\"";
    /// match client.retrieve::<Record>("accounts", id).select(["name"]).if_none_match(cached_etag).await? {
    ///     Conditional::Modified(account) => println!("changed: {:?}", account["name"]),
    ///     Conditional::NotModified => println!("unchanged"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn if_none_match(self, etag: impl Into<String>) -> RetrieveIfModified<'c, T> {
        RetrieveIfModified { retrieve: self, etag: etag.into() }
    }

    /// Send the request.
    ///
    /// # Errors
    /// An [`Error`] from Dataverse (`404` when the row does not exist: [`Error::is_not_found`]),
    /// the transport, or [`Error::Decode`].
    pub async fn send(mut self) -> Result<T> {
        let call = self.call()?;
        self.client.send_json(call, What::of("a row of", &self.entity_set)).await
    }

    /// The GET request (taking the options, so they are not copied).
    pub(super) fn call(&mut self) -> Result<Call> {
        let url = self.client.row_url(&self.entity_set, &self.key, Some(&self.shape))?;
        let preferences: Vec<String> = self.shape.annotations.preference().into_iter().collect();
        Ok(Call::new(Method::GET, url, &self.entity_set)
            .prefer(&preferences)
            .options(std::mem::take(&mut self.options)))
    }
}
into_future!(Retrieve<T>);

/// A pending [`Client::update`].
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct Update<'c> {
    pub(super) client: &'c Client,
    pub(super) entity_set: String,
    pub(super) key: RecordKey,
    pub(super) body: Result<Bytes>,
    pub(super) if_match: Option<String>,
    pub(super) options: RequestOptions,
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
        let call = Call::new(Method::PATCH, url, &self.entity_set)
            .json_bytes(self.body?)
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
    pub(super) client: &'c Client,
    pub(super) entity_set: String,
    pub(super) key: RecordKey,
    pub(super) body: Result<Bytes>,
    pub(super) if_match: Option<String>,
    pub(super) shape: Shape,
    pub(super) options: RequestOptions,
    pub(super) output: PhantomData<fn() -> T>,
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
        let call = Call::new(Method::PATCH, url, &self.entity_set)
            .json_bytes(self.body?)
            .header(IF_MATCH, if_match_value(self.if_match.as_deref())?)
            .prefer(&representation_preferences(&self.shape))
            .replay(Replay::Safe)
            .options(self.options);
        self.client.send_json(call, What::of("the updated row of", &self.entity_set)).await
    }
}
into_future!(UpdateAndReturn<T>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UpsertMode {
    CreateOrUpdate,
    CreateOnly,
    UpdateOnly,
}

/// A pending [`Client::upsert`]; `.await` it for the row's id when the response names it.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct Upsert<'c> {
    pub(super) client: &'c Client,
    pub(super) entity_set: String,
    pub(super) key: RecordKey,
    pub(super) body: Result<Bytes>,
    pub(super) mode: UpsertMode,
    pub(super) options: RequestOptions,
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
        let mut call = Call::new(Method::PATCH, url, &self.entity_set)
            .json_bytes(self.body?)
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
    pub(super) client: &'c Client,
    pub(super) entity_set: String,
    pub(super) key: RecordKey,
    pub(super) if_match: Option<String>,
    pub(super) options: RequestOptions,
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
