//! Just enough XML for FetchXML paging: read and rewrite the attributes of the root `<fetch>`
//! element, read one attribute of the paging-cookie element, and the escaping both need.
//!
//! A full XML parser would be a large dependency for two attributes; the root start tag is all
//! that is ever touched, and everything after it is copied unchanged.

use crate::error::{Error, Result};

/// An attribute of a start tag: its name and the byte range of its raw (escaped) value.
struct Attribute<'a> {
    name: &'a str,
    value: &'a str,
}

/// The start tag of the first element, after any XML declaration, comments and whitespace.
struct StartTag<'a> {
    /// Offset just past the element name.
    name_end: usize,
    /// Offset of the closing `>` or `/>`.
    end: usize,
    name: &'a str,
    attributes: Vec<Attribute<'a>>,
}

fn invalid(detail: &str) -> Error {
    Error::InvalidRequest(format!("invalid FetchXML: {detail}"))
}

fn first_start_tag(xml: &str) -> Result<StartTag<'_>> {
    let bytes = xml.as_bytes();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if xml[i..].starts_with("<?") {
            i += xml[i..].find("?>").ok_or_else(|| invalid("unterminated declaration"))? + 2;
        } else if xml[i..].starts_with("<!--") {
            i += xml[i..].find("-->").ok_or_else(|| invalid("unterminated comment"))? + 3;
        } else {
            break;
        }
    }
    if bytes.get(i) != Some(&b'<') {
        return Err(invalid("expected an element"));
    }
    i += 1;
    let name_start = i;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' && bytes[i] != b'/'
    {
        i += 1;
    }
    let name_end = i;
    let name = &xml[name_start..name_end];
    let mut attributes = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err(invalid("unterminated start tag")),
            Some(b'>') => break,
            Some(b'/') if bytes.get(i + 1) == Some(&b'>') => break,
            Some(_) => {}
        }
        let attr_start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let attr_name = &xml[attr_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(invalid("attribute without a value"));
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let quote = *bytes.get(i).ok_or_else(|| invalid("unterminated attribute"))?;
        if quote != b'"' && quote != b'\'' {
            return Err(invalid("attribute value without quotes"));
        }
        let value_start = i + 1;
        let value_len = xml[value_start..]
            .find(char::from(quote))
            .ok_or_else(|| invalid("unterminated attribute value"))?;
        attributes
            .push(Attribute { name: attr_name, value: &xml[value_start..value_start + value_len] });
        i = value_start + value_len + 1;
    }
    Ok(StartTag { name_end, end: i, name, attributes })
}

/// Escape text for a double-quoted attribute value.
pub(crate) fn escape_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 16);
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

/// Undo XML escaping in an attribute value (the five named entities and numeric references).
pub(crate) fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let entity = &after[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if entity.starts_with("#x") => {
                u32::from_str_radix(&entity[2..], 16).ok().and_then(char::from_u32)
            }
            _ if entity.starts_with('#') => entity[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Percent-decode (`%3c` → `<`); `+` is left as is.
pub(crate) fn percent_decode(value: &str) -> Result<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::UnexpectedResponse("malformed paging cookie".to_owned()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::UnexpectedResponse("paging cookie is not UTF-8".to_owned()))
}

/// The root element must be `<fetch>`; returns its attribute value for `name`, unescaped.
pub(crate) fn fetch_attribute(xml: &str, name: &str) -> Result<Option<String>> {
    let tag = first_start_tag(xml)?;
    if tag.name != "fetch" {
        return Err(invalid("the root element must be <fetch>"));
    }
    Ok(tag.attributes.iter().find(|a| a.name == name).map(|a| unescape(a.value)))
}

/// `xml` with the root `<fetch>` element's attributes set to `updates` (values unescaped; they
/// are escaped here). Existing attributes keep their place; new ones are appended.
pub(crate) fn set_fetch_attributes(xml: &str, updates: &[(&str, &str)]) -> Result<String> {
    let tag = first_start_tag(xml)?;
    if tag.name != "fetch" {
        return Err(invalid("the root element must be <fetch>"));
    }
    let mut out = String::with_capacity(xml.len() + 256);
    out.push_str(&xml[..tag.name_end]);
    for attribute in &tag.attributes {
        out.push(' ');
        out.push_str(attribute.name);
        out.push_str("=\"");
        match updates.iter().find(|(n, _)| *n == attribute.name) {
            Some((_, value)) => out.push_str(&escape_attribute(value)),
            // Re-quote the original (escaped) value with double quotes.
            None => out.push_str(&attribute.value.replace('"', "&quot;")),
        }
        out.push('"');
    }
    for (name, value) in updates {
        if !tag.attributes.iter().any(|a| a.name == *name) {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            out.push_str(&escape_attribute(value));
            out.push('"');
        }
    }
    out.push_str(&xml[tag.end..]);
    Ok(out)
}

/// The raw paging cookie to send back, from the `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie`
/// annotation: its `pagingcookie` attribute, URL-decoded twice.
pub(crate) fn paging_cookie(annotation: &str) -> Result<Option<String>> {
    let tag = first_start_tag(annotation)
        .map_err(|_| Error::UnexpectedResponse("malformed paging cookie annotation".to_owned()))?;
    let Some(attribute) = tag.attributes.iter().find(|a| a.name == "pagingcookie") else {
        return Ok(None);
    };
    let once = percent_decode(&unescape(attribute.value))?;
    Ok(Some(percent_decode(&once)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_root_attributes_only() {
        let xml = "<?xml version='1.0'?><!-- q --><fetch mapping='logical' count=\"3\"><entity name='account'><attribute name='page'/></entity></fetch>";
        let out = set_fetch_attributes(
            xml,
            &[("page", "2"), ("count", "50"), ("paging-cookie", "<cookie page=\"1\"/>")],
        )
        .expect("rewritten");
        assert_eq!(
            out,
            "<?xml version='1.0'?><!-- q --><fetch mapping=\"logical\" count=\"50\" page=\"2\" paging-cookie=\"&lt;cookie page=&quot;1&quot;/&gt;\"><entity name='account'><attribute name='page'/></entity></fetch>"
        );
        assert_eq!(
            fetch_attribute(&out, "paging-cookie").expect("ok").as_deref(),
            Some("<cookie page=\"1\"/>")
        );
        assert_eq!(fetch_attribute(&out, "page").expect("ok").as_deref(), Some("2"));
    }

    #[test]
    fn rejects_other_roots_and_broken_tags() {
        assert!(set_fetch_attributes("<entity name='a'/>", &[]).is_err());
        assert!(set_fetch_attributes("<fetch count='3", &[]).is_err());
        assert!(set_fetch_attributes("<fetch count=3>", &[]).is_err());
        assert!(set_fetch_attributes("", &[]).is_err());
    }

    #[test]
    fn decodes_the_doubly_encoded_cookie() {
        let annotation = "<cookie pagenumber=\"2\" pagingcookie=\"%253ccookie%2520page%253d%25221%2522%253e%253cfullname%2520last%253d%2522Robert%2520Lyon%2520%2528sample%2529%2522%2520first%253d%2522Susanna%2520Stubberod%2520%2528sample%2529%2522%2520%252f%253e%253ccontactid%2520last%253d%2522%257b30717E9C-643F-ED11-9DB0-002248225E95%257d%2522%2520first%253d%2522%257b20717E9C-643F-ED11-9DB0-002248225E95%257d%2522%2520%252f%253e%253c%252fcookie%253e\" istracking=\"False\" />";
        assert_eq!(
            paging_cookie(annotation).expect("cookie").as_deref(),
            Some(
                "<cookie page=\"1\"><fullname last=\"Robert Lyon (sample)\" first=\"Susanna Stubberod (sample)\" /><contactid last=\"{30717E9C-643F-ED11-9DB0-002248225E95}\" first=\"{20717E9C-643F-ED11-9DB0-002248225E95}\" /></cookie>"
            )
        );
        assert_eq!(paging_cookie("<cookie pagenumber=\"2\" />").expect("ok"), None);
    }

    #[test]
    fn unescapes_entities() {
        assert_eq!(unescape("a &amp; b &lt;&#65;&#x42;&gt; &bogus; &"), "a & b <AB> &bogus; &");
        assert!(percent_decode("%zz").is_err());
    }
}
