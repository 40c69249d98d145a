//! Turning request bodies into [`RemoteExecutionContext`]s.

mod value;
mod wire;

use crate::context::RemoteExecutionContext;
use crate::error::ParseError;
use wire::WireContext;

/// .NET writers may prefix UTF-8 with a byte-order mark; JSON parsers reject it.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) fn context_from_slice(body: &[u8]) -> Result<RemoteExecutionContext, ParseError> {
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(ParseError::encoding)?;
    context_from_str(text)
}

pub(crate) fn context_from_str(text: &str) -> Result<RemoteExecutionContext, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ParseError::empty());
    }
    // Validating UTF-8 once up front lets every nested parse read `&str` without re-checking.
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = WireContext::deserialize_object(&mut deserializer)
        .and_then(|wire| deserializer.end().map(|()| wire));
    match parsed {
        Ok(wire) => Ok(wire.into_context()),
        Err(error) => Err(locate(text, error)),
    }
}

/// Re-run a failed parse with path tracking, so the error names the field. Only failures pay
/// for the bookkeeping.
fn locate(text: &str, error: serde_json::Error) -> ParseError {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
    match WireContext::deserialize_object(tracked) {
        Err(inner) => ParseError::from_json(track.path().to_string(), inner),
        // The value itself was fine: the failure was trailing text after it.
        Ok(_) => ParseError::from_json(String::new(), error),
    }
}
