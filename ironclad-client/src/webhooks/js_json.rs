//! `JSON.stringify` as Node.js would write a parsed body, for signature verification.
//!
//! Ironclad signs `JSON.stringify(body)`
//! (<https://developer.ironcladapp.com/reference/webhook-verification>). When the raw bytes and serde_json's
//! compact form both fail to verify, this form is the last candidate. It differs from serde_json
//! where JavaScript does: integer-like object keys come first in ascending order, numbers are
//! written as JavaScript doubles (`1` not `1.0`, `1e+21`, `1e-7`), and control characters
//! are escaped as `\u00xx`.

use serde_json::{Map, Number, Value};

/// The compact `JSON.stringify` text of `value`.
pub(crate) fn stringify(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(map, out),
    }
}

fn write_object(map: &Map<String, Value>, out: &mut String) {
    // JavaScript orders array-index keys (canonical integers below 2^32 - 1) first, ascending,
    // then the other keys in insertion order.
    let mut index_keys: Vec<(u32, &String, &Value)> = Vec::new();
    let mut other_keys: Vec<(&String, &Value)> = Vec::new();
    for (key, value) in map {
        match array_index(key) {
            Some(index) => index_keys.push((index, key, value)),
            None => other_keys.push((key, value)),
        }
    }
    index_keys.sort_by_key(|(index, _, _)| *index);
    out.push('{');
    let entries = index_keys.into_iter().map(|(_, k, v)| (k, v)).chain(other_keys);
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        write_value(value, out);
    }
    out.push('}');
}

fn array_index(key: &str) -> Option<u32> {
    if key.is_empty()
        || (key.len() > 1 && key.starts_with('0'))
        || !key.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    key.parse::<u32>().ok().filter(|index| *index != u32::MAX)
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_number(n: &Number, out: &mut String) {
    const MAX_SAFE: u64 = 1 << 53;
    if let Some(i) = n.as_u64().filter(|i| *i <= MAX_SAFE) {
        out.push_str(&i.to_string());
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_SAFE) {
        out.push_str(&i.to_string());
    } else if let Some(f) = n.as_f64() {
        out.push_str(&js_double(f));
    } else {
        out.push_str(&n.to_string());
    }
}

/// `Number.prototype.toString()` of a finite double (ECMAScript `Number::toString`).
fn js_double(value: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    if !value.is_finite() {
        return "null".into();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    // Rust's `{:e}` is the shortest round-trip form: `d[.ddd]e<exp>`.
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exponent + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let exp_sign = if n > 0 { "+" } else { "-" };
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        format!("{first}{fraction}e{exp_sign}{}", (n - 1).abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            (1.0, "1"),
            (1.5, "1.5"),
            (-0.25, "-0.25"),
            (100.0, "100"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (0.000001, "0.000001"),
            (123.456, "123.456"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (value, expected) in cases {
            assert_eq!(js_double(value), expected, "{value}");
        }
    }

    #[test]
    fn objects_and_strings_follow_javascript_rules() {
        let value: Value =
            serde_json::from_str(r#"{"b":1.0,"2":"x","10":"y","a":"\u0001\n\"é","01":true}"#)
                .unwrap();
        assert_eq!(stringify(&value), r#"{"2":"x","10":"y","b":1,"a":"\u0001\n\"é","01":true}"#);
        let big: Value =
            serde_json::from_str(r#"[18446744073709551615,-9007199254740993,9007199254740992]"#)
                .unwrap();
        assert_eq!(stringify(&big), "[18446744073709552000,-9007199254740992,9007199254740992]");
    }
}
