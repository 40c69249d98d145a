//! What third-party Dataverse clients send beyond the basics (the requests dynamics-web-api
//! makes for files, table definitions, aggregates, custom APIs and saved views), over HTTP, with
//! the shapes and errors of the real service.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dataverse_ironclad_sandbox::{Json, Sandbox};
use reqwest::Method;
use secrecy::ExposeSecret;

use super::{client, dv, json, start, text};

/// A request to the sandbox's control surface on the Dataverse listener.
fn control(sandbox: &Sandbox, method: Method, path: &str) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("{}_sandbox/{path}", sandbox.dataverse_url()))
        .bearer_auth(sandbox.dataverse_token().expose_secret())
}

#[tokio::test]
async fn a_file_column_reads_as_a_base64_property_in_ranges() {
    let sandbox = start().await;
    let announced = control(&sandbox, Method::PUT, "dataverse/files/chunk-size")
        .body(r#"{"bytes":4}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(announced.status(), 200);
    assert_eq!(json(announced).await.get("bytes").and_then(Json::as_number_text), Some("4"));
    let zero = control(&sandbox, Method::PUT, "dataverse/files/chunk-size")
        .body(r#"{"bytes":0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(zero.status(), 400);

    let agreement = sandbox
        .dataverse()
        .insert("cre6f_agreements", &Json::parse(r#"{"cre6f_name":"Property file"}"#).unwrap())
        .unwrap();
    let column = format!("cre6f_agreements({agreement})/cre6f_signeddocument");
    let started = dv(&sandbox, Method::PATCH, &format!("{column}?x-ms-file-name=signed.pdf"))
        .header("x-ms-transfer-mode", "chunked")
        .send()
        .await
        .unwrap();
    assert_eq!(started.headers()["x-ms-chunk-size"], "4");
    let location = started.headers()["Location"].to_str().unwrap().to_owned();
    // Chunks without x-ms-file-name (the session knows the name), as dynamics-web-api sends them.
    for (range, bytes, status) in
        [("bytes 0-3/6", &b"%PDF"[..], 206), ("bytes 4-5/6", &b"-1"[..], 204)]
    {
        let sent = client()
            .patch(&location)
            .bearer_auth(sandbox.dataverse_token().expose_secret())
            .header("Content-Type", "application/octet-stream")
            .header("Content-Range", range)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), status, "{range}");
    }

    let part = dv(&sandbox, Method::GET, &format!("{column}?size=full"))
        .header("Range", "bytes=2-4194305")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["Content-Disposition"], "attachment; filename=\"signed.pdf\"");
    assert_eq!(part.headers()["x-ms-file-name"], "signed.pdf");
    assert_eq!(part.headers()["x-ms-file-size"], "6");
    assert_eq!(part.headers()["Content-Range"], "bytes 2-5/6");
    assert!(part.headers()["Content-Type"].to_str().unwrap().starts_with("application/json"));
    let body = json(part).await;
    assert!(
        text(&body, "@odata.context")
            .ends_with(&format!("$metadata#cre6f_agreements({agreement})/cre6f_signeddocument"))
    );
    assert_eq!(STANDARD.decode(text(&body, "value")).unwrap(), b"DF-1");

    let whole = dv(&sandbox, Method::GET, &column).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(STANDARD.decode(text(&json(whole).await, "value")).unwrap(), b"%PDF-1");

    // An image column without a range or size still reads as its value.
    let account = sandbox.seeded().accounts[0];
    let image = dv(&sandbox, Method::GET, &format!("accounts({account})/entityimage"))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), 204);
}
