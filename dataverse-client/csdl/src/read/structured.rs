//! Types and their members, and operations.

use std::io::BufRead;

use super::annotation::with_annotations;
use super::events::{Element, Events};
use crate::error::Result;
use crate::model::operations::{Operation, OperationKind, Parameter, ReturnType};
use crate::model::structured::{
    ComplexType, EntityType, EnumMember, EnumType, NavigationProperty, Property,
    ReferentialConstraint, Term, TypeDefinition,
};
use crate::model::types::{Facets, MaxLength, Scale, TypeRef};

const FACETS: [&str; 6] = ["Nullable", "MaxLength", "Precision", "Scale", "Unicode", "SRID"];

fn facets(element: &Element) -> Result<Facets> {
    let number = |name: &str| -> Result<Option<u32>> {
        element
            .attr(name)
            .map(|v| v.trim().parse::<u32>().map_err(|_| element.invalid(name, v, "a number")))
            .transpose()
    };
    let max_length = match element.attr("MaxLength") {
        None => None,
        Some(v) if v.trim().eq_ignore_ascii_case("max") => Some(MaxLength::Max),
        Some(v) => Some(MaxLength::Length(
            v.trim().parse().map_err(|_| element.invalid("MaxLength", v, "a number or max"))?,
        )),
    };
    let scale = match element.attr("Scale") {
        None => None,
        Some(v) if v.trim().eq_ignore_ascii_case("variable") => Some(Scale::Variable),
        Some(v) if v.trim().eq_ignore_ascii_case("floating") => Some(Scale::Floating),
        Some(v) => Some(Scale::Digits(
            v.trim()
                .parse()
                .map_err(|_| element.invalid("Scale", v, "a number, variable or floating"))?,
        )),
    };
    Ok(Facets {
        nullable: element.flag("Nullable", true)?,
        max_length,
        precision: number("Precision")?,
        scale,
        unicode: element.attr("Unicode").map(|_| element.flag("Unicode", true)).transpose()?,
        srid: element.owned("SRID"),
    })
}

fn type_ref(element: &Element) -> Result<TypeRef> {
    Ok(TypeRef::parse(&element.required("Type")?))
}

pub(super) fn entity_type<R: BufRead>(
    events: &mut Events<R>,
    element: &Element,
) -> Result<EntityType> {
    let mut entity = EntityType {
        name: element.required("Name")?,
        base_type: element.owned("BaseType"),
        is_abstract: element.flag("Abstract", false)?,
        open_type: element.flag("OpenType", false)?,
        has_stream: element.flag("HasStream", false)?,
        key: Vec::new(),
        properties: Vec::new(),
        navigation_properties: Vec::new(),
        annotations: Vec::new(),
        other_attributes: element.others(&[
            "Name",
            "BaseType",
            "Abstract",
            "OpenType",
            "HasStream",
        ]),
    };
    let EntityType { key, properties, navigation_properties, annotations, .. } = &mut entity;
    with_annotations(events, element, annotations, |events, child| {
        match child.name.as_str() {
            "Key" => events.children(&child, |events, part| {
                if part.name == "PropertyRef" {
                    key.push(part.required("Name")?);
                }
                events.skip(&part)
            })?,
            "Property" => properties.push(property(events, &child)?),
            "NavigationProperty" => navigation_properties.push(navigation(events, &child)?),
            _ => events.skip(&child)?,
        }
        Ok(())
    })?;
    Ok(entity)
}

pub(super) fn complex_type<R: BufRead>(
    events: &mut Events<R>,
    element: &Element,
) -> Result<ComplexType> {
    let mut complex = ComplexType {
        name: element.required("Name")?,
        base_type: element.owned("BaseType"),
        is_abstract: element.flag("Abstract", false)?,
        open_type: element.flag("OpenType", false)?,
        properties: Vec::new(),
        navigation_properties: Vec::new(),
        annotations: Vec::new(),
    };
    let ComplexType { properties, navigation_properties, annotations, .. } = &mut complex;
    with_annotations(events, element, annotations, |events, child| {
        match child.name.as_str() {
            "Property" => properties.push(property(events, &child)?),
            "NavigationProperty" => navigation_properties.push(navigation(events, &child)?),
            _ => events.skip(&child)?,
        }
        Ok(())
    })?;
    Ok(complex)
}

fn property<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<Property> {
    let mut known = vec!["Name", "Type", "DefaultValue"];
    known.extend(FACETS);
    let mut property = Property {
        name: element.required("Name")?,
        type_ref: type_ref(element)?,
        facets: facets(element)?,
        default_value: element.owned("DefaultValue"),
        annotations: Vec::new(),
        other_attributes: element.others(&known),
    };
    with_annotations(events, element, &mut property.annotations, |events, child| {
        events.skip(&child)
    })?;
    Ok(property)
}

fn navigation<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<NavigationProperty> {
    let mut navigation = NavigationProperty {
        name: element.required("Name")?,
        type_ref: type_ref(element)?,
        nullable: element.flag("Nullable", true)?,
        partner: element.owned("Partner"),
        contains_target: element.flag("ContainsTarget", false)?,
        referential_constraints: Vec::new(),
        on_delete: None,
        annotations: Vec::new(),
        other_attributes: element.others(&[
            "Name",
            "Type",
            "Nullable",
            "Partner",
            "ContainsTarget",
        ]),
    };
    let NavigationProperty { referential_constraints, on_delete, annotations, .. } =
        &mut navigation;
    with_annotations(events, element, annotations, |events, child| {
        match child.name.as_str() {
            "ReferentialConstraint" => referential_constraints.push(ReferentialConstraint {
                property: child.required("Property")?,
                referenced_property: child.required("ReferencedProperty")?,
            }),
            "OnDelete" => *on_delete = Some(child.required("Action")?),
            _ => {}
        }
        events.skip(&child)
    })?;
    Ok(navigation)
}

pub(super) fn enum_type<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<EnumType> {
    let mut enum_type = EnumType {
        name: element.required("Name")?,
        underlying_type: element.owned("UnderlyingType"),
        is_flags: element.flag("IsFlags", false)?,
        members: Vec::new(),
        annotations: Vec::new(),
    };
    let EnumType { members, annotations, .. } = &mut enum_type;
    with_annotations(events, element, annotations, |events, child| {
        if child.name != "Member" {
            return events.skip(&child);
        }
        let value = child
            .attr("Value")
            .map(|v| v.trim().parse::<i64>().map_err(|_| child.invalid("Value", v, "an integer")))
            .transpose()?;
        let mut member =
            EnumMember { name: child.required("Name")?, value, annotations: Vec::new() };
        with_annotations(events, &child, &mut member.annotations, |events, inner| {
            events.skip(&inner)
        })?;
        members.push(member);
        Ok(())
    })?;
    Ok(enum_type)
}

pub(super) fn type_definition<R: BufRead>(
    events: &mut Events<R>,
    element: &Element,
) -> Result<TypeDefinition> {
    let mut definition = TypeDefinition {
        name: element.required("Name")?,
        underlying_type: element.required("UnderlyingType")?,
        facets: facets(element)?,
        annotations: Vec::new(),
    };
    with_annotations(events, element, &mut definition.annotations, |events, child| {
        events.skip(&child)
    })?;
    Ok(definition)
}

pub(super) fn term<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<Term> {
    let mut term = Term {
        name: element.required("Name")?,
        type_ref: type_ref(element)?,
        base_term: element.owned("BaseTerm"),
        default_value: element.owned("DefaultValue"),
        applies_to: element
            .attr("AppliesTo")
            .map(|a| a.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
        facets: facets(element)?,
        annotations: Vec::new(),
    };
    with_annotations(events, element, &mut term.annotations, |events, child| events.skip(&child))?;
    Ok(term)
}

pub(super) fn operation<R: BufRead>(
    events: &mut Events<R>,
    element: &Element,
) -> Result<Operation> {
    let kind =
        if element.name == "Action" { OperationKind::Action } else { OperationKind::Function };
    let mut operation = Operation {
        kind,
        name: element.required("Name")?,
        is_bound: element.flag("IsBound", false)?,
        is_composable: element.flag("IsComposable", false)?,
        entity_set_path: element.owned("EntitySetPath"),
        parameters: Vec::new(),
        return_type: None,
        annotations: Vec::new(),
    };
    let Operation { parameters, return_type, annotations, .. } = &mut operation;
    with_annotations(events, element, annotations, |events, child| {
        match child.name.as_str() {
            "Parameter" => {
                let mut parameter = Parameter {
                    name: child.required("Name")?,
                    type_ref: type_ref(&child)?,
                    facets: facets(&child)?,
                    annotations: Vec::new(),
                };
                with_annotations(events, &child, &mut parameter.annotations, |events, inner| {
                    events.skip(&inner)
                })?;
                parameters.push(parameter);
            }
            "ReturnType" => {
                *return_type =
                    Some(ReturnType { type_ref: type_ref(&child)?, facets: facets(&child)? });
                events.skip(&child)?;
            }
            _ => events.skip(&child)?,
        }
        Ok(())
    })?;
    Ok(operation)
}
