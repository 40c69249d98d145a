//! Documents a service should not serve but a file on disk may hold: the generator answers
//! with code or a typed error, never a panic.

use dataverse_codegen::{Document, Generator, UnboundOperations};

/// A table and one unbound function using `types` (complex and enumeration types).
fn document(types: &str, parameters: &str) -> Document {
    let xml = format!(
        r#"<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices>
  <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Microsoft.Dynamics.CRM" Alias="mscrm">
    <EntityType Name="account"><Key><PropertyRef Name="accountid"/></Key><Property Name="accountid" Type="Edm.Guid"/></EntityType>
    {types}
    <Function Name="odd_Call">{parameters}<ReturnType Type="Edm.Int32" Nullable="false"/></Function>
    <EntityContainer Name="System">
      <EntitySet Name="accounts" EntityType="Microsoft.Dynamics.CRM.account"/>
      <FunctionImport Name="odd_Call" Function="Microsoft.Dynamics.CRM.odd_Call"/>
    </EntityContainer>
  </Schema>
</edmx:DataServices></edmx:Edmx>"#
    );
    Document::from_str(&xml).expect("parse")
}

fn unbound(document: &Document) -> String {
    let output = Generator::new(document)
        .tables(["account"])
        .unbound(UnboundOperations::All)
        .generate()
        .expect("generate");
    let types = output.files().iter().find(|f| f.path == "types.rs").expect("types.rs");
    types.contents.clone()
}

#[test]
fn enumeration_values_at_the_ends_of_i64() {
    let document = document(
        r#"<EnumType Name="Extremes">
             <Member Name="Lowest" Value="-9223372036854775808"/>
             <Member Name="Highest" Value="9223372036854775807"/>
             <Member Name="After"/>
           </EnumType>"#,
        r#"<Parameter Name="Which" Type="mscrm.Extremes" Nullable="false"/>"#,
    );
    let types = unbound(&document);
    assert!(types.contains("Extremes::Lowest => Some(-9223372036854775808)"), "{types}");
    assert!(types.contains("Extremes::Highest => Some(9223372036854775807)"), "{types}");
}

#[test]
fn type_names_without_a_letter_or_digit() {
    let document = document(
        r#"<ComplexType Name="_"><Property Name="_" Type="Edm.Int32"/></ComplexType>
           <EnumType Name="__"><Member Name="_" Value="1"/></EnumType>"#,
        r#"<Parameter Name="A" Type="mscrm._" Nullable="false"/>
           <Parameter Name="B" Type="mscrm.__" Nullable="false"/>"#,
    );
    let types = unbound(&document);
    assert!(types.contains("pub struct Type {"), "{types}");
    assert!(types.contains("pub enum Type2 {"), "{types}");
}

#[test]
fn type_names_that_would_shadow_the_prelude() {
    let document = document(
        r#"<ComplexType Name="Option"><Property Name="Text" Type="Edm.String"/></ComplexType>
           <EnumType Name="String"><Member Name="A" Value="1"/></EnumType>"#,
        r#"<Parameter Name="A" Type="mscrm.Option" Nullable="false"/>
           <Parameter Name="B" Type="mscrm.String" Nullable="false"/>"#,
    );
    let types = unbound(&document);
    assert!(types.contains("pub struct Option2 {"), "{types}");
    assert!(types.contains("pub enum String2 {"), "{types}");
    // The prelude's `Option` and `String` are still what the fields use.
    assert!(types.contains("pub text: Option<String>,"), "{types}");
}
