//! A `$batch` with a change set: a contact and an account whose primary contact it is, created
//! together or not at all. The account refers to the contact created in the same change set by
//! its Content-ID (`$1`).
//!
//! ```sh
//! cargo run -p dataverse-client --example batch_change_set -- "Fabrikam" "Glynn"
//! ```
//!
//! [Execute batch operations](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api)

mod support;

use dataverse_client::batch::{Batch, BatchRequest};
use dataverse_client::{Client, Error, Result};
use serde_json::json;
use uuid::Uuid;

/// Create a contact and an account with it as primary contact, atomically: `(contact, account)`.
pub async fn run(client: &Client, account: &str, contact_last_name: &str) -> Result<(Uuid, Uuid)> {
    let mut batch = Batch::new();
    {
        let mut change_set = batch.change_set();
        let contact = change_set
            .add(BatchRequest::create("contacts", &json!({ "lastname": contact_last_name })));
        change_set.add(BatchRequest::create(
            "accounts",
            &json!({ "name": account, "primarycontactid@odata.bind": contact.reference() }),
        ));
    }
    let mut ids = Vec::new();
    for outcome in client.execute_batch(batch).await? {
        let created = outcome.into_result()?;
        ids.push(created.entity_id().ok_or_else(|| {
            Error::UnexpectedResponse("a create in the batch named no row".into())
        })?);
    }
    match ids[..] {
        [contact, account] => Ok((contact, account)),
        _ => Err(Error::UnexpectedResponse(format!("{} answers for 2 requests", ids.len()))),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = support::connect(support::from_env)?;
    let mut args = std::env::args().skip(1);
    let (Some(account), Some(contact)) = (args.next(), args.next()) else {
        return Err("usage: batch_change_set <account name> <contact last name>".into());
    };
    let (contact_id, account_id) = run(&client, &account, &contact).await?;
    println!("created contact {contact_id} and account {account_id}");
    Ok(())
}
