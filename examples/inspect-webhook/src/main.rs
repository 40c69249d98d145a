//! `inspect-webhook`: print a Dataverse or Power Automate webhook payload as normalized JSON.
//!
//! ```sh
//! cargo run --bin inspect-webhook -- dataverse-webhook-types/tests/fixtures/sample_b_create.json
//! cat payload.json | cargo run --bin inspect-webhook -- -H 'x-ms-dynamics-msg-size-exceeded: true'
//! ```
//!
//! See [`inspect_webhook`] for the output shape and exit codes.

use std::process::ExitCode;

use clap::Parser;
use inspect_webhook::{Args, run_with_stdio};

fn main() -> ExitCode {
    ExitCode::from(run_with_stdio(&Args::parse()))
}
