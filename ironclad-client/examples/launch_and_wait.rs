//! Launch a workflow and wait for it: the launch runs asynchronously at Ironclad (as Ironclad
//! recommends for templates with many fields or documents), and the client polls the job with
//! growing intervals until the workflow exists.
//!
//! ```sh
//! cargo run -p ironclad-client --example launch_and_wait -- <template id> "Acme LLC" you@example.com
//! ```
//!
//! [Launch a workflow asynchronously](https://developer.ironcladapp.com/reference/launch-a-new-workflow-async)

mod support;

use ironclad_client::auth::UserRef;
use ironclad_client::values::LaunchAttributes;
use ironclad_client::workflows::{AsyncPolling, LaunchWorkflow, TemplateId, Workflow};
use ironclad_client::{Client, Result};

/// Launch `template` for `counterparty` as the Ironclad user `creator`, and wait until the
/// workflow exists.
pub async fn run(
    client: &Client,
    template: TemplateId,
    counterparty: &str,
    creator: &str,
) -> Result<Workflow> {
    // Every template requires `counterpartyName`; add the fields your template requires (see
    // `client.workflow_schemas().get(template)` for their ids and types).
    let attributes = LaunchAttributes::new().string("counterpartyName", counterparty);
    // An API token is no user: name the one who launches (an OAuth token's user needs none).
    let launch = LaunchWorkflow::new(template, attributes).creator(UserRef::email(creator));
    client.workflows().launch_and_wait(&launch, AsyncPolling::default()).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = support::connect(support::from_env)?;
    let mut args = std::env::args().skip(1);
    let (Some(template), Some(counterparty), Some(creator)) =
        (args.next(), args.next(), args.next())
    else {
        return Err(
            "usage: launch_and_wait <template id> <counterparty name> <creator email>".into()
        );
    };
    let workflow = run(&client, template.into(), &counterparty, &creator).await?;
    println!("launched {} ({})", workflow.id, workflow.title.unwrap_or_default());
    Ok(())
}
