//! `contact-sync`: receive Dynamics 365 / Dataverse contact changes and sync them into an
//! embedded user store.
//!
//! ```sh
//! cargo run --bin contact-sync -- --config contact-sync.toml --db contact-sync.redb --listen 127.0.0.1:8080
//! ```
//!
//! See [`contact_sync`] and `examples/contact-sync/README.md`.

use std::process::ExitCode;

use clap::Parser;
use contact_sync::cli::{Args, run};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    ExitCode::from(run(args, std::io::stdout(), std::io::stderr()).await)
}
