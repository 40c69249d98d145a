//! The `types` module: a struct per complex type and an enum per enumeration type that the
//! generated operations use.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::int;
use crate::emit_shapes::{Paths, Rows, SerdeField, serde_field};
use crate::names::{doc_text, ident};
use crate::service_types::{ComplexPlan, EnumPlan};

/// The module's items, with its inner doc comment first.
pub(crate) fn types_tokens(paths: &Paths<'_>) -> TokenStream {
    let complex: Vec<TokenStream> =
        paths.types.complex.iter().map(|plan| complex_struct(paths, plan)).collect();
    let enums: Vec<TokenStream> = paths.types.enums.iter().map(enum_type).collect();
    quote! {
        #![doc = " The complex types (structured parameters and responses) and enumeration types that the generated actions and functions take and return."]
        #(#complex)*
        #(#enums)*
    }
}

/// The module's doc line in `mod.rs`.
pub(crate) const TYPES_DOC: &str =
    " Complex and enumeration types of the generated actions and functions.";

fn complex_struct(paths: &Paths<'_>, plan: &ComplexPlan) -> TokenStream {
    let name = ident(&plan.rust_name);
    let mut doc = format!(" The complex type `{}`", plan.csdl_name);
    if let Some(base) = &plan.base_type {
        doc.push_str(&format!(" (derived from `{base}`, whose properties it includes)"));
    }
    doc.push('.');
    if let Some(description) = &plan.description {
        doc.push(' ');
        doc.push_str(&doc_text(description));
    }
    let fields: Vec<TokenStream> = plan
        .fields
        .iter()
        .map(|field| {
            let SerdeField { ty, with } =
                serde_field(paths, &field.type_use, field.nullable, field.boxed, Rows::Records);
            let name = ident(&field.field);
            let json = &field.json_name;
            let mut options = Vec::new();
            if *json != field.field {
                options.push(quote!(rename = #json));
            }
            if field.nullable {
                options.push(quote!(default, skip_serializing_if = "Option::is_none"));
            } else if field.type_use.collection {
                options.push(quote!(default));
            }
            if let Some(with) = with {
                options.push(quote!(with = #with));
            }
            let serde = if options.is_empty() { quote!() } else { quote!(#[serde(#(#options),*)]) };
            let mut doc = format!(" `{json}` ({}).", field.type_use.written);
            if let Some(description) = &field.description {
                doc.push(' ');
                doc.push_str(&doc_text(description));
            }
            quote! {
                #[doc = #doc]
                #serde
                pub #name: #ty,
            }
        })
        .collect();
    let default = plan.has_default.then(|| quote!(Default,));
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, #default PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #(#fields)*
        }
    }
}

fn enum_type(plan: &EnumPlan) -> TokenStream {
    let name = ident(&plan.rust_name);
    let kind = if plan.flags { "flags enumeration" } else { "enumeration" };
    let doc = format!(
        " The {kind} `{}`, with a fallback for members added after generation.{}",
        plan.csdl_name,
        if plan.flags { " A value is a `Vec` of members (`typed::flags`)." } else { "" }
    );
    let variants: Vec<_> = plan.members.iter().map(|(v, _, _)| ident(v)).collect();
    let names: Vec<&String> = plan.members.iter().map(|(_, n, _)| n).collect();
    let values: Vec<TokenStream> = plan.members.iter().map(|(_, _, value)| int(*value)).collect();
    let docs: Vec<String> =
        plan.members.iter().map(|(_, name, value)| format!(" `{name}` ({value}).")).collect();
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#[doc = #docs] #variants,)*
            /// A member this code does not know, by name.
            Other(String),
        }

        impl #name {
            /// Every known member, in declaration order.
            pub const ALL: &'static [#name] = &[#(#name::#variants),*];

            /// The member's name, as JSON and URLs write it.
            pub fn name(&self) -> &str {
                match self {
                    #(#name::#variants => #names,)*
                    #name::Other(name) => name,
                }
            }

            /// The member's numeric value, when known.
            pub const fn value(&self) -> Option<i64> {
                match self {
                    #(#name::#variants => Some(#values),)*
                    #name::Other(_) => None,
                }
            }
        }

        impl AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                self.name()
            }
        }

        impl From<&str> for #name {
            fn from(name: &str) -> Self {
                match name {
                    #(#names => #name::#variants,)*
                    other => #name::Other(other.to_owned()),
                }
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(#name::from(name.as_str()))
            }
        }
    }
}
