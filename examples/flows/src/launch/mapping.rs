//! Spec 004's attribute mapping: an MSA agreement → the launch attributes of its workflow.

use ironclad_client::values::{Address, LaunchAttributes, MonetaryAmount};

use crate::FlowError;
use crate::agreement::MsaAgreement;
use crate::attributes::{MsaAttributes, MsaField};

/// The attributes of the MSA workflow for `agreement` (spec 004, "Launch Ironclad Workflow"),
/// under the template's attribute ids (`ids`, see [`MsaAttributes`]):
///
/// | field | from |
/// |---|---|
/// | Dynamics MSA ID | the Agreement's id |
/// | Dynamics MSA Number | its Agreement Number |
/// | Agreement Date | its Agreement Start Date, as `YYYY-MM-DDT00:00:00Z` |
/// | Counterparty Signer Name / Email | its Counterparty Signer Name / Email |
/// | Total Contract Value | `{currency: <ISO code of its currency>, amount: <its Agreement Value, exact>}` |
/// | Counterparty Name | the name of its opportunity's account |
/// | Counterparty Address | `{lines: [address1_line1, _line2, _line3 that are not empty], locality, region, postcode, country}` of that account |
///
/// Empty columns are left out rather than sent as `null` (Ironclad validates what it is sent).
///
/// ```
/// use flows::attributes::{MsaAttributes, MsaField};
/// use flows::launch::mapping::launch_attributes;
/// use flows::MsaAgreement;
///
/// # fn demo(agreement: &MsaAgreement, ids: &MsaAttributes) -> Result<(), flows::FlowError> {
/// let attributes = launch_attributes(agreement, ids)?.build();
/// assert_eq!(attributes.string(ids.id(MsaField::DynamicsMsaId)), Some(agreement.id.to_string()));
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`FlowError::Data`] when the agreement has a value but no currency (Ironclad's monetary
/// amounts need one).
pub fn launch_attributes(
    agreement: &MsaAgreement,
    ids: &MsaAttributes,
) -> Result<LaunchAttributes, FlowError> {
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
    let id = |field| ids.id(field);
    let mut launch = LaunchAttributes::new()
        .string(id(MsaField::DynamicsMsaId), agreement.id.to_string())
        .string_opt(id(MsaField::DynamicsMsaNumber), agreement.number.clone())
        .date_opt(id(MsaField::AgreementDate), agreement.start_date)
        .string_opt(id(MsaField::SignerName), agreement.signer_name.clone())
        .monetary_amount_opt(id(MsaField::TotalContractValue), value);
    if let Some(email) = &agreement.signer_email {
        launch = launch.email(id(MsaField::SignerEmail), email);
    }
    if let Some(counterparty) = &agreement.counterparty {
        launch = launch.string_opt(id(MsaField::CounterpartyName), counterparty.name.clone());
        let mut address = Address::new();
        for line in
            [&counterparty.line1, &counterparty.line2, &counterparty.line3].into_iter().flatten()
        {
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
            launch = launch.address(id(MsaField::CounterpartyAddress), address);
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
    use crate::attributes::AttributeOverrides;

    const SIGNER_NAME: &str = "role05a1b2c3d4e5f60718293a4b5c6d7e8f";
    const SIGNER_EMAIL: &str = "role8f7e6d5c4b3a29180f6e5d4c3b2a1908";

    /// The ids of a template whose signer fields are role-scoped, as real templates are.
    fn ids() -> MsaAttributes {
        let template: ironclad_client::workflows::WorkflowSchema = serde_json::from_value(json!({
            "id": "6063ac9e01a5542dafa3722b",
            "schema": {
                "dynamicsMsaId": {"type": "string"},
                "dynamicsMsaNumber": {"type": "string"},
                "totalContractValue": {"type": "monetaryAmount"},
                "agreementDate": {"type": "date", "displayName": "Agreement Date"},
                "counterpartyName": {"type": "string", "displayName": "Counterparty Name"},
                "counterpartyAddress": {"type": "address", "displayName": "Counterparty Address"},
                SIGNER_NAME: {"type": "string", "displayName": "Counterparty Signer Name"},
                SIGNER_EMAIL: {"type": "email", "displayName": "Counterparty Signer Email"}
            }
        }))
        .unwrap();
        MsaAttributes::resolve(&template, &AttributeOverrides::default()).unwrap()
    }

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
                line2: Some("Building 92".into()),
                line3: Some("Attn: Legal".into()),
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
    fn every_spec_attribute_is_mapped_under_the_templates_ids_with_the_exact_amount() {
        let attributes = launch_attributes(&agreement(), &ids()).unwrap();
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
                SIGNER_NAME: "Jordan Lee",
                SIGNER_EMAIL: "jordan.lee@contoso.example",
                "counterpartyName": "Contoso Ltd",
                "counterpartyAddress": {
                    "lines": ["1 Microsoft Way", "Building 92", "Attn: Legal"],
                    "locality": "Redmond",
                    "region": "WA",
                    "postcode": "98052",
                    "country": "USA"
                }
            })
        );
    }

    #[test]
    fn empty_address_lines_are_left_out() {
        let mut sparse = agreement();
        let counterparty = sparse.counterparty.as_mut().unwrap();
        counterparty.line1 = None;
        counterparty.line3 = None;
        let attributes = json_of(launch_attributes(&sparse, &ids()).unwrap());
        assert_eq!(attributes["counterpartyAddress"]["lines"], json!(["Building 92"]));
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
            json_of(launch_attributes(&bare, &ids()).unwrap()),
            json!({"dynamicsMsaId": "0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d", "counterpartyName": "Acme"})
        );
    }

    #[test]
    fn a_value_without_a_currency_is_an_error() {
        let error = launch_attributes(&MsaAgreement { currency_code: None, ..agreement() }, &ids())
            .unwrap_err();
        assert!(!error.is_retryable());
        assert!(error.to_string().contains("no currency"));
    }
}
