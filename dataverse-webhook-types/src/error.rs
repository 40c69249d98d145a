//! [`ParseError`]: why a body is not a webhook payload.

use std::fmt;

/// Why a request body could not be read as a webhook payload.
///
/// The message names the JSON path of the problem when there is one
/// (`InputParameters[0].value.Attributes`), plus the line and column.
///
/// ```
/// use dataverse_webhook_types::{ParseErrorKind, RemoteExecutionContext};
///
/// let error = RemoteExecutionContext::from_slice(br#"{"MessageName":"Update","PrimaryEntityId":"nope"}"#)
///     .unwrap_err();
/// assert_eq!(error.kind(), ParseErrorKind::Data);
/// assert_eq!(error.path(), Some("PrimaryEntityId"));
/// assert!(error.to_string().contains("not a GUID"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: ParseErrorKind,
    path: String,
    message: String,
    line: usize,
    column: usize,
}

/// The broad reason a body was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The body is empty.
    Empty,
    /// The body is not UTF-8.
    Encoding,
    /// The body is not JSON.
    Syntax,
    /// The body ends in the middle of a value.
    Eof,
    /// The body is JSON but not a payload (wrong type, missing `MessageName`, bad GUID, …).
    Data,
}

impl ParseError {
    pub(crate) fn empty() -> Self {
        Self {
            kind: ParseErrorKind::Empty,
            path: String::new(),
            message: "the body is empty".to_owned(),
            line: 0,
            column: 0,
        }
    }

    pub(crate) fn encoding(error: std::str::Utf8Error) -> Self {
        Self {
            kind: ParseErrorKind::Encoding,
            path: String::new(),
            message: format!(
                "the body is not UTF-8 (invalid byte at offset {})",
                error.valid_up_to()
            ),
            line: 0,
            column: 0,
        }
    }

    pub(crate) fn from_json(path: String, error: serde_json::Error) -> Self {
        use serde_json::error::Category;
        let kind = match error.classify() {
            Category::Syntax | Category::Io => ParseErrorKind::Syntax,
            Category::Eof => ParseErrorKind::Eof,
            Category::Data => ParseErrorKind::Data,
        };
        let (line, column) = (error.line(), error.column());
        let full = error.to_string();
        // serde_json appends " at line L column C"; keep the position in its own fields.
        let suffix = format!(" at line {line} column {column}");
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        // serde_path_to_error names the root ".".
        let path = if path == "." { String::new() } else { path };
        Self { kind, path, message, line, column }
    }

    /// The broad reason.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The JSON path of the problem (`InputParameters[0].value`), when there is one.
    pub fn path(&self) -> Option<&str> {
        (!self.path.is_empty()).then_some(self.path.as_str())
    }

    /// What was wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based line of the problem (0 when unknown).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column of the problem (0 when unknown).
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid webhook payload")?;
        if let Some(path) = self.path() {
            write!(f, " at `{path}`")?;
        }
        write!(f, ": {}", self.message)?;
        if self.line > 0 {
            write!(f, " (line {}, column {})", self.line, self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}
