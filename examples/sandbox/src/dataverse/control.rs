//! The Rust control surface of the Dataverse emulator, for the demo and the tests.
//!
//! Writes go through the same validation as the Web API (so seed data cannot be shaped in a way
//! the real service would refuse) but skip authentication, fault injection and the request log.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::DataverseState;
use super::cell::Cell;
use super::errors::DvError;
use super::odata_query::Preferences;
use super::render::Renderer;
use super::store::{Row, decode_base64};
use super::tables::{AGREEMENTS, ANNOTATIONS, CURRENCIES};
use crate::SandboxError;
use crate::json::{Json, JsonObject};

impl From<DvError> for SandboxError {
    fn from(error: DvError) -> Self {
        SandboxError::Rejected {
            status: error.status.as_u16(),
            code: error.code,
            message: error.message,
        }
    }
}

/// Seed, read and change Dataverse rows directly.
///
/// ```no_run
/// # async fn demo() -> Result<(), dataverse_ironclad_sandbox::SandboxError> {
/// use dataverse_ironclad_sandbox::{NewAgreement, Sandbox, SandboxConfig};
/// let sandbox = Sandbox::start(SandboxConfig::default()).await?;
/// let dataverse = sandbox.dataverse();
/// let id = dataverse.create_agreement(NewAgreement { name: Some("Acme MSA".into()), ..NewAgreement::msa() })?;
/// assert_eq!(dataverse.agreement(id).unwrap().name.as_deref(), Some("Acme MSA"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DataverseControl {
    state: Arc<DataverseState>,
}

impl std::fmt::Debug for DataverseControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataverseControl")
            .field("environment_url", &self.state.environment_url.as_str())
            .finish()
    }
}

impl DataverseControl {
    /// Turn Dataverse's service protection on (with these limits per user) or off, and forget
    /// the usage so far.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), dataverse_ironclad_sandbox::SandboxError> {
    /// use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig, ServiceProtection};
    ///
    /// let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    /// sandbox.dataverse().set_service_protection(Some(ServiceProtection::dataverse().scaled(60.0)));
    /// # Ok(()) }
    /// ```
    pub fn set_service_protection(&self, limits: Option<super::ServiceProtection>) {
        self.state.protection.set(limits);
    }

    /// The service protection in force (`None`: off).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), dataverse_ironclad_sandbox::SandboxError> {
    /// use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig};
    ///
    /// let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    /// assert!(sandbox.dataverse().service_protection().is_none());
    /// # Ok(()) }
    /// ```
    pub fn service_protection(&self) -> Option<super::ServiceProtection> {
        self.state.protection.limits()
    }

    pub(crate) fn new(state: Arc<DataverseState>) -> Self {
        Self { state }
    }

    /// Register a custom API (replacing one with the same name), so a client can call it as
    /// it would call one deployed in an environment.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), dataverse_ironclad_sandbox::SandboxError> {
    /// use dataverse_ironclad_sandbox::dataverse::{CustomApi, ParameterType};
    /// use dataverse_ironclad_sandbox::{Json, JsonObject, Sandbox, SandboxConfig};
    /// let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    /// sandbox.dataverse().register_custom_api(
    ///     CustomApi::function("sample_Echo", |call| {
    ///         let text = call.parameters.get("Text").cloned().unwrap_or(Json::Null);
    ///         Ok(Json::Object(JsonObject::new().with("Echoed", text)))
    ///     })
    ///     .parameter("Text", ParameterType::String, false),
    /// );
    /// # Ok(()) }
    /// ```
    pub fn register_custom_api(&self, api: super::CustomApi) {
        self.state.register_custom_api(api);
    }

    /// Register the custom API a JSON declaration describes (the body of
    /// `POST /_sandbox/dataverse/custom-apis`); answers its name, or why the body is not a
    /// declaration.
    pub(crate) fn register_declared_custom_api(&self, body: &Json) -> Result<String, String> {
        let api = super::declared_api::declared(body, &self.entity_sets())?;
        let name = api.name().to_owned();
        self.state.register_custom_api(api);
        Ok(name)
    }

    /// The chunk size the emulator announces for chunked file uploads and ranged downloads
    /// (`x-ms-chunk-size`, 4 MiB by default); a small one makes chunking cheap to test.
    pub fn set_file_chunk_size(&self, bytes: usize) {
        self.state.set_file_chunk_size(bytes);
    }

    /// The file stored in a file or image column: its name and bytes.
    pub fn file(&self, entity_set: &str, id: Uuid, column: &str) -> Option<(String, Vec<u8>)> {
        let store = self.state.store();
        store
            .files
            .values()
            .find(|f| f.set == entity_set && f.row == id && f.column == column)
            .map(|f| (f.name.clone(), f.bytes.to_vec()))
    }

    /// Create a row in `entity_set` from a Web API JSON body (`@odata.bind` lookups included).
    ///
    /// # Errors
    /// [`SandboxError::Rejected`] with the error the Web API would have answered.
    pub fn insert(&self, entity_set: &str, body: &Json) -> Result<Uuid, SandboxError> {
        let body = object(entity_set, body)?;
        Ok(self.state.store().create(entity_set, None, &body)?)
    }

    /// Create a row with a given id.
    ///
    /// # Errors
    /// As [`DataverseControl::insert`]; a duplicate id is a 412.
    pub fn insert_with_id(
        &self,
        entity_set: &str,
        id: Uuid,
        body: &Json,
    ) -> Result<Uuid, SandboxError> {
        let body = object(entity_set, body)?;
        Ok(self.state.store().create(entity_set, Some(id), &body)?)
    }

    /// Update row `id` from a Web API JSON body.
    ///
    /// # Errors
    /// As [`DataverseControl::insert`]; a missing row is a 404.
    pub fn update(&self, entity_set: &str, id: Uuid, body: &Json) -> Result<(), SandboxError> {
        let body = object(entity_set, body)?;
        Ok(self.state.store().update(entity_set, id, &body)?)
    }

    /// Delete row `id`.
    ///
    /// # Errors
    /// A missing row is a 404.
    pub fn delete(&self, entity_set: &str, id: Uuid) -> Result<(), SandboxError> {
        Ok(self.state.store().delete(entity_set, id)?)
    }

    /// Row `id` as the Web API returns it without `$select` (every column, `@odata.etag`).
    pub fn get(&self, entity_set: &str, id: Uuid) -> Option<Json> {
        let store = self.state.store();
        let def = store.catalog.set(entity_set)?;
        let row = store.get(entity_set, id)?;
        let prefs = Preferences::default();
        Some(Json::Object(Renderer { store: &store, prefs: &prefs }.entity(def, row, None, &[])))
    }

    /// Every row of `entity_set`, in creation order, as [`DataverseControl::get`] shows them.
    pub fn list(&self, entity_set: &str) -> Vec<Json> {
        let store = self.state.store();
        let Some(def) = store.catalog.set(entity_set) else { return Vec::new() };
        let prefs = Preferences::default();
        let renderer = Renderer { store: &store, prefs: &prefs };
        store
            .rows(entity_set)
            .map(|row| Json::Object(renderer.entity(def, row, None, &[])))
            .collect()
    }

    /// Set the owner of new rows and the base currency (used by seeding).
    pub(crate) fn set_defaults(&self, owner: Option<Uuid>, base_currency: Option<Uuid>) {
        let mut store = self.state.store();
        store.default_owner = owner.or(store.default_owner);
        store.base_currency = base_currency.or(store.base_currency);
    }

    /// The entity set names of every table, in schema order.
    pub fn entity_sets(&self) -> Vec<String> {
        self.tables().into_iter().map(|(set, _)| set).collect()
    }

    /// `(entity set, logical name)` of every table, in schema order.
    pub fn tables(&self) -> Vec<(String, String)> {
        let store = self.state.store();
        store.catalog.sets().map(|s| (s.entity_set.clone(), s.logical_name.clone())).collect()
    }

    /// Whether the environment has a table with entity set `entity_set`.
    pub fn has_table(&self, entity_set: &str) -> bool {
        self.state.store().catalog.set(entity_set).is_some()
    }

    /// Number of rows in `entity_set`.
    pub fn count(&self, entity_set: &str) -> usize {
        self.state.store().len(entity_set)
    }

    /// The id of the currency with ISO code `iso` (`USD`, `EUR`, `GBP` are seeded).
    pub fn currency_id(&self, iso: &str) -> Option<Uuid> {
        let store = self.state.store();
        store
            .rows(CURRENCIES)
            .find(|row| row.get("isocurrencycode").as_text() == Some(iso))
            .map(|row| row.id)
    }

    /// Create an Agreement as a Dynamics user would.
    ///
    /// # Errors
    /// As [`DataverseControl::insert`] (unknown currency code, missing opportunity, …).
    pub fn create_agreement(&self, agreement: NewAgreement) -> Result<Uuid, SandboxError> {
        let mut body = JsonObject::new();
        let mut put = |key: &str, value: Option<Json>| {
            if let Some(value) = value {
                body.insert(key, value);
            }
        };
        put("cre6f_name", agreement.name.map(Json::String));
        put("cre6f_agreementtype", agreement.agreement_type.map(Json::from));
        put(
            "cre6f_agreementstartdate",
            agreement.start_date.map(|d| Json::String(crate::timestamps::dataverse_date(d))),
        );
        put("cre6f_agreementvalue", agreement.value.map(Json::from));
        put("cre6f_counterpartysignername", agreement.signer_name.map(Json::String));
        put("cre6f_counterpartysigneremail", agreement.signer_email.map(Json::String));
        put(
            "cre6f_Opportunity@odata.bind",
            agreement.opportunity.map(|id| Json::String(format!("/opportunities({id})"))),
        );
        put(
            "cre6f_Account@odata.bind",
            agreement.account.map(|id| Json::String(format!("/accounts({id})"))),
        );
        if let Some(iso) = agreement.currency {
            let id = self.currency_id(&iso).ok_or_else(|| SandboxError::Rejected {
                status: 404,
                code: "0x80040217".to_owned(),
                message: format!("No transactioncurrency has isocurrencycode '{iso}'."),
            })?;
            put(
                "transactioncurrencyid@odata.bind",
                Some(Json::String(format!("/transactioncurrencies({id})"))),
            );
        }
        self.insert(AGREEMENTS, &Json::Object(body))
    }

    /// Agreement `id`, typed.
    pub fn agreement(&self, id: Uuid) -> Option<Agreement> {
        self.state.store().get(AGREEMENTS, id).map(Agreement::from_row)
    }

    /// Every Agreement, in creation order.
    pub fn agreements(&self) -> Vec<Agreement> {
        self.state.store().rows(AGREEMENTS).map(Agreement::from_row).collect()
    }

    /// The notes whose regarding row is `regarding`, oldest first.
    pub fn notes_regarding(&self, regarding: Uuid) -> Vec<Note> {
        let store = self.state.store();
        store
            .rows(ANNOTATIONS)
            .filter(|row| row.get("_objectid_value").as_guid() == Some(regarding))
            .map(Note::from_row)
            .collect()
    }
}

fn object(entity_set: &str, body: &Json) -> Result<JsonObject, SandboxError> {
    body.as_object().cloned().ok_or_else(|| {
        DvError::convert(
            entity_set,
            &format!(
                "A payload of kind '{}' was found where a resource was expected.",
                body.kind()
            ),
        )
        .into()
    })
}

/// A new Agreement; unset fields are left empty. Use [`NewAgreement::msa`] for an MSA.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAgreement {
    /// `cre6f_name`.
    pub name: Option<String>,
    /// `cre6f_agreementtype` (MSA = 1).
    pub agreement_type: Option<i64>,
    /// `cre6f_agreementstartdate`.
    pub start_date: Option<Date>,
    /// `cre6f_agreementvalue`.
    pub value: Option<Decimal>,
    /// ISO code of the transaction currency (`USD`); the base currency when `None`.
    pub currency: Option<String>,
    /// `cre6f_counterpartysignername`.
    pub signer_name: Option<String>,
    /// `cre6f_counterpartysigneremail`.
    pub signer_email: Option<String>,
    /// The related opportunity (`cre6f_Opportunity`).
    pub opportunity: Option<Uuid>,
    /// The related account (`cre6f_Account`).
    pub account: Option<Uuid>,
}

impl NewAgreement {
    /// An empty agreement of type MSA.
    pub fn msa() -> Self {
        Self { agreement_type: Some(super::tables::AGREEMENT_TYPE_MSA), ..Self::default() }
    }
}

/// An Agreement row, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Agreement {
    /// `cre6f_agreementid`.
    pub id: Uuid,
    /// `cre6f_name`.
    pub name: Option<String>,
    /// `cre6f_agreementnumber`.
    pub number: Option<String>,
    /// `cre6f_agreementstartdate`.
    pub start_date: Option<Date>,
    /// `cre6f_agreementtype`.
    pub agreement_type: Option<i64>,
    /// `cre6f_agreementvalue`, exactly as stored.
    pub value: Option<Decimal>,
    /// `_transactioncurrencyid_value`.
    pub currency_id: Option<Uuid>,
    /// `_cre6f_opportunity_value`.
    pub opportunity_id: Option<Uuid>,
    /// `cre6f_counterpartysignername`.
    pub signer_name: Option<String>,
    /// `cre6f_counterpartysigneremail`.
    pub signer_email: Option<String>,
    /// `cre6f_ironcladworkflowurl`.
    pub workflow_url: Option<String>,
    /// `cre6f_ironcladworkflowstatus`.
    pub workflow_status: Option<String>,
    /// `createdon`.
    pub created_on: Option<OffsetDateTime>,
    /// `modifiedon`.
    pub modified_on: Option<OffsetDateTime>,
    /// `versionnumber` (what the etag reports).
    pub version: i64,
}

fn text(row: &Row, column: &str) -> Option<String> {
    row.get(column).as_text().map(str::to_owned)
}

fn datetime(row: &Row, column: &str) -> Option<OffsetDateTime> {
    match row.get(column) {
        Cell::DateTime(at) => Some(*at),
        _ => None,
    }
}

impl Agreement {
    fn from_row(row: &Row) -> Self {
        Self {
            id: row.id,
            name: text(row, "cre6f_name"),
            number: text(row, "cre6f_agreementnumber"),
            start_date: match row.get("cre6f_agreementstartdate") {
                Cell::Date(date) => Some(*date),
                _ => None,
            },
            agreement_type: match row.get("cre6f_agreementtype") {
                Cell::Int(n) => Some(*n),
                _ => None,
            },
            value: match row.get("cre6f_agreementvalue") {
                Cell::Decimal(d) => Some(*d),
                _ => None,
            },
            currency_id: row.get("_transactioncurrencyid_value").as_guid(),
            opportunity_id: row.get("_cre6f_opportunity_value").as_guid(),
            signer_name: text(row, "cre6f_counterpartysignername"),
            signer_email: text(row, "cre6f_counterpartysigneremail"),
            workflow_url: text(row, "cre6f_ironcladworkflowurl"),
            workflow_status: text(row, "cre6f_ironcladworkflowstatus"),
            created_on: datetime(row, "createdon"),
            modified_on: datetime(row, "modifiedon"),
            version: row.version(),
        }
    }
}

/// A note (annotation) row, typed, with its document decoded.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Note {
    /// `annotationid`.
    pub id: Uuid,
    /// `subject`.
    pub subject: Option<String>,
    /// `notetext`.
    pub note_text: Option<String>,
    /// `filename`.
    pub file_name: Option<String>,
    /// `mimetype`.
    pub mime_type: Option<String>,
    /// `isdocument`.
    pub is_document: bool,
    /// `filesize` (decoded bytes).
    pub file_size: Option<i64>,
    /// `documentbody`, decoded from base64.
    pub document: Option<Vec<u8>>,
    /// `_objectid_value`: the row the note is regarding.
    pub regarding: Option<Uuid>,
    /// `objecttypecode`: the logical name of that row's table.
    pub object_type: Option<String>,
    /// `createdon`.
    pub created_on: Option<OffsetDateTime>,
}

impl std::fmt::Debug for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A document can be megabytes; show its size, not its bytes.
        f.debug_struct("Note")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("note_text", &self.note_text)
            .field("file_name", &self.file_name)
            .field("mime_type", &self.mime_type)
            .field("is_document", &self.is_document)
            .field("file_size", &self.file_size)
            .field("document_len", &self.document.as_ref().map(Vec::len))
            .field("regarding", &self.regarding)
            .field("object_type", &self.object_type)
            .finish_non_exhaustive()
    }
}

impl Note {
    fn from_row(row: &Row) -> Self {
        Self {
            id: row.id,
            subject: text(row, "subject"),
            note_text: text(row, "notetext"),
            file_name: text(row, "filename"),
            mime_type: text(row, "mimetype"),
            is_document: row.get("isdocument") == &Cell::Bool(true),
            file_size: match row.get("filesize") {
                Cell::Int(n) => Some(*n),
                _ => None,
            },
            document: row.get("documentbody").as_text().and_then(decode_base64),
            regarding: row.get("_objectid_value").as_guid(),
            object_type: text(row, "objecttypecode"),
            created_on: datetime(row, "createdon"),
        }
    }
}
