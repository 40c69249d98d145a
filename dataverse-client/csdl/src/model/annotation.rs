//! Annotations, kept generically: a term and an expression tree.

/// An `<Annotation>`: a term applied to a model element, with its value.
///
/// Dataverse writes descriptions (`Org.OData.Core.V1.Description`), computed and read-only
/// markers (`Org.OData.Core.V1.Computed`, `Org.OData.Core.V1.Permissions`), alternate keys
/// (`OData.Community.Keys.V1.AlternateKeys`) and capabilities of entity sets this way.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Annotation {
    /// The qualified name of the term, as written (`Org.OData.Core.V1.Description`).
    pub term: String,
    /// `Qualifier`, to tell apart several annotations with the same term.
    pub qualifier: Option<String>,
    /// The value; `None` for an annotation without one (a Boolean term then means `true`).
    pub value: Option<Expression>,
    /// Annotations of this annotation.
    pub annotations: Vec<Annotation>,
}

impl Annotation {
    /// The value as text, for string-like constants (`String`, `EnumMember`, paths, numbers
    /// kept as text).
    pub fn as_str(&self) -> Option<&str> {
        self.value.as_ref().and_then(Expression::as_str)
    }

    /// The value as a Boolean: `Bool="true"`, or no value at all (a tagging term).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            None => Some(true),
            Some(Expression::Bool(b)) => Some(*b),
            Some(_) => None,
        }
    }
}

/// The value of an annotation or of a record's property.
///
/// Constants keep their text as written, so nothing is lost to a number type.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Expression {
    /// `String`.
    String(String),
    /// `Bool`.
    Bool(bool),
    /// `Int`, as written.
    Int(String),
    /// `Decimal`, as written.
    Decimal(String),
    /// `Float`, as written.
    Float(String),
    /// `Guid`.
    Guid(String),
    /// `Date`.
    Date(String),
    /// `DateTimeOffset`.
    DateTimeOffset(String),
    /// `Duration`.
    Duration(String),
    /// `TimeOfDay`.
    TimeOfDay(String),
    /// `Binary` (base64url).
    Binary(String),
    /// `EnumMember` (`Org.OData.Core.V1.PermissionType/Read`).
    EnumMember(String),
    /// `Path`.
    Path(String),
    /// `PropertyPath`.
    PropertyPath(String),
    /// `NavigationPropertyPath`.
    NavigationPropertyPath(String),
    /// `AnnotationPath`.
    AnnotationPath(String),
    /// `<Null/>`.
    Null,
    /// `<Collection>`.
    Collection(Vec<Expression>),
    /// `<Record>`.
    Record(Record),
    /// A dynamic expression this reader does not model (`If`, `Apply`, `Cast`, …), by element
    /// name; its content is skipped.
    Other(String),
}

impl Expression {
    /// The text of a string-like constant or path.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expression::String(s)
            | Expression::Int(s)
            | Expression::Decimal(s)
            | Expression::Float(s)
            | Expression::Guid(s)
            | Expression::Date(s)
            | Expression::DateTimeOffset(s)
            | Expression::Duration(s)
            | Expression::TimeOfDay(s)
            | Expression::Binary(s)
            | Expression::EnumMember(s)
            | Expression::Path(s)
            | Expression::PropertyPath(s)
            | Expression::NavigationPropertyPath(s)
            | Expression::AnnotationPath(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a collection.
    pub fn as_collection(&self) -> Option<&[Expression]> {
        match self {
            Expression::Collection(items) => Some(items),
            _ => None,
        }
    }

    /// The record.
    pub fn as_record(&self) -> Option<&Record> {
        match self {
            Expression::Record(record) => Some(record),
            _ => None,
        }
    }
}

/// A `<Record>`: a structured value with named properties.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Record {
    /// `Type`, when given.
    pub type_name: Option<String>,
    /// The `<PropertyValue>`s in document order.
    pub properties: Vec<PropertyValue>,
    /// Annotations of the record.
    pub annotations: Vec<Annotation>,
}

impl Record {
    /// The value of the property named `name`.
    pub fn get(&self, name: &str) -> Option<&Expression> {
        self.properties.iter().find(|p| p.property == name).and_then(|p| p.value.as_ref())
    }
}

/// A `<PropertyValue>` of a record.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PropertyValue {
    /// `Property`: the name of the property.
    pub property: String,
    /// The value.
    pub value: Option<Expression>,
}

/// An `<Annotations Target="…">` element: annotations applied from outside to a target path.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Annotations {
    /// `Target`: the path of the annotated element (`mscrm.account/name`).
    pub target: String,
    /// `Qualifier`.
    pub qualifier: Option<String>,
    /// The annotations.
    pub annotations: Vec<Annotation>,
}

/// Model elements that carry annotations.
///
/// ```
/// use dataverse_csdl::{Annotated, Document};
///
/// let xml = r#"<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
///   <edmx:DataServices>
///     <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Microsoft.Dynamics.CRM" Alias="mscrm">
///       <EntityType Name="account">
///         <Key><PropertyRef Name="accountid"/></Key>
///         <Property Name="accountid" Type="Edm.Guid"/>
///         <Property Name="openrevenue" Type="Edm.Decimal" Scale="Variable">
///           <Annotation Term="Org.OData.Core.V1.Description" String="Sum of open revenue."/>
///           <Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/>
///         </Property>
///       </EntityType>
///     </Schema>
///   </edmx:DataServices>
/// </edmx:Edmx>"#;
/// let document = Document::from_str(xml).unwrap();
/// let revenue = document.entity_type("account").unwrap().property("openrevenue").unwrap();
/// assert_eq!(revenue.description(), Some("Sum of open revenue."));
/// assert_eq!(revenue.annotation("Org.OData.Core.V1.Computed").and_then(|a| a.as_bool()), Some(true));
/// ```
pub trait Annotated {
    /// The annotations written inside the element.
    fn annotations(&self) -> &[Annotation];

    /// The first annotation with `term` (compared exactly, as written in the document).
    fn annotation(&self, term: &str) -> Option<&Annotation> {
        self.annotations().iter().find(|a| a.term == term)
    }

    /// `Org.OData.Core.V1.Description`, when present and not empty.
    fn description(&self) -> Option<&str> {
        self.annotation(CORE_DESCRIPTION).and_then(Annotation::as_str).filter(|s| !s.is_empty())
    }

    /// Whether the service computes the value (`Org.OData.Core.V1.Computed`), or only lets
    /// clients read it (`Org.OData.Core.V1.Permissions` = `Read`).
    fn is_read_only(&self) -> bool {
        let computed =
            self.annotation(CORE_COMPUTED).and_then(Annotation::as_bool).unwrap_or(false);
        let read_only = self
            .annotation(CORE_PERMISSIONS)
            .and_then(Annotation::as_str)
            .is_some_and(|p| p.trim().ends_with("PermissionType/Read"));
        computed || read_only
    }
}

/// `Org.OData.Core.V1.Description`.
pub const CORE_DESCRIPTION: &str = "Org.OData.Core.V1.Description";
/// `Org.OData.Core.V1.Computed`.
pub const CORE_COMPUTED: &str = "Org.OData.Core.V1.Computed";
/// `Org.OData.Core.V1.Permissions`.
pub const CORE_PERMISSIONS: &str = "Org.OData.Core.V1.Permissions";
/// `OData.Community.Keys.V1.AlternateKeys`: the alternate keys of an entity type.
pub const ALTERNATE_KEYS: &str = "OData.Community.Keys.V1.AlternateKeys";
