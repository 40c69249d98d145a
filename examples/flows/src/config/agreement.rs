//! The Agreement table of spec 004 and the names of the columns the flows read and write.

use serde::Deserialize;

use super::ConfigError;

/// Where the spec's Agreement lives in Dataverse and what its columns are called.
///
/// The defaults are the names of spec 004 with its example publisher prefix `cre6f` (issue 5's
/// configuration defaults); a real environment has its own prefix, so every name can be changed
/// in the `[agreement]` section of the config file. Lookup columns are read as
/// `_<lookup>_value` and expanded through their navigation property, whose name is the
/// case-sensitive schema name (`cre6f_Opportunity`, not `cre6f_opportunity`).
///
/// ```
/// use flows::config::AgreementTable;
///
/// let table = AgreementTable::default();
/// assert_eq!(table.entity_set, "cre6f_agreements");
/// assert_eq!(table.opportunity_navigation, "cre6f_Opportunity");
/// assert_eq!(table.msa_type_value, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AgreementTable {
    /// The table's logical name (`cre6f_agreement`), used to attach notes
    /// (`objectid_<table>@odata.bind`).
    pub table: String,
    /// The table's entity set name (`cre6f_agreements`).
    pub entity_set: String,
    /// The primary key column (`cre6f_agreementid`).
    pub id: String,
    /// The primary name column (`cre6f_name`): the workflow's title is written here.
    pub name: String,
    /// The Agreement Number autonumber (`cre6f_agreementnumber`).
    pub number: String,
    /// The Agreement Start Date, date only (`cre6f_agreementstartdate`).
    pub start_date: String,
    /// The Agreement Type choice (`cre6f_agreementtype`).
    pub agreement_type: String,
    /// The choice value of "MSA" (`1`).
    pub msa_type_value: i64,
    /// The Agreement Value money column (`cre6f_agreementvalue`).
    pub value: String,
    /// The Counterparty Signer Name (`cre6f_counterpartysignername`).
    pub signer_name: String,
    /// The Counterparty Signer Email (`cre6f_counterpartysigneremail`).
    pub signer_email: String,
    /// The Opportunity lookup as read (`_cre6f_opportunity_value`).
    pub opportunity_lookup: String,
    /// The Opportunity navigation property (`cre6f_Opportunity`).
    pub opportunity_navigation: String,
    /// The Ironclad Workflow URL column (`cre6f_ironcladworkflowurl`).
    pub workflow_url: String,
    /// The Ironclad Workflow Status column (`cre6f_ironcladworkflowstatus`).
    pub workflow_status: String,
    /// The Agreement's currency lookup as read (`_transactioncurrencyid_value`).
    pub currency_lookup: String,
    /// The currency navigation property (`transactioncurrencyid`).
    pub currency_navigation: String,
}

impl Default for AgreementTable {
    fn default() -> Self {
        Self {
            table: "cre6f_agreement".to_owned(),
            entity_set: "cre6f_agreements".to_owned(),
            id: "cre6f_agreementid".to_owned(),
            name: "cre6f_name".to_owned(),
            number: "cre6f_agreementnumber".to_owned(),
            start_date: "cre6f_agreementstartdate".to_owned(),
            agreement_type: "cre6f_agreementtype".to_owned(),
            msa_type_value: 1,
            value: "cre6f_agreementvalue".to_owned(),
            signer_name: "cre6f_counterpartysignername".to_owned(),
            signer_email: "cre6f_counterpartysigneremail".to_owned(),
            opportunity_lookup: "_cre6f_opportunity_value".to_owned(),
            opportunity_navigation: "cre6f_Opportunity".to_owned(),
            workflow_url: "cre6f_ironcladworkflowurl".to_owned(),
            workflow_status: "cre6f_ironcladworkflowstatus".to_owned(),
            currency_lookup: "_transactioncurrencyid_value".to_owned(),
            currency_navigation: "transactioncurrencyid".to_owned(),
        }
    }
}

impl AgreementTable {
    /// Check every name: letters, digits and `_` only (what Dataverse allows in logical and
    /// schema names), so a name can never change a URL or an OData expression.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first bad key (`agreement.entity_set`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in self.names() {
            let valid = !value.is_empty()
                && value.len() <= 128
                && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !value.as_bytes()[0].is_ascii_digit();
            if !valid {
                return Err(ConfigError::Invalid {
                    name: format!("agreement.{key}"),
                    reason: format!(
                        "{value:?} is not a Dataverse name (letters, digits and _, not starting with a digit)"
                    ),
                });
            }
        }
        Ok(())
    }

    fn names(&self) -> [(&'static str, &str); 16] {
        [
            ("table", &self.table),
            ("entity_set", &self.entity_set),
            ("id", &self.id),
            ("name", &self.name),
            ("number", &self.number),
            ("start_date", &self.start_date),
            ("agreement_type", &self.agreement_type),
            ("value", &self.value),
            ("signer_name", &self.signer_name),
            ("signer_email", &self.signer_email),
            ("opportunity_lookup", &self.opportunity_lookup),
            ("opportunity_navigation", &self.opportunity_navigation),
            ("workflow_url", &self.workflow_url),
            ("workflow_status", &self.workflow_status),
            ("currency_lookup", &self.currency_lookup),
            ("currency_navigation", &self.currency_navigation),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_issue_names_and_valid() {
        let table = AgreementTable::default();
        table.validate().unwrap();
        assert_eq!(table.id, "cre6f_agreementid");
        assert_eq!(table.currency_lookup, "_transactioncurrencyid_value");
        assert_eq!(table.currency_navigation, "transactioncurrencyid");
    }

    #[test]
    fn a_name_that_could_change_a_url_is_refused() {
        for bad in ["", "cre6f agreements", "x/y", "a'b", "1abc", "name(eq)"] {
            let table = AgreementTable { entity_set: bad.to_owned(), ..AgreementTable::default() };
            let error = table.validate().unwrap_err().to_string();
            assert!(error.starts_with("agreement.entity_set is invalid"), "{error}");
        }
    }
}
