//! The document and its schemas, and the questions both a code generator and an emulator ask
//! of them: which type has this name, what does it inherit, which entity set serves it, which
//! navigation properties write a lookup.

use std::collections::HashSet;

use super::annotation::{Annotation, Annotations};
use super::container::{EntityContainer, EntitySet};
use super::operations::Operation;
use super::structured::{
    ComplexType, EntityType, EnumType, NavigationProperty, Property, Term, TypeDefinition,
};
use super::types::{TypeRef, simple_name};

/// A parsed `$metadata` document (`<edmx:Edmx>`).
///
/// Read one with [`Document::from_reader`], [`Document::from_str`] or [`Document::from_path`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Document {
    /// `Version` of the `Edmx` element (`4.0`).
    pub version: String,
    /// `<edmx:Reference>`s to vocabularies and other documents.
    pub references: Vec<Reference>,
    /// The `<Schema>`s (Dataverse has one: `Microsoft.Dynamics.CRM`, alias `mscrm`).
    pub schemas: Vec<Schema>,
}

/// An `<edmx:Reference>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reference {
    /// `Uri`.
    pub uri: String,
    /// `<edmx:Include>`s: namespaces taken from the referenced document.
    pub includes: Vec<Include>,
}

/// An `<edmx:Include>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Include {
    /// `Namespace`.
    pub namespace: String,
    /// `Alias`.
    pub alias: Option<String>,
}

/// A `<Schema>`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Schema {
    /// `Namespace` (`Microsoft.Dynamics.CRM`).
    pub namespace: String,
    /// `Alias` (`mscrm`).
    pub alias: Option<String>,
    /// Entity types, in document order.
    pub entity_types: Vec<EntityType>,
    /// Complex types.
    pub complex_types: Vec<ComplexType>,
    /// Enum types.
    pub enum_types: Vec<EnumType>,
    /// Type definitions.
    pub type_definitions: Vec<TypeDefinition>,
    /// Actions and functions, in document order (overloads included).
    pub operations: Vec<Operation>,
    /// Terms.
    pub terms: Vec<Term>,
    /// The entity container, if this schema has one.
    pub entity_container: Option<EntityContainer>,
    /// `<Annotations Target="…">` groups.
    pub annotation_groups: Vec<Annotations>,
    /// `<Annotation>`s written directly in the schema.
    pub annotations: Vec<Annotation>,
}

impl Schema {
    /// Whether `qualified` names something in this schema (by namespace or alias); returns
    /// the simple name.
    fn local_name<'n>(&self, qualified: &'n str) -> Option<&'n str> {
        let (prefix, name) = qualified.rsplit_once('.')?;
        (prefix == self.namespace || self.alias.as_deref() == Some(prefix)).then_some(name)
    }
}

/// A lookup column of an entity type: its `_<column>_value` property and the navigation
/// properties that write it.
///
/// A polymorphic lookup (customer, regarding, owner) has one navigation property per target
/// table (`parentcustomerid_account`, `parentcustomerid_contact`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Lookup<'d> {
    /// The lookup column's logical name (`parentaccountid`).
    pub column: &'d str,
    /// The `_<column>_value` property.
    pub property: &'d Property,
    /// The single-valued navigation properties whose referential constraint names the
    /// property, in document order.
    pub navigation_properties: Vec<&'d NavigationProperty>,
}

impl Document {
    /// All entity types of all schemas, in document order.
    pub fn entity_types(&self) -> impl Iterator<Item = &EntityType> {
        self.schemas.iter().flat_map(|s| s.entity_types.iter())
    }

    /// All actions and functions of all schemas, in document order.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.schemas.iter().flat_map(|s| s.operations.iter())
    }

    /// The entity container (the first one, when several schemas declare one).
    pub fn entity_container(&self) -> Option<&EntityContainer> {
        self.schemas.iter().find_map(|s| s.entity_container.as_ref())
    }

    /// The entity type named `name`: qualified by namespace (`Microsoft.Dynamics.CRM.account`)
    /// or alias (`mscrm.account`), or a simple name (`account`).
    ///
    /// ```
    /// # use dataverse_csdl::Document;
    /// # let document = Document::from_str(r#"<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices>
    /// #   <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Microsoft.Dynamics.CRM" Alias="mscrm">
    /// #     <EntityType Name="account"/></Schema></edmx:DataServices></edmx:Edmx>"#).unwrap();
    /// let by_alias = document.entity_type("mscrm.account").unwrap();
    /// let by_namespace = document.entity_type("Microsoft.Dynamics.CRM.account").unwrap();
    /// assert_eq!(by_alias, by_namespace);
    /// assert!(document.entity_type("contact").is_none());
    /// ```
    pub fn entity_type(&self, name: &str) -> Option<&EntityType> {
        self.find(name, |s| &s.entity_types, |t| &t.name)
    }

    /// The complex type named `name` (qualified or simple).
    pub fn complex_type(&self, name: &str) -> Option<&ComplexType> {
        self.find(name, |s| &s.complex_types, |t| &t.name)
    }

    /// The enum type named `name` (qualified or simple).
    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        self.find(name, |s| &s.enum_types, |t| &t.name)
    }

    fn find<'d, T>(
        &'d self,
        name: &str,
        items: impl Fn(&'d Schema) -> &'d Vec<T>,
        name_of: impl Fn(&T) -> &String,
    ) -> Option<&'d T> {
        if name.contains('.') {
            self.schemas.iter().find_map(|schema| {
                let local = schema.local_name(name)?;
                items(schema).iter().find(|t| name_of(t) == local)
            })
        } else {
            self.schemas.iter().find_map(|schema| items(schema).iter().find(|t| name_of(t) == name))
        }
    }

    /// Whether the qualified (or simple) `name` refers to `entity_type`.
    pub fn is_entity_type(&self, name: &str, entity_type: &EntityType) -> bool {
        self.entity_type(name).is_some_and(|t| std::ptr::eq(t, entity_type))
    }

    /// The entity set named `name`.
    pub fn entity_set(&self, name: &str) -> Option<&EntitySet> {
        self.entity_container().and_then(|c| c.entity_set(name))
    }

    /// The entity set whose entity type is `entity_type` (tables have one; abstract bases and
    /// some system types have none).
    pub fn entity_set_of(&self, entity_type: &EntityType) -> Option<&EntitySet> {
        self.entity_container()?
            .entity_sets
            .iter()
            .find(|set| self.is_entity_type(&set.entity_type, entity_type))
    }

    /// The type `entity_type` directly derives from.
    pub fn base_type(&self, entity_type: &EntityType) -> Option<&EntityType> {
        entity_type.base_type.as_deref().and_then(|name| self.entity_type(name))
    }

    /// The chain of base types, nearest first (a cycle in a malformed document stops it).
    pub fn ancestors<'d>(&'d self, entity_type: &'d EntityType) -> Vec<&'d EntityType> {
        let mut chain: Vec<&EntityType> = Vec::new();
        let mut current = entity_type;
        while let Some(base) = self.base_type(current) {
            if std::ptr::eq(base, entity_type) || chain.iter().any(|t| std::ptr::eq(*t, base)) {
                break;
            }
            chain.push(base);
            current = base;
        }
        chain
    }

    /// Every property of `entity_type`, inherited ones first (from the furthest base).
    pub fn all_properties<'d>(&'d self, entity_type: &'d EntityType) -> Vec<&'d Property> {
        let mut types = self.ancestors(entity_type);
        types.reverse();
        types.push(entity_type);
        types.iter().flat_map(|t| t.properties.iter()).collect()
    }

    /// Every navigation property of `entity_type`, inherited ones first.
    pub fn all_navigation_properties<'d>(
        &'d self,
        entity_type: &'d EntityType,
    ) -> Vec<&'d NavigationProperty> {
        let mut types = self.ancestors(entity_type);
        types.reverse();
        types.push(entity_type);
        types.iter().flat_map(|t| t.navigation_properties.iter()).collect()
    }

    /// The key property names: declared on the type or inherited.
    pub fn key_of<'d>(&'d self, entity_type: &'d EntityType) -> &'d [String] {
        if !entity_type.key.is_empty() {
            return &entity_type.key;
        }
        self.ancestors(entity_type)
            .into_iter()
            .find(|t| !t.key.is_empty())
            .map_or(&[], |t| t.key.as_slice())
    }

    /// The entity types that derive from `entity_type`, directly or not, in document order.
    pub fn derived_types<'d>(&'d self, entity_type: &'d EntityType) -> Vec<&'d EntityType> {
        self.entity_types()
            .filter(|t| self.ancestors(t).iter().any(|a| std::ptr::eq(*a, entity_type)))
            .collect()
    }

    /// The lookup columns of `entity_type` (inherited ones included), each with the
    /// navigation properties that write it, in property order.
    pub fn lookups<'d>(&'d self, entity_type: &'d EntityType) -> Vec<Lookup<'d>> {
        let navigation = self.all_navigation_properties(entity_type);
        self.all_properties(entity_type)
            .into_iter()
            .filter_map(|property| {
                let column = property.lookup_column()?;
                let navigation_properties = navigation
                    .iter()
                    .copied()
                    .filter(|n| {
                        n.is_single()
                            && n.referential_constraints.iter().any(|c| c.property == property.name)
                    })
                    .collect();
                Some(Lookup { column, property, navigation_properties })
            })
            .collect()
    }

    /// The actions and functions bound to `entity_type` itself (not to a collection of it).
    pub fn bound_operations<'d>(&'d self, entity_type: &'d EntityType) -> Vec<&'d Operation> {
        self.operations()
            .filter(|op| {
                op.binding_type()
                    .is_some_and(|t| !t.collection && self.is_entity_type(&t.name, entity_type))
            })
            .collect()
    }

    /// The unbound actions and functions that the service root exposes through imports.
    pub fn imported_operations(&self) -> Vec<&Operation> {
        let Some(container) = self.entity_container() else { return Vec::new() };
        let imported: HashSet<&str> = container
            .action_imports
            .iter()
            .map(|i| simple_name(&i.action))
            .chain(container.function_imports.iter().map(|i| simple_name(&i.function)))
            .collect();
        self.operations().filter(|op| !op.is_bound && imported.contains(op.name.as_str())).collect()
    }

    /// The entity type a navigation property leads to.
    pub fn target_type(&self, navigation: &NavigationProperty) -> Option<&EntityType> {
        self.entity_type(&navigation.type_ref.name)
    }

    /// The qualified name with the schema's namespace in place of an alias
    /// (`mscrm.account` → `Microsoft.Dynamics.CRM.account`); other names are returned as they are.
    pub fn qualify(&self, name: &str) -> String {
        let type_ref = TypeRef::parse(name);
        let qualified = match type_ref.name.rsplit_once('.') {
            Some((prefix, local)) => self
                .schemas
                .iter()
                .find(|s| s.alias.as_deref() == Some(prefix))
                .map_or_else(|| type_ref.name.clone(), |s| format!("{}.{local}", s.namespace)),
            None => type_ref.name.clone(),
        };
        if type_ref.collection { format!("Collection({qualified})") } else { qualified }
    }
}
