//! The built-in tables: a custom Agreement table (the kind an integration guide asks makers to
//! create: account and opportunity lookups, an autonumber, a date-only start date, a choice with
//! an "MSA" option, a currency value, signer name and email, the Ironclad workflow URL and
//! status) plus the standard tables integrations use: `account`, `contact`, `opportunity`,
//! `annotation`, `transactioncurrency` and `systemuser`, with the columns, lookups and
//! relationships of their reference pages
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/account>
//! and its siblings). Lengths follow the platform defaults of those columns.
//!
//! `accounts.accountnumber` and `cre6f_agreements.cre6f_agreementnumber` carry alternate keys, so
//! `accounts(accountnumber='A-1')` works as it does in an environment where a maker defined that
//! key.

use super::schema::{
    CollectionKind, CollectionNavigationDef, ColumnKind, DataverseSchema, EntitySetDef,
};

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

/// A one-to-many collection-valued navigation property: rows of `target_set` whose `partner`
/// navigation property (filling `lookup_column`) points here.
fn one_to_many(
    mut set: EntitySetDef,
    name: &str,
    target_set: &str,
    partner: &str,
    lookup_column: &str,
) -> EntitySetDef {
    set.collections.push(CollectionNavigationDef {
        name: name.to_owned(),
        target_set: target_set.to_owned(),
        kind: CollectionKind::OneToMany {
            partner: partner.to_owned(),
            lookup_column: lookup_column.to_owned(),
        },
    });
    set
}

fn owned(set: EntitySetDef) -> EntitySetDef {
    set.lookup("ownerid", "_ownerid_value", SYSTEM_USERS)
        .lookup("createdby", "_createdby_value", SYSTEM_USERS)
        .lookup("modifiedby", "_modifiedby_value", SYSTEM_USERS)
}

fn agreements() -> EntitySetDef {
    let set = owned(
        EntitySetDef::new(AGREEMENTS, "cre6f_agreement", "cre6f_agreementid", "cre6f_name")
            .text("cre6f_name", 100)
            .column(
                "cre6f_agreementnumber",
                ColumnKind::Autonumber { prefix: "AGR-".to_owned(), width: 5, seed: 1000 },
            )
            .column("cre6f_agreementstartdate", ColumnKind::DateOnly)
            .choice("cre6f_agreementtype", &[(AGREEMENT_TYPE_MSA, "MSA"), (2, "NDA"), (3, "SOW")])
            .money("cre6f_agreementvalue")
            .server_managed("cre6f_agreementvalue_base", ColumnKind::Money)
            .text("cre6f_counterpartysignername", 100)
            .text("cre6f_counterpartysigneremail", 100)
            .text("cre6f_ironcladworkflowurl", 200)
            .text("cre6f_ironcladworkflowstatus", 100)
            .lookup("cre6f_Opportunity", "_cre6f_opportunity_value", OPPORTUNITIES)
            .lookup("cre6f_Account", "_cre6f_account_value", ACCOUNTS)
            .lookup("transactioncurrencyid", "_transactioncurrencyid_value", CURRENCIES)
            .with_state()
            .alternate_key("cre6f_agreementnumber_key", &["cre6f_agreementnumber"]),
    );
    one_to_many(
        set,
        "cre6f_agreement_Annotations",
        ANNOTATIONS,
        "objectid_cre6f_agreement",
        "_objectid_value",
    )
}

fn accounts() -> EntitySetDef {
    let set = owned(
        EntitySetDef::new(ACCOUNTS, "account", "accountid", "name")
            .text("name", 160)
            .text("accountnumber", 20)
            .text("address1_line1", 250)
            .text("address1_line2", 250)
            .text("address1_line3", 250)
            .text("address1_city", 80)
            .text("address1_stateorprovince", 50)
            .text("address1_postalcode", 20)
            .text("address1_country", 80)
            .text("telephone1", 50)
            .text("emailaddress1", 100)
            .text("websiteurl", 200)
            .column("description", ColumnKind::Memo { max_length: 2000 })
            .column("numberofemployees", ColumnKind::WholeNumber)
            .money("revenue")
            .server_managed("revenue_base", ColumnKind::Money)
            .money("creditlimit")
            .server_managed("creditlimit_base", ColumnKind::Money)
            .column("creditonhold", ColumnKind::Boolean)
            .choice("accountcategorycode", &[(1, "Preferred Customer"), (2, "Standard")])
            .choice(
                "customertypecode",
                &[
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
                ],
            )
            .lookup("parentaccountid", "_parentaccountid_value", ACCOUNTS)
            .lookup("primarycontactid", "_primarycontactid_value", CONTACTS)
            .lookup("transactioncurrencyid", "_transactioncurrencyid_value", CURRENCIES)
            .with_state()
            .alternate_key("accountnumber_key", &["accountnumber"]),
    );
    let set =
        one_to_many(set, "Account_Annotation", ANNOTATIONS, "objectid_account", "_objectid_value");
    let set = one_to_many(
        set,
        "contact_customer_accounts",
        CONTACTS,
        "parentcustomerid_account",
        "_parentcustomerid_value",
    );
    let set = one_to_many(
        set,
        "account_parent_account",
        ACCOUNTS,
        "parentaccountid",
        "_parentaccountid_value",
    );
    let set = one_to_many(
        set,
        "opportunity_parent_account",
        OPPORTUNITIES,
        "parentaccountid",
        "_parentaccountid_value",
    );
    one_to_many(
        set,
        "cre6f_account_cre6f_agreement_Account",
        AGREEMENTS,
        "cre6f_Account",
        "_cre6f_account_value",
    )
}

fn opportunities() -> EntitySetDef {
    let set = owned(
        EntitySetDef::new(OPPORTUNITIES, "opportunity", "opportunityid", "name")
            .text("name", 300)
            .money("totalamount")
            .server_managed("totalamount_base", ColumnKind::Money)
            .money("estimatedvalue")
            .server_managed("estimatedvalue_base", ColumnKind::Money)
            .column("estimatedclosedate", ColumnKind::DateOnly)
            .column("closeprobability", ColumnKind::WholeNumber)
            .column("description", ColumnKind::Memo { max_length: 2000 })
            .lookup("parentaccountid", "_parentaccountid_value", ACCOUNTS)
            .lookup("parentcontactid", "_parentcontactid_value", CONTACTS)
            .lookup("customerid_account", "_customerid_value", ACCOUNTS)
            .lookup("customerid_contact", "_customerid_value", CONTACTS)
            .lookup("transactioncurrencyid", "_transactioncurrencyid_value", CURRENCIES)
            .choice("statecode", &[(0, "Open"), (1, "Won"), (2, "Lost")])
            .choice(
                "statuscode",
                &[(1, "In Progress"), (2, "On Hold"), (3, "Won"), (4, "Canceled"), (5, "Out-Sold")],
            ),
    );
    let set = one_to_many(
        set,
        "Opportunity_Annotation",
        ANNOTATIONS,
        "objectid_opportunity",
        "_objectid_value",
    );
    one_to_many(
        set,
        "cre6f_opportunity_cre6f_agreement_Opportunity",
        AGREEMENTS,
        "cre6f_Opportunity",
        "_cre6f_opportunity_value",
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
        .alternate_key("isocurrencycode_key", &["isocurrencycode"])
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
    let set = owned(
        EntitySetDef::new(CONTACTS, "contact", "contactid", "fullname")
            .text("firstname", 50)
            .text("lastname", 50)
            .server_managed("fullname", ColumnKind::Text { max_length: 160 })
            .text("emailaddress1", 100)
            .text("telephone1", 50)
            .text("mobilephone", 50)
            .text("jobtitle", 100)
            .column("birthdate", ColumnKind::DateOnly)
            .text("address1_city", 80)
            .text("address1_country", 80)
            .column("description", ColumnKind::Memo { max_length: 2000 })
            .lookup("parentcustomerid_account", "_parentcustomerid_value", ACCOUNTS)
            .lookup("parentcustomerid_contact", "_parentcustomerid_value", CONTACTS)
            .lookup("transactioncurrencyid", "_transactioncurrencyid_value", CURRENCIES)
            .with_state(),
    );
    let set =
        one_to_many(set, "Contact_Annotation", ANNOTATIONS, "objectid_contact", "_objectid_value");
    let set = one_to_many(
        set,
        "contact_customer_contacts",
        CONTACTS,
        "parentcustomerid_contact",
        "_parentcustomerid_value",
    );
    one_to_many(
        set,
        "account_primary_contact",
        ACCOUNTS,
        "primarycontactid",
        "_primarycontactid_value",
    )
}

fn system_users() -> EntitySetDef {
    EntitySetDef::new(SYSTEM_USERS, "systemuser", "systemuserid", "fullname")
        .text("fullname", 200)
        .text("firstname", 64)
        .text("lastname", 64)
        .text("internalemailaddress", 100)
        .text("domainname", 1024)
        .column("isdisabled", ColumnKind::Boolean)
}
