//! `WhoAmI`: who the client is authenticated as (a cheap connectivity check).

use http::Method;
use serde::Deserialize;
use uuid::Uuid;

use crate::client::Client;
use crate::error::Result;
use crate::http::Call;

/// The caller's identity in the environment.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WhoAmI {
    /// The caller's business unit.
    #[serde(rename = "BusinessUnitId")]
    pub business_unit_id: Uuid,
    /// The caller's `systemuserid` (the application user for a client credential).
    #[serde(rename = "UserId")]
    pub user_id: Uuid,
    /// The organization (environment) id.
    #[serde(rename = "OrganizationId")]
    pub organization_id: Uuid,
}

impl Client {
    /// Call the `WhoAmI` function: proves the credential and the environment URL work.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// let me = client.who_am_i().await?;
    /// println!("connected as user {} in organization {}", me.user_id, me.organization_id);
    /// # Ok(()) }
    /// ```
    pub async fn who_am_i(&self) -> Result<WhoAmI> {
        let url = self.resource_url(&["WhoAmI"])?;
        self.send_json(Call::new(Method::GET, url, "WhoAmI"), "the WhoAmI response".into()).await
    }
}
