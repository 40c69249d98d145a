//! Write a `$metadata` (OData v4 CSDL) document for a schema built in code, in the shape
//! Dataverse serves (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-service-documents#csdl-metadata-document>):
//! one `Microsoft.Dynamics.CRM` schema aliased `mscrm`, entity types deriving from
//! `crmbaseentity`, lookups as `_x_value` properties with a `ReferentialConstraint` on their
//! single-valued navigation property, collection-valued partners, alternate keys as
//! `OData.Community.Keys.V1.AlternateKeys`, and one `System` entity container.

use std::fmt::Write as _;

use super::schema::{Access, CollectionKind, ColumnKind, DataverseSchema, EntitySetDef};

const EDMX_NS: &str = "http://docs.oasis-open.org/odata/ns/edmx";
const EDM_NS: &str = "http://docs.oasis-open.org/odata/ns/edm";

/// The document for `schema`.
pub(crate) fn write(schema: &DataverseSchema) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(out, "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"{EDMX_NS}\">");
    for (uri, namespace, alias) in [
        (
            "http://vocabularies.odata.org/OData.Community.Keys.V1.xml",
            "OData.Community.Keys.V1",
            "Keys",
        ),
        (
            "http://vocabularies.odata.org/OData.Community.Display.V1.xml",
            "OData.Community.Display.V1",
            "Display",
        ),
        (
            "http://docs.oasis-open.org/odata/odata/v4.0/os/vocabularies/Org.OData.Core.V1.xml",
            "Org.OData.Core.V1",
            "Core",
        ),
        (
            "http://docs.oasis-open.org/odata/odata/v4.0/os/vocabularies/Org.OData.Capabilities.V1.xml",
            "Org.OData.Capabilities.V1",
            "Capabilities",
        ),
    ] {
        let _ = writeln!(out, "  <edmx:Reference Uri=\"{uri}\">");
        let _ = writeln!(out, "    <edmx:Include Namespace=\"{namespace}\" Alias=\"{alias}\"/>");
        let _ = writeln!(out, "  </edmx:Reference>");
    }
    out.push_str("  <edmx:DataServices>\n");
    let _ = writeln!(
        out,
        "    <Schema xmlns=\"{EDM_NS}\" Namespace=\"Microsoft.Dynamics.CRM\" Alias=\"mscrm\">"
    );
    out.push_str("      <EntityType Name=\"crmbaseentity\" Abstract=\"true\"/>\n");
    for set in &schema.sets {
        entity_type(&mut out, schema, set);
    }
    out.push_str(FIXED_OPERATIONS);
    out.push_str("      <EntityContainer Name=\"System\">\n");
    for set in &schema.sets {
        entity_set(&mut out, schema, set);
    }
    out.push_str(
        "        <FunctionImport Name=\"WhoAmI\" Function=\"Microsoft.Dynamics.CRM.WhoAmI\"/>\n",
    );
    out.push_str("      </EntityContainer>\n    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n");
    out
}

/// `WhoAmI` and the note block messages, which the emulator answers.
const FIXED_OPERATIONS: &str = r#"      <ComplexType Name="WhoAmIResponse">
        <Property Name="BusinessUnitId" Type="Edm.Guid"/>
        <Property Name="UserId" Type="Edm.Guid"/>
        <Property Name="OrganizationId" Type="Edm.Guid"/>
      </ComplexType>
      <Function Name="WhoAmI">
        <ReturnType Type="mscrm.WhoAmIResponse" Nullable="false"/>
      </Function>
      <ComplexType Name="InitializeAnnotationBlocksUploadResponse">
        <Property Name="FileContinuationToken" Type="Edm.String" Unicode="false"/>
      </ComplexType>
      <Action Name="InitializeAnnotationBlocksUpload">
        <Parameter Name="Target" Type="mscrm.crmbaseentity" Nullable="false"/>
        <ReturnType Type="mscrm.InitializeAnnotationBlocksUploadResponse" Nullable="false"/>
      </Action>
      <Action Name="UploadBlock">
        <Parameter Name="BlockId" Type="Edm.String" Nullable="false" Unicode="false"/>
        <Parameter Name="BlockData" Type="Edm.Binary" Nullable="false"/>
        <Parameter Name="FileContinuationToken" Type="Edm.String" Nullable="false" Unicode="false"/>
      </Action>
      <ComplexType Name="CommitAnnotationBlocksUploadResponse">
        <Property Name="AnnotationId" Type="Edm.Guid"/>
        <Property Name="FileSizeInBytes" Type="Edm.Int64"/>
      </ComplexType>
      <Action Name="CommitAnnotationBlocksUpload">
        <Parameter Name="Target" Type="mscrm.crmbaseentity" Nullable="false"/>
        <Parameter Name="BlockList" Type="Collection(Edm.String)" Nullable="false" Unicode="false"/>
        <Parameter Name="FileContinuationToken" Type="Edm.String" Nullable="false" Unicode="false"/>
        <ReturnType Type="mscrm.CommitAnnotationBlocksUploadResponse" Nullable="false"/>
      </Action>
      <ComplexType Name="InitializeAnnotationBlocksDownloadResponse">
        <Property Name="FileContinuationToken" Type="Edm.String" Unicode="false"/>
        <Property Name="FileSizeInBytes" Type="Edm.Int64"/>
        <Property Name="FileName" Type="Edm.String" Unicode="false"/>
      </ComplexType>
      <Action Name="InitializeAnnotationBlocksDownload">
        <Parameter Name="Target" Type="mscrm.crmbaseentity" Nullable="false"/>
        <ReturnType Type="mscrm.InitializeAnnotationBlocksDownloadResponse" Nullable="false"/>
      </Action>
      <ComplexType Name="DownloadBlockResponse">
        <Property Name="Data" Type="Edm.Binary"/>
      </ComplexType>
      <Action Name="DownloadBlock">
        <Parameter Name="Offset" Type="Edm.Int64" Nullable="false"/>
        <Parameter Name="BlockLength" Type="Edm.Int64" Nullable="false"/>
        <Parameter Name="FileContinuationToken" Type="Edm.String" Nullable="false" Unicode="false"/>
        <ReturnType Type="mscrm.DownloadBlockResponse" Nullable="false"/>
      </Action>
"#;

fn type_of(schema: &DataverseSchema, entity_set: &str) -> String {
    schema.set(entity_set).map_or_else(|| "crmbaseentity".to_owned(), |s| s.logical_name.clone())
}

fn entity_type(out: &mut String, schema: &DataverseSchema, set: &EntitySetDef) {
    let _ = writeln!(
        out,
        "      <EntityType Name=\"{}\" BaseType=\"mscrm.crmbaseentity\">",
        escape(&set.logical_name)
    );
    let _ = writeln!(
        out,
        "        <Key>\n          <PropertyRef Name=\"{}\"/>\n        </Key>",
        escape(&set.primary_key)
    );
    for column in &set.columns {
        let facets = match &column.kind {
            ColumnKind::Text { max_length } | ColumnKind::Memo { max_length } => {
                format!(" Unicode=\"false\" MaxLength=\"{max_length}\"")
            }
            ColumnKind::Autonumber { .. } | ColumnKind::DocumentBody | ColumnKind::EntityName => {
                " Unicode=\"false\"".to_owned()
            }
            ColumnKind::Decimal | ColumnKind::Money => " Scale=\"Variable\"".to_owned(),
            _ => String::new(),
        };
        let computed = column.access == Access::ServerManaged
            && !matches!(column.name.as_str(), "createdon" | "modifiedon" | "versionnumber")
            && column.kind != ColumnKind::PrimaryKey;
        let _ = write!(
            out,
            "        <Property Name=\"{}\" Type=\"{}\"{facets}",
            escape(&column.name),
            escape(column.kind.edm_type())
        );
        if computed {
            // What the service computes; a client's value is ignored.
            out.push_str(">\n          <Annotation Term=\"Org.OData.Core.V1.Computed\" Bool=\"true\"/>\n        </Property>\n");
        } else {
            out.push_str("/>\n");
        }
    }
    for nav in &set.navigations {
        let target = type_of(schema, &nav.target_set);
        let partner =
            nav.partner.clone().or_else(|| partner_of(schema, set, &nav.name, &nav.target_set));
        let partner = partner.map(|p| format!(" Partner=\"{}\"", escape(&p))).unwrap_or_default();
        let referenced = schema.set(&nav.target_set).map_or("", |t| t.primary_key.as_str());
        let _ = writeln!(
            out,
            "        <NavigationProperty Name=\"{}\" Type=\"mscrm.{}\" Nullable=\"false\"{partner}>\n          <ReferentialConstraint Property=\"{}\" ReferencedProperty=\"{}\"/>\n        </NavigationProperty>",
            escape(&nav.name),
            escape(&target),
            escape(&nav.lookup_column),
            escape(referenced)
        );
    }
    for collection in &set.collections {
        let partner = match &collection.kind {
            CollectionKind::OneToMany { partner, .. } => partner.clone(),
            CollectionKind::ManyToMany { relationship } => relationship.clone(),
        };
        let _ = writeln!(
            out,
            "        <NavigationProperty Name=\"{}\" Type=\"Collection(mscrm.{})\" Partner=\"{}\"/>",
            escape(&collection.name),
            escape(&type_of(schema, &collection.target_set)),
            escape(&partner)
        );
    }
    if !set.alternate_keys.is_empty() {
        out.push_str("        <Annotation Term=\"OData.Community.Keys.V1.AlternateKeys\">\n          <Collection>\n");
        for key in &set.alternate_keys {
            out.push_str("            <Record Type=\"OData.Community.Keys.V1.AlternateKey\">\n              <PropertyValue Property=\"Key\">\n                <Collection>\n");
            for column in &key.columns {
                let _ = writeln!(
                    out,
                    "                  <Record Type=\"OData.Community.Keys.V1.PropertyRef\">\n                    <PropertyValue Property=\"Alias\" String=\"{0}\"/>\n                    <PropertyValue Property=\"Name\" PropertyPath=\"{0}\"/>\n                  </Record>",
                    escape(column)
                );
            }
            out.push_str("                </Collection>\n              </PropertyValue>\n            </Record>\n");
        }
        out.push_str("          </Collection>\n        </Annotation>\n");
    }
    out.push_str("      </EntityType>\n");
}

/// The collection-valued navigation property of `target_set` that lists rows through `nav`.
fn partner_of(
    schema: &DataverseSchema,
    set: &EntitySetDef,
    nav: &str,
    target_set: &str,
) -> Option<String> {
    schema.set(target_set)?.collections.iter().find_map(|c| match &c.kind {
        CollectionKind::OneToMany { partner, .. }
            if partner == nav && c.target_set == set.entity_set =>
        {
            Some(c.name.clone())
        }
        _ => None,
    })
}

fn entity_set(out: &mut String, schema: &DataverseSchema, set: &EntitySetDef) {
    let _ = writeln!(
        out,
        "        <EntitySet Name=\"{}\" EntityType=\"Microsoft.Dynamics.CRM.{}\">",
        escape(&set.entity_set),
        escape(&set.logical_name)
    );
    for nav in &set.navigations {
        if schema.set(&nav.target_set).is_some() {
            let _ = writeln!(
                out,
                "          <NavigationPropertyBinding Path=\"{}\" Target=\"{}\"/>",
                escape(&nav.name),
                escape(&nav.target_set)
            );
        }
    }
    for collection in &set.collections {
        let _ = writeln!(
            out,
            "          <NavigationPropertyBinding Path=\"{}\" Target=\"{}\"/>",
            escape(&collection.name),
            escape(&collection.target_set)
        );
    }
    out.push_str("          <Annotation Term=\"Org.OData.Capabilities.V1.ChangeTracking\">\n            <Record>\n              <PropertyValue Property=\"Supported\" Bool=\"true\"/>\n            </Record>\n          </Annotation>\n");
    out.push_str("        </EntitySet>\n");
}

/// XML-escape an attribute value.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_document_declares_tables_lookups_partners_and_keys() {
        let text = write(&DataverseSchema::default());
        assert!(
            text.starts_with(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<edmx:Edmx Version=\"4.0\""
            )
        );
        assert!(text.contains(
            "<EntitySet Name=\"accounts\" EntityType=\"Microsoft.Dynamics.CRM.account\">"
        ));
        assert!(text.contains(
            "<NavigationProperty Name=\"parentcustomerid_account\" Type=\"mscrm.account\" Nullable=\"false\" Partner=\"contact_customer_accounts\">\n          <ReferentialConstraint Property=\"_parentcustomerid_value\" ReferencedProperty=\"accountid\"/>"
        ));
        assert!(text.contains(
            "<NavigationProperty Name=\"contact_customer_accounts\" Type=\"Collection(mscrm.contact)\" Partner=\"parentcustomerid_account\"/>"
        ));
        assert!(text.contains("<PropertyValue Property=\"Name\" PropertyPath=\"accountnumber\"/>"));
        assert!(text.contains(
            "<Property Name=\"name\" Type=\"Edm.String\" Unicode=\"false\" MaxLength=\"160\"/>"
        ));
        assert!(
            text.contains("<Property Name=\"revenue\" Type=\"Edm.Decimal\" Scale=\"Variable\"/>")
        );
        assert!(text.contains("<FunctionImport Name=\"WhoAmI\""));
        assert!(text.contains(
            "<Property Name=\"fullname\" Type=\"Edm.String\" Unicode=\"false\" MaxLength=\"160\">\n          <Annotation Term=\"Org.OData.Core.V1.Computed\" Bool=\"true\"/>\n        </Property>"
        ));
    }

    #[test]
    fn attribute_values_are_escaped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
