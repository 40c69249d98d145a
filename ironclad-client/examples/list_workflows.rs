//! List workflows: the active ones, fetched a page at a time as the stream is read.
//!
//! ```sh
//! export IRONCLAD_BASE_URL=https://ironcladapp.com IRONCLAD_TOKEN=…
//! cargo run -p ironclad-client --example list_workflows -- 50
//! ```
//!
//! [List all workflows](https://developer.ironcladapp.com/reference/list-all-workflows)

mod support;

use ironclad_client::workflows::{ListWorkflows, Workflow};
use ironclad_client::{Client, Result};

/// Up to `limit` active workflows, `page_size` per request.
pub async fn run(client: &Client, limit: usize, page_size: u32) -> Result<Vec<Workflow>> {
    let mut workflows = client.workflows().list(ListWorkflows::new().page_size(page_size));
    let mut found = Vec::new();
    while found.len() < limit {
        match workflows.try_next().await? {
            Some(workflow) => found.push(workflow),
            None => break,
        }
    }
    Ok(found)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = support::connect(support::from_env)?;
    let limit = match std::env::args().nth(1) {
        Some(limit) => limit.parse().map_err(|e| format!("not a number of workflows: {e}"))?,
        None => 20,
    };
    for workflow in run(&client, limit, 20).await? {
        let step = workflow.step.map(|step| step.to_string()).unwrap_or_default();
        println!("{} {:<10} {}", workflow.id, step, workflow.title.unwrap_or_default());
    }
    Ok(())
}
