//! `$filter` expressions built from parts, with literals that user input cannot escape.

use std::fmt::Write as _;

use super::literal::Literal;
use crate::error::{Error, Result};
use crate::odata::validate_property_path;

/// A `$filter` expression.
///
/// Property names are anything that reads as a string: `&str`, `String`, or the column names
/// generated from `$metadata` by `dataverse-codegen` (so a misspelt column fails to compile).
/// They are checked when the query is sent (letters, digits, `_`, `/` between
/// navigation steps); values are [`Literal`]s, so text from users is always quoted and escaped.
/// [`Filter::contains`], [`Filter::starts_with`] and [`Filter::ends_with`] also escape the
/// wildcards Dataverse reads in them (`%`, `_`, `[`), so they match the text literally; their
/// `_pattern` forms keep wildcards for callers who mean them.
/// Use [`Filter::raw`] for what the builder does not cover (lambda operators, `Microsoft.Dynamics.CRM.*`
/// functions), building values inside it with [`literal`](crate::query::literal).
///
/// ```
/// use dataverse_client::query::Filter;
/// use time::macros::datetime;
///
/// let filter = Filter::eq("cre6f_agreementtype", 1)
///     .and(Filter::gt("modifiedon", datetime!(2024-05-01 12:00 UTC)))
///     .and(Filter::contains("cre6f_name", "O'Neil").or(Filter::is_null("cre6f_name")));
/// assert_eq!(
///     filter.to_odata().unwrap(),
///     "cre6f_agreementtype eq 1 and modifiedon gt 2024-05-01T12:00:00Z and (contains(cre6f_name,'O''Neil') or cre6f_name eq null)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Filter(Expr);

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Compare {
        property: String,
        op: &'static str,
        value: Literal,
    },
    Function {
        name: &'static str,
        property: String,
        value: Literal,
    },
    /// `any_of` with no values: refused when rendered.
    NoValues {
        property: String,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Raw(String),
}

impl Filter {
    fn compare(property: &str, op: &'static str, value: impl Into<Literal>) -> Self {
        Filter(Expr::Compare { property: property.to_owned(), op, value: value.into() })
    }

    /// `property eq value`.
    pub fn eq(property: impl AsRef<str>, value: impl Into<Literal>) -> Self {
        Self::compare(property.as_ref(), "eq", value)
    }
    /// `property ne value`.
    pub fn ne(property: impl AsRef<str>, value: impl Into<Literal>) -> Self {
        Self::compare(property.as_ref(), "ne", value)
    }
    /// `property gt value`.
    pub fn gt(property: impl AsRef<str>, value: impl Into<Literal>) -> Self {
        Self::compare(property.as_ref(), "gt", value)
    }
    /// `property ge value`.
    pub fn ge(property: impl AsRef<str>, value: impl Into<Literal>) -> Self {
        Self::compare(property.as_ref(), "ge", value)
    }
    /// `property lt value`.
    pub fn lt(property: impl AsRef<str>, value: impl Into<Literal>) -> Self {
        Self::compare(property.as_ref(), "lt", value)
    }
    /// `property le value`.
    pub fn le(property: impl AsRef<str>, value: impl Into<Literal>) -> Self {
        Self::compare(property.as_ref(), "le", value)
    }
    /// `property eq null`.
    pub fn is_null(property: impl AsRef<str>) -> Self {
        Self::compare(property.as_ref(), "eq", Literal::Null)
    }
    /// `property ne null`.
    pub fn is_not_null(property: impl AsRef<str>) -> Self {
        Self::compare(property.as_ref(), "ne", Literal::Null)
    }
    /// `contains(property,'text')`: rows whose `property` contains `text` (case-insensitive in
    /// Dataverse). Dataverse reads `%`, `_` and `[…]` in the text as wildcards; they are escaped
    /// (`[%]`, `[_]`, `[[]`), so `"50%_off"` matches only that text. Use
    /// [`contains_pattern`](Self::contains_pattern) to keep wildcards.
    ///
    /// See [Use wildcard characters](https://learn.microsoft.com/power-apps/developer/data-platform/wildcard-characters).
    ///
    /// ```
    /// use dataverse_client::query::Filter;
    ///
    /// assert_eq!(Filter::contains("name", "50%_off").to_odata().unwrap(), "contains(name,'50[%][_]off')");
    /// ```
    pub fn contains(property: impl AsRef<str>, text: impl Into<String>) -> Self {
        Self::function("contains", property.as_ref(), escape_wildcards(&text.into()))
    }
    /// `startswith(property,'text')`, with wildcards escaped as in [`contains`](Self::contains).
    pub fn starts_with(property: impl AsRef<str>, text: impl Into<String>) -> Self {
        Self::function("startswith", property.as_ref(), escape_wildcards(&text.into()))
    }
    /// `endswith(property,'text')`, with wildcards escaped as in [`contains`](Self::contains).
    pub fn ends_with(property: impl AsRef<str>, text: impl Into<String>) -> Self {
        Self::function("endswith", property.as_ref(), escape_wildcards(&text.into()))
    }

    /// `contains(property,'pattern')` with the pattern's wildcards kept: `%` any text, `_` any
    /// one character, `[a-c]` / `[^a-c]` one character in / not in a set. Write a literal
    /// wildcard in brackets (`[%]`). Only quotes are escaped, so never put user input in a
    /// pattern unescaped.
    ///
    /// ```
    /// use dataverse_client::query::Filter;
    ///
    /// assert_eq!(
    ///     Filter::contains_pattern("name", "Contoso%Ltd").to_odata().unwrap(),
    ///     "contains(name,'Contoso%Ltd')"
    /// );
    /// ```
    pub fn contains_pattern(property: impl AsRef<str>, pattern: impl Into<String>) -> Self {
        Self::function("contains", property.as_ref(), pattern.into())
    }
    /// `startswith(property,'pattern')` with wildcards kept, as
    /// [`contains_pattern`](Self::contains_pattern). Dataverse does not support a leading `%`
    /// here ("trailing wildcards" in Microsoft's terms).
    pub fn starts_with_pattern(property: impl AsRef<str>, pattern: impl Into<String>) -> Self {
        Self::function("startswith", property.as_ref(), pattern.into())
    }
    /// `endswith(property,'pattern')` with wildcards kept, as
    /// [`contains_pattern`](Self::contains_pattern). Dataverse does not support a trailing `%`
    /// here.
    pub fn ends_with_pattern(property: impl AsRef<str>, pattern: impl Into<String>) -> Self {
        Self::function("endswith", property.as_ref(), pattern.into())
    }

    fn function(name: &'static str, property: &str, text: String) -> Self {
        Filter(Expr::Function { name, property: property.to_owned(), value: Literal::String(text) })
    }

    /// `property eq v1 or property eq v2 …`.
    ///
    /// An empty list is refused when the query is sent ([`Error::InvalidRequest`](crate::Error::InvalidRequest)):
    /// Dataverse documents no filter that matches nothing, so skip the query instead.
    pub fn any_of<V: Into<Literal>>(
        property: impl AsRef<str>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let property = property.as_ref();
        let parts: Vec<Expr> = values.into_iter().map(|v| Self::eq(property, v).0).collect();
        if parts.is_empty() {
            Filter(Expr::NoValues { property: property.to_owned() })
        } else {
            Filter(Expr::Or(parts))
        }
    }

    /// An expression written by hand, inserted as is (wrapped in parentheses when combined).
    /// Never put unescaped user input in it: use [`literal`](crate::query::literal).
    pub fn raw(expression: impl Into<String>) -> Self {
        Filter(Expr::Raw(expression.into()))
    }

    /// Both `self` and `other`.
    #[must_use]
    pub fn and(self, other: Filter) -> Self {
        Filter(match (self.0, other.0) {
            (Expr::And(mut left), Expr::And(right)) => {
                left.extend(right);
                Expr::And(left)
            }
            (Expr::And(mut left), right) => {
                left.push(right);
                Expr::And(left)
            }
            (left, right) => Expr::And(vec![left, right]),
        })
    }

    /// `self` or `other`.
    #[must_use]
    pub fn or(self, other: Filter) -> Self {
        Filter(match (self.0, other.0) {
            (Expr::Or(mut left), Expr::Or(right)) => {
                left.extend(right);
                Expr::Or(left)
            }
            (Expr::Or(mut left), right) => {
                left.push(right);
                Expr::Or(left)
            }
            (left, right) => Expr::Or(vec![left, right]),
        })
    }

    /// `not (self)`.
    #[must_use]
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        Filter(Expr::Not(Box::new(self.0)))
    }

    /// The expression as OData text (what goes after `$filter=`, before URL encoding).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) when a property name is not a
    /// valid property path.
    pub fn to_odata(&self) -> Result<String> {
        let mut out = String::new();
        write_expr(&mut out, &self.0, false)?;
        Ok(out)
    }
}

fn write_expr(out: &mut String, expr: &Expr, nested: bool) -> Result<()> {
    match expr {
        Expr::Compare { property, op, value } => {
            validate_property_path(property)?;
            let _ = write!(out, "{property} {op} {value}");
        }
        Expr::Function { name, property, value } => {
            validate_property_path(property)?;
            let _ = write!(out, "{name}({property},{value})");
        }
        Expr::NoValues { property } => {
            return Err(Error::InvalidRequest(format!(
                "Filter::any_of({property:?}, …) has no values: a filter that matches nothing \
                 cannot be expressed; skip the query instead"
            )));
        }
        Expr::And(parts) | Expr::Or(parts) => {
            let joiner = if matches!(expr, Expr::And(_)) { " and " } else { " or " };
            if nested {
                out.push('(');
            }
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(joiner);
                }
                // Parenthesise any compound operand, so `a and (b or c)` keeps its meaning.
                write_expr(out, part, true)?;
            }
            if nested {
                out.push(')');
            }
        }
        Expr::Not(inner) => {
            out.push_str("not (");
            write_expr(out, inner, false)?;
            out.push(')');
        }
        Expr::Raw(text) => {
            if nested {
                out.push('(');
                out.push_str(text);
                out.push(')');
            } else {
                out.push_str(text);
            }
        }
    }
    Ok(())
}

/// `text` with Dataverse's LIKE wildcards made literal by bracketing them (`[` first, so the
/// brackets added for the others are not escaped again).
fn escape_wildcards(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' => out.push_str("[[]"),
            '%' => out.push_str("[%]"),
            '_' => out.push_str("[_]"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn renders_comparisons_and_functions() {
        let id = Uuid::from_u128(7);
        let cases = vec![
            (Filter::eq("statecode", 0), "statecode eq 0"),
            (
                Filter::ne("_ownerid_value", id),
                "_ownerid_value ne 00000000-0000-0000-0000-000000000007",
            ),
            (Filter::starts_with("name", "A&B"), "startswith(name,'A&B')"),
            (
                Filter::ends_with("emailaddress1", "@contoso.com"),
                "endswith(emailaddress1,'@contoso.com')",
            ),
            (
                Filter::eq("primarycontactid/fullname", "Jim O'Neil"),
                "primarycontactid/fullname eq 'Jim O''Neil'",
            ),
            (Filter::any_of("statuscode", [1, 2]), "statuscode eq 1 or statuscode eq 2"),
            (Filter::is_not_null("telephone1"), "telephone1 ne null"),
            (
                Filter::lt("cre6f_enddate", time::macros::datetime!(9999-12-31 23:00 -02:00)),
                "cre6f_enddate lt 9999-12-31T23:00:00-02:00",
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(filter.to_odata().unwrap(), expected);
        }
    }

    #[test]
    fn nests_with_parentheses() {
        let filter = Filter::eq("a", 1)
            .or(Filter::eq("b", 2))
            .and(Filter::eq("c", 3).not())
            .and(Filter::raw("Account_Tasks/any(t:t/subject eq 'x')"));
        assert_eq!(
            filter.to_odata().unwrap(),
            "(a eq 1 or b eq 2) and not (c eq 3) and (Account_Tasks/any(t:t/subject eq 'x'))"
        );
        let not_group = Filter::eq("a", 1).and(Filter::eq("b", 2)).not();
        assert_eq!(not_group.to_odata().unwrap(), "not (a eq 1 and b eq 2)");
    }

    #[test]
    fn like_functions_escape_wildcards_unless_asked_for_a_pattern() {
        let cases = vec![
            (Filter::contains("name", "50%_off"), "contains(name,'50[%][_]off')"),
            (Filter::starts_with("name", "[draft] O'Neil"), "startswith(name,'[[]draft] O''Neil')"),
            (Filter::ends_with("code", "a_b"), "endswith(code,'a[_]b')"),
            (Filter::contains("name", "[%_]"), "contains(name,'[[][%][_]]')"),
            (Filter::contains_pattern("name", "50%off"), "contains(name,'50%off')"),
            (Filter::starts_with_pattern("name", "[A-C]_x"), "startswith(name,'[A-C]_x')"),
            (Filter::ends_with_pattern("name", "O'Neil_"), "endswith(name,'O''Neil_')"),
        ];
        for (filter, expected) in cases {
            assert_eq!(filter.to_odata().unwrap(), expected);
        }
    }

    #[test]
    fn any_of_nothing_is_an_error_not_a_constant() {
        let error = Filter::eq("statecode", 0)
            .and(Filter::any_of("statuscode", Vec::<i32>::new()))
            .to_odata()
            .expect_err("empty");
        assert!(matches!(&error, Error::InvalidRequest(m) if m.contains("statuscode")), "{error}");
    }

    #[test]
    fn rejects_property_names_that_are_expressions() {
        let injected = Filter::eq("name eq 'x' or name", "y");
        assert!(injected.to_odata().is_err());
        assert!(Filter::contains("", "y").to_odata().is_err());
    }
}
