//! `ironclad-webhooks` (flows 2–4).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use super::{config_error, failure};
use crate::config::{
    DataverseArgs, DataverseSettings, FlowsConfig, IroncladArgs, IroncladSettings, TemplateArgs,
    parse_interval,
};
use crate::state::EventQueue;
use crate::webhooks::{EVENTS, Registration, register_subscription};
use crate::{FlowContext, WebhookFlows, WorkerOptions};

const PROGRAM: &str = "ironclad-webhooks";
/// Where the receiver listens unless told otherwise.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 8080));

/// The OAuth scopes flows 2–4 need (and `--register-url`).
pub const SCOPES: [&str; 6] = [
    "public.workflows.readWorkflows",
    "public.records.readRecords",
    "public.records.readAttachments",
    "public.webhooks.readWebhooks",
    "public.webhooks.createWebhooks",
    "public.webhooks.updateWebhooks",
];

/// Receive Ironclad webhook deliveries and apply them to Dynamics (spec 004):
///   workflow_attribute_updated                     -> the Agreement Value (totalContractValue)
///   workflow_approval_status_changed               -> a note on the Agreement
///   workflow_completed                             -> the signed PDF as a note, and the status
/// Only workflows of the MSA template are acted on.
///
/// Endpoints: POST on any path takes a delivery: verified with Ironclad's key (401 with the
/// reason when it fails, nothing stored), stored in the state file by event id (a redelivery is
/// answered 200 and not stored again), answered 200 at once, and processed by a background
/// worker that retries with backoff and resumes after a restart. GET /healthz.
///
/// With --database-url the queue is in PostgreSQL: any number of replicas accept deliveries
/// into it and their workers share it, each event processed once; the event of a replica
/// that dies is taken by another when its --lease runs out.
///
/// --register-url URL creates the subscription of URL to the three events, or reuses (and if
/// needed updates and re-enables) the one URL has; then the program exits unless --listen is
/// also given. Ironclad delivers to HTTPS URLs only: put the receiver behind a TLS proxy.
///
/// Every setting below can be a flag or its environment variable: DATAVERSE_URL with
/// DATAVERSE_TOKEN or AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET (and
/// AZURE_AUTHORITY_HOST), IRONCLAD_BASE_URL with IRONCLAD_TOKEN or
/// IRONCLAD_CLIENT_ID/IRONCLAD_CLIENT_SECRET and IRONCLAD_AS_USER_EMAIL (or
/// IRONCLAD_AS_USER_ID), IRONCLAD_MSA_TEMPLATE_ID (IRONCLAD_CREATOR_EMAIL is not used here).
/// Logs go to stderr (RUST_LOG, default info). SIGINT/SIGTERM stop accepting, finish requests
/// in flight and the event in progress.
///
/// Exit codes: 0 after a clean shutdown (or after registering), 1 the state file, the database
/// or the address cannot be opened or the registration failed, 2 a missing or malformed
/// setting.
#[derive(Debug, Clone, Parser)]
#[command(name = "ironclad-webhooks", version, verbatim_doc_comment)]
pub struct WebhooksArgs {
    /// Where to listen [default: 127.0.0.1:8080]
    #[arg(long, env = "IRONCLAD_WEBHOOKS_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// The state file (redb): the queue of deliveries, created if missing
    #[arg(
        long,
        env = "IRONCLAD_WEBHOOKS_STATE",
        value_name = "PATH",
        default_value = "ironclad-webhooks.redb"
    )]
    pub state: PathBuf,

    /// Keep the queue in PostgreSQL instead of the state file (postgres://user:password@host:port/dbname): any number of replicas may share one database, their workers share the queue
    #[arg(
        long,
        env = "IRONCLAD_WEBHOOKS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true,
        conflicts_with = "state",
        value_parser = crate::config::secret
    )]
    pub database_url: Option<secrecy::SecretString>,

    /// How long a worker holds the event it processes: if its replica dies, another takes the event after this (30s, 5m)
    #[arg(long, env = "IRONCLAD_WEBHOOKS_LEASE", value_name = "DURATION", default_value = "5m", value_parser = parse_interval)]
    pub lease: Duration,

    /// Subscribe this public URL of the receiver to the three events, then exit (unless --listen is given)
    #[arg(long, env = "IRONCLAD_WEBHOOKS_REGISTER_URL", value_name = "URL")]
    pub register_url: Option<String>,

    /// The config file (TOML): the Agreement table's names, and Ironclad attribute ids [default: spec 004's names and ids]
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

/// Run the program. Prints `ironclad-webhooks listening on http://ADDR` to `stdout` once it
/// accepts deliveries, and the registration (with `--register-url`). Returns the exit code.
///
/// ```no_run
/// use flows::cli::webhooks::{WebhooksArgs, run};
///
/// # async fn main_() {
/// let args: WebhooksArgs = clap::Parser::parse();
/// let code = run(args, &mut std::io::stdout(), &mut std::io::stderr()).await;
/// std::process::exit(i32::from(code));
/// # }
/// ```
pub async fn run(args: WebhooksArgs, stdout: &mut impl Write, stderr: &mut impl Write) -> u8 {
    let settings = (|| {
        let config = FlowsConfig::load(args.config.as_deref())?;
        let dataverse = DataverseSettings::from_args(&args.dataverse)?;
        let ironclad = IroncladSettings::from_args(&args.ironclad)?;
        let template = args.template.template_id()?;
        let dataverse_client = dataverse.client()?;
        let ironclad_client = ironclad.client(&SCOPES)?;
        Ok::<_, crate::config::ConfigError>((config, dataverse_client, ironclad_client, template))
    })();
    let (config, dataverse, ironclad, template) = match settings {
        Ok(settings) => settings,
        Err(error) => return config_error(PROGRAM, &error, stderr),
    };

    if let Some(url) = &args.register_url {
        match register_subscription(&ironclad, url).await {
            Ok(registration) => {
                let (verb, webhook) = match &registration {
                    Registration::Created(w) => ("created", w),
                    Registration::Reused(w) => ("reused", w),
                    Registration::Updated(w) => ("updated", w),
                };
                let events: Vec<&str> = EVENTS.iter().map(|e| e.as_str()).collect();
                let _ = writeln!(
                    stdout,
                    "subscription {} {verb} for {url} ({})",
                    webhook.id,
                    events.join(", ")
                );
            }
            Err(error) => {
                return failure(PROGRAM, &format!("cannot register {url}: {error}"), stderr);
            }
        }
        if args.listen.is_none() {
            return 0;
        }
    }

    let opened = match &args.database_url {
        Some(url) => EventQueue::connect(url).await,
        None => EventQueue::open(&args.state),
    };
    let queue = match opened {
        Ok(queue) => queue,
        Err(error) => return failure(PROGRAM, &error, stderr),
    };
    let listen = args.listen.unwrap_or(DEFAULT_LISTEN);
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(error) => {
            return failure(PROGRAM, &format!("cannot listen on {listen}: {error}"), stderr);
        }
    };
    let address = listener.local_addr().map_or_else(|_| listen.to_string(), |a| a.to_string());
    let context = FlowContext::new(dataverse, ironclad, config.agreement, template)
        .with_attribute_overrides(config.attributes);
    let options = WorkerOptions { lease: args.lease, ..WorkerOptions::default() };
    let flows = WebhookFlows::new(context, queue).options(options);
    if let Err(error) = flows.verifier().prefetch_key().await {
        // Not fatal: deliveries are answered 503 (and retried by Ironclad) until it is fetched.
        tracing::warn!(%error, "cannot fetch the webhook verification key yet");
    }
    match flows.queue().counts().await {
        Ok(counts) if counts.pending > 0 => {
            tracing::info!(pending = counts.pending, "resuming queued events")
        }
        _ => {}
    }
    let state = flows.queue().location().to_owned();
    tracing::info!(%address, state, "ironclad-webhooks started");
    let _ = writeln!(stdout, "ironclad-webhooks listening on http://{address}");
    let _ = stdout.flush();
    match flows.serve(listener, program_support::shutdown::on_signals()).await {
        Ok(()) => {
            tracing::info!("ironclad-webhooks stopped");
            0
        }
        Err(error) => failure(PROGRAM, &error, stderr),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn help_lists_every_variable() {
        let help = WebhooksArgs::command().render_long_help().to_string();
        for variable in [
            "DATAVERSE_URL",
            "DATAVERSE_TOKEN",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_AUTHORITY_HOST",
            "IRONCLAD_BASE_URL",
            "IRONCLAD_TOKEN",
            "IRONCLAD_CLIENT_ID",
            "IRONCLAD_CLIENT_SECRET",
            "IRONCLAD_AS_USER_EMAIL",
            "IRONCLAD_AS_USER_ID",
            "IRONCLAD_MSA_TEMPLATE_ID",
            "IRONCLAD_CREATOR_EMAIL",
            "IRONCLAD_WEBHOOKS_DATABASE_URL",
            "IRONCLAD_WEBHOOKS_LEASE",
        ] {
            assert!(help.contains(&format!("[env: {variable}")), "{variable} missing from --help");
        }
    }
}
