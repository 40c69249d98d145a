//! The three webhook authentication types of a registered Dataverse webhook.

use crate::support::{Receiver, fixture};

const BODY: &str = "power_automate_create.json";

/// `(query string, headers, the reason expected)` of one failing attempt.
type Attempt<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

fn config(auth: &str) -> String {
    format!("[[connections]]\nid = \"c1\"\nauto_create = true\n[connections.auth]\n{auth}\n")
}

/// Every failing attempt is 401, names what is wrong (never the secret), and is logged; the
/// right credentials are accepted.
async fn check(
    receiver: &Receiver,
    failures: &[Attempt<'_>],
    success: (&str, &[(&str, &str)]),
    secret: &str,
) {
    for (query, headers, reason) in failures {
        let reply = receiver
            .post_with(&format!("/api/crm/webhook/dynamics/c1{query}"), fixture(BODY), headers)
            .await;
        assert_eq!(reply.status, 401, "{query} {headers:?}: {reply:?}");
        assert_eq!(reply.error(), "unauthorized");
        assert_eq!(reply.json["message"], format!("unauthorized: {reason}"));
        assert!(!reply.json.to_string().contains(secret));
    }
    let (query, headers) = success;
    let reply = receiver
        .post_with(&format!("/api/crm/webhook/dynamics/c1{query}"), fixture(BODY), headers)
        .await;
    assert_eq!((reply.status, reply.outcome()), (200, "created"), "{reply:?}");

    let log = receiver.log("c1", 100).await;
    assert_eq!(log.len(), failures.len() + 1);
    assert!(
        log[1..].iter().all(|entry| entry["status"] == 401 && entry["error"] == "unauthorized")
    );
    assert!(!serde_json::to_string(&log).unwrap().contains(secret), "the log never holds a secret");
}

#[tokio::test]
async fn http_header() {
    let receiver = Receiver::start(&config(
        "type = \"HttpHeader\"\nheaders = { \"x-api-key\" = \"h3ader-s3cret\" }",
    ))
    .await;
    check(
        &receiver,
        &[
            ("", &[], "missing header `x-api-key`"),
            ("", &[("x-api-key", "guess")], "header `x-api-key` does not match"),
            ("?x-api-key=h3ader-s3cret", &[], "missing header `x-api-key`"),
        ],
        ("", &[("X-Api-Key", "h3ader-s3cret")]),
        "h3ader-s3cret",
    )
    .await;
    receiver.stop().await;
}

#[tokio::test]
async fn webhook_key() {
    let receiver = Receiver::start(&config("type = \"WebhookKey\"\nkey = \"k3y+s3cret/==\"")).await;
    check(
        &receiver,
        &[
            ("", &[], "missing query parameter `code`"),
            ("?code=wrong", &[], "query parameter `code` does not match"),
            ("?key=k3y%2Bs3cret%2F%3D%3D", &[], "missing query parameter `code`"),
        ],
        // Dataverse appends ?code=<value>; percent-encoded here.
        ("?code=k3y%2Bs3cret%2F%3D%3D", &[]),
        "k3y+s3cret",
    )
    .await;
    receiver.stop().await;
}

#[tokio::test]
async fn http_query_string() {
    let receiver = Receiver::start(&config(
        "type = \"HttpQueryString\"\nparameters = { token = \"q-s3cret\", tenant = \"contoso\" }",
    ))
    .await;
    check(
        &receiver,
        &[
            ("?token=q-s3cret", &[], "missing query parameter `tenant`"),
            ("?tenant=contoso&token=nope", &[], "query parameter `token` does not match"),
            (
                "",
                &[("token", "q-s3cret"), ("tenant", "contoso")],
                "missing query parameter `tenant`",
            ),
        ],
        ("?tenant=contoso&token=q-s3cret", &[]),
        "q-s3cret",
    )
    .await;
    receiver.stop().await;
}

#[tokio::test]
async fn credentials_are_checked_before_the_body_is_read() {
    let receiver = Receiver::start(&config("type = \"WebhookKey\"\nkey = \"k\"")).await;
    // Not JSON and over no limit: still 401, because the body is never looked at.
    let reply = receiver.post_with("/api/crm/webhook/dynamics/c1", "not json", &[]).await;
    assert_eq!(reply.status, 401);
    receiver.stop().await;
}
