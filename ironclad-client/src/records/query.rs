//! `GET /records` parameters.

use time::OffsetDateTime;

use crate::string_enum::string_enum;
use crate::workflows::format_utc_millis;

string_enum! {
    /// The field records are sorted by.
    pub enum RecordSortField {
        /// The agreement date (Ironclad's default).
        AgreementDate = "agreementDate",
        /// The record name.
        Name = "name",
        /// The last change.
        LastUpdated = "lastUpdated",
    }
}

string_enum! {
    /// The sort order.
    pub enum SortDirection {
        /// Ascending.
        Ascending = "ASC",
        /// Descending (Ironclad's default).
        Descending = "DESC",
    }
}

/// Parameters of `GET /records`.
///
/// Ironclad filters records only by `types`, `lastUpdated` and a `filter` formula (no date
/// ranges). Addresses come back as strings unless [`ListRecords::address_as_object`] is set.
///
/// ```
/// use ironclad_client::{records::{ListRecords, RecordSortField, SortDirection}, workflows::Filter};
///
/// let query = ListRecords::new()
///     .types(["mSA", "nDA"])
///     .filter(Filter::equals("counterpartyName", "Test LLC"))
///     .sort(RecordSortField::LastUpdated, SortDirection::Descending)
///     .address_as_object(true)
///     .page_size(50);
/// # let _ = query;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListRecords {
    pub(crate) types: Vec<String>,
    pub(crate) last_updated: Option<OffsetDateTime>,
    pub(crate) filter: Option<String>,
    pub(crate) sort_field: Option<RecordSortField>,
    pub(crate) sort_direction: Option<SortDirection>,
    pub(crate) hydrate_entities: Option<bool>,
    pub(crate) address_as_object: Option<bool>,
    pub(crate) page_size: Option<u32>,
    pub(crate) start_page: u64,
}

impl ListRecords {
    /// All records, 20 per page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these record types (sent comma-separated, no spaces).
    pub fn types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.types.extend(types.into_iter().map(|t| t.into().trim().to_owned()));
        self
    }

    /// Only records updated since this instant.
    pub fn updated_since(mut self, since: OffsetDateTime) -> Self {
        self.last_updated = Some(since);
        self
    }

    /// A filter formula over property keys (see [`Filter`](crate::workflows::Filter)).
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Sort order.
    pub fn sort(mut self, field: RecordSortField, direction: SortDirection) -> Self {
        self.sort_field = Some(field);
        self.sort_direction = Some(direction);
        self
    }

    /// Resolve entity references (`hydrateEntities=true`).
    pub fn hydrate_entities(mut self, hydrate: bool) -> Self {
        self.hydrate_entities = Some(hydrate);
        self
    }

    /// Return addresses as objects instead of strings (`addressAsObject=true`).
    pub fn address_as_object(mut self, as_object: bool) -> Self {
        self.address_as_object = Some(as_object);
        self
    }

    /// Items per page, 1 to 100.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Start at this page (0-based).
    pub fn start_page(mut self, page: u64) -> Self {
        self.start_page = page;
        self
    }

    pub(crate) fn types_param(&self) -> Option<String> {
        (!self.types.is_empty()).then(|| self.types.join(","))
    }

    pub(crate) fn last_updated_param(&self) -> Option<String> {
        self.last_updated.map(format_utc_millis)
    }
}

/// What `GET /records/export` includes: record types and property ids, each sent as a comma
/// list without spaces; none means all.
///
/// ```
/// use ironclad_client::records::RecordsExport;
///
/// let export = RecordsExport::new().types(["mutualNDA", " NDA"]).properties(["counterpartyName"]);
/// # let _ = export;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct RecordsExport {
    types: Vec<String>,
    properties: Vec<String>,
}

impl RecordsExport {
    /// Every type and property.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these record types.
    pub fn types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.types.extend(types.into_iter().map(|t| t.into().trim().to_owned()));
        self
    }

    /// Only these property ids (columns).
    pub fn properties<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties.extend(properties.into_iter().map(|p| p.into().trim().to_owned()));
        self
    }

    pub(crate) fn types_param(&self) -> Option<String> {
        (!self.types.is_empty()).then(|| self.types.join(","))
    }

    pub(crate) fn properties_param(&self) -> Option<String> {
        (!self.properties.is_empty()).then(|| self.properties.join(","))
    }
}
