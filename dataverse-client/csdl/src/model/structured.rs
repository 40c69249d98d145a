//! Entity types, complex types and their members; enum types, type definitions and terms.

use super::annotation::{ALTERNATE_KEYS, Annotated, Annotation, Expression};
use super::types::{Facets, TypeRef};

/// An `<EntityType>`: a Dataverse table (or an abstract base such as `crmbaseentity`,
/// `activitypointer` or `principal`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EntityType {
    /// `Name`: the table's logical name in Dataverse (`account`, `cre6f_agreement`).
    pub name: String,
    /// `BaseType`: the qualified name of the type this one derives from.
    pub base_type: Option<String>,
    /// `Abstract`.
    pub is_abstract: bool,
    /// `OpenType`.
    pub open_type: bool,
    /// `HasStream`.
    pub has_stream: bool,
    /// The `<Key>` property names, in order (empty when the key is inherited or absent).
    pub key: Vec<String>,
    /// The `<Property>`s declared here (not inherited), in document order.
    pub properties: Vec<Property>,
    /// The `<NavigationProperty>`s declared here, in document order.
    pub navigation_properties: Vec<NavigationProperty>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Attributes CSDL does not define, in document order.
    pub other_attributes: Vec<(String, String)>,
}

impl EntityType {
    /// The property declared here named `name`.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The navigation property declared here named `name` (case-sensitive).
    pub fn navigation_property(&self, name: &str) -> Option<&NavigationProperty> {
        self.navigation_properties.iter().find(|p| p.name == name)
    }

    /// The alternate keys declared with the `OData.Community.Keys.V1.AlternateKeys` annotation.
    ///
    /// Dataverse lists each alternate key as a record of `PropertyRef`s, each with an `Alias`
    /// (the name used in a key segment: `accounts(accountnumber='A-1')`) and a `Name` path.
    pub fn alternate_keys(&self) -> Vec<AlternateKey> {
        let Some(items) = self
            .annotations
            .iter()
            .find(|a| is_alternate_keys_term(&a.term))
            .and_then(|a| a.value.as_ref())
            .and_then(Expression::as_collection)
        else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(Expression::as_record)
            .filter_map(|key| key.get("Key").and_then(Expression::as_collection))
            .map(|parts| AlternateKey {
                parts: parts
                    .iter()
                    .filter_map(Expression::as_record)
                    .filter_map(|part| {
                        let path = part.get("Name").and_then(Expression::as_str)?.to_owned();
                        let alias = part
                            .get("Alias")
                            .and_then(Expression::as_str)
                            .map_or_else(|| path.clone(), str::to_owned);
                        Some(KeyPart { alias, path })
                    })
                    .collect(),
            })
            .filter(|key: &AlternateKey| !key.parts.is_empty())
            .collect()
    }
}

fn is_alternate_keys_term(term: &str) -> bool {
    term == ALTERNATE_KEYS || term == "Keys.AlternateKeys"
}

impl Annotated for EntityType {
    fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
}

/// An alternate key: one or more columns that identify a row.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlternateKey {
    /// The key's columns, in order.
    pub parts: Vec<KeyPart>,
}

/// One column of an alternate key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyPart {
    /// The name used in a key segment (`accountnumber` in `accounts(accountnumber='A-1')`).
    pub alias: String,
    /// The property path the key part refers to.
    pub path: String,
}

/// A `<ComplexType>`: a structured value without identity (action parameters and results).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ComplexType {
    /// `Name`.
    pub name: String,
    /// `BaseType`.
    pub base_type: Option<String>,
    /// `Abstract`.
    pub is_abstract: bool,
    /// `OpenType`.
    pub open_type: bool,
    /// Properties, in document order.
    pub properties: Vec<Property>,
    /// Navigation properties, in document order.
    pub navigation_properties: Vec<NavigationProperty>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}

impl Annotated for ComplexType {
    fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
}

/// A `<Property>`: a column (structural property).
///
/// A Dataverse lookup column appears twice: as a property named `_<column>_value` of type
/// `Edm.Guid` (what reads return) and as single-valued navigation properties whose
/// [`ReferentialConstraint`] names that property (what writes bind).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Property {
    /// `Name`: the column's logical name, or `_<lookup>_value` for a lookup.
    pub name: String,
    /// `Type`.
    pub type_ref: TypeRef,
    /// Facets (`Nullable`, `MaxLength`, `Precision`, `Scale`, `Unicode`, `SRID`).
    pub facets: Facets,
    /// `DefaultValue`.
    pub default_value: Option<String>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Attributes CSDL does not define (older Dataverse versions write `ConcurrencyMode`).
    pub other_attributes: Vec<(String, String)>,
}

impl Property {
    /// For a lookup's `_<column>_value` property, the lookup column's logical name.
    ///
    /// ```
    /// # use dataverse_csdl::Document;
    /// # let document = Document::from_str(r#"<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices>
    /// #   <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Microsoft.Dynamics.CRM" Alias="mscrm">
    /// #     <EntityType Name="account"><Property Name="_parentaccountid_value" Type="Edm.Guid"/></EntityType>
    /// #   </Schema></edmx:DataServices></edmx:Edmx>"#).unwrap();
    /// let property = document.entity_type("account").unwrap().property("_parentaccountid_value").unwrap();
    /// assert_eq!(property.lookup_column(), Some("parentaccountid"));
    /// ```
    pub fn lookup_column(&self) -> Option<&str> {
        self.name
            .strip_prefix('_')
            .and_then(|rest| rest.strip_suffix("_value"))
            .filter(|column| !column.is_empty())
    }

    /// The value of an attribute CSDL does not define (`ConcurrencyMode`).
    pub fn other_attribute(&self, name: &str) -> Option<&str> {
        self.other_attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl Annotated for Property {
    fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
}

/// A `<NavigationProperty>`: a relationship to another entity type.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct NavigationProperty {
    /// `Name`, case-sensitive: a single-valued one is the lookup's schema-cased name used in
    /// `<Name>@odata.bind` (`cre6f_Opportunity`, `parentcustomerid_account`).
    pub name: String,
    /// `Type`: the target entity type, `Collection(…)` for one-to-many.
    pub type_ref: TypeRef,
    /// `Nullable`.
    pub nullable: bool,
    /// `Partner`: the navigation property back from the target.
    pub partner: Option<String>,
    /// `ContainsTarget`.
    pub contains_target: bool,
    /// The `<ReferentialConstraint>`s: which property holds the target's key.
    pub referential_constraints: Vec<ReferentialConstraint>,
    /// `<OnDelete Action="…"/>`, when given.
    pub on_delete: Option<String>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Attributes CSDL does not define.
    pub other_attributes: Vec<(String, String)>,
}

impl NavigationProperty {
    /// Whether it points at one row (`Type` is not a collection): a lookup.
    pub fn is_single(&self) -> bool {
        !self.type_ref.collection
    }

    /// The local property its first referential constraint names (`_parentaccountid_value`).
    pub fn constrained_property(&self) -> Option<&str> {
        self.referential_constraints.first().map(|c| c.property.as_str())
    }
}

impl Annotated for NavigationProperty {
    fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
}

/// A `<ReferentialConstraint>`: `property` of this type holds `referenced_property` of the
/// target.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReferentialConstraint {
    /// `Property` (here, e.g. `_parentaccountid_value`).
    pub property: String,
    /// `ReferencedProperty` (on the target, e.g. `accountid`).
    pub referenced_property: String,
}

/// An `<EnumType>`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EnumType {
    /// `Name`.
    pub name: String,
    /// `UnderlyingType` (`Edm.Int32` when absent).
    pub underlying_type: Option<String>,
    /// `IsFlags`.
    pub is_flags: bool,
    /// Members, in document order.
    pub members: Vec<EnumMember>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}

impl Annotated for EnumType {
    fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
}

/// A `<Member>` of an enum type.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EnumMember {
    /// `Name`.
    pub name: String,
    /// `Value`; when absent, CSDL numbers members from zero in order.
    pub value: Option<i64>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}

/// A `<TypeDefinition>`: a named primitive type with facets.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TypeDefinition {
    /// `Name`.
    pub name: String,
    /// `UnderlyingType`.
    pub underlying_type: String,
    /// Facets.
    pub facets: Facets,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}

/// A `<Term>`: an annotation's definition.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Term {
    /// `Name`.
    pub name: String,
    /// `Type`.
    pub type_ref: TypeRef,
    /// `BaseTerm`.
    pub base_term: Option<String>,
    /// `DefaultValue`.
    pub default_value: Option<String>,
    /// `AppliesTo`, split on spaces.
    pub applies_to: Vec<String>,
    /// Facets.
    pub facets: Facets,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}
