//! `demo`: start the local sandbox of Dataverse and Ironclad and run every flow end to end,
//! with readable output. No credentials, no network, no settings.
//!
//! ```sh
//! cargo run --bin demo
//! ```
//!
//! See the `flows_demo` module.

mod flows_demo;

use std::process::ExitCode;

use clap::Parser;

/// Run every flow of the Ironclad <-> Dynamics integration (spec 004) and the Dynamics
/// contact-sync receiver (spec 000) end to end against a local sandbox of both services: an
/// MSA agreement created in Dynamics, its Ironclad workflow launched and written back, the
/// contract value changed in Ironclad and synced, an approval noted, the signed PDF attached.
///
/// It needs no credentials and no network, and ignores the DATAVERSE_*, AZURE_* and
/// IRONCLAD_* variables the other binaries use (see launch-msa-workflows --help).
/// Logs go to stderr (RUST_LOG, default warn).
#[derive(Debug, Parser)]
#[command(name = "demo", version, verbatim_doc_comment)]
struct Args {}

#[tokio::main]
async fn main() -> ExitCode {
    let _args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    match flows_demo::run(&mut std::io::stdout()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo: {error}");
            ExitCode::FAILURE
        }
    }
}
