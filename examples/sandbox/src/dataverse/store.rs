//! The in-memory rows of every table, and the write rules the platform applies.
//!
//! Writes follow dataverse.md §1.3 and §2–3: columns are validated against the table's
//! definition (unknown property → 400, wrong type → 400, text too long → 400, choice out of
//! range → 400); lookups are written only through `<nav>@odata.bind` with a case-sensitive
//! navigation property name and must point at an existing row of the navigation's target table;
//! `createdon`/`modifiedon`/`versionnumber` are server-managed (a new `versionnumber` on every
//! write is what `@odata.etag` reports); setting a currency column sets the row's transaction
//! currency to the base currency when none was bound; a note's `documentbody` must be base64 and
//! sets `filesize` and `isdocument`, and its regarding lookup sets `objecttypecode`.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use time::OffsetDateTime;
use uuid::Uuid;

use super::cell::Cell;
use super::errors::DvError;
use super::schema::{Access, ColumnKind, DataverseSchema, EntitySetDef};
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

#[derive(Debug, Default)]
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

/// Every table's rows.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) schema: DataverseSchema,
    tables: HashMap<String, Table>,
    next_seq: u64,
    next_version: i64,
    autonumbers: HashMap<(String, String), u64>,
    pub(crate) limits: StoreLimits,
    /// The user new rows are owned by (`_ownerid_value`).
    pub(crate) default_owner: Option<Uuid>,
    /// The organization's base currency, used when a currency column is set without a currency.
    pub(crate) base_currency: Option<Uuid>,
}

/// What a write does to the row's `_x_value` and columns.
type Changes = Vec<(String, Cell)>;

impl Store {
    pub(crate) fn new(schema: DataverseSchema, limits: StoreLimits) -> Self {
        let tables = schema.sets.iter().map(|s| (s.entity_set.clone(), Table::default())).collect();
        Self {
            schema,
            tables,
            next_seq: 1,
            next_version: 1_000_000,
            autonumbers: HashMap::new(),
            limits,
            default_owner: None,
            base_currency: None,
        }
    }

    pub(crate) fn set_def(&self, set: &str) -> Result<&EntitySetDef, DvError> {
        self.schema.set(set).ok_or_else(|| DvError::resource_not_found(set))
    }

    /// Row `id` of `set`.
    pub(crate) fn get(&self, set: &str, id: Uuid) -> Option<&Row> {
        let table = self.tables.get(set)?;
        table.by_id.get(&id).and_then(|seq| table.rows.get(seq))
    }

    /// Every row of `set`, in insertion order.
    pub(crate) fn rows(&self, set: &str) -> impl Iterator<Item = &Row> {
        self.tables.get(set).into_iter().flat_map(|t| t.rows.values())
    }

    /// Number of rows in `set`.
    pub(crate) fn len(&self, set: &str) -> usize {
        self.tables.get(set).map_or(0, |t| t.rows.len())
    }

    /// Create a row from a request body; `id` comes from the URL of an upsert.
    pub(crate) fn create(
        &mut self,
        set: &str,
        id: Option<Uuid>,
        body: &JsonObject,
    ) -> Result<Uuid, DvError> {
        let def = self.set_def(set)?.clone();
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
        let mut changes = self.prepare(&def, body)?;
        self.fill_defaults(&def, &mut changes);
        let now = timestamps::whole_seconds(timestamps::now());
        let mut cells: HashMap<String, Cell> = HashMap::new();
        cells.insert(def.primary_key.clone(), Cell::Guid(id));
        cells.insert("createdon".to_owned(), Cell::DateTime(now));
        for (name, cell) in changes {
            cells.insert(name, cell);
        }
        self.stamp(&mut cells, now);
        derive_computed(&def, &mut cells);
        let seq = self.next_seq;
        self.next_seq += 1;
        let table = self.tables.entry(def.entity_set.clone()).or_default();
        table.by_id.insert(id, seq);
        table.rows.insert(seq, Row { seq, id, cells });
        Ok(id)
    }

    /// Update row `id` of `set` from a request body.
    pub(crate) fn update(&mut self, set: &str, id: Uuid, body: &JsonObject) -> Result<(), DvError> {
        let def = self.set_def(set)?.clone();
        if self.get(set, id).is_none() {
            return Err(DvError::does_not_exist(&def.logical_name, id));
        }
        let mut changes = self.prepare(&def, body)?;
        self.default_currency(&def, &mut changes, Some(id));
        let now = timestamps::whole_seconds(timestamps::now());
        let version = self.next_version;
        self.next_version += 1;
        let Some(row) = self.row_mut(set, id) else {
            return Err(DvError::does_not_exist(&def.logical_name, id));
        };
        for (name, cell) in changes {
            row.cells.insert(name, cell);
        }
        row.cells.insert("modifiedon".to_owned(), Cell::DateTime(now));
        row.cells.insert("versionnumber".to_owned(), Cell::Int(version));
        derive_computed(&def, &mut row.cells);
        Ok(())
    }

    /// Delete row `id`; notes regarding it go with it and other lookups to it are cleared, as the
    /// platform's default cascade rules do.
    pub(crate) fn delete(&mut self, set: &str, id: Uuid) -> Result<(), DvError> {
        let def = self.set_def(set)?.clone();
        let table = self.tables.get_mut(set).ok_or_else(|| DvError::resource_not_found(set))?;
        let seq = table
            .by_id
            .remove(&id)
            .ok_or_else(|| DvError::does_not_exist(&def.logical_name, id))?;
        table.rows.remove(&seq);
        let notes: Vec<Uuid> = self
            .rows(super::tables::ANNOTATIONS)
            .filter(|row| row.get("_objectid_value").as_guid() == Some(id))
            .map(|row| row.id)
            .collect();
        for note in notes {
            let _ = self.delete(super::tables::ANNOTATIONS, note);
        }
        for table in self.tables.values_mut() {
            for row in table.rows.values_mut() {
                for cell in row.cells.values_mut() {
                    if matches!(cell, Cell::Lookup { id: target, .. } if *target == id) {
                        *cell = Cell::Null;
                    }
                }
            }
        }
        Ok(())
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
        if let (Some(owner), Some(_)) = (self.default_owner, def.navigation("ownerid"))
            && !has(changes, "_ownerid_value")
        {
            changes.push((
                "_ownerid_value".to_owned(),
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

    /// Validate a request body against the table and turn it into column changes.
    fn prepare(&self, def: &EntitySetDef, body: &JsonObject) -> Result<Changes, DvError> {
        let set = def.entity_set.as_str();
        let mut changes = Changes::new();
        for (key, value) in body.iter() {
            if key.starts_with('@') {
                continue; // @odata.type, @odata.etag, @odata.context: instance annotations
            }
            if let Some((property, annotation)) = key.split_once('@') {
                if annotation == "odata.bind" {
                    let nav = def
                        .navigation(property)
                        .ok_or_else(|| DvError::undeclared_property(set, property))?;
                    let cell = match value {
                        Json::Null => Cell::Null,
                        Json::String(reference) => {
                            let id = self.resolve_bind(set, reference, &nav.target_set)?;
                            Cell::Lookup { id, target_set: nav.target_set.clone() }
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
                    // A polymorphic lookup also records the target table (`objecttypecode`).
                    let type_cell = match (&cell, self.schema.set(&nav.target_set)) {
                        (Cell::Lookup { .. }, Some(target)) => {
                            Cell::Text(target.logical_name.clone())
                        }
                        _ => Cell::Null,
                    };
                    set_change(&mut changes, &nav.lookup_column, cell);
                    if let Some(type_code) =
                        def.columns.iter().find(|c| c.kind == ColumnKind::EntityName)
                    {
                        set_change(&mut changes, &type_code.name, type_cell);
                    }
                } else if def.column_def(property).is_none() && def.navigation(property).is_none() {
                    return Err(DvError::undeclared_property(set, property));
                }
                continue;
            }
            if let Some(nav) = def.navigation(key) {
                // `"parentaccountid": null` clears a lookup (§1.3); deep insert is not emulated.
                if value.is_null() {
                    set_change(&mut changes, &nav.lookup_column, Cell::Null);
                    continue;
                }
                return Err(DvError::payload(
                    set,
                    format!(
                        "Microsoft.Crm.CrmException: Deep insert through '{key}' is not supported by the sandbox."
                    ),
                ));
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
        Ok(changes)
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

    /// Parse `/set(guid)`, `set(guid)` or an absolute URL ending in `set(guid)`, and check the
    /// row exists in the navigation's target table.
    fn resolve_bind(&self, set: &str, reference: &str, target_set: &str) -> Result<Uuid, DvError> {
        let last = reference.trim_end_matches('/').rsplit('/').next().unwrap_or(reference);
        let parsed =
            last.strip_suffix(')').and_then(|s| s.split_once('(')).and_then(|(name, key)| {
                Uuid::parse_str(key.trim_matches(['{', '}'])).ok().map(|id| (name, id))
            });
        let Some((name, id)) = parsed else {
            return Err(DvError::payload(
                set,
                format!(
                    "Microsoft.OData.ODataException: The value '{reference}' of an @odata.bind annotation is not a valid entity reference."
                ),
            ));
        };
        if name != target_set {
            return Err(DvError::payload(
                set,
                format!(
                    "Microsoft.OData.ODataException: The entity set '{name}' of the bound reference is not \
                     the target '{target_set}' of the navigation property."
                ),
            ));
        }
        let target = self.set_def(target_set)?;
        if self.get(target_set, id).is_none() {
            return Err(DvError::does_not_exist(&target.logical_name, id));
        }
        Ok(id)
    }
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
            if !options.iter().any(|(v, _)| v == value) =>
        {
            let allowed: Vec<i64> = options.iter().map(|(v, _)| *v).collect();
            Err(DvError::choice_out_of_range(name, &def.logical_name, *value, &allowed))
        }
        _ => Ok(()),
    }
}

/// Columns the platform computes from others (a contact's `fullname`).
fn derive_computed(def: &EntitySetDef, cells: &mut HashMap<String, Cell>) {
    if def.logical_name == "contact" {
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
