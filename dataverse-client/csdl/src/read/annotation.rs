//! `<Annotation>`, `<Annotations>` and annotation expressions (attribute and element forms).

use std::io::BufRead;

use super::events::{Element, Events, parse_bool};
use crate::error::Result;
use crate::model::annotation::{Annotation, Annotations, Expression, PropertyValue, Record};

/// The constant and path expressions that can be written as an attribute or as an element.
const SIMPLE: [&str; 16] = [
    "String",
    "Bool",
    "Int",
    "Decimal",
    "Float",
    "Guid",
    "Date",
    "DateTimeOffset",
    "Duration",
    "TimeOfDay",
    "Binary",
    "EnumMember",
    "Path",
    "PropertyPath",
    "NavigationPropertyPath",
    "AnnotationPath",
];

fn simple(element: &Element, kind: &str, text: String) -> Result<Expression> {
    Ok(match kind {
        "String" => Expression::String(text),
        "Bool" => Expression::Bool(
            parse_bool(&text).ok_or_else(|| element.invalid(kind, &text, "true or false"))?,
        ),
        "Int" => Expression::Int(text),
        "Decimal" => Expression::Decimal(text),
        "Float" => Expression::Float(text),
        "Guid" => Expression::Guid(text),
        "Date" => Expression::Date(text),
        "DateTimeOffset" => Expression::DateTimeOffset(text),
        "Duration" => Expression::Duration(text),
        "TimeOfDay" => Expression::TimeOfDay(text),
        "Binary" => Expression::Binary(text),
        "EnumMember" => Expression::EnumMember(text),
        "Path" => Expression::Path(text),
        "PropertyPath" => Expression::PropertyPath(text),
        "NavigationPropertyPath" => Expression::NavigationPropertyPath(text),
        _ => Expression::AnnotationPath(text),
    })
}

/// The value given as an attribute (`String="…"`), if any.
fn attribute_value(element: &Element) -> Result<Option<Expression>> {
    for kind in SIMPLE {
        if let Some(text) = element.owned(kind) {
            return simple(element, kind, text).map(Some);
        }
    }
    Ok(None)
}

/// An expression element (`<String>`, `<Collection>`, `<Record>`, `<Null/>`, …).
fn expression<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<Expression> {
    let name = element.name.as_str();
    if SIMPLE.contains(&name) {
        let text = events.text(element)?;
        return simple(element, name, text);
    }
    match name {
        "Null" => {
            events.skip(element)?;
            Ok(Expression::Null)
        }
        "Collection" => {
            let mut items = Vec::new();
            events.children(element, |events, child| {
                items.push(expression(events, &child)?);
                Ok(())
            })?;
            Ok(Expression::Collection(items))
        }
        "Record" => record(events, element).map(Expression::Record),
        other => {
            events.skip(element)?;
            Ok(Expression::Other(other.to_owned()))
        }
    }
}

fn record<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<Record> {
    let mut record = Record { type_name: element.owned("Type"), ..Record::default() };
    events.children(element, |events, child| {
        match child.name.as_str() {
            "PropertyValue" => {
                let property = child.required("Property")?;
                let mut value = attribute_value(&child)?;
                events.children(&child, |events, inner| {
                    if inner.name == "Annotation" {
                        events.skip(&inner)
                    } else {
                        value = Some(expression(events, &inner)?);
                        Ok(())
                    }
                })?;
                record.properties.push(PropertyValue { property, value });
            }
            "Annotation" => record.annotations.push(annotation(events, &child)?),
            _ => events.skip(&child)?,
        }
        Ok(())
    })?;
    Ok(record)
}

/// An `<Annotation Term="…">` with its value and nested annotations.
pub(crate) fn annotation<R: BufRead>(
    events: &mut Events<R>,
    element: &Element,
) -> Result<Annotation> {
    let mut annotation = Annotation {
        term: element.required("Term")?,
        qualifier: element.owned("Qualifier"),
        value: attribute_value(element)?,
        annotations: Vec::new(),
    };
    events.children(element, |events, child| {
        if child.name == "Annotation" {
            annotation.annotations.push(self::annotation(events, &child)?);
        } else {
            annotation.value = Some(expression(events, &child)?);
        }
        Ok(())
    })?;
    Ok(annotation)
}

/// `<Annotations Target="…">`.
pub(crate) fn annotations_group<R: BufRead>(
    events: &mut Events<R>,
    element: &Element,
) -> Result<Annotations> {
    let mut group = Annotations {
        target: element.required("Target")?,
        qualifier: element.owned("Qualifier"),
        annotations: Vec::new(),
    };
    events.children(element, |events, child| {
        if child.name == "Annotation" {
            group.annotations.push(annotation(events, &child)?);
            Ok(())
        } else {
            events.skip(&child)
        }
    })?;
    Ok(group)
}

/// Collect the `<Annotation>` children of an element and pass every other child to `other`.
pub(crate) fn with_annotations<R: BufRead>(
    events: &mut Events<R>,
    element: &Element,
    annotations: &mut Vec<Annotation>,
    mut other: impl FnMut(&mut Events<R>, Element) -> Result<()>,
) -> Result<()> {
    events.children(element, |events, child| {
        if child.name == "Annotation" {
            annotations.push(annotation(events, &child)?);
            Ok(())
        } else {
            other(events, child)
        }
    })
}
