//! Errors with the line and column of the offending element.

use std::fmt;

/// Where in the document an error was found (1-based; the column counts bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Position {
    /// The line, from 1.
    pub line: u64,
    /// The column, from 1, in bytes.
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A document that cannot be read as CSDL.
///
/// ```
/// use dataverse_csdl::{Document, ErrorKind};
///
/// let xml = "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n\
///            <edmx:DataServices><Schema Namespace=\"N\">\n\
///              <EntityType Name=\"account\"><Property Name=\"name\"/></EntityType>\n\
///            </Schema></edmx:DataServices></edmx:Edmx>";
/// let error = Document::from_str(xml).unwrap_err();
/// assert_eq!(error.position().map(|p| p.line), Some(3));
/// assert!(matches!(error.kind(), ErrorKind::MissingAttribute { attribute: "Type", .. }));
/// assert_eq!(
///     error.to_string(),
///     "line 3, column 28: <Property> has no `Type` attribute"
/// );
/// ```
#[derive(Debug)]
pub struct Error {
    position: Option<Position>,
    kind: ErrorKind,
}

/// What is wrong with the document.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The document could not be read.
    Io(std::io::Error),
    /// The document is not well-formed XML.
    Xml(String),
    /// The XML is not a CSDL document (wrong root element, no schema).
    NotCsdl(String),
    /// A required attribute is absent.
    MissingAttribute {
        /// The element's local name.
        element: String,
        /// The attribute.
        attribute: &'static str,
    },
    /// An attribute has a value CSDL does not allow.
    InvalidAttribute {
        /// The element's local name.
        element: String,
        /// The attribute.
        attribute: String,
        /// The value found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

impl Error {
    pub(crate) fn new(position: Option<Position>, kind: ErrorKind) -> Self {
        Error { position, kind }
    }

    /// Where the error was found, when known (not for I/O errors).
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(error) => write!(f, "cannot read the document: {error}"),
            ErrorKind::Xml(message) => write!(f, "not well-formed XML: {message}"),
            ErrorKind::NotCsdl(message) => write!(f, "not a CSDL $metadata document: {message}"),
            ErrorKind::MissingAttribute { element, attribute } => {
                write!(f, "<{element}> has no `{attribute}` attribute")
            }
            ErrorKind::InvalidAttribute { element, attribute, value, expected } => {
                write!(f, "<{element} {attribute}=\"{value}\">: expected {expected}")
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(position) => write!(f, "{position}: {}", self.kind),
            None => self.kind.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
