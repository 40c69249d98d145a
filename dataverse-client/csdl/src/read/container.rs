//! `<EntityContainer>` and what it holds.

use std::io::BufRead;

use super::annotation::with_annotations;
use super::events::{Element, Events};
use crate::error::Result;
use crate::model::container::{
    ActionImport, EntityContainer, EntitySet, FunctionImport, NavigationPropertyBinding, Singleton,
};
use crate::model::types::TypeRef;

pub(super) fn entity_container<R: BufRead>(
    events: &mut Events<R>,
    element: &Element,
) -> Result<EntityContainer> {
    let mut container = EntityContainer {
        name: element.required("Name")?,
        extends: element.owned("Extends"),
        entity_sets: Vec::new(),
        singletons: Vec::new(),
        action_imports: Vec::new(),
        function_imports: Vec::new(),
        annotations: Vec::new(),
    };
    let EntityContainer {
        entity_sets,
        singletons,
        action_imports,
        function_imports,
        annotations,
        ..
    } = &mut container;
    with_annotations(events, element, annotations, |events, child| {
        match child.name.as_str() {
            "EntitySet" => entity_sets.push(entity_set(events, &child)?),
            "Singleton" => singletons.push(singleton(events, &child)?),
            "ActionImport" => {
                action_imports.push(ActionImport {
                    name: child.required("Name")?,
                    action: child.required("Action")?,
                    entity_set: child.owned("EntitySet"),
                });
                events.skip(&child)?;
            }
            "FunctionImport" => {
                function_imports.push(FunctionImport {
                    name: child.required("Name")?,
                    function: child.required("Function")?,
                    entity_set: child.owned("EntitySet"),
                    include_in_service_document: child.flag("IncludeInServiceDocument", false)?,
                });
                events.skip(&child)?;
            }
            _ => events.skip(&child)?,
        }
        Ok(())
    })?;
    Ok(container)
}

fn binding(element: &Element) -> Result<NavigationPropertyBinding> {
    Ok(NavigationPropertyBinding {
        path: element.required("Path")?,
        target: element.required("Target")?,
    })
}

fn entity_set<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<EntitySet> {
    let mut set = EntitySet {
        name: element.required("Name")?,
        entity_type: element.required("EntityType")?,
        include_in_service_document: element.flag("IncludeInServiceDocument", true)?,
        navigation_property_bindings: Vec::new(),
        annotations: Vec::new(),
        other_attributes: element.others(&["Name", "EntityType", "IncludeInServiceDocument"]),
    };
    let EntitySet { navigation_property_bindings, annotations, .. } = &mut set;
    with_annotations(events, element, annotations, |events, child| {
        if child.name == "NavigationPropertyBinding" {
            navigation_property_bindings.push(binding(&child)?);
        }
        events.skip(&child)
    })?;
    Ok(set)
}

fn singleton<R: BufRead>(events: &mut Events<R>, element: &Element) -> Result<Singleton> {
    let mut singleton = Singleton {
        name: element.required("Name")?,
        type_ref: TypeRef::parse(&element.required("Type")?),
        navigation_property_bindings: Vec::new(),
        annotations: Vec::new(),
    };
    let Singleton { navigation_property_bindings, annotations, .. } = &mut singleton;
    with_annotations(events, element, annotations, |events, child| {
        if child.name == "NavigationPropertyBinding" {
            navigation_property_bindings.push(binding(&child)?);
        }
        events.skip(&child)
    })?;
    Ok(singleton)
}
