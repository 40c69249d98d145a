//! Type references (`Type="Edm.String"`, `Type="Collection(mscrm.contact)"`) and facets.

use std::fmt;

/// The type of a property, parameter, return value or term, as written in the document.
///
/// ```
/// use dataverse_csdl::{EdmType, TypeRef};
///
/// let many = TypeRef::parse("Collection(mscrm.contact)");
/// assert!(many.collection);
/// assert_eq!(many.name, "mscrm.contact");
/// assert_eq!(many.primitive(), None);
///
/// let money = TypeRef::parse("Edm.Decimal");
/// assert_eq!(money.primitive(), Some(EdmType::Decimal));
/// assert_eq!(money.to_string(), "Edm.Decimal");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TypeRef {
    /// The qualified name of the type (`Edm.Guid`, `mscrm.account`,
    /// `Microsoft.Dynamics.CRM.account`), without `Collection(…)`.
    pub name: String,
    /// Whether the type is `Collection(name)`.
    pub collection: bool,
}

impl TypeRef {
    /// Read a `Type` attribute value.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        match text.strip_prefix("Collection(").and_then(|rest| rest.strip_suffix(')')) {
            Some(inner) => TypeRef { name: inner.trim().to_owned(), collection: true },
            None => TypeRef { name: text.to_owned(), collection: false },
        }
    }

    /// The primitive type, when the name is in the `Edm` namespace.
    pub fn primitive(&self) -> Option<EdmType> {
        EdmType::from_name(&self.name)
    }

    /// The simple name: the part after the last `.` (`account` for `mscrm.account`).
    pub fn simple_name(&self) -> &str {
        simple_name(&self.name)
    }
}

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.collection {
            write!(f, "Collection({})", self.name)
        } else {
            f.write_str(&self.name)
        }
    }
}

/// The part of a qualified name after its last `.`.
pub(crate) fn simple_name(qualified: &str) -> &str {
    qualified.rsplit('.').next().unwrap_or(qualified)
}

/// The primitive types of CSDL (`Edm.*`).
///
/// See [OData CSDL XML 4.01, Primitive Types](https://docs.oasis-open.org/odata/odata-csdl-xml/v4.01/odata-csdl-xml-v4.01.html#sec_PrimitiveTypes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EdmType {
    /// `Edm.Binary`: base64 in JSON.
    Binary,
    /// `Edm.Boolean`.
    Boolean,
    /// `Edm.Byte`: unsigned 8-bit.
    Byte,
    /// `Edm.Date`: a date without time.
    Date,
    /// `Edm.DateTimeOffset`.
    DateTimeOffset,
    /// `Edm.Decimal`: Dataverse money and decimal columns.
    Decimal,
    /// `Edm.Double`.
    Double,
    /// `Edm.Duration`.
    Duration,
    /// `Edm.Guid`.
    Guid,
    /// `Edm.Int16`.
    Int16,
    /// `Edm.Int32`: Dataverse whole numbers and choice (option set) values.
    Int32,
    /// `Edm.Int64`.
    Int64,
    /// `Edm.SByte`: signed 8-bit.
    SByte,
    /// `Edm.Single`.
    Single,
    /// `Edm.Stream`.
    Stream,
    /// `Edm.String`.
    String,
    /// `Edm.TimeOfDay`.
    TimeOfDay,
    /// Another `Edm.*` name (geography, geometry, untyped, …), without the `Edm.` prefix.
    Other(String),
}

impl EdmType {
    /// The primitive type of a qualified name (`Edm.Int32`), or `None` outside `Edm`.
    pub fn from_name(name: &str) -> Option<Self> {
        let simple = name.strip_prefix("Edm.")?;
        Some(match simple {
            "Binary" => EdmType::Binary,
            "Boolean" => EdmType::Boolean,
            "Byte" => EdmType::Byte,
            "Date" => EdmType::Date,
            "DateTimeOffset" => EdmType::DateTimeOffset,
            "Decimal" => EdmType::Decimal,
            "Double" => EdmType::Double,
            "Duration" => EdmType::Duration,
            "Guid" => EdmType::Guid,
            "Int16" => EdmType::Int16,
            "Int32" => EdmType::Int32,
            "Int64" => EdmType::Int64,
            "SByte" => EdmType::SByte,
            "Single" => EdmType::Single,
            "Stream" => EdmType::Stream,
            "String" => EdmType::String,
            "TimeOfDay" => EdmType::TimeOfDay,
            other => EdmType::Other(other.to_owned()),
        })
    }
}

/// `MaxLength`: a number of characters or bytes, or `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MaxLength {
    /// A limit.
    Length(u64),
    /// `max`: the largest length the service supports.
    Max,
}

/// `Scale`: a number of digits after the point, `variable` or `floating`.
///
/// Dataverse declares money and decimal columns as `Edm.Decimal` with `Scale="Variable"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scale {
    /// A fixed number of digits after the point.
    Digits(u32),
    /// `variable`: each value has its own scale, up to the precision.
    Variable,
    /// `floating` (CSDL 4.01): a decimal floating-point value.
    Floating,
}

/// The facets of a property, parameter, return type or type definition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Facets {
    /// `Nullable` (default `true` where CSDL allows it).
    pub nullable: bool,
    /// `MaxLength`.
    pub max_length: Option<MaxLength>,
    /// `Precision`.
    pub precision: Option<u32>,
    /// `Scale`.
    pub scale: Option<Scale>,
    /// `Unicode` (default `true`; Dataverse writes `Unicode="false"` on most strings).
    pub unicode: Option<bool>,
    /// `SRID`, for geography and geometry types.
    pub srid: Option<String>,
}

impl Default for Facets {
    fn default() -> Self {
        Facets {
            nullable: true,
            max_length: None,
            precision: None,
            scale: None,
            unicode: None,
            srid: None,
        }
    }
}
