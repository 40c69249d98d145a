//! What every example needs: a client for the environment named in `DATAVERSE_URL`, with the
//! access token in `DATAVERSE_TOKEN`. Nothing secret is written in code.

use dataverse_client::{Client, auth::StaticToken};

/// A client for `DATAVERSE_URL` (your environment, e.g. `https://contoso.crm.dynamics.com`) that
/// sends the bearer token in `DATAVERSE_TOKEN`, for instance from the Azure CLI:
/// `az account get-access-token --resource https://contoso.crm.dynamics.com --query accessToken -o tsv`.
/// In a service, use `auth::ClientSecretCredential` instead: it fetches and renews tokens.
///
/// `setting` looks a setting up by name: [`from_env`] in the examples, the sandbox in the tests.
pub fn connect(
    setting: impl Fn(&str) -> Option<String>,
) -> Result<Client, Box<dyn std::error::Error>> {
    let url = setting("DATAVERSE_URL")
        .ok_or("set DATAVERSE_URL to your environment, e.g. https://contoso.crm.dynamics.com")?;
    let token = setting("DATAVERSE_TOKEN")
        .ok_or("set DATAVERSE_TOKEN to an access token for that environment")?;
    Ok(Client::builder(url).credential(StaticToken::new(token)).build()?)
}

/// A setting from the process environment.
pub fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
