//! `$filter`: parse, type-check against the table, evaluate
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows>).
//!
//! Supported: `eq ne gt ge lt le`, `and or not`, parentheses, `contains`/`startswith`/
//! `endswith` (with Dataverse's `LIKE` wildcards, see [`super::like`]), property paths through
//! single-valued navigation properties (`cre6f_Opportunity/name`), and the literals: strings
//! with doubled quotes (`'O''Bryan'`), integers and decimals, GUIDs, `DateTimeOffset`
//! (`2024-01-01T00:00:00Z`), `Date` (`2026-12-01`), `null`, `true`, `false`. String comparison
//! is case-insensitive, as Dataverse's is. Type errors and syntax errors use the OData URI
//! parser's messages; lambda operators and the `Microsoft.Dynamics.CRM.*` query functions other
//! than `In`/`NotIn` are not emulated and are refused.

use std::cmp::Ordering;

use rest_client_core::json_decimal::parse_decimal_text;
use uuid::Uuid;

use super::cell::Cell;
use super::errors::DvError;
use super::like::LikePattern;
use super::schema::{Catalog, EntitySetDef};
use super::store::{Row, Store};
use crate::timestamps;

/// A parsed, type-checked filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        op: CmpOp,
        left: Operand,
        right: Operand,
    },
    Text {
        func: TextFunc,
        target: Operand,
        needle: Operand,
    },
    IsTrue(Operand),
    /// `Microsoft.Dynamics.CRM.In(PropertyName='x',PropertyValues=[…])`.
    In {
        target: Operand,
        values: Vec<Cell>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "gt" => CmpOp::Gt,
            "ge" => CmpOp::Ge,
            "lt" => CmpOp::Lt,
            "le" => CmpOp::Le,
            _ => return None,
        })
    }

    fn kind_name(self) -> &'static str {
        match self {
            CmpOp::Eq => "Equal",
            CmpOp::Ne => "NotEqual",
            CmpOp::Gt => "GreaterThan",
            CmpOp::Ge => "GreaterThanOrEqual",
            CmpOp::Lt => "LessThan",
            CmpOp::Le => "LessThanOrEqual",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextFunc {
    Contains,
    StartsWith,
    EndsWith,
}

/// A property (possibly through one navigation property) or a literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Property { via: Option<(String, String)>, column: String, edm: &'static str },
    Literal { cell: Cell, edm: &'static str },
}

impl Operand {
    fn edm(&self) -> &'static str {
        match self {
            Operand::Property { edm, .. } | Operand::Literal { edm, .. } => edm,
        }
    }

    fn value<'a>(&'a self, row: &'a Row, store: &'a Store) -> &'a Cell {
        static NULL: Cell = Cell::Null;
        match self {
            Operand::Literal { cell, .. } => cell,
            Operand::Property { via: None, column, .. } => row.get(column),
            Operand::Property { via: Some((lookup, target)), column, .. } => {
                match row.get(lookup).as_guid().and_then(|id| store.get(target, id)) {
                    Some(related) => related.get(column),
                    None => &NULL,
                }
            }
        }
    }
}

/// Does `row` match?
pub(crate) fn matches(expr: &Expr, row: &Row, store: &Store) -> bool {
    match expr {
        Expr::And(a, b) => matches(a, row, store) && matches(b, row, store),
        Expr::Or(a, b) => matches(a, row, store) || matches(b, row, store),
        Expr::Not(inner) => !matches(inner, row, store),
        Expr::IsTrue(operand) => operand.value(row, store) == &Cell::Bool(true),
        Expr::In { target, values } => {
            let value = target.value(row, store);
            values.iter().any(|v| value.compare(v) == Some(Ordering::Equal))
        }
        Expr::Compare { op, left, right } => {
            let (a, b) = (left.value(row, store), right.value(row, store));
            let equal = match (a.is_null(), b.is_null()) {
                (true, true) => Some(true),
                (true, false) | (false, true) => Some(false),
                (false, false) => None,
            };
            match op {
                CmpOp::Eq => equal.unwrap_or_else(|| a.compare(b) == Some(Ordering::Equal)),
                CmpOp::Ne => !equal.unwrap_or_else(|| a.compare(b) == Some(Ordering::Equal)),
                _ if equal.is_some() => false,
                CmpOp::Gt => a.compare(b) == Some(Ordering::Greater),
                CmpOp::Ge => matches!(a.compare(b), Some(Ordering::Greater | Ordering::Equal)),
                CmpOp::Lt => a.compare(b) == Some(Ordering::Less),
                CmpOp::Le => matches!(a.compare(b), Some(Ordering::Less | Ordering::Equal)),
            }
        }
        Expr::Text { func, target, needle } => {
            let (Some(haystack), Some(needle)) =
                (target.value(row, store).as_text(), needle.value(row, store).as_text())
            else {
                return false;
            };
            let pattern = match func {
                TextFunc::Contains => LikePattern::contains(needle),
                TextFunc::StartsWith => LikePattern::starts_with(needle),
                TextFunc::EndsWith => LikePattern::ends_with(needle),
            };
            pattern.matches(haystack)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Comma,
    Str(String),
    Word(String),
}

/// How deeply parentheses and `not` may nest: each level is a recursive call, so an unbounded
/// depth would let a short URL overflow the stack.
pub(crate) const MAX_DEPTH: usize = 100;

/// Parse and type-check `text` against table `def`.
pub(crate) fn parse(text: &str, def: &EntitySetDef, schema: &Catalog) -> Result<Expr, DvError> {
    let tokens = lex(text)?;
    let mut parser = Parser { tokens, pos: 0, depth: 0, text, def, schema };
    let expr = parser.or()?;
    if parser.pos < parser.tokens.len() {
        return Err(parser.syntax_error());
    }
    Ok(expr)
}

fn lex(text: &str) -> Result<Vec<(usize, Token)>, DvError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '[' | ']' => {
                tokens.push((at, Token::Word(c.to_string())));
                i += 1;
            }
            '(' => {
                tokens.push((at, Token::Open));
                i += 1;
            }
            ')' => {
                tokens.push((at, Token::Close));
                i += 1;
            }
            ',' => {
                tokens.push((at, Token::Comma));
                i += 1;
            }
            '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(DvError::query(format!(
                                "There is an unterminated string literal at position {at} in '{text}'."
                            )));
                        }
                        Some((_, '\'')) if chars.get(i + 1).is_some_and(|(_, n)| *n == '\'') => {
                            value.push('\'');
                            i += 2;
                        }
                        Some((_, '\'')) => {
                            i += 1;
                            break;
                        }
                        Some((_, other)) => {
                            value.push(*other);
                            i += 1;
                        }
                    }
                }
                tokens.push((at, Token::Str(value)));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].1.is_whitespace()
                    && !"(),'[]".contains(chars[i].1)
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().map(|(_, c)| c).collect();
                tokens.push((at, Token::Word(word)));
            }
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<(usize, Token)>,
    pos: usize,
    /// Open parentheses and `not`s around the current position.
    depth: usize,
    text: &'a str,
    def: &'a EntitySetDef,
    schema: &'a Catalog,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(_, t)| t)
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == word)
    }

    fn syntax_error(&self) -> DvError {
        let at = self.tokens.get(self.pos).map_or(self.text.len(), |(at, _)| *at);
        DvError::query(format!("Syntax error at position {at} in '{}'.", self.text))
    }

    fn expect(&mut self, token: &Token) -> Result<(), DvError> {
        if self.peek() == Some(token) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn or(&mut self) -> Result<Expr, DvError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, DvError> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, DvError> {
        if self.peek_word("not") {
            self.pos += 1;
            let inner = self.nested(Self::unary)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let inner = self.nested(Self::or)?;
            self.expect(&Token::Close)?;
            return Ok(inner);
        }
        if let Some(Token::Word(word)) = self.peek().cloned()
            && self.tokens.get(self.pos + 1).map(|(_, t)| t) == Some(&Token::Open)
        {
            self.pos += 1;
            let call = self.function(&word)?;
            return self.compare_boolean(call);
        }
        let left = self.operand()?;
        let op = match self.peek() {
            Some(Token::Word(word)) => CmpOp::parse(word),
            _ => None,
        };
        let Some(op) = op else {
            return match &left {
                Operand::Property { edm: "Edm.Boolean", .. } => Ok(Expr::IsTrue(left)),
                _ => Err(self.syntax_error()),
            };
        };
        self.pos += 1;
        let right = self.operand()?;
        check_types(op, &left, &right)?;
        Ok(Expr::Compare { op, left, right })
    }

    /// Parse one level deeper, refusing to go past [`MAX_DEPTH`] (the OData URI parser's
    /// message).
    fn nested(&mut self, parse: fn(&mut Self) -> Result<Expr, DvError>) -> Result<Expr, DvError> {
        if self.depth >= MAX_DEPTH {
            return Err(DvError::query("Recursion depth exceeded allowed limit."));
        }
        self.depth += 1;
        let inner = parse(self);
        self.depth -= 1;
        inner
    }

    /// `contains(a,'b') eq true` is the same as `contains(a,'b')`.
    fn compare_boolean(&mut self, call: Expr) -> Result<Expr, DvError> {
        let Some(op @ (CmpOp::Eq | CmpOp::Ne)) = (match self.peek() {
            Some(Token::Word(word)) => CmpOp::parse(word),
            _ => None,
        }) else {
            return Ok(call);
        };
        self.pos += 1;
        let wanted = match self.peek() {
            Some(Token::Word(w)) if w == "true" => true,
            Some(Token::Word(w)) if w == "false" => false,
            _ => return Err(self.syntax_error()),
        };
        self.pos += 1;
        Ok(if wanted == (op == CmpOp::Eq) { call } else { Expr::Not(Box::new(call)) })
    }

    fn function(&mut self, name: &str) -> Result<Expr, DvError> {
        let func = match name {
            "contains" => TextFunc::Contains,
            "startswith" => TextFunc::StartsWith,
            "endswith" => TextFunc::EndsWith,
            "Microsoft.Dynamics.CRM.In" => return self.in_function(false),
            "Microsoft.Dynamics.CRM.NotIn" => return self.in_function(true),
            other if other.starts_with("Microsoft.Dynamics.CRM.") => {
                return Err(DvError::query(format!(
                    "The sandbox does not emulate the query function '{other}'."
                )));
            }
            other => {
                return Err(DvError::query(format!(
                    "An unknown function with name '{other}' was found. This may also be a function \
                     import or a key lookup on a navigation property, which is not allowed."
                )));
            }
        };
        self.expect(&Token::Open)?;
        let target = self.operand()?;
        self.expect(&Token::Comma)?;
        let needle = self.operand()?;
        self.expect(&Token::Close)?;
        if target.edm() != "Edm.String" || !matches!(needle.edm(), "Edm.String" | "null") {
            return Err(DvError::query(format!(
                "No function signature for the function with name '{name}' matches the specified \
                 arguments. The function signatures considered are: {name}(Edm.String \
                 Nullable=true, Edm.String Nullable=true)."
            )));
        }
        Ok(Expr::Text { func, target, needle })
    }

    /// `In(PropertyName='col',PropertyValues=['a','b'])`, negated for `NotIn`.
    fn in_function(&mut self, negated: bool) -> Result<Expr, DvError> {
        self.expect(&Token::Open)?;
        self.expect(&Token::Word("PropertyName=".to_owned()))?;
        let Some((_, Token::Str(column))) = self.tokens.get(self.pos).cloned() else {
            return Err(self.syntax_error());
        };
        self.pos += 1;
        let target = self.property(&column)?;
        self.expect(&Token::Comma)?;
        self.expect(&Token::Word("PropertyValues=".to_owned()))?;
        self.expect(&Token::Word("[".to_owned()))?;
        let mut values = Vec::new();
        loop {
            let literal = self.operand()?;
            let Operand::Literal { cell, edm } = literal else { return Err(self.syntax_error()) };
            // Values are written as strings whatever the column type (`['1','2']` for numbers).
            let cell = match (&cell, target.edm()) {
                (Cell::Text(text), edm) if edm != "Edm.String" => literal_value(text, edm)
                    .ok_or_else(|| {
                        DvError::query(format!("'{text}' is not a valid {edm} value."))
                    })?,
                _ if edm == "null" => return Err(self.syntax_error()),
                _ => cell,
            };
            values.push(cell);
            match self.peek() {
                Some(Token::Comma) => self.pos += 1,
                Some(Token::Word(w)) if w == "]" => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.syntax_error()),
            }
        }
        self.expect(&Token::Close)?;
        let expr = Expr::In { target, values };
        Ok(if negated { Expr::Not(Box::new(expr)) } else { expr })
    }

    fn operand(&mut self) -> Result<Operand, DvError> {
        let Some((_, token)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.syntax_error());
        };
        self.pos += 1;
        match token {
            Token::Str(value) => {
                Ok(Operand::Literal { cell: Cell::Text(value), edm: "Edm.String" })
            }
            Token::Word(word) => match literal(&word) {
                Some((cell, edm)) => Ok(Operand::Literal { cell, edm }),
                None if word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => {
                    self.property(&word)
                }
                None => {
                    self.pos -= 1;
                    Err(self.syntax_error())
                }
            },
            _ => {
                self.pos -= 1;
                Err(self.syntax_error())
            }
        }
    }

    fn property(&self, path: &str) -> Result<Operand, DvError> {
        let (via, def, column) = match path.split_once('/') {
            None => (None, self.def, path),
            Some((nav_name, column)) => {
                let nav = self
                    .def
                    .navigation(nav_name)
                    .ok_or_else(|| DvError::unknown_property(nav_name, &self.def.logical_name))?;
                let target = self
                    .schema
                    .set(&nav.target_set)
                    .ok_or_else(|| DvError::resource_not_found(&nav.target_set))?;
                (Some((nav.lookup_column.clone(), nav.target_set.clone())), &**target, column)
            }
        };
        let column_def = def
            .column_def(column)
            .ok_or_else(|| DvError::unknown_property(column, &def.logical_name))?;
        let edm = column_def.kind.scalar_edm().ok_or_else(|| {
            DvError::query(format!(
                "The sandbox does not filter on '{column}', a column of type '{}'.",
                column_def.kind.edm_type()
            ))
        })?;
        Ok(Operand::Property { via, column: column.to_owned(), edm })
    }
}

/// Recognize an unquoted literal.
fn literal(word: &str) -> Option<(Cell, &'static str)> {
    match word {
        "null" => return Some((Cell::Null, "null")),
        "true" => return Some((Cell::Bool(true), "Edm.Boolean")),
        "false" => return Some((Cell::Bool(false), "Edm.Boolean")),
        _ => {}
    }
    if word.len() == 36
        && let Ok(id) = Uuid::parse_str(word)
    {
        return Some((Cell::Guid(id), "Edm.Guid"));
    }
    if let Some(at) = timestamps::parse_rfc3339(word) {
        return Some((Cell::DateTime(at), "Edm.DateTimeOffset"));
    }
    if let Some(date) = timestamps::parse_date(word) {
        return Some((Cell::Date(date), "Edm.Date"));
    }
    let number = word.trim_end_matches(['M', 'm', 'L', 'l', 'D', 'd', 'F', 'f']);
    if number.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
        if let Ok(n) = number.parse::<i64>() {
            return Some((
                Cell::Int(n),
                if i32::try_from(n).is_ok() { "Edm.Int32" } else { "Edm.Int64" },
            ));
        }
        if let Some(d) = parse_decimal_text(number) {
            return Some((Cell::Decimal(d), "Edm.Decimal"));
        }
    }
    None
}

/// A string written for a non-string column, read as that column's type.
fn literal_value(text: &str, edm: &str) -> Option<Cell> {
    let (cell, found) = literal(text)?;
    (category(found) == category(edm)).then_some(cell)
}

fn category(edm: &str) -> &str {
    match edm {
        "Edm.Int32" | "Edm.Int64" | "Edm.Decimal" | "Edm.Double" => "number",
        other => other,
    }
}

fn check_types(op: CmpOp, left: &Operand, right: &Operand) -> Result<(), DvError> {
    let (a, b) = (left.edm(), right.edm());
    if a == "null" || b == "null" || category(a) == category(b) {
        return Ok(());
    }
    Err(DvError::query(format!(
        "A binary operator with incompatible types was detected. Found operand types '{a}' and \
         '{b}' for operator kind '{}'.",
        op.kind_name()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataverse::store::StoreLimits;
    use crate::json::Json;

    fn setup() -> (Store, Uuid, Uuid) {
        let mut store = Store::new(
            crate::dataverse::DataverseSchema::default(),
            StoreLimits { max_upload_file_size: 1 << 20 },
        );
        let body = |s: &str| Json::parse(s).unwrap().as_object().unwrap().clone();
        let account = store.create("accounts", None, &body(r#"{"name":"O'Bryan & Co"}"#)).unwrap();
        let opp = store
            .create(
                "opportunities",
                None,
                &body(&format!(
                    r#"{{"name":"Deal","parentaccountid@odata.bind":"/accounts({account})"}}"#
                )),
            )
            .unwrap();
        let agreement = store
            .create(
                "cre6f_agreements",
                None,
                &body(&format!(
                    r#"{{"cre6f_name":"MSA","cre6f_agreementtype":1,"cre6f_agreementvalue":125000.50,
                        "cre6f_agreementstartdate":"2026-12-01",
                        "cre6f_Opportunity@odata.bind":"/opportunities({opp})"}}"#
                )),
            )
            .unwrap();
        (store, agreement, opp)
    }

    fn eval(store: &Store, id: Uuid, set: &str, text: &str) -> Result<bool, DvError> {
        let def = store.catalog.set(set).unwrap();
        let expr = parse(text, def, &store.catalog)?;
        Ok(matches(&expr, store.get(set, id).unwrap(), store))
    }

    #[test]
    fn literals_and_operators() {
        let (store, id, opp) = setup();
        let set = "cre6f_agreements";
        let truthy = [
            "cre6f_agreementtype eq 1",
            "cre6f_agreementtype eq 1 and cre6f_agreementvalue gt 125000.49",
            "cre6f_agreementvalue le 125000.5",
            "(cre6f_agreementtype eq 2 or cre6f_agreementtype eq 1) and not (cre6f_name eq null)",
            "cre6f_name eq 'msa'",
            "cre6f_ironcladworkflowurl eq null",
            "cre6f_agreementstartdate ge 2026-12-01",
            "createdon gt 2020-01-01T00:00:00Z",
            "createdon lt 2999-01-01T00:00:00.000+02:00",
            "statecode eq 0",
            "contains(cre6f_name,'SA')",
            "startswith(cre6f_name,'m') eq true",
            "cre6f_Opportunity/name eq 'Deal'",
        ];
        for text in truthy {
            assert!(eval(&store, id, set, text).unwrap(), "{text}");
        }
        assert!(eval(&store, id, set, &format!("_cre6f_opportunity_value eq {opp}")).unwrap());
        assert!(!eval(&store, id, set, "cre6f_agreementtype ne 1").unwrap());
        assert!(
            !eval(&store, id, set, "cre6f_ironcladworkflowurl gt 'a'").unwrap(),
            "null never compares"
        );
        let account = store.rows("accounts").next().unwrap().id;
        assert!(eval(&store, account, "accounts", "name eq 'O''Bryan & Co'").unwrap());
    }

    #[test]
    fn errors_use_the_odata_messages() {
        let (store, id, _) = setup();
        let set = "cre6f_agreements";
        let err = eval(&store, id, set, "cre6f_agreementtype eq 'MSA'").unwrap_err();
        assert_eq!(
            err.message,
            "A binary operator with incompatible types was detected. Found operand types 'Edm.Int32' and 'Edm.String' for operator kind 'Equal'."
        );
        let err = eval(&store, id, set, "Cre6f_name eq 'x'").unwrap_err();
        assert_eq!(
            err.message,
            "Could not find a property named 'Cre6f_name' on type 'Microsoft.Dynamics.CRM.cre6f_agreement'."
        );
        assert!(
            eval(&store, id, set, "cre6f_name eq")
                .unwrap_err()
                .message
                .starts_with("Syntax error at position")
        );
        assert!(
            eval(&store, id, set, "cre6f_name eq 'x")
                .unwrap_err()
                .message
                .contains("unterminated string literal")
        );
        assert!(eval(&store, id, set, "cre6f_agreementstartdate gt 2026-01-01T00:00:00Z").is_err());
        assert!(eval(&store, id, set, "substringof('a',cre6f_name)").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let (store, id, _) = setup();
        let set = "cre6f_agreements";
        let parens = |n: usize| format!("{}cre6f_name eq 'MSA'{}", "(".repeat(n), ")".repeat(n));
        assert!(eval(&store, id, set, &parens(100)).unwrap());
        for deep in [parens(20_000), format!("{}cre6f_name eq 'MSA'", "not ".repeat(20_000))] {
            let error = eval(&store, id, set, &deep).unwrap_err();
            assert_eq!(
                (error.status.as_u16(), error.message.as_str()),
                (400, "Recursion depth exceeded allowed limit.")
            );
        }
    }
}
