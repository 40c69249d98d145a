//! Query with paging: the accounts whose name starts with a prefix, a few rows per page. Pages
//! are fetched lazily by following `@odata.nextLink`: the next one is requested only when the
//! rows of the previous one have been used.
//!
//! ```sh
//! cargo run -p dataverse-client --example query_with_paging -- "Contoso"
//! ```
//!
//! [Page results](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results)

mod support;

use dataverse_client::query::{Filter, Query};
use dataverse_client::{Client, Result};
use serde::Deserialize;

/// The columns we read: declare only what you `$select`.
#[derive(Debug, Deserialize)]
pub struct Account {
    /// The account's name.
    pub name: Option<String>,
}

/// The accounts whose name starts with `prefix`, page by page.
pub async fn run(client: &Client, prefix: &str, page_size: u32) -> Result<Vec<Vec<Account>>> {
    let query = Query::new("accounts")
        .select(["name"])
        .filter(Filter::starts_with("name", prefix))
        .order_by("name")
        .max_page_size(page_size);
    let mut pages = client.query::<Account>(query).pages();
    let mut all = Vec::new();
    while let Some(page) = pages.try_next().await? {
        all.push(page.items);
    }
    Ok(all)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = support::connect(support::from_env)?;
    let prefix = std::env::args().nth(1).unwrap_or_default();
    for (number, page) in run(&client, &prefix, 50).await?.iter().enumerate() {
        println!("page {}: {} accounts", number + 1, page.len());
        for account in page {
            println!("  {}", account.name.as_deref().unwrap_or("(no name)"));
        }
    }
    Ok(())
}
