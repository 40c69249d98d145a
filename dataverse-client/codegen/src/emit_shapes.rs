//! The Rust type of an operation's parameter, return value or complex property, and how a
//! value of it is written.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{rust_type, serde_with};
use crate::names::ident;
use crate::plan::Kind;
use crate::service_types::{Shape, TypeUse, Types};

const FLAGS: &str = "::dataverse_client::typed::flags";

/// What the generated code around a type can name.
pub(crate) struct Paths<'a> {
    pub(crate) types: &'a Types,
    /// The path of the module holding complex and enumeration types (`super::types`), or
    /// `None` inside it.
    pub(crate) types_module: Option<&'a str>,
    /// The generated tables: logical name → (module, read struct).
    pub(crate) tables: &'a BTreeMap<String, (String, String)>,
    /// The module the code is in, when it is a table's.
    pub(crate) here: Option<&'a str>,
}

impl Paths<'_> {
    /// A complex or enumeration type by its CSDL name.
    pub(crate) fn named(&self, csdl_name: &str) -> TokenStream {
        let name = ident(self.types.rust_name(csdl_name));
        match self.types_module {
            Some(module) => {
                let module = ident(module);
                quote!(super::#module::#name)
            }
            None => quote!(#name),
        }
    }

    /// The read struct of a generated table, if it is generated.
    pub(crate) fn table(&self, logical_name: &str) -> Option<TokenStream> {
        let (module, name) = self.tables.get(logical_name)?;
        let name = ident(name);
        if self.here == Some(module.as_str()) {
            return Some(quote!(#name));
        }
        let module = ident(module);
        Some(quote!(super::#module::#name))
    }
}

/// How an entity-typed value is held where serde writes it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rows {
    /// As JSON (`records::Record`): properties of complex types.
    Records,
    /// With its `@odata.type` (`typed::Entity`): action parameters.
    Entities,
}

/// A field serde reads or writes: its type and the `with` module it needs.
pub(crate) struct SerdeField {
    pub(crate) ty: TokenStream,
    pub(crate) with: Option<String>,
}

/// A kind whose JSON needs a `with` module (exact decimals, RFC 3339 dates).
fn needs_with(kind: &Kind) -> bool {
    serde_with(kind, false).is_some()
}

/// The field for `type_use`, `Option` when `optional`. Collections of values that need a
/// `with` module (decimals, dates, flags) are kept as JSON.
pub(crate) fn serde_field(
    paths: &Paths<'_>,
    type_use: &TypeUse,
    optional: bool,
    boxed: bool,
    rows: Rows,
) -> SerdeField {
    let flags = is_flags(paths, &type_use.shape);
    let json = quote!(::serde_json::Value);
    let (ty, with) = match &type_use.shape {
        Shape::Primitive(kind) if type_use.collection && needs_with(kind) => (json, None),
        Shape::Enum(_) if type_use.collection && flags => (json, None),
        Shape::AnyComplex => (json, None),
        _ => {
            let (item, with) = match &type_use.shape {
                Shape::Primitive(kind) => {
                    (rust_type(kind), serde_with(kind, optional).filter(|_| !type_use.collection))
                }
                Shape::Enum(name) if flags => {
                    let ty = paths.named(name);
                    let with = if optional { format!("{FLAGS}::option") } else { FLAGS.to_owned() };
                    (quote!(Vec<#ty>), Some(with))
                }
                Shape::Enum(name) | Shape::Complex(name) => (paths.named(name), None),
                Shape::Entity { .. } if rows == Rows::Records => {
                    (quote!(::dataverse_client::records::Record), None)
                }
                _ => (quote!(::dataverse_client::typed::Entity), None),
            };
            if type_use.collection {
                (quote!(Vec<#item>), None)
            } else if boxed {
                (quote!(Box<#item>), with)
            } else {
                (item, with)
            }
        }
    };
    let ty = if optional { quote!(Option<#ty>) } else { ty };
    SerdeField { ty, with }
}

fn is_flags(paths: &Paths<'_>, shape: &Shape) -> bool {
    matches!(shape, Shape::Enum(name) if paths.types.is_flags(name))
}

/// The field type of a function parameter (without `Option`).
pub(crate) fn function_field(
    paths: &Paths<'_>,
    type_use: &TypeUse,
    entity_set: Option<&str>,
) -> TokenStream {
    if type_use.collection {
        return match &type_use.shape {
            Shape::Primitive(kind) if !needs_with(kind) => {
                let ty = rust_type(kind);
                quote!(Vec<#ty>)
            }
            Shape::Enum(name) | Shape::Complex(name) if !paths.types.is_flags(name) => {
                let ty = paths.named(name);
                quote!(Vec<#ty>)
            }
            _ => quote!(::serde_json::Value),
        };
    }
    match &type_use.shape {
        Shape::Primitive(kind) => rust_type(kind),
        Shape::Enum(name) if paths.types.is_flags(name) => {
            let ty = paths.named(name);
            quote!(Vec<#ty>)
        }
        Shape::Enum(name) | Shape::Complex(name) => paths.named(name),
        Shape::AnyComplex => quote!(::serde_json::Value),
        Shape::Entity { is_abstract: false, .. } if entity_set.is_some() => {
            quote!(::dataverse_client::records::RecordKey)
        }
        Shape::Entity { .. } => quote!(::dataverse_client::operations::ParameterValue),
    }
}

/// The statement that adds a function parameter named `name` to `function`: from
/// `parameters.<field>` when `field` is given, else from `value`, a reference bound by
/// `if let Some(value) = &parameters.<field>`.
pub(crate) fn function_argument(
    paths: &Paths<'_>,
    type_use: &TypeUse,
    name: &str,
    entity_set: Option<&str>,
    field: Option<&proc_macro2::Ident>,
) -> TokenStream {
    // The value as a place (`parameters.x`, `*value`) and as a reference.
    let (place, reference) = match field {
        Some(field) => (quote!(parameters.#field), quote!(&parameters.#field)),
        None => (quote!(*value), quote!(value)),
    };
    let owned = match field {
        Some(field) => quote!(parameters.#field),
        None => quote!(value),
    };
    let as_json = quote! {
        function = function.parameters(&::std::collections::BTreeMap::from([(#name, #reference)]));
    };
    if type_use.collection {
        return as_json;
    }
    match &type_use.shape {
        Shape::Primitive(Kind::Text) => quote! {
            function = function.parameter(#name, #owned.as_str());
        },
        Shape::Primitive(Kind::Json) | Shape::Complex(_) | Shape::AnyComplex => as_json,
        Shape::Primitive(_) => quote! {
            function = function.parameter(#name, #place);
        },
        Shape::Enum(csdl_name) => {
            let plan = paths.types.enum_plan(csdl_name);
            let qualified = plan.map_or_else(|| csdl_name.clone(), |e| e.qualified.clone());
            let members = if plan.is_some_and(|e| e.flags) {
                quote!(#owned.iter().map(|member| member.as_ref()))
            } else {
                quote!([#owned.as_ref()])
            };
            quote! {
                function = function.parameter(
                    #name,
                    ::dataverse_client::operations::ParameterValue::enum_members(#qualified, #members),
                );
            }
        }
        Shape::Entity { is_abstract: false, .. } if entity_set.is_some() => {
            let set = entity_set.unwrap_or_default();
            quote! {
                function = function.parameter(
                    #name,
                    ::dataverse_client::operations::ParameterValue::record(#set, #owned.clone()),
                );
            }
        }
        Shape::Entity { .. } => quote! {
            function = function.parameter(#name, #owned.clone());
        },
    }
}

/// The type an operation's response decodes into.
pub(crate) fn response_type(paths: &Paths<'_>, type_use: &TypeUse) -> TokenStream {
    let value = |inner: TokenStream| quote!(::dataverse_client::typed::ValueResponse<#inner>);
    let row = |logical_name: &str, is_abstract: bool| {
        (!is_abstract)
            .then(|| paths.table(logical_name))
            .flatten()
            .unwrap_or_else(|| quote!(::dataverse_client::records::Record))
    };
    match (&type_use.shape, type_use.collection) {
        (Shape::Complex(name), false) => paths.named(name),
        (Shape::AnyComplex, false) => quote!(::serde_json::Value),
        (Shape::Entity { logical_name, is_abstract }, false) => row(logical_name, *is_abstract),
        (Shape::Entity { logical_name, is_abstract }, true) => {
            let row = row(logical_name, *is_abstract);
            value(quote!(Vec<#row>))
        }
        (Shape::Complex(name), true) => {
            let ty = paths.named(name);
            value(quote!(Vec<#ty>))
        }
        (Shape::Enum(name), false) if !paths.types.is_flags(name) => value(paths.named(name)),
        (Shape::Enum(name), true) if !paths.types.is_flags(name) => {
            let ty = paths.named(name);
            value(quote!(Vec<#ty>))
        }
        (Shape::Primitive(kind), false) if !needs_with(kind) => value(rust_type(kind)),
        (Shape::Primitive(kind), true) if !needs_with(kind) => {
            let ty = rust_type(kind);
            value(quote!(Vec<#ty>))
        }
        // Decimals and dates need a `with` module, flags a list: kept as JSON.
        _ => value(quote!(::serde_json::Value)),
    }
}
