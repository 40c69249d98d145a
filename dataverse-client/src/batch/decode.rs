//! Reading a `multipart/mixed` batch response.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::response::BatchResponse;
use crate::error::{Error, Result};

/// A top-level response part.
#[derive(Debug)]
pub(crate) enum Part {
    Http(BatchResponse),
    ChangeSet(Vec<BatchResponse>),
}

fn malformed(detail: &str) -> Error {
    Error::UnexpectedResponse(format!("malformed $batch response: {detail}"))
}

/// The `boundary` parameter of a `multipart/mixed` content type, unquoted.
pub(crate) fn boundary_of(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/mixed") {
        return None;
    }
    params.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Split a multipart body into its parts (each without the line break before the next
/// delimiter). Accepts CRLF and bare LF line endings.
fn split_parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<&'a [u8]>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + delimiter.len() <= body.len() {
        let at_line_start = i == 0 || body[i - 1] == b'\n';
        if at_line_start && &body[i..i + delimiter.len()] == delimiter {
            starts.push(i);
            i += delimiter.len();
        } else {
            i += 1;
        }
    }
    let mut parts = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let after = start + delimiter.len();
        if body[after..].starts_with(b"--") {
            return Ok(parts); // close delimiter
        }
        let Some(next) = starts.get(n + 1) else {
            return Err(malformed("missing close delimiter"));
        };
        // Skip the rest of the delimiter line.
        let line_end =
            body[after..*next].iter().position(|&b| b == b'\n').map_or(*next, |p| after + p + 1);
        let mut end = *next;
        if end > line_end && body[end - 1] == b'\n' {
            end -= 1;
            if end > line_end && body[end - 1] == b'\r' {
                end -= 1;
            }
        }
        parts.push(&body[line_end..end.max(line_end)]);
    }
    if starts.is_empty() {
        return Err(malformed("no parts"));
    }
    Err(malformed("missing close delimiter"))
}

/// Split a header block from its content at the first blank line.
fn split_head(part: &[u8]) -> (&[u8], &[u8]) {
    for i in 0..part.len() {
        if part[i..].starts_with(b"\r\n\r\n") {
            return (&part[..i], &part[i + 4..]);
        }
        if part[i..].starts_with(b"\n\n") {
            return (&part[..i], &part[i + 2..]);
        }
        if part[i..].starts_with(b"\n\r\n") {
            return (&part[..i], &part[i + 3..]);
        }
    }
    // A part with headers only (or content only when it starts with a blank line).
    if part.starts_with(b"\r\n") {
        return (&[], &part[2..]);
    }
    (part, &[])
}

fn parse_headers(block: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in String::from_utf8_lossy(block).lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        if let (Ok(name), Ok(value)) =
            (HeaderName::try_from(name.trim()), HeaderValue::try_from(value.trim()))
        {
            headers.append(name, value);
        }
    }
    headers
}

/// Parse one `application/http` part: MIME headers, then an HTTP response.
fn parse_http(mime_headers: &HeaderMap, content: &[u8]) -> Result<BatchResponse> {
    let content = trim_leading_newlines(content);
    let (head, body) = split_head(content);
    let head_text = String::from_utf8_lossy(head);
    let mut lines = head_text.lines();
    let status_line = lines.next().ok_or_else(|| malformed("empty response part"))?;
    let mut fields = status_line.split_whitespace();
    let version = fields.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(malformed(&format!("unexpected status line {status_line:?}")));
    }
    let status = fields
        .next()
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| malformed(&format!("unexpected status line {status_line:?}")))?;
    let header_block = head_text.split_once('\n').map_or("", |(_, rest)| rest);
    let headers = parse_headers(header_block.as_bytes());
    let content_id = mime_headers
        .get("content-id")
        .or_else(|| headers.get("content-id"))
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned());
    let body = trim_trailing_whitespace(body);
    Ok(BatchResponse::new(status, headers, Bytes::copy_from_slice(body), content_id))
}

fn trim_leading_newlines(mut bytes: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

fn trim_trailing_whitespace(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., last] = bytes {
        if last.is_ascii_whitespace() {
            bytes = rest;
        } else {
            break;
        }
    }
    bytes
}

/// Parse a whole batch response body.
pub(crate) fn decode(content_type: &str, body: &[u8]) -> Result<Vec<Part>> {
    let boundary = boundary_of(content_type).ok_or_else(|| {
        malformed(&format!("content type {content_type:?} has no multipart boundary"))
    })?;
    let mut parts = Vec::new();
    for raw in split_parts(body, &boundary)? {
        let (head, content) = split_head(raw);
        let mime = parse_headers(head);
        let part_type = mime.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if let Some(inner) = boundary_of(part_type) {
            let mut responses = Vec::new();
            for inner_raw in split_parts(content, &inner)? {
                let (inner_head, inner_content) = split_head(inner_raw);
                responses.push(parse_http(&parse_headers(inner_head), inner_content)?);
            }
            parts.push(Part::ChangeSet(responses));
        } else {
            parts.push(Part::Http(parse_http(&mime, content)?));
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_boundaries() {
        assert_eq!(
            boundary_of("multipart/mixed; boundary=batchresponse_1").as_deref(),
            Some("batchresponse_1")
        );
        assert_eq!(boundary_of("multipart/mixed;boundary=\"batch_x\"").as_deref(), Some("batch_x"));
        assert_eq!(boundary_of("application/json"), None);
    }

    #[test]
    fn parses_lf_only_bodies_and_changesets() {
        let body = "--b\nContent-Type: multipart/mixed; boundary=cs\n\n--cs\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: 1\n\nHTTP/1.1 204 No Content\nOData-Version: 4.0\nOData-EntityId: https://x/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)\n\n\n--cs--\n--b\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\nHTTP/1.1 200 OK\nContent-Type: application/json; odata.metadata=minimal\n\n{\"value\":[]}\n--b--\n";
        let parts = decode("multipart/mixed; boundary=b", body.as_bytes()).expect("parts");
        assert_eq!(parts.len(), 2);
        match &parts[0] {
            Part::ChangeSet(responses) => {
                assert_eq!(responses.len(), 1);
                assert_eq!(responses[0].status, StatusCode::NO_CONTENT);
                assert_eq!(responses[0].content_id.as_deref(), Some("1"));
                assert!(responses[0].body.is_empty());
            }
            other => panic!("{other:?}"),
        }
        match &parts[1] {
            Part::Http(response) => assert_eq!(&response.body[..], b"{\"value\":[]}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_truncated_bodies() {
        assert!(
            decode(
                "multipart/mixed; boundary=b",
                b"--b\nContent-Type: application/http\n\nHTTP/1.1 200 OK\n\n{}"
            )
            .is_err()
        );
        assert!(decode("multipart/mixed; boundary=b", b"no parts here").is_err());
        assert!(decode("multipart/mixed; boundary=b", b"--b\n\nnot http\n--b--").is_err());
    }
}
