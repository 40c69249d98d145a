//! `power-automate-template`: write the Power Automate flow that sends Dynamics 365 contact
//! changes to a contact-sync receiver.
//!
//! ```sh
//! cargo run --bin power-automate-template -- --domain app.yourcompany.com --connection-id 3f2c9a1e
//! cargo run --bin power-automate-template -- --domain app.yourcompany.com --connection-id 3f2c9a1e --definition
//! ```
//!
//! See [`contact_sync::power_automate`] and `examples/contact-sync/README.md`.

use std::process::ExitCode;

use clap::Parser;
use contact_sync::power_automate::cli::{Args, run};

fn main() -> ExitCode {
    ExitCode::from(run(&Args::parse(), std::io::stdout().lock(), std::io::stderr().lock()))
}
