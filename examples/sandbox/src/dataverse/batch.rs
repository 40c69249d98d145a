//! `POST $batch`: several operations in one `multipart/mixed` request
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api>).
//!
//! - Each part is `application/http` with a request line (absolute URL, `/api/data/…`, or a
//!   `$n` Content-ID reference), its own headers and body; CRLF or bare LF line endings.
//! - A nested `multipart/mixed` part is a change set: its operations run as one transaction; a
//!   `Content-ID` names an operation's result, and `$n` stands for the created row in later URLs
//!   and in `@odata.bind` / `@odata.id` values of the same change set. GET is not allowed in a
//!   change set. At most 1000 operations.
//! - Without `Prefer: odata.continue-on-error` the batch stops at the first failed operation and
//!   answers 400; with it, every operation runs and the batch answers 200.
//! - A failed change set is rolled back and answered with only the failing operation's response,
//!   inside a `changesetresponse` (as the service does: the other operations of the change set
//!   get no response; see <https://github.com/MicrosoftDocs/powerapps-docs/issues/2843>).

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use uuid::Uuid;

use super::DataverseState;
use super::errors::DvError;
use super::handlers::dispatch;
use super::reply::Reply;
use super::request::ApiRequest;
use super::store::Store;

/// The most operations one batch may hold.
const MAX_OPERATIONS: usize = 1000;

/// One operation of the request.
#[derive(Debug, Clone)]
struct Operation {
    content_id: Option<String>,
    method: Method,
    target: String,
    headers: HeaderMap,
    body: String,
}

/// A top-level part.
#[derive(Debug, Clone)]
enum Part {
    Single(Operation),
    ChangeSet(Vec<Operation>),
}

fn bad(message: impl Into<String>) -> DvError {
    DvError::new(StatusCode::BAD_REQUEST, "0x0", message)
}

/// Answer a `$batch` request.
pub(crate) fn handle(
    state: &DataverseState,
    store: &mut Store,
    request: &ApiRequest,
) -> Result<Reply, DvError> {
    if request.method != Method::POST {
        return Err(DvError::no_resource(&request.full_uri()));
    }
    let content_type = request.header(header::CONTENT_TYPE).unwrap_or_default().to_owned();
    let boundary = boundary_of(&content_type).ok_or_else(|| {
        bad("The batch request must have a 'multipart/mixed' Content-Type with a boundary.")
    })?;
    let body = String::from_utf8_lossy(&request.body).into_owned();
    let parts = parse_parts(&body, &boundary)?;
    let operations: usize = parts
        .iter()
        .map(|p| match p {
            Part::Single(_) => 1,
            Part::ChangeSet(ops) => ops.len(),
        })
        .sum();
    if operations > MAX_OPERATIONS {
        return Err(bad(format!(
            "The batch holds {operations} operations; a batch may hold at most {MAX_OPERATIONS}."
        )));
    }

    let continue_on_error = request.prefs.continue_on_error;
    let response_boundary = format!("batchresponse_{}", Uuid::new_v4());
    let mut out = String::new();
    let mut failed = false;
    for part in parts {
        match part {
            Part::Single(operation) => {
                let reply = run(state, store, request, &operation, &[]);
                failed |= !reply.is_success();
                out.push_str(&format!("--{response_boundary}\r\n"));
                out.push_str(&http_part(None, &reply));
            }
            Part::ChangeSet(operations) => {
                let (replies, ok) = change_set(state, store, request, &operations);
                failed |= !ok;
                let changeset_boundary = format!("changesetresponse_{}", Uuid::new_v4());
                out.push_str(&format!(
                    "--{response_boundary}\r\nContent-Type: multipart/mixed; boundary={changeset_boundary}\r\n\r\n"
                ));
                for (content_id, reply) in replies {
                    out.push_str(&format!("--{changeset_boundary}\r\n"));
                    out.push_str(&http_part(content_id.as_deref(), &reply));
                }
                out.push_str(&format!("--{changeset_boundary}--\r\n"));
            }
        }
        if failed && !continue_on_error {
            break;
        }
    }
    out.push_str(&format!("--{response_boundary}--\r\n"));
    let status =
        if failed && !continue_on_error { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let mut reply =
        Reply::bytes(status, &format!("multipart/mixed; boundary={response_boundary}"), out);
    if continue_on_error {
        reply.header(HeaderName::from_static("preference-applied"), "odata.continue-on-error");
    }
    Ok(reply)
}

/// Run a change set as one transaction: every response on success, only the failing one
/// (after rolling back) on failure.
fn change_set(
    state: &DataverseState,
    store: &mut Store,
    request: &ApiRequest,
    operations: &[Operation],
) -> (Vec<(Option<String>, Reply)>, bool) {
    let snapshot = store.clone();
    let mut replies = Vec::new();
    let mut created: Vec<(String, String)> = Vec::new();
    for operation in operations {
        let reply = if operation.method == Method::GET {
            Reply::from(bad("GET operations are not allowed in a change set."))
        } else {
            run(state, store, request, operation, &created)
        };
        if !reply.is_success() {
            *store = snapshot;
            return (vec![(operation.content_id.clone(), reply)], false);
        }
        if let (Some(id), Some(entity)) =
            (&operation.content_id, reply.headers.get("odata-entityid"))
            && let Ok(entity) = entity.to_str()
        {
            created.push((format!("${id}"), entity.to_owned()));
        }
        replies.push((operation.content_id.clone(), reply));
    }
    (replies, true)
}

/// Run one operation, with `$n` references replaced by the rows created earlier.
fn run(
    state: &DataverseState,
    store: &mut Store,
    outer: &ApiRequest,
    operation: &Operation,
    created: &[(String, String)],
) -> Reply {
    let resolve = |text: &str| -> Result<String, DvError> {
        let Some(reference) =
            text.strip_prefix('$').filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        else {
            return Ok(text.to_owned());
        };
        let (number, rest) = reference
            .split_at(reference.find(|c: char| !c.is_ascii_digit()).unwrap_or(reference.len()));
        let url = created
            .iter()
            .find(|(name, _)| name[1..] == *number)
            .map(|(_, url)| url.clone())
            .ok_or_else(|| {
                bad(format!(
                    "Content-ID Reference: '${number}' does not exist in the batch context."
                ))
            })?;
        Ok(format!("{url}{rest}"))
    };
    let target = match resolve(&operation.target) {
        Ok(target) => target,
        Err(error) => return error.into(),
    };
    let mut body = operation.body.clone();
    // Longest names first, so `$10` is not read as `$1` followed by `0`.
    let mut references: Vec<&(String, String)> = created.iter().collect();
    references.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    for (name, url) in references {
        body = body.replace(&format!("\"{name}\""), &format!("\"{url}\""));
    }
    let (path, query) = match split_target(&target, outer) {
        Ok(parts) => parts,
        Err(error) => return error.into(),
    };
    let inner = ApiRequest::new(
        operation.method.clone(),
        path,
        query,
        operation.headers.clone(),
        bytes::Bytes::from(body),
        outer.origin.clone(),
    );
    let mut reply = dispatch(state, store, &inner).unwrap_or_else(Reply::from);
    if let Some(entity) = reply.headers.get("odata-entityid").cloned() {
        reply.headers.insert(header::LOCATION, entity);
    }
    reply
}

/// The path and query of an operation's URL: absolute, `/api/data/…`, or relative to the
/// service root.
fn split_target(target: &str, outer: &ApiRequest) -> Result<(String, Option<String>), DvError> {
    let relative = if let Some(rest) =
        target.strip_prefix("http://").or_else(|| target.strip_prefix("https://"))
    {
        rest.find('/').map_or("/", |at| &rest[at..]).to_owned()
    } else if target.starts_with('/') {
        target.to_owned()
    } else {
        format!("/api/data/{}/{target}", outer.version)
    };
    if !relative.starts_with("/api/data/") {
        return Err(bad(format!("The URL '{target}' of a batch operation is not a Web API URL.")));
    }
    Ok(match relative.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (relative, None),
    })
}

/// `boundary=…` of a multipart content type (quoted or not).
fn boundary_of(content_type: &str) -> Option<String> {
    if !content_type.to_ascii_lowercase().starts_with("multipart/mixed") {
        return None;
    }
    content_type.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        (name.trim().eq_ignore_ascii_case("boundary"))
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Split a multipart body into the texts between its delimiter lines.
fn split_multipart<'a>(body: &'a str, boundary: &str) -> Result<Vec<&'a str>, DvError> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut current_start: Option<usize> = None;
    let mut offset = 0;
    let mut closed = false;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_end_matches(['\r', '\n']).trim_end();
        if trimmed == delimiter || trimmed == format!("{delimiter}--") {
            if let Some(start) = current_start {
                parts.push(&body[start..offset]);
            }
            if trimmed.ends_with("--") && trimmed.len() == delimiter.len() + 2 {
                closed = true;
                break;
            }
            current_start = Some(offset + line.len());
        }
        offset += line.len();
    }
    if !closed {
        return Err(bad(format!(
            "The multipart body does not end with the closing delimiter '{delimiter}--'."
        )));
    }
    Ok(parts)
}

/// Header lines up to the first blank line, and the rest.
fn split_headers(text: &str) -> (Vec<(String, String)>, &str) {
    let mut headers = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']);
        offset += line.len();
        if content.trim().is_empty() {
            if headers.is_empty() {
                continue; // blank lines before the headers
            }
            return (headers, &text[offset..]);
        }
        match content.split_once(':') {
            Some((name, value)) => headers.push((name.trim().to_owned(), value.trim().to_owned())),
            None => {
                // Not a header: the headers ended without a blank line.
                return (headers, &text[offset - line.len()..]);
            }
        }
    }
    (headers, &text[offset..])
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn parse_parts(body: &str, boundary: &str) -> Result<Vec<Part>, DvError> {
    let mut parts = Vec::new();
    for text in split_multipart(body, boundary)? {
        let (headers, rest) = split_headers(text);
        let content_type = header_value(&headers, "Content-Type").unwrap_or_default();
        if let Some(changeset_boundary) = boundary_of(content_type) {
            let mut operations = Vec::new();
            for inner in split_multipart(rest, &changeset_boundary)? {
                let (inner_headers, http) = split_headers(inner);
                operations.push(operation(&inner_headers, http)?);
            }
            parts.push(Part::ChangeSet(operations));
        } else {
            parts.push(Part::Single(operation(&headers, rest)?));
        }
    }
    Ok(parts)
}

/// Parse the `application/http` request of a part.
fn operation(part_headers: &[(String, String)], http: &str) -> Result<Operation, DvError> {
    let http = http.trim_start_matches(['\r', '\n']);
    let (request_line, rest) = http.split_once('\n').unwrap_or((http, ""));
    let mut words = request_line.split_whitespace();
    let (method, target) = match (words.next(), words.next()) {
        (Some(method), Some(target)) => (method, target),
        _ => {
            return Err(bad(format!(
                "The batch operation's request line '{}' is not valid.",
                request_line.trim()
            )));
        }
    };
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| bad(format!("Unknown method '{method}'.")))?;
    let (request_headers, body) = split_headers(rest);
    let mut headers = HeaderMap::new();
    for (name, value) in &request_headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value))
        {
            headers.append(name, value);
        }
    }
    let content_id = header_value(part_headers, "Content-ID")
        .or_else(|| header_value(&request_headers, "Content-ID"))
        .map(str::to_owned);
    Ok(Operation {
        content_id,
        method,
        target: target.to_owned(),
        headers,
        body: body.trim_end_matches(['\r', '\n']).to_owned(),
    })
}

/// One response part: MIME headers, then the HTTP response.
fn http_part(content_id: Option<&str>, reply: &Reply) -> String {
    let mut out =
        String::from("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
    if let Some(id) = content_id {
        out.push_str(&format!("Content-ID: {id}\r\n"));
    }
    let reason = reply.status.canonical_reason().unwrap_or("");
    out.push_str(&format!("\r\nHTTP/1.1 {} {reason}\r\n", reply.status.as_u16()));
    out.push_str("OData-Version: 4.0\r\n");
    if !reply.is_success() {
        out.push_str(&format!("REQ_ID: {}\r\n", Uuid::new_v4()));
    }
    for (name, value) in &reply.headers {
        if let Ok(value) = value.to_str() {
            out.push_str(&format!("{}: {value}\r\n", canonical(name.as_str())));
        }
    }
    out.push_str("\r\n");
    out.push_str(&String::from_utf8_lossy(&reply.body));
    out.push_str("\r\n");
    out
}

/// Header names as the service writes them (`OData-EntityId`, `Content-Type`).
fn canonical(name: &str) -> String {
    match name {
        "odata-entityid" => "OData-EntityId".to_owned(),
        "odata-version" => "OData-Version".to_owned(),
        "preference-applied" => "Preference-Applied".to_owned(),
        "etag" => "ETag".to_owned(),
        other => other
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_and_parts_with_crlf_or_lf() {
        assert_eq!(
            boundary_of("multipart/mixed; boundary=\"batch_1\"").as_deref(),
            Some("batch_1")
        );
        assert_eq!(boundary_of("multipart/mixed;boundary=batch_2").as_deref(), Some("batch_2"));
        assert_eq!(boundary_of("application/json"), None);
        let body = "--b\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\nGET /api/data/v9.2/accounts?$select=name HTTP/1.1\nAccept: application/json\n\n--b\r\nContent-Type: multipart/mixed;boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\nPOST http://h/api/data/v9.2/accounts HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"name\":\"a\"}\r\n--c--\r\n--b--\r\n";
        let parts = parse_parts(body, "b").unwrap();
        let Part::Single(get) = &parts[0] else { panic!("{parts:?}") };
        assert_eq!(
            (get.method.as_str(), get.target.as_str()),
            ("GET", "/api/data/v9.2/accounts?$select=name")
        );
        let Part::ChangeSet(set) = &parts[1] else { panic!("{parts:?}") };
        assert_eq!(set[0].content_id.as_deref(), Some("1"));
        assert_eq!(set[0].body, "{\"name\":\"a\"}");
        assert_eq!(set[0].headers[header::CONTENT_TYPE], "application/json");
        assert!(parse_parts("--b\nGET x HTTP/1.1\n", "b").is_err(), "no closing delimiter");
    }

    #[test]
    fn a_get_without_a_blank_line_before_the_next_delimiter() {
        let body = "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET http://h/api/data/v9.2/accounts HTTP/1.1\r\nAccept: application/json\r\n--b--\r\n";
        let parts = parse_parts(body, "b").unwrap();
        let Part::Single(get) = &parts[0] else { panic!() };
        assert_eq!(get.headers[header::ACCEPT], "application/json");
        assert_eq!(get.body, "");
    }
}
