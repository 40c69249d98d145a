//! The XML layer: owned elements with decoded attributes and their positions, read one event at
//! a time from any `BufRead` (the document is never held whole in memory).

use std::io::{self, BufRead, Read};

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, ErrorKind, Position, Result};

/// A start (or empty) tag: its local name (namespace prefix dropped) and attributes.
#[derive(Debug)]
pub(crate) struct Element {
    pub(crate) name: String,
    attributes: Vec<(String, String)>,
    /// `<x/>`: no children and no end tag to read.
    pub(crate) empty: bool,
    pub(crate) position: Position,
}

impl Element {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn owned(&self, name: &str) -> Option<String> {
        self.attr(name).map(str::to_owned)
    }

    pub(crate) fn required(&self, name: &'static str) -> Result<String> {
        self.owned(name).ok_or_else(|| {
            Error::new(
                Some(self.position),
                ErrorKind::MissingAttribute { element: self.name.clone(), attribute: name },
            )
        })
    }

    pub(crate) fn invalid(&self, attribute: &str, value: &str, expected: &'static str) -> Error {
        Error::new(
            Some(self.position),
            ErrorKind::InvalidAttribute {
                element: self.name.clone(),
                attribute: attribute.to_owned(),
                value: value.to_owned(),
                expected,
            },
        )
    }

    /// A `true`/`false` attribute (CSDL booleans), `default` when absent.
    pub(crate) fn flag(&self, name: &str, default: bool) -> Result<bool> {
        match self.attr(name) {
            None => Ok(default),
            Some(value) => {
                parse_bool(value).ok_or_else(|| self.invalid(name, value, "true or false"))
            }
        }
    }

    /// The attributes not in `known`, in document order.
    pub(crate) fn others(&self, known: &[&str]) -> Vec<(String, String)> {
        self.attributes.iter().filter(|(n, _)| !known.contains(&n.as_str())).cloned().collect()
    }
}

pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "True" => Some(true),
        "false" | "False" => Some(false),
        _ => None,
    }
}

/// What the parser sees next inside an element.
pub(crate) enum Item {
    Start(Element),
    End,
    Text(String),
}

/// Counts line breaks as the XML reader consumes bytes, so any byte offset it reports can be
/// turned into a line and column.
struct LineCounter<R> {
    inner: R,
    consumed: u64,
    /// Offsets of every `\n` consumed so far, ascending.
    newlines: Vec<u64>,
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        // The bytes being consumed are still buffered: fill_buf returns them without I/O.
        if let Ok(buffer) = self.inner.fill_buf() {
            let start = self.consumed;
            let seen = &buffer[..amount.min(buffer.len())];
            self.newlines.extend(
                seen.iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| start + i as u64),
            );
        }
        self.consumed += amount as u64;
        self.inner.consume(amount);
    }
}

pub(crate) struct Events<R: BufRead> {
    reader: Reader<LineCounter<R>>,
    buffer: Vec<u8>,
}

impl<R: BufRead> Events<R> {
    pub(crate) fn new(source: R) -> Self {
        let counter = LineCounter { inner: source, consumed: 0, newlines: Vec::new() };
        let mut reader = Reader::from_reader(counter);
        reader.config_mut().expand_empty_elements = false;
        Events { reader, buffer: Vec::with_capacity(1024) }
    }

    pub(crate) fn position_of(&self, offset: u64) -> Position {
        let newlines = &self.reader.get_ref().newlines;
        let line = newlines.partition_point(|&n| n < offset);
        let line_start = if line == 0 { 0 } else { newlines[line - 1] + 1 };
        Position { line: line as u64 + 1, column: offset.saturating_sub(line_start) + 1 }
    }

    fn xml_error(&self, error: quick_xml::Error) -> Error {
        let position = self.position_of(self.reader.error_position());
        match error {
            quick_xml::Error::Io(io) => {
                Error::new(None, ErrorKind::Io(io::Error::new(io.kind(), io.to_string())))
            }
            other => Error::new(Some(position), ErrorKind::Xml(other.to_string())),
        }
    }

    fn element(&self, start: &BytesStart<'_>, empty: bool, offset: u64) -> Result<Element> {
        let position = self.position_of(offset);
        let name = start.local_name().as_ref().to_owned();
        let mut attributes = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| {
                Error::new(Some(position), ErrorKind::Xml(format!("in <{name}>: {e}")))
            })?;
            let key = attribute.key;
            if key.as_ref() == "xmlns" || key.prefix().is_some_and(|p| p.as_ref() == "xmlns") {
                continue;
            }
            let key = key.local_name().as_ref().to_owned();
            let value = attribute.normalized_value(XmlVersion::Implicit1_0).map_err(|e| {
                Error::new(Some(position), ErrorKind::Xml(format!("in <{name} {key}>: {e}")))
            })?;
            attributes.push((key, value.into_owned()));
        }
        Ok(Element { name, attributes, empty, position })
    }

    /// The next start tag, end tag or text; `None` at the end of the document.
    pub(crate) fn next(&mut self) -> Result<Option<Item>> {
        loop {
            let offset = self.reader.buffer_position();
            self.buffer.clear();
            let event = match self.reader.read_event_into(&mut self.buffer) {
                Ok(event) => event.into_owned(),
                Err(error) => return Err(self.xml_error(error)),
            };
            return Ok(Some(match event {
                Event::Start(start) => Item::Start(self.element(&start, false, offset)?),
                Event::Empty(start) => Item::Start(self.element(&start, true, offset)?),
                Event::End(_) => Item::End,
                Event::Text(text) => Item::Text(text.xml10_content().into_owned()),
                Event::CData(data) => Item::Text(data.into_inner().into_owned()),
                Event::GeneralRef(reference) => {
                    let text = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => resolve_predefined_entity(&reference)
                            .map(str::to_owned)
                            .ok_or_else(|| {
                                Error::new(
                                    Some(self.position_of(offset)),
                                    ErrorKind::Xml(format!("unknown entity &{};", &*reference)),
                                )
                            })?,
                        Err(error) => return Err(self.xml_error(error)),
                    };
                    Item::Text(text)
                }
                Event::Eof => return Ok(None),
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => continue,
            }));
        }
    }

    /// Call `child` for each child element of `parent` (which must consume it: parse or
    /// [`skip`](Self::skip) it), up to `parent`'s end tag. Text is ignored.
    pub(crate) fn children(
        &mut self,
        parent: &Element,
        mut child: impl FnMut(&mut Self, Element) -> Result<()>,
    ) -> Result<()> {
        if parent.empty {
            return Ok(());
        }
        loop {
            match self.next()? {
                Some(Item::Start(element)) => child(self, element)?,
                Some(Item::End) => return Ok(()),
                Some(Item::Text(_)) => {}
                None => return Err(self.unclosed(parent)),
            }
        }
    }

    /// Skip an element and everything inside it.
    pub(crate) fn skip(&mut self, element: &Element) -> Result<()> {
        self.children(element, |events, child| events.skip(&child))
    }

    /// The text inside an element (nested elements skipped).
    pub(crate) fn text(&mut self, element: &Element) -> Result<String> {
        let mut text = String::new();
        if element.empty {
            return Ok(text);
        }
        loop {
            match self.next()? {
                Some(Item::Start(child)) => self.skip(&child)?,
                Some(Item::End) => return Ok(text),
                Some(Item::Text(part)) => text.push_str(&part),
                None => return Err(self.unclosed(element)),
            }
        }
    }

    fn unclosed(&self, element: &Element) -> Error {
        Error::new(
            Some(element.position),
            ErrorKind::Xml(format!(
                "<{}> is not closed before the end of the document",
                element.name
            )),
        )
    }
}
