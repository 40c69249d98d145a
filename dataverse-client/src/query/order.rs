//! `$orderby` terms.

use crate::error::Result;
use crate::odata::validate_property_path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OrderBy {
    property: String,
    descending: bool,
}

impl OrderBy {
    pub(crate) fn asc(property: impl Into<String>) -> Self {
        Self { property: property.into(), descending: false }
    }

    pub(crate) fn desc(property: impl Into<String>) -> Self {
        Self { property: property.into(), descending: true }
    }
}

pub(crate) fn render_order_by(terms: &[OrderBy]) -> Result<String> {
    let mut parts = Vec::with_capacity(terms.len());
    for term in terms {
        validate_property_path(&term.property)?;
        parts.push(if term.descending {
            format!("{} desc", term.property)
        } else {
            format!("{} asc", term.property)
        });
    }
    Ok(parts.join(","))
}
