//! What every example needs: a client for the Ironclad host in `IRONCLAD_BASE_URL`, with the API
//! token in `IRONCLAD_TOKEN`. Nothing secret is written in code.

use ironclad_client::Client;
use ironclad_client::auth::Credentials;

/// A client for `IRONCLAD_BASE_URL` (`https://ironcladapp.com`, or your region's host such as
/// `https://eu1.ironcladapp.com`) with the API token in `IRONCLAD_TOKEN` (Company Settings → API;
/// OAuth client credentials work too, see `auth::ClientCredentials`).
///
/// `setting` looks a setting up by name: [`from_env`] in the examples, the sandbox in the tests.
pub fn connect(
    setting: impl Fn(&str) -> Option<String>,
) -> Result<Client, Box<dyn std::error::Error>> {
    let base_url = setting("IRONCLAD_BASE_URL")
        .ok_or("set IRONCLAD_BASE_URL to your Ironclad host, e.g. https://ironcladapp.com")?;
    let token = setting("IRONCLAD_TOKEN").ok_or("set IRONCLAD_TOKEN to an Ironclad API token")?;
    Ok(Client::builder().base_url(base_url).credential(Credentials::api_token(token)).build()?)
}

/// A setting from the process environment.
pub fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
