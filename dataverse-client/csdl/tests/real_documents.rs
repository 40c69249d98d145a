//! The two real `$metadata` downloads described in the workspace's shared captures, read at run
//! time when present (they are not part of this repository). Counts are those of the files.

use std::path::PathBuf;

use dataverse_csdl::{Annotated, Document, EdmType, OperationKind};

/// The capture named `name`: under `$REAL_CAPTURES_DIR`, or in `shared/real-captures/E-csdl`
/// beside the checkout (or beside its parent, for a git worktree).
fn capture(name: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = std::env::var_os("REAL_CAPTURES_DIR")
        .map(|dir| PathBuf::from(dir).join("E-csdl"))
        .into_iter()
        .chain([
            root.join("../shared/real-captures/E-csdl"),
            root.join("../../shared/real-captures/E-csdl"),
        ]);
    let found = candidates.map(|dir| dir.join(name)).find(|path| path.exists());
    if found.is_none() {
        println!(
            "skipped: {name} is absent (the shared real captures are not beside this checkout)"
        );
    }
    found
}

struct Counts {
    entity_types: usize,
    abstract_types: usize,
    entity_sets: usize,
    actions: usize,
    functions: usize,
    enum_types: usize,
    complex_types: usize,
    action_imports: usize,
    function_imports: usize,
    navigation_properties: usize,
    referential_constraints: usize,
    bindings: usize,
    properties: usize,
    keys: usize,
}

fn counts(document: &Document) -> Counts {
    let schema = &document.schemas[0];
    let container = document.entity_container().expect("container");
    let types = || document.entity_types();
    let complex_properties: usize = schema.complex_types.iter().map(|c| c.properties.len()).sum();
    Counts {
        entity_types: types().count(),
        abstract_types: types().filter(|t| t.is_abstract).count(),
        entity_sets: container.entity_sets.len(),
        actions: document.operations().filter(|o| o.kind == OperationKind::Action).count(),
        functions: document.operations().filter(|o| o.kind == OperationKind::Function).count(),
        enum_types: schema.enum_types.len(),
        complex_types: schema.complex_types.len(),
        action_imports: container.action_imports.len(),
        function_imports: container.function_imports.len(),
        navigation_properties: types().map(|t| t.navigation_properties.len()).sum::<usize>()
            + schema.complex_types.iter().map(|c| c.navigation_properties.len()).sum::<usize>(),
        referential_constraints: types()
            .flat_map(|t| &t.navigation_properties)
            .map(|n| n.referential_constraints.len())
            .sum(),
        bindings: container.entity_sets.iter().map(|s| s.navigation_property_bindings.len()).sum(),
        properties: types().map(|t| t.properties.len()).sum::<usize>() + complex_properties,
        keys: types().filter(|t| !t.key.is_empty()).count(),
    }
}

#[test]
fn reads_the_v9_1_download() {
    let Some(path) = capture("dynamics-v9.1-crm4-2020.metadata.xml") else { return };
    let document = Document::from_path(path).expect("parse");
    let c = counts(&document);
    assert_eq!(c.entity_types, 300);
    assert_eq!(c.abstract_types, 6);
    assert_eq!(c.entity_sets, 269);
    assert_eq!(c.actions, 184);
    assert_eq!(c.functions, 198);
    assert_eq!(c.enum_types, 51);
    assert_eq!(c.complex_types, 349);
    assert_eq!(c.action_imports, 132);
    assert_eq!(c.function_imports, 70);
    assert_eq!(c.navigation_properties, 4936);
    assert_eq!(c.referential_constraints, 2171);
    assert_eq!(c.bindings, 4817);
    assert_eq!(c.properties, 8321);
    assert_eq!(c.keys, 267);
    assert_eq!(document.schemas[0].alias.as_deref(), Some("mscrm"));

    let account = document.entity_type("account").expect("account");
    assert_eq!(account.properties.len(), 145);
    assert_eq!(account.navigation_properties.len(), 51);
    assert_eq!(document.entity_set_of(account).expect("set").name, "accounts");
    let revenue = account.property("revenue").expect("revenue");
    assert_eq!(revenue.type_ref.primitive(), Some(EdmType::Decimal));
    assert_eq!(revenue.facets.scale, Some(dataverse_csdl::Scale::Variable));

    let contact = document.entity_type("contact").expect("contact");
    let customer = document
        .lookups(contact)
        .into_iter()
        .find(|l| l.column == "parentcustomerid")
        .expect("parentcustomerid");
    let targets: Vec<&str> =
        customer.navigation_properties.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(targets, ["parentcustomerid_account", "parentcustomerid_contact"]);

    // 49 alternate-key annotations, some with several keys.
    let with_keys = document.entity_types().filter(|t| !t.alternate_keys().is_empty()).count();
    assert_eq!(with_keys, 49);

    let principal = document.entity_type("principal").expect("principal");
    assert!(principal.is_abstract);
    let derived: Vec<&str> =
        document.derived_types(principal).iter().map(|t| t.name.as_str()).collect();
    assert!(derived.contains(&"systemuser") && derived.contains(&"team"), "{derived:?}");

    let who_am_i = document.operations().find(|o| o.name == "WhoAmI").expect("WhoAmI");
    assert_eq!(who_am_i.kind, OperationKind::Function);
    assert!(!who_am_i.is_bound);
    assert_eq!(
        who_am_i.return_type.as_ref().expect("returns").type_ref.name,
        "mscrm.WhoAmIResponse"
    );
    assert!(document.imported_operations().iter().any(|o| o.name == "WhoAmI"));
    let access = document.enum_type("AccessRights").expect("AccessRights");
    assert!(access.is_flags);
}

#[test]
fn reads_the_annotated_crm8_download_with_bom_and_concurrency_mode() {
    let Some(path) = capture("dynamics-crm8-2016-annotated.metadata.xml") else { return };
    let document = Document::from_path(path).expect("parse");
    let c = counts(&document);
    assert_eq!(c.entity_types, 264);
    assert_eq!(c.abstract_types, 6);
    assert_eq!(c.entity_sets, 236);
    assert_eq!(c.actions, 138);
    assert_eq!(c.functions, 166);
    assert_eq!(c.enum_types, 33);
    assert_eq!(c.complex_types, 131);
    assert_eq!(c.action_imports, 79);
    assert_eq!(c.function_imports, 50);
    assert_eq!(c.navigation_properties, 4856);
    assert_eq!(c.referential_constraints, 1889);
    assert_eq!(c.bindings, 4793);
    assert_eq!(c.properties, 7041);
    assert_eq!(c.keys, 234);

    let account = document.entity_type("account").expect("account");
    assert_eq!(account.properties.len(), 154);
    assert_eq!(account.navigation_properties.len(), 70);
    let version = account.property("versionnumber").expect("versionnumber");
    assert_eq!(version.other_attribute("ConcurrencyMode"), Some("Fixed"));
    let open_revenue = account.property("openrevenue").expect("openrevenue");
    assert_eq!(
        open_revenue.description(),
        Some("Sum of open revenue against an account and its child accounts.")
    );
    assert!(open_revenue.is_read_only());
    assert!(!account.property("creditlimit").expect("creditlimit").is_read_only());
    let accounts = document.entity_set("accounts").expect("accounts");
    assert!(accounts.annotation("Org.OData.Capabilities.V1.ChangeTracking").is_some());
    let overloads = document.operations().filter(|o| o.name == "AddItemCampaign").count();
    assert_eq!(overloads, 4);
}
