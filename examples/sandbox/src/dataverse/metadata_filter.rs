//! `$filter` on metadata definitions (`EntityDefinitions`, their `Attributes` and relationships,
//! `RelationshipDefinitions`): comparisons of primitive and enumeration properties, one level of
//! complex property (`CanCreateAttributes/Value`), with `and`, `or`, `not` and parentheses
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api>).
//!
//! Enumeration values are written with their type's namespace,
//! `AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist'`, and compare with the
//! member name the definition carries. Query functions (`contains`, …) are refused.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::errors::DvError;
use crate::json::{Json, JsonObject};

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MetadataFilter {
    And(Box<MetadataFilter>, Box<MetadataFilter>),
    Or(Box<MetadataFilter>, Box<MetadataFilter>),
    Not(Box<MetadataFilter>),
    Compare { path: Vec<String>, op: Op, value: Literal },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Text(String),
    Bool(bool),
    Number(Decimal),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    /// A quoted string, with the type name written before it (`Ns.Type'Value'`), if any.
    Quoted(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, DvError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '\'' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            value.push('\'');
                        }
                        Some('\'') => break,
                        Some(other) => value.push(other),
                        None => return Err(DvError::query_syntax()),
                    }
                }
                // `Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist'`: the type name goes.
                if matches!(out.last(), Some(Token::Word(w)) if w.contains('.')) {
                    out.pop();
                }
                out.push(Token::Quoted(value));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if matches!(c, ' ' | '\t' | '(' | ')' | '\'') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    /// How deeply parentheses and `not` nest here (each level is a recursive call).
    depth: usize,
    /// Whether a first path segment is a property of the definitions filtered.
    known: &'a dyn Fn(&str) -> bool,
    type_name: &'a str,
}

impl Parser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w == word)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or(&mut self) -> Result<MetadataFilter, DvError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = MetadataFilter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<MetadataFilter, DvError> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.at += 1;
            left = MetadataFilter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    /// Parse one level deeper, refusing to go past [`MAX_DEPTH`](super::filter::MAX_DEPTH), as
    /// row filters do: a URL of nested parentheses must not overflow the stack.
    fn nested(
        &mut self,
        parse: fn(&mut Self) -> Result<MetadataFilter, DvError>,
    ) -> Result<MetadataFilter, DvError> {
        if self.depth >= super::filter::MAX_DEPTH {
            return Err(DvError::query("Recursion depth exceeded allowed limit."));
        }
        self.depth += 1;
        let inner = parse(self);
        self.depth -= 1;
        inner
    }

    fn unary(&mut self) -> Result<MetadataFilter, DvError> {
        if self.peek_word("not") {
            self.at += 1;
            return Ok(MetadataFilter::Not(Box::new(self.nested(Self::unary)?)));
        }
        if self.tokens.get(self.at) == Some(&Token::Open) {
            self.at += 1;
            let inner = self.nested(Self::or)?;
            return match self.next() {
                Some(Token::Close) => Ok(inner),
                _ => Err(DvError::query_syntax()),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<MetadataFilter, DvError> {
        let Some(Token::Word(path)) = self.next() else { return Err(DvError::query_syntax()) };
        if self.tokens.get(self.at) == Some(&Token::Open) {
            return Err(DvError::query(format!(
                "The sandbox does not emulate the query function '{path}' on metadata definitions."
            )));
        }
        let path: Vec<String> = path.split('/').map(str::to_owned).collect();
        if !(self.known)(&path[0]) {
            return Err(DvError::query(format!(
                "Could not find a property named '{}' on type 'Microsoft.Dynamics.CRM.{}'.",
                path[0], self.type_name
            )));
        }
        let op = match self.next() {
            Some(Token::Word(op)) => match op.as_str() {
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "gt" => Op::Gt,
                "ge" => Op::Ge,
                "lt" => Op::Lt,
                "le" => Op::Le,
                _ => return Err(DvError::query_syntax()),
            },
            _ => return Err(DvError::query_syntax()),
        };
        let value = match self.next() {
            Some(Token::Quoted(text)) => Literal::Text(text),
            Some(Token::Word(word)) => match word.as_str() {
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                "null" => Literal::Null,
                number => Literal::Number(number.parse().map_err(|_| DvError::query_syntax())?),
            },
            _ => return Err(DvError::query_syntax()),
        };
        Ok(MetadataFilter::Compare { path, op, value })
    }
}

impl MetadataFilter {
    /// Parse `text`; `known` says whether a property exists on `type_name` (the error names it).
    pub(crate) fn parse(
        text: &str,
        known: &dyn Fn(&str) -> bool,
        type_name: &str,
    ) -> Result<Self, DvError> {
        let mut parser = Parser { tokens: tokens(text)?, at: 0, depth: 0, known, type_name };
        let filter = parser.or()?;
        if parser.at != parser.tokens.len() {
            return Err(DvError::query_syntax());
        }
        Ok(filter)
    }

    /// Whether `object` passes.
    pub(crate) fn matches(&self, object: &JsonObject) -> bool {
        match self {
            MetadataFilter::And(a, b) => a.matches(object) && b.matches(object),
            MetadataFilter::Or(a, b) => a.matches(object) || b.matches(object),
            MetadataFilter::Not(inner) => !inner.matches(object),
            MetadataFilter::Compare { path, op, value } => {
                let mut current = object.get(&path[0]);
                for segment in &path[1..] {
                    current = current.and_then(|v| v.get(segment));
                }
                let order = compare(current.unwrap_or(&Json::Null), value);
                match op {
                    Op::Eq => order == Some(Ordering::Equal),
                    Op::Ne => order != Some(Ordering::Equal),
                    Op::Gt => order == Some(Ordering::Greater),
                    Op::Ge => matches!(order, Some(Ordering::Greater | Ordering::Equal)),
                    Op::Lt => order == Some(Ordering::Less),
                    Op::Le => matches!(order, Some(Ordering::Less | Ordering::Equal)),
                }
            }
        }
    }
}

fn compare(actual: &Json, expected: &Literal) -> Option<Ordering> {
    match (actual, expected) {
        (Json::Null, Literal::Null) => Some(Ordering::Equal),
        (Json::String(a), Literal::Text(b)) => Some(a.as_str().cmp(b.as_str())),
        (Json::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (value, Literal::Number(b)) => {
            value.as_number_text().and_then(|t| t.parse::<Decimal>().ok()).map(|a| a.cmp(b))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(json: &str) -> JsonObject {
        match Json::parse(json).unwrap() {
            Json::Object(o) => o,
            _ => unreachable!(),
        }
    }

    #[test]
    fn compares_primitives_enums_and_complex_values() {
        let known = |name: &str| {
            ["LogicalName", "IsCustomEntity", "AttributeType", "CanCreateAttributes"]
                .contains(&name)
        };
        let parse = |text: &str| MetadataFilter::parse(text, &known, "EntityMetadata").unwrap();
        let account = object(
            r#"{"LogicalName":"account","IsCustomEntity":false,"AttributeType":"Picklist","CanCreateAttributes":{"Value":true}}"#,
        );
        assert!(parse("LogicalName eq 'account'").matches(&account));
        assert!(!parse("LogicalName ne 'account'").matches(&account));
        assert!(
            parse("IsCustomEntity eq false and not (LogicalName eq 'contact')").matches(&account)
        );
        assert!(
            parse("AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist'")
                .matches(&account)
        );
        assert!(parse("CanCreateAttributes/Value eq true").matches(&account));
        assert!(parse("LogicalName eq 'x' or IsCustomEntity eq false").matches(&account));
        assert!(parse("LogicalName eq 'O''Hare' or LogicalName gt 'a'").matches(&account));
    }

    #[test]
    fn refuses_unknown_properties_functions_and_bad_syntax() {
        let known = |name: &str| name == "LogicalName";
        let error = MetadataFilter::parse("Nope eq 1", &known, "EntityMetadata").unwrap_err();
        assert_eq!(
            error.message,
            "Could not find a property named 'Nope' on type 'Microsoft.Dynamics.CRM.EntityMetadata'."
        );
        assert!(MetadataFilter::parse("contains(LogicalName,'a')", &known, "X").is_err());
        assert!(MetadataFilter::parse("LogicalName eq", &known, "X").is_err());
        assert!(MetadataFilter::parse("LogicalName eq 'a' )", &known, "X").is_err());
        assert!(MetadataFilter::parse("LogicalName eq 'a", &known, "X").is_err());
        // Deep nesting is refused with the service's message instead of overflowing the stack.
        for deep in [
            format!("{}LogicalName eq 'a'{}", "(".repeat(100_000), ")".repeat(100_000)),
            format!("{}LogicalName eq 'a'", "not ".repeat(100_000)),
        ] {
            let error = MetadataFilter::parse(&deep, &known, "X").unwrap_err();
            assert_eq!(error.message, "Recursion depth exceeded allowed limit.");
        }
        let nested = format!("{}LogicalName eq 'a'{}", "(".repeat(50), ")".repeat(50));
        assert!(MetadataFilter::parse(&nested, &known, "X").is_ok());
    }
}
