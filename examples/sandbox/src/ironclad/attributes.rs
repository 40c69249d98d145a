//! Validating workflow attribute values by their schema type (<https://developer.ironcladapp.com/reference>).
//!
//! - `string`: a JSON string of at most 32,000 characters;
//! - `email`: a string that is an email address;
//! - `date`: an ISO-8601 date-time **with an offset** (`2021-05-11T17:16:53-07:00`,
//!   `2024-01-31T00:00:00Z`). A bare `2026-12-01` is refused: no public source shows the
//!   real service takes it, and the flows must send the documented form (unverified);
//! - `monetaryAmount`: exactly `{"currency": "<ISO 4217>", "amount": <JSON number>}`; a quoted or
//!   formatted amount is refused (Ironclad's Power Automate connector documentation: "Monetary … must be sent raw");
//! - `address`: `{lines: [1–4 strings], locality, region, postcode, country}`; a US address needs
//!   all five, any other needs lines, locality and country;
//!
//! Error wording is the sandbox's (unverified): `INVALID_PARAM` with the attribute id as `param`.

use rest_client_core::json_decimal::parse_decimal_text;

use super::errors::IcError;
use super::templates::{AttrDef, FieldKind};
use crate::json::Json;
use crate::timestamps;

const MAX_STRING: usize = 32_000;

/// Check `value` against attribute `def`.
pub(crate) fn validate(def: &AttrDef, value: &Json) -> Result<(), IcError> {
    let id = def.id.as_str();
    let wrong = |expected: &str| {
        IcError::invalid(format!("invalid value for attribute {id}: expected {expected}"), id)
    };
    match def.kind {
        FieldKind::String => match value {
            Json::String(s) if s.chars().count() <= MAX_STRING => Ok(()),
            Json::String(_) => {
                Err(IcError::invalid(format!("attribute {id} exceeds {MAX_STRING} characters"), id))
            }
            _ => Err(wrong("a string")),
        },
        FieldKind::Email => match value.as_str() {
            Some(s) if is_email(s) => Ok(()),
            _ => Err(wrong("an email address")),
        },
        FieldKind::Date => match value.as_str() {
            Some(s) if timestamps::parse_rfc3339(s).is_some() => Ok(()),
            _ => Err(wrong("an ISO 8601 date-time with an offset, such as 2024-01-31T00:00:00Z")),
        },
        FieldKind::Number => match value.as_number_text() {
            Some(text) if parse_decimal_text(text).is_some() => Ok(()),
            _ => Err(wrong("a number")),
        },
        FieldKind::Boolean => match value {
            Json::Bool(_) => Ok(()),
            _ => Err(wrong("true or false")),
        },
        FieldKind::MonetaryAmount => monetary_amount(value)
            .ok_or_else(|| wrong("{\"currency\": \"USD\", \"amount\": <number>}")),
        FieldKind::Address => address(id, value),
        FieldKind::Document | FieldKind::Documents => {
            Err(IcError::invalid(format!("attribute {id} is read-only"), id))
        }
    }
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.contains(char::is_whitespace)
        && !domain.contains('@')
}

fn monetary_amount(value: &Json) -> Option<()> {
    let object = value.as_object()?;
    if object.len() != 2 {
        return None;
    }
    let currency = object.get("currency")?.as_str()?;
    let amount = object.get("amount")?.as_number_text()?;
    (currency.len() == 3
        && currency.chars().all(|c| c.is_ascii_uppercase())
        && parse_decimal_text(amount).is_some())
    .then_some(())
}

fn address(id: &str, value: &Json) -> Result<(), IcError> {
    let invalid =
        |why: &str| IcError::invalid(format!("invalid address for attribute {id}: {why}"), id);
    let object = value.as_object().ok_or_else(|| invalid("expected an object"))?;
    for key in object.keys() {
        if !["lines", "locality", "region", "postcode", "country"].contains(&key) {
            return Err(invalid(&format!("unknown field {key}")));
        }
    }
    let lines = match object.get("lines") {
        None => Vec::new(),
        Some(Json::Array(lines)) => lines
            .iter()
            .map(|l| l.as_str().ok_or_else(|| invalid("lines must be strings")))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(invalid("lines must be an array of strings")),
    };
    if lines.len() > 4 {
        return Err(invalid("at most 4 lines"));
    }
    let field = |name: &str| -> Result<Option<&str>, IcError> {
        match object.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.as_str()).filter(|s| !s.trim().is_empty())),
            Some(_) => Err(invalid(&format!("{name} must be a string"))),
        }
    };
    let (locality, region, postcode, country) =
        (field("locality")?, field("region")?, field("postcode")?, field("country")?);
    let has_lines = lines.iter().any(|l| !l.trim().is_empty());
    let Some(country) = country else { return Err(invalid("country is required")) };
    if !has_lines || locality.is_none() {
        return Err(invalid("lines, locality and country are required"));
    }
    let is_us = matches!(
        country.to_ascii_uppercase().as_str(),
        "US" | "USA" | "UNITED STATES" | "UNITED STATES OF AMERICA"
    );
    if is_us && (region.is_none() || postcode.is_none()) {
        return Err(invalid("a US address needs lines, locality, region, postcode and country"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ironclad::templates::Template;

    fn check(attr: &str, json: &str) -> Result<(), IcError> {
        let template = Template::msa("t");
        let attr = match attr {
            "counterpartySignerEmail" => crate::ironclad::templates::MSA_SIGNER_EMAIL_ID,
            other => other,
        };
        validate(template.attribute(attr).unwrap(), &Json::parse(json).unwrap())
    }

    #[test]
    fn monetary_amounts() {
        assert!(check("totalContractValue", r#"{"currency":"USD","amount":125000.50}"#).is_ok());
        assert!(check("totalContractValue", r#"{"currency":"USD","amount":"125000.50"}"#).is_err());
        assert!(check("totalContractValue", r#"{"currency":"usd","amount":1}"#).is_err());
        assert!(check("totalContractValue", r#"{"currency":"USD","amount":1,"x":1}"#).is_err());
        assert!(check("totalContractValue", "125000").is_err());
    }

    #[test]
    fn dates_emails_strings() {
        assert!(check("agreementDate", r#""2026-12-01T00:00:00Z""#).is_ok());
        assert!(check("agreementDate", r#""2021-05-11T17:16:53-07:00""#).is_ok());
        assert!(check("agreementDate", r#""2026-12-01""#).is_err());
        assert!(check("counterpartySignerEmail", r#""jane@acme.example""#).is_ok());
        assert!(check("counterpartySignerEmail", r#""jane at acme""#).is_err());
        assert!(check("counterpartyName", "12").is_err());
        let err = check("counterpartyName", &format!("\"{}\"", "x".repeat(32_001))).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("counterpartyName"));
    }

    #[test]
    fn addresses() {
        let us = r#"{"lines":["325 5th Street","Suite 200"],"locality":"San Francisco","region":"California","postcode":"94107","country":"USA"}"#;
        assert!(check("counterpartyAddress", us).is_ok());
        assert!(
            check(
                "counterpartyAddress",
                r#"{"lines":["1 Main St"],"locality":"Springfield","country":"US"}"#
            )
            .is_err()
        );
        assert!(
            check(
                "counterpartyAddress",
                r#"{"lines":["10 Downing St"],"locality":"London","country":"United Kingdom"}"#
            )
            .is_ok()
        );
        assert!(
            check(
                "counterpartyAddress",
                r#"{"lines":["a","b","c","d","e"],"locality":"x","country":"FR"}"#
            )
            .is_err()
        );
        assert!(check("counterpartyAddress", r#""325 5th Street, San Francisco""#).is_err());
    }
}
