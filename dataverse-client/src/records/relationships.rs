//! Associate and disassociate rows (`$ref`), and the simple requests that return nothing.

use std::future::IntoFuture;

use futures_util::future::BoxFuture;
use http::Method;

use super::RecordKey;
use crate::client::Client;
use crate::error::Result;
use crate::http::Call;
use crate::odata::validate_identifier;
use crate::options::RequestOptions;

impl Client {
    /// Add a row to a collection-valued relationship:
    /// `POST /<entity_set>(<key>)/<navigation_property>/$ref` with
    /// `{"@odata.id": "<api root>/<target_set>(<target_key>)"}`.
    ///
    /// Navigation property names are case-sensitive.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, account: uuid::Uuid, opportunity: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// client
    ///     .associate("accounts", account, "opportunity_customer_accounts", "opportunities", opportunity)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn associate(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        navigation_property: &str,
        target_set: &str,
        target_key: impl Into<RecordKey>,
    ) -> RefRequest<'_> {
        let call = self.ref_call(
            Method::POST,
            entity_set,
            key.into(),
            navigation_property,
            Some((target_set, target_key.into())),
        );
        RefRequest::new(self, call)
    }

    /// Remove a row from a collection-valued relationship:
    /// `DELETE /<entity_set>(<key>)/<navigation_property>(<target_id>)/$ref`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, account: uuid::Uuid, opportunity: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// client
    ///     .disassociate("accounts", account, "opportunity_customer_accounts", opportunity)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn disassociate(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        navigation_property: &str,
        target_key: impl Into<RecordKey>,
    ) -> RefRequest<'_> {
        let key = key.into();
        let target_key = target_key.into();
        let call = (|| {
            let row = key.segment(entity_set)?;
            let related = target_key.segment(navigation_property)?;
            let url = self.resource_url(&[row.as_str(), related.as_str(), "$ref"])?;
            Ok(Call::new(Method::DELETE, url, entity_set))
        })();
        RefRequest::new(self, call)
    }

    /// Set a single-valued navigation property (a lookup):
    /// `PUT /<entity_set>(<key>)/<navigation_property>/$ref`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, opportunity: uuid::Uuid, account: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// client
    ///     .set_lookup("opportunities", opportunity, "customerid_account", "accounts", account)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn set_lookup(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        navigation_property: &str,
        target_set: &str,
        target_key: impl Into<RecordKey>,
    ) -> RefRequest<'_> {
        let call = self.ref_call(
            Method::PUT,
            entity_set,
            key.into(),
            navigation_property,
            Some((target_set, target_key.into())),
        );
        RefRequest::new(self, call)
    }

    /// Clear a single-valued navigation property:
    /// `DELETE /<entity_set>(<key>)/<navigation_property>/$ref`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, opportunity: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// client.clear_lookup("opportunities", opportunity, "customerid_account").await?;
    /// # Ok(()) }
    /// ```
    pub fn clear_lookup(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        navigation_property: &str,
    ) -> RefRequest<'_> {
        let call = self.ref_call(Method::DELETE, entity_set, key.into(), navigation_property, None);
        RefRequest::new(self, call)
    }

    fn ref_call(
        &self,
        method: Method,
        entity_set: &str,
        key: RecordKey,
        navigation_property: &str,
        target: Option<(&str, RecordKey)>,
    ) -> Result<Call> {
        let row = key.segment(entity_set)?;
        validate_identifier("navigation property", navigation_property)?;
        let url = self.resource_url(&[row.as_str(), navigation_property, "$ref"])?;
        let call = Call::new(method, url, entity_set);
        match target {
            None => Ok(call),
            Some((target_set, target_key)) => {
                let target_url = self.entity_url(&target_key.segment(target_set)?)?;
                call.json(&serde_json::json!({ "@odata.id": target_url.as_str() }))
            }
        }
    }
}

/// A pending request that returns nothing on success: associate, disassociate, set or clear a
/// lookup or a column.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct RefRequest<'c> {
    client: &'c Client,
    call: Result<Call>,
    options: RequestOptions,
}

impl<'c> RefRequest<'c> {
    pub(crate) fn new(client: &'c Client, call: Result<Call>) -> Self {
        Self { client, call, options: RequestOptions::default() }
    }

    /// Per-request options (impersonation, bypass headers, timeout, …).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Send the request.
    ///
    /// # Errors
    /// An [`Error`](crate::Error) from Dataverse or the transport.
    pub async fn send(self) -> Result<()> {
        let call = self.call?.options(self.options);
        self.client.send_empty(call).await.map(drop)
    }
}

impl<'c> IntoFuture for RefRequest<'c> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'c, Result<()>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
