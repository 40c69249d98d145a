//! `launch-msa-workflows` (flow 1).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use ironclad_client::config::{RateLimitBucket, RateLimits};

use super::{EXIT_CONFIG, EXIT_FAILURE, config_error, failure, parse_since};
use crate::attributes::ResolveError;
use crate::config::one_line;
use crate::config::{
    DataverseArgs, DataverseSettings, FlowsConfig, IroncladArgs, IroncladSettings, TemplateArgs,
    parse_interval,
};
use crate::launch::InitialWatermark;
use crate::state::LaunchState;
use crate::{FlowContext, LaunchHow, LaunchMsaWorkflows, LaunchOptions, RunReport};

const PROGRAM: &str = "launch-msa-workflows";

/// The OAuth scopes flow 1 needs (`readSchemas`: the template's launch form, read at start).
pub const SCOPES: [&str; 3] = [
    "public.workflows.readSchemas",
    "public.workflows.readWorkflows",
    "public.workflows.createWorkflows",
];

/// Launch an Ironclad workflow for each new MSA Agreement in Dataverse and write the workflow's
/// URL, step and title back to the Agreement (spec 004, "Launching an Ironclad Workflow").
///
/// At start it reads the MSA template's launch form and finds the attributes it fills (role
/// fields such as the counterparty signer's have template-specific ids); a field the template
/// lacks stops it before anything is launched (set its id in the config file's `[attributes]`).
///
/// Each run reads the MSA agreements without a workflow URL modified since the watermark, with
/// their opportunity, account and currency; finds workflows already launched for them (one
/// Ironclad list call per 50 agreements); launches the others; and writes each back. The first
/// run (no watermark in the state file) starts from the time it starts: older agreements are
/// left alone and counted in the log (--since includes them). The state file keeps the
/// watermark and the launches not yet written back, so an agreement is never launched twice,
/// even after a crash. SIGINT/SIGTERM: no new agreement is started, those in flight finish,
/// the watermark is saved.
///
/// Every setting below can be a flag or its environment variable. Dataverse needs
/// DATAVERSE_URL and DATAVERSE_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and
/// AZURE_CLIENT_SECRET (AZURE_AUTHORITY_HOST for a sovereign cloud). Ironclad needs
/// IRONCLAD_BASE_URL, IRONCLAD_MSA_TEMPLATE_ID and IRONCLAD_TOKEN with IRONCLAD_CREATOR_EMAIL,
/// or IRONCLAD_CLIENT_ID and IRONCLAD_CLIENT_SECRET with IRONCLAD_AS_USER_EMAIL (or
/// IRONCLAD_AS_USER_ID). Logs go to stderr (RUST_LOG, default info).
///
/// With --database-url the state is in PostgreSQL, shared by any number of replicas: one of
/// them polls at a time (the others wait for it), each run starting from the watermark and
/// launch log the previous one left, so no agreement gets two workflows.
///
/// Exit codes: 0 success (with --once: every agreement processed), 1 an agreement could not be
/// processed, the state cannot be opened or Ironclad cannot be reached at start, 2 a
/// missing or malformed setting, or a template without a field the flow fills.
#[derive(Debug, Clone, Parser)]
#[command(name = "launch-msa-workflows", version, verbatim_doc_comment)]
pub struct LaunchArgs {
    /// Run one poll and exit
    #[arg(long)]
    pub once: bool,

    /// Poll every INTERVAL (30s, 5m, 1h30m), one run at a time
    #[arg(long, env = "LAUNCH_MSA_WORKFLOWS_INTERVAL", value_name = "INTERVAL", default_value = "5m", value_parser = parse_interval)]
    pub interval: Duration,

    /// The state file (redb), created if missing
    #[arg(
        long,
        env = "LAUNCH_MSA_WORKFLOWS_STATE",
        value_name = "PATH",
        default_value = "launch-msa-workflows.redb"
    )]
    pub state: PathBuf,

    /// Keep the watermark and launch log in PostgreSQL instead of the state file (postgres://user:password@host:port/dbname): any number of replicas may share one database, one polls at a time
    #[arg(
        long,
        env = "LAUNCH_MSA_WORKFLOWS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true,
        conflicts_with = "state",
        value_parser = crate::config::secret
    )]
    pub database_url: Option<secrecy::SecretString>,

    /// Agreements launched and written back at the same time
    #[arg(long, env = "LAUNCH_MSA_WORKFLOWS_CONCURRENCY", value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Where the first run starts when the state has no watermark: `now`, `all` (every unlinked MSA agreement) or an RFC 3339 date-time
    #[arg(long, env = "LAUNCH_MSA_WORKFLOWS_SINCE", value_name = "WHEN", default_value = "now", value_parser = parse_since)]
    pub since: InitialWatermark,

    /// Ironclad workflow writes per minute, kept on this side (Ironclad's documented limit is 40; demo tenants are lower)
    #[arg(long, env = "IRONCLAD_WORKFLOW_WRITES_PER_MINUTE", value_name = "N", default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..))]
    pub ironclad_writes_per_minute: u32,

    /// The config file (TOML): the Agreement table's names, and Ironclad attribute ids [default: spec 004's names, ids from the template]
    #[arg(long, env = "IRONCLAD_FLOWS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub dataverse: DataverseArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub ironclad: IroncladArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub template: TemplateArgs,
}

/// Resolve the settings into the flow; a setting error is printed (one line) as exit code 2.
///
/// # Errors
/// The exit code to use.
///
/// ```no_run
/// use flows::cli::launch::{LaunchArgs, build};
///
/// # async fn demo() {
/// let args: LaunchArgs = clap::Parser::parse_from(["launch-msa-workflows", "--once"]);
/// let flow = build(&args, &mut std::io::stderr()).await.unwrap_or_else(|code| std::process::exit(code.into()));
/// # let _ = flow;
/// # }
/// ```
pub async fn build(args: &LaunchArgs, stderr: &mut impl Write) -> Result<LaunchMsaWorkflows, u8> {
    let config =
        FlowsConfig::load(args.config.as_deref()).map_err(|e| config_error(PROGRAM, &e, stderr))?;
    let dataverse = DataverseSettings::from_args(&args.dataverse)
        .map_err(|e| config_error(PROGRAM, &e, stderr))?;
    let ironclad = IroncladSettings::from_args(&args.ironclad)
        .map_err(|e| config_error(PROGRAM, &e, stderr))?;
    let template = args.template.template_id().map_err(|e| config_error(PROGRAM, &e, stderr))?;
    let creator = args
        .template
        .creator_email(ironclad.is_legacy_token())
        .map_err(|e| config_error(PROGRAM, &e, stderr))?;
    let dataverse_client = dataverse.client().map_err(|e| config_error(PROGRAM, &e, stderr))?;
    let limits = RateLimits::documented()
        .per_minute(RateLimitBucket::WorkflowsWrite, args.ironclad_writes_per_minute);
    let ironclad_client = ironclad
        .client_builder(&SCOPES)
        .rate_limits(limits)
        .build()
        .map_err(|e| config_error(PROGRAM, &ironclad.client_error(&e), stderr))?;
    let state = match &args.database_url {
        Some(url) => LaunchState::connect(url).await,
        None => LaunchState::open(&args.state),
    }
    .map_err(|e| failure(PROGRAM, &e, stderr))?;
    let context = FlowContext::new(dataverse_client, ironclad_client, config.agreement, template)
        .with_attribute_overrides(config.attributes);
    let options = LaunchOptions {
        concurrency: usize::from(args.concurrency),
        initial_watermark: args.since,
        ..LaunchOptions::default()
    };
    Ok(LaunchMsaWorkflows::new(context, state).creator_email(creator).options(options))
}

/// Run the program: one poll with `--once`, else poll until SIGINT/SIGTERM. With `--once`,
/// prints one line per agreement and a summary to `stdout`. Returns the exit code.
///
/// ```no_run
/// use flows::cli::launch::{LaunchArgs, run};
///
/// # async fn main_() {
/// let args: LaunchArgs = clap::Parser::parse();
/// let code = run(args, &mut std::io::stdout(), &mut std::io::stderr()).await;
/// std::process::exit(i32::from(code));
/// # }
/// ```
pub async fn run(args: LaunchArgs, stdout: &mut impl Write, stderr: &mut impl Write) -> u8 {
    let flow = match build(&args, stderr).await {
        Ok(flow) => flow,
        Err(code) => return code,
    };
    if let Err(code) = resolve_attributes(&flow, stderr).await {
        return code;
    }
    let shutdown = program_support::shutdown::on_signals();
    if args.once {
        let report = flow.run_once(&shutdown).await;
        crate::launch::log_report(&report);
        print_report(&report, stdout);
        if report.is_success() { 0 } else { EXIT_FAILURE }
    } else {
        tracing::info!(interval = ?args.interval, state = flow.state().location(), "polling");
        let runs = flow.poll(args.interval, shutdown).await;
        tracing::info!(runs, "stopped");
        0
    }
}

/// Find the template's attribute ids before anything is read: a field the template lacks, or a
/// template that does not exist, is a setting to fix (exit 2); Ironclad out of reach is exit 1.
async fn resolve_attributes(flow: &LaunchMsaWorkflows, stderr: &mut impl Write) -> Result<(), u8> {
    match flow.resolve_attributes().await {
        Ok(ids) => {
            tracing::info!(attributes = ?ids, "attribute ids resolved from the MSA template");
            Ok(())
        }
        Err(ResolveError::Ironclad(error)) if error.is_not_found() => {
            let _ = writeln!(
                stderr,
                "{PROGRAM}: IRONCLAD_MSA_TEMPLATE_ID is invalid: Ironclad has no workflow template {}: {}",
                flow.context().template_id(),
                one_line(&error.to_string())
            );
            Err(EXIT_CONFIG)
        }
        Err(error @ ResolveError::Unresolved(_)) => {
            let _ = writeln!(stderr, "{PROGRAM}: {}", one_line(&error.to_string()));
            Err(EXIT_CONFIG)
        }
        Err(error) => Err(failure(PROGRAM, &error, stderr)),
    }
}

/// One line per agreement, then a summary.
///
/// ```
/// use flows::RunReport;
/// use flows::cli::launch::print_report;
///
/// let mut out = Vec::new();
/// print_report(&RunReport::default(), &mut out);
/// assert_eq!(String::from_utf8(out).unwrap(), "0 launched, 0 found, 0 resumed, 0 failed\n");
/// ```
pub fn print_report(report: &RunReport, out: &mut impl Write) {
    for done in &report.processed {
        let how = match done.how {
            LaunchHow::Launched => "launched",
            LaunchHow::Found => "found",
            LaunchHow::Resumed => "resumed",
        };
        let _ = writeln!(
            out,
            "{how} {} for agreement {}: {} ({})",
            done.workflow_id,
            done.agreement_id,
            done.workflow_url,
            done.step.as_deref().unwrap_or("no step")
        );
    }
    for failed in &report.failed {
        let id = failed.agreement_id.map_or_else(|| "?".to_owned(), |id| id.to_string());
        let _ = writeln!(out, "failed agreement {id}: {}", failed.error);
    }
    if let Some(reason) = &report.incomplete {
        let _ = writeln!(out, "incomplete: {reason}");
    }
    if let Some(left) = &report.left_alone {
        let at =
            left.before.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let more = if left.more { " or more" } else { "" };
        let _ = writeln!(
            out,
            "first run: left {}{more} unlinked MSA agreements modified before {at} alone \
             (start with an empty state file and --since <RFC 3339> or --since all to launch them)",
            left.count
        );
    }
    let _ = writeln!(
        out,
        "{} launched, {} found, {} resumed, {} failed",
        report.launched(),
        report.processed.iter().filter(|a| a.how == LaunchHow::Found).count(),
        report.processed.iter().filter(|a| a.how == LaunchHow::Resumed).count(),
        report.failed.len()
    );
}
