//! The complex and enumeration types that operations take and return (`WhoAmIResponse`,
//! `ColumnSet`, `AccessRights`), found from the operations that use them, with the types their
//! properties need in turn.

use std::collections::{BTreeMap, BTreeSet};

use dataverse_csdl::{Annotated, ComplexType, Document, Property, TypeRef};

use crate::names::{Scope, snake_words, upper_camel};
use crate::plan::Kind;

/// Prelude types and traits that the `types` module writes unqualified.
const PRELUDE_NAMES: [&str; 7] = ["Option", "Result", "String", "Vec", "Box", "AsRef", "From"];

/// What a CSDL type is, seen from an operation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Shape {
    /// A primitive type (`Edm.*`); `Kind::Json` for those without a Rust mapping here.
    Primitive(Kind),
    /// An enumeration type, by its simple name.
    Enum(String),
    /// A complex type, by its simple name.
    Complex(String),
    /// An abstract complex type (`QueryBase`): the caller picks a derived type, so it is JSON
    /// that carries its own `@odata.type`.
    AnyComplex,
    /// An entity type: a row of `logical_name`, `is_abstract` for base types such as
    /// `crmbaseentity` that stand for any table.
    Entity { logical_name: String, is_abstract: bool },
}

/// A type as used by a parameter, a return value or a property.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TypeUse {
    pub(crate) shape: Shape,
    pub(crate) collection: bool,
    /// The type as written in the document, for docs.
    pub(crate) written: String,
}

impl TypeUse {
    pub(crate) fn of(document: &Document, type_ref: &TypeRef) -> TypeUse {
        let shape = if let Some(enum_type) = document.enum_type(&type_ref.name) {
            Shape::Enum(enum_type.name.clone())
        } else if let Some(complex) = document.complex_type(&type_ref.name) {
            if complex.is_abstract {
                Shape::AnyComplex
            } else {
                Shape::Complex(complex.name.clone())
            }
        } else if let Some(entity) = document.entity_type(&type_ref.name) {
            Shape::Entity { logical_name: entity.name.clone(), is_abstract: entity.is_abstract }
        } else if let Some(definition) = document
            .schemas
            .iter()
            .flat_map(|s| s.type_definitions.iter())
            .find(|t| t.name == type_ref.simple_name())
        {
            Shape::Primitive(Kind::of_primitive(&TypeRef::parse(&definition.underlying_type)))
        } else {
            Shape::Primitive(Kind::of_primitive(type_ref))
        };
        TypeUse { shape, collection: type_ref.collection, written: type_ref.to_string() }
    }

    /// The complex or enumeration type it names, if any.
    fn named_type(&self) -> Option<&str> {
        match &self.shape {
            Shape::Enum(name) | Shape::Complex(name) => Some(name),
            _ => None,
        }
    }
}

/// A property of a generated complex type.
#[derive(Clone, Debug)]
pub(crate) struct FieldPlan {
    pub(crate) json_name: String,
    pub(crate) field: String,
    pub(crate) type_use: TypeUse,
    pub(crate) nullable: bool,
    /// A complex type that contains itself (through other types) is boxed.
    pub(crate) boxed: bool,
    pub(crate) description: Option<String>,
}

/// A generated struct for a complex type.
#[derive(Clone, Debug)]
pub(crate) struct ComplexPlan {
    pub(crate) csdl_name: String,
    pub(crate) rust_name: String,
    pub(crate) base_type: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) fields: Vec<FieldPlan>,
    /// Whether every field has a `Default`, so the struct can derive it.
    pub(crate) has_default: bool,
}

/// A generated enum for an enumeration type.
#[derive(Clone, Debug)]
pub(crate) struct EnumPlan {
    pub(crate) csdl_name: String,
    pub(crate) rust_name: String,
    /// `Microsoft.Dynamics.CRM.AccessRights`, as function parameters write it.
    pub(crate) qualified: String,
    pub(crate) flags: bool,
    /// `(variant, member name, value)`.
    pub(crate) members: Vec<(String, String, i64)>,
}

/// Every complex and enumeration type the generated operations need.
#[derive(Clone, Debug, Default)]
pub(crate) struct Types {
    pub(crate) complex: Vec<ComplexPlan>,
    pub(crate) enums: Vec<EnumPlan>,
    rust_names: BTreeMap<String, String>,
}

impl Types {
    /// The types `uses` name, and those their properties need, transitively.
    pub(crate) fn collect<'u>(
        document: &Document,
        uses: impl IntoIterator<Item = &'u TypeUse>,
    ) -> Types {
        let mut needed: BTreeSet<String> = BTreeSet::new();
        let mut pending: Vec<String> =
            uses.into_iter().filter_map(|u| u.named_type().map(str::to_owned)).collect();
        while let Some(name) = pending.pop() {
            if !needed.insert(name.clone()) {
                continue;
            }
            if let Some(complex) = document.complex_type(&name) {
                for property in all_properties(document, complex) {
                    let type_use = TypeUse::of(document, &property.type_ref);
                    if let Some(inner) = type_use.named_type()
                        && !needed.contains(inner)
                    {
                        pending.push(inner.to_owned());
                    }
                }
            }
        }

        // Names in name order, so that they do not depend on which operation needed them first.
        // The module's code names these prelude items unqualified: a type must not shadow them.
        let mut scope = Scope::with(&PRELUDE_NAMES);
        let rust_names: BTreeMap<String, String> = needed
            .iter()
            .map(|name| {
                // A name with no ASCII letter or digit (`_`, `é`) still needs an identifier.
                let camel = upper_camel(name);
                let wanted = if camel.is_empty() { "Type".to_owned() } else { camel };
                (name.clone(), scope.claim(wanted))
            })
            .collect();

        let mut types = Types { rust_names, ..Types::default() };
        for name in &needed {
            if let Some(enum_type) = document.enum_type(name) {
                let mut variants = Scope::with(&["Other"]);
                let mut next = 0i64;
                let members = enum_type
                    .members
                    .iter()
                    .map(|member| {
                        let value = member.value.unwrap_or(next);
                        // A member without a value follows the one before; past `i64::MAX`
                        // (a malformed document) it stays there rather than overflow.
                        next = value.saturating_add(1);
                        let wanted = match upper_camel(&member.name) {
                            camel if camel == "Other" => "OtherMember".to_owned(),
                            camel if camel.is_empty() => format!("Value{}", value.unsigned_abs()),
                            camel => camel,
                        };
                        (variants.claim(wanted), member.name.clone(), value)
                    })
                    .collect();
                types.enums.push(EnumPlan {
                    csdl_name: name.clone(),
                    rust_name: types.rust_names[name].clone(),
                    qualified: format!(
                        "{}.{name}",
                        namespace_of(document, name).unwrap_or("Microsoft.Dynamics.CRM")
                    ),
                    flags: enum_type.is_flags,
                    members,
                });
            } else if let Some(complex) = document.complex_type(name) {
                let mut fields = Scope::default();
                let plans = all_properties(document, complex)
                    .into_iter()
                    .map(|property| FieldPlan {
                        json_name: property.name.clone(),
                        field: fields.claim(snake_words(&property.name)),
                        type_use: TypeUse::of(document, &property.type_ref),
                        nullable: property.facets.nullable,
                        boxed: false,
                        description: property.description().map(str::to_owned),
                    })
                    .collect();
                types.complex.push(ComplexPlan {
                    csdl_name: name.clone(),
                    rust_name: types.rust_names[name].clone(),
                    base_type: complex.base_type.clone(),
                    description: complex.description().map(str::to_owned),
                    fields: plans,
                    has_default: false,
                });
            }
        }
        types.box_cycles();
        types.mark_defaults();
        types
    }

    /// The Rust name of a complex or enumeration type (its simple CSDL name when unknown).
    pub(crate) fn rust_name<'a>(&'a self, csdl_name: &'a str) -> &'a str {
        self.rust_names.get(csdl_name).map_or(csdl_name, String::as_str)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.complex.is_empty() && self.enums.is_empty()
    }

    pub(crate) fn enum_plan(&self, csdl_name: &str) -> Option<&EnumPlan> {
        self.enums.iter().find(|e| e.csdl_name == csdl_name)
    }

    /// Whether `csdl_name` is a flags enumeration (its values are lists of members).
    pub(crate) fn is_flags(&self, csdl_name: &str) -> bool {
        self.enum_plan(csdl_name).is_some_and(|e| e.flags)
    }

    fn complex_plan(&self, csdl_name: &str) -> Option<&ComplexPlan> {
        self.complex.iter().find(|c| c.csdl_name == csdl_name)
    }

    /// Whether a value of this type has a `Default` (an `Option` always does).
    pub(crate) fn has_default(&self, type_use: &TypeUse) -> bool {
        if type_use.collection {
            return true;
        }
        match &type_use.shape {
            Shape::Primitive(kind) => !matches!(kind, Kind::DateTime | Kind::Date),
            Shape::Enum(_) => false,
            Shape::Complex(name) => self.complex_plan(name).is_some_and(|c| c.has_default),
            Shape::AnyComplex | Shape::Entity { .. } => true,
        }
    }

    /// Box a field whose complex type leads back (through single-valued complex fields) to
    /// the struct that holds it: Rust needs a known size.
    fn box_cycles(&mut self) {
        let edges: BTreeMap<String, Vec<String>> = self
            .complex
            .iter()
            .map(|c| {
                let targets = c
                    .fields
                    .iter()
                    .filter(|f| !f.type_use.collection)
                    .filter_map(|f| match &f.type_use.shape {
                        Shape::Complex(name) => Some(name.clone()),
                        _ => None,
                    })
                    .collect();
                (c.csdl_name.clone(), targets)
            })
            .collect();
        let reaches = |from: &str, to: &str| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![from.to_owned()];
            while let Some(node) = stack.pop() {
                if node == to {
                    return true;
                }
                if seen.insert(node.clone()) {
                    stack.extend(edges.get(&node).into_iter().flatten().cloned());
                }
            }
            false
        };
        for complex in &mut self.complex {
            for field in &mut complex.fields {
                if let (false, Shape::Complex(name)) =
                    (field.type_use.collection, &field.type_use.shape)
                {
                    field.boxed = reaches(name, &complex.csdl_name);
                }
            }
        }
    }

    /// Work out which structs can derive `Default` (a cycle counts as having one: it is boxed
    /// behind an `Option` or it could not be built at all).
    fn mark_defaults(&mut self) {
        let mut known: BTreeMap<String, bool> = BTreeMap::new();
        loop {
            let mut changed = false;
            for index in 0..self.complex.len() {
                let name = self.complex[index].csdl_name.clone();
                if known.contains_key(&name) {
                    continue;
                }
                let mut pending = false;
                let mut all = true;
                for field in &self.complex[index].fields {
                    if field.nullable || field.type_use.collection {
                        continue;
                    }
                    let has = match &field.type_use.shape {
                        Shape::Complex(inner) if inner == &name => true,
                        Shape::Complex(inner) => match known.get(inner) {
                            Some(value) => *value,
                            None if self.complex_plan(inner).is_none() => false,
                            None => {
                                pending = true;
                                true
                            }
                        },
                        _ => self.has_default(&field.type_use),
                    };
                    all &= has;
                }
                if !pending || !all {
                    known.insert(name, all);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for complex in &mut self.complex {
            // Still unknown: only cycles among themselves, which have defaults.
            complex.has_default = known.get(&complex.csdl_name).copied().unwrap_or(true);
        }
    }
}

/// The properties of a complex type, inherited ones first.
fn all_properties<'d>(document: &'d Document, complex: &'d ComplexType) -> Vec<&'d Property> {
    let mut chain = vec![complex];
    let mut current = complex;
    while let Some(base) = current.base_type.as_deref().and_then(|b| document.complex_type(b)) {
        if chain.iter().any(|c| std::ptr::eq(*c, base)) {
            break;
        }
        chain.push(base);
        current = base;
    }
    chain.reverse();
    chain.iter().flat_map(|c| c.properties.iter()).collect()
}

/// The namespace of the schema that declares the enumeration `name`.
fn namespace_of<'d>(document: &'d Document, name: &str) -> Option<&'d str> {
    document
        .schemas
        .iter()
        .find(|s| s.enum_types.iter().any(|e| e.name == name))
        .map(|s| s.namespace.as_str())
}
