//! `dataverse-codegen`: typed Rust for Dataverse tables from a `$metadata` document.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use dataverse_codegen::{Document, Generator, Layout, TableExtras, UnboundOperations};

/// Generate typed Rust for Dataverse tables from a CSDL `$metadata` document.
///
/// Example: dataverse-codegen --metadata metadata.xml --out src/dataverse --tables account,contact
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The `$metadata` document (CSDL XML). With --url, where to save the download.
    #[arg(long, value_name = "PATH")]
    metadata: PathBuf,
    /// Download the document first from this environment (`https://contoso.crm.dynamics.com`),
    /// with the token in DATAVERSE_TOKEN, or the app registration in DATAVERSE_TENANT_ID,
    /// DATAVERSE_CLIENT_ID and DATAVERSE_CLIENT_SECRET.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The folder to write `mod.rs` and one `<table>.rs` per table into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Tables to generate, by logical name, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "TABLES", conflicts_with = "all")]
    tables: Vec<String>,
    /// Generate every table that has an entity set.
    #[arg(long)]
    all: bool,
    /// Choice labels (and primary names): JSON saved from the Web API's
    /// `EntityDefinitions(LogicalName='<table>')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`
    /// responses, keyed by table. Repeat for several files.
    #[arg(long, value_name = "PATH")]
    choices: Vec<PathBuf>,
    /// With --url: read the choice labels and primary names of the generated tables from the
    /// environment's table definitions (a few requests per table).
    #[arg(long, requires = "url")]
    live_choices: bool,
    /// Which unbound actions and functions to generate (module `unbound`): those taking or
    /// returning a row of a generated table (`referenced`, the default with --tables), `all`
    /// (the default with --all) or `none`. Bound ones are generated with their table.
    #[arg(long, value_enum, value_name = "WHICH")]
    unbound: Option<Unbound>,
    /// More unbound actions and functions (custom APIs) to generate, by name, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    operations: Vec<String>,
    /// Write one `tables.rs` with inline modules instead of a module folder.
    #[arg(long)]
    single_file: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Unbound {
    Referenced,
    All,
    None,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("dataverse-codegen: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<String, String> {
    let connection = args.url.as_deref().map(Connection::open).transpose()?;
    if let Some(connection) = &connection {
        connection.download(&args.metadata)?;
    }
    let document = Document::from_path(&args.metadata)
        .map_err(|e| format!("{}: {e}", args.metadata.display()))?;
    let mut extras = TableExtras::new();
    if let (Some(connection), true) = (&connection, args.live_choices) {
        // Only tables the document has: a misspelt name is then the generator's "no table"
        // error, not a 404 from the environment.
        let tables = if args.all {
            every_table(&document)
        } else {
            args.tables
                .iter()
                .map(|t| t.trim())
                .filter(|t| document.entity_type(t).is_some())
                .map(str::to_owned)
                .collect()
        };
        extras.merge(connection.choices(&tables)?);
    }
    for path in &args.choices {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        extras
            .merge(TableExtras::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let generator = Generator::new(&document).extras(extras).layout(if args.single_file {
        Layout::SingleFile
    } else {
        Layout::Modules
    });
    let generator = if args.all { generator.all() } else { generator.tables(args.tables.clone()) };
    let generator = match args.unbound {
        Some(Unbound::Referenced) => generator.unbound(UnboundOperations::Referenced),
        Some(Unbound::All) => generator.unbound(UnboundOperations::All),
        Some(Unbound::None) => generator.unbound(UnboundOperations::None),
        None => generator,
    };
    let generator = generator.operations(args.operations.iter().map(|o| o.trim().to_owned()));
    let output = generator.generate().map_err(|e| e.to_string())?;
    output.write_to(&args.out).map_err(|e| e.to_string())?;
    Ok(format!(
        "wrote {} files ({} bytes) to {}",
        output.files().len(),
        output.total_bytes(),
        args.out.display()
    ))
}

/// The logical name of every entity type with an entity set (what `--all` generates).
fn every_table(document: &Document) -> Vec<String> {
    let sets = document.entity_container().map(|c| c.entity_sets.as_slice()).unwrap_or_default();
    let mut tables: Vec<String> = sets
        .iter()
        .filter_map(|set| document.entity_type(&set.entity_type).map(|t| t.name.clone()))
        .collect();
    tables.sort();
    tables.dedup();
    tables
}

/// A client for `--url` and the runtime its requests run on.
struct Connection {
    client: dataverse_client::Client,
    runtime: tokio::runtime::Runtime,
}

impl Connection {
    fn open(url: &str) -> Result<Self, String> {
        use dataverse_client::{
            Client,
            auth::{ClientSecretCredential, StaticToken},
        };

        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let builder = Client::builder(url);
        let builder = match (
            var("DATAVERSE_TOKEN"),
            var("DATAVERSE_TENANT_ID"),
            var("DATAVERSE_CLIENT_ID"),
            var("DATAVERSE_CLIENT_SECRET"),
        ) {
            (Some(token), ..) => builder.credential(StaticToken::new(token)),
            (None, Some(tenant), Some(client), Some(secret)) => {
                builder.credential(ClientSecretCredential::new(tenant, client, secret))
            }
            _ => {
                return Err("--url needs DATAVERSE_TOKEN, or DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID and DATAVERSE_CLIENT_SECRET".to_owned());
            }
        };
        let client = builder.build().map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Connection { client, runtime })
    }

    /// Stream the `$metadata` document to `path`.
    fn download(&self, path: &std::path::Path) -> Result<(), String> {
        use futures_util::TryStreamExt;
        use tokio::io::AsyncWriteExt;

        self.runtime.block_on(async {
            let mut document =
                self.client.metadata_document(false).await.map_err(|e| e.to_string())?;
            let mut file = tokio::fs::File::create(path)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?;
            while let Some(chunk) = document.try_next().await.map_err(|e| e.to_string())? {
                file.write_all(&chunk).await.map_err(|e| format!("{}: {e}", path.display()))?;
            }
            file.flush().await.map_err(|e| format!("{}: {e}", path.display()))
        })
    }

    /// The choice labels and primary names of `tables`, from their table definitions.
    fn choices(&self, tables: &[String]) -> Result<TableExtras, String> {
        self.runtime
            .block_on(TableExtras::fetch(&self.client, tables))
            .map_err(|e| format!("reading table definitions: {e}"))
    }
}
