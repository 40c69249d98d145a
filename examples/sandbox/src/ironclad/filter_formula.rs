//! The `filter` query parameter of `GET /workflows` and `GET /records` (<https://developer.ironcladapp.com/reference/filter-query-param>).
//!
//! A formula over attribute ids: `Equals([counterpartyName], 'Harley Quinn')`, combined with
//! `And(…)`, `Or(…)`, `Not(…)`, plus `NotEqual`, `Contains`, `IsEmpty`, `IsNotEmpty`,
//! `GreaterThan(OrEqual)`, `LessThan(OrEqual)`. Strings take single or double quotes; a whole
//! formula may be wrapped in parentheses (seen in use, unverified). String comparison is exact; a
//! `monetaryAmount` compares by its amount. The date functions (`Date`, `Today`,
//! `RelativeDate`) are not emulated.

use std::cmp::Ordering;

use rest_client_core::json_decimal::parse_decimal_text;

use super::errors::IcError;
use crate::json::Json;

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Formula {
    Call(String, Vec<Formula>),
    Attribute(String),
    Text(String),
    Number(String),
    Bool(bool),
}

/// How deeply calls and parentheses may nest: parsing, checking and evaluating recurse once per
/// level, so an unbounded depth would let a short URL overflow the stack (sandbox limit, unverified).
const MAX_DEPTH: usize = 100;

/// Parse `text`.
pub(crate) fn parse(text: &str) -> Result<Formula, IcError> {
    let chars: Vec<char> = text.chars().collect();
    let mut parser = Parser { chars, pos: 0, depth: 0 };
    let formula = parser.expression()?;
    parser.skip_space();
    if parser.pos != parser.chars.len() {
        return Err(parser.error());
    }
    check(&formula)?;
    Ok(formula)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    /// Calls and parentheses open around the current position.
    depth: usize,
}

impl Parser {
    fn error(&self) -> IcError {
        IcError::invalid(format!("invalid filter formula at character {}", self.pos), "filter")
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        if self.chars.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// One level deeper: an expression inside parentheses or a call's arguments.
    fn nested(&mut self) -> Result<Formula, IcError> {
        if self.depth >= MAX_DEPTH {
            return Err(IcError::invalid(
                format!("filter formula nested deeper than {MAX_DEPTH} levels"),
                "filter",
            ));
        }
        self.depth += 1;
        let inner = self.expression();
        self.depth -= 1;
        inner
    }

    fn expression(&mut self) -> Result<Formula, IcError> {
        self.skip_space();
        match self.chars.get(self.pos).copied() {
            Some('(') => {
                self.pos += 1;
                let inner = self.nested()?;
                if !self.eat(')') {
                    return Err(self.error());
                }
                Ok(inner)
            }
            Some('[') => {
                self.pos += 1;
                let start = self.pos;
                while self.chars.get(self.pos).is_some_and(|c| *c != ']') {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                if !self.eat(']') || name.trim().is_empty() {
                    return Err(self.error());
                }
                Ok(Formula::Attribute(name.trim().to_owned()))
            }
            Some(quote @ ('\'' | '"')) => {
                self.pos += 1;
                let mut value = String::new();
                loop {
                    match self.chars.get(self.pos).copied() {
                        None => return Err(self.error()),
                        Some('\\') => {
                            value.extend(self.chars.get(self.pos + 1));
                            self.pos += 2;
                        }
                        Some(c) if c == quote => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) => {
                            value.push(c);
                            self.pos += 1;
                        }
                    }
                }
                Ok(Formula::Text(value))
            }
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let start = self.pos;
                self.pos += 1;
                while self.chars.get(self.pos).is_some_and(|c| c.is_ascii_digit() || *c == '.') {
                    self.pos += 1;
                }
                let number: String = self.chars[start..self.pos].iter().collect();
                parse_decimal_text(&number).ok_or_else(|| self.error())?;
                Ok(Formula::Number(number))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self.chars.get(self.pos).is_some_and(char::is_ascii_alphanumeric) {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                match name.as_str() {
                    "true" => return Ok(Formula::Bool(true)),
                    "false" => return Ok(Formula::Bool(false)),
                    _ => {}
                }
                if !self.eat('(') {
                    return Err(self.error());
                }
                let mut args = Vec::new();
                if !self.eat(')') {
                    loop {
                        args.push(self.nested()?);
                        if self.eat(')') {
                            break;
                        }
                        if !self.eat(',') {
                            return Err(self.error());
                        }
                    }
                }
                Ok(Formula::Call(name, args))
            }
            _ => Err(self.error()),
        }
    }
}

/// Known functions and their arity.
fn check(formula: &Formula) -> Result<(), IcError> {
    let Formula::Call(name, args) = formula else {
        return Err(IcError::invalid(
            "a filter must be a function call such as Equals([attribute], 'value')",
            "filter",
        ));
    };
    let arity_ok = match name.as_str() {
        "And" | "Or" => !args.is_empty(),
        "Not" | "IsEmpty" | "IsNotEmpty" => args.len() == 1,
        "Equals" | "NotEqual" | "Contains" | "GreaterThan" | "GreaterThanOrEqual" | "LessThan"
        | "LessThanOrEqual" => args.len() == 2,
        other => {
            return Err(IcError::invalid(format!("unsupported filter function {other}"), "filter"));
        }
    };
    if !arity_ok {
        return Err(IcError::invalid(format!("wrong number of arguments to {name}"), "filter"));
    }
    // Nested calls are checked too, so evaluation never meets a call with the wrong arity.
    args.iter().filter(|a| matches!(a, Formula::Call(..))).try_for_each(check)
}

/// A value a formula compares.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Empty,
    Text(String),
    Number(rust_decimal::Decimal),
    Bool(bool),
}

fn value_of(json: Option<&Json>) -> Value {
    match json {
        None | Some(Json::Null) => Value::Empty,
        Some(Json::String(s)) if s.is_empty() => Value::Empty,
        Some(Json::String(s)) => Value::Text(s.clone()),
        Some(Json::Number(n)) => parse_decimal_text(n).map_or(Value::Empty, Value::Number),
        Some(Json::Bool(b)) => Value::Bool(*b),
        Some(Json::Array(items)) if items.is_empty() => Value::Empty,
        Some(object @ Json::Object(_)) => match object.get("amount") {
            Some(amount) => value_of(Some(amount)),
            None => Value::Text(object.to_string()),
        },
        Some(other) => Value::Text(other.to_string()),
    }
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        (Value::Number(a), Value::Number(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Evaluate against an object's attributes, looked up by `lookup`.
pub(crate) fn matches<'a>(formula: &Formula, lookup: &impl Fn(&str) -> Option<&'a Json>) -> bool {
    let Formula::Call(name, args) = formula else { return false };
    let operand = |f: &Formula| match f {
        Formula::Attribute(id) => value_of(lookup(id)),
        Formula::Text(s) => Value::Text(s.clone()),
        Formula::Number(n) => parse_decimal_text(n).map_or(Value::Empty, Value::Number),
        Formula::Bool(b) => Value::Bool(*b),
        Formula::Call(..) => Value::Bool(matches(f, lookup)),
    };
    let pair = || (operand(&args[0]), operand(&args[1]));
    match name.as_str() {
        "And" => args.iter().all(|a| matches(a, lookup)),
        "Or" => args.iter().any(|a| matches(a, lookup)),
        "Not" => !matches(&args[0], lookup),
        "IsEmpty" => operand(&args[0]) == Value::Empty,
        "IsNotEmpty" => operand(&args[0]) != Value::Empty,
        "Equals" => {
            let (a, b) = pair();
            compare(&a, &b) == Some(Ordering::Equal)
        }
        "NotEqual" => {
            let (a, b) = pair();
            compare(&a, &b) != Some(Ordering::Equal)
        }
        "Contains" => match pair() {
            (Value::Text(a), Value::Text(b)) => a.contains(&b),
            _ => false,
        },
        "GreaterThan" => matches!(compare(&pair().0, &pair().1), Some(Ordering::Greater)),
        "GreaterThanOrEqual" => {
            matches!(compare(&pair().0, &pair().1), Some(Ordering::Greater | Ordering::Equal))
        }
        "LessThan" => matches!(compare(&pair().0, &pair().1), Some(Ordering::Less)),
        "LessThanOrEqual" => {
            matches!(compare(&pair().0, &pair().1), Some(Ordering::Less | Ordering::Equal))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::JsonObject;

    fn eval(formula: &str) -> bool {
        let attributes = JsonObject::new()
            .with("counterpartyName", "Harley Quinn")
            .with("dynamicsMsaId", "0b0f6b0e-1a2b-4c3d-8e9f-001122334455")
            .with(
                "totalContractValue",
                Json::parse(r#"{"currency":"USD","amount":125000.50}"#).unwrap(),
            );
        let parsed = parse(formula).unwrap();
        matches(&parsed, &|id| attributes.get(id))
    }

    #[test]
    fn formulas() {
        assert!(eval("Equals([counterpartyName], 'Harley Quinn')"));
        assert!(eval(r#"(Equals([counterpartyName], "Harley Quinn"))"#));
        assert!(!eval("Equals([counterpartyName], 'harley quinn')"));
        assert!(eval(
            "And(Equals([dynamicsMsaId], '0b0f6b0e-1a2b-4c3d-8e9f-001122334455'), GreaterThan([totalContractValue], 100000))"
        ));
        assert!(eval("Or(Equals([counterpartyName], 'x'), IsEmpty([missing]))"));
        assert!(eval("Not(Contains([counterpartyName], 'Joker'))"));
        assert!(eval("IsNotEmpty([counterpartyName])"));
    }

    #[test]
    fn bad_formulas_are_400s() {
        for bad in [
            "Equals([a], 'b'",
            "Equals([a])",
            "Frobnicate([a])",
            "[a]",
            "Equals([a], 'b') junk",
            "",
            "Equals(Not(), true)",
            "And(Equals([a], 'b'), Or())",
            &format!("{}Equals([a], 'b'){}", "Not(".repeat(20_000), ")".repeat(20_000)),
            &format!("{}Equals([a], 'b'){}", "(".repeat(20_000), ")".repeat(20_000)),
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(
                (err.code, err.param.as_deref()),
                ("INVALID_PARAM", Some("filter")),
                "{bad}"
            );
        }
    }
}
