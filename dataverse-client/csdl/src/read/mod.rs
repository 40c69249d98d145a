//! From XML events to the model: one function per CSDL element, each consuming its element.
//!
//! Unknown elements are skipped and unknown attributes kept where the model has room for them,
//! so documents from newer (or older) services still load.

mod annotation;
mod container;
mod events;
mod structured;

use std::io::BufRead;

use crate::error::{Error, ErrorKind, Result};
use crate::model::document::{Document, Include, Reference, Schema};
use annotation::{annotation, annotations_group};
pub(crate) use events::{Element, Events};

/// Read a whole document.
pub(crate) fn document<R: BufRead>(source: R) -> Result<Document> {
    let mut events = Events::new(source);
    let root = loop {
        match events.next()? {
            Some(events::Item::Start(element)) => break element,
            Some(_) => continue,
            None => {
                return Err(Error::new(
                    None,
                    ErrorKind::NotCsdl("the document has no root element".to_owned()),
                ));
            }
        }
    };
    if root.name != "Edmx" {
        return Err(Error::new(
            Some(root.position),
            ErrorKind::NotCsdl(format!("the root element is <{}>, not <edmx:Edmx>", root.name)),
        ));
    }
    let mut document = Document {
        version: root.owned("Version").unwrap_or_default(),
        references: Vec::new(),
        schemas: Vec::new(),
    };
    let mut saw_data_services = false;
    events.children(&root, |events, child| match child.name.as_str() {
        "Reference" => {
            document.references.push(reference(events, &child)?);
            Ok(())
        }
        "DataServices" => {
            saw_data_services = true;
            events.children(&child, |events, item| {
                if item.name == "Schema" {
                    document.schemas.push(schema(events, &item)?);
                    Ok(())
                } else {
                    events.skip(&item)
                }
            })
        }
        _ => events.skip(&child),
    })?;
    if !saw_data_services {
        return Err(Error::new(
            Some(root.position),
            ErrorKind::NotCsdl("<edmx:Edmx> has no <edmx:DataServices>".to_owned()),
        ));
    }
    Ok(document)
}

fn reference<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<Reference> {
    let mut reference =
        Reference { uri: element.owned("Uri").unwrap_or_default(), includes: Vec::new() };
    events.children(element, |events, child| {
        if child.name == "Include" {
            reference.includes.push(Include {
                namespace: child.required("Namespace")?,
                alias: child.owned("Alias"),
            });
        }
        events.skip(&child)
    })?;
    Ok(reference)
}

fn schema<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<Schema> {
    let mut schema = Schema {
        namespace: element.required("Namespace")?,
        alias: element.owned("Alias"),
        ..Schema::default()
    };
    events.children(element, |events, child| {
        match child.name.as_str() {
            "EntityType" => schema.entity_types.push(structured::entity_type(events, &child)?),
            "ComplexType" => schema.complex_types.push(structured::complex_type(events, &child)?),
            "EnumType" => schema.enum_types.push(structured::enum_type(events, &child)?),
            "TypeDefinition" => {
                schema.type_definitions.push(structured::type_definition(events, &child)?);
            }
            "Action" | "Function" => schema.operations.push(structured::operation(events, &child)?),
            "Term" => schema.terms.push(structured::term(events, &child)?),
            "EntityContainer" => {
                let container = container::entity_container(events, &child)?;
                schema.entity_container.get_or_insert(container);
            }
            "Annotations" => schema.annotation_groups.push(annotations_group(events, &child)?),
            "Annotation" => schema.annotations.push(annotation(events, &child)?),
            _ => events.skip(&child)?,
        }
        Ok(())
    })?;
    Ok(schema)
}
