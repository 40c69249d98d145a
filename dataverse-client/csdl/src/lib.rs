#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod error;
mod model;
mod read;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

pub use error::{Error, ErrorKind, Position, Result};
pub use model::annotation::{
    ALTERNATE_KEYS, Annotated, Annotation, Annotations, CORE_COMPUTED, CORE_DESCRIPTION,
    CORE_PERMISSIONS, Expression, PropertyValue, Record,
};
pub use model::container::{
    ActionImport, EntityContainer, EntitySet, FunctionImport, NavigationPropertyBinding, Singleton,
};
pub use model::document::{Document, Include, Lookup, Reference, Schema};
pub use model::operations::{Operation, OperationKind, Parameter, ReturnType};
pub use model::structured::{
    AlternateKey, ComplexType, EntityType, EnumMember, EnumType, KeyPart, NavigationProperty,
    Property, ReferentialConstraint, Term, TypeDefinition,
};
pub use model::types::{EdmType, Facets, MaxLength, Scale, TypeRef};

impl Document {
    /// Read a document from any buffered reader (a file, a download), one XML event at a
    /// time. A UTF-8 byte order mark is skipped.
    ///
    /// # Errors
    /// [`Error`] with the line and column of the first problem: XML that is not well-formed,
    /// a root other than `edmx:Edmx`, a required attribute missing, a facet with a value CSDL
    /// does not allow. Unknown elements are skipped and unknown attributes kept.
    ///
    /// ```
    /// use dataverse_csdl::Document;
    ///
    /// let xml = b"\xEF\xBB\xBF<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\
    ///   <edmx:DataServices><Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"Microsoft.Dynamics.CRM\" Alias=\"mscrm\">\
    ///     <EntityType Name=\"account\"><Key><PropertyRef Name=\"accountid\"/></Key>\
    ///       <Property Name=\"accountid\" Type=\"Edm.Guid\"/></EntityType>\
    ///   </Schema></edmx:DataServices></edmx:Edmx>";
    /// let document = Document::from_reader(&xml[..]).unwrap();
    /// assert_eq!(document.entity_type("account").unwrap().key, ["accountid"]);
    /// ```
    pub fn from_reader<R: BufRead>(reader: R) -> Result<Document> {
        read::document(reader)
    }

    /// Read a document held in a string.
    ///
    /// # Errors
    /// As [`Document::from_reader`].
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(xml: &str) -> Result<Document> {
        read::document(xml.as_bytes())
    }

    /// Read a document from a file, streamed.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the file cannot be opened or read, else as
    /// [`Document::from_reader`].
    ///
    /// ```no_run
    /// let document = dataverse_csdl::Document::from_path("metadata.xml")?;
    /// println!("{} entity types", document.entity_types().count());
    /// # Ok::<(), dataverse_csdl::Error>(())
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Document> {
        let file = File::open(path.as_ref()).map_err(|e| Error::new(None, ErrorKind::Io(e)))?;
        read::document(BufReader::with_capacity(64 * 1024, file))
    }
}

impl std::str::FromStr for Document {
    type Err = Error;

    fn from_str(xml: &str) -> Result<Document> {
        read::document(xml.as_bytes())
    }
}
