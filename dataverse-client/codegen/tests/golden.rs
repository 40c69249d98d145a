//! The generated code for a hand-written document that has each case once (inheritance,
//! every column type, single and polymorphic lookups, a lookup through an abstract type,
//! read-only columns, choices with and without labels, alternate keys, a keyword as a column
//! name), compared byte for byte with the committed output in `tests/golden/`.
//!
//! After an intended change, regenerate with `UPDATE_GOLDEN=1 cargo test -p dataverse-codegen
//! --test golden` and review the diff. The committed output is also compiled and used against
//! wiremock in `tests/round_trip.rs`.

use std::path::PathBuf;

use dataverse_codegen::{Document, Error, Generator, Layout, TableExtras};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn generator_output(layout: Layout) -> dataverse_codegen::Output {
    let document = Document::from_path(dir().join("fixtures/contoso.xml")).expect("fixture");
    let extras = TableExtras::from_json(
        &std::fs::read_to_string(dir().join("fixtures/choices.json")).expect("choices"),
    )
    .expect("choices parse");
    Generator::new(&document)
        .tables(["cre6f_agreement", "contact", "account", "account"])
        .operations(["WhoAmI"])
        .extras(extras)
        .layout(layout)
        .generate()
        .expect("generate")
}

#[test]
fn output_matches_the_committed_golden_files() {
    let output = generator_output(Layout::Modules);
    let golden = dir().join("golden");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        output.write_to(&golden).expect("write golden");
    }
    let names: Vec<&str> = output.files().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        names,
        ["account.rs", "contact.rs", "cre6f_agreement.rs", "mod.rs", "types.rs", "unbound.rs"]
    );
    for file in output.files() {
        let expected = std::fs::read_to_string(golden.join(&file.path)).expect("golden file");
        assert!(
            expected == file.contents,
            "{} differs from tests/golden (UPDATE_GOLDEN=1 to accept):\n{}",
            file.path,
            first_difference(&expected, &file.contents)
        );
    }
}

fn first_difference(expected: &str, actual: &str) -> String {
    let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b);
    match line {
        Some(n) => format!(
            "line {}:\n  expected: {}\n  actual:   {}",
            n + 1,
            expected.lines().nth(n).unwrap_or_default(),
            actual.lines().nth(n).unwrap_or_default()
        ),
        None => format!("lengths {} vs {}", expected.len(), actual.len()),
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    assert_eq!(generator_output(Layout::Modules), generator_output(Layout::Modules));
}

#[test]
fn a_single_file_holds_the_same_items_as_inline_modules() {
    let single = generator_output(Layout::SingleFile);
    assert_eq!(single.files().len(), 1);
    let text = &single.files()[0].contents;
    assert_eq!(single.files()[0].path, "tables.rs");
    assert!(!text.contains("\n#!["), "no inner attribute at the top of an include!d file");
    for module in ["pub mod account {", "pub mod contact {", "pub mod cre6f_agreement {"] {
        assert!(text.contains(module), "{module}");
    }
    assert!(text.contains("pub struct AccountWrite {"));
}

#[test]
fn selection_errors() {
    let document = Document::from_path(dir().join("fixtures/contoso.xml")).expect("fixture");
    let unknown = Generator::new(&document).tables(["account", "acount"]).generate();
    assert!(matches!(unknown, Err(Error::UnknownTable(ref t)) if t == "acount"), "{unknown:?}");
    let abstract_type = Generator::new(&document).tables(["principal"]).generate();
    assert!(matches!(abstract_type, Err(Error::NoEntitySet(_))), "{abstract_type:?}");
    assert!(matches!(Generator::new(&document).generate(), Err(Error::NothingSelected)));
    let all = Generator::new(&document).all().generate().expect("all");
    let names: Vec<&str> = all.files().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        names,
        [
            "account.rs",
            "contact.rs",
            "cre6f_agreement.rs",
            "mod.rs",
            "opportunity.rs",
            "systemuser.rs",
            "team.rs",
            "types.rs",
            "unbound.rs"
        ]
    );
}

fn unbound_functions(output: &dataverse_codegen::Output) -> Vec<String> {
    let Some(file) = output.files().iter().find(|f| f.path == "unbound.rs") else {
        return Vec::new();
    };
    file.contents
        .lines()
        .filter_map(|line| line.strip_prefix("pub fn "))
        .map(|rest| rest.split('(').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn which_unbound_operations_are_generated() {
    use dataverse_codegen::UnboundOperations;
    let document = Document::from_path(dir().join("fixtures/contoso.xml")).expect("fixture");
    // With chosen tables: those taking or returning one of their rows, plus those named.
    let referenced = Generator::new(&document).tables(["account"]).generate().expect("account");
    assert_eq!(
        unbound_functions(&referenced),
        [
            "cre6f_assign_many",
            "cre6f_find_accounts",
            "cre6f_find_accounts_2",
            "cre6f_find_opportunities"
        ]
    );
    let agreement = Generator::new(&document)
        .tables(["cre6f_agreement"])
        .operations(["cre6f_Ping"])
        .generate()
        .expect("agreement");
    assert_eq!(unbound_functions(&agreement), ["cre6f_close_agreement", "cre6f_ping"]);
    // None: only those named; with none named there is no module at all.
    let none = Generator::new(&document)
        .tables(["account"])
        .unbound(UnboundOperations::None)
        .generate()
        .expect("none");
    let files: Vec<&str> = none.files().iter().map(|f| f.path.as_str()).collect();
    // The account's own operations still need the shared types.
    assert_eq!(files, ["account.rs", "mod.rs", "types.rs"]);
    let mod_rs = &none.files().iter().find(|f| f.path == "mod.rs").expect("mod").contents;
    assert!(!mod_rs.contains("pub mod unbound;"), "{mod_rs}");
    // All: every import, the default with --all.
    let all = Generator::new(&document)
        .tables(["contact"])
        .unbound(UnboundOperations::All)
        .generate()
        .expect("all");
    assert_eq!(unbound_functions(&all).len(), 7);
    assert!(unbound_functions(&all).contains(&"who_am_i".to_owned()));
    let unknown =
        Generator::new(&document).tables(["account"]).operations(["WhoAmI", "WhoIsIt"]).generate();
    assert!(
        matches!(unknown, Err(Error::UnknownOperation(ref name)) if name == "WhoIsIt"),
        "{unknown:?}"
    );
    // A bound operation is not an unbound one.
    let bound =
        Generator::new(&document).tables(["account"]).operations(["cre6f_ScoreAccount"]).generate();
    assert!(matches!(bound, Err(Error::UnknownOperation(_))), "{bound:?}");
}
