#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod choices;
mod emit;
mod emit_operations;
mod emit_shapes;
mod emit_types;
mod error;
#[cfg(feature = "client")]
mod live;
mod names;
mod operations;
mod plan;
mod service_types;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;

pub use choices::{Choice, TableExtras};
pub use dataverse_csdl::Document;
pub use error::Error;
pub use operations::UnboundOperations;

/// Which tables to generate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selection {
    /// Nothing yet: [`Generator::generate`] refuses to run.
    #[default]
    None,
    /// The tables named by logical name.
    Tables(Vec<String>),
    /// Every entity type that has an entity set.
    All,
}

/// How the output is laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// `mod.rs` plus one `<table>.rs` per table: for code checked into a crate
    /// (`mod dataverse;` next to a `dataverse/` folder).
    #[default]
    Modules,
    /// One `tables.rs` with an inline module per table: for a build script, whose output is
    /// brought in with `include!(concat!(env!("OUT_DIR"), "/tables.rs"))`.
    SingleFile,
}

/// Generates typed Rust for Dataverse tables from a `$metadata` document.
///
/// ```
/// use dataverse_codegen::{Document, Generator};
///
/// let document = Document::from_str(r#"<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
///   <edmx:DataServices><Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Microsoft.Dynamics.CRM" Alias="mscrm">
///     <EntityType Name="account"><Key><PropertyRef Name="accountid"/></Key>
///       <Property Name="accountid" Type="Edm.Guid"/><Property Name="name" Type="Edm.String"/></EntityType>
///     <EntityContainer Name="System"><EntitySet Name="accounts" EntityType="Microsoft.Dynamics.CRM.account"/></EntityContainer>
///   </Schema></edmx:DataServices></edmx:Edmx>"#).unwrap();
/// let output = Generator::new(&document).tables(["account"]).generate().unwrap();
/// let names: Vec<&str> = output.files().iter().map(|f| f.path.as_str()).collect();
/// assert_eq!(names, ["account.rs", "mod.rs"]);
/// assert!(output.files()[0].contents.contains("pub const ENTITY_SET: &str = \"accounts\";"));
/// ```
#[derive(Clone, Debug)]
pub struct Generator<'d> {
    document: &'d Document,
    selection: Selection,
    extras: TableExtras,
    layout: Layout,
    unbound: Option<UnboundOperations>,
    operations: Vec<String>,
}

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GeneratedFile {
    /// The file name, relative to the output folder.
    pub path: String,
    /// The formatted Rust source.
    pub contents: String,
}

/// The generated files, in name order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    files: Vec<GeneratedFile>,
}

impl Output {
    /// The files, in name order.
    pub fn files(&self) -> &[GeneratedFile] {
        &self.files
    }

    /// Their total size in bytes.
    pub fn total_bytes(&self) -> usize {
        self.files.iter().map(|f| f.contents.len()).sum()
    }

    /// Write every file into `dir` (created if needed). A file whose contents are already
    /// the same is not rewritten, so a build script does not trigger needless rebuilds.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> Result<(), Error> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        for file in &self.files {
            let path: PathBuf = dir.join(&file.path);
            if std::fs::read(&path).is_ok_and(|old| old == file.contents.as_bytes()) {
                continue;
            }
            std::fs::write(&path, &file.contents).map_err(|source| Error::Io { path, source })?;
        }
        Ok(())
    }
}

impl<'d> Generator<'d> {
    /// A generator for `document`; choose tables with [`tables`](Self::tables) or
    /// [`all`](Self::all).
    pub fn new(document: &'d Document) -> Self {
        Generator {
            document,
            selection: Selection::None,
            extras: TableExtras::default(),
            layout: Layout::Modules,
            unbound: None,
            operations: Vec::new(),
        }
    }

    /// Generate these tables (logical names, such as `account` or `cre6f_agreement`). Each
    /// table's module includes the columns it inherits and needs no other table's: an action
    /// or function that takes or returns a row of a table not generated uses
    /// `dataverse_client::records::Record` and `typed::Entity` for it (the complex types they
    /// use go to a shared module `types`).
    pub fn tables<I, S>(mut self, tables: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.selection = Selection::Tables(tables.into_iter().map(Into::into).collect());
        self
    }

    /// Generate every table (every entity type with an entity set).
    pub fn all(mut self) -> Self {
        self.selection = Selection::All;
        self
    }

    /// Choice labels and primary names that `$metadata` does not carry. Without them choice
    /// columns are plain `i32`s.
    pub fn extras(mut self, extras: TableExtras) -> Self {
        self.extras = extras;
        self
    }

    /// Which unbound actions and functions to generate, in the module `unbound`. The default
    /// is [`UnboundOperations::Referenced`] with [`tables`](Self::tables) (those taking or
    /// returning a row of a generated table) and [`UnboundOperations::All`] with
    /// [`all`](Self::all). The actions and functions bound to a generated table are always
    /// generated, in the table's module.
    pub fn unbound(mut self, which: UnboundOperations) -> Self {
        self.unbound = Some(which);
        self
    }

    /// Generate these unbound actions and functions (custom APIs included) too, by the name
    /// the service root exposes them under (`WhoAmI`, `sample_ScoreAccount`).
    pub fn operations<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.operations.extend(names.into_iter().map(Into::into));
        self
    }

    /// The file layout (default [`Layout::Modules`]).
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }

    /// Generate. The same inputs always give the same bytes: columns and tables are sorted
    /// by name, and nothing depends on the clock or the machine.
    ///
    /// # Errors
    /// [`Error::UnknownTable`], [`Error::NoEntitySet`], [`Error::NothingSelected`].
    pub fn generate(&self) -> Result<Output, Error> {
        let mut tables: Vec<plan::Table> = Vec::new();
        match &self.selection {
            Selection::None => return Err(Error::NothingSelected),
            Selection::All => {
                let container = self.document.entity_container();
                for set in container.map(|c| c.entity_sets.as_slice()).unwrap_or_default() {
                    if let Some(entity) = self.document.entity_type(&set.entity_type)
                        && !tables.iter().any(|t| t.logical_name == entity.name)
                    {
                        tables.push(plan::table(self.document, entity, &set.name, &self.extras));
                    }
                }
            }
            Selection::Tables(names) => {
                for name in names {
                    let name = name.trim();
                    if name.is_empty() || tables.iter().any(|t| t.logical_name == name) {
                        continue;
                    }
                    let entity = self
                        .document
                        .entity_types()
                        .find(|t| t.name == name)
                        .ok_or_else(|| Error::UnknownTable(name.to_owned()))?;
                    let set = self
                        .document
                        .entity_set_of(entity)
                        .ok_or_else(|| Error::NoEntitySet(name.to_owned()))?;
                    tables.push(plan::table(self.document, entity, &set.name, &self.extras));
                }
            }
        }
        if tables.is_empty() {
            return Err(Error::NothingSelected);
        }
        tables.sort_by(|a, b| {
            a.module.cmp(&b.module).then_with(|| a.logical_name.cmp(&b.logical_name))
        });
        let modules = self.modules(&tables)?;
        let files = match self.layout {
            Layout::Modules => {
                let mut files = Vec::with_capacity(modules.len() + 1);
                for module in &modules {
                    files.push(GeneratedFile {
                        path: format!("{}.rs", module.name),
                        contents: emit::print(module.body.clone())?,
                    });
                }
                files.push(GeneratedFile {
                    path: "mod.rs".to_owned(),
                    contents: emit::module(&modules)?,
                });
                files.sort_by(|a, b| a.path.cmp(&b.path));
                files
            }
            Layout::SingleFile => {
                vec![GeneratedFile {
                    path: "tables.rs".to_owned(),
                    contents: emit::single_file(&modules)?,
                }]
            }
        };
        Ok(Output { files })
    }

    /// The module of every table, then the `types` and `unbound` modules when there is
    /// something to put in them.
    fn modules(&self, tables: &[plan::Table]) -> Result<Vec<emit::Module>, Error> {
        let document = self.document;
        let selected: BTreeSet<&str> = tables.iter().map(|t| t.logical_name.as_str()).collect();
        let which = self.unbound.unwrap_or(match self.selection {
            Selection::All => UnboundOperations::All,
            _ => UnboundOperations::Referenced,
        });
        let mut functions = names::Scope::default();
        let mut type_names = names::Scope::default();
        let unbound: Vec<operations::OperationPlan> =
            operations::unbound(document, which, &self.operations, &selected)?
                .into_iter()
                .map(|(op, import)| {
                    operations::plan(document, op, &import, &mut functions, &mut type_names)
                })
                .collect();

        let uses =
            tables.iter().flat_map(|t| t.operations.iter()).chain(unbound.iter()).flat_map(|op| {
                op.parameters.iter().map(|p| &p.type_use).chain(op.returns.as_ref())
            });
        let types = service_types::Types::collect(document, uses);

        let mut module_names = names::Scope::default();
        for table in tables {
            module_names.claim(table.module.clone());
        }
        let types_module = module_names.claim("types".to_owned());
        let unbound_module = module_names.claim("unbound".to_owned());
        let table_paths: BTreeMap<String, (String, String)> = tables
            .iter()
            .map(|t| (t.logical_name.clone(), (t.module.clone(), t.struct_name.clone())))
            .collect();
        let paths = emit_shapes::Paths {
            types: &types,
            types_module: Some(&types_module),
            tables: &table_paths,
            here: None,
        };
        let entity_set_of = |logical_name: &str| {
            document
                .entity_type(logical_name)
                .and_then(|t| document.entity_set_of(t))
                .map(|s| s.name.clone())
        };

        let mut modules: Vec<emit::Module> = tables
            .iter()
            .map(|table| emit::Module {
                name: table.module.clone(),
                doc: emit::table_doc(table),
                body: emit::table_tokens(
                    table,
                    &emit_shapes::Paths { here: Some(&table.module), ..paths },
                    &entity_set_of,
                ),
            })
            .collect();
        if !types.is_empty() {
            let inside = emit_shapes::Paths { types_module: None, ..paths };
            modules.push(emit::Module {
                name: types_module.clone(),
                doc: emit_types::TYPES_DOC.to_owned(),
                body: emit_types::types_tokens(&inside),
            });
        }
        if !unbound.is_empty() {
            let operations = emit_operations::operations(&paths, &unbound, &entity_set_of, None);
            let doc = emit_operations::UNBOUND_DOC;
            let body: TokenStream = quote::quote! {
                #![doc = #doc]
                #operations
            };
            modules.push(emit::Module {
                name: unbound_module,
                doc: emit_operations::UNBOUND_DOC.to_owned(),
                body,
            });
        }
        Ok(modules)
    }
}
