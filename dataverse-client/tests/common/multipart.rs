//! `multipart/mixed` helpers for `$batch` tests: response bodies in the documented format and
//! request bodies with their random boundaries normalized.

use wiremock::{Request, ResponseTemplate};

use super::API;

/// The request body with its random boundaries replaced by `BATCH` and `CHANGESET`.
pub fn normalized_body(request: &Request) -> String {
    let content_type =
        request.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let batch = content_type
        .split("boundary=")
        .nth(1)
        .map(|b| b.trim_matches('"').to_owned())
        .unwrap_or_default();
    let mut body = String::from_utf8_lossy(&request.body).replace(&batch, "BATCH");
    // Change-set boundaries are `changeset_<uuid>`.
    while let Some(start) = body.find("changeset_") {
        let end = (start + "changeset_".len() + 36).min(body.len());
        let boundary = body[start..end].to_owned();
        body = body.replace(&boundary, "CHANGESET");
    }
    body
}

pub fn multipart(boundary: &str, parts: &[String]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(&format!("--{boundary}\r\n{part}\r\n"));
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out
}

pub fn http_part(
    status_line: &str,
    headers: &[(&str, &str)],
    body: &str,
    content_id: Option<u32>,
) -> String {
    let mut part =
        String::from("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
    if let Some(id) = content_id {
        part.push_str(&format!("Content-ID: {id}\r\n"));
    }
    part.push_str(&format!("\r\nHTTP/1.1 {status_line}\r\n"));
    for (name, value) in headers {
        part.push_str(&format!("{name}: {value}\r\n"));
    }
    part.push_str("\r\n");
    part.push_str(body);
    part
}

pub fn created(entity_set: &str, id: &str, content_id: Option<u32>) -> String {
    let url = format!("https://contoso.crm.dynamics.com{API}/{entity_set}({id})");
    http_part(
        "204 No Content",
        &[("OData-Version", "4.0"), ("Location", &url), ("OData-EntityId", &url)],
        "",
        content_id,
    )
}

pub fn batch_response(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("OData-Version", "4.0")
        .set_body_raw(body.into_bytes(), &format!("multipart/mixed; boundary={BOUNDARY}"))
}

pub const BOUNDARY: &str = "batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f";
