//! Which actions and functions to generate and what each becomes: bound ones in their table's
//! module, unbound ones (those the entity container imports) in a module of their own.

use std::collections::BTreeSet;

use dataverse_csdl::{Annotated, Document, EntityType, Operation, OperationKind, Parameter};

use crate::error::Error;
use crate::names::{Scope, snake_words, upper_camel};
use crate::service_types::{Shape, TypeUse};

/// Which unbound actions and functions (the service's own, not tied to a table) to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnboundOperations {
    /// None (operations named with [`Generator::operations`](crate::Generator::operations)
    /// still are).
    None,
    /// Those that take or return a row of one of the generated tables: the default with
    /// [`Generator::tables`](crate::Generator::tables).
    Referenced,
    /// Every one the service exposes: the default with [`Generator::all`](crate::Generator::all).
    All,
}

/// Where an operation is called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Binding {
    /// At the service root, by the name of its import.
    Unbound,
    /// On one row of the table: `<set>(<key>)/Microsoft.Dynamics.CRM.<name>`.
    Row,
    /// On the table: `<set>/Microsoft.Dynamics.CRM.<name>`.
    Collection,
}

/// A parameter (the binding parameter of a bound operation is not one).
#[derive(Clone, Debug)]
pub(crate) struct ParameterPlan {
    /// The name on the wire (`LocalizedStandardName`).
    pub(crate) name: String,
    pub(crate) field: String,
    pub(crate) type_use: TypeUse,
    /// `Option<…>` and left out when `None`: nullable, or marked
    /// `Org.OData.Core.V1.OptionalParameter`.
    pub(crate) optional: bool,
}

/// An action or function as generated.
#[derive(Clone, Debug)]
pub(crate) struct OperationPlan {
    pub(crate) kind: OperationKind,
    /// The name called: the operation's, or its import's when unbound.
    pub(crate) name: String,
    pub(crate) binding: Binding,
    /// The generated function's name.
    pub(crate) function: String,
    /// The parameters struct's name, when there are parameters.
    pub(crate) parameters_struct: Option<String>,
    pub(crate) parameters: Vec<ParameterPlan>,
    pub(crate) returns: Option<TypeUse>,
    pub(crate) description: Option<String>,
}

const OPTIONAL_PARAMETER: &str = "Org.OData.Core.V1.OptionalParameter";

/// The operations bound to `entity` or to its collection, in name order (an operation bound
/// to a base type, such as `crmbaseentity`, is not repeated for every table).
pub(crate) fn bound<'d>(document: &'d Document, entity: &'d EntityType) -> Vec<&'d Operation> {
    let mut operations: Vec<&Operation> = document
        .operations()
        .filter(|op| op.binding_type().is_some_and(|t| document.is_entity_type(&t.name, entity)))
        .collect();
    operations.sort_by_cached_key(|op| sort_key(op));
    operations
}

/// The unbound operations to generate, each with the name its import exposes, in name order:
/// those `which` selects plus those `named`.
///
/// # Errors
/// [`Error::UnknownOperation`] for a name the entity container does not import.
pub(crate) fn unbound<'d>(
    document: &'d Document,
    which: UnboundOperations,
    named: &[String],
    tables: &BTreeSet<&str>,
) -> Result<Vec<(&'d Operation, String)>, Error> {
    let Some(container) = document.entity_container() else {
        return match named.first() {
            Some(name) => Err(Error::UnknownOperation(name.clone())),
            None => Ok(Vec::new()),
        };
    };
    let imports: Vec<(&str, &str)> = container
        .action_imports
        .iter()
        .map(|i| (i.name.as_str(), i.action.as_str()))
        .chain(container.function_imports.iter().map(|i| (i.name.as_str(), i.function.as_str())))
        .collect();
    for name in named {
        if !imports.iter().any(|(import, _)| import == name) {
            return Err(Error::UnknownOperation(name.clone()));
        }
    }
    let mut chosen: Vec<(&Operation, String)> = Vec::new();
    for (import, target) in imports {
        let simple = target.rsplit('.').next().unwrap_or(target);
        for op in document.operations().filter(|op| !op.is_bound && op.name == simple) {
            let wanted = named.iter().any(|n| n == import)
                || match which {
                    UnboundOperations::All => true,
                    UnboundOperations::Referenced => references(document, op, tables),
                    UnboundOperations::None => false,
                };
            if wanted && !chosen.iter().any(|(o, _)| std::ptr::eq(*o, op)) {
                chosen.push((op, import.to_owned()));
            }
        }
    }
    chosen.sort_by_cached_key(|(op, import)| (import.clone(), sort_key(op)));
    Ok(chosen)
}

/// Name, binding (row before table), then parameter names: the same order whatever order the
/// service wrote them in.
fn sort_key(op: &Operation) -> (String, bool, Vec<String>) {
    let collection = op.binding_type().is_some_and(|t| t.collection);
    let parameters = op.parameters.iter().map(|p| format!("{}:{}", p.name, p.type_ref)).collect();
    (op.name.clone(), collection, parameters)
}

/// Whether `op` takes or returns a row of one of `tables`.
fn references(document: &Document, op: &Operation, tables: &BTreeSet<&str>) -> bool {
    op.parameters
        .iter()
        .map(|p| &p.type_ref)
        .chain(op.return_type.as_ref().map(|r| &r.type_ref))
        .any(|type_ref| match TypeUse::of(document, type_ref).shape {
            Shape::Entity { logical_name, is_abstract: false } => {
                tables.contains(logical_name.as_str())
            }
            _ => false,
        })
}

/// Plan one operation; `functions` and `types` hand out names unique in its module.
pub(crate) fn plan(
    document: &Document,
    op: &Operation,
    name: &str,
    functions: &mut Scope,
    types: &mut Scope,
) -> OperationPlan {
    let binding = match op.binding_type() {
        None => Binding::Unbound,
        Some(t) if t.collection => Binding::Collection,
        Some(_) => Binding::Row,
    };
    let skip = usize::from(op.is_bound);
    let mut fields = Scope::default();
    let parameters: Vec<ParameterPlan> = op
        .parameters
        .iter()
        .skip(skip)
        .map(|parameter| ParameterPlan {
            name: parameter.name.clone(),
            field: fields.claim(snake_words(&parameter.name)),
            type_use: TypeUse::of(document, &parameter.type_ref),
            optional: is_optional(parameter),
        })
        .collect();
    let camel = upper_camel(name);
    OperationPlan {
        kind: op.kind,
        name: name.to_owned(),
        binding,
        function: functions.claim(snake_words(name)),
        parameters_struct: (!parameters.is_empty())
            .then(|| types.claim(format!("{camel}Parameters"))),
        parameters,
        returns: op.return_type.as_ref().map(|r| TypeUse::of(document, &r.type_ref)),
        description: op.description().map(str::to_owned),
    }
}

fn is_optional(parameter: &Parameter) -> bool {
    parameter.facets.nullable || parameter.annotation(OPTIONAL_PARAMETER).is_some()
}
