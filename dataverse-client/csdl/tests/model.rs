//! The model read from a hand-written document, and errors with their positions.

use dataverse_csdl::{
    Annotated, Document, EdmType, ErrorKind, Expression, MaxLength, OperationKind, Scale,
};

fn contoso() -> Document {
    Document::from_str(include_str!("fixtures/contoso.xml")).expect("parse")
}

#[test]
fn entity_types_keys_facets_and_inheritance() {
    let document = contoso();
    let agreement = document.entity_type("mscrm.cre6f_agreement").expect("agreement");
    assert_eq!(agreement.key, ["cre6f_agreementid"]);
    assert_eq!(agreement.other_attributes, [("Frobnicate".to_owned(), "yes".to_owned())]);
    let id = agreement.property("cre6f_agreementid").expect("id");
    assert!(!id.facets.nullable);
    let name = agreement.property("cre6f_name").expect("name");
    assert_eq!(name.facets.max_length, Some(MaxLength::Max));
    assert_eq!(name.facets.unicode, Some(false));
    let value = agreement.property("cre6f_value").expect("value");
    assert_eq!((value.facets.precision, value.facets.scale), (Some(19), Some(Scale::Variable)));
    let rate = agreement.property("cre6f_rate").expect("rate");
    assert_eq!(rate.facets.scale, Some(Scale::Digits(4)));
    assert_eq!(rate.default_value.as_deref(), Some("0"));
    let version = agreement.property("versionnumber").expect("version");
    assert_eq!(version.type_ref.primitive(), Some(EdmType::Int64));
    assert_eq!(version.other_attribute("ConcurrencyMode"), Some("Fixed"));
    assert_eq!(version.description(), Some("Version & number A."));
    assert!(version.is_read_only());

    // Keys and properties are inherited from abstract bases.
    let user = document.entity_type("systemuser").expect("systemuser");
    assert!(user.key.is_empty());
    assert_eq!(document.key_of(user), ["ownerid"]);
    let names: Vec<&str> = document.all_properties(user).iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ownerid", "fullname"]);
    let ancestors: Vec<&str> = document.ancestors(user).iter().map(|t| t.name.as_str()).collect();
    assert_eq!(ancestors, ["principal", "crmbaseentity"]);
    let principal = document.entity_type("Microsoft.Dynamics.CRM.principal").expect("principal");
    assert!(principal.is_abstract);
    let derived: Vec<&str> =
        document.derived_types(principal).iter().map(|t| t.name.as_str()).collect();
    assert_eq!(derived, ["systemuser", "team"]);
    assert!(document.entity_set_of(principal).is_none());
    assert_eq!(document.entity_set_of(user).expect("set").name, "systemusers");
}

#[test]
fn lookups_navigation_and_alternate_keys() {
    let document = contoso();
    let agreement = document.entity_type("cre6f_agreement").expect("agreement");
    let lookups = document.lookups(agreement);
    let summary: Vec<(&str, Vec<&str>)> = lookups
        .iter()
        .map(|l| (l.column, l.navigation_properties.iter().map(|n| n.name.as_str()).collect()))
        .collect();
    assert_eq!(
        summary,
        [("cre6f_opportunity", vec!["cre6f_Opportunity"]), ("ownerid", vec!["ownerid"])]
    );
    let owner = agreement.navigation_property("ownerid").expect("owner");
    assert_eq!(owner.on_delete.as_deref(), Some("None"));
    assert_eq!(owner.constrained_property(), Some("_ownerid_value"));
    assert_eq!(document.target_type(owner).expect("target").name, "principal");
    let notes = agreement.navigation_property("cre6f_agreement_Annotations").expect("notes");
    assert!(!notes.is_single());
    assert_eq!(notes.partner.as_deref(), Some("objectid_cre6f_agreement"));
    assert!(agreement.navigation_property("cre6f_opportunity").is_none(), "case-sensitive");

    let keys = agreement.alternate_keys();
    assert_eq!(keys.len(), 1);
    let parts: Vec<(&str, &str)> =
        keys[0].parts.iter().map(|p| (p.alias.as_str(), p.path.as_str())).collect();
    assert_eq!(
        parts,
        [("cre6f_name", "cre6f_name"), ("cre6f_opportunity", "_cre6f_opportunity_value")]
    );

    let set = document.entity_set("cre6f_agreements").expect("set");
    assert_eq!(set.binding_target("cre6f_Opportunity"), Some("opportunities"));
    let tracking = set.annotation("Org.OData.Capabilities.V1.ChangeTracking").expect("tracking");
    let record = tracking.value.as_ref().and_then(Expression::as_record).expect("record");
    assert_eq!(record.get("Supported"), Some(&Expression::Bool(true)));
}

#[test]
fn operations_enums_and_generic_annotations() {
    let document = contoso();
    let who = document.operations().find(|o| o.name == "WhoAmI").expect("WhoAmI");
    assert_eq!(who.kind, OperationKind::Function);
    assert!(!who.is_bound);
    assert!(!who.return_type.as_ref().expect("returns").facets.nullable);
    assert_eq!(document.imported_operations().len(), 1);

    let agreement = document.entity_type("cre6f_agreement").expect("agreement");
    let bound = document.bound_operations(agreement);
    assert_eq!(bound.len(), 1);
    let approve = bound[0];
    assert_eq!(approve.kind, OperationKind::Action);
    assert_eq!(approve.binding_type().expect("binding").name, "mscrm.cre6f_agreement");
    let comment = &approve.parameters[1];
    assert!(comment.annotation("Org.OData.Core.V1.OptionalParameter").is_some());
    let returns = &approve.return_type.as_ref().expect("returns").type_ref;
    assert!(returns.collection);
    assert_eq!(returns.primitive(), Some(EdmType::String));

    let rights = document.enum_type("AccessRights").expect("enum");
    assert!(rights.is_flags);
    assert_eq!(rights.members[1].value, Some(1));
    let schema = &document.schemas[0];
    assert_eq!(schema.type_definitions[0].facets.scale, Some(Scale::Digits(4)));
    assert_eq!(schema.terms[0].applies_to, ["Property", "PropertyValue"]);
    assert_eq!(schema.complex_types[0].name, "WhoAmIResponse");
    assert_eq!(document.references[0].includes[0].alias.as_deref(), Some("Keys"));

    let container = document.entity_container().expect("container");
    let functions = container
        .annotation("Org.OData.Capabilities.V1.FilterFunctions")
        .and_then(|a| a.value.as_ref())
        .and_then(Expression::as_collection)
        .expect("collection");
    assert_eq!(
        functions,
        [Expression::String("contains".into()), Expression::String("endswith".into())]
    );
    let group = &schema.annotation_groups[0];
    assert_eq!(group.target, "mscrm.cre6f_agreement/cre6f_name");
    assert_eq!(group.annotations[0].as_str(), Some("The agreement's name."));
    assert_eq!(
        document.qualify("Collection(mscrm.team)"),
        "Collection(Microsoft.Dynamics.CRM.team)"
    );
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(include_bytes!("fixtures/contoso.xml"));
    let document = Document::from_reader(bytes.as_slice()).expect("parse");
    assert_eq!(document, contoso());
}

fn error(xml: &str) -> (String, Option<(u64, u64)>) {
    let error = Document::from_str(xml).expect_err("invalid");
    (error.to_string(), error.position().map(|p| (p.line, p.column)))
}

const HEAD: &str = "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n<edmx:DataServices>\n<Schema Namespace=\"N\">\n";
const TAIL: &str = "\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n";

#[test]
fn errors_name_the_line_and_column() {
    let (message, position) = error(&format!(
        "{HEAD}<EntityType Name=\"a\">\n  <Property Name=\"b\"/>\n</EntityType>{TAIL}"
    ));
    assert_eq!(message, "line 5, column 3: <Property> has no `Type` attribute");
    assert_eq!(position, Some((5, 3)));

    let (message, _) = error(&format!(
        "{HEAD}<EntityType Name=\"a\"><Property Name=\"b\" Type=\"Edm.String\" Nullable=\"maybe\"/></EntityType>{TAIL}"
    ));
    assert_eq!(message, "line 4, column 22: <Property Nullable=\"maybe\">: expected true or false");

    let (message, _) = error(&format!(
        "{HEAD}<EnumType Name=\"e\"><Member Name=\"m\" Value=\"one\"/></EnumType>{TAIL}"
    ));
    assert_eq!(message, "line 4, column 20: <Member Value=\"one\">: expected an integer");

    let (message, _) = error(&format!(
        "{HEAD}<EntityType Name=\"a\"><Property Name=\"b\" Type=\"Edm.String\" MaxLength=\"lots\"/></EntityType>{TAIL}"
    ));
    assert!(message.contains("expected a number or max"), "{message}");

    let (message, position) = error("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>");
    assert_eq!(
        message,
        "line 1, column 1: not a CSDL $metadata document: the root element is <feed>, not <edmx:Edmx>"
    );
    assert_eq!(position, Some((1, 1)));

    let (message, position) = error(&format!("{HEAD}<EntityType Name=\"a\">\n</Schema>"));
    assert!(message.starts_with("line 5, column 1: not well-formed XML"), "{message}");
    assert_eq!(position, Some((5, 1)));

    let (message, _) = error(&format!("{HEAD}<EntityType Name=\"a\">"));
    assert!(message.contains("<EntityType> is not closed"), "{message}");

    let (message, position) = error("");
    assert_eq!(message, "not a CSDL $metadata document: the document has no root element");
    assert_eq!(position, None);

    let missing = Document::from_path("/nonexistent/metadata.xml").expect_err("no file");
    assert!(matches!(missing.kind(), ErrorKind::Io(_)));
    assert!(std::error::Error::source(&missing).is_some());
}
