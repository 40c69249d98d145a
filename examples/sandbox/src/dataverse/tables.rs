//! The built-in tables, read from the built-in `$metadata` document (`builtin_metadata.xml`,
//! served at `$metadata`): a custom Agreement table (the kind an integration guide asks makers to
//! create: account and opportunity lookups, an autonumber, a date-only start date, a choice with
//! an "MSA" option, a currency value, signer name and email, the Ironclad workflow URL and
//! status) plus the standard tables integrations use: `account`, `contact`, `opportunity`,
//! `annotation`, `transactioncurrency` and `systemuser`, with the columns, lookups and
//! relationships of their reference pages, and the views `savedquery` and `userquery` (name,
//! `fetchxml`, `returnedtypecode`, `querytype`) that `?savedQuery=`/`?userQuery=` run
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/account>
//! and its siblings). Lengths follow the platform defaults of those columns.
//!
//! The Agreement has a file column (`cre6f_signeddocument`) and the account an image column
//! (`entityimage`), recognised from `$metadata` as Dataverse declares them (`Edm.Binary` with
//! `<name>_name`, resp. `<name>_url` and `<name>_timestamp`). Notes refuse the bulk messages, so
//! a client's fallback for tables without them can be tested.
//!
//! `accounts.accountnumber`, `transactioncurrencies.isocurrencycode` and
//! `cre6f_agreements.cre6f_agreementnumber` carry alternate keys, so
//! `accounts(accountnumber='A-1')` works as it does in an environment where a maker defined that
//! key. What a `$metadata` document cannot say (choice options and the autonumber format) is
//! added here.

use std::sync::OnceLock;

use super::schema::{ColumnKind, DataverseSchema};

/// The Agreement entity set.
pub const AGREEMENTS: &str = "cre6f_agreements";
/// The Note entity set.
pub const ANNOTATIONS: &str = "annotations";
/// The Account entity set.
pub const ACCOUNTS: &str = "accounts";
/// The Opportunity entity set.
pub const OPPORTUNITIES: &str = "opportunities";
/// The Currency entity set.
pub const CURRENCIES: &str = "transactioncurrencies";
/// The Contact entity set.
pub const CONTACTS: &str = "contacts";
/// The User entity set.
pub const SYSTEM_USERS: &str = "systemusers";

/// The Agreement Type choice value for "MSA".
pub const AGREEMENT_TYPE_MSA: i64 = 1;

/// The built-in `$metadata` document.
pub(crate) const BUILTIN_CSDL: &str = include_str!("builtin_metadata.xml");

impl Default for DataverseSchema {
    /// The built-in tables (see the module documentation).
    fn default() -> Self {
        static BUILTIN: OnceLock<DataverseSchema> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                // The document is part of the crate and a test reads it: it cannot fail here.
                let mut schema = DataverseSchema::from_csdl(BUILTIN_CSDL).unwrap_or_else(|error| {
                    unreachable!("the built-in $metadata is invalid: {error}")
                });
                refine(&mut schema);
                schema
            })
            .clone()
    }
}

fn choice(options: &[(i64, &str)]) -> ColumnKind {
    ColumnKind::Choice { options: options.iter().map(|(v, l)| (*v, (*l).to_owned())).collect() }
}

/// Choice options and the autonumber format, which `$metadata` does not carry.
fn refine(schema: &mut DataverseSchema) {
    for set in &mut schema.sets {
        // Notes take no bulk messages here, so clients can test their fallback against a table
        // that refuses them (which standard tables do is for each environment to tell).
        if set.entity_set == ANNOTATIONS {
            set.bulk_messages = false;
        }
        let table = set.logical_name.clone();
        for column in &mut set.columns {
            let kind = match (table.as_str(), column.name.as_str()) {
                ("opportunity", "statecode") => choice(&[(0, "Open"), (1, "Won"), (2, "Lost")]),
                ("opportunity", "statuscode") => choice(&[
                    (1, "In Progress"),
                    (2, "On Hold"),
                    (3, "Won"),
                    (4, "Canceled"),
                    (5, "Out-Sold"),
                ]),
                (_, "statecode") => choice(&[(0, "Active"), (1, "Inactive")]),
                (_, "statuscode") => choice(&[(1, "Active"), (2, "Inactive")]),
                ("cre6f_agreement", "cre6f_agreementtype") => {
                    choice(&[(AGREEMENT_TYPE_MSA, "MSA"), (2, "NDA"), (3, "SOW")])
                }
                ("cre6f_agreement", "cre6f_agreementnumber") => {
                    ColumnKind::Autonumber { prefix: "AGR-".to_owned(), width: 5, seed: 1000 }
                }
                ("account", "accountcategorycode") => {
                    choice(&[(1, "Preferred Customer"), (2, "Standard")])
                }
                ("account", "customertypecode") => choice(&[
                    (1, "Competitor"),
                    (2, "Consultant"),
                    (3, "Customer"),
                    (4, "Investor"),
                    (5, "Partner"),
                    (6, "Influencer"),
                    (7, "Press"),
                    (8, "Prospect"),
                    (9, "Reseller"),
                    (10, "Supplier"),
                    (11, "Vendor"),
                    (12, "Other"),
                ]),
                _ => continue,
            };
            column.kind = kind;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataverse::schema::Access;

    #[test]
    fn the_built_in_document_has_every_table_with_its_keys_lookups_and_relationships() {
        let schema = DataverseSchema::default();
        let sets: Vec<&str> = schema.sets.iter().map(|s| s.entity_set.as_str()).collect();
        assert_eq!(
            sets,
            [
                AGREEMENTS,
                ACCOUNTS,
                OPPORTUNITIES,
                CURRENCIES,
                ANNOTATIONS,
                CONTACTS,
                "savedqueries",
                "userqueries",
                SYSTEM_USERS
            ]
        );
        assert_eq!(schema.csdl.as_deref(), Some(BUILTIN_CSDL), "served as written");
        let agreement = schema.set(AGREEMENTS).unwrap();
        assert_eq!(agreement.primary_name, "cre6f_name");
        let navigation = agreement.navigation("cre6f_Opportunity").unwrap();
        assert_eq!(
            (navigation.lookup_column.as_str(), navigation.target_set.as_str()),
            ("_cre6f_opportunity_value", OPPORTUNITIES)
        );
        assert!(matches!(
            agreement.column_def("cre6f_agreementtype").unwrap().kind,
            ColumnKind::Choice { ref options } if options[0] == (1, "MSA".to_owned())
        ));
        assert_eq!(agreement.column_def("cre6f_agreementvalue").unwrap().kind, ColumnKind::Money);
        assert_eq!(
            agreement.column_def("cre6f_agreementvalue_base").unwrap().access,
            Access::ServerManaged
        );
        let account = schema.set(ACCOUNTS).unwrap();
        assert_eq!(account.alternate_keys[0].columns, ["accountnumber"]);
        assert_eq!(
            account.column_def("address1_postalcode").unwrap().kind,
            ColumnKind::Text { max_length: 20 }
        );
        assert!(account.collection("contact_customer_accounts").is_some());
        let contact = schema.set(CONTACTS).unwrap();
        assert_eq!(contact.column_def("fullname").unwrap().access, Access::ServerManaged);
        let note = schema.set(ANNOTATIONS).unwrap();
        assert_eq!(note.column_def("documentbody").unwrap().kind, ColumnKind::DocumentBody);
        assert_eq!(note.column_def("objecttypecode").unwrap().kind, ColumnKind::EntityName);
        assert_eq!(note.navigations_for("_objectid_value").count(), 4);
    }

    #[test]
    fn a_written_document_reads_back_as_the_same_tables() {
        let schema = DataverseSchema::default();
        let written = super::super::csdl_writer::write(&schema);
        let mut read = DataverseSchema::from_csdl(&written).unwrap();
        refine(&mut read);
        for (ours, theirs) in schema.sets.iter().zip(&read.sets) {
            assert_eq!(ours.columns, theirs.columns, "{}", ours.entity_set);
            assert_eq!(ours.navigations, theirs.navigations, "{}", ours.entity_set);
            assert_eq!(ours.collections, theirs.collections, "{}", ours.entity_set);
            assert_eq!(ours.alternate_keys, theirs.alternate_keys, "{}", ours.entity_set);
        }
        assert_eq!(schema.sets.len(), read.sets.len());
    }
}
