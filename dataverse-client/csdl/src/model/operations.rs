//! Actions and functions: Dataverse messages and custom APIs.

use super::annotation::{Annotated, Annotation};
use super::types::{Facets, TypeRef};

/// Whether an operation is an action (POST, may change data) or a function (GET, no side
/// effects).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// `<Action>`.
    Action,
    /// `<Function>`.
    Function,
}

/// An `<Action>` or `<Function>`. Overloads appear as several operations with the same name.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Operation {
    /// Action or function.
    pub kind: OperationKind,
    /// `Name`.
    pub name: String,
    /// `IsBound`: the first parameter is the entity (or collection) it is called on.
    pub is_bound: bool,
    /// `IsComposable` (functions).
    pub is_composable: bool,
    /// `EntitySetPath`.
    pub entity_set_path: Option<String>,
    /// Parameters, in order; for a bound operation the first is the binding parameter.
    pub parameters: Vec<Parameter>,
    /// `<ReturnType>`, if any.
    pub return_type: Option<ReturnType>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}

impl Operation {
    /// For a bound operation, the type it is bound to (its first parameter's type).
    pub fn binding_type(&self) -> Option<&TypeRef> {
        if self.is_bound { self.parameters.first().map(|p| &p.type_ref) } else { None }
    }
}

impl Annotated for Operation {
    fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
}

/// A `<Parameter>` of an operation.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Parameter {
    /// `Name`.
    pub name: String,
    /// `Type`.
    pub type_ref: TypeRef,
    /// Facets.
    pub facets: Facets,
    /// Annotations (`Org.OData.Core.V1.OptionalParameter` marks optional ones).
    pub annotations: Vec<Annotation>,
}

impl Annotated for Parameter {
    fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
}

/// The `<ReturnType>` of an operation.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ReturnType {
    /// `Type`.
    pub type_ref: TypeRef,
    /// Facets.
    pub facets: Facets,
}
