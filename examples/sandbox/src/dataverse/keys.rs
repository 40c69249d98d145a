//! Key segments: `accounts(<guid>)`, `accounts(accountid=<guid>)` and alternate keys such as
//! `accounts(accountnumber='A-1')` or `contacts(firstname='Joe',emailaddress1='j@x.example')`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/use-alternate-key-reference-record>).
//!
//! Dataverse cannot address a row whose alternate-key value contains `/ # < > * % & : \ ? +`:
//! "If the data within a column that is used in an alternate key contains one of the following
//! characters … then GET or PATCH actions won't work"
//! (<https://learn.microsoft.com/power-apps/maker/data-platform/define-alternate-keys-portal>).
//! The real service fails in several ways (a query-syntax error for `/` and `#`, a key that is
//! not found for an encoded `%23`, a refused request path for the others); the sandbox answers
//! every one of them with the query-syntax error, 400 `0x80060888`, so an integration that sends
//! such a key fails here as it would there.

use uuid::Uuid;

use super::cell::Cell;
use super::errors::DvError;
use super::schema::{ColumnKind, EntitySetDef};

/// The characters an alternate-key value may not contain.
pub(crate) const RESERVED_KEY_CHARACTERS: &[char] =
    &['/', '#', '<', '>', '*', '%', '&', ':', '\\', '?', '+'];

/// How a URL names one row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RowKey {
    /// By primary key.
    Id(Uuid),
    /// By the columns of an alternate key, in the key's declared order.
    Alternate(Vec<(String, Cell)>),
}

/// Split `name(key)` into the name and the raw key text; quotes may hold parentheses.
pub(crate) fn split_segment(segment: &str) -> Result<(&str, Option<&str>), DvError> {
    let Some(open) = segment.find('(') else { return Ok((segment, None)) };
    if !segment.ends_with(')') {
        return Err(DvError::query_syntax());
    }
    Ok((&segment[..open], Some(&segment[open + 1..segment.len() - 1])))
}

/// Parse the key text of a segment on table `def`.
pub(crate) fn parse(def: &EntitySetDef, raw: &str) -> Result<RowKey, DvError> {
    let raw = raw.trim();
    if let Some(id) = parse_guid(raw) {
        return Ok(RowKey::Id(id));
    }
    let pairs = split_pairs(raw)?;
    if pairs.is_empty() {
        return Err(DvError::query_syntax());
    }
    if let [(name, value)] = pairs.as_slice()
        && *name == def.primary_key
    {
        return parse_guid(value).map(RowKey::Id).ok_or_else(|| {
            DvError::query(format!("Unrecognized 'Edm.Guid' literal '{value}' in the key segment."))
        });
    }
    let key = def
        .alternate_keys
        .iter()
        .find(|key| {
            key.columns.len() == pairs.len()
                && pairs.iter().all(|(name, _)| key.columns.iter().any(|c| c == name))
        })
        .ok_or_else(DvError::query_syntax)?;
    let mut values = Vec::with_capacity(pairs.len());
    for column in &key.columns {
        let (_, literal) =
            pairs.iter().find(|(name, _)| name == column).ok_or_else(DvError::query_syntax)?;
        let kind = def.column_def(column).map(|c| &c.kind).ok_or_else(DvError::query_syntax)?;
        values.push((column.clone(), parse_value(kind, literal)?));
    }
    Ok(RowKey::Alternate(values))
}

fn parse_guid(text: &str) -> Option<Uuid> {
    let inner = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(text);
    if inner.len() != 36 {
        return None;
    }
    Uuid::parse_str(inner).ok()
}

/// `a='x',b=1` → `[("a", "'x'"), ("b", "1")]`, commas inside quotes kept.
fn split_pairs(raw: &str) -> Result<Vec<(&str, &str)>, DvError> {
    let mut pairs = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let bytes = raw.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        match byte {
            b'\'' => quoted = !quoted,
            b',' if !quoted => {
                pairs.push(pair(&raw[start..index])?);
                start = index + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return Err(DvError::query_syntax());
    }
    pairs.push(pair(&raw[start..])?);
    Ok(pairs)
}

fn pair(text: &str) -> Result<(&str, &str), DvError> {
    let (name, value) = text.split_once('=').ok_or_else(DvError::query_syntax)?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() || value.is_empty() {
        return Err(DvError::query_syntax());
    }
    Ok((name, value))
}

/// One key value: a quoted string (`''` for a quote), a GUID, a number or a boolean.
fn parse_value(kind: &ColumnKind, literal: &str) -> Result<Cell, DvError> {
    if let Some(inner) = literal.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')) {
        let text = inner.replace("''", "'");
        if text.contains(RESERVED_KEY_CHARACTERS) {
            return Err(DvError::query_syntax());
        }
        return match kind {
            ColumnKind::Text { .. }
            | ColumnKind::Memo { .. }
            | ColumnKind::Autonumber { .. }
            | ColumnKind::EntityName => Ok(Cell::Text(text)),
            other => Err(key_type_error(literal, other)),
        };
    }
    let cell = match kind {
        ColumnKind::PrimaryKey | ColumnKind::Lookup | ColumnKind::Guid => {
            parse_guid(literal).map(Cell::Guid)
        }
        ColumnKind::WholeNumber
        | ColumnKind::Choice { .. }
        | ColumnKind::BigInt
        | ColumnKind::SmallInt => literal.parse::<i64>().ok().map(Cell::Int),
        ColumnKind::Decimal | ColumnKind::Money => {
            rest_client_core::json_decimal::parse_decimal_text(literal).map(Cell::Decimal)
        }
        ColumnKind::Boolean => match literal {
            "true" => Some(Cell::Bool(true)),
            "false" => Some(Cell::Bool(false)),
            _ => None,
        },
        ColumnKind::DateOnly => crate::timestamps::parse_date(literal).map(Cell::Date),
        ColumnKind::DateTime => crate::timestamps::parse_rfc3339(literal).map(Cell::DateTime),
        _ => None,
    };
    cell.ok_or_else(|| key_type_error(literal, kind))
}

fn key_type_error(literal: &str, kind: &ColumnKind) -> DvError {
    DvError::query(format!(
        "The key value '{literal}' is not a valid '{}' literal.",
        kind.edm_type()
    ))
}

/// The key segment that names a row: `(<guid>)` or `(col='v',…)`.
pub(crate) fn render(key: &RowKey) -> String {
    match key {
        RowKey::Id(id) => id.to_string(),
        RowKey::Alternate(values) => values
            .iter()
            .map(|(column, cell)| match cell {
                Cell::Text(text) => format!("{column}='{}'", text.replace('\'', "''")),
                other => format!("{column}={}", other.encode().to_string().trim_matches('"')),
            })
            .collect::<Vec<_>>()
            .join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataverse::DataverseSchema;

    fn accounts() -> EntitySetDef {
        DataverseSchema::default().set("accounts").unwrap().clone()
    }

    #[test]
    fn guids_and_named_primary_keys() {
        let def = accounts();
        let id = Uuid::new_v4();
        assert_eq!(parse(&def, &id.to_string()).unwrap(), RowKey::Id(id));
        assert_eq!(parse(&def, &format!("{{{id}}}")).unwrap(), RowKey::Id(id));
        assert_eq!(parse(&def, &format!("accountid={id}")).unwrap(), RowKey::Id(id));
        assert!(parse(&def, "accountid=nope").is_err());
    }

    #[test]
    fn alternate_keys_are_typed_and_ordered() {
        let def = accounts();
        assert_eq!(
            parse(&def, "accountnumber='O''Hara 1'").unwrap(),
            RowKey::Alternate(vec![("accountnumber".into(), Cell::Text("O'Hara 1".into()))])
        );
        let unknown = parse(&def, "name='x'").unwrap_err();
        assert_eq!((unknown.status.as_u16(), unknown.code.as_str()), (400, "0x80060888"));
        assert!(parse(&def, "accountnumber=5").is_err(), "a number for a text key");
        assert!(parse(&def, "accountnumber='open").is_err());
    }

    #[test]
    fn reserved_characters_are_refused_as_the_service_does() {
        let def = accounts();
        for bad in ["A/B", "A#1", "50%", "a&b", "x:y", "a\\b", "why?", "1+1", "<b>", "a*"] {
            let error = parse(&def, &format!("accountnumber='{bad}'")).unwrap_err();
            assert_eq!(
                (error.status.as_u16(), error.code.as_str(), error.message.as_str()),
                (400, "0x80060888", "Bad Request - Error in query syntax."),
                "{bad}"
            );
        }
        assert!(parse(&def, "accountnumber='A-1 (EU), ok'").is_ok());
    }

    #[test]
    fn rendering_round_trips() {
        let key = RowKey::Alternate(vec![("accountnumber".into(), Cell::Text("O'H".into()))]);
        assert_eq!(render(&key), "accountnumber='O''H'");
    }
}
