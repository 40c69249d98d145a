//! `ironclad-webhooks`: receive Ironclad webhook deliveries and apply them to Dynamics (spec
//! 004, flows 2–4).
//!
//! ```sh
//! cargo run --bin ironclad-webhooks -- --listen 127.0.0.1:8080
//! ```
//!
//! See [`flows::cli::webhooks`] and `examples/flows/README.md`.

use std::process::ExitCode;

use flows::cli::{init_tracing, parse_args, webhooks};

#[tokio::main]
async fn main() -> ExitCode {
    let args: webhooks::WebhooksArgs = match parse_args(std::env::args_os(), &mut std::io::stderr())
    {
        Ok(args) => args,
        Err(code) => return ExitCode::from(code),
    };
    init_tracing();
    ExitCode::from(webhooks::run(args, &mut std::io::stdout(), &mut std::io::stderr()).await)
}
