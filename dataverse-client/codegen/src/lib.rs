#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod choices;
mod emit;
mod error;
mod names;
mod plan;

use std::path::{Path, PathBuf};

pub use choices::{Choice, TableExtras};
pub use dataverse_csdl::Document;
pub use error::Error;

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
        }
    }

    /// Generate these tables (logical names, such as `account` or `cre6f_agreement`). Each
    /// table's module includes the columns it inherits; modules do not depend on each other,
    /// so no other table has to be generated with it.
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
        let files = match self.layout {
            Layout::Modules => {
                let mut files = Vec::with_capacity(tables.len() + 1);
                for table in &tables {
                    files.push(GeneratedFile {
                        path: format!("{}.rs", table.module),
                        contents: emit::table(table)?,
                    });
                }
                files.push(GeneratedFile {
                    path: "mod.rs".to_owned(),
                    contents: emit::module(&tables)?,
                });
                files.sort_by(|a, b| a.path.cmp(&b.path));
                files
            }
            Layout::SingleFile => {
                vec![GeneratedFile {
                    path: "tables.rs".to_owned(),
                    contents: emit::single_file(&tables)?,
                }]
            }
        };
        Ok(Output { files })
    }
}
