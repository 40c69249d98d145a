//! A small XML element tree for FetchXML queries (which are a few elements deep).

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

/// One element: its local name, attributes, child elements and text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
}

impl Element {
    /// Attribute `name`.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Child elements named `name`.
    pub(crate) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// How deeply elements may nest (each level of the tree is a recursive call elsewhere).
const MAX_DEPTH: usize = 64;

/// Parse a document into its root element.
pub(crate) fn parse(text: &str) -> Result<Element, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let event = reader.read_event().map_err(|e| format!("the XML is not well formed: {e}"))?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err("the XML is nested too deeply".to_owned());
                }
                stack.push(element(&start)?);
            }
            Event::Empty(start) => {
                let element = element(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("unbalanced XML")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&data);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(current) = stack.last_mut() {
                    let name = reference.into_inner();
                    current.text.push_str(
                        &resolve_reference(&name)
                            .ok_or_else(|| format!("unknown entity '&{name};'"))?,
                    );
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the XML ends before its root element does".to_owned());
    }
    root.ok_or_else(|| "the XML has no root element".to_owned())
}

fn element(start: &BytesStart<'_>) -> Result<Element, String> {
    let name = start.local_name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| format!("bad attribute: {e}"))?;
        let key = attribute.key.local_name().as_ref().to_owned();
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad attribute value: {e}"))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element { name, attributes, ..Element::default() })
}

/// `amp`, `lt`, `gt`, `quot`, `apos`, `#65`, `#x41`.
fn resolve_reference(name: &str) -> Option<String> {
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some(c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_attributes_and_text() {
        let root = parse(
            "<fetch top='5'><entity name=\"account\"><attribute name='name'/>\
             <filter><condition attribute='name' operator='in'><value>A &amp; B</value><value>C</value></condition></filter>\
             </entity></fetch>",
        )
        .unwrap();
        assert_eq!(root.name, "fetch");
        assert_eq!(root.attr("top"), Some("5"));
        let entity = &root.children[0];
        assert_eq!(entity.attr("name"), Some("account"));
        let condition = &entity.children_named("filter").next().unwrap().children[0];
        let values: Vec<&str> =
            condition.children_named("value").map(|v| v.text.as_str()).collect();
        assert_eq!(values, ["A & B", "C"]);
        assert!(parse("<fetch><entity></fetch>").is_err());
        assert!(parse("").is_err());
    }
}
