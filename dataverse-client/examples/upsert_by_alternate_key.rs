//! Upsert by alternate key: create the account with this account number, or update it if it
//! exists, without knowing its id. The table needs an alternate key on the column (Power Apps:
//! Tables → Account → Keys).
//!
//! ```sh
//! cargo run -p dataverse-client --example upsert_by_alternate_key -- C-1042 "Contoso Ltd"
//! ```
//!
//! [Upsert a table row](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api#upsert-a-table-row)

mod support;

use dataverse_client::records::RecordKey;
use dataverse_client::{Client, Result};
use serde_json::json;

/// Create or update the account whose `accountnumber` is `number`.
pub async fn run(client: &Client, number: &str, name: &str) -> Result<()> {
    // The key columns identify the row: they are not repeated in the body. (Dataverse names a
    // row addressed by alternate key by that key, so there is no id to return; retrieve with
    // the same key when you need one.)
    let key = RecordKey::alternate([("accountnumber", number)]);
    client.upsert("accounts", key, &json!({ "name": name })).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = support::connect(support::from_env)?;
    let mut args = std::env::args().skip(1);
    let (Some(number), Some(name)) = (args.next(), args.next()) else {
        return Err("usage: upsert_by_alternate_key <account number> <name>".into());
    };
    run(&client, &number, &name).await?;
    println!("account {number} is {name:?}");
    Ok(())
}
