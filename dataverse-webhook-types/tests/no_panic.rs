//! Property tests: no input makes the parser (or anything a receiver calls on its result)
//! panic, and exact values stay exact.

mod common;

use std::sync::OnceLock;

use common::exercise::parse_and_use;
use dataverse_webhook_types::{DataverseDateTime, RemoteExecutionContext, Value};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn fixtures() -> &'static [Vec<u8>] {
    static FIXTURES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FIXTURES
        .get_or_init(|| common::all_fixtures().iter().map(|name| common::fixture(name)).collect())
}

fn soak_cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(512)
}

/// One byte-level edit, with positions taken modulo the current length.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize, usize),
    Truncate(usize),
}

/// Bytes that matter to JSON and to this parser's dispatch.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b']'),
        Just(b'"'),
        Just(b'\\'),
        Just(b':'),
        Just(b','),
        Just(b'-'),
        Just(b'.'),
        Just(b'e'),
        Just(b'0'),
        Just(b'9'),
        Just(b'n'),
        Just(b'/'),
        any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), interesting_byte()).prop_map(|(at, byte)| Edit::Flip(at, byte)),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<usize>(), proptest::collection::vec(interesting_byte(), 1..16))
            .prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
        (any::<usize>(), 1usize..256, any::<usize>())
            .prop_map(|(from, len, to)| Edit::Duplicate(from, len, to)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let len = bytes.len().max(1);
        match edit {
            Edit::Flip(at, byte) => {
                if let Some(slot) = bytes.get_mut(at % len) {
                    *slot = *byte;
                }
            }
            Edit::Delete(at, count) => {
                let start = at % len;
                let end = (start + count).min(bytes.len());
                if start < end {
                    bytes.drain(start..end);
                }
            }
            Edit::Insert(at, inserted) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, inserted.iter().copied());
            }
            Edit::Duplicate(from, count, to) => {
                let start = from % len;
                let end = (start + count).min(bytes.len());
                let copy = bytes.get(start..end).unwrap_or_default().to_vec();
                let at = (to % len).min(bytes.len());
                bytes.splice(at..at, copy);
            }
            Edit::Truncate(at) => bytes.truncate(at % len),
        }
    }
    bytes
}

/// JSON values shaped like payload pieces: tags, ids, dates, numbers, nested objects.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        prop_oneof![
            Just("Entity:http://schemas.microsoft.com/xrm/2011/Contracts".to_owned()),
            Just("EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts".to_owned()),
            Just("OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts".to_owned()),
            Just("Money:http://schemas.microsoft.com/xrm/2011/Contracts".to_owned()),
            Just("EntityCollection:http://schemas.microsoft.com/xrm/2011/Contracts".to_owned()),
            Just("Guid:#System".to_owned()),
            Just("DateTime:#System".to_owned()),
            Just("KeyValuePairOfstringstring:#System.Collections.Generic".to_owned()),
            Just("6d81597f-0f9f-e711-8122-000d3aa2331c".to_owned()),
            "/Date\\(-?[0-9]{0,16}([+-][0-9]{4})?\\)/",
            "[ -~]{0,12}",
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("__type".to_owned()),
            Just("__value".to_owned()),
            Just("Value".to_owned()),
            Just("Id".to_owned()),
            Just("LogicalName".to_owned()),
            Just("Attributes".to_owned()),
            Just("FormattedValues".to_owned()),
            Just("Entities".to_owned()),
            Just("key".to_owned()),
            Just("value".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::vec((key, inner), 0..6)
                .prop_map(|pairs| serde_json::Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer in a document.
fn pointers(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{index}"), out);
            }
        }
        serde_json::Value::Object(members) => {
            for (key, item) in members {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                pointers(item, format!("{at}/{escaped}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

proptest! {
    // 512 cases per property on every test run; `PROPTEST_CASES=100000` for a longer soak.
    #![proptest_config(ProptestConfig { cases: soak_cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        parse_and_use(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\\n]{0,512}") {
        parse_and_use(text.as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(edit(), 1..8),
    ) {
        let original = which.get(fixtures()).clone();
        parse_and_use(&apply(original, &edits));
    }

    #[test]
    fn fixtures_with_a_value_replaced_never_panic(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        replacement in json_value(),
    ) {
        let mut document: serde_json::Value = serde_json::from_slice(which.get(fixtures()).as_slice()).unwrap();
        let mut all = Vec::new();
        pointers(&document, String::new(), &mut all);
        let pointer = at.get(&all).clone();
        if let Some(slot) = document.pointer_mut(&pointer) {
            *slot = replacement;
        }
        parse_and_use(serde_json::to_string(&document).unwrap().as_bytes());
    }

    #[test]
    fn money_is_exact_for_any_amount(mantissa in any::<i64>(), scale in 0u32..=10) {
        let amount = Decimal::new(mantissa, scale);
        let body = format!(
            r#"{{"MessageName":"Update","InputParameters":[{{"key":"Target","value":{{
               "__type":"Entity:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts","LogicalName":"account",
               "Attributes":[{{"key":"revenue","value":{{"__type":"Money:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts","Value":{amount}}}}},
                             {{"key":"rate","value":{amount}}}]}}}}]}}"#
        );
        let context = RemoteExecutionContext::from_slice(body.as_bytes()).unwrap();
        let attributes = &context.target_entity().unwrap().attributes;
        prop_assert_eq!(attributes.get("revenue"), Some(&Value::Money(amount)));
        let rate = attributes.get_decimal("rate").unwrap().value().unwrap();
        prop_assert_eq!(rate, amount);
        prop_assert_eq!(rate.to_string(), amount.to_string());
    }

    #[test]
    fn dates_keep_instant_and_offset(
        millis in -62_135_596_800_000i64..=253_402_300_799_999,
        sign in prop_oneof![Just('+'), Just('-')],
        hours in 0i8..=14,
        minutes in 0i8..=59,
    ) {
        let text = format!("/Date({millis}{sign}{hours:02}{minutes:02})/");
        let parsed = DataverseDateTime::parse(&text).unwrap();
        prop_assert_eq!(parsed.unix_millis(), millis);
        let offset = parsed.offset().unwrap();
        let factor = if sign == '-' { -1 } else { 1 };
        prop_assert_eq!(offset.whole_minutes(), factor * (i16::from(hours) * 60 + i16::from(minutes)));
        prop_assert_eq!(parsed.utc().unix_timestamp_nanos(), i128::from(millis) * 1_000_000);
    }
}
