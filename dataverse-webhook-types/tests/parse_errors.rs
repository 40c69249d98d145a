//! Bad input gets a typed error naming what was wrong, never a panic.

mod common;

use common::fixture;
use dataverse_webhook_types::{ParseErrorKind, RemoteExecutionContext, Value};

const ENTITY: &str = r#""__type":"Entity:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts""#;

fn error_of(body: &[u8]) -> dataverse_webhook_types::ParseError {
    match RemoteExecutionContext::from_slice(body) {
        Ok(context) => {
            panic!("{} should not parse, got {context:?}", String::from_utf8_lossy(body))
        }
        Err(error) => error,
    }
}

#[test]
fn errors_name_the_kind_the_path_and_the_problem() {
    let table: &[(&str, ParseErrorKind, Option<&str>, &str)] = &[
        ("", ParseErrorKind::Empty, None, "the body is empty"),
        (" \n\t ", ParseErrorKind::Empty, None, "the body is empty"),
        ("not json", ParseErrorKind::Syntax, None, "expected ident"),
        (
            "[1, 2]",
            ParseErrorKind::Data,
            None,
            "expected a webhook payload (a JSON object with MessageName)",
        ),
        ("{}", ParseErrorKind::Data, None, "missing field `MessageName`"),
        (
            r#"{"MessageName": 5}"#,
            ParseErrorKind::Data,
            Some("MessageName"),
            "invalid type: integer `5`",
        ),
        (
            r#"{"MessageName": null}"#,
            ParseErrorKind::Data,
            Some("MessageName"),
            "invalid type: null",
        ),
        (
            r#"{"MessageName":"Update","PrimaryEntityId":"nope"}"#,
            ParseErrorKind::Data,
            Some("PrimaryEntityId"),
            "not a GUID",
        ),
        (
            r#"{"MessageName":"Update","OperationCreatedOn":"\/Date(soon)\/"}"#,
            ParseErrorKind::Data,
            Some("OperationCreatedOn"),
            "not a Dataverse date",
        ),
        (
            r#"{"MessageName":"Update","Mode":"fast"}"#,
            ParseErrorKind::Data,
            Some("Mode"),
            "not an integer",
        ),
        (
            r#"{"MessageName":"Update","Depth":1.5}"#,
            ParseErrorKind::Data,
            Some("Depth"),
            "expected an integer",
        ),
        (
            r#"{"MessageName":"Update","IsInTransaction":"maybe"}"#,
            ParseErrorKind::Data,
            Some("IsInTransaction"),
            "not a boolean",
        ),
        (
            r#"{"MessageName":"Update","InputParameters":{"Target":{}}}"#,
            ParseErrorKind::Data,
            Some("InputParameters"),
            "expected an array of {\"key\", \"value\"} objects",
        ),
        (
            r#"{"MessageName":"Update","InputParameters":[{"value":1}]}"#,
            ParseErrorKind::Data,
            Some("InputParameters[0]"),
            "missing field `key`",
        ),
        (
            r#"{"MessageName":"Update","InputParameters":[{"key":"Target","value":42.5}]}"#,
            ParseErrorKind::Data,
            Some("InputParameters[0].value"),
            "expected an Entity, EntityReference or EntityCollection object",
        ),
        (
            r#"{"MessageName":"Update","OwningExtension":[]}"#,
            ParseErrorKind::Data,
            Some("OwningExtension"),
            "not an EntityReference object",
        ),
        (
            r#"{"MessageName":"Update","PostEntityImages":[{"key":"img","value":5}]}"#,
            ParseErrorKind::Data,
            Some("PostEntityImages[0].value"),
            "expected an Entity object",
        ),
        (
            r#"{"MessageName":"Update"} trailing"#,
            ParseErrorKind::Syntax,
            None,
            "trailing characters",
        ),
        (r#"{"MessageName":"Upd"#, ParseErrorKind::Eof, Some("MessageName"), "EOF while parsing"),
    ];
    for (body, kind, path, message) in table {
        let error = error_of(body.as_bytes());
        assert_eq!(error.kind(), *kind, "{body}: {error}");
        assert_eq!(error.path(), *path, "{body}: {error}");
        assert!(error.message().contains(message), "{body}: {error}");
        assert!(error.to_string().starts_with("invalid webhook payload"), "{error}");
    }
}

#[test]
fn a_malformed_target_entity_is_rejected_at_its_path() {
    let body = format!(
        r#"{{"MessageName":"Update","InputParameters":[{{"key":"Target","value":{{{ENTITY},"Attributes":"oops"}}}}]}}"#
    );
    let error = error_of(body.as_bytes());
    assert_eq!(error.path(), Some("InputParameters[0].value.Attributes"), "{error}");
    assert!(error.message().contains("invalid type: string \"oops\""), "{error}");
    assert_eq!((error.line(), error.column() > 0), (1, true));

    let bad_id = format!(
        r#"{{"MessageName":"Update","InputParameters":[{{"key":"Target","value":{{{ENTITY},"Id":"x"}}}}]}}"#
    );
    let error = error_of(bad_id.as_bytes());
    assert_eq!(error.path(), Some("InputParameters[0].value.Id"), "{error}");
    assert_eq!(error.message(), "not a GUID", "{error}");

    let malformed_reference = r#"{"MessageName":"Delete","InputParameters":[{"key":"Target","value":
        {"__type":"EntityReference:x","Id":"not-a-guid","LogicalName":"contact"}}]}"#;
    let error = error_of(malformed_reference.as_bytes());
    assert_eq!(error.path(), Some("InputParameters[0].value"), "{error}");
    assert!(error.message().contains("does not fit its `__type`"), "{error}");
}

#[test]
fn encoding_problems_are_reported_and_a_byte_order_mark_is_accepted() {
    let error = error_of(b"{\"MessageName\":\"Upd\xffate\"}");
    assert_eq!(error.kind(), ParseErrorKind::Encoding);
    assert_eq!(error.message(), "the body is not UTF-8 (invalid byte at offset 19)");

    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&fixture("sample_a_update.json"));
    let context = RemoteExecutionContext::from_slice(&with_bom).unwrap();
    assert_eq!(context.message_name, "Update");
}

#[test]
fn truncating_a_real_payload_anywhere_is_an_error_not_a_panic() {
    let body = fixture("sample_b_create.json");
    for end in (0..body.len() - 2).step_by(7) {
        let error = error_of(&body[..end]);
        assert!(
            matches!(
                error.kind(),
                ParseErrorKind::Eof | ParseErrorKind::Empty | ParseErrorKind::Syntax
            ),
            "cut at {end}: {error}"
        );
    }
}

#[test]
fn deep_nesting_is_bounded() {
    // Inside a value, nesting past 32 levels is kept as raw JSON: no recursion trouble and no
    // error, however deep (the raw capture itself does not recurse).
    let deep_value = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
    let body = format!(
        r#"{{"MessageName":"Update","InputParameters":[{{"key":"Target","value":{{{ENTITY},
        "Attributes":[{{"key":"deep","value":{deep_value}}}]}}}}]}}"#
    );
    let context = RemoteExecutionContext::from_slice(body.as_bytes()).unwrap();
    let mut current = context.target_entity().unwrap().attributes.get("deep").unwrap();
    let mut levels = 0;
    while let Value::Array(items) = current {
        levels += 1;
        current = items.first().expect("one item per level");
    }
    assert_eq!(levels, 31, "levels read before the rest is kept raw");
    let rest = current.as_raw_json().expect("the rest is raw JSON");
    assert_eq!(rest.len(), 2 * (2000 - 31));

    // Structure that is read directly (objects, ParentContext chains) hits serde_json's
    // recursion limit: an error, not a stack overflow.
    let mut chain = String::from("null");
    for _ in 0..200 {
        chain = format!(r#"{{"MessageName":"Update","ParentContext":{chain}}}"#);
    }
    let error = error_of(chain.as_bytes());
    assert_eq!(error.message(), "more than 32 nested ParentContext levels", "{error}");
    assert_eq!(error.path().map(|path| path.matches("ParentContext").count()), Some(33));
    // The depth count is per parse: a good payload right after still reads.
    let fine = RemoteExecutionContext::from_slice(
        br#"{"MessageName":"Update","ParentContext":{"MessageName":"Create"}}"#,
    );
    assert_eq!(fine.unwrap().parent_context.unwrap().message_name, "Create");
    let mut short_chain = String::from("null");
    for depth in 0..8 {
        short_chain =
            format!(r#"{{"MessageName":"Update","Depth":{depth},"ParentContext":{short_chain}}}"#);
    }
    let context = RemoteExecutionContext::from_slice(short_chain.as_bytes()).unwrap();
    assert_eq!(context.depth, Some(7));
    assert_eq!(context.parent_context.unwrap().depth, Some(6));
}

/// The deepest payloads that are read (32 nested contexts; a Target nested until the value
/// nesting limit) parse on a 512 KiB stack even in a debug build: a quarter of what a tokio
/// worker thread has.
#[test]
fn maximal_nesting_fits_a_small_stack() {
    let mut chain = String::from("null");
    for _ in 0..32 {
        chain = format!(r#"{{"MessageName":"Update","ParentContext":{chain}}}"#);
    }
    let mut deep_target = String::from("1");
    for _ in 0..60 {
        deep_target = format!(
            r#"{{"__type":"Entity:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts","Attributes":[{{"key":"a","value":{deep_target}}}]}}"#
        );
    }
    let nested_target = format!(
        r#"{{"MessageName":"Update","InputParameters":[{{"key":"Target","value":{deep_target}}}]}}"#
    );
    let worker = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let chain =
                RemoteExecutionContext::from_slice(chain.as_bytes()).map(|c| c.message_name);
            let nested = RemoteExecutionContext::from_slice(nested_target.as_bytes())
                .map(|c| c.message_name);
            (chain, nested)
        })
        .unwrap();
    let (chain, nested) = worker.join().expect("no stack overflow");
    assert_eq!(chain.unwrap(), "Update");
    assert_eq!(nested.unwrap(), "Update");
}
