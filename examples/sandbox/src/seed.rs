//! Seed data: currencies, accounts, opportunities and agreements with realistic values, and a
//! bulk generator of MSA agreements for the benchmark.
//!
//! Rows are written through the Web API's own validation (the control surface), so seed data is
//! always something the real service would accept. USD is the base currency, as in most
//! North American environments.

use rust_decimal::Decimal;
use time::macros::date;
use uuid::Uuid;

use super::SandboxError;
use super::dataverse::{
    ACCOUNTS, AGREEMENT_TYPE_MSA, CURRENCIES, DataverseControl, NewAgreement, OPPORTUNITIES,
    SYSTEM_USERS,
};
use super::json::{Json, JsonObject};

/// Which rows exist when the sandbox starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeedData {
    /// Currencies, five accounts with opportunities, and four agreements (two MSAs).
    #[default]
    Demo,
    /// Only the user and the currencies (the organization's reference data).
    ReferenceOnly,
}

/// The ids of the seeded rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeededRows {
    /// The integration user that owns new rows.
    pub system_user: Uuid,
    /// `(ISO code, transactioncurrencyid)`.
    pub currencies: Vec<(String, Uuid)>,
    /// Seeded accounts.
    pub accounts: Vec<Uuid>,
    /// Seeded opportunities (one per account).
    pub opportunities: Vec<Uuid>,
    /// Seeded agreements.
    pub agreements: Vec<Uuid>,
}

impl SeededRows {
    /// The id of a seeded currency.
    pub fn currency(&self, iso: &str) -> Option<Uuid> {
        self.currencies.iter().find(|(code, _)| code == iso).map(|(_, id)| *id)
    }
}

fn object(pairs: &[(&str, Json)]) -> Json {
    let mut object = JsonObject::new();
    for (key, value) in pairs {
        object.insert(*key, value.clone());
    }
    Json::Object(object)
}

fn number(text: &str) -> Json {
    Json::Number(text.to_owned())
}

struct AccountSeed {
    name: &'static str,
    line1: &'static str,
    city: &'static str,
    region: &'static str,
    postcode: &'static str,
    country: &'static str,
    opportunity: &'static str,
    amount: &'static str,
    currency: &'static str,
}

const ACCOUNT_SEEDS: &[AccountSeed] = &[
    AccountSeed {
        name: "Contoso Ltd",
        line1: "1 Microsoft Way",
        city: "Redmond",
        region: "WA",
        postcode: "98052",
        country: "USA",
        opportunity: "Contoso cloud migration",
        amount: "250000.00",
        currency: "USD",
    },
    AccountSeed {
        name: "Fabrikam, Inc.",
        line1: "2600 Peachtree Rd NE",
        city: "Atlanta",
        region: "GA",
        postcode: "30305",
        country: "USA",
        opportunity: "Fabrikam managed services renewal",
        amount: "1250000.50",
        currency: "USD",
    },
    AccountSeed {
        name: "Northwind Traders",
        line1: "12 Hanover Square",
        city: "London",
        region: "Greater London",
        postcode: "W1S 1JJ",
        country: "United Kingdom",
        opportunity: "Northwind logistics platform",
        amount: "480000.00",
        currency: "GBP",
    },
    AccountSeed {
        name: "Alpine Ski House",
        line1: "Maximilianstraße 8",
        city: "München",
        region: "Bayern",
        postcode: "80539",
        country: "Germany",
        opportunity: "Alpine booking system",
        amount: "96500.75",
        currency: "EUR",
    },
    AccountSeed {
        name: "O'Brien & Daughters",
        line1: "44 Harbour Road",
        city: "Boston",
        region: "MA",
        postcode: "02110",
        country: "USA",
        opportunity: "O'Brien analytics rollout",
        amount: "73000.00",
        currency: "USD",
    },
];

/// Seed `seed` into an empty environment. Tables the schema does not have are skipped, so an
/// environment loaded from another `$metadata` document gets what fits.
pub(crate) fn seed_dataverse(
    control: &DataverseControl,
    seed: SeedData,
) -> Result<SeededRows, SandboxError> {
    let mut rows = SeededRows::default();
    if control.has_table(SYSTEM_USERS) {
        rows.system_user = control.insert(
            SYSTEM_USERS,
            &object(&[
                ("fullname", Json::str("Integration User")),
                ("internalemailaddress", Json::str("integration@sandbox.example")),
            ]),
        )?;
        control.set_defaults(Some(rows.system_user), None);
    }
    if control.has_table(CURRENCIES) {
        for (iso, name, symbol, rate) in [
            ("USD", "US Dollar", "$", "1.0"),
            ("EUR", "Euro", "€", "0.92"),
            ("GBP", "Pound Sterling", "£", "0.79"),
        ] {
            let id = control.insert(
                CURRENCIES,
                &object(&[
                    ("isocurrencycode", Json::str(iso)),
                    ("currencyname", Json::str(name)),
                    ("currencysymbol", Json::str(symbol)),
                    ("currencyprecision", number("2")),
                    ("exchangerate", number(rate)),
                ]),
            )?;
            rows.currencies.push((iso.to_owned(), id));
        }
        control.set_defaults(None, rows.currency("USD"));
    }
    super::dataverse::seed_system_views(control)?;
    if seed == SeedData::ReferenceOnly
        || !control.has_table(ACCOUNTS)
        || !control.has_table(OPPORTUNITIES)
        || rows.currencies.is_empty()
    {
        return Ok(rows);
    }
    seed_accounts(control, &mut rows)?;
    if !control.has_table(super::dataverse::AGREEMENTS) {
        return Ok(rows);
    }
    let agreements = [
        NewAgreement {
            name: Some("Contoso MSA 2026".to_owned()),
            start_date: Some(date!(2026 - 12 - 01)),
            value: Some(Decimal::new(25_000_000, 2)),
            currency: Some("USD".to_owned()),
            signer_name: Some("Jordan Lee".to_owned()),
            signer_email: Some("jordan.lee@contoso.example".to_owned()),
            opportunity: Some(rows.opportunities[0]),
            ..NewAgreement::msa()
        },
        NewAgreement {
            name: Some("Northwind MSA".to_owned()),
            start_date: Some(date!(2027 - 01 - 15)),
            value: Some(Decimal::new(48_000_000, 2)),
            currency: Some("GBP".to_owned()),
            signer_name: Some("Amelia Hart".to_owned()),
            signer_email: Some("amelia.hart@northwind.example".to_owned()),
            opportunity: Some(rows.opportunities[2]),
            ..NewAgreement::msa()
        },
        NewAgreement {
            name: Some("Fabrikam mutual NDA".to_owned()),
            agreement_type: Some(2),
            start_date: Some(date!(2026 - 11 - 01)),
            account: Some(rows.accounts[1]),
            ..NewAgreement::default()
        },
        NewAgreement {
            name: Some("Alpine SOW #1".to_owned()),
            agreement_type: Some(3),
            value: Some(Decimal::new(1_250_050, 2)),
            currency: Some("EUR".to_owned()),
            opportunity: Some(rows.opportunities[3]),
            ..NewAgreement::default()
        },
    ];
    for agreement in agreements {
        rows.agreements.push(control.create_agreement(agreement)?);
    }
    Ok(rows)
}

/// Every account of [`ACCOUNT_SEEDS`] with its opportunity, recorded in `rows`.
fn seed_accounts(control: &DataverseControl, rows: &mut SeededRows) -> Result<(), SandboxError> {
    for seed in ACCOUNT_SEEDS {
        let (account, opportunity) = seed_account(control, rows, seed)?;
        rows.accounts.push(account);
        rows.opportunities.push(opportunity);
    }
    Ok(())
}

fn seed_account(
    control: &DataverseControl,
    rows: &SeededRows,
    seed: &AccountSeed,
) -> Result<(Uuid, Uuid), SandboxError> {
    let currency = rows.currency(seed.currency).unwrap_or_default();
    let account = control.insert(
        ACCOUNTS,
        &object(&[
            ("name", Json::str(seed.name)),
            ("address1_line1", Json::str(seed.line1)),
            ("address1_city", Json::str(seed.city)),
            ("address1_stateorprovince", Json::str(seed.region)),
            ("address1_postalcode", Json::str(seed.postcode)),
            ("address1_country", Json::str(seed.country)),
            (
                "transactioncurrencyid@odata.bind",
                Json::String(format!("/transactioncurrencies({currency})")),
            ),
        ]),
    )?;
    let opportunity = control.insert(
        OPPORTUNITIES,
        &object(&[
            ("name", Json::str(seed.opportunity)),
            ("totalamount", number(seed.amount)),
            ("parentaccountid@odata.bind", Json::String(format!("/accounts({account})"))),
            (
                "transactioncurrencyid@odata.bind",
                Json::String(format!("/transactioncurrencies({currency})")),
            ),
        ]),
    )?;
    Ok((account, opportunity))
}

/// Create `count` MSA agreements spread over the seeded opportunities (seeding accounts and
/// opportunities first if there are none), as the benchmark needs.
pub(crate) fn bulk_agreements(
    control: &DataverseControl,
    rows: &mut SeededRows,
    count: usize,
) -> Result<Vec<Uuid>, SandboxError> {
    if rows.opportunities.is_empty() {
        seed_accounts(control, rows)?;
    }
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let seed = &ACCOUNT_SEEDS[n % ACCOUNT_SEEDS.len()];
        let agreement = NewAgreement {
            name: Some(format!("{} MSA #{}", seed.name, n + 1)),
            agreement_type: Some(AGREEMENT_TYPE_MSA),
            start_date: Some(date!(2026 - 12 - 01)),
            value: Some(Decimal::new(10_000_000 + n as i64 * 125, 2)),
            currency: Some(seed.currency.to_owned()),
            signer_name: Some(format!("Signer {}", n + 1)),
            signer_email: Some(format!("signer{}@customer.example", n + 1)),
            opportunity: Some(rows.opportunities[n % rows.opportunities.len()]),
            ..NewAgreement::default()
        };
        ids.push(control.create_agreement(agreement)?);
    }
    Ok(ids)
}
