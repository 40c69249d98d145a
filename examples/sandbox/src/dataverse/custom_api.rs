//! Custom APIs: actions (`POST`, parameters in a JSON body) and functions (`GET`, parameters in
//! the URL, inline or as `@alias` query parameters), unbound or bound to a row or a table
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/custom-api>,
//! <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions>).
//!
//! Parameters are checked as the service checks them: an undeclared parameter, a value of the
//! wrong type and a missing required parameter are refused with a `400`; an entity parameter
//! needs its `@odata.type`. A bound operation's name is qualified
//! (`accounts(<id>)/Microsoft.Dynamics.CRM.<name>`), an unbound one's is not.
//!
//! The sandbox has one custom API of its own, `cre6f_SummarizeAgreements` (an unbound action
//! taking `AgreementType` and an optional `MinimumValue`, answering `Count` and `TotalValue`),
//! and tests register theirs with [`DataverseControl::register_custom_api`](super::DataverseControl::register_custom_api)
//! (a Rust handler) or, from any language, by declaring one over HTTP (see `declared`): its
//! parameters, and an answer that may repeat parameters and the bound row's id.

use std::fmt;
use std::sync::Arc;

use http::{Method, StatusCode};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::DataverseState;
use super::cell::Cell;
use super::errors::DvError;
use super::handlers::existing;
use super::keys::RowKey;
use super::notes::bad;
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::EntitySetDef;
use super::store::Store;
use super::tables::AGREEMENTS;
use crate::json::{Json, JsonObject};

const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// The type of a custom API parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParameterType {
    /// `Edm.String`.
    String,
    /// `Edm.Int32`.
    Integer,
    /// `Edm.Decimal` (also money).
    Decimal,
    /// `Edm.Boolean`.
    Boolean,
    /// `Edm.Guid`.
    Guid,
    /// `Edm.DateTimeOffset`.
    DateTime,
    /// An entity of table `logical_name` (with `@odata.type`).
    Entity(String),
    /// Any JSON (complex types, collections).
    Any,
}

impl ParameterType {
    fn edm(&self) -> String {
        match self {
            ParameterType::String => "Edm.String".to_owned(),
            ParameterType::Integer => "Edm.Int32".to_owned(),
            ParameterType::Decimal => "Edm.Decimal".to_owned(),
            ParameterType::Boolean => "Edm.Boolean".to_owned(),
            ParameterType::Guid => "Edm.Guid".to_owned(),
            ParameterType::DateTime => "Edm.DateTimeOffset".to_owned(),
            ParameterType::Entity(logical) => format!("{NAMESPACE}{logical}"),
            ParameterType::Any => "Edm.Untyped".to_owned(),
        }
    }

    /// Whether `value` (from a JSON body) is of this type.
    fn accepts(&self, value: &Json) -> bool {
        match (self, value) {
            (_, Json::Null) | (ParameterType::Any, _) => true,
            (ParameterType::String, Json::String(_)) => true,
            (ParameterType::Integer, v) => {
                v.as_number_text().is_some_and(|t| t.parse::<i32>().is_ok())
            }
            (ParameterType::Decimal, v) => {
                v.as_number_text().is_some_and(|t| t.parse::<Decimal>().is_ok())
            }
            (ParameterType::Boolean, Json::Bool(_)) => true,
            (ParameterType::Guid, Json::String(s)) => Uuid::parse_str(s).is_ok(),
            (ParameterType::DateTime, Json::String(s)) => {
                crate::timestamps::parse_rfc3339(s).is_some()
            }
            (ParameterType::Entity(_), Json::Object(_)) => true,
            _ => false,
        }
    }
}

/// One declared parameter.
#[derive(Debug, Clone)]
struct Parameter {
    name: String,
    kind: ParameterType,
    optional: bool,
}

/// What a custom API is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Binding {
    Unbound,
    Row(String),
    Table(String),
}

/// A call of a custom API, as its handler sees it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CustomApiCall {
    /// The parameters, checked against their declared types.
    pub parameters: JsonObject,
    /// The row a row-bound API was called on.
    pub bound_row: Option<Uuid>,
}

/// What a custom API handler refuses a call with: the error Dataverse answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CustomApiError {
    /// The HTTP status (`400` for an `InvalidPluginExecutionException`).
    pub status: u16,
    /// The error code (`0x80040265` for a plug-in's error).
    pub code: String,
    /// The message.
    pub message: String,
}

impl CustomApiError {
    /// What a plug-in's `InvalidPluginExecutionException` gives: `400`, `0x80040265`.
    pub fn plugin(message: impl Into<String>) -> Self {
        Self { status: 400, code: "0x80040265".to_owned(), message: message.into() }
    }
}

type UserHandler = dyn Fn(&CustomApiCall) -> Result<Json, CustomApiError> + Send + Sync;

#[derive(Clone)]
enum Handler {
    /// A custom API of the sandbox, which reads the rows.
    Builtin(fn(&Store, &CustomApiCall) -> Result<Json, DvError>),
    User(Arc<UserHandler>),
}

impl ParameterType {
    /// The type an EDM type name stands for (`Edm.String`, …, `Microsoft.Dynamics.CRM.account`).
    pub(crate) fn from_edm(name: &str) -> Option<Self> {
        Some(match name {
            "Edm.String" => ParameterType::String,
            "Edm.Int32" => ParameterType::Integer,
            "Edm.Decimal" => ParameterType::Decimal,
            "Edm.Boolean" => ParameterType::Boolean,
            "Edm.Guid" => ParameterType::Guid,
            "Edm.DateTimeOffset" => ParameterType::DateTime,
            "Edm.Untyped" => ParameterType::Any,
            other => ParameterType::Entity(other.strip_prefix(NAMESPACE)?.to_owned()),
        })
    }
}

/// A custom API to register with
/// [`DataverseControl::register_custom_api`](super::DataverseControl::register_custom_api).
///
/// ```
/// use dataverse_ironclad_sandbox::dataverse::{CustomApi, CustomApiError, ParameterType};
/// use dataverse_ironclad_sandbox::{Json, JsonObject};
///
/// let api = CustomApi::action("sample_ScoreAccount", |call| {
///     let name = call.parameters.get("AccountName").and_then(Json::as_str).unwrap_or_default();
///     if name.is_empty() {
///         return Err(CustomApiError::plugin("AccountName is empty"));
///     }
///     Ok(Json::Object(JsonObject::new().with("Score", name.len() as u64)))
/// })
/// .parameter("AccountName", ParameterType::String, false)
/// .parameter("Weight", ParameterType::Integer, true);
/// # let _ = api;
/// ```
#[derive(Clone)]
pub struct CustomApi {
    name: String,
    function: bool,
    binding: Binding,
    parameters: Vec<Parameter>,
    handler: Handler,
}

impl fmt::Debug for CustomApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomApi")
            .field("name", &self.name)
            .field("function", &self.function)
            .field("binding", &self.binding)
            .field("parameters", &self.parameters)
            .finish_non_exhaustive()
    }
}

impl CustomApi {
    /// An unbound action (`POST <name>`) answered by `handler`: a JSON object becomes the
    /// `…Response` body, `Json::Null` a `204 No Content`.
    pub fn action(
        unique_name: &str,
        handler: impl Fn(&CustomApiCall) -> Result<Json, CustomApiError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: unique_name.to_owned(),
            function: false,
            binding: Binding::Unbound,
            parameters: Vec::new(),
            handler: Handler::User(Arc::new(handler)),
        }
    }

    /// An unbound function (`GET <name>(…)`) answered by `handler`.
    pub fn function(
        unique_name: &str,
        handler: impl Fn(&CustomApiCall) -> Result<Json, CustomApiError> + Send + Sync + 'static,
    ) -> Self {
        Self { function: true, ..Self::action(unique_name, handler) }
    }

    /// Bind it to the rows of `entity_set` (`<set>(<key>)/Microsoft.Dynamics.CRM.<name>`).
    pub fn bound_to_row(mut self, entity_set: &str) -> Self {
        self.binding = Binding::Row(entity_set.to_owned());
        self
    }

    /// Bind it to the table `entity_set` (`<set>/Microsoft.Dynamics.CRM.<name>`).
    pub fn bound_to_table(mut self, entity_set: &str) -> Self {
        self.binding = Binding::Table(entity_set.to_owned());
        self
    }

    /// Declare a request parameter.
    pub fn parameter(mut self, name: &str, kind: ParameterType, optional: bool) -> Self {
        self.parameters.push(Parameter { name: name.to_owned(), kind, optional });
        self
    }

    /// The custom API's unique name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The sandbox's own custom APIs.
pub(crate) fn builtin() -> Vec<CustomApi> {
    vec![CustomApi {
        name: "cre6f_SummarizeAgreements".to_owned(),
        function: false,
        binding: Binding::Unbound,
        parameters: vec![
            Parameter {
                name: "AgreementType".to_owned(),
                kind: ParameterType::Integer,
                optional: false,
            },
            Parameter {
                name: "MinimumValue".to_owned(),
                kind: ParameterType::Decimal,
                optional: true,
            },
        ],
        handler: Handler::Builtin(summarize_agreements),
    }]
}

/// `cre6f_SummarizeAgreements`: how many agreements of a type (at least worth `MinimumValue`)
/// there are and their total value.
fn summarize_agreements(store: &Store, call: &CustomApiCall) -> Result<Json, DvError> {
    let number = |name: &str| call.parameters.get(name).and_then(Json::as_number_text);
    let kind = number("AgreementType").and_then(|t| t.parse::<i64>().ok()).unwrap_or_default();
    let minimum = number("MinimumValue").and_then(|t| t.parse::<Decimal>().ok());
    let (mut count, mut total) = (0u64, Decimal::ZERO);
    for row in store.rows(AGREEMENTS) {
        if *row.get("cre6f_agreementtype") != Cell::Int(kind) {
            continue;
        }
        let value = match row.get("cre6f_agreementvalue") {
            Cell::Decimal(value) => *value,
            _ => Decimal::ZERO,
        };
        if minimum.is_some_and(|m| value < m) {
            continue;
        }
        count += 1;
        total += value;
    }
    Ok(Json::Object(JsonObject::new().with("Count", count).with("TotalValue", total)))
}

/// The registered custom API `segment` calls (a name, `name(…)` for functions, qualified when
/// bound), if any.
pub(crate) fn find(
    state: &DataverseState,
    segment: &str,
    bound_set: Option<(&str, bool)>,
) -> Option<CustomApi> {
    let plain = segment.split('(').next().unwrap_or(segment);
    let name = match bound_set {
        Some(_) => plain.strip_prefix(NAMESPACE)?,
        None => plain,
    };
    state.custom_apis().into_iter().find(|api| {
        api.name == name
            && match (&api.binding, bound_set) {
                (Binding::Unbound, None) => true,
                (Binding::Row(set), Some((bound, true))) => set == bound,
                (Binding::Table(set), Some((bound, false))) => set == bound,
                _ => false,
            }
    })
}

/// Call `api` (found by [`find`] for the request's last segment).
pub(crate) fn call(
    store: &Store,
    request: &ApiRequest,
    api: &CustomApi,
    segment: &str,
    bound: Option<(&EntitySetDef, Option<&RowKey>)>,
) -> Result<Reply, DvError> {
    let expected = if api.function { Method::GET } else { Method::POST };
    if request.method != expected {
        return Err(DvError::no_resource(&request.full_uri()));
    }
    let bound_row = match bound {
        Some((def, Some(key))) => Some(existing(store, def, key)?),
        _ => None,
    };
    let parameters = if api.function {
        function_parameters(request, api, segment)?
    } else {
        if segment.contains('(') {
            return Err(DvError::no_resource(&request.full_uri()));
        }
        if request.body.is_empty() { JsonObject::new() } else { request.json_body(&api.name)? }
    };
    let parameters = check(api, parameters)?;
    let call = CustomApiCall { parameters, bound_row };
    let answer = match &api.handler {
        Handler::Builtin(handler) => handler(store, &call)?,
        Handler::User(handler) => handler(&call).map_err(|e| {
            DvError::new(
                // An error is 4xx or 5xx, whatever status the handler gave.
                StatusCode::from_u16(e.status)
                    .ok()
                    .filter(|s| s.is_client_error() || s.is_server_error())
                    .unwrap_or(StatusCode::BAD_REQUEST),
                &e.code,
                e.message,
            )
        })?,
    };
    match answer {
        Json::Null => Ok(Reply::empty(StatusCode::NO_CONTENT)),
        Json::Object(fields) => {
            let mut body = JsonObject::new().with(
                "@odata.context",
                request.context(&format!("{NAMESPACE}{}Response", api.name)),
            );
            for (key, value) in fields.iter() {
                body.insert(key, value.clone());
            }
            Ok(Reply::json(StatusCode::OK, body))
        }
        other => {
            let body = JsonObject::new()
                .with("@odata.context", request.context("Edm.Untyped"))
                .with("value", other);
            Ok(Reply::json(StatusCode::OK, body))
        }
    }
}

/// Check `given` against the declared parameters.
fn check(api: &CustomApi, given: JsonObject) -> Result<JsonObject, DvError> {
    for (name, value) in given.iter() {
        let Some(parameter) = api.parameters.iter().find(|p| p.name == name) else {
            return Err(DvError::payload(
                &api.name,
                format!(
                    "Microsoft.OData.ODataException: The parameter '{name}' in the request payload is not a valid parameter for the operation '{}'.",
                    api.name
                ),
            ));
        };
        if !parameter.kind.accepts(value) {
            return Err(DvError::convert(
                &api.name,
                &format!(
                    "Cannot convert the literal '{value}' to the expected type '{}'.",
                    parameter.kind.edm()
                ),
            ));
        }
        if let (ParameterType::Entity(logical), Json::Object(entity)) = (&parameter.kind, value) {
            let expected = format!("{NAMESPACE}{logical}");
            if entity.get("@odata.type").and_then(Json::as_str) != Some(expected.as_str()) {
                return Err(bad(format!(
                    "The entity parameter '{name}' must say its type (\"@odata.type\": \"{expected}\")."
                )));
            }
        }
    }
    if let Some(missing) =
        api.parameters.iter().find(|p| !p.optional && given.get(&p.name).is_none_or(Json::is_null))
    {
        return Err(bad(format!("Required parameter '{}' is missing.", missing.name)));
    }
    Ok(given)
}

/// The parameters of a function call: `Name(P1=@a,P2=3)` with `@a` from the query string.
fn function_parameters(
    request: &ApiRequest,
    api: &CustomApi,
    segment: &str,
) -> Result<JsonObject, DvError> {
    let inside = match segment.split_once('(') {
        Some((_, rest)) => rest.strip_suffix(')').ok_or_else(DvError::query_syntax)?,
        // A function is called with parentheses; Dataverse also takes a bound one without.
        None if api.binding != Binding::Unbound => "",
        None => return Err(DvError::no_resource(&request.full_uri())),
    };
    let aliases = request.query_pairs();
    let mut parameters = JsonObject::new();
    for pair in super::odata_query::split_list(inside, ',') {
        if pair.trim().is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').ok_or_else(DvError::query_syntax)?;
        let (name, value) = (name.trim(), value.trim());
        let text = match value.strip_prefix('@') {
            Some(alias) => aliases
                .iter()
                .find(|(key, _)| key.strip_prefix('@') == Some(alias))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    DvError::query(format!("The parameter alias '@{alias}' is not given a value."))
                })?,
            None => value.to_owned(),
        };
        let kind = api.parameters.iter().find(|p| p.name == name).map(|p| &p.kind);
        parameters.insert(name, literal(&text, kind)?);
    }
    Ok(parameters)
}

/// An OData literal (or JSON) from a URL, as the JSON a body would carry.
fn literal(text: &str, kind: Option<&ParameterType>) -> Result<Json, DvError> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        if inner.replace("''", "").contains('\'') {
            return Err(DvError::query_syntax());
        }
        return Ok(Json::String(inner.replace("''", "'")));
    }
    if text.starts_with('{') || text.starts_with('[') {
        return Json::parse(text)
            .map_err(|e| DvError::query(format!("Invalid JSON parameter: {}", e.0)));
    }
    match text {
        "null" => return Ok(Json::Null),
        "true" => return Ok(Json::Bool(true)),
        "false" => return Ok(Json::Bool(false)),
        _ => {}
    }
    // Written back in Decimal's own form: `Decimal` also reads `+5`, `.5` and `1_000`, which are
    // not JSON numbers (the reply would not serialize, and a handler would get them as is).
    if let Ok(number) = text.parse::<Decimal>() {
        return Ok(Json::Number(number.to_string()));
    }
    // GUIDs and date-times are bare in OData; in JSON they are strings.
    if Uuid::parse_str(text).is_ok() || crate::timestamps::parse_rfc3339(text).is_some() {
        return Ok(Json::String(text.to_owned()));
    }
    Err(DvError::query(format!(
        "Unrecognized literal '{text}'{}",
        kind.map(|k| format!(" for a parameter of type '{}'", k.edm())).unwrap_or_default()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_literals_as_a_body_would_carry_them() {
        assert_eq!(literal("'O''Hare'", None).unwrap(), Json::String("O'Hare".into()));
        assert_eq!(literal("1033", None).unwrap(), Json::Number("1033".into()));
        assert_eq!(literal("true", None).unwrap(), Json::Bool(true));
        assert_eq!(literal("+5", None).unwrap(), Json::Number("5".into()));
        assert_eq!(literal(".5", None).unwrap(), Json::Number("0.5".into()));
        assert_eq!(literal("1_000", None).unwrap(), Json::Number("1000".into()));
        assert_eq!(literal("1.50", None).unwrap(), Json::Number("1.50".into()));
        assert_eq!(
            literal("9f3162f6-804a-e611-80d1-00155d4333fa", None).unwrap(),
            Json::String("9f3162f6-804a-e611-80d1-00155d4333fa".into())
        );
        assert!(matches!(
            literal(r#"{"@odata.id":"contacts(1)"}"#, None).unwrap(),
            Json::Object(_)
        ));
        assert!(literal("bare words", None).is_err());
        assert!(literal("'a'b'", None).is_err());
        assert_eq!(
            super::super::odata_query::split_list("A=@p1,B='x,y',C={\"a\":1,\"b\":2}", ',').len(),
            3
        );
    }

    #[test]
    fn checks_parameters_strictly() {
        let api = CustomApi::action("sample_X", |_| Ok(Json::Null))
            .parameter("Name", ParameterType::String, false)
            .parameter("Count", ParameterType::Integer, true)
            .parameter("Target", ParameterType::Entity("account".into()), true);
        let object = |json: &str| match Json::parse(json).unwrap() {
            Json::Object(o) => o,
            _ => unreachable!(),
        };
        assert!(check(&api, object(r#"{"Name":"a","Count":3}"#)).is_ok());
        assert_eq!(
            check(&api, object(r#"{"Name":"a","Extra":1}"#)).unwrap_err().code,
            "0x80048d19"
        );
        assert_eq!(
            check(&api, object(r#"{"Name":"a","Count":"3"}"#)).unwrap_err().code,
            "0x80048d19"
        );
        assert_eq!(check(&api, object(r#"{"Count":3}"#)).unwrap_err().code, "0x80040203");
        assert!(check(&api, object(r#"{"Name":"a","Target":{"name":"x"}}"#)).is_err());
        assert!(
            check(
                &api,
                object(r#"{"Name":"a","Target":{"@odata.type":"Microsoft.Dynamics.CRM.account"}}"#)
            )
            .is_ok()
        );
    }
}
