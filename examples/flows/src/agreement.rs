//! Reading MSA agreements with their opportunity, the opportunity's account and the currency.
//!
//! Rows are decoded column by column from the JSON text ([`RawValue`]), so money stays an exact
//! decimal whatever the column is called (a dynamic `Record` would read it through `f64`).

use std::collections::{BTreeMap, HashMap};

use dataverse_client::query::{Expand, Filter, Query};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::FlowError;
use crate::config::AgreementTable;

/// The standard Opportunity table (dataverse.md §3).
pub(crate) const OPPORTUNITIES: &str = "opportunities";
/// The standard Account table.
pub(crate) const ACCOUNTS: &str = "accounts";
/// The standard currency table.
pub(crate) const CURRENCIES: &str = "transactioncurrencies";
/// The opportunity's account lookup, read and navigated.
const OPPORTUNITY_ACCOUNT_LOOKUP: &str = "_parentaccountid_value";
const OPPORTUNITY_ACCOUNT_NAVIGATION: &str = "parentaccountid";
/// What the flow reads of the opportunity (spec: "Total Amount, Account and Currency").
const OPPORTUNITY_COLUMNS: [&str; 3] = ["name", "totalamount", OPPORTUNITY_ACCOUNT_LOOKUP];
/// What the flow reads of the account: the counterparty's name and address.
const ACCOUNT_COLUMNS: [&str; 8] = [
    "name",
    "address1_line1",
    "address1_line2",
    "address1_line3",
    "address1_city",
    "address1_stateorprovince",
    "address1_postalcode",
    "address1_country",
];
const CURRENCY_COLUMNS: [&str; 1] = ["isocurrencycode"];

/// One row as JSON text per column.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub(crate) struct Row(BTreeMap<String, Box<RawValue>>);

/// A navigation property of a row: expanded to a row, expanded to nothing (`null`: the lookup is
/// empty), or missing from the response (the server did not expand it).
pub(crate) enum Related {
    NotExpanded,
    Empty,
    Row(Row),
}

fn wrong_type(column: &str, expected: &str, raw: &RawValue) -> FlowError {
    // The value comes from the server: cut it on a character boundary, never mid-character.
    let shown = rest_client_core::body_excerpt(raw.get().as_bytes(), 60);
    FlowError::Data(format!("column {column} is not {expected}: {shown}"))
}

impl Row {
    fn raw(&self, column: &str) -> Option<&RawValue> {
        self.0.get(column).map(Box::as_ref).filter(|raw| raw.get() != "null")
    }

    pub(crate) fn text(&self, column: &str) -> Result<Option<String>, FlowError> {
        let Some(raw) = self.raw(column) else { return Ok(None) };
        let text: String =
            serde_json::from_str(raw.get()).map_err(|_| wrong_type(column, "text", raw))?;
        Ok(Some(text).filter(|t| !t.trim().is_empty()))
    }

    pub(crate) fn guid(&self, column: &str) -> Result<Option<Uuid>, FlowError> {
        self.text(column)?
            .map(|text| {
                Uuid::parse_str(&text)
                    .map_err(|_| FlowError::Data(format!("column {column} is not a GUID: {text}")))
            })
            .transpose()
    }

    pub(crate) fn decimal(&self, column: &str) -> Result<Option<Decimal>, FlowError> {
        let Some(raw) = self.raw(column) else { return Ok(None) };
        rest_client_core::json_decimal::decimal_from_raw(raw)
            .map(Some)
            .ok_or_else(|| wrong_type(column, "a number", raw))
    }

    /// A date-only column (`2026-12-01`); a date-time is accepted too (its date part).
    pub(crate) fn date(&self, column: &str) -> Result<Option<Date>, FlowError> {
        let Some(text) = self.text(column)? else { return Ok(None) };
        let format = time::macros::format_description!("[year]-[month]-[day]");
        text.get(..10)
            .and_then(|head| Date::parse(head, &format).ok())
            .map(Some)
            .ok_or_else(|| FlowError::Data(format!("column {column} is not a date: {text}")))
    }

    pub(crate) fn datetime(&self, column: &str) -> Result<Option<OffsetDateTime>, FlowError> {
        let Some(text) = self.text(column)? else { return Ok(None) };
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(Some)
            .map_err(|_| FlowError::Data(format!("column {column} is not a date-time: {text}")))
    }

    pub(crate) fn related(&self, navigation: &str) -> Result<Related, FlowError> {
        match self.0.get(navigation) {
            None => Ok(Related::NotExpanded),
            Some(raw) if raw.get() == "null" => Ok(Related::Empty),
            Some(raw) => serde_json::from_str(raw.get())
                .map(Related::Row)
                .map_err(|_| wrong_type(navigation, "an expanded row", raw)),
        }
    }
}

/// The counterparty of an MSA: the account of the agreement's opportunity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counterparty {
    /// `name`.
    pub name: Option<String>,
    /// `address1_line1`.
    pub line1: Option<String>,
    /// `address1_line2`.
    pub line2: Option<String>,
    /// `address1_line3`.
    pub line3: Option<String>,
    /// `address1_city`.
    pub city: Option<String>,
    /// `address1_stateorprovince`.
    pub region: Option<String>,
    /// `address1_postalcode`.
    pub postcode: Option<String>,
    /// `address1_country`.
    pub country: Option<String>,
}

impl Counterparty {
    fn from_account(row: &Row) -> Result<Self, FlowError> {
        Ok(Self {
            name: row.text("name")?,
            line1: row.text("address1_line1")?,
            line2: row.text("address1_line2")?,
            line3: row.text("address1_line3")?,
            city: row.text("address1_city")?,
            region: row.text("address1_stateorprovince")?,
            postcode: row.text("address1_postalcode")?,
            country: row.text("address1_country")?,
        })
    }
}

/// An MSA agreement with what launching its workflow needs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MsaAgreement {
    /// The Agreement's id.
    pub id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// Its Agreement Number.
    pub number: Option<String>,
    /// Its Agreement Start Date.
    pub start_date: Option<Date>,
    /// Its Agreement Value, exact.
    pub value: Option<Decimal>,
    /// The ISO code of its currency (`USD`).
    pub currency_code: Option<String>,
    /// The Counterparty Signer Name.
    pub signer_name: Option<String>,
    /// The Counterparty Signer Email.
    pub signer_email: Option<String>,
    /// The account of its opportunity, if it has one.
    pub counterparty: Option<Counterparty>,
    /// `modifiedon`.
    pub modified_on: Option<OffsetDateTime>,
}

/// What the Agreement's Ironclad status column shows of a workflow: its step (`Review`,
/// `Complete`), or its status when it has no step.
pub(crate) fn workflow_status(workflow: &ironclad_client::workflows::Workflow) -> Option<String> {
    workflow
        .step
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .or_else(|| workflow.status.as_ref().map(|s| s.as_str().to_owned()))
}

/// The query of new MSA agreements: type MSA, no workflow URL yet, modified at or after
/// `since`, ordered by `modifiedon` then id, with the opportunity (and its account) and the
/// currency expanded.
pub(crate) fn msa_query(
    table: &AgreementTable,
    since: Option<OffsetDateTime>,
    page_size: u32,
) -> Query {
    let mut filter = Filter::eq(&table.agreement_type, table.msa_type_value)
        .and(Filter::is_null(&table.workflow_url));
    if let Some(since) = since {
        filter = filter.and(Filter::ge("modifiedon", since));
    }
    Query::new(&table.entity_set)
        .select([
            table.id.as_str(),
            &table.name,
            &table.number,
            &table.start_date,
            &table.value,
            &table.signer_name,
            &table.signer_email,
            &table.opportunity_lookup,
            &table.currency_lookup,
            "modifiedon",
        ])
        .filter(filter)
        .order_by("modifiedon")
        .order_by(&table.id)
        .expand(opportunity_expand(&table.opportunity_navigation))
        .expand(Expand::new(&table.currency_navigation).select(CURRENCY_COLUMNS))
        .max_page_size(page_size)
}

/// The count of unlinked MSA agreements modified before `before` (the backlog a first run
/// leaves alone): `$count=true` with pages of one row. The count covers every matching row
/// whatever the page size, up to 5000
/// ([Count rows using OData](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/count-rows)).
pub(crate) fn backlog_count_query(table: &AgreementTable, before: OffsetDateTime) -> Query {
    let filter = Filter::eq(&table.agreement_type, table.msa_type_value)
        .and(Filter::is_null(&table.workflow_url))
        .and(Filter::lt("modifiedon", before));
    Query::new(&table.entity_set)
        .select([table.id.as_str()])
        .filter(filter)
        .count()
        .max_page_size(1)
}

/// Dataverse's largest `@odata.count`.
pub(crate) const COUNT_LIMIT: u64 = 5000;

fn opportunity_expand(navigation: &str) -> Expand {
    Expand::new(navigation)
        .select(OPPORTUNITY_COLUMNS)
        .expand(Expand::new(OPPORTUNITY_ACCOUNT_NAVIGATION).select(ACCOUNT_COLUMNS))
}

/// Related rows fetched because a response left out an expansion, remembered for the run.
#[derive(Debug, Default)]
pub(crate) struct RelatedCache {
    counterparties: HashMap<Uuid, Option<Counterparty>>,
    currencies: HashMap<Uuid, Option<String>>,
}

impl MsaAgreement {
    /// Decode a row of [`msa_query`], fetching what the server did not expand (some servers
    /// ignore a nested `$expand`) by its `_x_value` id.
    pub(crate) async fn from_row(
        row: &Row,
        table: &AgreementTable,
        dataverse: &dataverse_client::Client,
        cache: &mut RelatedCache,
    ) -> Result<Self, FlowError> {
        let id = row
            .guid(&table.id)?
            .ok_or_else(|| FlowError::Data(format!("a row has no {}", table.id)))?;
        let counterparty = match row.related(&table.opportunity_navigation)? {
            Related::Row(opportunity) => opportunity_counterparty(&opportunity, dataverse).await?,
            Related::Empty => None,
            Related::NotExpanded => match row.guid(&table.opportunity_lookup)? {
                None => None,
                Some(opportunity) => fetch_counterparty(opportunity, dataverse, cache).await?,
            },
        };
        let currency_code = currency_code(row, table, dataverse, cache).await?;
        Ok(Self {
            id,
            name: row.text(&table.name)?,
            number: row.text(&table.number)?,
            start_date: row.date(&table.start_date)?,
            value: row.decimal(&table.value)?,
            currency_code,
            signer_name: row.text(&table.signer_name)?,
            signer_email: row.text(&table.signer_email)?,
            counterparty,
            modified_on: row.datetime("modifiedon")?,
        })
    }
}

/// The ISO code of an Agreement row's currency (`None`: the row has none), from the expanded
/// currency or, when the server left the expansion out, fetched by its `_x_value` id.
pub(crate) async fn currency_code(
    row: &Row,
    table: &AgreementTable,
    dataverse: &dataverse_client::Client,
    cache: &mut RelatedCache,
) -> Result<Option<String>, FlowError> {
    match row.related(&table.currency_navigation)? {
        Related::Row(currency) => currency.text("isocurrencycode"),
        Related::Empty => Ok(None),
        Related::NotExpanded => match row.guid(&table.currency_lookup)? {
            None => Ok(None),
            Some(currency) => fetch_currency(currency, dataverse, cache).await,
        },
    }
}

async fn opportunity_counterparty(
    opportunity: &Row,
    dataverse: &dataverse_client::Client,
) -> Result<Option<Counterparty>, FlowError> {
    match opportunity.related(OPPORTUNITY_ACCOUNT_NAVIGATION)? {
        Related::Row(account) => Ok(Some(Counterparty::from_account(&account)?)),
        Related::Empty => Ok(None),
        Related::NotExpanded => match opportunity.guid(OPPORTUNITY_ACCOUNT_LOOKUP)? {
            None => Ok(None),
            Some(account) => {
                let account: Row =
                    dataverse.retrieve(ACCOUNTS, account).select(ACCOUNT_COLUMNS).await?;
                Ok(Some(Counterparty::from_account(&account)?))
            }
        },
    }
}

async fn fetch_counterparty(
    opportunity_id: Uuid,
    dataverse: &dataverse_client::Client,
    cache: &mut RelatedCache,
) -> Result<Option<Counterparty>, FlowError> {
    if let Some(known) = cache.counterparties.get(&opportunity_id) {
        return Ok(known.clone());
    }
    let opportunity: Row = dataverse
        .retrieve(OPPORTUNITIES, opportunity_id)
        .select(OPPORTUNITY_COLUMNS)
        .expand(Expand::new(OPPORTUNITY_ACCOUNT_NAVIGATION).select(ACCOUNT_COLUMNS))
        .await?;
    let counterparty = opportunity_counterparty(&opportunity, dataverse).await?;
    cache.counterparties.insert(opportunity_id, counterparty.clone());
    Ok(counterparty)
}

async fn fetch_currency(
    currency_id: Uuid,
    dataverse: &dataverse_client::Client,
    cache: &mut RelatedCache,
) -> Result<Option<String>, FlowError> {
    if let Some(known) = cache.currencies.get(&currency_id) {
        return Ok(known.clone());
    }
    let currency: Row =
        dataverse.retrieve(CURRENCIES, currency_id).select(CURRENCY_COLUMNS).await?;
    let code = currency.text("isocurrencycode")?;
    cache.currencies.insert(currency_id, code.clone());
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_the_one_the_issue_describes() {
        let since = time::macros::datetime!(2026-05-01 10:00:00 UTC);
        let query = msa_query(&AgreementTable::default(), Some(since), 100);
        let text = query.to_query_string().unwrap();
        let decoded: Vec<(String, String)> =
            url::form_urlencoded::parse(text.as_bytes()).into_owned().collect();
        let get = |key: &str| decoded.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        assert_eq!(
            get("$select"),
            Some(
                "cre6f_agreementid,cre6f_name,cre6f_agreementnumber,cre6f_agreementstartdate,\
                 cre6f_agreementvalue,cre6f_counterpartysignername,cre6f_counterpartysigneremail,\
                 _cre6f_opportunity_value,_transactioncurrencyid_value,modifiedon"
            )
        );
        assert_eq!(
            get("$filter"),
            Some(
                "cre6f_agreementtype eq 1 and cre6f_ironcladworkflowurl eq null and modifiedon ge 2026-05-01T10:00:00Z"
            )
        );
        assert_eq!(get("$orderby"), Some("modifiedon asc,cre6f_agreementid asc"));
        assert_eq!(
            get("$expand"),
            Some(
                "cre6f_Opportunity($select=name,totalamount,_parentaccountid_value;\
                 $expand=parentaccountid($select=name,address1_line1,address1_line2,\
                 address1_line3,address1_city,address1_stateorprovince,address1_postalcode,\
                 address1_country)),\
                 transactioncurrencyid($select=isocurrencycode)"
            )
        );
    }

    #[test]
    fn the_backlog_is_counted_over_one_row() {
        let before = time::macros::datetime!(2026-05-01 10:00:00 UTC);
        let text =
            backlog_count_query(&AgreementTable::default(), before).to_query_string().unwrap();
        let decoded: Vec<(String, String)> =
            url::form_urlencoded::parse(text.as_bytes()).into_owned().collect();
        assert_eq!(
            decoded,
            [
                ("$select".to_owned(), "cre6f_agreementid".to_owned()),
                (
                    "$filter".to_owned(),
                    "cre6f_agreementtype eq 1 and cre6f_ironcladworkflowurl eq null and modifiedon lt 2026-05-01T10:00:00Z".to_owned()
                ),
                ("$count".to_owned(), "true".to_owned()),
            ]
        );
    }

    #[test]
    fn money_is_read_exactly_and_types_are_checked() {
        let row: Row = serde_json::from_str(
            r#"{"v":12345678901234567.8901,"t":"x","n":null,"d":"2026-12-01","bad":true}"#,
        )
        .unwrap();
        assert_eq!(row.decimal("v").unwrap().unwrap().to_string(), "12345678901234567.8901");
        assert_eq!(row.decimal("n").unwrap(), None);
        assert_eq!(row.decimal("missing").unwrap(), None);
        assert_eq!(row.date("d").unwrap(), Some(time::macros::date!(2026 - 12 - 01)));
        let error = row.text("bad").unwrap_err().to_string();
        assert_eq!(error, "column bad is not text: true");
        assert!(row.decimal("t").is_err());
    }

    #[test]
    fn a_long_non_ascii_value_of_the_wrong_type_is_an_error_not_a_panic() {
        // 'é' is two bytes after the opening quote: byte 60 falls inside a character.
        let text = format!("\"{}\"", "é".repeat(40));
        let row: Row = serde_json::from_str(&format!(r#"{{"v":{text}}}"#)).unwrap();
        let error = row.decimal("v").unwrap_err().to_string();
        assert!(error.starts_with("column v is not a number: \"éé"), "{error}");
        assert!(error.ends_with('…'), "{error}");
    }
}
