//! Who am I? The cheapest authenticated call: it proves the environment URL and the token work.
//!
//! ```sh
//! export DATAVERSE_URL=https://contoso.crm.dynamics.com DATAVERSE_TOKEN=…
//! cargo run -p dataverse-client --example who_am_i
//! ```
//!
//! [WhoAmI function](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/whoami)

mod support;

use dataverse_client::{Client, Result, whoami::WhoAmI};

/// Who the client is authenticated as.
pub async fn run(client: &Client) -> Result<WhoAmI> {
    client.who_am_i().await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = support::connect(support::from_env)?;
    let me = run(&client).await?;
    println!("user {} in organization {}", me.user_id, me.organization_id);
    Ok(())
}
