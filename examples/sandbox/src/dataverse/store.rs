//! The in-memory rows of every table, and the write rules the platform applies.
//!
//! Writes follow the Web API's documented behaviour
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api>,
//! <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api>):
//! columns are validated against the table's definition (unknown property → 400, wrong type →
//! 400, text too long → 400, choice out of range → 400); lookups are written only through
//! `<nav>@odata.bind` with a case-sensitive navigation property name and must point at an
//! existing row of a table the navigation property accepts (by id or alternate key);
//! collection-valued navigation properties take an array of references; alternate-key values
//! stay unique (412 `0x80060892`); `createdon`/`modifiedon`/`versionnumber` are server-managed
//! (a new `versionnumber` on every write is what `@odata.etag` and change tracking report);
//! setting a currency column sets the row's transaction currency to the base currency when none
//! was bound; a note's `documentbody` must be base64 and sets `filesize` and `isdocument`, and its
//! regarding lookup sets `objecttypecode`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/attachment-annotation-files>).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use base64::Engine as _;
use time::OffsetDateTime;
use uuid::Uuid;

use super::cell::Cell;
use super::errors::DvError;
use super::keys::{self, RowKey};
use super::schema::{
    Access, Catalog, CollectionKind, ColumnKind, DataverseSchema, EntitySetDef, NavigationDef,
};
use crate::json::{Json, JsonObject};
use crate::timestamps;

/// One row.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Insertion order; the last tie-breaker of every sort, so paging is stable.
    pub(crate) seq: u64,
    pub(crate) id: Uuid,
    pub(crate) cells: HashMap<String, Cell>,
}

static NULL: Cell = Cell::Null;

impl Row {
    /// The value of column `name` (null when never set).
    pub(crate) fn get(&self, name: &str) -> &Cell {
        self.cells.get(name).unwrap_or(&NULL)
    }

    /// `versionnumber`, which the etag reports.
    pub(crate) fn version(&self) -> i64 {
        match self.get("versionnumber") {
            Cell::Int(n) => *n,
            _ => 0,
        }
    }

    /// `W/"<versionnumber>"`.
    pub(crate) fn etag(&self) -> String {
        format!("W/\"{}\"", self.version())
    }
}

#[derive(Debug, Default, Clone)]
struct Table {
    rows: BTreeMap<u64, Row>,
    by_id: HashMap<Uuid, u64>,
}

/// Limits the platform enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoreLimits {
    /// `Organization.MaxUploadFileSize`: the largest base64 `documentbody`, in bytes.
    pub(crate) max_upload_file_size: usize,
}

/// A deleted row, kept for change tracking.
#[derive(Debug, Clone)]
pub(crate) struct Tombstone {
    pub(crate) version: i64,
    pub(crate) set: String,
    pub(crate) id: Uuid,
}

/// Every table's rows. Cloning it is how a change set is rolled back.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub(crate) catalog: Catalog,
    tables: HashMap<String, Table>,
    next_seq: u64,
    next_version: i64,
    autonumbers: HashMap<(String, String), u64>,
    pub(crate) limits: StoreLimits,
    /// The user new rows are owned by (`_ownerid_value`).
    pub(crate) default_owner: Option<Uuid>,
    /// The organization's base currency, used when a currency column is set without a currency.
    pub(crate) base_currency: Option<Uuid>,
    tombstones: Vec<Tombstone>,
    /// Many-to-many links `(relationship, row, related row)`, stored in both directions.
    links: BTreeSet<(String, Uuid, Uuid)>,
}

/// What a write does to the row's columns.
type Changes = Vec<(String, Cell)>;

/// A reference to bind through a collection-valued navigation property once the row exists.
#[derive(Debug, Clone)]
struct CollectionBind {
    nav: String,
    target_set: String,
    target: Uuid,
}

impl Store {
    pub(crate) fn new(schema: DataverseSchema, limits: StoreLimits) -> Self {
        let catalog = Catalog::new(schema);
        let tables = catalog.sets().map(|s| (s.entity_set.clone(), Table::default())).collect();
        Self {
            catalog,
            tables,
            next_seq: 1,
            next_version: 1_000_000,
            autonumbers: HashMap::new(),
            limits,
            default_owner: None,
            base_currency: None,
            tombstones: Vec::new(),
            links: BTreeSet::new(),
        }
    }

    pub(crate) fn set_def(&self, set: &str) -> Result<Arc<EntitySetDef>, DvError> {
        self.catalog.set(set).cloned().ok_or_else(|| DvError::resource_not_found(set))
    }

    /// Row `id` of `set`.
    pub(crate) fn get(&self, set: &str, id: Uuid) -> Option<&Row> {
        let table = self.tables.get(set)?;
        table.by_id.get(&id).and_then(|seq| table.rows.get(seq))
    }

    /// Row `id` of table `def`, or the 404 the service answers.
    pub(crate) fn existing_row(&self, def: &EntitySetDef, id: Uuid) -> Result<&Row, DvError> {
        self.get(&def.entity_set, id).ok_or_else(|| DvError::does_not_exist(&def.logical_name, id))
    }

    /// Every row of `set`, in insertion order.
    pub(crate) fn rows(&self, set: &str) -> impl Iterator<Item = &Row> {
        self.tables.get(set).into_iter().flat_map(|t| t.rows.values())
    }

    /// Number of rows in `set`.
    pub(crate) fn len(&self, set: &str) -> usize {
        self.tables.get(set).map_or(0, |t| t.rows.len())
    }

    /// The version the next write gets: a delta token taken now sees every later change.
    pub(crate) fn current_version(&self) -> i64 {
        self.next_version
    }

    /// Rows of `set` deleted after `version` (and not re-created since).
    pub(crate) fn deleted_since(&self, set: &str, version: i64) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self
            .tombstones
            .iter()
            .filter(|t| t.set == set && t.version >= version && self.get(set, t.id).is_none())
            .map(|t| t.id)
            .collect();
        ids.dedup();
        ids
    }

    /// The id of the row a key names, `None` when no row matches.
    pub(crate) fn resolve(&self, set: &str, key: &RowKey) -> Option<Uuid> {
        match key {
            RowKey::Id(id) => self.get(set, *id).map(|row| row.id),
            RowKey::Alternate(values) => self.find_by_values(set, values, None),
        }
    }

    fn find_by_values(
        &self,
        set: &str,
        values: &[(String, Cell)],
        except: Option<Uuid>,
    ) -> Option<Uuid> {
        self.rows(set)
            .find(|row| {
                Some(row.id) != except
                    && values.iter().all(|(column, value)| {
                        row.get(column).compare(value) == Some(std::cmp::Ordering::Equal)
                            || (value.as_guid().is_some()
                                && row.get(column).as_guid() == value.as_guid())
                    })
            })
            .map(|row| row.id)
    }

    /// Create a row from a request body; `id` comes from the URL of an upsert.
    pub(crate) fn create(
        &mut self,
        set: &str,
        id: Option<Uuid>,
        body: &JsonObject,
    ) -> Result<Uuid, DvError> {
        self.create_with(set, id, Vec::new(), body)
    }

    /// Create a row whose alternate-key columns come from the URL of an upsert. Related rows
    /// nested in the body are created with it, in one transaction (deep insert,
    /// <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#create-related-table-rows-in-one-operation>).
    pub(crate) fn create_with(
        &mut self,
        set: &str,
        id: Option<Uuid>,
        preset: Vec<(String, Cell)>,
        body: &JsonObject,
    ) -> Result<Uuid, DvError> {
        let def = self.set_def(set)?;
        let nested = body.iter().any(|(key, value)| match value {
            Json::Object(_) => def.navigation(key).is_some(),
            Json::Array(items) => {
                def.collection(key).is_some() && items.iter().all(|i| matches!(i, Json::Object(_)))
            }
            _ => false,
        });
        if !nested {
            return self.create_flat(&def, id, preset, body);
        }
        let snapshot = self.clone();
        let created = self.deep_create(&def, id, preset, body);
        if created.is_err() {
            *self = snapshot;
        }
        created
    }

    /// Create the rows nested in `body` (single-valued ones first, to bind them; collection
    /// items after, bound back to the new row), then the row.
    fn deep_create(
        &mut self,
        def: &EntitySetDef,
        id: Option<Uuid>,
        preset: Vec<(String, Cell)>,
        body: &JsonObject,
    ) -> Result<Uuid, DvError> {
        let mut flat = JsonObject::new();
        let mut children = Vec::new();
        for (key, value) in body.iter() {
            match (value, def.navigation(key), def.collection(key)) {
                (Json::Object(related), Some(nav), _) => {
                    let child = self.create_with(&nav.target_set, None, Vec::new(), related)?;
                    let reference = format!("/{}({child})", nav.target_set);
                    flat.insert(format!("{key}@odata.bind"), Json::String(reference));
                }
                (Json::Array(items), _, Some(collection)) => {
                    children.push((collection.clone(), items.to_vec()));
                }
                _ => flat.insert(key, value.clone()),
            }
        }
        let id = self.create_flat(def, id, preset, &flat)?;
        for (collection, items) in children {
            for item in items {
                let Json::Object(mut item) = item else { continue };
                match &collection.kind {
                    CollectionKind::OneToMany { partner, .. } => {
                        let parent = format!("/{}({id})", def.entity_set);
                        item.insert(format!("{partner}@odata.bind"), Json::String(parent));
                        self.create_with(&collection.target_set, None, Vec::new(), &item)?;
                    }
                    CollectionKind::ManyToMany { .. } => {
                        let child =
                            self.create_with(&collection.target_set, None, Vec::new(), &item)?;
                        self.associate(
                            &def.entity_set,
                            id,
                            &collection.name,
                            &collection.target_set,
                            child,
                        )?;
                    }
                }
            }
        }
        Ok(id)
    }

    /// Create a row from a body without nested rows.
    fn create_flat(
        &mut self,
        def: &EntitySetDef,
        id: Option<Uuid>,
        preset: Vec<(String, Cell)>,
        body: &JsonObject,
    ) -> Result<Uuid, DvError> {
        let set = def.entity_set.as_str();
        let id = match (id, body.get(&def.primary_key)) {
            (Some(id), _) => id,
            (None, Some(value)) => match Cell::decode(&ColumnKind::PrimaryKey, value) {
                Ok(Cell::Guid(id)) => id,
                Ok(_) => Uuid::new_v4(),
                Err(e) => return Err(DvError::convert(set, &e.message())),
            },
            (None, None) => Uuid::new_v4(),
        };
        if self.get(set, id).is_some() {
            return Err(DvError::duplicate_key());
        }
        let (mut changes, binds) = self.prepare(def, body)?;
        for (column, cell) in preset {
            set_change(&mut changes, &column, cell);
        }
        self.fill_defaults(def, &mut changes);
        let now = timestamps::whole_seconds(timestamps::now());
        let mut cells: HashMap<String, Cell> = HashMap::new();
        cells.insert(def.primary_key.clone(), Cell::Guid(id));
        // A table whose key is inherited (`systemuser` keys on its base `principal`'s `ownerid`)
        // still has its own id column, with the same value.
        let own_id = format!("{}id", def.logical_name);
        if own_id != def.primary_key
            && def.column_def(&own_id).is_some_and(|c| c.kind == ColumnKind::Guid)
        {
            cells.insert(own_id, Cell::Guid(id));
        }
        cells.insert("createdon".to_owned(), Cell::DateTime(now));
        for (name, cell) in changes {
            cells.insert(name, cell);
        }
        self.check_unique_keys(def, &cells, None)?;
        self.check_collection_binds(&binds)?;
        self.stamp(&mut cells, now);
        derive_computed(def, &mut cells);
        for (name, cell) in self.base_amounts(def, &cells) {
            cells.insert(name, cell);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let table = self.tables.entry(def.entity_set.clone()).or_default();
        table.by_id.insert(id, seq);
        table.rows.insert(seq, Row { seq, id, cells });
        self.apply_collection_binds(def, id, binds)?;
        Ok(id)
    }

    /// Update row `id` of `set` from a request body.
    pub(crate) fn update(&mut self, set: &str, id: Uuid, body: &JsonObject) -> Result<(), DvError> {
        let def = self.set_def(set)?;
        if self.get(set, id).is_none() {
            return Err(DvError::does_not_exist(&def.logical_name, id));
        }
        let (mut changes, binds) = self.prepare(&def, body)?;
        self.default_currency(&def, &mut changes, Some(id));
        if let Some(row) = self.get(set, id) {
            let mut merged = row.cells.clone();
            for (name, cell) in &changes {
                merged.insert(name.clone(), cell.clone());
            }
            self.check_unique_keys(&def, &merged, Some(id))?;
        }
        self.check_collection_binds(&binds)?;
        self.apply_changes(&def, id, changes)?;
        self.apply_collection_binds(&def, id, binds)
    }

    /// Write `changes` to row `id`, with a new version and `modifiedon`.
    fn apply_changes(
        &mut self,
        def: &EntitySetDef,
        id: Uuid,
        changes: Changes,
    ) -> Result<(), DvError> {
        let now = timestamps::whole_seconds(timestamps::now());
        let version = self.next_version;
        self.next_version += 1;
        let Some(row) = self.row_mut(&def.entity_set, id) else {
            return Err(DvError::does_not_exist(&def.logical_name, id));
        };
        for (name, cell) in changes {
            row.cells.insert(name, cell);
        }
        row.cells.insert("modifiedon".to_owned(), Cell::DateTime(now));
        row.cells.insert("versionnumber".to_owned(), Cell::Int(version));
        derive_computed(def, &mut row.cells);
        let bases = self
            .get(&def.entity_set, id)
            .map(|row| self.base_amounts(def, &row.cells))
            .unwrap_or_default();
        if let Some(row) = self.row_mut(&def.entity_set, id) {
            row.cells.extend(bases);
        }
        Ok(())
    }

    /// `<money>_base`: the amount in the base currency (amount ÷ the row currency's exchange
    /// rate), which the platform keeps next to every currency column.
    fn base_amounts(
        &self,
        def: &EntitySetDef,
        cells: &HashMap<String, Cell>,
    ) -> Vec<(String, Cell)> {
        let rate = cells
            .get("_transactioncurrencyid_value")
            .and_then(Cell::as_guid)
            .and_then(|currency| self.get(super::tables::CURRENCIES, currency))
            .and_then(|currency| match currency.get("exchangerate") {
                Cell::Decimal(rate) if !rate.is_zero() => Some(*rate),
                _ => None,
            })
            .unwrap_or(rust_decimal::Decimal::ONE);
        def.columns
            .iter()
            .filter(|c| c.kind == ColumnKind::Money && !c.name.ends_with("_base"))
            .filter_map(|c| {
                let base = format!("{}_base", c.name);
                def.column_def(&base)?;
                let value = match cells.get(&c.name) {
                    Some(Cell::Decimal(amount)) => amount
                        .checked_div(rate)
                        .map_or(Cell::Null, |v| Cell::Decimal(v.round_dp(4))),
                    _ => Cell::Null,
                };
                Some((base, value))
            })
            .collect()
    }

    /// Delete row `id`; notes regarding it go with it and other lookups to it are cleared, as the
    /// platform's default cascade rules do.
    pub(crate) fn delete(&mut self, set: &str, id: Uuid) -> Result<(), DvError> {
        let def = self.set_def(set)?;
        let table = self.tables.get_mut(set).ok_or_else(|| DvError::resource_not_found(set))?;
        let seq = table
            .by_id
            .remove(&id)
            .ok_or_else(|| DvError::does_not_exist(&def.logical_name, id))?;
        table.rows.remove(&seq);
        self.tombstones.push(Tombstone { version: self.next_version, set: set.to_owned(), id });
        self.next_version += 1;
        let notes: Vec<Uuid> = self
            .rows(super::tables::ANNOTATIONS)
            .filter(|row| row.get("_objectid_value").as_guid() == Some(id))
            .map(|row| row.id)
            .collect();
        for note in notes {
            let _ = self.delete(super::tables::ANNOTATIONS, note);
        }
        let mut cleared = Vec::new();
        for (table_name, table) in &mut self.tables {
            for row in table.rows.values_mut() {
                let mut touched = false;
                for cell in row.cells.values_mut() {
                    if matches!(cell, Cell::Lookup { id: target, .. } if *target == id) {
                        *cell = Cell::Null;
                        touched = true;
                    }
                }
                if touched {
                    cleared.push((table_name.clone(), row.id));
                }
            }
        }
        for (table_name, row_id) in cleared {
            if let Ok(def) = self.set_def(&table_name) {
                self.apply_changes(&def, row_id, Vec::new())?;
            }
        }
        self.links.retain(|(_, a, b)| *a != id && *b != id);
        Ok(())
    }

    /// Set the single-valued navigation property `nav` of row `id` to `target` (or clear it).
    pub(crate) fn set_lookup(
        &mut self,
        set: &str,
        id: Uuid,
        nav: &str,
        target: Option<(String, Uuid)>,
    ) -> Result<(), DvError> {
        let def = self.set_def(set)?;
        let nav_def = def
            .navigation(nav)
            .cloned()
            .ok_or_else(|| DvError::unknown_property(nav, &def.logical_name))?;
        if self.get(set, id).is_none() {
            return Err(DvError::does_not_exist(&def.logical_name, id));
        }
        let mut changes = Changes::new();
        match target {
            Some((target_set, target_id)) => {
                self.check_target(&def, &nav_def, &target_set, target_id)?;
                self.lookup_changes(
                    &def,
                    &nav_def,
                    Cell::Lookup { id: target_id, target_set },
                    &mut changes,
                );
            }
            None => {
                let current = self.get(set, id).map(|row| row.get(&nav_def.lookup_column).clone());
                // Clearing through another table's navigation property leaves the lookup alone.
                if let Some(Cell::Lookup { target_set, .. }) = current
                    && nav_def.accepts(&target_set)
                {
                    self.lookup_changes(&def, &nav_def, Cell::Null, &mut changes);
                }
            }
        }
        self.apply_changes(&def, id, changes)
    }

    /// Relate row `id` to `target` through the collection-valued navigation property `nav`.
    pub(crate) fn associate(
        &mut self,
        set: &str,
        id: Uuid,
        nav: &str,
        target_set: &str,
        target: Uuid,
    ) -> Result<(), DvError> {
        let def = self.set_def(set)?;
        let collection = def
            .collection(nav)
            .cloned()
            .ok_or_else(|| DvError::unknown_property(nav, &def.logical_name))?;
        if self.get(set, id).is_none() {
            return Err(DvError::does_not_exist(&def.logical_name, id));
        }
        let target_def = self.set_def(target_set)?;
        if self.get(target_set, target).is_none() {
            return Err(DvError::does_not_exist(&target_def.logical_name, target));
        }
        match &collection.kind {
            CollectionKind::OneToMany { partner, .. } => {
                self.set_lookup(target_set, target, partner, Some((set.to_owned(), id)))
            }
            CollectionKind::ManyToMany { relationship } => {
                if target_set != collection.target_set {
                    return Err(wrong_set(set, target_set, &collection.target_set));
                }
                let inserted = self.links.insert((relationship.clone(), id, target));
                self.links.insert((relationship.clone(), target, id));
                if !inserted {
                    return Err(DvError::new(
                        http::StatusCode::PRECONDITION_FAILED,
                        "0x80040237",
                        "Cannot insert duplicate key.",
                    ));
                }
                Ok(())
            }
        }
    }

    /// Undo [`Store::associate`].
    pub(crate) fn disassociate(
        &mut self,
        set: &str,
        id: Uuid,
        nav: &str,
        target: Uuid,
    ) -> Result<(), DvError> {
        let def = self.set_def(set)?;
        let collection = def
            .collection(nav)
            .cloned()
            .ok_or_else(|| DvError::unknown_property(nav, &def.logical_name))?;
        match &collection.kind {
            CollectionKind::OneToMany { partner, lookup_column } => {
                let points_here = self
                    .get(&collection.target_set, target)
                    .is_some_and(|row| row.get(lookup_column).as_guid() == Some(id));
                if !points_here {
                    let target_def = self.set_def(&collection.target_set)?;
                    return Err(DvError::does_not_exist(&target_def.logical_name, target));
                }
                self.set_lookup(&collection.target_set, target, partner, None)
            }
            CollectionKind::ManyToMany { relationship } => {
                let removed = self.links.remove(&(relationship.clone(), id, target));
                self.links.remove(&(relationship.clone(), target, id));
                if removed {
                    Ok(())
                } else {
                    let target_def = self.set_def(&collection.target_set)?;
                    Err(DvError::does_not_exist(&target_def.logical_name, target))
                }
            }
        }
    }

    /// The ids of the rows listed by collection-valued navigation property `nav` of row `id`.
    pub(crate) fn related(&self, def: &EntitySetDef, id: Uuid, nav: &str) -> Vec<Uuid> {
        let Some(collection) = def.collection(nav) else { return Vec::new() };
        match &collection.kind {
            CollectionKind::OneToMany { lookup_column, .. } => self
                .rows(&collection.target_set)
                .filter(|row| {
                    matches!(row.get(lookup_column), Cell::Lookup { id: target, target_set }
                        if *target == id && *target_set == def.entity_set)
                })
                .map(|row| row.id)
                .collect(),
            CollectionKind::ManyToMany { relationship } => {
                let start = (relationship.clone(), id, Uuid::nil());
                self.links
                    .range(start..)
                    .take_while(|(rel, from, _)| rel == relationship && *from == id)
                    .map(|(_, _, to)| *to)
                    .filter(|to| self.get(&collection.target_set, *to).is_some())
                    .collect()
            }
        }
    }

    fn row_mut(&mut self, set: &str, id: Uuid) -> Option<&mut Row> {
        let table = self.tables.get_mut(set)?;
        let seq = *table.by_id.get(&id)?;
        table.rows.get_mut(&seq)
    }

    fn stamp(&mut self, cells: &mut HashMap<String, Cell>, now: OffsetDateTime) {
        cells.insert("modifiedon".to_owned(), Cell::DateTime(now));
        cells.insert("versionnumber".to_owned(), Cell::Int(self.next_version));
        self.next_version += 1;
    }

    /// Server-side defaults of a new row: autonumbers, owner, state, base currency.
    fn fill_defaults(&mut self, def: &EntitySetDef, changes: &mut Changes) {
        let has =
            |changes: &Changes, name: &str| changes.iter().any(|(n, c)| n == name && !c.is_null());
        for column in &def.columns {
            if let ColumnKind::Autonumber { prefix, width, seed } = &column.kind
                && !has(changes, &column.name)
            {
                let next = self
                    .autonumbers
                    .entry((def.entity_set.clone(), column.name.clone()))
                    .or_insert(*seed);
                let value = format!("{prefix}{:0width$}", *next, width = *width);
                *next += 1;
                changes.push((column.name.clone(), Cell::Text(value)));
            }
        }
        if let (Some(owner), Some(nav)) = (self.default_owner, def.navigation("ownerid"))
            && !has(changes, &nav.lookup_column)
            && nav.accepts(super::tables::SYSTEM_USERS)
        {
            changes.push((
                nav.lookup_column.clone(),
                Cell::Lookup { id: owner, target_set: super::tables::SYSTEM_USERS.to_owned() },
            ));
        }
        for (column, value) in [("statecode", 0), ("statuscode", 1)] {
            if def.column_def(column).is_some() && !has(changes, column) {
                changes.push((column.to_owned(), Cell::Int(value)));
            }
        }
        self.default_currency(def, changes, None);
    }

    /// A currency value without a currency gets the base currency.
    fn default_currency(&self, def: &EntitySetDef, changes: &mut Changes, existing: Option<Uuid>) {
        let sets_money = changes.iter().any(|(name, cell)| {
            !cell.is_null() && def.column_def(name).is_some_and(|c| c.kind == ColumnKind::Money)
        });
        let has_currency =
            changes.iter().any(|(n, c)| n == "_transactioncurrencyid_value" && !c.is_null())
                || existing
                    .and_then(|id| self.get(&def.entity_set, id))
                    .is_some_and(|row| !row.get("_transactioncurrencyid_value").is_null());
        if sets_money
            && !has_currency
            && def.navigation("transactioncurrencyid").is_some()
            && let Some(currency) = self.base_currency
        {
            changes.push((
                "_transactioncurrencyid_value".to_owned(),
                Cell::Lookup { id: currency, target_set: super::tables::CURRENCIES.to_owned() },
            ));
        }
    }

    /// Refuse a write that gives two rows the same alternate-key values.
    fn check_unique_keys(
        &self,
        def: &EntitySetDef,
        cells: &HashMap<String, Cell>,
        except: Option<Uuid>,
    ) -> Result<(), DvError> {
        for key in &def.alternate_keys {
            let values: Option<Vec<(String, Cell)>> = key
                .columns
                .iter()
                .map(|column| {
                    cells.get(column).filter(|c| !c.is_null()).map(|c| (column.clone(), c.clone()))
                })
                .collect();
            if let Some(values) = values
                && self.find_by_values(&def.entity_set, &values, except).is_some()
            {
                return Err(DvError::duplicate_alternate_key(&key.columns, &key.name));
            }
        }
        Ok(())
    }

    /// Validate a request body against the table and turn it into column changes and the
    /// collection binds to apply once the row exists.
    fn prepare(
        &self,
        def: &EntitySetDef,
        body: &JsonObject,
    ) -> Result<(Changes, Vec<CollectionBind>), DvError> {
        let set = def.entity_set.as_str();
        let mut changes = Changes::new();
        let mut binds = Vec::new();
        for (key, value) in body.iter() {
            if key.starts_with('@') {
                continue; // @odata.type, @odata.etag, @odata.context: instance annotations
            }
            if let Some((property, annotation)) = key.split_once('@') {
                if annotation == "odata.bind" {
                    self.bind(def, property, value, &mut changes, &mut binds)?;
                } else if def.column_def(property).is_none()
                    && def.navigation(property).is_none()
                    && def.collection(property).is_none()
                {
                    return Err(DvError::undeclared_property(set, property));
                }
                continue;
            }
            if let Some(nav) = def.navigation(key) {
                // `"parentaccountid": null` clears a lookup; deep insert is not emulated.
                if value.is_null() {
                    self.lookup_changes(def, nav, Cell::Null, &mut changes);
                    continue;
                }
                return Err(deep_insert(set, key));
            }
            if def.collection(key).is_some() {
                return Err(deep_insert(set, key));
            }
            let column = def
                .column_def(key)
                .ok_or_else(|| DvError::invalid_property(set, key, &def.logical_name))?;
            if column.access == Access::ServerManaged || column.kind == ColumnKind::PrimaryKey {
                continue; // the platform ignores client values for these
            }
            if column.kind == ColumnKind::Lookup {
                // `_x_value` properties are read-only; lookups are written through navigation
                // properties. The platform refuses this payload too.
                return Err(DvError::invalid_property(set, key, &def.logical_name));
            }
            let cell = Cell::decode(&column.kind, value)
                .map_err(|e| DvError::convert(set, &e.message()))?;
            validate(def, &column.kind, key, &cell)?;
            if column.kind == ColumnKind::DocumentBody {
                self.document_changes(set, &cell, &mut changes)?;
            }
            set_change(&mut changes, key, cell);
        }
        Ok((changes, binds))
    }

    /// One `<nav>@odata.bind` member.
    fn bind(
        &self,
        def: &EntitySetDef,
        property: &str,
        value: &Json,
        changes: &mut Changes,
        binds: &mut Vec<CollectionBind>,
    ) -> Result<(), DvError> {
        let set = def.entity_set.as_str();
        if let Some(collection) = def.collection(property) {
            let Json::Array(references) = value else {
                return Err(DvError::convert(
                    set,
                    &format!(
                        "A single entity reference was found for the collection-valued navigation \
                         property '{property}'; an array of references was expected."
                    ),
                ));
            };
            for reference in references {
                let reference =
                    reference.as_str().ok_or_else(|| bad_reference(set, &reference.to_string()))?;
                let (target_set, target) = self.resolve_reference(set, reference)?;
                if target_set != collection.target_set {
                    return Err(wrong_set(set, &target_set, &collection.target_set));
                }
                binds.push(CollectionBind { nav: property.to_owned(), target_set, target });
            }
            return Ok(());
        }
        let nav =
            def.navigation(property).ok_or_else(|| DvError::undeclared_property(set, property))?;
        let cell = match value {
            Json::Null => Cell::Null,
            Json::String(reference) => {
                let (target_set, id) = self.resolve_reference(set, reference)?;
                self.check_target(def, nav, &target_set, id)?;
                Cell::Lookup { id, target_set }
            }
            other => {
                return Err(DvError::convert(
                    set,
                    &format!(
                        "Cannot convert the literal '{other}' to the expected type 'Edm.String'."
                    ),
                ));
            }
        };
        self.lookup_changes(def, nav, cell, changes);
        Ok(())
    }

    /// A lookup value and, for a polymorphic lookup, the table it points at (`objecttypecode`).
    fn lookup_changes(
        &self,
        def: &EntitySetDef,
        nav: &NavigationDef,
        cell: Cell,
        changes: &mut Changes,
    ) {
        let type_cell = match &cell {
            Cell::Lookup { target_set, .. } => self
                .catalog
                .set(target_set)
                .map_or(Cell::Null, |target| Cell::Text(target.logical_name.clone())),
            _ => Cell::Null,
        };
        set_change(changes, &nav.lookup_column, cell);
        if nav.lookup_column == "_objectid_value"
            && let Some(type_code) = def.columns.iter().find(|c| c.kind == ColumnKind::EntityName)
        {
            set_change(changes, &type_code.name, type_cell);
        }
    }

    /// The bound row must live in a table the navigation property accepts, and exist.
    fn check_target(
        &self,
        def: &EntitySetDef,
        nav: &NavigationDef,
        target_set: &str,
        id: Uuid,
    ) -> Result<(), DvError> {
        if !nav.accepts(target_set) {
            return Err(wrong_set(&def.entity_set, target_set, &nav.target_set));
        }
        let target = self.set_def(target_set)?;
        if self.get(target_set, id).is_none() {
            return Err(DvError::does_not_exist(&target.logical_name, id));
        }
        Ok(())
    }

    fn check_collection_binds(&self, binds: &[CollectionBind]) -> Result<(), DvError> {
        for bind in binds {
            if self.get(&bind.target_set, bind.target).is_none() {
                let target = self.set_def(&bind.target_set)?;
                return Err(DvError::does_not_exist(&target.logical_name, bind.target));
            }
        }
        Ok(())
    }

    fn apply_collection_binds(
        &mut self,
        def: &EntitySetDef,
        id: Uuid,
        binds: Vec<CollectionBind>,
    ) -> Result<(), DvError> {
        for bind in binds {
            self.associate(&def.entity_set, id, &bind.nav, &bind.target_set, bind.target)?;
        }
        Ok(())
    }

    /// `documentbody` sets `filesize` (decoded bytes) and `isdocument`.
    fn document_changes(
        &self,
        set: &str,
        body: &Cell,
        changes: &mut Changes,
    ) -> Result<(), DvError> {
        let Some(text) = body.as_text() else {
            set_change(changes, "filesize", Cell::Int(0));
            return Ok(());
        };
        if text.len() > self.limits.max_upload_file_size {
            return Err(DvError::attachment_too_big());
        }
        let decoded_len = decode_base64(text).ok_or_else(|| DvError::invalid_base64(set))?.len();
        set_change(changes, "filesize", Cell::Int(decoded_len as i64));
        if !changes.iter().any(|(n, _)| n == "isdocument") {
            changes.push(("isdocument".to_owned(), Cell::Bool(decoded_len > 0)));
        }
        Ok(())
    }

    /// Resolve `/set(key)`, `set(key)` or an absolute URL ending in `set(key)` to an existing
    /// row; the key is a GUID or an alternate key.
    pub(crate) fn resolve_reference(
        &self,
        set: &str,
        reference: &str,
    ) -> Result<(String, Uuid), DvError> {
        let relative = match reference.find("/api/data/") {
            Some(at) => {
                let rest = &reference[at + "/api/data/".len()..];
                rest.split_once('/').map_or("", |(_, r)| r)
            }
            None => reference.trim_start_matches('/'),
        };
        let (name, key) =
            keys::split_segment(relative).map_err(|_| bad_reference(set, reference))?;
        let Some(key) = key else { return Err(bad_reference(set, reference)) };
        if name.contains('/') || name.is_empty() {
            return Err(bad_reference(set, reference));
        }
        let target = self.set_def(name)?;
        match keys::parse(&target, key)? {
            RowKey::Id(id) => Ok((name.to_owned(), id)),
            key @ RowKey::Alternate(_) => self
                .resolve(name, &key)
                .map(|id| (name.to_owned(), id))
                .ok_or_else(|| DvError::key_not_found(&target.logical_name)),
        }
    }
}

/// Related rows nested in an update body (deep insert creates them only with a new row).
fn deep_insert(set: &str, key: &str) -> DvError {
    DvError::payload(
        set,
        format!(
            "Microsoft.Crm.CrmException: The related row in '{key}' can only be created with a new row (deep insert); an update cannot create it."
        ),
    )
}

fn bad_reference(set: &str, reference: &str) -> DvError {
    DvError::payload(
        set,
        format!(
            "Microsoft.OData.ODataException: The value '{reference}' of an @odata.bind annotation is not a valid entity reference."
        ),
    )
}

fn wrong_set(set: &str, found: &str, target: &str) -> DvError {
    DvError::payload(
        set,
        format!(
            "Microsoft.OData.ODataException: The entity set '{found}' of the bound reference is not \
             the target '{target}' of the navigation property."
        ),
    )
}

fn set_change(changes: &mut Changes, name: &str, cell: Cell) {
    match changes.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = cell,
        None => changes.push((name.to_owned(), cell)),
    }
}

/// Column rules beyond the wire type: lengths and choice values.
fn validate(def: &EntitySetDef, kind: &ColumnKind, name: &str, cell: &Cell) -> Result<(), DvError> {
    match (kind, cell) {
        (ColumnKind::Text { max_length } | ColumnKind::Memo { max_length }, Cell::Text(text))
            if text.chars().count() > *max_length =>
        {
            Err(DvError::too_long(name, &def.logical_name, *max_length))
        }
        (ColumnKind::Choice { options }, Cell::Int(value))
            if !options.is_empty() && !options.iter().any(|(v, _)| v == value) =>
        {
            let allowed: Vec<i64> = options.iter().map(|(v, _)| *v).collect();
            Err(DvError::choice_out_of_range(name, &def.logical_name, *value, &allowed))
        }
        _ => Ok(()),
    }
}

/// Columns the platform computes from others (a contact's `fullname`).
fn derive_computed(def: &EntitySetDef, cells: &mut HashMap<String, Cell>) {
    if def.logical_name == "contact" && def.column_def("fullname").is_some() {
        let part = |name: &str| cells.get(name).and_then(Cell::as_text).map(str::to_owned);
        let full = [part("firstname"), part("lastname")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        cells.insert(
            "fullname".to_owned(),
            if full.is_empty() { Cell::Null } else { Cell::Text(full) },
        );
    }
}

/// Decode base64 the way .NET's `Convert.FromBase64String` accepts it (standard alphabet,
/// padding required, whitespace ignored).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).ok()
}
#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::new(DataverseSchema::default(), StoreLimits { max_upload_file_size: 64 })
    }

    fn body(json: &str) -> JsonObject {
        Json::parse(json).unwrap().as_object().unwrap().clone()
    }

    #[test]
    fn create_assigns_autonumber_version_and_timestamps() {
        let mut store = store();
        let id = store
            .create(
                "cre6f_agreements",
                None,
                &body(r#"{"cre6f_name":"A","cre6f_agreementvalue":10.50}"#),
            )
            .unwrap();
        let row = store.get("cre6f_agreements", id).unwrap();
        assert_eq!(row.get("cre6f_agreementnumber"), &Cell::Text("AGR-01000".into()));
        assert!(row.version() > 0);
        assert!(matches!(row.get("createdon"), Cell::DateTime(_)));
        let first_version = row.version();
        store.update("cre6f_agreements", id, &body(r#"{"cre6f_name":"B"}"#)).unwrap();
        assert!(store.get("cre6f_agreements", id).unwrap().version() > first_version);
    }

    #[test]
    fn binds_are_case_sensitive_and_must_exist() {
        let mut store = store();
        let account = store.create("accounts", None, &body(r#"{"name":"Acme"}"#)).unwrap();
        let ok =
            format!(r#"{{"name":"Deal","parentaccountid@odata.bind":"/accounts({account})"}}"#);
        let opp = store.create("opportunities", None, &body(&ok)).unwrap();
        assert_eq!(
            store.get("opportunities", opp).unwrap().get("_parentaccountid_value").as_guid(),
            Some(account)
        );

        let wrong_case = format!(r#"{{"cre6f_opportunity@odata.bind":"/opportunities({opp})"}}"#);
        let err = store.create("cre6f_agreements", None, &body(&wrong_case)).unwrap_err();
        assert_eq!(err.code, "0x80048d19");
        assert!(
            err.message.contains("An undeclared property 'cre6f_opportunity'"),
            "{}",
            err.message
        );

        let missing =
            format!(r#"{{"cre6f_Opportunity@odata.bind":"/opportunities({})"}}"#, Uuid::new_v4());
        assert_eq!(
            store.create("cre6f_agreements", None, &body(&missing)).unwrap_err().status,
            404
        );

        let wrong_set = format!(r#"{{"cre6f_Opportunity@odata.bind":"/accounts({account})"}}"#);
        assert_eq!(
            store.create("cre6f_agreements", None, &body(&wrong_set)).unwrap_err().status,
            400
        );
    }

    #[test]
    fn write_validation() {
        let mut store = store();
        let unknown = store.create("accounts", None, &body(r#"{"Name":"x"}"#)).unwrap_err();
        assert!(unknown.message.contains(
            "Invalid property 'Name' was found in entity 'Microsoft.Dynamics.CRM.account'"
        ));
        let long = format!(r#"{{"address1_postalcode":"{}"}}"#, "9".repeat(21));
        assert_eq!(store.create("accounts", None, &body(&long)).unwrap_err().code, "0x80044331");
        let choice = store
            .create("cre6f_agreements", None, &body(r#"{"cre6f_agreementtype":7}"#))
            .unwrap_err();
        assert!(choice.message.ends_with("Accepted Values: 1,2,3"), "{}", choice.message);
        let lookup_value =
            store.create("cre6f_agreements", None, &body(r#"{"_cre6f_opportunity_value":"x"}"#));
        assert_eq!(lookup_value.unwrap_err().status, 400);
    }

    #[test]
    fn a_table_keyed_on_an_inherited_column_fills_its_own_id() {
        let users = EntitySetDef::new("systemusers", "systemuser", "ownerid", "fullname")
            .text("fullname", 100)
            .server_managed("systemuserid", ColumnKind::Guid);
        let mut store =
            Store::new(DataverseSchema::new(vec![users]), StoreLimits { max_upload_file_size: 64 });
        let id = store.create("systemusers", None, &body(r#"{"fullname":"U"}"#)).unwrap();
        assert_eq!(store.get("systemusers", id).unwrap().get("systemuserid"), &Cell::Guid(id));
    }

    #[test]
    fn currency_columns_keep_their_base_amount() {
        let mut store = store();
        let eur = store
            .create(
                "transactioncurrencies",
                None,
                &body(r#"{"isocurrencycode":"EUR","exchangerate":0.8}"#),
            )
            .unwrap();
        let account = store
            .create(
                "accounts",
                None,
                &body(&format!(
                    r#"{{"name":"A","revenue":100.00,"transactioncurrencyid@odata.bind":"/transactioncurrencies({eur})"}}"#
                )),
            )
            .unwrap();
        let base =
            |store: &Store| store.get("accounts", account).unwrap().get("revenue_base").clone();
        assert_eq!(base(&store), Cell::Decimal(rust_decimal::Decimal::new(125, 0)));
        store.update("accounts", account, &body(r#"{"revenue":null}"#)).unwrap();
        assert_eq!(base(&store), Cell::Null);
        let ignored = store.update("accounts", account, &body(r#"{"revenue_base":5}"#));
        assert!(
            ignored.is_ok() && base(&store).is_null(),
            "a client value for a base amount is ignored"
        );
    }

    #[test]
    fn notes_derive_filesize_type_code_and_refuse_bad_base64() {
        let mut store = store();
        let agreement = store.create("cre6f_agreements", None, &body("{}")).unwrap();
        let note = format!(
            r#"{{"subject":"s","documentbody":"aGVsbG8=","objectid_cre6f_agreement@odata.bind":"/cre6f_agreements({agreement})"}}"#
        );
        let id = store.create("annotations", None, &body(&note)).unwrap();
        let row = store.get("annotations", id).unwrap();
        assert_eq!(row.get("filesize"), &Cell::Int(5));
        assert_eq!(row.get("isdocument"), &Cell::Bool(true));
        assert_eq!(row.get("objecttypecode"), &Cell::Text("cre6f_agreement".into()));
        let bad = store
            .create("annotations", None, &body(r#"{"documentbody":"not base64!"}"#))
            .unwrap_err();
        assert!(bad.message.contains("not a valid Base-64 string"));
        let big = format!(r#"{{"documentbody":"{}"}}"#, "QUFB".repeat(20));
        assert_eq!(store.create("annotations", None, &body(&big)).unwrap_err().code, "0x80044a02");
        store.delete("cre6f_agreements", agreement).unwrap();
        assert_eq!(store.len("annotations"), 0, "notes cascade with their agreement");
    }
}
