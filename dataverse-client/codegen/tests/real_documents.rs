//! The two real `$metadata` downloads from the workspace's shared captures, read at run time
//! when present (they are not part of this repository; the test says so and passes when they
//! are absent). The output for them is committed in `compile-check/` (a workspace member, so CI
//! compiles it); this test fails if a fresh generation differs from it.

use std::path::PathBuf;

use dataverse_codegen::{Document, Generator, Output, UnboundOperations};

#[path = "support/captures.rs"]
mod captures;

use captures::capture;

fn committed(folder: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compile-check/src").join(folder)
}

/// Compare with the committed files (or rewrite them with `UPDATE_GOLDEN=1`).
fn check(output: &Output, folder: &str) {
    let dir = committed(folder);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        output.write_to(&dir).expect("write");
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("committed folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let generated: Vec<&str> = output.files().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(on_disk, generated, "files in compile-check/src/{folder}");
    for file in output.files() {
        let expected = std::fs::read_to_string(dir.join(&file.path)).expect("committed file");
        assert!(
            expected == file.contents,
            "compile-check/src/{folder}/{} is stale: regenerate with UPDATE_GOLDEN=1 cargo test -p dataverse-codegen --test real_documents",
            file.path
        );
    }
}

fn file<'o>(output: &'o Output, name: &str) -> &'o str {
    &output.files().iter().find(|f| f.path == name).expect("generated").contents
}

/// Without whitespace, to look for code regardless of line breaks.
fn squash(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn v9_1_download() {
    let Some(path) = capture("dynamics-v9.1-crm4-2020.metadata.xml") else { return };
    let document = Document::from_path(path).expect("parse");
    // This environment has no `opportunity` table.
    let missing = Generator::new(&document).tables(["opportunity"]).generate();
    assert!(matches!(missing, Err(dataverse_codegen::Error::UnknownTable(_))));
    // Every unbound action and function of the service, to compile the generator's output for
    // all their parameter and response shapes.
    let output = Generator::new(&document)
        .tables(["account", "contact", "annotation"])
        .unbound(UnboundOperations::All)
        .generate()
        .expect("generate");
    check(&output, "v9_1");
    let contact = squash(file(&output, "contact.rs"));
    assert!(contact.contains(&squash(
        r#"self.values.bind_one_of(Self::PARENTCUSTOMERID_NAVIGATION, "parentcustomerid_account", "accounts", key,);"#
    )));
    let account = file(&output, "account.rs");
    assert!(account.contains("pub revenue: Option<::rust_decimal::Decimal>,"));
    assert!(account.contains(r#"self.values.bind("parentaccountid", "accounts", key);"#));
    assert!(account.contains("pub fn ownerid_systemuser("));
}

#[test]
fn crm8_annotated_download() {
    let Some(path) = capture("dynamics-crm8-2016-annotated.metadata.xml") else { return };
    let document = Document::from_path(path).expect("parse");
    let output = Generator::new(&document)
        .tables(["account", "contact", "opportunity", "annotation", "campaign", "list"])
        .generate()
        .expect("generate");
    check(&output, "crm8");
    // `AddItemCampaign` is declared four times, bound to four tables: each table's module has
    // its own, posting to its own entity set.
    for (module, set) in [("campaign.rs", "campaigns"), ("list.rs", "lists")] {
        let code = squash(file(&output, module));
        assert!(
            code.contains(&squash(r#"Action::bound(ENTITY_SET, key, "AddItemCampaign")"#)),
            "{module}"
        );
        assert!(
            file(&output, module)
                .contains(&format!("`POST {set}(<key>)/Microsoft.Dynamics.CRM.AddItemCampaign`"))
        );
    }
    // Overloads of a function bound to one table's collection and other tables' are apart.
    assert!(file(&output, "opportunity.rs").contains("pub fn get_quantity_decimal("));
    let account = file(&output, "account.rs");
    // Read-only columns (annotated as computed) get no setter; descriptions become docs.
    assert!(account.contains("pub openrevenue: Option<::rust_decimal::Decimal>,"));
    assert!(!account.contains("pub fn openrevenue("));
    assert!(account.contains("pub fn creditlimit(mut self, value: ::rust_decimal::Decimal)"));
    assert!(account.contains("Type the credit limit of the account."));
}
