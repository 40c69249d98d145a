//! Flow 2: `workflow_attribute_updated` → the Agreement Value.
//!
//! Every such event of the MSA template re-reads the workflow: which member of the delivery
//! lists the changed attributes, and whether it names them by attribute id, display name or
//! record property key, is not documented, so a list that does not name `totalContractValue`
//! is no reason to skip (a wrong guess would lose the change silently). Reading the workflow
//! costs one `GET`; an Agreement that already holds the value is not written.

use std::collections::BTreeMap;

use dataverse_client::query::{Expand, Filter, Query};
use ironclad_client::webhooks::WebhookDelivery;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::EventOutcome;
use super::workflow::msa_workflow;
use crate::agreement::{CURRENCIES, RelatedCache, Row, currency_code};
use crate::attributes::MsaField;
use crate::{FlowContext, FlowError};

/// Re-read the workflow and make the Agreement Value equal its current `totalContractValue`
/// (exact decimal; the currency too when it differs). Reading the current value, not the one
/// the event reported, makes late and out-of-order deliveries converge on the latest value.
pub(crate) async fn sync_value(
    context: &FlowContext,
    delivery: &WebhookDelivery,
) -> Result<EventOutcome, FlowError> {
    let (workflow, agreement) = match msa_workflow(context, delivery).await? {
        Ok(found) => found,
        Err(ignored) => return Ok(ignored),
    };
    let wanted =
        workflow.attributes.monetary_amount(context.custom_attribute(MsaField::TotalContractValue));
    let table = &context.table;
    let current: Row = context
        .dataverse
        .retrieve(&table.entity_set, agreement)
        .select([table.value.as_str(), &table.currency_lookup])
        .expand(Expand::new(&table.currency_navigation).select(["isocurrencycode"]))
        .await?;
    let current_amount = current.decimal(&table.value)?;
    let current_currency =
        currency_code(&current, table, &context.dataverse, &mut RelatedCache::default()).await?;
    let (amount, currency) = match &wanted {
        Some(money) => (Some(money.amount), Some(money.currency.clone())),
        None => (None, None),
    };
    let same_currency = match (&currency, &current_currency) {
        (Some(wanted), Some(current)) => wanted.eq_ignore_ascii_case(current),
        // An Agreement without a currency: unless it is bound, Dataverse gives the amount the
        // organization's base currency rather than the workflow's.
        (Some(_), None) => false,
        (None, _) => true,
    };
    if amount == current_amount && same_currency {
        return Ok(EventOutcome::ValueSynced { agreement, amount, currency, changed: false });
    }

    let mut body: BTreeMap<String, Box<RawValue>> = BTreeMap::new();
    body.insert(table.value.clone(), exact_number(amount)?);
    if let (Some(code), false) = (&currency, same_currency) {
        let currency_id = currency_id(context, code).await?;
        body.insert(
            format!("{}@odata.bind", table.currency_navigation),
            json_raw(&format!("/{CURRENCIES}({currency_id})"))?,
        );
    }
    context.dataverse.update(&table.entity_set, agreement, &body).await?;
    tracing::info!(%agreement, amount = ?amount, currency = ?currency, "agreement value synced");
    Ok(EventOutcome::ValueSynced { agreement, amount, currency, changed: true })
}

/// The amount as a JSON number with exactly its digits (never through `f64`), or `null`.
fn exact_number(amount: Option<Decimal>) -> Result<Box<RawValue>, FlowError> {
    let text = amount.map_or_else(|| "null".to_owned(), |a| a.normalize().to_string());
    RawValue::from_string(text).map_err(|e| FlowError::Data(format!("amount: {e}")))
}

fn json_raw(text: &str) -> Result<Box<RawValue>, FlowError> {
    serde_json::value::to_raw_value(text).map_err(|e| FlowError::Data(e.to_string()))
}

async fn currency_id(context: &FlowContext, iso_code: &str) -> Result<Uuid, FlowError> {
    let query = Query::new(CURRENCIES)
        .select(["transactioncurrencyid"])
        .filter(Filter::eq("isocurrencycode", iso_code))
        .top(1);
    let rows: Vec<Row> = context.dataverse.query::<Row>(query).collect_all().await?;
    rows.first().map(|row| row.guid("transactioncurrencyid")).transpose()?.flatten().ok_or_else(
        || FlowError::Data(format!("Dataverse has no currency with ISO code {iso_code:?}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_every_digit() {
        let amount: Decimal = "12345678901234567.8901".parse().unwrap();
        assert_eq!(exact_number(Some(amount)).unwrap().get(), "12345678901234567.8901");
        assert_eq!(exact_number(Some(Decimal::new(2_500_000, 2))).unwrap().get(), "25000");
        assert_eq!(exact_number(None).unwrap().get(), "null");
    }
}
