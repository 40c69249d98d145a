//! Actions and functions as typed calls: a parameters struct and a function that builds the
//! `operations::Action` or `operations::Function` to pass to `client.action(…)` or
//! `client.function(…)`.

use dataverse_csdl::OperationKind;
use proc_macro2::TokenStream;
use quote::quote;

use crate::emit_shapes::{
    Paths, Rows, SerdeField, function_argument, function_field, response_type, serde_field,
};
use crate::names::{doc_text, ident};
use crate::operations::{Binding, OperationPlan, ParameterPlan};
use crate::service_types::{Shape, TypeUse};

/// The doc of the module of unbound operations.
pub(crate) const UNBOUND_DOC: &str = " The unbound actions and functions (custom APIs included) of the service: each a function that builds the call to pass to `client.action(…)` or `client.function(…)`.";

/// `super :: types :: X < Y >` as `super::types::X<Y>`, for docs.
fn type_text(tokens: &TokenStream) -> String {
    tokens
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
}

/// Every operation of a module: a table's (`bound_to` its entity set) or the unbound ones.
/// `entity_set_of` gives the entity set of a table (for function parameters that reference a
/// row).
pub(crate) fn operations(
    paths: &Paths<'_>,
    plans: &[OperationPlan],
    entity_set_of: &dyn Fn(&str) -> Option<String>,
    bound_to: Option<&str>,
) -> TokenStream {
    plans.iter().map(|plan| operation(paths, plan, entity_set_of, bound_to)).collect()
}

fn operation(
    paths: &Paths<'_>,
    plan: &OperationPlan,
    entity_set_of: &dyn Fn(&str) -> Option<String>,
    bound_to: Option<&str>,
) -> TokenStream {
    let structure = parameters_struct(paths, plan, entity_set_of);
    let set = bound_to.unwrap_or("<entity set>");
    let function = match plan.kind {
        OperationKind::Function => function_call(paths, plan, entity_set_of, set),
        _ => action_call(paths, plan, set),
    };
    quote! {
        #structure
        #function
    }
}

fn entity_set(
    type_use: &TypeUse,
    entity_set_of: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    match &type_use.shape {
        Shape::Entity { logical_name, is_abstract: false } => entity_set_of(logical_name),
        _ => None,
    }
}

/// What a parameter holds, for its doc.
fn parameter_doc(
    paths: &Paths<'_>,
    plan: &OperationPlan,
    parameter: &ParameterPlan,
    entity_set_of: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut doc = format!(" `{}` ({}", parameter.name, parameter.type_use.written);
    if parameter.optional {
        doc.push_str(", optional: left out when `None`");
    }
    doc.push_str(").");
    let function = plan.kind == OperationKind::Function;
    if let (Shape::Entity { logical_name, is_abstract }, false) =
        (&parameter.type_use.shape, parameter.type_use.collection)
    {
        let note = match (function, is_abstract, entity_set(&parameter.type_use, entity_set_of)) {
            (true, false, Some(_)) => format!(" The key of the `{logical_name}` row."),
            (true, _, _) => {
                " A row reference: `ParameterValue::record(\"<entity set>\", key)`.".to_owned()
            }
            (false, true, _) => " A row of any table with its `@odata.type`: \
                `typed::Entity::reference::<T>(id)` or `typed::Entity::new(…)`."
                .to_owned(),
            (false, false, _) => match paths.tables.get(logical_name) {
                Some((module, name)) => format!(
                    " A `{logical_name}` row with its `@odata.type`: `{module}::{name}Write::new()…into()` \
                     or `typed::Entity::reference::<{module}::{name}>(id)`."
                ),
                None => format!(
                    " A `{logical_name}` row with its `@odata.type`: `typed::Entity::new(\"{logical_name}\", …)`."
                ),
            },
        };
        doc.push_str(&note);
    }
    doc
}

fn parameters_struct(
    paths: &Paths<'_>,
    plan: &OperationPlan,
    entity_set_of: &dyn Fn(&str) -> Option<String>,
) -> TokenStream {
    let Some(name) = &plan.parameters_struct else { return quote!() };
    let name = ident(name);
    let function = plan.kind == OperationKind::Function;
    let doc = if ident(&plan.function) == plan.function.as_str() {
        format!(" The parameters of `{}` (see [`{}`]).", plan.name, plan.function)
    } else {
        format!(" The parameters of `{}`.", plan.name)
    };
    let fields: Vec<TokenStream> = plan
        .parameters
        .iter()
        .map(|parameter| {
            let field = ident(&parameter.field);
            let doc = parameter_doc(paths, plan, parameter, entity_set_of);
            if function {
                let ty = function_field(
                    paths,
                    &parameter.type_use,
                    entity_set(&parameter.type_use, entity_set_of).as_deref(),
                );
                let ty = if parameter.optional { quote!(Option<#ty>) } else { ty };
                return quote! {
                    #[doc = #doc]
                    pub #field: #ty,
                };
            }
            let SerdeField { ty, with } =
                serde_field(paths, &parameter.type_use, parameter.optional, false, Rows::Entities);
            let json = &parameter.name;
            let mut options = vec![quote!(rename = #json)];
            if parameter.optional {
                options.push(quote!(skip_serializing_if = "Option::is_none"));
            }
            if let Some(with) = with {
                let serialize = format!("{with}::serialize");
                options.push(quote!(serialize_with = #serialize));
            }
            quote! {
                #[doc = #doc]
                #[serde(#(#options),*)]
                pub #field: #ty,
            }
        })
        .collect();
    let default = plan
        .parameters
        .iter()
        .all(|p| p.optional || has_default(paths, &p.type_use))
        .then(|| quote!(Default,));
    let serialize = (!function).then(|| quote!(::serde::Serialize));
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, #default PartialEq, #serialize)]
        pub struct #name {
            #(#fields)*
        }
    }
}

/// Whether a parameter's field type has a `Default`.
fn has_default(paths: &Paths<'_>, type_use: &TypeUse) -> bool {
    match &type_use.shape {
        // `typed::Entity`, `RecordKey` and `ParameterValue` have none.
        Shape::Entity { .. } if !type_use.collection => false,
        _ => paths.types.has_default(type_use),
    }
}

/// `(key: impl Into<RecordKey>, parameters: &P)` and the start of the operation's doc.
fn signature(plan: &OperationPlan) -> (Vec<TokenStream>, String) {
    let mut arguments = Vec::new();
    let target = match plan.binding {
        Binding::Unbound => None,
        Binding::Row => {
            arguments.push(quote!(key: impl Into<::dataverse_client::records::RecordKey>));
            Some("one row")
        }
        Binding::Collection => Some("the table"),
    };
    if let Some(name) = &plan.parameters_struct {
        let name = ident(name);
        arguments.push(quote!(parameters: &#name));
    }
    let kind = if plan.kind == OperationKind::Function { "function" } else { "action" };
    let doc = match target {
        Some(target) => {
            let article = if kind == "action" { "an" } else { "a" };
            format!(" `{}`: {article} {kind} on {target}", plan.name)
        }
        None => format!(" `{}`: an unbound {kind}", plan.name),
    };
    (arguments, doc)
}

fn constructor(plan: &OperationPlan, kind: TokenStream) -> TokenStream {
    let name = &plan.name;
    match plan.binding {
        Binding::Unbound => quote!(#kind::new(#name)),
        Binding::Row => quote!(#kind::bound(ENTITY_SET, key, #name)),
        Binding::Collection => quote!(#kind::bound_to_table(ENTITY_SET, #name)),
    }
}

fn call_arguments(plan: &OperationPlan) -> String {
    let mut arguments = Vec::new();
    if plan.binding == Binding::Row {
        arguments.push("id");
    }
    if plan.parameters_struct.is_some() {
        arguments.push("&parameters");
    }
    arguments.join(", ")
}

/// The path of the call, below the API root.
fn call_path(plan: &OperationPlan, set: &str, arguments: &str) -> String {
    match plan.binding {
        Binding::Unbound => format!("{}{arguments}", plan.name),
        Binding::Row => format!("{set}(<key>)/Microsoft.Dynamics.CRM.{}{arguments}", plan.name),
        Binding::Collection => format!("{set}/Microsoft.Dynamics.CRM.{}{arguments}", plan.name),
    }
}

/// The doc paragraphs: what the call is, the description from the document, what it returns.
fn doc_lines(call: String, plan: &OperationPlan, returns: String) -> Vec<String> {
    let mut lines = vec![call, String::new()];
    if let Some(description) = &plan.description {
        lines.push(format!(" {}", doc_text(description)));
        lines.push(String::new());
    }
    lines.push(returns);
    lines
}

fn action_call(paths: &Paths<'_>, plan: &OperationPlan, set: &str) -> TokenStream {
    let (arguments, mut doc) = signature(plan);
    let function = ident(&plan.function);
    doc.push_str(&format!(": `POST {}`", call_path(plan, set, "")));
    if plan.parameters_struct.is_some() {
        doc.push_str(" with the parameters as the JSON body");
    }
    doc.push('.');
    let call = format!("client.action({}({}))", plan.function, call_arguments(plan));
    let returns = match &plan.returns {
        Some(returns) => {
            let ty = type_text(&response_type(paths, returns));
            format!(
                " It returns `{}`: `let response: {ty} = {call}.returning().await?;`",
                returns.written
            )
        }
        None => format!(" It returns nothing: `{call}.await?;`"),
    };
    let lines = doc_lines(doc, plan, returns);
    let kind = quote!(::dataverse_client::operations::Action);
    let build = constructor(plan, kind.clone());
    let body = if plan.parameters_struct.is_some() {
        quote!(#build.parameters(parameters))
    } else {
        build
    };
    quote! {
        #(#[doc = #lines])*
        pub fn #function(#(#arguments),*) -> #kind {
            #body
        }
    }
}

fn function_call(
    paths: &Paths<'_>,
    plan: &OperationPlan,
    entity_set_of: &dyn Fn(&str) -> Option<String>,
    set: &str,
) -> TokenStream {
    let (arguments, mut doc) = signature(plan);
    let function = ident(&plan.function);
    let aliases: Vec<String> = plan
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}=@p{}", p.name, i + 1))
        .collect();
    let path = call_path(plan, set, &format!("({})", aliases.join(",")));
    doc.push_str(&format!(": `GET {path}`"));
    if !aliases.is_empty() {
        doc.push_str(" with the values as parameter aliases (`?@p1=…`)");
    }
    if plan.parameters.iter().any(|p| p.optional) {
        doc.push_str("; a `None` is left out");
    }
    doc.push('.');
    let call = format!("client.function({}({}))", plan.function, call_arguments(plan));
    let returns = match &plan.returns {
        Some(returns) => {
            let ty = type_text(&response_type(paths, returns));
            format!(" It returns `{}`: `let response: {ty} = {call}.await?;`", returns.written)
        }
        None => format!(" `let response: serde_json::Value = {call}.await?;`"),
    };
    let lines = doc_lines(doc, plan, returns);
    let kind = quote!(::dataverse_client::operations::Function);
    let build = constructor(plan, kind.clone());
    let statements: Vec<TokenStream> = plan
        .parameters
        .iter()
        .map(|parameter| {
            let field = ident(&parameter.field);
            let set = entity_set(&parameter.type_use, entity_set_of);
            if parameter.optional {
                let add = function_argument(
                    paths,
                    &parameter.type_use,
                    &parameter.name,
                    set.as_deref(),
                    None,
                );
                quote! {
                    if let Some(value) = &parameters.#field {
                        #add
                    }
                }
            } else {
                function_argument(
                    paths,
                    &parameter.type_use,
                    &parameter.name,
                    set.as_deref(),
                    Some(&field),
                )
            }
        })
        .collect();
    let body = if statements.is_empty() {
        build
    } else {
        quote! {
            let mut function = #build;
            #(#statements)*
            function
        }
    };
    quote! {
        #(#[doc = #lines])*
        pub fn #function(#(#arguments),*) -> #kind {
            #body
        }
    }
}
