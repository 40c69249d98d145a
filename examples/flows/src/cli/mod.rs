//! The command lines of `launch-msa-workflows` and `ironclad-webhooks`: flags and environment,
//! startup, exit codes. The binaries in `src/bin/` only call [`launch::run`] / [`webhooks::run`].
//!
//! Exit codes: `0` success (or a clean shutdown), `2` a missing or malformed setting, or an MSA
//! template that lacks a field the flows need (one line on stderr naming it), `1` a runtime
//! failure (the state file is locked, the address is taken,
//! Ironclad refused the subscription, an agreement could not be processed by `--once`).

pub mod launch;
pub mod webhooks;

use std::io::Write;

use clap::Parser;

use crate::config::{ConfigError, one_line};
use crate::launch::InitialWatermark;

/// Exit code for a missing or malformed setting.
pub const EXIT_CONFIG: u8 = 2;
/// Exit code for a runtime failure.
pub const EXIT_FAILURE: u8 = 1;

/// Parse the command line. `--help` / `--version` print and give `Err(0)`; an invalid flag
/// prints clap's one-line error (without the usage block) and gives `Err(2)`.
///
/// ```
/// use flows::cli::{launch::LaunchArgs, parse_args};
///
/// let args: LaunchArgs = parse_args(["launch-msa-workflows", "--once"], &mut std::io::sink()).unwrap();
/// assert!(args.once);
/// let code = parse_args::<LaunchArgs, _, _>(["launch-msa-workflows", "--concurrency", "x"], &mut std::io::sink());
/// assert_eq!(code.unwrap_err(), 2);
/// ```
///
/// # Errors
/// The exit code to use.
pub fn parse_args<T, I, S>(args: I, stderr: &mut impl Write) -> Result<T, u8>
where
    T: Parser,
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    match T::try_parse_from(args) {
        Ok(args) => Ok(args),
        Err(error) => match error.kind() {
            clap::error::ErrorKind::DisplayHelp
            | clap::error::ErrorKind::DisplayVersion
            | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = error.print();
                Err(0)
            }
            _ => {
                let rendered = error.render().to_string();
                let first = rendered.lines().next().unwrap_or("invalid arguments");
                let _ = writeln!(stderr, "{}", first.trim());
                Err(EXIT_CONFIG)
            }
        },
    }
}

/// `--since`: `now` (the time the first run starts), `all`, or an RFC 3339 date-time.
///
/// ```
/// use flows::cli::parse_since;
/// use flows::launch::InitialWatermark;
///
/// assert_eq!(parse_since("now"), Ok(InitialWatermark::Now));
/// assert_eq!(parse_since("all"), Ok(InitialWatermark::All));
/// assert!(matches!(parse_since("2026-05-01T10:00:00Z"), Ok(InitialWatermark::At(_))));
/// assert!(parse_since("yesterday").is_err());
/// ```
///
/// # Errors
/// A one-line reason.
pub fn parse_since(text: &str) -> Result<InitialWatermark, String> {
    text.parse()
}

/// Print a setting error as one line and give the exit code.
pub(crate) fn config_error(program: &str, error: &ConfigError, stderr: &mut impl Write) -> u8 {
    let _ = writeln!(stderr, "{program}: {}", one_line(&error.to_string()));
    EXIT_CONFIG
}

/// Print a runtime error as one line and give the exit code.
pub(crate) fn failure(program: &str, error: &dyn std::fmt::Display, stderr: &mut impl Write) -> u8 {
    let _ = writeln!(stderr, "{program}: {}", one_line(&error.to_string()));
    EXIT_FAILURE
}

/// Log to stderr with `tracing`, filtered by `RUST_LOG` (default `info`).
///
/// ```no_run
/// flows::cli::init_tracing();
/// tracing::info!("logged to stderr");
/// ```
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
