//! Writing a `multipart/mixed` batch body.

use std::fmt::Write as _;

use super::request::{BatchRequest, ContentId};
use crate::client::Client;
use crate::error::{Error, Result};

/// One top-level entry of a batch.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    Single(Box<BatchRequest>),
    ChangeSet(Vec<(ContentId, BatchRequest)>),
}

impl Item {
    pub(crate) fn request_count(&self) -> usize {
        match self {
            Item::Single(_) => 1,
            Item::ChangeSet(requests) => requests.len(),
        }
    }
}

/// A boundary that does not occur in any body.
fn boundary(prefix: &str, bodies: &[&[u8]]) -> String {
    loop {
        let candidate = format!("{prefix}_{}", crate::http::random_uuid());
        let needle = candidate.as_bytes();
        if bodies.iter().all(|body| !body.windows(needle.len()).any(|w| w == needle)) {
            return candidate;
        }
    }
}

/// The body and its boundary (`batch_<uuid>`).
pub(crate) fn encode(client: &Client, items: &[Item]) -> Result<(String, Vec<u8>)> {
    let bodies: Vec<&[u8]> = items
        .iter()
        .flat_map(|item| match item {
            Item::Single(r) => vec![&**r],
            Item::ChangeSet(rs) => rs.iter().map(|(_, r)| r).collect(),
        })
        .filter_map(|r| r.body.as_deref())
        .collect();
    let batch_boundary = boundary("batch", &bodies);
    let mut out = Vec::with_capacity(bodies.iter().map(|b| b.len() + 256).sum::<usize>() + 64);
    for item in items {
        match item {
            Item::Single(request) => {
                if let Some(reference) = request.references().next() {
                    return Err(Error::ContentIdOutOfScope { reference });
                }
                write_line(&mut out, &format!("--{batch_boundary}"));
                write_part(&mut out, client, request, None)?;
            }
            Item::ChangeSet(requests) if requests.is_empty() => {}
            Item::ChangeSet(requests) => {
                let change_set_boundary = boundary("changeset", &bodies);
                write_line(&mut out, &format!("--{batch_boundary}"));
                write_line(
                    &mut out,
                    &format!("Content-Type: multipart/mixed; boundary=\"{change_set_boundary}\""),
                );
                write_line(&mut out, "");
                for (position, (id, request)) in requests.iter().enumerate() {
                    if request.is_get() {
                        return Err(Error::InvalidRequest(
                            "a change set cannot contain a GET request".to_owned(),
                        ));
                    }
                    // A reference must name a request earlier in this change set.
                    let earlier = &requests[..position];
                    if let Some(reference) =
                        request.references().find(|r| !earlier.iter().any(|(e, _)| e == r))
                    {
                        return Err(Error::ContentIdOutOfScope { reference });
                    }
                    write_line(&mut out, &format!("--{change_set_boundary}"));
                    write_part(&mut out, client, request, Some(*id))?;
                }
                write_line(&mut out, &format!("--{change_set_boundary}--"));
            }
        }
    }
    write_line(&mut out, &format!("--{batch_boundary}--"));
    Ok((batch_boundary, out))
}

fn write_line(out: &mut Vec<u8>, line: &str) {
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn write_part(
    out: &mut Vec<u8>,
    client: &Client,
    request: &BatchRequest,
    id: Option<ContentId>,
) -> Result<()> {
    let (target, prefer) = request.resolve(client)?;
    write_line(out, "Content-Type: application/http");
    write_line(out, "Content-Transfer-Encoding: binary");
    if let Some(id) = id {
        write_line(out, &format!("Content-ID: {}", id.value()));
    }
    write_line(out, "");
    write_line(out, &format!("{} {target} HTTP/1.1", request.method));
    let mut head = String::new();
    if request.body.is_some() {
        let content_type =
            if request.entity_body { "application/json; type=entry" } else { "application/json" };
        let _ = write!(head, "Content-Type: {content_type}\r\n");
    }
    if let Some(prefer) = prefer
        && !request.headers.contains_key("prefer")
    {
        let _ = write!(head, "Prefer: {prefer}\r\n");
    }
    for (name, value) in &request.headers {
        let value = value
            .to_str()
            .map_err(|_| Error::InvalidRequest(format!("header {name} is not text")))?;
        let _ = write!(head, "{}: {value}\r\n", canonical_name(name.as_str()));
    }
    out.extend_from_slice(head.as_bytes());
    write_line(out, "");
    if let Some(body) = &request.body {
        out.extend_from_slice(body);
    }
    write_line(out, "");
    Ok(())
}

/// `if-match` → `If-Match`, for readability of the body (header names are case-insensitive).
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        upper = c == '-';
    }
    out
}
