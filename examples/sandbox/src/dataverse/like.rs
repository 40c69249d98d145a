//! T-SQL `LIKE` matching, which is what Dataverse runs for `contains`, `startswith` and
//! `endswith` and for the FetchXML `like` family: `%` is any run of characters, `_` any one
//! character, `[abc]` / `[a-f]` one character of a set, `[^…]` one character outside it, and a
//! wildcard in brackets (`[%]`, `[_]`, `[[]`) is itself
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/wildcard-characters>).
//! Matching is case-insensitive, as the default collation of a Dataverse database is.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `%`.
    AnyRun,
    /// `_`.
    AnyOne,
    /// A literal character (lower-cased).
    Char(char),
    /// `[…]` or `[^…]`: ranges (inclusive, lower-cased) and whether the set is negated.
    Set { negated: bool, ranges: Vec<(char, char)> },
}

/// A compiled `LIKE` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LikePattern {
    tokens: Vec<Token>,
    /// A `[` without its `]`: SQL Server matches nothing.
    unterminated: bool,
}

impl LikePattern {
    /// Compile `pattern` (already including any `%` the operator adds).
    pub(crate) fn new(pattern: &str) -> Self {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '%' => {
                    if tokens.last() != Some(&Token::AnyRun) {
                        tokens.push(Token::AnyRun);
                    }
                    i += 1;
                }
                '_' => {
                    tokens.push(Token::AnyOne);
                    i += 1;
                }
                '[' => match parse_set(&chars, i + 1) {
                    Some((token, next)) => {
                        tokens.push(token);
                        i = next;
                    }
                    None => return Self { tokens, unterminated: true },
                },
                c => {
                    tokens.push(Token::Char(lower(c)));
                    i += 1;
                }
            }
        }
        Self { tokens, unterminated: false }
    }

    /// `%needle%`, `needle%` or `%needle` for the OData string functions.
    pub(crate) fn contains(needle: &str) -> Self {
        Self::new(&format!("%{needle}%"))
    }

    /// `needle%`.
    pub(crate) fn starts_with(needle: &str) -> Self {
        Self::new(&format!("{needle}%"))
    }

    /// `%needle`.
    pub(crate) fn ends_with(needle: &str) -> Self {
        Self::new(&format!("%{needle}"))
    }

    /// Whether `text` matches the whole pattern.
    pub(crate) fn matches(&self, text: &str) -> bool {
        if self.unterminated {
            return false;
        }
        let text: Vec<char> = text.chars().map(lower).collect();
        // Iterative matching with backtracking to the last `%` (linear in practice, never
        // exponential): the classic wildcard algorithm extended with sets.
        let (mut t, mut p) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match self.tokens.get(p) {
                Some(Token::AnyRun) => {
                    star = Some((p, t));
                    p += 1;
                }
                Some(token) if token_matches(token, text[t]) => {
                    p += 1;
                    t += 1;
                }
                _ => match star {
                    Some((star_p, star_t)) => {
                        p = star_p + 1;
                        t = star_t + 1;
                        star = Some((star_p, star_t + 1));
                    }
                    None => return false,
                },
            }
        }
        self.tokens[p..].iter().all(|token| *token == Token::AnyRun)
    }
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn token_matches(token: &Token, c: char) -> bool {
    match token {
        Token::AnyRun | Token::AnyOne => true,
        Token::Char(expected) => *expected == c,
        Token::Set { negated, ranges } => {
            ranges.iter().any(|(low, high)| (*low..=*high).contains(&c)) != *negated
        }
    }
}

/// Parse a set starting after its `[`; returns the token and the index after `]`.
fn parse_set(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start;
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    // A `]` right after `[` or `[^` is a member, not the end (`[]]`).
    let first = i;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && i > first {
            return Some((Token::Set { negated, ranges }, i + 1));
        }
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|end| *end != ']') {
            ranges.push((lower(c), lower(chars[i + 2])));
            i += 3;
        } else {
            ranges.push((lower(c), lower(c)));
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_and_underscore_are_wildcards() {
        assert!(LikePattern::contains("50%").matches("save 50 dollars"), "% matches anything");
        assert!(LikePattern::contains("a_b").matches("xaZby"));
        assert!(!LikePattern::contains("a_b").matches("ab"));
        assert!(LikePattern::starts_with("con").matches("Contoso"));
        assert!(!LikePattern::starts_with("oso").matches("Contoso"));
        assert!(LikePattern::ends_with("OSO").matches("Contoso"));
    }

    #[test]
    fn brackets_escape_and_make_sets() {
        assert!(LikePattern::contains("50[%]").matches("50% off"));
        assert!(!LikePattern::contains("50[%]").matches("500 off"));
        assert!(LikePattern::contains("a[_]b").matches("a_b"));
        assert!(!LikePattern::contains("a[_]b").matches("axb"));
        assert!(LikePattern::contains("[[]x]").matches("[x]"));
        assert!(LikePattern::new("[a-c]1").matches("B1"));
        assert!(!LikePattern::new("[a-c]1").matches("d1"));
        assert!(LikePattern::new("[^a-c]1").matches("d1"));
        assert!(LikePattern::new("[]]").matches("]"));
        assert!(!LikePattern::contains("[abc").matches("[abc"), "unterminated set");
    }

    #[test]
    fn backtracking_is_linear() {
        let text = "a".repeat(10_000);
        assert!(!LikePattern::new(&format!("{}b", "%a".repeat(50))).matches(&text));
        assert!(LikePattern::new("%a%a%a%").matches(&text));
    }
}
