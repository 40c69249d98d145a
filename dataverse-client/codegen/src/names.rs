//! Rust identifiers from Dataverse names and labels.

use std::collections::HashSet;

use proc_macro2::{Ident, Span};

/// Keywords that can be written as raw identifiers (`r#type`).
const RAW_KEYWORDS: [&str; 47] = [
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try",
];

/// Keywords that cannot be raw identifiers: a `_` is appended instead.
const RESERVED: [&str; 5] = ["self", "Self", "super", "crate", "gen"];

/// `cre6f_Opportunity` → `cre6f_opportunity`: lowercase, anything but letters and digits
/// becomes one `_` (none at either end), and a leading digit gets an `n` in front.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'n');
    }
    out
}

/// `LocalizedStandardName` → `localized_standard_name`, `sample_ScoreAccount` →
/// `sample_score_account`, `RetrieveAsIfPublished` → `retrieve_as_if_published`: [`snake`] with
/// a `_` where a lowercase letter or digit meets an uppercase one (and before the last capital
/// of a run followed by lowercase: `HTTPServer` → `http_server`). For the PascalCase names of
/// operations, parameters and complex type properties.
pub(crate) fn snake_words(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut spaced = String::with_capacity(name.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            let before = chars[i - 1];
            let after_run = before.is_ascii_uppercase()
                && chars.get(i + 1).is_some_and(|next| next.is_ascii_lowercase());
            if before.is_ascii_lowercase() || before.is_ascii_digit() || after_run {
                spaced.push('_');
            }
        }
        spaced.push(c);
    }
    snake(&spaced)
}

/// `address1_line1` → `Address1Line1`, `Preferred Customer` → `PreferredCustomer`.
pub(crate) fn upper_camel(name: &str) -> String {
    let mut out = String::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        // An all-capitals word (`USA`) becomes `Usa`: clippy flags all-capital type names.
        let shouting = word.len() > 1 && !word.chars().any(|c| c.is_ascii_lowercase());
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            if shouting {
                out.extend(chars.map(|c| c.to_ascii_lowercase()));
            } else {
                out.extend(chars);
            }
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// An identifier for `name`, which must already consist of ASCII letters, digits and `_`.
pub(crate) fn ident(name: &str) -> Ident {
    if RESERVED.contains(&name) || name == "_" {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if RAW_KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// Hands out names that are unique within one scope, suffixing `_2`, `_3`… (or `2`, `3`… for
/// camel-case names) on a clash.
#[derive(Default)]
pub(crate) struct Scope {
    taken: HashSet<String>,
}

impl Scope {
    pub(crate) fn with(reserved: &[&str]) -> Self {
        Scope { taken: reserved.iter().map(|s| (*s).to_owned()).collect() }
    }

    pub(crate) fn claim(&mut self, wanted: String) -> String {
        if self.taken.insert(wanted.clone()) {
            return wanted;
        }
        let separator = if wanted.contains('_') || wanted.starts_with(|c: char| c.is_lowercase()) {
            "_"
        } else {
            ""
        };
        (2..)
            .map(|n| format!("{wanted}{separator}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .unwrap_or(wanted)
    }
}

/// Text safe to put in a doc comment: on one line, with nothing rustdoc would read as a link,
/// an HTML tag or a bare URL.
pub(crate) fn doc_text(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "'")
        .replace("://", ":&#47;&#47;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("cre6f_Opportunity"), "cre6f_opportunity");
        assert_eq!(snake("1st"), "n1st");
        assert_eq!(snake("_msdyn__fileid_value_"), "msdyn_fileid_value");
        assert_eq!(snake("EntityMetadata"), "entitymetadata");
        assert_eq!(snake_words("LocalizedStandardName"), "localized_standard_name");
        assert_eq!(snake_words("sample_ScoreAccount"), "sample_score_account");
        assert_eq!(snake_words("WhoAmI"), "who_am_i");
        assert_eq!(snake_words("HTTPServer2Go"), "http_server2_go");
        assert_eq!(snake_words("cre6f_Approve"), "cre6f_approve");
        assert_eq!(snake_words("UoM"), "uo_m");
        assert_eq!(upper_camel("address1_line1"), "Address1Line1");
        assert_eq!(upper_camel("Non-petrol (natural) Resources"), "NonPetrolNaturalResources");
        assert_eq!(upper_camel("2 to 5"), "V2To5");
        assert_eq!(upper_camel("ALL USA iPhone CRM_ID"), "AllUsaIPhoneCrmId");
        assert_eq!(upper_camel("Économie"), "Conomie");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        let mut scope = Scope::with(&["new"]);
        assert_eq!(scope.claim("new".into()), "new_2");
        assert_eq!(scope.claim("Name".into()), "Name");
        assert_eq!(scope.claim("Name".into()), "Name2");
        assert_eq!(
            doc_text("See [docs] at https://x.example <b>now</b>\n `x`"),
            "See \\[docs\\] at https:&#47;&#47;x.example &lt;b&gt;now&lt;/b&gt; 'x'"
        );
    }
}
