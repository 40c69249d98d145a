//! The `power-automate-template` command line.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;

use super::domain::Domain;
use super::package::pretty;
use super::template::FlowTemplate;
use crate::ConnectionId;

/// Exit code for invalid input (clap uses it for usage errors too).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when the output cannot be written.
pub const EXIT_IO: u8 = 1;

/// Write the Power Automate flow that sends Dynamics 365 contact changes to a contact-sync
/// receiver (spec "Option 2: Import Template").
///
/// The flow: trigger "When a row is added, modified or deleted" (Microsoft Dataverse, change
/// type Added or Modified, table Contacts, scope Organization, select columns
/// firstname,lastname,emailaddress1,telephone1,statecode plus --fields), then an HTTP POST to
/// https://DOMAIN/api/crm/webhook/dynamics/CONNECTION-ID with Content-Type: application/json
/// and the spec's body, each field filled with dynamic content (plus modifiedon, so the
/// receiver can ignore changes that arrive late).
///
/// By default writes the legacy import package, a zip for
/// My flows > Import > Import Package (Legacy) (pick your Dataverse connection for
/// shared_commondataserviceforapps), to sync-contacts-CONNECTION-ID.zip, or to --output
/// (`-` for stdout). With --definition,
/// writes the flow's definition.json to stdout or --output instead. The same inputs always
/// give the same bytes.
///
/// Exit codes: 0 on success, 2 for invalid input, 1 when the output cannot be written.
#[derive(Debug, Parser)]
#[command(name = "power-automate-template", version, verbatim_doc_comment)]
pub struct Args {
    /// The receiver's domain without https:// and without a path (app.yourcompany.com, or
    /// app.yourcompany.com:8443).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: String,

    /// The CRM connection id (letters, digits, `-`, `.`, `_`, `~`).
    #[arg(long, value_name = "ID")]
    pub connection_id: String,

    /// More columns to select in the trigger and send in the body (comma-separated logical
    /// names; repeatable).
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub fields: Vec<String>,

    /// Write the bare definition JSON (the package's definition.json) instead of the zip.
    #[arg(long)]
    pub definition: bool,

    /// Where to write; `-` is stdout. Default: stdout for --definition, else
    /// sync-contacts-CONNECTION-ID.zip.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// The flow's display name (default "Sync Contacts to DOMAIN").
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Send the spec's body exactly, without modifiedon.
    #[arg(long)]
    pub no_modifiedon: bool,
}

/// Validate, build and write. Returns the exit code; errors are one line on `stderr`.
///
/// ```
/// use clap::Parser;
/// use contact_sync::power_automate::cli::{Args, run};
///
/// let args = Args::parse_from([
///     "power-automate-template", "--domain", "app.example.com", "--connection-id", "c1", "--definition",
/// ]);
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// assert_eq!(run(&args, &mut out, &mut err), 0);
/// let definition: serde_json::Value = serde_json::from_slice(&out)?;
/// assert_eq!(definition["type"], "Microsoft.Flow/flows");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn run(args: &Args, mut stdout: impl Write, mut stderr: impl Write) -> u8 {
    match generate(args, &mut stdout) {
        Ok(Some(note)) => {
            let _ = writeln!(stderr, "{note}");
            0
        }
        Ok(None) => 0,
        Err((code, message)) => {
            let _ =
                writeln!(stderr, "power-automate-template: {}", message.replace(['\n', '\r'], " "));
            code
        }
    }
}

fn generate(args: &Args, stdout: &mut impl Write) -> Result<Option<String>, (u8, String)> {
    let bad = |message: String| (EXIT_BAD_INPUT, message);
    let domain = Domain::parse(&args.domain).map_err(|e| bad(e.to_string()))?;
    let connection_id = ConnectionId::parse(args.connection_id.trim())
        .map_err(|e| bad(format!("--connection-id: {e}")))?;
    let fields = args.fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty());
    let mut template = FlowTemplate::new(domain, connection_id.clone())
        .with_columns(fields)
        .map_err(|e| bad(e.to_string()))?
        .with_modifiedon(!args.no_modifiedon);
    if let Some(name) = args.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        template = template.with_display_name(name);
    }

    let (bytes, default_path) = if args.definition {
        (pretty(&template.definition_json()), None)
    } else {
        let zip = template.package_zip().map_err(|e| (EXIT_IO, e.to_string()))?;
        (zip, Some(PathBuf::from(format!("sync-contacts-{connection_id}.zip"))))
    };
    let path = args.output.clone().or(default_path);
    match path.as_deref().filter(|path| *path != Path::new("-")) {
        None => {
            stdout
                .write_all(&bytes)
                .and_then(|()| stdout.flush())
                .map_err(|e| (EXIT_IO, format!("cannot write to stdout: {e}")))?;
            Ok(None)
        }
        Some(path) => {
            std::fs::write(path, &bytes)
                .map_err(|e| (EXIT_IO, format!("cannot write {}: {e}", path.display())))?;
            let what = if args.definition {
                "the flow definition".to_owned()
            } else {
                "the package: import it with My flows > Import > Import Package (Legacy)".to_owned()
            };
            Ok(Some(format!(
                "wrote {} ({} bytes), {what}; it posts to {}",
                path.display(),
                bytes.len(),
                template.webhook_url()
            )))
        }
    }
}
