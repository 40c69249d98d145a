//! The answer of an operation that returns a primitive value or a collection.

use serde::Deserialize;

/// The response of an action or function whose return type is a primitive, an enumeration or a
/// collection: the value is wrapped as `{"@odata.context": "…", "value": …}`
/// ([OData JSON format, individual property](https://docs.oasis-open.org/odata/odata-json-format/v4.01/odata-json-format-v4.01.html#sec_IndividualPropertyorOperationResponse)).
/// Operations returning a complex type or one row answer with the object itself.
///
/// ```
/// use dataverse_client::typed::ValueResponse;
///
/// let body = r#"{"@odata.context":"https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#Edm.Boolean","value":true}"#;
/// let answer: ValueResponse<bool> = serde_json::from_str(body).unwrap();
/// assert!(answer.value);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ValueResponse<T> {
    /// `value`.
    pub value: T,
}
