//! `launch-msa-workflows`: launch an Ironclad workflow for each new MSA Agreement in Dataverse
//! and write it back (spec 004, flow 1).
//!
//! ```sh
//! cargo run --bin launch-msa-workflows -- --once
//! ```
//!
//! See [`flows::cli::launch`] and `examples/flows/README.md`.

use std::process::ExitCode;

use flows::cli::{init_tracing, launch, parse_args};

#[tokio::main]
async fn main() -> ExitCode {
    let args: launch::LaunchArgs = match parse_args(std::env::args_os(), &mut std::io::stderr()) {
        Ok(args) => args,
        Err(code) => return ExitCode::from(code),
    };
    init_tracing();
    ExitCode::from(launch::run(args, &mut std::io::stdout(), &mut std::io::stderr()).await)
}
