//! Attach a file to an account as a note. The file is read and base64-encoded while it is sent,
//! so memory stays flat whatever its size; large files go up in blocks.
//!
//! ```sh
//! cargo run -p dataverse-client --example upload_note -- <account id> ./contract.pdf
//! ```
//!
//! [Note (annotation) files](https://learn.microsoft.com/power-apps/developer/data-platform/attachment-annotation-files)

mod support;

use std::path::Path;

use dataverse_client::notes::{Document, NewNote};
use dataverse_client::{Client, Result};
use uuid::Uuid;

/// Upload `path` as a note regarding the account `account`; the note's id.
pub async fn run(client: &Client, account: Uuid, path: &Path) -> Result<Uuid> {
    let document = Document::from_file(path).await?;
    let note = NewNote::new()
        .regarding("account", "accounts", account)
        .subject("Uploaded document")
        .document(document);
    client.create_note(note).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = support::connect(support::from_env)?;
    let mut args = std::env::args().skip(1);
    let (Some(account), Some(path)) = (args.next(), args.next()) else {
        return Err("usage: upload_note <account id> <file>".into());
    };
    let account: Uuid = account.parse().map_err(|e| format!("not an account id: {e}"))?;
    let note = run(&client, account, Path::new(&path)).await?;
    println!("note {note} holds {path}");
    Ok(())
}
