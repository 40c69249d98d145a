//! Actions and functions, custom APIs included: unbound, bound to a row or bound to a table,
//! with typed parameters and typed responses.

mod action;
mod binding;
mod function;
mod parameter;

use serde::Serialize;
use serde_json::{Map, Value};

pub use action::{Action, CallAction, CallActionReturning};
pub(crate) use binding::NAMESPACE;
pub use function::{CallFunction, Function};
pub use parameter::ParameterValue;

use crate::error::{Error, Result};
use crate::odata::validate_identifier;

/// `row` as a JSON object carrying `"@odata.type": "Microsoft.Dynamics.CRM.<table_logical_name>"`,
/// the annotation Dataverse needs on an entity passed where the type is not implied (action
/// parameters, the `Targets` of bulk messages).
pub(crate) fn typed_entity<T: Serialize + ?Sized>(
    table_logical_name: &str,
    row: &T,
) -> Result<Map<String, Value>> {
    validate_identifier("table logical name", table_logical_name)?;
    match serde_json::to_value(row) {
        Ok(Value::Object(mut map)) => {
            map.insert(
                "@odata.type".to_owned(),
                Value::String(format!("{NAMESPACE}{table_logical_name}")),
            );
            Ok(map)
        }
        Ok(_) => Err(Error::InvalidRequest("a row must serialize to a JSON object".to_owned())),
        Err(e) => Err(Error::InvalidRequest(format!("a row cannot be serialized: {e}"))),
    }
}
