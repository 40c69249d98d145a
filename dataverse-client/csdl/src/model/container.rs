//! The entity container: entity sets (the URL names of tables), singletons and operation
//! imports.

use super::annotation::{Annotated, Annotation};
use super::types::TypeRef;

/// The `<EntityContainer>` (Dataverse has one, named `System`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EntityContainer {
    /// `Name`.
    pub name: String,
    /// `Extends`.
    pub extends: Option<String>,
    /// Entity sets, in document order.
    pub entity_sets: Vec<EntitySet>,
    /// Singletons.
    pub singletons: Vec<Singleton>,
    /// Action imports: the unbound actions callable at the service root.
    pub action_imports: Vec<ActionImport>,
    /// Function imports: the unbound functions callable at the service root.
    pub function_imports: Vec<FunctionImport>,
    /// Annotations (service capabilities).
    pub annotations: Vec<Annotation>,
}

impl EntityContainer {
    /// The entity set named `name`.
    pub fn entity_set(&self, name: &str) -> Option<&EntitySet> {
        self.entity_sets.iter().find(|s| s.name == name)
    }
}

impl Annotated for EntityContainer {
    fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
}

/// An `<EntitySet>`: the collection a table is addressed by in URLs (`accounts`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EntitySet {
    /// `Name`: the entity set name (`accounts`, `cre6f_agreements`).
    pub name: String,
    /// `EntityType`: the qualified name of its entity type.
    pub entity_type: String,
    /// `IncludeInServiceDocument` (default `true`).
    pub include_in_service_document: bool,
    /// Which entity set each navigation property leads to.
    pub navigation_property_bindings: Vec<NavigationPropertyBinding>,
    /// Annotations (capabilities such as change tracking).
    pub annotations: Vec<Annotation>,
    /// Attributes CSDL does not define.
    pub other_attributes: Vec<(String, String)>,
}

impl EntitySet {
    /// The target entity set of the navigation property at `path`.
    pub fn binding_target(&self, path: &str) -> Option<&str> {
        self.navigation_property_bindings.iter().find(|b| b.path == path).map(|b| b.target.as_str())
    }
}

impl Annotated for EntitySet {
    fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
}

/// A `<NavigationPropertyBinding>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NavigationPropertyBinding {
    /// `Path`: the navigation property (possibly through a type cast).
    pub path: String,
    /// `Target`: the entity set it leads to.
    pub target: String,
}

/// A `<Singleton>`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Singleton {
    /// `Name`.
    pub name: String,
    /// `Type`.
    pub type_ref: TypeRef,
    /// Navigation property bindings.
    pub navigation_property_bindings: Vec<NavigationPropertyBinding>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}

/// An `<ActionImport>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActionImport {
    /// `Name`: the name at the service root.
    pub name: String,
    /// `Action`: the qualified name of the action.
    pub action: String,
    /// `EntitySet` of the result.
    pub entity_set: Option<String>,
}

/// A `<FunctionImport>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FunctionImport {
    /// `Name`: the name at the service root.
    pub name: String,
    /// `Function`: the qualified name of the function.
    pub function: String,
    /// `EntitySet` of the result.
    pub entity_set: Option<String>,
    /// `IncludeInServiceDocument` (default `false`).
    pub include_in_service_document: bool,
}
