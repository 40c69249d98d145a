//! Spec 004's attribute mapping: an MSA agreement → the launch attributes of its workflow.

use ironclad_client::{Address, LaunchAttributes, MonetaryAmount};

use crate::agreement::MsaAgreement;
use crate::{FlowError, attributes};

/// The attributes of the MSA workflow for `agreement` (spec 004, "Launch Ironclad Workflow"):
///
/// | attribute | from |
/// |---|---|
/// | `dynamicsMsaId` | the Agreement's id |
/// | `dynamicsMsaNumber` | its Agreement Number |
/// | `agreementDate` | its Agreement Start Date, as `YYYY-MM-DDT00:00:00Z` |
/// | `counterpartySignerName`, `counterpartySignerEmail` | its Counterparty Signer Name / Email |
/// | `totalContractValue` | `{currency: <ISO code of its currency>, amount: <its Agreement Value, exact>}` |
/// | `counterpartyName` | the name of its opportunity's account |
/// | `counterpartyAddress` | `{lines: [address1_line1], locality, region, postcode, country}` of that account |
///
/// Empty columns are left out rather than sent as `null` (Ironclad validates what it is sent).
///
/// ```
/// use flows::launch::mapping::launch_attributes;
/// use flows::MsaAgreement;
///
/// # fn demo(agreement: &MsaAgreement) -> Result<(), flows::FlowError> {
/// let attributes = launch_attributes(agreement)?.build();
/// assert_eq!(attributes.string("dynamicsMsaId"), Some(agreement.id.to_string()));
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`FlowError::Data`] when the agreement has a value but no currency (Ironclad's monetary
/// amounts need one).
pub fn launch_attributes(agreement: &MsaAgreement) -> Result<LaunchAttributes, FlowError> {
    let value = match (agreement.value, &agreement.currency_code) {
        (Some(amount), Some(currency)) => Some(MonetaryAmount::new(amount, currency)),
        (Some(_), None) => {
            return Err(FlowError::Data(format!(
                "agreement {} has a value but no currency",
                agreement.id
            )));
        }
        (None, _) => None,
    };
    let mut launch = LaunchAttributes::new()
        .string(attributes::DYNAMICS_MSA_ID, agreement.id.to_string())
        .string_opt(attributes::DYNAMICS_MSA_NUMBER, agreement.number.clone())
        .date_opt(attributes::AGREEMENT_DATE, agreement.start_date)
        .string_opt(attributes::COUNTERPARTY_SIGNER_NAME, agreement.signer_name.clone())
        .monetary_amount_opt(attributes::TOTAL_CONTRACT_VALUE, value);
    if let Some(email) = &agreement.signer_email {
        launch = launch.email(attributes::COUNTERPARTY_SIGNER_EMAIL, email);
    }
    if let Some(counterparty) = &agreement.counterparty {
        launch = launch.string_opt(attributes::COUNTERPARTY_NAME, counterparty.name.clone());
        let mut address = Address::new();
        if let Some(line) = &counterparty.line1 {
            address = address.line(line);
        }
        for (part, set) in [
            (&counterparty.city, Address::locality as fn(Address, String) -> Address),
            (&counterparty.region, Address::region),
            (&counterparty.postcode, Address::postcode),
            (&counterparty.country, Address::country),
        ] {
            if let Some(part) = part {
                address = set(address, part.clone());
            }
        }
        if !address.is_empty() {
            launch = launch.address(attributes::COUNTERPARTY_ADDRESS, address);
        }
    }
    Ok(launch)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use uuid::Uuid;

    use super::*;
    use crate::agreement::Counterparty;

    fn agreement() -> MsaAgreement {
        MsaAgreement {
            id: Uuid::parse_str("0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d").unwrap(),
            name: Some("Contoso MSA 2026".into()),
            number: Some("AGR-01001".into()),
            start_date: Some(time::macros::date!(2026 - 12 - 01)),
            value: Some("1234567890123456.780".parse().unwrap()),
            currency_code: Some("USD".into()),
            signer_name: Some("Jordan Lee".into()),
            signer_email: Some("jordan.lee@contoso.example".into()),
            counterparty: Some(Counterparty {
                name: Some("Contoso Ltd".into()),
                line1: Some("1 Microsoft Way".into()),
                city: Some("Redmond".into()),
                region: Some("WA".into()),
                postcode: Some("98052".into()),
                country: Some("USA".into()),
            }),
            modified_on: None,
        }
    }

    fn json_of(attributes: LaunchAttributes) -> Value {
        serde_json::from_str(&serde_json::to_string(&attributes.build()).unwrap()).unwrap()
    }

    #[test]
    fn every_spec_attribute_is_mapped_with_the_exact_amount() {
        let attributes = launch_attributes(&agreement()).unwrap();
        let text = serde_json::to_string(&attributes.clone().build()).unwrap();
        // f64 would print 1234567890123456.8: the amount keeps every digit.
        let money = r#""totalContractValue":{"currency":"USD","amount":1234567890123456.78}"#;
        assert!(text.contains(money), "{text}");
        let mut rest = json_of(attributes);
        rest.as_object_mut().unwrap().remove("totalContractValue");
        assert_eq!(
            rest,
            json!({
                "dynamicsMsaId": "0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d",
                "dynamicsMsaNumber": "AGR-01001",
                "agreementDate": "2026-12-01T00:00:00Z",
                "counterpartySignerName": "Jordan Lee",
                "counterpartySignerEmail": "jordan.lee@contoso.example",
                "counterpartyName": "Contoso Ltd",
                "counterpartyAddress": {
                    "lines": ["1 Microsoft Way"],
                    "locality": "Redmond",
                    "region": "WA",
                    "postcode": "98052",
                    "country": "USA"
                }
            })
        );
    }

    #[test]
    fn empty_columns_are_left_out() {
        let bare = MsaAgreement {
            number: None,
            start_date: None,
            value: None,
            signer_name: None,
            signer_email: None,
            counterparty: Some(Counterparty {
                name: Some("Acme".into()),
                ..Counterparty::default()
            }),
            ..agreement()
        };
        assert_eq!(
            json_of(launch_attributes(&bare).unwrap()),
            json!({"dynamicsMsaId": "0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d", "counterpartyName": "Acme"})
        );
    }

    #[test]
    fn a_value_without_a_currency_is_an_error() {
        let error =
            launch_attributes(&MsaAgreement { currency_code: None, ..agreement() }).unwrap_err();
        assert!(!error.is_retryable());
        assert!(error.to_string().contains("no currency"));
    }
}
