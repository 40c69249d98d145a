//! Generated types round-tripped through the sandbox (dataverse-ironclad-sandbox), which serves
//! its built-in tables from a `$metadata` document plus two custom APIs declared as an
//! environment's document declares them.
//!
//! The generated code is committed in `tests/sandbox_generated/` (so this file compiles against
//! it). The first test proves it is what generation gives from the live sandbox: `$metadata`
//! streamed through dataverse-client and choice labels read through its table definitions
//! (regenerate with `UPDATE_GOLDEN=1`); the CLI does the same with `--url --live-choices`. The
//! other tests then create, read, query and call operations with the generated types.

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "sandbox_generated/mod.rs"]
mod generated;

use std::path::PathBuf;
use std::process::Command;
use std::str::FromStr;

use dataverse_client::query::Filter;
use dataverse_client::{Client, auth::StaticToken, config::RetryPolicy};
use dataverse_codegen::{Document, Generator, Output, TableExtras};
use dataverse_ironclad_sandbox::dataverse::{CustomApi, DataverseSchema, ParameterType};
use dataverse_ironclad_sandbox::{Json, JsonObject, Sandbox, SandboxConfig, SeedData};
use futures_util::TryStreamExt;
use generated::{account, contact, cre6f_agreement, opportunity, types, unbound};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;

const TABLES: [&str; 5] = ["account", "contact", "opportunity", "annotation", "cre6f_agreement"];
/// Unbound operations that take no row of these tables, so are named to be generated.
const OPERATIONS: [&str; 3] = ["WhoAmI", "cre6f_SummarizeAgreements", "sample_Greet"];

/// The declarations a custom API adds to `$metadata`: the sandbox's own
/// `cre6f_SummarizeAgreements` and two registered by the test, one bound to accounts.
const CUSTOM_APIS: &str = r#"      <ComplexType Name="cre6f_SummarizeAgreementsResponse">
        <Property Name="Count" Type="Edm.Int32" Nullable="false"/>
        <Property Name="TotalValue" Type="Edm.Decimal" Scale="Variable" Nullable="false"/>
      </ComplexType>
      <Action Name="cre6f_SummarizeAgreements">
        <Parameter Name="AgreementType" Type="Edm.Int32" Nullable="false"/>
        <Parameter Name="MinimumValue" Type="Edm.Decimal" Scale="Variable">
          <Annotation Term="Org.OData.Core.V1.OptionalParameter"/>
        </Parameter>
        <ReturnType Type="mscrm.cre6f_SummarizeAgreementsResponse" Nullable="false"/>
      </Action>
      <ComplexType Name="sample_ScoreAccountResponse">
        <Property Name="AccountId" Type="Edm.Guid" Nullable="false"/>
        <Property Name="Score" Type="Edm.Int32" Nullable="false"/>
      </ComplexType>
      <Action Name="sample_ScoreAccount" IsBound="true">
        <Parameter Name="entity" Type="mscrm.account" Nullable="false"/>
        <Parameter Name="Weight" Type="Edm.Int32" Nullable="false"/>
        <ReturnType Type="mscrm.sample_ScoreAccountResponse" Nullable="false"/>
      </Action>
      <ComplexType Name="sample_GreetResponse">
        <Property Name="Message" Type="Edm.String" Nullable="false" Unicode="false"/>
      </ComplexType>
      <Function Name="sample_Greet">
        <Parameter Name="Name" Type="Edm.String" Nullable="false" Unicode="false"/>
        <ReturnType Type="mscrm.sample_GreetResponse" Nullable="false"/>
      </Function>
"#;

const CUSTOM_API_IMPORTS: &str = r#"        <ActionImport Name="cre6f_SummarizeAgreements" Action="Microsoft.Dynamics.CRM.cre6f_SummarizeAgreements"/>
        <FunctionImport Name="sample_Greet" Function="Microsoft.Dynamics.CRM.sample_Greet"/>
"#;

/// The built-in tables (with their choice options), served from a document that also
/// declares the custom APIs.
fn schema() -> DataverseSchema {
    let mut schema = DataverseSchema::default();
    let csdl = schema.to_csdl();
    let with_apis = csdl
        .replacen("      <EntityContainer", &format!("{CUSTOM_APIS}      <EntityContainer"), 1)
        .replacen(
            "      </EntityContainer>",
            &format!("{CUSTOM_API_IMPORTS}      </EntityContainer>"),
            1,
        );
    assert_ne!(with_apis, csdl, "the built-in document has an entity container");
    schema.csdl = Some(with_apis.into());
    schema
}

async fn start() -> Sandbox {
    let config =
        SandboxConfig { schema: schema(), seed: SeedData::ReferenceOnly, ..Default::default() };
    let sandbox = Sandbox::start(config).await.expect("sandbox");
    let control = sandbox.dataverse();
    control.register_custom_api(
        CustomApi::action("sample_ScoreAccount", |call| {
            let weight =
                call.parameters.get("Weight").and_then(Json::as_number_text).unwrap_or("0");
            let weight: i64 = weight.parse().unwrap_or_default();
            let account = call.bound_row.map(|id| id.to_string()).unwrap_or_default();
            Ok(Json::Object(
                JsonObject::new().with("AccountId", account).with("Score", weight * 10),
            ))
        })
        .bound_to_row("accounts")
        .parameter("Weight", ParameterType::Integer, false),
    );
    control.register_custom_api(
        CustomApi::function("sample_Greet", |call| {
            let name = call.parameters.get("Name").and_then(Json::as_str).unwrap_or_default();
            Ok(Json::Object(JsonObject::new().with("Message", format!("Hello, {name}!"))))
        })
        .parameter("Name", ParameterType::String, false),
    );
    sandbox
}

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(sandbox.dataverse_url().as_str())
        .credential(StaticToken::new(sandbox.dataverse_token().expose_secret()))
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("client")
}

fn committed() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sandbox_generated")
}

/// `output` is the committed code (or becomes it with `UPDATE_GOLDEN=1`).
fn assert_committed(output: &Output) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        output.write_to(committed()).expect("write");
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(committed())
        .expect("committed folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let generated: Vec<&str> = output.files().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(on_disk, generated);
    for file in output.files() {
        let expected = std::fs::read_to_string(committed().join(&file.path)).expect("committed");
        assert!(
            expected == file.contents,
            "tests/sandbox_generated/{} differs from a generation from the sandbox (UPDATE_GOLDEN=1 to accept)",
            file.path
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_committed_code_is_what_the_live_sandbox_generates() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let bytes: Vec<u8> = client
        .metadata_document(false)
        .await
        .expect("$metadata")
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .expect("download");
    let document = Document::from_reader(&bytes[..]).expect("parse");
    let extras = TableExtras::fetch(&client, TABLES).await.expect("table definitions");
    assert_eq!(extras.primary_name("contact"), Some("fullname"));
    let labels = extras.choice("account", "accountcategorycode").expect("choice");
    assert_eq!(
        labels.options,
        [(1, Some("Preferred Customer".into())), (2, Some("Standard".into()))]
    );
    let output = Generator::new(&document)
        .tables(TABLES)
        .operations(OPERATIONS)
        .extras(extras)
        .generate()
        .expect("generate");
    assert_committed(&output);

    // The binary does the same from the command line.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let url = sandbox.dataverse_url().to_string();
    let token = sandbox.dataverse_token().expose_secret().to_owned();
    let metadata = dir.path().join("metadata.xml");
    let args = vec![
        "--url".to_owned(),
        url,
        "--metadata".to_owned(),
        metadata.to_string_lossy().into_owned(),
        "--live-choices".to_owned(),
        "--out".to_owned(),
        out.to_string_lossy().into_owned(),
        "--tables".to_owned(),
        TABLES.join(","),
        "--operations".to_owned(),
        OPERATIONS.join(","),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_dataverse-codegen"))
            .args(&args)
            .env("DATAVERSE_TOKEN", token)
            .output()
            .expect("run")
    })
    .await
    .expect("join");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    for file in std::fs::read_dir(committed()).expect("committed") {
        let name = file.expect("entry").file_name();
        let written = std::fs::read_to_string(out.join(&name)).expect("written by the CLI");
        let expected = std::fs::read_to_string(committed().join(&name)).expect("committed");
        assert!(written == expected, "{name:?} from the CLI differs");
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_round_trip_with_lookups_exact_money_and_choice_labels() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let revenue = Decimal::from_str("1234567.8912").expect("decimal");

    // Create an account (money, a choice) and a contact under it, the lookup bound through
    // its navigation property; no entity-set string anywhere.
    let accounts = client.table::<account::Account>();
    let account_id = accounts
        .create(
            &account::AccountWrite::new()
                .name("Contoso")
                .revenue(revenue)
                .accountcategorycode(account::Accountcategorycode::PreferredCustomer),
        )
        .await
        .expect("create account");
    let contacts = client.table::<contact::Contact>();
    let contact_id = contacts
        .create(
            &contact::ContactWrite::new()
                .firstname("Ada")
                .lastname("Lovelace")
                .parentcustomerid_account(account::by_id(account_id)),
        )
        .await
        .expect("create contact");

    // Read back: the lookup as `_parentcustomerid_value` with its name and table.
    let contact = contacts
        .retrieve(contact_id)
        .select([contact::Column::Fullname, contact::Column::Parentcustomerid])
        .include_annotations("*")
        .await
        .expect("retrieve contact");
    use dataverse_client::typed::Table as _;
    assert_eq!(contact.id(), Some(contact_id));
    assert_eq!(contact.parentcustomerid, Some(account_id));
    assert_eq!(contact.parentcustomerid_name.as_deref(), Some("Contoso"));
    assert_eq!(contact.parentcustomerid_table.as_deref(), Some("account"));

    // Money exact and the choice with its label, both from the enum and from the service.
    let rows = accounts
        .query(|q| {
            q.select([
                account::Column::Name,
                account::Column::Revenue,
                account::Column::Accountcategorycode,
            ])
            .filter(Filter::eq(account::Column::Name, "Contoso"))
            .formatted_values()
        })
        .collect_all()
        .await
        .expect("query accounts");
    assert_eq!(rows.len(), 1);
    let account = &rows[0];
    assert_eq!(account.revenue, Some(revenue));
    assert_eq!(account.accountcategorycode, Some(account::Accountcategorycode::PreferredCustomer));
    assert_eq!(
        account.accountcategorycode.and_then(account::Accountcategorycode::label),
        Some("Preferred Customer")
    );
    assert_eq!(account.accountcategorycode_label.as_deref(), Some("Preferred Customer"));
    assert!(account.etag.is_some());

    // The contacts of the account, by the lookup column.
    let under: Vec<contact::Contact> = contacts
        .query(|q| q.filter(Filter::eq(contact::Column::Parentcustomerid, account_id)))
        .collect_all()
        .await
        .expect("query contacts");
    assert_eq!(under.iter().map(|c| c.contactid).collect::<Vec<_>>(), [Some(contact_id)]);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_custom_apis_and_bound_actions_run_in_the_sandbox() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let opportunity_id = client
        .table::<opportunity::Opportunity>()
        .create(&opportunity::OpportunityWrite::new().name("Big deal"))
        .await
        .expect("create opportunity");
    let agreements = client.table::<cre6f_agreement::Cre6fAgreement>();
    let msa = cre6f_agreement::Cre6fAgreementtype::Msa;
    for value in ["1234567.8912", "0.0088"] {
        agreements
            .create(
                &cre6f_agreement::Cre6fAgreementWrite::new()
                    .cre6f_name("MSA")
                    .cre6f_agreementtype(msa)
                    .cre6f_agreementvalue(Decimal::from_str(value).expect("decimal"))
                    // The navigation property's schema-name case: `cre6f_Opportunity`.
                    .cre6f_opportunity(opportunity_id),
            )
            .await
            .expect("create agreement");
    }

    // The sandbox's own custom API, called through the generated action.
    let summary: types::Cre6fSummarizeAgreementsResponse = client
        .action(unbound::cre6f_summarize_agreements(&unbound::Cre6fSummarizeAgreementsParameters {
            agreement_type: msa.value(),
            minimum_value: None,
        }))
        .returning()
        .await
        .expect("summarize");
    assert_eq!(summary.count, 2);
    assert_eq!(summary.total_value, Decimal::from_str("1234567.9000").expect("decimal"));

    // A custom API bound to a row of accounts.
    let account_id = client
        .table::<account::Account>()
        .create(&account::AccountWrite::new().name("Fabrikam"))
        .await
        .expect("create account");
    let score: types::SampleScoreAccountResponse = client
        .action(account::sample_score_account(
            account_id,
            &account::SampleScoreAccountParameters { weight: 4 },
        ))
        .returning()
        .await
        .expect("score");
    assert_eq!((score.account_id, score.score), (account_id, 40));

    // A function, with its text parameter as an alias.
    let greeting: types::SampleGreetResponse = client
        .function(unbound::sample_greet(&unbound::SampleGreetParameters {
            name: "O'Hare & co".into(),
        }))
        .await
        .expect("greet");
    assert_eq!(greeting.message, "Hello, O'Hare & co!");
    let me: types::WhoAmIResponse = client.function(unbound::who_am_i()).await.expect("whoami");
    assert_eq!(me.user_id, Some(sandbox.seeded().system_user));

    // The sandbox checks parameters as the service does: a missing one is refused.
    let refused = client
        .action(dataverse_client::operations::Action::bound(
            account::ENTITY_SET,
            account_id,
            "sample_ScoreAccount",
        ))
        .await
        .expect_err("missing Weight");
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));
    sandbox.shutdown().await;
}
