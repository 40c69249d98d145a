//! What can go wrong when generating.

use std::path::PathBuf;

/// An error from [`Generator::generate`](crate::Generator::generate) or reading its inputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `$metadata` document could not be read (with its line and column).
    #[error("cannot read the $metadata document: {0}")]
    Metadata(#[from] dataverse_csdl::Error),
    /// A requested table is not in the document.
    #[error(
        "no table `{0}` in the $metadata document (name tables by logical name, e.g. `account`)"
    )]
    UnknownTable(String),
    /// A requested unbound action or function is not imported by the document's entity
    /// container.
    #[error(
        "no unbound action or function `{0}` in the $metadata document (name it as its ActionImport or FunctionImport does, e.g. `WhoAmI`)"
    )]
    UnknownOperation(String),
    /// A requested table has no entity set (an abstract or internal type).
    #[error("`{0}` has no entity set in the $metadata document, so it cannot be read or written")]
    NoEntitySet(String),
    /// No table was asked for.
    #[error("no tables selected: name some with `tables` (--tables) or ask for all (--all)")]
    NothingSelected,
    /// The choices file is not of the expected shape.
    #[error("invalid choices file: {0}")]
    Extras(String),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The generated code did not parse: a bug in this crate.
    #[error("internal error, please report it: generated code did not parse: {0}")]
    Internal(String),
}
