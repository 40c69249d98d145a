//! `sandbox`: run the Dataverse and Ironclad emulators as a standalone process.
//!
//! ```text
//! sandbox [--dataverse-listen ADDR] [--ironclad-listen ADDR]
//!         [--dataverse-token TOKEN] [--ironclad-token TOKEN]
//!         [--metadata PATH] [--seed PATH] [--no-demo-data]
//!         [--service-protection-scale FACTOR]
//! ```
//!
//! `--service-protection-scale 60` turns on Dataverse's service protection with the window
//! and its budgets divided by 60 (100 requests and 20 s of execution time per 5 s); 1 is the
//! real limits. `/_sandbox/dataverse/service-protection` changes it while running.
//!
//! When both listeners are up it prints four shell-sourceable lines on stdout
//! (`DATAVERSE_URL=…`, `DATAVERSE_TOKEN=…`, `IRONCLAD_BASE_URL=…`, `IRONCLAD_TOKEN=…`) and
//! serves until SIGINT or SIGTERM. A bad flag or file is one line on stderr and exit status 2.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use dataverse_ironclad_sandbox::dataverse::DataverseSchema;
use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig, SeedData, SeedFile, ServiceProtection};
use secrecy::{ExposeSecret, SecretString};

const USAGE: &str = "usage: sandbox [--dataverse-listen ADDR] [--ironclad-listen ADDR] \
[--dataverse-token TOKEN] [--ironclad-token TOKEN] [--metadata PATH] [--seed PATH] [--no-demo-data] \
[--service-protection-scale FACTOR]";

/// What the command line asked for.
#[derive(Debug, Default, PartialEq)]
struct Options {
    dataverse_listen: Option<SocketAddr>,
    ironclad_listen: Option<SocketAddr>,
    dataverse_token: Option<String>,
    ironclad_token: Option<String>,
    metadata: Option<String>,
    seed: Option<String>,
    no_demo_data: bool,
    service_protection_scale: Option<f64>,
    help: bool,
    version: bool,
}

/// Parse the arguments after the program name (`--flag VALUE` or `--flag=VALUE`).
fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone().or_else(|| args.next()) {
                Some(value) if !value.is_empty() => Ok(value),
                _ => Err(format!("{name} needs a value")),
            }
        };
        let address = |name: &str, text: String| -> Result<SocketAddr, String> {
            text.parse()
                .map_err(|_| format!("{name}: '{text}' is not an address such as 127.0.0.1:8080"))
        };
        match flag.as_str() {
            "--dataverse-listen" => {
                options.dataverse_listen = Some(address(&flag, value(&flag)?)?);
            }
            "--ironclad-listen" => options.ironclad_listen = Some(address(&flag, value(&flag)?)?),
            "--dataverse-token" => options.dataverse_token = Some(value(&flag)?),
            "--ironclad-token" => options.ironclad_token = Some(value(&flag)?),
            "--metadata" => options.metadata = Some(value(&flag)?),
            "--seed" => options.seed = Some(value(&flag)?),
            "--no-demo-data" if inline.is_none() => options.no_demo_data = true,
            "--service-protection-scale" => {
                let text = value(&flag)?;
                let factor = text.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 1.0);
                options.service_protection_scale = Some(factor.ok_or_else(|| {
                    format!("{flag}: '{text}' is not a factor of at least 1 (such as 60)")
                })?);
            }
            "-h" | "--help" => options.help = true,
            "-V" | "--version" => options.version = true,
            other => return Err(format!("unknown argument '{other}' ({USAGE})")),
        }
    }
    Ok(options)
}

/// Turn the options into a configuration, reading the files they name.
fn config(options: &Options) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig::default();
    if let Some(addr) = options.dataverse_listen {
        config.dataverse_addr = addr;
    }
    if let Some(addr) = options.ironclad_listen {
        config.ironclad_addr = addr;
    }
    if let Some(token) = &options.dataverse_token {
        config.dataverse_token = SecretString::from(token.clone());
    }
    if let Some(token) = &options.ironclad_token {
        config.ironclad_token = SecretString::from(token.clone());
    }
    if let Some(path) = &options.metadata {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--metadata: cannot read {path}: {e}"))?;
        config.schema =
            DataverseSchema::from_csdl(&text).map_err(|e| format!("--metadata: {path}: {e}"))?;
    }
    if options.no_demo_data || options.metadata.is_some() {
        // Another environment's tables get the reference rows only (a user and currencies).
        config.seed = SeedData::ReferenceOnly;
    }
    if let Some(factor) = options.service_protection_scale {
        config.dataverse_service_protection = Some(ServiceProtection::dataverse().scaled(factor));
    }
    if let Some(path) = &options.seed {
        config.seed_file = Some(SeedFile::read(path).map_err(|e| format!("--seed: {e}"))?);
    }
    Ok(config)
}

/// SIGINT and SIGTERM, listened for before the four lines are printed, so a supervisor that
/// stops the process as soon as it has read them still gets a graceful stop.
struct Shutdown {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Shutdown {
    fn listen() -> Self {
        Self {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .ok(),
        }
    }

    async fn wait(self) {
        let interrupt = tokio::signal::ctrl_c();
        #[cfg(unix)]
        if let Some(mut terminate) = self.terminate {
            tokio::select! {
                _ = interrupt => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = interrupt.await;
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("sandbox: {message}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => return fail(&message),
    };
    if options.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if options.version {
        println!("sandbox {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let config = match config(&options) {
        Ok(config) => config,
        Err(message) => return fail(&message),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        let sandbox = match Sandbox::start(config).await {
            Ok(sandbox) => sandbox,
            Err(e) => return fail(&e.to_string()),
        };
        let shutdown = Shutdown::listen();
        let mut stdout = std::io::stdout().lock();
        let printed = writeln!(
            stdout,
            "DATAVERSE_URL={}\nDATAVERSE_TOKEN={}\nIRONCLAD_BASE_URL={}\nIRONCLAD_TOKEN={}",
            sandbox.dataverse_url(),
            sandbox.dataverse_token().expose_secret(),
            sandbox.ironclad_base_url(),
            sandbox.ironclad_token().expose_secret(),
        )
        .and_then(|()| stdout.flush());
        drop(stdout);
        if printed.is_err() {
            // Nobody reads our address: serving would be pointless.
            sandbox.shutdown().await;
            return ExitCode::FAILURE;
        }
        shutdown.wait().await;
        sandbox.shutdown().await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_with_spaces_or_equals() {
        let options = parse(args(&[
            "--dataverse-listen",
            "127.0.0.1:8081",
            "--ironclad-listen=127.0.0.1:8082",
            "--dataverse-token=dv",
            "--ironclad-token",
            "ic",
            "--seed",
            "seed.json",
            "--no-demo-data",
        ]))
        .unwrap();
        assert_eq!(options.dataverse_listen, Some("127.0.0.1:8081".parse().unwrap()));
        assert_eq!(options.ironclad_listen, Some("127.0.0.1:8082".parse().unwrap()));
        assert_eq!(options.dataverse_token.as_deref(), Some("dv"));
        assert_eq!(options.ironclad_token.as_deref(), Some("ic"));
        assert_eq!(options.seed.as_deref(), Some("seed.json"));
        assert!(options.no_demo_data);
    }

    #[test]
    fn mistakes_are_one_line() {
        for (list, expected) in [
            (&["--dataverse-listen", "nowhere"][..], "is not an address"),
            (&["--metadata"][..], "--metadata needs a value"),
            (&["--frobnicate"][..], "unknown argument '--frobnicate'"),
            (&["--seed="][..], "--seed needs a value"),
            (&["--service-protection-scale", "0.5"][..], "is not a factor of at least 1"),
            (&["--service-protection-scale=lots"][..], "is not a factor of at least 1"),
        ] {
            let error = parse(args(list)).unwrap_err();
            assert!(error.contains(expected), "{list:?}: {error}");
            assert!(!error.contains('\n'));
        }
    }

    #[test]
    fn service_protection_is_off_unless_scaled() {
        assert_eq!(config(&parse(args(&[])).unwrap()).unwrap().dataverse_service_protection, None);
        let options = parse(args(&["--service-protection-scale=60"])).unwrap();
        assert_eq!(options.service_protection_scale, Some(60.0));
        let limits = config(&options).unwrap().dataverse_service_protection.unwrap();
        assert_eq!(limits, ServiceProtection::dataverse().scaled(60.0));
        assert_eq!((limits.requests_per_window, limits.window.as_secs()), (100, 5));
    }

    #[test]
    fn missing_files_are_named() {
        let options = parse(args(&["--seed", "/nonexistent/seed.json"])).unwrap();
        let error = config(&options).unwrap_err();
        assert!(
            error.starts_with("--seed: cannot read the seed file /nonexistent/seed.json"),
            "{error}"
        );
        let options = parse(args(&["--metadata", "/nonexistent/metadata.xml"])).unwrap();
        assert!(config(&options).unwrap_err().starts_with("--metadata: cannot read"));
    }
}
