//! `GET /workflows` parameters and the filter formula.

use std::fmt;

use time::OffsetDateTime;
use time::macros::format_description;

use super::WorkflowStatus;
use crate::ids::TemplateId;

/// Parameters of `GET /workflows`.
///
/// Without a status Ironclad returns only active workflows.
///
/// ```
/// use ironclad_client::workflows::{Filter, ListWorkflows, WorkflowStatus};
///
/// let query = ListWorkflows::new()
///     .template("68dc41e5a7987b1e623e4711")
///     .filter(Filter::equals("dynamicsMsaId", "0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d"))
///     .statuses([WorkflowStatus::Active, WorkflowStatus::Completed])
///     .page_size(100);
/// # let _ = query;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListWorkflows {
    pub(crate) statuses: Vec<WorkflowStatus>,
    pub(crate) template: Option<TemplateId>,
    pub(crate) last_updated: Option<OffsetDateTime>,
    pub(crate) filter: Option<String>,
    pub(crate) page_size: Option<u32>,
    pub(crate) hydrate_entities: Option<bool>,
    pub(crate) start_page: u64,
}

impl ListWorkflows {
    /// All active workflows, 20 per page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a status (sent comma-separated: `status=active,completed`).
    pub fn status(mut self, status: WorkflowStatus) -> Self {
        if !self.statuses.contains(&status) {
            self.statuses.push(status);
        }
        self
    }

    /// Add several statuses.
    pub fn statuses(self, statuses: impl IntoIterator<Item = WorkflowStatus>) -> Self {
        statuses.into_iter().fold(self, Self::status)
    }

    /// Every status: active, paused, completed and cancelled.
    pub fn any_status(self) -> Self {
        self.statuses([
            WorkflowStatus::Active,
            WorkflowStatus::Paused,
            WorkflowStatus::Completed,
            WorkflowStatus::Cancelled,
        ])
    }

    /// Only workflows of this template.
    pub fn template(mut self, template_id: impl Into<TemplateId>) -> Self {
        self.template = Some(template_id.into());
        self
    }

    /// Only workflows updated since this instant (`lastUpdated=2018-03-10T00:00:00.000Z`).
    pub fn updated_since(mut self, since: OffsetDateTime) -> Self {
        self.last_updated = Some(since);
        self
    }

    /// A filter formula over attribute ids (see [`Filter`]).
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Items per page, 1 to 100 (default 20 on Ironclad's side).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Resolve entity references in attributes (`hydrateEntities=true`).
    pub fn hydrate_entities(mut self, hydrate: bool) -> Self {
        self.hydrate_entities = Some(hydrate);
        self
    }

    /// Start at this page (0-based), e.g. to resume.
    pub fn start_page(mut self, page: u64) -> Self {
        self.start_page = page;
        self
    }

    pub(crate) fn status_param(&self) -> Option<String> {
        (!self.statuses.is_empty())
            .then(|| self.statuses.iter().map(WorkflowStatus::as_str).collect::<Vec<_>>().join(","))
    }

    pub(crate) fn last_updated_param(&self) -> Option<String> {
        self.last_updated.map(format_utc_millis)
    }
}

/// `2018-03-10T00:00:00.000Z`, the format Ironclad documents for `lastUpdated`.
pub(crate) fn format_utc_millis(instant: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let utc = instant.to_offset(time::UtcOffset::UTC);
    utc.format(&format).unwrap_or_else(|_| utc.to_string())
}

/// A filter formula for `GET /workflows` and `GET /records` (`filter=`).
///
/// Attribute ids go in brackets and values in quotes: `Equals([counterpartyName], 'Harley
/// Quinn')`. A value containing `'` is quoted with `"` instead; the escaping of a value
/// containing both is not documented; a backslash is used (an assumption, not documented).
///
/// ```
/// use ironclad_client::workflows::Filter;
///
/// assert_eq!(Filter::equals("dynamicsMsaId", "abc-123").to_string(), "Equals([dynamicsMsaId], 'abc-123')");
/// assert_eq!(
///     Filter::equals("counterpartyName", "O'Brien LLC").to_string(),
///     r#"Equals([counterpartyName], "O'Brien LLC")"#
/// );
/// let both = Filter::and([Filter::is_not_empty("dynamicsMsaId"), Filter::contains("title", "MSA")]);
/// assert_eq!(both.to_string(), "And(IsNotEmpty([dynamicsMsaId]), Contains([title], 'MSA'))");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter(String);

impl Filter {
    /// `Equals([attribute], 'value')`.
    pub fn equals(attribute: &str, value: &str) -> Self {
        Self::binary("Equals", attribute, value)
    }

    /// `NotEqual([attribute], 'value')`.
    pub fn not_equal(attribute: &str, value: &str) -> Self {
        Self::binary("NotEqual", attribute, value)
    }

    /// `Contains([attribute], 'value')`.
    pub fn contains(attribute: &str, value: &str) -> Self {
        Self::binary("Contains", attribute, value)
    }

    /// `IsEmpty([attribute])`.
    pub fn is_empty(attribute: &str) -> Self {
        Filter(format!("IsEmpty({})", Self::attribute(attribute)))
    }

    /// `IsNotEmpty([attribute])`.
    pub fn is_not_empty(attribute: &str) -> Self {
        Filter(format!("IsNotEmpty({})", Self::attribute(attribute)))
    }

    /// `And(a, b, …)`.
    pub fn and(filters: impl IntoIterator<Item = Filter>) -> Self {
        Self::combine("And", filters)
    }

    /// `Or(a, b, …)`.
    pub fn or(filters: impl IntoIterator<Item = Filter>) -> Self {
        Self::combine("Or", filters)
    }

    /// Any formula, verbatim (for operators not covered here, e.g. `GreaterThan`).
    pub fn raw(formula: impl Into<String>) -> Self {
        Filter(formula.into())
    }

    fn binary(operator: &str, attribute: &str, value: &str) -> Self {
        Filter(format!("{operator}({}, {})", Self::attribute(attribute), Self::quote(value)))
    }

    fn combine(operator: &str, filters: impl IntoIterator<Item = Filter>) -> Self {
        let parts: Vec<String> = filters.into_iter().map(|f| f.0).collect();
        Filter(format!("{operator}({})", parts.join(", ")))
    }

    fn attribute(attribute: &str) -> String {
        format!("[{}]", attribute.trim().trim_start_matches('[').trim_end_matches(']'))
    }

    fn quote(value: &str) -> String {
        if !value.contains('\'') {
            format!("'{value}'")
        } else if !value.contains('"') {
            format!("\"{value}\"")
        } else {
            format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Filter> for String {
    fn from(value: Filter) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_last_updated_like_the_docs() {
        let instant = time::macros::datetime!(2018-03-10 01:00:00 +01:00);
        assert_eq!(format_utc_millis(instant), "2018-03-10T00:00:00.000Z");
    }
}
