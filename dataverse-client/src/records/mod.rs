//! Rows: create, retrieve, update, upsert, delete, associate.
//!
//! Every operation takes any `T: Serialize` body and returns any `T: DeserializeOwned`, so typed
//! structs and dynamic [`Record`]s (a JSON map) work alike. Operations are builders: add options,
//! then `.await` them (or call `.send()`).

mod conditional;
mod elastic;
mod ext;
mod key;
mod relationships;
mod requests;

use std::marker::PhantomData;

use http::Method;
use serde::Serialize;

pub use conditional::{Conditional, RetrieveIfModified};
pub use ext::{Lookup, Record, RecordExt};
pub use key::{RecordKey, bind_path};
pub use relationships::RefRequest;
use requests::UpsertMode;
pub use requests::{Create, CreateAndReturn, Delete, Retrieve, Update, UpdateAndReturn, Upsert};

use crate::client::Client;
use crate::error::Result;
use crate::http::{Call, json_body};
use crate::odata::{query_string, validate_identifier};
use crate::options::RequestOptions;
use crate::query::{Annotations, Expand};

/// `$select` / `$expand` options and annotations of a single-row read or write.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shape {
    pub(crate) select: Vec<String>,
    pub(crate) expand: Vec<Expand>,
    pub(crate) annotations: Annotations,
}

impl Shape {
    pub(crate) fn query(&self) -> Result<Option<String>> {
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

impl Client {
    /// Create a row: `POST /<entity_set>`; the new id comes from the `OData-EntityId` header.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::records::bind_path;
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
    /// use dataverse_client::records::Record;
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
    /// use dataverse_client::{query::Expand, records::{Record, RecordExt}};
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
    /// use dataverse_client::records::Record;
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
    /// use dataverse_client::records::RecordKey;
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
    /// ([`Error::is_not_found`](crate::Error::is_not_found)).
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

    pub(super) fn row_url(
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
