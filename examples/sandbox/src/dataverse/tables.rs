//! The default tables: the spec's custom Agreement table plus the standard Sales tables it uses.
//!
//! Column names are issue 5's configuration defaults (`cre6f_agreement`, MSA choice value `1`,
//! navigation property `cre6f_Opportunity`, …) and the standard columns of research
//! dataverse.md §3 (`accounts.address1_*`, `opportunities.totalamount` / `parentaccountid`,
//! `transactioncurrencies.isocurrencycode`, `annotations` per §2). Lengths follow the platform
//! defaults of those columns.

use super::schema::{ColumnKind, DataverseSchema, EntitySetDef};

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

impl Default for DataverseSchema {
    fn default() -> Self {
        DataverseSchema::new(vec![
            agreements(),
            accounts(),
            opportunities(),
            currencies(),
            annotations(),
            contacts(),
            system_users(),
        ])
    }
}

fn owned(set: EntitySetDef) -> EntitySetDef {
    set.lookup("ownerid", "_ownerid_value", SYSTEM_USERS)
}

fn agreements() -> EntitySetDef {
    owned(
        EntitySetDef::new(AGREEMENTS, "cre6f_agreement", "cre6f_agreementid", "cre6f_name")
            .text("cre6f_name", 100)
            .column(
                "cre6f_agreementnumber",
                ColumnKind::Autonumber { prefix: "AGR-".to_owned(), width: 5, seed: 1000 },
            )
            .column("cre6f_agreementstartdate", ColumnKind::DateOnly)
            .choice("cre6f_agreementtype", &[(AGREEMENT_TYPE_MSA, "MSA"), (2, "NDA"), (3, "SOW")])
            .money("cre6f_agreementvalue")
            .text("cre6f_counterpartysignername", 100)
            .text("cre6f_counterpartysigneremail", 100)
            .text("cre6f_ironcladworkflowurl", 200)
            .text("cre6f_ironcladworkflowstatus", 100)
            .lookup("cre6f_Opportunity", "_cre6f_opportunity_value", OPPORTUNITIES)
            .lookup("cre6f_Account", "_cre6f_account_value", ACCOUNTS)
            .lookup("transactioncurrencyid", "_transactioncurrencyid_value", CURRENCIES)
            .with_state(),
    )
}

fn accounts() -> EntitySetDef {
    owned(
        EntitySetDef::new(ACCOUNTS, "account", "accountid", "name")
            .text("name", 160)
            .text("address1_line1", 250)
            .text("address1_line2", 250)
            .text("address1_line3", 250)
            .text("address1_city", 80)
            .text("address1_stateorprovince", 50)
            .text("address1_postalcode", 20)
            .text("address1_country", 80)
            .text("telephone1", 50)
            .money("revenue")
            .lookup("transactioncurrencyid", "_transactioncurrencyid_value", CURRENCIES)
            .with_state(),
    )
}

fn opportunities() -> EntitySetDef {
    owned(
        EntitySetDef::new(OPPORTUNITIES, "opportunity", "opportunityid", "name")
            .text("name", 300)
            .money("totalamount")
            .lookup("parentaccountid", "_parentaccountid_value", ACCOUNTS)
            .lookup("transactioncurrencyid", "_transactioncurrencyid_value", CURRENCIES)
            .choice("statecode", &[(0, "Open"), (1, "Won"), (2, "Lost")]),
    )
}

fn currencies() -> EntitySetDef {
    EntitySetDef::new(CURRENCIES, "transactioncurrency", "transactioncurrencyid", "currencyname")
        .text("isocurrencycode", 5)
        .text("currencyname", 100)
        .text("currencysymbol", 10)
        .column("currencyprecision", ColumnKind::WholeNumber)
        .column("exchangerate", ColumnKind::Decimal)
        .with_state()
}

fn annotations() -> EntitySetDef {
    owned(
        EntitySetDef::new(ANNOTATIONS, "annotation", "annotationid", "subject")
            .text("subject", 500)
            .column("notetext", ColumnKind::Memo { max_length: 100_000 })
            .text("filename", 255)
            .text("mimetype", 256)
            .column("documentbody", ColumnKind::DocumentBody)
            .column("isdocument", ColumnKind::Boolean)
            .server_managed("filesize", ColumnKind::WholeNumber)
            .server_managed("objecttypecode", ColumnKind::EntityName)
            .lookup("objectid_cre6f_agreement", "_objectid_value", AGREEMENTS)
            .lookup("objectid_account", "_objectid_value", ACCOUNTS)
            .lookup("objectid_opportunity", "_objectid_value", OPPORTUNITIES)
            .lookup("objectid_contact", "_objectid_value", CONTACTS),
    )
}

fn contacts() -> EntitySetDef {
    owned(
        EntitySetDef::new(CONTACTS, "contact", "contactid", "fullname")
            .text("firstname", 50)
            .text("lastname", 50)
            .server_managed("fullname", ColumnKind::Text { max_length: 160 })
            .text("emailaddress1", 100)
            .text("telephone1", 50)
            .lookup("parentcustomerid_account", "_parentcustomerid_value", ACCOUNTS)
            .with_state(),
    )
}

fn system_users() -> EntitySetDef {
    EntitySetDef::new(SYSTEM_USERS, "systemuser", "systemuserid", "fullname")
        .text("fullname", 200)
        .text("internalemailaddress", 100)
}
